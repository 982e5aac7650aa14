"""Modality plugins: one registered :class:`Modality` per data type (DESIGN.md, 'modalities/').

Import cheaply: declarations only. See docs/architecture.md, 'Adding a modality'.
"""
from __future__ import annotations

from synthaudit.modalities.base import (FilterSpec, LoadOptions, Modality, ModalityInputs, TrackSpec, option,
                                        options_of, resolve)
from synthaudit.modalities.registry import get_modality, modalities, names, register_modality

__all__ = ["FilterSpec", "LoadOptions", "Modality", "ModalityInputs", "TrackSpec", "get_modality", "modalities",
           "names", "option", "options_of", "register_modality", "resolve"]
