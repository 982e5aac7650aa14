"""``text.ifeval_prompt_strict_acc``: IFEval instruction-following accuracy (survey section 2.2, Fid_instr;
Zhou et al. 2023).

Acc_prompt^strict = (1/|P|) * sum_i 1[every checker V_k(t_i, p_i) = 1]: a response counts only if it
follows every verifiable instruction of its prompt. ``level: instruction`` pools instructions instead
(followed instructions / all instructions, as IFEval's inst_level_acc); ``mode: loose`` applies IFEval's
loose variants. The other three combinations are always reported as secondary values.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from synthaudit.data.text import texts
from synthaudit.metrics.text.ifeval.rules import rules_for_batch
from synthaudit.metrics.registry import RecordMetric, register
from synthaudit.metrics.result import MetricResult
from synthaudit.metrics.text.ifeval import checkers
from synthaudit.metrics.text.ifeval.registry import INSTRUCTIONS, follows

LEVELS = ("prompt", "instruction")
MODES = ("strict", "loose")


def check_params(params: dict[str, Any]) -> tuple[str, str]:
    """(level, mode), or a ValueError naming the allowed values."""
    level, mode = params.get("level", "prompt"), params.get("mode", "strict")
    if level not in LEVELS:
        raise ValueError(f"level must be one of {', '.join(LEVELS)}, got {level!r}")
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
    return level, mode


def _ratio(num: float, den: float) -> float | None:
    return num / den if den else None


@register(id="text.ifeval_prompt_strict_acc", name="IFEval prompt-level strict accuracy (Acc_prompt^strict, alias "
          "Fid_instr)", modality="text", pillar="quality", dimension="fidelity", section="2.2",
          direction="higher_better", range=(0.0, 1.0), inputs=("synthetic", "prompts", "rules"), models=("none",),
          computation="record", params={"level": {"default": "prompt", "options": list(LEVELS)},
                                        "mode": {"default": "strict", "options": list(MODES)}})
class IFEvalAccuracy(RecordMetric):
    """Share of prompts whose response follows every IFEval verifiable instruction (section 2.2, Zhou et al.
    2023). Per record: 1/0 (level prompt) or the share of its instructions followed (level instruction; the
    value then pools all instructions). A missing or blank response follows no instruction; a record whose
    prompt has no rules is undefined (NaN), counted and left out."""

    def init(self, inputs, models) -> dict[str, Any]:
        level, mode = check_params(inputs.params_for(self.spec.id, self.spec.default_params()))
        rules = inputs.extra.get("rules")
        if not rules:
            raise ValueError("no IFEval rules: pass --rules FILE or records with instruction_id_list and kwargs")
        return {"level": level, "mode": mode, "rules": rules, "field": inputs.extra.get("field", "text"),
                "prompt_field": inputs.extra.get("prompts"), "records": 0, "undefined": 0, "missing": 0,
                "blank": 0, "scores": [], "per_id": {}, "prompts": [0, 0, 0], "instructions": [0, 0, 0]}

    def update(self, state: dict[str, Any], role: str, batch: pd.DataFrame) -> dict[str, Any]:
        rules = rules_for_batch(state["rules"], batch, state["prompt_field"], offset=state["records"])
        responses = texts(batch, state["field"])
        scores = np.full(len(responses), np.nan)
        for i, (rule, response) in enumerate(zip(rules, responses)):
            if not rule or not rule[0]:
                state["undefined"] += 1
                continue
            state["missing"] += response is None
            state["blank"] += response is not None and not response.strip()
            strict = [follows(iid, kw, response, "strict") for iid, kw in zip(*rule)]
            loose = [s or follows(iid, kw, response, "loose") for s, iid, kw in zip(strict, *rule)]
            for iid, s, lo in zip(rule[0], strict, loose):
                counts = state["per_id"].setdefault(iid, [0, 0, 0])
                counts[0], counts[1], counts[2] = counts[0] + 1, counts[1] + s, counts[2] + lo
            p, n = state["prompts"], state["instructions"]
            p[0], p[1], p[2] = p[0] + 1, p[1] + all(strict), p[2] + all(loose)
            n[0], n[1], n[2] = n[0] + len(strict), n[1] + sum(strict), n[2] + sum(loose)
            chosen = strict if state["mode"] == "strict" else loose
            scores[i] = float(all(chosen)) if state["level"] == "prompt" else sum(chosen) / len(chosen)
        state["records"] += len(responses)
        state["scores"].append(scores)
        return state

    def merge(self, a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
        per_id = {k: list(v) for k, v in a["per_id"].items()}
        for k, v in b["per_id"].items():
            per_id[k] = [x + y for x, y in zip(per_id.get(k, [0, 0, 0]), v)]
        summed = {k: a[k] + b[k] for k in ("records", "undefined", "missing", "blank", "scores")}
        return {**a, **summed, "per_id": per_id, "prompts": [x + y for x, y in zip(a["prompts"], b["prompts"])],
                "instructions": [x + y for x, y in zip(a["instructions"], b["instructions"])]}

    def score(self, batch: pd.DataFrame, inputs, models) -> np.ndarray:
        return self.update(self.init(inputs, models), "synthetic", batch)["scores"][0]

    def finalize(self, state: dict[str, Any], inputs, models) -> MetricResult:
        scores = np.concatenate(state["scores"]) if state["scores"] else np.array([])
        p, n = state["prompts"], state["instructions"]
        secondary = {"prompt_strict": _ratio(p[1], p[0]), "prompt_loose": _ratio(p[2], p[0]),
                     "instruction_strict": _ratio(n[1], n[0]), "instruction_loose": _ratio(n[2], n[0])}
        value = secondary[f"{state['level']}_{state['mode']}"]
        order = {iid: k for k, iid in enumerate(INSTRUCTIONS)}
        breakdown = [{"instruction_id": iid, "n": c[0], "strict_accuracy": c[1] / c[0], "loose_accuracy": c[2] / c[0]}
                     for iid, c in sorted(state["per_id"].items(), key=lambda kv: order.get(kv[0], len(order)))]
        rules = state["rules"]
        notes: dict[str, Any] = {
            "level": state["level"], "mode": state["mode"], "n_records": state["records"], "n_prompts": p[0],
            "n_instructions": n[0], "n_undefined": state["undefined"],
            "rules": f"file {rules['file']} ({rules['n_rules']} prompts), joined on --prompt-field "
                     f"{state['prompt_field']!r}" if rules.get("source") == "file"
                     else "record fields instruction_id_list and kwargs",
            "sentence_splitter": checkers.SENTENCE_SPLITTER, "language_detector": checkers.LANGUAGE_DETECTOR,
            "word_counter": checkers.WORD_COUNTER, "capital_words": checkers.CAPITAL_TOKENIZER,
            "reference": "IFEval (Zhou et al. 2023) checkers, reimplemented; differences in docs/ifeval.md"}
        if state["undefined"]:
            notes["undefined"] = (f"{state['undefined']} record(s) whose prompt has no rules: undefined (NaN score), "
                                  "left out")
        if state["missing"]:
            notes["missing_responses"] = (f"{state['missing']} record(s) without a response (null, absent or not "
                                          "text) fail every instruction")
        if state["blank"]:
            notes["blank_responses"] = f"{state['blank']} record(s) with a blank response fail every instruction"
        return MetricResult(value=value, record_scores=scores, breakdown=breakdown, secondary=secondary, notes=notes)
