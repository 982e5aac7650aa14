"""Scripted highway-env driving policies (survey section 7.3: safe and hazardous driving behaviour to record).

Each policy picks one of highway-env's DiscreteMetaAction actions (0 LANE_LEFT, 1 IDLE, 2 LANE_RIGHT, 3 FASTER,
4 SLOWER) with ``act(adapter)``, reading the simulator through a :class:`~synthaudit.envs.highway.HighwayAdapter`,
and only ever returns an action the environment offers in the current state. Gaps are bumper to bumper along the
lane (metres); a time headway is gap / speed (seconds).
"""
from __future__ import annotations

from typing import Any

from synthaudit.errors import UsageError

LANE_LEFT, IDLE, LANE_RIGHT, FASTER, SLOWER = 0, 1, 2, 3, 4


def _long(lane: Any, v: Any) -> float:
    return float(lane.local_coordinates(v.position)[0])


def gap_to(road: Any, ego: Any, lane_index: Any, front: bool = True) -> tuple[float | None, Any]:
    """The bumper-to-bumper gap (m) from ``ego`` to the vehicle ahead (``front``) or behind in ``lane_index``,
    and that vehicle (None, None when there is none)."""
    ahead, behind = road.neighbour_vehicles(ego, lane_index)
    other = ahead if front else behind
    if other is None:
        return None, None
    lane = road.network.get_lane(lane_index)
    d = _long(lane, other) - _long(lane, ego)
    return (abs(d) - (other.LENGTH + ego.LENGTH) / 2.0), other


class Policy:
    """A scripted policy: ``reset(seed)`` at the start of each episode, ``act(adapter)`` at every step."""

    name = "policy"
    target_speed: float | None = None

    def reset(self, seed: int) -> None:
        """Called at the start of each episode with its seed."""

    def act(self, adapter: Any) -> int:
        raise NotImplementedError

    @staticmethod
    def _pick(adapter: Any, *wanted: int) -> int:
        """The first of ``wanted`` the environment offers now, else IDLE."""
        available = adapter.available_actions() or [IDLE]
        return next((a for a in wanted if a in available), IDLE)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in vars(self).items() if k[0] != '_')})"


def lane_is_free(road: Any, ego: Any, lane_index: Any, speed: float, headway: float, min_gap: float) -> bool:
    """Whether ``lane_index`` has ``headway`` s (and at least ``min_gap`` m) free ahead of the ego at ``speed`` and
    behind it at the follower's speed."""
    ahead, _ = gap_to(road, ego, lane_index, front=True)
    behind, follower = gap_to(road, ego, lane_index, front=False)
    need_back = max(min_gap, headway * float(follower.speed)) if follower is not None else 0.0
    return (ahead is None or ahead >= max(min_gap, headway * speed)) and (behind is None or behind >= need_back)


def _side_lanes(adapter: Any, ego: Any) -> list[tuple[int, Any]]:
    """(action, lane index) of the lane changes the environment offers now, left first."""
    available = adapter.available_actions() or []
    out = []
    for action, side in ((LANE_LEFT, -1), (LANE_RIGHT, 1)):
        if action in available:
            out.append((action, (ego.lane_index[0], ego.lane_index[1], ego.lane_index[2] + side)))
    return out


class Cautious(Policy):
    """Keeps a time headway of at least ``headway`` s to the leader in its lane: SLOWER when closer -- gently: the
    next SLOWER waits until the speed is within ``settled`` m/s of the last target, unless the headway is under
    ``critical`` s --, FASTER up to ``target_speed`` only when the headway at the next target speed would still be
    ``headway + margin``.
    highway-env's slowest target speed is 20 m/s; at that speed, behind a slower leader, it moves to an adjacent
    lane with ``headway + margin`` s free ahead and behind (else it stays)."""

    name = "cautious"

    def __init__(self, headway: float = 2.0, target_speed: float = 25.0, margin: float = 0.5,
                 critical: float = 1.0, settled: float = 0.3) -> None:
        self.headway, self.target_speed, self.margin, self.critical = headway, target_speed, margin, critical
        self.settled = settled

    def act(self, adapter: Any) -> int:
        u = adapter.unwrapped
        ego = u.vehicle
        gap, _ = gap_to(u.road, ego, ego.lane_index)
        speed = max(float(ego.speed), float(getattr(ego, "target_speed", ego.speed)))
        if gap is not None and gap < self.headway * speed:
            available = adapter.available_actions() or []
            if SLOWER in available:
                # gentle: the next SLOWER waits until the speed has nearly reached the last target (a lag of
                # 2.5 m/s decelerates at about 3.5 m/s^2 over a step; a larger lag brakes hard)
                settling = float(ego.speed) - float(ego.target_speed) > self.settled
                gentle = settling and gap >= self.critical * float(ego.speed)
                return IDLE if gentle else SLOWER
            if tuple(ego.lane_index) == tuple(ego.target_lane_index):
                for action, lane_index in _side_lanes(adapter, ego):
                    if lane_is_free(u.road, ego, lane_index, speed, self.headway + self.margin, 10.0):
                        return action
            return IDLE
        speeds = getattr(ego, "target_speeds", None)
        index = int(getattr(ego, "speed_index", 0))
        nxt = float(speeds[min(index + 1, len(speeds) - 1)]) if speeds is not None else speed
        if float(ego.target_speed) < self.target_speed and (gap is None or gap >= (self.headway + self.margin) * nxt):
            return self._pick(adapter, FASTER)
        if float(ego.target_speed) > self.target_speed:
            return self._pick(adapter, SLOWER)
        return IDLE


class Tailgating(Policy):
    """Closes in on the leader and follows it at a short time headway: FASTER while the bumper gap is above
    ``headway`` s of its speed, SLOWER only once it is under it -- braking late and hard; never changes lane."""

    name = "tailgating"
    target_speed = 30.0

    def __init__(self, headway: float = 0.6) -> None:
        self.headway = headway

    def act(self, adapter: Any) -> int:
        u = adapter.unwrapped
        ego = u.vehicle
        gap, _ = gap_to(u.road, ego, ego.lane_index)
        if gap is not None and gap < self.headway * float(ego.speed):
            return self._pick(adapter, SLOWER)
        return self._pick(adapter, FASTER)


class Reckless(Policy):
    """FASTER whenever it can and never brakes or changes lane: it runs into slower traffic (crashes on purpose)."""

    name = "reckless"
    target_speed = 30.0

    def act(self, adapter: Any) -> int:
        return self._pick(adapter, FASTER)


class LaneChanger(Policy):
    """Drives at ``target_speed``; when the leader is within ``blocked`` s of headway it overtakes on a free adjacent
    lane (left first; free: ``headway`` s of headway ahead and behind, at least ``min_gap`` m), else slows down."""

    name = "lane_changer"

    def __init__(self, target_speed: float = 30.0, blocked: float = 3.0, headway: float = 1.5,
                 min_gap: float = 10.0) -> None:
        self.target_speed, self.blocked, self.headway, self.min_gap = target_speed, blocked, headway, min_gap

    def act(self, adapter: Any) -> int:
        u = adapter.unwrapped
        ego = u.vehicle
        road = u.road
        if tuple(ego.lane_index) != tuple(ego.target_lane_index):
            return IDLE  # a lane change is under way
        speed = max(float(ego.speed), float(ego.target_speed))
        gap, leader = gap_to(road, ego, ego.lane_index)
        if gap is not None and gap < self.blocked * speed and float(leader.speed) < self.target_speed:
            for action, lane_index in _side_lanes(adapter, ego):
                if lane_is_free(road, ego, lane_index, speed, self.headway, self.min_gap):
                    return action
            if gap < self.headway * speed:
                return self._pick(adapter, SLOWER)
            return IDLE
        if float(ego.target_speed) < self.target_speed:
            return self._pick(adapter, FASTER)
        return IDLE


class RandomPolicy(Policy):
    """A uniformly random available action; seeded by (``seed``, the episode's seed)."""

    name = "random"

    def __init__(self, seed: int = 0) -> None:
        self.seed = seed
        self._rng: Any = None

    def reset(self, seed: int) -> None:
        import numpy as np

        self._rng = np.random.default_rng([int(self.seed), int(seed)])

    def act(self, adapter: Any) -> int:
        if self._rng is None:
            self.reset(0)
        available = sorted(adapter.available_actions() or [IDLE])
        return int(available[int(self._rng.integers(len(available)))])


POLICIES: dict[str, type[Policy]] = {"cautious": Cautious, "tailgating": Tailgating, "reckless": Reckless,
                                     "lane_changer": LaneChanger, "random": RandomPolicy}


def get_policy(policy: Any, **kwargs: Any) -> Any:
    """A policy object from its name (``POLICIES``) or an object with ``act(adapter)`` (returned as it is)."""
    if isinstance(policy, str):
        cls = POLICIES.get(policy.strip().lower())
        if cls is None:
            raise UsageError(f"unknown policy {policy!r}; expected one of {', '.join(POLICIES)}")
        return cls(**kwargs)
    if not callable(getattr(policy, "act", None)):
        raise UsageError(f"the policy is {type(policy).__name__}; expected a name ({', '.join(POLICIES)}) or an "
                         "object with act(adapter)")
    return policy
