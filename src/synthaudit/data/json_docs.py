"""JSON records for the JSON audit (survey sections 5.2-5.3): loading, and the parsed items metrics score.

A record is one generated JSON document, kept as the **text** the generator wrote so that invalid JSON is
counted, never lost. Accepted inputs (docs/json.md):

* JSON Lines: each line is a document, or (wrapper files) a record whose ``--field`` (default: the first of
  ``output``, ``response``, ``completion``, ``generation`` present in every object) holds it; a line that is not
  JSON is kept as a document (it counts as invalid);
* a JSON file holding an array: each element is a document (or a wrapper record); any other JSON file is one
  document;
* a folder of ``.json`` (or ``.txt``) files: each file is one document, read as text;
* a ``.txt`` file: one raw LLM output per line;
* CSV, Parquet, HF datasets, DataFrames: the ``--field`` column (text, or nested values that are documents);
* Python lists of texts (raw outputs) or of dicts/lists (documents).

Per-record fields beside the document: its own schema (``--schema-field``), a ground-truth instance
(``--reference-field``), a gold answer (``--answer-field``), gold sensitive entities (``--entities-field``),
detected/redacted spans (``--detected-field``), the original text before redaction (``--original-field``), a
class label (``--label-field``), a subgroup (``--group-field``) and gold property labels (``--labels-field``).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Sequence

import pandas as pd

from synthaudit.data import files
from synthaudit.data.files import NestedText, is_missing
from synthaudit.data.inputs import AuditInputs
from synthaudit.data.records import FieldSpec, batch_items, iter_parsed, pick_field
from synthaudit.data.tabular import Table
from synthaudit.errors import InputError
from synthaudit.verify.json_parse import DEFAULT_POLICY, Parsed, parse

#: fields that hold a document in a wrapper record, in order of preference
OUTPUT_FIELDS = ("output", "response", "completion", "generation", "json", "text")
#: in JSON Lines / JSON array files, objects with one of these fields are wrappers (not documents)
WRAPPER_FIELDS = ("output", "response", "completion", "generation")
DOC = "output"  # the column holding the document text in tables this module builds
SCAN = 20  # JSON Lines lines looked at to tell wrappers from documents


@dataclass
class JsonItem:
    """One record: the raw text and what came with it (None when absent)."""

    record: int
    raw: str | None
    schema: Any = None  # the record's own schema (a mapping), else None: the audit's --schema applies
    reference: Any = None  # ground-truth instance (parsed when it is JSON text)
    answer: Any = None
    entities: Any = None  # gold sensitive entities: [{"type", "start", "end"[, "text"]}]
    detected: Any = None  # spans the redactor reports: same shape
    original: str | None = None  # the text before redaction
    label: Any = None
    group: Any = None
    labels: Any = None  # gold property labels {path: "useful" | "noisy"}
    _parsed: dict[str, Parsed] = field(default_factory=dict, repr=False)

    def parse(self, policy: str = DEFAULT_POLICY) -> Parsed:
        """The document parsed under ``policy`` (memoised)."""
        hit = self._parsed.get(policy)
        if hit is None:
            hit = self._parsed[policy] = parse(self.raw, policy)
        return hit


@dataclass(frozen=True)
class JsonSpec(FieldSpec):
    """Where a table's documents and per-record fields are."""

    doc: str
    schema: str | None = None
    reference: str | None = None
    answer: str | None = None
    entities: str | None = None
    detected: str | None = None
    original: str | None = None
    label: str | None = None
    group: str | None = None
    labels: str | None = None


def as_text(value: Any) -> str | None:
    """A document value as the text to parse: text stays as it is, nested values become JSON text."""
    if is_missing(value):
        return None
    if isinstance(value, str):
        return str(value)
    if hasattr(value, "tolist"):
        value = value.tolist()
    return json.dumps(value, ensure_ascii=False)


def as_value(value: Any) -> Any:
    """A per-record field as a Python value: JSON text (nested values, or text that parses) is parsed."""
    if is_missing(value):
        return None
    if hasattr(value, "tolist") and not isinstance(value, str):
        return value.tolist()
    if isinstance(value, NestedText):
        return json.loads(value)
    if isinstance(value, str) and value.strip()[:1] in ("{", "["):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def _item(row: dict, record: int, spec: JsonSpec) -> JsonItem:
    schema = as_value(row.get(spec.schema)) if spec.schema else None
    return JsonItem(
        record=record, raw=as_text(row.get(spec.doc)), schema=schema,
        reference=as_value(row.get(spec.reference)) if spec.reference else None,
        answer=as_value(row.get(spec.answer)) if spec.answer else None,
        entities=as_value(row.get(spec.entities)) if spec.entities else None,
        detected=as_value(row.get(spec.detected)) if spec.detected else None,
        original=None if not spec.original or is_missing(row.get(spec.original)) else str(row[spec.original]),
        label=None if not spec.label or is_missing(row.get(spec.label)) else row[spec.label],
        group=None if not spec.group or is_missing(row.get(spec.group)) else row[spec.group],
        labels=as_value(row.get(spec.labels)) if spec.labels else None)


def parse_batch(batch: pd.DataFrame, spec: JsonSpec, offset: int = 0) -> list[JsonItem]:
    cols = [c for c in spec.columns() if c in batch.columns]
    rows = batch[cols].to_dict("records") if cols else [{} for _ in range(len(batch))]
    return [_item(r, offset + i, spec) for i, r in enumerate(rows)]


def spec_of(inputs: AuditInputs, role: str = "synthetic") -> JsonSpec:
    return inputs.extra["json"][role]


def json_items(inputs: AuditInputs, batch: pd.DataFrame, role: str = "synthetic") -> list[JsonItem]:
    """The items of a batch, memoised per batch object (every JSON metric reads the same batch). Record numbers
    count from the batch's first row."""
    return batch_items(inputs, "json.items", role, batch, lambda: parse_batch(batch, spec_of(inputs, role)))


def iter_items(inputs: AuditInputs, role: str = "synthetic", batch_size: int | None = None) -> Iterator[list[JsonItem]]:
    """Every item of a role, in batches, record numbers counted over the whole table."""
    spec = spec_of(inputs, role)
    return iter_parsed(inputs, role, batch_size, lambda batch, offset: parse_batch(batch, spec, offset))


def all_items(inputs: AuditInputs, role: str = "synthetic") -> list[JsonItem]:
    return [it for batch in iter_items(inputs, role) for it in batch]


# -- loading -------------------------------------------------------------------------------------------
def _is_wrapper(objs: Sequence[Any], doc_field: str | None) -> bool:
    dicts = [o for o in objs if isinstance(o, dict)]
    if doc_field is not None:
        return bool(dicts) and any(doc_field in o for o in dicts)
    return bool(dicts) and len(dicts) == len(objs) and all(any(f in o for f in WRAPPER_FIELDS) for o in dicts)


def _wrapper_frame(objs: list[Any], raws: list[str]) -> pd.DataFrame:
    """Wrapper records as a frame; a line that was not an object is kept as its text in the ``output`` field."""
    rows = [o if isinstance(o, dict) else {DOC: r} for o, r in zip(objs, raws)]
    return files.flatten_nested(pd.DataFrame.from_records(rows))


def _docs_frame(texts: list[str | None], names: list[str] | None = None) -> pd.DataFrame:
    frame = pd.DataFrame({DOC: pd.Series(texts, dtype=object)})
    if names is not None:
        frame["file"] = names
    return frame


def _read_jsonl(path: Path, encoding: str, doc_field: str | None) -> pd.DataFrame:
    raws, objs = [], []
    for lines in files.iter_text_lines(path, encoding, 50_000):
        for line in lines:
            if not line.strip():
                continue
            raws.append(line.strip())
            try:
                objs.append(json.loads(line))
            except (json.JSONDecodeError, RecursionError):
                objs.append(_NOT_JSON)
    parsed = [o for o in objs if o is not _NOT_JSON]
    if _is_wrapper(parsed[:SCAN], doc_field):
        return _wrapper_frame(objs, raws)
    return _docs_frame(raws)


_NOT_JSON = object()


def read_text(path: Path, encoding: str) -> str:
    """A whole (possibly compressed) text file; one InputError naming the file for undecodable bytes, a corrupt
    archive or any other read error."""
    files.check_readable(path)
    files.check_encoding(encoding)
    try:
        with files.opener_for(path)(path, "rt", encoding=encoding, errors="strict") as fh:
            return fh.read()
    except UnicodeDecodeError:
        raise files.decode_error(path, encoding) from None
    except InputError:
        raise
    except files._READ_ERRORS as exc:  # noqa: SLF001 - the loaders' one list of read errors
        raise files._read_error(path, exc) from None  # noqa: SLF001


def _read_json_file(path: Path, encoding: str, doc_field: str | None) -> pd.DataFrame:
    text = read_text(path, encoding)
    try:
        value = json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        return _docs_frame([text])  # one document that does not parse
    if isinstance(value, list) and not value:
        raise InputError("holds an empty JSON array: no document", file=str(path))
    if isinstance(value, list):
        if _is_wrapper(value[:SCAN], doc_field):
            return _wrapper_frame(value, [json.dumps(v, ensure_ascii=False) for v in value])
        return _docs_frame([json.dumps(v, ensure_ascii=False) for v in value])
    return _docs_frame([text])


DOC_SUFFIXES = (".json", ".txt")


def as_table(obj: Any, label: str, *, doc_field: str | None = None, fmt: str | None = None,
             encoding: str = "utf-8", stream: bool = False) -> Table:
    """Any supported input as a :class:`Table` of one row per document (see the module docstring)."""
    if isinstance(obj, (list, tuple)) and not obj:
        raise InputError("has no records (an empty list)", file=label)
    if isinstance(obj, (list, tuple)) and obj and all(isinstance(x, (str, type(None))) for x in obj):
        return Table(label, frame=_docs_frame(list(obj)))
    if isinstance(obj, (list, tuple)) and obj and all(isinstance(x, (dict, list, int, float, bool)) for x in obj):
        if _is_wrapper(list(obj)[:SCAN], doc_field):
            return Table(label, frame=_wrapper_frame(list(obj), [""] * len(obj)))
        return Table(label, frame=_docs_frame([json.dumps(v, ensure_ascii=False) for v in obj]))
    if isinstance(obj, (str, Path)):
        path = Path(obj)
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in DOC_SUFFIXES)
            if not found:
                raise InputError(f"holds no document ({', '.join(DOC_SUFFIXES)} files)", file=str(path))
            texts = [read_text(p, encoding) for p in found]
            return Table(str(path), frame=_docs_frame(texts, [p.name for p in found]), path=str(path))
        files.check_readable(path)
        kind = "txt" if fmt is None and path.suffix.lower() == ".txt" else files.detect_format(path, fmt)
        sha = files.file_sha256(path)
        if kind == "jsonl":
            return Table(str(path), frame=_read_jsonl(path, encoding, doc_field), path=str(path), fmt=kind,
                         fingerprint=sha)
        if kind == "json":
            return Table(str(path), frame=_read_json_file(path, encoding, doc_field), path=str(path), fmt=kind,
                         fingerprint=sha)
        if kind == "txt":
            lines = [ln for part in files.iter_text_lines(path, encoding, 50_000) for ln in part]
            return Table(str(path), frame=_docs_frame([ln for ln in lines if ln.strip()]), path=str(path),
                         fmt=kind, fingerprint=sha)
    return Table.from_any(obj, label, fmt=fmt, encoding=encoding, stream=stream)


def make_spec(table: Table, *, field: str | None = None, fields: dict[str, str | None] | None = None,
              defaults: dict[str, Sequence[str]] | None = None) -> JsonSpec:
    """The spec of a table: ``field`` (the document) and the optional per-record fields named in ``fields``
    (JsonSpec attribute -> field name or None); ``defaults``: names tried when a field is not given."""
    cols = [str(c) for c in table.head().columns]
    doc = pick_field(cols, field, table.label, "--field", OUTPUT_FIELDS)
    if doc is None:
        raise InputError(f"cannot tell which field holds the JSON documents (tried {', '.join(OUTPUT_FIELDS)}); "
                         f"fields: {', '.join(cols[:12])}", file=table.label, field="--field",
                         hint="pass --field NAME")
    chosen = {}
    for attr, name in (fields or {}).items():
        chosen[attr] = pick_field(cols, name, table.label, f"--{attr.replace('_', '-')}-field",
                              (defaults or {}).get(attr, ()))
    return JsonSpec(doc=doc, **chosen)


def raw_lines(path: Path, fmt: str | None, encoding: str) -> list[str] | None:
    """The records of a JSON Lines or .txt file as ``filter`` writes them back: the non-blank lines, as they are
    (a line that is not JSON is a record too); None for other files (the generic readers apply)."""
    path = Path(path)
    kind = "txt" if fmt is None and path.suffix.lower() == ".txt" else files.detect_format(path, fmt)
    if kind not in ("jsonl", "txt"):
        return None
    return [ln for part in files.iter_text_lines(path, encoding, 50_000) for ln in part if ln.strip()]
