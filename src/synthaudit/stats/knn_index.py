"""Exact k nearest neighbours over mixed-type rows with a category-signature index (same results as
:func:`synthaudit.stats.neighbors.knn`, bit for bit, usually several times faster).

The distance is that of :mod:`synthaudit.stats.neighbors`: numeric part sum_k |x_k - y_k|^p, plus ``w`` per
category mismatch. A reference row that differs from the query in m category columns is at distance >= m * w.
So the search first visits only the reference rows with at most one mismatch: those whose category codes
equal the query's in every column (one hash table) or in every column but one (one hash table per column,
keyed by the codes of the other columns). When the k-th best distance found is below 2 w, no other row can
enter the top k and the query is done; otherwise the query falls back to a scan of the other rows, one run of
identical category codes at a time (columns most often mismatched first), which skips a run as soon as its
mismatches alone exceed the k-th best distance. On real tables most rows have a
near neighbour within one mismatch (UCI Adult: 80-97 % of queries, a few hundred candidates instead of all
rows), so most queries cost a few hundred distance evaluations instead of n_ref.

Exactness: every row is either visited or provably farther than the k-th best; distances are summed in the
same order as the brute-force kernel (numbers in column order, then ``w`` once per mismatch), and ties are
broken by the lower reference index, so distances AND indices equal those of ``neighbors.knn`` (indices of
neighbours at infinite distance, possible only with infinite numbers in the data, may differ). Hash collisions
only add candidates (each candidate's mismatches are counted exactly).
"""
from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple

import numpy as np

from synthaudit.stats import neighbors
from synthaudit.stats.hashing import splitmix64 as _mix
from synthaudit.stats.neighbors import _as2d, _mismatch_weight

#: below this many category columns the index does not pay (every row would be a candidate)
MIN_CAT_COLUMNS = 3
#: (category columns + 1) x reference rows above which the index (16 bytes a cell) is not built: wide
#: categorical tables rarely have rows within one mismatch anyway; the brute-force kernel runs instead
MAX_INDEX_CELLS = 8_000_000


def _terms(cat: np.ndarray) -> np.ndarray:
    """(n, kc) uint64 per-cell hashes; a row's signature is their (wrapping) sum, the signature without
    column c is the sum minus term c."""
    cols = np.arange(cat.shape[1], dtype=np.uint64)[None, :]
    with np.errstate(over="ignore"):
        return _mix(cat.astype(np.uint64) * np.uint64(0x100000001B3) + _mix(cols + np.uint64(12345)))


class SignatureIndex(NamedTuple):
    """The index of a reference table's category codes (:func:`signature_index`)."""

    keys: np.ndarray    # (kc + 1, n) uint64, each row sorted: 0 = full signature, c + 1 = signature without column c
    order: np.ndarray   # (kc + 1, n) int64: reference rows in the order of keys
    groups: np.ndarray  # (n_groups + 1,) int64: runs of identical codes in order[0] start here
    columns: np.ndarray  # (kc,) int64: category columns, most often mismatched first (early exit)


def signature_index(cat: np.ndarray) -> SignatureIndex:
    """Hash tables of the reference rows' category signatures, with and without each column."""
    cat = np.ascontiguousarray(cat, dtype=np.int64)
    n, kc = cat.shape
    terms = _terms(cat)
    with np.errstate(over="ignore"):
        total = terms.sum(axis=1, dtype=np.uint64)
        keys = np.empty((kc + 1, n), dtype=np.uint64)
        keys[0] = total
        for c in range(kc):
            keys[c + 1] = total - terms[:, c]
    order = np.argsort(keys, axis=1, kind="stable").astype(np.int64)
    keys = np.take_along_axis(keys, order, axis=1)
    codes = cat[order[0]]
    change = np.flatnonzero((keys[0, 1:] != keys[0, :-1]) | (codes[1:] != codes[:-1]).any(axis=1)) + 1
    groups = np.r_[0, change, n].astype(np.int64) if n else np.zeros(1, dtype=np.int64)
    gini = np.array([1.0 - float(np.sum((np.unique(cat[:, c], return_counts=True)[1] / n) ** 2)) if n else 0.0
                     for c in range(kc)])
    return SignatureIndex(keys, order, groups, np.argsort(-gini, kind="stable").astype(np.int64))


@lru_cache(maxsize=None)
def _indexed_kernel():
    neighbors._numba()
    from numba import njit, prange

    # one function without calls to other jitted functions, so that numba can cache it on disk
    @njit(parallel=True, fastmath=False, cache=True)
    def _kernel(qn, qc, qterms, tn, tc, keys, order, groups, cols, k, p, w, exclude_self):  # pragma: no cover
        nq = qn.shape[0]
        kn = qn.shape[1]
        kc = qc.shape[1]
        n_groups = groups.shape[0] - 1
        dist = np.full((nq, k), np.inf)
        idx = np.full((nq, k), -1, dtype=np.int64)
        lb2 = w + w  # a row with two or more mismatches is at least this far (floating sums are monotonic)
        last = k - 1
        for i in prange(nq):
            total = np.uint64(0)
            for c in range(kc):
                total += qterms[i, c]
            group_mm = 0
            # phase 0: the rows with no mismatch (lev 0) and with one mismatch, in column lev - 1 (disjoint sets);
            # phase 1 (only when the k-th best is not below 2 w): the other rows, a run of identical codes at a
            # time, skipped as soon as the run's mismatches alone exceed the k-th best distance
            for phase in range(2):
                if phase == 1 and dist[i, last] < lb2:
                    break
                for lev in range(kc + 1 if phase == 0 else n_groups):
                    if phase == 0:
                        key = total if lev == 0 else total - qterms[i, lev - 1]
                        lo = np.searchsorted(keys[lev], key, side="left")
                        hi = np.searchsorted(keys[lev], key, side="right")
                        row_list = lev
                    else:
                        lo, hi = groups[lev], groups[lev + 1]
                        row_list = 0
                        # the run's codes are those of its first row
                        j0 = order[0, lo]
                        worst = dist[i, last]
                        mm = 0
                        lbw = 0.0
                        for cc in range(kc):
                            c = cols[cc]
                            if qc[i, c] != tc[j0, c]:
                                mm += 1
                                lbw += w
                                if lbw > worst:
                                    break
                        if lbw > worst or mm <= 1:  # too far, or visited in phase 0
                            continue
                        group_mm = mm
                    for pos in range(lo, hi):
                        j = order[row_list, pos]
                        if exclude_self and j == i:
                            continue
                        worst = dist[i, last]
                        if phase == 0:
                            mm = 0
                            where = -1
                            for c in range(kc):
                                if qc[i, c] != tc[j, c]:
                                    mm += 1
                                    where = c
                                    if mm > 1:
                                        break
                            if lev == 0 and mm != 0:
                                continue
                            if lev > 0 and (mm != 1 or where != lev - 1):
                                continue
                        else:
                            mm = group_mm
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
                        for _ in range(mm):
                            d += w
                        # keep the k smallest (d, j) pairs, lexicographically: the brute-force kernel's ascending
                        # scan keeps the lower index on ties
                        if not (d < worst or (d == worst and (idx[i, last] < 0 or j < idx[i, last]))):
                            continue
                        at = last
                        while at > 0 and (dist[i, at - 1] > d or (dist[i, at - 1] == d and idx[i, at - 1] > j)):
                            dist[i, at] = dist[i, at - 1]
                            idx[i, at] = idx[i, at - 1]
                            at -= 1
                        dist[i, at] = d
                        idx[i, at] = j
        return dist, idx

    return _kernel


def knn(query_num: np.ndarray, query_cat: np.ndarray, ref_num: np.ndarray, ref_cat: np.ndarray, *, k: int = 1,
        p: int = 1, exclude_self: bool = False, mismatch: float | None = None,
        index: SignatureIndex | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(distances, indices), each (n_query, k): exactly :func:`synthaudit.stats.neighbors.knn` (same
    arguments and results), through the category-signature index when numba is installed and there are at
    least :data:`MIN_CAT_COLUMNS` category columns (else the brute-force kernel). ``index``: a prebuilt
    :func:`signature_index` of ``ref_cat`` (reused across queries against the same reference)."""
    if p not in (1, 2):
        raise ValueError("p must be 1 or 2")
    qc, tc = _as2d(query_cat, np.int64), _as2d(ref_cat, np.int64)
    w = _mismatch_weight(p) if mismatch is None else float(mismatch)
    too_wide = index is None and (qc.shape[1] + 1) * len(tc) > MAX_INDEX_CELLS
    if not neighbors.HAVE_NUMBA or qc.shape[1] < MIN_CAT_COLUMNS or not w > 0 or too_wide:
        return neighbors.knn(query_num, query_cat, ref_num, ref_cat, k=k, p=p, exclude_self=exclude_self,
                             mismatch=mismatch)
    qn, tn = _as2d(query_num, np.float64), _as2d(ref_num, np.float64)
    if len(qn) != len(qc) or len(tn) != len(tc) or qn.shape[1] != tn.shape[1] or qc.shape[1] != tc.shape[1]:
        raise ValueError("query and reference parts do not line up")
    n_ref = len(tn) - (1 if exclude_self else 0)
    if n_ref < k:
        raise ValueError(f"need at least {k} reference rows, have {n_ref}")
    ix = index if index is not None else signature_index(tc)
    dist, idx = _indexed_kernel()(qn, qc, _terms(qc), tn, tc, ix.keys, ix.order, ix.groups, ix.columns, k, p, w,
                                  exclude_self)
    if p == 2:
        dist = np.sqrt(dist)
    return dist, idx

