"""Random-graph generators fitted to a real graph (survey section 5.1, graph generation baselines).

* :class:`ErdosRenyi` -- G(n, p) with n = |V| and p = the real density 2|E| / (n (n - 1)): the expected edge
  count equals the real one.
* :class:`BarabasiAlbert` -- preferential attachment with m = round(mean degree / 2) (at least 1, at most
  n - 1): networkx's model starts from a star on m + 1 nodes and adds n - m - 1 nodes with m edges each, so
  every sample has exactly m (n - m) edges (about n * mean degree / 2).
* :class:`StochasticBlockModel` -- blocks from a seeded community detection (Louvain with ``seed``, or
  greedy modularity), or from a node attribute (``blocks="club"``: a label-conditioned SBM); block-pair edge
  probabilities are the maximum-likelihood estimates e_ab / (n_a n_b) (e_aa / C(n_a, 2) inside a block), so
  every block pair's expected density equals the real one.

Node attributes: an SBM node stands for the real node at the same position of its block, so it carries that
node's attributes (node classification labels included; with attribute blocks every node keeps its block's
label). Erdos-Renyi and Barabasi-Albert nodes are exchangeable and carry none (their structure holds no
information about the labels). ``sample(n_graphs, seed)`` is deterministic: graph i uses the per-slot seed
``slot_seed(model, seed, i)``, the same one the restartable runner uses.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator, Mapping

import numpy as np

from synthaudit.errors import InputError, UsageError
from synthaudit.generate.text.base import record_id, slot_seed

#: graphs that ship with networkx, usable as ``--real NAME``
BUILTIN = {"karate": "karate_club_graph", "les_miserables": "les_miserables_graph",
           "florentine": "florentine_families_graph", "davis": "davis_southern_women_graph"}


def _nx():
    import networkx as nx

    return nx


def load_real_graph(source: Any) -> Any:
    """One real graph: a networkx graph, a built-in name (karate, les_miserables, florentine, davis) or a file
    (.graphml, .gml, node-link .json, or an edge list .edgelist/.edges/.txt). Raises InputError."""
    nx = _nx()
    if isinstance(source, nx.Graph):
        return source
    name = str(source)
    if name in BUILTIN and not Path(name).exists():
        return getattr(nx, BUILTIN[name])()
    path = Path(name)
    if not path.is_file():
        raise InputError("graph file not found", file=name, field="--real",
                         hint=f"pass a .graphml/.gml/.json/.edgelist file or one of {', '.join(BUILTIN)}")
    from synthaudit.data.graph import GraphParseError, parse_edge_text, parse_graph

    suffix = path.suffix.lower()
    try:
        if suffix == ".graphml":
            g = nx.read_graphml(path)
        elif suffix == ".gml":
            g = nx.read_gml(path, label=None)
        elif suffix == ".json":
            g = parse_graph(json.loads(path.read_text(encoding="utf-8")))
        else:
            g = parse_edge_text(path.read_text(encoding="utf-8"))
    except (GraphParseError, ValueError, OSError, nx.NetworkXError) as exc:
        raise InputError(f"cannot read the graph: {exc}", file=name, field="--real") from None
    return g.to_undirected() if g.is_directed() else g


def _check_real(g: Any, minimum: int = 2) -> None:
    if g.number_of_nodes() < minimum:
        raise InputError(f"has {g.number_of_nodes()} node(s); fitting needs at least {minimum}", field="--real")


class GraphModel:
    """A random-graph model fitted to one real graph; ``sample(n_graphs, seed)`` gives networkx graphs."""

    name = "base"

    def params(self) -> dict[str, Any]:
        raise NotImplementedError

    def sample_one(self, seed: int) -> Any:
        raise NotImplementedError

    def sample(self, n_graphs: int, seed: int = 0) -> list[Any]:
        """``n_graphs`` graphs; graph i is ``sample_one(slot_seed(name, seed, i))`` (the runner's seeds)."""
        return [self.sample_one(slot_seed(self.name, seed, i)) for i in range(int(n_graphs))]


class ErdosRenyi(GraphModel):
    """G(n, p) fitted by n = |V|, p = density (section 5.1)."""

    name = "er"

    def __init__(self, real: Any) -> None:
        _check_real(real)
        self.n = real.number_of_nodes()
        self.p = float(_nx().density(real))

    def params(self) -> dict[str, Any]:
        return {"model": "er", "n": self.n, "p": self.p}

    def sample_one(self, seed: int) -> Any:
        return _nx().gnp_random_graph(self.n, self.p, seed=seed)


class BarabasiAlbert(GraphModel):
    """Preferential attachment fitted by n = |V|, m = round(mean degree / 2) clipped to [1, n - 1]."""

    name = "ba"

    def __init__(self, real: Any) -> None:
        _check_real(real)
        self.n = real.number_of_nodes()
        mean_degree = 2 * real.number_of_edges() / self.n
        self.m = int(min(max(1, round(mean_degree / 2)), self.n - 1))

    def params(self) -> dict[str, Any]:
        return {"model": "ba", "n": self.n, "m": self.m}

    def sample_one(self, seed: int) -> Any:
        return _nx().barabasi_albert_graph(self.n, self.m, seed=seed)


def detect_blocks(real: Any, method: str = "louvain", seed: int = 0) -> list[list[Any]]:
    """The blocks of a real graph, each a sorted node list, blocks ordered by their smallest node (as text):
    ``louvain`` (seeded), ``greedy`` (greedy modularity, deterministic) or a node attribute name."""
    nx = _nx()
    if method == "louvain":
        parts = nx.community.louvain_communities(real, seed=seed)
    elif method == "greedy":
        parts = nx.community.greedy_modularity_communities(real)
    else:
        missing = [v for v, d in real.nodes(data=True) if method not in d]
        if missing:
            raise InputError(f"node {missing[0]!r} has no attribute {method!r} ({len(missing)} node(s) lack it); "
                             "expected louvain, greedy or a node attribute present on every node", field="--blocks")
        groups: dict[Any, list[Any]] = {}
        for v, d in real.nodes(data=True):
            groups.setdefault(d[method], []).append(v)
        parts = list(groups.values())
    key = str
    blocks = [sorted(p, key=key) for p in parts if len(p)]
    return sorted(blocks, key=lambda b: key(b[0]))


def block_probabilities(real: Any, blocks: list[list[Any]]) -> np.ndarray:
    """Maximum-likelihood SBM probabilities: P[a, b] = e_ab / (n_a n_b), P[a, a] = e_aa / C(n_a, 2)
    (0 for a one-node block)."""
    where = {v: k for k, b in enumerate(blocks) for v in b}
    k = len(blocks)
    counts = np.zeros((k, k))
    for u, v in real.edges():
        if u == v:
            continue
        a, b = where[u], where[v]
        counts[a, b] += 1
        if a != b:
            counts[b, a] += 1
    sizes = np.array([len(b) for b in blocks], dtype=float)
    pairs = np.outer(sizes, sizes)
    np.fill_diagonal(pairs, sizes * (sizes - 1) / 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = np.where(pairs > 0, counts / np.where(pairs > 0, pairs, 1), 0.0)
    return np.clip(p, 0.0, 1.0)


class StochasticBlockModel(GraphModel):
    """An SBM fitted to a real graph: blocks by seeded community detection or a node attribute, ML block-pair
    probabilities; synthetic node i of block b carries the attributes of the i-th real node of b."""

    name = "sbm"

    def __init__(self, real: Any, blocks: str = "louvain", seed: int = 0) -> None:
        _check_real(real)
        self.method, self.fit_seed = blocks, int(seed)
        self.blocks = detect_blocks(real, blocks, seed)
        self.sizes = [len(b) for b in self.blocks]
        self.p = block_probabilities(real, self.blocks)
        self.attrs = [dict(real.nodes[v]) for b in self.blocks for v in b]
        self.real_nodes = [v for b in self.blocks for v in b]

    def params(self) -> dict[str, Any]:
        return {"model": "sbm", "blocks": self.method, "fit_seed": self.fit_seed, "sizes": self.sizes,
                "p": [[round(float(x), 12) for x in row] for row in self.p]}

    def sample_one(self, seed: int) -> Any:
        g = _nx().stochastic_block_model(self.sizes, self.p.tolist(), seed=seed)
        g.graph = {"block_sizes": list(self.sizes)}  # networkx's 'partition' (sets) does not travel as JSON
        for i, attrs in enumerate(self.attrs):
            g.nodes[i].update(attrs)
            g.nodes[i]["real_node"] = self.real_nodes[i] if isinstance(self.real_nodes[i], (int, str)) \
                else str(self.real_nodes[i])
        return g


MODELS = {"er": ErdosRenyi, "ba": BarabasiAlbert, "sbm": StochasticBlockModel}


def fit(method: str, real: Any, *, blocks: str = "louvain", seed: int = 0) -> GraphModel:
    """A fitted model by name (er, ba, sbm); ``real`` as :func:`load_real_graph` accepts."""
    if method not in MODELS:
        raise UsageError(f"unknown random-graph model {method!r}; expected one of {', '.join(MODELS)}",
                         field="--method")
    g = load_real_graph(real)
    return StochasticBlockModel(g, blocks=blocks, seed=seed) if method == "sbm" else MODELS[method](g)


def generate(method: str, client: Any, n: int, seed: int = 0, *, done: Mapping[str, dict] | None = None,
             max_attempts: int | None = None, real: Any = None, blocks: str = "louvain",
             **_: Any) -> Iterator[dict]:
    """Runner records ``{id, method, index, seed, model: None, graph (node-link JSON text), n_nodes, n_edges,
    fit}`` for slots 0..n-1 not in ``done``; a file made with another fit is refused on resume. ``client`` is
    unused (no model)."""
    from synthaudit.data.graph import to_text

    if real is None:
        raise UsageError("random-graph models are fitted to a real graph", field="--real",
                         hint=f"pass a graph file or one of {', '.join(BUILTIN)}")
    model = fit(method, real, blocks=blocks, seed=seed)
    params = model.params()
    done = done or {}
    for rec in done.values():
        if rec.get("fit") != params:
            raise UsageError(f"holds graphs of another fit ({rec.get('fit')}), not {params}", field="--out",
                             hint="use the same --real/--blocks, another --out, or --no-resume")
    for index in range(int(n)):
        rid = record_id(method, seed, index)
        if rid in done:
            continue
        g = model.sample_one(slot_seed(method, seed, index))
        yield {"id": rid, "method": method, "index": index, "seed": seed, "model": None, "graph": to_text(g),
               "n_nodes": g.number_of_nodes(), "n_edges": g.number_of_edges(), "fit": params}
