"""Reading tabular files (CSV/TSV, Parquet, JSON Lines, JSON) with one clear error per problem.

Nothing here writes to an input file: files are opened read-only.
"""
from __future__ import annotations

import codecs
import hashlib
import json
import re
from pathlib import Path
from typing import Iterator

import pandas as pd

from synthaudit.errors import InputError

CSV_DELIMITERS = (",", "\t", ";", "|")
FORMATS = ("csv", "tsv", "parquet", "jsonl", "json")


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


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _first_line(path: Path, encoding: str) -> str:
    opener = _opener(path)
    with opener(path, "rt", encoding=encoding, errors="replace", newline="") as fh:
        return fh.readline()


def _opener(path: Path):
    if path.suffix.lower() == ".gz":
        import gzip

        return gzip.open
    return open


def _locate_decode_error(path: Path, encoding: str) -> tuple[int, int, bytes]:
    """(line number, byte offset, offending bytes) of the first byte that does not decode."""
    decoder = codecs.getincrementaldecoder(encoding)()
    offset = 0
    line = 1
    opener = _opener(path)
    with opener(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 16), b""):
            try:
                decoder.decode(block)
            except UnicodeDecodeError as exc:
                pos = exc.start
                return line + block[:pos].count(b"\n"), offset + pos, block[pos:pos + 4]
            line += block.count(b"\n")
            offset += len(block)
    return line, offset, b""


def _decode_error(path: Path, encoding: str) -> InputError:
    line, offset, bad = _locate_decode_error(path, encoding)
    return InputError(f"bytes that are not valid {encoding} at line {line} (byte offset {offset}: {bad!r})",
                      file=str(path), row=None,
                      hint=f"re-encode the file as UTF-8, or pass --encoding (e.g. latin-1) if you know its encoding")


def choose_delimiter(path: Path, fmt: str, delimiter: str | None, encoding: str) -> str:
    """The delimiter to use; errors when an explicit one cannot be right for the header line."""
    header = _first_line(path, encoding)
    counts = {d: header.count(d) for d in CSV_DELIMITERS}
    if delimiter is not None:
        if counts.get(delimiter, header.count(delimiter)) == 0:
            likely = max(counts, key=counts.get)
            if counts[likely] > 0:
                raise InputError(f"delimiter {delimiter!r} does not occur in the header line, which looks "
                                 f"{_name(likely)}-delimited", file=str(path), row=1,
                                 hint=f"pass --delimiter {_shell(likely)}")
        return delimiter
    if fmt == "tsv":
        return "\t"
    if counts[","] > 0:
        return ","
    likely = max(counts, key=counts.get)
    return likely if counts[likely] > 0 else ","


def _name(d: str) -> str:
    return {",": "comma", "\t": "tab", ";": "semicolon", "|": "pipe"}.get(d, repr(d))


def _shell(d: str) -> str:
    return {"\t": "$'\\t'", ";": "';'", "|": "'|'"}.get(d, d)


_PARSER_LINE = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")


def _csv_reader(path: Path, delimiter: str, encoding: str, chunksize: int | None):
    return pd.read_csv(path, sep=delimiter, encoding=encoding, encoding_errors="strict",
                       chunksize=chunksize, low_memory=False)


def _wrap_csv_errors(path: Path, encoding: str, delimiter: str, exc: Exception) -> InputError:
    if isinstance(exc, UnicodeDecodeError):
        return _decode_error(path, encoding)
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
            raise InputError(f"line {lineno} is a JSON {type(obj).__name__}, expected an object with one key per column",
                             file=str(path), row=lineno)
        records.append(obj)
    return records


def _iter_jsonl(path: Path, encoding: str, batch_size: int) -> Iterator[pd.DataFrame]:
    opener = _opener(path)
    buf: list[tuple[int, str]] = []
    try:
        with opener(path, "rt", encoding=encoding, errors="strict") as fh:
            for lineno, text in enumerate(fh, start=1):
                if text.strip():
                    buf.append((lineno, text))
                if len(buf) >= batch_size:
                    yield pd.DataFrame.from_records(_parse_jsonl_lines(path, buf))
                    buf = []
    except UnicodeDecodeError:
        raise _decode_error(path, encoding) from None
    if buf:
        yield pd.DataFrame.from_records(_parse_jsonl_lines(path, buf))


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
    fmt = detect_format(path, fmt)
    if fmt in ("csv", "tsv"):
        sep = choose_delimiter(path, fmt, delimiter, encoding)
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
                yield pf.read().to_pandas()
                return
            for rb in pf.iter_batches(batch_size=batch_size):
                yield rb.to_pandas()
        except (pa.ArrowException, OSError) as exc:
            raise InputError(f"not a readable Parquet file ({exc})", file=str(path)) from None
    elif fmt == "jsonl":
        yield from _iter_jsonl(path, encoding, batch_size or 1 << 62)
    else:  # json: an array of objects
        try:
            with _opener(path)(path, "rt", encoding=encoding, errors="strict") as fh:
                obj = json.load(fh)
        except UnicodeDecodeError:
            raise _decode_error(path, encoding) from None
        except json.JSONDecodeError as exc:
            raise InputError(f"not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})",
                             file=str(path), row=exc.lineno) from None
        if isinstance(obj, dict) and "data" in obj and isinstance(obj["data"], list):
            obj = obj["data"]
        if not isinstance(obj, list) or not all(isinstance(r, dict) for r in obj):
            raise InputError("expected a JSON array of objects (one object per row)", file=str(path),
                             hint="for one object per line use a .jsonl file")
        yield pd.DataFrame.from_records(obj)


def _check_columns(path: Path, frame: pd.DataFrame, sep: str) -> pd.DataFrame:
    unnamed = [c for c in frame.columns if str(c).startswith("Unnamed: ")]
    if unnamed and len(unnamed) == len(frame.columns):
        raise InputError("the header line has no column names", file=str(path), row=1)
    dupes = [c for c in frame.columns if re.fullmatch(r".+\.\d+", str(c)) and str(c).rsplit(".", 1)[0] in frame.columns]
    if dupes:
        raise InputError(f"duplicate column names in the header: {', '.join(sorted({str(d).rsplit('.', 1)[0] for d in dupes}))}",
                         file=str(path), row=1)
    return frame
