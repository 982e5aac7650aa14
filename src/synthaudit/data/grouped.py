"""Whole records from a stream of row batches (issue #13, streaming everywhere).

In the long layouts -- a time series as one row per time step with a series id (tutorial section 3.5), an agent
episode as one row per step with an episode id (survey section 7) -- a batch of file rows may end inside a record.
:func:`group_batches` joins the rows of each group (the rows sharing an id) again: it carries the group the batch
ends in over to the next batch and yields batches of ``size`` whole groups (the last one fewer), so a streamed
table's rows can be whole records and the engine's batches, the global metrics' seeded sample and the metrics
all count records.

A group's rows must be contiguous in the file (sorted or grouped by the id): an id met again after its group
ended is one :class:`InputError` naming the file, the row and the id. Memory: ``size`` groups, one batch of rows
and the ids seen so far.
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from typing import Callable, Iterable, Iterator, Sequence

import numpy as np
import pandas as pd

from synthaudit.errors import InputError

#: ``keys(batch, first_row)``: the group id of every row of a batch as text (``first_row``: the batch's first row
#: in the file, 0-based, for the error of a row without an id)
KeyFunction = Callable[[pd.DataFrame, int], Sequence[str]]


@dataclass
class GroupBatch:
    """Rows of whole groups, contiguous in the file: ``rows`` (index 0..n-1), ``first_row`` (0-based row of the
    file of ``rows``' first row), ``keys`` (the group id of every row) and ``starts`` (where each group starts)."""

    rows: pd.DataFrame
    first_row: int
    keys: np.ndarray
    starts: np.ndarray

    def __len__(self) -> int:
        """The number of groups."""
        return len(self.starts)

    def bounds(self) -> list[tuple[int, int]]:
        """(start, stop) row positions of each group in ``rows``."""
        ends = [*self.starts[1:].tolist(), len(self.rows)]
        return list(zip(self.starts.tolist(), ends))


def group_batches(batches: Iterable[pd.DataFrame], keys: KeyFunction, *, size: int, label: str, field: str,
                  what: str = "group") -> Iterator[GroupBatch]:
    """Batches of ``size`` whole groups from ``batches`` of rows (``what``: what a group is, e.g. "series", for the
    error; ``field``: the id field; ``label``: the file). Rows are copied once, when their groups are complete."""
    if size < 1:
        raise ValueError(f"size must be at least 1, got {size}")
    parts: list[pd.DataFrame] = []
    part_keys: list[np.ndarray] = []
    starts: list[int] = []  # where each buffered group starts, as a position in the buffer
    held = 0  # rows buffered
    buf_row = 0  # file row of the buffer's first row
    last: str | None = None  # the id of the buffer's last row
    seen: dict[str, int] = {}  # id -> the file row its group starts at
    for batch in batches:
        n = len(batch)
        if n == 0:
            continue
        k = np.empty(n, dtype=object)
        k[:] = [str(x) for x in keys(batch, buf_row + held)]
        new = np.ones(n, dtype=bool)
        new[1:] = k[1:] != k[:-1]
        new[0] = k[0] != last
        for i in np.flatnonzero(new).tolist():
            key, row = k[i], buf_row + held + i
            if key in seen:
                raise InputError(f"{what} {key!r} comes back at row {row + 1}, apart from its rows from row "
                                 f"{seen[key] + 1} on: a streamed file must hold the rows of each {what} together",
                                 file=label, row=row + 1, field=field,
                                 hint=f"sort (or group) the file by {field!r} for --stream, or audit without --stream")
            seen[key] = row
            starts.append(held + i)
        parts.append(batch)
        part_keys.append(k)
        held += n
        last = k[-1]
        if len(starts) - 1 < size:  # the last group may go on in the next batch
            continue
        rows = pd.concat(parts, ignore_index=True) if len(parts) > 1 else batch.reset_index(drop=True)
        all_keys = np.concatenate(part_keys)
        at = 0
        while len(starts) - 1 >= size:
            cut = starts[size]
            yield GroupBatch(rows.iloc[at:cut].reset_index(drop=True), buf_row, all_keys[at:cut],
                             np.asarray(starts[:size]) - at)
            buf_row += cut - at
            starts, at = starts[size:], cut
        parts, part_keys = [rows.iloc[at:]], [all_keys[at:]]
        starts = [s - at for s in starts]
        held -= at
    if held:
        rows = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0].reset_index(drop=True)
        yield GroupBatch(rows, buf_row, np.concatenate(part_keys), np.asarray(starts))


@contextmanager
def rows_from(first_row: int) -> Iterator[None]:
    """Errors raised inside name file rows: an :class:`InputError` about row r of a batch whose first row is row
    ``first_row`` of the file (0-based) is raised again about row ``first_row + r``."""
    try:
        yield
    except InputError as exc:
        if exc.row is None or not first_row:
            raise
        raise type(exc)(exc.message, file=exc.file, row=exc.row + first_row, field=exc.field,
                        hint=exc.hint) from None


def id_keys(column: str, text: Callable[[object], str], what: str, label: str) -> KeyFunction:
    """A key function reading the ids of ``column`` as text (``text``); a missing id is an :class:`InputError`
    naming the file row."""
    def keys(batch: pd.DataFrame, first_row: int) -> list[str]:
        values = batch[column] if column in batch.columns else pd.Series([None] * len(batch))
        missing = values.isna().to_numpy()
        if missing.any():
            r = int(np.flatnonzero(missing)[0])
            raise InputError(f"has no {what} id", file=label, row=first_row + r + 1, field=column)
        return [text(v) for v in values.tolist()]

    return keys
