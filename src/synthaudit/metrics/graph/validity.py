"""Graph rule validity (survey section 5.2): Valid_rule, the share of generated graphs passing the task's rules."""
from __future__ import annotations

from typing import Any

import numpy as np

from synthaudit.data.graph import GraphItem
from synthaudit.data.graph_rules import RuleSet, load_rules
from synthaudit.metrics.graph.common import GraphMetric, item_text, snippet
from synthaudit.metrics.registry import register
from synthaudit.metrics.result import MetricResult


def rules_of(inputs) -> RuleSet:
    """The audit's parsed rule spec (``extra["rules"]``), read once per audit; raises RuleSpecError."""
    spec = inputs.extra.get("rules")
    return inputs.features.get(f"graph.rules:{id(spec)}", lambda: load_rules(spec))


def passes(item: GraphItem, rules: RuleSet) -> tuple[bool, list[str]]:
    """(whether a record passes every rule, the failed rules as 'rule: expected ..., got ...'); a record
    without a graph fails the rule 'parse'."""
    if not item.ok:
        return False, [f"parse: {item.error or 'not a graph'}"]
    failures = rules.check(item.graph, item.smiles)
    return not failures, [str(f) for f in failures]


def _needs_rules(inputs) -> str | None:
    if inputs.extra.get("rules") is None:
        return "no rule spec (--rules FILE: connected, acyclic, tree, bipartite, planar, counts, degrees, custom)"
    return None


@register(id="graph.valid_rule", name="Rule validity rate (Valid_rule)", modality="graph", pillar="quality",
          dimension="validity", section="5.2", direction="higher_better", range=(0.0, 1.0),
          inputs=("synthetic", "rules"), models=("none",), computation="record", applies=_needs_rules)
class ValidRule(GraphMetric):
    """Valid_rule = (1/|G_gen|) sum_G 1[passes_rules(G)] (section 5.2), with the rules of the spec
    (:mod:`synthaudit.data.graph_rules`, networkx predicates). A record that does not parse counts as invalid
    (the denominator is every generation); graph.scr reports parsing alone."""

    breakdown_title = "Records failing a rule, with the rules they fail"

    def check(self, params: dict[str, Any], inputs) -> None:
        rules_of(inputs)  # a bad spec fails here, before any work, naming the rule

    def setup(self, state: dict) -> None:
        state["rules"] = rules_of(state["inputs"])

    def evaluate(self, items: list[GraphItem], state: dict) -> np.ndarray:
        rules: RuleSet = state["rules"]
        scores = np.zeros(len(items))
        for i, item in enumerate(items):
            ok, failed = passes(item, rules)
            scores[i] = 1.0 if ok else 0.0
            if not item.ok:
                state["counts"]["unparsable"] += 1
            for f in failed:
                state["counts"][f"fail_{f.split(':', 1)[0]}"] += 1
            if not ok:
                self.add_row(state, {"record": item.record, "failed_rules": [f.split(":", 1)[0] for f in failed],
                                     "reason": snippet("; ".join(failed), 240), "graph": _shape(item),
                                     "output": item_text(item)})
        return scores

    def finalize(self, state, inputs, models) -> MetricResult:
        result = super().finalize(state, inputs, models)
        rules: RuleSet = state["rules"]
        n = int(result.notes.get("n_records", 0))
        parsed = n - int(state["counts"].get("unparsable", 0))
        for name in rules.names:  # share of the parsed graphs that fail each rule
            bad = state["counts"].get(f"fail_{name}", 0)
            result.secondary[f"fail_rate_{name}"] = bad / parsed if parsed else None
        result.secondary["n_unparsable"] = float(state["counts"].get("unparsable", 0))
        result.notes["rules"] = rules.describe()
        if rules.source:
            result.notes["rule_file"] = rules.source
        result.notes["denominator"] = "every generation: a record that does not parse counts as invalid ('parse')"
        result.notes["fail_rates"] = "secondary fail_rate_<rule>: share of the parsed graphs failing that rule"
        return result


def _shape(item: GraphItem) -> str | None:
    if not item.ok:
        return None
    g = item.graph
    return f"{g.number_of_nodes()} nodes, {g.number_of_edges()} edges"
