"""Association between the columns of a mixed-type table, one measure per pair of column types.

- numerical ~ numerical: Pearson's correlation r (signed, -1..1; as ``numpy.corrcoef`` / pandas ``corr``);
- categorical ~ categorical: Cramér's V, bias-uncorrected, sqrt(chi2 / (n * (min(R, C) - 1))) on the crosstab
  (0..1; as ``scipy.stats.contingency.association(crosstab, method="cramer")``);
- numerical ~ categorical: the correlation ratio eta = sqrt(SS_between / SS_total) of the numbers grouped by
  category (0..1).

Every pair uses its pairwise-complete rows (a missing value in either column drops the row for that pair only).
A pair is undefined (NaN) when fewer than 2 rows remain or when either column is constant on them (one distinct
value; for a categorical column, one category). The diagonal is 1 for a column with at least two distinct values.
Pure numpy/pandas; Cramér's V builds the crosstab sparsely, so high-cardinality columns cost O(rows) per pair.
"""
from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations
from typing import Iterable

import numpy as np
import pandas as pd

from synthaudit.stats.counts import category_codes
from synthaudit.stats.moments import PairwiseMoments

PEARSON, CRAMER, ETA = "pearson", "cramer_v", "eta"
#: a readable name per measure (figure captions, legends)
MEASURE_NAMES = {PEARSON: "Pearson r", CRAMER: "Cramér's V", ETA: "correlation ratio η"}
#: joint code spaces up to this size are counted with bincount (else np.unique on the joint codes)
_DENSE_CELLS = 4_000_000


def numbers(series: pd.Series) -> np.ndarray:
    """A column as float64 (datetimes as nanoseconds since the epoch; missing and unparseable as NaN)."""
    if pd.api.types.is_datetime64_any_dtype(series):
        out = series.to_numpy(dtype="datetime64[ns]").astype("int64").astype(float)
        out[series.isna().to_numpy()] = np.nan
        return out
    if isinstance(series.dtype, pd.CategoricalDtype) or series.dtype == bool:
        series = series.astype(object)
    out = pd.to_numeric(series, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    return np.where(np.isfinite(out), out, np.nan)


def codes(series: pd.Series) -> np.ndarray:
    """A column as category codes 1..K (0 = missing)."""
    return category_codes(series)[0]


def pearson(x: np.ndarray, y: np.ndarray) -> float:
    """Pearson's r over the rows where both are present (NaN when undefined)."""
    return float(_pearson_matrix(np.column_stack([np.asarray(x, float), np.asarray(y, float)]))[0, 1])


def _pearson_matrix(x: np.ndarray) -> np.ndarray:
    if x.shape[1] == 0:
        return np.empty((0, 0))
    moments = PairwiseMoments.from_array(x)
    r = moments.corr()
    r[moments.constant() | (moments.n < 2)] = np.nan
    return r


def cramers_v(a: np.ndarray, b: np.ndarray) -> float:
    """Bias-uncorrected Cramér's V of two code arrays (0 = missing) over their pairwise-complete rows."""
    a, b = np.asarray(a, np.int64), np.asarray(b, np.int64)
    keep = (a > 0) & (b > 0)
    a, b = a[keep], b[keep]
    n = a.size
    if n < 2:
        return float("nan")
    # compact codes: only the categories present on these rows count (as the rows/columns of a crosstab)
    a, r = _compact(a)
    b, c = _compact(b)
    if min(r, c) < 2:
        return float("nan")
    joint = a.astype(np.int64) * c + b
    if r * c <= _DENSE_CELLS:
        counts = np.bincount(joint, minlength=r * c)
        keys = np.flatnonzero(counts)
        obs = counts[keys].astype(float)
    else:
        keys, obs = np.unique(joint, return_counts=True)
        obs = obs.astype(float)
    rows = np.bincount(a, minlength=r).astype(float)
    cols = np.bincount(b, minlength=c).astype(float)
    # chi2 = sum (O - E)^2 / E over all cells = n * (sum O^2 / (r_i c_j) - 1): empty cells need no visit
    phi2 = float(np.sum(obs * obs / (rows[keys // c] * cols[keys % c])) - 1.0)
    return float(np.sqrt(max(phi2, 0.0) / (min(r, c) - 1)))


def _compact(codes: np.ndarray) -> tuple[np.ndarray, int]:
    """(the rank of each code among the distinct codes present, how many are present): ``np.unique(codes,
    return_inverse=True)`` for non-negative integer codes, by counting instead of sorting."""
    present = np.bincount(codes) > 0
    rank = np.cumsum(present) - 1
    return rank[codes].astype(np.int64), int(present.sum())


def correlation_ratio(groups: np.ndarray, y: np.ndarray) -> float:
    """eta = sqrt(SS_between / SS_total) of numbers ``y`` grouped by the codes ``groups`` (0 = missing), over the
    pairwise-complete rows (NaN when fewer than 2 rows, fewer than 2 groups, or constant numbers)."""
    g, y = np.asarray(groups, np.int64), np.asarray(y, float)
    keep = (g > 0) & ~np.isnan(y)
    g, y = g[keep], y[keep]
    if y.size < 2:
        return float("nan")
    g, k = _compact(g)
    if k < 2:
        return float("nan")
    mean = float(y.mean())
    y = y - mean
    ss_total = float(np.dot(y, y))
    if ss_total <= 1e-24 * y.size * (abs(mean) + 1.0) ** 2:  # constant numbers (as PairwiseMoments.constant)
        return float("nan")
    n_g = np.bincount(g, minlength=k).astype(float)
    sums = np.bincount(g, weights=y, minlength=k)
    ss_between = float(np.sum(sums[n_g > 0] ** 2 / n_g[n_g > 0]))
    return float(np.sqrt(min(max(ss_between / ss_total, 0.0), 1.0)))


@dataclass
class AssociationMatrix:
    """Column x column association: ``values[i, j]`` (NaN = undefined) measured by ``measure[i][j]``."""

    columns: list[str]
    kinds: list[str]            # "numerical" or "categorical", per column
    values: np.ndarray          # (k, k), symmetric
    measure: list[list[str]]    # PEARSON / CRAMER / ETA ("" on the diagonal)
    rows: int                   # rows of the table

    def measures_used(self) -> list[str]:
        return [m for m in (PEARSON, CRAMER, ETA) if any(m in row for row in self.measure)]


def association_matrix(frame: pd.DataFrame, numerical: Iterable[str] = (), categorical: Iterable[str] = (),
                       columns: Iterable[str] | None = None) -> AssociationMatrix:
    """The association matrix of ``frame``'s numerical and categorical columns, in the order of ``columns``
    (default: the frame's column order). Columns in neither list are left out."""
    numerical, categorical = set(numerical), set(categorical)
    both = numerical & categorical
    if both:
        raise ValueError(f"columns both numerical and categorical: {sorted(both)}")
    order = [c for c in (frame.columns if columns is None else columns) if c in numerical or c in categorical]
    missing = [c for c in order if c not in frame.columns]
    if missing:
        raise KeyError(f"columns not in the table: {missing}")
    kinds = ["numerical" if c in numerical else "categorical" for c in order]
    k = len(order)
    values = np.full((k, k), np.nan)
    measure = [[""] * k for _ in range(k)]
    num_idx = [i for i in range(k) if kinds[i] == "numerical"]
    cat_idx = [i for i in range(k) if kinds[i] == "categorical"]
    x = np.column_stack([numbers(frame[order[i]]) for i in num_idx]) if num_idx else np.empty((len(frame), 0))
    cat = {i: codes(frame[order[i]]) for i in cat_idx}

    r = _pearson_matrix(x)
    for p, i in enumerate(num_idx):
        for q, j in enumerate(num_idx):
            if i != j:
                values[i, j] = r[p, q]
                measure[i][j] = PEARSON
    for i, j in combinations(cat_idx, 2):
        values[i, j] = values[j, i] = cramers_v(cat[i], cat[j])
        measure[i][j] = measure[j][i] = CRAMER
    for p, i in enumerate(num_idx):
        for j in cat_idx:
            values[i, j] = values[j, i] = correlation_ratio(cat[j], x[:, p])
            measure[i][j] = measure[j][i] = ETA
    # the diagonal: 1 for a column with two or more distinct values
    for p, i in enumerate(num_idx):
        col = x[:, p]
        col = col[~np.isnan(col)]
        values[i, i] = 1.0 if col.size >= 2 and np.ptp(col) > 0 else np.nan
    for i in cat_idx:
        present = cat[i][cat[i] > 0]
        values[i, i] = 1.0 if present.size >= 2 and np.unique(present).size >= 2 else np.nan
    return AssociationMatrix(columns=order, kinds=kinds, values=values, measure=measure, rows=len(frame))


def association_difference(real: AssociationMatrix, synthetic: AssociationMatrix) -> np.ndarray:
    """|real - synthetic| cell by cell (NaN where either is undefined); both matrices in the same column order."""
    if real.columns != synthetic.columns:
        raise ValueError("the real and synthetic matrices have different columns or column order")
    return np.abs(real.values - synthetic.values)


def column_ranking(difference: np.ndarray) -> np.ndarray:
    """Each column's largest off-diagonal difference (-inf when none is defined), for choosing the columns of a
    wide table."""
    d = np.array(difference, dtype=float, copy=True)
    np.fill_diagonal(d, np.nan)
    d = np.where(np.isnan(d), -np.inf, d)
    return d.max(axis=1) if d.size else np.empty(0)


def worst_pairs(difference: np.ndarray, k: int) -> list[tuple[int, int, float]]:
    """The k off-diagonal pairs (i < j) with the largest difference, largest first (ties: table order)."""
    n = difference.shape[0]
    iu, ju = np.triu_indices(n, 1)
    vals = difference[iu, ju]
    ok = ~np.isnan(vals)
    iu, ju, vals = iu[ok], ju[ok], vals[ok]
    order = np.argsort(-vals, kind="stable")[:k]
    return [(int(iu[o]), int(ju[o]), float(vals[o])) for o in order]
