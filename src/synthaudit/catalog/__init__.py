"""The metric catalog shipped with the package (a copy of shared/catalog/metrics.yaml).

The catalog is the checklist: every registered metric must agree with its entry
(see tests/test_catalog.py), and ``synthaudit metrics`` lists every entry.
"""
from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when available: ~10x faster
PILLARS = ("quality", "trust")
DIMENSIONS = {
    "quality": ("validity", "fidelity", "diversity", "utility"),
    "trust": ("faithfulness", "safety", "privacy", "fairness", "robustness", "provenance"),
}
ALL_DIMENSIONS = DIMENSIONS["quality"] + DIMENSIONS["trust"]
DIRECTIONS = ("higher_better", "lower_better", "target", "report_only")
COMPUTATIONS = ("record", "mergeable", "global")
MODALITIES = ("text", "dialogue", "reasoning", "tabular", "graph", "json", "logs",
              "image_text", "video_text", "agent", "timeseries")


@lru_cache(maxsize=None)
def load_catalog() -> dict[str, Any]:
    """Parse the packaged ``metrics.yaml`` (catalog_version, metrics list)."""
    text = resources.files(__package__).joinpath("metrics.yaml").read_text(encoding="utf-8")
    return yaml.load(text, Loader=_LOADER)


@lru_cache(maxsize=None)
def catalog_entries() -> dict[str, dict[str, Any]]:
    """Catalog entries keyed by metric id, in catalog order."""
    return {e["id"]: e for e in load_catalog()["metrics"]}


@lru_cache(maxsize=None)
def load_gap_tables() -> dict[str, Any]:
    text = resources.files(__package__).joinpath("gap_tables.yaml").read_text(encoding="utf-8")
    return yaml.load(text, Loader=_LOADER)


def parse_range(text: str | None) -> tuple[float, float] | None:
    """Parse an interval string such as '[0,1]', '[0,inf)' or '[0,sqrt(2)]' into (lo, hi)."""
    if text is None:
        return None
    inner = text.strip()[1:-1]
    lo_s, hi_s = (p.strip() for p in inner.split(","))

    def num(s: str) -> float:
        if s.startswith("sqrt(") and s.endswith(")"):
            return float(s[5:-1]) ** 0.5
        return float(s)  # float() accepts 'inf' and '-inf'

    return num(lo_s), num(hi_s)
