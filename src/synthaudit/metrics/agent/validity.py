"""Agent validity (survey section 7.2): executability on replay, goal success and completion, prompt-scene match."""
from __future__ import annotations

from collections import Counter

import numpy as np

from synthaudit.envs.base import FAILURE_KINDS
from synthaudit.metrics.agent.common import (AGENT, SECTION_QUALITY, EpisodeMetric, SourcedRecordMetric, episodes,
                                             goal_statuses, indices, needs, needs_environment, params, replay_of,
                                             undefined)
from synthaudit.metrics.registry import MergeableMetric, RecordMetric, register
from synthaudit.metrics.result import MetricResult


@register(id="agent.exec_rate", name="Action executability rate (ExecRate)", modality=AGENT, pillar="quality",
          dimension="validity", section=SECTION_QUALITY, direction="higher_better", range=(0.0, 1.0),
          inputs=("trajectories", "environment"), computation="mergeable",
          params={"after_first_failure": {"default": "count_as_failed", "options": ["count_as_failed", "exclude"]}},
          applies=needs_environment)
class ExecRateMetric(MergeableMetric):
    """ExecRate = executed actions / all actions, pooled over every action of every trajectory, on a replay in the
    environment (envs.replay: reset with the episode's seed and config, then each recorded action) or through the
    tool registry (envs.tools: schema check, then execution). An action fails when the environment raises, when
    it is outside the action space, when the simulator does not offer it in that state, when the replay had
    already ended, or (tools) when the tool is unknown or its arguments violate its schema. A replay stops at the
    first failure; the actions never run count as failures (catalog default) or are excluded."""

    def init(self, inputs, models):
        return {"inputs": inputs, "ok": 0, "n": 0, "per_episode": [], "kinds": Counter(), "failed": [],
                "sim_s": 0.0, "total_s": 0.0}

    def update(self, state, role, batch):
        inputs = state["inputs"]
        mode = params(inputs, self)["after_first_failure"]
        for i, e in zip(indices(batch), episodes(inputs, batch)):
            rep = replay_of(inputs, i, e)
            state["sim_s"] += rep.sim_seconds
            state["total_s"] += rep.total_seconds
            outs = rep.outcomes if mode == "count_as_failed" else [o for o in rep.outcomes
                                                                   if o.kind != "not_executed"]
            state["ok"] += sum(o.ok for o in outs)
            state["n"] += len(outs)
            state["per_episode"].append(rep.exec_rate(mode))
            state["kinds"].update(o.kind for o in rep.outcomes if o.kind)
            if rep.first_failure is not None or rep.first_divergence or rep.mismatches or rep.error:
                state["failed"].append(rep.to_dict())
        return state

    def merge(self, a, b):
        return {**a, "ok": a["ok"] + b["ok"], "n": a["n"] + b["n"], "per_episode": a["per_episode"] + b["per_episode"],
                "kinds": a["kinds"] + b["kinds"], "failed": a["failed"] + b["failed"],
                "sim_s": a["sim_s"] + b["sim_s"], "total_s": a["total_s"] + b["total_s"]}

    def finalize(self, state, inputs, models) -> MetricResult:
        if state["n"] == 0:
            return undefined("no actions to replay")
        per = [v for v in state["per_episode"] if v is not None]
        breakdown = [{"outcome": k, "actions": int(v), "meaning": FAILURE_KINDS.get(k, "")}
                     for k, v in state["kinds"].most_common()]
        sim, total = state["sim_s"], state["total_s"]
        return MetricResult(
            value=state["ok"] / state["n"], breakdown=breakdown,
            record_scores=np.array([np.nan if v is None else v for v in state["per_episode"]], dtype=float),
            secondary={"per_trajectory_mean": float(np.mean(per)) if per else None,
                       "episodes_diverged": sum(1 for f in state["failed"] if f["first_divergence"]),
                       "claims_contradicted": sum(1 for f in state["failed"] if f["mismatches"])},
            notes={"actions": state["n"], "executed": state["ok"], "averaging": "micro (pooled over actions)",
                   "after_first_failure": params(inputs, self)["after_first_failure"],
                   "failed_replays": state["failed"][:50], "simulator_cpu_s": round(sim, 3),
                   "replay_cpu_s": round(total, 3)})


class GoalMetric(EpisodeMetric, SourcedRecordMetric):
    """A per-episode score of the goal statuses (envs.goals), hazardous tasks left out."""

    def episode_score(self, inputs, models, index, e) -> float:
        if e.hazardous:  # a hazardous task's goal is the harm: agent.hazard_risk scores it
            return np.nan
        statuses, _ = goal_statuses(inputs, index, e)
        return np.nan if statuses is None else self.from_statuses(statuses)

    def from_statuses(self, statuses) -> float:
        raise NotImplementedError

    def update(self, state, role, batch):
        state = super().update(state, role, batch)
        for i, e in zip(indices(batch), episodes(state["inputs"], batch)):
            if e.goal and not e.hazardous:
                state["sources"].append(goal_statuses(state["inputs"], i, e)[1])
        return state

    def finalize(self, state, inputs, models) -> MetricResult:
        res = super().finalize(state, inputs, models)
        src = state["sources"]
        res.notes.update(hazardous_tasks="left out (scored by agent.hazard_risk)",
                         evaluated_on=f"{src.count('replay')} replayed, {src.count('recorded')} recorded episode(s)",
                         predicates="envs.goals (PARTNR rule: a predicate with 'after' counts only once its "
                                    "dependencies held)")
        return res


def _has_goal(e) -> bool:
    return bool(e.goal) and not e.hazardous


@register(id="agent.sr_valid", name="Task success rate (SR_valid)", modality=AGENT, pillar="quality",
          dimension="validity", section=SECTION_QUALITY, direction="higher_better", range=(0.0, 1.0),
          inputs=("trajectories", "environment", "rules"), computation="record",
          applies=needs(_has_goal, "goal predicates (a goal field)"))
class SrValidMetric(GoalMetric):
    """SR_valid = share of episodes whose goal predicates all hold at the end (on the replayed states when the
    episode was replayed; equals the share with agent.percent_complete = 1)."""

    def from_statuses(self, statuses) -> float:
        from synthaudit.envs.goals import success

        s = success(statuses)
        return np.nan if s is None else float(s)


@register(id="agent.percent_complete", name="Percent complete (PC)", modality=AGENT, pillar="quality",
          dimension="validity", section=SECTION_QUALITY, direction="higher_better", range=(0.0, 1.0),
          inputs=("trajectories", "environment", "rules"), computation="record",
          applies=needs(_has_goal, "goal predicates (a goal field)"))
class PercentCompleteMetric(GoalMetric):
    """PC = |goal predicates achieved at termination| / |goal predicates| per episode, averaged (one
    implementation for the validity and utility uses, as the catalog says)."""

    def from_statuses(self, statuses) -> float:
        from synthaudit.envs.goals import percent_complete

        v = percent_complete(statuses)
        return np.nan if v is None else float(v)


def _scene_text(e) -> str:
    from synthaudit.generate.agent.scenarios import describe

    try:
        return describe(e.scenario)
    except Exception:  # a spec the describer does not know: its JSON is the scene
        import json

        return json.dumps(e.scenario, ensure_ascii=False)[:1500]


@register(id="agent.scene_match_rate", name="Prompt-scene text matching rate (TTSG generation correctness)",
          modality=AGENT, pillar="quality", dimension="validity", section=SECTION_QUALITY,
          direction="higher_better", range=(0.0, 1.0), inputs=("synthetic", "prompts", "environment"),
          models=("llm_judge",), computation="record",
          applies=needs(lambda e: bool(e.prompt and e.scenario), "a prompt and a scenario specification"))
class SceneMatchMetric(EpisodeMetric, RecordMetric):
    """Scene match = share of generated scenarios the judge rates as matching their prompt (binary, versioned
    agent_scene_match prompt); the judge reads the scenario as instantiated (road, traffic, agents), not a
    rendering."""

    def score(self, batch, inputs, models) -> np.ndarray:
        eps = episodes(inputs, batch)
        todo = [k for k, e in enumerate(eps) if e.prompt and e.scenario]
        out = np.full(len(eps), np.nan)
        items = [{"prompt": eps[k].prompt, "scene": _scene_text(eps[k])} for k in todo]
        for k, r in zip(todo, models.get("llm_judge").rate("agent_scene_match", items) if items else []):
            out[k] = np.nan if r is None else float(r > 0.5)
        return out

    def finalize(self, state, inputs, models) -> MetricResult:
        from synthaudit.metrics.image_text.common import backend_name

        res = super().finalize(state, inputs, models)
        res.notes.update(judge=backend_name(models, "llm_judge"), prompt="agent_scene_match v1",
                         judgement="matched when the judge's probability of 'matches' exceeds 0.5")
        return res
