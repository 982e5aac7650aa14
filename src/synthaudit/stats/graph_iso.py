"""Isomorphism-aware graph equality for uniqueness and novelty (survey section 5.2: graph.uniq, graph.novelty).

Graphs are bucketed by a Weisfeiler-Lehman colour-refinement hash (1-WL run to a stable partition; where it
leaves symmetric colour classes, as in regular graphs, the key adds the hashes of the refinements after
individualising each node of the smallest such class), then compared exactly inside a bucket only: the key is
an isomorphism invariant, so isomorphic graphs always share a bucket, and a collision of non-isomorphic graphs
(e.g. the 6-cycle and two triangles under plain 1-WL) costs one exact check, never a wrong merge. Work grows
with the number of graphs times the (small) number of classes per bucket.

The exact check is individualisation-refinement on the WL colourings (the idea behind nauty/Traces, without
canonical forms): every isomorphism preserves the stable colouring, so when each node has its own colour the
only candidate bijection is verified edge by edge; otherwise a node of the smallest shared colour class is
given a fresh colour, paired in turn with every node of that class in the other graph, and both are refined
again. The search is complete (it tries every colour-preserving choice) and a bijection is accepted only after
the verification, so hash collisions can cost time but never correctness. :func:`graphs_equal` is the plain
networkx VF2 test (``nx.is_isomorphic``) the tests compare with.

Equality options (the catalog's ``equality`` parameter):

* ``isomorphism``: unlabelled graph isomorphism (attributes ignored);
* ``labelled_isomorphism``: isomorphism preserving node attributes (all of them, or those named in
  ``node_attrs``) and edge attributes (all, or ``edge_attrs``); numbers compare as floats (1 == 1.0);
* ``exact_edge_set``: the same node set and edge set, node ids compared as text (no relabelling).

Hashes use Python's ``hash`` of tuples: stable within a process (all that bucketing needs).
"""
from __future__ import annotations

from collections import Counter
from typing import Any, Hashable, Iterable, Sequence

EQUALITIES = ("isomorphism", "labelled_isomorphism", "exact_edge_set")
#: individualisation depth beyond which the exact check hands over to networkx VF2 (recursion limit)
MAX_DEPTH = 200
#: the bucket key individualises each node of the smallest shared colour class up to this size (see Prepared)
MAX_CERTIFICATE = 64


def check_equality(equality: str) -> str:
    if equality not in EQUALITIES:
        raise ValueError(f"equality must be one of {', '.join(EQUALITIES)}, got {equality!r}")
    return equality


def _norm(v: Any) -> Any:
    if isinstance(v, bool):
        return ("b", v)
    if isinstance(v, (int, float)):
        return ("n", float(v))
    return ("s", str(v))


def _label(data: dict, keys: Sequence[str] | None) -> tuple:
    items = data.items() if keys is None else ((k, data.get(k)) for k in keys)
    return tuple(sorted((str(k), _norm(v)) for k, v in items))


class Prepared:
    """A graph in index form with its stable WL colouring: what buckets store and the exact check reads."""

    __slots__ = ("graph", "n", "m", "directed", "succ", "pred", "labels", "elabels", "colours", "key", "_sets")

    def __init__(self, g, *, labelled: bool = False, node_attrs: Sequence[str] | None = None,
                 edge_attrs: Sequence[str] | None = None, max_iterations: int | None = None,
                 individualise: bool = True) -> None:
        nodes = list(g)
        index = {v: i for i, v in enumerate(nodes)}
        self.graph, self.n, self.m, self.directed = g, len(nodes), g.number_of_edges(), g.is_directed()
        succ_view = g.succ if self.directed else g.adj
        self.succ = [[index[v] for v in succ_view[u]] for u in nodes]
        self.pred = [[index[v] for v in g.pred[u]] for u in nodes] if self.directed else None
        self.elabels: list[dict[int, tuple]] | None = None
        self.labels: list[tuple] | None = None
        if labelled:
            self.elabels = [{index[v]: _label(d, edge_attrs) for v, d in succ_view[u].items()} for u in nodes]
            self.labels = [_label(g.nodes[v], node_attrs) for v in nodes]
        self._sets: list[set[int]] | None = None
        pred = self.pred
        if self.labels is None:
            start = [hash((len(self.succ[i]), len(pred[i]) if pred else 0)) for i in range(self.n)]
        else:
            start = [hash((len(self.succ[i]), len(pred[i]) if pred else 0, self.labels[i])) for i in range(self.n)]
        self.colours, rounds = refine(self, start, max_iterations)
        self.key = hash((self.directed, self.n, self.m, tuple(rounds),
                         self.certificate() if individualise else ()))

    def certificate(self) -> tuple:
        """A finer isomorphism invariant where 1-WL leaves symmetric classes (regular graphs): the sorted hashes
        of the refinements obtained by individualising each node of the smallest shared colour class (ties by
        colour), when that class has at most MAX_CERTIFICATE nodes. Invariant, since the class is."""
        counts = Counter(self.colours)
        if len(counts) == self.n:
            return ()
        size, target = min((k, c) for c, k in counts.items() if k > 1)
        if size > MAX_CERTIFICATE:
            return ("class", size)
        fresh = hash((target, "individualised", 0))
        sigs = []
        for i, c in enumerate(self.colours):
            if c == target:
                x = list(self.colours)
                x[i] = fresh
                sigs.append(hash(tuple(refine(self, x)[1])))
        return tuple(sorted(sigs))

    def neighbour_sets(self) -> list[set[int]]:
        if self._sets is None:
            self._sets = [set(x) for x in self.succ]
        return self._sets


def refine(p: Prepared, colours: list[int], max_iterations: int | None = None) -> tuple[list[int], list[tuple]]:
    """1-WL colour refinement from ``colours``: each round a node's colour becomes the hash of its colour and the
    sorted multiset of its neighbours' colours (paired with the edge labels when labelled), in- and
    out-neighbours apart for directed graphs, until the number of classes stops growing (the same round for
    isomorphic inputs) or ``max_iterations``. Returns the final colours and the sorted colour multiset of every
    round."""
    n = p.n
    rounds = [tuple(sorted(colours))]
    classes = len(set(colours))
    succ, pred, el = p.succ, p.pred, p.elabels
    for _ in range(n if max_iterations is None else max_iterations):
        c = colours
        if el is None and pred is None:
            new = [hash((c[i], tuple(sorted([c[j] for j in succ[i]])))) for i in range(n)]
        elif el is None:
            new = [hash((c[i], tuple(sorted([c[j] for j in succ[i]])), tuple(sorted([c[j] for j in pred[i]]))))
                   for i in range(n)]
        elif pred is None:
            new = [hash((c[i], tuple(sorted([(c[j], el[i][j]) for j in succ[i]])))) for i in range(n)]
        else:
            new = [hash((c[i], tuple(sorted([(c[j], el[i][j]) for j in succ[i]])),
                         tuple(sorted([(c[j], el[j][i]) for j in pred[i]])))) for i in range(n)]
        colours = new
        rounds.append(tuple(sorted(colours)))
        k = len(set(colours))
        if k == classes:
            break
        classes = k
    return colours, rounds


def wl_colours(g, *, labelled: bool = False, node_attrs: Sequence[str] | None = None,
               edge_attrs: Sequence[str] | None = None, max_iterations: int | None = None) -> tuple[int, dict]:
    """(hash, final colour of each node) of the 1-WL colour refinement of ``g`` started from degrees (plus node
    labels with ``labelled``; edge labels join the neighbour multisets). The hash covers the colour multiset of
    every round: equal for isomorphic graphs (label-preserving isomorphic ones with ``labelled``); an
    isomorphism maps every node to a node of the same final colour."""
    p = Prepared(g, labelled=labelled, node_attrs=node_attrs, edge_attrs=edge_attrs, max_iterations=max_iterations,
                 individualise=False)
    return p.key, dict(zip(g, p.colours))


def wl_hash(g, **kw: Any) -> int:
    """The 1-WL colour-refinement hash of ``g`` (see :func:`wl_colours`)."""
    return wl_colours(g, **kw)[0]


def _verify(a: Prepared, b: Prepared, ca: list[int], cb: list[int]) -> bool:
    """Whether the bijection matching equal (discrete) colours is an isomorphism (labels included)."""
    where = {c: j for j, c in enumerate(cb)}
    f = [where[c] for c in ca]
    if a.labels is not None and any(a.labels[i] != b.labels[f[i]] for i in range(a.n)):
        return False
    sets = b.neighbour_sets()
    for i, nbrs in enumerate(a.succ):
        target = sets[f[i]]
        if len(target) != len(nbrs) or any(f[j] not in target for j in nbrs):
            return False
        if a.elabels is not None and any(a.elabels[i][j] != b.elabels[f[i]][f[j]] for j in nbrs):
            return False
    return True


def _search(a: Prepared, b: Prepared, ca: list[int], cb: list[int], depth: int) -> bool:
    if sorted(ca) != sorted(cb):
        return False
    counts = Counter(ca)
    if len(counts) == a.n:
        return _verify(a, b, ca, cb)
    size, target = min((k, c) for c, k in counts.items() if k > 1)
    fresh = hash((target, "individualised", depth))
    ia = ca.index(target)
    xa = list(ca)
    xa[ia] = fresh
    ra, rounds_a = refine(a, xa)
    for jb in [j for j, c in enumerate(cb) if c == target]:
        xb = list(cb)
        xb[jb] = fresh
        rb, rounds_b = refine(b, xb)
        if rounds_a == rounds_b and _search(a, b, ra, rb, depth + 1):
            return True
    return False


def prepared_isomorphic(a: Prepared, b: Prepared, *, node_attrs: Sequence[str] | None = None,
                        edge_attrs: Sequence[str] | None = None) -> bool:
    """Exact isomorphism test of two prepared graphs (label-preserving when they were prepared labelled, with the
    same ``node_attrs``/``edge_attrs``)."""
    if a.directed != b.directed or a.n != b.n or a.m != b.m:
        return False
    if a.n - len(set(a.colours)) > MAX_DEPTH:  # a deep search: networkx VF2 instead
        return graphs_equal(a.graph, b.graph, "labelled_isomorphism" if a.labels is not None else "isomorphism",
                            node_attrs=node_attrs, edge_attrs=edge_attrs)
    return _search(a, b, a.colours, b.colours, 0)


def edge_set_key(g) -> Hashable:
    """The node set and edge set of ``g`` with ids as text (``exact_edge_set``)."""
    directed = g.is_directed()
    edges = frozenset((str(u), str(v)) if directed else frozenset((str(u), str(v))) for u, v in g.edges())
    return (directed, frozenset(str(v) for v in g), edges)


class IsoIndex:
    """Equivalence classes of graphs under one equality: ``add`` returns (class id, new?); ``find`` looks up.

    Keeps one prepared representative per class, in buckets keyed by the WL hash (or the edge set); with
    ``individualise`` (default) the key also holds :meth:`Prepared.certificate`, which splits the buckets of
    regular graphs that plain 1-WL cannot tell apart (``individualise=False``: plain 1-WL buckets)."""

    def __init__(self, equality: str = "isomorphism", *, node_attrs: Sequence[str] | None = None,
                 edge_attrs: Sequence[str] | None = None, max_iterations: int | None = None,
                 individualise: bool = True) -> None:
        self.equality = check_equality(equality)
        self.individualise = individualise
        self.node_attrs = list(node_attrs) if node_attrs is not None else None
        self.edge_attrs = list(edge_attrs) if edge_attrs is not None else None
        self.max_iterations = max_iterations
        self.buckets: dict[Hashable, list[tuple[int, Any]]] = {}
        self.n_classes = 0
        self.n_exact_checks = 0

    def prepare(self, g) -> Any:
        """What the index stores for ``g``: a :class:`Prepared` graph, or the edge-set key (exact_edge_set)."""
        if self.equality == "exact_edge_set":
            return edge_set_key(g)
        return Prepared(g, labelled=self.equality == "labelled_isomorphism", node_attrs=self.node_attrs,
                        edge_attrs=self.edge_attrs, max_iterations=self.max_iterations,
                        individualise=self.individualise)

    def key(self, g) -> Hashable:
        p = self.prepare(g)
        return p if self.equality == "exact_edge_set" else p.key

    def same(self, pa: Any, pb: Any) -> bool:
        """Exact equality of two prepared graphs."""
        if self.equality == "exact_edge_set":
            return pa == pb
        self.n_exact_checks += 1
        return prepared_isomorphic(pa, pb, node_attrs=self.node_attrs, edge_attrs=self.edge_attrs)

    def _match(self, p: Any) -> int | None:
        key = p if self.equality == "exact_edge_set" else p.key
        for cid, rep in self.buckets.get(key, ()):
            if self.same(p, rep):
                return cid
        return None

    def find(self, g) -> int | None:
        """The class id of a graph equal to ``g`` already added, else None."""
        return self._match(self.prepare(g))

    def add(self, g) -> tuple[int, bool]:
        """(class id of ``g``, whether it opened a new class)."""
        p = self.prepare(g)
        cid = self._match(p)
        if cid is not None:
            return cid, False
        cid = self.n_classes
        self.n_classes += 1
        self.buckets.setdefault(p if self.equality == "exact_edge_set" else p.key, []).append((cid, p))
        return cid, True

    @property
    def n_buckets(self) -> int:
        return len(self.buckets)

    @property
    def n_collision_buckets(self) -> int:
        """Buckets holding more than one class: WL hash collisions of non-isomorphic graphs."""
        return sum(1 for b in self.buckets.values() if len(b) > 1)


def graphs_equal(a, b, equality: str = "isomorphism", *, node_attrs: Sequence[str] | None = None,
                 edge_attrs: Sequence[str] | None = None) -> bool:
    """Whether two networkx graphs are equal under ``equality``: networkx VF2 (``nx.is_isomorphic``, with node and
    edge matchers for labelled_isomorphism) or node and edge sets compared as text."""
    import networkx as nx

    check_equality(equality)
    if a.is_directed() != b.is_directed():
        return False
    if equality == "exact_edge_set":
        return edge_set_key(a) == edge_set_key(b)
    if a.number_of_nodes() != b.number_of_nodes() or a.number_of_edges() != b.number_of_edges():
        return False
    if equality == "isomorphism":
        return nx.is_isomorphic(a, b)
    return nx.is_isomorphic(a, b, node_match=lambda x, y: _label(x, node_attrs) == _label(y, node_attrs),
                            edge_match=lambda x, y: _label(x, edge_attrs) == _label(y, edge_attrs))


def unique_classes(graphs: Iterable[Any], equality: str = "isomorphism", **kw: Any) -> tuple[list[int], IsoIndex]:
    """The class id of each graph (ids in order of first appearance) and the index."""
    index = IsoIndex(equality, **kw)
    return [index.add(g)[0] for g in graphs], index


def matches_any(g, examples: Sequence[Any], equality: str = "isomorphism", **kw: Any) -> int | None:
    """The position of the first example equal to ``g`` under ``equality``, else None (hash first, then exact)."""
    index = IsoIndex(equality, **kw)
    p = index.prepare(g)
    key = p if equality == "exact_edge_set" else p.key
    for i, ex in enumerate(examples):
        q = index.prepare(ex)
        if (q if equality == "exact_edge_set" else q.key) == key and index.same(p, q):
            return i
    return None
