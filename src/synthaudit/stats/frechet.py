"""Frechet distance between Gaussians fitted to feature sets (survey section 5.2, FCD; the same formula underlies
FID-style metrics): d^2 = ||mu_1 - mu_2||^2 + Tr(S_1 + S_2 - 2 (S_1 S_2)^(1/2)).

The Gaussians come from mergeable sufficient statistics (:class:`GaussianStats`: count, feature sum and sum of
outer products), so features can be streamed batch by batch and shards merged. The square root follows the
reference implementations (fcd, fcd_torch, pytorch-fid): ``scipy.linalg.sqrtm`` of S_1 S_2; when the result is
not finite or has a non-negligible imaginary diagonal, eps * I is added to both covariances and the root is
recomputed; the real part is kept, and an imaginary component above 1e-3 on the diagonal is an error.
BLAS runs on one thread during sqrtm: on the 2-core reference machine a 512 x 512 root took 0.4 s so against
5-10 s with OpenBLAS' two threads when the other core was busy (docs/molecules.md).
"""
from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass

import numpy as np

#: imaginary part on the diagonal of sqrtm(S_1 S_2) tolerated before the result is rejected (as fcd / pytorch-fid)
IMAG_ATOL = 1e-3


@dataclass
class GaussianStats:
    """Sufficient statistics of a feature set: ``n`` rows, their ``sum`` (d,) and ``outer`` = sum x x^T (d, d),
    accumulated in float64. ``update`` adds rows, ``merge`` adds two states (order does not matter)."""

    n: int
    sum: np.ndarray
    outer: np.ndarray

    @classmethod
    def empty(cls, dim: int) -> "GaussianStats":
        return cls(0, np.zeros(dim), np.zeros((dim, dim)))

    @classmethod
    def of(cls, x: np.ndarray) -> "GaussianStats":
        """The statistics of the rows of ``x`` (n, d)."""
        x = np.asarray(x, dtype=np.float64)
        if x.ndim != 2:
            raise ValueError(f"features must be a 2-D array (rows, dims), got shape {x.shape}")
        return cls(int(x.shape[0]), x.sum(axis=0), x.T @ x)

    @property
    def dim(self) -> int:
        return int(self.sum.shape[0])

    def update(self, x: np.ndarray) -> "GaussianStats":
        """Add the rows of ``x`` (in place); returns self."""
        other = GaussianStats.of(x)
        if other.n:
            self._check(other)
            self.n += other.n
            self.sum = self.sum + other.sum
            self.outer = self.outer + other.outer
        return self

    def merge(self, other: "GaussianStats") -> "GaussianStats":
        self._check(other)
        return GaussianStats(self.n + other.n, self.sum + other.sum, self.outer + other.outer)

    def _check(self, other: "GaussianStats") -> None:
        if other.dim != self.dim:
            raise ValueError(f"cannot combine statistics of {self.dim}-d and {other.dim}-d features")

    def mean(self) -> np.ndarray:
        if self.n < 1:
            raise ValueError("no rows: the mean is undefined")
        return self.sum / self.n

    def cov(self) -> np.ndarray:
        """Unbiased covariance (ddof=1, as ``np.cov``) from the sums: (sum xx^T - n mu mu^T) / (n - 1)."""
        if self.n < 2:
            raise ValueError(f"a covariance needs at least 2 rows, got {self.n}")
        mu = self.mean()
        c = (self.outer - self.n * np.outer(mu, mu)) / (self.n - 1)
        return (c + c.T) / 2.0


def _one_blas_thread() -> AbstractContextManager:
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - scikit-learn ships it
        return nullcontext()
    return threadpool_limits(1)


def sqrtm_product(sigma1: np.ndarray, sigma2: np.ndarray, eps: float = 1e-6) -> tuple[np.ndarray, bool]:
    """Real part of sqrtm(S_1 S_2) and whether the eps * I offset was needed (see the module docstring)."""
    from scipy import linalg

    with _one_blas_thread():
        covmean = linalg.sqrtm(sigma1 @ sigma2)
        offset = False
        if not np.isfinite(covmean).all() or not np.allclose(np.diagonal(covmean).imag, 0, atol=IMAG_ATOL):
            eye = np.eye(sigma1.shape[0]) * eps
            covmean = linalg.sqrtm((sigma1 + eye) @ (sigma2 + eye))
            offset = True
    if np.iscomplexobj(covmean):
        if not np.allclose(np.diagonal(covmean).imag, 0, atol=IMAG_ATOL):
            raise ValueError(f"the matrix square root has an imaginary component of "
                             f"{np.max(np.abs(covmean.imag)):.3g} (covariances too ill-conditioned)")
        covmean = covmean.real
    if not np.isfinite(covmean).all():
        raise ValueError("the matrix square root is not finite even after adding eps * I to the covariances")
    return covmean, offset


def frechet_terms(mu1: np.ndarray, sigma1: np.ndarray, mu2: np.ndarray, sigma2: np.ndarray,
                  eps: float = 1e-6) -> dict[str, float | bool]:
    """The two parts of the distance: ``mean_term`` ||mu_1 - mu_2||^2 and ``cov_term``
    Tr(S_1 + S_2 - 2 sqrt(S_1 S_2)), their sum ``distance`` and ``eps_offset`` (True when eps * I was added)."""
    mu1, mu2 = np.atleast_1d(np.asarray(mu1, float)), np.atleast_1d(np.asarray(mu2, float))
    sigma1, sigma2 = np.atleast_2d(np.asarray(sigma1, float)), np.atleast_2d(np.asarray(sigma2, float))
    if mu1.shape != mu2.shape or sigma1.shape != sigma2.shape or sigma1.shape != (mu1.size, mu1.size):
        raise ValueError(f"mismatched shapes: mu {mu1.shape} vs {mu2.shape}, sigma {sigma1.shape} vs {sigma2.shape}")
    diff = mu1 - mu2
    covmean, offset = sqrtm_product(sigma1, sigma2, eps)
    mean_term = float(diff @ diff)
    cov_term = float(np.trace(sigma1) + np.trace(sigma2) - 2.0 * np.trace(covmean))
    return {"mean_term": mean_term, "cov_term": cov_term, "distance": mean_term + cov_term, "eps_offset": offset}


def frechet_distance(mu1: np.ndarray, sigma1: np.ndarray, mu2: np.ndarray, sigma2: np.ndarray,
                     eps: float = 1e-6) -> float:
    """d^2 between N(mu_1, S_1) and N(mu_2, S_2) (not clipped: round-off can make it slightly negative)."""
    return float(frechet_terms(mu1, sigma1, mu2, sigma2, eps)["distance"])


def frechet_from_stats(a: GaussianStats, b: GaussianStats, eps: float = 1e-6) -> dict[str, float | bool]:
    """:func:`frechet_terms` of the Gaussians fitted to two sets of sufficient statistics."""
    return frechet_terms(a.mean(), a.cov(), b.mean(), b.cov(), eps)


def frechet_from_rows(x1: np.ndarray, x2: np.ndarray) -> dict[str, float | bool]:
    """The same distance from the feature rows themselves, exact and fast when there are fewer rows than dimensions
    (e.g. 100 videos with 2560-d features, where ``sqrtm`` of a d x d product takes half a minute and is
    inaccurate on the singular product): with A = (X_1 - mu_1)^T / sqrt(n_1 - 1) and B likewise (so S_1 = A A^T,
    S_2 = B B^T), the eigenvalues of S_1 S_2 are the squared singular values of A^T B, so
    Tr((S_1 S_2)^(1/2)) = ||A^T B||_* (the nuclear norm of an n_1 x n_2 matrix)."""
    x1, x2 = np.asarray(x1, dtype=np.float64), np.asarray(x2, dtype=np.float64)
    if x1.ndim != 2 or x2.ndim != 2 or x1.shape[1] != x2.shape[1]:
        raise ValueError(f"features must be 2-D with the same width, got {x1.shape} and {x2.shape}")
    if len(x1) < 2 or len(x2) < 2:
        raise ValueError("a covariance needs at least 2 rows per set")
    mu1, mu2 = x1.mean(axis=0), x2.mean(axis=0)
    a = (x1 - mu1) / np.sqrt(len(x1) - 1)
    b = (x2 - mu2) / np.sqrt(len(x2) - 1)
    with _one_blas_thread():
        nuclear = float(np.linalg.svd(a @ b.T, compute_uv=False).sum())
    diff = mu1 - mu2
    mean_term = float(diff @ diff)
    cov_term = float((a * a).sum() + (b * b).sum() - 2.0 * nuclear)
    return {"mean_term": mean_term, "cov_term": cov_term, "distance": mean_term + cov_term, "eps_offset": False}
