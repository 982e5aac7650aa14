"""alpha-supports and beta-supports (Alaa et al. 2022; survey section 4.2), the 'naive' estimator.

Embedding ('naive', as synthcity's ``*_naive`` keys that TabSyn reports): numbers min-max scaled with the
real ranges (missing imputed and flagged, see encoding.py) and categories one-hot (a mismatch adds 2 to
the squared L2 distance), Euclidean distance.

* alpha-precision curve: with c the real centre (mean embedding) and R_a the a-quantile of real distances
  to c, P(a) = share of synthetic rows within R_a of c (the a-support as a ball: minimum volume for a
  spherical distribution).
* beta-coverage curve (synthcity's estimator): a real row x counts at level b when its nearest synthetic
  row s is no further than x's nearest other real row, and s lies within the b-quantile of the distances
  of these nearest synthetic rows to the synthetic centre.
* Integrated scores over the grid a = linspace(0, 1, 30): synthcity normalises 1 - sum|P(a) - a| / sum(a);
  the original code of Alaa et al. uses 1 - 2 * sum|P(a) - a| * da. Both are reported.

Nearest neighbours: the exact category-signature index of :mod:`synthaudit.stats.knn_index` (distances and
indices equal to the brute-force kernel's).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from synthaudit.metrics.tabular.encoding import encoded_tables
from synthaudit.metrics.tabular.features import canonical_order
from synthaudit.stats.knn_index import knn  # exact, the same results as stats.neighbors.knn, indexed

N_STEPS = 30
ONE_HOT_L2_MISMATCH = 2.0  # squared L2 between two different one-hot vectors


@dataclass
class SupportCurves:
    alphas: np.ndarray
    precision: np.ndarray      # P(a) per alpha
    coverage: np.ndarray       # C(b) per beta
    n_real: int
    n_synthetic: int
    sampled: bool

    def delta(self, curve: np.ndarray, normalisation: str = "synthcity") -> float:
        gap = np.abs(self.alphas - curve)
        if normalisation == "alaa":
            return float(1 - 2 * gap.sum() * (self.alphas[1] - self.alphas[0]))
        return float(1 - gap.sum() / self.alphas.sum())

    def at(self, curve: np.ndarray, level: float) -> float:
        """The curve at one level (linear interpolation on the grid)."""
        return float(np.interp(level, self.alphas, curve))


def support_curves(inputs, max_rows: int | None = 20_000) -> SupportCurves:
    """alpha-precision and beta-coverage curves, computed once per audit (shared by both metrics)."""
    key = f"tabular.support_curves[{max_rows}]"

    def compute() -> SupportCurves:
        encoder, tables = encoded_tables(inputs, roles=("real_reference", "synthetic"), reference="real_reference")
        cap = int(max_rows) if max_rows else None
        real, syn = (tables[r].take(canonical_order(inputs, r)[:cap]) for r in ("real_reference", "synthetic"))
        sampled = len(real) < len(tables["real_reference"]) or len(syn) < len(tables["synthetic"])
        xr, xs = encoder.onehot(real).toarray(), encoder.onehot(syn).toarray()  # [numbers, one-hot]
        alphas = np.linspace(0, 1, N_STEPS)
        center = xr.mean(axis=0)
        radii = np.quantile(np.linalg.norm(xr - center, axis=1), alphas)
        syn_to_center = np.linalg.norm(xs - center, axis=1)
        precision = np.array([(syn_to_center <= r).mean() for r in radii])

        rr, _ = knn(real.num, real.cat, real.num, real.cat, k=1, p=2, exclude_self=True,
                    mismatch=ONE_HOT_L2_MISMATCH)
        rs, rs_idx = knn(real.num, real.cat, syn.num, syn.cat, k=1, p=2, mismatch=ONE_HOT_L2_MISMATCH)
        real_to_real, real_to_syn, closest = rr[:, 0], rs[:, 0], rs_idx[:, 0]
        syn_center = xs.mean(axis=0)
        closest_d = np.linalg.norm(xs[closest] - syn_center, axis=1)
        radii_syn = np.quantile(closest_d, alphas)
        near = real_to_syn <= real_to_real
        coverage = np.array([(near & (closest_d <= r)).mean() for r in radii_syn])
        return SupportCurves(alphas, precision, coverage, len(real), len(syn), sampled)

    return inputs.features.get(key, compute)
