"""Pairwise-complete first and second moments that merge exactly (Chan et al.'s parallel update).

For k columns the state holds k x k matrices: for every pair (i, j), over the rows where both are
present, the count n, the means of x_i and x_j, their centred sums of squares and the co-moment.
Pearson correlations from it equal pandas' ``DataFrame.corr()`` (pairwise-complete observations).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class PairwiseMoments:
    n: np.ndarray      # (k, k) pairwise counts
    mean_i: np.ndarray  # (k, k) mean of column i over rows where i and j are present
    mean_j: np.ndarray  # (k, k) mean of column j over the same rows
    m2_i: np.ndarray   # (k, k) sum of squared deviations of column i
    m2_j: np.ndarray   # (k, k) sum of squared deviations of column j
    c: np.ndarray      # (k, k) co-moment sum (x_i - mean_i)(x_j - mean_j)

    @classmethod
    def empty(cls, k: int) -> "PairwiseMoments":
        z = np.zeros((k, k))
        return cls(z.copy(), z.copy(), z.copy(), z.copy(), z.copy(), z.copy())

    @classmethod
    def from_array(cls, x: np.ndarray) -> "PairwiseMoments":
        """Moments of one batch (rows x columns, NaN = missing)."""
        x = np.asarray(x, dtype=float)
        mask = ~np.isnan(x)
        m = mask.astype(float)
        # centre each column on its batch mean first so that the sums below do not cancel
        cnt = mask.sum(axis=0)
        shift = np.where(mask, x, 0.0).sum(axis=0) / np.maximum(cnt, 1)
        z = np.where(mask, x - shift, 0.0)
        n = m.T @ m
        s_i = z.T @ m            # sum of z_i over rows where j is present
        s_j = s_i.T              # sum of z_j over rows where i is present
        with np.errstate(invalid="ignore", divide="ignore"):
            mu_i = np.where(n > 0, s_i / n, 0.0)
            mu_j = np.where(n > 0, s_j / n, 0.0)
        sq = (z * z).T @ m
        m2_i = sq - n * mu_i ** 2
        m2_j = sq.T - n * mu_j ** 2
        c = z.T @ z - n * mu_i * mu_j
        return cls(n, mu_i + shift[:, None], mu_j + shift[None, :], np.maximum(m2_i, 0), np.maximum(m2_j, 0), c)

    def __add__(self, other: "PairwiseMoments") -> "PairwiseMoments":
        n = self.n + other.n
        with np.errstate(invalid="ignore", divide="ignore"):
            w = np.where(n > 0, self.n * other.n / np.where(n > 0, n, 1), 0.0)
            frac = np.where(n > 0, other.n / np.where(n > 0, n, 1), 0.0)
        d_i = other.mean_i - self.mean_i
        d_j = other.mean_j - self.mean_j
        return PairwiseMoments(
            n=n,
            mean_i=self.mean_i + d_i * frac,
            mean_j=self.mean_j + d_j * frac,
            m2_i=self.m2_i + other.m2_i + d_i ** 2 * w,
            m2_j=self.m2_j + other.m2_j + d_j ** 2 * w,
            c=self.c + other.c + d_i * d_j * w,
        )

    def corr(self) -> np.ndarray:
        """Pearson correlation per pair (NaN where fewer than 2 rows or a column is constant)."""
        with np.errstate(invalid="ignore", divide="ignore"):
            denom = np.sqrt(self.m2_i * self.m2_j)
            r = np.where((self.n >= 2) & (denom > 0), self.c / np.where(denom > 0, denom, 1), np.nan)
        return np.clip(r, -1.0, 1.0)

    def constant(self) -> np.ndarray:
        """(k, k) True where column i or j has no spread over the pair's rows."""
        n = np.maximum(self.n, 1)
        tol_i = 1e-24 * n * (np.abs(self.mean_i) + 1.0) ** 2  # relative to each column's own magnitude
        tol_j = 1e-24 * n * (np.abs(self.mean_j) + 1.0) ** 2
        return (self.m2_i <= tol_i) | (self.m2_j <= tol_j)
