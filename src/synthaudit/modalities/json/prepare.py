"""Load and check the JSON documents of an audit (one record per document)."""
from __future__ import annotations

from typing import Any

from synthaudit.data.inputs import AuditInputs
from synthaudit.data.json_prepare import prepare_json
from synthaudit.modalities.base import LoadOptions
from synthaudit.modalities.json import FIELD_OPTIONS, JsonInputs


def prepare(opts: JsonInputs, load: LoadOptions, seed: int, params: dict[str, Any]) -> AuditInputs:
    fields = {attr: getattr(opts, name) for name, attr in FIELD_OPTIONS.items()}
    return prepare_json(synthetic=opts.synthetic, real=opts.real, schema=opts.schema, field=opts.field,
                        fields=fields, answer_path=opts.answer_path, detector=opts.detector,
                        labels=opts.property_labels, seed=seed, params=params, fmt=load.fmt, encoding=load.encoding,
                        stream=load.stream)
