"""A deadline for slow symbolic checks that works in any thread and in worker processes (survey section 3.2).

Math-Verify bounds its sympy calls with ``signal.alarm``, which only works in the main thread of the main
interpreter. Here the slow path runs in persistent worker *processes* (``python -m synthaudit.verify.deadline``)
started with :mod:`subprocess` (so daemonic multiprocessing workers may use them too). A request is one JSON line
on the worker's stdin, the answer one JSON line on its stdout; the caller waits with ``select`` and, when the
deadline passes, kills the worker and starts a replacement. Nothing is pickled: only JSON crosses the pipe.
Each worker caps its address space (``RLIMIT_AS``, 2 GiB by default) so a huge power cannot take the machine, and
exits when its parent dies.
"""
from __future__ import annotations

import atexit
import json
import os
import queue
import select
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

#: seconds a new worker may take to import sympy and the LaTeX parser before we give up on it
BOOT_TIMEOUT_S = 120.0
#: address-space cap of a worker, bytes (``SYNTHAUDIT_SYMBOLIC_MEMORY_MB`` overrides)
MEMORY_BYTES = int(os.environ.get("SYNTHAUDIT_SYMBOLIC_MEMORY_MB", "2048")) * 1024 * 1024


class DeadlineExceeded(Exception):
    """The worker did not answer within the deadline; it was killed and replaced."""


class WorkerCrashed(Exception):
    """The worker died (e.g. hit its memory cap) or wrote something that is not a JSON answer."""


class _Worker:
    """One child process and its line-buffered stdout."""

    def __init__(self) -> None:
        src = str(Path(__file__).resolve().parents[2])
        env = dict(os.environ)
        env["PYTHONPATH"] = src + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        env["SYNTHAUDIT_PARENT_PID"] = str(os.getpid())
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "synthaudit.verify.deadline"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, env=env, close_fds=True)
        self._buf = b""
        self.ready = False

    def _readline(self, deadline: float) -> bytes:
        fd = self.proc.stdout.fileno()  # type: ignore[union-attr]
        while b"\n" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise DeadlineExceeded
            r, _, _ = select.select([fd], [], [], left)
            if not r:
                raise DeadlineExceeded
            chunk = os.read(fd, 65536)
            if not chunk:
                raise WorkerCrashed(f"symbolic worker exited (code {self.proc.poll()})")
            self._buf += chunk
        line, _, self._buf = self._buf.partition(b"\n")
        return line

    def wait_ready(self) -> None:
        if not self.ready:
            if self._readline(time.monotonic() + BOOT_TIMEOUT_S) != b"ready":
                raise WorkerCrashed("symbolic worker did not start")
            self.ready = True

    def call(self, request: dict[str, Any], timeout_s: float) -> dict[str, Any]:
        self.wait_ready()
        self.proc.stdin.write(json.dumps(request).encode() + b"\n")  # type: ignore[union-attr]
        self.proc.stdin.flush()  # type: ignore[union-attr]
        line = self._readline(time.monotonic() + timeout_s)
        try:
            return json.loads(line)
        except ValueError as exc:
            raise WorkerCrashed(f"symbolic worker answered {line[:80]!r}") from exc

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        for f in (self.proc.stdin, self.proc.stdout):
            try:
                f.close()  # type: ignore[union-attr]
            except OSError:
                pass

    def close(self) -> None:
        try:
            self.proc.stdin.close()  # type: ignore[union-attr]
            self.proc.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            pass
        self.kill()


class WorkerPool:
    """Up to ``size`` persistent symbolic workers shared by all threads of this process."""

    def __init__(self, size: int | None = None) -> None:
        self.size = max(1, size or os.cpu_count() or 1)
        self._idle: queue.LifoQueue[_Worker] = queue.LifoQueue()
        self._lock = threading.Lock()
        self._started = 0
        self._pid = os.getpid()

    def _fork_check(self) -> None:
        # a forked child must not share its parent's pipes
        if os.getpid() != self._pid:
            self._idle = queue.LifoQueue()
            self._started = 0
            self._pid = os.getpid()

    def prestart(self, n: int | None = None) -> None:
        """Start workers now (non-blocking) so that their import time overlaps other work."""
        with self._lock:
            self._fork_check()
            while self._started < min(self.size, n or self.size):
                self._idle.put(_Worker())
                self._started += 1

    def resize(self, size: int) -> None:
        with self._lock:
            self.size = max(self.size, size)

    def _acquire(self) -> _Worker:
        with self._lock:
            self._fork_check()
            if self._idle.empty() and self._started < self.size:
                self._started += 1
                return _Worker()
        return self._idle.get()

    def call(self, request: dict[str, Any], timeout_s: float) -> dict[str, Any]:
        """Send one request; raise :class:`DeadlineExceeded` after ``timeout_s`` seconds (worker replaced)."""
        worker = self._acquire()
        try:
            out = worker.call(request, timeout_s)
        except (DeadlineExceeded, WorkerCrashed, OSError) as exc:
            worker.kill()
            self._idle.put(_Worker())  # the replacement boots while the caller goes on
            if isinstance(exc, OSError):
                raise WorkerCrashed(f"symbolic worker pipe failed: {exc}") from exc
            raise
        self._idle.put(worker)
        return out

    def shutdown(self) -> None:
        """Stop every idle worker (busy ones are stopped by their caller's deadline)."""
        with self._lock:
            while not self._idle.empty():
                self._idle.get().close()
                self._started -= 1


_POOL: WorkerPool | None = None
_POOL_LOCK = threading.Lock()


def pool() -> WorkerPool:
    """The process-wide pool (created on first use, stopped at exit)."""
    global _POOL
    with _POOL_LOCK:
        if _POOL is None:
            _POOL = WorkerPool()
            atexit.register(_POOL.shutdown)
        return _POOL


# ------------------------------------------------------------------------------------------------ worker side
def _watch_parent(parent: int) -> None:
    while True:
        time.sleep(1.0)
        if os.getppid() != parent:
            os._exit(0)


def _serve() -> None:
    import resource

    try:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))
    except (ValueError, OSError):
        pass
    parent = int(os.environ.get("SYNTHAUDIT_PARENT_PID", os.getppid()))
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()
    from synthaudit.verify.math_equiv import handle

    out = sys.stdout.buffer
    out.write(b"ready\n")
    out.flush()
    for line in sys.stdin.buffer:
        try:
            answer = handle(json.loads(line))
        except MemoryError:
            answer = {"error": "memory limit of the symbolic worker reached"}
        except Exception as exc:  # noqa: BLE001 - reported to the caller as the verdict's reason
            answer = {"error": f"{type(exc).__name__}: {exc}"[:300]}
        out.write(json.dumps(answer).encode() + b"\n")
        out.flush()


if __name__ == "__main__":
    _serve()
