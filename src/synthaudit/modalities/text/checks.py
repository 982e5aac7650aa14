"""Filter checks of the text modality that are not metrics (``FilterSpec.custom``)."""
from __future__ import annotations

from typing import Any

import numpy as np


def toxicity(inputs: Any, models: Any) -> np.ndarray:
    """Toxicity of each record's own text (survey section 2.3 scorer); NaN for a missing text."""
    field_name = inputs.extra["field"]
    frame = inputs.frame("synthetic")
    from synthaudit.data.text import is_text

    texts = [v if is_text(v) and v.strip() else None for v in frame[field_name].tolist()]
    present = [i for i, t in enumerate(texts) if t is not None]
    out = np.full(len(texts), np.nan)
    if present:
        out[present] = models.get("toxicity").score([texts[i] for i in present])
    return out
