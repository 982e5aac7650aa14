"""Tables: column types, the table spec (types inferred, overridable from a YAML file), and coercion.

Survey section 4 (tabular data). Column types: ``numerical``, ``categorical``, ``boolean``,
``datetime``, plus ``id`` for identifier-like columns (unique strings such as names or keys) that
distribution metrics skip. Missing values stay missing (NaN); categorical metrics count them as
their own category and numerical metrics drop them and report the share.
"""
from __future__ import annotations

import hashlib
from concurrent.futures import Future
import os
import re
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

import numpy as np
import pandas as pd

from synthaudit.data import files
from synthaudit.errors import InputError, SpecError


class ColumnType(str, Enum):
    NUMERICAL = "numerical"
    CATEGORICAL = "categorical"
    BOOLEAN = "boolean"
    DATETIME = "datetime"
    ID = "id"

    def __str__(self) -> str:  # pragma: no cover - cosmetic
        return self.value


#: column types are inferred from the first rows of the real table (all of it when smaller)
INFER_ROWS = 10_000
#: integer-valued numeric columns with at most this many distinct values are inferred categorical
MAX_INT_CATEGORIES = 5
#: a string column with more distinct values than this share of its rows (and > 50) is an identifier
ID_UNIQUE_SHARE = 0.5
_BOOL_STRINGS = {"true", "false"}
_DATE_RE = re.compile(r"^\s*(\d{4}-\d{1,2}-\d{1,2}([ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?|"
                      r"\d{1,2}/\d{1,2}/\d{2,4}( \d{1,2}:\d{2}(:\d{2})?)?)\s*$")


@dataclass
class ColumnSpec:
    name: str
    type: ColumnType
    format: str | None = None  # datetime format (strftime), optional
    inferred: bool = True
    reason: str = ""


@dataclass
class TableSpec:
    """Column names and types shared by every table of one audit."""

    columns: dict[str, ColumnSpec] = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)
    na_values: frozenset[str] = frozenset()  # text markers of a missing value, e.g. '?' (``--na-values``)

    def names(self, *types: ColumnType) -> list[str]:
        if not types:
            return list(self.columns)
        return [n for n, c in self.columns.items() if c.type in types]

    @property
    def numerical(self) -> list[str]:
        """Columns compared as numbers (numerical and datetime)."""
        return self.names(ColumnType.NUMERICAL, ColumnType.DATETIME)

    @property
    def categorical(self) -> list[str]:
        """Columns compared as categories (categorical and boolean)."""
        return self.names(ColumnType.CATEGORICAL, ColumnType.BOOLEAN)

    def type_of(self, name: str) -> ColumnType:
        return self.columns[name].type

    def to_dict(self) -> dict[str, Any]:
        return {n: {"type": c.type.value, "inferred": c.inferred, **({"reason": c.reason} if c.reason else {}),
                    **({"format": c.format} if c.format else {})} for n, c in self.columns.items()}

    def coerce(self, frame: pd.DataFrame, *, label: str = "table", warnings: list[str] | None = None,
               row_offset: int = 0) -> pd.DataFrame:
        """A new frame with exactly the spec's columns, typed; unparseable cells become missing and are reported."""
        # numerical columns already stored as numbers are converted as one block (a wide table has thousands)
        block = [n for n, c in self.columns.items() if c.type == ColumnType.NUMERICAL and _plain_number(frame, n)]
        out = {}
        for name, col in self.columns.items():
            if name in block and len(block) > 1:
                continue
            # a streamed JSON Lines batch whose records all lack a key has no such column: missing values
            raw = frame[name] if name in frame.columns else pd.Series(None, index=frame.index, dtype=object)
            out[name] = coerce_series(mask_na_values(raw, self.na_values), col, label=label, warnings=warnings,
                                      row_offset=row_offset)
        if len(block) <= 1:
            return pd.DataFrame(out, index=frame.index)
        x = frame[block].to_numpy(dtype="float64", copy=True)
        infinite = np.isinf(x)
        for j in np.flatnonzero(infinite.any(axis=0)):  # as coerce_series: missing, reported per column
            positions = np.flatnonzero(infinite[:, j])
            if warnings is not None:
                _add_unparsed_warning(warnings, label, block[j], "finite numbers (inf or -inf)",
                                      row_offset + positions + 1, float(x[positions[0], j]))
        x[infinite] = np.nan
        parts = [pd.DataFrame(x, columns=block, index=frame.index)]
        if out:
            parts.append(pd.DataFrame(out, index=frame.index))
        return pd.concat(parts, axis=1)[list(self.columns)]


def _plain_number(frame: pd.DataFrame, name: str) -> bool:
    """Whether column ``name`` of ``frame`` is one column of numpy ints or floats (read as numbers already)."""
    if name not in frame.columns or not frame.columns.is_unique:
        return False
    dtype = frame.dtypes[name]
    return isinstance(dtype, np.dtype) and dtype.kind in "iuf"


def mask_na_values(series: pd.Series, na_values: frozenset[str] | set[str]) -> pd.Series:
    """The series with every text cell equal to one of ``na_values`` (after trimming spaces) set missing."""
    if not na_values or not (pd.api.types.is_object_dtype(series) or pd.api.types.is_string_dtype(series)
                             or isinstance(series.dtype, pd.CategoricalDtype)):
        return series
    hit = series.astype(object).map(lambda v: isinstance(v, str) and v.strip() in na_values).astype(bool)
    return series.astype(object).mask(hit) if hit.any() else series


def canonical_category(value: Any) -> Any:
    """One spelling per category: 1, 1.0 and '1' all become '1'; missing stays None."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, (float, np.floating)) and np.isnan(value):  # also float32/float16 NaN
        return None
    if isinstance(value, (np.datetime64, np.timedelta64)) and np.isnat(value):
        return None
    if isinstance(value, (bool, np.bool_)):
        return "True" if value else "False"
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    return str(value)


def _canonical_bool(value: Any) -> Any:
    v = canonical_category(value)
    if v is None:
        return None
    low = v.strip().lower()
    # a boolean column may be spelled True/False, 'true'/'false' or 1/0 (1.0/0.0, '1'/'0') by generators
    return "True" if low in ("true", "1") else "False" if low in ("false", "0") else v


class _UnparsedWarning(str):
    """The warning text for cells of one column that did not parse, with the (1-based) rows it covers.

    A table is coerced batch by batch when streamed and again whole for global metrics, so the same
    cells are seen more than once: warnings for one table and column are merged (rows counted once)
    instead of repeated with partial counts.
    """

    key: tuple[str, str, str]
    rows: np.ndarray
    first_value: Any

    @classmethod
    def make(cls, label: str, column: str, expected: str, rows: np.ndarray, first_value: Any) -> "_UnparsedWarning":
        text = (f"{label}: column '{column}': {len(rows)} value(s) are not {expected} and were treated as missing "
                f"(first at data row {int(rows[0])}, header not counted: {first_value!r})")
        obj = cls(text)
        obj.key, obj.rows, obj.first_value = (label, column, expected), rows, first_value
        return obj


def _add_unparsed_warning(warnings: list[str], label: str, column: str, expected: str, rows: np.ndarray,
                          first_value: Any) -> None:
    rows = np.unique(np.asarray(rows, dtype=np.int64))
    key = (label, column, expected)
    for i, w in enumerate(warnings):
        if isinstance(w, _UnparsedWarning) and w.key == key:
            merged = np.union1d(w.rows, rows)
            first = first_value if rows[0] < w.rows[0] else w.first_value
            warnings[i] = _UnparsedWarning.make(label, column, expected, merged, first)
            return
    warnings.append(_UnparsedWarning.make(label, column, expected, rows, first_value))


def coerce_series(series: pd.Series, col: ColumnSpec, *, label: str, warnings: list[str] | None,
                  row_offset: int = 0) -> pd.Series:
    def report_unparsed(parsed: pd.Series, expected: str) -> None:
        bad = parsed.isna() & series.notna()
        if warnings is not None and bad.any():
            positions = np.flatnonzero(bad.to_numpy())
            _add_unparsed_warning(warnings, label, col.name, expected, row_offset + positions + 1,
                                  series.iloc[int(positions[0])])

    if col.type == ColumnType.NUMERICAL:
        if pd.api.types.is_bool_dtype(series):
            return series.astype(float)
        parsed = pd.to_numeric(series, errors="coerce").astype("float64")
        report_unparsed(parsed, "numbers")
        infinite = np.isinf(parsed.to_numpy())
        if infinite.any():  # inf / -inf: no distance, moment, bin or model is defined on them, so missing
            positions = np.flatnonzero(infinite)
            if warnings is not None:
                first = series.iloc[int(positions[0])]
                _add_unparsed_warning(warnings, label, col.name, "finite numbers (inf or -inf)",
                                      row_offset + positions + 1, first.item() if isinstance(first, np.generic)
                                      else first)
            parsed = parsed.mask(pd.Series(infinite, index=parsed.index))
        return parsed
    if col.type == ColumnType.DATETIME:
        if pd.api.types.is_datetime64_any_dtype(series):
            parsed = series
        else:
            parsed = pd.to_datetime(series, errors="coerce", format=col.format, utc=True)
            report_unparsed(parsed, f"dates{' in format ' + col.format if col.format else ''}")
        if getattr(parsed.dt, "tz", None) is not None:
            parsed = parsed.dt.tz_convert("UTC").dt.tz_localize(None)
        return parsed.astype("datetime64[ns]")
    return as_categorical(series, _canonical_bool if col.type == ColumnType.BOOLEAN else canonical_category)


def as_categorical(series: pd.Series, canon: Callable[[Any], Any] = None) -> pd.Series:
    """A pandas Categorical of canonical category strings (missing stays missing).

    Only the distinct values are canonicalised (hash factorisation first), so this is vectorised.
    """
    canon = canon or canonical_category
    if isinstance(series.dtype, pd.CategoricalDtype):
        codes, uniques = series.cat.codes.to_numpy(), np.asarray(series.cat.categories, dtype=object)
    else:
        codes, uniques = pd.factorize(series, use_na_sentinel=True)
        uniques = np.asarray(uniques, dtype=object)
    labels = [canon(u) for u in uniques]
    categories = list(dict.fromkeys(x for x in labels if x is not None))
    position = {c: i for i, c in enumerate(categories)}
    remap = np.array([position[x] if x is not None else -1 for x in labels] + [-1], dtype=np.int64)
    new_codes = remap[np.where(codes < 0, len(labels), codes)]
    return pd.Series(pd.Categorical.from_codes(new_codes, categories=categories), index=series.index,
                     name=series.name)


def infer_column(name: str, series: pd.Series) -> ColumnSpec:
    """Infer one column's type from its values (documented in docs/tabular.md)."""
    values = series.dropna()
    n = len(values)
    if pd.api.types.is_bool_dtype(series):
        return ColumnSpec(name, ColumnType.BOOLEAN, reason="boolean dtype")
    if pd.api.types.is_datetime64_any_dtype(series):
        return ColumnSpec(name, ColumnType.DATETIME, reason="datetime dtype")
    if n == 0:
        return ColumnSpec(name, ColumnType.CATEGORICAL, reason="no values: treated as one missing category")
    if pd.api.types.is_numeric_dtype(series):
        return _numeric_spec(name, values.astype(float), "numeric dtype")
    # work on the distinct values only (vectorised: a column has far fewer distinct values than rows)
    distinct = pd.Series(list(dict.fromkeys(canonical_category(u) for u in pd.unique(values))), dtype=object)
    if distinct.str.strip().str.lower().isin(_BOOL_STRINGS).all():
        return ColumnSpec(name, ColumnType.BOOLEAN, reason="values are true/false")
    if pd.to_numeric(distinct, errors="coerce").notna().all():
        return _numeric_spec(name, pd.to_numeric(values, errors="coerce").astype(float), "all values parse as numbers")
    sample = distinct.iloc[:1000]
    if sample.str.match(_DATE_RE).mean() >= 0.95:
        parsed = pd.to_datetime(sample, errors="coerce", utc=True, format="mixed")
        if parsed.notna().mean() >= 0.95:
            return ColumnSpec(name, ColumnType.DATETIME, reason="values look like dates")
    nunique = len(distinct)
    if nunique > 50 and nunique > ID_UNIQUE_SHARE * n:
        return ColumnSpec(name, ColumnType.ID, reason=f"{nunique} distinct strings in {n} rows: identifier-like, "
                                                      "not compared as a distribution")
    return ColumnSpec(name, ColumnType.CATEGORICAL, reason=f"text with {nunique} distinct values")


def _numeric_spec(name: str, values: pd.Series, why: str) -> ColumnSpec:
    finite = values[np.isfinite(values)]
    if len(finite) and (finite % 1 == 0).all() and finite.nunique() <= MAX_INT_CATEGORIES:
        return ColumnSpec(name, ColumnType.CATEGORICAL,
                          reason=f"{why}, integer-valued with {finite.nunique()} distinct values "
                                 f"(<= {MAX_INT_CATEGORIES}): treated as categories")
    return ColumnSpec(name, ColumnType.NUMERICAL, reason=why)


def infer_spec(frame: pd.DataFrame, columns: Iterable[str]) -> TableSpec:
    columns = list(columns)
    block = [c for c in columns if _plain_number(frame, c)]
    known = _numeric_specs(frame, block) if len(block) > 1 else {}
    return TableSpec(columns={c: known[c] if c in known else infer_column(c, frame[c]) for c in columns})


def _numeric_specs(frame: pd.DataFrame, names: list[str]) -> dict[str, ColumnSpec]:
    """``infer_column`` of columns stored as numpy numbers, computed as one block (same types and reasons)."""
    x = frame[names].to_numpy(dtype="float64")
    present = ~np.isnan(x)
    finite = np.isfinite(x)
    with np.errstate(invalid="ignore"):
        whole = np.where(finite, np.mod(x, 1) == 0, True).all(axis=0) & finite.any(axis=0)
    out = {}
    for j, name in enumerate(names):
        if not present[:, j].any():
            out[name] = ColumnSpec(name, ColumnType.CATEGORICAL, reason="no values: treated as one missing category")
        elif whole[j]:  # integer-valued: categories when few (the only case that needs the values)
            out[name] = _numeric_spec(name, pd.Series(x[present[:, j], j]), "numeric dtype")
        else:
            out[name] = ColumnSpec(name, ColumnType.NUMERICAL, reason="numeric dtype")
    return out


_TYPE_ALIASES = {"numerical": ColumnType.NUMERICAL, "numeric": ColumnType.NUMERICAL, "continuous": ColumnType.NUMERICAL,
                 "categorical": ColumnType.CATEGORICAL, "category": ColumnType.CATEGORICAL,
                 "boolean": ColumnType.BOOLEAN, "bool": ColumnType.BOOLEAN, "datetime": ColumnType.DATETIME,
                 "date": ColumnType.DATETIME, "id": ColumnType.ID}


def read_spec_file(path: str | Path) -> dict[str, Any]:
    """Read a table spec YAML file: ``columns: {name: type | {type: ..., format: ...}}``, ``ignore: [..]``."""
    path = Path(path)
    files.check_readable(path)
    doc = files.read_yaml_file(path, SpecError, "a table spec YAML file")
    if not isinstance(doc, dict):
        raise SpecError("expected a mapping with a 'columns' key", file=str(path))
    unknown = set(doc) - {"columns", "ignore", "constraints"}
    if unknown:
        raise SpecError(f"unknown top-level key(s) {sorted(unknown)}; expected columns, ignore, constraints",
                        file=str(path))
    return {"path": str(path), **doc}


def apply_spec_overrides(spec: TableSpec, doc: dict[str, Any] | None, available: Iterable[str]) -> TableSpec:
    """Apply the user's column types and ``ignore`` list from a spec file to an inferred spec."""
    if not doc:
        return spec
    path = doc.get("path")
    available = list(available)
    columns = doc.get("columns") or {}
    if not isinstance(columns, dict):
        raise SpecError("'columns' must map column names to types", file=path, field="columns")
    for name, entry in columns.items():
        if name not in available:
            raise SpecError(f"column {name!r} is not in the data (columns: {', '.join(map(str, available))})",
                            file=path, field=f"columns.{name}")
        if isinstance(entry, str):
            entry = {"type": entry}
        if not isinstance(entry, dict) or "type" not in entry:
            raise SpecError("expected a type name or a mapping with 'type'", file=path, field=f"columns.{name}")
        ctype = _TYPE_ALIASES.get(str(entry["type"]).lower())
        if ctype is None:
            raise SpecError(f"unknown type {entry['type']!r}; expected one of numerical, categorical, boolean, "
                            "datetime, id", file=path, field=f"columns.{name}")
        spec.columns[name] = ColumnSpec(name, ctype, format=entry.get("format"), inferred=False,
                                        reason="from spec file")
    ignore = doc.get("ignore") or []
    if not isinstance(ignore, list):
        raise SpecError("'ignore' must be a list of column names", file=path, field="ignore")
    for name in ignore:
        if name not in spec.columns:
            raise SpecError(f"column {name!r} to ignore is not in the data", file=path, field="ignore")
        spec.columns.pop(name)
        spec.ignored.append(name)
    return spec


def check_not_empty(frame: pd.DataFrame, label: str) -> pd.DataFrame:
    """``frame`` when it has rows and columns; else one error naming the input (a header-only file has nothing
    to audit, compare or sample)."""
    if len(frame) == 0:
        raise InputError("has a header but no data rows" if len(frame.columns) else "has no rows and no columns",
                         file=label, hint="expected a header line and at least one row")
    if len(frame.columns) == 0:
        raise InputError("has no columns", file=label)
    return frame


class Table:
    """A table from a file, a DataFrame or a stream of DataFrames, read lazily.

    ``frame()`` materialises it; ``batches(n)`` streams it. A one-shot iterator is cached in memory the
    first time it is consumed so that a second pass (or a global metric) can still see it.
    """

    def __init__(self, label: str, *, frame: pd.DataFrame | None = None,
                 batch_factory: Callable[[int | None], Iterator[pd.DataFrame]] | None = None,
                 one_shot: bool = False, path: str | None = None, fmt: str | None = None,
                 fingerprint: "str | Future[str] | None" = None, n_rows: int | None = None) -> None:
        self.label = label
        self._frame = frame
        self._factory = batch_factory
        self._one_shot = one_shot
        self.path = path
        self.format = fmt
        #: a file's sha256 may still be computed in the background (files.file_sha256_later)
        self._pending_fingerprint = fingerprint if isinstance(fingerprint, Future) else None
        self._fingerprint = None if self._pending_fingerprint is not None else fingerprint
        #: known up front for a frame and for Arrow-backed sources (their row count is metadata)
        self._n_rows: int | None = n_rows if frame is None else len(frame)
        self._span_options: dict[str, Any] | None = None  # set for a streamed file (see ``spans``)
        self._planned: dict[int, list | None] = {}  # spans by batch size

    # -- constructors -------------------------------------------------------------------------
    @classmethod
    def from_any(cls, obj: Any, label: str, *, fmt: str | None = None, delimiter: str | None = None,
                 encoding: str = "utf-8", stream: bool = False) -> "Table":
        """Accept a path (str/Path: a data file, or a directory written by ``Dataset.save_to_disk``), a
        DataFrame, an iterable of DataFrames, a ``pyarrow.Table`` / ``RecordBatch`` / ``RecordBatchReader``,
        or a Hugging Face ``datasets.Dataset`` / ``IterableDataset`` (see :mod:`synthaudit.data.arrow_inputs`).

        Arrow-backed inputs are read in record-batch slices, never converted whole unless ``frame()`` is
        asked for; like files they are read into memory at once unless ``stream``."""
        if isinstance(obj, Table):
            return obj
        if isinstance(obj, pd.DataFrame):
            return cls(label, frame=files.flatten_nested(obj))  # a copy if it must change: never the user's frame
        if isinstance(obj, (str, os.PathLike)):
            path = Path(obj)
            if path.is_dir():
                from synthaudit.data import arrow_inputs

                if arrow_inputs.disk_kind(path):
                    return cls._from_arrow(arrow_inputs.from_disk(path), str(path), stream)
            files.check_readable(path)  # any other directory: "is a directory, expected a data file"
            kind = files.detect_format(path, fmt)
            sha = files.file_sha256_later(path)
            if stream:
                def factory(n: int | None) -> Iterator[pd.DataFrame]:
                    return files.iter_file(path, fmt=kind, delimiter=delimiter, encoding=encoding,
                                           batch_size=n or 50_000)

                table = cls(str(path), batch_factory=factory, path=str(path), fmt=kind, fingerprint=sha)
                table._span_options = {"delimiter": delimiter, "encoding": encoding}
                return table
            frame = files.read_file(path, fmt=kind, delimiter=delimiter, encoding=encoding)
            return cls(str(path), frame=frame, path=str(path), fmt=kind, fingerprint=sha)
        from synthaudit.data import arrow_inputs  # before Iterable: Datasets iterate rows, DatasetDicts are dicts

        source = arrow_inputs.from_object(obj, label)
        if source is not None:
            return cls._from_arrow(source, label, stream)
        if isinstance(obj, Iterable) and not isinstance(obj, (bytes, dict)):
            it = iter(obj)
            return cls(label, batch_factory=lambda n: it, one_shot=True)
        kind = type(obj).__name__ if type(obj).__module__ == "builtins" else \
            f"{type(obj).__module__}.{type(obj).__qualname__}"
        raise InputError(f"{label}: expected a file path, a pandas DataFrame, an iterable of DataFrames, a pyarrow "
                         "Table or RecordBatch, a Hugging Face Dataset (one split) or a directory written by "
                         f"Dataset.save_to_disk, got {kind}",
                         hint="files: CSV/TSV, Parquet, JSON Lines or JSON")

    @classmethod
    def _from_arrow(cls, source: Any, label: str, stream: bool) -> "Table":
        """A table over an :class:`~synthaudit.data.arrow_inputs.ArrowSource`: a re-iterable batch factory
        (one-shot for an IterableDataset or a RecordBatchReader), materialised now unless ``stream``."""
        table = cls(label, batch_factory=source.factory, one_shot=source.one_shot, path=source.path, fmt=source.fmt,
                    fingerprint=source.fingerprint, n_rows=source.n_rows)
        if not stream:
            table.frame()
        return table

    # -- access -------------------------------------------------------------------------------
    @property
    def materialized(self) -> bool:
        return self._frame is not None

    def head(self, n_rows: int = INFER_ROWS) -> pd.DataFrame:
        """The first ``n_rows`` rows (type inference, column checks) without losing any of a stream."""
        if self._frame is not None:
            return self._frame.iloc[:n_rows]
        if self._one_shot:
            source = iter(self._factory(None))
            taken: list[pd.DataFrame] = []
            count = 0
            for part in source:
                taken.append(part)
                count += len(part)
                if count >= n_rows:
                    break
            if not taken:
                raise InputError(f"{self.label}: the stream yielded no data")
            self._factory = _chain_first(taken, source)
            frame = pd.concat(taken, ignore_index=True) if len(taken) > 1 else taken[0]
            return frame.iloc[:n_rows]
        parts, count = [], 0
        for part in self._factory(min(n_rows, 50_000)):
            parts.append(part)
            count += len(part)
            if count >= n_rows:
                break
        if not parts:
            raise InputError("has no data rows", file=self.label)
        return (pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]).iloc[:n_rows]

    def frame(self) -> pd.DataFrame:
        if self._frame is None:
            parts = list(self._iter_raw(None))
            self._frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
            self._n_rows = len(self._frame)
        return self._frame

    def batches(self, batch_size: int | None = None) -> Iterator[pd.DataFrame]:
        if self._frame is not None:
            n = batch_size or max(len(self._frame), 1)
            for start in range(0, len(self._frame), n):
                yield self._frame.iloc[start:start + n]
            return
        if self._one_shot:  # keep what we stream so that later passes can reuse it
            parts = []
            hasher = _FrameHasher()
            for part in self._iter_raw(batch_size):
                parts.append(part)
                hasher.update(part)
                yield part
            self._fingerprint = self._fingerprint or hasher.hexdigest()
            self._frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
            self._n_rows = len(self._frame)
            return
        count = 0
        hasher = _FrameHasher() if self._fingerprint is None and self._pending_fingerprint is None else None
        for part in self._iter_raw(batch_size):
            count += len(part)
            if hasher:
                hasher.update(part)
            yield part
        self._n_rows = count
        if hasher:
            self._fingerprint = hasher.hexdigest()

    def mapped(self, fn: Callable[[Iterator[pd.DataFrame]], Iterator[pd.DataFrame]]) -> "Table":
        """A streamed table over the same source whose batches pass through ``fn`` (a one-shot stream stays
        one-shot; path, format, fingerprint and size are kept)."""
        return Table(self.label, batch_factory=lambda n: fn(self._iter_raw(n)), one_shot=self._one_shot,
                     path=self.path, fmt=self.format, fingerprint=self._pending_fingerprint or self._fingerprint,
                     n_rows=self._n_rows)

    def spans(self, batch_size: int) -> list | None:
        """The batches of a streamed Parquet or plain CSV file as :class:`~synthaudit.data.spans.Span` objects that a
        worker reads itself (the batches ``batches(batch_size)`` yields); None for other tables."""
        if self._span_options is None or self._frame is not None:
            return None
        if batch_size not in self._planned:  # a pre-pass and the streaming pass cut the file once
            from synthaudit.data.spans import plan_spans

            found = plan_spans(self.path, self.format, batch_size, **self._span_options)
            if found is not None:
                self._n_rows = sum(s.rows for s in found)
            self._planned[batch_size] = found
        return self._planned[batch_size]

    def _iter_raw(self, batch_size: int | None) -> Iterator[pd.DataFrame]:
        for i, part in enumerate(self._factory(batch_size)):
            if not isinstance(part, pd.DataFrame):
                raise InputError(f"{self.label}: batch {i + 1} of the stream is a {type(part).__name__}, "
                                 "expected a pandas DataFrame")
            yield part

    @property
    def n_rows(self) -> int | None:
        return self._n_rows

    def count_rows(self) -> int | None:
        """The number of records without loading them: known for frames and Arrow sources, read from a Parquet
        footer, counted as non-blank lines of JSON Lines and text files, and as lines after the header of a CSV
        (an upper bound when quoted fields hold line breaks); None for a one-shot stream."""
        if self._n_rows is not None or self._frame is not None:
            return self._n_rows if self._frame is None else len(self._frame)
        if not self.path or self.format not in ("parquet", "jsonl", "txt", "csv", "tsv"):
            return None
        path = Path(self.path)
        if self.format == "parquet":
            import pyarrow.parquet as pq

            return pq.ParquetFile(path).metadata.num_rows
        with files.opener_for(path)(path, "rb") as f:
            count = sum(1 for line in f if line.strip())
        return count - 1 if self.format in ("csv", "tsv") else count

    def fingerprint(self) -> str | None:
        """sha256 of the file bytes, or of the contents (column names + row hashes); None for a
        stream that has not been read through yet."""
        if self._pending_fingerprint is not None:
            self._fingerprint, self._pending_fingerprint = self._pending_fingerprint.result(), None
        if self._fingerprint:
            return self._fingerprint
        if self._frame is None:
            return None
        hasher = _FrameHasher()
        hasher.update(self._frame)
        self._fingerprint = hasher.hexdigest()
        return self._fingerprint


class _FrameHasher:
    """Content hash of a table that is the same whether it is hashed whole or batch by batch."""

    def __init__(self) -> None:
        self._h = hashlib.sha256()
        self._columns_done = False

    def update(self, frame: pd.DataFrame) -> None:
        if not self._columns_done:
            self._h.update("\x1f".join(map(str, frame.columns)).encode("utf-8"))
            self._columns_done = True
        try:
            hashed = pd.util.hash_pandas_object(frame, index=False)
        except UnicodeEncodeError:  # lone surrogates in text: hash their escaped form instead
            hashed = pd.util.hash_pandas_object(frame.map(
                lambda v: v.encode("utf-8", "surrogatepass").decode("utf-8", "backslashreplace")
                if isinstance(v, str) else v), index=False)
        self._h.update(hashed.to_numpy().tobytes())

    def hexdigest(self) -> str:
        return self._h.hexdigest()


def _chain_first(first: list[pd.DataFrame], rest: Iterator[pd.DataFrame]):
    used = {"done": False}

    def factory(n: int | None) -> Iterator[pd.DataFrame]:
        if used["done"]:
            return iter(())
        used["done"] = True

        def gen():
            yield from first
            yield from rest

        return gen()

    return factory
