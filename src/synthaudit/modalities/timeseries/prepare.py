"""Load and check the series of a time-series audit (one record per series)."""
from __future__ import annotations

from typing import Any

from synthaudit.data.inputs import AuditInputs
from synthaudit.data.timeseries_prepare import prepare_timeseries
from synthaudit.modalities.base import LoadOptions
from synthaudit.modalities.timeseries import TimeseriesInputs


def prepare(opts: TimeseriesInputs, load: LoadOptions, seed: int, params: dict[str, Any]) -> AuditInputs:
    return prepare_timeseries(
        synthetic=opts.synthetic, real=opts.real, train=opts.train, holdout=opts.holdout,
        holdout_share=opts.holdout_share, id_field=opts.id_field, time_field=opts.time_field, channels=opts.channels,
        static_fields=opts.static_fields, value_field=opts.value_field, event_field=opts.event_field,
        layout=opts.layout, window=opts.window, stride=opts.stride, seed=seed, params=params, fmt=load.fmt,
        encoding=load.encoding)
