"""Text corpora (survey section 2): records from JSON Lines, JSON, CSV, Parquet or plain text (one record
per line), with the text in a named field. Missing texts (None, absent key, non-string) are counted and
reported, never silently dropped or crashed on.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Iterator

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
    opener = files.opener_for(path)
    buf: list[str] = []
    try:
        with opener(path, "rt", encoding=encoding, errors="strict") as fh:
            for line in fh:
                buf.append(line.rstrip("\r\n"))
                if len(buf) >= batch_size:
                    yield pd.DataFrame({"text": buf})
                    buf = []
    except UnicodeDecodeError:
        raise files.decode_error(path, encoding) from None
    if buf:
        yield pd.DataFrame({"text": buf})


def load_corpus(obj: Any, label: str, *, fmt: str | None = None, encoding: str = "utf-8",
                stream: bool = False) -> Table:
    """A corpus as a :class:`Table` of records (plain-text files: one record per line, field 'text')."""
    if isinstance(obj, (list, tuple)) and all(isinstance(x, (str, type(None))) for x in obj):
        return Table(label, frame=pd.DataFrame({"text": list(obj)}))
    if isinstance(obj, (str, Path)) and (fmt == "txt" or (fmt is None and Path(obj).suffix.lower() in (".txt", ".text")
                                                            or str(obj).lower().endswith((".txt.gz", ".text.gz")))):
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


def texts(batch: pd.DataFrame, field: str) -> list[str | None]:
    """The text of each record; None where it is missing or not a string."""
    col = batch[field] if field in batch.columns else pd.Series([None] * len(batch))
    return [v if isinstance(v, str) else None for v in col.tolist()]


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
    return AuditInputs(modality="text", tables=tables, seed=seed, params=dict(params or {}), extra=extra)
