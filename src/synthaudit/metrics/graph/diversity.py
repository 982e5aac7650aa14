"""Graph diversity (survey section 5.2): novelty against the prompt's examples and uniqueness among valid graphs,
isomorphism-aware (:mod:`synthaudit.stats.graph_iso`: WL hash buckets, then an exact check)."""
from __future__ import annotations

from typing import Any

import numpy as np

from synthaudit.data.graph import GraphItem, iter_graphs
from synthaudit.metrics.graph.common import MAX_FAILURES, GraphMetric, item_text
from synthaudit.metrics.graph.validity import passes, rules_of
from synthaudit.metrics.registry import register
from synthaudit.metrics.result import MetricResult
from synthaudit.stats.graph_iso import EQUALITIES, IsoIndex, check_equality, matches_any

ATTR_PARAMS = {
    "node_attrs": {"default": None, "note": "code default: labelled_isomorphism compares these node attributes "
                                            "(null = all of them)"},
    "edge_attrs": {"default": None, "note": "code default: labelled_isomorphism compares these edge attributes "
                                            "(null = all of them)"},
}


def _attrs(v: Any) -> list[str] | None:
    if v is None:
        return None
    return [v] if isinstance(v, str) else [str(x) for x in v]


def equality_options(params: dict[str, Any]) -> dict[str, Any]:
    """The keyword arguments of the isomorphism index; raises ValueError for an unknown equality."""
    return {"equality": check_equality(str(params.get("equality", "isomorphism"))),
            "node_attrs": _attrs(params.get("node_attrs")), "edge_attrs": _attrs(params.get("edge_attrs"))}


@register(id="graph.novelty", name="Novelty", modality="graph", pillar="quality", dimension="diversity",
          section="5.2", direction="higher_better", range=(0.0, 1.0), inputs=("synthetic", "prompts"),
          models=("none",), computation="record",
          params={"equality": {"default": "isomorphism", "options": list(EQUALITIES)}, **ATTR_PARAMS})
class Novelty(GraphMetric):
    """Novelty = (1/|G_gen|) sum_G 1[G differs from every example graph in its prompt] (section 5.2), compared
    per record against that record's own examples only, under the ``equality`` criterion. Unparsable outputs
    and records without examples are left out of numerator and denominator and counted."""

    breakdown_title = "Records that copy an example of their prompt"

    def check(self, params: dict[str, Any], inputs) -> None:
        equality_options(params)

    def evaluate(self, items: list[GraphItem], state: dict) -> np.ndarray:
        opts = equality_options(state["params"])
        scores = np.full(len(items), np.nan)
        for i, item in enumerate(items):
            if not item.ok:
                state["counts"]["unparsable"] += 1
                continue
            if not item.examples:
                state["counts"]["no_examples"] += 1
                continue
            hit = matches_any(item.graph, item.examples, **opts)
            scores[i] = 1.0 if hit is None else 0.0
            if hit is not None:
                state["counts"]["copies"] += 1
                self.add_row(state, {"record": item.record, "example": hit, "examples": len(item.examples),
                                     "equality": opts["equality"], "output": item_text(item)})
        return scores

    def finalize(self, state, inputs, models) -> MetricResult:
        result = super().finalize(state, inputs, models)
        result.notes["equality"] = state["params"].get("equality")
        result.notes["excluded"] = "unparsable outputs and records without prompt examples (counted in notes)"
        result.notes["rows"] = "'example' is the 0-based position of the copied example in the record's prompt"
        return result


@register(id="graph.uniq", name="Uniqueness (Uniq)", modality="graph", pillar="quality", dimension="diversity",
          section="5.2", direction="higher_better", range=(0.0, 1.0), inputs=("synthetic", "rules"),
          models=("none",), computation="global",
          params={"equality": {"default": "isomorphism", "options": list(EQUALITIES)}, **ATTR_PARAMS})
def uniq(inputs, models) -> MetricResult:
    """Uniq = |unique(G_valid)| / |G_valid| over the generated graphs that pass the rule checker (section 5.2),
    duplicates removed under the ``equality`` criterion: Weisfeiler-Lehman hash buckets, then an exact
    isomorphism test inside each bucket (a WL collision never merges two non-isomorphic graphs). Null when no
    graph is valid. Record scores: 1 for the first of its class, 0 for a later duplicate, undefined when invalid."""
    params = inputs.params_for("graph.uniq", uniq.spec.default_params())
    opts = equality_options(params)
    rules = rules_of(inputs) if inputs.extra.get("rules") is not None else None
    index = IsoIndex(opts.pop("equality"), **opts)
    scores: list[float] = []
    first: dict[int, tuple[int, str | None]] = {}
    dups: dict[int, list[int]] = {}
    n_invalid = n_unparsable = 0
    for batch in iter_graphs(inputs, "synthetic"):
        for item in batch:
            valid = item.ok and (rules is None or passes(item, rules)[0])
            if not valid:
                n_unparsable += not item.ok
                n_invalid += 1
                scores.append(np.nan)
                continue
            cid, new = index.add(item.graph)
            scores.append(1.0 if new else 0.0)
            if new:
                first[cid] = (item.record, None)
            else:
                if cid not in dups:
                    first[cid] = (first[cid][0], item_text(item))
                dups.setdefault(cid, []).append(item.record)
    n_valid = len(scores) - n_invalid
    value = index.n_classes / n_valid if n_valid else None
    groups = sorted(dups.items(), key=lambda t: (-len(t[1]), first[t[0]][0]))
    breakdown = [{"first_record": first[c][0], "copies": 1 + len(recs), "duplicate_records": recs[:10],
                  "output": first[c][1]} for c, recs in groups[:MAX_FAILURES]]
    notes: dict[str, Any] = {
        "n_records": len(scores), "n_valid": n_valid, "n_invalid": n_invalid, "n_unparsable": n_unparsable,
        "equality": index.equality,
        "valid": "passes the rule spec (graph.valid_rule)" if rules is not None else
                 "parses as a graph (no rule spec given)",
        "method": "1-WL colour-refinement hash buckets, then networkx.is_isomorphic inside each bucket",
        "wl_hash_collisions": f"{index.n_collision_buckets} bucket(s) held non-isomorphic graphs "
                              f"(separated by the exact check)"}
    if breakdown:
        notes["breakdown_title"] = "Duplicate classes, largest first (record numbers are 0-based)"
    if value is None:
        notes["undefined"] = "no generated graph is valid"
    return MetricResult(value=value, breakdown=breakdown, record_scores=np.asarray(scores, dtype=float),
                        secondary={"n_unique": float(index.n_classes), "n_valid": float(n_valid),
                                   "n_duplicates": float(n_valid - index.n_classes),
                                   "n_buckets": float(index.n_buckets),
                                   "n_exact_checks": float(index.n_exact_checks)},
                        notes=notes)
