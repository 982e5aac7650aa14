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
only add candidates (a candidate's mismatches are counted exactly before it enters the top k).

Memory access (issue #13): queries run grouped by their category signature; a run of the index is read through
contiguous copies of its rows' codes (``lev_codes``, ``group_codes``), and a row's codes are compared in full
only when its distance would put it in the top k.

:func:`kernel_log_density` is :func:`neighbors.kernel_log_density` (the DOMIAS densities) through the same index:
that kernel skips every row whose squared distance exceeds the running minimum by more than 75 h^2 (its term could
not change the sum). Once that limit is below two mismatches only rows within one mismatch of the query remain,
and those are read from the index in row order; with a wider limit, the mismatches of each run of identical codes
are counted once per query and a row whose run's mismatches alone exceed the limit is skipped unread. Either way
the kernel performs the same floating-point operations on the same rows, in the same order: the same sums, bit for
bit.
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
    lev_codes: np.ndarray  # (kc, n) int64: [c, p] = code in column c of row order[c + 1, p] (contiguous reads)
    group_codes: np.ndarray  # (n_groups, kc) int64: the codes of each run of identical codes
    row_group: np.ndarray  # (n,) int64: the run of identical codes of each row


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
    lev_codes = np.ascontiguousarray(np.take_along_axis(cat.T, order[1:], axis=1)) if kc else np.zeros((0, n), np.int64)
    group_codes = np.ascontiguousarray(codes[groups[:-1]])
    row_group = np.empty(n, dtype=np.int64)
    row_group[order[0]] = np.repeat(np.arange(len(groups) - 1, dtype=np.int64), np.diff(groups))
    return SignatureIndex(keys, order, groups, np.argsort(-gini, kind="stable").astype(np.int64), lev_codes,
                          group_codes, row_group)


@lru_cache(maxsize=None)
def _indexed_kernel():
    neighbors._numba()
    from numba import njit, prange

    # one function without calls to other jitted functions, so that numba can cache it on disk
    @njit(parallel=True, fastmath=False, cache=True)
    def _kernel(qn, qc, qterms, tn, tc, keys, order, groups, cols, lev_codes, group_codes, k, p, w,
                qself):  # pragma: no cover
        nq = qn.shape[0]
        kn = qn.shape[1]
        kc = qc.shape[1]
        n_groups = groups.shape[0] - 1
        dist = np.full((nq, k), np.inf)
        idx = np.full((nq, k), -1, dtype=np.int64)
        lb2 = w + w  # a row with two or more mismatches is at least this far (floating sums are monotonic)
        last = k - 1
        for i in prange(nq):
            own = qself[i]  # the query's own row in the reference table (exclude_self), else -1
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
                        # the run's codes (those of each of its rows)
                        worst = dist[i, last]
                        mm = 0
                        lbw = 0.0
                        for cc in range(kc):
                            c = cols[cc]
                            if qc[i, c] != group_codes[lev, c]:
                                mm += 1
                                lbw += w
                                if lbw > worst:
                                    break
                        if lbw > worst or mm <= 1:  # too far, or visited in phase 0
                            continue
                        group_mm = mm
                    for pos in range(lo, hi):
                        # a row of the run without column lev - 1 whose code there equals the query's has no
                        # mismatch in that column: it is no row of this level (those of no mismatch are lev 0's)
                        if phase == 0 and lev > 0 and lev_codes[lev - 1, pos] == qc[i, lev - 1]:
                            continue
                        j = order[row_list, pos]
                        if j == own:
                            continue
                        worst = dist[i, last]
                        # the row's mismatches: those of its level in phase 0 (0 or 1, checked below for the rows
                        # that would enter the top k: a hash collision can only have more), its run's in phase 1
                        mm = (0 if lev == 0 else 1) if phase == 0 else group_mm
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
                        # scan keeps the lower index on ties (more mismatches would only make d larger)
                        if not (d < worst or (d == worst and (idx[i, last] < 0 or j < idx[i, last]))):
                            continue
                        if phase == 0:  # is it a row of this level (not a hash collision)?
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
                        at = last
                        while at > 0 and (dist[i, at - 1] > d or (dist[i, at - 1] == d and idx[i, at - 1] > j)):
                            dist[i, at] = dist[i, at - 1]
                            idx[i, at] = idx[i, at - 1]
                            at -= 1
                        dist[i, at] = d
                        idx[i, at] = j
        return dist, idx

    return _kernel


def _query_order(qterms: np.ndarray) -> np.ndarray:
    """Query rows grouped by their category signature (int64 permutation)."""
    with np.errstate(over="ignore"):
        total = qterms.sum(axis=1, dtype=np.uint64)
    return np.argsort(total, kind="stable").astype(np.int64)


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
    qterms = _terms(qc)
    # queries with equal codes visit the same reference rows: run them one after another (cache hits); each
    # query's result does not depend on the order in which queries run
    perm = _query_order(qterms)
    qself = perm if exclude_self else np.full(len(perm), -1, dtype=np.int64)
    d_p, i_p = _indexed_kernel()(qn[perm], qc[perm], qterms[perm], tn, tc, ix.keys, ix.order, ix.groups, ix.columns,
                                 ix.lev_codes, ix.group_codes, k, p, w, qself)
    dist, idx = np.empty_like(d_p), np.empty_like(i_p)
    dist[perm], idx[perm] = d_p, i_p
    if p == 2:
        dist = np.sqrt(dist)
    return dist, idx



# ---------------------------------------------------------------------------------------------- kernel density
#: the density kernel counts the mismatches of every run of identical codes for a query (to skip rows on them)
#: once it has scanned this many rows and at least KDE_GROUP_FACTOR x (number of runs) rows remain
KDE_GROUP_AFTER = 2048
KDE_GROUP_FACTOR = 2
@lru_cache(maxsize=None)
def _indexed_kde_kernel():
    neighbors._numba()
    from numba import njit, prange

    # the loop of neighbors._kde_kernel, fed the same rows in the same order minus rows it provably skips
    @njit(parallel=True, fastmath=False, cache=True)
    def _kernel(qn, qc, qterms, tn, tc, keys, order, lev_codes, group_codes, row_group, inv2h2, w, self_index,
                cutoff, group_after, group_factor):  # pragma: no cover
        nq = qn.shape[0]
        nt = tn.shape[0]
        kn = qn.shape[1]
        kc = qc.shape[1]
        n_groups = group_codes.shape[0]
        out = np.empty(nq)
        lb2 = w + w  # a row with two or more mismatches is at least this far (floating sums are monotonic)
        lbw = np.empty(kc + 1)  # lbw[c]: w added c times from 0, the least distance of a row with c mismatches
        lbw[0] = 0.0
        for n_mm in range(1, kc + 1):
            lbw[n_mm] = lbw[n_mm - 1] + w
        for i in prange(nq):
            m = -np.inf  # running max of a_j = -d_j^2 / (2 h^2); s = sum_j exp(a_j - m) >= 1
            s = 0.0
            dlim = np.inf  # d^2 above which exp(a_j - m) < exp(-cutoff): the brute-force kernel skips the row
            skip = self_index[i]
            j = 0  # phase 0: every row in order, as the brute-force kernel
            phase = 0
            cand = np.empty(0, dtype=np.int64)
            n_cand = 0
            pos = 0
            # phase 2: the mismatches of each run of identical codes, counted when group_after rows are scanned, if
            # dlim excludes rows of many mismatches and enough rows remain to pay for it; then a row is skipped on
            # its run's count without being read
            gmm = np.empty(0, dtype=np.int64)
            while True:
                if phase != 1:  # 0: every row; 2: every row whose run's mismatches do not exceed dlim
                    if j >= nt:
                        break
                    if j == group_after and phase == 0 and dlim < lbw[kc] and n_groups * group_factor <= nt - j:
                        gmm = np.empty(n_groups, dtype=np.int64)
                        for g in range(n_groups):
                            cnt = 0
                            for c in range(kc):
                                if qc[i, c] != group_codes[g, c]:
                                    cnt += 1
                            gmm[g] = cnt
                        phase = 2
                    if dlim < lb2:
                        # from here on only rows within one mismatch can pass (the others are >= 2 w > dlim, and
                        # dlim only shrinks): those of rows >= j, in row order (phase 1); once dlim < w, only rows
                        # without a mismatch can (those of one are >= w)
                        phase = 1
                        total = np.uint64(0)
                        for c in range(kc):
                            total += qterms[i, c]
                        top = 1 if dlim < w else kc + 1  # lev 0 only, or every level
                        lo = np.empty(top, dtype=np.int64)
                        hi = np.empty(top, dtype=np.int64)
                        size = 0
                        for lev in range(top):
                            key = total if lev == 0 else total - qterms[i, lev - 1]
                            lo[lev] = np.searchsorted(keys[lev], key, side="left")
                            hi[lev] = np.searchsorted(keys[lev], key, side="right")
                            size += hi[lev] - lo[lev]
                        # candidates as 2 r + (0: the run of the query's codes, 1: a run with one code changed)
                        cand = np.empty(size, dtype=np.int64)
                        for lev in range(top):
                            for p_ in range(lo[lev], hi[lev]):
                                r = order[lev, p_]
                                # lev 0: the rows with the query's codes; lev c + 1: those with its codes but in
                                # column c, less those equal in c too (already in lev 0). A hash collision only
                                # adds rows of one or more mismatches, which the distance test rejects or which are
                                # candidates anyway (visited once: duplicates are dropped below)
                                if r >= j and (lev == 0 or lev_codes[lev - 1, p_] != qc[i, lev - 1]):
                                    cand[n_cand] = 2 * r + (0 if lev == 0 else 1)
                                    n_cand += 1
                        cand = np.sort(cand[:n_cand])
                        if n_cand > 1:
                            kept = 1
                            for p_ in range(1, n_cand):
                                if cand[p_] // 2 != cand[kept - 1] // 2:
                                    cand[kept] = cand[p_]
                                    kept += 1
                            n_cand = kept
                        continue
                    r = j
                    j += 1
                    if phase == 2 and lbw[gmm[row_group[r]]] > dlim:  # its mismatches alone exceed dlim
                        continue
                else:
                    if pos >= n_cand:
                        break
                    r = cand[pos] // 2
                    one_off = cand[pos] % 2 == 1  # a row with a mismatch: at least w away
                    pos += 1
                    if one_off and dlim < w:
                        continue
                if r == skip:
                    continue
                d = 0.0
                for a in range(kn):
                    t = qn[i, a] - tn[r, a]
                    d += t * t
                if d > dlim:
                    continue
                for c in range(kc):
                    if qc[i, c] != tc[r, c]:
                        d += w
                if d > dlim:
                    continue
                a_j = -d * inv2h2
                if a_j > m:
                    s = s * np.exp(m - a_j) + 1.0
                    m = a_j
                    dlim = (cutoff - m) / inv2h2
                else:
                    s += np.exp(a_j - m)
            n_eff = nt - (1 if 0 <= skip < nt else 0)
            out[i] = m + np.log(s) - np.log(n_eff) if n_eff > 0 else np.nan
        return out

    return _kernel


def kernel_log_density(query_num: np.ndarray, query_cat: np.ndarray, ref_num: np.ndarray, ref_cat: np.ndarray, *,
                       bandwidth: float, self_index: np.ndarray | None = None,
                       index: SignatureIndex | None = None) -> np.ndarray:
    """Exactly :func:`synthaudit.stats.neighbors.kernel_log_density` (same arguments and results, bit for bit),
    through the category-signature index ``index`` of ``ref_cat`` when given (and numba is installed and every
    number is finite; else the brute-force kernel).

    The brute-force kernel scans every reference row in order and skips a row once its squared distance exceeds
    the running minimum by more than 75 h^2 (its term could not change the float64 sum). Once that limit is
    below two mismatches (2 w), only rows within one mismatch of the query can still pass: this kernel then
    visits only those (from the index, in row order). Before that (a wider limit, a larger bandwidth), after
    :data:`KDE_GROUP_AFTER` rows it counts the mismatches of each run of identical codes once and skips, unread,
    every row whose run's mismatches alone exceed the limit. So it performs the same floating-point operations on
    the same rows in the same order. With a bandwidth below the mismatch cost (jittered or continuous numbers) a
    query costs its prefix up to the first near row plus a few hundred candidates instead of every row."""
    qc, tc = _as2d(query_cat, np.int64), _as2d(ref_cat, np.int64)
    qn, tn = _as2d(query_num, np.float64), _as2d(ref_num, np.float64)
    usable = (index is not None and neighbors.HAVE_NUMBA and bandwidth > 0 and qc.shape[1] == tc.shape[1]
              and len(qn) == len(qc) and len(tn) == len(tc) and qn.shape[1] == tn.shape[1]
              and index.keys.shape == (tc.shape[1] + 1, len(tc)) and np.isfinite(qn).all() and np.isfinite(tn).all())
    if not usable:
        return neighbors.kernel_log_density(query_num, query_cat, ref_num, ref_cat, bandwidth=bandwidth,
                                            self_index=self_index)
    own = np.full(len(qn), -1, dtype=np.int64) if self_index is None else np.ascontiguousarray(self_index, np.int64)
    if len(own) != len(qn):
        raise ValueError("self_index needs one entry per query row")
    qterms = _terms(qc)
    perm = _query_order(qterms)  # queries with equal codes one after another (as in knn)
    got = _indexed_kde_kernel()(qn[perm], qc[perm], qterms[perm], tn, tc, index.keys, index.order, index.lev_codes,
                                index.group_codes, index.row_group, 1.0 / (2.0 * bandwidth * bandwidth),
                                _mismatch_weight(2), own[perm], neighbors.KDE_CUTOFF, KDE_GROUP_AFTER,
                                KDE_GROUP_FACTOR)
    out = np.empty_like(got)
    out[perm] = got
    return out
