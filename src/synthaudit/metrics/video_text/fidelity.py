"""Video-text fidelity (survey section 6.2): object identity consistency, FVD-like distance, frame-level quality."""
from __future__ import annotations

import numpy as np

from synthaudit.data.vision import batch_field
from synthaudit.metrics.image_text.common import (SECTION_QUALITY, backend_name, unit)
from synthaudit.metrics.image_text.fidelity import FeatureGaussianMetric
from synthaudit.metrics.registry import RecordMetric, register
from synthaudit.metrics.result import MetricResult
from synthaudit.metrics.video_text.common import VIDEO, batch_clips, n_frames, video_rows

#: consecutive frames read per track (identity consistency)
MAX_TRACK_FRAMES = 32


def _crops(frames: np.ndarray, track: list, limit: int = MAX_TRACK_FRAMES) -> list[np.ndarray | None]:
    """Per frame of a track (frame index order, the first ``limit``), the object's crop (None where the box is
    missing, outside the video or empty)."""
    boxes = {}
    for row in track:
        if isinstance(row, (list, tuple)) and len(row) == 5:
            boxes[int(row[0])] = row[1:]
    out = []
    for t in sorted(boxes)[:limit]:
        if t >= len(frames):
            out.append(None)
            continue
        x0, y0, x1, y1 = (int(round(v)) for v in boxes[t])
        h, w = frames.shape[1:3]
        x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, w), min(y1, h)
        out.append(frames[t, y0:y1, x0:x1] if x1 - x0 >= 2 and y1 - y0 >= 2 else None)
    return out


@register(id="vl_video.identity_consistency", name="Object identity consistency (F_ID)", modality=VIDEO,
          pillar="quality", dimension="fidelity", section=SECTION_QUALITY, direction="higher_better",
          range=(-1.0, 1.0), inputs=("synthetic", "videos"), models=("object_detector", "clip"),
          computation="record", needs=lambda p, m: ("image_features",))
class IdentityConsistencyMetric(RecordMetric):
    """F_ID = mean over consecutive frames of cos(f_E(o_t), f_E(o_t+1)) of a tracked object's crops, averaged per
    object then per video. Tracks come from the record's tracks field (the generator's or a tracker's boxes); a
    frame where the box is missing is skipped and counted; the first --frames frames of a track are read (at most
    32 consecutive frames). Without tracks, whole sampled frames are compared
    (VBench's subject-consistency analogue), named in the result. f_E: the image feature backend."""

    def init(self, inputs, models):
        return {**super().init(inputs, models), "lost": 0, "whole_frame": 0}

    def update(self, state, role, batch):
        inputs, models = state["inputs"], state["models"]
        k = n_frames(inputs)
        # every crop (or whole frame) of the batch through the image backend in one call
        groups: list[list[tuple[int, list[bool]]]] = []  # per video: (first image index, present mask) per object
        images: list[np.ndarray] = []
        for clip, tracks in zip(batch_clips(inputs, batch), batch_field(batch, "tracks")):
            objects: list[tuple[int, list[bool]]] = []
            if clip is not None and isinstance(tracks, dict) and tracks:
                for track in tracks.values():
                    crops = _crops(clip.frames, track or [], min(MAX_TRACK_FRAMES, k))
                    state["lost"] += sum(c is None for c in crops)
                    objects.append((len(images), [c is not None for c in crops]))
                    images.extend(c for c in crops if c is not None)
            elif clip is not None:
                state["whole_frame"] += 1
                frames = list(clip.sampled(k))
                objects.append((len(images), [True] * len(frames)))
                images.extend(frames)
            groups.append(objects if clip is not None else [])
        emb = unit(np.asarray(models.get("image_features").features(images), dtype=float)) if images else None
        out = []
        for objects in groups:
            per_object = []
            for start, present in objects:
                pos, n = {}, start
                for j, ok in enumerate(present):
                    if ok:
                        pos[j], n = n, n + 1
                sims = [emb[pos[j]] @ emb[pos[j + 1]] for j in pos if j + 1 in pos]
                if sims:
                    per_object.append(float(np.mean(sims)))
            out.append(float(np.mean(per_object)) if per_object else np.nan)
        state["scores"].append(np.array(out))
        return state

    def merge(self, a, b):
        return {**a, "scores": a["scores"] + b["scores"], "lost": a["lost"] + b["lost"],
                "whole_frame": a["whole_frame"] + b["whole_frame"]}

    def finalize(self, state, inputs, models) -> MetricResult:
        res = super().finalize(state, inputs, models)
        res.secondary = {"frames_track_lost": int(state["lost"]), "videos_whole_frame": int(state["whole_frame"])}
        res.notes.update(features=backend_name(models, "image_features"),
                         tracks="the records' tracks field; whole frames where absent",
                         read_with="vl_video.motion_score: a static video trivially scores ~1")
        return res


@register(id="vl_video.fvd", name="Frechet Video Distance (FVD)", modality=VIDEO, pillar="quality",
          dimension="fidelity", section=SECTION_QUALITY, direction="lower_better", range=(0.0, float("inf")),
          inputs=("synthetic", "real_reference", "videos"), models=("video_features",), computation="mergeable",
          params={"clip_length": {"default": 16}, "resolution": {"default": 224}})
class FvdMetric(FeatureGaussianMetric):
    """FVD = the Frechet distance between Gaussians of real and generated video features (I3D with
    --video-features; offline: EfficientNet-Lite0 frame features, mean and mean absolute temporal difference over
    16 uniformly sampled frames, labelled FVD-like); KID as a secondary value."""

    kind = "video_features"

    def rows(self, inputs, models, batch):
        return video_rows(inputs, models, batch, "video_features")

    def finalize(self, state, inputs, models) -> MetricResult:
        res = super().finalize(state, inputs, models)
        if "EfficientNet" in str(res.notes.get("features", "")):
            res.notes["label"] = "FVD-like (EfficientNet-Lite0 frame features), not I3D FVD"
            res.notes["frames"] = n_frames(inputs)
        return res


@register(id="vl_video.video_quality", name="Frame-level video quality (F_VQ)", modality=VIDEO, pillar="quality",
          dimension="fidelity", section=SECTION_QUALITY, direction="higher_better", range=(0.0, 1.0),
          inputs=("synthetic", "videos"), models=("image_features",), computation="record",
          params={"dimensions": {"default": ["imaging_quality", "aesthetic_quality"],
                                 "note": "each dimension needs its scorer; the one named with --frame-quality is "
                                         "reported"}},
          needs=lambda p, m: ("frame_quality",))
class VideoQualityMetric(RecordMetric):
    """F_VQ = mean over sampled frames of the frame-quality model's score in [0, 1] (--frame-quality), averaged
    over videos; one dimension per model (VBench reports imaging and aesthetic quality separately)."""

    def score(self, batch, inputs, models) -> np.ndarray:
        q = models.get("frame_quality")
        k = n_frames(inputs)
        return np.array([float(np.mean(q.frame_scores(list(c.sampled(k))))) if c is not None else np.nan
                         for c in batch_clips(inputs, batch)])

    def finalize(self, state, inputs, models) -> MetricResult:
        res = super().finalize(state, inputs, models)
        res.notes.update(scorer=backend_name(models, "frame_quality"), frames=n_frames(inputs))
        return res
