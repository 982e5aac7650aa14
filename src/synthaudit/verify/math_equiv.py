"""Answer normalisation and equivalence (survey section 3.2, the comparison inside f_check).

Order of the rules (the first that can decide, decides):

1. ``numeric``: both answers are plain numbers (integer, decimal, ``a/b``, ``\\frac{a}{b}``, mixed number,
   percent, thousands separators, scientific notation ``1.5e3`` / ``1.5\\times10^{3}``); exact comparison with
   :class:`fractions.Fraction`, then relative tolerance. A percent matches its value (50% = 0.5) and its
   written number (50% = 50).
2. ``set`` / ``interval`` / ``tuple``: ``\\{a, b\\}`` and bare lists ``a, b`` compare as multisets, ``(a, b]``
   and ``[a, b)`` as intervals (brackets must match), ``(a, b)`` as a tuple (an open interval reads the same),
   unions ``A \\cup B`` piecewise; elements by these same rules.
3. ``string``: equal canonical strings, or text answers (a word of 3+ letters) compared case-insensitively.
4. ``symbolic``: the rest goes to sympy, parsed by latex2sympy2_extended (an ANTLR grammar that builds sympy
   objects; no ``sympify``/``parse_expr``/``eval`` of the text), compared by numeric evaluation when there is
   no free symbol, otherwise at random points and by ``simplify(a - b) == 0``. This step runs only in the worker
   processes of :mod:`synthaudit.verify.deadline` (see :func:`handle`).

Pure Python (no sympy import) except :func:`symbolic_equal` and :func:`handle`.
"""
from __future__ import annotations

import math
import random
import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

MAX_EXP = 300  # larger powers of ten go to the symbolic path (under its deadline), never to Fraction here
MAX_DIGITS = 4000

# --------------------------------------------------------------------------------------------- cleaning
_UNIT_WORDS = (
    "dollars?|cents?|euros?|pounds?|yuan|rupees?|units?|square|sq|cubic|cm|mm|km|m|meters?|metres?|"
    "kilometers?|centimeters?|inch(?:es)?|in|feet|foot|ft|yards?|miles?|mph|kg|g|grams?|kilograms?|lbs?|ounces?|"
    "oz|liters?|litres?|l|ml|gallons?|hours?|hrs?|h|minutes?|mins?|seconds?|secs?|s|days?|weeks?|months?|years?|"
    "degrees?|percent|points?|people|students?|apples?|eggs?|items?|pieces?|times|ways")
_TRAILING_UNITS = re.compile(rf"(?<=[\d}}])\s*(?:(?:{_UNIT_WORDS})\b\.?(?:\^?[23])?\s*)+$", re.I)
_TEXT = re.compile(r"\\(?:text|textbf|textit|textrm|mathrm|mbox|mathbf|boldsymbol|operatorname)\s*\{([^{}]*)\}")
_SIMPLE_LHS = re.compile(r"^\s*[A-Za-z](?:_\{?\w+\}?)?(?:\([A-Za-z]\))?\s*=(?!=)")
_SPACES = re.compile(r"\\[,;:! ]|\\q?quad|~|\\(?:displaystyle|textstyle|left|right|big|Big|bigg|Bigg)(?![A-Za-z])")


def clean(ans: str) -> str:
    """Canonical LaTeX-ish form of an extracted answer: delimiters, spacing, ``\\dfrac``, units, degrees,
    currency, ``x =`` prefixes and trailing periods removed; used as the comparison input and the display form."""
    s = ans.strip()
    for a, b in (("$$", "$$"), ("$", "$"), ("\\(", "\\)"), ("\\[", "\\]")):
        if s.startswith(a) and s.endswith(b) and len(s) >= len(a) + len(b):
            s = s[len(a):len(s) - len(b)]
    s = re.sub(r"(\d)\{,\}(\d)", r"\1,\2", s)
    s = re.sub(r"(\d)\\[,!]\s?(\d{3})(?!\d)", r"\1\2", s)  # 1\,000 thin space
    s = _SPACES.sub(" ", s)
    s = re.sub(r"\\[dt]frac", r"\\frac", s)
    s = re.sub(r"\^\s*\{?\s*\\circ\s*\}?|\\degree\b|\^\{\\circ\}", "", s)
    s = s.replace("\\%", "%").replace("\\$", "").replace("$", "")
    # \text{...} right after a number is a unit; elsewhere its content is the answer
    s = re.sub(r"(?<=[\d}])\s*\\(?:text|mbox|mathrm)\s*\{\s*[A-Za-z][A-Za-z .^/\d-]*\}", "", s)
    while True:
        t = _TEXT.sub(lambda m: m.group(1), s)
        if t == s:
            break
        s = t
    s = s.strip().rstrip(".").strip()
    s = _TRAILING_UNITS.sub("", s).strip()
    s = re.sub(r"^(?:\$|USD|Rs\.?)\s*", "", s).strip()
    if _SIMPLE_LHS.match(s) and "," not in s.split("=", 1)[0]:
        s = s.split("=", 1)[1].strip()
    s = re.sub(r"\s+", " ", s)
    m = re.fullmatch(r"\(?\s*([A-Ea-e])\s*\)", s)  # multiple-choice "(B)"
    return m.group(1).upper() if m else s


# --------------------------------------------------------------------------------------------- numbers
@dataclass(frozen=True)
class Num:
    """A plain number: exact value and whether it was written as a percent."""

    value: Fraction
    pct: bool = False

    def forms(self) -> tuple[Fraction, ...]:
        return (self.value, self.value * 100) if self.pct else (self.value,)


_DEC = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)"
_RE_DEC = re.compile(rf"{_DEC}(?:[eE][+-]?\d+)?")
_RE_THOUS = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?")
_RE_SCI = re.compile(rf"({_DEC})\s*(?:\\times|\\cdot|\*|x)\s*10\s*\^\s*\{{?\s*([+-]?\d+)\s*\}}?")
_RE_POW10 = re.compile(r"10\s*\^\s*\{?\s*([+-]?\d+)\s*\}?")
_RE_SLASH = re.compile(rf"({_DEC})\s*/\s*({_DEC})")
_RE_FRAC = re.compile(rf"([+-]?)\s*\\frac\s*(?:\{{\s*({_DEC})\s*\}}|(\d))\s*(?:\{{\s*({_DEC})\s*\}}|(\d))")
_RE_MIXED = re.compile(r"(\d+)\s*\\frac\s*\{\s*(\d+)\s*\}\s*\{\s*(\d+)\s*\}")


def _dec(s: str) -> Fraction | None:
    s = s.replace(" ", "")
    m = re.fullmatch(r"([^eE]*)(?:[eE]([+-]?\d+))?", s)
    if not m or len(s) > MAX_DIGITS or (m.group(2) and abs(int(m.group(2))) > MAX_EXP):
        return None
    return Fraction(s)


def parse_number(s: str) -> Num | None:
    """A plain number (see the module docstring) or None; never builds a power of ten above 10**300."""
    s = s.strip()
    pct = s.endswith("%")
    if pct:
        s = s[:-1].strip()
    if s.startswith("(") and s.endswith(")") and "," not in s:
        s = s[1:-1].strip()
    val: Fraction | None = None
    try:
        if _RE_DEC.fullmatch(s):
            val = _dec(s)
        elif _RE_THOUS.fullmatch(s):
            val = _dec(s.replace(",", ""))
        elif m := _RE_SCI.fullmatch(s):
            e = int(m.group(2))
            val = _dec(m.group(1)) * Fraction(10) ** e if abs(e) <= MAX_EXP and _dec(m.group(1)) is not None else None
        elif m := _RE_POW10.fullmatch(s):
            e = int(m.group(1))
            val = Fraction(10) ** e if abs(e) <= MAX_EXP else None
        elif m := _RE_SLASH.fullmatch(s):
            a, b = _dec(m.group(1)), _dec(m.group(2))
            val = a / b if a is not None and b else None
        elif m := _RE_FRAC.fullmatch(s):
            a, b = _dec(m.group(2) or m.group(3)), _dec(m.group(4) or m.group(5))
            val = (-1 if m.group(1) == "-" else 1) * a / b if a is not None and b else None
        elif m := _RE_MIXED.fullmatch(s):
            d = int(m.group(3))
            val = int(m.group(1)) + Fraction(int(m.group(2)), d) if d else None
    except (ValueError, ZeroDivisionError, OverflowError):
        return None
    if val is None:
        return None
    return Num(val / 100, True) if pct else Num(val)


def numbers_equal(a: Num, b: Num, rel_tol: float) -> bool:
    """Exact (Fraction), then relative tolerance unless both are integers (1450001 != 1450000); a percent may be
    read as its value or as its written number."""
    for x in a.forms():
        for y in b.forms():
            if x == y:
                return True
            both_int = x.denominator == 1 and y.denominator == 1
            if not both_int and math.isclose(float(x), float(y), rel_tol=rel_tol, abs_tol=0.0):
                return True
    return False


def format_number(n: Num) -> str:
    v = n.value
    if v.denominator == 1:
        return str(v.numerator)
    if 10 ** 12 % v.denominator == 0:  # a terminating decimal: print it as one
        return format(v.numerator / v.denominator, ".12g") if len(str(v.numerator)) < 16 else f"{v}"
    return f"{v.numerator}/{v.denominator}"


# --------------------------------------------------------------------------------------------- structure
@dataclass(frozen=True)
class Seq:
    """A bracketed or bare list: ``kind`` is "set" (unordered), "tuple" or "interval" (ordered)."""

    kind: str
    items: tuple[str, ...]
    left: str = ""
    right: str = ""


def split_top(s: str, sep: str = ",") -> list[str]:
    """Split at ``sep`` outside (), [], {} (``\\{`` counts as a brace)."""
    out, depth, cur = [], 0, []
    i = 0
    while i < len(s):
        c = s[i]
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
        if depth == 0 and s.startswith(sep, i):
            out.append("".join(cur))
            cur = []
            i += len(sep)
            continue
        cur.append(c)
        i += 1
    out.append("".join(cur))
    return [p.strip() for p in out]


def _wraps(s: str) -> bool:
    """True when the first bracket of ``s`` closes at its last character."""
    depth = 0
    for i, c in enumerate(s):
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
            if depth == 0:
                return i == len(s) - 1
    return False


def parse_structure(s: str) -> Seq | list[Seq] | None:
    """A set / interval / tuple / bare list / union of intervals, or None for a single value."""
    if "\\cup" in s:
        parts = [parse_structure(p) for p in split_top(s, "\\cup")]
        if all(isinstance(p, Seq) and p.kind in ("interval", "tuple") for p in parts) and len(parts) > 1:
            return [p for p in parts if isinstance(p, Seq)]
        return None
    t = s.replace("\\{", "{").replace("\\}", "}").strip()
    if len(t) >= 2 and t[0] == "{" and t[-1] == "}" and _wraps(t):
        return Seq("set", tuple(x for x in split_top(t[1:-1]) if x))
    if len(t) >= 2 and t[0] in "([" and t[-1] in ")]" and _wraps(t):
        items = split_top(t[1:-1])
        if len(items) >= 2:
            kind = "tuple" if t[0] + t[-1] in ("()", "[]") else "interval"
            if t[0] + t[-1] == "[]" and len(items) == 2:
                kind = "interval"
            return Seq(kind, tuple(items), t[0], t[-1])
        return None
    items = split_top(t)
    if len(items) >= 2 and all(items) and not _RE_THOUS.fullmatch(t):
        return Seq("set", tuple(items))
    return None


# --------------------------------------------------------------------------------------------- comparison
_FUNCS = {"sin", "cos", "tan", "cot", "sec", "csc", "log", "ln", "exp", "sqrt", "frac", "pi", "infty", "cdot",
          "times", "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh", "circ", "div", "pm", "mp", "cup", "cap",
          "le", "ge", "leq", "geq", "neq", "lt", "gt", "infinity", "inf", "dfrac", "tfrac", "binom", "choose"}
_LETTERS = re.compile(r"(?<![\\A-Za-z])[A-Za-z]{3,}")


def is_text(s: str) -> bool:
    """A text answer: a word of 3+ letters that is not a LaTeX command or a function name."""
    return any(w.group(0).lower() not in _FUNCS for w in _LETTERS.finditer(s))


def squash(s: str) -> str:
    return re.sub(r"\s+", "", s)


@dataclass
class Decision:
    """``equal`` is None when only the symbolic path can decide."""

    equal: bool | None
    rule: str


def quick_compare(a: str, b: str, rel_tol: float, sym: bool = False) -> Decision:
    """Rules 1-3 on cleaned answers without sympy; with ``sym`` (worker side only) rule 4 decides the rest."""
    na, nb = parse_number(a), parse_number(b)
    if na is not None and nb is not None:
        return Decision(numbers_equal(na, nb, rel_tol), "numeric")
    sa, sb = parse_structure(a), parse_structure(b)
    if sa is not None or sb is not None:
        return _compare_structures(sa, sb, rel_tol, sym)
    if squash(a) == squash(b):
        return Decision(True, "string")
    if is_text(a) or is_text(b):
        return Decision(squash(a).lower() == squash(b).lower(), "string")
    if (na is not None and re.fullmatch(r"[\d.,+\-/ %]+", b)) or (nb is not None and re.fullmatch(r"[\d.,+\-/ %]+", a)):
        return Decision(False, "numeric")  # a number against a malformed number
    if sym:
        return Decision(*symbolic_equal(a, b, rel_tol))
    return Decision(None, "symbolic")


def _rule_of(s: Seq | list[Seq]) -> str:
    return "interval" if isinstance(s, list) else s.kind


def _compare_structures(sa: Seq | list[Seq] | None, sb: Seq | list[Seq] | None, rel_tol: float,
                        sym: bool) -> Decision:
    rule = _rule_of(sa if sa is not None else sb)  # type: ignore[arg-type]
    if sa is None or sb is None:
        return Decision(False, rule)
    if isinstance(sa, list) or isinstance(sb, list):
        if not (isinstance(sa, list) and isinstance(sb, list)) or len(sa) != len(sb):
            return Decision(False, "interval")
        return _match_items(sa, sb, rel_tol, sym, ordered=False, rule="interval")
    if sa.kind != sb.kind or (sa.kind != "set" and (sa.left, sa.right) != (sb.left, sb.right)):
        # an open interval (a, b) is written like a tuple: accept "(a, b)" against itself in either reading
        return Decision(False, rule)
    if len(sa.items) != len(sb.items):
        return Decision(False, rule)
    return _match_items(list(sa.items), list(sb.items), rel_tol, sym, ordered=sa.kind != "set", rule=rule)


def _item_equal(x: Any, y: Any, rel_tol: float, sym: bool) -> bool | None:
    if isinstance(x, (Seq, list)):
        return _compare_structures(x, y, rel_tol, sym).equal
    return quick_compare(x, y, rel_tol, sym).equal


def _match_items(xs: list[Any], ys: list[Any], rel_tol: float, sym: bool, *, ordered: bool, rule: str) -> Decision:
    if ordered:
        undecided = False
        for x, y in zip(xs, ys):
            e = _item_equal(x, y, rel_tol, sym)
            if e is False:
                return Decision(False, rule)
            undecided |= e is None
        return Decision(None if undecided else True, rule)
    left = list(ys)
    for x in xs:
        for j, y in enumerate(left):
            if _item_equal(x, y, rel_tol, sym):
                del left[j]
                break
        else:
            # an element without a sure match: sympy may still pair it
            return Decision(None, rule) if any(_item_equal(x, y, rel_tol, sym) is None for y in left) else Decision(
                False, rule)
    return Decision(True, rule)


def normalize(ans: str) -> str:
    """Canonical string of an extracted answer (voting key): numbers as integers / decimals / p/q,
    sets sorted, everything else the cleaned LaTeX without spaces."""
    c = clean(ans)
    n = parse_number(c)
    if n is not None:
        return format_number(Num(n.value * 100)) + "%" if n.pct else format_number(n)
    st = parse_structure(c)
    if isinstance(st, Seq):
        items = [normalize(x) for x in st.items]
        if st.kind == "set":
            return "{" + ",".join(sorted(items)) + "}"
        return st.left + ",".join(items) + st.right
    if isinstance(st, list):
        return "\\cup".join(normalize(f"{p.left}{','.join(p.items)}{p.right}") for p in st)
    return squash(c).lower() if is_text(c) else squash(c)


# --------------------------------------------------------------------------------------------- symbolic
_PLAIN_FUNCS = re.compile(r"(?<![\\A-Za-z])(sqrt|sin|cos|tan|log|ln|exp|pi|infty|inf)(?![A-Za-z])")


def _to_latex(s: str) -> str:
    """Plain-text math to LaTeX for the parser: ``**`` -> ``^``, ``sqrt(x)`` -> ``\\sqrt{x}``, ``pi`` -> ``\\pi``."""
    s = s.replace("**", "^")
    s = _PLAIN_FUNCS.sub(lambda m: "\\infty" if m.group(1) in ("inf", "infty") else "\\" + m.group(1), s)
    out, i = [], 0
    while i < len(s):  # \sqrt(...) -> \sqrt{...}
        if s.startswith("\\sqrt(", i):
            depth, j = 0, i + 5
            while j < len(s):
                depth += {"(": 1, ")": -1}.get(s[j], 0)
                if depth == 0:
                    break
                j += 1
            out.append("\\sqrt{" + s[i + 6:j] + "}")
            i = j + 1
            continue
        out.append(s[i])
        i += 1
    return "".join(out)


def to_sympy(s: str) -> Any:
    """Parse with latex2sympy2_extended (ANTLR grammar -> sympy objects; never ``eval``)."""
    import sympy
    from latex2sympy2_extended import latex2sympy

    s = re.sub(r"\\sqrt\s*(\d)", r"\\sqrt{\1}", s)
    s = re.sub(r"\\frac\s*(\d)\s*(\d)", r"\\frac{\1}{\2}", s)
    e = latex2sympy(_to_latex(s))
    i = sympy.Symbol("i")
    if isinstance(e, sympy.Basic) and i in e.free_symbols:  # 3 + 4i: the imaginary unit
        e = e.xreplace({i: sympy.I})
    return e


def _close(x: Any, y: Any, rel_tol: float) -> bool:
    """|x - y| <= rel_tol * max(|x|, |y|) in sympy's arbitrary-exponent floats (no overflow to inf)."""
    import sympy

    diff = sympy.N(abs(x - y), 30)
    scale = sympy.N(sympy.Max(abs(x), abs(y)), 30)
    return bool(diff <= rel_tol * scale) or bool(diff < sympy.Float("1e-12"))


def symbolic_equal(a: str, b: str, rel_tol: float) -> tuple[bool, str]:
    """(equal, rule) for two cleaned answers by sympy; runs in a worker under a deadline."""
    import sympy

    ea, eb = to_sympy(a), to_sympy(b)
    if isinstance(ea, sympy.Set) or isinstance(eb, sympy.Set):
        return bool(ea == eb or (isinstance(ea, sympy.Set) and isinstance(eb, sympy.Set)
                                 and ea.symmetric_difference(eb) == sympy.S.EmptySet)), "set"
    if isinstance(ea, sympy.Tuple) or isinstance(eb, sympy.Tuple) or isinstance(ea, list) or isinstance(eb, list):
        return bool(ea == eb), "tuple"
    if isinstance(ea, sympy.Eq) and isinstance(eb, sympy.Eq):
        ea, eb = ea.lhs - ea.rhs, eb.lhs - eb.rhs
        if sympy.simplify(ea - eb) == 0 or sympy.simplify(ea + eb) == 0:
            return True, "symbolic"
        return False, "symbolic"
    if not (isinstance(ea, sympy.Expr) and isinstance(eb, sympy.Expr)):
        return bool(ea == eb), "symbolic"
    if ea == eb:
        return True, "symbolic"
    free = sorted(ea.free_symbols | eb.free_symbols, key=str)
    if not free:
        va, vb = ea.evalf(30), eb.evalf(30)
        if va.is_number and vb.is_number and va.is_finite and vb.is_finite:
            return _close(va, vb, rel_tol), "numeric"
        return bool(sympy.simplify(ea - eb) == 0), "symbolic"
    rng = random.Random(0)
    tested = 0
    for _ in range(6):
        point = {s: sympy.Float(rng.choice((-1, 1)) * rng.uniform(0.3, 2.7)) for s in free}
        va, vb = ea.evalf(30, subs=point), eb.evalf(30, subs=point)
        if not (va.is_number and vb.is_number and va.is_finite and vb.is_finite):
            continue
        tested += 1
        if not _close(va, vb, max(rel_tol, 1e-9)):
            return False, "symbolic"
    if sympy.simplify(ea - eb) == 0:
        return True, "symbolic"
    return tested >= 3, "random-points"


def handle(request: dict[str, Any]) -> dict[str, Any]:
    """Worker entry point: {"a", "b", "rel_tol"} -> {"equal", "rule"} (see :mod:`synthaudit.verify.deadline`)."""
    d = quick_compare(str(request["a"]), str(request["b"]), float(request.get("rel_tol", 1e-6)), sym=True)
    return {"equal": d.equal, "rule": d.rule}
