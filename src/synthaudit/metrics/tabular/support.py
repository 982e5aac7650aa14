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


def beta_coverage(xs: np.ndarray, real_to_real: np.ndarray, real_to_syn: np.ndarray, closest: np.ndarray,
                  alphas: np.ndarray) -> np.ndarray:
    """synthcity's beta-coverage curve C(b) per level in ``alphas`` from the nearest-neighbour pass: ``xs`` the
    synthetic embeddings, per real row the distance to its nearest other real row, to its nearest synthetic row
    and that row's index (see the module docstring)."""
    syn_center = xs.mean(axis=0)
    closest_d = np.linalg.norm(xs[closest] - syn_center, axis=1)
    radii_syn = np.quantile(closest_d, alphas)
    near = real_to_syn <= real_to_real
    return np.array([(near & (closest_d <= r)).mean() for r in radii_syn])


def beta_coverage_arrays(xr: np.ndarray, xs: np.ndarray, alphas: np.ndarray | None = None) -> np.ndarray:
    """The beta-coverage curve (:func:`beta_coverage`) of numeric embeddings (n_real, d) and (n_syn, d), Euclidean
    distance, exact nearest neighbours (``alphas`` defaults to linspace(0, 1, N_STEPS)); the tabular path with
    its own embedding. Needs at least 2 real rows and 1 synthetic row."""
    xr, xs = np.asarray(xr, dtype=float), np.asarray(xs, dtype=float)
    if xr.ndim != 2 or xs.ndim != 2 or xr.shape[1] != xs.shape[1]:
        raise ValueError(f"expected two 2-D arrays with equal widths, got shapes {xr.shape} and {xs.shape}")
    if len(xr) < 2 or len(xs) < 1:
        raise ValueError(f"beta-coverage needs >= 2 real and >= 1 synthetic rows, got {len(xr)} and {len(xs)}")
    alphas = np.linspace(0, 1, N_STEPS) if alphas is None else np.asarray(alphas, dtype=float)
    no_cat = np.zeros((len(xr), 0), dtype=np.int64)
    rr, _ = knn(xr, no_cat, xr, no_cat, k=1, p=2, exclude_self=True)
    rs, rs_idx = knn(xr, no_cat, xs, np.zeros((len(xs), 0), dtype=np.int64), k=1, p=2)
    return beta_coverage(xs, rr[:, 0], rs[:, 0], rs_idx[:, 0], alphas)


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
        coverage = beta_coverage(xs, rr[:, 0], rs[:, 0], rs_idx[:, 0], alphas)
        return SupportCurves(alphas, precision, coverage, len(real), len(syn), sampled)

    return inputs.features.get(key, compute)
