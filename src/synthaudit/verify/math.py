"""The math verifier (survey section 3.2, Acc_verify by answer match / symbolic equivalence).

``verify_math(candidate, gold)`` extracts both final answers (:mod:`synthaudit.verify.math_extract`), cleans them,
and compares them (:mod:`synthaudit.verify.math_equiv`): plain numbers exactly and within ``rel_tol`` in this
process; sets, intervals and tuples element by element; anything else by sympy in a worker process under a
deadline that works from any thread (:mod:`synthaudit.verify.deadline`). See docs/math_verification.md.
"""
from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from synthaudit.verify.base import Verdict
from synthaudit.verify.deadline import DeadlineExceeded, WorkerCrashed, pool
from synthaudit.verify.math_equiv import clean, normalize, quick_compare
from synthaudit.verify.math_extract import extract_answer, extract_with_rule

__all__ = ["answers_equal", "extract_answer", "normalize_answer", "verify_math", "verify_math_many"]

MAX_ANSWER_CHARS = 2000  # longer "answers" are compared as strings only


def normalize_answer(s: str) -> str:
    """Canonical string of an extracted answer, the key for majority voting (survey section 3.2, Acc_SC)."""
    return normalize(s) if s is not None else ""


def _gold_answer(gold: str, gold_extract: bool) -> str | None:
    if not gold_extract:
        return str(gold).strip() or None
    got = extract_answer(gold)
    if got is None and gold is not None and str(gold).strip() and "\n" not in str(gold).strip():
        return str(gold).strip()  # a short one-line gold ("Monday") is its own answer
    return got


def _symbolic(a: str, b: str, rel_tol: float, timeout_s: float) -> tuple[bool | None, str, str]:
    """(equal, rule, error) from a worker; equal None with rule "timeout" or "error"."""
    try:
        out = pool().call({"a": a, "b": b, "rel_tol": rel_tol}, timeout_s)
    except DeadlineExceeded:
        return None, "timeout", f"symbolic check exceeded {timeout_s:g} s"
    except WorkerCrashed as exc:
        return None, "error", str(exc)
    if "error" in out:
        return None, "error", str(out["error"])
    return out["equal"], str(out["rule"]), ""


def verify_math(candidate: str, gold: str, *, extract: bool = True, gold_extract: bool = True,
                rel_tol: float = 1e-6, timeout_s: float = 5.0) -> Verdict:
    """pass / fail / unparsed / timeout (and error when sympy raised) for one candidate against one gold answer."""
    gold_ans = _gold_answer(gold, gold_extract) if gold is not None else None
    if extract:
        cand_ans, cand_rule = extract_with_rule(candidate)
    else:
        cand_ans = str(candidate).strip() if candidate is not None and str(candidate).strip() else None
        cand_rule = "given"
    detail: dict[str, Any] = {"candidate": cand_ans, "gold": gold_ans, "candidate_norm": None, "gold_norm": None,
                              "rule": None, "extraction": cand_rule}
    if gold_ans is None:
        return Verdict("unparsed", "gold answer unreadable: no answer found in the gold text", detail)
    if cand_ans is None:
        return Verdict("unparsed", "no answer found in the candidate", detail)
    a, b = clean(cand_ans), clean(gold_ans)
    detail["candidate_norm"], detail["gold_norm"] = normalize(cand_ans), normalize(gold_ans)
    if not b:
        return Verdict("unparsed", f"gold answer unreadable: {gold_ans!r} is empty after cleaning", detail)
    if not a:
        return Verdict("unparsed", f"no answer found in the candidate ({cand_ans!r} is empty after cleaning)",
                       detail)
    if len(a) > MAX_ANSWER_CHARS or len(b) > MAX_ANSWER_CHARS:
        equal, rule = a == b, "string"
    else:
        d = quick_compare(a, b, rel_tol)
        equal, rule = d.equal, d.rule
        if equal is None:
            equal, rule, err = _symbolic(a, b, rel_tol, timeout_s)
            if rule == "timeout":
                return Verdict("timeout", err, {**detail, "rule": "symbolic"})
            if rule == "error":
                return Verdict("error", f"symbolic check failed: {err}", {**detail, "rule": "symbolic"})
    detail["rule"] = rule
    if equal:
        return Verdict("pass", "", detail)
    shown_g = detail["gold_norm"] if detail["gold_norm"] == gold_ans else f"{detail['gold_norm']} (from {gold_ans!r})"
    shown_c = (detail["candidate_norm"] if detail["candidate_norm"] == cand_ans
               else f"{detail['candidate_norm']} (from {cand_ans!r})")
    return Verdict("fail", f"expected {shown_g}, got {shown_c} [{rule}]", detail)


def verify_math_many(pairs: Sequence[tuple[str, str]], *, workers: int | None = None, **kw: Any) -> list[Verdict]:
    """``verify_math`` over (candidate, gold) pairs, in order; ``workers`` threads share as many symbolic
    worker processes (default: the number of CPUs)."""
    n = workers or os.cpu_count() or 1
    if n > 1:
        pool().resize(n)
    if n == 1 or len(pairs) < 2:
        return [verify_math(c, g, **kw) for c, g in pairs]
    with ThreadPoolExecutor(max_workers=n) as ex:
        return list(ex.map(lambda p: verify_math(p[0], p[1], **kw), pairs))


def answers_equal(a: str, b: str, **kw: Any) -> bool:
    """True when two extracted answers are equivalent (for voting: Acc_SC, Agree; survey section 3.2)."""
    if a is None or b is None:
        return False
    if normalize_answer(a) == normalize_answer(b):
        return True
    kw.setdefault("extract", False)
    kw.setdefault("gold_extract", False)
    return verify_math(a, b, **kw).ok
