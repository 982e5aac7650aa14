"""Preparing a JSON audit (modality "json"): the tables, where each field is, the schema and the options the
metrics read (``AuditInputs.extra``)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from synthaudit.data import files
from synthaudit.data.inputs import AuditInputs
from synthaudit.data.json_docs import JsonSpec, as_table, make_spec
from synthaudit.errors import InputError

DEFAULT_ANSWER_PATH = "answer"


def load_config(value: Any, what: str, flag: str) -> tuple[Any, str | None]:
    """A JSON/YAML file (or an already parsed value) and the file it came from."""
    if value is None or not isinstance(value, (str, Path)):
        return value, None
    path = Path(value)
    if path.suffix.lower() in (".yaml", ".yml"):
        return files.read_yaml_file(path, what=what), str(path)
    return files.read_json_file(path), str(path)  # an InputError names the file and what is wrong


def _check_schema(schema: Any, source: str | None) -> None:
    """One error naming the file and the schema path for a schema its draft's meta-schema refuses (before any
    record is read; the compiled validator is cached for the metrics)."""
    from synthaudit.verify.json_schema import validator_for

    if not isinstance(schema, (dict, bool)):
        raise InputError(f"a JSON Schema is an object (or true/false), got a JSON {type(schema).__name__}",
                         file=source, field="--schema")
    validator_for(schema, source=source)


def prepare_json(*, synthetic: Any, real: Any = None, schema: Any = None, field: str | None = None,
                 fields: dict[str, str | None] | None = None, answer_path: str | None = None,
                 detector: str = "builtin", labels: Any = None, seed: int = 0, params: dict | None = None,
                 fmt: str | None = None, encoding: str = "utf-8", stream: bool = False) -> AuditInputs:
    """Load JSON documents for an audit: ``synthetic`` (generated documents), ``real`` (the original records,
    for clinical model consistency); ``schema``: the target JSON Schema (file or mapping)."""
    if synthetic is None:
        raise InputError("no synthetic data given", field="--synthetic")
    fields = dict(fields or {})
    tables = {"synthetic": as_table(synthetic, "synthetic", doc_field=field, fmt=fmt, encoding=encoding,
                                    stream=stream)}
    if real is not None:
        tables["real_reference"] = as_table(real, "real", doc_field=field, fmt=fmt, encoding=encoding, stream=stream)
    specs: dict[str, JsonSpec] = {}
    for role, table in tables.items():
        if table.materialized and len(table.frame()) == 0:
            raise InputError("has no records", file=table.label)
        chosen = fields if role == "synthetic" else {k: fields.get(k) for k in ("label", "group", "original")}
        specs[role] = make_spec(table, field=field, fields=chosen)
    schema_value, schema_source = load_config(schema, "the JSON Schema", "--schema")
    if schema is not None:
        _check_schema(schema_value, schema_source)
    labels_value, labels_source = load_config(labels, "the property labels", "--property-labels")
    if labels is not None and not isinstance(labels_value, dict):
        raise InputError("property labels are a mapping {property path: useful | noisy}", file=labels_source,
                         field="--property-labels")
    syn = specs["synthetic"]
    extra: dict[str, Any] = {
        "json": specs, "field": syn.doc, "answer_path": answer_path or DEFAULT_ANSWER_PATH, "detector": detector,
        "schema": schema_value if schema is not None else (f"field {syn.schema}" if syn.schema else None),
        "schema_document": schema_value if schema is not None else None, "schema_source": schema_source,
        "references": syn.reference, "gold_answers": syn.answer, "entities": syn.entities,
        "property_labels": labels_value if labels is not None else None, "property_labels_field": syn.labels,
    }
    target = syn.label or syn.entities or syn.labels or ("--property-labels" if labels is not None else None)
    warnings: list[str] = []
    head = tables["synthetic"].head()
    if len(head) and head[syn.doc].isna().all():
        warnings.append(f"the first {len(head)} synthetic record(s) have no value in field {syn.doc!r}")
    return AuditInputs(modality="json", tables=tables, seed=seed, params=dict(params or {}), extra=extra,
                       warnings=warnings, target=target, protected=syn.group)
