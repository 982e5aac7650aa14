"""Text validity (survey section 2.2): the Grammatical Acceptability Rate (GAR)."""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from synthaudit.data.segment import SEGMENTER
from synthaudit.data.text import texts
from synthaudit.metrics.registry import MergeableMetric, register
from synthaudit.metrics.result import MetricResult
from synthaudit.metrics.sampling import sample_param
from synthaudit.metrics.text.features import (SYN, WORST_K, Sampler, merge_worst, preview, push_worst,
                                              scores_of, sentences, text_field, worst_rows)

LM_PROXY_NOTE = ("the acceptability scores come from {name} ({variant}), an LM-based proxy, not the CoLA-trained "
                 "classifier of the survey; name a CoLA checkpoint with --acceptability to get GAR proper")


@register(id="text.gar", name="Grammatical Acceptability Rate (GAR)", modality="text", pillar="quality",
          dimension="validity", section="2.2", direction="higher_better", range=(0.0, 1.0), inputs=("synthetic",),
          models=("acceptability_classifier",), computation="mergeable",
          params={"tau": {"default": 0.5}, "classifier": {"default": "RoBERTa-large fine-tuned on CoLA"},
                  **sample_param(200)})
class GAR(MergeableMetric):
    """GAR = sum_ij 1[C_acc(u_ij) >= tau] / sum_i m_i (section 2.2): a micro-average over every sentence
    of the corpus (not a per-text mean). Sufficient statistics: (#acceptable, #sentences), plus the
    lowest-scoring sentences for the breakdown. ``record_scores`` hold each text's acceptable share
    (NaN for a text without sentences)."""

    streams = (SYN,)

    def init(self, inputs, models) -> dict[str, Any]:
        params = inputs.params_for(self.spec.id, self.spec.default_params())
        return {"inputs": inputs, "models": models, "tau": float(params["tau"]), "field": text_field(inputs),
                "sampler": Sampler(inputs, int(params["max_records"] or 0)), "acceptable": 0, "sentences": 0,
                "records": 0, "missing": 0, "no_sentence": 0, "rates": [],
                "worst": []}

    def update(self, state: dict, role: str, batch: pd.DataFrame) -> dict:
        inputs, clf = state["inputs"], state["models"].get("acceptability_classifier")
        docs = texts(batch, state["field"])
        kept = state["sampler"].keep(docs)
        sents = [ss if k else [] for ss, k in zip(sentences(inputs, docs), kept)]
        flat = [s for ss in sents for s in ss]
        scores = scores_of(inputs, "acceptability", clf, flat, clf.score)
        rates = np.full(len(docs), np.nan)
        pos = 0
        for i, (doc, ss) in enumerate(zip(docs, sents)):
            record = state["records"] + i
            if not kept[i]:
                continue
            if doc is None:
                state["missing"] += 1
            elif not ss:
                state["no_sentence"] += 1
            if not ss:
                continue
            sc = scores[pos:pos + len(ss)]
            pos += len(ss)
            ok = int(np.sum(sc >= state["tau"]))
            state["acceptable"] += ok
            state["sentences"] += len(ss)
            rates[i] = ok / len(ss)
            for j, (s, v) in enumerate(zip(ss, sc)):
                push_worst(state["worst"], WORST_K, -float(v),
                           {"record": record, "sentence": j, "acceptability": float(v), "text": preview(s)})
        state["records"] += len(docs)
        state["rates"].append(rates)
        return state

    def merge(self, a: dict, b: dict) -> dict:
        out = {**a, "rates": a["rates"] + b["rates"], "worst": merge_worst(a["worst"], b["worst"], WORST_K),
               "sampler": a["sampler"] + b["sampler"]}
        for k in ("acceptable", "sentences", "records", "missing", "no_sentence"):
            out[k] = a[k] + b[k]
        return out

    def finalize(self, state: dict, inputs, models) -> MetricResult:
        clf = models.get("acceptability_classifier")
        variant = getattr(clf, "variant", "unknown")
        notes: dict[str, Any] = {
            "records": state["records"], "sentences": state["sentences"], "acceptable": state["acceptable"],
            "tau": state["tau"], "rule": "acceptable when C_acc(sentence) >= tau; micro-average over sentences",
            "classifier_requested": inputs.params_for(self.spec.id, self.spec.default_params())["classifier"],
            "classifier_used": clf.name, "classifier_variant": variant, "segmenter": SEGMENTER}
        if variant != "cola-classifier":
            notes["caveat"] = LM_PROXY_NOTE.format(name=clf.name, variant=variant)
        if state["sampler"].note():
            notes["sample"] = state["sampler"].note()
        if state["missing"]:
            notes["missing_texts"] = f"{state['missing']} record(s) without a text (0 sentences)"
        if state["no_sentence"] - state["missing"]:
            notes["empty_texts"] = f"{state['no_sentence'] - state['missing']} blank text(s) (0 sentences)"
        value = state["acceptable"] / state["sentences"] if state["sentences"] else None
        rates = np.concatenate(state["rates"]) if state["rates"] else np.array([])
        defined = rates[~np.isnan(rates)]
        return MetricResult(value=value, record_scores=rates, breakdown=worst_rows(state["worst"]),
                            secondary={"mean_per_text": float(defined.mean()) if defined.size else None},
                            notes=notes)
