"""The modality registry and the options objects: one API call whose options are validated per modality."""
from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

import synthaudit
from synthaudit.errors import UsageError
from synthaudit.modalities import get_modality, modalities, options_of

SRC = Path(__file__).resolve().parents[1] / "src" / "synthaudit"
RECORDS = pd.DataFrame({"response": ["A short answer.", "Another answer here.", "A short answer.", "Yes."]})


def test_builtins_are_registered_with_their_options():
    assert list(modalities())[:3] == ["tabular", "text", "dialogue"]
    names = {m: [o.name for o in options_of(get_modality(m).inputs)] for m in modalities()}
    assert {"holdout", "target", "protected", "constraints"} <= set(names["tabular"])
    assert {"field", "prompt_field", "rules"} <= set(names["text"])
    assert {"turns_field", "user_roles"} <= set(names["dialogue"])
    assert all(o.help for m in modalities() for o in options_of(get_modality(m).inputs))


def test_an_option_of_another_modality_is_refused_with_the_valid_ones():
    with pytest.raises(UsageError) as err:
        synthaudit.audit("text", synthetic=RECORDS, target="y")
    text = str(err.value)
    assert "unknown option 'target' for a text audit" in text and "option of tabular" in text
    for valid in ("field", "prompt_field", "reference_field", "rules"):
        assert valid in text


def test_a_misspelt_option_gets_a_suggestion():
    with pytest.raises(UsageError, match="did you mean 'field'"):
        synthaudit.audit("text", synthetic=RECORDS, feild="response")


def test_option_values_are_checked():
    with pytest.raises(UsageError, match="expects text"):
        synthaudit.audit("text", synthetic=RECORDS, field=3)
    with pytest.raises(UsageError, match="true or false"):
        synthaudit.audit("tabular", synthetic=RECORDS, infer_constraints="yes")


def test_typed_form_equals_keywords():
    from synthaudit.modalities.text import TextInputs

    ids = ["text.ttr", "text.distinct_n", "text.ext.exact_duplicate_rate"]
    a = synthaudit.audit("text", synthetic=RECORDS, field="response", metrics=ids)
    b = synthaudit.audit(TextInputs(synthetic=RECORDS, field="response"), metrics=ids)
    assert [m.value for m in a.metrics] == [m.value for m in b.metrics] and a.value("text.ttr") is not None
    with pytest.raises(UsageError, match="do not also pass field"):
        synthaudit.audit(TextInputs(synthetic=RECORDS), field="response")


def test_unknown_and_unimplemented_modalities(monkeypatch):
    from synthaudit.modalities import registry

    with pytest.raises(UsageError, match="unknown modality 'nope'"):
        synthaudit.audit("nope", synthetic=RECORDS)
    # every catalog modality is implemented now: a catalog modality missing from the registry (e.g. a plugin that
    # failed to load) is named as not implemented, not as unknown
    registry.modalities()
    monkeypatch.delitem(registry._REGISTRY, "agent")
    with pytest.raises(UsageError, match="the agent audit is not implemented yet"):
        synthaudit.audit("agent", synthetic=RECORDS)


def test_no_dispatch_on_modality_names_outside_the_plugins():
    """``if modality == "text"`` and friends: only the registry decides what a modality does."""
    pattern = re.compile(r"modality\s*(==|!=)\s*['\"]|modality\s+(not\s+)?in\s+[(\[{]\s*['\"]"
                         r"|['\"](tabular|dialogue)['\"]\s*(==|!=|in\b)")
    hits = []
    for path in SRC.rglob("*.py"):
        if "modalities" in path.relative_to(SRC).parts:
            continue
        for no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if pattern.search(line):
                hits.append(f"{path.relative_to(SRC)}:{no}: {line.strip()}")
    assert not hits, hits
