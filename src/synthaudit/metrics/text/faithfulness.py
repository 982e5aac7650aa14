"""Text faithfulness (survey section 2.3): evidence selection (HotpotQA supporting facts), attribution
(human AIS and auto-AIS), preservation of the original in a revision and the attribution-preservation
F1 (RARR).

Record fields: the synthetic text is the generated passage or revision; ``--reference-field`` the
original; ``--evidence-field`` the gold evidence units (``text.evidence_f1``) or the evidence snippets
(attribution); ``--human-field`` a mapping per record such as ``{"ais": [1, 0, 1], "intent": 1}``.
Lists and mappings may be JSON-encoded (CSV cells). Records are numbered from 0 in error messages.
"""
from __future__ import annotations

import math
from collections import Counter
from typing import TYPE_CHECKING, Any, Hashable

import numpy as np
import pandas as pd

from synthaudit.data.segment import SEGMENTER
from synthaudit.data.text import texts
from synthaudit.metrics.registry import RecordMetric, register
from synthaudit.metrics.result import MetricResult
from synthaudit.metrics.text.features import (SYN, ColumnsMetric, column, entailment, nanmean, preview, push_worst,
                                              record_error, sentences, text_field)

if TYPE_CHECKING:
    from synthaudit.data.inputs import AuditInputs
    from synthaudit.models import Models


# -- Pres_Lev --------------------------------------------------------------------------------------
def levenshtein(a: str, b: str) -> int:
    """Character-level edit distance with unit costs (rapidfuzz when installed, else dynamic programming)."""
    try:
        from rapidfuzz.distance import Levenshtein

        return int(Levenshtein.distance(a, b))
    except ImportError:  # pragma: no cover - rapidfuzz is a dependency
        prev = list(range(len(b) + 1))
        for i, ca in enumerate(a, 1):
            cur = [i]
            for j, cb in enumerate(b, 1):
                cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
            prev = cur
        return prev[-1]


def pres_lev_scores(revisions: list[str | None], originals: list[str | None]) -> np.ndarray:
    """Per pair max(1 - d_lev(revision, original) / len(original), 0); NaN when a text is missing or the
    original is empty."""
    out = np.full(len(revisions), np.nan)
    for i, (rev, orig) in enumerate(zip(revisions, originals)):
        if rev is not None and orig:
            out[i] = max(1.0 - levenshtein(rev, orig) / len(orig), 0.0)
    return out


def _revisions_and_originals(batch: pd.DataFrame, inputs: "AuditInputs") -> tuple[list, list]:
    return texts(batch, text_field(inputs)), texts(batch, inputs.extra["references"])


@register(id="text.pres_lev", name="Levenshtein preservation (Pres_Lev)", modality="text", pillar="trust",
          dimension="faithfulness", section="2.3", direction="higher_better", range=(0.0, 1.0),
          inputs=("synthetic", "references"), models=("none",), computation="record")
class PresLev(RecordMetric):
    """Pres_Lev = mean_i max(1 - d_lev(revision_i, original_i) / len(original_i), 0) (section 2.3, RARR): how
    much of the original a revision keeps. The synthetic text is the revision, ``--reference-field`` the
    original. Pairs with a missing text or an empty original are undefined (NaN score), counted and left out."""

    def score(self, batch: pd.DataFrame, inputs, models) -> np.ndarray:
        return pres_lev_scores(*_revisions_and_originals(batch, inputs))

    def finalize(self, state, inputs, models) -> MetricResult:
        result = super().finalize(state, inputs, models)
        result.notes.update(reference_field=inputs.extra["references"], distance="character Levenshtein, unit costs",
                            undefined="pairs with a missing text or an empty original (NaN score, left out)")
        return result


# -- evidence selection ----------------------------------------------------------------------------
def _unit(x: Any) -> Hashable:
    """An evidence unit as a hashable value: strings and numbers as they are, lists as tuples."""
    if isinstance(x, (list, tuple)):
        return tuple(_unit(v) for v in x)
    if isinstance(x, dict):
        return tuple(sorted((str(k), _unit(v)) for k, v in x.items()))
    return x


def evidence_units(value: Any) -> set | None:
    """The set of evidence units of a field value (None when missing); a lone string is one unit."""
    if value is None:
        return None
    if isinstance(value, (list, tuple)):
        return {_unit(v) for v in value}
    return {_unit(value)}


def update_sp(pred: set, gold: set) -> tuple[float, float, float, float]:
    """(precision, recall, F1, exact match) of one instance with HotpotQA's ``update_sp`` semantics:
    P = 0 when nothing is predicted, R = 0 when nothing matched, F1 = 0 when P + R = 0, EM = no error."""
    tp = len(pred & gold)
    fp, fn = len(pred - gold), len(gold - pred)
    prec = tp / (tp + fp) if tp + fp > 0 else 0.0
    rec = tp / (tp + fn) if tp + fn > 0 else 0.0
    f1 = 2 * prec * rec / (prec + rec) if prec + rec > 0 else 0.0
    return prec, rec, f1, 1.0 if fp + fn == 0 else 0.0


def _predicted_field(inputs: "AuditInputs") -> str:
    return str(inputs.params_for("text.evidence_f1", {"predicted_field": "predicted_evidence"})["predicted_field"])


def _has_predictions(inputs: "AuditInputs") -> str | None:
    name = _predicted_field(inputs)
    table = inputs.tables.get(SYN)
    if table is not None and name not in [str(c) for c in table.head().columns]:
        return (f"the synthetic records have no predicted-evidence field {name!r} (set the metric's "
                "'predicted_field' parameter)")
    return None


@register(id="text.evidence_f1", name="Evidence selection precision / recall / F1 (Prec_evi, Rec_evi, F1_evi)",
          modality="text", pillar="trust", dimension="faithfulness", section="2.3", direction="higher_better",
          range=(0.0, 1.0), inputs=("synthetic", "evidence"), models=("none",), computation="record",
          params={"outputs": {"default": ["precision", "recall", "f1"]},
                  "predicted_field": {"default": "predicted_evidence"}}, applies=_has_predictions)
class EvidenceF1(ColumnsMetric):
    """Per instance P = |pred & gold| / |pred|, R = |pred & gold| / |gold|, F1 = 2PR/(P+R) (section 2.3,
    HotpotQA supporting facts), averaged over instances; the value is mean F1, and precision, recall, F1
    and exact match are in ``secondary``. Gold units: ``--evidence-field``; predicted units: the field
    named by ``predicted_field``. Units are strings or ids such as [title, sentence index] (compared as
    tuples). A missing prediction counts as an empty one (scores 0, as in HotpotQA); a missing gold set
    makes the instance undefined."""

    main = "f1"

    def columns(self, batch: pd.DataFrame, state: dict) -> dict[str, np.ndarray]:
        gold_col = column(batch, state["inputs"].extra["evidence"])
        pred_col = column(batch, str(state["params"]["predicted_field"]))
        out = np.full((len(batch), 4), np.nan)
        for i, (g, p) in enumerate(zip(gold_col, pred_col)):
            gold = evidence_units(g)
            if gold is None:
                state["counts"]["records_without_gold"] += 1
                continue
            pred = evidence_units(p)
            if pred is None:
                state["counts"]["missing_predictions_scored_as_empty"] += 1
            out[i] = update_sp(pred or set(), gold)
            push_worst(state["worst"], self.worst_k, -out[i, 2], {
                "record": state["offset"] + i, "precision": out[i, 0], "recall": out[i, 1], "f1": out[i, 2],
                "missed": preview(sorted(map(str, gold - (pred or set())))),
                "spurious": preview(sorted(map(str, (pred or set()) - gold)))})
        return dict(zip(("precision", "recall", "f1", "exact_match"), out.T))

    def finalize(self, state: dict, inputs, models) -> MetricResult:
        result = super().finalize(state, inputs, models)
        result.secondary = {k: nanmean(self.column_values(state, k)) for k in ("precision", "recall", "f1",
                                                                                "exact_match")}
        result.notes.update(gold_field=inputs.extra["evidence"], predicted_field=state["params"]["predicted_field"],
                            convention="HotpotQA update_sp: P=0 when nothing is predicted, R=0 when nothing "
                                       "matched, F1=0 when P+R=0; units compared exactly (lists as tuples)",
                            breakdown=f"the {self.worst_k} instances with the lowest F1")
        return result


# -- human labels ----------------------------------------------------------------------------------
def human_labels(batch: pd.DataFrame, inputs: "AuditInputs", offset: int) -> list[dict | None]:
    field = inputs.extra["human_scores"]
    out = []
    for i, v in enumerate(column(batch, field)):
        if v is not None and not isinstance(v, dict):
            raise record_error(inputs, offset + i, field, "human scores must be a mapping such as "
                                                          f'{{"ais": [1, 0], "intent": 1}}, got {type(v).__name__}')
        out.append(v)
    return out


def _binary(v: Any) -> bool:
    return isinstance(v, (bool, int, float, np.integer, np.floating)) and float(v) in (0.0, 1.0)


def attr_ais_scores(batch: pd.DataFrame, inputs: "AuditInputs", offset: int, counts: Counter) -> np.ndarray:
    """Per passage: the share of its sentences a human marked attributable (or a precomputed rate)."""
    field = inputs.extra["human_scores"]
    docs = texts(batch, text_field(inputs))
    sents = sentences(inputs, docs)
    out = np.full(len(docs), np.nan)
    for i, (doc, ss, h) in enumerate(zip(docs, sents, human_labels(batch, inputs, offset))):
        labels = None if h is None else h.get("ais")
        if labels is None or (isinstance(labels, float) and math.isnan(labels)):
            counts["records_without_ais"] += 1
        elif doc is None:
            counts["missing_texts"] += 1
        elif isinstance(labels, (list, tuple)):
            if not all(_binary(v) for v in labels):
                raise record_error(inputs, offset + i, field, f"'ais' labels must be 0 or 1, got {list(labels)!r}")
            if len(labels) != len(ss):
                raise record_error(inputs, offset + i, field,
                                   f"'ais' has {len(labels)} label(s) but the text splits into {len(ss)} sentence(s) "
                                   f"with the segmenter {SEGMENTER}; labels must follow the sentences annotators saw")
            if ss:
                out[i] = float(np.mean([float(v) for v in labels]))
            else:
                counts["passages_without_sentences"] += 1
        elif isinstance(labels, (int, float, np.integer, np.floating)) and 0.0 <= float(labels) <= 1.0:
            out[i] = float(labels)
            counts["precomputed_rates"] += 1
        else:
            raise record_error(inputs, offset + i, field,
                               f"'ais' must be a list of 0/1 labels per sentence or a rate in [0, 1], got {labels!r}")
    return out


def intent_labels(batch: pd.DataFrame, inputs: "AuditInputs", offset: int, counts: Counter) -> np.ndarray:
    """Per pair 1 when the revision keeps the original's intent (human label ``intent``), else 0."""
    field = inputs.extra["human_scores"]
    out = np.full(len(batch), np.nan)
    for i, h in enumerate(human_labels(batch, inputs, offset)):
        v = None if h is None else h.get("intent")
        if v is None or (isinstance(v, float) and math.isnan(v)):
            counts["records_without_intent"] += 1
        elif _binary(v):
            out[i] = float(v)
        else:
            raise record_error(inputs, offset + i, field, f"'intent' must be 0 or 1 (1 = intent preserved), got {v!r}")
    return out


@register(id="text.attr_ais", name="Human AIS attribution rate (Attr_AIS)", modality="text", pillar="trust",
          dimension="faithfulness", section="2.3", direction="higher_better", range=(0.0, 1.0),
          inputs=("synthetic", "evidence", "human_scores"), models=("none",), computation="record")
class AttrAIS(ColumnsMetric):
    """Attr_AIS(y, A) = (1/|S(y)|) sum_s AIS(s, A), averaged over passages (section 2.3, RARR). AIS(s, A) is
    a human 0/1 judgment per sentence, from ``human_scores["ais"]``: a list with one label per sentence of
    the segmenter (a length mismatch is an error naming the record) or a precomputed per-passage rate."""

    def columns(self, batch: pd.DataFrame, state: dict) -> dict[str, np.ndarray]:
        return {"score": attr_ais_scores(batch, state["inputs"], state["offset"], state["counts"])}

    def finalize(self, state: dict, inputs, models) -> MetricResult:
        result = super().finalize(state, inputs, models)
        result.notes.update(human_field=inputs.extra["human_scores"], segmenter=SEGMENTER, judged_by="human labels",
                            aggregation="mean over sentences per passage, then mean over passages")
        return result


# -- automatic attribution -------------------------------------------------------------------------
def snippets_of(value: Any, index: int, inputs: "AuditInputs", limit: int, counts: Counter) -> list[str]:
    """Evidence snippets as texts (strings, or mappings with a 'text' key), each cut to ``limit`` chars."""
    field = inputs.extra["evidence"]
    items = [] if value is None else value if isinstance(value, (list, tuple)) else [value]
    out = []
    for item in items:
        if isinstance(item, dict):
            item = item.get("text", item.get("snippet"))
        if item is None:
            continue
        if not isinstance(item, str):
            raise record_error(inputs, index, field, "attribution snippets must be strings (or {'text': ...}); "
                                                     f"got {type(item).__name__} ({preview(item, 60)})")
        if not item.strip():
            continue
        if limit and len(item) > limit:
            counts["snippets_truncated"] += 1
            item = item[:limit]
        out.append(item)
    return out


def attr_auto_scores(batch: pd.DataFrame, inputs: "AuditInputs", models: "Models", params: dict[str, Any],
                     offset: int, counts: Counter, worst: list | None = None, k: int = 10) -> np.ndarray:
    """Per passage: mean over its sentences of the max over snippets of NLI(snippet, sentence)."""
    docs = texts(batch, text_field(inputs))
    sents = sentences(inputs, docs)
    limit = int(params.get("max_snippet_chars") or 0)
    snips = [snippets_of(v, offset + i, inputs, limit, counts)
             for i, v in enumerate(column(batch, inputs.extra["evidence"]))]
    premises, hyps = [], []
    for ss, sn in zip(sents, snips):
        for s in ss:
            for e in sn:
                premises.append(e)
                hyps.append(s)
    probs = entailment(inputs, models, premises, hyps) if premises else np.zeros(0)
    out, pos = np.full(len(docs), np.nan), 0
    for i, (doc, ss, sn) in enumerate(zip(docs, sents, snips)):
        if not ss or not sn:
            counts["missing_texts" if doc is None else "passages_without_sentences" if not ss
                   else "passages_without_snippets"] += 1
            continue
        best = probs[pos:pos + len(ss) * len(sn)].reshape(len(ss), len(sn)).max(axis=1)
        pos += len(ss) * len(sn)
        out[i] = float(best.mean())
        if worst is not None:
            j = int(best.argmin())
            push_worst(worst, k, -out[i], {"record": offset + i, "attr_auto": out[i], "sentences": len(ss),
                                           "snippets": len(sn), "least_supported": preview(ss[j]),
                                           "its_best_entailment": float(best[j])})
    counts["nli_pairs"] += len(premises)
    return out


def nli_notes(models: "Models", params: dict[str, Any]) -> dict[str, Any]:
    nli = models.get("nli")
    notes = {"nli_model_requested": params.get("nli_model", "google/t5_xxl_true_nli_mixture"),
             "nli_model_used": nli.name, "nli_variant": getattr(nli, "variant", None), "segmenter": SEGMENTER,
             "caveat": ("the max is over single snippets, so a sentence that needs two snippets together is "
                        "under-credited; the NLI model changes absolute values a lot"),
             "snippet_limit": f"snippets cut to their first {params.get('max_snippet_chars')} characters"}
    if getattr(nli, "variant", "") != "nli-classifier":
        notes["proxy"] = (f"{nli.name} ({getattr(nli, 'variant', 'unknown variant')}) is an LM stand-in for an NLI "
                          "model, not the TRUE T5 NLI model RARR uses; name an NLI checkpoint with --nli for "
                          "auto-AIS proper")
    return notes


@register(id="text.attr_auto", name="Automatic AIS (Attr_auto)", modality="text", pillar="trust",
          dimension="faithfulness", section="2.3", direction="higher_better", range=(0.0, 1.0),
          inputs=("synthetic", "evidence"), models=("nli",), computation="record",
          params={"nli_model": {"default": "google/t5_xxl_true_nli_mixture"}, "max_snippet_chars": {"default": 2000}})
class AttrAuto(ColumnsMetric):
    """Attr_auto(y, A) = (1/|S(y)|) sum_s max_{e in A} NLI(e, s), averaged over passages (section 2.3, RARR
    auto-AIS). Snippets come from ``--evidence-field`` (a list of strings); each distinct (snippet,
    sentence) pair is scored once per audit. Passages without sentences or snippets are undefined."""

    def columns(self, batch: pd.DataFrame, state: dict) -> dict[str, np.ndarray]:
        return {"score": attr_auto_scores(batch, state["inputs"], state["models"], state["params"], state["offset"],
                                          state["counts"], state["worst"], self.worst_k)}

    def finalize(self, state: dict, inputs, models) -> MetricResult:
        result = super().finalize(state, inputs, models)
        result.notes.update(nli_notes(models, state["params"]), evidence_field=inputs.extra["evidence"],
                            breakdown=f"the {self.worst_k} least attributable passages")
        return result


# -- intent and combined preservation --------------------------------------------------------------
@register(id="text.pres_intent", name="Intent preservation (Pres_intent)", modality="text", pillar="trust",
          dimension="faithfulness", section="2.3", direction="higher_better", range=(0.0, 1.0),
          inputs=("synthetic", "references", "human_scores"), models=("none",), computation="record")
class PresIntent(ColumnsMetric):
    """Pres_intent = (1/N) sum_i 1[the revision does not violate the original's intent] (section 2.3, RARR;
    the survey's 'Precision Intent'), from human labels ``human_scores["intent"]`` (1 = preserved)."""

    def columns(self, batch: pd.DataFrame, state: dict) -> dict[str, np.ndarray]:
        return {"score": intent_labels(batch, state["inputs"], state["offset"], state["counts"])}

    def finalize(self, state: dict, inputs, models) -> MetricResult:
        result = super().finalize(state, inputs, models)
        result.notes.update(human_field=inputs.extra["human_scores"],
                            judged_by="human labels ('intent', 1 = preserved)",
                            note="an LLM judge's intent labels would make this a different metric")
        return result


def pres_comb_columns(batch: pd.DataFrame, inputs: "AuditInputs", offset: int,
                      counts: Counter) -> dict[str, np.ndarray]:
    intent = intent_labels(batch, inputs, offset, counts)
    lev = pres_lev_scores(*_revisions_and_originals(batch, inputs))
    counts["pairs_without_pres_lev"] += int(np.sum(np.isnan(lev)))
    return {"intent": intent, "pres_lev": lev, "score": intent * lev}


@register(id="text.pres_comb", name="Combined preservation (Pres_comb)", modality="text", pillar="trust",
          dimension="faithfulness", section="2.3", direction="higher_better", range=(0.0, 1.0),
          inputs=("synthetic", "references", "human_scores"), models=("none",), computation="record")
class PresComb(ColumnsMetric):
    """Pres_comb = (1/N) sum_i Pres_intent_i * Pres_Lev_i (section 2.3, RARR): the edit score, zeroed where
    the intent is violated. ``secondary['product_of_means']`` is the survey's written form
    mean(Pres_intent) * mean(Pres_Lev) over the same pairs, which differs when the two correlate."""

    def columns(self, batch: pd.DataFrame, state: dict) -> dict[str, np.ndarray]:
        return pres_comb_columns(batch, state["inputs"], state["offset"], state["counts"])

    def finalize(self, state: dict, inputs, models) -> MetricResult:
        result = super().finalize(state, inputs, models)
        both = ~np.isnan(result.record_scores)
        intent, lev = self.column_values(state, "intent")[both], self.column_values(state, "pres_lev")[both]
        pi, pl = nanmean(intent), nanmean(lev)
        result.secondary = {"pres_intent": pi, "pres_lev": pl,
                            "product_of_means": None if pi is None or pl is None else pi * pl}
        result.notes.update(value="mean of per-pair products Pres_intent_i * Pres_Lev_i (RARR)",
                            product_of_means="survey's form Pres_intent * Pres_Lev over the same pairs (labelled, "
                                             "not the value)",
                            defined="pairs with an intent label, both texts and a non-empty original",
                            human_field=inputs.extra["human_scores"], reference_field=inputs.extra["references"])
        return result


# -- F1_AP -----------------------------------------------------------------------------------------
@register(id="text.f1_ap", name="Attribution-preservation F1 (F1_AP)", modality="text", pillar="trust",
          dimension="faithfulness", section="2.3", direction="higher_better", range=(0.0, 1.0),
          inputs=("synthetic", "references", "evidence", "human_scores"), models=("nli",), computation="global",
          params={"attr_variant": {"default": "auto"}, "max_snippet_chars": {"default": 2000}})
def f1_ap(inputs: "AuditInputs", models: "Models") -> MetricResult:
    """F1_AP = 2 Attr Pres_comb / (Attr + Pres_comb) (section 2.3, RARR) from the corpus-level attribution
    of the revised passages (``attr_variant``: auto = Attr_auto, ais = Attr_AIS) and corpus-level
    Pres_comb; 0 when both are 0. Attr_auto reuses the audit's memoised NLI scores."""
    params = inputs.params_for("text.f1_ap", f1_ap.spec.default_params())
    variant = params["attr_variant"]
    if variant not in ("auto", "ais"):
        raise ValueError(f"attr_variant must be 'auto' or 'ais', got {variant!r}")
    counts: Counter = Counter()
    attr_parts, comb_parts, offset = [], [], 0
    for batch in inputs.batches(SYN):
        attr_parts.append(attr_auto_scores(batch, inputs, models, params, offset, counts) if variant == "auto"
                          else attr_ais_scores(batch, inputs, offset, counts))
        comb_parts.append(pres_comb_columns(batch, inputs, offset, counts)["score"])
        offset += len(batch)
    attr = nanmean(np.concatenate(attr_parts)) if attr_parts else None
    comb = nanmean(np.concatenate(comb_parts)) if comb_parts else None
    value = None
    if attr is not None and comb is not None:
        value = 0.0 if attr + comb == 0 else 2 * attr * comb / (attr + comb)
    n_attr = int(sum(np.sum(~np.isnan(p)) for p in attr_parts))
    n_comb = int(sum(np.sum(~np.isnan(p)) for p in comb_parts))
    notes: dict[str, Any] = {"attr_variant": variant, "attr_passages": n_attr, "pres_comb_pairs": n_comb,
                             "formula": "harmonic mean of two corpus-level scalars (not per instance); 0 when both 0",
                             **{k: int(v) for k, v in sorted(counts.items()) if v}}
    if variant == "auto":
        notes.update(nli_notes(models, params))
    if value is None:
        notes["undefined"] = "needs at least one passage with attribution and one pair with Pres_comb"
    return MetricResult(value=value, secondary={"attr": attr, "pres_comb": comb}, notes=notes)
