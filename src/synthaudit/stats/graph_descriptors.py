"""Graph descriptors of GRAN/GraphRNN's MMD evaluation, computed for many graphs at once (survey 5.2).

* degree:     ``nx.degree_histogram`` (counts of degree 0..max), sum-normalised;
* clustering: histogram of ``nx.clustering`` values, ``bins`` equal bins on [0, 1], sum-normalised;
* spectral:   histogram of the normalised-Laplacian eigenvalues (``nx.normalized_laplacian_matrix``,
  ``scipy.linalg.eigvalsh``), ``bins`` equal bins on [-1e-5, 2], sum-normalised (eigenvalues outside the
  range are left out, as ``np.histogram`` does);
* orbit:      per-node mean of the 15 orbit counts of graphlets on 2-4 nodes (ORCA ``node 4``), not normalised.

Graphs are read as undirected simple graphs (directions and repeated edges merged, self-loops and edge weights
ignored); node order is ``graph.nodes`` order. Bin assignment replicates ``np.histogram`` bit for bit.
"""
from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from itertools import chain
from typing import Any, Sequence

from synthaudit.stats.jit import njit, prange
import numpy as np

from synthaudit.stats.orbits import orbit_counts_csr

DESCRIPTORS = ("degree", "clustering", "orbit", "spectral")
CLUSTERING_RANGE = (0.0, 1.0)
SPECTRAL_RANGE = (-1e-5, 2.0)


@dataclass
class GraphBatch:
    """Many graphs as one block-diagonal CSR adjacency: graph g owns nodes ``offsets[g]..offsets[g+1]``."""

    indptr: np.ndarray  # int64, n_nodes + 1
    indices: np.ndarray  # int64, sorted within each row
    offsets: np.ndarray  # int64, n_graphs + 1

    @property
    def n_graphs(self) -> int:
        return self.offsets.size - 1

    @property
    def sizes(self) -> np.ndarray:
        return np.diff(self.offsets)

    @property
    def degrees(self) -> np.ndarray:
        return np.diff(self.indptr)


def _edge_array(graph: Any) -> tuple[int, np.ndarray]:
    """(number of nodes, 2 x m local edge ids) of one graph, nodes numbered in ``graph.nodes`` order."""
    nodes = list(graph.nodes)
    n = len(nodes)
    m = graph.number_of_edges()
    ends = chain.from_iterable(graph.edges())  # (u, v) pairs, also for multigraphs and digraphs
    if nodes != list(range(n)):
        index = {u: i for i, u in enumerate(nodes)}
        flat = np.fromiter(map(index.__getitem__, ends), np.int64, 2 * m)
    else:
        flat = np.fromiter(ends, np.int64, 2 * m)
    return n, flat.reshape(-1, 2).T


def pack(graphs: Sequence[Any]) -> GraphBatch:
    """The block-diagonal CSR adjacency of networkx graphs (undirected simple view)."""
    sizes = np.zeros(len(graphs), np.int64)
    parts = []
    start = 0
    for g, graph in enumerate(graphs):
        n, e = _edge_array(graph)
        sizes[g] = n
        if e.size:
            parts.append(e + start)
        start += n
    offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    total = int(offsets[-1])
    if parts:
        e = np.concatenate(parts, axis=1)
        e = e[:, e[0] != e[1]]
        keys = np.concatenate([e[0] * total + e[1], e[1] * total + e[0]])
        keys.sort()  # rows, then columns; then drop repeated edges
        keys = keys[np.concatenate([[True], keys[1:] != keys[:-1]])]
        rows, cols = keys // total, keys % total
    else:
        rows = cols = np.zeros(0, np.int64)
    indptr = np.zeros(total + 1, np.int64)
    np.cumsum(np.bincount(rows, minlength=total), out=indptr[1:])
    return GraphBatch(indptr=indptr, indices=cols.astype(np.int64), offsets=offsets)


# -- histograms -----------------------------------------------------------------------------------------
@njit(cache=True, inline="always")
def _bin(x: float, first: float, last: float, nbins: int, edges: np.ndarray) -> int:
    """np.histogram's bin of x for equal bins on [first, last] (-1 when outside)."""
    if not (x >= first and x <= last):
        return -1
    i = int(((x - first) / (last - first)) * nbins)
    if i == nbins:
        i -= 1
    if x < edges[i]:
        i -= 1
    if x >= edges[i + 1] and i != nbins - 1:
        i += 1
    return i


@njit(cache=True, parallel=True)
def _clustering_hist(indptr, indices, offsets, nbins, edges, out):
    first, last = edges[0], edges[-1]
    for g in prange(offsets.size - 1):
        lo, hi = offsets[g], offsets[g + 1]
        mark = np.zeros(hi - lo, np.bool_)
        for x in range(lo, hi):
            d = indptr[x + 1] - indptr[x]
            t2 = 0
            if d >= 2:
                for s in range(indptr[x], indptr[x + 1]):
                    mark[indices[s] - lo] = True
                for s in range(indptr[x], indptr[x + 1]):
                    y = indices[s]
                    for u in range(indptr[y], indptr[y + 1]):
                        if mark[indices[u] - lo]:
                            t2 += 1
                for s in range(indptr[x], indptr[x + 1]):
                    mark[indices[s] - lo] = False
            # nx.clustering: 0 without triangles, else 2T / (d (d - 1)) (t2 counts each triangle twice)
            c = 0.0 if t2 == 0 else t2 / (d * (d - 1))
            b = _bin(c, first, last, nbins, edges)
            if b >= 0:
                out[g, b] += 1.0


@njit(cache=True, nogil=True)
def _laplacian(indptr, indices, lo, hi, out):
    """Dense normalised Laplacian of nodes lo..hi-1, entries computed as networkx's DH @ (L @ DH)."""
    n = hi - lo
    dh = np.empty(n)
    for v in range(n):
        d = indptr[lo + v + 1] - indptr[lo + v]
        dh[v] = 0.0 if d == 0 else 1.0 / np.sqrt(float(d))
    out[:, :] = 0.0
    for v in range(n):
        d = indptr[lo + v + 1] - indptr[lo + v]
        out[v, v] = dh[v] * (d * dh[v])
        for s in range(indptr[lo + v], indptr[lo + v + 1]):
            w = indices[s] - lo
            out[v, w] = dh[v] * (-1.0 * dh[w])


@njit(cache=True)
def _hist_values(values, nbins, edges, out_row):
    first, last = edges[0], edges[-1]
    for x in values:
        b = _bin(x, first, last, nbins, edges)
        if b >= 0:
            out_row[b] += 1.0


def _normalise(h: np.ndarray) -> np.ndarray:
    s = h.sum(axis=1, keepdims=True)
    return np.divide(h, s, out=np.zeros_like(h), where=s > 0)


def degree_histograms(batch: GraphBatch) -> np.ndarray:
    """Sum-normalised degree histograms (n_graphs x (max degree + 1)), zero-padded to a common length."""
    deg = batch.degrees
    width = int(deg.max()) + 1 if deg.size else 1
    graph_of = np.repeat(np.arange(batch.n_graphs), batch.sizes)
    h = np.bincount(graph_of * width + deg, minlength=batch.n_graphs * width).reshape(batch.n_graphs, width)
    return _normalise(h.astype(float))


def clustering_histograms(batch: GraphBatch, bins: int = 100) -> np.ndarray:
    """Sum-normalised histograms of the local clustering coefficients, ``bins`` equal bins on [0, 1]."""
    edges = np.linspace(*CLUSTERING_RANGE, bins + 1)
    out = np.zeros((batch.n_graphs, bins))
    if batch.n_graphs:
        _clustering_hist(batch.indptr, batch.indices, batch.offsets, bins, edges, out)
    return _normalise(out)


def _limit_blas():
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - sklearn ships it
        from contextlib import nullcontext
        return nullcontext()
    return threadpool_limits(1)


def laplacian_eigenvalues(batch: GraphBatch, workers: int | None = None) -> list[np.ndarray]:
    """Eigenvalues of each graph's normalised Laplacian (``scipy.linalg.eigvalsh``), in a thread pool."""
    from scipy.linalg import eigvalsh

    def one(g: int) -> np.ndarray:
        lo, hi = int(batch.offsets[g]), int(batch.offsets[g + 1])
        a = np.empty((hi - lo, hi - lo))
        _laplacian(batch.indptr, batch.indices, lo, hi, a)
        return eigvalsh(a, overwrite_a=True, check_finite=False)

    workers = workers or os.cpu_count() or 1
    with _limit_blas():
        if workers == 1 or batch.n_graphs < 2:
            return [one(g) for g in range(batch.n_graphs)]
        with ThreadPoolExecutor(workers) as pool:
            return list(pool.map(one, range(batch.n_graphs), chunksize=8))


def spectral_histograms(batch: GraphBatch, bins: int = 200, workers: int | None = None) -> np.ndarray:
    """Sum-normalised histograms of the normalised-Laplacian eigenvalues, ``bins`` equal bins on [-1e-5, 2]."""
    edges = np.linspace(*SPECTRAL_RANGE, bins + 1)
    out = np.zeros((batch.n_graphs, bins))
    for g, ev in enumerate(laplacian_eigenvalues(batch, workers)):
        _hist_values(ev, bins, edges, out[g])
    return _normalise(out)


def orbit_features(batch: GraphBatch) -> np.ndarray:
    """Per-node mean of the 15 orbit counts (GRAN's ``orbit_stats_all`` feature), n_graphs x 15."""
    counts = orbit_counts_csr(batch.indptr, batch.indices, batch.offsets)
    cum = np.zeros((counts.shape[0] + 1, counts.shape[1]), np.int64)
    np.cumsum(counts, axis=0, out=cum[1:])
    sums = (cum[batch.offsets[1:]] - cum[batch.offsets[:-1]]).astype(float)
    return sums / np.maximum(batch.sizes, 1)[:, None]  # an empty graph gets zeros (callers drop them first)


def descriptors(graphs: Sequence[Any] | GraphBatch, names: Sequence[str] = DESCRIPTORS,
                bins: dict[str, int] | None = None, workers: int | None = None) -> dict[str, np.ndarray]:
    """The descriptor matrices (one row per graph) of the named descriptors."""
    batch = graphs if isinstance(graphs, GraphBatch) else pack(graphs)
    bins = {"clustering": 100, "spectral": 200, **(bins or {})}
    out: dict[str, np.ndarray] = {}
    for name in names:
        if name == "degree":
            out[name] = degree_histograms(batch)
        elif name == "clustering":
            out[name] = clustering_histograms(batch, int(bins["clustering"]))
        elif name == "spectral":
            out[name] = spectral_histograms(batch, int(bins["spectral"]), workers)
        elif name == "orbit":
            out[name] = orbit_features(batch)
        else:
            raise ValueError(f"unknown graph descriptor {name!r}; expected one of {', '.join(DESCRIPTORS)}")
    return out
