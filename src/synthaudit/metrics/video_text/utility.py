"""Video-text utility (survey section 6.2): plan controllability and style/function alignment."""
from __future__ import annotations

from typing import Any

import numpy as np

from synthaudit.data.vision import batch_field
from synthaudit.metrics.image_text.common import (SECTION_QUALITY, backend_name, needs_field, texts, unit)
from synthaudit.metrics.registry import RecordMetric, register
from synthaudit.metrics.result import MetricResult
from synthaudit.metrics.video_text.common import VIDEO, batch_clips, n_frames


def _colour(obj: Any) -> str | None:
    if isinstance(obj, dict):
        return str(obj.get("color") or obj.get("colour") or "").lower() or None
    return str(obj).split()[0].lower() if obj else None


def check_plan(plan: dict, frames: np.ndarray, detector, k: int) -> tuple[bool, list[str]]:
    """Whether a video satisfies a plan naming objects by colour. Without an ``order`` (every object on screen
    throughout), on ``k`` sampled frames: each planned colour is detected in at least half of them and the median
    number of planned-colour blobs equals ``count``. With an ``order`` (objects may enter and leave), on every
    frame: each planned colour appears at least once, colours first appear in the planned order, and no frame
    holds more planned-colour blobs than ``count``. Returns the verdict and the failed checks."""
    from synthaudit.data.vision import sample_indices

    colours = [c for c in (_colour(o) for o in plan.get("objects") or []) if c]
    order = [c for c in (_colour(o) for o in plan.get("order") or []) if c]
    if not colours:
        return False, ["the plan names no object colours"]
    unknown = sorted(set(order) - set(colours))
    ordered = bool(order)
    idx = np.arange(len(frames)) if ordered else sample_indices(len(frames), k)
    seen: dict[str, list[int]] = {c: [] for c in set(colours)}
    counts = []
    for t in idx:
        found = detector.detect(frames[t], list(seen))
        counts.append(sum(len(found.get(c, [])) for c in seen))
        for c in seen:
            if found.get(c):
                seen[c].append(int(t))
    failed = [f"the order names {', '.join(unknown)}, not among the planned objects"] if unknown else []
    for c in sorted(seen):
        if not seen[c]:
            failed.append(f"{c} object never appears")
        elif not ordered and len(seen[c]) < 0.5 * len(idx):
            failed.append(f"{c} object missing in most frames")
    want = plan.get("count")
    if isinstance(want, int) and counts:
        if not ordered and int(np.median(counts)) != want:
            failed.append(f"median object count {int(np.median(counts))} != planned {want}")
        elif ordered and max(counts) > want:
            failed.append(f"{max(counts)} objects in one frame, more than the planned {want}")
    if ordered and all(seen.get(c) for c in order if c in seen):
        firsts = [seen[c][0] for c in order if c in seen]
        if firsts != sorted(firsts):
            failed.append(f"objects appear in another order than planned ({', '.join(order)})")
    return not failed, failed


@register(id="vl_video.u_control", name="Controllability task success rate (U_Control)", modality=VIDEO,
          pillar="quality", dimension="utility", section=SECTION_QUALITY, direction="higher_better",
          range=(0.0, 1.0), inputs=("synthetic", "prompts", "rules"), models=("llm_judge", "object_detector"),
          computation="record", needs=lambda p, m: ("object_detector",),
          applies=needs_field("plan", what="a plan (objects with colours, count, order)"))
class UControlMetric(RecordMetric):
    """U_Control = share of videos whose frames satisfy their plan, checked by the colour-blob detector
    (models.blobs: planned colours present, object count, entering order); the checker type is recorded, since
    results are not comparable across checkers. It does not check shapes or real-world objects."""

    def init(self, inputs, models):
        return {**super().init(inputs, models), "failed": []}

    def update(self, state, role, batch):
        inputs, models = state["inputs"], state["models"]
        det = models.get("object_detector")
        out = []
        for i, (clip, plan) in enumerate(zip(batch_clips(inputs, batch), batch_field(batch, "plan"))):
            if clip is None or not isinstance(plan, dict):
                out.append(np.nan)
                continue
            ok, failed = check_plan(plan, clip.frames, det, n_frames(inputs))
            out.append(float(ok))
            if failed:
                state["failed"].append({"id": str(batch["id"].iat[i]), "failed": failed})
        state["scores"].append(np.array(out))
        return state

    def merge(self, a, b):
        return {**a, "scores": a["scores"] + b["scores"], "failed": a["failed"] + b["failed"]}

    def finalize(self, state, inputs, models) -> MetricResult:
        res = super().finalize(state, inputs, models)
        res.breakdown = state["failed"][:30]
        res.notes.update(checker=backend_name(models, "object_detector"))
        return res


@register(id="vl_video.u_func", name="Style/function alignment (U_Func)", modality=VIDEO, pillar="quality",
          dimension="utility", section=SECTION_QUALITY, direction="higher_better", range=(-1.0, 1.0),
          inputs=("synthetic", "prompts", "videos"), models=("video_features", "clip"), computation="record",
          needs=lambda p, m: ("clip",))
class UFuncMetric(RecordMetric):
    """U_Func = cos(CLIP text(prompt), mean of the unit CLIP embeddings of sampled frames), averaged over videos
    (the mean-pooled-CLIP-frames encoder, as vl_video.cmc)."""

    def score(self, batch, inputs, models) -> np.ndarray:
        clip = models.get("clip")
        k = n_frames(inputs)
        out = []
        for c, p in zip(batch_clips(inputs, batch), texts(batch, "prompt")):
            if c is None or not p:
                out.append(np.nan)
                continue
            v = unit(unit(np.asarray(clip.image_embeddings(list(c.sampled(k))), dtype=float)).mean(axis=0))
            out.append(float(v @ unit(np.asarray(clip.text_embeddings([p]), dtype=float)[0])))
        return np.array(out)

    def finalize(self, state, inputs, models) -> MetricResult:
        res = super().finalize(state, inputs, models)
        res.notes.update(encoder=f"mean-pooled CLIP frames ({backend_name(models, 'clip')})")
        return res
