"""Finite-trace temporal logic for ``agent.safety_sat`` (survey section 7.3, formal safety satisfaction).

One syntax covers LTLf (De Giacomo & Vardi 2013) and discrete-time STL; it follows rtamt's discrete-time syntax
where the two overlap. A *trace* is a mapping signal name -> sequence of numbers or bools, all of one length n;
time is the step index 0..n-1 and bounds ``[a:b]`` count steps.

Grammar, loosest binding first (binary operators at one level bind left to right unless noted)::

    iff      : implies (('iff' | '<->') implies)*
    implies  : or (('implies' | '->') implies)?                right-associative
    or       : and (('or' | '|' | '||') and)*
    and      : until (('and' | '&' | '&&') until)*
    until    : unary (('until' | 'U' | 'release' | 'R') [a:b]? until)?   right-associative
    unary    : ('not' | '!') unary | TEMPORAL [a:b]? unary | '(' iff ')' | atom
    TEMPORAL : always G | eventually F | next X s_next sX | weak_next WX
               | historically H | once O | prev Y s_prev sY | weak_prev Z      ([a:b] on G F H O only)
    atom     : true | false | name | name CMP number | number CMP name | name CMP name
    CMP      : < <= > >= == != (rtamt's !== too)

Names are ASCII: ``[A-Za-z_][A-Za-z0-9_.]*`` (``ego.speed``); unicode names are rejected with a UsageError
(rtamt and flloat accept ASCII only, too). Keywords are case-sensitive; ``Fx`` is a signal, ``F x`` is
"eventually x". Numbers: ``-1.5``, ``.5``, ``2e-3``. Bounds ``[a:b]`` (or ``[a,b]``) are integers 0 <= a <= b.
rtamt's precedence of mixed binary operators is not the textbook one; parenthesise specs meant for both tools.

Semantics on a trace of n >= 1 steps, position t in 0..n-1 (LTLf):

* ``X p`` (strong next) is false at t = n-1; ``WX p`` (weak next) is true there. ``Y``/``prev`` (strong
  previous) is false at t = 0; ``Z``/``weak_prev`` true. Caution: rtamt's ``next``/``X`` and ``prev``/``Y`` are
  the *weak* forms (our ``WX``/``Z``) and its ``s_next``/``sX`` the strong one; here ``next``/``X`` is strong,
  as in LTLf and flloat.
* ``p U q``: some j >= t with q at j and p at every k in [t, j); ``p R q`` = ``!(!p U !q)``.
* ``G[a:b] p`` / ``F[a:b] p``: the window [t+a, t+b] is cut at n-1 (rtamt's convention); an empty window makes G
  true and F false. ``p U[a:b] q`` takes j in the cut window. ``H[a:b]``/``O[a:b]`` look back over [t-b, t-a]
  cut at 0.
* Atoms: ``x OP c`` compares; a bare signal holds when a bool signal is True or a numeric one is > 0.
  A NaN (or None) value makes every atom that reads it false at that step, ``!=`` included (``!(x == c)`` is
  then true).
* The **empty trace** (n = 0, t = 0): atoms, ``false``, ``F``, ``X``, ``Y``, ``U``, ``O`` fail; ``true``, ``G``,
  ``WX``, ``Z``, ``R``, ``H`` hold; ``not`` is boolean negation (so ``!a`` holds). flloat differs here: it
  treats every propositional formula, ``true`` and ``!a`` included, as false on the empty trace.

Quantitative (STL robustness, rtamt's discrete-time offline semantics): ``x >= c`` / ``x > c`` -> x - c,
``x <= c`` / ``x < c`` -> c - x, ``==`` -> -|x - c|, ``!=`` -> |x - c|; not -> -rho, and -> min, or -> max,
implies -> max(-a, b); G -> min and F -> max over the (cut) window, an empty window -> +inf / -inf; until ->
max over j of min(rho_q(j), min over [t, j) of rho_p); strong next at the end -> -inf, weak -> +inf. A bare
numeric signal's robustness is its value (rtamt reads a bare variable so; equal to ``x > 0``); a bool signal
and ``true``/``false`` give +inf / -inf (rtamt's STL grammar has no true/false literal). NaN atoms -> -inf.
``iff`` is min(max(-a, b), max(a, -b)) so its sign matches the boolean value; rtamt uses -|a - b|, which can be
negative when both sides hold. Robustness can be +/-inf (empty windows, bool atoms): average finite values.
"""
from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable

import numpy as np

from synthaudit.errors import InputError, UsageError

__all__ = [
    "Formula",
    "TemporalSpec",
    "check",
    "holds",
    "parse_formula",
    "read_temporal_spec",
    "robustness",
    "robustness_signal",
    "signal_names",
]

INF = math.inf
CMP_OPS = ("<", "<=", ">", ">=", "==", "!=")
_FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}
_UNARY = {"not": "not", "!": "not",
          "always": "always", "G": "always", "eventually": "eventually", "F": "eventually",
          "next": "next", "X": "next", "s_next": "next", "sX": "next", "weak_next": "weak_next", "WX": "weak_next",
          "historically": "historically", "H": "historically", "once": "once", "O": "once",
          "prev": "prev", "Y": "prev", "s_prev": "prev", "sY": "prev", "weak_prev": "weak_prev", "Z": "weak_prev"}
_BOUNDABLE = {"always", "eventually", "historically", "once", "until", "release"}
_BINARY = {"until": "until", "U": "until", "release": "release", "R": "release",
           "and": "and", "&": "and", "&&": "and", "or": "or", "|": "or", "||": "or",
           "implies": "implies", "->": "implies", "iff": "iff", "<->": "iff"}
_CONSTS = {"true": True, "TRUE": True, "True": True, "false": False, "FALSE": False, "False": False}
KEYWORDS = frozenset(k for k in (*_UNARY, *_BINARY, *_CONSTS) if k[0].isalpha())
_SYMBOLS = ("<->", "!==", "&&", "||", "->", "<=", ">=", "==", "!=", "<", ">", "!", "&", "|", "(", ")", "[", "]",
            ":", ",")
_DIGITS = "0123456789"
_TEXT = {"not": "!", "and": "&", "or": "|", "implies": "->", "iff": "<->", "always": "G", "eventually": "F",
         "next": "X", "weak_next": "WX", "until": "U", "release": "R", "historically": "H", "once": "O",
         "prev": "Y", "weak_prev": "Z"}


@dataclass(frozen=True)
class Formula:
    """A parsed formula node. ``op`` is one of true, false, signal (a bare signal ``name``), atom (``name cmp
    value`` or ``name cmp other``), not, and, or, implies, iff, always, eventually, next, weak_next, until,
    release, historically, once, prev, weak_prev; ``lo``/``hi`` are step bounds (None = unbounded)."""

    op: str
    args: tuple[Formula, ...] = ()
    name: str | None = None
    cmp: str | None = None
    value: float | None = None
    other: str | None = None
    lo: int | None = None
    hi: int | None = None

    def __str__(self) -> str:
        if self.op in ("true", "false"):
            return self.op
        if self.op == "signal":
            return str(self.name)
        if self.op == "atom":
            rhs = self.other if self.other is not None else repr(self.value)
            return f"{self.name} {self.cmp} {rhs}"
        bound = f"[{self.lo}:{self.hi}]" if self.lo is not None else ""
        if len(self.args) == 1:
            return f"{_TEXT[self.op]}{bound}({self.args[0]})"
        return f"({self.args[0]}) {_TEXT[self.op]}{bound} ({self.args[1]})"


# ----------------------------------------------------------------------------------------------------- parser

def _tokenize(text: str) -> list[tuple[str, str, int]]:
    """(kind, text, position) tokens; kind is name, num, sym or end."""
    toks: list[tuple[str, str, int]] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
            continue
        if c.isascii() and (c.isalpha() or c == "_"):
            j = i + 1
            while j < n and text[j].isascii() and (text[j].isalnum() or text[j] in "_."):
                j += 1
            if j < n and not text[j].isascii() and text[j].isalnum():
                _syntax(text, j, "an ASCII signal name ([A-Za-z_][A-Za-z0-9_.]*)", text[j])
            toks.append(("name", text[i:j], i))
            i = j
            continue
        if c in _DIGITS or c == "." or (c in "+-" and i + 1 < n and text[i + 1] in _DIGITS + "."):
            j = i + 1 if c in "+-" else i
            while j < n and text[j] in _DIGITS:
                j += 1
            if j < n and text[j] == ".":
                j += 1
                while j < n and text[j] in _DIGITS:
                    j += 1
            if j < n and text[j] in "eE":
                k = j + 1 + (j + 1 < n and text[j + 1] in "+-")
                if k < n and text[k] in _DIGITS:
                    j = k
                    while j < n and text[j] in _DIGITS:
                        j += 1
            try:
                float(text[i:j])
            except ValueError:
                _syntax(text, i, "a number", text[i:j])
            toks.append(("num", text[i:j], i))
            i = j
            continue
        for s in _SYMBOLS:
            if text.startswith(s, i):
                toks.append(("sym", s, i))
                i += len(s)
                break
        else:
            what = "an ASCII signal name ([A-Za-z_][A-Za-z0-9_.]*)" if c.isalpha() else "an operator, name or number"
            _syntax(text, i, what, c)
    toks.append(("end", "", n))
    return toks


def _syntax(text: str, pos: int, expected: str, found: str) -> None:
    shown = repr(found) if found else "end of formula"
    raise UsageError(f"cannot parse temporal formula {text!r}: at character {pos} expected {expected}, found {shown}",
                     hint=f"{text}\n{' ' * (pos + 8)}^")


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.toks = _tokenize(text)
        self.i = 0

    def peek(self) -> tuple[str, str, int]:
        return self.toks[self.i]

    def take(self) -> tuple[str, str, int]:
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def fail(self, expected: str) -> None:
        _, tx, pos = self.peek()
        _syntax(self.text, pos, expected, tx)

    def expect(self, sym: str) -> None:
        kind, tx, _ = self.peek()
        if kind != "sym" or tx != sym:
            self.fail(f"'{sym}'")
        self.i += 1

    def op_at(self, table: Mapping[str, str], ops: tuple[str, ...]) -> str | None:
        kind, tx, _ = self.peek()
        if kind in ("name", "sym") and table.get(tx) in ops:
            return table[tx]
        return None

    def parse(self) -> Formula:
        f = self.iff()
        if self.peek()[0] != "end":
            self.fail("a binary operator or the end of the formula")
        return f

    def _left(self, ops: tuple[str, ...], sub: Callable[[], Formula]) -> Formula:
        f = sub()
        while (op := self.op_at(_BINARY, ops)) is not None:
            self.i += 1
            f = Formula(op, (f, sub()))
        return f

    def iff(self) -> Formula:
        return self._left(("iff",), self.implies)

    def implies(self) -> Formula:
        f = self.or_()
        if self.op_at(_BINARY, ("implies",)):
            self.i += 1
            f = Formula("implies", (f, self.implies()))
        return f

    def or_(self) -> Formula:
        return self._left(("or",), self.and_)

    def and_(self) -> Formula:
        return self._left(("and",), self.until)

    def until(self) -> Formula:
        f = self.unary()
        op = self.op_at(_BINARY, ("until", "release"))
        if op is not None:
            self.i += 1
            lo, hi = self.bound()
            f = Formula(op, (f, self.until()), lo=lo, hi=hi)
        return f

    def bound(self) -> tuple[int | None, int | None]:
        kind, tx, _ = self.peek()
        if kind != "sym" or tx != "[":
            return None, None
        self.i += 1
        lo = self.integer()
        kind, tx, _ = self.peek()
        if kind != "sym" or tx not in (":", ","):
            self.fail("':' between the bounds")
        self.i += 1
        pos = self.peek()[2]
        hi = self.integer()
        if hi < lo:
            _syntax(self.text, pos, f"an upper bound >= the lower bound {lo}", str(hi))
        self.expect("]")
        return lo, hi

    def integer(self) -> int:
        kind, tx, pos = self.peek()
        if kind != "num" or not tx.lstrip("+").isdigit():
            self.fail("a non-negative integer step bound")
        self.i += 1
        return int(tx)

    def unary(self) -> Formula:
        kind, tx, pos = self.peek()
        op = _UNARY.get(tx) if kind in ("name", "sym") else None
        if op is not None:
            self.i += 1
            lo, hi = self.bound() if op in _BOUNDABLE else (None, None)
            return Formula(op, (self.unary(),), lo=lo, hi=hi)
        if kind == "sym" and tx == "(":
            self.i += 1
            f = self.iff()
            self.expect(")")
            return f
        return self.atom()

    def atom(self) -> Formula:
        kind, tx, pos = self.take()
        if kind == "name" and tx in _CONSTS:
            return Formula("true" if _CONSTS[tx] else "false")
        if kind == "name" and tx in KEYWORDS:
            self.i -= 1
            self.fail("a signal name, number, 'true', 'false', '(' or a unary operator")
        if kind not in ("name", "num"):
            self.i -= 1
            self.fail("a signal name, number, 'true', 'false', '(' or a unary operator")
        k2, cmp, _ = self.peek()
        if k2 == "sym" and cmp == "!==":
            cmp = "!="
        if k2 != "sym" or cmp not in CMP_OPS:
            if kind == "name":
                return Formula("signal", name=tx)
            self.fail("a comparison operator (< <= > >= == !=) after the number")
        self.i += 1
        k3, rhs, _ = self.take()
        if k3 not in ("name", "num") or (k3 == "name" and rhs in KEYWORDS) or (kind == "num" and k3 == "num"):
            self.i -= 1
            self.fail("a signal name" if kind == "num" else "a number or a signal name")
        if kind == "num":
            return Formula("atom", name=rhs, cmp=_FLIP[cmp], value=float(tx))
        if k3 == "num":
            return Formula("atom", name=tx, cmp=cmp, value=float(rhs))
        return Formula("atom", name=tx, cmp=cmp, other=rhs)


@lru_cache(maxsize=512)
def _parse_cached(text: str) -> Formula:
    return _Parser(text).parse()


def parse_formula(formula: str | Formula) -> Formula:
    """Parse ``formula`` (a string in the syntax above; a Formula passes through). Errors -> UsageError."""
    if isinstance(formula, Formula):
        return formula
    if not isinstance(formula, str):
        raise UsageError(f"a temporal formula must be a string, got {type(formula).__name__}")
    return _parse_cached(formula)


def signal_names(formula: str | Formula) -> set[str]:
    """The signal names ``formula`` reads."""
    f = parse_formula(formula)
    out = {n for n in (f.name, f.other) if n is not None}
    for a in f.args:
        out |= signal_names(a)
    return out


def _has_numeric_atom(f: Formula) -> bool:
    return f.op == "atom" or any(_has_numeric_atom(a) for a in f.args)


# ---------------------------------------------------------------------------------------------- evaluation

def _signals(f: Formula, trace: Mapping[str, Any]) -> tuple[dict[str, np.ndarray], int]:
    """The arrays of the signals ``f`` reads, and the trace length."""
    if not isinstance(trace, Mapping):
        raise InputError(f"a trace must be a mapping signal name -> sequence of values, got {type(trace).__name__}")
    lengths: dict[str, int] = {}
    for key, seq in trace.items():
        try:
            lengths[str(key)] = len(seq)
        except TypeError:
            raise InputError(f"signal '{key}' must be a sequence of numbers or bools, got {type(seq).__name__}",
                             field=str(key)) from None
    if len(set(lengths.values())) > 1:
        shown = ", ".join(f"{k}={v}" for k, v in lengths.items())
        raise InputError(f"all signals of a trace must have the same length, got {shown}")
    n = next(iter(lengths.values()), 0)
    arrays: dict[str, np.ndarray] = {}
    for name in sorted(signal_names(f)):
        if name not in trace:
            known = ", ".join(sorted(lengths)) or "none"
            raise UsageError(f"the formula {str(f)!r} reads signal '{name}', which the trace lacks (signals: {known})",
                             field=name)
        raw = trace[name]
        arr = np.asarray(raw)
        if arr.dtype != bool:
            try:
                arr = np.asarray(raw, dtype=float)
            except (TypeError, ValueError):
                raise InputError(f"signal '{name}' must hold numbers or bools (None/NaN for missing)",
                                 field=name) from None
        if arr.ndim != 1:
            raise InputError(f"signal '{name}' must be one value per step, got shape {arr.shape}", field=name)
        arrays[name] = arr
    return arrays, n


def _atom_robustness(f: Formula, sig: Mapping[str, np.ndarray]) -> np.ndarray:
    x = sig[str(f.name)]
    if f.op == "signal":
        if x.dtype == bool:
            return np.where(x, INF, -INF)
        return np.where(np.isnan(x), -INF, x)
    y = sig[f.other] if f.other is not None else float(f.value)  # type: ignore[arg-type]
    with np.errstate(invalid="ignore"):
        d = x.astype(float) - (y.astype(float) if isinstance(y, np.ndarray) else y)
        rho = {">=": d, ">": d, "<=": -d, "<": -d, "==": -np.abs(d), "!=": np.abs(d)}[str(f.cmp)]
        bad = np.isnan(x.astype(float)) | (np.isnan(y.astype(float)) if isinstance(y, np.ndarray) else np.isnan(y))
    return np.where(bad, -INF, np.nan_to_num(rho, nan=-INF, posinf=INF, neginf=-INF))


def _atom_truth(f: Formula, sig: Mapping[str, np.ndarray]) -> np.ndarray:
    x = sig[str(f.name)]
    if f.op == "signal":
        ok = x if x.dtype == bool else np.greater(x, 0)
    else:
        xv = x.astype(float)
        y = sig[f.other].astype(float) if f.other is not None else float(f.value)  # type: ignore[arg-type]
        with np.errstate(invalid="ignore"):
            cmp = {"<": np.less, "<=": np.less_equal, ">": np.greater, ">=": np.greater_equal, "==": np.equal,
                   "!=": np.not_equal}[str(f.cmp)]
            ok = cmp(xv, y) & ~np.isnan(xv) & ~np.isnan(y)
    return np.where(ok, INF, -INF)


def _shift(x: np.ndarray, m: int, fill: float) -> np.ndarray:
    """y[i] = x[i + m] (m >= 0), ``fill`` past the end."""
    n = len(x)
    if m >= n:
        return np.full(n, fill)
    return np.concatenate([x[m:], np.full(m, fill)])


def _window(x: np.ndarray, lo: int, hi: int, reduce: Callable, ident: float) -> np.ndarray:
    """out[i] = reduce(x[i+lo .. i+hi] cut at the end), ``ident`` for an empty window; O(n log(hi - lo))."""
    n = len(x)
    w = min(hi - lo + 1, n)
    y = np.concatenate([_shift(x, lo, ident), np.full(w - 1, ident)])
    p, cur = 1, y
    while 2 * p <= w:  # cur[i] = reduce(y[i : i + 2p])
        cur = reduce(cur[:-p], cur[p:])
        p *= 2
    return reduce(cur[:n], cur[w - p: w - p + n])


def _until(a: np.ndarray, b: np.ndarray, lo: int | None, hi: int | None) -> np.ndarray:
    n = len(a)
    if lo is None:
        out = [0.0] * n
        nxt = -INF
        al, bl = a.tolist(), b.tolist()
        for i in range(n - 1, -1, -1):
            nxt = max(bl[i], min(al[i], nxt))
            out[i] = nxt
        return np.asarray(out, dtype=float)
    out_arr = np.full(n, -INF)
    left = np.full(n, INF)  # min of a over [i, i + m)
    for m in range(min(int(hi), n - 1) + 1):  # type: ignore[arg-type]
        if m >= lo:
            out_arr = np.maximum(out_arr, np.minimum(_shift(b, m, -INF), left))
        left = np.minimum(left, _shift(a, m, INF))
    return out_arr


def _eval(f: Formula, n: int, atom: Callable[[Formula], np.ndarray], memo: dict[Formula, np.ndarray]) -> np.ndarray:
    if f in memo:
        return memo[f]
    op = f.op
    kids = [_eval(a, n, atom, memo) for a in f.args]
    if op == "true":
        r = np.full(n, INF)
    elif op == "false":
        r = np.full(n, -INF)
    elif op in ("atom", "signal"):
        r = atom(f)
    elif op == "not":
        r = -kids[0]
    elif op == "and":
        r = np.minimum(kids[0], kids[1])
    elif op == "or":
        r = np.maximum(kids[0], kids[1])
    elif op == "implies":
        r = np.maximum(-kids[0], kids[1])
    elif op == "iff":
        r = np.minimum(np.maximum(-kids[0], kids[1]), np.maximum(kids[0], -kids[1]))
    elif op in ("always", "eventually"):
        red, ident = (np.minimum, INF) if op == "always" else (np.maximum, -INF)
        if f.lo is None:
            r = red.accumulate(kids[0][::-1])[::-1] if n else kids[0]
        else:
            r = _window(kids[0], f.lo, int(f.hi), red, ident)  # type: ignore[arg-type]
    elif op in ("historically", "once"):
        red, ident = (np.minimum, INF) if op == "historically" else (np.maximum, -INF)
        if f.lo is None:
            r = red.accumulate(kids[0]) if n else kids[0]
        else:
            r = _window(kids[0][::-1], f.lo, int(f.hi), red, ident)[::-1]  # type: ignore[arg-type]
    elif op in ("next", "weak_next"):
        r = _shift(kids[0], 1, -INF if op == "next" else INF)
    elif op in ("prev", "weak_prev"):
        r = _shift(kids[0][::-1], 1, -INF if op == "prev" else INF)[::-1]
    elif op == "until":
        r = _until(kids[0], kids[1], f.lo, f.hi)
    elif op == "release":
        r = -_until(-kids[0], -kids[1], f.lo, f.hi)
    else:  # pragma: no cover - the parser makes no other node
        raise UsageError(f"unknown temporal operator {op!r}")
    r = np.ascontiguousarray(r, dtype=float)
    memo[f] = r
    return r


_EMPTY_TRUE = {"true", "always", "weak_next", "weak_prev", "release", "historically"}
_EMPTY_FALSE = {"false", "atom", "signal", "eventually", "next", "prev", "until", "once"}


def _empty(f: Formula) -> float:
    """The value on the empty trace (see the module docstring): +inf holds, -inf fails."""
    if f.op in _EMPTY_TRUE:
        return INF
    if f.op in _EMPTY_FALSE:
        return -INF
    v = [_empty(a) for a in f.args]
    if f.op == "not":
        return -v[0]
    if f.op == "and":
        return min(v)
    if f.op == "or":
        return max(v)
    if f.op == "implies":
        return max(-v[0], v[1])
    return min(max(-v[0], v[1]), max(v[0], -v[1]))  # iff


def _position(t: int, n: int) -> int:
    if isinstance(t, bool) or not isinstance(t, (int, np.integer)) or not 0 <= t < max(n, 1):
        raise UsageError(f"the evaluation step t must be an integer in [0, {max(n - 1, 0)}] for a trace of {n} "
                         f"steps, got {t!r}", field="t")
    return int(t)


def robustness_signal(formula: str | Formula, trace: Mapping[str, Any]) -> np.ndarray:
    """STL robustness of ``formula`` at every step 0..n-1 (bottom-up, each subformula once)."""
    f = parse_formula(formula)
    sig, n = _signals(f, trace)
    if n == 0:
        return np.empty(0)
    return _eval(f, n, lambda a: _atom_robustness(a, sig), {})


def robustness(formula: str | Formula, trace: Mapping[str, Any], t: int = 0) -> float:
    """Discrete-time STL robustness of ``formula`` on ``trace`` at step ``t`` (rtamt's conventions, see module
    docstring; the empty trace gives +inf or -inf)."""
    f = parse_formula(formula)
    sig, n = _signals(f, trace)
    t = _position(t, n)
    if n == 0:
        return _empty(f)
    return float(_eval(f, n, lambda a: _atom_robustness(a, sig), {})[t])


def holds(formula: str | Formula, trace: Mapping[str, Any], t: int = 0) -> bool:
    """LTLf truth of ``formula`` on the finite ``trace`` at step ``t`` (boolean atoms; see module docstring)."""
    f = parse_formula(formula)
    sig, n = _signals(f, trace)
    t = _position(t, n)
    if n == 0:
        return _empty(f) > 0
    return bool(_eval(f, n, lambda a: _atom_truth(a, sig), {})[t] > 0)


# ------------------------------------------------------------------------------------------------ specs

@dataclass(frozen=True)
class TemporalSpec:
    """A named formula; ``logic`` is "ltlf" (boolean) or "stl" (robustness)."""

    name: str
    text: str
    formula: Formula
    logic: str


def check(spec: TemporalSpec, trace: Mapping[str, Any]) -> dict[str, Any]:
    """{"satisfied": bool, "robustness": float | None} for one trace at step 0. For STL, satisfied means
    robustness >= 0, so a strict atom met with equality (``x > 3`` at x = 3, robustness 0) counts as satisfied,
    as in rtamt and standard STL; ``holds`` would call it false. For LTLf, satisfied = ``holds`` and robustness
    is None."""
    if spec.logic == "stl":
        rho = robustness(spec.formula, trace)
        return {"satisfied": bool(rho >= 0), "robustness": rho}
    return {"satisfied": holds(spec.formula, trace), "robustness": None}


_LOGICS = {"stl": "stl", "ltlf": "ltlf", "ltl": "ltlf"}


def _make_spec(name: str, formula: Any, logic: Any, where: str | None) -> TemporalSpec:
    if not isinstance(formula, str):
        raise InputError(f"temporal spec '{name}': the formula must be a string, got {type(formula).__name__}",
                         file=where, field=name)
    try:
        parsed = parse_formula(formula)
    except UsageError as e:
        raise UsageError(f"temporal spec '{name}': {e.message}", file=where, hint=e.hint) from None
    if logic is None:
        logic = "stl" if _has_numeric_atom(parsed) else "ltlf"
    if not isinstance(logic, str) or logic.lower() not in _LOGICS:
        raise InputError(f"temporal spec '{name}': logic must be 'ltlf' or 'stl', got {logic!r}", file=where,
                         field=name)
    return TemporalSpec(name=str(name), text=formula, formula=parsed, logic=_LOGICS[logic.lower()])


def _load_file(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"cannot read the temporal spec file: {e}", file=str(path)) from None
    try:
        if path.suffix.lower() == ".json":
            return json.loads(text)
        import yaml

        return yaml.safe_load(text)
    except Exception as e:  # json.JSONDecodeError, yaml.YAMLError
        raise InputError(f"the temporal spec file is not valid {path.suffix.lstrip('.').upper() or 'YAML'}: {e}",
                         file=str(path)) from None


def _looks_like_path(s: str) -> bool:
    if s.lower().endswith((".json", ".yaml", ".yml")):
        return True
    try:
        return "\n" not in s and len(s) < 1024 and Path(s).is_file()
    except OSError:
        return False


def read_temporal_spec(obj: Any, *, _where: str | None = None) -> list[TemporalSpec]:
    """Specs from a formula string, a list of strings, a mapping {name: formula}, a list of {"name", "formula",
    "logic"} records, {"specs": <any of those>}, or a path to a JSON/YAML file holding one of those. ``logic``
    defaults to "stl" when some atom compares against a value, else "ltlf"."""
    if isinstance(obj, Path) or (isinstance(obj, str) and _where is None and _looks_like_path(obj)):
        path = Path(obj)
        return read_temporal_spec(_load_file(path), _where=str(path))
    if isinstance(obj, str):
        specs = [_make_spec("phi", obj, None, _where)]
    elif isinstance(obj, Mapping):
        if "specs" in obj:
            return read_temporal_spec(obj["specs"], _where=_where or "<specs>")
        if "formula" in obj:
            specs = [_record(obj, 0, _where)]
        else:
            specs = []
            for name, val in obj.items():
                if isinstance(val, Mapping):
                    specs.append(_record({"name": name, **val}, 0, _where))
                else:
                    specs.append(_make_spec(str(name), val, None, _where))
    elif isinstance(obj, Sequence) and not isinstance(obj, (bytes, bytearray)):
        specs = [_make_spec(f"phi_{i + 1}", item, None, _where) if not isinstance(item, Mapping)
                 else _record(item, i, _where) for i, item in enumerate(obj)]
    else:
        raise InputError(f"a temporal spec must be a formula string, a list, a mapping or a JSON/YAML file path, got "
                         f"{type(obj).__name__}", file=_where)
    if not specs:
        raise InputError("the temporal spec holds no formula", file=_where)
    names = [s.name for s in specs]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise InputError(f"temporal spec names must be unique, repeated: {', '.join(dupes)}", file=_where)
    return specs


def _record(rec: Mapping[str, Any], i: int, where: str | None) -> TemporalSpec:
    name = str(rec.get("name", f"phi_{i + 1}"))
    if "formula" not in rec:
        raise InputError(f"temporal spec '{name}' has no 'formula' field (fields: {', '.join(map(str, rec))})",
                         file=where, field=name)
    return _make_spec(name, rec["formula"], rec.get("logic"), where)
