"""Load and check the graphs of an audit (one record per graph or molecule)."""
from __future__ import annotations

from typing import Any

from synthaudit.data.graph import prepare_graph
from synthaudit.data.inputs import AuditInputs
from synthaudit.modalities.base import LoadOptions
from synthaudit.modalities.graph import GraphInputs


def prepare(opts: GraphInputs, load: LoadOptions, seed: int, params: dict[str, Any]) -> AuditInputs:
    return prepare_graph(**opts.as_dict(), seed=seed, params=params, stream=load.stream, fmt=load.fmt,
                         encoding=load.encoding)
