"""Reference values (issue #12; survey section 8.1): with a holdout, every fidelity and diversity metric carries
the same metric computed with the real holdout as the synthetic side; gates may be relative to it; without a
holdout the report says so once."""
from __future__ import annotations

import pytest
from typer.testing import CliRunner

import synthaudit
from synthaudit.audit.policy import parse_policy
from synthaudit.cli.application import app
from synthaudit.errors import PolicyError
from synthaudit.generate.tabular import GaussianCopula
from synthaudit.modalities.tabular.demo import demo_tables

FIDELITY = ["tabular.kst", "tabular.tvd", "tabular.pearson_score", "tabular.contingency_score",
            "tabular.beta_recall", "tabular.dcr"]


@pytest.fixture(scope="module")
def tables():
    train, holdout = demo_tables(0)
    synthetic = GaussianCopula(seed=1).fit(train).sample(len(train))
    return train, holdout, synthetic


@pytest.fixture(scope="module")
def with_holdout(tables):
    train, holdout, synthetic = tables
    return synthaudit.audit("tabular", synthetic=synthetic, real=train, holdout=holdout, metrics=FIDELITY,
                            policy={"tabular.kst": {"max_vs_reference": 1.5}, "tabular.tvd": {"max_vs_reference": 0.01},
                                    "tabular.beta_recall": {"min_vs_reference": 0.5}})


def test_reference_equals_the_metric_with_the_holdout_as_synthetic(tables, with_holdout):
    train, holdout, _ = tables
    direct = synthaudit.audit("tabular", synthetic=holdout, real=train, metrics=FIDELITY[:-1])
    refs = {m.id: m.reference for m in with_holdout.metrics}
    for mid in FIDELITY[:-1]:
        assert refs[mid] is not None and refs[mid] == pytest.approx(direct.value(mid), rel=1e-12, abs=1e-12), mid
    assert refs["tabular.dcr"] is None  # privacy metrics have no reference (their baseline is the holdout itself)
    assert with_holdout.reference["available"] and with_holdout.reference["rows"] == len(holdout)
    labels = [s["label"] for s in with_holdout.shared_time]
    assert any(label.startswith("reference audit") for label in labels)


def test_relative_gates(with_holdout):
    gates = {g.gate: g for g in with_holdout.policy.gates}
    kst = with_holdout.result("tabular.kst")
    assert gates["tabular.kst"].passed == (kst.value <= 1.5 * kst.reference)
    assert gates["tabular.kst"].reference == kst.reference
    assert not gates["tabular.tvd"].passed and "0.01 x reference" in gates["tabular.tvd"].reason
    beta = with_holdout.result("tabular.beta_recall")
    assert gates["tabular.beta_recall"].passed == (beta.value >= 0.5 * beta.reference)


def test_without_holdout_said_once_and_relative_gates_fail(tables, tmp_path):
    train, _, synthetic = tables
    rep = synthaudit.audit("tabular", synthetic=synthetic, real=train, metrics=["tabular.kst", "tabular.tvd"],
                           policy={"tabular.kst": {"max_vs_reference": 2}}, out=tmp_path)
    assert rep.reference["available"] is False and "--holdout" in rep.reference["note"]
    assert all(m.reference is None for m in rep.metrics)
    gate = rep.policy.gates[0]
    assert not gate.passed and gate.reason.startswith("no reference value (no holdout given")
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert html.count("No reference values:") == 1


def test_policy_errors_for_relative_bounds():
    with pytest.raises(PolicyError, match="secondary"):
        parse_policy({"tabular.chi2.share_passing": {"min_vs_reference": 1}})
    with pytest.raises(PolicyError, match="max_vs_reference"):
        parse_policy({"tabular.kst": {"max_ratio": 1}})
    with pytest.raises(PolicyError, match="greater than"):
        parse_policy({"tabular.kst": {"min_vs_reference": 2, "max_vs_reference": 1}})


def test_scorecard_shows_references_and_the_exact_copy_rate(tables, with_holdout):
    rows = {r.dimension: r for r in with_holdout.scorecard}
    assert rows["fidelity"].references["tabular.kst"] == with_holdout.result("tabular.kst").reference
    assert rows["privacy"].values["tabular.dcr.exact_copy_rate"] == \
        with_holdout.result("tabular.dcr").secondary["exact_copy_rate"]


def test_cli_prints_the_reference_column_and_note(tables, tmp_path):
    train, holdout, synthetic = tables
    paths = {}
    for name, frame in (("train", train), ("holdout", holdout), ("syn", synthetic)):
        paths[name] = tmp_path / f"{name}.csv"
        frame.to_csv(paths[name], index=False)
    res = CliRunner().invoke(app, ["audit", "tabular", "--synthetic", str(paths["syn"]), "--real", str(paths["train"]),
                                   "--holdout", str(paths["holdout"]), "--metrics", "tabular.kst,tabular.tvd",
                                   "--out", str(tmp_path / "out")])
    assert res.exit_code == 0, res.output
    assert "reference" in res.output and res.output.count("reference: the real holdout") == 1
