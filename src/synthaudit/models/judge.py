"""The LLM judge backend (``llm_judge``; survey sections 2.2-2.3): versioned prompt files rated through the
one LLM client (``models/llm.py``).

Local models are read G-Eval style: the judge's score is the probability-weighted mean of the scale's
digits, from the LM's log-probabilities of each digit as the answer (never off-format). Remote
endpoints answer in text; the first number on the scale is taken, and an answer without one is counted
in ``off_format`` and scored None (never silently dropped). Scores are returned rescaled to [0, 1].
"""
from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources
from typing import Any, Sequence

import numpy as np
import yaml

from synthaudit.models.llm import LLMClient

_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


@lru_cache(maxsize=None)
def load_prompt(prompt_id: str) -> dict[str, Any]:
    """A judge prompt shipped in ``synthaudit/models/prompts/<id>.yaml`` (id, version, scale, template)."""
    path = resources.files("synthaudit.models").joinpath("prompts", f"{prompt_id}.yaml")
    if not path.is_file():
        raise ValueError(f"no judge prompt {prompt_id!r}; shipped: {', '.join(prompt_ids())}")
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    lo, hi = doc["scale"]
    if not (isinstance(lo, int) and isinstance(hi, int) and lo < hi):
        raise ValueError(f"judge prompt {prompt_id}: scale must be two integers, low < high")
    return doc


def prompt_ids() -> list[str]:
    folder = resources.files("synthaudit.models").joinpath("prompts")
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".yaml"))


class LLMJudge:
    """Rates items with a versioned prompt; ``off_format`` counts answers that could not be read."""

    variant = "llm-judge"

    def __init__(self, client: LLMClient | None = None, max_tokens: int = 8) -> None:
        self.client = client or LLMClient()
        self.max_tokens = max_tokens
        self.off_format = 0
        self.rated = 0

    @property
    def name(self) -> str:
        mode = "remote, parsed answer" if self.client.remote else "local, probability-weighted digits"
        return f"LLM judge {self.client.name} ({mode})"

    def describe(self, prompt_id: str) -> str:
        p = load_prompt(prompt_id)
        return f"{p['id']} v{p['version']}, scale {p['scale'][0]}-{p['scale'][1]}"

    def rate(self, prompt_id: str, items: Sequence[dict[str, str]]) -> list[float | None]:
        prompt = load_prompt(prompt_id)
        lo, hi = prompt["scale"]
        out: list[float | None] = []
        for item in items:
            missing = [f for f in prompt["fields"] if f not in item]
            if missing:
                raise ValueError(f"judge prompt {prompt_id} needs fields {missing}")
            text = prompt["template"].format(**{f: item[f] or "" for f in prompt["fields"]})
            messages = [{"role": "user", "content": text}]
            score = self._local(messages, lo, hi) if not self.client.remote else self._remote(messages, lo, hi)
            self.rated += 1
            if score is None:
                self.off_format += 1
                out.append(None)
            else:
                out.append((score - lo) / (hi - lo))
        return out

    def _local(self, messages: list[dict[str, str]], lo: int, hi: int) -> float:
        digits = [str(k) for k in range(lo, hi + 1)]
        lp = np.asarray(self.client.option_logprobs(messages, digits))
        p = np.exp(lp - lp.max())
        p /= p.sum()
        return float(np.dot(p, np.arange(lo, hi + 1)))

    def _remote(self, messages: list[dict[str, str]], lo: int, hi: int) -> float | None:
        answer = self.client.chat(messages, temperature=0.0, max_tokens=self.max_tokens).text
        for m in _NUMBER.finditer(answer):
            v = float(m.group())
            if lo <= v <= hi:
                return v
        return None
