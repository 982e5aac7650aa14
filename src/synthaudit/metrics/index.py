"""A static index of the built-in metrics, so that ``synthaudit metrics`` answers without importing them.

Importing the metric packages pulls in pandas, scikit-learn and numba (about a second of CPU); listing the
catalog needs none of that. ``index.json`` beside this module holds, for the built-in modalities, the ids of
the registered metrics and the catalog-style entries of those the catalog does not have (extensions).
``tests/test_catalog.py`` checks that it equals the live registry; after adding a metric, regenerate it with
``python -m synthaudit.metrics.index``. Plugin modalities (entry points, ``SYNTHAUDIT_PLUGINS``) are not in
the file: their metric packages are imported when they are listed.
"""
from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any

INDEX_PATH = Path(__file__).with_name("index.json")
#: the fields of a listing row (``synthaudit metrics --json``)
FIELDS = ("id", "name", "modality", "pillar", "dimension", "section", "direction", "computation", "inputs")


def _row(entry: dict[str, Any], implemented: bool) -> dict[str, Any]:
    row = {k: entry[k] for k in FIELDS}
    row["inputs"] = list(row["inputs"])
    return {**row, "implemented": implemented, "extension": bool(entry.get("extension"))}


def build_index() -> dict[str, Any]:
    """The index of the built-in modalities from the live registry (imports every built-in metric package)."""
    from synthaudit.catalog import catalog_entries
    from synthaudit.metrics.registry import all_metrics, metric_entries
    from synthaudit.modalities.registry import BUILTIN

    builtin = {importlib.import_module(path).MODALITY.name for path in BUILTIN}
    live = all_metrics()
    entries = metric_entries()
    catalog = catalog_entries()
    ids = [mid for mid, m in live.items() if m.spec.modality in builtin]  # registration order
    extra = [_row(entries[mid], True) for mid in entries if mid in live and mid in ids and mid not in catalog]
    return {"modalities": sorted(builtin), "implemented": sorted(ids), "extra_entries": extra}


def load_index() -> dict[str, Any]:
    return json.loads(INDEX_PATH.read_text(encoding="utf-8"))


def listing(modality: str | None = None) -> list[dict[str, Any]]:
    """Rows of ``synthaudit metrics``: every catalog entry and extension, with whether it is implemented."""
    from synthaudit.catalog import catalog_entries
    from synthaudit.modalities.registry import modalities

    index = load_index()
    plugins = [m for name, m in modalities().items() if name not in index["modalities"]
               and (modality is None or name == modality)]
    implemented = set(index["implemented"])
    entries = {mid: e for mid, e in catalog_entries().items()}
    extra = {row["id"]: row for row in index["extra_entries"]}
    if plugins:  # a plugin's metrics are known only once its package is imported
        from synthaudit.metrics.registry import _REGISTRY, metric_entries

        for plugin in plugins:
            importlib.import_module(plugin.metrics)
        live = metric_entries()
        for mid, m in _REGISTRY.items():
            if m.spec.modality in {p.name for p in plugins}:
                implemented.add(mid)
                if mid not in entries:
                    extra[mid] = _row(live[mid], True)
    rows = [_row(e, e["id"] in implemented) for e in entries.values()]
    rows += [r for mid, r in extra.items() if mid not in entries]
    return [r for r in rows if modality is None or r["modality"] == modality]


def write_index() -> Path:
    INDEX_PATH.write_text(json.dumps(build_index(), indent=1, ensure_ascii=False) + "\n",
                          encoding="utf-8")
    return INDEX_PATH


if __name__ == "__main__":  # pragma: no cover - maintenance entry point
    print(f"wrote {write_index()}")
