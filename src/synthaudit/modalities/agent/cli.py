"""``synthaudit generate agent``: agent data with known ground truth (survey section 7), offline.

* ``--method rollouts``: scripted-policy rollouts recorded in highway-env (cautious, tailgating, reckless,
  lane_changer, random) with full telemetry, goals and optional rendered frames; ``--corrupt-share`` plants
  out-of-space actions (replay catches them);
* ``--method scenarios``: an LLM writes one scenario specification per prompt (ChatSUMO / TTSG style: prompt ->
  structured scenario), each is instantiated as a highway-env configuration (the ones that fail are counted and
  explained in ``scenario_failures.jsonl``), then rolled out with ``--policy``;
* ``--method tools``: tool-call trajectories over a small toolset (written as ``tools.json`` for ``--tools``),
  ``--variant flawed`` planting hallucinated tools, schema violations, wrong results and executed hazards.

Writes ``OUT/episodes.jsonl`` (what ``synthaudit audit agent`` reads). Exit status: 0 done, 2 a usage or input
error (one message, no traceback), 130 interrupted.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from synthaudit.cli.common import err_console, generation_progress, user_errors

METHODS = ("rollouts", "scenarios", "tools")


def _frames(text: str | None) -> tuple[int, int, int] | None:
    from synthaudit.errors import UsageError

    if not text:
        return None
    try:
        k, w, h = (int(x) for x in text.split(","))
    except ValueError:
        raise UsageError(f"{text!r}; expected EVERY_K,WIDTH,HEIGHT, e.g. 4,320,160", field="--frames") from None
    if min(k, w, h) < 1:
        raise UsageError(f"{text!r}: every number must be at least 1", field="--frames")
    return k, w, h


def generate_agent(
    out: Path = typer.Option(..., "--out", "-o", help="Output folder (episodes.jsonl, frames, tools.json)."),
    method: str = typer.Option("rollouts", "--method", "-m", help="rollouts, scenarios (LLM-written scenario "
                               "specifications, then rollouts) or tools (tool-call trajectories)."),
    n: int = typer.Option(20, "--n", help="Episodes (scenarios: rollouts per instantiated scenario)."),
    policy: str = typer.Option("cautious", "--policy", help="Scripted driving policy: cautious, tailgating, "
                               "reckless, lane_changer or random."),
    env: str = typer.Option("highway-v0", "--env", help="highway-env environment (rollouts)."),
    duration: float = typer.Option(8.0, "--duration", min=0.2, help="Seconds per episode (5 steps per second)."),
    frames: Optional[str] = typer.Option(None, "--frames", help="Render every K-th step as WIDTH x HEIGHT PNGs: "
                                         "K,WIDTH,HEIGHT (e.g. 4,320,160)."),
    corrupt_share: float = typer.Option(0.0, "--corrupt-share", min=0.0, max=1.0, help="Share of the actions "
                                        "replaced by out-of-space values (rollouts)."),
    variant: str = typer.Option("clean", "--variant", help="tools: clean or flawed."),
    prompts: Optional[Path] = typer.Option(None, "--prompts", help="scenarios: a text file, one prompt per line "
                                           "(default: synthaudit's demo prompts)."),
    model: str = typer.Option("smollm2", "--model", help="scenarios: a local model (smollm2, a HF id or path) or "
                              "openai:MODEL."),
    base_url: Optional[str] = typer.Option(None, "--base-url", help="OpenAI-compatible endpoint for openai:MODEL."),
    seed: int = typer.Option(0, "--seed", help="Run seed: episode seeds and every random choice derive from it."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar and no summary."),
) -> None:
    """Generate agent trajectories: scripted highway-env rollouts, LLM-written scenarios, or tool calls."""
    from synthaudit.cli.common import check_generation
    from synthaudit.errors import UsageError

    with user_errors():
        check_generation(method, METHODS, n, model, base_url)
        out = Path(out)
        shape = _frames(frames)
        if method == "tools":
            from synthaudit.generate.agent.toolcalls import write_tool_dataset

            eps, tools = write_tool_dataset(out, n, seed=seed, variant=variant)
            if not quiet:
                err_console.print(f"wrote {n} tool-call episodes ({variant}) to {eps} and the registry {tools} "
                                  f"(audit with --tools {tools})", highlight=False)
            return
        from synthaudit.generate.agent.policies import get_policy
        from synthaudit.generate.agent.rollouts import corrupt_actions, record_episodes, write_episodes

        get_policy(policy)  # a misspelt policy before anything runs
        config = {"duration": duration}
        progress = generation_progress("", quiet)
        episodes: list = []
        failures: list[dict] = []
        with progress:
            if method == "rollouts":
                task = progress.add_task(f"{policy} rollouts in {env}", total=n)
                episodes = record_episodes(n, policy, seed=seed, env_id=env, config=config, frames=shape,
                                           out_dir=out, progress=lambda k, t: progress.update(task, completed=k))
            else:
                from synthaudit.generate.agent.scenarios import DEMO_PROMPTS, scenarios_from_prompts
                from synthaudit.models.llm import LLMClient

                asked = list(DEMO_PROMPTS)
                if prompts is not None:
                    try:
                        asked = [p.strip() for p in Path(prompts).read_text(encoding="utf-8").splitlines()
                                 if p.strip()]
                    except (OSError, UnicodeDecodeError) as exc:
                        raise UsageError(f"cannot read the prompts ({exc})", field="--prompts") from None
                    if not asked:
                        raise UsageError("the file holds no prompt", field="--prompts")
                client = LLMClient(model=model, base_url=base_url, cache=True)
                task = progress.add_task(f"scenario specifications ({client.model})", total=len(asked))
                batch = scenarios_from_prompts(asked, client, seed=seed,
                                               progress=lambda r: progress.update(task, advance=1))
                failures = batch.failures
                roll = progress.add_task(f"{policy} rollouts of the scenarios", total=len(batch.scenarios) * n)
                for i, r in enumerate(x for x in batch.results if x.ok):
                    inst = r.instantiated
                    episodes += record_episodes(n, policy, seed=seed + 1000 * i, env_id=inst.env_id,
                                                config={**inst.config}, frames=shape, out_dir=out,
                                                scenario=inst.spec, prompt=r.prompt, name_prefix=f"scenario{i}")
                    progress.update(roll, advance=n)
        if corrupt_share > 0:
            episodes = corrupt_actions(episodes, corrupt_share, seed=seed)
        path = write_episodes(out / "episodes.jsonl", episodes)
        if failures:
            (out / "scenario_failures.jsonl").write_text(
                "".join(json.dumps(f, ensure_ascii=False) + "\n" for f in failures), encoding="utf-8")
    if not quiet:
        steps = sum(len(e.steps) for e in episodes)
        crashed = sum(any(s.state and s.state["ego"].get("crashed") for s in e.steps) for e in episodes)
        err_console.print(f"wrote {len(episodes)} episodes ({steps} steps, {crashed} with a crash) to {path}",
                          highlight=False)
        if method == "scenarios":
            err_console.print(f"scenarios: {len(failures)} failed to instantiate" +
                              (f" (reasons in {out / 'scenario_failures.jsonl'})" if failures else ""),
                              highlight=False)
