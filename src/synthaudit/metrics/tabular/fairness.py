"""Tabular fairness (survey section 4.3): SPD, DIR, equalized odds, equal opportunity (TSTR), coverage gap,
label-conditional shift.

Outcome and error-rate fairness are measured in the TSTR setting: the classifier of ``tabular.tstr_auc``
(same learner param, seed and encoding, protected attribute kept as a feature) is trained on the synthetic
table and predicts the real holdout; groups are the holdout's values of ``inputs.protected`` (a missing
value is a group of its own). Y^=1 means "the most probable class is the positive class" (threshold 0.5
for a binary model). Every value is also computed for the same learner trained on the real training table
(TRTR, secondary ``trtr``): TSTR - TRTR is the part due to the data rather than to the model.

Code-side settings (parameters of spd, dir, eo and eop, e.g. ``--param tabular.spd.positive_class=...``):
``positive_class`` (default: the minority class of the real training table, ties to the last in sorted order),
``include_protected`` (default True: the protected attribute is a feature) and ``learner`` (default:
``tabular.tstr_auc``'s learner).
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from itertools import combinations
from typing import TYPE_CHECKING, Any, Callable

import numpy as np
import pandas as pd

from synthaudit.data.tabular import ColumnType, canonical_category
from synthaudit.metrics.registry import MergeableMetric, register
from synthaudit.metrics.result import MetricResult, mean_or_none
from synthaudit.metrics.tabular.features import (MISSING, REAL, SUPPRESSED, SYN, CategoryCountsMixin, discretize,
                                                  marginal_bars, pool_suppressed, REAL_RANGES,
                                                  real_bin_edges, with_statistics_notes)
from synthaudit.metrics.tabular.learners import CLASSIFICATION, holdout_predictions, resolve, target_values
from synthaudit.stats.counts import count_pairs, tvd

if TYPE_CHECKING:
    from synthaudit.data.inputs import AuditInputs

LEARNER_METRICS = ("tabular.spd", "tabular.dir", "tabular.eo", "tabular.eop")
#: code-side settings of the four learner-based fairness metrics (see the module docstring)
SETTINGS: dict[str, Any] = {"positive_class": None, "include_protected": True, "learner": None}
NOT_CONFIGURED = (None, "required", "")


# --------------------------------------------------------------------------- applicability

def needs_protected(*, target: str | None = None) -> Callable[["AuditInputs"], str | None]:
    """Applicability: a categorical/boolean protected attribute; ``target`` = 'binary' (learner metrics)
    or 'labels' (cond_shift: categorical, boolean, or numerical binned) constrains the target."""
    def check(inputs: "AuditInputs") -> str | None:
        if inputs.protected is None:
            return ("needs the protected attribute (--protected); --sensitive alone names the attribute-inference "
                    "target, not the groups to compare")
        spec = inputs.table_spec
        if spec is None:
            return None
        kind = spec.type_of(inputs.protected)
        if kind not in (ColumnType.CATEGORICAL, ColumnType.BOOLEAN):
            return (f"protected attribute {inputs.protected!r} is a {kind.value} column: groups need a categorical or "
                    "boolean column (bin it first, e.g. in the table spec)")
        if target is None or inputs.target is None:
            return None
        if inputs.target == inputs.protected:
            return "the target and the protected attribute are the same column"
        tkind = spec.type_of(inputs.target)
        if target == "labels":
            return f"target {inputs.target!r} is an identifier column" if tkind == ColumnType.ID else None
        if tkind not in (ColumnType.CATEGORICAL, ColumnType.BOOLEAN):
            return f"needs a binary target (Y^=1 is the positive class); target {inputs.target!r} is {tkind.value}"
        classes = real_class_counts(inputs)
        if len(classes) != 2:
            shown = ", ".join(map(repr, sorted(classes)[:6]))
            return (f"needs a binary target (Y^=1 is the positive class); target {inputs.target!r} has "
                    f"{len(classes)} classes in the real data ({shown})")
        return None

    return check


def real_class_counts(inputs: "AuditInputs") -> Counter:
    """Target class counts of the real data: the training table, plus holdout classes (count 0) not in it."""
    def compute() -> Counter:
        counts: Counter = Counter()
        for role in ("train", "real_holdout"):
            if role in inputs.tables:
                y, _ = target_values(inputs.frame(role), inputs.target, CLASSIFICATION)
                if not counts:
                    counts.update(y.tolist())
                else:
                    for c in set(y.tolist()) - set(counts):
                        counts[c] = 0
        return counts

    return inputs.features.get(f"tabular.real_class_counts[{inputs.target}]", compute)


# --------------------------------------------------------------------------- predictions by group

@dataclass
class GroupPredictions:
    """Holdout rows with a target: true and predicted membership of the positive class, and the group."""

    model: str  # "TSTR" or "TRTR"
    y_true: np.ndarray  # bool
    y_pred: np.ndarray  # bool
    groups: np.ndarray  # str (MISSING for a missing protected value)
    positive_class: str
    notes: list[str]


def fairness_settings(inputs: "AuditInputs", metric_id: str = "tabular.spd") -> dict[str, Any]:
    """The code-side settings of a learner-based fairness metric, resolved (positive class, learner ...)."""
    from synthaudit.metrics.tabular.utility import tstr_auc

    s = inputs.params_for(metric_id, SETTINGS)
    learner = s["learner"] or inputs.params_for("tabular.tstr_auc", tstr_auc.spec.default_params())["learner"]
    counts = real_class_counts(inputs)
    if s["positive_class"] is None:
        low = min(counts.values())
        positive = sorted(c for c, n in counts.items() if n == low)[-1]
        rule = ("minority class of the real training table (ties: last in sorted order)" if "train" in inputs.tables
                else "minority class of the real holdout (no real training table; ties: last in sorted order)")
    else:
        positive = canonical_category(s["positive_class"])
        if positive not in counts:
            raise ValueError(f"positive_class {s['positive_class']!r} is not a class of target {inputs.target!r} "
                             f"(classes: {', '.join(sorted(counts))})")
        rule = "set by the positive_class setting"
    return {"positive_class": positive, "positive_class_rule": rule, "learner": str(learner),
            "include_protected": bool(s["include_protected"])}


def fairness_predictions(inputs: "AuditInputs", metric_id: str = "tabular.spd") -> dict[str, GroupPredictions | None]:
    """The TSTR and TRTR predictions (Y^=1, Y=1, group) that the fairness metrics score; for tests and reuse."""
    st = fairness_settings(inputs, metric_id)
    exclude = () if st["include_protected"] else (inputs.protected,)
    hold = inputs.frame("real_holdout")
    out: dict[str, GroupPredictions | None] = {}
    for name, role in (("TSTR", "synthetic"), ("TRTR", "train")):
        p = holdout_predictions(inputs, role, task=CLASSIFICATION, learner=st["learner"], exclude=exclude)
        if p is None or not p.fitted:
            out[name.lower()] = None
            continue
        g = hold[inputs.protected][p.holdout_rows]
        groups = g.astype(object).where(g.notna(), MISSING).astype(str).to_numpy(dtype=object)
        notes = list(p.notes)
        if st["positive_class"] not in p.classes:
            notes.append(f"the positive class {st['positive_class']!r} is absent from the {role} table: Y^=1 never")
        out[name.lower()] = GroupPredictions(name, p.y_true == st["positive_class"], p.pred == st["positive_class"],
                                             groups, st["positive_class"], notes)
    return out


def group_stats(gp: GroupPredictions) -> dict[str, dict[str, Any]]:
    """Per group: n, positives, negatives, selection rate P(Y^=1), TPR, FPR (None when undefined), base rate."""
    out = {}
    for g in _ordered(set(gp.groups.tolist())):
        m = gp.groups == g
        y, yh = gp.y_true[m], gp.y_pred[m]
        n_pos, n_neg = int(y.sum()), int((~y).sum())
        out[g] = {"n": int(m.sum()), "n_positive": n_pos, "n_negative": n_neg, "selection_rate": float(yh.mean()),
                  "tpr": float(yh[y].mean()) if n_pos else None, "fpr": float(yh[~y].mean()) if n_neg else None,
                  "base_rate": float(y.mean())}
    return out


def _ordered(groups) -> list[str]:
    return sorted(groups, key=lambda g: (g == MISSING, g))


def _range(values: list[float | None]) -> float | None:
    vals = [v for v in values if v is not None]
    return float(max(vals) - min(vals)) if len(vals) >= 2 else None


def _absdiff(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else abs(a - b)


# --------------------------------------------------------------------------- the four learner-based metrics

def _fairness(inputs: "AuditInputs", metric_id: str) -> MetricResult:
    st = fairness_settings(inputs, metric_id)
    preds = fairness_predictions(inputs, metric_id)
    stats = {k: group_stats(v) if v is not None else None for k, v in preds.items()}
    used, substituted = resolve(st["learner"])
    if stats["tstr"] is None:
        return MetricResult(value=None, notes={"undefined": "no TSTR model: the synthetic table has no row with a "
                                                            "target value"})
    groups = list(stats["tstr"])
    notes: dict[str, Any] = {
        "protected": inputs.protected, "positive_class": st["positive_class"],
        "positive_class_rule": st["positive_class_rule"],
        "prediction": "Y^=1 when the most probable class is the positive class (threshold 0.5 for a binary model)",
        "setting": "TSTR: trained on synthetic, evaluated on the real holdout; TRTR (secondary 'trtr'): same "
                   "learner trained on the real training table",
        "protected_as_feature": st["include_protected"], "learner": used, "learner_requested": st["learner"],
        **({"learner_note": substituted} if substituted else {}),
        "groups": {g: stats["tstr"][g]["n"] for g in groups},
        "group_rates": [{"group": g, "model": m.upper(), **s[g]}
                        for m, s in stats.items() if s is not None for g in groups],
    }
    if MISSING in groups:
        notes["missing_protected"] = f"holdout rows with a missing protected value form the group {MISSING!r}"
    warn = [f"{v.model}: {n}" for v in preds.values() if v is not None for n in v.notes]
    if warn:
        notes["warnings"] = warn
    if stats["trtr"] is None:
        notes["trtr"] = "no real training table (--real): TRTR not available"
    if len(groups) < 2:
        notes["undefined"] = f"the holdout has {len(groups)} group(s) of {inputs.protected!r}: nothing to compare"
        return MetricResult(value=None, notes=notes)
    kind = metric_id.split(".")[1]
    return {"spd": _spd, "dir": _dir, "eo": _eo, "eop": _eop}[kind](inputs, metric_id, stats, groups, notes)


def _pair_rows(stats: dict, groups: list[str], quantity: str, pair_value) -> list[dict]:
    rows = []
    for a, b in combinations(groups, 2):
        row: dict[str, Any] = {"group_a": a, "group_b": b, "n_a": stats["tstr"][a]["n"],
                               "n_b": stats["tstr"][b]["n"]}
        for model in ("tstr", "trtr"):
            s = stats[model]
            key = "value" if model == "tstr" else "trtr"
            row[key] = pair_value(s[a], s[b]) if s is not None else None
            if quantity:
                prefix = "" if model == "tstr" else "trtr_"
                row[f"{prefix}{quantity}_a"] = s[a][quantity] if s is not None else None
                row[f"{prefix}{quantity}_b"] = s[b][quantity] if s is not None else None
        rows.append(row)
    return rows


def _mark_worst(rows: list[dict], key=lambda r: r["value"]) -> None:
    defined = [r for r in rows if r["value"] is not None]
    for r in rows:
        r["worst"] = False
    if defined:
        max(defined, key=key)["worst"] = True


def _rate_plot(stats: dict, groups: list[str], inputs: "AuditInputs", notes: dict) -> dict:
    title = f"P(Y^=1) by {inputs.protected} (positive class {notes['positive_class']})"
    series = {f"{m.upper()} P(Y^=1)": [stats[m][g]["selection_rate"] for g in groups] for m in ("tstr", "trtr")
              if stats[m] is not None}
    series["real P(Y=1)"] = [stats["tstr"][g]["base_rate"] for g in groups]
    return {"kind": "groups", "title": title, "groups": groups, "series": series, "ylabel": "positive rate"}


def _error_plot(stats: dict, groups: list[str], title: str, rates: tuple[str, ...]) -> dict:
    series = {f"{m.upper()} {r.upper()}": [stats[m][g][r] for g in groups] for r in rates for m in ("tstr", "trtr")
              if stats[m] is not None}
    return {"kind": "groups", "title": title, "groups": groups, "series": series, "ylabel": "rate"}


def _spd(inputs, metric_id, stats, groups, notes) -> MetricResult:
    rows = _pair_rows(stats, groups, "selection_rate", lambda a, b: abs(a["selection_rate"] - b["selection_rate"]))
    _mark_worst(rows)

    def value(s):
        return _range([s[g]["selection_rate"] for g in groups]) if s is not None else None

    notes["aggregate"] = ("worst pair = max - min of P(Y^=1 | A=g) over holdout groups "
                          "(fairlearn's demographic_parity_difference)")
    return MetricResult(value=value(stats["tstr"]), breakdown=rows, notes=notes,
                        secondary={"trtr": value(stats["trtr"])},
                        plots=[_rate_plot(stats, groups, inputs, notes)])


def _ratio(num: float, den: float) -> float | None:
    return None if den == 0 else num / den


def _distance_from_one(r: float) -> float:
    return float("inf") if r == 0 else abs(np.log(r))


def _dir(inputs, metric_id, stats, groups, notes) -> MetricResult:
    params = inputs.params_for(metric_id, _dir_fn.spec.default_params())
    unpriv, priv = (None if params[k] in NOT_CONFIGURED else canonical_category(params[k])
                    for k in ("unprivileged_group", "privileged_group"))
    for name, g in (("unprivileged_group", unpriv), ("privileged_group", priv)):
        if g is not None and g not in groups:
            raise ValueError(f"{name} {g!r} is not a group of {inputs.protected!r} in the holdout "
                             f"(groups: {', '.join(groups)})")
    if unpriv is not None and unpriv == priv:
        raise ValueError("unprivileged_group and privileged_group are the same group")
    rows: list[dict] = []
    if unpriv is None and priv is None:
        notes["pairs"] = ("unprivileged/privileged groups not configured (catalog: required): every pair is written "
                          "with the lower-rate group as numerator (min/max <= 1, fairlearn's symmetric ratio); "
                          "the value is the pair furthest from 1")
        for a, b in combinations(groups, 2):
            rows.append(_ratio_row({"group_a": a, "group_b": b}, stats, a, b, symmetric=True))
    else:
        pairs = ([(unpriv, priv)] if unpriv is not None and priv is not None
                 else [(g, priv) for g in groups if g != priv] if priv is not None
                 else [(unpriv, g) for g in groups if g != unpriv])
        notes["pairs"] = ("configured: DIR = P(Y^=1 | unprivileged) / P(Y^=1 | privileged)" +
                          ("" if len(pairs) == 1 else "; one side configured, the value is the pair furthest from 1"))
        for a, b in pairs:
            row = _ratio_row({"unprivileged": a, "privileged": b}, stats, a, b, symmetric=False)
            rows.append(row)
    _mark_worst(rows, key=lambda r: _distance_from_one(r["value"]))

    def worst(key: str) -> float | None:
        vals = [r[key] for r in rows if r.get(key) is not None]
        return min(vals, key=lambda v: -_distance_from_one(v)) if vals else None

    def symmetric(s) -> float | None:
        if s is None:
            return None
        rates = [s[g]["selection_rate"] for g in groups]
        return _ratio(min(rates), max(rates))

    value = worst("value")
    if value is None:
        notes["undefined"] = "every denominator (privileged or higher) positive rate is 0"
    notes["four_fifths_rule"] = "DIR < 0.8 flags disparate impact"
    notes["undefined_pairs"] = [r.get("group_a", r.get("unprivileged")) + " / " + r.get("group_b", r.get("privileged"))
                                for r in rows if r["value"] is None]
    return MetricResult(value=value, breakdown=rows, notes=notes,
                        secondary={"trtr": worst("trtr"), "min_over_max": symmetric(stats["tstr"]),
                                   "trtr_min_over_max": symmetric(stats["trtr"])},
                        plots=[_rate_plot(stats, groups, inputs, notes)])


def _undefined_groups(stats: dict, groups: list[str], rate: str) -> list[str]:
    return [g for g in groups if stats["tstr"][g][rate] is None]


def _eo(inputs, metric_id, stats, groups, notes) -> MetricResult:
    def pair(a, b):
        t, f = _absdiff(a["tpr"], b["tpr"]), _absdiff(a["fpr"], b["fpr"])
        return None if t is None or f is None else 0.5 * (t + f)

    rows = _pair_rows(stats, groups, "", pair)
    for r in rows:
        for model, prefix in (("tstr", ""), ("trtr", "trtr_")):
            s = stats[model]
            r[f"{prefix}abs_dtpr"] = _absdiff(s[r["group_a"]]["tpr"], s[r["group_b"]]["tpr"]) if s else None
            r[f"{prefix}abs_dfpr"] = _absdiff(s[r["group_a"]]["fpr"], s[r["group_b"]]["fpr"]) if s else None
    _mark_worst(rows)

    def parts(s) -> tuple[float | None, float | None]:
        if s is None:
            return None, None
        t, f = _range([s[g]["tpr"] for g in groups]), _range([s[g]["fpr"] for g in groups])
        if t is None or f is None:
            return None, None
        return 0.5 * (t + f), max(t, f)

    (mean_v, max_v), (trtr_mean, trtr_max) = parts(stats["tstr"]), parts(stats["trtr"])
    worst_pair = max((r["value"] for r in rows if r["value"] is not None), default=None)
    notes["aggregate"] = ("survey: 0.5 * (|dTPR| + |dFPR|), each gap the max - min over groups with that rate defined "
                          "(= fairlearn equalized_odds_difference(agg='mean'); equals the pair's value for two "
                          "groups); secondary 'max' = max(|dTPR|, |dFPR|), fairlearn's default agg='worst_case'; "
                          "'worst_pair' = the largest pairwise 0.5 * (|dTPR| + |dFPR|)")
    undefined = {"tpr (no positives)": _undefined_groups(stats, groups, "tpr"),
                 "fpr (no negatives)": _undefined_groups(stats, groups, "fpr")}
    if any(undefined.values()):
        notes["undefined_rates"] = {k: v for k, v in undefined.items() if v}
    return MetricResult(value=mean_v, breakdown=rows, notes=notes,
                        secondary={"max": max_v, "worst_pair": worst_pair, "trtr": trtr_mean, "trtr_max": trtr_max},
                        plots=[_error_plot(stats, groups, f"TPR and FPR by {inputs.protected}", ("tpr", "fpr"))])


def _eop(inputs, metric_id, stats, groups, notes) -> MetricResult:
    rows = _pair_rows(stats, groups, "tpr", lambda a, b: _absdiff(a["tpr"], b["tpr"]))
    _mark_worst(rows)
    undefined = _undefined_groups(stats, groups, "tpr")
    if undefined:
        notes["undefined_rates"] = {"tpr (no positives)": undefined}
    notes["aggregate"] = ("worst pair = max - min of TPR over groups with positives "
                          "(MetricFrame(true_positive_rate).difference())")

    def value(s):
        return _range([s[g]["tpr"] for g in groups]) if s is not None else None

    return MetricResult(value=value(stats["tstr"]), breakdown=rows, notes=notes,
                        secondary={"trtr": value(stats["trtr"])},
                        plots=[_error_plot(stats, groups, f"TPR by {inputs.protected}", ("tpr",))])


#: code-side settings exposed as parameters (``--param tabular.spd.positive_class=">50K"``)
_SETTING_PARAMS = {k: {"default": v} for k, v in SETTINGS.items()}

_FAIR = dict(modality="tabular", pillar="trust", dimension="fairness", section="4.3",
             inputs=("synthetic", "real_holdout", "labels", "protected_attribute"), models=("downstream_learner",),
             computation="global", applies=needs_protected(target="binary"))


@register(id="tabular.spd", name="Statistical Parity Difference (Delta_SPD)", direction="lower_better",
          range=(0.0, 1.0), params=_SETTING_PARAMS, **_FAIR)
def spd(inputs: "AuditInputs", models) -> MetricResult:
    """Delta_SPD = |P(Y^=1 | A=a) - P(Y^=1 | A=b)|, TSTR, worst pair over groups (section 4.3)."""
    return _fairness(inputs, "tabular.spd")


def _ratio_row(row: dict[str, Any], stats: dict, a: Any, b: Any, *, symmetric: bool) -> dict[str, Any]:
    """One DIR breakdown row: P(Y^=1 | a) / P(Y^=1 | b) (lower over higher when ``symmetric``), TSTR and TRTR."""
    row.update(n_a=stats["tstr"][a]["n"], n_b=stats["tstr"][b]["n"])
    for model in ("tstr", "trtr"):
        s = stats[model]
        key, prefix = ("value", "") if model == "tstr" else ("trtr", "trtr_")
        if s is None:
            row[key] = None
            continue
        ra, rb = s[a]["selection_rate"], s[b]["selection_rate"]
        row[key] = _ratio(min(ra, rb), max(ra, rb)) if symmetric else _ratio(ra, rb)
        row[f"{prefix}selection_rate_a"], row[f"{prefix}selection_rate_b"] = ra, rb
    return row


@register(id="tabular.dir", name="Disparate Impact Ratio (DIR)", direction="target", target_value=1.0,
          range=(0.0, float("inf")), params={"unprivileged_group": {"default": "required"},
                                              "privileged_group": {"default": "required"}, **_SETTING_PARAMS},
          **_FAIR)
def _dir_fn(inputs: "AuditInputs", models) -> MetricResult:
    """DIR = P(Y^=1 | A=unprivileged) / P(Y^=1 | A=privileged), TSTR (section 4.3); the pair furthest from 1
    (as min/max) when the groups are not configured."""
    return _fairness(inputs, "tabular.dir")


@register(id="tabular.eo", name="Equalized Odds difference (Delta_EO)", direction="lower_better", range=(0.0, 1.0),
          params=_SETTING_PARAMS, **_FAIR)
def eo(inputs: "AuditInputs", models) -> MetricResult:
    """Delta_EO = 0.5 * (|dTPR| + |dFPR|), TSTR (section 4.3); fairlearn's max version as secondary."""
    return _fairness(inputs, "tabular.eo")


@register(id="tabular.eop", name="Equal Opportunity difference (Delta_EOp; Table 1: Delta_EOP)",
          direction="lower_better", range=(0.0, 1.0), params=_SETTING_PARAMS, **_FAIR)
def eop(inputs: "AuditInputs", models) -> MetricResult:
    """Delta_EOp = |TPR_a - TPR_b|, TSTR, worst pair over groups with positives (section 4.3)."""
    return _fairness(inputs, "tabular.eop")


# --------------------------------------------------------------------------- representational diagnostics

@register(id="tabular.cov_gap", name="Subgroup coverage gap (CovGap)", modality="tabular", pillar="trust",
          dimension="fairness", section="4.3", direction="lower_better", range=(0.0, 1.0),
          inputs=("synthetic", "real_reference", "protected_attribute"), models=("none",), computation="mergeable",
          applies=needs_protected())
class CovGap(CategoryCountsMixin, MergeableMetric):
    """CovGap = 0.5 * sum_g |p_syn(A=g) - p_real(A=g)| (section 4.3): TVD of the protected attribute's
    marginals; a missing value is a group of its own."""

    def columns(self, inputs: "AuditInputs") -> list[str]:
        return [inputs.protected]

    def finalize(self, state: dict, inputs: "AuditInputs", models) -> MetricResult:
        col = state["columns"][0]
        r, s = state[REAL][col], pool_suppressed(state[REAL][col], state[SYN][col])
        nr, ns = sum(r.values()), sum(s.values())
        rows = []
        for g in _ordered({str(k) for k in [*r, *s]}):
            pr, ps = r.get(g, 0) / nr if nr else 0.0, s.get(g, 0) / ns if ns else 0.0
            rows.append({"group": g, "real": pr, "synthetic": ps, "abs_difference": abs(pr - ps),
                         "n_real": int(r.get(g, 0)), "n_synthetic": int(s.get(g, 0))})
        absent = [row["group"] for row in rows if row["n_synthetic"] == 0]
        only_syn = [row["group"] for row in rows if row["n_real"] == 0]
        notes = {"protected": col, "groups_absent_from_synthetic": absent, "groups_only_in_synthetic": only_syn,
                 "missing_values": f"counted as the group {MISSING!r}", "n_real": nr, "n_synthetic": ns}
        return MetricResult(value=tvd(r, s), breakdown=rows, notes=with_statistics_notes(state, notes),
                            secondary={"groups_absent_from_synthetic": float(len(absent))},
                            plots=[marginal_bars(col, r, s)])


@register(id="tabular.cond_shift", name="Label-conditional shift (CondShift; Table 1: Cond-Shift)", modality="tabular",
          pillar="trust", dimension="fairness", section="4.3", direction="lower_better", range=(0.0, 1.0),
          inputs=("synthetic", "real_reference", "labels", "protected_attribute"), models=("none",),
          computation="mergeable", params={"missing_group_tv": {"default": 1.0}},
          applies=needs_protected(target="labels"))
class CondShift(MergeableMetric):
    """CondShift = (1/|A|) sum_g TV(p_syn(Y | A=g), p_real(Y | A=g)) over the real groups (section 4.3).

    A real group absent from synthetic data gets ``missing_group_tv`` (catalog: 1.0), reported. Groups only
    in synthetic data are listed but not averaged (A is the real population; CovGap counts them). Rows with
    a missing label are dropped (counted); a missing protected value is a group of its own. A numerical or
    datetime target is cut into 10 equal-width bins over the real range (as the contingency score).
    """

    streams = (REAL, SYN)
    N_BINS = 10
    statistics_roles = (REAL,)  # audit from statistics: the real joint counts of (protected, target)
    prepasses = (REAL_RANGES.key,)  # the bin edges of a numerical target

    def state_from_statistics(self, inputs: "AuditInputs", models, statistics: dict) -> dict:
        stats, target, protected = statistics[REAL], inputs.target, inputs.protected
        edges = stats.bin_edges(self.N_BINS)[target] if target in inputs.table_spec.numerical else None
        real = stats.pair_counts(protected, target)
        real.pop(SUPPRESSED, None)  # rows of unknown groups: left out (the notes say so)
        return {"protected": protected, "target": target, "edges": edges, REAL: real, SYN: Counter(),
                "statistics": stats.notes(pairs=[(protected, target)])}

    def init(self, inputs: "AuditInputs", models) -> dict:
        target, protected = inputs.target, inputs.protected
        binned = target in inputs.table_spec.numerical
        edges = real_bin_edges(inputs, self.N_BINS)[target] if binned else None
        return {"protected": protected, "target": target, "edges": edges, REAL: Counter(), SYN: Counter()}

    def update(self, state: dict, role: str, batch: pd.DataFrame) -> dict:
        y = batch[state["target"]]
        if state["edges"] is not None:
            y = discretize(y, state["edges"])
        state[role].update(count_pairs(batch[state["protected"]], y))
        return state

    def merge(self, a: dict, b: dict) -> dict:
        fixed = self.fixed_roles(a)
        return {**a, **{role: a[role] + b[role] for role in (REAL, SYN) if role not in fixed}}

    def finalize(self, state: dict, inputs: "AuditInputs", models) -> MetricResult:
        params = inputs.params_for(self.spec.id, self.spec.default_params())
        fill = float(params["missing_group_tv"])
        if not 0.0 <= fill <= 1.0:
            raise ValueError(f"missing_group_tv must be in [0, 1], got {fill}")
        by_group: dict[str, dict[str, Counter]] = {REAL: {}, SYN: {}}
        dropped = {REAL: 0, SYN: 0}
        for role in (REAL, SYN):
            for (g, y), n in state[role].items():
                if y == MISSING:
                    dropped[role] += n
                    continue
                by_group[role].setdefault(str(g), Counter())[y] += n
        rows, absent = [], []
        for g in _ordered(set(by_group[REAL]) | set(by_group[SYN])):
            r, s = by_group[REAL].get(g, Counter()), by_group[SYN].get(g, Counter())
            row = {"group": g, "n_real": sum(r.values()), "n_synthetic": sum(s.values()),
                   "absent_from_synthetic": not s, "only_in_synthetic": not r}
            if not r:
                row["value"] = None
            elif not s:
                row["value"] = fill
                absent.append(g)
            else:
                row["value"] = tvd(r, s)
            rows.append(row)
        averaged = [row for row in rows if row["value"] is not None]
        present = [row["value"] for row in averaged if not row["absent_from_synthetic"]]
        notes = {"protected": state["protected"], "target": state["target"],
                 "aggregate": "unweighted mean over the real groups (small groups count equally)",
                 "missing_group_tv": fill, "groups_absent_from_synthetic": absent,
                 "groups_only_in_synthetic": [row["group"] for row in rows if row["only_in_synthetic"]],
                 "dropped_missing_label": {"real_reference": dropped[REAL], "synthetic": dropped[SYN]},
                 "missing_protected": f"a missing protected value is the group {MISSING!r}"}
        if state["edges"] is not None:
            notes["label_bins"] = f"numerical target cut into {self.N_BINS} equal-width bins over the real range"
        plot = {"kind": "groups", "title": f"TV of {state['target']} within each {state['protected']} group",
                "groups": [row["group"] for row in averaged], "series": {"TV(p_syn(Y|g), p_real(Y|g))":
                                                                         [row["value"] for row in averaged]},
                "ylabel": "total variation"}
        return MetricResult(value=mean_or_none([row["value"] for row in averaged]), breakdown=rows,
                            notes=with_statistics_notes(state, notes),
                            secondary={"mean_over_present_groups": mean_or_none(present),
                                       "groups_absent_from_synthetic": float(len(absent))},
                            plots=[plot])
