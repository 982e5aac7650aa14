"""Graph and molecule metrics (survey sections 5.2-5.3): importing this package registers them."""
from synthaudit.metrics.graph import (diversity, fidelity, molecules, privacy, robustness, utility,  # noqa: F401
                                      validity)
