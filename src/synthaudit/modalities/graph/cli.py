"""``synthaudit generate graph``: synthetic graphs and molecules (survey section 5.1): random-graph models fitted
to a real graph (``er``, ``ba``, ``sbm``; no model) and LLM-written edge lists and SMILES with parse-and-repair
(``llm_edges``, ``llm_smiles``). Records go to ``--out``, rejects with their reason beside it; the run resumes
where it stopped.

Exit status: 0 done, 2 a usage or input error (one message, no traceback), 130 interrupted (the output so far
is kept; run the same command again to resume).
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from synthaudit.cli.common import (check_generation, err_console, generation_progress, print_rejects_and_usage,
                                    user_errors)


def generate_graph(
    method: str = typer.Option(..., "--method", "-m", help="er, ba, sbm (fitted to --real) or llm_edges, "
                               "llm_smiles (an LLM writes them)."),
    n: int = typer.Option(20, "--n", help="Records to accept (graphs; rejects do not count)."),
    out: Path = typer.Option(..., "--out", "-o", help="Output JSON Lines file (rejects go beside it)."),
    real: Optional[str] = typer.Option(None, "--real", "-r", help="er/ba/sbm: the real graph to fit (.graphml, "
                                       ".gml, node-link .json, .edgelist, or karate, les_miserables, florentine, "
                                       "davis); llm_smiles: a SMILES file for few-shot examples."),
    seed: int = typer.Option(0, "--seed", help="Run seed: record ids and every random choice derive from it."),
    blocks: str = typer.Option("louvain", "--blocks", help="sbm: louvain (seeded), greedy, or a node attribute "
                               "(a label-conditioned SBM, e.g. club)."),
    model: str = typer.Option("smollm2", "--model", help="A local model (smollm2, a HF id or path) or "
                              "openai:MODEL with --base-url (key from $OPENAI_API_KEY)."),
    base_url: Optional[str] = typer.Option(None, "--base-url", help="OpenAI-compatible endpoint for openai:MODEL."),
    min_nodes: int = typer.Option(5, "--min-nodes", min=2, help="llm_edges: smallest graph asked for."),
    max_nodes: int = typer.Option(10, "--max-nodes", min=2, help="llm_edges: largest graph asked for."),
    shots: int = typer.Option(3, "--shots", min=0, help="llm_smiles: example SMILES in each prompt."),
    drop_invalid: bool = typer.Option(False, "--drop-invalid", help="LLM methods: write invalid answers to the "
                                      "rejects file (default: keep them as records, status invalid, so an audit "
                                      "counts them)."),
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
    """Generate graphs: {id, method, graph (node-link JSON), fit} or, from an LLM, {response, repaired |
    smiles, repaired_smiles, status, repairs, invalid}."""
    from synthaudit.errors import UsageError
    from synthaudit.generate.graph import METHODS, RANDOM_METHODS
    from synthaudit.generate.runner import run_generation
    from synthaudit.models.llm import LLMClient

    with user_errors():
        check_generation(method, METHODS, n, model, base_url)
        client: LLMClient | None = None
        if method in RANDOM_METHODS:
            from synthaudit.generate.graph.random_models import BUILTIN, fit

            if real is None:
                raise UsageError(f"{method} is fitted to a real graph", field="--real",
                                 hint=f"pass a graph file or one of {', '.join(BUILTIN)}")
            fit(method, real, blocks=blocks, seed=seed)  # input errors before the output file is opened
            opts: dict = {"real": real, "blocks": blocks}
        else:
            if method == "llm_edges" and min_nodes > max_nodes:
                raise UsageError(f"--min-nodes {min_nodes} is above --max-nodes {max_nodes}", field="--min-nodes")
            if method == "llm_smiles" and real is not None and not Path(real).is_file():
                raise UsageError("SMILES file not found", file=real, field="--real")
            client = LLMClient(model=model, base_url=base_url, cache=cache)
            opts = {"max_tokens": max_tokens, "temperature": temperature, "concurrency": concurrency,
                    "batch": batch, "drop_invalid": drop_invalid}
            opts.update({"min_nodes": min_nodes, "max_nodes": max_nodes} if method == "llm_edges"
                        else {"real": real, "shots": shots})
        progress = generation_progress("invalid {task.fields[invalid]} rejected {task.fields[rejected]}", quiet)
        status: dict[str, int] = {}
        invalid: dict[str, int] = {}
        with progress:
            label = f"{method} ({client.model})" if client is not None else f"{method} (fitted to {real})"
            task = progress.add_task(label, total=n, rejected=0, invalid=0)
            counts = {"rejected": 0}

            def tick(rec: dict) -> None:
                if rec.get("status"):
                    status[rec["status"]] = status.get(rec["status"], 0) + 1
                if rec.get("invalid"):
                    why = str(rec["invalid"]).split(":")[0].split("(")[0].strip()
                    invalid[why] = invalid.get(why, 0) + 1
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
        if status:
            err_console.print("answers: " + ", ".join(f"{k} {v}" for k, v in sorted(status.items())),
                              highlight=False)
        if invalid:
            err_console.print("invalid: " + ", ".join(f"{k} {v}" for k, v in
                                                      sorted(invalid.items(), key=lambda kv: -kv[1])),
                              highlight=False)
        print_rejects_and_usage(stats, client)
