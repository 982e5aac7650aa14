"""64-bit content hashes of n-grams, identical in every process (for sketches of the text metrics, section 2.2).

An n-gram's hash folds its tokens' content hashes (``Vocabulary.token_hashes``) left to right:
``h_1 = token hash``, ``h_n = splitmix64(h_{n-1} * GOLDEN ^ token_n)`` (bijective in each argument), so
the hash of an n-gram id (:func:`id_hashes`) equals the hash computed from a batch's token positions
(:func:`position_hashes`) without interning the n-gram.
"""
from __future__ import annotations

import numpy as np

from synthaudit.stats.hashing import splitmix64
from synthaudit.stats.ngrams import TokenBatch, Vocabulary

GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def _fold(prefix: np.ndarray, last: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        return splitmix64((prefix * GOLDEN) ^ last)


def id_hashes(vocab: Vocabulary, n: int) -> np.ndarray:
    """Hash of every n-gram id of ``vocab`` (index = id)."""
    tokens = vocab.token_hashes().astype(np.uint64)
    if n == 1:
        return tokens
    keys = vocab.grams[n].keys[:len(vocab.grams[n])] if n in vocab.grams else np.zeros(0, np.int64)
    prefix = id_hashes(vocab, n - 1)
    return _fold(prefix[keys >> 32], tokens[keys & 0xFFFFFFFF])


def position_hashes(tb: TokenBatch, n: int) -> tuple[np.ndarray, np.ndarray]:
    """(hash, record index) of every n-gram of a batch, in position order (n-grams inside one record only)."""
    tokens = tb.vocab.token_hashes().astype(np.uint64)[tb.ids]
    lengths = tb.lengths()
    record = np.repeat(np.arange(lengths.size), lengths)
    h = tokens
    for m in range(2, n + 1):
        h = _fold(h[:-1], tokens[m - 1:])
    ends = np.repeat(tb.offsets[1:], lengths)[:h.size]
    keep = np.arange(h.size) + n - 1 < ends
    return h[keep], record[:h.size][keep]


def distinct_per_record(hashes: np.ndarray, record: np.ndarray, n_records: int) -> np.ndarray:
    """Distinct hashes in each record (records in 0..n_records-1)."""
    if hashes.size == 0:
        return np.zeros(n_records, dtype=np.int64)
    order = np.lexsort((hashes, record))
    r, h = record[order], hashes[order]
    new = np.ones(h.size, dtype=bool)
    new[1:] = (r[1:] != r[:-1]) | (h[1:] != h[:-1])
    return np.bincount(r[new], minlength=n_records).astype(np.int64)
