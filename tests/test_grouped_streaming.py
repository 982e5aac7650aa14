"""Streaming the long layouts (issue #13): rows of a record (a series' time steps, an episode's steps) joined again
across file batches by ``synthaudit.data.grouped``, and time-series and agent audits read in batches that give
exactly the in-memory audit's values for the metrics that stream, without ever holding the streamed file."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import synthaudit
from synthaudit.data.grouped import group_batches, id_keys
from synthaudit.data.tabular import Table
from synthaudit.errors import InputError


def _frames(*batches: list[str]) -> list[pd.DataFrame]:
    """Batches of rows with the group id in 'k' and the row's position in the file in 'n'."""
    out, n = [], 0
    for keys in batches:
        out.append(pd.DataFrame({"k": keys, "n": range(n, n + len(keys))}, dtype=object))
        n += len(keys)
    return out


def _group(batches: list[pd.DataFrame], size: int) -> list[list[tuple[str, list[int]]]]:
    """Each yielded batch as [(id, file positions of its rows)], checked against the batch's own bookkeeping."""
    out = []
    for part in group_batches(batches, id_keys("k", str, "series", "f.csv"), size=size, label="f.csv", field="k"):
        assert part.first_row == part.rows["n"].iloc[0]
        groups = []
        for (a, b), key in zip(part.bounds(), part.keys[part.starts]):
            assert set(part.rows["k"].iloc[a:b]) == {key}
            groups.append((key, part.rows["n"].iloc[a:b].tolist()))
        out.append(groups)
    return out


def test_a_group_split_over_three_batches_is_one_group():
    # 'a' spans batches 1-3 (rows 0-4), 'b' starts in batch 3 and ends in batch 4, 'c' is the last
    got = _group(_frames(["a", "a"], ["a", "a"], ["a", "b"], ["b", "c"]), size=1)
    assert got == [[("a", [0, 1, 2, 3, 4])], [("b", [5, 6])], [("c", [7])]]
    # two groups per batch: a and b together, c alone at the end
    assert _group(_frames(["a", "a"], ["a", "a"], ["a", "b"], ["b", "c"]), size=2) == \
        [[("a", [0, 1, 2, 3, 4]), ("b", [5, 6])], [("c", [7])]]
    # many groups in one batch come out size at a time, the group the batch ends in waits for the next batch
    assert _group(_frames(["a", "b", "c", "d", "e"], ["e", "f"]), size=2) == \
        [[("a", [0]), ("b", [1])], [("c", [2]), ("d", [3])], [("e", [4, 5]), ("f", [6])]]


def test_empty_batches_and_unicode_ids():
    batches = [pd.DataFrame({"k": [], "n": []}, dtype=object), *_frames(["é", "é"], []),
               pd.DataFrame({"k": ["é", "🙂-β"], "n": [2, 3]}, dtype=object), *_frames([])]
    assert _group(batches, size=5) == [[("é", [0, 1, 2]), ("🙂-β", [3])]]
    assert list(group_batches([], id_keys("k", str, "series", "f"), size=3, label="f", field="k")) == []


def test_an_id_that_comes_back_is_one_error_naming_file_row_and_id():
    with pytest.raises(InputError) as err:
        _group(_frames(["a", "a"], ["b", "ü"], ["ü", "a"]), size=1)
    e = err.value
    # 'a' (rows 1-2) comes back at file row 6 (1-based), after 'b' and 'ü'
    assert e.file == "f.csv" and e.row == 6 and e.field == "k"
    assert "'a'" in e.message and "row 1" in e.message and "sort" in e.hint and "--stream" in e.hint
    with pytest.raises(InputError) as err:  # within one batch too
        _group(_frames(["x", "y", "x"]), size=9)
    assert err.value.row == 3
    with pytest.raises(InputError) as err:  # a row without an id names its row
        _group([pd.DataFrame({"k": ["a", None], "n": [0, 1]}, dtype=object)], size=1)
    assert err.value.row == 2 and "no series id" in err.value.message


# ------------------------------------------------------------------------------------------------ time series


def _series(n: int, phi: float, seed: int) -> list[np.ndarray]:
    """AR(1) series of two channels and unequal lengths (25 to 29 steps)."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        x = np.zeros((25 + i % 5, 2))
        for t in range(1, len(x)):
            x[t] = phi * x[t - 1] + rng.normal(size=2)
        out.append(x)
    return out


@pytest.fixture(scope="module")
def series_files(tmp_path_factory) -> dict[str, Path]:
    """Long-layout CSV files: rows of a series together, series ids not in text order, rows of a series shuffled in
    time (the loader sorts them by time within a series); and a copy whose series are interleaved."""
    from synthaudit.data.timeseries import from_arrays, to_long_frame

    root = tmp_path_factory.mktemp("series")
    out = {}
    for name, (n, phi, seed) in {"real": (9, 0.8, 1), "syn": (7, 0.3, 2)}.items():
        long = to_long_frame(from_arrays(_series(n, phi, seed), ["a", "b"], prefix=name))
        order = np.random.default_rng(seed).permutation(n)
        parts = [long[long.series_id == f"{name}-{i}"].sample(frac=1.0, random_state=int(i)) for i in order]
        pd.concat(parts).to_csv(root / f"{name}.csv", index=False)
        out[name] = root / f"{name}.csv"
    pd.read_csv(out["syn"]).sort_values("t", kind="stable").to_csv(root / "interleaved.csv", index=False)
    out["interleaved"] = root / "interleaved.csv"
    return out


TS_STREAMING = ["timeseries.acf_distance", "timeseries.cross_corr_diff"]
TS_GLOBAL = ["timeseries.marginal_ks", "timeseries.ext.length_similarity", "timeseries.ext.spectral_distance",
             "timeseries.dcr"]


def _same(whole, streamed, ids) -> None:
    """The same status and value (to rounding: sums grouped by batch) for every metric, the same gaps."""
    ran = {m.id: m for m in whole.metrics}
    assert set(ran) == {m.id for m in streamed.metrics} and set(ran) & set(ids), ids
    for mid, m in ran.items():
        s = streamed.result(mid)
        assert s.status == m.status == "ok", (mid, s.error)
        assert (s.value is None) == (m.value is None), mid
        if m.value is not None:
            assert s.value == pytest.approx(m.value, rel=1e-12, abs=1e-14), mid
    assert {g.id: g.kind for g in whole.gaps} == {g.id: g.kind for g in streamed.gaps}


def _same_rows(a: list[dict], b: list[dict]) -> None:
    """Breakdown rows equal field by field, numbers to rounding."""
    assert len(a) == len(b)
    for ra, rb in zip(a, b):
        assert ra.keys() == rb.keys()
        for k in ra:
            if isinstance(ra[k], float):
                assert ra[k] == pytest.approx(rb[k], rel=1e-12, abs=1e-14), k
            else:
                assert ra[k] == rb[k], k


@pytest.mark.parametrize("options", [{}, {"window": 8, "stride": 4}], ids=["series", "windows"])
def test_streamed_timeseries_equal_the_in_memory_audit(series_files, options):
    common = dict(synthetic=series_files["syn"], real=series_files["real"], holdout=series_files["real"],
                  metrics=TS_STREAMING + TS_GLOBAL, **options)
    whole = synthaudit.audit("timeseries", **common)
    # 2 series per batch: every series of 25-29 rows is split over file batches of 2 rows; the sample of the global
    # metrics holds every series here (fewer than its size), so they agree too
    streamed = synthaudit.audit("timeseries", **common, stream=True, batch_size=2)
    _same(whole, streamed, TS_STREAMING)
    n = 7 if not options else sum(len(range(0, 25 + i % 5 - 8 + 1, 4)) for i in range(7))
    assert streamed.data_summary["synthetic"]["series"] == whole.data_summary["synthetic"]["series"] == n
    for side in ("synthetic", "real"):  # lengths (their median from counts), channels, ... added up batch by batch
        assert {k: v for k, v in streamed.data_summary[side].items() if k != "streamed"} == whole.data_summary[side]
    assert {i.role: i.rows for i in streamed.inputs}["synthetic"] == n
    _same_rows(streamed.result("timeseries.acf_distance").breakdown, whole.result("timeseries.acf_distance").breakdown)


def test_streamed_timeseries_never_hold_the_synthetic_file(series_files, monkeypatch):
    label = str(series_files["syn"])
    frame = Table.frame

    def refuse(self):
        assert self.label != label, "the streamed synthetic table was materialised"
        return frame(self)

    whole = synthaudit.audit("timeseries", synthetic=series_files["syn"], real=series_files["real"],
                             metrics=TS_STREAMING)
    monkeypatch.setattr(Table, "frame", refuse)
    streamed = synthaudit.audit("timeseries", synthetic=series_files["syn"], real=series_files["real"],
                                metrics=TS_STREAMING, stream=True, batch_size=3)
    _same(whole, streamed, TS_STREAMING)


def test_streamed_series_must_be_grouped_by_id(series_files):
    inter = pd.read_csv(series_files["interleaved"])
    # row 2 (1-based) starts the second series; the first series' id comes back at row 1 + number of series
    n_series = inter.series_id.nunique()
    with pytest.raises(InputError) as err:
        synthaudit.audit("timeseries", synthetic=series_files["interleaved"], real=series_files["real"],
                         metrics=TS_STREAMING, stream=True, batch_size=4)
    e = err.value
    assert e.file == str(series_files["interleaved"]) and e.field == "series_id" and e.row == n_series + 1
    assert repr(inter.series_id.iloc[0]) in e.message and "--stream" in e.hint
    # in memory the same file is fine
    synthaudit.audit("timeseries", synthetic=series_files["interleaved"], real=series_files["real"],
                     metrics=TS_STREAMING)


def test_streamed_holdout_share_splits_only_the_sample_and_says_so(series_files):
    rep = synthaudit.audit("timeseries", synthetic=series_files["syn"], real=series_files["real"],
                           holdout_share=0.3, metrics=["timeseries.acf_distance", "timeseries.dcr"], stream=True,
                           batch_size=3)
    assert any("--holdout-share" in w and "sample" in w for w in rep.warnings)
    whole = synthaudit.audit("timeseries", synthetic=series_files["syn"], real=series_files["real"],
                             holdout_share=0.3, metrics=["timeseries.dcr"])
    # every real series is in the sample: the split of the sample is the split of all series
    assert rep.value("timeseries.dcr") == pytest.approx(whole.value("timeseries.dcr"), rel=1e-12)


# ------------------------------------------------------------------------------------------------ agent


def _write_jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


def _hand_made() -> list[dict]:
    """Episodes for the offline metrics: goals (two agents), rewards, recorded driving telemetry, an empty one."""
    def state(t: int, speed: float, lane: int, crashed: bool = False) -> dict:
        return {"ego": {"x": 10.0 * t, "y": 4.0 * lane, "vx": speed, "vy": 0.0, "heading": 0.0, "lane": lane,
                        "crashed": crashed, "speed_limit": 18, "lane_offset": 0.5 * (t % 2)},
                "others": [{"id": "lead", "x": 10.0 * t + 30 - 2 * t, "y": 0.0, "vx": speed - 2, "vy": 0.0,
                            "lane": 0}]}

    return [
        {"episode_id": "collab-ü", "steps": [
            {"agent": "robot", "reward": 1, "info": {"door": 0, "cup": 0}},
            {"agent": "human", "reward": 0, "info": {"door": 1, "cup": 0}},
            {"agent": "robot", "reward": 2, "info": {"door": 1, "cup": 1}}],
         "goal": [{"id": "door", "expr": "door == 1"}, {"id": "cup", "expr": "cup == 1", "after": ["door"]}]},
        {"episode_id": "drive-1", "dt": 0.5, "route_length": 60, "success": True, "steps": [
            {"action": 1, "reward": 0.5, "state": state(t, 20 - 3 * t, 0 if t < 3 else 1)} for t in range(6)]},
        {"episode_id": "idle", "steps": [{"agent": "robot", "info": {"door": 0, "cup": 0}}],
         "goal": ["door == 1"]},
        {"episode_id": "drive-2", "dt": 0.5, "route_length": 60, "success": False, "steps": [
            {"action": 0, "reward": -1, "state": state(t, 12, 0, crashed=t >= 3)} for t in range(5)]},
        {"episode_id": "empty", "steps": []},
    ]


def _per_step(episodes: list[dict]) -> list[dict]:
    """The step layout: one record per step (episode fields on its first step), steps of an episode together but
    in reverse order (the step index orders them)."""
    out = []
    for e in episodes:
        head = {k: v for k, v in e.items() if k != "steps"}
        rows = [{"episode_id": e["episode_id"], "step": t, **s} for t, s in enumerate(e["steps"])]
        if rows:
            rows[0] = {**head, **rows[0]}
            out += rows[::-1]
    return out


AGENT_OFFLINE = ["agent.percent_complete", "agent.sr_valid", "agent.offloading", "agent.sim_steps",
                 "agent.discounted_return", "agent.sr_eval", "agent.jerk_rms", "agent.hard_brake_rate",
                 "agent.avg_acceleration", "agent.min_ttc", "agent.mdc", "agent.rvr", "agent.rvr_per_type",
                 "agent.route_incompleteness", "agent.collision_rate", "agent.overall_score", "agent.safety_sat"]


@pytest.mark.parametrize("layout", ["episodes", "steps"])
def test_streamed_agent_files_equal_the_in_memory_audit(tmp_path, layout):
    episodes = _hand_made()
    path = _write_jsonl(tmp_path / f"{layout}.jsonl", episodes if layout == "episodes" else _per_step(episodes))
    common = dict(synthetic=str(path), metrics=AGENT_OFFLINE, temporal_spec={"slow": "G (speed <= 25)"})
    whole = synthaudit.audit("agent", **common)
    streamed = synthaudit.audit("agent", **common, stream=True, batch_size=2)
    _same(whole, streamed, AGENT_OFFLINE)
    for mid in ("agent.sim_steps", "agent.sr_eval"):  # secondary values kept in the streamed state
        assert streamed.result(mid).secondary == pytest.approx(whole.result(mid).secondary)
    _same_rows(streamed.result("agent.rvr_per_type").breakdown, whole.result("agent.rvr_per_type").breakdown)
    summary = {k: v for k, v in streamed.data_summary["synthetic"].items() if k != "streamed"}
    assert summary == whole.data_summary["synthetic"]
    assert summary["episodes"] == (5 if layout == "episodes" else 4)  # the step layout has no empty episode


def test_streamed_replay_runs_batch_by_batch_and_never_holds_the_file(tmp_path, monkeypatch):
    """Tool-call trajectories replayed against their registry: the same ExecRate, hazard scores and replay
    failures; each replay call gets one batch of episodes; the synthetic table is never materialised."""
    import synthaudit.envs.replay as replay
    from synthaudit.generate.agent.toolcalls import write_tool_dataset

    eps, tools = write_tool_dataset(tmp_path / "tools", 10, seed=0, variant="flawed")
    metrics = ["agent.exec_rate", "agent.hazard_rejection", "agent.hazard_risk", "agent.sim_steps"]
    whole = synthaudit.audit("agent", synthetic=str(eps), tools=str(tools), metrics=metrics)
    calls: list[int] = []
    real_replay = replay.replay_episodes

    def counting(episodes, *args, **kwargs):
        calls.append(len(episodes))
        return real_replay(episodes, *args, **kwargs)

    frame = Table.frame

    def refuse(self):
        assert self.label != str(eps), "the streamed synthetic table was materialised"
        return frame(self)

    monkeypatch.setattr(replay, "replay_episodes", counting)
    monkeypatch.setattr(Table, "frame", refuse)
    streamed = synthaudit.audit("agent", synthetic=str(eps), tools=str(tools), metrics=metrics, stream=True,
                                batch_size=3)
    _same(whole, streamed, metrics)
    assert calls == [3, 3, 3, 1]  # 10 episodes, 3 per batch, each replayed once
    a, b = whole.result("agent.exec_rate"), streamed.result("agent.exec_rate")
    assert a.notes["failed_replays"] == b.notes["failed_replays"] and a.breakdown == b.breakdown
    assert streamed.result("agent.hazard_rejection").secondary == whole.result("agent.hazard_rejection").secondary


def test_streamed_highway_rollouts_replay_to_the_same_values(tmp_path):
    pytest.importorskip("highway_env")
    from synthaudit.envs.highway import DEFAULT_CONFIG
    from synthaudit.generate.agent import record_episodes, write_episodes

    path = write_episodes(tmp_path / "drives.jsonl",
                          record_episodes(3, "tailgating", seed=0, config={**DEFAULT_CONFIG, "duration": 2}))
    metrics = ["agent.exec_rate", "agent.min_ttc", "agent.hard_brake_rate", "agent.collision_rate", "agent.sr_eval"]
    whole = synthaudit.audit("agent", synthetic=str(path), metrics=metrics)
    streamed = synthaudit.audit("agent", synthetic=str(path), metrics=metrics, stream=True, batch_size=2)
    _same(whole, streamed, metrics)
    assert whole.result("agent.exec_rate").notes["actions"] == streamed.result("agent.exec_rate").notes["actions"] > 0


def test_streamed_steps_of_an_episode_must_be_together(tmp_path):
    rows = _per_step(_hand_made())
    first = rows[0]["episode_id"]
    n_first = sum(r["episode_id"] == first for r in rows)
    moved = rows[1:n_first] + rows[n_first:n_first + 2] + rows[:1] + rows[n_first + 2:]
    path = _write_jsonl(tmp_path / "split.jsonl", moved)
    with pytest.raises(InputError) as err:
        synthaudit.audit("agent", synthetic=str(path), metrics=["agent.sim_steps"], stream=True, batch_size=2)
    # the first episode's rows 1..n-1 come first, two rows of the next episode, then its last row: row n + 2
    e = err.value
    assert e.file == str(path) and e.row == n_first + 2 and e.field == "episode_id" and repr(first) in e.message
    assert synthaudit.audit("agent", synthetic=str(path), metrics=["agent.sim_steps"]).value("agent.sim_steps")


def test_shared_replays_are_kept_for_one_batch_of_a_streamed_role():
    from synthaudit.data.agent import Episode
    from synthaudit.metrics.agent.common import _Shared

    e = [Episode(episode_id=f"e{i}", steps=[]) for i in range(3)]
    streamed = _Shared()
    streamed.enter([0, 1], e[:2], streamed=True)
    assert streamed.pending == {0: e[0], 1: e[1]}  # replayed together when a metric first asks
    streamed.values[("replay", 0)] = "r0"
    streamed.enter([0, 1], e[:2], streamed=True)  # the next metric, same batch: kept
    assert streamed.values == {("replay", 0): "r0"}
    streamed.enter([2], e[2:], streamed=True)  # the next batch: the last one's are dropped
    assert streamed.values == {} and streamed.pending == {2: e[2]}
    whole = _Shared()
    whole.enter([0, 1], e[:2], streamed=False)
    whole.values[("telemetry", 0)] = "t0"
    whole.enter([2], e[2:], streamed=False)  # in memory: kept for the audit
    assert whole.values == {("telemetry", 0): "t0"} and set(whole.pending) == {0, 1, 2}


def test_a_streamed_episode_id_used_twice_names_both_records(tmp_path):
    episodes = _hand_made()
    path = _write_jsonl(tmp_path / "twice.jsonl", [*episodes, {**episodes[1], "success": False}])
    with pytest.raises(InputError) as err:
        synthaudit.audit("agent", synthetic=str(path), metrics=["agent.sim_steps"], stream=True, batch_size=2)
    assert err.value.row == 6 and "records 2 and 6" in err.value.message and "drive-1" in err.value.message


def test_series_summary_added_up_in_parts_equals_the_whole_description():
    from synthaudit.data.timeseries import SeriesSummary, from_arrays

    rng = np.random.default_rng(3)
    arrays = [rng.normal(size=(n, 2)) for n in (3, 10, 5, 8, 5, 12)]
    arrays[1][4, 0] = np.nan
    whole = from_arrays(arrays, ["a", "b"])
    parts = SeriesSummary(whole.layout, whole.channels, False)
    for lo, hi in ((0, 1), (1, 4), (4, 6)):
        parts.add(whole.subset(range(lo, hi)))
    # 6 lengths: the median is the mean of the middle two, (5 + 8) / 2; one missing cell of 2 x 43
    assert parts.describe() == whole.describe()
    assert parts.describe()["median_length"] == np.median([3, 10, 5, 8, 5, 12]) == 6.5
    assert parts.describe()["missing_share"] == pytest.approx(1 / 86)
