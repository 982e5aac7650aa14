"""Optical flow and the motion score (survey section 6.2; catalog vl_video.motion_score).

motion_score = (1/(T-1)) * sum_t (1/|Omega|) * sum_x ||f_{t->t+1}(x)||_2, the mean per-pixel flow magnitude
between consecutive frames, in pixels per frame of the frames resized to ``size`` (flow scales with resolution,
so the size is fixed and recorded). The catalog's default flow model is RAFT (load an export with
:class:`synthaudit.models.vision_torchscript.TorchScriptFlow`); the offline default is OpenCV's Farneback flow
with the fixed parameters in :data:`FARNEBACK_PARAMS`, named as such.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from synthaudit.models.vision import check_image, check_video

#: cv2.calcOpticalFlowFarneback parameters (OpenCV's documented example values), fixed so scores are comparable
FARNEBACK_PARAMS = {"pyr_scale": 0.5, "levels": 3, "winsize": 15, "iterations": 3, "poly_n": 5, "poly_sigma": 1.2,
                    "flags": 0}
FARNEBACK_NAME = ("OpenCV Farneback flow (pyr_scale 0.5, levels 3, winsize 15, iterations 3, poly_n 5, "
                  "poly_sigma 1.2), grey = cv2.COLOR_RGB2GRAY (0.299 R + 0.587 G + 0.114 B), frames resized with "
                  "cv2.INTER_AREA")


def _grey(frame: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    import cv2

    h, w = size
    if frame.shape[:2] != (h, w):
        frame = cv2.resize(frame, (w, h), interpolation=cv2.INTER_AREA)
    return cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)


def _size(size: int | Sequence[int]) -> tuple[int, int]:
    h, w = (size, size) if isinstance(size, (int, np.integer)) else tuple(int(s) for s in size)
    if h < 8 or w < 8:
        raise ValueError(f"size must be (height, width) of at least 8 x 8 pixels, got {size}")
    return int(h), int(w)


def farneback_flow(frame_a: np.ndarray, frame_b: np.ndarray, size: int | Sequence[int] = (256, 256)) -> np.ndarray:
    """(H, W, 2) float32 flow (dx, dy) from ``frame_a`` to ``frame_b`` (uint8 RGB H x W x 3), both resized to
    ``size`` = (height, width) with cv2.INTER_AREA and converted to grey (cv2.COLOR_RGB2GRAY) first."""
    import cv2

    a, b = check_image(frame_a, "frame_a"), check_image(frame_b, "frame_b")
    if a.shape != b.shape:
        raise ValueError(f"frames differ in shape: {a.shape} vs {b.shape}")
    hw = _size(size)
    p = FARNEBACK_PARAMS
    return cv2.calcOpticalFlowFarneback(_grey(a, hw), _grey(b, hw), None, p["pyr_scale"], p["levels"], p["winsize"],
                                        p["iterations"], p["poly_n"], p["poly_sigma"], p["flags"])


def flows(frames: Any, backend: Any = "farneback", size: int | Sequence[int] = (256, 256)) -> np.ndarray:
    """(T-1, H, W, 2) flows between consecutive frames with ``backend`` ("farneback" or an object with
    ``flows(frames)``, e.g. TorchScriptFlow, which resizes to its own ``size``)."""
    frames = check_video(frames, "video")
    if len(frames) < 2:
        raise ValueError(f"motion needs at least 2 frames, got {len(frames)}")
    if isinstance(backend, str):
        if backend != "farneback":
            raise ValueError(f"backend must be 'farneback' or a flow model with flows(frames), got {backend!r}")
        return np.stack([farneback_flow(a, b, size) for a, b in zip(frames[:-1], frames[1:])])
    if not hasattr(backend, "flows"):
        raise ValueError(f"backend must be 'farneback' or a flow model with flows(frames), got {type(backend)}")
    return np.asarray(backend.flows(frames))


def motion_score(frames: Any, backend: Any = "farneback", size: int | Sequence[int] = (256, 256)) -> float:
    """vl_video.motion_score of one video: the mean over consecutive pairs of the mean per-pixel flow magnitude
    ||f(x)||_2, in pixels per frame at ``size`` (a TorchScriptFlow backend uses its own size)."""
    f = flows(frames, backend, size).astype(np.float64)
    return float(np.mean(np.sqrt(f[..., 0] ** 2 + f[..., 1] ** 2)))


def backend_name(backend: Any = "farneback") -> str:
    """The recorded name of a motion-score flow backend."""
    return FARNEBACK_NAME if isinstance(backend, str) else str(getattr(backend, "name", type(backend).__name__))
