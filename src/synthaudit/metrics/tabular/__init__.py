"""Tabular metrics (survey section 4): validity, fidelity, ... one module per dimension."""
from synthaudit.metrics.tabular import fidelity, validity  # noqa: F401  (registers the metrics)
