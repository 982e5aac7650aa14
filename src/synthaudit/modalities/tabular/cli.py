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
    method: str = typer.Option("gaussian_copula", "--method", help="gaussian_copula, diffusion (TabDDPM), gan "
                               "(CTGAN), llm, or package.module:Class (any class with fit(frame) and sample(n))."),
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
    epochs: Optional[int] = typer.Option(None, "--epochs", min=1, help="diffusion/gan: training epochs (default "
                                         "100 / 300)."),
    batch_size: Optional[int] = typer.Option(None, "--batch-size", min=1, help="diffusion/gan: rows per training "
                                             "step (default 256 / 500)."),
    diffusion_steps: Optional[int] = typer.Option(None, "--diffusion-steps", min=1, help="diffusion: timesteps T "
                                                  "(default 100)."),
    save_model: Optional[Path] = typer.Option(None, "--save-model", help="diffusion/gan: write the fitted model to "
                                              "this folder (safetensors + JSON)."),
    load_model: Optional[Path] = typer.Option(None, "--load-model", help="diffusion/gan: sample from a model saved "
                                              "with --save-model instead of training (--real still names the "
                                              "table, for its columns)."),
    dp_epsilon: Optional[float] = typer.Option(None, "--dp-epsilon", help="diffusion/gan: train with DP-SGD to "
                                               "spend at most this epsilon (the noise follows from the steps)."),
    dp_noise: Optional[float] = typer.Option(None, "--dp-noise", help="diffusion/gan: train with DP-SGD at this "
                                             "noise multiplier instead of a target epsilon."),
    dp_delta: Optional[float] = typer.Option(None, "--dp-delta", help="DP-SGD: delta (default 1/(10 n))."),
    max_grad_norm: Optional[float] = typer.Option(None, "--max-grad-norm", help="DP-SGD: per-row gradient clipping "
                                                  "norm C (default 1)."),
    param: Optional[list[str]] = typer.Option(None, "--param", help="Constructor argument of a package.module:Class "
                                              "generator or of diffusion/gan, NAME=VALUE (YAML value)."),
    na_values: Optional[str] = typer.Option(None, "--na-values", help="Comma-separated markers of a missing value."),
    fmt: Optional[str] = typer.Option(None, "--format", help="Format of --real if the extension does not tell."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress display and no summary."),
) -> None:
    """Generate a synthetic table from a real one (survey section 4.1). diffusion/gan also write
    <out>.meta.json (method, epochs, seed and the DP budget, or epsilon none) for audit --generator-meta."""
    import pandas as pd
    import yaml

    from synthaudit.data.files import read_file
    from synthaudit.data.tabular import mask_na_values
    from synthaudit.errors import UsageError
    from synthaudit.generate.adapter import (DEEP_METHODS, generate_tabular, make_generator, output_format,
                                             sample_saved, training_folder, write_frame)

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
        deep = method in DEEP_METHODS
        dp_flags = {"--dp-epsilon": dp_epsilon, "--dp-noise": dp_noise, "--dp-delta": dp_delta,
                    "--max-grad-norm": max_grad_norm}
        given = {"--epochs": epochs, "--batch-size": batch_size, "--diffusion-steps": diffusion_steps,
                 "--save-model": save_model, "--load-model": load_model, **dp_flags}
        if not deep and any(v is not None for v in given.values()):
            flag = next(k for k, v in given.items() if v is not None)
            raise UsageError(f"{flag} applies to --method diffusion or gan", field=flag)
        if diffusion_steps is not None and method != "diffusion":
            raise UsageError("--diffusion-steps applies to --method diffusion", field="--diffusion-steps")
        by_flag = {"epochs": ("--epochs", epochs), "batch_size": ("--batch-size", batch_size),
                   "steps": ("--diffusion-steps", diffusion_steps),
                   "dp": (next((k for k, v in dp_flags.items() if v is not None), None), None)}
        for key, (flag, value) in by_flag.items():  # one setting, one place: a flag never silently wins
            if key in params and flag is not None and (value is not None or key == "dp"):
                raise UsageError(f"{flag} and --param {key}=... both set {key}; give it once", field=flag)
        params.update({k: v for k, (_, v) in by_flag.items() if v is not None})
        dp = _dp_config(dp_flags, load_model)
        if dp is not None:
            params["dp"] = dp
        generator = make_generator(method, seed=seed, target=target, rare_boost=rare_boost, client=client, **params)
        if hasattr(generator, "on_rows"):  # the LLM generator reports the rows kept so far
            generator.on_rows = lambda kept: phase.count(kept, n)
        if deep:
            generator.model.progress = False if quiet else None  # None: a bar when stderr is a terminal
        if load_model is not None:
            phase(f"loading {load_model}")
            synthetic = sample_saved(generator, load_model, frame, n, seed)
        else:
            synthetic = generate_tabular(generator, frame, n, seed,
                                         on_step=lambda step: phase(f"fitting {method}" if step == "fit" else
                                                                    f"sampling {n} rows ({method})"))
        phase(f"writing {out.name}")
        write_frame(synthetic, out)
        written = []
        if deep and load_model is None:
            written = generator.model.write_log(training_folder(out))
            if save_model is not None:
                written.append(generator.model.save(save_model))
        if deep:
            meta = out.with_name(out.name + ".meta.json")
            meta.write_text(json.dumps(generator.metadata(), indent=1) + "\n", encoding="utf-8")
            written.append(meta)
    if not quiet:
        out_console.print(escape(f"wrote {len(synthetic)} rows to {out}"), highlight=False)
        for path in written:
            out_console.print(escape(f"wrote {path}"), highlight=False)
        stats = getattr(generator, "stats", None)
        if stats is not None:
            out_console.print_json(json.dumps(stats.as_dict()))


def _dp_config(flags: dict[str, Optional[float]], load_model: Optional[Path]):
    """The DP-SGD settings of ``--dp-epsilon``/``--dp-noise``/``--dp-delta``/``--max-grad-norm`` (None without
    them); an error names the flag."""
    from synthaudit.errors import UsageError
    from synthaudit.generate.deep.dp import DPConfig

    given = [k for k, v in flags.items() if v is not None]
    if not given:
        return None
    if load_model is not None:
        raise UsageError(f"{given[0]} applies to training, not to --load-model (a saved model keeps the DP budget "
                         "it was trained with)", field=given[0])
    if flags["--dp-epsilon"] is not None and flags["--dp-noise"] is not None:
        raise UsageError("give a target epsilon or a noise multiplier, not both", field="--dp-noise")
    if flags["--dp-epsilon"] is None and flags["--dp-noise"] is None:
        raise UsageError(f"{given[0]} is a DP-SGD setting: it needs --dp-epsilon or --dp-noise", field=given[0])
    names = {"epsilon": "--dp-epsilon", "noise_multiplier": "--dp-noise", "delta": "--dp-delta",
             "max_grad_norm": "--max-grad-norm"}
    settings = {k: flags[flag] for k, flag in names.items() if flags[flag] is not None}
    try:
        return DPConfig(**settings)
    except UsageError as err:  # DPConfig names its field dp.<name>: name the flag instead
        flag = names.get((err.field or "").removeprefix("dp."), err.field)
        raise UsageError(err.message, field=flag, hint=err.hint) from None
