"""Text (survey section 2): the options of ``synthaudit audit text`` and the modality's hooks."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from synthaudit.modalities.base import FilterSpec, Modality, ModalityInputs, TrackSpec, option
from synthaudit.modalities.registry import register_modality

_HERE = "synthaudit.modalities.text"
#: model backends a text or dialogue audit can name instead of the offline defaults (docs/models.md)
TEXT_MODELS = ("embedder", "lm", "toxicity", "acceptability", "nli", "judge", "base_url")


@dataclass(kw_only=True)
class TextInputs(ModalityInputs):
    """Inputs of a text audit: records with the text in ``field`` and optional per-record fields, each of
    which provides one input role (prompt, reference, evidence, K samples, human judgments)."""

    modality = "text"

    synthetic: Any = option(None, "Generated records (JSONL, JSON, CSV, Parquet, .txt with one record per line, "
                            "a DataFrame, Arrow table or HF dataset).", kind="data", short="-s", role="synthetic")
    real: Any = option(None, "Real records to compare with.", kind="data", short="-r", role="real_reference")
    field: str | None = option(None, "Field holding the text (default: 'text').")
    prompt_field: str | None = option(None, "Field holding the prompt.", role="prompts")
    reference_field: str | None = option(None, "Field holding the reference (e.g. the original a revision should "
                                         "preserve).", role="references")
    evidence_field: str | None = option(None, "Field holding evidence snippets (a list of strings, or gold evidence "
                                        "ids).", role="evidence")
    samples_field: str | None = option(None, "Field holding the K sampled continuations of the prompt (a list of "
                                       "strings).", role="multiple_samples")
    human_field: str | None = option(None, "Field holding human judgments, e.g. {\"ais\": [1, 0], \"intent\": 1}.",
                                     role="human_scores")
    rules: Any = option(None, "IFEval-style verifiable instructions (JSONL with prompt, instruction_id_list, "
                        "kwargs), joined on the prompt.", kind="config", role="rules")


MODALITY = register_modality(Modality(
    name="text", title="Text", section="2", inputs=TextInputs,
    summary="Audit generated text (survey section 2): validity, fidelity, diversity, faithfulness and safety, with "
            "offline models by default (each replaceable by a Hugging Face id, a local path or an "
            "OpenAI-compatible endpoint).",
    prepare=f"{_HERE}.prepare:prepare", metrics="synthaudit.metrics.text", model_options=TEXT_MODELS,
    text_lines=True,
    filter=FilterSpec(
        aliases={"exact_duplicate": "text.ext.exact_duplicate_rate", "near_duplicate": "text.ext.near_duplicate_rate",
                 "empty": "text.ext.empty_rate", "truncation": "text.ext.truncation_rate",
                 "encoding_noise": "text.ext.encoding_noise_rate", "gar": "text.gar", "perplexity": "text.perplexity",
                 "ifeval": "text.ifeval_prompt_strict_acc", "toxicity": "text.filter.toxicity",
                 "emt": "text.expected_max_toxicity", "tp": "text.toxicity_probability"},
        defaults=("exact_duplicate", "near_duplicate", "empty", "truncation", "encoding_noise"),
        record_scored=frozenset({"text.ext.exact_duplicate_rate", "text.ext.near_duplicate_rate", "text.gar",
                                 "text.perplexity"}),
        thresholds={"text.filter.toxicity": ("max", 0.5)},
        custom={"text.filter.toxicity": f"{_HERE}.checks:toxicity"},
        options=("field", "prompt_field", "samples_field")),
    track=TrackSpec(metrics=("text.self_cos_sim", "text.distinct_n")),
    generate_command=f"{_HERE}.cli:generate_text",
    pipeline_generator=f"{_HERE}.pipeline:generate",
    demo=f"{_HERE}.demo:section",
    docs="docs/text.md",
))
