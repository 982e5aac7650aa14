"""Text generators (survey section 2.1; tutorial sections 3.5 and 3.7): Self-Instruct, Evol-Instruct, Magpie
and attribute-guided generation, each ``generate(client, n, seed, ...) -> iterator of records``; records
and rejects are told apart by a ``rejected`` key. ``synthaudit.generate.runner`` writes them restartably."""
from __future__ import annotations

from typing import Callable, Iterator

from synthaudit.generate.text import attribute_guided, evol_instruct, magpie, self_instruct
from synthaudit.generate.text.base import is_final, is_reject, record_id
from synthaudit.generate.text.rouge import rouge_l

METHODS: dict[str, Callable[..., Iterator[dict]]] = {
    "self_instruct": self_instruct.generate,
    "evol_instruct": evol_instruct.generate,
    "magpie": magpie.generate,
    "attribute": attribute_guided.generate,
}

__all__ = ["METHODS", "is_final", "is_reject", "record_id", "rouge_l"]
