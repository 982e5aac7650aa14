"""JSON metrics (survey section 5.2): ValidJSONRate, CorrectnessRate, MMP, schema description similarity,
property-selection accuracy and TaskAcc, each against a hand-worked fixture (arithmetic in comments), json.loads,
jsonschema, scikit-learn or the shipped offline embedder called directly."""
from __future__ import annotations

import json

import jsonschema
import numpy as np
import pytest
from sklearn.metrics import accuracy_score, f1_score

from synthaudit.data.json_prepare import prepare_json
from synthaudit.errors import InputError
from synthaudit.metrics.json import fidelity, utility, validity  # noqa: F401  (registers the metrics)
from synthaudit.metrics.json.common import canonical, dotted, field_paths, property_paths, resolve_path
from synthaudit.metrics.registry import get
from synthaudit.verify.json_parse import POLICIES

FENCE = "```json\n{}\n```"


def run(metric_id: str, models=None, **kw):
    return get(metric_id).run(prepare_json(**kw), models)


# -- ValidJSONRate ------------------------------------------------------------------------------------------
OUTPUTS = [
    '{"a": 1}',                                     # 0 valid under every policy
    FENCE.replace("{}", '{"a": 2}'),                # 1 fence, lenient (code fence removed)
    'Here you go: {"a": 3}',                        # 2 lenient only (surrounding prose removed)
    '{"a": 4,}',                                    # 3 lenient only (trailing comma removed)
    '{"a": NaN}',                                   # 4 refused everywhere (NaN is not JSON)
    '{"a": Infinity}',                              # 5 refused everywhere
    "",                                             # 6 empty output
    None,                                           # 7 missing output
    '{"名前": "東京", "emoji": "😀"}',                # 8 unicode: valid everywhere
    '{"a": 1, "a": 2}',                             # 9 valid, 1 duplicate key
    FENCE.replace("{}", '{"b": [1, 2,]}'),          # 10 lenient only (fence + trailing comma)
    'prose ```json\n{"c": 1}\n``` more',            # 11 lenient only (fence extracted from prose)
    '{"x": 1, "x": 2, "y": {"z": 1, "z": 2}}',      # 12 valid, 2 duplicate keys
    "[1, -Infinity]",                               # 13 refused everywhere
]


def strict_reference(text) -> bool:
    """json.loads (the catalog's reference), NaN/Infinity refused."""
    if text is None:
        return False
    try:
        json.loads(text, parse_constant=lambda c: (_ for _ in ()).throw(ValueError(c)))
        return True
    except ValueError:
        return False


def test_valid_json_rate_all_policies_hand_worked():
    res = run("json.valid_json_rate", synthetic=OUTPUTS)
    n = len(OUTPUTS)  # 14
    # strict: 0, 8, 9, 12 -> 4/14; fence adds 1 -> 5/14; lenient adds 2, 3, 10, 11 -> 9/14
    assert res.secondary["valid_rate_strict"] == pytest.approx(4 / n)
    assert res.secondary["valid_rate_strict"] == pytest.approx(sum(map(strict_reference, OUTPUTS)) / n)
    assert res.secondary["valid_rate_fence"] == pytest.approx(5 / n)
    assert res.secondary["valid_rate_lenient"] == pytest.approx(9 / n)
    assert res.value == pytest.approx(5 / n) and res.notes["parse_policy"] == "fence"  # the catalog default
    assert res.record_scores.tolist() == [1, 1, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 1, 0]
    # duplicate keys: record 9 (1) and record 12 (x, y.z: 2) -> 2 records, 3 keys
    assert (res.secondary["n_with_duplicate_keys"], res.secondary["n_duplicate_keys"]) == (2, 3)
    assert res.secondary["n_repaired"] == 1 and res.notes["repairs"] == {"code fence removed": 1}
    failing = {r["record"]: r for r in res.breakdown}
    assert sorted(failing) == [2, 3, 4, 5, 6, 7, 10, 11, 13]
    assert "NaN is not a JSON value" in failing[4]["error"] and failing[6]["error"] == "empty output"
    assert failing[7]["error"] == "no output (missing value)" and failing[7]["output"] is None


def test_valid_json_rate_per_policy_and_repairs_counted():
    for policy, expected in (("strict", 4), ("fence", 5), ("lenient", 9)):
        res = run("json.valid_json_rate", synthetic=OUTPUTS,
                  params={"json.valid_json_rate": {"parse_policy": policy}})
        assert res.value == pytest.approx(expected / len(OUTPUTS)), policy
    lenient = run("json.valid_json_rate", synthetic=OUTPUTS,
                  params={"json.valid_json_rate": {"parse_policy": "lenient"}})
    # records 1 (fence), 2 (prose), 3 (comma), 10 (fence + comma), 11 (fence from prose): 5 repaired records
    assert lenient.secondary["n_repaired"] == 5
    assert lenient.notes["repairs"] == {"code fence removed": 2, "surrounding prose removed": 1,
                                        "trailing comma removed": 2, "code fence extracted from prose": 1}
    with pytest.raises(ValueError, match="parse_policy"):
        run("json.valid_json_rate", synthetic=OUTPUTS, params={"json.valid_json_rate": {"parse_policy": "loose"}})


def test_empty_and_all_invalid_corpora():
    res = run("json.valid_json_rate", synthetic=["", "   ", "not json"])
    assert res.value == 0.0 and all(res.secondary[f"valid_rate_{p}"] == 0 for p in POLICIES)
    cr = run("json.correctness_rate", synthetic=["", "   "], schema={"type": "object"})
    assert cr.value == 0.0 and cr.secondary["n_unparsable"] == 2 and cr.breakdown == []
    with pytest.raises(InputError, match="synthetic"):  # an empty input is refused, naming it
        prepare_json(synthetic=[], schema={"type": "object"})


# -- CorrectnessRate -----------------------------------------------------------------------------------------
SCHEMA = {"type": "object", "additionalProperties": False, "required": ["name"],
          "properties": {"name": {"type": "string"}, "status": {"enum": ["ok", "fail"]},
                         "items": {"type": "array", "items": {"type": "object", "required": ["name"], "properties": {
                             "name": {"type": "string"}, "qty": {"type": "integer", "minimum": 1}}}}}}
DOCS = [
    '{"name": "a", "items": [{"name": "x", "qty": 2}], "status": "ok"}',   # 0 valid
    '{"name": "b", "items": [{"name": 5}, {"name": "y"}, {"name": 6}]}',   # 1 /items/0/name, /items/2/name: type
    '{"name": "c", "items": [{"name": true}, {"name": "z", "qty": 0}]}',   # 2 /items/0/name type, /items/1/qty min
    '{"status": "bad"}',                                                   # 3 root required, /status enum
    '{"name": "d",',                                                       # 4 does not parse
    FENCE.replace("{}", '{"name": "ü 東京"}'),                             # 5 valid under fence, not strict
    '{"name": "e", "zzz": 1}',                                             # 6 root additionalProperties
]


def jsonschema_reference(texts, schema, strip_fence: bool) -> list[float]:
    """json.loads + jsonschema's Draft 2020-12 validator, a fence removed by hand where asked; unparsable = 0."""
    out = []
    for t in texts:
        if strip_fence and t.startswith("```json\n"):
            t = t[len("```json\n"):-len("\n```")]
        try:
            value = json.loads(t)
        except ValueError:
            out.append(0.0)
            continue
        out.append(float(jsonschema.Draft202012Validator(schema).is_valid(value)))
    return out


def test_correctness_rate_against_jsonschema_and_per_path_breakdown():
    res = run("json.correctness_rate", synthetic=DOCS, schema=SCHEMA)
    # fence policy: records 0 and 5 conform -> 2/7
    assert res.value == pytest.approx(2 / 7)
    assert res.record_scores.tolist() == jsonschema_reference(DOCS, SCHEMA, strip_fence=True)
    strict = run("json.correctness_rate", synthetic=DOCS, schema=SCHEMA,
                 params={"json.correctness_rate": {"parse_policy": "strict"}})
    assert strict.value == pytest.approx(1 / 7)  # the fenced record 5 does not parse strictly
    assert strict.record_scores.tolist() == jsonschema_reference(DOCS, SCHEMA, strip_fence=False)
    assert (res.secondary["n_unparsable"], res.secondary["n_invalid"], res.secondary["n_violations"]) == (1, 4, 7)
    table = {r["path"]: r for r in res.breakdown}
    # /items/[]/name: records 1 and 2 (3 violations: 1 twice, 2 once); the root: records 3 and 6 (required,
    # additionalProperties); /items/[]/qty: record 2; /status: record 3. Shares over the 7 scored records.
    assert [r["path"] for r in res.breakdown[:2]] == ["/items/[]/name", "(root)"]
    assert (table["/items/[]/name"]["records"], table["/items/[]/name"]["violations"]) == (2, 3)
    assert table["/items/[]/name"]["share"] == pytest.approx(2 / 7) and table["/items/[]/name"]["keywords"] == "type"
    assert table["/items/[]/name"]["example_values"] == ["5", "6", "true"]
    assert table["(root)"]["records"] == 2 and set(table["(root)"]["keywords"].split(", ")) == {
        "required (1)", "additionalProperties (1)"}
    assert table["/items/[]/qty"]["keywords"] == "minimum" and table["/items/[]/qty"]["example_values"] == ["0"]
    assert table["/status"]["example_values"] == ['"bad"'] and table["/status"]["keywords"] == "enum"
    # the same per-path record counts from jsonschema's own errors
    counts: dict[str, set] = {}
    for i, t in enumerate(DOCS):
        try:
            value = json.loads(t)
        except ValueError:
            continue
        for e in jsonschema.Draft202012Validator(SCHEMA).iter_errors(value):
            key = "".join("/[]" if isinstance(p, int) else f"/{p}" for p in e.absolute_path) or "(root)"
            counts.setdefault(key, set()).add(i)
    assert {k: len(v) for k, v in counts.items()} == {p: r["records"] for p, r in table.items()}
    examples = {e["record"]: e for e in res.notes["examples"]}
    assert sorted(examples) == [1, 2, 3, 4, 6]
    assert examples[1]["violations"][0] == {"path": "/items/0/name", "keyword": "type",
                                            "message": "5 is not of type 'string'",
                                            "schema_path": "/properties/items/items/properties/name/type"}
    assert examples[4]["reason"].startswith("does not parse")
    assert res.notes["format_check"].startswith("format keywords not checked")


@pytest.mark.parametrize("policy", POLICIES)
def test_correctness_rate_never_exceeds_valid_json_rate(policy):
    params = {"json.correctness_rate": {"parse_policy": policy}, "json.valid_json_rate": {"parse_policy": policy}}
    for texts, schema in ((OUTPUTS, {"type": "object"}), (DOCS, SCHEMA), (OUTPUTS, True)):
        inputs = prepare_json(synthetic=texts, schema=schema, params=params)
        valid = get("json.valid_json_rate").run(inputs, None)
        correct = get("json.correctness_rate").run(inputs, None)
        assert correct.value <= valid.value
        assert np.all(correct.record_scores <= valid.record_scores)
    # with the schema `true` every parsed document conforms: equality
    inputs = prepare_json(synthetic=OUTPUTS, schema=True, params=params)
    assert get("json.correctness_rate").run(inputs, None).value == get("json.valid_json_rate").run(inputs, None).value


def test_record_schemas_override_the_audit_schema_and_records_without_one_are_not_scored():
    rows = [{"output": '{"n": 1}', "schema": None}, {"output": '{"n": 1}', "schema": {"properties": {
        "n": {"type": "string"}}}}, {"output": '{"n": "x"}', "schema": '{"required": ["m"]}'}]
    res = run("json.correctness_rate", synthetic=rows, fields={"schema": "schema"}, schema={"type": "object"})
    assert res.record_scores.tolist() == [1.0, 0.0, 0.0]
    without = run("json.correctness_rate", synthetic=rows, fields={"schema": "schema"})
    assert np.isnan(without.record_scores[0]) and without.value == 0.0 and without.secondary["n_without_schema"] == 1
    bad = [{"output": "{}", "schema": {"type": "nonsense"}}]
    with pytest.raises(InputError, match="record 0 .*field 'schema'.*/type"):
        run("json.correctness_rate", synthetic=bad, fields={"schema": "schema"})
    # streamed in batches of 2, the bad schema of record 3 is named by its position in the whole input
    rows = [{"output": "{}", "schema": {"type": "object"}}] * 3 + bad
    inputs = prepare_json(synthetic=rows, fields={"schema": "schema"})
    with pytest.raises(InputError, match="record 3 "):
        get("json.correctness_rate").impl.compute(inputs, None, batch_size=2)


def test_correctness_rate_batches_and_merges_like_one_pass():
    impl = get("json.correctness_rate").impl
    whole = run("json.correctness_rate", synthetic=DOCS, schema=SCHEMA)
    inputs = prepare_json(synthetic=DOCS, schema=SCHEMA)
    frame = inputs.tables["synthetic"].frame()
    a, b = impl.init(inputs, None), impl.init(inputs, None)
    impl.update(a, "synthetic", frame.iloc[:3])
    impl.update(b, "synthetic", frame.iloc[3:])
    merged = impl.finalize(impl.merge(a, b), inputs, None)
    assert merged.value == whole.value and merged.breakdown == whole.breakdown
    assert [e["record"] for e in merged.notes["examples"]] == [e["record"] for e in whole.notes["examples"]]
    streamed = impl.compute(inputs, None, batch_size=2)
    assert streamed.breakdown == whole.breakdown and streamed.record_scores.tolist() == whole.record_scores.tolist()


def test_correctness_rate_gap_without_a_schema():
    inputs = prepare_json(synthetic=DOCS)
    assert "--schema" in get("json.correctness_rate").spec.applies(inputs)
    assert get("json.correctness_rate").spec.applies(prepare_json(synthetic=DOCS, schema=SCHEMA)) is None


# -- MMP -------------------------------------------------------------------------------------------------------
MMP_ROWS = [
    # ref leaf paths: a.b[].c, d, e[] (3); gen: a.q, d, f -> only d: 1/3. top-level: a, d of a, d, e: 2/3.
    # values: d "x" == "x" -> 1/3 at both granularities (a differs, e missing)
    {"output": '{"a": {"q": 1}, "d": "x", "f": 1}', "ref": {"a": {"b": [{"c": 1}, {"c": 2}]}, "d": "x", "e": []}},
    {"output": "{oops", "ref": {"k": 1}},                                    # unparsable: 0 in every mode
    # paths: k, z.w both present: 1; values: k 1.0 == 1, z.w 3 != 2 -> 1/2 (top-level: k equal, z differs: 1/2)
    {"output": '{"k": 1.0, "z": {"w": 3}}', "ref": {"k": 1, "z": {"w": 2}}},
    {"output": '{"k": 1}', "ref": None},                                     # no reference: not scored
]


@pytest.mark.parametrize("level,granularity,expected", [
    ("field_paths", "leaf_paths", (1 / 3 + 0 + 1) / 3),              # 4/9
    ("field_paths", "top_level_keys", (2 / 3 + 0 + 1) / 3),          # 5/9
    ("field_paths_and_values", "leaf_paths", (1 / 3 + 0 + 1 / 2) / 3),  # 5/18
    ("field_paths_and_values", "top_level_keys", (1 / 3 + 0 + 1 / 2) / 3),
])
def test_mmp_hand_worked(level, granularity, expected):
    res = run("json.mmp", synthetic=MMP_ROWS, fields={"reference": "ref"},
              params={"json.mmp": {"match_level": level, "path_granularity": granularity}})
    assert res.value == pytest.approx(expected)
    assert np.isnan(res.record_scores[3]) and res.secondary["n_unparsable"] == 1
    assert res.secondary["n_without_reference"] == 1


def test_mmp_defaults_unicode_array_values_and_reference_text():
    assert get("json.mmp").spec.default_params()["match_level"] == "field_paths"
    assert field_paths({"a": {"b": [{"c": 1}, {"c": 2, "d": None}]}, "e": {}}) == {"a.b[].c", "a.b[].d", "e"}
    assert field_paths({"a": 1, "b": [1]}, "top_level_keys") == {"a", "b"} and field_paths([]) == set()
    rows = [{"output": '{"名前": "太郎", "tags": ["b", "a"]}', "ref": '{"名前": "太郎", "tags": ["a", "b"]}'},
            {"output": '{"tags": ["a"]}', "ref": '{"tags": ["a", "a"]}'},  # multiset: [a] != [a, a]
            {"output": "{}", "ref": "{}"}]  # a reference without fields is not scored
    res = run("json.mmp", synthetic=rows, fields={"reference": "ref"},
              params={"json.mmp": {"match_level": "field_paths_and_values"}})
    assert res.record_scores[:2].tolist() == [1.0, 0.0] and np.isnan(res.record_scores[2])
    assert res.secondary["n_reference_without_fields"] == 1
    with pytest.raises(ValueError, match="match_level"):
        run("json.mmp", synthetic=rows, fields={"reference": "ref"}, params={"json.mmp": {"match_level": "keys"}})


# -- schema description similarity ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def models():
    from synthaudit.models import Models

    return Models.default()


def test_schema_description_similarity_against_the_embedder(models):
    gen = {"type": "object", "description": "A customer record",
           "properties": {"name": {"type": "string", "description": "Full name of the customer"},
                          "age": {"type": "integer"},
                          "orders": {"type": "array", "items": {"properties": {
                              "sku": {"description": "Stock keeping unit of the product"}}}},
                          "extra": {"description": "not in the reference"}}}
    ref = {"type": "object", "description": "A person who buys from the shop",
           "properties": {"name": {"description": "The customer's name"}, "age": {"title": "Age in years"},
                          "orders": {"items": {"properties": {"sku": {"description": "Product code"}}}},
                          "email": {"description": "Contact address"}}}
    rows = [{"output": json.dumps(gen), "ref": ref}, {"output": "not a schema {", "ref": ref},
            {"output": '{"properties": {"zzz": {}}}', "ref": ref}, {"output": "{}", "ref": None}]
    res = run("json.schema_description_similarity", models, synthetic=rows, fields={"reference": "ref"})
    emb = models.get("sentence_embedder")

    def cos(a: str, b: str) -> float:
        x = np.asarray(emb.encode([a, b]), dtype=np.float64)
        x /= np.linalg.norm(x, axis=1, keepdims=True)
        return float(x[0] @ x[1])

    # aligned: root (descriptions), name (descriptions), age (names: key 'age' vs title 'Age in years'),
    # orders (names: both 'orders'), orders[].sku (descriptions); extra and email are on one side only
    pairs = [("A customer record", "A person who buys from the shop"),
             ("Full name of the customer", "The customer's name"), ("age", "Age in years"), ("orders", "orders"),
             ("Stock keeping unit of the product", "Product code")]
    expected = float(np.mean([cos(a, b) for a, b in pairs]))
    assert res.record_scores[0] == pytest.approx(expected, abs=1e-5)
    assert cos("orders", "orders") == pytest.approx(1.0, abs=1e-5)
    # unparsable: 0; nothing aligned ('zzz' only; the root has no description): 0; no reference: not scored
    assert res.record_scores[1:3].tolist() == [0.0, 0.0] and np.isnan(res.record_scores[3])
    assert res.value == pytest.approx(expected / 3, abs=1e-5)
    assert (res.secondary["n_by_description"], res.secondary["n_by_name"]) == (3, 2)
    assert res.notes["encoder_requested"] == "sentence-transformers/all-MiniLM-L6-v2"


# -- property-selection accuracy --------------------------------------------------------------------------------
INFERRED = {"type": "object", "properties": {
    "name": {"type": "string"}, "address": {"type": "object", "properties": {"city": {}, "zip": {}}},
    "tags": {"type": "array", "items": {"type": "object", "properties": {"label": {}}}}}}
PROP_ROWS = [
    # selected: name, address, address.city, address.zip, tags, tags[].label
    {"output": json.dumps(INFERRED), "labels": {
        "name": "useful", "address.city": "useful", "/address/zip": "noisy", "tags[].label": "useful",
        "debug_id": "noisy", "/tags/0/score": "noisy", "ts": "Useful"}},
    # decisions: ok, ok, wrong (zip selected), ok, ok, ok, wrong (ts not selected) -> 5/7
    {"output": '{"properties": {"a": {}, "b": {}}}', "labels": {"a": "useful", "b": "noisy", "c": "noisy"}},
    # a ok, b wrong (selected), c ok -> 2/3
    {"output": "{oops", "labels": {"a": "useful"}},  # unparsable: 0, left out of the pooled figures
    {"output": json.dumps(INFERRED), "labels": None},  # no labels: not scored
]


def test_property_selection_accuracy_against_sklearn():
    res = run("json.property_selection_acc", synthetic=PROP_ROWS, fields={"labels": "labels"})
    per_record = []
    y_true_all, y_pred_all = [], []
    for row in PROP_ROWS[:2]:
        selected = property_paths(json.loads(row["output"]))
        gold = {dotted(k): v.lower() for k, v in row["labels"].items()}
        y_true = list(gold.values())
        y_pred = ["useful" if p in selected else "noisy" for p in gold]
        per_record.append(accuracy_score(y_true, y_pred))
        y_true_all += y_true
        y_pred_all += y_pred
    assert per_record == pytest.approx([5 / 7, 2 / 3])
    assert res.value == pytest.approx((5 / 7 + 2 / 3 + 0) / 3)  # 29/63
    assert np.isnan(res.record_scores[3])
    # pooled noisy class: tp 3 (debug_id, tags[].score, c), fn 2 (address.zip, b), fp 1 (ts) -> F1 6/9
    assert res.secondary["f1_noisy"] == pytest.approx(f1_score(y_true_all, y_pred_all, pos_label="noisy"))
    assert res.secondary["f1_noisy"] == pytest.approx(2 / 3)
    assert res.secondary["accuracy_pooled"] == pytest.approx(accuracy_score(y_true_all, y_pred_all)) == 0.7
    assert (res.secondary["n_properties"], res.secondary["n_noisy"], res.secondary["n_unparsable"]) == (10, 5, 1)


def test_property_labels_for_every_record_and_bad_labels():
    labels = {"a": "useful", "b": "noisy"}
    rows = ['{"properties": {"a": {}}}', '{"properties": {"a": {}, "b": {}}}']  # 2/2 right; 1/2 right
    res = run("json.property_selection_acc", synthetic=rows, labels=labels)
    assert res.record_scores.tolist() == [1.0, 0.5]
    # only useful gold and no noisy prediction: F1 of 'noisy' is undefined (sklearn gives 0 with a warning)
    only = run("json.property_selection_acc", synthetic=['{"properties": {"a": {}}}'], labels={"a": "useful"})
    assert only.value == 1.0 and only.secondary["f1_noisy"] is None
    with pytest.raises(InputError, match="'maybe'"):
        run("json.property_selection_acc", synthetic=rows, labels={"a": "maybe"})


# -- TaskAcc ----------------------------------------------------------------------------------------------------
TASK_SCHEMA = {"type": "object", "required": ["answer"], "properties": {"confidence": {"type": "number"}}}
TASK_ROWS = [
    {"output": '{"answer": "  Paris "}', "answer": "paris"},          # 0 right: trimmed, case-folded
    {"output": '{"answer": 3.0000001}', "answer": 3},                  # 1 right: |diff|/3 = 3.3e-8 <= 1e-6
    {"output": '{"answer": 3.01}', "answer": 3},                       # 2 wrong: 3.3e-3 relative
    {"output": '{"answer": [1, {"b": 2, "a": 1}]}', "answer": [1, {"a": 1, "b": 2.0}]},  # 3 right: canonical JSON
    {"output": '{"answer": true}', "answer": 1},                       # 4 wrong: a boolean is not the number 1
    {"output": FENCE.replace("{}", '{"answer": "x"}'), "answer": "X"},  # 5 right under the fence policy
    {"output": '{"answer": NaN}', "answer": "nan"},                    # 6 wrong: NaN is not JSON (unparsable)
    {"output": '{"answer": "42"}', "answer": 42},                      # 7 right: text reading as the number 42
    {"output": '{"result": 1}', "answer": 1},                          # 8 wrong: no answer (and not conformant)
    {"output": '{"answer": 1}', "answer": None},                       # 9 no gold answer: not scored
    {"output": '{"answer": "yes", "confidence": "high"}', "answer": "yes"},  # 10 right only without the schema
    {"output": '{"answer": "ça"}', "answer": "ÇA"},                    # 11 right: unicode case folding
]


def test_task_acc_hand_worked_with_and_without_schema():
    fields = {"answer": "answer"}
    res = run("json.task_acc", synthetic=TASK_ROWS, fields=fields, schema=TASK_SCHEMA)
    # scored: 11 (record 9 has no gold); right: 0, 1, 3, 5, 7, 11 -> 6/11
    assert res.value == pytest.approx(6 / 11)
    assert res.record_scores.tolist()[:9] == [1, 1, 0, 1, 0, 1, 0, 1, 0] and np.isnan(res.record_scores[9])
    assert (res.secondary["n_unparsable"], res.secondary["n_nonconformant"], res.secondary["n_without_gold"]) == \
        (1, 2, 1)
    reasons = {r["record"]: r["reason"] for r in res.breakdown}
    assert reasons[10].startswith("not schema-conformant: /confidence") and reasons[2] == "wrong answer"
    no_schema = run("json.task_acc", synthetic=TASK_ROWS, fields=fields)
    assert no_schema.value == pytest.approx(7 / 11)  # record 10 now right; record 8: no value at 'answer'
    assert no_schema.secondary["n_no_answer"] == 1
    loose = run("json.task_acc", synthetic=TASK_ROWS, fields=fields, params={"json.task_acc": {"rel_tol": 0.01}})
    assert loose.record_scores[2] == 1.0  # 3.01 vs 3: 0.0033 relative <= 0.01
    with pytest.raises(ValueError, match="rel_tol"):
        run("json.task_acc", synthetic=TASK_ROWS, fields=fields, params={"json.task_acc": {"rel_tol": -1}})


def test_task_acc_answer_paths_and_nan_gold():
    rows = [{"output": '{"res": {"items": [10, 20]}, "a.b": 5}', "answer": 20},
            {"output": '{"res": {"items": [10, 21]}, "a.b": 5}', "answer": 20},
            {"output": '{"res": {"items": [10, 20]}}', "answer": float("nan")}]  # a NaN gold is a missing gold
    for path in ("/res/items/1", "res.items.1"):
        res = run("json.task_acc", synthetic=rows, fields={"answer": "answer"}, answer_path=path)
        assert res.record_scores[:2].tolist() == [1.0, 0.0] and np.isnan(res.record_scores[2])
    doc = {"a.b": 5, "a": {"b": 6}, "x/y": {"~": 7}, "l": [0, 1]}
    assert resolve_path(doc, "a.b") == (True, 5)  # a key holding a dot wins over the dotted path
    assert resolve_path(doc, "/a/b") == (True, 6) and resolve_path(doc, "/x~1y/~0") == (True, 7)
    assert resolve_path(doc, "l.01") == (False, None) and resolve_path(doc, "l.5") == (False, None)
    assert resolve_path(doc, "") == (True, doc)


def test_canonical_values():
    assert canonical({"b": 1.0, "a": [2.0, True]}) == '{"a":[2,true],"b":1}'
    assert canonical(1) != canonical(True) and canonical(1.5) == "1.5"
    assert canonical({"k": "東京"}) == '{"k":"東京"}'  # unicode kept as is
