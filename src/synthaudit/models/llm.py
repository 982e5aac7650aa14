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
"""
from __future__ import annotations

import hashlib
import json
import os
import random
import sqlite3
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

from synthaudit.models._hf import cache_dir

RETRY_STATUS = frozenset({408, 409, 425, 429, 500, 502, 503, 504})


class LLMError(RuntimeError):
    """A request that failed for good (after retries, or at once for a non-retryable status)."""


@dataclass
class Completion:
    text: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached: bool = False
    finish_reason: str | None = None


@dataclass
class Usage:
    calls: int = 0
    cache_hits: int = 0
    retries: int = 0
    errors: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


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
    _local: Any = field(default=None, repr=False)

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
             seed: int = 0, stop: Sequence[str] = (), response_format: dict | None = None) -> Completion:
        request = {"messages": list(messages), "temperature": float(temperature), "max_tokens": int(max_tokens),
                   "seed": int(seed), "stop": list(stop), "response_format": response_format}
        key = self.cache_key(request)
        if self.cache is not None:
            hit = self.cache.get(key)
            if hit is not None:
                self.usage.cache_hits += 1
                return Completion(**{**hit, "cached": True})
        done = self._remote_chat(request) if self.remote else self._local_chat(request)
        self.usage.calls += 1
        self.usage.prompt_tokens += done.prompt_tokens
        self.usage.completion_tokens += done.completion_tokens
        if self.cache is not None:
            self.cache.put(key, {k: v for k, v in done.__dict__.items() if k != "cached"})
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
                self.usage.cache_hits += 1
                return list(hit["logprobs"])
        lm = self.local
        values = [float(v) for v in lm.option_logprobs(lm.chat_prompt(list(messages)), list(options))]
        self.usage.calls += 1
        if self.cache is not None:
            self.cache.put(key, {"logprobs": values})
        return values

    def cache_key(self, request: dict) -> str:
        ident = {"backend": "openai" if self.remote else "local", "model": self.model_name,
                 "base_url": self.base_url if self.remote else None, "request": request}
        return hashlib.sha256(json.dumps(ident, sort_keys=True, ensure_ascii=False).encode()).hexdigest()

    def _local_chat(self, request: dict) -> Completion:
        lm = self.local
        text, n_in, n_out = lm.generate(lm.chat_prompt(request["messages"]), max_tokens=request["max_tokens"],
                                        temperature=request["temperature"], seed=request["seed"],
                                        stop=request["stop"])
        return Completion(text=text, prompt_tokens=n_in, completion_tokens=n_out, finish_reason="stop")

    def _remote_chat(self, request: dict) -> Completion:
        body = {"model": self.model_name, "messages": request["messages"], "temperature": request["temperature"],
                "max_tokens": request["max_tokens"], "seed": request["seed"]}
        if request["stop"]:
            body["stop"] = request["stop"]
        if request["response_format"]:
            body["response_format"] = request["response_format"]
        headers = {"Content-Type": "application/json"}
        key = os.environ.get(self.api_key_env)
        if key:
            headers["Authorization"] = f"Bearer {key}"
        url = self.base_url.rstrip("/") + "/chat/completions"
        data = json.dumps(body).encode()
        last = "no attempt"
        for attempt in range(self.max_retries + 1):
            wait = None
            try:
                req = urllib.request.Request(url, data=data, headers=headers, method="POST")
                with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                    payload = json.loads(resp.read().decode("utf-8"))
                return _parse_chat(payload, url)
            except urllib.error.HTTPError as exc:
                detail = exc.read().decode("utf-8", "replace")[:300]
                last = f"HTTP {exc.code}: {detail}"
                if exc.code not in RETRY_STATUS:
                    self.usage.errors += 1
                    raise LLMError(f"{url}: {last}") from None
                retry_after = exc.headers.get("Retry-After") if exc.headers else None
                wait = float(retry_after) if retry_after and retry_after.replace(".", "", 1).isdigit() else None
            except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
                last = f"{type(exc).__name__}: {getattr(exc, 'reason', exc)}"
            except json.JSONDecodeError:
                last = "the endpoint answered with malformed JSON"
            if attempt < self.max_retries:
                self.usage.retries += 1
                time.sleep(wait if wait is not None else self.backoff * (2 ** attempt) * (0.5 + random.random()))
        self.usage.errors += 1
        raise LLMError(f"{url}: gave up after {self.max_retries + 1} attempts; last error: {last}")


def _parse_chat(payload: dict, url: str) -> Completion:
    try:
        choice = payload["choices"][0]
        text = choice["message"]["content"] or ""
    except (KeyError, IndexError, TypeError):
        raise LLMError(f"{url}: the response has no choices[0].message.content") from None
    usage = payload.get("usage") or {}
    return Completion(text=text, prompt_tokens=int(usage.get("prompt_tokens") or 0),
                      completion_tokens=int(usage.get("completion_tokens") or 0),
                      finish_reason=choice.get("finish_reason"))
