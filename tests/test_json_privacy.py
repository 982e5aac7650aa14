"""json.recall_aon (survey section 5.3): All-or-Nothing Recall per (type, document), checked against fixtures worked
out by hand below, with each source of detected spans (the redactor's spans, the diff of the original against the
redacted document, the detector on the text), the gap without gold entities, bad spans, NaN and unicode cases.
Offsets are Python str indices."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest

import synthaudit.metrics.json.privacy  # noqa: F401 (registers the metric)
from synthaudit.data.json_prepare import prepare_json
from synthaudit.errors import InputError
from synthaudit.metrics.registry import get
from synthaudit.models import Models

ID = "json.recall_aon"
FIELDS = {"entities": "entities", "original": "original", "detected": "detected"}


def ent(text: str, kind: str, value: str, nth: int = 0) -> dict:
    """A gold entity: the nth occurrence of ``value`` in ``text`` (Python str offsets)."""
    start = -1
    for _ in range(nth + 1):
        start = text.index(value, start + 1)
    return {"type": kind, "start": start, "end": start + len(value)}


def run(records: list[dict], fields=FIELDS, **params):
    inputs = prepare_json(synthetic=records, fields={k: v for k, v in fields.items()
                                                     if any(v in r for r in records)})
    if params:
        inputs.params[ID] = params
    return get(ID).run(inputs, Models())


ORIG0 = json.dumps({"note": "mail ann@example.com or bob@example.org", "ip": "10.0.0.1"})
RED0 = json.dumps({"note": "mail [EMAIL] or [EMAIL]", "ip": "10.0.0.x"})  # both e-mails replaced, the IP half-kept
DOC1 = json.dumps({"phone": "+44 20 7946 0958", "email": "eve@example.net"})
DOC2 = json.dumps({"contact": "zoë.müller@example.de", "host": "db01.corp.internal"}, ensure_ascii=False)


def fixture() -> list[dict]:
    return [
        # doc 0: source 'changed' (an original is given). email: both instances replaced -> 1; ipv4: the diff
        # changed only the last character '1' (-> 'x'), so exact misses the IP -> 0. Pairs (email 1, ipv4 0).
        {"output": RED0, "original": ORIG0,
         "entities": [ent(ORIG0, "email", "ann@example.com"), ent(ORIG0, "email", "bob@example.org"),
                      ent(ORIG0, "ipv4", "10.0.0.1")]},
        # doc 1: source 'detected' (the redactor's spans): it reports the phone only -> phone 1, email 0.
        {"output": DOC1, "entities": [ent(DOC1, "phone", "+44 20 7946 0958"), ent(DOC1, "email", "eve@example.net")],
         "detected": [ent(DOC1, "phone", "+44 20 7946 0958")]},
        # doc 2: source 'detector' (neither original nor detected spans): the built-in detector finds the e-mail
        # (with a non-ASCII local part it is NOT found: its pattern is ASCII) and the hostname.
        # Pairs (email 0, hostname 1).
        {"output": DOC2, "entities": [ent(DOC2, "email", "zoë.müller@example.de"),
                                      ent(DOC2, "hostname", "db01.corp.internal")]},
        # doc 3: no gold instance -> no pair, NaN; doc 4: no entities field value -> NaN
        {"output": json.dumps({"n": 1}), "entities": []},
        {"output": json.dumps({"n": 2})},
    ]


def test_value_is_the_mean_over_type_document_pairs():
    r = run(fixture())
    # pairs: d0 email 1, d0 ipv4 0, d1 phone 1, d1 email 0, d2 email 0, d2 hostname 1 -> 3 hits / 6 pairs
    assert r.value == pytest.approx(3 / 6)
    # per record: mean over its own pairs: d0 (1+0)/2, d1 (1+0)/2, d2 (0+1)/2, d3 NaN, d4 NaN
    np.testing.assert_allclose(r.record_scores, [0.5, 0.5, 0.5, np.nan, np.nan])
    assert r.secondary["recall_aon_email"] == pytest.approx(1 / 3)  # d0 1, d1 0, d2 0
    assert r.secondary["recall_aon_ipv4"] == 0.0 and r.secondary["recall_aon_phone"] == 1.0
    assert r.secondary["recall_aon_hostname"] == 1.0
    assert r.secondary["pairs_email"] == 3 and r.secondary["n_pairs"] == 6
    assert r.secondary["mean_per_document"] == pytest.approx(0.5)
    assert r.notes["records_without_gold_instances"] == 1 and r.notes["records_without_entities"] == 1
    sources = r.notes["detected_source"]  # which source each scored document used
    assert sorted(sources.values()) == [1, 1, 1] and any("--detected-field" in k for k in sources)
    assert "detector" in r.notes
    rows = {row["record"]: row for row in r.breakdown}
    assert rows[0]["missed_types"] == ["ipv4"] and rows[1]["missed_types"] == ["email"]
    assert rows[0]["source"] == "changed" and rows[1]["source"] == "detected" and rows[2]["source"] == "detector"
    for row in r.breakdown:  # values are masked
        assert "10.0.0.1" not in row["examples"] and "eve@example.net" not in row["examples"]
    assert "e***@e***.net" in rows[1]["examples"]


def test_overlap_and_cover_modes():
    # overlap: d0 ipv4 now found (the changed '1' overlaps it) -> 4 / 6; cover: the IP is not fully covered -> 3 / 6
    assert run(fixture(), span_match="overlap").value == pytest.approx(4 / 6)
    assert run(fixture(), span_match="cover").value == pytest.approx(3 / 6)
    with pytest.raises(ValueError, match="span_match"):
        run(fixture(), span_match="fuzzy")


def test_a_document_that_misses_one_of_two_instances_scores_zero_for_that_type():
    orig = "call ann@example.com, cc bob@example.com"
    rec = {"output": "call [EMAIL], cc bob@example.com", "original": orig,
           "entities": [ent(orig, "email", "ann@example.com"), ent(orig, "email", "bob@example.com")]}
    r = run([rec])
    assert r.value == 0.0 and r.secondary["pairs_email"] == 1  # one (type, document) pair, not two instances
    np.testing.assert_allclose(r.record_scores, [0.0])


def test_unicode_offsets_are_code_points():
    orig = "Grüße 👍 von jürgen@example.de"
    rec = {"output": "Grüße 👍 von [EMAIL]", "original": orig, "entities": [ent(orig, "email", "jürgen@example.de")]}
    assert rec["entities"][0]["start"] == 12  # code points; UTF-8 bytes would be 17
    assert run([rec]).value == 1.0
    as_bytes = dict(rec, entities=[{"type": "email", "start": 17, "end": 35}])  # UTF-8 byte offsets
    with pytest.raises(InputError, match="after the end of its text"):
        run([as_bytes])


def test_gap_without_an_entities_field():
    inputs = prepare_json(synthetic=[{"output": "{}"}])
    reason = get(ID).spec.applies(inputs)
    assert reason is not None and "--entities-field" in reason
    assert get(ID).spec.applies(prepare_json(synthetic=fixture(), fields={"entities": "entities"})) is None


def test_no_pairs_gives_no_value():
    r = run([{"output": "{}", "entities": []}, {"output": "{}"}])
    assert r.value is None and r.secondary["n_pairs"] == 0
    assert all(math.isnan(x) for x in r.record_scores)


def test_bad_entities_name_the_record():
    bad = fixture()
    bad[1]["entities"] = [{"type": "email", "start": 5, "end": 500}]
    with pytest.raises(InputError, match="record 1") as err:
        run(bad)
    assert "after the end of its text" in str(err.value)
    bad[1]["entities"] = "email 5-10"
    with pytest.raises(InputError, match="expected a list of spans"):
        run(bad)
