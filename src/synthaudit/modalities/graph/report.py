"""Report figures of the graph modality (survey section 5.2), drawn beside the fidelity metrics when the audit's
data are at hand: the pooled degree and clustering-coefficient distributions of the real and the synthetic graphs,
and a small drawing of a few graphs (or molecules) of each side. The molecules that fail validity are listed, with
RDKit's reason, in the breakdown of ``graph.ext.mol_validity``; graphs that break a rule in ``graph.valid_rule``'s.

Figure kinds added here (looked up by the report through this modality's ``report_figures`` hook): ``graphs``
(small multiples of node-link drawings) and ``molecules`` (RDKit depictions).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from synthaudit.data.inputs import AuditInputs

DRAWN = 4  # graphs drawn per side
MAX_GRAPHS = 2000  # graphs read per side for the distributions (the first ones; said in the caption)
CLUSTERING_BINS = 20


def _sample(inputs: "AuditInputs", role: str) -> list[Any]:
    from synthaudit.data.graph import iter_graphs

    out = []
    for batch in iter_graphs(inputs, role):
        out.extend(batch)
        if len(out) >= MAX_GRAPHS:
            break
    return out[:MAX_GRAPHS]


def _degree_shares(gs: list[Any], top: int) -> list[float]:
    counts = np.zeros(top + 1)
    for g in gs:
        for _, d in g.degree():
            counts[min(int(d), top)] += 1
    return (counts / counts.sum()).tolist() if counts.sum() else counts.tolist()


def _clustering_shares(gs: list[Any]) -> list[float]:
    import networkx as nx

    vals = [c for g in gs for c in nx.clustering(nx.Graph(g)).values()]
    hist, _ = np.histogram(vals, bins=CLUSTERING_BINS, range=(0.0, 1.0))
    return (hist / hist.sum()).tolist() if hist.sum() else hist.tolist()


def figures(metrics: list[Any], inputs: "AuditInputs | None" = None) -> list[dict]:
    """Plot specs (plain JSON, stored in report.json) for the fidelity section; none without the data."""
    if inputs is None or "synthetic" not in inputs.tables:
        return []
    syn = [i for i in _sample(inputs, "synthetic")]
    real = [i for i in _sample(inputs, "real_reference")] if "real_reference" in inputs.tables else []
    sg, rg = [i.graph for i in syn if i.ok], [i.graph for i in real if i.ok]
    if not sg:
        return []
    out: list[dict] = []
    top = max(max((d for g in sg + rg for _, d in g.degree()), default=0), 1)
    top = min(top, 60)
    deg = {"kind": "hist", "title": "node degree", "xlabel": f"degree (last bin: {top} or more)",
           "edges": (np.arange(top + 2) - 0.5).tolist(), "synthetic": _degree_shares(sg, top),
           "real": _degree_shares(rg, top) if rg else None, "dimension": "fidelity"}
    clu = {"kind": "hist", "title": "clustering coefficient", "xlabel": "local clustering coefficient",
           "edges": np.linspace(0, 1, CLUSTERING_BINS + 1).tolist(), "synthetic": _clustering_shares(sg),
           "real": _clustering_shares(rg) if rg else None, "dimension": "fidelity"}
    for spec in (deg, clu):
        spec["labels"] = {"real": "real", "synthetic": "synthetic"}
    shown = f"the first {MAX_GRAPHS}" if len(syn) >= MAX_GRAPHS else "all"
    if any(m.id == "graph.mmd" and m.plots for m in metrics):  # graph.mmd draws the mean histograms it compares
        out.append(_drawing(syn, real, sg, rg))
        return out
    out.append({"kind": "group", "items": [deg, clu], "per_row": 2, "dimension": "fidelity",
                "caption": f"Degree and clustering distributions, pooled over {shown} parsed graphs of each side "
                           "(share of nodes): what graph.mmd compares graph by graph."})
    out.append(_drawing(syn, real, sg, rg))
    return out


def _drawing(syn: list[Any], real: list[Any], sg: list[Any], rg: list[Any]) -> dict:
    """A few graphs (or molecules) of each side."""
    if syn[0].smiles is not None:
        return {"kind": "molecules", "dimension": "fidelity",
                "synthetic": [i.canonical for i in syn if i.canonical][:DRAWN],
                "real": [i.canonical for i in real if i.canonical][:DRAWN],
                "caption": f"The first {DRAWN} valid molecules of each side (RDKit depictions)."}
    return {"kind": "graphs", "dimension": "fidelity", "synthetic": [_layout(g, k) for k, g in enumerate(sg[:DRAWN])],
            "real": [_layout(g, k) for k, g in enumerate(rg[:DRAWN])],
            "caption": f"The first {DRAWN} parsed graphs of each side (spring layout, seeded)."}


def _layout(g: Any, seed: int) -> dict[str, Any]:
    """Node positions (seeded spring layout) and edges as index pairs: a JSON-able drawing of one graph."""
    import networkx as nx

    nodes = list(g.nodes())
    pos = nx.spring_layout(g, seed=seed) if nodes else {}
    index = {n: i for i, n in enumerate(nodes)}
    return {"xy": [[round(float(pos[n][0]), 3), round(float(pos[n][1]), 3)] for n in nodes],
            "edges": [[index[u], index[v]] for u, v in g.edges()], "n": len(nodes), "m": g.number_of_edges()}


def graphs_svg(spec: dict[str, Any]) -> str:
    """Small multiples: the real graphs on the first row, the synthetic ones on the second."""
    from synthaudit.report.plots import REAL_COLOR, SYN_COLOR, _plt, _svg

    plt = _plt()
    rows = [("real", spec.get("real") or [], REAL_COLOR), ("synthetic", spec.get("synthetic") or [], SYN_COLOR)]
    rows = [r for r in rows if r[1]]
    cols = max(len(r[1]) for r in rows)
    fig, axes = plt.subplots(len(rows), cols, figsize=(1.7 * cols, 1.8 * len(rows)), squeeze=False)
    for r, (name, drawings, color) in enumerate(rows):
        for c in range(cols):
            ax = axes[r][c]
            ax.axis("off")
            if c >= len(drawings):
                continue
            d = drawings[c]
            xy = np.asarray(d["xy"], dtype=float).reshape(-1, 2)
            for u, v in d["edges"]:
                ax.plot(xy[[u, v], 0], xy[[u, v], 1], color="#999999", linewidth=0.6, zorder=1)
            if len(xy):
                ax.scatter(xy[:, 0], xy[:, 1], s=8, color=color, zorder=2)
            ax.set_title(f"{name}\n{d['n']} nodes, {d['m']} edges", fontsize=7)
    return _svg(fig, f"Drawings of {sum(len(r[1]) for r in rows)} graphs: real (top) and synthetic (bottom)")


def molecules_svg(spec: dict[str, Any]) -> str:
    """RDKit depictions: real molecules, then synthetic ones, one grid."""
    from rdkit import Chem
    from rdkit.Chem import Draw

    smiles = [(s, "real") for s in spec.get("real") or []] + [(s, "synthetic") for s in spec.get("synthetic") or []]
    mols = [(Chem.MolFromSmiles(s), f"{side}: {s[:28]}") for s, side in smiles]
    mols = [(m, legend) for m, legend in mols if m is not None]
    if not mols:
        return '<svg role="img" aria-label="no molecule to draw" width="10" height="10"></svg>'
    svg = Draw.MolsToGridImage([m for m, _ in mols], molsPerRow=DRAWN, subImgSize=(170, 140),
                               legends=[legend for _, legend in mols], useSVG=True)
    svg = svg[svg.index("<svg"):]
    return svg.replace("<svg ", '<svg role="img" aria-label="Molecules: real, then synthetic" ', 1)


DRAW = {"graphs": graphs_svg, "molecules": molecules_svg}
