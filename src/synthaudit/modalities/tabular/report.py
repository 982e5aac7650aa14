"""Report figures of the tabular modality: one column x column matrix of the pairwise fidelity breakdowns."""
from __future__ import annotations

from typing import Any

import numpy as np


def pair_matrix(metrics: list[Any]) -> tuple[list[str], np.ndarray] | None:
    """One column x column matrix from every breakdown with column_1/column_2/value rows."""
    rows = [(r["column_1"], r["column_2"], r.get("value")) for m in metrics if m.status == "ok"
            for r in m.breakdown if "column_1" in r and "column_2" in r]
    if not rows:
        return None
    cols = list(dict.fromkeys([c for a, b, _ in rows for c in (a, b)]))
    index = {c: i for i, c in enumerate(cols)}
    mat = np.full((len(cols), len(cols)), np.nan)
    for a, b, v in rows:
        if v is not None:
            mat[index[a], index[b]] = mat[index[b], index[a]] = v
    return cols, mat


#: columns drawn in the heatmap: a wider table shows the columns with the largest differences
MAX_HEATMAP_COLUMNS = 60


def figures(metrics: list[Any]) -> list[dict[str, Any]]:
    """The pairwise-differences heatmap beside the fidelity metrics (when two or more columns pair up)."""
    pm = pair_matrix([m for m in metrics if m.dimension == "fidelity"])
    if pm is None or len(pm[0]) < 2:
        return []
    cols, mat = pm
    title = "Pairwise differences (|Δρ|/2 for numerical pairs, contingency TVD otherwise)"
    if len(cols) > MAX_HEATMAP_COLUMNS:
        worst = np.where(np.isnan(mat), -np.inf, mat).max(axis=1)
        keep = np.sort(np.argsort(-worst, kind="stable")[:MAX_HEATMAP_COLUMNS])
        title += f"; the {MAX_HEATMAP_COLUMNS} columns with the largest differences, of {len(cols)}"
        cols, mat = [cols[i] for i in keep], mat[np.ix_(keep, keep)]
    matrix = [[None if np.isnan(v) else float(v) for v in row] for row in mat]
    return [{"dimension": "fidelity", "kind": "heatmap", "labels": cols, "matrix": matrix, "title": title}]
