"""Local generation on the shipped SmolLM2: batched requests (deterministic, one batch per group) and
schema-constrained decoding (lm-format-enforcer), which makes even the 135M model write valid rows."""
from __future__ import annotations

import jsonschema
import pytest

from synthaudit.models.llm import LLMClient, ResponseCache, json_schema_format

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


class _RecordingLM:
    """A stand-in for the model's batching interface only (no text is judged): records the batch sizes."""

    def __init__(self) -> None:
        self.batches: list[int] = []

    def chat_prompt(self, messages):
        return messages[-1]["content"]

    def generate_batch(self, prompts, **_):
        self.batches.append(len(prompts))
        return [(f"answer to {p}", 3, 2) for p in prompts]


def test_local_batches_are_balanced_and_cache_keys_match_single_calls(tmp_path):
    """100 prompts at local_batch=32 run as 4 x 25 (a small last batch costs as many steps at a fraction of the
    throughput); a batched answer is cached under the same key as the single ``chat`` of that request."""
    lm = _RecordingLM()
    client = LLMClient(model="smollm2", cache=ResponseCache(tmp_path / "c.sqlite"), local_batch=32, _local=lm)
    reqs = [{"messages": [{"role": "user", "content": f"q{i}"}], "max_tokens": 8, "seed": i} for i in range(100)]
    outs = client.chat_many(reqs)
    assert lm.batches == [25, 25, 25, 25]
    assert [o.text for o in outs] == [f"answer to q{i}" for i in range(100)]
    again = client.chat([{"role": "user", "content": "q7"}], max_tokens=8, seed=7)
    assert again.cached and again.text == "answer to q7" and lm.batches == [25, 25, 25, 25]
    lm.batches.clear()
    client.chat_many([{"messages": [{"role": "user", "content": f"r{i}"}], "seed": i} for i in range(33)])
    assert lm.batches == [17, 16]
