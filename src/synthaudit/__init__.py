"""synthaudit: audit synthetic data for quality and trust.

Implements the "LLM Data Auditor" framework (Zhang et al.): quality metrics (validity, fidelity,
diversity, utility) and trust metrics (faithfulness, safety, privacy, fairness, robustness,
provenance) per modality. Start with :func:`audit`.
"""
from __future__ import annotations

from synthaudit._version import __version__
from synthaudit.errors import InputError, PolicyError, SynthAuditError

__all__ = ["__version__", "audit", "AuditReport", "DialogueInputs", "InputError", "PolicyError", "SynthAuditError",
           "TabularInputs", "TextInputs"]

#: the built-in modalities' typed options objects, importable as ``synthaudit.TextInputs`` etc.
_INPUTS = {"TabularInputs": "synthaudit.modalities.tabular", "TextInputs": "synthaudit.modalities.text",
           "DialogueInputs": "synthaudit.modalities.dialogue"}


def __getattr__(name: str):
    if name in _INPUTS:
        import importlib

        return getattr(importlib.import_module(_INPUTS[name]), name)
    if name == "AuditReport":  # pydantic loads on first use
        from synthaudit.report.model import AuditReport

        return AuditReport
    raise AttributeError(f"module 'synthaudit' has no attribute {name!r}")


# The function shadows the ``synthaudit.audit`` subpackage on purpose: ``synthaudit.audit(...)`` is the API.
# Import the subpackage's modules with ``from synthaudit.audit.engine import ...``.
from synthaudit.audit.api import audit  # noqa: E402
