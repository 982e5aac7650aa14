"""``synthaudit generate timeseries``: synthetic series fitted to real ones (the tutorial's sequential data):
``bootstrap`` (moving-block bootstrap), ``var`` (a VAR / AR model fitted by pooled least squares), ``llm`` (an LLM
shown a few real series writes new ones, checked and counted) or ``package.module:Class`` (any sequence model with
``fit(frame)`` / ``sample(num_sequences=n)``, e.g. SDV's PAR). The series go to ``--out`` in the long layout
(``series_id``, ``t``, one column per channel).

Exit status: 0 done, 2 a usage or input error (one message, no traceback), 130 interrupted.
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from synthaudit.cli.common import check_generation, err_console, generation_progress, user_errors

LLM_BATCH = 8  # series per LLM batch (fixed, so the content does not depend on the progress display)


def generate_timeseries(
    method: str = typer.Option(..., "--method", "-m", help="bootstrap, var, llm, or package.module:Class (a "
                               "sequence model with fit(frame) and sample(num_sequences=n), e.g. "
                               "sdv.sequential:PARSynthesizer)."),
    n: int = typer.Option(100, "--n", help="Series to generate."),
    out: Path = typer.Option(..., "--out", "-o", help="Output file, long layout (.csv, .tsv, .jsonl, .json, "
                             ".parquet)."),
    real: str = typer.Option(..., "--real", "-r", help="Real series to fit (any layout the audit reads)."),
    id_field: Optional[str] = typer.Option(None, "--id-field", help="Field holding the series id."),
    time_field: Optional[str] = typer.Option(None, "--time-field", help="Field holding the time."),
    channels: Optional[str] = typer.Option(None, "--channels", help="Channel fields, comma-separated."),
    layout: str = typer.Option("auto", "--layout", help="auto, long or wide."),
    value_field: Optional[str] = typer.Option(None, "--value-field", help="Wide layout: the field holding each "
                                              "series as a list."),
    length: Optional[int] = typer.Option(None, "--length", min=2, help="Steps per synthetic series (default: "
                                         "lengths drawn from the real series)."),
    block: Optional[int] = typer.Option(None, "--block", min=1, help="bootstrap: block length (default: the cube "
                                        "root of the median real length)."),
    lags: Optional[int] = typer.Option(None, "--lags", min=1, help="var: lag order (default: chosen by AIC up to "
                                       "8)."),
    seed: int = typer.Option(0, "--seed", help="Run seed: every random choice derives from it."),
    shots: int = typer.Option(3, "--shots", min=1, help="llm: real series shown in each prompt."),
    model: str = typer.Option("smollm2", "--model", help="llm: a local model (smollm2, a HF id or path) or "
                              "openai:MODEL with --base-url (key from $OPENAI_API_KEY)."),
    base_url: Optional[str] = typer.Option(None, "--base-url", help="OpenAI-compatible endpoint for openai:MODEL."),
    temperature: float = typer.Option(0.7, "--temperature", min=0.0, help="llm: sampling temperature."),
    cache: bool = typer.Option(True, "--cache/--no-cache", help="llm: use the persistent response cache."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar and no summary."),
) -> None:
    """Generate series fitted to --real and write them in the long layout (series_id, t, channels)."""
    from synthaudit.data.timeseries import SeriesOptions, from_arrays, load_series, to_long_frame
    from synthaudit.errors import UsageError
    from synthaudit.generate.adapter import output_format, write_frame
    from synthaudit.generate.timeseries import METHODS, make_series_generator

    with user_errors():
        known = [*METHODS, "llm"]
        check_generation(method if ":" not in method else known[0], known, n, model, base_url)
        output_format(out)  # an unknown extension fails before any work
        if block is not None and method != "bootstrap":
            raise UsageError("--block is an option of the bootstrap method", field="--block")
        if lags is not None and method != "var":
            raise UsageError("--lags is an option of the var method", field="--lags")
        opts = SeriesOptions(id_field=id_field, time_field=time_field, layout=layout, value_field=value_field,
                             channels=tuple(c.strip() for c in channels.split(",") if c.strip()) if channels else None)
        sset = load_series(real, "real", opts)
        if sset.is_events:
            raise UsageError("the series generators write numeric series; the real data are event sequences",
                             field="--real")
        client = None
        kwargs: dict = {}
        if method == "bootstrap" and block is not None:
            kwargs["block"] = block
        if method == "var" and lags is not None:
            kwargs["lags"] = lags
        if method == "llm":
            from synthaudit.models.llm import LLMClient

            client = LLMClient(model=model, base_url=base_url, cache=cache)
            kwargs.update(shots=shots, temperature=temperature)
        try:
            gen = make_series_generator(method, seed=seed, client=client, **kwargs)
            gen.fit(sset.values, sset.channels) if method == "llm" else gen.fit(sset.values)
        except ValueError as exc:
            raise UsageError(f"cannot fit {method} to {real}: {exc}", field="--method") from None
        series: list = []
        progress = generation_progress("", quiet)
        with progress:
            task = progress.add_task(f"{method} (fitted to {Path(real).name if isinstance(real, str) else 'real'})",
                                     total=n)
            step = LLM_BATCH if method == "llm" else n
            for b, start in enumerate(range(0, n, step)):
                k = min(step, n - start)
                try:
                    series += gen.sample(k, lengths=length, seed=seed + 7919 * b)
                except ValueError as exc:
                    raise UsageError(f"{method} cannot sample: {exc}", field="--method") from None
                progress.update(task, advance=k)
        if not series:
            raise UsageError(f"{method} produced no valid series (see the rejects below)", field="--method")
        write_frame(to_long_frame(from_arrays(series, sset.channels)), out)
    if not quiet:
        err_console.print(f"wrote {len(series)} series ({', '.join(sset.channels)}) to {out}; fitted to "
                          f"{len(sset)} real series", highlight=False)
        stats = getattr(gen, "stats", None)
        if stats is not None:
            rej = ", ".join(f"{r} {c}" for r, c in stats.rejected.most_common())
            err_console.print(f"llm: {stats.accepted} of {stats.asked} answers accepted" +
                              (f"; rejected: {rej}" if rej else "") +
                              f"; tokens {stats.prompt_tokens} prompt + {stats.completion_tokens} completion",
                              highlight=False)
