"""Reasoning faithfulness (survey section 3.3): step validity and adjacent-step entailment."""
from __future__ import annotations

from typing import Any

import numpy as np

from synthaudit.data.reasoning import Problem
from synthaudit.metrics.reasoning.common import ReasoningMetric, snippet
from synthaudit.metrics.registry import register
from synthaudit.metrics.result import MetricResult
from synthaudit.metrics.sampling import Sampler, sample_param

VERIFIERS = ("symbolic_executor", "nli")
PREMISES = ("previous_step", "question_plus_all_previous_steps")
ENTAIL_AT = 0.5


def steps_of(p: Problem) -> list[str]:
    """The record's steps: its steps field, else its solution split into lines / 'Step k:' parts
    (``verify.steps.split_steps``)."""
    from synthaudit.verify.steps import split_steps

    if p.steps:
        return [s for s in p.steps if s.strip()]
    return split_steps(p.solution) if p.solution else []


class _StepMetric(ReasoningMetric):
    """Micro-averaged step metrics: state sums over steps; record score = the chain's own mean (macro)."""

    computation_note = ""

    def init(self, inputs, models) -> dict[str, Any]:
        state = super().init(inputs, models)
        state["extra"] = {"num": 0.0, "den": 0, "sampler": None}
        return state

    def sampled(self, probs: list[Problem], state: dict) -> list[int]:
        idx = [i for i, p in enumerate(probs) if len(steps_of(p)) >= self.min_steps]
        if self.uses_nli(state["params"]) and int(state["params"].get("max_records", 0)):
            if state["extra"]["sampler"] is None:
                state["extra"]["sampler"] = Sampler(state["inputs"], int(state["params"]["max_records"]))
            keep = state["extra"]["sampler"].keep([f"{probs[i].question}\x1f{probs[i].solution}" for i in idx])
            idx = [i for i, k in zip(idx, keep) if k]
        return idx

    min_steps = 1

    def uses_nli(self, params: dict[str, Any]) -> bool:
        return True

    def merge(self, a: dict, b: dict) -> dict:
        ea, eb = a["extra"], b["extra"]
        out = super().merge({**a, "extra": {}}, {**b, "extra": {}})
        sa, sb = ea.get("sampler"), eb.get("sampler")
        out["extra"] = {"num": ea["num"] + eb["num"], "den": ea["den"] + eb["den"],
                        "sampler": sa + sb if sa is not None and sb is not None else sa or sb}
        return out

    def finalize(self, state, inputs, models) -> MetricResult:
        result = super().finalize(state, inputs, models)
        macro = result.value
        den = state["extra"]["den"]
        result.value = state["extra"]["num"] / den if den else None
        result.secondary["macro_mean"] = macro
        result.secondary["steps"] = den
        if "verifier" in state["params"]:
            result.notes["verifier"] = _verifier(state["params"])
        result.notes["average"] = ("micro over all steps (long chains weigh more); the per-record scores and "
                                   "macro_mean are per chain")
        sampler = state["extra"].get("sampler")
        if sampler is not None and sampler.note():
            result.notes["sample"] = sampler.note()
        if models.loaded("nli"):
            result.notes["nli"] = str(getattr(models.get("nli"), "name", "nli"))
        return result


def _verifier(params: dict[str, Any]) -> str:
    """The effective mode: symbolic_executor (arithmetic steps only), nli (every step to the NLI backend) or
    symbolic_executor+nli (the default: ``verifier=nli`` with ``exact_arithmetic``)."""
    v = params["verifier"]
    if v not in VERIFIERS:
        raise ValueError(f"verifier must be one of {', '.join(VERIFIERS)}, got {v!r}")
    if not isinstance(params.get("exact_arithmetic", True), bool):
        raise ValueError(f"exact_arithmetic must be true or false, got {params['exact_arithmetic']!r}")
    return "symbolic_executor+nli" if v == "nli" and params.get("exact_arithmetic", True) else v


@register(id="reasoning.val_step", name="Step validity rate (Val_step)", modality="reasoning", pillar="trust",
          dimension="faithfulness", section="3.3", direction="higher_better", range=(0.0, 1.0),
          inputs=("synthetic", "rules"), models=("nli",), computation="mergeable",
          params={"verifier": {"default": "nli", "options": list(VERIFIERS)},
                  "exact_arithmetic": {"default": True, "note": "code default: with verifier=nli, steps with "
                                       "arithmetic are re-evaluated exactly and only the others go to the NLI "
                                       "backend (false: the catalog's NLI for every step)"},
                  "threshold": {"default": ENTAIL_AT, "note": "code default: a step is valid when P(entail) >= this"},
                  **sample_param(40)})
class ValStep(_StepMetric):
    """Val_step = valid steps / all steps, micro-averaged over the data set (section 3.3). A step with
    arithmetic (``48/2 = 24``, ``<<48/2=24>>``) is valid when every equation holds (``verify.steps``, exact
    rational arithmetic, never eval); another step is valid when the NLI backend finds it entailed by the
    question and the previous steps (P >= threshold). ``verifier=symbolic_executor`` counts arithmetic steps
    only; ``exact_arithmetic=false`` sends every step to the NLI backend. Steps: the steps field, else the
    solution's lines."""

    breakdown_title = "Chains with an invalid step (the first one shown)"

    def check(self, params: dict[str, Any], inputs=None) -> None:
        _verifier(params)

    def uses_nli(self, params: dict[str, Any]) -> bool:
        return _verifier(params) != "symbolic_executor"

    def evaluate(self, probs: list[Problem], state: dict) -> np.ndarray:
        from synthaudit.metrics.text.features import entailment
        from synthaudit.verify.steps import check_arithmetic

        params = state["params"]
        mode, thr = _verifier(params), float(params["threshold"])
        scores = np.full(len(probs), np.nan)
        per: dict[int, list[tuple[str, bool | None]]] = {}
        nli_q: list[tuple[int, int, str, str]] = []
        for i in self.sampled(probs, state):
            p = probs[i]
            steps = steps_of(p)
            marks: list[Any] = []
            for t, s in enumerate(steps):
                ok = None if mode == "nli" else check_arithmetic(s)
                if ok is None and mode != "symbolic_executor":
                    premise = "\n".join([p.question or "", *steps[:t]]).strip()
                    nli_q.append((i, t, premise, s))
                marks.append(ok)
            per[i] = list(zip(steps, marks))
        if nli_q:
            probs_e = entailment(state["inputs"], state["models"], [q[2] for q in nli_q], [q[3] for q in nli_q])
            for (i, t, _, _), pe in zip(nli_q, probs_e):
                s, _ = per[i][t]
                per[i][t] = (s, bool(pe >= thr))
            state["counts"]["nli_steps"] += len(nli_q)
        for i, marks in per.items():
            judged = [ok for _, ok in marks if ok is not None]
            state["counts"]["arithmetic_steps"] += 0 if mode == "nli" else sum(
                1 for s, _ in marks if _arith(s) is not None)
            if not judged:
                continue
            scores[i] = float(np.mean(judged))
            state["extra"]["num"] += float(sum(judged))
            state["extra"]["den"] += len(judged)
            bad = next((t for t, (_, ok) in enumerate(marks) if ok is False), None)
            if bad is not None:
                self.add_row(state, {"record": probs[i].record, "step": bad + 1, "of": len(marks),
                                     "violated_step": snippet(marks[bad][0], 160),
                                     "why": "arithmetic does not hold" if _arith(marks[bad][0]) is False
                                     else "not entailed by the question and previous steps (NLI)"})
        return scores


def _arith(step: str) -> bool | None:
    from synthaudit.verify.steps import check_arithmetic

    return check_arithmetic(step)


@register(id="reasoning.align_entail", name="Adjacent-step entailment alignment (Align_entail)",
          modality="reasoning", pillar="trust", dimension="faithfulness", section="3.3", direction="higher_better",
          range=(0.0, 1.0), inputs=("synthetic",), models=("nli",), computation="mergeable",
          params={"premise": {"default": "previous_step", "options": list(PREMISES)}, **sample_param(20)})
class AlignEntail(_StepMetric):
    """Align_entail = sum of P(c_{t-1} entails c_t) over adjacent steps / number of adjacent pairs (section
    3.3), from the NLI backend. ``premise``: the previous step only (catalog default), or the question plus
    all previous steps (ReCEval style). Chains with one step contribute nothing."""

    breakdown_title = "Chains with a weakly entailed step (the weakest shown)"

    min_steps = 2

    def check(self, params: dict[str, Any], inputs=None) -> None:
        if params["premise"] not in PREMISES:
            raise ValueError(f"premise must be one of {', '.join(PREMISES)}, got {params['premise']!r}")

    def evaluate(self, probs: list[Problem], state: dict) -> np.ndarray:
        from synthaudit.metrics.text.features import entailment

        whole = state["params"]["premise"] != "previous_step"
        scores = np.full(len(probs), np.nan)
        queries: list[tuple[int, str, str]] = []
        for i in self.sampled(probs, state):
            steps = steps_of(probs[i])
            for t in range(1, len(steps)):
                premise = "\n".join([probs[i].question or "", *steps[:t]]).strip() if whole else steps[t - 1]
                queries.append((i, premise, steps[t]))
        if not queries:
            return scores
        pe = entailment(state["inputs"], state["models"], [q[1] for q in queries], [q[2] for q in queries])
        by: dict[int, list[float]] = {}
        for (i, _, _), v in zip(queries, pe):
            by.setdefault(i, []).append(float(v))
        for i, vals in by.items():
            scores[i] = float(np.mean(vals))
            state["extra"]["num"] += float(np.sum(vals))
            state["extra"]["den"] += len(vals)
            low = int(np.argmin(vals))
            if vals[low] < ENTAIL_AT:
                steps = steps_of(probs[i])
                self.add_row(state, {"record": probs[i].record, "pair": f"{low + 1}->{low + 2}",
                                     "p_entail": vals[low], "step": snippet(steps[low + 1], 140)})
        return scores
