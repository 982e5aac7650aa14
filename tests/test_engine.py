"""Planner and engine: gaps with reasons and flags, failure isolation, record metrics, timing."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import synthaudit
from synthaudit.metrics import registry as reg
from synthaudit.metrics.registry import MergeableMetric, RecordMetric, register
from synthaudit.metrics.result import MetricResult


@pytest.fixture
def temp_registry(monkeypatch):
    """A copy of the registry that tests may change (toy metrics replace real ones); restored afterwards."""
    reg.all_metrics()
    monkeypatch.setattr(reg, "_REGISTRY", dict(reg._REGISTRY))
    return reg._REGISTRY


def test_every_tabular_catalog_metric_is_run_or_a_gap(wine):
    rep = synthaudit.audit("tabular", synthetic=wine, real=wine)
    ran = {m.id for m in rep.metrics}
    gaps = {g.id: g for g in rep.gaps}
    from synthaudit.catalog import catalog_entries

    from synthaudit.metrics.registry import all_metrics

    extensions = {i for i, m in all_metrics().items() if m.spec.modality == "tabular" and m.spec.extension}
    tabular = {i for i, e in catalog_entries().items() if e["modality"] == "tabular"} | extensions
    assert ran | set(gaps) == tabular and not ran & set(gaps)
    opt_in = {i for i in extensions if all_metrics()[i].spec.opt_in}
    assert opt_in and all(gaps[i].kind == "not_selected" and "opt-in" in gaps[i].reason for i in opt_in)
    assert all(g.reason for g in gaps.values())
    assert all(m.wall_time_s >= 0 for m in rep.metrics) and sum(m.wall_time_s for m in rep.metrics) > 0


def test_missing_input_gap_names_the_flag(temp_registry, wine):
    temp_registry.pop("tabular.dcr", None)  # a toy stand-in with the same inputs

    @register(id="tabular.dcr", name="Distance to Closest Record, synthetic to train (DCR_train->gen) with holdout "
              "baseline", modality="tabular", pillar="trust", dimension="privacy", section="4.3",
              direction="report_only", range=(0.0, float("inf")), inputs=("synthetic", "train", "real_holdout"),
              models=("none",), computation="global", registry=temp_registry)
    def toy_dcr(inputs, models):
        return MetricResult(value=float(len(inputs.frame("real_holdout"))))

    rep = synthaudit.audit("tabular", synthetic=wine, real=wine)
    gap = next(g for g in rep.gaps if g.id == "tabular.dcr")
    assert gap.kind == "missing_input" and "real_holdout" in gap.reason and gap.enable == "--holdout"
    rep = synthaudit.audit("tabular", synthetic=wine, real=wine, holdout=wine.iloc[:50])
    assert rep.value("tabular.dcr") == 50.0


def test_not_applicable_gap_when_nothing_to_measure(cancer):
    numeric_only = cancer.drop(columns=["diagnosis"])
    rep = synthaudit.audit("tabular", synthetic=numeric_only, real=numeric_only)
    kinds = {g.id: g.kind for g in rep.gaps}
    assert kinds["tabular.tvd"] == kinds["tabular.chi2"] == kinds["tabular.contingency_score"] == "not_applicable"
    assert "categorical" in next(g.reason for g in rep.gaps if g.id == "tabular.tvd")
    assert rep.value("tabular.kst") == 0.0


def test_a_failing_metric_is_isolated(monkeypatch, wine):
    from synthaudit.metrics.tabular.fidelity import TVD

    def boom(self, state, inputs, models):
        raise ZeroDivisionError("synthetic failure for the test")

    monkeypatch.setattr(TVD, "finalize", boom)
    rep = synthaudit.audit("tabular", synthetic=wine, real=wine)
    tvd = rep.result("tabular.tvd")
    assert tvd.status == "failed" and "ZeroDivisionError" in tvd.error and tvd.value is None
    assert rep.result("tabular.kst").status == "ok" and rep.value("tabular.chi2") == pytest.approx(1.0)
    row = next(r for r in rep.scorecard if r.dimension == "fidelity")
    assert row.failed == 1


def test_a_failing_update_stops_only_that_metric(monkeypatch, wine):
    from synthaudit.metrics.tabular.fidelity import PearsonScore

    calls = {"n": 0}

    def bad_update(self, state, role, batch):
        calls["n"] += 1
        raise ValueError("bad batch")

    monkeypatch.setattr(PearsonScore, "update", bad_update)
    rep = synthaudit.audit("tabular", synthetic=wine, real=wine, batch_size=20)
    assert rep.result("tabular.pearson_score").status == "failed"
    assert calls["n"] == 1  # not called again after the first failure
    assert rep.result("tabular.contingency_score").status == "ok"


def test_record_metric_kind(temp_registry, wine):
    """A record metric keeps per-record scores and averages them, also across batches."""
    temp_registry.pop("tabular.violation_rate", None)  # a toy stand-in with a record kind

    @register(id="tabular.violation_rate", name="Constraint violation rate (VR)", modality="tabular",
              pillar="quality", dimension="validity", section="4.2", direction="lower_better", range=(0.0, 1.0),
              inputs=("synthetic",), models=("none",), computation="record", registry=temp_registry)
    class AlcoholAbove14(RecordMetric):
        def score(self, batch, inputs, models):
            return (batch["alcohol"] > 14).to_numpy(dtype=float)

    rep = synthaudit.audit("tabular", synthetic=wine, real=wine, batch_size=17)
    entry = rep.result("tabular.violation_rate")
    assert entry.value == pytest.approx(float((wine["alcohol"] > 14).mean()))
    assert entry.n_record_scores == len(wine)


def test_mergeable_class_cannot_be_global():
    with pytest.raises(ValueError):
        register(id="x.y", name="x", modality="tabular", pillar="quality", dimension="fidelity", section="4.2",
                 direction="lower_better", range=(0, 1), inputs=("synthetic",), computation="global",
                 registry={})(type("M", (MergeableMetric,), {}))


def test_selection_by_dimension(wine):
    rep = synthaudit.audit("tabular", synthetic=wine, real=wine, dimensions=["validity"])
    assert [m.id for m in rep.metrics] == ["tabular.chi2"]
    assert {g.kind for g in rep.gaps if g.dimension == "fidelity"} == {"not_selected"}


def test_unknown_selection_is_a_usage_error(wine):
    from synthaudit.errors import UsageError

    with pytest.raises(UsageError, match="tabular.kts"):
        synthaudit.audit("tabular", synthetic=wine, real=wine, metrics=["tabular.kts"])
    with pytest.raises(UsageError, match="text"):
        synthaudit.audit("tabular", synthetic=wine, real=wine, metrics=["text.ttr"])
    with pytest.raises(UsageError, match="dimension"):
        synthaudit.audit("tabular", synthetic=wine, real=wine, dimensions=["beauty"])


def test_seed_makes_results_repeatable(cancer):
    from conftest import copula_synthetic

    a = copula_synthetic(cancer, seed=7)
    b = copula_synthetic(cancer, seed=7)
    pd.testing.assert_frame_equal(a, b)
    ra = synthaudit.audit("tabular", synthetic=a, real=cancer, seed=3)
    rb = synthaudit.audit("tabular", synthetic=b, real=cancer, seed=3)
    assert [m.value for m in ra.metrics] == [m.value for m in rb.metrics]
    assert not np.allclose(copula_synthetic(cancer, seed=8)["mean radius"], a["mean radius"])
