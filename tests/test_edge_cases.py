"""A synthetic table with NaNs, a constant column, an unseen category, a datetime column and unicode
values audits to completion, reports what it could not compute, and matches the references where
both are defined (scipy ks_2samp, SDMetrics KSComplement / TVComplement / CorrelationSimilarity).

SDMetrics 0.32 needs pandas<3: its values are computed on the same tables by tests/references/make_references.py
in a separate environment and read from tests/references/edge_cases.json."""
from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import pytest
from references.inputs import messy_wine, pair_key, reference_values
from scipy import stats

import synthaudit


@pytest.fixture(scope="module")
def messy(wine_module):
    """wine + unicode region, datetime, constant columns; synthetic = a perturbed copy (not synthaudit's
    copula: the committed SDMetrics values must not change with it) with NaNs, an unseen category, NaTs."""
    return messy_wine(wine_module)


@pytest.fixture(scope="module")
def sdm(messy):
    """SDMetrics 0.32's values on ``messy`` (tests/references/edge_cases.json)."""
    real, syn = messy
    return reference_values("edge_cases", real=real, synthetic=syn)


@pytest.fixture(scope="module")
def wine_module():
    from sklearn.datasets import load_wine

    d = load_wine(as_frame=True).frame
    d["class"] = "cultivar_" + d.pop("target").astype(str)
    return d


@pytest.fixture(scope="module")
def report(messy):
    real, syn = messy
    return synthaudit.audit("tabular", synthetic=syn, real=real)


def by(result, key="column"):
    return {r[key]: r for r in result.breakdown}


def test_all_metrics_complete(report):
    status = {m.id: m.status for m in report.metrics}
    assert set(status.values()) == {"ok"}, {m.id: m.error for m in report.metrics if m.error}
    assert {"tabular.chi2", "tabular.kst", "tabular.tvd", "tabular.pearson_score", "tabular.contingency_score",
            "tabular.det_score", "tabular.alpha_precision", "tabular.beta_recall"} <= set(status)
    types = {c: v["type"] for c, v in report.columns.items()}
    assert types["harvest"] == "datetime" and types["region"] == "categorical"
    assert types["const_num"] == "numerical" and types["const_cat"] == "categorical"


def test_kst_with_nan_and_datetime_matches_references(messy, report, sdm):
    real, syn = messy
    rows = by(report.result("tabular.kst"))
    assert rows["alcohol"]["missing_synthetic"] == pytest.approx(15 / len(syn))
    for col in ("alcohol", "harvest", "malic_acid"):
        r, s = real[col].dropna(), syn[col].dropna()
        if col == "harvest":  # datetimes compare as timestamps (SDMetrics: pd.to_numeric)
            r, s = r.astype("int64"), s.astype("int64")
        assert rows[col]["value"] == pytest.approx(stats.ks_2samp(r, s).statistic, abs=1e-12), col
        assert rows[col]["value"] == pytest.approx(1 - sdm["KSComplement"][col], abs=1e-9), col  # 1 - KSComplement
    assert rows["const_num"]["value"] == 0.0  # both constant at the same value


def test_tvd_reports_unseen_unicode_category(messy, report, sdm):
    real, syn = messy
    rows = by(report.result("tabular.tvd"))
    assert rows["region"]["unseen_in_real"] == 1 and rows["region"]["unseen_examples"] == ["Atlantis ☃"]
    tol = 1e-8  # SDMetrics regularises unseen categories by 1e-6 of a count
    assert rows["region"]["value"] == pytest.approx(1 - sdm["TVComplement"]["region"], abs=tol)  # 1 - TVComplement
    assert rows["const_cat"]["value"] == 0.0
    # class has missing values in synthetic data only: missing is a category of its own
    fr = real["class"].value_counts(normalize=True)
    fs = syn["class"].fillna("<NA>").value_counts(normalize=True)
    keys = fr.index.union(fs.index)
    hand = 0.5 * np.abs(fr.reindex(keys, fill_value=0) - fs.reindex(keys, fill_value=0)).sum()
    assert rows["class"]["value"] == pytest.approx(hand, abs=1e-12)
    assert rows["class"]["missing_synthetic"] == pytest.approx(9 / len(syn))


def test_pearson_skips_constant_pairs_and_matches_sdmetrics_elsewhere(messy, report, sdm):
    res = report.result("tabular.pearson_score")
    skipped = [r for r in res.breakdown if r["value"] is None]
    assert skipped and all("const_num" in (r["column_1"], r["column_2"]) for r in skipped)
    assert all(r["skipped"] == "constant in real data" for r in skipped)
    assert res.notes["K"] == len(res.breakdown) - len(skipped)
    assert len(res.notes["skipped_pairs"]) == len(skipped)
    for r in res.breakdown:
        if r["value"] is not None:
            a, b = r["column_1"], r["column_2"]
            sim = sdm["CorrelationSimilarity"][pair_key(a, b)]  # SDMetrics: 1 - |rho_r - rho_s| / 2
            assert r["value"] == pytest.approx(1 - sim, abs=1e-12), (a, b)


def test_chi2_reports_untestable_column(report):
    rows = by(report.result("tabular.chi2"))
    assert rows["const_cat"]["value"] is None and "single category" in rows["const_cat"]["skipped"]
    assert rows["region"]["unseen_in_real"] == 1 and rows["region"]["value"] is not None
    assert any("const_cat" in s for s in report.result("tabular.chi2").notes["skipped_columns"])


def test_inputs_are_never_modified(messy, tmp_path):
    real, syn = messy
    real_copy, syn_copy = real.copy(deep=True), syn.copy(deep=True)
    synthaudit.audit("tabular", synthetic=syn, real=real)
    pd.testing.assert_frame_equal(real, real_copy)
    pd.testing.assert_frame_equal(syn, syn_copy)
    paths = {"real": tmp_path / "real.csv", "syn": tmp_path / "syn.parquet"}
    real.to_csv(paths["real"], index=False)
    syn.to_parquet(paths["syn"], index=False)
    before = {k: hashlib.sha256(p.read_bytes()).hexdigest() for k, p in paths.items()}
    rep = synthaudit.audit("tabular", synthetic=paths["syn"], real=paths["real"], out=tmp_path / "out")
    after = {k: hashlib.sha256(p.read_bytes()).hexdigest() for k, p in paths.items()}
    assert before == after
    assert {i.role: i.sha256 for i in rep.inputs}["synthetic"] == before["syn"]
    assert (tmp_path / "out" / "report.html").exists()


def test_file_round_trip_gives_same_values(messy, report, tmp_path):
    real, syn = messy
    real.to_csv(tmp_path / "r.csv", index=False)
    syn.to_csv(tmp_path / "s.csv", index=False)
    rep = synthaudit.audit("tabular", synthetic=tmp_path / "s.csv", real=tmp_path / "r.csv")
    for m in report.metrics:
        assert rep.value(m.id) == pytest.approx(m.value, abs=1e-12), m.id
