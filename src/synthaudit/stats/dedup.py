"""Exact duplicates of normalised texts (a curation check beside survey section 2.2's diversity metrics).

A text's normal form is ``" ".join(text.casefold().split())``: case-folded, whitespace runs collapsed to
one space, stripped. It is computed in compiled code from the ``str.lower()``-ed UTF-8 text the tokeniser
already made, which is exact because ``casefold(lower(s)) == casefold(s)`` for every string (checked for
every code point by the tests; the only context-dependent lowering, final sigma, folds to the same letter)
and case-folding never turns whitespace into non-whitespace or back.

Normal forms are not kept: each is reduced to a 128-bit fingerprint (two unrelated 64-bit content hashes,
``intern.bytes_hash`` and ``intern.bytes_hash_b``), and the fingerprints are interned in a :class:`ByteTable`
(issue #13: about 60 bytes per distinct text instead of the text). Records share a group id when their
fingerprints are equal: exactly when their normal forms are, unless two distinct texts collide in all 128
bits. For hashes that behave like random functions that chance is below n^2 / 2^129 for n distinct texts
(3e-27 at a million, 3e-21 at a billion); the tests compare the groups with the Python definition.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from synthaudit.stats.intern import (ByteTable, bt_find_or_add, bytes_hash, bytes_hash_b, head_word, max_load,
                                     njit)
from synthaudit.stats.ngrams import SPACE, _decode, _encode, ascii_classes, unicode_classes

FINGERPRINT_BYTES = 16


def normal_form(text: str) -> str:
    """The reference definition (pure Python)."""
    return " ".join(text.casefold().split())


@lru_cache(maxsize=1)
def casefold_table() -> tuple[np.ndarray, np.ndarray]:
    """(map, expansions): ``map[cp]`` is the single code point ``cp`` folds to, or ``-1 - row`` of
    ``expansions`` (rows of up to 3 code points, -1 padded) when it folds to several."""
    folded = [c.casefold() for c in map(chr, range(0x110000))]
    fmap = np.fromiter((ord(f) if len(f) == 1 else -1 for f in folded), dtype=np.int32, count=len(folded))
    multi = np.flatnonzero(fmap < 0)
    fmap[multi] = -1 - np.arange(multi.size, dtype=np.int32)
    rows = [[ord(c) for c in folded[cp]] + [-1] * (3 - len(folded[cp])) for cp in multi.tolist()]
    return fmap, np.array(rows or [[-1, -1, -1]], dtype=np.int32)


@njit(cache=True)
def _normalise_intern(buf, rec_off, missing, cls, fmap, fexp, ascii_only, r0, slots, hashes, words, starts, lens,
                      data, n, nbytes, scratch, digest, out):  # pragma: no cover - compiled
    """Group id of each record's normal form, by its 128-bit fingerprint (-1: missing or blank); stops before a
    record that may not fit."""
    limit = max_load(slots)
    nrec = rec_off.size - 1
    r = r0
    while r < nrec:
        s0 = rec_off[r]
        e0 = rec_off[r + 1]
        if n + 1 > limit or n + 1 > hashes.size:
            break
        j = 0
        after_space = True  # a space is written once per whitespace run, and none at the start
        i = s0
        while i < e0:
            b = buf[i]
            if b < 0x80:  # branch-free: write the byte (a space for whitespace), keep it unless a repeat space
                space = cls[b] == SPACE
                scratch[j] = 32 if space else b
                j += 0 if (space and after_space) else 1
                after_space = space
                i += 1
                continue
            cp, w = _decode(buf, i)
            i += w
            if cls[cp] == SPACE:
                if not after_space:
                    scratch[j] = 32
                    j += 1
                after_space = True
                continue
            after_space = False
            if ascii_only:
                j = _encode(cp, scratch, j)
                continue
            f = fmap[cp]
            if f >= 0:
                j = _encode(f, scratch, j)
            else:
                for q in range(3):
                    c = fexp[-1 - f, q]
                    if c >= 0:
                        j = _encode(c, scratch, j)
        if j > 0 and after_space:  # drop the trailing space
            j -= 1
        if j == 0 or missing[r]:
            out[r] = -1
        elif nbytes + 16 > data.size:  # no room to store a new fingerprint: resume at this record
            break
        else:
            h1 = bytes_hash(scratch, 0, j)
            h2 = bytes_hash_b(scratch, 0, j)
            for q in range(8):
                digest[q] = np.uint8((h1 >> np.uint64(8 * q)) & np.uint64(0xFF))
                digest[8 + q] = np.uint8((h2 >> np.uint64(8 * q)) & np.uint64(0xFF))
            out[r], n, nbytes = bt_find_or_add(bytes_hash(digest, 0, 16), head_word(digest, 0, 16), digest, 0, 16,
                                               slots, hashes, words, starts, lens, data, n, nbytes)
        r += 1
    return r, n, nbytes


def normalised_groups(utf8: np.ndarray, byte_offsets: np.ndarray, missing: np.ndarray, table: ByteTable,
                      ascii_only: bool | None = None) -> np.ndarray:
    """Group id (id of the normal form's fingerprint in ``table``) of each record of a ``str.lower()``-ed UTF-8
    buffer."""
    if ascii_only is None:
        ascii_only = bool(utf8.size == 0 or utf8.max() < 0x80)
    cls = ascii_classes() if ascii_only else unicode_classes()
    fmap, fexp = (np.zeros(1, np.int32), np.zeros((1, 3), np.int32)) if ascii_only else casefold_table()
    nrec = byte_offsets.size - 1
    sizes = np.diff(byte_offsets)
    scratch = np.empty(3 * int(sizes.max(initial=0)) + 4, dtype=np.uint8)
    digest = np.empty(FINGERPRINT_BYTES, dtype=np.uint8)
    out = np.empty(nrec, dtype=np.int64)
    table.reserve(nrec, FINGERPRINT_BYTES * nrec)
    r = 0
    while r < nrec:
        r, table.n, table.nbytes = _normalise_intern(utf8, byte_offsets, missing, cls, fmap, fexp, ascii_only, r,
                                                     table.slots, table.hashes, table.words, table.starts,
                                                     table.lens, table.data, table.n, table.nbytes, scratch, digest,
                                                     out)
        if r < nrec:
            table.reserve(max(table.n, 1), FINGERPRINT_BYTES * max(table.n, 1))
    return out
