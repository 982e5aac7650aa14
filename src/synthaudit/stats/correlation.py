"""Rank and linear correlation with a seeded bootstrap confidence interval (survey section 3.2,
rho_LLM-human: agreement of judge scores with human scores)."""
from __future__ import annotations

import numpy as np


def average_ranks(x: np.ndarray) -> np.ndarray:
    """1-based ranks, ties given the mean of the ranks they span (as Spearman's rho needs)."""
    x = np.asarray(x, dtype=float)
    order = np.argsort(x, kind="stable")
    sorted_x = x[order]
    starts = np.flatnonzero(np.r_[True, sorted_x[1:] != sorted_x[:-1]])
    ends = np.r_[starts[1:], x.size]
    ranks = np.empty(x.size, dtype=float)
    for s, e in zip(starts, ends):
        ranks[order[s:e]] = (s + e + 1) / 2.0  # mean of the 1-based ranks s+1 .. e
    return ranks


def pearson(x: np.ndarray, y: np.ndarray) -> float | None:
    """Pearson's r; None when either side is constant or fewer than 2 pairs."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if x.size < 2:
        return None
    dx, dy = x - x.mean(), y - y.mean()
    den = float(np.sqrt((dx * dx).sum() * (dy * dy).sum()))
    return None if den == 0.0 else float(np.clip((dx * dy).sum() / den, -1.0, 1.0))


def spearman(x: np.ndarray, y: np.ndarray) -> float | None:
    """Spearman's rho: Pearson's r of the average ranks."""
    return pearson(average_ranks(x), average_ranks(y))


METHODS = {"spearman": spearman, "pearson": pearson}


def bootstrap_ci(x: np.ndarray, y: np.ndarray, method: str, *, n_boot: int = 1000, level: float = 0.95,
                 seed: int = 0) -> tuple[float, float] | None:
    """Percentile interval of the correlation over ``n_boot`` seeded resamples of the pairs (resamples where
    the correlation is undefined, e.g. a constant side, are left out); None with fewer than 3 pairs."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if x.size < 3:
        return None
    fn = METHODS[method]
    rng = np.random.default_rng(seed)
    vals = []
    for _ in range(int(n_boot)):
        idx = rng.integers(0, x.size, x.size)
        v = fn(x[idx], y[idx])
        if v is not None:
            vals.append(v)
    if len(vals) < 2:
        return None
    alpha = (1.0 - level) / 2.0
    return float(np.quantile(vals, alpha)), float(np.quantile(vals, 1.0 - alpha))
