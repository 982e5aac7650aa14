"""Report figures of the JSON modality (survey sections 5.2-5.3), drawn beside the metrics they explain:

* validity: the share of documents that parse under each policy (strict, fence, lenient) beside the share that
  conforms to the schema, from ``json.valid_json_rate`` and ``json.correctness_rate``;
* validity: the schema paths that fail most (records failing there), from ``json.correctness_rate``'s breakdown,
  whose table lists the keywords and example values;
* privacy: all-or-nothing recall per entity type, from ``json.recall_aon``.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from synthaudit.data.inputs import AuditInputs

TOP = 12
POLICIES = ("strict", "fence", "lenient")


def _metric(metrics: list[Any], mid: str) -> Any:
    return next((m for m in metrics if m.id == mid and m.value is not None), None)


def figures(metrics: list[Any], inputs: "AuditInputs | None" = None) -> list[dict]:
    """Plot specs (plain JSON, stored in report.json)."""
    return [f for f in (_rates(metrics), _paths(metrics), _recall(metrics)) if f]


def _rates(metrics: list[Any]) -> dict | None:
    valid, correct = _metric(metrics, "json.valid_json_rate"), _metric(metrics, "json.correctness_rate")
    if valid is None:
        return None
    groups = list(POLICIES)
    values = [valid.secondary.get(f"valid_rate_{p}") for p in POLICIES]
    if correct is not None:
        groups.append("conforms")
        values.append(correct.value)
    return {"kind": "groups", "dimension": "validity", "title": "Documents that parse and conform",
            "groups": groups, "series": {"share of documents": values}, "ylabel": "share of documents",
            "caption": "Share of documents that parse under each policy: strict (RFC 8259), fence (one surrounding "
                       "code fence removed: the catalog default) and lenient (prose, fences anywhere, trailing "
                       "commas); 'conforms': parsed (with json.correctness_rate's policy) and valid under the JSON "
                       "Schema."}


def _paths(metrics: list[Any]) -> dict | None:
    correct = _metric(metrics, "json.correctness_rate")
    rows = (correct.breakdown if correct else [])[:TOP]
    if not rows:
        return None
    return {"kind": "groups", "dimension": "validity", "title": "Schema paths that fail most",
            "groups": [f"{r['path']} ({r['keywords']})"[:48] for r in rows],
            "series": {"records failing there": [r["records"] for r in rows]}, "ylabel": "records failing there",
            "caption": "Instance paths (array indices collapsed to []) where documents break the schema, with the "
                       "keywords they break; the table under json.correctness_rate gives example values."}


def _recall(metrics: list[Any]) -> dict | None:
    aon = _metric(metrics, "json.recall_aon")
    if aon is None:
        return None
    per_type = {k[len("recall_aon_"):]: v for k, v in aon.secondary.items()
                if k.startswith("recall_aon_") and v is not None}
    if not per_type:
        return None
    return {"kind": "groups", "dimension": "privacy", "title": "All-or-nothing recall per entity type",
            "groups": list(per_type), "series": {"recall (all instances found)": list(per_type.values())},
            "ylabel": "share of (type, document) pairs",
            "caption": "A (type, document) pair counts only when every gold instance of that type in the document "
                       "was detected and redacted."}
