"""MinHash signatures, LSH banding and exact Jaccard verification for near-duplicate texts.

Survey section 2.1 names Jaccard/MinHash deduplication as a standard curation step; the check sits beside
the diversity metrics of section 2.2. A text's shingles are its runs of ``k`` consecutive word tokens
(``\\w+`` tokens of ``data.text.tokenize``, case-folded; punctuation left out); a text with fewer than
``k`` words has one shingle, all its words. Each shingle hashes to 64 bits from its tokens' content
hashes (identical in every process), and permutation ``p`` is the multiply-add-shift hash
``h_p(x) = ((a_p x + b_p) mod 2**64) >> 32`` with seeded odd ``a_p`` (the minimum of ``a_p x + b_p`` is
taken before the shift, which is monotone); the signature keeps each ``min_p``.
LSH splits the signature into ``bands`` x ``rows`` (chosen so that a pair at the threshold becomes a
candidate with probability >= 0.95, and pairs far below it rarely do); texts sharing a band are candidates,
and every candidate pair's Jaccard similarity is then computed exactly on the shingle sets, so reported
pairs are exact (a pair the banding misses lowers recall, never precision).
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from synthaudit.stats.intern import GOLDEN, mix64, njit, rotl64
from synthaudit.stats.ngrams import TokenBatch, Vocabulary, tokenize_batch

MAX_BUCKET = 64  # larger LSH buckets are verified against their first member only (star), not all pairs
RECALL_AT_THRESHOLD = 0.95  # LSH banding: chance that a pair exactly at the threshold becomes a candidate


def permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Seeded (a, b) of the ``num_perm`` hash permutations (a odd)."""
    rng = np.random.default_rng(seed)
    a = rng.integers(0, np.iinfo(np.uint64).max, size=num_perm, dtype=np.uint64, endpoint=True) | np.uint64(1)
    b = rng.integers(0, np.iinfo(np.uint64).max, size=num_perm, dtype=np.uint64, endpoint=True)
    return a, b


@njit(cache=True)
def _signatures(ids, offsets, is_word, thash, k, a, b, sig, eligible):  # pragma: no cover - compiled
    nrec = offsets.size - 1
    longest = 1
    for r in range(nrec):
        longest = max(longest, offsets[r + 1] - offsets[r])
    words = np.empty(longest, dtype=np.uint64)
    shingles = np.empty(longest, dtype=np.uint64)
    for r in range(nrec):
        m = 0
        for i in range(offsets[r], offsets[r + 1]):
            t = ids[i]
            if is_word[t]:
                words[m] = thash[t]
                m += 1
        if m == 0:
            continue
        kk = min(k, m)
        ns = m - kk + 1
        for j in range(ns):  # shingle hash: position-rotated token hashes, finalised
            h = np.uint64(kk) * GOLDEN
            for q in range(kk):
                h ^= rotl64(words[j + q], 1 + (13 * q) % 63)
            shingles[j] = mix64(h)
        for p in range(a.size):
            ap = a[p]
            bp = b[p]
            low = np.uint64(0xFFFFFFFFFFFFFFFF)
            for j in range(ns):
                low = min(low, ap * shingles[j] + bp)
            sig[r, p] = np.uint32(low >> np.uint64(32))
        eligible[r] = True


def signatures(tb: TokenBatch, num_perm: int, seed: int, shingle: int) -> tuple[np.ndarray, np.ndarray]:
    """(uint32 signatures [records x num_perm], eligible mask: the record has at least one word)."""
    a, b = permutations(num_perm, seed)
    sig = np.full((tb.n_records, num_perm), 0xFFFFFFFF, dtype=np.uint32)
    eligible = np.zeros(tb.n_records, dtype=bool)
    vocab = tb.vocab
    _signatures(tb.ids, tb.offsets, vocab.is_word(), vocab.token_hashes(), shingle, a, b, sig, eligible)
    return sig, eligible


def lsh_params(threshold: float, num_perm: int, recall: float = RECALL_AT_THRESHOLD) -> tuple[int, int]:
    """(bands, rows), bands * rows <= num_perm: among the splits whose candidate probability
    ``1 - (1 - s**rows)**bands`` at ``s = threshold`` is at least ``recall``, the one with the smallest
    false-candidate area below the threshold (candidates are verified exactly, so recall is what matters);
    the split with the highest probability at the threshold when none reaches ``recall``."""
    lo = np.linspace(0.0, threshold, 401)
    feasible, fallback = [], []
    for bands in range(1, num_perm + 1):
        for rows in range(1, num_perm // bands + 1):
            at_t = 1 - (1 - threshold ** rows) ** bands
            if at_t >= recall:
                feasible.append((float(np.trapezoid(1 - (1 - lo ** rows) ** bands, lo)), bands, rows))
            fallback.append((-at_t, bands, rows))
    _, bands, rows = min(feasible) if feasible else min(fallback)
    return bands, rows


def _band_keys(block: np.ndarray) -> np.ndarray:
    key = np.zeros(block.shape[0], dtype=np.uint64)
    with np.errstate(over="ignore"):
        for c in range(block.shape[1]):
            key = (key ^ block[:, c].astype(np.uint64)) * GOLDEN
            key ^= key >> np.uint64(29)
    return key


def sorted_unique(values: np.ndarray) -> np.ndarray:
    """``np.unique`` of a 1-D array by sorting (numpy 2.x's hash-based unique is slow on large int arrays)."""
    out = np.sort(values)
    return out[np.r_[True, out[1:] != out[:-1]]] if out.size else out


def _run_pairs(members: np.ndarray, starts: np.ndarray, size: int) -> np.ndarray:
    """All pairs within each run ``members[start:start + size]`` (runs of one size, vectorised)."""
    i, j = np.triu_indices(size, 1)
    a = members[starts[:, None] + i[None, :]].ravel()
    b = members[starts[:, None] + j[None, :]].ravel()
    return np.stack([np.minimum(a, b), np.maximum(a, b)], axis=1)


def band_keys(sig: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """One 64-bit key per record and LSH band ([records x bands]): records share a band's key when they agree on
    its ``rows`` signature values (or, rarely, by a 64-bit collision: candidates are verified exactly)."""
    out = np.empty((sig.shape[0], bands), dtype=np.uint64)
    for band in range(bands):
        out[:, band] = _band_keys(sig[:, band * rows:(band + 1) * rows])
    return out


def candidate_pairs(sig: np.ndarray, eligible: np.ndarray, bands: int, rows: int,
                    max_bucket: int = MAX_BUCKET) -> tuple[np.ndarray, int]:
    """Sorted unique (i, j), i < j, of eligible records sharing at least one LSH band; and the number of
    buckets larger than ``max_bucket`` (verified star-wise against their first member)."""
    return candidate_pairs_of_keys(band_keys(sig, bands, rows), eligible, max_bucket)


def candidate_pairs_of_keys(keys: np.ndarray, eligible: np.ndarray,
                            max_bucket: int = MAX_BUCKET) -> tuple[np.ndarray, int]:
    """:func:`candidate_pairs` from the records' :func:`band_keys`."""
    idx = np.flatnonzero(eligible)
    keys_of = keys if idx.size == keys.shape[0] else keys[idx]
    parts: list[np.ndarray] = [np.zeros((0, 2), dtype=np.int64)]
    oversized = 0
    for band in range(keys.shape[1]):
        band_of = keys_of[:, band]
        order = np.argsort(band_of)  # runs of equal keys; members are ordered within each pair below
        members = idx[order]
        sk = band_of[order]
        starts = np.flatnonzero(np.r_[True, sk[1:] != sk[:-1]])
        sizes = np.diff(np.r_[starts, sk.size])
        for size in np.unique(sizes[(sizes > 1) & (sizes <= max_bucket)]).tolist():
            parts.append(_run_pairs(members, starts[sizes == size], size))
        for start, size in zip(starts[sizes > max_bucket].tolist(), sizes[sizes > max_bucket].tolist()):
            oversized += 1
            run = np.sort(members[start:start + size])
            parts.append(np.stack([np.full(size - 1, run[0]), run[1:]], axis=1))
    flat = sorted_unique(np.concatenate(parts).astype(np.int64) @ np.array([len(eligible), 1], dtype=np.int64))
    return np.stack([flat // len(eligible), flat % len(eligible)], axis=1), oversized


def shingle_sets(texts: Sequence[str], shingle: int) -> list[np.ndarray]:
    """Exact shingle sets (sorted unique int64 ids, equal ids = equal word sequences) of the texts."""
    vocab = Vocabulary(lowercase=True)
    tb = tokenize_batch(list(texts), vocab)
    keep = vocab.is_word()[tb.ids]
    before = np.concatenate([[0], np.cumsum(keep)])  # words before each token position
    wb = TokenBatch(vocab, tb.ids[keep], before[tb.offsets].astype(np.int64), tb.missing)
    lengths = wb.lengths()
    out = [np.zeros(0, dtype=np.int64)] * len(texts)
    width = np.minimum(lengths, shingle)  # words per shingle of each record (0: no word)
    for kk in np.unique(width[width > 0]).tolist():
        recs = np.flatnonzero(width == kk)
        counts = lengths[recs] - kk + 1
        first = np.repeat(np.cumsum(counts) - counts, counts)
        pos = np.repeat(wb.offsets[recs], counts) + np.arange(counts.sum()) - first
        keys = wb.grams(kk)[pos].astype(np.int64) * (shingle + 1) + kk
        span = int(keys.max()) + 1
        packed = sorted_unique(np.repeat(np.arange(recs.size, dtype=np.int64), counts) * span + keys)
        cuts = np.searchsorted(packed // span, np.arange(1, recs.size))
        for r, ids in zip(recs.tolist(), np.split(packed % span, cuts)):
            out[r] = ids
    return out


def jaccard(a: np.ndarray, b: np.ndarray) -> float:
    """|a & b| / |a | b| of two sorted unique id arrays (0 when both are empty)."""
    inter = np.intersect1d(a, b, assume_unique=True).size
    union = a.size + b.size - inter
    return inter / union if union else 0.0


def components(n: int, pairs: np.ndarray) -> np.ndarray:
    """Connected-component label of each of n records under the given pairs (union-find via scipy)."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    if n == 0:
        return np.zeros(0, dtype=np.int64)
    graph = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(n, n)) if len(pairs) else \
        coo_matrix((n, n))
    return connected_components(graph, directed=False)[1].astype(np.int64)
