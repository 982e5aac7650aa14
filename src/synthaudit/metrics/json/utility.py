"""JSON utility (survey section 5.2): TaskAcc, exact match of the answer extracted from a schema-conformant
response with the gold answer."""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from synthaudit.data.json_docs import JsonItem
from synthaudit.metrics.json.common import POLICY_PARAM, JsonMetric, canonical, check_policy, compiled_for, \
    output_snippet, resolve_path, audit_schema_source, schema_source, snippet
from synthaudit.metrics.registry import register
from synthaudit.metrics.result import MetricResult
from synthaudit.verify.json_schema import validator_for, violations


def _number(x: Any) -> float | None:
    """A JSON number, or text that reads as a finite number; None otherwise (booleans are not numbers)."""
    if isinstance(x, bool):
        return None
    if isinstance(x, (int, float)):
        return float(x)
    if isinstance(x, str):
        try:
            v = float(x.strip())
        except ValueError:
            return None
        return v if math.isfinite(v) else None
    return None


def answers_equal(got: Any, gold: Any, rel_tol: float = 1e-6) -> bool:
    """TaskAcc's comparison after normalisation: two numbers (or a number and text reading as one) equal within
    ``rel_tol`` relative (``math.isclose``, no absolute slack: 0 matches only 0); two strings equal after trimming
    and case folding; anything else (lists, objects, booleans, null) equal as canonical JSON (sorted keys,
    1.0 == 1, True != 1)."""
    if isinstance(got, str) and isinstance(gold, str):
        return got.strip().casefold() == gold.strip().casefold()
    if (isinstance(got, (int, float)) and not isinstance(got, bool)) or \
            (isinstance(gold, (int, float)) and not isinstance(gold, bool)):
        a, b = _number(got), _number(gold)
        if a is not None and b is not None:
            return math.isclose(a, b, rel_tol=rel_tol, abs_tol=0.0)
        return False
    return canonical(got) == canonical(gold)


@register(id="json.task_acc", name="Task accuracy (TaskAcc)", modality="json", pillar="quality", dimension="utility",
          section="5.2", direction="higher_better", range=(0.0, 1.0), inputs=("synthetic", "gold_answers", "schema"),
          models=("none",), computation="record",
          params={"parse_policy": POLICY_PARAM,
                  "rel_tol": {"default": 1e-6, "note": "code param: numbers match when equal within this relative "
                              "tolerance (math.isclose, abs_tol 0)"},
                  "format_check": {"default": False, "note": "code param: check 'format' keywords when validating "
                                   "(jsonschema FormatChecker); default: annotations only"}})
class TaskAccuracy(JsonMetric):
    """TaskAcc = (1/N) sum_i 1[ExtractAnswer(J_i) = A_gt,i] (section 5.2). ExtractAnswer parses the response
    (``parse_policy``), validates it against the record's schema or the audit's when one is given (a
    non-conformant response is wrong), and takes the value at the answer path (``--answer-path``: a key, a dotted
    path or a JSON Pointer; default 'answer'; absent: wrong). Normalisation: strings trimmed and case-folded,
    numbers equal within ``rel_tol``, lists and objects compared as canonical JSON. A record without a gold
    answer is not scored."""

    breakdown_title = "Records whose answer is wrong or cannot be extracted"

    def check(self, params: dict[str, Any], inputs=None) -> None:
        check_policy(params)
        tol = params.get("rel_tol")
        if isinstance(tol, bool) or not isinstance(tol, (int, float)) or not math.isfinite(tol) or tol < 0:
            raise ValueError(f"rel_tol must be a finite number >= 0; got {tol!r}")
        if not isinstance(params.get("format_check"), bool):
            raise ValueError(f"format_check must be true or false; got {params.get('format_check')!r}")
        if inputs is not None and inputs.extra.get("schema_document") is not None:  # a bad schema fails first
            validator_for(inputs.extra["schema_document"], format_check=params["format_check"],
                          source=audit_schema_source(inputs))

    def _extract(self, state: dict, item: JsonItem) -> tuple[bool, Any, str]:
        """(extracted, value, why not)."""
        inputs, p = state["inputs"], state["params"]
        parsed = item.parse(p["parse_policy"])
        if not parsed.ok:
            state["counts"]["n_unparsable"] += 1
            return False, None, f"does not parse: {parsed.error}"
        compiled = compiled_for(state, item, p["format_check"])
        if compiled is not None:
            found = violations(compiled, parsed.value, source=schema_source(state, item))
            if found:
                state["counts"]["n_nonconformant"] += 1
                v = found[0]
                return False, None, f"not schema-conformant: {v.path or '(root)'}: {snippet(v.message, 120)}"
        path = inputs.extra.get("answer_path", "answer")
        ok, value = resolve_path(parsed.value, path)
        if not ok:
            state["counts"]["n_no_answer"] += 1
            return False, None, f"no value at answer path {path!r}"
        return True, value, ""

    def evaluate(self, items: list[JsonItem], state: dict) -> np.ndarray:
        tol = float(state["params"]["rel_tol"])
        scores = np.full(len(items), np.nan)
        for i, item in enumerate(items):
            if item.answer is None:
                state["counts"]["n_without_gold"] += 1
                continue
            ok, value, why = self._extract(state, item)
            scores[i] = float(ok and answers_equal(value, item.answer, tol))
            if not scores[i]:
                self.add_row(state, {"record": item.record, "reason": why or "wrong answer",
                                     "extracted": snippet(canonical(value), 100) if ok else None,
                                     "gold": snippet(canonical(item.answer), 100), "output": output_snippet(item)})
        return scores

    def finalize(self, state, inputs, models) -> MetricResult:
        result = super().finalize(state, inputs, models)
        for k in ("n_unparsable", "n_nonconformant", "n_no_answer", "n_without_gold"):
            result.secondary[k] = float(result.notes.pop(k, 0))
        p = state["params"]
        result.notes.update({
            "answer_path": inputs.extra.get("answer_path", "answer"), "parse_policy": p["parse_policy"],
            "normalisation": f"strings trimmed and case-folded; numbers (or text reading as one) equal within "
                             f"rel_tol={p['rel_tol']:g} (no absolute tolerance); lists/objects/booleans/null as "
                             "canonical JSON (sorted keys, 1.0 == 1, true != 1)",
            "schema": "validated against the record's schema, else the audit's (non-conformant = wrong)"
                      if inputs.extra.get("schema") is not None else "no schema given: not validated",
            "format_check": p["format_check"]})
        return result
