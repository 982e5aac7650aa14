"""The generation and curation commands as a user runs them: `synthaudit generate tabular`, `filter`."""
from __future__ import annotations

import json

import pandas as pd
from sklearn.datasets import load_wine
from test_cli import assert_ok, run_cli, sha256


def test_generate_tabular_then_audit(tmp_path):
    real = load_wine(as_frame=True).frame
    real.to_csv(tmp_path / "real.csv", index=False)
    proc = run_cli("generate", "tabular", "--real", "real.csv", "--method", "gaussian_copula", "--n", "300",
                   "--seed", "0", "--out", "syn.csv", cwd=tmp_path)
    assert_ok(proc)
    syn = pd.read_csv(tmp_path / "syn.csv")
    assert syn.shape == (300, real.shape[1]) and list(syn.columns) == list(real.columns)
    again = run_cli("generate", "tabular", "--real", "real.csv", "--method", "gaussian_copula", "--n", "300",
                    "--seed", "0", "--out", "syn2.csv", cwd=tmp_path)
    assert_ok(again)
    assert sha256(tmp_path / "syn.csv") == sha256(tmp_path / "syn2.csv")  # seeded: identical output
    audit = run_cli("audit", "tabular", "--synthetic", "syn.csv", "--real", "real.csv", "--metrics",
                    "tabular.kst,tabular.pearson_score", "--out", "out", "--quiet", cwd=tmp_path)
    assert_ok(audit)


def test_filter_text_writes_kept_and_rejected_and_never_the_input(tmp_path):
    recs = [{"response": "A complete sentence."}, {"response": "A complete sentence."},
            {"response": "   "}, {"response": "Ünïcödé ends well."}]
    src = tmp_path / "gen.jsonl"
    src.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in recs), encoding="utf-8")
    before = sha256(src)
    proc = run_cli("filter", "--modality", "text", "--synthetic", "gen.jsonl", "--field", "response",
                   "--checks", "exact_duplicate,empty", "--out", "flt", cwd=tmp_path)
    assert_ok(proc)
    kept = [json.loads(x) for x in (tmp_path / "flt" / "kept.jsonl").read_text(encoding="utf-8").splitlines()]
    rejected = [json.loads(x) for x in (tmp_path / "flt" / "rejected.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [r["response"] for r in kept] == ["A complete sentence.", "Ünïcödé ends well."]
    assert len(rejected) == 2 and all(r["_rejected_reasons"] for r in rejected)
    assert sha256(src) == before


def test_generation_commands_report_user_mistakes_without_traceback(tmp_path):
    proc = run_cli("generate", "tabular", "--real", "missing.csv", "--method", "gaussian_copula", "--n", "5",
                   "--out", "x.csv", cwd=tmp_path)
    assert_ok(proc, 2)
    assert "missing.csv" in proc.stderr
    proc = run_cli("filter", "--modality", "text", "--synthetic", "nope.jsonl", "--checks", "empty", "--out", "f",
                   cwd=tmp_path)
    assert_ok(proc, 2)
    assert "nope.jsonl" in proc.stderr
