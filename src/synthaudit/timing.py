"""Time that belongs to no single metric: loading a model, computing features several metrics share.

``shared("loading sentence_embedder")`` times a section (wall and CPU seconds of this process) into the
current ledger; nested sections count once, in the outermost. The engine subtracts the shared time spent
inside a metric's call from that metric's clock, so the first metric to ask for a model is not charged for
loading it, and the report lists shared time on its own lines.
"""
from __future__ import annotations

import time
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Iterator

_ledger: ContextVar[dict[str, list[float]] | None] = ContextVar("synthaudit_shared_ledger", default=None)
_depth: ContextVar[int] = ContextVar("synthaudit_shared_depth", default=0)


@contextmanager
def ledger() -> Iterator[dict[str, list[float]]]:
    """A fresh ledger ``{label: [wall_s, cpu_s]}`` for the sections timed inside this block."""
    book: dict[str, list[float]] = {}
    token = _ledger.set(book)
    try:
        yield book
    finally:
        _ledger.reset(token)


def total(book: dict[str, list[float]] | None) -> tuple[float, float]:
    if not book:
        return 0.0, 0.0
    return sum(v[0] for v in book.values()), sum(v[1] for v in book.values())


@contextmanager
def shared(label: str) -> Iterator[None]:
    """Time a shared section into the current ledger (no-op outside one)."""
    book, depth = _ledger.get(), _depth.get()
    token = _depth.set(depth + 1)
    t0, c0 = time.perf_counter(), time.process_time()
    try:
        yield
    finally:
        _depth.reset(token)
        if book is not None and depth == 0:
            entry = book.setdefault(label, [0.0, 0.0])
            entry[0] += time.perf_counter() - t0
            entry[1] += time.process_time() - c0
