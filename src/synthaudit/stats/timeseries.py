"""Pure statistics for sequential data: the ``timeseries.*`` catalog entries (tutorial: sequential data).

A *series set* is a list of 2-D float arrays, one per series, shaped (time steps x channels); a 1-D array is
read as one channel. Series may have unequal lengths; NaN marks a missing value (+/-inf is rejected).
Every channel count must agree within and across the real and synthetic sides. An *event sequence set* is
a list of token lists (any hashable tokens). All results are invariant to the order of the series.
"""
from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import NamedTuple

import numpy as np
from scipy.fft import next_fast_len, rfft
from scipy.signal import periodogram
from scipy.stats import ks_2samp

from synthaudit.stats.jit import HAVE_NUMBA, njit, prange

__all__ = [
    "AcfDistance",
    "AcfState",
    "CorrState",
    "CoverageResult",
    "CrossCorrDiff",
    "EMBEDDING_BANDS",
    "EMBEDDING_LAGS",
    "SpectralDistance",
    "acf",
    "acf_distance",
    "acf_many",
    "canonical_order",
    "cross_corr_diff",
    "diversity_coverage",
    "embedding_columns",
    "series_embedding",
    "item_coverage",
    "length_similarity",
    "mean_acf",
    "marginal_ks",
    "spectral_distance",
    "transition_distance",
]


class AcfDistance(NamedTuple):
    value: float
    per_channel: list[float]
    skipped: dict[str, int]  # (series, channel) pairs left out per side: too short, missing values or constant


class CrossCorrDiff(NamedTuple):
    value: float | None
    per_pair: dict[tuple[int, int], float]  # |rho_real(i,j) - rho_syn(i,j)| for i < j
    reason: str | None  # why value is None (a gap, not 0)


class SpectralDistance(NamedTuple):
    value: float
    per_channel: list[float]
    nfft: int
    skipped: dict[str, int]


def _as_series(series: Sequence[np.ndarray], side: str) -> list[np.ndarray]:
    """Validate one side: a non-empty list of non-empty 2-D float arrays with one channel count."""
    if isinstance(series, np.ndarray) or not isinstance(series, Sequence) or isinstance(series, str):
        raise ValueError(f"{side}: expected a list of 2-D arrays (time x channels), got {type(series).__name__}")
    if len(series) == 0:
        raise ValueError(f"{side}: no series given")
    out: list[np.ndarray] = []
    for i, s in enumerate(series):
        try:
            a = np.asarray(s, dtype=float)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{side}: series {i} is not numeric ({exc})") from exc
        if a.ndim == 1:
            a = a[:, None]
        if a.ndim != 2:
            raise ValueError(f"{side}: series {i} has {a.ndim} dimensions; expected 2 (time x channels)")
        if a.shape[0] == 0:
            raise ValueError(f"{side}: series {i} has no time steps")
        if a.shape[1] == 0:
            raise ValueError(f"{side}: series {i} has no channels")
        if not np.isfinite(np.add.reduce(a, axis=None)) and np.isinf(a).any():  # one pass when all is finite
            raise ValueError(f"{side}: series {i} contains +/-inf (use NaN for a missing value)")
        out.append(a)
    widths = {a.shape[1] for a in out}
    if len(widths) != 1:
        raise ValueError(f"{side}: series disagree on the number of channels: {sorted(widths)}")
    return out


def canonical_order(series: Sequence[np.ndarray]) -> np.ndarray:
    """Positions of ``series`` sorted by a BLAKE2 hash of each array's shape and float64 bytes (a 1-D array read
    as one channel; ties, i.e. identical series, by position): a list order that does not depend on the order
    the series came in (seeded splits, batches and resampling start from it)."""
    keys = []
    for i, s in enumerate(series):
        a = np.ascontiguousarray(s, dtype=np.float64)
        a = a[:, None] if a.ndim == 1 else a
        h = hashlib.blake2b(repr(a.shape).encode(), digest_size=16)
        h.update(a.tobytes())
        keys.append((h.digest(), i))
    return np.array([i for _, i in sorted(keys)], dtype=np.int64)


def _pair(real: Sequence[np.ndarray], syn: Sequence[np.ndarray]) -> tuple[list[np.ndarray], list[np.ndarray], int]:
    r = _as_series(real, "real")
    s = _as_series(syn, "synthetic")
    if r[0].shape[1] != s[0].shape[1]:
        raise ValueError(f"real has {r[0].shape[1]} channels but synthetic has {s[0].shape[1]}")
    return r, s, r[0].shape[1]


def marginal_ks(real: Sequence[np.ndarray], syn: Sequence[np.ndarray]) -> tuple[float, list[float]]:
    """timeseries.marginal_ks (tutorial: sequential data): per channel, the two-sample KS statistic
    sup_x |F_real(x) - F_syn(x)| over all time steps of all series pooled (NaN dropped; temporal order ignored).

    Returns (mean over channels, per-channel list). Lower is better, range [0, 1].
    """
    r, s, k = _pair(real, syn)
    pooled_r, pooled_s = np.concatenate(r), np.concatenate(s)
    per: list[float] = []
    for c in range(k):
        a, b = pooled_r[:, c], pooled_s[:, c]
        a, b = a[~np.isnan(a)], b[~np.isnan(b)]
        if a.size == 0 or b.size == 0:
            side = "real" if a.size == 0 else "synthetic"
            raise ValueError(f"channel {c}: every {side} value is missing (NaN)")
        per.append(float(ks_2samp(a, b).statistic))
    return float(np.mean(per)), per


def acf(x: np.ndarray, nlags: int = 10) -> np.ndarray:
    """Autocorrelation of one 1-D series for lags 0..nlags (timeseries.acf_distance; tutorial: sequential data).

    The standard biased estimator: acf(l) = sum_t (x_t - m)(x_{t+l} - m) / sum_t (x_t - m)^2 with m the series
    mean, as statsmodels.tsa.stattools.acf(x, nlags, adjusted=False, fft=False). Needs a NaN-free,
    non-constant series with at least nlags + 1 values.
    """
    a = np.asarray(x, dtype=float)
    if a.ndim != 1:
        raise ValueError(f"acf expects a 1-D series, got {a.ndim} dimensions")
    if int(nlags) != nlags or nlags < 0:
        raise ValueError(f"nlags must be a non-negative integer, got {nlags!r}")
    nlags = int(nlags)
    if not np.isfinite(a).all():
        raise ValueError("acf: the series contains NaN or inf; remove or impute missing values first")
    n = a.size
    if n < nlags + 1:
        raise ValueError(f"acf: a series of length {n} has no lag {nlags} (needs at least nlags + 1 values)")
    d = a - a.mean()
    denom = float(d @ d)
    if denom == 0.0:
        raise ValueError("acf: the series is constant; its autocorrelation is undefined")
    return np.array([float(d[: n - k] @ d[k:]) / denom for k in range(nlags + 1)])


_EPS = float(np.finfo(float).eps)
ACF_CHUNK = 256  # rows per FFT block (a block and its transform stay in the CPU cache: measured fastest)


@lru_cache(maxsize=32)
def _inverse_cosines(nfft: int, nlags: int) -> np.ndarray:
    """(nfft // 2 + 1, nlags + 1): the inverse real FFT of a real, even spectrum restricted to lags 0..nlags, so
    that power (n, nfft // 2 + 1) @ this = irfft(power, nfft)[:, :nlags + 1] (one BLAS product per block)."""
    j = np.arange(nfft // 2 + 1)
    weight = np.where((j == 0) | ((nfft % 2 == 0) & (j == nfft // 2)), 1.0, 2.0)  # bins counted once or twice
    return weight[:, None] * np.cos(2.0 * np.pi * np.outer(j, np.arange(nlags + 1)) / nfft) / nfft


#: up to this many lags the ACF is summed directly (O(T * lags), compiled) rather than by FFT (O(T log T))
DIRECT_MAX_LAGS = 64
#: rows per call of the compiled kernel (its blocks are independent of the FFT path's ACF_CHUNK)
DIRECT_CHUNK = 8192


@njit(cache=True, parallel=True, fastmath={"reassoc", "contract", "arcp", "nsz"})
def _acf_direct(x, nlags, demean, constant_nan):  # pragma: no cover - compiled
    """Biased ACF of the rows of x, lags 0..nlags, by the direct sums of products (rows in parallel; each row's sums
    in one thread, so the result does not depend on the thread count). Reassociation lets the sums vectorise: the
    values differ from a left-to-right sum by rounding only (tested against statsmodels to 1e-12)."""
    n, t = x.shape
    out = np.empty((n, nlags + 1))
    for i in prange(n):
        d = np.empty(t)
        m = 0.0
        if demean:
            for j in range(t):
                m += x[i, j]
            m /= t
        const = True
        for j in range(t):
            d[j] = x[i, j] - m
            if x[i, j] != x[i, 0]:
                const = False
        c0 = 0.0
        for j in range(t):
            c0 += d[j] * d[j]
        if c0 == 0.0 or (constant_nan and const):
            for k in range(nlags + 1):
                out[i, k] = np.nan
            continue
        out[i, 0] = 1.0
        for k in range(1, nlags + 1):
            s = 0.0
            for j in range(t - k):
                s += d[j] * d[j + k]
            out[i, k] = s / c0
    return out


def _acf_rows(x: np.ndarray, nlags: int, demean: bool = True, constant_nan: bool = False) -> np.ndarray:
    """Biased ACF of the rows of x (n, T), lags 0..nlags: the compiled direct sums (:func:`_acf_direct`) when numba
    is installed and nlags <= DIRECT_MAX_LAGS, else by FFT (:func:`_acf_fft`). Same values to rounding."""
    if HAVE_NUMBA and nlags <= DIRECT_MAX_LAGS and x.shape[1] > 0:
        a = np.ascontiguousarray(x, dtype=float)
        if a.shape[0] <= DIRECT_CHUNK:
            return _acf_direct(a, int(nlags), bool(demean), bool(constant_nan))
        return np.concatenate([_acf_direct(a[i:i + DIRECT_CHUNK], int(nlags), bool(demean), bool(constant_nan))
                               for i in range(0, a.shape[0], DIRECT_CHUNK)])
    return _acf_fft(x, nlags, demean, constant_nan)


def _acf_fft(x: np.ndarray, nlags: int, demean: bool = True, constant_nan: bool = False) -> np.ndarray:
    """Biased ACF, lags 0..nlags, of the rows of x (n, T) by FFT (Wiener-Khinchin): each row demeaned (unless
    ``demean`` is False: already centred), zero-padded to a fast length nfft >= T + nlags, power |FFT|^2, inverse
    transform of the power evaluated at lags 0..nlags only (:func:`_inverse_cosines`). The circular
    autocorrelation at lag l equals the linear one for every l <= nfft - T (a product wraps around only past the
    padding), so lags 0..nlags are exact; padding to >= 2T - 1 makes every lag exact but doubles the transform for
    short lag ranges. acf(l) = cov(l) / cov(0); lags >= T read 0; a zero row gives NaN, and so does a constant
    row when ``constant_nan`` (its demeaned values are rounding noise)."""
    n, t = x.shape
    nfft = next_fast_len(t + nlags, real=True)
    inv = _inverse_cosines(nfft, nlags)
    out = np.empty((n, nlags + 1))

    buf = np.zeros((min(n, ACF_CHUNK), nfft))  # the zero padding, written once; each block fills [:, :t]
    with np.errstate(invalid="ignore", divide="ignore"):
        for a in range(0, n, ACF_CHUNK):
            block = x[a:a + ACF_CHUNK]
            nb = block.shape[0]
            mean = np.add.reduce(block, axis=1) / t
            if demean:
                np.subtract(block, mean[:, None], out=buf[:nb, :t])
            else:
                buf[:nb, :t] = block
            f = rfft(buf[:nb], axis=1)
            power = np.square(f.real)
            power += np.square(f.imag)
            cov = power @ inv
            out[a:a + nb] = cov / cov[:, :1]
            if constant_nan:
                # a constant row's centred values are rounding noise of the mean (numpy's pairwise sum: well under
                # 64 eps |mean| each), so cov(0) <= t (256 eps mean)^2; only rows that small are compared value by
                # value (every truly constant row is among them)
                small = np.flatnonzero(cov[:, 0] <= t * np.square(256 * _EPS * mean))
                const = small[(block[small] == block[small, :1]).all(axis=1)]
                out[a + const] = np.nan
    out[:, 0] = np.where(np.isnan(out[:, 0]), np.nan, 1.0)
    return out


def acf_many(x: np.ndarray, nlags: int = 10) -> np.ndarray:
    """Autocorrelation of many equal-length 1-D series at once (timeseries.acf_distance; tutorial: sequential data).

    ``x`` is (n_series, T); returns (n_series, nlags + 1), row i equal (to rounding) to
    statsmodels.tsa.stattools.acf(x[i], nlags, adjusted=False, fft=False) and to :func:`acf`. Computed by FFT
    (zero padding to a fast length >= T + nlags: exact for the lags returned, see ``_acf_rows``). Needs NaN-free rows
    and T >= nlags + 1; a constant row (every value equal) gives a row of NaN (0/0, as statsmodels).
    """
    a = np.asarray(x, dtype=float)
    if a.ndim != 2:
        raise ValueError(f"acf_many expects a 2-D array (series x time steps), got {a.ndim} dimensions")
    if int(nlags) != nlags or nlags < 0:
        raise ValueError(f"nlags must be a non-negative integer, got {nlags!r}")
    nlags = int(nlags)
    if not np.isfinite(np.add.reduce(a, axis=None)) and not np.isfinite(a).all():  # a flat sum first: one pass
        raise ValueError("acf_many: the series contain NaN or inf; remove or impute missing values first")
    if a.shape[1] < nlags + 1:
        raise ValueError(f"acf_many: series of length {a.shape[1]} have no lag {nlags} "
                         "(need at least nlags + 1 values)")
    if a.shape[0] == 0:
        return np.empty((0, nlags + 1))
    return _acf_rows(a, nlags, constant_nan=True)


def _acf_sums(series: list[np.ndarray], nlags: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per channel: the sum of the ACF vectors (lags 1..nlags) of the eligible series, their count and the number
    skipped (catalog: shorter than nlags + 2; also a missing value or constant). Shapes (k, nlags), (k,), (k,).
    Series of equal length are stacked a block at a time (ACF_CHUNK rows) and go through one FFT."""
    k = series[0].shape[1]
    sums, counts, skipped = np.zeros((k, nlags)), np.zeros(k, dtype=np.int64), np.zeros(k, dtype=np.int64)
    groups: dict[int, list[np.ndarray]] = {}
    for a in series:
        groups.setdefault(a.shape[0], []).append(a)
    step = max(1, (DIRECT_CHUNK if HAVE_NUMBA and nlags <= DIRECT_MAX_LAGS else ACF_CHUNK) // k)
    for t, group in groups.items():
        if t < nlags + 2:
            skipped += len(group)
            continue
        for g in range(0, len(group), step):
            block = np.stack(group[g:g + step])  # (n, t, k)
            rows = block.transpose(0, 2, 1).reshape(-1, t)  # (n * k, t), channel fastest
            # a row with a missing value gives NaN (it propagates), a constant row NaN (constant_nan): both skipped
            acfs = _acf_rows(rows, nlags, constant_nan=True)[:, 1:]
            ok = np.isfinite(acfs).all(axis=1).reshape(-1, k)
            counts += ok.sum(axis=0)
            skipped += (~ok).sum(axis=0)
            sums += np.where(ok[:, :, None], acfs.reshape(-1, k, nlags), 0.0).sum(axis=0)
    return sums, counts, skipped


def mean_acf(series: list[np.ndarray], c: int, nlags: int) -> tuple[np.ndarray | None, int]:
    """Mean ACF (lags 1..nlags) of channel c over the eligible series, and how many were skipped."""
    sums, counts, skipped = _acf_sums([a[:, c:c + 1] for a in series], nlags)
    return (sums[0] / counts[0] if counts[0] else None), int(skipped[0])


def _channel_means(r: list[np.ndarray], s: list[np.ndarray], k: int,
                   mean: Callable[[list[np.ndarray], int], tuple[np.ndarray | None, int]],
                   what: str) -> tuple[list[tuple[np.ndarray, np.ndarray]], dict[str, int]]:
    """Per channel, the (real, synthetic) mean vectors ``mean(series, channel)`` gives, and the (series, channel)
    pairs each side skipped; a channel with no usable series on a side raises ValueError naming ``what``."""
    pairs: list[tuple[np.ndarray, np.ndarray]] = []
    skipped = {"real": 0, "synthetic": 0}
    for c in range(k):
        (mr, kr), (ms, ks) = mean(r, c), mean(s, c)
        skipped["real"] += kr
        skipped["synthetic"] += ks
        for side, m in (("real", mr), ("synthetic", ms)):
            if m is None:
                raise ValueError(f"channel {c}: no {side} series is usable for {what}")
        pairs.append((mr, ms))
    return pairs, skipped


def _check_nlags(nlags: int) -> int:
    if int(nlags) != nlags or nlags < 1:
        raise ValueError(f"nlags must be a positive integer, got {nlags!r}")
    return int(nlags)


_SIDES = ("real", "synthetic")


def _check_side(side: str) -> int:
    if side not in _SIDES:
        raise ValueError(f"side must be 'real' or 'synthetic', got {side!r}")
    return _SIDES.index(side)


def _check_width(have: int | None, k: int, side: str) -> None:
    if have is not None and have != k:
        raise ValueError(f"{side}: series have {k} channels but earlier batches had {have}")


@dataclass
class AcfState:
    """Mergeable state of timeseries.acf_distance (tutorial: sequential data): per side and channel the sum of the
    ACF vectors (lags 1..nlags) of the eligible series, their count and the skipped (series, channel) pairs.
    ``add`` batches of series per side, ``merge`` states of disjoint batches, ``result`` = :func:`acf_distance` on
    all the series added (to rounding: sums are grouped differently)."""
    nlags: int = 10
    channels: int | None = None
    sums: np.ndarray | None = None      # (2, channels, nlags): real, synthetic
    counts: np.ndarray | None = None    # (2, channels)
    skipped: np.ndarray | None = None   # (2, channels)
    seen: list[bool] = field(default_factory=lambda: [False, False])

    def __post_init__(self) -> None:
        self.nlags = _check_nlags(self.nlags)

    def _init(self, k: int) -> None:
        self.channels = k
        self.sums = np.zeros((2, k, self.nlags))
        self.counts = np.zeros((2, k), dtype=np.int64)
        self.skipped = np.zeros((2, k), dtype=np.int64)

    def add(self, series: Sequence[np.ndarray], side: str) -> AcfState:
        """Add a batch of series (a series set, see the module docstring) to one side; an empty batch adds nothing."""
        if isinstance(series, Sequence) and not isinstance(series, str) and len(series) == 0:
            return self
        return self._add(_as_series(series, side), side)

    def _add(self, s: list[np.ndarray], side: str) -> AcfState:
        """``add`` for a validated series set (_as_series)."""
        i = _check_side(side)
        _check_width(self.channels, s[0].shape[1], side)
        if self.channels is None:
            self._init(s[0].shape[1])
        sums, counts, skipped = _acf_sums(s, self.nlags)
        self.sums[i] += sums
        self.counts[i] += counts
        self.skipped[i] += skipped
        self.seen[i] = True
        return self

    def merge(self, other: AcfState) -> AcfState:
        if other.nlags != self.nlags:
            raise ValueError(f"cannot merge ACF states with nlags {self.nlags} and {other.nlags}")
        if other.channels is None:
            return self
        _check_width(self.channels, other.channels, "merged state")
        if self.channels is None:
            self._init(other.channels)
        self.sums += other.sums
        self.counts += other.counts
        self.skipped += other.skipped
        self.seen = [a or b for a, b in zip(self.seen, other.seen)]
        return self

    def result(self) -> AcfDistance:
        for i, side in enumerate(_SIDES):
            if not self.seen[i]:
                raise ValueError(f"{side}: no series given")
        what = f"the ACF (each needs >= {self.nlags + 2} steps, no missing values and not constant)"
        per = []
        for c in range(self.channels):
            for i, side in enumerate(_SIDES):
                if self.counts[i, c] == 0:
                    raise ValueError(f"channel {c}: no {side} series is usable for {what}")
            mr, ms = (self.sums[i, c] / self.counts[i, c] for i in (0, 1))
            per.append(float(np.mean(np.abs(mr - ms))))
        skipped = {side: int(self.skipped[i].sum()) for i, side in enumerate(_SIDES)}
        return AcfDistance(float(np.mean(per)), per, skipped)


def acf_distance(real: Sequence[np.ndarray], syn: Sequence[np.ndarray], nlags: int = 10) -> AcfDistance:
    """timeseries.acf_distance (tutorial: sequential data): per channel, the mean ACF over series (see ``acf``)
    for lags 1..nlags on each side; per-channel distance = mean over lags of |acf_real(l) - acf_syn(l)|
    (mean absolute difference, as the catalog's formula); value = mean over channels (= over channels and lags).

    A (series, channel) is skipped and counted in ``skipped`` when shorter than nlags + 2 (the catalog's
    rule), when it has a missing value, or when it is constant. Lower is better, range [0, 2]. Computed with
    :class:`AcfState` (FFT ACF over series grouped by length, :func:`acf_many`).
    """
    nlags = _check_nlags(nlags)
    r, s, _ = _pair(real, syn)
    return AcfState(nlags)._add(r, "real")._add(s, "synthetic").result()


CORR_BLOCK = 16_384  # time steps pooled per update in CorrState.add (blocks stay in the CPU cache)


@dataclass
class CorrState:
    """Mergeable state of timeseries.cross_corr_diff (tutorial: sequential data): per side, over the time steps
    without a missing channel, the count n, the mean vector and the centred sum of outer products
    M2 = sum_t (x_t - mean)(x_t - mean)^T (equivalent to the sum and the raw sum of outer products, but merged
    with Chan et al.'s pairwise update, which does not lose digits when the means are large), and per channel
    the min and max (a constant channel has no correlation). ``result`` = :func:`cross_corr_diff` on all rows."""
    channels: int | None = None
    n: np.ndarray = field(default_factory=lambda: np.zeros(2, dtype=np.int64))
    mean: np.ndarray | None = None   # (2, k)
    m2: np.ndarray | None = None     # (2, k, k)
    lo: np.ndarray | None = None     # (2, k)
    hi: np.ndarray | None = None     # (2, k)
    seen: list[bool] = field(default_factory=lambda: [False, False])

    def _init(self, k: int) -> None:
        self.channels = k
        self.mean, self.m2 = np.zeros((2, k)), np.zeros((2, k, k))
        self.lo, self.hi = np.full((2, k), np.inf), np.full((2, k), -np.inf)

    def _combine(self, i: int, n: int, mean: np.ndarray, m2: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> None:
        if n == 0:
            return
        na = int(self.n[i])
        tot = na + n
        delta = mean - self.mean[i]
        self.mean[i] = self.mean[i] + delta * (n / tot)
        self.m2[i] = self.m2[i] + m2 + np.outer(delta, delta) * (na * n / tot)
        self.n[i] = tot
        self.lo[i], self.hi[i] = np.minimum(self.lo[i], lo), np.maximum(self.hi[i], hi)

    def add(self, series: Sequence[np.ndarray], side: str) -> CorrState:
        """Add a batch of series (a series set, see the module docstring) to one side; an empty batch adds nothing."""
        if isinstance(series, Sequence) and not isinstance(series, str) and len(series) == 0:
            return self
        return self._add(_as_series(series, side), side)

    def _add(self, s: list[np.ndarray], side: str) -> CorrState:
        """``add`` for a validated series set; pools CORR_BLOCK time steps at a time (merged as batches)."""
        i = _check_side(side)
        _check_width(self.channels, s[0].shape[1], side)
        if self.channels is None:
            self._init(s[0].shape[1])
        self.seen[i] = True
        start, steps = 0, 0
        for j, a in enumerate(s):
            steps += a.shape[0]
            if steps >= CORR_BLOCK or j == len(s) - 1:
                rows = np.concatenate(s[start:j + 1])
                if np.isnan(np.add.reduce(rows, axis=None)):  # a flat sum first: the row test only when needed
                    rows = rows[~np.isnan(rows).any(axis=1)]
                if rows.shape[0]:
                    m = rows.mean(axis=0)
                    d = rows - m
                    self._combine(i, rows.shape[0], m, d.T @ d, rows.min(axis=0), rows.max(axis=0))
                start, steps = j + 1, 0
        return self

    def merge(self, other: CorrState) -> CorrState:
        if other.channels is None:
            return self
        _check_width(self.channels, other.channels, "merged state")
        if self.channels is None:
            self._init(other.channels)
        for i in (0, 1):
            self._combine(i, int(other.n[i]), other.mean[i], other.m2[i], other.lo[i], other.hi[i])
        self.seen = [a or b for a, b in zip(self.seen, other.seen)]
        return self

    def _corr(self, i: int, side: str) -> np.ndarray:
        if self.n[i] < 2:
            raise ValueError(f"{side}: fewer than 2 time steps without a missing value; correlation is undefined")
        const = [c for c in range(self.channels) if self.lo[i, c] == self.hi[i, c]]
        if const:
            raise ValueError(f"{side}: channel(s) {const} are constant; their correlation is undefined")
        sd = np.sqrt(np.diag(self.m2[i]))
        return np.clip(self.m2[i] / np.outer(sd, sd), -1.0, 1.0)

    def result(self) -> CrossCorrDiff:
        for i, side in enumerate(_SIDES):
            if not self.seen[i]:
                raise ValueError(f"{side}: no series given")
        k = self.channels
        if k < 2:
            return CrossCorrDiff(None, {}, "a single channel has no cross-channel correlation")
        cr, cs = self._corr(0, "real"), self._corr(1, "synthetic")
        per = {(i, j): float(abs(cr[i, j] - cs[i, j])) for i in range(k) for j in range(i + 1, k)}
        return CrossCorrDiff(0.5 * float(np.mean(list(per.values()))), per, None)


def cross_corr_diff(real: Sequence[np.ndarray], syn: Sequence[np.ndarray]) -> CrossCorrDiff:
    """timeseries.cross_corr_diff (tutorial: sequential data): Pearson correlation matrix between channels with all
    time steps of all series pooled (a time step with any missing channel is dropped, listwise) on each side;
    value = 0.5 * mean over pairs i < j of |rho_real(i,j) - rho_syn(i,j)| (half the mean absolute, i.e. entrywise
    L1, difference of the upper triangles). Lower is better, range [0, 1].

    One channel: value None with the reason (a gap, not 0). Computed with :class:`CorrState`.
    """
    r, s, _ = _pair(real, syn)
    return CorrState()._add(r, "real")._add(s, "synthetic").result()


def _mean_spectrum(series: list[np.ndarray], c: int, nfft: int) -> tuple[np.ndarray | None, int]:
    """Mean normalised periodogram of channel c over the usable series, and how many were skipped. Series of one
    length go through scipy.signal.periodogram together (``axis=1``), so the loop is over lengths, not series."""
    groups: dict[int, list[np.ndarray]] = {}
    for a in series:
        groups.setdefault(a.shape[0], []).append(a[:, c])
    total_rows, acc, skipped = 0, None, 0
    for t, xs in groups.items():
        x = np.stack(xs)
        bad = np.isnan(x).any(axis=1) | (t < 2)
        x = x[~bad]
        skipped += int(bad.sum())
        if not x.shape[0]:
            continue
        _, p = periodogram(x, nfft=nfft, detrend="constant", scaling="density", axis=1)
        total = p.sum(axis=1)
        ok = total > 0.0  # a constant series has no power to distribute
        skipped += int((~ok).sum())
        if ok.any():
            part = (p[ok] / total[ok, None]).sum(axis=0)
            acc = part if acc is None else acc + part
            total_rows += int(ok.sum())
    return (acc / total_rows if total_rows else None), skipped


def spectral_distance(
    real: Sequence[np.ndarray], syn: Sequence[np.ndarray], nfft: int | None = None
) -> SpectralDistance:
    """Spectral (periodogram) distance, an extension of timeseries.* (issue #17; tutorial: sequential data).

    Per series and channel: scipy.signal.periodogram(x, nfft=nfft, detrend='constant', scaling='density'),
    normalised to sum 1 over frequencies (a distribution of power, so scale-free); per channel the mean of
    these over series; distance = total variation 0.5 * sum_f |P_real(f) - P_syn(f)|; value = mean over channels.
    nfft=None uses the longest series over both sides (shorter ones are zero-padded); note that scipy truncates
    a series longer than an explicit nfft to its first nfft steps. Series with a missing value, fewer than 2
    steps, or constant are skipped and counted. Lower is better, range [0, 1].
    """
    r, s, k = _pair(real, syn)
    if nfft is None:
        nfft = max(a.shape[0] for a in r + s)
    if int(nfft) != nfft or nfft < 2:
        raise ValueError(f"nfft must be an integer >= 2, got {nfft!r}")
    nfft = int(nfft)
    pairs, skipped = _channel_means(r, s, k, lambda side, c: _mean_spectrum(side, c, nfft),
                                    "the periodogram (each needs >= 2 steps, no missing values and not constant)")
    per = [0.5 * float(np.abs(pr - ps).sum()) for pr, ps in pairs]
    return SpectralDistance(float(np.mean(per)), per, nfft, skipped)


# ---------------------------------------------------------------------------------------------- coverage
EMBEDDING_LAGS = 5  # ACF lags 1..5 per channel
#: spectral bands in cycles per step (one-sided periodogram, 0 .. Nyquist 0.5): four equal-width bands
EMBEDDING_BANDS = ((0.0, 0.125), (0.125, 0.25), (0.25, 0.375), (0.375, 0.5))


class CoverageResult(NamedTuple):
    value: float                 # integrated beta-coverage, synthcity's normalisation (tabular.beta_recall default)
    integrated_alaa: float       # the same curve, Alaa et al.'s normalisation 1 - 2 * sum|C(b) - b| * db
    betas: np.ndarray            # grid linspace(0, 1, 30)
    coverage: np.ndarray         # C(b) per beta
    at_beta_0_9: float
    n_real: int
    n_synthetic: int


def embedding_columns(channels: int) -> list[str]:
    """Names of the :func:`series_embedding` columns, channel by channel: ``c{c}_mean``, ``c{c}_std``,
    ``c{c}_acf{l}`` for l = 1..5 and ``c{c}_band{b}`` for b = 1..4."""
    per = (["mean", "std"] + [f"acf{lag}" for lag in range(1, EMBEDDING_LAGS + 1)]
           + [f"band{b}" for b in range(1, len(EMBEDDING_BANDS) + 1)])
    return [f"c{c}_{name}" for c in range(channels) for name in per]


def _embed_rows(x: np.ndarray) -> np.ndarray:
    """Embedding of rows x (n, T) of one length (NaN = missing): (n, 11), see series_embedding."""
    n, t = x.shape
    mean, std = np.nanmean(x, axis=1), np.nanstd(x, axis=1)
    d = np.where(np.isnan(x), 0.0, x - mean[:, None])  # a missing value is imputed with the series' mean
    flat = std == 0
    padded = d if t >= EMBEDDING_LAGS + 1 else np.pad(d, ((0, 0), (0, EMBEDDING_LAGS + 1 - t)))
    acfs = _acf_rows(padded, EMBEDDING_LAGS, demean=False)[:, 1:]  # zero padding of centred rows: acf(l >= T) = 0
    power = np.abs(rfft(d, axis=1)) ** 2  # one-sided periodogram (scipy's 'density' up to a constant factor)
    power[:, 1: (t + 1) // 2] *= 2.0  # every bin but DC and (T even) Nyquist counted twice, as scipy
    freq = np.fft.rfftfreq(t)
    bands = np.stack([power[:, (freq >= lo) & ((freq < hi) | (hi == 0.5))].sum(axis=1)
                      for lo, hi in EMBEDDING_BANDS], axis=1)
    total = bands.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        bands = bands / total
    acfs[flat], bands[flat] = 0.0, 1.0 / len(EMBEDDING_BANDS)
    return np.column_stack([mean, std, acfs, bands])


def series_embedding(series: Sequence[np.ndarray]) -> np.ndarray:
    """Fixed summary features of each series (timeseries.diversity_coverage; tutorial: sequential data): an
    (n_series, 11 * channels) array, columns channel by channel (names: :func:`embedding_columns`):

    * ``mean``, ``std``: mean and population standard deviation (ddof=0) of the observed values;
    * ``acf1..acf5``: the biased ACF (:func:`acf`) at lags 1..5 of the series with each missing value imputed
      with the series' mean; lags >= the length read 0 (the estimator's empty sum);
    * ``band1..band4``: share of the periodogram's power (scipy.signal.periodogram, detrend='constant', one-sided,
      nfft = length; the same imputation) in the frequency bands [0, 1/8), [1/8, 1/4), [1/4, 3/8), [3/8, 1/2]
      cycles per step (sums to 1).

    A constant channel has ACF 0 and equal band shares 1/4. A channel with no observed value raises ValueError.
    Row i embeds series i (the features are per series, so the order of the list only orders the rows).
    """
    s = _as_series(series, "series")
    k = s[0].shape[1]
    out = np.empty((len(s), 11 * k))
    pos: dict[int, list[int]] = {}
    for i, a in enumerate(s):
        pos.setdefault(a.shape[0], []).append(i)
    for t, idx in pos.items():
        block = np.stack([s[i] for i in idx])  # (n, t, k)
        empty = np.isnan(block).all(axis=1)
        if empty.any():
            i, c = np.argwhere(empty)[0]
            raise ValueError(f"series {idx[i]}, channel {c}: every value is missing (NaN); cannot embed it")
        rows = np.ascontiguousarray(block.transpose(0, 2, 1)).reshape(-1, t)
        out[idx] = _embed_rows(rows).reshape(len(idx), 11 * k)
    return out


def diversity_coverage(real: Sequence[np.ndarray], syn: Sequence[np.ndarray]) -> CoverageResult:
    """timeseries.diversity_coverage (tutorial: sequential data): beta-recall on series embeddings, as for
    tabular data (tabular.beta_recall: synthcity's estimator, :func:`synthaudit.metrics.tabular.support.beta_coverage`).

    Each series is embedded with :func:`series_embedding`; every column is standardised with the real side's mean
    and standard deviation (a column constant on the real side is only centred); Euclidean distance. A real
    series counts at level b when its nearest synthetic series is no further than its nearest other real series
    and lies within the b-quantile of those nearest synthetic series' distances to the synthetic centre. Value:
    the integrated curve 1 - sum_b |C(b) - b| / sum_b b over b = linspace(0, 1, 30) (synthcity's normalisation,
    the tabular default). Higher is better, range [0, 1]. Needs >= 2 real series.
    """
    from synthaudit.metrics.tabular.support import N_STEPS, SupportCurves, beta_coverage_arrays

    r, s, _ = _pair(real, syn)
    if len(r) < 2:
        raise ValueError("real: beta-coverage needs at least 2 real series (a nearest other real series)")
    er, es = series_embedding(r), series_embedding(s)
    canon = np.sort(er, axis=0)  # a canonical summation order: the same bits whatever the order of the series
    mu, sd = canon.mean(axis=0), canon.std(axis=0)
    sd = np.where(sd > 0, sd, 1.0)
    betas = np.linspace(0, 1, N_STEPS)
    cov = beta_coverage_arrays((er - mu) / sd, (es - mu) / sd, betas)
    curves = SupportCurves(betas, np.full(N_STEPS, np.nan), cov, len(r), len(s), False)
    return CoverageResult(curves.delta(cov, "synthcity"), curves.delta(cov, "alaa"), betas, cov,
                          curves.at(cov, 0.9), len(r), len(s))


def length_similarity(real: Sequence[np.ndarray], syn: Sequence[np.ndarray]) -> float:
    """Length distribution similarity, an extension of timeseries.* (issue #17; tutorial: sequential data):
    1 - KS statistic (scipy.stats.ks_2samp) between the real and synthetic series lengths (time steps, rows with
    missing values included). Higher is better, range [0, 1]; 1 when the length distributions are equal.
    """
    r, s, _ = _pair(real, syn)
    return 1.0 - float(ks_2samp([a.shape[0] for a in r], [a.shape[0] for a in s]).statistic)


def _as_events(seqs: Sequence[Sequence[Hashable]], side: str) -> list[list[Hashable]]:
    if isinstance(seqs, (str, bytes)) or not isinstance(seqs, Sequence):
        raise ValueError(f"{side}: expected a list of token lists, got {type(seqs).__name__}")
    if len(seqs) == 0:
        raise ValueError(f"{side}: no event sequences given")
    out = []
    for i, seq in enumerate(seqs):
        if isinstance(seq, (str, bytes)) or not isinstance(seq, Sequence):
            raise ValueError(f"{side}: sequence {i} is not a list of tokens ({type(seq).__name__})")
        out.append(list(seq))
    return out


def _bigrams(seqs: list[list[Hashable]], side: str) -> Counter:
    counts: Counter = Counter()
    for seq in seqs:
        counts.update(zip(seq[:-1], seq[1:]))
    if not counts:
        raise ValueError(f"{side}: no sequence has 2 or more events, so there are no transitions")
    return counts


def transition_distance(real: Sequence[Sequence[Hashable]], syn: Sequence[Sequence[Hashable]]) -> float:
    """Event-sequence transition distance, an extension of timeseries.* (issue #17; tutorial: sequential data):
    total variation 0.5 * sum_(a,b) |P_real(a->b) - P_syn(a->b)| between the joint bigram distributions (counts of
    consecutive pairs over all sequences, normalised to sum 1). Lower is better, range [0, 1].
    """
    cr = _bigrams(_as_events(real, "real"), "real")
    cs = _bigrams(_as_events(syn, "synthetic"), "synthetic")
    nr, ns = sum(cr.values()), sum(cs.values())
    return 0.5 * float(sum(abs(cr[g] / nr - cs[g] / ns) for g in set(cr) | set(cs)))


def item_coverage(real: Sequence[Sequence[Hashable]], syn: Sequence[Sequence[Hashable]]) -> float:
    """Event-sequence item coverage, an extension of timeseries.* (issue #17; tutorial: sequential data):
    |distinct real items that occur in synthetic| / |distinct real items|. Higher is better, range [0, 1].
    """
    items_r = {t for seq in _as_events(real, "real") for t in seq}
    items_s = {t for seq in _as_events(syn, "synthetic") for t in seq}
    if not items_r:
        raise ValueError("real: the event sequences contain no items")
    return len(items_r & items_s) / len(items_r)
