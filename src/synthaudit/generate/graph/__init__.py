"""Graph generation (survey section 5.1): random-graph models fitted to a real graph (``er``, ``ba``, ``sbm``)
and LLM-written edge lists and SMILES with parse-and-repair (``llm_edges``, ``llm_smiles``). ``METHODS`` is the
mapping the restartable runner takes: ``run_generation(method, client, ..., methods=METHODS)``."""
from __future__ import annotations

from functools import partial
from typing import Any, Callable, Iterator

from synthaudit.generate.graph.llm_graphs import llm_edges, llm_smiles
from synthaudit.generate.graph.random_models import generate as _random

METHODS: dict[str, Callable[..., Iterator[dict[str, Any]]]] = {
    "er": partial(_random, "er"), "ba": partial(_random, "ba"), "sbm": partial(_random, "sbm"),
    "llm_edges": llm_edges, "llm_smiles": llm_smiles}
RANDOM_METHODS = ("er", "ba", "sbm")
