"""Final-answer extraction from a solution text (survey section 3.2, the y_i of f_check(q_i, c_i, y_i)).

Rules, first match wins (``extract_answer`` returns the raw answer string and ``answer_rule`` which rule fired):

1. ``boxed``: the last ``\\boxed{...}`` / ``\\fbox{...}`` with balanced braces (``\\boxed 5`` too);
2. ``hashes``: the last GSM8K ``#### X`` line;
3. ``answer_is``: the last "the answer is X" / "final answer: X" / "answer: X" (X up to the end of the line,
   cut at the end of the sentence; a ``$...$`` inside is unwrapped);
4. ``whole``: the whole text when it is itself a short formula (one line, no English word of 3+ letters outside
   LaTeX commands), e.g. a MATH gold answer ``\\frac{1}{2}`` or ``(1, 2]``;
5. ``math``: the last inline formula ``$...$``, ``\\(...\\)``, ``\\[...\\]`` that looks like a formula, right of
   its last ``=``;
6. ``last_number``: the last number (thousands separators, decimals, ``a/b``, a trailing ``%``).

All scans are linear in the text length (no backtracking regular expressions over untrusted text).
"""
from __future__ import annotations

import re

_TRANSLATE = str.maketrans({
    "\u2212": "-", "\u2013": "-", "\u2014": "-", "\u00a0": " ", "\u2009": " ", "\u202f": " ", "\u3000": " ",
    "\u00d7": r"\times ", "\u00f7": r"\div ", "\u03c0": r"\pi ", "\u221e": r"\infty ", "\u221a": r"\sqrt",
    "\u00b0": r"^\circ ", "\u2264": r"\le ", "\u2265": r"\ge ", "\u00b2": "^2", "\u00b3": "^3", "\u222a": r"\cup ",
    "\u00bd": "1/2", "\u00bc": "1/4", "\u00be": "3/4", "\uff05": "%", "\uff0c": ",", "\uff0e": ".",
    **{chr(0xFF10 + i): str(i) for i in range(10)},  # full-width digits
})

_BOX = re.compile(r"\\(?:boxed|fbox)\b")
_HASHES = re.compile(r"^[ \t]*####[ \t]*(.*)$", re.M)
_ANSWER_IS = re.compile(r"(?:answer\s+is|answer\s*:|answer\s+is\s*:)[\s*:]*", re.I)
_NUMBER = re.compile(
    r"(?<![\w.])-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:\s*/\s*\d+(?:\.\d+)?)?\s*%?"
    r"|(?<![\w.])-?\.\d+\s*%?")
_WORD = re.compile(r"(?<![\\A-Za-z])[A-Za-z]{3,}")
_TEXT_ARG = re.compile(r"\\(?:text|textbf|textit|mathrm|mbox|operatorname|mathbf)\s*\{[^{}]*\}")
_MATH_SEGMENTS = re.compile(r"\$\$(.+?)\$\$|\$([^$]+?)\$|\\\((.+?)\\\)|\\\[(.+?)\\\]", re.S)


def clean_text(text: str) -> str:
    """Map unicode look-alikes (minus signs, full-width digits, x, pi, degree, no-break spaces) to ASCII/LaTeX."""
    return text.translate(_TRANSLATE)


def _balanced(text: str, start: int) -> tuple[str, int] | None:
    """Content of the brace group opening at ``text[start] == '{'`` and the index after it; None if unclosed."""
    depth = 0
    for i in range(start, len(text)):
        c = text[i]
        if c == "\\":
            continue
        if c == "{" and (i == 0 or text[i - 1] != "\\"):
            depth += 1
        elif c == "}" and (i == 0 or text[i - 1] != "\\"):
            depth -= 1
            if depth == 0:
                return text[start + 1:i], i + 1
    return None


def last_boxed(text: str) -> str | None:
    """Content of the last balanced ``\\boxed{...}`` / ``\\fbox{...}`` (or ``\\boxed X``)."""
    starts = [m.end() for m in _BOX.finditer(text)]
    for pos in reversed(starts):
        j = pos
        while j < len(text) and text[j] == " ":
            j += 1
        if j < len(text) and text[j] == "{":
            got = _balanced(text, j)
            if got is not None:
                return got[0].strip()
        elif j > pos:  # "\boxed 5"
            m = re.match(r"[^\s$]+", text[j:])
            if m:
                return m.group(0)
    return None


def looks_like_formula(s: str) -> bool:
    """True for a short one-line string with no English word of 3+ letters outside LaTeX commands/\\text{}."""
    if not s or len(s) > 200 or "\n" in s:
        return False
    bare = _TEXT_ARG.sub(" ", s)
    return _WORD.search(bare) is None


def _strip_delims(s: str) -> str:
    s = s.strip()
    for a, b in (("$$", "$$"), ("$", "$"), ("\\(", "\\)"), ("\\[", "\\]")):
        if len(s) >= len(a) + len(b) and s.startswith(a) and s.endswith(b):
            return s[len(a):len(s) - len(b)].strip()
    return s


def _after_answer_is(rest: str) -> str | None:
    line = rest.split("\n", 1)[0].strip().strip("*").strip()
    if not line:
        return None
    if line.startswith("$") or line.startswith("\\(") or line.startswith("\\["):
        m = _MATH_SEGMENTS.match(line)
        if m:
            return next(g for g in m.groups() if g is not None).strip()
    m = re.search(r"\.(?:\s|$)|[;!?]", line)  # end of sentence (a decimal point has a digit after it)
    if m:
        line = line[:m.start()]
    line = line.strip().rstrip(".").strip()
    return line or None


def _right_of_eq(s: str) -> str:
    # the right-hand side of the last "=" (not "\le=", not "==" halves)
    depth, cut = 0, -1
    for i, c in enumerate(s):
        if c in "({[":
            depth += 1
        elif c in ")}]":
            depth -= 1
        elif c == "=" and depth == 0:
            cut = i
    return s[cut + 1:].strip() if cut >= 0 and s[cut + 1:].strip() else s


def extract_with_rule(text: str | None) -> tuple[str | None, str]:
    """(answer, rule) following the rules of the module docstring; (None, "none") when nothing is found."""
    if text is None:
        return None, "none"
    text = clean_text(str(text))
    if not text.strip():
        return None, "none"
    boxed = last_boxed(text)
    if boxed:
        return boxed, "boxed"
    hashes = _HASHES.findall(text)
    if hashes and hashes[-1].strip():
        return hashes[-1].strip(), "hashes"
    answers = list(_ANSWER_IS.finditer(text))
    for m in reversed(answers):
        got = _after_answer_is(text[m.end():])
        if got:
            return got, "answer_is"
    whole = _strip_delims(text)
    if looks_like_formula(whole):
        return whole, "whole"
    for m in reversed(list(_MATH_SEGMENTS.finditer(text))):
        seg = next(g for g in m.groups() if g is not None).strip()
        if seg and looks_like_formula(seg) and re.search(r"[\d\\]", seg):
            return _right_of_eq(seg), "math"
    numbers = list(_NUMBER.finditer(text))
    if numbers:
        return numbers[-1].group(0).strip(), "last_number"
    return None, "none"


def extract_answer(text: str | None) -> str | None:
    """The raw final answer of ``text`` (survey section 3.2), or None when no rule finds one."""
    return extract_with_rule(text)[0]
