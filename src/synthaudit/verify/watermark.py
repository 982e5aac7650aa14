"""Invisible-watermark robustness for generated images and videos (survey section 6.3 trust; catalog
``vl_video.watermark_bit_acc`` = P_Rob, ``vl_video.watermark_payload`` = P_Load = L, ``vl_video.watermark_cost``
= P_Cost).

Embedding and decoding use invisible-watermark (``imwatermark``) on frames of at least 256 x 256 pixels, with its
``dwtDct`` and ``dwtDctSvd`` methods. ``rivaGan`` is left out: its ONNX encoder/decoder ship in the package, but
running them needs onnxruntime, which is not installed here, and it takes 32-bit payloads only. ``dwtDct`` is
fragile even without an attack on natural photos (the block's largest AC coefficient it quantises can move) and does
not survive JPEG; ``dwtDctSvd`` is the default.

Video: every frame carries the same payload; :func:`decode_video` decodes each frame and takes a per-bit majority
vote over frames (ties -> 0). :func:`bit_accuracy` is 1 - Hamming(w, w') / L; a failed decode (``None``: no frame
was decodable) counts as all L bits wrong. :data:`ATTACKS` holds the catalog's attack names as functions on a frame
list; :func:`watermark_cost` is the mean frame-wise distortion between unwatermarked and watermarked frames.
"""
from __future__ import annotations

import io
from typing import Callable, Sequence

import numpy as np

METHODS = ("dwtDct", "dwtDctSvd")
#: imwatermark refuses frames with fewer pixels than this (rows * cols)
MIN_PIXELS = 256 * 256
#: fallback when PyAV's ffmpeg has no libx264: MPEG-4 part 2 at this fixed quantiser (qscale, 1 best - 31 worst)
MPEG4_FALLBACK_QSCALE = 8


def _check_frame(rgb: np.ndarray, what: str = "rgb") -> np.ndarray:
    rgb = np.asarray(rgb)
    if rgb.ndim != 3 or rgb.shape[2] != 3:
        raise ValueError(f"{what} must be an RGB image of shape (height, width, 3), got shape {rgb.shape}")
    if rgb.dtype != np.uint8:
        raise ValueError(f"{what} must have dtype uint8, got {rgb.dtype}")
    return rgb


def _check_size(rgb: np.ndarray, n_bits: int, what: str = "rgb") -> None:
    h, w = rgb.shape[:2]
    if h * w < MIN_PIXELS:
        raise ValueError(f"{what} must have at least 256*256 pixels for imwatermark, got {h}x{w}")
    blocks = (h // 8) * (w // 8)  # one 4x4 block of the half-size DWT band per embedded bit copy
    if blocks < n_bits:
        raise ValueError(f"{what} of {h}x{w} holds {blocks} watermark blocks, fewer than the {n_bits} bits asked")


def _check_bits(bits: np.ndarray) -> np.ndarray:
    arr = np.asarray(bits)
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"bits must be a non-empty 1-D array of booleans or 0/1, got shape {arr.shape}")
    if arr.dtype != np.bool_:
        if not np.issubdtype(arr.dtype, np.number) or not np.all(np.isin(arr, (0, 1))):
            raise ValueError("bits must be booleans or 0/1 values")
        arr = arr.astype(bool)
    return arr


def _check_method(method: str) -> None:
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r} (rivaGan needs onnxruntime)")


def _check_n_bits(n_bits: int) -> int:
    if isinstance(n_bits, bool) or not isinstance(n_bits, (int, np.integer)) or n_bits < 1:
        raise ValueError(f"n_bits must be a positive integer, got {n_bits!r}")
    return int(n_bits)


def embed_image(rgb: np.ndarray, bits: np.ndarray, method: str = "dwtDctSvd") -> np.ndarray:
    """Embed ``bits`` (payload L = len(bits)) into an RGB uint8 image of at least 256x256; returns RGB uint8."""
    rgb = _check_frame(rgb)
    bits = _check_bits(bits)
    _check_method(method)
    _check_size(rgb, bits.size)
    from imwatermark import WatermarkEncoder

    enc = WatermarkEncoder()
    enc.set_watermark("bits", bits.astype(int).tolist())
    bgr = enc.encode(np.ascontiguousarray(rgb[..., ::-1]), method)
    return np.ascontiguousarray(np.asarray(bgr)[..., ::-1]).astype(np.uint8)


def decode_image(rgb: np.ndarray, n_bits: int, method: str = "dwtDctSvd") -> np.ndarray:
    """Decode ``n_bits`` watermark bits from an RGB uint8 image; returns a bool array of length ``n_bits``."""
    rgb = _check_frame(rgb)
    n_bits = _check_n_bits(n_bits)
    _check_method(method)
    _check_size(rgb, n_bits)
    from imwatermark import WatermarkDecoder

    dec = WatermarkDecoder("bits", n_bits)
    return np.asarray(dec.decode(np.ascontiguousarray(rgb[..., ::-1]), method), dtype=bool)


def _check_frames(frames: Sequence[np.ndarray], what: str = "frames") -> list[np.ndarray]:
    if isinstance(frames, np.ndarray) and frames.ndim == 4:
        frames = list(frames)
    if not isinstance(frames, (list, tuple)) or len(frames) == 0:
        raise ValueError(f"{what} must be a non-empty list of RGB uint8 frames (or an array of shape (T, H, W, 3))")
    out = [_check_frame(f, f"{what}[{i}]") for i, f in enumerate(frames)]
    if len({f.shape for f in out}) > 1:
        raise ValueError(f"{what} must all have the same shape, got {sorted({f.shape for f in out})}")
    return out


def embed_video(frames: Sequence[np.ndarray], bits: np.ndarray, method: str = "dwtDctSvd") -> list[np.ndarray]:
    """Embed the same ``bits`` into every frame."""
    return [embed_image(f, bits, method) for f in _check_frames(frames)]


def decode_video(frames: Sequence[np.ndarray], n_bits: int, method: str = "dwtDctSvd") -> np.ndarray | None:
    """Per-bit majority vote over the frames' decodes (a tie gives 0). Frames smaller than 256x256 (or too small
    for ``n_bits``) are skipped; ``None`` when no frame is decodable (a failed decode)."""
    frames = _check_frames(frames)
    n_bits = _check_n_bits(n_bits)
    _check_method(method)
    decoded = []
    for f in frames:
        try:
            _check_size(f, n_bits)
        except ValueError:
            continue
        decoded.append(decode_image(f, n_bits, method))
    if not decoded:
        return None
    ones = np.sum(decoded, axis=0)
    return 2 * ones > len(decoded)


def bit_accuracy(bits: np.ndarray, decoded: np.ndarray | None) -> float:
    """P_Rob = 1 - Hamming(bits, decoded) / L (catalog ``vl_video.watermark_bit_acc``); ``decoded`` None (failed
    decode) counts as all bits wrong, i.e. 0.0. 0.5 is chance for random bits."""
    bits = _check_bits(bits)
    if decoded is None:
        return 0.0
    decoded = _check_bits(decoded)
    if decoded.shape != bits.shape:
        raise ValueError(f"decoded must have the payload's length {bits.size}, got {decoded.size}")
    return float(1.0 - np.count_nonzero(bits != decoded) / bits.size)


# ---------------------------------------------------------------------------------------------------- attacks
def _pil(frame: np.ndarray):
    from PIL import Image

    return Image.fromarray(frame)


def _jpeg(quality: int) -> Callable[[list[np.ndarray], int], list[np.ndarray]]:
    def run(frames: list[np.ndarray], seed: int = 0) -> list[np.ndarray]:
        from PIL import Image

        out = []
        for f in frames:
            buf = io.BytesIO()
            _pil(f).save(buf, "JPEG", quality=quality)
            out.append(np.asarray(Image.open(buf).convert("RGB")))
        return out

    run.__doc__ = f"Per-frame JPEG (Pillow) at quality {quality}."
    return run


def _center_crop(frames: list[np.ndarray], seed: int = 0) -> list[np.ndarray]:
    """Keep the centre half of each side (a quarter of the area), then resize back to the original size (bicubic):
    imwatermark needs >= 256x256 and a fixed block grid, so the frame size is restored as a re-upload would."""
    from PIL import Image

    out = []
    for f in frames:
        h, w = f.shape[:2]
        top, left = (h - h // 2) // 2, (w - w // 2) // 2
        crop = f[top:top + h // 2, left:left + w // 2]
        out.append(np.asarray(_pil(np.ascontiguousarray(crop)).resize((w, h), Image.BICUBIC)))
    return out


def _resize_half(frames: list[np.ndarray], seed: int = 0) -> list[np.ndarray]:
    """Downscale each side by 0.5 then back up to the original size (Pillow bicubic both ways)."""
    from PIL import Image

    out = []
    for f in frames:
        h, w = f.shape[:2]
        small = _pil(f).resize((max(1, w // 2), max(1, h // 2)), Image.BICUBIC)
        out.append(np.asarray(small.resize((w, h), Image.BICUBIC)))
    return out


def _noise(frames: list[np.ndarray], seed: int = 0) -> list[np.ndarray]:
    """Additive Gaussian noise, sigma = 0.02 * 255, seeded, rounded and clipped to uint8."""
    rng = np.random.default_rng(seed)
    return [np.clip(np.rint(f + rng.normal(0.0, 0.02 * 255, f.shape)), 0, 255).astype(np.uint8) for f in frames]


def _frame_drop(frames: list[np.ndarray], seed: int = 0) -> list[np.ndarray]:
    """Drop every other frame (keep frames 0, 2, 4, ...)."""
    return list(frames[::2])


def reencode(frames: list[np.ndarray], codec: str = "libx264", options: dict[str, str] | None = None,
             fps: int = 24) -> list[np.ndarray]:
    """Encode ``frames`` with PyAV (yuv420p, in memory, mp4) and decode them back to RGB uint8. Odd sides are padded
    by edge replication for 4:2:0 and cropped back after decoding."""
    import av

    frames = _check_frames(frames)
    h, w = frames[0].shape[:2]
    ph, pw = h + h % 2, w + w % 2
    buf = io.BytesIO()
    with av.open(buf, "w", format="mp4") as container:
        stream = container.add_stream(codec, rate=fps)
        stream.width, stream.height, stream.pix_fmt = pw, ph, "yuv420p"
        if codec == "mpeg4":
            stream.codec_context.qscale = MPEG4_FALLBACK_QSCALE
        stream.options = dict(options or {})
        for f in frames:
            padded = np.pad(f, ((0, ph - h), (0, pw - w), (0, 0)), mode="edge")
            for packet in stream.encode(av.VideoFrame.from_ndarray(np.ascontiguousarray(padded), format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    buf.seek(0)
    with av.open(buf, "r") as container:
        out = [fr.to_ndarray(format="rgb24")[:h, :w] for fr in container.decode(video=0)]
    if len(out) != len(frames):
        raise RuntimeError(f"{codec} round trip returned {len(out)} frames for {len(frames)}")
    return out


def h264_codec() -> tuple[str, dict[str, str]]:
    """The codec used by ``h264_crf28``: libx264 with crf 28 when PyAV's ffmpeg has it, else MPEG-4 part 2 at
    qscale :data:`MPEG4_FALLBACK_QSCALE` (named ``mpeg4``)."""
    import av

    if "libx264" in av.codecs_available:
        return "libx264", {"crf": "28", "preset": "medium"}
    return "mpeg4", {}


def _h264(frames: list[np.ndarray], seed: int = 0) -> list[np.ndarray]:
    """Re-encode with PyAV libx264 crf 28 yuv420p and decode back (fallback: mpeg4, see :func:`h264_codec`)."""
    codec, options = h264_codec()
    return reencode(frames, codec, options)


def _none(frames: list[np.ndarray], seed: int = 0) -> list[np.ndarray]:
    """No attack (copies)."""
    return [f.copy() for f in frames]


#: attack name -> function(frames, seed) -> frames; names follow ``vl_video.watermark_bit_acc`` params
ATTACKS: dict[str, Callable[[list[np.ndarray], int], list[np.ndarray]]] = {
    "none": _none,
    "jpeg_q90": _jpeg(90),
    "jpeg_q50": _jpeg(50),
    "center_crop_0.5": _center_crop,
    "resize_0.5": _resize_half,
    "gaussian_noise_0.02": _noise,
    "h264_crf28": _h264,
    "frame_drop": _frame_drop,
}


def attack(frames: Sequence[np.ndarray], name: str, seed: int = 0) -> list[np.ndarray]:
    """Apply the attack ``name`` from :data:`ATTACKS` to a list of RGB uint8 frames."""
    if name not in ATTACKS:
        raise ValueError(f"unknown attack {name!r}; expected one of {sorted(ATTACKS)}")
    return ATTACKS[name](_check_frames(frames), seed)


# ------------------------------------------------------------------------------------------------------- cost
def _distortion_fn(distortion: str | Callable[[np.ndarray, np.ndarray], float]
                   ) -> Callable[[np.ndarray, np.ndarray], float]:
    if callable(distortion):
        return distortion
    if distortion in ("psnr", "ssim"):
        from synthaudit.stats import image_quality

        fn = getattr(image_quality, distortion)
        return lambda a, b: fn(a, b, data_range=255)
    raise ValueError(f"distortion must be 'psnr', 'ssim' or a callable(original, watermarked) -> float, "
                     f"got {distortion!r}")


def watermark_cost(original_frames: Sequence[np.ndarray], watermarked_frames: Sequence[np.ndarray],
                   distortion: str | Callable[[np.ndarray, np.ndarray], float] = "psnr") -> float:
    """P_Cost (catalog ``vl_video.watermark_cost``): mean over frames of ``distortion(original, watermarked)``.
    ``psnr`` (dB, inf for identical frames; higher = less visible) and ``ssim`` (Gaussian window, 1 = identical) come
    from :mod:`synthaudit.stats.image_quality` (data range 255); LPIPS, the catalog default, needs torchvision, which
    cannot be imported here. State the measure with the number."""
    orig = _check_frames(original_frames, "original_frames")
    wm = _check_frames(watermarked_frames, "watermarked_frames")
    if len(orig) != len(wm) or orig[0].shape != wm[0].shape:
        raise ValueError(f"original_frames and watermarked_frames must match: {len(orig)} x {orig[0].shape} vs "
                         f"{len(wm)} x {wm[0].shape}")
    fn = _distortion_fn(distortion)
    return float(np.mean([float(fn(a, b)) for a, b in zip(orig, wm)]))
