"""Loading tables through the Python API: file formats, type inference, spec files, categorical
canonicalisation, streaming, and that inputs are never modified."""
from __future__ import annotations

import copy
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import synthaudit
from synthaudit.data import files
from synthaudit.data.tabular import ColumnType, Table, canonical_category, infer_column, infer_spec
from synthaudit.data.tabular_inputs import prepare_tabular
from synthaudit.errors import InputError, SpecError

IMPLEMENTED = ["tabular.kst", "tabular.tvd", "tabular.pearson_score", "tabular.contingency_score", "tabular.chi2"]
STREAMABLE = ["tabular.tvd", "tabular.chi2", "tabular.pearson_score", "tabular.contingency_score"]


@pytest.fixture(scope="module")
def wine_pair() -> tuple[pd.DataFrame, pd.DataFrame]:
    """(real, synthetic): scikit-learn's wine table with a text and an integer-coded categorical column,
    and a noisy resample of it."""
    from sklearn.datasets import load_wine

    wine = load_wine(as_frame=True).frame
    real = wine[["alcohol", "malic_acid", "ash", "color_intensity", "proline"]].copy()
    real["cultivar"] = np.array(["barolo", "grignolino", "barbera"])[wine["target"].to_numpy()]
    real["quality"] = (wine["hue"].rank(method="first") * 4 // (len(wine) + 1)).astype("int64") + 1  # 1..4
    rng = np.random.default_rng(11)
    syn = real.sample(n=len(real), replace=True, random_state=5).reset_index(drop=True)
    for col in ("alcohol", "malic_acid", "ash", "color_intensity"):
        syn[col] = syn[col] + rng.normal(0, 0.2 * real[col].std(), len(syn))
    flip = rng.random(len(syn)) < 0.15
    syn.loc[flip, "cultivar"] = rng.choice(["barolo", "grignolino", "barbera"], flip.sum())
    return real, syn


def values(report, ids=IMPLEMENTED) -> dict[str, float]:
    out = {i: report.value(i) for i in ids}
    assert all(v is not None and np.isfinite(v) for v in out.values()), out
    return out


def assert_same_values(a: dict[str, float], b: dict[str, float], tol: float = 1e-12) -> None:
    assert a.keys() == b.keys()
    for k in a:
        assert abs(a[k] - b[k]) <= tol, (k, a[k], b[k])


# -- the same table in every format gives the same values -------------------------------------------

def _write(frame: pd.DataFrame, path: Path) -> Path:
    kind = path.suffix
    if kind == ".csv":
        frame.to_csv(path, index=False)
    elif kind == ".tsv":
        frame.to_csv(path, index=False, sep="\t")
    elif kind == ".parquet":
        frame.to_parquet(path, index=False)
    else:  # JSON via the json module: Python's float repr round-trips exactly (pandas' to_json rounds)
        records = [{k: (v.item() if hasattr(v, "item") else v) for k, v in row.items()}
                   for row in frame.to_dict(orient="records")]
        if kind == ".jsonl":
            path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
        else:
            path.write_text(json.dumps(records), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def frame_values(wine_pair) -> dict[str, float]:
    real, syn = wine_pair
    return values(synthaudit.audit("tabular", synthetic=syn, real=real))


@pytest.mark.parametrize("ext", [".csv", ".tsv", ".parquet", ".jsonl", ".json"])
def test_every_format_gives_the_dataframe_values(tmp_path, wine_pair, frame_values, ext):
    real, syn = wine_pair
    syn_path = _write(syn, tmp_path / f"synthetic{ext}")
    real_path = _write(real, tmp_path / f"real{ext}")
    report = synthaudit.audit("tabular", synthetic=syn_path, real=real_path)
    assert {i["role"]: i["format"] for i in report.model_dump()["inputs"]}["synthetic"] == ext[1:]
    assert report.columns == synthaudit.audit("tabular", synthetic=syn, real=real, metrics=["tabular.tvd"]).columns
    assert_same_values(values(report), frame_values)
    assert not report.warnings


@pytest.mark.parametrize("suffix", [".csv.gz", ".csv.bz2", ".csv.xz", ".csv.zip", ".jsonl.gz", ".json.bz2"])
def test_compressed_files_read_like_plain_ones(tmp_path, wine_pair, frame_values, suffix):
    """Semicolon-delimited inside the compression: the header must be read decompressed to detect it."""
    real, syn = wine_pair
    plain = tmp_path / f"synthetic.{suffix.split('.')[1]}"
    if plain.suffix == ".csv":
        syn.to_csv(plain, index=False, sep=";")
    else:
        _write(syn, plain)
    packed = tmp_path / f"synthetic{suffix}"
    if suffix.endswith(".zip"):
        import zipfile

        with zipfile.ZipFile(packed, "w") as zf:
            zf.write(plain, plain.name)
    else:
        import bz2
        import gzip
        import lzma

        opener = {".gz": gzip.open, ".bz2": bz2.open, ".xz": lzma.open}[Path(suffix).suffix]
        with opener(packed, "wb") as fh:
            fh.write(plain.read_bytes())
    report = synthaudit.audit("tabular", synthetic=packed, real=real)
    assert_same_values(values(report), frame_values)


def test_corrupt_compressed_file_is_an_input_error(tmp_path, wine_pair):
    import gzip

    real, syn = wine_pair
    whole = gzip.compress(syn.to_csv(index=False).encode())
    (tmp_path / "truncated.csv.gz").write_bytes(whole[: len(whole) // 2])
    (tmp_path / "not_gzip.csv.gz").write_bytes(syn.to_csv(index=False).encode())
    for name in ("truncated.csv.gz", "not_gzip.csv.gz"):
        with pytest.raises(InputError) as info:
            synthaudit.audit("tabular", synthetic=tmp_path / name, real=real)
        assert info.value.file == str(tmp_path / name) and "cannot read" in str(info.value)


def test_streamed_json_lines_with_absent_keys(tmp_path, wine_pair):
    """Records may leave keys out (missing values), so a batch of JSON Lines may lack a column entirely."""
    real, syn = wine_pair
    records = [{k: (v.item() if hasattr(v, "item") else v) for k, v in r.items()} for r in syn.to_dict("records")]
    for r in records[:20]:
        del r["ash"]
    path = tmp_path / "synthetic.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    whole = synthaudit.audit("tabular", synthetic=path, real=real)
    streamed = synthaudit.audit("tabular", synthetic=path, real=real, stream=True, batch_size=7)
    assert {m.status for m in streamed.metrics} == {"ok"}
    assert_same_values(values(whole, STREAMABLE), values(streamed, STREAMABLE))
    assert whole.value("tabular.kst") == streamed.value("tabular.kst")


def test_nested_json_values_are_categories(tmp_path):
    """Objects and arrays in JSON / JSON Lines / Parquet cells are compared as their JSON text."""
    rng = np.random.default_rng(8)
    records = [{"x": float(rng.normal()), "meta": {"kind": ["a", "b", "c"][i % 3], "v": i % 2},
                "tags": ["t", str(i % 4)]} for i in range(60)]
    frame = pd.DataFrame(records)
    before = copy.deepcopy(frame)
    (tmp_path / "real.json").write_text(json.dumps(records), encoding="utf-8")
    (tmp_path / "syn.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    frame.to_parquet(tmp_path / "syn.parquet")
    for synthetic in (tmp_path / "syn.jsonl", tmp_path / "syn.parquet", frame):
        report = synthaudit.audit("tabular", synthetic=synthetic, real=tmp_path / "real.json",
                                  metrics=["tabular.tvd", "tabular.chi2"])
        assert report.columns["meta"]["type"] == "categorical" and report.columns["tags"]["type"] == "categorical"
        assert report.value("tabular.tvd") == 0.0
    pd.testing.assert_frame_equal(frame, before)
    other = [dict(r, meta={"kind": "a", "v": 0}) for r in records]
    report = synthaudit.audit("tabular", synthetic=pd.DataFrame(other), real=tmp_path / "real.json",
                              metrics=["tabular.tvd"])
    assert report.value("tabular.tvd") > 0.3


def test_formats_are_not_trivially_equal(wine_pair, frame_values):
    """Guard for the test above: the values depend on the data, so equal values mean equal loading."""
    real, syn = wine_pair
    other = syn.copy()
    other["alcohol"] = other["alcohol"] + 0.5
    other.loc[::3, "cultivar"] = "barolo"
    changed = values(synthaudit.audit("tabular", synthetic=other, real=real))
    assert changed["tabular.kst"] > frame_values["tabular.kst"]
    assert changed["tabular.tvd"] != frame_values["tabular.tvd"]


# -- type inference ------------------------------------------------------------------------------------

N = 60
INFERENCE_CASES = {
    "float": (pd.Series(np.linspace(0.5, 99.5, N)), ColumnType.NUMERICAL),
    "many_ints": (pd.Series(np.arange(N) % 9), ColumnType.NUMERICAL),
    "strings": (pd.Series(["red", "green", "blue"] * (N // 3)), ColumnType.CATEGORICAL),
    "true_false_strings": (pd.Series(["true", "false", "False", "TRUE"] * (N // 4)), ColumnType.BOOLEAN),
    "bool_dtype": (pd.Series([True, False, True] * (N // 3)), ColumnType.BOOLEAN),
    "iso_dates": (pd.Series(pd.date_range("2021-03-01", periods=N, freq="D").strftime("%Y-%m-%d")),
                  ColumnType.DATETIME),
    "iso_datetimes": (pd.Series(pd.date_range("2021-03-01", periods=N, freq="7h").strftime("%Y-%m-%dT%H:%M:%S")),
                      ColumnType.DATETIME),
    "datetime_dtype": (pd.Series(pd.date_range("2021-03-01", periods=N, freq="D")), ColumnType.DATETIME),
    "five_ints": (pd.Series([1, 2, 3, 4, 5] * (N // 5)), ColumnType.CATEGORICAL),
    "five_int_floats_with_nan": (pd.Series([1.0, 2.0, np.nan, 5.0] * (N // 4)), ColumnType.CATEGORICAL),
    "six_ints": (pd.Series([1, 2, 3, 4, 5, 6] * (N // 6)), ColumnType.NUMERICAL),
    "unique_strings": (pd.Series([f"customer-{i:04d}" for i in range(N)]), ColumnType.ID),
    "all_missing_float": (pd.Series([np.nan] * N), ColumnType.CATEGORICAL),
    "all_missing_object": (pd.Series([None] * N, dtype=object), ColumnType.CATEGORICAL),
    "numbers_as_strings": (pd.Series([f"{x:.2f}" for x in np.linspace(1, 9, N)]), ColumnType.NUMERICAL),
}


@pytest.mark.parametrize("name", list(INFERENCE_CASES))
def test_infer_column(name):
    series, expected = INFERENCE_CASES[name]
    spec = infer_column(name, series)
    assert spec.type == expected, (name, spec.type, spec.reason)
    assert spec.reason and spec.inferred


def test_few_unique_strings_are_not_an_id():
    series = pd.Series([f"customer-{i:04d}" for i in range(40)])  # unique, but not more than 50
    assert infer_column("c", series).type == ColumnType.CATEGORICAL


def _spec_frame() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    return pd.DataFrame({"age": rng.integers(1, 4, 80), "income": rng.normal(50, 10, 80),
                         "city": rng.choice(["Oslo", "Lima", "Pune"], 80), "note": [f"n{i}" for i in range(80)]})


def test_spec_file_overrides_inference(tmp_path):
    frame = _spec_frame()
    inferred = infer_spec(frame, frame.columns)
    assert inferred.type_of("age") == ColumnType.CATEGORICAL  # 3 integer values
    assert inferred.type_of("note") == ColumnType.ID
    spec_path = tmp_path / "spec.yaml"
    spec_path.write_text("columns:\n  age: numerical\n  note: {type: categorical}\nignore: [city]\n",
                         encoding="utf-8")
    inputs = prepare_tabular(synthetic=frame, real=frame, schema=spec_path)
    spec = inputs.table_spec
    assert spec.type_of("age") == ColumnType.NUMERICAL and not spec.columns["age"].inferred
    assert spec.type_of("note") == ColumnType.CATEGORICAL
    assert spec.type_of("income") == ColumnType.NUMERICAL and spec.columns["income"].inferred
    assert "city" not in spec.columns and spec.ignored == ["city"]
    report = synthaudit.audit("tabular", synthetic=frame, real=frame, schema=spec_path, metrics=["tabular.kst"])
    assert report.columns["age"]["type"] == "numerical" and "city" not in report.columns


@pytest.mark.parametrize("text, field, needle", [
    ("columns:\n  salary: numerical\n", "columns.salary", "'salary'"),
    ("columns:\n  age: quantum\n", "columns.age", "'quantum'"),
    ("ignore: [zipcode]\n", "ignore", "'zipcode'"),
], ids=["unknown-column", "unknown-type", "unknown-ignored-column"])
def test_invalid_spec_file_names_the_field(tmp_path, text, field, needle):
    frame = _spec_frame()
    spec_path = tmp_path / "spec.yaml"
    spec_path.write_text(text, encoding="utf-8")
    with pytest.raises(SpecError) as info:
        prepare_tabular(synthetic=frame, real=frame, schema=spec_path)
    assert info.value.field == field
    assert info.value.file == str(spec_path)
    message = str(info.value)
    assert str(spec_path) in message and f"field '{field}'" in message and needle in message


def test_target_ignored_by_the_spec_names_the_spec_file(tmp_path):
    frame = _spec_frame()
    spec_path = tmp_path / "spec.yaml"
    spec_path.write_text("ignore: [city]\n", encoding="utf-8")
    with pytest.raises(SpecError) as info:
        prepare_tabular(synthetic=frame, real=frame, schema=spec_path, target="city")
    assert info.value.file == str(spec_path) and info.value.field == "ignore" and "'city'" in str(info.value)


# -- categorical canonicalisation ----------------------------------------------------------------------

def test_canonical_category_spellings():
    assert canonical_category(1) == canonical_category(1.0) == canonical_category(np.int64(1)) \
        == canonical_category(np.float32(1.0)) == canonical_category("1") == "1"
    assert canonical_category(1.5) == "1.5"
    assert canonical_category(True) == canonical_category(np.bool_(True)) == "True"
    for missing in (None, np.nan, np.float32("nan"), pd.NA, pd.NaT, np.datetime64("NaT")):
        assert canonical_category(missing) is None, repr(missing)


def test_boolean_spelled_as_one_and_zero_is_the_same_category():
    """Real flags are a bool column; a generator wrote them back as 1/0 (floats once NaN appears)."""
    flags = np.arange(100) % 3 == 0
    real = pd.DataFrame({"x": np.linspace(0, 1, 100), "flag": flags})
    syn = pd.DataFrame({"x": np.linspace(0, 1, 100), "flag": flags.astype(float)})
    report = synthaudit.audit("tabular", synthetic=syn, real=real, metrics=["tabular.tvd"])
    assert report.columns["flag"]["type"] == "boolean"
    assert report.value("tabular.tvd") == 0.0
    syn["flag"] = np.where(flags, "true", "false")
    assert synthaudit.audit("tabular", synthetic=syn, real=real, metrics=["tabular.tvd"]).value("tabular.tvd") == 0.0
    syn["flag"] = ~flags
    assert synthaudit.audit("tabular", synthetic=syn, real=real, metrics=["tabular.tvd"]).value("tabular.tvd") > 0.3


def test_integer_code_read_as_float_is_the_same_category():
    """Real codes are integers (nullable Int64); the synthetic column holds NaN, so its codes are 1.0, 2.0..."""
    rng = np.random.default_rng(0)
    codes = np.tile([1, 2, 3], 40)
    real = pd.DataFrame({"x": rng.normal(size=120), "code": pd.array(codes, dtype="Int64")})
    real.loc[::10, "code"] = pd.NA
    syn = pd.DataFrame({"x": rng.normal(size=120), "code": real["code"].astype("float64")})
    assert syn["code"].dtype == np.float64 and syn["code"].isna().sum() == 12
    report = synthaudit.audit("tabular", synthetic=syn, real=real, metrics=["tabular.tvd", "tabular.chi2"])
    assert report.columns["code"]["type"] == "categorical"
    assert report.value("tabular.tvd") == 0.0
    assert report.value("tabular.chi2") == pytest.approx(1.0)
    row = next(b for b in report.result("tabular.tvd").breakdown if b["column"] == "code")
    assert row["unseen_in_real"] == 0 and row["categories_real"] == row["categories_synthetic"] == 4

    # and the check has teeth: a real difference in the codes is seen
    shifted = syn.copy()
    shifted.loc[shifted["code"] == 3.0, "code"] = 2.0
    assert synthaudit.audit("tabular", synthetic=shifted, real=real, metrics=["tabular.tvd"]).value("tabular.tvd") > 0.2


def test_integer_code_with_nan_in_csv_matches_integer_code(tmp_path):
    """Through files: the synthetic CSV has empty cells in the code column, so pandas reads 1.0, 2.0..."""
    rng = np.random.default_rng(1)
    real = pd.DataFrame({"x": rng.normal(size=90), "code": np.tile([1, 2, 3], 30)})
    syn = real.copy()
    syn["x"] = rng.normal(size=90)
    syn["code"] = syn["code"].astype(object)
    syn.loc[0, "code"] = None
    real.to_csv(tmp_path / "real.csv", index=False)
    syn.to_csv(tmp_path / "synthetic.csv", index=False)
    assert pd.read_csv(tmp_path / "synthetic.csv")["code"].dtype == np.float64
    report = synthaudit.audit("tabular", synthetic=tmp_path / "synthetic.csv", real=tmp_path / "real.csv",
                              metrics=["tabular.tvd"])
    row = next(b for b in report.result("tabular.tvd").breakdown if b["column"] == "code")
    assert row["unseen_examples"] == ["(missing)"]  # only the missing cell is new, not '1.0', '2.0', ...
    assert report.value("tabular.tvd") == pytest.approx(1 / 90)


# -- streaming -----------------------------------------------------------------------------------------

def test_streamed_csv_equals_whole_files(tmp_path, wine_pair):
    real, syn = wine_pair
    syn = syn.copy()
    syn["quality"] = syn["quality"].astype("float64")
    syn.loc[[3, 40, 41, 100], "quality"] = np.nan  # some batches of 7 read it as int, others as float
    syn.to_csv(tmp_path / "synthetic.csv", index=False)
    real.to_csv(tmp_path / "real.csv", index=False)
    kwargs = dict(synthetic=tmp_path / "synthetic.csv", real=tmp_path / "real.csv", metrics=STREAMABLE)
    whole = synthaudit.audit("tabular", **kwargs)
    streamed = synthaudit.audit("tabular", stream=True, batch_size=7, **kwargs)
    assert_same_values(values(whole, STREAMABLE), values(streamed, STREAMABLE))
    rows = {i.role: i.rows for i in streamed.inputs}
    assert rows["synthetic"] == len(syn) and rows["real_reference"] == len(real)
    # the values equal the in-memory ones too (canonical categories across batches)
    in_memory = synthaudit.audit("tabular", synthetic=syn, real=real, metrics=STREAMABLE)
    assert_same_values(values(streamed, STREAMABLE), values(in_memory, STREAMABLE))


@pytest.mark.parametrize("stream", [False, True])
def test_header_only_file_is_an_input_error(tmp_path, wine_pair, stream):
    real, syn = wine_pair
    syn.head(0).to_csv(tmp_path / "synthetic.csv", index=False)
    with pytest.raises(InputError) as info:
        prepare_tabular(synthetic=tmp_path / "synthetic.csv", real=real, stream=stream)
    assert info.value.file == str(tmp_path / "synthetic.csv") and "no data rows" in str(info.value)


# -- inputs are not modified; unparseable cells are reported -------------------------------------------

def test_dataframes_are_never_modified(wine_pair):
    real, syn = wine_pair
    real = real.copy()
    syn = syn.copy()
    syn["alcohol"] = syn["alcohol"].astype(object)
    syn.loc[2, "alcohol"] = "n/a"
    syn["when"] = pd.date_range("2020-01-01", periods=len(syn), freq="D").strftime("%Y-%m-%d")
    real["when"] = pd.date_range("2020-02-01", periods=len(real), freq="D")
    syn["flag"] = ["true", "false"] * (len(syn) // 2) + ["true"] * (len(syn) % 2)
    real["flag"] = np.arange(len(real)) % 3 == 0
    syn.loc[5, "quality"] = np.nan
    before_real, before_syn = copy.deepcopy(real), copy.deepcopy(syn)
    report = synthaudit.audit("tabular", synthetic=syn, real=real, stream=True, batch_size=13)
    assert {m.status for m in report.metrics} == {"ok"}
    assert report.columns["when"]["type"] == "datetime" and report.columns["flag"]["type"] == "boolean"
    pd.testing.assert_frame_equal(real, before_real)
    pd.testing.assert_frame_equal(syn, before_syn)


def test_unparseable_numbers_become_missing_and_are_reported(wine_pair):
    real, syn = wine_pair
    syn = syn.copy()
    syn["proline"] = syn["proline"].astype(object)
    syn.loc[[6, 30], "proline"] = ["abc", "12,5"]
    report = synthaudit.audit("tabular", synthetic=syn, real=real, batch_size=10)
    assert report.columns["proline"]["type"] == "numerical"
    assert {m.status for m in report.metrics} == {"ok"}
    about = [w for w in report.warnings if "proline" in w]
    assert len(about) == 1, report.warnings  # once, although the table is read in batches and whole
    assert "synthetic" in about[0] and "2 value(s)" in about[0] and "row 7" in about[0] and "'abc'" in about[0]
    kst = next(b for b in report.result("tabular.kst").breakdown if b["column"] == "proline")
    assert kst  # the column is still compared, without the two cells


def test_unparseable_numbers_in_a_streamed_file_are_reported_once(tmp_path, wine_pair):
    real, syn = wine_pair
    syn = syn.copy()
    syn["ash"] = syn["ash"].astype(object)
    syn.loc[[12, 50], "ash"] = ["abc", "?"]
    syn.to_csv(tmp_path / "synthetic.csv", index=False)
    report = synthaudit.audit("tabular", synthetic=tmp_path / "synthetic.csv", real=real, stream=True, batch_size=7)
    about = [w for w in report.warnings if "'ash'" in w]
    assert len(about) == 1, report.warnings
    assert "synthetic.csv" in about[0] and "2 value(s)" in about[0] and "row 13" in about[0]


def test_delimiter_is_detected_outside_quoted_column_names(tmp_path):
    """A semicolon file whose header quotes a name with a comma in it is still read as semicolon-delimited."""
    rng = np.random.default_rng(4)
    frame = pd.DataFrame({"id": np.arange(30), "city, country": rng.choice(["Oslo, NO", "Lima, PE"], 30),
                          "price": rng.normal(10, 2, 30).round(2)})
    frame.to_csv(tmp_path / "semi.csv", index=False, sep=";")  # pandas does not quote: id;city, country;price
    assert (tmp_path / "semi.csv").read_text().splitlines()[0] == "id;city, country;price"
    pd.testing.assert_frame_equal(files.read_file(tmp_path / "semi.csv"), frame)
    quoted = 'id;"city, country";price\n' + frame.to_csv(index=False, sep=";", header=False)
    (tmp_path / "quoted.csv").write_text(quoted, encoding="utf-8")
    pd.testing.assert_frame_equal(files.read_file(tmp_path / "quoted.csv"), frame)
    frame.to_csv(tmp_path / "comma.csv", index=False)  # the same table, comma-delimited: "city, country" quoted
    assert '"city, country"' in (tmp_path / "comma.csv").read_text().splitlines()[0]
    pd.testing.assert_frame_equal(files.read_file(tmp_path / "comma.csv"), frame)


@pytest.mark.parametrize("line", [2, 9])
def test_extra_field_is_an_error_naming_the_line(tmp_path, wine_pair, line):
    """pandas would silently make the first column the index when the FIRST data row has one field too many,
    shifting every column; any row with extra fields must be an error naming its line instead."""
    _, syn = wine_pair
    lines = syn.head(20).to_csv(index=False).splitlines()
    lines[line - 1] += ",0.5"
    path = tmp_path / "extra.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    for batch_size in (None, 4):
        with pytest.raises(InputError) as info:
            list(files.iter_file(path, batch_size=batch_size))
        assert info.value.file == str(path) and info.value.row == line
        assert f"line {line} has 8 fields where the header has 7" in str(info.value)


def test_duplicate_column_names(tmp_path):
    (tmp_path / "dup.csv").write_text("x,y,x\n1,2,3\n4,5,6\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        files.read_file(tmp_path / "dup.csv")
    assert info.value.row == 1 and "duplicate column names in the header: x" in str(info.value)
    # a real column named like pandas' renamed duplicates is fine
    (tmp_path / "x1.csv").write_text("x,x.1,y\n1,2,3\n4,5,6\n", encoding="utf-8")
    assert list(files.read_file(tmp_path / "x1.csv").columns) == ["x", "x.1", "y"]


def test_table_accepts_any_path_like(tmp_path, wine_pair):
    class Location:  # an os.PathLike that is neither str nor pathlib.Path
        def __init__(self, path: Path) -> None:
            self.path = path

        def __fspath__(self) -> str:
            return str(self.path)

    real, _ = wine_pair
    real.to_csv(tmp_path / "real.csv", index=False)
    table = Table.from_any(Location(tmp_path / "real.csv"), "real")
    assert table.path == str(tmp_path / "real.csv") and len(table.frame()) == len(real)


def test_table_from_any_rejects_other_objects():
    with pytest.raises(InputError, match="expected a file path, a pandas DataFrame"):
        Table.from_any(42, "synthetic")


def test_na_values_markers_become_missing(tmp_path):
    """UCI-style '?' markers: without --na-values they are a category (and make a numeric column text);
    with them they are missing values, for type inference and every metric."""
    ages = ["39", "50", "?", "28", "61", "44", "33"]  # six distinct ages: numerical once '?' is missing
    real = pd.DataFrame({"age": ages * 5, "job": ["clerk", "?", "exec", "clerk", "exec", "?", "clerk"] * 5})
    syn = pd.DataFrame({"age": ["41", "?", "35", "30", "58", "47", "52"] * 5,
                        "job": ["clerk", "exec", "exec", "?", "clerk", "exec", "exec"] * 5})
    plain = synthaudit.audit("tabular", synthetic=syn, real=real, metrics=["tabular.tvd"])
    assert plain.columns["age"]["type"] == "categorical"
    marked = synthaudit.audit("tabular", synthetic=syn, real=real, na_values=["?"], metrics=["tabular.tvd",
                                                                                             "tabular.kst"])
    assert marked.columns["age"]["type"] == "numerical"
    job = marked.result("tabular.tvd").breakdown[0]
    assert job["missing_real"] == pytest.approx(2 / 7) and job["missing_synthetic"] == pytest.approx(1 / 7)
    kst = marked.result("tabular.kst").breakdown[0]
    assert kst["missing_real"] == pytest.approx(1 / 7) and kst["n_real"] == 30
    assert real["age"].tolist() == ages * 5  # the input is not modified
