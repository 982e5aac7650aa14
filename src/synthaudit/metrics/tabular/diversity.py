"""Tabular diversity (survey section 4.2): beta-recall, with category and range coverage breakdowns."""
from __future__ import annotations

import numpy as np

from synthaudit.metrics.registry import register
from synthaudit.metrics.result import MetricResult, mean_or_none
from synthaudit.metrics.tabular.features import REAL, SYN, as_float, needs_columns
from synthaudit.metrics.tabular.fidelity import _support_result


@register(id="tabular.beta_recall", name="beta-Recall (R_beta, empirical beta-Rec; Table 1: R_g)", modality="tabular",
          pillar="quality", dimension="diversity", section="4.2", direction="higher_better", range=(0.0, 1.0),
          inputs=("synthetic", "real_reference"), models=("none",), computation="global",
          params={"beta": {"default": "integrated"}, "embedding": {"default": "naive"},
                  "normalisation": {"default": "synthcity"}, "max_rows": {"default": 20_000}},
          applies=needs_columns(total=1))
def beta_recall(inputs, models) -> MetricResult:
    """Share of real rows inside the synthetic beta-support (Alaa et al. 2022; section 4.2), synthcity's k-NN
    estimator (support.py). Breakdowns: category coverage (share of the real categories of each column that
    the synthetic data contain) and range coverage (share of each numerical column's real range that the
    synthetic range covers), as SDMetrics' CategoryCoverage and RangeCoverage."""
    from synthaudit.metrics.tabular.support import support_curves

    params = inputs.params_for("tabular.beta_recall", beta_recall.spec.default_params())
    result = _support_result(support_curves(inputs, params["max_rows"]), "coverage", params)
    rows = coverage_rows(inputs)
    result.breakdown = rows + result.breakdown
    result.secondary["category_coverage"] = mean_or_none([r["coverage"] for r in rows if r["kind"] == "category"])
    result.secondary["range_coverage"] = mean_or_none([r["coverage"] for r in rows if r["kind"] == "range"])
    return result


def coverage_rows(inputs) -> list[dict]:
    real, syn, spec = inputs.frame(REAL), inputs.frame(SYN), inputs.table_spec
    rows = []
    for c in spec.categorical:
        r, s = _labels(real[c]), _labels(syn[c])
        missing = sorted(r - s)
        rows.append({"kind": "category", "column": c, "coverage": len(r & s) / len(r) if r else None,
                     "real_categories": len(r), "missing_examples": missing[:5]})
    for c in spec.numerical:
        r, s = as_float(real[c]), as_float(syn[c])
        r, s = r[~np.isnan(r)], s[~np.isnan(s)]
        if r.size == 0 or s.size == 0:
            rows.append({"kind": "range", "column": c, "coverage": None if r.size == 0 else 0.0})
            continue
        lo, hi = r.min(), r.max()
        if hi == lo:
            cov = float(s.min() <= lo <= s.max())
        else:
            cov = max(0.0, min(hi, s.max()) - max(lo, s.min())) / (hi - lo)
        rows.append({"kind": "range", "column": c, "coverage": float(cov), "real_min": float(lo),
                     "real_max": float(hi), "synthetic_min": float(s.min()), "synthetic_max": float(s.max())})
    return rows


def _labels(series) -> set:
    """The set of a column's non-missing values as text: ``set(series.dropna().astype(str))``; for a
    categorical column (as the audit's coerced tables hold them) its distinct values are converted once each
    rather than row by row."""
    import pandas as pd

    present = series.dropna()
    if isinstance(series.dtype, pd.CategoricalDtype) and len(present):
        return set(pd.Series(present.unique()).astype(str))
    return set(present.astype(str))
