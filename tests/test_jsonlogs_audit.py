"""The JSON and logs modalities end to end (survey sections 5.2-5.3): the audit API and CLI, gaps that name the flag
that enables a metric, streaming equal to in-memory, filter writing kept lines back unchanged, the report's figures,
and the reference run of the logs audit."""
from __future__ import annotations

import hashlib
import json
import subprocess
import sys

import jsonschema
import pytest

import synthaudit

SCHEMA = {"type": "object", "properties": {"name": {"type": "string"}, "age": {"type": "integer", "minimum": 0}},
          "required": ["name", "age"], "additionalProperties": False}
OUTPUTS = ['{"name": "Ana", "age": 31}',
           '```json\n{"name": "Bo", "age": 4}\n```',  # fenced: valid under the default policy, not strict
           '{"name": "Cy", "age": -2}',  # parses, breaks minimum at /age
           '{"name": "Di"}',  # parses, misses age (root: required)
           'Sure! {"name": "Ed", "age": 5,}',  # lenient only
           "not json",
           '{"name": "Fé ✓", "age": 7, "x": 1}']  # unicode; extra property (root: additionalProperties)


def _m(report, mid):
    return next(m for m in report.metrics if m.id == mid)


def _sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_json_audit_agrees_with_jsonschema_and_lists_gaps(tmp_path):
    path = tmp_path / "out.jsonl"  # wrapper records: the fenced answer keeps its line breaks
    path.write_text("".join(json.dumps({"output": o}) + "\n" for o in OUTPUTS), encoding="utf-8")
    before = _sha(path)
    rep = synthaudit.audit("json", synthetic=str(path), schema=SCHEMA, out=tmp_path / "rep")
    valid = _m(rep, "json.valid_json_rate")
    assert valid.value == pytest.approx(5 / 7)  # fence policy: all but the prose one and "not json"
    assert valid.secondary["valid_rate_strict"] == pytest.approx(4 / 7)
    assert valid.secondary["valid_rate_lenient"] == pytest.approx(6 / 7)
    ok = []
    for o in OUTPUTS:  # the reference: strip one surrounding fence, json.loads, jsonschema
        text = o.strip()
        if text.startswith("```json\n") and text.endswith("```"):
            text = text[len("```json\n"):-3]
        try:
            ok.append(jsonschema.Draft202012Validator(SCHEMA).is_valid(json.loads(text)))
        except json.JSONDecodeError:
            ok.append(False)
    correct = _m(rep, "json.correctness_rate")
    assert correct.value == pytest.approx(sum(ok) / len(ok)) == pytest.approx(2 / 7)
    paths = {r["path"]: r for r in correct.breakdown}
    assert paths["/age"]["keywords"] == "minimum" and paths["(root)"]["records"] == 2
    gaps = {g.id: g for g in rep.gaps}
    assert "--reference-field" in f"{gaps['json.mmp'].reason} {gaps['json.mmp'].enable}"
    assert _sha(path) == before  # the input is never modified
    html = (tmp_path / "rep" / "report.html").read_text(encoding="utf-8")
    assert "Schema paths that fail most" in html and "<svg" in html


def test_json_cli_filter_keeps_lines_as_written_and_errors_have_no_traceback(tmp_path):
    path = tmp_path / "docs.jsonl"
    lines = ['{"name": "Ana", "age": 31}', "oops {", '{"name": "Di"}', '{"name": "Fé", "age": 2}']
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    schema = tmp_path / "s.json"
    schema.write_text(json.dumps(SCHEMA), encoding="utf-8")
    cmd = [sys.executable, "-m", "synthaudit", "filter", "-m", "json", "-s", str(path), "--schema", str(schema),
           "--checks", "valid,schema", "-o", str(tmp_path / "f")]
    out = subprocess.run(cmd, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    kept = (tmp_path / "f" / "kept.jsonl").read_text(encoding="utf-8").splitlines()
    assert kept == [lines[0], lines[3]]  # written back exactly as they were
    rejected = [json.loads(x) for x in (tmp_path / "f" / "rejected.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [r["text"] for r in rejected] == [lines[1], lines[2]]
    bad = tmp_path / "bad_schema.json"
    bad.write_text('{"type": "objekt"}', encoding="utf-8")
    cmd = [sys.executable, "-m", "synthaudit", "audit", "json", "-s", str(path), "--schema", str(bad), "-o",
           str(tmp_path / "o")]
    out = subprocess.run(cmd, capture_output=True, text=True)
    assert out.returncode == 2 and "Traceback" not in out.stderr and "bad_schema.json" in out.stderr


LOG_ROWS = [  # Content, ground-truth template, level
    ("user alice@example.com logged in from 10.0.0.1", "user <*> logged in from <*>", "INFO"),
    ("user bob@example.org logged in from 10.0.0.2", "user <*> logged in from <*>", "INFO"),
    ("user carol@example.net logged in from 10.0.0.3", "user <*> logged in from <*>", "INFO"),
    ("disk 91 percent full on sda", "disk <*> percent full on <*>", "WARN"),
    ("disk 95 percent full on sdb", "disk <*> percent full on <*>", "WARN"),
    ("cache warmed in 12 ms", "cache warmed in <*> ms", "DEBUG"),
    ("cache warmed in 15 ms", "cache warmed in <*> ms", "DEBUG"),
    ("shutting down ✓", "shutting down ✓", "INFO"),
]


def _log_csv(path, rows=LOG_ROWS):
    import pandas as pd

    pd.DataFrame(rows, columns=["Content", "EventTemplate", "Level"]).to_csv(path, index=False)
    return path


def test_logs_audit_streams_like_in_memory_and_has_a_reference_run(tmp_path):
    syn = _log_csv(tmp_path / "syn.csv")
    real = _log_csv(tmp_path / "real.csv", LOG_ROWS[::-1])
    metrics = ["logs.parsing_accuracy", "logs.grouping_accuracy", "logs.fga", "logs.fta", "logs.exposure",
               "logs.variable_prf"]
    a = synthaudit.audit("logs", synthetic=str(syn), real=str(real), metrics=metrics, out=tmp_path / "a")
    b = synthaudit.audit("logs", synthetic=str(syn), real=str(real), metrics=metrics, stream=True, batch_size=3)
    for x, y in zip(a.metrics, b.metrics):
        assert (x.id, x.value) == (y.id, y.value)
    exp = _m(a, "logs.exposure")
    assert exp.value == pytest.approx(6 / 8)  # three e-mails and three IPv4 addresses over eight messages
    assert {r["type"]: r["spans"] for r in exp.breakdown}["email"] == 3
    assert _m(a, "logs.parsing_accuracy").reference is not None  # the real logs scored as if synthetic
    html = (tmp_path / "a" / "report.html").read_text(encoding="utf-8")
    assert "Exposure per entity type" in html and "Share of messages per template" in html


def test_logs_cli_on_a_raw_log_file_and_filter_by_exposure(tmp_path):
    log = tmp_path / "app.log"
    log.write_text("".join(f"2026-01-0{i % 9 + 1} {lv} {c}\n" for i, (c, _, lv) in enumerate(LOG_ROWS)),
                   encoding="utf-8")
    before = _sha(log)
    cmd = [sys.executable, "-m", "synthaudit", "filter", "-m", "logs", "-s", str(log), "--log-format",
           "<Date> <Level> <Content>", "--checks", "exposure", "-o", str(tmp_path / "f")]
    out = subprocess.run(cmd, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    kept = (tmp_path / "f" / "kept.log").read_text(encoding="utf-8").splitlines()
    assert kept == log.read_text(encoding="utf-8").splitlines()[3:]  # the three lines with an e-mail and an IP go
    assert _sha(log) == before
    cmd = [sys.executable, "-m", "synthaudit", "audit", "logs", "-s", str(log), "--parser", "nope", "-o",
           str(tmp_path / "o")]
    out = subprocess.run(cmd, capture_output=True, text=True)
    assert out.returncode == 2 and "Traceback" not in out.stderr and "--parser" in out.stderr
