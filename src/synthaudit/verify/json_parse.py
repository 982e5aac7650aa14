"""Parsing generated JSON under a stated policy (survey section 5.2, ValidJSONRate and CorrectnessRate).

Three policies, each a documented function of the raw text (docs/json.md):

* ``strict``: RFC 8259 as Python's ``json`` reads it, with NaN, Infinity and -Infinity refused (they are not JSON);
  whitespace around the value is allowed, nothing else.
* ``fence`` (the catalog default): ``strict`` after removing one markdown code fence that surrounds the whole
  answer (```` ```json ... ``` ```` or a bare ```` ``` ````); prose around the fence is not removed.
* ``lenient``: what a forgiving consumer recovers: the first fenced block anywhere, else the first balanced
  ``{...}`` or ``[...]`` in the text, then trailing commas before ``}`` or ``]`` removed. Each repair is named.

Duplicate keys are accepted as ``json.loads`` and JavaScript's ``JSON.parse`` accept them (the last value wins)
and are counted (``Parsed.duplicate_keys``). Text nested deeper than ``MAX_DEPTH`` is refused without recursion.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from synthaudit.data.files import json_depth

POLICIES = ("strict", "fence", "lenient")
DEFAULT_POLICY = "fence"
MAX_DEPTH = 500

_FENCE_WHOLE = re.compile(r"\A```[ \t]*([A-Za-z0-9_+-]*)[ \t]*\r?\n(.*?)\r?\n?```\Z", re.DOTALL)
_FENCE_ANY = re.compile(r"```[ \t]*([A-Za-z0-9_+-]*)[ \t]*\r?\n(.*?)```", re.DOTALL)
_TRAILING_COMMA = re.compile(r",(\s*[}\]])")


@dataclass(frozen=True)
class Parsed:
    """The outcome of parsing one text: ``ok``, the value, why not (``error``), the repairs applied (lenient),
    and how many duplicate keys the text held."""

    ok: bool
    value: Any = None
    error: str | None = None
    repairs: tuple[str, ...] = ()
    duplicate_keys: int = 0


class _Refused(ValueError):
    pass


def _constant(name: str) -> Any:
    raise _Refused(f"{name} is not a JSON value")


def _loads(text: str) -> tuple[Any, int]:
    dups = 0

    def pairs(items: list[tuple[str, Any]]) -> dict:
        nonlocal dups
        out: dict = {}
        for k, v in items:
            if k in out:
                dups += 1
            out[k] = v
        return out

    if text.count("[") + text.count("{") > MAX_DEPTH and json_depth(text) > MAX_DEPTH:
        raise _Refused(f"nested deeper than {MAX_DEPTH} levels")
    try:
        value = json.loads(text, parse_constant=_constant, object_pairs_hook=pairs)
    except json.JSONDecodeError as exc:
        raise _Refused(f"{exc.msg} at line {exc.lineno}, column {exc.colno}") from None
    except RecursionError:
        raise _Refused(f"nested deeper than {MAX_DEPTH} levels") from None
    return value, dups


def strip_fence(text: str) -> tuple[str, bool]:
    """The inside of one code fence surrounding the whole (stripped) text, and whether there was one."""
    m = _FENCE_WHOLE.match(text.strip())
    return (m.group(2), True) if m else (text, False)


def _balanced(text: str) -> str | None:
    """The first balanced ``{...}`` or ``[...]`` span of ``text`` (brackets inside strings skipped)."""
    starts = [i for i in (text.find("{"), text.find("[")) if i >= 0]
    if not starts:
        return None
    start = min(starts)
    depth, in_str, esc = 0, False, False
    for i in range(start, len(text)):
        c = text[i]
        if in_str:
            if esc:
                esc = False
            elif c == "\\":
                esc = True
            elif c == '"':
                in_str = False
        elif c == '"':
            in_str = True
        elif c in "{[":
            depth += 1
        elif c in "}]":
            depth -= 1
            if depth == 0:
                return text[start:i + 1]
    return None


def parse(raw: str | None, policy: str = DEFAULT_POLICY) -> Parsed:
    """Parse one generated text under ``policy`` (strict, fence, lenient)."""
    if policy not in POLICIES:
        raise ValueError(f"unknown JSON parse policy {policy!r}; expected one of {', '.join(POLICIES)}")
    if raw is None:
        return Parsed(False, error="no output (missing value)")
    if not isinstance(raw, str):
        raise TypeError(f"expected text, got {type(raw).__name__}")
    if not raw.strip():
        return Parsed(False, error="empty output")
    text, repairs = raw, []
    if policy in ("fence", "lenient"):
        text, fenced = strip_fence(raw)
        if fenced:
            repairs.append("code fence removed")
    try:
        value, dups = _loads(text)
        return Parsed(True, value, None, tuple(repairs), dups)
    except _Refused as exc:
        first_error = str(exc)
    if policy != "lenient":
        return Parsed(False, error=first_error)
    candidate = text
    m = _FENCE_ANY.search(raw)
    if m and not repairs:
        candidate, repairs = m.group(2), ["code fence extracted from prose"]
    else:
        span = _balanced(text)
        if span is not None and span.strip() != text.strip():
            candidate = span
            repairs.append("surrounding prose removed")
    fixed = _TRAILING_COMMA.sub(r"\1", candidate)
    if fixed != candidate:
        repairs.append("trailing comma removed")
    try:
        value, dups = _loads(fixed)
        return Parsed(True, value, None, tuple(repairs), dups)
    except _Refused as exc:
        return Parsed(False, error=f"{first_error} (lenient repairs did not help: {exc})", repairs=tuple(repairs))
