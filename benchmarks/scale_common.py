"""Shared pieces of the benchmarks: input files, child-process measurement, Ray process accounting, machine
description (the scale benchmarks of issue #13) and the result files every benchmark writes. Not a benchmark
itself.

Data files are written once to ``$SYNTHAUDIT_BENCH_DIR`` (default ``/tmp/synthaudit-scale``), never into the
repository; results go to ``benchmarks/results/``.
"""
from __future__ import annotations

import hashlib
import json
import os
import platform
import random
import re
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
SHARED = REPO.parent / "shared" / "data"
ADULT = SHARED / "tabular" / "adult"
TEXT = SHARED / "text"
WORK = Path(os.environ.get("SYNTHAUDIT_BENCH_DIR", "/tmp/synthaudit-scale"))
RESULTS = HERE / "results"
MB = 2**20


# ---------------------------------------------------------------------------------------------- machine
def _run(cmd: list[str]) -> str:
    try:
        return subprocess.run(cmd, capture_output=True, text=True, cwd=REPO, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return ""


def machine() -> dict[str, Any]:
    """CPU model, cores, RAM, OS, Python, package versions, the source tree state (read-only git)."""
    lscpu = _run(["lscpu"])
    model = next((line.split(":", 1)[1].strip() for line in lscpu.splitlines() if line.startswith("Model name")), "")
    mem_kb = next(int(line.split()[1]) for line in open("/proc/meminfo") if line.startswith("MemTotal"))
    diff = _run(["git", "diff", "HEAD", "--", "src"])
    untracked = _run(["git", "ls-files", "--others", "--exclude-standard", "src"]).split()
    h = hashlib.sha256(diff.encode())
    for f in sorted(untracked):
        try:
            h.update(f.encode() + (REPO / f).read_bytes())
        except OSError:
            pass
    import synthaudit

    return {"cpu_model": model, "nproc": int(_run(["nproc"]).strip() or os.cpu_count() or 0),
            "ram_gib": round(mem_kb / 2**20, 1), "platform": platform.platform(),
            "python": platform.python_version(), "synthaudit": getattr(synthaudit, "__version__", "?"),
            "git_head": _run(["git", "rev-parse", "--short", "HEAD"]).strip(),
            "src_worktree_sha256": h.hexdigest()[:16],
            "note": "src/ had uncommitted changes by other engineers while these ran: src_worktree_sha256 hashes "
                    "`git diff HEAD -- src` plus the untracked files under src/"}


def loadavg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def machine_busy_s() -> float:
    """CPU seconds the whole machine has spent busy since boot (all cores; /proc/stat: user, nice, system, irq,
    softirq, steal): the difference over a run minus the run's own CPU is what other processes used."""
    with open("/proc/stat") as fh:
        f = [int(x) for x in fh.readline().split()[1:9]]
    return (f[0] + f[1] + f[2] + f[5] + f[6] + f[7]) / os.sysconf("SC_CLK_TCK")


def wait_quiet(max_cores: float, timeout: float, window: float = 5.0) -> dict:
    """Wait until the machine's busy cores over ``window`` s fall below ``max_cores`` (other people's jobs on a
    shared machine), at most ``timeout`` s; returns what was seen."""
    t0 = time.time()
    while True:
        b0 = machine_busy_s()
        time.sleep(window)
        busy = (machine_busy_s() - b0) / window
        if busy < max_cores or time.time() - t0 > timeout:
            return {"busy_cores_before": round(busy, 2), "waited_s": round(time.time() - t0, 1),
                    "quiet": busy < max_cores}


# ---------------------------------------------------------------------------------------------- children
def run_child(cmd: list[str], env: dict | None = None, nice: int = 10, timeout: float | None = None,
              quiet: tuple[float, float] | None = None) -> dict:
    """Run ``cmd`` at niceness ``nice`` and measure it from here: wall seconds, CPU seconds (user + sys of the
    child and the descendants it waited for, ``os.wait4``) and the peak RSS of the command (its max RSS as
    ``/usr/bin/time`` reports it). The child's last stdout line, if JSON, is parsed into ``out``."""
    waited = wait_quiet(*quiet) if quiet and quiet[0] > 0 else None
    load0 = loadavg()
    busy0 = machine_busy_s()
    add = max(0, nice - os.nice(0))  # the child runs at niceness ``nice`` (not more when this process is niced)
    prefix = ["nice", "-n", str(add)] if add else []
    # /usr/bin/time forks the command from its own small image: the command's max RSS is then its own. (A command
    # exec'd straight from this process starts with this process's memory high-water mark in its ru_maxrss.)
    timing = tempfile.NamedTemporaryFile(prefix="scale_time_", suffix=".txt", delete=False)
    timing.close()
    t0 = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen([*prefix, "/usr/bin/time", "-o", timing.name, "-f", "%M %U %S", *cmd], stdout=out,
                                stderr=err,
                                env={**os.environ, **(env or {})})
        deadline = None if timeout is None else time.time() + timeout
        while True:
            pid, status, ru = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if deadline and time.time() > deadline:
                proc.kill()
            time.sleep(0.05)
        wall = time.perf_counter() - t0
        busy = machine_busy_s() - busy0
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(errors="replace"), err.read().decode(errors="replace")
    try:
        peak_kb = int(Path(timing.name).read_text().split()[-3])
    except (OSError, ValueError, IndexError):
        peak_kb = None
    os.unlink(timing.name)
    res = {"returncode": proc.returncode, "wall_s": round(wall, 3), "cpu_s": round(ru.ru_utime + ru.ru_stime, 3),
           "user_s": round(ru.ru_utime, 3), "sys_s": round(ru.ru_stime, 3),
           "peak_rss_mb": round(peak_kb / 1024, 1) if peak_kb else None,
           "peak_rss_mb_wait4": round(ru.ru_maxrss / 1024, 1), "load_before": load0, "load_after": loadavg(),
           "niceness": os.nice(0) + add, "machine_busy_cpu_s": round(busy, 2), "wait_quiet": waited,
           "others_cores_avg": round(max(0.0, busy - (ru.ru_utime + ru.ru_stime)) / wall, 2)}
    lines = [line for line in stdout.strip().splitlines() if line.strip()]
    if lines:
        try:
            res["out"] = json.loads(lines[-1])
        except json.JSONDecodeError:
            pass
    if proc.returncode not in (0, 1):  # 1: a policy gate failed, the audit ran
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{stderr[-4000:]}")
    res["stderr_tail"] = stderr[-1500:]
    return res


def vm_hwm_mb(pid: int | str = "self") -> float | None:
    """Peak resident set size (VmHWM) of a live process, MiB."""
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmHWM"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


class ProcTracker:
    """CPU seconds and peak RSS of this process's descendants (a local Ray cluster started here: gcs, raylet,
    its workers): polled every ``interval`` s in a thread, plus :meth:`snapshot` calls (e.g. just before Ray
    actors are killed). A process's CPU counts from :meth:`start` (its CPU before then is subtracted; a process
    born later counts from birth); a process that exits between polls loses at most one interval."""

    def __init__(self, interval: float = 0.2) -> None:
        import psutil

        self.psutil, self.interval = psutil, interval
        self.base: dict[int, float] = {}
        self.last: dict[int, float] = {}
        self.hwm: dict[int, float] = {}
        self.kind: dict[int, str] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def _kind(self, p: Any) -> str:
        try:
            cmd = " ".join(p.cmdline()).strip()
        except self.psutil.Error:
            return "?"
        if "ray::_Worker" in cmd:
            return "actor"
        for key in ("raylet", "gcs_server", "log_monitor", "dashboard", "agent", "ray::IDLE", "default_worker",
                    "monitor"):
            if key in cmd:
                return key
        return cmd[:40].strip()

    def snapshot(self) -> None:
        me = self.psutil.Process()
        try:
            procs = me.children(recursive=True)
        except self.psutil.Error:
            return
        with self._lock:
            for p in procs:
                try:
                    t = p.cpu_times()
                    cpu = t.user + t.system
                    kind = self._kind(p)
                except self.psutil.Error:
                    continue
                self.last[p.pid] = cpu
                if kind != "?" and (self.kind.get(p.pid) in (None, "?", "ray::IDLE", "default_worker")):
                    self.kind[p.pid] = kind
                hwm = vm_hwm_mb(p.pid)
                if hwm is not None:
                    self.hwm[p.pid] = max(self.hwm.get(p.pid, 0.0), hwm)

    def start(self) -> None:
        self.snapshot()
        self.base = dict(self.last)
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self.snapshot()

    def stop(self) -> dict[str, Any]:
        self._stop.set()
        if self._thread:
            self._thread.join()
        by_kind: dict[str, float] = {}
        for pid, cpu in self.last.items():
            k = self.kind.get(pid, "?")
            by_kind[k] = by_kind.get(k, 0.0) + cpu - self.base.get(pid, 0.0)
        actors = [pid for pid, k in self.kind.items() if k == "actor"]
        return {"cpu_s_total": round(sum(by_kind.values()), 3),
                "cpu_s_by_kind": {k: round(v, 3) for k, v in sorted(by_kind.items())},
                "actor_cpu_s": [round(self.last[p] - self.base.get(p, 0.0), 3) for p in actors],
                "actor_peak_rss_mb": [round(self.hwm.get(p, 0.0), 1) for p in actors],
                "max_peak_rss_mb_any": round(max(self.hwm.values(), default=0.0), 1)}


# ---------------------------------------------------------------------------------------------- text data
def sentences() -> list[str]:
    """The sentences of the real texts in ../shared/data/text (Self-Instruct user-oriented instructions, inputs
    and responses; Self-Instruct seed tasks; IFEval prompts): the recipe of bench_text_lexical.py."""
    pieces: list[str] = []
    for name in ("self_instruct_user_oriented/user_oriented_instructions.jsonl", "self_instruct_seed/seed_tasks.jsonl"):
        for line in (TEXT / name).read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            pieces += [row["instruction"]] + [v for i in row["instances"] for v in (i["input"], i["output"]) if v]
    for line in (TEXT / "ifeval" / "input_data.jsonl").read_text(encoding="utf-8").splitlines():
        pieces.append(json.loads(line)["prompt"])
    return [s.strip() for p in pieces for s in re.split(r"(?<=[.!?])\s+|\n+", p) if s.strip()]


def long_records(n: int, seed: int = 0) -> tuple[list[str], dict[str, int]]:
    """bench_text_lexical.py's corpus: records of 300-1,500 characters, each real sentences drawn at random
    (seeded) and joined; 2 % planted exact duplicates (an earlier record, case/whitespace changed), 2 % planted
    near duplicates (an earlier record with 1-3 words substituted)."""
    rng = random.Random(seed)
    pool = sentences()
    records: list[str] = []
    planted = {"exact_duplicates": 0, "near_duplicates": 0}
    for _ in range(n):
        roll = rng.random()
        if records and roll < 0.02:
            src = rng.choice(records)
            records.append(src.upper() if rng.random() < 0.5 else "  " + src.replace(" ", "  ") + "\n")
            planted["exact_duplicates"] += 1
            continue
        if records and roll < 0.04:
            words = rng.choice(records).split(" ")
            for _ in range(rng.randint(1, 3)):
                words[rng.randrange(len(words))] = rng.choice(rng.choice(pool).split(" "))
            records.append(" ".join(words))
            planted["near_duplicates"] += 1
            continue
        target, parts, size = rng.randint(300, 1500), [], 0
        while size < target:
            parts.append(rng.choice(pool))
            size += len(parts[-1]) + 1
        records.append(" ".join(parts))
    return records, planted


def short_records(n: int, seed: int, exclude: set[str] | None = None) -> list[str]:
    """n distinct records of two real sentences each (drawn at random, seeded): short texts for the embedder
    (about 120 characters, 30 word pieces), distinct so that no text is embedded twice."""
    rng = random.Random(seed)
    pool = sentences()
    seen: set[str] = set(exclude or ())
    out: list[str] = []
    while len(out) < n:
        t = rng.choice(pool) + " " + rng.choice(pool)
        if t not in seen:
            seen.add(t)
            out.append(t)
    return out


def write_jsonl(path: Path, records: list[str]) -> None:
    tmp = path.with_suffix(".tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        for t in records:
            fh.write(json.dumps({"text": t}, ensure_ascii=False) + "\n")
    tmp.replace(path)


def text_corpus(n: int) -> tuple[Path, dict]:
    """The n-record long-text JSONL file (built once); its description."""
    WORK.mkdir(parents=True, exist_ok=True)
    path = WORK / f"text_long_{n}.jsonl"
    meta_path = path.with_suffix(".json")
    if not (path.exists() and meta_path.exists()):
        records, planted = long_records(n)
        write_jsonl(path, records)
        meta = {"records": n, "mb_utf8_text": round(sum(len(t.encode()) for t in records) / 1e6, 1),
                "planted": planted}
        meta_path.write_text(json.dumps(meta))
    meta = json.loads(meta_path.read_text())
    meta["file_mb"] = round(path.stat().st_size / 1e6, 1)
    return path, meta


def short_corpora(n_syn: int, n_real: int) -> tuple[Path, Path, dict]:
    WORK.mkdir(parents=True, exist_ok=True)
    syn, real = WORK / f"text_short_syn_{n_syn}.jsonl", WORK / f"text_short_real_{n_real}.jsonl"
    if not (syn.exists() and real.exists()):
        a = short_records(n_syn, 11)
        b = short_records(n_real, 12, exclude=set(a))
        write_jsonl(syn, a)
        write_jsonl(real, b)
    def mean_chars(p: Path) -> float:
        lines = p.read_text(encoding="utf-8").splitlines()
        return round(sum(len(json.loads(x)["text"]) for x in lines) / len(lines), 1)
    return syn, real, {"synthetic_records": n_syn, "real_records": n_real, "mean_chars_synthetic": mean_chars(syn)}


# ---------------------------------------------------------------------------------------------- tabular data
JITTER = 0.01


def adult_pools():
    """Pooled UCI Adult (train + test, 48,842 rows, '?' = missing), shuffled (seed 0), split in two disjoint
    halves: A (the real/synthetic source) and B (the holdout source)."""
    import numpy as np
    import pandas as pd

    frames = [pd.read_csv(ADULT / f, na_values=["?"], skipinitialspace=True)
              for f in ("adult_train.csv.gz", "adult_test.csv.gz")]
    full = pd.concat(frames, ignore_index=True)
    full = full.iloc[np.random.default_rng(0).permutation(len(full))].reset_index(drop=True)
    half = len(full) // 2
    return full.iloc[:half].reset_index(drop=True), full.iloc[half:].reset_index(drop=True)


def tabular_files(n: int, fmt: str = "csv", holdout: int | None = None) -> tuple[dict[str, Path], dict]:
    """real = n rows drawn with replacement from half A of Adult; synthetic = n other rows drawn with replacement
    from A, every number jittered by N(0, (1 % of its sd)^2), rounded to 2 decimals; holdout = ``holdout``
    (default n) rows drawn with replacement from the disjoint half B. Built once per (n, format)."""
    import numpy as np

    holdout = n if holdout is None else holdout
    WORK.mkdir(parents=True, exist_ok=True)
    paths = {r: WORK / f"adult_{r}_{n if r != 'holdout' else holdout}.{fmt}" for r in ("synthetic", "real", "holdout")}
    if not all(p.exists() for p in paths.values()):
        a, b = adult_pools()
        real = a.sample(n, replace=True, random_state=5).reset_index(drop=True)
        syn = a.sample(n, replace=True, random_state=7).reset_index(drop=True)
        rng = np.random.default_rng(8)
        for c in syn.columns:
            if syn[c].dtype.kind in "if":
                x = syn[c].to_numpy(dtype=float)
                sd = float(np.nanstd(x))
                syn[c] = np.round(x + rng.normal(0.0, JITTER * sd, len(x)), 2)
        hold = b.sample(holdout, replace=True, random_state=6).reset_index(drop=True)
        for role, frame in (("synthetic", syn), ("real", real), ("holdout", hold)):
            tmp = paths[role].with_suffix(".tmp")
            if fmt == "csv":
                frame.to_csv(tmp, index=False)
            else:
                frame.to_parquet(tmp, index=False, row_group_size=100_000)
            tmp.replace(paths[role])
    meta = {"rows": {r: n if r != "holdout" else holdout for r in paths}, "format": fmt,
            "file_mb": {r: round(p.stat().st_size / 1e6, 1) for r, p in paths.items()},
            "recipe": "real = n rows drawn with replacement from half A of pooled, shuffled Adult (seed 0; 24,421 "
                      "rows); synthetic = n other draws from A (seed 7) with every number jittered by N(0, (1 % "
                      "sd)^2), rounded to 2 decimals; holdout = draws from the disjoint half B (seed 6)"}
    return paths, meta


# ---------------------------------------------------------------------------------------------- results
def other(r: dict) -> str:
    """Cores other processes used on average during the run (older runs: the 1-minute load average before)."""
    if r.get("others_cores_avg") is not None:
        return f"{r['others_cores_avg']:.2f}"
    return f"load {r['load_before'][0]}"


def _plain(o: Any) -> Any:
    """JSON for what json cannot write: numpy scalars as numbers, anything else as text."""
    return o.item() if hasattr(o, "item") else str(o)


def write_results(stem: str, payload: dict, markdown: str) -> tuple[Path, Path]:
    """``benchmarks/results/<stem>.json`` and ``.md`` (every benchmark writes its figures here)."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    j, m = RESULTS / f"{stem}.json", RESULTS / f"{stem}.md"
    j.write_text(json.dumps(payload, indent=2, default=_plain) + "\n", encoding="utf-8")
    m.write_text(markdown.rstrip() + "\n", encoding="utf-8")
    return j, m


def merge_runs(stem: str, runs: list[dict], key) -> list[dict]:
    """Earlier runs of ``stem``.json that this invocation did not redo (same ``key(run)``), then these."""
    path = RESULTS / f"{stem}.json"
    old: list[dict] = []
    if path.exists():
        try:
            old = json.loads(path.read_text()).get("runs", [])
        except (json.JSONDecodeError, AttributeError):
            old = []
    new_keys = {key(r) for r in runs}
    return [r for r in old if key(r) not in new_keys] + runs


def fmt_int(x: float | int | None) -> str:
    return "—" if x is None else f"{x:,.0f}"
