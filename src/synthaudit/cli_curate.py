"""Commands of the curation loop (survey: generate -> evaluate -> filter -> refine): ``generate tabular``,
``filter`` and ``pipeline``. Plain functions, registered on the main app by ``synthaudit.cli``;
``curate_app`` holds all three for tests and for use on its own.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer
from rich.markup import escape

from synthaudit.cli_common import EXIT_OK, _parse_params, _split, err_console, out_console, user_errors


def _fmt(value: Optional[float]) -> str:
    return "—" if value is None else f"{value:.4g}"


def _echo(text: str) -> None:
    err_console.print(escape(str(text)), highlight=False)


def generate_tabular_cmd(
    real: Path = typer.Option(..., "--real", "-r", help="Real table to learn from (CSV/TSV, Parquet, JSONL, JSON)."),
    out: Path = typer.Option(..., "--out", "-o", help="Synthetic table to write (.csv, .tsv, .jsonl, .json, "
                             ".parquet)."),
    method: str = typer.Option("gaussian_copula", "--method", help="gaussian_copula, llm, or package.module:Class "
                               "(any class with fit(frame) and sample(n))."),
    n: int = typer.Option(1000, "--n", "-n", min=1, help="Rows to generate."),
    seed: int = typer.Option(0, "--seed", help="Seed for every random choice."),
    target: Optional[str] = typer.Option(None, "--target", help="Class column for class-conditional generation."),
    rare_boost: float = typer.Option(0.0, "--rare-boost", min=0.0, max=1.0, help="0 keeps the real class shares "
                                     "of --target, 1 balances the classes."),
    model: str = typer.Option("smollm2", "--model", help="LLM for --method llm: smollm2 (offline) or openai:MODEL."),
    base_url: Optional[str] = typer.Option(None, "--base-url", help="OpenAI-compatible endpoint for openai:MODEL."),
    k: int = typer.Option(8, "--k", min=0, help="LLM: real rows shown in each prompt."),
    rows_per_call: int = typer.Option(5, "--rows-per-call", min=1, help="LLM: rows asked for per call."),
    max_calls: Optional[int] = typer.Option(None, "--max-calls", min=1, help="LLM: call budget per class."),
    temperature: float = typer.Option(0.7, "--temperature", min=0.0, help="LLM sampling temperature."),
    max_tokens: int = typer.Option(1024, "--max-tokens", min=1, help="LLM: tokens per answer."),
    param: Optional[list[str]] = typer.Option(None, "--param", help="Constructor argument of a package.module:Class "
                                              "generator, NAME=VALUE (YAML value)."),
    na_values: Optional[str] = typer.Option(None, "--na-values", help="Comma-separated markers of a missing value."),
    fmt: Optional[str] = typer.Option(None, "--format", help="Format of --real if the extension does not tell."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No summary."),
) -> None:
    """Generate a synthetic table from a real one (survey section 4.1)."""
    import yaml

    from synthaudit.data.files import read_file
    from synthaudit.data.tabular import mask_na_values
    from synthaudit.errors import UsageError
    from synthaudit.generate.adapter import generate_tabular, make_generator, output_format, write_frame

    with user_errors():
        output_format(out)
        if out.exists() and real.exists() and out.resolve() == real.resolve():
            raise UsageError("--out would overwrite --real", file=str(out), field="--out")
        frame = read_file(real, fmt=fmt)
        if na_values:
            marks = frozenset(_split(na_values) or [])
            for c in frame.columns:
                if frame[c].dtype == object:
                    frame[c] = mask_na_values(frame[c], marks)
        params = {}
        for item in param or []:
            name, sep, raw = item.partition("=")
            if not sep or not name:
                raise UsageError(f"expected NAME=VALUE, got {item!r}", field="--param")
            params[name] = yaml.safe_load(raw)
        client = None
        if method == "llm":
            from synthaudit.models.llm import LLMClient

            if base_url and not model.startswith("openai:"):
                raise UsageError("--base-url needs --model openai:MODEL", field="--base-url")
            client = LLMClient(model=model, base_url=base_url)
            params.update(k=k, rows_per_call=rows_per_call, max_calls=max_calls, temperature=temperature,
                          max_tokens=max_tokens)
        generator = make_generator(method, seed=seed, target=target, rare_boost=rare_boost, client=client, **params)
        synthetic = generate_tabular(generator, frame, n, seed)
        write_frame(synthetic, out)
    if not quiet:
        out_console.print(escape(f"wrote {len(synthetic)} rows to {out}"), highlight=False)
        stats = getattr(generator, "stats", None)
        if stats is not None:
            out_console.print_json(json.dumps(stats.as_dict()))


def filter_cmd(
    synthetic: Path = typer.Option(..., "--synthetic", "-s", help="Records to filter (JSONL, JSON, CSV/TSV, "
                                   "Parquet; text also .txt, one record per line)."),
    out: Path = typer.Option(..., "--out", "-o", help="Directory for kept.<ext>, rejected.<ext>, summary.json."),
    modality: str = typer.Option("text", "--modality", "-m", help="text, tabular or dialogue."),
    checks: Optional[str] = typer.Option(None, "--checks", help="Comma-separated checks: metric ids or short names "
                                         "(text: exact_duplicate, near_duplicate, empty, truncation, encoding_noise, "
                                         "toxicity, gar, perplexity, ifeval; tabular: validity, dcr)."),
    max_: Optional[list[str]] = typer.Option(None, "--max", help="Reject records scoring above: METRIC=VALUE."),
    min_: Optional[list[str]] = typer.Option(None, "--min", help="Reject records scoring below: METRIC=VALUE."),
    field: Optional[str] = typer.Option(None, "--field", help="Text field (text; default 'text')."),
    prompt_field: Optional[str] = typer.Option(None, "--prompt-field", help="Prompt field (text)."),
    samples_field: Optional[str] = typer.Option(None, "--samples-field", help="Sampled continuations (text)."),
    real: Optional[Path] = typer.Option(None, "--real", "-r", help="Real data (tabular: training rows for dcr)."),
    holdout: Optional[Path] = typer.Option(None, "--holdout", help="Real rows never seen (tabular dcr)."),
    constraints: Optional[Path] = typer.Option(None, "--constraints", help="Validity constraints YAML (tabular)."),
    infer_constraints: bool = typer.Option(False, "--infer-constraints", help="Infer constraints from --real."),
    toxicity: Optional[str] = typer.Option(None, "--toxicity", help="Toxicity classifier (default: offline)."),
    lm: Optional[str] = typer.Option(None, "--lm", help="Causal LM (perplexity)."),
    param: Optional[list[str]] = typer.Option(None, "--param", help="Metric parameter, METRIC_ID.PARAM=VALUE."),
    seed: int = typer.Option(0, "--seed", help="Seed for every random choice."),
    fmt: Optional[str] = typer.Option(None, "--format", help="Input format if the extension does not tell."),
    encoding: str = typer.Option("utf-8", "--encoding", help="Text encoding of the input."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No summary."),
) -> None:
    """Keep or reject each record by audit metrics' per-record scores (survey stage 3: filter)."""
    from synthaudit.errors import UsageError
    from synthaudit.generate.filter import filter_file, parse_bounds, resolve_checks

    with user_errors():
        chosen = resolve_checks(modality, _split(checks), parse_bounds(max_, "--max"), parse_bounds(min_, "--min"))
        kw: dict = {}
        if modality == "text":
            kw.update(field=field, prompt_field=prompt_field, samples_field=samples_field)
        elif modality == "tabular":
            kw.update(real=real, holdout=holdout, constraints=constraints, infer_constraints=infer_constraints)
        elif field or prompt_field or samples_field:
            raise UsageError("--field/--prompt-field/--samples-field apply to --modality text")
        if modality != "tabular" and (real or holdout or constraints or infer_constraints):
            raise UsageError("--real/--holdout/--constraints/--infer-constraints apply to --modality tabular")
        result = filter_file(modality, synthetic, chosen, out, seed=seed, params=_parse_params(param),
                             models={"toxicity": toxicity, "lm": lm}, fmt=fmt, encoding=encoding, **kw)
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


curate_app = typer.Typer(help="The curation loop: generate, filter, pipeline.", no_args_is_help=True,
                         add_completion=False, pretty_exceptions_enable=False)
curate_app.command("generate-tabular")(generate_tabular_cmd)
curate_app.command("filter")(filter_cmd)
curate_app.command("pipeline")(pipeline_cmd)
