"""Shard states: the mergeable metrics' states of one batch, computed where the batch is (issue #13).

A shard is batch ``index`` of an input role, exactly the batch the local engine streams. Its state for a metric
is ``update(copy of the metric's initial state, role, batch)``; the driver merges shard states in shard order
(``merge``), so sums are taken in the same order as the local engine's and the result is the same, shard by
shard, on one process, on Ray workers, or resumed from a checkpoint. The initial states are computed once on
the driver (they may need a pass over the real data, e.g. bin edges) and shipped to every worker.
"""
from __future__ import annotations

import copy
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from synthaudit.audit import transport
from synthaudit.data.spans import Span
from synthaudit.errors import UsageError

if TYPE_CHECKING:
    import pandas as pd

    from synthaudit.data.inputs import AuditInputs
    from synthaudit.metrics.registry import RegisteredMetric
    from synthaudit.models import Models


@dataclass
class ShardResult:
    """What one shard gives back: per metric its state (or the error), and the CPU/wall seconds it took."""

    role: str
    index: int
    rows: int
    states: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    cpu_s: dict[str, float] = field(default_factory=dict)
    wall_s: dict[str, float] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    resumed: bool = False


class _RemoteTable:
    """Where a worker's inputs had a table: its label and size, but no rows (a worker sees only its batch)."""

    materialized = False

    def __init__(self, label: str, n_rows: int | None) -> None:
        self.label, self.n_rows = label, n_rows

    def _refuse(self, *_: Any, **__: Any) -> Any:
        raise UsageError(f"{self.label}: a metric asked for the whole table inside a shard; this metric cannot run "
                         "sharded (--engine ray / resumable audits): run it with the local engine")

    frame = batches = head = _refuse

    def fingerprint(self) -> None:
        return None


def detached(inputs: "AuditInputs") -> "AuditInputs":
    """A copy of the inputs for a worker: every option and setting, no table rows, a fresh feature cache."""
    from synthaudit.data.inputs import FeatureCache

    out = copy.copy(inputs)
    out.tables = {role: _RemoteTable(t.label, t.n_rows) for role, t in inputs.tables.items()}
    out.features = FeatureCache()
    out._coerced = {}
    out.warnings = []
    out.extra = dict(inputs.extra)
    return out


def worker_models(models: "Models") -> "Models":
    """The models description without loaded weights (each worker loads what it uses, once)."""
    out = copy.copy(models)
    out._loaded = {}
    return out


class ShardComputer:
    """Computes shard states for the metrics it was given, from their shipped initial states."""

    def __init__(self, metrics: "dict[str, RegisteredMetric]", base: bytes, inputs: "AuditInputs",
                 models: "Models") -> None:
        self.metrics, self.base, self.inputs, self.models = metrics, base, inputs, models

    def run(self, role: str, index: int, batch: "pd.DataFrame | Span", ids: list[str]) -> ShardResult:
        """The shard's states; ``batch`` is the batch itself or a :class:`Span` this process reads."""
        start = len(self.inputs.warnings)  # the driver's own list when shards run in this process: keep it
        if isinstance(batch, Span):
            batch = self._read(role, batch)
        out = ShardResult(role, index, len(batch))
        fresh = transport.loads(self.base, self.inputs, self.models)  # a fresh copy of the initial states
        for mid in ids:
            impl = self.metrics[mid].impl
            t0, c0 = time.perf_counter(), time.process_time()
            try:
                out.states[mid] = impl.update(fresh[mid], role, batch)
            except Exception as exc:  # isolated as in the local engine: this metric fails, the others go on
                from synthaudit.audit.engine import _error_text

                out.errors[mid] = _error_text(exc)
            out.cpu_s[mid] = time.process_time() - c0
            out.wall_s[mid] = time.perf_counter() - t0
        out.warnings = self.inputs.warnings[start:]  # given back to the driver with the shard, in shard order
        del self.inputs.warnings[start:]
        return out


    def _read(self, role: str, span: Span) -> "pd.DataFrame":
        """A span's rows, coerced; a file that cannot be parsed there is one error naming the file and rows."""
        from synthaudit.errors import InputError

        label = self.inputs.tables[role].label
        try:
            return self.inputs.read_span(span, label)
        except InputError:
            raise
        except Exception as exc:
            raise InputError(f"cannot read data rows {span.start_row + 1}-{span.start_row + span.rows} "
                             f"({type(exc).__name__}: {exc})", file=span.path) from None


def merge_into(acc: dict[str, Any], result: ShardResult, metrics: "dict[str, RegisteredMetric]",
               errors: dict[str, str]) -> None:
    """Merge one shard's states into the running states (shard order), recording failures."""
    for mid, state in result.states.items():
        if mid in errors:
            continue
        try:
            acc[mid] = metrics[mid].impl.merge(acc[mid], state)
        except Exception as exc:
            from synthaudit.audit.engine import _error_text

            errors[mid] = _error_text(exc)
    for mid, text in result.errors.items():
        errors.setdefault(mid, text)
