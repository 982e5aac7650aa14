"""Log utility (survey section 5.2): Delta_M = M(f trained on D_real + D_syn) - M(f trained on D_real)
(logs.delta_downstream), with f the session anomaly detector of :mod:`synthaudit.stats.log_anomaly`.

Also the shared glue of the downstream task (the training logs' event vocabulary and each role's sessions,
computed once per audit), which logs.anonymization_delta reuses.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from synthaudit.data.logs import all_items, spec_of
from synthaudit.metrics.registry import register
from synthaudit.metrics.result import MetricResult
from synthaudit.metrics.tabular.learners import fit_threads
from synthaudit.stats.log_anomaly import (LABEL_SCHEMES, LEARNER_TEXT, LEARNERS, TASK_METRICS, EventVocabulary,
                                          SessionData, build_sessions, fit, fit_vocabulary, task_score)

ROLE_NAMES = {"synthetic": "synthetic", "train": "train", "real_holdout": "holdout"}
TASK_PARAMS = {
    "learner": {"default": "logistic_regression", "options": list(LEARNERS),
                "note": "code param: the downstream learner (see notes)"},
    "label_scheme": {"default": "binary", "options": list(LABEL_SCHEMES),
                     "note": "code param: 'binary' = 1/0, true/false, anomaly/normal, '-' normal; 'bgl' = '-' "
                             "normal and any other value (an alert category) anomalous"},
}
TASK_NOTE = ("sessions = the session field, else each HDFS block id (blk_-?\\d+) in a message; a session is "
             "anomalous if any of its messages is; features = log(1 + count) of each event (templates parsed from "
             "the TRAIN logs; messages of other logs matched to them, unmatched -> one 'unseen' column)")


def needs_task(*roles: str):
    """An ``applies`` check: the labelled log tables of the downstream task."""
    flags = {"train": "--train", "real_holdout": "--holdout", "synthetic": "--synthetic"}

    def check(inputs) -> str | None:
        missing = [flags[r] for r in roles if r not in inputs.tables]
        if missing:
            return f"no {' / '.join(missing)} logs (labelled real logs for the downstream anomaly-detection task)"
        unlabelled = [ROLE_NAMES[r] for r in roles if not spec_of(inputs, r).label]
        if unlabelled:
            return (f"no anomaly labels in the {', '.join(unlabelled)} logs (--label-field: 1/0, true/false, "
                    "anomaly/normal per message or session)")
        return None

    return check


def check_task_params(metric_id: str, p: dict[str, Any]) -> None:
    if p["learner"] not in LEARNERS:
        raise ValueError(f"{metric_id}: learner {p['learner']!r}; expected one of {', '.join(LEARNERS)}")
    if p["task_metric"] not in TASK_METRICS:
        raise ValueError(f"{metric_id}: task_metric {p['task_metric']!r}; expected one of {', '.join(TASK_METRICS)}")
    if p["label_scheme"] not in LABEL_SCHEMES:
        raise ValueError(f"{metric_id}: label_scheme {p['label_scheme']!r}; expected one of "
                         f"{', '.join(LABEL_SCHEMES)}")


def vocabulary(inputs) -> EventVocabulary:
    """The event templates of the training logs (the audit's parser), once per audit."""
    return inputs.features.get("logs.anomaly:vocabulary",
                               lambda: fit_vocabulary([it.content for it in all_items(inputs, "train")],
                                                      inputs.extra["parser"]))


def sessions(inputs, role: str, scheme: str) -> SessionData:
    """The labelled sessions of a role as event-count vectors, once per audit and label scheme."""
    def compute() -> SessionData:
        vocab = vocabulary(inputs)
        items = all_items(inputs, role)
        contents = [it.content for it in items]
        events = vocab.events(contents)
        return build_sessions([it.record for it in items], contents, [it.session for it in items],
                              [it.label for it in items], events, vocab.n_columns, scheme=scheme,
                              file=inputs.tables[role].label, label_field=spec_of(inputs, role).label)

    return inputs.features.get(f"logs.anomaly:sessions:{role}:{scheme}", compute)


def task_notes(inputs, p: dict[str, Any], roles: tuple[str, ...]) -> dict[str, Any]:
    vocab = vocabulary(inputs)
    data = {ROLE_NAMES[r]: sessions(inputs, r, p["label_scheme"]).describe() for r in roles}
    return {"task": "session anomaly detection on event-count vectors (loglizer-style)", "features": TASK_NOTE,
            "learner": LEARNER_TEXT[p["learner"]], "task_metric": "F1 of the anomalous class" if p["task_metric"] ==
            "f1" else "accuracy", "events": len(vocab.templates), "parser": vocab.method, "label_scheme":
            p["label_scheme"], "sessions": data}


def undefined_reason(metric: str, *named: tuple[str, SessionData]) -> str | None:
    for name, d in named:
        if len(d.labels) == 0:
            return f"the {name} logs have no labelled session"
    test = named[-1][1]
    if metric == "f1" and test.labels.sum() == 0:
        return f"the {named[-1][0]} logs have no anomalous session: F1 of the anomalous class is undefined"
    return None


@register(id="logs.delta_downstream", name="Downstream utility gain (Delta_M)", modality="logs", pillar="quality",
          dimension="utility", section="5.2", direction="higher_better", range=(float("-inf"), float("inf")),
          inputs=("synthetic", "train", "real_holdout", "labels"), models=("downstream_learner",),
          computation="global",
          params={"task_metric": {"default": "f1", "options": list(TASK_METRICS)},
                  "seeds": {"default": 3, "note": "code param: number of seeds (inputs.seed, +1, ...) averaged"},
                  **TASK_PARAMS},
          applies=needs_task("train", "real_holdout", "synthetic"))
def delta_downstream(inputs, models) -> MetricResult:
    """Delta_M = M(f(D_real + D_syn)) - M(f(D_real)) on the fixed real holdout (section 5.2): f = the session
    anomaly detector trained on the real training sessions, with and without the synthetic (labelled) sessions;
    M = F1 of the anomalous class (or accuracy). Averaged over ``seeds``; positive = the synthetic logs help."""
    p = inputs.params_for("logs.delta_downstream", delta_downstream.spec.default_params())
    check_task_params("logs.delta_downstream", p)
    n_seeds = p["seeds"]
    if isinstance(n_seeds, bool) or not isinstance(n_seeds, (int, np.integer)) or n_seeds < 1:
        raise ValueError(f"logs.delta_downstream: seeds must be a positive integer, got {n_seeds!r}")
    scheme, metric = p["label_scheme"], p["task_metric"]
    train, syn, test = (sessions(inputs, r, scheme) for r in ("train", "synthetic", "real_holdout"))
    notes = task_notes(inputs, p, ("train", "synthetic", "real_holdout"))
    notes.update(delta="M(train + synthetic) - M(train) on the holdout sessions (positive = synthetic logs help)",
                 vocabulary="events are the TRAIN logs' templates: synthetic messages matching none count as "
                            "'unseen'", seeds=[int(inputs.seed) + i for i in range(int(n_seeds))])
    reason = undefined_reason(metric, ("train", train), ("synthetic", syn), ("holdout", test))
    if reason:
        notes["undefined"] = reason
        return MetricResult(value=None, notes=notes, secondary={"m_real": None, "m_augmented": None,
                                                                "variance": None})
    rows = []
    with fit_threads(len(train.labels) + len(syn.labels)):
        for seed in notes["seeds"]:
            m_real = task_score(fit(p["learner"], seed, train), test, metric)
            m_aug = task_score(fit(p["learner"], seed, train, syn), test, metric)
            rows.append({"seed": seed, "m_real": m_real, "m_augmented": m_aug, "delta": m_aug - m_real})
    deltas = np.array([r["delta"] for r in rows])
    notes["variance"] = "sample variance (ddof 1) of Delta_M over the seeds (None with one seed); the lbfgs " \
                        "logistic regression is deterministic, so its seeds agree (variance 0)"
    secondary = {"m_real": float(np.mean([r["m_real"] for r in rows])),
                 "m_augmented": float(np.mean([r["m_augmented"] for r in rows])),
                 "variance": float(deltas.var(ddof=1)) if len(deltas) > 1 else None}
    return MetricResult(value=float(deltas.mean()), breakdown=rows, secondary=secondary, notes=notes)
