"""Learner-based time-series scores: timeseries.discriminative_score and timeseries.predictive_score (tutorial:
sequential data; reference: jsyoon0823/TimeGAN metrics/discriminative_metrics.py and predictive_metrics.py).

Pure functions on series sets (see :mod:`synthaudit.stats.timeseries`: a list of (time steps x channels) float
arrays, unequal lengths allowed, NaN = missing). Results do not depend on the order of the series: every split,
batch and fit works on the series sorted by a hash of their content (:func:`canonical_order`).

Families: ``gru`` (torch, TimeGAN's post-hoc RNN), ``gbm`` (scikit-learn HistGradientBoosting on
:func:`summary_features` / on lag windows) and, for forecasting, ``ridge`` (a linear autoregression on lag
windows). ``auto`` takes ``gru`` when torch imports, else ``gbm`` (discriminative) or ``ridge`` (predictive).
torch's thread count is left to the caller; scikit-learn fits run under :func:`fit_threads`.
"""
from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.signal import periodogram

from synthaudit.stats.timeseries import _as_series, _pair, acf, canonical_order

__all__ = [
    "DiscriminativeResult",
    "PredictiveResult",
    "canonical_order",
    "discriminative_score",
    "forecast_predictions",
    "predictive_score",
    "resolve_family",
    "summary_feature_names",
    "summary_features",
]

#: ACF lags and spectral bands of :func:`summary_features`
SUMMARY_LAGS = 5
SUMMARY_BANDS = 4
_STATS = ("mean", "std", "min", "max", "first", "last")


# --------------------------------------------------------------------------------------------- shared helpers


def fit_threads(n_rows: int):
    """scikit-learn fits limited as the tabular learners are (one thread below their row threshold)."""
    from synthaudit.metrics.tabular.learners import fit_threads as tabular_fit_threads

    return tabular_fit_threads(n_rows)


def _torch_available() -> bool:
    return importlib.util.find_spec("torch") is not None


def _ffill(a: np.ndarray) -> np.ndarray:
    """Forward-fill NaN along time per channel; values still missing (leading NaN) stay NaN."""
    mask = np.isnan(a)
    if not mask.any():
        return a
    idx = np.where(~mask, np.arange(a.shape[0])[:, None], 0)
    np.maximum.accumulate(idx, axis=0, out=idx)
    out = a[idx, np.arange(a.shape[1])[None, :]]
    return out


def _minmax(scale_from: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel (min, range) over the observed values of ``scale_from``; a constant or all-missing channel
    gets range 1 (and min 0 when all-missing), so scaling never divides by 0."""
    pooled = np.concatenate(scale_from)
    lo = np.full(pooled.shape[1], 0.0)
    hi = np.full(pooled.shape[1], 1.0)
    seen = ~np.isnan(pooled).all(axis=0)
    lo[seen] = np.nanmin(pooled[:, seen], axis=0)
    hi[seen] = np.nanmax(pooled[:, seen], axis=0)
    rng = hi - lo
    rng[rng == 0] = 1.0
    return lo, rng


def _check_hyper(hyper: dict[str, Any], allowed: dict[str, Any], family: str) -> dict[str, Any]:
    unknown = sorted(set(hyper) - set(allowed))
    if unknown:
        raise ValueError(f"unknown hyper-parameter(s) {unknown} for family {family!r}; expected {sorted(allowed)}")
    return {**allowed, **hyper}


def _positive_int(params: dict[str, Any], *names: str) -> None:
    for n in names:
        v = params[n]
        if isinstance(v, bool) or int(v) != v or v < 1:
            raise ValueError(f"{n} must be a positive integer, got {v!r}")
        params[n] = int(v)


def _gru_params(hyper: dict[str, Any], defaults: dict[str, Any], channels: int) -> dict[str, Any]:
    """The GRU's settings: ``defaults`` updated with ``hyper`` (unknown names refused), hidden units
    max(16, channels // 2) unless given, the counts checked positive."""
    params = _check_hyper(hyper, defaults, "gru")
    if params["hidden_dim"] is None:
        params["hidden_dim"] = max(16, channels // 2)
    _positive_int(params, "hidden_dim", "num_layers", "iterations", "batch_size")
    return params


def resolve_family(family: str, choices: tuple[str, ...], fallback: str) -> str:
    if family == "auto":
        return "gru" if _torch_available() else fallback
    if family not in choices:
        raise ValueError(f"unknown family {family!r}; expected 'auto' or one of {', '.join(choices)}")
    if family == "gru" and not _torch_available():
        raise ValueError("family 'gru' needs torch, which is not installed (use 'auto' or " f"{fallback!r})")
    return family


def _pad(series: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Stack into a zero-padded (n, max length, channels) float32 array and the lengths."""
    lengths = np.array([a.shape[0] for a in series], dtype=np.int64)
    out = np.zeros((len(series), int(lengths.max()), series[0].shape[1]), dtype=np.float32)
    for i, a in enumerate(series):
        out[i, : a.shape[0]] = a
    return out, lengths


# --------------------------------------------------------------------------------------------- summary features


def summary_feature_names(channels: int) -> list[str]:
    """Column names of :func:`summary_features` for ``channels`` channels (e.g. ``c0_mean``, ``c1_acf3``,
    ``c0_band2``, and ``length`` last)."""
    per = [*_STATS, *(f"acf{lag}" for lag in range(1, SUMMARY_LAGS + 1)), *(f"band{b}" for b in range(SUMMARY_BANDS))]
    return [f"c{c}_{n}" for c in range(channels) for n in per] + ["length"]


def _channel_features(x: np.ndarray) -> list[float]:
    obs = x[~np.isnan(x)]
    nan = float("nan")
    if obs.size == 0:
        return [nan] * (len(_STATS) + SUMMARY_LAGS + SUMMARY_BANDS)
    stats = [float(obs.mean()), float(obs.std()), float(obs.min()), float(obs.max()), float(obs[0]), float(obs[-1])]
    filled = _ffill(x[:, None])[:, 0]
    filled = filled[~np.isnan(filled)]  # leading missing values dropped
    constant = bool(np.all(filled == filled[0]))
    acfs = [nan] * SUMMARY_LAGS
    if not constant:
        known = acf(filled, min(SUMMARY_LAGS, filled.size - 1))[1:]
        acfs[: known.size] = [float(v) for v in known]
    bands = [nan] * SUMMARY_BANDS
    if not constant and filled.size >= 2:
        f, p = periodogram(filled, detrend="constant", scaling="density")
        total = float(p.sum())
        if total > 0:
            which = np.minimum((f / 0.5 * SUMMARY_BANDS).astype(int), SUMMARY_BANDS - 1)
            bands = [float(p[which == b].sum() / total) for b in range(SUMMARY_BANDS)]
    return stats + acfs + bands


def summary_features(series: Sequence[np.ndarray]) -> np.ndarray:
    """Fixed per-series summary features (timeseries.discriminative_score's feature-based variant and
    timeseries.diversity_coverage's embedding; tutorial: sequential data). One row per series, columns as
    :func:`summary_feature_names`: for each channel

    - mean, std (population, ddof 0), min, max, first and last value, over the observed (non-NaN) values;
    - ACF at lags 1..5 (:func:`synthaudit.stats.timeseries.acf`, the biased estimator) and the share of
      periodogram power (scipy.signal.periodogram, constant detrended, density scaling) in 4 equal-width
      frequency bands [0, 1/8), [1/8, 1/4), [1/4, 3/8), [3/8, 1/2] cycles per step, both on the series with
      missing values forward-filled and leading missing values dropped;

    then the length (time steps, missing rows included). A feature that is undefined is NaN: every statistic
    of an all-missing channel, ACF and bands of a constant channel, ACF lags >= the (filled) length.
    HistGradientBoosting takes NaN natively; a distance-based consumer must impute.
    """
    data = _as_series(series, "series")
    rows = []
    for a in data:
        row: list[float] = []
        for c in range(a.shape[1]):
            row.extend(_channel_features(a[:, c]))
        row.append(float(a.shape[0]))
        rows.append(row)
    return np.asarray(rows, dtype=np.float64)


# --------------------------------------------------------------------------------------------- discriminative


@dataclass
class DiscriminativeResult:
    """timeseries.discriminative_score: ``value`` = |accuracy - 0.5| on the test split (lower is better, range
    [0, 0.5]). ``*_test_index`` are positions in the input ``real`` / ``syn`` lists of the test series and
    ``*_test_proba`` the classifier's probability that each is synthetic (prediction: proba > 0.5)."""

    value: float
    accuracy: float
    family: str
    params: dict[str, Any]
    n_train: int
    n_test: int
    syn_test_index: np.ndarray
    syn_test_proba: np.ndarray
    real_test_index: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    real_test_proba: np.ndarray = field(default_factory=lambda: np.empty(0))
    notes: list[str] = field(default_factory=list)

    def most_fake(self, k: int = 5) -> list[tuple[int, float]]:
        """The ``k`` test synthetic series the classifier is surest are synthetic: (index in ``syn``, proba)."""
        order = np.argsort(-self.syn_test_proba, kind="stable")[:k]
        return [(int(self.syn_test_index[i]), float(self.syn_test_proba[i])) for i in order]


def _split(n: int, test_share: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(train, test) positions in canonical order: a seeded shuffle, the test part round(share * n) in [1, n-1]."""
    n_test = int(min(max(round(test_share * n), 1), n - 1))
    perm = rng.permutation(n)
    return np.sort(perm[n_test:]), np.sort(perm[:n_test])


_GRU_DISC = {"hidden_dim": None, "num_layers": 1, "iterations": 500, "batch_size": 128, "lr": 1e-2}
_GBM_DISC = {"max_iter": 100, "learning_rate": 0.1, "max_leaf_nodes": 31, "min_samples_leaf": 20}


def discriminative_score(real: Sequence[np.ndarray], syn: Sequence[np.ndarray], *, family: str = "auto",
                         seed: int = 0, test_share: float = 0.2, **hyper: Any) -> DiscriminativeResult:
    """timeseries.discriminative_score (TimeGAN; tutorial: sequential data): train a classifier to tell real
    (label 0) from synthetic (label 1) series on a train split; value = |accuracy on the test split - 0.5|.

    The split is stratified by side: each side, in :func:`canonical_order`, is shuffled with
    ``numpy.random.default_rng(seed)`` and round(test_share * n) series (at least 1, at most n - 1) held out,
    as TimeGAN's 80/20 train_test_divide. Families:

    - ``gru``: TimeGAN's post-hoc RNN. GRU (``num_layers`` stacked, default 1 as TimeGAN's code; the catalog's
      "2-layer GRU" reads as that GRU plus the dense output layer) of ``hidden_dim`` units (default
      max(16, channels // 2): TimeGAN's dim / 2 with a floor, as dim / 2 units learn too slowly on few
      channels) read at the last valid step of each series (so unequal lengths are exact: padding after a
      series end never reaches an earlier output), a linear logit; Adam (``lr`` 1e-2; TimeGAN 1e-3 for 2000
      steps), each of ``iterations`` steps draws ``batch_size`` series from each side without replacement and
      minimises BCE(real) + BCE(synthetic) as TimeGAN. Inputs are min-max scaled per channel to [0, 1] with the
      real data's observed range (TimeGAN normalises so), forward-filled, fed centred as 2x - 1, and leading missing
      values set to 0. Seeded via torch.manual_seed inside torch.random.fork_rng (the global torch RNG is left
      as it was) and a numpy generator for the batches: exact on CPU for a fixed thread count.
    - ``gbm``: scikit-learn HistGradientBoostingClassifier(random_state=seed, early_stopping=False, ...) on
      :func:`summary_features` (a named variant the catalog allows); hyper-parameters ``max_iter``,
      ``learning_rate``, ``max_leaf_nodes``, ``min_samples_leaf``.
    - ``auto``: ``gru`` when torch is installed, else ``gbm``.

    Needs at least 2 series on each side (one to train, one to test). ``params`` records every setting used.
    """
    r, s, k = _pair(real, syn)
    for side, data in (("real", r), ("synthetic", s)):
        if len(data) < 2:
            raise ValueError(f"discriminative_score needs at least 2 {side} series (one to train, one to test); "
                             f"got {len(data)}")
    if not 0.0 < float(test_share) < 1.0:
        raise ValueError(f"test_share must be in (0, 1), got {test_share!r}")
    used = resolve_family(family, ("gru", "gbm"), "gbm")
    rng = np.random.default_rng(seed)
    order_r, order_s = canonical_order(r), canonical_order(s)
    tr_r, te_r = _split(len(r), test_share, rng)
    tr_s, te_s = _split(len(s), test_share, rng)
    idx = {"tr_r": order_r[tr_r], "te_r": order_r[te_r], "tr_s": order_s[tr_s], "te_s": order_s[te_s]}
    if used == "gru":
        params = _gru_params(hyper, _GRU_DISC, k)
        p_r, p_s = _gru_discriminate(r, s, idx, params, seed, rng)
    else:
        params = _check_hyper(hyper, _GBM_DISC, used)
        p_r, p_s = _gbm_discriminate(r, s, idx, params, seed)
    params = {**params, "seed": seed, "test_share": float(test_share)}
    correct = int((p_r <= 0.5).sum() + (p_s > 0.5).sum())
    n_test = len(p_r) + len(p_s)
    acc = correct / n_test
    return DiscriminativeResult(value=abs(acc - 0.5), accuracy=acc, family=used, params=params,
                                n_train=len(tr_r) + len(tr_s), n_test=n_test,
                                syn_test_index=idx["te_s"], syn_test_proba=p_s,
                                real_test_index=idx["te_r"], real_test_proba=p_r)


def _gbm_discriminate(r: list[np.ndarray], s: list[np.ndarray], idx: dict[str, np.ndarray],
                      params: dict[str, Any], seed: int) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.ensemble import HistGradientBoostingClassifier

    fr, fs = summary_features(r), summary_features(s)
    x = np.vstack([fr[idx["tr_r"]], fs[idx["tr_s"]]])
    y = np.r_[np.zeros(len(idx["tr_r"])), np.ones(len(idx["tr_s"]))]
    model = HistGradientBoostingClassifier(random_state=seed, early_stopping=False, **params)
    with fit_threads(len(y)):
        model.fit(x, y)
        p_r = model.predict_proba(fr[idx["te_r"]])[:, 1]
        p_s = model.predict_proba(fs[idx["te_s"]])[:, 1]
    return np.asarray(p_r, dtype=float), np.asarray(p_s, dtype=float)


def _gru_input(scaled: np.ndarray) -> np.ndarray:
    """GRU input from [0, 1]-scaled values: forward-filled, centred to 2x - 1 (an affine map that speeds up
    training; the network is otherwise TimeGAN's), leading missing values 0 (mid-range)."""
    return np.nan_to_num(2.0 * _ffill(scaled) - 1.0, nan=0.0)


def _prepared(series: list[np.ndarray], lo: np.ndarray, rng_: np.ndarray) -> list[np.ndarray]:
    return [_gru_input((a - lo) / rng_) for a in series]


def _gru_discriminate(r: list[np.ndarray], s: list[np.ndarray], idx: dict[str, np.ndarray], params: dict[str, Any],
                      seed: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    import torch
    from torch import nn

    lo, span = _minmax(r)
    xr, lr_ = _pad(_prepared(r, lo, span))
    xs, ls_ = _pad(_prepared(s, lo, span))
    k = xr.shape[2]

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.gru = nn.GRU(k, params["hidden_dim"], num_layers=params["num_layers"], batch_first=True)
            self.out = nn.Linear(params["hidden_dim"], 1)

        def forward(self, x: torch.Tensor, lengths: np.ndarray) -> torch.Tensor:
            # the top layer's output at each series' last valid step: a unidirectional GRU's output at step t reads
            # only steps <= t, so padding after a series' end changes nothing (and packing costs 4x on CPU)
            out, _ = self.gru(x)
            last = out[torch.arange(x.shape[0]), torch.as_tensor(lengths - 1)]
            return self.out(last).squeeze(-1)

    def batch(x: np.ndarray, lengths: np.ndarray, rows: np.ndarray) -> tuple[torch.Tensor, np.ndarray]:
        m = int(lengths[rows].max())
        return torch.from_numpy(x[rows, :m]), lengths[rows]

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        net = Net()
    opt = torch.optim.Adam(net.parameters(), lr=float(params["lr"]))
    loss_fn = nn.BCEWithLogitsLoss()
    tr_r, tr_s = idx["tr_r"], idx["tr_s"]
    br, bs = min(params["batch_size"], len(tr_r)), min(params["batch_size"], len(tr_s))
    net.train()
    for _ in range(params["iterations"]):
        rows_r = tr_r[rng.choice(len(tr_r), br, replace=False)]
        rows_s = tr_s[rng.choice(len(tr_s), bs, replace=False)]
        (x_r, n_r), (x_s, n_s) = batch(xr, lr_, rows_r), batch(xs, ls_, rows_s)
        m = max(x_r.shape[1], x_s.shape[1])
        x = torch.cat([nn.functional.pad(x_r, (0, 0, 0, m - x_r.shape[1])),
                       nn.functional.pad(x_s, (0, 0, 0, m - x_s.shape[1]))])
        logits = net(x, np.r_[n_r, n_s])  # one pass over both sides; the loss keeps them apart
        logit_r, logit_s = logits[:br], logits[br:]
        loss = loss_fn(logit_r, torch.zeros_like(logit_r)) + loss_fn(logit_s, torch.ones_like(logit_s))
        opt.zero_grad()
        loss.backward()
        opt.step()
    net.eval()
    with torch.no_grad():
        p_r = torch.sigmoid(net(*batch(xr, lr_, idx["te_r"]))).numpy().astype(float)
        p_s = torch.sigmoid(net(*batch(xs, ls_, idx["te_s"]))).numpy().astype(float)
    return p_r, p_s


# --------------------------------------------------------------------------------------------- predictive


@dataclass
class PredictiveResult:
    """timeseries.predictive_score: ``mae`` of one-step-ahead forecasts on the test series, in min-max scaled
    units (lower is better, range [0, inf)); ``n_targets`` values were averaged."""

    mae: float
    family: str
    params: dict[str, Any]
    n_train: int
    n_test: int
    n_targets: int = 0


_GRU_PRED = {"hidden_dim": None, "num_layers": 1, "iterations": 500, "batch_size": 128, "lr": 1e-2}
_RIDGE_PRED = {"window": 4, "alpha": 1.0}
_GBM_PRED = {"window": 4, "max_iter": 100, "learning_rate": 0.1, "max_leaf_nodes": 31, "min_samples_leaf": 20}


def _lag_design(series: list[np.ndarray], window: int) -> tuple[np.ndarray, np.ndarray]:
    """Rows (series, t) for t = 1..len-1: features = filled values at t-1, t-2, ..., t-window (lag-major, each
    lag all channels; lags before the series start repeat its first filled value); target = raw values at t."""
    xs, ys = [], []
    for a in series:
        n = a.shape[0]
        if n < 2:
            continue
        t = np.arange(1, n)
        cols = [a[np.maximum(t - lag, 0)] for lag in range(1, window + 1)]
        xs.append(np.hstack(cols))
        ys.append(a[1:])
    return np.vstack(xs), np.vstack(ys)


def forecast_predictions(train: Sequence[np.ndarray], test: Sequence[np.ndarray], *, family: str = "auto",
                         seed: int = 0, scale_from: Sequence[np.ndarray] | None = None,
                         **hyper: Any) -> tuple[np.ndarray, np.ndarray, str, dict[str, Any]]:
    """The forecasts behind :func:`predictive_score`: (y_true, y_pred, family used, params), y_true / y_pred
    1-D over every valid target value of ``test`` (series in :func:`canonical_order`, then time, then channel;
    missing targets dropped), in the min-max units of ``scale_from``."""
    tr = _as_series(train, "train")
    te = _as_series(test, "test")
    ref = te if scale_from is None else _as_series(scale_from, "scale_from")
    widths = {tr[0].shape[1], te[0].shape[1], ref[0].shape[1]}
    if len(widths) != 1:
        raise ValueError(f"train, test and scale_from disagree on the number of channels: {sorted(widths)}")
    k = tr[0].shape[1]
    if not any(a.shape[0] >= 2 and not np.isnan(a[1:]).all() for a in tr):
        raise ValueError("train: no series has an observed value after its first step (nothing to forecast)")
    if not any(a.shape[0] >= 2 and not np.isnan(a[1:]).all() for a in te):
        raise ValueError("test: no series has an observed value after its first step (nothing to forecast)")
    used = resolve_family(family, ("gru", "gbm", "ridge"), "ridge")
    lo, span = _minmax(ref)
    tr_raw = [(tr[i] - lo) / span for i in canonical_order(tr)]
    te_raw = [(te[i] - lo) / span for i in canonical_order(te)]
    if used == "gru":
        tr_in, te_in = [_gru_input(a) for a in tr_raw], [_gru_input(a) for a in te_raw]
        params = _gru_params(hyper, _GRU_PRED, k)
        y_true, y_pred = _gru_forecast(tr_in, tr_raw, te_in, te_raw, params, seed)
    else:
        params = _check_hyper(hyper, _RIDGE_PRED if used == "ridge" else _GBM_PRED, used)
        _positive_int(params, "window")
        tr_in = [np.nan_to_num(_ffill(a), nan=0.0) for a in tr_raw]
        te_in = [np.nan_to_num(_ffill(a), nan=0.0) for a in te_raw]
        y_true, y_pred = _lag_forecast(tr_in, tr_raw, te_in, te_raw, used, params, seed)
    return y_true, y_pred, used, {**params, "seed": seed}


def _lag_forecast(tr_in: list[np.ndarray], tr_raw: list[np.ndarray], te_in: list[np.ndarray],
                  te_raw: list[np.ndarray], used: str, params: dict[str, Any],
                  seed: int) -> tuple[np.ndarray, np.ndarray]:
    w = params["window"]
    x_tr, _ = _lag_design(tr_in, w)
    _, y_tr = _lag_design(tr_raw, w)
    x_te, _ = _lag_design([a for a in te_in if a.shape[0] >= 2], w)
    _, y_te = _lag_design([a for a in te_raw if a.shape[0] >= 2], w)
    pred = np.full(y_te.shape, np.nan)
    with fit_threads(x_tr.shape[0]):
        for c in range(y_tr.shape[1]):
            keep = ~np.isnan(y_tr[:, c])
            if not keep.any():  # a channel never observed in train: predict its last value
                pred[:, c] = x_te[:, c]
                continue
            if used == "ridge":
                from sklearn.linear_model import Ridge

                model = Ridge(alpha=float(params["alpha"]))
            else:
                from sklearn.ensemble import HistGradientBoostingRegressor

                extra = {n: v for n, v in params.items() if n != "window"}
                model = HistGradientBoostingRegressor(random_state=seed, early_stopping=False, **extra)
            model.fit(x_tr[keep], y_tr[keep, c])
            pred[:, c] = model.predict(x_te)
    valid = ~np.isnan(y_te)
    return y_te[valid], pred[valid]


def _gru_forecast(tr_in: list[np.ndarray], tr_raw: list[np.ndarray], te_in: list[np.ndarray],
                  te_raw: list[np.ndarray], params: dict[str, Any], seed: int) -> tuple[np.ndarray, np.ndarray]:
    import torch
    from torch import nn

    keep_tr = [i for i, a in enumerate(tr_in) if a.shape[0] >= 2]
    keep_te = [i for i, a in enumerate(te_in) if a.shape[0] >= 2]
    x_tr, len_tr = _pad([tr_in[i][:-1] for i in keep_tr])
    y_tr, _ = _pad([np.nan_to_num(tr_raw[i][1:], nan=np.inf) for i in keep_tr])  # inf marks a missing target
    x_te, len_te = _pad([te_in[i][:-1] for i in keep_te])
    k = x_tr.shape[2]

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.gru = nn.GRU(k, params["hidden_dim"], num_layers=params["num_layers"], batch_first=True)
            self.out = nn.Linear(params["hidden_dim"], k)

        def forward(self, x: torch.Tensor, lengths: np.ndarray) -> torch.Tensor:
            # no packing: the output at step t reads only steps <= t, so padding after a series' end does not
            # touch a valid output, and the loss and the MAE read valid steps only
            return self.out(self.gru(x)[0])

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        net = Net()
    opt = torch.optim.Adam(net.parameters(), lr=float(params["lr"]))
    rng = np.random.default_rng(seed)
    b = min(params["batch_size"], len(keep_tr))
    net.train()
    for _ in range(params["iterations"]):
        rows = rng.choice(len(keep_tr), b, replace=False)
        m = int(len_tr[rows].max())
        target = torch.from_numpy(y_tr[rows, :m])
        valid = torch.isfinite(target) & (torch.arange(m)[None, :, None] < torch.as_tensor(len_tr[rows])[:, None, None])
        if not bool(valid.any()):  # every target of this batch is missing: nothing to learn from
            continue
        out = net(torch.from_numpy(x_tr[rows, :m]), len_tr[rows])
        loss = (out - torch.where(valid, target, 0.0)).abs()[valid].mean()  # L1, as TimeGAN
        opt.zero_grad()
        loss.backward()
        opt.step()
    net.eval()
    with torch.no_grad():
        out = net(torch.from_numpy(x_te), len_te).numpy().astype(float)
    trues, preds = [], []
    for j, i in enumerate(keep_te):
        y = te_raw[i][1:]
        valid = ~np.isnan(y)
        trues.append(y[valid])
        preds.append(out[j, : y.shape[0]][valid])
    return np.concatenate(trues), np.concatenate(preds)


def predictive_score(train: Sequence[np.ndarray], test: Sequence[np.ndarray], *, family: str = "auto",
                     seed: int = 0, scale_from: Sequence[np.ndarray] | None = None, **hyper: Any) -> PredictiveResult:
    """timeseries.predictive_score (TimeGAN; tutorial: sequential data): a one-step-ahead forecaster trained on
    ``train`` series, mean absolute error on ``test`` series. TSTR: train = synthetic, test = real holdout; TRTR:
    train = real train, test = the same holdout (pass one ``scale_from`` to both so they share a scale).

    Every channel at step t is forecast from steps < t (TimeGAN forecasts only the last channel from the
    others; forecasting all channels uses every channel as target and needs no choice of target column).
    Values are min-max scaled per channel with the observed range of ``scale_from`` (default ``test``), so the
    MAE is in [0, 1]-scaled units. Inputs: missing values forward-filled, leading ones 0 (in the input units);
    targets that are missing are left out of the loss and of the MAE. MAE = mean over all valid target values
    (series, step, channel) pooled; TimeGAN averages per-series MAEs, which is the same for equal-length
    complete series. Families:

    - ``gru``: GRU (``hidden_dim`` default max(16, channels // 2), ``num_layers`` 1; inputs centred as
      :func:`discriminative_score`) read at every step, a linear
      layer to all channels (TimeGAN uses a sigmoid output; linear since train values may leave the test range),
      trained with L1 loss by Adam (``lr``) for ``iterations`` steps of ``batch_size`` series; seeded as
      :func:`discriminative_score`.
    - ``ridge``: scikit-learn Ridge(``alpha``) per channel on lag windows of ``window`` steps (all channels at
      t-1..t-window; lags before the start repeat the first value). ``gbm``: HistGradientBoostingRegressor
      (random_state=seed, early_stopping=False) on the same windows.
    - ``auto``: ``gru`` when torch is installed, else ``ridge``.
    """
    y_true, y_pred, used, params = forecast_predictions(train, test, family=family, seed=seed,
                                                        scale_from=scale_from, **hyper)
    return PredictiveResult(mae=float(np.mean(np.abs(y_true - y_pred))), family=used, params=params,
                            n_train=len(train), n_test=len(test), n_targets=int(y_true.size))
