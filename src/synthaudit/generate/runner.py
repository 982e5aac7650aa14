"""Restartable generation (survey stage 1, "generation"; tutorial section 3.7, hands-on): records are appended
to a JSON Lines file one by one (flushed and fsync'ed), and failed, empty or eliminated generations go to a
rejects file with their reason — nothing is dropped silently.

Every record has a deterministic id (method, run seed, slot index; ``generate.text.base.record_id``). With
``resume`` (the default) the ids already in the output file and the final rejects are skipped, so a crash
or a kill loses nothing and duplicates nothing: the restarted run writes exactly the records an
uninterrupted run would (same ids, same content for the same seed). Rejects caused by an endpoint failure
(``llm_error``) are tried again on resume. A torn last line (killed mid-write) is cut off first.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping

from synthaudit.data import files
from synthaudit.errors import InputError, UsageError
from synthaudit.generate.text import METHODS
from synthaudit.generate.text.base import is_final, is_reject, record_id
from synthaudit.models.llm import LLMClient


@dataclass
class RunStats:
    method: str
    out: str
    rejects: str
    written: int = 0  # records written by this run
    rejected: int = 0  # rejects written by this run
    resumed: int = 0  # records found in the output file and skipped
    reasons: dict[str, int] = field(default_factory=dict)

    def summary(self) -> str:
        text = f"{self.written} records written to {self.out}"
        if self.resumed:
            text += f" ({self.resumed} already there, skipped)"
        if self.rejected:
            top = ", ".join(f"{k} {v}" for k, v in sorted(self.reasons.items(), key=lambda kv: -kv[1])[:4])
            text += f"; {self.rejected} rejected to {self.rejects} ({top})"
        return text


def rejects_path(out: Path) -> Path:
    """``gen.jsonl`` -> ``gen.rejects.jsonl``."""
    name = out.name[:-len(".jsonl")] if out.name.endswith(".jsonl") else out.name
    return out.with_name(name + ".rejects.jsonl")


def read_jsonl(path: Path, repair: bool = False) -> list[dict]:
    """The records of a JSON Lines file. ``repair``: cut off a torn last line (no final newline) in place."""
    if not path.exists():
        return []
    raw = path.read_bytes()
    if raw and not raw.endswith(b"\n"):
        cut = raw.rfind(b"\n") + 1
        if not repair:
            raw = raw[:cut]
        else:
            with open(path, "r+b") as fh:
                fh.truncate(cut)
                fh.flush()
                os.fsync(fh.fileno())
            raw = raw[:cut]
    out = []
    for row, line in enumerate(raw.decode("utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            rec = files.loads_json(line)
        except files.JSONTextError as exc:  # invalid, too deeply nested, a lone surrogate escape
            raise InputError(f"line {row} {exc.reason}; cannot resume from it", file=str(path), row=row,
                             hint="use --no-resume to start afresh, or another --out") from None
        if not isinstance(rec, dict) or "id" not in rec:
            raise InputError("has no 'id'; cannot resume from it", file=str(path), row=row)
        out.append(rec)
    return out


class JsonlAppender:
    """Append one JSON object per line; each line is flushed and fsync'ed before the next."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.fh = open(path, "a", encoding="utf-8")

    def write(self, rec: dict) -> None:
        self.fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
        self.fh.flush()
        os.fsync(self.fh.fileno())

    def close(self) -> None:
        self.fh.close()


def run_generation(method: str, client: LLMClient, *, n: int, seed: int = 0, out: str | Path,
                   rejects: str | Path | None = None, resume: bool = True,
                   progress: Callable[[dict], None] | None = None, max_attempts: int | None = None,
                   methods: Mapping[str, Callable[..., Iterator[dict]]] | None = None, **opts: Any) -> RunStats:
    """Generate ``n`` accepted records with ``methods[method]`` into ``out`` (JSONL), restartably.
    ``methods``: the generators to choose from (default: the text methods; reasoning passes its own).

    progress(rec) is called after each record or reject is written (records that were already there are
    not reported). Other keyword arguments go to the method (``max_tokens``, ``temperature``,
    ``concurrency``, ``batch``, ``seed_tasks``, ...)."""
    methods = METHODS if methods is None else methods
    if method not in methods:
        raise UsageError(f"unknown method {method!r}; expected one of {', '.join(methods)}", field="--method")
    if n < 1:
        raise UsageError("must be at least 1", field="--n")
    out = Path(out)
    rej = Path(rejects) if rejects else rejects_path(out)
    if out.exists() and out.is_dir():
        raise UsageError("is a directory; --out expects a JSON Lines file", file=str(out), field="--out")
    done: dict[str, dict] = {}
    if resume:
        prefix = record_id(method, seed, 0)[:-5]
        for path in (out, rej):
            for rec in read_jsonl(path, repair=True):
                if not str(rec["id"]).startswith(prefix):
                    raise UsageError(f"holds records of another run (id {rec['id']!r}, not {prefix}*)", file=str(path),
                                     field="--out", hint="use another --out, the same --method/--seed, or --no-resume")
                if is_final(rec):
                    done[str(rec["id"])] = rec
    else:
        for path in (out, rej):
            if path.exists():
                path.unlink()
    stats = RunStats(method=method, out=str(out), rejects=str(rej),
                     resumed=sum(1 for r in done.values() if not is_reject(r)))
    good, bad = JsonlAppender(out), JsonlAppender(rej)
    try:
        for rec in methods[method](client, n, seed, done=done, max_attempts=max_attempts, **opts):
            if is_reject(rec):
                bad.write(rec)
                stats.rejected += 1
                reason = str(rec["rejected"]).split(":")[0]
                stats.reasons[reason] = stats.reasons.get(reason, 0) + 1
            else:
                good.write(rec)
                stats.written += 1
            if progress is not None:
                progress(rec)
    finally:
        good.close()
        bad.close()
    return stats
