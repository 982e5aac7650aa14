"""Moving-block bootstrap of a series set (Kunsch 1989; tutorial: sequential data; issue #17).

Each synthetic series is a concatenation of blocks of ``block`` consecutive time steps (all channels together)
drawn with replacement, uniformly over every start position of every real series, then cut to its target
length. Series shorter than a block are candidates whole (one candidate each). Dependence within a block is
kept, across block joins it is not: ``block=1`` resamples time steps iid (marginals kept, autocorrelation lost).
NaN values are copied like any value.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from synthaudit.generate.timeseries.adapter import draw_lengths, series_set


def default_block(lengths: Sequence[int]) -> int:
    """The usual MBB rule: ``max(1, round(T ** (1/3)))`` with T the median real length."""
    return max(1, int(round(float(np.median(lengths)) ** (1 / 3))))


class BlockBootstrap:
    """``fit(series)`` then ``sample(n, lengths=None)``; ``block=None`` uses :func:`default_block`.

    ``sample`` draws from ``numpy.random.default_rng(seed)`` (the constructor's seed unless given), so repeated
    calls with one seed repeat the output; the real series are kept in a canonical (content-hash) order, so the
    output does not depend on the order of the input list."""

    def __init__(self, block: int | None = None, seed: int = 0) -> None:
        if block is not None and (int(block) != block or block < 1):
            raise ValueError(f"block must be a positive integer or None, got {block!r}")
        self.block, self.seed = (None if block is None else int(block)), int(seed)
        self.real: list[np.ndarray] = []
        self._starts: np.ndarray = np.empty((0, 2), dtype=int)

    def fit(self, series: Sequence[np.ndarray]) -> "BlockBootstrap":
        self.real = series_set(series)
        lengths = [len(a) for a in self.real]
        self.block_ = self.block or default_block(lengths)
        # candidates (series index, start): every start of a full block; a short series once, whole
        self._starts = np.array([(i, s) for i, t in enumerate(lengths) for s in range(max(1, t - self.block_ + 1))],
                                dtype=int)
        return self

    def sample(self, n: int, lengths: int | Sequence[int] | None = None, seed: int | None = None) -> list[np.ndarray]:
        if not self.real:
            raise ValueError("call fit(series) before sample(n)")
        rng = np.random.default_rng(self.seed if seed is None else int(seed))
        out = []
        for length in draw_lengths([len(a) for a in self.real], n, lengths, rng):
            parts, have = [], 0
            while have < length:
                i, s = self._starts[rng.integers(len(self._starts))]
                part = self.real[i][s:s + self.block_]
                parts.append(part)
                have += len(part)
            out.append(np.concatenate(parts)[:length])
        return out
