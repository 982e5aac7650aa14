"""KST past the exact scale (survey section 4.2): columns compared through KLL quantile sketches.

A column with more than ``sketch_above`` non-missing values on either side is compared through one
:class:`~synthaudit.stats.sketches.QuantileSketch` per side (KLL, parameter ``k``); the statistic is
:func:`~synthaudit.stats.sketches.ks_statistic_sketch`, within ``eps_real + eps_syn`` (the sketches'
normalized rank errors, 99 % confidence) of the exact one. Smaller columns stay exact.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from synthaudit.stats import sketches

KS_SKETCH_ABOVE = 10_000_000
KLL_K = 1000
KS_SKETCH_NOTE = ("code default: non-missing values of a column (either side) above which it is compared through "
                  "KLL sketches (needs datasketches: pip install 'synthaudit[scale]'); 0 = always exact")
KLL_K_NOTE = "code default: KLL sketch size; KS error bound = sum of the two normalized rank errors (0.28 % at 1000)"


@dataclass
class KSSketching:
    """Whether and how each column of one ``tabular.kst`` run is sketched."""

    above: int
    k: int
    unavailable: bool = False

    def applies(self, n_real: int, n_syn: int) -> bool:
        if not self.above or max(n_real, n_syn) <= self.above:
            return False
        if not sketches.available():
            self.unavailable = True
            return False
        return True

    def compare(self, real: np.ndarray, syn: np.ndarray) -> dict[str, Any]:
        """Breakdown fields of a sketched column: the approximate KS and its error bound."""
        stat, bound = sketches.ks_statistic_sketch(sketches.QuantileSketch(self.k).update(real),
                                                   sketches.QuantileSketch(self.k).update(syn))
        return {"value": stat, "approximate": "kll", "error_bound": bound}

    def notes(self, rows: list[dict[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.unavailable:
            out["sketch"] = (f"exact although a column has more than {self.above:,} values: datasketches is not "
                             "installed (pip install 'synthaudit[scale]')")
        sketched = [r for r in rows if r.get("approximate") == "kll"]
        if sketched:
            out["approximate"] = (
                f"kll, k={self.k}: column(s) {', '.join(r['column'] for r in sketched)} (more than {self.above:,} "
                f"values on one side) compared through KLL sketches; |KS_sketch - KS| <= error_bound (sum of the "
                f"two sketches' normalized rank errors, 99 % confidence), at most "
                f"{max(r['error_bound'] for r in sketched):.4f}; KLL compaction is randomised inside datasketches, "
                "so repeated runs can differ within the bound")
        return out


def ks_sketching(sketch_above: int, k: int) -> KSSketching:
    if int(sketch_above) < 0:
        raise ValueError(f"sketch_above must be >= 0 (0 = always exact), got {sketch_above!r}")
    if not 8 <= int(k) <= 65535:
        raise ValueError(f"kll_k must be in [8, 65535], got {k!r}")
    return KSSketching(int(sketch_above), int(k))
