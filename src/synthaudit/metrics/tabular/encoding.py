"""The one mixed-type row encoding of synthaudit's tabular distances and learners (survey section 4.3).

Numbers and datetimes are min-max scaled with the ranges of a reference table (the training data for
privacy metrics), so a column contributes at most about 1 to an L1 distance; a constant column scales to
0. A missing number is imputed with the reference median (scaled) and flagged in an indicator column
(a missing vs present value adds 1). Categories (booleans included, missing as its own category) become
integer codes over the union of the categories of every table compared, so a category seen in one table
only is still distinct from every other. Distances on this encoding (stats.neighbors) equal the L1 or L2
distance on [scaled numbers, indicators, one-hot categories / 2]: a category mismatch costs 1 in L1,
the TabSyn DCR distance up to that factor 1/2 on the one-hot part.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp

from synthaudit.data.tabular import TableSpec
from synthaudit.metrics.tabular.features import as_float
from synthaudit.stats.counts import category_codes


@dataclass
class Encoded:
    num: np.ndarray  # (n, k_num) float64: scaled numbers, then missing indicators
    cat: np.ndarray  # (n, k_cat) int64 codes
    num_names: list[str] = field(default_factory=list)
    cat_names: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.num)

    def take(self, rows: np.ndarray) -> "Encoded":
        return Encoded(self.num[rows], self.cat[rows], self.num_names, self.cat_names)


class MixedEncoder:
    """``fit(spec, reference, others)`` then ``transform(frame)`` -> :class:`Encoded`."""

    def __init__(self, columns: list[str] | None = None, exclude: tuple[str, ...] = ()) -> None:
        self.columns = columns
        self.exclude = set(exclude)

    def fit(self, spec: TableSpec, reference: pd.DataFrame, others: tuple[pd.DataFrame, ...] = ()) -> "MixedEncoder":
        cols = [c for c in (self.columns or spec.names()) if c not in self.exclude]
        self.num_cols = [c for c in spec.numerical if c in cols]
        self.cat_cols = [c for c in spec.categorical if c in cols]
        frames = (reference, *others)
        self.lo, self.scale, self.median = {}, {}, {}
        self.indicator: list[str] = []
        for c in self.num_cols:
            x = as_float(reference[c])
            ok = x[~np.isnan(x)]
            lo, hi = (float(ok.min()), float(ok.max())) if ok.size else (0.0, 0.0)
            self.lo[c], self.scale[c] = lo, (hi - lo) if hi > lo else 1.0
            self.median[c] = float(np.median(ok)) if ok.size else 0.0
            if any(f[c].isna().any() for f in frames):
                self.indicator.append(c)
        self.vocab: dict[str, dict] = {}
        for c in self.cat_cols:  # codes in sorted label order: they do not depend on row order
            labels = {v for f in frames for v in category_codes(f[c])[1]}
            self.vocab[c] = {v: i for i, v in enumerate(sorted(labels, key=lambda x: (str(x), type(x).__name__)))}
        return self

    def transform(self, frame: pd.DataFrame) -> Encoded:
        n = len(frame)
        num = np.empty((n, len(self.num_cols) + len(self.indicator)))
        for j, c in enumerate(self.num_cols):
            x = as_float(frame[c])
            miss = np.isnan(x)
            x = np.where(miss, self.median[c], x)
            num[:, j] = (x - self.lo[c]) / self.scale[c]
        for j, c in enumerate(self.indicator):
            num[:, len(self.num_cols) + j] = frame[c].isna().to_numpy(dtype=float)
        cat = np.empty((n, len(self.cat_cols)), dtype=np.int64)
        for j, c in enumerate(self.cat_cols):
            vocab = self.vocab[c]
            codes, uniques = category_codes(frame[c])
            lookup = np.array([vocab.setdefault(v, len(vocab)) for v in uniques], dtype=np.int64)
            cat[:, j] = lookup[codes] if n else np.empty(0, dtype=np.int64)
        return Encoded(num, cat, self.num_cols + [f"{c} (missing)" for c in self.indicator], list(self.cat_cols))

    def onehot(self, enc: Encoded, *, scale_numbers: bool = True) -> sp.csr_matrix:
        """Sparse design matrix [numbers, indicators, one-hot categories] for linear learners."""
        blocks = [sp.csr_matrix(enc.num)]
        for j, c in enumerate(self.cat_cols):
            k = max(len(self.vocab[c]), int(enc.cat[:, j].max(initial=-1)) + 1)
            blocks.append(sp.csr_matrix((np.ones(len(enc)), (np.arange(len(enc)), enc.cat[:, j])), shape=(len(enc), k)))
        return sp.hstack(blocks, format="csr")


def encoded_tables(inputs, roles: tuple[str, ...] = ("synthetic", "train", "real_holdout"),
                   reference: str = "train", exclude: tuple[str, ...] = ()) -> tuple[MixedEncoder, dict[str, Encoded]]:
    """The shared encoding of several tables (ranges from ``reference``, categories from all), computed
    once per audit and reused by every distance-based metric."""
    present = tuple(r for r in roles if r in inputs.tables)
    key = f"tabular.encoded[{reference}|{','.join(present)}|{','.join(exclude)}]"

    def compute():
        frames = {r: inputs.frame(r) for r in present}
        enc = MixedEncoder(exclude=exclude).fit(inputs.table_spec, inputs.frame(reference),
                                                tuple(frames[r] for r in present))
        return enc, {r: enc.transform(f) for r, f in frames.items()}

    return inputs.features.get(key, compute)
