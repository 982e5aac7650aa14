"""The one registry of modalities: the engine, CLI, filter, track, demo and report find a data type here.

Built-in modalities are listed once in :data:`BUILTIN`; other packages add theirs through the entry-point
group ``synthaudit.modalities`` (a module that calls :func:`register_modality` when imported), or, for a
local plugin, by naming its module in the environment variable ``SYNTHAUDIT_PLUGINS`` (comma-separated).
Adding a modality means adding its package and one line here (docs/architecture.md).
"""
from __future__ import annotations

import difflib
import importlib
import os
from typing import Any, Mapping

from synthaudit.errors import UsageError
from synthaudit.modalities.base import Modality, ModalityInputs

#: the built-in modality plugins, one module each (importing it registers the modality)
BUILTIN = ("synthaudit.modalities.tabular", "synthaudit.modalities.text", "synthaudit.modalities.dialogue",
           "synthaudit.modalities.reasoning", "synthaudit.modalities.graph", "synthaudit.modalities.json",
           "synthaudit.modalities.logs", "synthaudit.modalities.timeseries", "synthaudit.modalities.image_text",
           "synthaudit.modalities.video_text", "synthaudit.modalities.agent")
ENTRY_POINT_GROUP = "synthaudit.modalities"
PLUGINS_ENV = "SYNTHAUDIT_PLUGINS"

_REGISTRY: dict[str, Modality] = {}
_loaded = False


def register_modality(modality: Modality, *, replace: bool = False) -> Modality:
    """Register a modality (called by its plugin module on import); returns it."""
    if modality.inputs.modality != modality.name:
        raise ValueError(f"modality {modality.name}: its options class {modality.inputs.__name__} declares "
                         f"modality {modality.inputs.modality!r}")
    if modality.name in _REGISTRY and not replace and _REGISTRY[modality.name] is not modality:
        raise ValueError(f"modality {modality.name} registered twice")
    _REGISTRY[modality.name] = modality
    return modality


def _load() -> None:
    global _loaded
    if _loaded:
        return
    _loaded = True
    for name in BUILTIN:
        importlib.import_module(name)
    from importlib.metadata import entry_points

    for ep in entry_points(group=ENTRY_POINT_GROUP):
        ep.load()
    for name in (os.environ.get(PLUGINS_ENV) or "").split(","):
        if name.strip():
            try:
                importlib.import_module(name.strip())
            except ImportError as exc:
                raise UsageError(f"cannot import the modality plugin {name.strip()!r} named in ${PLUGINS_ENV} "
                                 f"({exc})") from None


def modalities() -> dict[str, Modality]:
    """Every registered modality by name (built-ins first)."""
    _load()
    return _REGISTRY


def names() -> list[str]:
    return list(modalities())


def get_modality(name: str) -> Modality:
    """The registered modality; a UsageError names the known ones (and says when a catalog modality is not
    implemented yet)."""
    from synthaudit.catalog import MODALITIES

    found = modalities().get(name)
    if found is not None:
        return found
    known = ", ".join(modalities())
    if name in MODALITIES:
        raise UsageError(f"the {name} audit is not implemented yet; implemented: {known} "
                         f"(`synthaudit metrics --modality {name}` lists its catalog)")
    raise UsageError(f"unknown modality {name!r}; expected one of {known}")


def known_modalities() -> list[str]:
    """Catalog modalities and registered ones (a plugin may add a modality the catalog does not have)."""
    from synthaudit.catalog import MODALITIES

    return list(dict.fromkeys([*MODALITIES, *modalities()]))


def make_inputs(modality: Modality, values: Mapping[str, Any]) -> ModalityInputs:
    """The modality's options object from keywords, with one clear error for an unknown or misspelt option
    (listing the valid ones, and the modalities an option of another modality belongs to)."""
    cls = modality.inputs
    known = cls.option_names()
    unknown = [k for k in values if k not in known]
    if unknown:
        name = unknown[0]
        close = difflib.get_close_matches(name, known, n=1)
        elsewhere = [m.name for m in modalities().values()
                     if m.name != modality.name and name in m.inputs.option_names()]
        text = f"unknown option {name!r} for a {modality.name} audit"
        if close:
            text += f"; did you mean {close[0]!r}?"
        elif elsewhere:
            text += f" ({name!r} is an option of {', '.join(elsewhere)})"
        raise UsageError(text + f". {modality.name} options: {', '.join(known)}")
    return cls(**values)
