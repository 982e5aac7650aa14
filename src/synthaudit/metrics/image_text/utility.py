"""Image-text utility (survey section 6.2): question-answering accuracy and the pairwise win rate."""
from __future__ import annotations

import numpy as np

from synthaudit.metrics.image_text.common import SECTION_QUALITY, all_of, field, needs_field
from synthaudit.metrics.registry import RecordMetric, register
from synthaudit.metrics.result import MetricResult

IMAGE = "image_text"


@register(id="vl_image.acc_qa", name="Question-answering accuracy (Acc_QA)", modality=IMAGE, pillar="quality",
          dimension="utility", section=SECTION_QUALITY, direction="higher_better", range=(0.0, 1.0),
          inputs=("synthetic", "gold_answers"), computation="record",
          applies=all_of(needs_field("answer", what="a gold answer"), needs_field("prediction")))
class AccQaMetric(RecordMetric):
    """Acc_QA = share of records whose prediction equals the gold answer (any of a list) after normalisation:
    lower-case, punctuation and articles removed, number words zero..twenty as digits (lmms-eval exact match;
    not VQAv2's soft accuracy)."""

    def score(self, batch, inputs, models) -> np.ndarray:
        from synthaudit.stats.caption_text import exact_match

        return np.array([float(exact_match(str(p), g if isinstance(g, list) else str(g)))
                         if p is not None and g is not None else np.nan
                         for p, g in zip(field(batch, "prediction"), field(batch, "answer"))])

    def finalize(self, state, inputs, models) -> MetricResult:
        res = super().finalize(state, inputs, models)
        res.notes.update(normalisation="lower-case, strip punctuation and articles, number words -> digits")
        return res


@register(id="vl_image.win_rate", name="Pairwise win rate (WinRate)", modality=IMAGE, pillar="quality",
          dimension="utility", section=SECTION_QUALITY, direction="higher_better", range=(0.0, 1.0),
          inputs=("synthetic", "human_scores"), computation="record",
          applies=needs_field("outcome", what="an outcome (win / tie / loss against the baseline)"))
class WinRateMetric(RecordMetric):
    """WinRate = (W + 0.5 T) / (W + T + L) over the records' outcomes against the baseline (win, tie, loss or
    1 / 0.5 / 0), with the counts and a Wilson 95 % interval."""

    SCORES = {"win": 1.0, "tie": 0.5, "loss": 0.0}

    def score(self, batch, inputs, models) -> np.ndarray:
        out = []
        for v in field(batch, "outcome"):
            if isinstance(v, str):
                out.append(self.SCORES.get(v.strip().lower(), np.nan))
            elif isinstance(v, (int, float)) and float(v) in (0.0, 0.5, 1.0):
                out.append(float(v))
            else:
                out.append(np.nan)
        return np.array(out)

    def finalize(self, state, inputs, models) -> MetricResult:
        from synthaudit.stats.caption_text import win_rate

        res = super().finalize(state, inputs, models)
        s = res.record_scores[~np.isnan(res.record_scores)] if res.record_scores is not None else np.array([])
        if s.size:
            w = win_rate(["win" if x == 1 else "tie" if x == 0.5 else "loss" for x in s])
            res.secondary = {k: w[k] for k in ("wins", "ties", "losses", "ci_low", "ci_high") if k in w}
            res.notes.update(interval=w.get("interval", "Wilson 95 %"), judgments=int(s.size))
        return res
