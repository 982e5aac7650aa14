"""The Ray engine (issue #13): shard states on a pool of Ray actors, merged on the driver.

The actors start when the audit begins (:class:`WarmPool`) and import their modality's metrics while the driver
reads the inputs. Each actor sets itself up once from the audit's options (no rows), the models' description and the
metrics' initial states (put in the object store once); it loads a model the first time a metric asks for it and keeps
it for every later shard (one load per worker). The driver streams each input, puts a batch in the object store
and submits it; at most ``2 x workers`` batches are in flight, so the driver's memory stays bounded by the batch
size. On a one-node cluster a plain CSV or Parquet file that only sharded metrics read is not read by the driver
at all: each task carries a :class:`~synthaudit.data.spans.Span` and the worker parses its batch itself.
Results come back in submission order. Actors are restarted and their tasks retried when a worker process dies
(``max_restarts=-1, max_task_retries=-1``), so a killed worker does not change the result.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterator

if TYPE_CHECKING:
    from synthaudit.audit.execution import Execution
    from synthaudit.audit.shards import ShardResult


class _Worker:
    """The actor: a ShardComputer over this worker's copy of the options and models, set up on its first shard
    (and again after a restart) from the two object references every call carries, unresolved, in a list."""

    def __init__(self) -> None:
        self.computer: Any = None

    def warm(self, modality: str) -> None:
        """Import what every shard needs, before the first shard comes: the modality's metrics (tabular: 0.6 CPU s;
        every modality's would be 1.5)."""
        import importlib

        import synthaudit.audit.shards  # noqa: F401
        import synthaudit.audit.transport  # noqa: F401
        from synthaudit.modalities.registry import get_modality

        importlib.import_module(get_modality(modality).metrics)

    def map_span(self, module: str, key: str, span: Any, columns: list[str], inputs_ref: list) -> Any:
        """A pre-pass's partial value (:mod:`synthaudit.metrics.prepass`; registered by ``module``) over the batch
        of ``span``, read here and typed on ``columns`` only."""
        import importlib

        import ray
        from ray import cloudpickle

        from synthaudit.metrics.prepass import PREPASSES

        importlib.import_module(module)
        ref = inputs_ref[0].hex()
        if getattr(self, "_prepass_ref", None) != ref:  # the audit's inputs (no rows), read once per audit
            self._prepass_inputs, self._prepass_ref = cloudpickle.loads(ray.get(inputs_ref[0])), ref
        inputs, prepass = self._prepass_inputs, PREPASSES[key]
        batch = inputs.coerce_batch(span.read(), inputs.tables[prepass.role].label, span.start_row, columns)
        return prepass.map(batch, columns)

    def _setup(self, refs: list) -> None:
        import ray
        from ray import cloudpickle

        from synthaudit.audit.shards import ShardComputer
        from synthaudit.metrics.registry import metrics_of

        payload, base = ray.get(refs)
        inputs, models, ids, modules = cloudpickle.loads(payload)
        self.computer = ShardComputer(metrics_of(ids, modules), base, inputs, models)

    def run(self, role: str, index: int, batch: Any, ids: list[str], setup: list) -> bytes:
        """The shard's result, written with references to this worker's inputs and models (the driver binds them
        to its own)."""
        from synthaudit.audit.transport import dumps

        if self.computer is None:
            self._setup(setup)
        return dumps(self.computer.run(role, index, batch, ids), self.computer.inputs, self.computer.models)


class WarmPool:
    """The audit's Ray actors, started (and the cluster with them, when none is running) as soon as the audit's
    options are read: each imports its modality's metrics while the driver types the inputs and computes the
    metrics' initial states, which would otherwise wait for the first shard. :class:`RayShards` takes them over;
    :meth:`close` (idempotent) kills them and stops a cluster this pool started."""

    def __init__(self, execution: "Execution", modality: str) -> None:
        import ray

        self.started = not ray.is_initialized()
        if self.started:
            ray.init(address=execution.ray_address, include_dashboard=False, log_to_driver=False,
                     configure_logging=False)
        cpus = int(ray.cluster_resources().get("CPU", 1)) or 1
        self.workers = execution.workers or cpus
        remote = ray.remote(num_cpus=1, max_restarts=-1, max_task_retries=-1)(_Worker)
        self.actors = [remote.remote() for _ in range(self.workers)]
        for actor in self.actors:
            actor.warm.remote(modality)
        self.ray, self.closed = ray, False
        #: every worker shares this machine's files (a one-node cluster): they read a file's batches themselves
        self.reads_files = sum(1 for node in ray.nodes() if node.get("Alive")) == 1

    def map_spans(self, prepass: Any, spans: list, columns: list[str], inputs: Any) -> list:
        """A pre-pass's partial values over ``spans``, in span order, mapped on the actors."""
        from ray import cloudpickle
        from ray.util import ActorPool

        from synthaudit.audit.shards import detached

        ref = [self.ray.put(cloudpickle.dumps(detached(inputs)))]  # in a list: passed on unresolved
        return list(ActorPool(self.actors).map(
            lambda actor, span: actor.map_span.remote(prepass.module, prepass.key, span, columns, ref), spans))

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        for actor in self.actors:
            self.ray.kill(actor)
        if self.started:
            self.ray.shutdown()


class RayShards:
    """Shards computed by Ray actors; ``ready`` yields finished shards in order."""

    def __init__(self, execution: "Execution", inputs: Any, models: Any, ids: list[str], base: bytes) -> None:
        from ray import cloudpickle
        from ray.util import ActorPool

        from synthaudit.audit.shards import detached, worker_models

        from synthaudit.metrics.registry import get

        self._warm = execution.pool if execution.pool is not None and not execution.pool.closed \
            else WarmPool(execution, inputs.modality)
        ray = self._warm.ray
        self.workers = self._warm.workers
        modules = sorted({type(get(i).impl).__module__ for i in ids})  # what a worker imports for these metrics
        # kept referenced for the whole audit: a restarted actor reads its arguments again
        self._args = (ray.put(cloudpickle.dumps((detached(inputs), worker_models(models), ids, modules))),
                      ray.put(base))
        self._actors = self._warm.actors
        self._pool = ActorPool(self._actors)
        self._pending = 0
        self._ray = ray
        self._inputs, self._models = inputs, models
        self.reads_files = self._warm.reads_files

    def submit(self, role: str, index: int, batch: Any, ids: list[str]) -> None:
        from synthaudit.data.spans import Span

        ref = batch if isinstance(batch, Span) else self._ray.put(batch)  # a span is a few hundred bytes
        self._pool.submit(lambda actor, v: actor.run.remote(*v), (role, index, ref, ids, list(self._args)))
        self._pending += 1

    def ready(self, flush: bool = False) -> Iterator["ShardResult"]:
        """Finished shards in order: while more than 2 x workers are in flight (or every one when flushing)."""
        while self._pending and (flush or self._pending >= 2 * self.workers):
            from synthaudit.audit.transport import loads

            self._pending -= 1
            try:
                payload = self._pool.get_next()
            except self._ray.exceptions.RayTaskError as exc:  # a user's bad file read on a worker: its message
                from synthaudit.errors import InputError

                if isinstance(exc.cause, InputError):
                    raise exc.cause from None
                raise
            yield loads(payload, self._inputs, self._models)

    def close(self) -> None:
        self._warm.close()
