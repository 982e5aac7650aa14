"""Fast, exact batch tokenisation and n-gram ids for the lexical text metrics (survey section 2.2).

Tokens are exactly those of ``synthaudit.data.text.tokenize``: ``\\w+ | [^\\w\\s]`` with Python's Unicode
semantics, after ``str.lower()`` when the vocabulary case-folds. The character classes come from Python's
own ``re`` module (one table over every code point), so the compiled scanner agrees with the regex.

A :class:`Vocabulary` interns tokens (UTF-8 bytes -> dense id) and n-grams (``(n-1)-gram id, token id``
-> dense id), so every n-gram of any length has an exact integer id and count tables are dense arrays
that add up across batches. A :class:`TokenBatch` holds one batch's token ids and its n-gram ids and
counts, computed once and shared by every metric through :func:`batch_tokens` (the engine passes the
same DataFrame object to each metric's ``update``).
"""
from __future__ import annotations

import re
import weakref
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from synthaudit.stats.intern import (GOLDEN, ByteTable, KeyTable, bt_find_or_add, bytes_hash, head_word, kt_find_or_add,
                                     max_load, mix64, njit)

if TYPE_CHECKING:
    import pandas as pd

SPACE, WORD, PUNCT = 0, 1, 2
PADDING = bytes(8)


def _classes(chars: str) -> np.ndarray:
    table = np.full(len(chars), PUNCT, dtype=np.uint8)
    for m in re.finditer(r"\w+", chars):
        table[m.start():m.end()] = WORD
    for m in re.finditer(r"\s+", chars):
        table[m.start():m.end()] = SPACE
    return table


@lru_cache(maxsize=1)
def ascii_classes() -> np.ndarray:
    return _classes("".join(map(chr, range(128))))


@lru_cache(maxsize=1)
def unicode_classes() -> np.ndarray:
    """SPACE / WORD / PUNCT of every code point, as Python's ``re`` sees ``\\s`` and ``\\w``."""
    return _classes("".join(map(chr, range(0x110000))))


@njit(cache=True, inline="always")
def _decode(buf, i):  # pragma: no cover - compiled
    b = np.int64(buf[i])
    if b < 0x80:
        return b, 1
    if b < 0xE0:
        return ((b & 0x1F) << 6) | (np.int64(buf[i + 1]) & 0x3F), 2
    if b < 0xF0:
        return ((b & 0x0F) << 12) | ((np.int64(buf[i + 1]) & 0x3F) << 6) | (np.int64(buf[i + 2]) & 0x3F), 3
    return (((b & 0x07) << 18) | ((np.int64(buf[i + 1]) & 0x3F) << 12) | ((np.int64(buf[i + 2]) & 0x3F) << 6)
            | (np.int64(buf[i + 3]) & 0x3F)), 4


@njit(cache=True)
def _tokenize(buf, rec_off, cls, r0, i0, slots, hashes, words, starts, lens, data, kind, n, nbytes, ids, nids,
              tok_off):  # pragma: no cover - compiled
    """Scan UTF-8 ``buf`` (followed by >= 8 padding bytes) from record r0, byte i0, interning each token;
    returns (record, byte) where it stopped because a table or ``ids`` was full (or nrec when done)."""
    limit = max_load(slots)
    nrec = rec_off.size - 1
    r = r0
    i = i0
    while r < nrec:
        e0 = rec_off[r + 1]
        i = max(i, rec_off[r])
        while i < e0:
            b = buf[i]
            if b < 0x80:
                c = cls[b]
                w = 1
            else:
                cp, w = _decode(buf, i)
                c = cls[cp]
            if c == SPACE:
                i += w
                continue
            start = i
            i += w
            if c == WORD:
                while i < e0:
                    b = buf[i]
                    if b < 0x80:
                        if cls[b] != WORD:
                            break
                        i += 1
                    else:
                        cp, w = _decode(buf, i)
                        if cls[cp] != WORD:
                            break
                        i += w
            length = i - start
            if nids >= ids.size or n + 1 > limit or n + 1 > hashes.size or nbytes + length > data.size:
                return r, start, n, nbytes, nids
            if length <= 8:  # fast path: the (length, head word) pair is the token; the padding makes
                word = np.uint64(0)  # the 8-byte read safe
                for q in range(8):
                    word |= np.uint64(buf[start + q]) << np.uint64(8 * q)
                word &= np.uint64(0xFFFFFFFFFFFFFFFF) >> np.uint64(64 - 8 * length)
                h = mix64(np.uint64(length) * GOLDEN ^ word)  # == bytes_hash(buf, start, i)
                mask = np.uint64(slots.size - 1)
                slot = np.int64(h & mask)
                while True:
                    t = slots[slot]
                    if t < 0:  # new: bt_find_or_add walks the same probe sequence and inserts
                        t, n, nbytes = bt_find_or_add(h, word, buf, start, i, slots, hashes, words, starts, lens,
                                                      data, n, nbytes)
                        break
                    if words[t] == word and lens[t] == length:
                        break
                    slot = np.int64((np.uint64(slot) + np.uint64(1)) & mask)
            else:
                t, n, nbytes = bt_find_or_add(bytes_hash(buf, start, i), head_word(buf, start, i), buf, start, i,
                                              slots, hashes, words, starts, lens, data, n, nbytes)
            if kind[t] == 0:
                kind[t] = c
            ids[nids] = t
            nids += 1
        tok_off[r + 1] = nids
        r += 1
    return r, i, n, nbytes, nids


@njit(cache=True)
def _grams(prev, ids, offsets, n_len, r0, i0, slots, keys, nkeys, out, cnt):  # pragma: no cover - compiled
    """n-gram ids from (n-1)-gram ids: out[i] = id(prev[i], ids[i+n-1]) where the n-gram fits its record
    (-1 elsewhere), from record r0, position i0; returns where it stopped because the table was full."""
    limit = max_load(slots)
    nrec = offsets.size - 1
    r = r0
    i = i0
    while r < nrec:
        s0 = offsets[r]
        e0 = offsets[r + 1]
        last = max(s0, e0 - n_len + 1)  # positions s0..last-1 start an n-gram inside the record
        i = max(i, s0)
        while i < last:
            if nkeys + 1 > limit or nkeys + 1 > keys.size:
                return r, i, nkeys
            key = (np.int64(prev[i]) << 32) | np.int64(ids[i + n_len - 1])
            t, nkeys = kt_find_or_add(key, slots, keys, nkeys)
            out[i] = t
            cnt[t] += 1
            i += 1
        for q in range(last, e0):
            out[q] = -1
        r += 1
    return r, i, nkeys


@njit(cache=True)
def _distinct_per_record(g, offsets, n_len, size):  # pragma: no cover - compiled
    seen = np.full(size, -1, dtype=np.int64)
    nrec = offsets.size - 1
    out = np.zeros(nrec, dtype=np.int64)
    for r in range(nrec):
        for i in range(offsets[r], offsets[r + 1] - n_len + 1):
            t = g[i]
            if seen[t] != r:
                seen[t] = r
                out[r] += 1
    return out


def _grow(arr: np.ndarray, size: int, fill: Any = 0) -> np.ndarray:
    if arr.size >= size:
        return arr
    out = np.full(max(size, 2 * arr.size), fill, dtype=arr.dtype)
    out[:arr.size] = arr
    return out


class Vocabulary:
    """Exact ids of tokens and n-grams (append-only; shared by the metrics of one audit)."""

    def __init__(self, lowercase: bool = True) -> None:
        self.lowercase = lowercase
        self.tokens = ByteTable(1 << 14)
        self.kind = np.zeros(self.tokens.hashes.size, dtype=np.uint8)  # WORD or PUNCT per token id
        self.grams: dict[int, KeyTable] = {}

    def size(self, n: int) -> int:
        return len(self.tokens) if n == 1 else len(self.grams[n]) if n in self.grams else 0

    def table(self, n: int) -> KeyTable:
        if n < 2:
            raise ValueError(f"n-gram tables exist for n >= 2, got {n}")
        return self.grams.setdefault(n, KeyTable(1 << 16))

    def token(self, i: int) -> str:
        return self.tokens.get(i).decode("utf-8", "surrogatepass")

    def gram(self, n: int, i: int) -> tuple[str, ...]:
        """The tokens of n-gram ``i`` (for reports and tests)."""
        if n == 1:
            return (self.token(i),)
        key = int(self.grams[n].keys[i])
        return (*self.gram(n - 1, key >> 32), self.token(key & 0xFFFFFFFF))

    def token_hashes(self) -> np.ndarray:
        """Content hash (``intern.bytes_hash`` of the UTF-8 bytes) of every token: the same in every process."""
        return self.tokens.hashes[:len(self.tokens)]

    def is_word(self) -> np.ndarray:
        return self.kind[:len(self.tokens)] == WORD

    def import_ids(self, other: "Vocabulary", n_max: int) -> dict[int, np.ndarray]:
        """Maps from ``other``'s ids to this vocabulary's (interning what is new), for n = 1..n_max."""
        data, starts, ends = other.tokens.entries()
        maps = {1: self.tokens.intern(data, starts, ends)}
        self.kind = _grow(self.kind, self.tokens.hashes.size)
        self.kind[maps[1]] = other.kind[:len(other.tokens)]
        for n in range(2, n_max + 1):
            keys = other.grams[n].keys[:len(other.grams[n])] if n in other.grams else np.zeros(0, np.int64)
            new = (maps[n - 1][keys >> 32] << 32) | maps[1][keys & 0xFFFFFFFF]
            maps[n] = self.table(n).intern(new)
        return maps


class TokenBatch:
    """One batch's tokens (concatenated ids plus per-record offsets) with lazily computed n-gram ids/counts."""

    def __init__(self, vocab: Vocabulary, ids: np.ndarray, offsets: np.ndarray, missing: np.ndarray) -> None:
        self.vocab = vocab
        self.ids = ids
        self.offsets = offsets
        self.missing = missing
        self._grams: dict[int, np.ndarray] = {1: ids}
        self._counts: dict[int, np.ndarray] = {}
        self._distinct: dict[int, np.ndarray] = {}

    @property
    def n_records(self) -> int:
        return self.offsets.size - 1

    def lengths(self) -> np.ndarray:
        """Tokens per record (0 for a missing text)."""
        return np.diff(self.offsets)

    def ngram_totals(self, n: int) -> np.ndarray:
        """n-grams per record."""
        return np.maximum(self.lengths() - n + 1, 0)

    def grams(self, n: int) -> np.ndarray:
        """Position-aligned n-gram ids (-1 where the n-gram would run past its record's end)."""
        if n not in self._grams:
            prev = self.grams(n - 1)
            table = self.vocab.table(n)
            before = table.n
            table.reserve(table.recent)  # expect as many new n-grams as the previous batch brought
            out = np.empty(self.ids.size, dtype=np.int32)
            cnt = np.zeros(table.keys.size, dtype=np.int32)  # one batch's counts fit in int32
            r, i = 0, 0
            while r < self.n_records:
                r, i, table.n = _grams(prev, self.ids, self.offsets, n, r, i, table.slots, table.keys, table.n, out,
                                       cnt)
                if r < self.n_records:
                    table.reserve(max(3 * table.n, 1 << 12))  # grow 4x: restarts cost more than sparse slots
                    cnt = _grow(cnt, table.keys.size)
            table.recent = table.n - before
            self._grams[n] = out
            self._counts[n] = cnt[:table.n]
        return self._grams[n]

    def counts(self, n: int) -> np.ndarray:
        """Occurrences of each n-gram id in this batch (dense, indexed by id)."""
        if n == 1 and 1 not in self._counts:
            self._counts[1] = np.bincount(self.ids, minlength=self.vocab.size(1)).astype(np.int64)
        if n not in self._counts:
            self.grams(n)
        return self._counts[n]

    def distinct_per_record(self, n: int) -> np.ndarray:
        """Distinct n-grams in each record."""
        if n not in self._distinct:
            self._distinct[n] = _distinct_per_record(self.grams(n), self.offsets, n, max(self.vocab.size(n), 1))
        return self._distinct[n]


@lru_cache(maxsize=1)
def lower_table() -> np.ndarray:
    """The code point ``str.lower()`` maps each code point to, from Python itself; -1 for U+0130 (it lowers
    to two code points, 'i' + U+0307) and -2 for U+03A3 (final sigma depends on the neighbours)."""
    # one str.lower() over all code points (U+0130 left out so that positions stay aligned): 2x faster than
    # lowering each code point on its own; the per-character path stays for a Python with other expansions
    low = "".join(map(chr, range(0x130))).lower() + "i" + "".join(map(chr, range(0x131, 0x110000))).lower()
    if len(low) == 0x110000:
        table = np.frombuffer(low.encode("utf-32-le", "surrogatepass"), dtype=np.uint32).astype(np.int32)
    else:
        lowered = [c.lower() for c in map(chr, range(0x110000))]
        table = np.fromiter((ord(c) if len(c) == 1 else -1 for c in lowered), dtype=np.int32, count=len(lowered))
    table[0x130] = -1
    table[0x3A3] = -2
    return table


@njit(cache=True, inline="always")
def _encode(cp, out, j):  # pragma: no cover - compiled
    """Write code point ``cp`` as UTF-8 at ``out[j]``; returns the next position."""
    if cp < 0x80:
        out[j] = cp
        return j + 1
    if cp < 0x800:
        out[j] = 0xC0 | (cp >> 6)
        out[j + 1] = 0x80 | (cp & 0x3F)
        return j + 2
    if cp < 0x10000:
        out[j] = 0xE0 | (cp >> 12)
        out[j + 1] = 0x80 | ((cp >> 6) & 0x3F)
        out[j + 2] = 0x80 | (cp & 0x3F)
        return j + 3
    out[j] = 0xF0 | (cp >> 18)
    out[j + 1] = 0x80 | ((cp >> 12) & 0x3F)
    out[j + 2] = 0x80 | ((cp >> 6) & 0x3F)
    out[j + 3] = 0x80 | (cp & 0x3F)
    return j + 4


@njit(cache=True)
def _lower_utf8(buf, offsets, table, out, new_offsets, redo):  # pragma: no cover - compiled
    """``str.lower()`` of each record of a UTF-8 buffer, code point by code point; records with a capital
    sigma are flagged in ``redo`` (their lowering depends on context) and redone by the caller."""
    j = 0
    for r in range(offsets.size - 1):
        new_offsets[r] = j
        i = offsets[r]
        while i < offsets[r + 1]:
            b = buf[i]
            if b < 0x80:
                out[j] = b + 32 if 65 <= b <= 90 else b
                j += 1
                i += 1
                continue
            cp, w = _decode(buf, i)
            i += w
            m = table[cp]
            if m >= 0:
                j = _encode(m, out, j)
            elif m == -1:
                j = _encode(0x69, out, j)
                j = _encode(0x307, out, j)
            else:
                redo[r] = True
                j = _encode(0x3C3, out, j)
    new_offsets[offsets.size - 1] = j
    return j


def encode_texts(texts: Sequence[str | None], lowercase: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray, bool]:
    """(UTF-8 buffer, per-record byte offsets, missing mask, all ASCII?) of the texts, ``str.lower()``-ed if
    asked. The buffer ends with 8 zero bytes after the last record (the tokeniser reads 8 bytes at a time)."""
    missing = np.fromiter((t is None for t in texts), dtype=bool, count=len(texts))
    enc = [b"" if t is None else t.encode("utf-8", "surrogatepass") for t in texts]
    offsets = np.zeros(len(enc) + 1, dtype=np.int64)
    np.cumsum(np.fromiter(map(len, enc), dtype=np.int64, count=len(enc)), out=offsets[1:])
    enc.append(PADDING)
    raw = b"".join(enc)
    ascii_only = raw.isascii()
    if not lowercase:
        return np.frombuffer(raw, dtype=np.uint8), offsets, missing, ascii_only
    if ascii_only:  # bytes.lower() lowers exactly the ASCII letters: str.lower() of ASCII text
        return np.frombuffer(raw.lower(), dtype=np.uint8), offsets, missing, True
    buf = np.frombuffer(raw, dtype=np.uint8)
    out = np.empty(3 * (buf.size - len(PADDING)) // 2 + len(PADDING) + 4, dtype=np.uint8)
    new_offsets = np.empty_like(offsets)
    redo = np.zeros(len(enc) - 1, dtype=bool)
    end = _lower_utf8(buf, offsets, lower_table(), out, new_offsets, redo)
    out = out[:end + len(PADDING)]
    out[end:] = 0
    if redo.any():  # capital sigma: Python's own lower() for these records
        parts = [texts[r].lower().encode("utf-8", "surrogatepass") if redo[r]
                 else out[new_offsets[r]:new_offsets[r + 1]].tobytes() for r in range(len(texts))]
        new_offsets[1:] = np.cumsum(np.fromiter(map(len, parts), dtype=np.int64, count=len(parts)))
        out = np.frombuffer(b"".join(parts + [PADDING]), dtype=np.uint8)
    return out, new_offsets, missing, False


def tokenize_batch(texts: Sequence[str | None], vocab: Vocabulary,
                   encoded: tuple[np.ndarray, np.ndarray, np.ndarray, bool] | None = None) -> TokenBatch:
    """Token ids of every text (None = missing: no token), interned in ``vocab``; ``encoded`` is
    ``encode_texts(texts, vocab.lowercase)`` when the caller already has it."""
    buf, rec_off, missing, ascii_only = encoded or encode_texts(texts, vocab.lowercase)
    cls = ascii_classes() if ascii_only else unicode_classes()
    ids = np.empty(max(buf.size // 3, 16), dtype=np.int32)
    tok_off = np.zeros(rec_off.size, dtype=np.int64)
    table = vocab.tokens
    r, i, nids = 0, 0, 0
    nrec = rec_off.size - 1
    while r < nrec:
        vocab.kind = _grow(vocab.kind, table.hashes.size)
        r, i, table.n, table.nbytes, nids = _tokenize(buf, rec_off, cls, r, i, table.slots, table.hashes,
                                                      table.words, table.starts, table.lens, table.data, vocab.kind,
                                                      table.n, table.nbytes, ids, nids, tok_off)
        if r < nrec:  # grow what was full (the token starting at byte i is at most the rest of its record)
            full = table.n + 1 > min(table.slots.size - table.slots.size // 4, table.hashes.size)
            rest = int(rec_off[r + 1]) - i
            table.reserve(max(table.n, 1 << 12) if full else 0,
                          max(table.nbytes, rest) if table.nbytes + rest > table.data.size else 0)
            ids = _grow(ids, nids + 1)
    return TokenBatch(vocab, ids[:nids], tok_off, missing)


# ---- the per-batch cache: one tokenisation per batch, shared by every metric --------------------------

_CACHE: list[list] = []  # [weakref to the batch, field, key, value]; an entry dies with its batch
_CACHE_SIZE = 8
_TEXTS, _LOWER, _CASED = object(), object(), object()  # cache keys besides vocabularies


def _cached(batch: "pd.DataFrame", field: str, key: Any, compute: Any) -> Any:
    for ref, f, k, value in list(_CACHE):  # a weakref callback may edit the list meanwhile
        if ref() is batch and f == field and k is key:
            return value
    value = compute()
    ref = weakref.ref(batch, _forget)
    _CACHE.append([ref, field, key, value])
    del _CACHE[:-_CACHE_SIZE]
    return value


def _forget(ref: weakref.ref) -> None:
    _CACHE[:] = [e for e in _CACHE if e[0] is not ref]


def batch_texts(batch: "pd.DataFrame", field: str) -> list[str | None]:
    """``data.text.texts(batch, field)``, computed once per batch object."""
    from synthaudit.data.text import texts

    return _cached(batch, field, _TEXTS, lambda: texts(batch, field))


def batch_utf8(batch: "pd.DataFrame", field: str, lowercase: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray, bool]:
    """``encode_texts`` of a batch's texts, computed once per (batch object, field, case setting)."""
    return _cached(batch, field, _LOWER if lowercase else _CASED,
                   lambda: encode_texts(batch_texts(batch, field), lowercase))


def batch_tokens(batch: "pd.DataFrame", field: str, vocab: Vocabulary) -> TokenBatch:
    """The :class:`TokenBatch` of a batch's texts in ``vocab``, computed once per (batch object, field, vocab).

    The engine hands the same DataFrame object to every metric's ``update``; entries are dropped as soon
    as their batch is garbage-collected (weak references), so a later batch at the same address is
    never mistaken for an earlier one."""
    return _cached(batch, field, vocab, lambda: tokenize_batch(batch_texts(batch, field), vocab,
                                                               batch_utf8(batch, field, vocab.lowercase)))


def shared_vocabulary(inputs: Any, lowercase: bool) -> Vocabulary:
    """The audit's vocabulary for this case setting (one per audit, held in ``inputs.features``)."""
    features = getattr(inputs, "features", None)
    if features is None:
        return Vocabulary(lowercase)
    return features.get(f"stats.ngrams.vocabulary:{bool(lowercase)}", lambda: Vocabulary(bool(lowercase)))


def clear_cache() -> None:
    _CACHE.clear()
