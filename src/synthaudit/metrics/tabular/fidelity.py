"""Tabular fidelity (survey section 4.2): marginal (KST, TVD) and pairwise (Pearson, contingency) errors.

All four follow the survey's error direction (0 = identical, lower is better). SDMetrics and TabSyn
report complements (KSComplement = 1 - KST, TVComplement = 1 - TVD, CorrelationSimilarity =
1 - |drho|/2, ContingencySimilarity = 1 - contingency TVD); the tests convert.
"""
from __future__ import annotations

from collections import Counter
from itertools import combinations

import numpy as np
import pandas as pd

from synthaudit.data.tabular import ColumnType
from synthaudit.metrics.registry import MergeableMetric, register
from synthaudit.metrics.result import MetricResult, mean_or_none
from synthaudit.metrics.tabular.features import (MISSING, REAL, SYN, CategoryCountsMixin, as_float, discretize, marginal_bars, marginal_hist,
                                                  needs_columns, numeric_matrix, real_bin_edges)
from synthaudit.stats.counts import count_pairs, tvd
from synthaudit.stats.ks import ks_statistic
from synthaudit.stats.moments import PairwiseMoments

N_PLOTS = 4  # marginal plots for the worst columns


@register(id="tabular.kst", name="Kolmogorov-Smirnov statistic (KST)", modality="tabular", pillar="quality",
          dimension="fidelity", section="4.2", direction="lower_better", range=(0.0, 1.0),
          inputs=("synthetic", "real_reference"), models=("none",), computation="global",
          applies=needs_columns(numerical=1))
def kst(inputs, models) -> MetricResult:
    """KST = sup_x |F_real(x) - F_syn(x)| per numerical/datetime column, averaged (section 4.2).

    Missing values are dropped on both sides and their shares reported; datetimes compare as timestamps.
    """
    real, syn = inputs.frame(REAL), inputs.frame(SYN)
    spec = inputs.table_spec
    rows, payload = [], {}
    for col in spec.numerical:
        r, s = as_float(real[col]), as_float(syn[col])
        rv, sv = r[~np.isnan(r)], s[~np.isnan(s)]
        row = {"column": col, "type": spec.type_of(col).value, "n_real": int(rv.size), "n_synthetic": int(sv.size),
               "missing_real": _share(r.size - rv.size, r.size), "missing_synthetic": _share(s.size - sv.size, s.size)}
        if rv.size == 0 or sv.size == 0:
            row.update(value=None, skipped="no non-missing values on one side")
        else:
            row["value"] = ks_statistic(rv, sv)
            payload[col] = (rv, sv)
        rows.append(row)
    value = mean_or_none([r["value"] for r in rows if r.get("value") is not None])
    worst = sorted((r for r in rows if r.get("value") is not None), key=lambda r: -r["value"])[:N_PLOTS]
    plots = [marginal_hist(r["column"], *payload[r["column"]],
                           is_datetime=spec.type_of(r["column"]) == ColumnType.DATETIME) for r in worst]
    skipped = [r["column"] for r in rows if r.get("value") is None]
    notes = {"columns": len(rows), "aggregate": "mean over numerical and datetime columns",
             "missing_values": "dropped on both sides; shares in the breakdown"}
    if skipped:
        notes["skipped_columns"] = skipped
    return MetricResult(value=value, breakdown=rows, notes=notes, plots=plots)


@register(id="tabular.tvd", name="Total Variation Distance (TVD)", modality="tabular", pillar="quality",
          dimension="fidelity", section="4.2", direction="lower_better", range=(0.0, 1.0),
          inputs=("synthetic", "real_reference"), models=("none",), computation="mergeable",
          applies=needs_columns(categorical=1))
class TVD(CategoryCountsMixin, MergeableMetric):
    """TVD = 0.5 * sum_w |R(w) - S(w)| per categorical/boolean column over the union of categories,
    averaged (section 4.2). Missing values are a category of their own."""

    def finalize(self, state: dict, inputs, models) -> MetricResult:
        rows = []
        for c in state["columns"]:
            r, s = state[REAL][c], state[SYN][c]
            unseen = [k for k in s if k not in r]
            rows.append({"column": c, "value": tvd(r, s), "categories_real": len(r), "categories_synthetic": len(s),
                         "unseen_in_real": len(unseen), "unseen_examples": [str(u) for u in unseen[:5]],
                         "missing_real": _share(r.get(MISSING, 0), sum(r.values())),
                         "missing_synthetic": _share(s.get(MISSING, 0), sum(s.values()))})
        worst = sorted(rows, key=lambda x: -x["value"])[:N_PLOTS]
        plots = [marginal_bars(w["column"], state[REAL][w["column"]], state[SYN][w["column"]]) for w in worst]
        return MetricResult(value=mean_or_none([r["value"] for r in rows]), breakdown=rows, plots=plots,
                            notes={"columns": len(rows), "aggregate": "mean over categorical and boolean columns",
                                   "missing_values": f"counted as the category {MISSING!r}",
                                   "unseen_categories": "a category on one side only has frequency 0 on the other"})


@register(id="tabular.pearson_score", name="Pearson Score (column-pair correlation error)", modality="tabular",
          pillar="quality", dimension="fidelity", section="4.2", direction="lower_better", range=(0.0, 1.0),
          inputs=("synthetic", "real_reference"), models=("none",), computation="mergeable",
          applies=needs_columns(numerical=2))
class PearsonScore(MergeableMetric):
    """PearsonScore = 0.5 * (1/K) * sum_pairs |rho_real - rho_syn| over numerical pairs (section 4.2).

    K = number of numerical pairs with a defined correlation on both sides; pairs with a constant
    column are skipped and listed. Correlations use pairwise-complete rows (as pandas and SDMetrics).
    """

    streams = (REAL, SYN)

    def init(self, inputs, models) -> dict:
        cols = list(inputs.table_spec.numerical)
        return {"columns": cols, REAL: PairwiseMoments.empty(len(cols)), SYN: PairwiseMoments.empty(len(cols))}

    def update(self, state: dict, role: str, batch: pd.DataFrame) -> dict:
        state[role] = state[role] + PairwiseMoments.from_array(numeric_matrix(batch, state["columns"]))
        return state

    def merge(self, a: dict, b: dict) -> dict:
        return {"columns": a["columns"], REAL: a[REAL] + b[REAL], SYN: a[SYN] + b[SYN]}

    def finalize(self, state: dict, inputs, models) -> MetricResult:
        cols = state["columns"]
        rr, rs = state[REAL].corr(), state[SYN].corr()
        const_r, const_s = state[REAL].constant(), state[SYN].constant()
        rows, skipped = [], []
        for i, j in combinations(range(len(cols)), 2):
            row = {"column_1": cols[i], "column_2": cols[j], "real": _f(rr[i, j]), "synthetic": _f(rs[i, j]),
                   "n_real": int(state[REAL].n[i, j]), "n_synthetic": int(state[SYN].n[i, j])}
            reason = ("constant in real data" if const_r[i, j] else "constant in synthetic data" if const_s[i, j]
                      else "fewer than 2 complete rows" if np.isnan(rr[i, j]) or np.isnan(rs[i, j]) else None)
            if reason:
                row.update(value=None, skipped=reason)
                skipped.append(f"{cols[i]} x {cols[j]}: {reason}")
            else:
                row["value"] = float(abs(rr[i, j] - rs[i, j]) / 2)
            rows.append(row)
        defined = [r["value"] for r in rows if r["value"] is not None]
        notes = {"pairs": len(rows), "K": len(defined), "aggregate": "0.5 * mean |rho_real - rho_syn| over defined pairs",
                 "missing_values": "pairwise-complete rows"}
        if skipped:
            notes["skipped_pairs"] = skipped
        return MetricResult(value=mean_or_none(defined), breakdown=rows, notes=notes)


@register(id="tabular.contingency_score", name="Contingency Score (ContSim; column-pair contingency discrepancy)",
          modality="tabular", pillar="quality", dimension="fidelity", section="4.2", direction="lower_better",
          range=(0.0, 1.0), inputs=("synthetic", "real_reference"), models=("none",), computation="mergeable",
          params={"num_bins": {"default": 10}, "binning": {"default": "equal_width_on_real"}},
          applies=needs_columns(categorical=1, total=2))
class ContingencyScore(MergeableMetric):
    """ContingencyScore = 0.5 * sum_ab |R_ab - S_ab| per pair with at least one categorical column, averaged
    (section 4.2). Numerical columns in mixed pairs are cut into ``num_bins`` equal-width bins over the real
    range (outer bins open, as SDMetrics' discretize_column); missing values are a category of their own."""

    streams = (REAL, SYN)

    def init(self, inputs, models) -> dict:
        spec = inputs.table_spec
        params = inputs.params_for(self.spec.id, self.spec.default_params())
        if params["binning"] != "equal_width_on_real":
            raise ValueError(f"binning {params['binning']!r} is not supported; use 'equal_width_on_real'")
        cats, nums = list(spec.categorical), list(spec.numerical)
        pairs = list(combinations(cats, 2)) + [(c, n) for c in cats for n in nums]
        edges = real_bin_edges(inputs, int(params["num_bins"])) if nums else {}
        return {"pairs": pairs, "edges": edges, "num_bins": int(params["num_bins"]),
                REAL: {p: Counter() for p in pairs}, SYN: {p: Counter() for p in pairs}}

    def update(self, state: dict, role: str, batch: pd.DataFrame) -> dict:
        cache: dict[str, pd.Series] = {}

        def col(name: str) -> pd.Series:
            if name not in cache:
                cache[name] = discretize(batch[name], state["edges"][name]) if name in state["edges"] else batch[name]
            return cache[name]

        for a, b in state["pairs"]:
            state[role][(a, b)].update(count_pairs(col(a), col(b)))
        return state

    def merge(self, a: dict, b: dict) -> dict:
        return {**a, REAL: {p: a[REAL][p] + b[REAL][p] for p in a["pairs"]},
                SYN: {p: a[SYN][p] + b[SYN][p] for p in a["pairs"]}}

    def finalize(self, state: dict, inputs, models) -> MetricResult:
        rows = []
        for a, b in state["pairs"]:
            r, s = state[REAL][(a, b)], state[SYN][(a, b)]
            rows.append({"column_1": a, "column_2": b, "kind": "categorical x numerical" if b in state["edges"]
                         else "categorical x categorical", "value": tvd(r, s), "cells_real": len(r),
                         "cells_synthetic": len(s)})
        return MetricResult(value=mean_or_none([r["value"] for r in rows]), breakdown=rows,
                            notes={"pairs": len(rows), "num_bins": state["num_bins"],
                                   "binning": "equal width over the real range; outer bins open",
                                   "aggregate": "mean over pairs with at least one categorical column",
                                   "missing_values": f"counted as the category {MISSING!r}"})


def _share(part: int, whole: int) -> float:
    return float(part / whole) if whole else 0.0


def _f(x: float) -> float | None:
    return None if x is None or np.isnan(x) else float(x)
