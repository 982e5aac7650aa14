"""highway-env behind the gymnasium adapter: the real driving simulator for driving scenarios and telemetry
(survey sections 7.2 and 7.3).

highway-env's units: ``duration`` is in seconds of simulated time (an episode is truncated once
``time >= duration``, and each policy step advances ``1 / policy_frequency`` s), so ``duration`` 40 at
``policy_frequency`` 5 is 200 steps; ``simulation_frequency`` is the physics rate (15 Hz: 3 physics frames per
policy step at 5 Hz). Speeds are m/s, positions metres, headings radians.
"""
from __future__ import annotations

import os
from typing import Any

from synthaudit.envs.gym_env import ActionError, GymAdapter

#: the configuration of recorded driving data: a 3-lane highway with 10 other vehicles, 40 s at 5 decisions/s.
#: The meta-actions' target speeds reach down to 0 m/s in steps of 2.5 m/s (highway-env's default is 20, 25, 30 m/s,
#: so a policy could not slow down behind a vehicle slower than 20 m/s and keep its headway; with 2.5 m/s steps one
#: SLOWER decelerates by about 3.5 m/s^2 over a 0.2 s step, under the 4 m/s^2 hard-braking line, and braking hard
#: takes consecutive SLOWER actions).
DEFAULT_CONFIG: dict[str, Any] = {"lanes_count": 3, "vehicles_count": 10, "duration": 40, "policy_frequency": 5,
                                  "simulation_frequency": 15,
                                  "action": {"type": "DiscreteMetaAction",
                                             "target_speeds": [2.5 * k for k in range(13)]}}
#: other vehicles further than this from the ego (metres) are left out of the telemetry
RADIUS = 150.0


def is_highway_id(env_id: str) -> bool:
    """Whether the registered gymnasium id is one of highway-env's environments."""
    import gymnasium as gym

    spec = gym.registry.get(env_id)
    entry = getattr(spec, "entry_point", None)
    return isinstance(entry, str) and entry.startswith("highway_env")


def _headless_video() -> None:
    """SDL's "offscreen" video driver for rendering without a display. Measured with pygame-ce 2.5.8 / SDL 2.32:
    the "dummy" driver gives all-black highway-env frames, so it is replaced while pygame's display is not yet
    initialised."""
    import sys

    pygame = sys.modules.get("pygame")
    if pygame is not None and pygame.display.get_init():
        return
    if os.environ.get("SDL_VIDEODRIVER", "dummy") == "dummy":
        os.environ["SDL_VIDEODRIVER"] = "offscreen"


def _num(x: Any) -> float:
    return float(x)


class HighwayAdapter(GymAdapter):
    """A highway-env environment (highway-v0, highway-fast-v0, merge-v0, roundabout-v0, intersection-v0, ...).

    ``config`` is applied on top of the environment's own defaults at every reset (nothing of an earlier config
    stays); ``render_mode`` is None unless frames are wanted ("rgb_array")."""

    def __init__(self, env_id: str | None = "highway-v0", config: dict | None = None, *, env: Any = None,
                 render_mode: str | None = None, radius: float = RADIUS) -> None:
        if render_mode == "rgb_array":
            _headless_video()
        super().__init__(env_id if env is None else None, config, env=env, render_mode=render_mode)
        self.radius = radius
        self._ids: dict[int, tuple[Any, int]] = {}

    def make(self) -> Any:
        if self.env is None:
            import gymnasium as gym

            import highway_env  # noqa: F401  (registers the ids)

            self.env = gym.make(self.env_id, render_mode=self.render_mode, disable_env_checker=True,
                                config=dict(self.config or {}))
        return self.env

    def _apply_config(self, config: dict) -> None:
        self.config = dict(config)
        if self.env is not None:
            u = self.env.unwrapped
            u.config = u.default_config()
            u.configure(dict(config))

    def reset(self, seed: int | None = None, config: dict | None = None) -> Any:
        self._ids = {}
        return super().reset(seed, config)

    @property
    def unwrapped(self) -> Any:
        return self.make().unwrapped

    # ------------------------------------------------------------------------------------------- actions
    def _names(self) -> dict[int, str]:
        return dict(getattr(self.unwrapped.action_type, "actions", None) or {})

    def action_name(self, action: Any) -> str | None:
        try:
            return self._names().get(int(action))
        except (TypeError, ValueError):
            return None

    def convert(self, action: Any) -> Any:
        """Also accepts the meta-action names of DiscreteMetaAction ("FASTER", "LANE_LEFT", ...)."""
        if isinstance(action, str):
            index = {v: k for k, v in self._names().items()}.get(action.strip().upper())
            if index is None:
                known = ", ".join(f"{k} {v}" for k, v in sorted(self._names().items()))
                raise ActionError("invalid_action", f"the action {action!r:.40} is not an action of "
                                                    f"{self.env_id or 'the environment'}" +
                                                    (f" (known: {known})" if known else ""))
            action = index
        return super().convert(action)

    # ------------------------------------------------------------------------------------------- telemetry
    def _vehicle_id(self, v: Any) -> int:
        got = self._ids.get(id(v))
        if got is None or got[0] is not v:
            got = (v, len(self._ids))
            self._ids[id(v)] = got
        return got[1]

    @staticmethod
    def _lane(v: Any) -> int | None:
        idx = getattr(v, "lane_index", None)
        return int(idx[2]) if idx is not None and len(idx) > 2 and idx[2] is not None else None

    def telemetry(self) -> dict:
        """The Step.state dict: the ego's kinematics and the other vehicles within ``radius`` metres."""
        u = self.unwrapped
        ego = u.vehicle
        self._vehicle_id(ego)
        lane = getattr(ego, "lane", None)
        limit = getattr(lane, "speed_limit", None) if lane is not None else None
        vel = ego.velocity
        out_ego = {"x": _num(ego.position[0]), "y": _num(ego.position[1]), "vx": _num(vel[0]), "vy": _num(vel[1]),
                   "speed": _num(ego.speed), "heading": _num(ego.heading), "lane": self._lane(ego),
                   "length": _num(ego.LENGTH), "width": _num(ego.WIDTH), "on_road": bool(ego.on_road),
                   "crashed": bool(ego.crashed), "speed_limit": None if limit is None else _num(limit),
                   "lane_offset": _num(lane.local_coordinates(ego.position)[1]) if lane is not None else None}
        others = []
        ex, ey = out_ego["x"], out_ego["y"]
        for v in u.road.vehicles:
            if v is ego:
                continue
            vid = self._vehicle_id(v)
            x, y = _num(v.position[0]), _num(v.position[1])
            if ((x - ex) ** 2 + (y - ey) ** 2) ** 0.5 > self.radius:
                continue
            vv = v.velocity
            others.append({"id": vid, "x": x, "y": y, "vx": _num(vv[0]), "vy": _num(vv[1]), "speed": _num(v.speed),
                           "heading": _num(v.heading), "lane": self._lane(v), "length": _num(v.LENGTH),
                           "width": _num(v.WIDTH)})
        return {"ego": out_ego, "others": others}

    # ------------------------------------------------------------------------------------------- frames
    def render_frame(self, size: tuple[int, int] | None = None) -> Any:
        """The current scene as an RGB uint8 array of ``size`` (width, height); needs render_mode "rgb_array"."""
        import numpy as np

        if self.render_mode != "rgb_array":
            from synthaudit.errors import UsageError

            raise UsageError("render_frame needs an environment made with render_mode='rgb_array'")
        u = self.unwrapped
        if size is not None and (u.config["screen_width"], u.config["screen_height"]) != tuple(size):
            u.config["screen_width"], u.config["screen_height"] = int(size[0]), int(size[1])
            if u.viewer is not None:
                u.viewer.close()
                u.viewer = None
        frame = self.env.render()
        u.enable_auto_render = False  # no rendering of the physics frames in between (costly, not needed)
        return np.ascontiguousarray(frame, dtype=np.uint8)
