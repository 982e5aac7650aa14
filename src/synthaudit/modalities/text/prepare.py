"""Load and check the corpora of a text audit, and attach the IFEval rules (a rules file, or the records'
``instruction_id_list``/``kwargs`` fields), validated before any metric runs."""
from __future__ import annotations

from typing import Any

from synthaudit.data.inputs import AuditInputs
from synthaudit.data.text import prepare_text
from synthaudit.modalities.base import LoadOptions
from synthaudit.modalities.text import TextInputs


def prepare(opts: TextInputs, load: LoadOptions, seed: int, params: dict[str, Any]) -> AuditInputs:
    options = opts.as_dict()
    rules = options.pop("rules")
    inputs = prepare_text(**options, seed=seed, params=params, stream=load.stream, fmt=load.fmt,
                          encoding=load.encoding)
    columns = [str(c) for c in inputs.tables["synthetic"].head().columns]
    if rules is not None or {"instruction_id_list", "kwargs"} <= set(columns):
        from synthaudit.metrics.text.ifeval.rules import resolve_rules

        resolved = resolve_rules(rules, columns, inputs.tables["synthetic"].label)
        if resolved is not None:
            inputs.extra["rules"] = resolved
    return inputs
