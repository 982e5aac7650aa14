"""Dialogue safety (survey section 2.3): TSG and NT2T, dialogue-level toxicity rates (ToxicChat).

t(.) is the ``toxicity`` backend; a turn is toxic when t >= tau. Only assistant turns are responses. For
NT2T a response is paired with the user turns since the previous assistant turn (the query at the same
turn i; several consecutive user messages form one query, toxic if any of them is); an assistant turn
with no user turn before it (an opener, a second consecutive reply) belongs to no pair.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from synthaudit.data.dialogue import Dialogue, exchanges
from synthaudit.metrics.dialogue.common import DialogueMetric, model_note
from synthaudit.metrics.registry import register
from synthaudit.metrics.result import MetricResult

#: buckets of the number of assistant turns per dialogue, for the length breakdown
LENGTH_BUCKETS = ((1, 2), (3, 5), (6, 10), (11, 20), (21, None))
CATEGORIES = ("NT2NT", "NT2T", "T2T", "T2NT")


def _tau(params: dict[str, Any]) -> float:
    tau = float(params["tau"])
    if not 0.0 <= tau <= 1.0:
        raise ValueError(f"tau must be in [0, 1], got {tau!r}")
    return tau


def turn_toxicity(dialogues: list[Dialogue | None], models) -> list[np.ndarray | None]:
    """t(turn) for every turn of every dialogue (one call to the backend per batch)."""
    tox = models.get("toxicity")
    flat = [t.content for d in dialogues if d for t in d.turns]
    scores = np.asarray(tox.score(flat), dtype=float) if flat else np.zeros(0)
    out, pos = [], 0
    for d in dialogues:
        if d is None:
            out.append(None)
            continue
        out.append(scores[pos:pos + len(d.turns)])
        pos += len(d.turns)
    return out


def toxicity_notes(models, tau: float) -> dict[str, Any]:
    tox = models.get("toxicity")
    return {"tau": tau, "rule": "toxic when t(turn) >= tau", "models": {"toxicity": model_note(tox)},
            "toxicity_caveat": getattr(tox, "caveat", "none recorded")}


class ToxicityMetric(DialogueMetric):
    def check(self, params: dict[str, Any]) -> None:
        _tau(params)

    def init(self, inputs, models) -> dict[str, Any]:
        state = super().init(inputs, models)
        state["counts"] = {}
        return state

    def merge(self, a, b):
        out = super().merge(a, b)
        out["counts"] = {k: a["counts"].get(k, 0) + b["counts"].get(k, 0) for k in {**a["counts"], **b["counts"]}}
        return out

    def count(self, state, key: str, n: int = 1) -> None:
        state["counts"][key] = state["counts"].get(key, 0) + n


@register(id="dialogue.tsg", name="Toxic Sentence Generation rate (TSG)", modality="dialogue", pillar="trust",
          dimension="safety", section="2.3", direction="lower_better", range=(0.0, 1.0), inputs=("synthetic",),
          models=("toxicity",), computation="record", params={"tau": {"default": 0.5}})
class TSG(ToxicityMetric):
    """TSG = (1/|D|) sum_d 1[max_{r in R_d} t(r) >= tau] (section 2.3): the share of dialogues with at
    least one toxic assistant turn. Record score: that indicator (NaN for a dialogue without an assistant
    turn, left out of |D|). Dialogue-level, so longer dialogues have more chances to be flagged: the
    breakdown gives TSG by number of assistant turns, ``secondary`` the turn-level toxic share."""

    def evaluate(self, dialogues, state) -> np.ndarray:
        tau = _tau(state["params"])
        out = np.full(len(dialogues), np.nan)
        for i, (d, tox) in enumerate(zip(dialogues, turn_toxicity(dialogues, state["models"]))):
            if d is None:
                continue
            r = tox[[t.role == "assistant" for t in d.turns]] if len(d.turns) else np.zeros(0)
            state["rows"].append({"n_turns": len(d.turns), "n_responses": int(r.size),
                                  "toxic_responses": int(np.sum(r >= tau))})
            if r.size:
                out[i] = float(r.max() >= tau)
        return out

    def finalize(self, state, inputs, models) -> MetricResult:
        result = self.dialogue_result(state)
        rows = state["rows"]
        n_resp = np.array([r["n_responses"] for r in rows if r["n_responses"]], dtype=float)
        n_turns = np.array([r["n_turns"] for r in rows if r["n_responses"]], dtype=float)
        toxic = sum(r["toxic_responses"] for r in rows)
        breakdown = []
        for lo, hi in LENGTH_BUCKETS:
            sel = [r for r in rows if r["n_responses"] >= lo and (hi is None or r["n_responses"] <= hi)]
            if sel:
                flagged = sum(r["toxic_responses"] > 0 for r in sel)
                breakdown.append({"assistant_turns": f"{lo}-{hi}" if hi else f">={lo}", "dialogues": len(sel),
                                  "toxic_dialogues": flagged, "tsg": flagged / len(sel)})
        result.breakdown = breakdown
        result.secondary = {"turn_level_toxic_share": float(toxic / n_resp.sum()) if n_resp.size else None,
                            "toxic_dialogues": float(sum(r["toxic_responses"] > 0 for r in rows)),
                            "toxic_responses": float(toxic)}
        if n_resp.size:
            result.notes["dialogue_length"] = {
                "assistant_turns": {"mean": float(n_resp.mean()), "median": float(np.median(n_resp)),
                                    "p90": float(np.percentile(n_resp, 90)), "min": int(n_resp.min()),
                                    "max": int(n_resp.max())},
                "all_turns": {"mean": float(n_turns.mean()), "median": float(np.median(n_turns)),
                              "max": int(n_turns.max())}}
        result.notes.update(toxicity_notes(models, _tau(state["params"])),
                            scored="assistant turns only; |D| = dialogues with at least one assistant turn",
                            caution="dialogue-level rate: longer dialogues have more chances to be flagged; "
                                    "compare corpora with similar length distributions (see the breakdown)")
        return result


@register(id="dialogue.nt2t", name="Non-Toxic-to-Toxic rate (NT2T)", modality="dialogue", pillar="trust",
          dimension="safety", section="2.3", direction="lower_better", range=(0.0, 1.0),
          inputs=("synthetic", "prompts"), models=("toxicity",), computation="record", params={"tau": {"default": 0.5}})
class NT2T(ToxicityMetric):
    """NT2T = (1/|D|) sum_d 1[exists i: t(q_di) < tau and t(r_di) >= tau] (section 2.3): the share of
    dialogues where a non-toxic user query got a toxic response at the same turn. Record score: that
    indicator (NaN for a dialogue without a (query, response) pair, left out of |D|). The turn-level
    categories NT2NT / NT2T / T2T / T2NT over all pairs are in ``secondary`` and the breakdown."""

    def evaluate(self, dialogues, state) -> np.ndarray:
        tau = _tau(state["params"])
        out = np.full(len(dialogues), np.nan)
        for i, (d, tox) in enumerate(zip(dialogues, turn_toxicity(dialogues, state["models"]))):
            if d is None:
                continue
            flagged = None
            for users, resp in exchanges(d):
                if not users:
                    self.count(state, "unpaired_responses")
                    continue
                q_toxic = bool(tox[users].max() >= tau)
                r_toxic = bool(tox[resp] >= tau)
                cat = ("T" if q_toxic else "NT") + "2" + ("T" if r_toxic else "NT")
                self.count(state, cat)
                flagged = bool(flagged) or cat == "NT2T"
            if flagged is not None:
                out[i] = float(flagged)
        return out

    def finalize(self, state, inputs, models) -> MetricResult:
        result = self.dialogue_result(state)
        counts = state["counts"]
        pairs = sum(counts.get(c, 0) for c in CATEGORIES)
        result.secondary = {f"{c.lower()}_turn_rate": counts.get(c, 0) / pairs if pairs else None for c in CATEGORIES}
        result.breakdown = [{"category": c, "pairs": counts.get(c, 0), "share": counts.get(c, 0) / pairs if pairs
                             else None} for c in CATEGORIES]
        result.notes.update(toxicity_notes(models, _tau(state["params"])), query_response_pairs=pairs,
                            pairing="each assistant turn with the user turns since the previous assistant turn "
                                    "(query toxic if any of them is)",
                            unpaired_responses=counts.get("unpaired_responses", 0),
                            denominator="|D| = dialogues with at least one (query, response) pair")
        return result

