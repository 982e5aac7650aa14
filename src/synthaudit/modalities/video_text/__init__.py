"""Video-text data (survey section 6, video-text): the options of ``synthaudit audit video_text`` and the hooks.

A record is one video (a file decoded with PyAV, or a folder of frames) with its text, grounded segments,
object tracks, plan and temporal-grounding fields; see ``synthaudit.data.vision``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from synthaudit.modalities.base import Modality, ModalityInputs, TrackSpec, option
from synthaudit.modalities.registry import register_modality

_HERE = "synthaudit.modalities.video_text"


@dataclass(kw_only=True)
class VideoTextInputs(ModalityInputs):
    """Inputs of a video-text audit: a manifest (JSON Lines, CSV, Parquet, HF dataset) or a folder of videos."""

    modality = "video_text"

    synthetic: Any = option(None, "Generated videos: a manifest with a video field (a video file or a folder of "
                            "frames) and text fields, or a folder of videos / frame folders.", kind="data",
                            short="-s", role="synthetic")
    real: Any = option(None, "Real videos to compare with (vl_video.fvd, motion_score baseline).", kind="data",
                       short="-r", role="real_reference")
    video_field: str | None = option(None, "Field holding the video (default: video, video_path, videos, file_name, "
                                     "filepath, path, frames).")
    text_field: str | None = option(None, "Field holding the generated text (default: text, caption, response, "
                                    "output, generated_text, description).")
    schema: Any = option(None, "JSON Schema (JSON or YAML file) of the structured part of a record "
                         "(vl_video.schema_adherence_rate; default: synthaudit's video-text record schema).",
                         kind="config", role="schema")
    frames: int = option(16, "Frames sampled uniformly per video for the feature, quality and identity metrics.",
                         kind="int")
    watermark_key: str | None = option(None, "The embedded watermark bits (0/1 text, hex:..., or a file): enables "
                                       "the vl_video.watermark_* metrics.", role="watermark_key")
    watermark_method: str = option("dwtDctSvd", "The invisible-watermark method that embedded the key (dwtDct or "
                                   "dwtDctSvd).")


MODALITY = register_modality(Modality(
    name="video_text", title="Video-text", section="6.2",
    inputs=VideoTextInputs,
    summary="Audit video-text data (survey section 6): schema adherence, temporal grounding R@K(IoU), FVD-like "
            "distance labelled with its features, identity consistency, optical-flow motion, video IS-like, "
            "plan controllability, harmful-content rate, watermark robustness, payload and cost.",
    prepare=f"{_HERE}.prepare:prepare", metrics="synthaudit.metrics.video_text",
    model_options=("image_features", "clip", "video_features", "flow", "frame_quality", "lpips", "judge", "lm",
                   "base_url"),
    role_flags={"videos": "--synthetic (records with videos)", "prompts": "--synthetic (a prompt field)",
                "references": "--synthetic (an interval or reference_video field)",
                "rules": "--synthetic (a plan field)"},
    track=TrackSpec(metrics=("vl_video.fvd", "vl_video.motion_score")),
    report_figures=f"{_HERE}.report:figures",
    generate_command=f"{_HERE}.cli:generate_video_text",
    demo=f"{_HERE}.demo:section",
    docs="docs/vision_language.md",
))
