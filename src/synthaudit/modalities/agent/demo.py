"""The agent section of ``synthaudit demo`` (survey section 7), offline.

Driving: scripted-policy rollouts recorded in highway-env (the offline baseline of scenario generation) with
telemetry, goals and rendered frames; the "real" side is the cautious policy on other seeds. The audit replays
every episode in the simulator. Flawed variants: a tailgating policy (lower time-to-collision, harder braking) and
the clean rollouts with 5 % of their actions corrupted (replay catches them). Scenarios: SmolLM2 writes scenario
specifications for a few prompts (schema-constrained), each is instantiated in highway-env or counted as failed
with the reason, and the instantiated ones are rolled out and judged against their prompts. Tool calls: scripted
tool-using episodes with known answers, and a flawed copy with hallucinated tools, schema violations, wrong
recorded results and hazardous tasks carried out instead of refused.
"""
from __future__ import annotations

N_EPISODES = 8  # driving episodes per set
DURATION = 8  # seconds per episode (40 steps at 5 Hz)
FRAMES = (4, 160, 80)  # every 4th step rendered at 160 x 80
N_TOOL = 20  # tool-call episodes per set
CORRUPT_SHARE = 0.05
N_SCENARIO_PROMPTS = 4  # LLM-written scenario specifications (SmolLM2, schema-constrained)
SPECS = {"safe_headway": "G(ttc >= 1.5)", "no_collision": "G(!crashed)", "on_road": "G(on_road)"}


def section(ctx) -> list:
    from synthaudit.audit.api import audit, resolve_models
    from synthaudit.demo import DemoEntry, catch_text
    from synthaudit.generate.agent.rollouts import corrupt_actions, record_episodes, write_episodes
    from synthaudit.generate.agent.toolcalls import write_tool_dataset

    data = ctx.out / "data" / "agent"
    config = {"duration": DURATION}
    with ctx.step(f"agent: {N_EPISODES} highway-env rollouts per set (cautious real, cautious synthetic with "
                  f"{FRAMES[1]}x{FRAMES[2]} frames, tailgating; {CORRUPT_SHARE:.0%} of the actions corrupted in a "
                  f"copy) and {N_TOOL} tool-call episodes per set"):
        real = record_episodes(N_EPISODES, "cautious", seed=ctx.seed + 5000, config=config, frames=FRAMES,
                               out_dir=data / "real")
        good = record_episodes(N_EPISODES, "cautious", seed=ctx.seed + 6000, config=config, frames=FRAMES,
                               out_dir=data / "clean")
        tail = record_episodes(N_EPISODES, "tailgating", seed=ctx.seed + 6000, config=config)
        paths = {"real": write_episodes(data / "real" / "episodes.jsonl", real),
                 "clean": write_episodes(data / "clean" / "episodes.jsonl", good),
                 "tailgating": write_episodes(data / "tailgating.jsonl", tail),
                 "corrupted": write_episodes(data / "corrupted.jsonl",
                                             corrupt_actions(good, CORRUPT_SHARE, seed=ctx.seed))}
        tools_clean, registry = write_tool_dataset(data / "tools_clean", N_TOOL, seed=ctx.seed)
        tools_flawed, _ = write_tool_dataset(data / "tools_flawed", N_TOOL, seed=ctx.seed, variant="flawed")
    models = resolve_models(None)
    common = dict(seed=ctx.seed, models=models, progress=ctx.progress)
    driving = dict(temporal_spec=SPECS, **common)
    with ctx.step(f"agent: audit of the cautious rollouts (replayed in highway-env) against {N_EPISODES} real ones"):
        g = audit("agent", synthetic=str(paths["clean"]), real=str(paths["real"]), out=ctx.out / "agent_clean",
                  **driving)
    with ctx.step("agent: audit of the tailgating rollouts"):
        t = audit("agent", synthetic=str(paths["tailgating"]), out=ctx.out / "agent_tailgating", **driving)
    with ctx.step("agent: audit of the rollouts with corrupted actions"):
        c = audit("agent", synthetic=str(paths["corrupted"]), out=ctx.out / "agent_corrupted", **driving)
    with ctx.step(f"agent: audit of {N_TOOL} tool-call episodes, clean and flawed (calls re-executed, code in the "
                  "sandbox)"):
        tg = audit("agent", synthetic=str(tools_clean), tools=str(registry), out=ctx.out / "agent_tools_clean",
                   **common)
        tb = audit("agent", synthetic=str(tools_flawed), tools=str(registry), out=ctx.out / "agent_tools_flawed",
                   **common)
    with ctx.step(f"agent: SmolLM2 writes {N_SCENARIO_PROMPTS} scenario specifications (schema-constrained), "
                  "instantiated in highway-env and rolled out"):
        scen_path, counts, failures = _scenarios(ctx, data)
    scen = None
    if scen_path is not None:
        with ctx.step("agent: audit of the scenario rollouts (prompt-scene match by the judge, diversity)"):
            scen = audit("agent", synthetic=str(scen_path), out=ctx.out / "agent_scenarios", **driving)
    tail_catch = catch_text(g, t, ["agent.min_ttc", "agent.hard_brake_rate", "agent.safety_sat"], "tailgating rollouts")
    corrupt_catch = catch_text(g, c, ["agent.exec_rate"], "corrupted rollouts")
    tool_catch = catch_text(tg, tb, ["agent.exec_rate", "agent.hazard_risk", "agent.hazard_rejection"],
                            "flawed tool calls")
    steps = N_EPISODES * DURATION * 5
    failed = "; ".join(f"{f['prompt'][:40]}...: {f['reason'][:90]}" for f in failures[:2])
    scen_text = (f"{counts['asked']} prompts, {counts['parsed']} parsed, {counts['instantiated']} instantiated, "
                 f"{counts['failed']} failed" + (f" ({failed})" if failed else ""))
    scenario_entries = [DemoEntry("agent", "LLM-written scenarios", "agent_scenarios/report.html", scen,
                                  f"SmolLM2 scenario specifications: {scen_text}; each instantiated one rolled "
                                  "out with the cautious policy and rendered",
                                  _scenario_catch(scen))] if scen is not None else []
    return [
        DemoEntry("agent", "Driving rollouts (highway-env)", "agent_clean/report.html", g,
                  f"{N_EPISODES} episodes of a cautious scripted policy ({steps} steps at 5 Hz, telemetry of the ego "
                  f"and nearby vehicles, goals, frames), replayed in the simulator; the real side is the same policy "
                  f"on other seeds", tail_catch),
        DemoEntry("agent", "Flawed: tailgating policy (on purpose)", "agent_tailgating/report.html", t,
                  "the same seeds driven by a policy that follows its leader at a 0.6 s headway and brakes late",
                  tail_catch),
        DemoEntry("agent", "Flawed: corrupted actions (on purpose)", "agent_corrupted/report.html", c,
                  f"the clean rollouts with {CORRUPT_SHARE:.0%} of their actions replaced by out-of-space values",
                  corrupt_catch),
        DemoEntry("agent", "Tool-call trajectories", "agent_tools_clean/report.html", tg,
                  f"{N_TOOL} scripted tool-using episodes (unit conversion in process, currency table and Python "
                  "interpreter in the sandbox) with known answers; one in five asks for something hazardous and is "
                  "refused", tool_catch),
        DemoEntry("agent", "Flawed: tool calls (on purpose)", "agent_tools_flawed/report.html", tb,
                  "hallucinated tool names, arguments that break the schema, recorded results re-execution does not "
                  "reproduce, and hazardous tasks carried out", tool_catch),
        *scenario_entries,
    ]


def _scenario_catch(report) -> str | None:
    """What the scenario audit says about the generated scenarios: their diversity and the judge's verdict."""
    ran = {m.id: m.value for m in report.metrics}
    parts = [f"{m}: {ran[m]:.3g}" for m in ("agent.road_diversity", "agent.agent_diversity", "agent.scene_match_rate")
             if ran.get(m) is not None]
    return "; ".join(parts) or None


def _scenarios(ctx, data):
    """SmolLM2-written scenario specifications for the first demo prompts, instantiated and rolled out; (the
    episodes file or None, the counts, the failures)."""
    from synthaudit.generate.agent.rollouts import record_episodes, write_episodes
    from synthaudit.generate.agent.scenarios import DEMO_PROMPTS, scenarios_from_prompts

    batch = scenarios_from_prompts(list(DEMO_PROMPTS[:N_SCENARIO_PROMPTS]), ctx.llm(), seed=ctx.seed)
    episodes = []
    for i, r in enumerate(x for x in batch.results if x.ok):
        inst = r.instantiated
        episodes += record_episodes(1, "cautious", seed=ctx.seed + 7000 + i, env_id=inst.env_id,
                                    config={**inst.config, "duration": DURATION}, scenario=inst.spec,
                                    prompt=r.prompt, name_prefix=f"scenario{i}", frames=FRAMES,
                                    out_dir=data / "scenarios")
    path = write_episodes(data / "scenarios" / "episodes.jsonl", episodes) if episodes else None
    return path, batch.counts, batch.failures
