"""synthaudit.stats.ts_distance (timeseries.dcr; tutorial: sequential data) against independent references.

References: hand-worked DTW fixtures, a plain-Python O(nm) DTW written here, dtaidistance's dtw_ndim (when
installed), scipy.spatial.distance.cdist for the Euclidean nearest neighbours, and tabular.dcr's share helper
applied to those brute-force distances.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.spatial.distance import cdist

from synthaudit.metrics.tabular.privacy import _calibrated_share
from synthaudit.stats.ts_distance import dtw_distance, nearest_dtw, nearest_euclidean, series_dcr


def _dtw_reference(a: np.ndarray, b: np.ndarray, band: int | None = None) -> float:
    """Textbook O(nm) dependent DTW, full cost matrix, squared-Euclidean local cost, band widened by the length
    difference (as documented in ts_distance)."""
    a, b = (v[:, None] if v.ndim == 1 else v for v in (a, b))
    n, m = len(a), len(b)
    w = max(n, m) if band is None else band
    big = float("inf")
    d = [[big] * (m + 1) for _ in range(n + 1)]
    d[0][0] = 0.0
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            if not (i - max(0, n - m) - w <= j <= i + max(0, m - n) + w):
                continue
            cost = sum((float(x) - float(y)) ** 2 for x, y in zip(a[i - 1], b[j - 1]))
            d[i][j] = cost + min(d[i - 1][j], d[i][j - 1], d[i - 1][j - 1])
    return math.sqrt(d[n][m])


# ---------------------------------------------------------------------------------------------- DTW
def test_dtw_hand_worked_3x3() -> None:
    # a = 0,0,1 and b = 0,1,1; local costs (a_i - b_j)^2: rows [0,1,1], [0,1,1], [1,0,0].
    # Full DTW: path (0,0) (1,0) (2,1) (2,2) costs 0 -> 0. Band 0 (the diagonal): 0 + 1 + 0 = 1.
    # Band 1: D[1][2] = 1 + min(1, inf, 1) = 2, D[2][1] = 0 + min(0, 1, inf) = 0, D[2][2] = 0 + min(1, 2, 0) = 0 -> 0.
    a, b = np.array([0.0, 0.0, 1.0]), np.array([0.0, 1.0, 1.0])
    assert dtw_distance(a, b) == 0.0
    assert dtw_distance(a, b, band=0) == 1.0
    assert dtw_distance(a, b, band=1) == 0.0
    # a = 0,1,2 and b = 0,2,2: costs [0,4,4], [1,1,1], [4,0,0]; best path (0,0) (1,1) (2,2) or via (2,1): 0+1+0 = 1
    assert dtw_distance([0.0, 1.0, 2.0], [0.0, 2.0, 2.0]) == 1.0
    # two channels: the local cost sums the channels' squared differences (dependent DTW)
    assert dtw_distance(np.array([[0.0, 0.0]]), np.array([[3.0, 4.0]])) == 5.0


@pytest.mark.parametrize("n,m,band", [(9, 9, None), (9, 9, 0), (9, 9, 2), (12, 7, None), (12, 7, 1), (5, 11, 3),
                                      (1, 6, None), (6, 1, 0)])
def test_dtw_against_plain_python(n, m, band) -> None:
    rng = np.random.default_rng(n * 100 + m)
    a, b = rng.normal(size=(n, 3)), rng.normal(size=(m, 3))
    assert dtw_distance(a, b, band) == pytest.approx(_dtw_reference(a, b, band), rel=1e-12)


@pytest.mark.parametrize("band", [None, 0, 2, 5])
def test_dtw_against_dtaidistance(band) -> None:
    dtw_ndim = pytest.importorskip("dtaidistance.dtw_ndim")
    rng = np.random.default_rng(band or 7)
    for n, m in [(10, 10), (14, 9), (8, 13)]:
        a, b = rng.normal(size=(n, 2)), rng.normal(size=(m, 2))
        ref = dtw_ndim.distance(a, b, window=None if band is None else band + 1)
        assert dtw_distance(a, b, band) == pytest.approx(ref, rel=1e-12)


def test_nearest_dtw_brute_force_and_errors() -> None:
    rng = np.random.default_rng(2)
    q = [rng.normal(size=(t, 2)) for t in (5, 8, 3)]
    r = [rng.normal(size=(t, 2)) for t in (6, 4, 9, 7)]
    d, i = nearest_dtw(q, r, band=2)
    full = np.array([[_dtw_reference(a, b, 2) for b in r] for a in q])
    np.testing.assert_allclose(d, full.min(axis=1), rtol=1e-12)
    np.testing.assert_array_equal(i, full.argmin(axis=1))
    with pytest.raises(ValueError, match="dtw_band must be"):
        dtw_distance(q[0], r[0], band=-1)
    with pytest.raises(ValueError, match="equal channels"):
        dtw_distance(q[0], np.ones((3, 1)))


# ---------------------------------------------------------------------------------------------- Euclidean
def test_nearest_euclidean_against_cdist() -> None:
    rng = np.random.default_rng(4)
    q, r = rng.normal(size=(37, 12)) + 50, rng.normal(size=(23, 12)) + 50  # large norms: cancellation
    r[5] = q[3]  # an exact copy must read exactly 0
    r[9] = r[2]  # a tie: the lower index wins
    q[7] = r[2]
    d, i = nearest_euclidean(q, r)
    full = cdist(q, r)
    np.testing.assert_allclose(d, full.min(axis=1), rtol=1e-12)
    np.testing.assert_array_equal(i, full.argmin(axis=1))
    assert d[3] == 0.0 and i[3] == 5 and d[7] == 0.0 and i[7] == 2


def _sets(rng, n=60, t=20, k=2):
    def draw(size):
        return [np.cumsum(rng.normal(size=(t, k)), axis=0) * [1.0, 5.0][:k] + [0.0, 100.0][:k] for _ in range(size)]
    return draw(n), draw(n), draw(n)


def test_series_dcr_euclidean_against_brute_force() -> None:
    rng = np.random.default_rng(10)
    syn, train, hold = _sets(rng, n=30, t=15)
    syn = [a[: 12 + i % 4] for i, a in enumerate(syn)]  # unequal lengths: the default window is the shortest
    assert series_dcr(syn, train, hold).window == 12
    train[4] = train[4][:8]  # shorter than the window: left out
    syn[2][3, 1] = np.nan
    hold = hold[:25]
    assert series_dcr(syn, train, hold).window == 8
    res = series_dcr(syn, train, hold, window=12)
    assert res.window == 12 and res.left_out == {"synthetic": 0, "train": 1, "holdout": 0}
    pooled = np.concatenate(train)
    mu, sd = pooled.mean(axis=0), pooled.std(axis=0)

    def flat(s):
        return np.stack([np.nan_to_num((a[:12] - mu) / sd, nan=0.0).ravel() for a in s if len(a) >= 12])

    kept_train = [i for i, a in enumerate(train) if len(a) >= 12]
    fs, ft, fh = flat(syn), flat(train), flat(hold)
    d_tr, d_ho, base = cdist(fs, ft).min(axis=1), cdist(fs, fh).min(axis=1), cdist(fh, ft).min(axis=1)
    np.testing.assert_allclose(res.nearest_distance, d_tr, rtol=1e-12)
    np.testing.assert_array_equal(res.nearest_index, np.array(kept_train)[cdist(fs, ft).argmin(axis=1)])
    assert res.value == pytest.approx(_calibrated_share(d_tr, d_ho, 29, 25).mean())
    assert res.share_unbalanced == pytest.approx(np.mean(np.where(d_tr < d_ho, 1, np.where(d_tr == d_ho, 0.5, 0))))
    assert res.synthetic_p5 == pytest.approx(np.quantile(d_tr, 0.05))
    assert res.holdout_p5 == pytest.approx(np.quantile(base, 0.05))
    assert res.distance == "euclidean" and res.dtw_band is None and res.exact_copy_share == 0.0


def test_series_dcr_window_leaves_short_synthetic_out() -> None:
    rng = np.random.default_rng(12)
    syn, train, hold = _sets(rng, n=10, t=20)
    syn[1], syn[6] = syn[1][:9], syn[6][:5]
    res = series_dcr(syn, train, hold, window=10)
    assert res.window == 10 and res.left_out["synthetic"] == 2
    assert np.isnan(res.nearest_distance[[1, 6]]).all() and (res.nearest_index[[1, 6]] == -1).all()
    assert np.isfinite(np.delete(res.nearest_distance, [1, 6])).all()
    with pytest.raises(ValueError, match="synthetic: no series has at least window = 30"):
        series_dcr(syn, train, hold, window=30)


@pytest.mark.parametrize("distance", ["euclidean", "dtw"])
def test_series_dcr_copies_fresh_draws_and_order(distance) -> None:
    rng = np.random.default_rng(13)
    n = 200 if distance == "euclidean" else 60
    syn, train, hold = _sets(rng, n=n, t=16 if distance == "euclidean" else 10)
    kw = {"distance": distance, "dtw_band": 2 if distance == "dtw" else None}
    copies = series_dcr([a.copy() for a in train], train, hold, **kw)
    assert copies.value == pytest.approx(1.0) and copies.exact_copy_share == 1.0
    np.testing.assert_array_equal(copies.nearest_index, np.arange(n))
    assert copies.synthetic_p5 == 0.0 < copies.holdout_p5
    fresh = series_dcr(syn, train, hold, **kw)
    assert abs(fresh.value - 0.5) < 0.15 and fresh.exact_copy_share == 0.0  # binomial sd 0.035 (n 200) / 0.065 (n 60)
    perm = rng.permutation(n)
    shuffled = series_dcr([syn[i] for i in perm], [train[i] for i in rng.permutation(n)],
                          [hold[i] for i in rng.permutation(n)], **kw)
    assert shuffled.value == fresh.value and shuffled.synthetic_p5 == fresh.synthetic_p5
    assert shuffled.holdout_p5 == fresh.holdout_p5
    np.testing.assert_array_equal(shuffled.nearest_distance, fresh.nearest_distance[perm])


def test_series_dcr_standardises_with_train_not_per_series() -> None:
    """A scaled or shifted copy is not an exact copy (per-series z-normalisation would make it one)."""
    rng = np.random.default_rng(14)
    _, train, hold = _sets(rng, n=20, t=12)
    scaled = series_dcr([2.0 * a for a in train], train, hold)
    shifted = series_dcr([a + 0.05 for a in train], train, hold)  # small: the original stays nearest
    assert scaled.exact_copy_share == 0.0 and shifted.exact_copy_share == 0.0
    # a shift by 0.05 moves every cell of channel c by 0.05 / sd_c: distance sqrt(12 * sum_c (0.05 / sd_c)^2)
    sd = np.concatenate(train).std(axis=0)
    np.testing.assert_allclose(shifted.nearest_distance, np.sqrt(12 * np.sum((0.05 / sd) ** 2)), rtol=1e-9)


def test_series_dcr_dtw_one_channel_unequal_lengths() -> None:
    rng = np.random.default_rng(15)
    train = [rng.normal(size=(t, 1)) for t in (5, 9, 7, 6)]
    hold = [rng.normal(size=(t, 1)) for t in (8, 4, 6)]
    syn = [train[2][:, 0].copy(), rng.normal(size=11)]  # 1-D arrays read as one channel
    res = series_dcr(syn, train, hold, distance="dtw")
    pooled = np.concatenate(train)
    z = [(np.asarray(a).reshape(len(a), 1) - pooled.mean()) / pooled.std() for a in syn]
    zt = [(a - pooled.mean()) / pooled.std() for a in train]
    expect = [min(_dtw_reference(a, b) for b in zt) for a in z]
    np.testing.assert_allclose(res.nearest_distance, expect, rtol=1e-12)
    assert res.nearest_index[0] == 2 and res.nearest_distance[0] == 0.0 and res.window is None


def test_series_dcr_bad_input() -> None:
    rng = np.random.default_rng(16)
    syn, train, hold = _sets(rng, n=4, t=6)
    with pytest.raises(ValueError, match="unknown distance 'l1'"):
        series_dcr(syn, train, hold, distance="l1")
    with pytest.raises(ValueError, match="disagree on the number of channels"):
        series_dcr([a[:, :1] for a in syn], train, hold)
    with pytest.raises(ValueError, match="holdout: no series given"):
        series_dcr(syn, train, [])
    with pytest.raises(ValueError, match="window applies to distance='euclidean'"):
        series_dcr(syn, train, hold, distance="dtw", window=3)
    with pytest.raises(ValueError, match="dtw_band applies"):
        series_dcr(syn, train, hold, dtw_band=3)
    with pytest.raises(ValueError, match="window must be a positive integer"):
        series_dcr(syn, train, hold, window=0)
    train[0] = train[0].copy()
    for a in train:
        a[:, 1] = np.nan
    with pytest.raises(ValueError, match="train: channel 1 has no observed value"):
        series_dcr(syn, train, hold)
