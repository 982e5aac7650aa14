"""Attribute-guided generation (AttrPrompt, Yu et al., 2023; DataGen, tutorial section 3.5, ref. [7]): each
slot samples one value per attribute (topic, style, length, difficulty; from ``prompts/attribute.yaml`` or a
user YAML with the same keys), generates an instruction and a response for that combination, then verifies
the labels that can be checked cheaply and transparently:

* length: the response's word count is bucketed (``length_words``) and compared with the requested bucket;
* topic: one of the topic's keywords (``topic_keywords``) occurs in the instruction or the response.

Style and difficulty are not verified (they would need a judge). Records carry ``attributes`` and ``checks``;
with ``strict`` a record failing a check is rejected (reason ``unverified: ...``), else it is kept, flagged.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Iterator, Mapping

import yaml

from synthaudit.errors import InputError
from synthaudit.generate.text.base import Slot, TextMethod, clean_line, draft_error
from synthaudit.models.llm import LLMClient


def length_bucket(text: str, buckets: Mapping[str, list[int]]) -> str | None:
    words = len(text.split())
    for name, (lo, hi) in buckets.items():
        if lo <= words <= hi:
            return name
    return None


def topic_found(text: str, keywords: list[str]) -> bool:
    low = text.lower()
    return any(re.search(r"\b" + re.escape(k.lower()), low) for k in keywords)


class AttributeGuided(TextMethod):
    name = "attribute"
    prompts = "attribute"

    def __init__(self, client: LLMClient, seed: int = 0, *, attributes: str | Path | dict | None = None,
                 strict: bool = False, **kw) -> None:
        super().__init__(client, seed, **kw)
        spec = dict(self.prompt_file)
        if attributes is not None:
            user = attributes if isinstance(attributes, dict) else _read_yaml(Path(attributes))
            spec.update({k: v for k, v in user.items() if k in ("attributes", "length_words", "topic_keywords")})
        self.attributes: dict[str, list[str]] = {k: list(v) for k, v in spec["attributes"].items()}
        missing = {"topic", "style", "length", "difficulty"} - set(self.attributes)
        if missing:
            raise InputError(f"attributes lack {', '.join(sorted(missing))}", field="--attributes")
        self.length_words = spec["length_words"]
        self.keywords = spec.get("topic_keywords") or {}
        self.strict = strict

    def draft(self, slots: list[Slot]) -> list[dict]:
        combos = [{k: slot.rng.choice(v) for k, v in sorted(self.attributes.items())} for slot in slots]
        requests = [{"messages": [{"role": "user", "content": self.prompt_file["instruction"].format(**c)}]}
                    for c in combos]
        out = []
        for combo, comp in zip(combos, self.calls(requests, slots)):
            out.append({**(draft_error(comp) or {"instruction": clean_line(comp.text)}), "attributes": combo})
        return out

    def response_request(self, rec: dict) -> dict:
        a = rec["attributes"]
        hint = self.prompt_file["length_hint"].get(a["length"], f"{a['length']} length")
        prompt = self.prompt_file["response"].format(instruction=rec["instruction"], style=a["style"], length_hint=hint)
        return {"messages": [{"role": "user", "content": prompt}]}

    def check_response(self, rec: dict) -> str | None:
        reason = super().check_response(rec)
        if reason:
            return reason
        a = rec["attributes"]
        observed = length_bucket(rec["response"], self.length_words)
        kw = self.keywords.get(a["topic"])
        topic = None if kw is None else topic_found(rec["instruction"] + "\n" + rec["response"], kw)
        rec["checks"] = {"length": observed == a["length"], "observed_length": observed, "topic": topic}
        failed = [k for k in ("length", "topic") if rec["checks"][k] is False]
        return f"unverified: {', '.join(failed)}" if self.strict and failed else None


def _read_yaml(path: Path) -> dict:
    if not path.is_file():
        raise InputError("attribute file not found", file=str(path), field="--attributes")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise InputError(f"is not valid YAML ({exc.__class__.__name__})", file=str(path)) from None
    if not isinstance(data, dict) or not isinstance(data.get("attributes"), dict):
        raise InputError("expected a mapping with 'attributes: {name: [values]}'", file=str(path))
    return data


def generate(client: LLMClient, n: int, seed: int = 0, *, done: Mapping[str, dict] | None = None,
             max_attempts: int | None = None, **opts) -> Iterator[dict]:
    """Attribute-guided records ``{id, method, instruction, response, attributes, checks, ...}``."""
    return AttributeGuided(client, seed, **opts).run(n, done, max_attempts)
