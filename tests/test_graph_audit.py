"""The graph modality end to end (survey sections 5.2-5.3): the audit API and CLI on task-style records (atlas
targets, prompt examples, LLM-like raw outputs), streaming equal to in-memory, filter, and the report's figures."""
from __future__ import annotations

import json
import subprocess
import sys

import networkx as nx
import pytest

import synthaudit
from synthaudit.data.graph import to_text

TARGETS = [52, 101, 200, 404, 777, 1000]


def _records() -> list[dict]:
    """Per target: the exact graph relabelled, a graph one edge off, and an LLM answer wrapped in prose."""
    rows = []
    for t in TARGETS:
        g = nx.graph_atlas(t)
        relabelled = nx.relabel_nodes(g, {n: (n + 1) % g.number_of_nodes() for n in g.nodes()})
        off = g.copy()
        u, v = next(iter(off.edges()))
        off.remove_edge(u, v)
        examples = [to_text(nx.path_graph(3)), to_text(g)]  # the second example is the target itself
        rows.append({"graph": "\n".join(f"{a} {b}" for a, b in relabelled.edges()), "target": f"atlas:{t}",
                     "examples": examples})
        rows.append({"graph": "\n".join(f"{a} {b}" for a, b in off.edges()), "target": f"atlas:{t}",
                     "examples": examples})
        rows.append({"graph": "Here you go:\n" + "\n".join(f"{a} {b}" for a, b in g.edges()), "target": f"atlas:{t}",
                     "examples": examples})
    return rows


def _m(report, mid):
    return next(m for m in report.metrics if m.id == mid)


def test_task_style_audit_through_the_api(tmp_path):
    rows = _records()
    rep = synthaudit.audit("graph", synthetic=rows, target_field="target", examples_field="examples",
                           rules={"connected": True, "no_self_loops": True}, out=tmp_path / "out",
                           metrics=["graph.scr", "graph.gad", "graph.novelty", "graph.uniq", "graph.valid_rule"])
    n = len(rows)
    scr = _m(rep, "graph.scr")
    assert scr.value == pytest.approx(2 / 3)  # every third output has prose before the edges
    assert {r["record"] for r in scr.breakdown} == set(range(2, n, 3))
    gad = _m(rep, "graph.gad")
    ged = [0.0 if i % 3 == 0 else 1.0 if i % 3 == 1 else nx.graph_atlas(TARGETS[i // 3]).number_of_nodes()
           + nx.graph_atlas(TARGETS[i // 3]).number_of_edges() for i in range(n)]  # unparsable: GED to the empty graph
    assert gad.value == pytest.approx(sum(ged) / n)
    nov = _m(rep, "graph.novelty")
    assert nov.value == pytest.approx(0.5)  # isomorphic to an in-prompt example (the target) vs one edge off
    assert _m(rep, "graph.valid_rule").value < 1.0  # unparsable outputs count as invalid
    html = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert "graph.gad" in html and "<svg" in html


def test_streamed_audit_equals_in_memory_and_the_cli_has_no_traceback(tmp_path):
    rows = _records()
    path = tmp_path / "g.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    kw = dict(target_field="target", examples_field="examples", metrics=["graph.scr", "graph.gad", "graph.novelty"])
    a = synthaudit.audit("graph", synthetic=str(path), **kw)
    b = synthaudit.audit("graph", synthetic=str(path), stream=True, batch_size=4, **kw)
    for x, y in zip(a.metrics, b.metrics):
        assert (x.id, x.value, x.breakdown) == (y.id, y.value, y.breakdown)
    cmd = [sys.executable, "-m", "synthaudit", "audit", "graph", "-s", str(path), "--graph-field", "nope", "-o",
           str(tmp_path / "o")]
    out = subprocess.run(cmd, capture_output=True, text=True)
    assert out.returncode == 2 and "Traceback" not in out.stderr and "nope" in out.stderr
    cmd = [sys.executable, "-m", "synthaudit", "filter", "-m", "graph", "-s", str(path), "--checks", "scr", "-o",
           str(tmp_path / "f")]
    out = subprocess.run(cmd, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    kept = (tmp_path / "f" / "kept.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(kept) == 2 * len(TARGETS)


def test_fidelity_figures_draw_graphs_and_molecules(tmp_path):
    real = [nx.karate_club_graph(), nx.florentine_families_graph()]
    syn = [nx.erdos_renyi_graph(20, 0.2, seed=i) for i in range(6)]
    rep = synthaudit.audit("graph", synthetic=syn, real=real, out=tmp_path / "g", metrics=["graph.scr"])
    assert {f.get("kind") for f in rep.figures} == {"group", "graphs"}
    html = (tmp_path / "g" / "report.html").read_text(encoding="utf-8")
    assert "Drawings of" in html and "Degree and clustering distributions" in html
    # with graph.mmd, its own mean histograms stand in for the pooled ones (no figure twice)
    rep = synthaudit.audit("graph", synthetic=syn, real=real, out=tmp_path / "g2", metrics=["graph.mmd"])
    assert {f.get("kind") for f in rep.figures} == {"graphs"}
    assert {p["title"] for m in rep.metrics for p in m.plots} >= {"degree (mean histogram)",
                                                                 "clustering (mean histogram)"}
    mols = [{"smiles": s} for s in ("CCO", "c1ccccc1O", "CC(=O)N", "C1CC")]
    rep = synthaudit.audit("graph", synthetic=mols, real=[{"smiles": "CCN"}, {"smiles": "CCCl"}],
                           out=tmp_path / "m", metrics=["graph.ext.mol_validity"])
    assert "molecules" in {f.get("kind") for f in rep.figures}
    html = (tmp_path / "m" / "report.html").read_text(encoding="utf-8")
    assert "Molecules: real, then synthetic" in html
    val = _m(rep, "graph.ext.mol_validity")
    assert val.value == pytest.approx(3 / 4) and val.breakdown[0]["record"] == 3  # 'C1CC': unclosed ring
    assert "ring bond 1 opened but never closed" in json.dumps(val.breakdown[0])
