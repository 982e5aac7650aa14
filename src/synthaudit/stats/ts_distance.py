"""Distance to closest record for series: timeseries.dcr (tutorial: sequential data).

For each synthetic series, the distance to its nearest training series; value = share of synthetic series closer
to train than to a real holdout set (ties count 1/2; target 0.5), with the 5th percentile of the synthetic ->
train distances against the holdout -> train baseline, as tabular.dcr (the share and its recalibration for
unequal train / holdout sizes are tabular.dcr's helpers, :mod:`synthaudit.metrics.tabular.privacy`).

Standardisation: every channel is standardised with the TRAIN set's mean and standard deviation (all time steps
of all training series pooled), the same affine map for every series. Not per-series z-normalisation: that would
map a scaled or shifted copy of a training series (x -> a x + b) onto the original, so a disguised copy would read
as an exact copy and a plain rescaling as no change; with one global map distances keep the data's units (in
training standard deviations). A channel constant in train is only centred. A missing value (NaN) is imputed
with 0 after standardisation, i.e. with the training mean of its channel.

Distances (the series are a list of (time steps x channels) arrays, as :mod:`synthaudit.stats.timeseries`):

* ``euclidean`` (the catalog's): series aligned at their start and cut to a common window of ``window`` steps
  (default: the shortest length over the three sets); a series shorter than the window is left out and counted;
  Euclidean distance over window x channels. Exact nearest neighbours by BLAS (||q||^2 + ||r||^2 - 2 q.r, in
  chunks), the near-ties of each query recomputed directly so that every reported distance (and an exact copy's
  0) is exact.
* ``dtw``: dependent multivariate dynamic time warping on the full (unequal) lengths, local cost the squared
  Euclidean distance between time steps, distance = sqrt(minimal cumulative cost) (dtaidistance's
  ``dtw_ndim.distance``); ``dtw_band`` = Sakoe-Chiba band: step i of one series may match step j of the other
  when i - max(0, n - m) - band <= j <= i + max(0, m - n) + band (widened by the length difference so the end is
  reachable; dtaidistance's ``window = band + 1``); None = no band. numba kernel (``synthaudit.stats.jit``) with
  early abandoning (exact).
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from synthaudit.stats.jit import njit, prange
from synthaudit.stats.timeseries import _as_series

__all__ = ["DISTANCES", "DcrResult", "dtw_distance", "nearest_dtw", "nearest_euclidean", "series_dcr"]

DISTANCES = ("euclidean", "dtw")
CHUNK_CELLS = 4_000_000  # query x reference distances held at once in the Euclidean pass
_EPS = np.finfo(float).eps


class DcrResult(NamedTuple):
    value: float                    # share closer to train than to holdout (ties 1/2; equal-size recalibration)
    share_unbalanced: float         # the raw share, without the recalibration
    nearest_distance: np.ndarray    # per synthetic series: distance to the nearest train series (NaN: left out)
    nearest_index: np.ndarray       # per synthetic series: index of that train series in the list (-1: left out)
    synthetic_p5: float             # 5th percentile of synthetic -> train
    holdout_p5: float               # 5th percentile of holdout -> train (baseline)
    exact_copy_share: float         # share of the used synthetic series at distance 0 from a train series
    distance: str
    window: int | None              # Euclidean window length (None for DTW)
    dtw_band: int | None
    left_out: dict[str, int]        # series shorter than the window, per set


def _standardiser(train: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Per channel: the training mean and standard deviation (pooled time steps, NaN ignored; 1 when constant)."""
    pooled = np.concatenate(train)
    if np.isnan(pooled).all(axis=0).any():
        c = int(np.flatnonzero(np.isnan(pooled).all(axis=0))[0])
        raise ValueError(f"train: channel {c} has no observed value; cannot standardise it")
    pooled = np.sort(pooled, axis=0)  # a canonical summation order: the same bits whatever the order of the series
    mu, sd = np.nanmean(pooled, axis=0), np.nanstd(pooled, axis=0)
    return mu, np.where(sd > 0, sd, 1.0)


def _prepare(a: np.ndarray, mu: np.ndarray, sd: np.ndarray) -> np.ndarray:
    z = (a - mu) / sd
    return np.where(np.isnan(z), 0.0, z)


def nearest_euclidean(query: np.ndarray, ref: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(distance, index) of each query row's nearest reference row, Euclidean, exact: BLAS squared-norm pass in
    chunks, then the candidates within the pass's rounding bound of the minimum recomputed directly; ties go to
    the lowest reference index. query (n, d), ref (m, d), m >= 1."""
    q, r = np.ascontiguousarray(query, dtype=float), np.ascontiguousarray(ref, dtype=float)
    if q.ndim != 2 or r.ndim != 2 or q.shape[1] != r.shape[1] or len(r) == 0:
        raise ValueError(f"expected query (n, d) and a non-empty ref (m, d), got {q.shape} and {r.shape}")
    rn = np.einsum("ij,ij->i", r, r)
    dist, idx = np.empty(len(q)), np.empty(len(q), dtype=np.int64)
    step = max(1, CHUNK_CELLS // len(r))
    bound = 4.0 * (q.shape[1] + 2) * _EPS  # relative rounding bound of ||q||^2 + ||r||^2 - 2 q.r
    for a in range(0, len(q), step):
        qc = q[a:a + step]
        qn = np.einsum("ij,ij->i", qc, qc)
        d2 = qn[:, None] + rn[None, :] - 2.0 * (qc @ r.T)
        m = d2.min(axis=1)
        tol = bound * (qn + rn.max()) + 1e-300
        qi, ri = np.nonzero(d2 <= (m + tol)[:, None])
        diff = qc[qi] - r[ri]
        exact = np.einsum("ij,ij->i", diff, diff)
        order = np.lexsort((ri, exact, qi))
        first = order[np.r_[True, qi[order][1:] != qi[order][:-1]]]
        dist[a + qi[first]], idx[a + qi[first]] = np.sqrt(exact[first]), ri[first]
    return dist, idx


@njit(cache=True)
def _dtw_sq(a, b, band, best):  # pragma: no cover - compiled (the plain-Python fallback runs the same code)
    """Minimal cumulative squared-Euclidean cost of dependent DTW between a (n, k) and b (m, k); inf as soon as
    a whole row exceeds ``best`` (every path crosses every row and costs are >= 0: exact early abandoning)."""
    n, m, k = a.shape[0], b.shape[0], a.shape[1]
    w = max(n, m) if band < 0 else band
    prev = np.full(m + 1, np.inf)
    cur = np.full(m + 1, np.inf)
    prev[0] = 0.0
    for i in range(1, n + 1):
        cur[:] = np.inf
        lo = max(1, i - max(0, n - m) - w)
        hi = min(m, i + max(0, m - n) + w)
        row_min = np.inf
        for j in range(lo, hi + 1):
            c = 0.0
            for t in range(k):
                e = a[i - 1, t] - b[j - 1, t]
                c += e * e
            v = min(prev[j], cur[j - 1], prev[j - 1]) + c
            cur[j] = v
            if v < row_min:
                row_min = v
        if row_min > best:
            return np.inf
        prev, cur = cur, prev
    return prev[m]


@njit(cache=True, parallel=True)
def _dtw_nn(q, qoff, r, roff, band):  # pragma: no cover - compiled
    nq, nr = qoff.shape[0] - 1, roff.shape[0] - 1
    out_d = np.empty(nq)
    out_i = np.empty(nq, dtype=np.int64)
    for a in prange(nq):
        qa = q[qoff[a]:qoff[a + 1]]
        best, bi = np.inf, -1
        for b in range(nr):
            d = _dtw_sq(qa, r[roff[b]:roff[b + 1]], band, best)
            if d < best or bi < 0:
                best, bi = d, b
        out_d[a] = math.sqrt(best)
        out_i[a] = bi
    return out_d, out_i


def _check_band(band: int | None) -> int:
    if band is None:
        return -1
    if int(band) != band or band < 0:
        raise ValueError(f"dtw_band must be a non-negative integer or None, got {band!r}")
    return int(band)


def dtw_distance(a: np.ndarray, b: np.ndarray, band: int | None = None) -> float:
    """Dependent multivariate DTW distance between two series (time steps x channels; 1-D = one channel):
    sqrt of the minimal cumulative squared-Euclidean cost, optional Sakoe-Chiba band (module docstring)."""
    x, y = (np.asarray(v, dtype=float) for v in (a, b))
    x, y = (v[:, None] if v.ndim == 1 else v for v in (x, y))
    if x.ndim != 2 or y.ndim != 2 or x.shape[1] != y.shape[1] or not len(x) or not len(y):
        raise ValueError(f"expected two non-empty (time x channels) series with equal channels, got {x.shape}, "
                         f"{y.shape}")
    return float(math.sqrt(_dtw_sq(np.ascontiguousarray(x), np.ascontiguousarray(y), _check_band(band), np.inf)))


def _flat(series: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    off = np.zeros(len(series) + 1, dtype=np.int64)
    off[1:] = np.cumsum([len(s) for s in series])
    return np.ascontiguousarray(np.concatenate(series)), off


def nearest_dtw(query: list[np.ndarray], ref: list[np.ndarray], band: int | None = None
                ) -> tuple[np.ndarray, np.ndarray]:
    """(distance, index) of each query series' nearest reference series by :func:`dtw_distance` (exact; ties to
    the lowest index). Parallel over the queries."""
    q, qo = _flat(query)
    r, ro = _flat(ref)
    return _dtw_nn(q, qo, r, ro, _check_band(band))


def series_dcr(syn: Sequence[np.ndarray], train: Sequence[np.ndarray], holdout: Sequence[np.ndarray], *,
               distance: str = "euclidean", window: int | None = None, dtw_band: int | None = None) -> DcrResult:
    """timeseries.dcr (tutorial: sequential data): distance to the closest training series (module docstring).

    Value: share of synthetic series closer to train than to holdout (ties 1/2), recalibrated to equal set sizes
    as tabular.dcr (``privacy._calibrated_share``): 0.5 = no sign of copying, 1 = every synthetic series nearer to
    train (a copy). Also the 5th percentile of synthetic -> train against holdout -> train (a synthetic
    distribution shifted below the baseline signals copying), the exact-copy share, and per synthetic series the
    nearest training series' distance and index. Invariant to the order of the series (indices refer to the list
    given).
    """
    from synthaudit.metrics.tabular.privacy import _calibrated_share, _closer  # tabular.dcr's share and ties

    if distance not in DISTANCES:
        raise ValueError(f"unknown distance {distance!r}; expected one of {', '.join(DISTANCES)}")
    sets = {"synthetic": _as_series(syn, "synthetic"), "train": _as_series(train, "train"),
            "holdout": _as_series(holdout, "holdout")}
    widths = {name: s[0].shape[1] for name, s in sets.items()}
    if len(set(widths.values())) != 1:
        raise ValueError(f"the three sets disagree on the number of channels: {widths}")
    mu, sd = _standardiser(sets["train"])
    z = {name: [_prepare(a, mu, sd) for a in s] for name, s in sets.items()}
    n_syn = len(z["synthetic"])
    left_out = {name: 0 for name in sets}
    if distance == "euclidean":
        if dtw_band is not None:
            raise ValueError("dtw_band applies to distance='dtw' only")
        shortest = min(a.shape[0] for s in z.values() for a in s)
        w = shortest if window is None else window
        if int(w) != w or w < 1:
            raise ValueError(f"window must be a positive integer, got {window!r}")
        w = int(w)
        keep = {name: np.array([a.shape[0] >= w for a in s]) for name, s in z.items()}
        left_out = {name: int((~k).sum()) for name, k in keep.items()}
        for name, k in keep.items():
            if not k.any():
                raise ValueError(f"{name}: no series has at least window = {w} time steps")
        x = {name: np.stack([a[:w].ravel() for a, k in zip(s, keep[name]) if k]) for name, s in z.items()}
        d_tr, i_tr = nearest_euclidean(x["synthetic"], x["train"])
        d_ho, _ = nearest_euclidean(x["synthetic"], x["holdout"])
        base, _ = nearest_euclidean(x["holdout"], x["train"])
        used = keep["synthetic"]
        n_tr, n_ho = len(x["train"]), len(x["holdout"])
        train_index = np.flatnonzero(keep["train"])[i_tr]  # positions in the list given
    else:
        if window is not None:
            raise ValueError("window applies to distance='euclidean' only (DTW compares full lengths)")
        w = None
        d_tr, train_index = nearest_dtw(z["synthetic"], z["train"], dtw_band)
        d_ho, _ = nearest_dtw(z["synthetic"], z["holdout"], dtw_band)
        base, _ = nearest_dtw(z["holdout"], z["train"], dtw_band)
        used = np.ones(n_syn, dtype=bool)
        n_tr, n_ho = len(z["train"]), len(z["holdout"])
    nearest_distance, nearest_index = np.full(n_syn, np.nan), np.full(n_syn, -1, dtype=np.int64)
    nearest_distance[used], nearest_index[used] = d_tr, train_index
    return DcrResult(value=float(_calibrated_share(d_tr, d_ho, n_tr, n_ho).mean()),
                     share_unbalanced=float(_closer(d_tr, d_ho).mean()),
                     nearest_distance=nearest_distance, nearest_index=nearest_index,
                     synthetic_p5=float(np.quantile(d_tr, 0.05)), holdout_p5=float(np.quantile(base, 0.05)),
                     exact_copy_share=float(np.mean(d_tr == 0)), distance=distance, window=w,
                     dtw_band=dtw_band if distance == "dtw" else None, left_out=left_out)
