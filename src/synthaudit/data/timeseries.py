"""Sequential data (the tutorial's sequential / time-series data): series sets and their loaders.

A **series set** holds one 2-D float array per series (time steps x channels; NaN = missing), the series ids,
their timestamps and static attributes; an **event-sequence** set holds one token list per series (user-item
interactions, categorical events). Accepted inputs (every table form: CSV, TSV, Parquet, JSON Lines, JSON,
DataFrame, Arrow, Hugging Face dataset):

* **long format**: one row per (series, time step): a series-id field (optional: without one the table is a
  single series), a time field (optional: without one, rows are in time order within each series), one or
  more numeric channel fields, and static attributes (fields that are constant within every series);
* **wide format**: one row per series, either a field holding the values as a list (``[1, 2, ...]`` or
  ``[[c1, c2], ...]`` for several channels) or, with ``layout="wide"``, numeric fields that are the time steps
  (trailing missing cells shorten the series);
* **event sequences** (``event_field``): the long form with a categorical event field, or one row per sequence
  whose field holds a list of tokens or space-separated text;
* from Python: a list of arrays (one per series), a 3-D array (series x time x channels) or a list of token
  lists.

Irregular timestamps and unequal lengths are kept and reported (``SeriesSet.describe``); rows are sorted by time
within a series, so results do not depend on row order. A malformed file raises one :class:`InputError` naming
the file, row and field.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from synthaudit.errors import InputError

if TYPE_CHECKING:
    import pandas as pd

    from synthaudit.data.inputs import AuditInputs
    from synthaudit.data.tabular import Table

#: the audit table (one row per series) holds each series' values, timestamps and events in these columns
SERIES_COL, TIMES_COL, EVENTS_COL = "__series__", "__times__", "__events__"
HIDDEN = (SERIES_COL, TIMES_COL, EVENTS_COL)
ID_FIELDS = ("series_id", "unique_id", "item_id", "sequence_id", "session_id", "user_id", "id", "series")
TIME_FIELDS = ("timestamp", "time", "date", "datetime", "ds", "t", "step", "year", "period")
VALUE_FIELDS = ("values", "value", "series", "sequence", "target")
EVENT_FIELDS = ("events", "items", "tokens", "sequence")
LAYOUTS = ("auto", "long", "wide")


@dataclass
class SeriesSet:
    """One side of a sequential audit. ``values[i]`` is series i as (T_i, C) floats (empty for event sequences);
    ``events[i]`` its tokens (event sequences only); ``times[i]`` its timestamps (float seconds or steps) or None
    when the data give none; ``static`` the per-series attributes (a frame aligned with ``ids``, or None)."""

    label: str
    ids: list[str]
    values: list[np.ndarray] = field(default_factory=list)
    channels: list[str] = field(default_factory=list)
    times: list[np.ndarray | None] = field(default_factory=list)
    static: "pd.DataFrame | None" = None
    events: list[list[str]] | None = None
    layout: str = "long"
    notes: list[str] = field(default_factory=list)

    @property
    def is_events(self) -> bool:
        return self.events is not None

    def __len__(self) -> int:
        return len(self.ids)

    def lengths(self) -> np.ndarray:
        return np.array([len(e) for e in self.events] if self.is_events else [v.shape[0] for v in self.values],
                        dtype=int)

    def irregular(self) -> int:
        """Series whose timestamps are not equally spaced."""
        n = 0
        for t in self.times:
            if t is not None and t.size > 2:
                d = np.diff(t)
                n += int(not np.allclose(d, d[0], rtol=1e-9, atol=0.0))
        return n

    def describe(self) -> dict[str, Any]:
        """What the report and ``summary`` say about these series."""
        return SeriesSummary(self.layout, self.channels, self.is_events).add(self).describe()

    def subset(self, index: Sequence[int], label: str | None = None) -> "SeriesSet":
        idx = list(index)
        return replace(self, label=label or self.label, ids=[self.ids[i] for i in idx],
                       values=[self.values[i] for i in idx] if not self.is_events else [],
                       times=[self.times[i] for i in idx] if self.times else [],
                       static=None if self.static is None else self.static.iloc[idx].reset_index(drop=True),
                       events=None if self.events is None else [self.events[i] for i in idx], notes=list(self.notes))


@dataclass
class SeriesSummary:
    """:meth:`SeriesSet.describe`, added up batch by batch (a streamed role is described as it is read): lengths are
    kept as counts of each length, events as the distinct ones, so memory does not grow with the series."""

    layout: str
    channels: list[str]
    is_events: bool
    series: int = 0
    lengths: dict[int, int] = field(default_factory=dict)
    events: set[str] = field(default_factory=set)
    missing: int = 0
    cells: int = 0
    timed: bool = False
    irregular: int = 0
    static: list[str] | None = None
    notes: list[str] = field(default_factory=list)

    def add(self, sset: SeriesSet) -> "SeriesSummary":
        self.series += len(sset)
        for n in sset.lengths().tolist():
            self.lengths[n] = self.lengths.get(n, 0) + 1
        if sset.is_events:
            self.events.update(t for seq in sset.events for t in seq)
        else:
            self.cells += sum(v.size for v in sset.values)
            self.missing += sum(int(np.isnan(v).sum()) for v in sset.values)
        self.timed = self.timed or any(t is not None for t in sset.times)
        self.irregular += sset.irregular()
        if self.static is None and sset.static is not None and len(sset.static.columns):
            self.static = [str(c) for c in sset.static.columns]
        self.notes += [n for n in sset.notes if n not in self.notes]
        return self

    def median_length(self) -> float:
        """The median length, as ``np.median`` of every length (the mean of the two middle ones when even)."""
        values = sorted(self.lengths)
        counts = np.cumsum([self.lengths[v] for v in values])
        n = int(counts[-1])

        def at(k: int) -> int:  # the k-th smallest length (0-based)
            return values[int(np.searchsorted(counts, k, side="right"))]

        return float(at(n // 2)) if n % 2 else (at(n // 2 - 1) + at(n // 2)) / 2.0

    def describe(self) -> dict[str, Any]:
        out: dict[str, Any] = {"series": self.series, "layout": self.layout,
                               "kind": "event sequences" if self.is_events else "numeric series"}
        if self.lengths:
            low, high = min(self.lengths), max(self.lengths)
            out.update(min_length=int(low), median_length=self.median_length(), max_length=int(high),
                       equal_lengths=bool(low == high))
        if self.is_events:
            out["distinct_events"] = len(self.events)
        else:
            out["channels"] = list(self.channels)
            out["missing_share"] = float(self.missing / self.cells) if self.cells else 0.0
        if self.timed:
            out["irregular_series"] = self.irregular
        if self.static:
            out["static_attributes"] = list(self.static)
        if self.notes:
            out["notes"] = list(self.notes)
        return out


@dataclass(frozen=True)
class SeriesOptions:
    """Where the fields of a sequential table are (None: found from the usual names or the data)."""

    id_field: str | None = None
    time_field: str | None = None
    channels: tuple[str, ...] | None = None
    static_fields: tuple[str, ...] | None = None
    value_field: str | None = None
    event_field: str | None = None
    layout: str = "auto"

    def __post_init__(self) -> None:
        if self.layout not in LAYOUTS:
            raise InputError(f"layout {self.layout!r}; expected one of {', '.join(LAYOUTS)}", field="--layout")


# ------------------------------------------------------------------------------------------------ reading
def load_series(obj: Any, label: str, options: SeriesOptions | None = None, *, fmt: str | None = None,
                encoding: str = "utf-8") -> SeriesSet:
    """Any supported input (see the module docstring) as a :class:`SeriesSet`."""
    opts = options or SeriesOptions()
    if isinstance(obj, SeriesSet):
        return obj
    direct = _from_python(obj, label, opts)
    if direct is not None:
        return direct
    from synthaudit.data.tabular import Table

    table = Table.from_any(obj, label, fmt=fmt, encoding=encoding)
    frame = table.frame()
    name = table.path or table.label
    if len(frame) == 0:
        raise InputError("has no rows", file=name)
    return from_frame(frame, name, opts)


def _from_python(obj: Any, label: str, opts: SeriesOptions) -> SeriesSet | None:
    if isinstance(obj, np.ndarray) and obj.dtype != object:
        if obj.ndim == 2:
            obj = obj[None] if opts.layout != "wide" else obj[:, :, None]
        if obj.ndim != 3:
            raise InputError(f"a {obj.ndim}-D array; expected series x time x channels (3-D) or time x channels",
                             file=label)
        obj = list(obj)
    if not isinstance(obj, (list, tuple)) or not obj:
        return None
    if all(isinstance(s, (list, tuple)) and all(isinstance(t, str) for t in s) for s in obj) and \
            any(len(s) for s in obj):
        return SeriesSet(label=label, ids=[str(i) for i in range(len(obj))], events=[list(s) for s in obj],
                         times=[None] * len(obj), layout="python")
    if all(isinstance(s, np.ndarray) or (isinstance(s, (list, tuple)) and not any(isinstance(t, dict) for t in s))
           for s in obj):
        values = [_as_matrix(s, label, i) for i, s in enumerate(obj)]
        _check_widths(values, label)
        k = values[0].shape[1]
        return SeriesSet(label=label, ids=[str(i) for i in range(len(values))], values=values,
                         channels=[f"c{j}" for j in range(k)], times=[None] * len(values), layout="python")
    return None


def _as_matrix(value: Any, label: str, i: int, row: int | None = None, fld: str | None = None) -> np.ndarray:
    where = {"file": label, "row": row, "field": fld}
    try:
        a = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise InputError(f"series {i} is not a list of numbers (or of equal-length number lists)", **where) from None
    if a.ndim == 1:
        a = a[:, None]
    if a.ndim != 2 or a.shape[0] == 0 or a.shape[1] == 0:
        raise InputError(f"series {i} has shape {a.shape}; expected time steps x channels, non-empty", **where)
    if np.isinf(a).any():
        raise InputError(f"series {i} holds an infinite value; expected finite numbers (NaN or null = missing)",
                         **where)
    return a


def _check_widths(values: list[np.ndarray], label: str) -> None:
    widths = sorted({v.shape[1] for v in values})
    if len(widths) > 1:
        first = next(i for i, v in enumerate(values) if v.shape[1] != values[0].shape[1])
        raise InputError(f"series disagree on the number of channels ({widths}); series {first} has "
                         f"{values[first].shape[1]}, series 0 has {values[0].shape[1]}", file=label)


def from_frame(frame: "pd.DataFrame", label: str, opts: SeriesOptions, offset: int = 0) -> SeriesSet:
    """A table in the long, wide or event layout (see the module docstring) as a series set (``offset``: the file row
    of the frame's first row, 0-based, when it is one batch of a streamed file: errors and row ids count from it)."""
    from synthaudit.data.records import pick_field

    cols = [str(c) for c in frame.columns]
    frame = frame.set_axis(cols, axis=1)
    ev = pick_field(cols, opts.event_field, label, "--event-field")
    if ev is not None:
        return _events(frame, label, opts, ev, offset)
    val = pick_field(cols, opts.value_field, label, "--value-field")
    if val is None and opts.layout != "long":
        val = next((c for c in VALUE_FIELDS if c in cols and _looks_listed(frame[c])), None)
    if val is not None:
        return _wide_lists(frame, label, opts, val, offset)
    if opts.layout == "wide":
        return _wide_columns(frame, label, opts, offset)
    return _long(frame, label, opts, offset)


def resolve_options(frame: "pd.DataFrame", label: str, opts: SeriesOptions) -> tuple[SeriesOptions, SeriesSet]:
    """``opts`` with the fields :func:`from_frame` finds from the data (layout, id, time, channel and static fields)
    pinned to what it finds in ``frame`` -- the first rows of a streamed file -- so that every batch is read the same
    way; and the series of ``frame``. The resolved layout is "long" (rows of a series share ``id_field``; none: the
    table is one series) or "wide" (a row is a series, ``id_field`` its id or none)."""
    from synthaudit.data.records import pick_field

    cols = [str(c) for c in frame.columns]
    frame = frame.set_axis(cols, axis=1)
    head = from_frame(frame, label, opts)
    ev = pick_field(cols, opts.event_field, label, "--event-field")
    if ev is not None:
        id_col = _id_field(cols, label, opts, exclude=(ev,))
        per_row = _events_per_row(frame, opts, ev, id_col)
        time_col = None if per_row else pick_field(cols, opts.time_field, label, "--time-field",
                                                   _default_names(cols, TIME_FIELDS, [id_col]))
        return replace(opts, event_field=ev, id_field=id_col, time_field=time_col,
                       layout="wide" if per_row else "long"), head
    if head.layout == "wide":  # a list field or, with layout="wide", one field per time step
        val = pick_field(cols, opts.value_field, label, "--value-field")
        if val is None and opts.layout != "long":
            val = next((c for c in VALUE_FIELDS if c in cols and _looks_listed(frame[c])), None)
        id_col = _id_field(cols, label, opts, exclude=(val,)) if val is not None else \
            _id_field(cols, label, opts) or next(iter(_default_names(cols, TIME_FIELDS)), None)
        return replace(opts, value_field=val, id_field=id_col, layout="wide"), head
    id_col = _id_field(cols, label, opts)
    time_col = pick_field(cols, opts.time_field, label, "--time-field", _default_names(cols, TIME_FIELDS, [id_col]))
    static = tuple(str(c) for c in head.static.columns) if head.static is not None else ()
    return replace(opts, id_field=id_col, time_field=time_col, channels=tuple(head.channels), static_fields=static,
                   layout="long"), head


def _looks_listed(col: "pd.Series") -> bool:
    first = col.dropna()
    if first.empty:
        return False
    v = first.iloc[0]
    return isinstance(v, (list, tuple, np.ndarray)) or (isinstance(v, str) and v.lstrip().startswith("["))


def _parse_list(v: Any, label: str, row: int, fld: str) -> Any:
    if isinstance(v, str):
        try:
            return json.loads(v)
        except json.JSONDecodeError as exc:
            raise InputError(f"is not a JSON list ({exc.msg})", file=label, row=row, field=fld) from None
    if hasattr(v, "tolist"):
        return v.tolist()
    return v


def _default_names(cols: list[str], names: Sequence[str], exclude: Sequence[str] = ()) -> list[str]:
    """The fields of ``cols`` named as in ``names`` up to case (``YEAR`` for ``year``), in the order of ``names``."""
    lower = {c.lower(): c for c in reversed(cols)}
    return [lower[n] for n in names if n in lower and lower[n] not in exclude]


def _id_field(cols: list[str], label: str, opts: SeriesOptions, exclude: Sequence[str] = ()) -> str | None:
    from synthaudit.data.records import pick_field

    return pick_field(cols, opts.id_field, label, "--id-field", _default_names(cols, ID_FIELDS, exclude))


def id_text(v: Any) -> str:
    """A series id as text; a whole float (1950.0, as pandas reads a year column with gaps) without its '.0'."""
    if isinstance(v, (float, np.floating)) and float(v).is_integer():
        return str(int(v))
    return str(v)


def _ids(frame: "pd.DataFrame", id_col: str | None, offset: int = 0) -> list[str]:
    return [id_text(v) for v in frame[id_col]] if id_col else [str(offset + i) for i in range(len(frame))]


def _static_frame(frame: "pd.DataFrame", names: Sequence[str]) -> "pd.DataFrame | None":
    return frame[list(names)].reset_index(drop=True) if names else None


def unique_ids(ids: list[str], label: str, id_col: str | None, offset: int = 0,
               seen: dict[str, int] | None = None) -> None:
    """One error naming both rows when a series id repeats in the wide layout (``seen``: id -> row of the batches
    before, for a streamed file; updated)."""
    seen = {} if seen is None else seen
    for row, i in enumerate(ids, start=offset):
        if i in seen:
            raise InputError(f"series id {i!r} appears on rows {seen[i] + 1} and {row + 1}; in the wide layout each "
                             "row is one series", file=label, row=row + 1, field=id_col)
        seen[i] = row


def _wide_lists(frame: "pd.DataFrame", label: str, opts: SeriesOptions, val: str, offset: int = 0) -> SeriesSet:
    cols = list(frame.columns)
    id_col = _id_field(cols, label, opts, exclude=(val,))
    static = list(opts.static_fields or [c for c in cols if c not in (val, id_col)])
    values = [_as_matrix(_parse_list(v, label, r + 1, val), label, r, r + 1, val)
              for r, v in enumerate(frame[val].tolist(), start=offset)]
    _check_widths(values, label)
    ids = _ids(frame, id_col, offset)
    unique_ids(ids, label, id_col, offset)
    k = values[0].shape[1]
    names = list(opts.channels) if opts.channels else ([val] if k == 1 else [f"{val}_{j}" for j in range(k)])
    if len(names) != k:
        raise InputError(f"{len(opts.channels or [])} channel name(s) given but the series have {k} channels",
                         file=label, field="--channels")
    return SeriesSet(label=label, ids=ids, values=values, channels=names, times=[None] * len(values),
                     static=_static_frame(frame, static), layout="wide")


def _wide_columns(frame: "pd.DataFrame", label: str, opts: SeriesOptions, offset: int = 0) -> SeriesSet:
    import pandas as pd

    cols = list(frame.columns)
    id_col = _id_field(cols, label, opts) or next(iter(_default_names(cols, TIME_FIELDS)), None)  # e.g. YEAR
    static = list(opts.static_fields or ())
    steps = list(opts.channels) if opts.channels else [c for c in cols if c != id_col and c not in static]
    if not steps:
        raise InputError("has no time-step fields (wide layout: one numeric field per time step)", file=label)
    block = frame[steps].apply(pd.to_numeric, errors="coerce")
    bad = block.isna() & frame[steps].notna()
    if bad.to_numpy().any():
        r, c = np.argwhere(bad.to_numpy())[0]
        raise InputError(f"value {frame[steps].iat[r, c]!r} is not a number (wide layout: every time-step field is "
                         "numeric; name the others with --static-fields)", file=label, row=offset + int(r) + 1,
                         field=steps[c])
    values = []
    for r, row in enumerate(block.to_numpy(dtype=float), start=offset):
        present = np.flatnonzero(~np.isnan(row))
        if present.size == 0:
            raise InputError("has no value in any time-step field", file=label, row=r + 1)
        values.append(_as_matrix(row[: present[-1] + 1], label, r, r + 1))  # trailing gaps shorten the series
    ids = _ids(frame, id_col, offset)
    unique_ids(ids, label, id_col, offset)
    return SeriesSet(label=label, ids=ids, values=values, channels=["value"], times=[None] * len(values),
                     static=_static_frame(frame, static), layout="wide")


def _times(col: "pd.Series", label: str, fld: str, offset: int = 0) -> np.ndarray:
    """Timestamps as floats: numbers as they are, dates and times as seconds since the epoch."""
    import pandas as pd

    if col.isna().any():
        r = int(np.flatnonzero(col.isna().to_numpy())[0])
        raise InputError("has no timestamp", file=label, row=offset + r + 1, field=fld)
    num = pd.to_numeric(col, errors="coerce")
    if num.notna().all():
        return num.to_numpy(dtype=float)
    try:
        stamps = pd.to_datetime(col, errors="coerce", utc=True, format="mixed")
    except (TypeError, ValueError):
        stamps = pd.Series([pd.NaT] * len(col))
    if stamps.isna().any():
        r = int(np.flatnonzero(stamps.isna().to_numpy())[0])
        raise InputError(f"value {col.iloc[r]!r} is not a time (expected a number or a date/time)", file=label,
                         row=offset + r + 1, field=fld)
    epoch = pd.Timestamp(0, tz="UTC")
    return ((stamps - epoch) / pd.Timedelta(seconds=1)).to_numpy(dtype=float)  # any resolution (ns, us, s)


def _groups(frame: "pd.DataFrame", label: str, id_col: str | None, time_col: str | None, offset: int = 0
            ) -> tuple[list[str], list[np.ndarray], list[np.ndarray | None]]:
    """Row positions of each series (in time order) with their timestamps; ids sorted as text (``offset``: the file
    row of the frame's first row, for errors)."""
    n = len(frame)
    ids = np.array(_ids(frame, id_col) if id_col else ["0"] * n, dtype=object)
    if id_col and frame[id_col].isna().any():
        r = int(np.flatnonzero(frame[id_col].isna().to_numpy())[0])
        raise InputError("has no series id", file=label, row=offset + r + 1, field=id_col)
    t = _times(frame[time_col], label, time_col, offset) if time_col else None
    codes = np.unique(ids.astype(str), return_inverse=True)[1]  # ids in text order
    order = np.lexsort((t, codes) if t is not None else (np.arange(n), codes))
    sorted_ids = ids[order]
    cuts = np.flatnonzero(sorted_ids[1:] != sorted_ids[:-1]) + 1
    names, rows, times = [], [], []
    for part in np.split(order, cuts):
        names.append(str(ids[part[0]]))
        rows.append(part)
        if t is None:
            times.append(None)
            continue
        ts = t[part]
        dup = np.flatnonzero(np.diff(ts) == 0)
        if dup.size:
            r = int(part[dup[0] + 1])
            raise InputError(f"series {names[-1]!r} has two rows at the same time {frame[time_col].iloc[r]!r} "
                             f"(rows {offset + int(part[dup[0]]) + 1} and {offset + r + 1})", file=label,
                             row=offset + r + 1, field=time_col)
        times.append(ts)
    return names, rows, times


def _numeric(col: "pd.Series") -> bool:
    """A channel field: numbers, or text whose non-missing values are numbers for at least 90 % (a stray word in
    a numeric field is then reported with its row instead of silently dropping the channel)."""
    import pandas as pd

    if pd.api.types.is_bool_dtype(col):
        return False
    if pd.api.types.is_numeric_dtype(col):
        return True
    present = col.dropna()
    if present.empty or not all(isinstance(v, (str, int, float)) for v in present.iloc[:100]):
        return False
    return float(pd.to_numeric(present, errors="coerce").notna().mean()) >= 0.9


def _long(frame: "pd.DataFrame", label: str, opts: SeriesOptions, offset: int = 0) -> SeriesSet:
    import pandas as pd

    from synthaudit.data.records import pick_field

    cols = list(frame.columns)
    id_col = _id_field(cols, label, opts)
    time_col = pick_field(cols, opts.time_field, label, "--time-field", _default_names(cols, TIME_FIELDS, [id_col]))
    keys = [c for c in (id_col, time_col) if c]
    notes: list[str] = []
    if opts.channels:
        for c in opts.channels:
            pick_field(cols, c, label, "--channels")
        channels = list(opts.channels)
    else:
        channels = [c for c in cols if c not in keys and c not in (opts.static_fields or ()) and _numeric(frame[c])]
    if not channels:
        raise InputError(f"has no numeric channel field (fields: {', '.join(cols[:12])})", file=label,
                         field="--channels", hint="name them with --channels, or give --event-field for event "
                                                  "sequences")
    names, rows, times = _groups(frame, label, id_col, time_col, offset)
    block = frame[channels]
    numeric = block.apply(pd.to_numeric, errors="coerce")
    bad = numeric.isna() & block.notna()
    if bad.to_numpy().any():
        r, c = np.argwhere(bad.to_numpy())[0]
        raise InputError(f"value {block.iat[r, c]!r} is not a number", file=label, row=offset + int(r) + 1,
                         field=channels[c])
    data = numeric.to_numpy(dtype=float)
    if np.isinf(data).any():
        r, c = np.argwhere(np.isinf(data))[0]
        raise InputError("holds an infinite value; expected a finite number (empty = missing)", file=label,
                         row=offset + int(r) + 1, field=channels[c])
    static_names = list(opts.static_fields) if opts.static_fields is not None else \
        [c for c in cols if c not in keys and c not in channels]
    static = None
    if static_names:
        firsts = [int(p[0]) for p in rows]
        static = frame[static_names].iloc[firsts].reset_index(drop=True)
        group = np.empty(len(frame), dtype=int)
        for g, p in enumerate(rows):
            group[p] = g
        for c in static_names:
            per = frame[c].astype(str).groupby(group).nunique(dropna=False)
            if (per > 1).any() and opts.static_fields is not None:
                g = int(per.index[per > 1][0])
                raise InputError(f"static attribute varies within series {names[g]!r}", file=label, field=c)
            if (per > 1).any():
                static = static.drop(columns=[c])
                notes.append(f"field {c!r} is not numeric and varies within series: left out (name it with "
                             "--channels or --static-fields)")
        if static is not None and not len(static.columns):
            static = None
    return SeriesSet(label=label, ids=names, values=[data[p] for p in rows], channels=channels, times=times,
                     static=static, layout="long" if id_col else "long (one series)", notes=notes)


def _tokens(v: Any, label: str, row: int, fld: str) -> list[str]:
    if isinstance(v, str):
        s = v.strip()
        if s.startswith("["):
            v = _parse_list(s, label, row, fld)
        else:
            return s.split()
    if hasattr(v, "tolist"):
        v = v.tolist()
    if not isinstance(v, (list, tuple)):
        raise InputError(f"is {type(v).__name__}; expected a list of events or space-separated text", file=label,
                         row=row, field=fld)
    return [str(t) for t in v if t is not None]


def _events_per_row(frame: "pd.DataFrame", opts: SeriesOptions, ev: str, id_col: str | None) -> bool:
    """Whether event sequences are one per row (a list or space-separated text), not one event per row."""
    if opts.layout != "auto":
        return opts.layout == "wide"
    one_per_row = id_col is None or (frame[id_col].is_unique and
                                     frame[ev].map(lambda v: isinstance(v, str) and len(v.split()) > 1).any())
    return bool(_looks_listed(frame[ev]) or one_per_row)


def _events(frame: "pd.DataFrame", label: str, opts: SeriesOptions, ev: str, offset: int = 0) -> SeriesSet:
    cols = list(frame.columns)
    id_col = _id_field(cols, label, opts, exclude=(ev,))
    if _events_per_row(frame, opts, ev, id_col):
        ids = _ids(frame, id_col, offset)
        unique_ids(ids, label, id_col, offset)
        seqs = [_tokens(v, label, r + 1, ev) for r, v in enumerate(frame[ev].tolist(), start=offset)]
        return SeriesSet(label=label, ids=ids, events=seqs, times=[None] * len(seqs), layout="wide")
    from synthaudit.data.records import pick_field

    time_col = pick_field(cols, opts.time_field, label, "--time-field", _default_names(cols, TIME_FIELDS, [id_col]))
    if frame[ev].isna().any():
        r = int(np.flatnonzero(frame[ev].isna().to_numpy())[0])
        raise InputError("has no event", file=label, row=offset + r + 1, field=ev)
    names, rows, times = _groups(frame, label, id_col, time_col, offset)
    tokens = frame[ev].astype(str).to_numpy()
    return SeriesSet(label=label, ids=names, events=[tokens[p].tolist() for p in rows], times=times, layout="long")


# ------------------------------------------------------------------------------------------------ windows, splits
def windows(sset: SeriesSet, length: int, stride: int | None = None) -> SeriesSet:
    """Each series cut into windows of ``length`` steps every ``stride`` steps (default: ``length``, no
    overlap), ids ``<series id>@<start>``; series shorter than ``length`` are left out and counted in the notes
    (TimeGAN-style fixed-length samples)."""
    out, short = cut_windows(sset, length, stride)
    if short:
        out.notes.append(short_note(short, length))
    if not out.ids:
        raise no_window_error(sset.label, length)
    return out


def short_note(short: int, length: int) -> str:
    return f"{short} series shorter than the window ({length} steps) left out"


def no_window_error(label: str, length: int) -> InputError:
    return InputError(f"no series has {length} or more steps for a window of {length}", file=label, field="--window")


def cut_windows(sset: SeriesSet, length: int, stride: int | None = None) -> tuple[SeriesSet, int]:
    """:func:`windows` without its note and check: the windows (possibly none) and the number of series shorter than
    ``length`` (a streamed role is cut batch by batch)."""
    if length < 2:
        raise InputError(f"window {length}; expected at least 2 steps", field="--window")
    stride = stride or length
    if stride < 1:
        raise InputError(f"stride {stride}; expected at least 1", field="--stride")
    keep, ids, vals, evs, times = [], [], [], [], []
    short = 0
    lengths = sset.lengths()
    for i, n in enumerate(lengths):
        if n < length:
            short += 1
            continue
        for s in range(0, int(n) - length + 1, stride):
            keep.append(i)
            ids.append(f"{sset.ids[i]}@{s}")
            if sset.is_events:
                evs.append(sset.events[i][s:s + length])
            else:
                vals.append(sset.values[i][s:s + length])
            t = sset.times[i] if sset.times else None
            times.append(None if t is None else t[s:s + length])
    static = None if sset.static is None else sset.static.iloc[keep].reset_index(drop=True)
    return SeriesSet(label=sset.label, ids=ids, values=vals, channels=list(sset.channels), times=times,
                     static=static, events=evs if sset.is_events else None,
                     layout=f"{sset.layout}, windows of {length} every {stride}", notes=list(sset.notes)), short


def content_key(sset: SeriesSet, i: int) -> str:
    """A hash of series i's content (values or events): a canonical order that does not depend on input order."""
    h = hashlib.blake2b(digest_size=12)
    if sset.is_events:
        h.update("\x1f".join(sset.events[i]).encode("utf-8", "surrogatepass"))
    else:
        h.update(np.ascontiguousarray(sset.values[i]).tobytes())
    h.update(sset.ids[i].encode("utf-8", "surrogatepass"))
    return h.hexdigest()


def split_holdout(sset: SeriesSet, share: float) -> tuple[SeriesSet, SeriesSet]:
    """(train, holdout) with ``share`` of the series held out: the series with the smallest content hashes
    (:func:`content_key`), a pseudo-random choice that depends neither on the order of the series nor on the
    audit's seed, so every run (and the reference audit) splits the same way."""
    if not 0.0 < share < 1.0:
        raise InputError(f"holdout share {share}; expected a number between 0 and 1", field="--holdout-share")
    n = len(sset)
    n_hold = int(round(share * n))
    if n_hold < 1 or n - n_hold < 1:
        raise InputError(f"cannot hold out {share:g} of {n} series (each side needs at least one)",
                         file=sset.label, field="--holdout-share")
    order = sorted(range(n), key=lambda i: content_key(sset, i))
    chosen = sorted(order[:n_hold])
    rest = sorted(set(range(n)) - set(chosen))
    return sset.subset(rest, sset.label), sset.subset(chosen, f"{sset.label} (held out)")


# ------------------------------------------------------------------------------------------------ audit table
def as_table(sset: SeriesSet) -> "Table":
    """The audit table: one row per series (``series_id``, ``length``, static attributes and the hidden value,
    time and event columns), so series stream and shard like any record."""
    from synthaudit.data.tabular import Table

    return Table(sset.label, frame=series_frame(sset), fingerprint=fingerprint(sset))


def series_frame(sset: SeriesSet) -> "pd.DataFrame":
    """The rows of the audit table of ``sset`` (:func:`as_table`)."""
    import pandas as pd

    data: dict[str, Any] = {"series_id": list(sset.ids), "length": sset.lengths()}
    if sset.static is not None:
        for c in sset.static.columns:
            if c not in data:
                data[c] = sset.static[c].to_numpy()
    frame = pd.DataFrame(data)
    frame[SERIES_COL] = pd.Series(list(sset.values) if not sset.is_events else [None] * len(sset), dtype=object)
    frame[TIMES_COL] = pd.Series(list(sset.times) if sset.times else [None] * len(sset), dtype=object)
    frame[EVENTS_COL] = pd.Series(list(sset.events) if sset.is_events else [None] * len(sset), dtype=object)
    return frame


def from_series_frame(frame: "pd.DataFrame", label: str, channels: Sequence[str], events: bool,
                      layout: str = "streamed") -> SeriesSet:
    """The series set whose audit table rows are ``frame`` (:func:`series_frame`; e.g. the seeded sample of a
    streamed role)."""
    static = [c for c in frame.columns if c not in ("series_id", "length", *HIDDEN)]
    ids = [str(i) for i in frame["series_id"].tolist()] if len(frame) else []
    return SeriesSet(label=label, ids=ids,
                     values=[] if events else list(frame[SERIES_COL]) if len(frame) else [],
                     channels=list(channels), times=list(frame[TIMES_COL]) if len(frame) else [],
                     static=frame[static].reset_index(drop=True) if static else None,
                     events=(list(frame[EVENTS_COL]) if len(frame) else []) if events else None, layout=layout)


def fingerprint(sset: SeriesSet) -> str:
    """SHA-256 of the series ids, channels and content (the audit table's columns of arrays cannot be hashed by
    pandas)."""
    h = hashlib.sha256()
    h.update(json.dumps([sset.ids, sset.channels], ensure_ascii=False).encode("utf-8", "surrogatepass"))
    for i in range(len(sset)):
        h.update(content_key(sset, i).encode())
    return h.hexdigest()


def batch_values(batch: "pd.DataFrame") -> list[np.ndarray]:
    """The series arrays of a batch of the audit table."""
    return [v for v in batch[SERIES_COL].tolist() if v is not None]


def batch_events(batch: "pd.DataFrame") -> list[list[str]]:
    return [v for v in batch[EVENTS_COL].tolist() if v is not None]


def series_of(inputs: "AuditInputs", role: str = "synthetic") -> SeriesSet:
    """The series set of a role: prepared once per audit when it is in memory; for a streamed role, the series of
    its table as the global metrics see it (its seeded sample after streaming), split as ``--holdout-share`` says
    (``extra["split"]``: {role: (share, side)})."""
    sets = inputs.extra.get("series") or {}
    if role in sets:
        return sets[role]
    table = inputs.tables[role]

    def build() -> SeriesSet:
        sset = from_series_frame(table.frame(), table.label, inputs.extra.get("channels") or [],
                                 bool(inputs.extra.get("events")))
        share, side = (inputs.extra.get("split") or {}).get(role, (None, None))
        if share is None:
            return sset
        rest, held = split_holdout(sset, share)
        return held if side == "held" else rest

    return inputs.features.get(f"timeseries:series:{role}:{id(table)}", build)


def loaded_series(inputs: "AuditInputs", role: str) -> SeriesSet | None:
    """The series of a role when they are in memory (prepared whole, or the sample of a streamed role); None for a
    role that streams (reading it here would load it whole) or is not given."""
    if role in (inputs.extra.get("series") or {}):
        return inputs.extra["series"][role]
    table = inputs.tables.get(role)
    return series_of(inputs, role) if table is not None and table.materialized else None


# ------------------------------------------------------------------------------------------------ writing
def to_long_frame(sset: SeriesSet, id_field: str = "series_id", time_field: str = "t") -> "pd.DataFrame":
    """The long layout (one row per series and step); timestamps are the step index when the set has none."""
    import pandas as pd

    if sset.is_events:
        rows = [(sid, t, tok) for sid, seq in zip(sset.ids, sset.events) for t, tok in enumerate(seq)]
        return pd.DataFrame(rows, columns=[id_field, time_field, "event"])
    parts = []
    for i, (sid, v) in enumerate(zip(sset.ids, sset.values)):
        t = sset.times[i] if sset.times and sset.times[i] is not None else np.arange(v.shape[0])
        part = pd.DataFrame(v, columns=list(sset.channels))
        part.insert(0, time_field, t)
        part.insert(0, id_field, sid)
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


def from_arrays(values: Sequence[np.ndarray], channels: Sequence[str], label: str = "synthetic",
                prefix: str = "syn") -> SeriesSet:
    """A series set from generated arrays (ids ``<prefix>-<n>``)."""
    vals = [np.asarray(v, dtype=float).reshape(len(v), -1) for v in values]
    return SeriesSet(label=label, ids=[f"{prefix}-{i}" for i in range(len(vals))], values=vals,
                     channels=list(channels), times=[None] * len(vals), layout="generated")
