"""Load and check the reasoning records of an audit (one record per problem)."""
from __future__ import annotations

from typing import Any

from synthaudit.data.inputs import AuditInputs
from synthaudit.data.reasoning import prepare_reasoning
from synthaudit.modalities.base import LoadOptions
from synthaudit.modalities.reasoning import FIELD_OPTIONS, ReasoningInputs


def prepare(opts: ReasoningInputs, load: LoadOptions, seed: int, params: dict[str, Any]) -> AuditInputs:
    chosen = {part: getattr(opts, name) for name, part in FIELD_OPTIONS.items()}
    return prepare_reasoning(synthetic=opts.synthetic, real=opts.real, benchmark=opts.benchmark, task=opts.task,
                             fields_chosen=chosen, ood_domains=opts.ood_domains, seed=seed, params=params,
                             stream=load.stream, fmt=load.fmt, encoding=load.encoding)
