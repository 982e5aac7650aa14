"""Re-executing recorded episodes in their environment (survey section 7.2, ExecRate; 7.3, trusting claimed
outcomes only as far as the simulator reproduces them).

The replay resets the environment with the episode's seed and config, then checks and steps every recorded action
in order. An action that cannot execute (invalid, unavailable, raising) stops the replay by default: later actions
are ``not_executed``; actions after the replay terminated or was truncated are ``after_end``. The replayed states
and rewards are compared with the recorded ones (``first_divergence``) and the episode's claims -- success, a crash,
the return -- with what the replay shows (``mismatches``).
"""
from __future__ import annotations

import math
import time
from typing import Any, Callable, Iterable

from synthaudit.envs.base import ActionOutcome, ReplayResult
from synthaudit.errors import UsageError

#: the recorded state fields compared with the replay (driving telemetry)
STATE_FIELDS = (("ego", "x"), ("ego", "y"), ("ego", "speed"))
AFTER_FAILURE = ("stop", "continue")


def _close(a: float, b: float, tol: float) -> bool:
    return math.isclose(a, b, rel_tol=tol, abs_tol=tol)


def _number(x: Any) -> float | None:
    if isinstance(x, (int, float)) and not isinstance(x, bool):
        return float(x)
    try:
        import numpy as np

        if isinstance(x, np.generic) and np.issubdtype(type(x), np.number):
            return float(x)
    except ImportError:  # pragma: no cover
        pass
    return None


def _field_divergence(step_i: int, name: str, recorded: Any, replayed: Any, tol: float) -> dict | None:
    if recorded is None:
        return None
    r = _number(recorded)
    if r is None or replayed is None or not _close(r, float(replayed), tol):
        return {"step": step_i, "field": name, "recorded": recorded, "replayed": replayed}
    return None


def _flat(value: Any) -> list[float] | None:
    """A recorded or replayed observation as a flat list of numbers (None when it is not numeric)."""
    import numpy as np

    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return None
    return arr.ravel().tolist() if arr.dtype != object else None


def _divergence(i: int, step: Any, state: dict | None, reward: float, obs: Any, tol: float) -> dict | None:
    """The first field of step ``i`` whose recorded value differs from the replay beyond ``tol``."""
    rec = step.state
    if isinstance(rec, dict) and state is not None:
        for part, key in STATE_FIELDS:
            got = rec.get(part)
            if isinstance(got, dict) and key in got:
                d = _field_divergence(i, f"{part}.{key}", got[key], state[part][key], tol)
                if d:
                    return d
    elif step.observation is not None and state is None:
        rec_obs, rep_obs = _flat(step.observation), _flat(obs)
        if rec_obs is None or rep_obs is None or len(rec_obs) != len(rep_obs):
            return {"step": i, "field": "observation", "recorded": step.observation,
                    "replayed": rep_obs}
        for j, (a, b) in enumerate(zip(rec_obs, rep_obs)):
            if not _close(a, b, tol):
                return {"step": i, "field": f"observation[{j}]", "recorded": a, "replayed": b}
    return _field_divergence(i, "reward", step.reward, reward, tol)


def _recorded_crash(step: Any) -> bool | None:
    flag = step.info.get("crashed") if isinstance(step.info, dict) else None
    if flag is None and isinstance(step.state, dict) and isinstance(step.state.get("ego"), dict):
        flag = step.state["ego"].get("crashed")
    return None if flag is None else bool(flag)


def _unreplayable(result: ReplayResult, n: int, kind: str, message: str) -> ReplayResult:
    result.error = message
    result.outcomes = [ActionOutcome(step=i, ok=False, kind=kind, message=message) for i in range(n)]
    result.first_failure = 0 if n else None
    return result


def _unmet_goal(episode: Any, result: ReplayResult) -> str | None:
    """What of the episode's goal the replayed states do not meet ("" when all is met; None when the goal cannot
    be evaluated: ``result.info["goal"]`` says why)."""
    try:
        from synthaudit.envs.goals import goal_status
    except ImportError:  # pragma: no cover - the goals module ships with this one
        result.info["goal"] = "synthaudit.envs.goals is not available"
        return None
    try:
        statuses = goal_status(episode, result)
    except Exception as exc:  # a goal that does not parse or evaluate: reported, not fatal
        result.info["goal"] = f"the goal could not be evaluated: {exc}"
        return None
    bad = [s for s in statuses if not s.satisfied]
    if not bad:
        return ""
    return "the goal predicate " + "; ".join(f"{s.name!r} is not met" + (f" ({s.reason})" if s.reason else "")
                                             for s in bad[:3])


def _claims(episode: Any, result: ReplayResult, last_info: dict, tol: float) -> None:
    """Compare the episode's claimed outcomes with the replay (fills ``mismatches``)."""
    n = len(episode.steps)
    executed = [o.step for o in result.outcomes if o.ok]
    driving = bool(result.states)
    # a crash: the recorded flags (info.crashed or state.ego.crashed) over the replayed steps
    rec_flags = [(i, _recorded_crash(episode.steps[i])) for i in executed]
    rec_flags = [(i, f) for i, f in rec_flags if f is not None]
    crash_step = result.info.get("crash_step")
    if driving and rec_flags:
        rec_crash = next((i for i, f in rec_flags if f), None)
        if rec_crash is None and result.crashed:
            result.mismatches.append(f"records no crash but the replay crashes at step {crash_step}")
        elif rec_crash is not None and not result.crashed:
            result.mismatches.append(f"records a crash at step {rec_crash} but the replay does not crash")
    # success
    if episode.success is not None:
        failure = None
        if result.first_failure is not None:
            o = result.outcomes[result.first_failure]
            failure = f"the action at step {o.step} does not execute ({o.kind}: {o.message})"
        if driving:
            if result.crashed:
                failure = f"the replay crashes at step {crash_step}"
            elif failure is None and result.terminated:
                failure = f"the replay terminates early at step {executed[-1]}"
            unmet = _unmet_goal(episode, result) if failure is None and episode.goal else None
            if episode.success and failure:
                result.mismatches.append(f"claims success but {failure}")
            elif episode.success and unmet:
                result.mismatches.append(f"claims success but in the replay {unmet}")
            elif not episode.success and failure is None and n and not unmet:
                if unmet is None and episode.goal:
                    result.info["success"] = ("claims failure; the replay has no crash and its goal predicates "
                                              "could not be evaluated")
                else:
                    result.mismatches.append(f"claims failure but the replay runs all {n} steps without a crash"
                                             + (" and meets its goal" if episode.goal else ""))
        else:
            flag = next((last_info[k] for k in ("is_success", "success") if k in last_info), None)
            if flag is not None and failure is None and bool(flag) != episode.success:
                result.mismatches.append(f"claims {'success' if episode.success else 'failure'} but the "
                                         f"environment reports is_success={bool(flag)} at the end of the replay")
            elif episode.success and failure:
                result.mismatches.append(f"claims success but {failure}")
            elif flag is None:
                result.info["success"] = "the environment reports no is_success; the claimed success is not checked"
    # the return
    claimed, source = None, None
    for key in ("return", "episode_return"):
        v = _number(episode.meta.get(key))
        if v is not None:
            claimed, source = v, f"a {key} of"
            break
    if claimed is None and n and all(s.reward is not None for s in episode.steps):
        claimed, source = float(sum(s.reward for s in episode.steps)), "rewards summing to"
    if claimed is not None and result.first_failure is None and len(result.rewards) == n:
        got = float(sum(result.rewards))
        if not math.isclose(claimed, got, rel_tol=tol, abs_tol=tol * max(1, n)):
            result.mismatches.append(f"records {source} {claimed:.6g} but the replay returns {got:.6g}")


def apply_scenario(adapter: Any, scenario: dict | None, seed: int) -> None:
    """After a reset: a highway scenario specification's ego speed and placed agents (what its config cannot
    express, synthaudit.generate.agent.scenarios.apply_spec), so a scenario rollout replays as it was recorded."""
    from synthaudit.envs.highway import HighwayAdapter

    if isinstance(scenario, dict) and isinstance(adapter, HighwayAdapter) and "road" in scenario:
        from synthaudit.generate.agent.scenarios import apply_spec

        apply_spec(adapter.unwrapped, scenario, seed=seed)


def replay_episode(episode: Any, environment: Any = None, *, tolerance: float = 1e-6,
                   after_failure: str = "stop") -> ReplayResult:
    """Re-execute the recorded actions of ``episode`` in ``environment`` (default: the episode's ``env``).

    tolerance: relative and absolute tolerance of the state / reward comparison. after_failure: "stop" (later
    actions are not executed) or "continue" (a failed action is skipped and the next ones are tried).
    An ``environment`` given here that cannot be resolved raises UsageError; an episode's own unknown ``env`` gives
    a result whose actions are all ``no_environment``.
    """
    from synthaudit.envs.resolve import make_adapter

    if after_failure not in AFTER_FAILURE:
        raise UsageError(f"after_failure is {after_failure!r}; expected one of {', '.join(AFTER_FAILURE)}")
    if not (isinstance(tolerance, (int, float)) and tolerance >= 0):
        raise UsageError(f"tolerance is {tolerance!r}; expected a number >= 0")
    t0 = time.process_time()
    result = ReplayResult(episode_id=episode.episode_id)
    n = len(episode.steps)
    if episode.is_tool_episode:
        return _unreplayable(result, n, "no_environment", "a tool-call trajectory: replay it against a tool registry "
                                                          "(replay_episodes(..., tools=...))")
    try:
        adapter = make_adapter(environment, episode)
    except UsageError as exc:
        if environment is not None:
            raise
        return _unreplayable(result, n, "no_environment", exc.render())
    seed = episode.seed
    if seed is None:
        seed = 0
        result.info["seed"] = "the episode has no seed; replayed with seed 0"
    try:
        try:
            adapter.reset(seed=seed, config=episode.config)
            apply_scenario(adapter, episode.scenario, seed)
        except Exception as exc:  # the simulator's own errors
            return _unreplayable(result, n, "exception", f"the environment failed to reset: {exc}")
        result.info["setup_seconds"] = time.process_time() - t0
        _run(episode, adapter, result, tolerance, after_failure)
    finally:
        result.sim_seconds = adapter.sim_seconds
        if adapter.notes:
            result.info["notes"] = list(adapter.notes)
        adapter.close()
        result.total_seconds = time.process_time() - t0
    return result


def _run(episode: Any, adapter: Any, result: ReplayResult, tol: float, after_failure: str) -> None:
    ended: tuple[int, str] | None = None
    last_info: dict = {}
    for i, step in enumerate(episode.steps):
        if ended is not None:
            result.outcomes.append(ActionOutcome(i, False, "after_end", f"the replay {ended[1]} at step {ended[0]}"))
            if result.first_failure is None:
                result.first_failure = i
            continue
        if result.first_failure is not None and after_failure == "stop":
            result.outcomes.append(ActionOutcome(i, False, "not_executed",
                                                 f"step {result.first_failure} did not execute"))
            continue
        try:
            problem = adapter.check(step.action)
            if problem is None:
                obs, reward, terminated, truncated, info = adapter.step(step.action)
        except Exception as exc:  # the simulator's own errors, per action
            problem = ("exception", f"{type(exc).__name__}: {exc}")
        if problem is not None:
            result.outcomes.append(ActionOutcome(i, False, problem[0], problem[1]))
            if result.first_failure is None:
                result.first_failure = i
            continue
        state = adapter.telemetry()
        last_info = info if isinstance(info, dict) else {}
        if state is not None:
            result.states.append(state)
            if state["ego"].get("crashed") and result.info.get("crash_step") is None:
                result.info["crash_step"] = i
        result.rewards.append(reward)
        result.outcomes.append(ActionOutcome(i, True))
        if result.first_divergence is None:
            result.first_divergence = _divergence(i, step, state, reward, obs, tol)
        if terminated or truncated:
            ended = (i, "terminated" if terminated else "was truncated")
            result.terminated = bool(terminated)
    if result.states:
        result.crashed = any(bool(s["ego"].get("crashed")) for s in result.states)
    _claims(episode, result, last_info, tol)


# ------------------------------------------------------------------------------------------------ many episodes


def _replay_record(record: dict, environment: str | None, tolerance: float, after_failure: str) -> ReplayResult:
    """Worker: rebuild the episode from its plain record (no pickled user data) and replay it."""
    from synthaudit.data.agent import load_episodes

    episode = load_episodes([record], "replay").episodes[0]
    return replay_episode(episode, environment, tolerance=tolerance, after_failure=after_failure)


def replay_episodes(episodes: Iterable[Any], environment: Any = None, *, workers: int = 1,
                    progress: Callable[[int, int], Any] | None = None, tools: Any = None,
                    tolerance: float = 1e-6, after_failure: str = "stop") -> list[ReplayResult]:
    """:func:`replay_episode` for every episode, in episode order, spread over ``workers`` processes.

    tools: a tool registry; tool-call trajectories are then replayed by
    ``synthaudit.envs.tools.replay_tool_episode(episode, tools)`` (in this process). progress: called with
    (done, total) after each episode.
    """
    from synthaudit.data.agent import EpisodeSet

    eps = list(episodes.episodes if isinstance(episodes, EpisodeSet) else episodes)
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise UsageError(f"workers is {workers!r}; expected an integer >= 1")
    if after_failure not in AFTER_FAILURE:
        raise UsageError(f"after_failure is {after_failure!r}; expected one of {', '.join(AFTER_FAILURE)}")
    if isinstance(environment, str) and ":" not in environment:
        from synthaudit.envs.resolve import make_adapter

        make_adapter(environment, None)  # an unknown id fails here, once (no environment is made yet)
    total = len(eps)
    results: list[ReplayResult | None] = [None] * total
    done = 0

    def _done() -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, total)

    jobs = []
    for i, ep in enumerate(eps):
        # a tool agent's episode without any call (a refused task: text steps only) has no action to replay
        if tools is not None and (ep.is_tool_episode or all(s.action is None for s in ep.steps)):
            from synthaudit.envs.tools import replay_tool_episode

            results[i] = replay_tool_episode(ep, tools)
            _done()
        else:
            jobs.append(i)
    if workers == 1 or len(jobs) <= 1:
        for i in jobs:
            results[i] = replay_episode(eps[i], environment, tolerance=tolerance, after_failure=after_failure)
            _done()
        return results  # type: ignore[return-value]
    if environment is not None and not isinstance(environment, str):
        raise UsageError("replay with workers > 1 needs the environment as text (an id or 'pkg.module:factory'); "
                         f"got {type(environment).__name__}", hint="use workers=1 for an environment object")
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor, as_completed

    ctx = mp.get_context("forkserver" if "forkserver" in mp.get_all_start_methods() else "spawn")
    with ProcessPoolExecutor(max_workers=min(workers, len(jobs)), mp_context=ctx) as pool:
        futures = {pool.submit(_replay_record, eps[i].to_record(), environment, tolerance, after_failure): i
                   for i in jobs}
        for fut in as_completed(futures):
            results[futures[fut]] = fut.result()
            _done()
    return results  # type: ignore[return-value]
