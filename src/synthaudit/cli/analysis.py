"""Commands over audits: ``synthaudit gaps`` (survey section 8.1, Tables 2-7), ``synthaudit pareto`` (section
8.3) and ``synthaudit track`` (section 8.1: model collapse over generations).
"""
from __future__ import annotations

import inspect
import json
import sys
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.markup import escape
from rich.table import Table as RichTable

from synthaudit.cli.common import _check_out_dir, _split, err_console, out_console, user_errors
from synthaudit.cli.options import command, given_options, param

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
        for w in result["warnings"]:  # also on stderr: JSON readers may not look for them
            err_console.print(f"[yellow]warning:[/] {escape(w)}", highlight=False)
        return
    for w in result["warnings"]:
        out_console.print(f"[bold yellow]warning:[/] {escape(w)}", highlight=False)
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


def track_command():
    """``track``: the options of every modality with a track declaration (its audit options, from the options
    object), each in the modality's help panel."""
    from synthaudit.cli.curate import union_options
    from synthaudit.modalities import modalities

    mods = [m for m in modalities().values() if m.track is not None]
    own, infos = union_options(mods, lambda m: [n for n in m.inputs.option_names() if n not in ("synthetic",
                                                                                                 "real")])
    generations = inspect.Parameter(
        "generations", inspect.Parameter.KEYWORD_ONLY, annotation=list[Path],
        default=typer.Argument(..., help="Generations in order (gen0 first): data files or report.json files of "
                               "earlier audits.", show_default=False))
    params = [
        generations,
        param("out", Path, ..., "--out", help="Directory for track.json and track.html."),
        param("real", Optional[Path], None, "--real", help="The real data every generation is compared with "
              "(needed unless every generation is a report.json)."),
        param("modality", str, "tabular", "--modality", help=f"{', '.join(m.name for m in mods)}."),
        param("metrics", Optional[str], None, "--metrics", help="Comma-separated metric ids (default: " + "; ".join(
            f"{m.name}: {', '.join(i.split('.', 1)[1] for i in m.track.metrics)}" for m in mods) + ")."),
        param("thresholds", Optional[Path], None, "--thresholds", help="YAML: signature or series id -> {drop, "
              "baseline: gen0|real, relative, consecutive, min_step}."),
        param("labels", Optional[str], None, "--labels", help="Comma-separated generation names (default: gen0, "
              "gen1, ...)."),
        param("seed", int, 0, "--seed", help="Seed of every audit and sample."),
        param("as_json", bool, False, "--json", help="Print track.json instead of tables."),
        *own,
    ]

    def body(*, generations: list[Path], out: Path, real: Optional[Path], modality: str, metrics: Optional[str],
             thresholds: Optional[Path], labels: Optional[str], seed: int, as_json: bool, **rest: Any) -> None:
        from synthaudit.analysis import track as tr
        from synthaudit.data.files import read_yaml_file
        from synthaudit.errors import InputError, UsageError

        with user_errors():
            _check_out_dir(out)
            for path in [*generations, *([real] if real is not None else [])]:
                if not path.exists():
                    raise InputError("file not found", file=str(path))
            if real is None and not all(tr.is_report(p) for p in generations):
                raise UsageError("--real is needed to audit data files", field="--real")
            if real is not None and tr.is_report(real):
                raise UsageError("--real expects the real data, not a report.json", file=str(real), field="--real")
            names = _split(labels) or [f"gen{k}" for k in range(len(generations))]
            if len(names) != len(generations):
                raise UsageError(f"{len(names)} labels for {len(generations)} generations", field="--labels")
            if len(set(names)) != len(names):
                raise UsageError("a label is given twice", field="--labels")
            th = tr.parse_thresholds(read_yaml_file(thresholds, InputError, "a thresholds YAML file"),
                                     str(thresholds)) if thresholds is not None else None
            options = given_options(infos, rest)
            result = tr.track(generations, real=real, modality=modality, labels=names, metrics=_split(metrics),
                              thresholds=th, seed=seed, audit_kwargs=options, progress=None)
            paths = tr.write(result, out)
        if as_json:
            from synthaudit.report.model import jsonable

            sys.stdout.write(json.dumps(jsonable(result), indent=2, ensure_ascii=False) + "\n")
            return
        _print_track(result, paths)

    return command(body, params, "Audit each generation against the same real data; warn on collapse signatures "
                   "(survey 8.1).", name="track")


MAX_COLUMNS = 6  # generations in the terminal table (gen0 and the latest); track.json / track.html have all


def _fmt3(v: Any) -> str:
    return "—" if v is None else f"{v:.3g}"


def _print_track(result: dict[str, Any], paths: dict[str, Path]) -> None:
    labels = result["generations"]
    first = {w["series"]: w for w in result["warnings"]}
    t = RichTable(title="Collapse signatures over generations (survey 8.1)", title_justify="left")
    t.add_column("series", no_wrap=True)
    n = len(labels)
    shown = list(range(n)) if n <= MAX_COLUMNS else [0, *range(n - MAX_COLUMNS + 1, n)]
    cols = [labels[k] for k in shown]
    if n > MAX_COLUMNS:
        cols.insert(1, "…")
    for col in (*cols, "real", "Δ last"):
        t.add_column(escape(col), justify="right")
    t.add_column("warns at")
    group = None
    for s in result["series"]:
        if s["signature"] != group:
            group = s["signature"]
            t.add_row(f"[bold]{escape(group.replace('_', ' '))}[/]", end_section=False)
        w = first.get(s["id"])
        vals = [_fmt3(s["values"][k]) for k in shown]
        if n > MAX_COLUMNS:
            vals.insert(1, "…")
        t.add_row(*(escape(c) for c in (f" {s['id']}", *vals, _fmt3(s["real"]),
                                        _fmt3(s["derivative"][-1]), w["label"] if w else "")))
    out_console.print(t)
    if n > MAX_COLUMNS:
        out_console.print(escape(f"{n - len(shown)} middle generations elided; every one is in track.html"),
                          highlight=False)
    if result["warnings"]:
        out_console.print("\n[bold]Warnings[/]")
        for w in result["warnings"]:
            out_console.print(escape(f"  {w['message']}"), highlight=False, soft_wrap=True)
    else:
        out_console.print("\nno collapse signature fired")
    out_console.print(escape(f"track: {paths['json']} · {paths['html']}"), highlight=False)


def mount(app: typer.Typer) -> None:
    app.command("gaps")(gaps_cmd)
    app.command("pareto")(pareto_cmd)
    app.command("track")(track_command())
