"""Text diversity (survey section 2.2): type-token ratio, Distinct-n and n-gram entropy.

All three pool the generated corpus (catalog default scope 'corpus'), tokenised with the offline tokeniser
named in ``data.text.TOKENIZER`` (case-folded by default), and are mergeable: the state is exact n-gram
count tables, which add up across batches and shards. Records whose text is missing are counted and left
out. Each batch is tokenised once for all three (``stats.ngrams.batch_tokens``); tokens and n-grams get
exact integer ids in the audit's shared :class:`~synthaudit.stats.ngrams.Vocabulary`, so a count table is
a dense array indexed by n-gram id. Past a size threshold, Distinct-n's set of one n becomes a HyperLogLog
sketch (:mod:`synthaudit.metrics.text.distinct_sketch`).
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from synthaudit.data.text import TOKENIZER
from synthaudit.metrics.registry import MergeableMetric, register
from synthaudit.metrics.result import MetricResult
from synthaudit.metrics.text import distinct_sketch as sketching
from synthaudit.metrics.text.distinct_sketch import HLL_LG_K, LG_K_NOTE, SKETCH_ABOVE, SKETCH_NOTE
from synthaudit.stats.ngrams import TokenBatch, batch_tokens, shared_vocabulary

SYN = "synthetic"


def _as_list(n: Any) -> list[int]:
    ns = [int(x) for x in (n if isinstance(n, (list, tuple)) else [n])]
    if not ns or any(x < 1 for x in ns):
        raise ValueError(f"n must be positive integers, got {n!r}")
    return ns


def add_counts(a: np.ndarray, b: np.ndarray, inplace: bool = False) -> np.ndarray:
    """Sum of two dense count tables indexed by the same ids (zero-padded; ``inplace`` reuses ``a`` when it
    is long enough, growing it geometrically otherwise)."""
    if a.size < b.size or not inplace:
        out = np.zeros(max(b.size, 2 * a.size if inplace else a.size), dtype=np.int64)
        out[:a.size] = a
        a = out
    a[:b.size] += b
    return a


def remap_counts(counts: np.ndarray, mapping: np.ndarray, size: int) -> np.ndarray:
    """A count table moved to another vocabulary's ids (``mapping``: old id -> new id, injective)."""
    out = np.zeros(size, dtype=np.int64)
    out[mapping[:counts.size]] = counts
    return out


class NgramCounts(MergeableMetric):
    """Mergeable n-gram counts of the synthetic corpus (plus per-text sums for the per_text_mean scope)."""

    streams = (SYN,)
    ns_param = "n"

    def ns(self, params: dict) -> list[int]:
        return _as_list(params[self.ns_param]) if self.ns_param else [1]

    def init(self, inputs, models) -> dict:
        params = inputs.params_for(self.spec.id, self.spec.default_params())
        ns = self.ns(params)
        lowercase = bool(params.get("lowercase", True))
        per_text = "scope" in params and _scope(params) == "per_text_mean"
        return {"field": inputs.extra.get("field", "text"), "lowercase": lowercase, "ns": ns,
                "vocab": shared_vocabulary(inputs, lowercase), "per_text_on": per_text,
                "counts": {n: np.zeros(0, dtype=np.int64) for n in ns}, "per_text": {n: [0.0, 0] for n in ns},
                "records": 0, "missing": 0, "empty": 0}

    def update(self, state: dict, role: str, batch: pd.DataFrame) -> dict:
        tb = batch_tokens(batch, state["field"], state["vocab"])
        state["records"] += tb.n_records
        state["missing"] += int(tb.missing.sum())
        state["empty"] += int(((tb.lengths() == 0) & ~tb.missing).sum())
        for n in state["ns"]:
            self.update_n(state, tb, n)
        return state

    def update_n(self, state: dict, tb: TokenBatch, n: int) -> None:
        """Add one batch's n-grams of length ``n`` to the state."""
        state["counts"][n] = add_counts(state["counts"][n], tb.counts(n), inplace=True)
        if state["per_text_on"]:  # per-text ratio of distinct to total n-grams (per_text_mean scope)
            add_per_text(state, n, tb, tb.distinct_per_record(n))

    def merge(self, a: dict, b: dict) -> dict:
        counts_b = b["counts"]
        if b["vocab"] is not a["vocab"]:  # states from another process: move b's ids into a's vocabulary
            maps = a["vocab"].import_ids(b["vocab"], max(a["ns"]))
            counts_b = {n: remap_counts(c, maps[n], a["vocab"].size(n)) for n, c in counts_b.items()}
        return {**a, "counts": {n: add_counts(a["counts"][n], counts_b[n]) for n in a["ns"]},
                "per_text": {n: [a["per_text"][n][0] + b["per_text"][n][0], a["per_text"][n][1] + b["per_text"][n][1]]
                             for n in a["ns"]},
                "records": a["records"] + b["records"], "missing": a["missing"] + b["missing"],
                "empty": a["empty"] + b["empty"]}

    def base_notes(self, state: dict) -> dict[str, Any]:
        notes = {"records": state["records"], "tokenizer": TOKENIZER, "lowercase": state["lowercase"],
                 "tokens": int(state["counts"][1].sum()) if state["ns"][0] == 1 else None}
        if state["missing"]:
            notes["missing_texts"] = f"{state['missing']} record(s) without a text were left out"
        if state["empty"]:
            notes["empty_texts"] = f"{state['empty']} record(s) with no token"
        return notes


def add_per_text(state: dict, n: int, tb: TokenBatch, distinct: np.ndarray) -> None:
    """Add the batch's per-text Distinct-n (distinct / total n-grams of each text with one) to the state."""
    total = tb.ngram_totals(n)
    has = total > 0
    state["per_text"][n][0] += float(np.sum(distinct[has] / total[has]))
    state["per_text"][n][1] += int(has.sum())


def _distinct(state: dict, n: int, scope: str) -> float | None:
    if scope == "per_text_mean":
        total, k = state["per_text"][n]
        return total / k if k else None
    c = state["counts"][n]
    total = int(c.sum())
    return int(np.count_nonzero(c)) / total if total else None


def _scope(params: dict) -> str:
    scope = params.get("scope", "corpus")
    if scope not in ("corpus", "per_text_mean"):
        raise ValueError(f"scope must be 'corpus' or 'per_text_mean', got {scope!r}")
    return scope


@register(id="text.ttr", name="Type-Token Ratio (TTR)", modality="text", pillar="quality", dimension="diversity",
          section="2.2", direction="higher_better", range=(0.0, 1.0), inputs=("synthetic",), models=("none",),
          computation="mergeable", params={"scope": {"default": "corpus"}, "lowercase": {"default": True}})
class TTR(NgramCounts):
    """TTR = |distinct token types| / |tokens| over the pooled corpus (section 2.2); length-dependent:
    compare corpora at equal token counts."""

    ns_param = None

    def finalize(self, state: dict, inputs, models) -> MetricResult:
        scope = _scope(inputs.params_for(self.spec.id, self.spec.default_params()))
        notes = {**self.base_notes(state), "scope": scope, "types": int(np.count_nonzero(state["counts"][1])),
                 "caution": "TTR falls as the corpus grows: compare at equal token counts"}
        return MetricResult(value=_distinct(state, 1, scope), notes=notes)


@register(id="text.distinct_n", name="Distinct-N", modality="text", pillar="quality", dimension="diversity",
          section="2.2", direction="higher_better", range=(0.0, 1.0), inputs=("synthetic",), models=("none",),
          computation="mergeable", params={"n": {"default": [1, 2, 3]}, "scope": {"default": "corpus"},
                                           "lowercase": {"default": True},
                                           "sketch_above": {"default": SKETCH_ABOVE, "note": SKETCH_NOTE},
                                           "hll_lg_k": {"default": HLL_LG_K, "note": LG_K_NOTE}})
class DistinctN(NgramCounts):
    """Distinct-n = |unique n-grams| / |total n-grams| over the pooled corpus (section 2.2, Li et al. 2016);
    the value is the mean over the chosen n, each n in ``secondary`` (distinct_1, distinct_2, ...).

    Exact by default. Past ``sketch_above`` distinct n-grams of one n, that n's exact set becomes a
    HyperLogLog sketch of the n-grams' content hashes (``stats.sketches.DistinctCounter``; relative standard
    error 1.04/sqrt(2**hll_lg_k) on |unique n-grams|; totals stay exact) and the notes say so."""

    def init(self, inputs, models) -> dict:
        state = super().init(inputs, models)
        params = inputs.params_for(self.spec.id, self.spec.default_params())
        return {**state, **sketching.initial(params["sketch_above"], params["hll_lg_k"])}

    def update_n(self, state: dict, tb: TokenBatch, n: int) -> None:
        if n in state["hll"]:
            distinct = sketching.update(state, tb, n)
            if state["per_text_on"]:
                add_per_text(state, n, tb, distinct)
            return
        super().update_n(state, tb, n)
        sketching.convert_if_large(state, n)

    def merge(self, a: dict, b: dict) -> dict:
        ns = set(a["hll"]) | set(b["hll"])
        a, b = sketching.converted(a, ns), sketching.converted(b, ns)
        out = super().merge(a, b)
        return sketching.merged(out, a, b, ns)

    def finalize(self, state: dict, inputs, models) -> MetricResult:
        scope = _scope(inputs.params_for(self.spec.id, self.spec.default_params()))
        per_n = {n: sketching.distinct(state, n) if n in state["hll"] and scope == "corpus"
                 else _distinct(state, n, scope) for n in state["ns"]}
        rows = [{"n": n, "value": v, **sketching.unique_and_total(state, n)} for n, v in per_n.items()]
        defined = [v for v in per_n.values() if v is not None]
        notes = {**self.base_notes(state), "scope": scope, "value": "mean over n of Distinct-n",
                 **sketching.notes(state, scope)}
        return MetricResult(value=sum(defined) / len(defined) if defined else None, breakdown=rows,
                            secondary={f"distinct_{n}": v for n, v in per_n.items()}, notes=notes)


@register(id="text.ent_n", name="n-gram Response Entropy (Ent-n)", modality="text", pillar="quality",
          dimension="diversity", section="2.2", direction="higher_better", range=(0.0, math.inf),
          inputs=("synthetic",), models=("none",), computation="mergeable",
          params={"n": {"default": [1, 2, 3, 4]}, "log_base": {"default": "e"}, "lowercase": {"default": True}})
class EntN(NgramCounts):
    """Ent-n = -sum_g p(g) log p(g) over the n-grams of the pooled corpus (section 2.2), natural log by
    default (``log_base``: e, 2 or 10); the value is the mean over n, each n in ``secondary``."""

    def finalize(self, state: dict, inputs, models) -> MetricResult:
        base = inputs.params_for(self.spec.id, self.spec.default_params())["log_base"]
        log_base = {"e": math.e, 2: 2.0, "2": 2.0, 10: 10.0, "10": 10.0}.get(base)
        if log_base is None:
            raise ValueError(f"log_base must be e, 2 or 10, got {base!r}")
        per_n: dict[int, float | None] = {}
        distinct: dict[int, int] = {}
        for n in state["ns"]:
            c = state["counts"][n]
            c = c[c > 0]
            distinct[n] = int(c.size)
            total = int(c.sum())
            p = c / total if total else c.astype(float)
            per_n[n] = float(-np.sum(p * np.log(p)) / math.log(log_base)) if total else None
        rows = [{"n": n, "value": v, "distinct": distinct[n],
                 "max_possible": math.log(distinct[n]) / math.log(log_base) if distinct[n] else None}
                for n, v in per_n.items()]
        defined = [v for v in per_n.values() if v is not None]
        return MetricResult(value=sum(defined) / len(defined) if defined else None, breakdown=rows,
                            secondary={f"ent_{n}": v for n, v in per_n.items()},
                            notes={**self.base_notes(state), "log_base": str(base), "value": "mean over n of Ent-n"})
