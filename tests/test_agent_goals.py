"""Goal predicates (survey section 7.2: SR_valid, percent complete, offloading; PARTNR-style ordering). The states
are hand-made; every expected step, PC, SR and offloading value is worked out in the comments."""
from __future__ import annotations

import math
from pathlib import Path

import pytest

from synthaudit.data.agent import load_episodes
from synthaudit.envs.base import ReplayResult
from synthaudit.envs.goals import Expression, goal_status, namespaces, offloading, percent_complete, success
from synthaudit.errors import InputError

DATA = Path(__file__).parent / "data" / "agent"


def ego(x: float, speed: float, lane: int, crashed: bool = False, on_road: bool = True) -> dict:
    return {"ego": {"x": x, "y": 0.0, "speed": speed, "lane": lane, "crashed": crashed, "on_road": on_road},
            "others": []}


# t  agent  x   speed lane  reward  return
# 0  human  0   5     0     1       1
# 1  robot  8   10    1     0.5     1.5
# 2  robot  15  10    2     0.5     2
# 3  human  22  0.5   2     2       4
STATES = [ego(0, 5, 0), ego(8, 10, 1), ego(15, 10, 2), ego(22, 0.5, 2)]
AGENTS = ["human", "robot", "robot", "human"]
REWARDS = [1, 0.5, 0.5, 2]


def episode(goal: list | None, states: list | None = None, **extra) -> object:
    states = STATES if states is None else states
    steps = [{"action": 1, "state": s, "agent": a, "reward": r, "info": {"lap": t}}
             for t, (s, a, r) in enumerate(zip(states, AGENTS, REWARDS))]
    return load_episodes([{"episode_id": "ep-1", "goal": goal, "steps": steps, **extra}], "test").episodes[0]


GOAL = [{"id": "far", "expr": "ego.x - start.x > 10", "when": "any"},   # 15 - 0 > 10 first at t2 (robot)
        {"id": "lane2", "expr": "ego.lane == 2"},                       # end; true at t2, t3 -> from t2 (robot)
        {"id": "safe", "expr": "not crashed and on_road", "when": "always"},  # constraint, no step
        {"id": "stopped", "expr": "ego.speed < 1", "after": ["far"]},   # end; only t3 (human); far t2 <= 3
        {"id": "fast", "expr": "ego.speed > 30", "when": "any"}]        # never


def test_pc_sr_offloading_by_hand():
    st = goal_status(episode(GOAL))
    assert [(s.name, s.satisfied, s.step, s.by) for s in st] == [
        ("far", True, 2, "robot"), ("lane2", True, 2, "robot"), ("safe", True, None, None),
        ("stopped", True, 3, "human"), ("fast", False, None, None)]
    assert st[4].reason == "never true over 4 steps"
    assert percent_complete(st) == pytest.approx(4 / 5)  # 4 of 5 satisfied
    assert success(st) is False
    # satisfied at a step: far (robot), lane2 (robot), stopped (human); safe has no step -> 2/3
    assert offloading(st) == pytest.approx(2 / 3)
    assert offloading(st, robot="human") == pytest.approx(1 / 3)
    done = goal_status(episode(GOAL[:4]))
    assert percent_complete(done) == 1.0 and success(done) is True


def test_no_goal_and_nothing_satisfied():
    st = goal_status(episode(None))
    assert st == [] and percent_complete(st) is None and success(st) is None and offloading(st) is None
    none = goal_status(episode(["ego.speed > 30"]))
    assert percent_complete(none) == 0.0 and success(none) is False and offloading(none) is None
    only_always = goal_status(episode([{"expr": "on_road", "when": "always"}]))
    assert success(only_always) is True and offloading(only_always) is None  # satisfied, but at no step
    empty = load_episodes([{"episode_id": "e0", "goal": ["true"], "steps": []}], "t").episodes[0]
    [s] = goal_status(empty)
    assert not s.satisfied and "no states" in s.reason


def test_after_ordering():
    goal = [{"id": "far", "expr": "ego.x > 10", "when": "any"},                        # first true t2
            {"id": "early", "expr": "ego.lane >= 1", "when": "any", "after": ["far"]},  # t1 < far's t2: fails
            {"id": "same", "expr": "ego.x > 12", "when": "any", "after": ["far"]},      # t2 == t2: counts
            {"id": "end_run", "expr": "ego.lane >= 1", "after": ["far"]},               # end run from t1: fails
            {"id": "never", "expr": "ego.speed > 30", "when": "any"},
            {"id": "needs_never", "expr": "true", "after": ["never"]}]
    st = {s.name: s for s in goal_status(episode(goal))}
    assert st["same"].satisfied and st["same"].step == 2
    assert not st["early"].satisfied and "'far' became true at step 2" in st["early"].reason
    assert not st["end_run"].satisfied and st["end_run"].step == 1
    assert not st["needs_never"].satisfied and "'never' never became true" in st["needs_never"].reason
    # 6 predicates, satisfied: far, same -> PC 2/6
    assert percent_complete(list(st.values())) == pytest.approx(2 / 6)


def test_when_variants_and_by():
    goal = [{"id": "any", "expr": "ego.speed >= 10", "when": "any"},      # t1
            {"id": "end", "expr": "ego.speed >= 10"},                      # t3 speed 0.5: false
            {"id": "always", "expr": "ego.speed >= 10", "when": "always"},  # false at t0 (speed 5)
            {"id": "always_ok", "expr": "ego.speed > 0", "when": "always"},
            {"id": "by_human", "expr": "ego.speed >= 10", "when": "any", "by": "human"},  # true at t1, t2: robot
            {"id": "by_robot", "expr": "ego.lane == 2", "by": "robot"},     # end run from t2: robot
            {"id": "by_human_end", "expr": "ego.lane == 2", "by": "human"}]
    st = {s.name: s for s in goal_status(episode(goal))}
    assert (st["any"].satisfied, st["any"].step, st["any"].by) == (True, 1, "robot")
    assert not st["end"].satisfied and st["end"].reason == "false at the end (step 3)"
    assert not st["always"].satisfied and st["always"].reason == "false at step 0"
    assert st["always_ok"].satisfied and st["always_ok"].step is None
    assert not st["by_human"].satisfied and "'robot'" in st["by_human"].reason
    assert st["by_robot"].satisfied and st["by_robot"].by == "robot"
    assert not st["by_human_end"].satisfied and "by 'robot', not 'human'" in st["by_human_end"].reason


def test_namespace_names():
    ns = namespaces(episode(None))
    # return: 1, 1.5, 2, 4 (cumulative rewards)
    assert [n["return"] for n in ns] == [1, 1.5, 2, 4]
    assert ns[2]["step"] == 2 and ns[2]["lap"] == 2 and ns[2]["crashed"] is False and ns[0]["start"]["x"] == 0
    goal = ["return >= 4", "reward == 2 and step == 3", "lap == step", "'return' not in agent",
            "abs(ego.x - 22) < 1e-9 and max(ego.speed, 1) == 1 and min([3, ego.lane]) == 2",
            "len(others) == 0 and 0 < ego.x < 30", "ego.lane in [1, 2]", "agent == 'human'",
            "-ego.speed < 0 and ego.x / 2 == 11 and ego.x * 2 - 4 == 40"]
    st = goal_status(episode(goal))
    assert [s.satisfied for s in st] == [True] * len(goal), [s.reason for s in st if not s.satisfied]
    assert st[0].step == 3  # return reaches 4 only at t3


def test_replayed_states_override_recorded():
    replayed = STATES[:3] + [ego(22, 0.5, 2, crashed=True)]
    goal = [{"id": "safe", "expr": "not crashed", "when": "always"}, "return > 3"]
    assert [s.satisfied for s in goal_status(episode(goal))] == [True, True]
    st = goal_status(episode(goal), replayed)
    assert not st[0].satisfied and st[0].reason == "false at step 3"
    # a ReplayResult: its states and rewards (0 each -> return 0, so "return > 3" fails)
    rr = ReplayResult("ep-1", states=replayed, rewards=[0.0] * 4)
    assert [s.satisfied for s in goal_status(episode(goal), rr)] == [False, False]
    # the replay stopped after 2 states: the end is step 1 (x 8)
    short = goal_status(episode(["ego.x > 10"]), STATES[:2])
    assert not short[0].satisfied and short[0].reason == "false at the end (step 1)"


def test_unknown_names_and_bad_values_are_reasons_not_exceptions():
    states = [ego(0, 5, 0), {"ego": {"x": 1.0, "speed": math.nan, "lane": None}, "others": []}]
    goal = ["ego.spd > 1", "foo > 1", "ego.speed > 0", "ego.lane < 2", "ego.x / (ego.x - ego.x) > 0",
            "ego.x.y > 1", "'a' in ego.x", "len(ego.x) > 0", "ego.x + 'a' == 1"]
    st = goal_status(episode(goal, states))
    assert not any(s.satisfied for s in st)
    r = [s.reason for s in st]
    assert "unknown name 'ego.spd'" in r[0] and "speed" in r[0]
    assert "unknown name 'foo'" in r[1]
    assert r[2] == "false at the end (step 1)"  # NaN speed: comparisons false
    assert "cannot compare" in r[3] and "step 1" in r[3]
    assert "division by zero" in r[4]
    assert "not an object" in r[5] and "'in'" in r[6] and "len" in r[7] and "numbers" in r[8]
    # unknown at one step, true at another: "any" still holds
    [late] = goal_status(episode([{"expr": "ego.lane == 0", "when": "any"}], states))
    assert late.satisfied and late.step == 0


@pytest.mark.parametrize("expr", [
    "__import__('os').system('true')", "ego.__class__", "ego._private", "(lambda: 1)()", "open('x')",
    "ego['x']", "[c for c in calls]", "f'{ego}'", "getattr(ego, 'x')", "ego.x if True else 1", "b'x' == 1",
    "len(*calls)", "max(key=1)", "ego.x ** 2", "ego.x is None", "(y := 1)", "ego.items()", "{'a': 1}",
    "exec('1')", "eval('1')", "globals()"])
def test_evaluator_refuses(expr):
    with pytest.raises(InputError) as exc:
        goal_status(episode([{"id": "p", "expr": expr}]))
    assert "episode 'ep-1'" in str(exc.value) and "'p'" in str(exc.value) and "not allowed" in str(exc.value)


@pytest.mark.parametrize("goal, words", [
    (["ego.x >"], "not an expression"), ([{"id": "p", "expr": ""}], "expected an expression"),
    ([{"id": "p", "expr": "true", "when": "sometimes"}], "when"),
    ([{"id": "p", "expr": "true", "after": ["q"]}], "not a predicate"),
    ([{"id": "p", "expr": "true", "after": ["p"]}], "itself"),
    ([{"id": "p", "expr": "true"}, {"id": "p", "expr": "false"}], "twice"),
    ([{"id": "p", "expr": "true", "wen": "any"}], "unknown key"),
    ([{"id": "p", "expr": "true", "when": "always", "by": "robot"}], "by"),
    ([3], "expected an expression"), (["x" * 1001], "at most"), (["(" * 300 + "1" + ")" * 300], "'ep-1'")])
def test_bad_goals_name_episode_and_predicate(goal, words):
    with pytest.raises(InputError) as exc:
        goal_status(episode(goal))
    assert "episode 'ep-1'" in str(exc.value) and words in str(exc.value)


def test_return_keyword_only_outside_strings():
    assert Expression("return > 1").evaluate({"return_": 2}) is True
    assert Expression("'return' in text").evaluate({"text": "no return"}) is True
    assert Expression("'x' in text").evaluate({"text": "état"}) is False
    assert Expression("'é' in text").evaluate({"text": "état"}) is True


def test_tool_episode_goals_from_file():
    eps = {e.episode_id: e for e in load_episodes(DATA / "trajectories.jsonl", "traj").episodes}
    st = {s.name: s for s in goal_status(eps["weather-ok"])}
    # get_weather called at t0; result.unit == 'fahrenheit' at t1 (the recorded result is JSON text, parsed);
    # the response holds '18.5' from the start, and get_weather was called at t0 <= 0
    assert (st["'get_weather' in calls"].step, st["converted"].step, st["answered"].step) == (0, 1, 0)
    assert all(s.satisfied for s in st.values()) and st["converted"].by == "assistant"
    mixed = goal_status(eps["weather-mixed"])
    # the unknown tool at t0 is not get_weather; the schema-violating call at t1 is -> 1 of 2 satisfied
    assert [(s.satisfied, s.step) for s in mixed] == [(True, 1), (False, None)]
    assert percent_complete(mixed) == 0.5 and success(mixed) is False
    unicode = episode(["'Zürich' in response and état.vitesse > 1"],
                      [{"état": {"vitesse": 2}}] * 4, response="Zürich: 12 °C")
    assert goal_status(unicode)[0].satisfied
