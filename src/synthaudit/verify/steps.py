"""Arithmetic step re-evaluation for reasoning.val_step (survey section 3.3, f_exec(c_{i,t})).

``check_arithmetic`` finds the equations of one reasoning step (``48/2 = 24``, ``3 * $4 = $12``, GSM8K calculator
annotations ``<<48/2=24>>``) and re-evaluates both sides exactly with :class:`fractions.Fraction`. Expressions are
parsed by :mod:`ast` and walked with an allow-list (numbers, + - * / ^, unary minus, parentheses); nothing is
ever passed to ``eval``, and powers are bounded. A right-hand side written with d decimals counts as correct
when it is the left-hand side rounded to d decimals.
"""
from __future__ import annotations

import ast
import re
from fractions import Fraction

MAX_EXPR_CHARS = 300
MAX_POW = 64

_ANNOT = re.compile(r"<<([^<>]{1,300})>>")
_STEP_MARK = re.compile(r"(?i)\bstep\s*\d+\s*[:.)]\s*")
_UNICODE = str.maketrans({"\u2212": "-", "\u2013": "-", "\u00d7": "*", "\u00f7": "/", "\u00b7": "*"})
_ALLOWED = set("0123456789.+-*/^() ")
_OPERATOR = re.compile(r"(?<=[\d).\s])[-+*/^]")


def split_steps(text: str) -> list[str]:
    """Reasoning steps of a rationale: its lines, further split at "Step k:" markers (marker removed); empty
    lines and the GSM8K "#### X" line dropped."""
    out: list[str] = []
    for line in (text or "").splitlines():
        if line.strip().startswith("####"):
            continue
        for part in _STEP_MARK.split(line):
            if part.strip():
                out.append(part.strip())
    return out


def _normalise(s: str) -> str:
    s = s.translate(_UNICODE)
    s = re.sub(r"\\times|\\cdot", "*", s).replace("\\div", "/")
    s = re.sub(r"\\frac\{([^{}]+)\}\{([^{}]+)\}", r"((\1)/(\2))", s)
    s = s.replace("\\$", "$").replace("$", "").replace("**", "^")
    s = re.sub(r"(?<=\d),(?=\d{3}(?!\d))", "", s)  # thousands separators
    # a unit word between a number and an operator ("14 hours x 10", "12 apples + 5") is dropped
    s = re.sub(r"(?<=\d)\s+[A-Za-z]+(?=\s*(?:[-+*/\u00d7]|[xX]\s*[\d.(]))", "", s)
    s = re.sub(r"(?<=[\d)])\s*[xX]\s*(?=[\d(.])", "*", s)  # 3 x 4, 16 x .75
    s = re.sub(r"(\d+(?:\.\d+)?)\s*%", r"(\1/100)", s)  # 150% -> (150/100)
    return s


def _value(node: ast.AST) -> Fraction:
    if isinstance(node, ast.Expression):
        return _value(node.body)
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return Fraction(repr(node.value)) if isinstance(node.value, float) else Fraction(node.value)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        v = _value(node.operand)
        return -v if isinstance(node.op, ast.USub) else v
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow)):
        a, b = _value(node.left), _value(node.right)
        if isinstance(node.op, ast.Add):
            return a + b
        if isinstance(node.op, ast.Sub):
            return a - b
        if isinstance(node.op, ast.Mult):
            return a * b
        if isinstance(node.op, ast.Div):
            return a / b
        if b.denominator != 1 or abs(b) > MAX_POW or abs(a.numerator) > 10 ** 12:
            raise ValueError("power out of range")
        return a ** int(b)
    raise ValueError(f"not arithmetic: {type(node).__name__}")


def evaluate(expr: str) -> Fraction | None:
    """Exact value of an arithmetic expression (allow-listed :mod:`ast` nodes only), or None."""
    e = expr.strip().replace("^", "**")
    if not e or len(e) > MAX_EXPR_CHARS or not set(e) <= _ALLOWED | {"*"}:
        return None
    try:
        return _value(ast.parse(e, mode="eval"))
    except (SyntaxError, ValueError, ZeroDivisionError, OverflowError, RecursionError, MemoryError):
        return None


def _holds(lhs: Fraction, lhs_text: str, rhs_text: str, rhs: Fraction) -> bool:
    if lhs == rhs:
        return True
    if "/100)" in rhs_text and "/100)" not in lhs_text:  # "18 / 450 x 100 = 4%"
        rhs, rhs_text = rhs * 100, rhs_text.replace("/100)", ")")
        if lhs == rhs:
            return True
    m = re.fullmatch(r"[\s(]*-?\d*\.(\d+)[\s)]*", rhs_text)
    if m:  # rounded to the decimals shown
        d = len(m.group(1))
        return abs(lhs - rhs) <= Fraction(1, 2 * 10 ** d)
    return False


def _run(s: str, i: int, step: int) -> tuple[int, int]:
    """The maximal run of arithmetic characters starting next to ``s[i]`` going by ``step`` (-1 left, +1 right)."""
    j = i
    while 0 <= j + step < len(s) and s[j + step] in _ALLOWED:
        j += step
    return (j, i) if step < 0 else (i + 1, j + 1)


def _equations(s: str) -> list[tuple[str, str]]:
    """(lhs, rhs) texts around each "=" of ``s`` whose both sides look arithmetic."""
    out = []
    for m in re.finditer(r"(?<![<>!=])=(?!=)", s):
        i = m.start()
        a, _ = _run(s, i, -1)
        lhs = s[a:i].strip()
        if not lhs:  # "50 - 35 socks = 15": skip one unit word left of "="
            w = re.search(r"\d(\s+[A-Za-z]+\s*)$", s[:i])
            if w:
                a, _ = _run(s, w.start(1), -1)
                lhs = s[a:w.start(1)].strip()
                if not _OPERATOR.search(lhs):
                    continue  # "Drop 8 degrees = 2 - 8": a label, not an equation
        _, b = _run(s, i, +1)
        rhs = s[i + 1:b].strip().rstrip(".").strip()
        if not lhs or not rhs or not re.search(r"\d", lhs) or not re.search(r"\d", rhs):
            continue
        if not _OPERATOR.search(lhs) and not _OPERATOR.search(rhs):
            continue  # "15 gallons = 120 pints", "100 cents = $1": a conversion, not arithmetic
        before = s[:a].rstrip()
        end = i + 1 + len(s[i + 1:b].rstrip())
        if end < len(s) and s[end].isalpha():
            continue  # "250=(5/2)x": the right side goes on with a variable
        if (re.search(r"(?:^|\s)(?:[xX]|times|of|per)$", before) or before.endswith("/")
                or re.search(r"[-+*/]\s*[A-Za-z]+$", before)):
            continue  # "25 miles per gallon x 12 gallons = 300": the left operand is words
        if lhs[0] in "*/^" or (lhs[0] in "+-" and before and (before[-1].isalnum() or before[-1] in ")%")):
            continue  # a truncated expression ("hour * 8 = 40")
        if rhs[-1] in "+-*/^(":
            continue
        out.append((lhs, rhs))
    return out


def check_arithmetic(step: str) -> bool | None:
    """True when every equation of the step holds, False when one does not, None when there is no checkable
    arithmetic (a natural-language step; survey section 3.3)."""
    if not isinstance(step, str) or not step.strip():
        return None
    eqs: list[tuple[str, str]] = []
    for m in _ANNOT.finditer(step):
        body = _normalise(m.group(1))
        if body.count("=") == 1:
            lhs, rhs = body.split("=")
            eqs.append((lhs.strip(), rhs.strip()))
    text = _normalise(_ANNOT.sub(" ", step))
    eqs.extend(_equations(text))
    verdict: bool | None = None
    for lhs, rhs in eqs:
        lv, rv = evaluate(lhs), evaluate(rhs)
        if lv is None or rv is None:
            continue
        if not _holds(lv, lhs, rhs, rv):
            return False
        verdict = True
    return verdict
