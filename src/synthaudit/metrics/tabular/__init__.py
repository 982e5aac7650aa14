"""Tabular metrics (survey section 4): one module per dimension; importing registers them."""
from synthaudit.metrics.tabular import (diversity, fairness, fidelity, privacy, utility,  # noqa: F401
                                        validity, higher_order, nndr, embedding_detection)
