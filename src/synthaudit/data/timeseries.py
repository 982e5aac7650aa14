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
        lengths = self.lengths()
        out: dict[str, Any] = {"series": len(self), "layout": self.layout,
                               "kind": "event sequences" if self.is_events else "numeric series"}
        if len(lengths):
            out.update(min_length=int(lengths.min()), median_length=float(np.median(lengths)),
                       max_length=int(lengths.max()), equal_lengths=bool(lengths.min() == lengths.max()))
        if self.is_events:
            out["distinct_events"] = len({t for seq in self.events for t in seq})
        else:
            out["channels"] = list(self.channels)
            cells = sum(v.size for v in self.values)
            out["missing_share"] = float(sum(int(np.isnan(v).sum()) for v in self.values) / cells) if cells else 0.0
        if any(t is not None for t in self.times):
            out["irregular_series"] = self.irregular()
        if self.static is not None and len(self.static.columns):
            out["static_attributes"] = [str(c) for c in self.static.columns]
        if self.notes:
            out["notes"] = list(self.notes)
        return out

    def subset(self, index: Sequence[int], label: str | None = None) -> "SeriesSet":
        idx = list(index)
        return replace(self, label=label or self.label, ids=[self.ids[i] for i in idx],
                       values=[self.values[i] for i in idx] if not self.is_events else [],
                       times=[self.times[i] for i in idx] if self.times else [],
                       static=None if self.static is None else self.static.iloc[idx].reset_index(drop=True),
                       events=None if self.events is None else [self.events[i] for i in idx], notes=list(self.notes))


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


def from_frame(frame: "pd.DataFrame", label: str, opts: SeriesOptions) -> SeriesSet:
    """A table in the long, wide or event layout (see the module docstring) as a series set."""
    from synthaudit.data.records import pick_field

    cols = [str(c) for c in frame.columns]
    frame = frame.set_axis(cols, axis=1)
    ev = pick_field(cols, opts.event_field, label, "--event-field")
    if ev is not None:
        return _events(frame, label, opts, ev)
    val = pick_field(cols, opts.value_field, label, "--value-field")
    if val is None and opts.layout != "long":
        val = next((c for c in VALUE_FIELDS if c in cols and _looks_listed(frame[c])), None)
    if val is not None:
        return _wide_lists(frame, label, opts, val)
    if opts.layout == "wide":
        return _wide_columns(frame, label, opts)
    return _long(frame, label, opts)


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


def _id_text(v: Any) -> str:
    """A series id as text; a whole float (1950.0, as pandas reads a year column with gaps) without its '.0'."""
    if isinstance(v, (float, np.floating)) and float(v).is_integer():
        return str(int(v))
    return str(v)


def _ids(frame: "pd.DataFrame", id_col: str | None) -> list[str]:
    return [_id_text(v) for v in frame[id_col]] if id_col else [str(i) for i in range(len(frame))]


def _static_frame(frame: "pd.DataFrame", names: Sequence[str]) -> "pd.DataFrame | None":
    return frame[list(names)].reset_index(drop=True) if names else None


def _unique_ids(ids: list[str], label: str, id_col: str | None) -> None:
    seen: dict[str, int] = {}
    for row, i in enumerate(ids):
        if i in seen:
            raise InputError(f"series id {i!r} appears on rows {seen[i] + 1} and {row + 1}; in the wide layout each "
                             "row is one series", file=label, row=row + 1, field=id_col)
        seen[i] = row


def _wide_lists(frame: "pd.DataFrame", label: str, opts: SeriesOptions, val: str) -> SeriesSet:
    cols = list(frame.columns)
    id_col = _id_field(cols, label, opts, exclude=(val,))
    static = list(opts.static_fields or [c for c in cols if c not in (val, id_col)])
    values = [_as_matrix(_parse_list(v, label, r + 1, val), label, r, r + 1, val)
              for r, v in enumerate(frame[val].tolist())]
    _check_widths(values, label)
    ids = _ids(frame, id_col)
    _unique_ids(ids, label, id_col)
    k = values[0].shape[1]
    names = list(opts.channels) if opts.channels else ([val] if k == 1 else [f"{val}_{j}" for j in range(k)])
    if len(names) != k:
        raise InputError(f"{len(opts.channels or [])} channel name(s) given but the series have {k} channels",
                         file=label, field="--channels")
    return SeriesSet(label=label, ids=ids, values=values, channels=names, times=[None] * len(values),
                     static=_static_frame(frame, static), layout="wide")


def _wide_columns(frame: "pd.DataFrame", label: str, opts: SeriesOptions) -> SeriesSet:
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
                         "numeric; name the others with --static-fields)", file=label, row=int(r) + 1,
                         field=steps[c])
    values = []
    for r, row in enumerate(block.to_numpy(dtype=float)):
        present = np.flatnonzero(~np.isnan(row))
        if present.size == 0:
            raise InputError("has no value in any time-step field", file=label, row=r + 1)
        values.append(_as_matrix(row[: present[-1] + 1], label, r, r + 1))  # trailing gaps shorten the series
    ids = _ids(frame, id_col)
    _unique_ids(ids, label, id_col)
    return SeriesSet(label=label, ids=ids, values=values, channels=["value"], times=[None] * len(values),
                     static=_static_frame(frame, static), layout="wide")


def _times(col: "pd.Series", label: str, fld: str) -> np.ndarray:
    """Timestamps as floats: numbers as they are, dates and times as seconds since the epoch."""
    import pandas as pd

    if col.isna().any():
        r = int(np.flatnonzero(col.isna().to_numpy())[0])
        raise InputError("has no timestamp", file=label, row=r + 1, field=fld)
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
                         row=r + 1, field=fld)
    epoch = pd.Timestamp(0, tz="UTC")
    return ((stamps - epoch) / pd.Timedelta(seconds=1)).to_numpy(dtype=float)  # any resolution (ns, us, s)


def _groups(frame: "pd.DataFrame", label: str, id_col: str | None, time_col: str | None
            ) -> tuple[list[str], list[np.ndarray], list[np.ndarray | None]]:
    """Row positions of each series (in time order) with their timestamps; ids sorted as text."""
    n = len(frame)
    ids = np.array(_ids(frame, id_col) if id_col else ["0"] * n, dtype=object)
    if id_col and frame[id_col].isna().any():
        r = int(np.flatnonzero(frame[id_col].isna().to_numpy())[0])
        raise InputError("has no series id", file=label, row=r + 1, field=id_col)
    t = _times(frame[time_col], label, time_col) if time_col else None
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
                             f"(rows {int(part[dup[0]]) + 1} and {r + 1})", file=label, row=r + 1, field=time_col)
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


def _long(frame: "pd.DataFrame", label: str, opts: SeriesOptions) -> SeriesSet:
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
    names, rows, times = _groups(frame, label, id_col, time_col)
    block = frame[channels]
    numeric = block.apply(pd.to_numeric, errors="coerce")
    bad = numeric.isna() & block.notna()
    if bad.to_numpy().any():
        r, c = np.argwhere(bad.to_numpy())[0]
        raise InputError(f"value {block.iat[r, c]!r} is not a number", file=label, row=int(r) + 1, field=channels[c])
    data = numeric.to_numpy(dtype=float)
    if np.isinf(data).any():
        r, c = np.argwhere(np.isinf(data))[0]
        raise InputError("holds an infinite value; expected a finite number (empty = missing)", file=label,
                         row=int(r) + 1, field=channels[c])
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


def _events(frame: "pd.DataFrame", label: str, opts: SeriesOptions, ev: str) -> SeriesSet:
    cols = list(frame.columns)
    id_col = _id_field(cols, label, opts, exclude=(ev,))
    one_per_row = id_col is None or (frame[id_col].is_unique and
                                     frame[ev].map(lambda v: isinstance(v, str) and len(v.split()) > 1).any())
    if opts.layout == "wide" or (opts.layout == "auto" and (_looks_listed(frame[ev]) or one_per_row)):
        ids = _ids(frame, id_col)
        _unique_ids(ids, label, id_col)
        seqs = [_tokens(v, label, r + 1, ev) for r, v in enumerate(frame[ev].tolist())]
        return SeriesSet(label=label, ids=ids, events=seqs, times=[None] * len(seqs), layout="wide")
    from synthaudit.data.records import pick_field

    time_col = pick_field(cols, opts.time_field, label, "--time-field", _default_names(cols, TIME_FIELDS, [id_col]))
    if frame[ev].isna().any():
        r = int(np.flatnonzero(frame[ev].isna().to_numpy())[0])
        raise InputError("has no event", file=label, row=r + 1, field=ev)
    names, rows, times = _groups(frame, label, id_col, time_col)
    tokens = frame[ev].astype(str).to_numpy()
    return SeriesSet(label=label, ids=names, events=[tokens[p].tolist() for p in rows], times=times, layout="long")


# ------------------------------------------------------------------------------------------------ windows, splits
def windows(sset: SeriesSet, length: int, stride: int | None = None) -> SeriesSet:
    """Each series cut into windows of ``length`` steps every ``stride`` steps (default: ``length``, no
    overlap), ids ``<series id>@<start>``; series shorter than ``length`` are left out and counted in the notes
    (TimeGAN-style fixed-length samples)."""
    if length < 2:
        raise InputError(f"window {length}; expected at least 2 steps", field="--window")
    stride = stride or length
    if stride < 1:
        raise InputError(f"stride {stride}; expected at least 1", field="--stride")
    keep, ids, vals, evs, times, starts = [], [], [], [], [], []
    short = 0
    lengths = sset.lengths()
    for i, n in enumerate(lengths):
        if n < length:
            short += 1
            continue
        for s in range(0, int(n) - length + 1, stride):
            keep.append(i)
            starts.append(s)
            ids.append(f"{sset.ids[i]}@{s}")
            if sset.is_events:
                evs.append(sset.events[i][s:s + length])
            else:
                vals.append(sset.values[i][s:s + length])
            t = sset.times[i] if sset.times else None
            times.append(None if t is None else t[s:s + length])
    notes = list(sset.notes)
    if short:
        notes.append(f"{short} series shorter than the window ({length} steps) left out")
    if not ids:
        raise InputError(f"no series has {length} or more steps for a window of {length}", file=sset.label,
                         field="--window")
    static = None if sset.static is None else sset.static.iloc[keep].reset_index(drop=True)
    return SeriesSet(label=sset.label, ids=ids, values=vals, channels=list(sset.channels), times=times,
                     static=static, events=evs if sset.is_events else None,
                     layout=f"{sset.layout}, windows of {length} every {stride}", notes=notes)


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
    import pandas as pd

    from synthaudit.data.tabular import Table

    data: dict[str, Any] = {"series_id": list(sset.ids), "length": sset.lengths()}
    if sset.static is not None:
        for c in sset.static.columns:
            if c not in data:
                data[c] = sset.static[c].to_numpy()
    frame = pd.DataFrame(data)
    frame[SERIES_COL] = pd.Series(list(sset.values) if not sset.is_events else [None] * len(sset), dtype=object)
    frame[TIMES_COL] = pd.Series(list(sset.times) if sset.times else [None] * len(sset), dtype=object)
    frame[EVENTS_COL] = pd.Series(list(sset.events) if sset.is_events else [None] * len(sset), dtype=object)
    return Table(sset.label, frame=frame, fingerprint=fingerprint(sset))


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
    """The series set of a role (prepared once per audit)."""
    return inputs.extra["series"][role]


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
