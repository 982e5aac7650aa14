"""Policy gates: parsing with clear errors, and evaluation semantics."""
from __future__ import annotations

import pytest

from synthaudit.audit.policy import evaluate, load_policy, parse_policy
from synthaudit.errors import PolicyError


def test_parse_and_evaluate():
    gates = parse_policy({"tabular.kst": {"max": 0.1}, "tabular.dcr": {"min": 0.4, "max": 0.6},
                          "tabular.chi2.share_passing": {"min": 0.5}})
    values = {"tabular.kst": {"value": 0.12}, "tabular.dcr": {"value": 0.5},
              "tabular.chi2": {"value": 0.9, "share_passing": 0.25}}
    res = {r.gate.key: r for r in evaluate(gates, values, {})}
    assert not res["tabular.kst"].passed and "0.12 > max 0.1" in res["tabular.kst"].reason
    assert res["tabular.dcr"].passed
    assert not res["tabular.chi2.share_passing"].passed and res["tabular.chi2.share_passing"].value == 0.25
    # bounds are inclusive
    assert evaluate(parse_policy({"tabular.kst": {"max": 0.12}}), values, {})[0].passed


def test_missing_value_fails_the_gate():
    res = evaluate(parse_policy({"tabular.tvd": {"max": 0.1}}), {}, {"tabular.tvd": "not applicable: no columns"})
    assert not res[0].passed and "not applicable" in res[0].reason


@pytest.mark.parametrize("doc, field", [
    ({"tabular.nope": {"max": 1}}, "tabular.nope"),
    ({"tabular.kst": {"maximum": 1}}, "tabular.kst"),
    ({"tabular.kst": {"max": "low"}}, "tabular.kst.max"),
    ({"tabular.kst": {"min": 0.5, "max": 0.1}}, "tabular.kst"),
    ({"tabular.kst": 0.1}, "tabular.kst"),
])
def test_invalid_policies_name_the_field(doc, field):
    with pytest.raises(PolicyError) as err:
        parse_policy(doc, "gates.yaml")
    assert err.value.field == field and "gates.yaml" in err.value.render()


def test_policy_file_errors(tmp_path):
    with pytest.raises(PolicyError, match="not found"):
        load_policy(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("tabular.kst: {max: 0.1\n", encoding="utf-8")
    with pytest.raises(PolicyError, match="not valid YAML"):
        load_policy(bad)
    ok = tmp_path / "ok.yaml"
    ok.write_text("# gates\ntabular.kst: {max: 0.1}\n", encoding="utf-8")
    assert load_policy(ok)[0].max == 0.1
