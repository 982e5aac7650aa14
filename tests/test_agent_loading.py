"""The agent trajectory loader (survey section 7, ``synthaudit.data.agent``): both layouts in every input form, tool
calls in every recorded form, and one clear error naming the file, episode, step and field for each malformed
input. Every expected value is written out by hand from the fixtures below."""
from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from synthaudit.data.agent import Episode, EpisodeSet, Step, load_episodes
from synthaudit.errors import InputError

#: two episodes of the episode layout; the steps are homogeneous so that Parquet / Arrow keep every key as is
EPISODES = [
    {"episode_id": "ep-1", "env": "highway-v0", "seed": 7, "dt": 0.5, "prompt": "merge left",
     "steps": [{"action": 1, "reward": 0.5, "terminated": False,
                "state": {"ego": {"x": 0.0, "y": 4.0, "speed": 20.0}, "others": [{"id": 1, "x": 30.0, "y": 4.0}]}},
               {"action": 3, "reward": 1.0, "terminated": True,
                "state": {"ego": {"x": 10.0, "y": 0.0, "speed": 21.0}, "others": []}}]},
    {"episode_id": "ep-2", "env": "highway-v0", "seed": 8, "dt": 0.5, "prompt": "keep lane",
     "steps": [{"action": 0, "reward": 0.25, "terminated": True,
                "state": {"ego": {"x": 5.0, "y": 8.0, "speed": 25.0}, "others": [{"id": 2, "x": 9.0, "y": 8.0}]}}]},
]


def step_rows(episodes: list[dict]) -> list[dict]:
    """The step layout of ``episodes``: one row per step, episode fields repeated on each row, out of order (the
    first episode's first step moved to the end; the first episode still appears first)."""
    rows = []
    for e in episodes:
        head = {k: v for k, v in e.items() if k != "steps"}
        rows += [{**head, "step": i, **s} for i, s in enumerate(e["steps"])]
    return rows[1:] + rows[:1]


def records(eset: EpisodeSet) -> list[dict]:
    return [e.to_record() for e in eset.episodes]


def jsonl(path: Path, rows: list) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def one(steps: list, eid: str = "e", **fields) -> Episode:
    return load_episodes([{"episode_id": eid, "steps": steps, **fields}], "mem").episodes[0]


def error_of(obj, label: str = "mem") -> str:
    with pytest.raises(InputError) as err:
        load_episodes(obj, label)
    return str(err.value)


# -- both layouts, every input form ----------------------------------------------------------------------------

def test_the_episode_layout_reads_back_exactly():
    eset = load_episodes(copy.deepcopy(EPISODES), "mem")
    assert eset.layout == "episodes" and eset.notes == [] and records(eset) == EPISODES
    e = eset.episodes[0]
    assert (e.episode_id, e.env, e.seed, e.dt, e.prompt, len(e)) == ("ep-1", "highway-v0", 7, 0.5, "merge left", 2)
    assert e.actions == [1, 3] and e.rewards == [0.5, 1.0] and e.has_telemetry and not e.is_tool_episode
    assert [s.terminated for s in e.steps] == [False, True] and e.steps[0].calls == []
    # 2 episodes of 2 and 1 steps: 3 steps, none with tool calls, both with telemetry
    assert eset.describe() == {"episodes": 2, "steps": 3, "layout": "episodes", "min_steps": 1, "max_steps": 2,
                               "tool_episodes": 0, "with_telemetry": 2, "environments": ["highway-v0"]}


def test_the_step_layout_groups_and_orders_rows_into_the_same_episodes(tmp_path):
    rows = step_rows(EPISODES)
    assert [(r["episode_id"], r["step"]) for r in rows] == [("ep-1", 1), ("ep-2", 0), ("ep-1", 0)]
    eset = load_episodes(rows, "mem")
    assert eset.layout == "steps"
    # groups keep the order of first appearance (ep-1's first row comes first); steps follow the index
    assert records(eset) == EPISODES
    assert records(load_episodes(jsonl(tmp_path / "s.jsonl", rows), "x")) == EPISODES
    pd.DataFrame(rows).to_parquet(tmp_path / "s.parquet", index=False)
    assert records(load_episodes(tmp_path / "s.parquet", "x")) == EPISODES
    # the other index names and an id alias
    renamed = [{("trajectory_id" if k == "episode_id" else "t" if k == "step" else k): v for k, v in r.items()}
               for r in rows]
    assert records(load_episodes(renamed, "mem")) == EPISODES


def test_files_of_every_format_give_the_same_episodes(tmp_path):
    jsonl(tmp_path / "e.jsonl", EPISODES)
    (tmp_path / "e.json").write_text(json.dumps(EPISODES), encoding="utf-8")
    (tmp_path / "wrapped.json").write_text(json.dumps({"data": EPISODES}), encoding="utf-8")  # read_json_records
    pd.DataFrame(EPISODES).to_parquet(tmp_path / "e.parquet", index=False)
    for name in ("e.jsonl", "e.json", "wrapped.json", "e.parquet"):
        eset = load_episodes(tmp_path / name, "synthetic")
        assert records(eset) == EPISODES, name
        assert eset.label == str(tmp_path / name)
    # Parquet hands back numpy arrays of dicts: the loader makes them lists and dicts again
    e = load_episodes(tmp_path / "e.parquet", "x").episodes[0]
    assert type(e.steps[0].state["others"]) is list and type(e.steps[0].state["ego"]) is dict
    assert type(e.seed) is int and type(e.steps[0].action) is int


def test_a_dataframe_a_list_episodes_and_to_record_round_trip():
    frame = pd.DataFrame(EPISODES)
    assert records(load_episodes(frame, "df")) == EPISODES
    eset = load_episodes(copy.deepcopy(EPISODES), "mem")
    assert records(load_episodes(eset.episodes, "again")) == EPISODES  # a list of Episode objects
    assert load_episodes(eset, "ignored") is eset
    built = Episode(episode_id="made", env="CartPole-v1", seed=1,
                    steps=[Step(action=0, reward=1.0, info={"k": 1}), Step(action=1, reward=1.0, truncated=True)],
                    meta={"source": "hand"})
    back = load_episodes([built], "x").episodes[0]
    assert back == built  # dataclass equality: every field, the meta and every step
    assert back.to_record() == {"episode_id": "made", "env": "CartPole-v1", "seed": 1, "source": "hand",
                                "steps": [{"action": 0, "reward": 1.0, "info": {"k": 1}},
                                          {"action": 1, "reward": 1.0, "truncated": True}]}


def test_a_hugging_face_dataset():
    datasets = pytest.importorskip("datasets", reason="the Hugging Face datasets package is not installed")
    assert records(load_episodes(datasets.Dataset.from_list(copy.deepcopy(EPISODES)), "hf")) == EPISODES
    assert records(load_episodes(datasets.Dataset.from_list(step_rows(EPISODES)), "hf")) == EPISODES


# -- tool calls --------------------------------------------------------------------------------------------------

TOOL_STEPS = [
    {"action": {"tool": "get_weather", "arguments": {"city": "Paris"}}},
    {"action": {"type": "function", "function": {"name": "calculator", "arguments": '{"expr": "2*3"}'}}},
    {"tool_calls": [{"id": "c1", "type": "function", "function": {"name": "search", "arguments": '{"q": "x"}'}},
                    {"id": "c2", "type": "function", "function": {"name": "shorten", "arguments": "{}"}}]},
    {"action": {"tool": "broken", "arguments": '{"a": 1'}},
    {"action": {"steer": 0.1, "throttle": 0.5}},
    {"text": "done"},
]


def _calls(e: Episode) -> list[list[tuple]]:
    return [[(c.name, c.arguments, c.call_id, c.arguments_error is not None) for c in s.calls] for s in e.steps]


def test_tool_calls_in_every_form(tmp_path):
    e = one(copy.deepcopy(TOOL_STEPS))
    assert _calls(e) == [[("get_weather", {"city": "Paris"}, None, False)],
                         [("calculator", {"expr": "2*3"}, None, False)],  # JSON text arguments parsed
                         [("search", {"q": "x"}, "c1", False), ("shorten", {}, "c2", False)],
                         [("broken", '{"a": 1', None, True)],  # the raw text kept, with the reason
                         [],  # a dict-valued environment action is not a tool call
                         []]
    assert e.steps[3].calls[0].arguments_error.startswith("the arguments are not valid JSON (")
    assert e.steps[4].action == {"steer": 0.1, "throttle": 0.5} and e.steps[5].text == "done"
    assert e.is_tool_episode and not e.has_telemetry
    # a tool call's name must be text
    msg = error_of([{"episode_id": "t", "steps": [{"action": {"tool": 5, "arguments": {}}}]}])
    assert msg == "mem, field 'action': episode 't', step 0: a tool call's name is int 5; expected text"


def test_tool_call_arguments_keep_their_own_keys_through_parquet_and_arrow(tmp_path):
    """Arrow stores the two calls' arguments in one struct {city, expr}; a null field is a key the call did not
    have, so the loader drops it (else get_weather would be replayed with expr=None)."""
    eps = [{"episode_id": "t", "steps": [{"action": {"tool": "get_weather", "arguments": {"city": "Paris"}}},
                                         {"action": {"tool": "calculator", "arguments": {"expr": "1+1"}}}]}]
    pd.DataFrame(eps).to_parquet(tmp_path / "t.parquet", index=False)
    e = load_episodes(tmp_path / "t.parquet", "x").episodes[0]
    assert [(c.name, c.arguments) for s in e.steps for c in s.calls] == \
        [("get_weather", {"city": "Paris"}), ("calculator", {"expr": "1+1"})]


# -- one error per malformed input, naming where ---------------------------------------------------------------

def _ep(steps, eid="e1", **fields) -> list[dict]:
    return [{"episode_id": eid, "steps": steps, **fields}]


@pytest.mark.parametrize(("episodes", "expected"), [
    (_ep("not a list"), "mem, field 'steps': episode 'e1': steps is str; expected a list of steps"),
    (_ep({"a": 1}), "mem, field 'steps': episode 'e1': steps is dict; expected a list of steps"),
    (_ep([{"action": 1}, 5]), "mem: episode 'e1', step 1: is int 5; expected an object with an action"),
    (_ep([{"action": 1, "reward": "high"}]),
     "mem, field 'reward': episode 'e1', step 0: reward is 'high'; expected a number"),
    (_ep([{"action": 1, "reward": [1]}]),
     "mem, field 'reward': episode 'e1', step 0: reward is list [1]; expected a number"),
    (_ep([{"action": 1}, {"action": 1, "reward": float("inf")}]),
     "mem, field 'reward': episode 'e1', step 1: reward is inf; expected a finite number"),
    (_ep([{"action": 1, "terminated": "maybe"}]),
     "mem, field 'terminated': episode 'e1', step 0: terminated is 'maybe'; expected true or false"),
    (_ep([{"action": 1, "done": 2}]),
     "mem, field 'terminated': episode 'e1', step 0: terminated is 2; expected true or false"),
    (_ep([{"action": 1, "state": {"ego": [1, 2]}}]),
     "mem, field 'state': episode 'e1', step 0: state.ego is list; expected an object with x, y, speed, ..."),
    (_ep([{"action": 1, "state": {"ego": {"x": 0}, "others": {"id": 1}}}]),
     "mem, field 'state': episode 'e1', step 0: state.others is dict; expected a list of objects"),
    (_ep([{"action": 1, "state": [1]}]),
     "mem, field 'state': episode 'e1', step 0: state is list; expected an object (a JSON dict)"),
    (_ep([], seed=1.5), "mem, field 'seed': episode 'e1': seed is 1.5; expected an integer"),
    (_ep([], seed="abc"), "mem, field 'seed': episode 'e1': seed is 'abc'; expected a number"),
    (_ep([], dt=0), "mem, field 'dt': episode 'e1': dt is 0.0; expected a finite positive number"),
    (_ep([], dt=-0.1), "mem, field 'dt': episode 'e1': dt is -0.1; expected a finite positive number"),
    ([*_ep([]), {"episode_id": "x"}],
     "mem, field 'steps': episode 'x': has no steps; expected a field steps / trajectory / transitions holding a "
     "list of steps (or one record per step with an episode id and step / t / timestep / step_index)"),
    ([*_ep([{"action": 1}], eid="a"), *_ep([{"action": 2}], eid="b"), *_ep([], eid="a")],
     "mem, row 3: episode id 'a' is used twice (records 1 and 3); episode ids must be unique"),
])
def test_validator_errors_name_the_episode_step_and_field(episodes, expected):
    assert error_of(episodes) == expected


@pytest.mark.parametrize(("rows", "expected"), [
    ([{"episode_id": "a", "step": 0, "action": 1}, {"step": 1, "action": 1}],
     "mem, row 2, field 'episode_id': the episode id (episode_id) is missing"),
    ([{"episode_id": "a", "step": 0, "action": 1}, {"episode_id": "a", "step": "first", "action": 1}],
     "mem, row 2, field 'step': episode 'a': the step index (step) is 'first'; expected a number"),
    ([{"episode_id": "a", "step": 0}, {"episode_id": "a", "step": None}],
     "mem, row 2, field 'step': episode 'a': the step index (step) is None; expected a number"),
    ([{"episode_id": "a", "step": 1}, {"episode_id": "b", "step": 0}, {"episode_id": "a", "step": 1}],
     "mem, field 'step': episode 'a' repeats step 1"),
    ([{"action": 1, "reward": 0.5}, {"action": 2}],
     "mem: has neither a steps list nor an episode id field (episode_id, episode, id, trajectory_id, traj_id); "
     "expected one record per episode with steps, or one record per step with an episode id"),
    ([{"episode_id": "a", "step": 0, "reward": "x"}],
     "mem, field 'reward': episode 'a', step 0: reward is 'x'; expected a number"),
])
def test_step_layout_errors(rows, expected):
    assert error_of(rows) == expected


def test_file_errors(tmp_path):
    (tmp_path / "empty.jsonl").write_bytes(b"")
    assert error_of(tmp_path / "empty.jsonl") == \
        f"{tmp_path / 'empty.jsonl'}: file is empty (0 bytes); expected a header line and at least one row"
    (tmp_path / "blank.jsonl").write_text("\n\n")
    assert error_of(tmp_path / "blank.jsonl") == f"{tmp_path / 'blank.jsonl'}: has no episodes"
    (tmp_path / "none.json").write_text("[]")
    assert error_of(tmp_path / "none.json") == f"{tmp_path / 'none.json'}: has no episodes"
    for name in ("e.csv", "e.txt"):  # .txt is read as CSV by the table readers
        (tmp_path / name).write_text("episode_id,steps\na,[]\n")
        assert error_of(tmp_path / name).startswith(
            f"{tmp_path / name}: agent trajectories are read from JSON Lines, JSON or Parquet (or a Hugging Face "
            "dataset); got a csv file")
    assert error_of(tmp_path / "missing.jsonl") == f"{tmp_path / 'missing.jsonl'}: file not found"
    (tmp_path / "bad.jsonl").write_text(json.dumps(EPISODES[0]) + "\n" + json.dumps(
        {"episode_id": "ep-9", "steps": [{"action": 1}, {"action": 1, "reward": "lots"}]}) + "\n")
    assert error_of(tmp_path / "bad.jsonl") == \
        f"{tmp_path / 'bad.jsonl'}, field 'reward': episode 'ep-9', step 1: reward is 'lots'; expected a number"
    # a truncated compressed file is an input error like any other reader's (it was an EOFError)
    import gzip

    whole = gzip.compress(("".join(json.dumps(EPISODES[0]) + "\n" for _ in range(300))).encode())
    (tmp_path / "cut.jsonl.gz").write_bytes(whole[: len(whole) // 2])
    assert error_of(tmp_path / "cut.jsonl.gz").startswith(f"{tmp_path / 'cut.jsonl.gz'}: cannot read the file (")
    assert error_of([1, 2]) == "mem: item 0 is int; expected episode records (dicts)"
    assert error_of(3.5).startswith("mem: cannot read agent trajectories from float;")


# -- degenerate values -----------------------------------------------------------------------------------------

def test_nan_and_missing_values_are_missing(tmp_path):
    e = one([{"action": 1, "reward": float("nan")}, {"action": 1, "reward": "nan"}, {"action": 1, "reward": None}],
            seed="nan", dt=float("nan"))
    assert e.rewards == [None, None, None] and e.seed is None and e.dt is None
    # a table with NaN cells (a step without a reward, an episode without a seed) and pandas' NA
    frame = pd.DataFrame(step_rows(EPISODES))
    frame.loc[0, "reward"] = float("nan")
    frame["seed"] = frame["seed"].astype("Int64")
    frame.loc[1, "seed"] = pd.NA
    eset = load_episodes(frame, "df")
    # row 0 is ep-1's step 1; row 1 is ep-2's only row, so ep-2 has no seed
    assert [e.rewards for e in eset.episodes] == [[0.5, None], [0.25]]
    assert [e.seed for e in eset.episodes] == [7, None]


def test_unicode_constant_empty_and_long(tmp_path):
    uni = [{"episode_id": "épisode-😀", "prompt": "合流して", "steps": [{"action": 1, "text": "d'accord ✓"}]},
           {"episode_id": "名前", "steps": [{"action": 1, "text": "同じ"}]}]
    eset = load_episodes(jsonl(tmp_path / "u.jsonl", uni), "u")
    assert records(eset) == uni
    assert error_of([{"episode_id": "😀", "steps": [{"action": 1, "reward": "∞"}]}]) == \
        "mem, field 'reward': episode '😀', step 0: reward is '∞'; expected a number"
    # constant data: every episode the same but its id
    const = [{"episode_id": f"c{i}", "steps": [{"action": 0, "reward": 1.0}] * 3} for i in range(4)]
    cset = load_episodes(const, "c")
    assert [e.rewards for e in cset.episodes] == [[1.0, 1.0, 1.0]] * 4 and cset.describe()["steps"] == 12
    # an episode with no steps is kept, with a note
    eset = load_episodes([{"episode_id": "full", "steps": [{"action": 1}]}, {"episode_id": "void", "steps": []}],
                         "v")
    assert [len(e) for e in eset.episodes] == [1, 0]
    assert eset.notes == ["1 episode(s) have no steps (first: 'void')"]
    # a very long id is kept whole; messages show its first 60 characters and its length
    long_id = "x" * 5000
    assert one([{"action": 1}], eid=long_id).episode_id == long_id
    assert error_of([{"episode_id": long_id, "steps": [5]}]) == \
        f"mem: episode '{'x' * 60}'... (5000 characters), step 0: is int 5; expected an object with an action"
    # a seed beyond 2**53 is kept exactly (as a float it would become 12345678901234567168)
    assert one([], seed=12345678901234567891).seed == 12345678901234567891


# -- the audit and the command line ----------------------------------------------------------------------------

def _cartpole(n_steps: list[int]) -> list[dict]:
    return [{"episode_id": f"cp{i}", "env": "CartPole-v1", "seed": i, "steps": [{"action": k % 2} for k in range(n)]}
            for i, n in enumerate(n_steps)]


def test_audit_reads_every_format(tmp_path):
    import synthaudit

    eps = _cartpole([3, 5])  # SimSteps = (3 + 5) / 2 = 4 environment steps per episode
    inputs = {"e.jsonl": jsonl(tmp_path / "e.jsonl", eps), "s.jsonl": jsonl(tmp_path / "s.jsonl", step_rows(eps))}
    pd.DataFrame(eps).to_parquet(tmp_path / "e.parquet", index=False)
    inputs["e.parquet"] = tmp_path / "e.parquet"
    for name, path in inputs.items():
        report = synthaudit.audit("agent", synthetic=path, metrics=["agent.sim_steps"], out=tmp_path / f"out_{name}")
        m = report.result("agent.sim_steps")
        assert (m.status, m.value, m.notes["n_records"]) == ("ok", 4.0, 2), name
        assert (tmp_path / f"out_{name}" / "report.json").exists()


def test_cli_names_the_episode_and_step_of_a_bad_file(tmp_path):
    bad = jsonl(tmp_path / "bad.jsonl", [*_cartpole([2]), {"episode_id": "broken", "env": "CartPole-v1",
                                                              "steps": [{"action": 0}, {"action": 1, "done": "x"}]}])
    before = bad.read_bytes()
    env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "PY_COLORS")}
    env.update(NO_COLOR="1", COLUMNS="200", PYTHONPATH=str(Path(__file__).resolve().parents[1] / "src"))
    proc = subprocess.run([sys.executable, "-m", "synthaudit", "audit", "agent", "-s", str(bad), "--out",
                           str(tmp_path / "out"), "-q"], capture_output=True, text=True, cwd=tmp_path, env=env,
                          timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert errors == [f"error: {bad}, field 'terminated': episode 'broken', step 1: terminated is 'x'; expected true "
                      "or false"], proc.stderr
    assert bad.read_bytes() == before


def test_track_reads_each_agent_file_once_and_audits_its_episodes(tmp_path):
    """``track`` hands the loaded audit tables back to the audit: they carry their episodes."""
    from synthaudit.analysis.track import track
    from synthaudit.data.agent import as_table

    eset = load_episodes(_cartpole([1]), "mem")
    assert load_episodes(as_table(eset), "again") is eset
    real = jsonl(tmp_path / "real.jsonl", _cartpole([4, 4]))
    gens = [jsonl(tmp_path / "g0.jsonl", _cartpole([3, 5])), jsonl(tmp_path / "g1.jsonl", _cartpole([2, 2, 2]))]
    result = track(gens, real=real, modality="agent", metrics=["agent.sim_steps"])
    # SimSteps per generation: (3 + 5) / 2 = 4, then (2 + 2 + 2) / 3 = 2
    assert [(s["id"], s["values"]) for s in result["series"]] == [("agent.sim_steps", [4.0, 2.0])]
