"""Validity constraints for tables (survey section 4.2, 'Validity': VR = #violations / #checks).

The constraint language users write in YAML (docs/tabular.md, 'Constraints (validity)'): parsing with
validation (one :class:`SpecError` naming the file and the constraint), vectorised evaluation per batch,
a mergeable per-constraint state (:class:`ViolationState`) and inference from the real table.
Expressions are checked against a whitelist on their syntax tree and then evaluated with
``DataFrame.eval``; user text never reaches Python's ``eval``.
"""
from __future__ import annotations

import ast
import datetime as _dt
import math
import re
import unicodedata
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from synthaudit.data.tabular import ColumnType, TableSpec, _canonical_bool, as_categorical, canonical_category
from synthaudit.errors import SpecError, UsageError
from synthaudit.metrics.tabular.features import REAL

if TYPE_CHECKING:
    from synthaudit.data.inputs import AuditInputs

TYPES = ("range", "allowed", "not_null", "unique", "regex", "dependency", "compare", "expression")
TYPE_ALIASES = {"fd": "dependency", "functional_dependency": "dependency", "notnull": "not_null",
                "not-null": "not_null", "inequality": "compare", "categories": "allowed"}
OPS = ("<", "<=", ">", ">=", "==", "!=")
CHECK_UNITS = ("row_x_constraint", "row", "constraint")
N_EXAMPLES = 5
#: inference limits: categories of an 'allowed' set / a dependency column, rows for a unique key, caps
MAX_CATEGORIES = 50
MIN_UNIQUE_ROWS = 50
MIN_COMPARE_ROWS = 20
FD_SUPPORT = 5  # complete rows per determinant value, at least
MAX_INFERRED_FDS = 20
MAX_INFERRED_COMPARES = 20
MAX_EXPRESSION_CHARS = 5000
_COMMON_KEYS = {"type", "name", "description", "allow_missing"}
_KEYS: dict[str, tuple[set[str], set[str]]] = {  # (required, optional) beyond the common keys
    "range": ({"column"}, {"min", "max"}),
    "allowed": ({"column", "values"}, set()),
    "not_null": (set(), {"column", "columns"}),
    "unique": (set(), {"column", "columns"}),
    "regex": ({"column", "pattern"}, set()),
    "dependency": ({"determinant", "dependent"}, {"against"}),
    "compare": ({"left", "op", "right"}, set()),
    "expression": ({"expr"}, set()),
}
_TEXT = (ColumnType.CATEGORICAL, ColumnType.BOOLEAN, ColumnType.ID)


# ---------------------------------------------------------------------------------------------------------
# values: numeric views, canonical text, keys


def _missing(series: pd.Series) -> np.ndarray:
    return series.isna().to_numpy()


def _numbers(series: pd.Series, ctype: ColumnType) -> np.ndarray:
    """float64 view of a numerical column; a text column's values parsed as numbers (NaN when not a number)."""
    if ctype == ColumnType.NUMERICAL:
        return pd.to_numeric(series, errors="coerce").to_numpy(dtype=float)
    cat = _as_cat(series)
    values = pd.to_numeric(pd.Series(np.asarray(cat.cat.categories, dtype=object)), errors="coerce").to_numpy(float)
    codes = cat.cat.codes.to_numpy()
    return np.where(codes >= 0, values[np.maximum(codes, 0)] if len(values) else np.nan, np.nan)


def _dates(series: pd.Series) -> np.ndarray:
    """int64 nanoseconds since the epoch (missing: an arbitrary value, masked by the caller)."""
    return series.to_numpy(dtype="datetime64[ns]").view("int64")


def _as_cat(series: pd.Series) -> pd.Series:
    return series if isinstance(series.dtype, pd.CategoricalDtype) else as_categorical(series)


def _text_match(series: pd.Series, test) -> np.ndarray:
    """``test(category_text) -> bool`` applied once per distinct value, then mapped to rows (False if missing)."""
    cat = _as_cat(series)
    per_cat = np.array([bool(test(str(c))) for c in cat.cat.categories] + [False], dtype=bool)
    codes = cat.cat.codes.to_numpy()
    return per_cat[np.where(codes >= 0, codes, len(per_cat) - 1)]


def _text_values(series: pd.Series) -> np.ndarray:
    cat = _as_cat(series)
    cats = np.asarray(list(cat.cat.categories) + [None], dtype=object)
    codes = cat.cat.codes.to_numpy()
    return cats[np.where(codes >= 0, codes, len(cats) - 1)]


def key_hash(frame: pd.DataFrame, columns: list[str]) -> np.ndarray:
    """uint64 hash per row of the values in ``columns`` (equal values, equal hashes, across batches and tables
    coerced with the same table spec; -0.0 is 0.0)."""
    part = frame[list(columns)].copy()
    for c in part.columns:
        if pd.api.types.is_float_dtype(part[c]):
            part[c] = part[c] + 0.0
    return pd.util.hash_pandas_object(part, index=False).to_numpy(dtype=np.uint64)


def plain(value: Any) -> Any:
    """A JSON-friendly cell value (missing -> None, dates -> ISO text, numpy scalars -> Python)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, (pd.Timestamp, _dt.date)):
        return value.isoformat()
    if isinstance(value, np.datetime64):
        return None if np.isnat(value) else pd.Timestamp(value).isoformat()
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


# ---------------------------------------------------------------------------------------------------------
# constraints


@dataclass
class Constraint:
    """One parsed constraint. ``level`` is 'row' (each row checked on its own) or 'table' (needs other rows)."""

    index: int
    name: str
    type: str
    columns: tuple[str, ...]
    rule: str
    spec: dict[str, Any]
    ctypes: dict[str, ColumnType]
    allow_missing: bool = True
    inferred: bool = False
    level: str = "row"

    def _result(self, missing: np.ndarray, fails: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(applicable, violated): a row with a missing cell is not applicable unless allow_missing is false,
        then it is counted and violates."""
        if self.allow_missing:
            return ~missing, fails & ~missing
        return np.ones_like(missing), fails | missing

    def evaluate(self, frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:  # row-level constraints
        raise NotImplementedError

    def prepare(self, inputs: AuditInputs) -> None:
        """Per-audit set-up (e.g. the real table's mapping); nothing by default."""


@dataclass
class RangeConstraint(Constraint):
    lo: float | None = None
    hi: float | None = None

    def evaluate(self, frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        col = self.columns[0]
        s, ctype = frame[col], self.ctypes[col]
        missing = _missing(s)
        if ctype == ColumnType.DATETIME:
            x = _dates(s)
            fails = np.zeros(len(s), dtype=bool)
        else:
            x = _numbers(s, ctype)
            fails = np.isnan(x)  # present but not a number (text columns)
        with np.errstate(invalid="ignore"):
            if self.lo is not None:
                fails |= x < self.lo
            if self.hi is not None:
                fails |= x > self.hi
        return self._result(missing, fails & ~missing)


@dataclass
class AllowedConstraint(Constraint):
    values: list[Any] = field(default_factory=list)

    def evaluate(self, frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        col = self.columns[0]
        s, ctype = frame[col], self.ctypes[col]
        missing = _missing(s)
        if ctype == ColumnType.NUMERICAL:
            ok = np.isin(_numbers(s, ctype), np.asarray(self.values, dtype=float))
        elif ctype == ColumnType.DATETIME:
            ok = np.isin(_dates(s), np.asarray(self.values, dtype=np.int64))
        else:
            allowed = set(self.values)
            ok = _text_match(s, allowed.__contains__)
        return self._result(missing, ~ok & ~missing)


@dataclass
class NotNullConstraint(Constraint):
    def evaluate(self, frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        missing = np.zeros(len(frame), dtype=bool)
        for c in self.columns:
            missing |= _missing(frame[c])
        return np.ones(len(frame), dtype=bool), missing


@dataclass
class RegexConstraint(Constraint):
    pattern: re.Pattern | None = None

    def evaluate(self, frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        s = frame[self.columns[0]]
        missing = _missing(s)
        ok = _text_match(s, lambda text: self.pattern.fullmatch(text) is not None)
        return self._result(missing, ~ok & ~missing)


@dataclass
class CompareConstraint(Constraint):
    op: str = "<="

    def evaluate(self, frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        a, b = self.columns
        sa, sb = frame[a], frame[b]
        missing = _missing(sa) | _missing(sb)
        ta, tb = self.ctypes[a], self.ctypes[b]
        fails = np.zeros(len(frame), dtype=bool)
        if ta == ColumnType.DATETIME:
            x, y = _dates(sa), _dates(sb)
        elif ta in _TEXT and tb in _TEXT and self.op in ("==", "!="):
            x, y = _text_values(sa), _text_values(sb)
        else:  # numbers; text parsed as numbers, and text that is not a number fails
            x, y = _numbers(sa, ta), _numbers(sb, tb)
            fails = np.isnan(x) | np.isnan(y)
        with np.errstate(invalid="ignore"):
            fails = fails | ~_apply_op(x, self.op, y)
        return self._result(missing, fails & ~missing)


def _apply_op(x: np.ndarray, op: str, y: np.ndarray) -> np.ndarray:
    out = {"<": np.less, "<=": np.less_equal, ">": np.greater, ">=": np.greater_equal, "==": np.equal,
           "!=": np.not_equal}[op](x, y)
    return np.asarray(out, dtype=bool)


@dataclass
class ExpressionConstraint(Constraint):
    code: str = ""
    placeholders: dict[tuple[str, str], str] = field(default_factory=dict)  # (column, view) -> name in ``code``
    vocabulary: list[str] = field(default_factory=list)  # text constants, coded 0..k-1

    def evaluate(self, frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        env = {}
        text_cols = [c for (c, view) in self.placeholders if view == "text"]
        codes = dict(zip(text_cols, _joint_codes([_text_values(frame[c]) for c in text_cols], self.vocabulary)))
        for (c, view), name in self.placeholders.items():
            s = frame[c]
            gone = _missing(s)
            if view == "text":
                env[name] = codes[c]
                continue
            if view == "date":
                arr = pd.array(np.where(gone, 0, _dates(s)), dtype="Int64")
            else:  # numbers; text parsed as numbers (text that is not a number is unknown, like a missing cell)
                x = _numbers(s, self.ctypes[c])
                gone = gone | np.isnan(x)
                arr = pd.array(np.where(gone, 0.0, x), dtype="Float64")
            arr[gone] = pd.NA
            env[name] = arr
        local = pd.DataFrame(env, index=pd.RangeIndex(len(frame)))
        result = pd.array(local.eval(self.code, engine="python", parser="pandas"), dtype="boolean")
        unknown = np.asarray(result.isna(), dtype=bool)
        holds = result.to_numpy(dtype=bool, na_value=True)
        return self._result(unknown, ~holds)


def _joint_codes(columns: list[np.ndarray], vocabulary: list[str]) -> list[Any]:
    """Integer codes (nullable Int64) shared by several text columns; the constants are codes 0..k-1."""
    if not columns:
        return []
    n = len(columns[0])
    stacked = np.concatenate([np.asarray(vocabulary, dtype=object), *columns])
    codes, _ = pd.factorize(stacked, use_na_sentinel=True)
    codes = codes[len(vocabulary):]
    out = []
    for i in range(len(columns)):
        part = codes[i * n:(i + 1) * n]
        arr = pd.array(part, dtype="Int64")
        arr[part < 0] = pd.NA
        out.append(arr)
    return out


@dataclass
class RealDependencyConstraint(Constraint):
    """A -> B checked against the real table: a synthetic (A, B) pair must occur in real data whenever A does."""

    determinant: tuple[str, ...] = ()
    dependent: tuple[str, ...] = ()
    real_det: np.ndarray | None = None
    real_pairs: np.ndarray | None = None

    def prepare(self, inputs: AuditInputs) -> None:
        def compute() -> tuple[np.ndarray, np.ndarray]:
            dets, pairs = [], []
            cols = list(self.determinant + self.dependent)
            for batch in inputs.batches(REAL):
                complete = ~batch[cols].isna().any(axis=1).to_numpy()
                part = batch[complete]
                dets.append(key_hash(part, list(self.determinant)))
                pairs.append(key_hash(part, cols))
            def cat(xs):
                return np.unique(np.concatenate(xs)) if xs else np.array([], dtype=np.uint64)

            return cat(dets), cat(pairs)

        key = f"tabular.constraints.real_mapping[{','.join(self.determinant)}->{','.join(self.dependent)}]"
        self.real_det, self.real_pairs = inputs.features.get(key, compute)

    def evaluate(self, frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        cols = list(self.determinant + self.dependent)
        missing = frame[cols].isna().any(axis=1).to_numpy()
        det = key_hash(frame, list(self.determinant))
        seen = np.isin(det, self.real_det) & ~frame[list(self.determinant)].isna().any(axis=1).to_numpy()
        pair_ok = np.isin(key_hash(frame, cols), self.real_pairs)
        applicable, violated = self._result(missing, ~pair_ok & ~missing)
        # a determinant value the real data never show has no mapping to check against: not applicable
        return applicable & (seen | missing), violated & (seen | missing)

    def unseen(self, frame: pd.DataFrame) -> int:
        det_cols = list(self.determinant)
        present = ~frame[list(self.determinant + self.dependent)].isna().any(axis=1).to_numpy()
        return int((present & ~np.isin(key_hash(frame, det_cols), self.real_det)).sum())


@dataclass
class UniqueConstraint(Constraint):
    level: str = "table"


@dataclass
class DependencyConstraint(Constraint):
    determinant: tuple[str, ...] = ()
    dependent: tuple[str, ...] = ()
    level: str = "table"


# ---------------------------------------------------------------------------------------------------------
# parsing


class _Ctx:
    """Where a constraint comes from, for error messages."""

    def __init__(self, path: str | None, index: int, name: str | None, inferred: bool) -> None:
        self.path, self.index, self.name, self.inferred = path, index, name, inferred

    def fail(self, message: str, key: str | None = None, hint: str | None = None) -> SpecError:
        who = f"inferred constraint {self.name!r}" if self.inferred else \
            f"constraint #{self.index}" + (f" ({self.name!r})" if self.name else "")
        return SpecError(f"{who}: {message}", file=self.path, field=key, hint=hint)


def _columns_text(names: list[str]) -> str:
    shown = ", ".join(map(str, names[:15]))
    return shown + (f", ... ({len(names)} in all)" if len(names) > 15 else "")


def _column(ctx: _Ctx, spec: TableSpec, value: Any, key: str) -> str:
    if not isinstance(value, str) or not value:
        raise ctx.fail(f"'{key}' must be a column name, got {value!r}", key)
    if value not in spec.columns:
        if value in spec.ignored:
            raise ctx.fail(f"column {value!r} is ignored by the table spec", key)
        raise ctx.fail(f"unknown column {value!r} (columns: {_columns_text(list(spec.columns))})", key)
    return value


def _column_list(ctx: _Ctx, spec: TableSpec, value: Any, key: str) -> tuple[str, ...]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not items:
        raise ctx.fail(f"'{key}' must be a column name or a non-empty list of column names, got {value!r}", key)
    cols = tuple(_column(ctx, spec, v, key) for v in items)
    if len(set(cols)) != len(cols):
        raise ctx.fail(f"'{key}' names a column twice: {list(cols)}", key)
    return cols


def _bound(ctx: _Ctx, value: Any, ctype: ColumnType, key: str, column: str) -> float | int:
    if ctype == ColumnType.DATETIME:
        return _date_ns(ctx, value, key, column)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(float(value)):
        raise ctx.fail(f"'{key}' must be a finite number for column {column!r} ({ctype.value}), got {value!r}", key)
    return float(value)


def _date_ns(ctx: _Ctx, value: Any, key: str, column: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (str, _dt.date, _dt.datetime, pd.Timestamp)):
        raise ctx.fail(f"'{key}' must be a date such as 2024-01-31 for the datetime column {column!r}, "
                       f"got {value!r}", key)
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError):
        raise ctx.fail(f"'{key}': {value!r} is not a date (expected e.g. 2024-01-31 or 2024-01-31T12:00)", key) \
            from None
    if ts is pd.NaT:
        raise ctx.fail(f"'{key}': {value!r} is not a date", key)
    if ts.tz is not None:
        ts = ts.tz_convert("UTC").tz_localize(None)
    return int(ts.as_unit("ns").value)


def _default_name(kind: str, columns: tuple[str, ...], rule: str) -> str:
    if kind in ("compare", "expression"):
        return f"{kind}: {rule}" if len(rule) <= 60 else f"{kind}: {rule[:57]}..."
    return f"{kind}({', '.join(columns)})"


def parse_constraint(item: Any, spec: TableSpec, *, index: int, path: str | None = None,
                     inferred: bool = False, has_real: bool = True) -> Constraint:
    """One constraint from its YAML mapping; raises SpecError naming the file and the constraint."""
    name = item.get("name") if isinstance(item, dict) else None
    ctx = _Ctx(path, index, name if isinstance(name, str) else None, inferred)
    if not isinstance(item, dict):
        raise ctx.fail(f"expected a mapping with a 'type' key, got {type(item).__name__} {item!r}",
                       hint="e.g. {type: range, column: age, min: 0, max: 120}")
    if name is not None and (not isinstance(name, str) or not name.strip()):
        raise ctx.fail(f"'name' must be non-empty text, got {name!r}", "name")
    raw_type = item.get("type")
    if raw_type is None:
        raise ctx.fail(f"missing 'type'; expected one of {', '.join(TYPES)}", "type")
    kind = TYPE_ALIASES.get(str(raw_type).strip().lower(), str(raw_type).strip().lower())
    if kind not in TYPES:
        raise ctx.fail(f"unknown type {raw_type!r}; expected one of {', '.join(TYPES)}", "type")
    required, optional = _KEYS[kind]
    unknown = sorted(set(item) - required - optional - _COMMON_KEYS, key=str)
    if unknown:
        raise ctx.fail(f"unknown field(s) {', '.join(map(str, unknown))} for type {kind!r}; expected "
                       f"{', '.join(sorted(required | optional | _COMMON_KEYS))}", str(unknown[0]))
    lacking = sorted(required - set(item))
    if lacking:
        raise ctx.fail(f"missing field(s) {', '.join(lacking)} for type {kind!r}", lacking[0])
    allow_missing = item.get("allow_missing", True)
    if not isinstance(allow_missing, bool):
        raise ctx.fail(f"'allow_missing' must be true or false, got {allow_missing!r}", "allow_missing")
    if kind == "not_null" and "allow_missing" in item:
        raise ctx.fail("'allow_missing' does not apply to not_null (it checks exactly that)", "allow_missing")
    common = {"index": index, "name": name or "", "type": kind, "spec": dict(item),
              "allow_missing": allow_missing, "inferred": inferred}

    def types(cols: tuple[str, ...]) -> dict[str, ColumnType]:
        return {c: spec.type_of(c) for c in cols}

    if kind == "range":
        col = _column(ctx, spec, item["column"], "column")
        ctype = spec.type_of(col)
        if ctype == ColumnType.BOOLEAN:
            raise ctx.fail(f"column {col!r} is boolean: a range does not apply (use allowed)", "column")
        if "min" not in item and "max" not in item:
            raise ctx.fail("a range needs 'min', 'max' or both", "min")
        lo = _bound(ctx, item["min"], ctype, "min", col) if item.get("min") is not None else None
        hi = _bound(ctx, item["max"], ctype, "max", col) if item.get("max") is not None else None
        if lo is None and hi is None:
            raise ctx.fail("'min' and 'max' are both empty", "min")
        if lo is not None and hi is not None and lo > hi:
            raise ctx.fail(f"'min' ({item['min']!r}) is greater than 'max' ({item['max']!r})", "min")
        rule = f"{_show(item.get('min'))} <= {col} <= {_show(item.get('max'))}" if lo is not None and hi is not None \
            else (f"{col} >= {_show(item['min'])}" if lo is not None else f"{col} <= {_show(item['max'])}")
        c = RangeConstraint(columns=(col,), rule=rule, ctypes=types((col,)), lo=lo, hi=hi, **common)
    elif kind == "allowed":
        col = _column(ctx, spec, item["column"], "column")
        ctype = spec.type_of(col)
        values = item["values"]
        if not isinstance(values, list) or not values:
            raise ctx.fail(f"'values' must be a non-empty list, got {values!r}", "values")
        if any(v is None for v in values):
            raise ctx.fail("'values' holds a missing value (null); missing cells are governed by allow_missing",
                           "values")
        if ctype == ColumnType.NUMERICAL:
            allowed = [_bound(ctx, v, ctype, "values", col) for v in values]
        elif ctype == ColumnType.DATETIME:
            allowed = [_date_ns(ctx, v, "values", col) for v in values]
        elif ctype == ColumnType.BOOLEAN:
            allowed = [_canonical_bool(v) for v in values]
        else:
            allowed = [canonical_category(v) for v in values]
        shown = ", ".join(map(str, values[:8])) + (f", ... ({len(values)} values)" if len(values) > 8 else "")
        c = AllowedConstraint(columns=(col,), rule=f"{col} in {{{shown}}}", ctypes=types((col,)),
                              values=allowed, **common)
    elif kind == "not_null":
        if ("column" in item) == ("columns" in item):
            raise ctx.fail("give 'column' (one) or 'columns' (a list), not both or neither", "column")
        cols = _column_list(ctx, spec, item.get("column", item.get("columns")),
                            "column" if "column" in item else "columns")
        c = NotNullConstraint(columns=cols, rule=f"{', '.join(cols)} not missing", ctypes=types(cols), **common)
    elif kind == "unique":
        if ("column" in item) == ("columns" in item):
            raise ctx.fail("give 'columns' (a list; a composite key when several) or 'column', not both or neither",
                           "columns")
        cols = _column_list(ctx, spec, item.get("columns", item.get("column")),
                            "columns" if "columns" in item else "column")
        c = UniqueConstraint(columns=cols, rule=f"({', '.join(cols)}) unique", ctypes=types(cols), **common)
    elif kind == "regex":
        col = _column(ctx, spec, item["column"], "column")
        if spec.type_of(col) == ColumnType.DATETIME:
            raise ctx.fail(f"column {col!r} is a datetime column (parsed dates, not text)", "column",
                           hint="use a range on dates, or declare the column categorical in the table spec")
        pattern = item["pattern"]
        if not isinstance(pattern, str) or not pattern:
            raise ctx.fail(f"'pattern' must be a non-empty regular expression, got {pattern!r}", "pattern")
        try:
            compiled = re.compile(pattern)
        except re.error as exc:
            raise ctx.fail(f"'pattern' {pattern!r} is not a valid regular expression ({exc})", "pattern") from None
        c = RegexConstraint(columns=(col,), rule=f"{col} full-matches /{pattern}/", ctypes=types((col,)),
                            pattern=compiled, **common)
    elif kind == "dependency":
        det = _column_list(ctx, spec, item["determinant"], "determinant")
        dep = _column_list(ctx, spec, item["dependent"], "dependent")
        if set(det) & set(dep):
            raise ctx.fail(f"a column is both determinant and dependent: {sorted(set(det) & set(dep))}", "dependent")
        against = item.get("against", "synthetic")
        if against not in ("synthetic", "real"):
            raise ctx.fail(f"'against' must be 'synthetic' or 'real', got {against!r}", "against")
        if against == "real" and not has_real:
            raise ctx.fail("'against: real' needs the real table (--real)", "against")
        rule = f"{', '.join(det)} -> {', '.join(dep)}" + (" (as in real data)" if against == "real" else "")
        cls = RealDependencyConstraint if against == "real" else DependencyConstraint
        c = cls(columns=det + dep, rule=rule, ctypes=types(det + dep), determinant=det, dependent=dep, **common)
    elif kind == "compare":
        a = _column(ctx, spec, item["left"], "left")
        b = _column(ctx, spec, item["right"], "right")
        op = item["op"]
        if op not in OPS:
            raise ctx.fail(f"'op' must be one of {', '.join(OPS)}, got {op!r}", "op")
        if a == b:
            raise ctx.fail(f"'left' and 'right' are the same column {a!r}", "right")
        ta, tb = spec.type_of(a), spec.type_of(b)
        if (ta == ColumnType.DATETIME) != (tb == ColumnType.DATETIME) or \
                (ColumnType.BOOLEAN in (ta, tb) and (ta != tb or op not in ("==", "!="))):
            raise ctx.fail(f"{a!r} is {ta.value} and {b!r} is {tb.value}: they cannot be compared with {op}", "right",
                           hint="compare numbers with numbers (text columns holding numbers count), dates with "
                                "dates, text with text (== and != only); set column types in the table spec")
        c = CompareConstraint(columns=(a, b), rule=f"{a} {op} {b}", ctypes=types((a, b)), op=op, **common)
    else:  # expression
        expr = item["expr"]
        if not isinstance(expr, str) or not expr.strip():
            raise ctx.fail(f"'expr' must be a non-empty expression, got {expr!r}", "expr")
        code, placeholders, vocabulary = compile_expression(expr, spec, ctx)
        cols = tuple(dict.fromkeys(c for c, _ in placeholders))
        c = ExpressionConstraint(columns=cols, rule=" ".join(expr.split()), ctypes=types(cols), code=code,
                                 placeholders=placeholders, vocabulary=vocabulary, **common)
    if not c.name:
        c.name = _default_name(kind, c.columns, c.rule)
    return c


def _show(v: Any) -> str:
    if isinstance(v, (_dt.date, _dt.datetime)):
        return v.isoformat()
    return f"{v:g}" if isinstance(v, float) else str(v)


# ---------------------------------------------------------------------------------------------------------
# the expression language


_CMP_OPS = {ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">="}
_MIRROR = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}
_NODE_WORDS = {ast.Call: "a function call", ast.Attribute: "attribute access", ast.Subscript: "indexing",
               ast.BinOp: "arithmetic", ast.Lambda: "a lambda", ast.IfExp: "an if-expression",
               ast.Dict: "a dict", ast.ListComp: "a comprehension", ast.GeneratorExp: "a comprehension",
               ast.SetComp: "a comprehension", ast.DictComp: "a comprehension", ast.JoinedStr: "an f-string",
               ast.NamedExpr: "an assignment", ast.Starred: "unpacking", ast.Await: "await",
               ast.Slice: "a slice"}


@dataclass
class _Operand:
    kind: str  # "column" or "const"
    value: Any  # column name, or the constant
    ctype: ColumnType | None = None


def compile_expression(text: str, spec: TableSpec, ctx: _Ctx) -> tuple[str, dict[tuple[str, str], str], list[str]]:
    """Check an expression against the whitelist (column names, numbers, strings, comparisons, and/or/not,
    ``in [...]``) and compile it to ``DataFrame.eval`` code over placeholder columns.

    Returns (code, (column, view) -> placeholder, text constants coded 0..k-1). Every placeholder is a
    nullable numeric column: numbers ('num': text columns parsed as numbers), dates ('date': ns) or text
    ('text': integer codes shared with the constants), so a comparison with a missing cell is unknown and
    and/or/not follow three-valued logic (pandas nullable booleans).
    """
    if len(text) > MAX_EXPRESSION_CHARS:
        raise ctx.fail(f"the expression is longer than {MAX_EXPRESSION_CHARS} characters", "expr")
    quoted: dict[str, str] = {}

    def unquote(m: re.Match) -> str:
        key = f"__bq{len(quoted)}__"
        quoted[key] = m.group(1)
        return key

    src = re.sub(r"`([^`]+)`", unquote, text)
    if "`" in src:
        raise ctx.fail("unbalanced backquote: quote column names like `hours per week`", "expr")
    try:
        tree = ast.parse(src.strip(), mode="eval")
    except SyntaxError as exc:
        raise ctx.fail(f"the expression does not parse ({exc.msg}): {text!r}", "expr",
                       hint="write comparisons joined by and/or/not; quote odd column names with backquotes") from None
    normal = {unicodedata.normalize("NFKC", c): c for c in spec.columns}
    placeholders: dict[tuple[str, str], str] = {}
    vocabulary: dict[str, int] = {}
    allowed_words = ("allowed: column names, numbers, strings, comparisons (== != < <= > >=), and/or/not, "
                     "'in [...]'")

    def column(node: ast.Name) -> _Operand:
        name = quoted.get(node.id, node.id)
        col = name if name in spec.columns else normal.get(unicodedata.normalize("NFKC", name))
        if col is None:
            if name in spec.ignored:
                raise ctx.fail(f"column {name!r} is ignored by the table spec", "expr")
            raise ctx.fail(f"unknown column {name!r} in the expression (columns: {_columns_text(list(spec.columns))})",
                           "expr")
        return _Operand("column", col, spec.type_of(col))

    def ph(col: _Operand, view: str) -> str:
        if view == "num" and col.ctype == ColumnType.BOOLEAN:
            raise ctx.fail(f"column {col.value!r} is boolean: only ==, != and 'in' compare it", "expr")
        return placeholders.setdefault((col.value, view), f"{view[0]}{len(placeholders)}")

    def operand(node: ast.AST) -> _Operand:
        if isinstance(node, ast.Name):
            return column(node)
        if isinstance(node, ast.Constant) and isinstance(node.value, (str, int, float)):
            if isinstance(node.value, float) and not math.isfinite(node.value):
                raise ctx.fail("only finite numbers are allowed", "expr")
            return _Operand("const", node.value)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)) \
                and isinstance(node.operand, ast.Constant) and isinstance(node.operand.value, (int, float)) \
                and not isinstance(node.operand.value, bool):
            v = node.operand.value
            return _Operand("const", -v if isinstance(node.op, ast.USub) else v)
        if isinstance(node, ast.Constant) and node.value is None:
            raise ctx.fail("None is not allowed: missing cells are handled by allow_missing and not_null", "expr")
        raise ctx.fail(f"{_describe(node)} is not allowed in an expression ({allowed_words})", "expr")

    def text_code(col: _Operand, value: Any) -> str:
        canon = _canonical_bool(value) if col.ctype == ColumnType.BOOLEAN else canonical_category(value)
        vocabulary.setdefault(canon, len(vocabulary))
        return str(vocabulary[canon])

    def with_const(col: _Operand, op: str, value: Any) -> str:
        ctype, ordering = col.ctype, op not in ("==", "!=")
        if ctype == ColumnType.DATETIME:
            if not isinstance(value, str):
                raise ctx.fail(f"column {col.value!r} holds dates: compare it with a date string such as "
                               f"'2024-01-31', not {value!r}", "expr")
            return f"({ph(col, 'date')} {op} {_date_ns(ctx, value, 'expr', col.value)})"
        if ctype == ColumnType.NUMERICAL:
            if isinstance(value, (str, bool)):
                raise ctx.fail(f"column {col.value!r} is numerical and is compared with {value!r}", "expr")
            return f"({ph(col, 'num')} {op} {float(value)!r})"
        if ordering:  # a text column ordered against a number: compared as numbers (text that is no number: unknown)
            if isinstance(value, (str, bool)):
                raise ctx.fail(f"column {col.value!r} is {ctype.value}: '{op}' needs a number, got {value!r}", "expr")
            return f"({ph(col, 'num')} {op} {float(value)!r})"
        return f"({ph(col, 'text')} {op} {text_code(col, value)})"

    def pair(left: _Operand, op: str, right: _Operand) -> str:
        if left.kind == "const" and right.kind == "const":
            raise ctx.fail(f"compares two constants ({left.value!r} {op} {right.value!r}); name a column", "expr")
        if left.kind == "const":
            left, right, op = right, left, _MIRROR[op]
        if right.kind == "const":
            return with_const(left, op, right.value)
        ta, tb = left.ctype, right.ctype
        if (ta == ColumnType.DATETIME) != (tb == ColumnType.DATETIME):
            raise ctx.fail(f"{left.value!r} ({ta.value}) and {right.value!r} ({tb.value}) cannot be compared", "expr")
        if ta == ColumnType.DATETIME:
            view = "date"
        elif ta in _TEXT and tb in _TEXT and op in ("==", "!="):
            if (ta == ColumnType.BOOLEAN) != (tb == ColumnType.BOOLEAN):
                raise ctx.fail(f"{left.value!r} ({ta.value}) and {right.value!r} ({tb.value}) cannot be compared",
                               "expr")
            view = "text"
        else:
            view = "num"
        return f"({ph(left, view)} {op} {ph(right, view)})"

    def condition(node: ast.AST) -> str:
        if isinstance(node, ast.BoolOp):
            joiner = " & " if isinstance(node.op, ast.And) else " | "
            return "(" + joiner.join(condition(v) for v in node.values) + ")"
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            return f"~{condition(node.operand)}"
        if isinstance(node, ast.Compare):
            parts = []
            left = operand(node.left)
            for op_node, right_node in zip(node.ops, node.comparators):
                if isinstance(op_node, (ast.In, ast.NotIn)):
                    listed = isinstance(right_node, (ast.List, ast.Tuple, ast.Set)) and right_node.elts
                    if left is None or left.kind != "column" or not listed:
                        raise ctx.fail("'in' needs a column on the left and a non-empty list of constants on the "
                                       "right, e.g. sex in ['Male', 'Female']", "expr")
                    consts = [operand(e) for e in right_node.elts]
                    if any(k.kind != "const" for k in consts):
                        raise ctx.fail("the list after 'in' must hold constants only", "expr")
                    neg = isinstance(op_node, ast.NotIn)
                    items = [pair(left, "!=" if neg else "==", k) for k in consts]
                    parts.append("(" + (" & " if neg else " | ").join(items) + ")")
                    left = None  # 'x in [...] < y' makes no sense
                    continue
                if isinstance(op_node, (ast.Is, ast.IsNot)):
                    raise ctx.fail("'is' is not allowed; use == or != (missing cells: allow_missing, not_null)",
                                   "expr")
                if left is None:
                    raise ctx.fail("an 'in' test cannot be chained with another comparison", "expr")
                right = operand(right_node)
                parts.append(pair(left, _CMP_OPS[type(op_node)], right))
                left = right
            return parts[0] if len(parts) == 1 else "(" + " & ".join(parts) + ")"
        if isinstance(node, ast.Name):
            col = column(node)
            if col.ctype != ColumnType.BOOLEAN:
                raise ctx.fail(f"column {col.value!r} ({col.ctype.value}) is not a condition; compare it "
                               f"(e.g. {col.value} > 0)", "expr")
            return with_const(col, "==", True)
        if isinstance(node, ast.Constant) and isinstance(node.value, bool):
            raise ctx.fail("a constant True/False is not a check; name a column", "expr")
        if isinstance(node, (ast.Constant, ast.UnaryOp)):
            raise ctx.fail(f"{_describe(node)} is not a condition: write a comparison such as age >= 18", "expr")
        raise ctx.fail(f"{_describe(node)} is not allowed in an expression ({allowed_words})", "expr")

    code = condition(tree.body)
    return code, placeholders, list(vocabulary)


def _describe(node: ast.AST) -> str:
    for cls, word in _NODE_WORDS.items():
        if isinstance(node, cls):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                return f"a function call ({node.func.id}(...))"
            if isinstance(node, ast.Attribute):
                return f"attribute access (.{node.attr})"
            return word
    if isinstance(node, ast.UnaryOp):
        return "a bare number" if isinstance(node.op, (ast.USub, ast.UAdd)) else "a bitwise operator (use not)"
    if isinstance(node, ast.Constant):
        return f"a bare constant ({node.value!r})"
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        return "a list outside 'in'"
    return f"a {type(node).__name__} node"


# ---------------------------------------------------------------------------------------------------------
# the constraints of an audit


def parse_constraints(items: list[Any], spec: TableSpec, *, path: str | None = None, has_real: bool = True,
                      inferred: bool = False) -> list[Constraint]:
    """Parse a list of constraint mappings; names must be unique (defaults are made unique with '#index')."""
    if not isinstance(items, list):
        raise SpecError("expected a list of constraints (under a 'constraints' key)", file=path, field="constraints")
    out: list[Constraint] = []
    for i, item in enumerate(items, start=1):
        out.append(parse_constraint(item, spec, index=i, path=path, inferred=inferred, has_real=has_real))
    seen: dict[str, Constraint] = {}
    for c in out:
        if c.name in seen:
            if isinstance(c.spec.get("name"), str):
                raise SpecError(f"constraint #{c.index}: the name {c.name!r} is already used by constraint "
                                f"#{seen[c.name].index}", file=path, field="name")
            c.name = f"{c.name} #{c.index}"
        seen[c.name] = c
    return out


def validate_constraints(inputs: AuditInputs) -> list[Constraint]:
    """The audit's constraints, parsed and validated up front (user-given, then inferred); cached per audit.

    Raises SpecError (invalid constraint spec: the file and the constraint are named) or UsageError
    (--infer-constraints without a real table). Call it right after ``prepare_tabular``.
    """
    def compute() -> list[Constraint]:
        spec = inputs.table_spec
        has_real = REAL in inputs.tables
        source = inputs.constraints or {}
        items = source.get("constraints") or []
        user = parse_constraints(items, spec, path=source.get("path"), has_real=has_real) if items else []
        if not inputs.infer_constraints:
            return user
        if not has_real:
            raise UsageError("--infer-constraints needs the real table to infer from (--real)",
                             field="--infer-constraints")
        covered = {(c.type, c.columns) for c in user}
        inferred = []
        for item in infer_constraints(inputs.frame(REAL), spec):
            c = parse_constraint(item, spec, index=0, path=None, inferred=True, has_real=True)
            if (c.type, c.columns) not in covered:
                inferred.append(c)
        names = {c.name for c in user}
        for c in inferred:
            if c.name in names:
                c.name = f"{c.name} (inferred)"
            names.add(c.name)
        return user + inferred

    if inputs.table_spec is None:
        raise UsageError("constraints need a table spec (prepare the inputs with prepare_tabular)")
    return inputs.features.get("tabular.constraints", compute)


def check_unit(inputs: AuditInputs, metric_id: str, default: str) -> str:
    unit = inputs.params_for(metric_id, {"check_unit": default})["check_unit"]
    if unit not in CHECK_UNITS:
        raise UsageError(f"{metric_id}.check_unit must be one of {', '.join(CHECK_UNITS)}, got {unit!r}",
                         field="--param")
    return unit


# ---------------------------------------------------------------------------------------------------------
# inference from the real table


def infer_constraints(frame: pd.DataFrame, spec: TableSpec) -> list[dict[str, Any]]:
    """Constraints that hold in the real table, as YAML-ready mappings (docs/tabular.md lists the rules):
    not_null (no missing value), range (observed min/max), allowed (observed set, <= MAX_CATEGORIES values),
    unique (integer/text columns unique over >= MIN_UNIQUE_ROWS rows), dependency (exact FDs between
    low-cardinality columns, at most MAX_INFERRED_FDS) and compare (orderings between numeric or date
    columns that hold in every real row, whose 10-90% ranges overlap, at most MAX_INFERRED_COMPARES)."""
    out: list[dict[str, Any]] = []
    n = len(frame)
    if n == 0:
        return out
    cols = list(spec.columns)
    for c in cols:
        if frame[c].notna().all():
            out.append({"type": "not_null", "column": c, "name": f"inferred not_null({c})"})
    for c in spec.numerical:
        s = frame[c].dropna()
        if s.empty:
            continue
        if spec.type_of(c) == ColumnType.DATETIME:
            lo, hi = pd.Timestamp(s.min()).isoformat(), pd.Timestamp(s.max()).isoformat()
        else:
            lo, hi = _tidy(float(s.min())), _tidy(float(s.max()))
        out.append({"type": "range", "column": c, "min": lo, "max": hi, "name": f"inferred range({c})"})
    for c in spec.categorical:
        cats = [str(v) for v in pd.unique(_text_values(frame[c])) if v is not None]
        if 1 <= len(cats) <= MAX_CATEGORIES:
            out.append({"type": "allowed", "column": c, "values": sorted(cats), "name": f"inferred allowed({c})"})
    unique_cols = []
    for c in cols:
        s, ctype = frame[c], spec.type_of(c)
        integer = ctype == ColumnType.NUMERICAL and np.all(np.mod(s.dropna().to_numpy(dtype=float), 1) == 0)
        if (ctype in _TEXT or integer) and n >= MIN_UNIQUE_ROWS and s.notna().all() and s.is_unique:
            unique_cols.append(c)
            out.append({"type": "unique", "columns": [c], "name": f"inferred unique({c})"})
    out += _infer_dependencies(frame, spec, set(unique_cols))
    out += _infer_compares(frame, spec)
    return out


def _tidy(x: float) -> float | int:
    return int(x) if float(x).is_integer() and abs(x) < 2 ** 53 else x


def _infer_dependencies(frame: pd.DataFrame, spec: TableSpec, unique_cols: set[str]) -> list[dict[str, Any]]:
    codes, card = {}, {}
    for c in spec.columns:
        if spec.type_of(c) == ColumnType.DATETIME or c in unique_cols:
            continue
        k, uniques = pd.factorize(frame[c], use_na_sentinel=True)
        if 2 <= len(uniques) <= MAX_CATEGORIES:
            codes[c], card[c] = k.astype(np.int64), len(uniques)
    out = []
    for a, ca in codes.items():
        for b, cb in codes.items():
            if a == b:
                continue
            complete = (ca >= 0) & (cb >= 0)
            if complete.sum() < FD_SUPPORT * card[a]:
                continue
            pairs = np.unique(ca[complete] * card[b] + cb[complete])
            if len(pairs) == len(np.unique(ca[complete])):
                out.append({"type": "dependency", "determinant": [a], "dependent": b,
                            "name": f"inferred dependency({a} -> {b})"})
                if len(out) >= MAX_INFERRED_FDS:
                    return out
    return out


def _infer_compares(frame: pd.DataFrame, spec: TableSpec) -> list[dict[str, Any]]:
    out = []
    groups = [spec.names(ColumnType.NUMERICAL), spec.names(ColumnType.DATETIME)]
    for group in groups:
        views = {}
        for c in group:
            s = frame[c]
            x = _dates(s).astype(float) if spec.type_of(c) == ColumnType.DATETIME else _numbers(s, spec.type_of(c))
            if spec.type_of(c) == ColumnType.DATETIME:
                x[_missing(s)] = np.nan
            views[c] = x
        for i, a in enumerate(group):
            for b in group[i + 1:]:
                x, y = views[a], views[b]
                ok = ~np.isnan(x) & ~np.isnan(y)
                if ok.sum() < MIN_COMPARE_ROWS:
                    continue
                x, y = x[ok], y[ok]
                (xl, xh), (yl, yh) = np.quantile(x, [0.1, 0.9]), np.quantile(y, [0.1, 0.9])
                if xh < yl or yh < xl:  # different scales: the ordering says nothing (and ranges imply it)
                    continue
                if np.all(x == y):
                    op = "=="
                elif np.all(x <= y):
                    op = "<" if np.all(x < y) else "<="
                elif np.all(x >= y):
                    op = ">" if np.all(x > y) else ">="
                else:
                    continue
                out.append({"type": "compare", "left": a, "op": op, "right": b,
                            "name": f"inferred compare({a} {op} {b})"})
                if len(out) >= MAX_INFERRED_COMPARES:
                    return out
    return out


# ---------------------------------------------------------------------------------------------------------
# mergeable state


@dataclass
class ViolationState:
    """Sufficient statistics of the violation counts, mergeable across batches and shards.

    Row-level constraints keep counts and the first examples; table-level ones (unique, dependency
    within the synthetic table) keep one uint64 key hash (and dependent-value hash) per row with the
    row number, so duplicates and determinant groups are resolved exactly across batches at the end.
    Row numbers are 0-based positions in the synthetic table; ``merge`` shifts the second shard's.
    """

    constraints: list[Constraint]
    n_rows: int = 0
    row_flags: list[np.ndarray] = field(default_factory=list)  # any row-level violation, per batch
    counts: dict[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def empty(cls, constraints: list[Constraint]) -> ViolationState:
        state = cls(constraints=constraints)
        for c in constraints:
            if c.level == "row":
                state.counts[c.name] = {"checks": 0, "violations": 0, "examples": [], "unseen": 0}
            else:
                state.counts[c.name] = {"keys": [], "deps": [], "rows": [], "missing_rows": [], "n_missing": 0}
        return state

    def update(self, batch: pd.DataFrame) -> ViolationState:
        n = len(batch)
        if n == 0:
            return self
        rows = np.arange(self.n_rows, self.n_rows + n, dtype=np.int64)
        flags = np.zeros(n, dtype=bool)
        for c in self.constraints:
            st = self.counts[c.name]
            if c.level == "row":
                applicable, violated = c.evaluate(batch)
                st["checks"] += int(applicable.sum())
                st["violations"] += int(violated.sum())
                flags |= violated
                if isinstance(c, RealDependencyConstraint):
                    st["unseen"] += c.unseen(batch)
                need = N_EXAMPLES - len(st["examples"])
                if need > 0 and violated.any():
                    cols = list(c.columns)
                    for pos in np.flatnonzero(violated)[:need]:
                        st["examples"].append({"row": int(rows[pos]) + 1,
                                               "values": {k: plain(batch[k].iloc[pos]) for k in cols}})
            else:
                key_cols = list(c.determinant) if isinstance(c, DependencyConstraint) else list(c.columns)
                missing = batch[list(c.columns)].isna().any(axis=1).to_numpy()
                keep = ~missing
                part = batch[keep]
                st["keys"].append(key_hash(part, key_cols))
                if isinstance(c, DependencyConstraint):
                    st["deps"].append(key_hash(part, list(c.dependent)))
                st["rows"].append(rows[keep])
                st["n_missing"] += int(missing.sum())
                if not c.allow_missing:
                    st["missing_rows"].append(rows[missing])
                    flags |= missing
        self.row_flags.append(flags)
        self.n_rows += n
        return self

    def merge(self, other: ViolationState) -> ViolationState:
        """``self`` followed by ``other`` (whose row numbers are shifted by ``self.n_rows``)."""
        shift = self.n_rows
        out = ViolationState(constraints=self.constraints, n_rows=self.n_rows + other.n_rows,
                             row_flags=self.row_flags + other.row_flags)
        for c in self.constraints:
            a, b = self.counts[c.name], other.counts[c.name]
            if c.level == "row":
                shifted = [{**e, "row": e["row"] + shift} for e in b["examples"]]
                out.counts[c.name] = {key: a[key] + b[key] for key in ("checks", "violations", "unseen")}
                out.counts[c.name]["examples"] = (a["examples"] + shifted)[:N_EXAMPLES]
            else:
                out.counts[c.name] = {"keys": a["keys"] + b["keys"], "deps": a["deps"] + b["deps"],
                                      "rows": a["rows"] + [r + shift for r in b["rows"]],
                                      "missing_rows": a["missing_rows"] + [r + shift for r in b["missing_rows"]],
                                      "n_missing": a["n_missing"] + b["n_missing"]}
        return out

    def resolve_table(self, c: Constraint) -> dict[str, Any]:
        """Checks, violating rows (0-based, sorted) and, per violating row, the row it conflicts with."""
        st = self.counts[c.name]

        def cat(xs, dt):
            return np.concatenate(xs) if xs else np.array([], dtype=dt)

        keys, rows = cat(st["keys"], np.uint64), cat(st["rows"], np.int64)
        missing_rows = cat(st["missing_rows"], np.int64)
        frame = pd.DataFrame({"k": keys, "row": rows})
        if isinstance(c, DependencyConstraint):
            frame["d"] = cat(st["deps"], np.uint64)
            pairs = frame.groupby(["k", "d"], sort=False).agg(n=("row", "size"), first=("row", "min")).reset_index()
            major = pairs.sort_values(["k", "n", "first"], ascending=[True, False, True]).drop_duplicates("k")
            major = major.set_index("k")
            expected = frame["k"].map(major["d"])
            bad = (frame["d"] != expected).to_numpy()
            ref = frame["k"].map(major["first"]).to_numpy()
        else:
            bad = frame["k"].duplicated(keep="first").to_numpy()
            ref = frame["k"].map(frame.drop_duplicates("k").set_index("k")["row"]).to_numpy() if len(frame) else \
                np.array([], dtype=np.int64)
        viol_rows = np.concatenate([rows[bad], missing_rows])
        refs = np.concatenate([ref[bad], np.full(len(missing_rows), -1, dtype=np.int64)])
        order = np.argsort(viol_rows, kind="stable")
        return {"checks": int(len(rows) + len(missing_rows)), "violating_rows": viol_rows[order],
                "refs": refs[order], "not_applicable": int(st["n_missing"] - len(missing_rows))}
