"""synthaudit.stats.timeseries against independent references (tutorial: sequential data).

References: statsmodels.tsa.stattools.acf, scipy.stats.ks_2samp, numpy.corrcoef, scipy.signal.periodogram and
hand-worked fixtures; the real side is series that ship with statsmodels (sunspots, CO2, Nile, elnino, macrodata).
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from scipy.signal import periodogram
from scipy.stats import ks_2samp

from synthaudit.stats.timeseries import (
    acf,
    acf_distance,
    cross_corr_diff,
    item_coverage,
    length_similarity,
    marginal_ks,
    spectral_distance,
    transition_distance,
)

try:  # the reference and the real series; tests that need them skip without statsmodels, the rest still run
    import statsmodels.datasets as sm_datasets
    from statsmodels.tsa.stattools import acf as sm_acf
except ImportError:  # pragma: no cover
    sm_datasets = sm_acf = None


def _sm() -> Any:
    if sm_datasets is None:
        pytest.skip("statsmodels is not installed")
    return sm_datasets


def _windows(x: np.ndarray, width: int, step: int, start: int = 0) -> list[np.ndarray]:
    x = x if x.ndim == 2 else x[:, None]
    return [x[i : i + width].copy() for i in range(start, x.shape[0] - width + 1, step)]


@pytest.fixture(scope="module")
def sunspots() -> np.ndarray:
    return _sm().sunspots.load_pandas().data["SUNACTIVITY"].to_numpy(float)  # 309 yearly values


@pytest.fixture(scope="module")
def nile() -> np.ndarray:
    return _sm().nile.load_pandas().data["volume"].to_numpy(float)  # 100 values


@pytest.fixture(scope="module")
def co2() -> np.ndarray:
    return _sm().co2.load_pandas().data["co2"].to_numpy(float)  # 2284 weekly values, 59 NaN


@pytest.fixture(scope="module")
def elnino() -> list[np.ndarray]:
    df = _sm().elnino.load_pandas().data  # wide format: one row per year, 12 monthly temperatures
    return [row[:, None] for row in df.drop(columns="YEAR").to_numpy(float)]


@pytest.fixture(scope="module")
def macro() -> np.ndarray:
    df = _sm().macrodata.load_pandas().data
    return np.diff(np.log(df[["realgdp", "realcons", "realinv"]].to_numpy(float)), axis=0)  # 202 x 3 growth rates


# ---------------------------------------------------------------------------------------------- acf
def test_acf_hand_worked() -> None:
    # x = 1,2,3,4: mean 2.5, d = -1.5,-0.5,0.5,1.5, sum d^2 = 5
    # lag1: 0.75 - 0.25 + 0.75 = 1.25 -> 0.25; lag2: -0.75 - 0.75 = -1.5 -> -0.3; lag3: -2.25 -> -0.45
    np.testing.assert_allclose(acf(np.array([1.0, 2, 3, 4]), 3), [1.0, 0.25, -0.3, -0.45])


@pytest.mark.parametrize("nlags", [1, 5, 10, 24])
def test_acf_matches_statsmodels(sunspots, nile, co2, elnino, nlags) -> None:
    co2_clean = co2[~np.isnan(co2)]
    for x in (sunspots, nile, co2_clean, np.concatenate(elnino)[:, 0]):
        np.testing.assert_allclose(acf(x, nlags), sm_acf(x, nlags=nlags, adjusted=False, fft=False), atol=1e-12)


def test_acf_bad_input() -> None:
    with pytest.raises(ValueError, match="NaN"):
        acf(np.array([1.0, np.nan, 3.0]), 1)
    with pytest.raises(ValueError, match="constant"):
        acf(np.ones(10), 2)
    with pytest.raises(ValueError, match="no lag 5"):
        acf(np.arange(3.0), 5)
    with pytest.raises(ValueError, match="1-D"):
        acf(np.ones((4, 2)), 1)
    with pytest.raises(ValueError, match="non-negative"):
        acf(np.arange(5.0), -1)


# ---------------------------------------------------------------------------------------------- marginal KS
def test_marginal_ks_hand_worked() -> None:
    # real pooled {1,2,3}, synthetic {2,3,4}: at x=1 F = 1/3 vs 0, x=2 2/3 vs 1/3, x=3 1 vs 2/3, x=4 1 vs 1 -> 1/3
    value, per = marginal_ks([np.array([[1.0], [2.0]]), np.array([[3.0]])], [np.array([[2.0], [3.0], [4.0]])])
    assert value == pytest.approx(1 / 3) and per == pytest.approx([1 / 3])


def test_marginal_ks_matches_scipy_pooled(macro, co2) -> None:
    real = _windows(macro, 40, 40)
    rng = np.random.default_rng(0)
    syn = [w + rng.normal(0, 0.005, w.shape) for w in _windows(macro, 30, 30)]
    value, per = marginal_ks(real, syn)
    pr, ps = np.concatenate(real), np.concatenate(syn)
    expect = [ks_2samp(pr[:, c], ps[:, c]).statistic for c in range(3)]
    np.testing.assert_allclose(per, expect)
    assert value == pytest.approx(np.mean(expect))
    # missing values are dropped before the KS statistic
    real_c, syn_c = _windows(co2, 200, 200), _windows(co2, 150, 150, start=60)
    pr, ps = np.concatenate(real_c)[:, 0], np.concatenate(syn_c)[:, 0]
    assert np.isnan(pr).any()
    assert marginal_ks(real_c, syn_c)[0] == pytest.approx(ks_2samp(pr[~np.isnan(pr)], ps[~np.isnan(ps)]).statistic)


def test_marginal_ks_all_missing_channel() -> None:
    with pytest.raises(ValueError, match="channel 1: every synthetic value is missing"):
        marginal_ks([np.ones((3, 2))], [np.array([[1.0, np.nan], [2.0, np.nan]])])


# ---------------------------------------------------------------------------------------------- ACF distance
def test_acf_distance_hand_worked() -> None:
    # real 1,2,3,4: acf lags 1,2 = 0.25, -0.3 (see test_acf_hand_worked)
    # syn 1,3,2,4: d = -1.5,0.5,-0.5,1.5, sum d^2 = 5; lag1: -0.75-0.25-0.75 = -1.75 -> -0.35; lag2: 0.75+0.75 -> 0.3
    # |0.25 - (-0.35)| = 0.6, |-0.3 - 0.3| = 0.6 -> mean 0.6 (length 4 = nlags + 2, so not skipped)
    res = acf_distance([np.array([1.0, 2, 3, 4])], [np.array([1.0, 3, 2, 4])], nlags=2)
    assert res.value == pytest.approx(0.6) and res.per_channel == pytest.approx([0.6])
    assert res.skipped == {"real": 0, "synthetic": 0}


def test_acf_distance_matches_statsmodels_mean(macro) -> None:
    real, syn = _windows(macro, 50, 25), _windows(macro, 40, 20, start=7)
    res = acf_distance(real, syn, nlags=6)
    for c in range(3):
        mr = np.mean([sm_acf(w[:, c], nlags=6, adjusted=False, fft=False)[1:] for w in real], axis=0)
        ms = np.mean([sm_acf(w[:, c], nlags=6, adjusted=False, fft=False)[1:] for w in syn], axis=0)
        assert res.per_channel[c] == pytest.approx(np.mean(np.abs(mr - ms)), abs=1e-12)
    assert res.value == pytest.approx(np.mean(res.per_channel))


def test_acf_distance_perturbations(sunspots) -> None:
    real = _windows(sunspots, 60, 30)
    shifted = _windows(sunspots, 60, 30, start=5)  # the real series shifted in time
    rng = np.random.default_rng(1)
    noise = [rng.normal(sunspots.mean(), sunspots.std(), w.shape) for w in real]
    shuffled = [w[rng.permutation(w.shape[0])] for w in real]
    assert acf_distance(real, [w.copy() for w in real]).value == 0.0
    d_shift, d_noise, d_shuf = (acf_distance(real, s).value for s in (shifted, noise, shuffled))
    assert d_shift < 0.1 < d_noise and d_shift < d_shuf and d_shuf > 0.1
    # shuffling time steps leaves every pooled marginal unchanged
    assert marginal_ks(real, shuffled)[0] == 0.0


def test_acf_distance_skips_short_missing_constant(co2) -> None:
    real = [np.arange(20.0) % 7, np.arange(11.0), np.array([1.0, np.nan] * 10), np.full(15, 3.0)]
    syn = [np.arange(30.0) % 5]
    res = acf_distance(real, syn, nlags=10)  # length 11 < 12, one missing value, one constant -> 3 skipped
    assert res.skipped == {"real": 3, "synthetic": 0}
    assert res.value == pytest.approx(acf_distance(real[:1], syn, nlags=10).value)
    windows = _windows(co2, 100, 100)
    n_nan = sum(bool(np.isnan(w).any()) for w in windows)
    assert 0 < n_nan < len(windows)
    assert acf_distance(windows, windows).skipped == {"real": n_nan, "synthetic": n_nan}
    with pytest.raises(ValueError, match="no synthetic series is usable"):
        acf_distance(real, [np.arange(5.0)], nlags=10)
    with pytest.raises(ValueError, match="positive integer"):
        acf_distance(real, syn, nlags=0)


# ---------------------------------------------------------------------------------------------- cross-correlation
def test_cross_corr_diff_hand_worked() -> None:
    # real: channel 1 = 2 * channel 0 -> rho = 1; synthetic: channel 1 = -channel 0 -> rho = -1; 0.5 * |1 - -1| = 1
    t = np.arange(5.0)
    res = cross_corr_diff([np.c_[t, 2 * t]], [np.c_[t, -t]])
    assert res.value == pytest.approx(1.0) and res.per_pair == {(0, 1): pytest.approx(2.0)} and res.reason is None


def test_cross_corr_diff_matches_numpy(macro) -> None:
    real, syn = _windows(macro, 50, 50), _windows(macro[::-1], 33, 33)
    rng = np.random.default_rng(2)
    syn = [w[:, rng.permutation(3)] for w in syn]
    res = cross_corr_diff(real, syn)
    cr, cs = np.corrcoef(np.concatenate(real).T), np.corrcoef(np.concatenate(syn).T)
    pairs = [(0, 1), (0, 2), (1, 2)]
    assert res.value == pytest.approx(0.5 * np.mean([abs(cr[i, j] - cs[i, j]) for i, j in pairs]))
    assert cross_corr_diff(real, [w.copy() for w in real]).value == 0.0
    # a time step with a missing channel is dropped whole (listwise)
    holed = [w.copy() for w in real]
    holed[0][3, 1] = np.nan
    rows = np.concatenate(holed)
    rows = rows[~np.isnan(rows).any(axis=1)]
    cr2 = np.corrcoef(rows.T)
    assert cross_corr_diff(holed, syn).value == pytest.approx(
        0.5 * np.mean([abs(cr2[i, j] - cs[i, j]) for i, j in pairs])
    )


def test_cross_corr_diff_single_channel_and_constant(sunspots) -> None:
    res = cross_corr_diff(_windows(sunspots, 50, 50), _windows(sunspots, 40, 40))
    assert res.value is None and "single channel" in res.reason
    with pytest.raises(ValueError, match=r"synthetic: channel\(s\) \[1\] are constant"):
        cross_corr_diff([np.c_[np.arange(4.0), np.arange(4.0) ** 2]], [np.c_[np.arange(4.0), np.ones(4)]])


# ---------------------------------------------------------------------------------------------- spectrum
def test_spectral_distance_hand_worked() -> None:
    # cos at FFT bin 2 vs bin 4 of 16: all (detrended) power sits in one bin each -> TV = 0.5 * (1 + 1) = 1;
    # the same frequency with another phase and amplitude has the same normalised periodogram -> 0
    t = np.arange(16)
    a, b = np.cos(2 * np.pi * 2 * t / 16), np.cos(2 * np.pi * 4 * t / 16)
    assert spectral_distance([a], [b]).value == pytest.approx(1.0)
    assert spectral_distance([a], [5 * np.cos(2 * np.pi * 2 * t / 16 + 1.0)]).value == pytest.approx(0.0, abs=1e-12)


def test_spectral_distance_matches_scipy(nile, sunspots) -> None:
    real, syn = _windows(nile, 40, 20), _windows(sunspots, 64, 32) + _windows(sunspots, 50, 50)
    res = spectral_distance(real, syn, nfft=64)

    def mean_p(ws: list[np.ndarray]) -> np.ndarray:
        ps = [periodogram(w[:, 0], nfft=64, detrend="constant")[1] for w in ws]
        return np.mean([p / p.sum() for p in ps], axis=0)

    assert res.value == pytest.approx(0.5 * np.abs(mean_p(real) - mean_p(syn)).sum())
    assert res.nfft == 64
    assert spectral_distance(real, syn).nfft == 64  # default: the longest series
    rng = np.random.default_rng(3)
    noise = [rng.normal(size=w.shape) for w in syn]
    assert spectral_distance(syn, [10 * w + 3 for w in syn]).value == pytest.approx(0.0, abs=1e-12)  # scale-free
    assert spectral_distance(syn, _windows(sunspots, 64, 32, start=5)).value < spectral_distance(syn, noise).value
    with pytest.raises(ValueError, match="nfft"):
        spectral_distance(real, syn, nfft=1)


# ---------------------------------------------------------------------------------------------- lengths
def test_length_similarity() -> None:
    # lengths real 3,3,5 vs synthetic 3,5,5: at 3 F = 2/3 vs 1/3, at 5 both 1 -> KS 1/3 -> similarity 2/3
    mk = lambda n: np.zeros((n, 2))  # noqa: E731
    real, syn = [mk(3), mk(3), mk(5)], [mk(3), mk(5), mk(5)]
    assert length_similarity(real, syn) == pytest.approx(2 / 3)
    assert length_similarity(real, syn) == pytest.approx(1 - ks_2samp([3, 3, 5], [3, 5, 5]).statistic)
    assert length_similarity(real, real[::-1]) == 1.0


# ---------------------------------------------------------------------------------------------- event sequences
def test_transition_distance_hand_worked() -> None:
    # real a b a -> {ab: 1/2, ba: 1/2}; synthetic a b b -> {ab: 1/2, bb: 1/2}; TV = 0.5 * (0 + 1/2 + 1/2) = 0.5
    assert transition_distance([["a", "b", "a"]], [["a", "b", "b"]]) == pytest.approx(0.5)
    # disjoint transitions -> 1; a copy -> 0; a single-event sequence adds no transition
    assert transition_distance([["a", "b"]], [["c", "d"]]) == pytest.approx(1.0)
    seqs = [[1, 2, 3, 1], [2, 2], [3]]
    assert transition_distance(seqs, [list(s) for s in seqs]) == 0.0
    with pytest.raises(ValueError, match="synthetic: no sequence has 2 or more events"):
        transition_distance(seqs, [[1], []])


def test_item_coverage_hand_worked() -> None:
    # real items {a,b,c,d}; synthetic {a,c,x} covers a and c -> 2/4
    assert item_coverage([["a", "b"], ["c", "d", "a"]], [["a", "x"], ["c"]]) == pytest.approx(0.5)
    assert item_coverage([["a"]], [["a", "b"]]) == 1.0
    with pytest.raises(ValueError, match="no items"):
        item_coverage([[]], [["a"]])
    with pytest.raises(ValueError, match="no event sequences"):
        item_coverage([], [["a"]])
    with pytest.raises(ValueError, match="not a list of tokens"):
        item_coverage(["abc"], [["a"]])


# ---------------------------------------------------------------------------------------------- order, bad input
def test_order_of_series_does_not_matter(macro) -> None:
    real, syn = _windows(macro, 40, 20), _windows(macro, 30, 25, start=3)
    rng = np.random.default_rng(4)
    real_p, syn_p = [real[i] for i in rng.permutation(len(real))], [syn[i] for i in rng.permutation(len(syn))]
    assert marginal_ks(real, syn)[1] == pytest.approx(marginal_ks(real_p, syn_p)[1], abs=1e-12)
    assert acf_distance(real, syn, 5).per_channel == pytest.approx(acf_distance(real_p, syn_p, 5).per_channel)
    assert cross_corr_diff(real, syn).value == pytest.approx(cross_corr_diff(real_p, syn_p).value)
    assert spectral_distance(real, syn).value == pytest.approx(spectral_distance(real_p, syn_p).value)
    assert length_similarity(real, syn) == length_similarity(real_p, syn_p)
    ev_r, ev_s = [["a", "b", "c"], ["c", "a"], ["b", "b"]], [["a", "c"], ["b", "c", "a"]]
    assert transition_distance(ev_r, ev_s) == pytest.approx(transition_distance(ev_r[::-1], ev_s[::-1]))
    assert item_coverage(ev_r, ev_s) == item_coverage(ev_r[::-1], ev_s[::-1])


FUNCS = [marginal_ks, acf_distance, cross_corr_diff, spectral_distance, length_similarity]


@pytest.mark.parametrize("fn", FUNCS, ids=lambda f: f.__name__)
@pytest.mark.parametrize(
    ("real", "syn", "message"),
    [
        ([], [np.ones((3, 1))], "real: no series given"),
        ([np.ones((3, 1))], [], "synthetic: no series given"),
        ([np.zeros((0, 1))], [np.ones((3, 1))], "real: series 0 has no time steps"),
        ([np.ones((3, 1)), np.ones((3, 2))], [np.ones((3, 1))], "disagree on the number of channels"),
        ([np.ones((3, 2))], [np.ones((3, 1))], "real has 2 channels but synthetic has 1"),
        ([np.array([[1.0], [np.inf]])], [np.ones((3, 1))], "inf"),
        ([np.ones((2, 2, 2))], [np.ones((3, 1))], "3 dimensions"),
        (np.ones((3, 2)), [np.ones((3, 2))], "expected a list"),
        ([["a", "b"]], [np.ones((3, 1))], "not numeric"),
    ],
)
def test_bad_input_messages(fn, real, syn, message) -> None:
    with pytest.raises(ValueError, match=message):
        fn(real, syn)


def test_unequal_lengths_accepted(elnino, nile) -> None:
    real = elnino  # 61 series x 12 steps
    syn = [nile[i : i + n, None] for i, n in zip(range(0, 80, 8), [12, 15, 20, 12, 13, 14, 18, 12, 16, 12])]
    assert 0 <= marginal_ks(real, syn)[0] <= 1
    assert 0 <= acf_distance(real, syn, 4).value <= 2
    assert 0 <= spectral_distance(real, syn).value <= 1
    assert 0 < length_similarity(real, syn) < 1
