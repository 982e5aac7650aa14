"""What a replay returns (survey section 7.2, ExecRate): one outcome per recorded action and the replayed states.

Every replay -- a gymnasium environment (``synthaudit.envs.replay``) or a tool registry
(``synthaudit.envs.tools``) -- gives a :class:`ReplayResult`, so the metrics read one structure.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: why an action did not execute
FAILURE_KINDS = {
    "exception": "the environment or tool raised an error",
    "invalid_action": "the action is not in the environment's action space",
    "precondition": "the action is not available in this state (simulator rejection)",
    "after_end": "the episode had already ended in the replay (terminated or truncated)",
    "not_executed": "not executed: an earlier action of the episode failed",
    "unknown_tool": "the tool is not in the registry",
    "schema": "the arguments violate the tool's JSON Schema",
    "result_mismatch": "re-execution gives another result than the recorded one",
    "no_environment": "no environment to replay the episode in",
}


@dataclass
class ActionOutcome:
    """One recorded action (one tool call for tool steps) in the replay."""

    step: int
    ok: bool
    kind: str | None = None  # a key of FAILURE_KINDS when not ok (result_mismatch: executed, but differs)
    message: str | None = None
    call: int | None = None  # the call's index within its step (tool steps with several calls)


@dataclass
class ReplayResult:
    """The replay of one episode.

    outcomes: one per action (tool calls: one per call), in order; ``executed`` counts ``ok`` ones.
    first_failure: the step of the first action that did not execute (None: all executed).
    first_divergence: the first step whose replayed state differs from the recorded one beyond the tolerance:
        {"step", "field", "recorded", "replayed"} (None: no recorded states, or all agree).
    states: the replayed telemetry (Step.state format), one per executed step (driving environments).
    rewards: the replayed rewards; terminated / crashed: how the replay ended.
    mismatches: claimed outcomes the replay contradicts ("claims success but ...").
    sim_seconds / total_seconds: CPU seconds inside the simulator's step calls / in the whole replay.
    error: why the episode could not be replayed at all (then ``outcomes`` are all failures of that kind).
    """

    episode_id: str
    outcomes: list[ActionOutcome] = field(default_factory=list)
    first_failure: int | None = None
    first_divergence: dict[str, Any] | None = None
    states: list[dict] = field(default_factory=list)
    rewards: list[float] = field(default_factory=list)
    terminated: bool = False
    crashed: bool | None = None
    mismatches: list[str] = field(default_factory=list)
    sim_seconds: float = 0.0
    total_seconds: float = 0.0
    error: str | None = None
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def n_actions(self) -> int:
        return len(self.outcomes)

    @property
    def executed(self) -> int:
        return sum(o.ok for o in self.outcomes)

    def exec_rate(self, after_first_failure: str = "count_as_failed") -> float | None:
        """Share of actions that executed; ``exclude`` leaves out the actions never run after a failure."""
        outs = self.outcomes if after_first_failure == "count_as_failed" else \
            [o for o in self.outcomes if o.kind != "not_executed"]
        return sum(o.ok for o in outs) / len(outs) if outs else None

    def to_dict(self) -> dict[str, Any]:
        return {"episode_id": self.episode_id, "actions": self.n_actions, "executed": self.executed,
                "first_failure": self.first_failure, "first_divergence": self.first_divergence,
                "failures": [{"step": o.step, "call": o.call, "kind": o.kind, "message": o.message}
                             for o in self.outcomes if not o.ok or o.kind == "result_mismatch"][:20],
                "terminated": self.terminated, "crashed": self.crashed, "mismatches": self.mismatches,
                "error": self.error}
