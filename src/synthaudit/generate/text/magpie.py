"""Magpie (Xu et al., 2024; tutorial section 3.5, ref. [29]): an aligned chat model given only its pre-query
template — the text that precedes a user's message, e.g. SmolLM2's ``<|im_start|>user\\n`` after its system
turn — continues it with a plausible user query; that query is then sent as a normal chat message and the
answer is the response. Needs raw completions (``LLMClient.complete``): local models, or endpoints with
``/completions`` (pass the model's template as ``pre_query``)."""
from __future__ import annotations

from typing import Iterator, Mapping

from synthaudit.generate.text.base import Slot, TextMethod, draft_error
from synthaudit.models.llm import LLMClient

_MARK = "\x00MAGPIE-QUERY\x00"


def pre_query_template(client: LLMClient, default: str) -> str:
    """The text before a user message in the model's chat template (local models: read from the tokenizer)."""
    if client.remote:
        return default
    lm = client.local
    tok = getattr(lm, "tokenizer", None)
    if tok is None or not getattr(tok, "chat_template", None):
        return default
    full = tok.apply_chat_template([{"role": "user", "content": _MARK}], tokenize=False, add_generation_prompt=False)
    return full[:full.index(_MARK)] if _MARK in full else default


class Magpie(TextMethod):
    name = "magpie"
    prompts = "magpie"

    def __init__(self, client: LLMClient, seed: int = 0, *, pre_query: str | None = None,
                 query_temperature: float = 1.0, **kw) -> None:
        super().__init__(client, seed, **kw)
        self.pre_query = pre_query or pre_query_template(client, self.prompt_file["pre_query_template"])
        self.query_temperature = float(query_temperature)  # Magpie samples queries at temperature 1
        self.stops = list(self.prompt_file["stop"])

    def draft(self, slots: list[Slot]) -> list[dict]:
        requests = [{"prompt": self.pre_query, "temperature": self.query_temperature, "max_tokens": self.max_tokens,
                     "seed": s.seed, "stop": self.stops} for s in slots]
        out = []
        for comp in self.client.chat_many(requests, concurrency=self.concurrency):
            out.append(draft_error(comp) or {"instruction": comp.text.strip()})
        return out

    def base_record(self, slot: Slot) -> dict:
        return {**super().base_record(slot), "pre_query_template": self.pre_query}


def generate(client: LLMClient, n: int, seed: int = 0, *, done: Mapping[str, dict] | None = None,
             max_attempts: int | None = None, **opts) -> Iterator[dict]:
    """Magpie records ``{id, method, instruction, response, ...}`` (and rejects)."""
    return Magpie(client, seed, **opts).run(n, done, max_attempts)
