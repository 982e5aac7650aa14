"""TorchScript loaders for the published vision metric networks, by file path (survey section 6.2; catalog
vl_image.fid, vl_video.fvd, vl_video.motion_score, vl_video.video_quality). None ships offline: users point at
the standard files, and each loader feeds them the input their authors documented.

* TorchScriptImageFeatures - clean-fid / StyleGAN2 ``inception-2015-12-05.pt``: ``model(x, return_features=True)``
  -> N x 2048, x float N x 3 x 299 x 299 in 0..255.
* TorchScriptVideoFeatures - StyleGAN-V ``i3d_torchscript.pt``: ``model(x, rescale=False, resize=False,
  return_features=True)``, x N x 3 x T x 224 x 224 in [-1, 1].
* TorchScriptFlow - an exported RAFT: ``model(img1, img2)``, N x 3 x H x W in [-1, 1] -> flow N x 2 x H x W (or a
  list whose last item is the final flow).
* TorchScriptLPIPS - an exported LPIPS: ``model(x, y)``, inputs in [-1, 1] -> N x 1 x 1 x 1.
* TorchScriptFrameQuality - any per-frame quality model: ``model(x)`` -> N (or N x 1) scores in [0, 1].

Frames are resized with Pillow (bicubic for Inception, as clean-fid's "clean" mode; bilinear elsewhere; both
antialiased), aspect ratio not kept. Every loader records the file's name and SHA-256 prefix in ``name``.
"""
from __future__ import annotations

import hashlib
import os
import warnings
from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np

from synthaudit.models._hf import device, pinned
from synthaudit.models.vision import RESAMPLE, as_image, check_video, prefetch, resize_rgb, uniform_indices

VALUE_RANGES = ("0-255", "0-1", "-1-1")


def scale(x: np.ndarray, value_range: str) -> np.ndarray:
    """uint8 pixels to float32 in ``value_range``: '0-255' (x), '0-1' (x / 255) or '-1-1' (x / 127.5 - 1)."""
    x = x.astype(np.float32)
    if value_range == "0-255":
        return x
    if value_range == "0-1":
        return x / np.float32(255.0)
    if value_range == "-1-1":
        return x / np.float32(127.5) - np.float32(1.0)
    raise ValueError(f"value_range must be one of {VALUE_RANGES}, got {value_range!r}")


def _size(size: int | Sequence[int]) -> tuple[int, int]:
    h, w = (size, size) if isinstance(size, (int, np.integer)) else tuple(int(s) for s in size)
    if h < 1 or w < 1:
        raise ValueError(f"size must be positive (height, width), got {size}")
    return int(h), int(w)


class _TorchScript:
    """Loads a TorchScript file on CPU (or the GPU device() picks) and names it with its SHA-256 prefix."""

    def __init__(self, path: str | os.PathLike, what: str) -> None:
        import torch

        from synthaudit.errors import InputError

        p = Path(path)
        if not p.is_file():
            raise InputError(f"{what}: TorchScript file not found", file=str(p))
        self._device = device()
        try:
            with warnings.catch_warnings():  # torch 2.10+ deprecates TorchScript; the published files are TorchScript
                warnings.filterwarnings("ignore", message=".*torch.jit.load.*", category=DeprecationWarning)
                self.model = torch.jit.load(str(p), map_location=self._device).eval()
        except (RuntimeError, ValueError) as exc:
            raise InputError(f"{what}: not a loadable TorchScript file ({str(exc).splitlines()[0]})",
                             file=str(p)) from exc
        digest = hashlib.sha256()
        with p.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
        self.path, self.sha256 = p, digest.hexdigest()[:16]
        self.file = f"{p.name}, sha256 {self.sha256}"

    def _frame(self, image: Any, size: tuple[int, int], resample: str, value_range: str, where: str) -> np.ndarray:
        """One H x W x 3 uint8 image -> 3 x h x w float32 in ``value_range``."""
        img = resize_rgb(as_image(image, where), size, resample)
        return np.ascontiguousarray(scale(img, value_range).transpose(2, 0, 1))


class TorchScriptImageFeatures(_TorchScript):
    """Image features from a TorchScript network; defaults follow clean-fid / StyleGAN2's Inception-v3
    (``inception-2015-12-05.pt``): float N x 3 x 299 x 299 in 0..255, ``model(x, return_features=True)`` -> 2048-d
    pool features. Resize: Pillow bicubic (clean-fid's "clean" mode)."""

    variant = "torchscript-image-features"

    def __init__(self, path: str | os.PathLike, size: int | Sequence[int] = 299, value_range: str = "0-255",
                 resample: str = "bicubic", batch_size: int = 32) -> None:
        super().__init__(path, "image features")
        if value_range not in VALUE_RANGES or resample not in RESAMPLE:
            raise ValueError(f"value_range must be one of {VALUE_RANGES} and resample one of {RESAMPLE}, "
                             f"got {value_range!r}, {resample!r}")
        self.size, self.value_range, self.resample, self.batch_size = _size(size), value_range, resample, batch_size
        self.preprocessing = {"size": list(self.size), "resize": f"PIL {resample} (antialiased)",
                              "value_range": value_range, "layout": "NCHW float32",
                              "call": "model(x, return_features=True)"}
        self.name = (f"TorchScript image features ({self.file}), model(x, return_features=True), resize "
                     f"{self.size[0]}x{self.size[1]} PIL {resample}, values {value_range}")

    @pinned
    def _run(self, x: np.ndarray) -> np.ndarray:
        import torch

        with torch.inference_mode():
            out = self.model(torch.from_numpy(x).to(self._device), return_features=True)
        return out.double().reshape(out.shape[0], -1).cpu().numpy()

    def features(self, images: Iterable[Any], batch_size: int | None = None) -> np.ndarray:
        """(n, d) float64 features, in input order (resizing in a background thread)."""
        from synthaudit.models.vision import batches

        prep = lambda img, i: self._frame(img, self.size, self.resample, self.value_range, f"image {i}")  # noqa: E731
        out = [self._run(x) for x in prefetch(batches(images, prep, int(batch_size or self.batch_size)), 2)]
        return np.concatenate(out) if out else np.zeros((0, 0))


class TorchScriptVideoFeatures(_TorchScript):
    """Video features from a TorchScript network; defaults follow StyleGAN-V's ``i3d_torchscript.pt``: input
    N x 3 x T x 224 x 224 in [-1, 1], ``model(x, rescale=False, resize=False, return_features=True)``. Each video
    gives ``frames`` frames: the first ``frames`` consecutive ones (``sampling="consecutive"``, StyleGAN-V's
    16-frame clips) or ``frames`` spread uniformly (``"uniform"``); shorter videos raise ValueError."""

    variant = "torchscript-video-features"

    def __init__(self, path: str | os.PathLike, frames: int = 16, size: int | Sequence[int] = 224,
                 sampling: str = "consecutive", resample: str = "bilinear", batch_size: int = 4) -> None:
        super().__init__(path, "video features")
        if sampling not in ("consecutive", "uniform"):
            raise ValueError(f"sampling must be 'consecutive' or 'uniform', got {sampling!r}")
        if int(frames) < 1:
            raise ValueError(f"frames must be >= 1, got {frames}")
        self.frames, self.size, self.sampling = int(frames), _size(size), sampling
        self.resample, self.batch_size = resample, int(batch_size)
        self.preprocessing = {"frames": self.frames, "sampling": sampling, "size": list(self.size),
                              "resize": f"PIL {resample} (antialiased)", "value_range": "-1-1",
                              "layout": "N x 3 x T x H x W float32",
                              "call": "model(x, rescale=False, resize=False, return_features=True)"}
        self.name = (f"TorchScript video features ({self.file}), {self.frames} {sampling} frames, resize "
                     f"{self.size[0]}x{self.size[1]} PIL {resample}, values [-1, 1], return_features=True")

    def clip(self, video: Any, index: int = 0) -> np.ndarray:
        """The 3 x T x H x W float32 input of one video."""
        frames = check_video(video, f"video {index}")
        if len(frames) < self.frames:
            raise ValueError(f"video {index}: has {len(frames)} frames, the clip needs {self.frames}")
        idx = range(self.frames) if self.sampling == "consecutive" else uniform_indices(len(frames), self.frames)
        x = np.stack([self._frame(frames[t], self.size, self.resample, "-1-1", f"video {index}") for t in idx])
        return np.ascontiguousarray(x.transpose(1, 0, 2, 3))

    @pinned
    def _run(self, x: np.ndarray) -> np.ndarray:
        import torch

        with torch.inference_mode():
            out = self.model(torch.from_numpy(x).to(self._device), rescale=False, resize=False, return_features=True)
        return out.double().reshape(out.shape[0], -1).cpu().numpy()

    def features(self, videos: Iterable[Any], batch_size: int | None = None) -> np.ndarray:
        from synthaudit.models.vision import batches

        out = [self._run(x) for x in prefetch(batches(videos, self.clip, int(batch_size or self.batch_size)), 2)]
        return np.concatenate(out) if out else np.zeros((0, 0))


class TorchScriptFlow(_TorchScript):
    """Optical flow from a TorchScript RAFT export: ``model(img1, img2)`` with N x 3 x H x W in [-1, 1] (frames
    resized to ``size`` = (height, width), Pillow bilinear), returning the flow N x 2 x H x W in pixels of the
    resized frame, or a list of refinements whose last item is the final flow."""

    variant = "torchscript-flow"

    def __init__(self, path: str | os.PathLike, size: int | Sequence[int] = (256, 256), resample: str = "bilinear",
                 batch_size: int = 8) -> None:
        super().__init__(path, "optical flow")
        self.size, self.resample, self.batch_size = _size(size), resample, int(batch_size)
        self.preprocessing = {"size": list(self.size), "resize": f"PIL {resample} (antialiased)",
                              "value_range": "-1-1", "layout": "NCHW float32", "call": "model(img1, img2)"}
        self.name = (f"TorchScript optical flow ({self.file}), model(img1, img2), resize {self.size[0]}x{self.size[1]} "
                     f"PIL {resample}, values [-1, 1]")

    @pinned
    def _run(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        import torch

        with torch.inference_mode():
            out = self.model(torch.from_numpy(a).to(self._device), torch.from_numpy(b).to(self._device))
        if isinstance(out, (list, tuple)):
            if not out:
                raise ValueError(f"{self.name}: the model returned an empty list")
            out = out[-1]
        want = (a.shape[0], 2, *self.size)
        if tuple(out.shape) != want:
            raise ValueError(f"{self.name}: expected a flow of shape {want} (N x 2 x H x W), got {tuple(out.shape)}")
        return out.double().cpu().numpy().transpose(0, 2, 3, 1)

    def flows(self, frames: Any) -> np.ndarray:
        """(T-1, H, W, 2) flow (dx, dy) between consecutive frames of one video, at ``size``."""
        frames = check_video(frames, "video")
        prepared = [self._frame(f, self.size, self.resample, "-1-1", f"frame {t}") for t, f in enumerate(frames)]
        out = []
        for start in range(0, len(prepared) - 1, self.batch_size):
            stop = min(start + self.batch_size, len(prepared) - 1)
            out.append(self._run(np.stack(prepared[start:stop]), np.stack(prepared[start + 1:stop + 1])))
        return np.concatenate(out) if out else np.zeros((0, *self.size, 2))

    def flow(self, frame_a: np.ndarray, frame_b: np.ndarray) -> np.ndarray:
        """(H, W, 2) flow from ``frame_a`` to ``frame_b`` at ``size``."""
        return self.flows([frame_a, frame_b])[0]


class TorchScriptLPIPS(_TorchScript):
    """LPIPS distances from a TorchScript export: ``model(x, y)`` with N x 3 x H x W in [-1, 1] -> N x 1 x 1 x 1.
    With ``size`` None the pairs are used at their own resolution (each pair must match in shape); otherwise both
    images are resized to ``size`` (Pillow bilinear)."""

    variant = "torchscript-lpips"

    def __init__(self, path: str | os.PathLike, size: int | Sequence[int] | None = None,
                 resample: str = "bilinear", batch_size: int = 16) -> None:
        super().__init__(path, "LPIPS")
        self.size = None if size is None else _size(size)
        self.resample, self.batch_size = resample, int(batch_size)
        res = "native resolution" if self.size is None else f"resize {self.size[0]}x{self.size[1]} PIL {resample}"
        self.preprocessing = {"size": None if self.size is None else list(self.size), "value_range": "-1-1",
                              "resize": res, "layout": "NCHW float32", "call": "model(x, y)"}
        self.name = f"TorchScript LPIPS ({self.file}), model(x, y), {res}, values [-1, 1]"

    @pinned
    def _run(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        import torch

        with torch.inference_mode():
            out = self.model(torch.from_numpy(a).to(self._device), torch.from_numpy(b).to(self._device))
        if out.numel() != a.shape[0]:
            raise ValueError(f"{self.name}: expected one distance per pair (N x 1 x 1 x 1), got {tuple(out.shape)}")
        return out.double().reshape(-1).cpu().numpy()

    def distance(self, images_a: Sequence[Any], images_b: Sequence[Any]) -> np.ndarray:
        """(n,) distances between image i of ``images_a`` and image i of ``images_b``."""
        images_a, images_b = list(images_a), list(images_b)
        if len(images_a) != len(images_b):
            raise ValueError(f"LPIPS pairs image i with image i: got {len(images_a)} and {len(images_b)} images")
        out: list[np.ndarray] = []
        buf_a: list[np.ndarray] = []
        buf_b: list[np.ndarray] = []
        for i, (a, b) in enumerate(zip(images_a, images_b)):
            a, b = as_image(a, f"image {i} (first)"), as_image(b, f"image {i} (second)")
            size = self.size or a.shape[:2]
            if self.size is None and a.shape != b.shape:
                raise ValueError(f"pair {i}: shapes differ ({a.shape} vs {b.shape}); pass size= to resize both")
            fa = self._frame(a, size, self.resample, "-1-1", f"image {i}")
            fb = self._frame(b, size, self.resample, "-1-1", f"image {i}")
            if buf_a and (fa.shape != buf_a[0].shape or len(buf_a) == self.batch_size):
                out.append(self._run(np.stack(buf_a), np.stack(buf_b)))
                buf_a, buf_b = [], []
            buf_a.append(fa)
            buf_b.append(fb)
        if buf_a:
            out.append(self._run(np.stack(buf_a), np.stack(buf_b)))
        return np.concatenate(out) if out else np.zeros(0)


class TorchScriptFrameQuality(_TorchScript):
    """Per-frame quality Psi in [0, 1] from a TorchScript model ``model(x)`` -> N or N x 1 (vl_video.video_quality;
    one model per quality dimension, e.g. ``dimension="imaging_quality"``, reported separately). Input: frames
    resized to ``size`` (Pillow bilinear), N x 3 x H x W in ``value_range``, optionally normalised with
    ``mean`` / ``std`` (per channel, after scaling). Scores outside [0, 1] or NaN raise ValueError."""

    variant = "torchscript-frame-quality"

    def __init__(self, path: str | os.PathLike, size: int | Sequence[int] = 224, value_range: str = "0-1",
                 mean: Sequence[float] | None = None, std: Sequence[float] | None = None,
                 dimension: str = "quality", resample: str = "bilinear", batch_size: int = 32) -> None:
        super().__init__(path, "frame quality")
        if value_range not in VALUE_RANGES:
            raise ValueError(f"value_range must be one of {VALUE_RANGES}, got {value_range!r}")
        self.size, self.value_range, self.resample, self.batch_size = _size(size), value_range, resample, batch_size
        self.dimension = dimension
        self._mean = None if mean is None else np.asarray(mean, np.float32).reshape(3, 1, 1)
        self._std = None if std is None else np.asarray(std, np.float32).reshape(3, 1, 1)
        self.preprocessing = {"size": list(self.size), "resize": f"PIL {resample} (antialiased)",
                              "value_range": value_range, "mean": None if mean is None else list(mean),
                              "std": None if std is None else list(std), "layout": "NCHW float32",
                              "call": "model(x)"}
        self.name = (f"TorchScript frame quality '{dimension}' ({self.file}), model(x) in [0, 1], resize "
                     f"{self.size[0]}x{self.size[1]} PIL {resample}, values {value_range}"
                     + ("" if mean is None else ", mean/std normalised"))

    def _prep(self, image: Any, i: int) -> np.ndarray:
        x = self._frame(image, self.size, self.resample, self.value_range, f"frame {i}")
        if self._mean is not None:
            x = x - self._mean
        if self._std is not None:
            x = x / self._std
        return x.astype(np.float32)

    @pinned
    def _run(self, x: np.ndarray) -> np.ndarray:
        import torch

        with torch.inference_mode():
            out = self.model(torch.from_numpy(x).to(self._device))
        if out.numel() != x.shape[0]:
            raise ValueError(f"{self.name}: expected one score per frame (N or N x 1), got {tuple(out.shape)}")
        s = out.double().reshape(-1).cpu().numpy()
        if not np.all((s >= 0) & (s <= 1)):
            raise ValueError(f"{self.name}: scores must lie in [0, 1], got {s[~((s >= 0) & (s <= 1))][:5]}")
        return s

    def frame_scores(self, frames: Iterable[Any]) -> np.ndarray:
        """(T,) per-frame scores."""
        from synthaudit.models.vision import batches

        out = [self._run(x) for x in prefetch(batches(frames, self._prep, int(self.batch_size)), 2)]
        return np.concatenate(out) if out else np.zeros(0)

    def video_quality(self, videos: Iterable[Any]) -> np.ndarray:
        """(n,) F_VQ per video: the mean of its frames' scores."""
        return np.asarray([self.frame_scores(check_video(v, f"video {i}")).mean() for i, v in enumerate(videos)],
                          dtype=np.float64)
