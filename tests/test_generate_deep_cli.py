"""`synthaudit generate tabular --method diffusion|gan` as a user runs it (issue #20): training log beside the output,
save/load of the fitted model, class quotas with --target, and one clear message for a misplaced option."""
from __future__ import annotations

import json

import pandas as pd
import pytest
from test_cli import assert_ok, run_cli, sha256


@pytest.fixture()
def wine(wine_labelled_csv):
    return wine_labelled_csv


@pytest.mark.parametrize("method", ["diffusion", "gan"])
def test_deep_methods_train_write_their_log_and_a_saved_model_samples_the_same_rows(tmp_path, wine, method):
    args = ["generate", "tabular", "--real", "real.csv", "--method", method, "--n", "90", "--seed", "3",
            "--epochs", "2", "--batch-size", "60", "--target", "target"]
    proc = run_cli(*args, "--out", "syn.csv", "--save-model", "model", cwd=tmp_path)
    assert_ok(proc)
    syn = pd.read_csv(tmp_path / "syn.csv")
    assert list(syn.columns) == list(wine.columns) and len(syn) == 90
    counts = syn["target"].value_counts().to_dict()  # quotas: the real class shares of 90 rows
    shares = wine["target"].value_counts(normalize=True)
    assert sum(counts.values()) == 90 and all(abs(counts[c] - 90 * shares[c]) < 1 for c in shares.index)
    log = pd.read_csv(tmp_path / "syn.training" / "losses.csv")
    assert list(log["epoch"]) == [1, 2] and (tmp_path / "syn.training" / "loss_curve.svg").stat().st_size > 500
    assert json.loads((tmp_path / "model" / "config.json").read_text())["kind"] in ("tabddpm", "ctgan")
    loaded = run_cli("generate", "tabular", "--real", "real.csv", "--method", method, "--n", "90", "--seed", "3",
                     "--load-model", "model", "--out", "again.csv", cwd=tmp_path)
    assert_ok(loaded)
    assert sha256(tmp_path / "again.csv") == sha256(tmp_path / "syn.csv")  # the saved model, the same rows


def test_deep_options_are_refused_where_they_do_not_apply(tmp_path, wine):
    proc = run_cli("generate", "tabular", "--real", "real.csv", "--method", "gaussian_copula", "--epochs", "3",
                   "--out", "syn.csv", cwd=tmp_path)
    assert proc.returncode != 0 and "--epochs applies to --method diffusion or gan" in proc.stderr
    assert "Traceback" not in proc.stderr and not (tmp_path / "syn.csv").exists()
    proc = run_cli("generate", "tabular", "--real", "real.csv", "--method", "gan", "--diffusion-steps", "3",
                   "--out", "syn.csv", cwd=tmp_path)
    assert proc.returncode != 0 and "--diffusion-steps applies to --method diffusion" in proc.stderr
    proc = run_cli("generate", "tabular", "--real", "real.csv", "--method", "diffusion", "--load-model", "nowhere",
                   "--out", "syn.csv", cwd=tmp_path)
    assert proc.returncode != 0 and "config.json" in proc.stderr and "Traceback" not in proc.stderr
