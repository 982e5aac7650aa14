"""Mergeable category counts and the total variation distance between frequency tables."""
from __future__ import annotations

from collections import Counter
from typing import Any, Hashable, Iterable

import numpy as np
import pandas as pd

MISSING = "(missing)"  # label of the missing-value category in breakdowns


def count_values(values: pd.Series | Iterable[Any]) -> Counter:
    """Counts of each value, missing values counted under ``MISSING``."""
    s = pd.Series(values, dtype=object) if not isinstance(values, pd.Series) else values
    vc = s.astype(object).where(s.notna(), MISSING).value_counts(dropna=False, sort=False)
    return Counter(dict(zip(vc.index.tolist(), vc.to_numpy().tolist())))


def count_pairs(a: pd.Series, b: pd.Series) -> Counter:
    """Counts of each (a, b) value pair, missing values counted under ``MISSING``."""
    aa = a.astype(object).where(a.notna(), MISSING)
    bb = b.astype(object).where(b.notna(), MISSING)
    vc = pd.DataFrame({"a": aa.to_numpy(), "b": bb.to_numpy()}).value_counts(sort=False, dropna=False)
    return Counter(dict(zip(vc.index.tolist(), vc.to_numpy().tolist())))


def frequencies(counts: Counter, keys: Iterable[Hashable]) -> np.ndarray:
    total = sum(counts.values())
    arr = np.array([counts.get(k, 0) for k in keys], dtype=float)
    return arr / total if total else arr


def tvd(real: Counter, synthetic: Counter) -> float:
    """0.5 * sum_w |R(w) - S(w)| over the union of categories (a missing category has frequency 0)."""
    keys = list(dict.fromkeys([*real.keys(), *synthetic.keys()]))
    return float(0.5 * np.abs(frequencies(real, keys) - frequencies(synthetic, keys)).sum())
