"""``synthaudit generate timeseries`` and ``synthaudit audit timeseries`` from the command line: files written in
the long layout, read back by the audit, and one clear error (no traceback) for each user mistake."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from synthaudit.data.timeseries import SeriesOptions, load_series
from synthaudit.generate.timeseries import VARGenerator

sm = pytest.importorskip("statsmodels.api")


@pytest.fixture(scope="module")
def macro_csv(tmp_path_factory):
    levels = sm.datasets.macrodata.load_pandas().data[["realgdp", "realcons", "realinv"]]
    growth = (100 * np.log(levels).diff().dropna()).reset_index(drop=True)
    growth.insert(0, "t", range(len(growth)))
    path = tmp_path_factory.mktemp("ts") / "macro.csv"
    growth.to_csv(path, index=False)
    return path


def generate_app():
    from synthaudit.modalities.timeseries.cli import generate_timeseries

    app = typer.Typer()
    app.command()(generate_timeseries)
    return app


def test_generate_writes_what_the_generator_samples(macro_csv, tmp_path):
    out = tmp_path / "var.parquet"
    res = CliRunner().invoke(generate_app(), ["--method", "var", "--real", str(macro_csv), "--n", "7", "--length",
                                              "10", "--seed", "3", "--out", str(out)])
    assert res.exit_code == 0, res.output
    got = load_series(str(out), "synthetic")
    assert len(got) == 7 and got.channels == ["realgdp", "realcons", "realinv"]
    real = load_series(str(macro_csv), "real", SeriesOptions())
    expected = VARGenerator(seed=3).fit(real.values).sample(7, lengths=10, seed=3)
    by_id = dict(zip(got.ids, got.values))
    for i, e in enumerate(expected):
        np.testing.assert_allclose(by_id[f"syn-{i}"], e, rtol=1e-12)
    res = CliRunner().invoke(generate_app(), ["--method", "bootstrap", "--block", "4", "--real", str(macro_csv),
                                              "--n", "3", "--out", str(tmp_path / "b.jsonl")])
    assert res.exit_code == 0, res.output
    assert len(load_series(str(tmp_path / "b.jsonl"), "synthetic")) == 3


def test_generate_user_errors_without_traceback(macro_csv, tmp_path):
    bad = tmp_path / "words.csv"
    x = [str(v) for v in range(11)] + ["many"]  # one word in a numeric field: named with its row, never dropped
    pd.DataFrame({"id": ["a"] * 12, "t": range(12), "x": x}).to_csv(bad, index=False)
    runner = CliRunner()
    for args, words in ((["--method", "nope", "--real", str(macro_csv)], "unknown method"),
                        (["--method", "var", "--real", str(tmp_path / "none.csv")], "not found"),
                        (["--method", "var", "--block", "3", "--real", str(macro_csv)], "bootstrap"),
                        (["--method", "var", "--real", str(macro_csv), "--n", "0"], "at least 1"),
                        (["--method", "var", "--real", str(bad)], "many"),
                        (["--method", "no.such.module:Model", "--real", str(macro_csv)], "cannot import")):
        res = runner.invoke(generate_app(), [*args, "--out", str(tmp_path / "x.csv")])
        assert res.exit_code == 2 and words in res.output and "Traceback" not in res.output, (args, res.output)
    res = runner.invoke(generate_app(), ["--method", "var", "--real", str(macro_csv), "--out", str(tmp_path / "x.xyz")])
    assert res.exit_code == 2 and "output format" in res.output


def test_audit_command_reads_files_and_reports_mistakes(macro_csv, tmp_path):
    from synthaudit.cli.application import app

    syn = tmp_path / "syn.csv"
    res = CliRunner().invoke(generate_app(), ["--method", "var", "--real", str(macro_csv), "--n", "40", "--length",
                                              "12", "--out", str(syn)])
    assert res.exit_code == 0, res.output
    out = tmp_path / "rep"
    res = CliRunner().invoke(app, ["audit", "timeseries", "-s", str(syn), "-r", str(macro_csv), "--window", "12",
                                   "--stride", "12", "--holdout-share", "0.3", "--metrics",
                                   "timeseries.marginal_ks,timeseries.acf_distance,timeseries.dcr", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert (out / "report.html").exists() and "timeseries.dcr" in res.output
    for args, words in ((["--window", "1"], "window"), (["--layout", "diagonal"], "layout"),
                        (["--id-field", "nope"], "nope"), (["--stride", "3"], "--window")):
        res = CliRunner().invoke(app, ["audit", "timeseries", "-s", str(syn), "-r", str(macro_csv), *args,
                                       "--out", str(tmp_path / "bad")])
        assert res.exit_code == 2 and words in res.output and "Traceback" not in res.output, (args, res.output)
