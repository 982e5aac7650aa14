"""Report figures of the logs modality (survey sections 5.2-5.3), drawn beside the metrics they explain:

* validity: the template-level confusion of the parse (ground-truth templates that the parser merged into one
  group or split across several), from ``logs.grouping_accuracy``'s breakdown;
* fidelity: how often each template occurs in the synthetic and in the real logs (by their ground-truth templates
  when both sides have them), which shows a generator that collapsed onto a few templates;
* privacy: sensitive spans per message by entity type, for the synthetic logs and (when given) the real ones, from
  ``logs.exposure`` and the same detector run on the real messages.
"""
from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from synthaudit.data.inputs import AuditInputs

TOP = 12  # bars per figure
MAX_REAL = 20_000  # real messages read for the real side of the exposure figure (the first ones)


def _metric(metrics: list[Any], mid: str) -> Any:
    return next((m for m in metrics if m.id == mid and m.value is not None), None)


def _short(text: str, n: int = 48) -> str:
    return text if len(text) <= n else text[:n - 1] + "…"


def figures(metrics: list[Any], inputs: "AuditInputs | None" = None) -> list[dict]:
    """Plot specs (plain JSON, stored in report.json)."""
    out = [f for f in (_confusion(metrics), _templates(inputs), _exposure(metrics, inputs)) if f]
    return out


def _confusion(metrics: list[Any]) -> dict | None:
    ga = _metric(metrics, "logs.grouping_accuracy")
    rows = [r for r in (ga.breakdown if ga else []) if r.get("kind") in ("merged", "split")][:TOP]
    if not rows:
        return None
    return {"kind": "groups", "dimension": "validity", "title": "Templates the parser merged or split",
            "groups": [f"{r['kind']}: {_short(r['template'], 40)}" for r in rows],
            "series": {"messages": [r["messages"] for r in rows],
                       "templates involved": [r["n_involved"] for r in rows]},
            "ylabel": "count",
            "caption": "Template-level confusion: a merged group holds messages of several ground-truth templates, a "
                       "split template is spread over several groups; every message of either counts as wrong in "
                       "grouping accuracy (the table under logs.grouping_accuracy lists them with an example)."}


def _template_counts(inputs: "AuditInputs", role: str) -> Counter | None:
    from synthaudit.data.logs import spec_of

    spec = spec_of(inputs, role)
    if not spec.reference:
        return None
    counts: Counter = Counter()
    for batch in inputs.batches(role):
        counts.update(v for v in batch[spec.reference].tolist() if isinstance(v, str))
    return counts


def _templates(inputs: "AuditInputs | None") -> dict | None:
    if inputs is None or "real_reference" not in inputs.tables or "synthetic" not in inputs.tables:
        return None
    syn, real = _template_counts(inputs, "synthetic"), _template_counts(inputs, "real_reference")
    if not syn or not real:
        return None
    n_syn, n_real = sum(syn.values()), sum(real.values())
    top = [t for t, _ in (real + syn).most_common(TOP)]
    return {"kind": "groups", "dimension": "fidelity", "title": "Share of messages per template",
            "groups": [_short(t) for t in top],
            "series": {"real": [real[t] / n_real for t in top], "synthetic": [syn[t] / n_syn for t in top]},
            "ylabel": "share of messages",
            "caption": f"The {len(top)} most frequent ground-truth templates of both sides ({len(real)} real and "
                       f"{len(syn)} synthetic templates in all): a generator that collapsed onto a few templates "
                       "shows tall synthetic bars beside missing ones."}


def _exposure(metrics: list[Any], inputs: "AuditInputs | None") -> dict | None:
    exp = _metric(metrics, "logs.exposure")
    if exp is None or not exp.breakdown:
        return None
    types = [r["type"] for r in exp.breakdown]
    series = {"synthetic": [r["exposure"] or 0.0 for r in exp.breakdown]}
    caption = "Sensitive spans per message by entity type (the detector and types are in logs.exposure's notes)."
    if inputs is not None and "real_reference" in inputs.tables:
        from synthaudit.data.logs import iter_items
        from synthaudit.detect.sensitive import detect

        counts: Counter = Counter()
        n = 0
        for batch in iter_items(inputs, "real_reference"):
            for item in batch:
                if n >= MAX_REAL:
                    break
                if item.content is not None:
                    n += 1
                    counts.update(s.type for s in detect(item.content, types, inputs.extra.get("detector", "builtin")))
            if n >= MAX_REAL:  # the first ones only: a streamed real file is not read further
                break
        if n:
            series["real"] = [counts[t] / n for t in types]
            caption += f" Real: the same detector on {n} real messages."
    return {"kind": "groups", "dimension": "privacy", "title": "Exposure per entity type", "groups": types,
            "series": series, "ylabel": "spans per message", "caption": caption}
