"""Dialogue fidelity (survey section 2.2): RUBER, USR and PMI-FAITH, one module each; importing registers them."""
from synthaudit.metrics.dialogue import pmi, ruber, usr  # noqa: F401
