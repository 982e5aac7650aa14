"""Text corpora (survey section 2): records from JSON Lines, JSON, CSV, Parquet or plain text (one record
per line), with the text in a named field. Missing texts (None, absent key, non-string) are counted and
reported, never silently dropped or crashed on.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import pandas as pd

from synthaudit.data import files
from synthaudit.data.inputs import AuditInputs
from synthaudit.data.tabular import Table
from synthaudit.errors import InputError

#: the offline tokeniser named in results: Unicode words (letters, digits, underscore) and single
#: punctuation marks; case-folded unless a metric's ``lowercase`` parameter is false
TOKENIZER = "regex: \\w+ | single non-space punctuation (Unicode-aware)"
_TOKEN = re.compile(r"\w+|[^\w\s]", re.UNICODE)


def tokenize(text: str, lowercase: bool = True) -> list[str]:
    return _TOKEN.findall(text.lower() if lowercase else text)


def _iter_lines(path: Path, encoding: str, batch_size: int) -> Iterator[pd.DataFrame]:
    for lines in files.iter_text_lines(path, encoding, batch_size):
        yield pd.DataFrame({"text": pd.Series(lines, dtype=object)})  # object: pandas 3's str refuses lone surrogates


def is_text_lines(obj: Any, fmt: str | None) -> bool:
    """Whether a corpus path is read as plain text, one record per line (``fmt="txt"``, or .txt/.text files)."""
    if not isinstance(obj, (str, Path)):
        return False
    name = str(obj).lower()
    return fmt == "txt" or (fmt is None and name.endswith((".txt", ".text", ".txt.gz", ".text.gz")))


def load_corpus(obj: Any, label: str, *, fmt: str | None = None, encoding: str = "utf-8",
                stream: bool = False) -> Table:
    """A corpus as a :class:`Table` of records (plain-text files: one record per line, field 'text')."""
    if isinstance(obj, (list, tuple)) and all(isinstance(x, (str, type(None))) for x in obj):
        # object dtype, as in pandas 2: pandas 3's default str dtype (Arrow) refuses lone surrogates
        return Table(label, frame=pd.DataFrame({"text": pd.Series(list(obj), dtype=object)}))
    if is_text_lines(obj, fmt):
        path = Path(obj)
        files.check_readable(path)
        sha = files.file_sha256(path)
        if stream:
            return Table(str(path), batch_factory=lambda n: _iter_lines(path, encoding, n or 50_000), path=str(path),
                         fmt="txt", fingerprint=sha)
        parts = list(_iter_lines(path, encoding, 1 << 62))
        return Table(str(path), frame=parts[0] if parts else pd.DataFrame({"text": []}), path=str(path), fmt="txt",
                     fingerprint=sha)
    return Table.from_any(obj, label, fmt=fmt, encoding=encoding, stream=stream)


def is_text(value: Any) -> bool:
    """Whether a record's value is a text (a string; not a number, null, or an object or array read as JSON)."""
    return isinstance(value, str) and not isinstance(value, files.NestedText)


def texts(batch: pd.DataFrame, field: str) -> list[str | None]:
    """The text of each record; None where it is missing or not a string (numbers, objects and arrays)."""
    col = batch[field] if field in batch.columns else pd.Series([None] * len(batch))
    return [v if is_text(v) else None for v in col.tolist()]


def _kind(value: Any) -> str:
    if isinstance(value, files.NestedText):
        return "object or array"
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return "null"
    if isinstance(value, (bool, np.bool_)):
        return "boolean"
    if isinstance(value, (int, float, np.number)):
        return "number"
    return type(value).__name__


def non_text_warning(table: Table, field: str) -> str | None:
    """A warning counting the records whose ``field`` is not a text (numbers, nulls, objects...), which every text
    metric treats as missing; None when all are texts. Counted over the whole table, or its first rows when
    streamed."""
    frame = table.frame() if table.materialized else table.head()
    if field not in frame.columns:
        return None
    kinds: dict[str, int] = {}
    for v in frame[field].tolist():
        if not is_text(v):
            kinds[_kind(v)] = kinds.get(_kind(v), 0) + 1
    if not kinds:
        return None
    n = sum(kinds.values())
    where = "" if table.materialized else f" among the first {len(frame)}"
    detail = ", ".join(f"{k} {name}" for name, k in sorted(kinds.items(), key=lambda kv: -kv[1]))
    return (f"{table.label}: {n} record(s){where} have a non-text '{field}' value ({detail}); they are treated as "
            "missing")


#: optional per-record fields of a text record: the input role each provides and its CLI flag
FIELD_ROLES = (("prompts", "--prompt-field"), ("references", "--reference-field"), ("evidence", "--evidence-field"),
               ("multiple_samples", "--samples-field"), ("human_scores", "--human-field"))


def prepare_text(*, synthetic: Any, real: Any = None, field: str | None = None, prompt_field: str | None = None,
                 reference_field: str | None = None, evidence_field: str | None = None,
                 samples_field: str | None = None, human_field: str | None = None, seed: int = 0,
                 params: dict | None = None, stream: bool = False, fmt: str | None = None,
                 encoding: str = "utf-8") -> AuditInputs:
    """Load the corpora and check the text field (default: 'text', or the only column there is).

    prompt/reference/evidence/samples/human fields name per-record fields of the synthetic records; each
    provides one input role (``FIELD_ROLES``). IFEval rules are attached by the text modality's preparation
    (``synthaudit.modalities.text.prepare``)."""
    if synthetic is None:
        raise InputError("no synthetic data given", field="--synthetic")
    tables = {"synthetic": load_corpus(synthetic, "synthetic", fmt=fmt, encoding=encoding, stream=stream)}
    if real is not None:
        tables["real_reference"] = load_corpus(real, "real", fmt=fmt, encoding=encoding, stream=stream)
    chosen = field
    for table in tables.values():
        head = table.head()
        if table.materialized and len(head) == 0:
            raise InputError("has no records", file=table.label)
        cols = [str(c) for c in head.columns]
        if chosen is None:
            chosen = "text" if "text" in cols else cols[0] if len(cols) == 1 else None
            if chosen is None:
                raise InputError(f"cannot tell which field holds the text; fields: {', '.join(cols[:12])}",
                                 file=table.label, field="--field", hint="pass --field NAME")
        if chosen not in cols:
            raise InputError(f"has no field {chosen!r}; fields: {', '.join(cols[:12])}", file=table.label,
                             field="--field")
    extra: dict[str, Any] = {"field": chosen}
    head = tables["synthetic"].head()
    names = dict(zip((r for r, _ in FIELD_ROLES), (prompt_field, reference_field, evidence_field, samples_field,
                                                    human_field)))
    for role, flag in FIELD_ROLES:
        name = names[role]
        if name is None:
            continue
        if name not in head.columns:
            raise InputError(f"has no field {name!r}; fields: {', '.join(map(str, head.columns[:12]))}",
                             file=tables["synthetic"].label, field=flag)
        extra[role] = name  # the role is present: metrics read the field of that name
    warnings = [w for w in (non_text_warning(t, chosen) for t in tables.values()) if w]
    return AuditInputs(modality="text", tables=tables, seed=seed, params=dict(params or {}), extra=extra,
                       warnings=warnings)
