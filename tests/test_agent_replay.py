"""Replay of recorded agent episodes in highway-env and gymnasium (survey section 7.2 ExecRate, 7.3 claimed
outcomes): recorded rollouts, corrupted actions, perturbed states, false claims, worker processes, telemetry.

Every expectation is worked out independently: from gymnasium / highway-env run directly, or from the positions a
test itself perturbed."""
from __future__ import annotations

import copy
import math

import numpy as np
import pytest

from synthaudit.data.agent import Episode, Step, load_episodes
from synthaudit.envs.gym_env import GymAdapter
from synthaudit.envs.highway import DEFAULT_CONFIG, HighwayAdapter
from synthaudit.envs.replay import replay_episode, replay_episodes
from synthaudit.envs.resolve import make_adapter
from synthaudit.errors import UsageError
from synthaudit.generate.agent import corrupt_actions, get_policy, record_episodes, write_episodes

gym = pytest.importorskip("gymnasium")
pytest.importorskip("highway_env")

SHORT = {"duration": 8}  # 8 s at policy_frequency 5 = 40 steps
FULL = {**DEFAULT_CONFIG, **SHORT}  # what an episode records: highway-env applies it on its own defaults


@pytest.fixture(scope="module")
def cautious() -> list[Episode]:
    return record_episodes(3, "cautious", seed=0, config=FULL)


@pytest.fixture(scope="module")
def tailgating() -> list[Episode]:
    return record_episodes(3, "tailgating", seed=0, config=FULL)


@pytest.fixture(scope="module")
def reckless() -> list[Episode]:
    return record_episodes(3, "reckless", seed=0, config=FULL)


def _gaps(ep: Episode) -> list[tuple[float, float]]:
    """Per step: the bumper-to-bumper gap (m) to the nearest vehicle ahead in the ego's lane and the ego's speed,
    from the recorded telemetry (a straight highway: x is the distance along the lanes)."""
    out = []
    for s in ep.steps:
        ego = s.state["ego"]
        ahead = [o["x"] - ego["x"] - (o["length"] + ego["length"]) / 2 for o in s.state["others"]
                 if o["lane"] == ego["lane"] and o["x"] > ego["x"]]
        out.append((min(ahead) if ahead else math.inf, ego["speed"]))
    return out


def _min_gap(ep: Episode) -> float:
    return min(g for g, _ in _gaps(ep))


# ------------------------------------------------------------------------------------------------ recorded rollouts


def test_recording_follows_the_config_and_the_format(cautious):
    ep = cautious[0]
    # duration 8 s, policy_frequency 5 -> 8 * 5 = 40 steps, dt = 1 / 5 s
    assert len(ep) == 40 and ep.dt == pytest.approx(0.2)
    assert ep.env == "highway-v0" and ep.seed == 0 and ep.config == {**DEFAULT_CONFIG, **SHORT}
    # route: target speed 25 m/s over 8 s = 200 m; the goal asks for half of it
    assert ep.route_length == pytest.approx(200.0) and ep.goal == ["not crashed", "ego.x - start.x >= 100.0"]
    assert ep.steps[-1].truncated is True and ep.success is True
    assert ep.meta["return"] == pytest.approx(sum(s.reward for s in ep.steps))
    policy = get_policy("cautious")
    assert all(s.action in range(5) for s in ep.steps) and policy.headway == 2.0


def test_cautious_rollouts_replay_exactly(cautious):
    for ep in cautious:
        r = replay_episode(ep)
        assert r.exec_rate() == 1.0 and r.first_failure is None
        assert r.first_divergence is None and r.mismatches == []
        assert r.n_actions == len(ep) and r.crashed is False and r.terminated is False
        # the same seed and actions reproduce the run bit for bit
        assert r.states == [s.state for s in ep.steps] and r.rewards == [s.reward for s in ep.steps]
        assert 0 < r.sim_seconds <= r.total_seconds


def test_replay_from_a_written_file_and_frames(tmp_path):
    eps = record_episodes(1, "lane_changer", seed=4, config={"duration": 2}, frames=(5, 160, 80), out_dir=tmp_path)
    ep = eps[0]
    # highway-env adds 1/5 s per step in floating point: ten additions of 0.2 give 1.9999999999999998 < 2 s, so
    # the episode is truncated after 11 steps; every 5th step rendered: steps 0, 5 and 10
    assert sum([0.2] * 10) < 2 and len(ep) == 11
    assert ep.frames == [f"frames/lane_changer-4/{t:04d}.png" for t in (0, 5, 10)]
    from PIL import Image

    img = np.asarray(Image.open(tmp_path / ep.frames[1]))
    assert img.shape == (80, 160, 3) and img.dtype == np.uint8 and img.std() > 10  # a drawn road, not a blank frame
    path = write_episodes(tmp_path / "episodes.jsonl", eps)
    back = load_episodes(path, "episodes").episodes[0]
    r = replay_episode(back)
    assert r.exec_rate() == 1.0 and r.first_divergence is None and r.mismatches == []


# ------------------------------------------------------------------------------------------------ failures


def test_corrupted_actions_lower_the_exec_rate(cautious):
    bad = corrupt_actions(cautious, 0.1, seed=3)
    # deep copies: the originals keep their actions
    assert all(s.action in range(5) for e in cautious for s in e.steps)
    positions = [[j for j, (a, b) in enumerate(zip(o.actions, c.actions)) if a != b] for o, c in zip(cautious, bad)]
    assert sum(len(p) for p in positions) == round(0.1 * 120)  # 3 episodes * 40 actions
    executed = total = 0
    for ep, pos in zip(bad, positions):
        r = replay_episode(ep)
        # stop at the first failure: the actions before the first corrupted one execute, none after
        expect = min(pos) if pos else len(ep)
        assert r.executed == expect and r.first_failure == (min(pos) if pos else None)
        if pos:
            assert r.outcomes[min(pos)].kind == "invalid_action"
            assert {o.kind for o in r.outcomes[min(pos) + 1:]} <= {"not_executed"}
            assert r.exec_rate("exclude") == pytest.approx(expect / (expect + 1))
        executed += r.executed
        total += r.n_actions
    assert total == 120 and executed < 120


def test_bad_action_values_name_the_problem():
    ep = Episode("ü-épisode", [Step(action=a) for a in (1, 3)] + [Step(action=float("nan"))], env="highway-v0",
                 seed=1, config=FULL)
    r = replay_episode(ep)
    assert [o.kind for o in r.outcomes] == [None, None, "invalid_action"] and "not an integer" in r.outcomes[2].message
    for action, text in ((7, "not in the action space"), ("JUMP", "not an action"), (None, "missing"),
                         (True, "bool"), ("ñandú", "not an action")):
        r = replay_episode(Episode("e", [Step(action=action)], env="highway-v0", seed=1, config=FULL))
        assert r.outcomes[0].kind == "invalid_action" and text in r.outcomes[0].message
    # a meta-action name is accepted
    assert replay_episode(Episode("e", [Step(action="faster")], env="highway-v0", seed=1, config=FULL)).executed == 1


def test_unavailable_action_is_a_precondition_failure():
    # the reference: highway-env run directly; LANE_LEFT (0) over and over until highway-env no longer offers it
    env = gym.make("highway-v0", config={**DEFAULT_CONFIG, **SHORT})
    env.reset(seed=2)
    first = None
    for t in range(40):
        if 0 not in env.unwrapped.get_available_actions():
            first = t
            break
        env.step(0)
    env.close()
    assert first is not None
    r = replay_episode(Episode("left", [Step(action=0) for _ in range(40)], env="highway-v0", seed=2, config=FULL))
    assert r.first_failure == first and r.executed == first
    assert r.outcomes[first].kind == "precondition" and "LANE_LEFT" in r.outcomes[first].message


def test_after_failure_continue_runs_the_rest(cautious):
    ep = copy.deepcopy(cautious[1])
    ep.steps[5].action = "JUMP"
    r = replay_episode(ep, after_failure="continue")
    # one skipped action, the other 39 execute
    assert r.executed == 39 and r.first_failure == 5 and r.outcomes[5].kind == "invalid_action"
    with pytest.raises(UsageError, match="after_failure"):
        replay_episode(ep, after_failure="skip")


class _Breaks(gym.Env):
    """A tiny environment whose step raises at its third call (to test the per-action exception handling)."""

    action_space = gym.spaces.Discrete(2)
    observation_space = gym.spaces.Box(-1.0, 1.0, (1,), dtype=np.float32)

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.t = 0
        return np.zeros(1, np.float32), {}

    def step(self, action):
        self.t += 1
        if self.t == 3:
            raise RuntimeError("wheel fell off ☹")
        return np.zeros(1, np.float32), 1.0, False, False, {}


def test_exceptions_are_caught_per_action():
    ep = Episode("x", [Step(action=0) for _ in range(5)], seed=0)
    r = replay_episode(ep, _Breaks())
    assert [o.kind for o in r.outcomes] == [None, None, "exception", "not_executed", "not_executed"]
    assert r.outcomes[2].message == "RuntimeError: wheel fell off ☹" and r.exec_rate() == 2 / 5


# ------------------------------------------------------------------------------------------------ divergence, claims


def test_perturbed_state_gives_the_first_diverging_step(cautious):
    ep = copy.deepcopy(cautious[0])
    x17 = ep.steps[17].state["ego"]["x"]
    # within tolerance: |d| <= 1e-6 + 1e-6 * |x|; x17 > 100 m so 1e-5 m is below 1e-6 + 1e-4
    ep.steps[9].state["ego"]["x"] += 1e-5
    ep.steps[17].state["ego"]["x"] += 0.01
    ep.steps[25].state["ego"]["speed"] += 1.0
    assert x17 > 100
    r = replay_episode(ep)
    assert r.first_divergence == {"step": 17, "field": "ego.x", "recorded": x17 + 0.01, "replayed": x17}
    assert r.exec_rate() == 1.0 and r.mismatches == []
    ep2 = copy.deepcopy(cautious[0])
    ep2.steps[30].reward += 0.5
    ep2.meta["return"] += 0.5
    r2 = replay_episode(ep2)
    assert r2.first_divergence["step"] == 30 and r2.first_divergence["field"] == "reward"
    assert len(r2.mismatches) == 1 and r2.mismatches[0].startswith("records a return of")


def test_claimed_success_on_a_crashed_replay_is_a_mismatch(reckless):
    crashed = [e for e in reckless if any(s.state["ego"]["crashed"] for s in e.steps)]
    assert crashed, "reckless driving at full speed should crash within 40 steps for one of seeds 0-2"
    ep = copy.deepcopy(crashed[0])
    crash_step = next(i for i, s in enumerate(ep.steps) if s.state["ego"]["crashed"])
    assert ep.success is False and replay_episode(ep).mismatches == []
    ep.success = True
    r = replay_episode(ep)
    assert r.crashed is True and r.mismatches == [f"claims success but the replay crashes at step {crash_step}"]
    # the crash flags erased from the record: the replay still crashes
    for s in ep.steps:
        s.info["crashed"] = False
        s.state["ego"]["crashed"] = False
    ep.success = False
    r = replay_episode(ep)
    assert r.mismatches == [f"records no crash but the replay crashes at step {crash_step}"]


def test_claimed_failure_without_a_crash(cautious):
    ep = copy.deepcopy(cautious[2])
    ep.success = False
    # the goal: no crash and 100 m driven from the first state; the replayed states show it met
    start, end = ep.steps[0].state["ego"]["x"], ep.steps[-1].state["ego"]["x"]
    assert end - start >= 100
    assert replay_episode(ep).mismatches == ["claims failure but the replay runs all 40 steps without a crash and "
                                             "meets its goal"]
    ep.goal = None
    assert replay_episode(ep).mismatches == ["claims failure but the replay runs all 40 steps without a crash"]
    # a goal the replay does not meet: failure is consistent, success is not
    far = end - start + 1
    ep.goal = [f"ego.x - start.x >= {far}"]
    assert replay_episode(ep).mismatches == []
    ep.success = True
    (m,) = replay_episode(ep).mismatches
    assert m.startswith("claims success but in the replay the goal predicate") and "is not met" in m


def test_missing_seed_replays_with_zero(cautious):
    ep = copy.deepcopy(cautious[0])  # recorded with seed 0
    ep.seed = None
    r = replay_episode(ep)
    assert "seed 0" in r.info["seed"] and r.first_divergence is None and r.exec_rate() == 1.0


def test_tailgating_keeps_smaller_gaps_than_cautious(cautious, tailgating):
    for c, t in zip(cautious, tailgating):
        assert c.seed == t.seed
        assert _min_gap(t) < _min_gap(c)
        # time headway = gap / speed: tailgating follows at its 0.6 s set point (and dips under it before braking);
        # cautious aims at 2 s and, braking gently, never lets it fall under its 1 s critical headway once settled
        # (after its first 10 steps)
        head_t = min(g / v for g, v in _gaps(t)[10:] if v > 0)
        head_c = min(g / v for g, v in _gaps(c)[10:] if v > 0)
        assert head_t < 0.7 < 1.0 < head_c


# ------------------------------------------------------------------------------------------------ environments


def test_unknown_environment_ids():
    with pytest.raises(UsageError, match="highway-v0"):
        make_adapter("highwy-v0")
    ep = Episode("e", [Step(action=1)], env="hihgway-v0")
    r = replay_episode(ep)
    assert r.outcomes[0].kind == "no_environment" and "highway-v0" in r.error
    with pytest.raises(UsageError, match="unknown environment"):
        replay_episode(ep, "nowhere-v0")
    with pytest.raises(UsageError, match="cannot import"):
        make_adapter("synthaudit.no_such_module:make")
    none = replay_episode(Episode("e", [Step(action=1)]))
    assert none.outcomes[0].kind == "no_environment" and none.exec_rate() == 0.0
    empty = replay_episode(Episode("e", [], env="highway-v0", seed=0, config=FULL))
    assert empty.outcomes == [] and empty.exec_rate() is None
    tool = load_episodes([{"episode_id": "t", "steps": [{"action": {"tool": "search", "arguments": {}}}]}],
                         "tools").episodes[0]
    assert replay_episode(tool).outcomes[0].kind == "no_environment"


def _pendulum_episode(seed: int, n: int) -> dict:
    """A Pendulum-v1 episode recorded with gymnasium directly: Box actions as JSON lists, observations, rewards."""
    env = gym.make("Pendulum-v1")
    env.reset(seed=seed)
    rng = np.random.default_rng(seed)
    steps = []
    for _ in range(n):
        a = [float(rng.uniform(-2, 2))]
        obs, reward, term, trunc, _ = env.step(np.array(a, dtype=np.float32))
        steps.append({"action": a, "observation": obs.tolist(), "reward": float(reward), "truncated": trunc})
        if term or trunc:
            break
    env.close()
    return {"episode_id": f"pendulum-{seed}", "env": "Pendulum-v1", "seed": seed, "steps": steps}


def test_box_action_environment_replays():
    rec = _pendulum_episode(5, 200)
    assert len(rec["steps"]) == 200 and rec["steps"][-1]["truncated"]  # Pendulum-v1's time limit is 200 steps
    ep = load_episodes([rec], "pendulum").episodes[0]
    r = replay_episode(ep)
    assert isinstance(make_adapter(None, ep), GymAdapter) and not isinstance(make_adapter(None, ep), HighwayAdapter)
    assert r.exec_rate() == 1.0 and r.first_divergence is None and r.mismatches == [] and r.states == []
    # three actions past the time limit: after_end, counted as not executed
    rec2 = copy.deepcopy(rec)
    rec2["steps"] += [{"action": [0.0]}] * 3
    r2 = replay_episode(load_episodes([rec2], "p").episodes[0])
    assert r2.first_failure == 200 and r2.executed == 200 and r2.exec_rate() == pytest.approx(200 / 203)
    assert {o.kind for o in r2.outcomes[200:]} == {"after_end"}
    # an observation perturbed at step 4 -> first divergence there
    rec3 = copy.deepcopy(rec)
    rec3["steps"][4]["observation"][2] += 0.1
    r3 = replay_episode(load_episodes([rec3], "p").episodes[0])
    assert r3.first_divergence["step"] == 4 and r3.first_divergence["field"] == "observation[2]"
    # the same run through a "module:factory" (the environment class itself)
    r4 = replay_episode(ep, "gymnasium.envs.classic_control.pendulum:PendulumEnv")
    assert r4.rewards == r.rewards[:len(r4.rewards)] and r4.executed == 200
    for action, text in (([float("nan")], "NaN"), ([3.0], "not in the action space"), ([0.1, 0.2], "shape"),
                         ("x", "not numeric"), ([], "shape")):
        bad = copy.deepcopy(rec)
        bad["steps"][1]["action"] = action
        out = replay_episode(load_episodes([bad], "p").episodes[0])
        assert out.executed == 1 and out.outcomes[1].kind == "invalid_action" and text in out.outcomes[1].message


def test_workers_give_the_same_results(cautious, tailgating):
    eps = cautious[:2] + corrupt_actions(tailgating[:2], 0.2, seed=1)
    one = replay_episodes(eps, workers=1)
    seen = []
    two = replay_episodes(eps, workers=2, progress=lambda done, total: seen.append((done, total)))
    assert [r.episode_id for r in two] == [e.episode_id for e in eps]
    for a, b in zip(one, two):
        assert a.to_dict() == b.to_dict() and a.states == b.states and a.rewards == b.rewards
    assert seen == [(i, 4) for i in range(1, 5)]
    with pytest.raises(UsageError, match="workers"):
        replay_episodes(eps, workers=0)
    with pytest.raises(UsageError, match="as text"):
        replay_episodes(eps, _Breaks(), workers=2)


def test_telemetry_matches_the_simulator():
    adapter = HighwayAdapter("highway-v0", {**DEFAULT_CONFIG, "vehicles_count": 20})
    adapter.reset(seed=7)
    ids = {}
    for action in (3, 1, 0, 1, 4):
        adapter.step(action)
        state = adapter.telemetry()
        u = adapter.unwrapped
        v = u.vehicle
        ego = state["ego"]
        assert (ego["x"], ego["y"], ego["speed"], ego["heading"]) == (v.position[0], v.position[1], v.speed,
                                                                      v.heading)
        assert (ego["vx"], ego["vy"]) == pytest.approx((v.speed * np.cos(v.heading), v.speed * np.sin(v.heading)))
        assert ego["lane"] == v.lane_index[2] and ego["crashed"] == v.crashed and ego["on_road"] == v.on_road
        assert ego["speed_limit"] == v.lane.speed_limit == 30 and (ego["length"], ego["width"]) == (5.0, 2.0)
        near = [o for o in u.road.vehicles if o is not v and np.linalg.norm(o.position - v.position) <= 150]
        assert len(state["others"]) == len(near)
        for o, obj in zip(state["others"], near):
            assert (o["x"], o["y"], o["lane"]) == (obj.position[0], obj.position[1], obj.lane_index[2])
            assert ids.setdefault(id(obj), o["id"]) == o["id"]  # stable per vehicle over the episode
        assert len({o["id"] for o in state["others"]}) == len(near)
    adapter.close()
    assert GymAdapter("Pendulum-v1").telemetry() is None


def test_bad_inputs_are_usage_errors(cautious):
    with pytest.raises(UsageError, match="share"):
        corrupt_actions(cautious, 1.5, seed=0)
    with pytest.raises(UsageError, match="unknown policy"):
        record_episodes(1, "careless")
    with pytest.raises(UsageError, match="out_dir"):
        record_episodes(1, "cautious", frames=(1, 10, 10))
    with pytest.raises(UsageError, match="not one"):
        record_episodes(1, "cautious", env_id="Pendulum-v1")
    assert corrupt_actions([], 0.5, seed=0) == []


def _add(a: int, b: int) -> int:
    return a + b


def test_tool_episodes_go_to_the_tool_replay(cautious):
    tools = pytest.importorskip("synthaudit.envs.tools")  # written alongside; not needed by the rest of this file
    registry = tools.ToolRegistry.from_mapping({"add": _add})
    tool_ep = load_episodes([{"episode_id": "t", "steps": [
        {"action": {"tool": "add", "arguments": {"a": 2, "b": 3}}, "result": 5},
        {"action": {"tool": "nope", "arguments": {}}}]}], "tools").episodes[0]
    out = replay_episodes([tool_ep, cautious[0]], tools=registry)
    # 2 + 3 = 5 re-executes; "nope" is not a registered tool
    assert [o.kind for o in out[0].outcomes] == [None, "unknown_tool"]
    assert out[1].episode_id == "cautious-0" and out[1].exec_rate() == 1.0
