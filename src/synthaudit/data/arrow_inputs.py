"""Arrow-backed inputs: pyarrow Tables and RecordBatches, Hugging Face ``datasets`` objects and the
directories ``Dataset.save_to_disk`` writes.

Each is read as pandas batches (one Arrow slice of ``batch_size`` rows at a time, never the whole set at
once unless asked for), nested values (lists, structs) as JSON text exactly as Parquet batches are read
(:func:`files.arrow_to_frame`), so the same data gives the same values whatever it came in.

``datasets`` is an optional extra and is never imported here: its objects are recognised by the module of
their class, and save_to_disk directories are read with pyarrow alone (``state.json`` lists the data files,
Arrow streaming IPC files read over a memory map).
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

import pandas as pd

from synthaudit.data import files
from synthaudit.errors import InputError

#: rows per batch when a batch size is not given (a whole in-memory object is one batch)
STREAM_BATCH = 10_000
_HF_CLASSES = ("Dataset", "DatasetDict", "IterableDataset", "IterableDatasetDict")


@dataclass
class ArrowSource:
    """What :meth:`Table.from_any` needs to build a table from an Arrow-backed input."""

    factory: Callable[[int | None], Iterator[pd.DataFrame]]
    fmt: str
    n_rows: int | None = None
    one_shot: bool = False
    path: str | None = None
    fingerprint: str | None = None


# -- recognising the objects --------------------------------------------------------------------------
def hf_class(obj: Any) -> str | None:
    """'Dataset', 'DatasetDict', 'IterableDataset' or 'IterableDatasetDict' when ``obj`` is (a subclass of)
    that ``datasets`` class, else None (without importing ``datasets``)."""
    for cls in type(obj).__mro__:
        if cls.__module__.split(".")[0] == "datasets" and cls.__name__ in _HF_CLASSES:
            return cls.__name__
    return None


def _arrow_table(obj: Any) -> Any:
    """``obj`` as a ``pyarrow.Table`` when it is one, a RecordBatch or a ``datasets.table.Table`` wrapper
    (``ds.data``); else None. pyarrow is imported only for objects of its own (or datasets') classes."""
    module = type(obj).__module__.split(".")[0]
    if module == "datasets" and any(c.__name__ == "Table" and c.__module__ == "datasets.table"
                                    for c in type(obj).__mro__):
        obj, module = getattr(obj, "table", None), "pyarrow"
    if module != "pyarrow":
        return None
    import pyarrow as pa

    if isinstance(obj, pa.Table):
        return obj
    if isinstance(obj, pa.RecordBatch):
        return pa.Table.from_batches([obj])
    return None


def _is_batch_reader(obj: Any) -> bool:
    if type(obj).__module__.split(".")[0] != "pyarrow":
        return False
    import pyarrow as pa

    return isinstance(obj, pa.RecordBatchReader)


def from_object(obj: Any, label: str) -> ArrowSource | None:
    """An Arrow-backed in-memory object as a source; None when ``obj`` is not one.

    Raises :class:`InputError` for a DatasetDict (one split is wanted) and for an empty set."""
    kind = hf_class(obj)
    if kind in ("DatasetDict", "IterableDatasetDict"):
        splits = [str(s) for s in obj.keys()]
        example = "train" if "train" in splits else (splits[0] if splits else "train")
        raise InputError(f"is a Hugging Face {kind} with split(s) {', '.join(splits) or '(none)'}; expected one "
                         "split (a Dataset)", file=label, hint=f"pass one split, e.g. dd[{example!r}]")
    if kind == "Dataset":
        return _dataset_source(obj, label)
    if kind == "IterableDataset":
        return _iterable_dataset_source(obj)
    if _is_batch_reader(obj):
        reader = obj
        return ArrowSource(factory=lambda n: (files.arrow_to_frame(b) for b in reader), fmt="arrow", one_shot=True)
    table = _arrow_table(obj)
    if table is None:
        return None
    _check_rows(table.num_rows, table.column_names, label)
    return ArrowSource(factory=lambda n: iter_table(table, n), fmt="arrow", n_rows=table.num_rows)


def _check_rows(n_rows: int, columns: list[str], label: str) -> None:
    """An empty set is an input error (as an empty file is); so are duplicate column names (a pyarrow Table
    may have them; a CSV header may not)."""
    dupes = sorted({str(c) for c in columns if columns.count(c) > 1})
    if dupes:
        raise InputError(f"duplicate column names: {', '.join(dupes)}", file=label,
                         hint="every column needs its own name (pyarrow: table.rename_columns)")
    if n_rows == 0:
        shown = ", ".join(map(str, columns[:12])) or "none"
        raise InputError(f"has no data rows (0 rows; columns: {shown})", file=label,
                         hint="expected at least one row")


def iter_table(table: Any, batch_size: int | None) -> Iterator[pd.DataFrame]:
    """A pyarrow Table as DataFrames of ``batch_size`` rows (zero-copy slices; one frame when None)."""
    total = table.num_rows
    if total == 0:
        return
    if batch_size is None or batch_size >= total:
        yield files.arrow_to_frame(table)
        return
    for start in range(0, total, batch_size):
        yield files.arrow_to_frame(table.slice(start, batch_size))


def _dataset_source(ds: Any, label: str) -> ArrowSource:
    """A ``datasets.Dataset`` (e.g. one split ``dd['train']``), read through its Arrow format.

    ``with_format('arrow')`` returns the raw Arrow rows (features not decoded) in the dataset's order: an
    indices mapping left by ``select``/``shuffle``/``filter`` is applied per slice, without flattening
    the whole set. All columns are read (an output format's column selection does not apply)."""
    n_rows = ds.num_rows
    _check_rows(n_rows, list(ds.column_names), label)
    arrow = ds.with_format("arrow")

    def factory(batch_size: int | None) -> Iterator[pd.DataFrame]:
        size = batch_size or n_rows
        for start in range(0, n_rows, size):
            yield files.arrow_to_frame(arrow[start:start + size])

    return ArrowSource(factory=factory, fmt="hf_dataset", n_rows=n_rows)


def _iterable_dataset_source(ds: Any) -> ArrowSource:
    """A ``datasets.IterableDataset``: one pass over it as Arrow batches, kept by the table for later
    passes (its length is unknown up front and re-reading may mean re-downloading)."""

    def factory(batch_size: int | None) -> Iterator[pd.DataFrame]:
        size = batch_size or STREAM_BATCH
        try:
            batches = ds.with_format("arrow").iter(batch_size=size)
        except (AttributeError, TypeError, ValueError, NotImplementedError):  # an older datasets: rows as dicts
            yield from _row_batches(iter(ds), size)
            return
        for batch in batches:  # an Arrow table; a dict of columns where the arrow format is not supported
            yield files.arrow_to_frame(batch) if hasattr(batch, "to_pandas") else \
                files._flatten_nested(pd.DataFrame(batch))

    return ArrowSource(factory=factory, fmt="hf_dataset", one_shot=True)


def _row_batches(rows: Iterator[dict], size: int) -> Iterator[pd.DataFrame]:
    buf: list[dict] = []
    for row in rows:
        buf.append(row)
        if len(buf) >= size:
            yield files._flatten_nested(pd.DataFrame.from_records(buf))
            buf = []
    if buf:
        yield files._flatten_nested(pd.DataFrame.from_records(buf))


# -- save_to_disk directories ------------------------------------------------------------------------------
def disk_kind(path: Path) -> str | None:
    """'dataset' for a ``Dataset.save_to_disk`` directory, 'dataset_dict' for ``DatasetDict.save_to_disk``,
    else None."""
    if not path.is_dir():
        return None
    if (path / "state.json").is_file() and (path / "dataset_info.json").is_file():
        return "dataset"
    if (path / "dataset_dict.json").is_file():
        return "dataset_dict"
    return None


def _dict_splits(path: Path) -> list[str]:
    try:
        splits = files.loads_json((path / "dataset_dict.json").read_text(encoding="utf-8")).get("splits")
    except (OSError, UnicodeDecodeError, ValueError, AttributeError):
        splits = None
    if isinstance(splits, list) and all(isinstance(s, str) for s in splits):
        return splits
    return sorted(p.name for p in path.iterdir() if disk_kind(p) == "dataset")


def _data_files(path: Path) -> list[Path]:
    state_file = path / "state.json"
    try:
        state = files.loads_json(state_file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise InputError(f"cannot read the dataset's state.json ({exc})", file=str(state_file),
                         hint="a directory written by Dataset.save_to_disk has a JSON state.json") from None
    entries = state.get("_data_files") if isinstance(state, dict) else None
    if (not isinstance(entries, list) or not entries
            or not all(isinstance(e, dict) and isinstance(e.get("filename"), str) for e in entries)):
        raise InputError("lists no data files ('_data_files' with file names)", file=str(state_file),
                         hint="a directory written by Dataset.save_to_disk lists its data-*.arrow files there")
    out = []
    for e in entries:
        f = path / e["filename"]
        if not f.is_file():
            raise InputError("data file listed in state.json is missing", file=str(f))
        out.append(f)
    return out


def _open_arrow(f: Path) -> Any:
    """A reader of the record batches of an Arrow IPC file (the streaming format save_to_disk writes; the
    random-access file format is read too), over a memory map: nothing is copied until converted."""
    import pyarrow as pa

    try:
        try:
            return pa.ipc.open_stream(pa.memory_map(str(f)))
        except pa.ArrowInvalid:
            reader = pa.ipc.open_file(pa.memory_map(str(f)))
            return _FileBatches(reader)
    except (pa.ArrowException, OSError) as exc:
        raise InputError(f"not a readable Arrow IPC file ({exc})", file=str(f)) from None


class _FileBatches:
    def __init__(self, reader: Any) -> None:
        self.schema = reader.schema
        self._reader = reader

    def __iter__(self) -> Iterator[Any]:
        return (self._reader.get_batch(i) for i in range(self._reader.num_record_batches))

    def read_all(self) -> Any:
        return self._reader.read_all()


def from_disk(path: Path) -> ArrowSource:
    """A ``Dataset.save_to_disk`` directory read with pyarrow alone; a DatasetDict directory is refused
    with its splits named."""
    import pyarrow as pa

    if disk_kind(path) == "dataset_dict":
        splits = _dict_splits(path)
        example = "train" if "train" in splits else (splits[0] if splits else "<split>")
        raise InputError(f"is a Hugging Face DatasetDict directory (DatasetDict.save_to_disk) with split(s) "
                         f"{', '.join(splits) or '(none)'}; expected one split", file=str(path),
                         hint=f"pass DIR/<split>, e.g. {path / example}")
    data_files = _data_files(path)
    n_rows, schema = 0, None
    for f in data_files:  # row count and schema from the batch headers (memory-mapped: no data is read)
        reader = _open_arrow(f)
        schema = schema or reader.schema
        try:
            n_rows += sum(batch.num_rows for batch in reader)
        except (pa.ArrowException, OSError) as exc:
            raise InputError(f"not a readable Arrow IPC file ({exc})", file=str(f)) from None
    _check_rows(n_rows, list(schema.names) if schema is not None else [], str(path))
    digest = hashlib.sha256()
    for f in data_files:  # the data files' contents, in order (state.json's fingerprint is not content-based)
        digest.update(files.file_sha256(f).encode("ascii"))

    def factory(batch_size: int | None) -> Iterator[pd.DataFrame]:
        tables = [_open_arrow(f).read_all() for f in data_files]
        try:
            table = tables[0] if len(tables) == 1 else pa.concat_tables(tables)
        except pa.ArrowInvalid as exc:
            raise InputError(f"the data files do not share one schema ({exc})", file=str(path)) from None
        yield from iter_table(table, batch_size)

    return ArrowSource(factory=factory, fmt="hf_disk", n_rows=n_rows, path=str(path),
                       fingerprint=digest.hexdigest())
