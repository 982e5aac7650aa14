"""Load and check the series of a time-series audit (one record per series; ``--stream``: files in batches of
whole series, see :mod:`synthaudit.data.timeseries_prepare`)."""
from __future__ import annotations

from typing import Any

from synthaudit.data.inputs import AuditInputs
from synthaudit.data.timeseries import SeriesOptions
from synthaudit.data.timeseries_prepare import prepare_timeseries
from synthaudit.modalities.base import LoadOptions
from synthaudit.modalities.timeseries import TimeseriesInputs


def series_options(opts: TimeseriesInputs) -> SeriesOptions:
    """Where the fields of the options' tables are (the loader's view of the options)."""
    return SeriesOptions(id_field=opts.id_field, time_field=opts.time_field,
                         channels=tuple(opts.channels) if opts.channels else None,
                         static_fields=tuple(opts.static_fields) if opts.static_fields is not None else None,
                         value_field=opts.value_field, event_field=opts.event_field, layout=opts.layout)


def prepare(opts: TimeseriesInputs, load: LoadOptions, seed: int, params: dict[str, Any]) -> AuditInputs:
    return prepare_timeseries(
        synthetic=opts.synthetic, real=opts.real, train=opts.train, holdout=opts.holdout,
        holdout_share=opts.holdout_share, options=series_options(opts), window=opts.window, stride=opts.stride,
        seed=seed, params=params, fmt=load.fmt, encoding=load.encoding, stream=load.stream)
