"""Video-text metrics (survey section 6, catalog ``vl_video.*``)."""
from synthaudit.metrics.video_text import diversity, fidelity, provenance, safety, utility, validity  # noqa: F401
