"""Sanity properties of the whole tabular audit (issue: copy of train, independent marginals, row order)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import synthaudit
from conftest import copula_synthetic


@pytest.fixture(scope="module")
def splits(adult_train):
    perm = np.random.default_rng(5).permutation(len(adult_train))
    train = adult_train.iloc[perm[:2000]].reset_index(drop=True)
    hold = adult_train.iloc[perm[2000:4000]].reset_index(drop=True)
    return train, hold


def full(syn, train, hold, **kw):
    return synthaudit.audit("tabular", synthetic=syn, real=train, holdout=hold, target="income", protected="sex",
                            infer_constraints=True, generator_meta={"epsilon": 3.0, "delta": 1e-5}, seed=1, **kw)


def test_shuffling_rows_changes_no_value(splits):
    train, hold = splits
    syn = copula_synthetic(train, seed=3)
    a = full(syn, train, hold)
    b = full(syn.sample(frac=1, random_state=1), train.sample(frac=1, random_state=2),
             hold.sample(frac=1, random_state=3))
    assert len(a.metrics) == 24 and all(m.status == "ok" for m in a.metrics), \
        {m.id: m.error for m in a.metrics if m.error}
    for m in a.metrics:
        other = b.result(m.id)
        assert other.value == pytest.approx(m.value, rel=1e-9, abs=1e-12), m.id
        for k, v in m.secondary.items():
            if isinstance(v, float):
                assert other.secondary[k] == pytest.approx(v, rel=1e-9, abs=1e-12), (m.id, k)


def test_copy_of_train_is_worst_on_privacy_and_best_on_fidelity(splits):
    train, hold = splits
    copy = full(train.copy(), train, hold)
    fresh = full(copula_synthetic(train, seed=3), train, hold)
    v, w = copy.value, fresh.value
    for mid in ("tabular.kst", "tabular.tvd", "tabular.pearson_score", "tabular.contingency_score"):
        assert v(mid) == 0.0 and w(mid) > 0, mid
    assert v("tabular.det_score") >= w("tabular.det_score") - 0.02
    assert v("tabular.alpha_precision") > 0.95 and v("tabular.beta_recall") > 0.95
    assert v("tabular.dcr") > 0.95 and copy.result("tabular.dcr").secondary["exact_copy_rate"] == 1.0
    assert abs(w("tabular.dcr") - 0.5) < abs(v("tabular.dcr") - 0.5)
    assert v("tabular.auc_mia") > 0.9 and abs(w("tabular.auc_mia") - 0.5) < 0.05
    assert v("tabular.adv_mia") > 0.5 > abs(w("tabular.adv_mia"))
    assert v("tabular.violation_rate") == 0.0  # inferred from train: the copy satisfies all of it
    assert copy.result("tabular.tstr_auc").secondary["gap"] == pytest.approx(0.0, abs=1e-12)  # TSTR == TRTR


def test_independent_marginals_keep_marginals_lose_pairs(splits):
    train, hold = splits
    rng = np.random.default_rng(0)
    indep = pd.DataFrame({c: rng.permutation(train[c].to_numpy()) for c in train.columns})
    rep = full(indep, train, hold)
    assert rep.value("tabular.kst") == 0.0 and rep.value("tabular.tvd") == 0.0
    assert rep.value("tabular.pearson_score") > 0.02 and rep.value("tabular.contingency_score") > 0.05
    assert rep.result("tabular.tstr_auc").secondary["gap"] > 0.1  # labels no longer follow the features
    assert rep.result("tabular.violation_rate").value > 0  # e.g. education -> education_num broken
