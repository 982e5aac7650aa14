"""Agent data (survey section 7): the options of ``synthaudit audit agent`` and the hooks.

A record is one episode: environment rollouts, tool-call trajectories, driving scenarios and telemetry in one
trajectory format (``synthaudit.data.agent``). Executability and safety are checked by replaying the recorded
actions in the environment (``synthaudit.envs``: gymnasium / highway-env, or a tool registry), not by trusting
the data's own claims.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from synthaudit.modalities.base import Modality, ModalityInputs, TrackSpec, option
from synthaudit.modalities.registry import register_modality

_HERE = "synthaudit.modalities.agent"


@dataclass(kw_only=True)
class AgentInputs(ModalityInputs):
    """Inputs of an agent audit: episodes (JSON Lines, JSON, Parquet, a Hugging Face dataset or a table, one record
    per episode with a steps list, or one record per step with an episode id)."""

    modality = "agent"

    synthetic: Any = option(None, "Generated trajectories: one record per episode (episode_id, steps with action, "
                            "state, reward, info; optional goal, scenario, prompt, frames) or one record per step.",
                            kind="data", short="-s", role="synthetic")
    real: Any = option(None, "Real trajectories to compare with (agent.fid_fvd, paired frames by episode id).",
                       kind="data", short="-r", role="real_reference")
    environment: str | None = option(None, "Environment to replay the actions in: a gymnasium id (highway-v0, "
                                     "merge-v0, Pendulum-v1, ...) or 'package.module:factory' (default: each "
                                     "episode's env field).", role="environment")
    tools: Any = option(None, "Tool registry for tool-call trajectories: a JSON or YAML file listing tools (name, "
                        "JSON Schema parameters, optional sandboxed code).", kind="config", role="environment")
    temporal_spec: Any = option(None, "LTLf / STL safety specifications (agent.safety_sat): a formula, or a JSON or "
                                "YAML file of named formulas over the step signals (speed, ttc, crashed, ...).",
                                kind="config", role="temporal_spec")
    replay: bool = option(True, "Replay the recorded actions in the environment (off: trust the recorded states "
                          "and outcomes; executability is then a gap).", kind="bool")
    replay_workers: int | None = option(None, "Processes that replay episodes (default: 1 below 2,000 steps, else "
                                        "up to the number of cores).", kind="int")
    robot_agent: str = option("robot", "The agent name whose completed sub-tasks count as the robot's "
                              "(agent.offloading; steps carry an 'agent' field).")


MODALITY = register_modality(Modality(
    name="agent", title="Agent", section="7.2",
    inputs=AgentInputs,
    summary="Audit agent data (survey section 7): trajectories replayed in the environment (highway-env, any "
            "gymnasium env, a tool registry) for executability and claimed outcomes, goal success, driving safety "
            "(TTC, MDC, jerk, hard braking, per-type violations per km), LTLf/STL specifications, hazard refusal.",
    prepare=f"{_HERE}.prepare:prepare", metrics="synthaudit.metrics.agent",
    model_options=("image_features", "clip", "video_features", "lpips", "judge", "lm", "base_url"),
    role_flags={"trajectories": "--synthetic (episodes with steps)",
                "environment": "--environment, --tools or an env field of the episodes",
                "rules": "--synthetic (goal predicates, or driving telemetry for the built-in traffic rules)",
                "prompts": "--synthetic (a prompt field)", "images": "--synthetic (a frames field)",
                "references": "--synthetic (reference_frames) or --real (episodes with frames, paired by id)",
                "labels": "--synthetic (violations and predicted_violations fields)"},
    track=TrackSpec(metrics=("agent.exec_rate", "agent.collision_rate")),
    report_figures=f"{_HERE}.report:figures",
    generate_command=f"{_HERE}.cli:generate_agent",
    demo=f"{_HERE}.demo:section",
    docs="docs/agent.md",
))
