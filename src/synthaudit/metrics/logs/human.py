"""Human ratings of logs (survey sections 5.2 and 5.3.3): developer usefulness/readability
(logs.human_usefulness) and the Qualitative Effectiveness Score of anonymised logs (logs.qualitative_score),
Score = (1/|R|) sum_i r_i over the Likert responses R, with per-question means, the number of ratings and raters,
and inter-rater agreement (Krippendorff's alpha).

A record's ``--human-field`` holds a number (one rating), a list (one rating per rater; None/NaN = that rater gave
none) or a mapping question -> number or list. A plain number or list is the question 'overall'.
"""
from __future__ import annotations

import math
from collections import defaultdict
from typing import Any, Mapping, Sequence

import numpy as np

from synthaudit.data.logs import LogItem, spec_of
from synthaudit.errors import InputError
from synthaudit.metrics.logs.common import LogMetric
from synthaudit.metrics.registry import register
from synthaudit.metrics.result import MetricResult

DEFAULT_QUESTION = "overall"
AGREEMENT = ("interval", "ordinal")


# -- Krippendorff's alpha ------------------------------------------------------------------------------------------
def krippendorff_alpha(units: Sequence[Sequence[float]], level: str = "interval") -> float | None:
    """Krippendorff's alpha = 1 - D_o / D_e (Krippendorff 2011, "Computing Krippendorff's Alpha-Reliability")
    over units each holding the values the raters gave it (missing values left out; units with fewer than two
    values are not pairable and ignored), with the interval metric delta^2 = (c - k)^2 or the ordinal one
    delta^2 = (sum_{g=c..k} n_g - (n_c + n_k) / 2)^2. None when fewer than two values are pairable or every
    pairable value is the same (D_e = 0)."""
    if level not in AGREEMENT:
        raise ValueError(f"agreement {level!r}; expected one of {', '.join(AGREEMENT)}")
    kept = [np.asarray(u, dtype=float) for u in units if len(u) >= 2]
    if not kept:
        return None
    values = np.unique(np.concatenate(kept))
    if len(values) < 2:
        return None
    where = {v: i for i, v in enumerate(values)}
    o = np.zeros((len(values), len(values)))  # the coincidence matrix
    for u in kept:
        counts = np.bincount([where[v] for v in u], minlength=len(values)).astype(float)
        o += (np.outer(counts, counts) - np.diag(counts)) / (len(u) - 1)
    n_c = o.sum(axis=1)
    n = n_c.sum()
    if level == "interval":
        delta2 = (values[:, None] - values[None, :]) ** 2
    else:
        cum = np.cumsum(n_c)
        lo, hi = np.minimum.outer(np.arange(len(values)), np.arange(len(values))), \
            np.maximum.outer(np.arange(len(values)), np.arange(len(values)))
        between = cum[hi] - cum[lo] + n_c[lo]  # sum of n_g for g from the lower to the higher value
        delta2 = (between - (n_c[:, None] + n_c[None, :]) / 2) ** 2
        np.fill_diagonal(delta2, 0.0)
    expected = float((np.outer(n_c, n_c) * delta2).sum())
    if expected == 0:
        return None
    return float(1.0 - (n - 1) * float((o * delta2).sum()) / expected)


# -- reading ratings -----------------------------------------------------------------------------------------------
def _rating(v: Any, scale: tuple[float, float], where: dict[str, Any], question: str) -> float | None:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    if isinstance(v, (bool, np.bool_)):
        raise InputError(f"question {question!r}: a rating is a number, got {v!r}", **where)
    if isinstance(v, str):
        try:
            v = float(v.strip())
        except ValueError:
            raise InputError(f"question {question!r}: a rating is a number on the scale [{scale[0]:g}, "
                             f"{scale[1]:g}], got {v!r}", **where) from None
    if not isinstance(v, (int, float, np.integer, np.floating)):
        raise InputError(f"question {question!r}: a rating is a number or a list of numbers, got "
                         f"{type(v).__name__}", **where)
    x = float(v)
    if math.isnan(x):
        return None
    if not scale[0] <= x <= scale[1]:
        raise InputError(f"question {question!r}: rating {x:g} is outside the scale [{scale[0]:g}, {scale[1]:g}]",
                         **where)
    return x


def ratings_of(value: Any, scale: tuple[float, float], where: dict[str, Any]) -> dict[str, list[float | None]]:
    """question -> the ratings of one record, one per rater position (None: missing). InputError naming the record
    (``where``: file, row, field) for anything that is not a number on the scale."""
    if value is None:
        return {}
    if isinstance(value, Mapping):
        out = {}
        for q, v in value.items():
            vals = list(v) if isinstance(v, (list, tuple)) else [v]
            out[str(q)] = [_rating(x, scale, where, str(q)) for x in vals]
        return out
    vals = list(value) if isinstance(value, (list, tuple)) else [value]
    return {DEFAULT_QUESTION: [_rating(x, scale, where, DEFAULT_QUESTION) for x in vals]}


def scale_of(params: dict[str, Any], metric_id: str) -> tuple[float, float]:
    s = params["scale"]
    ok = isinstance(s, (list, tuple)) and len(s) == 2 and all(
        isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) for x in s) and s[0] < s[1]
    if not ok:
        raise ValueError(f"{metric_id}: scale must be [low, high] with low < high, got {s!r}")
    return float(s[0]), float(s[1])


def needs_ratings(inputs) -> str | None:
    return None if spec_of(inputs).human else "no human ratings (--human-field: a number, a list of rater scores " \
                                             "or a mapping question -> number or list)"


class HumanRating(LogMetric):
    """The mean Likert rating of the records (every response counts once), per question, with agreement."""

    breakdown_title = "Per question: mean rating, ratings, raters, spread and agreement"

    def check(self, params: dict[str, Any], inputs=None) -> None:
        scale_of(params, self.spec.id)
        if params["agreement"] not in AGREEMENT:
            raise ValueError(f"{self.spec.id}: agreement {params['agreement']!r}; expected one of "
                             f"{', '.join(AGREEMENT)}")

    def setup(self, state: dict) -> None:
        inputs = state["inputs"]
        state["scale"] = scale_of(state["params"], self.spec.id)
        state["where"] = {"file": inputs.tables["synthetic"].label, "field": spec_of(inputs).human}

    def evaluate(self, items: list[LogItem], state: dict) -> np.ndarray:
        scores = np.full(len(items), np.nan)
        units = state["extra"].setdefault("units", [])
        for i, it in enumerate(items):
            per_q = ratings_of(it.human, state["scale"], {**state["where"], "row": it.record})
            given = [x for vals in per_q.values() for x in vals if x is not None]
            if not given:
                state["counts"]["no_ratings"] += 1
                continue
            scores[i] = float(np.mean(given))
            state["counts"]["missing_ratings"] += sum(x is None for vals in per_q.values() for x in vals)
            for q, vals in per_q.items():
                units.append((q, tuple(x for x in vals if x is not None), len(vals)))
        return scores

    def finalize(self, state, inputs, models) -> MetricResult:
        result = super().finalize(state, inputs, models)
        result.breakdown = []
        result.notes.pop("breakdown_title", None)
        result.notes.pop("failures_shown", None)
        level = state["params"]["agreement"]
        by_q: dict[str, list[tuple[float, ...]]] = defaultdict(list)
        raters: dict[str, int] = defaultdict(int)
        for q, vals, width in state["extra"].get("units", []):
            if vals:
                by_q[q].append(vals)
            raters[q] = max(raters[q], width)
        every = [x for units in by_q.values() for u in units for x in u]
        mean_of_records = result.value
        result.value = float(np.mean(every)) if every else None
        for q, units in by_q.items():
            flat = np.array([x for u in units for x in u])
            result.breakdown.append({
                "question": q, "mean": float(flat.mean()), "n_ratings": int(flat.size), "n_records": len(units),
                "n_raters": raters[q], "std": float(flat.std(ddof=1)) if flat.size > 1 else None,
                "min": float(flat.min()), "max": float(flat.max()),
                f"alpha_{level}": krippendorff_alpha(units, level)})
        result.secondary.update({
            "n_ratings": float(len(every)), "n_raters": float(max(raters.values(), default=0)),
            "std": float(np.std(every, ddof=1)) if len(every) > 1 else None,
            "alpha": krippendorff_alpha([u for units in by_q.values() for u in units], level),
            "mean_of_record_means": mean_of_records,
            **{f"mean_{q}": r["mean"] for q, r in ((r["question"], r) for r in result.breakdown)}})
        lo, hi = state["scale"]
        result.notes.update(
            value="(1/|R|) sum_i r_i over every rating R of every question (record_scores: each record's mean)",
            scale=f"[{lo:g}, {hi:g}]", raters="a rater is a position in a record's list of ratings; n_raters = the "
            "longest list", agreement=f"Krippendorff's alpha ({level} metric) per question over the records rated "
            "at least twice; secondary alpha pools every (record, question) unit; None when undefined (fewer than "
            "two pairable ratings, or all equal)", breakdown_title=self.breakdown_title)
        result.notes.setdefault("no_ratings", 0)
        result.notes.setdefault("missing_ratings", 0)
        return result


PARAMS = {"scale": {"default": [1, 5]},
          "agreement": {"default": "interval", "options": list(AGREEMENT),
                        "note": "code param: Krippendorff's alpha metric (interval or ordinal)"}}


@register(id="logs.human_usefulness", name="Developer usefulness/readability rating (Likert)", modality="logs",
          pillar="quality", dimension="utility", section="5.2", direction="higher_better", range=(1.0, 5.0),
          inputs=("synthetic", "human_scores"), models=("none",), computation="record", params=PARAMS,
          applies=needs_ratings)
class HumanUsefulness(HumanRating):
    """Mean Likert rating by developers of the usefulness and readability of generated logs (section 5.2), per
    question, with the number of ratings and raters and Krippendorff's alpha."""


@register(id="logs.qualitative_score", name="Qualitative Effectiveness Score (Score_Qualitative)", modality="logs",
          pillar="trust", dimension="privacy", section="5.3", direction="higher_better", range=(1.0, 5.0),
          inputs=("synthetic", "human_scores"), models=("none",), computation="record", params=PARAMS,
          applies=needs_ratings)
class QualitativeScore(HumanRating):
    """Score_Qualitative = (1/|R|) sum_i r_i (section 5.3.3), the mean expert Likert response on the anonymised logs
    (privacy protection, utility preservation), per question with n, spread and Krippendorff's alpha."""
