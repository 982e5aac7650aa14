"""Node orbit counts of graphlets on 2-4 nodes (orbits 0-14, ORCA's numbering), numba-compiled (survey 5.2).

GRAN/GraphRNN's orbit descriptor runs the ORCA binary (Hocevar & Demsar 2014) with ``node 4``. This counter
gives the same 15 counts per node without the binary: per node it computes *non-induced* counts from degrees,
common-neighbour counts of edges, 2-hop path counts and an enumeration of triangles and 4-cliques, then turns
them into induced counts with the (upper-triangular) matrix of how often each 4-node graphlet contains another.

Orbits: 0 degree; 1/2 end/middle of an induced 3-path; 3 triangle; 4/5 end/middle of a 4-path; 6/7 leaf/centre
of a claw; 8 4-cycle; 9/10/11 pendant / free triangle node / attached triangle node of a paw; 12/13 degree-2 /
degree-3 node of a diamond; 14 4-clique.
"""
from __future__ import annotations

from synthaudit.stats.jit import njit, prange
import numpy as np

N_ORBITS = 15


@njit(cache=True, nogil=True)
def _count_one(indptr: np.ndarray, indices: np.ndarray, lo: int, hi: int, out: np.ndarray) -> None:
    """Orbit counts of the nodes lo..hi-1 (one graph: their neighbours lie in the same range, rows sorted)."""
    n = hi - lo
    deg = np.empty(n, np.int64)
    for v in range(n):
        deg[v] = indptr[lo + v + 1] - indptr[lo + v]
    base = indptr[lo]
    m2 = indptr[hi] - base
    common = np.zeros(m2, np.int64)  # common neighbours of the edge at each adjacency slot
    mark = np.zeros(n, np.bool_)
    mark2 = np.zeros(n, np.bool_)
    for x in range(n):
        for s in range(indptr[lo + x], indptr[lo + x + 1]):
            mark[indices[s] - lo] = True
        for s in range(indptr[lo + x], indptr[lo + x + 1]):
            y = indices[s] - lo
            c = 0
            for t in range(indptr[lo + y], indptr[lo + y + 1]):
                if mark[indices[t] - lo]:
                    c += 1
            common[s - base] = c
        for s in range(indptr[lo + x], indptr[lo + x + 1]):
            mark[indices[s] - lo] = False
    tri = np.zeros(n, np.int64)
    sdeg = np.zeros(n, np.int64)  # S(y) = sum over neighbours z of (deg z - 1)
    for x in range(n):
        t2 = 0
        sd = 0
        for s in range(indptr[lo + x], indptr[lo + x + 1]):
            t2 += common[s - base]
            sd += deg[indices[s] - lo] - 1
        tri[x] = t2 // 2
        sdeg[x] = sd
    walk = np.zeros(n, np.int64)
    touched = np.empty(n, np.int64)
    for x in range(n):
        d = deg[x]
        t = tri[x]
        for s in range(indptr[lo + x], indptr[lo + x + 1]):
            mark[indices[s] - lo] = True
        # non-induced counts (see the module docstring)
        o1 = 0
        n4 = 0
        n5 = 0
        n6 = 0
        n9 = 0
        n13 = 0
        for s in range(indptr[lo + x], indptr[lo + x + 1]):
            y = indices[s] - lo
            dy = deg[y]
            cxy = common[s - base]
            o1 += dy - 1
            n4 += sdeg[y] - (d - 1)
            n5 += (d - 1) * (dy - 1) - cxy
            n6 += (dy - 1) * (dy - 2) // 2
            n9 += tri[y] - cxy
            n13 += cxy * (cxy - 1) // 2
        o1 -= 2 * t
        n4 -= 2 * t
        n7 = d * (d - 1) * (d - 2) // 6
        n11 = t * (d - 2)
        # 4-cycles through x: pairs of 2-paths x-y-z with the same far end z
        nt = 0
        for s in range(indptr[lo + x], indptr[lo + x + 1]):
            y = indices[s] - lo
            for u in range(indptr[lo + y], indptr[lo + y + 1]):
                z = indices[u] - lo
                if z != x:
                    if walk[z] == 0:
                        touched[nt] = z
                        nt += 1
                    walk[z] += 1
        n8 = 0
        for k in range(nt):
            z = touched[k]
            n8 += walk[z] * (walk[z] - 1) // 2
            walk[z] = 0
        # triangles x-y-z (y < z) and 4-cliques x-y-z-w (y < z < w)
        n10 = 0
        n12 = 0
        n14 = 0
        for s in range(indptr[lo + x], indptr[lo + x + 1]):
            y = indices[s] - lo
            for u in range(indptr[lo + y], indptr[lo + y + 1]):
                mark2[indices[u] - lo] = True
            for u in range(indptr[lo + y], indptr[lo + y + 1]):
                z = indices[u] - lo
                if z > y and mark[z]:
                    n10 += deg[y] + deg[z] - 4
                    n12 += common[u - base] - 1
                    for w_s in range(indptr[lo + z], indptr[lo + z + 1]):
                        w = indices[w_s] - lo
                        if w > z and mark[w] and mark2[w]:
                            n14 += 1
            for u in range(indptr[lo + y], indptr[lo + y + 1]):
                mark2[indices[u] - lo] = False
        for s in range(indptr[lo + x], indptr[lo + x + 1]):
            mark[indices[s] - lo] = False
        # induced counts by back-substitution (containment matrix of the 4-node graphlets)
        i14 = n14
        i13 = n13 - 3 * i14
        i12 = n12 - 3 * i14
        i11 = n11 - 2 * i13 - 3 * i14
        i10 = n10 - 2 * i12 - 2 * i13 - 6 * i14
        i9 = n9 - 2 * i12 - 3 * i14
        i8 = n8 - i12 - i13 - 3 * i14
        i7 = n7 - i11 - i13 - i14
        i6 = n6 - i9 - i10 - 2 * i12 - i13 - 3 * i14
        i5 = n5 - 2 * i8 - i10 - 2 * i11 - 2 * i12 - 4 * i13 - 6 * i14
        i4 = n4 - 2 * i8 - 2 * i9 - i10 - 4 * i12 - 2 * i13 - 6 * i14
        row = out[lo + x]
        row[0] = d
        row[1] = o1
        row[2] = d * (d - 1) // 2 - t
        row[3] = t
        row[4] = i4
        row[5] = i5
        row[6] = i6
        row[7] = i7
        row[8] = i8
        row[9] = i9
        row[10] = i10
        row[11] = i11
        row[12] = i12
        row[13] = i13
        row[14] = i14


@njit(cache=True, parallel=True)
def _count_all(indptr: np.ndarray, indices: np.ndarray, offsets: np.ndarray, out: np.ndarray) -> None:
    for g in prange(offsets.size - 1):
        _count_one(indptr, indices, offsets[g], offsets[g + 1], out)


def orbit_counts_csr(indptr: np.ndarray, indices: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Orbit counts (n_nodes x 15, int64) of a block-diagonal CSR adjacency: ``offsets[g]..offsets[g+1]`` are
    the nodes of graph g, rows hold sorted neighbour ids, no self-loops or repeated edges."""
    out = np.zeros((int(offsets[-1]), N_ORBITS), np.int64)
    if out.shape[0]:
        _count_all(indptr.astype(np.int64, copy=False), indices.astype(np.int64, copy=False),
                   offsets.astype(np.int64, copy=False), out)
    return out


def orbit_counts(graph) -> np.ndarray:
    """The 15 orbit counts of every node of one networkx graph (rows in ``graph.nodes`` order; the undirected
    simple view: self-loops dropped, directions and repeated edges merged)."""
    from synthaudit.stats.graph_descriptors import pack

    batch = pack([graph])
    return orbit_counts_csr(batch.indptr, batch.indices, batch.offsets)
