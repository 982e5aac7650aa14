"""Kernel two-sample estimates on feature sets (survey section 6.2, fidelity; used next to ``vl_image.fid``):
the unbiased MMD^2 of Gretton et al. (2012), the polynomial-kernel KID estimate as torchmetrics'
``KernelInceptionDistance`` computes it, and a Gaussian-kernel MMD^2 with the median heuristic.

KID is not a catalog entry of its own (catalog NOTES item 41): it is offered as a companion of ``vl_image.fid`` that is
unbiased in the sample size. Its subset draws start from a canonical row order (rows sorted by a BLAKE2 hash of
their float64 bytes), so the value for a seed does not depend on the order the rows came in.
"""
from __future__ import annotations

import hashlib

import numpy as np

__all__ = ["kid", "median_bandwidth", "mmd2_rbf", "mmd2_unbiased", "polynomial_kernel", "row_order"]

#: kernel entries (real^2 + syn^2 + real*syn) up to which kid() computes the Gram matrices once for all subsets
_GRAM_CACHE_ENTRIES = 16_000_000


def _features(x: np.ndarray, name: str) -> np.ndarray:
    a = np.asarray(x, dtype=np.float64)
    if a.ndim != 2:
        raise ValueError(f"{name} features must be a 2-D array (rows, dims), got shape {a.shape}")
    if a.shape[0] < 2:
        raise ValueError(f"{name} features need at least 2 rows for an unbiased MMD^2, got {a.shape[0]}")
    if a.shape[1] < 1:
        raise ValueError(f"{name} features need at least 1 column, got shape {a.shape}")
    if not np.isfinite(a).all():
        raise ValueError(f"{name} features contain NaN or inf")
    return a


def _pair(x: np.ndarray, y: np.ndarray, names: tuple[str, str]) -> tuple[np.ndarray, np.ndarray]:
    a, b = _features(x, names[0]), _features(y, names[1])
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"{names[0]} and {names[1]} features must have the same width, got {a.shape} and {b.shape}")
    return a, b


def mmd2_unbiased(kxx: np.ndarray, kyy: np.ndarray, kxy: np.ndarray) -> float:
    """Unbiased MMD^2 (Gretton et al. 2012, eq. 3) from kernel matrices K_xx (m, m), K_yy (n, n), K_xy (m, n):
    sum_{i!=j} K_xx / (m(m-1)) + sum_{i!=j} K_yy / (n(n-1)) - 2 sum K_xy / (mn); diagonals are excluded, so the
    value can be slightly negative. Survey 6.2 (companion of ``vl_image.fid``)."""
    kxx, kyy, kxy = (np.asarray(k, dtype=np.float64) for k in (kxx, kyy, kxy))
    if kxx.ndim != 2 or kxx.shape[0] != kxx.shape[1] or kyy.ndim != 2 or kyy.shape[0] != kyy.shape[1]:
        raise ValueError(f"K_xx and K_yy must be square, got shapes {kxx.shape} and {kyy.shape}")
    m, n = kxx.shape[0], kyy.shape[0]
    if kxy.shape != (m, n):
        raise ValueError(f"K_xy must have shape ({m}, {n}) to match K_xx {kxx.shape} and K_yy {kyy.shape}, "
                         f"got {kxy.shape}")
    if m < 2 or n < 2:
        raise ValueError(f"the unbiased MMD^2 needs at least 2 rows per side, got {m} and {n}")
    if not (np.isfinite(kxx).all() and np.isfinite(kyy).all() and np.isfinite(kxy).all()):
        raise ValueError("kernel matrices contain NaN or inf")
    sxx = (kxx.sum() - np.trace(kxx)) / (m * (m - 1))
    syy = (kyy.sum() - np.trace(kyy)) / (n * (n - 1))
    return float(sxx + syy - 2.0 * kxy.sum() / (m * n))


def polynomial_kernel(x: np.ndarray, y: np.ndarray, degree: int = 3, gamma: float | None = None,
                      coef0: float = 1.0) -> np.ndarray:
    """k(x, y) = (gamma <x, y> + coef0)^degree for all row pairs, gamma = 1/d by default (as KID and
    ``sklearn.metrics.pairwise.polynomial_kernel``). Survey 6.2 (companion of ``vl_image.fid``)."""
    a, b = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[1]:
        raise ValueError(f"expected two 2-D arrays with the same width, got shapes {a.shape} and {b.shape}")
    if not (isinstance(degree, (int, np.integer)) and degree >= 1):
        raise ValueError(f"degree must be a positive integer, got {degree!r}")
    g = 1.0 / a.shape[1] if gamma is None else float(gamma)
    if not g > 0:
        raise ValueError(f"gamma must be positive (or None for 1/d), got {gamma!r}")
    return (a @ b.T * g + coef0) ** int(degree)


def row_order(x: np.ndarray) -> np.ndarray:
    """Positions of the rows of ``x`` sorted by a BLAKE2 hash of their float64 bytes (identical rows keep their
    relative order, which cannot change a result): a canonical order independent of the input order."""
    a = np.ascontiguousarray(x, dtype=np.float64)
    keys = np.array([hashlib.blake2b(row.tobytes(), digest_size=16).digest() for row in a], dtype="S16")
    return np.argsort(keys, kind="stable")


def kid(x_real: np.ndarray, x_syn: np.ndarray, subsets: int = 100, subset_size: int = 1000, degree: int = 3,
        gamma: float | None = None, coef0: float = 1.0, seed: int = 0) -> dict[str, float | int | bool]:
    """Kernel Inception Distance from precomputed features (survey 6.2, companion of ``vl_image.fid``): mean and
    population std (ddof=0) over ``subsets`` of the unbiased polynomial-kernel MMD^2 between ``subset_size`` rows
    drawn without replacement from each side, as torchmetrics ``KernelInceptionDistance``.

    ``subset_size`` is capped at min(n_real, n_syn) (torchmetrics raises instead); the returned ``subset_size`` is the
    size used and ``capped`` says whether the cap applied. Draws come from ``numpy.random.default_rng(seed)`` over the
    rows in canonical order (:func:`row_order`), so they do not depend on the order of the rows; torchmetrics'
    torch.randperm draws differ, so only subsets covering all rows (where every subset gives the full-sample value)
    reproduce its numbers exactly. Returns value, std, subsets, subset_size, capped, n_real, n_syn."""
    r, s = _pair(x_real, x_syn, ("real", "synthetic"))
    if not (isinstance(subsets, (int, np.integer)) and subsets >= 1):
        raise ValueError(f"subsets must be a positive integer, got {subsets!r}")
    if not (isinstance(subset_size, (int, np.integer)) and subset_size >= 2):
        raise ValueError(f"subset_size must be an integer >= 2, got {subset_size!r}")
    r, s = r[row_order(r)], s[row_order(s)]
    n_r, n_s = r.shape[0], s.shape[0]
    size = int(min(subset_size, n_r, n_s))
    rng = np.random.default_rng(seed)
    cache = n_r * n_r + n_s * n_s + n_r * n_s <= _GRAM_CACHE_ENTRIES
    if cache:
        k_rr = polynomial_kernel(r, r, degree, gamma, coef0)
        k_ss = polynomial_kernel(s, s, degree, gamma, coef0)
        k_rs = polynomial_kernel(r, s, degree, gamma, coef0)
    scores = np.empty(int(subsets))
    for t in range(int(subsets)):
        i = rng.permutation(n_r)[:size]
        j = rng.permutation(n_s)[:size]
        if cache:
            scores[t] = mmd2_unbiased(k_rr[np.ix_(i, i)], k_ss[np.ix_(j, j)], k_rs[np.ix_(i, j)])
        else:
            a, b = r[i], s[j]
            scores[t] = mmd2_unbiased(polynomial_kernel(a, a, degree, gamma, coef0),
                                      polynomial_kernel(b, b, degree, gamma, coef0),
                                      polynomial_kernel(a, b, degree, gamma, coef0))
    return {"value": float(scores.mean()), "std": float(scores.std()), "subsets": int(subsets), "subset_size": size,
            "capped": size < subset_size, "n_real": int(n_r), "n_syn": int(n_s)}


def _sq_dists(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    d = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2.0 * a @ b.T
    return np.maximum(d, 0.0)


def median_bandwidth(x: np.ndarray, y: np.ndarray) -> float:
    """Median heuristic (Gretton et al. 2012): the median Euclidean distance over distinct pairs of the pooled rows
    of ``x`` and ``y``; if it is 0 (mostly duplicate rows) the mean of the positive distances, and 1.0 when all rows
    are identical (every kernel value is then 1 and MMD^2 = 0 for any bandwidth). Survey 6.2."""
    from scipy.spatial.distance import pdist

    a, b = _pair(x, y, ("x", "y"))
    d = pdist(np.vstack([a, b]))
    med = float(np.median(d))
    if med > 0:
        return med
    pos = d[d > 0]
    return float(pos.mean()) if pos.size else 1.0


def mmd2_rbf(x: np.ndarray, y: np.ndarray, bandwidth: float | str = "median") -> float:
    """Unbiased MMD^2 with the Gaussian kernel k(u, v) = exp(-||u - v||^2 / (2 sigma^2)), sigma = ``bandwidth`` or
    :func:`median_bandwidth` for "median". Memory is O((m + n)^2). Survey 6.2 (companion of ``vl_image.fid``)."""
    a, b = _pair(x, y, ("x", "y"))
    if isinstance(bandwidth, str):
        if bandwidth != "median":
            raise ValueError(f"bandwidth must be a positive number or 'median', got {bandwidth!r}")
        sigma = median_bandwidth(a, b)
    else:
        sigma = float(bandwidth)
        if not (np.isfinite(sigma) and sigma > 0):
            raise ValueError(f"bandwidth must be a positive number or 'median', got {bandwidth!r}")
    scale = -1.0 / (2.0 * sigma * sigma)
    return mmd2_unbiased(np.exp(_sq_dists(a, a) * scale), np.exp(_sq_dists(b, b) * scale),
                         np.exp(_sq_dists(a, b) * scale))
