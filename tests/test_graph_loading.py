"""Graph and molecule loading (survey section 5.2.1): every input form gives the graph networkx builds from the
same data, attributes kept; unreadable records are counted, not fatal; bad files get one clear error."""
from __future__ import annotations

import json

import networkx as nx
import pandas as pd
import pytest

from synthaudit.data.graph import (GraphParseError, all_graphs, molecule_graph, parse_edge_text, parse_graph,
                                   prepare_graph)
from synthaudit.errors import InputError


def _same(a, b) -> bool:
    return set(a.nodes()) == set(b.nodes()) and {frozenset(e) for e in a.edges()} == {frozenset(e) for e in b.edges()}


def test_every_in_record_form_parses_to_the_same_graph():
    ref = nx.karate_club_graph()
    forms = {
        "edge text": "\n".join(f"{u} {v}" for u, v in ref.edges()),
        "fenced edge text": "```\n" + "\n".join(f"({u}, {v})" for u, v in ref.edges()) + "\n```",
        "pairs": [[u, v] for u, v in ref.edges()],
        "node-link": nx.node_link_data(ref, edges="links"),
        "node-link text": json.dumps(nx.node_link_data(ref, edges="links")),
        "adjacency": {str(u): list(ref.neighbors(u)) for u in ref.nodes()},
        "matrix": nx.to_numpy_array(ref, weight=None, dtype=int).tolist(),
        "graphml": "\n".join(nx.generate_graphml(ref)),
    }
    for name, value in forms.items():
        assert _same(parse_graph(value), ref), name
    assert _same(parse_graph("\n".join(nx.generate_gml(nx.path_graph(4)))), nx.path_graph(4))
    assert _same(parse_graph("atlas:10"), nx.graph_atlas(10))
    assert parse_graph("n 5\n0 1").number_of_nodes() == 5  # declared isolated nodes are kept


def test_parse_errors_say_why():
    with pytest.raises(GraphParseError, match="line 2"):
        parse_edge_text("0 1\nThe graph is a cycle.\n1 2")
    with pytest.raises(GraphParseError, match="empty"):
        parse_graph("   ")
    with pytest.raises(GraphParseError, match="atlas"):
        parse_graph("atlas:99999")
    with pytest.raises(GraphParseError, match="pair"):
        parse_graph([[0, 1], [2]])


def test_tables_edge_tables_folders_and_networkx_objects(tmp_path):
    ref = [nx.path_graph(4), nx.cycle_graph(5), nx.star_graph(3)]
    inputs = prepare_graph(synthetic=ref)
    assert all(_same(i.graph, g) for i, g in zip(all_graphs(inputs), ref))
    edges = pd.DataFrame([{"graph_id": k, "source": u, "target": v, "weight": 1.5} for k, g in enumerate(ref)
                          for u, v in g.edges()])
    got = all_graphs(prepare_graph(synthetic=edges))
    assert [_same(i.graph, g) for i, g in zip(got, ref)] == [True] * 3
    assert got[0].graph.edges[0, 1]["weight"] == 1.5  # edge attributes kept
    folder = tmp_path / "graphs"
    folder.mkdir()
    nx.write_graphml(ref[0], folder / "a.graphml")
    nx.write_gml(ref[1], folder / "b.gml")
    (folder / "c.edgelist").write_text("0 1\n0 2\n0 3\n", encoding="utf-8")
    (folder / "notes.md").write_text("not a graph", encoding="utf-8")
    got = all_graphs(prepare_graph(synthetic=str(folder)))
    assert len(got) == 3
    assert _same(got[0].graph, ref[0]) and _same(got[1].graph, ref[1])
    assert got[2].graph.number_of_edges() == 3
    path = tmp_path / "g.jsonl"
    path.write_text("".join(json.dumps({"edges": "\n".join(f"{u} {v}" for u, v in g.edges())}) + "\n" for g in ref),
                    encoding="utf-8")
    assert all(_same(i.graph, g) for i, g in zip(all_graphs(prepare_graph(synthetic=str(path))), ref))


def test_unparsable_records_are_counted_not_fatal():
    rows = [{"graph": "0 1\n1 2"}, {"graph": "Sure! Here is the graph: 0-1, 1-2"}, {"graph": None},
            {"graph": "😀 ünïcode\n0 😀"}]
    inputs = prepare_graph(synthetic=rows)
    items = all_graphs(inputs)
    assert [i.ok for i in items] == [True, False, False, True]
    assert "line 1" in items[1].error and "empty" in items[2].error
    assert set(items[3].graph.nodes()) == {"😀", "ünïcode", 0}
    assert any("do not parse" in w for w in inputs.warnings)


def test_molecules_from_smiles():
    g, canon, err = molecule_graph("OCC")
    assert canon == "CCO" and err is None
    assert sorted(d["element"] for _, d in g.nodes(data=True)) == ["C", "C", "O"]
    items = all_graphs(prepare_graph(synthetic=[{"smiles": "c1ccccc1"}, {"smiles": "C1CC"}, {"smiles": ""}]))
    assert items[0].canonical == "c1ccccc1" and items[0].graph.number_of_edges() == 6
    assert items[1].canonical is None and items[1].error == "SMILES syntax: ring bond 1 opened but never closed"
    assert items[2].graph is None


def test_bad_files_and_fields_get_one_clear_error(tmp_path):
    with pytest.raises(InputError, match="cannot tell which field"):
        prepare_graph(synthetic=[{"foo": 1}])
    with pytest.raises(InputError, match="--graph-field"):
        prepare_graph(synthetic=[{"graph": "0 1"}], graph_field="edges_typo")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(InputError, match="holds no graph file"):
        prepare_graph(synthetic=str(empty))
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "x.graphml").write_text("<graphml><graph><node id='a'/><edge source='a'", encoding="utf-8")
    with pytest.raises(InputError) as e:
        prepare_graph(synthetic=str(broken))
    assert "x.graphml" in str(e.value)


def test_mutation_generator_makes_valid_new_molecules():
    from rdkit import Chem

    from synthaudit.generate.graph.molecules import mutated_set, nci_smiles

    src = nci_smiles(300)
    out = mutated_set(src, 60, seed=1)
    assert len(out) == 60 and out == mutated_set(src, 60, seed=1)
    canon = {Chem.MolToSmiles(Chem.MolFromSmiles(s)) for s in src if Chem.MolFromSmiles(s) is not None}
    assert all(Chem.MolFromSmiles(s) is not None for s in out)
    assert sum(s not in canon for s in out) >= 55  # a mutation makes a new molecule (a few may hit another source)
