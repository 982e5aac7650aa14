"""Agent utility (survey section 7.2): evaluation success with its interval, simulation steps, task offloading,
collision rate, the SafeBench overall score and the discounted return."""
from __future__ import annotations

import numpy as np

from synthaudit.metrics.agent.common import (AGENT, SECTION_QUALITY, EpisodeMetric, SourcedRecordMetric, episodes,
                                             goal_statuses, indices, needs, needs_telemetry, params, replay_of,
                                             sources_note, states_of, telemetry_of)
from synthaudit.metrics.agent.safety import TelemetryMetric
from synthaudit.metrics.image_text.common import all_of
from synthaudit.metrics.registry import RecordMetric, register
from synthaudit.metrics.result import MetricResult


def episode_success(inputs, index: int, e) -> tuple[bool | None, str]:
    """An episode's success and where it comes from: its goal predicates (on the replay when replayed), else the
    replay's outcome for a driving episode without a goal (no crash, not ended early), else the recorded claim."""
    from synthaudit.envs.goals import success

    statuses, source = goal_statuses(inputs, index, e)
    if statuses is not None:
        return success(statuses), f"goal ({source})"
    rep = replay_of(inputs, index, e)
    if rep is not None and rep.states and rep.crashed is not None and rep.error is None:
        return (not rep.crashed) and rep.first_failure is None, "replay (no crash)"
    return e.success, "recorded"


def _has_outcome(e) -> bool:
    return bool(e.goal) or e.success is not None or e.has_telemetry


@register(id="agent.sr_eval", name="Evaluation success rate (SR_eval)", modality=AGENT, pillar="quality",
          dimension="utility", section=SECTION_QUALITY, direction="higher_better", range=(0.0, 1.0),
          inputs=("trajectories", "environment"), computation="record",
          applies=needs(_has_outcome, "a goal, a success flag or telemetry"))
class SrEvalMetric(SourcedRecordMetric):
    """SR_eval = mean of binary success over evaluation episodes, with a 95 % Wilson interval and the number of
    seeds; success from the goal predicates on the replay when available (envs.goals), else the replay's
    no-crash outcome, else the recorded flag."""

    lists = ("seeds",)

    def update(self, state, role, batch):
        inputs = state["inputs"]
        out = []
        for i, e in zip(indices(batch), episodes(inputs, batch)):
            if e.hazardous:  # scored by agent.hazard_risk
                out.append(np.nan)
                continue
            s, source = episode_success(inputs, i, e)
            out.append(np.nan if s is None else float(s))
            state["sources"].append(source)
            state["seeds"].append(e.seed)
        state["scores"].append(np.array(out))
        return state

    def finalize(self, state, inputs, models) -> MetricResult:
        from synthaudit.stats.caption_text import win_rate

        res = super().finalize(state, inputs, models)
        scores = res.record_scores[~np.isnan(res.record_scores)] if res.record_scores is not None else []
        if len(scores):
            w = win_rate([float(s) for s in scores])  # no ties: the Wilson interval of a binomial proportion
            res.ci = (w["ci_low"], w["ci_high"])
        res.notes.update(seeds=len({s for s in state["seeds"] if s is not None}), interval="Wilson 95 %",
                         success_from=sorted(set(state["sources"])))
        return res


@register(id="agent.sim_steps", name="Simulation steps (SimSteps)", modality=AGENT, pillar="quality",
          dimension="utility", section=SECTION_QUALITY, direction="lower_better", range=(0.0, float("inf")),
          inputs=("trajectories", "environment"), computation="record")
class SimStepsMetric(EpisodeMetric, RecordMetric):
    """SimSteps = mean number of environment steps per episode; the mean over successful episodes is a secondary
    value (compare only at equal success: failures that hit the step limit inflate the mean)."""

    def episode_score(self, inputs, models, index, e) -> float:
        return float(len(e.steps))

    def init(self, inputs, models):
        return {**super().init(inputs, models), "successful": []}

    def update(self, state, role, batch):
        state = super().update(state, role, batch)
        inputs = state["inputs"]
        state["successful"] += [len(e.steps) for i, e in zip(indices(batch), episodes(inputs, batch))
                                if episode_success(inputs, i, e)[0]]
        return state

    def merge(self, a, b):
        return {**super().merge(a, b), "successful": a["successful"] + b["successful"]}

    def finalize(self, state, inputs, models) -> MetricResult:
        res = super().finalize(state, inputs, models)
        ok = state["successful"]
        res.secondary["mean_successful"] = float(np.mean(ok)) if ok else None
        res.notes["successful_episodes"] = len(ok)
        return res


@register(id="agent.offloading", name="Task offloading (Offloading)", modality=AGENT, pillar="quality",
          dimension="utility", section=SECTION_QUALITY, direction="higher_better", range=(0.0, 1.0),
          inputs=("trajectories", "environment"), computation="record",
          applies=needs(lambda e: bool(e.goal) and len({s.agent for s in e.steps if s.agent}) > 1,
                        "goal predicates and steps by more than one agent (a collaborative episode)"))
class OffloadingMetric(EpisodeMetric, RecordMetric):
    """Offloading = mean over episodes of the share of completed goal predicates whose completing step was taken
    by the robot agent (--robot-agent; PARTNR convention, higher = the robot does more); episodes with nothing
    completed are excluded and counted."""

    def episode_score(self, inputs, models, index, e) -> float:
        from synthaudit.envs.goals import offloading

        statuses, _ = goal_statuses(inputs, index, e)
        if statuses is None:
            return np.nan
        v = offloading(statuses, robot=inputs.extra.get("robot_agent") or "robot")
        return np.nan if v is None else float(v)

    def finalize(self, state, inputs, models) -> MetricResult:
        res = super().finalize(state, inputs, models)
        res.notes.update(robot_agent=inputs.extra.get("robot_agent"), excluded=res.notes["n_undefined"])
        return res


@register(id="agent.collision_rate", name="Collision rate (CR)", modality=AGENT, pillar="quality",
          dimension="utility", section=SECTION_QUALITY, direction="lower_better", range=(0.0, 1.0),
          inputs=("trajectories", "environment"), computation="record",
          params={"signal": {"default": "binary", "options": ["binary", "count"]}}, applies=needs_telemetry)
class CollisionRateMetric(TelemetryMetric):
    """CR = mean over episodes of the collision signal on the (replayed) telemetry: 1 if the ego crashed at any
    step (binary, default) or the number of collisions (count: rising edges of the crash flag)."""

    def of(self, tel, e, p) -> float:
        from synthaudit.stats.driving import collision_signal

        return collision_signal(tel, p["signal"])


def _lane_offsets(e, states: list[dict]) -> np.ndarray | None:
    """|lateral offset from the lane centre| per step (state.ego.lane_offset), SafeBench's distance to the route on
    a road whose route is the lane; None when the states do not record it."""
    vals = [s["ego"].get("lane_offset") for s in states if isinstance(s.get("ego"), dict)]
    if not vals or any(not isinstance(v, (int, float)) for v in vals):
        return None
    return np.abs(np.array(vals, dtype=float))


@register(id="agent.overall_score", name="SafeBench overall driving score", modality=AGENT, pillar="quality",
          dimension="utility", section=SECTION_QUALITY, direction="higher_better", range=(0.0, 1.0),
          inputs=("trajectories", "environment"), computation="record",
          applies=all_of(needs_telemetry, needs(lambda e: e.route_length is not None,
                                                "a planned route length (route_length)")))
class OverallScoreMetric(SourcedRecordMetric):
    """SafeBench's overall score (stats.driving.safebench_overall, SafeBench commit 3cb6013a's get_scores: safety
    x 5, functionality x 0.5, etiquette x 0.2, ... / 10.1, each component normalised by the benchmark's maxima),
    per scenario from the (replayed) telemetry; the distance to the route is the ego's offset from its lane centre
    (state.ego.lane_offset). The mean over scenarios (SafeBench averages its components over scenarios first; the
    score of the pooled components is a secondary value)."""

    lists = ("rows",)

    def update(self, state, role, batch):
        from synthaudit.stats.driving import safebench_inputs, safebench_overall

        inputs = state["inputs"]
        out = []
        for i, e in zip(indices(batch), episodes(inputs, batch)):
            tel, source = telemetry_of(inputs, i, e)
            states, _ = states_of(inputs, i, e)
            offsets = _lane_offsets(e, states) if tel is not None else None
            if tel is None or offsets is None or e.route_length is None:
                out.append(np.nan)
                continue
            row = safebench_inputs(tel, route_length=e.route_length, distance_to_route=offsets)
            state["rows"].append(row)
            state["sources"].append(source)
            out.append(float(safebench_overall([row])["final_score"]))
        state["scores"].append(np.array(out, dtype=float))
        return state

    def finalize(self, state, inputs, models) -> MetricResult:
        from synthaudit.stats.driving import safebench_overall

        res = super().finalize(state, inputs, models)
        if state["rows"]:
            pooled = safebench_overall(state["rows"])
            res.secondary.update({"pooled_score": float(pooled["final_score"]),
                                  "safety_os": float(pooled["safety_os"]), "task_os": float(pooled["task_os"]),
                                  "comfort_os": float(pooled["comfort_os"])})
        res.notes.update(reference="SafeBench safebench/util/metric_util.py get_scores at commit 3cb6013a",
                         telemetry=sources_note(state["sources"]),
                         undefined_when="no route length or no lane offsets in the states")
        return res


@register(id="agent.discounted_return", name="Discounted return (G_t)", modality=AGENT, pillar="quality",
          dimension="utility", section=SECTION_QUALITY, direction="higher_better",
          range=(float("-inf"), float("inf")), inputs=("trajectories",), computation="record",
          params={"gamma": {"default": 0.99}},
          applies=needs(lambda e: any(s.reward is not None for s in e.steps), "rewards"))
class DiscountedReturnMetric(EpisodeMetric, RecordMetric):
    """G_0 = sum_k gamma^k r_(k+1) per episode over its recorded rewards (missing rewards count 0 and are
    counted), truncated at the episode's end; the mean over episodes. The replayed return, where it differs, is
    flagged by agent.exec_rate's claim checks."""

    def episode_score(self, inputs, models, index, e) -> float:
        gamma = float(params(inputs, self)["gamma"])
        r = np.array([0.0 if s.reward is None else s.reward for s in e.steps], dtype=float)
        if not any(s.reward is not None for s in e.steps):
            return np.nan
        return float(np.sum(r * gamma ** np.arange(len(r))))

    def finalize(self, state, inputs, models) -> MetricResult:
        res = super().finalize(state, inputs, models)
        res.notes["gamma"] = float(params(inputs, self)["gamma"])
        return res

