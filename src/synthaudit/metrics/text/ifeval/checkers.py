"""IFEval verifiable-instruction checkers (survey section 2.2; Zhou et al. 2023, "Instruction-Following
Evaluation for Large Language Models").

One small function per instruction type: ``check(response, **kwargs) -> bool`` with the kwargs of the
published IFEval data (already validated and normalised by :mod:`.registry`). They follow the semantics of
Google's reference checkers, written afresh; where synthaudit deliberately differs (sentence splitter,
regex-escaped keywords, non-letter ``letter`` values) see ``docs/ifeval.md``.

A blank response follows no instruction; that rule and the loose variants live in :mod:`.registry`.
"""
from __future__ import annotations

import json
import re
from collections.abc import Sequence

from synthaudit.data.segment import SEGMENTER, split_sentences

#: how words are counted (IFEval: nltk's RegexpTokenizer(r"\w+"), the same pattern)
WORD_COUNTER = r"regex \w+ (as IFEval's nltk RegexpTokenizer)"
SENTENCE_SPLITTER = f"synthaudit.data.segment.split_sentences: {SEGMENTER}"
LANGUAGE_DETECTOR = "langdetect (DetectorFactory.seed = 0); undetectable text counts as following, as in IFEval"
CAPITAL_TOKENIZER = "Treebank-style word tokens (punctuation and clitics split off) over split_sentences"

RELATIONS = ("less than", "at least")
CONSTRAINED_OPTIONS = ("My answer is yes.", "My answer is no.", "My answer is maybe.")

_WORD = re.compile(r"\w+")


def compare(count: int, relation: str, threshold: int) -> bool:
    """IFEval's two relations: 'less than' is ``count < threshold``, 'at least' is ``count >= threshold``."""
    return count < threshold if relation == "less than" else count >= threshold


def count_words(text: str) -> int:
    """Number of ``\\w+`` runs (IFEval's word count)."""
    return len(_WORD.findall(text))


# -- language detection -----------------------------------------------------------------------------------

def detect_language(text: str) -> str | None:
    """langdetect's ISO code of ``text`` (seeded, deterministic); None when it cannot tell."""
    from langdetect import DetectorFactory, detect
    from langdetect.lang_detect_exception import LangDetectException

    DetectorFactory.seed = 0
    try:
        return detect(text)
    except LangDetectException:
        return None


def _language_is(text: str, code: str) -> bool:
    found = detect_language(text)
    return True if found is None else found == code  # IFEval: an undetectable text passes


# -- keywords ---------------------------------------------------------------------------------------------

def keywords_existence(text: str, *, keywords: Sequence[str]) -> bool:
    """Every keyword occurs (case-insensitive substring)."""
    return all(re.search(re.escape(k), text, flags=re.IGNORECASE) for k in keywords)


def keywords_frequency(text: str, *, keyword: str, frequency: int, relation: str) -> bool:
    """The keyword's case-insensitive occurrences compare with ``frequency``."""
    hits = len(re.findall(re.escape(keyword.strip()), text, flags=re.IGNORECASE))
    return compare(hits, relation, frequency)


def keywords_forbidden_words(text: str, *, forbidden_words: Sequence[str]) -> bool:
    """No forbidden word occurs as a whole word (case-insensitive)."""
    return not any(re.search(rf"\b{re.escape(w)}\b", text, flags=re.IGNORECASE) for w in forbidden_words)


def keywords_letter_frequency(text: str, *, letter: str, let_frequency: int, let_relation: str) -> bool:
    """Occurrences of ``letter`` (case-insensitive) compare with ``let_frequency``."""
    return compare(text.lower().count(letter.strip().lower()), let_relation, let_frequency)


# -- language, length ---------------------------------------------------------------------------------------

def language_response_language(text: str, *, language: str) -> bool:
    """The detected language is ``language`` (an ISO 639-1 code as langdetect reports it)."""
    return _language_is(text, language)


def length_number_sentences(text: str, *, num_sentences: int, relation: str) -> bool:
    """The number of sentences (synthaudit's splitter, not punkt) compares with ``num_sentences``."""
    return compare(len(split_sentences(text)), relation, num_sentences)


def length_number_paragraphs(text: str, *, num_paragraphs: int) -> bool:
    """Exactly ``num_paragraphs`` paragraphs separated by the markdown divider ``***``; an empty paragraph
    is allowed only at either end."""
    parts = re.split(r"\s?\*\*\*\s?", text)
    count = len(parts)
    for i, part in enumerate(parts):
        if not part.strip():
            if 0 < i < len(parts) - 1:
                return False
            count -= 1
    return count == num_paragraphs


def length_number_words(text: str, *, num_words: int, relation: str) -> bool:
    """The ``\\w+`` word count compares with ``num_words``."""
    return compare(count_words(text), relation, num_words)


_FIRST_WORD_STOP = frozenset(".,?!'\"")


def length_nth_paragraph_first_word(text: str, *, num_paragraphs: int, nth_paragraph: int, first_word: str) -> bool:
    """Exactly ``num_paragraphs`` non-empty paragraphs split on ``\\n\\n``, and paragraph ``nth_paragraph``
    (counted in the raw split, as IFEval does) starts with ``first_word`` (case-insensitive, up to the first
    punctuation mark)."""
    parts = text.split("\n\n")
    count = sum(1 for p in parts if p.strip())
    if nth_paragraph > count:
        return False
    paragraph = parts[nth_paragraph - 1].strip()
    if not paragraph:
        return False
    word = paragraph.split()[0].strip().lstrip("'").lstrip('"')
    head = []
    for ch in word:
        if ch in _FIRST_WORD_STOP:
            break
        head.append(ch.lower())
    return count == num_paragraphs and "".join(head) == first_word.lower()


# -- detectable content / format -----------------------------------------------------------------------------

def content_number_placeholders(text: str, *, num_placeholders: int) -> bool:
    """At least ``num_placeholders`` square-bracket placeholders such as ``[name]``."""
    return len(re.findall(r"\[.*?\]", text)) >= num_placeholders


def content_postscript(text: str, *, postscript_marker: str) -> bool:
    """The response contains the postscript marker (P.S. / P.P.S with optional spaces, case-insensitive)."""
    marker = postscript_marker.strip()
    if marker == "P.P.S":
        pattern = r"p\.\s?p\.\s?s"
    elif marker == "P.S.":
        pattern = r"p\.\s?s\."
    else:
        pattern = re.escape(marker.lower())
    return re.search(pattern, text.lower()) is not None


def format_number_bullet_lists(text: str, *, num_bullets: int) -> bool:
    """Exactly ``num_bullets`` markdown bullet lines (``* item`` or ``- item``)."""
    stars = re.findall(r"^\s*\*[^*].*$", text, flags=re.MULTILINE)
    dashes = re.findall(r"^\s*-.*$", text, flags=re.MULTILINE)
    return len(stars) + len(dashes) == num_bullets


def format_constrained_response(text: str) -> bool:
    """The response contains one of IFEval's fixed answers ('My answer is yes.' / 'no.' / 'maybe.')."""
    body = text.strip()
    return any(option in body for option in CONSTRAINED_OPTIONS)


def format_number_highlighted_sections(text: str, *, num_highlights: int) -> bool:
    """At least ``num_highlights`` non-blank markdown highlights; ``*x*`` and ``**x**`` are counted by two
    separate scans, as IFEval does."""
    single = [h for h in re.findall(r"\*[^\n*]*\*", text) if h.strip("*").strip()]
    double = [h for h in re.findall(r"\*\*[^\n*]*\*\*", text) if h[2:-2].strip()]
    return len(single) + len(double) >= num_highlights


def format_multiple_sections(text: str, *, section_spliter: str, num_sections: int) -> bool:
    """At least ``num_sections`` section headers '<spliter> <number>' (e.g. 'SECTION 1')."""
    pattern = r"\s?" + re.escape(section_spliter.strip()) + r"\s?\d+\s?"
    return len(re.split(pattern, text)) - 1 >= num_sections


def format_json_format(text: str) -> bool:
    """The whole response, without a surrounding markdown code fence, parses as JSON."""
    body = text.strip()
    for fence in ("```json", "```Json", "```JSON", "```"):
        body = body.removeprefix(fence)
    body = body.removesuffix("```").strip()
    try:
        json.loads(body)
    except (ValueError, RecursionError):
        return False
    return True


def format_title(text: str) -> bool:
    """A non-blank title wrapped in double angular brackets, ``<<title>>``, on one line."""
    return any(t.lstrip("<").rstrip(">").strip() for t in re.findall(r"<<[^\n]+>>", text))


# -- combination, start/end ---------------------------------------------------------------------------------

def combination_two_responses(text: str) -> bool:
    """Two different non-blank responses separated by ``******`` (an empty part only at either end)."""
    parts = text.split("******")
    kept = []
    for i, part in enumerate(parts):
        if part.strip():
            kept.append(part.strip())
        elif 0 < i < len(parts) - 1:
            return False
    return len(kept) == 2 and kept[0] != kept[1]


def combination_repeat_prompt(text: str, *, prompt_to_repeat: str) -> bool:
    """The response starts with the request, repeated word for word (case-insensitive)."""
    return text.strip().lower().startswith(prompt_to_repeat.strip().lower())


def startend_end_checker(text: str, *, end_phrase: str) -> bool:
    """The response (ignoring surrounding whitespace and double quotes) ends with ``end_phrase``."""
    return text.strip().strip('"').lower().endswith(end_phrase.strip().lower())


def startend_quotation(text: str) -> bool:
    """The whole response is wrapped in double quotation marks."""
    body = text.strip()
    return len(body) > 1 and body[0] == '"' and body[-1] == '"'


# -- change case, punctuation -------------------------------------------------------------------------------

# Treebank-style tokenisation (what nltk.word_tokenize does, as far as it decides which tokens are all-capital
# words): quotes, brackets and most punctuation are tokens of their own, commas and colons split unless a digit
# follows, clitics split off ("DON'T" -> "DO" "N'T", "JOHN's" -> "JOHN" "'s") and so do "CANNOT", "GONNA", ...
_SPLIT = re.compile(r"""(\.{2,}|--|[;@#$%&?!*\[\](){}<>«»“”‘’„`"\u2012-\u2015]|[:,](?!\d))""")
_OPENING_QUOTE = re.compile(r"(?i)(?<!\w)(')(?!(?:re|ve|ll|m|t|s|d|n)\b)(?=\w)")
_FINAL_PERIOD = re.compile(r"^(.*[^.])(\.)$")
_CLITIC = re.compile(r"^(.*[^' ])('[sS]|'[mM]|'[dD]|'ll|'LL|'re|'RE|'ve|'VE|n't|N'T)$")
_CONTRACTIONS = tuple(re.compile(p) for p in (
    r"(?i)\b(can)(not)\b", r"(?i)\b(d)('ye)\b", r"(?i)\b(gim)(me)\b", r"(?i)\b(gon)(na)\b",
    r"(?i)\b(got)(ta)\b", r"(?i)\b(lem)(me)\b", r"(?i)\b(more)('n)\b", r"(?i)\b(wan)(na)(?=\s)",
    r"(?i) ('t)(is)\b", r"(?i) ('t)(was)\b"))


def word_tokens(sentence: str) -> list[str]:
    """Treebank-style word tokens of one sentence."""
    text = _OPENING_QUOTE.sub(r"\1 ", f" {sentence} ")
    for pattern in _CONTRACTIONS:
        text = pattern.sub(r" \1 \2 ", text)
    out: list[str] = []
    for chunk in text.split():
        for piece in _SPLIT.split(chunk):
            if piece:
                m = _CLITIC.match(piece)
                out.extend([m.group(1), m.group(2)] if m else [piece])
    final = _FINAL_PERIOD.match(out[-1]) if out else None
    return out[:-1] + [final.group(1), "."] if final else out


def capital_words(text: str) -> list[str]:
    """The word tokens of ``text`` written entirely in capitals (``str.isupper``: at least one cased
    character, none lower-case), sentence by sentence as nltk.word_tokenize does."""
    return [w for s in split_sentences(text) for w in word_tokens(s) if w.isupper()]


def case_capital_word_frequency(text: str, *, capital_frequency: int, capital_relation: str) -> bool:
    """The number of all-capital words compares with ``capital_frequency``."""
    return compare(len(capital_words(text)), capital_relation, capital_frequency)


def case_english_capital(text: str) -> bool:
    """The response is in English and has no lower-case letter (``str.isupper``)."""
    return text.isupper() and _language_is(text, "en")


def case_english_lowercase(text: str) -> bool:
    """The response is in English and has no upper-case letter (``str.islower``)."""
    return text.islower() and _language_is(text, "en")


def punctuation_no_comma(text: str) -> bool:
    """No ASCII comma anywhere."""
    return "," not in text
