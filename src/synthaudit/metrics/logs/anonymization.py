"""Log privacy (survey section 5.3.3): Downstream Model Performance Degradation from anonymisation
(logs.anonymization_delta), on the session anomaly detector of :mod:`synthaudit.stats.log_anomaly`."""
from __future__ import annotations

from synthaudit.metrics.logs.utility import TASK_PARAMS, check_task_params, needs_task, sessions, task_notes, \
    undefined_reason
from synthaudit.metrics.registry import register
from synthaudit.metrics.result import MetricResult
from synthaudit.metrics.tabular.learners import fit_threads
from synthaudit.stats.log_anomaly import TASK_METRICS, fit, task_score

SETTINGS = ("swap_at_eval", "retrain_on_anonymized")


@register(id="logs.anonymization_delta", name="Downstream performance degradation from anonymisation (Delta_M)",
          modality="logs", pillar="trust", dimension="privacy", section="5.3", direction="lower_better",
          range=(float("-inf"), float("inf")), inputs=("synthetic", "train", "real_holdout", "labels"),
          models=("downstream_learner",), computation="global",
          params={"setting": {"default": "swap_at_eval", "options": list(SETTINGS)},
                  "task_metric": {"default": "f1", "options": list(TASK_METRICS)}, **TASK_PARAMS},
          applies=needs_task("train", "real_holdout", "synthetic"))
def anonymization_delta(inputs, models) -> MetricResult:
    """Delta_M, the utility lost to anonymisation (section 5.3.3; positive = loss). ``swap_at_eval``: g is trained
    once on the original training logs; Delta_M = M(g; original test logs) - M(g; anonymised test logs), the
    synthetic logs being the anonymised version of the holdout. ``retrain_on_anonymized``: the synthetic logs are
    the anonymised TRAINING logs; Delta_M = M(g; holdout) - M(g'; holdout) with g' trained on them."""
    p = inputs.params_for("logs.anonymization_delta", anonymization_delta.spec.default_params())
    check_task_params("logs.anonymization_delta", p)
    if p["setting"] not in SETTINGS:
        raise ValueError(f"logs.anonymization_delta: setting {p['setting']!r}; expected one of {', '.join(SETTINGS)}")
    scheme, metric, seed = p["label_scheme"], p["task_metric"], int(inputs.seed)
    train, anon, test = (sessions(inputs, r, scheme) for r in ("train", "synthetic", "real_holdout"))
    notes = task_notes(inputs, p, ("train", "synthetic", "real_holdout"))
    notes.update(setting=p["setting"], seed=seed, sign="positive = performance lost to anonymisation (the "
                 "opposite convention to logs.delta_downstream)")
    with fit_threads(len(train.labels) + len(anon.labels)):
        return _delta(p, metric, seed, train, anon, test, notes)


def _delta(p, metric, seed, train, anon, test, notes) -> MetricResult:
    """The two scores of the chosen setting and their difference."""
    g = fit(p["learner"], seed, train)
    if p["setting"] == "swap_at_eval":
        notes["protocol"] = "g trained once on the train logs; evaluated on the holdout and on the synthetic " \
                            "(= anonymised holdout) logs"
        reason = undefined_reason(metric, ("train", train), ("holdout", test)) or \
            undefined_reason(metric, ("synthetic (anonymised holdout)", anon))
        if reason:
            notes["undefined"] = reason
            return MetricResult(value=None, notes=notes, secondary={"m_original": None, "m_anonymized": None})
        m_orig, m_anon = task_score(g, test, metric), task_score(g, anon, metric)
        rows = [{"model": "g (trained on train)", "evaluated_on": "holdout (original)", "value": m_orig},
                {"model": "g (trained on train)", "evaluated_on": "synthetic (anonymised)", "value": m_anon}]
    else:
        notes["protocol"] = "g trained on the train logs, g' on the synthetic (= anonymised training) logs; both " \
                            "evaluated on the holdout"
        reason = undefined_reason(metric, ("train", train), ("synthetic (anonymised train)", anon),
                                  ("holdout", test))
        if reason:
            notes["undefined"] = reason
            return MetricResult(value=None, notes=notes, secondary={"m_original": None, "m_anonymized": None})
        m_orig, m_anon = task_score(g, test, metric), task_score(fit(p["learner"], seed, anon), test, metric)
        rows = [{"model": "g (trained on train)", "evaluated_on": "holdout", "value": m_orig},
                {"model": "g' (trained on synthetic = anonymised train)", "evaluated_on": "holdout", "value": m_anon}]
    return MetricResult(value=m_orig - m_anon, breakdown=rows, notes=notes,
                        secondary={"m_original": m_orig, "m_anonymized": m_anon})
