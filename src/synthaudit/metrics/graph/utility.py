"""graph.downstream_acc_f1 (survey section 5.2, utility): node classification on a real graph, trained on its
original labelled nodes vs the graph augmented with (or replaced by) labelled synthetic graphs.

The learner (documented, seeded, offline; torch_geometric is not installed): the catalog's ``gnn: GCN`` is
served by a *linearised GCN* -- SIGN-style propagated features [X, S X, S^2 X] with S = D~^-1/2 (A + I) D~^-1/2
(the GCN propagation matrix; SGC, Wu et al. 2019, keeps S^2 X alone) -- and a standardised multinomial logistic
regression (scikit-learn, lbfgs). ``gnn: logreg`` drops the propagation (X alone). Node features X, comparable
across graphs (so that synthetic nodes can train a model that is tested on real ones):

* log(1 + degree) and the clustering coefficient;
* spectral: heat-kernel signatures n * exp(-t L)_vv of the normalised Laplacian L for t in ``heat_times``
  (sign- and rotation-free, unlike raw eigenvectors; dense eigendecomposition up to 3,000 nodes per graph,
  otherwise left out for every graph, with a note);
* label context: the class shares among a node's neighbours whose label is known (real graph: training nodes
  only, so test labels are never read; synthetic graphs: every labelled node).

Protocol: labelled real nodes are split (stratified, ``test_size``) once per seed (inputs.seed, +1, ...,
``n_seeds``); on each split the baseline trains on the real training nodes, the augmented learner on those
plus every labelled node of the synthetic graphs (``mode: augment``; ``mode: replace`` trains on the synthetic
nodes alone), and both predict the same real test nodes. Value: mean accuracy of the augmented (or replaced)
learner; secondary: mean F1 (``f1_average``, default macro), the baseline's accuracy and F1, their gains.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from synthaudit.data.files import is_missing
from synthaudit.metrics.registry import register
from synthaudit.metrics.result import MetricResult

GNNS = {"GCN": 2, "SGC": 2, "logreg": 0}
MODES = ("augment", "replace")
MAX_DENSE = 3000
_NONE = object()



def propagation_matrix(g: Any, nodes: Sequence[Any]) -> Any:
    """S = D~^-1/2 (A + I) D~^-1/2 (GCN's renormalised adjacency; self-loops of A ignored) as a sparse matrix."""
    import networkx as nx
    import scipy.sparse as sp

    a = nx.to_scipy_sparse_array(g, nodelist=list(nodes), weight=None, format="csr").astype(float)
    a.setdiag(0)
    a.eliminate_zeros()
    a = ((a + a.T) > 0).astype(float)
    a = a + sp.identity(a.shape[0], format="csr")
    d = np.asarray(a.sum(axis=1)).ravel()
    inv = sp.diags(1.0 / np.sqrt(d))
    return (inv @ a @ inv).tocsr()


def heat_signatures(g: Any, nodes: Sequence[Any], times: Sequence[float]) -> np.ndarray:
    """n * diag(exp(-t L)) for each t, L = I - D^-1/2 A D^-1/2 (isolated nodes: L_vv = 1), one column per t."""
    import networkx as nx
    import scipy.linalg as la

    n = len(nodes)
    if n == 0:
        return np.zeros((0, len(times)))
    a = nx.to_numpy_array(g, nodelist=list(nodes), weight=None)
    np.fill_diagonal(a, 0)
    a = ((a + a.T) > 0).astype(float)
    d = a.sum(axis=1)
    inv = np.where(d > 0, 1.0 / np.sqrt(np.where(d > 0, d, 1)), 0.0)
    lap = np.eye(n) - inv[:, None] * a * inv[None, :]
    w, v = la.eigh(lap)
    sq = v ** 2
    return np.column_stack([n * (sq @ np.exp(-float(t) * w)) for t in times]) if times else np.zeros((n, 0))


def node_features(g: Any, known: dict[Any, Any], classes: Sequence[Any], *, hops: int = 2,
                  heat_times: Sequence[float] = (0.5, 2.0, 8.0)) -> tuple[list[Any], np.ndarray]:
    """(node order, feature matrix): X = [log1p degree, clustering, heat signatures, neighbour class shares
    over ``known`` labels], then [X, S X, ..., S^hops X]."""
    import networkx as nx

    nodes = list(g.nodes())
    simple = nx.Graph(g)
    simple.remove_edges_from(list(nx.selfloop_edges(simple)))
    deg = np.array([simple.degree(v) for v in nodes], dtype=float)
    clust = nx.clustering(simple)
    cols = [np.log1p(deg), np.array([clust[v] for v in nodes], dtype=float)]
    x = np.column_stack(cols)
    if heat_times:
        x = np.hstack([x, heat_signatures(simple, nodes, heat_times)])
    index = {c: k for k, c in enumerate(classes)}
    shares = np.zeros((len(nodes), len(classes)))
    for i, v in enumerate(nodes):
        for u in simple.neighbors(v):
            k = index.get(known.get(u, _NONE))
            if k is not None:
                shares[i, k] += 1
    tot = shares.sum(axis=1, keepdims=True)
    x = np.hstack([x, np.divide(shares, tot, out=np.zeros_like(shares), where=tot > 0)])
    parts = [x]
    if hops:
        s = propagation_matrix(simple, nodes)
        for _ in range(int(hops)):
            parts.append(s @ parts[-1])
    return nodes, np.hstack(parts)


def make_learner(seed: int) -> Any:
    """StandardScaler + LogisticRegression(lbfgs, max_iter 2000, C 1), seeded."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000, random_state=int(seed)))


def split_nodes(labels: dict[Any, Any], test_size: float, seed: int) -> tuple[list[Any], list[Any]]:
    """(train nodes, test nodes): scikit-learn's train_test_split of the labelled nodes (in graph order),
    stratified when every class has at least two nodes."""
    from sklearn.model_selection import train_test_split

    nodes = list(labels)
    y = [labels[v] for v in nodes]
    counts = {c: y.count(c) for c in set(y)}
    strat = y if min(counts.values()) >= 2 and len(counts) > 1 else None
    tr, te = train_test_split(np.arange(len(nodes)), test_size=test_size, random_state=int(seed), stratify=strat)
    return [nodes[i] for i in tr], [nodes[i] for i in te]


def node_labels(g: Any, attr: str) -> dict[Any, str]:
    """node -> class (as text, so 1 and "1" from different file formats agree) of the nodes that have one."""
    return {v: str(d[attr]) for v, d in g.nodes(data=True) if attr in d and not is_missing(d[attr])}


def _applies(inputs: Any) -> str | None:
    if not (inputs.extra or {}).get("node_label"):
        return "no node label attribute: pass --node-label NAME (the node attribute holding each node's class)"
    return None


PARAMS = {"f1_average": {"default": "macro", "options": ["macro", "micro", "weighted"]},
          "gnn": {"default": "GCN", "note": "GCN = a linearised GCN (propagated features [X, SX, S^2X] + logistic "
                  "regression; torch_geometric is not installed); SGC the same; logreg = no propagation"},
          "mode": {"default": "augment", "options": list(MODES), "note": "code default: synthetic labelled nodes "
                   "added to the real training nodes (augment) or used alone (replace)"},
          "n_seeds": {"default": 5, "note": "code default: splits (seed = inputs.seed + i) averaged"},
          "test_size": {"default": 0.3, "note": "code default: share of labelled real nodes in the test split"},
          "heat_times": {"default": [0.5, 2.0, 8.0], "note": "code default: heat-kernel signature times"},
          "max_synthetic_graphs": {"default": 200, "note": "code default: seeded sample of synthetic graphs"}}


@register(id="graph.downstream_acc_f1", name="Downstream GNN accuracy and F1 (Acc, F1)", modality="graph",
          pillar="quality", dimension="utility", section="5.2", direction="higher_better", range=(0.0, 1.0),
          inputs=("synthetic", "real_holdout", "labels"), models=("downstream_learner",), computation="global",
          params=PARAMS, applies=_applies)
def downstream_acc_f1(inputs: Any, models: Any) -> MetricResult:
    """Node classification accuracy and F1 on a fixed real test split (section 5.2), trained on the real graph
    augmented with (or replaced by) labelled synthetic graphs, beside the no-augmentation baseline (same
    learner, features, splits and seeds)."""
    import networkx as nx
    from sklearn.metrics import accuracy_score, f1_score

    from synthaudit.data.graph import all_graphs

    p = inputs.params_for("graph.downstream_acc_f1", downstream_acc_f1.spec.default_params())
    gnn, mode, average = str(p["gnn"]), str(p["mode"]), str(p["f1_average"])
    if gnn not in GNNS:
        raise ValueError(f"gnn {gnn!r} is not supported; expected one of {', '.join(GNNS)}")
    if mode not in MODES:
        raise ValueError(f"mode {mode!r} is not supported; expected one of {', '.join(MODES)}")
    if average not in ("macro", "micro", "weighted"):
        raise ValueError(f"f1_average {average!r} is not supported; expected macro, micro or weighted")
    hops, n_seeds, test_size = GNNS[gnn], int(p["n_seeds"]), float(p["test_size"])
    attr = str(inputs.extra["node_label"])
    real_items = [i for i in all_graphs(inputs, "real_holdout") if i.ok]
    if not real_items:
        return MetricResult(value=None, notes={"undefined": "no holdout graph could be read"})
    real = real_items[0].graph if len(real_items) == 1 else nx.disjoint_union_all([i.graph for i in real_items])
    real = nx.Graph(real.to_undirected() if real.is_directed() else real)
    labels = node_labels(real, attr)
    classes = sorted(set(labels.values()))
    class_set = set(classes)
    notes: dict[str, Any] = {"learner": _learner_note(gnn), "mode": mode, "node_label": attr,
                             "f1_average": average, "classes": classes}
    if len(classes) < 2 or len(labels) < 4:
        notes["undefined"] = (f"the holdout graph has {len(labels)} node(s) with attribute {attr!r} in "
                              f"{len(classes)} class(es); need at least 4 nodes and 2 classes")
        return MetricResult(value=None, notes=notes)
    syn_items = [i for i in all_graphs(inputs, "synthetic") if i.ok]
    n_syn_all = len(syn_items)
    cap = int(p["max_synthetic_graphs"] or 0)
    if cap and len(syn_items) > cap:
        pick = np.sort(np.random.default_rng(int(inputs.seed)).choice(len(syn_items), cap, replace=False))
        syn_items = [syn_items[i] for i in pick]
        notes["synthetic_sample"] = f"{cap} of {n_syn_all} synthetic graphs (seeded sample, max_synthetic_graphs)"
    sizes = [real.number_of_nodes()] + [i.graph.number_of_nodes() for i in syn_items]
    times = [float(t) for t in p["heat_times"]] if max(sizes) <= MAX_DENSE else []
    if not times and p["heat_times"]:
        notes["heat_signatures"] = f"left out: a graph has more than {MAX_DENSE} nodes (dense eigendecomposition)"
    syn_x, syn_y, skipped = [], [], 0
    for item in syn_items:
        g = nx.Graph(item.graph.to_undirected() if item.graph.is_directed() else item.graph)
        lab = node_labels(g, attr)
        keep = {v: c for v, c in lab.items() if c in class_set}
        skipped += len(lab) - len(keep)
        if not keep:
            continue
        nodes, x = node_features(g, keep, classes, hops=hops, heat_times=times)
        rows = [k for k, v in enumerate(nodes) if v in keep]
        syn_x.append(x[rows])
        syn_y.extend(keep[nodes[k]] for k in rows)
    n_syn_nodes = len(syn_y)
    notes["synthetic"] = (f"{n_syn_nodes} labelled node(s) from {len(syn_x)} of {len(syn_items)} synthetic graph(s)"
                          + (f"; {skipped} node(s) with a class absent from the holdout left out" if skipped else ""))
    if not n_syn_nodes:
        notes["undefined"] = f"no synthetic graph has nodes with attribute {attr!r} of a holdout class"
        return MetricResult(value=None, notes=notes)
    xs, ys = np.vstack(syn_x), np.array(syn_y, dtype=object)
    rows_out = []
    for k in range(n_seeds):
        seed = int(inputs.seed) + k
        train, test = split_nodes(labels, test_size, seed)
        known = {v: labels[v] for v in train}
        nodes, x = node_features(real, known, classes, hops=hops, heat_times=times)
        pos = {v: i for i, v in enumerate(nodes)}
        xtr, xte = x[[pos[v] for v in train]], x[[pos[v] for v in test]]
        ytr, yte = np.array([labels[v] for v in train], dtype=object), np.array([labels[v] for v in test], dtype=object)
        row: dict[str, Any] = {"seed": seed, "n_train_real": len(train), "n_test": len(test),
                               "n_train_synthetic": n_syn_nodes}
        for name, (fx, fy) in (("baseline", (xtr, ytr)),
                               (mode, (np.vstack([xtr, xs]), np.concatenate([ytr, ys])) if mode == "augment"
                                else (xs, ys))):
            fy_s, yte_s = fy.astype(str), yte.astype(str)
            if len(set(fy_s)) < 2:
                pred = np.full(len(yte_s), fy_s[0])
                row[f"{name}_note"] = "one class in the training data: it is always predicted"
            else:
                pred = make_learner(seed).fit(fx, fy_s).predict(xte)
            row[f"{name}_accuracy"] = float(accuracy_score(yte_s, pred))
            row[f"{name}_f1"] = float(f1_score(yte_s, pred, average=average, zero_division=0))
        rows_out.append(row)
    acc = np.array([r[f"{mode}_accuracy"] for r in rows_out])
    f1 = np.array([r[f"{mode}_f1"] for r in rows_out])
    b_acc = np.array([r["baseline_accuracy"] for r in rows_out])
    b_f1 = np.array([r["baseline_f1"] for r in rows_out])
    secondary = {"f1": float(f1.mean()), "baseline_accuracy": float(b_acc.mean()), "baseline_f1": float(b_f1.mean()),
                 "gain_accuracy": float(acc.mean() - b_acc.mean()), "gain_f1": float(f1.mean() - b_f1.mean()),
                 "accuracy_std": float(acc.std(ddof=1)) if len(acc) > 1 else None,
                 "n_synthetic_nodes": float(n_syn_nodes)}
    notes.update(value=f"mean test accuracy over {n_seeds} split(s) of the learner trained "
                 + ("on real + synthetic nodes" if mode == "augment" else "on synthetic nodes only"),
                 split=f"stratified train_test_split of {len(labels)} labelled holdout nodes, test_size={test_size}, "
                 f"random_state = seed; the same split for baseline and {mode}",
                 baseline="same learner, features and splits trained on the real training nodes only",
                 label_context="neighbour class shares use training labels only on the real graph")
    return MetricResult(value=float(acc.mean()), breakdown=rows_out, secondary=secondary, notes=notes)


def _learner_note(gnn: str) -> str:
    if gnn == "logreg":
        return "logistic regression on node features X (no propagation)"
    return (f"{'GCN substituted by ' if gnn == 'GCN' else ''}a linearised GCN: features [X, SX, S^2X], S = "
            "D~^-1/2 (A+I) D~^-1/2, then StandardScaler + LogisticRegression(lbfgs, max_iter=2000), seeded "
            "(torch_geometric is not installed)")
