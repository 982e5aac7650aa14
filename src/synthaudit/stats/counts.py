"""Mergeable category counts (section 4.2: TVD, chi-squared, contingency and trivariate scores), the joint counts
of column pairs and triples as arrays (CodedCounts), and the total variation distance between frequency tables."""
from __future__ import annotations

import math
from collections import Counter
from typing import Any, Hashable, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

MISSING = "(missing)"  # label of the missing-value category in breakdowns


def count_values(values: pd.Series | Iterable[Any]) -> Counter:
    """Counts of each value, missing values counted under ``MISSING`` (fast path for Categoricals)."""
    s = values if isinstance(values, pd.Series) else pd.Series(list(values), dtype=object)
    if isinstance(s.dtype, pd.CategoricalDtype):
        cats = list(s.cat.categories)
        counts = np.bincount(s.cat.codes.to_numpy() + 1, minlength=len(cats) + 1)
        out = Counter({cats[i - 1] if i else MISSING: int(c) for i, c in enumerate(counts) if c})
        return out
    vc = s.astype(object).where(s.notna(), MISSING).value_counts(dropna=False, sort=False)
    return Counter(dict(zip(vc.index.tolist(), vc.to_numpy().tolist())))


def category_codes(s: pd.Series) -> tuple[np.ndarray, list]:
    """(codes with missing = 0, labels with MISSING first) for any Series (Categoricals without a row loop)."""
    if isinstance(s.dtype, pd.CategoricalDtype):
        return s.cat.codes.to_numpy().astype(np.int64) + 1, [MISSING, *s.cat.categories]
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    return codes.astype(np.int64) + 1, [MISSING, *uniques]


#: joint code spaces up to this size are counted with bincount (else np.unique on the joint codes): the same keys,
#: ascending, and counts
_DENSE_CELLS = 4_000_000


def coded_cells(codes: Sequence[np.ndarray], sizes: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    """(cells, counts) of the rows' code tuples: ``cells`` one row per distinct tuple (column j a code below
    ``sizes[j]``), in ascending (lexicographic) order, and how many rows have it; vectorised."""
    span = math.prod(sizes)
    if span >= 2**62:  # the joint code would overflow: sort the code rows themselves (the same order)
        cells, counts = np.unique(np.stack(codes, axis=1), axis=0, return_counts=True)
        return cells.astype(np.int64), counts.astype(np.int64)
    joint = np.asarray(codes[0], dtype=np.int64)
    for c, k in zip(codes[1:], sizes[1:]):
        joint = joint * k + c
    if span <= _DENSE_CELLS:
        counts = np.bincount(joint, minlength=span)
        keys = np.flatnonzero(counts)
        counts = counts[keys]
    else:
        keys, counts = np.unique(joint, return_counts=True)
    cells = np.stack(np.unravel_index(keys, tuple(sizes)), axis=1) if keys.size else np.empty((0, len(sizes)))
    return cells.astype(np.int64), counts.astype(np.int64)


def count_tuples(*columns: pd.Series) -> Counter:
    """Counts of each tuple of values of ``columns`` (aligned Series), missing values counted under ``MISSING``;
    keys in ascending order of the columns' ``category_codes``."""
    coded = [category_codes(s) for s in columns]
    cells, counts = coded_cells([c for c, _ in coded], [len(labels) for _, labels in coded])
    parts = [[labels[k] for k in cells[:, j].tolist()] for j, (_, labels) in enumerate(coded)]
    return Counter(dict(zip(zip(*parts), counts.tolist())))


def count_pairs(a: pd.Series, b: pd.Series) -> Counter:
    """Counts of each (a, b) value pair, missing values counted under ``MISSING``; vectorised on codes."""
    return count_tuples(a, b)


class CodedCounts:
    """Counts of value tuples in several tables of the same width (column pairs, column triples): the mergeable
    state of the contingency and trivariate scores (section 4.2) as arrays, so that shard states merge without a
    Python loop over cells (issue #13).

    Each column has a vocabulary (its labels in the order first met; a code is a position in it); a cell is a row
    of ``keys`` (table index, then one code per column of the table) with its count in ``counts``. Cells are kept
    in the order first counted, which is the key order of the Counters this replaces (``counters``): a batch adds
    its new cells table by table in ascending order of the batch's own codes (``count_tuples``), a merge adds the
    other state's new cells in that state's order. Labels are matched as dict keys, as Counter keys are."""

    def __init__(self, tables: Iterable[tuple[str, ...]]) -> None:
        self.tables = [tuple(t) for t in tables]
        widths = {len(t) for t in self.tables}
        if len(widths) > 1:
            raise ValueError(f"tables of different widths: {sorted(widths)}")
        self.width = widths.pop() if widths else 0
        self.columns = list(dict.fromkeys(c for t in self.tables for c in t))
        self._vocab: dict[str, dict[Any, int]] = {c: {} for c in self.columns}
        self.keys = np.empty((0, 1 + self.width), dtype=np.int64)
        self.counts = np.empty(0, dtype=np.int64)
        self._layout()

    def _layout(self) -> None:
        position = {c: i for i, c in enumerate(self.columns)}
        self._table_columns = np.array([[position[c] for c in t] for t in self.tables], dtype=np.int64).reshape(
            len(self.tables), self.width)

    # -- pickling: compact arrays, vocabularies as label lists --------------------------------------------------
    def __getstate__(self) -> dict:
        return {"tables": self.tables, "labels": [list(self._vocab[c]) for c in self.columns],
                "keys": _compact(self.keys), "counts": _compact(self.counts)}

    def __setstate__(self, state: dict) -> None:
        self.tables = state["tables"]
        self.width = len(self.tables[0]) if self.tables else 0
        self.columns = list(dict.fromkeys(c for t in self.tables for c in t))
        self._vocab = {c: {label: i for i, label in enumerate(labels)} for c, labels in zip(self.columns,
                                                                                          state["labels"])}
        self.keys = state["keys"].astype(np.int64).reshape(-1, 1 + self.width)
        self.counts = state["counts"].astype(np.int64)
        self._layout()

    # -- building ------------------------------------------------------------------------------------------------
    def _encode(self, column: str, labels: Iterable[Any]) -> np.ndarray:
        """This state's codes of ``labels`` in ``column``; labels not met before extend the vocabulary."""
        vocab = self._vocab[column]
        return np.fromiter((vocab.setdefault(label, len(vocab)) for label in labels), dtype=np.int64)

    def update(self, coded: Mapping[str, tuple[np.ndarray, list]]) -> "CodedCounts":
        """Count a batch given as ``category_codes`` (codes, labels) of every column; in place."""
        maps = {c: self._encode(c, coded[c][1]) for c in self.columns}
        blocks, counts = [], []
        for t, table in enumerate(self.tables):
            cells, n = coded_cells([coded[c][0] for c in table], [len(coded[c][1]) for c in table])
            block = np.empty((len(n), 1 + self.width), dtype=np.int64)
            block[:, 0] = t
            for j, c in enumerate(table):
                block[:, 1 + j] = maps[c][cells[:, j]]
            blocks.append(block)
            counts.append(n)
        if blocks:
            self._add(np.concatenate(blocks), np.concatenate(counts))
        return self

    @classmethod
    def from_counters(cls, tables: Iterable[tuple[str, ...]], counters: Mapping[tuple[str, ...], Mapping]) \
            -> "CodedCounts":
        """The state holding ``counters`` (table -> Counter keyed by label tuples), cells in the Counters' order."""
        out = cls(tables)
        blocks, counts = [], []
        for t, table in enumerate(out.tables):
            counter = counters[table]
            block = np.empty((len(counter), 1 + out.width), dtype=np.int64)
            block[:, 0] = t
            for j, c in enumerate(table):
                block[:, 1 + j] = out._encode(c, (key[j] for key in counter))
            blocks.append(block)
            counts.append(np.fromiter(counter.values(), dtype=np.int64, count=len(counter)))
        if blocks:
            out._add(np.concatenate(blocks), np.concatenate(counts))
        return out

    def merge(self, other: "CodedCounts") -> "CodedCounts":
        """Add ``other``'s counts into this state (in place) and return it; its new cells come after ours."""
        if other.tables != self.tables:
            raise ValueError("cannot merge counts over different tables")
        if not other.counts.size:
            return self
        maps = [self._encode(c, other._vocab[c]) for c in self.columns]
        offsets = np.cumsum([0, *(len(m) for m in maps)])[:-1]
        flat = np.concatenate(maps)
        keys = other.keys.copy()
        for j in range(self.width):  # other's codes -> ours, column by column of every cell
            keys[:, 1 + j] = flat[offsets[self._table_columns[keys[:, 0], j]] + keys[:, 1 + j]]
        self._add(keys, other.counts)
        return self

    def _add(self, keys: np.ndarray, counts: np.ndarray) -> None:
        """Add cells given in this state's codes (duplicates allowed): known cells add up, new ones are appended
        in the order first given."""
        n0 = len(self.counts)
        sizes = [max(len(self.tables), 1), *[max([1, *map(len, self._vocab.values())])] * self.width]
        ids = _row_ids(np.concatenate([self.keys, keys]), sizes)
        codes, uniques = pd.factorize(ids)  # our cells are distinct and come first: codes 0..n0-1
        codes = codes[n0:]
        total = np.zeros(len(uniques), dtype=np.int64)
        total[:n0] = self.counts
        np.add.at(total, codes, counts)
        fresh = codes >= n0
        if fresh.any():
            new, rows = codes[fresh], keys[fresh]
            if new.size != len(uniques) - n0:  # a new cell given twice: keep its first row
                rows = rows[np.unique(new, return_index=True)[1]]
            self.keys = np.concatenate([self.keys, rows])
        self.counts = total

    # -- reading -------------------------------------------------------------------------------------------------
    def counters(self) -> dict[tuple[str, ...], Counter]:
        """Per table, the Counter keyed by label tuples, keys in the order first counted."""
        order = np.argsort(self.keys[:, 0], kind="stable")
        keys, counts = self.keys[order], self.counts[order].tolist()
        bounds = np.searchsorted(keys[:, 0], np.arange(len(self.tables) + 1)).tolist()
        labels = {c: list(self._vocab[c]) for c in self.columns}
        out = {}
        for t, table in enumerate(self.tables):
            lo, hi = bounds[t], bounds[t + 1]
            parts = [[labels[c][k] for k in keys[lo:hi, 1 + j].tolist()] for j, c in enumerate(table)]
            out[table] = Counter(dict(zip(zip(*parts), counts[lo:hi])))
        return out


def as_counters(state: "CodedCounts | Mapping[tuple[str, ...], Counter]") -> Mapping[tuple[str, ...], Counter]:
    """Per table, the Counter of ``state``: a CodedCounts, or Counters already (real counts from statistics)."""
    return state.counters() if isinstance(state, CodedCounts) else state


def merge_counts(a: dict, b: dict, keys: str, roles: Iterable[str]) -> dict:
    """Merge two states holding one CodedCounts per role over the tables ``a[keys]`` (column pairs, triples):
    ``b``'s counts are added into ``a``'s in place (``a`` is the running state a shard is merged into once) and
    ``a`` is returned. A state written before CodedCounts (Counters per table, from a checkpoint) is read too."""
    for role in roles:
        theirs = b[role]
        if not isinstance(theirs, CodedCounts):
            theirs = CodedCounts.from_counters(a[keys], theirs)
        a[role].merge(theirs)
    return a


def _row_ids(keys: np.ndarray, sizes: Sequence[int]) -> np.ndarray:
    """One int64 per row of ``keys`` (column j below ``sizes[j]``), equal exactly when the rows are equal."""
    ids = keys[:, 0].copy()
    span = sizes[0]
    for j in range(1, keys.shape[1]):
        if span * sizes[j] >= 2**62:  # would overflow: renumber the rows so far (equality is all that counts)
            ids = pd.factorize(ids)[0].astype(np.int64)
            span = int(ids.max()) + 1 if ids.size else 1
        ids = ids * sizes[j] + keys[:, j]
        span *= sizes[j]
    return ids


def _compact(a: np.ndarray) -> np.ndarray:
    """``a`` (non-negative integers) in the smallest unsigned dtype that holds it: small pickles."""
    return a.astype(np.min_scalar_type(int(a.max()) if a.size else 0))


def frequencies(counts: Counter, keys: Iterable[Hashable]) -> np.ndarray:
    total = sum(counts.values())
    arr = np.array([counts.get(k, 0) for k in keys], dtype=float)
    return arr / total if total else arr


def tvd(real: Counter, synthetic: Counter) -> float:
    """0.5 * sum_w |R(w) - S(w)| over the union of categories (a missing category has frequency 0)."""
    keys = list(dict.fromkeys([*real.keys(), *synthetic.keys()]))
    return float(0.5 * np.abs(frequencies(real, keys) - frequencies(synthetic, keys)).sum())
