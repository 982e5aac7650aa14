"""Shared machinery of the log metrics (survey sections 5.2-5.3): the items of a batch, the predicted and
ground-truth template of each record, and the template-level confusion (merged and split templates).

A record metric here scores the :class:`~synthaudit.data.logs.LogItem` objects of a batch (parsed once per batch
and shared by every log metric), or, for the parsing metrics that read every message, the batch's text fields as
arrays (:class:`LogColumns`). The predicted template of a record comes from :func:`synthaudit.data.logs.parsed`
(the data's ``--template-field`` or the audit's parser, one pass over the whole input); the ground truth is the
record's ``--reference-field`` template, corrected with loghub-2.0's oracle template correction
(:func:`synthaudit.data.log_templates.normalise_template`) unless the metric's ``oracle_template_correction`` is
false. A :class:`Comparer` pairs the two batch by batch (PA, a record metric that streams); :func:`comparison`
pairs them for every record once per audit and table (GA, FGA and FTA, global metrics: on a streamed audit's
sample).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from synthaudit.data.log_templates import LogParse, normalise_template
from synthaudit.data.logs import (BATCH, RECORD, LogItem, LogSpec, log_items, messages_at, parsed, per_table,
                                  spec_of)
from synthaudit.errors import InputError
from synthaudit.metrics.items import MAX_FAILURES, ItemMetric, snippet

#: code params shared by PA, GA, FGA (FTA has oracle_template_correction in the catalog)
OTC_NOTE = ("code param (catalog param of logs.fta): correct the ground-truth templates with loghub-2.0's oracle "
            "template correction (its -otc, the *_structured_corrected.csv ground truth) before comparing")
CORRECT_PREDICTED_NOTE = ("code param: also correct the predicted templates with the same rules (Khan et al.'s "
                          "TA-Eval-Rep can; loghub-2.0 compares a parser's templates as produced)")
OUTPUTS = ("precision", "recall", "f1")
INVOLVED_SHOWN = 5


class LogMetric(ItemMetric):
    """A record metric over log messages (:class:`~synthaudit.metrics.items.ItemMetric`): subclasses implement
    ``evaluate(items, state) -> scores``. Rows kept with ``add_row`` number records from the batch's first row
    (``update`` shifts them to positions in the whole input); ``LogItem.record`` is already such a position."""

    def items(self, inputs, batch, role: str) -> list[LogItem]:
        return log_items(inputs, batch, role)

    def init(self, inputs, models) -> dict[str, Any]:
        try:
            return super().init(inputs, models)
        except InputError as exc:
            # a streamed file's bad record met by this metric's own pass (the parse): the engine's pass over the
            # same batches raises it for the whole audit, while this metric fails with it at its first batch
            return {"input_error": exc}

    def update(self, state: dict, role: str, batch) -> dict:
        if "input_error" in state:
            raise state["input_error"]
        return super().update(state, role, batch)


# -- a batch's text fields as arrays ---------------------------------------------------------------------------
@dataclass
class LogColumns:
    """The message and ground-truth template of a batch's records as object arrays (None: missing), without a
    LogItem per record: the parsing metrics read every message (see benchmarks/bench_logs.py)."""

    records: np.ndarray  # position of each record in the whole input
    content: np.ndarray
    reference: np.ndarray  # all None when the data have no ground-truth field

    def __len__(self) -> int:
        return len(self.records)


def text_array(batch: pd.DataFrame, name: str | None) -> np.ndarray:
    """A batch column as an object array of text (missing values None, other values ``str``), as LogItem's text
    fields read it."""
    out = np.empty(len(batch), dtype=object)
    if name is None:
        return out
    column = batch[name]
    out[:] = column.to_numpy(dtype=object, na_value=None)
    if not pd.api.types.is_string_dtype(column.dtype) or column.dtype == object:
        out[:] = [v if v is None or type(v) is str else str(v) for v in out]
    return out


def log_columns(inputs, batch: pd.DataFrame, role: str = "synthetic") -> LogColumns:
    """The :class:`LogColumns` of a batch, memoised per batch object."""
    memo = inputs.features.get("logs.columns", dict)
    key = (role, id(batch), len(batch))
    hit = memo.get(key)
    if hit is not None and hit[0] is batch:
        return hit[1]
    spec = spec_of(inputs, role)
    out = LogColumns(batch[RECORD].to_numpy(dtype=np.int64), text_array(batch, spec.content),
                     text_array(batch, spec.reference))
    memo.clear()
    memo[key] = (batch, out)
    return out


# -- params and gaps ---------------------------------------------------------------------------------------
def needs_ground_truth(inputs) -> str | None:
    """The gap reason of a metric comparing with ground-truth templates when the data have none."""
    if spec_of(inputs).reference is None:
        return ("no ground-truth templates (--reference-field NAME: the field holding each message's true template, "
                "e.g. loghub's EventTemplate)")
    return None


def check_bool(metric: str, params: dict[str, Any], *names: str) -> None:
    for name in names:
        if not isinstance(params.get(name), bool):
            raise ValueError(f"{metric}: param {name!r} must be true or false, got {params.get(name)!r}")


def check_outputs(metric: str, outputs: Any) -> list[str]:
    values = [outputs] if isinstance(outputs, str) else list(outputs or [])
    bad = [v for v in values if v not in OUTPUTS]
    if bad or not values:
        raise ValueError(f"{metric}: param 'outputs' must list some of {', '.join(OUTPUTS)}, got {outputs!r}")
    return values


def f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r > 0 else 0.0


# -- predicted vs ground truth ----------------------------------------------------------------------------------
class _Texts:
    """Distinct template texts and their integer codes (predicted and ground truth share one table)."""

    def __init__(self) -> None:
        self.code: dict[str, int] = {}
        self.names: list[str] = []

    def codes(self, texts: Any) -> np.ndarray:
        out = np.empty(len(texts), dtype=np.int64)
        code, names = self.code, self.names
        for i, t in enumerate(texts):
            c = code.get(t)
            if c is None:
                c = code[t] = len(names)
                names.append(t)
            out[i] = c
        return out

    def table(self) -> np.ndarray:
        out = np.empty(len(self.names), dtype=object)
        out[:] = self.names
        return out


@dataclass
class Comparison:
    """The predicted and ground-truth template of records of a role (a batch, or the whole input in order), as
    codes into one table of texts (-1: none), and which records are scored: those with a message and a ground
    truth (loghub-2.0 drops rows whose ground-truth EventTemplate is null; a record without a message has no
    prediction)."""

    records: np.ndarray
    pred: np.ndarray  # code of the predicted template
    truth: np.ndarray  # code of the ground-truth template (after the correction, when asked)
    no_truth: np.ndarray  # bool per record
    no_message: np.ndarray  # bool per record (with a ground truth)
    names: _Texts  # code -> template text
    method: str

    @property
    def scored(self) -> np.ndarray:
        return ~(self.no_truth | self.no_message)

    @property
    def texts(self) -> np.ndarray:
        return self.names.table()

    def text(self, code: int) -> str | None:
        return None if code < 0 else self.names.names[code]

    def exact(self) -> np.ndarray:
        """Per record: 1.0 when the predicted template equals the ground truth, 0.0 when not, NaN when unscored."""
        out = (self.pred == self.truth).astype(float)
        out[~self.scored] = np.nan
        return out

    def notes(self, correct_truth: bool, correct_predicted: bool) -> dict[str, Any]:
        return {"parser": self.method, "n_records": int(self.records.size), "n_scored": int(self.scored.sum()),
                "n_without_ground_truth": int(self.no_truth.sum()), "n_without_message": int(self.no_message.sum()),
                "oracle_template_correction": correct_truth, "correct_predicted_templates": correct_predicted,
                "normalisation": "ground truth corrected with loghub-2.0's correct_single_template (rules DS, PS, BL, "
                                 "US, DG, WV, DV, CV)" if correct_truth else "templates compared as given"}


def _coded(values: pd.Series, texts: _Texts, correct: bool) -> np.ndarray:
    """Codes of a column of templates (-1: missing); each distinct value is read (and corrected) once."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    words = [t if type(t) is str else str(t) for t in uniques]
    lookup = np.append(texts.codes([normalise_template(t) for t in words] if correct else words), -1)
    return lookup[codes]


class Comparer:
    """Compares a role's batches with its parse (:func:`synthaudit.data.logs.parsed`): predicted templates come
    from the parse's groups (same group = same text), ground truths from the ``--reference-field`` column, each
    distinct text handled once. Kept across batches: the parse and the table of distinct texts, so a record metric
    compares batch by batch what :func:`comparison` compares whole."""

    def __init__(self, parse: LogParse, spec: LogSpec, correct_truth: bool, correct_predicted: bool) -> None:
        self.parse, self.spec, self.correct_truth = parse, spec, correct_truth
        self.names = _Texts()
        group_texts = [normalise_template(t) for t in parse.texts] if correct_predicted else parse.texts
        self.of_group = np.append(self.names.codes(group_texts), -1)  # index -1 (no message): -1

    def compare(self, batch: pd.DataFrame) -> Comparison:
        spec = self.spec
        records = batch[RECORD].to_numpy(dtype=np.int64)
        truth = _coded(batch[spec.reference], self.names, self.correct_truth) if spec.reference \
            else np.full(len(batch), -1, dtype=np.int64)
        pred = self.of_group[self.parse.groups_at(records)]
        no_truth = truth < 0
        no_message = ~no_truth & (batch[spec.content].isna().to_numpy() | (pred < 0))
        return Comparison(records, pred, truth, no_truth, no_message, self.names, self.parse.method)


def comparer(inputs, correct_truth: bool = True, correct_predicted: bool = False,
             role: str = "synthetic") -> Comparer:
    return Comparer(parsed(inputs, role), spec_of(inputs, role), correct_truth, correct_predicted)


def comparison(inputs, correct_truth: bool = True, correct_predicted: bool = False,
               role: str = "synthetic") -> Comparison:
    """The :class:`Comparison` of every record of a role, in input order, memoised per audit, table and settings
    (:func:`synthaudit.data.logs.per_table`)."""

    def compute() -> Comparison:
        cmp = comparer(inputs, correct_truth, correct_predicted, role)
        parts = [cmp.compare(batch) for batch in inputs.batches(role, BATCH)]  # a log table has records
        return Comparison(*(np.concatenate([getattr(p, k) for p in parts]) for k in
                            ("records", "pred", "truth", "no_truth", "no_message")), cmp.names, cmp.parse.method)

    return per_table(inputs, f"logs.comparison:{correct_truth}:{correct_predicted}", role, compute)


# -- template-level confusion --------------------------------------------------------------------------------
@dataclass
class Confusion:
    """Predicted groups (distinct predicted template texts, as loghub-2.0 groups a parser's output) against
    ground-truth groups (distinct ground-truth templates) over the scored messages."""

    index: np.ndarray  # the scored records' indices in the Comparison
    pred_texts: np.ndarray
    truth_texts: np.ndarray
    pred_of: np.ndarray  # predicted group of each scored message
    truth_of: np.ndarray  # ground-truth group of each scored message
    pred_size: np.ndarray
    truth_size: np.ndarray
    pair_pred: np.ndarray  # the non-empty cells of the contingency table
    pair_truth: np.ndarray
    pair_count: np.ndarray
    pair_first: np.ndarray  # position (among the scored messages) of the first message of each cell
    truths_per_pred: np.ndarray  # number of ground-truth templates among a predicted group's messages
    preds_per_truth: np.ndarray  # number of predicted groups a ground-truth template's messages fall in

    @property
    def n(self) -> int:
        return int(self.pred_of.size)

    def exact_truth_groups(self) -> np.ndarray:
        """Per ground-truth group: its messages form exactly one predicted group (loghub-2.0's GA/FGA test)."""
        ok = np.zeros(len(self.truth_texts), dtype=bool)
        single = self.truths_per_pred[self.pair_pred] == 1
        whole = self.preds_per_truth[self.pair_truth] == 1
        ok[self.pair_truth[single & whole]] = True
        return ok

    def pure_pred_groups(self) -> np.ndarray:
        """Per predicted group: the ground-truth group all its messages share (-1 when they are not one)."""
        out = np.full(len(self.pred_texts), -1, dtype=np.int64)
        single = self.truths_per_pred[self.pair_pred] == 1
        out[self.pair_pred[single]] = self.pair_truth[single]
        return out

    def rows(self, extra: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
        """Merged predicted groups and split ground-truth templates (plus ``extra`` rows), the most messages first,
        at most MAX_FAILURES: kind, the group's template, the templates involved with their message counts, and
        the position of an example message of the least frequent one involved (see :func:`with_examples`)."""
        merged: dict[int, list[tuple[int, int, int]]] = {}
        split: dict[int, list[tuple[int, int, int]]] = {}
        for p, t, c, first in zip(self.pair_pred.tolist(), self.pair_truth.tolist(), self.pair_count.tolist(),
                                  self.pair_first.tolist()):
            if self.truths_per_pred[p] > 1:
                merged.setdefault(p, []).append((c, t, first))
            if self.preds_per_truth[t] > 1:
                split.setdefault(t, []).append((c, p, first))
        rows = [_row("merged", self.pred_texts[p], int(self.pred_size[p]), parts, self.truth_texts)
                for p, parts in merged.items()]
        rows += [_row("split", self.truth_texts[t], int(self.truth_size[t]), parts, self.pred_texts)
                 for t, parts in split.items()]
        rows += extra or []
        rows.sort(key=lambda r: (-r["messages"], r["kind"], r["template"]))
        return rows[:MAX_FAILURES]


def _row(kind: str, template: str, size: int, parts: list[tuple[int, int, int]], texts: np.ndarray) -> dict[str, Any]:
    parts = sorted(parts, key=lambda x: (-x[0], texts[x[1]]))
    shown = [f"{texts[i]} ({c})" for c, i, _ in parts[:INVOLVED_SHOWN]]
    if len(parts) > INVOLVED_SHOWN:
        shown.append(f"… {len(parts) - INVOLVED_SHOWN} more")
    return {"kind": kind, "template": template, "involved": " | ".join(shown), "n_involved": len(parts),
            "messages": size, "example_position": parts[-1][2]}


def confusion(inputs, comp: Comparison, key: str) -> Confusion:
    """The confusion of the scored records of ``comp`` (memoised per audit, ``key`` and comparison)."""

    def compute() -> Confusion:
        index = np.flatnonzero(comp.scored)
        pred_of, pred_codes = pd.factorize(comp.pred[index])
        truth_of, truth_codes = pd.factorize(comp.truth[index])
        pred_texts, truth_texts = comp.texts[pred_codes], comp.texts[truth_codes]
        n_pred, n_truth = len(pred_texts), len(truth_texts)
        base = max(n_truth, 1)
        cell, first, count = np.unique(pred_of.astype(np.int64) * base + truth_of, return_index=True,
                                       return_counts=True)
        pair_pred, pair_truth = cell // base, cell % base
        return Confusion(index, np.asarray(pred_texts, dtype=object), np.asarray(truth_texts, dtype=object),
                         pred_of, truth_of, np.bincount(pred_of, minlength=n_pred),
                         np.bincount(truth_of, minlength=n_truth), pair_pred, pair_truth, count, first,
                         np.bincount(pair_pred, minlength=n_pred), np.bincount(pair_truth, minlength=n_truth))

    memo = inputs.features.get("logs.confusion", dict)
    hit = memo.get(key)
    if hit is None or hit[0] is not comp:
        memo[key] = (comp, compute())
    return memo[key][1]


def with_examples(inputs, rows: list[dict[str, Any]], comp: Comparison, conf: Confusion,
                  role: str = "synthetic") -> list[dict[str, Any]]:
    """Fill each row's example message and its record number (0-based position in the input)."""
    out = [dict(r, example_record=int(comp.records[conf.index[r["example_position"]]])) for r in rows]
    found = messages_at(inputs, [r["example_record"] for r in out], role)
    for r in out:
        del r["example_position"]
        r["example"] = snippet(found.get(r["example_record"]))
    return out
