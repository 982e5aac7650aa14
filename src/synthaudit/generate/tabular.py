"""Classic statistical tabular generator: a Gaussian copula with mixed types, written on scipy.

Survey section 4.1 and the tutorial's statistical baselines. Each column is mapped to a standard
normal through its empirical CDF (numbers and datetimes: mid-ranks; categories: a uniform draw
inside the category's probability interval, so categories keep their frequencies), the normal
scores' correlation matrix is fitted, and sampling inverts the map. Missing values keep their rate.
It preserves marginals and (rank) correlations, not higher-order structure: a baseline, not a model.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from synthaudit.data.tabular import ColumnType, TableSpec, infer_spec


@dataclass
class _Column:
    name: str
    kind: str  # "numeric", "datetime" or "category"
    values: np.ndarray | None = None        # sorted observed values (numeric/datetime)
    integer: bool = False
    missing_rate: float = 0.0
    categories: list[Any] | None = None      # category values (missing included as None)
    cum: np.ndarray | None = None            # cumulative probabilities (upper bounds)
    dtype: Any = None


class GaussianCopula:
    """``fit(frame)`` then ``sample(n)``; deterministic for a given seed."""

    def __init__(self, seed: int = 0) -> None:
        self.seed = seed
        self._cols: list[_Column] = []
        self._corr: np.ndarray | None = None
        self._order: list[str] = []

    def fit(self, frame: pd.DataFrame, spec: TableSpec | None = None) -> "GaussianCopula":
        if len(frame) == 0:
            raise ValueError("cannot fit a generator on an empty table")
        spec = spec or infer_spec(frame, frame.columns)
        rng = np.random.default_rng(self.seed)
        self._order = list(frame.columns)
        scores = []
        self._cols = []
        for name in self._order:
            col = frame[name]
            ctype = spec.columns[name].type if name in spec.columns else ColumnType.CATEGORICAL
            if ctype in (ColumnType.NUMERICAL, ColumnType.DATETIME):
                is_dt = ctype == ColumnType.DATETIME or pd.api.types.is_datetime64_any_dtype(col)
                if is_dt:
                    ts = pd.to_datetime(col, errors="coerce")
                    x = ts.to_numpy(dtype="datetime64[ns]").astype("int64").astype(float)
                    x[ts.isna().to_numpy()] = np.nan
                else:
                    x = pd.to_numeric(col, errors="coerce").to_numpy(dtype=float)
                ok = ~np.isnan(x)
                if not ok.any():
                    ctype = ColumnType.CATEGORICAL
                else:
                    c = _Column(name, "datetime" if is_dt else "numeric", values=np.sort(x[ok]),
                                integer=bool(np.all(x[ok] % 1 == 0)), missing_rate=float(1 - ok.mean()),
                                dtype=col.dtype)
                    z = np.zeros(len(x))
                    ranks = stats.rankdata(x[ok])
                    z[ok] = stats.norm.ppf(ranks / (ok.sum() + 1))
                    self._cols.append(c)
                    scores.append(z)
                    continue
            codes, uniques = pd.factorize(col, use_na_sentinel=True, sort=False)
            cats = list(uniques) + ([np.nan] if (codes < 0).any() else [])  # missing stays NaN, as in pandas
            codes = np.where(codes < 0, len(uniques), codes)
            freq = np.bincount(codes, minlength=len(cats)) / len(codes)
            cum = np.cumsum(freq)
            lower = cum - freq
            u = lower[codes] + rng.random(len(codes)) * freq[codes]
            scores.append(stats.norm.ppf(np.clip(u, 1e-9, 1 - 1e-9)))
            self._cols.append(_Column(name, "category", categories=cats, cum=cum, dtype=col.dtype))
        z = np.column_stack(scores) if scores else np.zeros((len(frame), 0))
        with np.errstate(invalid="ignore", divide="ignore"):  # constant columns: no correlation
            corr = np.corrcoef(z, rowvar=False) if z.shape[1] > 1 else np.ones((1, 1))
        corr = np.nan_to_num(np.atleast_2d(corr), nan=0.0)
        np.fill_diagonal(corr, 1.0)
        self._corr = _nearest_correlation(corr)
        return self

    def sample(self, n: int, seed: int | None = None) -> pd.DataFrame:
        if self._corr is None:
            raise RuntimeError("call fit() first")
        rng = np.random.default_rng(self.seed + 1 if seed is None else seed)
        k = len(self._cols)
        z = rng.multivariate_normal(np.zeros(k), self._corr, size=n, method="eigh") if k else np.zeros((n, 0))
        u = stats.norm.cdf(z)
        out = {}
        for j, c in enumerate(self._cols):
            if c.kind == "category":
                idx = np.minimum(np.searchsorted(c.cum, u[:, j], side="right"), len(c.categories) - 1)
                out[c.name] = pd.Series([c.categories[i] for i in idx], dtype=object)
                continue
            x = np.quantile(c.values, u[:, j], method="linear")
            if c.integer:
                x = np.round(x)
            if c.missing_rate > 0:
                x[rng.random(n) < c.missing_rate] = np.nan
            if c.kind == "datetime":
                ts = pd.Series(pd.to_datetime(np.where(np.isnan(x), np.nan, x).astype("float64"), unit="ns"))
                out[c.name] = ts
            elif c.integer and c.missing_rate == 0 and pd.api.types.is_integer_dtype(c.dtype):
                out[c.name] = pd.Series(x.astype(np.int64))
            else:
                out[c.name] = pd.Series(x)
        return pd.DataFrame(out)[self._order]


def _nearest_correlation(corr: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Clip negative eigenvalues and rescale to unit diagonal (a valid correlation matrix)."""
    w, v = np.linalg.eigh((corr + corr.T) / 2)
    fixed = (v * np.maximum(w, eps)) @ v.T
    d = np.sqrt(np.diag(fixed))
    return fixed / np.outer(d, d)


def class_quotas(labels: pd.Series, n: int, rare_boost: float = 0.0) -> dict[Any, int]:
    """Rows per class for ``n`` synthetic rows: shares proportional to ``p_c ** (1 - rare_boost)``.

    ``rare_boost`` 0 keeps the real class proportions, 1 balances the classes, values between boost rare
    classes part of the way (survey section 4.1: class-conditional generation for rare classes). Quotas are
    rounded by largest remainder, so they add up to ``n``; missing labels are not a class.
    """
    if not 0.0 <= float(rare_boost) <= 1.0:
        raise ValueError(f"rare_boost must lie in [0, 1], got {rare_boost}")
    counts = labels.dropna().value_counts(sort=False)
    if counts.empty:
        return {}
    weights = (counts / counts.sum()).to_numpy(dtype=float) ** (1.0 - float(rare_boost))
    exact = weights / weights.sum() * n
    quota = np.floor(exact).astype(int)
    for i in np.argsort(-(exact - quota), kind="stable")[: n - int(quota.sum())]:
        quota[i] += 1
    return {c: int(q) for c, q in zip(counts.index, quota)}
