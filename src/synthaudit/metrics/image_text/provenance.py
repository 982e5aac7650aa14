"""Image-text provenance (survey section 6.3): the share of images carrying a valid C2PA manifest."""
from __future__ import annotations

from collections import Counter

import numpy as np

from synthaudit.metrics.image_text.common import params, sources
from synthaudit.metrics.registry import RecordMetric, register
from synthaudit.metrics.result import MetricResult

STATES = ("well_formed", "valid", "trusted")


@register(id="vl_image.rate_validate", name="C2PA credential validation rate (Rate_validate)",
          modality="image_text", pillar="trust", dimension="provenance", section="6.3", direction="higher_better",
          range=(0.0, 1.0), inputs=("synthetic", "images"), computation="record",
          params={"min_state": {"default": "valid", "options": list(STATES)}})
class RateValidateMetric(RecordMetric):
    """Rate_validate = share of images whose C2PA manifest (read and validated with c2pa-python) reaches
    ``min_state`` (well_formed < valid < trusted; trusted needs --trust-anchors); no manifest or a failed
    validation counts 0. The states found are counted."""

    def init(self, inputs, models):
        return {**super().init(inputs, models), "states": Counter()}

    def update(self, state, role, batch):
        from synthaudit.verify.c2pa_check import c2pa_status, meets

        inputs = state["inputs"]
        want = params(inputs, self)["min_state"]
        if want not in STATES:
            raise ValueError(f"vl_image.rate_validate: min_state {want!r}; expected one of {', '.join(STATES)}")
        anchors = inputs.extra.get("trust_anchors")
        pem = open(anchors, encoding="utf-8").read() if anchors else None
        out = []
        for src in sources(batch):
            if src is None:
                out.append(np.nan)
                continue
            st = c2pa_status(src if not isinstance(src, dict) else (src.get("bytes") or src.get("path")),
                             trust_anchors_pem=pem)
            state["states"][st.state] += 1
            out.append(float(meets(st, want)))
        state["scores"].append(np.array(out))
        return state

    def merge(self, a, b):
        return {**a, "scores": a["scores"] + b["scores"], "states": a["states"] + b["states"]}

    def finalize(self, state, inputs, models) -> MetricResult:
        res = super().finalize(state, inputs, models)
        res.secondary = {f"n_{k}": int(v) for k, v in sorted(state["states"].items())}
        res.notes.update(min_state=params(inputs, self)["min_state"], reader="c2pa-python 0.38 (C2PA 2.x)",
                         trust_list=inputs.extra.get("trust_anchors") or "none (trusted needs --trust-anchors)")
        return res
