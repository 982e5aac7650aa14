"""Loading series for a time-series audit (synthaudit.data.timeseries): long, wide and event layouts, irregular
timestamps, unequal lengths, windows, holdout splits, and one clear error per malformed input."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from synthaudit.data.timeseries import (SeriesOptions, as_table, from_frame, load_series, split_holdout,
                                        to_long_frame, windows)
from synthaudit.errors import InputError


def long_frame() -> pd.DataFrame:
    rows = []
    for sid, n in (("a", 5), ("b", 3), ("ü-ß", 4)):
        for t in range(n):
            rows.append({"series_id": sid, "timestamp": t * 10, "x": t + (ord(sid[0]) % 7), "y": 2.0 * t,
                         "region": f"r-{sid}"})
    return pd.DataFrame(rows)


def test_long_layout_groups_sorts_and_keeps_static_attributes():
    s = from_frame(long_frame(), "f.csv", SeriesOptions())
    assert s.ids == ["a", "b", "ü-ß"]
    assert s.channels == ["x", "y"]
    assert s.lengths().tolist() == [5, 3, 4]
    assert s.values[1].shape == (3, 2)
    np.testing.assert_array_equal(s.values[0][:, 1], [0, 2, 4, 6, 8])
    assert list(s.static["region"]) == ["r-a", "r-b", "r-ü-ß"]
    d = s.describe()
    assert d["min_length"] == 3 and d["max_length"] == 5 and not d["equal_lengths"]
    assert d["irregular_series"] == 0


def test_row_order_does_not_matter():
    frame = long_frame()
    a = from_frame(frame, "f", SeriesOptions())
    b = from_frame(frame.sample(frac=1.0, random_state=3).reset_index(drop=True), "f", SeriesOptions())
    assert a.ids == b.ids
    for u, v in zip(a.values, b.values):
        np.testing.assert_array_equal(u, v)


def test_irregular_dates_are_seconds_and_counted(tmp_path):
    frame = pd.DataFrame({"id": ["s"] * 4 + ["t"] * 3,
                          "date": ["2024-01-01", "2024-01-02", "2024-01-05", "2024-01-06",
                                   "2024-02-01", "2024-02-02", "2024-02-03"],
                          "v": [1, 2, 3, 4, 5, 6, 7]})
    path = tmp_path / "irr.csv"
    frame.to_csv(path, index=False)
    s = load_series(str(path), "real")
    assert s.describe()["irregular_series"] == 1
    np.testing.assert_allclose(np.diff(s.times[0]), [86400, 3 * 86400, 86400])


def test_wide_list_field_jsonl_parquet_and_hf(tmp_path):
    recs = [{"id": "u", "values": [[1, 2], [3, 4], [5, 6]], "kind": "k1"},
            {"id": "v", "values": [[7, 8], [9, None]], "kind": "k2"}]
    path = tmp_path / "w.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in recs), encoding="utf-8")
    s = load_series(str(path), "synthetic")
    assert s.layout == "wide" and s.ids == ["u", "v"]
    assert s.channels == ["values_0", "values_1"]
    assert np.isnan(s.values[1][1, 1])
    assert s.describe()["missing_share"] == pytest.approx(1 / 10)
    pq = tmp_path / "long.parquet"
    long_frame().to_parquet(pq)
    assert load_series(str(pq), "real").lengths().tolist() == [5, 3, 4]
    datasets = pytest.importorskip("datasets")
    hf = datasets.Dataset.from_pandas(long_frame())
    assert load_series(hf, "real").ids == ["a", "b", "ü-ß"]


def test_wide_columns_elnino_style_unequal_by_trailing_gaps():
    frame = pd.DataFrame({"YEAR": [1950, 1951], "JAN": [1.0, 2.0], "FEB": [1.5, 2.5], "MAR": [2.0, np.nan]})
    s = from_frame(frame, "elnino", SeriesOptions(layout="wide"))
    assert s.ids == ["1950", "1951"]
    assert s.lengths().tolist() == [3, 2]
    np.testing.assert_array_equal(s.values[1][:, 0], [2.0, 2.5])


def test_statsmodels_series_load():
    sm = pytest.importorskip("statsmodels.api")
    sun = load_series(sm.datasets.sunspots.load_pandas().data, "real")
    assert len(sun) == 1 and sun.lengths()[0] == 309 and sun.channels == ["SUNACTIVITY"]
    macro = sm.datasets.macrodata.load_pandas().data[["realgdp", "realcons", "realinv"]]
    m = load_series(macro, "real")
    assert m.values[0].shape == (203, 3)
    co2 = load_series(sm.datasets.co2.load_pandas().data.reset_index(drop=True), "real")
    assert np.isnan(co2.values[0]).sum() == 59  # missing weeks stay missing
    nile = load_series(sm.datasets.nile.load_pandas().data, "real")  # 'year' is the time field, 'volume' the channel
    assert nile.channels == ["volume"] and nile.lengths().tolist() == [100]
    np.testing.assert_array_equal(nile.values[0][:, 0], sm.datasets.nile.load_pandas().data["volume"].to_numpy())


def test_events_long_and_wide():
    frame = pd.DataFrame({"user_id": [2, 1, 1, 2, 1], "time": [1, 3, 1, 0, 2],
                          "item": ["b", "z", "x", "a", "y"]})
    s = from_frame(frame, "ev", SeriesOptions(event_field="item"))
    assert s.is_events and s.ids == ["1", "2"]
    assert s.events == [["x", "y", "z"], ["a", "b"]]
    wide = pd.DataFrame({"session_id": ["s1", "s2"], "events": ["a b c", '["c", "d"]']})
    w = from_frame(wide, "ev", SeriesOptions(event_field="events"))
    assert w.events == [["a", "b", "c"], ["c", "d"]]
    assert load_series([["a", "b"], ["c"]], "py").events == [["a", "b"], ["c"]]


def test_python_arrays():
    s = load_series([np.zeros((4, 2)), np.ones((3, 2))], "py")
    assert s.channels == ["c0", "c1"] and s.lengths().tolist() == [4, 3]
    s3 = load_series(np.zeros((5, 7, 3)), "py")
    assert len(s3) == 5 and s3.values[0].shape == (7, 3)


def test_windows_and_split_are_order_free():
    s = load_series([np.arange(10.0), np.arange(3.0), np.arange(6.0) * 2], "r")
    w = windows(s, 4, 2)
    assert [i for i in w.ids] == ["0@0", "0@2", "0@4", "0@6", "2@0", "2@2"]
    assert any("shorter than the window" in n for n in w.notes)
    rest, held = split_holdout(w, 0.5)
    assert len(rest) == 3 and len(held) == 3
    rev = w.subset(list(range(len(w)))[::-1])
    rest2, held2 = split_holdout(rev, 0.5)
    assert sorted(held.ids) == sorted(held2.ids)
    with pytest.raises(InputError, match="window"):
        windows(s, 50)


def test_audit_table_and_long_roundtrip():
    s = from_frame(long_frame(), "f", SeriesOptions())
    t = as_table(s).frame()
    assert list(t["series_id"]) == s.ids and list(t["length"]) == [5, 3, 4]
    back = from_frame(to_long_frame(s), "back", SeriesOptions(static_fields=()))
    for u, v in zip(s.values, back.values):
        np.testing.assert_array_equal(u, v)


@pytest.mark.parametrize("change, match", [
    (lambda f: f.assign(x=f["x"].astype(object).where(f.index != 4, "oops")), "row 5.*x|x.*row 5"),
    (lambda f: f.assign(timestamp=f["timestamp"].where(f.index != 1, 0)), "same time"),
    (lambda f: f.assign(y=f["y"].where(f.index != 2, np.inf)), "infinite"),
    (lambda f: f.assign(timestamp=f["timestamp"].astype(object).where(f.index != 3, "not a date")), "not a time"),
])
def test_bad_long_input_names_row_and_field(change, match):
    with pytest.raises(InputError, match=match) as err:
        from_frame(change(long_frame()), "bad.csv", SeriesOptions())
    assert "bad.csv" in str(err.value)


def test_bad_options_and_empty(tmp_path):
    with pytest.raises(InputError, match="no field 'nope'"):
        from_frame(long_frame(), "f", SeriesOptions(id_field="nope"))
    with pytest.raises(InputError, match="no numeric channel"):
        from_frame(pd.DataFrame({"id": ["a"], "t": [1], "s": ["x"]}), "f", SeriesOptions())
    empty = tmp_path / "e.csv"
    empty.write_text("id,t,x\n", encoding="utf-8")
    with pytest.raises(InputError, match="no rows"):
        load_series(str(empty), "real")
    with pytest.raises(InputError, match="channels"):
        load_series([np.zeros((3, 2)), np.zeros((3, 3))], "py")
    with pytest.raises(InputError, match="layout"):
        SeriesOptions(layout="diagonal")
