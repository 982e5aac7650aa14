"""Offline sentence segmentation, named in every result that depends on it (survey section 2.2: GAR and
attribution are per sentence, and their values depend on the splitter).

NLTK's punkt needs data no package ships, so synthaudit has its own rule-based splitter: a sentence ends
at ``.``, ``!``, ``?`` or ``…`` (optionally followed by closing quotes or brackets) when whitespace and
then an upper-case letter, digit, quote or opening bracket follow, or at a blank line; it does not end
after common abbreviations ("e.g.", "Dr.", "U.S."), single initials ("J. Smith") or inside numbers
("3.14"). CJK full stops (。！？) end a sentence with or without a following space.
"""
from __future__ import annotations

import re

SEGMENTER = "synthaudit-rules-v1 (punctuation + capital/digit/quote lookahead, abbreviation list, blank lines)"

_ABBREV = frozenset("""
mr mrs ms dr prof sr jr st vs etc e.g i.e cf al fig figs no nos vol eq eqs approx dept est inc ltd co corp
jan feb mar apr jun jul aug sep sept oct nov dec mon tue wed thu fri sat sun u.s u.k u.n a.m p.m ph.d
""".split())
_END = re.compile(r"""([.!?…]+["'”’)\]]*)(\s+)(?=["'“‘(\[]?[A-Z0-9À-ÖØ-Þ])|([。！？]+["'”’」』)\]]*)\s*|\n\s*\n""")


def split_sentences(text: str) -> list[str]:
    """The sentences of ``text`` (stripped, none empty); an empty or blank text has none."""
    if not text or not text.strip():
        return []
    out: list[str] = []
    start = 0
    for m in _END.finditer(text):
        end = m.end(1) if m.group(1) else m.end(3) if m.group(3) else m.start()
        if m.group(1) and m.group(1).startswith(".") and _is_abbreviation(text[start:m.start(1)]):
            continue
        piece = text[start:end].strip()
        if piece:
            out.append(piece)
        start = m.end()
    tail = text[start:].strip()
    if tail:
        out.append(tail)
    return out


def _is_abbreviation(before: str) -> bool:
    word = before.rsplit(None, 1)[-1] if before.strip() else ""
    word = word.lstrip("(\"'“‘[").lower()
    if not word:
        return False
    if len(word) == 1 and word.isalpha():  # an initial: "J. Smith"
        return True
    return word in _ABBREV
