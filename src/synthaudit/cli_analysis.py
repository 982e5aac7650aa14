"""``synthaudit gaps`` (survey section 8.1, Tables 2-7) and ``synthaudit pareto`` (section 8.3).

Mounted by ``cli.py``: ``app.command("gaps")(gaps_cmd)`` and ``app.command("pareto")(pareto_cmd)``.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.markup import escape
from rich.table import Table as RichTable

from synthaudit.cli_common import _split, out_console, user_errors

ReportsArg = Annotated[Optional[list[Path]], typer.Argument(help="report.json files (or their folders).",
                                                            show_default=False)]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]
LEGEND = "✓ measured · △ partial or on a sample · × not measured · — no catalog metric"


def _print_json(obj: Any) -> None:
    from synthaudit.report.model import jsonable

    sys.stdout.write(json.dumps(jsonable(obj), indent=2, ensure_ascii=False) + "\n")


def _marks_table(title: str, dims: list[str], rows: list[tuple[str, ...]], first: tuple[str, ...]) -> RichTable:
    t = RichTable(title=title, title_justify="left")
    for col in (*first, *dims):
        t.add_column(col, justify="left" if col in first else "center")
    for row in rows:
        t.add_row(*(escape(str(c)) for c in row))
    return t


def _load_all(reports: list[Path]) -> tuple[list[Any], list[str]]:
    from synthaudit.analysis import load_report, run_label, unique_labels

    return [load_report(p) for p in reports], unique_labels([run_label(p) for p in reports])


def gaps_cmd(
    reports: ReportsArg = None,
    compare_methods: Annotated[bool, typer.Option("--compare-methods", help="Show the survey's representative "
                                                  "methods of the same modality beside each run.")] = False,
    paper: Annotated[Optional[str], typer.Option("--paper", help="Dimensions a paper reported, e.g. "
                     "'validity,fidelity:partial,diversity'; scored against the survey's table.")] = None,
    modality: Annotated[Optional[str], typer.Option("--modality", help="Table for --paper when no report is "
                                                    "given (default: the reports' modality).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Coverage matrix of each run (✓/△/×) and the flags that would close its gaps (survey 8.1, Tables 2-7)."""
    from synthaudit.analysis import gaps
    from synthaudit.errors import UsageError

    with user_errors():
        paths = list(reports or [])
        if not paths and paper is None:
            raise UsageError("give at least one report.json (or --paper with --modality)", field="REPORT")
        loaded, labels = _load_all(paths)
        result: dict[str, Any] = {"legend": LEGEND, "matrix": gaps.coverage_matrix(loaded, labels),
                                  "close": {lbl: gaps.closing_flags(r) for lbl, r in zip(labels, loaded)}}
        if compare_methods:
            result["compare_methods"] = {lbl: gaps.compare_methods(r, label=lbl) for lbl, r in zip(labels, loaded)}
        if paper is not None:
            mods = list(dict.fromkeys([modality] if modality else [r.modality for r in loaded]))
            if not mods:
                raise UsageError("--paper needs a modality: give a report or --modality", field="--paper")
            result["paper"] = {m: gaps.score_paper(paper, m) for m in mods}
    if as_json:
        _print_json(result)
        return
    _print_gaps(result, loaded, labels)


def _print_gaps(result: dict[str, Any], loaded: list[Any], labels: list[str]) -> None:
    from synthaudit.analysis.gaps import NA, flag_lines
    from synthaudit.catalog import ALL_DIMENSIONS

    if loaded:
        dims = [d for d in ALL_DIMENSIONS if any(row["marks"][d] != NA for row in result["matrix"])]
        rows = [(row["label"], row["modality"], *(row["marks"][d] for d in dims)) for row in result["matrix"]]
        out_console.print(_marks_table(f"Coverage (survey 8.1): {LEGEND}", dims, rows, ("run", "modality")))
        for lbl, rep in zip(labels, loaded):
            lines = flag_lines(rep)
            out_console.print(escape(f"\nTo close the gaps of {lbl}:" if lines else f"\n{lbl}: no gap to close"),
                              highlight=False)
            for line in lines:
                out_console.print(escape(f"  {line}"), highlight=False, soft_wrap=True)
    for lbl, cmp in result.get("compare_methods", {}).items():
        rows = [(r["method"], r["source"], *r["marks"].values(), str(r["covered"])) for r in cmp["rows"]]
        title = f"\n{lbl} beside Table {cmp['table']} ({cmp['table_modality']})"
        out_console.print(_marks_table(title, [*cmp["dimensions"], "covered"], rows, ("method", "source")))
        if cmp["outside_table"]:
            out_console.print(escape("  also measured (not a column of the table): "
                                     + ", ".join(f"{d} {m}" for d, m in cmp["outside_table"].items())),
                              highlight=False)
    for score in result.get("paper", {}).values():
        p = score["paper"]
        rows = [("paper", *p["marks"].values(), str(p["covered"]))]
        rows += [(r["method"], *r["marks"].values(), str(r["covered"])) for r in score["methods"]]
        title = f"\nThe paper beside Table {score['table']} ({score['table_modality']})"
        out_console.print(_marks_table(title, [*score["dimensions"], "covered"], rows, ("method",)))
        n = len(score["dimensions"])
        text = (f"  covers {len(score['covers'])} of {n} dimensions; leaves out: "
                f"{', '.join(score['leaves_out']) or 'none'}; {score['methods_covering_fewer']} of "
                f"{len(score['methods'])} surveyed methods cover fewer")
        if score["outside_table"]:
            text += f"; also reported (not a column of the table): {', '.join(score['outside_table'])}"
        out_console.print(escape(text), highlight=False, soft_wrap=True)


def pareto_cmd(
    reports: Annotated[list[Path], typer.Argument(help="report.json files (or their folders), one per run.",
                                                  show_default=False)],
    metrics: Annotated[str, typer.Option("--metrics", help="Comma-separated metric ids, e.g. "
                                         "tabular.kst,tabular.tstr_auc.")],
    labels: Annotated[Optional[str], typer.Option("--labels", help="Comma-separated run names (default: the "
                                                  "report folders).")] = None,
    plot: Annotated[Optional[Path], typer.Option("--plot", help="Write an SVG of the front (two metrics).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Non-dominated runs over the chosen metrics, directions from the catalog (survey 8.3 trade-offs)."""
    from synthaudit.analysis import unique_labels
    from synthaudit.analysis.pareto import front_svg, objectives, pareto
    from synthaudit.errors import UsageError

    with user_errors():
        ids = _split(metrics) or []
        objectives(ids)  # unknown / report_only ids fail before any file is read
        if plot is not None and len(ids) != 2:
            raise UsageError(f"--plot draws two metrics; {len(ids)} given", field="--plot")
        loaded, names = _load_all(reports)
        if labels is not None:
            given = _split(labels) or []
            if len(given) != len(loaded):
                raise UsageError(f"{len(given)} labels for {len(loaded)} reports", field="--labels")
            names = unique_labels(given)
        result = pareto(loaded, names, ids)
        if plot is not None:
            plot.write_text(front_svg(result), encoding="utf-8")
            result["plot"] = str(plot)
    if as_json:
        _print_json({**result, "runs": [{k: v for k, v in r.items() if k != "costs"} for r in result["runs"]]})
        return
    t = RichTable(title=f"Pareto front (survey 8.3): {', '.join(names_of(result))}", title_justify="left")
    for col in ("run", *(f"{m['id']}\n({m['better']})" for m in result["metrics"]), "status", "why"):
        t.add_column(escape(col))
    for r in result["runs"]:
        vals = [("—" if r["values"][m["id"]] is None else f"{r['values'][m['id']]:.4g}") for m in result["metrics"]]
        why = (f"dominated by {', '.join(r['dominated_by'])}" if r["status"] == "dominated"
               else r["reason"] if r["status"] == "excluded"
               else f"tied with {', '.join(r['tied_with'])}" if r["tied_with"] else "")
        t.add_row(*(escape(str(c)) for c in (r["label"], *vals, r["status"], why)))
    out_console.print(t)
    if plot is not None:
        out_console.print(escape(f"plot: {plot}"), highlight=False)


def names_of(result: dict[str, Any]) -> list[str]:
    return result["front"] or ["no run has every metric"]
