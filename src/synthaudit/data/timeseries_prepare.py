"""Preparing a time-series audit (modality "timeseries"): the series of every role, checked against each other,
windowed and split, and the audit tables (one row per series)."""
from __future__ import annotations

from typing import Any

from synthaudit.data.inputs import AuditInputs
from synthaudit.data.timeseries import SeriesOptions, SeriesSet, as_table, load_series, split_holdout, windows
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


def prepare_timeseries(*, synthetic: Any, real: Any = None, train: Any = None, holdout: Any = None,
                       holdout_share: float | None = None, options: SeriesOptions | None = None,
                       window: int | None = None, stride: int | None = None, seed: int = 0,
                       params: dict | None = None, fmt: str | None = None, encoding: str = "utf-8") -> AuditInputs:
    """Load series for an audit: ``synthetic`` (generated), ``real`` (the reference), ``train`` (what the generator
    saw; default ``real``), ``holdout`` (real series it never saw; or ``holdout_share`` of ``real``); ``options``:
    where the fields are (:class:`SeriesOptions`)."""
    if synthetic is None:
        raise InputError("no synthetic data given", field="--synthetic")
    if holdout_share is not None and holdout is not None:
        raise UsageError("give --holdout or --holdout-share, not both", field="--holdout-share")
    if holdout_share is not None and real is None:
        raise UsageError("--holdout-share splits the real series: give --real", field="--holdout-share")
    opts = options or SeriesOptions()
    given = {"synthetic": synthetic, "real_reference": real, "train": train, "real_holdout": holdout}
    sets: dict[str, SeriesSet] = {r: load_series(obj, ROLE_LABELS[r], opts, fmt=fmt, encoding=encoding)
                                  for r, obj in given.items() if obj is not None}
    warnings: list[str] = []
    if window is not None:
        sets = {r: windows(s, window, stride) for r, s in sets.items()}
    elif stride is not None:
        raise UsageError("--stride needs --window", field="--stride")
    if holdout_share is not None:
        rest, held = split_holdout(sets["real_reference"], holdout_share)
        sets["real_reference"], sets["real_holdout"] = rest, held
        if "train" not in sets:
            sets["train"] = rest
        if window is not None and (stride or window) < window:
            warnings.append("--holdout-share splits overlapping windows: a held-out window shares steps with its "
                            "training neighbours; for a clean holdout give --holdout (e.g. later periods)")
    elif "train" not in sets and "real_reference" in sets:
        sets["train"] = sets["real_reference"]
    first = sets["real_reference"] if "real_reference" in sets else sets["synthetic"]
    for role, s in sets.items():
        if s is not first:
            _align(s, first, warnings)
        warnings.extend(f"{ROLE_LABELS[role]}: {n}" for n in s.notes)
    tables = {role: as_table(s) for role, s in sets.items()}
    extra: dict[str, Any] = {"series": sets, "events": first.is_events, "channels": list(first.channels),
                             "data_summary": {ROLE_LABELS[r]: s.describe() for r, s in sets.items()},
                             "window": window, "holdout_share": holdout_share,
                             "overlapping_windows": window is not None and (stride or window) < window}
    return AuditInputs(modality="timeseries", tables=tables, seed=seed, params=dict(params or {}), extra=extra,
                       warnings=warnings)
