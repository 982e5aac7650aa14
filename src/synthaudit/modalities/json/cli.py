"""``synthaudit generate json``: JSON documents for a JSON Schema (survey section 5.2), written by an LLM with
schema-constrained decoding where the backend supports it and validate-and-retry otherwise (``from_schema``),
or flawed variants of valid documents (``mutate``: type change, missing required field, extra property, enum
violation, broken syntax; no model). Records go to ``--out``, rejects with their reason beside it; the run
resumes where it stopped.

Exit status: 0 done, 2 a usage or input error (one message, no traceback), 130 interrupted (the output so far
is kept; run the same command again to resume).
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from synthaudit.cli.common import (check_generation, err_console, generation_progress, print_rejects_and_usage,
                                    user_errors)


def generate_json(
    method: str = typer.Option(..., "--method", "-m", help="from_schema (an LLM writes documents for --schema) or "
                               "mutate (flawed variants of the valid documents in --real; no model)."),
    n: int = typer.Option(20, "--n", help="Records to accept (documents; rejects do not count)."),
    out: Path = typer.Option(..., "--out", "-o", help="Output JSON Lines file (rejects go beside it)."),
    schema: Optional[str] = typer.Option(None, "--schema", help="The JSON Schema (.json or .yaml; the draft from "
                                         "$schema, default 2020-12). Needed by from_schema; mutate uses it to place "
                                         "each flaw where the validator reports it."),
    real: Optional[str] = typer.Option(None, "--real", "-r", help="mutate: the valid documents to vary (JSON Lines, "
                                       "a JSON array, a folder of .json files, e.g. from_schema output)."),
    field: Optional[str] = typer.Option(None, "--field", help="mutate: the field of --real records holding the "
                                        "document (default: output, response, ... or the whole line)."),
    seed: int = typer.Option(0, "--seed", help="Run seed: record ids and every random choice derive from it."),
    kinds: str = typer.Option("type_change,missing_required,extra_property,enum_violation,broken_syntax", "--kinds",
                              help="mutate: the flaws to make, taken in turn."),
    share: float = typer.Option(1.0, "--share", help="mutate: share of records given a flaw (the rest are the "
                                "source documents unchanged)."),
    retries: int = typer.Option(2, "--retries", min=0, help="from_schema: answers asked again when invalid."),
    constrained: str = typer.Option("auto", "--constrained", help="from_schema: auto (schema-constrained decoding "
                                    "on a local model with lm-format-enforcer, when it can enforce the schema), on "
                                    "(required), off (validate-and-retry only)."),
    policy: str = typer.Option("fence", "--policy", help="How answers are parsed: strict, fence (one surrounding "
                               "code fence removed) or lenient."),
    instructions: Optional[str] = typer.Option(None, "--instructions", help="from_schema: extra words for the "
                                               "prompt (e.g. 'about a hospital patient')."),
    format_check: bool = typer.Option(False, "--format-check", help="Check 'format' keywords (date-time, email, "
                                      "...) instead of treating them as annotations."),
    model: str = typer.Option("smollm2", "--model", help="A local model (smollm2, a HF id or path) or "
                              "openai:MODEL with --base-url (key from $OPENAI_API_KEY)."),
    base_url: Optional[str] = typer.Option(None, "--base-url", help="OpenAI-compatible endpoint for openai:MODEL."),
    drop_invalid: bool = typer.Option(False, "--drop-invalid", help="from_schema: write documents still invalid "
                                      "after the retries to the rejects file (default: keep them as records, "
                                      "status invalid, so an audit counts them)."),
    max_attempts: Optional[int] = typer.Option(None, "--max-attempts", min=1, help="Slots to try at most "
                                               "(default 3 n + 10)."),
    resume: bool = typer.Option(True, "--resume/--no-resume", help="Skip records already in --out (default) "
                                "or start afresh."),
    concurrency: int = typer.Option(4, "--concurrency", min=1, help="Requests in flight (remote endpoints)."),
    batch: int = typer.Option(8, "--batch", min=1, help="Slots per batch (fixed, so content does not depend on "
                              "--concurrency)."),
    max_tokens: int = typer.Option(256, "--max-tokens", min=1, help="Tokens per model answer."),
    temperature: float = typer.Option(0.7, "--temperature", min=0.0, help="Sampling temperature."),
    cache: bool = typer.Option(True, "--cache/--no-cache", help="Use the persistent response cache."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar and no summary."),
) -> None:
    """Generate JSON documents: {id, method, schema, output (the raw text), status valid|invalid, attempts,
    constrained, errors} or, from mutate, {output, mutation, path, status, errors}."""
    from synthaudit.generate.json import METHODS, MODEL_FREE
    from synthaudit.generate.json.from_schema import FromSchema, Mutate, tally
    from synthaudit.generate.runner import run_generation
    from synthaudit.models.llm import LLMClient

    with user_errors():
        check_generation(method, METHODS, n, model, base_url)
        client: LLMClient | None = None
        opts: dict = {"schema": schema, "policy": policy, "format_check": format_check}
        note = ""
        if method in MODEL_FREE:
            opts.update(real=real, field=field, kinds=kinds, share=share)
            Mutate(seed, **opts)  # input errors before the output file is opened
            note = f"variants of {real}"
        else:
            client = LLMClient(model=model, base_url=base_url, cache=cache)
            opts.update(retries=retries, constrained=constrained, instructions=instructions,
                        max_tokens=max_tokens, temperature=temperature, concurrency=concurrency, batch=batch,
                        drop_invalid=drop_invalid)
            check = FromSchema(client, seed, **opts)  # schema and option errors first
            opts["schema"] = check.spec  # loaded and compiled once
            note = f"{client.model}, " + ("constrained" if check.constrained else
                                          f"validate-and-retry: {check.why_not}")
        progress = generation_progress("invalid {task.fields[invalid]} retries {task.fields[retries]}", quiet)
        counts = tally([])
        mutations: dict[str, int] = {}
        with progress:
            task = progress.add_task(f"{method} ({note})", total=n, invalid=0, retries=0)

            def tick(rec: dict) -> None:
                for key, value in tally([rec]).items():
                    counts[key] += value
                if rec.get("mutation"):
                    mutations[rec["mutation"]] = mutations.get(rec["mutation"], 0) + 1
                progress.update(task, advance=0 if "rejected" in rec else 1, invalid=counts["invalid"],
                                retries=counts["retries"])

            stats = run_generation(method, client, n=n, seed=seed, out=out, resume=resume, progress=tick,
                                   max_attempts=max_attempts, methods=METHODS, **opts)
            progress.update(task, completed=stats.written + stats.resumed)
    if not quiet:
        err_console.print(stats.summary(), highlight=False)
        if counts["valid"] or counts["invalid"]:
            err_console.print(f"documents: valid {counts['valid']}, invalid {counts['invalid']}", highlight=False)
        if client is not None:
            err_console.print(f"attempts: {counts['attempts']} answers, {counts['retries']} retries "
                              f"({counts['retried']} documents retried); constrained decoding: "
                              f"{'yes' if counts['constrained'] else 'no'}", highlight=False)
        if mutations:
            err_console.print("flaws: " + ", ".join(f"{k} {v}" for k, v in sorted(mutations.items())),
                              highlight=False)
        print_rejects_and_usage(stats, client)
