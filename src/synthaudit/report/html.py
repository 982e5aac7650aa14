"""Render an AuditReport as one self-contained HTML file (inline CSS and SVG; no scripts, no network).

The page reads top-down: verdict and scorecard, policy gates, one section per dimension (values,
what good looks like, breakdowns, plots), then gaps, warnings and run metadata.
"""
from __future__ import annotations

from typing import Any

import numpy as np
from jinja2 import Environment, PackageLoader, select_autoescape

from synthaudit.report import plots
from synthaudit.report.model import AuditReport, MetricEntry

MAX_BREAKDOWN_ROWS = 200


def fmt_value(v: Any) -> str:
    if v is None:
        return "—"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        if v == 0:
            return "0"
        if abs(v) >= 1e5 or abs(v) < 1e-3:
            return f"{v:.3e}"
        return f"{v:.4f}".rstrip("0").rstrip(".") if abs(v) < 100 else f"{v:,.2f}"
    if isinstance(v, (list, tuple)):
        return ", ".join(fmt_value(x) for x in v)
    if isinstance(v, dict):
        return "; ".join(f"{k}: {fmt_value(x)}" for k, x in v.items())
    return str(v)


def pair_matrix(metrics: list[MetricEntry]) -> tuple[list[str], np.ndarray] | None:
    """One column x column matrix from every breakdown with column_1/column_2/value rows."""
    rows = [(r["column_1"], r["column_2"], r.get("value")) for m in metrics if m.status == "ok"
            for r in m.breakdown if "column_1" in r and "column_2" in r]
    if not rows:
        return None
    cols = list(dict.fromkeys([c for a, b, _ in rows for c in (a, b)]))
    index = {c: i for i, c in enumerate(cols)}
    mat = np.full((len(cols), len(cols)), np.nan)
    for a, b, v in rows:
        if v is not None:
            mat[index[a], index[b]] = mat[index[b], index[a]] = v
    return cols, mat


def _sections(report: AuditReport) -> list[dict[str, Any]]:
    out = []
    for row in report.scorecard:
        ms = [m for m in report.metrics if m.dimension == row.dimension]
        gaps = [g for g in report.gaps if g.dimension == row.dimension]
        figures = []
        for m in ms:
            for p in m.plots:
                if p.get("kind") in ("hist", "bars"):
                    figures.append(plots.marginal_svg(p))
                elif p.get("kind") == "groups":
                    figures.append(plots.groups_svg(p))
                elif p.get("kind") == "curve":
                    figures.append(plots.curve_svg(p))
                elif p.get("kind") == "scatter":
                    figures.append(plots.scatter_svg(p))
        if row.dimension == "fidelity":
            pm = pair_matrix(ms)
            if pm is not None and len(pm[0]) >= 2:
                figures.insert(0, plots.pair_heatmap_svg(pm[0], pm[1], "Pairwise differences "
                                                          "(|Δρ|/2 for numerical pairs, contingency TVD otherwise)"))
        out.append({"row": row, "metrics": ms, "gaps": gaps, "figures": figures})
    return out


def _env() -> Environment:
    env = Environment(loader=PackageLoader("synthaudit.report", "templates"),
                      autoescape=select_autoescape(["html", "j2"]), trim_blocks=True, lstrip_blocks=True)
    env.filters["v"] = fmt_value
    return env


def render_html(report: AuditReport, *, embedded: bool = False) -> str:
    failed_gates = [g for g in (report.policy.gates if report.policy else []) if not g.passed]
    failed_metrics = [m for m in report.metrics if m.status == "failed"]
    ctx = {
        "r": report, "sections": _sections(report), "coverage": _coverage(report), "failed_gates": failed_gates,
        "failed_metrics": failed_metrics,
        "gap_kinds": _group_gaps(report), "embedded": embedded, "max_rows": MAX_BREAKDOWN_ROWS,
        "columns_of": lambda rows: list(dict.fromkeys(k for r in rows for k in r)),
    }
    return _env().get_template("report.html.j2").render(**ctx)


def _coverage(report: AuditReport) -> dict[str, Any] | None:
    """This audit's coverage marks beside the survey's representative methods (Tables 2-7), when the survey
    has a table for the modality; else this audit's marks alone."""
    from synthaudit.analysis.gaps import MODALITY_TABLE, compare_methods, marks

    if report.modality in MODALITY_TABLE:
        return compare_methods(report)
    own = {d: m for d, m in marks(report).items() if m != "—"}
    return {"table": None, "caption": "Coverage of this audit", "dimensions": list(own),
            "rows": [{"method": "this audit", "citation": None, "marks": own, "source": "audit",
                      "covered": sum(m in ("✓", "△") for m in own.values())}], "outside_table": {}}


def _group_gaps(report: AuditReport) -> dict[str, list]:
    labels = {"missing_input": "Needs an input you did not give", "missing_model": "Needs a model backend",
              "not_applicable": "Nothing to measure in these data", "not_selected": "Not selected",
              "not_implemented": "Not implemented yet"}
    grouped: dict[str, list] = {}
    for g in report.gaps:
        grouped.setdefault(labels[g.kind], []).append(g)
    return grouped
