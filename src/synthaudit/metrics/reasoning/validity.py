"""Reasoning validity (survey section 3.2): verified answers, unit-test pass rates, pass@k, strict proof accuracy
and perturbation consistency."""
from __future__ import annotations

from collections import Counter
from typing import Any, Sequence

import numpy as np

from synthaudit.data.reasoning import Problem
from synthaudit.metrics.reasoning.common import (CODE_PARAMS, MATH_PARAMS, ReasoningMetric, checkable,
                                                 failure_row, has_tests, logic_prediction, shared_verdicts,
                                                 status_counts, verify_problems)
from synthaudit.metrics.registry import register
from synthaudit.metrics.result import MetricResult


def _counts(inputs) -> dict[str, int]:
    return inputs.extra.get("counts", {}).get("synthetic", {})


def _needs_checkable(inputs) -> str | None:
    c = _counts(inputs)
    if c and not c.get("with_gold") and not c.get("with_tests"):
        return ("no record has a gold answer (math, logic) or tests (code) to verify against (--gold-field, "
                "--tests-field)")
    return None


@register(id="reasoning.acc_verify", name="Verification accuracy (Acc_verify)", modality="reasoning",
          pillar="quality", dimension="validity", section="3.2", direction="higher_better", range=(0.0, 1.0),
          inputs=("synthetic", "gold_answers"), models=("none",), computation="record",
          applies=_needs_checkable, params={**CODE_PARAMS, **MATH_PARAMS})
class AccVerify(ReasoningMetric):
    """Acc_verify = (1/N) sum_i f_check(q_i, c_i, y_i) (section 3.2). f_check: math, the final answer (answer
    field, else extracted from the solution) equals the gold answer (numeric, structured or symbolic
    equivalence, ``verify.math``); code, every test passes in the sandbox (``verify.code``); logic, the
    predicted label equals the gold label. Records that cannot be checked (no gold answer, no tests) are
    undefined and counted; a timeout, crash or unreadable answer counts as 0."""

    def evaluate(self, probs: list[Problem], state: dict) -> np.ndarray:
        verdicts = shared_verdicts(state["inputs"], probs, state["params"])
        scores = np.full(len(probs), np.nan)
        state["counts"] += status_counts(verdicts)
        for i, (p, v) in enumerate(zip(probs, verdicts)):
            if v is None:
                state["counts"][f"unchecked_{checkable(p) or 'other'}".replace(" ", "_")] += 1
                continue
            scores[i] = 1.0 if v.ok else 0.0
            state["counts"][f"checked_{p.task}"] += 1
            if not v.ok:
                self.add_row(state, failure_row(p, v))
        return scores

    def finalize(self, state, inputs, models) -> MetricResult:
        result = super().finalize(state, inputs, models)
        scores = result.record_scores
        tasks = Counter()
        for row in state["rows"]:
            tasks[row["task"]] += 1
        result.secondary.update({f"n_{k}": v for k, v in state["counts"].items() if k.startswith("status_")})
        result.notes["f_check"] = {"math": "final answer vs gold (verify.math: numeric, structured, symbolic)",
                                   "code": "all tests pass in the sandbox (verify.code)",
                                   "logic": "predicted label vs gold label (verify.logic)"}
        result.notes["n_checked"] = int(np.sum(~np.isnan(scores))) if scores is not None else 0
        return result


@register(id="reasoning.pass_rate", name="Unit-test pass rate (PassRate)", modality="reasoning", pillar="quality",
          dimension="validity", section="3.2", direction="higher_better", range=(0.0, 1.0),
          inputs=("synthetic", "test_cases", "environment"), models=("none",), computation="record",
          params=dict(CODE_PARAMS))
class PassRate(ReasoningMetric):
    """PassRate_i = passed tests / tests of record i, macro-averaged over code records (section 3.2). A test
    program defining ``check(candidate)`` (HumanEval) is one test; each snippet of a test list (MBPP) is one.
    Timeouts, crashes and sandbox errors are failures; a program that does not compile passes nothing; a
    record without tests is undefined and counted."""

    def evaluate(self, probs: list[Problem], state: dict) -> np.ndarray:
        verdicts = shared_verdicts(state["inputs"], probs, state["params"])
        scores = np.full(len(probs), np.nan)
        for i, (p, v) in enumerate(zip(probs, verdicts)):
            if p.task != "code":
                continue
            if not has_tests(p) or v is None:
                state["counts"]["no_tests" if not has_tests(p) else "no_program"] += 1
                continue
            total = int(v.detail.get("total") or 0)
            if total == 0:  # did not compile: no test ran
                total = len(p.tests or ()) + (1 if p.test_program else 0)
            passed = int(v.detail.get("passed") or 0)
            scores[i] = passed / total if total else 0.0
            state["counts"]["tests_run"] += total
            state["counts"]["tests_passed"] += passed
            if passed < total:
                self.add_row(state, failure_row(p, v))
        return scores

    def finalize(self, state, inputs, models) -> MetricResult:
        result = super().finalize(state, inputs, models)
        run = state["counts"].get("tests_run", 0)
        result.secondary["micro_pass_rate"] = state["counts"].get("tests_passed", 0) / run if run else None
        result.notes["average"] = "macro over records (each record's share of passing tests); micro in secondary"
        return result


def pass_at_k(n: int, c: int, k: int) -> float:
    """The unbiased estimator 1 - C(n-c, k) / C(n, k) (Chen et al., 2021) in its numerically stable product
    form 1 - prod_{i=n-c+1..n} (1 - k/i); 1 when fewer than k samples are wrong."""
    if not 0 <= c <= n or k < 1 or k > n:
        raise ValueError(f"pass@k needs 0 <= c <= n and 1 <= k <= n, got n={n}, c={c}, k={k}")
    if n - c < k:
        return 1.0
    return float(1.0 - np.prod(1.0 - k / np.arange(n - c + 1, n + 1)))


def _ks(params: dict[str, Any]) -> list[int]:
    ks = params["k"]
    ks = [ks] if isinstance(ks, (int, str)) else list(ks)
    try:
        out = [int(k) for k in ks]
    except (TypeError, ValueError):
        raise ValueError(f"k must be a positive integer or a list of them, got {params['k']!r}") from None
    if not out or min(out) < 1:
        raise ValueError(f"k must be a positive integer or a list of them, got {params['k']!r}")
    return out


def sample_verdicts(probs: list[Problem], params: dict[str, Any]) -> list[list[Any] | None]:
    """The verdict of every sample of every problem (None for a problem without samples or a check)."""
    flat, owner = [], []
    for i, p in enumerate(probs):
        if p.samples and (p.gold is not None or (p.task == "code" and has_tests(p))):
            flat.extend(p.samples)
            owner.extend([i] * len(p.samples))
    out: list[list[Any] | None] = [None] * len(probs)
    if not flat:
        return out
    verdicts = verify_problems([probs[i] for i in owner], params, candidates=flat)
    for i, v in zip(owner, verdicts):
        out[i] = (out[i] or []) + [v]
    return out


@register(id="reasoning.pass_at_k", name="pass@k (solution coverage)", modality="reasoning", pillar="quality",
          dimension="validity", section="3.2", direction="higher_better", range=(0.0, 1.0),
          inputs=("synthetic", "gold_answers", "multiple_samples"), models=("none",), computation="record",
          applies=_needs_checkable,
          params={"k": {"default": [1, 10], "note": "catalog default; the value is pass@(first k), the others are in "
                                                    "secondary"},
                  "n": {"default": "n >= max(k)", "note": "n is each record's number of samples; a record with "
                                                          "fewer than k samples has no pass@k (counted)"},
                  **CODE_PARAMS, **MATH_PARAMS})
class PassAtK(ReasoningMetric):
    """pass@k per problem from its n samples of which c are correct, with the unbiased estimator
    1 - C(n-c, k)/C(n, k) (section 3.2), averaged over problems. A sample is correct when it verifies like
    Acc_verify's candidates (math: its final answer; code: all tests pass). A problem with fewer than k
    samples has no pass@k (counted)."""

    breakdown_title = "Problems none of whose samples is correct"

    def check(self, params: dict[str, Any], inputs=None) -> None:
        _ks(params)

    def evaluate(self, probs: list[Problem], state: dict) -> np.ndarray:
        ks = _ks(state["params"])
        per = sample_verdicts(probs, state["params"])
        scores = np.full(len(probs), np.nan)
        extra = state["extra"]
        for k in ks:
            extra.setdefault(f"sum_{k}", 0.0)
            extra.setdefault(f"n_{k}", 0)
        for i, (p, vs) in enumerate(zip(probs, per)):
            if vs is None:
                continue
            n, c = len(vs), sum(1 for v in vs if v is not None and v.ok)
            state["counts"]["samples"] += n
            state["counts"]["correct_samples"] += c
            for j, k in enumerate(ks):
                if k > n:
                    state["counts"][f"too_few_samples_for_k{k}"] += 1
                    continue
                val = pass_at_k(n, c, k)
                extra[f"sum_{k}"] += val
                extra[f"n_{k}"] += 1
                if j == 0:
                    scores[i] = val
            if c == 0:
                bad = next((v for v in vs if v is not None), None)
                self.add_row(state, failure_row(p, bad, n=n, c=c))
        return scores

    def finalize(self, state, inputs, models) -> MetricResult:
        result = super().finalize(state, inputs, models)
        ks = _ks(state["params"])
        for k in ks:
            n = state["extra"].get(f"n_{k}", 0)
            result.secondary[f"pass@{k}"] = state["extra"][f"sum_{k}"] / n if n else None
        result.notes["estimator"] = "unbiased 1 - C(n-c,k)/C(n,k), product form; value = pass@" + str(ks[0])
        result.notes["rows"] = "problems none of whose samples is correct (with one sample's reason)"
        return result


@register(id="reasoning.acc_proof", name="Strict proof accuracy (Acc_proof; Table 1: Acc_prov; ProofWriter "
          "'Full Accuracy')", modality="reasoning", pillar="quality", dimension="validity", section="3.2",
          direction="higher_better", range=(0.0, 1.0), inputs=("synthetic", "gold_answers", "references"),
          models=("none",), computation="record")
class AccProof(ReasoningMetric):
    """1[label = gold label] * 1[proof graph = one of the gold proof graphs] per logic record (section 3.2).
    Proofs are compared as canonical edge sets (``verify.logic.parse_proof``), so order and bracketing do
    not matter. A record whose gold label is Unknown with no gold proof is scored on the label alone
    (closed-world: nothing to prove); a logic record without a gold label is undefined."""

    breakdown_title = "Records with a wrong label or proof, with the verifier's reason"

    def evaluate(self, probs: list[Problem], state: dict) -> np.ndarray:
        logic = [p for p in probs if p.task == "logic" and p.gold is not None]
        verdicts = dict(zip([p.record for p in logic],
                            shared_verdicts(state["inputs"], logic, state["params"], kind="proof") if logic else []))
        scores = np.full(len(probs), np.nan)
        for i, p in enumerate(probs):
            v = verdicts.get(p.record) if p.task == "logic" and p.gold is not None else None
            if v is None:
                continue
            if p.proof is None and p.gold_proofs:
                state["counts"]["no_predicted_proof"] += 1
            scores[i] = 1.0 if v.ok and (p.proof is not None or not p.gold_proofs) else 0.0
            state["counts"][f"status_{v.status}"] += 1
            if scores[i] == 0.0:
                self.add_row(state, failure_row(p, v, label=logic_prediction(p), gold_label=p.gold))
        return scores


def _same(a: Any, b: Any, task: str) -> bool:
    from synthaudit.verify.logic import normalize_label
    from synthaudit.verify.math import answers_equal

    if task == "logic":
        return normalize_label(a) is not None and normalize_label(a) == normalize_label(b)
    return answers_equal(str(a), str(b))


def consistency(original: Any, perturbed: Sequence[Any], task: str) -> float:
    """C(T, s) = (1/K) sum_k 1[f(T, s) = f(T'_k, s'_k)] (FaiRR)."""
    return float(np.mean([1.0 if _same(original, q, task) else 0.0 for q in perturbed]))


@register(id="reasoning.consistency_fairr", name="Perturbation consistency C(T,s) (FaiRR)", modality="reasoning",
          pillar="quality", dimension="validity", section="3.2", direction="higher_better", range=(0.0, 1.0),
          inputs=("synthetic", "prompts"), models=("none",), computation="record")
class ConsistencyFaiRR(ReasoningMetric):
    """Share of a record's predictions on K logically equivalent perturbed inputs that equal its prediction on
    the original input (section 3.2, FaiRR). Predictions are compared as normalised labels (logic) or
    equivalent answers (math). It measures stability, not correctness: a consistently wrong predictor scores 1."""

    breakdown_title = "Records whose predictions change under perturbation"

    def evaluate(self, probs: list[Problem], state: dict) -> np.ndarray:
        scores = np.full(len(probs), np.nan)
        for i, p in enumerate(probs):
            original = logic_prediction(p) if p.task == "logic" else p.answer or p.prediction
            if not p.perturbed or original is None:
                continue
            if p.task != "logic":
                from synthaudit.verify.math import extract_answer

                original = extract_answer(original) or original
                pert = [extract_answer(str(q)) or str(q) for q in p.perturbed]
            else:
                pert = p.perturbed
            scores[i] = consistency(original, pert, p.task)
            state["counts"]["perturbations"] += len(pert)
            if scores[i] < 1.0:
                self.add_row(state, {"record": p.record, "task": p.task, "prediction": str(original),
                                     "perturbed": ", ".join(map(str, pert))[:160], "consistency": scores[i]})
        return scores
