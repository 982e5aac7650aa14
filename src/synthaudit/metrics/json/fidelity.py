"""JSON fidelity (survey section 5.2): Mean Match Percentage against ground-truth instances, embedding similarity
of generated schema descriptions, and property-selection accuracy of inferred schemas."""
from __future__ import annotations

from typing import Any

import numpy as np

from synthaudit.data.json_docs import JsonItem
from synthaudit.errors import InputError
from synthaudit.metrics.json.common import POLICY_PARAM, JsonMetric, check_policy, dotted, field_paths, \
    field_values, output_snippet, property_paths, record_number, schema_elements, snippet
from synthaudit.metrics.registry import register
from synthaudit.metrics.result import MetricResult

MATCH_LEVELS = ("field_paths", "field_paths_and_values")
GRANULARITIES = ("top_level_keys", "leaf_paths")
MISSED_SHOWN = 10


def _needs(role: str, flag: str):
    def applies(inputs) -> str | None:
        return None if inputs.extra.get(role) is not None else f"no {role.replace('_', ' ')} ({flag})"
    return applies


# -- MMP ------------------------------------------------------------------------------------------------
@register(id="json.mmp", name="Mean Match Percentage (MMP)", modality="json", pillar="quality", dimension="fidelity",
          section="5.2", direction="higher_better", range=(0.0, 1.0), inputs=("synthetic", "references"),
          models=("none",), computation="record", applies=_needs("references", "--reference-field NAME"),
          params={"match_level": {"default": "field_paths", "options": list(MATCH_LEVELS)},
                  "path_granularity": {"default": "leaf_paths", "options": list(GRANULARITIES)},
                  "parse_policy": POLICY_PARAM})
class MeanMatchPercentage(JsonMetric):
    """MMP = (1/N) sum_i |fields(J_i) & fields(J_i^gt)| / |fields(J_i^gt)| (section 5.2): the share of the
    ground-truth instance's fields present in the generated object (recall-like: invented fields cost nothing).
    Fields are leaf key paths with array indices collapsed (``a.b[].c``), or top-level keys; with
    ``field_paths_and_values`` a field counts only when its values also match (as a multiset of canonical JSON
    values: array order ignored, 1.0 == 1). An unparsable output scores 0; a record without a reference, or whose
    reference has no fields (an empty object or array), is not scored."""

    breakdown_title = "Records missing ground-truth fields"

    def check(self, params: dict[str, Any], inputs=None) -> None:
        check_policy(params)
        if params.get("match_level") not in MATCH_LEVELS:
            raise ValueError(f"match_level must be one of {', '.join(MATCH_LEVELS)}; got {params.get('match_level')!r}")
        if params.get("path_granularity") not in GRANULARITIES:
            raise ValueError(f"path_granularity must be one of {', '.join(GRANULARITIES)}; "
                             f"got {params.get('path_granularity')!r}")

    def evaluate(self, items: list[JsonItem], state: dict) -> np.ndarray:
        p = state["params"]
        gran, values = p["path_granularity"], p["match_level"] == "field_paths_and_values"
        scores = np.full(len(items), np.nan)
        for i, item in enumerate(items):
            if item.reference is None:
                state["counts"]["n_without_reference"] += 1
                continue
            gt = field_values(item.reference, gran) if values else dict.fromkeys(field_paths(item.reference, gran))
            if not gt:
                state["counts"]["n_reference_without_fields"] += 1
                continue
            parsed = item.parse(p["parse_policy"])
            if not parsed.ok:
                scores[i] = 0.0
                state["counts"]["n_unparsable"] += 1
                self.add_row(state, {"record": item.record, "score": 0.0, "reason": f"does not parse: {parsed.error}",
                                     "missing": [], "output": output_snippet(item)})
                continue
            if values:
                got = field_values(parsed.value, gran)
                matched = [f for f, v in gt.items() if got.get(f) == v]
            else:
                got_paths = field_paths(parsed.value, gran)
                matched = [f for f in gt if f in got_paths]
            scores[i] = len(matched) / len(gt)
            state["counts"]["n_fields_reference"] += len(gt)
            state["counts"]["n_fields_matched"] += len(matched)
            if len(matched) < len(gt):
                missed = sorted(set(gt) - set(matched))
                self.add_row(state, {"record": item.record, "score": float(scores[i]),
                                     "reason": f"{len(missed)} of {len(gt)} field(s) missing"
                                               + (" or with other values" if values else ""),
                                     "missing": [m or "(root)" for m in missed[:MISSED_SHOWN]],
                                     "output": output_snippet(item)})
        return scores

    def finalize(self, state, inputs, models) -> MetricResult:
        result = super().finalize(state, inputs, models)
        p = state["params"]
        for k in ("n_unparsable", "n_without_reference", "n_reference_without_fields", "n_fields_reference",
                  "n_fields_matched"):
            result.secondary[k] = float(result.notes.pop(k, 0))
        total = result.secondary["n_fields_reference"]
        result.secondary["micro_match"] = result.secondary["n_fields_matched"] / total if total else None
        result.notes.update({
            "match_level": p["match_level"], "path_granularity": p["path_granularity"],
            "parse_policy": p["parse_policy"],
            "fields": "leaf key paths, array indices collapsed (a.b[].c); an empty object is a leaf at its path, an "
                      "empty array at a[]" if p["path_granularity"] == "leaf_paths" else "top-level keys",
            "unparsable": "an unparsable output scores 0",
            "micro_match": "secondary micro_match = matched fields / ground-truth fields over every parsed record"})
        return result


# -- schema description similarity ------------------------------------------------------------------------
def _text(sub: dict, key: str) -> str | None:
    v = sub.get(key)
    return v.strip() if isinstance(v, str) and v.strip() else None


def _name(path: str, sub: dict) -> str | None:
    """An element's name: its title, else its key (the last path segment, '[]' dropped)."""
    title = _text(sub, "title")
    if title:
        return title
    key = path.rsplit(".", 1)[-1].replace("[]", "")
    return key or None


def aligned_texts(generated: Any, reference: Any) -> list[tuple[str, str, str, str]]:
    """(path, 'description' | 'name', generated text, reference text) for each element present at the same
    property path in both schemas: descriptions when both have one, else names (title, else key); the root
    only with descriptions on both sides."""
    gen = dict(schema_elements(generated))
    out = []
    for path, ref_sub in schema_elements(reference):
        gen_sub = gen.get(path)
        if gen_sub is None:
            continue
        gd, rd = _text(gen_sub, "description"), _text(ref_sub, "description")
        if gd and rd:
            out.append((path, "description", gd, rd))
            continue
        gn, rn = _name(path, gen_sub), _name(path, ref_sub)
        if path and gn and rn:
            out.append((path, "name", gn, rn))
    return out


@register(id="json.schema_description_similarity",
          name="Generated schema description/name similarity (embedding-based)", modality="json", pillar="quality",
          dimension="fidelity", section="5.2", direction="higher_better", range=(-1.0, 1.0),
          inputs=("synthetic", "references"), models=("sentence_embedder",), computation="record",
          applies=_needs("references", "--reference-field NAME holding each record's reference schema"),
          params={"encoder": {"default": "sentence-transformers/all-MiniLM-L6-v2"}, "parse_policy": POLICY_PARAM})
class SchemaDescriptionSimilarity(JsonMetric):
    """Mean over aligned schema elements of cos(emb(generated text), emb(reference text)) (section 5.2, Mior
    2024). The document is a generated JSON Schema, the record's reference the reference schema; elements (the
    root, ``properties`` nested, an array's ``items``) are aligned by property path. The text compared is the
    description when both elements have one, else their names (``title``, else the property key: equal keys
    then compare equal). A generated schema that does not parse, is not an object or shares no element with
    the reference scores 0; a record without a reference schema (or one with no element) is not scored."""

    breakdown_title = "Records whose schema descriptions differ most from the reference"

    def evaluate(self, items: list[JsonItem], state: dict) -> np.ndarray:
        from synthaudit.metrics.text.features import embeddings

        policy = state["params"]["parse_policy"]
        scores = np.full(len(items), np.nan)
        pairs: list[tuple[int, list]] = []
        for i, item in enumerate(items):
            ref = item.reference
            if not isinstance(ref, dict) or not any(True for _ in schema_elements(ref)):
                state["counts"]["n_without_reference"] += 1
                continue
            parsed = item.parse(policy)
            if not parsed.ok or not isinstance(parsed.value, dict):
                scores[i] = 0.0
                state["counts"]["n_unparsable"] += 1
                reason = f"does not parse: {parsed.error}" if not parsed.ok else "not a JSON Schema object"
                self.add_row(state, {"record": item.record, "score": 0.0, "reason": reason,
                                     "output": output_snippet(item)})
                continue
            found = aligned_texts(parsed.value, ref)
            if not found:
                scores[i] = 0.0
                state["counts"]["n_nothing_aligned"] += 1
                self.add_row(state, {"record": item.record, "score": 0.0,
                                     "reason": "no schema element at a reference property path",
                                     "output": output_snippet(item)})
                continue
            pairs.append((i, found))
        texts = [t for _, found in pairs for (_, _, g, r) in found for t in (g, r)]
        if texts:
            emb = embeddings(state["inputs"], state["models"], texts)
            k = 0
            for i, found in pairs:
                sims = []
                for _path, kind, _g, _r in found:
                    sims.append(float(np.dot(emb[k], emb[k + 1])))
                    k += 2
                    state["counts"][f"n_by_{kind}"] += 1
                scores[i] = float(np.mean(sims))
                worst = int(np.argmin(sims))
                if scores[i] < 0.5:
                    self.add_row(state, {"record": items[i].record, "score": float(scores[i]),
                                         "reason": f"least similar element: {found[worst][0] or '(root)'} "
                                                   f"({found[worst][1]}, cosine {sims[worst]:.2f})",
                                         "generated": snippet(found[worst][2], 100),
                                         "reference": snippet(found[worst][3], 100)})
        return scores

    def finalize(self, state, inputs, models) -> MetricResult:
        result = super().finalize(state, inputs, models)
        for k in ("n_unparsable", "n_without_reference", "n_nothing_aligned", "n_by_description", "n_by_name"):
            result.secondary[k] = float(result.notes.pop(k, 0))
        result.notes.update({
            "encoder_requested": state["params"]["encoder"],
            "encoder_used": getattr(models.get("sentence_embedder"), "name", "?") if models is not None else None,
            "alignment": "elements aligned by property path (root, properties nested, items as a[]); descriptions "
                         "compared when both sides have one, else names (title, else key: equal keys give 1); "
                         "n_by_description / n_by_name count the aligned elements of each kind",
            "zero_scores": "an unparsable or non-object schema, or one with no aligned element, scores 0",
            "rows": "failing rows: records scoring 0, or with a mean cosine below 0.5"})
        return result


# -- property-selection accuracy ----------------------------------------------------------------------------
LABELS = ("useful", "noisy")


def gold_labels(state: dict, item: JsonItem) -> dict[str, str] | None:
    """The record's gold labels {dotted property path: useful | noisy} (its own field, else the audit's)."""
    inputs, record = state["inputs"], record_number(state, item)
    raw = item.labels if item.labels is not None else inputs.extra.get("property_labels")
    if raw is None:
        return None
    where = inputs.extra.get("property_labels_field") if item.labels is not None else "--property-labels"
    if not isinstance(raw, dict):
        raise InputError(f"record {record} (0-based): property labels are a mapping {{path: useful | noisy}}, "
                         f"got {type(raw).__name__}", field=where)
    out = {}
    for path, label in raw.items():
        lab = label.strip().lower() if isinstance(label, str) else label
        if lab not in LABELS:
            raise InputError(f"record {record} (0-based): property {path!r} has label {label!r}; expected "
                             "'useful' or 'noisy'", field=where)
        out[dotted(str(path))] = lab
    return out


@register(id="json.property_selection_acc", name="Schema property-selection accuracy", modality="json",
          pillar="quality", dimension="fidelity", section="5.2", direction="higher_better", range=(0.0, 1.0),
          inputs=("synthetic", "labels"), models=("none",), computation="record", params={"parse_policy": POLICY_PARAM})
class PropertySelectionAccuracy(JsonMetric):
    """Accuracy of the useful/noisy decision per gold-labelled property (section 5.2, Mior 2024): a property is
    predicted 'useful' when the inferred schema (the document) declares it (``properties``, nested paths,
    ``a[].b`` through ``items``), else 'noisy'; a record's score is its share of correct decisions, the value
    the mean over records. Secondary: the 'noisy' class's precision, recall and F1 and the accuracy pooled over
    every labelled property of the parsed schemas. An unparsable schema scores 0 and is left out of the pooled
    figures; a record without labels is not scored."""

    breakdown_title = "Records with wrong property decisions"

    def evaluate(self, items: list[JsonItem], state: dict) -> np.ndarray:
        policy = state["params"]["parse_policy"]
        counts = state["counts"]
        scores = np.full(len(items), np.nan)
        for i, item in enumerate(items):
            gold = gold_labels(state, item)
            if not gold:
                counts["n_without_labels"] += 1
                continue
            parsed = item.parse(policy)
            if not parsed.ok or not isinstance(parsed.value, dict):
                scores[i] = 0.0
                counts["n_unparsable"] += 1
                self.add_row(state, {"record": item.record, "score": 0.0,
                                     "reason": f"does not parse: {parsed.error}" if not parsed.ok else
                                     "not a JSON Schema object", "output": output_snippet(item)})
                continue
            selected = property_paths(parsed.value)
            wrong = []
            for path, label in gold.items():
                pred = "useful" if path in selected else "noisy"
                counts[f"{label}->{pred}"] += 1
                if pred != label:
                    wrong.append(f"{path} ({label}, predicted {pred})")
            scores[i] = 1.0 - len(wrong) / len(gold)
            if wrong:
                self.add_row(state, {"record": item.record, "score": float(scores[i]),
                                     "reason": f"{len(wrong)} of {len(gold)} decision(s) wrong",
                                     "wrong": wrong[:10], "output": output_snippet(item)})
        return scores

    def finalize(self, state, inputs, models) -> MetricResult:
        result = super().finalize(state, inputs, models)
        c = {k: int(result.notes.pop(k, 0)) for k in ("useful->useful", "useful->noisy", "noisy->useful",
                                                      "noisy->noisy")}
        tp, fp, fn = c["noisy->noisy"], c["useful->noisy"], c["noisy->useful"]
        total = sum(c.values())
        prec = tp / (tp + fp) if tp + fp else None
        rec = tp / (tp + fn) if tp + fn else None
        f1 = 2 * tp / (2 * tp + fp + fn) if 2 * tp + fp + fn else None
        result.secondary.update({
            "f1_noisy": f1, "precision_noisy": prec, "recall_noisy": rec,
            "accuracy_pooled": (c["useful->useful"] + tp) / total if total else None,
            "n_properties": float(total), "n_noisy": float(tp + fn),
            "n_unparsable": float(result.notes.pop("n_unparsable", 0)),
            "n_without_labels": float(result.notes.pop("n_without_labels", 0))})
        result.notes.update({
            "confusion": {f"gold {k.split('->')[0]}, predicted {k.split('->')[1]}": v for k, v in c.items()},
            "selected": "a property is selected (predicted useful) when the inferred schema declares it under "
                        "properties (nested, a[].b through items); label paths are dotted or JSON Pointers",
            "f1_noisy": "F1 of the 'noisy' class pooled over every labelled property of the parsed schemas "
                        "(sklearn.metrics.f1_score(pos_label='noisy')); undefined with no noisy gold or prediction",
            "parse_policy": state["params"]["parse_policy"]})
        return result
