"""Log generation (survey section 5.2): template-and-variable generation fitted from real logs (``templates``:
template frequencies, per-slot value distributions, levels and components; no model; optional ``leak`` and
``collapse`` flaws for demos) and LLM-written lines given templates, checked against them (``llm``).
``METHODS`` is the mapping the restartable runner takes: ``run_generation(method, client, ..., methods=METHODS)``."""
from __future__ import annotations

from typing import Any, Callable, Iterator

from synthaudit.generate.logs.llm_logs import llm_logs
from synthaudit.generate.logs.templates import templates_method

METHODS: dict[str, Callable[..., Iterator[dict[str, Any]]]] = {"templates": templates_method, "llm": llm_logs}
#: methods that need no model
MODEL_FREE = ("templates",)
