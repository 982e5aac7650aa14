"""Shared glue of the time-series metrics: which inputs a metric needs, and a stats error as an undefined value."""
from __future__ import annotations

from typing import Any, Callable

from synthaudit.data.timeseries import series_of
from synthaudit.metrics.result import MetricResult

MODALITY = "timeseries"
SECTION = "tutorial-3.5"
FLAGS = {"synthetic": "--synthetic", "real_reference": "--real", "train": "--train (or --real)",
         "real_holdout": "--holdout (or --holdout-share)"}


def _missing(inputs, roles: tuple[str, ...]) -> str | None:
    missing = [FLAGS[r] for r in roles if not inputs.has(r)]
    return f"no {' / '.join(missing)} series given" if missing else None


def numeric(*roles: str) -> Callable[[Any], str | None]:
    """An ``applies`` check: numeric series for every role named."""
    def check(inputs) -> str | None:
        if inputs.extra.get("events"):
            return "these are event sequences (no numeric channels): see the event metrics"
        return _missing(inputs, ("synthetic", *roles))

    return check


def event_sequences(*roles: str) -> Callable[[Any], str | None]:
    """An ``applies`` check: event sequences for every role named."""
    def check(inputs) -> str | None:
        if not inputs.extra.get("events"):
            return "numeric series, not event sequences (give --event-field for event data)"
        return _missing(inputs, ("synthetic", *roles))

    return check


def values(inputs, role: str) -> list:
    return series_of(inputs, role).values


def undefined(exc: Exception, **notes: Any) -> MetricResult:
    """A metric whose statistic is undefined on these data (a gap with the reason, never 0)."""
    return MetricResult(value=None, notes={"undefined": str(exc), **notes})


def params(inputs, metric) -> dict[str, Any]:
    return inputs.params_for(metric.spec.id, metric.spec.default_params())


def torch_pinned(family: str, fn: Callable) -> Callable:
    """``fn`` run with the project's torch thread count (``synthaudit.models._hf.device``: one thread on a 2-core
    machine) when ``family`` is the torch GRU, so a seeded GRU gives the same numbers in every run and engine."""
    if family != "gru":
        return fn
    from synthaudit.models._hf import device, pinned

    device()
    return pinned(fn)


OVERLAP_NOTE = ("the series are overlapping windows (--stride < --window): each real window's nearest real neighbour "
                "is its own shifted copy, so nearest-neighbour baselines are tiny; cut non-overlapping windows "
                "(--stride >= --window) for a coverage or distance comparison that means something")


def overlap_notes(inputs) -> dict[str, str]:
    """The note nearest-neighbour metrics add when the audit's series are overlapping windows."""
    return {"overlapping_windows": OVERLAP_NOTE} if inputs.extra.get("overlapping_windows") else {}
