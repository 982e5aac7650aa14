"""A gymnasium environment behind one small interface, so recorded actions can be re-executed (survey section 7.2,
ExecRate: an action counts as executed when the simulator accepts it in the replayed state).

Recorded actions are JSON: integers for ``Discrete`` spaces, (nested) lists for ``Box`` / ``MultiDiscrete`` /
``MultiBinary``, lists for ``Tuple`` and objects for ``Dict`` spaces. :meth:`GymAdapter.convert` turns them into the
space's dtype and shape; anything else is an ``invalid_action`` (see ``synthaudit.envs.base.FAILURE_KINDS``).
"""
from __future__ import annotations

import math
import time
from typing import Any

from synthaudit.errors import UsageError


class ActionError(ValueError):
    """A recorded action that cannot be executed: ``kind`` is a key of FAILURE_KINDS."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def convert_action(space: Any, value: Any) -> Any:
    """``value`` (a JSON action) as an element of the gymnasium ``space``; raises :class:`ActionError`."""
    import numpy as np
    from gymnasium import spaces

    if value is None:
        raise ActionError("invalid_action", "the action is missing (null)")
    if isinstance(space, spaces.Discrete):
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
            raise ActionError("invalid_action", f"the action {_short(value)} is {type(value).__name__}; expected an "
                                                f"integer in [{int(space.start)}, {int(space.start + space.n - 1)}]")
        if isinstance(value, (float, np.floating)):
            if not math.isfinite(value) or value != int(value):
                raise ActionError("invalid_action", f"the action {value!r} is not an integer")
        out: Any = np.int64(int(value))
    elif isinstance(space, spaces.Tuple):
        if not isinstance(value, (list, tuple)) or len(value) != len(space.spaces):
            raise ActionError("invalid_action", f"the action {_short(value)} is not a list of {len(space.spaces)} "
                                                "parts")
        return tuple(convert_action(s, v) for s, v in zip(space.spaces, value))
    elif isinstance(space, spaces.Dict):
        if not isinstance(value, dict) or set(value) != set(space.spaces):
            raise ActionError("invalid_action", f"the action {_short(value)} is not an object with the keys "
                                                f"{sorted(space.spaces)}")
        return {k: convert_action(s, value[k]) for k, s in space.spaces.items()}
    elif isinstance(space, (spaces.Box, spaces.MultiDiscrete, spaces.MultiBinary)):
        try:
            arr = np.asarray(value, dtype=np.float64)
        except (TypeError, ValueError):
            raise ActionError("invalid_action", f"the action {_short(value)} is not numeric; expected numbers of "
                                                f"shape {space.shape}") from None
        if arr.dtype == object or not np.all(np.isfinite(arr)):
            raise ActionError("invalid_action", f"the action {_short(value)} holds NaN or infinite values")
        if arr.shape != space.shape:
            if arr.size != int(np.prod(space.shape)):
                raise ActionError("invalid_action", f"the action has shape {arr.shape}; expected {space.shape}")
            arr = arr.reshape(space.shape)
        if np.issubdtype(space.dtype, np.integer) and not np.all(arr == np.round(arr)):
            raise ActionError("invalid_action", f"the action {_short(value)} is not integral")
        out = arr.astype(space.dtype)
    else:
        out = value
    if not space.contains(out):
        raise ActionError("invalid_action", f"the action {_short(value)} is not in the action space {space}")
    return out


class GymAdapter:
    """One gymnasium environment: ``env_id`` + ``config`` (keyword arguments of ``gymnasium.make``), or ``env`` (an
    environment object). ``sim_seconds`` adds up the CPU seconds spent inside ``env.step``."""

    def __init__(self, env_id: str | None = None, config: dict | None = None, *, env: Any = None,
                 render_mode: str | None = None) -> None:
        if env_id is None and env is None:
            raise UsageError("GymAdapter needs an environment id or an environment object")
        self.env_id = env_id
        self.config = dict(config) if config else None
        self.render_mode = render_mode
        self.env = env
        self.sim_seconds = 0.0
        self.steps = 0
        self.notes: list[str] = []

    # ------------------------------------------------------------------------------------------- life cycle
    def _make_kwargs(self) -> dict[str, Any]:
        return dict(self.config or {})

    def make(self) -> Any:
        """The environment (made on first use)."""
        if self.env is None:
            import gymnasium as gym

            self.env = gym.make(self.env_id, render_mode=self.render_mode, disable_env_checker=True,
                                **self._make_kwargs())
        return self.env

    def _apply_config(self, config: dict) -> None:
        """A new config for an existing environment: made again with the new keyword arguments."""
        if self.env is not None and self.env_id is None:
            self.config = dict(config)
            configure = getattr(self.env.unwrapped, "configure", None)
            if callable(configure):
                configure(config)
            else:
                self.notes.append("the environment object takes no config; the episode's config was not applied")
            return
        if self.env is not None:
            self.env.close()
            self.env = None
        self.config = dict(config)

    def reset(self, seed: int | None = None, config: dict | None = None) -> Any:
        """Reset with ``seed`` (and a new ``config`` when given); returns the first observation."""
        if config is not None and config != self.config:
            self._apply_config(config)
        env = self.make()
        obs, _ = env.reset(seed=seed)
        self.steps = 0
        return obs

    def close(self) -> None:
        if self.env is not None:
            self.env.close()

    # ------------------------------------------------------------------------------------------- actions
    @property
    def action_space(self) -> Any:
        return self.make().action_space

    def convert(self, action: Any) -> Any:
        """The recorded ``action`` in the space's dtype and shape; raises :class:`ActionError`."""
        return convert_action(self.action_space, action)

    def available_actions(self) -> list | None:
        """The actions the environment offers in this state (its ``get_available_actions`` hook), or None."""
        hook = getattr(self.make().unwrapped, "get_available_actions", None)
        if not callable(hook):
            return None
        try:
            got = hook()
        except NotImplementedError:
            return None
        return [int(a) for a in got] if got is not None else None

    def action_name(self, action: Any) -> str | None:
        return None

    def check(self, action: Any) -> tuple[str, str] | None:
        """Why ``action`` cannot be executed now (kind, message), or None when it can."""
        try:
            value = self.convert(action)
        except ActionError as exc:
            return exc.kind, exc.message
        available = self.available_actions()
        if available is not None and hasattr(value, "__index__") and int(value) not in available:
            name = self.action_name(value)
            names = [f"{a} ({self.action_name(a)})" if self.action_name(a) else str(a) for a in available]
            return ("precondition", f"the action {int(value)}{f' ({name})' if name else ''} is not available in "
                                    f"this state; available: {', '.join(names)}")
        return None

    def step(self, action: Any) -> tuple[Any, float, bool, bool, dict]:
        """Execute ``action`` (converted); returns gymnasium's (obs, reward, terminated, truncated, info)."""
        value = self.convert(action)
        env = self.make()
        t0 = time.process_time()
        try:
            obs, reward, terminated, truncated, info = env.step(value)
        finally:
            self.sim_seconds += time.process_time() - t0
        self.steps += 1
        return obs, float(reward), bool(terminated), bool(truncated), info

    def telemetry(self) -> dict | None:
        """Driving telemetry (Step.state format); None for generic environments."""
        return None
