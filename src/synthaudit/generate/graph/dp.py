"""A Laplace degree-histogram mechanism users can apply before fitting a generator (survey section 5.3).

The query is the degree histogram h(G)[k] = #{v : deg(v) = k}. Its L1 global sensitivity depends on what
neighbouring graphs are:

* **edge adjacency** (G, G' differ in one edge {u, v}; node set public, bins 0..|V|-1): u moves from bin
  d_u to d_u +- 1 and v from d_v to d_v +- 1. Each move takes 1 from one bin and adds 1 to the next, an L1
  change of 2, so the histogram changes by at most 2 + 2 = **4**, reached when d_u = d_v (bin d loses 2,
  bin d+1 gains 2). (The often-quoted 2 is the sensitivity of the *degree sequence*, Hay et al. 2009: one
  edge changes two entries by 1 each. For the histogram it is 4.)
* **node adjacency** (G, G' differ in one node and all its edges) over graphs of maximum degree <= D
  (bins 0..D): removing v takes v out of its bin (1) and moves each of its <= D neighbours down one bin
  (2 each): **2D + 1**, reached when v and all its neighbours share one degree. A graph with larger degrees
  is first projected to degree <= D by edge addition in a stable order (edges sorted by their end nodes;
  an edge is kept when both ends still have degree < D; Day, Li & Lyu, SIGMOD 2016); the projected histogram
  keeps sensitivity 2D + 1 (the tests check both bounds by brute force on every graph of up to 6 nodes and
  on thousands of random graphs).

Noise: Lap(0, b) with b = sensitivity / epsilon in every bin, so each bin's variance is 2 b^2 and the release
is epsilon-DP (pure, delta = 0) under the chosen adjacency. The returned :class:`DPRecord` is what
``graph.dp_guarantee`` reads (``--dp``: the mapping, or the YAML file ``DPRecord.save`` writes).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

ADJACENCIES = ("edge", "node")


@dataclass(frozen=True)
class DPRecord:
    """The privacy parameters of a release: what graph.dp_guarantee reports."""

    epsilon: float
    delta: float
    adjacency: str
    mechanism: str
    sensitivity: float | None = None
    degree_bound: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}

    def save(self, path: str | Path) -> Path:
        import yaml

        path = Path(path)
        path.write_text(yaml.safe_dump(self.as_dict(), sort_keys=False), encoding="utf-8")
        return path


@dataclass
class NoisyHistogram:
    """``noisy[k]``: the noisy count of nodes of degree k (floats, may be negative); ``scale`` = b."""

    noisy: np.ndarray
    sensitivity: float
    scale: float
    record: DPRecord

    def rounded(self) -> np.ndarray:
        """Post-processing (no privacy cost): counts rounded and clipped at 0."""
        return np.clip(np.rint(self.noisy), 0, None).astype(int)


def sensitivity(adjacency: str, degree_bound: int | None = None) -> float:
    """L1 global sensitivity of the degree histogram: 4 (edge), 2 D + 1 (node, degree bound D)."""
    if adjacency == "edge":
        return 4.0
    if adjacency == "node":
        if degree_bound is None or int(degree_bound) < 0:
            raise ValueError("node adjacency needs a degree bound D >= 0 (sensitivity 2D + 1)")
        return 2.0 * int(degree_bound) + 1.0
    raise ValueError(f"adjacency {adjacency!r} is not supported; expected one of {', '.join(ADJACENCIES)}")


def project_degree(g: Any, degree_bound: int) -> Any:
    """Edge-addition projection to maximum degree ``degree_bound``: edges in a stable order (sorted by their
    end nodes, as text), each kept when both ends still have degree < D. Every node is kept."""
    import networkx as nx

    h = nx.Graph()
    h.add_nodes_from(g.nodes(data=True))
    deg = dict.fromkeys(g.nodes, 0)
    ends = (tuple(sorted((u, v), key=str)) for u, v in g.edges() if u != v)
    edges = sorted(ends, key=lambda e: (str(e[0]), str(e[1])))
    for u, v in edges:
        if deg[u] < degree_bound and deg[v] < degree_bound:
            h.add_edge(u, v)
            deg[u] += 1
            deg[v] += 1
    return h


def degree_histogram(g: Any, bins: int) -> np.ndarray:
    """Counts of nodes of degree 0..bins-1 (a degree >= bins raises: the bins must cover every degree)."""
    out = np.zeros(int(bins), dtype=float)
    for v, d in g.degree():
        if d >= bins:
            raise ValueError(f"node {v!r} has degree {d}, beyond the {bins} bins (0..{bins - 1})")
        out[d] += 1
    return out


def laplace_degree_histogram(g: Any, epsilon: float, *, adjacency: str = "edge", degree_bound: int | None = None,
                             seed: int | None = None) -> NoisyHistogram:
    """An epsilon-DP degree histogram of ``g`` (undirected, no self-loops counted): edge adjacency over bins
    0..|V|-1 (|V| public), or node adjacency over bins 0..D after the degree-D projection."""
    if not (isinstance(epsilon, (int, float)) and np.isfinite(epsilon) and epsilon > 0):
        raise ValueError(f"epsilon must be a positive finite number, got {epsilon!r}")
    import networkx as nx

    if g.is_directed():
        raise ValueError("the degree-histogram mechanism takes an undirected graph")
    g = g.copy()
    g.remove_edges_from(list(nx.selfloop_edges(g)))
    sens = sensitivity(adjacency, degree_bound)
    if adjacency == "node":
        g = project_degree(g, int(degree_bound))  # type: ignore[arg-type]
        bins = int(degree_bound) + 1  # type: ignore[arg-type]
    else:
        bins = max(g.number_of_nodes(), 1)
    hist = degree_histogram(g, bins)
    scale = sens / float(epsilon)
    rng = np.random.default_rng(seed)
    noisy = hist + rng.laplace(0.0, scale, size=hist.shape)
    record = DPRecord(epsilon=float(epsilon), delta=0.0, adjacency=adjacency,
                      mechanism="laplace_degree_histogram", sensitivity=sens,
                      degree_bound=int(degree_bound) if adjacency == "node" else None)
    return NoisyHistogram(noisy=noisy, sensitivity=sens, scale=scale, record=record)
