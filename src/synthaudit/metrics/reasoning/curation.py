"""Curation checks for reasoning data (ids ``reasoning.ext.*``), beside survey section 3.2's validity: answer
leakage in the question, exact and near-duplicate problems, and contamination with a benchmark.

Record scores are 1 for a flagged record, so ``synthaudit filter reasoning`` can drop flagged records.
"""
from __future__ import annotations

import re
from typing import Any

import numpy as np

from synthaudit.data.reasoning import Problem, parse_batch
from synthaudit.metrics.reasoning.common import ReasoningMetric, snippet
from synthaudit.metrics.registry import register
from synthaudit.metrics.result import MetricResult
from synthaudit.metrics.text.curation import ExactDuplicateRate, NearDuplicateRate

_WORD = re.compile(r"\w+")
_NUMBER_ANSWER = re.compile(r"^-?\d[\d,]*(\.\d+)?$")
LABELS = ("true", "false", "yes", "no", "unknown")


def words(text: str | None) -> list[str]:
    """Lower-cased word tokens, punctuation dropped (the normalisation of the GPT-3 overlap analysis)."""
    return _WORD.findall((text or "").lower())


def _final_answer(p: Problem) -> str | None:
    from synthaudit.verify.math import extract_answer

    if p.gold is not None:
        return extract_answer(p.gold) or p.gold
    if p.answer is not None:
        return p.answer
    return extract_answer(p.solution) if p.solution else None


def leaks(question: str, answer: str) -> str | None:
    """Why the question gives its own answer away, or None: it states the answer after an answer marker
    (``answer is``, ``####``, ``\\boxed``, ``=``), or a non-numeric answer of 4+ characters that is not a label
    (True/False/Yes/No/Unknown) appears in it verbatim. A number that merely occurs in the question is not
    flagged (GSM8K questions often mention the answer's value in passing); such records are counted in
    ``number_mentioned``."""
    from synthaudit.verify.math import answers_equal, extract_answer

    marked = re.search(r"(answer\s*(is|:)|####|\\boxed|=)", question, re.IGNORECASE)
    if marked:
        said = extract_answer(question[marked.start():])
        if said is not None and answers_equal(said, answer):
            return f"states the answer {answer!r} after {marked.group(0)!r}"
    a = answer.strip()
    if a.lower() in LABELS:  # a True/False question names both labels: only an answer marker counts
        said = re.search(r"answer\s*(?:is|:)\s*(\w+)", question, re.IGNORECASE)
        return f"states the answer {a!r} after {said.group(0)!r}" if said and said.group(1).lower() == a.lower() \
            else None
    if not _NUMBER_ANSWER.match(a) and len(a) >= 4 and a.lower() in question.lower():
        return f"contains the answer {a!r} verbatim"
    return None


@register(id="reasoning.ext.answer_leakage", name="Answer leakage in the question", modality="reasoning",
          pillar="quality", dimension="validity", section="3.2", direction="lower_better", range=(0.0, 1.0),
          inputs=("synthetic",), models=("none",), computation="record", extension=True)
class AnswerLeakage(ReasoningMetric):
    """Share of problems whose question gives its own final answer away (``leaks``): such items teach a model
    to copy, and a benchmark built from them measures nothing. The answer is the gold answer, else the
    answer field, else the one extracted from the solution. Code records are left out."""

    breakdown_title = "Questions that give their answer away"

    def evaluate(self, probs: list[Problem], state: dict) -> np.ndarray:
        scores = np.full(len(probs), np.nan)
        for i, p in enumerate(probs):
            ans = _final_answer(p) if p.task != "code" else None
            if not p.question or ans is None:
                continue
            why = leaks(p.question, ans)
            scores[i] = 1.0 if why else 0.0
            if _NUMBER_ANSWER.match(ans.strip()) and re.search(rf"(?<![\d.]){re.escape(ans.strip())}(?!\.?\d)",
                                                               p.question):
                state["counts"]["number_mentioned"] += 1
            if why:
                self.add_row(state, {"record": p.record, "answer": ans, "why": why,
                                     "question": snippet(p.question, 160)})
        return scores


_DUP_DOC = (" Reasoning problems are compared by their question field (the statement, with the theory for "
            "logic records), so two records asking the same problem count once whatever their solutions.")


@register(id="reasoning.ext.exact_duplicates", name="Exact-duplicate problems", modality="reasoning",
          pillar="quality", dimension="diversity", section="3.2", direction="lower_better", range=(0.0, 1.0),
          inputs=("synthetic",), models=("none",), computation="mergeable", extension=True,
          params={"max_clusters": {"default": 50}})
class ExactDuplicateProblems(ExactDuplicateRate):
    __doc__ = (ExactDuplicateRate.__doc__ or "") + _DUP_DOC


@register(id="reasoning.ext.duplicate_problems", name="Near-duplicate problems (MinHash LSH, verified Jaccard)",
          modality="reasoning", pillar="quality", dimension="diversity", section="3.2", direction="lower_better",
          range=(0.0, 1.0), inputs=("synthetic",), models=("none",), computation="mergeable", extension=True,
          params={"threshold": {"default": 0.8}, "num_perm": {"default": 128}, "shingle": {"default": 3},
                  "seed": {"default": None}, "max_clusters": {"default": 50}})
class NearDuplicateProblems(NearDuplicateRate):
    __doc__ = (NearDuplicateRate.__doc__ or "") + _DUP_DOC


METHODS = {"gpt3": 13, "llama2": 11}


def _benchmark_ready(inputs) -> str | None:
    return None if "benchmark" in inputs.tables else "needs a benchmark file to compare with (--benchmark FILE)"


def _contamination_params(params: dict[str, Any]) -> tuple[str, int, float]:
    method = params["method"]
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
    n = METHODS[method] if params["n"] is None else int(params["n"])
    if n < 1:
        raise ValueError(f"n must be >= 1, got {params['n']!r}")
    return method, n, float(params["dirty_above"])


def benchmark_ngrams(inputs, n: int) -> tuple[dict[tuple[str, ...], int], set[tuple[str, ...]], int]:
    """The n-grams of the benchmark's problems (-> the first item holding each), the whole word sequences of
    items shorter than n, and the item count."""
    fmap = inputs.extra["benchmark"]
    table = inputs.tables["benchmark"]
    grams: dict[tuple[str, ...], int] = {}
    short: set[tuple[str, ...]] = set()
    count = 0
    for p in parse_batch(table.frame(), fmap, table.label):
        w = words(p.question or p.solution)
        count += 1
        if len(w) < n:
            if w:
                short.add(tuple(w))
            continue
        for j in range(len(w) - n + 1):
            grams.setdefault(tuple(w[j:j + n]), p.record)
    return grams, short, count


@register(id="reasoning.ext.contamination", name="Benchmark contamination (n-gram overlap)", modality="reasoning",
          pillar="quality", dimension="validity", section="3.2", direction="lower_better", range=(0.0, 1.0),
          inputs=("synthetic",), models=("none",), computation="record", extension=True, applies=_benchmark_ready,
          params={"method": {"default": "gpt3", "options": list(METHODS),
                             "note": "gpt3: dirty when any word 13-gram is shared (Brown et al. 2020, app. C); "
                                     "llama2: share of tokens inside shared 11-grams ('longer than 10 tokens', "
                                     "Touvron et al. 2023, app. A.6), dirty above dirty_above"},
                  "n": {"default": None, "note": "n-gram length (default: the method's)"},
                  "dirty_above": {"default": 0.8, "note": "llama2 method: token share above which a record is dirty"}})
class Contamination(ReasoningMetric):
    """Share of synthetic problems that overlap a benchmark's problems (contamination of training data with
    evaluation items). Text is lower-cased word tokens without punctuation. ``gpt3``: a record is dirty when it
    shares any n-gram with a benchmark item (items shorter than n words must appear whole); ``llama2``: the
    share of the record's tokens covered by shared n-grams, dirty above ``dirty_above``. The record score is 1
    for a dirty record; ``benchmark_items_hit`` counts the benchmark items touched (the benchmark's view)."""

    breakdown_title = "Records that overlap the benchmark"

    def check(self, params: dict[str, Any], inputs=None) -> None:
        _contamination_params(params)

    def init(self, inputs, models) -> dict[str, Any]:
        state = super().init(inputs, models)
        _, n, _ = _contamination_params(state["params"])
        grams, short, count = benchmark_ngrams(inputs, n)
        state["extra"] = {"hit": set(), "coverage": []}
        state["bench"] = (grams, short, count)
        return state

    def evaluate(self, probs: list[Problem], state: dict) -> np.ndarray:
        method, n, dirty = _contamination_params(state["params"])
        grams, short, _ = state["bench"]
        scores = np.full(len(probs), np.nan)
        for i, p in enumerate(probs):
            w = words(p.question or p.solution)
            if not w:
                continue
            covered = np.zeros(len(w), dtype=bool)
            hits = set()
            for j in range(len(w) - n + 1):
                item = grams.get(tuple(w[j:j + n]))
                if item is not None:
                    covered[j:j + n] = True
                    hits.add(item)
            for s in short:  # a benchmark item shorter than n words must appear whole
                for j in range(len(w) - len(s) + 1):
                    if tuple(w[j:j + len(s)]) == s:
                        covered[j:j + len(s)] = True
                        hits.add(-1)
            share = float(covered.mean())
            state["extra"]["coverage"].append(share)
            flagged = bool(hits) if method == "gpt3" else share > dirty
            scores[i] = 1.0 if flagged else 0.0
            state["extra"]["hit"] |= {h for h in hits if h >= 0}
            if flagged:
                self.add_row(state, {"record": p.record, "token_share": share,
                                     "benchmark_items": ", ".join(map(str, sorted(h for h in hits if h >= 0)[:5])),
                                     "question": snippet(p.question, 120)})
        return scores

    def merge(self, a: dict, b: dict) -> dict:
        out = super().merge({**a, "extra": {}}, {**b, "extra": {}})
        out["extra"] = {"hit": a["extra"]["hit"] | b["extra"]["hit"],
                        "coverage": a["extra"]["coverage"] + b["extra"]["coverage"]}
        return out

    def finalize(self, state, inputs, models) -> MetricResult:
        result = super().finalize(state, inputs, models)
        method, n, dirty = _contamination_params(state["params"])
        cov = state["extra"]["coverage"]
        result.secondary.update({"benchmark_items_hit": len(state["extra"]["hit"]),
                                 "benchmark_items": state["bench"][2],
                                 "mean_token_share": float(np.mean(cov)) if cov else None})
        result.notes.update(method=method, n=n, normalisation="lower-cased \\w+ tokens, punctuation dropped",
                            **({"dirty_above": dirty} if method == "llama2" else {}))
        return result
