"""Features shared by several tabular metrics: column groups, numeric views, real-data bin edges."""
from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from synthaudit.metrics.prepass import Prepass, register_prepass
from synthaudit.metrics.prepass import compute as prepass_value
from synthaudit.stats.binning import bin_index, equal_width_edges
from synthaudit.stats.counts import MISSING, count_values
from synthaudit.stats.hashing import splitmix64 as _mix

if TYPE_CHECKING:
    from synthaudit.data.inputs import AuditInputs

REAL = "real_reference"
SYN = "synthetic"


def as_float(series: pd.Series) -> np.ndarray:
    """Numbers as float64; datetimes as nanoseconds since the epoch; missing as NaN."""
    if pd.api.types.is_datetime64_any_dtype(series):
        out = series.to_numpy(dtype="datetime64[ns]").astype("int64").astype(float)
        out[series.isna().to_numpy()] = np.nan
        return out
    return pd.to_numeric(series, errors="coerce").to_numpy(dtype=float)


def numeric_matrix(frame: pd.DataFrame, columns: list[str]) -> np.ndarray:
    if not columns:
        return np.empty((len(frame), 0))
    return np.column_stack([as_float(frame[c]) for c in columns])


def needs_columns(*, numerical: int = 0, categorical: int = 0, total: int = 0):
    """Applicability check: enough numerical / categorical / total columns in the table spec."""
    def check(inputs: "AuditInputs") -> str | None:
        spec = inputs.table_spec
        if spec is None:
            return None
        n_num, n_cat = len(spec.numerical), len(spec.categorical)
        if n_num < numerical:
            return f"needs {numerical} numerical or datetime column(s); the table has {n_num}"
        if n_cat < categorical:
            return f"needs {categorical} categorical or boolean column(s); the table has {n_cat}"
        if n_num + n_cat < total:
            return f"needs {total} comparable columns; the table has {n_num + n_cat}"
        return None

    return check


def canonical_order(inputs: "AuditInputs", role: str) -> np.ndarray:
    """Row indices of a role in a seeded order that depends on the rows' contents, not on their order.

    Every order-sensitive step (cross-validation folds, samples, learners, attacks) takes rows in this
    order, so shuffling a table changes no result, while the seed still picks the folds and samples. The
    k-th copy of a repeated row gets its own rank, so copies spread through the order like any row.
    """
    def compute() -> np.ndarray:
        frame = inputs.frame(role)
        cols = [c for c in inputs.table_spec.names() if c in frame.columns]
        h = (pd.util.hash_pandas_object(frame[cols], index=False).to_numpy(np.uint64) if cols
             else np.zeros(len(frame), np.uint64))
        copy = pd.Series(h).groupby(h).cumcount().to_numpy(np.uint64)
        salt = _mix(np.array([int(inputs.seed) % 2 ** 64], dtype=np.uint64))[0]
        return np.argsort(_mix(_mix(h ^ salt) ^ _mix(copy + salt)), kind="stable")

    return inputs.features.get(f"tabular.canonical_order[{id(inputs.tables[role])}|{inputs.seed}]", compute)


def _batch_range(batch: pd.DataFrame, cols: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """(min, max) of each numerical column over a batch, missing values ignored (+inf / -inf where none)."""
    x = numeric_matrix(batch, cols)
    if not x.size:
        return np.full(len(cols), np.inf), np.full(len(cols), -np.inf)
    with np.errstate(invalid="ignore"):
        return (np.nanmin(np.where(np.isnan(x), np.inf, x), axis=0),
                np.nanmax(np.where(np.isnan(x), -np.inf, x), axis=0))


def _overall_range(parts: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """The (min, max) over the batches' (min, max): exact, whatever the batches' order or grouping."""
    if not parts:
        return np.array([]), np.array([])
    lo, hi = zip(*parts)
    return np.fmin.reduce(np.vstack(lo), axis=0), np.fmax.reduce(np.vstack(hi), axis=0)


#: the real range of every numerical column: a pre-pass (metrics.prepass) that Ray workers map over their spans
REAL_RANGES = register_prepass(Prepass(key="tabular.real_ranges", role=REAL,
                                       columns=lambda inputs: list(inputs.table_spec.numerical),
                                       map=_batch_range, reduce=_overall_range))


def real_bin_edges(inputs: "AuditInputs", n_bins: int) -> dict[str, np.ndarray]:
    """Inner equal-width bin edges per numerical column from the real ranges (:data:`REAL_RANGES`, computed once
    per audit)."""
    def compute() -> dict[str, np.ndarray]:
        cols = REAL_RANGES.columns(inputs)
        lo, hi = prepass_value(REAL_RANGES, inputs)
        if len(lo) != len(cols):  # no real rows at all
            lo, hi = np.full(len(cols), np.inf), np.full(len(cols), -np.inf)
        return {c: equal_width_edges(a, b, n_bins) if np.isfinite(a) else np.array([])
                for c, a, b in zip(cols, lo, hi)}

    return inputs.features.get(f"tabular.real_bin_edges[{n_bins}]", compute)


#: pairwise metrics compare at most this many column pairs (a table of 5,000 columns has 12.5 million, and
#: one breakdown row each): a wider table is compared on a seeded sample of its columns, named in the notes
MAX_PAIRS = 20_000


def pair_columns(inputs: "AuditInputs", groups: list[list[str]], n_pairs: Any) -> tuple[list[list[str]], str | None]:
    """The column groups a pairwise metric compares, and a note when they are sampled: all of them when
    ``n_pairs(*group sizes) <= MAX_PAIRS``; else a seeded sample of each group (ranked by a hash of the seed and
    the column name, so the sample does not depend on the column order), shrunk by one factor until the pairs
    fit. Columns keep their table order."""
    import hashlib
    import math

    sizes = [len(g) for g in groups]
    total = n_pairs(*sizes)
    if total <= MAX_PAIRS:
        return groups, None

    def rank(name: str) -> bytes:
        return hashlib.sha256(f"{inputs.seed}\x1f{name}".encode("utf-8", "surrogatepass")).digest()

    factor = math.sqrt(MAX_PAIRS / total)
    while True:
        keep = [min(n, max(int(n * factor), 1)) for n in sizes]
        if n_pairs(*keep) <= MAX_PAIRS or factor < 1e-9:
            break
        factor *= 0.98
    chosen = [set(sorted(g, key=rank)[:k]) for g, k in zip(groups, keep)]
    out = [[c for c in g if c in ch] for g, ch in zip(groups, chosen)]
    note = (f"{n_pairs(*keep)} of {total} column pairs: a seeded sample of {sum(keep)} of {sum(sizes)} columns "
            f"(pairwise metrics compare at most {MAX_PAIRS} pairs)")
    return out, note


def discretize(series: pd.Series, inner_edges: np.ndarray) -> pd.Series:
    """Bin numbers 1..n as a Categorical; missing values stay missing (counted as MISSING)."""
    idx = bin_index(as_float(series), inner_edges)
    n_bins = len(inner_edges) + 1
    codes = np.where(idx == -1, -1, idx - 1)
    return pd.Series(pd.Categorical.from_codes(codes, categories=list(range(1, n_bins + 1))), index=series.index)


def top_categories(real: Any, synthetic: Any, k: int = 12) -> list:
    """The k categories most frequent in real (then synthetic) data, for plots."""
    keys = list(dict.fromkeys([*[c for c, _ in real.most_common()], *[c for c, _ in synthetic.most_common()]]))
    return keys[:k]


__all__ = ["REAL", "SYN", "as_float", "numeric_matrix", "needs_columns", "real_bin_edges", "discretize",
           "top_categories", "count_values", "MISSING"]


class CategoryCountsMixin:
    """Mergeable state shared by the categorical marginal metrics: per role, per column, value counts."""

    streams = (REAL, SYN)

    def columns(self, inputs: "AuditInputs") -> list[str]:
        return list(inputs.table_spec.categorical)

    def init(self, inputs: "AuditInputs", models: Any) -> dict:
        cols = self.columns(inputs)
        return {"columns": cols, REAL: {c: Counter() for c in cols}, SYN: {c: Counter() for c in cols}}

    def update(self, state: dict, role: str, batch: pd.DataFrame) -> dict:
        for c in state["columns"]:
            state[role][c].update(count_values(batch[c]))
        return state

    def merge(self, a: dict, b: dict) -> dict:
        fixed = self.fixed_roles(a)
        return {**a, **{role: {c: a[role][c] + b[role][c] for c in a["columns"]} for role in (REAL, SYN)
                        if role not in fixed}}

    #: audit from statistics: the real category counts come from the statistics (docs/tabular.md)
    statistics_roles = (REAL,)

    def state_from_statistics(self, inputs: "AuditInputs", models: Any, statistics: dict) -> dict:
        state = self.init(inputs, models)
        stats = statistics[REAL]
        state[REAL] = {c: stats.category_counts(c) for c in state["columns"]}
        state["statistics"] = stats.notes(columns=state["columns"])
        return state


#: the category under which statistics (audit from statistics) count the rows of their suppressed small cells
SUPPRESSED = "(suppressed: cells of fewer than k rows)"


def pool_suppressed(real: Counter, synthetic: Counter) -> Counter:
    """``synthetic`` with the categories (cells) that real counts from statistics do not show pooled under
    SUPPRESSED, when the statistics suppressed some (such a category may be one of the suppressed ones or unseen
    in real data: pooled, the TVD can only shrink, by at most the suppressed share); else ``synthetic`` as is."""
    if SUPPRESSED not in real:
        return synthetic
    out: Counter = Counter()
    for key, n in synthetic.items():
        out[key if key in real else SUPPRESSED] += n
    return out


def with_statistics_notes(state: dict, notes: dict) -> dict:
    """``notes`` with what the statistics say about the real side (audit from statistics only)."""
    if state.get("statistics"):
        notes["statistics"] = state["statistics"]
    return notes


def marginal_bars(column: str, real: Counter, synthetic: Counter, k: int = 12) -> dict:
    """Plot payload: real vs synthetic relative frequencies of the top-k categories."""
    keys = top_categories(real, synthetic, k)
    nr, ns = sum(real.values()) or 1, sum(synthetic.values()) or 1
    return {"kind": "bars", "title": column, "labels": [str(x) for x in keys],
            "real": [real.get(x, 0) / nr for x in keys], "synthetic": [synthetic.get(x, 0) / ns for x in keys]}


def marginal_hist(column: str, real: np.ndarray, synthetic: np.ndarray, bins: int = 30,
                  is_datetime: bool = False) -> dict:
    """Plot payload: real vs synthetic densities on common bins (range from both samples). Non-finite values
    (inf, NaN) have no bin: they are left out of the edges and the shares, and counted in ``non_finite``."""
    real, synthetic = np.asarray(real, dtype=float), np.asarray(synthetic, dtype=float)
    keep_r, keep_s = np.isfinite(real), np.isfinite(synthetic)
    dropped = {"real": int((~keep_r).sum()), "synthetic": int((~keep_s).sum())}
    real, synthetic = real[keep_r], synthetic[keep_s]
    both = np.concatenate([real, synthetic])
    edges = np.histogram_bin_edges(both, bins=bins) if both.size else np.linspace(0, 1, bins + 1)
    hr, _ = np.histogram(real, bins=edges)
    hs, _ = np.histogram(synthetic, bins=edges)
    payload = {"kind": "hist", "title": column, "edges": edges.tolist(), "datetime": is_datetime,
               "real": (hr / max(hr.sum(), 1)).tolist(), "synthetic": (hs / max(hs.sum(), 1)).tolist()}
    if any(dropped.values()):
        payload["non_finite"] = dropped
    return payload
