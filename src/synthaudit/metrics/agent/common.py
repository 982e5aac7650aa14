"""Shared glue of the agent metrics (survey section 7): episodes of a batch, the replay (computed once per audit
and role, on the environment or the tool registry), the telemetry a metric reads (replayed when the episode was
replayed, else recorded) and goal statuses."""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from synthaudit.data.agent import ROW_COL, Episode, batch_episodes, episodes_of
from synthaudit.metrics.registry import RecordMetric
from synthaudit.metrics.result import MetricResult

AGENT = "agent"
SECTION_QUALITY = "7.2"
SECTION_TRUST = "7.3"
REAL, SYN = "real_reference", "synthetic"
#: default seconds per step when an episode gives neither dt nor a policy frequency
DEFAULT_DT = 0.1


def undefined(reason: str, **notes: Any) -> MetricResult:
    return MetricResult(value=None, notes={"undefined": reason, **notes})


def params(inputs, metric) -> dict[str, Any]:
    return inputs.params_for(metric.spec.id, metric.spec.default_params())


def episodes(inputs, batch, role: str = SYN) -> list[Episode]:
    return batch_episodes(inputs, role, batch)


def indices(batch) -> list[int]:
    return [int(i) for i in batch[ROW_COL]]


def _syn(inputs) -> list[Episode]:
    return episodes_of(inputs, SYN).episodes


def needs(check: Callable[[Episode], bool], what: str) -> Callable[[Any], str | None]:
    """An ``applies`` check: some synthetic episode passes ``check``."""
    def applies(inputs) -> str | None:
        return None if any(check(e) for e in _syn(inputs)) else f"no episode has {what}"

    return applies


def needs_environment(inputs) -> str | None:
    if not inputs.extra.get("replay"):
        return ("no environment to replay the episodes in (give --environment, --tools or an env field; "
                "--no-replay turns replay off)")
    return None


def needs_telemetry(inputs) -> str | None:
    if inputs.extra.get("driving"):
        return None
    return "no episode has driving telemetry (state.ego) and none is replayed in a driving simulator"


# -- replay --------------------------------------------------------------------------------------------------------
def replays(inputs, role: str = SYN) -> list | None:
    """The replay of every episode of ``role`` (ReplayResult per episode, in order), computed once per audit; None
    without an environment."""
    env = inputs.extra.get("replay")
    if not env:
        return None

    def compute():
        from synthaudit.envs.replay import replay_episodes

        eps = episodes_of(inputs, role).episodes
        progress = inputs.extra.get("progress")
        return replay_episodes(eps, env.get("environment"), workers=env.get("workers", 1), tools=env.get("tools"),
                               progress=progress)

    return inputs.features.get(f"agent:replay:{role}", compute)


def replay_of(inputs, index: int, role: str = SYN):
    reps = replays(inputs, role)
    return None if reps is None else reps[index]


def dt_of(e: Episode) -> float:
    if e.dt:
        return float(e.dt)
    freq = (e.config or {}).get("policy_frequency")
    return 1.0 / float(freq) if isinstance(freq, (int, float)) and freq > 0 else DEFAULT_DT


def states_of(inputs, index: int, e: Episode, role: str = SYN) -> tuple[list[dict], str]:
    """The states a safety metric reads and where they come from: the replay's (the simulator's truth) when the
    episode was replayed with telemetry, else the recorded ones."""
    rep = replay_of(inputs, index, role)
    if rep is not None and rep.states:
        return rep.states, "replay"
    return [s.state for s in e.steps if isinstance(s.state, dict)], "recorded"


def telemetry_of(inputs, index: int, e: Episode, role: str = SYN):
    """The ego telemetry of an episode (stats.driving.Telemetry) and its source, or (None, reason)."""
    def compute():
        from synthaudit.stats.driving import telemetry_of as build

        states, source = states_of(inputs, index, e, role)
        if not states or not any(isinstance(s.get("ego"), dict) for s in states):
            return None, "no telemetry"
        infos = [s.info for s in e.steps][:len(states)]
        return build(states, dt_of(e), infos=infos, label=f"episode {e.episode_id!r}"), source

    return inputs.features.get(f"agent:telemetry:{role}:{index}", compute)


def sources_note(sources: list[str]) -> str:
    n_rep = sources.count("replay")
    return (f"{n_rep} episode(s) from the simulator's replay, {len(sources) - n_rep} from the recorded states"
            if sources else "no episode had telemetry")


def goal_statuses(inputs, index: int, e: Episode, role: str = SYN) -> tuple[list | None, str]:
    """Goal predicate statuses of an episode on the replayed states (else the recorded ones); None without a goal."""
    if not e.goal:
        return None, "no goal"
    rep = replay_of(inputs, index, role)

    def compute():
        from synthaudit.envs.goals import goal_status

        if rep is not None and rep.states:
            return goal_status(e, states=rep), "replay"
        return goal_status(e), "recorded"

    return inputs.features.get(f"agent:goals:{role}:{index}", compute)


class SourcedRecordMetric(RecordMetric):
    """A record metric that keeps, beside its scores, where each scored episode's data came from (``sources``:
    "replay" or "recorded", see :func:`sources_note`) and the other per-episode lists named in ``lists``; they are
    concatenated on merge."""

    lists: tuple[str, ...] = ()

    def init(self, inputs, models):
        return {**super().init(inputs, models), **{k: [] for k in ("sources", *self.lists)}}

    def merge(self, a, b):
        return {**super().merge(a, b), **{k: a[k] + b[k] for k in ("sources", *self.lists)}}


class EpisodeMetric:
    """Mixin for record metrics scored per episode: ``episode_score(inputs, models, index, episode)`` -> float (NaN
    when undefined), with the per-episode sources collected for the notes."""

    def score(self, batch, inputs, models) -> np.ndarray:
        return np.array([self.episode_score(inputs, models, i, e)
                         for i, e in zip(indices(batch), episodes(inputs, batch))], dtype=float)

    def episode_score(self, inputs, models, index: int, e: Episode) -> float:
        raise NotImplementedError
