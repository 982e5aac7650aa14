"""Text metrics (survey section 2): one module per dimension; importing registers them."""
from synthaudit.metrics.text import diversity, faithfulness, ifeval  # noqa: F401
