"""Exact nearest-neighbour distances over mixed-type rows, chunked so memory stays bounded.

Rows are (numbers, category codes). The distance is

    d(x, y) = sum_k |x_k - y_k|^p  (numbers, already scaled)  +  w_p * sum_c [x_c != y_c]  (categories)

then the p-th root for p = 2. For p = 1 this equals the L1 distance between the rows encoded as
[scaled numbers, one-hot categories * 1/2] (a category mismatch costs 1); for p = 2 it equals the L2
distance on the same encoding (a mismatch adds 1/2 to the squared distance). A fused kernel (numba,
parallel over query rows) computes the k smallest distances per query without materialising the
distance matrix; without numba the same result comes from numpy in chunks (slower).

``kernel_log_density`` sums a Gaussian kernel of the same p = 2 distance over every reference row (the
density-ratio membership attack of survey section 4.3), with the same kernel design.
"""
from __future__ import annotations

import importlib.util
import os
from functools import lru_cache

import numpy as np

# numba is imported (and its kernels compiled) on first use, not with the package: ``synthaudit --help`` and
# ``synthaudit metrics`` stay fast. Compiled kernels are cached in synthaudit's cache folder, never in the
# installed package (NUMBA_CACHE_DIR, unless the user set it).
HAVE_NUMBA = importlib.util.find_spec("numba") is not None


def numba_cache_dir() -> None:
    """Compiled kernels go to synthaudit's cache folder, not into the installed package (unless the user set
    NUMBA_CACHE_DIR); call before numba is imported."""
    if "NUMBA_CACHE_DIR" not in os.environ:
        from synthaudit.models._hf import cache_dir

        os.environ["NUMBA_CACHE_DIR"] = str(cache_dir() / "numba")


def _numba():
    numba_cache_dir()
    global njit, prange
    from numba import njit, prange  # noqa: F401 (the kernels below use them as globals)

CHUNK_ELEMENTS = 4_000_000  # numpy fallback: query rows x reference rows per chunk


def _mismatch_weight(p: int) -> float:
    return 1.0 if p == 1 else 0.5


@lru_cache(maxsize=None)
def _knn_kernel_compiled():
    _numba()

    @njit(parallel=True, fastmath=False, cache=True)
    def _knn_kernel(qn, qc, tn, tc, k, p, w, exclude_self):  # pragma: no cover - compiled
        nq = qn.shape[0]
        nt = tn.shape[0]
        kn = qn.shape[1]
        kc = qc.shape[1]
        dist = np.full((nq, k), np.inf)
        idx = np.full((nq, k), -1, dtype=np.int64)
        for i in prange(nq):
            worst = np.inf
            for j in range(nt):
                if exclude_self and i == j:
                    continue
                d = 0.0
                if p == 1:
                    for a in range(kn):
                        d += abs(qn[i, a] - tn[j, a])
                else:
                    for a in range(kn):
                        t = qn[i, a] - tn[j, a]
                        d += t * t
                if d > worst:
                    continue
                for c in range(kc):
                    if qc[i, c] != tc[j, c]:
                        d += w
                if d < worst or (d == worst and idx[i, k - 1] < 0):
                    # insert into the sorted top-k (ties keep the earlier reference row first)
                    pos = k - 1
                    while pos > 0 and dist[i, pos - 1] > d:
                        dist[i, pos] = dist[i, pos - 1]
                        idx[i, pos] = idx[i, pos - 1]
                        pos -= 1
                    dist[i, pos] = d
                    idx[i, pos] = j
                    worst = dist[i, k - 1]
        return dist, idx

    return _knn_kernel


def _knn_numpy(qn, qc, tn, tc, k, p, w, exclude_self):
    nq, nt = len(qn), len(tn)
    dist = np.empty((nq, k))
    idx = np.empty((nq, k), dtype=np.int64)
    step = max(1, CHUNK_ELEMENTS // max(nt, 1))
    for s in range(0, nq, step):
        e = min(nq, s + step)
        d = np.zeros((e - s, nt))
        for a in range(qn.shape[1]):
            diff = np.abs(qn[s:e, a, None] - tn[None, :, a])
            d += diff if p == 1 else diff * diff
        for c in range(qc.shape[1]):
            d += w * (qc[s:e, c, None] != tc[None, :, c])
        if exclude_self:
            rows = np.arange(s, e)
            d[rows - s, rows] = np.inf
        part = np.argpartition(d, kth=min(k, nt) - 1, axis=1)[:, :k] if k < nt else np.tile(np.arange(nt), (e - s, 1))
        pd_ = np.take_along_axis(d, part, axis=1)
        # nearest first; ties broken by the lower reference index, as the compiled kernel does
        order = np.lexsort((part, pd_), axis=-1)
        dist[s:e] = np.take_along_axis(pd_, order, axis=1)
        idx[s:e] = np.take_along_axis(part, order, axis=1)
    return dist, idx


def knn(query_num: np.ndarray, query_cat: np.ndarray, ref_num: np.ndarray, ref_cat: np.ndarray, *, k: int = 1,
        p: int = 1, exclude_self: bool = False, backend: str = "auto",
        mismatch: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(distances, indices), each (n_query, k), of the k nearest reference rows, nearest first.

    ``exclude_self``: query and reference are the same table; row i is not its own neighbour.
    ``backend``: "numba", "numpy" or "auto" (numba when installed).
    ``mismatch``: what one category mismatch adds (to the L1 sum, or to the squared L2 sum); default 1
    for p = 1 and 1/2 for p = 2 (one-hot / 2); 2 gives plain one-hot L2 (synthcity/TabSyn embeddings).
    """
    if p not in (1, 2):
        raise ValueError("p must be 1 or 2")
    qn, tn = _as2d(query_num, np.float64), _as2d(ref_num, np.float64)
    qc, tc = _as2d(query_cat, np.int64), _as2d(ref_cat, np.int64)
    if len(qn) != len(qc) or len(tn) != len(tc) or qn.shape[1] != tn.shape[1] or qc.shape[1] != tc.shape[1]:
        raise ValueError("query and reference parts do not line up")
    n_ref = len(tn) - (1 if exclude_self else 0)
    if n_ref < k:
        raise ValueError(f"need at least {k} reference rows, have {n_ref}")
    w = _mismatch_weight(p) if mismatch is None else float(mismatch)
    use_numba = HAVE_NUMBA and backend in ("auto", "numba")
    if backend == "numba" and not HAVE_NUMBA:
        raise RuntimeError("numba is not installed")
    fn = _knn_kernel_compiled() if use_numba else _knn_numpy
    dist, idx = fn(qn, qc, tn, tc, k, p, w, exclude_self)
    if p == 2:
        dist = np.sqrt(dist)
    return dist, idx


#: exp(-KDE_CUTOFF) < 2**-54: a term that small leaves a running sum >= 1 unchanged in float64, so skipping it
#: (without computing the categorical part or the exp) gives bit-identical results.
KDE_CUTOFF = 37.5

@lru_cache(maxsize=None)
def _kde_kernel_compiled():
    _numba()

    @njit(parallel=True, fastmath=False, cache=True)
    def _kde_kernel(qn, qc, tn, tc, inv2h2, w, self_index):  # pragma: no cover - compiled
        nq = qn.shape[0]
        nt = tn.shape[0]
        kn = qn.shape[1]
        kc = qc.shape[1]
        out = np.empty(nq)
        for i in prange(nq):
            m = -np.inf  # running max of a_j = -d_j^2 / (2 h^2); s = sum_j exp(a_j - m) >= 1
            s = 0.0
            dlim = np.inf  # d^2 above which exp(a_j - m) < exp(-KDE_CUTOFF)
            skip = self_index[i]
            for j in range(nt):
                if j == skip:
                    continue
                d = 0.0
                for a in range(kn):
                    t = qn[i, a] - tn[j, a]
                    d += t * t
                if d > dlim:
                    continue
                for c in range(kc):
                    if qc[i, c] != tc[j, c]:
                        d += w
                if d > dlim:
                    continue
                a_j = -d * inv2h2
                if a_j > m:
                    s = s * np.exp(m - a_j) + 1.0
                    m = a_j
                    dlim = (KDE_CUTOFF - m) / inv2h2
                else:
                    s += np.exp(a_j - m)
            n_eff = nt - (1 if 0 <= skip < nt else 0)
            out[i] = m + np.log(s) - np.log(n_eff) if n_eff > 0 else np.nan
        return out

    return _kde_kernel


def _kde_numpy(qn, qc, tn, tc, inv2h2, w, self_index):
    nq, nt = len(qn), len(tn)
    out = np.empty(nq)
    step = max(1, CHUNK_ELEMENTS // max(nt, 1))
    for s in range(0, nq, step):
        e = min(nq, s + step)
        d = np.zeros((e - s, nt))
        for a in range(qn.shape[1]):
            diff = qn[s:e, a, None] - tn[None, :, a]
            d += diff * diff
        for c in range(qc.shape[1]):
            d += w * (qc[s:e, c, None] != tc[None, :, c])
        a_ = -d * inv2h2
        own = self_index[s:e]
        has = (own >= 0) & (own < nt)
        a_[np.flatnonzero(has), own[has]] = -np.inf
        top = a_.max(axis=1, keepdims=True)
        with np.errstate(divide="ignore", invalid="ignore"):
            out[s:e] = top[:, 0] + np.log(np.exp(a_ - top).sum(axis=1)) - np.log(nt - has)
    return out


def kernel_log_density(query_num: np.ndarray, query_cat: np.ndarray, ref_num: np.ndarray, ref_cat: np.ndarray, *,
                       bandwidth: float, self_index: np.ndarray | None = None, backend: str = "auto") -> np.ndarray:
    """log[(1/n) * sum_j exp(-d(x, r_j)^2 / (2 h^2))] per query row x: a Gaussian kernel density of the p = 2
    distance of :func:`knn`, without its normalising constant (it cancels in a ratio of two densities with the
    same bandwidth h). ``self_index[i]`` (or -1) is a reference row left out for query i (leave-one-out); n
    counts the rows summed. Exact: terms below exp(-37.5) of the running maximum, which cannot change a
    float64 sum, are skipped. Section 4.3 (density-ratio membership attack).
    """
    if not bandwidth > 0:
        raise ValueError("bandwidth must be positive")
    qn, tn = _as2d(query_num, np.float64), _as2d(ref_num, np.float64)
    qc, tc = _as2d(query_cat, np.int64), _as2d(ref_cat, np.int64)
    if len(qn) != len(qc) or len(tn) != len(tc) or qn.shape[1] != tn.shape[1] or qc.shape[1] != tc.shape[1]:
        raise ValueError("query and reference parts do not line up")
    own = np.full(len(qn), -1, dtype=np.int64) if self_index is None else np.ascontiguousarray(self_index, np.int64)
    if len(own) != len(qn):
        raise ValueError("self_index needs one entry per query row")
    if backend == "numba" and not HAVE_NUMBA:
        raise RuntimeError("numba is not installed")
    fn = _kde_kernel_compiled() if HAVE_NUMBA and backend in ("auto", "numba") else _kde_numpy
    return fn(qn, qc, tn, tc, 1.0 / (2.0 * bandwidth * bandwidth), _mismatch_weight(2), own)


def _as2d(a: np.ndarray, dtype) -> np.ndarray:
    a = np.ascontiguousarray(a, dtype=dtype)
    return a.reshape(len(a), -1) if a.ndim != 2 else a
