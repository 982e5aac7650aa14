"""JSON privacy (survey section 5.3): All-or-Nothing Recall of sensitive entities (json.recall_aon).

Recall_AON(t, d) = 1 if every gold sensitive instance of type t in document d was detected and redacted, else 0
(Scaiano et al. 2016; Singh et al. 2025, RedactOR). Gold entities come from ``--entities-field`` as
``[{type, start, end[, text]}]`` with Python str offsets on the record's original text (``--original-field``) when
given, else on the document text. The spans counted as detected/redacted are, per record, the first available of:

1. ``--detected-field``: the spans the redactor reports (same shape);
2. with an original text: what the redactor changed, :func:`synthaudit.detect.sensitive.changed_spans` of the
   original against the document;
3. otherwise: the audit's detector (``--detector``) run on the document text.

Instances match by position only (``span_match``): ``exact`` (the catalog default: same start and end),
``overlap`` (one shared character) or ``cover`` (every character of the instance inside detected spans).
"""
from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np

from synthaudit.data.json_docs import JsonItem
from synthaudit.detect.sensitive import as_spans, changed_spans, describe, detect, mask, match
from synthaudit.metrics.json.common import JsonMetric
from synthaudit.metrics.registry import register
from synthaudit.metrics.result import MetricResult

SOURCES = {"detected": "the redactor's reported spans (--detected-field)",
           "changed": "what the redactor changed: a character diff of --original-field against the document",
           "detector": "the audit's detector (--detector) run on the document text"}
PARAMS = {"span_match": {"default": "exact", "options": ["exact", "overlap", "cover"],
                         "note": "'cover' (code option): every character of the gold instance lies in detected "
                                 "spans"}}


def _needs_entities(inputs) -> str | None:
    if inputs.extra.get("entities") is None:
        return ("no gold sensitive entities (--entities-field NAME: a list of {type, start, end} per record, "
                "Python str offsets on --original-field or on the document)")
    return None


def predicted_spans(item: JsonItem, where: str, detector: str, field: str | None) -> tuple[list[Any], str] | None:
    """The detected/redacted spans of a record and their source (see the module docstring); None when the
    document needed for them is missing."""
    if item.detected is not None:
        return as_spans(item.detected, where, item.original if item.original is not None else item.raw,
                        row=item.record, field=field), "detected"
    if item.raw is None:
        return None
    if item.original is not None:
        return changed_spans(item.original, item.raw), "changed"
    return detect(item.raw, detector=detector), "detector"


@register(id="json.recall_aon", name="All-or-Nothing Recall (Recall_AON)", modality="json", pillar="trust",
          dimension="privacy", section="5.3", direction="higher_better", range=(0.0, 1.0),
          inputs=("synthetic", "labels"), models=("none",), computation="record", params=PARAMS,
          applies=_needs_entities)
class RecallAON(JsonMetric):
    """Recall_AON(t,d) = 1[E_{t,d} subset of E^_{t,d}] (section 5.3), over the (type, document) pairs with at
    least one gold instance (vacuous pairs excluded, the catalog default); the value is the mean over those pairs,
    ``secondary`` has it per type (recall_aon_<type>) with the pair counts. A record's score is the mean over its
    own pairs (NaN without gold entities)."""

    breakdown_title = "Documents with a missed sensitive entity, with the types and masked values missed"

    def check(self, params: dict[str, Any], inputs=None) -> None:
        if params.get("span_match") not in PARAMS["span_match"]["options"]:
            raise ValueError(f"json.recall_aon: span_match must be one of "
                             f"{', '.join(PARAMS['span_match']['options'])}; got {params.get('span_match')!r}")

    def setup(self, state: dict) -> None:
        state["extra"] = {"pairs": Counter(), "hits": Counter(), "sources": Counter()}

    def evaluate(self, items: list[JsonItem], state: dict) -> np.ndarray:
        inputs, mode = state["inputs"], state["params"]["span_match"]
        field = inputs.extra.get("entities")
        detected_field = inputs.extra["json"]["synthetic"].detected
        detector = inputs.extra.get("detector") or "builtin"
        extra, counts = state["extra"], state["counts"]
        scores = np.full(len(items), np.nan)
        for i, item in enumerate(items):
            if item.entities is None:
                counts["records_without_entities"] += 1
                continue
            base = item.original if item.original is not None else item.raw
            gold = as_spans(item.entities, f"record {item.record} (0-based), entities", base, row=item.record,
                            field=field)
            if not gold:
                counts["records_without_gold_instances"] += 1
                continue
            pred = predicted_spans(item, f"record {item.record} (0-based), detected spans", detector,
                                   detected_field)
            if pred is None:
                counts["records_without_document"] += 1
                continue
            spans, source = pred
            extra["sources"][source] += 1
            found = match(gold, spans, mode)
            by_type: dict[str, list[bool]] = {}
            for g, ok in zip(gold, found):
                by_type.setdefault(g.type, []).append(ok)
            hits = {t: all(v) for t, v in by_type.items()}
            for t, ok in hits.items():
                extra["pairs"][t] += 1
                extra["hits"][t] += int(ok)
            scores[i] = float(np.mean(list(hits.values())))
            if not all(hits.values()):
                missed = [g for g, ok in zip(gold, found) if not ok]
                self.add_row(state, {"record": item.record, "missed_types": sorted({g.type for g in missed}),
                                     "missed": len(missed), "instances": len(gold), "source": source,
                                     "examples": "; ".join(f"{g.type}: {mask(g.text, g.type)}" for g in missed[:3])})
        return scores

    def finalize(self, state, inputs, models) -> MetricResult:
        result = super().finalize(state, inputs, models)
        pairs, hits, sources = state["extra"]["pairs"], state["extra"]["hits"], state["extra"]["sources"]
        n_pairs = sum(pairs.values())
        result.value = sum(hits.values()) / n_pairs if n_pairs else None
        result.secondary["mean_per_document"] = (float(np.nanmean(result.record_scores))
                                                 if result.record_scores is not None
                                                 and np.isfinite(result.record_scores).any() else None)
        result.secondary["n_pairs"] = float(n_pairs)
        for t in sorted(pairs):
            result.secondary[f"recall_aon_{t}"] = hits.get(t, 0) / pairs[t]
            result.secondary[f"pairs_{t}"] = float(pairs[t])
        result.notes.update(
            span_match=state["params"]["span_match"], entities_field=inputs.extra.get("entities"),
            value="mean of Recall_AON over (type, document) pairs with >= 1 gold instance (vacuous pairs excluded); "
                  "a record's score is the mean over its own pairs, and secondary mean_per_document their mean",
            detected_source={SOURCES[k]: int(v) for k, v in sources.items()},
            offsets="gold spans are Python str offsets on --original-field when given, else on the document text")
        if sources.get("detector"):
            result.notes["detector"] = describe(inputs.extra.get("detector") or "builtin")
        if sources.get("changed"):
            result.notes["changed_spans"] = ("a character diff widened to whole words (see "
                                             "synthaudit.detect.sensitive.changed_spans); a surrogate that keeps "
                                             "part of a value can miss 'exact' but pass 'overlap'")
        return result

