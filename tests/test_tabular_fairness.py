"""Fairness metrics (survey section 4.3) against fairlearn 0.15 on UCI Adult, and hand-worked CovGap/CondShift.

Conventions compared here:
  * SPD, EOp with more than two groups: the worst pair = max - min over groups, fairlearn's
    demographic_parity_difference / MetricFrame(...).difference() (method 'between_groups').
  * DIR: fairlearn's demographic_parity_ratio is the symmetric min/max, i.e. min(DIR, 1/DIR); unconfigured,
    synthaudit writes every pair as min/max and reports the one furthest from 1, so the two are equal.
  * EO: the survey averages the gaps, 0.5 * (|dTPR| + |dFPR|), each gap max - min over groups
    (= fairlearn equalized_odds_difference(agg='mean')); fairlearn's default agg='worst_case' takes
    max(|dTPR|, |dFPR|): that is our secondary 'max'.
All comparisons are on the very predictions the metrics score (fairness.fairness_predictions).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from fairlearn.metrics import (MetricFrame, demographic_parity_difference, demographic_parity_ratio,
                               equalized_odds_difference, false_positive_rate, selection_rate, true_positive_rate)

import synthaudit
from conftest import copula_synthetic
from synthaudit.data.tabular_inputs import prepare_tabular
from synthaudit.metrics.registry import all_metrics
from synthaudit.metrics.tabular.fairness import fairness_predictions
from synthaudit.models import Models

LEARNED = ["tabular.spd", "tabular.dir", "tabular.eo", "tabular.eop"]
COUNTED = ["tabular.cov_gap", "tabular.cond_shift"]


@pytest.fixture(scope="module")
def adult_tables(adult_train, adult_test):
    """Real training table: 4,000 Adult rows; holdout: 8,000 Adult test rows; synthetic: a copula sample."""
    real = adult_train.sample(4000, random_state=10).reset_index(drop=True)
    hold = adult_test.sample(8000, random_state=11).reset_index(drop=True)
    syn = copula_synthetic(real, seed=12, n=4000)
    return real, hold, syn


def make_inputs(real, hold, syn, protected, **kw):
    return prepare_tabular(synthetic=syn, real=real, holdout=hold, target="income", protected=protected, **kw)


def run(mid, inputs):
    return all_metrics()[mid].run(inputs, Models.default())


@pytest.fixture(scope="module", params=["sex", "race"])
def adult_case(request, adult_tables):
    real, hold, syn = adult_tables
    inputs = make_inputs(real, hold, syn, request.param)
    return request.param, inputs, {mid: run(mid, inputs) for mid in LEARNED}, fairness_predictions(inputs)


def _fl(p):
    return dict(y_true=p.y_true.astype(int), y_pred=p.y_pred.astype(int), sensitive_features=p.groups)


@pytest.mark.parametrize("model", ["tstr", "trtr"])
def test_spd_dir_eop_eo_match_fairlearn(adult_case, model):
    protected, inputs, res, preds = adult_case
    p = preds[model]
    assert p.positive_class == ">50K"  # minority class of the real data
    assert 0 < p.y_pred.mean() < 1  # a real classifier, not a constant
    pick = (lambda r: r.value) if model == "tstr" else (lambda r: r.secondary["trtr"])
    spd = demographic_parity_difference(**_fl(p))
    assert pick(res["tabular.spd"]) == pytest.approx(spd, abs=1e-12)
    dpr = demographic_parity_ratio(**_fl(p))
    d = pick(res["tabular.dir"])
    assert (d if d <= 1 else 1 / d) == pytest.approx(dpr, abs=1e-12)  # min(DIR, 1/DIR); DIR may be 0
    tpr = MetricFrame(metrics=true_positive_rate, **_fl(p))
    fpr = MetricFrame(metrics=false_positive_rate, **_fl(p))
    assert not res["tabular.eo"].notes.get("undefined_rates")  # every group has positives and negatives
    assert pick(res["tabular.eop"]) == pytest.approx(tpr.difference(), abs=1e-12)
    eo_mean = 0.5 * (tpr.difference() + fpr.difference())
    assert pick(res["tabular.eo"]) == pytest.approx(eo_mean, abs=1e-12)
    # fairlearn 0.15 has agg='mean' (the survey's average); its default agg='worst_case' is our 'max'
    assert pick(res["tabular.eo"]) == pytest.approx(equalized_odds_difference(**_fl(p), agg="mean"), abs=1e-12)
    max_key = "max" if model == "tstr" else "trtr_max"
    assert res["tabular.eo"].secondary[max_key] == pytest.approx(equalized_odds_difference(**_fl(p)), abs=1e-12)
    if protected == "race":  # with more than two groups the mean of the two gaps is not the max
        assert res["tabular.eo"].secondary[max_key] > pick(res["tabular.eo"])


def test_all_pairs_and_worst_pair_with_five_groups(adult_case):
    protected, inputs, res, preds = adult_case
    groups = sorted(set(preds["tstr"].groups.tolist()))
    n_pairs = len(groups) * (len(groups) - 1) // 2
    assert (len(groups), n_pairs) == ((2, 1) if protected == "sex" else (5, 10))
    for mid in LEARNED:
        rows = res[mid].breakdown
        assert len(rows) == n_pairs, mid
        assert {frozenset((r["group_a"], r["group_b"])) for r in rows} == \
            {frozenset((a, b)) for i, a in enumerate(groups) for b in groups[i + 1:]}, mid
        worst = [r for r in rows if r["worst"]]
        assert len(worst) == 1, mid
    spd_rows = res["tabular.spd"].breakdown
    assert max(r["value"] for r in spd_rows) == pytest.approx(res["tabular.spd"].value, abs=1e-12)
    dir_rows = res["tabular.dir"].breakdown
    defined = [r for r in dir_rows if r["value"] is not None]
    assert defined and all(r["value"] <= 1 for r in defined)
    assert min(r["value"] for r in defined) == pytest.approx(res["tabular.dir"].value, abs=1e-12)
    for r in dir_rows:  # 0/0: both groups never predicted positive
        if r["value"] is None:
            assert r["selection_rate_a"] == r["selection_rate_b"] == 0
            assert f"{r['group_a']} / {r['group_b']}" in res["tabular.dir"].notes["undefined_pairs"]
    # pairwise values are recomputed from the group rates in the breakdown
    sel = MetricFrame(metrics=selection_rate, **_fl(preds["tstr"])).by_group
    for r in spd_rows:
        assert r["value"] == pytest.approx(abs(sel[r["group_a"]] - sel[r["group_b"]]), abs=1e-12)


def test_configured_dir_pair_and_plot(adult_tables):
    real, hold, syn = adult_tables
    inputs = make_inputs(real, hold, syn, "sex", params={
        "tabular.dir": {"unprivileged_group": "Female", "privileged_group": "Male"}})
    res = run("tabular.dir", inputs)
    p = fairness_predictions(inputs)["tstr"]
    sel = MetricFrame(metrics=selection_rate, **_fl(p)).by_group
    assert res.value == pytest.approx(sel["Female"] / sel["Male"], abs=1e-12)
    assert res.breakdown[0]["unprivileged"] == "Female"
    plot = res.plots[0]
    assert plot["kind"] == "groups" and plot["groups"] == ["Female", "Male"]
    assert set(plot["series"]) == {"TSTR P(Y^=1)", "TRTR P(Y^=1)", "real P(Y=1)"}
    assert plot["series"]["TSTR P(Y^=1)"] == pytest.approx([sel["Female"], sel["Male"]])
    assert plot["series"]["real P(Y=1)"][1] == pytest.approx(p.y_true[p.groups == "Male"].mean())
    bad = make_inputs(real, hold, syn, "sex", params={"tabular.dir": {"privileged_group": "Nobody"}})
    with pytest.raises(ValueError, match="Nobody"):
        run("tabular.dir", bad)


def test_positive_class_setting_changes_eop(adult_tables):
    """The positive class (code-side setting, default: the real minority class) defines Y^=1; SPD is
    symmetric in it for a binary target, EOp is not (the other class's TPR is the TNR)."""
    real, hold, syn = adult_tables
    base = make_inputs(real, hold, syn, "sex")
    flip = make_inputs(real, hold, syn, "sex", params={m: {"positive_class": "<=50K"} for m in LEARNED})
    p = fairness_predictions(flip)["tstr"]
    assert p.positive_class == "<=50K"
    assert run("tabular.spd", flip).value == pytest.approx(run("tabular.spd", base).value, abs=1e-12)
    eop = run("tabular.eop", flip)
    assert eop.value == pytest.approx(MetricFrame(metrics=true_positive_rate, **_fl(p)).difference(), abs=1e-12)
    assert eop.value != pytest.approx(run("tabular.eop", base).value, abs=1e-6)
    assert eop.notes["positive_class_rule"].startswith("set by")


def test_protected_attribute_can_be_left_out_of_the_features(adult_tables):
    real, hold, syn = adult_tables
    base = make_inputs(real, hold, syn, "sex")
    blind = make_inputs(real, hold, syn, "sex", params={"tabular.spd": {"include_protected": False}})
    with_a, without_a = run("tabular.spd", base), run("tabular.spd", blind)
    assert with_a.notes["protected_as_feature"] and not without_a.notes["protected_as_feature"]
    p = fairness_predictions(blind, "tabular.spd")["tstr"]
    assert without_a.value == pytest.approx(demographic_parity_difference(**_fl(p)), abs=1e-12)
    assert (p.y_pred != fairness_predictions(base)["tstr"].y_pred).any()  # a different model


def test_synthetic_equal_to_real_gives_tstr_equal_trtr_and_seeds_repeat(adult_tables):
    real, hold, _ = adult_tables
    same = make_inputs(real, hold, real.copy(), "race")
    for mid in LEARNED:
        r = run(mid, same)
        assert r.value == pytest.approx(r.secondary["trtr"], abs=0), mid
    twice = [run("tabular.eo", make_inputs(real, hold, adult_tables[2], "race", seed=3)) for _ in range(2)]
    assert twice[0].value == twice[1].value and twice[0].breakdown == twice[1].breakdown


def test_applies_reasons():
    real = pd.DataFrame({"x": np.arange(40.0), "a": ["p", "q"] * 20, "y": ["u", "v", "w", "u"] * 10})
    both = dict(synthetic=real, real=real, holdout=real, target="y", metrics=LEARNED + COUNTED)
    rep = synthaudit.audit("tabular", sensitive="a", **both)  # --sensitive only: no groups to compare
    gaps = {g.id: g for g in rep.gaps}
    for mid in LEARNED + COUNTED:
        assert gaps[mid].kind == "not_applicable" and "--protected" in gaps[mid].reason, mid
    rep = synthaudit.audit("tabular", protected="a", **both)  # three classes: no positive class
    gaps = {g.id: g for g in rep.gaps}
    for mid in LEARNED:
        assert gaps[mid].kind == "not_applicable" and "binary target" in gaps[mid].reason, mid
    assert rep.value("tabular.cond_shift") == 0.0 and rep.value("tabular.cov_gap") == 0.0


# ------------------------------------------------------------------- CovGap and CondShift by hand

def hand_tables():
    """real: a x4 (Y 1,1,0,0), b x4 (Y 1,0,0,0), c x2 (Y 1,1); synthetic: a x5 (Y 1,1,1,1,0), b x5 (all 0)."""
    real = pd.DataFrame({"A": list("aaaabbbbcc"), "x": np.arange(10.0),
                         "Y": ["yes", "yes", "no", "no", "yes", "no", "no", "no", "yes", "yes"]})
    syn = pd.DataFrame({"A": list("aaaaabbbbb"), "Y": ["yes"] * 4 + ["no"] * 6, "x": np.arange(10.0)})
    return real, syn


def test_cov_gap_and_cond_shift_by_hand():
    real, syn = hand_tables()
    rep = synthaudit.audit("tabular", synthetic=syn, real=real, target="Y", protected="A", metrics=COUNTED)
    # p_real(A) = (.4, .4, .2), p_syn(A) = (.5, .5, 0): CovGap = 0.5 * (.1 + .1 + .2)
    assert rep.value("tabular.cov_gap") == pytest.approx(0.2, abs=1e-12)
    cov = {r["group"]: r for r in rep.result("tabular.cov_gap").breakdown}
    assert cov["c"]["synthetic"] == 0 and rep.result("tabular.cov_gap").notes["groups_absent_from_synthetic"] == ["c"]
    # TV within a: |.5 - .8| = .3; within b: |.25 - 0| = .25; c is absent from synthetic: 1.0
    res = rep.result("tabular.cond_shift")
    rows = {r["group"]: r for r in res.breakdown}
    assert rows["a"]["value"] == pytest.approx(0.3) and rows["b"]["value"] == pytest.approx(0.25)
    assert rows["c"]["value"] == 1.0 and rows["c"]["absent_from_synthetic"]
    assert res.notes["groups_absent_from_synthetic"] == ["c"]
    assert res.value == pytest.approx((0.3 + 0.25 + 1.0) / 3, abs=1e-12)
    assert res.secondary["mean_over_present_groups"] == pytest.approx(0.275)
    half = synthaudit.audit("tabular", synthetic=syn, real=real, target="Y", protected="A", metrics=COUNTED,
                            params={"tabular.cond_shift": {"missing_group_tv": 0.5}})
    assert half.value("tabular.cond_shift") == pytest.approx((0.3 + 0.25 + 0.5) / 3, abs=1e-12)


def test_cond_shift_missing_labels_and_synthetic_only_group():
    real, syn = hand_tables()
    syn = pd.concat([syn, pd.DataFrame({"A": ["d", "a"], "Y": ["yes", None], "x": [1.0, 2.0]})], ignore_index=True)
    res = synthaudit.audit("tabular", synthetic=syn, real=real, target="Y", protected="A",
                           metrics=["tabular.cond_shift"]).result("tabular.cond_shift")
    rows = {r["group"]: r for r in res.breakdown}
    assert rows["d"]["only_in_synthetic"] and rows["d"]["value"] is None  # listed, not averaged
    assert res.notes["dropped_missing_label"] == {"real_reference": 0, "synthetic": 1}
    assert res.value == pytest.approx((0.3 + 0.25 + 1.0) / 3, abs=1e-12)


def chunks(frame: pd.DataFrame, size: int):
    for start in range(0, len(frame), size):
        yield frame.iloc[start:start + size]


def test_counted_metrics_stream_and_merge(adult_tables):
    real, _, syn = adult_tables
    kw = dict(target="income", protected="race", metrics=COUNTED)
    whole = synthaudit.audit("tabular", synthetic=syn, real=real, **kw)
    streamed = synthaudit.audit("tabular", synthetic=chunks(syn, 333), real=chunks(real, 517), batch_size=211, **kw)
    for mid in COUNTED:
        assert whole.value(mid) > 0, mid
        assert streamed.value(mid) == pytest.approx(whole.value(mid), rel=1e-12, abs=1e-14), mid
        assert streamed.result(mid).breakdown == whole.result(mid).breakdown, mid
    inputs = prepare_tabular(synthetic=syn, real=real, **{k: kw[k] for k in ("target", "protected")})
    models = Models.default()
    for mid in COUNTED:
        impl = all_metrics()[mid].impl
        one = impl.compute(inputs, models)
        a, b = impl.init(inputs, models), impl.init(inputs, models)
        for role, frame in (("real_reference", real), ("synthetic", syn)):
            coerced = inputs.table_spec.coerce(frame)
            cut = len(coerced) // 3
            a, b = impl.update(a, role, coerced.iloc[:cut]), impl.update(b, role, coerced.iloc[cut:])
        assert impl.finalize(impl.merge(a, b), inputs, models).value == pytest.approx(one.value, rel=1e-12), mid
    # the hand-checkable reference: CovGap is the TVD of the race marginals
    pr, ps = real["race"].value_counts(normalize=True), syn["race"].value_counts(normalize=True)
    ref = 0.5 * pr.subtract(ps, fill_value=0).abs().sum()
    assert whole.value("tabular.cov_gap") == pytest.approx(ref, abs=1e-12)
