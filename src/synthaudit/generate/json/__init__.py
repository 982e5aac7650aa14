"""JSON generation (survey section 5.2): documents written by an LLM for a JSON Schema, schema-constrained where
the backend supports it and otherwise validated and retried (``from_schema``), and flawed variants of valid
documents for demos and tests (``mutate``: type change, missing required field, extra property, enum violation,
broken syntax; no model). ``METHODS`` is the mapping the restartable runner takes:
``run_generation(method, client, ..., methods=METHODS)``."""
from __future__ import annotations

from typing import Any, Callable, Iterator

from synthaudit.generate.json.from_schema import from_schema, mutate

METHODS: dict[str, Callable[..., Iterator[dict[str, Any]]]] = {"from_schema": from_schema, "mutate": mutate}
#: methods that need no model
MODEL_FREE = ("mutate",)
