"""Text metrics (survey section 2): one module per dimension; importing registers them."""
from synthaudit.metrics.text import curation, diversity, faithfulness, ifeval  # noqa: F401
from synthaudit.metrics.text import fidelity, safety, semantic, validity  # noqa: F401
