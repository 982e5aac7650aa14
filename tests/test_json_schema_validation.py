"""JSON Schema validation (survey section 5.2, CorrectnessRate) against jsonschema on SchemaStore's real schemas:
every schema/instance pair in ../shared/data/json/schemastore/ gets jsonschema's verdict and the manifest's label;
mutated instances are caught at the right instance path with the right keyword; drafts 4, 6, 7, 2019-09 and
2020-12 each decide as jsonschema does; $ref inside the schema document resolves; bad schemas are named."""
from __future__ import annotations

import copy
import json
from pathlib import Path

import jsonschema
import pytest

from synthaudit.data.json_prepare import prepare_json
from synthaudit.errors import InputError
from synthaudit.metrics.json import validity  # noqa: F401  (registers the metrics)
from synthaudit.metrics.registry import get
from synthaudit.verify.json_schema import clear_cache, validator_for, violations

DRAFT4 = "http://json-schema.org/draft-04/schema#"
DRAFT6 = "http://json-schema.org/draft-06/schema#"
DRAFT7 = "http://json-schema.org/draft-07/schema#"
D2019 = "https://json-schema.org/draft/2019-09/schema"
D2020 = "https://json-schema.org/draft/2020-12/schema"


@pytest.fixture(scope="module")
def store(shared_dir) -> Path:
    return shared_dir / "data" / "json" / "schemastore"


@pytest.fixture(scope="module")
def manifest(store) -> list[dict]:
    return json.loads((store / "manifest.json").read_text())


def load(store: Path, rel: str):
    return json.loads((store / rel).read_text(encoding="utf-8"))


def reference_verdict(schema, instance) -> bool:
    """jsonschema's own verdict: the draft its validator_for picks from $schema."""
    return jsonschema.validators.validator_for(schema)(schema).is_valid(instance)


# -- every pair in the data ------------------------------------------------------------------------------
def test_every_schemastore_pair_gets_jsonschemas_verdict_and_the_manifest_label(store, manifest):
    assert len(manifest) == 40
    n_valid = n_invalid = 0
    for entry in manifest:
        schema = load(store, entry["schema"])
        compiled = validator_for(schema, source=entry["schema"])
        for kind in ("valid", "invalid"):
            for inst in entry[kind]:
                instance = load(store, inst["file"])
                found = violations(compiled, instance)
                expected = reference_verdict(schema, instance)
                assert (not found) == expected, (entry["name"], inst["file"], found[:2])
                assert expected == (kind == "valid"), inst["file"]  # the manifest's label
                if kind == "invalid":
                    n_invalid += 1
                    # the same locations and keywords as jsonschema's own errors (None: a boolean false subschema)
                    ref = jsonschema.validators.validator_for(schema)(schema).iter_errors(instance)
                    esc = [(e.validator or "false", [str(p).replace("~", "~0").replace("/", "~1")
                                                     for p in e.absolute_path]) for e in ref]
                    assert sorted((v.keyword, v.path.split("/")[1:]) for v in found) == sorted(esc)
                else:
                    n_valid += 1
    assert (n_valid, n_invalid) == (110, 53)  # SOURCE.md: 110 valid and 53 invalid documents


def test_correctness_rate_over_each_schemastore_schema_equals_jsonschema(store, manifest):
    """The metric, from raw instance text: record scores are jsonschema's verdicts, the value their mean."""
    for entry in manifest:
        files = [i["file"] for i in entry["valid"] + entry["invalid"]]
        texts = [(store / f).read_text(encoding="utf-8") for f in files]
        schema = load(store, entry["schema"])
        res = get("json.correctness_rate").run(prepare_json(synthetic=texts, schema=store / entry["schema"]), None)
        expected = [float(reference_verdict(schema, json.loads(t))) for t in texts]
        assert res.record_scores.tolist() == expected, entry["name"]
        assert res.value == pytest.approx(sum(expected) / len(expected))
        assert res.secondary["n_invalid"] == len(entry["invalid"])
        assert res.notes["schema_file"].endswith(entry["schema"])


# -- mutations: the right instance path and keyword --------------------------------------------------------
def _found(schema, instance) -> set[tuple[str, str]]:
    assert not reference_verdict(schema, instance)  # jsonschema agrees the mutant is invalid
    return {(v.path, v.keyword) for v in violations(validator_for(schema), instance)}


def test_mutations_of_dependabot_draft7_with_refs(store):
    """dependabot-2.0 (draft-07): updates[] items are '$ref': '#/definitions/update', additionalProperties false,
    schedule.interval and schedule.day are $refs to enum definitions."""
    schema = load(store, "schemas/dependabot-2.0.json")
    base = load(store, "instances/valid/dependabot-2.0/allow.json")
    assert not violations(validator_for(schema), base)

    m = copy.deepcopy(base)
    m["version"] = "2"  # type change (integer -> string); const 2 fails too
    assert _found(schema, m) == {("/version", "type"), ("/version", "const")}

    m = copy.deepcopy(base)
    m["updates"][1]["schedule"]["interval"] = 7  # type change through $ref #/definitions/schedule-interval
    got = violations(validator_for(schema), m)
    assert {(v.path, v.keyword) for v in got} == {("/updates/1/schedule/interval", "type"),
                                                  ("/updates/1/schedule/interval", "enum")}
    assert len(got) == 4  # each twice: the update's schedule and the allOf/then branch both check it
    # the schema path is jsonschema's evaluation path: the $ref'd definition's keywords follow the $ref's place
    # (items holds only "$ref" in the document: items/properties/... exists only through the reference)
    assert "properties" not in schema["properties"]["updates"]["items"]
    assert {v.schema_path for v in got} >= {"/properties/updates/items/properties/schedule/properties/interval/type",
                                            "/properties/updates/items/properties/schedule/properties/interval/enum"}
    assert all(v.pattern == "/updates/[]/schedule/interval" for v in got)
    assert {v.value for v in got} == {7}

    m = copy.deepcopy(base)
    del m["updates"][2]["package-ecosystem"]  # missing required field
    assert ("/updates/2", "required") in _found(schema, m)

    m = copy.deepcopy(base)
    m["updates"][0]["not-an-option"] = True  # extra property where additionalProperties is false
    assert _found(schema, m) == {("/updates/0", "additionalProperties")}
    m = copy.deepcopy(base)
    m["extra"] = 1  # at the root: path ""
    assert _found(schema, m) == {("", "additionalProperties")}

    m = copy.deepcopy(base)
    m["updates"][0]["schedule"]["day"] = "funday"  # enum violation
    assert _found(schema, m) == {("/updates/0/schedule/day", "enum")}


def test_mutations_of_web_manifest_draft4(store):
    schema = load(store, "schemas/web-manifest-share-target.json")  # draft-04, "id", $ref to definitions
    base = load(store, "instances/valid/web-manifest-share-target/text_share_correct_method_and_enctype.json")
    assert validator_for(schema).draft == "draft-04" and not violations(validator_for(schema), base)
    m = copy.deepcopy(base)
    m["share_target"]["method"] = "PUT"
    assert _found(schema, m) == {("/share_target/method", "enum")}
    m = copy.deepcopy(base)
    m["share_target"]["params"]["title"] = ["x"]
    assert _found(schema, m) == {("/share_target/params/title", "type")}
    m = copy.deepcopy(base)
    del m["share_target"]["action"]
    assert _found(schema, m) == {("/share_target", "required")}


def test_mutations_of_yamllint_2020_12(store):
    schema = load(store, "schemas/yamllint.json")  # 2020-12, root "$ref": "#/$defs/ignorable"
    base = load(store, "instances/valid/yamllint/apisix-dashboard.json")
    compiled = validator_for(schema)
    assert compiled.draft == "2020-12" and not violations(compiled, base)
    m = copy.deepcopy(base)
    m["extends"] = 5
    assert _found(schema, m) == {("/extends", "type")}
    m = copy.deepcopy(base)
    m["ignore"], m["ignore-from-file"] = "a", "b"  # the $ref'd 'not: required both'
    assert _found(schema, m) == {("", "not")}


def test_json_pointer_escapes_and_array_pattern():
    schema = {"type": "object", "properties": {"a/b": {"type": "array", "items": {"properties": {
        "c~d": {"type": "integer"}}}}}}
    got = violations(validator_for(schema), {"a/b": [{"c~d": 1}, {"c~d": 2}, {"c~d": "x"}]})
    assert [(v.path, v.pattern, v.keyword, v.value) for v in got] == [("/a~1b/2/c~0d", "/a~1b/[]/c~0d", "type", "x")]
    assert got[0].schema_path == "/properties/a~1b/items/properties/c~0d/type"
    assert got[0].message == "'x' is not of type 'integer'"


# -- drafts ----------------------------------------------------------------------------------------------
DRAFT_CASES = [
    # (schema, instance, hand verdict, draft): each uses a keyword whose meaning depends on the draft
    ({"$schema": DRAFT4, "maximum": 5, "exclusiveMaximum": True}, 5, False, "draft-04"),
    ({"$schema": DRAFT4, "maximum": 5, "exclusiveMaximum": True}, 4.5, True, "draft-04"),
    ({"$schema": DRAFT4, "const": 1}, 2, True, "draft-04"),  # const arrived in draft 6: ignored
    ({"$schema": DRAFT6, "exclusiveMaximum": 5}, 5, False, "draft-06"),
    ({"$schema": DRAFT6, "const": 1}, 2, False, "draft-06"),
    ({"$schema": DRAFT6, "contains": {"type": "string"}}, [1, 2], False, "draft-06"),
    ({"$schema": DRAFT6, "if": {"type": "string"}, "then": {"minLength": 3}}, "ab", True, "draft-06"),  # no if
    ({"$schema": DRAFT7, "if": {"type": "string"}, "then": {"minLength": 3}}, "ab", False, "draft-07"),
    ({"$schema": DRAFT7, "dependentRequired": {"a": ["b"]}}, {"a": 1}, True, "draft-07"),  # 2019-09 keyword
    ({"$schema": D2019, "dependentRequired": {"a": ["b"]}}, {"a": 1}, False, "2019-09"),
    ({"$schema": D2019, "prefixItems": [{"type": "integer"}]}, ["x"], True, "2019-09"),  # 2020-12 keyword
    ({"$schema": D2020, "prefixItems": [{"type": "integer"}]}, ["x"], False, "2020-12"),
    ({"prefixItems": [{"type": "integer"}]}, ["x"], False, "2020-12"),  # no $schema: Draft 2020-12
]


@pytest.mark.parametrize("schema,instance,verdict,draft", DRAFT_CASES)
def test_each_draft_decides_as_jsonschema(schema, instance, verdict, draft):
    compiled = validator_for(schema)
    assert compiled.draft == draft and compiled.note is None
    assert (not violations(compiled, instance)) == verdict == reference_verdict(schema, instance)


def test_a_draft7_schemastore_schema_read_as_draft6(store):
    """A draft-06 copy of a draft-07 SchemaStore schema: every manifest instance as jsonschema decides."""
    schema = {**load(store, "schemas/github-funding.json"), "$schema": DRAFT6}
    entry = next(e for e in json.loads((store / "manifest.json").read_text()) if e["name"] == "github-funding")
    assert validator_for(schema).draft == "draft-06"
    for inst in entry["valid"] + entry["invalid"]:
        instance = load(store, inst["file"])
        assert (not violations(validator_for(schema), instance)) == reference_verdict(schema, instance)


def test_unknown_schema_uri_falls_back_to_2020_12_with_a_note():
    schema = {"$schema": "https://example.com/my-dialect", "prefixItems": [{"type": "integer"}]}
    compiled = validator_for(schema, source="s.json")
    assert compiled.draft == "2020-12" and "my-dialect" in compiled.note and "2020-12" in compiled.note
    assert [(v.path, v.keyword) for v in violations(compiled, ["x"])] == [("/0", "type")]  # prefixItems applies
    res = get("json.correctness_rate").run(prepare_json(synthetic=['["x"]', "[1]"], schema=schema), None)
    assert res.value == 0.5 and "my-dialect" in res.notes["draft_fallback"][0]


# -- $ref, bad schemas, formats, the cache --------------------------------------------------------------------
def test_refs_resolve_inside_the_document_and_external_refs_are_refused(tmp_path):
    schema = {"$id": "https://example.com/root.json", "$defs": {"pos": {"type": "integer", "minimum": 1},
                                                              "pt": {"$anchor": "pt", "type": "object",
                                                                     "properties": {"x": {"$ref": "#/$defs/pos"}}}},
              "type": "array", "items": {"$ref": "#pt"}}
    got = violations(validator_for(schema), [{"x": 3}, {"x": 0}])
    assert [(v.path, v.keyword) for v in got] == [("/1/x", "minimum")]
    assert reference_verdict(schema, [{"x": 3}]) and not violations(validator_for(schema), [{"x": 3}])
    # the draft meta-schema is a known document: a $ref to it resolves offline
    meta = {"$schema": DRAFT7, "$ref": "http://json-schema.org/draft-07/schema#"}
    assert not violations(validator_for(meta), {"type": "string"})
    assert [v.keyword for v in violations(validator_for(meta), {"type": 5})] == ["anyOf"]
    path = tmp_path / "ext.json"
    path.write_text(json.dumps({"properties": {"a": {"$ref": "https://example.com/other.json#/x"}}}))
    with pytest.raises(InputError) as err:
        get("json.correctness_rate").run(prepare_json(synthetic=["{}"], schema=path), None)
    assert "ext.json" in str(err.value) and "other.json" in str(err.value) and "/properties/a/$ref" in str(err.value)
    with pytest.raises(InputError, match="#/definitions/nope"):
        validator_for({"properties": {"a": {"$ref": "#/definitions/nope"}}})


def test_a_bad_schema_names_the_file_and_the_schema_path(tmp_path):
    path = tmp_path / "bad_schema.json"
    path.write_text(json.dumps({"type": "object", "properties": {"age": {"type": "integr"}}}))
    with pytest.raises(InputError) as err:
        get("json.correctness_rate").run(prepare_json(synthetic=['{"age": 1}'], schema=path), None)
    text = str(err.value)
    assert "bad_schema.json" in text and "/properties/age/type" in text and "2020-12" in text
    # draft 4's boolean exclusiveMaximum is a bad draft 6 schema
    with pytest.raises(InputError, match="draft-06.*/exclusiveMaximum"):
        validator_for({"$schema": DRAFT6, "maximum": 5, "exclusiveMaximum": True}, source="x.json")
    with pytest.raises(InputError, match="object"):
        validator_for([1, 2])


def test_format_keywords_checked_only_with_format_check():
    schema = {"type": "object", "properties": {"mail": {"format": "email"}, "ip": {"format": "ipv4"}}}
    instance = {"mail": "not-an-address", "ip": "999.1.1.1"}
    assert violations(validator_for(schema), instance) == []
    jsonschema.validate(instance, schema)  # jsonschema.validate ignores formats too
    got = violations(validator_for(schema, format_check=True), instance)
    assert {(v.path, v.keyword) for v in got} == {("/mail", "format"), ("/ip", "format")}
    checker = jsonschema.Draft202012Validator.FORMAT_CHECKER
    assert not jsonschema.Draft202012Validator(schema, format_checker=checker).is_valid(instance)
    texts = [json.dumps(instance), '{"mail": "a@b.org"}']
    off = get("json.correctness_rate").run(prepare_json(synthetic=texts, schema=schema), None)
    on = get("json.correctness_rate").run(prepare_json(
        synthetic=texts, schema=schema, params={"json.correctness_rate": {"format_check": True}}), None)
    assert (off.value, on.value) == (1.0, 0.5)
    assert "not checked" in off.notes["format_check"] and "FormatChecker" in on.notes["format_check"]


def test_validators_are_cached_per_canonical_schema():
    clear_cache()
    a = validator_for({"type": "object", "required": ["x"]})
    assert validator_for({"required": ["x"], "type": "object"}) is a  # same canonical dump
    assert validator_for({"type": "object", "required": ["y"]}) is not a
    assert validator_for({"type": "object", "required": ["x"]}, format_check=True) is not a
    assert validator_for(True).is_valid(1) and not validator_for(False).is_valid(1)
