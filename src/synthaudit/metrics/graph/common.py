"""Shared machinery of the graph metrics (survey sections 5.2-5.3): parsed graphs per batch, failing rows.

A record metric here scores the :class:`~synthaudit.data.graph.GraphItem` objects of a batch (parsed once per
batch and shared by every graph metric). Failing records are kept, up to ``MAX_FAILURES``, with the reason; their
record numbers stay positions in the whole input when the input streams in batches or is sharded (Ray): ``update``
shifts a batch's rows by the records seen before it and ``merge`` shifts the second state's rows by the first's
record count.
"""
from __future__ import annotations

from synthaudit.data.graph import GraphItem, graphs
from synthaudit.metrics.items import (MAX_FAILURES, ItemMetric, merge_extra, shift_records,  # noqa: F401
                                      snippet)


def item_text(item: GraphItem) -> str | None:
    """What the record held, shortened: the SMILES or the raw text."""
    return snippet(item.smiles if item.smiles is not None else item.raw, 100)


class GraphMetric(ItemMetric):
    """A record metric over parsed graphs (:class:`~synthaudit.metrics.items.ItemMetric`): subclasses implement
    ``evaluate(items, state) -> scores``."""

    def items(self, inputs, batch, role: str) -> list[GraphItem]:
        return graphs(inputs, batch, role)
