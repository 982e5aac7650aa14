"""``synthaudit metrics`` (the catalog, with what is implemented) and ``synthaudit report`` (re-render HTML)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer
from rich.markup import escape
from rich.table import Table as RichTable

from synthaudit.cli.common import out_console, user_errors


def metrics_cmd(
    modality: Optional[str] = typer.Option(None, "--modality", "-m", help="Only this modality."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON (one object per catalog entry)."),
) -> None:
    """List the whole metric catalog with which metrics are implemented."""
    from synthaudit.errors import UsageError
    from synthaudit.metrics.index import listing
    from synthaudit.modalities.registry import known_modalities

    with user_errors():
        if modality and modality not in known_modalities():
            raise UsageError(f"unknown modality {modality!r}; expected one of {', '.join(known_modalities())}",
                             field="--modality")
    rows = listing(modality)  # the static index: no metric package is imported for the built-in modalities
    if as_json:
        typer.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    t = RichTable(title=f"metric catalog ({sum(r['implemented'] for r in rows)} of {len(rows)} implemented)")
    for col in ("id", "dimension", "§", "direction", "implemented"):
        t.add_column(col)
    for r in rows:
        t.add_row(r["id"], r["dimension"], r["section"], r["direction"], "yes" if r["implemented"] else "—")
    out_console.print(t)


def report_cmd(
    report_json: Path = typer.Argument(..., help="A report.json written by `synthaudit audit`."),
    html: Optional[Path] = typer.Option(None, "--html", help="Where to write the HTML (default: beside the JSON)."),
) -> None:
    """Re-render report.html from a report.json."""
    from synthaudit.analysis import load_report, report_path
    from synthaudit.audit.assemble import add_views
    from synthaudit.report.html import render_html

    with user_errors():
        report = load_report(report_json)  # the reader of gaps, pareto and track: the same checks and errors
        add_views(report)  # figures and coverage of a report.json written before they were stored
        target = html or report_path(report_json).with_suffix(".html")
        target.write_text(render_html(report), encoding="utf-8")
    out_console.print(escape(f"report: {target}"), highlight=False)


def mount(app: typer.Typer) -> None:
    app.command("metrics")(metrics_cmd)
    app.command("report")(report_cmd)
