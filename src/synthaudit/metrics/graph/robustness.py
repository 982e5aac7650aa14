"""Graph robustness (survey section 5.3): syntactic correctness (sigma_SCR), graph atlas distance (GAD, capped
GAD) and the degree-distribution deviation D_L2."""
from __future__ import annotations

import json
import math
import re
import time
from typing import Any

import numpy as np

from synthaudit.data.graph import GraphItem, GraphParseError, iter_graphs, parse_graph, spec_of
from synthaudit.metrics.graph.common import GraphMetric, item_text, snippet
from synthaudit.metrics.registry import register
from synthaudit.metrics.result import MetricResult

_FENCE = re.compile(r"^```[\w+-]*[ \t]*\n(.*?)\n?[ \t]*```$", re.S)
_DECL = re.compile(r"^(?:n|nodes?)\s*[:=]?\s*(\d+)$", re.I)
_INT_EDGE = re.compile(r"^(?:\(\s*(\d+)\s*(?:,\s*|\s+)(\d+)\s*\)|\[\s*(\d+)\s*(?:,\s*|\s+)(\d+)\s*\]|"
                       r"(\d+)\s*(?:,\s*|\s+)(\d+))\s*(?:\{.*\})?\s*[,;]?$")
_ANY_EDGE = re.compile(r"^(?:\(\s*([\w.-]+)\s*(?:,\s*|\s+)([\w.-]+)\s*\)|\[\s*([\w.-]+)\s*(?:,\s*|\s+)([\w.-]+)"
                       r"\s*\]|([\w.-]+)\s*(?:,\s*|\s+)([\w.-]+))\s*(?:\{.*\})?\s*[,;]?$")
SCR_FORMATS = ("auto", "edge_list")


# -- sigma_SCR -----------------------------------------------------------------------------------------
def strict_parse(text: str, *, fmt: str = "auto", integer_ids: bool = True, n_nodes: int | None = None,
                 directed: bool = False) -> str | None:
    """None when ``text`` parses strictly, else the reason. Strict (catalog note): the whole text, or the body
    of one surrounding code fence, is the graph and nothing else; in an edge list every non-blank line is an
    edge ``u v`` (also ``u,v``, ``(u, v)``, ``[u, v]``, an optional trailing ``{attributes}``) or one
    node-count declaration ``n N`` / ``nodes: N``; node ids are non-negative integers (``integer_ids``)
    inside the declared range 0..N-1 (the output's declaration, else ``n_nodes``). With ``fmt="auto"`` a
    whole JSON, GraphML or GML document also counts when the loader reads it as a graph."""
    body = text.strip()
    if not body:
        return "empty output"
    fence = _FENCE.match(body)
    if fence:
        body = fence.group(1).strip()
    elif "```" in body:
        return "text outside the code fence (or an unclosed fence)"
    if not body:
        return "empty code fence"
    if body[:1] in "{[<" or re.match(r"(?:di)?graph\s*\[", body[:20], re.I):  # an edge line never starts so
        if fmt == "edge_list":
            return "a structured document (JSON, GraphML or GML), not an edge list"
        if body[:1] in "{[":
            try:
                value: Any = json.loads(body)
            except json.JSONDecodeError as exc:
                if body[0] == "[" and _INT_EDGE.match(body.splitlines()[0].strip()):
                    return _strict_edges(body, integer_ids=integer_ids, n_nodes=n_nodes)  # '[u, v]' lines
                return f"not valid JSON ({exc.msg} at line {exc.lineno})"
        else:
            value = body
        try:
            parse_graph(value, directed)
        except GraphParseError as exc:
            return f"not a graph: {exc}"
        return None
    return _strict_edges(body, integer_ids=integer_ids, n_nodes=n_nodes)


def _strict_edges(body: str, *, integer_ids: bool, n_nodes: int | None) -> str | None:
    declared: int | None = None
    ids: list[tuple[int, str]] = []
    edge = _INT_EDGE if integer_ids else _ANY_EDGE
    for k, line in enumerate(body.splitlines(), start=1):
        s = line.strip()
        if not s:
            continue
        decl = _DECL.match(s)
        if decl:
            if declared is not None:
                return f"line {k}: a second node-count declaration ({s[:40]!r})"
            declared = int(decl.group(1))
            continue
        m = edge.match(s)
        if not m:
            what = "an edge 'u v' with non-negative integer ids" if integer_ids else "an edge 'u v'"
            return f"line {k} is not {what}: {s[:60]!r}"
        ids.extend((k, t) for t in m.groups() if t is not None)
    if not ids and declared is None:
        return "no edge and no node declared"
    bound = declared if declared is not None else n_nodes
    if bound is not None and integer_ids:
        for k, t in ids:
            if int(t) >= bound:
                src = "declared" if declared is not None else "required (n_nodes)"
                return f"line {k}: node {t} is outside the {src} range 0..{bound - 1}"
    return None


@register(id="graph.scr", name="Syntactic Correctness Rate (sigma_SCR)", modality="graph", pillar="trust",
          dimension="robustness", section="5.3", direction="higher_better", range=(0.0, 1.0),
          inputs=("synthetic", "schema"), models=("none",), computation="record",
          params={"format": {"default": "auto", "options": list(SCR_FORMATS),
                             "note": "code default: auto = an edge list (strict) or a whole JSON/GraphML/GML "
                                     "document the loader reads; edge_list = edge lists only"},
                  "integer_ids": {"default": True, "note": "code default: node ids must be non-negative integers "
                                                           "(with word ids a prose line can read as an edge)"},
                  "n_nodes": {"default": None, "note": "code default: the node range 0..n_nodes-1 when the output "
                                                       "declares none (null = no range check then)"}})
class SCR(GraphMetric):
    """sigma_SCR = (1/|G_gen|) sum_G 1[PARSEOK(G)] (section 5.3): the share of raw outputs that parse into a graph
    under the required format (:func:`strict_parse`: every edge line parses, node ids in the declared range, no
    prose beyond one surrounding code fence). Records that are not text (a list of pairs, a graph object) and
    SMILES count as parsed when the loader (RDKit for SMILES) reads them."""

    breakdown_title = "Outputs that do not parse, with the first problem"

    def check(self, params: dict[str, Any], inputs) -> None:
        if params.get("format") not in SCR_FORMATS:
            raise ValueError(f"graph.scr: format must be one of {', '.join(SCR_FORMATS)}, got {params.get('format')!r}")
        n = params.get("n_nodes")
        if n is not None and (isinstance(n, bool) or not isinstance(n, int) or n < 1):
            raise ValueError(f"graph.scr: n_nodes must be a positive integer or null, got {n!r}")

    def evaluate(self, items: list[GraphItem], state: dict) -> np.ndarray:
        p = state["params"]
        directed = spec_of(state["inputs"]).directed
        scores = np.zeros(len(items))
        for i, item in enumerate(items):
            if item.raw is not None and item.smiles is None:
                reason = strict_parse(item.raw, fmt=p["format"], integer_ids=bool(p["integer_ids"]),
                                      n_nodes=p["n_nodes"], directed=directed)
                state["counts"]["text_records"] += 1
            else:
                reason = None if item.ok else (item.error or "not a graph")
            scores[i] = 1.0 if reason is None else 0.0
            if reason is not None:
                self.add_row(state, {"record": item.record, "reason": snippet(reason, 200),
                                     "output": item_text(item)})
        return scores

    def finalize(self, state, inputs, models) -> MetricResult:
        result = super().finalize(state, inputs, models)
        p = state["params"]
        result.notes["parse"] = ("strict: the whole output (or one code fence's body) is the graph; every edge "
                                 f"line parses; node ids {'are non-negative integers ' if p['integer_ids'] else ''}"
                                 "inside the declared range; format " + str(p["format"]))
        return result


# -- GAD -----------------------------------------------------------------------------------------------
def graph_edit_distance(g, target, timeout_s: float | None = 60.0) -> tuple[float, bool, int]:
    """(GED, exact?, lower bound) between ``g`` and ``target`` with unit costs on unlabelled graphs (networkx's
    default costs: node/edge insertion and deletion 1, substitution free). ``g`` None is the empty graph:
    GED = |V| + |E| of the target, exact. Isomorphic graphs give 0 at once; otherwise networkx's
    ``optimize_edit_paths`` improves an upper bound until it is proved optimal or ``timeout_s`` passes (then the
    best bound so far is returned with exact=False). The lower bound is |dV| + |dE|."""
    import networkx as nx

    if g is None:
        return float(target.number_of_nodes() + target.number_of_edges()), True, \
            target.number_of_nodes() + target.number_of_edges()
    lower = abs(g.number_of_nodes() - target.number_of_nodes()) + abs(g.number_of_edges() - target.number_of_edges())
    if lower == 0 and nx.is_isomorphic(g, target):
        return 0.0, True, 0
    best: float | None = None
    start = time.perf_counter()
    for _, _, cost in nx.optimize_edit_paths(g, target, strictly_decreasing=True, timeout=timeout_s):
        best = float(cost)
    elapsed = time.perf_counter() - start
    exact = timeout_s is None or elapsed <= timeout_s or (best is not None and best <= lower)
    if best is None:  # timed out before the first path: delete everything, insert the target
        best = float(g.number_of_nodes() + g.number_of_edges() + target.number_of_nodes()
                     + target.number_of_edges())
    return best, exact, lower


@register(id="graph.gad", name="Graph Atlas Distance (GAD, capped GAD^cap; Table 1: GAD^CP)", modality="graph",
          pillar="trust", dimension="robustness", section="5.3", direction="lower_better", range=(0.0, math.inf),
          inputs=("synthetic", "references"), models=("none",), computation="record",
          params={"cap": {"default": None, "note": "null = uncapped GAD; set C for GAD^cap"},
                  "ged_timeout_s": {"default": 60, "note": "catalog default: seconds per graph pair; a timed-out "
                                                           "pair gives networkx's best upper bound, reported"}})
class GAD(GraphMetric):
    """GAD = (1/k) sum_i d_GED(G_i, a_i), the mean graph edit distance between each generated graph and its
    record's target (section 5.3); GAD^cap = (1/k) sum_i min(d_GED, C). Unit costs, unlabelled graphs
    (:func:`graph_edit_distance`). An unparsable output scores its GED to the empty graph (C when capped).
    Records without a target are left out (counted)."""

    breakdown_title = "Records farthest from their target (GED > 0), with exact or upper-bound status"

    def check(self, params: dict[str, Any], inputs) -> None:
        cap = params.get("cap")
        if cap is not None and (isinstance(cap, bool) or not isinstance(cap, (int, float)) or cap < 0):
            raise ValueError(f"graph.gad: cap must be a non-negative number or null, got {cap!r}")
        t = params.get("ged_timeout_s")
        if t is not None and (isinstance(t, bool) or not isinstance(t, (int, float)) or t <= 0):
            raise ValueError(f"graph.gad: ged_timeout_s must be a positive number or null, got {t!r}")

    def evaluate(self, items: list[GraphItem], state: dict) -> np.ndarray:
        cap, timeout = state["params"].get("cap"), state["params"].get("ged_timeout_s")
        ex = state["extra"]
        for k in ("sum_uncapped", "n_scored", "n_upper_bound", "n_unparsable"):
            ex.setdefault(k, 0)
        scores = np.full(len(items), np.nan)
        for i, item in enumerate(items):
            if item.target is None:
                state["counts"]["no_target"] += 1
                continue
            d, exact, lower = graph_edit_distance(item.graph, item.target, timeout)
            ex["sum_uncapped"] += d
            ex["n_scored"] += 1
            ex["n_upper_bound"] += int(not exact)
            ex["n_unparsable"] += int(not item.ok)
            scores[i] = d if cap is None else (float(cap) if not item.ok else min(d, float(cap)))
            if d > 0:
                t = item.target
                self.add_row(state, {"record": item.record, "ged": d,
                                     "status": "unparsable" if not item.ok else "exact" if exact else "upper_bound",
                                     "lower_bound": lower, "graph": _shape(item.graph),
                                     "target": _shape(t), "output": item_text(item)})
        return scores

    def finalize(self, state, inputs, models) -> MetricResult:
        result = super().finalize(state, inputs, models)
        ex, cap = state["extra"], state["params"].get("cap")
        n = ex.get("n_scored", 0)
        result.secondary["gad_uncapped"] = ex["sum_uncapped"] / n if n else None
        result.secondary["n_upper_bound"] = float(ex.get("n_upper_bound", 0))
        result.secondary["n_unparsable"] = float(ex.get("n_unparsable", 0))
        result.notes["variant"] = "GAD (uncapped)" if cap is None else f"GAD^cap with C = {cap}"
        result.notes["costs"] = "unit costs (node/edge insertion and deletion 1, substitution 0), unlabelled"
        result.notes["unparsable"] = "GED to the empty graph (|V| + |E| of the target)" + \
            (f"; C = {cap} when capped" if cap is not None else "")
        if ex.get("n_upper_bound"):
            result.notes["upper_bounds"] = (f"{ex['n_upper_bound']} pair(s) hit the {state['params']['ged_timeout_s']}"
                                            " s timeout: their GED is networkx's best upper bound (status "
                                            "'upper_bound'), so GAD is an upper bound too")
        return result


def _shape(g) -> str | None:
    return None if g is None else f"{g.number_of_nodes()} nodes, {g.number_of_edges()} edges"


# -- D_L2 ----------------------------------------------------------------------------------------------
def degree_hist(g) -> np.ndarray:
    """networkx.degree_histogram of ``g`` normalised to sum 1 (an empty graph gives an empty array)."""
    import networkx as nx

    h = np.asarray(nx.degree_histogram(g), dtype=float)
    return h / h.sum() if h.sum() else h


def l2_between(a: np.ndarray, b: np.ndarray) -> float:
    """||a - b||_2 after zero-padding both to the same length (max degree + 1)."""
    n = max(a.size, b.size)
    return float(np.linalg.norm(np.pad(a, (0, n - a.size)) - np.pad(b, (0, n - b.size))))


def reference_hist(graphs: Any, pooling: str = "pooled") -> np.ndarray | None:
    """The reference histogram of a set of graphs: ``pooled`` (every node of every graph in one histogram,
    normalised) or ``mean`` (the mean of the per-graph normalised histograms, zero-padded). None when empty."""
    import networkx as nx

    hists = [np.asarray(nx.degree_histogram(g), dtype=float) for g in graphs if g.number_of_nodes()]
    if not hists:
        return None
    n = max(h.size for h in hists)
    padded = np.stack([np.pad(h, (0, n - h.size)) for h in hists])
    if pooling == "pooled":
        total = padded.sum(axis=0)
        return total / total.sum()
    return (padded / padded.sum(axis=1, keepdims=True)).mean(axis=0)


REFERENCES = ("ground_truth_graph", "pooled_reference_set")
POOLINGS = ("pooled", "mean")


def _degree_applies(inputs) -> str | None:
    params = inputs.params_for("graph.degree_l2", {"reference": "ground_truth_graph"})
    if params.get("reference") == "ground_truth_graph" and inputs.extra.get("references") is None:
        return ("reference ground_truth_graph needs each record's target graph (--target-field); or set "
                "reference: pooled_reference_set to compare with the real graphs")
    return None


@register(id="graph.degree_l2", name="Degree-distribution deviation (D_L2)", modality="graph", pillar="trust",
          dimension="robustness", section="5.3", direction="lower_better", range=(0.0, math.sqrt(2)),
          inputs=("synthetic", "real_reference"), models=("none",), computation="record", applies=_degree_applies,
          params={"reference": {"default": "ground_truth_graph", "options": list(REFERENCES)},
                  "pooling": {"default": "pooled", "options": list(POOLINGS),
                              "note": "code default, pooled_reference_set only: pooled = one histogram of every "
                                      "reference node; mean = mean of the per-graph normalised histograms"}})
class DegreeL2(GraphMetric):
    """D_L2(G) = ||h_gen(G) - h_ref||_2 (section 5.3): normalised degree histograms (networkx.degree_histogram
    / |V|), zero-padded to the same length, averaged over generated graphs. h_ref is the record's target graph
    (``ground_truth_graph``) or the real reference set (``pooled_reference_set``, pooled or mean histogram).
    Unparsable outputs and records without a target are left out (counted). An auxiliary signal: read it with
    GAD and MMD."""

    breakdown_title = "Records whose degree histogram is farthest from the reference"

    def check(self, params: dict[str, Any], inputs) -> None:
        if params.get("reference") not in REFERENCES:
            raise ValueError(f"graph.degree_l2: reference must be one of {', '.join(REFERENCES)}, "
                             f"got {params.get('reference')!r}")
        if params.get("pooling") not in POOLINGS:
            raise ValueError(f"graph.degree_l2: pooling must be one of {', '.join(POOLINGS)}, "
                             f"got {params.get('pooling')!r}")

    def setup(self, state: dict) -> None:
        p, inputs = state["params"], state["inputs"]
        state["h_ref"] = None
        if p["reference"] == "pooled_reference_set":
            if "real_reference" not in inputs.tables:
                raise ValueError("graph.degree_l2: reference pooled_reference_set needs real graphs (--real)")
            key = f"graph.degree_ref:{p['pooling']}"
            state["h_ref"] = inputs.features.get(key, lambda: reference_hist(
                (i.graph for b in iter_graphs(inputs, "real_reference") for i in b if i.ok), p["pooling"]))
            if state["h_ref"] is None:
                raise ValueError("graph.degree_l2: no real graph parses (reference pooled_reference_set)")

    def evaluate(self, items: list[GraphItem], state: dict) -> np.ndarray:
        scores = np.full(len(items), np.nan)
        pooled = state["h_ref"]
        for i, item in enumerate(items):
            if not item.ok:
                state["counts"]["unparsable"] += 1
                continue
            ref = pooled if pooled is not None else (degree_hist(item.target) if item.target is not None else None)
            if ref is None:
                state["counts"]["no_target"] += 1
                continue
            scores[i] = l2_between(degree_hist(item.graph), ref)
            if scores[i] > 0:
                self.add_row(state, {"record": item.record, "d_l2": round(float(scores[i]), 6),
                                     "graph": _shape(item.graph),
                                     "target": _shape(item.target) if pooled is None else "reference set"})
        return scores

    def finalize(self, state, inputs, models) -> MetricResult:
        result = super().finalize(state, inputs, models)
        p = state["params"]
        result.breakdown.sort(key=lambda r: -r["d_l2"])
        result.notes["reference"] = p["reference"] + (f" ({p['pooling']} histogram)"
                                                      if p["reference"] == "pooled_reference_set" else "")
        result.notes["histograms"] = "networkx.degree_histogram / |V|, zero-padded to max degree + 1"
        result.notes["excluded"] = "unparsable outputs and records without a target (counted in notes)"
        if state["h_ref"] is not None:
            result.notes["reference_histogram"] = [round(float(v), 6) for v in state["h_ref"]]
        return result
