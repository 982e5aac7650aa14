"""Nearest-neighbour distance ratio (privacy, survey section 4.3; an extension beyond the catalog).

NNDR(s) = d_1(s) / d_2(s): the distance of a synthetic row to its nearest training row over the distance to its
second-nearest training row, in the encoding and with the distance of tabular.dcr (privacy.py: the shared
encoded tables, the catalog distance names, the exact knn kernel, the seeded query sample). A low NNDR means the
row sits much closer to one training row than to any other, i.e. it may reveal that row; rows in dense regions
have NNDR near 1.

Conventions of other tools: SynthEval's ``nndr`` reports the mean of d_1 / (d_2 + 1e-16) (0/0 reads 0) and, with
a holdout, the difference of the holdout's mean (holdout rows vs the synthetic rows); mostlyai-qa reports the
10th smallest of (d_1 + 1e-8) / (d_2 + 1e-8) (0/0 reads 1) on samples of equal size, for synthetic -> training
and, as the baseline, holdout -> training. Here the value is the MEDIAN (robust and independent of the sample
size); the mean, the 5th percentile and the 10th smallest are secondary.
"""
from __future__ import annotations

import math

import numpy as np

from synthaudit.metrics.registry import register
from synthaudit.metrics.result import MetricResult
from synthaudit.metrics.tabular.features import canonical_order, needs_columns
from synthaudit.metrics.tabular.privacy import (_CODE_SPEC, HOLD, SYN, TRAIN, _cap, _dist_row, _distance,
                                                _distance_note, _encoding, _hist, _n_query, _params, _quantiles,
                                                _sampling_note, _summary_quantiles)
from synthaudit.stats.neighbors import knn


def _two_nearest(inputs, query: str, p: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    """(the first n rows of ``canonical_order(query)``, their distances (n, 2) to the two nearest train rows);
    cached per audit (a shorter sample is a prefix of a longer one)."""
    store = inputs.features.get(f"tabular.privacy.knn2[{query}->{TRAIN}|p={p}|{inputs.seed}]", dict)
    if store.get("n", -1) < n:
        _, tables = _encoding(inputs)
        rows = canonical_order(inputs, query)[:n]
        q, r = tables[query].take(rows), tables[TRAIN]
        dist, _ = knn(q.num, q.cat, r.num, r.cat, k=2, p=p)
        store.update(n=n, rows=rows, dist=dist)
    return store["rows"][:n], store["dist"][:n]


def ratios(dist: np.ndarray) -> np.ndarray:
    """d_1 / d_2 per row; 0 when d_1 = d_2 = 0 (an exact copy of a row that is duplicated in the reference)."""
    d1, d2 = dist[:, 0], dist[:, 1]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(d2 > 0, d1 / np.where(d2 > 0, d2, 1.0), 0.0)


def _summary(prefix: str, r: np.ndarray, dist: np.ndarray, qs: list[float]) -> dict[str, float | None]:
    return {f"{prefix}median": float(np.median(r)), f"{prefix}mean": float(r.mean()),
            **{f"{prefix}{k}": v for k, v in _quantiles(r, qs).items()},
            f"{prefix}tenth_smallest": float(np.sort(r)[9]) if r.size >= 10 else None,
            f"{prefix}exact_copy_share": float(np.mean(dist[:, 0] == 0)),
            f"{prefix}zero_over_zero_share": float(np.mean(dist[:, 1] == 0))}


@register(id="tabular.ext.nndr", name="Nearest-neighbour distance ratio (NNDR), synthetic to train",
          modality="tabular", pillar="trust", dimension="privacy", section="4.3", direction="report_only",
          range=(0.0, 1.0), inputs=("synthetic", "train"), models=("none",), computation="global",
          params={"distance": {"default": "l1_minmax_onehot"}, "summary_quantiles": {"default": [0.05, 0.5]},
                  **_CODE_SPEC},
          applies=needs_columns(total=1), extension=True)
def nndr(inputs, models) -> MetricResult:
    """NNDR(s) = d_1(s) / d_2(s), the distances of a synthetic row to its nearest and second-nearest training rows
    (tabular.dcr's encoding and distance; section 4.3, an extension beyond the catalog). Value: the median NNDR of
    the synthetic rows (0 = exact copies, near 1 = rows in dense regions; low values mean rows that single out one
    training record). 0/0 (an exact copy of a row duplicated in train) reads 0, as in SynthEval. With a holdout,
    the holdout rows' NNDR to train is the baseline (secondary ``holdout_*``, ``share_below_holdout_p5``). Record
    scores: per-synthetic-row NNDR (NaN when the row was not sampled).
    """
    params = _params(inputs, nndr.spec)
    encoder, _ = _encoding(inputs)
    p, div = _distance(params["distance"], encoder)
    qs = _summary_quantiles(params)
    cap = _cap(params)
    n_train, n_syn = len(inputs.frame(TRAIN)), len(inputs.frame(SYN))
    notes = {"value": "median over synthetic rows of d_1 / d_2 (distances to the nearest and second-nearest "
                      "training rows); low = a synthetic row singles out one training row",
             "zero_over_zero": "d_1 = d_2 = 0 (an exact copy of a training row that occurs twice or more) reads "
                               "0, an exact copy (SynthEval's convention; mostlyai-qa's smoothing reads it 1)",
             "distance": _distance_note(params["distance"], p, div) + "; the ratio does not depend on Gower's "
                         "divisor",
             "conventions": "SynthEval reports the mean (secondary 'mean'); mostlyai-qa the 10th smallest value "
                            "on equal-size samples (secondary 'tenth_smallest', which depends on the sample size)"}
    if n_train < 2:
        notes["undefined"] = f"needs at least 2 training rows (a second neighbour), have {n_train}"
        return MetricResult(value=None, notes=notes)
    if n_syn == 0:
        notes["undefined"] = "no synthetic rows"
        return MetricResult(value=None, notes=notes)
    rows, dist = _two_nearest(inputs, SYN, p, _n_query(inputs, SYN, cap))
    r = ratios(dist)
    scores = np.full(n_syn, np.nan)
    scores[rows] = r
    secondary = _summary("", r, dist, qs)
    breakdown = [{**_dist_row("synthetic -> train", r, qs, n_syn),
                  "zero_over_zero_share": float(np.mean(dist[:, 1] == 0))}]
    notes["synthetic_rows"] = _sampling_note(inputs, SYN, len(rows), cap)
    notes["reference_rows"] = f"all {n_train} train rows"
    plots = []
    if HOLD in inputs.tables and len(inputs.frame(HOLD)):
        hrows, hdist = _two_nearest(inputs, HOLD, p, _n_query(inputs, HOLD, cap))
        h = ratios(hdist)
        secondary.update(_summary("holdout_", h, hdist, qs))
        p5 = float(np.quantile(h, 0.05))
        secondary["share_below_holdout_p5"] = float(np.mean(r < p5))
        secondary["median_minus_holdout_median"] = secondary["median"] - secondary["holdout_median"]
        breakdown.append({**_dist_row("holdout -> train (baseline)", h, qs, len(inputs.frame(HOLD))),
                          "zero_over_zero_share": float(np.mean(hdist[:, 1] == 0))})
        notes["holdout_rows"] = _sampling_note(inputs, HOLD, len(hrows), cap)
        notes["baseline"] = ("holdout rows' NNDR to train (mostlyai-qa's nndr_trn_hol); share_below_holdout_p5 is "
                             "the share of synthetic rows below the holdout's 5th percentile (about 0.05 when "
                             "the synthetic rows are as novel as unseen real rows)")
        plots.append(_hist("Nearest-neighbour distance ratio", h, r,
                           {"real": "holdout → train", "synthetic": "synthetic → train"}, "d1 / d2"))
    else:
        notes["baseline"] = "no holdout: give one (--holdout) for the real baseline"
    notes["exact_copy"] = "NNDR = 0 exactly when d_1 = 0: equal in every compared column (missing matches missing)"
    value = float(np.median(r))
    return MetricResult(value=value if math.isfinite(value) else None, breakdown=breakdown, record_scores=scores,
                        secondary=secondary, notes=notes, plots=plots)
