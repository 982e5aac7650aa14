"""Log metrics (survey sections 5.2-5.3): importing this package registers them."""
from synthaudit.metrics.logs import anonymization, exposure, fidelity, human, parsing, utility  # noqa: F401
