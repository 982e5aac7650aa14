"""``synthaudit generate tabular``: a synthetic table from a real one (survey section 4.1; tutorial 3.2).

Mounted by the CLI from the tabular modality's ``generate_command`` hook."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer
from rich.markup import escape

from synthaudit.cli.common import Phases, _split, out_console, user_errors


def generate_tabular(
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
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress display and no summary."),
) -> None:
    """Generate a synthetic table from a real one (survey section 4.1)."""
    import pandas as pd
    import yaml

    from synthaudit.data.files import read_file
    from synthaudit.data.tabular import mask_na_values
    from synthaudit.errors import UsageError
    from synthaudit.generate.adapter import generate_tabular, make_generator, output_format, write_frame

    with user_errors(), Phases(not quiet) as phase:
        output_format(out)
        if out.exists() and real.exists() and out.resolve() == real.resolve():
            raise UsageError("--out would overwrite --real", file=str(out), field="--out")
        phase(f"reading {real.name}")
        frame = read_file(real, fmt=fmt)
        if na_values:
            marks = frozenset(_split(na_values) or [])
            for c in frame.columns:
                if pd.api.types.is_string_dtype(frame[c].dtype):  # object (pandas 2) or str (pandas 3) text
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
        if hasattr(generator, "on_rows"):  # the LLM generator reports the rows kept so far
            generator.on_rows = lambda kept: phase.count(kept, n)
        synthetic = generate_tabular(generator, frame, n, seed,
                                     on_step=lambda step: phase(f"fitting {method}" if step == "fit" else
                                                                f"sampling {n} rows ({method})"))
        phase(f"writing {out.name}")
        write_frame(synthetic, out)
    if not quiet:
        out_console.print(escape(f"wrote {len(synthetic)} rows to {out}"), highlight=False)
        stats = getattr(generator, "stats", None)
        if stats is not None:
            out_console.print_json(json.dumps(stats.as_dict()))
