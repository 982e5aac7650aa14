"""Shared fixtures: real tables that ship with scikit-learn, and UCI Adult from ../shared/data."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
ADULT = SHARED / "data" / "tabular" / "adult"


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not SHARED.exists():
        pytest.skip("../shared is not beside the repository")
    return SHARED


@pytest.fixture(scope="session")
def adult_train() -> pd.DataFrame:
    """UCI Adult training split (32,561 rows; '?' marks missing values in the source)."""
    path = ADULT / "adult_train.csv.gz"
    if not path.exists():
        pytest.skip("UCI Adult is not in ../shared/data")
    return pd.read_csv(path, na_values=["?"])


@pytest.fixture(scope="session")
def adult_test() -> pd.DataFrame:
    path = ADULT / "adult_test.csv.gz"
    if not path.exists():
        pytest.skip("UCI Adult is not in ../shared/data")
    return pd.read_csv(path, na_values=["?"])


@pytest.fixture(scope="session")
def cancer() -> pd.DataFrame:
    """scikit-learn's breast-cancer table: 30 numerical columns and a categorical diagnosis."""
    from sklearn.datasets import load_breast_cancer

    data = load_breast_cancer(as_frame=True)
    frame = data.frame.copy()
    frame["diagnosis"] = np.where(frame.pop("target").to_numpy() == 1, "benign", "malignant")
    return frame


@pytest.fixture(scope="session")
def wine() -> pd.DataFrame:
    """scikit-learn's wine table: 13 numerical columns and the cultivar as a categorical 'class'."""
    from sklearn.datasets import load_wine

    data = load_wine(as_frame=True)
    frame = data.frame.copy()
    frame["class"] = "cultivar_" + frame.pop("target").astype(str)
    return frame


@pytest.fixture(scope="module")
def one_torch_thread():
    """One torch thread for a module (its small networks; the suite shares 2 cores, where two spinning threads per
    process run several times slower); the caller's setting comes back afterwards."""
    torch = pytest.importorskip("torch")
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture()
def wine_labelled_csv(tmp_path) -> pd.DataFrame:
    """The wine table with its cultivar as 'target' ("a", "b", "c"), written to ``tmp_path/real.csv`` (CLI tests)."""
    from sklearn.datasets import load_wine

    frame = load_wine(as_frame=True).frame
    frame["target"] = frame["target"].map({0: "a", 1: "b", 2: "c"})
    frame.to_csv(tmp_path / "real.csv", index=False)
    return frame


def copula_synthetic(real: pd.DataFrame, seed: int = 0, n: int | None = None) -> pd.DataFrame:
    """A synthetic table from the built-in Gaussian-copula baseline."""
    from synthaudit.generate.tabular import GaussianCopula

    return GaussianCopula(seed=seed).fit(real).sample(n or len(real))
