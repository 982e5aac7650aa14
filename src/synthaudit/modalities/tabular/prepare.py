"""Load and check the tables of a tabular audit; a bad constraint spec is a usage error before any metric runs."""
from __future__ import annotations

from typing import Any

from synthaudit.data.inputs import AuditInputs
from synthaudit.data.tabular_inputs import prepare_tabular
from synthaudit.modalities.base import LoadOptions
from synthaudit.modalities.tabular import TabularInputs


def prepare(opts: TabularInputs, load: LoadOptions, seed: int, params: dict[str, Any]) -> AuditInputs:
    inputs = prepare_tabular(**opts.as_dict(), seed=seed, params=params, stream=load.stream, fmt=load.fmt,
                             encoding=load.encoding)
    if inputs.constraints or inputs.infer_constraints:  # exit 2 on a bad spec, whatever metrics run
        from synthaudit.metrics.tabular.constraints import validate_constraints

        validate_constraints(inputs)
    return inputs
