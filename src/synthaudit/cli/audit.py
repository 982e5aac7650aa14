"""``synthaudit audit <modality>``: one command per registered modality, its options from the options object."""
from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import Any, Optional

import typer
from rich.markup import escape
from rich.table import Table as RichTable

from synthaudit.cli.common import EXIT_GATES, EXIT_OK, _check_out_dir, _parse_params, _split, out_console, user_errors
from synthaudit.cli.options import command, model_params, option_param, option_value, param

audit_app = typer.Typer(help="Audit a synthetic data set against real data.", no_args_is_help=True)
#: missing-input gaps listed in the terminal summary (the rest are counted, and all are in report.html)
MAX_LISTED_GAPS = 6


def common_params() -> list:
    """Options every ``audit <modality>`` command shares (after the modality's own)."""
    return [
        param("policy", Optional[Path], None, "--policy", help="Gates YAML: metric id -> {min, max}."),
        param("metrics", Optional[str], None, "--metrics", help="Comma-separated metric ids to run."),
        param("dimensions", Optional[str], None, "--dimensions", help="Comma-separated dimensions to run."),
        param("seed", int, 0, "--seed", help="Seed for every random choice."),
        param("param", Optional[list[str]], None, "--param", help="Metric parameter, METRIC_ID.PARAM=VALUE."),
        param("fmt", Optional[str], None, "--format", help="Input format if the extension does not tell."),
        param("encoding", str, "utf-8", "--encoding", help="Text encoding of the input files."),
        param("stream", bool, False, "--stream", help="Stream files in batches (mergeable metrics)."),
        param("batch_size", int, 50_000, "--batch-size", min=1, help="Records (rows) per batch when streaming."),
        param("sample_size", int, 100_000, "--sample-size", min=0,
              help="Rows per streamed table that global metrics see (a seeded sample; 0 = every row)."),
        param("engine", str, "local", "--engine", help="local, or ray (shard states on a Ray cluster)."),
        param("ray_address", Optional[str], None, "--ray-address", help="Ray cluster to join (default: start one)."),
        param("workers", Optional[int], None, "--workers", min=1, help="Ray workers (default: one per CPU)."),
        param("checkpoint", Optional[Path], None, "--checkpoint",
              help="Folder for per-shard states (default: OUT/.synthaudit-checkpoint when streaming)."),
        param("no_checkpoint", bool, False, "--no-checkpoint", help="Keep no shard states (no resume)."),
        param("quiet", bool, False, "--quiet", "-q", help="No progress bar and no summary."),
    ]


def out_param(help: str = "Output directory for report.json and report.html."):
    return param("out", Path, ..., "--out", "-o", help=help)


def _short_good(m) -> str:
    """What good looks like, in a few characters: ↓ lower is better (best), ↑ higher, → target."""
    lo, _, hi = (m.range or "[,]")[1:-1].partition(",")
    if m.direction == "lower_better":
        return f"↓ best {lo}"
    if m.direction == "higher_better":
        return f"↑ best {hi.replace('inf', '∞')}"
    if m.direction == "target":
        return f"→ {m.target_value:g}"
    return "vs baseline"


def print_summary(report, out_dir: Optional[Path]) -> None:
    t = RichTable(title=f"synthaudit: {report.modality} audit", show_lines=False)
    ref = report.reference if report.reference and report.reference.get("available") else None
    cols = ("metric", "dimension", "value", *(("reference",) if ref else ()), "good", "time (s)", "CPU (s)")
    for col in cols:
        t.add_column(col, overflow="fold", no_wrap=col == "metric")
    for m in report.metrics:
        value = f"{m.value:.4g}" if m.value is not None else ("[red]failed[/]" if m.status == "failed" else "—")
        value += " †" if m.sample else ""
        refs = (f"{m.reference:.4g}" if m.reference is not None else "",) if ref else ()
        t.add_row(m.id, m.dimension, value, *refs,
                  escape(_short_good(m) if m.status == "ok" else (m.error or "")[:80]),
                  f"{m.wall_time_s:.2f}", "—" if m.cpu_time_s is None else f"{m.cpu_time_s:.2f}")
    for s in report.shared_time:  # model loading and shared features: no single metric's time
        t.add_row(f"[dim]shared: {escape(s['label'])}[/]", "", "", *(("",) if ref else ()), "",
                  f"{s['wall_s']:.2f}", f"{s['cpu_s']:.2f}")
    out_console.print(t)
    sampled = {role: s for m in report.metrics for role, s in (m.sample or {}).items()}
    if sampled:
        rows = ", ".join(f"{role} {s['rows']:,} of {s['of']:,}" for role, s in sampled.items())
        out_console.print(f"† on a seeded sample of rows ({rows}; --sample-size)", highlight=False)
    if report.run.execution:
        e = report.run.execution
        resumed = f", {e['resumed_shards']} resumed from the checkpoint" if e.get("resumed_shards") else ""
        out_console.print(f"engine: {e['engine']}, {e['workers']} worker(s), {e['shards']} shards{resumed}",
                          highlight=False)
    if report.reference:  # said once: what the reference column is, or why there is none
        note = report.reference["note"] + (f" ({report.reference['rows']} records)" if report.reference.get("rows")
                                           else "")
        out_console.print(escape(f"reference: {note}"), highlight=False)
    by_kind: dict[str, int] = {}
    for g in report.gaps:
        by_kind[g.kind] = by_kind.get(g.kind, 0) + 1
    if by_kind:
        out_console.print("gaps: " + ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in by_kind.items()))
    enable = [g for g in report.gaps if g.kind == "missing_input"]
    for g in enable[:MAX_LISTED_GAPS]:
        out_console.print(f"  [dim]{g.id}[/]: {escape(g.reason)} -> pass {escape(str(g.enable))}")
    if len(enable) > MAX_LISTED_GAPS:
        where = escape(str(out_dir / "report.html")) if out_dir is not None else "the report"
        out_console.print(f"  ... and {len(enable) - MAX_LISTED_GAPS} more: see the gaps section of {where}",
                          highlight=False)
    for w in report.warnings[:10]:
        out_console.print(f"[yellow]warning:[/] {escape(w)}", highlight=False)  # warnings quote user data
    if len(report.warnings) > 10:
        out_console.print(f"... and {len(report.warnings) - 10} more warnings in the report", highlight=False)
    if report.policy:
        for g in report.policy.gates:
            mark = "[green]pass[/]" if g.passed else "[bold red]FAIL[/]"
            out_console.print(f"gate {escape(g.gate)}: {mark} ({escape(g.reason)})", highlight=False)
    if out_dir is not None:
        out_console.print(escape(f"report: {out_dir / 'report.html'}  (data: {out_dir / 'report.json'})"),
                          highlight=False)


def run_audit(modality: str, out: Path, quiet: bool, metrics: Optional[str], dimensions: Optional[str],
              param: Optional[list[str]], **options: Any) -> None:
    """Shared body of the ``audit <modality>`` commands: checks, audit, summary, exit status."""
    from synthaudit.errors import UsageError

    with user_errors():
        if metrics and dimensions:
            raise UsageError("give --metrics or --dimensions, not both")
        if options.pop("no_checkpoint", False):
            if options.get("checkpoint") is not None:
                raise UsageError("give --checkpoint or --no-checkpoint, not both")
            options["checkpoint"] = False
        _check_out_dir(out)
        from synthaudit.audit.api import audit

        report = audit(modality, metrics=_split(metrics), dimensions=_split(dimensions), params=_parse_params(param),
                       out=out, progress=None if not quiet else False,
                       command="synthaudit " + " ".join(shlex.quote(a) for a in sys.argv[1:]), **options)
    if not quiet:
        print_summary(report, out)
    raise typer.Exit(EXIT_OK if report.passed else EXIT_GATES)


def audit_command(modality: Any):
    """The ``audit <name>`` command of a registered modality."""
    infos = modality.options()
    own = [option_param(i, required=i.name == "synthetic") for i in infos]
    params = [*own[:2], out_param(), *own[2:], *model_params(modality.model_options), *common_params()]

    def body(**values: Any) -> None:
        given = {i.name: values.pop(i.name) for i in infos}  # not given: the options object's default
        options = {i.name: option_value(i, v) for i in infos if (v := given[i.name]) is not None}
        if modality.model_options:
            options["models"] = {n: values.pop(n) for n in modality.model_options}
        run_audit(modality.name, values.pop("out"), values.pop("quiet"), values.pop("metrics"),
                  values.pop("dimensions"), values.pop("param"), **options, **values)

    return command(body, params, modality.summary, name=f"audit_{modality.name}")


def mount(app: typer.Typer) -> None:
    from synthaudit.modalities import modalities

    for modality in modalities().values():
        audit_app.command(modality.name)(audit_command(modality))
    app.add_typer(audit_app, name="audit")
