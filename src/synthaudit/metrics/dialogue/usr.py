"""USR (survey section 2.2; Mehri & Eskenazi, 2020): five interpretable sub-scores per response combined
by a linear regression fitted to human overall ratings.

Our sub-scorers replace USR's RoBERTa ones (a masked LM and a dialog-retrieval model):

* understandable: mean token log-probability of the response given the context, log p(r | h) / |r|
  (causal LM, the PMI-FAITH history template);
* natural: mean token log-probability of the response on its own, log p(r) / |r|;
* maintains context: cos(e(context), e(response)) with the sentence embedder;
* interesting: 1 - max_g cos(e(response), e(g)) over generic replies g (GENERIC_REPLIES): distance from
  the replies that fit any conversation;
* uses knowledge: max over evidence snippets of cos(e(response), e(snippet)).

The regression needs human overall ratings (``human_scores``); the value is on their scale. Rated
responses are scored out of fold (cross-validated), so their score never uses their own rating.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from synthaudit.metrics.dialogue.common import (RESPONSES, DialogueMetric, check_context, context_param, embed,
                                                group_folds, lm_truncations, mean_by_record, model_note)
from synthaudit.metrics.dialogue.pmi import HISTORY_TEMPLATE, RESPONSE_TEMPLATE
from synthaudit.metrics.registry import register
from synthaudit.metrics.result import MetricResult, mean_or_none

SUBSCORES = ("understandable", "natural", "maintains_context", "interesting", "uses_knowledge")
GENERIC_REPLIES = ("OK.", "Okay, thanks.", "Yes.", "No.", "I don't know.", "Sure.", "That's nice.", "I see.",
                   "Thank you.", "Me too.", "Really?", "Sounds good.")
CV_FOLDS = 5


def subscores(pairs, models, state: dict[str, Any]) -> np.ndarray:
    """One row of the five sub-scores per response (NaN where undefined)."""
    lm = models.get("causal_lm")
    before = lm_truncations(models)
    conts = [RESPONSE_TEMPLATE.format(response=p.response) for p in pairs]
    lps = lm.token_logprobs([HISTORY_TEMPLATE.format(history=p.context) for p in pairs] + [""] * len(pairs),
                            conts + [p.response for p in pairs])
    state["truncated"] = state.get("truncated", 0) + lm_truncations(models) - before
    n = len(pairs)
    out = np.full((n, len(SUBSCORES)), np.nan)
    out[:, 0] = [lp.mean() if len(lp) else np.nan for lp in lps[:n]]
    out[:, 1] = [lp.mean() if len(lp) else np.nan for lp in lps[n:]]
    inputs = state["inputs"]
    c, r = embed(models, [p.context for p in pairs], inputs), embed(models, [p.response for p in pairs], inputs)
    out[:, 2] = np.sum(c * r, axis=1)
    out[:, 3] = 1.0 - (r @ embed(models, list(GENERIC_REPLIES), inputs).T).max(axis=1)
    snippets = [s for p in pairs for s in (p.evidence or ())]
    if snippets:
        e, pos = embed(models, snippets, inputs), 0
        for i, p in enumerate(pairs):
            k = len(p.evidence or ())
            if k:
                out[i, 4] = float((e[pos:pos + k] @ r[i]).max())
            pos += k
    empty = np.array([not p.response.strip() for p in pairs], dtype=bool)
    out[empty] = np.nan  # nothing to score
    return out


def cross_validated(x: np.ndarray, y: np.ndarray, groups: list[int], models, seed: int) -> np.ndarray | None:
    """Out-of-fold predictions of the linear regression (folds of whole dialogues); None when < 2 groups."""
    k = min(CV_FOLDS, len(set(groups)))
    if k < 2:
        return None
    folds = group_folds(groups, k, seed)
    pred = np.full(len(y), np.nan)
    for f in range(k):
        tr, te = folds != f, folds == f
        pred[te] = linear(models).fit(x[tr], y[tr]).predict(x[te])
    return pred


def linear(models):
    from sklearn.linear_model import LinearRegression

    return LinearRegression()


def r2(y: np.ndarray, pred: np.ndarray) -> float | None:
    sst = float(np.sum((y - y.mean()) ** 2))
    return None if sst == 0 else 1.0 - float(np.sum((y - pred) ** 2)) / sst


@register(id="dialogue.usr", name="USR (UnSupervised and Reference-free) dialogue score", modality="dialogue",
          pillar="quality", dimension="fidelity", section="2.2", direction="higher_better", range=None,
          inputs=("synthetic", "prompts", "evidence", "human_scores"), models=("causal_lm", "downstream_learner"),
          computation="record",
          params={"context_turns": context_param(3, "catalog choice"), "responses": RESPONSES})
class USR(DialogueMetric):
    """USR per response = w . (sub-scores) + b, the weights fitted by least squares on the responses with a
    human overall rating (section 2.2). Reports the weights and the in-sample and cross-validated R^2.
    Rated responses get their out-of-fold prediction, unrated ones the full fit's; responses with an
    undefined sub-score (no evidence, an empty response) get none."""

    def check(self, params: dict[str, Any]) -> None:
        check_context(params)

    def evaluate(self, dialogues, state) -> np.ndarray:
        pairs = self.pairs(dialogues, state)
        subs = subscores(pairs, state["models"], state) if pairs else np.zeros((0, len(SUBSCORES)))
        for p, row in zip(pairs, subs):
            state["rows"].append({"record": p.record, "turn": p.turn,
                                  **{k: None if np.isnan(v) else float(v) for k, v in zip(SUBSCORES, row)},
                                  "human": p.human, "score": None})
        return np.full(len(dialogues), np.nan)  # set at finalize, after the regression

    def finalize(self, state, inputs, models) -> MetricResult:
        rows = state["rows"]
        x = np.array([[np.nan if r[k] is None else r[k] for k in SUBSCORES] for r in rows], dtype=float)
        x = x.reshape(len(rows), len(SUBSCORES))
        complete = ~np.isnan(x).any(axis=1)
        rated = complete & np.array([r["human"] is not None for r in rows], dtype=bool)
        notes: dict[str, Any] = {**self.base_notes(state), "subscores": dict(zip(SUBSCORES, (
            "mean token log p(r | context) (causal LM)", "mean token log p(r) (causal LM)",
            "cos(e(context), e(response))", "1 - max cos(e(response), e(generic reply))",
            "max cos(e(response), e(evidence snippet))"))), "generic_replies": list(GENERIC_REPLIES),
            "regression": "least squares on the human overall ratings (needs human_scores); output on their scale",
            "substitutes": "USR's RoBERTa masked LM and dialog-retrieval sub-scorers are replaced by the causal LM "
                           "and the sentence embedder",
            "n_responses": len(rows), "n_complete": int(complete.sum()), "n_rated": int(rated.sum())}
        if rows and models.loaded("causal_lm"):
            notes["models"] = {"causal_lm": model_note(models.get("causal_lm")),
                               "sentence_embedder": model_note(models.get("sentence_embedder")),
                               "downstream_learner": "scikit-learn LinearRegression"}
        if state.get("truncated"):
            notes["truncated"] = f"{state['truncated']} LM sequence(s) were cut to the LM window"
        secondary: dict[str, float | None] = {f"{k}_mean": mean_or_none(list(x[complete, j]))
                                              for j, k in enumerate(SUBSCORES)}
        record_scores = np.full(len(state["records"]), np.nan)
        need = len(SUBSCORES) + 2
        if rated.sum() < need:
            notes["undefined"] = (f"the regression needs at least {need} rated responses with every sub-score "
                                  f"defined; found {int(rated.sum())}")
            return MetricResult(value=None, record_scores=record_scores, breakdown=rows, secondary=secondary,
                                notes=notes)
        y = np.array([r["human"] for r, ok in zip(rows, rated) if ok], dtype=float)
        fit = linear(models).fit(x[rated], y)
        in_sample = r2(y, fit.predict(x[rated]))
        groups = [r["record"] for r, ok in zip(rows, rated) if ok]
        oof = cross_validated(x[rated], y, groups, models, inputs.seed)
        scores = np.full(len(rows), np.nan)
        scores[complete] = fit.predict(x[complete])
        if oof is not None:
            scores[rated] = oof
        for r, s in zip(rows, scores):
            r["score"] = None if np.isnan(s) else float(s)
        for j, k in enumerate(SUBSCORES):
            col = x[rated, j]
            secondary[f"r_{k}_human"] = float(np.corrcoef(col, y)[0, 1]) if col.std() > 0 and y.std() > 0 else None
        secondary.update(r2_in_sample=in_sample, r2_cross_validated=r2(y, oof) if oof is not None else None,
                         human_mean=float(y.mean()))
        notes.update(weights={k: float(w) for k, w in zip(SUBSCORES, fit.coef_)}, intercept=float(fit.intercept_),
                     cross_validation=(f"{min(CV_FOLDS, len(set(groups)))} folds of whole dialogues (seeded)"
                                       if oof is not None else "not possible: rated responses from one dialogue"),
                     scores="rated responses: out-of-fold predictions; unrated: the full fit's predictions")
        record_scores = mean_by_record(state["records"], [r["record"] for r in rows], scores)
        defined = scores[~np.isnan(scores)]
        return MetricResult(value=float(defined.mean()) if defined.size else None, record_scores=record_scores,
                            breakdown=rows, secondary=secondary, notes=notes)
