"""The model-backed reasoning metrics (survey sections 3.2-3.3) with the real offline models (SmolLM2-135M-Instruct
as judge and as few-shot entailment backend), each checked against the backend called directly and the formula
computed in the test."""
from __future__ import annotations

import numpy as np
import pytest

from synthaudit.data.reasoning import prepare_reasoning
from synthaudit.metrics.registry import get
from synthaudit.models import Models

Q = "Tom has 3 boxes with 4 apples each. He eats 2 apples. How many apples are left?"
STEPS = ["Tom has 3 boxes of 4 apples, so he has 3 * 4 = 12 apples.",
         "He eats some of them.",
         "12 - 2 = 10 apples are left."]
WRONG = ["Tom has 3 boxes of 4 apples, so he has 3 * 4 = 7 apples.", "7 - 2 = 5 apples are left."]


@pytest.fixture(scope="module")
def models() -> Models:
    return Models.default()


def _run(mid, rows, models, params=None, **kw):
    inputs = prepare_reasoning(synthetic=rows, params=params or {}, **kw)
    return get(mid).run(inputs, models)


def test_val_step_mixes_exact_arithmetic_and_nli(models):
    rows = [{"question": Q, "steps": STEPS, "gold": "10"}, {"question": Q, "steps": WRONG, "gold": "10"}]
    res = _run("reasoning.val_step", rows, models, {"reasoning.val_step": {"max_records": 0}})
    nli = models.get("nli")
    p = float(nli.entailment([Q + "\n" + STEPS[0]], [STEPS[1]])[0])  # the one natural-language step
    valid = [1, int(p >= 0.5), 1, 0, 1]  # chain 2: 3 * 4 = 7 fails, 7 - 2 = 5 holds
    assert res.value == pytest.approx(sum(valid) / 5)
    assert res.secondary["macro_mean"] == pytest.approx((np.mean(valid[:3]) + 0.5) / 2)
    row = next(r for r in res.breakdown if r["record"] == 1)
    assert row["step"] == 1 and row["why"] == "arithmetic does not hold"
    sym = _run("reasoning.val_step", rows, models, {"reasoning.val_step": {"verifier": "symbolic_executor"}})
    assert sym.value == pytest.approx(3 / 4)  # the natural-language step is not counted


def test_align_entail_is_the_mean_adjacent_entailment(models):
    rows = [{"question": Q, "steps": STEPS}, {"question": Q, "steps": ["Only one step."]}]
    res = _run("reasoning.align_entail", rows, models, {"reasoning.align_entail": {"max_records": 0}})
    nli = models.get("nli")
    direct = nli.entailment([STEPS[0], STEPS[1]], [STEPS[1], STEPS[2]])
    assert res.value == pytest.approx(float(np.mean(direct)), abs=1e-9)
    assert res.secondary["steps"] == 2  # a one-step chain contributes nothing
    whole = _run("reasoning.align_entail", rows, models,
                 {"reasoning.align_entail": {"max_records": 0, "premise": "question_plus_all_previous_steps"}})
    direct = nli.entailment([Q + "\n" + STEPS[0], Q + "\n" + STEPS[0] + "\n" + STEPS[1]], [STEPS[1], STEPS[2]])
    assert whole.value == pytest.approx(float(np.mean(direct)), abs=1e-9)


def test_q_reason_is_the_mean_of_the_judge_rubric(models):
    rows = [{"question": Q, "solution": "\n".join(STEPS)}, {"question": Q, "solution": "\n".join(WRONG)}]
    res = _run("reasoning.q_reason", rows, models, {"reasoning.q_reason": {"max_records": 0}})
    judge = models.get("llm_judge")
    items = [{"problem": Q, "solution": r["solution"]} for r in rows]
    per = np.array([judge.rate(f"reasoning_{d}", items) for d in ("coherence", "faithfulness", "factuality")],
                   dtype=float)
    assert res.value == pytest.approx(float(per.mean(axis=0).mean()), abs=1e-9)
    assert 0.0 <= res.value <= 1.0


def test_acc_rm_and_rho_with_the_judge(models):
    from scipy import stats

    right, wrong = "\n".join(STEPS), "\n".join(WRONG)
    rows = [{"question": Q, "chosen": right, "rejected": wrong}, {"question": Q, "chosen": wrong, "rejected": right}]
    res = _run("reasoning.acc_rm", rows, models)
    judge = models.get("llm_judge")
    r = judge.rate("reward", [{"problem": Q, "response": t} for t in (right, wrong)])
    expected = 0.5 if r[0] == r[1] else 0.5  # one pair ranks right above wrong, the mirrored pair the other way
    assert res.value == pytest.approx(expected)
    scored = [{"question": f"{Q} ({i})", "solution": s, "human_score": h}
              for i, (s, h) in enumerate([(right, 5), (wrong, 1), ("12 - 2 = 10", 4), ("I do not know.", 1)])]
    rho = _run("reasoning.rho_llm_human", scored, models)
    j = judge.rate("reasoning_quality", [{"problem": s["question"], "solution": s["solution"]} for s in scored])
    ref = stats.spearmanr(j, [s["human_score"] for s in scored]).statistic
    assert rho.value == pytest.approx(ref, abs=1e-9) if not np.isnan(ref) else rho.value is None


def test_next_token_logprobs_equal_token_logprobs(models):
    """The one-pass NLI path (both answers from one forward pass, batched) equals scoring each answer."""
    lm = models.get("causal_lm")
    prompts = ["Is the sky blue? Answer:", "x " * 30 + "Does 2 + 2 equal 4? Answer:", "Hi"]
    both = lm.next_token_logprobs(prompts, [" yes", " no"])
    sep = lm.token_logprobs(prompts * 2, [" yes"] * 3 + [" no"] * 3)
    assert both.shape == (3, 2)
    assert np.allclose(both[:, 0], [x.sum() for x in sep[:3]], atol=1e-4)
    assert np.allclose(both[:, 1], [x.sum() for x in sep[3:]], atol=1e-4)
    assert lm.next_token_logprobs(prompts, [" yes", " definitely not"]) is None  # a multi-token option
