"""synthaudit: audit synthetic data for quality and trust.

Implements the "LLM Data Auditor" framework (Zhang et al.): quality metrics (validity, fidelity,
diversity, utility) and trust metrics (faithfulness, safety, privacy, fairness, robustness,
provenance) per modality. Start with :func:`audit`.
"""
from __future__ import annotations

from synthaudit._version import __version__
from synthaudit.errors import InputError, PolicyError, SynthAuditError

__all__ = ["__version__", "audit", "AuditReport", "InputError", "PolicyError", "SynthAuditError"]


def __getattr__(name: str):  # lazy: keep `import synthaudit` cheap
    if name == "audit":
        from synthaudit.audit.api import audit

        return audit
    if name == "AuditReport":
        from synthaudit.report.model import AuditReport

        return AuditReport
    raise AttributeError(name)
