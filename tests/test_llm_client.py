"""The LLM client's batch, raw-completion, cost and structured-output features against a real local socket
(a scripted OpenAI-compatible server), and one structured-output retry with the real offline SmolLM2."""
from __future__ import annotations

import json
import threading
import time

import pytest

from synthaudit.models.llm import LLMClient, LLMError, ResponseCache, json_schema_format, parse_json_answer
from openai_stub import JSONHandler, serve

SCHEMA = {"type": "object", "required": ["city"], "properties": {"city": {"type": "string"}}}


class _Server(JSONHandler):
    """Answers ``echo <last message>`` (chat) or ``<prompt> continued`` (completions) after ``delay`` s.
    Content "fail" gets HTTP 400; "json" answers invalid JSON for seed 0 and valid JSON from seed 1 on;
    "never-json" always answers prose."""

    hits: list = []
    delay = 0.0
    inflight = 0
    max_inflight = 0
    lock = threading.Lock()

    def do_POST(self):  # noqa: N802 - http.server API
        cls = type(self)
        body = self.read_json()
        with cls.lock:
            cls.hits.append({"path": self.path, "body": body})
            cls.inflight += 1
            cls.max_inflight = max(cls.max_inflight, cls.inflight)
        try:
            time.sleep(cls.delay)
            status, payload = 200, None
            if self.path.endswith("/completions") and not self.path.endswith("/chat/completions"):
                payload = {"choices": [{"text": body["prompt"] + " continued", "finish_reason": "stop"}],
                           "usage": {"prompt_tokens": 5, "completion_tokens": 2}}
            else:
                content = body["messages"][-1]["content"]
                text = f"echo {content}"
                if content == "fail":
                    status, payload = 400, {"error": "bad request"}
                elif content == "json":
                    text = "Sure! The city is Paris." if body["seed"] == 0 else '```json\n{"city": "Paris"}\n```'
                elif content == "never-json":
                    text = "I like cities."
                payload = payload or {"choices": [{"message": {"content": text}, "finish_reason": "stop"}],
                                      "usage": {"prompt_tokens": 7, "completion_tokens": 3}}
        finally:
            with cls.lock:
                cls.inflight -= 1
        self.send_json(payload, status)


@pytest.fixture
def url():
    _Server.hits, _Server.delay, _Server.inflight, _Server.max_inflight = [], 0.0, 0, 0
    with serve(_Server) as base:
        yield base


def _client(url, tmp_path, **kw):
    return LLMClient(model="openai:test-model", base_url=url, cache=ResponseCache(tmp_path / "c.sqlite"),
                     backoff=0.01, max_retries=1, **kw)


def _msg(text):
    return [{"role": "user", "content": text}]


def test_chat_many_bounded_concurrency_input_order_and_progress(url, tmp_path):
    _Server.delay = 0.2
    client = _client(url, tmp_path)
    reqs = [{"messages": _msg(f"q{i}"), "seed": i} for i in range(8)]
    seen = []
    t0 = time.perf_counter()
    out = client.chat_many(reqs, concurrency=4, progress=lambda i, c: seen.append(i))
    elapsed = time.perf_counter() - t0
    assert [c.text for c in out] == [f"echo q{i}" for i in range(8)]
    assert _Server.max_inflight == 4  # bounded, and really concurrent
    assert elapsed < 8 * 0.2 * 0.75  # two waves of four, not eight sequential requests
    assert sorted(seen) == list(range(8))
    assert client.usage.calls == 8 and client.usage.prompt_tokens == 56 and client.usage.completion_tokens == 24


def test_chat_many_captures_a_failed_request_and_goes_on(url, tmp_path):
    client = _client(url, tmp_path)
    out = client.chat_many([{"messages": _msg("a")}, {"messages": _msg("fail")}, {"messages": _msg("b")}],
                           concurrency=2)
    assert [c.ok for c in out] == [True, False, True]
    assert out[1].text == "" and "HTTP 400" in out[1].error
    assert out[0].text == "echo a" and out[2].text == "echo b"
    assert client.usage.errors == 1 and client.usage.calls == 2
    with pytest.raises(LLMError, match="HTTP 400"):  # chat itself still raises
        client.chat(_msg("fail"))


def test_cost_estimate_and_summary(url, tmp_path):
    client = _client(url, tmp_path)
    client.usage.price_in, client.usage.price_out = 2.5, 10.0
    for text in ("x", "y", "x"):  # the repeated request is a cache hit: no tokens, no cost
        client.chat(_msg(text))
    u = client.usage
    assert (u.calls, u.cache_hits, u.prompt_tokens, u.completion_tokens) == (2, 1, 14, 6)
    assert u.cost == pytest.approx((14 * 2.5 + 6 * 10.0) / 1e6)
    assert u.as_dict()["cost_usd"] == pytest.approx(u.cost, abs=1e-6)
    text = u.summary()
    assert "2 calls (1 cached)" in text and "14 prompt + 6 completion tokens" in text and "$0.0001" in text
    assert LLMClient(model="openai:m", base_url=url, cache=False).usage.cost is None


def test_raw_completion_goes_to_completions_and_is_cached(url, tmp_path):
    client = _client(url, tmp_path)
    a = client.complete("<|im_start|>user\n", max_tokens=9, seed=3, stop=["<|im_end|>"])
    b = client.complete("<|im_start|>user\n", max_tokens=9, seed=3, stop=["<|im_end|>"])
    assert a.text == "<|im_start|>user\n continued" and b.cached and len(_Server.hits) == 1
    hit = _Server.hits[0]
    assert hit["path"] == "/v1/completions" and hit["body"]["prompt"] == "<|im_start|>user\n"
    assert hit["body"]["stop"] == ["<|im_end|>"] and hit["body"]["seed"] == 3
    # a chat request with the same text is a different request
    client.chat(_msg("<|im_start|>user\n"), max_tokens=9, seed=3)
    assert len(_Server.hits) == 2 and _Server.hits[1]["path"] == "/v1/chat/completions"
    # batches mix both kinds
    out = client.chat_many([{"prompt": "p"}, {"messages": _msg("m")}])
    assert [c.text for c in out] == ["p continued", "echo m"]


def test_structured_output_passed_to_endpoint_then_validated_and_retried(url, tmp_path):
    client = _client(url, tmp_path)
    fmt = json_schema_format(SCHEMA, "city")
    out = client.chat(_msg("json"), response_format=fmt, json_retries=2)
    assert out.data == {"city": "Paris"}
    assert [h["body"]["response_format"] for h in _Server.hits] == [fmt, fmt]
    assert [h["body"]["seed"] for h in _Server.hits] == [0, 1]  # the retry changed the seed ...
    assert _Server.hits[1]["body"]["temperature"] >= 0.7  # ... and samples, so that a greedy model may change
    assert client.usage.structured_retries == 1 and client.usage.structured_failures == 0
    with pytest.raises(LLMError, match="after 3 attempts"):
        client.chat(_msg("never-json"), response_format=fmt, json_retries=2)
    assert client.usage.structured_failures == 1 and client.usage.structured_retries == 3
    batch = client.chat_many([{"messages": _msg("json"), "response_format": fmt},
                              {"messages": _msg("never-json"), "response_format": fmt, "json_retries": 0}])
    assert batch[0].data == {"city": "Paris"} and batch[0].cached  # the cached valid answer is re-used
    assert not batch[1].ok and "JSON schema" in batch[1].error
    assert len(_Server.hits) == 5 and client.usage.structured_failures == 2  # both answered from the cache


def test_parse_json_answer_cases():
    assert parse_json_answer('{"city": "Rome"}', SCHEMA) == ({"city": "Rome"}, None)
    assert parse_json_answer('Here: {"city": "Rome"} ok', SCHEMA)[0] == {"city": "Rome"}
    assert parse_json_answer('{"city": 3}', SCHEMA)[1].startswith("schema:")
    assert parse_json_answer("no json", SCHEMA)[1].startswith("not JSON")
    assert parse_json_answer("[1, 2]", {"type": "array"}) == ([1, 2], None)


def test_local_model_structured_output_retries_until_valid(tmp_path):
    """Real SmolLM2-135M: its greedy first answer misses a required key; a re-ask with another seed fits."""
    pytest.importorskip("torch")
    pytest.importorskip("jsonschema")
    import jsonschema

    schema = {"type": "object", "required": ["city", "country"],
              "properties": {"city": {"type": "string"}, "country": {"type": "string"}}}
    fmt = json_schema_format(schema)
    client = LLMClient(model="smollm2", cache=ResponseCache(tmp_path / "c.sqlite"))
    msgs = _msg("Name a city in Italy.")
    with pytest.raises(LLMError, match="after 1 attempts"):  # the first (greedy) answer alone is not valid
        client.chat(msgs, max_tokens=24, response_format=fmt, json_retries=0)
    assert client.usage.structured_failures == 1 and client.usage.calls == 1
    out = client.chat(msgs, max_tokens=24, response_format=fmt, json_retries=3)
    jsonschema.validate(out.data, schema)
    assert out.data == json.loads(out.text[out.text.index("{"):out.text.rindex("}") + 1])
    retried = client.usage.structured_retries
    assert retried >= 1 and client.usage.cache_hits == 1  # attempt 0 came from the cache
    assert client.usage.calls == 1 + retried


def test_a_closed_port_fails_fast_for_every_request():
    """Nothing listens: two attempts, then every later request to that endpoint fails at once (no retry storm)."""
    import socket
    import time

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    client = LLMClient(model="openai:x", base_url=f"http://127.0.0.1:{port}/v1", cache=False, backoff=0.05)
    t0 = time.perf_counter()
    outs = client.chat_many([{"messages": [{"role": "user", "content": "hi"}]}] * 20, concurrency=1)
    assert time.perf_counter() - t0 < 5
    assert all(not o.ok and "connection refused" in o.error or "cannot connect" in o.error for o in outs)
    assert client.usage.retries <= 2
