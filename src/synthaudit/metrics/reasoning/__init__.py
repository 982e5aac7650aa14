"""Reasoning metrics (survey section 3): importing this package registers them."""
from synthaudit.metrics.reasoning import curation, faithfulness, fidelity, robustness, validity  # noqa: F401
