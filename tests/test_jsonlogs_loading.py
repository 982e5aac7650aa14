"""Loading JSON documents and log messages (survey sections 5.2-5.3): every accepted input shape, invalid JSON kept
as a record, loghub header formats split exactly as loghub's own structured files, clear errors, unchanged inputs."""
from __future__ import annotations

import hashlib
import json

import pandas as pd
import pytest

from synthaudit.data.json_docs import all_items as json_all
from synthaudit.data.json_prepare import prepare_json
from synthaudit.data.logs import all_items as log_all
from synthaudit.data.logs import format_regex
from synthaudit.data.logs_prepare import prepare_logs
from synthaudit.errors import InputError
from synthaudit.verify.json_parse import parse

LOGHUB_FORMATS = {  # loghub-2.0's benchmark settings (log_format per system)
    "HDFS": "<Date> <Time> <Pid> <Level> <Component>: <Content>",
    "BGL": "<Label> <Timestamp> <Date> <Node> <Time> <NodeRepeat> <Type> <Component> <Level> <Content>",
    "OpenSSH": "<Date> <Day> <Time> <Component> sshd\\[<Pid>\\]: <Content>",
    "Apache": "\\[<Time>\\] \\[<Level>\\] <Content>",
}


def _sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# -- parse policies ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("text, strict, fence, lenient", [
    ('{"a": 1}', True, True, True),
    ('  [1, 2]\n', True, True, True),
    ('```json\n{"a": 1}\n```', False, True, True),
    ('```\n{"a": 1}\n```', False, True, True),
    ('Here it is:\n```json\n{"a": 1}\n```\nDone.', False, False, True),  # prose around the fence
    ('Sure! {"a": [1, 2,],} hope it helps', False, False, True),  # prose and trailing commas
    ('{"a": NaN}', False, False, False),  # NaN is not JSON under any policy
    ('{"a": Infinity}', False, False, False),
    ("{'a': 1}", False, False, False),  # single quotes are never repaired
    ("", False, False, False),
    ('"héllo ✓"', True, True, True),
])
def test_parse_policies(text, strict, fence, lenient):
    assert [parse(text, p).ok for p in ("strict", "fence", "lenient")] == [strict, fence, lenient]


def test_parse_counts_duplicate_keys_and_names_repairs():
    p = parse('{"a": 1, "a": 2}', "strict")
    assert p.ok and p.value == {"a": 2} and p.duplicate_keys == 1  # last value wins, as json.loads
    p = parse('Sure! {"a": [1, 2,],} ok', "lenient")
    assert p.value == {"a": [1, 2]} and p.repairs == ("surrounding prose removed", "trailing comma removed")
    assert not parse(None).ok and parse(None).error.startswith("no output")
    assert not parse("[" * 600 + "]" * 600).ok  # deeper than the limit: refused without recursing


# -- JSON inputs ---------------------------------------------------------------------------------------------
def test_jsonl_documents_keep_invalid_lines_and_the_file_is_not_modified(tmp_path):
    path = tmp_path / "docs.jsonl"
    path.write_text('{"a": 1}\n\nnot json at all\n[1, 2]\n{"text": "ünï"}\n', encoding="utf-8")
    before = _sha(path)
    items = json_all(prepare_json(synthetic=str(path)))
    assert [i.raw for i in items] == ['{"a": 1}', "not json at all", "[1, 2]", '{"text": "ünï"}']
    assert [i.parse().ok for i in items] == [True, False, True, True]
    assert _sha(path) == before


def test_jsonl_wrapper_records_with_per_record_fields(tmp_path):
    path = tmp_path / "out.jsonl"
    rows = [{"output": '```json\n{"answer": 3}\n```', "gold": 3, "ref": {"answer": 3, "why": "x"}},
            {"output": "I think 4", "gold": 4, "ref": {"answer": 4}},
            {"output": {"answer": 5}, "gold": "5", "ref": None}]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    inputs = prepare_json(synthetic=str(path), fields={"answer": "gold", "reference": "ref"})
    items = json_all(inputs)
    assert inputs.extra["field"] == "output" and inputs.extra["gold_answers"] == "gold"
    assert [i.parse().ok for i in items] == [True, False, True]
    assert items[2].parse().value == {"answer": 5}  # a nested value is a document (valid by construction)
    assert [i.answer for i in items] == [3, 4, "5"] and items[0].reference == {"answer": 3, "why": "x"}
    assert items[2].reference is None


def test_json_array_folder_txt_and_python_objects(tmp_path):
    arr = tmp_path / "arr.json"
    arr.write_text(json.dumps([{"a": 1}, [2], "three"]), encoding="utf-8")
    assert [i.parse().value for i in json_all(prepare_json(synthetic=str(arr)))] == [{"a": 1}, [2], "three"]
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "b.json").write_text('{"b": 2}', encoding="utf-8")
    (folder / "a.json").write_text('{"a": 1,}', encoding="utf-8")  # invalid: a trailing comma
    (folder / "notes.md").write_text("ignored", encoding="utf-8")
    items = json_all(prepare_json(synthetic=str(folder)))
    assert [i.raw for i in items] == ['{"a": 1,}', '{"b": 2}'] and [i.parse().ok for i in items] == [False, True]
    txt = tmp_path / "raw.txt"
    txt.write_text('{"x": 1}\nSure, here: {"x": 2}\n', encoding="utf-8")
    assert [i.parse("lenient").value for i in json_all(prepare_json(synthetic=str(txt)))] == [{"x": 1}, {"x": 2}]
    assert [i.parse().ok for i in json_all(prepare_json(synthetic=[{"k": "v"}, [1]]))] == [True, True]
    frame = pd.DataFrame({"response": ['{"k": 1}', None]})
    items = json_all(prepare_json(synthetic=frame))
    assert [i.parse().ok for i in items] == [True, False] and items[1].parse().error.startswith("no output")


def test_json_input_errors_name_the_file_and_field(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(InputError, match="holds no document"):
        prepare_json(synthetic=str(empty))
    with pytest.raises(InputError, match="no field 'nope'"):
        prepare_json(synthetic=[{"output": "{}"}], field="nope")
    with pytest.raises(InputError, match="which field holds the JSON documents"):
        prepare_json(synthetic=pd.DataFrame({"x": [1]}))
    bad = tmp_path / "schema.json"
    bad.write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(InputError, match="a JSON Schema is an object") as exc:
        prepare_json(synthetic=["{}"], schema=str(bad))
    assert str(bad) in str(exc.value)
    with pytest.raises(InputError, match="not valid JSON"):
        (tmp_path / "s2.json").write_text("{", encoding="utf-8")
        prepare_json(synthetic=["{}"], schema=str(tmp_path / "s2.json"))


# -- logs ----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("system", sorted(LOGHUB_FORMATS))
def test_loghub_header_formats_split_lines_as_loghub_did(shared_dir, system):
    """The message (Content) of every line equals the one in loghub-2.0's structured file for that line."""
    folder = shared_dir / "data" / "logs" / "loghub_2k" / system
    inputs = prepare_logs(synthetic=str(folder / f"{system}_2k.log"), log_format=LOGHUB_FORMATS[system])
    ours = [i.content for i in log_all(inputs)]
    truth = pd.read_csv(folder / f"{system}_2k.log_structured_corrected.csv", dtype=str, keep_default_na=False)
    assert len(ours) == len(truth) == 2000
    assert ours == [c.strip() for c in truth["Content"]]
    assert inputs.extra["unmatched_lines"]["synthetic"] == 0 and not inputs.warnings


def test_structured_csv_fields_and_record_positions(shared_dir):
    path = shared_dir / "data" / "logs" / "loghub_2k" / "Apache" / "Apache_2k.log_structured_corrected.csv"
    inputs = prepare_logs(synthetic=str(path))
    spec = inputs.extra["logs"]["synthetic"]
    assert (spec.content, spec.reference, spec.level) == ("Content", "EventTemplate", "Level")
    items = log_all(inputs)
    assert [i.record for i in items] == list(range(2000))
    assert items[0].reference == "workerEnv.init() ok <*>" and items[0].level == "notice"
    batches = list(inputs.batches("synthetic", 300))
    assert [b["__record__"].iloc[0] for b in batches] == list(range(0, 2000, 300))  # positions in the whole input


def test_log_lines_that_miss_the_format_are_kept_and_counted(tmp_path):
    path = tmp_path / "app.log"
    path.write_text("2026-01-01 INFO started ✓\nno-header-here\n\n2026-01-02 WARN disk 91% full\n", encoding="utf-8")
    inputs = prepare_logs(synthetic=str(path), log_format="<Date> <Level> <Content>")
    items = log_all(inputs)
    assert [i.content for i in items] == ["started ✓", "no-header-here", "disk 91% full"]
    assert [i.level for i in items] == ["INFO", None, "WARN"]
    assert inputs.extra["unmatched_lines"]["synthetic"] == 1 and "do not match the log format" in inputs.warnings[0]
    plain = prepare_logs(synthetic=["a b", None, "c"])  # a list of messages; a missing one stays missing
    assert [i.content for i in log_all(plain)] == ["a b", None, "c"]


def test_log_input_errors(tmp_path):
    with pytest.raises(InputError, match="names no field"):
        format_regex("just text")
    with pytest.raises(InputError, match="not a valid or unique name"):
        format_regex("<A> <A>")
    empty = tmp_path / "e.log"
    empty.write_text("\n\n", encoding="utf-8")
    with pytest.raises(InputError, match="has no log records"):
        prepare_logs(synthetic=str(empty))
    with pytest.raises(InputError, match="which field holds the log messages"):
        prepare_logs(synthetic=pd.DataFrame({"x": ["a"]}))
    with pytest.raises(InputError, match="no field 'lvl'"):
        prepare_logs(synthetic=pd.DataFrame({"Content": ["a"]}), fields={"level": "lvl"})
