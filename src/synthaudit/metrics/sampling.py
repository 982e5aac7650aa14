"""Seeded content-hash sampling for the costly model-scored metrics (DESIGN.md: a metric may run on a
documented, seeded sample whose size the result records).

A record is kept when the seeded hash of its content falls under a rate fixed before the data stream:
the sample does not depend on record order, and shards that sample independently merge exactly.
"""
from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any, Sequence

if TYPE_CHECKING:
    from synthaudit.data.inputs import AuditInputs


def stable_hash(*parts: Any) -> int:
    """A seeded, order-independent 64-bit hash (sampling and splits that merge across shards)."""
    h = hashlib.blake2b("\x1f".join(map(str, parts)).encode("utf-8"), digest_size=8)
    return int.from_bytes(h.digest(), "big")


#: code-only parameter of the metrics that run a model per sentence, text or dialogue: how many records
#: they score at most (0 = all). A seeded content-hash sample: independent of record order, mergeable.
def sample_param(default: int) -> dict[str, Any]:
    return {"max_records": {"default": default, "note": "code default: this model-scored metric runs on a seeded "
                            "content-hash sample of about this many records (0 = every record)"}}


class Sampler:
    """Keeps a record when the seeded hash of its text falls under ``rate`` (rate 1: every record)."""

    def __init__(self, inputs: "AuditInputs", max_records: int, role: str = "synthetic") -> None:
        table = inputs.tables.get(role)
        total = table.count_rows() if table is not None else None  # a streamed file is counted, not loaded
        self.rate = 1.0 if not max_records or total is None or total <= max_records else max_records / total
        self.seed, self.total, self.max_records = inputs.seed, total, max_records
        self.kept = self.skipped = 0

    def keep(self, docs: Sequence[str | None]) -> list[bool]:
        if self.rate >= 1.0:
            out = [True] * len(docs)
        else:
            out = [stable_hash(self.seed, "sample", d) < self.rate * 2.0 ** 64 for d in docs]
        self.kept += sum(out)
        self.skipped += len(out) - sum(out)
        return out

    def __add__(self, other: "Sampler") -> "Sampler":
        """The sampler of two merged shards (same rate): counts add up."""
        out = object.__new__(Sampler)
        out.__dict__.update(self.__dict__)
        out.kept, out.skipped = self.kept + other.kept, self.skipped + other.skipped
        return out

    def note(self) -> str | None:
        if self.rate >= 1.0:
            return None
        return (f"scored a seeded content-hash sample of {self.kept} of {self.kept + self.skipped} records "
                f"(rate {self.rate:.4f}, about max_records={self.max_records}); other records have no score")
