"""Metrics, one package per modality and one module per dimension (DESIGN.md layout)."""
from __future__ import annotations

import importlib

_MODALITY_PACKAGES = ("synthaudit.metrics.tabular", "synthaudit.metrics.text", "synthaudit.metrics.dialogue")
_loaded = False


def load_all() -> None:
    """Import every modality package so that its metrics register themselves."""
    global _loaded
    if _loaded:
        return
    for name in _MODALITY_PACKAGES:
        importlib.import_module(name)
    _loaded = True
