"""The logs audit streams (issue #13, survey sections 5.2-5.3): a raw .log file, a CSV and a JSON Lines file read in
small batches give exactly the in-memory values of every record/mergeable logs metric (Drain3's state carries
across batches, so templates a later message generalises are the same as in one pass), the streamed file is never
loaded whole, global metrics run on the seeded sample, and bad input deep in a file is one InputError naming the
file and line."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import synthaudit
from synthaudit.audit.reservoir import Reservoir
from synthaudit.data import logs
from synthaudit.data.log_templates import LogParser, ParserConfig, parse_logs
from synthaudit.errors import InputError

#: every record/mergeable logs metric that runs offline without a model
STREAMING = ["logs.exposure", "logs.rouge", "logs.level_accuracy", "logs.aod", "logs.human_usefulness",
             "logs.qualitative_score", "logs.parsing_accuracy", "logs.variable_prf"]
GLOBAL = ["logs.grouping_accuracy", "logs.fga", "logs.fta", "logs.bleu"]
LEVELS = ["INFO", "WARN", "ERROR", "DEBUG"]
FIELDS = dict(reference_level_field="RefLevel", human_field="Rating")
LOG_FORMAT = r"<Date> <Level> <RefLevel> <Rating> <Content> \| <EventTemplate>"  # loghub: literals are regex


def records(n: int = 60) -> list[dict]:
    """Hand-made logs on which Drain3 errs and changes its mind: 'user admin logged in' comes first and only later
    messages widen its cluster to 'user <*> logged in' (a parse per batch would keep the first template);
    'job N finished' and 'job N failed' share a cluster (merged: PA, GA and the variables see it); e-mails and IPs
    for exposure; a missing message, missing ground truths, missing ratings."""
    out = []
    for i in range(n):
        k, j = i % 6, i // 6
        if k == 0:
            c, t = ("user admin logged in" if i == 0 else f"user u{i} logged in"), "user <*> logged in"
        elif k == 1:
            c, t = f"disk {80 + j} percent full on sd{'abc'[j % 3]}", "disk <*> percent full on <*>"
        elif k == 2:
            c, t = f"mail sent to a{i}@example.com from 10.0.{i}.1", "mail sent to <*> from <*>"
        elif k == 3:
            word = "failed" if j % 3 == 0 else "finished"
            c, t = f"job {i} {word} with code {j % 2}", f"job <*> {word} with code <*>"
        elif k == 4:
            c, t = f"cache warmed in {i * 3} ms", ("cache warmed in <*> ms" if i % 8 else None)
        else:
            c, t = f"connection from 192.168.1.{i} closed", "connection from <*> closed"
        out.append({"Content": None if i == 31 else c, "EventTemplate": t, "Level": LEVELS[i % 4],
                    "RefLevel": LEVELS[(i // 2) % 4],
                    "Rating": None if i % 7 == 0 else json.dumps([1 + i % 5, 1 + (i * 3) % 5])})
    return out


def log_lines(rows: list[dict]) -> str:
    """The records as raw lines of LOG_FORMAT, with blank lines and two lines the format does not match."""
    lines = []
    for i, r in enumerate(rows):
        if r["Content"] is None or r["EventTemplate"] is None:
            lines.append(f"2026-01-01 {r['Level']} unformatted line {i}")  # no ' | ': the whole line is the message
        else:
            lines.append(f"2026-01-01 {r['Level']} {r['RefLevel']} {(r['Rating'] or '[]').replace(' ', '')} "
                         f"{r['Content']} | {r['EventTemplate']}")
        if i % 9 == 0:
            lines.append("   ")
    return "\n".join(lines) + "\n"


def by_id(report) -> dict:
    return {m.id: m for m in report.metrics}


def assert_same(a, b, ids) -> None:
    ma, mb = by_id(a), by_id(b)
    for mid in ids:
        x, y = ma[mid], mb[mid]
        assert x.status == y.status == "ok", (mid, x.error, y.error)
        assert (x.value, x.secondary, x.breakdown, x.notes, x.worst, x.n_record_scores) == \
            (y.value, y.secondary, y.breakdown, y.notes, y.worst, y.n_record_scores), mid


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("logs")
    rows = records()
    pd.DataFrame(rows).to_csv(folder / "syn.csv", index=False)
    (folder / "syn.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    (folder / "syn.log").write_text(log_lines(rows), encoding="utf-8")
    return folder


# -- (a) streamed = in memory --------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["syn.csv", "syn.jsonl"])
def test_streamed_table_equals_in_memory_for_every_metric(files, name, monkeypatch):
    kw = dict(synthetic=str(files / name), metrics=STREAMING + GLOBAL, **FIELDS)
    whole = synthaudit.audit("logs", **kw)
    monkeypatch.setattr(logs, "BATCH", 4)  # the parse's own pass reads 4 rows at a time too (Drain3 across batches)
    streamed = synthaudit.audit("logs", **kw, stream=True, batch_size=4)
    assert_same(whole, streamed, STREAMING + GLOBAL)  # 60 rows < the sample size: global metrics see them all
    m = by_id(whole)
    # the fixture does what it is for: Drain3 merged 'finished' and 'failed' (the ten job records are wrong) and
    # widened 'user admin logged in' once later users came (record 0 has the final, right, template)
    pa = m["logs.parsing_accuracy"]
    assert {r["record"] for r in pa.breakdown} == set(range(3, 60, 6))
    assert pa.value == pytest.approx(47 / 57)  # 60 records, 2 without ground truth, 1 without message
    assert pa.notes["records_without_message"] == 1 and pa.notes["records_without_ground_truth"] == 2
    assert [r["kind"] for r in m["logs.grouping_accuracy"].breakdown] == ["merged"]
    assert m["logs.grouping_accuracy"].value == pytest.approx(47 / 57)  # the merged group holds the 10 wrong
    assert m["logs.exposure"].value == pytest.approx((10 * 2 + 10) / 59)  # mail: e-mail + IP; connection: IP
    frame = pd.DataFrame(records())
    assert m["logs.level_accuracy"].value == pytest.approx((frame["Level"] == frame["RefLevel"]).mean())


def test_streamed_raw_log_equals_in_memory_and_warns_once(files, monkeypatch):
    kw = dict(synthetic=str(files / "syn.log"), log_format=LOG_FORMAT, metrics=STREAMING + GLOBAL, **FIELDS)
    whole = synthaudit.audit("logs", **kw)
    monkeypatch.setattr(logs, "BATCH", 5)
    streamed = synthaudit.audit("logs", **kw, stream=True, batch_size=5)
    assert_same(whole, streamed, STREAMING + GLOBAL)
    warned = [w for w in streamed.warnings if "do not match the log format" in w]
    assert warned == [w for w in whole.warnings if "do not match the log format" in w]
    assert len(warned) == 1 and warned[0].startswith("3 line(s) of the synthetic logs")  # records 16, 31, 40
    m = by_id(whole)
    pa = m["logs.parsing_accuracy"]
    assert pa.notes["n_records"] == 60 and pa.notes["records_without_ground_truth"] == 3
    assert pa.value == pytest.approx(47 / 57)  # the messages of the unformatted lines are not scored
    frame = pd.DataFrame(records()).drop(index=[16, 31, 40])  # their reference levels are lost
    assert m["logs.level_accuracy"].value == pytest.approx((frame["Level"] == frame["RefLevel"]).mean())


def test_streamed_semantic_similarity_equals_in_memory(files):
    from synthaudit.models import Models

    models = Models.default()  # the offline sentence embedder, loaded once for both audits
    kw = dict(synthetic=str(files / "syn.jsonl"), metrics=["logs.semantic_similarity"], models=models, **FIELDS)
    x, y = synthaudit.audit("logs", **kw).metrics[0], synthaudit.audit("logs", **kw, stream=True,
                                                                      batch_size=4).metrics[0]
    assert x.status == y.status == "ok" and x.value < 1
    assert (x.value, x.secondary, x.breakdown, x.notes) == (y.value, y.secondary, y.breakdown, y.notes)
    # the worst records are the same; a streamed table has no text to show beside them (audit.assemble)
    assert [(r["record"], r["score"]) for r in x.worst] == [(r["record"], r["score"]) for r in y.worst]


def test_parser_batch_by_batch_equals_one_pass():
    contents = [r["Content"] for r in records()] * 2
    config = ParserConfig()
    whole = parse_logs(contents, config)
    parser = LogParser(config)
    for start in range(0, len(contents), 7):
        parser.add(contents[start:start + 7])
    parts = parser.finish()
    assert parts.templates == whole.templates and parts.groups.tolist() == whole.groups.tolist()
    assert whole.templates[0] == "user <*> logged in" and whole.templates[31] is None
    assert whole.templates[3] == whole.templates[9] == "job <*> <*> with code <*>"  # finished/failed merged


# -- global metrics on the sample -----------------------------------------------------------------------------
def test_global_metrics_of_a_streamed_audit_run_on_the_seeded_sample(files):
    kw = dict(metrics=GLOBAL, **FIELDS)
    streamed = synthaudit.audit("logs", synthetic=str(files / "syn.csv"), **kw, stream=True, batch_size=8,
                                sample_size=25, seed=3)
    frame = pd.read_csv(files / "syn.csv")
    reservoir = Reservoir(25, 3, "synthetic")  # the engine's sample, drawn here independently of the audit
    reservoir.add(frame)
    kept = np.sort(reservoir.positions())
    sample = synthaudit.audit("logs", synthetic=frame.iloc[kept].reset_index(drop=True), **kw)
    for mid in GLOBAL:
        x, y = by_id(streamed)[mid], by_id(sample)[mid]
        assert x.status == "ok" and x.sample["synthetic"]["rows"] == 25 and x.sample["synthetic"]["of"] == 60
        assert (x.value, x.secondary) == (y.value, y.secondary), mid
    # example records are numbered in the whole input, not in the sample
    ga = by_id(streamed)["logs.grouping_accuracy"].breakdown
    ga_sample = by_id(sample)["logs.grouping_accuracy"].breakdown
    assert [int(kept[r["example_record"]]) for r in ga_sample] == [r["example_record"] for r in ga]
    assert all(r["example"] == frame["Content"][r["example_record"]] for r in ga)


# -- (b) never loaded whole -----------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["syn.jsonl", "syn.log"])
def test_streamed_role_is_never_materialised(files, monkeypatch, name):
    from synthaudit.data.tabular import Table

    path = str(files / name)
    frame, init = Table.frame, Table.__init__

    def refuse_frame(self):
        if self.label == path:
            raise AssertionError(f"{path} was loaded whole")
        return frame(self)

    def refuse_init(self, label, **kw):  # a table of the file holding all its rows
        if label == path and kw.get("frame") is not None:
            raise AssertionError(f"{path} was loaded whole")
        init(self, label, **kw)

    monkeypatch.setattr(Table, "frame", refuse_frame)
    monkeypatch.setattr(Table, "__init__", refuse_init)
    kw = dict(log_format=LOG_FORMAT) if name.endswith(".log") else {}
    report = synthaudit.audit("logs", synthetic=path, metrics=STREAMING, stream=True, batch_size=6, **FIELDS, **kw)
    assert [m.status for m in report.metrics] == ["ok"] * len(STREAMING)
    with pytest.raises(AssertionError, match="loaded whole"):  # the patches bite when the file is loaded
        synthaudit.audit("logs", synthetic=path, metrics=["logs.exposure"], **kw)


# -- (c) bad input deep in a file ------------------------------------------------------------------------------
DEEP = 10_040  # 0-based line of the bad input: past the 10,000 rows read up front to find the fields


def deep_lines(text: str) -> list[str]:
    lines = [ln for ln in text.splitlines() if ln.strip()]
    return (lines * (DEEP // len(lines) + 2))[:DEEP + 30]


@pytest.mark.parametrize("metrics", [["logs.exposure"], ["logs.parsing_accuracy"], STREAMING],
                         ids=["streamed-by-the-engine", "read-first-by-the-parse", "all"])
def test_malformed_jsonl_line_deep_in_the_file_is_one_input_error(files, tmp_path, metrics):
    lines = deep_lines((files / "syn.jsonl").read_text(encoding="utf-8"))
    lines[DEEP] = '{"Content": "half a record", '
    bad = tmp_path / "bad.jsonl"
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        synthaudit.audit("logs", synthetic=str(bad), metrics=metrics, stream=True, batch_size=1000, **FIELDS)
    assert str(bad) in str(info.value) and f"line {DEEP + 1} " in str(info.value)


def test_undecodable_bytes_deep_in_a_raw_log_are_one_input_error(files, tmp_path):
    lines = deep_lines((files / "syn.log").read_text(encoding="utf-8"))
    data = [ln.encode("utf-8") + b"\n" for ln in lines]
    data[DEEP] = b"2026-01-01 INFO caf\xe9 au lait\n"
    bad = tmp_path / "bad.log"
    bad.write_bytes(b"".join(data))
    with pytest.raises(InputError) as info:
        synthaudit.audit("logs", synthetic=str(bad), log_format=LOG_FORMAT, metrics=["logs.parsing_accuracy"],
                         stream=True, batch_size=1000)
    assert str(bad) in str(info.value) and f"line {DEEP + 1} " in str(info.value)
