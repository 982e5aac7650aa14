"""Preparing a logs audit (modality "logs"): the tables, where each field is, the parser and the options the
metrics read (``AuditInputs.extra``)."""
from __future__ import annotations

from typing import Any

from synthaudit.data.inputs import AuditInputs
from synthaudit.data.logs import LogSpec, as_table, make_spec
from synthaudit.errors import InputError

ROLE_LABELS = {"synthetic": "synthetic", "real_reference": "real", "train": "train", "real_holdout": "holdout"}


def prepare_logs(*, synthetic: Any, real: Any = None, train: Any = None, holdout: Any = None,
                 log_format: str | None = None, content_field: str | None = None,
                 fields: dict[str, str | None] | None = None, parser: str = "drain3", templates: Any = None,
                 parser_config: Any = None, detector: str = "builtin", seed: int = 0, params: dict | None = None,
                 fmt: str | None = None, encoding: str = "utf-8", stream: bool = False) -> AuditInputs:
    """Load log messages for an audit: ``synthetic`` (generated, parsed or anonymised logs), ``real`` (real logs),
    ``train`` / ``holdout`` (labelled real logs for the downstream anomaly-detection task). ``stream``: files and
    streams are read batch by batch when the metrics ask (fields are found in the first rows); the lines of a raw
    log file that do not match ``log_format`` are then counted, and warned about, after the first complete pass
    over it (``extra["unmatched_lines"]`` is None until then)."""
    from synthaudit.data.log_templates import ParserConfig

    if synthetic is None:
        raise InputError("no synthetic data given", field="--synthetic")
    config = ParserConfig.from_options(parser, templates, parser_config)  # a bad setting fails before loading
    fields = dict(fields or {})
    given = {"synthetic": synthetic, "real_reference": real, "train": train, "real_holdout": holdout}
    tables, specs, unmatched = {}, {}, {}
    warnings: list[str] = []  # becomes inputs.warnings (a streamed file's count is added after its first pass)

    def count(role: str, n: int) -> None:
        unmatched[role] = n
        text = (f"{n} line(s) of the {ROLE_LABELS[role]} logs do not match the log format {log_format!r}: the whole "
                "line is their message")
        if n and text not in warnings:
            warnings.append(text)

    for role, obj in given.items():
        if obj is None:
            continue
        table, n_bad = as_table(obj, ROLE_LABELS[role], log_format=log_format, fmt=fmt, encoding=encoding,
                                stream=stream, on_unmatched=lambda n, role=role: count(role, n))
        tables[role] = table
        unmatched.setdefault(role, n_bad)
        if role == "synthetic":
            specs[role] = make_spec(table, content_field=content_field, fields=fields)
        else:  # real data: the same field names where they exist (a missing one is not an error here)
            cols = set(map(str, table.head().columns))
            specs[role] = make_spec(table, content_field=content_field if content_field in cols else None,
                                    fields={k: v for k, v in fields.items() if v in cols})
    syn: LogSpec = specs["synthetic"]
    extra: dict[str, Any] = {
        "logs": specs, "parser": config, "field": syn.content, "detector": detector, "rules": detector,
        "references": syn.reference or syn.reference_text or syn.reference_level or syn.reference_variables,
        "human_scores": syn.human, "log_format": log_format, "unmatched_lines": unmatched,
    }
    label_roles = [r for r, s in specs.items() if s.label]
    # the labels role: anomaly labels (the downstream task) or gold sensitive spans (logs.sensitive_span_prf)
    target = specs[label_roles[0]].label if label_roles else syn.spans
    return AuditInputs(modality="logs", tables=tables, seed=seed, params=dict(params or {}), extra=extra,
                       warnings=warnings, target=target)
