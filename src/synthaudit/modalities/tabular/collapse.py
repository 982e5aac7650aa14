"""Tabular data signatures of model collapse for ``synthaudit track`` (survey section 8.1): support, tails,
volume and self-similarity of each generation's rows against the real table (formulas in analysis/track.py)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from synthaudit.analysis.track import NN_MAX_ROWS, CollapseData, Signatures


def _read(obj: Any, kw: dict[str, Any]) -> pd.DataFrame:
    if isinstance(obj, pd.DataFrame):
        return obj
    from synthaudit.data.files import read_file

    return read_file(Path(obj), **{k: v for k, v in kw.items() if k in ("fmt", "delimiter", "encoding")})


def signatures(real: Any, generations: list[Any], labels: list[str], seed: int,
               read_options: dict[str, Any]) -> CollapseData:
    """Read the tables once (the audits reuse them) and compute every generation's signatures; a ``None``
    generation (a report.json) has none. Columns take the real table's inferred types; nearest-neighbour
    distances use as many rows as the smallest table."""
    from synthaudit.data.tabular import infer_spec

    frames = [None if g is None else _read(g, read_options) for g in generations]
    real_frame = _read(real, read_options)
    spec = infer_spec(real_frame, real_frame.columns)
    nn_rows = min([NN_MAX_ROWS, len(real_frame), *(len(f) for f in frames if f is not None)])
    sig = Signatures(real_frame, spec.numerical, spec.categorical, nn_rows=nn_rows, seed=seed)
    per = [{} if f is None else sig.of(f, label) for f, label in zip(frames, labels)]
    return CollapseData(generations=frames, real=real_frame, per_generation=per, real_values=sig.real_values())
