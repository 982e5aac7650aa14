"""Pareto fronts over audit runs (survey section 8.3: quality and trust trade off, e.g. fidelity vs privacy).

Directions come from the catalog: ``higher_better`` / ``lower_better`` as stated, ``target`` metrics by their
distance to ``target_value`` (smaller is better); ``report_only`` metrics have no better side and are refused.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from synthaudit.errors import UsageError
from synthaudit.report.model import AuditReport


@dataclass(frozen=True)
class Objective:
    id: str
    direction: str
    target_value: float | None = None

    def cost(self, value: float) -> float:
        """Smaller is better: the value, its negation or its distance to the target."""
        if self.direction == "lower_better":
            return value
        if self.direction == "higher_better":
            return -value
        return abs(value - float(self.target_value))  # target

    def describe(self) -> str:
        if self.direction == "target":
            return f"closest to {self.target_value:g}"
        return "higher is better" if self.direction == "higher_better" else "lower is better"


def objectives(metric_ids: Sequence[str]) -> list[Objective]:
    """Objectives of the chosen metric ids; unknown, repeated or ``report_only`` ids are a UsageError."""
    from synthaudit.metrics.registry import metric_entries

    entries = metric_entries()
    if not metric_ids:
        raise UsageError("no metric given", field="--metrics", hint="e.g. --metrics tabular.kst,tabular.tstr_auc")
    if len(set(metric_ids)) != len(metric_ids):
        raise UsageError("a metric is named twice", field="--metrics")
    out = []
    for mid in metric_ids:
        entry = entries.get(mid)
        if entry is None:
            raise UsageError(f"unknown metric id {mid!r}", field="--metrics", hint="`synthaudit metrics` lists them")
        if entry["direction"] == "report_only":
            raise UsageError(f"{mid} is report_only: it has no better direction, so it cannot rank runs",
                             field="--metrics", hint="choose metrics with a direction (`synthaudit metrics`)")
        out.append(Objective(mid, entry["direction"], entry.get("target_value")))
    return out


def dominates(a: Sequence[float], b: Sequence[float]) -> bool:
    """a dominates b: no worse on every cost and strictly better on one."""
    return all(x <= y for x, y in zip(a, b)) and any(x < y for x, y in zip(a, b))


def non_dominated(costs: Sequence[Sequence[float]]) -> tuple[list[int], dict[int, list[int]]]:
    """Indices of the front and, for each dominated index, the indices that dominate it (ties stay on the front)."""
    dominated_by = {i: [j for j, other in enumerate(costs) if j != i and dominates(other, c)]
                    for i, c in enumerate(costs)}
    front = [i for i, by in dominated_by.items() if not by]
    return front, {i: by for i, by in dominated_by.items() if by}


def _missing_reason(report: AuditReport, mid: str) -> str | None:
    entry = next((m for m in report.metrics if m.id == mid), None)
    if entry is None:
        gap = next((g for g in report.gaps if g.id == mid), None)
        if gap is None:
            return f"{mid} is not in this {report.modality} report"
        return f"{mid} did not run ({gap.reason}" + (f"; enable with {gap.enable})" if gap.enable else ")")
    if entry.status == "failed":
        return f"{mid} failed ({entry.error or 'see the report'})"
    if entry.value is None:
        return f"{mid} has no value ({entry.notes.get('undefined', 'undefined on these data')})"
    return None


def pareto(reports: Sequence[AuditReport], labels: Sequence[str], metric_ids: Sequence[str]) -> dict[str, Any]:
    """Classify runs as ``front``, ``dominated`` (with who dominates them) or ``excluded`` (with the reason)."""
    objs = objectives(metric_ids)
    runs: list[dict[str, Any]] = []
    included: list[int] = []
    for label, rep in zip(labels, reports):
        values = {o.id: (rep.value(o.id) if any(m.id == o.id for m in rep.metrics) else None) for o in objs}
        reasons = [r for o in objs if (r := _missing_reason(rep, o.id))]
        run = {"label": label, "modality": rep.modality, "values": values, "status": "excluded",
               "reason": "; ".join(reasons) or None, "dominated_by": [], "tied_with": []}
        if not reasons:
            run["costs"] = [o.cost(float(values[o.id])) for o in objs]
            included.append(len(runs))
        runs.append(run)
    costs = [runs[i]["costs"] for i in included]
    warnings = [w for w in [real_data_warning(reports, labels)] if w]
    front, dominated_by = non_dominated(costs)
    for k, i in enumerate(included):
        run = runs[i]
        if k in dominated_by:
            run["status"] = "dominated"
            run["dominated_by"] = [runs[included[j]]["label"] for j in dominated_by[k]]
        else:
            run["status"] = "front"
            run["tied_with"] = [runs[included[j]]["label"] for j in front if j != k and costs[j] == costs[k]]
    return {"metrics": [{"id": o.id, "direction": o.direction, "target_value": o.target_value,
                         "better": o.describe()} for o in objs],
            "runs": runs, "front": [runs[included[k]]["label"] for k in front], "warnings": warnings}


#: input roles that hold real data: runs compared on a front must share them
REAL_ROLES = ("real_reference", "train", "real_holdout")
ROLE_NAMES = {"real_reference": "real", "train": "train", "real_holdout": "holdout"}


def real_inputs(report: AuditReport) -> dict[str, tuple[str, str]]:
    """role -> (identity, description) of the report's real inputs; identity is the sha256, else the source."""
    out = {}
    for i in report.inputs:
        if i.role in REAL_ROLES:
            ident = i.sha256 or f"source:{i.source}"
            name = Path(i.source).name or i.source  # the hash identifies the data; the name is for the reader
            out[i.role] = (ident, f"{name} sha {i.sha256[:8]}…" if i.sha256 else i.source)
    return out


def real_data_warning(reports: Sequence[AuditReport], labels: Sequence[str]) -> str | None:
    """A warning when two runs used different real data for a role both have (by sha256, else by source):
    their metrics measure distance to different references and do not rank against each other."""
    seen = [real_inputs(r) for r in reports]
    differ = any(a[role][0] != b[role][0] for i, a in enumerate(seen) for b in seen[i + 1:]
                 for role in a.keys() & b.keys())
    if not differ:
        return None

    def describe(inputs: dict[str, tuple[str, str]]) -> str:
        roles: dict[tuple[str, str], list[str]] = {}  # train is often the reference itself: one entry
        for role, key in inputs.items():
            roles.setdefault(key, []).append(ROLE_NAMES[role])
        return ", ".join(f"{'/'.join(r)} {desc}" for (_, desc), r in roles.items()) or "no real data"

    runs = "; ".join(f"{label} ({describe(s)})" for label, s in zip(labels, seen))
    return f"runs compared on different real data: {runs}; their metrics are not comparable"


def front_svg(result: dict[str, Any]) -> str:
    """Scatter of the runs over two metrics, the front highlighted and joined (report.plots SVG style)."""
    from synthaudit.report.plots import REAL_COLOR, SYN_COLOR, _plt, _svg

    mx, my = result["metrics"]
    plt = _plt()
    fig, ax = plt.subplots(figsize=(4.6, 3.4))
    shown = [r for r in result["runs"] if r["status"] != "excluded"]
    for status, color, marker in (("dominated", SYN_COLOR, "o"), ("front", REAL_COLOR, "D")):
        pts = [r for r in shown if r["status"] == status]
        if pts:
            ax.scatter([r["values"][mx["id"]] for r in pts], [r["values"][my["id"]] for r in pts], color=color,
                       marker=marker, label="Pareto front" if status == "front" else "dominated", zorder=3)
    front = sorted((r for r in shown if r["status"] == "front"),
                   key=lambda r: (r["costs"][0], r["costs"][1]))
    if len(front) > 1:
        ax.plot([r["values"][mx["id"]] for r in front], [r["values"][my["id"]] for r in front], color=REAL_COLOR,
                linewidth=1.2, zorder=2)
    for r in shown:
        ax.annotate(r["label"], (r["values"][mx["id"]], r["values"][my["id"]]), textcoords="offset points",
                    xytext=(4, 4), fontsize=8)
    ax.set_xlabel(f"{mx['id']} ({mx['better']})")
    ax.set_ylabel(f"{my['id']} ({my['better']})")
    ax.legend(frameon=False)
    alt = (f"Pareto front over {mx['id']} and {my['id']}: " + ", ".join(result["front"])
           + f" non-dominated of {len(shown)} runs")
    return _svg(fig, alt)
