"""Shared machinery of the dialogue metrics (survey sections 2.2-2.3).

A record is a dialogue. Context-based metrics score each assistant turn (a *response*) against the turns
before it; their value is the mean over responses, the per-record score the mean over the dialogue's
responses, and every response is a breakdown row. Assistant turns that open a dialogue have no context and
are skipped (counted); missing and empty dialogues are counted and get no score.
"""
from __future__ import annotations

import json
from collections import OrderedDict
from typing import Any, Sequence

import numpy as np

from synthaudit.data.dialogue import (CONTEXT_FORMAT, Dialogue, DialogueStats, ResponsePair, parse_batch,
                                      response_pairs, spec_of)
from synthaudit.metrics.registry import RecordMetric
from synthaudit.metrics.result import MetricResult
from synthaudit.metrics.sampling import Sampler

#: parameters every context-based metric adds to its catalog ones
RESPONSES = {"default": "all", "options": ["all", "last"],
             "note": "score every assistant turn, or only the last one of each dialogue"}


def context_param(default: int, why: str) -> dict[str, Any]:
    return {"default": default, "note": f"preceding turns shown as context, 0 = all ({why})"}


def model_note(backend: Any) -> dict[str, str]:
    """The name and variant of a loaded backend, for a result's notes."""
    return {"name": str(getattr(backend, "name", type(backend).__name__)),
            "variant": str(getattr(backend, "variant", "n/a"))}


def lm_truncations(models: Any) -> int:
    """Sequences the causal LM has cut to its maximum length so far (0 when it is not loaded)."""
    return int(getattr(models.get("causal_lm"), "truncated", 0)) if models.loaded("causal_lm") else 0


def mean_by_record(records: Sequence[int], response_records: Sequence[int], scores: np.ndarray) -> np.ndarray:
    """Per-record mean of the responses' scores (NaN for a record with no defined score); the i-th score
    belongs to record ``response_records[i]``."""
    sums: dict[int, list[float]] = {}
    for rec, s in zip(response_records, scores):
        if not np.isnan(s):
            sums.setdefault(rec, []).append(float(s))
    return np.array([np.mean(sums[r]) if r in sums else np.nan for r in records], dtype=float)


class DialogueMetric(RecordMetric):
    """A record metric over parsed dialogues: subclasses implement ``evaluate(dialogues, state)``."""

    def check(self, params: dict[str, Any]) -> None:
        """Raise ValueError for invalid parameters (before any model is loaded)."""

    def init(self, inputs, models) -> dict[str, Any]:
        params = inputs.params_for(self.spec.id, self.spec.default_params())
        self.check(params)
        sampler = Sampler(inputs, int(params["max_records"] or 0)) if "max_records" in params else None
        return {"inputs": inputs, "models": models, "params": params, "offset": 0, "stats": DialogueStats(),
                "records": [], "scores": [], "rows": [], "skipped_openers": 0, "sampler": sampler}

    def update(self, state: dict[str, Any], role: str, batch) -> dict[str, Any]:
        inputs = state["inputs"]
        dialogues, stats = parse_batch(batch, spec_of(inputs, role), inputs.tables[role].label, state["offset"])
        state["offset"] += len(batch)
        state["stats"].add(stats)
        state["records"].extend(state["offset"] - len(batch) + i + 1 for i in range(len(batch)))
        if state["sampler"] is not None:  # costly judge/LM metrics: a seeded content-hash sample of dialogues
            keys = [None if d is None else json.dumps([[t.role, t.content] for t in d.turns], ensure_ascii=False)
                    for d in dialogues]
            dialogues = [d if k else None for d, k in zip(dialogues, state["sampler"].keep(keys))]
        state["scores"].append(np.asarray(self.evaluate(dialogues, state), dtype=float))
        return state

    def merge(self, a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
        off = dict(a.get("off_format", {}))
        for k, v in b.get("off_format", {}).items():
            off[k] = off.get(k, 0) + v
        return {**a, "stats": DialogueStats().add(a["stats"]).add(b["stats"]), "records": a["records"] + b["records"],
                "scores": a["scores"] + b["scores"], "rows": a["rows"] + b["rows"],
                "skipped_openers": a["skipped_openers"] + b["skipped_openers"],
                "truncated": a.get("truncated", 0) + b.get("truncated", 0), "off_format": off,
                "sampler": a["sampler"] + b["sampler"] if a["sampler"] is not None else None}

    def score(self, batch, inputs, models) -> np.ndarray:
        state = self.update(self.init(inputs, models), "synthetic", batch)
        return state["scores"][0]

    def evaluate(self, dialogues: list[Dialogue | None], state: dict[str, Any]) -> np.ndarray:
        raise NotImplementedError

    def dialogue_result(self, state: dict[str, Any]) -> MetricResult:
        """Value = mean of the defined per-dialogue scores (a dialogue-level metric)."""
        scores = np.concatenate(state["scores"]) if state["scores"] else np.zeros(0)
        defined = scores[~np.isnan(scores)]
        notes = {"dialogues": state["stats"].as_notes(), "n_records": int(scores.size),
                 "n_dialogues_scored": int(defined.size), "n_undefined": int(scores.size - defined.size)}
        return MetricResult(value=float(defined.mean()) if defined.size else None, record_scores=scores, notes=notes)

    # -- helpers for response-level metrics ------------------------------------------------------------
    def pairs(self, dialogues: list[Dialogue | None], state: dict[str, Any]) -> list[ResponsePair]:
        p = state["params"]
        state["skipped_openers"] += sum(1 for d in dialogues if d is not None and d.turns
                                        and d.turns[0].role == "assistant"
                                        and (p.get("responses", "all") == "all" or len(d.assistant_turns) == 1))
        return response_pairs(dialogues, context_turns=int(p.get("context_turns", 0)),
                              which=p.get("responses", "all"))

    def base_notes(self, state: dict[str, Any]) -> dict[str, Any]:
        p = state["params"]
        notes: dict[str, Any] = {"dialogues": state["stats"].as_notes(), "responses": p.get("responses", "all")}
        if "context_turns" in p:
            notes["context"] = (f"the last {p['context_turns']} preceding turn(s)" if p["context_turns"] else
                                "all preceding turns") + f", {CONTEXT_FORMAT}"
        if state.get("sampler") is not None and state["sampler"].note():
            notes["sample"] = state["sampler"].note().replace(" records", " dialogues")
        if state["skipped_openers"]:
            notes["skipped_openers"] = (f"{state['skipped_openers']} assistant turn(s) open their dialogue (no "
                                        "context) and were not scored")
        return notes

    def response_result(self, state: dict[str, Any], score_key: str = "score") -> MetricResult:
        """Value = mean over responses; record scores = per-dialogue means; rows = responses."""
        scores = np.array([r[score_key] if r[score_key] is not None else np.nan for r in state["rows"]], dtype=float)
        defined = scores[~np.isnan(scores)]
        record_scores = np.concatenate(state["scores"]) if state["scores"] else np.zeros(0)
        notes = {**self.base_notes(state), "n_responses": int(scores.size),
                 "n_undefined_responses": int(scores.size - defined.size),
                 "n_records": int(record_scores.size),
                 "n_undefined_records": int(np.isnan(record_scores).sum()),
                 "value": "mean over responses; per-record score = mean over the dialogue's responses"}
        secondary = {"mean_over_dialogues": float(np.nanmean(record_scores))
                     if np.isfinite(record_scores).any() else None}
        return MetricResult(value=float(defined.mean()) if defined.size else None, record_scores=record_scores,
                            breakdown=state["rows"], secondary=secondary, notes=notes)


def check_choice(name: str, value: Any, options: Sequence[str]) -> None:
    if value not in options:
        raise ValueError(f"{name} must be one of {', '.join(options)}, got {value!r}")


def check_context(params: dict[str, Any]) -> None:
    check_choice("responses", params.get("responses", "all"), ("all", "last"))
    c = params.get("context_turns", 0)
    if isinstance(c, bool) or not isinstance(c, (int, np.integer)) or c < 0:
        raise ValueError(f"context_turns must be an integer >= 0 (0 = all preceding turns), got {c!r}")


class EmbeddingCache:
    """Unit-norm embeddings by text, the ``limit`` most recent kept (shared by the metrics of one audit)."""

    def __init__(self, limit: int = 50_000) -> None:
        self.limit = limit
        self._store: OrderedDict[str, np.ndarray] = OrderedDict()

    def lookup(self, models, texts: Sequence[str]) -> np.ndarray:
        todo = [t for t in dict.fromkeys(texts) if t not in self._store]
        if todo:
            vecs = np.asarray(models.get("sentence_embedder").encode(todo), dtype=np.float64)
            norms = np.linalg.norm(vecs, axis=1, keepdims=True)
            for t, v in zip(todo, vecs / np.where(norms > 0, norms, 1.0)):
                self._store[t] = v
        out = np.stack([self._store[t] for t in texts]) if texts else np.zeros((0, 0))
        for t in dict.fromkeys(texts):
            self._store.move_to_end(t)
        while len(self._store) > self.limit:
            self._store.popitem(last=False)
        return out


def embed(models, texts: Sequence[str], inputs=None) -> np.ndarray:
    """Unit-norm float64 embeddings (``sentence_embedder``), each distinct text encoded once; with
    ``inputs``, texts already embedded in this audit are reused."""
    cache = inputs.features.get("dialogue.embeddings", EmbeddingCache) if inputs is not None else EmbeddingCache()
    return cache.lookup(models, list(texts))


def group_folds(groups: Sequence[int], k: int, seed: int) -> np.ndarray:
    """A fold number per item, whole groups (dialogues) per fold, assigned by a seeded permutation."""
    unique = np.unique(np.asarray(groups))
    order = np.random.default_rng(seed).permutation(len(unique))
    fold_of = {int(g): int(i % k) for g, i in zip(unique[order], range(len(unique)))}
    return np.array([fold_of[int(g)] for g in groups], dtype=int)
