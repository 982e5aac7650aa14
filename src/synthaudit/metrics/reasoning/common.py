"""Shared machinery of the reasoning metrics (survey section 3): parsed records, verdicts, failing examples.

A record metric here scores parsed :class:`~synthaudit.data.reasoning.Problem` objects. Verdicts (math answer
checks, sandboxed code runs, logic label/proof checks) are computed once per batch and shared by the metrics
that need them (Acc_verify and PassRate run each program once). Failing records are kept, up to
``MAX_FAILURES``, with the verifier's reason: the report's breakdown shows them first.
"""
from __future__ import annotations

import re
from collections import Counter
from typing import Any, Sequence


from synthaudit.data.reasoning import Problem, problems
from synthaudit.metrics.items import (MAX_FAILURES, ItemMetric, merge_extra, shift_records,  # noqa: F401
                                      snippet)
from synthaudit.verify.base import Verdict

#: parameters of every metric that runs code
CODE_PARAMS = {"timeout_s": {"default": 10, "note": "catalog default: CPU seconds per program (the wall limit is "
                             "twice that); a timeout counts as a failure"},
               "memory_mb": {"default": 1024, "note": "code default: address-space limit per program"}}
MATH_PARAMS = {"rel_tol": {"default": 1e-6, "note": "code default: relative tolerance of numeric answers"},
               "symbolic_timeout_s": {"default": 5.0, "note": "code default: deadline of one symbolic check"}}
_LABEL = re.compile(r"\b(true|false|unknown|yes|no)\b", re.IGNORECASE)


def limits_of(params: dict[str, Any]):
    from synthaudit.verify.sandbox import Limits

    t = float(params.get("timeout_s", 10))
    return Limits(cpu_s=t, wall_s=2 * t, memory_mb=int(params.get("memory_mb", 1024)))


def logic_prediction(p: Problem) -> str | None:
    """The predicted label of a logic record: its answer field, else the last True/False/Unknown in the
    solution."""
    from synthaudit.verify.logic import normalize_label

    if p.answer is not None:
        return normalize_label(p.answer)
    found = _LABEL.findall(p.solution or "")
    return normalize_label(found[-1]) if found else None


def code_task(p: Problem, program: str | None = None):
    """The sandbox task of a code record (``program`` replaces the record's own, e.g. a sample)."""
    from synthaudit.verify.code import CodeTask

    runnable = bool(p.test_program and p.entry_point)
    return CodeTask(program=program if program is not None else (p.program or ""), tests=tuple(p.tests or ()),
                    test_program=p.test_program if runnable else None,
                    entry_point=p.entry_point if runnable else None, setup=p.setup or "")


def has_tests(p: Problem) -> bool:
    """Test snippets, or a test program with the entry point it checks (without one it cannot run)."""
    return bool(p.tests) or bool(p.test_program and p.entry_point)


def checkable(p: Problem) -> str | None:
    """None when the record can be verified, else why not."""
    if p.task == "code":
        if not p.program:
            return "no program"
        if p.test_program and not p.entry_point and not p.tests:
            return "test program without entry point"
        return None if has_tests(p) else "no tests"
    if p.gold is None:
        return "no gold answer"
    if p.prediction is None:
        return "no answer or solution"
    return None


def verify_problems(probs: Sequence[Problem], params: dict[str, Any], candidates: Sequence[str | None] | None = None,
                    *, proofs: bool = False) -> list[Verdict | None]:
    """One verdict per problem (None when it cannot be checked): math answers against the gold answer, code
    against its tests in the sandbox (in parallel), logic labels (and proofs with ``proofs``). ``candidates``
    replaces each problem's own answer or program (e.g. one sample per problem)."""
    out: list[Verdict | None] = [None] * len(probs)
    code_idx, code_tasks = [], []
    for i, p in enumerate(probs):
        cand = candidates[i] if candidates is not None else None
        if p.task == "code":
            program = cand if candidates is not None else p.program
            if program and has_tests(p):
                code_idx.append(i)
                code_tasks.append(code_task(p, program))
        elif p.task == "math":
            from synthaudit.verify.math import verify_math

            text = cand if candidates is not None else p.prediction
            if p.gold is not None and text is not None:
                out[i] = verify_math(text, p.gold, extract=True, gold_extract=True,
                                     rel_tol=float(params.get("rel_tol", 1e-6)),
                                     timeout_s=float(params.get("symbolic_timeout_s", 5.0)))
        else:
            label = cand if candidates is not None else logic_prediction(p)
            if candidates is not None and cand is not None:
                found = _LABEL.findall(cand)
                label = found[-1] if found else cand
            if p.gold is not None:
                from synthaudit.verify.logic import verify_logic

                if label is None:
                    out[i] = Verdict("unparsed", "no True/False/Unknown label in the prediction")
                else:
                    out[i] = verify_logic(label, p.gold, pred_proof=p.proof if proofs else None,
                                          gold_proofs=p.gold_proofs if proofs else None)
    if code_tasks:
        from synthaudit.verify.code import verify_code_many

        for i, v in zip(code_idx, verify_code_many(code_tasks, limits=limits_of(params))):
            out[i] = v
    return out


def shared_verdicts(inputs, probs: list[Problem], params: dict[str, Any], kind: str = "own") -> list[Verdict | None]:
    """:func:`verify_problems` of a batch, computed once per batch for every metric that asks with the same
    limits (Acc_verify and PassRate share the sandbox runs)."""
    memo = inputs.features.get("reasoning.verdicts", dict)
    limits = {k: v["default"] for k, v in {**CODE_PARAMS, **MATH_PARAMS}.items()}
    limits.update({k: v for k, v in params.items() if k in limits})
    key = (kind, id(probs), tuple(sorted((k, str(v)) for k, v in limits.items())))
    hit = memo.get(key)
    if hit is not None and hit[0] is probs:
        return hit[1]
    from synthaudit.timing import shared

    with shared("features: verification"):
        verdicts = verify_problems(probs, limits, proofs=(kind == "proof"))
    for k in [k for k, v in memo.items() if v[0] is not probs]:
        del memo[k]
    memo[key] = (probs, verdicts)
    return verdicts


def failure_row(p: Problem, verdict: Verdict | None, **extra: Any) -> dict[str, Any]:
    """A breakdown row for a failing record: what was checked and the verifier's reason."""
    detail = verdict.detail if verdict is not None else {}
    row: dict[str, Any] = {"record": p.record, "task": p.task,
                           "status": verdict.status if verdict is not None else "undefined",
                           "reason": snippet(verdict.reason if verdict is not None else extra.pop("why", ""), 240),
                           "question": snippet(p.question, 100)}
    if p.task == "math":
        row["answer"] = snippet(detail.get("candidate"), 40)
        row["gold"] = snippet(detail.get("gold", p.gold), 40)
    elif p.task == "code":
        row["passed"] = detail.get("passed")
        row["tests"] = detail.get("total")
    row.update(extra)
    return row


class ReasoningMetric(ItemMetric):
    """A record metric over parsed problems (:class:`~synthaudit.metrics.items.ItemMetric`): subclasses implement
    ``evaluate(probs, state) -> scores`` and may add failing rows (``add_row``) and counts (``state["counts"]``)."""

    breakdown_title = "Failing records, with the verifier's reason"

    def items(self, inputs, batch, role: str) -> list[Problem]:
        return problems(inputs, batch, role)


def status_counts(verdicts: Sequence[Verdict | None]) -> Counter:
    return Counter(f"status_{v.status}" for v in verdicts if v is not None)
