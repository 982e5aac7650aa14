"""Exact interning tables for the fast text path (survey section 2.2 lexical metrics and curation checks).

``ByteTable`` gives each distinct byte string (a token, a normalised text) a dense integer id; ``KeyTable``
does the same for int64 keys (an n-gram is interned as ``prefix_id << 32 | token_id``). Both are
open-addressing hash tables whose hits are confirmed by comparing the full key, so ids are exact: two
inputs share an id only when they are equal. Kernels are compiled with numba when it is installed (a
project dependency); without it the same functions run as plain Python (exact, much slower).

Kernels process records in order and return the index of the first record they could not take because
a table was full; the Python side grows the table and resumes there. Tables are filled to at most 3/4 of
their (power-of-two) slots: linear probing stays short and the slot arrays stay small enough for cache.
"""
from __future__ import annotations

import functools
from typing import Any, Callable

import numpy as np

try:  # pragma: no cover - import guard
    from synthaudit.stats.neighbors import numba_cache_dir

    numba_cache_dir()
    from numba import njit

    HAVE_NUMBA = True
except ImportError:  # pragma: no cover - the kernels then run as plain Python (exact, slow)
    HAVE_NUMBA = False

    def njit(*args: Any, **kwargs: Any) -> Callable:
        def plain(f: Callable) -> Callable:
            @functools.wraps(f)
            def run(*a: Any, **k: Any) -> Any:
                with np.errstate(over="ignore"):  # hashes wrap around 2**64 on purpose
                    return f(*a, **k)
            return run

        return plain(args[0]) if args and callable(args[0]) else plain

GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def slots_for(entries: int) -> int:
    """Power-of-two slot count holding ``entries`` at a load factor <= 3/4."""
    return 1 << max(4, int(entries + entries // 3).bit_length())


@njit(cache=True, inline="always")
def max_load(slots):  # pragma: no cover - compiled
    return slots.size - slots.size // 4
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
def head_word(src, s, e):  # pragma: no cover - compiled
    """The first min(8, e - s) bytes of ``src[s:e]`` as a little-endian uint64 (zero-padded)."""
    w = np.uint64(0)
    for q in range(min(8, e - s)):
        w |= np.uint64(src[s + q]) << np.uint64(8 * q)
    return w


@njit(cache=True, inline="always")
def word8(src, i):  # pragma: no cover - compiled
    """Bytes ``src[i:i+8]`` as a little-endian uint64 (a fixed-length loop the compiler unrolls)."""
    w = np.uint64(0)
    for q in range(8):
        w |= np.uint64(src[i + q]) << np.uint64(8 * q)
    return w


@njit(cache=True, inline="always")
def bytes_hash(src, s, e):  # pragma: no cover - compiled
    """64-bit content hash of ``src[s:e]``, identical in every process. For at most 8 bytes it is
    ``mix64(len * GOLDEN ^ head_word)``, which the tokeniser computes without a loop."""
    h = np.uint64(e - s) * GOLDEN
    i = s
    while e - i > 8:
        h = (h ^ word8(src, i)) * np.uint64(0xBF58476D1CE4E5B9)
        h ^= h >> np.uint64(31)
        i += 8
    return mix64(h ^ head_word(src, i, e))


_P1, _P2, _P3 = np.uint64(0x9E3779B185EBCA87), np.uint64(0xC2B2AE3D27D4EB4F), np.uint64(0x165667B19E3779F9)
_P4 = np.uint64(0x85EBCA77C2B2AE63)


@njit(cache=True, inline="always")
def rotl64(x, r):  # pragma: no cover - compiled
    """``x`` rotated left by ``r`` bits (0 < r < 64)."""
    return (x << np.uint64(r)) | (x >> np.uint64(64 - r))


@njit(cache=True, inline="always")
def bytes_hash_b(src, s, e):  # pragma: no cover - compiled
    """A second 64-bit content hash of ``src[s:e]``, computed unlike :func:`bytes_hash` (xxHash64's round and
    avalanche on 8-byte words, the zero-padded tail as one more word): the two together fingerprint a string
    in 128 bits (``stats.dedup``)."""
    h = np.uint64(e - s) * _P3 + _P4
    i = s
    while i < e:
        k = (word8(src, i) if e - i >= 8 else head_word(src, i, e)) * _P2
        h ^= rotl64(k, 31) * _P1
        h = rotl64(h, 27) * _P1 + _P4
        i += 8
    h ^= h >> np.uint64(33)
    h *= _P2
    h ^= h >> np.uint64(29)
    h *= _P3
    h ^= h >> np.uint64(32)
    return h


@njit(cache=True, inline="always")
def bt_find_or_add(h, word, src, s, e, slots, hashes, words, starts, lens, data, n, nbytes):  # pragma: no cover
    """Id of ``src[s:e]`` (hash ``h``, head word ``word``) in a ByteTable, added when new; returns
    (id, n, nbytes). Strings of at most 8 bytes are compared by (length, head word), longer ones byte by byte."""
    mask = np.uint64(slots.size - 1)
    slot = np.int64(h & mask)
    length = e - s
    while True:
        t = slots[slot]
        if t < 0:
            slots[slot] = n
            hashes[n] = h
            words[n] = word
            starts[n] = nbytes
            lens[n] = length
            data[nbytes:nbytes + length] = src[s:e]
            return n, n + 1, nbytes + length
        if words[t] == word and lens[t] == length:
            if length <= 8:
                return t, n, nbytes
            if hashes[t] == h:
                ts = starts[t]
                same = True
                for k in range(8, length):
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
def _intern_slices(src, starts, ends, i0, slots, hashes, words, tstarts, lens, data, n, nbytes,
                   out):  # pragma: no cover - compiled
    limit = max_load(slots)
    i = i0
    while i < starts.size:
        s, e = starts[i], ends[i]
        if n + 1 > limit or n + 1 > hashes.size or nbytes + e - s > data.size:
            break
        out[i], n, nbytes = bt_find_or_add(bytes_hash(src, s, e), head_word(src, s, e), src, s, e, slots, hashes,
                                           words, tstarts, lens, data, n, nbytes)
        i += 1
    return i, n, nbytes


@njit(cache=True)
def _intern_keys(keys_in, i0, slots, keys, n, out):  # pragma: no cover - compiled
    limit = max_load(slots)
    i = i0
    while i < keys_in.size and n + 1 <= limit and n + 1 <= keys.size:
        out[i], n = kt_find_or_add(keys_in[i], slots, keys, n)
        i += 1
    return i, n


def _grow(arr: np.ndarray, size: int) -> np.ndarray:
    """``arr`` with room for ``size`` items (at least doubled; the new tail is uninitialised)."""
    if arr.size >= size:
        return arr
    out = np.empty(max(size, 2 * arr.size), dtype=arr.dtype)
    out[:arr.size] = arr
    return out


class ByteTable:
    """Distinct byte strings with dense ids (0, 1, ... in order of first appearance)."""

    def __init__(self, capacity: int = 1 << 12) -> None:
        cap = slots_for(capacity)
        self.slots = np.full(cap, EMPTY, dtype=np.int32)
        self.hashes = np.zeros(capacity, dtype=np.uint64)
        self.words = np.zeros(capacity, dtype=np.uint64)
        self.starts = np.zeros(capacity, dtype=np.int64)
        self.lens = np.zeros(capacity, dtype=np.int64)
        self.data = np.zeros(16 * capacity, dtype=np.uint8)
        self.n = 0
        self.nbytes = 0

    def __len__(self) -> int:
        return self.n

    def reserve(self, entries: int, nbytes: int) -> None:
        """Room for ``entries`` more strings of ``nbytes`` bytes in all."""
        need = self.n + entries
        if slots_for(need) > self.slots.size:
            self.slots = np.full(slots_for(need), EMPTY, dtype=np.int32)
            _rehash_bytes(self.slots, self.hashes, self.n)
        self.hashes, self.words, self.starts, self.lens = (_grow(a, need) for a in (self.hashes, self.words,
                                                                                    self.starts, self.lens))
        self.data = _grow(self.data, self.nbytes + nbytes)

    def intern(self, src: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
        """Ids of the byte strings ``src[starts[i]:ends[i]]``."""
        out = np.empty(starts.size, dtype=np.int64)
        i = 0
        while i < starts.size:
            i, self.n, self.nbytes = _intern_slices(src, starts, ends, i, self.slots, self.hashes, self.words,
                                                    self.starts, self.lens, self.data, self.n, self.nbytes, out)
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
        self.slots = np.full(slots_for(capacity), EMPTY, dtype=np.int32)
        self.keys = np.zeros(capacity, dtype=np.int64)
        self.n = 0
        self.recent = 0  # entries added by the last pass (a sizing hint for the next one)

    def __len__(self) -> int:
        return self.n

    def reserve(self, entries: int) -> None:
        need = self.n + entries
        if slots_for(need) > self.slots.size:
            self.slots = np.full(slots_for(need), EMPTY, dtype=np.int32)
            _rehash_keys(self.slots, self.keys, self.n)
        self.keys = _grow(self.keys, need)

    def intern(self, keys: np.ndarray) -> np.ndarray:
        keys = np.ascontiguousarray(keys, dtype=np.int64)
        out = np.empty(keys.size, dtype=np.int64)
        i = 0
        while i < keys.size:
            i, self.n = _intern_keys(keys, i, self.slots, self.keys, self.n, out)
            if i < keys.size:
                self.reserve(max(self.n, 1))
        return out
