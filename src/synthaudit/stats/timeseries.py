"""Pure statistics for sequential data: the ``timeseries.*`` catalog entries (tutorial: sequential data).

A *series set* is a list of 2-D float arrays, one per series, shaped (time steps x channels); a 1-D array is
read as one channel. Series may have unequal lengths; NaN marks a missing value (+/-inf is rejected).
Every channel count must agree within and across the real and synthetic sides. An *event sequence set* is
a list of token lists (any hashable tokens). All results are invariant to the order of the series.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Hashable, Sequence
from typing import NamedTuple

import numpy as np
from scipy.signal import periodogram
from scipy.stats import ks_2samp

__all__ = [
    "AcfDistance",
    "CrossCorrDiff",
    "SpectralDistance",
    "acf",
    "acf_distance",
    "cross_corr_diff",
    "item_coverage",
    "length_similarity",
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
        if np.isinf(a).any():
            raise ValueError(f"{side}: series {i} contains +/-inf (use NaN for a missing value)")
        out.append(a)
    widths = {a.shape[1] for a in out}
    if len(widths) != 1:
        raise ValueError(f"{side}: series disagree on the number of channels: {sorted(widths)}")
    return out


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


def _mean_acf(series: list[np.ndarray], c: int, nlags: int) -> tuple[np.ndarray | None, int]:
    """Mean ACF (lags 1..nlags) of channel c over the eligible series, and how many were skipped."""
    rows, skipped = [], 0
    for a in series:
        x = a[:, c]
        # catalog: series shorter than max_lag + 2 are skipped; so are ones with a missing value or constant
        if x.size < nlags + 2 or np.isnan(x).any() or np.all(x == x[0]):
            skipped += 1
            continue
        rows.append(acf(x, nlags)[1:])
    return (np.mean(rows, axis=0) if rows else None), skipped


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


def acf_distance(real: Sequence[np.ndarray], syn: Sequence[np.ndarray], nlags: int = 10) -> AcfDistance:
    """timeseries.acf_distance (tutorial: sequential data): per channel, the mean ACF over series (see ``acf``)
    for lags 1..nlags on each side; per-channel distance = mean over lags of |acf_real(l) - acf_syn(l)|
    (mean absolute difference, as the catalog's formula); value = mean over channels (= over channels and lags).

    A (series, channel) is skipped and counted in ``skipped`` when shorter than nlags + 2 (the catalog's
    rule), when it has a missing value, or when it is constant. Lower is better, range [0, 2].
    """
    if int(nlags) != nlags or nlags < 1:
        raise ValueError(f"nlags must be a positive integer, got {nlags!r}")
    nlags = int(nlags)
    r, s, k = _pair(real, syn)
    pairs, skipped = _channel_means(r, s, k, lambda side, c: _mean_acf(side, c, nlags),
                                    f"the ACF (each needs >= {nlags + 2} steps, no missing values and not constant)")
    per = [float(np.mean(np.abs(mr - ms))) for mr, ms in pairs]
    return AcfDistance(float(np.mean(per)), per, skipped)


def _corr(series: list[np.ndarray], side: str) -> np.ndarray:
    rows = np.concatenate(series)
    rows = rows[~np.isnan(rows).any(axis=1)]
    if rows.shape[0] < 2:
        raise ValueError(f"{side}: fewer than 2 time steps without a missing value; correlation is undefined")
    const = [c for c in range(rows.shape[1]) if np.all(rows[:, c] == rows[0, c])]
    if const:
        raise ValueError(f"{side}: channel(s) {const} are constant; their correlation is undefined")
    return np.corrcoef(rows, rowvar=False)


def cross_corr_diff(real: Sequence[np.ndarray], syn: Sequence[np.ndarray]) -> CrossCorrDiff:
    """timeseries.cross_corr_diff (tutorial: sequential data): Pearson correlation matrix between channels with all
    time steps of all series pooled (a time step with any missing channel is dropped, listwise) on each side;
    value = 0.5 * mean over pairs i < j of |rho_real(i,j) - rho_syn(i,j)| (half the mean absolute, i.e. entrywise
    L1, difference of the upper triangles). Lower is better, range [0, 1].

    One channel: value None with the reason (a gap, not 0).
    """
    r, s, k = _pair(real, syn)
    if k < 2:
        return CrossCorrDiff(None, {}, "a single channel has no cross-channel correlation")
    cr, cs = _corr(r, "real"), _corr(s, "synthetic")
    per = {(i, j): float(abs(cr[i, j] - cs[i, j])) for i in range(k) for j in range(i + 1, k)}
    return CrossCorrDiff(0.5 * float(np.mean(list(per.values()))), per, None)


def _mean_spectrum(series: list[np.ndarray], c: int, nfft: int) -> tuple[np.ndarray | None, int]:
    rows, skipped = [], 0
    for a in series:
        x = a[:, c]
        if x.size < 2 or np.isnan(x).any():
            skipped += 1
            continue
        _, p = periodogram(x, nfft=nfft, detrend="constant", scaling="density")
        total = float(p.sum())
        if total <= 0.0:  # constant series: no power to distribute
            skipped += 1
            continue
        rows.append(p / total)
    return (np.mean(rows, axis=0) if rows else None), skipped


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
