"""Log parsing accuracy (survey section 5.2): loghub-2.0's PA, GA, FGA and FTA, and variable precision / recall / F1.

The four loghub-2.0 metrics follow its evaluation code (logpai/loghub-2.0, ``benchmark/evaluation/utils/``:
``PA_calculator.py``, ``template_level_analysis.py``, and ``benchmark/logparser/utils/evaluator.py`` for GA/FGA):

* templates are compared as exact strings; with ``oracle_template_correction`` (default) the ground truth is first
  corrected with :func:`~synthaudit.data.log_templates.normalise_template`. That is loghub-2.0's oracle template
  correction: its ``-otc`` option evaluates against ``*_structured_corrected.csv``, the original ground truth passed
  through ``correct_single_template`` (Khan et al.'s rules; templates that become identical become one). Correcting
  an already corrected file changes nothing, so either ground truth scores the same. The parser's templates are
  compared as produced (``correct_predicted_templates`` also corrects them, as Khan et al.'s tooling can);
* a predicted group is a distinct predicted template text and a ground-truth group a distinct ground-truth
  template (loghub-2.0 groups both ``EventTemplate`` columns by their text);
* records without a ground-truth template are left out (loghub-2.0 drops null ``EventTemplate`` rows), so are
  records without a message; both are counted in the notes.

Drain is online: the templates it gives, and so every score here, may change with the order of the messages. Given
the templates (a ``--template-field``, or the same parse), no score depends on the order of the rows: GA and FGA
read only the partition, PA and FTA only the template of each message.
"""
from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np
import pandas as pd

from synthaudit.data.log_templates import template_variables
from synthaudit.data.logs import LogItem, log_items, parsed, spec_of
from synthaudit.metrics.items import MAX_FAILURES, snippet
from synthaudit.metrics.logs.common import (CORRECT_PREDICTED_NOTE, OTC_NOTE, LogColumns, LogMetric, check_bool,
                                            check_outputs, comparer, comparison, confusion, f1, log_columns,
                                            needs_ground_truth, text_array, with_examples)
from synthaudit.metrics.registry import register
from synthaudit.metrics.result import MetricResult

COMMON = dict(modality="logs", pillar="quality", dimension="validity", section="5.2", direction="higher_better",
              range=(0.0, 1.0), inputs=("synthetic", "references"), models=("none",))
OTC_CODE = {"default": True, "note": OTC_NOTE}
CORRECT_PREDICTED = {"default": False, "note": CORRECT_PREDICTED_NOTE}
BREAKDOWN = ("template-level confusion: predicted groups that merge several ground-truth templates ('merged') and "
             "ground-truth templates split across several predicted groups ('split'), the most messages first "
             "(at most 50); 'involved' lists the other side's templates with their message counts, the example is "
             "a message of the least frequent one")


def _switches(metric: str, inputs) -> tuple[bool, bool, dict[str, Any]]:
    spec = {"logs.parsing_accuracy": ParsingAccuracy, "logs.grouping_accuracy": grouping_accuracy,
            "logs.fga": fga, "logs.fta": fta}[metric].spec
    p = inputs.params_for(metric, spec.default_params())
    check_bool(metric, p, "oracle_template_correction", "correct_predicted_templates")
    return p["oracle_template_correction"], p["correct_predicted_templates"], p


def _undefined(notes: dict[str, Any], secondary: dict[str, Any]) -> MetricResult:
    notes["undefined"] = "no record has both a message and a ground-truth template"
    return MetricResult(value=None, secondary={k: None for k in secondary}, notes=notes)


@register(id="logs.parsing_accuracy", name="Parsing Accuracy (PA)", computation="record",
          params={"oracle_template_correction": OTC_CODE, "correct_predicted_templates": CORRECT_PREDICTED},
          applies=needs_ground_truth, **COMMON)
class ParsingAccuracy(LogMetric):
    """PA = |L_correct| / |L| (section 5.2): a message is correct when its predicted template equals its
    ground-truth template (loghub-2.0's PA_calculator: ``parsedresult.EventTemplate == groundtruth.EventTemplate``
    per message; static tokens and variable positions both have to match). The ground truth is corrected first
    (oracle template correction, see the module doc). Records without a ground truth or a message are not scored.
    PA depends on the order of the messages when Drain parses them (an online parser)."""

    breakdown_title = "Messages whose predicted template differs from the ground truth"

    def check(self, params: dict[str, Any], inputs=None) -> None:
        check_bool(self.spec.id, params, "oracle_template_correction", "correct_predicted_templates")

    def setup(self, state: dict) -> None:
        p = state["params"]
        state["comparer"] = comparer(state["inputs"], p["oracle_template_correction"],
                                     p["correct_predicted_templates"])

    def items(self, inputs, batch, role: str) -> pd.DataFrame:  # type: ignore[override]
        return batch  # compared as a whole (Comparer.compare), messages read only for the rows shown

    def evaluate(self, items: pd.DataFrame, state: dict) -> np.ndarray:
        comp = state["comparer"].compare(items)
        scores = comp.exact()
        state["counts"]["records_without_ground_truth"] += int(comp.no_truth.sum())
        state["counts"]["records_without_message"] += int(comp.no_message.sum())
        wrong = np.flatnonzero(scores == 0.0)[:max(0, MAX_FAILURES - len(state["rows"]))]
        messages = text_array(items.iloc[wrong], state["comparer"].spec.content)
        for i, message in zip(wrong.tolist(), messages):
            self.add_row(state, {"record": i, "predicted": comp.text(comp.pred[i]),
                                 "expected": comp.text(comp.truth[i]), "message": snippet(message)})
        return scores

    def finalize(self, state, inputs, models) -> MetricResult:
        result = super().finalize(state, inputs, models)
        p = state["params"]
        result.notes.update(parser=state["comparer"].parse.method,
                            oracle_template_correction=p["oracle_template_correction"],
                            correct_predicted_templates=p["correct_predicted_templates"],
                            definition="loghub-2.0 PA: share of messages whose predicted template equals the "
                                       "ground-truth template (exact string, after the ground truth's correction)",
                            order="Drain is online: the templates, and PA, may change with the order of the messages")
        return result


@register(id="logs.grouping_accuracy", name="Grouping Accuracy (GA)", computation="global",
          params={"oracle_template_correction": OTC_CODE, "correct_predicted_templates": CORRECT_PREDICTED},
          applies=needs_ground_truth, **COMMON)
def grouping_accuracy(inputs, models) -> MetricResult:
    """GA = |L_grouped| / |L| (section 5.2), loghub-2.0's ``get_accuracy``: the messages of a ground-truth template
    count as correctly grouped when they all fall in one predicted group and that group holds no other message
    (the predicted group's message set equals the ground-truth group's). Weighted by messages; a merge or a split
    makes every message involved wrong. Does not depend on the order of the records (given the parse)."""
    otc, cp, _ = _switches("logs.grouping_accuracy", inputs)
    comp = comparison(inputs, otc, cp)
    notes = {**comp.notes(otc, cp), "breakdown": BREAKDOWN}
    names = ("n_correct_messages", "n_groups_pred", "n_templates_gt", "n_merged_groups", "n_split_templates")
    if not comp.scored.any():
        return _undefined(notes, dict.fromkeys(names))
    c = confusion(inputs, comp, f"{otc}:{cp}")
    ok = c.exact_truth_groups()
    correct = int(c.truth_size[ok].sum())
    secondary = dict(zip(names, (float(correct), float(len(c.pred_texts)), float(len(c.truth_texts)),
                                 float((c.truths_per_pred > 1).sum()), float((c.preds_per_truth > 1).sum()))))
    return MetricResult(value=correct / c.n, secondary=secondary, notes=notes,
                        breakdown=with_examples(inputs, c.rows(), comp, c))


@register(id="logs.fga", name="F1-score of Group Accuracy (FGA)", computation="global",
          params={"oracle_template_correction": OTC_CODE, "correct_predicted_templates": CORRECT_PREDICTED},
          applies=needs_ground_truth, **COMMON)
def fga(inputs, models) -> MetricResult:
    """FGA = 2 PGA RGA / (PGA + RGA) (section 5.2), loghub-2.0's ``get_accuracy``: with C the ground-truth groups
    whose messages form exactly one predicted group (GA's test), PGA = |C| / (# predicted groups) and
    RGA = |C| / (# ground-truth templates); FGA = 0 when both are 0. Each group counts once, whatever its size.
    Does not depend on the order of the records (given the parse)."""
    otc, cp, _ = _switches("logs.fga", inputs)
    comp = comparison(inputs, otc, cp)
    notes = {**comp.notes(otc, cp), "breakdown": BREAKDOWN}
    names = ("precision", "recall", "f1", "n_correct_groups", "n_groups_pred", "n_templates_gt")
    if not comp.scored.any():
        return _undefined(notes, dict.fromkeys(names))
    c = confusion(inputs, comp, f"{otc}:{cp}")
    n_ok = int(c.exact_truth_groups().sum())
    pga, rga = n_ok / len(c.pred_texts), n_ok / len(c.truth_texts)
    secondary = dict(zip(names, (pga, rga, f1(pga, rga), float(n_ok), float(len(c.pred_texts)),
                                 float(len(c.truth_texts)))))
    notes["precision_recall"] = "secondary precision = PGA, recall = RGA"
    return MetricResult(value=f1(pga, rga), secondary=secondary, notes=notes,
                        breakdown=with_examples(inputs, c.rows(), comp, c))


@register(id="logs.fta", name="Template-level accuracy (P_TA, R_TA, FTA)", computation="global",
          params={"outputs": {"default": ["precision", "recall", "f1"]},
                  "oracle_template_correction": {"default": True},
                  "correct_predicted_templates": CORRECT_PREDICTED},
          applies=needs_ground_truth, **COMMON)
def fta(inputs, models) -> MetricResult:
    """FTA = 2 PTA RTA / (PTA + RTA) (section 5.2), loghub-2.0's ``evaluate_template_level``: a predicted template
    (a distinct predicted text) is correct when the ground-truth templates of its messages are exactly {its own
    text}; PTA = correct / (# predicted templates), RTA = correct / (# ground-truth templates); FTA = 0 when both
    are 0. Oracle template correction (default) corrects the ground truth first. loghub-2.0's code does not ask
    that the predicted group hold every message of that template (a split template keeps the part whose text is
    right); Khan et al.'s stricter reading (group equal to the ground-truth group too) is ``f1_exact_group`` in
    ``secondary``. The value is FTA; ``outputs`` chooses which of precision/recall/f1 appear in ``secondary``."""
    otc, cp, p = _switches("logs.fta", inputs)
    outputs = check_outputs("logs.fta", p["outputs"])
    comp = comparison(inputs, otc, cp)
    notes = {**comp.notes(otc, cp), "breakdown": BREAKDOWN + "; 'template_text': a predicted group whose "
             "messages share one ground-truth template but whose text differs from it"}
    names = [*outputs, "n_correct_templates", "n_groups_pred", "n_templates_gt", "f1_exact_group"]
    if not comp.scored.any():
        return _undefined(notes, dict.fromkeys(names))
    c = confusion(inputs, comp, f"{otc}:{cp}")
    pure = c.pure_pred_groups()
    right_text = np.array([t >= 0 and c.truth_texts[t] == text for t, text in zip(pure.tolist(), c.pred_texts)],
                          dtype=bool)
    n_ok = int(right_text.sum())
    pta, rta = n_ok / len(c.pred_texts), n_ok / len(c.truth_texts)
    exact = c.exact_truth_groups()
    n_strict = int(sum(1 for g, t in enumerate(pure.tolist()) if right_text[g] and exact[t]))
    values = {"precision": pta, "recall": rta, "f1": f1(pta, rta)}
    secondary = {**{k: values[k] for k in outputs}, "n_correct_templates": float(n_ok),
                 "n_groups_pred": float(len(c.pred_texts)), "n_templates_gt": float(len(c.truth_texts)),
                 "f1_exact_group": f1(n_strict / len(c.pred_texts), n_strict / len(c.truth_texts))}
    notes["precision_recall"] = "secondary precision = PTA, recall = RTA"
    first = np.zeros(len(c.pred_texts), dtype=np.int64)
    first[c.pair_pred] = c.pair_first  # a pure group has one cell
    wrong_text = [{"kind": "template_text", "template": c.pred_texts[g], "involved": f"{c.truth_texts[t]} "
                   f"({int(c.pred_size[g])})", "n_involved": 1, "messages": int(c.pred_size[g]),
                   "example_position": int(first[g])}
                  for g, t in enumerate(pure.tolist()) if t >= 0 and not right_text[g]]
    return MetricResult(value=f1(pta, rta), secondary=secondary, notes=notes,
                        breakdown=with_examples(inputs, c.rows(wrong_text), comp, c))


# -- variables -------------------------------------------------------------------------------------------
AVERAGING = ("macro_per_statement", "micro_pooled")


def _values(values: list[Any]) -> list[str]:
    """Variables as whitespace-normalised strings."""
    return [" ".join(str(v).split()) for v in values]


def matched(pred: list[str], true: list[str]) -> int:
    """|V_p & V_t| as multisets."""
    if len(set(pred)) == len(pred) and len(set(true)) == len(true):
        return len(set(pred) & set(true))
    return sum((Counter(pred) & Counter(true)).values())


def prf(pred: list[str], true: list[str]) -> tuple[float, float, float, int]:
    """(P, R, F1, |V_p & V_t|) of one statement (normalised values): both empty scores 1; otherwise HotpotQA's
    convention (P = 0 when nothing is predicted, R = 0 when nothing is true, F1 = 0 when P + R = 0)."""
    if not pred and not true:
        return 1.0, 1.0, 1.0, 0
    tp = matched(pred, true)
    p = tp / len(pred) if pred else 0.0
    r = tp / len(true) if true else 0.0
    return p, r, f1(p, r), tp


def _needs_variables_truth(inputs) -> str | None:
    spec = spec_of(inputs)
    if spec.reference is None and spec.reference_variables is None:
        return ("no ground truth for variables (--reference-field NAME: the ground-truth template, whose <*> give "
                "the true variables; or --reference-variables-field NAME)")
    return None


@register(id="logs.variable_prf", name="Variable precision / recall / F1 (VP, VR, VF1)", modality="logs",
          pillar="quality", dimension="fidelity", section="5.2", direction="higher_better", range=(0.0, 1.0),
          inputs=("synthetic", "references"), models=("none",), computation="record",
          params={"outputs": {"default": ["precision", "recall", "f1"]},
                  "averaging": {"default": "macro_per_statement", "options": list(AVERAGING)}},
          applies=_needs_variables_truth)
class VariablePRF(LogMetric):
    """VP = |V_p & V_t| / |V_p|, VR = |V_p & V_t| / |V_t|, VF1 = 2 VP VR / (VP + VR) (section 5.2, LogBench).
    V_t: the ``--reference-variables-field`` values, else the values at the <*> of the ground-truth template in
    the message (:func:`~synthaudit.data.log_templates.template_variables`, the template as given); V_p: the
    ``--variables-field`` values, else those of the predicted template. Values are compared as whitespace-normalised
    strings, as multisets (a value occurring twice counts twice). A predicted template that does not match its
    message yields no variables (counted); a ground-truth template that does not match makes the statement
    unscored. ``averaging``: macro_per_statement (mean of per-statement scores; a statement with no variables on
    either side scores 1) or micro_pooled (sums of |V_p & V_t|, |V_p|, |V_t| over statements). The value is VF1;
    the record scores are per-statement VF1."""

    breakdown_title = "Statements whose variables differ from the ground truth"

    def check(self, params: dict[str, Any], inputs=None) -> None:
        check_outputs(self.spec.id, params.get("outputs"))
        if params.get("averaging") not in AVERAGING:
            raise ValueError(f"logs.variable_prf: param 'averaging' must be one of {', '.join(AVERAGING)}, got "
                             f"{params.get('averaging')!r}")

    def setup(self, state: dict) -> None:
        inputs = state["inputs"]
        spec = spec_of(inputs)
        state["spec"] = spec
        state["parse"] = None if spec.variables else parsed(inputs)
        state["extra"] = {"p_sum": 0.0, "r_sum": 0.0, "tp": 0, "n_pred": 0, "n_true": 0}

    def items(self, inputs, batch, role: str) -> tuple[LogColumns, list[LogItem] | None]:  # type: ignore[override]
        spec = spec_of(inputs, role)
        fields = spec.variables or spec.reference_variables  # list fields: read through the LogItems
        return log_columns(inputs, batch, role), (log_items(inputs, batch, role) if fields else None)

    def evaluate(self, items: tuple[LogColumns, list[LogItem] | None], state: dict) -> np.ndarray:
        cols, full = items
        spec, counts = state["spec"], state["counts"]
        templates = None if state["parse"] is None else state["parse"].templates_at(cols.records)
        scores = np.full(len(cols), np.nan)
        p_sum = r_sum = 0.0
        tp_sum = n_pred = n_true = 0
        for i, (content, reference) in enumerate(zip(cols.content.tolist(), cols.reference.tolist())):
            # values read off a whitespace-normalised message are whitespace-normalised already
            text = None if content is None else " ".join(content.split())
            if spec.reference_variables:
                true = full[i].reference_variables
                if true is None:
                    counts["records_without_true_variables"] += 1
                    continue
                true = _values(true)
            elif reference is None or text is None:
                counts["records_without_ground_truth" if reference is None else "records_without_message"] += 1
                continue
            else:
                true = template_variables(reference, text)
                if true is None:
                    counts["ground_truth_template_not_matching_message"] += 1
                    continue
            template = None
            if spec.variables:
                pred = _values(full[i].variables or [])
            else:
                template = templates[i]
                if template is not None and template == reference and not spec.reference_variables:
                    pred = true  # the same template reads the same values off the message
                else:
                    pred = None if template is None or text is None else template_variables(template, text)
                if pred is None:
                    counts["predicted_template_not_matching_message"] += 1
                    pred = []
            if pred == true:
                p = r = f = 1.0
                tp = len(pred)
            else:
                p, r, f, tp = prf(pred, true)
            scores[i] = f
            p_sum += p
            r_sum += r
            tp_sum += tp
            n_pred += len(pred)
            n_true += len(true)
            if f < 1.0 and len(state["rows"]) < MAX_FAILURES:
                missed, spurious = Counter(true) - Counter(pred), Counter(pred) - Counter(true)
                self.add_row(state, {"record": i, "precision": p, "recall": r, "f1": f,
                                     "missed": snippet(" | ".join(sorted(missed.elements())), 120),
                                     "spurious": snippet(" | ".join(sorted(spurious.elements())), 120),
                                     "predicted_template": template, "ground_truth_template": reference,
                                     "message": snippet(content)})
        extra = state["extra"]
        extra["p_sum"] += p_sum
        extra["r_sum"] += r_sum
        extra["tp"] += tp_sum
        extra["n_pred"] += n_pred
        extra["n_true"] += n_true
        return scores

    def finalize(self, state, inputs, models) -> MetricResult:
        result = super().finalize(state, inputs, models)
        p, extra = state["params"], state["extra"]
        outputs = check_outputs(self.spec.id, p["outputs"])
        n = int(result.notes.get("n_records", 0)) - int(result.notes.get("n_undefined", 0))
        if p["averaging"] == "micro_pooled":
            if extra["n_pred"] == 0 and extra["n_true"] == 0:
                vp = vr = 1.0 if n else None
            else:
                vp = extra["tp"] / extra["n_pred"] if extra["n_pred"] else 0.0
                vr = extra["tp"] / extra["n_true"] if extra["n_true"] else 0.0
            result.value = None if vp is None else f1(vp, vr)
            values = {"precision": vp, "recall": vr, "f1": result.value}
        else:
            values = {"precision": extra["p_sum"] / n if n else None, "recall": extra["r_sum"] / n if n else None,
                      "f1": result.value}
        result.secondary.update({k: values[k] for k in outputs})
        spec = state["spec"]
        result.notes.update(averaging=p["averaging"], n_true_variables=int(extra["n_true"]),
                            n_predicted_variables=int(extra["n_pred"]), n_matched_variables=int(extra["tp"]),
                            true_variables=f"field {spec.reference_variables}" if spec.reference_variables else
                            f"read off the ground-truth template ({spec.reference})",
                            predicted_variables=f"field {spec.variables}" if spec.variables else
                            f"read off the predicted template ({state['parse'].method})",
                            convention="both sides empty: 1; else P = 0 when nothing is predicted, R = 0 when "
                                       "nothing is true, F1 = 0 when P + R = 0; values compared as whitespace-"
                                       "normalised strings, as multisets")
        return result
