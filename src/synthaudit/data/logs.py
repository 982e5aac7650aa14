"""Log records for the logs audit (survey sections 5.2-5.3): loading, and the items metrics score.

A record is one log message. Accepted inputs (docs/logs.md):

* raw log files (``.log`` or ``.txt``): one message per line; with a loghub-style header
  format such as ``<Date> <Time> <Pid> <Level> <Component>: <Content>`` each line is split into those fields and
  the message is ``Content`` (lines that do not match the format keep the whole line as the message and are
  counted);
* structured tables (loghub's ``*_structured.csv``, JSON Lines, Parquet, HF datasets, DataFrames): the message
  field (default: the first of Content, content, message, msg, line, log, text) and optional fields: the
  ground-truth template (default EventTemplate, event_template, template), a parser's predicted template
  (``--template-field``; otherwise synthaudit parses the messages, see :mod:`synthaudit.data.log_templates`),
  levels, variables, a session id, an anomaly label, the original line before anonymisation, gold sensitive
  spans and human scores;
* Python lists of message texts.

Every table this module builds carries the record's 0-based position in ``RECORD`` so that a batch knows where its
records are in the whole input (parsing is a pass over all the messages: see :func:`parsed`).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

import numpy as np
import pandas as pd

from synthaudit.data import files
from synthaudit.data.files import is_missing
from synthaudit.data.inputs import AuditInputs
from synthaudit.data.records import FieldSpec, batch_items, pick_field
from synthaudit.data.tabular import Table
from synthaudit.errors import InputError

RECORD = "__record__"
CONTENT_FIELDS = ("Content", "content", "message", "msg", "line", "log", "text")
REFERENCE_FIELDS = ("EventTemplate", "event_template", "template")
LEVEL_FIELDS = ("Level", "level", "severity", "log_level")
LOG_SUFFIXES = (".log",)
#: rows per batch when the log metrics read a streamed role themselves (the parse, example messages), and lines per
#: batch of a raw log file when no batch size is asked (the engine's default batch size)
BATCH = 50_000

#: the per-record fields of a log table: LogSpec attribute -> (flag, default field names)
FIELDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "template": ("--template-field", ()),
    "reference": ("--reference-field", REFERENCE_FIELDS),
    "level": ("--level-field", LEVEL_FIELDS),
    "reference_level": ("--reference-level-field", ()),
    "variables": ("--variables-field", ()),
    "reference_variables": ("--reference-variables-field", ()),
    "reference_text": ("--reference-text-field", ()),
    "session": ("--session-field", ()),
    "label": ("--label-field", ()),
    "original": ("--original-field", ()),
    "spans": ("--spans-field", ()),
    "human": ("--human-field", ()),
}


@dataclass
class LogItem:
    """One log message and what came with it (None when absent). ``record`` is the position in the whole input."""

    record: int
    content: str | None
    template: str | None = None  # a parser's predicted template, when given in the data
    reference: str | None = None  # the ground-truth template
    level: str | None = None
    reference_level: str | None = None
    variables: list[str] | None = None
    reference_variables: list[str] | None = None
    reference_text: str | None = None  # a reference message (BLEU, ROUGE, semantic similarity)
    session: str | None = None
    label: Any = None
    original: str | None = None
    spans: list[dict] | None = None  # gold sensitive spans [{"start", "end", "type"}] on ``original`` or ``content``
    human: Any = None


@dataclass(frozen=True)
class LogSpec(FieldSpec):
    """Where a table's messages and per-record fields are."""

    content: str
    template: str | None = None
    reference: str | None = None
    level: str | None = None
    reference_level: str | None = None
    variables: str | None = None
    reference_variables: str | None = None
    reference_text: str | None = None
    session: str | None = None
    label: str | None = None
    original: str | None = None
    spans: str | None = None
    human: str | None = None


def _text(v: Any) -> str | None:
    return None if is_missing(v) else str(v)


def _list(v: Any) -> list | None:
    from synthaudit.data.json_docs import as_value

    v = as_value(v)
    if v is None:
        return None
    if isinstance(v, str):
        return [v]
    return list(v) if isinstance(v, (list, tuple)) else [v]


def _item(row: dict, spec: LogSpec) -> LogItem:
    from synthaudit.data.json_docs import as_value

    g = row.get
    return LogItem(
        record=int(row[RECORD]), content=_text(g(spec.content)),
        template=_text(g(spec.template)) if spec.template else None,
        reference=_text(g(spec.reference)) if spec.reference else None,
        level=_text(g(spec.level)) if spec.level else None,
        reference_level=_text(g(spec.reference_level)) if spec.reference_level else None,
        variables=_list(g(spec.variables)) if spec.variables else None,
        reference_variables=_list(g(spec.reference_variables)) if spec.reference_variables else None,
        reference_text=_text(g(spec.reference_text)) if spec.reference_text else None,
        session=_text(g(spec.session)) if spec.session else None,
        label=None if not spec.label or is_missing(g(spec.label)) else g(spec.label),
        original=_text(g(spec.original)) if spec.original else None,
        spans=_list(g(spec.spans)) if spec.spans else None,
        human=as_value(g(spec.human)) if spec.human else None)


def parse_batch(batch: pd.DataFrame, spec: LogSpec) -> list[LogItem]:
    cols = [c for c in dict.fromkeys((RECORD, *spec.columns())) if c in batch.columns]
    return [_item(r, spec) for r in batch[cols].to_dict("records")]


def spec_of(inputs: AuditInputs, role: str = "synthetic") -> LogSpec:
    return inputs.extra["logs"][role]


def log_items(inputs: AuditInputs, batch: pd.DataFrame, role: str = "synthetic") -> list[LogItem]:
    """The items of a batch, memoised per batch object (every log metric reads the same batch)."""
    return batch_items(inputs, "logs.items", role, batch, lambda: parse_batch(batch, spec_of(inputs, role)))


def iter_items(inputs: AuditInputs, role: str = "synthetic", batch_size: int | None = None) -> Iterator[list[LogItem]]:
    for batch in inputs.batches(role, batch_size):
        yield parse_batch(batch, spec_of(inputs, role))


def all_items(inputs: AuditInputs, role: str = "synthetic") -> list[LogItem]:
    return [it for batch in iter_items(inputs, role) for it in batch]


def per_table(inputs: AuditInputs, key: str, role: str, compute: Callable[[], Any]) -> Any:
    """``compute()`` memoised per audit, role and table object: a streamed audit replaces a streamed table by its
    seeded sample before the global metrics run (:func:`synthaudit.audit.engine._use_samples`), and they then get
    the sample's value, not the whole stream's that the record metrics computed."""
    from synthaudit.timing import shared

    memo = inputs.features.get("logs.per_table", dict)
    table = inputs.tables[role]
    hit = memo.get((key, role))
    if hit is None or hit[0] is not table:
        with shared(f"features: {key}"):
            memo[(key, role)] = (table, compute())
    return memo[(key, role)][1]


def parsed(inputs: AuditInputs, role: str = "synthetic"):
    """The parse of a role's messages (:class:`synthaudit.data.log_templates.LogParse`): the predicted template of
    every record, from the data's ``--template-field`` when given, else from the audit's parser (Drain3 or the
    user's templates, ``inputs.extra["parser"]``). One pass over the role's batches, parsed batch by batch (only
    the one column it reads, never the whole table), memoised per audit and table (:func:`per_table`)."""
    from synthaudit.data.log_templates import LogParser

    def compute():
        spec = spec_of(inputs, role)
        column = spec.template or spec.content
        parser = LogParser(None, f"field {spec.template}") if spec.template else LogParser(inputs.extra["parser"])
        n, records = 0, None  # records: kept only when they are not 0, 1, 2, ... (a sample)
        for batch in inputs.batches(role, BATCH):
            parser.add([_text(v) for v in batch[column].tolist()])
            got = batch[RECORD].to_numpy(dtype=np.int64)
            if records is None and not np.array_equal(got, np.arange(n, n + len(got))):
                records = [np.arange(n)]
            if records is not None:
                records.append(got)
            n += len(got)
        parse = parser.finish()
        parse.records = np.concatenate(records) if records is not None else None
        return parse

    return per_table(inputs, "logs.parse", role, compute)


def messages_at(inputs: AuditInputs, records: Iterable[int], role: str = "synthetic") -> dict[int, str | None]:
    """The message of each of the given records (example rows): one pass over the role's batches, stopped once
    every record is found."""
    wanted = set(int(r) for r in records)
    column, out = spec_of(inputs, role).content, {}
    for batch in inputs.batches(role, BATCH):
        if not wanted:
            break
        hit = np.flatnonzero(np.isin(batch[RECORD].to_numpy(dtype=np.int64), list(wanted)))
        for i in hit.tolist():
            rec = int(batch[RECORD].iat[i])
            out[rec] = _text(batch[column].iat[i])
            wanted.discard(rec)
    return out


# -- loading -------------------------------------------------------------------------------------------
def format_regex(log_format: str) -> tuple[re.Pattern, list[str]]:
    """loghub's header format (``<Date> <Time> <Level>: <Content>``) as a regex with one named group per field
    and the field names. As in loghub's ``generate_logformat_regex``, the text between fields is a regular
    expression (``\\[<Time>\\]`` for brackets) in which runs of spaces match any whitespace, and each field matches
    lazily up to the next literal (the last one up to the end of the line)."""
    parts = re.split(r"(<[^<>]+>)", log_format)
    if not any(p.startswith("<") for p in parts):
        raise InputError(f"log format {log_format!r} names no field (expected e.g. '<Date> <Time> <Level>: "
                         "<Content>')", field="--log-format")
    names, pattern = [], ""
    for part in parts:
        if part.startswith("<") and part.endswith(">"):
            name = part[1:-1].strip()
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name) or name in names:
                raise InputError(f"log format field <{name}> is not a valid or unique name", field="--log-format")
            names.append(name)
            pattern += f"(?P<{name}>.*?)"  # lazy, anchored by the next literal or by the line end (loghub)
        else:
            pattern += re.sub(" +", r"\\s+", part)  # as loghub: literal parts are regex (\\[ for a bracket)
    try:
        return re.compile("^" + pattern + "$"), names
    except re.error as exc:
        raise InputError(f"log format {log_format!r} is not a valid pattern ({exc}); the text between fields is a "
                         "regular expression, as in loghub's settings: write \\[ for a literal bracket",
                         field="--log-format") from None


def _with_records(frame: pd.DataFrame, offset: int) -> pd.DataFrame:
    """``frame`` (a new one) with ``RECORD``: the position of each row in the whole input."""
    frame = frame.reset_index(drop=True)
    frame[RECORD] = np.arange(offset, offset + len(frame))
    return frame


def _numbered(parts: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
    offset = 0
    for part in parts:
        yield _with_records(part, offset)
        offset += len(part)


def parse_lines(lines: list[str], regex: re.Pattern | None, names: list[str]) -> tuple[pd.DataFrame, int]:
    """Non-blank raw log lines as a table of their header fields (``format_regex``) and the number of lines the
    format does not match (their whole stripped line is the ``Content``). Without a format: ``Content`` only."""
    if regex is None:
        return pd.DataFrame({"Content": pd.Series(lines, dtype=object)}), 0
    rows, unmatched = [], 0
    for ln in lines:
        m = regex.match(ln.strip())
        if m:
            rows.append({k: None if v is None else v.strip() for k, v in m.groupdict().items()})
        else:
            unmatched += 1
            rows.append({"Content": ln.strip()})
    frame = pd.DataFrame.from_records(rows, columns=names if "Content" in names else [*names, "Content"])
    return frame.astype(object), unmatched


class LogLines:
    """A raw log file (one message per non-blank line) read in batches of lines, each parsed with the log format
    by :func:`parse_lines`; after a complete pass ``on_done`` gets the number of lines the format did not match.
    The in-memory table is one such pass."""

    def __init__(self, path: Path, encoding: str, log_format: str | None,
                 on_done: Callable[[int], None] | None = None) -> None:
        files.check_readable(path)
        self.path, self.encoding, self.on_done = path, encoding, on_done
        self.regex, self.names = format_regex(log_format) if log_format else (None, ["Content"])

    def batches(self, batch_size: int) -> Iterator[pd.DataFrame]:
        offset = unmatched = 0
        for part in files.iter_text_lines(self.path, self.encoding, batch_size):
            lines = [ln for ln in part if ln.strip()]
            if not lines:
                continue
            frame, bad = parse_lines(lines, self.regex, self.names)
            unmatched += bad
            yield _with_records(frame, offset)
            offset += len(frame)
        if self.on_done is not None:
            self.on_done(unmatched)

    def empty(self) -> bool:
        """Whether the file has no non-blank line (reads up to the first one)."""
        return not any(ln.strip() for part in files.iter_text_lines(self.path, self.encoding, 1_000) for ln in part)


def as_table(obj: Any, label: str, *, log_format: str | None = None, fmt: str | None = None,
             encoding: str = "utf-8", stream: bool = False,
             on_unmatched: Callable[[int], None] | None = None) -> tuple[Table, int | None]:
    """Any supported input as a :class:`Table` (one row per message, with ``RECORD``) and the number of lines that
    did not match ``log_format``. With ``stream`` files and streams stay unread (read batch by batch, numbered as
    they go): the count is then None, and ``on_unmatched`` gets it after each complete pass over a raw log file
    (in memory: once, while loading)."""
    if isinstance(obj, (list, tuple)) and obj and all(isinstance(x, (str, type(None))) for x in obj):
        return Table(label, frame=_with_records(pd.DataFrame({"Content": pd.Series(list(obj), dtype=object)}), 0)), 0
    if isinstance(obj, (str, Path)) and fmt is None and Path(obj).suffix.lower() in (*LOG_SUFFIXES, ".txt"):
        counted: list[int] = []

        def done(n: int) -> None:
            counted.append(n)
            if on_unmatched is not None:
                on_unmatched(n)

        lines = LogLines(Path(obj), encoding, log_format, done)
        if lines.empty():
            raise InputError("has no log records", file=str(obj))
        if stream:
            return Table(str(obj), batch_factory=lambda n: lines.batches(n or BATCH), path=str(obj), fmt="txt",
                         fingerprint=files.file_sha256(Path(obj))), None
        parts = list(lines.batches(BATCH))
        return Table(str(obj), frame=pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0],
                     path=str(obj)), counted[-1]
    table = Table.from_any(obj, label, fmt=fmt, encoding=encoding, stream=stream)
    if stream and not table.materialized:
        # the same source, each batch numbered as it is read (a one-shot stream stays one-shot)
        numbered = table.mapped(_numbered)
        if len(numbered.head(1)) == 0:
            raise InputError("has no log records", file=table.label)
        return numbered, 0
    frame = table.frame()
    if len(frame) == 0:
        raise InputError("has no log records", file=str(table.path or table.label))
    return Table(str(table.path or table.label), frame=_with_records(frame, 0), path=table.path), 0


def make_spec(table: Table, *, content_field: str | None = None, fields: dict[str, str | None] | None = None,
              use_defaults: bool = True) -> LogSpec:
    """The spec of a table: the message field and the per-record fields (``fields``: LogSpec attribute -> name
    or None; a None is looked up among the defaults when ``use_defaults``)."""
    cols = [str(c) for c in table.head().columns]
    content = pick_field(cols, content_field, table.label, "--content-field", CONTENT_FIELDS, (RECORD,))
    if content is None:
        raise InputError(f"cannot tell which field holds the log messages (tried {', '.join(CONTENT_FIELDS)}); "
                         f"fields: {', '.join(c for c in cols[:12] if c != RECORD)}", file=table.label,
                         field="--content-field", hint="pass --content-field NAME")
    chosen = {}
    for attr, (flag, defaults) in FIELDS.items():
        chosen[attr] = pick_field(cols, (fields or {}).get(attr), table.label, flag, defaults if use_defaults else (),
                                  (RECORD,))
    return LogSpec(content=content, **chosen)


def raw_lines(path: Path, fmt: str | None, encoding: str) -> list[str] | None:
    """The records of a raw log file (.log, .txt) as ``filter`` writes them back: the non-blank lines, as they are;
    None for structured files (the generic readers apply)."""
    path = Path(path)
    if fmt is not None or path.suffix.lower() not in (*LOG_SUFFIXES, ".txt"):
        return None
    return [ln for part in files.iter_text_lines(path, encoding, 100_000) for ln in part if ln.strip()]
