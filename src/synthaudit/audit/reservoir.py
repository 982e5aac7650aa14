"""A seeded, mergeable sample of rows for the global metrics of a streamed audit (issue #13, DESIGN.md
'metric contract': a global metric may run on a documented, seeded sample whose size the result records).

Bottom-k sampling: every row gets the key ``splitmix64(seed, role, row index)`` and the sample is the ``k`` rows
with the smallest keys -- a uniform sample without replacement, the same whatever the batch or shard boundaries
(the key depends only on the row's position), and two shards' samples merge exactly (keep the k smallest of
both). Memory holds at most ``k`` rows plus one batch.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from synthaudit.stats.hashing import splitmix64

if TYPE_CHECKING:
    import pandas as pd

#: default number of rows per table that the global metrics of a streamed audit see (``--sample-size``)
DEFAULT_SAMPLE_SIZE = 100_000


def _salt(seed: int, label: str) -> np.uint64:
    digest = hashlib.blake2b(f"{seed}\x1f{label}".encode("utf-8"), digest_size=8).digest()
    return np.uint64(int.from_bytes(digest, "big"))


@dataclass
class Reservoir:
    """The k rows with the smallest seeded keys among the rows seen so far."""

    k: int
    seed: int
    label: str
    n_seen: int = 0
    _keys: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.uint64), repr=False)
    _rows: "pd.DataFrame | None" = field(default=None, repr=False)

    def keys(self, offset: int, n: int) -> np.ndarray:
        index = np.arange(offset, offset + n, dtype=np.uint64)
        return splitmix64(index ^ _salt(self.seed, self.label))

    def add(self, batch: "pd.DataFrame", offset: int | None = None) -> None:
        """Offer a batch whose first row is row ``offset`` of the table (default: right after the rows seen)."""
        import pandas as pd

        offset = self.n_seen if offset is None else offset
        n = len(batch)
        self.n_seen = max(self.n_seen, offset + n)
        if n == 0 or self.k <= 0:
            return
        keys = self.keys(offset, n)
        frame = batch.reset_index(drop=True).assign(__row__=np.arange(offset, offset + n, dtype=np.int64))
        if self._rows is None:
            all_keys, rows = keys, frame
        else:
            all_keys = np.concatenate([self._keys, keys])
            rows = pd.concat([self._rows, frame], ignore_index=True)
        if len(all_keys) > self.k:
            keep = np.argpartition(all_keys, self.k - 1)[:self.k]
            all_keys, rows = all_keys[keep], rows.iloc[keep].reset_index(drop=True)
        self._keys, self._rows = all_keys, rows

    @property
    def sampled(self) -> bool:
        """Whether the sample left rows out (more rows seen than k)."""
        return self.n_seen > self.k

    def frame(self) -> "pd.DataFrame":
        """The sample in table order (the rows' original positions), without the key column."""
        import pandas as pd

        if self._rows is None:
            return pd.DataFrame()
        rows = self._rows.sort_values("__row__", kind="stable")
        return rows.drop(columns="__row__").reset_index(drop=True)

    def positions(self) -> np.ndarray:
        """The original row positions of the sample, ascending."""
        return np.sort(self._rows["__row__"].to_numpy()) if self._rows is not None else np.empty(0, np.int64)

    def note(self) -> dict:
        return {"rows": int(min(self.k, self.n_seen)), "of": int(self.n_seen), "seed": int(self.seed),
                "method": "seeded bottom-k sample by row position"}
