"""Series written by an LLM shown a few real ones (tutorial: sequential data, prompt-based generators; issue #17).

Each request shows ``shots`` real series (drawn per request with a seeded generator; values rounded to
``decimals``, at most ``max_shown_steps`` steps each, as a JSON list of time steps, each a list of the channel
values in the order of the named channels) and asks for one new series of a target length (drawn from the real
lengths unless given) as JSON. Answers are parsed leniently (code fences, prose around the list, a one-key
object holding the list, a flat list for one channel, the complete rows of a truncated list) and rejected, with
the reason counted, when they are not a numeric list with the right channel count, are shorter than the target
(longer ones are cut), or hold NaN/inf/null. ``stats`` keeps asked, accepted, rejected by reason and the tokens
the client reports; ``accepted + sum(rejected) == asked`` always holds.

The client is :class:`synthaudit.models.llm.LLMClient` (local ``smollm2`` by default, any Hugging Face id, or
``openai:MODEL`` at an OpenAI-compatible endpoint). Output depends only on the seed, the client and the real
series set (kept in a canonical order), not on the order of the input list.
"""
from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from synthaudit.generate.timeseries.adapter import draw_lengths, series_set
from synthaudit.models.llm import embedded_json

PROMPT_VERSION = "1"
_FENCE = re.compile(r"```[^\n`]*\n?(.*?)(?:```|\Z)", re.S)
_ROW = re.compile(r"\[\s*([^\[\]]*?)\s*\]")


@dataclass
class SeriesStats:
    asked: int = 0
    accepted: int = 0
    rejected: Counter = field(default_factory=Counter)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {"asked": self.asked, "accepted": self.accepted, "rejected": dict(self.rejected),
                "prompt_tokens": self.prompt_tokens, "completion_tokens": self.completion_tokens,
                "cached": self.cached}


def _load(text: str) -> Any:
    m = _FENCE.search(text)
    body = (m.group(1) if m else text).strip()
    try:
        return json.loads(body)
    except json.JSONDecodeError:
        pass
    found = embedded_json(body, (("[", "]"), ("{", "}")))  # a list first: the answer is a list of rows
    if found is not None:
        return found
    start = body.find("[[")
    if start >= 0:  # a truncated list of rows: keep the complete rows
        rows = []
        for r in _ROW.findall(body[start + 1:]):
            try:
                rows.append(json.loads(f"[{r}]"))
            except json.JSONDecodeError:
                break
        if rows:
            return rows
    return None


def parse_series(text: str, channels: int, length: int) -> tuple[np.ndarray | None, str | None]:
    """(series of shape (length, channels), None) from a model answer, or (None, reason) with reason one of
    ``not JSON``, ``not a numeric list``, ``wrong channel count``, ``non-finite value``, ``too short``."""
    value = _load(text or "")
    if value is None:
        return None, "not JSON"
    if isinstance(value, dict):
        lists = [v for v in value.values() if isinstance(v, list)]
        if len(lists) != 1:
            return None, "not a numeric list"
        value = lists[0]
    if not isinstance(value, list) or not value:
        return None, "not a numeric list" if not isinstance(value, list) else "too short"

    def num(v: Any) -> bool:
        return v is None or (isinstance(v, (int, float)) and not isinstance(v, bool))

    if channels == 1 and all(num(v) for v in value):
        rows = [[v] for v in value]
    elif all(isinstance(r, list) for r in value):
        if not all(num(v) for r in value for v in r):
            return None, "not a numeric list"
        if any(len(r) != channels for r in value):
            return None, "wrong channel count"
        rows = value
    elif all(num(v) for v in value):
        return None, "wrong channel count"
    else:
        return None, "not a numeric list"
    if any(v is None or not math.isfinite(v) for r in rows for v in r):
        return None, "non-finite value"
    if len(rows) < length:
        return None, "too short"
    return np.asarray(rows[:length], dtype=float), None


def _shown(a: np.ndarray, decimals: int, steps: int) -> str:
    rows = [[None if np.isnan(v) else round(float(v), decimals) for v in r] for r in a[:steps]]
    return json.dumps(rows, separators=(",", ":"))


class LLMSeriesGenerator:
    """``fit(series, channels=None)`` then ``sample(n, lengths=None)`` -> the accepted series (``stats`` counts
    the rest). ``max_tokens`` None: about ``length * channels * (decimals + 4) + 2 * length + 16``."""

    def __init__(self, client: Any, seed: int = 0, *, shots: int = 3, decimals: int = 2, max_shown_steps: int = 32,
                 temperature: float = 0.7, max_tokens: int | None = None, concurrency: int = 4) -> None:
        self.client, self.seed, self.shots, self.decimals = client, int(seed), max(1, int(shots)), int(decimals)
        self.max_shown_steps, self.temperature = max(1, int(max_shown_steps)), float(temperature)
        self.max_tokens, self.concurrency = max_tokens, int(concurrency)
        self.real: list[np.ndarray] = []
        self.stats = SeriesStats()

    def fit(self, series: Sequence[np.ndarray], channels: Sequence[str] | None = None) -> "LLMSeriesGenerator":
        self.real = series_set(series)
        k = self.real[0].shape[1]
        self.channels = list(channels) if channels is not None else [f"c{j}" for j in range(k)]
        if len(self.channels) != k:
            raise ValueError(f"channels: expected {k} names (one per channel), got {len(self.channels)}")
        return self

    def prompt(self, examples: Sequence[np.ndarray], length: int) -> str:
        k = len(self.channels)
        text = (f"Here are example time series with {k} channel(s): {', '.join(self.channels)}. Each series is a "
                f"JSON list of time steps; each time step is a list of {k} number(s) in that channel order.\n")
        text += "".join(f"Example {i + 1}: {_shown(a, self.decimals, self.max_shown_steps)}\n"
                        for i, a in enumerate(examples))
        return text + (f"Write one new series like these with exactly {length} time steps, in the same format. "
                       "Answer with the JSON list only.")

    def sample(self, n: int, lengths: int | Sequence[int] | None = None, seed: int | None = None) -> list[np.ndarray]:
        if not self.real:
            raise ValueError("call fit(series) before sample(n)")
        seed = self.seed if seed is None else int(seed)
        targets = draw_lengths([len(a) for a in self.real], n, lengths, np.random.default_rng(seed))
        k, reqs = len(self.channels), []
        for i, length in enumerate(targets):
            rng = np.random.default_rng([seed, i])
            pick = rng.choice(len(self.real), size=min(self.shots, len(self.real)), replace=False)
            tokens = self.max_tokens or length * k * (self.decimals + 4) + 2 * length + 16
            reqs.append({"messages": [{"role": "user", "content": self.prompt([self.real[j] for j in pick], length)}],
                         "temperature": self.temperature, "max_tokens": int(tokens), "seed": seed + i})
        comps = self.client.chat_many(reqs, concurrency=self.concurrency) if reqs else []
        out = []
        self.stats.asked += len(targets)
        for comp, length in zip(comps, targets):
            self.stats.prompt_tokens += int(getattr(comp, "prompt_tokens", 0) or 0)
            self.stats.completion_tokens += int(getattr(comp, "completion_tokens", 0) or 0)
            self.stats.cached += int(bool(getattr(comp, "cached", False)))
            if getattr(comp, "error", None):
                self.stats.rejected["llm_error"] += 1
                continue
            arr, reason = parse_series(comp.text, k, length)
            if arr is None:
                self.stats.rejected[reason] += 1
            else:
                self.stats.accepted += 1
                out.append(arr)
        return out


def llm_series(client: Any, real: Sequence[np.ndarray], n: int, seed: int = 0, *,
               channels: Sequence[str] | None = None, lengths: int | Sequence[int] | None = None,
               **opts: Any) -> tuple[list[np.ndarray], SeriesStats]:
    """Fit :class:`LLMSeriesGenerator` on ``real``, sample ``n``; returns (accepted series, stats)."""
    gen = LLMSeriesGenerator(client, seed, **opts).fit(real, channels)
    return gen.sample(n, lengths), gen.stats
