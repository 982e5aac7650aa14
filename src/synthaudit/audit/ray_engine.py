"""The Ray engine (issue #13): shard states on a pool of Ray actors, merged on the driver.

Each actor sets itself up once from the audit's options (no rows), the models' description and the metrics'
initial states (put in the object store once); it loads a model the first time a metric asks for it and keeps
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

    def _setup(self, refs: list) -> None:
        import ray
        from ray import cloudpickle

        from synthaudit.audit.shards import ShardComputer
        from synthaudit.metrics.registry import all_metrics

        payload, base = ray.get(refs)
        inputs, models, ids = cloudpickle.loads(payload)
        registry = all_metrics()
        self.computer = ShardComputer({i: registry[i] for i in ids}, base, inputs, models)

    def run(self, role: str, index: int, batch: Any, ids: list[str], setup: list) -> bytes:
        """The shard's result, written with references to this worker's inputs and models (the driver binds them
        to its own)."""
        from synthaudit.audit.transport import dumps

        if self.computer is None:
            self._setup(setup)
        return dumps(self.computer.run(role, index, batch, ids), self.computer.inputs, self.computer.models)


class RayShards:
    """Shards computed by Ray actors; ``ready`` yields finished shards in order."""

    def __init__(self, execution: "Execution", inputs: Any, models: Any, ids: list[str], base: bytes) -> None:
        import ray
        from ray import cloudpickle
        from ray.util import ActorPool

        from synthaudit.audit.shards import detached, worker_models

        self._started = not ray.is_initialized()
        if self._started:
            ray.init(address=execution.ray_address, include_dashboard=False, log_to_driver=False,
                     configure_logging=False)
        cpus = int(ray.cluster_resources().get("CPU", 1)) or 1
        self.workers = execution.workers or cpus
        # kept referenced for the whole audit: a restarted actor reads its arguments again
        self._args = (ray.put(cloudpickle.dumps((detached(inputs), worker_models(models), ids))), ray.put(base))
        remote = ray.remote(num_cpus=1, max_restarts=-1, max_task_retries=-1)(_Worker)
        self._actors = [remote.remote() for _ in range(self.workers)]
        self._pool = ActorPool(self._actors)
        self._pending = 0
        self._ray = ray
        self._inputs, self._models = inputs, models
        #: every worker shares this machine's files (a one-node cluster): they read a file's batches themselves
        self.reads_files = sum(1 for node in ray.nodes() if node.get("Alive")) == 1

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
        for actor in self._actors:
            self._ray.kill(actor)
        if self._started:
            self._ray.shutdown()
