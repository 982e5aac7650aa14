"""Policy gates: a YAML mapping from metric id to bounds, checked after an audit.

Example ``gates.yaml``::

    tabular.kst: {max: 0.1}
    tabular.chi2: {min: 0.05}
    tabular.chi2.share_passing: {min: 0.5}   # a secondary value: <metric id>.<name>

A gate fails when the value is outside [min, max] or when the metric produced no value (not run,
failed, or undefined on these data). The CLI exits with status 1 when any gate fails.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from synthaudit.metrics.registry import metric_entries
from synthaudit.errors import PolicyError


@dataclass
class Gate:
    key: str         # as written: a metric id, or <metric id>.<secondary name>
    metric: str      # the metric id
    field: str       # "value" or a secondary name
    min: float | None = None
    max: float | None = None


@dataclass
class GateResult:
    gate: Gate
    value: float | None
    passed: bool
    reason: str


def split_key(key: str) -> tuple[str, str]:
    catalog = metric_entries()
    if key in catalog:
        return key, "value"
    head, _, tail = key.rpartition(".")
    if head in catalog and tail:
        return head, tail
    raise KeyError(key)


def parse_policy(doc: Any, source: str = "policy") -> list[Gate]:
    if doc is None:
        return []
    if not isinstance(doc, dict):
        raise PolicyError("expected a mapping from metric id to bounds, e.g. 'tabular.kst: {max: 0.1}'", file=source)
    gates = []
    for key, bounds in doc.items():
        try:
            metric, field = split_key(str(key))
        except KeyError:
            raise PolicyError("not a metric id of the catalog (see `synthaudit metrics`)", file=source,
                              field=str(key)) from None
        if not isinstance(bounds, dict) or not bounds or set(bounds) - {"min", "max"}:
            raise PolicyError("expected bounds like {min: 0.4, max: 0.6} (keys min and/or max)", file=source,
                              field=str(key))
        vals = {}
        for k, v in bounds.items():
            if isinstance(v, bool) or not isinstance(v, (int, float)) or math.isnan(float(v)):
                raise PolicyError(f"{k} must be a number, got {v!r}", file=source, field=f"{key}.{k}")
            vals[k] = float(v)
        if "min" in vals and "max" in vals and vals["min"] > vals["max"]:
            raise PolicyError(f"min {vals['min']} is greater than max {vals['max']}", file=source, field=str(key))
        gates.append(Gate(str(key), metric, field, vals.get("min"), vals.get("max")))
    return gates


def load_policy(path: str | Path) -> list[Gate]:
    path = Path(path)
    if not path.exists():
        raise PolicyError("policy file not found", file=str(path))
    from synthaudit.data.files import read_yaml_file

    doc = read_yaml_file(path, PolicyError, "a YAML file of gates")
    gates = parse_policy(doc, str(path))
    if not gates:
        raise PolicyError("defines no gates; expected lines like 'tabular.kst: {max: 0.1}'", file=str(path))
    return gates


def evaluate(gates: Iterable[Gate], values: dict[str, dict[str, float | None]],
             status: dict[str, str]) -> list[GateResult]:
    """Check each gate against ``values[metric][field]``; ``status[metric]`` says why a value is missing."""
    out = []
    for g in gates:
        v = values.get(g.metric, {}).get(g.field)
        if v is None:
            why = status.get(g.metric, "not run")
            out.append(GateResult(g, None, False, f"no value ({why})"))
            continue
        bad = []
        if g.min is not None and v < g.min:
            bad.append(f"{v:.4g} < min {g.min:g}")
        if g.max is not None and v > g.max:
            bad.append(f"{v:.4g} > max {g.max:g}")
        out.append(GateResult(g, v, not bad, "; ".join(bad) if bad else "within bounds"))
    return out
