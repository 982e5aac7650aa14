"""Structural graph metrics (survey sections 5.2-5.3) against networkx and hand-worked fixtures: GED on atlas graphs,
isomorphism-aware uniqueness and novelty (WL buckets never merge WL-colliding graphs), rule validity vs networkx
predicates, strict parsing (sigma_SCR), D_L2 vs degree_histogram + numpy, rule-spec errors, safe custom predicates,
record numbers when streamed or sharded."""
from __future__ import annotations

import itertools
import json
import math
import random
import time

import networkx as nx
import numpy as np
import pytest

import synthaudit.metrics.graph.diversity as diversity
import synthaudit.metrics.graph.robustness as robustness
import synthaudit.metrics.graph.validity as validity
from synthaudit.data.graph import prepare_graph, to_text
from synthaudit.data.graph_rules import RuleSpecError, load_rules
from synthaudit.stats.graph_iso import IsoIndex, graphs_equal, unique_classes, wl_hash

ATLAS = nx.graph_atlas_g()


def _compute(impl, inputs, batch_size=None):
    """Run a registered record metric (its registered instance) over every batch."""
    return impl.compute(inputs, None, batch_size=batch_size)


def _metric(cls):
    from synthaudit.metrics.registry import all_metrics

    return all_metrics()[cls.spec.id].impl


def _relabelled(g, rng: random.Random):
    """A random relabelling of g with its nodes and edges inserted in a shuffled order."""
    nodes = list(g)
    perm = nodes[:]
    rng.shuffle(perm)
    mapping = dict(zip(nodes, perm))
    h = g.__class__()
    order = nodes[:]
    rng.shuffle(order)
    h.add_nodes_from((mapping[v], g.nodes[v]) for v in order)
    edges = list(g.edges(data=True))
    rng.shuffle(edges)
    h.add_edges_from((mapping[u], mapping[v], d) for u, v, d in edges)
    return h


def _random_graphs(n: int, seed: int, directed: bool = False, loops: bool = True) -> list:
    rng = random.Random(seed)
    out = []
    for k in range(n):
        kind = k % 4
        size = rng.randint(2, 10)
        if kind == 0:
            g = nx.random_labeled_tree(size, seed=rng.randrange(10**6)) if not directed else \
                nx.gnp_random_graph(size, 0.2, seed=rng.randrange(10**6), directed=True)
        elif kind == 1:
            g = nx.gnp_random_graph(size, rng.uniform(0.1, 0.9), seed=rng.randrange(10**6), directed=directed)
        elif kind == 2:
            g = nx.complete_bipartite_graph(rng.randint(1, 4), rng.randint(1, 4))
            g = g.to_directed() if directed else g
        else:
            g = nx.gnm_random_graph(size, rng.randint(0, size * 2), seed=rng.randrange(10**6), directed=directed)
        if loops and rng.random() < 0.1:
            v = rng.choice(list(g))
            g.add_edge(v, v)
        out.append(g)
    return out


# -- GED / GAD ------------------------------------------------------------------------------------------
def test_ged_equals_networkx_on_atlas_graphs():
    rng = random.Random(7)
    pairs = [(rng.randrange(1, 209), rng.randrange(1, 209)) for _ in range(40)]  # up to 6 nodes
    pairs += [(i, i + rng.randint(1, 20)) for i in rng.sample(range(209, 1200), 4)]  # 7 nodes, nearby
    pairs += [(5, 5), (52, 52), (1, 208)]
    for a, b in pairs:
        ours, exact, lower = robustness.graph_edit_distance(ATLAS[a], ATLAS[b], None)
        ref = nx.graph_edit_distance(ATLAS[a], ATLAS[b])
        assert ours == ref and exact and lower <= ours, (a, b, ours, ref)
    # relabelled copies are at distance 0; the empty graph is |V| + |E| away
    g = ATLAS[300]
    assert robustness.graph_edit_distance(_relabelled(g, rng), g)[0] == 0.0
    assert robustness.graph_edit_distance(None, g)[0] == g.number_of_nodes() + g.number_of_edges()


def test_gad_metric_mean_cap_and_unparsable_policy():
    rng = random.Random(3)
    rows, refs = [], []
    for _ in range(12):
        a, b = rng.randrange(1, 150), rng.randrange(1, 150)
        rows.append({"graph": to_text(ATLAS[a]), "target": f"atlas:{b}"})
        refs.append(nx.graph_edit_distance(ATLAS[a], ATLAS[b]))
    rows.append({"graph": "this is not a graph", "target": "atlas:100"})  # unparsable: GED to the empty graph
    t = ATLAS[100]
    refs.append(t.number_of_nodes() + t.number_of_edges())
    rows.append({"graph": "0 1"})  # no target: left out
    impl = _metric(robustness.GAD)
    res = _compute(impl, prepare_graph(synthetic=rows, target_field="target"))
    assert res.value == pytest.approx(np.mean(refs))
    assert res.notes["no_target"] == 1 and res.secondary["n_unparsable"] == 1
    assert res.secondary["n_upper_bound"] == 0
    cap = 3
    capped = _compute(impl, prepare_graph(synthetic=rows, target_field="target",
                                          params={"graph.gad": {"cap": cap}}))
    want = [min(d, cap) for d in refs[:-1]] + [cap]  # the unparsable record scores C
    assert capped.value == pytest.approx(np.mean(want))
    assert capped.secondary["gad_uncapped"] == pytest.approx(np.mean(refs))
    bad = [r for r in res.breakdown if r["status"] == "unparsable"]
    assert bad and bad[0]["record"] == 12 and bad[0]["ged"] == refs[-1]


def test_gad_timeout_reports_an_upper_bound():
    g = nx.gnm_random_graph(14, 30, seed=1)
    t = nx.gnm_random_graph(14, 26, seed=2)
    start = time.perf_counter()
    d, exact, lower = robustness.graph_edit_distance(g, t, 0.2)
    assert time.perf_counter() - start < 10
    assert not exact and lower <= d <= 14 + 30 + 14 + 26
    res = _compute(_metric(robustness.GAD), prepare_graph(synthetic=[{"graph": to_text(g), "target": to_text(t)}],
                                                          target_field="target",
                                                          params={"graph.gad": {"ged_timeout_s": 0.2}}))
    assert res.secondary["n_upper_bound"] == 1 and res.breakdown[0]["status"] == "upper_bound"
    assert "upper bound" in res.notes["upper_bounds"]


# -- uniqueness -----------------------------------------------------------------------------------------
def test_uniqueness_finds_every_relabelled_duplicate_among_atlas_graphs():
    rng = random.Random(11)
    base = list(range(1, 400))  # atlas graphs are pairwise non-isomorphic
    graphs, truth = [], []
    for i in base:
        graphs.append(ATLAS[i])
        truth.append(i)
    for i in rng.choices(base, k=300):
        graphs.append(_relabelled(ATLAS[i], rng))
        truth.append(i)
    order = list(range(len(graphs)))
    rng.shuffle(order)
    classes, index = unique_classes([graphs[k] for k in order])
    truth = [truth[k] for k in order]
    # same partition as the ground truth: classes <-> atlas indices one to one
    assert len(set(classes)) == len(base) == index.n_classes
    assert len(set(zip(classes, truth))) == len(base)


def test_uniqueness_on_random_graphs_equals_pairwise_networkx():
    rng = random.Random(5)
    pool = [nx.gnm_random_graph(rng.randint(4, 7), rng.randint(3, 9), seed=s) for s in range(60)]
    graphs = pool + [_relabelled(rng.choice(pool), rng) for _ in range(60)]
    rng.shuffle(graphs)
    reps: list = []  # the reference: pairwise nx.is_isomorphic, no hashing
    for g in graphs:
        if not any(nx.is_isomorphic(g, r) for r in reps):
            reps.append(g)
    classes, _ = unique_classes(graphs)
    assert len(set(classes)) == len(reps)
    for i, j in itertools.combinations(range(0, len(graphs), 3), 2):
        assert (classes[i] == classes[j]) == nx.is_isomorphic(graphs[i], graphs[j])


def _shrikhande():
    g = nx.Graph()
    gens = [(0, 1), (0, 3), (1, 0), (3, 0), (1, 1), (3, 3)]
    for a, b in itertools.product(range(4), repeat=2):
        for da, db in gens:
            g.add_edge((a, b), ((a + da) % 4, (b + db) % 4))
    return g


def test_wl_colliding_non_isomorphic_graphs_are_never_merged():
    c6 = nx.cycle_graph(6)
    two_triangles = nx.disjoint_union(nx.cycle_graph(3), nx.cycle_graph(3))
    rook = nx.relabel_nodes(nx.cartesian_product(nx.complete_graph(4), nx.complete_graph(4)), str)
    shrikhande = _shrikhande()
    for a, b in ((c6, two_triangles), (rook, shrikhande)):
        assert not nx.is_isomorphic(a, b)
        # a genuine 1-WL collision: networkx's WL hash and ours both put them in one bucket
        assert nx.weisfeiler_lehman_graph_hash(a) == nx.weisfeiler_lehman_graph_hash(b)
        assert wl_hash(a) == wl_hash(b)
        rng = random.Random(0)
        graphs = [a, b, _relabelled(a, rng), _relabelled(b, rng), _relabelled(b, rng)]
        # plain 1-WL buckets: one bucket, two classes told apart by the exact check
        classes, index = unique_classes(graphs, individualise=False)
        assert classes == [0, 1, 0, 1, 1]
        assert index.n_collision_buckets == 1 and index.n_buckets == 1 and index.n_exact_checks >= 4
        # the default key (1-WL plus the individualisation certificate): the same classes
        assert unique_classes(graphs)[0] == [0, 1, 0, 1, 1]


def test_exact_check_equals_networkx_on_wl_colliding_and_relabelled_graphs():
    """The individualisation-refinement check against nx.is_isomorphic on graphs 1-WL cannot separate (random
    regular graphs of one degree share a bucket), their relabellings, coloured and directed graphs."""
    rng = random.Random(13)
    cases = []
    for k in range(30):
        a = nx.random_regular_graph(3, 10, seed=k)
        b = nx.random_regular_graph(3, 10, seed=100 + k)
        cases += [(a, b), (a, _relabelled(a, rng))]
    for k in range(20):
        a = nx.gnp_random_graph(7, 0.4, seed=k, directed=True)
        cases += [(a, _relabelled(a, rng)), (a, nx.gnp_random_graph(7, 0.4, seed=50 + k, directed=True))]
    results = {True: 0, False: 0}
    for a, b in cases:
        want = nx.is_isomorphic(a, b)
        for individualise in (False, True):  # plain 1-WL buckets make the exact check see every pair
            index = IsoIndex(individualise=individualise)
            assert index.add(a)[0] == 0
            assert (index.find(b) == 0) == want, (list(a.edges()), list(b.edges()))
        results[want] += 1
    assert results[True] >= 40 and results[False] >= 20
    nm = nx.algorithms.isomorphism.categorical_node_match("colour", None)
    for k in range(30):  # coloured regular graphs: labelled isomorphism
        a = _coloured(nx.random_regular_graph(4, 8, seed=k), [rng.choice("rg") for _ in range(8)])
        b = _relabelled(a, rng) if k % 2 else _coloured(a, [rng.choice("rg") for _ in range(8)])
        index = IsoIndex("labelled_isomorphism", individualise=False)
        index.add(a)
        assert (index.find(b) == 0) == nx.is_isomorphic(a, b, node_match=nm), k


def test_uniq_metric_counts_valid_graphs_only():
    rng = random.Random(2)
    trees = [nx.random_labeled_tree(6, seed=s) for s in range(8)]
    reps = []
    for t in trees:
        if not any(nx.is_isomorphic(t, r) for r in reps):
            reps.append(t)
    syn = trees + [_relabelled(trees[0], rng), _relabelled(trees[1], rng), nx.cycle_graph(6), nx.cycle_graph(6)]
    rows = [{"graph": to_text(g)} for g in syn] + [{"graph": "not a graph at all"}]
    inputs = prepare_graph(synthetic=rows, rules={"tree": True})
    res = diversity.uniq(inputs, None)
    n_valid = len(trees) + 2  # the cycles and the unparsable record are not valid
    assert res.secondary["n_valid"] == n_valid and res.notes["n_invalid"] == 3
    assert res.value == pytest.approx(len(reps) / n_valid)
    assert np.isnan(res.record_scores[-1]) and np.isnan(res.record_scores[-2])
    dup_records = sorted(r for row in res.breakdown for r in row["duplicate_records"])
    assert {8, 9} <= set(dup_records)
    nothing = diversity.uniq(prepare_graph(synthetic=[{"graph": to_text(nx.cycle_graph(4))}],
                                           rules={"tree": True}), None)
    assert nothing.value is None and "no generated graph is valid" in nothing.notes["undefined"]


# -- novelty ---------------------------------------------------------------------------------------------
def _coloured(g, colours):
    g = g.copy()
    nx.set_node_attributes(g, dict(zip(sorted(g), colours)), "colour")
    return g


def test_novelty_under_each_equality_option():
    rng = random.Random(4)
    path = _coloured(nx.path_graph(4), ["r", "g", "g", "r"])
    star = _coloured(nx.star_graph(3), ["r", "r", "r", "r"])
    same_colours = nx.relabel_nodes(path, {0: 3, 1: 2, 2: 1, 3: 0})  # reversed path, colours symmetric
    other_colours = _coloured(nx.path_graph(4), ["g", "r", "r", "g"])  # isomorphic, colours differ
    cases = [  # (generated, examples, expected novelty per equality option)
        (path.copy(), [star, path], {"isomorphism": 0, "labelled_isomorphism": 0, "exact_edge_set": 0}),
        (same_colours, [star, path], {"isomorphism": 0, "labelled_isomorphism": 0, "exact_edge_set": 0}),
        (nx.relabel_nodes(path, {0: 0, 1: 2, 2: 1, 3: 3}), [path],  # colours move with their nodes
         {"isomorphism": 0, "labelled_isomorphism": 0, "exact_edge_set": 1}),
        (other_colours, [path], {"isomorphism": 0, "labelled_isomorphism": 1, "exact_edge_set": 0}),
        (_coloured(nx.cycle_graph(4), "rgrg"), [path, star], {"isomorphism": 1, "labelled_isomorphism": 1,
                                                             "exact_edge_set": 1}),
    ]
    # the reversed path has the same edge set as the path; the swapped one 0-2-1-3 does not
    rows = [{"graph": to_text(g), "examples": [json.loads(to_text(e)) for e in ex]} for g, ex, _ in cases]
    rows.append({"graph": "not a graph", "examples": [json.loads(to_text(path))]})
    rows.append({"graph": to_text(path)})  # no examples
    for eq in ("isomorphism", "labelled_isomorphism", "exact_edge_set"):
        res = _compute(_metric(diversity.Novelty), prepare_graph(synthetic=rows, examples_field="examples",
                                                                 params={"graph.novelty": {"equality": eq}}))
        want = [c[2][eq] for c in cases]
        assert list(res.record_scores[:len(cases)]) == want, eq
        assert res.value == pytest.approx(np.mean(want))
        assert res.notes["unparsable"] == 1 and res.notes["no_examples"] == 1
    # random graphs: agree with direct networkx / edge-set comparisons
    gens, exs = [], []
    for k in range(40):
        ex = [_coloured(nx.gnm_random_graph(5, rng.randint(3, 7), seed=rng.randrange(999)),
                        [rng.choice("rg") for _ in range(5)]) for _ in range(3)]
        g = _relabelled(ex[k % 3], rng) if k % 2 else nx.gnm_random_graph(5, 5, seed=k)
        if k % 2 == 0:
            g = _coloured(g, [rng.choice("rg") for _ in range(5)])
        gens.append(g)
        exs.append(ex)
    nm = nx.algorithms.isomorphism.categorical_node_match("colour", None)
    ref = {"isomorphism": [float(not any(nx.is_isomorphic(g, e) for e in ex)) for g, ex in zip(gens, exs)],
           "labelled_isomorphism": [float(not any(nx.is_isomorphic(g, e, node_match=nm) for e in ex))
                                    for g, ex in zip(gens, exs)],
           "exact_edge_set": [float(not any(set(g) == set(e) and {frozenset(x) for x in g.edges()}
                                            == {frozenset(x) for x in e.edges()} for e in ex))
                              for g, ex in zip(gens, exs)]}
    rows = [{"graph": to_text(g), "examples": [json.loads(to_text(e)) for e in ex]} for g, ex in zip(gens, exs)]
    for eq, want in ref.items():
        res = _compute(_metric(diversity.Novelty), prepare_graph(synthetic=rows, examples_field="examples",
                                                                 params={"graph.novelty": {"equality": eq}}))
        assert list(res.record_scores) == want, eq
    assert 0 < np.mean(ref["isomorphism"]) < 1  # both outcomes occur
    with pytest.raises(ValueError, match="equality must be one of"):
        _compute(_metric(diversity.Novelty), prepare_graph(synthetic=rows, examples_field="examples",
                                                           params={"graph.novelty": {"equality": "same"}}))


def test_labelled_equality_matches_networkx_on_molecule_attributes():
    from synthaudit.data.graph import molecule_graph

    ethanol, _, _ = molecule_graph("CCO")
    methylamine_c, _, _ = molecule_graph("CCN")
    assert graphs_equal(ethanol, methylamine_c, "isomorphism")
    assert not graphs_equal(ethanol, methylamine_c, "labelled_isomorphism")
    assert graphs_equal(ethanol, molecule_graph("OCC")[0], "labelled_isomorphism")
    index = IsoIndex("labelled_isomorphism", node_attrs=["element"])
    assert index.add(ethanol)[1] and index.add(methylamine_c)[1] and not index.add(molecule_graph("OCC")[0])[1]


# -- valid_rule ------------------------------------------------------------------------------------------
RULE_CASES = [
    ({"connected": True}, lambda g: nx.is_connected(g)),
    ({"acyclic": True}, lambda g: nx.is_forest(g)),
    ({"tree": True}, lambda g: nx.is_tree(g)),
    ({"bipartite": True}, lambda g: nx.is_bipartite(g)),
    ({"bipartite": False}, lambda g: not nx.is_bipartite(g)),
    ({"planar": True}, lambda g: nx.check_planarity(g)[0]),
    ({"no_self_loops": True}, lambda g: nx.number_of_selfloops(g) == 0),
    ({"min_nodes": 5, "max_edges": 10}, lambda g: len(g) >= 5 and g.number_of_edges() <= 10),
    ({"min_degree": 1, "max_degree": 3}, lambda g: 1 <= min(d for _, d in g.degree()) and
     max(d for _, d in g.degree()) <= 3),
    ({"connected": True, "bipartite": True, "planar": True},
     lambda g: nx.is_connected(g) and nx.is_bipartite(g) and nx.check_planarity(g)[0]),
    ({"custom": {"tree_by_count": "n_edges == n_nodes - 1 and is_connected"}},
     lambda g: g.number_of_edges() == len(g) - 1 and nx.is_connected(g)),
    ({"custom": ["n_triangles >= 1 or girth > 4", "abs(max_degree - min_degree) <= 2"]},
     lambda g: (sum(nx.triangles(g).values()) // 3 >= 1 or nx.girth(g) > 4)
     and max(d for _, d in g.degree()) - min(d for _, d in g.degree()) <= 2),
]


def test_valid_rule_equals_networkx_predicates_on_random_graphs():
    graphs = _random_graphs(160, seed=1)
    rows = [{"graph": to_text(g)} for g in graphs] + [{"graph": "0 1\nthis is not an edge"}]
    impl = _metric(validity.ValidRule)
    for spec, predicate in RULE_CASES:
        res = _compute(impl, prepare_graph(synthetic=rows, rules=spec))
        want = [float(bool(predicate(g))) for g in graphs] + [0.0]  # the unparsable record is invalid
        assert list(res.record_scores) == want, spec
        assert res.value == pytest.approx(np.mean(want))  # denominator: every generation
        assert 0 < sum(want[:-1]) < len(graphs), f"{spec}: both outcomes should occur"
        assert res.breakdown[-1]["failed_rules"] == ["parse"] or len(res.breakdown) == 50
    directed = _random_graphs(80, seed=2, directed=True, loops=False)
    res = _compute(impl, prepare_graph(synthetic=[{"graph": to_text(g)} for g in directed], directed=True,
                                       rules={"acyclic": True, "connected": True}))
    want = [float(nx.is_directed_acyclic_graph(g) and nx.is_weakly_connected(g)) for g in directed]
    assert list(res.record_scores) == want and 0 < sum(want) < len(want)


def test_valid_rule_breakdown_names_the_failed_rules_and_valence():
    rows = [{"smiles": "CCO"}, {"smiles": "C(C)(C)(C)(C)C"}, {"smiles": "c1ccccc1"}]
    res = _compute(_metric(validity.ValidRule), prepare_graph(synthetic=rows, rules={"valence": True,
                                                                                     "acyclic": True}))
    # pentavalent carbon does not parse (RDKit sanitises on reading); benzene has a ring
    assert list(res.record_scores) == [1.0, 0.0, 0.0]
    rows_by = {r["record"]: r for r in res.breakdown}
    assert rows_by[1]["failed_rules"] == ["parse"] and rows_by[2]["failed_rules"] == ["acyclic"]
    # valence from a graph's element/order attributes: a carbon with 5 bonds fails RDKit sanitisation
    from synthaudit.data.graph_rules import valence_problem

    g = nx.star_graph(5)
    nx.set_node_attributes(g, "C", "element")
    assert "valence" in valence_problem(g).lower()
    g.remove_node(5)
    assert valence_problem(g) is None
    assert "no 'element'" in valence_problem(nx.path_graph(3))


def test_bad_rule_specs_give_one_clear_error(tmp_path):
    cases = [({"conected": True}, "unknown rule 'conected' (did you mean 'connected'?)"),
             ({"planar": "yes"}, "rule 'planar': expected true or false, got 'yes'"),
             ({"min_nodes": -1}, "rule 'min_nodes': expected a non-negative integer, got -1"),
             ({"max_edges": 2.5}, "rule 'max_edges': expected a non-negative integer"),
             ({"min_nodes": 5, "max_nodes": 3}, "'min_nodes' (5) and 'max_nodes' (3) contradict"),
             ({"custom": {"c": "n_nodse > 3"}}, "rule 'custom.c': unknown name 'n_nodse' (did you mean 'n_nodes'?)"),
             ({"custom": "n_nodes >"}, "is not an expression"),
             ({"custom": 3}, "rule 'custom': expected an expression"),
             ([1, 2], "expected a mapping of rules"),
             ({}, "expected a mapping of rules")]
    for spec, message in cases:
        with pytest.raises(RuleSpecError) as err:
            load_rules(spec)
        assert message in str(err.value) and "rules" in str(err.value), (spec, str(err.value))
    bad = tmp_path / "rules.yaml"
    bad.write_text("connected: [true\n")
    with pytest.raises(RuleSpecError, match="cannot read the rule spec") as err:
        load_rules(bad)
    assert str(bad) in str(err.value)
    with pytest.raises(RuleSpecError, match="does not exist"):
        load_rules(tmp_path / "missing.yaml")
    good = tmp_path / "good.yaml"
    good.write_text("rules:\n  tree: true\n  custom:\n    leaves: n_leaves >= 2\n")
    rs = load_rules(good)
    assert rs.names == ["tree", "custom.leaves"] and not rs.check(nx.path_graph(4))
    # the metric fails before any work, naming the rule
    with pytest.raises(RuleSpecError, match="unknown rule 'acylic'"):
        _compute(_metric(validity.ValidRule), prepare_graph(synthetic=[{"graph": "0 1"}], rules={"acylic": True}))


def test_custom_predicates_cannot_execute_code(tmp_path):
    marker = tmp_path / "pwned"
    attacks = [f"__import__('os').system('touch {marker}')",
               f"open('{marker}', 'w')",
               "().__class__.__bases__[0].__subclasses__()",
               "n_nodes.__class__",
               "[x for x in (1, 2)]",
               "(lambda: 1)()",
               "exec('1')",
               "n_nodes if 1 else 0",
               "'a' * 10",
               "9 ** 9 ** 9",
               "n_nodes ** n_edges",
               "min(*[1, 2])",
               "max(key=1)"]
    for text in attacks:
        with pytest.raises(RuleSpecError, match="rule 'custom.x'"):
            load_rules({"custom": {"x": text}})
    assert not marker.exists()
    # a huge power is refused while evaluating (the rule fails with the reason), not computed
    rs = load_rules({"custom": {"big": "((10 ** 64) ** 64) ** 64 > 0"}})
    start = time.perf_counter()
    (failure,) = rs.check(nx.path_graph(3))
    assert time.perf_counter() - start < 1 and "too large" in failure.got
    # the allowed language works: arithmetic, comparisons chains, constants, functions
    rs = load_rules({"custom": ["0 < n_nodes <= 10 and not is_bipartite == false", "max(n_nodes, 2) % 2 == 0",
                                "diameter < inf or n_components > 1"]})
    assert rs.check(nx.path_graph(4)) == []
    assert [f.rule for f in rs.check(nx.path_graph(3))] == ["custom.2"]


# -- sigma_SCR ---------------------------------------------------------------------------------------------
SCR_CASES = [  # (raw output, parses strictly) -- worked by hand from the catalog note
    ("0 1\n1 2\n2 0", True),
    ("```\n0 1\n1 2\n```", True),
    ("```text\n0 1\n1 2\n```", True),
    ("  \n(0, 1)\n1,2;\n\n", True),
    ("[0, 1]\n[1, 2]", True),  # bracketed edge lines (not one JSON document)
    ("(0, 1]", False),  # mismatched brackets
    ("n 3\n0 1\n1 2", True),
    ("nodes: 4\n0 1\n2 3", True),  # ids 0..3
    ("n 3\n0 1\n1 3", False),  # node 3 outside the declared range 0..2
    ("Here is the graph:\n0 1\n1 2", False),  # prose before
    ("0 1\n1 2\nThat's all.", False),  # prose after
    ("Sure!\n```\n0 1\n```", False),  # prose outside the fence
    ("```\n0 1\n```\n```\n1 2\n```", False),  # two fences
    ("```\n0 1\n1 2", False),  # unclosed fence
    ("0 1\n1 -2", False),  # negative id
    ("0 1 # an edge", False),  # a comment is prose
    ("a b", False),  # word ids (integer_ids)
    ("n 3\nn 4\n0 1", False),  # two declarations
    ("", False),
    ("```\n```", False),
    ('{"nodes": [{"id": 0}, {"id": 1}], "links": [{"source": 0, "target": 1}]}', True),  # node-link JSON
    ('[[0, 1], [1, 2]]', True),
    ('{"nodes": [{"id": 0}], "links": [}', False),  # broken JSON
    ('Answer: [[0, 1]]', False),
]


def test_scr_hand_worked_cases():
    for text, ok in SCR_CASES:
        reason = robustness.strict_parse(text)
        assert (reason is None) == ok, (text, reason)
    assert "outside the declared range 0..2" in robustness.strict_parse("n 3\n0 1\n1 3")
    assert "line 1 is not an edge" in robustness.strict_parse("Here is the graph:\n0 1")
    assert robustness.strict_parse("a b", integer_ids=False) is None
    assert "required (n_nodes) range 0..1" in robustness.strict_parse("0 1\n1 2", n_nodes=2)
    assert "not an edge list" in robustness.strict_parse("[[0, 1]]", fmt="edge_list")
    rows = [{"graph": t} for t, _ in SCR_CASES if t]  # an empty field is a missing graph: fails too
    rows.append({"graph": None})
    res = _compute(_metric(robustness.SCR), prepare_graph(synthetic=rows))
    want = [float(ok) for t, ok in SCR_CASES if t] + [0.0]
    assert list(res.record_scores) == want and res.value == pytest.approx(np.mean(want))
    assert {r["record"] for r in res.breakdown} == {i for i, w in enumerate(want) if not w}
    mols = _compute(_metric(robustness.SCR), prepare_graph(synthetic=[{"smiles": "CCO"}, {"smiles": "C1CC"}]))
    assert list(mols.record_scores) == [1.0, 0.0]


# -- D_L2 ------------------------------------------------------------------------------------------------
def _ref_hist(g):
    h = np.array(nx.degree_histogram(g), dtype=float)
    return h / g.number_of_nodes()


def _ref_l2(a, b):
    n = max(len(a), len(b))
    return float(np.linalg.norm(np.concatenate([a, np.zeros(n - len(a))]) - np.concatenate([b, np.zeros(n - len(b))])))


def test_degree_l2_equals_degree_histogram_and_numpy_norm():
    syn = _random_graphs(30, seed=9)
    targets = _random_graphs(30, seed=10)
    real = _random_graphs(25, seed=11)
    rows = [{"graph": to_text(g), "target": to_text(t)} for g, t in zip(syn, targets)]
    rows.append({"graph": "not a graph", "target": to_text(targets[0])})
    impl = _metric(robustness.DegreeL2)
    res = _compute(impl, prepare_graph(synthetic=rows, target_field="target", real=real))
    want = [_ref_l2(_ref_hist(g), _ref_hist(t)) for g, t in zip(syn, targets)]
    assert np.allclose(res.record_scores[:-1], want) and np.isnan(res.record_scores[-1])
    assert res.value == pytest.approx(np.mean(want)) and res.notes["unparsable"] == 1
    assert all(0 <= v <= math.sqrt(2) for v in want)
    # pooled reference set: one histogram of every real node; mean: mean of per-graph normalised histograms
    size = max(len(nx.degree_histogram(g)) for g in real)
    counts = sum(np.pad(np.array(nx.degree_histogram(g), float), (0, size - len(nx.degree_histogram(g))))
                 for g in real)
    pooled = counts / sum(g.number_of_nodes() for g in real)
    mean = np.mean([np.pad(_ref_hist(g), (0, size - len(_ref_hist(g)))) for g in real], axis=0)
    for pooling, ref in (("pooled", pooled), ("mean", mean)):
        params = {"graph.degree_l2": {"reference": "pooled_reference_set", "pooling": pooling}}
        res = _compute(impl, prepare_graph(synthetic=rows, real=real, params=params))
        want = [_ref_l2(_ref_hist(g), ref) for g in syn]
        assert np.allclose(res.record_scores[:-1], want), pooling
        assert res.notes["reference_histogram"] == pytest.approx(list(ref), abs=1e-6)
    # hand-worked: a star K1,3 (degrees 3,1,1,1) vs a path P4 (1,2,2,1): h = [0,.75,0,.25] vs [0,.5,.5,0]
    assert robustness.l2_between(robustness.degree_hist(nx.star_graph(3)),
                                 robustness.degree_hist(nx.path_graph(4))) == pytest.approx(math.sqrt(0.375))
    assert robustness._degree_applies(prepare_graph(synthetic=rows, real=real)) is not None


# -- streaming and shards ----------------------------------------------------------------------------------
def test_failing_rows_keep_file_positions_when_streamed_and_sharded(tmp_path):
    rng = random.Random(21)
    rows = [{"graph": to_text(ATLAS[rng.randrange(1, 209)]) if i % 7 else "prose, not a graph",
             "target": f"atlas:{rng.randrange(1, 209)}"} for i in range(40)]
    path = tmp_path / "g.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    rules = {"connected": True}
    for cls in (validity.ValidRule, robustness.SCR, robustness.GAD, robustness.DegreeL2):
        impl = _metric(cls)
        whole = _compute(impl, prepare_graph(synthetic=rows, rules=rules, target_field="target"))
        streamed = _compute(impl, prepare_graph(synthetic=str(path), rules=rules, target_field="target",
                                                stream=True), batch_size=6)
        assert np.allclose(whole.record_scores, streamed.record_scores, equal_nan=True), cls
        assert whole.breakdown == streamed.breakdown, cls
        # two shards (Ray): states over the two halves, merged in order
        inputs = prepare_graph(synthetic=rows, rules=rules, target_field="target")
        frame = next(inputs.batches("synthetic"))
        a = impl.update(impl.init(inputs, None), "synthetic", frame.iloc[:17])
        b = impl.update(impl.init(inputs, None), "synthetic", frame.iloc[17:])
        merged = impl.finalize(impl.merge(a, b), inputs, None)
        assert merged.breakdown == whole.breakdown, cls
    bad = [r["record"] for r in _compute(_metric(robustness.SCR), prepare_graph(synthetic=rows)).breakdown]
    assert bad == [i for i in range(40) if i % 7 == 0]
