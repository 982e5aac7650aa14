"""ROUGE-L (Lin, 2004) for Self-Instruct's novelty filter (Wang et al., 2023b, section 2.3: a new instruction
is kept only when its ROUGE-L with every existing one is below 0.7). Tokenisation as ``rouge-score``
without a stemmer: lower-case, every character outside [a-z0-9] is a separator."""
from __future__ import annotations

import re
from collections import Counter
from typing import Iterable

_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def rouge_tokens(text: str) -> list[str]:
    return [t for t in _NON_ALNUM.sub(" ", text.lower()).split() if t]


def lcs_length(a: list[str], b: list[str]) -> int:
    """Length of the longest common subsequence (dynamic programming, O(len(a) * len(b)), one row)."""
    if len(a) < len(b):
        a, b = b, a
    prev = [0] * (len(b) + 1)
    for x in a:
        cur = [0]
        for j, y in enumerate(b):
            cur.append(prev[j] + 1 if x == y else max(prev[j + 1], cur[j]))
        prev = cur
    return prev[-1]


def rouge_l(candidate: str | list[str], reference: str | list[str]) -> float:
    """ROUGE-L F1 of two texts (0 when either is empty)."""
    c = rouge_tokens(candidate) if isinstance(candidate, str) else candidate
    r = rouge_tokens(reference) if isinstance(reference, str) else reference
    if not c or not r:
        return 0.0
    lcs = lcs_length(c, r)
    if lcs == 0:
        return 0.0
    p, rec = lcs / len(c), lcs / len(r)
    return 2 * p * rec / (p + rec)


class NoveltyIndex:
    """Instructions seen so far; ``max_rouge_l(text)`` with a cheap upper bound (the token-multiset overlap
    bounds the LCS) that skips most exact LCS computations."""

    def __init__(self, texts: Iterable[str] = ()) -> None:
        self.items: list[tuple[list[str], Counter]] = []
        for t in texts:
            self.add(t)

    def add(self, text: str) -> None:
        toks = rouge_tokens(text)
        self.items.append((toks, Counter(toks)))

    def __len__(self) -> int:
        return len(self.items)

    def max_rouge_l(self, text: str, stop_at: float = 1.0) -> float:
        c = rouge_tokens(text)
        if not c:
            return 0.0
        cc = Counter(c)
        best = 0.0
        for toks, counts in self.items:
            if not toks:
                continue
            overlap = sum(min(v, counts[k]) for k, v in cc.items())
            if 2 * overlap / (len(c) + len(toks)) <= best:  # F1 <= 2*overlap/(m+n): cannot beat the best
                continue
            best = max(best, rouge_l(c, toks))
            if best >= stop_at:
                break
        return best
