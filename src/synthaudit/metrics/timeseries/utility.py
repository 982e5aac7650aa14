"""Time-series utility (the tutorial's sequential data, catalog ``timeseries.predictive_score``): train on
synthetic, test on real (TSTR) one-step-ahead forecasting, with the train-on-real baseline (TRTR) beside it."""
from __future__ import annotations

from synthaudit.data.timeseries import series_of
from synthaudit.metrics.registry import register
from synthaudit.metrics.result import MetricResult
from synthaudit.metrics.timeseries.common import MODALITY, SECTION, numeric, params, torch_pinned, undefined


@register(id="timeseries.predictive_score", name="Predictive score (train on synthetic, test on real)",
          modality=MODALITY, pillar="quality", dimension="utility", section=SECTION, direction="lower_better",
          range=(0.0, float("inf")), inputs=("synthetic", "real_reference", "real_holdout"),
          models=("downstream_learner",), computation="global",
          params={"family": {"default": "auto", "options": ["auto", "gru", "ridge", "gbm"],
                             "note": "code param: gru (torch) or ridge / gbm on lag windows; auto = gru when torch "
                                     "is installed, else ridge"},
                  "iterations": {"default": 500, "note": "code param: gru training steps"},
                  "window": {"default": 4, "note": "code param: ridge / gbm lag window"}},
          applies=numeric("real_reference", "real_holdout"))
def predictive(inputs, models) -> MetricResult:
    """MAE of a one-step-ahead forecaster (every channel at t from the steps before) trained on the synthetic
    series (TSTR) and, as the baseline, on the real reference series (TRTR), both tested on the real holdout;
    values min-max scaled with the holdout's range so both share one scale. Value: the TSTR MAE; the gap to TRTR
    is what the synthetic data cost."""
    from synthaudit.stats.ts_learners import predictive_score, resolve_family

    p = params(inputs, predictive)
    syn, real, hold = (series_of(inputs, r).values for r in ("synthetic", "real_reference", "real_holdout"))
    try:
        used = resolve_family(p["family"], ("gru", "ridge", "gbm"), "ridge")
        hyper = {"iterations": p["iterations"]} if used == "gru" else {"window": p["window"]}
        run = torch_pinned(used, predictive_score)
        tstr = run(syn, hold, family=used, seed=int(inputs.seed), scale_from=hold, **hyper)
        trtr = run(real, hold, family=used, seed=int(inputs.seed), scale_from=hold, **hyper)
    except ValueError as exc:
        return undefined(exc)
    return MetricResult(value=tstr.mae, secondary={"trtr_mae": trtr.mae, "gap_to_trtr": tstr.mae - trtr.mae},
                        breakdown=[{"trained_on": "synthetic (TSTR)", "mae": tstr.mae, "series": tstr.n_train},
                                   {"trained_on": "real (TRTR)", "mae": trtr.mae, "series": trtr.n_train}],
                        notes={"forecaster": tstr.family, "params": tstr.params, "test": f"{tstr.n_test} real "
                               f"holdout series ({tstr.n_targets} forecast values)",
                               "scale": "each channel min-max scaled with the holdout's range (MAE in those units)"})
