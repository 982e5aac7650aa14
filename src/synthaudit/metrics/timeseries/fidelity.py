"""Time-series fidelity (the tutorial's sequential data, catalog ``timeseries.*``): per-channel marginal KS,
autocorrelation and cross-correlation distances, TimeGAN's discriminative score; extensions: length distribution
similarity and spectral (periodogram) distance."""
from __future__ import annotations

import numpy as np

from synthaudit.data.timeseries import batch_values, series_of
from synthaudit.metrics.registry import MergeableMetric, register
from synthaudit.metrics.result import MetricResult
from synthaudit.metrics.timeseries.common import (MODALITY, SECTION, numeric, params, torch_pinned, undefined,
                                                 values)
from synthaudit.stats.timeseries import AcfState, CorrState, length_similarity, marginal_ks, spectral_distance

REAL, SYN = "real_reference", "synthetic"


def _channels(inputs) -> list[str]:
    return list(inputs.extra.get("channels") or [])


class SideStateMetric(MergeableMetric):
    """A mergeable metric whose state (:class:`AcfState`, :class:`CorrState`) takes each batch's series with
    ``add(series, side)`` and merges with ``merge``; subclasses give ``init`` and ``finalize``."""

    streams = (REAL, SYN)

    def update(self, state, role: str, batch):
        return state.add(batch_values(batch), "real" if role == REAL else "synthetic")

    def merge(self, a, b):
        return a.merge(b)


@register(id="timeseries.marginal_ks", name="Per-channel marginal Kolmogorov-Smirnov statistic", modality=MODALITY,
          pillar="quality", dimension="fidelity", section=SECTION, direction="lower_better", range=(0.0, 1.0),
          inputs=("synthetic", "real_reference"), computation="global", applies=numeric("real_reference"))
def ks(inputs, models) -> MetricResult:
    """Per channel, KS = sup_x |F_real(x) - F_syn(x)| over every time step of every series pooled (scipy's
    ks_2samp); value = the mean over channels, per channel in the breakdown. Ignores temporal order by design."""
    try:
        value, per = marginal_ks(values(inputs, REAL), values(inputs, SYN))
    except ValueError as exc:
        return undefined(exc)
    names = _channels(inputs)
    return MetricResult(value=value, breakdown=[{"channel": n, "ks": v} for n, v in zip(names, per)],
                        secondary={"worst_channel_ks": max(per)},
                        notes={"pooled": "all time steps of all series per channel (NaN dropped); order ignored"})


@register(id="timeseries.acf_distance", name="Autocorrelation preservation (ACF distance)", modality=MODALITY,
          pillar="quality", dimension="fidelity", section=SECTION, direction="lower_better", range=(0.0, 2.0),
          inputs=("synthetic", "real_reference"), computation="mergeable", params={"max_lag": {"default": 10}},
          applies=numeric("real_reference"))
class AcfDistanceMetric(SideStateMetric):
    """Per channel, the mean ACF over series for lags 1..max_lag on each side (statsmodels' biased estimator);
    ACF_dist = mean over channels and lags of |acf_real(l) - acf_syn(l)|. Series shorter than max_lag + 2, with a
    missing value or constant are skipped and counted. State: per side and channel, the sum of ACF vectors and
    the number of series (so batches and shards merge exactly)."""

    def init(self, inputs, models) -> AcfState:
        lag = params(inputs, self)["max_lag"]
        if isinstance(lag, bool) or not isinstance(lag, (int, np.integer)) or lag < 1:
            raise ValueError(f"timeseries.acf_distance: max_lag must be a positive integer, got {lag!r}")
        return AcfState(int(lag))

    def finalize(self, state: AcfState, inputs, models) -> MetricResult:
        try:
            res = state.result()
        except ValueError as exc:
            return undefined(exc)
        names = _channels(inputs)
        return MetricResult(value=res.value, breakdown=[{"channel": n, "acf_distance": v}
                                                        for n, v in zip(names, res.per_channel)],
                            notes={"max_lag": state.nlags, "estimator": "biased ACF (statsmodels acf, adjusted=False)",
                                   "skipped_series_channels": res.skipped,
                                   "skipped_when": f"shorter than {state.nlags + 2} steps, a missing value, or "
                                                   "constant"})


@register(id="timeseries.cross_corr_diff", name="Cross-channel correlation difference", modality=MODALITY,
          pillar="quality", dimension="fidelity", section=SECTION, direction="lower_better", range=(0.0, 1.0),
          inputs=("synthetic", "real_reference"), computation="mergeable", applies=numeric("real_reference"))
class CrossCorrMetric(SideStateMetric):
    """Pearson correlation matrix between channels with every time step pooled (a step with a missing channel is
    dropped) on each side; value = 0.5 * mean over pairs i < j of |rho_real - rho_syn|. One channel: a gap.
    State: per side, the count, sums and sums of products of the complete steps."""

    def init(self, inputs, models) -> CorrState:
        return CorrState()

    def finalize(self, state: CorrState, inputs, models) -> MetricResult:
        try:
            res = state.result()
        except ValueError as exc:
            return undefined(exc)
        if res.value is None:
            return undefined(ValueError(res.reason))
        names = _channels(inputs)
        rows = [{"channel_a": names[i] if i < len(names) else i, "channel_b": names[j] if j < len(names) else j,
                 "abs_diff": v} for (i, j), v in res.per_pair.items()]
        return MetricResult(value=res.value, breakdown=rows,
                            secondary={"worst_pair_abs_diff": max(res.per_pair.values())},
                            notes={"pooling": "every time step of every series; steps with a missing channel dropped"})


@register(id="timeseries.ext.length_similarity", name="Length distribution similarity (1 - KS of lengths)",
          modality=MODALITY, pillar="quality", dimension="fidelity", section=SECTION, direction="higher_better",
          range=(0.0, 1.0), inputs=("synthetic", "real_reference"), computation="global", extension=True,
          applies=numeric("real_reference"))
def lengths(inputs, models) -> MetricResult:
    """1 - KS statistic between the real and synthetic series lengths (1 = the same length distribution)."""
    try:
        value = length_similarity(values(inputs, REAL), values(inputs, SYN))
    except ValueError as exc:
        return undefined(exc)
    lr, ls = series_of(inputs, REAL).lengths(), series_of(inputs, SYN).lengths()
    return MetricResult(value=value, secondary={"real_median_length": float(np.median(lr)),
                                                "synthetic_median_length": float(np.median(ls))})


@register(id="timeseries.ext.spectral_distance", name="Spectral (periodogram) distance", modality=MODALITY,
          pillar="quality", dimension="fidelity", section=SECTION, direction="lower_better", range=(0.0, 1.0),
          inputs=("synthetic", "real_reference"), computation="global", extension=True,
          params={"nfft": {"default": None, "note": "code param: FFT length (default: the longest series)"}},
          applies=numeric("real_reference"))
def spectral(inputs, models) -> MetricResult:
    """Per channel, the total variation between the mean normalised periodograms (scipy.signal.periodogram,
    power as a distribution over frequencies) of the real and synthetic series; value = the mean over channels."""
    p = params(inputs, spectral)
    try:
        res = spectral_distance(values(inputs, REAL), values(inputs, SYN), nfft=p["nfft"])
    except ValueError as exc:
        return undefined(exc)
    names = _channels(inputs)
    return MetricResult(value=res.value, breakdown=[{"channel": n, "spectral_distance": v}
                                                    for n, v in zip(names, res.per_channel)],
                        notes={"nfft": res.nfft, "skipped_series_channels": res.skipped})


@register(id="timeseries.discriminative_score", name="Discriminative score (TimeGAN)", modality=MODALITY,
          pillar="quality", dimension="fidelity", section=SECTION, direction="lower_better", range=(0.0, 0.5),
          inputs=("synthetic", "real_reference"), models=("downstream_learner",), computation="global",
          params={"family": {"default": "auto", "options": ["auto", "gru", "gbm"],
                             "note": "code param: gru (TimeGAN's post-hoc GRU, torch) or gbm (gradient boosting on "
                                     "summary features); auto = gru when torch is installed"},
                  "test_share": {"default": 0.2, "note": "code param: TimeGAN's 80/20 split, stratified by side"},
                  "iterations": {"default": 500, "note": "code param: gru training steps"},
                  "hidden_dim": {"default": None, "note": "code param: gru units (default max(16, channels // 2))"},
                  "max_iter": {"default": 100, "note": "code param: gbm boosting iterations"}},
          applies=numeric("real_reference"))
def discriminative(inputs, models) -> MetricResult:
    """TimeGAN's discriminative score: a classifier trained to tell real from synthetic series on a seeded 80/20
    split; value = |test accuracy - 0.5| (0: indistinguishable, 0.5: always told apart). The classifier family
    is recorded; the breakdown lists the held-out synthetic series it was surest were synthetic."""
    from synthaudit.stats.ts_learners import discriminative_score, resolve_family

    p = params(inputs, discriminative)
    real_set, syn_set = series_of(inputs, REAL), series_of(inputs, SYN)
    family = p["family"]
    try:
        used = resolve_family(family, ("gru", "gbm"), "gbm")  # the family actually used decides the hyper-parameters
        hyper = ({"iterations": p["iterations"], "hidden_dim": p["hidden_dim"]} if used == "gru"
                 else {"max_iter": p["max_iter"]})
        res = torch_pinned(used, discriminative_score)(real_set.values, syn_set.values, family=used,
                                                        seed=int(inputs.seed), test_share=p["test_share"], **hyper)
    except ValueError as exc:
        return undefined(exc)
    rows = [{"kind": "most_fake", "series_id": syn_set.ids[i], "p_synthetic": prob} for i, prob in res.most_fake(5)]
    extra = {}
    if res.accuracy < 0.5 - 0.1:
        extra["below_chance"] = ("the classifier is right less often than chance: it learnt the training series and "
                                 "inverts on held-out series that copy them (synthetic series that copy real ones; "
                                 "see timeseries.dcr). |accuracy - 0.5| counts this as distinguishable, as TimeGAN")
    return MetricResult(value=res.value, breakdown=rows,
                        secondary={"accuracy": res.accuracy,
                                   "synthetic_caught": float(np.mean(res.syn_test_proba > 0.5)),
                                   "real_caught": float(np.mean(res.real_test_proba <= 0.5))
                                   if res.real_test_proba.size else None},
                        notes={"classifier": res.family, "params": res.params, "n_train": res.n_train,
                               "n_test": res.n_test, "definition": "|accuracy - 0.5| on the held-out split "
                                                                   "(TimeGAN; tsgm reports the raw accuracy)", **extra})
