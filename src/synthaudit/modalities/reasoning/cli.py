"""``synthaudit generate reasoning``: verified reasoning data (survey section 3.2; stage 1, "generation"):
tool-verified math (``tool_math``), code problems with unit tests the reference passes (``code_tests``) and
DyVal graph items (``dyval``, offline, no model). Records go to ``--out``, rejects with their reason beside
it; the run resumes where it stopped.

Exit status: 0 done, 2 a usage or input error (one message, no traceback), 130 interrupted (the output so far
is kept; run the same command again to resume).
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from synthaudit.cli.common import (check_generation, err_console, generation_progress, print_rejects_and_usage,
                                    user_errors)


def generate_reasoning(
    method: str = typer.Option(..., "--method", "-m", help="tool_math, code_tests or dyval."),
    n: int = typer.Option(20, "--n", help="Records to accept (rejects do not count)."),
    out: Path = typer.Option(..., "--out", "-o", help="Output JSON Lines file (rejects go beside it)."),
    seed: int = typer.Option(0, "--seed", help="Run seed: record ids and every random choice derive from it."),
    model: str = typer.Option("smollm2", "--model", help="A local model (smollm2, a HF id or path) or "
                              "openai:MODEL with --base-url (key from $OPENAI_API_KEY)."),
    base_url: Optional[str] = typer.Option(None, "--base-url", help="OpenAI-compatible endpoint for openai:MODEL."),
    seed_problems: Optional[Path] = typer.Option(None, "--seed-problems", help="Seed problems JSONL(.gz): "
                                                 "GSM8K-style (question, answer '#### N') for tool_math; "
                                                 "HumanEval/MBPP-style for code_tests."),
    problems: str = typer.Option("seed", "--problems", help="seed: solve/test the seed problems; generate: "
                                 "the model writes new problems from few-shot seeds."),
    votes: int = typer.Option(2, "--votes", min=1, help="tool_math --problems generate: solutions that must "
                              "agree by strict majority (no gold answer)."),
    min_tests: int = typer.Option(1, "--min-tests", min=1, help="code_tests: tests the reference must pass to "
                                  "keep a record."),
    kind: str = typer.Option("arithmetic", "--kind", help="dyval: arithmetic, boolean or deduction."),
    depth: int = typer.Option(3, "--depth", min=1, help="dyval: depth of the graph."),
    width: int = typer.Option(2, "--width", min=1, help="dyval: inputs per node."),
    distractors: int = typer.Option(0, "--distractors", min=0, help="dyval: irrelevant nodes added."),
    max_attempts: Optional[int] = typer.Option(None, "--max-attempts", min=1, help="Slots to try at most "
                                               "(default 3 n + 10)."),
    resume: bool = typer.Option(True, "--resume/--no-resume", help="Skip records already in --out (default) "
                                "or start afresh."),
    concurrency: int = typer.Option(4, "--concurrency", min=1, help="Requests in flight (remote endpoints)."),
    batch: int = typer.Option(8, "--batch", min=1, help="Slots per batch (fixed, so content does not depend on "
                              "--concurrency)."),
    workers: int = typer.Option(2, "--workers", min=1, help="Sandboxed programs run in parallel."),
    max_tokens: int = typer.Option(384, "--max-tokens", min=1, help="Tokens per model answer."),
    temperature: float = typer.Option(0.7, "--temperature", min=0.0, help="Sampling temperature."),
    cache: bool = typer.Option(True, "--cache/--no-cache", help="Use the persistent response cache."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar and no summary."),
) -> None:
    """Generate verified reasoning records: {id, method, task, question, solution, answer, gold | tests, ...}."""
    from synthaudit.errors import UsageError
    from synthaudit.generate.reasoning.methods import METHODS
    from synthaudit.generate.runner import run_generation
    from synthaudit.models.llm import LLMClient

    with user_errors():
        check_generation(method, METHODS, n, model, base_url)
        if problems not in ("seed", "generate"):
            raise UsageError(f"expected seed or generate, got {problems!r}", field="--problems")
        if seed_problems is not None and not seed_problems.is_file():
            raise UsageError("file not found", file=str(seed_problems), field="--seed-problems")
        client: LLMClient | None = None
        if method == "dyval":
            from synthaudit.generate.reasoning.dyval import KINDS

            if kind not in KINDS:
                raise UsageError(f"unknown kind {kind!r}; expected one of {', '.join(KINDS)}", field="--kind")
            opts: dict = {"kind": kind, "depth": depth, "width": width, "distractors": distractors}
        else:
            client = LLMClient(model=model, base_url=base_url, cache=cache)
            opts = {"max_tokens": max_tokens, "temperature": temperature, "concurrency": concurrency,
                    "batch": batch, "workers": workers, "problems": problems, "seed_problems": seed_problems}
            opts.update({"votes": votes} if method == "tool_math" else {"min_tests": min_tests})
        progress = generation_progress("rejected {task.fields[rejected]}", quiet)
        with progress:
            label = f"{method} ({client.model})" if client is not None else f"{method} ({kind})"
            task = progress.add_task(label, total=n, rejected=0)
            counts = {"rejected": 0}

            def tick(rec: dict) -> None:
                if "rejected" in rec:
                    counts["rejected"] += 1
                    progress.update(task, rejected=counts["rejected"])
                else:
                    progress.advance(task)

            stats = run_generation(method, client, n=n, seed=seed, out=out, resume=resume, progress=tick,
                                   max_attempts=max_attempts, methods=METHODS, **opts)
            progress.update(task, completed=stats.written + stats.resumed)
    if not quiet:
        err_console.print(stats.summary(), highlight=False)
        print_rejects_and_usage(stats, client)
