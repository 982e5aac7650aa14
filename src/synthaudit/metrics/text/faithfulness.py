"""Text faithfulness (survey section 2.3): preservation of the original in a revision (RARR)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from synthaudit.data.text import texts
from synthaudit.metrics.registry import RecordMetric, register
from synthaudit.metrics.result import MetricResult


def levenshtein(a: str, b: str) -> int:
    """Character-level edit distance with unit costs (rapidfuzz when installed, else dynamic programming)."""
    try:
        from rapidfuzz.distance import Levenshtein

        return int(Levenshtein.distance(a, b))
    except ImportError:  # pragma: no cover - rapidfuzz is a dependency
        prev = list(range(len(b) + 1))
        for i, ca in enumerate(a, 1):
            cur = [i]
            for j, cb in enumerate(b, 1):
                cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
            prev = cur
        return prev[-1]


@register(id="text.pres_lev", name="Levenshtein preservation (Pres_Lev)", modality="text", pillar="trust",
          dimension="faithfulness", section="2.3", direction="higher_better", range=(0.0, 1.0),
          inputs=("synthetic", "references"), models=("none",), computation="record")
class PresLev(RecordMetric):
    """Pres_Lev = mean_i max(1 - d_lev(revision_i, original_i) / len(original_i), 0) (section 2.3, RARR): how
    much of the original a revision keeps. The synthetic text is the revision, ``--reference-field`` the
    original. Pairs with a missing text or an empty original are undefined (NaN score), counted and left out."""

    def score(self, batch: pd.DataFrame, inputs, models) -> np.ndarray:
        revisions = texts(batch, inputs.extra.get("field", "text"))
        originals = texts(batch, inputs.extra["references"])
        out = np.full(len(revisions), np.nan)
        for i, (rev, orig) in enumerate(zip(revisions, originals)):
            if rev is not None and orig:
                out[i] = max(1.0 - levenshtein(rev, orig) / len(orig), 0.0)
        return out

    def finalize(self, state, inputs, models) -> MetricResult:
        result = super().finalize(state, inputs, models)
        result.notes.update(reference_field=inputs.extra["references"], distance="character Levenshtein, unit costs",
                            undefined="pairs with a missing text or an empty original (NaN score, left out)")
        return result
