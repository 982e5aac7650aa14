"""The math verifier (survey section 3.2, Acc_verify) on real GSM8K, a hand-labelled LaTeX set, and math-verify."""
from __future__ import annotations

import json
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import pytest

from synthaudit.verify.math import answers_equal, extract_answer, normalize_answer, verify_math, verify_math_many
from tests.conftest import SHARED

GSM8K = SHARED / "data" / "reasoning" / "gsm8k" / "test.jsonl"
LATEX = Path(__file__).parent / "data" / "latex_answers.jsonl"
# sin(x)^30 against its exponential form: equal, but sympy's simplify needs well over 15 s for it
SLOW = (r"\boxed{\sin(x)^{30}}", r"$(\frac{e^{ix}-e^{-ix}}{2i})^{30}$")


@pytest.fixture(scope="module")
def gsm8k() -> list[dict]:
    if not GSM8K.exists():
        pytest.skip("GSM8K test split is not in ../shared/data")
    rows = [json.loads(line) for line in GSM8K.read_text().splitlines()]
    assert len(rows) == 1319
    return rows


def gold_number(answer: str) -> str:
    return answer.split("####")[-1].strip()


def perturbed(answer: str) -> tuple[str, str]:
    """(the rationale with its final line +1, the bare number +1)."""
    n = str(int(gold_number(answer).replace(",", "")) + 1)
    return answer.rsplit("####", 1)[0] + "#### " + n, n


def test_gsm8k_gold_verifies_against_itself(gsm8k):
    for i, row in enumerate(gsm8k):
        a, n = row["answer"], gold_number(row["answer"])
        assert extract_answer(a) == n, f"row {i}: extracted {extract_answer(a)!r}, expected {n!r}"
        for cand, gold in ((a, a), (n, a), (a, n)):
            v = verify_math(cand, gold)
            assert v.status == "pass", f"row {i}: {v.as_dict()}"


def test_gsm8k_perturbed_answers_fail(gsm8k):
    for i, row in enumerate(gsm8k):
        for cand in perturbed(row["answer"]):
            v = verify_math(cand, row["answer"])
            assert v.status == "fail", f"row {i}: gold+1 {cand[-20:]!r} got {v.as_dict()}"
            assert v.reason.startswith("expected ") and ", got " in v.reason
            assert v.detail["rule"] == "numeric"


def test_gsm8k_against_math_verify(gsm8k):
    from math_verify import parse, verify

    disagree: dict[str, list[int]] = {"gold/gold": [], "number/gold": [], "gold+1/gold": [], "number+1/gold": []}
    for i, row in enumerate(gsm8k):
        a, n = row["answer"], gold_number(row["answer"])
        pa, pn = perturbed(a)
        g = parse(a)
        for kind, cand, truth in (("gold/gold", a, True), ("number/gold", n, True), ("gold+1/gold", pa, False),
                                  ("number+1/gold", pn, False)):
            ours = verify_math(cand, a).ok
            theirs = bool(verify(g, parse(cand)))
            assert ours == truth, f"row {i} {kind}: ours {ours}, truth {truth}"
            if ours != theirs:
                disagree[kind].append(i)
    print("\nGSM8K disagreements with math-verify (rows):", disagree)
    # math-verify has no "####" rule: on 4 rationales its last-expression extraction picks an earlier number
    # (rows 226, 258, 876, 1303 in this file; see docs/math_verification.md); everywhere else we agree
    assert sum(map(len, disagree.values())) <= 12
    assert not disagree["gold/gold"]
    assert set(disagree["number/gold"]) == {226, 258, 876, 1303}


def fixture_rows() -> list[dict]:
    return [json.loads(line) for line in LATEX.read_text().splitlines()]


def test_latex_fixture_matches_hand_labels():
    rows = fixture_rows()
    assert len(rows) >= 100
    cats = {r["category"] for r in rows}
    assert {"fraction", "sqrt", "percent", "thousands", "units", "interval", "set", "tuple", "pi", "degrees",
            "negative", "scientific", "symbolic", "different"} <= cats
    verdicts = verify_math_many([(r["candidate"], r["gold"]) for r in rows], workers=2)
    wrong = [(r["candidate"], r["gold"], r["expected"], v.as_dict()) for r, v in zip(rows, verdicts)
             if v.ok != r["expected"]]
    assert not wrong, "\n".join(map(str, wrong))
    assert sum(not r["expected"] for r in rows) >= 30  # enough negatives that "always pass" cannot score


def test_latex_fixture_against_math_verify():
    from math_verify import parse, verify

    rows = fixture_rows()
    ours = verify_math_many([(r["candidate"], r["gold"]) for r in rows], workers=2)
    disagree = []
    for r, v in zip(rows, ours):
        theirs = bool(verify(parse(r["gold"]), parse(r["candidate"])))
        if theirs != v.ok:
            disagree.append((r["category"], r["candidate"], r["gold"], r["expected"], v.ok, theirs))
    print("\nLaTeX disagreements with math-verify (category, candidate, gold, expected, ours, math-verify):")
    for d in disagree:
        print("  ", d)
    assert len(disagree) <= 6  # each one is explained in docs/math_verification.md
    assert all(d[3] == d[4] for d in disagree)  # and in each, our verdict is the hand label


def test_extraction_rules_in_order():
    assert extract_answer(r"#### 3 then \boxed{\frac{1}{2}}") == r"\frac{1}{2}"
    assert extract_answer(r"\boxed{1} and later \fbox{2}") == "2"
    assert extract_answer(r"\boxed{\frac{a}{\sqrt{b}}}") == r"\frac{a}{\sqrt{b}}"
    assert extract_answer("The answer is 7.\n#### 8") == "8"
    assert extract_answer("So 3 + 4 = 7. The answer is 7. Then 9 more.") == "7"
    assert extract_answer("Final answer: $\\frac{3}{4}$") == r"\frac{3}{4}"
    assert extract_answer("She pays 12 dollars, then 1,250.5 more") == "1,250.5"
    assert extract_answer("we get $x = \\frac{2}{3}$ in the end.") == r"\frac{2}{3}"
    assert extract_answer(r"\boxed{unclosed 12") == "12"  # an unbalanced box is skipped
    assert extract_answer("no digits at all here") is None


def test_verdict_forms_and_reasons():
    v = verify_math("The answer is 17.", "#### 18")
    assert v.status == "fail" and v.reason == "expected 18, got 17 [numeric]"
    assert v.detail == {"candidate": "17", "gold": "18", "candidate_norm": "17", "gold_norm": "18",
                        "rule": "numeric", "extraction": "answer_is"}
    assert verify_math("I do not know.", "18").status == "unparsed"
    assert "candidate" in verify_math("I do not know.", "18").reason
    assert "gold" in verify_math("18", "").reason
    assert verify_math("1450001", "1,450,000").status == "fail"  # integers are compared exactly
    assert verify_math("0.3333333", "1/3").ok  # decimals within rel_tol 1e-6
    assert not verify_math("0.3333", "1/3").ok
    assert verify_math("x", "18", extract=False).status == "fail"


def test_unicode_empty_and_none_inputs():
    assert verify_math("\uff11\uff18", "18").ok  # full-width digits
    assert verify_math("\u22125", "-5").ok and verify_math("\u00bd", "0.5").ok
    assert verify_math("\u03c0", r"$\pi$").ok and verify_math("120\u00b0", "120").ok
    for bad in ("", "   ", None):
        assert verify_math(bad, "18").status == "unparsed"
        assert verify_math("18", bad).status == "unparsed"
    assert verify_math("\x00\ud7ff\U0001f600 answer: 18", "18").ok


def test_timeout_from_non_main_thread():
    out: dict = {}

    def run():
        t = time.perf_counter()
        out["v"] = verify_math(*SLOW, timeout_s=1.0)
        out["t"] = time.perf_counter() - t

    verify_math(r"\boxed{\sqrt{8}}", r"2\sqrt{2}")  # the worker is up
    th = threading.Thread(target=run)
    th.start()
    th.join(30)
    assert out["v"].status == "timeout", out["v"].as_dict()
    assert out["t"] < 3.0, out["t"]
    assert "exceeded 1 s" in out["v"].reason
    assert verify_math(r"\boxed{\sqrt{8}}", r"2\sqrt{2}").ok  # the replacement worker answers


def _slow_in_child(_: int) -> tuple[str, float]:
    t = time.perf_counter()
    v = verify_math(*SLOW, timeout_s=1.0)
    return v.status, time.perf_counter() - t


def test_timeout_inside_a_worker_process():
    with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as ex:
        status, secs = ex.submit(_slow_in_child, 0).result(timeout=60)
    assert status == "timeout" and secs < 6.0  # includes the child's own worker boot


def test_no_input_executes_code(tmp_path):
    flag = tmp_path / "pwned"
    for text in (f"\\boxed{{__import__('os').system('touch {flag}')}}", f"answer: eval(\"open('{flag}','w')\")",
                 f"$__import__('os').system('touch {flag}')$"):
        v = verify_math(text, f"__import__('os').system('touch {flag}')")
        assert v.status in ("pass", "fail", "error", "unparsed")
    assert not flag.exists()


def test_huge_numbers_do_not_hang():
    t = time.perf_counter()
    assert not verify_math("1e999999999", "1").ok
    assert not verify_math("9" * 5000, "1").ok
    assert time.perf_counter() - t < 6


def test_voting_helpers():
    assert normalize_answer(r"\frac{1}{2}") == normalize_answer("0.5") == normalize_answer("2/4") == "0.5"
    assert normalize_answer("1,000") == normalize_answer(r"\$1000") == "1000"
    assert normalize_answer(r"\{3,1,2\}") == normalize_answer(r"\{1, 2, 3\}")
    assert answers_equal("50%", "0.5") and answers_equal(r"\sqrt{8}", r"2\sqrt{2}")
    assert not answers_equal("17", "18") and not answers_equal(None, "1")


def test_many_keeps_order_and_matches_single_calls():
    pairs = [("#### 1", "1"), (r"\boxed{x^2-1}", "(x-1)(x+1)"), ("2", "3"), (r"\boxed{\{1,2\}}", r"\{2,1\}")]
    many = verify_math_many(pairs, workers=2)
    assert [v.status for v in many] == [verify_math(c, g).status for c, g in pairs] == ["pass", "pass", "fail",
                                                                                         "pass"]
