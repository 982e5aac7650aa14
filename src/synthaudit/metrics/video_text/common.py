"""Shared glue of the video-text metrics (survey section 6.2-6.3): decoded and sampled frames, per-video features
cached by media key."""
from __future__ import annotations

from collections import OrderedDict
from typing import Any

import numpy as np

from synthaudit.data.vision import KEY_COL, MediaError, read_video, sample_indices
from synthaudit.metrics.image_text.common import sources

VIDEO = "video_text"
#: decoded videos kept in memory (a few metrics read the same batch one after another)
FRAME_CACHE = 16


class Clip:
    """One decoded video: every frame read (up to 1024) and its frame rate (None when unknown)."""

    def __init__(self, frames: np.ndarray, fps: float | None) -> None:
        self.frames = frames
        self.fps = fps

    def sampled(self, k: int) -> np.ndarray:
        return self.frames[sample_indices(len(self.frames), k)]


def _cache(inputs) -> OrderedDict:
    return inputs.features.get("video:frames", OrderedDict)


def clip_of(inputs, src: Any, key: str, errors: list[dict] | None = None) -> Clip | None:
    """The decoded video of a record (None when absent or unreadable; the reason goes to ``errors``)."""
    if src is None:
        return None
    cache = _cache(inputs)
    if key in cache:
        cache.move_to_end(key)
        return cache[key]
    try:
        frames, fps = read_video(src)
    except MediaError as exc:
        if errors is not None:
            errors.append({"source": str(src), "reason": str(exc)})
        cache[key] = None
        return None
    cache[key] = Clip(frames, fps)
    while len(cache) > FRAME_CACHE:
        cache.popitem(last=False)
    return cache[key]


def batch_clips(inputs, batch) -> list[Clip | None]:
    return [clip_of(inputs, s, k) for s, k in zip(sources(batch), batch[KEY_COL].tolist())]


def n_frames(inputs) -> int:
    return int(inputs.extra.get("frames") or 16)


def fps_of(clip: Clip, given: Any) -> float | None:
    """The frame rate: the record's fps field, else the container's."""
    if isinstance(given, (int, float)) and given > 0:
        return float(given)
    return clip.fps


def video_rows(inputs, models, batch, kind: str) -> tuple[np.ndarray, int]:
    """Per readable video of a batch, its feature row (``video_features``) or class posterior (``video_probs``),
    cached by media key (the batch's new videos go through the backend in one call); and how many were skipped."""
    store = inputs.features.get("video:rows", dict)
    backend = models.get("video_features")
    k = n_frames(inputs)
    bid = id(backend)
    srcs, keys = sources(batch), batch[KEY_COL].tolist()
    todo, clips = [], []
    for src, key in zip(srcs, keys):
        if (bid, kind, k, key) in store or key in todo:
            continue
        clip = clip_of(inputs, src, key)
        if clip is None:
            store[(bid, "video_features", k, key)] = store[(bid, "video_probs", k, key)] = None
            continue
        todo.append(key)
        # the offline descriptor reads --frames uniformly sampled frames; I3D-style models their own clip
        clips.append(clip.sampled(k) if getattr(backend, "variant", "") == "offline-frame-features" else clip.frames)
    if todo:
        if hasattr(backend, "embed"):
            feats, probs = backend.embed(clips)
            for j, key in enumerate(todo):
                store[(bid, "video_features", k, key)] = np.asarray(feats[j], dtype=np.float64)
                store[(bid, "video_probs", k, key)] = None if probs is None else np.asarray(probs[j], np.float64)
        elif kind == "video_probs":
            raise ValueError(f"the video backend {getattr(backend, 'name', backend)} gives no class posteriors "
                             "(vl_video.d_sem needs a video classifier)")
        else:
            for key, row in zip(todo, backend.features(clips)):
                store[(bid, kind, k, key)] = np.asarray(row, dtype=np.float64)
    rows = [store.get((bid, kind, k, key)) for key in keys]
    got = [r for r in rows if r is not None]
    return (np.stack(got) if got else np.zeros((0, 0))), len(rows) - len(got)
