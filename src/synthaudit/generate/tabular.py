"""Classic statistical tabular generator: a Gaussian copula with mixed types, written on scipy.

Survey section 4.1 (generation) and the tutorial's statistical baselines. Every column is a standard-normal latent
(some categorical columns: a group latent plus within-group latents) cut into intervals: numbers and datetimes at
their empirical CDF, categories at their frequencies, as in SDV's GaussianCopula (RDT's frequency/uniform encoders).
Sampling draws the latents and reads off the intervals, so every column keeps its marginal and its missing rate.

With the category intervals in an arbitrary order (first appearance, as SDV and this generator did before), a
categorical latent carries no dependence and associations collapse (UCI Adult: Cramer's V education ~ education_num
1.00 -> 0.07, relationship ~ sex 0.65 -> 0.08). Instead:

* categories are ordered along the first discriminant direction of the other columns' scores (optimal scaling /
  homogeneity analysis, iterated a few sweeps): adjacent intervals hold categories that co-occur with similar values
  elsewhere (education follows education_num);
* a nominal column whose categories also differ along the second direction is laid out as a treemap: a group latent
  picks a block of adjacent categories, a latent per block the category in it (relationship: a married block
  {Husband, Wife} split along sex). Within-group cut points are quantiles given the group, so frequencies stay exact;
  correlations that no rows identify (a within-group latent with its own group latent, or with a column nearly
  constant in the group) are the maximum-entropy completion;
* each latent correlation is calibrated so that the copula reproduces the data's mean product of interval scores
  (bivariate-normal rectangle probabilities, given the group for within-group latents); the correlation of jittered
  scores, used before, shrinks every categorical association. Two continuous numbers use their normal scores.

It models pairwise latent-linear dependence, not higher-order structure: a baseline, not a model.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import linalg, sparse, special, stats

from synthaudit.data.tabular import ColumnType, TableSpec, infer_spec

_SWEEPS = 3          # layout iterations (optimal-scaling sweeps)
_MIN_COUNT = 5       # categories with fewer rows keep a neutral position (no ordering by their own rows)
_SHRINK = 5.0        # category means are shrunk towards 0 by n_c / (n_c + _SHRINK)
_MAX_TREEMAP = 30    # nominal columns with more categories are laid out along one direction only
_BINS = 32           # the calibration coarsens every latent to at most this many intervals
_NODES = 6           # Gauss-Legendre nodes per conditioning group latent
_FREE_SPREAD = 0.05  # a pair is unidentified where either latent keeps < 5% of its variance on the shared rows
_GL_T, _GL_W = np.polynomial.legendre.leggauss(_NODES)
_GL24 = np.polynomial.legendre.leggauss(24)
_ROUNDS = 4          # calibration rounds for within-group latents (their group correlation is re-completed)


@dataclass
class _Column:
    name: str
    kind: str  # "numeric", "datetime" or "category"
    values: np.ndarray | None = None        # sorted observed values (numeric/datetime)
    integer: bool = False
    missing_rate: float = 0.0
    categories: list[Any] | None = None      # category values in layout order (missing included as NaN)
    cum: np.ndarray | None = None            # upper cumulative probability of each group (categories)
    start: np.ndarray | None = None          # layout position of each group's first category
    sizes: np.ndarray | None = None          # categories per group
    slot: int = -1                           # index of the column's (group) latent
    sub: dict[int, int] = field(default_factory=dict)  # group -> index of its within-group latent
    cuts: dict[int, np.ndarray] = field(default_factory=dict)  # group -> within-group boundaries (z scale)
    dtype: Any = None


@dataclass
class _Slot:
    """One latent: its rows' calibration interval (code -1: not observed), the interval upper bounds and scores."""
    column: int
    code: np.ndarray
    upper: np.ndarray                        # upper cumulative probabilities of the calibration intervals
    parent: int = -1                         # group latent of a within-group latent
    group: tuple[float, float] = (0.0, 1.0)  # the parent's u-interval in which this latent is observed
    group_index: int = -1
    fine: np.ndarray | None = None           # a continuous number's normal scores (van der Waerden), 0 if missing

    def __post_init__(self) -> None:
        self.score = _interval_means(self.upper)
        self.cuts = special.ndtri(self.upper[:-1])  # interval boundaries on the latent (z) scale

    def values(self) -> np.ndarray:
        """Each row's score (0 where the latent is not observed)."""
        return np.where(self.code >= 0, self.score[np.maximum(self.code, 0)], 0.0)

    def condition(self, rho: float) -> None:
        """Within-group boundaries when the latent has correlation ``rho`` with its group latent: quantiles of
        the latent given that the group latent lies in the group, so within-group frequencies stay exact."""
        t, w = _GL24
        lo, hi = self.group
        z1 = special.ndtri(lo + (hi - lo) * (t + 1) / 2)
        s = np.sqrt(max(1 - rho * rho, 1e-12))
        a, b = np.full(len(self.cuts), -12.0), np.full(len(self.cuts), 12.0)
        for _ in range(50):  # bisection: P(W <= c | group) = upper
            mid = (a + b) / 2
            below = special.ndtr((mid[:, None] - rho * z1[None, :]) / s) @ (w / 2) < self.upper[:-1]
            a, b = np.where(below, mid, a), np.where(below, b, mid)
        self.cuts = (a + b) / 2


class GaussianCopula:
    """``fit(frame)`` then ``sample(n)``; deterministic for a given seed."""

    def __init__(self, seed: int = 0) -> None:
        self.seed = seed
        self._cols: list[_Column] = []
        self._corr: np.ndarray | None = None
        self._order: list[str] = []

    def fit(self, frame: pd.DataFrame, spec: TableSpec | None = None) -> "GaussianCopula":
        """Encode the columns, lay out the categories (discriminant sweeps, treemaps), calibrate the latent
        correlations. No randomness: the seed only drives ``sample``."""
        if len(frame) == 0:
            raise ValueError("cannot fit a generator on an empty table")
        spec = spec or infer_spec(frame, frame.columns)
        n = len(frame)
        self._order = list(frame.columns)
        self._cols, base = [], []  # base: numeric -> its latent; category -> (codes, counts)
        for name in self._order:
            col = frame[name]
            numbers = numeric_values(col, spec.columns[name].type if name in spec.columns else None)
            if numbers is not None:
                x, kind = numbers
                ok = ~np.isnan(x)
                xs = np.sort(x[ok])
                self._cols.append(_Column(name, kind, values=xs, integer=bool(np.all(xs % 1 == 0)),
                                          missing_rate=float(1 - ok.mean()), dtype=col.dtype))
                base.append(_numeric_slot(len(self._cols) - 1, x, ok, xs))
                continue
            codes, uniques = pd.factorize(col, use_na_sentinel=True, sort=False)
            cats = list(uniques) + ([np.nan] if (codes < 0).any() else [])  # missing stays NaN, as in pandas
            codes = np.where(codes < 0, len(uniques), codes)
            self._cols.append(_Column(name, "category", categories=cats, dtype=col.dtype))
            base.append((codes, np.bincount(codes, minlength=len(cats))))
        layouts = {j: _Layout(b[1], np.argsort(-b[1], kind="stable"), np.ones(len(b[1]), dtype=np.int64))
                   for j, b in enumerate(base) if isinstance(b, tuple)}
        # every column's latent scores, for the other columns' layouts
        blocks = {j: [s.values() for s in ([b] if isinstance(b, _Slot) else layouts[j].slots(j, b[0], 0))]
                  for j, b in enumerate(base)}
        for _ in range(_SWEEPS):
            changed = False
            for j in [j for j in layouts if len(layouts[j].order) > 2]:
                others = [v for k, vs in blocks.items() if k != j for v in vs]
                new = _discriminant_layout(base[j], np.column_stack(others) if others else np.zeros((n, 0)))
                if new is not None and not new.same_as(layouts[j]):
                    layouts[j], changed = new, True
                    blocks[j] = [s.values() for s in new.slots(j, base[j][0], 0)]
            if not changed:
                break
        slots = self._slots(base, layouts)
        self._corr = _nearest_correlation(_latent_correlation(slots))
        for j, lay in layouts.items():
            c = self._cols[j]
            c.categories = [c.categories[i] for i in lay.order]
            c.cum, c.start, c.sizes = lay.cum, lay.start, lay.sizes
        for k, s in enumerate(slots):
            c = self._cols[s.column]
            if s.parent < 0:
                c.slot = k
            else:
                c.sub[s.group_index] = k
                c.cuts[s.group_index] = s.cuts
        return self

    def _slots(self, base: list, layouts: dict) -> list[_Slot]:
        """All latents in column order: a number's, or a category column's group latent and within-group ones."""
        out: list[_Slot] = []
        for j, b in enumerate(base):
            if isinstance(b, _Slot):
                out.append(b)
            else:
                out.extend(layouts[j].slots(j, b[0], len(out)))
        return out

    def sample(self, n: int, seed: int | None = None) -> pd.DataFrame:
        if self._corr is None:
            raise RuntimeError("call fit() first")
        rng = np.random.default_rng(self.seed + 1 if seed is None else seed)
        k = self._corr.shape[0]
        z = rng.multivariate_normal(np.zeros(k), self._corr, size=n, method="eigh") if k else np.zeros((n, 0))
        u = special.ndtr(z)
        out = {}
        for c in self._cols:
            if c.kind == "category":
                g = np.minimum(np.searchsorted(c.cum, u[:, c.slot], side="right"), len(c.cum) - 1)
                pos = c.start[g].copy()
                for gi, k2 in c.sub.items():  # the category within a block: its latent against the block's cuts
                    rows = g == gi
                    pos[rows] += np.searchsorted(c.cuts[gi], z[rows, k2], side="right")
                out[c.name] = pd.Series([c.categories[i] for i in pos], dtype=object)
                continue
            x = np.interp(u[:, c.slot] * (len(c.values) - 1), np.arange(len(c.values)), c.values)  # linear quantile
            if c.integer:
                x = np.round(x)
            if c.missing_rate > 0:
                x[rng.random(n) < c.missing_rate] = np.nan
            if c.kind == "datetime":
                ts = pd.Series(pd.to_datetime(np.where(np.isnan(x), np.nan, x).astype("float64"), unit="ns"))
                out[c.name] = ts
            elif c.integer and c.missing_rate == 0 and pd.api.types.is_integer_dtype(c.dtype):
                out[c.name] = pd.Series(x.astype(np.int64))
            else:
                out[c.name] = pd.Series(x)
        return pd.DataFrame(out)[self._order]


# -- encodings ----------------------------------------------------------------------------------------------
def _interval_means(upper: np.ndarray) -> np.ndarray:
    """E[Z | Z in interval] for Z ~ N(0, 1) and consecutive u-intervals ending at ``upper``."""
    lower = np.concatenate([[0.0], upper[:-1]])
    a, b = special.ndtri(np.clip(lower, 0, 1)), special.ndtri(np.clip(upper, 0, 1))
    mass = upper - lower
    with np.errstate(invalid="ignore", divide="ignore"):
        m = (np.exp(-0.5 * a * a) - np.exp(-0.5 * b * b)) / np.sqrt(2 * np.pi) / mass
    return np.where(mass > 1e-15, np.nan_to_num(m), 0.0)


def _coarsen(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Consecutive intervals with these counts -> (interval -> calibration bin, bin upper bounds), <= _BINS bins."""
    cum = np.cumsum(counts) / counts.sum()
    if len(counts) <= _BINS:
        return np.arange(len(counts)), cum
    _, binned = np.unique(np.floor((cum - counts / (2 * counts.sum())) * _BINS), return_inverse=True)
    upper = np.zeros(binned.max() + 1)
    np.maximum.at(upper, binned, cum)
    return binned, upper


def _numeric_slot(column: int, x: np.ndarray, ok: np.ndarray, xs: np.ndarray) -> _Slot:
    uniq, counts = np.unique(xs, return_counts=True)
    binned, upper = _coarsen(counts)
    code = np.full(len(x), -1, dtype=np.int64)
    code[ok] = binned[np.searchsorted(uniq, x[ok])]
    fine = None
    if len(uniq) > _BINS and counts.max() * _BINS <= len(xs):  # continuous: no atom worth a calibration bin
        fine = np.zeros(len(x))
        fine[ok] = special.ndtri(stats.rankdata(x[ok]) / (len(xs) + 1))
    return _Slot(column, code, upper, fine=fine)


class _Layout:
    """Categories (codes) -> contiguous groups along the group latent, and positions within each group."""

    def __init__(self, counts: np.ndarray, order: np.ndarray, sizes: np.ndarray) -> None:
        self.counts, self.order, self.sizes = counts, np.asarray(order), np.asarray(sizes, dtype=np.int64)
        self.pos = np.empty(len(order), dtype=np.int64)
        self.pos[self.order] = np.arange(len(order))              # category code -> layout position
        self.gid = np.repeat(np.arange(len(self.sizes)), self.sizes)  # layout position -> group
        c = counts[self.order].astype(float)
        self.gcount = np.bincount(self.gid, weights=c, minlength=len(self.sizes))
        self.cum = np.cumsum(self.gcount) / counts.sum()
        self.start = np.concatenate([[0], np.cumsum(self.sizes)[:-1]]).astype(np.int64)
        before = np.concatenate([[0.0], np.cumsum(self.gcount)[:-1]])  # rows in the groups before each group
        self.inner = (np.cumsum(c) - before[self.gid]) / np.maximum(self.gcount[self.gid], 1.0)

    def same_as(self, other: "_Layout") -> bool:
        return np.array_equal(self.order, other.order) and np.array_equal(self.sizes, other.sizes)

    def slots(self, column: int, codes: np.ndarray, first: int) -> list[_Slot]:
        g = self.gid[self.pos[codes]]
        binned, upper = _coarsen(self.gcount)
        out = [_Slot(column, binned[g], upper)]
        lower = np.concatenate([[0.0], self.cum[:-1]])
        for gi in np.flatnonzero(self.sizes > 1):
            s, k = self.start[gi], self.sizes[gi]
            within = self.pos[codes] - s
            code = np.where(g == gi, within, -1)
            out.append(_Slot(column, code, self.inner[s:s + k].copy(), parent=first,
                             group=(float(lower[gi]), float(self.cum[gi])), group_index=int(gi)))
        return out


def _discriminant_layout(b: tuple, X: np.ndarray) -> "_Layout | None":
    """Order categories along the first discriminant direction of the other latents' scores ``X`` (optimal
    scaling); group them into a treemap where categories differ more along the second direction than the first."""
    codes, counts = b
    n, K = len(codes), len(counts)
    if np.count_nonzero(counts >= _MIN_COUNT) < 2:
        return None  # nothing to order (e.g. an id column): keep the frequency order
    mu = X.mean(axis=0)
    cov = X.T @ X / n - np.outer(mu, mu)
    sd = np.sqrt(np.maximum(np.diag(cov), 0.0))
    keep = sd > 1e-9
    if not keep.any():
        return None
    mu, sd, cov = mu[keep], sd[keep], cov[np.ix_(keep, keep)]
    onehot = sparse.csr_matrix((np.ones(n), (codes, np.arange(n))), shape=(K, n))
    sums = (onehot @ X[:, keep] - counts[:, None] * mu) / sd  # per category, standardised scores
    means = sums / (counts[:, None] + _SHRINK)
    means[counts < _MIN_COUNT] = 0.0  # rare categories (e.g. ids) are not ordered by their own rows
    p = counts / n
    between = (means * p[:, None]).T @ means
    total = cov / np.outer(sd, sd) + 1e-6 * np.eye(len(sd))
    lam, vec = linalg.eigh(between, total)
    # Fisher scale: a direction that (nearly) determines the category separates close categories well
    x = means @ vec[:, -1] / np.sqrt(max(1 - lam[-1], 1e-3))
    y = means @ vec[:, -2] / np.sqrt(max(1 - lam[-2], 1e-3)) if vec.shape[1] > 1 else np.zeros(K)
    if x[np.argmax(counts)] > 0:  # a canonical sign: the most frequent category on the low side
        x = -x
    order = np.lexsort((np.arange(K), -counts, x))
    sizes = _treemap_groups(x[order], y[order], p[order]) if K <= _MAX_TREEMAP else np.ones(K, dtype=np.int64)
    start = 0
    for s in sizes:
        seg = order[start:start + s]
        order[start:start + s] = seg[np.lexsort((np.arange(s), y[seg]))]
        start += s
    return _Layout(counts, order, np.asarray(sizes))


def _treemap_groups(x: np.ndarray, y: np.ndarray, w: np.ndarray) -> list[int]:
    """Contiguous groups along x minimising sum(within-group x spread - within-group y spread) (dynamic programme);
    singletons unless a group's categories differ more along y than along x."""
    K = len(x)
    best, cut = np.full(K + 1, np.inf), np.zeros(K + 1, dtype=np.int64)
    best[0] = 0.0
    for j in range(1, K + 1):
        for i in range(j):
            ww, cost = w[i:j], 0.0
            if j - i > 1 and ww.sum() > 0:
                xm, ym = np.average(x[i:j], weights=ww), np.average(y[i:j], weights=ww)
                cost = (ww * (x[i:j] - xm) ** 2).sum() - (ww * (y[i:j] - ym) ** 2).sum() + 1e-12
            if best[i] + cost < best[j]:
                best[j], cut[j] = best[i] + cost, i
    sizes, j = [], K
    while j > 0:
        sizes.append(int(j - cut[j]))
        j = cut[j]
    return sizes[::-1]


# -- latent correlation ---------------------------------------------------------------------------------------
def _latent_correlation(slots: list[_Slot]) -> np.ndarray:
    """Pairwise latent correlations whose model covariance of interval scores matches the data's: group latents
    and numbers first, then within-group latents (conditioned on their group), then pairs of those."""
    m = len(slots)
    R = np.eye(m)
    if m < 2:
        return R
    n = len(slots[0].code)
    S = np.zeros((n, m))
    obs = np.zeros((n, m))
    for k, s in enumerate(slots):
        seen = s.code >= 0
        S[seen, k], obs[:, k] = s.score[s.code[seen]], seen
    with np.errstate(invalid="ignore", divide="ignore"):
        target = (S.T @ S) / (obs.T @ obs)
    # a pair is unidentified when its latents are never observed together with some spread in both (a
    # within-group latent with its own group latent or siblings; marital status among married couples)
    both = obs.T @ obs
    with np.errstate(invalid="ignore", divide="ignore"):
        spread = ((S * S).T @ obs) / both - ((S.T @ obs) / both) ** 2      # [i, j]: variance of i where j is seen
        spread = spread / np.diag(spread)[:, None]
    ident = (both >= 20) & (np.nan_to_num(spread) >= _FREE_SPREAD) & (np.nan_to_num(spread.T) >= _FREE_SPREAD)
    pairs, free = [], []
    for i in range(m):
        for j in range(i + 1, m):
            if slots[i].column != slots[j].column and (ident[i, j] or (slots[i].parent < 0 and slots[j].parent < 0)):
                pairs.append((i, j))
            elif slots[i].parent >= 0 or slots[j].parent >= 0:
                free.append((i, j))
    cont = [k for k, s in enumerate(slots) if s.fine is not None]
    if len(cont) > 1:  # two continuous numbers: the normal scores' correlation on their shared rows
        F, seen = np.column_stack([slots[k].fine for k in cont]), obs[:, cont]
        with np.errstate(invalid="ignore", divide="ignore"):
            corr = (F.T @ F) / np.sqrt(((F * F).T @ seen) * (seen.T @ (F * F)))
        R[np.ix_(cont, cont)] = np.clip(np.nan_to_num(corr), -1.0, 1.0)
        np.fill_diagonal(R, 1.0)
        pairs = [(i, j) for i, j in pairs if slots[i].fine is None or slots[j].fine is None]
    for rnd in range(_ROUNDS if free else 1):
        for stage in ((0, 1, 2) if rnd == 0 else (1, 2)):
            for i, j in pairs:
                if (slots[i].parent >= 0) + (slots[j].parent >= 0) == stage and np.isfinite(target[i, j]):
                    R[i, j] = R[j, i] = _calibrate(slots, R, i, j, target[i, j])
        if free:
            R = _max_entropy_completion(_nearest_correlation(R), free)
            for k, s in enumerate(slots):
                if s.parent >= 0:
                    s.condition(R[k, s.parent])
    return R


def _max_entropy_completion(R: np.ndarray, free: list[tuple[int, int]], steps: int = 30) -> np.ndarray:
    """Set the unidentified entries to the maximum-determinant completion (zero partial correlation given the
    other latents): Newton steps on log det over the free entries, halved to stay positive definite."""
    R = R.copy()
    if not free:
        return R
    rows, cols = np.array([f[0] for f in free]), np.array([f[1] for f in free])
    for _ in range(steps):
        P = np.linalg.inv(R)
        grad = 2 * P[rows, cols]
        if np.max(np.abs(grad)) < 1e-8:
            break
        H = -2 * (P[np.ix_(rows, rows)] * P[np.ix_(cols, cols)] + P[np.ix_(rows, cols)] * P[np.ix_(cols, rows)])
        step = np.linalg.solve(H - 1e-9 * np.eye(len(free)), -grad)
        t = 1.0
        while t > 1e-4:
            trial = R.copy()
            trial[rows, cols] += t * step
            trial[cols, rows] = trial[rows, cols]
            if np.linalg.eigvalsh(trial)[0] > 1e-9:
                R = trial
                break
            t /= 2
        else:
            break
    return R


def _calibrate(slots: list[_Slot], R: np.ndarray, i: int, j: int, target: float) -> float:
    """The latent correlation r of slots i, j whose model E[score_i * score_j] equals ``target``; a within-group
    latent is taken given its group latent in the group (Gauss-Legendre nodes, copula-weighted for two groups).
    The model moment is monotone in r: Brent's method on it, the ends when the target is out of reach."""
    si, sj = slots[i], slots[j]
    if len(si.cuts) == 0 or len(sj.cuts) == 0:
        return 0.0
    conds = [(s.parent, s.group) for s in (si, sj) if s.parent >= 0]
    nodes = [special.ndtri(lo + (hi - lo) * (_GL_T + 1) / 2) for _, (lo, hi) in conds]
    if len(conds) == 2:
        za, zb = np.meshgrid(nodes[0], nodes[1], indexing="ij")
        rho = R[conds[0][0], conds[1][0]]
        dens = np.exp(-(rho * rho * (za * za + zb * zb) - 2 * rho * za * zb) / (2 * max(1 - rho * rho, 1e-9)))
        zc, wc = np.column_stack([za.ravel(), zb.ravel()]), (np.outer(_GL_W, _GL_W) * dens).ravel()
    elif conds:
        zc, wc = nodes[0][:, None], _GL_W
    else:
        zc, wc = np.zeros((1, 0)), np.ones(1)
    wc = wc / wc.sum()
    if conds:  # (Zi, Zj) given the group latents: mean = A z, covariance = C - A C_c
        c = [p for p, _ in conds]
        Cc = R[np.ix_(c, [i, j])]
        A = np.linalg.solve(R[np.ix_(c, c)], Cc).T
        mean, explained = zc @ A.T, A @ Cc
    else:
        mean, explained = np.zeros((1, 2)), np.zeros((2, 2))
    sd = np.sqrt(np.maximum(1 - np.diag(explained), 1e-12))
    k0 = explained[0, 1]
    di, dj = np.diff(si.score), np.diff(sj.score)
    h = (mean[:, :1] - si.cuts[None, :]) / sd[0]                     # P(Zi > cut) = Phi(h)
    k = (mean[:, 1:] - sj.cuts[None, :]) / sd[1]
    h, k = np.broadcast_arrays(h[:, :, None], k[:, None, :])           # nodes x cuts_i x cuts_j
    h, k = np.where(h == 0, 1e-12, h), np.where(k == 0, 1e-12, k)
    wd = wc[:, None, None] * di[None, :, None] * dj[None, None, :]
    # E[g_i g_j] = g0_i g0_j + g0_i sum dj P(Zj > cut) + g0_j sum di P(Zi > cut) + sum di dj P(both above)
    base = si.score[0] * sj.score[0] + wc @ (si.score[0] * (special.ndtr(k[:, 0, :]) @ dj)
                                             + sj.score[0] * (special.ndtr(h[:, :, 0]) @ di))
    base += np.sum(wd * (0.5 * (special.ndtr(h) + special.ndtr(k)) - 0.5 * (h * k < 0))) - target

    def f(r: float) -> tuple[float, float]:  # P(both above) by Owen's T form of the bivariate normal CDF
        rc = float(np.clip((r - k0) / (sd[0] * sd[1]), -1 + 1e-9, 1 - 1e-9))
        q = np.sqrt(1 - rc * rc)
        value = base - np.sum(wd * (special.owens_t(h, (k - rc * h) / (h * q))
                                    + special.owens_t(k, (h - rc * k) / (k * q))))
        dens = np.exp(-(h * h - 2 * rc * h * k + k * k) / (2 * q * q)) / (2 * np.pi * q)
        return value, float(np.sum(wd * dens)) / (sd[0] * sd[1])

    # the model moment increases with r: Newton steps from conditional independence, kept inside a bracket
    span = sd[0] * sd[1] * (1 - 1e-6)
    lo, hi = max(k0 - span, -1 + 1e-6), min(k0 + span, 1 - 1e-6)
    r = float(np.clip(k0, lo, hi))
    for _ in range(40):
        value, slope = f(r)
        if abs(value) < 1e-7 or hi - lo < 1e-6:
            break
        lo, hi = (lo, r) if value > 0 else (r, hi)
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):  # a flat slope: bisect instead
            step = r - value / slope if slope > 0 else np.nan
        r = step if lo < step < hi else (lo + hi) / 2
    return r


def _nearest_correlation(corr: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Clip negative eigenvalues and rescale to unit diagonal (a valid correlation matrix)."""
    w, v = np.linalg.eigh((corr + corr.T) / 2)
    fixed = (v * np.maximum(w, eps)) @ v.T
    d = np.sqrt(np.diag(fixed))
    return fixed / np.outer(d, d)


def numeric_values(col: pd.Series, ctype: ColumnType | None) -> tuple[np.ndarray, str] | None:
    """(the column as floats, "numeric" or "datetime") for a numerical or datetime column with at least one value;
    None for a column that generators model as categories (any other type, or no value at all)."""
    if ctype not in (ColumnType.NUMERICAL, ColumnType.DATETIME):
        return None
    is_dt = ctype == ColumnType.DATETIME or pd.api.types.is_datetime64_any_dtype(col)
    x = column_floats(col, is_dt)
    return (x, "datetime" if is_dt else "numeric") if (~np.isnan(x)).any() else None


def column_floats(col: pd.Series, is_datetime: bool) -> np.ndarray:
    """A numeric or datetime column as floats (datetimes as int64 nanoseconds), NaN where missing or unparsable."""
    if is_datetime:
        ts = pd.to_datetime(col, errors="coerce")
        x = ts.to_numpy(dtype="datetime64[ns]").astype("int64").astype(float)
        x[ts.isna().to_numpy()] = np.nan
        return x
    return pd.to_numeric(col, errors="coerce").to_numpy(dtype=float)


def class_quotas(labels: pd.Series, n: int, rare_boost: float = 0.0) -> dict[Any, int]:
    """Rows per class for ``n`` synthetic rows: shares proportional to ``p_c ** (1 - rare_boost)``.

    ``rare_boost`` 0 keeps the real class proportions, 1 balances the classes, values between boost rare
    classes part of the way (survey section 4.1: class-conditional generation for rare classes). Quotas are
    rounded by largest remainder, so they add up to ``n``; missing labels are not a class.
    """
    if not 0.0 <= float(rare_boost) <= 1.0:
        raise ValueError(f"rare_boost must lie in [0, 1], got {rare_boost}")
    counts = labels.dropna().value_counts(sort=False)
    if counts.empty:
        return {}
    weights = (counts / counts.sum()).to_numpy(dtype=float) ** (1.0 - float(rare_boost))
    exact = weights / weights.sum() * n
    quota = np.floor(exact).astype(int)
    for i in np.argsort(-(exact - quota), kind="stable")[: n - int(quota.sum())]:
        quota[i] += 1
    return {c: int(q) for c, q in zip(counts.index, quota)}
