"""Image-text diversity (survey section 6.2): Inception Score (IS-like with the offline classifier), intra-sequence
diversity, judge-based diversity."""
from __future__ import annotations

import numpy as np

from synthaudit.data.vision import batch_field
from synthaudit.metrics.image_text.common import (SECTION_QUALITY, SYN, backend_name, batch_features, needs_field,
                                                  params, texts, undefined)
from synthaudit.metrics.image_text.fidelity import _encoder_kinds, image_embed
from synthaudit.metrics.registry import MergeableMetric, RecordMetric, register
from synthaudit.metrics.result import MetricResult

IMAGE = "image_text"
#: rows per split below which the Inception Score uses one split (a 1-row chunk scores 1 whatever the set)
MIN_PER_SPLIT = 50


class IsMetric(MergeableMetric):
    """exp(E[KL(p(y|v) || p(y))]) from class posteriors; the state keeps the posterior rows (IS with splits needs
    them), so shards merge by concatenation."""

    kind = "image_classifier"

    def probs(self, inputs, models, batch) -> tuple[np.ndarray, int]:
        return batch_features(inputs, models, batch, self.kind)

    def init(self, inputs, models):
        return {"inputs": inputs, "models": models, "rows": [], "keys": [], "skipped": 0}

    def update(self, state, role, batch):
        p, skipped = self.probs(state["inputs"], state["models"], batch)
        state["skipped"] += skipped
        if p.size:
            state["rows"].append(p)
        return state

    def merge(self, a, b):
        return {**a, "rows": a["rows"] + b["rows"], "skipped": a["skipped"] + b["skipped"]}

    def finalize(self, state, inputs, models) -> MetricResult:
        from synthaudit.stats.inception_score import inception_score

        if not state["rows"]:
            return undefined("no readable media", skipped_unreadable=state["skipped"])
        p = np.concatenate(state["rows"])
        asked = splits = int(params(inputs, self)["splits"])
        if len(p) < MIN_PER_SPLIT * splits:  # a chunk of a few rows has IS near 1 whatever the set: one split
            splits = 1
        res = inception_score(p, splits=splits, seed=inputs.seed)
        sec = {"single_split": float(res["single_split"])}
        if res.get("std") is not None:
            sec["std"] = float(res["std"])
        return MetricResult(value=float(res["value"]), secondary=sec,
                            notes={"classifier": backend_name(models, self.kind), "splits": res.get("splits", splits),
                                   "n": len(p), "splits_asked": asked,
                                   "split_rule": f"one split when n < {MIN_PER_SPLIT} x splits",
                                   "skipped_unreadable": state["skipped"],
                                   "label": "IS-like with the named classifier; Inception-v3 IS only with it"})


@register(id="vl_image.inception_score", name="Inception Score (IS)", modality=IMAGE, pillar="quality",
          dimension="diversity", section=SECTION_QUALITY, direction="higher_better", range=(1.0, 1000.0),
          inputs=("synthetic", "images"), models=("image_classifier",), computation="mergeable",
          params={"splits": {"default": 10}})
class InceptionScoreMetric(IsMetric):
    """IS = exp(E_v[KL(p(y|v) || p(y))]) over ImageNet posteriors (offline: EfficientNet-Lite0), mean over
    ``splits`` parts as torchmetrics (std and the single-split value as secondary values)."""


@register(id="vl_image.div_seq", name="Intra-Sequence Diversity (Div_seq)", modality=IMAGE, pillar="quality",
          dimension="diversity", section=SECTION_QUALITY, direction="higher_better", range=(0.0, 2.0),
          inputs=("synthetic", "images"), models=("clip", "image_features"), computation="record",
          params={"encoder": {"default": "clip_image", "options": ["clip_image", "dino"],
                              "note": "clip_image uses --clip when named, else the image feature backend (named "
                                      "in the result)"}},
          needs=_encoder_kinds, applies=needs_field("sequence", what="an interleaved sequence"))
class DivSeqMetric(RecordMetric):
    """Div_seq = 1 - mean pairwise cosine of a sequence's image embeddings, by the exact O(L d) identity
    1 - (||s||^2 - L) / (L (L - 1)) with s the sum of unit embeddings; undefined for fewer than 2 images."""

    def score(self, batch, inputs, models) -> np.ndarray:
        from synthaudit.data.vision import media_key, media_of

        kind = _encoder_kinds(params(inputs, self), models)[0]
        mset = media_of(inputs, SYN)
        out = []
        for seq in batch_field(batch, "sequence"):
            imgs = [mset.resolve(s["image"]) for s in (seq or []) if isinstance(s, dict) and s.get("image")]
            embs = [e for e in image_embed(inputs, models, imgs, [media_key(i) for i in imgs], kind) if e is not None]
            if len(embs) < 2:
                out.append(np.nan)
                continue
            s = np.sum(embs, axis=0)
            n = len(embs)
            out.append(float(1.0 - (s @ s - n) / (n * (n - 1))))
        return np.array(out)

    def finalize(self, state, inputs, models) -> MetricResult:
        res = super().finalize(state, inputs, models)
        res.notes.update(encoder=backend_name(models, _encoder_kinds(params(inputs, self), models)[0]))
        return res


@register(id="vl_image.score_div", name="Judge-based diversity score (Score_diversity)", modality=IMAGE,
          pillar="quality", dimension="diversity", section=SECTION_QUALITY, direction="higher_better", range=None,
          inputs=("synthetic",), models=("llm_judge",), computation="record", applies=needs_field("text"))
class ScoreDivMetric(RecordMetric):
    """Score_diversity = mean diversity score per sample: the record's diversity_score (a human or automatic rater)
    where given, else the judge's rating of the sample's text with the versioned vl_diversity prompt, rescaled to
    [0, 1]. The offline judge reads text only."""

    def score(self, batch, inputs, models) -> np.ndarray:
        given = batch_field(batch, "diversity_score")
        out = np.array([float(g) if isinstance(g, (int, float)) else np.nan for g in given])
        todo = [i for i, g in enumerate(given) if not isinstance(g, (int, float))]
        ts = texts(batch)
        items = [{"sample": ts[i] or ""} for i in todo if ts[i]]
        if items:
            rated = models.get("llm_judge").rate("vl_diversity", items)
            for i, r in zip([i for i in todo if ts[i]], rated):
                out[i] = np.nan if r is None else r
        return out

    def finalize(self, state, inputs, models) -> MetricResult:
        res = super().finalize(state, inputs, models)
        media = inputs.extra["media"][SYN]
        if not media.has("diversity_score") or models.loaded("llm_judge"):
            res.notes.update(judge=backend_name(models, "llm_judge"), prompt="vl_diversity v1 (text only)",
                             scale="judge ratings rescaled to [0, 1]")
        return res



