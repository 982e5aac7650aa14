"""JSON metrics (survey sections 5.2-5.3): importing this package registers them."""
from synthaudit.metrics.json import consistency, fidelity, privacy, utility, validity  # noqa: F401
