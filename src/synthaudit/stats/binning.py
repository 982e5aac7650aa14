"""Shared binning of numerical columns: equal-width edges from the real data, open outer bins."""
from __future__ import annotations

import numpy as np


def equal_width_edges(real_min: float, real_max: float, n_bins: int) -> np.ndarray:
    """Inner edges of ``n_bins`` equal-width bins over [real_min, real_max] (numpy.histogram_bin_edges
    convention, including its +-0.5 widening for a constant column); the outer bins are open, so a value
    below the real minimum falls in the first bin and one above the maximum in the last."""
    edges = np.histogram_bin_edges(np.array([real_min, real_max], dtype=float), bins=n_bins)
    return edges[1:-1]


def bin_index(values: np.ndarray, inner_edges: np.ndarray) -> np.ndarray:
    """Bin number 1..n_bins per value (numpy.digitize semantics); NaN gets -1 (the missing bin)."""
    values = np.asarray(values, dtype=float)
    idx = np.searchsorted(inner_edges, values, side="right") + 1
    return np.where(np.isnan(values), -1, idx)
