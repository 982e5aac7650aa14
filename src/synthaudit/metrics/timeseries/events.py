"""Event-sequence metrics (extensions of ``timeseries.*``; the tutorial's interaction sequences): bigram
transition distance and item coverage."""
from __future__ import annotations

from synthaudit.data.timeseries import series_of
from synthaudit.metrics.registry import register
from synthaudit.metrics.result import MetricResult
from synthaudit.metrics.timeseries.common import MODALITY, SECTION, event_sequences, undefined
from synthaudit.stats.timeseries import item_coverage, transition_distance


@register(id="timeseries.ext.transition_distance", name="Event transition distance (bigram total variation)",
          modality=MODALITY, pillar="quality", dimension="fidelity", section=SECTION, direction="lower_better",
          range=(0.0, 1.0), inputs=("synthetic", "real_reference"), computation="global", extension=True,
          applies=event_sequences("real_reference"))
def transitions(inputs, models) -> MetricResult:
    """Total variation between the real and synthetic distributions of consecutive event pairs (a -> b) over all
    sequences (:func:`synthaudit.stats.timeseries.transition_distance`)."""
    real, syn = series_of(inputs, "real_reference").events, series_of(inputs, "synthetic").events
    try:
        value = transition_distance(real, syn)
    except ValueError as exc:
        return undefined(exc)
    return MetricResult(value=value, notes={"definition": "0.5 * sum |P_real(a->b) - P_syn(a->b)| over bigrams of "
                                                          "consecutive events, pooled over sequences"})


@register(id="timeseries.ext.item_coverage", name="Event item coverage", modality=MODALITY, pillar="quality",
          dimension="diversity", section=SECTION, direction="higher_better", range=(0.0, 1.0),
          inputs=("synthetic", "real_reference"), computation="global", extension=True,
          applies=event_sequences("real_reference"))
def coverage(inputs, models) -> MetricResult:
    """Share of the distinct real events (items) that occur in the synthetic sequences."""
    real, syn = series_of(inputs, "real_reference").events, series_of(inputs, "synthetic").events
    try:
        value = item_coverage(real, syn)
    except ValueError as exc:
        return undefined(exc)
    items_r = {t for s in real for t in s}
    items_s = {t for s in syn for t in s}
    missing = sorted(items_r - items_s)
    return MetricResult(value=value, secondary={"real_items": len(items_r), "synthetic_items": len(items_s),
                                                "unseen_items": len(items_s - items_r)},
                        notes={"missing_examples": missing[:10]})
