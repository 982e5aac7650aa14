"""Exact interning tables for the fast text path (survey section 2.2 lexical metrics and curation checks).

``ByteTable`` gives each distinct byte string (a token, a normalised text) a dense integer id; ``KeyTable``
does the same for int64 keys (an n-gram is interned as ``prefix_id << 32 | token_id``). Both are
open-addressing hash tables whose hits are confirmed by comparing the full key, so ids are exact: two
inputs share an id only when they are equal. Kernels are compiled with numba when it is installed (a
project dependency); without it the same functions run as plain Python (exact, much slower).

Kernels process records in order and return the index of the first record they could not take because
a table was full; the Python side grows the table and resumes there.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

try:  # pragma: no cover - import guard
    from numba import njit

    HAVE_NUMBA = True
except ImportError:  # pragma: no cover
    HAVE_NUMBA = False

    def njit(*args: Any, **kwargs: Any) -> Callable:
        if args and callable(args[0]):
            return args[0]
        return lambda f: f

FNV_OFFSET = np.uint64(0xCBF29CE484222325)
FNV_PRIME = np.uint64(0x100000001B3)
EMPTY = np.int32(-1)


@njit(cache=True, inline="always")
def mix64(h):  # pragma: no cover - compiled
    """The murmur3 64-bit finaliser: spreads every input bit over the output."""
    h ^= h >> np.uint64(33)
    h *= np.uint64(0xFF51AFD7ED558CCD)
    h ^= h >> np.uint64(33)
    h *= np.uint64(0xC4CEB9FE1A85EC53)
    h ^= h >> np.uint64(33)
    return h


@njit(cache=True, inline="always")
def bytes_hash(src, s, e):  # pragma: no cover - compiled
    """FNV-1a over ``src[s:e]``, finalised: a content hash, identical in every process."""
    h = FNV_OFFSET
    for k in range(s, e):
        h = (h ^ np.uint64(src[k])) * FNV_PRIME
    return mix64(h)


@njit(cache=True, inline="always")
def bt_find_or_add(h, src, s, e, slots, hashes, starts, lens, data, n, nbytes):  # pragma: no cover
    """Id of ``src[s:e]`` in a ByteTable (added when new); returns (id, n, nbytes)."""
    mask = np.uint64(slots.size - 1)
    slot = np.int64(h & mask)
    length = e - s
    while True:
        t = slots[slot]
        if t < 0:
            slots[slot] = n
            hashes[n] = h
            starts[n] = nbytes
            lens[n] = length
            data[nbytes:nbytes + length] = src[s:e]
            return n, n + 1, nbytes + length
        if hashes[t] == h and lens[t] == length:
            ts = starts[t]
            same = True
            for k in range(length):
                if data[ts + k] != src[s + k]:
                    same = False
                    break
            if same:
                return t, n, nbytes
        slot = np.int64((np.uint64(slot) + np.uint64(1)) & mask)


@njit(cache=True, inline="always")
def kt_find_or_add(key, slots, keys, n):  # pragma: no cover - compiled
    """Id of an int64 key in a KeyTable (added when new); returns (id, n)."""
    mask = np.uint64(slots.size - 1)
    slot = np.int64(mix64(np.uint64(key)) & mask)
    while True:
        t = slots[slot]
        if t < 0:
            slots[slot] = n
            keys[n] = key
            return n, n + 1
        if keys[t] == key:
            return t, n
        slot = np.int64((np.uint64(slot) + np.uint64(1)) & mask)


@njit(cache=True)
def _rehash_bytes(slots, hashes, n):  # pragma: no cover - compiled
    mask = np.uint64(slots.size - 1)
    for t in range(n):
        slot = np.int64(hashes[t] & mask)
        while slots[slot] >= 0:
            slot = np.int64((np.uint64(slot) + np.uint64(1)) & mask)
        slots[slot] = t


@njit(cache=True)
def _rehash_keys(slots, keys, n):  # pragma: no cover - compiled
    mask = np.uint64(slots.size - 1)
    for t in range(n):
        slot = np.int64(mix64(np.uint64(keys[t])) & mask)
        while slots[slot] >= 0:
            slot = np.int64((np.uint64(slot) + np.uint64(1)) & mask)
        slots[slot] = t


@njit(cache=True)
def _intern_slices(src, starts, ends, i0, slots, hashes, tstarts, lens, data, n, nbytes, out):  # pragma: no cover
    max_load = slots.size // 2
    i = i0
    while i < starts.size:
        length = ends[i] - starts[i]
        if n + 1 > max_load or n + 1 > hashes.size or nbytes + length > data.size:
            break
        h = bytes_hash(src, starts[i], ends[i])
        out[i], n, nbytes = bt_find_or_add(h, src, starts[i], ends[i], slots, hashes, tstarts, lens, data, n, nbytes)
        i += 1
    return i, n, nbytes


@njit(cache=True)
def _intern_keys(keys_in, i0, slots, keys, n, out):  # pragma: no cover - compiled
    max_load = slots.size // 2
    i = i0
    while i < keys_in.size and n + 1 <= max_load and n + 1 <= keys.size:
        out[i], n = kt_find_or_add(keys_in[i], slots, keys, n)
        i += 1
    return i, n


def _grow(arr: np.ndarray, size: int) -> np.ndarray:
    if arr.size >= size:
        return arr
    out = np.zeros(max(size, 2 * arr.size), dtype=arr.dtype)
    out[:arr.size] = arr
    return out


class ByteTable:
    """Distinct byte strings with dense ids (0, 1, ... in order of first appearance)."""

    def __init__(self, capacity: int = 1 << 12) -> None:
        cap = 1 << max(4, int(capacity - 1).bit_length())
        self.slots = np.full(cap, EMPTY, dtype=np.int32)
        self.hashes = np.zeros(cap // 2, dtype=np.uint64)
        self.starts = np.zeros(cap // 2, dtype=np.int64)
        self.lens = np.zeros(cap // 2, dtype=np.int64)
        self.data = np.zeros(16 * cap, dtype=np.uint8)
        self.n = 0
        self.nbytes = 0

    def __len__(self) -> int:
        return self.n

    def reserve(self, entries: int, nbytes: int) -> None:
        """Room for ``entries`` more strings of ``nbytes`` bytes in all (load factor <= 1/2)."""
        need = self.n + entries
        if 2 * need > self.slots.size:
            cap = 1 << int(2 * need - 1).bit_length()
            self.slots = np.full(cap, EMPTY, dtype=np.int32)
            _rehash_bytes(self.slots, self.hashes, self.n)
        half = self.slots.size // 2
        self.hashes, self.starts, self.lens = (_grow(a, half) for a in (self.hashes, self.starts, self.lens))
        self.data = _grow(self.data, self.nbytes + nbytes)

    def intern(self, src: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
        """Ids of the byte strings ``src[starts[i]:ends[i]]``."""
        out = np.empty(starts.size, dtype=np.int64)
        i = 0
        while i < starts.size:
            i, self.n, self.nbytes = _intern_slices(src, starts, ends, i, self.slots, self.hashes, self.starts,
                                                    self.lens, self.data, self.n, self.nbytes, out)
            if i < starts.size:
                self.reserve(max(1, self.n), int(ends[i] - starts[i]) + self.nbytes)
        return out

    def get(self, i: int) -> bytes:
        s = int(self.starts[i])
        return self.data[s:s + int(self.lens[i])].tobytes()

    def entries(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(data, starts, ends) of every entry, for interning them into another table."""
        starts = self.starts[:self.n]
        return self.data, starts, starts + self.lens[:self.n]


class KeyTable:
    """Distinct int64 keys with dense ids (0, 1, ... in order of first appearance)."""

    def __init__(self, capacity: int = 1 << 12) -> None:
        cap = 1 << max(4, int(capacity - 1).bit_length())
        self.slots = np.full(cap, EMPTY, dtype=np.int32)
        self.keys = np.zeros(cap // 2, dtype=np.int64)
        self.n = 0

    def __len__(self) -> int:
        return self.n

    def reserve(self, entries: int) -> None:
        need = self.n + entries
        if 2 * need > self.slots.size:
            cap = 1 << int(2 * need - 1).bit_length()
            self.slots = np.full(cap, EMPTY, dtype=np.int32)
            _rehash_keys(self.slots, self.keys, self.n)
        self.keys = _grow(self.keys, self.slots.size // 2)

    def intern(self, keys: np.ndarray) -> np.ndarray:
        keys = np.ascontiguousarray(keys, dtype=np.int64)
        out = np.empty(keys.size, dtype=np.int64)
        i = 0
        while i < keys.size:
            i, self.n = _intern_keys(keys, i, self.slots, self.keys, self.n, out)
            if i < keys.size:
                self.reserve(max(self.n, 1))
        return out
