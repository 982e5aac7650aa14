"""JSON privacy (survey section 5.3.2): Clinical Model Consistency |delta_X| = |X_relex - X_real|
(json.clinical_model_consistency).

The clinical model: a TF-IDF + logistic regression text classifier (scikit-learn ``TfidfVectorizer()`` defaults,
``LogisticRegression(max_iter=1000, random_state=seed)``), trained and evaluated by stratified k-fold
cross-validation (shuffled, seeded) on the real records (role real_reference) and, separately, on the synthetic
(relexicalised) records. X is computed on the pooled out-of-fold predictions: AUROC (binary: of the second class
in sorted order; multi-class: one-vs-rest macro) or accuracy. Each record's text is the leaf values of its parsed
document (strings, numbers, booleans in document order, keys left out), or its raw text when it does not parse
(or with ``text: raw``). X is averaged over the seeds before the gap is taken; per-subgroup gaps use the same
out-of-fold predictions restricted to the subgroup (``--group-field``).
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from synthaudit.data.json_docs import JsonItem, all_items, spec_of
from synthaudit.metrics.registry import register
from synthaudit.metrics.result import MetricResult

METRICS_X = ("auroc", "accuracy")
TEXTS = ("values", "raw")
LEARNER = ("scikit-learn TfidfVectorizer() (defaults: lower-cased, tokens of 2+ word characters) + "
           "LogisticRegression(max_iter=1000, random_state=seed)")
ROLES = {"real": "real_reference", "relex": "synthetic"}


def leaves(value: Any) -> list[str]:
    """The leaf values of a parsed JSON document as text, in document order (None left out)."""
    if isinstance(value, dict):
        return [t for v in value.values() for t in leaves(v)]
    if isinstance(value, list):
        return [t for v in value for t in leaves(v)]
    if value is None:
        return []
    if isinstance(value, bool):
        return ["true" if value else "false"]
    return [str(value)]


def label_key(value: Any) -> str:
    """A label or group value as text (1, 1.0 and '1' are the same label)."""
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value)).lower()
    if isinstance(value, (int, float, np.integer, np.floating)) and math.isfinite(float(value)) \
            and float(value) == int(float(value)):
        return str(int(float(value)))
    return str(value).strip()


def _sorted(keys: set[str]) -> list[str]:
    try:
        return sorted(keys, key=float)
    except ValueError:
        return sorted(keys)


def record_text(item: JsonItem, mode: str) -> tuple[str, bool]:
    """(the text the model reads, whether the parsed values were used)."""
    if mode == "values":
        parsed = item.parse()
        if parsed.ok:
            return " ".join(leaves(parsed.value)), True
    return item.raw or "", False


def needs_real_and_labels(inputs) -> str | None:
    if "real_reference" not in inputs.tables:
        return "no real records (--real: the original records the relexicalised ones were made from)"
    missing = [name for name, role in (("synthetic", "synthetic"), ("real", "real_reference"))
               if not spec_of(inputs, role).label]
    if missing:
        return f"no class label in the {' and '.join(missing)} records (--label-field)"
    return None


def x_value(metric: str, y: np.ndarray, proba: np.ndarray, n_classes: int) -> tuple[float | None, str | None]:
    """X on a set of records (None and why when undefined)."""
    from sklearn.metrics import accuracy_score, roc_auc_score

    if len(y) == 0:
        return None, "no record"
    if metric == "accuracy":
        return float(accuracy_score(y, proba.argmax(axis=1))), None
    present = np.unique(y)
    if n_classes == 2:
        if len(present) < 2:
            return None, "one class only: AUROC undefined"
        return float(roc_auc_score(y, proba[:, 1])), None
    if len(present) < n_classes:
        return None, "not every class present: one-vs-rest AUROC undefined"
    return float(roc_auc_score(y, proba, multi_class="ovr", average="macro", labels=np.arange(n_classes))), None


def _dataset(inputs, role: str, mode: str) -> dict[str, Any]:
    items = all_items(inputs, role)
    texts, labels, groups, used_values, no_label = [], [], [], 0, 0
    for it in items:
        if it.label is None:
            no_label += 1
            continue
        text, parsed = record_text(it, mode)
        used_values += parsed
        texts.append(text)
        labels.append(label_key(it.label))
        groups.append(None if it.group is None else label_key(it.group))
    return {"texts": texts, "labels": labels, "groups": groups, "n_records": len(items), "no_label": no_label,
            "parsed_values": used_values, "raw_text": len(texts) - used_values}


def _cv_proba(texts: list[str], y: np.ndarray, k: int, seed: int) -> np.ndarray:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict
    from sklearn.pipeline import make_pipeline

    from synthaudit.metrics.tabular.learners import fit_threads

    model = make_pipeline(TfidfVectorizer(), LogisticRegression(max_iter=1000, random_state=seed))
    cv = StratifiedKFold(n_splits=k, shuffle=True, random_state=seed)
    with fit_threads(len(texts)):  # BLAS threads cost more than they save on small data
        return cross_val_predict(model, np.asarray(texts, dtype=object), y, cv=cv, method="predict_proba")


@register(id="json.clinical_model_consistency", name="Clinical Model Consistency (|delta_X|)", modality="json",
          pillar="trust", dimension="privacy", section="5.3", direction="lower_better", range=(0.0, float("inf")),
          inputs=("synthetic", "real_reference", "labels"), models=("downstream_learner",), computation="global",
          params={"metric_X": {"default": "auroc", "options": list(METRICS_X)},
                  "folds": {"default": 5, "note": "code param: stratified cross-validation folds (fewer when a "
                            "class has fewer records)"},
                  "seeds": {"default": 3, "note": "code param: number of seeds (inputs.seed, +1, ...) averaged"},
                  "text": {"default": "values", "options": list(TEXTS),
                           "note": "code param: the model reads the parsed leaf values ('values') or the raw text"}},
          applies=needs_real_and_labels)
def clinical_model_consistency(inputs, models) -> MetricResult:
    """|delta_X| = |X_relex - X_real| (section 5.3.2): the same classifier, cross-validated on the real records and
    on the relexicalised (synthetic) records; X = AUROC by default; per-subgroup gaps in the breakdown."""
    p = inputs.params_for("json.clinical_model_consistency", clinical_model_consistency.spec.default_params())
    metric, mode, folds, n_seeds = p["metric_X"], p["text"], p["folds"], p["seeds"]
    if metric not in METRICS_X:
        raise ValueError(f"json.clinical_model_consistency: metric_X {metric!r}; expected one of "
                         f"{', '.join(METRICS_X)}")
    if mode not in TEXTS:
        raise ValueError(f"json.clinical_model_consistency: text {mode!r}; expected one of {', '.join(TEXTS)}")
    for name, v, low in (("folds", folds, 2), ("seeds", n_seeds, 1)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < low:
            raise ValueError(f"json.clinical_model_consistency: {name} must be an integer >= {low}, got {v!r}")
    data = {side: _dataset(inputs, role, mode) for side, role in ROLES.items()}
    seeds = [int(inputs.seed) + i for i in range(int(n_seeds))]
    notes: dict[str, Any] = {
        "learner": LEARNER, "metric_X": metric, "seeds": seeds, "text": mode,
        "protocol": "stratified k-fold cross-validation (shuffled, seeded) on each dataset separately; X on the "
                    "pooled out-of-fold predictions; X averaged over the seeds, then |X_relex - X_real|",
        "auroc": "binary: AUROC of the second class in sorted order; multi-class: one-vs-rest macro",
        **{f"{k}_{side}": d[k] for side, d in data.items() for k in ("n_records", "no_label", "parsed_values",
                                                                      "raw_text")}}
    classes = _sorted({lab for d in data.values() for lab in d["labels"]})
    index = {c: i for i, c in enumerate(classes)}
    notes["classes"] = classes
    problems = []
    for side, d in data.items():
        counts = {c: d["labels"].count(c) for c in classes}
        if len([c for c in classes if counts[c]]) < 2 or min(v for v in counts.values() if v) < 2:
            problems.append(f"the {side} records need at least two classes with at least two labelled records each "
                            f"(counts: {counts})")
        elif any(counts[c] == 0 for c in classes):
            problems.append(f"class(es) {[c for c in classes if not counts[c]]} absent from the {side} records: X is "
                            "not comparable")
    if problems:
        notes["undefined"] = "; ".join(problems)
        return MetricResult(value=None, notes=notes, secondary={"x_real": None, "x_relex": None, "delta": None})
    group_keys = _sorted({g for d in data.values() for g in d["groups"] if g is not None})
    x: dict[str, dict[str, list]] = {side: {"all": [], **{g: [] for g in group_keys}} for side in data}
    why: dict[tuple[str, str], str] = {}
    k_used = {}
    for side, d in data.items():
        y = np.array([index[c] for c in d["labels"]])
        k = min(int(folds), int(np.bincount(y).min()))
        k_used[side] = k
        groups = np.array([g if g is not None else "" for g in d["groups"]], dtype=object)
        for seed in seeds:
            proba = _cv_proba(d["texts"], y, k, seed)
            x[side]["all"].append(x_value(metric, y, proba, len(classes))[0])
            for g in group_keys:
                m = groups == g
                val, reason = x_value(metric, y[m], proba[m], len(classes))
                x[side][g].append(val)
                if reason:
                    why[(side, g)] = reason
    notes["folds_used"] = k_used

    def mean(vals: list) -> float | None:
        return None if not vals or any(v is None for v in vals) else float(np.mean(vals))

    x_real, x_relex = mean(x["real"]["all"]), mean(x["relex"]["all"])
    per_seed = [abs(a - b) for a, b in zip(x["relex"]["all"], x["real"]["all"])]
    rows = [{"group": "(all)", "n_real": len(data["real"]["labels"]), "n_relex": len(data["relex"]["labels"]),
             "x_real": x_real, "x_relex": x_relex, "delta": x_relex - x_real, "gap": abs(x_relex - x_real)}]
    for g in group_keys:
        xr, xs = mean(x["real"][g]), mean(x["relex"][g])
        row = {"group": g, "n_real": data["real"]["groups"].count(g), "n_relex": data["relex"]["groups"].count(g),
               "x_real": xr, "x_relex": xs, "delta": None if xr is None or xs is None else xs - xr,
               "gap": None if xr is None or xs is None else abs(xs - xr)}
        reasons = [f"{side}: {why[(side, g)]}" for side in data if (side, g) in why]
        if reasons:
            row["note"] = "; ".join(reasons)
        rows.append(row)
    if group_keys:
        notes["groups"] = "per-subgroup X on the out-of-fold predictions of the subgroup's records (records " \
                          "without a group are in (all) only)"
    gaps = [r["gap"] for r in rows[1:] if r["gap"] is not None]
    secondary = {"x_real": x_real, "x_relex": x_relex, "delta": x_relex - x_real,
                 "gap_std_over_seeds": float(np.std(per_seed, ddof=1)) if len(per_seed) > 1 else None,
                 "max_group_gap": max(gaps) if gaps else None}
    return MetricResult(value=abs(x_relex - x_real), breakdown=rows, secondary=secondary, notes=notes)
