"""Metrics, one package per modality and one module per dimension (DESIGN.md layout)."""
from __future__ import annotations

import importlib

_loaded = False


def load_all() -> None:
    """Import the metric package of every registered modality so that its metrics register themselves."""
    global _loaded
    if _loaded:
        return
    _loaded = True
    from synthaudit.modalities.registry import modalities

    for modality in modalities().values():
        importlib.import_module(modality.metrics)
