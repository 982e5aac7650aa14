"""Reasoning fidelity (survey section 3.2): self-consistency, answer agreement, judge-human correlation, judge
rubric scores and reward-model pairwise accuracy."""
from __future__ import annotations

from collections import Counter
from typing import Any, Sequence

import numpy as np

from synthaudit.data.reasoning import Problem, iter_problems
from synthaudit.metrics.reasoning.common import ReasoningMetric, failure_row, snippet
from synthaudit.metrics.registry import register
from synthaudit.metrics.result import MetricResult
from synthaudit.metrics.sampling import sample_param, stable_hash
from synthaudit.stats.correlation import METHODS, bootstrap_ci


def vote_key(p: Problem, sample: str) -> str | None:
    """The normalised final answer of one sampled chain (None when it has none)."""
    if p.task == "logic":
        from synthaudit.metrics.reasoning.common import _LABEL
        from synthaudit.verify.logic import normalize_label

        found = _LABEL.findall(sample)
        return normalize_label(found[-1]) if found else normalize_label(sample)
    from synthaudit.verify.math import extract_answer, normalize_answer

    ans = extract_answer(sample)
    return None if ans is None else normalize_answer(ans)


def majority(keys: Sequence[str | None]) -> tuple[str | None, bool]:
    """The most frequent answer; ties go to the tied answer seen first in sampling order (catalog default).
    Returns (answer, whether there was a tie). Samples without an answer vote for nothing."""
    counts = Counter(k for k in keys if k is not None)
    if not counts:
        return None, False
    top = max(counts.values())
    tied = [k for k in dict.fromkeys(k for k in keys if k is not None) if counts[k] == top]
    return tied[0], len(tied) > 1


def agreement(keys: Sequence[str | None]) -> float | None:
    """Agree = sum_y c_y (c_y - 1) / (K (K - 1)) over the K samples (O(K) form of the pairwise mean); a sample
    without an answer counts in K and agrees with nothing. None when K < 2."""
    k = len(keys)
    if k < 2:
        return None
    counts = Counter(x for x in keys if x is not None)
    return float(sum(c * (c - 1) for c in counts.values()) / (k * (k - 1)))


def _samples(p: Problem, kmax: int) -> list[str] | None:
    if not p.samples or p.task == "code":
        return None
    return p.samples[:kmax] if kmax else p.samples


K_PARAM = {"default": 8, "note": "catalog default: at most the first K samples of a record are used (0 = all)"}


@register(id="reasoning.acc_sc", name="Self-consistency accuracy (Acc_SC)", modality="reasoning", pillar="quality",
          dimension="fidelity", section="3.2", direction="higher_better", range=(0.0, 1.0),
          inputs=("synthetic", "multiple_samples", "gold_answers"), models=("none",), computation="record",
          params={"K": K_PARAM, "tie_break": {"default": "first_occurrence", "options": ["first_occurrence"]}})
class AccSC(ReasoningMetric):
    """Majority vote over a record's K sampled final answers (normalised, ``verify.math.normalize_answer``),
    checked against the gold answer with the math/logic verifier (section 3.2). Ties go to the tied answer
    sampled first; the tie rate is reported. Code records and records without samples or gold are undefined."""

    breakdown_title = "Problems whose majority answer is wrong"

    def evaluate(self, probs: list[Problem], state: dict) -> np.ndarray:
        from synthaudit.verify.logic import verify_logic
        from synthaudit.verify.math import verify_math

        scores = np.full(len(probs), np.nan)
        for i, p in enumerate(probs):
            samples = _samples(p, int(state["params"]["K"]))
            if not samples or p.gold is None:
                continue
            keys = [vote_key(p, s) for s in samples]
            vote, tie = majority(keys)
            state["counts"]["ties"] += int(tie)
            state["counts"]["voted"] += 1
            if vote is None:
                scores[i] = 0.0
                self.add_row(state, failure_row(p, None, why="no sample has an answer"))
                continue
            v = verify_logic(vote, p.gold) if p.task == "logic" else verify_math(vote, p.gold, extract=False)
            scores[i] = 1.0 if v.ok else 0.0
            if not v.ok:
                self.add_row(state, failure_row(p, v, vote=vote, votes=dict(Counter(k for k in keys if k))))
        return scores

    def finalize(self, state, inputs, models) -> MetricResult:
        result = super().finalize(state, inputs, models)
        voted = state["counts"].get("voted", 0)
        result.secondary["tie_rate"] = state["counts"].get("ties", 0) / voted if voted else None
        return result


@register(id="reasoning.agree", name="Pairwise answer agreement (Agree)", modality="reasoning", pillar="quality",
          dimension="fidelity", section="3.2", direction="higher_better", range=(0.0, 1.0),
          inputs=("synthetic", "multiple_samples"), models=("none",), computation="record", params={"K": K_PARAM})
class Agree(ReasoningMetric):
    """Agree(q_i) = share of ordered pairs of a record's K sampled answers that are equal (section 3.2), exact
    O(K) form sum_y c_y(c_y-1)/(K(K-1)). High agreement is self-consistency, not correctness (and can be
    mode collapse). Records with fewer than 2 samples are undefined."""

    def evaluate(self, probs: list[Problem], state: dict) -> np.ndarray:
        scores = np.full(len(probs), np.nan)
        for i, p in enumerate(probs):
            samples = _samples(p, int(state["params"]["K"]))
            if not samples:
                continue
            keys = [vote_key(p, s) for s in samples]
            a = agreement(keys)
            if a is None:
                state["counts"]["fewer_than_2_samples"] += 1
                continue
            scores[i] = a
            state["counts"]["unanswered_samples"] += sum(k is None for k in keys)
        return scores


def _judge_items(probs: Sequence[Problem]) -> list[dict[str, str]]:
    return [{"problem": p.question or "", "solution": p.solution or p.program or p.answer or ""} for p in probs]


def _keep(p: Problem, seed: int, rate: float) -> bool:
    return rate >= 1.0 or stable_hash(seed, p.question, p.solution) < rate * 2 ** 64


def rho_llm_human(inputs, models) -> MetricResult:
    """Spearman (or Pearson) correlation between judge scores and human scores over the same records (section
    3.2), with a seeded bootstrap 95% interval. Judge scores come from the judge field when the records have
    one (a number, or the mean over rubric dimensions), else the judge rates each solution with the versioned
    ``reasoning_quality`` prompt (a seeded sample of ``max_records``)."""
    from synthaudit.metrics.registry import get

    spec = get("reasoning.rho_llm_human").spec
    params = inputs.params_for(spec.id, spec.default_params())
    method = params["method"]
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
    pairs = [p for batch in iter_problems(inputs) for p in batch if p.human is not None]
    stored = [p for p in pairs if p.judge is not None]
    notes: dict[str, Any] = {"method": method}
    if stored:
        judge = [float(np.mean(list(p.judge.values()))) if isinstance(p.judge, dict) else float(p.judge)
                 for p in stored]
        used = stored
        notes["judge"] = f"stored judge scores ({len(stored)} record(s) with both scores)"
    else:
        cap = int(params["max_records"])
        rate = 1.0 if not cap or len(pairs) <= cap else cap / len(pairs)
        used = [p for p in pairs if _keep(p, inputs.seed, rate)]
        rater = models.get("llm_judge")
        judge = rater.rate("reasoning_quality", _judge_items(used)) if used else []
        keep = [i for i, j in enumerate(judge) if j is not None]
        notes["judge"] = f"{getattr(rater, 'name', 'judge')}: {rater.describe('reasoning_quality')}"
        notes["off_format"] = len(judge) - len(keep)
        used, judge = [used[i] for i in keep], [judge[i] for i in keep]
        if rate < 1.0:
            notes["sample"] = f"seeded sample of {len(used)} of {len(pairs)} records with human scores"
    x, y = np.array(judge, dtype=float), np.array([p.human for p in used], dtype=float)
    value = METHODS[method](x, y) if len(used) >= 2 else None
    other = "pearson" if method == "spearman" else "spearman"
    ci = bootstrap_ci(x, y, method, seed=inputs.seed) if value is not None else None
    notes.update(n=len(used), ci="percentile bootstrap, 1000 seeded resamples of the pairs, 95%")
    if value is None:
        notes["undefined"] = "fewer than 2 pairs, or one side constant"
    rows = [{"record": p.record, "judge": float(j), "human": float(p.human), "question": snippet(p.question, 80)}
            for p, j in list(zip(used, x))[:50]]
    return MetricResult(value=value, ci=ci, breakdown=rows,
                        secondary={other: METHODS[other](x, y) if len(used) >= 2 else None, "n": len(used)},
                        notes=notes)


register(id="reasoning.rho_llm_human", name="Judge-human correlation (rho_LLM-human)", modality="reasoning",
         pillar="quality", dimension="fidelity", section="3.2", direction="higher_better", range=(-1.0, 1.0),
         inputs=("synthetic", "human_scores"), models=("llm_judge",), computation="global",
         params={"method": {"default": "spearman", "options": list(METHODS)}, **sample_param(50)})(rho_llm_human)


def _rubric(params: dict[str, Any]) -> list[str]:
    r = params["rubric"]
    r = [r] if isinstance(r, str) else list(r)
    if not r:
        raise ValueError("rubric must name one or more dimensions")
    return r


@register(id="reasoning.q_reason", name="Aggregated judge rubric score (Q_reason)", modality="reasoning",
          pillar="quality", dimension="fidelity", section="3.2", direction="higher_better", range=None,
          inputs=("synthetic",), models=("llm_judge",), computation="record",
          params={"rubric": {"default": ["coherence", "faithfulness", "factuality"]}, **sample_param(25)})
class QReason(ReasoningMetric):
    """Q_reason,i = mean over the M rubric dimensions of the judge's score of record i (section 3.2). Stored
    judge scores (a mapping per dimension in the judge field) are used as given (their own scale); otherwise
    the judge rates each dimension with the versioned ``reasoning_<dimension>`` prompt, rescaled to [0, 1],
    on a seeded sample of ``max_records`` records."""

    breakdown_title = "Judged records (first 50)"

    def check(self, params: dict[str, Any], inputs=None) -> None:
        from synthaudit.models.judge import prompt_ids

        for d in _rubric(params):
            if f"reasoning_{d}" not in prompt_ids():
                raise ValueError(f"no judge prompt reasoning_{d} for rubric dimension {d!r}; "
                                 f"available: {', '.join(x[10:] for x in prompt_ids() if x.startswith('reasoning_'))}")

    def evaluate(self, probs: list[Problem], state: dict) -> np.ndarray:
        params, inputs = state["params"], state["inputs"]
        dims = _rubric(params)
        scores = np.full(len(probs), np.nan)
        todo = []
        for i, p in enumerate(probs):
            if isinstance(p.judge, dict) and all(p.judge.get(d) is not None for d in dims):
                scores[i] = float(np.mean([p.judge[d] for d in dims]))
                state["counts"]["stored"] += 1
            elif (p.solution or p.program) and p.question:
                todo.append(i)
        sampler = state["extra"].setdefault("sampler", None)
        if todo:
            from synthaudit.metrics.sampling import Sampler

            if sampler is None:
                sampler = state["extra"]["sampler"] = Sampler(inputs, int(params["max_records"]))
            keep = sampler.keep([f"{probs[i].question}\x1f{probs[i].solution}" for i in todo])
            todo = [i for i, k in zip(todo, keep) if k]
        if todo:
            judge = state["models"].get("llm_judge")
            items = _judge_items([probs[i] for i in todo])
            per_dim = {d: judge.rate(f"reasoning_{d}", items) for d in dims}
            for j, i in enumerate(todo):
                vals = [per_dim[d][j] for d in dims]
                if any(v is None for v in vals):
                    state["counts"]["off_format"] += 1
                    continue
                scores[i] = float(np.mean(vals))
                state["counts"]["judged"] += 1
                if len(state["rows"]) < 50:
                    state["rows"].append({"record": probs[i].record, **{d: v for d, v in zip(dims, vals)},
                                          "q_reason": scores[i], "question": snippet(probs[i].question, 80)})
        return scores

    def merge(self, a: dict, b: dict) -> dict:
        sa, sb = a["extra"].get("sampler"), b["extra"].get("sampler")
        out = super().merge({**a, "extra": {}}, {**b, "extra": {}})
        out["extra"] = {"sampler": sa + sb if sa is not None and sb is not None else sa or sb}
        return out

    def finalize(self, state, inputs, models) -> MetricResult:
        result = super().finalize(state, inputs, models)
        sampler = state["extra"].get("sampler")
        if sampler is not None and sampler.note():
            result.notes["sample"] = sampler.note()
        if state["counts"].get("judged"):
            judge = models.get("llm_judge")
            result.notes["judge"] = getattr(judge, "name", "judge")
            result.notes["scale"] = "judge scores rescaled to [0, 1]"
        return result


def pair_scores(probs: Sequence[Problem], models, tie_credit: float) -> tuple[np.ndarray, dict[str, int]]:
    """Per preference pair: 1 when the reward ranks the preferred response higher, ``tie_credit`` on a tie,
    else 0 (NaN without a pair). Rewards come from the stored scores, else the judge's ``reward`` prompt."""
    scores = np.full(len(probs), np.nan)
    counts: Counter = Counter()
    need = [i for i, p in enumerate(probs) if p.chosen is not None and p.rejected is not None]
    judged = [i for i in need if probs[i].chosen_score is None or probs[i].rejected_score is None]
    rewards: dict[int, tuple[float | None, float | None]] = {}
    if judged:
        judge = models.get("llm_judge")
        items = [{"problem": probs[i].question or "", "response": r} for i in judged
                 for r in (probs[i].chosen, probs[i].rejected)]
        got = judge.rate("reward", items)
        for j, i in enumerate(judged):
            rewards[i] = (got[2 * j], got[2 * j + 1])
        counts["judged_pairs"] = len(judged)
    for i in need:
        p = probs[i]
        ra, rb = rewards.get(i, (p.chosen_score, p.rejected_score))
        if ra is None or rb is None:
            counts["off_format"] += 1
            continue
        z = 1.0 if p.preference is None else p.preference
        if ra == rb:
            scores[i] = tie_credit
            counts["ties"] += 1
        else:
            scores[i] = 1.0 if float(ra > rb) == z else 0.0
        counts["pairs"] += 1
    return scores, dict(counts)


@register(id="reasoning.acc_rm", name="Reward-model pairwise accuracy (Acc_RM)", modality="reasoning",
          pillar="quality", dimension="fidelity", section="3.2", direction="higher_better", range=(0.0, 1.0),
          inputs=("preference_pairs",), models=("llm_judge",), computation="record",
          params={"tie_credit": {"default": 0.5}})
class AccRM(ReasoningMetric):
    """Share of preference pairs (c_a = chosen, c_b = rejected unless the preference field says otherwise) whose
    reward ranks the preferred response higher (section 3.2); a tie earns ``tie_credit`` (catalog: 0.5) and the
    tie rate is reported. Rewards: the stored chosen/rejected scores, else the judge's ``reward`` prompt (a
    sequence-scoring reward model stands in for R_phi)."""

    breakdown_title = "Pairs the reward ranks the wrong way"

    def check(self, params: dict[str, Any], inputs=None) -> None:
        if not 0.0 <= float(params["tie_credit"]) <= 1.0:
            raise ValueError(f"tie_credit must be in [0, 1], got {params['tie_credit']!r}")

    def evaluate(self, probs: list[Problem], state: dict) -> np.ndarray:
        scores, counts = pair_scores(probs, state["models"], float(state["params"]["tie_credit"]))
        state["counts"].update(counts)
        for i, s in enumerate(scores):
            if s == 0.0:
                p = probs[i]
                self.add_row(state, {"record": p.record, "question": snippet(p.question, 80),
                                     "chosen": snippet(p.chosen, 60), "rejected": snippet(p.rejected, 60),
                                     "chosen_score": p.chosen_score, "rejected_score": p.rejected_score})
        return scores

    def finalize(self, state, inputs, models) -> MetricResult:
        result = super().finalize(state, inputs, models)
        pairs = state["counts"].get("pairs", 0)
        result.secondary["tie_rate"] = state["counts"].get("ties", 0) / pairs if pairs else None
        return result
