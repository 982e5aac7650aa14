"""Graphs and molecules (survey section 5.2.1, 5.3): the options of ``synthaudit audit graph`` and the hooks.

A record is one graph: an edge list, node-link JSON, an adjacency mapping or matrix, GraphML/GML, a graph-atlas
index, or a SMILES string (a molecule). See ``synthaudit.data.graph``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from synthaudit.modalities.base import FilterSpec, Modality, ModalityInputs, TrackSpec, option
from synthaudit.modalities.registry import register_modality

_HERE = "synthaudit.modalities.graph"


@dataclass(kw_only=True)
class GraphInputs(ModalityInputs):
    """Inputs of a graph audit: one record per graph (or molecule)."""

    modality = "graph"

    synthetic: Any = option(None, "Generated graphs: a table with one graph per record (edge list, node-link JSON, "
                            "adjacency, GraphML/GML text, atlas:N) or SMILES, an edge table with a graph-id column, "
                            "a folder of graph files, or networkx graphs.", kind="data", short="-s", role="synthetic")
    real: Any = option(None, "Reference graphs or molecules (MMD, FCD, novelty against a training set).", kind="data",
                       short="-r", role="real_reference")
    holdout: Any = option(None, "Real graphs with node labels for the downstream task (graph.downstream_acc_f1).",
                          kind="data", role="real_holdout")
    train: Any = option(None, "The real graph the generator was trained on (the data its DP guarantee protects).",
                        kind="data", role="train")
    graph_field: str | None = option(None, "Field holding the graph (default: the first of graph, edges, edge_list, "
                                     "edgelist, adjacency, output, response, text).")
    smiles_field: str | None = option(None, "Field holding SMILES strings (default: smiles); the records are then "
                                      "molecules.")
    directed: bool = option(False, "Read the graphs as directed.", kind="bool")
    examples_field: str | None = option(None, "Field holding the example graphs shown in the prompt (novelty).",
                                        role="prompts")
    target_field: str | None = option(None, "Field holding each record's target graph (GAD, D_L2; e.g. atlas:N).",
                                      role="references")
    label_field: str | None = option(None, "Field holding a graph-level label.")
    node_label: str | None = option(None, "Node attribute holding the class of each node (downstream node "
                                    "classification).", role="labels")
    rules: Any = option(None, "Rule spec for graph.valid_rule (YAML file or mapping): connected, acyclic, "
                        "bipartite, planar, node/edge counts, degree bounds, self-loops, valence, custom.",
                        kind="config", role="rules")
    dp: Any = option(None, "The generator's privacy parameters (YAML file or mapping: epsilon, delta, adjacency "
                     "node|edge|edge_local) for graph.dp_guarantee.", kind="config")


MODALITY = register_modality(Modality(
    name="graph", title="Graphs and molecules", section="5.2-5.3", inputs=GraphInputs,
    summary="Audit generated graphs and molecules (survey sections 5.2-5.3): rule validity, descriptor MMD, FCD, "
            "novelty, uniqueness, downstream accuracy, DP guarantees, syntactic correctness, GAD, D_L2.",
    prepare=f"{_HERE}.prepare:prepare", metrics="synthaudit.metrics.graph",
    role_flags={"schema": "(built in: the edge-list grammar)"},
    # GAD and D_L2 are distances without a natural cut-off: filter on them with --max graph.gad=VALUE
    filter=FilterSpec(aliases={"scr": "graph.scr", "parse": "graph.scr", "valid": "graph.valid_rule",
                               "novelty": "graph.novelty", "mol_validity": "graph.ext.mol_validity"},
                      defaults=("scr",),
                      options=("graph_field", "smiles_field", "directed", "examples_field", "target_field", "rules")),
    track=TrackSpec(metrics=("graph.mmd", "graph.uniq", "graph.valid_rule")),
    report_figures=f"{_HERE}.report:figures",
    generate_command=f"{_HERE}.cli:generate_graph",
    demo=f"{_HERE}.demo:section",
    docs="docs/graph.md",
))
