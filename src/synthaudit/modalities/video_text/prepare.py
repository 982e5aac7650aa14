"""Load and check the records of a video-text audit."""
from __future__ import annotations

from typing import Any

from synthaudit.data.inputs import AuditInputs
from synthaudit.data.vision_prepare import prepare_vision, read_bits
from synthaudit.errors import UsageError
from synthaudit.modalities.base import LoadOptions
from synthaudit.modalities.video_text import VideoTextInputs

WATERMARK_METHODS = ("dwtDct", "dwtDctSvd")


def prepare(opts: VideoTextInputs, load: LoadOptions, seed: int, params: dict[str, Any]) -> AuditInputs:
    if opts.frames < 2:
        raise UsageError(f"--frames must be at least 2, got {opts.frames}", field="--frames")
    if opts.watermark_method not in WATERMARK_METHODS:
        raise UsageError(f"--watermark-method {opts.watermark_method!r}; expected one of "
                         f"{', '.join(WATERMARK_METHODS)}", field="--watermark-method")
    bits = read_bits(opts.watermark_key)
    return prepare_vision(modality="video_text", kind="video", synthetic=opts.synthetic, real=opts.real,
                          media_field=opts.video_field, text_field=opts.text_field, schema=opts.schema, seed=seed,
                          params=params, fmt=load.fmt, encoding=load.encoding, stream=load.stream,
                          extra={"frames": opts.frames, "watermark_key": bits,
                                 "watermark_method": opts.watermark_method})
