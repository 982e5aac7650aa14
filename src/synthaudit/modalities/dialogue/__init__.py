"""Dialogue (survey sections 2.2-2.3): the options of ``synthaudit audit dialogue`` and the modality's hooks."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from synthaudit.modalities.base import FilterSpec, Modality, ModalityInputs, option
from synthaudit.modalities.registry import register_modality

_HERE = "synthaudit.modalities.dialogue"


@dataclass(kw_only=True)
class DialogueInputs(ModalityInputs):
    """Inputs of a dialogue audit: one record per dialogue, its turns a list of {role, content}."""

    modality = "dialogue"

    synthetic: Any = option(None, "Generated dialogues, one record per dialogue (JSONL, JSON, CSV with JSON-encoded "
                            "turns, Parquet, a DataFrame, Arrow table or HF dataset).", kind="data", short="-s",
                            role="synthetic")
    real: Any = option(None, "Real dialogues (trains RUBER's relatedness scorer; compared with).", kind="data",
                       short="-r", role="real_reference")
    turns_field: str | None = option(None, "Field holding the list of turns (default: turns, messages or "
                                     "conversation).")
    role_field: str | None = option(None, "Key of a turn's role (default: role or speaker).")
    content_field: str | None = option(None, "Key of a turn's text (default: content, utterance or text).")
    user_roles: list[str] | None = option(None, "Comma-separated role names of the user.", kind="list")
    assistant_roles: list[str] | None = option(None, "Comma-separated role names of the assistant.", kind="list")
    reference_field: str | None = option(None, "Field holding reference replies.", role="references")
    evidence_field: str | None = option(None, "Field holding the grounding document / knowledge.", role="evidence")
    human_field: str | None = option(None, "Field holding human overall ratings (USR's regression).",
                                     role="human_scores")


MODALITY = register_modality(Modality(
    name="dialogue", title="Dialogue", section="2.2-2.3", inputs=DialogueInputs,
    summary="Audit generated dialogues (survey sections 2.2-2.3): USL-H, RUBER, USR, PMI-FAITH, TSG, NT2T.",
    prepare=f"{_HERE}.prepare:prepare", metrics="synthaudit.metrics.dialogue",
    model_options=("embedder", "lm", "toxicity", "acceptability", "judge", "base_url"),
    role_flags={"prompts": "--user-roles (dialogues whose user turns are recognised)"},
    filter=FilterSpec(
        aliases={"toxicity": "dialogue.tsg", "tsg": "dialogue.tsg", "nt2t": "dialogue.nt2t",
                 "usl_h": "dialogue.usl_h", "pmi_faith": "dialogue.pmi_faith", "usr": "dialogue.usr"},
        defaults=("toxicity",), record_scored=frozenset({"dialogue.ruber"}),
        options=("turns_field", "role_field", "content_field", "user_roles", "assistant_roles")),
    demo=f"{_HERE}.demo:section",
    docs="docs/dialogue.md",
))
