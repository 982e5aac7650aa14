"""``synthaudit filter`` and ``synthaudit pipeline``: records kept or rejected by per-record metric scores, in
the input's own format, and the generate -> audit -> filter -> audit loop."""
from __future__ import annotations

import hashlib
import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from synthaudit.cli.curate import curate_app
from synthaudit.errors import UsageError
from synthaudit.generate.filter import Check, decide, resolve_checks
from synthaudit.generate.tabular import GaussianCopula

runner = CliRunner()

RECORDS = [
    {"id": 1, "text": "The cat sat on the mat and looked at the garden for a while.", "meta": {"tags": ["a", "b"]}},
    {"id": 2, "text": "The cat sat on the mat and looked at the garden for a while."},  # exact duplicate
    {"id": 3, "text": "   "},  # empty
    {"id": 4, "text": "This sentence is cut off in the middle of a long thought that never"},  # truncated
    {"id": 5, "text": "Caf\u00c3\u00a9 au lait is nice."},  # mojibake
    {"id": 6, "text": "A perfectly fine record about the weather."},
    {"id": 7, "text": None},  # missing: empty
]
EXPECTED_REJECTED = {2: ["text.ext.exact_duplicate_rate=1", "text.ext.near_duplicate_rate=1"],
                     3: ["text.ext.empty_rate=1"], 4: ["text.ext.truncation_rate=1"],
                     5: ["text.ext.encoding_noise_rate=1"], 7: ["text.ext.empty_rate=1"]}


def _sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def gen_jsonl(tmp_path):
    path = tmp_path / "gen.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in RECORDS) + "\n\n", encoding="utf-8")
    return path


def test_filter_text_jsonl(gen_jsonl, tmp_path):
    before = _sha(gen_jsonl)
    out = tmp_path / "out"
    res = runner.invoke(curate_app, ["filter", "--synthetic", str(gen_jsonl), "--checks",
                                     "exact_duplicate,near_duplicate,empty,truncation,encoding_noise",
                                     "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "kept 2 of 7 records, rejected 5" in res.output
    kept = [json.loads(x) for x in (out / "kept.jsonl").read_text().splitlines()]
    rejected = [json.loads(x) for x in (out / "rejected.jsonl").read_text().splitlines()]
    assert kept == [RECORDS[0], RECORDS[5]]  # nested fields written back as they were
    assert {r["id"]: r["_rejected_reasons"] for r in rejected} == EXPECTED_REJECTED
    summary = json.loads((out / "summary.json").read_text())
    assert summary["rejected_by_check"] == {"text.ext.exact_duplicate_rate": 1, "text.ext.near_duplicate_rate": 1,
                                            "text.ext.empty_rate": 2, "text.ext.truncation_rate": 1,
                                            "text.ext.encoding_noise_rate": 1}
    assert (out / "audit" / "report.json").exists() and _sha(gen_jsonl) == before  # input untouched


def test_filter_defaults_thresholds_and_unscored(gen_jsonl, tmp_path):
    # default checks are the five text curation checks: same decision as above
    res = runner.invoke(curate_app, ["filter", "-s", str(gen_jsonl), "-o", str(tmp_path / "d"), "-q"])
    assert res.exit_code == 0 and json.loads((tmp_path / "d" / "summary.json").read_text())["rejected"] == 5
    # duplicates alone: blank and missing records have no duplicate score -> kept, counted unscored
    res = runner.invoke(curate_app, ["filter", "-s", str(gen_jsonl), "-o", str(tmp_path / "u"), "--checks",
                                     "exact_duplicate"])
    s = json.loads((tmp_path / "u" / "summary.json").read_text())
    assert res.exit_code == 0 and (s["kept"], s["rejected"], s["unscored_kept"]) == (6, 1, 2)
    # a threshold replaces the default: a flag of 1 is not above max 1
    res = runner.invoke(curate_app, ["filter", "-s", str(gen_jsonl), "-o", str(tmp_path / "t"), "--checks",
                                     "truncation,empty", "--max", "truncation=1"])
    s = json.loads((tmp_path / "t" / "summary.json").read_text())
    assert s["rejected_by_check"] == {"text.ext.truncation_rate": 0, "text.ext.empty_rate": 2}


def test_filter_csv_and_txt_keep_their_format(tmp_path):
    csv = tmp_path / "gen.csv"
    pd.DataFrame({"id": ["007", "8", "9"], "response": ["Fine text here.", "Fine text here.", ""]}).to_csv(csv,
                                                                                                         index=False)
    res = runner.invoke(curate_app, ["filter", "-s", str(csv), "--field", "response", "--checks",
                                     "exact_duplicate,empty", "-o", str(tmp_path / "c")])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "c" / "kept.csv").read_text().splitlines() == ["id,response", "007,Fine text here."]
    rej = pd.read_csv(tmp_path / "c" / "rejected.csv", dtype=str, keep_default_na=False)
    assert rej["_rejected_reasons"].tolist() == ["text.ext.exact_duplicate_rate=1", "text.ext.empty_rate=1"]
    txt = tmp_path / "gen.txt"
    txt.write_text("one line of text.\none line of text.\nanother line.\n", encoding="utf-8")
    res = runner.invoke(curate_app, ["filter", "-s", str(txt), "--checks", "exact_duplicate", "-o",
                                     str(tmp_path / "x")])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "x" / "kept.txt").read_text() == "one line of text.\nanother line.\n"
    assert json.loads((tmp_path / "x" / "rejected.jsonl").read_text())["_rejected_reasons"] == \
        ["text.ext.exact_duplicate_rate=1"]


def test_filter_text_toxicity(tmp_path):
    pytest.importorskip("profanity_check")
    path = tmp_path / "t.jsonl"
    path.write_text("\n".join(json.dumps({"text": t}) for t in
                              ["Have a lovely day, friend.", "You are a stupid fucking idiot.", ""]), encoding="utf-8")
    res = runner.invoke(curate_app, ["filter", "-s", str(path), "--checks", "toxicity", "-o", str(tmp_path / "o")])
    assert res.exit_code == 0, res.output
    s = json.loads((tmp_path / "o" / "summary.json").read_text())
    assert (s["kept"], s["rejected"], s["unscored_kept"]) == (2, 1, 1)
    assert "idiot" in (tmp_path / "o" / "rejected.jsonl").read_text()


@pytest.fixture
def tables(tmp_path, wine):
    train, hold = wine.iloc[:120], wine.iloc[120:]
    syn = GaussianCopula(seed=0).fit(train).sample(60)
    syn = pd.concat([syn, train.iloc[:5]], ignore_index=True)  # 5 copies of training rows
    syn.loc[0, "alcohol"] = 99.0  # outside the real range
    syn.loc[1, "class"] = "cultivar_9"  # unknown category
    paths = {k: tmp_path / f"{k}.csv" for k in ("train", "hold", "syn")}
    for k, f in zip(paths, (train, hold, syn)):
        f.to_csv(paths[k], index=False)
    return paths


def test_filter_tabular_validity_and_copies(tables, tmp_path):
    res = runner.invoke(curate_app, ["filter", "--modality", "tabular", "-s", str(tables["syn"]), "--real",
                                     str(tables["train"]), "--holdout", str(tables["hold"]), "--infer-constraints",
                                     "--checks", "validity,dcr", "-o", str(tmp_path / "o")])
    assert res.exit_code == 0, res.output
    rej = pd.read_csv(tmp_path / "o" / "rejected.csv")
    assert len(rej) == 7 and len(pd.read_csv(tmp_path / "o" / "kept.csv")) == 58
    assert rej["_rejected_reasons"].tolist() == ["tabular.violation_rate=1"] * 2 + ["tabular.dcr=0"] * 5
    # dcr on a seeded sample of 20 rows: the others are unscored and kept
    res = runner.invoke(curate_app, ["filter", "--modality", "tabular", "-s", str(tables["syn"]), "--real",
                                     str(tables["train"]), "--holdout", str(tables["hold"]), "--checks", "dcr",
                                     "--param", "tabular.dcr.max_query_rows=20", "-o", str(tmp_path / "p")])
    s = json.loads((tmp_path / "p" / "summary.json").read_text())
    assert res.exit_code == 0 and s["checks"][0]["scored"] == 20 and s["unscored_kept"] == 45


@pytest.mark.parametrize("args,message", [
    (["--checks", "nonsense"], "unknown text check 'nonsense'"),
    (["--checks", "text.ttr"], "not a score per record"),
    (["--checks", "perplexity"], "no default threshold"),
    (["--max", "empty"], "expected METRIC=NUMBER"),
    (["--max", "empty=0.5", "--min", "empty=0.1"], "both --max and --min"),
    (["--modality", "image"], "filtering supports modalities"),
    (["--real", "x.csv"], "apply to --modality tabular"),
])
def test_filter_usage_errors(gen_jsonl, tmp_path, args, message):
    res = runner.invoke(curate_app, ["filter", "-s", str(gen_jsonl), "-o", str(tmp_path / "o"), *args])
    assert res.exit_code == 2 and message in res.output and "Traceback" not in res.output, res.output


def test_filter_input_errors(gen_jsonl, tables, tmp_path):
    cases = [
        (["-s", str(tmp_path / "nope.jsonl"), "-o", str(tmp_path / "o")], "file not found"),
        (["-s", str(gen_jsonl), "-o", str(gen_jsonl)], "not a directory"),
        (["-s", str(gen_jsonl), "--field", "body", "-o", str(tmp_path / "o")], "has no field 'body'"),
        (["--modality", "tabular", "-s", str(tables["syn"]), "--real", str(tables["train"]), "--checks", "dcr",
          "-o", str(tmp_path / "o")], "cannot run: needs real_holdout"),
    ]
    for args, message in cases:
        res = runner.invoke(curate_app, ["filter", *args])
        assert res.exit_code == 2 and message in res.output and "Traceback" not in res.output, res.output
    kept = tmp_path / "kept.jsonl"
    kept.write_bytes(gen_jsonl.read_bytes())
    res = runner.invoke(curate_app, ["filter", "-s", str(kept), "-o", str(tmp_path)])
    assert res.exit_code == 2 and "overwrite the input" in res.output


def test_decide_rules():
    checks = [Check("a", "a", "max", 0.5), Check("b", "b", "min", 0.2)]
    scores = {"a": np.array([0.0, 1.0, np.nan, 0.0]), "b": np.array([0.9, 0.9, 0.5, 0.1])}
    r = decide(checks, scores, 4)
    assert r.kept.tolist() == [0, 2] and r.rejected.tolist() == [1, 3] and r.unscored.tolist() == [2]
    assert r.reasons == [["a=1"], ["b=0.1"]]
    with pytest.raises(UsageError):
        resolve_checks("tabular", ["empty"])
    assert [c.id for c in resolve_checks("text", None, {"gar": 0.9})] == ["text.gar"]  # a bound alone selects


# -- pipeline -------------------------------------------------------------------------------------------
def test_pipeline_tabular_copula(tables, tmp_path):
    cfg = tmp_path / "p.yaml"
    cfg.write_text(f"""
modality: tabular
seed: 0
n: 150
real: {tables['train']}
holdout: {tables['hold']}
generator: {{method: gaussian_copula}}
audit:
  metrics: [tabular.kst, tabular.tvd]
  infer_constraints: true
filter:
  checks: [validity, dcr]
""", encoding="utf-8")
    res = runner.invoke(curate_app, ["pipeline", str(cfg), "--out", str(tmp_path / "run")])
    assert res.exit_code == 0, res.output
    run = tmp_path / "run"
    for f in ("generated.csv", "before/report.json", "before/report.html", "after/report.json", "after/report.html",
              "filter/kept.csv", "filter/summary.json", "comparison.json"):
        assert (run / f).exists(), f
    comp = json.loads((run / "comparison.json").read_text())
    assert comp["records"]["before"] == 150 and comp["records"]["after"] == 150 - comp["records"]["rejected"]
    ids = [m["metric"] for m in comp["metrics"]]
    assert sorted(ids) == ["tabular.dcr", "tabular.kst", "tabular.tvd", "tabular.violation_rate"]
    assert all(m["before"] is not None and m["after"] is not None for m in comp["metrics"])
    dcr = next(m for m in comp["metrics"] if m["metric"] == "tabular.dcr")
    assert comp["passed"] == {"before": True, "after": True} and dcr["direction"] == "report_only"


def test_pipeline_text_from_file(gen_jsonl, tmp_path):
    cfg = tmp_path / "t.yaml"
    cfg.write_text(f"""
modality: text
generator: {{from_file: {gen_jsonl.name}}}
audit: {{metrics: [text.distinct_n]}}
filter: {{checks: [exact_duplicate, empty, truncation, encoding_noise]}}
out: run
""", encoding="utf-8")
    res = runner.invoke(curate_app, ["pipeline", str(cfg), "--out", str(tmp_path / "run")])
    assert res.exit_code == 0, res.output
    comp = json.loads((tmp_path / "run" / "comparison.json").read_text())
    assert comp["records"] == {"before": 7, "after": 2, "rejected": 5, "unscored_kept": 0}
    rows = {m["metric"]: m for m in comp["metrics"]}
    assert rows["text.ext.exact_duplicate_rate"]["before"] > 0 and rows["text.ext.exact_duplicate_rate"]["after"] == 0
    assert rows["text.ext.empty_rate"]["improved"] is True and rows["text.ext.empty_rate"]["after"] == 0
    assert "text.distinct_n" in rows


@pytest.mark.parametrize("body,message", [
    ("modality: tabular\ngenerator: {method: gaussian_copula}\ncolour: red\n", "unknown key(s) in config: colour"),
    ("modality: tabular\n", "needs 'generator'"),
    ("modality: tabular\nn: 5\ngenerator: {method: gaussian_copula}\n", "needs 'real'"),
    ("modality: text\ngenerator: {from_file: missing.jsonl}\n", "file not found"),
    ("modality: text\ngenerator: {from_file: g.jsonl}\naudit: {colour: red}\n", "unknown audit option(s) colour"),
    ("[1, 2", "is not valid YAML"),
    ("modality: text\nn: 2\ngenerator: {method: nope}\n", "unknown text generator 'nope'"),
])
def test_pipeline_config_errors(tmp_path, body, message):
    (tmp_path / "g.jsonl").write_text('{"text": "hello there."}\n', encoding="utf-8")
    cfg = tmp_path / "bad.yaml"
    cfg.write_text(body, encoding="utf-8")
    res = runner.invoke(curate_app, ["pipeline", str(cfg), "-o", str(tmp_path / "o")])
    assert res.exit_code == 2 and message in res.output and "Traceback" not in res.output, res.output
