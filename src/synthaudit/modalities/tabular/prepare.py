"""Load and check the tables of a tabular audit; a bad constraint spec is a usage error before any metric runs."""
from __future__ import annotations

from typing import Any

from synthaudit.data.inputs import AuditInputs
from synthaudit.data.tabular_inputs import prepare_tabular
from synthaudit.modalities.base import LoadOptions
from synthaudit.modalities.tabular import TabularInputs


def prepare(opts: TabularInputs, load: LoadOptions, seed: int, params: dict[str, Any]) -> AuditInputs:
    if opts.real_stats is not None:  # audit from statistics (--real-stats): the real side is a statistics file
        from synthaudit.modalities.tabular.statistics import prepare_from_statistics

        inputs = prepare_from_statistics(opts, load, seed, params)
    else:
        inputs = prepare_tabular(**{k: v for k, v in opts.as_dict().items() if k != "real_stats"}, seed=seed,
                                 params=params, stream=load.stream, fmt=load.fmt, encoding=load.encoding)
    if inputs.constraints or inputs.infer_constraints:  # exit 2 on a bad spec, whatever metrics run
        from synthaudit.metrics.tabular.constraints import validate_constraints

        validate_constraints(inputs)
    return inputs
