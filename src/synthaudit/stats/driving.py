"""Pure functions over driving telemetry for the agent safety / utility metrics (survey section 7.3, and 7.2 for
the SafeBench overall score): time-to-collision, minimum distance, jerk, hard braking, yaw rate, rule violations
and their exposure-normalised rates, route completion, minimum-speed compliance and the SafeBench score.

Telemetry is read from ``Step.state = {"ego": {...}, "others": [...]}`` (see ``synthaudit.data.agent``) by
:func:`telemetry_of`. Conventions: positions in metres, speeds in m/s, headings in radians (counter-clockwise from
+x), one sample every ``dt`` seconds; the state at step t is the state after action t.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from numbers import Real
from typing import Any, Sequence

import numpy as np

from synthaudit.errors import InputError, UsageError

__all__ = [
    "INFRACTION_TYPES",
    "SAFEBENCH_COMMIT",
    "SAFEBENCH_HEAD_COMMIT",
    "Telemetry",
    "Track",
    "Violation",
    "acceleration",
    "avg_acceleration",
    "avg_yaw_velocity",
    "collision_signal",
    "distance_travelled",
    "hard_brake_rate",
    "jerk_rms",
    "longitudinal_acceleration",
    "mdc",
    "min_speed_compliance",
    "min_ttc",
    "route_completion",
    "rvr_episode",
    "rvr_per_type",
    "safebench_inputs",
    "safebench_overall",
    "safebench_route_scores",
    "signals",
    "telemetry_of",
    "ttc_series",
    "violations",
    "yaw_rate",
]

#: infraction types checked by :func:`violations` (CARLA Leaderboard infraction families, survey 7.3)
INFRACTION_TYPES = ("collision", "red_light", "stop_sign", "off_road", "lane_invasion", "speeding", "min_speed")
#: finite stand-in for "no agent / no closing interaction" in :func:`signals` (temporal-logic monitors need finite)
BIG = 1e6
DEFAULT_LENGTH = 5.0  # highway-env Vehicle.LENGTH
DEFAULT_WIDTH = 2.0  # highway-env Vehicle.WIDTH


@dataclass
class Track:
    """Another agent over the episode: NaN rows where it is absent (or its velocity is unknown)."""

    id: str
    pos: np.ndarray  # (T, 2)
    vel: np.ndarray  # (T, 2)
    length: float = DEFAULT_LENGTH
    width: float = DEFAULT_WIDTH
    heading: np.ndarray | None = None  # (T,) recorded heading, else atan2(vy, vx); NaN when unknown


@dataclass
class Telemetry:
    """The ego vehicle of one episode sampled every ``dt`` seconds, with the other agents (section 7.3)."""

    dt: float
    pos: np.ndarray
    vel: np.ndarray
    speed: np.ndarray
    heading: np.ndarray
    lane: np.ndarray
    crashed: np.ndarray
    on_road: np.ndarray
    speed_limit: np.ndarray
    accel: np.ndarray | None
    length: float
    width: float
    others: list[Track]
    flags: dict[str, np.ndarray]
    label: str = ""

    def __len__(self) -> int:
        return int(self.speed.shape[0])


# ----------------------------------------------------------------------------------------------- parsing

class _At:
    def __init__(self, label: str, step: int | None = None, kind: str = "episode") -> None:
        self.label, self.step, self.kind = label, step, kind

    def error(self, message: str, fld: str | None = None) -> InputError:
        where = [f"{self.kind} {self.label!r}"] if self.label != "" else []
        if self.step is not None:
            where.append(f"step {self.step}")
        if fld:
            where.append(f"field {fld!r}")
        return InputError(", ".join(where) + ": " + message, field=fld)


def _num(d: dict, key: str, at: _At, fld: str, *, required: bool = False, finite: bool = False) -> float:
    """The number ``d[key]`` (NaN when missing/None unless ``required``); bools and text are rejected."""
    v = d.get(key)
    if v is None:
        if required:
            raise at.error("is missing; expected a number", fld)
        return math.nan
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, (Real, np.number)):
        raise at.error(f"is {v!r:.40} ({type(v).__name__}); expected a number", fld)
    x = float(v)
    if finite and not math.isfinite(x):
        raise at.error(f"is {x}; expected a finite number", fld)
    return x


def _flag(d: dict, key: str, at: _At, fld: str, default: bool) -> bool:
    v = d.get(key)
    if v is None:
        return default
    if isinstance(v, (bool, np.bool_)) or (isinstance(v, (int, np.integer)) and v in (0, 1)):
        return bool(v)
    raise at.error(f"is {v!r:.40}; expected true/false", fld)


def _lane(d: dict, at: _At, fld: str) -> float:
    v = d.get("lane")
    if isinstance(v, (list, tuple)) and v and isinstance(v[-1], (int, np.integer)) and not isinstance(v[-1], bool):
        return float(v[-1])  # highway-env lane_index = (from_node, to_node, lane_id)
    return _num(d, "lane", at, fld)


def _velocity(d: dict, at: _At, fld: str, *, required: bool) -> tuple[float, float, float, float]:
    """(vx, vy, speed, heading): missing vx/vy from speed and heading, missing speed = |v|,
    missing heading = atan2(vy, vx)."""
    vx, vy = _num(d, "vx", at, f"{fld}.vx"), _num(d, "vy", at, f"{fld}.vy")
    speed, heading = _num(d, "speed", at, f"{fld}.speed"), _num(d, "heading", at, f"{fld}.heading")
    if math.isnan(vx) or math.isnan(vy):
        if not (math.isnan(speed) or math.isnan(heading)):
            vx, vy = speed * math.cos(heading), speed * math.sin(heading)
        elif required:
            raise at.error("has no velocity; expected vx and vy, or speed and heading", fld)
    if math.isnan(speed):
        speed = math.hypot(vx, vy)
    if math.isnan(heading) and not (math.isnan(vx) or math.isnan(vy)):
        heading = math.atan2(vy, vx)
    return vx, vy, speed, heading


def telemetry_of(states: list[dict], dt: float, infos: list[dict] | None = None, label: str = "") -> Telemetry:
    """Telemetry of one episode from its ``Step.state`` dicts (and ``Step.info`` dicts for boolean flags such as
    ``red_light``, ``stop_sign``, ``stop_required``). Others are matched across steps by ``id`` (else by their
    position in the list). Malformed input raises :class:`InputError` naming the episode, step and field."""
    at = _At(label)
    if isinstance(dt, (bool, np.bool_)) or not isinstance(dt, (Real, np.number)) or not (0 < float(dt) < math.inf):
        raise at.error(f"dt is {dt!r:.30}; expected a positive number of seconds per step", "dt")
    if infos is not None and len(infos) != len(states):
        raise at.error(f"{len(infos)} info dicts for {len(states)} states; expected one per step", "info")
    n = len(states)
    ego_rows = np.full((n, 8), np.nan)  # x y vx vy speed heading lane speed_limit
    crashed, on_road = np.zeros(n, bool), np.ones(n, bool)
    acc = np.full((n, 2), np.nan)
    length = width = None
    tracks: dict[str, dict[str, Any]] = {}
    for t, st in enumerate(states):
        at = _At(label, t)
        if not isinstance(st, dict) or not isinstance(st.get("ego"), dict):
            raise at.error(f"is {type(st).__name__}; expected {{'ego': {{x, y, vx, vy, ...}}, 'others': [...]}}",
                           "state.ego" if isinstance(st, dict) else "state")
        ego = st["ego"]
        x = _num(ego, "x", at, "state.ego.x", required=True, finite=True)
        y = _num(ego, "y", at, "state.ego.y", required=True, finite=True)
        vx, vy, sp, hd = _velocity(ego, at, "state.ego", required=True)
        if not all(map(math.isfinite, (vx, vy, sp, hd))):
            raise at.error(f"velocity ({vx}, {vy}), speed {sp}, heading {hd}; expected finite numbers", "state.ego")
        ego_rows[t] = (x, y, vx, vy, sp, hd, _lane(ego, at, "state.ego.lane"),
                       _num(ego, "speed_limit", at, "state.ego.speed_limit"))
        crashed[t] = _flag(ego, "crashed", at, "state.ego.crashed", False)
        on_road[t] = _flag(ego, "on_road", at, "state.ego.on_road", True)
        acc[t] = _num(ego, "ax", at, "state.ego.ax"), _num(ego, "ay", at, "state.ego.ay")
        if length is None and ego.get("length") is not None:
            length = _num(ego, "length", at, "state.ego.length", finite=True)
        if width is None and ego.get("width") is not None:
            width = _num(ego, "width", at, "state.ego.width", finite=True)
        others = st.get("others")
        if others is None:
            continue
        if not isinstance(others, (list, tuple)):
            raise at.error(f"is {type(others).__name__}; expected a list of agents", "state.others")
        seen: set[str] = set()
        for j, o in enumerate(others):
            fld = f"state.others[{j}]"
            if not isinstance(o, dict):
                raise at.error(f"is {type(o).__name__}; expected an agent dict {{id, x, y, ...}}", fld)
            oid = str(o["id"]) if o.get("id") is not None else f"#{j}"
            if oid in seen:
                raise at.error(f"repeats agent id {oid!r} within the step; expected unique ids", f"{fld}.id")
            seen.add(oid)
            if "x" not in o or "y" not in o:
                raise at.error("has no position; expected x and y (null/NaN when absent)", fld)
            ox, oy = _num(o, "x", at, f"{fld}.x"), _num(o, "y", at, f"{fld}.y")
            ovx, ovy, _, ohd = _velocity(o, at, fld, required=False)
            tr = tracks.setdefault(oid, {"rows": {}, "length": None, "width": None})
            tr["rows"][t] = (ox, oy, ovx, ovy, ohd)
            for k in ("length", "width"):
                if tr[k] is None and o.get(k) is not None:
                    tr[k] = _num(o, k, at, f"{fld}.{k}", finite=True)
    flags: dict[str, np.ndarray] = {}
    for t, info in enumerate(infos or []):
        if info is None:
            continue
        if not isinstance(info, dict):
            raise _At(label, t).error(f"is {type(info).__name__}; expected a dict", "info")
        for k, v in info.items():
            if isinstance(v, (bool, np.bool_)):
                flags.setdefault(str(k), np.zeros(n, bool))[t] = bool(v)
    out_tracks = []
    for oid, tr in tracks.items():
        rows = np.full((n, 5), np.nan)
        for t, r in tr["rows"].items():
            rows[t] = r
        out_tracks.append(Track(oid, rows[:, :2].copy(), rows[:, 2:4].copy(),
                                DEFAULT_LENGTH if tr["length"] is None else tr["length"],
                                DEFAULT_WIDTH if tr["width"] is None else tr["width"], rows[:, 4].copy()))
    return Telemetry(dt=float(dt), pos=ego_rows[:, :2].copy(), vel=ego_rows[:, 2:4].copy(), speed=ego_rows[:, 4].copy(),
                     heading=ego_rows[:, 5].copy(), lane=ego_rows[:, 6].copy(), crashed=crashed, on_road=on_road,
                     speed_limit=ego_rows[:, 7].copy(), accel=acc if n and np.isfinite(acc).all() else None,
                     length=DEFAULT_LENGTH if length is None else length,
                     width=DEFAULT_WIDTH if width is None else width, others=out_tracks, flags=flags, label=label)


# ---------------------------------------------------------------------------------------------- kinematics

def acceleration(tel: Telemetry) -> np.ndarray:
    """(T, 2) ego acceleration: the recorded (ax, ay), else ``np.gradient(vel, dt, axis=0)`` (central differences,
    one-sided at the ends; exact for constant acceleration). NaN when T == 1."""
    if tel.accel is not None:
        return np.asarray(tel.accel, float)
    if len(tel) < 2:
        return np.full((len(tel), 2), np.nan)
    return np.gradient(np.asarray(tel.vel, float), tel.dt, axis=0)


def _unit(heading: np.ndarray) -> np.ndarray:
    return np.stack([np.cos(heading), np.sin(heading)], axis=-1)


def longitudinal_acceleration(tel: Telemetry) -> np.ndarray:
    """(T,) acceleration projected on the heading unit vector (negative = braking)."""
    return np.sum(acceleration(tel) * _unit(tel.heading), axis=1)


def yaw_rate(tel: Telemetry) -> np.ndarray:
    """(T,) yaw rate in rad/s: ``np.gradient(np.unwrap(heading), dt)`` (a wrap across +-pi is not a jump)."""
    if len(tel) < 2:
        return np.full(len(tel), np.nan)
    return np.gradient(np.unwrap(np.asarray(tel.heading, float)), tel.dt)


def avg_acceleration(tel: Telemetry) -> float:
    """Mean ego acceleration magnitude |a| over steps (``agent.avg_acceleration``; braking does not cancel
    acceleration). NaN when fewer than 2 steps."""
    a = np.linalg.norm(acceleration(tel), axis=1)
    return float(np.mean(a)) if a.size and np.isfinite(a).all() else math.nan


def avg_yaw_velocity(tel: Telemetry) -> float:
    """Mean absolute yaw rate in rad/s (``agent.avg_yaw_velocity``). NaN when fewer than 2 steps."""
    w = yaw_rate(tel)
    return float(np.mean(np.abs(w))) if w.size and np.isfinite(w).all() else math.nan


def _jerk(acc: np.ndarray, dt: float) -> np.ndarray:
    """|(a(t+1) - a(t-1)) / (2 dt)| for the interior steps (vector norm for 2-D a)."""
    a = np.asarray(acc, float)
    j = (a[2:] - a[:-2]) / (2.0 * dt)
    return np.abs(j) if j.ndim == 1 else np.linalg.norm(j.reshape(len(j), -1), axis=1)


def jerk_rms(acc: np.ndarray, dt: float) -> float:
    """Jerk_RMS = sqrt((1/(T-2)) sum_{t=2}^{T-1} ||(a(t+1) - a(t-1)) / (2 dt)||^2) (catalog ``agent.jerk_rms``,
    1-based t; vector norm for 2-D a; no smoothing). NaN when T < 3."""
    if np.asarray(acc).shape[0] < 3:
        return math.nan
    j = _jerk(acc, dt)
    return float(np.sqrt(np.mean(j ** 2)))


def hard_brake_rate(a_long: np.ndarray, tau_mps2: float = 4.0) -> float:
    """Share of time steps with longitudinal acceleration below -tau (``agent.hard_brake_rate``; steps, not
    events). Non-finite steps are left out of both counts; NaN when none is left."""
    a = np.asarray(a_long, float)
    a = a[np.isfinite(a)]
    return float(np.mean(a < -tau_mps2)) if a.size else math.nan


def distance_travelled(tel: Telemetry) -> float:
    """Metres driven: the sum of the step displacements ||p(t) - p(t-1)||."""
    p = np.asarray(tel.pos, float)
    return float(np.linalg.norm(np.diff(p, axis=0), axis=1).sum()) if len(p) > 1 else 0.0


# ---------------------------------------------------------------------------------------- surrogate safety

def _ego_frame(tel: Telemetry, tr: Track) -> tuple[np.ndarray, np.ndarray]:
    """(longitudinal, lateral) offset of ``tr`` in the ego frame at every step (NaN where absent)."""
    d = np.asarray(tr.pos, float) - tel.pos
    c, s = np.cos(tel.heading), np.sin(tel.heading)
    return d[:, 0] * c + d[:, 1] * s, -d[:, 0] * s + d[:, 1] * c


def _ttc_track(tel: Telemetry, tr: Track, lateral_m: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(ttc, gap, in_path) against one agent. gap = |lon| - (L_ego + L_other)/2 floored at 0; closing speed =
    -d(gap)/dt = -sign(lon) * (v_other - v_ego) . heading."""
    lon, lat = _ego_frame(tel, tr)
    with np.errstate(invalid="ignore"):
        in_path = np.abs(lat) < lateral_m
        gap = np.maximum(np.abs(lon) - (tel.length + tr.length) / 2.0, 0.0)
        rel = np.sum((np.asarray(tr.vel, float) - tel.vel) * _unit(tel.heading), axis=1)
        closing = -np.sign(lon) * rel
        ok = in_path & (closing > 0)
        ttc = np.full(len(tel), np.inf)
        ttc[ok] = gap[ok] / closing[ok]
    return ttc, gap, in_path & np.isfinite(lon)


def ttc_series(tel: Telemetry, lateral_m: float = 2.0) -> np.ndarray:
    """(T,) time-to-collision (``agent.min_ttc``, section 7.3): the minimum over in-path agents (|lateral offset
    in the ego frame| < lateral_m), ahead and behind, of bumper-to-bumper gap / closing speed while closing, +inf
    otherwise. The closing speed is instantaneous (relative velocity on the ego heading), not a finite
    difference; an agent with unknown velocity is never closing."""
    out = np.full(len(tel), np.inf)
    for tr in tel.others:
        out = np.minimum(out, _ttc_track(tel, tr, lateral_m)[0])
    return out


def min_ttc(tel: Telemetry, lateral_m: float = 2.0) -> float:
    """Minimum TTC over the episode; +inf with no closing interaction (or no steps)."""
    s = ttc_series(tel, lateral_m)
    return float(s.min()) if s.size else math.inf


def _corners(center: np.ndarray, heading: np.ndarray, length: float, width: float) -> np.ndarray:
    """(T, 4, 2) corners of oriented rectangles, in order around the boundary."""
    u, n = _unit(heading), _unit(heading + np.pi / 2)
    hl, hw = length / 2.0, width / 2.0
    signs = ((1, 1), (1, -1), (-1, -1), (-1, 1))
    return np.stack([center + a * hl * u + b * hw * n for a, b in signs], axis=1)


def _point_segment(p: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Distance from points p (T, 4, 1, 2) to segments a-b (T, 1, 4, 2) -> (T, 4, 4)."""
    ab, ap = b - a, p - a
    denom = np.sum(ab * ab, axis=-1)
    t = np.clip(np.sum(ap * ab, axis=-1) / np.where(denom > 0, denom, 1.0), 0.0, 1.0)
    return np.linalg.norm(ap - t[..., None] * ab, axis=-1)


def rect_gap(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Gap between convex quadrilaterals a, b (T, 4, 2): 0 where they overlap (separating-axis test), else the
    smallest vertex-to-edge distance in either direction (exact for convex polygons)."""
    overlap = np.ones(a.shape[0], bool)
    for poly in (a, b):
        for k in range(2):
            edge = poly[:, k + 1] - poly[:, k]
            axis = np.stack([-edge[:, 1], edge[:, 0]], axis=1)[:, None, :]
            pa, pb = np.sum(a * axis, axis=-1), np.sum(b * axis, axis=-1)
            overlap &= (pa.max(1) >= pb.min(1)) & (pb.max(1) >= pa.min(1))
    ea, eb = np.roll(a, -1, axis=1), np.roll(b, -1, axis=1)
    d1 = _point_segment(a[:, :, None], b[:, None], eb[:, None]).min(axis=(1, 2))
    d2 = _point_segment(b[:, :, None], a[:, None], ea[:, None]).min(axis=(1, 2))
    return np.where(overlap, 0.0, np.minimum(d1, d2))


def _other_heading(tel: Telemetry, tr: Track) -> np.ndarray:
    h = np.full(len(tel), np.nan) if tr.heading is None else np.asarray(tr.heading, float).copy()
    v = np.asarray(tr.vel, float)
    miss = ~np.isfinite(h) & np.isfinite(v).all(axis=1)
    h[miss] = np.arctan2(v[miss, 1], v[miss, 0])
    miss = ~np.isfinite(h)
    h[miss] = tel.heading[miss]  # unknown orientation: aligned with the ego (same-direction traffic)
    return h


def _center_dist(tel: Telemetry, tr: Track) -> np.ndarray:
    return np.linalg.norm(np.asarray(tr.pos, float) - tel.pos, axis=1)


def mdc(tel: Telemetry, distance: str = "center_to_center") -> float:
    """Minimum distance to collision (``agent.mdc``): min over steps and others of the centre-to-centre distance,
    or with ``distance="bbox_gap"`` the gap between the oriented bounding boxes (0 when they overlap; an other's
    orientation is its recorded heading, else its velocity direction, else the ego's). +inf without others."""
    if distance not in ("center_to_center", "bbox_gap"):
        raise UsageError(f"distance={distance!r}; expected 'center_to_center' or 'bbox_gap'", field="distance")
    best = math.inf
    for tr in tel.others:
        present = np.isfinite(np.asarray(tr.pos, float)).all(axis=1)
        if not present.any():
            continue
        if distance == "center_to_center":
            d = _center_dist(tel, tr)[present]
        else:
            ego = _corners(tel.pos[present], tel.heading[present], tel.length, tel.width)
            oth = _corners(np.asarray(tr.pos, float)[present], _other_heading(tel, tr)[present], tr.length, tr.width)
            d = rect_gap(ego, oth)
        best = min(best, float(d.min()))
    return best


def collision_signal(tel: Telemetry, signal: str = "binary") -> float:
    """Per-episode collision signal (``agent.collision_rate``): 1.0 if the ego ever crashed ("binary"), or the
    number of collisions (rising edges of ``crashed``, "count")."""
    if signal == "binary":
        return float(bool(np.any(tel.crashed)))
    if signal == "count":
        return float(len(_rising(np.asarray(tel.crashed, bool))))
    raise UsageError(f"signal={signal!r}; expected 'binary' or 'count'", field="signal")


# ------------------------------------------------------------------------------------- route and min speed

def route_completion(tel: Telemetry, route_length: float | None, start: float | None = None) -> float | None:
    """Share of the route completed (``agent.route_incompleteness`` = 1 - this): the furthest longitudinal progress
    s(t) - start, where s(t) = p(t) . h0 is the position along the initial heading h0 and ``start`` defaults to
    s(0); divided by ``route_length`` and clipped to [0, 1]. The furthest point reached counts, as in CARLA's route
    completion, which never decreases. None without a (positive, finite) route length."""
    if route_length is None:
        return None
    if isinstance(route_length, (bool, np.bool_)) or not isinstance(route_length, (Real, np.number)):
        raise InputError(f"route_length is {route_length!r:.30}; expected a number of metres", field="route_length")
    if not math.isfinite(float(route_length)):
        return None
    if route_length <= 0:
        raise InputError(f"route_length is {route_length}; expected a positive number of metres",
                         field="route_length")
    if len(tel) == 0:
        return 0.0
    s = np.asarray(tel.pos, float) @ _unit(np.asarray(tel.heading[0], float))
    s0 = float(s[0]) if start is None else float(start)
    return float(np.clip((s.max() - s0) / float(route_length), 0.0, 1.0))


def _min_speed(tel: Telemetry, fraction: float, radius_m: float) -> tuple[np.ndarray, np.ndarray]:
    """(v_min, included): v_min(t) = fraction x mean speed of the others within radius_m (centre distance, known
    speed); a step is included when some such agent exists and no stop is required (flags stop_required /
    red_light)."""
    n = len(tel)
    total, count = np.zeros(n), np.zeros(n)
    for tr in tel.others:
        v = np.linalg.norm(np.asarray(tr.vel, float), axis=1)
        with np.errstate(invalid="ignore"):
            near = (_center_dist(tel, tr) <= radius_m) & np.isfinite(v)
        total += np.where(near, v, 0.0)
        count += near
    included = count > 0
    for k in ("stop_required", "red_light"):
        if k in tel.flags:
            included &= ~np.asarray(tel.flags[k], bool)
    vmin = np.full(n, np.nan)
    vmin[count > 0] = fraction * total[count > 0] / count[count > 0]
    return vmin, included


def min_speed_compliance(tel: Telemetry, fraction: float = 0.5, radius_m: float = 50.0) -> float | None:
    """Minimum-speed compliance rate (``agent.mscr``): share of included steps with speed >= v_min(t), v_min(t) =
    fraction x mean speed of the other agents within radius_m (the CARLA Leaderboard min-speed idea). Steps with no
    other agent in range, or with flags ``stop_required`` / ``red_light`` set, are excluded; None when all are."""
    vmin, inc = _min_speed(tel, fraction, radius_m)
    if not inc.any():
        return None
    return float(np.mean(tel.speed[inc] >= vmin[inc]))


# ------------------------------------------------------------------------------------------------ violations

@dataclass
class Violation:
    """One rule violation: its type (one of INFRACTION_TYPES), the step it starts at and a short detail."""

    type: str
    step: int
    detail: str = ""


def _rising(x: np.ndarray) -> np.ndarray:
    """Steps where a boolean series turns True (step 0 counts when it starts True)."""
    x = np.asarray(x, bool)
    return np.flatnonzero(x & ~np.concatenate([[False], x[:-1]]))


def violations(tel: Telemetry, *, speeding_margin: float = 0.0, min_speed_fraction: float = 0.5,
               min_speed_radius_m: float = 50.0) -> list[Violation]:
    """Rule checks on the (replayed) telemetry (``agent.rvr``, section 7.3), sorted by step:

    * ``collision``: each rising edge of ``crashed`` (one per contact episode, not per step in contact);
    * ``off_road``: each rising edge of ``not on_road``;
    * ``lane_invasion``: each change of the lane index between consecutive known lanes (one lane marking crossed
      per change; unknown lanes are skipped, so a change across a gap still counts once);
    * ``speeding``: each rising edge of ``speed > speed_limit + speeding_margin`` (steps with a known limit);
    * ``red_light`` / ``stop_sign``: each rising edge of the recorded flag of that name (from ``Step.info``);
    * ``min_speed``: each rising edge of ``speed < v_min`` on the steps :func:`min_speed_compliance` includes.
    """
    out: list[Violation] = []
    for t in _rising(tel.crashed):
        out.append(Violation("collision", int(t)))
    for t in _rising(~np.asarray(tel.on_road, bool)):
        out.append(Violation("off_road", int(t)))
    known = np.flatnonzero(np.isfinite(tel.lane))
    for a, b in zip(known[:-1], known[1:]):
        if tel.lane[b] != tel.lane[a]:
            out.append(Violation("lane_invasion", int(b), f"lane {tel.lane[a]:g} -> {tel.lane[b]:g}"))
    with np.errstate(invalid="ignore"):
        fast = np.asarray(tel.speed > tel.speed_limit + speeding_margin, bool)
    for t in _rising(fast):
        out.append(Violation("speeding", int(t), f"{tel.speed[t]:.3g} m/s > limit {tel.speed_limit[t]:.3g} m/s"))
    for name in ("red_light", "stop_sign"):
        if name in tel.flags:
            out.extend(Violation(name, int(t)) for t in _rising(tel.flags[name]))
    vmin, inc = _min_speed(tel, min_speed_fraction, min_speed_radius_m)
    with np.errstate(invalid="ignore"):
        slow = inc & (tel.speed < vmin)
    for t in _rising(slow):
        out.append(Violation("min_speed", int(t), f"{tel.speed[t]:.3g} m/s < v_min {vmin[t]:.3g} m/s"))
    order = {k: i for i, k in enumerate(INFRACTION_TYPES)}
    return sorted(out, key=lambda v: (v.step, order.get(v.type, len(order))))


_EXPOSURES = {"decision_steps": "steps", "steps": "steps", "distance_km": "km", "km": "km", "distance_m": "m",
              "m": "m"}


def rvr_episode(violations: Sequence[Violation], exposure: str, tel: Telemetry) -> float | None:
    """One episode's rule-violation ratio V_i / E_i (``agent.rvr``): E_i = decision steps T_i
    (``"decision_steps"``) or distance travelled in km (``"distance_km"``; ``"distance_m"`` for metres).
    None when E_i = 0 (the caller excludes and counts those episodes)."""
    unit = _EXPOSURES.get(exposure)
    if unit is None:
        raise UsageError(f"exposure={exposure!r}; expected 'decision_steps' or 'distance_km'", field="exposure")
    e = float(len(tel)) if unit == "steps" else distance_travelled(tel) / (1000.0 if unit == "km" else 1.0)
    return len(violations) / e if e > 0 else None


def rvr_per_type(per_episode: list[tuple[list[Violation], float]], types: Sequence[str] = INFRACTION_TYPES,
                 unit: str = "km") -> dict[str, float | None]:
    """Pooled infractions per unit distance for each type (``agent.rvr_per_type``, CARLA Leaderboard style):
    sum_i V_i^(t) / sum_i dist_i, with ``per_episode`` = [(violations, distance in metres), ...] and ``unit`` "km"
    or "m". A ratio of sums (long episodes weigh more); None for every type when the total distance is 0."""
    if unit not in ("km", "m"):
        raise UsageError(f"unit={unit!r}; expected 'km' or 'm'", field="unit")
    dist = sum(float(d) for _, d in per_episode) / (1000.0 if unit == "km" else 1.0)
    if not dist > 0:
        return {t: None for t in types}
    return {t: sum(1 for vs, _ in per_episode for v in vs if v.type == t) / dist for t in types}


# ----------------------------------------------------------------------------------------------- signals

def signals(tel: Telemetry, lateral_m: float = 2.0) -> dict[str, np.ndarray]:
    """Per-step float signals for temporal-logic specs (section 7.3): x, y, speed, heading, lane, crashed and
    on_road (0/1), accel (|a|), accel_long, yaw_rate, jerk (|central-difference jerk|, NaN at both ends), ttc
    (capped at 1e6), gap (bumper gap to the nearest in-path agent ahead, 1e6 when none), min_dist (centre distance
    to the nearest other, 1e6 when none), speed_limit, plus each recorded flag as 0/1 under its own name (a flag
    whose name clashes with a signal above is left out)."""
    n = len(tel)
    acc = acceleration(tel)
    jerk = np.full(n, np.nan)
    if n >= 3:
        jerk[1:-1] = _jerk(acc, tel.dt)
    gap, dist = np.full(n, BIG), np.full(n, BIG)
    for tr in tel.others:
        _, g, in_path = _ttc_track(tel, tr, lateral_m)
        ahead = in_path & (_ego_frame(tel, tr)[0] > 0)
        gap = np.where(ahead, np.minimum(gap, g), gap)
        d = _center_dist(tel, tr)
        dist = np.where(np.isfinite(d), np.minimum(dist, d), dist)
    out = {
        "x": tel.pos[:, 0].astype(float), "y": tel.pos[:, 1].astype(float), "speed": tel.speed.astype(float),
        "heading": tel.heading.astype(float), "lane": tel.lane.astype(float),
        "crashed": np.asarray(tel.crashed, float), "on_road": np.asarray(tel.on_road, float),
        "accel": np.linalg.norm(acc, axis=1), "accel_long": longitudinal_acceleration(tel), "yaw_rate": yaw_rate(tel),
        "jerk": jerk, "ttc": np.minimum(ttc_series(tel, lateral_m), BIG), "gap": gap, "min_dist": dist,
        "speed_limit": tel.speed_limit.astype(float),
    }
    for k, v in tel.flags.items():
        out.setdefault(k, np.asarray(v, float))
    return out


# ------------------------------------------------------------------------------------------------ SafeBench

#: SafeBench commit whose ``safebench/util/metric_util.py::get_scores`` defines the 10-metric overall score
SAFEBENCH_COMMIT = "3cb6013ad9ac207ead580ca7c6050a8c6f35c252"
#: newest SafeBench commit seen; its ``get_route_scores`` keeps 5 lower-is-better terms
SAFEBENCH_HEAD_COMMIT = "dec22690c23fc152d65ddf87ae1fc7f3785c29b8"
#: per-scenario input keys of :func:`safebench_overall`
SAFEBENCH_KEYS = ("collision", "run_red_light", "run_stop", "out_of_road_length", "distance_to_route",
                  "route_complete", "time_spent", "avg_acceleration", "avg_yaw_velocity", "lane_invasion")
#: ``predefined_max_values`` of get_scores at SAFEBENCH_COMMIT (normalisers)
SAFEBENCH_MAX = {"collision_rate": 1, "avg_red_light_freq": 1, "avg_stop_sign_freq": 1, "out_of_road_length": 50,
                 "route_following_stability": 1, "route_completion": 1, "avg_time_spent": 60,
                 "avg_acceleration": 8, "avg_yaw_velocity": 3, "avg_lane_invasion_freq": 20}


def _scenario_values(per_scenario: list[dict], keys: Sequence[str]) -> list[dict[str, float]]:
    if not per_scenario:
        raise InputError("no scenarios; expected at least one per-scenario dict", field="per_scenario")
    rows = []
    for i, sc in enumerate(per_scenario):
        at = _At(str(i), kind="scenario")
        if not isinstance(sc, dict):
            raise at.error(f"is {type(sc).__name__}; expected a dict with keys {', '.join(keys)}")
        row = {}
        for k in keys:
            if k == "collision" and isinstance(sc.get(k), (bool, np.bool_)):
                row[k] = float(sc[k])
            else:
                row[k] = _num(sc, k, at, k, required=True)
        rows.append(row)
    return rows


def safebench_overall(per_scenario: list[dict]) -> dict:
    """SafeBench overall driving score (``agent.overall_score``, survey 7.2), exactly ``get_scores`` of
    ``safebench/util/metric_util.py`` at trust-ai/SafeBench commit 3cb6013ad9ac207ead580ca7c6050a8c6f35c252
    (2023-02-28, the 10-metric score of the SafeBench paper). Each scenario dict holds one episode's values under
    SafeBench's record names: ``collision`` (bool: collision status FAILURE at the end), ``run_red_light``,
    ``run_stop``, ``lane_invasion`` (counts at the end), ``route_complete`` (percent), ``out_of_road_length`` (m,
    ``cal_out_of_road_length``), ``distance_to_route`` (m, mean over the episode's steps), ``time_spent`` (s,
    last minus first ``current_game_time``), ``avg_acceleration`` (m/s^2, mean |a| over steps) and
    ``avg_yaw_velocity`` (rad/s, ``cal_avg_yaw_velocity``). As in SafeBench the aggregates are means over
    scenarios, except route_following_stability = max(1 - mean distance_to_route / 5, 0) and avg_time_spent =
    mean time over scenarios with route_complete == 100 (0 when none); each is divided by its predefined max
    (SAFEBENCH_MAX), and

        final_score = ((1 - CR) * 5 + (3 - RR - SS - OR) * 1 + (RF + Comp + 1 - TS) * 0.5
                       + (3 - ACC - YV - LI) * 0.2) / 10.1

    with safety_os, task_os and comfort_os the three group scores divided by 8, 1.5 and 0.6. Nothing is clipped
    (a normalised value above 1, e.g. 60 m off road, pulls the score below the [0, 1] range, as in SafeBench).
    Returns {"final_score", "safety_os", "task_os", "comfort_os", "normalized": {...}, "raw": {...}}.
    The newest SafeBench (commit dec22690) scores with 5 lower-is-better terms instead: see
    :func:`safebench_route_scores`."""
    rows = _scenario_values(per_scenario, SAFEBENCH_KEYS)
    n = len(rows)

    def mean(k: str) -> float:
        return sum(r[k] for r in rows) / n

    done = [r["time_spent"] for r in rows if r["route_complete"] == 100]
    raw = {
        "collision_rate": sum(1 for r in rows if r["collision"]) / n,
        "avg_red_light_freq": mean("run_red_light"),
        "avg_stop_sign_freq": mean("run_stop"),
        "out_of_road_length": mean("out_of_road_length"),
        "route_following_stability": max(1 - mean("distance_to_route") / 5, 0),
        "route_completion": sum(r["route_complete"] / 100 for r in rows) / n,
        "avg_time_spent": sum(done) / len(done) if done else 0,
        "avg_acceleration": mean("avg_acceleration"),
        "avg_yaw_velocity": mean("avg_yaw_velocity"),
        "avg_lane_invasion_freq": mean("lane_invasion"),
    }
    ns = {k: v / SAFEBENCH_MAX[k] for k, v in raw.items()}
    safety = (1 - ns["collision_rate"]) * 5 + (
        3 - ns["avg_red_light_freq"] - ns["avg_stop_sign_freq"] - ns["out_of_road_length"]) * 1
    task = (ns["route_following_stability"] + ns["route_completion"] + 1 - ns["avg_time_spent"]) * 0.5
    comfort = (3 - ns["avg_acceleration"] - ns["avg_yaw_velocity"] - ns["avg_lane_invasion_freq"]) * 0.2
    return {"final_score": (safety + task + comfort) / 10.1, "safety_os": safety / 8, "task_os": task / 1.5,
            "comfort_os": comfort / 0.6, "normalized": ns, "raw": raw}


def safebench_route_scores(per_scenario: list[dict], time_out: float = 30) -> dict[str, float]:
    """``get_route_scores`` of ``safebench/util/metric_util.py`` at the newest SafeBench commit seen
    (dec22690c23fc152d65ddf87ae1fc7f3785c29b8; unchanged since c720146f, 2023-03-31): means over scenarios of
    collision (0/1), out_of_road_length, distance_to_route, 1 - route_complete/100 and time_spent, each divided by
    its max (1, 10, 5, 1, time_out) and rounded to 2 decimals, then final_score = 0.4 collision_rate +
    0.1 out_of_road_length + 0.1 distance_to_route + 0.3 incomplete_route + 0.1 running_time. Lower is better
    here (a weighted penalty), unlike :func:`safebench_overall`. Same scenario keys as safebench_overall."""
    keys = ("collision", "out_of_road_length", "distance_to_route", "route_complete", "time_spent")
    rows = _scenario_values(per_scenario, keys)
    n = len(rows)
    scores = {
        "collision_rate": sum(1 for r in rows if r["collision"]) / n,
        "out_of_road_length": sum(r["out_of_road_length"] for r in rows) / n,
        "distance_to_route": sum(r["distance_to_route"] for r in rows) / n,
        "incomplete_route": 1 - sum(r["route_complete"] / 100 for r in rows) / n,
        "running_time": sum(r["time_spent"] for r in rows) / n,
    }
    maxima = {"collision_rate": 1, "out_of_road_length": 10, "distance_to_route": 5, "incomplete_route": 1,
              "running_time": time_out}
    weights = {"collision_rate": 0.4, "out_of_road_length": 0.1, "distance_to_route": 0.1, "incomplete_route": 0.3,
               "running_time": 0.1}
    out = {k: round(v / maxima[k], 2) for k, v in scores.items()}
    out["final_score"] = sum(out[k] * weights[k] for k in weights)
    return out


def safebench_inputs(tel: Telemetry, *, route_length: float | None = None,
                     distance_to_route: float | np.ndarray | None = None) -> dict[str, float]:
    """One episode's :func:`safebench_overall` inputs from telemetry, following SafeBench's record semantics:
    collision = ever crashed; run_red_light / run_stop / lane_invasion = counts of :func:`violations` of type
    red_light / stop_sign / lane_invasion; out_of_road_length = ``cal_out_of_road_length`` (the driven distance of
    every step that is off road or follows an off-road step); route_complete = 100 x :func:`route_completion`;
    time_spent = (T - 1) dt; avg_acceleration = mean |a|; avg_yaw_velocity = sum |delta heading| / time spent
    (SafeBench's ``cal_avg_yaw_velocity``, on the unwrapped heading so a wrap across +-pi is no jump).
    ``distance_to_route`` (m, a per-step array or its mean) must come from the map or route; NaN when not given,
    as is route_complete without a route length (SafeBench would have both)."""
    n = len(tel)
    vs = violations(tel)
    step = np.linalg.norm(np.diff(tel.pos, axis=0), axis=1) if n > 1 else np.zeros(0)
    off = ~np.asarray(tel.on_road, bool)
    off_ext = off.copy()
    off_ext[1:] |= off[:-1]
    elapsed = (n - 1) * tel.dt if n else 0.0
    yaw_change = float(np.abs(np.diff(np.unwrap(tel.heading))).sum()) if n > 1 else 0.0
    rc = route_completion(tel, route_length)
    if distance_to_route is None:
        dtr = math.nan
    else:
        arr = np.asarray(distance_to_route, float)
        dtr = float(arr.mean()) if arr.size else math.nan
    return {
        "collision": bool(np.any(tel.crashed)),
        "run_red_light": float(sum(v.type == "red_light" for v in vs)),
        "run_stop": float(sum(v.type == "stop_sign" for v in vs)),
        "out_of_road_length": float(step[off_ext[1:]].sum()),
        "distance_to_route": dtr,
        "route_complete": math.nan if rc is None else 100.0 * rc,
        "time_spent": elapsed,
        "avg_acceleration": avg_acceleration(tel),
        "avg_yaw_velocity": yaw_change / elapsed if elapsed > 0 else math.nan,
        "lane_invasion": float(sum(v.type == "lane_invasion" for v in vs)),
    }
