"""Which metrics can run on these inputs; every other catalog metric is a gap with a reason.

Survey stage 4 ("gaps"): a metric is not run when an input is missing, a model backend is missing,
the data give it nothing to measure, it was not selected, or it is not implemented yet. Each gap
names what would enable it. In an audit from statistics (``metrics.registry.statistics_of``) a metric that
takes its state from the statistics runs; one that needs the rows they stand for is a missing-input gap with
the statistics' reason (tabular: "needs the real rows (audit from statistics)").
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterable

from synthaudit.catalog import ALL_DIMENSIONS
from synthaudit.data.inputs import ROLE_FLAGS
from synthaudit.errors import UsageError
from synthaudit.modalities.registry import get_modality, known_modalities, modalities
from synthaudit.metrics.registry import (RegisteredMetric, all_metrics, metric_entries, statistics_for,
                                         statistics_of)

if TYPE_CHECKING:
    from synthaudit.data.inputs import AuditInputs
    from synthaudit.models import Models

GAP_KINDS = ("missing_input", "missing_model", "not_applicable", "not_selected", "not_implemented")


@dataclass
class Gap:
    id: str
    name: str
    pillar: str
    dimension: str
    kind: str
    reason: str
    enable: str | None = None


@dataclass
class Plan:
    run: list[RegisteredMetric] = field(default_factory=list)
    gaps: list[Gap] = field(default_factory=list)
    #: time no single metric owns, set by the engine: {label: (wall_s, cpu_s)} (model loading, shared features)
    shared_time: dict[str, tuple[float, float]] = field(default_factory=dict)


def modality_of(metric_id: str) -> str:
    entry = metric_entries().get(metric_id)
    return entry["modality"] if entry else metric_id.split(".", 1)[0]


def validate_selection(modality: str, metrics: Iterable[str] | None, dimensions: Iterable[str] | None) -> None:
    if modality not in known_modalities():
        raise UsageError(f"unknown modality {modality!r}; expected one of {', '.join(known_modalities())}")
    catalog = metric_entries()
    for mid in metrics or ():
        if mid not in catalog:
            close = [c for c in catalog if c.split(".", 1)[-1] == mid.split(".", 1)[-1]]
            raise UsageError(f"unknown metric id {mid!r}" + (f"; did you mean {close[0]!r}?" if close else "")
                             + " (see `synthaudit metrics`)", field="--metrics")
        if catalog[mid]["modality"] != modality:
            raise UsageError(f"metric {mid!r} belongs to modality {catalog[mid]['modality']!r}, not {modality!r}",
                             field="--metrics")
    for dim in dimensions or ():
        if dim not in ALL_DIMENSIONS:
            raise UsageError(f"unknown dimension {dim!r}; expected one of {', '.join(ALL_DIMENSIONS)}",
                             field="--dimensions")


def role_flag(role: str, modality: str) -> str:
    """The flag that provides ``role`` for an audit of ``modality`` (the modality's options say; the catalog's
    generic flag otherwise)."""
    own = get_modality(modality).role_flag(role) if modality in modalities() else None
    return own or ROLE_FLAGS.get(role, role)


def make_plan(inputs: "AuditInputs", models: "Models", *, metrics: Iterable[str] | None = None,
              dimensions: Iterable[str] | None = None) -> Plan:
    """Split the modality's catalog into metrics to run and gaps (with reasons and enabling flags)."""
    modality = inputs.modality
    metrics = list(metrics) if metrics else None
    dimensions = list(dimensions) if dimensions else None
    validate_selection(modality, metrics, dimensions)
    registered = all_metrics()
    plan = Plan()
    for mid, entry in metric_entries().items():
        if entry["modality"] != modality:
            continue

        def gap(kind: str, reason: str, enable: str | None = None, mid: str = mid, entry: dict = entry) -> None:
            plan.gaps.append(Gap(mid, entry["name"], entry["pillar"], entry["dimension"], kind, reason, enable))

        if metrics is not None and mid not in metrics:
            gap("not_selected", "not selected (--metrics)", f"--metrics {mid}")
            continue
        if dimensions is not None and entry["dimension"] not in dimensions:
            gap("not_selected", f"dimension {entry['dimension']} not selected (--dimensions)",
                f"--dimensions {entry['dimension']}")
            continue
        metric = registered.get(mid)
        if metric is None:
            gap("not_implemented", "not implemented in this version of synthaudit")
            continue
        if metric.spec.opt_in and metrics is None:
            gap("not_selected", f"opt-in ({metric.spec.opt_in}): name it in --metrics", f"--metrics {mid}")
            continue
        missing = [r for r in metric.spec.inputs if not inputs.has(r) and r not in statistics_for(metric.impl, inputs)]
        if missing:
            # audit from statistics: rows the statistics stand for, that this metric cannot take from them
            summarised = [s for s in statistics_of(inputs).values() if set(missing) & set(s.stands_for)]
            others = [r for r in missing if not any(r in s.stands_for for s in summarised)]
            reason = (summarised[0].gap_reason + (f"; also needs {', '.join(others)}" if others else "")
                      if summarised else "needs " + ", ".join(missing))
            gap("missing_input", reason,
                " ".join(dict.fromkeys(role_flag(r, modality).split(" (")[0] for r in missing)))
            continue
        kinds = metric.spec.models if metric.spec.needs is None else \
            metric.spec.needs(inputs.params_for(mid, metric.spec.default_params()), models)
        model_reasons = [r for k in kinds if (r := models.availability(k))]
        if model_reasons:
            gap("missing_model", "; ".join(model_reasons), "install the backend or name another model")
            continue
        if metric.spec.applies is not None:
            reason = metric.spec.applies(inputs)
            if reason:
                gap("not_applicable", reason)
                continue
        plan.run.append(metric)
    return plan
