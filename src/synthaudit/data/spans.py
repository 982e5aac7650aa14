"""Batches of a file that a worker reads itself (issue #13, the Ray engine).

A :class:`Span` names batch ``i`` of a streamed file: the path, where its rows are (a byte range of a CSV/TSV,
a row range of a Parquet file) and how to parse them. It holds no rows, so the driver ships a few hundred bytes
per batch instead of the batch, and the parsing, the costliest part of a cheap audit, runs on the workers.
``plan_spans`` cuts the file into exactly the batches :func:`synthaudit.data.files.iter_file` yields (the same
rows, parsed with the same options), so shard states, and therefore results, equal the local engine's.

CSV byte ranges are found by counting line breaks, which is exact only when every line is one record: a file
with a quote character (a quoted field may hold a line break), a blank line (pandas skips it), compression or
a multi-character delimiter gets no spans, and the driver reads it as before.
"""
from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

SCAN_BLOCK = 1 << 26  # bytes read at a time while looking for line breaks


@dataclass(frozen=True)
class Span:
    """Batch ``index`` of a file: ``rows`` rows from data row ``start_row`` (0-based, after the header)."""

    path: str
    fmt: str
    index: int
    start_row: int
    rows: int
    begin: int = 0  # CSV: byte range of the batch's lines
    end: int = 0
    sep: str = ","
    encoding: str = "utf-8"
    columns: tuple[str, ...] = ()

    def __len__(self) -> int:
        return self.rows

    def read(self) -> pd.DataFrame:
        """The batch's rows, as ``files.iter_file`` gives them."""
        from synthaudit.data import files

        if self.fmt == "parquet":
            import pyarrow.parquet as pq

            pf = pq.ParquetFile(self.path)
            meta = pf.metadata
            bounds = np.cumsum([0] + [meta.row_group(g).num_rows for g in range(meta.num_row_groups)])
            first = int(np.searchsorted(bounds, self.start_row, side="right") - 1)
            last = int(np.searchsorted(bounds, self.start_row + self.rows, side="left"))
            table = pf.read_row_groups(list(range(first, last)))
            return files.arrow_to_frame(table.slice(self.start_row - int(bounds[first]), self.rows))
        with open(self.path, "rb") as fh:
            fh.seek(self.begin)
            data = fh.read(self.end - self.begin)
        try:
            return pd.read_csv(io.BytesIO(data), sep=self.sep, header=None, names=list(self.columns),
                               encoding=self.encoding, encoding_errors="strict", low_memory=False, index_col=False,
                               **files._ROUND_TRIP)
        except (UnicodeDecodeError, pd.errors.ParserError, ValueError) as exc:  # as reading the whole file says it
            text = re.sub(r"line (\d+)", lambda m: f"line {int(m.group(1)) + self.start_row + 1}", str(exc))
            cause = pd.errors.ParserError(text) if isinstance(exc, pd.errors.ParserError) else exc
            raise files._wrap_csv_errors(Path(self.path), self.encoding, self.sep, cause) from None


def plan_spans(path: str | Path, fmt: str, batch_size: int, *, delimiter: str | None = None,
               encoding: str = "utf-8") -> list[Span] | None:
    """The batches of ``batch_size`` rows of a Parquet or plain CSV/TSV file as spans; None where the file cannot
    be cut without parsing it (see the module docstring)."""
    path = Path(path)
    if fmt == "parquet":
        import pyarrow.parquet as pq

        n = pq.ParquetFile(path).metadata.num_rows
        return [Span(str(path), fmt, i, s, min(batch_size, n - s)) for i, s in enumerate(range(0, n, batch_size))]
    if fmt not in ("csv", "tsv") or path.suffix.lower() in (".gz", ".bz2", ".xz", ".zip", ".zst"):
        return None
    from synthaudit.data import files

    sep = files.choose_delimiter(path, fmt, delimiter, encoding)
    if len(sep) != 1 or encoding.replace("-", "").lower() not in ("utf8", "ascii", "utf8sig", "latin1"):
        return None
    starts = _line_starts(path, batch_size)
    if starts is None:
        return None
    header_end, cuts, rows, size = starts
    columns = tuple(map(str, pd.read_csv(path, sep=sep, nrows=0, encoding=encoding, index_col=False).columns))
    bounds = [*cuts, size]
    return [Span(str(path), fmt, i, i * batch_size, min(batch_size, rows - i * batch_size), bounds[i], bounds[i + 1],
                 sep, encoding, columns) for i in range(len(cuts))]


def _line_starts(path: Path, batch_size: int) -> tuple[int, list[int], int, int] | None:
    """(end of the header line, byte offset of every ``batch_size``-th data line, data lines, file size); None
    when a line may not be one record (a quote character or a blank line)."""
    cuts: list[int] = []
    header_end = -1
    line = 0  # data lines seen (lines after the header)
    offset = 0
    last = -1  # offset of the last line break
    with open(path, "rb") as fh:
        while True:
            block = fh.read(SCAN_BLOCK)
            if not block:
                break
            if block.find(b'"') >= 0:  # memchr: 10x faster than comparing a numpy view
                return None
            arr = np.frombuffer(block, dtype=np.uint8)
            breaks = np.flatnonzero(arr == 10) + offset
            if breaks.size:
                gaps = np.diff(np.r_[last, breaks])
                if last >= 0 and (gaps[0] == 1 or (gaps[0] == 2 and _byte(fh, block, offset, breaks[0] - 1) == 13)):
                    return None
                if (gaps[1:] == 1).any() or _crlf_blank(arr, breaks - offset):
                    return None
                if header_end < 0:
                    if breaks[0] == 0 or (breaks[0] == 1 and arr[0] == 13):  # a blank line before the header
                        return None
                    header_end = int(breaks[0]) + 1
                    breaks = breaks[1:]
                    if not cuts:
                        cuts.append(header_end)
                # a data line starts after each break; line k (0-based) starts after break k (of data breaks)
                firsts = np.arange(line + 1, line + 1 + breaks.size)  # index of the data line after each break
                take = breaks[firsts % batch_size == 0] + 1
                cuts.extend(int(x) for x in take)
                line += breaks.size
                last = int(breaks[-1]) if breaks.size else last
            offset += len(block)
    size = offset
    if header_end < 0:
        return None
    rows = line + (1 if last + 1 < size else 0)  # a last line without a line break
    if cuts and cuts[-1] >= size:  # the file ends with a line break right at a batch boundary
        cuts.pop()
    return (header_end, cuts, rows, size) if rows else None


def _crlf_blank(arr: np.ndarray, breaks: np.ndarray) -> bool:
    """A '\\r\\n\\r\\n' (a blank line in a file with Windows line ends) inside the block."""
    if breaks.size < 2:
        return False
    close = breaks[1:][np.diff(breaks) == 2]
    return bool(close.size and (arr[close - 1] == 13).any())


def _byte(fh: Any, block: bytes, offset: int, pos: int) -> int:
    """The byte at file position ``pos`` (in this block or the one before)."""
    if pos >= offset:
        return block[pos - offset]
    here = fh.tell()
    fh.seek(pos)
    value = fh.read(1)[0]
    fh.seek(here)
    return value
