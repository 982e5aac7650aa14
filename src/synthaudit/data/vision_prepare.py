"""Preparing an image-text or video-text audit (survey section 6): the records of every role, the roles the
catalog's metrics ask for, and the audit tables (one row per record)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from synthaudit.data.inputs import AuditInputs
from synthaudit.data.vision import MediaSet, VisionOptions, as_table, load_media
from synthaudit.errors import InputError

ROLE_LABELS = {"synthetic": "synthetic", "real_reference": "real"}
UNREADABLE_LISTED = 200  # unreadable media listed per role in report.json (all are counted)
#: catalog input role -> the field(s) of the synthetic records that provide it
FIELD_ROLES = {"prompts": ("prompt",), "references": ("reference", "reference_image", "reference_video", "interval"),
               "labels": ("objects",), "gold_answers": ("answer",), "human_scores": ("outcome",),
               "rules": ("plan",)}


def read_schema(schema: Any) -> tuple[dict | None, str | None]:
    """A JSON Schema given as a mapping or a .json/.yaml file (None: the built-in record schema)."""
    if schema is None:
        return None, None
    if isinstance(schema, dict):
        return schema, "<schema object>"
    path = Path(schema)
    if not path.is_file():
        raise InputError("schema file not found", file=str(path), field="--schema")
    from synthaudit.data.files import read_json_file, read_yaml_file

    doc = read_yaml_file(path) if path.suffix.lower() in (".yaml", ".yml") else read_json_file(path)
    if not isinstance(doc, dict):
        raise InputError("a JSON Schema must be an object", file=str(path), field="--schema")
    return doc, str(path)


def read_bits(key: Any) -> list[int] | None:
    """A watermark key: a string of 0/1, ``hex:...``, a list of 0/1, or a file holding one of them."""
    if key is None:
        return None
    if isinstance(key, (list, tuple)):
        bits = [int(b) for b in key]
    else:
        text = str(key).strip()
        if Path(text).is_file():
            text = Path(text).read_text(encoding="utf-8").strip()
        if text.lower().startswith("hex:"):
            try:
                value = bytes.fromhex(text[4:])
            except ValueError:
                raise InputError(f"watermark key {text!r} is not valid hex", field="--watermark-key") from None
            bits = [(byte >> (7 - i)) & 1 for byte in value for i in range(8)]
        else:
            if not text or set(text) - {"0", "1"}:
                raise InputError(f"watermark key {text[:40]!r}: expected bits (0/1), hex:..., or a file holding one",
                                 field="--watermark-key")
            bits = [int(c) for c in text]
    if not bits or set(bits) - {0, 1}:
        raise InputError("watermark key: expected a non-empty list of 0/1 bits", field="--watermark-key")
    return bits


def prepare_vision(*, modality: str, kind: str, synthetic: Any, real: Any = None, media_field: str | None = None,
                   text_field: str | None = None, schema: Any = None, seed: int = 0, params: dict | None = None,
                   fmt: str | None = None, encoding: str = "utf-8", extra: dict[str, Any] | None = None
                   ) -> AuditInputs:
    """Load the records of an image-text (``kind="image"``) or video-text (``kind="video"``) audit."""
    if synthetic is None:
        raise InputError("no synthetic data given", field="--synthetic")
    opts = VisionOptions(kind=kind, media_field=media_field, text_field=text_field)
    given = {"synthetic": synthetic, "real_reference": real}
    sets: dict[str, MediaSet] = {r: load_media(obj, ROLE_LABELS[r], opts, fmt=fmt, encoding=encoding)
                                 for r, obj in given.items() if obj is not None}
    syn = sets["synthetic"]
    warnings = [f"{ROLE_LABELS[r]}: {n}" for r, s in sets.items() for n in s.notes]
    doc, source = read_schema(schema)
    roles: dict[str, Any] = {f"{kind}s": True if any(s is not None for s in syn.sources) else None}
    for role, names in FIELD_ROLES.items():
        roles[role] = True if any(syn.has(n) for n in names) else None
    summary = {ROLE_LABELS[r]: {**s.describe(), "unreadable_media": s.unreadable[:UNREADABLE_LISTED]}
               for r, s in sets.items()}
    out: dict[str, Any] = {"media": sets, "media_kind": kind, "schema": doc or "builtin", "schema_source": source,
                           "data_summary": summary,
                           **roles, **(extra or {})}
    tables = {role: as_table(s) for role, s in sets.items()}
    return AuditInputs(modality=modality, tables=tables, seed=seed, params=dict(params or {}), extra=out,
                       warnings=warnings)

