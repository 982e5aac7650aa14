"""Distinct-n past the exact scale (survey section 2.2): an n's exact n-gram set becomes a HyperLogLog sketch.

The state of ``text.distinct_n`` keeps, for each n, either the exact count table (ids of the audit's shared
vocabulary) or, once more than ``sketch_above`` distinct n-grams were seen, a
:class:`~synthaudit.stats.sketches.DistinctCounter` of the n-grams' content hashes
(:mod:`synthaudit.stats.ngram_hashes`, the same in every process) plus the exact n-gram total. Sketched
batches hash n-grams from token positions and intern nothing new. A merge converts an exact side to a sketch
when the other side sketched that n. Per-text Distinct-n (scope per_text_mean) stays exact either way.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from synthaudit.stats import sketches
from synthaudit.stats.ngram_hashes import distinct_per_record, id_hashes, position_hashes
from synthaudit.stats.ngrams import TokenBatch

SKETCH_ABOVE = 5_000_000
HLL_LG_K = 16
SKETCH_NOTE = ("code default: distinct n-grams of one n above which its exact set becomes a HyperLogLog sketch "
               "(needs datasketches: pip install 'synthaudit[scale]'); 0 = always exact")
LG_K_NOTE = "code default: HyperLogLog precision, relative standard error 1.04/sqrt(2**hll_lg_k) (0.41 % at 16)"


def initial(sketch_above: int, lg_k: int) -> dict[str, Any]:
    """The sketch part of a fresh state (nothing sketched yet)."""
    lo, hi = sketches.HLL_LG_K_RANGE
    if int(sketch_above) < 0:
        raise ValueError(f"sketch_above must be >= 0 (0 = always exact), got {sketch_above!r}")
    if not lo <= int(lg_k) <= hi:
        raise ValueError(f"hll_lg_k must be in [{lo}, {hi}], got {lg_k!r}")
    return {"sketch_above": int(sketch_above), "hll_lg_k": int(lg_k), "hll": {}, "hll_totals": {},
            "sketch_unavailable": False}


def to_sketch(state: dict, n: int) -> None:
    """Replace n's exact count table by a HyperLogLog of its n-grams (in place)."""
    counts = state["counts"][n]
    present = np.flatnonzero(counts)
    state["hll"][n] = sketches.DistinctCounter(state["hll_lg_k"]).update_hashes(id_hashes(state["vocab"], n)[present])
    state["hll_totals"][n] = int(counts.sum())
    state["counts"][n] = np.zeros(0, dtype=np.int64)


def convert_if_large(state: dict, n: int) -> None:
    """Sketch n when its exact set holds more than ``sketch_above`` n-grams (and datasketches is installed)."""
    above, counts = state["sketch_above"], state["counts"][n]
    if not above or counts.size <= above or np.count_nonzero(counts) <= above:
        return
    if not sketches.available():
        state["sketch_unavailable"] = True
        return
    to_sketch(state, n)


def update(state: dict, tb: TokenBatch, n: int) -> np.ndarray:
    """Add a batch's n-grams to n's sketch; returns the distinct n-grams of each record."""
    hashes, record = position_hashes(tb, n)
    state["hll"][n].update_hashes(hashes)
    state["hll_totals"][n] += int(hashes.size)
    return distinct_per_record(hashes, record, tb.n_records) if state["per_text_on"] else np.zeros(0, np.int64)


def converted(state: dict, ns: set[int]) -> dict:
    """``state``, or a copy with every n of ``ns`` sketched (the input is left unchanged)."""
    missing = [n for n in ns if n not in state["hll"]]
    if not missing:
        return state
    out = {**state, "counts": dict(state["counts"]), "hll": dict(state["hll"]), "hll_totals": dict(state["hll_totals"])}
    for n in missing:
        to_sketch(out, n)
    return out


def merged(out: dict, a: dict, b: dict, ns: set[int]) -> dict:
    """The sketch part of the merge of ``a`` and ``b`` (``out``: their merged exact part)."""
    out = {**out, "hll": {n: a["hll"][n].merge(b["hll"][n]) for n in ns},
           "hll_totals": {n: a["hll_totals"][n] + b["hll_totals"][n] for n in ns},
           "sketch_unavailable": a["sketch_unavailable"] or b["sketch_unavailable"],
           "counts": {n: np.zeros(0, dtype=np.int64) if n in ns else c for n, c in out["counts"].items()}}
    for n in out["ns"]:
        if n not in ns:
            convert_if_large(out, n)
    return out


def distinct(state: dict, n: int) -> float | None:
    """Corpus Distinct-n of a sketched n: estimated unique / exact total."""
    total = state["hll_totals"][n]
    return state["hll"][n].estimate() / total if total else None


def unique_and_total(state: dict, n: int) -> dict[str, Any]:
    """Breakdown columns of one n (the unique count is an estimate, rounded, when n is sketched)."""
    if n in state["hll"]:
        return {"unique": int(round(state["hll"][n].estimate())), "total": state["hll_totals"][n],
                "approximate": "hll"}
    return {"unique": int(np.count_nonzero(state["counts"][n])), "total": int(state["counts"][n].sum())}


def notes(state: dict, scope: str) -> dict[str, Any]:
    """Notes on the sketches: which n are approximate and the error bound (empty when all is exact)."""
    out: dict[str, Any] = {}
    if state["sketch_unavailable"]:
        out["sketch"] = (f"exact although an n has more than {state['sketch_above']:,} distinct n-grams: "
                         "datasketches is not installed (pip install 'synthaudit[scale]')")
    if not state["hll"]:
        return out
    ns = sorted(state["hll"])
    rse = sketches.hll_relative_standard_error(state["hll_lg_k"])
    out["approximate"] = (f"hll, lg_k={state['hll_lg_k']}, relative standard error={rse:.2%} on the unique "
                          f"n-grams of n={','.join(map(str, ns))} (more than {state['sketch_above']:,} distinct); "
                          f"3 standard errors = {3 * rse:.2%}; totals exact")
    if scope == "per_text_mean":
        out["approximate"] += "; the per_text_mean values are exact, only the breakdown's unique counts are estimates"
    if 1 in state["hll"] and state["ns"][0] == 1:
        out["tokens"] = state["hll_totals"][1]
    return out
