"""Recorded highway-env rollouts of a scripted policy, in synthaudit's trajectory format (survey section 7: agent
data with telemetry, replayable from its seed and config).

Each step records the action, the reward, ``state`` (the telemetry AFTER the action, see
``synthaudit.data.agent``), ``info`` (crashed, speed and the environment's own info made JSON-safe) and
terminated / truncated. Episode fields: ``env``, ``seed``, ``config`` (the full configuration used:
``DEFAULT_CONFIG`` updated with the caller's), ``dt`` = 1 / policy_frequency, ``route_length``, ``goal``,
``success`` and, in ``meta``: ``policy``, ``return`` (the sum of the rewards) and ``initial_state`` (the telemetry
after the reset).

``route_length`` is the distance the ego would cover at its policy's target speed (the ego's initial speed for
policies without one) over the episode's planned length: ``target_speed * min(duration, max_steps * dt)`` metres.
``goal`` is two predicates of ``synthaudit.envs.goals`` over the final state: ``"not crashed"`` and
``"ego.x - start.x >= D"`` (``start``: the ego in the first recorded state, after the first action) with D half
the route length.
``success`` is true when the ego did not crash, the episode ran to its end (the time limit or ``max_steps``) and
the goal's distance was driven (so it agrees with the goal).
"""
from __future__ import annotations

import copy
import json
import math
import os
import random
import tempfile
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

from synthaudit.errors import UsageError

#: out-of-space actions used by :func:`corrupt_actions`
BAD_ACTIONS: tuple[Any, ...] = (7, -1, "JUMP", None)


def json_safe(value: Any) -> Any:
    """``value`` with numpy scalars / arrays as plain numbers / lists, tuples as lists, non-finite floats as None and
    anything else unknown as text."""
    import numpy as np

    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if isinstance(value, np.ndarray):
        return json_safe(value.tolist())
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def _save_png(frame: Any, path: Path) -> None:
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(frame).save(path)


def record_episodes(n: int, policy: Any, *, seed: int = 0, env_id: str = "highway-v0", config: dict | None = None,
                    max_steps: int | None = None, frames: Sequence[int] | None = None,
                    out_dir: str | Path | None = None, progress: Callable[[int, int], Any] | None = None,
                    policy_kwargs: dict | None = None, scenario: dict | None = None, prompt: str | None = None,
                    name_prefix: str | None = None) -> list:
    """``n`` episodes of ``policy`` (a name of ``POLICIES`` or an object with ``act(adapter)``), seeds
    ``seed .. seed + n - 1``.

    frames: None, or (every_k, width, height): render every k-th step (after its action) as a PNG under
    ``out_dir/frames/<episode_id>/`` and list the paths, relative to ``out_dir``, in ``episode.frames`` (and
    ``step.frame``).
    scenario / prompt: a scenario specification (applied after each reset: ego speed, placed agents) and the
    prompt it was written for, kept in the episodes; name_prefix: episode ids ``<prefix>-<seed>``.
    """
    from synthaudit.data.agent import Episode, Step
    from synthaudit.envs.highway import DEFAULT_CONFIG, HighwayAdapter
    from synthaudit.envs.replay import apply_scenario
    from synthaudit.envs.resolve import make_adapter
    from synthaudit.generate.agent.policies import get_policy

    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise UsageError(f"n is {n!r}; expected an integer >= 0")
    if max_steps is not None and (isinstance(max_steps, bool) or not isinstance(max_steps, int) or max_steps < 1):
        raise UsageError(f"max_steps is {max_steps!r}; expected an integer >= 1")
    if frames is not None:
        if len(frames) != 3 or not all(isinstance(x, int) and x > 0 for x in frames):
            raise UsageError(f"frames is {frames!r}; expected (every_k, width, height), positive integers")
        if out_dir is None:
            raise UsageError("frames need out_dir, the folder the frames (and the episodes file) go in")
    pol = get_policy(policy, **(policy_kwargs or {}))
    name = getattr(pol, "name", type(pol).__name__)
    prefix = name_prefix
    cfg = {**DEFAULT_CONFIG, **(config or {})}
    out: list = []
    for k in range(n):
        s = int(seed) + k
        eid = f"{prefix or name}-{s}"
        adapter = make_adapter(env_id, None, config=cfg, render_mode="rgb_array" if frames else None)
        if not isinstance(adapter, HighwayAdapter):
            raise UsageError(f"record_episodes drives highway-env environments; {env_id!r} is not one")
        try:
            adapter.reset(seed=s, config=cfg)
            apply_scenario(adapter, scenario, s)
            pf = float(adapter.unwrapped.config["policy_frequency"])
            duration = float(adapter.unwrapped.config["duration"])
            if hasattr(pol, "reset"):
                pol.reset(s)
            initial = adapter.telemetry()
            steps: list = []
            paths: list[str] = []
            crashed = terminated = False
            total = 0.0
            t = 0
            while max_steps is None or t < max_steps:
                action = int(pol.act(adapter))
                _, reward, terminated, truncated, info = adapter.step(action)
                state = adapter.telemetry()
                crashed = crashed or bool(state["ego"]["crashed"])
                safe = json_safe(info)
                safe.update({"crashed": bool(state["ego"]["crashed"]), "speed": state["ego"]["speed"]})
                step = Step(action=action, reward=float(reward), state=state, info=safe,
                            terminated=terminated, truncated=truncated)
                if frames and t % frames[0] == 0:
                    rel = f"frames/{eid}/{t:04d}.png"
                    _save_png(adapter.render_frame((frames[1], frames[2])), Path(out_dir) / rel)
                    step.frame = rel
                    paths.append(rel)
                steps.append(step)
                total += float(reward)
                t += 1
                if terminated or truncated:
                    break
        finally:
            adapter.close()
        dt = 1.0 / pf
        horizon = duration if max_steps is None else min(duration, max_steps * dt)
        speed = getattr(pol, "target_speed", None) or initial["ego"]["speed"]
        route = float(speed) * horizon
        driven = steps[-1].state["ego"]["x"] - steps[0].state["ego"]["x"] if steps else 0.0
        need = float(f"{route / 2:.1f}")  # the goal's distance, as its text states it
        reached = driven >= need
        out.append(Episode(
            episode_id=eid, steps=steps, env=env_id, seed=s, config=cfg, dt=dt, route_length=route,
            goal=["not crashed", f"ego.x - start.x >= {need}"], success=not crashed and not terminated and reached,
            frames=paths or None, scenario=scenario, prompt=prompt,
            meta={"policy": name, "return": total, "initial_state": initial}))
        if progress is not None:
            progress(k + 1, n)
    return out


def write_episodes(path: str | Path, episodes: Iterable[Any]) -> Path:
    """The episodes as JSON Lines (one episode record per line), written atomically (a temporary file renamed)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            for e in episodes:
                fh.write(json.dumps(json_safe(e.to_record()), ensure_ascii=False, allow_nan=False) + "\n")
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return path


def corrupt_actions(episodes: Sequence[Any], share: float, seed: int = 0) -> list:
    """Deep copies of ``episodes`` with ``round(share * number of actions)`` actions, drawn at random over all
    episodes, replaced by out-of-space values (:data:`BAD_ACTIONS`); each copy lists its replaced steps in
    ``meta["corrupted_steps"]``."""
    if isinstance(share, bool) or not isinstance(share, (int, float)) or not 0 <= share <= 1:
        raise UsageError(f"share is {share!r}; expected a number in [0, 1]")
    out = [copy.deepcopy(e) for e in episodes]
    positions = [(i, j) for i, e in enumerate(out) for j in range(len(e.steps))]
    rng = random.Random(seed)
    chosen = sorted(rng.sample(positions, round(share * len(positions))))
    for e in out:
        e.meta["corrupted_steps"] = []
    for i, j in chosen:
        out[i].steps[j].action = rng.choice(BAD_ACTIONS)
        out[i].meta["corrupted_steps"].append(j)
    return out
