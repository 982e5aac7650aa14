"""Molecule metrics (survey section 5.2): Frechet ChemNet Distance (graph.fcd) and the MOSES validity,
uniqueness and novelty checks (extensions ``graph.ext.mol_validity``, ``graph.ext.mol_uniqueness``,
``graph.ext.mol_novelty``).

Every molecule is one record with a SMILES string, parsed once per batch by ``synthaudit.data.graph.graphs``
(RDKit; ``GraphItem.canonical`` is RDKit's canonical SMILES, None when invalid; an empty string is invalid as in
MOSES' ``get_mol``). Molecules written differently ('OCC', 'CCO') share one canonical SMILES, so uniqueness and
novelty compare canonical forms. All four stream batch by batch and merge across shards.
"""
from __future__ import annotations

import math
from collections import Counter
from typing import Any

import numpy as np

from synthaudit.data.graph import GraphItem, graphs
from synthaudit.metrics.registry import MergeableMetric, RecordMetric, register
from synthaudit.metrics.result import MetricResult

SYN, REAL = "synthetic", "real_reference"
MAX_ROWS = 50
SNIPPET = 80
#: FCD is biased upward for small samples; below this many molecules per set the report says so (catalog notes)
FCD_MIN_RECOMMENDED = 10_000


def needs_molecules(inputs) -> str | None:
    """None when the synthetic records are SMILES, else why these metrics do not apply."""
    if not inputs.extra.get("molecules"):
        return ("the records are not molecules (no SMILES field): these checks need SMILES strings "
                "(--smiles-field NAME)")
    return None


def needs_reference_molecules(inputs) -> str | None:
    """As :func:`needs_molecules`, and the reference records (when given) must be SMILES too."""
    reason = needs_molecules(inputs)
    if reason:
        return reason
    spec = (inputs.extra.get("graph") or {}).get(REAL)
    if spec is not None and not getattr(spec, "smiles", None):
        return "the reference records are graphs, not SMILES: comparing molecules needs reference SMILES"
    return None


def _snip(s: Any) -> str | None:
    if s is None:
        return None
    s = str(s)
    return s if len(s) <= SNIPPET else s[:SNIPPET - 1] + "…"


def invalid_row(item: GraphItem, offset: int, role: str = SYN) -> dict[str, Any]:
    """A breakdown row for an invalid SMILES: 0-based record number within its role, the SMILES and why."""
    if item.smiles is None:
        reason = "no SMILES (empty field)"
    elif not item.smiles.strip():
        reason = "empty SMILES string (MOSES counts it invalid)"
    else:
        reason = item.error or "RDKit cannot parse this SMILES"
    return {"record": item.record + offset, "role": role, "smiles": _snip(item.smiles), "reason": reason}


def _shift(rows: list[dict[str, Any]], offsets: dict[str, int]) -> list[dict[str, Any]]:
    return [{**r, "record": r["record"] + offsets.get(r.get("role", SYN), 0)} for r in rows]


def _cap(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return rows[:MAX_ROWS]


# -- FCD -------------------------------------------------------------------------------------------------------------
@register(id="graph.fcd", name="Frechet ChemNet Distance (FCD)", modality="graph", pillar="quality",
          dimension="fidelity", section="5.2", direction="lower_better", range=(0.0, float("inf")),
          inputs=(SYN, REAL), models=("chemnet",), computation="mergeable", applies=needs_reference_molecules,
          params={"batch_size": {"default": 256, "note": "code default: molecules per ChemNet forward pass"},
                  "eps": {"default": 1e-6, "note": "code default (as fcd / fcd_torch): eps * I added to both "
                                                   "covariances when sqrtm(S1 S2) is not finite or not real"}})
class FCD(MergeableMetric):
    """FCD = ||mu_s - mu_r||^2 + Tr(S_s + S_r - 2 (S_s S_r)^(1/2)) between Gaussians fitted to ChemNet's
    penultimate-layer activations of the valid synthetic and reference molecules (section 5.2; Preuer et al.,
    2018). Invalid SMILES are removed before embedding and counted; SMILES are RDKit-canonical (as fcd_torch).
    State per set: count, feature sum, sum of outer products (``stats.frechet.GaussianStats``)."""

    streams = (SYN, REAL)

    def init(self, inputs, models) -> dict[str, Any]:
        params = inputs.params_for(self.spec.id, self.spec.default_params())
        return {"inputs": inputs, "models": models, "params": params, "stats": {SYN: None, REAL: None},
                "records": {SYN: 0, REAL: 0}, "invalid": {SYN: 0, REAL: 0}, "rows": []}

    def update(self, state: dict, role: str, batch) -> dict:
        from synthaudit.stats.frechet import GaussianStats

        items = graphs(state["inputs"], batch, role)
        offset = state["records"][role]
        valid = [it.canonical for it in items if it.canonical]
        for it in items:
            if not it.canonical:
                state["invalid"][role] += 1
                if len(state["rows"]) < MAX_ROWS:
                    state["rows"].append(invalid_row(it, offset, role))
        state["records"][role] += len(items)
        if valid:
            chemnet = state["models"].get("chemnet")
            emb = chemnet.embed(valid, canonicalize=False, batch_size=int(state["params"]["batch_size"]))
            stats = GaussianStats.of(emb)
            state["stats"][role] = stats if state["stats"][role] is None else state["stats"][role].merge(stats)
        return state

    def merge(self, a: dict, b: dict) -> dict:
        stats = {r: b["stats"][r] if a["stats"][r] is None else
                 (a["stats"][r] if b["stats"][r] is None else a["stats"][r].merge(b["stats"][r])) for r in (SYN, REAL)}
        return {**a, "stats": stats, "records": {r: a["records"][r] + b["records"][r] for r in (SYN, REAL)},
                "invalid": {r: a["invalid"][r] + b["invalid"][r] for r in (SYN, REAL)},
                "rows": _cap(a["rows"] + _shift(b["rows"], a["records"]))}

    def finalize(self, state: dict, inputs, models) -> MetricResult:
        from synthaudit.stats.frechet import frechet_from_stats

        n = {r: (s.n if s is not None else 0) for r, s in state["stats"].items()}
        notes: dict[str, Any] = {
            "n_synthetic": n[SYN], "n_real": n[REAL], "n_synthetic_invalid": state["invalid"][SYN],
            "n_real_invalid": state["invalid"][REAL],
            "model": str(getattr(models.get("chemnet"), "name", "ChemNet")) if models.loaded("chemnet") else "ChemNet",
            "preprocessing": "invalid SMILES removed before embedding (counted above); RDKit canonical SMILES, "
                             "one-hot over ChemNet's vocabulary, padded to 350 (as fcd_torch)",
            "mergeable": "per set: count, feature sum and sum of outer products of the 512-d activations",
        }
        if state["rows"]:
            notes["breakdown_title"] = "Invalid SMILES left out before embedding"
        if min(n.values()) < 2:
            notes["undefined"] = (f"FCD needs at least 2 valid molecules per set (synthetic {n[SYN]}, "
                                  f"reference {n[REAL]})")
            return MetricResult(value=None, breakdown=list(state["rows"]), notes=notes)
        terms = frechet_from_stats(state["stats"][SYN], state["stats"][REAL], eps=float(state["params"]["eps"]))
        value = max(0.0, float(terms["distance"]))  # round-off can give a tiny negative for identical sets
        if terms["eps_offset"]:
            notes["eps_offset"] = f"sqrtm(S1 S2) was not finite or not real: eps={state['params']['eps']} * I added"
        if min(n.values()) < FCD_MIN_RECOMMENDED:
            notes["small_sample"] = (f"FCD is biased upward for small samples ({min(n.values())} molecules in the "
                                     f"smaller set); compare models at equal sizes, ideally >= {FCD_MIN_RECOMMENDED}")
        secondary = {"mean_term": terms["mean_term"], "cov_term": terms["cov_term"],
                     "guacamol_score": math.exp(-0.2 * value)}
        return MetricResult(value=value, breakdown=list(state["rows"]), secondary=secondary, notes=notes)


# -- MOSES validity / uniqueness / novelty ---------------------------------------------------------------------------
@register(id="graph.ext.mol_validity", name="Molecule validity (MOSES valid)", modality="graph", pillar="quality",
          dimension="validity", section="5.2", direction="higher_better", range=(0.0, 1.0), inputs=(SYN,),
          models=("none",), computation="record", applies=needs_molecules, extension=True)
class MolValidity(RecordMetric):
    """Per record, 1 when RDKit parses and sanitises the SMILES, else 0; the value is the share of valid
    molecules (MOSES ``fraction_valid``; section 5.2). Empty strings and missing fields are invalid."""

    def init(self, inputs, models) -> dict[str, Any]:
        return {**super().init(inputs, models), "rows": [], "records": 0}

    def update(self, state: dict, role: str, batch) -> dict:
        items = graphs(state["inputs"], batch, role)
        offset = state["records"]
        for it in items:
            if not it.canonical and len(state["rows"]) < MAX_ROWS:
                state["rows"].append(invalid_row(it, offset, role))
        state["scores"].append(np.array([1.0 if it.canonical else 0.0 for it in items]))
        state["records"] += len(items)
        return state

    def merge(self, a: dict, b: dict) -> dict:
        return {**a, "scores": a["scores"] + b["scores"], "records": a["records"] + b["records"],
                "rows": _cap(a["rows"] + _shift(b["rows"], {SYN: a["records"]}))}

    def finalize(self, state: dict, inputs, models) -> MetricResult:
        result = super().finalize(state, inputs, models)
        scores = result.record_scores
        result.notes["n_valid"] = int(scores.sum()) if scores is not None else 0
        result.notes["n_invalid"] = int(scores.size - scores.sum()) if scores is not None else 0
        result.notes["definition"] = "MOSES fraction_valid: RDKit MolFromSmiles succeeds (empty string invalid)"
        result.breakdown = list(state["rows"])
        if state["rows"]:
            result.notes["breakdown_title"] = "Invalid SMILES, with RDKit's reason"
        return result


def _valid_items(items: list[GraphItem]) -> list[GraphItem]:
    return [it for it in items if it.canonical]


@register(id="graph.ext.mol_uniqueness", name="Molecule uniqueness (MOSES unique@k)", modality="graph",
          pillar="quality", dimension="diversity", section="5.2", direction="higher_better", range=(0.0, 1.0),
          inputs=(SYN,), models=("none",), computation="mergeable", applies=needs_molecules, extension=True,
          params={"k": {"default": None, "note": "code default: all valid molecules; an integer gives MOSES' "
                                                 "unique@k over the first k valid molecules (MOSES reports 1000 "
                                                 "and 10000)"}})
class MolUniqueness(MergeableMetric):
    """Unique = |set of canonical SMILES of the valid molecules| / |valid molecules| (MOSES ``fraction_unique``
    after ``remove_invalid``; section 5.2). Invalid records are left out (see graph.ext.mol_validity).
    State: the count of every canonical SMILES and its first record (merges by adding counts)."""

    streams = (SYN,)

    def init(self, inputs, models) -> dict[str, Any]:
        k = inputs.params_for(self.spec.id, self.spec.default_params())["k"]
        if k is not None and (isinstance(k, bool) or not isinstance(k, int) or k < 1):
            raise ValueError(f"graph.ext.mol_uniqueness: k must be a positive integer or null, got {k!r}")
        return {"k": k, "counts": Counter(), "first": {}, "head": [], "records": 0, "inputs": inputs}

    def update(self, state: dict, role: str, batch) -> dict:
        items = graphs(state["inputs"], batch, role)
        for it in _valid_items(items):
            state["counts"][it.canonical] += 1
            state["first"].setdefault(it.canonical, it.record + state["records"])
            if state["k"] is not None and len(state["head"]) < state["k"]:
                state["head"].append(it.canonical)
        state["records"] += len(items)
        return state

    def merge(self, a: dict, b: dict) -> dict:
        first = dict(a["first"])
        for c, r in b["first"].items():
            first.setdefault(c, r + a["records"])
        head = (a["head"] + b["head"])[:a["k"]] if a["k"] is not None else []
        return {**a, "counts": a["counts"] + b["counts"], "first": first, "head": head,
                "records": a["records"] + b["records"]}

    def finalize(self, state: dict, inputs, models) -> MetricResult:
        counts: Counter = state["counts"]
        n_valid = sum(counts.values())
        notes: dict[str, Any] = {"n_records": state["records"], "n_valid": n_valid, "n_unique": len(counts),
                                 "definition": "MOSES fraction_unique: unique canonical SMILES / valid molecules"}
        dups = sorted(((c, m) for c, m in counts.items() if m > 1), key=lambda x: (-x[1], state["first"][x[0]]))
        rows = [{"record": state["first"][c], "canonical": _snip(c), "copies": m} for c, m in dups[:MAX_ROWS]]
        if rows:
            notes["breakdown_title"] = "Most repeated molecules (canonical SMILES; record = first occurrence)"
        if state["k"] is not None:
            head = state["head"]
            notes["k"] = state["k"]
            if len(head) < state["k"]:
                notes["fewer_than_k"] = f"only {len(head)} valid molecules: unique@{state['k']} uses them all"
            value = len(set(head)) / len(head) if head else None
            secondary = {"unique_all": len(counts) / n_valid if n_valid else None}
        else:
            value = len(counts) / n_valid if n_valid else None
            secondary = {}
        if not n_valid:
            notes["undefined"] = "no valid molecule"
        return MetricResult(value=value, breakdown=rows, secondary=secondary, notes=notes)


@register(id="graph.ext.mol_novelty", name="Molecule novelty (MOSES novelty)", modality="graph", pillar="quality",
          dimension="diversity", section="5.2", direction="higher_better", range=(0.0, 1.0), inputs=(SYN, REAL),
          models=("none",), computation="mergeable", applies=needs_reference_molecules, extension=True)
class MolNovelty(MergeableMetric):
    """Novelty = |U \\ R| / |U|, U the distinct canonical SMILES of the valid generated molecules and R those of
    the reference (training) set (MOSES ``novelty``; section 5.2). Unlike MOSES, which takes the training
    SMILES as given, reference SMILES are canonicalised too (MOSES' own sets are canonical already), and
    invalid reference SMILES are left out and counted. State: both sets (merge = union)."""

    streams = (SYN, REAL)

    def init(self, inputs, models) -> dict[str, Any]:
        return {"inputs": inputs, "gen": {}, "ref": set(), "records": {SYN: 0, REAL: 0},
                "invalid": {SYN: 0, REAL: 0}}

    def update(self, state: dict, role: str, batch) -> dict:
        items = graphs(state["inputs"], batch, role)
        valid = _valid_items(items)
        state["invalid"][role] += len(items) - len(valid)
        if role == REAL:
            state["ref"].update(it.canonical for it in valid)
        else:
            for it in valid:
                state["gen"].setdefault(it.canonical, it.record + state["records"][SYN])
        state["records"][role] += len(items)
        return state

    def merge(self, a: dict, b: dict) -> dict:
        gen = dict(a["gen"])
        for c, r in b["gen"].items():
            gen.setdefault(c, r + a["records"][SYN])
        return {**a, "gen": gen, "ref": a["ref"] | b["ref"],
                "records": {r: a["records"][r] + b["records"][r] for r in (SYN, REAL)},
                "invalid": {r: a["invalid"][r] + b["invalid"][r] for r in (SYN, REAL)}}

    def finalize(self, state: dict, inputs, models) -> MetricResult:
        gen, ref = state["gen"], state["ref"]
        known = sorted((r, c) for c, r in gen.items() if c in ref)
        notes: dict[str, Any] = {"n_unique_valid_synthetic": len(gen), "n_reference_unique": len(ref),
                                 "n_synthetic_invalid": state["invalid"][SYN],
                                 "n_reference_invalid": state["invalid"][REAL], "n_known": len(known),
                                 "definition": "MOSES novelty: share of distinct valid generated molecules "
                                               "(canonical SMILES) absent from the reference set"}
        rows = [{"record": r, "canonical": _snip(c)} for r, c in known[:MAX_ROWS]]
        if rows:
            notes["breakdown_title"] = "Generated molecules already in the reference set (record = first occurrence)"
        if not gen:
            notes["undefined"] = "no valid generated molecule"
            return MetricResult(value=None, notes=notes)
        if not ref:
            notes["empty_reference"] = "the reference set has no valid molecule: every molecule counts as novel"
        return MetricResult(value=(len(gen) - len(known)) / len(gen), breakdown=rows, notes=notes)
