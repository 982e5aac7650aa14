"""Structured JSON outputs (survey sections 5.2-5.3): the options of ``synthaudit audit json`` and the hooks.

A record is one generated JSON document, kept as text so that invalid JSON is counted (see
``synthaudit.data.json_docs``).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from synthaudit.modalities.base import FilterSpec, Modality, ModalityInputs, TrackSpec, option
from synthaudit.modalities.registry import register_modality

_HERE = "synthaudit.modalities.json"

#: option name -> JsonSpec attribute (per-record fields beside the document)
FIELD_OPTIONS = {"schema_field": "schema", "reference_field": "reference", "answer_field": "answer",
                 "entities_field": "entities", "detected_field": "detected", "original_field": "original",
                 "label_field": "label", "group_field": "group", "property_labels_field": "labels"}


@dataclass(kw_only=True)
class JsonInputs(ModalityInputs):
    """Inputs of a JSON audit: one record per generated document."""

    modality = "json"

    synthetic: Any = option(None, "Generated JSON: JSON Lines (documents, or records whose --field holds one), a JSON "
                            "array, a folder of .json files, raw LLM outputs (.txt, one per line), or a table.",
                            kind="data", short="-s", role="synthetic")
    real: Any = option(None, "The original (real) records the synthetic ones were derived from (clinical model "
                       "consistency: the same task on real data).", kind="data", short="-r", role="real_reference")
    schema: Any = option(None, "The target JSON Schema (file or mapping; drafts 4, 6, 7, 2019-09, 2020-12 from "
                         "$schema, default 2020-12; $ref inside the file resolved).", kind="config", role="schema")
    field: str | None = option(None, "Field holding the generated document in wrapper records (default: the first of "
                               "output, response, completion, generation, json, text).")
    schema_field: str | None = option(None, "Field holding each record's own schema (overrides --schema for it).",
                                      role="schema")
    reference_field: str | None = option(None, "Field holding each record's ground-truth instance or reference "
                                         "schema (json.mmp, json.schema_description_similarity).", role="references")
    answer_field: str | None = option(None, "Field holding the gold answer (json.task_acc).", role="gold_answers")
    answer_path: str | None = option(None, "Where the answer is in a generated document: a key, a dotted path "
                                     "(result.value) or a JSON Pointer (/result/value); default 'answer'.")
    entities_field: str | None = option(None, "Field holding the gold sensitive entities of each document "
                                        "([{type, start, end}] on the original text) for json.recall_aon.",
                                        role="labels")
    detected_field: str | None = option(None, "Field holding the spans the redactor reports (same shape); default: "
                                        "the spans changed between --original-field and the document, else the "
                                        "detector's.")
    original_field: str | None = option(None, "Field holding the text before redaction or relexicalisation.")
    detector: str = option("builtin", "Sensitive-entity detector: builtin (regex + checksums), presidio (pattern "
                           "recognizers, offline), or module:function returning [{type, start, end}].")
    label_field: str | None = option(None, "Field holding each record's class label (json.clinical_model_consistency).",
                                     role="labels")
    group_field: str | None = option(None, "Field holding a subgroup (per-subgroup gaps of clinical model "
                                     "consistency).", role="protected_attribute")
    property_labels_field: str | None = option(None, "Field holding gold property labels {path: useful|noisy} "
                                      "(json.property_selection_acc).", role="labels")
    property_labels: Any = option(None, "Gold property labels for every record (file or mapping {path: useful|noisy}).",
                         kind="config", role="labels")


MODALITY = register_modality(Modality(
    name="json", title="JSON (structured outputs)", section="5.2-5.3", inputs=JsonInputs,
    summary="Audit generated JSON (survey sections 5.2-5.3): valid JSON under stated parse policies, JSON Schema "
            "correctness with per-path violations, field coverage (MMP), task accuracy, schema descriptions, property "
            "selection, all-or-nothing redaction recall, clinical model consistency.",
    prepare=f"{_HERE}.prepare:prepare", metrics="synthaudit.metrics.json", model_options=("embedder",),
    filter=FilterSpec(aliases={"valid": "json.valid_json_rate", "schema": "json.correctness_rate",
                               "task": "json.task_acc"},
                      defaults=("valid",),
                      options=("schema", "field", "schema_field", "answer_field", "answer_path", "reference_field")),
    track=TrackSpec(metrics=("json.valid_json_rate", "json.correctness_rate")),
    report_figures=f"{_HERE}.report:figures",
    generate_command=f"{_HERE}.cli:generate_json",
    demo=f"{_HERE}.demo:section",
    docs="docs/json.md",
    raw_lines="synthaudit.data.json_docs:raw_lines",
))
