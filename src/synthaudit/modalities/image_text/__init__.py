"""Image-text data (survey section 6, image-text): the options of ``synthaudit audit image_text`` and the hooks.

A record is one sample: an image (or an interleaved image-text sequence) with its text fields; see
``synthaudit.data.vision`` for the manifests and folders read.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from synthaudit.modalities.base import Modality, ModalityInputs, TrackSpec, option
from synthaudit.modalities.registry import register_modality

_HERE = "synthaudit.modalities.image_text"

JUDGE_MODELS = ("judge", "lm", "base_url")


@dataclass(kw_only=True)
class ImageTextInputs(ModalityInputs):
    """Inputs of an image-text audit: a manifest (JSON Lines, CSV, Parquet, HF dataset) or an image folder."""

    modality = "image_text"

    synthetic: Any = option(None, "Generated samples: a manifest (JSONL/CSV/Parquet/HF dataset) with an image field "
                            "(path, bytes or data: URI) and text fields, or a folder of images (captions in "
                            "<name>.txt).", kind="data", short="-s", role="synthetic")
    real: Any = option(None, "Real images to compare with (vl_image.fid): a manifest or an image folder.",
                       kind="data", short="-r", role="real_reference")
    image_field: str | None = option(None, "Field holding the image (default: image, image_path, images, file_name, "
                                     "filepath, path).")
    text_field: str | None = option(None, "Field holding the generated text (default: text, caption, response, "
                                    "output, generated_text, description).")
    schema: Any = option(None, "JSON Schema (JSON or YAML file) every record must follow (vl_image.wfr; default: "
                         "synthaudit's image-text record schema).", kind="config", role="schema")
    trust_anchors: str | None = option(None, "PEM file of C2PA trust anchors: signers chained to one count as "
                                       "trusted (vl_image.rate_validate with min_state=trusted).", kind="file")


MODALITY = register_modality(Modality(
    name="image_text", title="Image-text", section="6.2",
    inputs=ImageTextInputs,
    summary="Audit image-text data (survey section 6): record schema, CLIP alignment (when a CLIP model is named), "
            "FID-like and IS-like scores labelled with their feature extractor, SSIM/PSNR, CHAIR hallucination, "
            "ROUGE/METEOR, VQA accuracy, win rate, refusal and attack-success rates, C2PA provenance.",
    prepare=f"{_HERE}.prepare:prepare", metrics="synthaudit.metrics.image_text",
    model_options=("image_features", "clip") + JUDGE_MODELS,
    role_flags={"images": "--synthetic (records with images)", "prompts": "--synthetic (a prompt field)",
                "references": "--synthetic (a reference or reference_image field)",
                "labels": "--synthetic (an objects field)", "gold_answers": "--synthetic (an answer field)",
                "human_scores": "--synthetic (an outcome field: win/tie/loss)"},
    track=TrackSpec(metrics=("vl_image.fid", "vl_image.inception_score")),
    report_figures=f"{_HERE}.report:figures",
    generate_command=f"{_HERE}.cli:generate_image_text",
    demo=f"{_HERE}.demo:section",
    docs="docs/vision_language.md",
))
