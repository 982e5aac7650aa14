"""Text semantic diversity (survey section 2.2): Self Cosine Similarity, exactly and in O(M d)."""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from synthaudit.data.text import texts
from synthaudit.metrics.registry import MergeableMetric, register
from synthaudit.metrics.result import MetricResult
from synthaudit.metrics.text.features import SYN, embeddings, is_blank, text_field


def self_cos_sim(unit: np.ndarray) -> float | None:
    """Mean pairwise cosine of unit rows: (||s||^2 - sum_i ||u_i||^2) / (M(M-1)), s = sum_i u_i."""
    m = len(unit)
    if m < 2:
        return None
    s = unit.sum(axis=0)
    return float((s @ s - np.einsum("ij,ij->", unit, unit)) / (m * (m - 1)))


@register(id="text.self_cos_sim", name="Self Cosine Similarity (Self-CosSim)", modality="text", pillar="quality",
          dimension="diversity", section="2.2", direction="lower_better", range=(-1.0, 1.0), inputs=("synthetic",),
          models=("sentence_embedder",), computation="mergeable",
          params={"encoder": {"default": "sentence-transformers/all-MiniLM-L6-v2"}})
class SelfCosSim(MergeableMetric):
    """Self-CosSim = 2/(M(M-1)) sum_{i<j} cos(h_i, h_j) over the M generated texts (section 2.2), computed
    exactly in O(M d): with unit vectors u_i and s = sum_i u_i, sum_{i<j} u_i.u_j = (||s||^2 - sum_i ||u_i||^2)/2
    (sum_i ||u_i||^2 = M up to rounding). Sufficient statistics: s, sum_i ||u_i||^2 and M. Undefined for M < 2.
    Exact duplicates raise it (intended: they are repetition)."""

    streams = (SYN,)

    def init(self, inputs, models) -> dict[str, Any]:
        return {"inputs": inputs, "models": models, "field": text_field(inputs), "s": None, "sq": 0.0, "m": 0,
                "missing": 0, "blank": 0}

    def update(self, state: dict, role: str, batch: pd.DataFrame) -> dict:
        docs = texts(batch, state["field"])
        emb = embeddings(state["inputs"], state["models"], docs)
        state["missing"] += sum(d is None for d in docs)
        state["blank"] += sum(d is not None and is_blank(d) for d in docs)
        ok = ~np.isnan(emb).any(axis=1) if emb.size else np.zeros(len(docs), bool)
        if ok.any():
            vecs = emb[ok]
            s = vecs.sum(axis=0)
            state["s"] = s if state["s"] is None else state["s"] + s
            state["sq"] += float(np.einsum("ij,ij->", vecs, vecs))
            state["m"] += len(vecs)
        return state

    def merge(self, a: dict, b: dict) -> dict:
        s = b["s"] if a["s"] is None else a["s"] if b["s"] is None else a["s"] + b["s"]
        return {**a, "s": s, "sq": a["sq"] + b["sq"], "m": a["m"] + b["m"], "missing": a["missing"] + b["missing"],
                "blank": a["blank"] + b["blank"]}

    def finalize(self, state: dict, inputs, models) -> MetricResult:
        m = state["m"]
        value = float((state["s"] @ state["s"] - state["sq"]) / (m * (m - 1))) if m >= 2 else None
        notes: dict[str, Any] = {
            "n_texts": m, "encoder_used": models.get("sentence_embedder").name,
            "encoder_requested": inputs.params_for(self.spec.id, self.spec.default_params())["encoder"],
            "computation": "exact O(M d) identity (||s||^2 - M) / (M (M - 1)) over unit embeddings"}
        if m < 2:
            notes["undefined"] = f"needs at least 2 embedded texts; got {m}"
        if state["missing"] or state["blank"]:
            notes["excluded"] = f"{state['missing']} missing and {state['blank']} blank text(s) were not embedded"
        return MetricResult(value=value, notes=notes)
