"""tabular.violation_rate (survey section 4.2, 'Validity') and its constraint language.

Every count below is worked out by hand in the comments. SDMetrics references (0.32) report adherence,
1 - (violating rows / all synthetic rows):
  * BoundaryAdherence(real, syn, range_min, range_max): missing synthetic values are dropped when the real
    column has missing values, and counted as out of bounds otherwise.
  * CategoryAdherence(real, syn): missing synthetic values count as valid *and stay in the denominator*
    when the real column has missing values; synthaudit does not count them (not applicable), so the
    comparison is on violation counts: violations = (1 - adherence) * n_synthetic.
  * KeyUniqueness(real, syn): a duplicate beyond the first, or an all-missing key, is a violation; that is
    synthaudit's unique with allow_missing: false.
SDMetrics 0.32 needs pandas<3: its values are computed on the same tables (tests/references/inputs.py) by
tests/references/make_references.py in a separate environment and read from
tests/references/tabular_constraints.json.
"""
from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from references.inputs import adult_constraints, keys_table, reference_values

import synthaudit
from synthaudit.data.tabular_inputs import prepare_tabular
from synthaudit.errors import SpecError, UsageError
from synthaudit.metrics.registry import all_metrics
from synthaudit.metrics.tabular.constraints import validate_constraints
from synthaudit.models import Models

VR = "tabular.violation_rate"


def compute(syn, constraints=None, *, real=None, schema=None, batch_size=None, infer=False, params=None):
    """The metric's MetricResult (record scores included), through the planner's validation."""
    inputs = prepare_tabular(synthetic=syn, real=real, schema=schema, constraints=constraints,
                             infer_constraints=infer, params=params)
    metric = all_metrics()[VR]
    assert metric.spec.applies(inputs) is None
    return metric.impl.compute(inputs, Models.default(), batch_size=batch_size)


def by_name(result) -> dict:
    return {r["name"]: r for r in result.breakdown}


def counts(result) -> dict:
    return {r["name"]: (r["checks"], r["violations"]) for r in result.breakdown}


# -- one hand-worked fixture per constraint kind ----------------------------------------------------------

def test_range_numbers_inclusive_and_missing():
    syn = pd.DataFrame({"x": [17, 16.9, 90, 90.5, None, 50, 89.99, 17.0]})
    res = compute(syn, [
        {"name": "both", "type": "range", "column": "x", "min": 17, "max": 90},       # 16.9, 90.5 of 7 present
        {"name": "strict_missing", "type": "range", "column": "x", "min": 17, "max": 90, "allow_missing": False},
        {"name": "min_only", "type": "range", "column": "x", "min": 50},              # 17, 16.9, 17.0
        {"name": "max_only", "type": "range", "column": "x", "max": 50},              # 90, 90.5, 89.99
    ])
    assert counts(res) == {"both": (7, 2), "strict_missing": (8, 3), "min_only": (7, 3), "max_only": (7, 3)}
    row = by_name(res)["both"]
    assert row["rate"] == pytest.approx(2 / 7) and row["not_applicable"] == 1
    assert row["examples"] == [{"row": 2, "values": {"x": 16.9}}, {"row": 4, "values": {"x": 90.5}}]
    assert res.value == pytest.approx((2 + 3 + 3 + 3) / (7 + 8 + 7 + 7))


def test_range_dates():
    syn = pd.DataFrame({"d": pd.to_datetime(["2019-12-31", "2020-01-01", "2020-06-15", "2021-01-01", None,
                                             "2020-12-31 23:59"], format="ISO8601")})
    res = compute(syn, [{"name": "year", "type": "range", "column": "d", "min": dt.date(2020, 1, 1),
                         "max": "2020-12-31T23:59:00"},
                        {"name": "after", "type": "range", "column": "d", "min": "2020-06-15"}])
    # 2019-12-31 and 2021-01-01 are outside 2020; 2019-12-31, 2020-01-01 are before 2020-06-15
    assert counts(res) == {"year": (5, 2), "after": (5, 2)}
    assert by_name(res)["year"]["examples"][0] == {"row": 1, "values": {"d": "2019-12-31T00:00:00"}}


def test_allowed_unicode_unseen_and_canonical_categories():
    syn = pd.DataFrame({"city": ["Zürich", "東京", "Zurich", None, "Zürich", "São Paulo", "東京"],
                        "n": [1, 2, 3, 4, 2.0, 7, None],
                        "grade": ["1", "2", "2", "3", "1", "2", "1"]})
    res = compute(syn, [
        {"name": "cities", "type": "allowed", "column": "city", "values": ["Zürich", "東京", "São Paulo"]},
        {"name": "numbers", "type": "allowed", "column": "n", "values": [1, 2, 3]},
        {"name": "grades", "type": "allowed", "column": "grade", "values": [1, 2.0]},  # 1 == "1", 2.0 == "2"
    ], schema={"columns": {"n": "numerical", "grade": "categorical"}})
    # 'Zurich' is unseen (6 present); 4 and 7 are not allowed (6 present); '3' is not allowed (7 present)
    assert counts(res) == {"cities": (6, 1), "numbers": (6, 2), "grades": (7, 1)}
    assert by_name(res)["cities"]["examples"] == [{"row": 3, "values": {"city": "Zurich"}}]


def test_not_null_one_and_several_columns():
    syn = pd.DataFrame({"a": [1.0, None, 3.0, None], "b": ["x", "y", None, None]})
    res = compute(syn, [{"name": "a", "type": "not_null", "column": "a"},
                        {"name": "ab", "type": "not_null", "columns": ["a", "b"]}])
    assert counts(res) == {"a": (4, 2), "ab": (4, 3)}  # rows 2, 4 / rows 2, 3, 4


def test_unique_single_and_composite_keys_match_key_uniqueness():
    syn = keys_table()  # k: a, b, a, c, a, None; p: 1, 1, 1, 2, 2, 2; q: x, y, x, x, x, z
    sdm = reference_values("tabular_constraints", keys=syn)["keys"]  # SDMetrics' KeyUniqueness
    res = compute(syn, [{"name": "k", "type": "unique", "columns": ["k"]},
                        {"name": "k_strict", "type": "unique", "column": "k", "allow_missing": False},
                        {"name": "pq", "type": "unique", "columns": ["p", "q"]}])
    # k: 'a' three times -> 2 violations of 5 keyed rows; with the missing key counted: 3 of 6
    # (p, q): (1, x) twice, (2, x) twice -> 2 of 6
    assert counts(res) == {"k": (5, 2), "k_strict": (6, 3), "pq": (6, 2)}
    assert by_name(res)["k"]["examples"] == [{"row": 3, "values": {"k": "a"}, "duplicate_of": 1},
                                             {"row": 5, "values": {"k": "a"}, "duplicate_of": 1}]
    assert by_name(res)["k_strict"]["rate"] == pytest.approx(1 - sdm["KeyUniqueness(k)"])
    assert by_name(res)["pq"]["rate"] == pytest.approx(1 - sdm["KeyUniqueness(p,q)"])


def test_regex_is_a_full_match_and_unicode():
    syn = pd.DataFrame({"zip": ["12345", "123456", "a12345", "02134", None, "1234"],
                        "name": ["Müller", "müller", "Straße", "Öz", "X", "Åsa"]})
    res = compute(syn, [{"name": "zip", "type": "regex", "column": "zip", "pattern": r"\d{5}"},
                        {"name": "cap", "type": "regex", "column": "name", "pattern": "[A-ZÄÖÜ][a-zäöüß]+"}])
    # zip: 123456, a12345, 1234 fail of 5 present; name: müller (lower case), X (too short), Åsa (Å not listed)
    assert counts(res) == {"zip": (5, 3), "cap": (6, 3)}


def test_dependency_within_synthetic_majority_rule():
    syn = pd.DataFrame({"zip": ["X", "X", "X", "Y", "Y", "Z", "W", "W"],
                        "city": ["A", "A", "B", "C", "D", "E", None, "F"],
                        "a": [1, 1, 1, 1, 1, 2, 2, 2], "b": ["a", "a", "b", "b", "b", "a", "a", "a"],
                        "out": ["p", "p", "q", "r", "q", "s", "s", "t"]})
    res = compute(syn, [{"name": "zc", "type": "dependency", "determinant": ["zip"], "dependent": "city"},
                        {"name": "ab_out", "type": "fd", "determinant": ["a", "b"], "dependent": "out"}])
    # zip -> city: X: A, A, B -> 1; Y: C, D (tie, C seen first) -> 1; W: the missing city is not applicable
    # (a, b) -> out: (1,a): p, p; (1,b): q, r, q -> 1; (2,a): s, s, t -> 1
    assert counts(res) == {"zc": (7, 2), "ab_out": (8, 2)}
    ex = by_name(res)["zc"]["examples"]
    assert ex[0] == {"row": 3, "values": {"zip": "X", "city": "B"}, "expected": {"city": "A"}, "majority_first_row": 1}
    assert ex[1]["row"] == 5 and ex[1]["expected"] == {"city": "C"}


def test_dependency_against_real_mapping():
    real = pd.DataFrame({"edu": ["HS", "HS", "BA", "BA", "MA"], "num": [9, 9, 13, 14, 15]})
    syn = pd.DataFrame({"edu": ["HS", "HS", "BA", "BA", "MA", "PhD", None],
                        "num": [9, 10, 14, 12, 15, 16, 9]})
    res = compute(syn, [{"name": "fd", "type": "dependency", "determinant": "edu", "dependent": "num",
                         "against": "real"}], real=real)
    # (HS,10) and (BA,12) never occur in real data; BA -> 14 does (real maps BA to 13 and 14);
    # PhD is unseen in real (not applicable), the missing edu is not applicable
    row = by_name(res)["fd"]
    assert (row["checks"], row["violations"], row["unseen_determinant"]) == (5, 2, 1)
    assert [e["row"] for e in row["examples"]] == [2, 4]


@pytest.mark.parametrize("op,violations", [("<=", 2), ("<", 4), (">=", 1), (">", 3), ("==", 3), ("!=", 2)])
def test_compare_every_operator(op, violations):
    syn = pd.DataFrame({"a": [1, 2, 3, 4, None, 6], "b": [1, 3, 2, 4, 5, 5]})
    # pairs (1,1) (2,3) (3,2) (4,4) (6,5); the row with a missing a is not applicable
    res = compute(syn, [{"name": "c", "type": "compare", "left": "a", "op": op, "right": "b"}],
                  schema={"columns": {"a": "numerical", "b": "numerical"}})
    assert counts(res) == {"c": (5, violations)}


def test_compare_dates_and_text():
    syn = pd.DataFrame({"start": pd.to_datetime(["2020-01-01", "2020-02-01", "2020-03-01", None]),
                        "end": pd.to_datetime(["2020-01-05", "2020-01-01", "2020-03-01", "2020-04-01"]),
                        "home": ["Köln", "Bonn", "Bonn", "Köln"], "work": ["Köln", "Köln", "Bonn", None]})
    res = compute(syn, [{"name": "dates", "type": "compare", "left": "start", "op": "<=", "right": "end"},
                        {"name": "commute", "type": "compare", "left": "home", "op": "!=", "right": "work"}])
    # row 2 ends before it starts; home == work in rows 1 and 3 (row 4 not applicable)
    assert counts(res) == {"dates": (3, 1), "commute": (3, 2)}


EXPR_FRAME = pd.DataFrame({"age": [20, 15, None, 95, 40, None], "sex": ["Male", "Female", "X", None, "Male", "Female"],
                           "city": ["A", "A", "B", "B", "C", "東京"],
                           "hours per week": [40, 100, 30, 20, None, 50]})
EXPR_SCHEMA = {"columns": {"age": "numerical", "hours per week": "numerical"}}


def test_expression_three_valued_logic():
    res = compute(EXPR_FRAME, [
        # row1 T; row2 F; row3 unknown and (F or F) = F; row4 T and (unknown or F) = unknown; row5 T;
        # row6 unknown and (F or F) = F (city 東京)
        {"name": "e1", "type": "expression", "expr": 'age >= 18 and (sex == "Male" or city in ["A", "C"])'},
        # row2 100 > 99; row3 not(X == X) = F; row4 not(unknown) = unknown; row5 unknown and T = unknown
        {"name": "e2", "type": "expression", "expr": '`hours per week` <= 99 and not (sex == "X")'},
        {"name": "e3", "type": "expression", "expr": "18 <= age <= 90"},   # rows 2 and 4 fail, 3 and 6 unknown
        {"name": "e3_strict", "type": "expression", "expr": "18 <= age <= 90", "allow_missing": False},
        # row 6 fails; row 4: T or unknown = T
        {"name": "e4", "type": "expression", "expr": "city != '東京' or sex not in ['Female']"},
    ], schema=EXPR_SCHEMA)
    assert counts(res) == {"e1": (5, 3), "e2": (4, 2), "e3": (4, 2), "e3_strict": (6, 4), "e4": (6, 1)}
    assert [e["row"] for e in by_name(res)["e1"]["examples"]] == [2, 3, 6]
    assert by_name(res)["e1"]["columns"] == ["age", "sex", "city"]


@pytest.mark.parametrize("expr", [
    "__import__('pathlib').Path('pwned').touch() == None",
    "age.mean() > 1", "age + 1 > 2", "age > 1; import os", "@age > 1", "[c for c in age] == 1", "lambda: 1",
    "age", "age > nope", 'sex > "M"', "open('f') == 1", "age if age else 1", "age is None", "age > 1e999",
    "age == __class__", "sex == sex.__class__", "(lambda: 1)() == 1",
])
def test_unsafe_or_invalid_expressions_are_rejected(expr, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SpecError) as err:
        compute(EXPR_FRAME, [{"type": "not_null", "column": "age"},
                             {"name": "evil", "type": "expression", "expr": expr}], schema=EXPR_SCHEMA)
    assert "constraint #2 ('evil')" in str(err.value)
    assert not (tmp_path / "pwned").exists()


# -- the record scores, secondary values and check units ------------------------------------------------

MIXED = pd.DataFrame({"id": [1, 2, 2, 3, 3, 3], "age": [20.5, 15, None, 95, 40, 50],
                      "sex": ["Male", "Female", "X", None, "Male", "Female"]})
MIXED_CONSTRAINTS = [{"name": "age", "type": "range", "column": "age", "min": 17, "max": 90},  # rows 2, 4 of 5
                     {"name": "sex", "type": "allowed", "column": "sex", "values": ["Male", "Female"]},  # row 3 of 5
                     {"name": "id", "type": "unique", "columns": ["id"]}]  # rows 3, 5, 6 of 6


def test_record_scores_secondary_and_check_units():
    res = compute(MIXED, MIXED_CONSTRAINTS)
    assert res.value == pytest.approx(6 / 16)
    assert res.record_scores.tolist() == [0, 1, 1, 1, 1, 1]  # rows 2, 3, 4, 5, 6 violate something
    assert res.secondary["rows_violating"] == pytest.approx(5 / 6)
    assert res.secondary["mean_constraint_rate"] == pytest.approx((2 / 5 + 1 / 5 + 3 / 6) / 3)
    assert res.secondary["share_constraints_violated"] == 1.0
    assert res.notes["checks"] == 16 and res.notes["violations"] == 6
    row = compute(MIXED, MIXED_CONSTRAINTS, params={VR: {"check_unit": "row"}})
    assert row.value == pytest.approx(5 / 6) and row.secondary["row_x_constraint"] == pytest.approx(6 / 16)
    macro = compute(MIXED, MIXED_CONSTRAINTS, params={VR: {"check_unit": "constraint"}})
    assert macro.value == pytest.approx((2 / 5 + 1 / 5 + 3 / 6) / 3)
    with pytest.raises(UsageError, match="check_unit"):
        compute(MIXED, MIXED_CONSTRAINTS, params={VR: {"check_unit": "cell"}})


def test_audit_report_and_schema_file_constraints(tmp_path):
    spec = tmp_path / "spec.yaml"
    spec.write_text(yaml.safe_dump({"columns": {"age": "numerical"}, "constraints": MIXED_CONSTRAINTS}),
                    encoding="utf-8")
    report = synthaudit.audit("tabular", synthetic=MIXED, schema=spec, metrics=[VR])
    entry = report.result(VR)
    assert entry.status == "ok" and entry.value == pytest.approx(6 / 16)
    assert entry.notes["source"] == str(spec) and entry.n_record_scores == 6
    assert [g.id for g in report.gaps if g.id == VR] == []


# -- invalid specs: one SpecError naming the file and the constraint -------------------------------------

GOOD = {"type": "not_null", "column": "age"}


@pytest.mark.parametrize("bad,needle", [
    ({"name": "b", "type": "rnage", "column": "age", "min": 1}, "unknown type 'rnage'"),
    ({"name": "b", "type": "range", "column": "agee", "min": 1}, "unknown column 'agee'"),
    ({"name": "b", "type": "regex", "column": "sex", "pattern": "[0-9"}, "not a valid regular expression"),
    ({"name": "b", "type": "allowed", "column": "sex"}, "missing field(s) values"),
    ({"name": "b", "type": "range", "column": "age"}, "needs 'min', 'max'"),
    ({"name": "b", "type": "range", "column": "age", "min": 5, "max": 1}, "greater than 'max'"),
    ({"name": "b", "type": "range", "column": "age", "min": 1, "mx": 5}, "unknown field(s) mx"),
    ({"name": "b", "type": "range", "column": "age", "min": "ten"}, "finite number"),
    ({"name": "b", "type": "compare", "left": "age", "op": "=>", "right": "id"}, "'op' must be one of"),
    ({"name": "b", "type": "compare", "left": "age", "op": "<", "right": "age"}, "the same column"),
    ({"name": "b", "type": "dependency", "determinant": "id", "dependent": "id"}, "both determinant and dependent"),
    ({"name": "b", "type": "dependency", "determinant": "id", "dependent": "sex", "against": "real"}, "needs the real"),
    ({"name": "b", "type": "unique", "columns": []}, "non-empty list"),
    ({"name": "b", "type": "not_null", "column": "age", "allow_missing": False}, "does not apply"),
    ({"name": "b", "type": "allowed", "column": "sex", "values": ["Male"], "allow_missing": "no"}, "true or false"),
    ({"name": "b", "type": "expression", "expr": "   "}, "non-empty expression"),
])
def test_invalid_constraint_names_file_and_constraint(bad, needle, tmp_path):
    path = tmp_path / "constraints.yaml"
    path.write_text(yaml.safe_dump({"constraints": [GOOD, bad]}), encoding="utf-8")
    with pytest.raises(SpecError) as err:
        synthaudit.audit("tabular", synthetic=MIXED, constraints=path)  # every metric planned: not swallowed
    text = str(err.value)
    assert err.value.file == str(path) and "constraint #2 ('b')" in text and needle in text, text


def test_invalid_structure_and_duplicate_names():
    with pytest.raises(SpecError, match=r"constraint #1: expected a mapping"):
        compute(MIXED, ["age > 1"])
    with pytest.raises(SpecError, match=r"constraint #2: the name 'x' is already used by constraint #1"):
        compute(MIXED, [{**GOOD, "name": "x"}, {"type": "not_null", "column": "sex", "name": "x"}])
    with pytest.raises(SpecError, match="missing 'type'"):
        compute(MIXED, [{"column": "age"}])
    dated = MIXED.assign(when=pd.date_range("2024-01-01", periods=6))
    with pytest.raises(SpecError, match=r"constraint #1 \('d'\): 'age' is numerical and 'when' is datetime"):
        compute(dated, [{"name": "d", "type": "compare", "left": "age", "op": "<", "right": "when"}])
    with pytest.raises(SpecError, match="compare it with a date string"):
        compute(dated, [{"type": "expression", "expr": "when > 5"}])


def test_validate_constraints_up_front_and_infer_needs_real():
    inputs = prepare_tabular(synthetic=MIXED, constraints=MIXED_CONSTRAINTS)
    parsed = validate_constraints(inputs)
    assert [c.name for c in parsed] == ["age", "sex", "id"] and validate_constraints(inputs) is parsed  # cached
    with pytest.raises(UsageError, match="--real"):
        validate_constraints(prepare_tabular(synthetic=MIXED, infer_constraints=True))
    with pytest.raises(SpecError, match="unknown column"):
        validate_constraints(prepare_tabular(synthetic=MIXED, constraints=[{"type": "not_null", "column": "zz"}]))


# -- streaming: chunks and shards equal one piece --------------------------------------------------------

@pytest.fixture(scope="module")
def stream_table():
    rng = np.random.default_rng(7)
    n = 900
    zips = rng.choice(["10115", "20095", "8001", "80331", None], size=n, p=[0.3, 0.3, 0.1, 0.25, 0.05])
    city = np.array([{"10115": "Berlin", "20095": "Hamburg", "8001": "Zürich", "80331": "München"}.get(z, "Köln")
                     for z in zips], dtype=object)
    city[rng.random(n) < 0.08] = "Bonn"  # breaks zip -> city
    start = pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 365, n), unit="D")
    end = start + pd.to_timedelta(rng.integers(-5, 60, n), unit="D")
    age = rng.normal(45, 20, n).round()
    age[rng.random(n) < 0.05] = np.nan
    return pd.DataFrame({"id": rng.integers(0, 700, n), "zip": zips, "city": city, "age": age,
                         "sex": rng.choice(["Male", "Female", "Divers", None], size=n), "start": start, "end": end})


STREAM_CONSTRAINTS = [
    {"type": "range", "column": "age", "min": 17, "max": 90},
    {"type": "allowed", "column": "sex", "values": ["Male", "Female"]},
    {"type": "not_null", "columns": ["zip", "sex"]},
    {"type": "unique", "columns": ["id"]},
    {"type": "unique", "columns": ["zip", "city"], "allow_missing": False},
    {"type": "regex", "column": "zip", "pattern": r"\d{5}"},
    {"type": "dependency", "determinant": "zip", "dependent": "city"},
    {"type": "compare", "left": "start", "op": "<=", "right": "end"},
    {"type": "expression", "expr": "age >= 18 or city == 'Köln'"},
]


def test_stream_of_chunks_equals_one_piece(stream_table):
    one = compute(stream_table, STREAM_CONSTRAINTS)
    assert 0 < one.value < 1 and all(r["violations"] > 0 for r in one.breakdown)
    for size in (7, 100, 899):
        chunked = compute(stream_table, STREAM_CONSTRAINTS, batch_size=size)
        assert chunked.value == one.value and chunked.secondary == one.secondary, size
        assert chunked.breakdown == one.breakdown, size  # counts, rates and the same examples
        assert np.array_equal(chunked.record_scores, one.record_scores), size
    streamed = synthaudit.audit("tabular", synthetic=(stream_table.iloc[i:i + 128] for i in range(0, 900, 128)),
                                constraints=STREAM_CONSTRAINTS, metrics=[VR], batch_size=50)
    assert streamed.value(VR) == one.value and streamed.result(VR).breakdown == one.breakdown


def test_merge_of_shards_equals_one_piece(stream_table):
    inputs = prepare_tabular(synthetic=stream_table, constraints=STREAM_CONSTRAINTS)
    impl, models = all_metrics()[VR].impl, Models.default()
    one = impl.compute(inputs, models)
    coerced = inputs.frame("synthetic")
    a, b, c = (impl.init(inputs, models) for _ in range(3))
    a = impl.update(a, "synthetic", coerced.iloc[:250])
    b = impl.update(b, "synthetic", coerced.iloc[250:251])
    c = impl.update(c, "synthetic", coerced.iloc[251:])
    merged = impl.finalize(impl.merge(impl.merge(a, b), c), inputs, models)
    assert merged.value == one.value and merged.breakdown == one.breakdown
    assert np.array_equal(merged.record_scores, one.record_scores)


# -- real data: UCI Adult ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def adult(adult_train):
    """Real = 4,000 Adult rows with an id; synthetic = 3,000 perturbed rows drawn from them (not synthaudit's
    copula: the committed SDMetrics values must not change with it) with planted violations: 30 ages of 150,
    20 sex values 'Unknown', 25 repeated ids."""
    return adult_constraints(adult_train)


@pytest.fixture(scope="module")
def sdm(adult):
    """SDMetrics 0.32's adherence values on ``adult`` (tests/references/tabular_constraints.json)."""
    real, syn = adult
    return reference_values("tabular_constraints", adult_real=real, adult_synthetic=syn)["adult"]


ADULT_CONSTRAINTS = [
    {"name": "age_range", "type": "range", "column": "age", "min": 17, "max": 90},
    {"name": "sex_values", "type": "allowed", "column": "sex", "values": ["Male", "Female"]},
    {"name": "edu_fd", "type": "dependency", "determinant": ["education"], "dependent": "education_num"},
    {"name": "edu_num_fd", "type": "dependency", "determinant": ["education_num"], "dependent": "education"},
    {"name": "edu_fd_real", "type": "dependency", "determinant": "education", "dependent": "education_num",
     "against": "real"},
    {"name": "id_unique", "type": "unique", "columns": ["id"]},
]


def _fd_violations(frame: pd.DataFrame, det: str, dep: str) -> int:
    """sum over determinant groups of (group size - count of the majority dependent value)."""
    return int(sum(len(g) - g.value_counts().iloc[0] for _, g in frame.groupby(det)[dep]))


def test_adult_real_table_satisfies_its_constraints(adult):
    real, _ = adult
    res = compute(real, ADULT_CONSTRAINTS, real=real)
    assert res.value == 0.0 and all(r["violations"] == 0 for r in res.breakdown)
    assert by_name(res)["edu_fd"]["checks"] == len(real)  # education <-> education_num holds in real Adult


def test_adult_synthetic_against_hand_counts_and_sdmetrics(adult, sdm):
    real, syn = adult
    res = compute(syn, ADULT_CONSTRAINTS, real=real)
    rows, n = by_name(res), len(syn)
    assert rows["age_range"]["violations"] == 30  # the perturbation stays inside the real range; 30 planted
    assert rows["age_range"]["rate"] == pytest.approx(1 - sdm["BoundaryAdherence(age, 17, 90)"], abs=1e-12)
    assert rows["sex_values"]["violations"] == 20
    adherence = sdm["CategoryAdherence(sex)"]
    assert rows["sex_values"]["rate"] == pytest.approx(1 - adherence, abs=1e-12)
    assert rows["id_unique"]["violations"] == 25
    assert rows["id_unique"]["rate"] == pytest.approx(1 - sdm["KeyUniqueness(id)"], abs=1e-12)
    # the perturbation does not keep education -> education_num; counted by hand with the majority rule
    assert rows["edu_fd"]["violations"] == _fd_violations(syn, "education", "education_num") > 100
    assert rows["edu_num_fd"]["violations"] == _fd_violations(syn, "education_num", "education") > 100
    pairs = set(zip(real["education"], real["education_num"].astype(float)))
    seen = syn["education"].isin(set(real["education"]))
    hand = sum((e, float(v)) not in pairs for e, v in zip(syn.loc[seen, "education"], syn.loc[seen, "education_num"]))
    assert (rows["edu_fd_real"]["checks"], rows["edu_fd_real"]["violations"]) == (int(seen.sum()), hand)
    total = sum(r["violations"] for r in res.breakdown)
    assert res.value == pytest.approx(total / sum(r["checks"] for r in res.breakdown))
    assert res.value == pytest.approx(total / (6 * n))  # no missing values in these columns: 6 checks per row


def test_adult_inferred_constraints_match_sdmetrics(adult, sdm):
    real, syn = adult
    res = compute(syn, real=real, infer=True)
    rows, n = by_name(res), len(syn)
    assert all(r["inferred"] for r in res.breakdown) and len(res.notes["inferred_constraints"]) == len(rows)
    numeric = ["age", "fnlwgt", "education_num", "capital_gain", "capital_loss", "hours_per_week", "id"]
    for col in numeric:
        expected = round((1 - sdm["BoundaryAdherence"][col]) * n)
        assert rows[f"inferred range({col})"]["violations"] == expected, col
    assert rows["inferred range(age)"]["violations"] == 30
    compared = 0
    for col in ["workclass", "education", "marital_status", "occupation", "relationship", "race", "sex",
                "native_country", "income"]:
        expected = round((1 - sdm["CategoryAdherence"][col]) * n)  # missing: valid, counted
        assert rows[f"inferred allowed({col})"]["violations"] == expected, col
        compared += real[col].isna().any()
    assert compared == 3  # workclass, occupation, native_country: missing values compared as counts
    assert rows["inferred unique(id)"]["violations"] == round((1 - sdm["KeyUniqueness(id)"]) * n)
    assert "inferred dependency(education -> education_num)" in rows


def test_inference_copy_is_clean_and_perturbation_is_found(adult_train):
    real = adult_train.sample(3000, random_state=2).reset_index(drop=True)
    clean = compute(real.copy(), real=real, infer=True)
    names = set(by_name(clean))
    assert {"inferred range(age)", "inferred allowed(sex)", "inferred not_null(age)",
            "inferred dependency(education -> education_num)",
            "inferred dependency(education_num -> education)"} <= names
    assert clean.value == 0.0 and clean.secondary["rows_violating"] == 0.0
    bad = real.copy()
    order = np.random.default_rng(3).permutation(np.flatnonzero((real["education"] != "Bachelors").to_numpy()))
    bachelors = np.flatnonzero((real["education"] == "Bachelors").to_numpy())[:6]
    bad.loc[order[:5], "age"] = 200           # range(age): 5
    bad.loc[order[5:9], "race"] = "Martian"   # allowed(race): 4 (an unseen category)
    bad.loc[order[9:12], "sex"] = np.nan      # not_null(sex): 3 (allowed(sex) does not count missing cells)
    bad.loc[bachelors, "education_num"] = 3   # Bachelors -> 13 broken 6 times; 3 -> 5th-6th outvoted 6 times
    res = compute(bad, real=real, infer=True)
    violated = {r["name"]: r["violations"] for r in res.breakdown if r["violations"]}
    assert violated == {"inferred range(age)": 5, "inferred allowed(race)": 4, "inferred not_null(sex)": 3,
                        "inferred dependency(education -> education_num)": 6,
                        "inferred dependency(education_num -> education)": 6}
    assert int(res.record_scores.sum()) == 5 + 4 + 3 + 6


def test_inferred_unique_and_compare_and_combination_with_user_constraints():
    n = 60
    start = pd.date_range("2021-01-01", periods=n, freq="D")
    real = pd.DataFrame({"id": np.arange(n), "start": start, "end": start + pd.to_timedelta(np.arange(n) % 7, "D"),
                         "x": np.linspace(0, 1, n)})
    syn = real.copy()
    # end before start (3 % 7 = 3 days); a copy: under pandas 3 to_numpy() can be a view of the frame being set
    syn.loc[3, ["start", "end"]] = syn.loc[3, ["end", "start"]].to_numpy().copy()
    syn.loc[10, "id"] = 11
    res = compute(syn, [{"name": "x_range", "type": "range", "column": "x", "min": 0, "max": 0.5}], real=real,
                  infer=True)
    rows = by_name(res)
    assert rows["inferred compare(start <= end)"]["violations"] == 1
    assert rows["inferred unique(id)"]["violations"] == 1
    # the user's range on x replaces the inferred one; x = i / 59 > 0.5 for i = 30..59: 30 rows
    assert "inferred range(x)" not in rows and rows["x_range"]["violations"] == 30 and not rows["x_range"]["inferred"]
    # id >= x holds in every row, but on different scales (10-90% ranges do not overlap): not inferred
    assert [r for r in rows if "compare" in r] == ["inferred compare(start <= end)"]
    assert res.notes["user_constraints"] == 1


# -- the command line ------------------------------------------------------------------------------------

def run_cli(*args, cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "PY_COLORS")}
    env.update(NO_COLOR="1", COLUMNS="200")
    return subprocess.run([sys.executable, "-m", "synthaudit", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=300, check=False)


def test_cli_constraints_file_and_errors(tmp_path):
    import json

    MIXED.to_csv(tmp_path / "syn.csv", index=False)
    MIXED.assign(id=[1, 2, 3, 4, 5, 6], age=[20, 25, 30, 35, 40, 45], sex=["Male", "Female"] * 3).to_csv(
        tmp_path / "real.csv", index=False)
    (tmp_path / "c.yaml").write_text(yaml.safe_dump({"constraints": MIXED_CONSTRAINTS}), encoding="utf-8")
    proc = run_cli("audit", "tabular", "--synthetic", "syn.csv", "--real", "real.csv", "--constraints", "c.yaml",
                   "--out", "out", "--quiet", "--stream", "--batch-size", "2", cwd=tmp_path)
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
    report = json.loads((tmp_path / "out" / "report.json").read_text(encoding="utf-8"))
    entry = next(m for m in report["metrics"] if m["id"] == VR)
    assert entry["status"] == "ok" and entry["value"] == pytest.approx(6 / 16)
    assert [r["violations"] for r in entry["breakdown"]] == [2, 1, 3]
    for bad, needle in ((("{name: zipfmt, type: regex, column: sex, pattern: '[0-9'}"), "'zipfmt'"),
                        (("{type: expression, expr: \"__import__('os').system('touch pwned') == 0\"}"), "#2")):
        (tmp_path / "bad.yaml").write_text(f"constraints:\n  - {{type: not_null, column: age}}\n  - {bad}\n",
                                           encoding="utf-8")
        proc = run_cli("audit", "tabular", "--synthetic", "syn.csv", "--real", "real.csv", "--constraints",
                       "bad.yaml", "--out", "out2", "--quiet", cwd=tmp_path)
        err = proc.stderr
        assert proc.returncode == 2, err
        assert "Traceback" not in err + proc.stdout and err.count("error:") == 1, err
        assert "bad.yaml" in err and needle in err, err
        assert not (tmp_path / "pwned").exists()
