"""Which environment an episode is replayed in (survey section 7.2): a gymnasium id, "pkg.module:factory", an
environment object or an adapter. A new adapter (and environment) is made for every episode, so nothing of one
episode's run leaks into the next.
"""
from __future__ import annotations

import difflib
import importlib
from typing import Any

from synthaudit.errors import UsageError


def _registered(env_id: str) -> bool:
    import gymnasium as gym

    if env_id in gym.registry:
        return True
    try:
        import highway_env  # noqa: F401  (registers highway-v0, merge-v0, ...)
    except ImportError:
        return False
    return env_id in gym.registry


def _unknown(env_id: str) -> UsageError:
    import gymnasium as gym

    close = difflib.get_close_matches(env_id, list(gym.registry), n=5, cutoff=0.6)
    hint = f"close matches: {', '.join(close)}" if close else \
        "give a registered gymnasium id (e.g. highway-v0, Pendulum-v1) or 'pkg.module:factory'"
    return UsageError(f"unknown environment {env_id!r}", hint=hint)


def _wrap(obj: Any, env_id: str | None, config: dict | None, render_mode: str | None) -> Any:
    """An adapter for what a factory returned (an adapter is used as it is)."""
    from synthaudit.envs.gym_env import GymAdapter
    from synthaudit.envs.highway import HighwayAdapter

    if isinstance(obj, GymAdapter):
        return obj
    if not (hasattr(obj, "step") and hasattr(obj, "reset") and hasattr(obj, "action_space")):
        raise UsageError(f"{env_id or 'the environment'} gave {type(obj).__name__}; expected a gymnasium "
                         "environment or a synthaudit GymAdapter")
    module = type(getattr(obj, "unwrapped", obj)).__module__
    cls = HighwayAdapter if module.startswith("highway_env") else GymAdapter
    adapter = cls(env=obj, render_mode=render_mode)
    if config:
        adapter._apply_config(config)
    return adapter


def _factory_target(spec: str) -> Any:
    """What "pkg.module:factory" names: the callable, or a registered gymnasium id (gymnasium's own
    "module:env-id" form); one UsageError when the module, the attribute or a callable is missing."""
    mod_name, _, attr = spec.partition(":")
    try:
        module = importlib.import_module(mod_name)
    except ImportError as exc:
        raise UsageError(f"environment {spec!r}: cannot import {mod_name!r} ({exc})", field="--environment") from None
    target = getattr(module, attr, None)
    if target is None:
        if _registered(attr) or _registered(spec):
            return attr if _registered(attr) else spec
        raise UsageError(f"environment {spec!r}: {mod_name!r} has no {attr!r}", field="--environment")
    if not callable(target):
        raise UsageError(f"environment {spec!r}: {attr!r} is {type(target).__name__}; expected a callable that "
                         "returns a gymnasium environment", field="--environment")
    return target


def _factory(spec: str, config: dict | None, render_mode: str | None) -> Any:
    target = _factory_target(spec)
    if isinstance(target, str):
        return make_adapter(target, None, render_mode=render_mode, config=config)
    return _wrap(target(), spec, config, render_mode)


def make_adapter(environment: Any, episode: Any = None, *, render_mode: str | None = None,
                 config: dict | None = None) -> Any:
    """The adapter to replay ``episode`` in.

    environment: None (the episode's ``env`` field), a registered gymnasium id (highway-env ids give a
    :class:`~synthaudit.envs.highway.HighwayAdapter`, others a :class:`~synthaudit.envs.gym_env.GymAdapter`),
    "pkg.module:factory" (a callable returning an environment or an adapter), an environment object or an adapter.
    config: the configuration (default: the episode's ``config``). Raises UsageError for an unknown id.
    """
    from synthaudit.envs.gym_env import GymAdapter
    from synthaudit.envs.highway import HighwayAdapter, is_highway_id

    if config is None and episode is not None:
        config = getattr(episode, "config", None)
    if environment is None:
        environment = getattr(episode, "env", None)
        if environment is None:
            eid = getattr(episode, "episode_id", None)
            raise UsageError(f"episode {eid!r} names no environment (field env) and none was given",
                             field="env", hint="pass an environment id such as highway-v0")
    if isinstance(environment, GymAdapter) or not isinstance(environment, str):
        return _wrap(environment, None, config, render_mode)
    env_id = environment.strip()
    if not env_id:
        raise UsageError("the environment id is empty", field="env")
    if _registered(env_id):
        if is_highway_id(env_id):
            return HighwayAdapter(env_id, config, render_mode=render_mode)
        return GymAdapter(env_id, config, render_mode=render_mode)
    if ":" in env_id:
        return _factory(env_id, config, render_mode)
    raise _unknown(env_id)


def check_environment(environment: Any) -> None:
    """A UsageError now (before any replay) for an environment that cannot be resolved: an unknown gymnasium id
    (with close matches) or a 'pkg.module:factory' whose module or attribute is missing."""
    if environment is None or not isinstance(environment, str):
        return
    env_id = environment.strip()
    if not env_id:
        raise UsageError("the environment id is empty", field="--environment")
    if _registered(env_id):
        return
    if ":" not in env_id:
        raise _unknown(env_id)
    _factory_target(env_id)
