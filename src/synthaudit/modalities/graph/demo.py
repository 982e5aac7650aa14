"""The graph section of ``synthaudit demo`` (survey sections 5.2-5.3), offline, on data that ships with installed
packages:

* graphs: a stochastic block model fitted to Zachary's karate club (networkx) samples 40 graphs that keep the
  club's community structure and its members' club labels; the flawed copy is what a collapsed generator gives:
  trees (Barabasi-Albert with one edge per new node: no triangle at all), a few outputs written as prose around an
  edge list (as an LLM does) and repeated graphs. Descriptor MMD, SCR and uniqueness catch them; node
  classification on the real club shows what the synthetic graphs are worth for training.
* molecules: 400 molecules made by one seeded mutation each of NCI molecules that ship with RDKit, compared with
  1,000 other NCI molecules; the flawed copy breaks a quarter of the SMILES and repeats others. FCD and the MOSES
  validity and uniqueness checks catch them.
"""
from __future__ import annotations

import json

N_GRAPHS = 40
N_MOLECULES = 400
N_REAL_MOLECULES = 1000
RULES = {"connected": True, "no_self_loops": True, "min_nodes": 34, "max_nodes": 34}
PROSE = ("Sure! Here is a graph with two communities:\n{edges}\nI hope this helps.",
         "The edges are {inline}, and so on.")
GRAPH_METRICS = ["graph.mmd", "graph.scr", "graph.uniq", "graph.valid_rule", "graph.degree_l2"]
MOL_METRICS = ["graph.fcd", "graph.ext.mol_validity", "graph.ext.mol_uniqueness"]


def section(ctx) -> list:
    from synthaudit.audit.api import audit
    from synthaudit.demo import DemoEntry, catch_text

    karate, good, flawed = _graphs(ctx)
    common = dict(real=[karate], holdout=[karate], node_label="club", rules=RULES, seed=ctx.seed,
                  progress=ctx.progress, params={"graph.degree_l2": {"reference": "pooled_reference_set"}})
    with ctx.step(f"graph: audit of {N_GRAPHS} SBM graphs fitted to the karate club"):
        g_good = audit("graph", synthetic=good, out=ctx.out / "graph", **common)
    with ctx.step("graph: audit of the flawed copy (trees, prose around edges, repeats)"):
        g_bad = audit("graph", synthetic=flawed, out=ctx.out / "graph_flawed", metrics=GRAPH_METRICS, **common)
    real_mols, mols, bad_mols = _molecules(ctx)
    with ctx.step(f"graph: audit of {N_MOLECULES} mutated NCI molecules (FCD with ChemNet, MOSES checks)"):
        m_good = audit("graph", synthetic=mols, real=real_mols, out=ctx.out / "molecules", seed=ctx.seed,
                       progress=ctx.progress)
    with ctx.step("graph: audit of the flawed molecules (broken SMILES, repeats)"):
        m_bad = audit("graph", synthetic=bad_mols, real=real_mols, out=ctx.out / "molecules_flawed", seed=ctx.seed,
                      progress=ctx.progress, metrics=MOL_METRICS)
    g_catch = "; ".join(c for c in (catch_text(g_good, g_bad, [m], "flawed copy")
                                    for m in ("graph.mmd", "graph.scr")) if c) or None
    m_catch = "; ".join(c for c in (catch_text(m_good, m_bad, [m], "flawed copy")
                                    for m in ("graph.ext.mol_validity", "graph.fcd")) if c) or None
    return [
        DemoEntry("graph", "SBM graphs fitted to the karate club", "graph/report.html", g_good,
                  f"{N_GRAPHS} graphs from a stochastic block model fitted to Zachary's karate club (networkx); "
                  "blocks by seeded Louvain, members keep their club label", g_catch),
        DemoEntry("graph", "Flawed copy: collapsed to trees, prose around edges, repeats (on purpose)",
                  "graph_flawed/report.html", g_bad, "34-node Barabasi-Albert trees (m = 1: no triangle); every "
                  "eighth output is an edge list wrapped in prose, every tenth graph repeats an earlier one", g_catch),
        DemoEntry("graph", "Molecules: one mutation of NCI molecules", "molecules/report.html", m_good,
                  f"{N_MOLECULES} molecules, each one seeded mutation of an NCI molecule that ships with RDKit, "
                  f"against {N_REAL_MOLECULES} other NCI molecules", m_catch),
        DemoEntry("graph", "Flawed molecules: broken SMILES and repeats (on purpose)", "molecules_flawed/report.html",
                  m_bad, "the same molecules; a quarter of the SMILES lose a ring-closure digit, a fifth are "
                  "repeats", m_catch)]


def _graphs(ctx):
    import networkx as nx

    from synthaudit.data.graph import to_text
    from synthaudit.generate.graph.random_models import fit

    karate = nx.karate_club_graph()
    with ctx.step(f"graph: fit an SBM to the karate club, sample {N_GRAPHS} graphs; {N_GRAPHS} trees for the flawed "
                  "copy"):
        sbm = fit("sbm", karate, seed=ctx.seed).sample(N_GRAPHS, seed=ctx.seed)
        trees = [nx.barabasi_albert_graph(karate.number_of_nodes(), 1, seed=ctx.seed + i) for i in range(N_GRAPHS)]
    good = [{"id": f"sbm-{i:03d}", "graph": to_text(g)} for i, g in enumerate(sbm)]
    flawed = []
    for i, g in enumerate(trees):
        if i % 10 == 9:
            g = trees[i - 9]  # a repeat
        text = to_text(g)
        if i % 8 == 3:
            edges = [f"{u} {v}" for u, v in g.edges()]
            form = PROSE[(i // 8) % len(PROSE)]
            text = form.format(edges="\n".join(edges), inline=", ".join(f"({u},{v})" for u, v in g.edges()))
        flawed.append({"id": f"tree-{i:03d}", "graph": text})
    data = ctx.out / "data"
    for name, rows in (("graphs_sbm.jsonl", good), ("graphs_flawed.jsonl", flawed)):
        (data / name).write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return karate, data / "graphs_sbm.jsonl", data / "graphs_flawed.jsonl"


def _molecules(ctx):
    from synthaudit.generate.graph.molecules import mutated_set, nci_smiles

    with ctx.step(f"graph: {N_MOLECULES} molecules by seeded mutation of NCI molecules (RDKit)"):
        nci = nci_smiles()
        real = nci[:N_REAL_MOLECULES]
        mols = mutated_set(nci[N_REAL_MOLECULES:], N_MOLECULES, seed=ctx.seed)
    bad = []
    for i, s in enumerate(mols):
        if i % 4 == 1 and any(c.isdigit() for c in s):
            k = max(j for j, c in enumerate(s) if c.isdigit())
            s = s[:k] + s[k + 1:]  # an unclosed ring
        elif i % 5 == 2:
            s = mols[i - 1]
        bad.append(s)
    data = ctx.out / "data"
    paths = []
    for name, smiles in (("molecules_real.csv", real), ("molecules.csv", mols), ("molecules_flawed.csv", bad)):
        (data / name).write_text("smiles\n" + "".join(s + "\n" for s in smiles), encoding="utf-8")
        paths.append(data / name)
    return tuple(paths)
