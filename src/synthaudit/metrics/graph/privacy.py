"""graph.dp_guarantee (survey section 5.3; NOTES item 26): the privacy parameters of a graph generator,
reported, not computed from its outputs.

``--dp`` gives them: a YAML/JSON file or a mapping with ``epsilon`` (required), ``delta`` (default 0),
``adjacency`` (node | edge | edge_local; default: the metric's ``adjacency`` parameter), and optionally
``mechanism``, ``sensitivity`` and ``degree_bound``. ``synthaudit.generate.graph.dp.DPRecord.as_dict()`` (the
Laplace degree-histogram mechanism) writes exactly this mapping.
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from synthaudit.errors import InputError
from synthaudit.metrics.registry import register
from synthaudit.metrics.result import MetricResult

ADJACENCY = {
    "node": "node-DP: neighbouring graphs differ by one node and all its edges. It protects a person's presence "
            "and every relation they have; far stronger than edge-DP, it needs a degree bound or projection to "
            "keep sensitivity finite",
    "edge": "edge-DP: neighbouring graphs differ by one edge. It protects a single relation, not a node: a node "
            "of degree d is protected only at d * epsilon (group privacy)",
    "edge_local": "edge-level local DP: every edge value is randomised by its owner before collection, "
                  "Pr[M(e) in S] <= e^epsilon Pr[M(e') in S] for any two edge values; pure epsilon "
                  "(delta = 0) unless stated; no trusted curator",
}
KEYS = ("epsilon", "delta", "adjacency", "mechanism", "sensitivity", "degree_bound", "accountant", "notes")


def _dp_applies(inputs: Any) -> str | None:
    if (inputs.extra or {}).get("dp") is None:
        return ("no privacy parameters: pass --dp FILE (YAML or JSON with epsilon, delta and adjacency "
                "node|edge|edge_local), e.g. the record of synthaudit.generate.graph.dp")
    return None


def load_dp(spec: Any) -> tuple[dict[str, Any], str]:
    """The DP mapping and where it came from (a path or 'mapping'); InputError on an unreadable file."""
    if isinstance(spec, (str, Path)):
        path = Path(spec)
        if not path.is_file():
            raise InputError("DP parameter file not found", file=str(path), field="--dp")
        import yaml

        try:
            doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (yaml.YAMLError, UnicodeDecodeError) as exc:
            raise InputError(f"is not YAML or JSON: {exc}", file=str(path), field="--dp") from None
        source = str(path)
    elif hasattr(spec, "as_dict"):
        doc, source = spec.as_dict(), "DPRecord"
    else:
        doc, source = spec, "mapping"
    if not isinstance(doc, dict):
        raise InputError(f"must be a mapping with epsilon, delta and adjacency, got {type(doc).__name__}",
                         file=source if source not in ("mapping",) else None, field="--dp")
    for key in ("differential_privacy", "dp", "privacy"):
        if isinstance(doc.get(key), dict):
            doc = {**doc, **doc[key]}
    return doc, source


def _number(doc: dict[str, Any], key: str, source: str, *, required: bool = False, positive: bool = False,
            default: float | None = None) -> float | None:
    value = doc.get(key)
    where = {"file": source if source not in ("mapping", "DPRecord") else None, "field": f"dp.{key}"}
    if value is None:
        if required:
            raise InputError("is missing: the guarantee is undefined without it", **where)
        return default
    if isinstance(value, bool):
        raise InputError(f"must be a number, got {value!r}", **where)
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise InputError(f"must be a number, got {value!r}", **where) from None
    if math.isnan(x) or x < 0 or (positive and x == 0):
        raise InputError(f"must be a {'positive' if positive else 'non-negative'} number, got {value!r}", **where)
    return x


def validate(doc: dict[str, Any], source: str, default_adjacency: str) -> dict[str, Any]:
    """The checked parameters: epsilon > 0 (inf allowed: no guarantee), 0 <= delta < 1, a known adjacency
    (edge_local: delta must be 0 or stated), degree_bound an integer >= 0."""
    eps = _number(doc, "epsilon", source, required=True, positive=True)
    delta = _number(doc, "delta", source, default=0.0)
    where = {"file": source if source not in ("mapping", "DPRecord") else None}
    if delta is not None and delta >= 1:
        raise InputError(f"must be below 1, got {doc['delta']!r}", field="dp.delta", **where)
    adjacency = str(doc.get("adjacency") or default_adjacency)
    if adjacency not in ADJACENCY:
        raise InputError(f"unknown adjacency {adjacency!r}; expected one of {', '.join(ADJACENCY)}",
                         field="dp.adjacency", **where)
    bound = doc.get("degree_bound")
    if bound is not None and (isinstance(bound, bool) or not isinstance(bound, int) or bound < 0):
        raise InputError(f"must be a non-negative integer, got {bound!r}", field="dp.degree_bound", **where)
    sens = _number(doc, "sensitivity", source)
    return {"epsilon": eps, "delta": delta, "adjacency": adjacency, "delta_given": doc.get("delta") is not None,
            "adjacency_given": doc.get("adjacency") is not None, "degree_bound": bound, "sensitivity": sens,
            "mechanism": doc.get("mechanism"), "accountant": doc.get("accountant")}


def _train_nodes(inputs: Any) -> int | None:
    if "train" not in getattr(inputs, "tables", {}):
        return None
    from synthaudit.data.graph import all_graphs

    return sum(i.graph.number_of_nodes() for i in all_graphs(inputs, "train") if i.ok)


@register(id="graph.dp_guarantee", name="Graph differential-privacy guarantee (node-DP, edge-DP, edge-LDP)",
          modality="graph", pillar="trust", dimension="privacy", section="5.3", direction="report_only",
          range=(0.0, math.inf), inputs=("train",), models=("none",), computation="global",
          params={"adjacency": {"default": "edge", "options": ["node", "edge", "edge_local"]}},
          applies=_dp_applies)
def dp_guarantee(inputs: Any, models: Any) -> MetricResult:
    """(epsilon, delta) and the adjacency notion of the generator's DP guarantee (section 5.3), from its
    metadata. Value: epsilon (smaller = stronger); secondary: delta, delta * |V| (|V| of the train graph),
    e^epsilon. The parameter ``adjacency`` applies only when the metadata does not name one."""
    params = inputs.params_for("graph.dp_guarantee", dp_guarantee.spec.default_params())
    doc, source = load_dp(inputs.extra.get("dp"))
    p = validate(doc, source, str(params["adjacency"]))
    eps, delta, adjacency = p["epsilon"], p["delta"], p["adjacency"]
    n_nodes = _train_nodes(inputs)
    finite = eps is not None and math.isfinite(eps)
    notes: dict[str, Any] = {
        "source": source, "adjacency": ADJACENCY[adjacency],
        "adjacency_source": "the DP metadata" if p["adjacency_given"] else
        "the metric parameter (default edge): the metadata does not name it",
        "dp": (f"({eps:g}, {delta:g})-{'LDP' if adjacency == 'edge_local' else 'DP'} under {adjacency} adjacency"
               if finite else "no formal guarantee (epsilon = inf)"),
        "reading": "metadata of the mechanism, not computed from the outputs; smaller epsilon = stronger privacy",
    }
    if not p["delta_given"]:
        notes["delta"] = "not given: reported as 0 (pure DP)" + (
            "" if adjacency == "edge_local" else "; state it if the mechanism is approximate DP")
    if adjacency == "edge_local" and delta:
        notes["delta_local"] = f"local DP with a stated delta = {delta:g} (usually pure, delta = 0)"
    if n_nodes and delta and delta >= 1.0 / n_nodes:
        notes["delta_warning"] = (f"delta = {delta:g} is not << 1/|V| = {1.0 / n_nodes:.3g}: a mechanism that "
                                  "publishes one node's data at random satisfies it")
    if adjacency == "node" and p["degree_bound"] is None and p["sensitivity"] is None:
        notes["node_dp"] = "node-DP without a degree bound or a stated sensitivity: check how it is kept finite"
    if p["mechanism"] is None:
        notes["mechanism"] = "not given in the metadata"
    secondary: dict[str, float | None] = {
        "delta": delta, "delta_times_n_nodes": delta * n_nodes if n_nodes and delta is not None else None,
        "exp_epsilon": math.exp(eps) if finite and eps < 700 else None, "n_nodes_train": n_nodes,
        "sensitivity": p["sensitivity"], "degree_bound": p["degree_bound"]}
    breakdown = [{"field": k, "value": p[k] if p[k] is not None else "not given"}
                 for k in ("epsilon", "delta", "adjacency", "mechanism", "sensitivity", "degree_bound", "accountant")]
    return MetricResult(value=eps if finite else None, breakdown=breakdown, secondary=secondary, notes=notes)
