"""Temporal grounding recall (survey section 6.2, validity): ``vl_video.recall_at_k_iou``, R@K at temporal IoU
delta and R@K-Avg, as the TALL / Charades-STA evaluation scripts compute them.

Temporal IoU of [s1, e1] and [s2, e2] is max(0, min(e) - max(s)) / (max(e) - min(s)): the union is the span of
both intervals, which equals the length of their union whenever they overlap (and IoU is 0 otherwise). Touching
intervals give 0; a zero span (two identical zero-length intervals) gives 0, as it has no measurable overlap.
Predictions of a sample are ranked by score, highest first; equal scores keep their input order (stable sort). A
sample without predictions counts as a miss.
"""
from __future__ import annotations

import math
import numbers
from collections.abc import Sequence

__all__ = ["r_at_k_avg", "recall_at_k", "temporal_iou"]


def _interval(x: Sequence[float], name: str) -> tuple[float, float]:
    try:
        s, e = (float(v) for v in x)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a (start, end) pair of numbers, got {x!r}") from None
    if not (math.isfinite(s) and math.isfinite(e)):
        raise ValueError(f"{name} must have finite start and end, got {x!r}")
    if s > e:
        raise ValueError(f"{name} has start > end: {x!r}")
    return s, e


def temporal_iou(a: Sequence[float], b: Sequence[float]) -> float:
    """Temporal IoU of two [start, end] intervals (survey 6.2, ``vl_video.recall_at_k_iou``; module docstring for
    touching and zero-length intervals). start > end or non-finite bounds raise ValueError."""
    s1, e1 = _interval(a, "interval a")
    s2, e2 = _interval(b, "interval b")
    inter = max(0.0, min(e1, e2) - max(s1, s2))
    span = max(e1, e2) - min(s1, s2)
    return inter / span if span > 0 else 0.0


def _check_params(ks: Sequence[int], thresholds: Sequence[float]) -> tuple[list[int], list[float]]:
    ks = list(ks)
    if not ks or any(not isinstance(k, numbers.Integral) or isinstance(k, bool) or k < 1 for k in ks):
        raise ValueError(f"ks must be a non-empty list of positive integers, got {ks!r}")
    ks = [int(k) for k in ks]
    thresholds = [float(t) for t in thresholds]
    if not thresholds or any(not (0.0 < t <= 1.0) for t in thresholds):
        raise ValueError(f"thresholds must be a non-empty list of IoU values in (0, 1], got {thresholds!r}")
    return ks, thresholds


def _best_ious(predictions: Sequence[Sequence[tuple[float, float, float]]], gts: Sequence[tuple[float, float]],
               kmax: int) -> list[list[float]]:
    """Per sample, the running maximum IoU over the top-1..kmax ranked predictions (shorter when fewer)."""
    if len(predictions) != len(gts):
        raise ValueError(f"expected one prediction list per ground truth, got {len(predictions)} lists for "
                         f"{len(gts)} ground truths")
    if not gts:
        raise ValueError("no samples: R@K is undefined")
    out = []
    for i, (preds, gt) in enumerate(zip(predictions, gts)):
        g = _interval(gt, f"ground truth {i}")
        scored = []
        for j, p in enumerate(preds):
            if len(p) != 3:
                raise ValueError(f"prediction {j} of sample {i} must be (start, end, score), got {p!r}")
            score = float(p[2])
            if math.isnan(score):
                raise ValueError(f"prediction {j} of sample {i} has a NaN score")
            scored.append((_interval(p[:2], f"prediction {j} of sample {i}"), score))
        ranked = sorted(scored, key=lambda t: -t[1])  # stable: ties keep input order
        best, run = [], 0.0
        for iv, _ in ranked[:kmax]:
            run = max(run, temporal_iou(iv, g))
            best.append(run)
        out.append(best)
    return out


def recall_at_k(predictions: Sequence[Sequence[tuple[float, float, float]]], gts: Sequence[tuple[float, float]],
                ks: Sequence[int] = (1, 5), thresholds: Sequence[float] = (0.3, 0.5, 0.7)
                ) -> dict[tuple[int, float], float]:
    """R@K(delta) (survey 6.2, ``vl_video.recall_at_k_iou``): the share of samples whose top-K predictions (by
    score, ties in input order) include one with tIoU >= delta against the sample's ground truth; keys (K, delta)."""
    ks, thresholds = _check_params(ks, thresholds)
    best = _best_ious(predictions, gts, max(ks))
    n = len(best)
    out: dict[tuple[int, float], float] = {}
    for k in ks:
        top = [b[min(k, len(b)) - 1] if b else None for b in best]
        for t in thresholds:
            out[(k, t)] = sum(1 for v in top if v is not None and v >= t) / n
    return out


def r_at_k_avg(predictions: Sequence[Sequence[tuple[float, float, float]]], gts: Sequence[tuple[float, float]],
               ks: Sequence[int] = (1, 5), thresholds: Sequence[float] = (0.3, 0.5, 0.7)) -> dict[int, float]:
    """R@K-Avg (survey 6.2, ``vl_video.recall_at_k_iou`` with average_over_thresholds): for each K, the mean of
    :func:`recall_at_k` over the thresholds."""
    ks, thresholds = _check_params(ks, thresholds)
    r = recall_at_k(predictions, gts, ks, thresholds)
    return {k: sum(r[(k, t)] for t in thresholds) / len(thresholds) for k in ks}
