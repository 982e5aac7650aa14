"""Local generation on the shipped SmolLM2: batched requests (deterministic, one batch per group) and
schema-constrained decoding (lm-format-enforcer), which makes even the 135M model write valid rows."""
from __future__ import annotations

import jsonschema
import pytest

from synthaudit.models.llm import LLMClient, json_schema_format

pytest.importorskip("lmformatenforcer")

#: lm-format-enforcer enforces syntax, keys, types and enums while decoding, not numeric bounds (those are checked
#: afterwards: an answer out of range is an error, which the tabular generator counts as a rejected row)
SCHEMA = {"type": "object", "properties": {"age": {"type": "integer"}, "sex": {"enum": ["1", "2"]},
                                           "bmi": {"type": "number"}},
          "required": ["age", "sex", "bmi"], "additionalProperties": False}


@pytest.fixture(scope="module")
def client() -> LLMClient:
    return LLMClient(model="smollm2", cache=False, local_batch=32)


def test_batched_requests_are_deterministic_and_in_order(client):
    reqs = [{"messages": [{"role": "user", "content": f"Name a fruit that starts with {c}."}], "temperature": 0.7,
             "max_tokens": 12, "seed": i} for i, c in enumerate("ABCDE")]
    a, b = client.chat_many(reqs), client.chat_many(reqs)
    assert [x.text for x in a] == [x.text for x in b] and all(x.ok and x.text for x in a)
    assert all(0 < x.completion_tokens <= 12 for x in a)


def test_schema_constrained_decoding_gives_valid_json(client):
    fmt = json_schema_format(SCHEMA, name="row")
    reqs = [{"messages": [{"role": "user", "content": "Write one patient record."}], "temperature": 1.0,
             "max_tokens": 60, "seed": i, "response_format": fmt} for i in range(8)]
    outs = client.chat_many(reqs)
    for out in outs:
        assert out.ok, out.error
        jsonschema.validate(out.data, SCHEMA)  # enums and numeric bounds hold, not just the JSON syntax
    one = client.chat([{"role": "user", "content": "Write one patient record."}], temperature=1.0, max_tokens=60,
                      response_format=fmt)
    jsonschema.validate(one.data, SCHEMA)
