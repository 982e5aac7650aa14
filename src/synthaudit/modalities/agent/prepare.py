"""Load and check the episodes of an agent audit (survey section 7; ``--stream``: JSON Lines and Parquet files in
batches of whole episodes, see :mod:`synthaudit.modalities.agent.stream`)."""
from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from synthaudit.data.agent import EpisodeSummary, as_table, load_episodes
from synthaudit.data.inputs import AuditInputs
from synthaudit.errors import UsageError
from synthaudit.modalities.agent import AgentInputs
from synthaudit.modalities.base import LoadOptions

if TYPE_CHECKING:
    from synthaudit.data.tabular import Table

ROLE_LABELS = {"synthetic": "synthetic", "real_reference": "real"}
#: replay in one process below this many steps (a worker process costs about a second to start)
PARALLEL_STEPS = 2000


def _resolve_frames(episodes: list, source: Any) -> None:
    """Relative frame paths are relative to the folder of the file they were read from."""
    if not isinstance(source, (str, os.PathLike)):
        return
    base = Path(source).parent
    for e in episodes:
        for name in ("frames", "reference_frames"):
            frames = getattr(e, name)
            if frames:
                setattr(e, name, [str(base / f) if isinstance(f, str) and not Path(f).is_absolute() else f
                                  for f in frames])


def _tools(obj: Any):
    from synthaudit.envs.tools import ToolRegistry

    if obj is None:
        return None
    if isinstance(obj, ToolRegistry):
        return obj
    if isinstance(obj, (str, os.PathLike)):
        return ToolRegistry.from_file(obj)
    if isinstance(obj, list) or (isinstance(obj, dict) and isinstance(obj.get("tools"), list)):
        return ToolRegistry.from_list(obj)
    if isinstance(obj, dict):
        return ToolRegistry.from_mapping(obj)
    raise UsageError(f"--tools expects a JSON/YAML file, a list of tool specs or a mapping of tools, got "
                     f"{type(obj).__name__}", field="--tools")


def _workers(opts: AgentInputs, steps: int) -> int:
    if opts.replay_workers is not None:
        if opts.replay_workers < 1:
            raise UsageError(f"--replay-workers must be at least 1, got {opts.replay_workers}",
                             field="--replay-workers")
        return opts.replay_workers
    return 1 if steps < PARALLEL_STEPS else max(1, min(os.cpu_count() or 1, 4))


def _load(opts: AgentInputs, load: LoadOptions, warnings: list[str], summaries: dict[str, Any]
          ) -> tuple[dict[str, Table], dict[str, tuple[list, bool]]]:
    """The audit table of each role and its episodes as prepare sees them: all of them, or for a streamed file the
    first ones (:data:`~synthaudit.modalities.agent.stream.HEAD_EPISODES`) and whether it holds more."""
    from synthaudit.modalities.agent.stream import EpisodeStream

    tables, seen = {}, {}
    for role, obj in (("synthetic", opts.synthetic), ("real_reference", opts.real)):
        if obj is None:
            continue
        label = ROLE_LABELS[role]

        def resolve(eps: list, source: Any = obj) -> None:
            _resolve_frames(eps, source)

        stream = EpisodeStream.open(obj, label, fmt=load.fmt, encoding=load.encoding, resolve=resolve,
                                    warnings=warnings, summaries=summaries) if load.stream else None
        if stream is not None:
            eps, more = stream.head()
            tables[role], seen[role] = stream.table(), (eps, more)
            summaries[label] = {**EpisodeSummary(stream.layout).add(eps).describe(),
                                "streamed": "the first episodes only: the audit has not read the whole file"}
            continue
        eset = load_episodes(obj, label, fmt=load.fmt, encoding=load.encoding)
        _resolve_frames(eset.episodes, obj)
        tables[role], seen[role] = as_table(eset), (eset.episodes, False)
        summaries[label] = eset.describe()
        warnings.extend(f"{label}: {n}" for n in eset.notes)
    return tables, seen


def prepare(opts: AgentInputs, load: LoadOptions, seed: int, params: dict[str, Any]) -> AuditInputs:
    if opts.synthetic is None:
        raise UsageError("no synthetic trajectories given", field="--synthetic")
    warnings: list[str] = []
    summaries: dict[str, Any] = {}
    tables, seen = _load(opts, load, warnings, summaries)
    syn, more = seen["synthetic"]
    if more:
        warnings.append(f"synthetic: streamed: which metrics apply, the replay set-up and the figures' episodes are "
                        f"decided from the first {len(syn)} episodes; every episode is validated as it is read")
    if opts.environment is not None:
        from synthaudit.envs.resolve import check_environment

        check_environment(opts.environment)
    tools = _tools(opts.tools)
    specs = None
    if opts.temporal_spec is not None:
        from synthaudit.stats.temporal_logic import read_temporal_spec

        specs = read_temporal_spec(opts.temporal_spec)
    steps = sum(len(e) for e in syn)
    replayable = opts.replay and (opts.environment is not None or tools is not None or any(e.env for e in syn))
    if opts.environment is not None and not opts.replay:
        warnings.append("--environment is ignored with --no-replay")
    environment = {"environment": opts.environment, "tools": tools, "workers": _workers(opts, steps)} \
        if replayable else None
    if environment and tools is None and any(e.is_tool_episode for e in syn):
        warnings.append("some episodes hold tool calls but no --tools registry was given: their calls cannot be "
                        "re-executed")
    telemetry = any(e.has_telemetry for e in syn) or bool(environment and any(
        _is_driving(opts.environment or e.env) for e in syn))
    real = seen.get("real_reference", ([], False))[0]
    extra: dict[str, Any] = {
        "data_summary": summaries, "trajectories": True if steps else None, "temporal_spec": specs,
        # the catalog's environment role: a replay, else the outcomes the episodes recorded from theirs (states,
        # rewards, info, results, a claimed success); "replay" is what agent.exec_rate and the replay need
        "environment": environment or (True if any(_recorded_outcomes(e) for e in syn) else None),
        "replay": environment,
        "rules": True if (telemetry or any(e.goal for e in syn)) else None, "driving": telemetry,
        "prompts": True if any(e.prompt for e in syn) else None,
        "images": True if any(e.frames for e in syn) else None,
        "videos": True if any(e.frames and len(e.frames) > 1 for e in syn) else None,
        "references": True if (any(e.reference_frames for e in syn) or any(e.frames for e in real)) else None,
        "labels": True if any(e.violations is not None for e in syn) else None,
        "robot_agent": opts.robot_agent,
        # the synthetic episodes that decide which metrics apply when the file streams (all of them otherwise)
        "head_episodes": {r: eps for r, (eps, _) in seen.items() if not tables[r].materialized},
    }
    return AuditInputs(modality="agent", tables=tables, seed=seed, params=dict(params or {}), extra=extra,
                       warnings=warnings)


def _recorded_outcomes(e: Any) -> bool:
    """Whether an episode records what its environment returned: without a replay, these outcomes stand for the
    environment (the metrics then read the recorded states, goals and claims; agent.exec_rate stays a gap)."""
    return e.success is not None or any(
        s.state is not None or s.observation is not None or s.reward is not None or s.info or s.result is not None
        or s.terminated is not None or s.truncated is not None for s in e.steps)


def _is_driving(env_id: str | None) -> bool:
    """Whether replaying in this environment gives driving telemetry (a highway-env id)."""
    from synthaudit.envs.highway import is_highway_id

    return bool(env_id) and is_highway_id(env_id)
