"""The five foundation metrics against independent references on real data.

References: scipy.stats (ks_2samp, pearsonr, chisquare) and SDMetrics 0.32 (KSComplement, TVComplement,
CorrelationSimilarity, ContingencySimilarity). Conventions converted here:
  * SDMetrics reports complements: KSComplement = 1 - KST, TVComplement = 1 - TVD,
    CorrelationSimilarity = 1 - |rho_r - rho_s| / 2, ContingencySimilarity = 1 - contingency TVD.
  * SDMetrics' TVComplement drops missing values, synthaudit counts them as a category: columns with
    missing values are compared on dropna'd data, and the with-missing value is checked by hand.
  * SDMetrics' KSComplement rounds values to 14 decimals first: tolerance 1e-9.
  * SDMetrics' TVComplement adds 1e-6 to the real count of a category seen only in synthetic data
    (utils.get_frequencies): where that happens the tolerance is 1e-8 instead of 1e-12.
  * ContingencySimilarity bins continuous columns with numpy.histogram_bin_edges on the real column and
    open outer edges (discretize_column); synthaudit uses the same equal-width-on-real binning, so the
    mixed pairs are compared with continuous_column_names=[numerical column] and 10 bins.
SDMetrics 0.32 needs pandas<3: its values are computed on the same tables (tests/references/inputs.py) by
tests/references/make_references.py in a separate environment and read from
tests/references/tabular_reference.json; scipy is called here.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from references.inputs import adult_perturbed, adult_split, pair_key, reference_values
from scipy import stats

import synthaudit
from conftest import copula_synthetic

IDS = ["tabular.kst", "tabular.tvd", "tabular.pearson_score", "tabular.contingency_score", "tabular.chi2"]


@pytest.fixture(scope="module")
def adult_pair(adult_train, adult_test):
    """Real = 4,000 Adult training rows; synthetic = 3,000 perturbed rows drawn from them (not synthaudit's
    copula: the committed SDMetrics values must not change with it)."""
    return adult_perturbed(adult_train)


@pytest.fixture(scope="module")
def adult_report(adult_pair):
    real, syn = adult_pair
    return synthaudit.audit("tabular", synthetic=syn, real=real)


@pytest.fixture(scope="module")
def adult_split_report(adult_train, adult_test):
    """Real = Adult train sample; 'synthetic' = Adult test sample (a second real sample)."""
    real, other = adult_split(adult_train, adult_test)
    return real, other, synthaudit.audit("tabular", synthetic=other, real=real)


@pytest.fixture(scope="module")
def sdm(adult_pair, adult_split_report):
    """SDMetrics 0.32's values on both pairs (tests/references/tabular_reference.json), by ``which``."""
    return reference_values("tabular_reference", perturbed_real=adult_pair[0], perturbed_synthetic=adult_pair[1],
                            split_real=adult_split_report[0], split_synthetic=adult_split_report[1])


def rows_by(result, *keys):
    return {tuple(r[k] for k in keys) if len(keys) > 1 else r[keys[0]]: r for r in result.breakdown}


def test_adult_types_are_inferred_as_documented(adult_report):
    types = {c: v["type"] for c, v in adult_report.columns.items()}
    assert [c for c, t in types.items() if t == "numerical"] == [
        "age", "fnlwgt", "education_num", "capital_gain", "capital_loss", "hours_per_week"]
    assert types["income"] == "categorical" and types["native_country"] == "categorical"


@pytest.mark.parametrize("which", ["perturbed", "split"])
def test_kst_matches_scipy_and_sdmetrics(which, adult_pair, adult_report, adult_split_report, sdm):
    real, syn, report = (*adult_pair, adult_report) if which == "perturbed" else adult_split_report
    res = report.result("tabular.kst")
    rows = rows_by(res, "column")
    assert len(rows) == 6
    for col, row in rows.items():
        ref = stats.ks_2samp(real[col].dropna(), syn[col].dropna()).statistic
        assert row["value"] == pytest.approx(ref, abs=1e-12), col
        assert row["value"] == pytest.approx(1 - sdm[which]["KSComplement"][col], abs=1e-9), col
    assert res.value == pytest.approx(np.mean([r["value"] for r in rows.values()]), abs=1e-12)


@pytest.mark.parametrize("which", ["perturbed", "split"])
def test_tvd_matches_sdmetrics(which, adult_pair, adult_report, adult_split_report, sdm):
    real, syn, report = (*adult_pair, adult_report) if which == "perturbed" else adult_split_report
    res = report.result("tabular.tvd")
    rows = rows_by(res, "column")
    assert len(rows) == 9
    checked_missing = 0
    for col, row in rows.items():
        if real[col].isna().any() or syn[col].isna().any():
            # SDMetrics drops missing values: compare our value on dropna'd data ...
            sub = synthaudit.audit("tabular", synthetic=syn[[col]].dropna(), real=real[[col]].dropna(),
                                   metrics=["tabular.tvd"])
            tol = 1e-8 if set(syn[col].dropna()) - set(real[col].dropna()) else 1e-12
            assert sub.value("tabular.tvd") == pytest.approx(1 - sdm[which]["TVComplement"][col], abs=tol)
            # ... and the with-missing value by hand: missing is one more category
            fr = real[col].astype(object).fillna("<NA>").value_counts(normalize=True)
            fs = syn[col].astype(object).fillna("<NA>").value_counts(normalize=True)
            keys = fr.index.union(fs.index)
            hand = 0.5 * np.abs(fr.reindex(keys, fill_value=0) - fs.reindex(keys, fill_value=0)).sum()
            assert row["value"] == pytest.approx(hand, abs=1e-12), col
            checked_missing += 1
        else:
            tol = 1e-8 if set(syn[col]) - set(real[col]) else 1e-12
            assert row["value"] == pytest.approx(1 - sdm[which]["TVComplement"][col], abs=tol), col
    assert checked_missing >= 2  # workclass, occupation, native_country have '?' -> missing
    assert res.value == pytest.approx(np.mean([r["value"] for r in rows.values()]), abs=1e-12)


@pytest.mark.parametrize("which", ["perturbed", "split"])
def test_pearson_score_matches_sdmetrics_and_scipy(which, adult_pair, adult_report, adult_split_report, sdm):
    real, syn, report = (*adult_pair, adult_report) if which == "perturbed" else adult_split_report
    res = report.result("tabular.pearson_score")
    rows = rows_by(res, "column_1", "column_2")
    assert len(rows) == 15  # 6 numerical columns -> K = 15 pairs
    for (a, b), row in rows.items():
        sim = sdm[which]["CorrelationSimilarity"][pair_key(a, b)]
        assert row["value"] == pytest.approx(1 - sim, abs=1e-12), (a, b)
        rr = real[[a, b]].dropna()
        assert row["real"] == pytest.approx(stats.pearsonr(rr[a], rr[b]).statistic, abs=1e-12)
    assert res.notes["K"] == 15
    assert res.value == pytest.approx(np.mean([r["value"] for r in rows.values()]), abs=1e-12)


@pytest.mark.parametrize("which", ["perturbed", "split"])
def test_contingency_score_matches_sdmetrics(which, adult_pair, adult_report, adult_split_report, sdm):
    report = adult_report if which == "perturbed" else adult_split_report[2]
    res = report.result("tabular.contingency_score")
    rows = rows_by(res, "column_1", "column_2")
    numerical = {"age", "fnlwgt", "education_num", "capital_gain", "capital_loss", "hours_per_week"}
    assert len(rows) == 36 + 9 * 6  # categorical pairs + categorical x numerical pairs
    for (a, b), row in rows.items():
        assert a not in numerical  # SDMetrics was given continuous_column_names=[b] if b is numerical
        sim = sdm[which]["ContingencySimilarity"][pair_key(a, b)]
        assert row["value"] == pytest.approx(1 - sim, abs=1e-12), (a, b)
    assert res.value == pytest.approx(np.mean([r["value"] for r in rows.values()]), abs=1e-12)


def test_chi2_matches_scipy_chisquare(adult_split_report):
    real, other, report = adult_split_report
    res = report.result("tabular.chi2")
    rows = rows_by(res, "column")
    n_checked = 0
    for col, row in rows.items():
        r = real[col].astype(object).where(real[col].notna(), "(missing)").value_counts()
        s = other[col].astype(object).where(other[col].notna(), "(missing)").value_counts()
        unseen = [k for k in s.index if k not in r.index]
        if unseen:  # documented policy merge_into_other: one bucket with half a real observation
            f_exp_p = np.append(r.to_numpy(float), 0.5) / (r.sum() + 0.5)
            f_obs = np.append(s.reindex(r.index, fill_value=0).to_numpy(float), s[unseen].sum())
        else:
            f_exp_p = r.to_numpy(float) / r.sum()
            f_obs = s.reindex(r.index, fill_value=0).to_numpy(float)
        ref = stats.chisquare(f_obs, f_exp_p * f_obs.sum())
        assert row["statistic"] == pytest.approx(ref.statistic, rel=1e-10), col
        assert row["value"] == pytest.approx(ref.pvalue, rel=1e-9, abs=1e-300), col
        assert row["df"] == len(f_obs) - 1
        # passing: the two-sample test of homogeneity on real vs synthetic counts (the pooled bucket has no real row)
        real_counts = np.append(r.to_numpy(float), 0.0) if unseen else r.to_numpy(float)
        two = stats.chi2_contingency(np.vstack([real_counts, f_obs]), correction=False)
        assert row["p_two_sample"] == pytest.approx(two.pvalue, rel=1e-9, abs=1e-300), col
        assert row["passed"] == (two.pvalue >= res.params["alpha"]), col
        n_checked += 1
    assert n_checked == 9
    assert res.value == pytest.approx(np.mean([r["value"] for r in rows.values()]), abs=1e-12)
    threshold = res.params["pass_threshold"]
    assert res.secondary["share_above_pass_threshold"] == pytest.approx(
        np.mean([r["value"] >= threshold for r in rows.values()]))
    assert res.params["alpha"] == 0.05
    assert res.secondary["share_passing"] == pytest.approx(np.mean([r["passed"] for r in rows.values()]))


def test_chi2_unseen_category_is_reported_and_finite():
    real = pd.DataFrame({"c": ["a"] * 60 + ["b"] * 40})
    syn = pd.DataFrame({"c": ["a"] * 50 + ["b"] * 45 + ["zz"] * 5})
    rep = synthaudit.audit("tabular", synthetic=syn, real=real, metrics=["tabular.chi2"])
    row = rep.result("tabular.chi2").breakdown[0]
    assert row["unseen_in_real"] == 1 and row["unseen_examples"] == ["zz"]
    # by hand: E = 100 * [60, 40, 0.5] / 100.5; O = [50, 45, 5]
    e = 100 * np.array([60, 40, 0.5]) / 100.5
    o = np.array([50, 45, 5])
    stat = ((o - e) ** 2 / e).sum()
    assert row["statistic"] == pytest.approx(stat, rel=1e-12)
    assert row["value"] == pytest.approx(stats.chi2.sf(stat, 2), rel=1e-9)
    for policy, expected in (("drop", stats.chisquare([50, 45], np.array([60, 40]) * 0.95).pvalue),
                             ("pseudo_count", stats.chisquare([50, 45, 5],
                                                              np.array([60.5, 40.5, 0.5]) / 101.5 * 100).pvalue)):
        rep = synthaudit.audit("tabular", synthetic=syn, real=real, metrics=["tabular.chi2"],
                               params={"tabular.chi2": {"unseen_category_policy": policy}})
        assert rep.value("tabular.chi2") == pytest.approx(expected, rel=1e-9), policy


# ---- hand-worked fixtures ------------------------------------------------------------------------

def test_hand_worked_values():
    # non-integer values: integer columns with <= 5 distinct values would be inferred categorical
    real = pd.DataFrame({"x": [0.5, 1.5, 2.5, 3.5], "y": [2.5, 4.5, 6.5, 8.5], "c": ["a", "a", "b", "b"]})
    syn = pd.DataFrame({"x": [1.5, 2.5, 3.5, 4.5], "y": [8.5, 6.5, 4.5, 2.5], "c": ["a", "b", "b", "b"]})
    rep = synthaudit.audit("tabular", synthetic=syn, real=real,
                           params={"tabular.contingency_score": {"num_bins": 2}})
    ks = rows_by(rep.result("tabular.kst"), "column")
    assert ks["x"]["value"] == pytest.approx(0.25)   # F_real(0.5) = 1/4 vs F_syn(0.5) = 0
    assert ks["y"]["value"] == pytest.approx(0.0)    # same values, another order
    assert rep.value("tabular.tvd") == pytest.approx(0.25)  # 0.5 * (|.5-.25| + |.5-.75|)
    # rho_real(x,y) = 1, rho_syn(x,y) = -1 -> |1 - (-1)| / 2 = 1
    assert rep.value("tabular.pearson_score") == pytest.approx(1.0)
    # chi2: E = 4 * [.5, .5] = [2, 2], O = [1, 3] -> chi2 = 1, df = 1
    row = rep.result("tabular.chi2").breakdown[0]
    assert row["statistic"] == pytest.approx(1.0) and row["value"] == pytest.approx(stats.chi2.sf(1.0, 1))
    # contingency, 2 bins over the real range: x edge 2.0, y edge 5.5
    # (c, x): real {(a,1):2, (b,2):2}; syn {(a,1):1, (b,2):3}  -> 0.5 * (.25 + .25) = 0.25
    # (c, y): real {(a,1):2, (b,2):2}; syn {(a,2):1, (b,2):1, (b,1):2} -> 0.5 * (.5 + .25 + .25 + .5) = 0.75
    cont = rows_by(rep.result("tabular.contingency_score"), "column_1", "column_2")
    assert cont[("c", "x")]["value"] == pytest.approx(0.25)
    assert cont[("c", "y")]["value"] == pytest.approx(0.75)
    assert rep.value("tabular.contingency_score") == pytest.approx((0.25 + 0.75) / 2)


def test_identical_tables_score_perfectly(wine):
    rep = synthaudit.audit("tabular", synthetic=wine, real=wine)
    for mid in ("tabular.kst", "tabular.tvd", "tabular.pearson_score", "tabular.contingency_score"):
        assert rep.value(mid) == pytest.approx(0.0, abs=1e-12), mid
    assert rep.value("tabular.chi2") == pytest.approx(1.0)


def test_row_order_does_not_matter(cancer):
    syn = copula_synthetic(cancer, seed=3)
    a = synthaudit.audit("tabular", synthetic=syn, real=cancer)
    b = synthaudit.audit("tabular", synthetic=syn.sample(frac=1, random_state=9),
                         real=cancer.sample(frac=1, random_state=8))
    for mid in IDS:
        assert a.value(mid) == pytest.approx(b.value(mid), abs=1e-12), mid


def test_independent_marginals_keep_marginals_but_lose_pairs(cancer):
    """Shuffling each column independently keeps KST/TVD at 0 but breaks the pairwise structure."""
    rng = np.random.default_rng(0)
    shuffled = pd.DataFrame({c: rng.permutation(cancer[c].to_numpy()) for c in cancer.columns})
    rep = synthaudit.audit("tabular", synthetic=shuffled, real=cancer)
    assert rep.value("tabular.kst") == pytest.approx(0.0, abs=1e-12)
    assert rep.value("tabular.tvd") == pytest.approx(0.0, abs=1e-12)
    assert rep.value("tabular.pearson_score") > 0.1
    assert rep.value("tabular.contingency_score") > 0.1
