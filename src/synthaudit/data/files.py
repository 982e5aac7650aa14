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
from typing import Any, Iterator

import numpy as np
import pandas as pd

from synthaudit.errors import InputError

CSV_DELIMITERS = (",", "\t", ";", "|")
FORMATS = ("csv", "tsv", "parquet", "jsonl", "json", "txt")


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


def _csv_reader(path: Path, delimiter: str, encoding: str, chunksize: int | None):
    # index_col=False: never turn the first column into the index (pandas does that silently when the
    # first data row has one field more than the header, shifting every column by one)
    # float_precision="round_trip": numbers are read back exactly as written (the fast default parser can
    # be off by one unit in the last place, which changes content hashes and so samples and folds)
    return pd.read_csv(path, sep=delimiter, encoding=encoding, encoding_errors="strict", float_precision="round_trip",
                       chunksize=chunksize, low_memory=False, index_col=False)


def _check_header(path: Path, delimiter: str, encoding: str) -> None:
    """No duplicate column names, and the first data row must not have more fields than the header
    (pandas would rename duplicates 'x.1', and use the first column as the index, misaligning the rest)."""
    if len(delimiter) != 1:
        return
    with opener_for(path)(path, "rt", encoding=encoding, errors="replace", newline="") as fh:
        reader = csv.reader(fh, delimiter=delimiter)
        header = next(reader, None)
        counts = Counter(n for n in (header or []) if n != "")
        dupes = sorted(n for n, k in counts.items() if k > 1)
        if dupes:
            raise InputError(f"duplicate column names in the header: {', '.join(dupes)}", file=str(path), row=1,
                             hint="every column needs its own name")
        row = next(reader, None)
        while row == []:  # blank lines are skipped by pandas too
            row = next(reader, None)
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
            obj = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(f"line {lineno} is not valid JSON ({exc.msg} at column {exc.colno})",
                             file=str(path), row=lineno) from None
        if not isinstance(obj, dict):
            raise InputError(f"line {lineno} is a JSON {type(obj).__name__}, expected an object with one key per "
                             "column",
                             file=str(path), row=lineno)
        records.append(obj)
    return records


def _iter_jsonl(path: Path, encoding: str, batch_size: int) -> Iterator[pd.DataFrame]:
    opener = opener_for(path)
    buf: list[tuple[int, str]] = []
    try:
        with opener(path, "rt", encoding=encoding, errors="strict") as fh:
            for lineno, text in enumerate(fh, start=1):
                if text.strip():
                    buf.append((lineno, text))
                if len(buf) >= batch_size:
                    yield _flatten_nested(pd.DataFrame.from_records(_parse_jsonl_lines(path, buf)))
                    buf = []
    except UnicodeDecodeError:
        raise decode_error(path, encoding) from None
    if buf:
        yield _flatten_nested(pd.DataFrame.from_records(_parse_jsonl_lines(path, buf)))


def read_file(path: Path, *, fmt: str | None = None, delimiter: str | None = None,
              encoding: str = "utf-8") -> pd.DataFrame:
    """Read a whole table file into a DataFrame (raises InputError with file/row on any problem)."""
    frames = list(iter_file(path, fmt=fmt, delimiter=delimiter, encoding=encoding, batch_size=None))
    frame = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    return frame


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
        sep = choose_delimiter(path, fmt, delimiter, encoding)
        _check_header(path, sep, encoding)
        try:
            reader = _csv_reader(path, sep, encoding, batch_size)
            if batch_size is None:
                yield _check_columns(path, reader, sep)
                return
            for chunk in reader:
                yield _check_columns(path, chunk, sep)
        except InputError:
            raise
        except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as exc:
            raise _wrap_csv_errors(path, encoding, sep, exc) from None
    elif fmt == "parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        try:
            pf = pq.ParquetFile(path)
            if batch_size is None:
                yield arrow_to_frame(pf.read())
                return
            for rb in pf.iter_batches(batch_size=batch_size):
                yield arrow_to_frame(rb)
        except (pa.ArrowException, OSError) as exc:
            raise InputError(f"not a readable Parquet file ({exc})", file=str(path)) from None
    elif fmt == "jsonl":
        yield from _iter_jsonl(path, encoding, batch_size or 1 << 62)
    else:  # json: an array of objects
        try:
            with opener_for(path)(path, "rt", encoding=encoding, errors="strict") as fh:
                obj = json.load(fh)
        except UnicodeDecodeError:
            raise decode_error(path, encoding) from None
        except json.JSONDecodeError as exc:
            raise InputError(f"not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})",
                             file=str(path), row=exc.lineno) from None
        if isinstance(obj, dict) and "data" in obj and isinstance(obj["data"], list):
            obj = obj["data"]
        if not isinstance(obj, list) or not all(isinstance(r, dict) for r in obj):
            raise InputError("expected a JSON array of objects (one object per row)", file=str(path),
                             hint="for one object per line use a .jsonl file")
        yield _flatten_nested(pd.DataFrame.from_records(obj))


def _json_default(obj: Any) -> Any:
    """Arrays nested in Parquet structs stay JSON lists (not their repr); other objects become text."""
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, np.generic):
        return obj.item()
    return str(obj)


def _nested_text(value: Any) -> Any:
    if isinstance(value, np.ndarray):  # Parquet list columns
        value = value.tolist()
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value, sort_keys=True, ensure_ascii=False, default=_json_default)
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
