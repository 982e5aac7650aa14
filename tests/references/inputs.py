"""Inputs of the committed reference values (tests/references/*.json), defined once.

Imported by the tests and by make_references.py, which runs in a separate environment (older pandas,
SDMetrics, SynthEval, no synthaudit). Everything here is built from data that ships with scikit-learn or
lies in ../shared/data, plus numpy ``default_rng(seed)`` draws: never from synthaudit's own generators,
which may change. The JSON files store a fingerprint of every input (``fingerprint``); a test whose input no
longer matches fails and asks for the references to be regenerated.

Only numpy and pandas are used (both pandas 2 and 3), so that the tables are identical in both environments.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
SHARED_DATA = HERE.parents[2] / "shared" / "data"
ADULT = SHARED_DATA / "tabular" / "adult"

ADULT_NUM = ["age", "fnlwgt", "education_num", "capital_gain", "capital_loss", "hours_per_week"]
ADULT_CAT = ["workclass", "education", "marital_status", "occupation", "relationship", "race", "sex",
             "native_country", "income"]
REGIONS = ["Île-de-France", "São Paulo", "東京", "Zürich", "Kraków"]


# ---------------------------------------------------------------------------------------------- base tables
def load_adult(split: str = "train") -> pd.DataFrame:
    """UCI Adult from ../shared/data ('?' marks missing values in the source); FileNotFoundError if absent."""
    path = ADULT / f"adult_{split}.csv.gz"
    if not path.exists():
        raise FileNotFoundError(path)
    return pd.read_csv(path, na_values=["?"])


def load_cancer() -> pd.DataFrame:
    """scikit-learn's breast-cancer table: 30 numerical columns and a categorical diagnosis."""
    from sklearn.datasets import load_breast_cancer

    frame = load_breast_cancer(as_frame=True).frame.copy()
    frame["diagnosis"] = np.where(frame.pop("target").to_numpy() == 1, "benign", "malignant")
    return frame


def load_wine() -> pd.DataFrame:
    """scikit-learn's wine table: 13 numerical columns and the cultivar as a categorical 'class'."""
    from sklearn.datasets import load_wine as _load

    frame = _load(as_frame=True).frame.copy()
    frame["class"] = "cultivar_" + frame.pop("target").astype(str)
    return frame


# ---------------------------------------------------------------------------------------------- building blocks
def sample_rows(frame: pd.DataFrame, n: int, seed: int) -> pd.DataFrame:
    """n distinct rows in random order (numpy default_rng(seed)), index reset."""
    rows = np.random.default_rng(seed).choice(len(frame), size=n, replace=False)
    return frame.iloc[rows].reset_index(drop=True)


def _is_number(s: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)


def perturb(real: pd.DataFrame, n: int, seed: int, *, noise: float = 0.1, swap: float = 0.1) -> pd.DataFrame:
    """A stand-in 'synthetic' table: n rows drawn with replacement from ``real``, then column by column (in
    order, one generator): a number moves by Gaussian noise of ``noise`` x the column's standard deviation
    (rounded for integer-valued columns, clipped to the real column's range); a datetime likewise in whole
    days; any other value is replaced, with probability ``swap``, by a value drawn from the real column
    (missing values included). Missing numbers and datetimes stay missing. Dtypes are the real table's."""
    rng = np.random.default_rng(seed)
    rows = rng.integers(0, len(real), size=n)
    out = {}
    for name in real.columns:
        s = real[name]
        if pd.api.types.is_datetime64_any_dtype(s):
            origin = s.min()
            days = ((s - origin) / pd.Timedelta(days=1)).to_numpy(dtype=float)
            x = days[rows] + rng.normal(0.0, noise * np.nanstd(days), size=n)
            x = np.clip(np.round(x), np.nanmin(days), np.nanmax(days))
            t = origin + pd.to_timedelta(pd.Series(x), unit="D")
            out[name] = t.astype(s.dtype).to_numpy()
        elif _is_number(s):
            v = s.to_numpy(dtype=float)
            x = v[rows] + rng.normal(0.0, noise * np.nanstd(v), size=n)
            finite = v[~np.isnan(v)]
            if finite.size and np.all(finite == np.round(finite)):
                x = np.round(x)
            if finite.size:
                x = np.clip(x, finite.min(), finite.max())
            out[name] = x.astype(s.dtype) if pd.api.types.is_integer_dtype(s) else x
        else:
            v = s.to_numpy(dtype=object)
            x = v[rows].copy()
            hit = rng.random(n) < swap
            x[hit] = v[rng.integers(0, len(v), size=int(hit.sum()))]
            out[name] = x
    frame = pd.DataFrame(out)
    for name in real.columns:  # the real table's dtypes (object or str text, datetime resolution, ...)
        if frame[name].dtype != real[name].dtype:
            frame[name] = frame[name].astype(real[name].dtype)
    return frame


def pick(n_rows: int, k: int, seed: int) -> np.ndarray:
    """k distinct row positions out of n_rows (numpy default_rng(seed))."""
    return np.random.default_rng(seed).choice(n_rows, size=k, replace=False)


# ---------------------------------------------------------------------------------------------- the inputs
def messy_wine(wine: pd.DataFrame | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """tests/test_edge_cases.py: wine plus a unicode region, a datetime and two constant columns (real); the
    synthetic table is a perturbed copy with 15 missing alcohol values, 9 missing classes, 6 unseen regions
    'Atlantis ☃' and 4 missing harvest dates."""
    real = (load_wine() if wine is None else wine).copy()
    rng = np.random.default_rng(11)
    real["region"] = rng.choice(REGIONS, size=len(real))
    real["harvest"] = pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 365, len(real)), unit="D")
    real["const_num"] = 7.5
    real["const_cat"] = "même"
    syn = perturb(real, len(real), seed=2)
    syn.loc[pick(len(syn), 15, 1), "alcohol"] = np.nan
    syn.loc[pick(len(syn), 9, 2), "class"] = np.nan
    syn.loc[pick(len(syn), 6, 3), "region"] = "Atlantis ☃"
    syn.loc[pick(len(syn), 4, 4), "harvest"] = pd.NaT
    return real, syn


def adult_perturbed(adult_train: pd.DataFrame | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Real = 4,000 Adult training rows; synthetic = 3,000 perturbed rows drawn from them (ages stay in the
    real range, sex stays Male/Female; education and education_num no longer determine each other)."""
    real = sample_rows(load_adult("train") if adult_train is None else adult_train, 4000, seed=0)
    return real, perturb(real, 3000, seed=1)


def adult_split(adult_train: pd.DataFrame | None = None,
                adult_test: pd.DataFrame | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Real = 5,000 Adult training rows; 'synthetic' = 3,000 Adult test rows (a second real sample)."""
    train = load_adult("train") if adult_train is None else adult_train
    test = load_adult("test") if adult_test is None else adult_test
    return sample_rows(train, 5000, seed=1), sample_rows(test, 3000, seed=2)


def adult_constraints(adult_train: pd.DataFrame | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """tests/test_tabular_constraints.py: ``adult_perturbed`` with an id column and planted violations:
    30 ages of 150, 20 sex values 'Unknown', 25 repeated ids."""
    real, syn = adult_perturbed(adult_train)
    real["id"] = np.arange(len(real))
    syn["id"] = np.arange(len(syn))
    rows = np.random.default_rng(0).permutation(np.arange(200, len(syn)))
    syn.loc[rows[:30], "age"] = 150
    syn.loc[rows[30:50], "sex"] = "Unknown"
    syn.loc[100:124, "id"] = np.arange(25)
    return real, syn


def keys_table() -> pd.DataFrame:
    """tests/test_tabular_constraints.py, unique keys (hand-worked)."""
    return pd.DataFrame({"k": ["a", "b", "a", "c", "a", None], "p": [1, 1, 1, 2, 2, 2],
                         "q": ["x", "y", "x", "x", "x", "z"]})


def detection_pair(name: str, table: pd.DataFrame | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """tests/test_tabular_detection_support.py: cancer or wine and a perturbed copy of the same size."""
    real = table if table is not None else {"cancer": load_cancer, "wine": load_wine}[name]()
    return real, perturb(real, len(real), seed=4)


def coverage_pair(adult_train: pd.DataFrame | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Real = 3,000 Adult rows; synthetic = 300 perturbed rows (a small sample: rare categories go missing)."""
    real = sample_rows(load_adult("train") if adult_train is None else adult_train, 3000, seed=0)
    return real, perturb(real, 300, seed=2)


def privacy_tables(adult_train: pd.DataFrame | None = None):
    """tests/test_tabular_privacy.py: complete Adult rows, train 1,000 / holdout 800 / synthetic 600 perturbed
    train rows + 4 rows copied from both train and holdout (ties); numbers clipped to the training ranges,
    the holdout given the same ranges by anchor rows. Returns train, holdout, synthetic and SDMetrics metadata."""
    clean = (load_adult("train") if adult_train is None else adult_train).dropna().reset_index(drop=True)
    perm = np.random.default_rng(0).permutation(len(clean))
    train = clean.iloc[perm[:1000]].reset_index(drop=True)
    hold = clean.iloc[perm[1000:1800]].reset_index(drop=True)
    lo, hi = train[ADULT_NUM].min(), train[ADULT_NUM].max()
    hold[ADULT_NUM] = hold[ADULT_NUM].clip(lo, hi, axis=1)
    anchors = pd.concat([train.loc[[train[c].idxmin(), train[c].idxmax()]] for c in ADULT_NUM])
    hold = pd.concat([hold.iloc[:len(hold) - len(anchors)], anchors], ignore_index=True)
    syn = perturb(train, 600, seed=1)
    syn[ADULT_NUM] = syn[ADULT_NUM].clip(lo, hi, axis=1)
    syn = pd.concat([syn, anchors.iloc[:4]], ignore_index=True)
    meta = {"columns": {c: {"sdtype": "numerical" if c in ADULT_NUM else "categorical"} for c in train.columns}}
    return train, hold, syn, meta


# ---------------------------------------------------------------------------------------------- fingerprints
def fingerprint(frame: pd.DataFrame) -> str:
    """sha256 of the table's values, the same under pandas 2 and 3: column names; numbers as float64;
    datetimes as nanoseconds; anything else as text; missing values as one marker."""
    h = hashlib.sha256()
    for name in frame.columns:
        s = frame[name]
        h.update(f"\x1e{name}\x1f".encode())
        if pd.api.types.is_datetime64_any_dtype(s):
            ns = s.astype("datetime64[ns]")
            h.update(b"dt")
            h.update(np.where(ns.isna(), np.iinfo(np.int64).min, ns.to_numpy().view("int64")).astype("<i8").tobytes())
        elif _is_number(s):
            v = s.to_numpy(dtype=float)
            h.update(b"num")
            h.update(np.where(np.isnan(v), np.nan, v).astype("<f8").tobytes())
        else:
            h.update(b"text")
            h.update("\x1f".join("\x00NA" if pd.isna(v) else str(v) for v in s.to_numpy(dtype=object)).encode())
    return f"{len(frame)}x{frame.shape[1]}:{h.hexdigest()[:20]}"


def load_reference(name: str) -> dict:
    """The committed tests/references/<name>.json."""
    return json.loads((HERE / f"{name}.json").read_text(encoding="utf-8"))


def reference_values(name: str, **frames: pd.DataFrame) -> dict:
    """The values of tests/references/<name>.json, after checking that ``frames`` are the tables they were
    computed on (AssertionError naming the changed input otherwise)."""
    ref = load_reference(name)
    for key, frame in frames.items():
        got, stored = fingerprint(frame), ref["inputs"].get(key)
        assert got == stored, (f"input {key!r} of tests/references/{name}.json changed ({got} != {stored}): "
                               "regenerate the references with tests/references/make_references.py")
    return ref["values"]


def pair_key(a: str, b: str) -> str:
    """Key of a column pair in the JSON files (order-free)."""
    return "|".join(sorted((a, b)))
