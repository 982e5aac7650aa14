"""MMD^2 between two sets of graph descriptors with GRAN/GraphRNN's kernels, vectorised (survey 5.2).

Kernels (``dist`` between two zero-padded descriptor vectors, ``k = exp(-dist^2 / (2 sigma^2))``):

* ``gaussian_tv``:  dist = total variation = 0.5 * L1 (GRAN's default);
* ``gaussian_emd``: dist = 1-D earth mover's distance with ground distance |i - j| / ``emd_scaling`` between
  bins i, j (GraphRNN; equal to the L1 distance of the cumulative sums divided by ``emd_scaling``);
* ``gaussian_l2``:  dist = Euclidean distance (GRAN's/GraphRNN's ``gaussian``).

Estimators: ``biased`` (the V-statistic of the survey and of GRAN: means over all pairs, i = i' included) and
``unbiased`` (the U-statistic: the i = i' terms left out of the within-set means).
"""
from __future__ import annotations

from dataclasses import dataclass

from synthaudit.stats.jit import njit, prange
import numpy as np

KERNELS = ("gaussian_tv", "gaussian_emd", "gaussian_l2")
ESTIMATORS = ("biased", "unbiased")
_METRIC = {"gaussian_tv": 0, "gaussian_emd": 0, "gaussian_l2": 1}  # EMD is L1 on cumulative sums


@njit(cache=True, parallel=True)
def _kernel_row_sums(x, y, metric, scale, gamma, rows):
    """rows[i] = sum_j exp(-gamma * dist(x_i, y_j)^2), dist = scale * L1 (metric 0) or L2 (metric 1)."""
    for i in prange(x.shape[0]):
        acc = 0.0
        for j in range(y.shape[0]):
            d = 0.0
            if metric == 0:
                for k in range(x.shape[1]):
                    d += abs(x[i, k] - y[j, k])
                d *= scale
                d = d * d
            else:
                for k in range(x.shape[1]):
                    t = x[i, k] - y[j, k]
                    d += t * t
            acc += np.exp(-gamma * d)
        rows[i] = acc


def pad(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Zero-pad two descriptor matrices to the same number of columns."""
    x, y = np.atleast_2d(np.asarray(x, float)), np.atleast_2d(np.asarray(y, float))
    width = max(x.shape[1], y.shape[1])
    return (np.pad(x, ((0, 0), (0, width - x.shape[1]))), np.pad(y, ((0, 0), (0, width - y.shape[1]))))


def _prepare(x: np.ndarray, y: np.ndarray, kernel: str, emd_scaling: float) -> tuple[np.ndarray, np.ndarray, int,
                                                                                       float]:
    if kernel not in _METRIC:
        raise ValueError(f"unknown kernel {kernel!r}; expected one of {', '.join(KERNELS)}")
    x, y = pad(x, y)
    if kernel == "gaussian_emd":
        return np.cumsum(x, axis=1), np.cumsum(y, axis=1), 0, 1.0 / float(emd_scaling)
    if kernel == "gaussian_tv":
        used = (x != 0).any(axis=0) | (y != 0).any(axis=0)  # columns zero everywhere add nothing to L1 / L2
        return np.ascontiguousarray(x[:, used]), np.ascontiguousarray(y[:, used]), 0, 0.5
    used = (x != 0).any(axis=0) | (y != 0).any(axis=0)
    return np.ascontiguousarray(x[:, used]), np.ascontiguousarray(y[:, used]), 1, 1.0


def kernel_sum(x: np.ndarray, y: np.ndarray, kernel: str = "gaussian_tv", sigma: float = 1.0,
               emd_scaling: float = 1.0) -> float:
    """sum_{i,j} k(x_i, y_j) over all pairs of rows."""
    xp, yp, metric, scale = _prepare(x, y, kernel, emd_scaling)
    return _sum(xp, yp, metric, scale, sigma)


def _sum(x: np.ndarray, y: np.ndarray, metric: int, scale: float, sigma: float) -> float:
    rows = np.empty(x.shape[0])
    if x.shape[0] and y.shape[0]:
        _kernel_row_sums(x, y, metric, scale, 1.0 / (2.0 * sigma * sigma), rows)
    else:
        rows[:] = 0.0
    return float(rows.sum())


@dataclass
class MMDParts:
    """The three kernel means of an MMD^2 estimate and the estimate itself."""

    mmd2: float
    k_xx: float
    k_yy: float
    k_xy: float
    n_x: int
    n_y: int


def mmd2(x: np.ndarray, y: np.ndarray, kernel: str = "gaussian_tv", sigma: float = 1.0,
         estimator: str = "biased", emd_scaling: float = 1.0) -> MMDParts:
    """MMD^2 between descriptor rows ``x`` (generated) and ``y`` (reference)."""
    if estimator not in ESTIMATORS:
        raise ValueError(f"unknown estimator {estimator!r}; expected one of {', '.join(ESTIMATORS)}")
    if not sigma > 0:
        raise ValueError(f"sigma must be positive, got {sigma!r}")
    m, n = len(x), len(y)
    if m == 0 or n == 0 or (estimator == "unbiased" and (m < 2 or n < 2)):
        need = 2 if estimator == "unbiased" else 1
        raise ValueError(f"MMD^2 ({estimator}) needs at least {need} graph(s) on each side; got {m} generated and "
                         f"{n} reference")
    xp, yp, metric, scale = _prepare(x, y, kernel, emd_scaling)
    sxx, syy, sxy = (_sum(xp, xp, metric, scale, sigma), _sum(yp, yp, metric, scale, sigma),
                     _sum(xp, yp, metric, scale, sigma))
    if estimator == "biased":
        kxx, kyy = sxx / (m * m), syy / (n * n)
    else:  # the diagonal terms are k(x, x) = exp(0) = 1
        kxx, kyy = (sxx - m) / (m * (m - 1)), (syy - n) / (n * (n - 1))
    kxy = sxy / (m * n)
    return MMDParts(mmd2=kxx + kyy - 2.0 * kxy, k_xx=kxx, k_yy=kyy, k_xy=kxy, n_x=m, n_y=n)
