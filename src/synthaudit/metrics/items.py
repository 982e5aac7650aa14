"""A record metric over parsed items (reasoning problems, graphs, ...): the shared state, failing rows and merges.

Subclasses parse a batch into items (``items``), score them (``evaluate``) and keep failing records, up to
``MAX_FAILURES``, with the reason (``add_row``); the report shows them first. Record numbers in those rows stay
positions in the whole input when it streams in batches or is sharded on Ray: ``update`` shifts a batch's rows by
the records this state has seen, ``merge`` shifts the second state's rows by the first's count.
"""
from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np

from synthaudit.metrics.registry import RecordMetric
from synthaudit.metrics.result import MetricResult

MAX_FAILURES = 50
SNIPPET = 160


def snippet(text: Any, n: int = SNIPPET) -> str | None:
    """One line of at most ``n`` characters (None stays None)."""
    if text is None:
        return None
    s = " ".join(str(text).split())
    return s if len(s) <= n else s[:n - 1] + "…"


def shift_records(rows: list[dict[str, Any]], offset: int) -> None:
    """Add ``offset`` to the 0-based record number of each row (in place)."""
    if offset:
        for r in rows:
            if isinstance(r.get("record"), int):
                r["record"] += offset


def merge_extra(a: dict, b: dict) -> dict:
    """Sum numbers and concatenate lists key by key (per-metric extra state)."""
    out = dict(a)
    for k, v in b.items():
        out[k] = v if k not in out else out[k] + v
    return out


class ItemMetric(RecordMetric):
    """Scores parsed items: subclasses implement ``items(inputs, batch, role)`` and ``evaluate(items, state)``."""

    #: the report's title of the rows this metric keeps
    breakdown_title = "Failing records, with the reason"
    #: the input role whose records are scored
    role = "synthetic"

    def items(self, inputs, batch, role: str) -> list[Any]:
        raise NotImplementedError

    def evaluate(self, items: list[Any], state: dict) -> np.ndarray:
        raise NotImplementedError

    def check(self, params: dict[str, Any], inputs=None) -> None:
        """Raise ValueError for invalid parameters (before any work)."""

    def setup(self, state: dict) -> None:
        """Per-state preparation (e.g. a parsed rule spec or a reference histogram) stored in ``state``."""

    def init(self, inputs, models) -> dict[str, Any]:
        params = inputs.params_for(self.spec.id, self.spec.default_params())
        self.check(params, inputs)
        state = {"scores": [], "inputs": inputs, "models": models, "params": params, "rows": [],
                 "counts": Counter(), "extra": {}}
        self.setup(state)
        return state

    def update(self, state: dict, role: str, batch) -> dict:
        items = self.items(state["inputs"], batch, self.role)
        seen, kept = sum(len(s) for s in state["scores"]), len(state["rows"])
        state["scores"].append(np.asarray(self.evaluate(items, state), dtype=float))
        shift_records(state["rows"][kept:], seen)  # batch positions -> positions in this state's records
        return state

    def merge(self, a: dict, b: dict) -> dict:
        rows_b = [dict(r) for r in b["rows"][:max(0, MAX_FAILURES - len(a["rows"]))]]
        shift_records(rows_b, sum(len(s) for s in a["scores"]))  # b's records come after a's
        return {**a, "scores": a["scores"] + b["scores"], "rows": a["rows"] + rows_b,
                "counts": a["counts"] + b["counts"], "extra": merge_extra(a["extra"], b["extra"])}

    def add_row(self, state: dict, row: dict[str, Any]) -> None:
        if len(state["rows"]) < MAX_FAILURES:
            state["rows"].append(row)

    def finalize(self, state, inputs, models) -> MetricResult:
        result = super().finalize(state, inputs, models)
        result.breakdown = list(state["rows"])
        result.notes.update({k: int(v) for k, v in state["counts"].items()})
        if state["rows"]:
            result.notes["breakdown_title"] = self.breakdown_title
            result.notes["failures_shown"] = f"{len(state['rows'])} record(s) shown (at most {MAX_FAILURES}); " \
                                             "record numbers are 0-based"
        return result
