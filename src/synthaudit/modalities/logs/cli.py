"""``synthaudit generate logs``: synthetic log lines (survey section 5.2): template-and-variable generation fitted
to real logs (``templates``: template frequencies, per-slot value distributions, levels and components; no model)
or LLM-written lines given templates and checked against them (``llm``). Records go to ``--out``, rejects with
their reason beside it; the run resumes where it stopped.

Exit status: 0 done, 2 a usage or input error (one message, no traceback), 130 interrupted (the output so far
is kept; run the same command again to resume).
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from synthaudit.cli.common import (check_generation, err_console, generation_progress, print_rejects_and_usage,
                                    user_errors)


def generate_logs(
    method: str = typer.Option(..., "--method", "-m", help="templates (fitted to --real; no model) or llm (an LLM "
                               "writes a line for each drawn template)."),
    n: int = typer.Option(100, "--n", help="Records to accept (log lines; rejects do not count)."),
    out: Path = typer.Option(..., "--out", "-o", help="Output JSON Lines file (rejects go beside it)."),
    real: Optional[str] = typer.Option(None, "--real", "-r", help="Real logs to fit: a .log file (see --log-format) "
                                       "or loghub's *_structured.csv (its EventTemplate, Level and Component are "
                                       "used)."),
    log_format: Optional[str] = typer.Option(None, "--log-format", help="Header format of raw log lines, loghub "
                                             "style: '<Date> <Time> <Pid> <Level> <Component>: <Content>'."),
    content_field: Optional[str] = typer.Option(None, "--content-field", help="Field holding the message (default: "
                                                "Content, content, message, ...)."),
    template_field: Optional[str] = typer.Option(None, "--template-field", help="Field holding each real message's "
                                                 "template (default: EventTemplate, event_template or template; "
                                                 "without one the messages are parsed, see --parser)."),
    parser: str = typer.Option("drain3", "--parser", help="How real messages without a template field are parsed: "
                               "drain3 or templates (--templates)."),
    templates: Optional[str] = typer.Option(None, "--templates", help="A template file (one per line with <*>, or "
                                            "a CSV with an EventTemplate column): the parser's templates with "
                                            "--parser templates; for llm without --real, the templates to write."),
    parser_config: Optional[str] = typer.Option(None, "--parser-config", help="Drain3 settings (YAML): depth, "
                                                "sim_th, max_children, max_clusters, extra_delimiters, masking."),
    seed: int = typer.Option(0, "--seed", help="Run seed: record ids and every random choice derive from it."),
    collapse: Optional[int] = typer.Option(None, "--collapse", min=1, help="templates: a flaw for demos: sample "
                                           "only the K most frequent templates."),
    leak: float = typer.Option(0.0, "--leak", help="templates: a flaw for demos: the share of lines given a user "
                               "name, e-mail address and/or IP address (their spans in 'injected')."),
    shots: int = typer.Option(2, "--shots", min=0, help="llm: real lines of the template shown in each prompt."),
    system: Optional[str] = typer.Option(None, "--system", help="llm: the system the logs come from (e.g. 'Hadoop "
                                         "HDFS'), named in the prompt."),
    model: str = typer.Option("smollm2", "--model", help="A local model (smollm2, a HF id or path) or "
                              "openai:MODEL with --base-url (key from $OPENAI_API_KEY)."),
    base_url: Optional[str] = typer.Option(None, "--base-url", help="OpenAI-compatible endpoint for openai:MODEL."),
    drop_invalid: bool = typer.Option(False, "--drop-invalid", help="llm: write lines that do not match their "
                                      "template to the rejects file (default: keep them as records, status "
                                      "invalid, so an audit counts them)."),
    max_attempts: Optional[int] = typer.Option(None, "--max-attempts", min=1, help="Slots to try at most "
                                               "(default 3 n + 10)."),
    resume: bool = typer.Option(True, "--resume/--no-resume", help="Skip records already in --out (default) "
                                "or start afresh."),
    concurrency: int = typer.Option(4, "--concurrency", min=1, help="Requests in flight (remote endpoints)."),
    batch: int = typer.Option(8, "--batch", min=1, help="Slots per batch (fixed, so content does not depend on "
                              "--concurrency)."),
    max_tokens: int = typer.Option(96, "--max-tokens", min=1, help="Tokens per model answer."),
    temperature: float = typer.Option(0.7, "--temperature", min=0.0, help="Sampling temperature."),
    cache: bool = typer.Option(True, "--cache/--no-cache", help="Use the persistent response cache."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar and no summary."),
) -> None:
    """Generate log lines: {id, method, Content, EventTemplate, Level, Component, variables} or, from an LLM,
    {Content, EventTemplate, status, response}."""
    from synthaudit.errors import UsageError
    from synthaudit.generate.logs import METHODS, MODEL_FREE
    from synthaudit.generate.logs.llm_logs import fitted_for_llm
    from synthaudit.generate.logs.templates import check_flaws, fit_logs
    from synthaudit.generate.runner import run_generation
    from synthaudit.models.llm import LLMClient

    with user_errors():
        check_generation(method, METHODS, n, model, base_url)
        fit_opts = {"log_format": log_format, "content_field": content_field, "template_field": template_field,
                    "parser": parser, "parser_config": parser_config}
        client: LLMClient | None = None
        if method in MODEL_FREE:
            if real is None:
                raise UsageError(f"{method} is fitted to real logs", field="--real",
                                 hint="pass a .log file (with --log-format) or loghub's *_structured.csv")
            check_flaws(collapse, leak)
            fitted = fit_logs(real, templates=templates, **fit_opts)  # input errors before the output file opens
            opts: dict = {"fitted": fitted, "collapse": collapse, "leak": leak}
        else:
            if collapse is not None or leak:
                raise UsageError("--collapse and --leak are flaws of the templates method", field="--method")
            fitted = fitted_for_llm(real, templates, **fit_opts)
            client = LLMClient(model=model, base_url=base_url, cache=cache)
            opts = {"fitted": fitted, "shots": shots, "system": system, "max_tokens": max_tokens,
                    "temperature": temperature, "concurrency": concurrency, "batch": batch,
                    "drop_invalid": drop_invalid}
        progress = generation_progress("invalid {task.fields[invalid]} rejected {task.fields[rejected]}", quiet)
        status: dict[str, int] = {}
        counts = {"rejected": 0, "leaked": 0, "copied": 0}
        with progress:
            label = f"{method} ({client.model})" if client is not None else \
                f"{method} (fitted to {Path(str(real)).name})"
            task = progress.add_task(label, total=n, rejected=0, invalid=0)

            def tick(rec: dict) -> None:
                if rec.get("status"):
                    status[rec["status"]] = status.get(rec["status"], 0) + 1
                counts["leaked"] += bool(rec.get("injected"))
                counts["copied"] += bool(rec.get("copied"))
                if "rejected" in rec:
                    counts["rejected"] += 1
                    progress.update(task, rejected=counts["rejected"], invalid=status.get("invalid", 0))
                else:
                    progress.update(task, advance=1, invalid=status.get("invalid", 0))

            stats = run_generation(method, client, n=n, seed=seed, out=out, resume=resume, progress=tick,
                                   max_attempts=max_attempts, methods=METHODS, **opts)
            progress.update(task, completed=stats.written + stats.resumed)
    if not quiet:
        err_console.print(stats.summary(), highlight=False)
        info = fitted.describe()
        err_console.print(f"fit: {info['n_templates']} templates from {info['templates_from']}"
                          f" ({info['n_messages']} real messages)", highlight=False)
        if status:
            err_console.print("lines: " + ", ".join(f"{k} {v}" for k, v in sorted(status.items())) +
                              (f"; {counts['copied']} copy a real line" if counts["copied"] else ""),
                              highlight=False)
        if counts["leaked"]:
            err_console.print(f"leak: {counts['leaked']} lines given personal data (spans in 'injected')",
                              highlight=False)
        print_rejects_and_usage(stats, client)
