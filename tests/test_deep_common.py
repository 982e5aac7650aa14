"""What the deep tabular generators share (synthaudit.generate.deep.common; issue #20): the table layout round trip,
its JSON form, the saved-model format and its errors, the loss log and the deterministic block."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from synthaudit.errors import InputError
from synthaudit.generate.deep.common import TableLayout, TrainLog, deterministic, load_model, save_model

torch = pytest.importorskip("torch")


@pytest.fixture()
def awkward() -> pd.DataFrame:
    """Every kind of column a real table brings: missing numbers, missing categories, datetimes with a gap,
    integers, booleans, unicode categories, a constant."""
    return pd.DataFrame({
        "size": [1.5, np.nan, 3.25, -2.0, np.nan, 10.0, 0.125, 7.0],
        "count": np.array([3, 0, 7, 7, 1, 12, 40, 5], dtype=np.int64),
        "count_gappy": [1.0, 2.0, np.nan, 4.0, 5.0, 6.0, 9.0, 11.0],
        "level": np.array([1, 2, 3, 1, 1, 2, 3, 3], dtype=np.int64),  # few integers: inferred categorical
        "colour": ["red", np.nan, "green", "red", "blue", np.nan, "red", "green"],
        "city": ["Zürich", "東京", "São Paulo", "Zürich", "🙂 city", "東京", "Zürich", "Zürich"],
        "flag": [True, False, True, True, False, False, True, True],
        "when": pd.to_datetime(["2021-01-01 00:00:00", "2021-03-04 05:06:07", None, "2020-12-31 23:59:59",
                                "2022-06-30 12:00:00", "2021-01-01 00:00:00", None, "2021-01-02 00:00:00"]
                               ).as_unit("ns"),
        "constant": ["same"] * 8,
    })


def test_round_trip_restores_every_value_and_dtype(awkward):
    layout = TableLayout.fit(awkward)
    num, codes = layout.encode(awkward)
    back = layout.decode(num, codes)
    pd.testing.assert_frame_equal(back, awkward, check_dtype=True)
    # the encoding itself: numbers with their gaps filled by the median, one indicator category per gappy column
    names = [c.name for c in layout.numeric]
    assert names == ["size", "count", "count_gappy", "when"]
    j = names.index("size")
    assert num[1, j] == num[4, j] == np.median([1.5, 3.25, -2.0, 10.0, 0.125, 7.0])
    indicators = {c.indicator_of: c.name for c in layout.categorical if c.indicator_of}
    assert indicators == {"size": "size (missing)", "count_gappy": "count_gappy (missing)", "when": "when (missing)"}
    k = [c.name for c in layout.categorical].index("size (missing)")
    assert codes[:, k].tolist() == [0, 1, 0, 0, 1, 0, 0, 0]
    colour = next(c for c in layout.categorical if c.name == "colour")
    assert colour.categories == ["red", "green", "blue", None]  # first appearance; missing is a category
    level = next(c for c in layout.categorical if c.name == "level")
    assert level.categories == [1, 2, 3] and level.dtype == "int64"  # decoded back to int64, not objects


def test_decode_clips_rounds_and_marks_missing(awkward):
    layout = TableLayout.fit(awkward)
    num, codes = layout.encode(awkward)
    num = num.copy()
    names = [c.name for c in layout.numeric]
    num[:, names.index("size")] = [-100.0, 0.0, 100.0, 1.0, 2.0, 3.0, 4.0, 5.0]
    num[:, names.index("count")] = [-5.0, 2.4, 2.6, 99.0, 6.5, 7.49, 7.5, 8.5]
    out = layout.decode(num, codes)
    assert out["size"].iloc[[0, 2]].tolist() == [-2.0, 10.0]  # clipped to the training range
    assert out["size"].isna().tolist() == awkward["size"].isna().tolist()  # the indicator says where
    assert out["count"].tolist() == [0, 2, 3, 40, 6, 7, 8, 8]  # clipped, then rounded half to even
    assert out["count"].dtype == np.int64


def test_json_round_trip(awkward):
    layout = TableLayout.fit(awkward)
    text = json.dumps(layout.to_json())  # plain JSON: no numpy scalars, no timestamps
    again = TableLayout.from_json(json.loads(text))
    assert again == layout
    num, codes = again.encode(awkward)
    pd.testing.assert_frame_equal(again.decode(num, codes), awkward)


def test_unseen_category_names_the_column(awkward):
    layout = TableLayout.fit(awkward)
    new = awkward.copy()
    new.loc[2, "city"] = "Atlantis"
    with pytest.raises(InputError) as err:
        layout.encode(new)
    assert err.value.field == "city" and "'Atlantis'" in str(err.value)


def test_empty_table_is_an_input_error():
    with pytest.raises(InputError, match="no rows"):
        TableLayout.fit(pd.DataFrame({"a": []}))


def test_save_and_load_model(tmp_path):
    tensors = {"w": torch.arange(6, dtype=torch.float32).reshape(2, 3), "q": torch.tensor([0.1, 1e-300],
                                                                                           dtype=torch.float64)}
    folder = save_model(tmp_path / "m", "toy", tensors, {"layers": [4, 5], "name": "Zürich"})
    assert sorted(p.name for p in folder.iterdir()) == ["config.json", "model.safetensors"]
    got, config = load_model(folder, "toy")
    assert set(got) == {"w", "q"}
    assert torch.equal(got["w"], tensors["w"]) and torch.equal(got["q"], tensors["q"])  # exact, dtypes kept
    assert config["layers"] == [4, 5] and config["name"] == "Zürich" and config["kind"] == "toy"


def test_load_model_errors(tmp_path):
    folder = save_model(tmp_path / "m", "toy", {"w": torch.zeros(2)}, {})
    with pytest.raises(InputError, match="is not a saved other model") as err:
        load_model(folder, "other")
    assert "'toy'" in str(err.value) and err.value.file.endswith("config.json")
    with pytest.raises(InputError, match="not found") as err:
        load_model(tmp_path / "nowhere", "toy")
    assert err.value.file.endswith("config.json")
    (folder / "model.safetensors").unlink()
    with pytest.raises(InputError, match="not found") as err:
        load_model(folder, "toy")
    assert err.value.file.endswith("model.safetensors")
    folder = save_model(tmp_path / "n", "toy", {"w": torch.zeros(2)}, {})
    (folder / "config.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(InputError, match="is not JSON"):
        load_model(folder, "toy")
    (folder / "config.json").write_text('["a list"]', encoding="utf-8")
    with pytest.raises(InputError, match="is not a saved toy model"):
        load_model(folder, "toy")
    folder = save_model(tmp_path / "c", "toy", {"w": torch.zeros(2)}, {})
    (folder / "model.safetensors").write_bytes(b"not safetensors")
    with pytest.raises(InputError, match="cannot read the weights"):
        load_model(folder, "toy")


def test_train_log_writes_csv_and_svg(tmp_path):
    log = TrainLog()
    for epoch, loss in enumerate([2.0, 1.5, 1.25], start=1):
        log.record(epoch, loss=loss, other=np.float32(loss / 2))
    paths = log.write(tmp_path / "out")
    assert [p.name for p in paths] == ["losses.csv", "loss_curve.svg"]
    frame = pd.read_csv(paths[0])
    assert frame.to_dict("list") == {"epoch": [1, 2, 3], "loss": [2.0, 1.5, 1.25], "other": [1.0, 0.75, 0.625]}
    assert paths[1].read_text(encoding="utf-8").lstrip().startswith("<?xml")


def test_deterministic_repeats_and_restores_state():
    before = torch.get_rng_state()
    flag = torch.are_deterministic_algorithms_enabled()
    with deterministic(7) as g:
        a = torch.randn(3, generator=g), torch.randn(3)
        assert torch.are_deterministic_algorithms_enabled()
    with deterministic(7) as g:
        b = torch.randn(3, generator=g), torch.randn(3)
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    assert torch.equal(torch.get_rng_state(), before) and torch.are_deterministic_algorithms_enabled() == flag


def test_an_identifier_column_is_one_clear_error_naming_it():
    from synthaudit.errors import UsageError
    from synthaudit.generate.deep.common import MAX_CATEGORIES

    frame = pd.DataFrame({"customer": [f"c{i}" for i in range(MAX_CATEGORIES + 1)],
                          "x": np.arange(MAX_CATEGORIES + 1, dtype=float)})
    with pytest.raises(UsageError, match="'customer' has 1,001 distinct values") as info:
        TableLayout.fit(frame)
    assert info.value.field == "customer"
    TableLayout.fit(frame.iloc[:MAX_CATEGORIES])  # at the limit: fine
