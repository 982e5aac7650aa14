"""Render an AuditReport as one self-contained HTML file (inline CSS and SVG; no scripts, no network).

The page reads top-down: verdict and scorecard, policy gates, one section per dimension (values,
what good looks like, breakdowns, plots), then gaps, warnings and run metadata.
"""
from __future__ import annotations

import re
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import escape

from synthaudit.report import plots
from synthaudit.report.explain import definition, plain_parts
from synthaudit.report.model import AuditReport

MAX_BREAKDOWN_ROWS = 200
#: a note longer than this is cut in the HTML (report.json keeps it whole)
MAX_NOTE_CHARS = 400


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


def fmt_note(v: Any) -> str:
    """A note's value for the folded details: long lists summarised, long text cut (report.json has it all)."""
    if isinstance(v, list) and len(v) > 5 and all(isinstance(x, dict) for x in v):
        text = f"{len(v)} entries, e.g. {fmt_value(v[0])}"
    else:
        text = fmt_value(v)
    if len(text) > MAX_NOTE_CHARS:
        text = text[:MAX_NOTE_CHARS - 1].rstrip() + "… (in full in report.json)"
    return text


#: plot spec kind -> drawing function (metric plots and modality figures alike)
DRAW = {"hist": plots.marginal_svg, "bars": plots.marginal_svg, "groups": plots.groups_svg,
        "curve": plots.curve_svg, "scatter": plots.scatter_svg, "heatmap": plots.heatmap_svg, "lines": plots.lines_svg}


def drawers(modality: str) -> dict[str, Any]:
    """The plot kinds a report of this modality can draw: the report's own (``DRAW``) and those the modality adds,
    a ``DRAW`` mapping (kind -> function(spec) -> SVG) in the module of its ``report_figures`` hook."""
    import inspect

    from synthaudit.modalities.registry import modalities

    found = modalities().get(modality)
    hook = found.hook("report_figures") if found is not None else None
    module = inspect.getmodule(hook) if hook is not None else None
    return {**getattr(module, "DRAW", {}), **DRAW}


_NUMBER_ATTRS = re.compile(r'\s(d|transform|points|x|y|x1|x2|y1|y2|width|height|viewBox)="[^"]*"')
_LONG_DECIMAL = re.compile(r"(\d\.\d{2})\d+")
_FONT_LIST = re.compile(r"font-family: ('[^';]+')(?:, '[^';]+')*, (sans-serif|serif|monospace|cursive|fantasy)")


def compact_svg(svg: str) -> str:
    """The same drawing in fewer bytes: no metadata, coordinates to 1/100 pt, no indentation, and each text's
    font list cut to matplotlib's font and the generic family (the browser draws the text either way)."""
    svg = re.sub(r"\s*<metadata>.*?</metadata>", "", svg, count=1, flags=re.S)
    svg = _NUMBER_ATTRS.sub(lambda m: _LONG_DECIMAL.sub(r"\1", re.sub(r"\s*\n\s*", " ", m.group(0))), svg)
    svg = _FONT_LIST.sub(r"font-family: \1, \2", svg)
    return re.sub(r">\s*\n\s*<", "><", svg)


#: a figure with a caption spans the width of the section (its panels are wide, its text is a sentence)
_WIDE = 'style="width: 62rem; max-width: calc(100vw - 7rem)"'


def draw_figure(spec: dict[str, Any], draw: dict[str, Any]) -> str | None:
    """One figure's HTML (None when its kind cannot be drawn). Beside the plot, a spec may carry a one-line
    ``caption`` (shown first), ``details`` (a longer explanation, folded under ``details_summary``) and ``fold``
    (a summary line: the figure itself is folded under it). A ``group`` spec holds ``items``, plot specs drawn
    side by side (e.g. one plot per column, folded), ``per_row`` of them in a row when given."""
    kind = spec.get("kind")
    if kind == "group":
        parts = [draw_figure(item, draw) for item in spec.get("items") or []]
        per_row = spec.get("per_row")
        style = "margin: 0" + (f"; width: calc((100% - {int(per_row) - 1} * .8rem) / {int(per_row)})"
                               if isinstance(per_row, int) and per_row > 0 else "")
        body = '<div class="figs">' + "".join(f'<figure style="{style}">{p}</figure>' for p in parts if p) + "</div>"
    elif kind in draw:
        body = compact_svg(draw[kind](spec))
    else:
        return None
    caption, details, fold = spec.get("caption"), spec.get("details"), spec.get("fold")
    if not (caption or details or fold):
        return body
    out = [f"<div {_WIDE}>"]
    if caption:
        out.append(f'<p class="lead">{escape(caption)}</p>')
    explained = f'<p class="muted">{escape(details)}</p>' if details else ""
    if fold:
        out.append(f"<details><summary>{escape(fold)}</summary>{explained}{body}</details>")
    else:
        if explained:
            out.append(f"<details><summary>{escape(spec.get('details_summary') or 'How to read it')}</summary>"
                       f"{explained}</details>")
        out.append(body)
    out.append("</div>")
    return "".join(out)


def _sections(report: AuditReport) -> list[dict[str, Any]]:
    out = []
    draw = drawers(report.modality)
    for row in report.scorecard:
        ms = [m for m in report.metrics if m.dimension == row.dimension]
        gaps = [g for g in report.gaps if g.dimension == row.dimension]
        specs = [f for f in report.figures if f.get("dimension") == row.dimension]
        specs += [p for m in ms for p in m.plots]
        figures = [f for f in (draw_figure(p, draw) for p in specs) if f is not None]
        out.append({"row": row, "metrics": ms, "gaps": gaps, "figures": figures})
    return out


def _env() -> Environment:
    env = Environment(loader=PackageLoader("synthaudit.report", "templates"),
                      autoescape=select_autoescape(["html", "j2"]), trim_blocks=True, lstrip_blocks=True)
    env.filters["v"] = fmt_value
    env.filters["note"] = fmt_note
    env.globals.update(plain=plain_parts, definition=definition)
    return env


def render_html(report: AuditReport, *, embedded: bool = False) -> str:
    failed_gates = [g for g in (report.policy.gates if report.policy else []) if not g.passed]
    failed_metrics = [m for m in report.metrics if m.status == "failed"]
    ctx = {
        "r": report, "sections": _sections(report), "coverage": report.coverage, "failed_gates": failed_gates,
        "failed_metrics": failed_metrics,
        "gap_kinds": _group_gaps(report), "embedded": embedded, "max_rows": MAX_BREAKDOWN_ROWS,
        "columns_of": lambda rows: list(dict.fromkeys(k for r in rows for k in r)),
    }
    return _env().get_template("report.html.j2").render(**ctx)


def _group_gaps(report: AuditReport) -> dict[str, list]:
    labels = {"missing_input": "Needs an input you did not give", "missing_model": "Needs a model backend",
              "not_applicable": "Nothing to measure in these data", "not_selected": "Not selected",
              "not_implemented": "Not implemented yet"}
    grouped: dict[str, list] = {}
    for g in report.gaps:
        grouped.setdefault(labels[g.kind], []).append(g)
    return grouped


def report_css() -> str:
    """The reports' stylesheet, for other pages that should look like them (the demo's index)."""
    import re
    from importlib import resources

    text = resources.files("synthaudit.report").joinpath("templates", "report.html.j2").read_text(encoding="utf-8")
    found = re.search(r"<style>(.*?)</style>", text, re.S)
    return found.group(1) if found else ""
