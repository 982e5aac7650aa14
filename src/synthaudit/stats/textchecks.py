"""Per-record text heuristics for the curation checks beside survey section 2.2 (validity of records).

* :func:`truncation_reason` -- the *end-of-text truncation heuristic* (``synthaudit-truncation-v2``).
* :func:`noise_kinds` -- encoding noise: U+FFFD, UTF-8-read-as-cp1252/latin-1 mojibake, control characters.

Both are heuristics, not parsers: they are documented, deterministic and cheap, and docs/text_curation.md
lists what they miss and what they over-flag.
"""
from __future__ import annotations

import re

TRUNCATION_HEURISTIC = "synthaudit-truncation-v2"
#: endings that always signal a cut: a text never ends on a comma, hyphen, dash or opening bracket
DANGLING = set(",-–—([{<“‘«‹/\\&+")
BRACKETS = (("(", ")"), ("[", "]"), ("{", "}"))
_FENCE = re.compile(r"^[ \t]*(```|~~~)", re.MULTILINE)
#: a last line that is a list item, a heading, a quote attribution or a table row is not prose
_STRUCTURED = re.compile(r"^([-+*•#>―—–]|\d+[.)\-]|[a-zA-Z][.)]\s)")


def truncation_reason(text: str, min_words: int = 8) -> str | None:
    """Why a text looks cut off, or None (``synthaudit-truncation-v2``). In order:

    * ``unclosed_code_fence`` -- an odd number of lines opening/closing a markdown code fence (``` or ~~~);
    * ``unbalanced_brackets`` -- more '(' than ')' (likewise [ ] and { }): something was opened, not closed;
    * ``unbalanced_quotes`` -- more '“' than '”', or an odd number of straight double quotes '"';
    * ``dangling_end`` -- the last visible character is a comma, hyphen/dash, opening bracket/quote, slash,
      backslash, '&' or '+';
    * ``no_terminal_punctuation`` -- a last line of prose (at least ``min_words`` words; not indented code, a
      list item, a heading, a quote attribution or a table row) whose last character is a letter or digit:
      it ends mid-sentence. Short answers, lists, tables and code are not flagged for this (v2: v1 looked at
      the whole text and flagged 26 % of the real Self-Instruct responses, mostly lists and tables).
    """
    body = text.rstrip()
    if not body:
        return None
    if len(_FENCE.findall(body)) % 2:
        return "unclosed_code_fence"
    if any(body.count(o) > body.count(c) for o, c in BRACKETS):
        return "unbalanced_brackets"
    if body.count("“") > body.count("”") or body.count('"') % 2:
        return "unbalanced_quotes"
    last = body[-1]
    if last in DANGLING:
        return "dangling_end"
    last_line = body.splitlines()[-1]
    if (last.isalnum() and len(last_line.split(None, min_words)) >= min_words
            and not last_line.startswith((" ", "\t")) and not _STRUCTURED.match(last_line.strip())
            and "|" not in last_line):
        return "no_terminal_punctuation"
    return None


REPLACEMENT = "\ufffd"
#: UTF-8 read as cp1252/latin-1: 'Ã' + a continuation byte shown as a cp1252 symbol or latin-1 letter
#: (Ã© for é), 'Â' + a latin-1 symbol (Â° Â©, Â+NBSP), 'â€' (curly quotes, dashes: â€™ â€œ), 'â„¢' (™),
#: 'ðŸ' (4-byte emoji), 'Ð'/'Ñ' + a latin-1/cp1252 symbol (Cyrillic)
_CP1252 = "\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc\u2013\u2014\u2018-\u201e\u2020-\u2022" \
          "\u2026\u2030\u2039\u203a\u20ac\u2122"
MOJIBAKE = re.compile(f"Ã[\u00a0-\u00bf{_CP1252}]|Â[\u00a0-\u00bf]|â€|â„¢|ðŸ|[ÐÑ][\u0080-\u00bf{_CP1252}]")
#: C0 controls other than tab, newline, carriage return; DEL; C1 controls (often latin-1-decoded UTF-8)
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\x80-\x9f]")


def noise_kinds(text: str) -> list[str]:
    """The kinds of encoding noise in a text: 'replacement_char', 'mojibake', 'control_chars'."""
    kinds = []
    if not text.isascii():
        if REPLACEMENT in text:
            kinds.append("replacement_char")
        if MOJIBAKE.search(text):
            kinds.append("mojibake")
    if CONTROL.search(text):
        kinds.append("control_chars")
    return kinds
