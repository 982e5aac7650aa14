"""The one LLM client (DESIGN.md): OpenAI-compatible endpoints and local transformers models behind one
call, with a persistent response cache and retries. Used by the judge backend and by the generators.

* ``openai:MODEL`` talks to an OpenAI-compatible ``/chat/completions`` endpoint (OpenAI, vLLM, Ollama,
  llama.cpp server, TGI); ``--base-url`` names it, the API key comes from an environment variable
  (``OPENAI_API_KEY`` by default) and is never printed or cached.
* anything else (``smollm2`` by default, a Hugging Face id or a local path) runs locally via transformers.

Responses are cached in SQLite, keyed by backend, model, endpoint and the full request (messages,
temperature, seed, max tokens, stop, response format): a repeated request costs no call, a changed
parameter does. HTTP 429/5xx, timeouts and connection errors are retried with exponential backoff and
jitter (``Retry-After`` honoured); other errors fail at once with the endpoint's message.

For generation (survey section 2.1; tutorial section 3.7, hands-on): ``chat_many`` runs a batch with
bounded concurrency on remote endpoints (local models run one request at a time: they are CPU-bound),
returns results in input order and captures each request's failure in its :class:`Completion` instead of
raising; ``complete`` sends a raw prompt (no chat template: Magpie's pre-query template); a JSON-schema
``response_format`` is passed to the endpoint and, since local models and some endpoints ignore it, every
answer is validated (``jsonschema``) and re-asked with a changed seed up to ``json_retries`` times.
``usage`` counts calls, cache hits, retries, tokens and a cost estimate from an optional price table.
"""
from __future__ import annotations

import functools
import hashlib
import json
import math
import os
import random
import sqlite3
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from concurrent.futures import ThreadPoolExecutor, as_completed
from typing import Any, Callable, Sequence

from synthaudit.models._hf import cache_dir

RETRY_STATUS = frozenset({408, 409, 425, 429, 500, 502, 503, 504})


class LLMError(RuntimeError):
    """A request that failed for good (after retries, or at once for a non-retryable status). ``text``: the last
    answer when there was one (a structured answer that does not match its schema), so that callers can count it."""

    def __init__(self, message: str, text: str = "") -> None:
        super().__init__(message)
        self.text = text


@dataclass
class Completion:
    text: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached: bool = False
    finish_reason: str | None = None
    data: Any = None  # the parsed JSON answer of a structured (JSON-schema) request
    error: str | None = None  # set by ``chat_many`` when this request failed for good (text is then "")

    @property
    def ok(self) -> bool:
        return self.error is None


_COUNTERS = ("calls", "cache_hits", "retries", "errors", "prompt_tokens", "completion_tokens",
             "structured_retries", "structured_failures")


@dataclass
class Usage:
    """What a client spent. ``price_in``/``price_out``: USD per 1M prompt/completion tokens (optional);
    cache hits cost nothing and are not counted in the tokens."""

    calls: int = 0
    cache_hits: int = 0
    retries: int = 0
    errors: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    structured_retries: int = 0  # answers that failed JSON-schema validation and were asked again
    structured_failures: int = 0  # structured requests with no valid answer after every retry
    price_in: float | None = None
    price_out: float | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add(self, **counts: int) -> None:
        """Thread-safe increments (``chat_many`` runs requests in threads)."""
        with self._lock:
            for name, value in counts.items():
                setattr(self, name, getattr(self, name) + int(value))

    @property
    def cost(self) -> float | None:
        """Estimated USD cost, or None without a price table."""
        if self.price_in is None and self.price_out is None:
            return None
        return (self.prompt_tokens * (self.price_in or 0.0) + self.completion_tokens * (self.price_out or 0.0)) / 1e6

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {name: getattr(self, name) for name in _COUNTERS}
        if self.cost is not None:
            out["cost_usd"] = round(self.cost, 6)
        return out

    def summary(self) -> str:
        """One line for the end of a run, e.g. '12 calls (3 cached), 1,200 + 340 tokens, ~$0.0004'."""
        parts = [f"{self.calls} calls ({self.cache_hits} cached)",
                 f"{self.prompt_tokens:,} prompt + {self.completion_tokens:,} completion tokens"]
        if self.retries:
            parts.append(f"{self.retries} retries")
        if self.structured_retries or self.structured_failures:
            parts.append(f"{self.structured_retries} JSON re-asks, {self.structured_failures} without valid JSON")
        if self.errors:
            parts.append(f"{self.errors} failed")
        if self.cost is not None:
            parts.append(f"est. cost ${self.cost:.4f}")
        return ", ".join(parts)


class ResponseCache:
    """A SQLite table request-key -> response JSON (safe across threads and processes)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        with self._connect() as db:
            db.execute("CREATE TABLE IF NOT EXISTS responses (key TEXT PRIMARY KEY, response TEXT NOT NULL)")

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=30)

    def get(self, key: str) -> dict | None:
        with self._lock, self._connect() as db:
            row = db.execute("SELECT response FROM responses WHERE key = ?", (key,)).fetchone()
        return json.loads(row[0]) if row else None

    def put(self, key: str, response: dict) -> None:
        with self._lock, self._connect() as db:
            db.execute("INSERT OR REPLACE INTO responses VALUES (?, ?)", (key, json.dumps(response)))


@dataclass
class LLMClient:
    """``chat(messages, ...)`` for local and remote models, cached and retried."""

    model: str = "smollm2"
    base_url: str | None = None
    api_key_env: str = "OPENAI_API_KEY"
    cache: ResponseCache | None | bool = True
    timeout: float = 60.0
    max_retries: int = 5
    backoff: float = 1.0
    usage: Usage = field(default_factory=Usage)
    #: local models: prompts ``chat_many`` generates together in one batch (several times the tokens per CPU
    #: second). 1 (default) keeps every answer reproducible from its own request and seed alone; with batches,
    #: an answer depends on its batch (the same requests still give the same answers)
    local_batch: int = 1
    _local: Any = field(default=None, repr=False)
    _unreachable: dict[str, str] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if self.cache is True:
            self.cache = ResponseCache(cache_dir() / "llm-cache.sqlite")
        elif self.cache is False:
            self.cache = None
        self.remote = self.model.startswith("openai:")
        if self.remote and not self.base_url:
            self.base_url = os.environ.get("OPENAI_BASE_URL", "https://api.openai.com/v1")

    @property
    def model_name(self) -> str:
        return self.model.split(":", 1)[1] if self.remote else self.model

    @property
    def name(self) -> str:
        return f"{self.model_name} @ {self.base_url}" if self.remote else self.local.name

    @property
    def local(self):
        """The local transformers model (loaded on first use)."""
        if self._local is None:
            from synthaudit.models.causal_lm import TransformersLM

            self._local = TransformersLM(None if self.model in ("smollm2", "local") else
                                         self.model.removeprefix("local:"))
        return self._local

    # -- requests ----------------------------------------------------------------------------------
    def chat(self, messages: Sequence[dict[str, str]], *, temperature: float = 0.0, max_tokens: int = 256,
             seed: int = 0, stop: Sequence[str] = (), response_format: dict | None = None,
             json_retries: int = 2) -> Completion:
        """One chat request. With a JSON-schema ``response_format`` the answer is validated and, when it is
        not valid, asked again with seed+1, seed+2, ... (and a temperature of at least 0.7, so that a greedy
        local model answers differently) up to ``json_retries`` times; ``Completion.data`` holds the parsed
        JSON. Raises :class:`LLMError` when the request fails for good."""
        schema = schema_of(response_format)
        last = ""
        for attempt in range(json_retries + 1 if schema is not None else 1):
            temp = float(temperature) if attempt == 0 else max(float(temperature), 0.7)
            request = chat_request(messages, temperature=temp, max_tokens=max_tokens, seed=int(seed) + attempt,
                                   stop=stop, response_format=response_format)
            done = self._cached(request, self._remote_chat if self.remote else self._local_chat)
            if schema is None:
                return done
            data, last = parse_json_answer(done.text, schema)
            if last is None:
                done.data = data
                return done
            if attempt < json_retries:
                self.usage.add(structured_retries=1)
        self.usage.add(structured_failures=1)
        raise LLMError(f"no answer matching the JSON schema after {json_retries + 1} attempts; last: {last}",
                       text=done.text)

    def complete(self, prompt: str, *, temperature: float = 0.0, max_tokens: int = 256, seed: int = 0,
                 stop: Sequence[str] = ()) -> Completion:
        """A raw completion of ``prompt`` (no chat template), cached like chat requests: local models via
        ``TransformersLM.generate``, endpoints via ``/completions`` (vLLM, llama.cpp server, TGI)."""
        request = complete_request(prompt, temperature=temperature, max_tokens=max_tokens, seed=seed, stop=stop)
        return self._cached(request, self._remote_complete if self.remote else self._local_complete)

    def chat_many(self, requests: Sequence[dict[str, Any]], *, concurrency: int = 4,
                  progress: Callable[[int, Completion], None] | None = None) -> list[Completion]:
        """Run many requests; results in input order. Each request is a dict of ``chat`` keyword arguments
        (``messages``, ``temperature``, ...) or of ``complete`` ones (``prompt``, ...). A request that fails
        for good gives a Completion with ``error`` set (and the last answer's text, if any); the others go on.
        Remote endpoints get up to ``concurrency`` requests at a time; a local model generates the uncached ones in
        batches of ``local_batch`` prompts (same temperature and length; the batch is seeded by its first request, so
        the same requests give the same text). ``progress(index, completion)`` is called as each request
        finishes."""
        results: list[Completion | None] = [None] * len(requests)

        def one(i: int) -> Completion:
            req = dict(requests[i])
            try:
                out = self.complete(**req) if "prompt" in req else self.chat(**req)
            except LLMError as exc:  # the last answer's text is kept (a structured answer that failed)
                out = Completion(text=exc.text, error=str(exc))
            results[i] = out
            return out

        if self.remote and concurrency > 1 and len(requests) > 1:
            with ThreadPoolExecutor(max_workers=min(int(concurrency), len(requests))) as pool:
                futures = {pool.submit(one, i): i for i in range(len(requests))}
                for fut in as_completed(futures):
                    out = fut.result()
                    if progress is not None:
                        progress(futures[fut], out)
        elif not self.remote and self.local_batch > 1 and len(requests) > 1:
            self._local_batches(requests, results, progress)
        else:
            for i in range(len(requests)):
                out = one(i)
                if progress is not None:
                    progress(i, out)
        return [r if r is not None else Completion(text="", error="not run") for r in results]

    def _local_batches(self, requests: Sequence[dict[str, Any]], results: list[Completion | None],
                       progress: Callable[[int, Completion], None] | None) -> None:
        """``chat_many`` on a local model: cached answers first, then the rest in batches."""
        lm = self.local
        todo: dict[tuple, list[tuple[int, str, dict, str]]] = {}
        for i, req in enumerate(requests):
            if "prompt" in req:
                request = complete_request(**req)
                prompt = request["prompt"]
            else:
                request = chat_request(**{k: v for k, v in req.items() if k != "json_retries"})
                prompt = lm.chat_prompt(self._with_schema_instruction(request))
            key = self.cache_key(request)
            hit = self.cache.get(key) if self.cache is not None else None
            if hit is not None:
                self.usage.add(cache_hits=1)
                results[i] = self._finish_structured(Completion(**{**hit, "cached": True}), request)
                if progress is not None:
                    progress(i, results[i])
                continue
            group = (request["temperature"], request["max_tokens"], json.dumps(request.get("response_format"),
                                                                               sort_keys=True))
            todo.setdefault(group, []).append((i, key, request, prompt))
        for items in todo.values():
            # balanced batches (100 prompts at 32: 4 x 25, not 32+32+32+4): a batch costs its longest answer
            # times its size, and a small last batch runs as many steps at a fraction of the throughput
            size = math.ceil(len(items) / math.ceil(len(items) / self.local_batch))
            for start in range(0, len(items), size):
                chunk = items[start:start + size]
                first = chunk[0][2]
                schema = schema_of(first.get("response_format"))
                outs = lm.generate_batch([p for _, _, _, p in chunk], max_tokens=first["max_tokens"],
                                         temperature=first["temperature"], seed=first["seed"],
                                         stop=first["stop"], json_schema=self._constraint(schema))
                for (i, key, request, _), (text, n_in, n_out) in zip(chunk, outs):
                    done = Completion(text=text, prompt_tokens=n_in, completion_tokens=n_out,
                                      finish_reason="length" if n_out >= request["max_tokens"] else "stop")
                    self.usage.add(calls=1, prompt_tokens=n_in, completion_tokens=n_out)
                    if self.cache is not None:
                        self.cache.put(key, {k: v for k, v in done.__dict__.items()
                                             if k not in ("cached", "data", "error")})
                    results[i] = self._finish_structured(done, request)
                    if progress is not None:
                        progress(i, results[i])

    def _with_schema_instruction(self, request: dict) -> list[dict]:
        """The messages, with the JSON instruction first unless the schema is enforced while decoding."""
        schema = schema_of(request.get("response_format"))
        messages = list(request["messages"])
        if schema is None or self._constraint(schema) is not None:
            return messages
        return [{"role": "system", "content": _json_instruction(schema)}] + messages

    def _constraint(self, schema: dict | None) -> dict | None:
        """The schema to enforce while decoding locally (None when lm-format-enforcer is not installed or cannot
        build a parser for the schema: the answer is then only validated)."""
        if schema is None:
            return None
        return schema if constraint_problem(schema) is None else None

    def _finish_structured(self, done: Completion, request: dict) -> Completion:
        schema = schema_of(request.get("response_format"))
        if schema is not None and done.error is None:
            data, reason = parse_json_answer(done.text, schema)
            if reason is None:
                done.data = data
            else:
                self.usage.add(structured_failures=1)
                done.error = f"no answer matching the JSON schema: {reason}"
        return done

    def _cached(self, request: dict, run: Callable[[dict], Completion]) -> Completion:
        key = self.cache_key(request)
        if self.cache is not None:
            hit = self.cache.get(key)
            if hit is not None:
                self.usage.add(cache_hits=1)
                return Completion(**{**hit, "cached": True})
        done = run(request)
        self.usage.add(calls=1, prompt_tokens=done.prompt_tokens, completion_tokens=done.completion_tokens)
        if self.cache is not None:
            self.cache.put(key, {k: v for k, v in done.__dict__.items() if k not in ("cached", "data", "error")})
        return done

    def option_logprobs(self, messages: Sequence[dict[str, str]], options: Sequence[str]) -> list[float]:
        """Log-probability of each option as the local model's answer to ``messages`` (constrained choice,
        e.g. the digits of a judge's scale); cached like chat requests."""
        if self.remote:
            raise LLMError("option log-probabilities need a local model; remote judges answer in text")
        request = {"kind": "option_logprobs", "messages": list(messages), "options": list(options)}
        key = self.cache_key(request)
        if self.cache is not None:
            hit = self.cache.get(key)
            if hit is not None:
                self.usage.add(cache_hits=1)
                return list(hit["logprobs"])
        lm = self.local
        values = [float(v) for v in lm.option_logprobs(lm.chat_prompt(list(messages)), list(options))]
        self.usage.add(calls=1)
        if self.cache is not None:
            self.cache.put(key, {"logprobs": values})
        return values

    def cache_key(self, request: dict) -> str:
        ident = {"backend": "openai" if self.remote else "local", "model": self.model_name,
                 "base_url": self.base_url if self.remote else None, "request": request}
        if not self.remote and self._constraint(schema_of(request.get("response_format"))) is not None:
            ident["decoding"] = "schema-constrained"  # not the answers of unconstrained decoding
        return hashlib.sha256(json.dumps(ident, sort_keys=True, ensure_ascii=False).encode()).hexdigest()

    def _local_chat(self, request: dict) -> Completion:
        lm = self.local
        messages = request["messages"]
        schema = schema_of(request["response_format"])
        if schema is None:
            return self._local_complete({**request, "prompt": lm.chat_prompt(messages)})
        if self._constraint(schema) is not None:  # schema-constrained decoding: every answer parses
            prompt = lm.chat_prompt(self._with_schema_instruction(request))
            text, n_in, n_out = lm.generate(prompt, max_tokens=request["max_tokens"],
                                            temperature=request["temperature"], seed=request["seed"],
                                            stop=request["stop"], json_schema=schema)
            return Completion(text=text, prompt_tokens=n_in, completion_tokens=n_out,
                              finish_reason="length" if n_out >= request["max_tokens"] else "stop")
        # without lm-format-enforcer: say what is wanted and start the answer with "{" (prefill)
        messages = [{"role": "system", "content": _json_instruction(schema)}] + list(messages)
        prefill = "{" if schema.get("type", "object") == "object" else ""
        done = self._local_complete({**request, "prompt": lm.chat_prompt(messages) + prefill})
        done.text = prefill + done.text
        return done

    def _local_complete(self, request: dict) -> Completion:
        text, n_in, n_out = self.local.generate(request["prompt"], max_tokens=request["max_tokens"],
                                                temperature=request["temperature"], seed=request["seed"],
                                                stop=request["stop"])
        return Completion(text=text, prompt_tokens=n_in, completion_tokens=n_out,
                          finish_reason="length" if n_out >= request["max_tokens"] else "stop")

    def _remote_chat(self, request: dict) -> Completion:
        body = {"model": self.model_name, "messages": request["messages"], "temperature": request["temperature"],
                "max_tokens": request["max_tokens"], "seed": request["seed"]}
        if request["stop"]:
            body["stop"] = request["stop"]
        if request["response_format"]:
            body["response_format"] = request["response_format"]
        url = self.base_url.rstrip("/") + "/chat/completions"
        return _parse_chat(self._post(url, body), url)

    def _remote_complete(self, request: dict) -> Completion:
        body = {"model": self.model_name, "prompt": request["prompt"], "temperature": request["temperature"],
                "max_tokens": request["max_tokens"], "seed": request["seed"]}
        if request["stop"]:
            body["stop"] = request["stop"]
        url = self.base_url.rstrip("/") + "/completions"
        return _parse_completion(self._post(url, body), url)

    def _post(self, url: str, body: dict) -> dict:
        headers = {"Content-Type": "application/json"}
        key = os.environ.get(self.api_key_env)
        if key:
            headers["Authorization"] = f"Bearer {key}"
        data = json.dumps(body).encode()
        last = "no attempt"
        if url in self._unreachable:  # refused before: fail at once rather than retry every request for minutes
            self.usage.add(errors=1)
            raise LLMError(f"{url}: cannot connect ({self._unreachable[url]}); is the server running?")
        refused = 0
        for attempt in range(self.max_retries + 1):
            wait = None
            try:
                req = urllib.request.Request(url, data=data, headers=headers, method="POST")
                with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                    return json.loads(resp.read().decode("utf-8"))
            except urllib.error.HTTPError as exc:
                detail = exc.read().decode("utf-8", "replace")[:300]
                last = f"HTTP {exc.code}: {detail}"
                if exc.code not in RETRY_STATUS:
                    self.usage.add(errors=1)
                    raise LLMError(f"{url}: {last}") from None
                retry_after = exc.headers.get("Retry-After") if exc.headers else None
                wait = float(retry_after) if retry_after and retry_after.replace(".", "", 1).isdigit() else None
            except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
                last = f"{type(exc).__name__}: {getattr(exc, 'reason', exc)}"
                if isinstance(getattr(exc, "reason", exc), ConnectionRefusedError):
                    refused += 1
                    if refused >= REFUSED_ATTEMPTS:  # nothing listens there: a retry storm would not help
                        self._unreachable[url] = "connection refused"
                        self.usage.add(errors=1)
                        raise LLMError(f"{url}: cannot connect (connection refused after {refused} attempts); is "
                                       "the server running?") from None
            except json.JSONDecodeError:
                last = "the endpoint answered with malformed JSON"
            if attempt < self.max_retries:
                self.usage.add(retries=1)
                time.sleep(wait if wait is not None else self.backoff * (2 ** attempt) * (0.5 + random.random()))
        self.usage.add(errors=1)
        raise LLMError(f"{url}: gave up after {self.max_retries + 1} attempts; last error: {last}")


#: connection attempts before an endpoint that refuses connections is given up for the rest of the run
REFUSED_ATTEMPTS = 2


def _usage_of(payload: dict) -> tuple[int, int]:
    usage = payload.get("usage") or {}
    return int(usage.get("prompt_tokens") or 0), int(usage.get("completion_tokens") or 0)


def _parse_chat(payload: dict, url: str) -> Completion:
    try:
        choice = payload["choices"][0]
        text = choice["message"]["content"] or ""
    except (KeyError, IndexError, TypeError):
        raise LLMError(f"{url}: the response has no choices[0].message.content") from None
    n_in, n_out = _usage_of(payload)
    return Completion(text=text, prompt_tokens=n_in, completion_tokens=n_out, finish_reason=choice.get("finish_reason"))


def _parse_completion(payload: dict, url: str) -> Completion:
    try:
        choice = payload["choices"][0]
        text = choice["text"] or ""
    except (KeyError, IndexError, TypeError):
        raise LLMError(f"{url}: the response has no choices[0].text") from None
    n_in, n_out = _usage_of(payload)
    return Completion(text=text, prompt_tokens=n_in, completion_tokens=n_out, finish_reason=choice.get("finish_reason"))


# -- structured output ---------------------------------------------------------------------------------
def chat_request(messages: Sequence[dict[str, str]], *, temperature: float = 0.0, max_tokens: int = 256,
                 seed: int = 0, stop: Sequence[str] = (), response_format: dict | None = None) -> dict[str, Any]:
    """The normalised chat request: what is sent, and (through ``cache_key``) what the cache is keyed by."""
    return {"messages": list(messages), "temperature": float(temperature), "max_tokens": int(max_tokens),
            "seed": int(seed), "stop": list(stop), "response_format": response_format}


def complete_request(prompt: str, *, temperature: float = 0.0, max_tokens: int = 256, seed: int = 0,
                     stop: Sequence[str] = ()) -> dict[str, Any]:
    """The normalised raw-completion request (cache key as for :func:`chat_request`)."""
    return {"kind": "complete", "prompt": str(prompt), "temperature": float(temperature),
            "max_tokens": int(max_tokens), "seed": int(seed), "stop": list(stop)}


def json_schema_format(schema: dict, name: str = "answer") -> dict:
    """The OpenAI ``response_format`` asking for JSON matching ``schema``."""
    return {"type": "json_schema", "json_schema": {"name": name, "schema": schema, "strict": False}}


def schema_of(response_format: dict | None) -> dict | None:
    """The JSON schema inside a ``response_format`` ({} for plain ``json_object``; None when there is none)."""
    if not response_format:
        return None
    if response_format.get("type") == "json_schema":
        return dict((response_format.get("json_schema") or {}).get("schema") or {})
    if response_format.get("type") == "json_object":
        return {"type": "object"}
    return None


def _json_instruction(schema: dict) -> str:
    props = schema.get("properties") or {}
    if props and schema.get("type", "object") == "object":
        keys = ", ".join(f'"{k}" ({v.get("type", "any") if isinstance(v, dict) else "any"})' for k, v in props.items())
        return f"Answer with one JSON object only, with the keys {keys}."
    return "Answer with JSON only, matching this JSON schema: " + json.dumps(schema)


def parse_json_answer(text: str, schema: dict) -> tuple[Any, str | None]:
    """(parsed value, None) when ``text`` holds JSON matching ``schema``, else (None, reason). A fenced
    code block or prose around one JSON object is tolerated: the outermost {...} (or [...]) is read."""
    raw = text.strip()
    if raw.startswith("```"):
        raw = raw.strip("`").removeprefix("json").strip()
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        value = embedded_json(raw)
        if value is None:
            return None, f"not JSON: {text[:80]!r}"
    try:
        import jsonschema
    except ImportError:  # without jsonschema only the required keys of an object schema are checked
        missing = [k for k in schema.get("required", []) if not isinstance(value, dict) or k not in value]
        return (None, f"missing keys {missing}") if missing else (value, None)
    try:
        jsonschema.validate(value, schema)
    except jsonschema.ValidationError as exc:
        return None, f"schema: {exc.message[:120]}"
    return value, None


def embedded_json(text: str, brackets: tuple[tuple[str, str], ...] = (("{", "}"), ("[", "]"))) -> Any:
    """The JSON value between the first opening and the last closing bracket of ``text`` (prose or a fence around
    it), trying ``brackets`` in order; None when none parses."""
    for open_, close in brackets:
        i, j = text.find(open_), text.rfind(close)
        if 0 <= i < j:
            try:
                return json.loads(text[i:j + 1])
            except json.JSONDecodeError:
                continue
    return None


@functools.lru_cache(maxsize=64)
def _constraint_problem(canonical: str) -> str | None:
    import importlib.util

    if importlib.util.find_spec("lmformatenforcer") is None:
        return "lm-format-enforcer is not installed"
    schema = json.loads(canonical)
    if not isinstance(schema, dict):
        return "the schema is not an object"
    from lmformatenforcer import JsonSchemaParser

    try:
        JsonSchemaParser(schema)
    except Exception as exc:  # noqa: BLE001 - its parser fails with assorted errors on keywords it lacks
        return f"lm-format-enforcer cannot build a parser for the schema ({type(exc).__name__}: {exc})"
    return None


def constraint_problem(schema: Any) -> str | None:
    """Why schema-constrained decoding (lm-format-enforcer) cannot enforce ``schema`` on a local model; None when
    it builds a parser for it (memoised per schema)."""
    try:
        canonical = json.dumps(schema, sort_keys=True)
    except (TypeError, ValueError):
        return "the schema is not JSON"
    return _constraint_problem(canonical)
