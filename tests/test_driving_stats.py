"""Driving-telemetry math (survey section 7.3): every expected value is worked by hand in the comments."""
from __future__ import annotations

import math

import numpy as np
import pytest

from synthaudit.errors import InputError, UsageError
from synthaudit.stats import driving as dr


def ego(x, y=0.0, speed=20.0, heading=0.0, **kw):
    return {"x": x, "y": y, "vx": speed * math.cos(heading), "vy": speed * math.sin(heading), "speed": speed,
            "heading": heading, "length": 5.0, "width": 2.0, **kw}


def other(oid, x, y=0.0, speed=10.0, heading=0.0, **kw):
    return {"id": oid, "x": x, "y": y, "vx": speed * math.cos(heading), "vy": speed * math.sin(heading),
            "length": 5.0, "width": 2.0, **kw}


def tel1(others, dt=0.1, **ego_kw):
    """A one-step episode with the ego at the origin."""
    return dr.telemetry_of([{"ego": ego(0.0, **ego_kw), "others": others}], dt, label="ep")


# ------------------------------------------------------------------------------------------------------ TTC

def test_ttc_lead_vehicle():
    # lead 30 m ahead (centres), both 5 m long: gap = 30 - (5 + 5)/2 = 25 m; closing = 20 - 10 = 10 m/s -> 2.5 s
    t = tel1([other("lead", 30.0, speed=10.0)])
    assert dr.ttc_series(t)[0] == pytest.approx(2.5)
    assert dr.min_ttc(t) == pytest.approx(2.5)
    # the same scene rotated: ego heading north, lead 30 m north -> still 2.5 s
    r = tel1([other("lead", 0.0, 30.0, speed=10.0, heading=math.pi / 2)], heading=math.pi / 2)
    assert dr.min_ttc(r) == pytest.approx(2.5)


def test_ttc_next_lane_ignored_and_opening_gap_inf():
    # a stopped car 4 m to the side (|lateral| 4 >= 2) would be closing at 20 m/s but is not in the path
    assert dr.min_ttc(tel1([other("side", 10.0, 4.0, speed=0.0)])) == math.inf
    # with lateral_m = 5 it counts: gap 10 - 5 = 5 m, closing 20 m/s -> 0.25 s
    assert dr.min_ttc(tel1([other("side", 10.0, 4.0, speed=0.0)]), lateral_m=5.0) == pytest.approx(0.25)
    # lead faster than ego (25 > 20): the gap opens -> +inf
    assert dr.min_ttc(tel1([other("fast", 30.0, speed=25.0)])) == math.inf


def test_ttc_vehicle_behind_closing():
    # follower 20 m behind at 25 m/s, ego 20 m/s: gap = 20 - 5 = 15 m, closing 25 - 20 = 5 m/s -> 3 s
    assert dr.min_ttc(tel1([other("rear", -20.0, speed=25.0)])) == pytest.approx(3.0)
    # follower slower (15 m/s) falls back -> inf
    assert dr.min_ttc(tel1([other("rear", -20.0, speed=15.0)])) == math.inf
    # min over agents: lead (2.5 s) and follower (3 s) -> 2.5 s
    assert dr.min_ttc(tel1([other("rear", -20.0, speed=25.0), other("lead", 30.0)])) == pytest.approx(2.5)


def test_ttc_absent_agent_nan_positions():
    # the lead appears only at step 1 (absent at step 0 -> NaN row): step 0 is inf
    states = [{"ego": ego(0.0), "others": []},
              {"ego": ego(2.0), "others": [other("lead", 32.0)]}]
    t = dr.telemetry_of(states, 0.1)
    assert np.isnan(t.others[0].pos[0]).all()
    s = dr.ttc_series(t)
    assert s[0] == math.inf and s[1] == pytest.approx(2.5)  # gap 30 - 5 = 25, closing 10
    assert dr.mdc(t) == pytest.approx(30.0)


# ------------------------------------------------------------------------------------------------------ MDC

def test_mdc_center_to_center_345():
    # step 0: other at (3, 4) -> 5; step 1: ego moved to (1, 0), other at (7, 8) -> sqrt(36 + 64) = 10; min = 5
    states = [{"ego": ego(0.0), "others": [other("a", 3.0, 4.0)]},
              {"ego": ego(1.0), "others": [other("a", 7.0, 8.0)]}]
    assert dr.mdc(dr.telemetry_of(states, 0.1)) == pytest.approx(5.0)
    assert dr.mdc(tel1([])) == math.inf
    with pytest.raises(UsageError, match="distance"):
        dr.mdc(tel1([]), distance="euclid")


def box(oid, x, y, length, width, heading):
    return {"id": oid, "x": x, "y": y, "speed": 0.0, "heading": heading, "length": length, "width": width}


def gap_of(o, **ego_kw):
    kw = {"length": 4.0, "width": 2.0, **ego_kw}
    t = dr.telemetry_of([{"ego": {**ego(0.0, speed=0.0, heading=kw.pop("heading", 0.0)), **kw}, "others": [o]}], 0.1)
    return dr.mdc(t, distance="bbox_gap")


def test_bbox_gap_axis_aligned():
    # ego 4x2 at origin: x in [-2, 2], y in [-1, 1]
    assert gap_of(box("b", 7.0, 0.0, 4.0, 2.0, 0.0)) == pytest.approx(3.0)  # other x in [5, 9]: 5 - 2 = 3
    # other x in [4, 8], y in [4, 6]: nearest corners (2, 1) and (4, 4): sqrt(2^2 + 3^2) = sqrt(13)
    assert gap_of(box("b", 6.0, 5.0, 4.0, 2.0, 0.0)) == pytest.approx(math.sqrt(13))
    assert gap_of(box("b", 3.0, 0.0, 4.0, 2.0, 0.0)) == 0.0  # x in [1, 5] overlaps [-2, 2]


def test_bbox_gap_rotated():
    # a 2x2 square turned 45 deg at (5, 0) is a diamond with its left vertex at 5 - sqrt(2): gap 3 - sqrt(2)
    assert gap_of(box("d", 5.0, 0.0, 2.0, 2.0, math.pi / 4)) == pytest.approx(3 - math.sqrt(2))
    # both turned 90 deg: ego x in [-1, 1], y in [-2, 2]; other at (3, 0): x in [2, 4] -> gap 1
    assert gap_of(box("r", 3.0, 0.0, 4.0, 2.0, math.pi / 2), heading=math.pi / 2) == pytest.approx(1.0)
    # heading missing: taken from the velocity direction (moving north = turned 90 deg) -> also gap 1
    o = {"id": "v", "x": 3.0, "y": 0.0, "vx": 0.0, "vy": 5.0, "length": 4.0, "width": 2.0}
    assert gap_of(o, heading=math.pi / 2) == pytest.approx(1.0)
    # the diamond touching: vertex at 2 + 0 -> centre at 2 + sqrt(2) -> gap 0 (within rounding)
    assert gap_of(box("d", 2.0 + math.sqrt(2), 0.0, 2.0, 2.0, math.pi / 4)) == pytest.approx(0.0, abs=1e-9)


def test_rect_gap_against_brute_force():
    # independent reference: the minimum over dense boundary samples of both rectangles
    rng = np.random.default_rng(0)

    def boundary(c, h, length, width, k=400):
        corners = dr._corners(np.array([c]), np.array([h]), length, width)[0]
        pts = [corners[i] + s * (corners[(i + 1) % 4] - corners[i]) for i in range(4) for s in np.linspace(0, 1, k)]
        return np.array(pts)

    for _ in range(5):
        c, h = rng.uniform(6, 10, 2), rng.uniform(-np.pi, np.pi)
        a = dr._corners(np.zeros((1, 2)), np.array([0.3]), 4.0, 2.0)
        b = dr._corners(np.array([c]), np.array([h]), 3.0, 1.5)
        pa, pb = boundary(np.zeros(2), 0.3, 4.0, 2.0), boundary(c, h, 3.0, 1.5)
        brute = np.linalg.norm(pa[:, None] - pb[None], axis=2).min()
        assert dr.rect_gap(a, b)[0] == pytest.approx(brute, abs=0.02)


# ----------------------------------------------------------------------------------------------------- jerk

def test_jerk_linear_acceleration():
    # a = 2t: (a(t+dt) - a(t-dt)) / (2 dt) = 2 at every interior step -> RMS 2
    t = np.arange(10) * 0.1
    assert dr.jerk_rms(2 * t, 0.1) == pytest.approx(2.0, rel=1e-12)


def test_jerk_quadratic_by_hand():
    # a = t^2, dt = 0.5: a = 0, 0.25, 1, 2.25, 4; central jerks (1-0)/1 = 1, (2.25-0.25)/1 = 2, (4-1)/1 = 3
    # RMS = sqrt((1 + 4 + 9) / 3) = sqrt(14/3)
    t = np.arange(5) * 0.5
    assert dr.jerk_rms(t ** 2, 0.5) == pytest.approx(math.sqrt(14 / 3))
    assert math.isnan(dr.jerk_rms(np.array([1.0, 2.0]), 0.1))  # T < 3
    assert math.isnan(dr.jerk_rms(np.zeros((0, 2)), 0.1))
    assert dr.jerk_rms(np.full(6, 3.0), 0.1) == 0.0  # constant acceleration: no jerk


def test_jerk_2d():
    # a = (2t, 3t): jerk vector (2, 3) at every interior step -> norm sqrt(13)
    t = np.arange(6) * 0.2
    assert dr.jerk_rms(np.stack([2 * t, 3 * t], axis=1), 0.2) == pytest.approx(math.sqrt(13))


def straight(vx_list, dt, heading=0.0, **extra):
    """Ego trace along `heading` with the given speeds (positions integrated by the trapezoid rule)."""
    x = np.concatenate([[0.0], np.cumsum((np.array(vx_list[1:]) + vx_list[:-1]) / 2 * dt)])
    u = (math.cos(heading), math.sin(heading))
    return [{"ego": {"x": xi * u[0], "y": xi * u[1], "speed": v, "heading": heading, **extra}, "others": []}
            for xi, v in zip(x, vx_list)]


def test_acceleration_from_velocity_constant():
    # v = 5 + 3t sampled every 0.25 s: np.gradient (central, one-sided at the ends) recovers a = 3 exactly
    v = [5 + 3 * 0.25 * k for k in range(8)]
    t = dr.telemetry_of(straight(v, 0.25), 0.25)
    a = dr.acceleration(t)
    assert np.allclose(a[:, 0], 3.0) and np.allclose(a[:, 1], 0.0)
    assert dr.jerk_rms(a, 0.25) == pytest.approx(0.0, abs=1e-9)
    sig = dr.signals(t)
    assert np.isnan(sig["jerk"][[0, -1]]).all() and np.allclose(sig["jerk"][1:-1], 0.0, atol=1e-9)


def test_recorded_acceleration_used_when_every_step_has_it():
    states = straight([10.0, 10.0, 10.0], 0.1)
    for k, st in enumerate(states):
        st["ego"].update(ax=float(k), ay=0.0)  # recorded: 0, 1, 2 (velocity would say 0)
    assert np.allclose(dr.acceleration(dr.telemetry_of(states, 0.1))[:, 0], [0, 1, 2])
    del states[1]["ego"]["ax"]  # one step missing -> derived from velocity instead
    t = dr.telemetry_of(states, 0.1)
    assert t.accel is None and np.allclose(dr.acceleration(t), 0.0)


# ----------------------------------------------------------------------------------- braking, yaw, comfort

def test_hard_brake_rate():
    # below -4 strictly: -5 and -4.5 (not -4.0) -> 2 of 5 steps
    assert dr.hard_brake_rate(np.array([-5.0, -4.0, -4.5, 0.0, 1.0])) == pytest.approx(0.4)
    assert dr.hard_brake_rate(np.array([-5.0, -3.0]), tau_mps2=2.0) == 1.0
    assert math.isnan(dr.hard_brake_rate(np.array([])))
    # driving west (heading pi) at vx = -20 + 5t: a_x = +5, on the heading (-1, 0) that is -5 m/s^2 braking
    t = dr.telemetry_of(straight([20 - 5 * 0.1 * k for k in range(5)], 0.1, heading=math.pi), 0.1)
    assert np.allclose(dr.longitudinal_acceleration(t), -5.0)
    assert dr.hard_brake_rate(dr.longitudinal_acceleration(t)) == 1.0


def test_yaw_rate_unwraps_across_pi():
    # headings pi-0.15, pi-0.05, then wrapped -pi+0.05, -pi+0.15: a steady turn of 0.1 rad per 0.1 s = 1 rad/s
    hd = [math.pi - 0.15, math.pi - 0.05, -math.pi + 0.05, -math.pi + 0.15]
    states = [{"ego": {"x": float(k), "y": 0.0, "speed": 1.0, "heading": h}} for k, h in enumerate(hd)]
    t = dr.telemetry_of(states, 0.1)
    assert np.allclose(dr.yaw_rate(t), 1.0)
    assert dr.avg_yaw_velocity(t) == pytest.approx(1.0)


def test_avg_acceleration_brake_then_accelerate():
    # v = 10, 8, 6, 8, 10 (dt 1): np.gradient -> -2, -2, 0, +2, +2; mean |a| = 8/5 = 1.6 (signed mean would be 0)
    t = dr.telemetry_of(straight([10.0, 8.0, 6.0, 8.0, 10.0], 1.0), 1.0)
    assert dr.avg_acceleration(t) == pytest.approx(1.6)
    assert np.mean(dr.longitudinal_acceleration(t)) == pytest.approx(0.0)


# ------------------------------------------------------------------------------------------------ violations

def trace():
    """8 steps, 100 m apart (700 m = 0.7 km): crash at steps 3-4, lane 0 -> 1 at step 2, limit 30 m/s with speeds
    31-32 (steps 1-2) and 33 (step 5)."""
    speeds = [25, 31, 32, 25, 25, 33, 25, 25]
    crashed = [False, False, False, True, True, False, False, False]
    lanes = [0, 0, 1, 1, 1, 1, 1, 1]
    return [{"ego": {"x": 100.0 * k, "y": 0.0, "speed": float(s), "heading": 0.0, "lane": ln, "crashed": c,
                     "speed_limit": 30.0}} for k, (s, c, ln) in enumerate(zip(speeds, crashed, lanes))]


def test_violations_hand_trace():
    t = dr.telemetry_of(trace(), 1.0)
    got = [(v.type, v.step) for v in dr.violations(t)]
    assert got == [("speeding", 1), ("lane_invasion", 2), ("collision", 3), ("speeding", 5)]
    # with a 1.5 m/s margin only 32 (step 2; 31 <= 31.5) and 33 (step 5) exceed 31.5
    got = [(v.type, v.step) for v in dr.violations(t, speeding_margin=1.5) if v.type == "speeding"]
    assert got == [("speeding", 2), ("speeding", 5)]
    vs = dr.violations(t)
    assert dr.rvr_episode(vs, "decision_steps", t) == pytest.approx(4 / 8)  # 4 violations / 8 steps
    assert dr.rvr_episode(vs, "distance_km", t) == pytest.approx(4 / 0.7)  # 4 / 0.7 km
    assert dr.collision_signal(t) == 1.0 and dr.collision_signal(t, "count") == 1.0
    with pytest.raises(UsageError, match="exposure"):
        dr.rvr_episode(vs, "hours", t)


def test_violation_edges_flags_and_unknown_lanes():
    on_road = [True, False, False, True, False]
    lanes = [0, None, 1, 1, 1]
    states = [{"ego": {"x": float(k), "y": 0.0, "speed": 1.0, "heading": 0.0, "on_road": r, "lane": ln}}
              for k, (r, ln) in enumerate(zip(on_road, lanes))]
    infos = [{"red_light": k in (1, 2), "stop_sign": k == 4, "speed": 3.0} for k in range(5)]
    t = dr.telemetry_of(states, 0.1, infos=infos)
    assert set(t.flags) == {"red_light", "stop_sign"}  # non-boolean info values are not flags
    got = [(v.type, v.step) for v in dr.violations(t)]
    # off road rises at 1 and 4; lane 0 -> (unknown) -> 1 is one change at step 2; red light rises at 1 only;
    # within a step the order is that of INFRACTION_TYPES
    assert got == [("red_light", 1), ("off_road", 1), ("lane_invasion", 2), ("stop_sign", 4), ("off_road", 4)]
    # crashed from the first step counts once at step 0; highway-env lane tuples use their last element
    t0 = dr.telemetry_of([{"ego": ego(0.0, crashed=True, lane=("a", "b", 2))},
                          {"ego": ego(2.0, crashed=True, lane=("a", "b", 2))}], 0.1)
    assert [(v.type, v.step) for v in dr.violations(t0)] == [("collision", 0)] and t0.lane[0] == 2.0


def test_rvr_per_type_pooled_vs_mean_of_ratios():
    # A: 2 collisions over 1 km; B: none over 3 km. Pooled: 2 / 4 km = 0.5 per km;
    # mean of per-episode ratios (agent.rvr): (2/1 + 0/3) / 2 = 1.0 per km -- they differ
    a = [dr.Violation("collision", 1), dr.Violation("collision", 5), dr.Violation("lane_invasion", 2)]
    pooled = dr.rvr_per_type([(a, 1000.0), ([], 3000.0)], ["collision", "lane_invasion", "red_light"])
    assert pooled == {"collision": pytest.approx(0.5), "lane_invasion": pytest.approx(0.25), "red_light": 0.0}
    mean_of_ratios = np.mean([2 / 1.0, 0 / 3.0])
    assert mean_of_ratios == pytest.approx(1.0) and pooled["collision"] != mean_of_ratios
    per_m = dr.rvr_per_type([(a, 1000.0), ([], 3000.0)], ["collision"], unit="m")
    assert per_m["collision"] == pytest.approx(2 / 4000)
    assert dr.rvr_per_type([(a, 0.0)], ["collision"]) == {"collision": None}
    with pytest.raises(UsageError, match="unit"):
        dr.rvr_per_type([], ["collision"], unit="mi")


# ------------------------------------------------------------------------------------- route and min speed

def test_route_completion():
    # along +x: furthest progress 70 m (then back to 60) of a 100 m route -> 0.7
    states = [{"ego": ego(x)} for x in (0.0, 30.0, 70.0, 60.0)]
    t = dr.telemetry_of(states, 1.0)
    assert dr.route_completion(t, 100.0) == pytest.approx(0.7)
    assert dr.route_completion(t, 50.0) == 1.0  # clipped
    assert dr.route_completion(t, 100.0, start=-20.0) == pytest.approx(0.9)  # (70 + 20) / 100
    assert dr.route_completion(t, None) is None
    # diagonal heading (3, 4)/5, moving to (30, 40) then sideways to (34, 37): progress 50 then (102+148)/5 = 50
    h = math.atan2(4, 3)
    d = dr.telemetry_of([{"ego": ego(0.0, 0.0, heading=h)}, {"ego": ego(30.0, 40.0, heading=h)},
                         {"ego": ego(34.0, 37.0, heading=h)}], 1.0)
    assert dr.route_completion(d, 200.0) == pytest.approx(0.25)
    # reversing only: no progress
    assert dr.route_completion(dr.telemetry_of([{"ego": ego(0.0)}, {"ego": ego(-5.0)}], 1.0), 10.0) == 0.0
    assert dr.route_completion(t, float("nan")) is None
    for bad in (-1.0, "100 m"):
        with pytest.raises(InputError, match="route_length"):
            dr.route_completion(t, bad)
    assert dr.distance_travelled(t) == pytest.approx(80.0)  # 30 + 40 + 10


def test_min_speed_compliance_with_exclusions():
    # other 20 m away at 10 m/s -> v_min = 0.5 x 10 = 5; a far car (100 m, 30 m/s) is out of the 50 m radius.
    # step 0: 10 >= 5 ok; step 1: 4 < 5 violation; step 2: stop_required -> excluded; step 3: no one near ->
    # excluded. MSCR = 1 / 2
    speeds = [10.0, 4.0, 2.0, 10.0]
    states = []
    for k, s in enumerate(speeds):
        others = [other("far", 100.0 + k, speed=30.0)] + ([other("near", 20.0 + k, speed=10.0)] if k < 3 else [])
        states.append({"ego": ego(float(k), speed=s), "others": others})
    infos = [{"stop_required": k == 2} for k in range(4)]
    t = dr.telemetry_of(states, 1.0, infos=infos)
    assert dr.min_speed_compliance(t) == pytest.approx(0.5)
    assert [(v.type, v.step) for v in dr.violations(t)] == [("min_speed", 1)]
    # fraction 0.3 -> v_min 3: step 1 (4 >= 3) now complies -> 2 / 2
    assert dr.min_speed_compliance(t, fraction=0.3) == 1.0
    # a radius of 10 m leaves nobody in range -> every step excluded -> None
    assert dr.min_speed_compliance(t, radius_m=10.0) is None


# ---------------------------------------------------------------------------------------------------- input

def test_telemetry_of_derives_missing_fields():
    t = dr.telemetry_of([{"ego": {"x": 0.0, "y": 0.0, "speed": 10.0, "heading": math.pi / 2}},
                         {"ego": {"x": 0.0, "y": 1.0, "vx": 3.0, "vy": 4.0}}], 0.1)
    assert np.allclose(t.vel[0], [0.0, 10.0])  # from speed and heading
    assert t.speed[1] == pytest.approx(5.0)  # |(3, 4)|
    assert t.heading[1] == pytest.approx(math.atan2(4, 3))
    assert (t.length, t.width) == (5.0, 2.0)  # highway-env defaults when not recorded
    assert t.on_road.all() and not t.crashed.any() and np.isnan(t.speed_limit).all() and np.isnan(t.lane).all()


@pytest.mark.parametrize("states, step, fld", [
    ([{"ego": ego(0.0)}, {"ego": ego(1.0)}, {"ego": {**ego(2.0), "x": "abc"}}], 2, "state.ego.x"),
    ([{"ego": ego(0.0)}, {"ego": {"x": 1.0, "y": 0.0}}], 1, "state.ego"),  # no velocity at all
    ([{"ego": ego(0.0)}, None], 1, "state"),
    ([{"ego": {**ego(0.0), "y": True}}], 0, "state.ego.y"),
    ([{"ego": {**ego(0.0), "x": float("nan")}}], 0, "state.ego.x"),
    ([{"ego": ego(0.0), "others": {"id": 1}}], 0, "state.others"),
    ([{"ego": ego(0.0), "others": [other("a", 1.0), other("a", 2.0)]}], 0, "state.others[1].id"),
    ([{"ego": ego(0.0), "others": [{"id": "a", "y": 1.0}]}], 0, "state.others[0]"),
    ([{"ego": {**ego(0.0), "crashed": "yes"}}], 0, "state.ego.crashed"),
])
def test_telemetry_of_errors_name_episode_step_field(states, step, fld):
    with pytest.raises(InputError) as err:
        dr.telemetry_of(states, 0.1, label="épisode-β")
    msg = str(err.value)
    assert "épisode-β" in msg and f"step {step}" in msg and repr(fld) in msg


def test_telemetry_of_bad_dt_and_infos():
    with pytest.raises(InputError, match="dt"):
        dr.telemetry_of([{"ego": ego(0.0)}], 0.0, label="e1")
    with pytest.raises(InputError, match="one per step"):
        dr.telemetry_of([{"ego": ego(0.0)}], 0.1, infos=[{}, {}], label="e1")


def test_empty_and_single_step_traces():
    e = dr.telemetry_of([], 0.1, label="empty")
    assert len(e) == 0 and dr.min_ttc(e) == math.inf and dr.mdc(e) == math.inf
    assert math.isnan(dr.jerk_rms(dr.acceleration(e), 0.1)) and math.isnan(dr.avg_acceleration(e))
    assert dr.distance_travelled(e) == 0.0 and dr.violations(e) == [] and dr.route_completion(e, 10.0) == 0.0
    assert dr.min_speed_compliance(e) is None and all(v.shape == (0,) for v in dr.signals(e).values())
    s = tel1([other("lead", 30.0)])
    assert np.isnan(dr.acceleration(s)).all() and np.isnan(dr.yaw_rate(s)).all()
    assert math.isnan(dr.hard_brake_rate(dr.longitudinal_acceleration(s)))
    assert dr.distance_travelled(s) == 0.0 and dr.rvr_episode([], "distance_km", s) is None
    assert dr.rvr_episode([], "decision_steps", s) == 0.0


def test_signals():
    # lead ahead (gap 25, TTC 2.5) and a car in the next lane at (10, 4): nearest centre sqrt(100 + 16)
    t = dr.telemetry_of([{"ego": ego(0.0), "others": [other("lead", 30.0), other("side", 10.0, 4.0)]}], 0.1,
                        infos=[{"red_light": True, "crashed": True}])
    s = dr.signals(t)
    assert s["gap"][0] == pytest.approx(25.0) and s["ttc"][0] == pytest.approx(2.5)
    assert s["min_dist"][0] == pytest.approx(math.sqrt(116))
    assert s["red_light"][0] == 1.0 and s["crashed"][0] == 0.0  # the state's crashed wins over the info flag
    n = dr.signals(tel1([]))
    assert n["gap"][0] == dr.BIG and n["ttc"][0] == dr.BIG and n["min_dist"][0] == dr.BIG


# ------------------------------------------------------------------------------------------------- SafeBench

A = {"collision": True, "run_red_light": 1, "run_stop": 0, "out_of_road_length": 10.0, "distance_to_route": 1.0,
     "route_complete": 50.0, "time_spent": 40.0, "avg_acceleration": 2.0, "avg_yaw_velocity": 0.3,
     "lane_invasion": 4}
B = {"collision": False, "run_red_light": 0, "run_stop": 1, "out_of_road_length": 0.0, "distance_to_route": 0.0,
     "route_complete": 100.0, "time_spent": 30.0, "avg_acceleration": 1.0, "avg_yaw_velocity": 0.0,
     "lane_invasion": 0}


def test_safebench_overall_by_hand():
    # SafeBench get_scores (commit 3cb6013a): CR = 1/2; RR = 1/2; SS = 1/2; OR = mean(10, 0) / 50 = 0.1;
    # RF = max(1 - mean(1, 0)/5, 0) = 0.9; Comp = mean(0.5, 1) = 0.75; TS = 30 (only B completed) / 60 = 0.5;
    # ACC = 1.5 / 8 = 0.1875; YV = 0.15 / 3 = 0.05; LI = 2 / 20 = 0.1
    # safety  = (1 - 0.5) * 5 + (3 - 0.5 - 0.5 - 0.1) * 1 = 2.5 + 1.9 = 4.4
    # task    = (0.9 + 0.75 + 1 - 0.5) * 0.5 = 1.075
    # comfort = (3 - 0.1875 - 0.05 - 0.1) * 0.2 = 0.5325
    # final   = (4.4 + 1.075 + 0.5325) / 10.1 = 6.0075 / 10.1
    out = dr.safebench_overall([A, B])
    assert out["final_score"] == pytest.approx(6.0075 / 10.1)
    assert out["safety_os"] == pytest.approx(4.4 / 8)
    assert out["task_os"] == pytest.approx(1.075 / 1.5)
    assert out["comfort_os"] == pytest.approx(0.5325 / 0.6)
    ns = out["normalized"]
    assert ns["out_of_road_length"] == pytest.approx(0.1) and ns["route_following_stability"] == pytest.approx(0.9)
    assert ns["avg_time_spent"] == pytest.approx(0.5) and ns["avg_acceleration"] == pytest.approx(0.1875)
    # a perfect episode: every penalty 0, RF = Comp = 1, time 0 -> (5 + 3 + 1.5 + 0.6) / 10.1 = 1
    perfect = {**B, "run_stop": 0, "time_spent": 0.0, "avg_acceleration": 0.0}
    assert dr.safebench_overall([perfect])["final_score"] == pytest.approx(1.0)


def test_safebench_route_scores_head_version():
    # get_route_scores (newest commit), time_out 30: collision 0.5/1 = 0.5; out of road 5/10 = 0.5;
    # distance to route 0.5/5 = 0.1; incomplete 1 - 0.75 = 0.25; running time 35/30 = 1.1667 -> round 1.17
    # final = 0.4*0.5 + 0.1*0.5 + 0.1*0.1 + 0.3*0.25 + 0.1*1.17 = 0.2 + 0.05 + 0.01 + 0.075 + 0.117 = 0.452
    out = dr.safebench_route_scores([A, B])
    assert out["running_time"] == 1.17 and out["final_score"] == pytest.approx(0.452)


def test_safebench_input_errors():
    with pytest.raises(InputError, match="no scenarios"):
        dr.safebench_overall([])
    with pytest.raises(InputError, match="run_stop"):
        dr.safebench_overall([{k: v for k, v in A.items() if k != "run_stop"}])
    with pytest.raises(InputError, match="lane_invasion"):
        dr.safebench_overall([{**A, "lane_invasion": "many"}])


def test_safebench_inputs_from_telemetry():
    # 5 steps 10 m apart along +x (dt 0.5), off road at step 1 only: SafeBench counts the step driven off road
    # and the one after it -> steps 1 and 2 -> 20 m. Time spent (5 - 1) * 0.5 = 2 s. Route 80 m: 40/80 -> 50 %.
    states = [{"ego": {"x": 10.0 * k, "y": 0.0, "speed": 20.0, "heading": 0.0, "on_road": k != 1, "lane": 0}}
              for k in range(5)]
    states[3]["ego"]["lane"] = 1  # one lane change
    inp = dr.safebench_inputs(dr.telemetry_of(states, 0.5), route_length=80.0, distance_to_route=[0.0, 2.0])
    assert inp["out_of_road_length"] == pytest.approx(20.0) and inp["time_spent"] == pytest.approx(2.0)
    assert inp["route_complete"] == pytest.approx(50.0) and inp["distance_to_route"] == pytest.approx(1.0)
    assert inp["lane_invasion"] == 2.0  # 0 -> 1 at step 3 and 1 -> 0 at step 4
    assert inp["avg_acceleration"] == 0.0 and inp["avg_yaw_velocity"] == 0.0 and inp["collision"] is False
    assert math.isfinite(dr.safebench_overall([inp])["final_score"])
