"""synthaudit: audit synthetic data for quality and trust.

Implements the "LLM Data Auditor" framework (Zhang et al.): quality metrics (validity, fidelity,
diversity, utility) and trust metrics (faithfulness, safety, privacy, fairness, robustness,
provenance) per modality. Start with :func:`audit`.
"""
from __future__ import annotations

from synthaudit._version import __version__
from synthaudit.errors import InputError, PolicyError, SynthAuditError

__all__ = ["__version__", "audit", "AuditReport", "InputError", "PolicyError", "SynthAuditError"]


# The function shadows the ``synthaudit.audit`` subpackage on purpose: ``synthaudit.audit(...)`` is the API.
# Import the subpackage's modules with ``from synthaudit.audit.engine import ...``.
from synthaudit.audit.api import audit  # noqa: E402
from synthaudit.report.model import AuditReport  # noqa: E402
