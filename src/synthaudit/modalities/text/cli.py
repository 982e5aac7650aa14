"""``synthaudit generate text``: instruction/response data made with an LLM (survey stage 1, "generation";
tutorial section 3.7, hands-on). Mounted by the CLI from the text modality's ``generate_command`` hook.

Exit status: 0 done, 2 a usage or input error (one message, no traceback), 130 interrupted (the output so far
is kept; run the same command again to resume).
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from synthaudit.cli.common import check_generation, err_console, generation_progress, user_errors


def generate_text(
    method: str = typer.Option(..., "--method", "-m", help="self_instruct, evol_instruct, magpie or attribute."),
    n: int = typer.Option(20, "--n", help="Records to accept (rejects do not count)."),
    out: Path = typer.Option(..., "--out", "-o", help="Output JSON Lines file (rejects go beside it)."),
    seed: int = typer.Option(0, "--seed", help="Run seed: record ids and every random choice derive from it."),
    model: str = typer.Option("smollm2", "--model", help="A local model (smollm2, a HF id or path) or "
                              "openai:MODEL with --base-url (key from $OPENAI_API_KEY)."),
    base_url: Optional[str] = typer.Option(None, "--base-url", help="OpenAI-compatible endpoint for openai:MODEL."),
    resume: bool = typer.Option(True, "--resume/--no-resume", help="Skip records already in --out (default) "
                                "or start afresh."),
    concurrency: int = typer.Option(4, "--concurrency", min=1, help="Requests in flight (remote endpoints)."),
    batch: int = typer.Option(8, "--batch", min=1, help="Slots per batch (fixed, so content does not depend on "
                              "--concurrency)."),
    max_tokens: int = typer.Option(256, "--max-tokens", min=1, help="Tokens per generated field."),
    temperature: float = typer.Option(0.7, "--temperature", min=0.0, help="Sampling temperature."),
    seed_tasks: Optional[Path] = typer.Option(None, "--seed-tasks", help="Seed tasks JSONL (instruction, "
                                              "instances) for self_instruct and evol_instruct."),
    attributes: Optional[Path] = typer.Option(None, "--attributes", help="Attribute YAML for --method attribute."),
    rounds: int = typer.Option(1, "--rounds", min=1, help="Evolution rounds (evol_instruct)."),
    pre_query: Optional[str] = typer.Option(None, "--pre-query", help="Pre-query template (magpie; default: the "
                                            "local model's, ChatML for endpoints)."),
    price_in: Optional[float] = typer.Option(None, "--price-in", min=0.0, help="USD per 1M prompt tokens."),
    price_out: Optional[float] = typer.Option(None, "--price-out", min=0.0, help="USD per 1M completion tokens."),
    cache: bool = typer.Option(True, "--cache/--no-cache", help="Use the persistent response cache."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar and no summary."),
) -> None:
    """Generate instruction/response records: {id, method, instruction, response, seed, model, ...}."""
    from synthaudit.generate.runner import run_generation
    from synthaudit.generate.text import METHODS
    from synthaudit.models.llm import LLMClient, Usage

    with user_errors():
        check_generation(method, METHODS, n, model, base_url)
        opts: dict = {"max_tokens": max_tokens, "temperature": temperature, "concurrency": concurrency,
                      "batch": batch}
        if method in ("self_instruct", "evol_instruct") and seed_tasks is not None:
            opts["seed_tasks"] = seed_tasks
        if method == "attribute" and attributes is not None:
            opts["attributes"] = attributes
        if method == "evol_instruct":
            opts["rounds"] = rounds
        if method == "magpie" and pre_query:
            opts["pre_query"] = pre_query.encode().decode("unicode_escape")  # "\n" typed in a shell
        client = LLMClient(model=model, base_url=base_url, cache=cache,
                           usage=Usage(price_in=price_in, price_out=price_out))
        progress = generation_progress("rejected {task.fields[rejected]}", quiet)
        with progress:
            task = progress.add_task(f"{method} ({client.model})", total=n, rejected=0)
            counts = {"rejected": 0}

            def tick(rec: dict) -> None:
                if "rejected" in rec:
                    counts["rejected"] += 1
                    progress.update(task, rejected=counts["rejected"])
                else:
                    progress.advance(task)

            stats = run_generation(method, client, n=n, seed=seed, out=out, resume=resume, progress=tick,
                                   **opts)
            progress.update(task, completed=stats.written + stats.resumed)
    if not quiet:
        err_console.print(stats.summary(), highlight=False)
        err_console.print("usage: " + client.usage.summary(), highlight=False)
