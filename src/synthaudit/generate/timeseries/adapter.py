"""Any fit/sample sequence model (e.g. SDV's PAR) on series sets, and the helpers the series generators share
(tutorial: sequential data; issue #17).

A series set is a list of float arrays (time steps x channels). :class:`SequenceFitSample` turns it into the
long frame sequence models read (one row per time step: ``sequence_key``, ``time_key`` and one column per
channel), calls ``model.fit(frame)`` and ``model.sample(num_sequences=n)``, and turns the sampled frame back
into a series set, as :class:`synthaudit.generate.adapter.FitSampleAdapter` does for tables.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from synthaudit.generate.adapter import seed_everything
from synthaudit.stats.timeseries import _as_series, canonical_order


def series_set(series: Sequence[np.ndarray], side: str = "real") -> list[np.ndarray]:
    """Validate a series set (non-empty list of 2-D float arrays, one channel count; 1-D = one channel) and
    return it in a canonical order (by a hash of each series' content), so that seeded sampling does not depend
    on the order of the input list."""
    out = _as_series(series, side)
    return [out[i].copy() for i in canonical_order(out)]


def draw_lengths(real_lengths: Sequence[int], n: int, lengths: int | Sequence[int] | None,
                 rng: np.random.Generator) -> list[int]:
    """Target lengths: ``lengths`` (one int for all, or one per series) or, when None, ``n`` draws with
    replacement from the real lengths."""
    if int(n) != n or n < 0:
        raise ValueError(f"n must be a non-negative integer, got {n!r}")
    n = int(n)
    if lengths is None:
        return [int(x) for x in rng.choice(np.asarray(sorted(real_lengths)), size=n, replace=True)] if n else []
    if np.isscalar(lengths):
        out = [lengths] * n
    else:
        out = list(lengths)
        if len(out) != n:
            raise ValueError(f"lengths: expected one length per series ({n}), got {len(out)}")
    for x in out:
        if int(x) != x or x < 1:
            raise ValueError(f"lengths: expected positive integers, got {x!r}")
    return [int(x) for x in out]


def to_long(series: Sequence[np.ndarray], channels: Sequence[str], sequence_key: str = "series_id",
            time_key: str = "t") -> pd.DataFrame:
    """A long frame: one row per time step with ``sequence_key`` (the series' index), ``time_key`` (0..T-1) and
    one column per channel."""
    frames = [pd.DataFrame(a, columns=list(channels)).assign(**{sequence_key: i, time_key: np.arange(len(a))})
              for i, a in enumerate(series)]
    return pd.concat(frames, ignore_index=True)[[sequence_key, time_key, *channels]]


def from_long(frame: Any, channels: Sequence[str], sequence_key: str = "series_id", time_key: str | None = "t",
              name: str = "model") -> list[np.ndarray]:
    """The series of a long frame, in order of first appearance of each key; rows sorted by ``time_key`` when the
    frame has it (else kept in row order). ValueError when the key or a channel column is missing."""
    if not isinstance(frame, pd.DataFrame):
        raise ValueError(f"{name} returned {type(frame).__name__} from sample(); expected a long-format DataFrame "
                         f"with a {sequence_key!r} column and the channel columns")
    if sequence_key not in frame.columns:
        raise ValueError(f"{name}'s sample lacks the sequence key column {sequence_key!r}; columns: "
                         f"{', '.join(map(str, frame.columns[:12]))}")
    missing = [c for c in channels if c not in frame.columns]
    if missing:
        raise ValueError(f"{name}'s sample lacks the channel column(s) {', '.join(map(str, missing[:8]))}")
    out = []
    for _, part in frame.groupby(sequence_key, sort=False):
        if time_key is not None and time_key in part.columns:
            part = part.sort_values(time_key, kind="stable")
        try:
            out.append(part[list(channels)].to_numpy(dtype=float))
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{name}'s sample has non-numeric channel values ({exc})") from exc
    return out


class SequenceFitSample:
    """Wrap ``model`` with ``fit(frame)`` and ``sample(num_sequences=n)`` (SDV PAR's interface) for series sets.

    ``channels``: the channel column names (default ``c0``, ``c1``, ...). Lengths are the model's choice:
    ``sample(n, lengths=...)`` raises. Seeded via :func:`~synthaudit.generate.adapter.seed_everything` (Python,
    numpy's global state, torch) before fit and sample; a model with its own random state must be seeded by its
    caller. Order independence is the model's: the long frame follows the canonical order of
    :func:`series_set`."""

    def __init__(self, model: Any, sequence_key: str = "series_id", time_key: str = "t",
                 channels: Sequence[str] | None = None, seed: int = 0) -> None:
        for attr in ("fit", "sample"):
            if not callable(getattr(model, attr, None)):
                raise ValueError(f"{type(model).__name__} has no {attr}() method; a sequence model needs fit(frame) "
                                 "and sample(num_sequences=n)")
        if sequence_key == time_key:
            raise ValueError(f"sequence_key and time_key must differ, both are {sequence_key!r}")
        self.model, self.sequence_key, self.time_key, self.seed = model, sequence_key, time_key, int(seed)
        self.channels = list(channels) if channels is not None else None
        self.name = type(model).__name__

    def fit(self, series: Sequence[np.ndarray]) -> "SequenceFitSample":
        real = series_set(series)
        k = real[0].shape[1]
        channels = self.channels or [f"c{j}" for j in range(k)]
        if len(channels) != k:
            raise ValueError(f"channels: expected {k} names (one per channel), got {len(channels)}")
        if {self.sequence_key, self.time_key} & set(channels):
            raise ValueError(f"channel names must differ from {self.sequence_key!r} and {self.time_key!r}")
        self.channels = channels
        seed_everything(self.seed)
        self.model.fit(to_long(real, channels, self.sequence_key, self.time_key))
        return self

    def sample(self, n: int, lengths: Any = None, seed: int | None = None) -> list[np.ndarray]:
        if self.channels is None:
            raise ValueError("call fit(series) before sample(n)")
        if lengths is not None:
            raise ValueError(f"{self.name} chooses the lengths itself; pass lengths=None")
        seed_everything(self.seed if seed is None else int(seed))
        out = from_long(self.model.sample(num_sequences=int(n)), self.channels, self.sequence_key, self.time_key,
                        self.name)
        if len(out) != n:
            raise ValueError(f"{self.name} returned {len(out)} sequences; expected {n}")
        return out
