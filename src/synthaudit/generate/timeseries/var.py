"""A vector autoregression fitted to a series set and simulated (tutorial: sequential data; issue #17).

Model: ``y_t = c_s + A_1 y_{t-1} + ... + A_p y_{t-p} + e_t`` with ``e_t ~ N(0, Sigma)``: statsmodels' ``VAR``
with a constant for several channels and ``AutoReg(trend="c")`` for one. Several real series are pooled
without joining them (a VAR on their concatenation would treat each join as a transition): the lagged design
matrices of all series are stacked, each series with its own intercept ``c_s`` (the fixed-effects / within
estimator, i.e. the lag coefficients are fitted on each series' de-meaned steps), and solved by least squares.
On one series this is exactly statsmodels' estimate (``VAR(y).fit(p).coefs``, ``intercept``, ``sigma_u``;
``AutoReg(y, p).fit().params``). ``Sigma`` is the residual covariance with statsmodels' degrees-of-freedom
correction (``nobs - p*K - S``). With ``lags=None`` the order is chosen by AIC over 0..max_lags on a common
sample (each series' first ``max_lags`` steps held back), as ``VAR.select_order``:
``log det Sigma_mle + 2 (p K^2 + K S) / nobs``.

Sampling: each synthetic series takes the intercept of a real series drawn uniformly, starts at that
intercept's stationary mean, and runs ``burn_in`` steps before the kept ones, with Gaussian innovations
(Cholesky factor of ``Sigma``) from ``numpy.random.default_rng(seed)``. Series are fitted in a canonical
order, so the output does not depend on the order of the input list. Missing values (NaN) are not allowed.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from synthaudit.generate.timeseries.adapter import draw_lengths, series_set


class VarFit(NamedTuple):
    intercepts: np.ndarray  # (S, K): one row per series used
    coefs: np.ndarray  # (p, K, K): coefs[i] multiplies y_{t-i-1}, as statsmodels' VARResults.coefs
    sigma_u: np.ndarray  # (K, K) residual covariance, df-corrected
    sigma_mle: np.ndarray  # (K, K) residual covariance / nobs
    nobs: int


def fit_var(series: Sequence[np.ndarray], p: int, offset: int = 0) -> VarFit:
    """Pooled least squares of order ``p`` with one intercept per series (see the module docstring); the first
    ``offset`` steps of each series are held back. Every series must have more than ``offset + p`` steps."""
    k, s = series[0].shape[1], len(series)
    xs, ys = [], []
    for j, a in enumerate(series):
        t = len(a)
        y = a[offset + p:]
        dummy = np.zeros((t - offset - p, s))
        dummy[:, j] = 1.0
        lagged = [a[offset + p - i - 1:t - i - 1] for i in range(p)]
        xs.append(np.hstack([dummy, *lagged]))
        ys.append(y)
    x, y = np.vstack(xs), np.vstack(ys)
    n, n_params = len(y), x.shape[1]
    if n <= n_params:
        raise ValueError(f"too few time steps for a VAR({p}) with {k} channel(s) on {s} series: {n} observations "
                         f"for {n_params} coefficients per equation; use longer series or fewer lags")
    b, *_ = np.linalg.lstsq(x, y, rcond=None)
    resid = y - x @ b
    sse = resid.T @ resid
    coefs = np.stack([b[s + i * k:s + (i + 1) * k].T for i in range(p)]) if p else np.zeros((0, k, k))
    return VarFit(b[:s], coefs, sse / (n - n_params), sse / n, n)


def select_order(series: Sequence[np.ndarray], max_lags: int) -> tuple[int, list[float]]:
    """The AIC order in 0..max_lags (common sample, as ``VAR.select_order``) and the AIC per order."""
    k = series[0].shape[1]
    aics = []
    for p in range(max_lags + 1):
        f = fit_var(series, p, offset=max_lags - p)
        sign, logdet = np.linalg.slogdet(f.sigma_mle)
        aics.append(float(logdet) + 2.0 * (p * k * k + k * len(series)) / f.nobs if sign > 0 else -np.inf)
    return int(np.argmin(aics)), aics


class VARGenerator:
    """``fit(series)`` then ``sample(n, lengths=None)``. ``lags``: the order, or None for AIC over
    0..``max_lags`` (lowered to what the data can estimate); ``burn_in`` steps are simulated and dropped."""

    def __init__(self, lags: int | None = None, seed: int = 0, max_lags: int = 8, burn_in: int = 100) -> None:
        for name, v, low in (("lags", lags, 0), ("max_lags", max_lags, 0), ("burn_in", burn_in, 0)):
            if v is not None and (int(v) != v or v < low):
                raise ValueError(f"{name} must be a non-negative integer, got {v!r}")
        self.lags, self.seed, self.max_lags, self.burn_in = lags, int(seed), int(max_lags), int(burn_in)
        self.fit_: VarFit | None = None

    def fit(self, series: Sequence[np.ndarray]) -> "VARGenerator":
        real = series_set(series)
        for i, a in enumerate(real):
            if np.isnan(a).any():
                raise ValueError(f"series {i} has missing values (NaN); a VAR needs complete series: impute or drop")
        pooled = np.vstack(real)
        flat = [j for j in range(pooled.shape[1]) if np.ptp(pooled[:, j]) == 0]
        if flat:
            raise ValueError(f"channel(s) {flat} are constant; a VAR needs varying channels (drop them)")
        self.lengths_ = [len(a) for a in real]
        if self.lags is None:
            p = self._select(real)
        else:
            p = int(self.lags)
        used = [a for a in real if len(a) > p]
        if not used:
            raise ValueError(f"every series is too short for {p} lag(s): needs more than {p} time steps")
        f = fit_var(used, p)
        eig = np.linalg.eigvalsh(f.sigma_u)
        if eig[0] <= 1e-10 * max(eig[-1], 1e-300):
            raise ValueError("the residual covariance is singular: a channel is constant within each series or a "
                             "linear combination of the others")
        self.p_, self.fit_, self.skipped_ = p, f, len(real) - len(used)
        self.chol_ = np.linalg.cholesky(f.sigma_u)
        k = pooled.shape[1]
        companion = np.zeros((k * p, k * p))
        if p:
            companion[:k] = np.hstack(list(f.coefs))
            companion[k:, :-k] = np.eye(k * (p - 1))
        self.max_root_ = float(np.abs(np.linalg.eigvals(companion)).max()) if p else 0.0
        return self

    def _select(self, real: list[np.ndarray]) -> int:
        k = real[0].shape[1]
        for m in range(self.max_lags, -1, -1):
            usable = [a for a in real if len(a) > m]
            if usable and sum(len(a) - m for a in usable) > m * k + len(usable):
                self.aic_ = select_order(usable, m)[1]
                return int(np.argmin(self.aic_))
        raise ValueError("the series are too short to fit even a VAR(0): give more time steps")

    def sample(self, n: int, lengths: int | Sequence[int] | None = None, seed: int | None = None) -> list[np.ndarray]:
        if self.fit_ is None:
            raise ValueError("call fit(series) before sample(n)")
        if self.max_root_ >= 1.0:
            raise ValueError(f"the fitted VAR is not stable (largest companion root {self.max_root_:.3f} >= 1); "
                             "difference or detrend the series first")
        rng = np.random.default_rng(self.seed if seed is None else int(seed))
        f, p = self.fit_, self.p_
        k = f.sigma_u.shape[0]
        lag_sum = f.coefs.sum(axis=0) if p else np.zeros((k, k))
        out = []
        for length in draw_lengths(self.lengths_, n, lengths, rng):
            c = f.intercepts[rng.integers(len(f.intercepts))]
            mu = np.linalg.solve(np.eye(k) - lag_sum, c)
            total = self.burn_in + length
            noise = rng.standard_normal((total, k)) @ self.chol_.T
            y = np.empty((p + total, k))
            y[:p] = mu
            for t in range(p, p + total):
                y[t] = c + noise[t - p] + sum(f.coefs[i] @ y[t - i - 1] for i in range(p))
            out.append(y[p + self.burn_in:])
        return out
