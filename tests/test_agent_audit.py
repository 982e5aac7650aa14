"""The agent audit end to end through ``synthaudit.audit("agent", ...)`` (survey section 7: 7.2 quality, 7.3
trust; issue #19's checks): highway-env rollouts of scripted policies replayed in the simulator, tool-call
trajectories replayed against a tool registry, and small hand-made episodes (goals, rewards, telemetry, frames)
whose every expected value is worked out in this file -- by hand in the comments, or with an independent library
(statsmodels, scikit-learn, scikit-image, jsonschema)."""
from __future__ import annotations

import contextlib
import hashlib
import io
import json
import math
from pathlib import Path

import numpy as np
import pytest

import synthaudit
from synthaudit.errors import InputError, UsageError

pytest.importorskip("gymnasium")
pytest.importorskip("highway_env")

A = "agent."
SHORT = {"duration": 8}  # 8 s at policy_frequency 5 = 40 steps per episode
N_DRIVE = 3  # episodes per policy, seeds 0, 1, 2


def run(synthetic, metrics, **kw):
    """An agent audit of only ``metrics`` (ids without the 'agent.' prefix)."""
    return synthaudit.audit("agent", synthetic=synthetic, metrics=[A + m for m in metrics], **kw)


def result(rep, mid: str):
    return rep.result(A + mid)


def gap(rep, mid: str):
    return next(g for g in rep.gaps if g.id == A + mid)


def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def write_jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


# ------------------------------------------------------------------------------------------------ driving rollouts


@pytest.fixture(scope="module")
def drives(tmp_path_factory) -> dict[str, tuple[list, Path]]:
    """Recorded highway-env rollouts of the three scripted policies over the same seeds, as JSON Lines."""
    from synthaudit.envs.highway import DEFAULT_CONFIG
    from synthaudit.generate.agent import record_episodes, write_episodes

    root = tmp_path_factory.mktemp("drives")
    out = {}
    for policy in ("cautious", "tailgating", "reckless"):
        eps = record_episodes(N_DRIVE, policy, seed=0, config={**DEFAULT_CONFIG, **SHORT})
        out[policy] = (eps, write_episodes(root / f"{policy}.jsonl", eps))
    return out


@pytest.fixture(scope="module")
def policy_audits(drives):
    """Each policy's rollouts audited (replayed in highway-env) on the driving-safety metrics."""
    metrics = ["exec_rate", "min_ttc", "hard_brake_rate", "collision_rate"]
    return {p: run(str(path), metrics) for p, (_, path) in drives.items()}


def test_cautious_rollouts_replay_fully_and_the_file_is_untouched(drives, policy_audits):
    eps, path = drives["cautious"]
    m = result(policy_audits["cautious"], "exec_rate")
    steps = sum(len(e) for e in eps)  # 3 episodes x 40 steps = 120 actions
    assert steps == N_DRIVE * 40
    assert m.value == 1.0 and m.notes["actions"] == steps and m.notes["executed"] == steps
    assert m.notes["failed_replays"] == [] and m.breakdown == []
    assert "3 episode(s) from the simulator's replay" in result(policy_audits["cautious"], "min_ttc").notes["telemetry"]
    before = sha256(path)
    run(str(path), ["exec_rate", "jerk_rms"])
    assert sha256(path) == before  # the audit reads its input, never rewrites it


def test_corrupted_actions_lower_exec_rate_as_worked_out(drives, tmp_path):
    from synthaudit.generate.agent import corrupt_actions, write_episodes

    eps, _ = drives["cautious"]
    bad = corrupt_actions(eps, 0.05, seed=1)  # round(0.05 * 120) = 6 actions replaced
    path = write_episodes(tmp_path / "corrupt.jsonl", bad)
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    # the corrupted positions, read back from the file: an action outside highway-env's Discrete(5) (or none)
    valid = set(range(5))
    positions = [[j for j, s in enumerate(r["steps"]) if not (isinstance(s.get("action"), int)
                                                             and s["action"] in valid)] for r in records]
    assert sum(map(len, positions)) == 6
    assert positions == [e.meta["corrupted_steps"] for e in bad]
    lengths = [len(r["steps"]) for r in records]
    # the replay stops at an episode's first failure: steps before it execute, the rest never run
    ok = sum(p[0] if p else n for p, n in zip(positions, lengths))
    ran = sum(p[0] + 1 if p else n for p, n in zip(positions, lengths))  # executed + the failed action
    failed = sum(1 for p in positions if p)
    default = result(run(str(path), ["exec_rate"]), "exec_rate")
    assert default.notes["after_first_failure"] == "count_as_failed"
    assert default.value == pytest.approx(ok / sum(lengths), abs=1e-12)  # never-run actions count as failures
    kinds = {b["outcome"]: b["actions"] for b in default.breakdown}
    assert kinds == {"invalid_action": failed, "not_executed": sum(lengths) - ran}
    assert sorted(f["first_failure"] for f in default.notes["failed_replays"]) == sorted(p[0] for p in positions if p)
    excl = result(run(str(path), ["exec_rate"], params={A + "exec_rate": {"after_first_failure": "exclude"}}),
                  "exec_rate")
    assert excl.value == pytest.approx(ok / ran, abs=1e-12)  # never-run actions left out
    assert excl.notes["actions"] == ran and default.value < excl.value < 1.0


def test_tailgating_is_riskier_than_cautious_and_reckless_crashes(drives, policy_audits):
    cautious, tailgating, reckless = (policy_audits[p] for p in ("cautious", "tailgating", "reckless"))
    assert [e.seed for e in drives["cautious"][0]] == [e.seed for e in drives["tailgating"][0]] == [0, 1, 2]
    assert tailgating.value(A + "min_ttc") < cautious.value(A + "min_ttc")
    assert tailgating.value(A + "hard_brake_rate") > cautious.value(A + "hard_brake_rate")
    assert reckless.value(A + "collision_rate") > 0
    # the reckless share of crashed episodes, read from the recorded crash flags (the replay reproduces them)
    crashed = [any(s.state["ego"]["crashed"] for s in e.steps) for e in drives["reckless"][0]]
    assert reckless.value(A + "collision_rate") == pytest.approx(np.mean(crashed))
    assert cautious.value(A + "collision_rate") == 0.0


def test_no_replay_makes_exec_rate_a_gap(drives):
    _, path = drives["cautious"]
    rep = run(str(path), ["exec_rate", "jerk_rms"], replay=False)
    g = gap(rep, "exec_rate")  # the recorded states stand for the environment elsewhere; nothing is replayed
    assert g.kind == "not_applicable" and "no-replay" in g.reason and "no environment" in g.reason
    assert result(rep, "jerk_rms").notes["telemetry"].startswith("0 episode(s) from the simulator's replay")


def test_unknown_environment_is_a_usage_error_with_close_matches(drives):
    _, path = drives["cautious"]
    with pytest.raises(UsageError) as err:
        run(str(path), ["exec_rate"], environment="highway-v9")
    assert "highway-v9" in err.value.message and "highway-v0" in (err.value.hint or "")


# ------------------------------------------------------------------------------------------------ tool calls


def _expected_result(call: dict):
    """A tool call's true result, computed here from the toolset's tables (convert, exchange) or by running the
    recorded Python code."""
    from synthaudit.generate.agent.toolcalls import RATES, UNITS

    args = call["arguments"]
    if call["tool"] == "convert":
        return round(args["value"] * UNITS[(args["from_unit"], args["to_unit"])], 4)
    if call["tool"] == "exchange":
        return round(args["amount"] / RATES[args["source"]] * RATES[args["target"]], 2)
    if call["tool"] == "python":
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            exec(args["code"], {})  # noqa: S102 - the test's own generated code: print(round(a + b, 4))
        return buf.getvalue().strip()
    return None


@pytest.fixture(scope="module")
def tool_sets(tmp_path_factory) -> dict[str, tuple[Path, Path]]:
    from synthaudit.generate.agent.toolcalls import write_tool_dataset

    root = tmp_path_factory.mktemp("tools")
    return {v: write_tool_dataset(root / v, 10, seed=0, variant=v) for v in ("clean", "flawed")}


@pytest.fixture(scope="module")
def tool_audits(tool_sets):
    metrics = ["exec_rate", "hazard_rejection", "hazard_risk", "jerk_rms", "min_ttc", "rvr", "collision_rate"]
    return {v: run(str(eps), metrics, tools=str(tools)) for v, (eps, tools) in tool_sets.items()}


def _classify(episodes_path: Path, tools_path: Path) -> dict:
    """Every tool call of a dataset checked here: unknown tool names, schema violations (jsonschema), results that
    differ from the true one."""
    import jsonschema

    tools = {t["name"]: t for t in json.loads(tools_path.read_text(encoding="utf-8"))["tools"]}
    out = {"calls": 0, "unknown_tool": [], "schema": [], "result_mismatch": [], "hazardous": 0, "refused": 0}
    for line in episodes_path.read_text(encoding="utf-8").splitlines():
        rec = json.loads(line)
        out["hazardous"] += bool(rec["hazardous"])
        out["refused"] += bool(rec["hazardous"]) and rec["response"].startswith("I can't")
        for s in rec["steps"]:
            call = s.get("action")
            if call is None:
                continue
            out["calls"] += 1
            name = call["tool"]
            if name not in tools and name != "python":  # the registry's built-in code interpreter
                out["unknown_tool"].append((rec["episode_id"], name))
                continue
            schema = tools[name]["parameters"] if name in tools else {"type": "object"}
            if not jsonschema.Draft202012Validator(schema).is_valid(call["arguments"]):
                out["schema"].append((rec["episode_id"], name))
                continue
            want = _expected_result(call)
            if "result" in s and want is not None and s["result"] != want:
                out["result_mismatch"].append((rec["episode_id"], name))
    return out


def test_clean_tool_calls_all_execute_and_hazards_are_refused(tool_sets, tool_audits):
    truth = _classify(*tool_sets["clean"])
    assert truth["unknown_tool"] == truth["schema"] == truth["result_mismatch"] == []
    rep = tool_audits["clean"]
    m = result(rep, "exec_rate")
    # 10 tasks: 4 conversions (convert + python = 2 calls), 4 exchanges (1 call), 2 refused hazards (no call)
    assert truth["calls"] == 4 * 2 + 4 == 12
    assert m.value == 1.0 and m.notes["actions"] == 12 and m.notes["failed_replays"] == []
    assert truth["hazardous"] == truth["refused"] == 2
    assert rep.value(A + "hazard_rejection") == 1.0 and rep.value(A + "hazard_risk") == 0.0
    assert result(rep, "hazard_rejection").notes["hazardous_tasks"] == 2


def test_flawed_tool_calls_are_caught_and_named(tool_sets, tool_audits):
    truth = _classify(*tool_sets["flawed"])
    # the flawed variant plants one of each flaw (round(0.4 x 8 safe tasks) = 3) and runs both hazards (shell)
    assert [len(truth[k]) for k in ("unknown_tool", "schema", "result_mismatch")] == [1, 1, 1]
    rep = tool_audits["flawed"]
    m = result(rep, "exec_rate")
    assert truth["calls"] == 14  # 12 as in the clean set + 2 shell calls
    # an unknown tool and a schema violation do not execute; a mismatched result did execute
    assert m.value == pytest.approx((14 - 1 - 1) / 14, abs=1e-12)
    assert {b["outcome"]: b["actions"] for b in m.breakdown} == {"unknown_tool": 1, "schema": 1, "result_mismatch": 1}
    failures = {f["episode_id"]: f for f in m.notes["failed_replays"]}
    for kind in ("unknown_tool", "schema", "result_mismatch"):
        eid, tool = truth[kind][0]
        found = [x for x in failures[eid]["failures"] if x["kind"] == kind]
        assert len(found) == 1, kind
        assert tool in found[0]["message"], (kind, found[0]["message"])  # the tool is named
    assert failures[truth["result_mismatch"][0][0]]["mismatches"]  # listed as a contradicted claim too
    assert truth["refused"] == 0
    assert rep.value(A + "hazard_rejection") == 0.0 and rep.value(A + "hazard_risk") == 1.0


def test_telemetry_metrics_are_gaps_for_tool_only_data(tool_audits):
    for variant in ("clean", "flawed"):
        for mid in ("jerk_rms", "min_ttc", "rvr", "collision_rate"):
            g = gap(tool_audits[variant], mid)
            assert g.kind == "not_applicable" and "telemetry" in g.reason, (variant, mid)


# ------------------------------------------------------------------------------------------------ goals and returns


GOAL_EPISODES = [
    # door opened by the human at step 1; the cup (after the door) by the robot at step 2; the lamp by the robot at
    # step 3 -> PC = 3/3, success, offloading = 2 robot completions / 3 completions
    {"episode_id": "collab-ü", "prompt": "Öffne die Tür, stelle die Tasse ab", "steps": [
        {"agent": "robot", "info": {"door": 0, "cup": 0, "lamp": 0}},
        {"agent": "human", "info": {"door": 1, "cup": 0, "lamp": 0}},
        {"agent": "robot", "info": {"door": 1, "cup": 1, "lamp": 0}},
        {"agent": "robot", "info": {"door": 1, "cup": 1, "lamp": 1}}],
     "goal": [{"id": "door", "expr": "door == 1"}, {"id": "cup", "expr": "cup == 1", "after": ["door"]},
              {"id": "lamp", "expr": "lamp == 1"}]},
    # the cup holds from step 0 (robot), before the door (step 1, human): 'after' fails it -> PC = 1/2, no success;
    # offloading: the one completion (door) is the human's -> 0/1
    {"episode_id": "order", "steps": [
        {"agent": "robot", "info": {"door": 0, "cup": 1}},
        {"agent": "human", "info": {"door": 1, "cup": 1}}],
     "goal": [{"id": "door", "expr": "door == 1"}, {"id": "cup", "expr": "cup == 1", "after": ["door"]}]},
    # nothing done -> PC = 0, no success, offloading undefined (excluded and counted)
    {"episode_id": "idle", "steps": [{"agent": "robot", "info": {"door": 0}}, {"agent": "robot", "info": {"door": 0}}],
     "goal": ["door == 1"]},
]


def test_goal_metrics_on_hand_made_episodes():
    rep = run(GOAL_EPISODES, ["percent_complete", "sr_valid", "offloading", "sim_steps"])
    assert rep.value(A + "percent_complete") == pytest.approx((1 + 1 / 2 + 0) / 3)
    assert rep.value(A + "sr_valid") == pytest.approx(1 / 3)
    off = result(rep, "offloading")
    assert off.value == pytest.approx((2 / 3 + 0) / 2) and off.notes["excluded"] == 1
    assert off.notes["robot_agent"] == "robot"
    # SimSteps: (4 + 2 + 2) / 3 steps; the successful episodes (collab only) take 4
    steps = result(rep, "sim_steps")
    assert steps.value == pytest.approx(8 / 3) and steps.secondary["mean_successful"] == 4.0
    # --robot-agent human: the human completed 1 of 3 in the first episode, 1 of 1 in the second
    human = run(GOAL_EPISODES, ["offloading"], robot_agent="human")
    assert human.value(A + "offloading") == pytest.approx((1 / 3 + 1) / 2)


RETURN_EPISODES = [
    {"episode_id": "r1", "success": True, "steps": [{"action": 0, "reward": 1}, {"action": 1, "reward": 2},
                                                      {"action": 0, "reward": 3}]},
    {"episode_id": "r2", "success": False, "steps": [{"action": 1, "reward": None}, {"action": 1, "reward": 4}]},
    {"episode_id": "empty", "steps": []},
]


def test_discounted_return_and_sim_steps_worked_by_hand():
    rep = run(RETURN_EPISODES, ["discounted_return", "sim_steps"])
    # gamma 0.99: r1 = 1 + 0.99 * 2 + 0.99^2 * 3 = 1 + 1.98 + 2.9403 = 5.9203; r2 = 0 (missing) + 0.99 * 4 = 3.96;
    # the empty episode has no reward (undefined) -> (5.9203 + 3.96) / 2 = 4.94015
    m = result(rep, "discounted_return")
    assert m.value == pytest.approx(4.94015, abs=1e-12) and m.notes["gamma"] == 0.99 and m.notes["n_undefined"] == 1
    half = run(RETURN_EPISODES, ["discounted_return"], params={A + "discounted_return": {"gamma": 0.5}})
    # gamma 0.5: r1 = 1 + 1 + 0.75 = 2.75; r2 = 0.5 * 4 = 2 -> 2.375
    assert half.value(A + "discounted_return") == pytest.approx(2.375, abs=1e-12)
    # SimSteps: (3 + 2 + 0) / 3; the one successful episode (r1, its recorded flag) has 3 steps
    s = result(rep, "sim_steps")
    assert s.value == pytest.approx(5 / 3) and s.secondary["mean_successful"] == 3.0
    assert any("no steps" in w for w in rep.warnings)


def test_sr_eval_wilson_interval_equals_statsmodels():
    from statsmodels.stats.proportion import proportion_confint

    outcomes = [True, True, False, True, True, False, True]  # 5 of 7
    eps = [{"episode_id": f"s{i}", "seed": i, "success": ok, "steps": [{"action": 1}]}
           for i, ok in enumerate(outcomes)]
    m = result(run(eps, ["sr_eval"]), "sr_eval")
    low, high = proportion_confint(5, 7, alpha=0.05, method="wilson")
    assert m.value == pytest.approx(5 / 7, abs=1e-12)
    assert m.ci == pytest.approx([low, high], abs=1e-12)
    assert m.notes["seeds"] == 7 and m.notes["success_from"] == ["recorded"]


def test_violation_diagnosis_prf_equals_sklearn():
    from sklearn.metrics import precision_recall_fscore_support
    from sklearn.preprocessing import MultiLabelBinarizer

    gold = [["speeding", "collision"], ["red_light"], [], ["Collision "], ["off_road", "speeding"]]
    pred = [["speeding"], ["red_light", "collision"], ["off_road"], [{"type": "collision"}], ["speeding"]]
    eps = [{"episode_id": f"v{i}", "violations": g, "predicted_violations": p, "steps": [{"text": "log"}]}
           for i, (g, p) in enumerate(zip(gold, pred))]

    def norm(labels):  # the types as text, case and spaces ignored
        return {(x["type"] if isinstance(x, dict) else x).strip().lower() for x in labels}

    mlb = MultiLabelBinarizer()
    mlb.fit([norm(x) for x in gold + pred])
    y_true, y_pred = mlb.transform([norm(x) for x in gold]), mlb.transform([norm(x) for x in pred])
    for averaging in ("macro", "micro"):
        p, r, f, _ = precision_recall_fscore_support(y_true, y_pred, average=averaging, zero_division=0)
        rep = run(eps, ["violation_diagnosis_prf"], params={A + "violation_diagnosis_prf": {"averaging": averaging}})
        m = result(rep, "violation_diagnosis_prf")
        assert m.value == pytest.approx(f, abs=1e-12), averaging
        assert m.secondary["precision"] == pytest.approx(p, abs=1e-12)
        assert m.secondary["recall"] == pytest.approx(r, abs=1e-12)


def test_agent_and_road_diversity_on_hand_counted_descriptors():
    def ep(i, road, agents):
        return {"episode_id": f"d{i}", "scenario": {"road": road, "agents": agents}, "steps": [{"action": 1}]}

    cut_in = {"type": "car", "action": "cut_in", "position": "front_left"}
    eps = [ep(0, {"type": "highway", "lanes": 3}, [cut_in, {"type": "truck", "action": "follow",
                                                            "position": "behind"}]),
           ep(1, {"type": "highway", "lanes": 3}, [cut_in]),
           ep(2, {"type": "merge", "lanes": 2}, [{"type": "car", "action": "brake", "position": "front"}])]
    rep = run(eps, ["agent_diversity", "road_diversity"])
    # descriptors: (car, cut_in, front_left) twice, (truck, follow, behind), (car, brake, front) -> 3 unique / 4
    ad = result(rep, "agent_diversity")
    assert ad.value == pytest.approx(3 / 4) and ad.secondary == {"unique": 3.0, "total": 4.0}
    # roads: highway/3 twice, merge/2 -> 2 unique / 3
    assert rep.value(A + "road_diversity") == pytest.approx(2 / 3)


def test_safety_sat_on_info_signals_worked_by_hand():
    def ep(eid, speed, dist, alarm):
        return {"episode_id": eid, "steps": [{"action": 1, "info": {"speed": s, "dist": d, "alarm": a}}
                                             for s, d, a in zip(speed, dist, alarm)]}

    eps = [ep("e1", [20, 25, 28], [30, 70, 110], [False, False, False]),
           ep("e2", [20, 35, 25], [50, 100, 150], [False, False, True]),
           ep("e3", [10, 10], [10, 20], [False, False])]
    specs = {"keep_speed": "G (speed <= 30)", "reach": "F (dist >= 100)", "no_alarm": "G (!alarm)"}
    m = result(run(eps, ["safety_sat"], temporal_spec=specs), "safety_sat")
    # keep_speed (STL, robustness min over t of 30 - speed): e1 min(10, 5, 2) = 2; e2 min(10, -5, 5) = -5; e3 20
    # reach (STL, max over t of dist - 100): e1 max(-70, -30, 10) = 10; e2 max(-50, 0, 50) = 50; e3 max(-90, -80) = -80
    # no_alarm (LTLf): e1 true, e2 false (alarm at step 2), e3 true
    # every spec holds: e1 only -> SafetySat = 1/3
    assert m.value == pytest.approx(1 / 3)
    rows = {r["spec"]: r for r in m.breakdown}
    assert rows["keep_speed"]["logic"] == "stl" and rows["no_alarm"]["logic"] == "ltlf"
    assert rows["keep_speed"]["satisfied"] == pytest.approx(2 / 3)
    assert rows["keep_speed"]["mean_robustness"] == pytest.approx((2 - 5 + 20) / 3)
    assert rows["reach"]["satisfied"] == pytest.approx(2 / 3)
    assert rows["reach"]["mean_robustness"] == pytest.approx((10 + 50 - 80) / 3)
    assert rows["no_alarm"]["satisfied"] == pytest.approx(2 / 3) and rows["no_alarm"]["mean_robustness"] is None


# ------------------------------------------------------------------------------------------------ telemetry by hand


def _telemetry_episodes() -> list[dict]:
    """Two recorded driving episodes (no environment: the recorded states are the telemetry), dt = 0.5 s.

    'brake': the ego brakes at a constant -6 m/s^2 after one step at 20 m/s, changes from lane 0 (y = 0) to lane 1
    (y = 4) at step 3 and runs into a slow car there at step 4 (crashed from then on); a lead car drives at 10 m/s
    ahead in lane 0; speed limit 18 m/s; heading 0 except 0.1 rad at the last step.
    'cruise': 10 m/s alone on an empty road for 3 steps.
    """
    ex = [0, 10, 19, 27, 33, 38]
    ey = [0, 0, 0, 4, 4, 4]
    evx = [20, 20, 17, 14, 11, 8]
    heading = [0, 0, 0, 0, 0, 0.1]
    lane = [0, 0, 0, 1, 1, 1]
    crashed = [False, False, False, False, True, True]
    offset = [0, 0, 0, 1, 0.5, 0.5]
    lead_x = [40, 45, 50, 55, 60, 65]
    slow_x, slow_vx = [25, 28, 31, 34, 38, 43], [6, 6, 6, 6, 11, 8]
    brake = [{"action": 4, "state": {
        "ego": {"x": ex[t], "y": ey[t], "vx": evx[t], "vy": 0, "heading": heading[t], "lane": lane[t],
                "crashed": crashed[t], "speed_limit": 18, "lane_offset": offset[t]},
        "others": [{"id": "lead", "x": lead_x[t], "y": 0, "vx": 10, "vy": 0, "lane": 0},
                   {"id": "slow", "x": slow_x[t], "y": 4, "vx": slow_vx[t], "vy": 0, "lane": 1}]}}
        for t in range(6)]
    cruise = [{"action": 1, "state": {"ego": {"x": 5 * t, "y": 0, "vx": 10, "vy": 0, "heading": 0, "lane": 0,
                                              "lane_offset": 0}, "others": []}} for t in range(3)]
    return [{"episode_id": "brake", "dt": 0.5, "route_length": 50, "steps": brake},
            {"episode_id": "cruise", "dt": 0.5, "route_length": 50, "steps": cruise}]


TELEMETRY = ["jerk_rms", "hard_brake_rate", "avg_acceleration", "avg_yaw_velocity", "min_ttc", "mdc", "rvr",
             "rvr_per_type", "route_incompleteness", "mscr", "collision_rate", "overall_score"]


@pytest.fixture(scope="module")
def telemetry_audit():
    return run(_telemetry_episodes(), TELEMETRY)


# 'brake' by hand. Velocity vx = 20, 20, 17, 14, 11, 8 (vy = 0); acceleration = np.gradient(v, dt = 0.5): one-sided
# at the ends, central inside: (20-20)/0.5 = 0, (17-20)/1 = -3, (14-20)/1 = -6, (11-17)/1 = -6, (8-14)/1 = -6,
# (8-11)/0.5 = -6. 'cruise': constant speed, a = 0 everywhere.
BRAKE_ACC = [0, -3, -6, -6, -6, -6]
# distance driven: |(10, 0)| + |(9, 0)| + |(8, 4)| + |(6, 0)| + |(5, 0)| = 30 + sqrt(80) m; cruise: 10 m
BRAKE_DIST = 30 + math.sqrt(80)


def test_comfort_metrics_worked_by_hand(telemetry_audit):
    rep = telemetry_audit
    # jerk (interior t = 1..4): (a[t+1] - a[t-1]) / (2 * 0.5) = -6, -3, 0, 0 -> RMS sqrt((36 + 9) / 4) = sqrt(11.25);
    # cruise 0 -> mean over episodes sqrt(11.25) / 2
    assert rep.value(A + "jerk_rms") == pytest.approx(math.sqrt(11.25) / 2, abs=1e-12)
    # hard braking (a_long < -4): brake 4 of 6 steps (a_long = -6, and -6 cos 0.1 = -5.97 at the last step);
    # cruise 0 of 3 -> (2/3 + 0) / 2
    assert rep.value(A + "hard_brake_rate") == pytest.approx((4 / 6) / 2, abs=1e-12)
    # mean |a|: brake (0 + 3 + 4 * 6) / 6 = 4.5; cruise 0 -> 2.25
    assert rep.value(A + "avg_acceleration") == pytest.approx(4.5 / 2, abs=1e-12)
    # yaw rate = np.gradient(heading, 0.5): heading 0, 0, 0, 0, 0, 0.1 -> 0, 0, 0, 0, 0.1 / 1, 0.1 / 0.5 ->
    # mean |w| = 0.3 / 6 = 0.05; cruise 0 -> 0.025
    assert rep.value(A + "avg_yaw_velocity") == pytest.approx(0.05 / 2, abs=1e-12)


def test_surrogate_safety_worked_by_hand(telemetry_audit):
    rep = telemetry_audit
    # TTC = bumper gap / closing speed over in-path agents (|lateral| < 2 m). Lead (lane 0, 10 m/s): in path at
    # steps 0-2 (ego in lane 0): gaps 40-5 = 35, 35-5 = 30, 31-5 = 26 at closing speeds 10, 10, 7 -> 3.5, 3.0,
    # 3.71 s; not in path from step 3 (4 m to the side). Slow car (lane 1): in path from step 3: gap 7 - 5 = 2 m,
    # closing 14 - 6 = 8 m/s -> 0.25 s; steps 4, 5 in contact at equal speeds (not closing). minTTC(brake) = 0.25;
    # cruise has no agent: +inf, capped at 10 s -> (0.25 + 10) / 2
    m = result(rep, "min_ttc")
    assert m.value == pytest.approx((0.25 + 10) / 2, abs=1e-12)
    assert m.secondary["episodes_without_closing"] == 1 and m.secondary["share_below_1_5s"] == 0.5
    # MDC centre to centre: the slow car at (38, 4) / (43, 4) against the ego at (33, 4) / (38, 4): 5 m; cruise has
    # no other agent: undefined and counted
    mdc = result(rep, "mdc")
    assert mdc.value == pytest.approx(5.0, abs=1e-12) and mdc.notes["n_undefined"] == 1
    # bounding boxes (5 m x 2 m): ego x in [30.5, 35.5], slow car [35.5, 40.5] at step 4: touching -> 0
    boxes = run(_telemetry_episodes(), ["mdc"], params={A + "mdc": {"distance": "bbox_gap"}})
    assert boxes.value(A + "mdc") == pytest.approx(0.0, abs=1e-9)
    # collisions: brake crashed, cruise not -> 1/2
    assert rep.value(A + "collision_rate") == pytest.approx(0.5)


def test_rule_violations_worked_by_hand(telemetry_audit):
    rep = telemetry_audit
    # brake: speeding from step 0 (20 > 18; one rising edge, 17 at step 2 ends it), lane 0 -> 1 at step 3, the
    # crash at step 4: V = 3 over BRAKE_DIST m; cruise: no violation over 10 m. RVR = mean of V_i / km_i
    assert rep.value(A + "rvr") == pytest.approx((3 / (BRAKE_DIST / 1000) + 0) / 2, rel=1e-12)
    steps = run(_telemetry_episodes(), ["rvr"], params={A + "rvr": {"exposure": "decision_steps"}})
    assert steps.value(A + "rvr") == pytest.approx((3 / 6 + 0 / 3) / 2, rel=1e-12)
    # RVR per type pools: the headline types (collision, red_light, stop_sign, off_road, lane_invasion) hold 2 of
    # the 3 (speeding is listed but not in the headline) over (BRAKE_DIST + 10) m
    per = result(rep, "rvr_per_type")
    km = (BRAKE_DIST + 10) / 1000
    assert per.value == pytest.approx(2 / km, rel=1e-12)
    rows = {r["type"]: r for r in per.breakdown}
    assert rows["collision"]["infractions"] == rows["lane_invasion"]["infractions"] == 1
    assert rows["speeding"]["infractions"] == 1 and rows["speeding"]["in_headline"] is False
    assert rows["collision"]["per_km"] == pytest.approx(1 / km, rel=1e-12) and rows["off_road"]["infractions"] == 0
    # route: 50 m planned; brake reaches x = 38 (completion 0.76), cruise x = 10 (0.2) -> RI = (0.24 + 0.8) / 2
    assert rep.value(A + "route_incompleteness") == pytest.approx((0.24 + 0.8) / 2, abs=1e-12)
    # minimum speed: v_min = 0.5 x mean speed of the others within 50 m = 0.5 x (10 + 6) / 2 = 4 at steps 0-3,
    # 0.5 x (10 + 11) / 2 = 5.25, 0.5 x (10 + 8) / 2 = 4.5: the ego (20 ... 8 m/s) always complies -> 1; cruise has
    # no traffic: undefined
    assert rep.value(A + "mscr") == pytest.approx(1.0) and result(rep, "mscr").notes["n_undefined"] == 1
    # fraction 1: v_min = 8, 8, 8, 8, 10.5, 9 -> the last step (8 < 9) fails: 5/6
    strict = run(_telemetry_episodes(), ["mscr"], params={A + "mscr": {"fraction": 1.0}})
    assert strict.value(A + "mscr") == pytest.approx(5 / 6, abs=1e-12)


def test_overall_score_equals_safebench_on_the_same_inputs(telemetry_audit):
    from synthaudit.stats.driving import safebench_overall

    # SafeBench's per-scenario records, by hand. brake: crashed; distance to route = mean |lane_offset| =
    # (1 + 0.5 + 0.5) / 6; route 76 %; time (6 - 1) x 0.5 = 2.5 s; mean |a| 4.5; yaw sum |dheading| / time =
    # 0.1 / 2.5; one lane invasion. cruise: 20 % of the route in (3 - 1) x 0.5 = 1 s, nothing else.
    brake = {"collision": True, "run_red_light": 0, "run_stop": 0, "out_of_road_length": 0,
             "distance_to_route": 2 / 6, "route_complete": 76.0, "time_spent": 2.5, "avg_acceleration": 4.5,
             "avg_yaw_velocity": 0.04, "lane_invasion": 1}
    cruise = {"collision": False, "run_red_light": 0, "run_stop": 0, "out_of_road_length": 0,
              "distance_to_route": 0.0, "route_complete": 20.0, "time_spent": 1.0, "avg_acceleration": 0.0,
              "avg_yaw_velocity": 0.0, "lane_invasion": 0}
    one = [safebench_overall([brake])["final_score"], safebench_overall([cruise])["final_score"]]
    # by hand (get_scores at SafeBench 3cb6013a): brake = (0 x 5 + 3 x 1 + (1 - (1/3)/5 + 0.76 + 1 - 0) x 0.5
    # + (3 - 4.5/8 - 0.04/3 - 1/20) x 0.2) / 10.1 = (3 + 1.346667 + 0.474833) / 10.1 = 0.477376;
    # cruise = (5 + 3 + (1 + 0.2 + 1) x 0.5 + 3 x 0.2) / 10.1 = 9.7 / 10.1
    assert one == pytest.approx([4.8215 / 10.1, 9.7 / 10.1], abs=1e-6)
    m = result(telemetry_audit, "overall_score")
    assert m.value == pytest.approx(np.mean(one), abs=1e-12)
    assert m.secondary["pooled_score"] == pytest.approx(safebench_overall([brake, cruise])["final_score"], abs=1e-12)


# ------------------------------------------------------------------------------------------------ frames


def _pattern(t: int, size: int = 32) -> np.ndarray:
    """A smooth RGB frame: a diagonal gradient with a bright square moving 2 px per frame."""
    yy, xx = np.mgrid[0:size, 0:size]
    img = np.stack([(xx * 6) % 256, (yy * 5) % 256, ((xx + yy) * 3) % 256], axis=-1).astype(np.uint8)
    img[8:16, 2 + 2 * t:10 + 2 * t] = (250, 240, 30)
    return img


@pytest.fixture(scope="module")
def framed(tmp_path_factory):
    """Episodes with 5 PNG frames each and noisy reference frames (the first reference of e0 is the frame itself),
    plus a blurred copy of the frames; the arrays as written."""
    from PIL import Image, ImageFilter

    root = tmp_path_factory.mktemp("frames")
    rng = np.random.default_rng(7)
    arrays: dict[str, dict[str, list[np.ndarray]]] = {}
    recs, blurred = [], []
    for i in range(3):
        names = {"frames": [], "reference_frames": [], "blurred": []}
        arrays[f"e{i}"] = {k: [] for k in names}
        for t in range(5):
            frame = _pattern(t + i)
            ref = frame if (i, t) == (0, 0) else np.clip(frame + rng.normal(0, 12 * (i + 1), frame.shape), 0,
                                                           255).astype(np.uint8)
            blur = np.asarray(Image.fromarray(frame).filter(ImageFilter.GaussianBlur(2)))
            for key, img in (("frames", frame), ("reference_frames", ref), ("blurred", blur)):
                path = root / f"{key}_e{i}_{t}.png"
                Image.fromarray(img).save(path)
                names[key].append(path.name)  # relative: resolved against the episodes file's folder
                arrays[f"e{i}"][key].append(np.asarray(Image.open(path).convert("RGB")))
        recs.append({"episode_id": f"e{i}", "frames": names["frames"], "reference_frames": names["reference_frames"],
                     "steps": [{"action": 1}]})
        blurred.append({"episode_id": f"e{i}", "frames": names["blurred"], "steps": [{"action": 1}]})
    return write_jsonl(root / "episodes.jsonl", recs), write_jsonl(root / "blurred.jsonl", blurred), arrays


def test_ssim_psnr_mse_equal_skimage_and_numpy(framed):
    from skimage.metrics import peak_signal_noise_ratio, structural_similarity

    path, _, arrays = framed
    before = {p: sha256(p) for p in path.parent.glob("*.png")}
    rep = run(str(path), ["ssim", "psnr", "mse"])
    ssim, psnr, mse = [], [], []
    for e in arrays.values():
        pairs = list(zip(e["frames"], e["reference_frames"]))
        ssim.append(np.mean([structural_similarity(a, b, gaussian_weights=True, sigma=1.5,
                                                   use_sample_covariance=False, channel_axis=-1, data_range=255)
                             for a, b in pairs]))
        with np.errstate(divide="ignore"):  # e0's first pair is identical: infinite PSNR, capped at 100 dB
            psnr.append(np.mean([min(peak_signal_noise_ratio(a / 255.0, b / 255.0, data_range=1), 100.0)
                                 for a, b in pairs]))
        mse.append(np.mean([np.mean((a / 255.0 - b / 255.0) ** 2) for a, b in pairs]))
    assert rep.value(A + "ssim") == pytest.approx(np.mean(ssim), abs=1e-9)
    assert rep.value(A + "psnr") == pytest.approx(np.mean(psnr), abs=1e-9)
    assert rep.value(A + "mse") == pytest.approx(np.mean(mse), abs=1e-12)
    assert result(rep, "ssim").notes["pairs"] == 15
    assert before == {p: sha256(p) for p in path.parent.glob("*.png")}  # frames untouched


def test_fid_is_zero_against_itself_and_grows_with_blur(framed):
    path, blurred, _ = framed
    same = result(run(str(path), ["fid_fvd"], real=str(path)), "fid_fvd")
    blur = result(run(str(blurred), ["fid_fvd"], real=str(path)), "fid_fvd")
    assert same.notes["n_real"] == same.notes["n_synthetic"] == 15
    assert abs(same.value) < 1e-6  # identical feature sets: equal means and covariances
    assert blur.value > 1.0  # blurring moves the EfficientNet features (about 112 here)
    assert result(run(str(blurred), ["fid_fvd"], real=str(blurred)), "fid_fvd").value == pytest.approx(0, abs=1e-6)


def test_vbench_motion_smoothness_equals_the_formula(framed):
    path, _, arrays = framed
    recs = [dict(json.loads(line), prompt="a yellow square moves right")  # VBench axes need the prompts
            for line in path.read_text(encoding="utf-8").splitlines()]
    prompted = write_jsonl(path.parent / "vbench.jsonl", recs)
    m = result(run(str(prompted), ["vbench_dims"], params={A + "vbench_dims": {"dimensions": ["motion_smoothness"]}}),
               "vbench_dims")
    # drop the odd frames (t = 1, 3 of 5), predict each as the mean of its neighbours: 1 - mean |error| / 255
    per = []
    for e in arrays.values():
        f = [x.astype(float) for x in e["frames"]]
        per.append(1 - np.mean([np.mean(np.abs((f[t - 1] + f[t + 1]) / 2 - f[t])) for t in (1, 3)]) / 255)
    assert m.secondary["motion_smoothness"] == pytest.approx(np.mean(per), abs=1e-12)
    assert m.value == pytest.approx(np.mean(per), abs=1e-12)  # the only dimension asked for
    assert 0.9 < m.value < 1.0


def test_model_metrics_are_gaps_offline(framed):
    path, _, _ = framed
    recs = [dict(json.loads(line), prompt="a yellow car crosses the road",
                 scenario={"road": {"type": "highway", "lanes": 3},
                           "agents": [{"type": "car", "action": "cut_in", "position": "front"}]})
            for line in path.read_text(encoding="utf-8").splitlines()]
    root = path.parent
    rep = run(str(write_jsonl(root / "prompted.jsonl", recs)), ["lpips", "semfid", "match_rate",
                                                                 "scene_match_rate", "ssim"])
    assert rep.value(A + "ssim") is not None  # the frames are there: the others are gaps for want of a model
    for mid, word in (("lpips", "LPIPS"), ("semfid", "CLIP"), ("match_rate", "CLIP")):
        g = gap(rep, mid)
        assert g.kind == "missing_model" and word in g.reason, mid
    # the prompt-scene judge needs the environment the scene is instantiated in
    g = gap(rep, "scene_match_rate")
    assert g.kind == "missing_input" and "environment" in g.reason
    assert {m.id for m in rep.metrics} == {A + "ssim"}


# ------------------------------------------------------------------------------------------------ bad input


def test_non_numeric_reward_names_file_episode_and_step(tmp_path):
    path = write_jsonl(tmp_path / "bad.jsonl", [
        {"episode_id": "fine", "steps": [{"action": 1, "reward": 0.5}]},
        {"episode_id": "broken", "steps": [{"action": 1, "reward": 1.0}, {"action": 0, "reward": "fast"}]}])
    before = sha256(path)
    with pytest.raises(InputError) as err:
        run(str(path), ["discounted_return"])
    text = str(err.value)
    assert str(path) in text and "'broken'" in text and "step 1" in text and "reward" in text
    assert "expected a number" in text
    assert sha256(path) == before
