"""Shared glue of the agent metrics (survey section 7): episodes of a batch, the replay (on the environment or the
tool registry), the telemetry a metric reads (replayed when the episode was replayed, else recorded) and goal
statuses. The replay, telemetry and goal statuses of an episode are computed once and shared by every metric: for
the whole audit when the role is in memory, for the batch being read when it streams (issue #13: memory follows
the batch size, not the file)."""
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


class _Shared:
    """What the agent metrics share about one role's episodes, by episode number: replays, telemetry and goal
    statuses (``values``), and the episodes of the batch being read that have no replay yet (``pending``, replayed
    together on the first ask). A streamed role keeps them only for the current batch."""

    def __init__(self) -> None:
        self.batch: tuple[int, int] | None = None
        self.pending: dict[int, Episode] = {}
        self.values: dict[tuple[str, int], Any] = {}

    def enter(self, numbers: list[int], eps: list[Episode], streamed: bool) -> None:
        key = (numbers[0], len(numbers)) if numbers else None
        if streamed and key != self.batch:
            self.pending.clear()
            self.values.clear()
        self.batch = key
        self.pending.update((i, e) for i, e in zip(numbers, eps) if ("replay", i) not in self.values)

    def get(self, kind: str, index: int, compute: Callable[[], Any]) -> Any:
        key = (kind, index)
        if key not in self.values:
            from synthaudit.timing import shared

            with shared("features: agent"):
                self.values[key] = compute()
        return self.values[key]


def _shared(inputs, role: str) -> _Shared:
    return inputs.features.get(f"agent:shared:{role}", _Shared)


def episodes(inputs, batch, role: str = SYN) -> list[Episode]:
    """The episodes of a batch (and the batch the shared replays, telemetry and goal statuses are kept for)."""
    eps = batch_episodes(inputs, role, batch)
    _shared(inputs, role).enter(indices(batch), eps, not inputs.tables[role].materialized)
    return eps


def indices(batch) -> list[int]:
    return [int(i) for i in batch[ROW_COL]]


def applies_episodes(inputs) -> list[Episode]:
    """The synthetic episodes that decide which metrics apply: every one in memory, the first ones of a streamed
    file (prepare's)."""
    if not inputs.tables[SYN].materialized:
        return (inputs.extra.get("head_episodes") or {}).get(SYN, [])
    return episodes_of(inputs, SYN).episodes


def needs(check: Callable[[Episode], bool], what: str) -> Callable[[Any], str | None]:
    """An ``applies`` check: some synthetic episode passes ``check``."""
    def applies(inputs) -> str | None:
        return None if any(check(e) for e in applies_episodes(inputs)) else f"no episode has {what}"

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
def replay_of(inputs, index: int, e: Episode, role: str = SYN):
    """The replay (ReplayResult) of episode number ``index``, ``e``; None without an environment. The episodes of
    the batch being read are replayed together, in one call (spread over the replay workers)."""
    env = inputs.extra.get("replay")
    if not env:
        return None
    state = _shared(inputs, role)
    if ("replay", index) not in state.values:
        from synthaudit.envs.replay import replay_episodes
        from synthaudit.timing import shared

        todo = {**state.pending, index: e}
        state.pending = {}
        with shared("features: agent"):
            reps = replay_episodes(list(todo.values()), env.get("environment"), workers=env.get("workers", 1),
                                   tools=env.get("tools"), progress=inputs.extra.get("progress"))
        state.values.update({("replay", i): r for i, r in zip(todo, reps)})
    return state.values[("replay", index)]


def dt_of(e: Episode) -> float:
    if e.dt:
        return float(e.dt)
    freq = (e.config or {}).get("policy_frequency")
    return 1.0 / float(freq) if isinstance(freq, (int, float)) and freq > 0 else DEFAULT_DT


def states_of(inputs, index: int, e: Episode, role: str = SYN) -> tuple[list[dict], str]:
    """The states a safety metric reads and where they come from: the replay's (the simulator's truth) when the
    episode was replayed with telemetry, else the recorded ones."""
    rep = replay_of(inputs, index, e, role)
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

    return _shared(inputs, role).get("telemetry", index, compute)


def sources_note(sources: list[str]) -> str:
    n_rep = sources.count("replay")
    return (f"{n_rep} episode(s) from the simulator's replay, {len(sources) - n_rep} from the recorded states"
            if sources else "no episode had telemetry")


def goal_statuses(inputs, index: int, e: Episode, role: str = SYN) -> tuple[list | None, str]:
    """Goal predicate statuses of an episode on the replayed states (else the recorded ones); None without a goal."""
    if not e.goal:
        return None, "no goal"
    rep = replay_of(inputs, index, e, role)

    def compute():
        from synthaudit.envs.goals import goal_status

        if rep is not None and rep.states:
            return goal_status(e, states=rep), "replay"
        return goal_status(e), "recorded"

    return _shared(inputs, role).get("goals", index, compute)


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
