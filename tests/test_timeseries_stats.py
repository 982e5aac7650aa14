"""synthaudit.stats.timeseries against independent references (tutorial: sequential data).

References: statsmodels.tsa.stattools.acf, scipy.stats.ks_2samp, numpy.corrcoef, scipy.signal.periodogram and
hand-worked fixtures; the real side is series that ship with statsmodels (sunspots, CO2, Nile, elnino, macrodata).
"""
from __future__ import annotations

from itertools import zip_longest
from typing import Any

import numpy as np
import pytest
from scipy.signal import periodogram
from scipy.stats import ks_2samp

from synthaudit.stats.timeseries import (
    EMBEDDING_BANDS,
    AcfState,
    CorrState,
    acf,
    acf_distance,
    acf_many,
    cross_corr_diff,
    diversity_coverage,
    embedding_columns,
    series_embedding,
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


# ---------------------------------------------------------------------------------------------- acf_many (FFT)
@pytest.mark.parametrize("t,nlags", [(2, 1), (7, 6), (50, 10), (201, 24)])
def test_acf_many_matches_statsmodels_row_by_row(t, nlags) -> None:
    if sm_acf is None:
        pytest.skip("statsmodels is not installed")
    rng = np.random.default_rng(t)
    x = np.cumsum(rng.normal(size=(9, t)), axis=1) + 100.0  # large mean: the FFT must demean first
    got = acf_many(x, nlags)
    assert got.shape == (9, nlags + 1)
    for row, ref in zip(x, got):
        np.testing.assert_allclose(ref, sm_acf(row, nlags=nlags, adjusted=False, fft=False), atol=1e-12)


def test_acf_many_hand_worked_constant_and_errors() -> None:
    got = acf_many(np.array([[1.0, 2, 3, 4], [4.0, 3, 2, 1], [2.0, 2, 2, 2]]), 3)
    np.testing.assert_allclose(got[:2], [[1.0, 0.25, -0.3, -0.45]] * 2)  # as test_acf_hand_worked; reversal keeps it
    assert np.isnan(got[2]).all()  # constant row: 0/0, as statsmodels
    assert acf_many(np.empty((0, 5)), 2).shape == (0, 3)
    # constant rows with values whose mean does not round-trip, long rows; a near-constant row is not constant
    awkward = np.array([[0.1] * 1000, [1 / 3] * 1000, [1e6 + 0.1] * 1000, [-7.3e-200] * 1000, [0.0] * 1000])
    assert np.isnan(acf_many(awkward, 4)).all()
    near = np.ones((1, 1000))
    near[0, 500] += 2.0 ** -52
    got_near = acf_many(near, 4)
    assert np.isfinite(got_near).all() and got_near[0, 0] == 1.0
    with pytest.raises(ValueError, match="2-D"):
        acf_many(np.arange(5.0), 2)
    with pytest.raises(ValueError, match="NaN"):
        acf_many(np.array([[1.0, np.nan, 3.0]]), 1)
    with pytest.raises(ValueError, match="no lag 3"):
        acf_many(np.ones((2, 3)), 3)


def test_acf_distance_grouped_equals_per_series_loop() -> None:
    """acf_distance (lengths grouped, FFT) vs the per-series mean of statsmodels' ACF, unequal lengths, NaN,
    constant and too-short series, 3 channels."""
    if sm_acf is None:
        pytest.skip("statsmodels is not installed")
    rng = np.random.default_rng(3)
    real = [np.cumsum(rng.normal(size=(t, 3)), axis=0) for t in (30, 30, 41, 12, 5, 30)]
    syn = [rng.normal(size=(t, 3)) for t in (30, 22, 22, 64)]
    real[1][4, 0] = np.nan
    real[2][:, 2] = 7.0
    nlags = 4

    def mean_acf(side, c):
        rows = [sm_acf(a[:, c], nlags=nlags, adjusted=False, fft=False)[1:] for a in side
                if a.shape[0] >= nlags + 2 and not np.isnan(a[:, c]).any() and np.ptp(a[:, c]) > 0]
        return np.mean(rows, axis=0)

    res = acf_distance(real, syn, nlags)
    expect = [np.mean(np.abs(mean_acf(real, c) - mean_acf(syn, c))) for c in range(3)]
    np.testing.assert_allclose(res.per_channel, expect, rtol=1e-12, atol=1e-14)
    assert res.skipped == {"real": 3 + 1 + 1, "synthetic": 0}  # series of 5 steps (3 channels), NaN, constant


# ---------------------------------------------------------------------------------------------- mergeable states
def _batches(items: list, cuts: list[int]) -> list[list]:
    edges = [0, *cuts, len(items)]
    return [items[a:b] for a, b in zip(edges[:-1], edges[1:])]


@pytest.fixture(scope="module")
def stream_data() -> tuple[list[np.ndarray], list[np.ndarray]]:
    rng = np.random.default_rng(11)
    mix = np.array([[1.0, 0.6, 0.0], [0.0, 0.8, 0.3], [0.0, 0.0, 1.0]])
    real = [np.cumsum(rng.normal(size=(t, 3)), axis=0) @ mix + 1e3 for t in rng.integers(4, 40, size=23)]
    syn = [rng.normal(size=(t, 3)) @ mix - 50 for t in rng.integers(4, 40, size=17)]
    real[3][2, 1] = np.nan
    syn[5][0, :] = np.nan
    return real, syn


@pytest.mark.parametrize("cuts_r,cuts_s", [([], []), ([1], [16]), ([5, 6, 20], [3, 9]), (list(range(1, 23)), [8])])
def test_states_merged_equal_one_shot(stream_data, cuts_r, cuts_s) -> None:
    real, syn = stream_data
    one_acf, one_corr = acf_distance(real, syn, 3), cross_corr_diff(real, syn)
    acc_a, acc_c = AcfState(3), CorrState()
    for br, bs in zip_longest(_batches(real, cuts_r), _batches(syn, cuts_s), fillvalue=[]):
        part_a, part_c = AcfState(3), CorrState()
        part_a.add(br, "real").add(bs, "synthetic")
        part_c.add(br, "real").add(bs, "synthetic")
        acc_a.merge(part_a)
        acc_c.merge(part_c)
    got_a, got_c = acc_a.result(), acc_c.result()
    np.testing.assert_allclose(got_a.per_channel, one_acf.per_channel, rtol=1e-12)
    assert got_a.value == pytest.approx(one_acf.value, rel=1e-12) and got_a.skipped == one_acf.skipped
    assert got_c.value == pytest.approx(one_corr.value, rel=1e-12)
    for pair, v in one_corr.per_pair.items():
        assert got_c.per_pair[pair] == pytest.approx(v, rel=1e-12, abs=1e-15)


def test_corr_state_against_numpy_corrcoef(stream_data) -> None:
    real, syn = stream_data
    state = CorrState()
    for b in _batches(real, [2, 11]):
        state.add(b, "real")
    state.add(syn, "synthetic")
    rows = np.concatenate(real)
    rows = rows[~np.isnan(rows).any(axis=1)]
    np.testing.assert_allclose(state._corr(0, "real"), np.corrcoef(rows, rowvar=False), rtol=1e-12)


def test_states_errors_match_one_shot() -> None:
    ok = [np.arange(20.0)[:, None] ** 1.5]
    const = [np.full((20, 1), 3.0)]
    with pytest.raises(ValueError, match="channel 0: no synthetic series is usable for the ACF"):
        AcfState(3).add(ok, "real").add(const, "synthetic").result()
    with pytest.raises(ValueError, match="channel 0: no synthetic series is usable for the ACF"):
        acf_distance(ok, const, 3)
    with pytest.raises(ValueError, match="synthetic: no series given"):
        AcfState(3).add(ok, "real").result()
    with pytest.raises(ValueError, match="earlier batches had 1"):
        AcfState(3).add(ok, "real").add([np.zeros((20, 2))], "synthetic")
    with pytest.raises(ValueError, match="nlags 3 and 4"):
        AcfState(3).merge(AcfState(4))
    with pytest.raises(ValueError, match="side must be"):
        CorrState().add(ok, "holdout")
    two = [np.column_stack([np.arange(9.0), np.arange(9.0) ** 2])]
    flat = [np.column_stack([np.arange(9.0), np.full(9, 2.0)])]
    for fn in (lambda: cross_corr_diff(two, flat),
               lambda: CorrState().add(two, "real").add(flat, "synthetic").result()):
        with pytest.raises(ValueError, match=r"synthetic: channel\(s\) \[1\] are constant"):
            fn()
    holed = [np.array([[1.0, np.nan], [2.0, 3.0]])]
    with pytest.raises(ValueError, match="real: fewer than 2 time steps"):
        CorrState().add(holed, "real").add(two, "synthetic").result()
    single = CorrState().add([np.ones((3, 1))], "real").add([np.ones((2, 1))], "synthetic").result()
    assert single.value is None and "single channel" in single.reason


# ---------------------------------------------------------------------------------------------- embedding, coverage
def test_series_embedding_hand_worked_short_series() -> None:
    # x = 1, 2, 3: mean 2, std sqrt(2/3); d = -1, 0, 1, sum d^2 = 2; lag1 (-1*0 + 0*1) / 2 = 0, lag2 -1/2, lag>=3: 0
    # periodogram (T = 3): DC 0 and one bin at f = 1/3 (band 3: [1/4, 3/8)) -> shares 0, 0, 1, 0
    e = series_embedding([np.array([1.0, 2.0, 3.0])])
    np.testing.assert_allclose(e[0], [2.0, np.sqrt(2 / 3), 0.0, -0.5, 0, 0, 0, 0, 0, 1, 0], atol=1e-15)
    assert embedding_columns(1)[:3] == ["c0_mean", "c0_std", "c0_acf1"] and len(embedding_columns(2)) == 22
    const = series_embedding([np.full((8, 1), 4.0)])[0]
    np.testing.assert_allclose(const, [4.0, 0, 0, 0, 0, 0, 0, 0.25, 0.25, 0.25, 0.25])
    with pytest.raises(ValueError, match="series 1, channel 1: every value is missing"):
        series_embedding([np.ones((4, 2)), np.column_stack([np.ones(4), np.full(4, np.nan)])])


def test_series_embedding_against_statsmodels_and_scipy() -> None:
    if sm_acf is None:
        pytest.skip("statsmodels is not installed")
    rng = np.random.default_rng(5)
    series = [np.cumsum(rng.normal(size=(t, 2)), axis=0) for t in (40, 17, 40, 64)]
    series[2][[3, 9], 1] = np.nan
    e = series_embedding(series)
    assert e.shape == (4, 22)
    for i, a in enumerate(series):
        for c in range(2):
            x = a[:, c]
            filled = np.where(np.isnan(x), np.nanmean(x), x)
            f, p = periodogram(filled, detrend="constant", scaling="density")
            bands = [p[(f >= lo) & ((f < hi) | (hi == 0.5))].sum() for lo, hi in EMBEDDING_BANDS]
            expect = [np.nanmean(x), np.nanstd(x), *sm_acf(filled, nlags=5, adjusted=False, fft=False)[1:],
                      *(np.array(bands) / p.sum())]
            np.testing.assert_allclose(e[i, 11 * c:11 * (c + 1)], expect, rtol=1e-10, atol=1e-12)
    perm = [3, 0, 2, 1]
    np.testing.assert_array_equal(series_embedding([series[j] for j in perm]), e[perm])


def test_beta_coverage_arrays_hand_worked() -> None:
    from synthaudit.metrics.tabular.support import beta_coverage_arrays

    # real 0, 1, 3; synthetic 0.9, 2.8, 10 (1-D). Nearest other real: 1, 1, 2; nearest synthetic: 0.9 (0.9),
    # 0.9 (0.1), 2.8 (0.2): every real row is near. Synthetic centre 13.7 / 3; distances of the closest synthetic
    # rows to it: 3.667, 3.667, 1.767 -> their b-quantile is < 3.667 for b < 1/2 (only real 3 covered: 1/3), else 1
    betas = np.linspace(0, 1, 30)
    cov = beta_coverage_arrays(np.array([[0.0], [1.0], [3.0]]), np.array([[0.9], [2.8], [10.0]]), betas)
    np.testing.assert_allclose(cov, np.where(betas < 0.5, 1 / 3, 1.0))


def test_diversity_coverage_equals_tabular_path() -> None:
    """The same embeddings through tabular.beta_recall's own path (prepare_tabular + support_curves: min-max
    scaling with the real ranges) and through beta_coverage_arrays."""
    import pandas as pd

    from synthaudit.data.tabular_inputs import prepare_tabular
    from synthaudit.metrics.tabular.support import beta_coverage_arrays, support_curves

    rng = np.random.default_rng(8)
    real = [np.cumsum(rng.normal(size=(t, 2)), axis=0) for t in rng.integers(10, 30, size=40)]
    syn = [rng.normal(size=(t, 2)) * 2 for t in rng.integers(10, 30, size=35)]
    er, es = series_embedding(real), series_embedding(syn)
    cols = embedding_columns(2)
    curves = support_curves(prepare_tabular(synthetic=pd.DataFrame(es, columns=cols),
                                            real=pd.DataFrame(er, columns=cols)), max_rows=None)
    lo, span = er.min(axis=0), np.ptp(er, axis=0)
    ours = beta_coverage_arrays((er - lo) / span, (es - lo) / span, curves.alphas)
    np.testing.assert_allclose(ours, curves.coverage, atol=1e-12)
    # diversity_coverage = the same estimator on the real-standardised embeddings
    res = diversity_coverage(real, syn)
    mu, sd = er.mean(axis=0), er.std(axis=0)
    np.testing.assert_allclose(res.coverage, beta_coverage_arrays((er - mu) / sd, (es - mu) / sd, res.betas))
    assert res.value == pytest.approx(1 - np.abs(res.coverage - res.betas).sum() / res.betas.sum())
    assert res.integrated_alaa == pytest.approx(1 - 2 * np.abs(res.coverage - res.betas).sum() / 29)
    assert (res.n_real, res.n_synthetic) == (40, 35)
    shuffled = diversity_coverage([real[i] for i in rng.permutation(40)], [syn[i] for i in rng.permutation(35)])
    assert shuffled.value == res.value


def test_diversity_coverage_copy_vs_collapse() -> None:
    rng = np.random.default_rng(9)
    real = [np.cumsum(rng.normal(size=(25, 1)), axis=0) * rng.uniform(0.5, 3) for _ in range(40)]
    same = diversity_coverage(real, [a.copy() for a in real])
    collapsed = diversity_coverage(real, [real[0].copy() for _ in range(40)])
    assert same.coverage[-1] == pytest.approx(1.0) and same.value > 0.8
    assert collapsed.coverage[-1] <= 2 / 40 and collapsed.value < 0.1
    with pytest.raises(ValueError, match="at least 2 real series"):
        diversity_coverage(real[:1], real)


def test_direct_and_fft_acf_paths_agree():
    """The compiled direct sums (numba) and the FFT path give the same ACF rows, constant and zero rows included."""
    from synthaudit.stats.timeseries import _acf_direct, _acf_fft, HAVE_NUMBA

    if not HAVE_NUMBA:
        pytest.skip("numba not installed: only the FFT path runs")
    rng = np.random.default_rng(11)
    x = rng.normal(size=(40, 37)) * rng.uniform(0.1, 100, (40, 1)) + rng.normal(0, 1e3, (40, 1))
    x[3] = 7.25  # constant
    x[5] = 0.0
    for nlags in (0, 1, 10, 36, 40):
        a, b = _acf_direct(x, nlags, True, True), _acf_fft(x, nlags, True, True)
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12, equal_nan=True)
        assert np.isnan(a[3]).all() and np.isnan(a[5]).all()
