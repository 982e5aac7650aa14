"""Arithmetic step re-evaluation for reasoning.val_step (survey section 3.3) on hand cases and GSM8K rationales."""
from __future__ import annotations

import json
import re
import time

import pytest

from synthaudit.verify.steps import check_arithmetic, evaluate, split_steps
from tests.conftest import SHARED

GSM8K = SHARED / "data" / "reasoning" / "gsm8k" / "test.jsonl"
ANNOT = re.compile(r"<<([^<>]*)>>")
# the three GSM8K test steps whose written arithmetic is wrong (their calculator annotations are right)
KNOWN_WRONG = {
    "So, Suzzane has $32 - $20 = $300 left.",  # 32 - 20 = 12
    "3/4 of a skein of yarn * 364 yards = 364 / 4 = <<3/4*364=273>>273 yards.",  # 364 / 4 = 91
    "Taffy is buying 1 pound for $3 and gets 1 pound half off. So 1/2 off of 1 pound is $3/2 = $1.50+$3.00=$4.50",
}


@pytest.fixture(scope="module")
def gsm8k() -> list[dict]:
    if not GSM8K.exists():
        pytest.skip("GSM8K test split is not in ../shared/data")
    return [json.loads(line) for line in GSM8K.read_text().splitlines()]


@pytest.mark.parametrize("step, expected", [
    ("48/2 = 24", True), ("3 * $4 = $12", True), ("12 + 5 = 17 apples", True), ("<<48/2=24>>", True),
    ("Janet sells 16 - 3 - 4 = <<16-3-4=9>>9 duck eggs a day.", True), ("80,000*1.5=<<80000*1.5=120000>>120,000", True),
    ("He pays 14 hours x $10 = $140.", True), ("150% of it: 150% * 80 = 120", True), ("10/3 = 3.33", True),
    ("18 / 450 x 100 = 4%", True), ("2^10 = 1024", True), ("(3 + 4) \u00d7 2 = 14", True), ("-5 + 3 = -2", True),
    ("48/2 = 25", False), ("<<48/2=24>>25", True), ("<<48/2=25>>", False), ("3 * 4 = 12 and 5 * 5 = 24", False),
    ("10/3 = 3.4", False), ("Step 1: 2+2=5", False),
    ("She is happy with the result.", None), ("15 gallons = 120 pints", None), ("x = 5", None), ("", None),
    ("25 miles per gallon x 12 gallons = 300 miles", None), ("1/0 = 1", None), ("250=(5/2)x", None),
])
def test_hand_worked_steps(step, expected):
    assert check_arithmetic(step) is expected


def test_evaluate_is_exact():
    assert evaluate("0.1 + 0.2") == evaluate("3/10") and evaluate("2^-1") == evaluate("0.5")
    assert evaluate("1e5") is None and evaluate("abs(3)") is None


@pytest.mark.parametrize("text", [
    "__import__('os').system('x') = 1", "eval('1+1') = 2", "().__class__.__bases__[0] = 1", "<<__import__('os')=1>>",
    "open('/etc/passwd').read() = 1", "(lambda: 1)() = 1", "[1 for _ in range(10**9)] = 1",
])
def test_no_input_executes_code(text, tmp_path):
    assert check_arithmetic(text) is None


def test_huge_powers_are_refused_quickly():
    t = time.perf_counter()
    assert check_arithmetic("9^9^9^9 = 1") is None
    assert check_arithmetic("2**10**10 = 5") is None
    assert check_arithmetic("(" * 500 + "1" + ")" * 500 + " + 1 = 2") is None  # too long for the checker
    assert time.perf_counter() - t < 1


def test_split_steps():
    text = "Step 1: add 2 and 3. Step 2: 5 * 2 = 10\n\n  \nSo the total is 10.\n#### 10"
    assert split_steps(text) == ["add 2 and 3.", "5 * 2 = 10", "So the total is 10."]
    assert split_steps("") == [] and split_steps("#### 3") == []


def test_gsm8k_calculator_annotations_all_hold(gsm8k):
    n = 0
    for i, row in enumerate(gsm8k):
        for body in ANNOT.findall(row["answer"]):
            assert check_arithmetic(f"<<{body}>>") is True, f"row {i}: <<{body}>>"
            n += 1
    assert n == 4282


def test_gsm8k_corrupted_annotations_fail(gsm8k):
    for i, row in enumerate(gsm8k):
        bodies = ANNOT.findall(row["answer"])
        if not bodies:
            continue
        lhs, rhs = bodies[0].split("=")
        wrong = evaluate(rhs) + 1
        assert check_arithmetic(f"<<{lhs}={wrong.numerator}/{wrong.denominator}>>") is False, f"row {i}"


def test_gsm8k_rationale_steps(gsm8k):
    counts = {True: 0, False: 0, None: 0}
    wrong = set()
    for row in gsm8k:
        for step in split_steps(row["answer"]):
            v = check_arithmetic(step)
            counts[v] += 1
            if v is False:
                wrong.add(step)
    print("\nGSM8K steps:", counts)
    assert wrong == KNOWN_WRONG
    assert counts[True] > 4000 and counts[None] < 600
