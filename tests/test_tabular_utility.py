"""TSTR utility (survey section 4.2) against scikit-learn on real data (Adult, wine, diabetes).

References: sklearn.metrics.roc_auc_score (binary; multi_class='ovr'/'ovo', average='macro'/'weighted')
and root_mean_squared_error / mean_squared_error, on the very predictions the metric scores
(learners.holdout_predictions, recomputed on fresh inputs: the fit is seeded and deterministic).
An independent scikit-learn pipeline (OrdinalEncoder + HistGradientBoosting) checks the fit itself.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import mean_squared_error, roc_auc_score, root_mean_squared_error

import synthaudit
from conftest import copula_synthetic
from synthaudit.data.tabular_inputs import prepare_tabular
from synthaudit.metrics.registry import all_metrics
from synthaudit.metrics.tabular.learners import holdout_predictions
from synthaudit.models import Models

UTILITY = ["tabular.tstr_auc", "tabular.tstr_rmse"]


def run(mid, inputs):
    return all_metrics()[mid].run(inputs, Models.default())


def preds(inputs, role, task, learner="xgboost"):
    return holdout_predictions(inputs, role, task=task, learner=learner)


@pytest.fixture(scope="module")
def adult(adult_train, adult_test):
    real = adult_train.sample(4000, random_state=20).reset_index(drop=True)
    hold = adult_test.sample(4000, random_state=21).reset_index(drop=True)
    syn = copula_synthetic(real, seed=22, n=4000)
    return real, hold, syn


@pytest.fixture(scope="module")
def wine_split(wine):
    real = wine.sample(frac=0.6, random_state=0)
    hold = wine.drop(real.index).reset_index(drop=True)
    real = real.reset_index(drop=True)
    return real, hold, copula_synthetic(real, seed=3, n=600)


def test_binary_auc_matches_sklearn_and_routes_by_target_type(adult):
    real, hold, syn = adult
    rep = synthaudit.audit("tabular", synthetic=syn, real=real, holdout=hold, target="income", metrics=UTILITY)
    res = rep.result("tabular.tstr_auc")
    gap = {g.id: g for g in rep.gaps}["tabular.tstr_rmse"]
    assert gap.kind == "not_applicable" and "categorical" in gap.reason and "tabular.tstr_auc" in gap.reason
    inputs = prepare_tabular(synthetic=syn, real=real, holdout=hold, target="income")
    tstr, trtr = preds(inputs, "synthetic", "classification"), preds(inputs, "train", "classification")
    assert tstr.classes == ["<=50K", ">50K"]
    y = hold["income"].to_numpy() == ">50K"
    assert res.value == pytest.approx(roc_auc_score(y, tstr.proba[:, 1]), abs=1e-12)
    assert res.secondary["trtr"] == pytest.approx(roc_auc_score(y, trtr.proba[:, 1]), abs=1e-12)
    assert res.secondary["gap"] == pytest.approx(res.secondary["trtr"] - res.value, abs=1e-12)
    assert 0.7 < res.value < res.secondary["trtr"] < 0.95  # copula data lose some utility; real Adult AUC ~0.9
    if res.notes["learner_requested"] == "xgboost" and res.notes["learner"] != "xgboost":
        assert "xgboost is not installed" in res.notes["learner_note"]


def test_fit_agrees_with_an_independent_sklearn_pipeline(adult):
    """Same learner family, fitted by plain scikit-learn: AUCs agree closely (the encodings differ a little)."""
    from sklearn.compose import make_column_transformer
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OrdinalEncoder

    real, hold, syn = adult
    cats = [c for c in real.columns if not pd.api.types.is_numeric_dtype(real[c]) and c != "income"]  # object or str
    nums = [c for c in real.columns if c not in cats and c != "income"]
    enc = make_column_transformer((OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1,
                                                  encoded_missing_value=-2), cats), ("passthrough", nums))
    res = run("tabular.tstr_auc", prepare_tabular(synthetic=syn, real=real, holdout=hold, target="income"))
    for train, ours in ((syn, res.value), (real, res.secondary["trtr"])):
        model = make_pipeline(enc, HistGradientBoostingClassifier(random_state=0))
        model.fit(train.drop(columns="income"), train["income"] == ">50K")
        ref = roc_auc_score(hold["income"] == ">50K", model.predict_proba(hold.drop(columns="income"))[:, 1])
        assert ours == pytest.approx(ref, abs=0.01)


@pytest.mark.parametrize("average,sk", [("macro_ovr", dict(multi_class="ovr", average="macro")),
                                        ("weighted_ovr", dict(multi_class="ovr", average="weighted")),
                                        ("macro_ovo", dict(multi_class="ovo", average="macro"))])
def test_multiclass_auc_matches_sklearn(wine_split, average, sk):
    real, hold, syn = wine_split
    inputs = prepare_tabular(synthetic=syn, real=real, holdout=hold, target="class",
                             params={"tabular.tstr_auc": {"multiclass_average": average}})
    res = run("tabular.tstr_auc", inputs)
    p = preds(inputs, "synthetic", "classification")
    assert p.classes == ["cultivar_0", "cultivar_1", "cultivar_2"]
    assert res.value == pytest.approx(roc_auc_score(hold["class"], p.proba, labels=p.classes, **sk), abs=1e-12)
    assert len(res.breakdown) == 3
    assert res.secondary["trtr"] is not None and 0.5 < res.value <= 1


def test_class_absent_from_synthetic_and_single_class(wine_split):
    real, hold, syn = wine_split
    two = syn[syn["class"] != "cultivar_2"].reset_index(drop=True)
    res = run("tabular.tstr_auc", prepare_tabular(synthetic=two, real=real, holdout=hold, target="class"))
    assert res.notes["classes_absent_from_synthetic"] == ["cultivar_2"]
    rows = {r["class"]: r for r in res.breakdown}
    assert rows["cultivar_2"]["value"] == 0.5 and not rows["cultivar_2"]["in_training_data"]
    assert res.value == pytest.approx(np.mean([r["value"] for r in res.breakdown]), abs=1e-12)
    one = syn[syn["class"] == "cultivar_0"].reset_index(drop=True)
    res = run("tabular.tstr_auc", prepare_tabular(synthetic=one, real=real, holdout=hold, target="class"))
    assert res.value == pytest.approx(0.5) and any("one class only" in w for w in res.notes["warnings"])


def test_missing_targets_features_and_unseen_categories(adult):
    real, hold, syn = adult
    syn, hold = syn.copy(), hold.copy()
    syn.loc[:99, "income"] = np.nan
    hold.loc[:49, "income"] = np.nan
    hold.loc[50:59, "workclass"] = "Never-seen-before"
    hold.loc[60:69, "age"] = np.nan
    res = run("tabular.tstr_auc", prepare_tabular(synthetic=syn, real=real, holdout=hold, target="income"))
    assert res.notes["dropped_missing_target"] == {"synthetic": 100, "real_holdout": 50, "train": 0}
    assert res.notes["n_holdout"] == len(hold) - 50
    p = preds(prepare_tabular(synthetic=syn, real=real, holdout=hold, target="income"), "synthetic", "classification")
    kept = hold["income"].notna().to_numpy()
    assert res.value == pytest.approx(roc_auc_score(hold["income"][kept] == ">50K", p.proba[:, 1]), abs=1e-12)


def test_synthetic_without_any_target_value_is_undefined_not_a_crash(wine_split):
    real, hold, syn = wine_split
    syn = syn.copy()
    syn["class"] = np.nan
    res = run("tabular.tstr_auc", prepare_tabular(synthetic=syn, real=real, holdout=hold, target="class"))
    assert res.value is None and "no row with a target value" in res.notes["undefined"]
    assert res.secondary["trtr"] is None and res.notes["dropped_missing_target"]["synthetic"] == len(syn)


@pytest.fixture(scope="module")
def diabetes():
    from sklearn.datasets import load_diabetes

    frame = load_diabetes(as_frame=True, scaled=False).frame
    hold = frame.sample(150, random_state=0)
    return frame.drop(hold.index).reset_index(drop=True), hold.reset_index(drop=True)


def test_regression_rmse_matches_sklearn(diabetes):
    real, hold = diabetes
    syn = copula_synthetic(real, seed=4, n=600)
    rep = synthaudit.audit("tabular", synthetic=syn, real=real, holdout=hold, target="target", metrics=UTILITY)
    gap = {g.id: g for g in rep.gaps}["tabular.tstr_auc"]
    assert gap.kind == "not_applicable" and "numerical" in gap.reason
    res = rep.result("tabular.tstr_rmse")
    inputs = prepare_tabular(synthetic=syn, real=real, holdout=hold, target="target")
    tstr, trtr = preds(inputs, "synthetic", "regression"), preds(inputs, "train", "regression")
    y = hold["target"].to_numpy(dtype=float)
    assert res.value == pytest.approx(root_mean_squared_error(y, tstr.pred), abs=1e-9)
    assert res.secondary["trtr"] == pytest.approx(root_mean_squared_error(y, trtr.pred), abs=1e-9)
    assert res.secondary["gap"] == pytest.approx(res.value - res.secondary["trtr"], abs=1e-9)
    assert res.secondary["target_std"] == pytest.approx(np.std(y), abs=1e-9)
    assert res.value < res.secondary["target_std"]  # better than predicting the mean
    mse = run("tabular.tstr_rmse", prepare_tabular(synthetic=syn, real=real, holdout=hold, target="target",
                                                   params={"tabular.tstr_rmse": {"output": "mse"}}))
    assert mse.value == pytest.approx(mean_squared_error(y, tstr.pred), rel=1e-12)


def test_regression_on_adult_hours(adult):
    real, hold, syn = adult
    inputs = prepare_tabular(synthetic=syn, real=real, holdout=hold, target="hours_per_week")
    res = run("tabular.tstr_rmse", inputs)
    p = preds(inputs, "synthetic", "regression")
    assert res.value == pytest.approx(root_mean_squared_error(hold["hours_per_week"], p.pred), abs=1e-9)
    assert res.value <= 1.1 * res.secondary["target_std"]


def test_synthetic_equal_to_train_gives_tstr_equal_trtr(adult, diabetes):
    real, hold, _ = adult
    res = run("tabular.tstr_auc", prepare_tabular(synthetic=real.copy(), real=real, holdout=hold, target="income"))
    assert res.value == res.secondary["trtr"] and res.secondary["gap"] == 0
    dreal, dhold = diabetes
    res = run("tabular.tstr_rmse", prepare_tabular(synthetic=dreal.copy(), real=dreal, holdout=dhold, target="target"))
    assert res.value == res.secondary["trtr"] and res.secondary["gap"] == 0


def test_shuffled_label_gives_auc_near_half(adult):
    real, hold, _ = adult
    shuffled = real.copy()
    shuffled["income"] = shuffled["income"].sample(frac=1, random_state=5).to_numpy()
    res = run("tabular.tstr_auc", prepare_tabular(synthetic=shuffled, real=real, holdout=hold, target="income"))
    # a model fitted to pure label noise: over six label shuffles the holdout AUC ranged 0.45-0.51
    assert res.value == pytest.approx(0.5, abs=0.07)
    assert res.secondary["gap"] > 0.3


def test_seeded_and_repeatable(wine_split):
    real, hold, syn = wine_split
    for learner in ("xgboost", "random_forest", "logistic_regression"):
        values = [run("tabular.tstr_auc", prepare_tabular(
            synthetic=syn, real=real, holdout=hold, target="class", seed=7,
            params={"tabular.tstr_auc": {"learner": learner}})) for _ in range(2)]
        assert values[0].value == values[1].value and values[0].breakdown == values[1].breakdown, learner
        assert values[0].notes["learner"] == ("gradient_boosting" if learner == "xgboost" and
                                              values[0].notes.get("learner_note") else learner)
    with pytest.raises(ValueError, match="multiclass_average"):
        run("tabular.tstr_auc", prepare_tabular(synthetic=syn, real=real, holdout=hold, target="class",
                                                params={"tabular.tstr_auc": {"multiclass_average": "micro"}}))


def test_without_holdout_or_target_the_planner_reports_gaps(wine_split):
    real, _, syn = wine_split
    rep = synthaudit.audit("tabular", synthetic=syn, real=real, target="class", metrics=UTILITY)
    gaps = {g.id: g for g in rep.gaps}
    assert gaps["tabular.tstr_auc"].kind == "missing_input" and "--holdout" in gaps["tabular.tstr_auc"].enable
    frame = pd.DataFrame({"x": np.arange(30.0), "when": pd.date_range("2020-01-01", periods=30)})
    rep = synthaudit.audit("tabular", synthetic=frame, real=frame, holdout=frame, target="when", metrics=UTILITY)
    assert all(g.kind == "not_applicable" and "datetime" in g.reason for g in rep.gaps if g.id in UTILITY)
