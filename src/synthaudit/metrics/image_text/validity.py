"""Image-text validity (survey section 6.2): the well-formed rate of records against a machine-readable schema,
with the reference checks JSON Schema cannot express (every image a record points to exists and decodes)."""
from __future__ import annotations

from typing import Any

import numpy as np

from synthaudit.data.vision import ERROR_COL, ROW_COL, MediaError, batch_field, check_image, media_of
from synthaudit.metrics.image_text.common import SECTION_QUALITY, SYN
from synthaudit.metrics.registry import RecordMetric, register
from synthaudit.metrics.result import MetricResult

#: the built-in image-text record schema (used when no --schema is given)
IMAGE_RECORD_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "properties": {
        "id": {"type": "string"},
        "text": {"type": "string"}, "prompt": {"type": "string"}, "reference": {"type": "string"},
        "objects": {"type": "array", "items": {"type": "string"}},
        "question": {"type": "string"}, "answer": {"type": ["string", "number", "array"]},
        "prediction": {"type": ["string", "number"]},
        "safety": {"enum": ["unsafe", "benign"]},
        "outcome": {"enum": ["win", "tie", "loss", 1, 0.5, 0, 1.0, 0.0]},
        "diversity_score": {"type": "number"},
        "sequence": {"type": "array", "minItems": 1, "items": {
            "type": "object", "minProperties": 1, "maxProperties": 1,
            "properties": {"text": {"type": "string"}, "image": {"type": "string"}},
            "additionalProperties": False}},
    },
    "anyOf": [{"required": ["text"]}, {"required": ["sequence"]}, {"required": ["prediction"]}],
}
FIELDS_CHECKED = ("id", "text", "prompt", "reference", "objects", "question", "answer", "prediction", "safety",
                  "outcome", "diversity_score", "sequence")


def record_instance(batch, i: int, names: tuple[str, ...]) -> dict[str, Any]:
    """One record's fields as a JSON instance (absent fields left out)."""
    out = {}
    for n in names:
        if n in batch.columns:
            v = batch_field(batch.iloc[[i]], n)[0]
            if v is not None:
                out[n] = v
    return out


def schema_of(inputs, builtin: dict[str, Any]) -> tuple[Any, str]:
    doc = inputs.extra.get("schema")
    if isinstance(doc, dict):
        return doc, str(inputs.extra.get("schema_source") or "--schema")
    return builtin, "synthaudit's built-in record schema"


def well_formed(batch, inputs, builtin: dict[str, Any], fields: tuple[str, ...], kind: str,
                check_sequence: bool = False) -> tuple[np.ndarray, list[dict]]:
    """Per record 1 when it follows the schema and its media pointers resolve, else 0; and the violations."""
    from synthaudit.verify.json_schema import validator_for, violations

    doc, source = schema_of(inputs, builtin)
    compiled = validator_for(doc, source=source)
    mset = media_of(inputs, SYN)
    unreadable = batch[ERROR_COL].tolist()
    names = tuple(c for c in batch.columns if not c.startswith("__")) if doc is not builtin else fields
    scores, problems = [], []
    for i in range(len(batch)):
        row = int(batch[ROW_COL].iat[i])
        inst = record_instance(batch, i, names)
        bad = [f"{v.path or '/'}: {v.message}" for v in violations(compiled, inst)]
        if isinstance(unreadable[i], str):  # found when the record was read (batch by batch when streamed)
            bad.append(f"{kind}: {unreadable[i]}")
        if check_sequence and isinstance(inst.get("sequence"), list):
            for j, step in enumerate(inst["sequence"]):
                if isinstance(step, dict) and isinstance(step.get("image"), str):
                    try:
                        check_image(mset.resolve(step["image"]))
                    except MediaError as exc:
                        bad.append(f"/sequence/{j}/image: dangling or unreadable ({exc})")
        scores.append(0.0 if bad else 1.0)
        if bad:
            problems.append({"row": row, "id": inst.get("id"), "problems": bad[:5]})
    return np.array(scores), problems


class WellFormedMetric(RecordMetric):
    """A record metric whose score is 1 for a well-formed record; violations are kept for the report."""

    builtin: dict[str, Any] = IMAGE_RECORD_SCHEMA
    fields: tuple[str, ...] = FIELDS_CHECKED
    kind = "image"
    check_sequence = True

    def init(self, inputs, models):
        return {**super().init(inputs, models), "problems": []}

    def update(self, state, role, batch):
        scores, problems = well_formed(batch, state["inputs"], self.builtin, self.fields, self.kind,
                                       self.check_sequence)
        state["scores"].append(scores)
        state["problems"].extend(problems)
        return state

    def merge(self, a, b):
        return {**a, "scores": a["scores"] + b["scores"], "problems": a["problems"] + b["problems"]}

    def finalize(self, state, inputs, models) -> MetricResult:
        res = super().finalize(state, inputs, models)
        _, source = schema_of(inputs, self.builtin)
        res.notes.update(schema=source, reference_checks=f"every {self.kind} a record points to exists and decodes"
                         + ("; interleaved sequence steps hold one text or one image" if self.check_sequence else ""))
        res.breakdown = sorted(state["problems"], key=lambda p: p["row"])[:50]
        res.secondary = {"ill_formed": int(sum(len(s) - s.sum() for s in state["scores"]))}
        return res


@register(id="vl_image.wfr", name="Well-Formed Rate (WFR)", modality="image_text", pillar="quality",
          dimension="validity", section=SECTION_QUALITY, direction="higher_better", range=(0.0, 1.0),
          inputs=("synthetic", "schema"), computation="record")
class WfrMetric(WellFormedMetric):
    """WFR = share of records that follow the schema (--schema, else the built-in image-text record schema) and
    whose image pointers (the record's image and every image step of an interleaved sequence) resolve to
    readable images."""



