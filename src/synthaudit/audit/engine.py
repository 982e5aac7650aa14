"""Run a plan: stream mergeable/record metrics batch by batch, then run global metrics.

In an audit from statistics a metric that supports it takes the state of the roles the statistics stand for
from them (``MergeableMetric.state_from_statistics``) and streams only its other roles.

Each input table is streamed once for all mergeable metrics together; a metric that raises is
reported as failed with its error and the audit goes on; per-metric wall time is recorded.
"""
from __future__ import annotations

import time
import traceback
from contextlib import nullcontext
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from synthaudit.metrics.registry import RegisteredMetric, statistics_for
from synthaudit.metrics.result import MetricResult

if TYPE_CHECKING:
    from synthaudit.audit.plan import Plan
    from synthaudit.data.inputs import AuditInputs
    from synthaudit.models import Models

DEFAULT_BATCH_SIZE = 50_000


@dataclass
class MetricRun:
    metric: RegisteredMetric
    status: str  # "ok" or "failed"
    result: MetricResult | None
    error: str | None
    wall_time_s: float
    cpu_time_s: float = 0.0


def _error_text(exc: BaseException) -> str:
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" (at {frames[-1].filename.rsplit('/', 1)[-1]}:{frames[-1].lineno})" if frames else ""
    return f"{type(exc).__name__}: {exc}{where}"


def make_progress(enabled: bool | None):
    """A rich progress display on stderr (None = only when stderr is a terminal)."""
    import sys

    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)
    if enabled is None:
        enabled = sys.stderr.isatty()
    if not enabled:
        return None
    return Progress(SpinnerColumn(), TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), console=console, transient=False)


def run_plan(plan: "Plan", inputs: "AuditInputs", models: "Models", *, batch_size: int = DEFAULT_BATCH_SIZE,
             progress: bool | None = None) -> list[MetricRun]:
    from synthaudit.timing import ledger

    bar = make_progress(progress)
    with bar if bar is not None else nullcontext(), ledger() as book:
        runs = _run(plan, inputs, models, batch_size, bar, book)
    plan.shared_time = {k: (round(w, 4), round(c, 4)) for k, (w, c) in book.items()}
    inputs.warnings[:] = list(dict.fromkeys(inputs.warnings))
    return runs


def _run(plan: "Plan", inputs: "AuditInputs", models: "Models", batch_size: int, bar: Any,
         book: dict[str, list[float]]) -> list[MetricRun]:
    from synthaudit.timing import total as shared_total

    streaming = [m for m in plan.run if m.streaming]
    global_ = [m for m in plan.run if not m.streaming]
    overall = bar.add_task("metrics", total=len(plan.run)) if bar else None
    clock: dict[str, float] = {m.id: 0.0 for m in plan.run}
    cpu: dict[str, float] = {m.id: 0.0 for m in plan.run}
    errors: dict[str, str] = {}
    states: dict[str, Any] = {}

    def guarded(metric: RegisteredMetric, fn, *args) -> Any:
        """Run one step of a metric; its clocks leave out shared time (model loading, shared features)."""
        t0, c0, (s0, sc0) = time.perf_counter(), time.process_time(), shared_total(book)
        try:
            return fn(*args)
        except Exception as exc:  # isolate: the audit goes on
            errors[metric.id] = _error_text(exc)
            return None
        finally:
            s1, sc1 = shared_total(book)
            clock[metric.id] += max(0.0, time.perf_counter() - t0 - (s1 - s0))
            cpu[metric.id] += max(0.0, time.process_time() - c0 - (sc1 - sc0))

    # audit from statistics: a metric that supports it takes the state of the roles the statistics stand for
    from_stats = {m.id: statistics_for(m.impl, inputs) for m in streaming}
    for m in streaming:
        states[m.id] = (guarded(m, m.impl.state_from_statistics, inputs, models, from_stats[m.id]) if from_stats[m.id]
                        else guarded(m, m.impl.init, inputs, models))
    streams = {m.id: [r for r in m.impl.streams if r not in from_stats[m.id]] for m in streaming}
    roles = list(dict.fromkeys(r for m in streaming for r in streams[m.id]))
    for role in roles:
        users = [m for m in streaming if role in streams[m.id]]
        table = inputs.tables.get(role)
        total = table.n_rows if table is not None else None
        task = bar.add_task(f"streaming {role}", total=total) if bar else None
        for batch in inputs.batches(role, batch_size):
            for m in users:
                if m.id not in errors:
                    states[m.id] = guarded(m, m.impl.update, states[m.id], role, batch)
            if bar:
                bar.advance(task, len(batch))
        if bar:
            bar.update(task, total=bar.tasks[task].completed)

    runs: list[MetricRun] = []

    def finish(m: RegisteredMetric, result: MetricResult | None) -> None:
        if m.id in errors or result is None:
            runs.append(MetricRun(m, "failed", None, errors.get(m.id, "metric returned no result"), clock[m.id],
                                  cpu[m.id]))
        elif not isinstance(result, MetricResult):
            runs.append(MetricRun(m, "failed", None, f"returned {type(result).__name__}, not MetricResult",
                                  clock[m.id], cpu[m.id]))
        else:
            runs.append(MetricRun(m, "ok", result, None, clock[m.id], cpu[m.id]))
        if bar:
            bar.advance(overall)

    for m in streaming:
        if bar:
            bar.update(overall, description=f"metrics: {m.id}")
        result = None if m.id in errors else guarded(m, m.impl.finalize, states[m.id], inputs, models)
        finish(m, result)
    for m in global_:
        if bar:
            bar.update(overall, description=f"metrics: {m.id}")
        finish(m, guarded(m, m.impl, inputs, models))
    if bar:
        bar.update(overall, description="metrics")
    order = {m.id: i for i, m in enumerate(plan.run)}
    return sorted(runs, key=lambda r: order[r.metric.id])
