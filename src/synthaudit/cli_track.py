"""``synthaudit track``: audit generations of synthetic data for model collapse (survey section 8.1).

Mounted by ``cli.py``: ``app.command("track")(track_cmd)``.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.markup import escape
from rich.table import Table as RichTable

from synthaudit.cli_common import _check_out_dir, _split, out_console, user_errors


def track_cmd(
    generations: Annotated[list[Path], typer.Argument(help="Generations in order (gen0 first): data files or "
                                                      "report.json files of earlier audits.", show_default=False)],
    out: Annotated[Path, typer.Option("--out", help="Directory for track.json and track.html.")],
    real: Annotated[Optional[Path], typer.Option("--real", help="The real data every generation is compared "
                                                 "with (needed unless every generation is a report.json).")] = None,
    modality: Annotated[str, typer.Option("--modality", help="tabular or text.")] = "tabular",
    metrics: Annotated[Optional[str], typer.Option("--metrics", help="Comma-separated metric ids (default: "
                       "tabular: beta_recall, kst, tvd, alpha_precision; text: self_cos_sim, distinct_n).")] = None,
    thresholds: Annotated[Optional[Path], typer.Option("--thresholds", help="YAML: signature or series id -> "
                          "{drop, baseline: gen0|real, relative, consecutive, min_step}.")] = None,
    labels: Annotated[Optional[str], typer.Option("--labels", help="Comma-separated generation names "
                                                  "(default: gen0, gen1, ...).")] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of every audit and sample.")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print track.json instead of tables.")] = False,
) -> None:
    """Audit each generation against the same real data; warn on collapse signatures (survey 8.1)."""
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
        result = tr.track(generations, real=real, modality=modality, labels=names, metrics=_split(metrics),
                          thresholds=th, seed=seed)
        paths = tr.write(result, out)
    if as_json:
        from synthaudit.report.model import jsonable

        sys.stdout.write(json.dumps(jsonable(result), indent=2, ensure_ascii=False) + "\n")
        return
    _print(result, paths)


MAX_COLUMNS = 6  # generations in the terminal table (gen0 and the latest); track.json / track.html have all


def _fmt(v: Any) -> str:
    return "—" if v is None else f"{v:.3g}"


def _print(result: dict[str, Any], paths: dict[str, Path]) -> None:
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
        vals = [_fmt(s["values"][k]) for k in shown]
        if n > MAX_COLUMNS:
            vals.insert(1, "…")
        t.add_row(*(escape(c) for c in (f" {s['id']}", *vals, _fmt(s["real"]),
                                        _fmt(s["derivative"][-1]), w["label"] if w else "")))
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
