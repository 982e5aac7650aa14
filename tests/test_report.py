"""report.json validates against the shipped, versioned JSON Schema; report.html is self-contained."""
from __future__ import annotations

import json
import re

import jsonschema
import pytest

import synthaudit
from conftest import copula_synthetic
from synthaudit.report.model import AuditReport, json_schema, schema_path


@pytest.fixture(scope="module")
def written(tmp_path_factory, cancer):
    out = tmp_path_factory.mktemp("report")
    syn = copula_synthetic(cancer, seed=0)
    rep = synthaudit.audit("tabular", synthetic=syn, real=cancer, out=out,
                           policy={"tabular.kst": {"max": 0.5}, "tabular.tvd": {"max": -1.0},
                                   "tabular.chi2.share_passing": {"min": 0.0}, "tabular.dcr": {"min": 0.4}})
    return rep, out


def test_shipped_schema_is_the_model_schema():
    shipped = json.loads(schema_path().read_text(encoding="utf-8"))
    assert shipped == json.loads(json.dumps(json_schema()))
    jsonschema.Draft202012Validator.check_schema(shipped)


def test_report_json_validates(written):
    rep, out = written
    doc = json.loads((out / "report.json").read_text(encoding="utf-8"))
    jsonschema.validate(doc, json.loads(schema_path().read_text(encoding="utf-8")))
    assert doc["schema_version"] == "1.0"
    assert AuditReport.from_json((out / "report.json").read_text(encoding="utf-8")) == rep
    # a report that breaks the schema is rejected (the check can fail)
    broken = dict(doc, metrics=[dict(doc["metrics"][0], status="great")])
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, json.loads(schema_path().read_text(encoding="utf-8")))


def test_report_contents(written):
    rep, out = written
    doc = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert {"tabular.kst", "tabular.tvd", "tabular.pearson_score", "tabular.contingency_score",
            "tabular.chi2"} <= {m["id"] for m in doc["metrics"]}
    assert all(m["status"] == "ok" for m in doc["metrics"])
    m = next(x for x in doc["metrics"] if x["id"] == "tabular.kst")
    assert m["direction"] == "lower_better" and m["good"].startswith("lower is better") and m["breakdown"]
    assert m["wall_time_s"] >= 0 and m["section"] == "4.2" and m["range"] == "[0,1]"
    assert doc["run"]["seed"] == 0 and doc["run"]["packages"]["numpy"]
    assert all(i["sha256"] and len(i["sha256"]) == 64 for i in doc["inputs"])
    dims = {r["dimension"]: r for r in doc["scorecard"]}
    assert dims["fidelity"]["coverage"] == "measured" and dims["validity"]["coverage"] == "partial"
    assert dims["privacy"]["coverage"] == "not_measured"  # no holdout given
    gates = {g["gate"]: g for g in doc["policy"]["gates"]}
    assert gates["tabular.kst"]["passed"] and not gates["tabular.tvd"]["passed"]
    assert not doc["policy"]["passed"]
    assert gates["tabular.chi2.share_passing"]["field"] == "share_passing"
    assert not gates["tabular.dcr"]["passed"] and "real_holdout" in gates["tabular.dcr"]["reason"]
    assert not rep.passed


def test_html_is_self_contained_and_complete(written):
    rep, out = written
    html = (out / "report.html").read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and '<html lang="en">' in html
    # nothing is fetched: no scripts, stylesheets, images or frames from anywhere
    assert not re.search(r"<(script|link|img|iframe)\b", html, re.I)
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", html, re.I)
    assert not re.search(r"url\((?!#)", html)  # only in-document references (SVG clip paths)
    for section in ("Scorecard", "Policy gates", "Fidelity", "Validity", "Gaps", "Run metadata"):
        assert f">{section}" in html, section
    for mid in ("tabular.kst", "tabular.tvd", "tabular.pearson_score", "tabular.contingency_score", "tabular.chi2"):
        assert f'id="{mid}"' in html
    assert html.count("<svg") >= 3  # pair heatmap + marginal plots
    assert 'aria-label="Pairwise differences' in html and 'aria-label="Histogram of' in html
    assert "policy gates failed" in html and "tabular.tvd" in html
    assert "Needs an input you did not give" in html and "--holdout" in html  # the gaps section


def test_report_cli_rerenders_from_json(written, tmp_path):
    from typer.testing import CliRunner

    from synthaudit.cli import app

    rep, out = written
    result = CliRunner().invoke(app, ["report", str(out / "report.json"), "--html", str(tmp_path / "again.html")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "again.html").read_text(encoding="utf-8").count("<svg") == \
        (out / "report.html").read_text(encoding="utf-8").count("<svg")
