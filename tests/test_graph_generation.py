"""Graph generation (survey section 5.1), the Laplace degree-histogram mechanism, graph.dp_guarantee and
graph.downstream_acc_f1 (sections 5.2-5.3). Every expected value is computed here independently: networkx
counts, brute-force pair loops, scipy's matrix exponential, scikit-learn directly."""
from __future__ import annotations

import itertools
import math
import random

import networkx as nx
import numpy as np
import pytest

from synthaudit.data.graph import prepare_graph
from synthaudit.errors import InputError
from synthaudit.generate.graph import METHODS
from synthaudit.generate.graph import dp
from synthaudit.generate.graph.llm_graphs import repair_edge_list, repair_smiles
from synthaudit.generate.graph.random_models import fit
from synthaudit.generate.runner import read_jsonl, rejects_path, run_generation
from synthaudit.metrics.graph.privacy import dp_guarantee
from synthaudit.metrics.graph.utility import downstream_acc_f1, node_features


@pytest.fixture(scope="module")
def karate():
    return nx.karate_club_graph()


# -- random models ---------------------------------------------------------------------------------
def test_erdos_renyi_matches_the_real_edge_count_in_expectation(karate):
    model = fit("er", karate)
    n, m = karate.number_of_nodes(), karate.number_of_edges()
    assert model.n == n and model.p == pytest.approx(2 * m / (n * (n - 1)), rel=1e-12)
    edges = np.array([g.number_of_edges() for g in model.sample(400, seed=1)])
    pairs = n * (n - 1) / 2
    se = math.sqrt(pairs * model.p * (1 - model.p) / len(edges))
    assert abs(edges.mean() - m) < 4 * se  # E|E| = p C(n, 2) = m
    assert all(g.number_of_nodes() == n for g in model.sample(3, seed=2))


def test_barabasi_albert_edge_count_is_m_times_n_minus_m(karate):
    model = fit("ba", karate)
    n = karate.number_of_nodes()
    m = round(2 * karate.number_of_edges() / n / 2)  # mean degree 4.59 -> m = 2
    assert model.m == m == 2
    assert {g.number_of_edges() for g in model.sample(20, seed=0)} == {m * (n - m)}


def _block_densities(g, blocks):
    """Brute force over node pairs: edges / pairs inside and between blocks."""
    k = len(blocks)
    where = {v: b for b, nodes in enumerate(blocks) for v in nodes}
    e, pairs = np.zeros((k, k)), np.zeros((k, k))
    for u, v in itertools.combinations(list(g.nodes), 2):
        a, b = sorted((where[u], where[v]))
        pairs[a, b] += 1
        e[a, b] += g.has_edge(u, v)
    return e, pairs


def test_sbm_block_densities_match_the_real_graph_in_expectation(karate):
    model = fit("sbm", karate, blocks="louvain", seed=0)
    assert sorted(v for b in model.blocks for v in b) == sorted(karate.nodes)
    e_real, pairs = _block_densities(karate, model.blocks)
    expected = np.divide(e_real, pairs, out=np.zeros_like(e_real), where=pairs > 0)
    samples = model.sample(300, seed=5)
    tot = np.zeros_like(e_real)
    for g in samples:
        blocks = [[v for v, d in g.nodes(data=True) if d["block"] == b] for b in range(len(model.blocks))]
        e, _ = _block_densities(g, blocks)
        tot += e
    got = np.divide(tot / len(samples), pairs, out=np.zeros_like(tot), where=pairs > 0)
    se = np.sqrt(expected * (1 - expected) / np.maximum(pairs, 1) / len(samples))
    iu = np.triu_indices(len(model.blocks))
    assert np.all(np.abs(got - expected)[iu] <= 5 * se[iu] + 1e-12), (got, expected)
    # blocks from an attribute: every synthetic node carries its block's label (and its real node's attributes)
    by_club = fit("sbm", karate, blocks="club")
    g = by_club.sample(1, seed=0)[0]
    for _, d in g.nodes(data=True):
        assert d["club"] == karate.nodes[d["real_node"]]["club"]
    assert sorted(by_club.sizes) == sorted(
        [sum(1 for _, c in karate.nodes(data="club") if c == x) for x in ("Mr. Hi", "Officer")])


def test_seeded_determinism_and_runner_records_equal_sample(karate, tmp_path):
    for method in ("er", "ba", "sbm"):
        model = fit(method, karate)
        a, b, c = model.sample(4, seed=3), model.sample(4, seed=3), model.sample(4, seed=4)
        assert [sorted(g.edges) for g in a] == [sorted(g.edges) for g in b]
        assert [sorted(g.edges) for g in a] != [sorted(g.edges) for g in c]
    out = tmp_path / "sbm.jsonl"
    stats = run_generation("sbm", None, n=3, seed=3, out=out, methods=METHODS, real=karate)
    assert stats.written == 3
    from synthaudit.data.graph import parse_graph

    recs = read_jsonl(out)
    want = fit("sbm", karate, seed=3).sample(3, seed=3)
    assert [sorted(parse_graph(r["graph"]).edges) for r in recs] == [sorted(g.edges) for g in want]
    # resume: nothing new; another fit is refused
    assert run_generation("sbm", None, n=3, seed=3, out=out, methods=METHODS, real=karate).written == 0
    from synthaudit.errors import UsageError

    with pytest.raises(UsageError, match="another fit"):
        run_generation("sbm", None, n=4, seed=3, out=out, methods=METHODS, real=nx.florentine_families_graph())


# -- the Laplace mechanism ------------------------------------------------------------------------
def _hist(g, bins):
    h = np.zeros(bins)
    for _, d in g.degree:
        h[d] += 1
    return h


@pytest.mark.parametrize("adjacency,bound", [("edge", None), ("node", 5)])
def test_laplace_noise_has_the_right_scale(karate, adjacency, bound):
    eps = 0.7
    sens = 4.0 if adjacency == "edge" else 2 * bound + 1
    g = dp.project_degree(karate, bound) if bound else karate
    true = _hist(g, bound + 1 if bound else karate.number_of_nodes())
    draws = np.array([dp.laplace_degree_histogram(karate, eps, adjacency=adjacency, degree_bound=bound, seed=s).noisy
                      for s in range(2000)]) - true
    var, b = draws.var(), sens / eps
    assert var == pytest.approx(2 * b ** 2, rel=0.05)  # Lap(b) variance 2 b^2; rel. SE of the estimate < 1 %
    assert abs(draws.mean()) < 5 * math.sqrt(2) * b / math.sqrt(draws.size)
    rec = dp.laplace_degree_histogram(karate, eps, adjacency=adjacency, degree_bound=bound, seed=0).record
    assert rec.as_dict()["sensitivity"] == sens and rec.epsilon == eps and rec.delta == 0


def _all_graphs(n):
    pairs = list(itertools.combinations(range(n), 2))
    for mask in range(1 << len(pairs)):
        g = nx.Graph()
        g.add_nodes_from(range(n))
        g.add_edges_from(p for i, p in enumerate(pairs) if mask >> i & 1)
        yield g


def test_edge_sensitivity_is_4_by_brute_force():
    worst = 0
    for n in range(2, 6):
        for g in _all_graphs(n):
            h = _hist(g, n)
            for u, v in itertools.combinations(range(n), 2):
                g2 = g.copy()
                g2.remove_edge(u, v) if g2.has_edge(u, v) else g2.add_edge(u, v)
                worst = max(worst, np.abs(h - _hist(g2, n)).sum())
    assert worst == dp.sensitivity("edge") == 4


def test_node_sensitivity_with_projection_is_2d_plus_1_by_brute_force():
    rng = random.Random(0)
    graphs = [g for n in range(2, 6) for g in _all_graphs(n)]
    for _ in range(600):
        g = nx.gnp_random_graph(rng.randint(6, 11), rng.random(), seed=rng.randrange(10 ** 6))
        graphs.append(nx.relabel_nodes(g, dict(zip(g.nodes, rng.sample(range(100), g.number_of_nodes())))))
    for bound in (1, 2, 3):
        worst = 0
        for g in graphs:
            h = _hist(dp.project_degree(g, bound), bound + 1)
            for v in g.nodes:
                g2 = g.copy()
                g2.remove_node(v)
                worst = max(worst, np.abs(h - _hist(dp.project_degree(g2, bound), bound + 1)).sum())
        assert worst == dp.sensitivity("node", bound) == 2 * bound + 1


# -- graph.dp_guarantee ---------------------------------------------------------------------------
def test_dp_guarantee_reads_validates_and_explains(karate, tmp_path):
    rec = dp.laplace_degree_histogram(karate, 1.5, adjacency="node", degree_bound=4, seed=0).record
    path = rec.save(tmp_path / "dp.yaml")
    for spec in (path, str(path), rec.as_dict()):
        res = dp_guarantee(prepare_graph(synthetic=[karate], train=[karate], dp=spec), None)
        assert res.value == 1.5 and res.secondary["delta"] == 0 and res.secondary["n_nodes_train"] == 34
        assert "node-DP" in res.notes["adjacency"] and res.secondary["sensitivity"] == 9
    res = dp_guarantee(prepare_graph(synthetic=[karate], train=[karate], dp={"epsilon": 2, "delta": 0.05}), None)
    assert "edge-DP" in res.notes["adjacency"] and "parameter" in res.notes["adjacency_source"]
    assert "1/|V|" in res.notes["delta_warning"] and res.secondary["delta_times_n_nodes"] == pytest.approx(1.7)
    bad = [({"delta": 1e-6}, "dp.epsilon", "missing"), ({"epsilon": -1}, "dp.epsilon", "positive"),
           ({"epsilon": 1, "delta": 1.5}, "dp.delta", "below 1"), ({"epsilon": 1, "adjacency": "vertex"},
                                                                   "dp.adjacency", "unknown adjacency"),
           (tmp_path / "none.yaml", "--dp", "not found")]
    for spec, field, words in bad:
        with pytest.raises(InputError, match=words) as err:
            dp_guarantee(prepare_graph(synthetic=[karate], train=[karate], dp=spec), None)
        assert err.value.field == field


# -- graph.downstream_acc_f1 -----------------------------------------------------------------------
def test_node_features_agree_with_networkx_and_scipy(karate):
    import scipy.linalg as la

    nodes, x = node_features(karate, {0: "a", 33: "b"}, ["a", "b"], hops=1, heat_times=(0.5, 2.0))
    n = len(nodes)
    assert np.allclose(x[:, 0], np.log1p([karate.degree(v) for v in nodes]))
    assert np.allclose(x[:, 1], [nx.clustering(karate, v) for v in nodes])
    lap = nx.normalized_laplacian_matrix(karate, nodelist=nodes, weight=None).toarray()
    for k, t in enumerate((0.5, 2.0)):
        assert np.allclose(x[:, 2 + k], n * np.diag(la.expm(-t * lap)), atol=1e-9)
    share_a = [sum(u == 0 for u in karate[v]) / max(1, sum(u in (0, 33) for u in karate[v])) for v in nodes]
    assert np.allclose(x[:, 4], share_a)
    a = nx.to_numpy_array(karate, nodelist=nodes, weight=None) + np.eye(n)
    d = a.sum(1)
    s = a / np.sqrt(np.outer(d, d))
    assert np.allclose(x[:, 6:], s @ x[:, :6])


def test_downstream_acc_f1_equals_a_direct_scikit_learn_computation(karate):
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import accuracy_score, f1_score
    from sklearn.model_selection import train_test_split
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    syn = fit("sbm", karate, blocks="club").sample(6, seed=0)
    params = {"graph.downstream_acc_f1": {"n_seeds": 2}}
    res = downstream_acc_f1(prepare_graph(synthetic=syn, holdout=[karate], node_label="club", seed=7,
                                          params=params), None)
    classes = ["Mr. Hi", "Officer"]
    xs, ys = [], []
    for g in syn:
        nodes, x = node_features(g, {v: d["club"] for v, d in g.nodes(data=True)}, classes)
        xs.append(x)
        ys += [g.nodes[v]["club"] for v in nodes]
    xs = np.vstack(xs)
    nodes = list(karate.nodes)
    y = np.array([karate.nodes[v]["club"] for v in nodes])
    accs, f1s, base = [], [], []
    for seed in (7, 8):
        tr, te = train_test_split(np.arange(len(nodes)), test_size=0.3, random_state=seed, stratify=y)
        order, x = node_features(karate, {nodes[i]: y[i] for i in tr}, classes)
        assert order == nodes
        for fx, fy, sink in ((np.vstack([x[tr], xs]), np.concatenate([y[tr], ys]), (accs, f1s)), (x[tr], y[tr], base)):
            pred = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000, random_state=seed)) \
                .fit(fx, fy).predict(x[te])
            if sink is base:
                base.append(accuracy_score(y[te], pred))
            else:
                accs.append(accuracy_score(y[te], pred))
                f1s.append(f1_score(y[te], pred, average="macro"))
    assert res.value == pytest.approx(np.mean(accs), abs=1e-12)
    assert res.secondary["f1"] == pytest.approx(np.mean(f1s), abs=1e-12)
    assert res.secondary["baseline_accuracy"] == pytest.approx(np.mean(base), abs=1e-12)
    assert len(res.breakdown) == 2 and "GCN substituted" in res.notes["learner"]
    # graphs without the label attribute: undefined, with the reason
    none = downstream_acc_f1(prepare_graph(synthetic=fit("er", karate).sample(2, 0), holdout=[karate],
                                           node_label="club"), None)
    assert none.value is None and "club" in none.notes["undefined"]


# -- LLM generation --------------------------------------------------------------------------------
def test_edge_list_parse_and_repair():
    ok = repair_edge_list("```\n0 1\n1 2\n```", 4)
    assert ok.status == "ok" and ok.edges == [(0, 1), (1, 2)] and ok.text == "n 4\n0 1\n1 2"
    fixed = repair_edge_list("Here is the graph:\n```\n0-1\n(1, 2)\n2 -> 2\n1 0\n7 1\n```\nHope it helps", 4)
    assert fixed.status == "repaired" and fixed.edges == [(0, 1), (1, 2)]
    text = " | ".join(fixed.repairs)
    for words in ("text around", "another edge form", "1 duplicate", "1 self-loop", "outside 0..3"):
        assert words in text, text
    code = repair_edge_list("edges = [(0, 1), (1, 2), (2, 3)]", 4)
    assert code.edges == [(0, 1), (1, 2), (2, 3)] and nx.is_isomorphic(code.graph(), nx.path_graph(4))
    for bad, why in (("", "empty"), ("0 1 to 4\nnode_list = [0, 1, 2, 4]", "no edge found"),
                     ("3 3\n4 4", "no edge left")):
        r = repair_edge_list(bad, 5)
        assert r.status == "invalid" and why in r.invalid and r.text is None
    assert repair_edge_list("0 0\n0 1", 2, self_loops=True).edges == [(0, 0), (0, 1)]


def test_smiles_parse_and_repair():
    from rdkit import Chem

    r = repair_smiles("The SMILES string is:\n```\nCC(=O)Nc1ccc(O)cc1\n```")
    assert r.status == "repaired" and r.smiles == Chem.MolToSmiles(Chem.MolFromSmiles("CC(=O)Nc1ccc(O)cc1"))
    assert repair_smiles("CCO").status == "ok"
    paren = repair_smiles("CC(C(=O)O")
    assert paren.smiles == Chem.MolToSmiles(Chem.MolFromSmiles("CC(C(=O)O)")) and "parentheses" in paren.repairs[0]
    ring = repair_smiles("C1CCCC2")  # ring 1 never closed, ring 2 unpaired
    assert ring.smiles == "C1CCCC1" or ring.smiles == Chem.MolToSmiles(Chem.MolFromSmiles("CCCCC"))
    assert any("ring-closure" in x for x in ring.repairs)
    valence = repair_smiles("C(C)(C)(C)(C)C")
    assert valence.status == "invalid" and valence.invalid.startswith("valence")
    assert repair_smiles("I cannot do that.").invalid == "no SMILES found"


def test_llm_generation_with_smollm2_counts_invalid_outputs(tmp_path):
    from synthaudit.models.llm import LLMClient

    client = LLMClient(cache=False, local_batch=2)
    for method, opts in (("llm_edges", {"min_nodes": 4, "max_nodes": 5}), ("llm_smiles", {})):
        out = tmp_path / f"{method}.jsonl"
        stats = run_generation(method, client, n=2, seed=0, out=out, methods=METHODS, max_tokens=40, batch=2,
                               **opts)
        recs = read_jsonl(out)
        assert stats.written == len(recs) == 2 and not read_jsonl(rejects_path(out))
        for r in recs:
            assert isinstance(r["response"], str) and r["status"] in ("ok", "repaired", "invalid")
            assert (r["status"] == "invalid") == bool(r["invalid"])
            if method == "llm_edges" and r["status"] != "invalid":
                assert nx.parse_edgelist(r["repaired"].splitlines()[1:], nodetype=int).number_of_edges() > 0
            if method == "llm_smiles":
                assert (r["repaired_smiles"] is None) == (r["status"] == "invalid")
    assert client.usage.calls == 4


def test_cli_generates_and_reports_user_errors_without_traceback(tmp_path):
    import typer
    from typer.testing import CliRunner

    from synthaudit.modalities.graph.cli import generate_graph

    app = typer.Typer()
    app.command()(generate_graph)
    runner = CliRunner()
    out = tmp_path / "g.jsonl"
    res = runner.invoke(app, ["--method", "ba", "--real", "karate", "--n", "3", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert [r["n_edges"] for r in read_jsonl(out)] == [64, 64, 64]
    nx.write_gml(nx.florentine_families_graph(), tmp_path / "f.gml")
    res = runner.invoke(app, ["--method", "er", "--real", str(tmp_path / "f.gml"), "--n", "2", "--out",
                              str(tmp_path / "f.jsonl")])
    assert res.exit_code == 0 and len(read_jsonl(tmp_path / "f.jsonl")) == 2, res.output
    (tmp_path / "bad.gml").write_text("graph [ node [ id 0 ] edge [ source 0 ", encoding="utf-8")
    for args, words in ((["--method", "nope"], "unknown method"), (["--method", "er"], "fitted to a real graph"),
                        (["--method", "sbm", "--real", str(tmp_path / "none.gml")], "not found"),
                        (["--method", "sbm", "--real", str(tmp_path / "bad.gml")], "cannot read"),
                        (["--method", "sbm", "--real", "karate", "--blocks", "colour"], "no attribute"),
                        (["--method", "llm_edges", "--min-nodes", "9", "--max-nodes", "4"], "above"),
                        (["--method", "llm_smiles", "--real", str(tmp_path / "none.csv")], "not found"),
                        (["--method", "er", "--real", "karate", "--n", "0"], "at least 1")):
        res = runner.invoke(app, [*args, "--out", str(tmp_path / "x.jsonl")])
        assert res.exit_code == 2 and words in res.output and "Traceback" not in res.output, (args, res.output)


def test_smiles_examples_read_the_moses_layout(shared_dir):
    import pandas as pd

    from synthaudit.generate.graph.llm_graphs import load_smiles_examples

    path = shared_dir / "data" / "molecules" / "moses" / "test_sample_5k.csv"
    if not path.exists():
        pytest.skip("MOSES sample not in ../shared/data")
    assert load_smiles_examples(path) == pd.read_csv(path)["SMILES"].tolist()
