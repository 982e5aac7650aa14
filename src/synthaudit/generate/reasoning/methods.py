"""Verified reasoning generators for the restartable runner (survey section 3, "generation"; section 3.2,
verifiable data): ``tool_math`` (OpenMathInstruct style), ``code_tests`` (OpenCodeInstruct style) and
``dyval`` (DyVal graphs, offline). Each is ``generate(client, n, seed, *, done, max_attempts, **opts)`` and
yields records and rejects (a ``rejected`` reason) in slot order, like the text methods.

What the LLM methods share lives here too: the slot loop (deterministic ids and per-slot seeds, so a
resumed run writes exactly what an uninterrupted one would), seed-problem files and code-block parsing.
"""
from __future__ import annotations

import gzip
import re
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping

from synthaudit.data import files
from synthaudit.errors import InputError
from synthaudit.generate.text.base import Slot, norm, record_id, slot_loop
from synthaudit.models.llm import Completion, LLMClient

#: the shared reasoning data beside a source checkout (not shipped with the package: pass --seed-problems)
SHARED = Path(__file__).resolve().parents[5] / "shared" / "data" / "reasoning"

_FENCE = re.compile(r"```[ \t]*([A-Za-z0-9_+-]*)[ \t]*\n(.*?)(?:```|\Z)", re.DOTALL)


def load_rows(path: str | Path, required: tuple[tuple[str, ...], ...], option: str = "--seed-problems") -> list[dict]:
    """The rows of a JSON Lines file (``.jsonl`` or ``.jsonl.gz``). ``required``: for each entry, at least one
    of its field names must hold a string in every row (e.g. ``(("question", "problem"),)``)."""
    path = Path(path)
    if not path.is_file():
        raise InputError("seed problem file not found", file=str(path), field=option,
                         hint="pass a JSON Lines file (.jsonl or .jsonl.gz), one problem per line")
    opener = gzip.open if path.name.endswith(".gz") else open
    rows: list[dict] = []
    with opener(path, "rt", encoding="utf-8") as fh:
        for row, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                rec = files.loads_json(line)
            except files.JSONTextError as exc:
                raise files.json_error(path, exc, line=row) from None
            if not isinstance(rec, dict):
                raise InputError("is not a JSON object", file=str(path), row=row)
            for names in required:
                if not any(isinstance(rec.get(k), str) and rec[k].strip() for k in names):
                    raise InputError(f"has no non-empty string {' or '.join(repr(k) for k in names)}",
                                     file=str(path), row=row, field=names[0])
            rows.append(rec)
    if not rows:
        raise InputError("has no problems", file=str(path), field=option)
    return rows


def code_blocks(text: str) -> list[str]:
    """The fenced code blocks of a model answer, in order (a last block cut off by the token limit counts);
    blocks tagged with another language than Python (``output``, ``text``, ...) are left out."""
    return [m.group(2).strip("\n") for m in _FENCE.finditer(text or "")
            if m.group(1).lower() in ("", "python", "py", "python3") and m.group(2).strip()]


def first_of(rec: Mapping[str, Any], *names: str) -> Any:
    for name in names:
        if rec.get(name) not in (None, ""):
            return rec[name]
    return None


class ReasoningMethod:
    """The slot loop of the LLM methods: ``make(slots)`` returns one record (or reject) per new slot."""

    name = "base"
    prompt_version = "1"

    def __init__(self, client: LLMClient, seed: int = 0, *, max_tokens: int = 384, temperature: float = 0.7,
                 concurrency: int = 4, batch: int = 8, workers: int = 2) -> None:
        self.client, self.seed = client, int(seed)
        self.max_tokens, self.temperature = int(max_tokens), float(temperature)
        self.concurrency, self.batch, self.workers = int(concurrency), max(1, int(batch)), max(1, int(workers))
        self.seen: set[str] = set()  # normalised problems already generated (generate mode)

    def make(self, slots: list[Slot]) -> list[dict]:
        raise NotImplementedError

    def observe(self, rec: dict) -> None:
        """Note a final record of an earlier slot (also the ones a resumed run reads back)."""
        if rec.get("source") == "generated" and rec.get("question") and rec.get("stage") != "problem":
            self.seen.add(norm(rec["question"]))

    def claim(self, question: str) -> bool:
        """Note a newly generated problem; False when an equal one (normalised) was generated or seeded before."""
        key = norm(question)
        if key in self.seen:
            return False
        self.seen.add(key)
        return True

    def base_record(self, slot: Slot) -> dict:
        return {"id": slot.id, "method": self.name, "index": slot.index, "seed": self.seed,
                "model": getattr(self.client, "model", None), "prompt_version": self.prompt_version}

    def ask(self, prompts: list[str], slots: list[Slot], *, seed_offset: int = 0,
            max_tokens: int | None = None) -> list[Completion]:
        reqs = [{"messages": [{"role": "user", "content": p}], "temperature": self.temperature,
                 "max_tokens": max_tokens or self.max_tokens, "seed": s.seed + seed_offset}
                for p, s in zip(prompts, slots)]
        return self.client.chat_many(reqs, concurrency=self.concurrency) if reqs else []

    def run(self, n: int, done: Mapping[str, dict] | None = None, max_attempts: int | None = None) -> Iterator[dict]:
        """Yield the new records and rejects of slots not in ``done``, in slot order, until ``n`` accepted."""
        done = done or {}

        def batch(slots: list[Slot]) -> list[dict]:
            for slot in slots:
                if slot.id in done:
                    self.observe(done[slot.id])
            todo = [s for s in slots if s.id not in done]
            made = dict(zip((s.id for s in todo), self.make(todo))) if todo else {}
            return [done.get(s.id) or made[s.id] for s in slots]

        yield from slot_loop(self.name, self.seed, n, self.batch, batch, done, max_attempts)


# -- the METHODS mapping (modules imported on first use) ---------------------------------------------
def tool_math(client: LLMClient, n: int, seed: int = 0, **opts: Any) -> Iterator[dict]:
    """Math problems solved with Python, kept when the executed answer verifies (``tool_math.generate``)."""
    from synthaudit.generate.reasoning.tool_math import generate

    return generate(client, n, seed, **opts)


def code_tests(client: LLMClient, n: int, seed: int = 0, **opts: Any) -> Iterator[dict]:
    """Coding problems with LLM-written unit tests kept when the reference passes (``code_tests.generate``)."""
    from synthaudit.generate.reasoning.code_tests import generate

    return generate(client, n, seed, **opts)


def dyval(client: LLMClient | None, n: int, seed: int = 0, *, done: Mapping[str, dict] | None = None,
          max_attempts: int | None = None, kind: str = "arithmetic", depth: int = 3, width: int = 2,
          distractors: int = 0, **_: Any) -> Iterator[dict]:
    """DyVal items (Zhu et al., 2024; survey section 3.1) from random DAGs: no LLM, every answer computed, so
    it is also the ``gold`` answer. Ids are re-keyed to the runner's ``dyval-SEED-INDEX`` (the item's own id
    is kept as ``item_id``); resuming a file made with another kind, depth, width or distractors is refused."""
    from synthaudit.errors import UsageError
    from synthaudit.generate.reasoning.dyval import dyval_items

    done = done or {}
    want = {"kind": kind, "depth": depth, "width": width, "distractors": distractors}
    for rec in done.values():
        have = {k: (rec.get("meta") or {}).get(k) for k in want}
        if have != want:
            raise UsageError(f"holds DyVal items made with {have}, not {want}", field="--out",
                             hint="use the same --kind/--depth/--width/--distractors, another --out, or --no-resume")
    try:
        items = dyval_items(kind, n, depth=depth, width=width, distractors=distractors, seed=seed)
    except ValueError as exc:  # out-of-range kind/depth/width/distractors: the user's options
        raise UsageError(str(exc), field="--" + str(exc).split()[0]) from None
    for index, item in enumerate(items):
        rid = record_id("dyval", seed, index)
        if rid in done:
            continue
        rec = {**item, "id": rid, "method": "dyval", "index": index, "seed": seed, "model": None}
        rec.setdefault("gold", item.get("answer"))
        if "id" in item:
            rec["item_id"] = item["id"]
        yield rec


METHODS: dict[str, Callable[..., Iterator[dict]]] = {"tool_math": tool_math, "code_tests": code_tests,
                                                     "dyval": dyval}
