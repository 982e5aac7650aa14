"""What the deep-generator tests share: which training categories a sample must bring back (issue #20)."""
from __future__ import annotations

import pandas as pd

MISS = 1e-3  # a category may be absent only if an exact sampler would miss it with at least this probability


def categories_a_sample_keeps(train: pd.Series, rows: int, miss: float = MISS) -> set:
    """The categories of ``train`` that ``rows`` draws from its own marginal all contain with probability
    > 1 - ``miss`` each: a category of count c among n rows is missed with probability (1 - c/n)^rows, about
    exp(-rows c / n); the rarer ones may be absent from a faithful sample by chance."""
    counts, n = train.value_counts(), int(train.notna().sum())
    return {v for v, c in counts.items() if (1 - c / n) ** rows < miss}


def lost_categories(train: pd.DataFrame, synthetic: pd.DataFrame) -> dict[str, list]:
    """Per categorical column, the training categories the synthetic table lacks (printed by the tests)."""
    out = {c: sorted(set(train[c].dropna()) - set(synthetic[c].dropna()), key=str) for c in train.columns
           if not pd.api.types.is_numeric_dtype(train[c])}
    return {c: v for c, v in out.items() if v}

