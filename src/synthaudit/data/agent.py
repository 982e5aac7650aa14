"""Agent data (survey section 7): one trajectory format for environment rollouts, tool-call trajectories, driving
scenarios and telemetry.

An **episode** is one record. Two layouts are read (JSON Lines, JSON, Parquet, a Hugging Face dataset, a
DataFrame or a list of dicts):

* episode layout: one record per episode with a ``steps`` list (aliases: trajectory, transitions);
* step layout: one record per step with an episode id and a step index (step, t, timestep), grouped here.

Episode fields (all optional but the steps): ``episode_id``, ``env`` (an environment id such as highway-v0),
``seed`` and ``config`` (to replay it), ``goal`` (goal predicates, see ``synthaudit.envs.goals``), ``scenario``
(a scenario specification), ``prompt`` (the task or scenario prompt), ``response`` (the agent's answer, e.g. a
refusal), ``hazardous`` (a labelled hazardous task), ``success`` (the claimed outcome), ``violations`` (gold
violation types), ``predicted_violations`` (a detector's), ``narrative``, ``dt`` (seconds per step),
``route_length`` (metres), ``frames`` / ``reference_frames`` (rendered observations), ``subtasks``.

Step fields: ``action`` (an environment action, or a tool call ``{"tool": name, "arguments": {...}}``, or the
OpenAI form ``{"type": "function", "function": {"name": ..., "arguments": "<json>"}}``, or a list of calls),
``observation``, ``state`` (driving telemetry: ``{"ego": {x, y, vx, vy, speed, heading, lane, length, width,
on_road, crashed, speed_limit}, "others": [{id, x, y, vx, vy, speed, heading, lane, length, width}, ...]}``),
``reward``, ``info``, ``agent`` (who acted), ``result`` (a tool call's recorded result), ``text``, ``frame``,
``terminated``, ``truncated``.

The validator's errors name the file, the episode and the step.
"""
from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Iterator, Sequence

from synthaudit.data.files import is_missing
from synthaudit.errors import InputError

if TYPE_CHECKING:
    import pandas as pd

    from synthaudit.data.inputs import AuditInputs
    from synthaudit.data.tabular import Table

#: hidden columns of the audit table: the episode's number (its position in the file) and the episode itself
ROW_COL, EPISODE_COL = "__episode__", "__episode_data__"

ID_FIELDS = ("episode_id", "episode", "id", "trajectory_id", "traj_id")
STEPS_FIELDS = ("steps", "trajectory", "transitions")
STEP_INDEX_FIELDS = ("step", "t", "timestep", "step_index")
EPISODE_ALIASES: dict[str, tuple[str, ...]] = {
    "env": ("env", "env_id", "environment"),
    "seed": ("seed",),
    "config": ("config", "env_config"),
    "goal": ("goal", "goals", "goal_predicates"),
    "scenario": ("scenario", "scenario_spec"),
    "prompt": ("prompt", "instruction", "task"),
    "response": ("response", "final_response", "answer"),
    "hazardous": ("hazardous", "is_hazardous"),
    "success": ("success", "succeeded", "is_success"),
    "refused": ("refused",),
    "violations": ("violations", "gold_violations"),
    "predicted_violations": ("predicted_violations", "detected_violations"),
    "narrative": ("narrative", "description"),
    "dt": ("dt",),
    "route_length": ("route_length",),
    "frames": ("frames", "observations_rendered"),
    "reference_frames": ("reference_frames",),
    "subtasks": ("subtasks",),
}
STEP_ALIASES: dict[str, tuple[str, ...]] = {
    "action": ("action", "tool_call", "tool_calls", "function_call", "actions"),
    "observation": ("observation", "obs"),
    "state": ("state", "telemetry"),
    "reward": ("reward", "r"),
    "info": ("info",),
    "agent": ("agent", "actor"),
    "result": ("result", "tool_result", "output"),
    "text": ("text", "content", "message", "thought"),
    "frame": ("frame", "image", "render"),
    "terminated": ("terminated", "done"),
    "truncated": ("truncated",),
}


@dataclass
class ToolCall:
    """One tool call of a step: the tool's name and its arguments (a dict, or the raw text when the recorded
    arguments are not valid JSON: ``arguments_error`` then says why)."""

    name: str | None
    arguments: Any
    call_id: str | None = None
    arguments_error: str | None = None


@dataclass
class Step:
    """One step of an episode (fields as in the module docstring)."""

    action: Any = None
    observation: Any = None
    state: dict | None = None
    reward: float | None = None
    info: dict = field(default_factory=dict)
    agent: str | None = None
    result: Any = None
    text: str | None = None
    frame: Any = None
    terminated: bool | None = None
    truncated: bool | None = None
    calls: list[ToolCall] = field(default_factory=list)  # the action's tool calls (empty for env actions)


@dataclass
class Episode:
    """One trajectory (fields as in the module docstring); ``meta`` keeps the record's other fields."""

    episode_id: str
    steps: list[Step]
    env: str | None = None
    seed: int | None = None
    config: dict | None = None
    goal: list | None = None
    scenario: dict | None = None
    prompt: str | None = None
    response: str | None = None
    hazardous: bool | None = None
    success: bool | None = None
    refused: bool | None = None
    violations: list | None = None
    predicted_violations: list | None = None
    narrative: str | None = None
    dt: float | None = None
    route_length: float | None = None
    frames: list | None = None
    reference_frames: list | None = None
    subtasks: list | None = None
    meta: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.steps)

    @property
    def actions(self) -> list[Any]:
        return [s.action for s in self.steps]

    @property
    def rewards(self) -> list[float | None]:
        return [s.reward for s in self.steps]

    @property
    def is_tool_episode(self) -> bool:
        return any(s.calls for s in self.steps)

    @property
    def has_telemetry(self) -> bool:
        return any(isinstance(s.state, dict) and isinstance(s.state.get("ego"), dict) for s in self.steps)

    def to_record(self) -> dict[str, Any]:
        """The episode as a JSON-ready record of the episode layout (what the loader reads back)."""
        out: dict[str, Any] = {"episode_id": self.episode_id}
        for name in EPISODE_ALIASES:
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        out.update(self.meta)
        out["steps"] = [{k: v for k, v in (("action", s.action), ("observation", s.observation),
                                           ("state", s.state), ("reward", s.reward), ("info", s.info or None),
                                           ("agent", s.agent), ("result", s.result), ("text", s.text),
                                           ("frame", s.frame), ("terminated", s.terminated),
                                           ("truncated", s.truncated)) if v is not None}
                        for s in self.steps]
        return out


@dataclass
class EpisodeSet:
    """The episodes of one role, with the file they came from."""

    label: str
    episodes: list[Episode]
    layout: str = "episodes"
    notes: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.episodes)

    def describe(self) -> dict[str, Any]:
        return EpisodeSummary(self.layout).add(self.episodes).describe()


@dataclass
class EpisodeSummary:
    """:meth:`EpisodeSet.describe`, added up batch by batch (a streamed file is described as it is read), with the
    note on episodes without steps."""

    layout: str
    episodes: int = 0
    steps: int = 0
    min_steps: int | None = None
    max_steps: int = 0
    tool_episodes: int = 0
    with_telemetry: int = 0
    environments: set[str] = field(default_factory=set)
    empty: int = 0
    first_empty: str | None = None

    def add(self, episodes: Sequence[Episode]) -> "EpisodeSummary":
        for e in episodes:
            n = len(e)
            self.episodes += 1
            self.steps += n
            self.min_steps = n if self.min_steps is None else min(self.min_steps, n)
            self.max_steps = max(self.max_steps, n)
            self.tool_episodes += e.is_tool_episode
            self.with_telemetry += e.has_telemetry
            if e.env:
                self.environments.add(e.env)
            if not e.steps:
                self.empty += 1
                self.first_empty = e.episode_id if self.first_empty is None else self.first_empty
        return self

    def describe(self) -> dict[str, Any]:
        return {"episodes": self.episodes, "steps": self.steps, "layout": self.layout,
                "min_steps": self.min_steps or 0, "max_steps": self.max_steps, "tool_episodes": self.tool_episodes,
                "with_telemetry": self.with_telemetry, "environments": sorted(self.environments)}

    def notes(self) -> list[str]:
        return [f"{self.empty} episode(s) have no steps (first: {_show(self.first_empty)})"] if self.empty else []


# ------------------------------------------------------------------------------------------------ reading


def _pick(record: dict, names: Sequence[str]) -> tuple[str | None, Any]:
    for n in names:
        if n in record and not is_missing(record[n]):
            return n, record[n]
    return None, None


def _plain(value: Any, arrow: bool = False) -> Any:
    """numpy / pyarrow values of a table, Parquet or HF row as plain Python (lists, dicts, numbers); NA is None.
    ``arrow``: the value came from an Arrow struct, whose schema is the union of every row's keys, so a null field
    is a key the record did not have and is dropped (else a tool call's arguments gain other calls' keys)."""
    import numpy as np

    if isinstance(value, np.ndarray):
        return [_plain(v, arrow) for v in value.tolist()]
    if isinstance(value, (list, tuple)):
        return [_plain(v, arrow) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v, arrow) for k, v in value.items() if not (arrow and v is None)}
    if isinstance(value, np.generic):
        return value.item()
    if type(value).__name__ in ("NAType", "NaTType"):  # pandas' missing markers
        return None
    return value


def _json_text(value: Any) -> Any:
    """A nested field stored as JSON text (CSV cells, flattened tables) parsed back; other values unchanged."""
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _show(eid: str, limit: int = 60) -> str:
    """An episode id as messages show it: quoted, and shortened when very long."""
    return repr(eid) if len(eid) <= limit else repr(eid[:limit]) + f"... ({len(eid)} characters)"


class _Where:
    def __init__(self, file: str, episode: str | None = None, step: int | None = None) -> None:
        self.file, self.episode, self.step = file, episode, step

    def error(self, message: str, fld: str | None = None) -> InputError:
        where = []
        if self.episode is not None:
            where.append(f"episode {_show(self.episode)}")
        if self.step is not None:
            where.append(f"step {self.step}")
        return InputError((", ".join(where) + ": " if where else "") + message, file=self.file, field=fld)


def parse_tool_calls(action: Any, where: _Where) -> list[ToolCall]:
    """The tool calls an action holds (none for an environment action)."""
    items = action if isinstance(action, list) and action and all(isinstance(a, dict) for a in action) else [action]
    calls = []
    for a in items:
        if not isinstance(a, dict):
            continue
        fn = a.get("function") if isinstance(a.get("function"), dict) else None
        src = fn if fn is not None else a
        name = src.get("tool", src.get("name"))
        if name is None and not any(k in src for k in ("arguments", "args", "parameters")):
            continue  # a dict-valued environment action
        args = next((src[k] for k in ("arguments", "args", "parameters") if k in src), {})
        error = None
        if isinstance(args, str):
            try:
                args = json.loads(args) if args.strip() else {}
            except ValueError as exc:
                error = f"the arguments are not valid JSON ({exc})"
        if name is not None and not isinstance(name, str):
            raise where.error(f"a tool call's name is {type(name).__name__} {name!r:.40}; expected text", "action")
        calls.append(ToolCall(name=name, arguments=args, call_id=a.get("id") or a.get("call_id"),
                              arguments_error=error))
    return calls


def _bool(value: Any, where: _Where, fld: str) -> bool | None:
    if is_missing(value):
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in ("true", "false", "yes", "no", "1", "0"):
        return value.strip().lower() in ("true", "yes", "1")
    raise where.error(f"{fld} is {value!r:.40}; expected true or false", fld)


def _number(value: Any, where: _Where, fld: str, *, positive: bool = False) -> float | None:
    if is_missing(value):
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        if isinstance(value, str):
            try:
                value = float(value)
            except ValueError:
                raise where.error(f"{fld} is {value!r:.40}; expected a number", fld) from None
        else:
            raise where.error(f"{fld} is {type(value).__name__} {value!r:.40}; expected a number", fld)
    value = float(value)
    if math.isnan(value):  # NaN (a float, or the text "nan") is a missing value, as in every reader
        return None
    if math.isinf(value) or (positive and not value > 0):
        raise where.error(f"{fld} is {value}; expected a finite{' positive' if positive else ''} number", fld)
    return value


def _dict(value: Any, where: _Where, fld: str) -> dict | None:
    value = _json_text(value)
    if is_missing(value):
        return None
    if not isinstance(value, dict):
        raise where.error(f"{fld} is {type(value).__name__}; expected an object (a JSON dict)", fld)
    return value


def _list(value: Any, where: _Where, fld: str) -> list | None:
    value = _json_text(value)
    if is_missing(value):
        return None
    if isinstance(value, (str, dict)) and fld in ("violations", "predicted_violations"):
        return [value]  # one violation type
    if not isinstance(value, list):
        raise where.error(f"{fld} is {type(value).__name__}; expected a list", fld)
    return value


def parse_step(raw: Any, where: _Where) -> Step:
    """One step, checked; errors name the episode and step."""
    raw = _json_text(raw)
    if not isinstance(raw, dict):
        raise where.error(f"is {type(raw).__name__} {raw!r:.40}; expected an object with an action")
    got = {name: _pick(raw, names)[1] for name, names in STEP_ALIASES.items()}
    action = _json_text(got["action"])
    reward = _number(got["reward"], where, "reward")  # NaN: missing (None)
    state = _dict(got["state"], where, "state")
    if state is not None and "ego" in state and not isinstance(state["ego"], dict):
        raise where.error(f"state.ego is {type(state['ego']).__name__}; expected an object with x, y, speed, ...",
                          "state")
    if state is not None and "others" in state and not isinstance(state["others"], list):
        raise where.error(f"state.others is {type(state['others']).__name__}; expected a list of objects", "state")
    info = _dict(got["info"], where, "info") or {}
    agent = got["agent"]
    text = got["text"]
    return Step(action=action, observation=got["observation"], state=state, reward=reward, info=info,
                agent=None if agent is None else str(agent), result=got["result"],
                text=None if text is None else str(text), frame=got["frame"],
                terminated=_bool(got["terminated"], where, "terminated"),
                truncated=_bool(got["truncated"], where, "truncated"), calls=parse_tool_calls(action, where))


def parse_episode(record: dict, index: int, file: str, steps: list | None = None) -> Episode:
    """One episode record (episode layout; ``steps`` given for the step layout), checked."""
    _, eid = _pick(record, ID_FIELDS)
    eid = str(index) if eid is None else str(eid)
    where = _Where(file, eid)
    if steps is None:
        name, steps = _pick(record, STEPS_FIELDS)
        steps = _json_text(steps)
        if name is None:
            raise where.error(f"has no steps; expected a field {' / '.join(STEPS_FIELDS)} holding a list of steps "
                              f"(or one record per step with an episode id and {' / '.join(STEP_INDEX_FIELDS)})",
                              "steps")
        if not isinstance(steps, list):
            raise where.error(f"{name} is {type(steps).__name__}; expected a list of steps", name)
    parsed = [parse_step(s, _Where(file, eid, i)) for i, s in enumerate(steps)]
    got = {n: _pick(record, names)[1] for n, names in EPISODE_ALIASES.items()}
    seed = got["seed"]
    if not (isinstance(seed, int) and not isinstance(seed, bool)):  # an int is kept exact (seeds exceed 2**53)
        seed = _number(seed, where, "seed")
        if seed is not None and seed != int(seed):
            raise where.error(f"seed is {seed}; expected an integer", "seed")
    used = {n for names in (*EPISODE_ALIASES.values(), ID_FIELDS, STEPS_FIELDS) for n in names}
    goal = _json_text(got["goal"])
    if isinstance(goal, (str, dict)):
        goal = [goal]
    if goal is not None and not is_missing(goal) and not isinstance(goal, list):
        raise where.error(f"goal is {type(goal).__name__}; expected a list of predicates", "goal")
    text = {k: (None if is_missing(got[k]) else str(got[k])) for k in ("env", "prompt", "response", "narrative")}
    return Episode(
        episode_id=eid, steps=parsed, env=text["env"], seed=None if seed is None else int(seed),
        config=_dict(got["config"], where, "config"), goal=None if is_missing(goal) else goal,
        scenario=_dict(got["scenario"], where, "scenario"), prompt=text["prompt"], response=text["response"],
        hazardous=_bool(got["hazardous"], where, "hazardous"), success=_bool(got["success"], where, "success"),
        refused=_bool(got["refused"], where, "refused"), violations=_list(got["violations"], where, "violations"),
        predicted_violations=_list(got["predicted_violations"], where, "predicted_violations"),
        narrative=text["narrative"], dt=_number(got["dt"], where, "dt", positive=True),
        route_length=_number(got["route_length"], where, "route_length", positive=True),
        frames=_list(got["frames"], where, "frames"),
        reference_frames=_list(got["reference_frames"], where, "reference_frames"),
        subtasks=_list(got["subtasks"], where, "subtasks"),
        meta={k: _plain(v) for k, v in record.items() if k not in used})


def step_fields(records: list[dict], file: str) -> tuple[str, str | None]:
    """The step layout's episode id field and step index field (None: records are in step order), the first of
    the usual names that any record has."""
    id_name = next((n for n in ID_FIELDS if any(n in r for r in records)), None)
    idx_name = next((n for n in STEP_INDEX_FIELDS if any(n in r for r in records)), None)
    if id_name is None:
        raise InputError(f"has neither a steps list nor an episode id field ({', '.join(ID_FIELDS)}); expected one "
                         "record per episode with steps, or one record per step with an episode id", file=file)
    return id_name, idx_name


def step_episode_id(record: dict, id_name: str, file: str, row: int) -> str:
    """The episode id of a step record (``row``: its 1-based record number, for the error when it has none)."""
    eid = record.get(id_name)
    if is_missing(eid):
        raise InputError(f"the episode id ({id_name}) is missing", file=file, row=row, field=id_name)
    return str(eid)


def group_steps(records: list[dict], file: str, fields: tuple[str, str | None] | None = None,
                 offset: int = 0) -> list[Episode]:
    """The step layout: records grouped by episode id, ordered by the step index (``fields``: the id and step
    index fields, found here when None; ``offset``: the file record of the first record, 0-based, for errors)."""
    id_name, idx_name = fields or step_fields(records, file)
    groups: dict[str, list[tuple[float, int, dict]]] = {}
    step_names = {n for names in STEP_ALIASES.values() for n in names} | {idx_name}
    heads: dict[str, dict] = {}
    for row, r in enumerate(records, start=offset):
        key = step_episode_id(r, id_name, file, row + 1)
        order = r.get(idx_name) if idx_name else None
        if idx_name and (is_missing(order) or isinstance(order, bool) or not isinstance(order, (int, float))):
            raise InputError(f"episode {_show(key)}: the step index ({idx_name}) is {order!r:.30}; expected a number",
                             file=file, row=row + 1, field=idx_name)
        groups.setdefault(key, []).append((float(order) if idx_name else row, row, r))
        head = heads.setdefault(key, {})
        for k, v in r.items():
            if k not in step_names and k not in head and not is_missing(v):
                head[k] = v
    out = []
    for i, (key, rows) in enumerate(groups.items()):
        rows.sort(key=lambda x: (x[0], x[1]))
        orders = [o for o, _, _ in rows]
        if len(set(orders)) != len(orders):
            dup = next(o for o in orders if orders.count(o) > 1)
            raise InputError(f"episode {_show(key)} repeats step {dup:g}", file=file, field=idx_name)
        out.append(parse_episode({**heads[key], id_name: key}, i, file,
                                 steps=[{k: v for k, v in r.items() if k in step_names} for _, _, r in rows]))
    return out


def _records(obj: Any, label: str, fmt: str | None, encoding: str) -> tuple[list[dict], str]:
    """The raw records of any supported input, and the name errors use."""
    import pandas as pd

    if isinstance(obj, EpisodeSet):
        return [e.to_record() for e in obj.episodes], obj.label
    if isinstance(obj, (list, tuple)):
        if obj and all(isinstance(e, Episode) for e in obj):
            return [e.to_record() for e in obj], label
        bad = next((i for i, r in enumerate(obj) if not isinstance(r, dict)), None)
        if bad is not None:
            raise InputError(f"item {bad} is {type(obj[bad]).__name__}; expected episode records (dicts)", file=label)
        return list(obj), label
    if isinstance(obj, pd.DataFrame):
        return [{k: _plain(v, arrow=True) for k, v in r.items()} for r in obj.to_dict("records")], label
    if isinstance(obj, (str, Path)):
        from synthaudit.data.files import check_encoding, check_readable, detect_format, read_raw_records

        path = Path(obj)
        check_readable(path)
        check_encoding(encoding)
        kind = detect_format(path, fmt)
        if kind not in ("jsonl", "json", "parquet"):
            raise InputError(f"agent trajectories are read from JSON Lines, JSON or Parquet (or a Hugging Face "
                             f"dataset); got a {kind} file", file=str(path),
                             hint="use .jsonl, .json or .parquet, or pass --format")
        # one reader for every format: a truncated or corrupt (compressed) file is an InputError, not a crash
        _, raw, _ = read_raw_records(path, fmt=kind, encoding=encoding)
        if kind == "parquet":
            return [{k: _plain(v, arrow=True) for k, v in r.items()} for r in raw.to_dict("records")], str(path)
        return raw, str(path)
    if hasattr(obj, "to_pandas") or type(obj).__module__.startswith(("datasets", "pyarrow")):
        from synthaudit.data.files import arrow_to_frame

        try:
            frame = obj.to_pandas() if hasattr(obj, "to_pandas") else arrow_to_frame(obj)
        except Exception as exc:  # an IterableDataset has no to_pandas
            if hasattr(obj, "__iter__"):
                return [{k: _plain(v, arrow=True) for k, v in dict(r).items()} for r in obj], label
            raise InputError(f"cannot read {type(obj).__name__} ({exc})", file=label) from None
        return [{k: _plain(v, arrow=True) for k, v in r.items()} for r in frame.to_dict("records")], label
    if isinstance(obj, Iterable):
        return _records(list(obj), label, fmt, encoding)
    raise InputError(f"cannot read agent trajectories from {type(obj).__name__}; expected a JSON Lines / JSON / "
                     "Parquet file, a Hugging Face dataset, a DataFrame or a list of episode records", file=label)


def load_episodes(obj: Any, label: str, *, fmt: str | None = None, encoding: str = "utf-8") -> EpisodeSet:
    """Episodes from any supported input (module docstring), validated."""
    if isinstance(obj, EpisodeSet):
        return obj
    if isinstance(getattr(obj, "episode_set", None), EpisodeSet):  # the audit table of a loaded set (track)
        return obj.episode_set
    records, name = _records(obj, label, fmt, encoding)
    if not records:
        raise InputError("has no episodes", file=name)
    layout = records_layout(records)
    episodes = [parse_episode(r, i, name) for i, r in enumerate(records)] if layout == "episodes" else \
        group_steps(records, name)
    check_unique(episodes, name, {})
    return EpisodeSet(label=name, episodes=episodes, layout=layout, notes=EpisodeSummary(layout).add(episodes).notes())


def records_layout(records: list[dict]) -> str:
    """The layout of raw records: "episodes" when a record holds a steps list, else "steps" (one per step)."""
    return "episodes" if any(any(n in r for n in STEPS_FIELDS) for r in records) else "steps"


def check_unique(episodes: Sequence[Episode], file: str, seen: dict[str, int], start: int = 0) -> None:
    """One error naming both records when an episode id repeats (``seen``: id -> record of the episodes before,
    updated; ``start``: the record number of the first episode, 0-based)."""
    for i, e in enumerate(episodes, start=start):
        if e.episode_id in seen:
            raise InputError(f"episode id {_show(e.episode_id)} is used twice (records {seen[e.episode_id] + 1} and "
                             f"{i + 1}); episode ids must be unique", file=file, row=i + 1)
        seen[e.episode_id] = i


# ------------------------------------------------------------------------------------------------ the audit table


def fingerprint(eset: EpisodeSet) -> str:
    h = hashlib.sha256()
    for e in eset.episodes:
        h.update(json.dumps(e.to_record(), sort_keys=True, default=str, ensure_ascii=False)
                 .encode("utf-8", "surrogatepass"))
    return h.hexdigest()


def episode_frame(episodes: Sequence[Episode], start: int = 0) -> "pd.DataFrame":
    """Rows of the audit table: one per episode (id, steps, environment), with the hidden episode number (from
    ``start``) and the episode itself."""
    import pandas as pd

    frame = pd.DataFrame({"episode_id": [e.episode_id for e in episodes], "steps": [len(e) for e in episodes],
                          "env": [e.env for e in episodes], ROW_COL: range(start, start + len(episodes))})
    frame[EPISODE_COL] = pd.Series(list(episodes), dtype=object)
    return frame


def as_table(eset: EpisodeSet) -> "Table":
    """The audit table: one row per episode (:func:`episode_frame`), so episodes stream and shard like any record.
    It carries its episodes (``episode_set``): a table handed back to an audit (``synthaudit track`` reads each file
    once) is not read again."""
    from synthaudit.data.tabular import Table

    table = Table(eset.label, frame=episode_frame(eset.episodes), fingerprint=fingerprint(eset))
    table.episode_set = eset  # type: ignore[attr-defined]
    return table


def batch_episodes(inputs: "AuditInputs", role: str, batch: "pd.DataFrame") -> list[Episode]:
    """The episodes of a batch of the audit table."""
    return list(batch[EPISODE_COL])


def indexed_episodes(inputs: "AuditInputs", role: str) -> list[tuple[int, Episode]]:
    """(episode number, episode) of every episode of a role's table as the global metrics see it: the role's
    episodes when it is in memory, the seeded sample of a streamed role after streaming. A streamed role that no
    global metric sampled is read here batch by batch (every episode then ends up in memory)."""
    table = inputs.tables[role]

    def read() -> list[tuple[int, Episode]]:
        parts = [table.frame()] if table.materialized else list(inputs.batches(role, None))
        return [(int(i), e) for part in parts for i, e in zip(part[ROW_COL], part[EPISODE_COL])]

    return inputs.features.get(f"agent:episodes:{role}:{id(table)}", read)


def episodes_of(inputs: "AuditInputs", role: str) -> EpisodeSet:
    """The episode set of a role of an agent audit, as :func:`indexed_episodes` reads it."""
    table = inputs.tables[role]
    known = getattr(table, "episode_set", None)
    if isinstance(known, EpisodeSet):
        return known
    return EpisodeSet(label=table.label, episodes=[e for _, e in indexed_episodes(inputs, role)], layout="streamed")


def episode_batches(inputs: "AuditInputs", role: str, batch_size: int | None = None) -> Iterator[list[Episode]]:
    """The episodes of a role batch by batch (memory: one batch of a streamed role)."""
    for batch in inputs.batches(role, batch_size):
        yield batch_episodes(inputs, role, batch)
