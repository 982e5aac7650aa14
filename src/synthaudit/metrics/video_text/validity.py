"""Video-text validity (survey section 6.2): schema adherence of the structured part, temporal grounding R@K at
IoU thresholds, cross-modal consistency of grounded segments."""
from __future__ import annotations

from typing import Any

import numpy as np

from synthaudit.data.vision import ROW_COL, batch_field
from synthaudit.metrics.image_text.common import (SECTION_QUALITY, all_of, backend_name, needs_field, params, unit)
from synthaudit.metrics.image_text.validity import WellFormedMetric
from synthaudit.metrics.registry import RecordMetric, register
from synthaudit.metrics.result import MetricResult
from synthaudit.metrics.video_text.common import VIDEO, batch_clips, fps_of

_NUM = {"type": "number", "minimum": 0}
_INTERVAL = {"type": "array", "items": _NUM, "minItems": 2, "maxItems": 2}
#: the built-in video-text record schema (used when no --schema is given)
VIDEO_RECORD_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "properties": {
        "id": {"type": "string"}, "text": {"type": "string"}, "prompt": {"type": "string"},
        "fps": {"type": "number", "exclusiveMinimum": 0},
        "segments": {"type": "array", "items": {"type": "object", "required": ["start", "end"],
                                                "properties": {"start": _NUM, "end": _NUM,
                                                               "text": {"type": "string"}}}},
        "tracks": {"type": "object", "additionalProperties": {
            "type": "array", "items": {"type": "array", "items": {"type": "number"}, "minItems": 5, "maxItems": 5}}},
        "plan": {"type": "object", "properties": {
            "objects": {"type": "array", "items": {"type": "object"}}, "count": {"type": "integer", "minimum": 0},
            "order": {"type": "array"}}},
        "query": {"type": "string"}, "interval": _INTERVAL,
        "predictions": {"type": "array", "items": {"type": "array", "items": {"type": "number"},
                                                   "minItems": 2, "maxItems": 3}},
        "safety": {"enum": ["unsafe", "benign"]},
    },
}
FIELDS = ("id", "text", "prompt", "fps", "segments", "tracks", "plan", "query", "interval", "predictions", "safety")


@register(id="vl_video.schema_adherence_rate", name="Schema Adherence Rate", modality=VIDEO, pillar="quality",
          dimension="validity", section=SECTION_QUALITY, direction="higher_better", range=(0.0, 1.0),
          inputs=("synthetic", "schema"), computation="record")
class SchemaAdherenceMetric(WellFormedMetric):
    """SchemaAdherenceRate = share of records whose structured part follows the schema (--schema, else the built-in
    video-text schema: typed segments, tracks, plan, intervals) and whose video exists and opens; segments must
    also have start <= end (a constraint JSON Schema cannot state)."""

    builtin = VIDEO_RECORD_SCHEMA
    fields = FIELDS
    kind = "video"
    check_sequence = False

    def update(self, state, role, batch):
        state = super().update(state, role, batch)
        last = state["scores"][-1]
        for i, (segs, itv) in enumerate(zip(batch_field(batch, "segments"), batch_field(batch, "interval"))):
            spans = [(s.get("start"), s.get("end")) for s in segs or [] if isinstance(s, dict)]
            if isinstance(itv, list) and len(itv) == 2:
                spans.append(tuple(itv))
            if any(isinstance(a, (int, float)) and isinstance(b, (int, float)) and a > b for a, b in spans):
                if last[i] == 1.0:
                    state["problems"].append({"row": int(batch[ROW_COL].iat[i]), "problems": ["start > end"]})
                last[i] = 0.0
        return state


def _predictions(v: Any) -> list[tuple[float, float, float]]:
    out = []
    for j, p in enumerate(v or []):
        if isinstance(p, (list, tuple)) and len(p) >= 2:
            out.append((float(p[0]), float(p[1]), float(p[2]) if len(p) > 2 else -float(j)))
    return out


@register(id="vl_video.recall_at_k_iou", name="Temporal grounding recall R@K at IoU delta (R@K(delta), R@K-Avg)",
          modality=VIDEO, pillar="quality", dimension="validity", section=SECTION_QUALITY,
          direction="higher_better", range=(0.0, 1.0), inputs=("synthetic", "references"), computation="record",
          params={"K": {"default": [1, 5], "options": [1, 5, 10]}, "iou_threshold": {"default": [0.3, 0.5, 0.7]},
                  "average_over_thresholds": {"default": False,
                                              "note": "True gives R@K-Avg over the iou_threshold set"}},
          applies=all_of(needs_field("interval", what="a ground-truth interval"), needs_field("predictions")))
class RecallAtKMetric(RecordMetric):
    """R@K(delta) = share of samples whose top-K predicted intervals (by score; without scores, in the order
    given) include one with temporal IoU >= delta with the ground truth. Value: R@(smallest K) at the middle
    threshold (or R@K-Avg when average_over_thresholds); every (K, delta) is a secondary value."""

    def _grid(self, inputs) -> tuple[list[int], list[float], bool]:
        p = params(inputs, self)
        ks = p["K"] if isinstance(p["K"], list) else [p["K"]]
        th = p["iou_threshold"] if isinstance(p["iou_threshold"], list) else [p["iou_threshold"]]
        return [int(k) for k in ks], [float(t) for t in th], bool(p["average_over_thresholds"])

    def init(self, inputs, models):
        return {**super().init(inputs, models), "hits": []}

    def update(self, state, role, batch):
        from synthaudit.stats.intervals import recall_at_k

        ks, th, avg = self._grid(state["inputs"])
        recall_at_k([[]], [(0.0, 1.0)], ks=tuple(ks), thresholds=tuple(th))  # bad K / thresholds fail the metric
        scores = np.full(len(batch), np.nan)
        hits = {}
        for i, (p, g) in enumerate(zip(batch_field(batch, "predictions"), batch_field(batch, "interval"))):
            if not (isinstance(g, list) and len(g) == 2):
                continue
            try:  # per sample, so the value is a mean of record scores and batches merge
                hits_j = recall_at_k([_predictions(p)], [(float(g[0]), float(g[1]))], ks=tuple(ks),
                                     thresholds=tuple(th))
            except (TypeError, ValueError):  # start > end, a non-number: this record is undefined, not a miss
                continue
            for key, v in hits_j.items():
                hits.setdefault(key, []).append(v)
            main = np.mean([hits_j[(ks[0], t)] for t in th]) if avg else hits_j[(ks[0], th[len(th) // 2])]
            scores[i] = float(main)
        state["scores"].append(scores)
        state["hits"].append(hits)
        return state

    def merge(self, a, b):
        return {**a, "scores": a["scores"] + b["scores"], "hits": a["hits"] + b["hits"]}

    def finalize(self, state, inputs, models) -> MetricResult:
        res = super().finalize(state, inputs, models)
        ks, th, avg = self._grid(inputs)
        pooled: dict = {}
        for h in state["hits"]:
            for key, vals in h.items():
                pooled.setdefault(key, []).extend(vals)
        res.secondary = {f"R@{k}_iou{t:g}": float(np.mean(v)) for (k, t), v in sorted(pooled.items())}
        for k in ks:
            vals = [np.mean(pooled[(k, t)]) for t in th if (k, t) in pooled]
            if vals:
                res.secondary[f"R@{k}_avg"] = float(np.mean(vals))
        res.notes.update(value=f"R@{ks[0]}-Avg" if avg else f"R@{ks[0]}(IoU >= {th[len(th) // 2]:g})",
                         ranking="by score, descending (no score: the order given)")
        return res


def _segment_frames(clip, seg: dict, fps: float | None) -> np.ndarray | None:
    if fps is None or not isinstance(seg, dict):
        return None
    a, b = int(np.floor(float(seg.get("start", 0)) * fps)), int(np.ceil(float(seg.get("end", 0)) * fps))
    frames = clip.frames[max(a, 0): max(b, a + 1)]
    return frames if len(frames) else None


@register(id="vl_video.cmc", name="Cross-Modal Consistency (CMC)", modality=VIDEO, pillar="quality",
          dimension="validity", section=SECTION_QUALITY, direction="higher_better", range=(-1.0, 1.0),
          inputs=("synthetic", "videos"), models=("video_features", "clip"), computation="record",
          params={"encoder": {"default": "mean_pooled_clip_frames",
                              "options": ["mean_pooled_clip_frames", "xclip", "viclip"]}},
          needs=lambda p, m: ("clip",), applies=needs_field("segments", what="grounded segments"))
class CmcMetric(RecordMetric):
    """CMC = mean over a video's grounded segments of cos(CLIP text(segment text), mean of the unit CLIP image
    embeddings of the segment's frames, re-normalised); segments without text or frames are skipped."""

    def score(self, batch, inputs, models) -> np.ndarray:
        if params(inputs, self)["encoder"] != "mean_pooled_clip_frames":
            raise ValueError("vl_video.cmc: only the mean_pooled_clip_frames encoder is implemented (X-CLIP and "
                             "ViCLIP need their own video towers)")
        clip = models.get("clip")
        out = []
        for c, segs, fps in zip(batch_clips(inputs, batch), batch_field(batch, "segments"),
                                batch_field(batch, "fps")):
            vals = []
            for seg in segs or []:
                frames = _segment_frames(c, seg, fps_of(c, fps)) if c is not None else None
                if frames is None or not seg.get("text"):
                    continue
                v = unit(unit(np.asarray(clip.image_embeddings(list(frames[:16])), dtype=float)).mean(axis=0))
                t = unit(np.asarray(clip.text_embeddings([str(seg["text"])]), dtype=float)[0])
                vals.append(float(v @ t))
            out.append(float(np.mean(vals)) if vals else np.nan)
        return np.array(out)

    def finalize(self, state, inputs, models) -> MetricResult:
        res = super().finalize(state, inputs, models)
        res.notes.update(encoder=f"mean-pooled CLIP frames ({backend_name(models, 'clip')})",
                         frames="at most 16 per segment")
        return res



