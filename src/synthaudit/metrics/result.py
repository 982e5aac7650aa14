"""MetricResult: what every metric returns (never a bare float). See DESIGN.md, 'The metric contract'."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass
class MetricResult:
    """The value of one metric plus everything needed to trust and open it up.

    value:         the headline number in the catalog's direction (None if undefined on these data).
    ci:            optional (low, high) confidence interval.
    breakdown:     rows of the aggregate's parts (per column, per pair, per group ...), like
                   SDMetrics' ``compute_breakdown``; every row is a flat dict.
    record_scores: optional per-record scores (drive ``synthaudit filter`` and worst examples).
    secondary:     other named numbers worth a glance (e.g. share of columns passing, AUC).
    notes:         sample sizes, thresholds, conventions, model ids, skipped parts with reasons.
    plots:         small plot payloads (histograms, bars, matrices) that the HTML report draws.
    """

    value: float | None
    ci: tuple[float, float] | None = None
    breakdown: list[dict[str, Any]] = field(default_factory=list)
    record_scores: np.ndarray | None = None
    secondary: dict[str, float | None] = field(default_factory=dict)
    notes: dict[str, Any] = field(default_factory=dict)
    plots: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.value is not None:
            v = float(self.value)
            self.value = None if math.isnan(v) else v

    def breakdown_frame(self):
        """The breakdown as a pandas DataFrame."""
        import pandas as pd

        return pd.DataFrame(self.breakdown)


def mean_or_none(values: list[float]) -> float | None:
    """Mean of the defined values (NaN and None are skipped); None when nothing is defined."""
    vals = [float(v) for v in values if v is not None and not math.isnan(float(v))]
    return float(np.mean(vals)) if vals else None
