"""Reasoning (survey section 3): the options of ``synthaudit audit reasoning`` and the modality's hooks.

Records hold a problem, a reasoning trace and an answer (math), a program with tests (code) or a labelled
entailment with a proof (logic). Field options default to the spellings of GSM8K, MATH, HumanEval, MBPP and
ProofWriter files (``synthaudit.data.reasoning.DEFAULTS``).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from synthaudit.modalities.base import FilterSpec, Modality, ModalityInputs, TrackSpec, option
from synthaudit.modalities.registry import register_modality

_HERE = "synthaudit.modalities.reasoning"


def _f(part: str, what: str, role: str | None = None) -> Any:
    from synthaudit.data.reasoning_fields import DEFAULTS

    return option(None, f"Field holding {what} (default: the first of {', '.join(DEFAULTS[part])}).", role=role)


@dataclass(kw_only=True)
class ReasoningInputs(ModalityInputs):
    """Inputs of a reasoning audit: one record per problem."""

    modality = "reasoning"

    synthetic: Any = option(None, "Reasoning records to audit, one per problem (JSONL, JSON, CSV, Parquet, a "
                            "DataFrame, Arrow table or HF dataset).", kind="data", short="-s", role="synthetic")
    real: Any = option(None, "Real problems to compare with (e.g. the benchmark the synthetic set imitates).",
                       kind="data", short="-r", role="real_reference")
    benchmark: Any = option(None, "A benchmark file whose problems must not leak into the synthetic set "
                            "(contamination check).", kind="data")
    task: str | None = option(None, "math, code or logic for every record (default: a record's own 'task' field, "
                              "else guessed from its fields).")
    question_field: str | None = _f("question", "the problem statement")
    solution_field: str | None = _f("solution", "the reasoning trace / solution")
    answer_field: str | None = _f("answer", "the final answer (else extracted from the solution)")
    gold_field: str | None = _f("gold", "the gold answer", role="gold_answers")
    steps_field: str | None = _f("steps", "the reasoning steps as a list (else the solution's lines)")
    samples_field: str | None = _f("samples", "K sampled chains / completions per problem", role="multiple_samples")
    program_field: str | None = _f("program", "the candidate program (code)")
    tests_field: str | None = _f("tests", "a list of test snippets (code)", role="test_cases")
    test_program_field: str | None = _f("test_program", "a test program defining check(candidate) (code)")
    entry_point_field: str | None = _f("entry_point", "the function the test program checks (code)")
    label_field: str | None = _f("label", "the gold entailment label (logic)")
    proof_field: str | None = _f("proof", "the predicted proof (logic)")
    gold_proofs_field: str | None = _f("gold_proofs", "the gold proof(s) (logic)", role="references")
    perturbed_field: str | None = _f("perturbed", "predictions on logically equivalent perturbed inputs",
                                     role="prompts")
    judge_field: str | None = _f("judge", "stored judge scores (a number, or one per rubric dimension)")
    human_field: str | None = _f("human", "human scores", role="human_scores")
    chosen_field: str | None = _f("chosen", "the chosen response of a preference pair", role="preference_pairs")
    rejected_field: str | None = _f("rejected", "the rejected response of a preference pair")
    preference_field: str | None = _f("preference", "which response is preferred (default: chosen)")
    domain_field: str | None = _f("domain", "the domain of a preference pair (Delta_OOD)")
    ood_domains: list[str] | None = option(None, "Comma-separated domain values that are out-of-domain "
                                           "(Delta_OOD).", kind="list")


#: option name -> Problem part
FIELD_OPTIONS = {f"{p}_field": p for p in (
    "question", "solution", "answer", "gold", "steps", "samples", "program", "tests", "test_program", "entry_point",
    "label", "proof", "gold_proofs", "perturbed", "judge", "human", "chosen", "rejected", "preference", "domain")}


MODALITY = register_modality(Modality(
    name="reasoning", title="Reasoning", section="3", inputs=ReasoningInputs,
    summary="Audit math, code and logic reasoning data (survey section 3): verified answers, sandboxed tests, "
            "pass@k, self-consistency, proofs, step validity, judges and reward models.",
    prepare=f"{_HERE}.prepare:prepare", metrics="synthaudit.metrics.reasoning",
    model_options=("lm", "nli", "judge", "base_url"),
    role_flags={"environment": "(built in: the sandbox)", "rules": "(built in: arithmetic re-evaluation + NLI)"},
    filter=FilterSpec(
        aliases={"verify": "reasoning.acc_verify", "tests": "reasoning.pass_rate",
                 "leakage": "reasoning.ext.answer_leakage",
                 "duplicates": "reasoning.ext.duplicate_problems", "contamination": "reasoning.ext.contamination",
                 "steps": "reasoning.val_step", "exact_duplicates": "reasoning.ext.exact_duplicates"},
        defaults=("verify",), record_scored=frozenset({"reasoning.ext.duplicate_problems", "reasoning.val_step",
                                                      "reasoning.ext.exact_duplicates"}),
        options=("task", *FIELD_OPTIONS)),
    track=TrackSpec(metrics=("reasoning.acc_verify", "reasoning.pass_rate", "reasoning.ext.duplicate_problems")),
    generate_command=f"{_HERE}.cli:generate_reasoning",
    demo=f"{_HERE}.demo:section",
    docs="docs/reasoning.md",
))
