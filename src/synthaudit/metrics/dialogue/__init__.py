"""Dialogue metrics (survey sections 2.2-2.3): one module per dimension; importing registers them."""
from synthaudit.metrics.dialogue import fidelity, safety, validity  # noqa: F401
