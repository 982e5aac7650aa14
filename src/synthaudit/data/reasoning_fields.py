"""Default field names of reasoning records (survey section 3), kept free of heavy imports: the CLI's option
help reads them when ``synthaudit --help`` runs."""
from __future__ import annotations

TASKS = ("math", "code", "logic")

#: default spellings of each field, tried in order (the first present wins)
DEFAULTS: dict[str, tuple[str, ...]] = {
    "task": ("task",),
    "question": ("question", "problem", "prompt", "text", "instruction", "input"),
    "theory": ("theory", "context"),
    "solution": ("solution", "rationale", "reasoning", "response", "output", "answer"),
    "answer": ("final_answer", "predicted_answer", "prediction", "pred"),
    "gold": ("gold", "gold_answer", "reference_answer", "expected_answer", "target"),
    "steps": ("steps", "chain"),
    "samples": ("samples", "chains", "completions", "responses", "generations"),
    "program": ("program", "completion", "canonical_solution", "code", "solution"),
    "tests": ("tests", "test_list", "test_cases"),
    "test_program": ("test",),
    "entry_point": ("entry_point",),
    "setup": ("test_setup_code", "setup"),
    "label": ("label", "gold_label"),
    "proof": ("proof", "predicted_proof"),
    "gold_proofs": ("gold_proofs", "proofs"),
    "perturbed": ("perturbed_predictions", "perturbed", "perturbations"),
    "judge": ("judge_score", "judge_scores", "judge"),
    "human": ("human_score", "human", "human_rating", "rating"),
    "chosen": ("chosen",),
    "rejected": ("rejected",),
    "preference": ("preference", "preferred"),
    "chosen_score": ("chosen_score", "score_chosen"),
    "rejected_score": ("rejected_score", "score_rejected"),
    "domain": ("domain", "subset", "split"),
}
