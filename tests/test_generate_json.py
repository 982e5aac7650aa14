"""JSON generation (survey section 5.2): documents for a JSON Schema from the real offline SmolLM2 (no mock of the
model), schema-constrained where the backend supports it and validated and retried otherwise, and flawed variants
of valid documents (``mutate``).

Every verdict is checked against ``jsonschema`` called directly here (the validator class from ``$schema``, Draft
2020-12 by default) on ``json.loads`` of the text (after removing one surrounding code fence, the catalog's parse
policy, written here with a regex)."""
from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest

from synthaudit.generate.json import METHODS
from synthaudit.generate.json.from_schema import (FromSchema, Mutate, break_syntax, constraint_problem,
                                                  decide_constrained, tally)
from synthaudit.generate.runner import read_jsonl, rejects_path, run_generation
from synthaudit.models.llm import LLMClient, ResponseCache

SCHEMASTORE = Path(__file__).resolve().parents[2] / "shared" / "data" / "json" / "schemastore"
#: keys, types and enums: what lm-format-enforcer enforces while decoding
USER = {"type": "object", "properties": {"name": {"type": "string"}, "role": {"enum": ["admin", "user", "guest"]},
                                         "active": {"type": "boolean"}},
        "required": ["name", "role", "active"], "additionalProperties": False}
#: a bound it does not enforce: answers below it fail validation after decoding and are asked again
BOUNDED = {"type": "object", "properties": {"n": {"type": "integer", "minimum": 100000}}, "required": ["n"],
           "additionalProperties": False}
_FENCE = re.compile(r"\A```[A-Za-z0-9_+-]*[ \t]*\r?\n(.*?)\r?\n?```\Z", re.S)


def reference_errors(text: str | None, schema: dict) -> list[jsonschema.ValidationError] | None:
    """None when the text is not JSON (one surrounding fence removed), else jsonschema's errors."""
    if text is None:
        return None
    m = _FENCE.match(text.strip())
    try:
        value = json.loads(m.group(1) if m else text)
    except json.JSONDecodeError:
        return None
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
    return list(cls(schema).iter_errors(value))


def reference_valid(text: str | None, schema: dict) -> bool:
    errors = reference_errors(text, schema)
    return errors is not None and not errors


def check_counts(recs: list[dict], retries: int) -> None:
    for r in recs:
        assert r["status"] == ("valid" if reference_valid(r["output"], r["_schema"]) else "invalid"), r
        assert (r["status"] == "valid") == (r["errors"] == [])
        assert 1 <= r["attempts"] <= retries + 1 and len(r["retry_errors"]) == r["attempts"] - 1
        if r["status"] == "invalid":
            assert r["attempts"] == retries + 1  # an invalid answer is asked again until the retries run out


@pytest.fixture(scope="module")
def client() -> LLMClient:
    pytest.importorskip("lmformatenforcer")
    return LLMClient(cache=False, local_batch=2)


def test_constrained_decoding_gives_documents_that_all_validate_and_resumes(client, tmp_path):
    out = tmp_path / "users.jsonl"
    schema_file = tmp_path / "user.schema.json"
    schema_file.write_text(json.dumps(USER), encoding="utf-8")
    stats = run_generation("from_schema", client, n=2, seed=0, out=out, methods=METHODS, schema=str(schema_file),
                           max_tokens=28, batch=2)
    recs = read_jsonl(out)
    assert stats.written == len(recs) == 2 and not read_jsonl(rejects_path(out))
    for r in recs:
        assert r["constrained"] is True and r["schema"] == "user" and r["status"] == "valid"
        assert reference_valid(r["output"], USER), r["output"]
    calls = client.usage.calls
    assert calls == sum(r["attempts"] for r in recs) == tally(recs)["attempts"]
    # resume: the two records are kept, only slot 2 is generated
    stats = run_generation("from_schema", client, n=3, seed=0, out=out, methods=METHODS, schema=str(schema_file),
                           max_tokens=28, batch=2)
    again = read_jsonl(out)
    assert stats.resumed == 2 and stats.written == 1 and again[:2] == recs
    assert [r["id"] for r in again] == ["from_schema-0-00000", "from_schema-0-00001", "from_schema-0-00002"]
    assert client.usage.calls == calls + again[2]["attempts"] and reference_valid(again[2]["output"], USER)
    other = tmp_path / "other.json"
    other.write_text(json.dumps(BOUNDED), encoding="utf-8")
    with pytest.raises(Exception, match="another schema"):
        run_generation("from_schema", client, n=4, seed=0, out=out, methods=METHODS, schema=str(other))


def test_validate_and_retry_counts_retries(client):
    gen = FromSchema(client, seed=0, schema=USER, constrained="off", retries=1, max_tokens=16, batch=2)
    assert gen.constrained is False and "off" in gen.why_not
    before = client.usage.calls
    recs = list(gen.run(2))
    for r in recs:
        r["_schema"] = USER
        assert r["constrained"] is False
    check_counts(recs, retries=1)
    counts = tally(recs)
    assert client.usage.calls - before == counts["attempts"] == 2 + counts["retries"]
    assert counts["valid"] + counts["invalid"] == 2 and counts["retried"] == sum(r["attempts"] > 1 for r in recs)


def test_constrained_answers_that_break_an_unenforced_bound_are_retried(client, tmp_path):
    # one request at a time (the client's single-request path, which drops a rejected answer's text: it is read
    # back from the response cache); the model already loaded is shared
    client = LLMClient(cache=ResponseCache(tmp_path / "cache.sqlite"), _local=client.local)
    gen = FromSchema(client, seed=1, schema=BOUNDED, retries=1, max_tokens=12)
    assert gen.constrained is True
    recs = list(gen.run(1))
    for r in recs:
        r["_schema"] = BOUNDED
        assert isinstance(r["output"], str)  # the raw text of a rejected constrained answer is kept
        for e in r["errors"]:  # a number below the bound, or an answer cut off by max_tokens
            assert (e["path"], e["keyword"]) in (("/n", "minimum"), ("", "syntax"))
            assert (e["keyword"] == "syntax") == (reference_errors(r["output"], BOUNDED) is None)
    check_counts(recs, retries=1)
    assert client.usage.structured_failures == sum(r["attempts"] for r in recs) - sum(r["status"] == "valid"
                                                                                      for r in recs)


def test_constraint_support_is_checked_per_schema():
    babelrc = json.loads((SCHEMASTORE / "schemas" / "babelrc.json").read_text(encoding="utf-8"))
    assert "cannot build a parser" in constraint_problem(babelrc)
    assert constraint_problem(USER) is None
    local = LLMClient(cache=False)  # the model is not loaded by these checks
    assert decide_constrained(local, babelrc, "auto")[0] is False
    assert decide_constrained(local, USER, "auto") == (True, None)
    with pytest.raises(Exception, match="not available"):
        decide_constrained(local, babelrc, "on")
    remote = LLMClient(model="openai:gpt-x", base_url="http://127.0.0.1:9", cache=False)
    assert decide_constrained(remote, USER, "auto")[0] is False


def _schemastore_entries():
    if not (SCHEMASTORE / "manifest.json").exists():
        pytest.skip("the schemastore data is not in ../shared/data")
    return json.loads((SCHEMASTORE / "manifest.json").read_text(encoding="utf-8"))


def test_mutated_instances_are_caught_at_the_recorded_path_on_schemastore(tmp_path):
    checked = kinds = 0
    seen_kinds: set[str] = set()
    for entry in _schemastore_entries():
        schema = json.loads((SCHEMASTORE / entry["schema"]).read_text(encoding="utf-8"))
        docs = [json.loads((SCHEMASTORE / v["file"]).read_text(encoding="utf-8")) for v in entry["valid"]]
        if not docs:
            continue
        gen = Mutate(seed=0, real=docs, schema=schema)
        for r in gen.run(5):
            errors = reference_errors(r["output"], schema)
            if r["mutation"] == "broken_syntax":
                assert errors is None, r["output"]  # does not parse
                continue
            if r["mutation"] is None:  # no flaw the schema would catch fits this document
                assert errors == []
                continue
            kinds += 1
            assert r["checked"] and errors, (entry["name"], r)
            paths = {"".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in e.absolute_path)
                     for e in errors}
            assert r["path"] in paths, (entry["name"], r["mutation"], r["path"], paths)
            assert r["status"] == "invalid" and any(e["path"] == r["path"] for e in r["errors"])
            seen_kinds.add(r["mutation"])
            checked += 1
    assert checked >= 100 and seen_kinds == {"type_change", "missing_required", "extra_property", "enum_violation"}


def test_mutate_without_a_schema_share_seeds_and_resume(tmp_path):
    docs = [{"id": i, "tags": ["a", "b"], "meta": {"ok": True, "name": f"doc{i}"}} for i in range(5)]
    src = tmp_path / "docs.jsonl"
    src.write_text("".join(json.dumps({"output": json.dumps(d)}) + "\n" for d in docs) + "not json\n",
                   encoding="utf-8")
    a = list(Mutate(seed=3, real=str(src), share=0.5).run(40))
    assert a == list(Mutate(seed=3, real=str(src), share=0.5).run(40))
    assert a != list(Mutate(seed=4, real=str(src), share=0.5).run(40))
    flawed = [r for r in a if r["mutation"]]
    # binomial(40, 0.5): sd = 3.2; 4 sd around 20
    assert 7 <= len(flawed) <= 33 and not any(r["checked"] for r in flawed if r["mutation"] != "broken_syntax")
    for r in a:
        source = docs[r["source"]]
        if r["mutation"] is None:
            assert json.loads(r["output"]) == source and r["status"] == "unchecked"
        elif r["mutation"] == "broken_syntax":
            assert r["status"] == "invalid" and reference_errors(r["output"], {}) is None
        else:
            assert json.loads(r["output"]) != source and r["status"] == "unchecked"
    full, part = tmp_path / "full.jsonl", tmp_path / "part.jsonl"
    run_generation("mutate", None, n=30, seed=3, out=full, methods=METHODS, real=str(src), share=0.5)
    run_generation("mutate", None, n=12, seed=3, out=part, methods=METHODS, real=str(src), share=0.5)
    stats = run_generation("mutate", None, n=30, seed=3, out=part, methods=METHODS, real=str(src), share=0.5)
    assert stats.resumed == 12 and part.read_bytes() == full.read_bytes()


def test_broken_syntax_never_parses():
    import random

    rng = random.Random(0)
    for text in ('{"a": 1}', "[1, 2]", '"just a string"', "3", "{}", "[]", '{"ü": "ß"}'):
        for _ in range(20):
            broken, way = break_syntax(text, rng)
            with pytest.raises(json.JSONDecodeError):
                json.loads(broken)
            assert way


def test_cli_generates_and_reports_user_errors_without_traceback(tmp_path):
    import typer
    from typer.testing import CliRunner

    from synthaudit.modalities.json.cli import generate_json

    app = typer.Typer()
    app.command()(generate_json)
    runner = CliRunner()
    schema = tmp_path / "user.json"
    schema.write_text(json.dumps(USER), encoding="utf-8")
    docs = tmp_path / "docs.jsonl"
    docs.write_text('{"name": "ann", "role": "admin", "active": true}\n'
                    '{"name": "bo", "role": "guest", "active": false}\n', encoding="utf-8")
    out = tmp_path / "m.jsonl"
    res = runner.invoke(app, ["--method", "mutate", "--real", str(docs), "--schema", str(schema), "--n", "10",
                              "--out", str(out)])
    assert res.exit_code == 0, res.output
    recs = read_jsonl(out)
    assert len(recs) == 10 and all(not reference_valid(r["output"], USER) for r in recs)
    bad = tmp_path / "bad.json"
    bad.write_text('{"type": 5}', encoding="utf-8")
    (tmp_path / "broken.json").write_text("{not json", encoding="utf-8")
    for args, words in ((["--method", "nope"], "unknown method"),
                        (["--method", "from_schema"], "JSON Schema is needed"),
                        (["--method", "from_schema", "--schema", str(bad)], "not a valid"),
                        (["--method", "from_schema", "--schema", str(tmp_path / "broken.json")], "broken.json"),
                        (["--method", "from_schema", "--schema", str(tmp_path / "none.json")], "not found"),
                        (["--method", "from_schema", "--schema", str(schema), "--constrained", "x"], "unknown mode"),
                        (["--method", "from_schema", "--schema", str(schema), "--policy", "x"], "parse policy"),
                        (["--method", "mutate", "--schema", str(schema)], "--real"),
                        (["--method", "mutate", "--real", str(docs), "--kinds", "typo"], "unknown flaw"),
                        (["--method", "mutate", "--real", str(docs), "--share", "2"], "between 0 and 1"),
                        (["--method", "mutate", "--real", str(docs), "--schema", str(bad)], "not a valid"),
                        (["--method", "mutate", "--real", str(docs), "--n", "0"], "at least 1")):
        res = runner.invoke(app, [*args, "--out", str(tmp_path / "x.jsonl")])
        assert res.exit_code == 2 and words in res.output and "Traceback" not in res.output, (args, res.output)
        assert res.output.count("error:") == 1
