"""An append-only store of texts read back by record index, spilled to a temporary file past a memory budget.

The near-duplicate check (survey section 2.2, a curation step of section 2.1) verifies LSH candidate pairs on
their exact shingle sets, so it needs the text of any record that turns out to be a candidate, which is known
only once every record has been seen. Keeping every text in memory made its state grow by the corpus size
(issue #13); this store keeps 9 bytes per record in memory (an end offset and a missing flag) and the UTF-8
bytes beyond ``memory_bytes`` in an anonymous temporary file, deleted when the store is. Pickling (a shard's
state between processes) carries the bytes themselves, never a file name: a state read back elsewhere is
whole and in memory.
"""
from __future__ import annotations

import os
import tempfile
from typing import Any, Iterable, Sequence

import numpy as np

MEMORY_BYTES = 64 << 20  # text bytes kept in memory before the store spills to disk


class TextStore:
    """Texts (``str`` or None) by index: ``extend`` appends, ``get`` reads back, ``len`` counts."""

    def __init__(self, memory_bytes: int | None = None) -> None:
        self.memory_bytes = int(MEMORY_BYTES if memory_bytes is None else memory_bytes)
        self._ends = np.zeros(0, dtype=np.int64)  # end offset of each text in the concatenated bytes
        self._missing = np.zeros(0, dtype=bool)
        self._n = 0
        self._tail = bytearray()  # bytes after the spilled part
        self._spilled = 0  # bytes in the file
        self._file: Any = None

    def __len__(self) -> int:
        return self._n

    @property
    def spilled_bytes(self) -> int:
        return self._spilled

    def extend(self, texts: Iterable[str | None]) -> None:
        texts = list(texts)
        encoded = [b"" if t is None else t.encode("utf-8", "surrogatepass") for t in texts]
        self._append(b"".join(encoded), np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded)),
                     np.fromiter((t is None for t in texts), dtype=bool, count=len(texts)))

    def _append(self, data: bytes, lengths: np.ndarray, missing: np.ndarray) -> None:
        base = int(self._ends[self._n - 1]) if self._n else 0
        need = self._n + lengths.size
        if need > self._ends.size:
            grow = max(need, 2 * self._ends.size)
            self._ends = np.resize(self._ends, grow)
            self._missing = np.resize(self._missing, grow)
        self._ends[self._n:need] = base + np.cumsum(lengths)
        self._missing[self._n:need] = missing
        self._n = need
        self._tail += data
        if len(self._tail) > self.memory_bytes:
            self._spill()

    def _spill(self) -> None:
        if self._file is None:
            self._file = tempfile.TemporaryFile(prefix="synthaudit-texts-")  # no name: removed when closed
        self._file.seek(0, os.SEEK_END)
        self._file.write(self._tail)
        self._file.flush()
        self._spilled += len(self._tail)
        self._tail = bytearray()

    def _bytes(self, start: int, end: int) -> bytes:
        if start >= self._spilled:
            return bytes(self._tail[start - self._spilled:end - self._spilled])
        return os.pread(self._file.fileno(), end - start, start)

    def get(self, indices: Sequence[int]) -> list[str | None]:
        """The texts at ``indices`` (in that order)."""
        out: list[str | None] = []
        for i in indices:
            i = int(i)
            if not 0 <= i < self._n:
                raise IndexError(f"text {i} of {self._n}")
            if self._missing[i]:
                out.append(None)
                continue
            start = int(self._ends[i - 1]) if i else 0
            out.append(self._bytes(start, int(self._ends[i])).decode("utf-8", "surrogatepass"))
        return out

    def merge(self, other: "TextStore") -> "TextStore":
        """This store with ``other``'s texts appended after its own (``other`` is left as it was)."""
        if other._n:
            lengths = np.diff(np.r_[0, other._ends[:other._n]])
            self._append(other._all_bytes(), lengths, other._missing[:other._n].copy())
        return self

    def _all_bytes(self) -> bytes:
        return (self._bytes(0, self._spilled) if self._spilled else b"") + bytes(self._tail)

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def __del__(self) -> None:  # pragma: no cover - garbage collection
        try:
            self.close()
        except Exception:
            pass

    def __getstate__(self) -> dict[str, Any]:
        return {"memory_bytes": self.memory_bytes, "ends": self._ends[:self._n].copy(),
                "missing": self._missing[:self._n].copy(), "data": self._all_bytes()}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["memory_bytes"])
        lengths = np.diff(np.r_[0, state["ends"]]).astype(np.int64)
        self._append(state["data"], lengths, np.asarray(state["missing"], dtype=bool))
