"""Pre-passes (issue #13): a feature that a metric's initial state needs from a whole input (the real ranges that
fix the contingency score's bins), computed as a map over the input's batches and an order-free reduce.

A metric lists the pre-passes its ``init`` reads (``MergeableMetric.prepasses``). The local engine computes one
on the driver, the first time ``init`` asks (:func:`compute`). On Ray, when the workers read the input's file
spans themselves, the engine maps the spans on the actors before any initial state is made and stores the reduced
value in the feature cache (:func:`run_on_workers`), so that the driver does not parse the whole input alone while
the workers wait. The reduce must not depend on the order or grouping of the batches (a min/max does not), so both
ways give the same value.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:
    import pandas as pd

    from synthaudit.data.inputs import AuditInputs


@dataclass(frozen=True)
class Prepass:
    """``key``: the feature-cache key; ``role``: the input it reads; ``columns(inputs)``: the columns it needs
    (only those are typed); ``map(batch, columns)``: a batch's partial value; ``reduce(partials)``: the value."""

    key: str
    role: str
    columns: Callable[["AuditInputs"], list[str]]
    map: Callable[["pd.DataFrame", list[str]], Any]
    reduce: Callable[[list[Any]], Any]

    @property
    def module(self) -> str:
        """The module that registers this pre-pass (a worker imports it)."""
        return self.map.__module__


PREPASSES: dict[str, Prepass] = {}


def register_prepass(prepass: Prepass) -> Prepass:
    PREPASSES[prepass.key] = prepass
    return prepass


def compute(prepass: Prepass, inputs: "AuditInputs") -> Any:
    """The value, from the driver's own pass over the input (cached in the audit's feature cache)."""
    def run() -> Any:
        cols = prepass.columns(inputs)
        return prepass.reduce([prepass.map(batch, cols) for batch in inputs.batches(prepass.role, columns=cols)])

    return inputs.features.get(prepass.key, run)


def run_on_workers(keys: list[str], inputs: "AuditInputs", pool: Any, batch_size: int) -> list[str]:
    """Map each pre-pass over its input's file spans on the pool's actors and cache the values; returns the keys
    computed. A pre-pass whose input is not a plain file the workers can read, or that fails on a worker (a bad
    row), is left to the driver, which then computes it, or fails, exactly as the local engine does."""
    done = []
    for key in keys:
        prepass = PREPASSES[key]
        table = inputs.tables.get(prepass.role)
        if table is None or inputs.features.has(key) or not pool.reads_files:
            continue
        spans = table.spans(batch_size)
        if not spans:
            continue
        try:
            partials = pool.map_spans(prepass, spans, prepass.columns(inputs), inputs)
        except Exception:  # noqa: BLE001 - the driver's own pass gives the error (or the value) the local one gives
            continue
        inputs.features.put(key, prepass.reduce(partials))
        done.append(key)
    return done
