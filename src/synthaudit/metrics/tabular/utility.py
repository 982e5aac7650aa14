"""Tabular utility (survey section 4.2): train-on-synthetic, test-on-real (TSTR) with the train-on-real baseline.

TSTR (TabSyn's "MLE"): a learner fitted on the synthetic table predicts the target of the real holdout;
AUC for a categorical/boolean target, RMSE (or MSE) for a numerical one. TRTR: the same learner, seed and
encoding fitted on the real training table and tested on the same holdout; the gap is the headline to
read (gap > 0 means utility lost on synthetic data, for both metrics). Hyperparameters are fixed (no
tuning), identical for TSTR and TRTR.
"""
from __future__ import annotations

from itertools import combinations
from typing import TYPE_CHECKING

import numpy as np

from synthaudit.data.tabular import ColumnType
from synthaudit.metrics.registry import register
from synthaudit.metrics.result import MetricResult
from synthaudit.metrics.tabular.learners import CLASSIFICATION, REGRESSION, HoldoutPredictions, holdout_predictions

if TYPE_CHECKING:
    from synthaudit.data.inputs import AuditInputs

AVERAGES = ("macro_ovr", "weighted_ovr", "macro_ovo")
OUTPUTS = ("rmse", "mse")


def task_of(inputs: "AuditInputs") -> str | None:
    """'classification' for a categorical/boolean target, 'regression' for a numerical one, else None."""
    if inputs.target is None or inputs.table_spec is None or inputs.target not in inputs.table_spec.columns:
        return None
    kind = inputs.table_spec.type_of(inputs.target)
    if kind in (ColumnType.CATEGORICAL, ColumnType.BOOLEAN):
        return CLASSIFICATION
    if kind == ColumnType.NUMERICAL:
        return REGRESSION
    return None


def needs_task(task: str):
    """Applicability: the target's column type selects classification (AUC) or regression (RMSE)."""
    def check(inputs: "AuditInputs") -> str | None:
        if inputs.target is None:
            return None  # the planner reports the missing 'labels' input
        got = task_of(inputs)
        if got == task:
            return None
        kind = inputs.table_spec.type_of(inputs.target).value
        other = "tabular.tstr_rmse" if task == CLASSIFICATION else "tabular.tstr_auc"
        if got is None:
            return (f"target {inputs.target!r} is a {kind} column: TSTR needs a categorical/boolean (AUC) or "
                    "numerical (RMSE) target")
        return f"target {inputs.target!r} is {kind}: this is a {task} metric ({other} runs instead)"

    return check


def binary_auc(y: np.ndarray, score: np.ndarray) -> float:
    """ROC-AUC of ``score`` for the boolean labels ``y`` (ties count 1/2; constant scores give 0.5)."""
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(y.astype(bool), score))


def class_scores(pred: HoldoutPredictions, labels: list[str]) -> np.ndarray:
    """Columns of predicted probability for ``labels``; 0 for a class the model never saw."""
    out = np.zeros((len(pred.y_true), len(labels)))
    for j, c in enumerate(labels):
        if c in pred.classes:
            out[:, j] = pred.proba[:, pred.classes.index(c)]
    return out


def auc_parts(pred: HoldoutPredictions, average: str) -> tuple[float | None, list[dict], str | None]:
    """(AUC, per-class or per-pair rows, reason when undefined) on the holdout classes.

    Binary: AUC of P(second class in sorted order). Multiclass: one-vs-rest per class, averaged
    unweighted (macro_ovr) or by holdout prevalence (weighted_ovr); macro_ovo is Hand & Till's pairwise
    average (as scikit-learn's multi_class='ovo'). A holdout class absent from the training table has
    probability 0 everywhere, so its one-vs-rest AUC is 0.5.
    """
    if average not in AVERAGES:
        raise ValueError(f"multiclass_average {average!r} is not supported; expected one of {', '.join(AVERAGES)}")
    y = pred.y_true
    labels = sorted(set(y.tolist()))
    if len(labels) < 2:
        return None, [], (f"the holdout has {len(labels)} target class(es) after dropping missing targets: "
                          "AUC is undefined")
    scores = class_scores(pred, labels)
    seen = set(pred.classes)
    if len(labels) == 2:
        pos = labels[1]
        value = binary_auc(y == pos, scores[:, 1])
        return value, [{"class": pos, "versus": labels[0], "value": value, "n_holdout": int((y == pos).sum()),
                        "in_training_data": pos in seen}], None
    if average == "macro_ovo":
        rows = []
        for a, b in combinations(range(len(labels)), 2):
            m = (y == labels[a]) | (y == labels[b])
            ab = binary_auc(y[m] == labels[a], scores[m, a])
            ba = binary_auc(y[m] == labels[b], scores[m, b])
            rows.append({"class": labels[a], "versus": labels[b], "value": (ab + ba) / 2, "n_holdout": int(m.sum()),
                         "in_training_data": labels[a] in seen and labels[b] in seen})
        return float(np.mean([r["value"] for r in rows])), rows, None
    rows = [{"class": c, "versus": "rest", "value": binary_auc(y == c, scores[:, j]), "n_holdout": int((y == c).sum()),
             "in_training_data": c in seen} for j, c in enumerate(labels)]
    weights = np.array([r["n_holdout"] for r in rows], float) if average == "weighted_ovr" else np.ones(len(rows))
    return float(np.average([r["value"] for r in rows], weights=weights)), rows, None


def _common_notes(tstr: HoldoutPredictions, trtr: HoldoutPredictions | None, learner: str) -> dict:
    notes = {"learner": tstr.learner, "learner_requested": learner, "seed_controls": "the learner's random_state",
             "hyperparameters": "fixed defaults (no tuning), identical for TSTR and TRTR",
             "n_synthetic_train": tstr.n_train, "n_holdout": int(len(tstr.y_true)),
             "dropped_missing_target": {"synthetic": tstr.n_train_dropped, "real_holdout": tstr.n_holdout_dropped}}
    if tstr.learner_note:
        notes["learner_note"] = tstr.learner_note
    if trtr is None:
        notes["trtr"] = "no real training table (--real): the TRTR baseline is not available"
    else:
        notes["n_real_train"] = trtr.n_train
        notes["dropped_missing_target"]["train"] = trtr.n_train_dropped
    warn = [*(f"TSTR: {n}" for n in tstr.notes), *(f"TRTR: {n}" for n in (trtr.notes if trtr else []))]
    if warn:
        notes["warnings"] = warn
    return notes


@register(id="tabular.tstr_auc", name="TSTR / MLE classification AUC", modality="tabular", pillar="quality",
          dimension="utility", section="4.2", direction="higher_better", range=(0.0, 1.0),
          inputs=("synthetic", "real_holdout", "labels"), models=("downstream_learner",), computation="global",
          params={"learner": {"default": "xgboost"},
                  "multiclass_average": {"default": "macro_ovr", "options": list(AVERAGES)}},
          applies=needs_task(CLASSIFICATION))
def tstr_auc(inputs: "AuditInputs", models) -> MetricResult:
    """ROC-AUC on the real holdout of a classifier trained on synthetic data (section 4.2), beside TRTR.

    Secondary: ``trtr`` (same learner trained on the real training table), ``gap`` = TRTR - TSTR.
    """
    params = inputs.params_for("tabular.tstr_auc", tstr_auc.spec.default_params())
    learner, average = str(params["learner"]), str(params["multiclass_average"])
    if average not in AVERAGES:
        raise ValueError(f"multiclass_average {average!r} is not supported; expected one of {', '.join(AVERAGES)}")
    tstr = holdout_predictions(inputs, "synthetic", task=CLASSIFICATION, learner=learner)
    trtr = holdout_predictions(inputs, "train", task=CLASSIFICATION, learner=learner)
    notes = _common_notes(tstr, trtr, learner)
    labels = sorted(set(tstr.y_true.tolist()))
    notes.update(classes_holdout=labels, classes_synthetic=tstr.classes,
                 averaging="binary: AUC of P(positive = second class in sorted order)" if len(labels) == 2
                 else {"macro_ovr": "one-vs-rest, unweighted mean over holdout classes",
                       "weighted_ovr": "one-vs-rest, mean weighted by holdout class prevalence",
                       "macro_ovo": "one-vs-one (Hand & Till), unweighted mean over class pairs"}[average])
    absent = [c for c in labels if c not in tstr.classes]
    if absent:
        notes["classes_absent_from_synthetic"] = absent
        notes["absent_class_handling"] = "probability 0 for every holdout row: one-vs-rest AUC 0.5 for that class"
    value, rows, reason = (None, [], "no model") if not tstr.fitted else auc_parts(tstr, average)
    if reason:
        notes["undefined"] = reason if tstr.fitted else "; ".join(tstr.notes)
    trtr_value = None
    if trtr is not None and trtr.fitted and value is not None:
        trtr_value, trtr_rows, _ = auc_parts(trtr, average)
        for r, t in zip(rows, trtr_rows):
            r["trtr"] = t["value"]
    gap = trtr_value - value if value is not None and trtr_value is not None else None
    notes["gap"] = "TRTR AUC - TSTR AUC (positive = utility lost on synthetic data)"
    return MetricResult(value=value, breakdown=rows, secondary={"trtr": trtr_value, "gap": gap}, notes=notes)


@register(id="tabular.tstr_rmse", name="TSTR / MLE regression error (MSE, RMSE)", modality="tabular",
          pillar="quality", dimension="utility", section="4.2", direction="lower_better", range=(0.0, float("inf")),
          inputs=("synthetic", "real_holdout", "labels"), models=("downstream_learner",), computation="global",
          params={"output": {"default": "rmse", "options": list(OUTPUTS)}, "learner": {"default": "xgboost"}},
          applies=needs_task(REGRESSION))
def tstr_rmse(inputs: "AuditInputs", models) -> MetricResult:
    """RMSE (or MSE, param ``output``) on the real holdout of a regressor trained on synthetic data (section 4.2).

    Secondary: ``trtr``, ``gap`` = TSTR - TRTR, ``target_std`` = the holdout target's standard deviation
    (ddof 0: the RMSE of always predicting the holdout mean).
    """
    params = inputs.params_for("tabular.tstr_rmse", tstr_rmse.spec.default_params())
    learner, output = str(params["learner"]), str(params["output"])
    if output not in OUTPUTS:
        raise ValueError(f"output {output!r} is not supported; expected one of {', '.join(OUTPUTS)}")
    tstr = holdout_predictions(inputs, "synthetic", task=REGRESSION, learner=learner)
    trtr = holdout_predictions(inputs, "train", task=REGRESSION, learner=learner)
    notes = _common_notes(tstr, trtr, learner)

    def err(p: HoldoutPredictions | None) -> float | None:
        if p is None or not p.fitted or len(p.y_true) == 0:
            return None
        mse = float(np.mean((p.pred - p.y_true) ** 2))
        return mse if output == "mse" else float(np.sqrt(mse))

    value, trtr_value = err(tstr), err(trtr)
    if value is None:
        notes["undefined"] = "; ".join(tstr.notes) or "no holdout row with a target value"
    y = tstr.y_true
    std = float(np.std(y)) if len(y) else None
    scale = std ** 2 if std is not None and output == "mse" else std
    gap = value - trtr_value if value is not None and trtr_value is not None else None
    notes.update(output=output, gap="TSTR - TRTR (positive = utility lost on synthetic data)",
                 target_std="standard deviation of the holdout target (ddof 0): the RMSE of predicting the "
                            "holdout mean (its square is that MSE)")
    rows = [{"model": "TSTR (trained on synthetic)", "value": value, "n_train": tstr.n_train},
            {"model": "TRTR (trained on real)", "value": trtr_value, "n_train": trtr.n_train if trtr else None},
            {"model": "holdout mean (reference)", "value": scale, "n_train": None}]
    return MetricResult(value=value, breakdown=rows, notes=notes,
                        secondary={"trtr": trtr_value, "gap": gap, "target_std": std})
