"""Higher-order fidelity (survey section 4.2, an extension beyond the catalog): three-way binned TVD.

``tabular.ext.trivariate_tvd`` extends the pairwise contingency score (tabular.contingency_score) to column
triples: numbers are cut into the same equal-width bins over the real range (features.real_bin_edges,
``num_bins``), missing values are a category of their own, and TVD = 0.5 * sum |R(a,b,c) - S(a,b,c)| over the
union of cells of each triple. mostlyai-qa reports the complement as 'trivariate accuracy' (1 - TVD, on its own
quantile bins), given here in the secondary ``accuracy``.
"""
from __future__ import annotations

import hashlib
import math
from collections import Counter
from itertools import combinations

import numpy as np
import pandas as pd

from synthaudit.metrics.registry import MergeableMetric, register
from synthaudit.metrics.result import MetricResult, mean_or_none
from synthaudit.metrics.tabular.features import (MISSING, REAL, REAL_RANGES, SYN, discretize, needs_columns,
                                                  real_bin_edges)
from synthaudit.stats.counts import CodedCounts, category_codes, count_tuples, merge_counts, tvd

HOLD = "real_holdout"
#: up to this many triples are enumerated and ranked by a seeded hash; wider tables draw triples at random
ENUMERATE_TRIPLES = 200_000


def _rank(seed: int, names: tuple[str, ...]) -> bytes:
    key = "\x1f".join([str(seed), *sorted(names)])
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).digest()


def sample_triples(columns: list[str], max_triples: int | None, seed: int) -> tuple[list[tuple[str, str, str]], int]:
    """(the compared triples, the number of triples there are). All triples when there are at most
    ``max_triples``; else the ``max_triples`` triples with the smallest seeded hash of their (sorted) names, or,
    for a table with more than ENUMERATE_TRIPLES triples, distinct triples drawn by a generator seeded with
    ``seed`` over the columns sorted by name. Either way the sample depends on the seed and the column names,
    not on the column order; each triple keeps the table order of its columns."""
    n = len(columns)
    total = math.comb(n, 3)
    position = {c: i for i, c in enumerate(columns)}

    def ordered(t) -> tuple[str, str, str]:
        return tuple(sorted(t, key=position.__getitem__))  # type: ignore[return-value]

    if not max_triples or total <= max_triples:
        return list(combinations(columns, 3)), total
    k = int(max_triples)
    if total <= ENUMERATE_TRIPLES:
        chosen = sorted(combinations(columns, 3), key=lambda t: _rank(seed, t))[:k]
    else:
        names = sorted(columns)
        rng = np.random.default_rng(seed)
        seen: set[tuple[int, ...]] = set()
        while len(seen) < k:
            seen.add(tuple(sorted(rng.choice(n, size=3, replace=False).tolist())))
        chosen = [tuple(names[i] for i in t) for t in seen]
    return sorted((ordered(t) for t in chosen), key=lambda t: tuple(position[c] for c in t)), total


def count_triples(a: pd.Series, b: pd.Series, c: pd.Series) -> Counter:
    """Counts of each (a, b, c) value triple, missing values counted under ``MISSING``; vectorised on codes."""
    return count_tuples(a, b, c)


@register(id="tabular.ext.trivariate_tvd", name="Trivariate TVD (three-way binned contingency discrepancy)",
          modality="tabular", pillar="quality", dimension="fidelity", section="4.2", direction="lower_better",
          range=(0.0, 1.0), inputs=("synthetic", "real_reference"), models=("none",), computation="mergeable",
          params={"max_triples": {"default": 100}, "num_bins": {"default": 10}},
          applies=needs_columns(total=3), extension=True)
class TrivariateTVD(MergeableMetric):
    """Trivariate TVD = 0.5 * sum_abc |R_abc - S_abc| per column triple over the union of cells, averaged over a
    seeded sample of at most ``max_triples`` triples (section 4.2; an extension beyond the catalog). Numerical and
    datetime columns are cut into ``num_bins`` equal-width bins over the real range (outer bins open; the bins of
    tabular.contingency_score); missing values are a category of their own. Lower is better (0 = every sampled
    three-way table identical); secondary ``accuracy`` = 1 - value (mostlyai-qa's trivariate accuracy). With a real
    holdout, ``holdout_value`` is the same TVD between holdout and real rows: the sampling-noise floor to compare
    with."""

    streams = (REAL, SYN)
    prepasses = (REAL_RANGES.key,)  # the bin edges of numerical columns

    def init(self, inputs, models) -> dict:
        spec = inputs.table_spec
        params = inputs.params_for(self.spec.id, self.spec.default_params())
        num_bins, max_triples = int(params["num_bins"]), params["max_triples"]
        compared = set(spec.numerical) | set(spec.categorical)
        columns = [c for c in spec.names() if c in compared]
        triples, total = sample_triples(columns, int(max_triples) if max_triples else None, inputs.seed)
        used = {c for t in triples for c in t}
        edges = {c: e for c, e in real_bin_edges(inputs, num_bins).items() if c in used} if spec.numerical else {}
        return {"triples": triples, "total": total, "edges": edges, "num_bins": num_bins,
                "max_triples": max_triples, "seed": inputs.seed,
                REAL: CodedCounts(triples), SYN: CodedCounts(triples)}

    def update(self, state: dict, role: str, batch: pd.DataFrame) -> dict:
        if role not in state:  # the real holdout, counted at finalize
            state[role] = CodedCounts(state["triples"])
        edges, counts = state["edges"], state[role]  # each column binned and coded once per batch
        counts.update({c: category_codes(discretize(batch[c], edges[c]) if c in edges else batch[c])
                       for c in counts.columns})
        return state

    def merge(self, a: dict, b: dict) -> dict:
        return merge_counts(a, b, "triples", (REAL, SYN))

    def finalize(self, state: dict, inputs, models) -> MetricResult:
        if HOLD in inputs.tables and HOLD not in state:  # the baseline: real holdout vs real, on the same triples
            for batch in inputs.batches(HOLD):
                state = self.update(state, HOLD, batch)
        rows = []
        real, syn = state[REAL].counters(), state[SYN].counters()
        hold = state[HOLD].counters() if HOLD in state else None
        for t in state["triples"]:
            r, s = real[t], syn[t]
            row = {"column_1": t[0], "column_2": t[1], "column_3": t[2],
                   "binned": [c for c in t if c in state["edges"]], "value": tvd(r, s),
                   "cells_real": len(r), "cells_synthetic": len(s),
                   "cells_synthetic_unseen_in_real": sum(1 for k in s if k not in r)}
            if hold is not None:
                row["holdout_value"] = tvd(r, hold[t])
            rows.append(row)
        rows.sort(key=lambda row: -row["value"])  # worst first (stable: ties keep the table order)
        value = mean_or_none([row["value"] for row in rows])
        n, total = len(rows), state["total"]
        sample = (f"all {total} column triples" if n == total else
                  f"{n} of {total} column triples: a seeded sample (seed {state['seed']}, max_triples="
                  f"{state['max_triples']}), ranked by a hash of the seed and the column names"
                  + ("" if total <= ENUMERATE_TRIPLES else ", drawn at random over the columns sorted by name"))
        notes = {"triples": sample, "seed": state["seed"], "num_bins": state["num_bins"],
                 "binning": "numerical and datetime columns: equal width over the real range, outer bins open "
                            "(the bins of tabular.contingency_score)",
                 "aggregate": "mean over the compared triples; breakdown worst first",
                 "missing_values": f"counted as the category {MISSING!r}",
                 "accuracy": "secondary accuracy = 1 - value (mostlyai-qa's 'trivariate accuracy' convention; "
                             "mostlyai-qa bins by quantiles and caps categories, so its numbers differ)",
                 "reading": "TVD over many sparse cells is positive even for two samples of one distribution: "
                            "compare with a holdout's value, not with 0"}
        secondary: dict[str, float | None] = {"accuracy": None if value is None else 1.0 - value}
        if rows:
            secondary["worst_triple"] = rows[0]["value"]
            secondary["median_triple"] = float(np.median([row["value"] for row in rows]))
        if HOLD in state and rows:
            base = mean_or_none([row["holdout_value"] for row in rows])
            secondary.update(holdout_value=base, holdout_accuracy=None if base is None else 1.0 - base)
            notes["baseline"] = ("holdout_value: the same TVD between the real holdout and the real rows on the same "
                                 "triples (mostlyai-qa's trivariate_max is its complement); it depends on the sample "
                                 "sizes, so compare it when the synthetic and holdout tables have similar sizes")
        return MetricResult(value=value, breakdown=rows, secondary=secondary, notes=notes)


__all__ = ["TrivariateTVD", "sample_triples", "count_triples"]
