"""Commands of the curation loop (survey: generate -> evaluate -> filter -> refine): ``filter`` and ``pipeline``.
``filter`` takes the options of every modality that declares filter checks, from their options objects (each in
its own help panel); ``curate_app`` holds both for tests and for use on its own.
"""
from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any, Optional

import typer
from rich.markup import escape

from synthaudit.cli.common import EXIT_OK, _parse_params, _split, err_console, out_console, user_errors
from synthaudit.cli.options import command, given_options, model_params, option_param, param


def _fmt(value: Optional[float]) -> str:
    return "—" if value is None else f"{value:.4g}"


def _echo(text: str) -> None:
    err_console.print(escape(str(text)), highlight=False)


def union_options(modalities: list[Any], names_of) -> tuple[list[inspect.Parameter], dict[str, Any]]:
    """One Typer option per distinct option name of these modalities (``names_of(m)`` picks a modality's), in a
    help panel per modality; an option several modalities share says so in its help."""
    params: list[inspect.Parameter] = []
    infos: dict[str, Any] = {}
    owners: dict[str, list[str]] = {}
    for m in modalities:
        for info in m.options():
            if info.name in names_of(m):
                owners.setdefault(info.name, []).append(m.name)
                infos.setdefault(info.name, (info, m))
    for name, (info, m) in infos.items():
        shared = owners[name]
        text = info.help + (f" [{', '.join(shared)}]" if len(shared) > 1 else "")
        params.append(option_param(info, panel=f"{m.title} options" if len(shared) == 1 else "Options of several "
                                   "modalities", help=text))
    return params, {name: info for name, (info, _) in infos.items()}


def _filter_modalities() -> list[Any]:
    from synthaudit.modalities import modalities

    return [m for m in modalities().values() if m.filter is not None]


def _short_names() -> str:
    return "; ".join(f"{m.name}: {', '.join(m.filter.aliases)}" for m in _filter_modalities())


def filter_command():
    mods = _filter_modalities()
    own, infos = union_options(mods, lambda m: m.filter.options)
    models = list(dict.fromkeys(n for m in mods for n in m.model_options))
    params = [
        param("synthetic", Path, ..., "--synthetic", "-s", help="Records to filter (JSONL, JSON, CSV/TSV, Parquet; "
              "text also .txt, one record per line)."),
        param("out", Path, ..., "--out", "-o", help="Directory for kept.<ext>, rejected.<ext>, summary.json."),
        param("modality", str, "text", "--modality", "-m", help=f"{', '.join(m.name for m in mods)}."),
        param("checks", Optional[str], None, "--checks", help=f"Comma-separated checks: metric ids or short names "
              f"({_short_names()})."),
        param("max_", Optional[list[str]], None, "--max", help="Reject records scoring above: METRIC=VALUE."),
        param("min_", Optional[list[str]], None, "--min", help="Reject records scoring below: METRIC=VALUE."),
        *own, *model_params(models),
        param("param", Optional[list[str]], None, "--param", help="Metric parameter, METRIC_ID.PARAM=VALUE."),
        param("seed", int, 0, "--seed", help="Seed for every random choice."),
        param("fmt", Optional[str], None, "--format", help="Input format if the extension does not tell."),
        param("encoding", str, "utf-8", "--encoding", help="Text encoding of the input."),
        param("quiet", bool, False, "--quiet", "-q", help="No summary."),
    ]

    def body(*, synthetic: Path, out: Path, modality: str, checks: Optional[str], max_: Optional[list[str]],
             min_: Optional[list[str]], param: Optional[list[str]], seed: int, fmt: Optional[str], encoding: str,
             quiet: bool, **rest: Any) -> None:
        from synthaudit.generate.filter import filter_file, parse_bounds, resolve_checks

        with user_errors():
            chosen = resolve_checks(modality, _split(checks), parse_bounds(max_, "--max"),
                                    parse_bounds(min_, "--min"))
            options = given_options(infos, {n: rest.pop(n) for n in infos})
            result = filter_file(modality, synthetic, chosen, out, seed=seed, params=_parse_params(param),
                                 models=rest, fmt=fmt, encoding=encoding, **options)
        if not quiet:
            s = result.summary
            out_console.print(f"kept {s['kept']} of {s['records']} records, rejected {s['rejected']}, "
                              f"{s['unscored_kept']} kept unscored", highlight=False)
            for c in s["checks"]:
                out_console.print(escape(f"  {c['rule']}: rejected {c['rejected']}, unscored {c['unscored']}"),
                                  highlight=False)
            out_console.print(escape(f"wrote {result.paths['kept']}, {result.paths['rejected']}, "
                                     f"{result.paths['summary']}"), highlight=False)
        raise typer.Exit(EXIT_OK)

    return command(body, params, "Keep or reject each record by audit metrics' per-record scores (survey stage 3: "
                   "filter).", name="filter")


def pipeline_cmd(
    config: Path = typer.Argument(..., help="Pipeline config YAML (see docs/curation_loop.md)."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Output directory (default: the config's 'out')."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress lines."),
) -> None:
    """Generate, audit, filter and audit again; writes before/, after/ and comparison.json (survey section 5)."""
    from synthaudit.errors import UsageError
    from synthaudit.generate.pipeline import load_config, run_pipeline

    with user_errors():
        cfg = load_config(config)
        target = out or (Path(cfg["out"]) if cfg.get("out") else None)
        if target is None:
            raise UsageError("give --out or 'out' in the config", field="--out")
        comparison = run_pipeline(cfg, target, echo=(lambda _t: None) if quiet else _echo)
    if not quiet:
        r = comparison["records"]
        out_console.print(f"records: {r['before']} -> {r['after']} ({r['rejected']} rejected)", highlight=False)
        for row in comparison["metrics"]:
            out_console.print(escape(f"  {row['metric']}: {_fmt(row['before'])} -> {_fmt(row['after'])}"),
                              highlight=False)


def mount(app: typer.Typer) -> None:
    app.command("filter")(filter_command())
    app.command("pipeline")(pipeline_cmd)


curate_app = typer.Typer(help="The curation loop: filter, pipeline.", no_args_is_help=True,
                         add_completion=False, pretty_exceptions_enable=False)
mount(curate_app)
