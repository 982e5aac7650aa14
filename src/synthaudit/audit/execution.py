"""How an audit runs (issue #13): the engine (local or Ray), the sample the global metrics of a streamed audit
see, and the checkpoint that makes a streamed audit resumable.

* ``engine="local"``: one process. In-memory inputs update each metric's state batch by batch; streamed ones
  (``stream=True``) run shard by shard when a checkpoint is kept, so that a killed audit resumes.
* ``engine="ray"``: the driver reads each input in batches (memory bounded by the batch size) and hands them to
  a pool of Ray actors (one model load per worker); shard states come back in order and are merged on the
  driver, so record and mergeable values equal the local engine's.
* the global metrics of a streamed audit run on a seeded sample of ``sample_size`` rows per table
  (:mod:`synthaudit.audit.reservoir`), recorded in each such metric's ``sample``.
"""
from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator

from synthaudit.audit.reservoir import DEFAULT_SAMPLE_SIZE
from synthaudit.errors import UsageError

if TYPE_CHECKING:
    from synthaudit.audit.shards import ShardResult

ENGINES = ("local", "ray")
CHECKPOINT_DIR = ".synthaudit-checkpoint"


@dataclass(frozen=True)
class Execution:
    """engine: "local" or "ray"; ray_address: an existing cluster ("auto", "ray://host:10001"; None starts a
    local one); workers: Ray actors (None: one per CPU of the cluster); sample_size: rows per table the global
    metrics of a streamed audit see (0: every row, loaded whole); checkpoint: folder of per-shard states (None:
    ``<out>/.synthaudit-checkpoint`` when the audit streams and writes a report; False: none)."""

    engine: str = "local"
    ray_address: str | None = None
    workers: int | None = None
    sample_size: int = DEFAULT_SAMPLE_SIZE
    checkpoint: Any = None
    #: Ray actors started before the inputs are prepared (``ray_engine.WarmPool``; set by ``audit``)
    pool: Any = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.engine not in ENGINES:
            raise UsageError(f"unknown engine {self.engine!r}; expected one of {', '.join(ENGINES)}", field="--engine")
        if self.workers is not None and self.workers < 1:
            raise UsageError(f"workers must be at least 1, got {self.workers}", field="--workers")
        if self.sample_size < 0:
            raise UsageError(f"sample size must be 0 (every row) or positive, got {self.sample_size}",
                             field="--sample-size")
        if self.engine != "ray" and (self.ray_address or self.workers):
            raise UsageError("--ray-address and --workers need --engine ray", field="--engine")
        if self.engine == "ray":
            require_ray()

    @property
    def distributed(self) -> bool:
        return self.engine == "ray"


def require_ray() -> None:
    try:
        import ray  # noqa: F401
    except ImportError:
        raise UsageError("--engine ray needs Ray Data: pip install 'synthaudit[distributed]' (or 'ray[data]')",
                         field="--engine") from None


def checkpoint_folder(execution: Execution, out: Any, streamed: bool) -> Path | None:
    """Where shard states go, or None (no checkpoint)."""
    if execution.checkpoint is False:
        return None
    if execution.checkpoint not in (None, True):
        return Path(execution.checkpoint)
    if out is not None and (streamed or execution.distributed):
        return Path(out) / CHECKPOINT_DIR
    return None


class Checkpoint:
    """Per-shard state files under ``folder/<key>``, the key a hash of everything that decides the states: the
    package version, the data (file hashes or content hashes), options, metrics, parameters, seed and batch
    size. A re-run with the same arguments finds the shards already done; other arguments get another key."""

    def __init__(self, folder: Path, key: str, inputs: Any, models: Any) -> None:
        self.root = folder / key
        self.root.mkdir(parents=True, exist_ok=True)
        self.inputs, self.models = inputs, models
        self.resumed = 0

    @staticmethod
    def key(parts: dict[str, Any]) -> str:
        return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:24]

    def _path(self, role: str, index: int) -> Path:
        return self.root / f"{role}-{index:07d}.state"

    def load(self, role: str, index: int) -> "ShardResult | None":
        from synthaudit.audit.transport import read_state_file

        path = self._path(role, index)
        if not path.exists():
            return None
        result = read_state_file(path, self.inputs, self.models)
        result.resumed = True
        self.resumed += 1
        return result

    def save(self, result: "ShardResult") -> None:
        from synthaudit.audit.transport import write_state_file

        if not result.resumed:
            write_state_file(self._path(result.role, result.index), result, self.inputs, self.models)

    def done(self) -> None:
        """The audit finished: its shard states are no longer needed."""
        shutil.rmtree(self.root, ignore_errors=True)
        try:
            self.root.parent.rmdir()
        except OSError:
            pass


class LocalShards:
    """Shards computed in this process, one at a time."""

    def __init__(self, computer: Any) -> None:
        self.computer = computer
        self._done: list[Any] = []
        self.workers = 1
        self.reads_files = False  # batches are read here already: spans would only add a second read

    def submit(self, role: str, index: int, batch: Any, ids: list[str]) -> None:
        self._done.append(self.computer.run(role, index, batch, ids))

    def ready(self, flush: bool = False) -> Iterator["ShardResult"]:
        while self._done:
            yield self._done.pop(0)

    def close(self) -> None:
        pass
