"""What every text generator shares (survey section 2.1; tutorial section 3.7, hands-on): record slots with
deterministic ids and seeds, batches sent through ``LLMClient.chat_many``, and rejects that carry a reason.

A run fills slots 0, 1, 2, ... until ``n`` records are accepted (or ``max_attempts`` slots are used). Slot
``i`` of method ``m`` and run seed ``s`` has the id ``m-s-i`` and derives its own seed from (m, s, i), so its
content does not depend on which other slots ran in this process: a resumed run (``done``: records and
final rejects already written, by id) produces exactly what an uninterrupted one would. Slots are filled
in batches of ``batch`` (a fixed size, not the concurrency, so the content does not depend on it).
"""
from __future__ import annotations

import hashlib
import random
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any, Callable, Iterator, Mapping, Sequence

import yaml

from synthaudit.models.llm import Completion, LLMClient

#: reject reasons that a resumed run tries again (the endpoint failed; nothing was learned about the slot)
RETRYABLE = ("llm_error",)


@lru_cache(maxsize=None)
def load_prompts(name: str) -> dict:
    """A versioned prompt file ``generate/prompts/NAME.yaml`` (its ``version`` goes into every record)."""
    text = resources.files("synthaudit.generate").joinpath("prompts", f"{name}.yaml").read_text("utf-8")
    return yaml.safe_load(text)


def record_id(method: str, seed: int, index: int) -> str:
    return f"{method}-{seed}-{index:05d}"


def slot_seed(method: str, seed: int, index: int) -> int:
    """A per-slot seed in [0, 2**31): stable across processes and Python versions (no ``hash()``)."""
    digest = hashlib.sha256(f"{method}\0{seed}\0{index}".encode()).digest()
    return int.from_bytes(digest[:4], "big") >> 1


@dataclass
class Slot:
    index: int
    id: str
    seed: int  # for the model calls of this slot
    rng: random.Random  # for the slot's own random choices (few-shot examples, operators, attributes)


def slot_loop(name: str, seed: int, n: int, batch: int, make_batch: Callable[[list[Slot]], list[dict]],
              done: Mapping[str, dict], max_attempts: int | None = None) -> Iterator[dict]:
    """The restartable slot loop of every LLM method: slots of ``batch`` deterministic ids and seeds, each batch
    turned into one final record per slot by ``make_batch`` (slots in ``done`` give back their stored record),
    until ``n`` are accepted or ``max_attempts`` (default 3n + 10) slots are used. Yields the new records and
    rejects in slot order; a resumed run therefore writes exactly what an uninterrupted one would."""
    limit = max_attempts if max_attempts is not None else 3 * n + 10
    accepted = index = 0
    while accepted < n and index < limit:
        size = min(batch, n - accepted, limit - index)
        slots = [Slot(i, record_id(name, seed, i), slot_seed(name, seed, i), random.Random(slot_seed(name, seed, i)))
                 for i in range(index, index + size)]
        for rec in make_batch(slots):
            if not is_reject(rec):
                accepted += 1
            if rec["id"] not in done:
                yield rec
        index += size


def is_reject(rec: Mapping[str, Any]) -> bool:
    return "rejected" in rec


def is_final(rec: Mapping[str, Any]) -> bool:
    """Accepted records and rejects other than endpoint failures are final: a resumed run skips them."""
    return not is_reject(rec) or str(rec["rejected"]).split(":")[0] not in RETRYABLE


def norm(text: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"[^\w\s]", " ", text.lower())).strip()


def clean_line(text: str, prefixes: Sequence[str] = ()) -> str:
    """The first non-empty line of a model's answer, without quotes or a leading label such as 'Task 9:'."""
    for line in text.strip().splitlines():
        line = line.strip()
        for p in prefixes:
            line = re.sub(p, "", line, flags=re.IGNORECASE).strip()
        line = line.strip().strip('"').strip()
        if line:
            return line
    return ""


class TextMethod:
    """Base of the four generators. Subclasses implement ``draft`` (the instruction of each new slot) and may
    override ``check`` (accept/reject an instruction, in slot order), ``respond`` and ``observe``."""

    name = "base"
    prompts = ""

    def __init__(self, client: LLMClient, seed: int = 0, *, max_tokens: int = 256, temperature: float = 0.7,
                 concurrency: int = 4, batch: int = 8, progress: Any = None) -> None:
        self.client, self.seed = client, int(seed)
        self.max_tokens, self.temperature = int(max_tokens), float(temperature)
        self.concurrency, self.batch = int(concurrency), max(1, int(batch))
        self.prompt_file = load_prompts(self.prompts) if self.prompts else {}
        self.seen: set[str] = set()  # normalised instructions already used (exact-duplicate elimination)

    # -- the steps a subclass fills in ------------------------------------------------------------------
    def draft(self, slots: list[Slot]) -> list[dict]:
        """One partial record per slot: at least ``instruction`` (or ``rejected``)."""
        raise NotImplementedError

    def check(self, rec: dict) -> str | None:
        """A reason to reject the drafted instruction, or None. Runs in slot order, after ``observe`` of
        every earlier slot, so it may compare with them."""
        if not rec["instruction"].strip():
            return "empty_instruction"
        if norm(rec["instruction"]) in self.seen:
            return "duplicate_instruction"
        return None

    def response_request(self, rec: dict) -> dict:
        return {"messages": [{"role": "user", "content": rec["instruction"]}]}

    def check_response(self, rec: dict) -> str | None:
        return None if rec["response"].strip() else "empty_response"

    def observe(self, rec: dict) -> None:
        """Update the state from a final record (accepted, or rejected after its instruction passed)."""
        if rec.get("instruction") and (not is_reject(rec) or rec.get("stage") == "response"):
            self.seen.add(norm(rec["instruction"]))

    # -- the shared machinery ---------------------------------------------------------------------------
    def calls(self, requests: list[dict], slots: list[Slot]) -> list[Completion]:
        reqs = [{"temperature": self.temperature, "max_tokens": self.max_tokens, "seed": s.seed, **r}
                for r, s in zip(requests, slots)]
        return self.client.chat_many(reqs, concurrency=self.concurrency)

    def base_record(self, slot: Slot) -> dict:
        return {"id": slot.id, "method": self.name, "index": slot.index, "seed": self.seed,
                "model": self.client.model, "prompt_version": self.prompt_file.get("version")}

    def run(self, n: int, done: Mapping[str, dict] | None = None, max_attempts: int | None = None) -> Iterator[dict]:
        """Yield the new records and rejects of slots not in ``done``, in slot order, until ``n`` accepted."""
        done = done or {}
        yield from slot_loop(self.name, self.seed, n, self.batch, lambda slots: self._batch(slots, done), done,
                             max_attempts)

    def _batch(self, slots: list[Slot], done: Mapping[str, dict]) -> list[dict]:
        todo = [s for s in slots if s.id not in done]
        drafts = dict(zip((s.id for s in todo), self.draft(todo))) if todo else {}
        out: list[dict] = []
        for slot in slots:  # in slot order: checks see every earlier slot
            if slot.id in done:
                rec = dict(done[slot.id])
            else:
                rec = {**self.base_record(slot), **drafts[slot.id]}
                if not is_reject(rec):
                    reason = self.check(rec)
                    if reason:
                        rec.update(rejected=reason, stage="instruction")
            if not is_reject(rec) or rec.get("stage") == "response":
                self.observe(rec)
            out.append(rec)
        answer = [r for r in out if r["id"] not in done and not is_reject(r)]
        by_id = {s.id: s for s in slots}
        for rec, comp in zip(answer, self.calls([self.response_request(r) for r in answer],
                                                [by_id[r["id"]] for r in answer])):
            if not comp.ok:
                rec.update(rejected=f"llm_error: {comp.error}", stage="response", response=None)
                continue
            rec["response"] = comp.text.strip()
            reason = self.check_response(rec)
            if reason:
                rec.update(rejected=reason, stage="response")
        return out


def draft_error(comp: Completion) -> dict | None:
    """A reject for a failed instruction call (None when the call succeeded)."""
    return None if comp.ok else {"rejected": f"llm_error: {comp.error}", "stage": "instruction"}
