"""Policy gates: a YAML mapping from metric id to bounds, checked after an audit.

Example ``gates.yaml``::

    tabular.kst: {max: 0.1}
    tabular.chi2: {min: 0.05}
    tabular.chi2.share_passing: {min: 0.5}   # a secondary value: <metric id>.<name>
    tabular.tvd: {max_vs_reference: 1.5}     # at most 1.5 x the holdout reference (tabular --holdout)

A gate fails when the value is outside [min, max] or when the metric produced no value (not run,
failed, or undefined on these data). Bounds relative to the reference audit (``min_vs_reference``,
``max_vs_reference``: a multiple of the metric's reference value, e.g. the tabular holdout against the real
data) fail when there is no reference. The CLI exits with status 1 when any gate fails.
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
    min_vs_reference: float | None = None  # bounds as multiples of the metric's reference value
    max_vs_reference: float | None = None


BOUND_KEYS = ("min", "max", "min_vs_reference", "max_vs_reference")


@dataclass
class GateResult:
    gate: Gate
    value: float | None
    passed: bool
    reason: str
    reference: float | None = None


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
        if not isinstance(bounds, dict) or not bounds or set(bounds) - set(BOUND_KEYS):
            raise PolicyError("expected bounds like {min: 0.4, max: 0.6} or {max_vs_reference: 1.5} (keys "
                              f"{', '.join(BOUND_KEYS)})", file=source, field=str(key))
        if field != "value" and {"min_vs_reference", "max_vs_reference"} & set(bounds):
            raise PolicyError("bounds relative to the reference apply to a metric's value, not to a secondary "
                              "value", file=source, field=str(key))
        vals = {}
        for k, v in bounds.items():
            if isinstance(v, bool) or not isinstance(v, (int, float)) or math.isnan(float(v)):
                raise PolicyError(f"{k} must be a number, got {v!r}", file=source, field=f"{key}.{k}")
            vals[k] = float(v)
        for lo, hi in (("min", "max"), ("min_vs_reference", "max_vs_reference")):
            if lo in vals and hi in vals and vals[lo] > vals[hi]:
                raise PolicyError(f"{lo} {vals[lo]} is greater than {hi} {vals[hi]}", file=source, field=str(key))
        gates.append(Gate(str(key), metric, field, vals.get("min"), vals.get("max"), vals.get("min_vs_reference"),
                          vals.get("max_vs_reference")))
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


def evaluate(gates: Iterable[Gate], values: dict[str, dict[str, float | None]], status: dict[str, str],
             references: dict[str, float | None] | None = None, no_reference: str = "no reference") -> list[GateResult]:
    """Check each gate against ``values[metric][field]``; ``status[metric]`` says why a value is missing;
    ``references[metric]`` is the reference value of relative bounds (``no_reference`` says why there is none)."""
    out = []
    for g in gates:
        v = values.get(g.metric, {}).get(g.field)
        ref = (references or {}).get(g.metric)
        if v is None:
            why = status.get(g.metric, "not run")
            out.append(GateResult(g, None, False, f"no value ({why})", ref))
            continue
        relative = g.min_vs_reference is not None or g.max_vs_reference is not None
        if relative and ref is None:
            out.append(GateResult(g, v, False, f"no reference value ({no_reference})", None))
            continue
        bad = []
        if g.min is not None and v < g.min:
            bad.append(f"{v:.4g} < min {g.min:g}")
        if g.max is not None and v > g.max:
            bad.append(f"{v:.4g} > max {g.max:g}")
        if g.min_vs_reference is not None and v < g.min_vs_reference * ref:
            bad.append(f"{v:.4g} < {g.min_vs_reference:g} x reference {ref:.4g}")
        if g.max_vs_reference is not None and v > g.max_vs_reference * ref:
            bad.append(f"{v:.4g} > {g.max_vs_reference:g} x reference {ref:.4g}")
        out.append(GateResult(g, v, not bad, "; ".join(bad) if bad else "within bounds", ref))
    return out
