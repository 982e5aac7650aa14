"""Agent metrics (survey section 7, catalog ``agent.*``)."""
from synthaudit.metrics.agent import diversity, fidelity, safety, utility, validity  # noqa: F401
