"""Load and check the records of an image-text audit."""
from __future__ import annotations

from typing import Any

from synthaudit.data.inputs import AuditInputs
from synthaudit.data.vision_prepare import prepare_vision
from synthaudit.modalities.base import LoadOptions
from synthaudit.modalities.image_text import ImageTextInputs


def prepare(opts: ImageTextInputs, load: LoadOptions, seed: int, params: dict[str, Any]) -> AuditInputs:
    return prepare_vision(modality="image_text", kind="image", synthetic=opts.synthetic, real=opts.real,
                          media_field=opts.image_field, text_field=opts.text_field, schema=opts.schema, seed=seed,
                          params=params, fmt=load.fmt, encoding=load.encoding, stream=load.stream,
                          extra={"trust_anchors": opts.trust_anchors})
