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
    cached by media key; and how many videos were skipped."""
    store = inputs.features.get("video:rows", dict)
    backend = models.get("video_features")
    k = n_frames(inputs)
    rows, skipped = [], 0
    for src, key in zip(sources(batch), batch[KEY_COL].tolist()):
        tag = (id(backend), kind, k, key)
        if tag not in store:
            clip = clip_of(inputs, src, key)
            if clip is None:
                store[tag] = None
            else:
                # the offline descriptor reads --frames uniformly sampled frames; I3D-style models their own clip
                frames = clip.sampled(k) if getattr(backend, "variant", "") == "offline-frame-features" else clip.frames
                if hasattr(backend, "embed"):
                    feats, probs = backend.embed([frames])
                    store[(id(backend), "video_features", k, key)] = np.asarray(feats[0], dtype=np.float64)
                    store[(id(backend), "video_probs", k, key)] = (None if probs is None else
                                                                   np.asarray(probs[0], dtype=np.float64))
                elif kind == "video_probs":
                    raise ValueError(f"the video backend {getattr(backend, 'name', backend)} gives no class "
                                     "posteriors (vl_video.d_sem needs a video classifier)")
                else:
                    store[tag] = np.asarray(backend.features([frames])[0], dtype=np.float64)
        if store[tag] is None:
            skipped += 1
        else:
            rows.append(store[tag])
    return (np.stack(rows) if rows else np.zeros((0, 0))), skipped
