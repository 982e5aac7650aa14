"""synthaudit.stats.ts_learners: timeseries.discriminative_score and timeseries.predictive_score (tutorial:
sequential data) against independent references.

References: sklearn.metrics.accuracy_score / mean_absolute_error, an independently fitted
HistGradientBoostingClassifier and Ridge, statsmodels.tsa.stattools.acf, scipy.signal.periodogram, and
processes whose answer is known (AR(1) vs white noise with the same marginal: separable; AR vs AR: not).
"""
from __future__ import annotations

import numpy as np
import pytest
from scipy.signal import periodogram
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import Ridge
from sklearn.metrics import accuracy_score, mean_absolute_error

from synthaudit.stats.ts_learners import (
    canonical_order,
    discriminative_score,
    forecast_predictions,
    predictive_score,
    summary_feature_names,
    summary_features,
)

try:  # torch is optional: without it only the gbm / ridge families are tested
    import torch
except ImportError:  # pragma: no cover
    torch = None

FAMILIES = ["gbm", *(["gru"] if torch is not None else [])]
FAST = {"gru": {"iterations": 200}, "gbm": {}}  # fewer GRU steps than the default keeps the file fast


@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread():
    """The caller owns torch's thread count; one thread is fastest (and exact) for these small fixtures."""
    if torch is None:
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def ar1(rng: np.random.Generator, n: int, length: int | tuple[int, int] = 24, k: int = 1,
        phi: float = 0.9) -> list[np.ndarray]:
    """n stationary AR(1) series x_t = phi x_{t-1} + e_t, e ~ N(0, 1); marginal N(0, 1 / (1 - phi^2))."""
    out = []
    for _ in range(n):
        m = length if isinstance(length, int) else int(rng.integers(length[0], length[1] + 1))
        x = np.empty((m, k))
        x[0] = rng.normal(size=k) / np.sqrt(1 - phi**2)
        for t in range(1, m):
            x[t] = phi * x[t - 1] + rng.normal(size=k)
        out.append(x)
    return out


def white(rng: np.random.Generator, n: int, length: int = 24, k: int = 1, phi: float = 0.9) -> list[np.ndarray]:
    """White noise with the AR(1) marginal N(0, 1 / (1 - phi^2)): same mean and std, no autocorrelation."""
    return [rng.normal(size=(length, k)) / np.sqrt(1 - phi**2) for _ in range(n)]


def _labels_and_proba(res) -> tuple[np.ndarray, np.ndarray]:
    y = np.r_[np.zeros(len(res.real_test_proba)), np.ones(len(res.syn_test_proba))]
    return y, np.r_[res.real_test_proba, res.syn_test_proba]


# --------------------------------------------------------------------------------------------- discriminative


@pytest.mark.parametrize("family", FAMILIES)
def test_ar_vs_white_noise_is_detected(family):
    rng = np.random.default_rng(0)
    real, syn = ar1(rng, 150, k=2), white(rng, 150, k=2)
    res = discriminative_score(real, syn, family=family, seed=0, **FAST[family])
    assert res.family == family
    assert res.value > 0.3, res
    # the score is TimeGAN's |accuracy - 0.5|, accuracy recomputed from the returned probabilities (sklearn)
    y, p = _labels_and_proba(res)
    acc = accuracy_score(y, p > 0.5)
    assert res.accuracy == pytest.approx(acc, abs=1e-12)
    assert res.value == pytest.approx(abs(acc - 0.5), abs=1e-12)
    # the most confidently fake test series are synthetic indices, sorted by probability
    top = res.most_fake(3)
    assert [pr for _, pr in top] == sorted(res.syn_test_proba, reverse=True)[:3]
    assert all(0 <= i < len(syn) for i, _ in top)


@pytest.mark.parametrize("family", FAMILIES)
def test_same_process_is_not_detected(family):
    rng = np.random.default_rng(1)
    real, syn = ar1(rng, 150), ar1(rng, 150)
    res = discriminative_score(real, syn, family=family, seed=0, test_share=0.5, **FAST[family])
    assert res.value < 0.15, res
    y, p = _labels_and_proba(res)
    assert res.value == pytest.approx(abs(accuracy_score(y, p > 0.5) - 0.5), abs=1e-12)


def test_split_is_stratified_and_recorded():
    rng = np.random.default_rng(2)
    real, syn = ar1(rng, 31), white(rng, 19)
    res = discriminative_score(real, syn, family="gbm", seed=3, test_share=0.25)
    assert len(res.real_test_index) == round(0.25 * 31) and len(res.syn_test_index) == round(0.25 * 19)
    assert res.n_test == len(res.real_test_index) + len(res.syn_test_index)
    assert res.n_train + res.n_test == 50
    assert len(set(res.syn_test_index.tolist())) == len(res.syn_test_index)
    assert res.params["seed"] == 3 and res.params["test_share"] == 0.25 and "max_iter" in res.params


def test_gbm_probabilities_match_an_independent_fit():
    """gbm = HistGradientBoostingClassifier on summary_features of the series not held out (labels 0/1)."""
    rng = np.random.default_rng(3)
    real, syn = ar1(rng, 60), white(rng, 50)
    res = discriminative_score(real, syn, family="gbm", seed=5)
    tr_r = [i for i in canonical_order(real) if i not in set(res.real_test_index.tolist())]
    tr_s = [i for i in canonical_order(syn) if i not in set(res.syn_test_index.tolist())]
    fr, fs = summary_features(real), summary_features(syn)
    model = HistGradientBoostingClassifier(random_state=5, early_stopping=False)
    model.fit(np.vstack([fr[tr_r], fs[tr_s]]), np.r_[np.zeros(len(tr_r)), np.ones(len(tr_s))])
    np.testing.assert_allclose(model.predict_proba(fs[res.syn_test_index])[:, 1], res.syn_test_proba, atol=1e-9)
    np.testing.assert_allclose(model.predict_proba(fr[res.real_test_index])[:, 1], res.real_test_proba, atol=1e-9)


@pytest.mark.parametrize("family", FAMILIES)
def test_deterministic_and_order_invariant(family):
    rng = np.random.default_rng(4)
    real, syn = ar1(rng, 40, length=(12, 20)), white(rng, 40, length=16)
    hyper = {"iterations": 40} if family == "gru" else {}
    a = discriminative_score(real, syn, family=family, seed=7, **hyper)
    b = discriminative_score(real, syn, family=family, seed=7, **hyper)
    assert a.value == b.value and a.accuracy == b.accuracy
    np.testing.assert_array_equal(a.syn_test_proba, b.syn_test_proba)
    np.testing.assert_array_equal(a.syn_test_index, b.syn_test_index)
    # shuffled inputs: the same series are held out and get the same probabilities (indices map back)
    pr, ps = rng.permutation(len(real)), rng.permutation(len(syn))
    c = discriminative_score([real[i] for i in pr], [syn[i] for i in ps], family=family, seed=7, **hyper)
    assert c.value == a.value
    assert dict(zip(ps[c.syn_test_index].tolist(), c.syn_test_proba.tolist())) == \
        dict(zip(a.syn_test_index.tolist(), a.syn_test_proba.tolist()))
    assert dict(zip(pr[c.real_test_index].tolist(), c.real_test_proba.tolist())) == \
        dict(zip(a.real_test_index.tolist(), a.real_test_proba.tolist()))
    other = discriminative_score(real, syn, family=family, seed=8, **hyper)
    assert not np.array_equal(other.syn_test_index, a.syn_test_index) or \
        not np.array_equal(other.syn_test_proba, a.syn_test_proba)


@pytest.mark.parametrize("family", FAMILIES)
def test_unequal_lengths_and_missing_values(family):
    rng = np.random.default_rng(5)
    real = ar1(rng, 120, length=(16, 32), k=2)
    syn = [rng.normal(size=(int(rng.integers(16, 33)), 2)) / np.sqrt(1 - 0.81) for _ in range(120)]
    for a in real[::7] + syn[::5]:
        a[rng.integers(0, a.shape[0], 3), rng.integers(0, 2)] = np.nan
    real[0][:3, 0] = np.nan  # leading missing values
    syn[1][:, 1] = np.nan  # an all-missing channel
    res = discriminative_score(real, syn, family=family, seed=0, **FAST[family])
    assert 0.0 <= res.value <= 0.5 and np.isfinite(res.syn_test_proba).all()
    assert res.value > 0.3  # lengths and gaps do not hide the missing autocorrelation


def test_one_channel_and_constant_series():
    rng = np.random.default_rng(6)
    real = ar1(rng, 20) + [np.full((24, 1), 3.0)]
    syn = white(rng, 20) + [np.zeros((24, 1))]
    for family in FAMILIES:
        res = discriminative_score(real, syn, family=family, seed=0, **({"iterations": 20} if family == "gru" else {}))
        assert 0.0 <= res.value <= 0.5


def test_bad_input_is_rejected():
    rng = np.random.default_rng(7)
    two, one = ar1(rng, 2), ar1(rng, 1)
    with pytest.raises(ValueError, match="at least 2 real series"):
        discriminative_score(one, two, family="gbm")
    with pytest.raises(ValueError, match="at least 2 synthetic series"):
        discriminative_score(two, one, family="gbm")
    with pytest.raises(ValueError, match="no series given"):
        discriminative_score([], two, family="gbm")
    with pytest.raises(ValueError, match="channels"):
        discriminative_score(two, ar1(rng, 2, k=2), family="gbm")
    with pytest.raises(ValueError, match="unknown family"):
        discriminative_score(two, two, family="lstm")
    with pytest.raises(ValueError, match="unknown hyper-parameter"):
        discriminative_score(two, two, family="gbm", iterations=3)
    with pytest.raises(ValueError, match="test_share"):
        discriminative_score(two, two, family="gbm", test_share=1.0)
    if torch is not None:
        with pytest.raises(ValueError, match="iterations"):
            discriminative_score(two, two, family="gru", iterations=0)


def test_auto_family_is_recorded():
    rng = np.random.default_rng(8)
    res = discriminative_score(ar1(rng, 6), white(rng, 6), family="auto", iterations=5) if torch is not None else \
        discriminative_score(ar1(rng, 6), white(rng, 6), family="auto")
    assert res.family == ("gru" if torch is not None else "gbm")
    if torch is not None:
        assert res.params["hidden_dim"] == 16 and res.params["iterations"] == 5 and res.params["batch_size"] == 128


# --------------------------------------------------------------------------------------------- summary features


def test_summary_features_against_numpy_statsmodels_scipy():
    sm_acf = pytest.importorskip("statsmodels.tsa.stattools").acf
    rng = np.random.default_rng(9)
    a = np.c_[rng.normal(size=30).cumsum(), np.full(30, 2.0)]
    b = rng.normal(size=(9, 2))
    b[0, 0], b[4, 0] = np.nan, np.nan  # leading and inner gap
    b[:, 1] = np.nan  # all missing
    f = summary_features([a, b])
    names = summary_feature_names(2)
    assert f.shape == (2, len(names)) == (2, 2 * 15 + 1)
    row = dict(zip(names, f[0]))
    x = a[:, 0]
    for stat, ref in (("mean", x.mean()), ("std", x.std()), ("min", x.min()), ("max", x.max()),
                      ("first", x[0]), ("last", x[-1])):
        assert row[f"c0_{stat}"] == pytest.approx(ref)
    np.testing.assert_allclose([row[f"c0_acf{lag}"] for lag in range(1, 6)],
                               sm_acf(x, nlags=5, adjusted=False, fft=False)[1:], atol=1e-12)
    freq, p = periodogram(x, detrend="constant", scaling="density")
    shares = [p[(freq >= lo) & (freq < hi)].sum() / p.sum() for lo, hi in ((0, .125), (.125, .25), (.25, .375))]
    shares.append(p[freq >= .375].sum() / p.sum())
    np.testing.assert_allclose([row[f"c0_band{i}"] for i in range(4)], shares, atol=1e-12)
    assert row["length"] == 30
    # constant channel: moments defined, ACF and bands undefined (NaN)
    assert row["c1_mean"] == 2.0 and row["c1_std"] == 0.0
    assert np.isnan([row[f"c1_acf{lag}"] for lag in range(1, 6)]).all()
    # gaps: moments over observed values, first = first observed; ACF on the forward-filled series without the
    # leading gap; an all-missing channel is NaN throughout
    row = dict(zip(names, f[1]))
    obs = b[~np.isnan(b[:, 0]), 0]
    assert row["c0_mean"] == pytest.approx(obs.mean()) and row["c0_first"] == b[1, 0] and row["c0_last"] == b[-1, 0]
    filled = b[1:, 0].copy()
    filled[3] = filled[2]
    np.testing.assert_allclose([row[f"c0_acf{lag}"] for lag in range(1, 6)],
                               sm_acf(filled, nlags=5, adjusted=False, fft=False)[1:], atol=1e-12)
    assert np.isnan([v for n, v in row.items() if n.startswith("c1_")]).all() and row["length"] == 9


def test_summary_features_short_series_and_order():
    f = summary_features([np.array([1.0, 3.0, 2.0])])  # 1-D input = one channel; lags >= length are NaN
    names = summary_feature_names(1)
    row = dict(zip(names, f[0]))
    assert not np.isnan(row["c0_acf2"]) and np.isnan(row["c0_acf3"])
    series = [np.arange(5.0)[:, None] * i for i in range(1, 4)]
    order = canonical_order(series)
    shuffled = [series[i] for i in (2, 0, 1)]
    assert [series[i].tobytes() for i in order] == [shuffled[i].tobytes() for i in canonical_order(shuffled)]


# --------------------------------------------------------------------------------------------- predictive


@pytest.mark.parametrize("family", ["ridge", "gbm", *(["gru"] if torch is not None else [])])
def test_training_on_the_right_process_forecasts_better(family):
    rng = np.random.default_rng(10)
    ar_train, noise_train, holdout = ar1(rng, 80, k=2), white(rng, 80, k=2), ar1(rng, 40, k=2)
    hyper = {"iterations": 200} if family == "gru" else {}
    good = predictive_score(ar_train, holdout, family=family, seed=0, **hyper)
    bad = predictive_score(noise_train, holdout, family=family, seed=0, **hyper)
    assert good.family == bad.family == family
    assert good.mae < 0.8 * bad.mae, (good, bad)
    assert good.n_train == 80 and good.n_test == 40 and good.n_targets == 40 * 23 * 2


def test_ridge_predictions_match_a_hand_built_lag_regression():
    """Tiny fixture: window 2, lags before the start repeat the first value; MAE = sklearn's on the predictions."""
    train = [np.array([0.0, 1.0, 3.0, 2.0, 4.0, 5.0]), np.array([2.0, 2.5, 1.0, 0.5]), np.array([5.0, 4.0, 4.5])]
    test = [np.array([1.0, 2.0, 4.0, 3.0]), np.array([0.0, 5.0, 2.0])]
    lo, span = 0.0, 5.0  # test range (the default scale_from)
    x_rows, y_rows = [], []
    for s in train:
        z = (s - lo) / span
        for t in range(1, len(z)):
            x_rows.append([z[t - 1], z[max(t - 2, 0)]])
            y_rows.append(z[t])
    model = Ridge(alpha=0.5).fit(np.array(x_rows), np.array(y_rows))
    want_true, x_te = [], []
    y_true, y_pred, family, params = forecast_predictions(train, test, family="ridge", window=2, alpha=0.5)
    for i in canonical_order(test):  # the order forecast_predictions documents
        z = (test[i] - lo) / span
        for t in range(1, len(z)):
            x_te.append([z[t - 1], z[max(t - 2, 0)]])
            want_true.append(z[t])
    assert family == "ridge" and params == {"window": 2, "alpha": 0.5, "seed": 0}
    np.testing.assert_allclose(y_true, want_true, atol=1e-12)
    np.testing.assert_allclose(y_pred, model.predict(np.array(x_te)), atol=1e-10)
    res = predictive_score(train, test, family="ridge", window=2, alpha=0.5)
    assert res.mae == pytest.approx(mean_absolute_error(y_true, y_pred), abs=1e-12)
    assert res.n_targets == 5
    # one shared scale: the MAE in scale_from's units is the MAE in test units times the range ratio (a
    # scale_from twice as wide halves it only if the model is scale-equivariant: ridge with a tiny alpha is)
    r1 = predictive_score(train, test, family="ridge", window=2, alpha=1e-10)
    r2 = predictive_score(train, test, family="ridge", window=2, alpha=1e-10, scale_from=[np.array([0.0, 10.0])])
    assert r2.mae == pytest.approx(r1.mae / 2, rel=1e-6)
    assert predictive_score(train, test, family="ridge", scale_from=test).mae == predictive_score(
        train, test, family="ridge").mae


@pytest.mark.parametrize("family", ["ridge", "gbm", *(["gru"] if torch is not None else [])])
def test_predictive_missing_targets_unequal_lengths_and_order(family):
    rng = np.random.default_rng(11)
    train, test = ar1(rng, 30, length=(6, 20)), ar1(rng, 12, length=(4, 15))
    train.append(np.array([[1.0]]))  # a length-1 series has no target and is skipped
    test[0][2, 0] = np.nan
    test[1][-1, 0] = np.nan
    train[2][:4, 0] = np.nan
    hyper = {"iterations": 30} if family == "gru" else {}
    res = predictive_score(train, test, family=family, seed=1, **hyper)
    assert res.n_targets == sum(int((~np.isnan(a[1:])).sum()) for a in test)
    assert np.isfinite(res.mae) and res.mae > 0
    again = predictive_score(train[::-1], [test[i] for i in rng.permutation(len(test))], family=family, seed=1,
                             **hyper)
    assert again.mae == res.mae  # same seed, shuffled lists: exactly the same fit


def test_predictive_bad_input():
    rng = np.random.default_rng(12)
    with pytest.raises(ValueError, match="test: no series has an observed value"):
        predictive_score(ar1(rng, 3), [np.array([[1.0]])], family="ridge")
    with pytest.raises(ValueError, match="train: no series"):
        predictive_score([np.array([[1.0], [np.nan]])], ar1(rng, 3), family="ridge")
    with pytest.raises(ValueError, match="number of channels"):
        predictive_score(ar1(rng, 3, k=2), ar1(rng, 3), family="ridge")
    with pytest.raises(ValueError, match="unknown family"):
        predictive_score(ar1(rng, 3), ar1(rng, 3), family="arima")
    with pytest.raises(ValueError, match="window"):
        predictive_score(ar1(rng, 3), ar1(rng, 3), family="ridge", window=0)
