"""Log privacy (survey section 5.3.3): Sensitive Attribute Exposure (logs.exposure) and the precision / recall / F1
of the spans an anonymiser removed against gold sensitive spans (logs.sensitive_span_prf).

Both depend on how spans are found: exposure on the audit's detector (``--detector``: builtin, presidio or
module:function, see :mod:`synthaudit.detect.sensitive`), span P/R/F1 on what the anonymiser changed
(:func:`~synthaudit.detect.sensitive.changed_spans` of ``--original-field`` against the message). Sensitive values
are never printed: reports show the span type and a masked preview (``a***@e***.com``).
"""
from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np

from synthaudit.data.logs import LogItem, all_items, log_items, spec_of
from synthaudit.detect.sensitive import MATCH_MODES, TYPES, Span, as_spans, builtin_detect, changed_spans, describe, \
    detect, mask, match
from synthaudit.metrics.items import snippet
from synthaudit.metrics.registry import MergeableMetric, register
from synthaudit.metrics.result import MetricResult

EXPOSURE_ID = "logs.exposure"
PRF_ID = "logs.sensitive_span_prf"
DEFAULT_TYPES = ["ipv4", "ipv6", "mac_address", "email"]
CONTEXT = 30  # characters of context either side of an example span


def redacted_context(text: str, span: Span, spans: list[Span], width: int = CONTEXT) -> str:
    """The text around ``span`` with ``span`` shown as ``[type masked]`` and every other sensitive span (the given
    ones, and every type the built-in detector finds in the whole text) as ``[type]``: an example never shows a
    sensitive value, not even one cut by the window's edge."""
    lo, hi = max(0, span.start - width), min(len(text), span.end + width)
    cover: list[Span | None] = [None] * (hi - lo)
    for s in [*spans, *builtin_detect(text), span]:  # the example span last: it wins where spans overlap
        for i in range(max(s.start, lo), min(s.end, hi)):
            cover[i - lo] = span if s == span else s
    out, i = [], 0
    while i < len(cover):
        s = cover[i]
        if s is None:
            out.append(text[lo + i])
            i += 1
            continue
        while i < len(cover) and cover[i] is s:
            i += 1
        out.append(f"[{s.type} {mask(text[s.start:s.end], s.type)}]" if s is span else f"[{s.type}]")
    return ("…" if lo > 0 else "") + snippet("".join(out), 200) + ("…" if hi < len(text) else "")


def check_types(params: dict[str, Any], detector: str, metric: str) -> list[str]:
    types = params.get("sensitive_types")
    if isinstance(types, str) or not isinstance(types, (list, tuple)) or not types \
            or not all(isinstance(t, str) and t for t in types):
        raise ValueError(f"{metric}: sensitive_types must be a non-empty list of type names; got {types!r}")
    if detector in ("builtin", "presidio", None):
        unknown = [t for t in types if t not in TYPES]
        if unknown:
            raise ValueError(f"{metric}: unknown sensitive type(s) {unknown} for the {detector or 'builtin'} "
                             f"detector; known: {', '.join(TYPES)}")
    return list(types)


@register(id=EXPOSURE_ID, name="Sensitive Attribute Exposure (Exposure)", modality="logs", pillar="trust",
          dimension="privacy", section="5.3", direction="lower_better", range=(0.0, float("inf")),
          inputs=("synthetic", "rules"), models=("none",), computation="mergeable",
          params={"sensitive_types": {"default": list(DEFAULT_TYPES), "options": list(TYPES)}})
class Exposure(MergeableMetric):
    """Exposure(l) = sum_{x in psi(l)} 1[type(x) in S_S] (section 5.3.3): the number of sensitive spans of the
    types S_S (``sensitive_types``) the detector psi finds in a message; the value is the mean over messages.
    ``record_scores`` holds each message's count (``synthaudit filter`` drops exposed lines; a missing message is
    NaN), the breakdown the exposure per type. Mergeable via sums and counts."""

    streams = ("synthetic",)

    def check(self, params: dict[str, Any], inputs) -> list[str]:
        return check_types(params, inputs.extra.get("detector"), EXPOSURE_ID)

    def init(self, inputs, models) -> dict[str, Any]:
        params = inputs.params_for(EXPOSURE_ID, self.spec.default_params())
        types = self.check(params, inputs)
        return {"types": types, "detector": inputs.extra.get("detector") or "builtin", "inputs": inputs,
                "n": 0, "missing": 0, "spans": Counter(), "messages": Counter(), "exposed": 0, "examples": {},
                "scores": []}

    def update(self, state: dict, role: str, batch) -> dict:
        items: list[LogItem] = log_items(state["inputs"], batch, role)
        scores = np.full(len(items), np.nan)
        for i, item in enumerate(items):
            if item.content is None:
                state["missing"] += 1
                continue
            spans = detect(item.content, state["types"], state["detector"])
            scores[i] = len(spans)
            state["n"] += 1
            state["exposed"] += bool(spans)
            kinds = Counter(s.type for s in spans)
            state["spans"].update(kinds)
            state["messages"].update(kinds.keys())
            for s in spans:
                if s.type not in state["examples"]:
                    state["examples"][s.type] = {"record": item.record,
                                                 "example": redacted_context(item.content, s, spans)}
        state["scores"].append(scores)
        return state

    def merge(self, a: dict, b: dict) -> dict:
        examples = {**b["examples"], **a["examples"]}  # a's records come first
        return {**a, "n": a["n"] + b["n"], "missing": a["missing"] + b["missing"], "spans": a["spans"] + b["spans"],
                "messages": a["messages"] + b["messages"], "exposed": a["exposed"] + b["exposed"],
                "examples": examples, "scores": a["scores"] + b["scores"]}

    def finalize(self, state: dict, inputs, models) -> MetricResult:
        n = state["n"]
        total = sum(state["spans"].values())
        scores = np.concatenate(state["scores"]) if state["scores"] else np.zeros(0)
        rows = []
        for t in state["types"]:
            count, msgs = state["spans"].get(t, 0), state["messages"].get(t, 0)
            ex = state["examples"].get(t, {})
            rows.append({"type": t, "spans": int(count), "messages": int(msgs),
                         "share_of_messages": msgs / n if n else None, "exposure": count / n if n else None,
                         "example_record": ex.get("record"), "example": ex.get("example")})
        secondary = {f"exposure_{t}": (state["spans"].get(t, 0) / n if n else None) for t in state["types"]}
        secondary["share_exposed_messages"] = state["exposed"] / n if n else None
        secondary["sensitive_spans"] = float(total)
        notes = {"n_messages": int(n), "missing_messages": int(state["missing"]),
                 "sensitive_types": list(state["types"]), "detector": describe(state["detector"]),
                 "value": "mean over messages of the number of sensitive spans of sensitive_types found in each",
                 "examples": "each type's first occurrence, its value masked and every other sensitive span in the "
                             "context replaced by its type; record numbers are 0-based",
                 "caveat": "exposure measures the anonymiser and the detector together (survey section 5.3.3): "
                           "publish the detector and types with the number"}
        if state["detector"] in ("builtin", None):
            notes["overlaps"] = ("the built-in detector resolves overlapping spans among the requested types only, "
                                 "so an IP address inside an URL counts as an IP address")
        # the report draws the exposure per type (beside the real logs' when given): synthaudit.modalities.logs.report
        return MetricResult(value=total / n if n else None, breakdown=rows, record_scores=scores,
                            secondary=secondary, notes=notes)


# -- logs.sensitive_span_prf ---------------------------------------------------------------------------------
PRF_OUTPUTS = ("precision", "recall", "f1")
PRF_PARAMS = {
    "outputs": {"default": list(PRF_OUTPUTS)},
    "averaging": {"default": "micro", "options": ["micro"],
                  "note": "micro over spans; per-type precision is undefined (removed spans carry no type), so "
                          "per-type recall is reported instead of a macro average"},
    "span_match": {"default": "exact", "options": list(MATCH_MODES),
                   "note": "code param: exact (same start and end), overlap (one shared character) or cover (every "
                           "character of the span inside spans of the other side)"},
}


def _needs_spans(inputs) -> str | None:
    spec = spec_of(inputs)
    missing = [flag for flag, name in (("--original-field", spec.original), ("--spans-field", spec.spans))
               if name is None]
    if missing:
        return (f"no gold sensitive spans on the original lines ({' and '.join(missing)}: the line before "
                "anonymisation and its spans [{type, start, end}])")
    return None


def prf(tp_recall: int, n_gold: int, tp_precision: int, n_removed: int) -> tuple[float | None, ...]:
    """(precision, recall, F1): precision None without removed spans, recall None without gold spans; F1 is
    2PR/(P+R), 0 when P+R = 0 or when gold spans exist and nothing was removed, None without gold spans."""
    p = tp_precision / n_removed if n_removed else None
    r = tp_recall / n_gold if n_gold else None
    if r is None:
        return p, r, None
    if p is None:
        return p, r, 0.0
    return p, r, (2 * p * r / (p + r) if p + r > 0 else 0.0)


@register(id=PRF_ID, name="Sensitive-span removal precision / recall / F1", modality="logs", pillar="trust",
          dimension="privacy", section="5.3", direction="higher_better", range=(0.0, 1.0),
          inputs=("synthetic", "labels"), models=("none",), computation="global", params=PRF_PARAMS,
          applies=_needs_spans)
def sensitive_span_prf(inputs, models) -> MetricResult:
    """Precision, recall and F1 of the spans the anonymiser removed or replaced (a character diff of the original
    line against the message, :func:`~synthaudit.detect.sensitive.changed_spans`) against the gold sensitive
    spans of the original line (section 5.3.3), micro-averaged over spans: P = removed spans matching a gold span /
    removed spans, R = gold spans matched by a removed span / gold spans. The value is F1; precision, recall,
    F1 and per-type recall are in ``secondary``."""
    params = inputs.params_for(PRF_ID, {k: v["default"] for k, v in PRF_PARAMS.items()})
    outputs = params["outputs"]
    if isinstance(outputs, str) or not outputs or any(o not in PRF_OUTPUTS for o in outputs):
        raise ValueError(f"{PRF_ID}: outputs must be a non-empty list of {', '.join(PRF_OUTPUTS)}; got {outputs!r}")
    if params["averaging"] != "micro":
        raise ValueError(f"{PRF_ID}: averaging must be 'micro' (removed spans carry no type, so per-type precision "
                         f"is undefined; per-type recall is in secondary); got {params['averaging']!r}")
    mode = params["span_match"]
    if mode not in MATCH_MODES:
        raise ValueError(f"{PRF_ID}: span_match must be one of {', '.join(MATCH_MODES)}; got {mode!r}")
    field = spec_of(inputs).spans
    gold_n, gold_hit, counts = Counter(), Counter(), Counter()
    tp_p = n_removed = 0
    missed: dict[str, list[str]] = {}
    for item in all_items(inputs):
        if item.spans is None or item.original is None:
            counts["records_without_gold"] += 1
            continue
        gold = as_spans(item.spans, f"record {item.record} (0-based), spans", item.original, row=item.record,
                        field=field)
        if item.content is None:
            counts["records_without_message"] += 1
            continue
        removed = changed_spans(item.original, item.content)
        counts["records_scored"] += 1
        found = match(gold, removed, mode)
        for g, ok in zip(gold, found):
            gold_n[g.type] += 1
            gold_hit[g.type] += int(ok)
            if not ok and len(missed.setdefault(g.type, [])) < 3:
                missed[g.type].append(f"record {item.record}: {redacted_context(item.original, g, gold)}")
        n_removed += len(removed)
        tp_p += sum(match([Span(s, e, "removed") for s, e in removed], gold, mode))
    n_gold, tp_r = sum(gold_n.values()), sum(gold_hit.values())
    p, r, f1 = prf(tp_r, n_gold, tp_p, n_removed)
    values = {"precision": p, "recall": r, "f1": f1}
    secondary: dict[str, float | None] = {o: values[o] for o in outputs}
    secondary.update(gold_spans=float(n_gold), removed_spans=float(n_removed), gold_found=float(tp_r),
                     removed_correct=float(tp_p))
    rows = []
    for t in sorted(gold_n):
        secondary[f"recall_{t}"] = gold_hit[t] / gold_n[t]
        rows.append({"type": t, "gold_spans": int(gold_n[t]), "found": int(gold_hit[t]),
                     "recall": gold_hit[t] / gold_n[t], "missed_examples": missed.get(t, [])})
    notes = {k: int(v) for k, v in counts.items()}
    notes.update(span_match=mode, averaging="micro over spans",
                 removed="changed_spans(original, message): a character diff widened to whole words (see "
                         "synthaudit.detect.sensitive.changed_spans)",
                 conventions="P = removed spans matching a gold span / removed spans (None when nothing was "
                             "removed); R = gold spans found / gold spans; F1 = 0 when gold spans exist and nothing "
                             "matched", value="F1" if "f1" in outputs else "F1 (outputs only filters secondary)",
                 offsets="gold spans are Python str offsets on the original line")
    return MetricResult(value=f1, breakdown=rows, secondary=secondary, notes=notes)
