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
    from synthaudit.audit.execution import Checkpoint, Execution
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
    #: for a global metric of a streamed audit: per role, the seeded sample it saw (rows, of, seed)
    sample: dict[str, dict] | None = None


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
             progress: bool | None = None, execution: "Execution | None" = None,
             checkpoint: "Checkpoint | None" = None) -> list[MetricRun]:
    """Run the plan's metrics. ``execution``: the engine and the global metrics' sample (issue #13);
    ``checkpoint``: where shard states are kept so that a killed audit resumes."""
    from synthaudit.audit.execution import Execution
    from synthaudit.timing import ledger

    execution = execution or Execution()
    bar = make_progress(progress)
    with bar if bar is not None else nullcontext(), ledger() as book:
        runs = _run(plan, inputs, models, batch_size, bar, book, execution, checkpoint)
    plan.shared_time = {k: (round(w, 4), round(c, 4)) for k, (w, c) in book.items()}
    inputs.warnings[:] = list(dict.fromkeys(inputs.warnings))
    return runs


def _sampled_roles(plan: "Plan", inputs: "AuditInputs", execution: "Execution") -> list[str]:
    """Roles read by global metrics whose tables are streamed (not in memory): they get a seeded sample."""
    if not execution.sample_size:
        return []
    roles = [r for m in plan.run if not m.streaming for r in m.spec.inputs]
    return [r for r in dict.fromkeys(roles) if r in inputs.tables and not inputs.tables[r].materialized]


def _run(plan: "Plan", inputs: "AuditInputs", models: "Models", batch_size: int, bar: Any,
         book: dict[str, list[float]], execution: "Execution", checkpoint: "Checkpoint | None") -> list[MetricRun]:
    from synthaudit.audit.reservoir import Reservoir
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
    if execution.pool is not None and not execution.pool.closed:  # Ray: pre-passes mapped on the workers
        from synthaudit.metrics.prepass import PREPASSES, run_on_workers
        from synthaudit.timing import shared

        keys = [k for m in streaming for k in m.impl.prepasses if PREPASSES[k].role not in from_stats[m.id]]
        if keys:
            with shared("features: pre-passes on the workers"):
                run_on_workers(list(dict.fromkeys(keys)), inputs, execution.pool, batch_size)
    for m in streaming:
        states[m.id] = (guarded(m, m.impl.state_from_statistics, inputs, models, from_stats[m.id]) if from_stats[m.id]
                        else guarded(m, m.impl.init, inputs, models))
    streams = {m.id: [r for r in m.impl.streams if r not in from_stats[m.id]] for m in streaming}
    sampled_roles = _sampled_roles(plan, inputs, execution)
    roles = list(dict.fromkeys([*(r for m in streaming for r in streams[m.id]), *sampled_roles]))
    reservoirs: dict[int, Reservoir] = {}
    for role in sampled_roles:
        reservoirs.setdefault(id(inputs.tables[role]), Reservoir(execution.sample_size, inputs.seed, role))
    shards = _Shards.open(streaming, states, errors, inputs, models, execution, checkpoint)
    filled: set[int] = set()
    for role in roles:
        users = [m for m in streaming if role in streams[m.id] and m.id not in errors]
        table = inputs.tables.get(role)
        reservoir = reservoirs.get(id(table)) if table is not None and id(table) not in filled else None
        if not users and reservoir is None:
            continue
        filled.add(id(table))
        # on Ray, workers on this machine read a plain file's batches themselves when no one here needs the rows
        spans = table.spans(batch_size) if (shards is not None and shards.reads_files and reservoir is None
                                            and table is not None and all(m.id in shards.remote for m in users)) \
            else None
        if spans is not None:
            inputs.extra["execution"]["read_by_workers"] += len(spans)
        total = table.n_rows if table is not None else None
        task = bar.add_task(f"streaming {role}", total=total) if bar else None
        for index, batch in enumerate(spans if spans is not None else inputs.batches(role, batch_size)):
            if reservoir is not None:
                reservoir.add(batch)
            local = [m for m in users if m.id not in errors and (shards is None or m.id in shards.local)]
            for m in local:
                states[m.id] = guarded(m, m.impl.update, states[m.id], role, batch)
            remote = [m.id for m in users if shards is not None and m.id in shards.remote]
            if remote:  # a batch read only for the sample (or for driver-side metrics) is no shard
                shards.submit(role, index, batch, remote)
                shards.collect(clock, cpu)
            if bar:
                bar.advance(task, len(batch))
        if shards is not None:
            shards.collect(clock, cpu, flush=True)
        if bar:
            bar.update(task, total=bar.tasks[task].completed)
    if shards is not None:
        shards.close()
    _use_samples(inputs, reservoirs)

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
    sampled = inputs.extra.get(SAMPLED) or {}
    for m in global_:
        if bar:
            bar.update(overall, description=f"metrics: {m.id}")
        finish(m, guarded(m, m.impl, inputs, models))
        used = {r: sampled[r] for r in m.spec.inputs if r in sampled}
        runs[-1].sample = used or None
    if bar:
        bar.update(overall, description="metrics")
    order = {m.id: i for i, m in enumerate(plan.run)}
    return sorted(runs, key=lambda r: order[r.metric.id])


#: key of ``AuditInputs.extra``: role -> the sample the global metrics saw (see :mod:`synthaudit.audit.reservoir`)
SAMPLED = "sampled"


def _use_samples(inputs: "AuditInputs", reservoirs: dict) -> None:
    """After streaming: each streamed table read by global metrics becomes its sample (the whole table when it
    had no more rows than the sample size: then nothing is re-read and nothing is marked sampled)."""
    from synthaudit.data.tabular import Table

    for key, reservoir in reservoirs.items():
        roles = [r for r, t in inputs.tables.items() if id(t) == key]
        if not roles or reservoir.n_seen == 0:
            continue
        old = inputs.tables[roles[0]]
        frame = reservoir.frame()
        table = Table(old.label, frame=frame, path=old.path, fmt=old.format, fingerprint=old.fingerprint())
        inputs._coerced[str(id(table))] = frame  # batches were coerced already
        for r in roles:
            inputs.tables[r] = table
            if reservoir.sampled:
                inputs.extra.setdefault(SAMPLED, {})[r] = reservoir.note()


class _Shards:
    """The shard side of a run: which metrics go to shards (their initial state ships), the runner (this process
    or Ray actors), the checkpoint, and the ordered merge of shard states into the driver's states."""

    def __init__(self, metrics: dict, states: dict, errors: dict, runner: Any, checkpoint: "Checkpoint | None",
                 local: set[str], inputs: "AuditInputs") -> None:
        self.metrics, self.states, self.errors, self.inputs = metrics, states, errors, inputs
        self.runner, self.checkpoint = runner, checkpoint
        self.remote, self.local = set(metrics), local
        self._waiting: list[Any] = []  # resumed or computed results, merged in shard order
        #: whether the runner's workers read files from this machine's disk (``data.spans``)
        self.reads_files: bool = runner.reads_files

    @classmethod
    def open(cls, streaming: list, states: dict, errors: dict, inputs: "AuditInputs", models: "Models",
             execution: "Execution", checkpoint: "Checkpoint | None") -> "_Shards | None":
        if not (execution.distributed or checkpoint is not None):
            return None
        from synthaudit.audit import transport
        from synthaudit.audit.execution import LocalShards
        from synthaudit.audit.shards import ShardComputer

        shipped, local = {}, set()
        for m in streaming:
            if m.id in errors:
                continue
            try:  # a state that cannot be written (an open model handle, ...) is updated here, batch by batch
                transport.dumps(states[m.id], inputs, models)
                shipped[m.id] = m
            except Exception:
                local.add(m.id)
        base = transport.dumps({i: states[i] for i in shipped}, inputs, models)
        if execution.distributed:
            from synthaudit.audit.ray_engine import RayShards

            runner = RayShards(execution, inputs, models, list(shipped), base)
        else:
            runner = LocalShards(ShardComputer(shipped, base, inputs, models))
        inputs.extra["execution"] = {"engine": execution.engine, "workers": runner.workers,
                                     "sharded_metrics": len(shipped), "shards": 0, "resumed_shards": 0,
                                     "read_by_workers": 0}
        return cls(shipped, states, errors, runner, checkpoint, local, inputs)

    def submit(self, role: str, index: int, batch: Any, ids: list[str]) -> None:
        done = self.checkpoint.load(role, index) if self.checkpoint is not None else None
        if done is not None:
            self._waiting.append(done)
        else:
            self._waiting.append(None)
            self.runner.submit(role, index, batch, ids)

    def collect(self, clock: dict, cpu: dict, flush: bool = False) -> None:
        """Merge the finished shards, in order (a resumed shard waits for the computed ones before it)."""
        from synthaudit.audit.shards import merge_into

        computed = iter(self.runner.ready(flush))
        while self._waiting:
            head = self._waiting[0]
            if head is None:
                head = next(computed, None)
                if head is None:
                    break
                if self.checkpoint is not None:
                    self.checkpoint.save(head)
            self._waiting.pop(0)
            merge_into(self.states, head, self.metrics, self.errors)
            for mid in head.cpu_s:
                cpu[mid] += head.cpu_s[mid]
                clock[mid] += head.wall_s[mid]
            self.inputs.warnings.extend(head.warnings)
            info = self.inputs.extra["execution"]
            info["shards"] += 1
            info["resumed_shards"] += int(head.resumed)

    def close(self) -> None:
        self.runner.close()
