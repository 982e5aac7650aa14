"""Inception Score from class posteriors (survey section 6.2, diversity): ``vl_image.inception_score`` (Inception-v3
over images) and ``vl_video.d_sem`` (a video action classifier). Only the (n, classes) probability rows enter here.

Mergeable through the entropy identity of the catalog notes: log IS = H(p(y)) - E_v[H(p(y|v))], so a state keeping
the count, the sum of the rows p(y|v) and the sum of their entropies can be updated by batches and merged across
shards (:class:`IsState`); this is the single-split value. The split protocol follows torchmetrics ``InceptionScore``:
the rows are cut into contiguous chunks as ``torch.chunk`` does (chunk size ceil(n / splits), so fewer chunks than
``splits`` can result, e.g. 9 for n = 25), IS is computed per chunk, and the mean and the sample std (ddof=1) over
chunks are reported. torchmetrics shuffles with ``torch.randperm`` first; here ``seed=None`` keeps the given row
order (pass rows permuted as torchmetrics would to reproduce it) and an integer seed draws a numpy permutation of
the rows in canonical order (sorted by content hash), which does not depend on the input order.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["IsState", "inception_score"]

#: tolerance on each row summing to 1
_SUM_ATOL = 1e-6


def _entropy_rows(p: np.ndarray) -> np.ndarray:
    """Shannon entropy (nats) of each row with 0 log 0 = 0."""
    from scipy.special import entr

    return entr(p).sum(axis=-1)


def _probs(probs: np.ndarray, n_classes: int | None = None) -> np.ndarray:
    p = np.asarray(probs, dtype=np.float64)
    if p.ndim != 2:
        raise ValueError(f"class probabilities must be a 2-D array (rows, classes), got shape {p.shape}")
    if n_classes is not None and p.shape[1] != n_classes:
        raise ValueError(f"expected {n_classes} classes per row, got shape {p.shape}")
    if p.shape[1] < 1:
        raise ValueError(f"class probabilities need at least one class, got shape {p.shape}")
    if not np.isfinite(p).all():
        raise ValueError("class probabilities contain NaN or inf")
    if (p < 0).any():
        raise ValueError("class probabilities must be non-negative (pass softmax(logits), not logits)")
    if p.shape[0] and not np.allclose(p.sum(axis=1), 1.0, rtol=0, atol=_SUM_ATOL):
        raise ValueError(f"each row of class probabilities must sum to 1 (within {_SUM_ATOL}); pass softmax(logits)")
    return p


@dataclass
class IsState:
    """Mergeable Inception Score state (survey 6.2, ``vl_image.inception_score`` / ``vl_video.d_sem``): ``count``
    rows, ``prob_sum`` = sum of p(y|v) and ``entropy_sum`` = sum of H(p(y|v)) in nats."""

    n_classes: int
    count: int = 0
    prob_sum: np.ndarray | None = None
    entropy_sum: float = 0.0

    def __post_init__(self) -> None:
        if not (isinstance(self.n_classes, (int, np.integer)) and self.n_classes >= 1):
            raise ValueError(f"n_classes must be a positive integer, got {self.n_classes!r}")
        if self.prob_sum is None:
            self.prob_sum = np.zeros(int(self.n_classes))

    def update(self, probs: np.ndarray) -> "IsState":
        """Add rows of class probabilities (n, n_classes), in place; returns self."""
        p = _probs(probs, int(self.n_classes))
        self.count += int(p.shape[0])
        self.prob_sum = self.prob_sum + p.sum(axis=0)
        self.entropy_sum += float(_entropy_rows(p).sum())
        return self

    def merge(self, other: "IsState") -> "IsState":
        """A new state holding the rows of both (order does not matter)."""
        if other.n_classes != self.n_classes:
            raise ValueError(f"cannot merge states over {self.n_classes} and {other.n_classes} classes")
        return IsState(self.n_classes, self.count + other.count, self.prob_sum + other.prob_sum,
                       self.entropy_sum + other.entropy_sum)

    def log_value(self) -> float:
        """log IS = H(mean p(y|v)) - mean H(p(y|v))."""
        if self.count < 1:
            raise ValueError("no rows: the Inception Score is undefined")
        marginal = self.prob_sum / self.count
        return float(_entropy_rows(marginal) - self.entropy_sum / self.count)

    def value(self) -> float:
        """IS = exp(E_v KL(p(y|v) || p(y))) over all rows (the single-split value)."""
        return float(np.exp(self.log_value()))


def _content_order(p: np.ndarray) -> np.ndarray:
    from synthaudit.stats.kernel_mmd import row_order

    return row_order(p)


def inception_score(probs: np.ndarray, splits: int = 10, seed: int | None = None) -> dict[str, float | int | None]:
    """Inception Score of class-probability rows (survey 6.2, ``vl_image.inception_score``, ``vl_video.d_sem``):
    ``value`` mean and ``std`` (ddof=1; None for one chunk) of the per-chunk IS over torch.chunk-style splits,
    ``splits`` the number of chunks actually used, and ``single_split`` the IS of all rows (module docstring)."""
    p = _probs(probs)
    n = p.shape[0]
    if n < 1:
        raise ValueError("no rows: the Inception Score is undefined")
    if not (isinstance(splits, (int, np.integer)) and splits >= 1):
        raise ValueError(f"splits must be a positive integer, got {splits!r}")
    if seed is not None:
        p = p[_content_order(p)]
        p = p[np.random.default_rng(seed).permutation(n)]
    size = -(-n // int(splits))  # torch.chunk: ceil(n / splits) rows per chunk, the last one shorter
    scores = np.array([IsState(p.shape[1]).update(p[i:i + size]).value() for i in range(0, n, size)])
    return {"value": float(scores.mean()), "std": float(scores.std(ddof=1)) if scores.size > 1 else None,
            "splits": int(scores.size), "single_split": IsState(p.shape[1]).update(p).value()}
