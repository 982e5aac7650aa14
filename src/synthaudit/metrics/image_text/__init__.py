"""Image-text metrics (survey section 6, catalog ``vl_image.*``)."""
from synthaudit.metrics.image_text import diversity, fidelity, provenance, safety, utility, validity  # noqa: F401
