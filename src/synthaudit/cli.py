"""The command line: ``synthaudit audit|generate|filter|pipeline|gaps|pareto|track|metrics|report|demo``.

Exit status: 0 all good, 1 a policy gate failed, 2 a usage or input error (one message, no traceback).
"""
from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.markup import escape
from rich.table import Table as RichTable

from synthaudit.cli_common import (EXIT_GATES, EXIT_OK, EXIT_USAGE, _check_out_dir, _parse_params,  # noqa: F401
                                   _print_error, _split, err_console, out_console, user_errors)

app = typer.Typer(help="Audit synthetic data for quality and trust (LLM Data Auditor framework).",
                  no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
audit_app = typer.Typer(help="Audit a synthetic data set against real data.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")

# options shared by every ``audit <modality>`` command
OutOpt = Annotated[Path, typer.Option("--out", "-o", help="Output directory for report.json and report.html.")]
PolicyOpt = Annotated[Optional[Path], typer.Option("--policy", help="Gates YAML: metric id -> {min, max}.")]
MetricsOpt = Annotated[Optional[str], typer.Option("--metrics", help="Comma-separated metric ids to run.")]
DimensionsOpt = Annotated[Optional[str], typer.Option("--dimensions", help="Comma-separated dimensions to run.")]
SeedOpt = Annotated[int, typer.Option("--seed", help="Seed for every random choice.")]
ParamOpt = Annotated[Optional[list[str]], typer.Option("--param", help="Metric parameter, METRIC_ID.PARAM=VALUE.")]
FormatOpt = Annotated[Optional[str], typer.Option("--format", help="Input format if the extension does not tell.")]
EncodingOpt = Annotated[str, typer.Option("--encoding", help="Text encoding of the input files.")]
StreamOpt = Annotated[bool, typer.Option("--stream", help="Stream files in batches (mergeable metrics).")]
BatchOpt = Annotated[int, typer.Option("--batch-size", min=1, help="Records (rows) per batch when streaming.")]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar and no summary.")]
# model backends (text and dialogue): a Hugging Face id or local path replaces each offline default
EmbedderOpt = Annotated[Optional[str], typer.Option("--embedder", help="Sentence embedder (default: all-MiniLM-L6-v2, "
                                                    "shipped offline).")]
LMOpt = Annotated[Optional[str], typer.Option("--lm", help="Causal LM for log-probabilities (default: "
                                              "SmolLM2-135M-Instruct, shipped offline).")]
ToxicityOpt = Annotated[Optional[str], typer.Option("--toxicity", help="Toxicity classifier (default: "
                                                    "alt-profanity-check).")]
AcceptabilityOpt = Annotated[Optional[str], typer.Option("--acceptability", help="CoLA-style classifier (default: "
                                                         "LM shuffle preference with --lm).")]
NLIOpt = Annotated[Optional[str], typer.Option("--nli", help="NLI cross-encoder (default: few-shot entailment with "
                                               "--lm).")]
JudgeOpt = Annotated[Optional[str], typer.Option("--judge", help="LLM judge: a local model, or openai:MODEL with "
                                                 "--base-url (key from $OPENAI_API_KEY).")]
BaseUrlOpt = Annotated[Optional[str], typer.Option("--base-url", help="OpenAI-compatible endpoint for --judge "
                                                   "openai:MODEL (vLLM, Ollama, llama.cpp server, OpenAI).")]


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
    for col in ("metric", "dimension", "value", "good", "time (s)"):
        t.add_column(col, overflow="fold", no_wrap=col == "metric")
    for m in report.metrics:
        value = f"{m.value:.4g}" if m.value is not None else ("[red]failed[/]" if m.status == "failed" else "—")
        t.add_row(m.id, m.dimension, value, escape(_short_good(m) if m.status == "ok" else (m.error or "")[:80]),
                  f"{m.wall_time_s:.2f}")
    out_console.print(t)
    by_kind: dict[str, int] = {}
    for g in report.gaps:
        by_kind[g.kind] = by_kind.get(g.kind, 0) + 1
    if by_kind:
        out_console.print("gaps: " + ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in by_kind.items()))
    enable = [g for g in report.gaps if g.kind == "missing_input"]
    for g in enable[:6]:
        out_console.print(f"  [dim]{g.id}[/]: {escape(g.reason)} -> pass {escape(str(g.enable))}")
    for w in report.warnings[:10]:
        out_console.print(f"[yellow]warning:[/] {escape(w)}", highlight=False)  # warnings quote user data
    if report.policy:
        for g in report.policy.gates:
            mark = "[green]pass[/]" if g.passed else "[bold red]FAIL[/]"
            out_console.print(f"gate {escape(g.gate)}: {mark} ({escape(g.reason)})", highlight=False)
    if out_dir is not None:
        out_console.print(escape(f"report: {out_dir / 'report.html'}  (data: {out_dir / 'report.json'})"),
                          highlight=False)


def _run_audit(modality: str, out: Path, quiet: bool, metrics: Optional[str], dimensions: Optional[str],
               param: Optional[list[str]], **options) -> None:
    """Shared body of the ``audit <modality>`` commands: checks, audit, summary, exit status."""
    from synthaudit.errors import UsageError

    with user_errors():
        if metrics and dimensions:
            raise UsageError("give --metrics or --dimensions, not both")
        _check_out_dir(out)
        from synthaudit.audit.api import audit

        report = audit(modality, metrics=_split(metrics), dimensions=_split(dimensions), params=_parse_params(param),
                       out=out, progress=None if not quiet else False,
                       command="synthaudit " + " ".join(shlex.quote(a) for a in sys.argv[1:]), **options)
    if not quiet:
        print_summary(report, out)
    raise typer.Exit(EXIT_OK if report.passed else EXIT_GATES)


@audit_app.command("tabular")
def audit_tabular(
    synthetic: Path = typer.Option(..., "--synthetic", "-s", help="Synthetic table (CSV/TSV, Parquet, JSONL, JSON)."),
    real: Optional[Path] = typer.Option(None, "--real", "-r", help="Real table the generator learned from."),
    out: OutOpt = ...,
    holdout: Optional[Path] = typer.Option(None, "--holdout", help="Real rows the generator never saw."),
    target: Optional[str] = typer.Option(None, "--target", help="Label column (utility, fairness)."),
    protected: Optional[str] = typer.Option(None, "--protected", help="Protected-attribute column (fairness)."),
    sensitive: Optional[str] = typer.Option(None, "--sensitive", help="Column an attribute-inference attack targets "
                                            "(default: --protected)."),
    schema: Optional[Path] = typer.Option(None, "--schema", help="Table spec YAML: column types, ignore, constraints."),
    constraints: Optional[Path] = typer.Option(None, "--constraints", help="Validity constraints YAML."),
    infer_constraints: bool = typer.Option(False, "--infer-constraints", help="Infer validity constraints from the "
                                           "real table."),
    generator_meta: Optional[Path] = typer.Option(None, "--generator-meta", help="Generator metadata JSON/YAML "
                                                  "(e.g. DP epsilon, delta)."),
    policy: PolicyOpt = None,
    metrics: MetricsOpt = None,
    dimensions: DimensionsOpt = None,
    seed: SeedOpt = 0,
    param: ParamOpt = None,
    fmt: FormatOpt = None,
    delimiter: Optional[str] = typer.Option(None, "--delimiter", help="CSV delimiter (default: detected)."),
    na_values: Optional[str] = typer.Option(None, "--na-values", help="Comma-separated text markers of a missing "
                                            "value, e.g. '?' (empty cells, NA and NaN always are)."),
    encoding: EncodingOpt = "utf-8",
    stream: StreamOpt = False,
    batch_size: BatchOpt = 50_000,
    quiet: QuietOpt = False,
) -> None:
    """Audit a synthetic table: validity, fidelity, diversity, utility, privacy, fairness (survey section 4)."""
    _run_audit("tabular", out, quiet, metrics, dimensions, param, synthetic=synthetic, real=real, holdout=holdout,
               target=target, protected=protected, sensitive=sensitive, schema=schema, constraints=constraints,
               infer_constraints=infer_constraints, generator_meta=generator_meta, policy=policy, seed=seed,
               stream=stream, batch_size=batch_size, fmt=fmt, delimiter=delimiter, encoding=encoding,
               na_values=_split(na_values))


@audit_app.command("text")
def audit_text(
    synthetic: Path = typer.Option(..., "--synthetic", "-s", help="Generated records (JSONL, JSON, CSV, Parquet, or "
                                   ".txt with one record per line)."),
    out: OutOpt = ...,
    real: Optional[Path] = typer.Option(None, "--real", "-r", help="Real records to compare with."),
    field: Optional[str] = typer.Option(None, "--field", help="Field holding the text (default: 'text')."),
    prompt_field: Optional[str] = typer.Option(None, "--prompt-field", help="Field holding the prompt."),
    reference_field: Optional[str] = typer.Option(None, "--reference-field", help="Field holding the reference "
                                                  "(e.g. the original a revision should preserve)."),
    evidence_field: Optional[str] = typer.Option(None, "--evidence-field", help="Field holding evidence snippets "
                                                 "(a list of strings, or gold evidence ids)."),
    samples_field: Optional[str] = typer.Option(None, "--samples-field", help="Field holding the K sampled "
                                                "continuations of the prompt (a list of strings)."),
    human_field: Optional[str] = typer.Option(None, "--human-field", help="Field holding human judgments, e.g. "
                                              "{\"ais\": [1, 0], \"intent\": 1}."),
    rules: Optional[Path] = typer.Option(None, "--rules", help="IFEval-style verifiable instructions (JSONL with "
                                         "prompt, instruction_id_list, kwargs), joined on the prompt."),
    embedder: EmbedderOpt = None,
    lm: LMOpt = None,
    toxicity: ToxicityOpt = None,
    acceptability: AcceptabilityOpt = None,
    nli: NLIOpt = None,
    judge: JudgeOpt = None,
    base_url: BaseUrlOpt = None,
    policy: PolicyOpt = None,
    metrics: MetricsOpt = None,
    dimensions: DimensionsOpt = None,
    seed: SeedOpt = 0,
    param: ParamOpt = None,
    fmt: FormatOpt = None,
    encoding: EncodingOpt = "utf-8",
    stream: StreamOpt = False,
    batch_size: BatchOpt = 50_000,
    quiet: QuietOpt = False,
) -> None:
    """Audit generated text (survey section 2): validity, fidelity, diversity, faithfulness and safety, with offline
    models by default (each replaceable by a Hugging Face id, a local path or an OpenAI-compatible endpoint)."""
    _run_audit("text", out, quiet, metrics, dimensions, param, synthetic=synthetic, real=real, field=field,
               prompt_field=prompt_field, reference_field=reference_field, evidence_field=evidence_field,
               samples_field=samples_field, human_field=human_field, rules=rules, policy=policy, seed=seed,
               stream=stream, batch_size=batch_size, fmt=fmt, encoding=encoding,
               models=dict(embedder=embedder, lm=lm, toxicity=toxicity, acceptability=acceptability, nli=nli,
                           judge=judge, base_url=base_url))


@audit_app.command("dialogue")
def audit_dialogue(
    synthetic: Path = typer.Option(..., "--synthetic", "-s", help="Generated dialogues, one record per dialogue "
                                   "(JSONL, JSON, CSV with JSON-encoded turns, Parquet)."),
    out: OutOpt = ...,
    real: Optional[Path] = typer.Option(None, "--real", "-r", help="Real dialogues (trains RUBER's relatedness "
                                        "scorer; compared with)."),
    turns_field: Optional[str] = typer.Option(None, "--turns-field", help="Field holding the list of turns "
                                              "(default: turns, messages or conversation)."),
    role_field: Optional[str] = typer.Option(None, "--role-field", help="Key of a turn's role (default: role or "
                                             "speaker)."),
    content_field: Optional[str] = typer.Option(None, "--content-field", help="Key of a turn's text (default: "
                                                "content, utterance or text)."),
    user_roles: Optional[str] = typer.Option(None, "--user-roles", help="Comma-separated role names of the user."),
    assistant_roles: Optional[str] = typer.Option(None, "--assistant-roles", help="Comma-separated role names of "
                                                  "the assistant."),
    reference_field: Optional[str] = typer.Option(None, "--reference-field", help="Field holding reference replies."),
    evidence_field: Optional[str] = typer.Option(None, "--evidence-field", help="Field holding the grounding "
                                                 "document / knowledge."),
    human_field: Optional[str] = typer.Option(None, "--human-field", help="Field holding human overall ratings "
                                              "(USR's regression)."),
    embedder: EmbedderOpt = None,
    lm: LMOpt = None,
    toxicity: ToxicityOpt = None,
    acceptability: AcceptabilityOpt = None,
    judge: JudgeOpt = None,
    base_url: BaseUrlOpt = None,
    policy: PolicyOpt = None,
    metrics: MetricsOpt = None,
    dimensions: DimensionsOpt = None,
    seed: SeedOpt = 0,
    param: ParamOpt = None,
    fmt: FormatOpt = None,
    encoding: EncodingOpt = "utf-8",
    stream: StreamOpt = False,
    batch_size: BatchOpt = 50_000,
    quiet: QuietOpt = False,
) -> None:
    """Audit generated dialogues (survey sections 2.2-2.3): USL-H, RUBER, USR, PMI-FAITH, TSG, NT2T."""
    _run_audit("dialogue", out, quiet, metrics, dimensions, param, synthetic=synthetic, real=real,
               turns_field=turns_field, role_field=role_field, content_field=content_field,
               user_roles=_split(user_roles), assistant_roles=_split(assistant_roles),
               reference_field=reference_field, evidence_field=evidence_field, human_field=human_field,
               policy=policy, seed=seed, stream=stream, batch_size=batch_size, fmt=fmt, encoding=encoding,
               models=dict(embedder=embedder, lm=lm, toxicity=toxicity, acceptability=acceptability, judge=judge,
                           base_url=base_url))


@app.command("metrics")
def metrics_cmd(
    modality: Optional[str] = typer.Option(None, "--modality", "-m", help="Only this modality."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON (one object per catalog entry)."),
) -> None:
    """List the whole metric catalog with which metrics are implemented."""
    from synthaudit.catalog import MODALITIES
    from synthaudit.errors import UsageError
    from synthaudit.metrics.registry import all_metrics, metric_entries

    with user_errors():
        if modality and modality not in MODALITIES:
            raise UsageError(f"unknown modality {modality!r}; expected one of {', '.join(MODALITIES)}",
                             field="--modality")
    implemented = all_metrics()
    rows = [{"id": e["id"], "name": e["name"], "modality": e["modality"], "pillar": e["pillar"],
             "dimension": e["dimension"], "section": e["section"], "direction": e["direction"],
             "computation": e["computation"], "inputs": e["inputs"], "implemented": e["id"] in implemented,
             "extension": bool(e.get("extension"))}
            for e in metric_entries().values() if not modality or e["modality"] == modality]
    if as_json:
        typer.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    t = RichTable(title=f"metric catalog ({sum(r['implemented'] for r in rows)} of {len(rows)} implemented)")
    for col in ("id", "dimension", "§", "direction", "implemented"):
        t.add_column(col)
    for r in rows:
        t.add_row(r["id"], r["dimension"], r["section"], r["direction"], "yes" if r["implemented"] else "—")
    out_console.print(t)


@app.command("report")
def report_cmd(
    report_json: Path = typer.Argument(..., help="A report.json written by `synthaudit audit`."),
    html: Optional[Path] = typer.Option(None, "--html", help="Where to write the HTML (default: beside the JSON)."),
) -> None:
    """Re-render report.html from a report.json."""
    from synthaudit.errors import InputError
    from synthaudit.report.html import render_html
    from synthaudit.report.model import AuditReport

    with user_errors():
        if not report_json.exists():
            raise InputError("file not found", file=str(report_json))
        try:
            report = AuditReport.from_json(report_json.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError) as exc:
            raise InputError(f"not a synthaudit report ({str(exc).splitlines()[0]})", file=str(report_json)) from None
        target = html or report_json.with_suffix(".html")
        target.write_text(render_html(report), encoding="utf-8")
    out_console.print(escape(f"report: {target}"), highlight=False)


@app.command("demo")
def demo_cmd(
    out: Path = typer.Option(Path("synthaudit-demo"), "--out", "-o", help="Output directory."),
    seed: int = typer.Option(0, "--seed", help="Seed for the split, the generator and the audit."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
    modalities: str = typer.Option("tabular,text,dialogue", "--modalities", help="Which parts of the tour to run "
                                   "(tabular always runs)."),
) -> None:
    """Offline tour: generate and audit one small data set per modality (scikit-learn data with the copula and
    SmolLM2 rows; SmolLM2 text and dialogues); writes one report per modality and an index page."""
    from synthaudit.demo import run_demo
    from synthaudit.errors import UsageError

    with user_errors():
        _check_out_dir(out)
        chosen = tuple(_split(modalities) or ())
        unknown = sorted(set(chosen) - {"tabular", "text", "dialogue"})
        if unknown:
            raise UsageError(f"unknown part(s) {', '.join(unknown)}; expected tabular, text, dialogue",
                             field="--modalities")
        report, paths = run_demo(out, seed=seed, progress=None if not quiet else False, modalities=chosen,
                                 echo=lambda text: out_console.print(escape(str(text)), highlight=False))
    print_summary(report, out)
    out_console.print(escape(f"every report of the tour: {paths['index']}"), highlight=False)


def _mount_generation() -> None:
    """``synthaudit generate text|tabular``, ``filter`` and ``pipeline`` (survey stage 1 and data usage)."""
    from synthaudit.cli_curate import filter_cmd, generate_tabular_cmd, pipeline_cmd
    from synthaudit.cli_generate import generate_app

    generate_app.command("tabular")(generate_tabular_cmd)
    app.add_typer(generate_app, name="generate")
    app.command("filter")(filter_cmd)
    app.command("pipeline")(pipeline_cmd)
    from synthaudit.cli_analysis import gaps_cmd, pareto_cmd  # survey stage 4 and section 8.3

    app.command("gaps")(gaps_cmd)
    app.command("pareto")(pareto_cmd)
    from synthaudit.cli_track import track_cmd  # survey section 8.1: model collapse over generations

    app.command("track")(track_cmd)


_mount_generation()


def main() -> None:
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
