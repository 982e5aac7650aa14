"""RUBER (survey section 2.2; Tao et al., 2018): a referenced and an unreferenced score, each min-max
normalised over the evaluated set, then blended.

* s_ref(r, r_ref) = cos(e(r), e(r_ref)) with the sentence embedder (Tao et al. pool word embeddings).
* s_unref(c, r) = P(related | c, r) from a logistic regression on [e(c)*e(r), |e(c)-e(r)|], trained with
  negative sampling: each true (context, response) pair against the context with a response shuffled
  from another pair (seeded; identical texts dropped). Tao et al. train a GRU/MLP scorer the same way.
  The learner is trained on the real dialogues when given; otherwise it is cross-fitted on the evaluated
  set (folds of whole dialogues, each response scored by a learner that never saw its dialogue).

Mergeable: mean(s~) = (mean(s) - min s)/(max s - min s), so the corpus mean needs only the sum, count, min
and max of each component (exact for the arithmetic mean; other blends use the per-response scores).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from synthaudit.data.dialogue import iter_dialogues, response_pairs
from synthaudit.metrics.dialogue.common import (RESPONSES, DialogueMetric, check_choice, check_context, context_param,
                                                embed, group_folds, mean_by_record, model_note)
from synthaudit.metrics.registry import register
from synthaudit.metrics.result import MetricResult

AGGREGATIONS = ("arithmetic_mean", "geometric_mean", "min", "max")
FEATURES = "[e(c)*e(r), |e(c)-e(r)|] of unit-norm sentence embeddings"
MIN_TRAIN_PAIRS = 8


def features(c: np.ndarray, r: np.ndarray) -> np.ndarray:
    return np.hstack([c * r, np.abs(c - r)])


def negatives(n: int, texts: list[str], seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(positive index, shuffled response index) of the negative pairs: a seeded random n-cycle (no pair
    keeps its own response); a negative whose response text equals the true one is dropped."""
    if n < 2:
        return np.zeros(0, dtype=int), np.zeros(0, dtype=int)
    order = np.random.default_rng(seed).permutation(n)
    perm = np.empty(n, dtype=int)
    perm[order] = np.roll(order, -1)
    keep = np.array([texts[i] != texts[perm[i]] for i in range(n)], dtype=bool)
    return np.arange(n)[keep], perm[keep]


def train_learner(models, c: np.ndarray, r: np.ndarray, texts: list[str], seed: int):
    """A fitted learner (``downstream_learner``) for P(related); None with too few pairs or no negative."""
    n = len(texts)
    if n < MIN_TRAIN_PAIRS:
        return None
    pos, neg = negatives(n, texts, seed)
    if len(pos) == 0:  # every shuffled reply equals the true one
        return None
    x = np.vstack([features(c, r), features(c[pos], r[neg])])
    y = np.r_[np.ones(n), np.zeros(len(pos))]
    learner = models.get("downstream_learner")(max_iter=2000, C=1.0)
    return learner.fit(x, y)


def minmax(stats: dict[str, float], values: np.ndarray) -> np.ndarray | None:
    lo, hi = stats["min"], stats["max"]
    return None if not hi > lo else (values - lo) / (hi - lo)


def blend(a: np.ndarray, b: np.ndarray, how: str) -> np.ndarray:
    if how == "arithmetic_mean":
        return 0.5 * (a + b)
    if how == "geometric_mean":
        return np.sqrt(a * b)
    return np.minimum(a, b) if how == "min" else np.maximum(a, b)


def _stats() -> dict[str, float]:
    return {"sum": 0.0, "count": 0, "min": np.inf, "max": -np.inf}


def _add(stats: dict[str, float], values: np.ndarray) -> None:
    if values.size:
        stats["sum"] += float(values.sum())
        stats["count"] += int(values.size)
        stats["min"] = min(stats["min"], float(values.min()))
        stats["max"] = max(stats["max"], float(values.max()))


def _merge_stats(a: dict[str, float], b: dict[str, float]) -> dict[str, float]:
    return {"sum": a["sum"] + b["sum"], "count": a["count"] + b["count"], "min": min(a["min"], b["min"]),
            "max": max(a["max"], b["max"])}


@register(id="dialogue.ruber", name="RUBER blended score (s_RUBER)", modality="dialogue", pillar="quality",
          dimension="fidelity", section="2.2", direction="higher_better", range=(0.0, 1.0),
          inputs=("synthetic", "prompts", "references"), models=("sentence_embedder", "downstream_learner"),
          computation="mergeable",
          params={"aggregation": {"default": "arithmetic_mean", "options": list(AGGREGATIONS)},
                  "context_turns": context_param(1, "catalog choice: RUBER scores a reply against its query"),
                  "responses": RESPONSES,
                  "folds": {"default": 5, "note": "cross-fitting folds when no real dialogues are given"},
                  "max_train_pairs": {"default": 20000, "note": "real pairs used to train s_unref (seeded sample)"}})
class RUBER(DialogueMetric):
    """s_RUBER = blend(s~_ref, s~_unref) per response with a reference (section 2.2), mean over those
    responses. Responses without a reference still train the cross-fitted learner but are not scored."""

    def check(self, params: dict[str, Any]) -> None:
        check_context(params)
        check_choice("aggregation", params["aggregation"], AGGREGATIONS)
        for k in ("folds", "max_train_pairs"):
            if int(params[k]) < 2:
                raise ValueError(f"{k} must be at least 2, got {params[k]!r}")

    def init(self, inputs, models) -> dict[str, Any]:
        state = super().init(inputs, models)
        state.update(ref=_stats(), unref=_stats(), learner=None, training=None, pending=[])
        if inputs.has("real_reference"):  # trained once per audit and setting
            p = state["params"]
            key = f"dialogue.ruber.learner:{p['context_turns']}:{p['max_train_pairs']}:{inputs.seed}"
            state["learner"], state["training"] = inputs.features.get(
                key, lambda: self._train_on_real(inputs, models, p))
        return state

    def _train_on_real(self, inputs, models, params) -> tuple[Any, dict[str, Any]]:
        pairs = [p for dialogues, _ in iter_dialogues(inputs, "real_reference")
                 for p in response_pairs(dialogues, context_turns=int(params["context_turns"]))]
        cap = int(params["max_train_pairs"])
        if len(pairs) > cap:
            keep = np.sort(np.random.default_rng(inputs.seed).choice(len(pairs), cap, replace=False))
            pairs = [pairs[i] for i in keep]
        texts = [p.response for p in pairs]
        c, r = embed(models, [p.context for p in pairs], inputs), embed(models, texts, inputs)
        learner = train_learner(models, c, r, texts, inputs.seed) if pairs else None
        info: dict[str, Any] = {"source": "real dialogues", "file": inputs.tables["real_reference"].label,
                                "pairs": len(pairs), "sampled": len(pairs) == cap}
        if learner is None:
            info["failed"] = (f"the real dialogues give fewer than {MIN_TRAIN_PAIRS} (context, response) pairs or "
                              "no two distinct responses")
        return learner, info

    def evaluate(self, dialogues, state) -> np.ndarray:
        pairs = self.pairs(dialogues, state)
        if not pairs:
            return np.full(len(dialogues), np.nan)
        models, inputs = state["models"], state["inputs"]
        c, r = embed(models, [p.context for p in pairs], inputs), embed(models, [p.response for p in pairs], inputs)
        has_ref = np.array([p.reference is not None for p in pairs], dtype=bool)
        s_ref = np.full(len(pairs), np.nan)
        if has_ref.any():
            refs = embed(models, [p.reference for p in pairs if p.reference is not None], inputs)
            s_ref[has_ref] = np.sum(r[has_ref] * refs, axis=1)
        if state["training"] is not None:  # trained on real data: score now
            s_unref = np.full(len(pairs), np.nan)
            if state["learner"] is not None:
                s_unref = state["learner"].predict_proba(features(c, r))[:, 1]
                _add(state["ref"], s_ref[has_ref])
                _add(state["unref"], s_unref[has_ref])
        else:  # cross-fitting needs the whole set: keep the features, score at finalize
            s_unref = np.full(len(pairs), np.nan)
            state["pending"].append({"c": c, "r": r, "texts": [p.response for p in pairs],
                                     "records": [p.record for p in pairs], "first_row": len(state["rows"])})
        for p, a, b in zip(pairs, s_ref, s_unref):
            state["rows"].append({"record": p.record, "turn": p.turn, "has_reference": p.reference is not None,
                                  "s_ref": None if np.isnan(a) else float(a),
                                  "s_unref": None if np.isnan(b) else float(b)})
        return np.full(len(dialogues), np.nan)  # per-record scores need the global min-max: set at finalize

    def merge(self, a, b):
        out = super().merge(a, b)
        shift = len(a["rows"])
        out.update(ref=_merge_stats(a["ref"], b["ref"]), unref=_merge_stats(a["unref"], b["unref"]),
                   pending=a["pending"] + [{**x, "first_row": x["first_row"] + shift} for x in b["pending"]])
        return out

    def _cross_fit(self, state, models, seed: int) -> dict[str, Any]:
        """Out-of-fold s_unref for every pending response (whole dialogues per fold)."""
        pend = state["pending"]
        c = np.vstack([x["c"] for x in pend])
        r = np.vstack([x["r"] for x in pend])
        texts = [t for x in pend for t in x["texts"]]
        records = [g for x in pend for g in x["records"]]
        rows = [x["first_row"] + i for x in pend for i in range(len(x["texts"]))]
        k = min(int(state["params"]["folds"]), len(set(records)))
        info: dict[str, Any] = {"source": "the evaluated set (cross-fitted)", "folds": k, "pairs": len(texts)}
        if k < 2:
            info["failed"] = "cross-fitting needs responses from at least two dialogues"
            return info
        folds = group_folds(records, k, seed)
        s_unref = np.full(len(texts), np.nan)
        oof_pos, oof_neg = [], []
        for f in range(k):
            tr, te = np.flatnonzero(folds != f), np.flatnonzero(folds == f)
            learner = train_learner(models, c[tr], r[tr], [texts[i] for i in tr], seed + f)
            if learner is None:
                info["failed"] = (f"a training fold has fewer than {MIN_TRAIN_PAIRS} responses or no two distinct "
                                  "ones (no negative pair)")
                return info
            s_unref[te] = learner.predict_proba(features(c[te], r[te]))[:, 1]
            if len(te) > 1:  # held-out check: true pairs vs shuffled ones of the same fold
                pos, neg = negatives(len(te), [texts[i] for i in te], seed + 100 + f)
                oof_pos.append(s_unref[te])
                if len(pos):
                    oof_neg.append(learner.predict_proba(features(c[te][pos], r[te][neg]))[:, 1])
        for i, v in zip(rows, s_unref):
            state["rows"][i]["s_unref"] = float(v)
        if oof_pos and sum(len(x) for x in oof_neg):
            from sklearn.metrics import roc_auc_score

            p, n = np.concatenate(oof_pos), np.concatenate(oof_neg)
            info["out_of_fold_auc_true_vs_shuffled"] = float(roc_auc_score(np.r_[np.ones(len(p)), np.zeros(len(n))],
                                                                           np.r_[p, n]))
        return info

    def finalize(self, state, inputs, models) -> MetricResult:
        params = state["params"]
        training = state["training"]
        if training is None and state["pending"]:
            training = self._cross_fit(state, models, inputs.seed)
            scored = [x for x in state["rows"] if x["has_reference"] and x["s_unref"] is not None]
            _add(state["ref"], np.array([x["s_ref"] for x in scored]))
            _add(state["unref"], np.array([x["s_unref"] for x in scored]))
        rows = [x for x in state["rows"] if x["has_reference"] and x["s_unref"] is not None]
        ref = np.array([x["s_ref"] for x in rows], dtype=float)
        unref = np.array([x["s_unref"] for x in rows], dtype=float)
        n_ref, n_unref = minmax(state["ref"], ref), minmax(state["unref"], unref)
        notes: dict[str, Any] = {**self.base_notes(state), "aggregation": params["aggregation"],
                                 "unref_training": training, "s_ref": "cosine of the response and reference "
                                 "embeddings", "s_unref": f"logistic regression on {FEATURES}, negatives = seeded "
                                 "shuffled responses (one per true pair)",
                                 "normalisation": "min-max over the evaluated set: per-response scores are not "
                                                  "comparable across runs",
                                 "responses_without_reference": sum(not x["has_reference"] for x in state["rows"])}
        if state["rows"]:
            notes["models"] = {"sentence_embedder": model_note(models.get("sentence_embedder")),
                               "downstream_learner": "scikit-learn LogisticRegression(C=1.0)"}
        secondary: dict[str, float | None] = {
            "s_ref_mean": state["ref"]["sum"] / state["ref"]["count"] if state["ref"]["count"] else None,
            "s_unref_mean": state["unref"]["sum"] / state["unref"]["count"] if state["unref"]["count"] else None}
        for name, st in (("s_ref", state["ref"]), ("s_unref", state["unref"])):
            secondary[f"{name}_min"] = st["min"] if st["count"] else None
            secondary[f"{name}_max"] = st["max"] if st["count"] else None
        if training and "out_of_fold_auc_true_vs_shuffled" in training:
            secondary["unref_out_of_fold_auc"] = training["out_of_fold_auc_true_vs_shuffled"]
        value, blended = None, np.full(len(rows), np.nan)
        if n_ref is None or n_unref is None:
            degenerate = [n for n, v in (("s_ref", n_ref), ("s_unref", n_unref)) if v is None]
            notes["undefined"] = (f"min-max normalisation is undefined: {', '.join(degenerate)} has fewer than two "
                                  "distinct values (or no scored response)")
        else:
            blended = blend(n_ref, n_unref, params["aggregation"])
            if params["aggregation"] == "arithmetic_mean":  # exact from the sufficient statistics
                means = [(st["sum"] / st["count"] - st["min"]) / (st["max"] - st["min"])
                         for st in (state["ref"], state["unref"])]
                value = 0.5 * (means[0] + means[1])
            else:
                value = float(blended.mean())
            secondary.update(s_ref_normalised_mean=float(n_ref.mean()), s_unref_normalised_mean=float(n_unref.mean()))
        out_rows = []
        for x, a, b, s in zip(rows, n_ref if n_ref is not None else ref * np.nan,
                              n_unref if n_unref is not None else unref * np.nan, blended):
            out_rows.append({**{k: x[k] for k in ("record", "turn", "s_ref", "s_unref")},
                             "s_ref_normalised": None if np.isnan(a) else float(a),
                             "s_unref_normalised": None if np.isnan(b) else float(b),
                             "score": None if np.isnan(s) else float(s)})
        records = state["records"]
        record_scores = mean_by_record(records, [x["record"] for x in out_rows], blended)
        notes.update(n_responses_scored=len(rows), n_records=len(records))
        return MetricResult(value=value, record_scores=record_scores, breakdown=out_rows, secondary=secondary,
                            notes=notes)

