"""Code problems with generated unit tests (OpenCodeInstruct style, Ahmad et al., 2025; survey section 3.2,
verifiable reasoning data): the LLM writes assert-statement tests for a problem, every test runs against
the reference solution in the sandbox, and only the tests the reference passes are kept; a record needs at
least ``min_tests`` of them.

* ``problems="seed"`` (default): slot ``i`` takes seed problem ``i mod P`` from HumanEval-style
  (``prompt``, ``canonical_solution``, ``entry_point``), MBPP-style (``text``, ``code``) or plain
  (``question``, ``program``, ``entry_point``) JSON Lines; its reference solution is trusted.
* ``problems="generate"``: the LLM writes a new problem and its solution from few-shot seed problems (the
  solution becomes the reference the tests are checked against, as in OpenCodeInstruct).

Rejects: ``no_tests``, ``syntax_error``, ``all_tests_failed_reference: <first reason>``,
``reference_error: <why the reference did not run>``,
``too_few_tests: 1 < 2``, ``no_code``, ``no_function``, ``empty_problem``, ``duplicate_problem``,
``llm_error: ...``. Per-test reasons (failed the reference, does not call the entry point, duplicate,
does not parse) are counted in ``test_rejects``.
"""
from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any, Iterator, Mapping

from synthaudit.generate.reasoning.methods import SHARED, ReasoningMethod, code_blocks, first_of, load_rows
from synthaudit.generate.text.base import Slot, norm
from synthaudit.models.llm import LLMClient
from synthaudit.verify.code import CodeTask, verify_code_many
from synthaudit.verify.sandbox import Limits

DEFAULT_PROBLEMS = SHARED / "humaneval" / "HumanEval.jsonl.gz"

TESTS = """Here is a Python function and what it should do:
```python
{program}
```
Write {k} unit tests for `{entry_point}` as Python assert statements, one per line, in a ```python code block. \
Each test calls `{entry_point}` with an input and compares the result with the expected output."""

NEW_PROBLEM = """Write one new Python programming problem, different from the examples, and a correct \
solution: a single function. Give the problem in one paragraph after "Problem:", then the function in a \
```python code block.

{examples}
Problem:"""


def entry_of(program: str) -> str | None:
    """The name of the first top-level function of ``program`` (None if it does not parse or has none)."""
    try:
        tree = ast.parse(program)
    except (SyntaxError, ValueError):
        return None
    return next((n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))), None)


def to_problem(row: Mapping[str, Any]) -> dict:
    """One seed row as ``{question, prompt, program, entry_point, task_id}``."""
    if row.get("canonical_solution") is not None and row.get("prompt"):  # HumanEval
        prompt = str(row["prompt"])
        program = prompt + str(row["canonical_solution"])
        question = prompt
    else:  # MBPP (text, code) or plain (question, program)
        question = str(first_of(row, "question", "text", "prompt") or "").strip()
        program = str(first_of(row, "program", "code", "solution") or "")
        prompt = row.get("prompt")
    entry = first_of(row, "entry_point") or entry_of(program)
    return {"question": question, "prompt": prompt, "program": program, "entry_point": entry,
            "task_id": first_of(row, "task_id", "id")}


def load_problems(path: str | Path | None = None) -> list[dict]:
    """Seed coding problems with a reference solution (see the module docstring for the accepted layouts)."""
    path = Path(path) if path else DEFAULT_PROBLEMS
    rows = load_rows(path, (("question", "text", "prompt"), ("canonical_solution", "program", "code", "solution")))
    problems = [to_problem(r) for r in rows]
    for row, p in enumerate(problems, 1):
        if not p["entry_point"]:
            from synthaudit.errors import InputError

            raise InputError("has no 'entry_point' and its program defines no top-level function", file=str(path),
                             row=row, field="entry_point")
    return problems


def parse_tests(text: str) -> tuple[list[str], int]:
    """(assert statements, how many assert-looking lines did not parse) from a model's answer: the asserts of
    each code block (or of the whole answer when it has none), one statement per test. Asserts inside test
    functions or ``unittest`` classes count too, and ``self.assertEqual(a, b)`` / ``assertTrue`` /
    ``assertFalse`` calls become ``assert a == b`` / ``assert a`` / ``assert not a``; a test that needs its
    function's local variables then fails on the reference and is dropped there."""
    blocks = code_blocks(text) or [text]
    tests: list[str] = []
    bad = 0
    for block in blocks:
        try:
            tree = ast.parse(block)
        except SyntaxError:
            tree = None
        if tree is not None:
            for node in ast.walk(tree):
                if node in tree.body and isinstance(node, ast.Assert):
                    tests.append(ast.get_source_segment(block, node) or ast.unparse(node))
                else:
                    found = _as_assert(node)
                    if found is not None:
                        tests.append(ast.unparse(found))
            continue
        for line in block.splitlines():  # a block that does not parse as a whole (cut off): line by line
            line = line.strip()
            if not (line.startswith("assert") or line.startswith("self.assert")):
                continue
            try:
                node = ast.parse(line).body[0]
            except SyntaxError:
                bad += 1
                continue
            if isinstance(node, ast.Assert):
                tests.append(line)
            elif (found := _as_assert(node)) is not None:
                tests.append(ast.unparse(found))
    return tests, bad


_UNITTEST = {"assertEqual": ast.Eq, "assertEquals": ast.Eq, "assertNotEqual": ast.NotEq, "assertTrue": None,
             "assertFalse": ast.Not}


def _as_assert(node: ast.AST) -> ast.Assert | None:
    """A nested ``assert`` as it is, or a ``self.assertEqual``-style call as the equivalent ``assert``."""
    if isinstance(node, ast.Assert):
        return node
    if not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)):
        return None
    call = node.value
    func = call.func
    if not (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "self"
            and func.attr in _UNITTEST and not call.keywords):
        return None
    op, args = _UNITTEST[func.attr], call.args
    if op in (ast.Eq, ast.NotEq) and len(args) in (2, 3):
        return ast.Assert(test=ast.Compare(left=args[0], ops=[op()], comparators=[args[1]]))
    if op is None and len(args) in (1, 2):
        return ast.Assert(test=args[0])
    if op is ast.Not and len(args) in (1, 2):
        return ast.Assert(test=ast.UnaryOp(op=ast.Not(), operand=args[0]))
    return None


def calls(test: str, name: str) -> bool:
    """Whether the assert statement ``test`` calls the function ``name``."""
    tree = ast.parse(test)
    return any(isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == name for n in ast.walk(tree))


class CodeTests(ReasoningMethod):
    name = "code_tests"

    def __init__(self, client: LLMClient, seed: int = 0, *, seed_problems: str | Path | list[dict] | None = None,
                 problems: str = "seed", min_tests: int = 1, k: int = 5, max_tests: int = 10, n_shots: int = 2,
                 test_timeout_s: float | None = None, limits: Limits | None = None, **kw: Any) -> None:
        super().__init__(client, seed, **kw)
        if problems not in ("seed", "generate"):
            raise ValueError(f"problems must be 'seed' or 'generate', got {problems!r}")
        self.problems = seed_problems if isinstance(seed_problems, list) else load_problems(seed_problems)
        self.mode, self.min_tests, self.k, self.max_tests = problems, max(1, int(min_tests)), int(k), int(max_tests)
        self.n_shots, self.test_timeout_s = int(n_shots), test_timeout_s
        self.limits = limits if limits is not None else Limits()
        self.seen.update(norm(p["question"]) for p in self.problems)

    def draft(self, slots: list[Slot]) -> list[dict]:
        if self.mode == "seed":
            out = []
            for slot in slots:
                i = slot.index % len(self.problems)
                out.append({**self.problems[i], "source": "seed", "seed_index": i})
            return out
        prompts = []
        for slot in slots:
            shots = slot.rng.sample(self.problems, min(self.n_shots, len(self.problems)))
            examples = "\n".join(f"Problem: {_one_para(p['question'])}\n```python\n{p['program'].strip()}\n```\n"
                                 for p in shots)
            prompts.append(NEW_PROBLEM.format(examples=examples))
        out = []
        for comp in self.ask(prompts, slots):
            rec: dict = {"source": "generated", "prompt": None, "task_id": None}
            if not comp.ok:
                out.append({**rec, "rejected": f"llm_error: {comp.error}", "stage": "problem"})
                continue
            question = _one_para(re.split(r"```", comp.text, maxsplit=1)[0].removeprefix("Problem:"))
            blocks = code_blocks(comp.text)
            program = blocks[0] if blocks else ""
            rec.update(question=question, program=program, entry_point=entry_of(program))
            if not question:
                rec.update(rejected="empty_problem", stage="problem")
            elif not program:
                rec.update(rejected="no_code", stage="problem")
            elif not rec["entry_point"]:
                rec.update(rejected="no_function" if _parses(program) else "syntax_error", stage="problem")
            elif not self.claim(question):
                rec.update(rejected="duplicate_problem", stage="problem")
            out.append(rec)
        return out

    def make(self, slots: list[Slot]) -> list[dict]:
        recs = [{**self.base_record(s), "task": "code", **d} for s, d in zip(slots, self.draft(slots))]
        live = [(s, r) for s, r in zip(slots, recs) if "rejected" not in r]
        prompts = [TESTS.format(program=r["program"].strip(), entry_point=r["entry_point"], k=self.k)
                   for _, r in live]
        comps = self.ask(prompts, [s for s, _ in live])
        tasks, owners = [], []
        for (_, rec), comp in zip(live, comps):
            if not comp.ok:
                rec.update(rejected=f"llm_error: {comp.error}", stage="tests")
                continue
            rec["raw_tests"] = comp.text
            tests, bad = parse_tests(comp.text)
            counts = {"syntax_error": bad}
            unique: list[str] = []
            for t in tests:
                if not calls(t, rec["entry_point"]):
                    counts["no_call"] = counts.get("no_call", 0) + 1
                elif t in unique:
                    counts["duplicate"] = counts.get("duplicate", 0) + 1
                elif len(unique) >= self.max_tests:
                    counts["over_max_tests"] = counts.get("over_max_tests", 0) + 1
                else:
                    unique.append(t)
            rec["test_rejects"] = {k: v for k, v in counts.items() if v}
            if not unique:
                rec.update(rejected="syntax_error" if bad and not tests else "no_tests", stage="tests", tests=[],
                           tests_rejected=sum(counts.values()))
                continue
            rec["candidate_tests"] = unique
            tasks.append(CodeTask(program=rec["program"], tests=tuple(unique), entry_point=rec["entry_point"]))
            owners.append(rec)
        verdicts = verify_code_many(tasks, limits=self.limits, workers=self.workers,
                                    test_timeout_s=self.test_timeout_s) if tasks else []
        for rec, verdict in zip(owners, verdicts):
            cand = rec.pop("candidate_tests")
            results = list((verdict.detail or {}).get("tests") or [])
            if len(results) != len(cand):  # the program itself did not run: every test failed with it
                results = [{"status": verdict.status, "reason": verdict.reason}] * len(cand)
            kept = [t for t, r in zip(cand, results) if r.get("status") == "pass"]
            failed = [r for r in results if r.get("status") != "pass"]
            if failed:
                rec["test_rejects"]["failed_reference"] = len(failed)
            rec.update(tests=kept, tests_rejected=sum(rec["test_rejects"].values()))
            if not verdict.ok and (verdict.detail or {}).get("first_failure", 0) is None:
                # the reference itself did not run (does not compile, raised at import, ran out of time)
                rec.update(rejected=f"reference_error: {_short(verdict.reason)}", stage="verify")
            elif not kept:
                why = failed[0].get("reason") or failed[0].get("status") if failed else ""
                rec.update(rejected=f"all_tests_failed_reference: {_short(why)}", stage="verify")
            elif len(kept) < self.min_tests:
                rec.update(rejected=f"too_few_tests: {len(kept)} < {self.min_tests}", stage="verify")
        for rec in recs:
            if "rejected" not in rec:
                rec["solution"] = rec["program"]
        return recs


def _one_para(text: str) -> str:
    return " ".join(str(text).split())


def _short(text: str, width: int = 160) -> str:
    lines = [ln.strip() for ln in str(text).strip().splitlines() if ln.strip()]
    return (lines[-1] if lines else "")[:width]


def _parses(program: str) -> bool:
    try:
        ast.parse(program)
    except (SyntaxError, ValueError):
        return False
    return True


def generate(client: LLMClient, n: int, seed: int = 0, *, done: Mapping[str, dict] | None = None,
             max_attempts: int | None = None, **opts: Any) -> Iterator[dict]:
    """Records ``{id, method, task: "code", question, prompt, program, solution, entry_point, tests,
    tests_rejected, test_rejects, source, seed, model, ...}`` and rejects."""
    return CodeTests(client, seed, **opts).run(n, done, max_attempts)
