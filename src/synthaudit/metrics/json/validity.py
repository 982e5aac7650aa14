"""JSON validity (survey section 5.2): ValidJSONRate (parsability) and CorrectnessRate (JSON Schema conformance).

Both parse the raw text under a stated policy (:mod:`synthaudit.verify.json_parse`: strict, fence (the catalog
default), lenient); with the same policy CorrectnessRate <= ValidJSONRate, since a record must parse to conform.
"""
from __future__ import annotations

import json
from collections import Counter
from typing import Any

import numpy as np

from synthaudit.data.json_docs import JsonItem
from synthaudit.metrics.items import MAX_FAILURES
from synthaudit.metrics.json.common import POLICY_PARAM, JsonMetric, check_policy, compiled_for, output_snippet, \
    audit_schema_source, schema_source, snippet
from synthaudit.metrics.registry import register
from synthaudit.metrics.result import MetricResult
from synthaudit.verify.json_parse import POLICIES
from synthaudit.verify.json_schema import Compiled, validator_for, violations

EXAMPLES_PER_PATH = 3
VIOLATIONS_PER_RECORD = 3
VALUE_SNIPPET = 80


def _count_parse(state: dict, item: JsonItem, policy: str) -> Any:
    """Parse under ``policy``; count the repairs that made a record parse, and duplicate keys."""
    parsed = item.parse(policy)
    if parsed.ok and parsed.repairs:
        state["counts"]["n_repaired"] += 1
        for r in parsed.repairs:
            state["counts"][f"repair: {r}"] += 1
    if parsed.ok and parsed.duplicate_keys:
        state["counts"]["n_with_duplicate_keys"] += 1
        state["counts"]["n_duplicate_keys"] += parsed.duplicate_keys
    return parsed


def _repairs_note(result: MetricResult, policy: str) -> None:
    repairs = {k.split(": ", 1)[1]: result.notes.pop(k) for k in list(result.notes) if k.startswith("repair: ")}
    result.notes["repairs"] = repairs or "none"
    result.notes["repairs_policy"] = f"repairs counted under the chosen policy ({policy}); " \
                                     "n_repaired = parsed records that needed one"


@register(id="json.valid_json_rate", name="Valid JSON rate (ValidJSONRate, parsability rate)", modality="json",
          pillar="quality", dimension="validity", section="5.2", direction="higher_better", range=(0.0, 1.0),
          inputs=("synthetic",), models=("none",), computation="record", params={"parse_policy": POLICY_PARAM})
class ValidJsonRate(JsonMetric):
    """ValidJSONRate = |{J : J parses as JSON}| / |J| (section 5.2) under ``parse_policy``; every record counts
    (a missing or empty output does not parse). The rates under all three policies are in ``secondary``."""

    breakdown_title = "Records that do not parse, with the parse error"

    def evaluate(self, items: list[JsonItem], state: dict) -> np.ndarray:
        policy = state["params"]["parse_policy"]
        scores = np.zeros(len(items))
        for i, item in enumerate(items):
            for p in POLICIES:
                state["counts"][f"valid_{p}"] += int(item.parse(p).ok)
            parsed = _count_parse(state, item, policy)
            scores[i] = float(parsed.ok)
            if not parsed.ok:
                self.add_row(state, {"record": item.record, "error": parsed.error, "output": output_snippet(item)})
        return scores

    def finalize(self, state, inputs, models) -> MetricResult:
        result = super().finalize(state, inputs, models)
        policy = state["params"]["parse_policy"]
        n = int(result.notes.get("n_records", 0))
        for p in POLICIES:
            result.secondary[f"valid_rate_{p}"] = result.notes.pop(f"valid_{p}", 0) / n if n else None
        for k in ("n_repaired", "n_with_duplicate_keys", "n_duplicate_keys"):
            result.secondary[k] = float(result.notes.pop(k, 0))
        _repairs_note(result, policy)
        result.notes["parse_policy"] = policy
        result.notes["duplicate_keys"] = "accepted (the last value wins, as json.loads and JSON.parse); counted in " \
                                         "n_with_duplicate_keys (records) and n_duplicate_keys (keys)"
        result.notes["non_json_literals"] = "NaN, Infinity and -Infinity are refused (not JSON) under every policy"
        return result


# -- CorrectnessRate ------------------------------------------------------------------------------------
def _needs_schema(inputs) -> str | None:
    if inputs.extra.get("schema") is None:
        return "no JSON Schema (--schema FILE, or --schema-field NAME for a schema per record)"
    return None


def _value_text(value: Any) -> str:
    try:
        return snippet(json.dumps(value, ensure_ascii=False), VALUE_SNIPPET) or ""
    except (TypeError, ValueError):
        return snippet(repr(value), VALUE_SNIPPET) or ""


@register(id="json.correctness_rate", name="Schema correctness rate (CorrectnessRate)", modality="json",
          pillar="quality", dimension="validity", section="5.2", direction="higher_better", range=(0.0, 1.0),
          inputs=("synthetic", "schema"), models=("none",), computation="record", applies=_needs_schema,
          params={"parse_policy": POLICY_PARAM,
                  "format_check": {"default": False, "note": "code param: check 'format' keywords with the draft's "
                                   "jsonschema FormatChecker (default: formats are annotations only, as "
                                   "jsonschema.validate treats them)"}})
class CorrectnessRate(JsonMetric):
    """CorrectnessRate = (1/|J|) sum_J V(J, S), V = 1 if J parses (``parse_policy``) and validates against S
    (section 5.2). S is the record's own schema, else the audit's; the draft is the one ``$schema`` declares
    (default 2020-12), ``$ref`` resolved inside the schema document. An unparsable record scores 0; a record
    with no schema at all is not scored. The breakdown aggregates violations per instance path (array indices
    collapsed to ``[]``): the keywords, the records failing there, their share and up to 3 example values."""

    breakdown_title = "Instance paths where records fail the schema (array indices collapsed to [])"

    def check(self, params: dict[str, Any], inputs=None) -> None:
        check_policy(params)
        if not isinstance(params.get("format_check"), bool):
            raise ValueError(f"format_check must be true or false; got {params.get('format_check')!r}")
        if inputs is not None and inputs.extra.get("schema_document") is not None:
            validator_for(inputs.extra["schema_document"], format_check=params["format_check"],
                          source=audit_schema_source(inputs))

    def setup(self, state: dict) -> None:
        state["paths"] = {}
        state["drafts"] = Counter()
        state["draft_notes"] = []

    def _compiled(self, state: dict, item: JsonItem) -> Compiled | None:
        compiled = compiled_for(state, item, state["params"]["format_check"])
        if compiled is None:
            return None
        state["drafts"][compiled.draft] += 1
        if compiled.note and compiled.note not in state["draft_notes"] and len(state["draft_notes"]) < 5:
            state["draft_notes"].append(compiled.note)
        return compiled

    def _aggregate(self, state: dict, found: list) -> None:
        seen: set[str] = set()
        for v in found:
            slot = state["paths"].setdefault(v.pattern, {"keywords": Counter(), "records": 0, "violations": 0,
                                                         "examples": []})
            slot["keywords"][v.keyword] += 1
            slot["violations"] += 1
            if v.pattern not in seen:
                slot["records"] += 1
                seen.add(v.pattern)
            text = _value_text(v.value)
            if len(slot["examples"]) < EXAMPLES_PER_PATH and text not in slot["examples"]:
                slot["examples"].append(text)

    def evaluate(self, items: list[JsonItem], state: dict) -> np.ndarray:
        policy = state["params"]["parse_policy"]
        scores = np.full(len(items), np.nan)
        for i, item in enumerate(items):
            compiled = self._compiled(state, item)
            if compiled is None:
                state["counts"]["n_without_schema"] += 1
                continue
            parsed = item.parse(policy)
            if not parsed.ok:
                scores[i] = 0.0
                state["counts"]["n_unparsable"] += 1
                self.add_row(state, {"record": item.record, "reason": f"does not parse: {parsed.error}",
                                     "violations": [], "output": output_snippet(item)})
                continue
            found = violations(compiled, parsed.value, source=schema_source(state, item))
            scores[i] = 0.0 if found else 1.0
            if found:
                state["counts"]["n_invalid"] += 1
                state["counts"]["n_violations"] += len(found)
                self._aggregate(state, found)
                first = found[:VIOLATIONS_PER_RECORD]
                self.add_row(state, {
                    "record": item.record, "reason": f"{len(found)} violation(s)",
                    "violations": [{"path": v.path or "(root)", "keyword": v.keyword,
                                    "message": snippet(v.message, 160), "schema_path": v.schema_path} for v in first],
                    "output": output_snippet(item)})
        return scores

    def merge(self, a: dict, b: dict) -> dict:
        out = super().merge(a, b)
        paths = {k: {**v, "keywords": Counter(v["keywords"]), "examples": list(v["examples"])}
                 for k, v in a["paths"].items()}
        for k, v in b["paths"].items():
            slot = paths.setdefault(k, {"keywords": Counter(), "records": 0, "violations": 0, "examples": []})
            slot["keywords"] += v["keywords"]
            slot["records"] += v["records"]
            slot["violations"] += v["violations"]
            slot["examples"] += [e for e in v["examples"] if e not in slot["examples"]]
            slot["examples"] = slot["examples"][:EXAMPLES_PER_PATH]
        out["paths"] = paths
        out["drafts"] = a["drafts"] + b["drafts"]
        out["draft_notes"] = a["draft_notes"] + [n for n in b["draft_notes"] if n not in a["draft_notes"]]
        return out

    def finalize(self, state, inputs, models) -> MetricResult:
        result = super().finalize(state, inputs, models)
        examples = result.breakdown
        n_scored = int(result.notes["n_records"]) - int(result.notes["n_undefined"])
        rows = [{"path": path or "(root)", "keywords": ", ".join(f"{k} ({c})" if len(slot["keywords"]) > 1 else k
                                                             for k, c in slot["keywords"].most_common()),
                 "records": slot["records"], "share": slot["records"] / n_scored if n_scored else None,
                 "violations": slot["violations"], "example_values": slot["examples"]}
                for path, slot in state["paths"].items()]
        rows.sort(key=lambda r: (-r["records"], -r["violations"], r["path"]))
        result.breakdown = rows
        result.notes.pop("failures_shown", None)
        result.notes["breakdown_title"] = self.breakdown_title
        result.notes["examples"] = examples
        result.notes["examples_shown"] = f"failing records: {len(examples)} shown (at most {MAX_FAILURES}), each " \
                                         f"with its first {VIOLATIONS_PER_RECORD} violations; record numbers 0-based"
        for k in ("n_unparsable", "n_invalid", "n_violations", "n_without_schema"):
            result.secondary[k] = float(result.notes.pop(k, 0))
        result.notes["parse_policy"] = state["params"]["parse_policy"]
        result.notes["format_check"] = "format keywords checked (jsonschema FormatChecker)" \
            if state["params"]["format_check"] else "format keywords not checked (annotations only, as " \
                                                    "jsonschema.validate does by default)"
        result.notes["drafts"] = dict(state["drafts"])
        if state["draft_notes"]:
            result.notes["draft_fallback"] = state["draft_notes"]
        result.notes["share"] = "share = records failing at the path / records scored (with a schema)"
        result.notes["denominator"] = "every record with a schema: an unparsable one counts as not conformant"
        if inputs.extra.get("schema_source"):
            result.notes["schema_file"] = inputs.extra["schema_source"]
        return result

