"""Mergeable category counts and the total variation distance between frequency tables."""
from __future__ import annotations

from collections import Counter
from typing import Any, Hashable, Iterable

import numpy as np
import pandas as pd

MISSING = "(missing)"  # label of the missing-value category in breakdowns


def count_values(values: pd.Series | Iterable[Any]) -> Counter:
    """Counts of each value, missing values counted under ``MISSING`` (fast path for Categoricals)."""
    s = values if isinstance(values, pd.Series) else pd.Series(list(values), dtype=object)
    if isinstance(s.dtype, pd.CategoricalDtype):
        cats = list(s.cat.categories)
        counts = np.bincount(s.cat.codes.to_numpy() + 1, minlength=len(cats) + 1)
        out = Counter({cats[i - 1] if i else MISSING: int(c) for i, c in enumerate(counts) if c})
        return out
    vc = s.astype(object).where(s.notna(), MISSING).value_counts(dropna=False, sort=False)
    return Counter(dict(zip(vc.index.tolist(), vc.to_numpy().tolist())))


def category_codes(s: pd.Series) -> tuple[np.ndarray, list]:
    """(codes with missing = 0, labels with MISSING first) for any Series (Categoricals without a row loop)."""
    if isinstance(s.dtype, pd.CategoricalDtype):
        return s.cat.codes.to_numpy().astype(np.int64) + 1, [MISSING, *s.cat.categories]
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    return codes.astype(np.int64) + 1, [MISSING, *uniques]


def count_pairs(a: pd.Series, b: pd.Series) -> Counter:
    """Counts of each (a, b) value pair, missing values counted under ``MISSING``; vectorised on codes."""
    ca, la = category_codes(a)
    cb, lb = category_codes(b)
    kb = len(lb)
    joint = ca * kb + cb
    if len(la) * kb <= 4_000_000:
        counts = np.bincount(joint, minlength=len(la) * kb)
        keys = np.flatnonzero(counts)
        vals = counts[keys]
    else:
        keys, vals = np.unique(joint, return_counts=True)
    return Counter({(la[k // kb], lb[k % kb]): int(v) for k, v in zip(keys.tolist(), vals.tolist())})


def add_counters(a: dict, b: dict, keys: str, roles: Iterable[str]) -> dict:
    """Merge two states holding one Counter per role and per item of ``a[keys]`` (column pairs, triples): ``b``'s
    counts are added into ``a``'s Counters in place (``a`` is the running state a shard is merged into once;
    ``Counter.__add__`` would copy every Counter at each merge) and ``a`` is returned."""
    for role in roles:
        ours, theirs = a[role], b[role]
        for item in a[keys]:
            ours[item].update(theirs[item])
    return a


def frequencies(counts: Counter, keys: Iterable[Hashable]) -> np.ndarray:
    total = sum(counts.values())
    arr = np.array([counts.get(k, 0) for k in keys], dtype=float)
    return arr / total if total else arr


def tvd(real: Counter, synthetic: Counter) -> float:
    """0.5 * sum_w |R(w) - S(w)| over the union of categories (a missing category has frequency 0)."""
    keys = list(dict.fromkeys([*real.keys(), *synthetic.keys()]))
    return float(0.5 * np.abs(frequencies(real, keys) - frequencies(synthetic, keys)).sum())
