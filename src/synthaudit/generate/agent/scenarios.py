"""LLM-written driving scenario specifications instantiated as highway-env configurations (survey section 7.2,
Environment & Task Data: ChatSUMO, Li et al. 2024c; TTSG, Ruan et al. 2025).

A prompt ("three-lane highway in dense traffic, a truck ahead brakes") goes to an LLM, which answers with one small
TTSG-like JSON specification (:data:`SCENARIO_SCHEMA`: a road, the ego, background traffic, agents described by
type, action and relative position, a duration). :func:`instantiate` turns a specification into a highway-env
configuration, creates the environment and resets it, and explains every specification that does not instantiate
(``problems``: not valid JSON, a schema violation, a value out of range, a layout the simulator cannot build, or the
simulator's own exception). Those counts are the ExecRate-style validity of survey section 7.2.

Mapping (documented decisions):

* ``road.type``: highway -> ``highway-v0``, merge -> ``merge-v0``, roundabout -> ``roundabout-v0``, intersection ->
  ``intersection-v0``. ``road.lanes`` counts the through lanes of the main road (highway, merge), the ring lanes
  (roundabout) and the lanes of each approach road, both directions (intersection). Only highway-v0 has a
  configurable lane count (``lanes_count``); the others have fixed layouts (merge 2, roundabout 2, intersection 2)
  and another lane count is a **problem** (the road would not be the one asked for, and the road identifier that
  agent.road_diversity counts would lie). The road identifier is ``"<env id>/lanes=<n>"``.
* ``road.length_m`` is not mapped (highway-v0's road is 10 km long; the other layouts have fixed sizes): a note.
* ``traffic.vehicles`` -> ``vehicles_count`` (highway) or ``initial_vehicle_count`` (intersection); merge-v0 and
  roundabout-v0 place their own four vehicles (a note). ``traffic.density`` -> ``vehicles_density`` (highway only; a
  note elsewhere). ``traffic.speed_range`` is applied after ``reset``: each background vehicle's speed and target
  speed are drawn uniformly in the range (seeded).
* ``duration_s`` -> ``duration``: highway-env's unit is seconds of simulated time (``time`` grows by
  1 / policy_frequency per step; the default policy frequency 1 Hz makes it the number of steps). merge-v0 ignores
  it (it ends when the ego passes x = 370 m); the key is still set so that a rollout can truncate there.
* ``ego.lane`` -> ``initial_lane_id`` (highway; lane 0 is the leftmost); the fixed layouts start the ego on their own
  lane (a note when the spec names another one). A lane that does not exist on the road is a problem.
  ``ego.speed`` is applied after ``reset`` (highway-env hard-codes the ego's initial speed): speed and target speed.
* ``agents``: each agent becomes one vehicle placed after ``reset`` at its relative position (front, behind, left,
  ...: one lane to the side, about 1.5 s of the ego's speed ahead or behind, further for repeated slots), of class
  IDMVehicle (car, truck: 12 m x 2.5 m), AggressiveVehicle or DefensiveVehicle. Its action sets its initial target
  speed (follow: the ego's; slow: half of it; overtake: 5 m/s more); ``brake`` and ``cut_in`` are events for the
  rollout to script (the vehicle carries ``scenario_agent = (type, action, position)``). A position with no lane
  (left of the leftmost lane), off the road, or overlapping another placed vehicle is a problem.
  ``other_vehicles_type`` (background traffic) is the agents' behaviour class when they all share one, IDMVehicle
  otherwise. agent.agent_diversity counts the ``(type, action, position)`` descriptors.

:func:`make_env` rebuilds and resets an instantiated scenario (for rollouts; :func:`apply_spec` is the part after
``reset``, for a rollout that resets the environment itself); :func:`scenarios_from_prompts` asks the
shared LLM client (``synthaudit.models.llm``) for one specification per prompt, schema-constrained on a local model
when lm-format-enforcer can enforce the schema, plain generation otherwise, and counts asked / parsed / instantiated /
failed with a reason per failure; :func:`scenario_records` gives one episode record per instantiated scenario.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

from synthaudit.errors import InputError, UsageError

ROAD_TYPES = ("highway", "merge", "roundabout", "intersection")
AGENT_TYPES = ("car", "truck", "aggressive_car", "defensive_car")
ACTIONS = ("follow", "cut_in", "brake", "overtake", "slow")
POSITIONS = ("front", "behind", "left", "right", "front_left", "front_right", "behind_left", "behind_right")
MAX_LANES = 6

ENV_IDS = {"highway": "highway-v0", "merge": "merge-v0", "roundabout": "roundabout-v0",
           "intersection": "intersection-v0"}
#: lane counts of the fixed layouts (see the module docstring for what is counted)
FIXED_LANES = {"merge": 2, "roundabout": 2, "intersection": 2}
#: the lane each fixed layout starts the ego on
FIXED_EGO_LANE = {"merge": 1, "roundabout": 0, "intersection": 0}
BEHAVIOUR = {"car": "highway_env.vehicle.behavior.IDMVehicle",
             "truck": "highway_env.vehicle.behavior.IDMVehicle",
             "aggressive_car": "highway_env.vehicle.behavior.AggressiveVehicle",
             "defensive_car": "highway_env.vehicle.behavior.DefensiveVehicle"}
DEFAULT_BEHAVIOUR = BEHAVIOUR["car"]
TRUCK_SIZE = (12.0, 2.5)  # length, width [m]; highway-env has no truck model
#: relative position -> (lane offset, longitudinal direction); lane ids grow to the right in highway-env
SLOTS = {"front": (0, 1), "behind": (0, -1), "left": (-1, 0), "right": (1, 0), "front_left": (-1, 1),
         "front_right": (1, 1), "behind_left": (-1, -1), "behind_right": (1, -1)}

_NUM = {"type": "number"}
SCENARIO_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "driving scenario specification (TTSG-like)",
    "type": "object",
    "properties": {
        "road": {"type": "object", "properties": {
            "type": {"enum": list(ROAD_TYPES)},
            "lanes": {"type": "integer", "minimum": 1, "maximum": MAX_LANES},
            "length_m": {**_NUM, "exclusiveMinimum": 0, "maximum": 10000}},
            "required": ["type", "lanes"], "additionalProperties": False},
        "ego": {"type": "object", "properties": {
            "speed": {**_NUM, "minimum": 0, "maximum": 40},
            "lane": {"type": "integer", "minimum": 0, "maximum": MAX_LANES - 1}},
            "required": ["speed", "lane"], "additionalProperties": False},
        "traffic": {"type": "object", "properties": {
            "vehicles": {"type": "integer", "minimum": 0, "maximum": 50},
            "density": {**_NUM, "minimum": 0.5, "maximum": 3},
            "speed_range": {"type": "array", "items": {**_NUM, "minimum": 0, "maximum": 40},
                            "minItems": 2, "maxItems": 2}},
            "required": ["vehicles", "density"], "additionalProperties": False},
        "agents": {"type": "array", "maxItems": 10, "items": {"type": "object", "properties": {
            "type": {"enum": list(AGENT_TYPES)},
            "action": {"enum": list(ACTIONS)},
            "position": {"enum": list(POSITIONS)}},
            "required": ["type", "action", "position"], "additionalProperties": False}},
        "duration_s": {**_NUM, "exclusiveMinimum": 0, "maximum": 300},
        "description": {"type": "string", "maxLength": 500},
    },
    "required": ["road", "ego", "traffic", "duration_s"],
    "additionalProperties": False,
}

DEMO_PROMPTS = (
    "three-lane highway in dense traffic, a truck ahead brakes suddenly",
    "two-lane highway at night, a car on the right cuts in front of the ego",
    "four-lane motorway in light traffic, an aggressive driver behind overtakes on the left",
    "merge: a defensive car on the left lets the ego merge in moderate traffic",
    "roundabout entry at low speed with a car in front and a truck behind",
    "busy urban intersection, the car ahead slows down before turning",
    "single-lane road, a slow truck in front and the ego follows it",
    "five-lane highway, cars on both sides of the ego, one of them cuts in",
)


# -- instantiation ---------------------------------------------------------------------------------------------
@dataclass
class Instantiated:
    """A specification mapped onto highway-env (survey section 7.2). ``ok`` when ``problems`` is empty: the
    environment was created and reset with ``config``. ``notes``: parts of the spec the layout does not express."""

    config: dict
    env_id: str
    road_id: str
    agents: list[tuple[str, str, str]]
    problems: list[str]
    spec: dict | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _field(path: str) -> str:
    """JSON Pointer -> a readable field name: /agents/0/type -> agents[0].type."""
    out = ""
    for part in path.strip("/").split("/") if path else []:
        out += f"[{part}]" if part.isdigit() else (("." if out else "") + part)
    return out or "the specification"


def _schema_at(pointer: str) -> Any:
    node: Any = SCENARIO_SCHEMA
    for part in pointer.strip("/").split("/"):
        node = node[int(part)] if isinstance(node, list) else node.get(part)
    return node


def _explain(v: Any) -> str:
    """One schema violation as a sentence ("road.lanes = 9 is above the maximum 6")."""
    name, limit = _field(v.path), _schema_at(v.schema_path)
    shown = json.dumps(v.value, ensure_ascii=False) if not isinstance(v.value, (dict, list)) else None
    if v.keyword == "enum":
        label = "road type" if name == "road.type" else name
        return f"{label} {shown} is not one of {', '.join(map(str, limit))}"
    if v.keyword in ("maximum", "minimum", "exclusiveMinimum", "exclusiveMaximum"):
        word = {"maximum": "above the maximum", "minimum": "below the minimum",
                "exclusiveMinimum": "not above", "exclusiveMaximum": "not below"}[v.keyword]
        return f"{name} = {shown} is {word} {limit}"
    if v.keyword == "type":
        return f"{name} = {shown if shown is not None else type(v.value).__name__} is not of type {limit}"
    if v.keyword in ("minItems", "maxItems") and isinstance(v.value, list):
        bound = "at least" if v.keyword == "minItems" else "at most"
        return f"{name} has {len(v.value)} items, {bound} {limit} allowed"
    prefix = "" if not v.path else name + "."
    if v.keyword == "required" and isinstance(v.value, dict):
        return "; ".join(f"{prefix}{k} is missing" for k in limit if k not in v.value)
    if v.keyword == "additionalProperties" and isinstance(v.value, dict):
        known = _schema_at(v.schema_path.rsplit("/", 1)[0] + "/properties") or {}
        extra = ", ".join(repr(k) for k in v.value if k not in known)
        return f"{prefix or 'top-level '}field{'s' if ',' in extra else ''} {extra} not allowed (unknown)"
    return f"{name}: {v.message[:200]}"


def _non_finite(value: Any, path: str = "") -> list[str]:
    """Fields holding NaN or an infinity (JSON has neither; numeric bounds let NaN through)."""
    if isinstance(value, float) and not math.isfinite(value):
        return [f"{_field(path)} = {value} is not a finite number"]
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _non_finite(v, f"{path}/{k}")]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _non_finite(v, f"{path}/{i}")]
    return []


def parse_spec(spec: Any) -> tuple[dict | None, list[str]]:
    """(specification, problems): text is parsed (one code fence or prose around one JSON object tolerated), then
    validated against :data:`SCENARIO_SCHEMA` (``synthaudit.verify.json_schema``) and the rules the schema cannot
    state (finite numbers, speed range order, the ego's lane on the road)."""
    from synthaudit.verify.json_parse import parse
    from synthaudit.verify.json_schema import validator_for, violations

    if isinstance(spec, bytes):
        spec = spec.decode("utf-8", "replace")
    if isinstance(spec, str):
        parsed = parse(spec, "lenient")
        if not parsed.ok:  # the error of the plain reading (the lenient repairs' is a repeat of it)
            return None, [f"not valid JSON: {parse(spec, 'fence').error}"]
        spec = parsed.value
    if not isinstance(spec, dict):
        return None, [f"a scenario specification is a JSON object, got {type(spec).__name__}"]
    problems = _non_finite(spec)
    if problems:
        return spec, problems
    problems = [_explain(v) for v in violations(validator_for(SCENARIO_SCHEMA, source="SCENARIO_SCHEMA"), spec)]
    if problems:
        return spec, problems
    lo_hi = spec["traffic"].get("speed_range")
    if lo_hi is not None and lo_hi[0] > lo_hi[1]:
        problems.append(f"traffic.speed_range {lo_hi} has its low end above its high end")
    road, lane = spec["road"], spec["ego"]["lane"]
    if lane >= road["lanes"]:
        problems.append(f"ego.lane = {lane} does not exist on a {road['lanes']}-lane road (lanes are numbered 0 to "
                        f"{road['lanes'] - 1} from the left)")
    fixed = FIXED_LANES.get(road["type"])
    if fixed is not None and road["lanes"] != fixed:
        problems.append(f"road.lanes = {road['lanes']}: {ENV_IDS[road['type']]} has a fixed layout of {fixed} lanes "
                        "(only highway-v0 sets the lane count)")
    return spec, problems


def descriptors(spec: dict) -> list[tuple[str, str, str]]:
    """The agents' (type, action, position) descriptors (agent.agent_diversity); a field a scenario lacks is
    "?" (the metric reads users' scenarios too, not only valid specifications)."""
    agents = spec.get("agents")
    return [(str(a.get("type", "?")), str(a.get("action", "?")), str(a.get("position", "?")))
            for a in (agents if isinstance(agents, list) else []) if isinstance(a, dict)]


def road_id(spec: dict) -> str | None:
    """The road identifier agent.road_diversity counts: ``"<env id>/lanes=<n>"`` (a road type that is not one of
    ``ROAD_TYPES`` stays as it is, a road given as text is its own id); None without a road."""
    road = spec.get("road")
    if isinstance(road, str):
        return road
    if not isinstance(road, dict) or not road.get("type"):
        return None
    return f"{ENV_IDS.get(road['type'], road['type'])}/lanes={road.get('lanes', '?')}"


def to_config(spec: dict) -> tuple[dict, list[str]]:
    """The highway-env configuration of a valid specification, and notes on what the layout does not express."""
    kind, traffic, ego = spec["road"]["type"], spec["traffic"], spec["ego"]
    classes = {BEHAVIOUR[a["type"]] for a in spec.get("agents") or []}
    config: dict[str, Any] = {"duration": float(spec["duration_s"]),
                              "other_vehicles_type": classes.pop() if len(classes) == 1 else DEFAULT_BEHAVIOUR}
    notes = []
    if "length_m" in spec["road"]:
        notes.append(f"road.length_m = {spec['road']['length_m']} is not used ({ENV_IDS[kind]} has a fixed length)")
    if kind == "highway":
        config.update(lanes_count=int(spec["road"]["lanes"]), vehicles_count=int(traffic["vehicles"]),
                      vehicles_density=float(traffic["density"]), initial_lane_id=int(ego["lane"]))
        return config, notes
    if kind == "intersection":
        config["initial_vehicle_count"] = int(traffic["vehicles"])
    else:
        notes.append(f"traffic.vehicles = {traffic['vehicles']} is not used ({ENV_IDS[kind]} places its own vehicles)")
    notes.append(f"traffic.density = {traffic['density']} is not used (only highway-v0 has vehicles_density)")
    if kind == "merge":
        notes.append("merge-v0 has no time limit (it ends when the ego passes x = 370 m): duration is for the rollout")
    if ego["lane"] != FIXED_EGO_LANE[kind]:
        notes.append(f"{ENV_IDS[kind]} starts the ego on lane {FIXED_EGO_LANE[kind]}; ego.lane = {ego['lane']} is "
                     "not used")
    return config, notes


def instantiate(spec: Any, *, seed: int = 0, overrides: dict | None = None) -> Instantiated:
    """Validate ``spec`` (a dict or JSON text), map it onto highway-env, create the environment and ``reset(seed)``
    it with the spec's ego, traffic speeds and agents applied; every failure is explained in ``problems``.
    ``overrides``: further highway-env config keys (e.g. ``simulation_frequency``), applied over the mapping."""
    value, problems = parse_spec(spec)
    valid = value if not problems else None
    env_id = ENV_IDS.get(valid["road"]["type"], "") if valid else ""
    if valid is None:
        return Instantiated({}, env_id, "", [], problems, spec=value)
    config, notes = to_config(valid)
    config.update(overrides or {})
    out = Instantiated(config, env_id, road_id(valid), descriptors(valid), [], spec=valid, notes=notes)
    try:
        env, _, _ = make_env(out, seed=seed)
    except ScenarioError as exc:
        out.problems.append(str(exc))
        return out
    except Exception as exc:  # noqa: BLE001 - the simulator fails with assorted errors on configs it cannot build
        out.problems.append(f"the simulator rejected the config: {type(exc).__name__}: {exc}")
        return out
    env.close()
    return out


class ScenarioError(RuntimeError):
    """The environment was built but the spec cannot be placed on it (a lane that does not exist, off the road)."""


def make_env(scenario: Instantiated | dict, *, seed: int = 0) -> tuple[Any, Any, dict]:
    """(env, observation, info): the scenario's environment created from its config, reset with ``seed``, and the
    spec's ego speed, background speed range and agents applied (module docstring). ``scenario``: an
    :class:`Instantiated` or a record of :func:`scenario_records` (``env``, ``config``, ``scenario``). Raises
    :class:`ScenarioError` when the spec cannot be placed, the simulator's exception when it rejects the config."""
    import warnings

    import gymnasium as gym
    import highway_env  # noqa: F401 - registers the environments

    if isinstance(scenario, Instantiated):
        env_id, config, spec = scenario.env_id, scenario.config, scenario.spec
    elif isinstance(scenario, dict) and {"env", "config", "scenario"} <= scenario.keys():
        env_id, config, spec = scenario["env"], scenario["config"], scenario["scenario"]
    else:
        raise InputError("expected an Instantiated scenario or a scenario record with env, config and scenario",
                         field="scenario")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # merge-v0 / roundabout-v0 are named "out of date"
        env = gym.make(env_id, config=dict(config), render_mode=None)
    try:
        obs, info = env.reset(seed=int(seed))
        apply_spec(env.unwrapped, spec, seed=int(seed))
        obs = env.unwrapped.observation_type.observe()
    except BaseException:
        env.close()
        raise
    return env, obs, info


def apply_spec(env: Any, spec: dict, *, seed: int = 0) -> None:
    """Apply a valid spec's ego speed, background speed range and agents to a freshly reset highway-env environment
    (``env.unwrapped``): what a rollout of a scenario record calls after its own ``reset`` (the config alone cannot
    express these). Raises :class:`ScenarioError` when an agent cannot be placed."""
    import numpy as np
    from highway_env import utils

    rng = np.random.default_rng(seed)
    ego, road = env.vehicle, env.road
    speed = float(spec["ego"]["speed"])
    ego.speed = ego.target_speed = speed
    lo_hi = spec["traffic"].get("speed_range")
    background = [v for v in road.vehicles if v is not ego]
    if lo_hi is not None:
        for v in background:
            v.speed = float(rng.uniform(lo_hi[0], lo_hi[1]))
            if hasattr(v, "target_speed"):
                v.target_speed = v.speed
    gap = max(15.0, 1.5 * speed)
    placed = [ego]
    for i, (kind, action, position) in enumerate(descriptors(spec)):
        side, ahead = SLOTS[position]
        where = f"agent {i} ({kind} {position})"
        lane_index = _side_lane(road, ego.lane_index, side, where)
        lane = road.network.get_lane(lane_index)
        route = [lane_index] + list(getattr(ego, "route", None) or [])[1:]
        cls = utils.class_from_path(BEHAVIOUR[kind])
        target = {"slow": 0.5 * speed, "overtake": speed + 5.0}.get(action, speed)
        first_problem, vehicle = None, None
        # the nearest free slot: 1, 2, ... gaps ahead (or behind); beside the ego first, then alternately ahead/behind
        for step in ([ahead * n for n in range(1, 6)] if ahead else [0, 1, -1, 2, -2]):
            offset = step * gap
            s = lane.local_coordinates(ego.position)[0] + offset
            xy, heading = road.network.position_heading_along_route(route, s, 0.0, lane_index)
            candidate = cls(road, xy, heading=heading, speed=speed, target_speed=target)
            if kind == "truck":
                candidate.LENGTH, candidate.WIDTH = TRUCK_SIZE
                candidate.diagonal = float(np.hypot(*TRUCK_SIZE))
            if not candidate.on_road:
                why = (f"{where} would be off the road ({offset:+.0f} m along the ego's route on "
                       f"{env.spec.id if env.spec else type(env).__name__})")
            elif any(_overlap(candidate, other) for other in placed):
                why = f"{where} would overlap the ego or another agent ({offset:+.0f} m)"
            else:
                vehicle = candidate
                break
            first_problem = first_problem or why
        if vehicle is None:
            raise ScenarioError(first_problem or f"{where} cannot be placed")
        road.vehicles = [v for v in road.vehicles if v in placed or not _overlap(vehicle, v)]
        vehicle.scenario_agent = (kind, action, position)
        road.vehicles.append(vehicle)
        placed.append(vehicle)


def _side_lane(road: Any, lane_index: tuple, side: int, where: str) -> tuple:
    if side == 0:
        return lane_index
    start, end, lane_id = lane_index
    count = len(road.network.graph[start][end])
    new = lane_id + side
    if not 0 <= new < count:
        word = "left" if side < 0 else "right"
        raise ScenarioError(f"{where}: there is no lane to the {word} of the ego (lane {lane_id} of {count} on its "
                            "road)")
    return start, end, new


def _overlap(a: Any, b: Any) -> bool:
    """Two vehicles on the same lane closer than half their lengths plus 2 m (bumper to bumper)."""
    if a.lane_index != b.lane_index:
        return False
    lane = a.lane
    gap = abs(lane.local_coordinates(a.position)[0] - lane.local_coordinates(b.position)[0])
    return gap < (a.LENGTH + b.LENGTH) / 2 + 2.0


# -- description -----------------------------------------------------------------------------------------------
_POSITION_WORDS = {"front": "in front", "behind": "behind", "left": "on the left", "right": "on the right",
                   "front_left": "ahead on the left", "front_right": "ahead on the right",
                   "behind_left": "behind on the left", "behind_right": "behind on the right"}
_ACTION_WORDS = {"follow": "follows", "cut_in": "cuts in", "brake": "brakes", "overtake": "overtakes",
                 "slow": "slows down"}


def describe(spec: Any) -> str:
    """One English sentence describing a valid specification (for the scene-match judge, agent.scene_match_rate).
    Raises InputError naming the problems when the spec is not valid."""
    value, problems = parse_spec(spec)
    if problems:
        raise InputError(f"not a valid scenario specification: {'; '.join(problems)}", field="scenario")
    road, ego, traffic = value["road"], value["ego"], value["traffic"]
    lanes = f"{road['lanes']}-lane {road['type']}" if road["type"] in ("highway", "merge") else road["type"]
    text = (f"A {lanes} scenario with {traffic['vehicles']} background vehicles at density {traffic['density']:g}"
            + (f" driving {traffic['speed_range'][0]:g}-{traffic['speed_range'][1]:g} m/s"
               if traffic.get("speed_range") else "")
            + f"; the ego drives at {ego['speed']:g} m/s in lane {ego['lane']} for {value['duration_s']:g} s")
    agents = [f"{'an' if t.startswith('a') else 'a'} {t.replace('_', ' ')} {_POSITION_WORDS[p]} {_ACTION_WORDS[a]}"
              for t, a, p in descriptors(value)]
    if agents:
        text += "; " + (", ".join(agents[:-1]) + " and " + agents[-1] if len(agents) > 1 else agents[0])
    return text + "."


# -- LLM generation --------------------------------------------------------------------------------------------
@dataclass
class ScenarioResult:
    """One asked specification: the model's raw ``text``, the parsed ``spec``, the instantiation, and when it failed
    the ``stage`` (llm, parse, instantiate) and ``reason``."""

    prompt: str
    index: int  # the answer's number for its prompt (0 .. n_per_prompt - 1)
    seed: int
    text: str = ""
    spec: dict | None = None
    instantiated: Instantiated | None = None
    stage: str | None = None
    reason: str | None = None

    @property
    def ok(self) -> bool:
        return self.instantiated is not None and self.instantiated.ok


@dataclass
class ScenarioBatch:
    """The results in prompt order and how they were asked for (``constrained`` decoding or not, and why not)."""

    results: list[ScenarioResult]
    constrained: bool
    why_not: str | None
    model: str | None
    prompt_version: str
    seed: int = 0

    @property
    def counts(self) -> dict[str, int]:
        """asked, parsed (the answer is a JSON object), instantiated, failed (= asked - instantiated)."""
        asked = len(self.results)
        inst = sum(r.ok for r in self.results)
        return {"asked": asked, "parsed": sum(r.spec is not None for r in self.results), "instantiated": inst,
                "failed": asked - inst}

    @property
    def failures(self) -> list[dict]:
        return [{"prompt": r.prompt, "index": r.index, "stage": r.stage, "reason": r.reason}
                for r in self.results if not r.ok]

    @property
    def scenarios(self) -> list[Instantiated]:
        return [r.instantiated for r in self.results if r.ok]


def load_template() -> dict:
    from synthaudit.generate.text.base import load_prompts

    return load_prompts("agent_scenario")


def messages_for(prompt: str, template: dict | None = None) -> list[dict[str, str]]:
    """The chat messages asking for one specification: the system text with the field guide, the few-shot
    examples as earlier turns, then the prompt."""
    t = template or load_template()
    fields = t["fields"].format(road_types=", ".join(ROAD_TYPES), agent_types=", ".join(AGENT_TYPES),
                                actions=", ".join(ACTIONS), positions=", ".join(POSITIONS))
    msgs = [{"role": "system", "content": t["system"].strip() + "\n" + fields.strip()}]
    for ex in t.get("examples") or []:
        msgs += [{"role": "user", "content": t["user"].format(prompt=ex["prompt"]).strip()},
                 {"role": "assistant", "content": ex["spec"].strip()}]
    msgs.append({"role": "user", "content": t["user"].format(prompt=prompt).strip()})
    return msgs


#: the client's message for a structured answer that failed validation (its text is kept and explained here)
_STRUCTURED_FAILURE = "no answer matching the JSON schema"


def scenarios_from_prompts(prompts: Sequence[str], llm: Any, *, seed: int = 0, n_per_prompt: int = 1,
                           progress: Callable[[ScenarioResult], None] | None = None, max_tokens: int = 320,
                           temperature: float | None = None, concurrency: int = 4) -> ScenarioBatch:
    """Ask ``llm`` (a :class:`synthaudit.models.llm.LLMClient`) for ``n_per_prompt`` specifications per prompt,
    parse, instantiate and count them (survey section 7.2). Schema-constrained decoding when the client is local and
    lm-format-enforcer can enforce :data:`SCENARIO_SCHEMA`; plain generation (the field guide and few-shot examples
    in the prompt) otherwise. Temperature: 0 for one answer per prompt, 0.8 for several (unless given).
    ``progress(result)`` is called after each result."""
    from synthaudit.models.llm import constraint_problem, json_schema_format

    if isinstance(prompts, str) or not all(isinstance(p, str) for p in prompts):
        raise UsageError("prompts must be a list of strings", field="prompts")
    if int(n_per_prompt) < 1:
        raise UsageError(f"n_per_prompt must be 1 or more, got {n_per_prompt}", field="n_per_prompt")
    if not hasattr(llm, "chat_many"):
        raise UsageError(f"llm must be synthaudit's LLMClient (with chat_many), got {type(llm).__name__}", field="llm")
    template = load_template()
    if getattr(llm, "remote", True):
        why_not: str | None = "the backend is a remote endpoint (answers are parsed and validated here)"
    else:
        why_not = constraint_problem(SCENARIO_SCHEMA)
    constrained = why_not is None
    temp = float(temperature) if temperature is not None else (0.0 if int(n_per_prompt) == 1 else 0.8)
    slots: list[ScenarioResult] = []
    requests: list[dict] = []
    for p, prompt in enumerate(prompts):
        msgs = messages_for(prompt, template)
        for j in range(int(n_per_prompt)):
            s = int(seed) * 1_000_003 + p * 1009 + j
            slots.append(ScenarioResult(prompt=prompt, index=j, seed=s))
            req: dict[str, Any] = {"messages": msgs, "max_tokens": int(max_tokens), "temperature": temp, "seed": s}
            if constrained:
                req.update(response_format=json_schema_format(SCENARIO_SCHEMA, name="scenario"), json_retries=0)
            requests.append(req)
    comps = llm.chat_many(requests, concurrency=concurrency) if requests else []
    for slot, comp in zip(slots, comps):
        if comp.error is not None and not comp.error.startswith(_STRUCTURED_FAILURE):
            slot.stage, slot.reason = "llm", f"the LLM request failed: {comp.error}"
        else:
            slot.text = comp.text or ""
            value, problems = parse_spec(slot.text)
            slot.spec = value if isinstance(value, dict) else None
            if slot.spec is None:
                slot.stage, slot.reason = "parse", "; ".join(problems)
            else:
                slot.instantiated = inst = instantiate(slot.spec, seed=int(seed))
                if not inst.ok:
                    slot.stage, slot.reason = "instantiate", "; ".join(inst.problems)
        if progress is not None:
            progress(slot)
    return ScenarioBatch(slots, constrained, why_not, getattr(llm, "model", None), str(template["version"]),
                         int(seed))


def scenario_records(batch: ScenarioBatch) -> list[dict]:
    """One episode record per instantiated scenario, for an agent audit (``synthaudit.data.agent``): episode_id,
    prompt, scenario (the spec), env, config, seed, steps (empty: rollouts are added by ``record_episodes``)."""
    out = []
    for n, r in enumerate(x for x in batch.results if x.ok):
        inst = r.instantiated
        out.append({"episode_id": f"scenario-{batch.seed}-{n:04d}", "prompt": r.prompt, "scenario": inst.spec,
                    "env": inst.env_id, "config": dict(inst.config), "seed": batch.seed, "steps": []})
    return out
