"""Load and check the log records of an audit (one record per message)."""
from __future__ import annotations

from typing import Any

from synthaudit.data.inputs import AuditInputs
from synthaudit.data.logs_prepare import prepare_logs
from synthaudit.modalities.base import LoadOptions
from synthaudit.modalities.logs import FIELD_OPTIONS, LogsInputs


def prepare(opts: LogsInputs, load: LoadOptions, seed: int, params: dict[str, Any]) -> AuditInputs:
    fields = {attr: getattr(opts, name) for name, attr in FIELD_OPTIONS.items()}
    return prepare_logs(synthetic=opts.synthetic, real=opts.real, train=opts.train, holdout=opts.holdout,
                        log_format=opts.log_format, content_field=opts.content_field, fields=fields,
                        parser=opts.parser, templates=opts.templates, parser_config=opts.parser_config,
                        detector=opts.detector, seed=seed, params=params, fmt=load.fmt, encoding=load.encoding,
                        stream=load.stream)
