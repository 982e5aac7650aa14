"""The command line contract, run as a user runs it (``python -m synthaudit ...`` in a subprocess).

Exit status: 0 ok, 1 a policy gate failed, 2 a usage or input error. A user's mistake gives ONE message on
stderr that names the file (and the row or field where relevant) and what was expected, never a traceback.
Input files are never modified.
"""
from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

IMPLEMENTED = ["tabular.kst", "tabular.tvd", "tabular.pearson_score", "tabular.contingency_score", "tabular.chi2"]
SHARED_CATALOG = Path(__file__).resolve().parents[2] / "shared" / "catalog" / "metrics.yaml"


# -- helpers --------------------------------------------------------------------------------------------

def run_cli(*args: str | Path, cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "PY_COLORS")}
    env.update(NO_COLOR="1", COLUMNS="200")
    return subprocess.run([sys.executable, "-m", "synthaudit", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=timeout)


def audit_args(syn: Path | str, real: Path | str, out: Path | str = "out", *extra: str) -> list[str]:
    return ["audit", "tabular", "--synthetic", str(syn), "--real", str(real), "--out", str(out), "--quiet", *extra]


def assert_user_error(proc: subprocess.CompletedProcess, *needles: str) -> str:
    """Exit 2, exactly one 'error:' message on stderr containing every needle, and no traceback anywhere."""
    err = proc.stderr
    assert proc.returncode == 2, f"exit {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{err}"
    assert "Traceback" not in err and "Traceback" not in proc.stdout, err
    assert err.count("error:") == 1, err
    assert err.lstrip().startswith("error:"), err
    for needle in needles:
        assert needle in err, f"{needle!r} not in stderr:\n{err}"
    return err


def assert_ok(proc: subprocess.CompletedProcess, status: int = 0) -> None:
    assert proc.returncode == status, f"exit {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    assert "Traceback" not in proc.stderr + proc.stdout


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_report(out: Path) -> dict:
    return json.loads((out / "report.json").read_text(encoding="utf-8"))


def metric_status(report: dict) -> dict[str, str]:
    return {m["id"]: m["status"] for m in report["metrics"]}


# -- data: the wine table of scikit-learn, and a perturbed resample of it as the "synthetic" table ------

@pytest.fixture(scope="module")
def frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    from sklearn.datasets import load_wine

    wine = load_wine(as_frame=True).frame
    real = wine[["alcohol", "malic_acid", "color_intensity", "proline"]].copy()
    real["cultivar"] = np.array(["barolo", "grignolino", "barbera"])[wine["target"].to_numpy()]
    rng = np.random.default_rng(7)
    syn = real.sample(n=len(real), replace=True, random_state=3).reset_index(drop=True)
    for col in ("alcohol", "malic_acid", "color_intensity"):
        syn[col] = (syn[col] + rng.normal(0, 0.1 * real[col].std(), len(syn))).round(3)
    return real, syn


@pytest.fixture
def files(tmp_path: Path, frames) -> tuple[Path, Path]:
    real, syn = frames
    real_path, syn_path = tmp_path / "real.csv", tmp_path / "synthetic.csv"
    real.to_csv(real_path, index=False)
    syn.to_csv(syn_path, index=False)
    return syn_path, real_path


@pytest.fixture(scope="module")
def basic_run(tmp_path_factory, frames):
    """One full audit (default metrics) shared by several tests: (proc, out dir, inputs, hashes before)."""
    tmp = tmp_path_factory.mktemp("basic")
    real, syn = frames
    real_path, syn_path = tmp / "real.csv", tmp / "synthetic.csv"
    real.to_csv(real_path, index=False)
    syn.to_csv(syn_path, index=False)
    before = {p: sha256(p) for p in (syn_path, real_path)}
    proc = run_cli(*audit_args(syn_path, real_path, tmp / "out"), cwd=tmp)
    return proc, tmp / "out", before


# -- audit tabular: the happy path ------------------------------------------------------------------

def test_audit_writes_reports_with_the_five_metrics(basic_run):
    proc, out, _ = basic_run
    assert_ok(proc)
    assert (out / "report.html").stat().st_size > 0
    html = (out / "report.html").read_text(encoding="utf-8")
    report = read_report(out)
    status = metric_status(report)
    assert set(IMPLEMENTED) <= set(status)  # the foundation five (later metrics may run too)
    assert set(status.values()) == {"ok"}
    for m in report["metrics"]:
        assert isinstance(m["value"], float), m
        assert m["id"] in html
    assert report["policy"] is None


def test_input_files_are_unchanged_after_an_audit(basic_run):
    proc, _, before = basic_run
    assert_ok(proc)
    assert {p: sha256(p) for p in before} == before


def test_metrics_option_runs_only_the_selected_metric(tmp_path, files):
    syn, real = files
    proc = run_cli(*audit_args(syn, real, "out", "--metrics", "tabular.kst"), cwd=tmp_path)
    assert_ok(proc)
    report = read_report(tmp_path / "out")
    assert metric_status(report) == {"tabular.kst": "ok"}
    not_selected = {g["id"] for g in report["gaps"] if g["kind"] == "not_selected"}
    assert set(IMPLEMENTED) - {"tabular.kst"} <= not_selected
    assert "tabular.kst" not in {g["id"] for g in report["gaps"]}


def test_dimensions_option_runs_only_that_dimension(tmp_path, files):
    syn, real = files
    proc = run_cli(*audit_args(syn, real, "out", "--dimensions", "validity"), cwd=tmp_path)
    assert_ok(proc)
    report = read_report(tmp_path / "out")
    assert metric_status(report) == {"tabular.chi2": "ok"}
    gaps = {g["id"]: g["kind"] for g in report["gaps"]}
    for mid in set(IMPLEMENTED) - {"tabular.chi2"}:
        assert gaps[mid] == "not_selected"


def test_metrics_and_dimensions_together_is_a_usage_error(tmp_path, files):
    syn, real = files
    proc = run_cli(*audit_args(syn, real, "out", "--metrics", "tabular.kst", "--dimensions", "validity"),
                   cwd=tmp_path)
    assert_user_error(proc, "--metrics", "--dimensions")
    assert not (tmp_path / "out").exists()


def test_unknown_metric_id_is_named(tmp_path, files):
    syn, real = files
    proc = run_cli(*audit_args(syn, real, "out", "--metrics", "tabular.kst,tabular.nosuch"), cwd=tmp_path)
    assert_user_error(proc, "tabular.nosuch", "--metrics")


@pytest.mark.parametrize("param, needles", [
    ("tabular.chi2.threshold=0.05", ["'threshold'", "pass_threshold"]),
    ("tabular.chi2.pass_threshold=high", ["tabular.chi2.pass_threshold", "a number", "'high'"]),
    ("tabular.chi2.pass_threshold=[0.1", ["'[0.1'"]),
], ids=["unknown-name", "not-a-number", "not-yaml"])
def test_invalid_param_is_a_usage_error(tmp_path, files, param, needles):
    syn, real = files
    proc = run_cli(*audit_args(syn, real, "out", "--param", param), cwd=tmp_path)
    assert_user_error(proc, "--param", *needles)
    assert not (tmp_path / "out").exists()


# -- policy gates ---------------------------------------------------------------------------------------

def test_policy_gate_that_holds_exits_0(tmp_path, files):
    syn, real = files
    (tmp_path / "gates.yaml").write_text("tabular.kst: {min: 0.0, max: 0.9}\n", encoding="utf-8")
    proc = run_cli(*audit_args(syn, real, "out", "--metrics", "tabular.kst", "--policy", "gates.yaml"),
                   cwd=tmp_path)
    assert_ok(proc, 0)
    policy = read_report(tmp_path / "out")["policy"]
    assert policy["passed"] is True
    assert [(g["gate"], g["passed"]) for g in policy["gates"]] == [("tabular.kst", True)]


def test_policy_gate_that_fails_exits_1(tmp_path, files):
    syn, real = files
    (tmp_path / "gates.yaml").write_text("tabular.kst: {max: 0.0}\ntabular.chi2: {min: 0.0}\n", encoding="utf-8")
    proc = run_cli(*audit_args(syn, real, "out", "--policy", "gates.yaml", "--param",
                               "tabular.chi2.pass_threshold=0.05"), cwd=tmp_path)
    assert_ok(proc, 1)
    report = read_report(tmp_path / "out")
    assert report["metrics"] and (tmp_path / "out" / "report.html").exists()
    chi2 = next(m for m in report["metrics"] if m["id"] == "tabular.chi2")
    assert chi2["params"]["pass_threshold"] == 0.05
    policy = report["policy"]
    assert policy["passed"] is False
    gates = {g["gate"]: g for g in policy["gates"]}
    assert gates["tabular.kst"]["passed"] is False
    assert gates["tabular.kst"]["max"] == 0.0 and gates["tabular.kst"]["value"] > 0.0
    assert gates["tabular.chi2"]["passed"] is True


@pytest.mark.parametrize("text, needles", [
    ("tabular.kst: {max: 0.1}\ntabular.no_such_metric: {max: 0.1}\n", ["tabular.no_such_metric"]),
    ("tabular.kst: {max: lots}\n", ["tabular.kst.max", "number"]),
    ("tabular.kst: {min: 0.5, max: 0.1}\n", ["tabular.kst", "min", "max"]),
    ("tabular.kst: {max: 0.1\n  - ]]\n", ["YAML", "row"]),
], ids=["unknown-metric", "non-numeric", "min-above-max", "not-yaml"])
def test_invalid_policy_file_is_a_usage_error(tmp_path, files, text, needles):
    syn, real = files
    (tmp_path / "gates.yaml").write_text(text, encoding="utf-8")
    proc = run_cli(*audit_args(syn, real, "out", "--policy", "gates.yaml"), cwd=tmp_path)
    err = assert_user_error(proc, "gates.yaml", *needles)
    if "YAML" not in needles:
        assert "field '" in err  # names the field of the policy file
    assert not (tmp_path / "out").exists()


# -- bad inputs: exit 2, one message naming the file ---------------------------------------------------

def test_missing_file(tmp_path, files):
    syn, _ = files
    proc = run_cli(*audit_args(syn, "no_such_real.csv"), cwd=tmp_path)
    assert_user_error(proc, "no_such_real.csv", "not found")


def test_file_name_with_brackets_is_printed_verbatim(tmp_path, files):
    """Messages are plain text: a path like 'data[/].csv' must not be read as console markup."""
    syn, _ = files
    proc = run_cli(*audit_args(syn, "real[/bold][1].csv"), cwd=tmp_path)
    assert_user_error(proc, "real[/bold][1].csv", "not found")


def test_wrong_explicit_delimiter_suggests_the_right_one(tmp_path, frames):
    real, syn = frames
    real.to_csv(tmp_path / "real.csv", index=False)
    syn.to_csv(tmp_path / "synthetic.csv", index=False, sep=";")
    proc = run_cli(*audit_args("synthetic.csv", "real.csv", "out", "--delimiter", ","), cwd=tmp_path)
    err = assert_user_error(proc, "synthetic.csv", "semicolon")
    assert "--delimiter ';'" in err
    assert "real.csv" not in err  # the real file is fine


def test_semicolon_delimiter_is_detected(tmp_path, frames):
    real, syn = frames
    real.to_csv(tmp_path / "real.csv", index=False)
    syn.to_csv(tmp_path / "synthetic.csv", index=False, sep=";")
    proc = run_cli(*audit_args("synthetic.csv", "real.csv", "out", "--metrics", "tabular.kst,tabular.tvd"),
                   cwd=tmp_path)
    assert_ok(proc)
    report = read_report(tmp_path / "out")
    assert metric_status(report) == {"tabular.kst": "ok", "tabular.tvd": "ok"}
    assert set(report["columns"]) == set(real.columns)  # every column was split out of the header
    assert not any("only in" in w for w in report["warnings"])


def test_no_shared_columns(tmp_path, frames):
    real, syn = frames
    real.to_csv(tmp_path / "real.csv", index=False)
    syn.rename(columns=lambda c: f"{c}_v2").to_csv(tmp_path / "synthetic.csv", index=False)
    proc = run_cli(*audit_args("synthetic.csv", "real.csv"), cwd=tmp_path)
    assert_user_error(proc, "synthetic.csv", "real.csv", "no column in common", "alcohol_v2")


def test_empty_file(tmp_path, files):
    _, real = files
    (tmp_path / "empty.csv").write_bytes(b"")
    proc = run_cli(*audit_args("empty.csv", real), cwd=tmp_path)
    assert_user_error(proc, "empty.csv", "empty")


def test_header_only_file(tmp_path, frames, files):
    _, real = files
    frames[1].head(0).to_csv(tmp_path / "header_only.csv", index=False)
    assert (tmp_path / "header_only.csv").read_text().count("\n") == 1
    proc = run_cli(*audit_args("header_only.csv", real), cwd=tmp_path)
    assert_user_error(proc, "header_only.csv", "no data rows")


def test_non_utf8_bytes_name_the_line_and_latin1_then_works(tmp_path, frames):
    real, syn = frames
    real.to_csv(tmp_path / "real.csv", index=False)
    syn = syn.copy()
    syn.loc[9, "cultivar"] = "caf\u00e9"  # data row 10 = line 11 of the file
    (tmp_path / "synthetic.csv").write_bytes(syn.to_csv(index=False).encode("latin-1"))
    assert b"caf\xe9" in (tmp_path / "synthetic.csv").read_bytes()
    before = sha256(tmp_path / "synthetic.csv")

    proc = run_cli(*audit_args("synthetic.csv", "real.csv", "out", "--metrics", "tabular.tvd"), cwd=tmp_path)
    err = assert_user_error(proc, "synthetic.csv", "line 11", "--encoding")
    assert "utf-8" in err.lower()

    proc = run_cli(*audit_args("synthetic.csv", "real.csv", "out", "--metrics", "tabular.tvd",
                               "--encoding", "latin-1"), cwd=tmp_path)
    assert_ok(proc)
    assert "caf\u00e9" in (tmp_path / "out" / "report.json").read_text(encoding="utf-8")  # decoded, not mangled
    assert sha256(tmp_path / "synthetic.csv") == before


def test_ragged_row_names_the_line(tmp_path, frames, files):
    _, real = files
    lines = frames[1].to_csv(index=False).splitlines()
    lines[5] += ",1,2"  # line 6 of the file has two fields too many
    (tmp_path / "ragged.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    proc = run_cli(*audit_args("ragged.csv", real), cwd=tmp_path)
    assert_user_error(proc, "ragged.csv", "line 6", "7 fields", "5")


def test_truncated_gzip_exits_2_not_1(tmp_path, files):
    import gzip

    syn, real = files
    whole = gzip.compress(syn.read_bytes())
    (tmp_path / "synthetic.csv.gz").write_bytes(whole[: len(whole) // 2])
    proc = run_cli(*audit_args("synthetic.csv.gz", real), cwd=tmp_path)
    assert_user_error(proc, "synthetic.csv.gz", "cannot read")


def test_unknown_extension(tmp_path, files):
    syn, real = files
    (tmp_path / "synthetic.xlsx").write_bytes(syn.read_bytes())
    proc = run_cli(*audit_args("synthetic.xlsx", real), cwd=tmp_path)
    assert_user_error(proc, "synthetic.xlsx", ".xlsx", "--format")


def test_unknown_target_column(tmp_path, files):
    syn, real = files
    proc = run_cli(*audit_args(syn, real, "out", "--target", "vintage"), cwd=tmp_path)
    assert_user_error(proc, "'vintage'", "--target", "synthetic.csv", "real.csv")


def test_unknown_encoding_is_a_usage_error(tmp_path, files):
    syn, real = files
    proc = run_cli(*audit_args(syn, real, "out", "--encoding", "utf-99"), cwd=tmp_path)
    assert_user_error(proc, "utf-99", "--encoding")


def test_out_that_is_a_file_is_a_usage_error(tmp_path, files):
    syn, real = files
    (tmp_path / "out").write_text("not a directory", encoding="utf-8")
    proc = run_cli(*audit_args(syn, real, "out"), cwd=tmp_path)
    assert_user_error(proc, "out", "--out", "directory")
    assert (tmp_path / "out").read_text(encoding="utf-8") == "not a directory"


def test_summary_prints_data_values_verbatim(tmp_path, frames, files):
    """Warnings quote cells of the user's data; a cell like '[/]' must not crash the console summary."""
    _, real = files
    syn = frames[1].astype({"alcohol": object})
    syn.loc[3, "alcohol"] = "[/]"
    syn.to_csv(tmp_path / "synthetic.csv", index=False)
    proc = run_cli("audit", "tabular", "--synthetic", "synthetic.csv", "--real", real, "--out", "out",
                   "--metrics", "tabular.kst", cwd=tmp_path)
    assert_ok(proc)
    assert "'[/]'" in proc.stdout
    warnings = read_report(tmp_path / "out")["warnings"]
    assert [w for w in warnings if "alcohol" in w and "row 4" in w]


# -- metrics, demo, report ------------------------------------------------------------------------------

def test_metrics_json_lists_the_whole_catalog(tmp_path):
    from synthaudit.catalog import catalog_entries

    proc = run_cli("metrics", "--json", cwd=tmp_path)
    assert_ok(proc)
    rows = json.loads(proc.stdout)
    ids = [r["id"] for r in rows]
    assert len(ids) == len(set(ids))
    catalog_ids = [r["id"] for r in rows if not r["extension"]]
    assert catalog_ids == list(catalog_entries())  # the packaged copy, in catalog order
    assert ids[:len(catalog_ids)] == catalog_ids  # extension checks come after the catalog
    assert all(r["id"].startswith(f"{r['modality']}.ext.") for r in rows if r["extension"])
    if SHARED_CATALOG.exists():
        shared = yaml.safe_load(SHARED_CATALOG.read_text(encoding="utf-8"))
        assert set(catalog_ids) == {e["id"] for e in shared["metrics"]}
    for r in rows:
        assert isinstance(r["implemented"], bool), r
    from synthaudit.metrics.registry import all_metrics

    implemented = {r["id"] for r in rows if r["implemented"]}
    assert implemented == set(all_metrics()) and set(IMPLEMENTED) <= implemented


def test_metrics_modality_filter(tmp_path):
    from synthaudit.catalog import catalog_entries

    proc = run_cli("metrics", "--modality", "tabular", "--json", cwd=tmp_path)
    assert_ok(proc)
    rows = json.loads(proc.stdout)
    ids = [r["id"] for r in rows if not r["extension"]]
    assert ids == [i for i, e in catalog_entries().items() if e["modality"] == "tabular"]
    extensions = [r["id"] for r in rows if r["extension"]]  # checks beyond the catalog, listed after it
    assert extensions and all(i.startswith("tabular.ext.") for i in extensions)
    assert ids and all(r["id"].startswith("tabular.") for r in rows)

    proc = run_cli("metrics", "--modality", "nope", cwd=tmp_path)
    assert_user_error(proc, "'nope'", "--modality", "tabular")


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("demo")
    proc = run_cli("demo", "--out", "demo_out", "--quiet", cwd=tmp, timeout=900)  # about 4 min with no cache
    return proc, tmp / "demo_out"


def test_demo_writes_report_and_data(demo_run):
    proc, out = demo_run
    assert_ok(proc)
    assert (out / "report.html").stat().st_size > 0
    report = read_report(out)
    assert set(IMPLEMENTED) <= set(metric_status(report))
    csvs = sorted(p.name for p in (out / "data").glob("*.csv"))
    assert len(csvs) >= 2, csvs
    for name in csvs:
        assert len(pd.read_csv(out / "data" / name)) > 0
    assert str(Path("demo_out") / "report.html") in proc.stdout  # tells where the report is
    # the tour: a text and a dialogue report from SmolLM2-generated records, an LLM-rows attempt, an index
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "text/report.html" in index and "dialogue/report.html" in index and "LLM rows" in index
    # the deep generators (issue #20): trained, audited, their loss curves written, all four families on one front
    for method in ("diffusion", "gan"):
        sub = read_report(out / f"tabular_{method}")
        assert all(m["status"] == "ok" for m in sub["metrics"]), [(m["id"], m["error"]) for m in sub["metrics"]]
        assert f"tabular_{method}/report.html" in index
        assert len(pd.read_csv(out / f"tabular_{method}" / "training" / "losses.csv")) > 10
    front = (out / "tabular_generators" / "index.html").read_text(encoding="utf-8")
    assert "tabular_generators/index.html" in index and "on the front:" in index
    assert all(name in front for name in ("Gaussian copula", "GAN (CTGAN-style)", "Diffusion model", "LLM rows"))
    for part in ("text", "dialogue"):
        sub = read_report(out / part)
        assert sub["modality"] == part and sub["metrics"]
        assert all(m["status"] == "ok" for m in sub["metrics"]), [(m["id"], m["error"]) for m in sub["metrics"]]
    generated = (out / "data" / "text_generated.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(generated) >= 100 and all(json.loads(x)["model"] == "smollm2" for x in generated)
    dialogues = (out / "data" / "dialogues_generated.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(dialogues) >= 30 and all(len(json.loads(x)["turns"]) == 4 for x in dialogues)
    # each section shows a flawed variant beside the good one, and the index says what catches it
    flawed_parts = ("tabular_leaky", "text_flawed", "dialogue_flawed", "reasoning_flawed", "graph_flawed",
                    "molecules_flawed", "json_flawed", "logs_flawed", "timeseries_shuffled", "timeseries_copies",
                    "image_text_hallucinated", "image_text_blurred", "video_text_flicker", "agent_tailgating",
                    "agent_corrupted", "agent_tools_flawed")
    for flawed in flawed_parts:
        assert read_report(out / flawed)["metrics"] and f"{flawed}/report.html" in index
    assert index.count("look at") >= len(flawed_parts)
    # every metric that ran on the good variant succeeded
    for part in ("reasoning", "graph", "molecules", "json", "json_llm", "json_events_llm", "logs", "logs_llm",
                 "timeseries_var", "image_text_clean", "video_text_clean", "video_text_watermark", "agent_clean",
                 "agent_tools_clean"):
        sub = read_report(out / part)
        assert sub["metrics"] and all(m["status"] == "ok" for m in sub["metrics"]), \
            [(m["id"], m["error"]) for m in sub["metrics"] if m["status"] != "ok"]
    reasoning = {m["id"]: m["value"] for m in read_report(out / "reasoning")["metrics"]}
    assert reasoning["reasoning.acc_verify"] == 1.0 and reasoning["reasoning.pass_rate"] == 1.0
    bad = {m["id"]: m["value"] for m in read_report(out / "reasoning_flawed")["metrics"]}
    assert bad["reasoning.acc_verify"] < 1.0 and bad["reasoning.pass_rate"] < 1.0
    # JSON: the mutated events break the schema, the good ones do not; logs: the leaky copy exposes more
    good_json = {m["id"]: m["value"] for m in read_report(out / "json")["metrics"]}
    bad_json = {m["id"]: m["value"] for m in read_report(out / "json_flawed")["metrics"]}
    assert good_json["json.correctness_rate"] == 1.0 > bad_json["json.correctness_rate"]
    good_logs = {m["id"]: m["value"] for m in read_report(out / "logs")["metrics"]}
    bad_logs = {m["id"]: m["value"] for m in read_report(out / "logs_flawed")["metrics"]}
    assert bad_logs["logs.exposure"] > good_logs["logs.exposure"]
    # time series: shuffled quarters lose the dynamics, copied windows sit on the training series
    ts = {v: {m["id"]: m["value"] for m in read_report(out / f"timeseries_{v}")["metrics"]}
          for v in ("var", "shuffled", "copies")}
    assert ts["shuffled"]["timeseries.acf_distance"] > ts["var"]["timeseries.acf_distance"]
    assert ts["copies"]["timeseries.dcr"] == 1.0 > ts["var"]["timeseries.dcr"]
    # vision-language: hallucinated captions, blurred images and flickering identities are caught; the signed clean
    # images validate; the watermark survives no attack
    vl = {v: {m["id"]: m["value"] for m in read_report(out / v)["metrics"]}
          for v in ("image_text_clean", "image_text_hallucinated", "image_text_blurred", "video_text_clean",
                    "video_text_flicker", "video_text_watermark")}
    assert vl["image_text_clean"]["vl_image.chair"] == 0.0 < vl["image_text_hallucinated"]["vl_image.chair"]
    assert vl["image_text_clean"]["vl_image.acc_qa"] == 1.0 > vl["image_text_hallucinated"]["vl_image.acc_qa"]
    assert vl["image_text_blurred"]["vl_image.fid"] > vl["image_text_clean"]["vl_image.fid"]
    assert vl["image_text_clean"]["vl_image.rate_validate"] == 1.0 > vl["image_text_blurred"]["vl_image.rate_validate"]
    assert vl["video_text_flicker"]["vl_video.identity_consistency"] < vl["video_text_clean"][
        "vl_video.identity_consistency"]
    wm = {m["id"]: m for m in read_report(out / "video_text_watermark")["metrics"]}
    assert wm["vl_video.watermark_bit_acc"]["secondary"]["bit_acc_none"] >= 0.95
    # agent: the cautious rollouts replay exactly; tailgating is caught on TTC and hard braking, corrupted actions on
    # executability; flawed tool calls on executability and executed hazards
    ag = {v: {m["id"]: m["value"] for m in read_report(out / f"agent_{v}")["metrics"]}
          for v in ("clean", "tailgating", "corrupted", "tools_clean", "tools_flawed")}
    assert ag["clean"]["agent.exec_rate"] == 1.0 > ag["corrupted"]["agent.exec_rate"]
    assert ag["tailgating"]["agent.min_ttc"] < ag["clean"]["agent.min_ttc"]
    assert ag["tailgating"]["agent.hard_brake_rate"] > ag["clean"]["agent.hard_brake_rate"]
    assert ag["tools_clean"]["agent.exec_rate"] == 1.0 > ag["tools_flawed"]["agent.exec_rate"]
    assert ag["tools_clean"]["agent.hazard_risk"] == 0.0 < ag["tools_flawed"]["agent.hazard_risk"]
    # fairness runs on the main report (sex is the protected attribute)
    assert metric_status(report)["tabular.spd"] == "ok"
    # LLM rows: schema-constrained decoding gives valid rows from the small offline model
    llm = read_report(out / "tabular_llm")
    assert llm["inputs"][0]["rows"] >= 8


def test_report_command_rerenders_html(demo_run):
    proc, out = demo_run
    assert_ok(proc)
    html = out / "report.html"
    html.unlink()
    json_before = sha256(out / "report.json")
    proc = run_cli("report", out / "report.json", cwd=out.parent)
    assert_ok(proc)
    assert html.exists() and "tabular.kst" in html.read_text(encoding="utf-8")
    assert "report.html" in proc.stdout
    assert sha256(out / "report.json") == json_before


def test_report_command_rejects_a_non_report_json(tmp_path):
    (tmp_path / "other.json").write_text(json.dumps({"hello": "world"}), encoding="utf-8")
    proc = run_cli("report", "other.json", cwd=tmp_path)
    assert_user_error(proc, "other.json", "not a synthaudit report")
    assert not (tmp_path / "other.html").exists()
