"""Time-series metrics (the tutorial's sequential data; catalog ``timeseries.*`` plus extensions)."""
from synthaudit.metrics.timeseries import diversity, events, fidelity, privacy, utility  # noqa: F401
