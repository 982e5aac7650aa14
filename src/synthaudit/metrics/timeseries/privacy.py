"""Time-series privacy (the tutorial's sequential data, catalog ``timeseries.dcr``): distance to the closest
training series, against the holdout baseline."""
from __future__ import annotations

import numpy as np

from synthaudit.data.timeseries import series_of
from synthaudit.metrics.registry import register
from synthaudit.metrics.result import MetricResult
from synthaudit.metrics.timeseries.common import MODALITY, SECTION, numeric, overlap_notes, params, undefined

TOP = 5  # closest synthetic series listed


@register(id="timeseries.dcr", name="Distance to closest record for series", modality=MODALITY, pillar="trust",
          dimension="privacy", section=SECTION, direction="target", target_value=0.5, range=(0.0, 1.0),
          inputs=("synthetic", "train", "real_holdout"), computation="global",
          params={"distance": {"default": "euclidean", "options": ["euclidean", "dtw"],
                               "note": "code param: euclidean on aligned windows (channels standardised with the "
                                       "training series) or dtw (dependent multivariate DTW)"},
                  "window": {"default": None, "note": "code param: euclidean window length (default: the shortest "
                                                      "series)"},
                  "dtw_band": {"default": None, "note": "code param: Sakoe-Chiba band for dtw (default: none)"}},
          applies=numeric("train", "real_holdout"))
def dcr(inputs, models) -> MetricResult:
    """Per synthetic series, the distance to the nearest training series; value = the share of synthetic series
    closer to train than to the holdout (ties 1/2, recalibrated to equal set sizes as tabular.dcr): 0.5 = no sign
    of copying, 1 = every series sits on a training series. Secondary: the 5th percentile distance against the
    holdout-to-train baseline and the exact-copy share."""
    from synthaudit.stats.ts_distance import series_dcr

    p = params(inputs, dcr)
    syn = series_of(inputs, "synthetic")
    train = series_of(inputs, "train")
    try:
        res = series_dcr(syn.values, train.values, series_of(inputs, "real_holdout").values,
                         distance=p["distance"], window=p["window"], dtw_band=p["dtw_band"])
    except ValueError as exc:
        return undefined(exc)
    d = res.nearest_distance
    order = [int(i) for i in np.argsort(np.where(np.isnan(d), np.inf, d), kind="stable")[:TOP] if not np.isnan(d[i])]
    rows = [{"series_id": syn.ids[i], "nearest_train_series": train.ids[int(res.nearest_index[i])],
             "distance": float(d[i])} for i in order]
    ratio = res.synthetic_p5 / res.holdout_p5 if res.holdout_p5 > 0 else None
    return MetricResult(value=res.value, breakdown=rows,
                        secondary={"synthetic_p5": res.synthetic_p5, "holdout_p5": res.holdout_p5,
                                   "p5_ratio": ratio, "exact_copy_share": res.exact_copy_share,
                                   "share_unbalanced": res.share_unbalanced},
                        notes={"distance": res.distance, "window": res.window, "dtw_band": res.dtw_band,
                               "left_out": res.left_out,
                               **overlap_notes(inputs),
                               "reading": "0.5 = as close to the training series as unseen real series are; 1 = "
                                          "copies; p5_ratio < 1 = the closest synthetic series sit nearer to "
                                          "training series than real unseen ones do"})
