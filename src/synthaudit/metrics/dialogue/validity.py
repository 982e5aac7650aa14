"""Dialogue validity (survey section 2.2): the hierarchical USL-H score (Phy et al., 2020).

s_USL-H = a1*s_U + a2*s_U*s_S + a3*s_U*s_S*s_L, s_L = sum_j b_j*q_j. Our sub-scorers replace the original
BERT-based ones: s_U is the mean acceptability of the response's sentences (``acceptability_classifier``,
sentences from ``data.segment``), s_S the judge's ``sensibleness`` prompt and each q_j the judge prompt of
that name (``specificity``, ``empathy``), all in [0, 1].
"""
from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np

from synthaudit.data.segment import SEGMENTER, split_sentences
from synthaudit.metrics.dialogue.common import (RESPONSES, DialogueMetric, check_context, context_param,
                                                lm_truncations, mean_by_record, model_note)
from synthaudit.metrics.registry import register
from synthaudit.metrics.result import MetricResult, mean_or_none
from synthaudit.metrics.sampling import sample_param

UNIFORM = "uniform over the chosen likability qualities"
QUALITIES = ("specificity", "empathy")


def usl_h_score(s_u: float, s_s: float, qualities: Sequence[float], alpha: Sequence[float],
                beta: Sequence[float]) -> float:
    """a1*s_U + a2*s_U*s_S + a3*s_U*s_S*s_L with s_L = sum_j b_j*q_j (multiplicative gating)."""
    s_l = float(np.dot(beta, qualities))
    return alpha[0] * s_u + alpha[1] * s_u * s_s + alpha[2] * s_u * s_s * s_l


def weights(params: dict[str, Any]) -> tuple[list[float], list[str], list[float]]:
    """Validated (alpha, likability qualities, beta); raises ValueError."""
    alpha = [float(a) for a in params["alpha"]]
    if len(alpha) != 3 or min(alpha) < 0 or not math.isclose(sum(alpha), 1.0, abs_tol=1e-3):
        raise ValueError(f"alpha must be three non-negative weights summing to 1, got {params['alpha']!r}")
    quals = params["likability_qualities"]
    quals = [quals] if isinstance(quals, str) else list(quals)
    if not quals or len(set(quals)) != len(quals):
        raise ValueError(f"likability_qualities must name one or more distinct judge prompts, got {quals!r}")
    from synthaudit.models.judge import load_prompt

    for q in quals:
        if set(load_prompt(q)["fields"]) != {"context", "response"}:
            raise ValueError(f"judge prompt {q!r} does not rate a (context, response) pair")
    beta = params["beta"]
    if beta == UNIFORM or beta is None:
        b = [1.0 / len(quals)] * len(quals)
    else:
        b = [float(beta[q]) for q in quals] if isinstance(beta, dict) else [float(x) for x in beta]
        if len(b) != len(quals) or min(b) < 0 or not math.isclose(sum(b), 1.0, abs_tol=1e-3):
            raise ValueError(f"beta must give one non-negative weight per likability quality ({', '.join(quals)}) "
                             f"summing to 1, got {beta!r}")
    return alpha, quals, b


@register(id="dialogue.usl_h", name="USL-H hierarchical score (s_USL-H)", modality="dialogue", pillar="quality",
          dimension="validity", section="2.2", direction="higher_better", range=(0.0, 1.0),
          inputs=("synthetic", "prompts"), models=("acceptability_classifier", "llm_judge"), computation="record",
          params={"alpha": {"default": [0.3333, 0.3333, 0.3334],
                            "note": "catalog default (equal weights); survey gives none"},
                  "beta": {"default": UNIFORM},
                  "likability_qualities": {"default": ["specificity"], "options": list(QUALITIES)},
                  "context_turns": context_param(4, "catalog choice: keeps the judge prompt inside the LM window"),
                  "responses": RESPONSES, **sample_param(25)})
class USLH(DialogueMetric):
    """USL-H per response (section 2.2), mean over responses. An off-format judge answer leaves the
    response undefined (counted). The judge and the acceptability proxy cost about a second per response
    with the offline SmolLM2 on one core, so by default a seeded sample of about 25 dialogues is scored
    (``max_records``; 0 scores every dialogue). A response with s_U = 0 (e.g. without a sentence) scores 0 and is not
    sent to the judge (multiplicative gating)."""

    def check(self, params: dict[str, Any]) -> None:
        weights(params)
        check_context(params)

    def evaluate(self, dialogues, state) -> np.ndarray:
        models, params = state["models"], state["params"]
        alpha, quals, beta = weights(params)
        pairs = self.pairs(dialogues, state)
        if not pairs:
            return np.full(len(dialogues), np.nan)
        acc, judge = models.get("acceptability_classifier"), models.get("llm_judge")
        before = lm_truncations(models)
        sents = [split_sentences(p.response) for p in pairs]
        flat = acc.score([s for ss in sents for s in ss]) if any(sents) else np.zeros(0)
        bounds = np.cumsum([0] + [len(ss) for ss in sents])
        s_u = [float(np.mean(flat[a:b])) if b > a else 0.0 for a, b in zip(bounds[:-1], bounds[1:])]
        judged = [i for i, u in enumerate(s_u) if u > 0]  # s_U = 0 gates the score to 0: no judge call needed
        items = [{"context": pairs[i].context, "response": pairs[i].response} for i in judged]
        ratings = {name: dict(zip(judged, judge.rate(name, items) if items else []))
                   for name in ["sensibleness", *quals]}
        state["truncated"] = state.get("truncated", 0) + lm_truncations(models) - before
        for name, got in ratings.items():
            state.setdefault("off_format", {}).setdefault(name, 0)
            state["off_format"][name] += sum(v is None for v in got.values())
        scores = np.full(len(pairs), np.nan)
        for i, (p, ss) in enumerate(zip(pairs, sents)):
            row = {"record": p.record, "turn": p.turn, "sentences": len(ss), "s_U": s_u[i], "gated": i not in judged,
                   "s_S": ratings["sensibleness"].get(i), **{f"q_{n}": ratings[n].get(i) for n in quals}, "s_L": None}
            qs = [row[f"q_{n}"] for n in quals]
            if all(v is not None for v in qs):
                row["s_L"] = float(np.dot(beta, qs))
            if row["gated"]:
                scores[i] = 0.0
            elif row["s_S"] is not None and row["s_L"] is not None:
                scores[i] = usl_h_score(s_u[i], row["s_S"], qs, alpha, beta)
            row["score"] = None if np.isnan(scores[i]) else float(scores[i])
            state["rows"].append(row)
        return mean_by_record([d.record if d else -1 for d in dialogues], [p.record for p in pairs], scores)

    def finalize(self, state, inputs, models) -> MetricResult:
        result = self.response_result(state)
        alpha, quals, beta = weights(state["params"])
        rows = state["rows"]
        result.secondary.update({"s_U_mean": mean_or_none([r["s_U"] for r in rows]),
                                 "s_S_mean": mean_or_none([r["s_S"] for r in rows]),
                                 "s_L_mean": mean_or_none([r["s_L"] for r in rows]),
                                 **{f"q_{n}_mean": mean_or_none([r[f"q_{n}"] for r in rows]) for n in quals},
                                 "not_understandable_share": mean_or_none([float(r["gated"]) for r in rows])})
        off = {name: state.get("off_format", {}).get(name, 0) for name in ["sensibleness", *quals]}
        notes = result.notes
        notes.update(alpha=alpha, beta=dict(zip(quals, beta)), likability_qualities=quals,
                     formula="a1*s_U + a2*s_U*s_S + a3*s_U*s_S*s_L, s_L = sum_j b_j*q_j (multiplicative gating)",
                     off_format=off, segmenter=SEGMENTER,
                     s_U="mean acceptability of the response's sentences (0 for a response without a sentence)",
                     gated=f"{sum(r['gated'] for r in rows)} response(s) with s_U = 0 score 0 whatever s_S and s_L: "
                           "the judge is not asked about them and their s_S / q are not averaged")
        if rows:
            acc, judge = models.get("acceptability_classifier"), models.get("llm_judge")
            describe = getattr(judge, "describe", lambda p: p)
            notes["models"] = {"acceptability_classifier": model_note(acc), "llm_judge": model_note(judge)}
            notes["judge_prompts"] = {p: describe(p) for p in ["sensibleness", *quals]}
        notes["substitutes"] = ("the original USL-H sub-scorers (BERT valid-utterance and next-utterance "
                                "prediction, MLM specificity) are replaced by the acceptability backend and "
                                "versioned judge prompts")
        if state.get("truncated"):
            notes["truncated"] = (f"{state['truncated']} LM sequence(s) were cut to the LM window (oldest tokens "
                                  "dropped): lower context_turns")
        return result
