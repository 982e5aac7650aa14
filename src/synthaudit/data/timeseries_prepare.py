"""Preparing a time-series audit (modality "timeseries"): the series of every role, checked against each other,
windowed and split, and the audit tables (one row per series).

With ``stream`` a file is read in batches of whole series (issue #13; :mod:`synthaudit.data.grouped` joins the rows
of a series in the long layout): the fields are found from its first rows, each batch is read, windowed and
checked against the reference channels as the whole file would be, and its description is added up as it is
read. A split of the real series (``--holdout-share``) needs every series at once: it splits the seeded sample the
global metrics see, and the metrics that stream read every real series as the reference (a warning says so).
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Iterator

from synthaudit.data.grouped import group_batches, id_keys
from synthaudit.data.inputs import AuditInputs
from synthaudit.data.tabular import INFER_ROWS, Table
from synthaudit.data.timeseries import (SeriesOptions, SeriesSet, SeriesSummary, as_table, cut_windows, from_frame,
                                        id_text, load_series, no_window_error, resolve_options, series_frame,
                                        short_note, split_holdout, unique_ids, windows)
from synthaudit.errors import InputError, UsageError

ROLE_LABELS = {"synthetic": "synthetic", "real_reference": "real", "train": "train", "real_holdout": "holdout"}


def _align(sset: SeriesSet, ref: SeriesSet, warnings: list[str]) -> SeriesSet:
    """``sset`` with its channels in ``ref``'s order (by name; by position when the names differ but the counts
    agree, with a warning)."""
    if sset.is_events != ref.is_events:
        kinds = {True: "event sequences", False: "numeric series"}
        raise InputError(f"holds {kinds[sset.is_events]} but the {ref.label} data hold {kinds[ref.is_events]}",
                         file=sset.label, field="--event-field")
    if sset.is_events or sset.channels == ref.channels:
        return sset
    if sorted(sset.channels) == sorted(ref.channels):
        idx = [sset.channels.index(c) for c in ref.channels]
        sset.values = [v[:, idx] for v in sset.values]
        sset.channels = list(ref.channels)
        return sset
    if len(sset.channels) != len(ref.channels):
        raise InputError(f"has {len(sset.channels)} channel(s) ({', '.join(sset.channels)}) but the {ref.label} data "
                         f"have {len(ref.channels)} ({', '.join(ref.channels)})", file=sset.label, field="--channels")
    warnings.append(f"the channels of {sset.label} ({', '.join(sset.channels)}) are matched by position to those of "
                    f"{ref.label} ({', '.join(ref.channels)})")
    sset.channels = list(ref.channels)
    return sset


@dataclass
class SeriesStream:
    """A streamed role: its file in batches of whole series, each read with the options resolved on its first rows
    (``head``), windowed and aligned to the reference channels (``ref``, set once every role is open); at the end of
    every pass its description goes to ``summaries`` under ``labels`` and its notes to ``warnings``."""

    raw: Table
    label: str
    opts: SeriesOptions
    head: SeriesSet
    window: int | None
    stride: int | None
    warnings: list[str]
    summaries: dict[str, Any]
    labels: list[str] = field(default_factory=list)
    ref: SeriesSet | None = None

    def _sets(self, n: int) -> Iterator[SeriesSet]:
        id_col = self.opts.id_field
        if self.opts.layout == "long":
            for part in group_batches(self.raw.batches(n), id_keys(id_col, id_text, "series", self.label), size=n,
                                      label=self.label, field=id_col, what="series"):
                yield from_frame(part.rows, self.label, self.opts, part.first_row)
            return
        offset, seen = 0, {}
        for batch in self.raw.batches(n):
            if len(batch):
                sset = from_frame(batch.reset_index(drop=True), self.label, self.opts, offset)
                if id_col is not None:
                    unique_ids(sset.ids, self.label, id_col, offset, seen)
                yield sset
            offset += len(batch)

    def frames(self, n: int | None) -> Iterator[Any]:
        """The audit table's rows (one per series or window), about ``n`` series at a time."""
        n = n or 50_000
        ref = self.ref if self.ref is not None else self.head
        summary = SeriesSummary(self.head.layout, list(ref.channels), self.head.is_events)
        summary.notes = list(self.head.notes)  # the batches are read with the fields the first rows decided
        short = 0
        for sset in self._sets(n):
            if self.window is not None:
                sset, cut = cut_windows(sset, self.window, self.stride)
                short += cut
            _align(sset, ref, self.warnings)
            summary.add(sset)
            if len(sset):
                yield series_frame(sset)
        if self.window is not None and not summary.series:
            raise no_window_error(self.label, self.window)
        if short:
            summary.notes.append(short_note(short, self.window))
        self.warnings.extend(f"{lab}: {note}" for lab in self.labels for note in summary.notes)
        for lab in self.labels:
            self.summaries[lab] = {**summary.describe(), "streamed": "read in batches"}

    def table(self) -> Table:
        return Table(self.raw.label, batch_factory=self.frames, path=self.raw.path, fmt=self.raw.format,
                     fingerprint=self.raw.fingerprint())


def _open_stream(obj: Any, label: str, opts: SeriesOptions, *, window: int | None, stride: int | None, fmt: str | None,
                 encoding: str, warnings: list[str], summaries: dict[str, Any]) -> SeriesStream | None:
    """The stream of a file (or another input the tables read in batches); None for inputs held in memory and for a
    long table without a series id (one series: read whole)."""
    if not isinstance(obj, (str, os.PathLike)) and (isinstance(obj, (list, tuple, SeriesSet)) or
                                                     type(obj).__module__.startswith(("numpy", "pandas"))):
        return None
    raw = Table.from_any(obj, label, fmt=fmt, encoding=encoding, stream=True)
    if raw.materialized:
        return None
    name = raw.path or raw.label
    resolved, head = resolve_options(raw.head(INFER_ROWS), name, opts)
    if resolved.layout == "long" and resolved.id_field is None:
        warnings.append(f"{name}: no series id field: the file is one series and is read whole (not streamed)")
        return None
    if window is not None:
        head = cut_windows(head, window, stride)[0]
    return SeriesStream(raw, name, resolved, head, window, stride, warnings, summaries)


def _stub(sset: SeriesSet) -> SeriesSet:
    """What other roles are aligned to: the label, channels and kind of the reference series."""
    return SeriesSet(label=sset.label, ids=[], channels=list(sset.channels), events=[] if sset.is_events else None)


def prepare_timeseries(*, synthetic: Any, real: Any = None, train: Any = None, holdout: Any = None,
                       holdout_share: float | None = None, options: SeriesOptions | None = None,
                       window: int | None = None, stride: int | None = None, seed: int = 0,
                       params: dict | None = None, fmt: str | None = None, encoding: str = "utf-8",
                       stream: bool = False) -> AuditInputs:
    """Load series for an audit: ``synthetic`` (generated), ``real`` (the reference), ``train`` (what the generator
    saw; default ``real``), ``holdout`` (real series it never saw; or ``holdout_share`` of ``real``); ``options``:
    where the fields are (:class:`SeriesOptions`); ``stream``: read files in batches of whole series."""
    if synthetic is None:
        raise InputError("no synthetic data given", field="--synthetic")
    if holdout_share is not None and holdout is not None:
        raise UsageError("give --holdout or --holdout-share, not both", field="--holdout-share")
    if holdout_share is not None and real is None:
        raise UsageError("--holdout-share splits the real series: give --real", field="--holdout-share")
    if stride is not None and window is None:
        raise UsageError("--stride needs --window", field="--stride")
    opts = options or SeriesOptions()
    given = {"synthetic": synthetic, "real_reference": real, "train": train, "real_holdout": holdout}
    warnings: list[str] = []
    summaries: dict[str, Any] = {}
    streams: dict[str, SeriesStream] = {}
    sets: dict[str, SeriesSet] = {}
    for role, obj in given.items():
        if obj is None:
            continue
        opened = _open_stream(obj, ROLE_LABELS[role], opts, window=window, stride=stride, fmt=fmt,
                              encoding=encoding, warnings=warnings, summaries=summaries) if stream else None
        if opened is not None:
            streams[role] = opened
        else:
            sets[role] = load_series(obj, ROLE_LABELS[role], opts, fmt=fmt, encoding=encoding)
            if window is not None:
                sets[role] = windows(sets[role], window, stride)
    split: dict[str, tuple[float, str]] = {}
    if holdout_share is not None and "real_reference" in streams:
        split = {"real_reference": (holdout_share, "rest"), "real_holdout": (holdout_share, "held")}
        streams["real_holdout"] = streams["real_reference"]
        if "train" not in given or train is None:
            streams["train"], split["train"] = streams["real_reference"], (holdout_share, "rest")
        warnings.append("--stream with --holdout-share: the split needs every real series at once, so it splits the "
                        "seeded sample of real series the global metrics see; the metrics that stream compare with "
                        "every real series")
    elif holdout_share is not None:
        rest, held = split_holdout(sets["real_reference"], holdout_share)
        sets["real_reference"], sets["real_holdout"] = rest, held
        if "train" not in sets and "train" not in streams:
            sets["train"] = rest
    if holdout_share is not None and window is not None and (stride or window) < window:
        warnings.append("--holdout-share splits overlapping windows: a held-out window shares steps with its "
                        "training neighbours; for a clean holdout give --holdout (e.g. later periods)")
    if "train" not in sets and "train" not in streams:
        if "real_reference" in sets:
            sets["train"] = sets["real_reference"]
        elif "real_reference" in streams:
            streams["train"] = streams["real_reference"]
    first_role = "real_reference" if real is not None else "synthetic"
    first = sets[first_role] if first_role in sets else streams[first_role].head
    ref = _stub(first)
    for role, s in sets.items():
        if s is not first:
            _align(s, first, warnings)
        warnings.extend(f"{ROLE_LABELS[role]}: {n}" for n in s.notes)
    for role, st in streams.items():
        st.ref = ref
        _align(st.head, ref, warnings)
        if role not in split or role == "real_reference":  # a split side is described by the split
            st.labels.append(ROLE_LABELS[role])
            warnings.extend(f"{ROLE_LABELS[role]}: {n}" for n in st.head.notes)
    tables: dict[str, Table] = {role: as_table(s) for role, s in sets.items()}
    opened: dict[int, Table] = {}
    for role, st in streams.items():
        tables[role] = opened.setdefault(id(st), st.table())
    summary = {ROLE_LABELS[r]: s.describe() for r, s in sets.items()}
    for role, st in streams.items():
        label = ROLE_LABELS[role]
        summary[label] = ({"streamed": f"a --holdout-share split of the sample of {st.label} the global metrics "
                                       "see"} if role in split and role != "real_reference" else
                          {**st.head.describe(), "streamed": "the first rows only: the audit has not read the "
                                                              "whole file"})
    summaries.update(summary)
    extra: dict[str, Any] = {"series": sets, "events": first.is_events, "channels": list(first.channels),
                             "data_summary": summaries, "window": window, "holdout_share": holdout_share,
                             "overlapping_windows": window is not None and (stride or window) < window,
                             "split": split, "streamed": sorted(streams)}
    return AuditInputs(modality="timeseries", tables=tables, seed=seed, params=dict(params or {}), extra=extra,
                       warnings=warnings)
