"""Mergeable approximate states over Apache DataSketches, for metrics whose exact state does not scale.

Exact states stay the default; a metric switches to a sketch above a size threshold and says so in its notes.
Both wrappers add up across batches and shards (``merge``) and pickle through the sketches' own binary
serialisation, so states can be shipped between processes and written to checkpoint files.

* :class:`DistinctCounter` -- HyperLogLog (``hll_sketch``, 8-bit registers, ``2**lg_k`` of them) counting
  distinct 64-bit hashes (text diversity, survey section 2.2). The estimate is always the union (composite)
  estimator, read from a union of the sketch with itself, so it does not depend on how the data were sharded
  or merged; its relative standard error is ``1.04 / sqrt(2**lg_k)`` (0.41 % at lg_k = 16). The tests accept
  3 standard errors.
* :class:`QuantileSketch` -- KLL float quantile sketch (``kll_doubles_sketch``, parameter ``k``). Its
  normalized rank error ``eps = get_normalized_rank_error(False)`` bounds ``|F_sketch(x) - F(x)|`` (99 %
  confidence, the library's empirical fit); 0 while the sketch still holds every value.
  :func:`ks_statistic_sketch` gives the two-sample Kolmogorov-Smirnov statistic of two sketches (tabular
  fidelity, section 4.2) with the bound ``eps_a + eps_b``. KLL compaction is randomised inside the library
  (no seed can be set from Python): repeated runs may differ, within the bound.

``datasketches`` is an optional dependency (extra ``scale``); :func:`available` says whether it is installed.
"""
from __future__ import annotations

import importlib.util
import math
from typing import Any

import numpy as np
import pandas as pd

HLL_LG_K_RANGE = (4, 21)  # what hll_sketch accepts
#: relative standard error of the HLL composite estimator is HLL_RSE_CONSTANT / sqrt(2**lg_k)
HLL_RSE_CONSTANT = 1.04


def available() -> bool:
    """Whether the ``datasketches`` package (extra ``scale``) is installed."""
    return importlib.util.find_spec("datasketches") is not None


def hll_relative_standard_error(lg_k: int) -> float:
    """1.04 / sqrt(2**lg_k): relative standard error of :meth:`DistinctCounter.estimate`."""
    return HLL_RSE_CONSTANT / math.sqrt(2 ** lg_k)


class DistinctCounter:
    """HyperLogLog count of distinct 64-bit hashes (mergeable, picklable)."""

    def __init__(self, lg_k: int = 16) -> None:
        from datasketches import hll_sketch, tgt_hll_type

        lo, hi = HLL_LG_K_RANGE
        if not lo <= int(lg_k) <= hi:
            raise ValueError(f"lg_k must be in [{lo}, {hi}], got {lg_k!r}")
        self.lg_k = int(lg_k)
        self._sketch = hll_sketch(self.lg_k, tgt_hll_type.HLL_8)

    def update_hashes(self, hashes: np.ndarray) -> "DistinctCounter":
        """Add 64-bit hashes (any integer dtype; repeated values cost one update)."""
        values = pd.unique(np.asarray(hashes).astype(np.uint64, copy=False).ravel())  # hash-based: no sort
        update = self._sketch.update
        for v in np.asarray(values, dtype=np.uint64).view(np.int64).tolist():
            update(v)
        return self

    def merge(self, other: "DistinctCounter") -> "DistinctCounter":
        """The union (a new counter; neither input changes). Different lg_k: the smaller one."""
        from datasketches import hll_union, tgt_hll_type

        out = DistinctCounter.__new__(DistinctCounter)
        out.lg_k = min(self.lg_k, other.lg_k)
        union = hll_union(out.lg_k)
        union.update(self._sketch)
        union.update(other._sketch)
        out._sketch = union.get_result(tgt_hll_type.HLL_8)
        return out

    def estimate(self) -> float:
        """Estimated distinct count (composite estimator, the same however the data were split)."""
        from datasketches import hll_union, tgt_hll_type

        union = hll_union(self.lg_k)
        union.update(self._sketch)
        union.update(self._sketch)  # a merge marks the registers out of order: the composite estimator
        return float(union.get_result(tgt_hll_type.HLL_8).get_estimate())

    @property
    def relative_standard_error(self) -> float:
        return hll_relative_standard_error(self.lg_k)

    def __getstate__(self) -> dict[str, Any]:
        return {"lg_k": self.lg_k, "sketch": self._sketch.serialize_compact()}

    def __setstate__(self, state: dict[str, Any]) -> None:
        from datasketches import hll_sketch

        self.lg_k = state["lg_k"]
        self._sketch = hll_sketch.deserialize(state["sketch"])


class QuantileSketch:
    """KLL quantile sketch of float values (mergeable, picklable); NaNs must be removed by the caller."""

    def __init__(self, k: int = 1000) -> None:
        from datasketches import kll_doubles_sketch

        if not 8 <= int(k) <= 65535:
            raise ValueError(f"k must be in [8, 65535], got {k!r}")
        self._sketch = kll_doubles_sketch(int(k))

    def update(self, values: np.ndarray) -> "QuantileSketch":
        self._sketch.update(np.ascontiguousarray(values, dtype=np.float64))
        return self

    def merge(self, other: "QuantileSketch") -> "QuantileSketch":
        """The union (a new sketch; neither input changes)."""
        from datasketches import kll_doubles_sketch

        out = QuantileSketch.__new__(QuantileSketch)
        out._sketch = kll_doubles_sketch.deserialize(self._sketch.serialize())
        out._sketch.merge(other._sketch)
        return out

    @property
    def n(self) -> int:
        return int(self._sketch.n)

    @property
    def k(self) -> int:
        return int(self._sketch.k)

    @property
    def rank_error(self) -> float:
        """Bound on |F_sketch(x) - F(x)| for every x (99 % confidence); 0 while every value is retained."""
        return float(self._sketch.normalized_rank_error(False)) if self._sketch.is_estimation_mode() else 0.0

    def cdf(self) -> tuple[np.ndarray, np.ndarray]:
        """(sorted distinct retained items, F_sketch at each): the sketch's CDF, F(x) = share of values <= x.

        Read through ``get_cdf``: in datasketches 5.2.0 the item iterator of a merged sketch reports weight 1
        for every item, so its weights cannot be summed."""
        items = np.unique(np.fromiter((x for x, _ in self._sketch), dtype=np.float64,
                                      count=int(self._sketch.num_retained)))
        if items.size == 0:
            return items, items.copy()
        return items, np.asarray(self._sketch.get_cdf(items.tolist(), True), dtype=np.float64)[:-1]

    def __getstate__(self) -> bytes:
        return self._sketch.serialize()

    def __setstate__(self, state: bytes) -> None:
        from datasketches import kll_doubles_sketch

        self._sketch = kll_doubles_sketch.deserialize(state)


def _cdf_at(items: np.ndarray, cum: np.ndarray, grid: np.ndarray) -> np.ndarray:
    idx = np.searchsorted(items, grid, side="right")
    return np.where(idx > 0, cum[np.maximum(idx - 1, 0)], 0.0)


def ks_statistic_sketch(a: QuantileSketch, b: QuantileSketch) -> tuple[float, float]:
    """(KS, bound): sup_x |F_a(x) - F_b(x)| of the two sketches' CDFs, evaluated over the union of their
    retained items (where the sup of two step functions is attained), and ``a.rank_error + b.rank_error``,
    which bounds its distance to the exact two-sample statistic (``stats.ks.ks_statistic``)."""
    if a.n == 0 or b.n == 0:
        raise ValueError("KS statistic needs at least one value in each sample")
    items_a, cum_a = a.cdf()
    items_b, cum_b = b.cdf()
    grid = np.concatenate([items_a, items_b])
    stat = float(np.max(np.abs(_cdf_at(items_a, cum_a, grid) - _cdf_at(items_b, cum_b, grid))))
    return stat, a.rank_error + b.rank_error
