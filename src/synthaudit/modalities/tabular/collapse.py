"""Tabular data signatures of model collapse for ``synthaudit track`` (survey section 8.1): support, tails,
volume and self-similarity of each generation's rows against the real table (formulas in analysis/track.py)."""
from __future__ import annotations

import os
from typing import Any

import pandas as pd

from synthaudit.analysis.track import NN_MAX_ROWS, CollapseData, Signatures


def _read(obj: Any, kw: dict[str, Any], label: str) -> pd.DataFrame:
    """A generation (or the real data) read by the loaders of the audit, with its checks: a header-only or
    empty table is an error naming it, before any signature or audit is computed."""
    from synthaudit.data.tabular import Table, check_not_empty

    table = Table.from_any(obj, label, **{k: v for k, v in kw.items() if k in ("fmt", "delimiter", "encoding")})
    return check_not_empty(table.frame(), table.label)


def signatures(real: Any, generations: list[Any], labels: list[str], seed: int,
               read_options: dict[str, Any]) -> CollapseData:
    """Read the tables once (the audits reuse them) and compute every generation's signatures; a ``None``
    generation (a report.json) has none. Columns take the real table's inferred types; nearest-neighbour
    distances use as many rows as the smallest table."""
    from synthaudit.data.tabular import infer_spec

    frames = [None if g is None else _read(g, read_options, label) for g, label in zip(generations, labels)]
    real_frame = _read(real, read_options, "real")
    spec = infer_spec(real_frame, real_frame.columns)
    nn_rows = min([NN_MAX_ROWS, len(real_frame), *(len(f) for f in frames if f is not None)])
    sig = Signatures(real_frame, spec.numerical, spec.categorical, nn_rows=nn_rows, seed=seed)
    per = [{} if f is None else sig.of(f, label, file=str(g) if isinstance(g, (str, os.PathLike)) else None)
           for f, g, label in zip(frames, generations, labels)]
    return CollapseData(generations=frames, real=real_frame, per_generation=per, real_values=sig.real_values())
