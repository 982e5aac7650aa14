"""Sequential data (the tutorial's sequential / time-series data): the options of ``synthaudit audit timeseries``
and the hooks.

A record is one series (or one event sequence); see ``synthaudit.data.timeseries`` for the layouts read.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from synthaudit.modalities.base import Modality, ModalityInputs, TrackSpec, option
from synthaudit.modalities.registry import register_modality

_HERE = "synthaudit.modalities.timeseries"


@dataclass(kw_only=True)
class TimeseriesInputs(ModalityInputs):
    """Inputs of a time-series audit: series in the long layout (one row per series and step), the wide layout
    (one row per series) or event sequences."""

    modality = "timeseries"

    synthetic: Any = option(None, "Generated series: CSV, Parquet, JSON Lines, a Hugging Face dataset or a table, "
                            "long (series id, time, channels) or wide (one row per series).", kind="data",
                            short="-s", role="synthetic")
    real: Any = option(None, "Real series to compare with (same layout and channels).", kind="data", short="-r",
                       role="real_reference")
    train: Any = option(None, "Real series the generator was trained on (timeseries.dcr; default: --real).",
                        kind="data", role="train")
    holdout: Any = option(None, "Real series the generator never saw (timeseries.dcr baseline, "
                          "timeseries.predictive_score test set).", kind="data", role="real_holdout")
    holdout_share: float | None = option(None, "Without --holdout: hold out this share of the real series (seeded, "
                                         "by series) as the holdout; the rest is the reference and training set.",
                                         kind="float")
    id_field: str | None = option(None, "Field holding the series id (default: the first of series_id, unique_id, "
                                  "item_id, sequence_id, session_id, user_id, id, series; none: one series).")
    time_field: str | None = option(None, "Field holding the time (a number or a date/time; default: timestamp, "
                                    "time, date, datetime, ds, t, step; none: rows are in time order).")
    channels: list[str] | None = option(None, "Channel fields (default: every numeric field other than the id and "
                                        "time; wide layout: the time-step fields).", kind="list")
    static_fields: list[str] | None = option(None, "Static attributes of a series (default, long layout: the "
                                             "non-numeric fields constant within every series).", kind="list")
    value_field: str | None = option(None, "Wide layout: the field holding each series as a list ([1, 2, ...] or "
                                     "[[c1, c2], ...]).")
    event_field: str | None = option(None, "Event sequences: the field holding the event (long layout) or the list "
                                     "of events (one row per sequence).")
    layout: str = option("auto", "auto, long or wide (wide with numeric fields: one field per time step).")
    window: int | None = option(None, "Cut every series into windows of this many steps (TimeGAN-style samples); "
                                "shorter series are left out and counted.", kind="int")
    stride: int | None = option(None, "Steps between window starts (default: the window, no overlap).", kind="int")


MODALITY = register_modality(Modality(
    name="timeseries", title="Time series", section="tutorial-3.5", inputs=TimeseriesInputs,
    summary="Audit sequential data (the tutorial's time series and event sequences): per-channel KS, ACF and "
            "cross-correlation distances, TimeGAN's discriminative and predictive scores (with the train-on-real "
            "baseline), series coverage, series DCR (Euclidean or DTW), lengths, spectra, event transitions.",
    prepare=f"{_HERE}.prepare:prepare", metrics="synthaudit.metrics.timeseries",
    track=TrackSpec(metrics=("timeseries.acf_distance", "timeseries.discriminative_score")),
    report_figures=f"{_HERE}.report:figures",
    reference=f"{_HERE}.reference:reference",
    generate_command=f"{_HERE}.cli:generate_timeseries",
    demo=f"{_HERE}.demo:section",
    docs="docs/timeseries.md",
))
