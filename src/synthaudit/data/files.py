"""Reading tabular files (CSV/TSV, Parquet, JSON Lines, JSON) with one clear error per problem.

Nothing here writes to an input file: files are opened read-only.
"""
from __future__ import annotations

import bz2
import codecs
import csv
import gzip
import hashlib
import io
import json
import lzma
import re
import zipfile
import zlib
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator

import numpy as np
import pandas as pd

from synthaudit.errors import InputError

if TYPE_CHECKING:
    from concurrent.futures import Future

CSV_DELIMITERS = (",", "\t", ";", "|")
FORMATS = ("csv", "tsv", "parquet", "jsonl", "json", "txt")
#: the longest CSV field the stdlib csv module reads (header checks, pandas' python engine); its default, 128 KiB,
#: refuses a long text cell that pandas' C parser reads. 1 GiB fits a C long on every platform.
CSV_FIELD_LIMIT = 1 << 30
#: JSON nested deeper than this (arrays and objects) is refused: Python's parser and everything that walks the
#: values recurses once per level, and no table, corpus or report needs more
MAX_JSON_DEPTH = 256


def is_missing(value: Any) -> bool:
    """Whether a record's value is missing: None, NaN or pandas' NA (how readers mark an absent cell)."""
    return value is None or value is pd.NA or (isinstance(value, float) and value != value)


def detect_format(path: Path, fmt: str | None = None) -> str:
    """File format from ``fmt`` or the file name (compression suffixes such as .gz are allowed)."""
    if fmt:
        if fmt not in FORMATS:
            raise InputError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}", file=str(path))
        return fmt
    suffixes = [s.lower() for s in path.suffixes if s.lower() not in (".gz", ".bz2", ".xz", ".zst", ".zip")]
    ext = suffixes[-1] if suffixes else ""
    mapping = {".csv": "csv", ".txt": "csv", ".tsv": "tsv", ".tab": "tsv", ".parquet": "parquet", ".pq": "parquet",
               ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json"}
    if ext not in mapping:
        raise InputError(f"cannot tell the format from the extension {ext or '(none)'!r}",
                         file=str(path), hint="use .csv, .tsv, .parquet, .jsonl or .json, or pass --format")
    return mapping[ext]


def check_readable(path: Path) -> None:
    if not path.exists():
        raise InputError("file not found", file=str(path))
    if path.is_dir():
        raise InputError("is a directory, expected a data file", file=str(path))
    if path.stat().st_size == 0:
        raise InputError("file is empty (0 bytes); expected a header line and at least one row", file=str(path))


def check_encoding(encoding: str) -> None:
    """An unknown text encoding is the user's mistake (--encoding), not a crash."""
    try:
        codecs.lookup(encoding)
    except (LookupError, TypeError):
        raise InputError(f"unknown text encoding {encoding!r}", field="--encoding",
                         hint="use a Python codec name such as utf-8, utf-8-sig, latin-1 or cp1252") from None


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


_HASHING: Any = None  # the thread pool of file_sha256_later, made on first use


def file_sha256_later(path: Path) -> "Future[str]":
    """:func:`file_sha256` in a background thread: reading the file and hashlib's updates release the GIL, so an
    input's fingerprint (0.35 CPU s per 430 MB) is computed beside the audit instead of before it."""
    global _HASHING
    if _HASHING is None:
        from concurrent.futures import ThreadPoolExecutor

        _HASHING = ThreadPoolExecutor(max_workers=2, thread_name_prefix="synthaudit-sha256")
    return _HASHING.submit(file_sha256, path)


def _first_line(path: Path, encoding: str) -> str:
    opener = opener_for(path)
    with opener(path, "rt", encoding=encoding, errors="replace", newline="") as fh:
        return fh.readline()


def opener_for(path: Path):
    """``open``-like function for the file's compression (by suffix), so that headers, decode errors and
    JSON are read from the decompressed text just as pandas reads the CSV body."""
    suffix = path.suffix.lower()
    if suffix == ".gz":
        return gzip.open
    if suffix == ".bz2":
        return bz2.open
    if suffix == ".xz":
        return lzma.open
    if suffix == ".zip":
        return _zip_open
    if suffix == ".zst":
        try:
            import zstandard
        except ImportError:
            raise InputError("reading .zst files needs the 'zstandard' package", file=str(path),
                             hint="pip install zstandard, or decompress the file (or use .gz, .bz2, .xz)") from None
        return zstandard.open
    return open


def _zip_open(path: Path, mode: str = "rb", encoding: str | None = None, errors: str | None = None,
              newline: str | None = None):
    zf = zipfile.ZipFile(path)
    names = [i.filename for i in zf.infolist() if not i.is_dir()]
    if len(names) != 1:
        zf.close()
        raise InputError(f"a .zip input must hold exactly one file; this one holds {len(names)}", file=str(path))
    raw = zf.open(names[0])
    if "b" in mode:
        return raw
    return io.TextIOWrapper(raw, encoding=encoding, errors=errors, newline=newline)


#: what reading a corrupt, truncated or unreadable (compressed) file raises
_READ_ERRORS = (OSError, EOFError, zlib.error, lzma.LZMAError, zipfile.BadZipFile)


def _read_error(path: Path, exc: BaseException) -> InputError:
    reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    compressed = path.suffix.lower() in (".gz", ".bz2", ".xz", ".zip", ".zst")
    return InputError(f"cannot read the file ({reason})", file=str(path),
                      hint="the file looks corrupt or truncated, or is not compressed as its name says"
                      if compressed else None)


def _locate_decode_error(path: Path, encoding: str) -> tuple[int, int, bytes]:
    """(line number, byte offset, offending bytes) of the first byte that does not decode."""
    decoder = codecs.getincrementaldecoder(encoding)()
    offset = 0
    line = 1
    opener = opener_for(path)
    with opener(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 16), b""):
            pending = len(decoder.getstate()[0])  # bytes of a character begun in the previous block
            try:
                decoder.decode(block)
            except UnicodeDecodeError as exc:
                pos = max(exc.start - pending, 0)
                return line + block[:pos].count(b"\n"), offset + pos, block[pos:pos + 4]
            line += block.count(b"\n")
            offset += len(block)
    return line, offset, b""


def decode_error(path: Path, encoding: str) -> InputError:
    line, offset, bad = _locate_decode_error(path, encoding)
    return InputError(f"bytes that are not valid {encoding} at line {line} (byte offset {offset}: {bad!r})",
                      file=str(path), row=None,
                      hint="re-encode the file as UTF-8, or pass --encoding (e.g. latin-1) if you know its encoding")


# -- JSON from a user's file: one parser, one set of errors -------------------------------------------------

class JSONTextError(ValueError):
    """Why a JSON text was refused: ``reason`` completes "... is not valid JSON (...)" style sentences;
    ``lineno`` / ``colno`` are 1-based positions in the text (None when unknown)."""

    def __init__(self, reason: str, lineno: int | None = None, colno: int | None = None) -> None:
        self.reason, self.lineno, self.colno = reason, lineno, colno
        super().__init__(reason)


_JSON_STEP = np.zeros(256, dtype=np.int8)
_JSON_STEP[[ord("["), ord("{")]] = 1
_JSON_STEP[[ord("]"), ord("}")]] = -1
#: a \uD800-\uDFFF escape (a surrogate); whether it is paired is checked on the parsed strings
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


def json_depth(text: str) -> int:
    """How deeply arrays and objects nest in a JSON text (brackets inside strings do not count), without
    parsing it: vectorised over the bytes, so a deep text cannot exhaust the stack."""
    data = text.encode("utf-8", "surrogatepass")
    if b"\\" in data:  # escaped backslashes, then escaped quotes: every remaining quote delimits a string
        data = data.replace(b"\\\\", b"").replace(b'\\"', b"")
    arr = np.frombuffer(data, dtype=np.uint8)
    depth = top = quoted = 0
    chunk = 1 << 16
    for start in range(0, arr.size, chunk):
        part = arr[start:start + chunk]
        parity = np.cumsum(part == 34, dtype=np.uint8) + np.uint8(quoted)  # quotes so far, mod 256
        step = _JSON_STEP[part].astype(np.int32)
        step[(parity & 1).astype(bool)] = 0  # inside a string
        levels = np.cumsum(step) + depth
        top, depth, quoted = max(top, int(levels.max())), int(levels[-1]), int(parity[-1] & 1)
    return top


def _lone_surrogate(obj: Any) -> str | None:
    """A lone surrogate held by a string (value or key) of a parsed JSON value, else None."""
    stack = [obj]
    while stack:
        node = stack.pop()
        if isinstance(node, str):
            try:
                node.encode("utf-8")
            except UnicodeEncodeError as exc:
                return node[exc.start]
        elif isinstance(node, dict):
            stack.extend(node)
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return None


def loads_json(text: str) -> Any:
    """``json.loads`` for text read from a user's file (a JSON file, a JSON Lines line, a report.json, a cell
    holding JSON). Raises :class:`JSONTextError` (a ValueError) for invalid JSON, nesting deeper than
    ``MAX_JSON_DEPTH`` and lone surrogate escapes ("\\ud800" is no character: such text cannot be written
    back or encoded, and a file's undecodable bytes are refused the same way)."""
    if text.count("[") + text.count("{") > MAX_JSON_DEPTH and json_depth(text) > MAX_JSON_DEPTH:
        raise JSONTextError(f"is nested too deeply (more than {MAX_JSON_DEPTH} levels of arrays and objects)")
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        raise JSONTextError(f"is not valid JSON ({exc.msg})", exc.lineno, exc.colno) from None
    except RecursionError:  # not reached after the depth check; kept so that no stack error escapes
        raise JSONTextError(f"is nested too deeply (more than {MAX_JSON_DEPTH} levels of arrays and objects)") \
            from None
    if "\\u" in text and _SURROGATE_ESCAPE.search(text):
        bad = _lone_surrogate(obj)
        if bad is not None:
            escape = f"\\u{ord(bad):04x}"
            m = re.search(re.escape(escape), text, flags=re.IGNORECASE)
            lineno = text.count("\n", 0, m.start()) + 1 if m else None
            raise JSONTextError(f"holds a lone surrogate escape ('{escape}' is half of a UTF-16 pair, not a "
                                "character)", lineno)
    return obj


def json_error(path: Path | str, exc: JSONTextError, *, line: int | None = None) -> InputError:
    """The InputError for a refused JSON text of ``path``; ``line``: the file's line that held the text (JSON
    Lines), else the position within the text is given."""
    at = ""
    if exc.colno is not None:
        at = f" at column {exc.colno}" if line is not None else f" at line {exc.lineno}, column {exc.colno}"
    reason = exc.reason[:-1] + at + ")" if at else exc.reason
    hint = ("write the character itself (the file is UTF-8) or as a surrogate pair such as \\ud83d\\ude00"
            if "surrogate" in exc.reason else None)
    return InputError(f"line {line} {reason}" if line is not None else reason, file=str(path),
                      row=line if line is not None else exc.lineno, hint=hint)


def read_json_file(path: Path, encoding: str = "utf-8") -> Any:
    """A whole JSON file (decompressed by suffix) parsed with :func:`loads_json`; one InputError naming the
    file for anything that goes wrong (missing, undecodable, corrupt, invalid, too deep)."""
    path = Path(path)
    check_readable(path)
    check_encoding(encoding)
    try:
        with opener_for(path)(path, "rt", encoding=encoding, errors="strict") as fh:
            text = fh.read()
    except UnicodeDecodeError:
        raise decode_error(path, encoding) from None
    except _READ_ERRORS as exc:
        raise _read_error(path, exc) from None
    try:
        return loads_json(text)
    except JSONTextError as exc:
        raise json_error(path, exc) from None


def choose_delimiter(path: Path, fmt: str, delimiter: str | None, encoding: str) -> str:
    """The delimiter to use; errors when an explicit one cannot be right for the header line."""
    header = _first_line(path, encoding)
    # count delimiters outside quoted names: '"city, country";zip' is semicolon-delimited
    counts = {d: _QUOTED.sub("", header).count(d) for d in CSV_DELIMITERS}
    likely = max(counts, key=counts.get)  # ties go to the first of CSV_DELIMITERS (comma)
    if delimiter is not None:
        if header.count(delimiter) == 0 and counts[likely] > 0:
            raise InputError(f"delimiter {delimiter!r} does not occur in the header line, which looks "
                             f"{_name(likely)}-delimited", file=str(path), row=1,
                             hint=f"pass --delimiter {_shell(likely)}")
        return delimiter
    if fmt == "tsv":
        return "\t"
    return likely if counts[likely] > 0 else ","


_QUOTED = re.compile(r'"(?:[^"]|"")*"')


def _name(d: str) -> str:
    return {",": "comma", "\t": "tab", ";": "semicolon", "|": "pipe"}.get(d, repr(d))


def _shell(d: str) -> str:
    return {"\t": "$'\\t'", ";": "';'", "|": "'|'"}.get(d, d)


_PARSER_LINE = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")


def _allow_large_csv_fields() -> None:
    """Let the stdlib csv module read fields up to CSV_FIELD_LIMIT (a process-wide setting, only ever raised)."""
    if csv.field_size_limit() < CSV_FIELD_LIMIT:
        csv.field_size_limit(CSV_FIELD_LIMIT)


#: pandas >= 3.1 always parses floats round-trip and deprecates the argument (Pandas4Warning)
_ROUND_TRIP = ({} if tuple(int(x) for x in pd.__version__.split(".")[:2]) >= (3, 1)
               else {"float_precision": "round_trip"})


def _csv_reader(path: Path, delimiter: str, encoding: str, chunksize: int | None, *, as_text: bool = False):
    # index_col=False: never turn the first column into the index (pandas does that silently when the
    # first data row has one field more than the header, shifting every column by one)
    # float_precision="round_trip": numbers are read back exactly as written (the fast default parser can
    # be off by one unit in the last place, which changes content hashes and so samples and folds)
    # as_text: every cell as the text it holds (empty cells ""), for writing the records back unchanged
    _allow_large_csv_fields()  # pandas' python engine (e.g. a multi-character delimiter) reads through csv
    text = dict(dtype=str, keep_default_na=False) if as_text else {}
    return pd.read_csv(path, sep=delimiter, encoding=encoding, encoding_errors="strict", **_ROUND_TRIP,
                       chunksize=chunksize, low_memory=False, index_col=False, **text)


def _check_header(path: Path, delimiter: str, encoding: str) -> None:
    """No duplicate column names, and the first data row must not have more fields than the header
    (pandas would rename duplicates 'x.1', and use the first column as the index, misaligning the rest)."""
    if len(delimiter) != 1:
        return
    _allow_large_csv_fields()

    def blank(row: list[str] | None) -> bool:  # pandas skips blank (or whitespace-only) lines, the header's too
        return row is not None and all(not cell.strip() for cell in row) and len(row) <= 1

    with opener_for(path)(path, "rt", encoding=encoding, errors="strict", newline="") as fh:
        reader = csv.reader(fh, delimiter=delimiter)
        try:
            header = next(reader, None)
            while blank(header):
                header = next(reader, None)
            counts = Counter(n for n in (header or []) if n != "")
            dupes = sorted(n for n, k in counts.items() if k > 1)
            if dupes:
                raise InputError(f"duplicate column names in the header: {', '.join(dupes)}", file=str(path),
                                 row=reader.line_num, hint="every column needs its own name")
            row = next(reader, None)
            while blank(row):
                row = next(reader, None)
        except csv.Error as exc:  # a field longer than CSV_FIELD_LIMIT, a NUL byte, ...
            raise InputError(f"cannot parse as CSV at line {reader.line_num}: {exc}", file=str(path),
                             row=reader.line_num) from None
        except UnicodeDecodeError:  # undecodable bytes near the top: say so (not "ragged rows" of mojibake)
            raise decode_error(path, encoding) from None
        if header is None or row is None or len(row) <= len(header):
            return
        line = reader.line_num
    extra = "; a delimiter at the end of the data lines but not of the header?" if row[-1] == "" else ""
    raise InputError(f"line {line} has {len(row)} fields where the header has {len(header)}", file=str(path),
                     row=line, hint=f"check quoting and the delimiter (using {_name(delimiter)}){extra}")


def _wrap_csv_errors(path: Path, encoding: str, delimiter: str, exc: Exception) -> InputError:
    if isinstance(exc, UnicodeDecodeError):
        return decode_error(path, encoding)
    if isinstance(exc, pd.errors.EmptyDataError):
        return InputError("has no columns to read (empty or whitespace only)", file=str(path))
    m = _PARSER_LINE.search(str(exc))
    if m:
        expected, line, saw = m.groups()
        return InputError(f"line {line} has {saw} fields where the header has {expected}", file=str(path),
                          row=int(line), hint=f"check quoting and the delimiter (using {_name(delimiter)})")
    return InputError(f"cannot parse as CSV: {str(exc).strip()}", file=str(path))


def _parse_jsonl_lines(path: Path, lines: list[tuple[int, str]]) -> list[dict]:
    records = []
    for lineno, text in lines:
        try:
            obj = loads_json(text)
        except JSONTextError as exc:
            raise json_error(path, exc, line=lineno) from None
        if not isinstance(obj, dict):
            raise InputError(f"line {lineno} is a JSON {type(obj).__name__}, expected an object with one key per "
                             "column",
                             file=str(path), row=lineno)
        records.append(obj)
    return records


def iter_jsonl_records(path: Path, encoding: str, batch_size: int) -> Iterator[list[dict]]:
    """The objects of a JSON Lines file, ``batch_size`` at a time (blank lines skipped), as parsed."""
    opener = opener_for(path)
    buf: list[tuple[int, str]] = []
    try:
        with opener(path, "rt", encoding=encoding, errors="strict") as fh:
            for lineno, text in enumerate(fh, start=1):
                if text.strip():
                    buf.append((lineno, text))
                if len(buf) >= batch_size:
                    yield _parse_jsonl_lines(path, buf)
                    buf = []
    except UnicodeDecodeError:
        raise decode_error(path, encoding) from None
    if buf:
        yield _parse_jsonl_lines(path, buf)


def _iter_jsonl(path: Path, encoding: str, batch_size: int) -> Iterator[pd.DataFrame]:
    for records in iter_jsonl_records(path, encoding, batch_size):
        yield _flatten_nested(pd.DataFrame.from_records(records))


def iter_text_lines(path: Path, encoding: str, batch_size: int) -> Iterator[list[str]]:
    """The lines of a plain-text file (one record per line, line ends removed), ``batch_size`` at a time;
    undecodable bytes and corrupt compressed files are InputErrors as for every other format."""
    check_readable(path)
    check_encoding(encoding)
    buf: list[str] = []
    try:
        with opener_for(path)(path, "rt", encoding=encoding, errors="strict") as fh:
            for line in fh:
                buf.append(line.rstrip("\r\n"))
                if len(buf) >= batch_size:
                    yield buf
                    buf = []
    except UnicodeDecodeError:
        raise decode_error(path, encoding) from None
    except InputError:
        raise
    except _READ_ERRORS as exc:
        raise _read_error(path, exc) from None
    if buf:
        yield buf


def read_file(path: Path, *, fmt: str | None = None, delimiter: str | None = None,
              encoding: str = "utf-8") -> pd.DataFrame:
    """Read a whole table file into a DataFrame (raises InputError with file/row on any problem)."""
    frames = list(iter_file(path, fmt=fmt, delimiter=delimiter, encoding=encoding, batch_size=None))
    if not frames:  # a JSON Lines or text file of blank lines: no records (the callers say what that means)
        return pd.DataFrame()
    return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]


def iter_file(path: Path, *, fmt: str | None = None, delimiter: str | None = None, encoding: str = "utf-8",
              batch_size: int | None = 50_000) -> Iterator[pd.DataFrame]:
    """Yield a table file in batches of ``batch_size`` rows (one batch when None)."""
    path = Path(path)
    check_readable(path)
    check_encoding(encoding)
    fmt = detect_format(path, fmt)
    try:
        yield from _iter_format(path, fmt, delimiter, encoding, batch_size)
    except InputError:
        raise
    except _READ_ERRORS as exc:  # a corrupt or truncated compressed file, permissions, ...
        raise _read_error(path, exc) from None


def _iter_format(path: Path, fmt: str, delimiter: str | None, encoding: str,
                 batch_size: int | None) -> Iterator[pd.DataFrame]:
    if fmt in ("csv", "tsv"):
        yield from _iter_csv(path, fmt, delimiter, encoding, batch_size)
    elif fmt == "parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        try:
            pf = pq.ParquetFile(path)
            _check_parquet_names(path, pf.schema_arrow.names)
            if batch_size is None:
                yield arrow_to_frame(pf.read())
                return
            for rb in pf.iter_batches(batch_size=batch_size):
                yield arrow_to_frame(rb)
        except (pa.ArrowException, OSError) as exc:
            raise InputError(f"not a readable Parquet file ({exc})", file=str(path)) from None
    elif fmt == "jsonl":
        yield from _iter_jsonl(path, encoding, batch_size or 1 << 62)
    elif fmt == "txt":  # one record per line, in a column 'text'
        for lines in iter_text_lines(path, encoding, batch_size or 1 << 62):
            yield pd.DataFrame({"text": lines})
    else:  # json: an array of objects
        yield _flatten_nested(pd.DataFrame.from_records(read_json_records(path, encoding)))


def _iter_csv(path: Path, fmt: str, delimiter: str | None, encoding: str, batch_size: int | None, *,
              as_text: bool = False) -> Iterator[pd.DataFrame]:
    sep = choose_delimiter(path, fmt, delimiter, encoding)
    _check_header(path, sep, encoding)
    try:
        reader = _csv_reader(path, sep, encoding, batch_size, as_text=as_text)
        if batch_size is None:
            yield _check_columns(path, reader, sep)
            return
        for chunk in reader:
            yield _check_columns(path, chunk, sep)
    except InputError:
        raise
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError, ValueError, csv.Error) as exc:
        raise _wrap_csv_errors(path, encoding, sep, exc) from None


def read_raw_records(path: Path, *, fmt: str | None = None, delimiter: str | None = None,
                     encoding: str = "utf-8") -> tuple[str, Any, str | None]:
    """The records of a file in a form that can be written back unchanged (``synthaudit filter``): the parsed
    objects (JSON, JSON Lines), every cell's text (CSV/TSV: a DataFrame of str, empty cells ""), the Parquet
    table with nested values as they are, or the lines (``fmt="txt"``). Read and checked as :func:`iter_file`
    reads them for an audit, with the same errors. Returns (format, records, CSV delimiter or None)."""
    path = Path(path)
    check_readable(path)
    check_encoding(encoding)
    if fmt == "txt":
        return "txt", [line for batch in iter_text_lines(path, encoding, 1 << 62) for line in batch], None
    fmt = detect_format(path, fmt)
    try:
        if fmt == "jsonl":
            return fmt, [r for batch in iter_jsonl_records(path, encoding, 1 << 62) for r in batch], None
        if fmt == "json":
            return fmt, read_json_records(path, encoding), None
        if fmt == "parquet":
            import pyarrow as pa
            import pyarrow.parquet as pq

            try:
                table = pq.read_table(path)
                _check_parquet_names(path, table.column_names)
                return fmt, table.to_pandas(), None
            except (pa.ArrowException, OSError) as exc:
                raise InputError(f"not a readable Parquet file ({exc})", file=str(path)) from None
        sep = choose_delimiter(path, fmt, delimiter, encoding)
        return fmt, next(_iter_csv(path, fmt, sep, encoding, None, as_text=True)), sep
    except InputError:
        raise
    except _READ_ERRORS as exc:
        raise _read_error(path, exc) from None


def _check_parquet_names(path: Path, names: list[str]) -> None:
    """A Parquet file may repeat a column name; a table may not (as in a CSV header)."""
    dupes = sorted({str(n) for n, k in Counter(names).items() if k > 1})
    if dupes:
        raise InputError(f"duplicate column names: {', '.join(dupes)}", file=str(path),
                         hint="every column needs its own name")


def read_json_records(path: Path, encoding: str = "utf-8") -> list[dict]:
    """The objects of a JSON file holding an array of objects (or ``{"data": [...]}``), as parsed."""
    obj = read_json_file(path, encoding)
    if isinstance(obj, dict) and "data" in obj and isinstance(obj["data"], list):
        obj = obj["data"]
    if not isinstance(obj, list) or not all(isinstance(r, dict) for r in obj):
        raise InputError("expected a JSON array of objects (one object per row)", file=str(path),
                         hint="for one object per line use a .jsonl file")
    return obj


def _json_default(obj: Any) -> Any:
    """Arrays nested in Parquet structs stay JSON lists (not their repr); other objects become text."""
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, np.generic):
        return obj.item()
    return str(obj)


class NestedText(str):
    """The JSON text of a nested value (an object or array of a JSON record, a Parquet list or struct): a
    category like any text for tables, but not a text for corpora (``synthaudit.data.text.texts``)."""

    __slots__ = ()


def _nested_text(value: Any) -> Any:
    if isinstance(value, np.ndarray):  # Parquet list columns
        value = value.tolist()
    if isinstance(value, (dict, list, tuple)):
        return NestedText(json.dumps(value, sort_keys=True, ensure_ascii=False, default=_json_default))
    return value


def _flatten_nested(frame: pd.DataFrame, *, copy: bool = False) -> pd.DataFrame:
    """Nested JSON / Parquet values (objects, arrays) become their JSON text, one category per distinct value
    (dicts and lists cannot be counted or compared as they are). ``copy``: never change ``frame`` itself."""
    for col in frame.columns:
        series = frame[col]
        if series.dtype == object and series.map(lambda v: isinstance(v, (dict, list, tuple, np.ndarray))).any():
            if copy:
                frame, copy = frame.copy(), False
            frame[col] = series.map(_nested_text)
    return frame


def arrow_to_frame(data: Any) -> pd.DataFrame:
    """A pyarrow Table or RecordBatch as a DataFrame, nested values (lists, structs) as JSON text: how every
    Arrow-backed input (Parquet batches, pyarrow objects, Hugging Face datasets) becomes pandas."""
    return _flatten_nested(data.to_pandas())


def flatten_nested(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` itself when it holds no nested values, else a copy with them as JSON text."""
    return _flatten_nested(frame, copy=True)


def _check_columns(path: Path, frame: pd.DataFrame, sep: str) -> pd.DataFrame:
    unnamed = [c for c in frame.columns if str(c).startswith("Unnamed: ")]
    if unnamed and len(unnamed) == len(frame.columns):
        raise InputError("the header line has no column names", file=str(path), row=1)
    if len(sep) == 1:  # duplicates were checked on the raw header (_check_header): 'x' and 'x.1' may both be real
        return frame
    dupes = [c for c in frame.columns if re.fullmatch(r".+\.\d+", str(c)) and str(c).rsplit(".", 1)[0] in frame.columns]
    if dupes:
        names = ", ".join(sorted({str(d).rsplit(".", 1)[0] for d in dupes}))
        raise InputError(f"duplicate column names in the header: {names}",
                         file=str(path), row=1)
    return frame


def read_yaml_file(path: Path, error: type[InputError] = InputError, what: str = "a YAML file") -> Any:
    """Parse a small YAML config file (spec, policy, constraints); errors name the file and line."""
    import yaml

    path = Path(path)
    if not path.exists():
        raise error("file not found", file=str(path))
    if not path.is_file():
        raise error(f"is not a file; expected {what}", file=str(path))
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise error("is not valid UTF-8 text", file=str(path)) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise error(f"is not valid YAML ({getattr(exc, 'problem', exc)})", file=str(path),
                    row=(mark.line + 1) if mark else None) from None
    except RecursionError:  # the YAML parser recurses once per level of nesting
        raise error("is nested too deeply to read", file=str(path)) from None
