"""Text diversity (survey section 2.2): type-token ratio, Distinct-n and n-gram entropy.

All three pool the generated corpus (catalog default scope 'corpus'), tokenised with the offline tokeniser
named in ``data.text.TOKENIZER`` (case-folded by default), and are mergeable: the state is n-gram counts,
which add up across batches and shards. Records whose text is missing are counted and left out.
"""
from __future__ import annotations

import math
from collections import Counter
from typing import Any

import pandas as pd

from synthaudit.data.text import TOKENIZER, texts, tokenize
from synthaudit.metrics.registry import MergeableMetric, register
from synthaudit.metrics.result import MetricResult

SYN = "synthetic"


def _as_list(n: Any) -> list[int]:
    ns = [int(x) for x in (n if isinstance(n, (list, tuple)) else [n])]
    if not ns or any(x < 1 for x in ns):
        raise ValueError(f"n must be positive integers, got {n!r}")
    return ns


class NgramCounts(MergeableMetric):
    """Mergeable n-gram counts of the synthetic corpus (plus per-text sums for the per_text_mean scope)."""

    streams = (SYN,)
    ns_param = "n"

    def ns(self, params: dict) -> list[int]:
        return _as_list(params[self.ns_param]) if self.ns_param else [1]

    def init(self, inputs, models) -> dict:
        params = inputs.params_for(self.spec.id, self.spec.default_params())
        ns = self.ns(params)
        return {"field": inputs.extra.get("field", "text"), "lowercase": bool(params.get("lowercase", True)),
                "ns": ns, "counts": {n: Counter() for n in ns}, "per_text": {n: [0.0, 0] for n in ns},
                "records": 0, "missing": 0, "empty": 0}

    def update(self, state: dict, role: str, batch: pd.DataFrame) -> dict:
        for text in texts(batch, state["field"]):
            state["records"] += 1
            if text is None:
                state["missing"] += 1
                continue
            toks = tokenize(text, state["lowercase"])
            if not toks:
                state["empty"] += 1
            for n in state["ns"]:
                grams = [tuple(toks[i:i + n]) for i in range(len(toks) - n + 1)] if n > 1 else toks
                state["counts"][n].update(grams)
                if grams:  # per-text ratio of distinct to total n-grams (per_text_mean scope)
                    state["per_text"][n][0] += len(set(grams)) / len(grams)
                    state["per_text"][n][1] += 1
        return state

    def merge(self, a: dict, b: dict) -> dict:
        return {**a, "counts": {n: a["counts"][n] + b["counts"][n] for n in a["ns"]},
                "per_text": {n: [a["per_text"][n][0] + b["per_text"][n][0], a["per_text"][n][1] + b["per_text"][n][1]]
                             for n in a["ns"]},
                "records": a["records"] + b["records"], "missing": a["missing"] + b["missing"],
                "empty": a["empty"] + b["empty"]}

    def base_notes(self, state: dict) -> dict[str, Any]:
        notes = {"records": state["records"], "tokenizer": TOKENIZER, "lowercase": state["lowercase"],
                 "tokens": sum(state["counts"][state["ns"][0]].values()) if state["ns"][0] == 1 else None}
        if state["missing"]:
            notes["missing_texts"] = f"{state['missing']} record(s) without a text were left out"
        if state["empty"]:
            notes["empty_texts"] = f"{state['empty']} record(s) with no token"
        return notes


def _distinct(state: dict, n: int, scope: str) -> float | None:
    if scope == "per_text_mean":
        total, k = state["per_text"][n]
        return total / k if k else None
    c = state["counts"][n]
    total = sum(c.values())
    return len(c) / total if total else None


def _scope(params: dict) -> str:
    scope = params.get("scope", "corpus")
    if scope not in ("corpus", "per_text_mean"):
        raise ValueError(f"scope must be 'corpus' or 'per_text_mean', got {scope!r}")
    return scope


@register(id="text.ttr", name="Type-Token Ratio (TTR)", modality="text", pillar="quality", dimension="diversity",
          section="2.2", direction="higher_better", range=(0.0, 1.0), inputs=("synthetic",), models=("none",),
          computation="mergeable", params={"scope": {"default": "corpus"}, "lowercase": {"default": True}})
class TTR(NgramCounts):
    """TTR = |distinct token types| / |tokens| over the pooled corpus (section 2.2); length-dependent:
    compare corpora at equal token counts."""

    ns_param = None

    def finalize(self, state: dict, inputs, models) -> MetricResult:
        scope = _scope(inputs.params_for(self.spec.id, self.spec.default_params()))
        c = state["counts"][1]
        notes = {**self.base_notes(state), "scope": scope, "types": len(c),
                 "caution": "TTR falls as the corpus grows: compare at equal token counts"}
        return MetricResult(value=_distinct(state, 1, scope), notes=notes)


@register(id="text.distinct_n", name="Distinct-N", modality="text", pillar="quality", dimension="diversity",
          section="2.2", direction="higher_better", range=(0.0, 1.0), inputs=("synthetic",), models=("none",),
          computation="mergeable", params={"n": {"default": [1, 2, 3]}, "scope": {"default": "corpus"},
                                           "lowercase": {"default": True}})
class DistinctN(NgramCounts):
    """Distinct-n = |unique n-grams| / |total n-grams| over the pooled corpus (section 2.2, Li et al. 2016);
    the value is the mean over the chosen n, each n in ``secondary`` (distinct_1, distinct_2, ...)."""

    def finalize(self, state: dict, inputs, models) -> MetricResult:
        scope = _scope(inputs.params_for(self.spec.id, self.spec.default_params()))
        per_n = {n: _distinct(state, n, scope) for n in state["ns"]}
        rows = [{"n": n, "value": v, "unique": len(state["counts"][n]), "total": sum(state["counts"][n].values())}
                for n, v in per_n.items()]
        defined = [v for v in per_n.values() if v is not None]
        return MetricResult(value=sum(defined) / len(defined) if defined else None, breakdown=rows,
                            secondary={f"distinct_{n}": v for n, v in per_n.items()},
                            notes={**self.base_notes(state), "scope": scope, "value": "mean over n of Distinct-n"})


@register(id="text.ent_n", name="n-gram Response Entropy (Ent-n)", modality="text", pillar="quality",
          dimension="diversity", section="2.2", direction="higher_better", range=(0.0, math.inf),
          inputs=("synthetic",), models=("none",), computation="mergeable",
          params={"n": {"default": [1, 2, 3, 4]}, "log_base": {"default": "e"}, "lowercase": {"default": True}})
class EntN(NgramCounts):
    """Ent-n = -sum_g p(g) log p(g) over the n-grams of the pooled corpus (section 2.2), natural log by
    default (``log_base``: e, 2 or 10); the value is the mean over n, each n in ``secondary``."""

    def finalize(self, state: dict, inputs, models) -> MetricResult:
        base = inputs.params_for(self.spec.id, self.spec.default_params())["log_base"]
        log_base = {"e": math.e, 2: 2.0, "2": 2.0, 10: 10.0, "10": 10.0}.get(base)
        if log_base is None:
            raise ValueError(f"log_base must be e, 2 or 10, got {base!r}")
        per_n: dict[int, float | None] = {}
        for n in state["ns"]:
            c = state["counts"][n]
            total = sum(c.values())
            per_n[n] = (-sum((k / total) * math.log(k / total) for k in c.values()) / math.log(log_base)
                        if total else None)
        rows = [{"n": n, "value": v, "distinct": len(state["counts"][n]),
                 "max_possible": math.log(len(state["counts"][n])) / math.log(log_base) if state["counts"][n] else None}
                for n, v in per_n.items()]
        defined = [v for v in per_n.values() if v is not None]
        return MetricResult(value=sum(defined) / len(defined) if defined else None, breakdown=rows,
                            secondary={f"ent_{n}": v for n, v in per_n.items()},
                            notes={**self.base_notes(state), "log_base": str(base), "value": "mean over n of Ent-n"})
