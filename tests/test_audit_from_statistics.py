"""Audit from statistics (issue #12): ``synthaudit profile tabular`` writes the real side of the mergeable,
reference-based metrics (suppressed below k, JSON with a version and a fingerprint); ``audit tabular --real-stats``
runs those metrics from it and lists the rest as gaps.

* on a table with no small cells every supported metric equals its value from the real rows (rel 1e-9);
* the file of a table with a one-of-a-kind row reveals neither that row's category nor its extreme numbers, and
  no joint table leaves a suppressed remainder between 1 and k-1 that its published margins would reveal;
* the metrics that need the real rows are gaps with the reason "needs the real rows (audit from statistics)";
* the CLI round trip, and bad statistics folders exit 2 with one message naming the file.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import synthaudit
from synthaudit.errors import InputError, UsageError
from synthaudit.modalities.tabular.statistics import (FILE_NAME, GAP_REASON, SUPPORTED, profile, read_statistics)

K = 5
BINS = 5  # the contingency score's num_bins for the exact table (10 bins leave small cells in 442 rows)
PARAMS = {"tabular.contingency_score": {"num_bins": BINS}}
PAIRWISE_OPTIONS = dict(protected="sex", target="progression")


# -- data ----------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def exact_tables() -> tuple[pd.DataFrame, pd.DataFrame]:
    """scikit-learn's diabetes table with no small cells: numerical columns clipped at their 5% and 95% quantiles
    (so at least k rows take each extreme), the sex and a label derived from the disease progression as
    categories; the synthetic table is a perturbed resample (noise on the numbers, a few labels flipped)."""
    from sklearn.datasets import load_diabetes

    frame = load_diabetes(as_frame=True, scaled=False).frame
    target = frame.pop("target")
    real = pd.DataFrame({c: frame[c].clip(*frame[c].quantile([0.05, 0.95])) for c in ("age", "bmi", "bp", "s1", "s5")})
    real["sex"] = frame["sex"].map({1.0: "female", 2.0: "male"})
    real["progression"] = np.where(target > target.median(), "high", "low")
    rng = np.random.default_rng(3)
    syn = real.sample(n=len(real), replace=True, random_state=5).reset_index(drop=True)
    for c in ("age", "bmi", "bp", "s1", "s5"):
        syn[c] = syn[c] + rng.normal(0, 0.2 * real[c].std(), len(syn))
    flip = rng.random(len(syn)) < 0.1
    syn.loc[flip, "progression"] = np.where(syn.loc[flip, "progression"] == "high", "low", "high")
    return real, syn


UNIQUE_CITY = "Zanzibar-Unique-Hamlet"
UNIQUE_INCOME, UNIQUE_SCORE = 98765.4321, -4321.987


@pytest.fixture(scope="module")
def one_of_a_kind() -> pd.DataFrame:
    """300 rows; the last one alone has its city and an extreme income and score."""
    rng = np.random.default_rng(11)
    n = 299
    frame = pd.DataFrame({"city": rng.choice(["north", "south", "east", "west"], n),
                          "plan": rng.choice(["basic", "plus", "premium"], n, p=[0.5, 0.3, 0.2]),
                          "income": np.round(rng.normal(41000, 6000, n), 2),
                          "score": np.round(rng.normal(50, 12, n), 3),
                          "tenure": rng.integers(1, 40, n)})
    row = {"city": UNIQUE_CITY, "plan": "premium", "income": UNIQUE_INCOME, "score": UNIQUE_SCORE, "tenure": 7}
    return pd.concat([frame, pd.DataFrame([row])], ignore_index=True)


def _values(rep) -> dict[str, float | None]:
    return {m.id: m.value for m in rep.metrics}


# -- exactness -----------------------------------------------------------------------------------------------

def test_values_from_statistics_equal_the_values_from_the_rows(exact_tables, tmp_path):
    real, syn = exact_tables
    stats = profile(real, tmp_path / "stats", num_bins=BINS)
    doc = stats.doc
    # the precondition: no small cell anywhere, every range exact
    assert doc["privacy"]["suppressed_cells"] == 0 and doc["privacy"]["protected_ranges"] == []
    full = synthaudit.audit("tabular", synthetic=syn, real=real, metrics=list(SUPPORTED), params=PARAMS,
                            **PAIRWISE_OPTIONS)
    from_stats = synthaudit.audit("tabular", synthetic=syn, real_stats=tmp_path / "stats", metrics=list(SUPPORTED),
                                  params=PARAMS, **PAIRWISE_OPTIONS)
    expected, got = _values(full), _values(from_stats)
    assert set(got) == set(SUPPORTED) and all(m.status == "ok" for m in from_stats.metrics), \
        [(m.id, m.error) for m in from_stats.metrics]
    for mid in SUPPORTED:
        assert expected[mid] is not None, mid
        assert got[mid] == pytest.approx(expected[mid], rel=1e-9, abs=1e-15), mid
        notes = from_stats.result(mid).notes["statistics"]
        assert notes["exact"] is True and notes["k"] == K, (mid, notes)
    # beyond the values: the chi-squared pass shares and the per-pair breakdowns agree too
    for name in ("share_passing", "share_above_pass_threshold"):
        assert from_stats.result("tabular.chi2").secondary[name] == pytest.approx(
            full.result("tabular.chi2").secondary[name])
    for mid in ("tabular.pearson_score", "tabular.contingency_score"):
        a = [r["value"] for r in full.result(mid).breakdown]
        b = [r["value"] for r in from_stats.result(mid).breakdown]
        assert b == pytest.approx(a, rel=1e-9, abs=1e-15), mid
    assert not any("needs the real rows" in w for w in from_stats.warnings)


def test_sharded_audit_from_statistics_counts_the_statistics_once(exact_tables, tmp_path):
    """Streamed in shards (a resumable audit: each shard starts from a copy of the initial state, which holds the
    statistics), every supported metric equals the one-piece audit from statistics: values, secondary values,
    breakdowns and notes. Each shard state carries the real part again; merged, it was counted once per shard
    (Pearson's n_real was 7 x 442 with 6 shards)."""
    real, syn = exact_tables
    profile(real, tmp_path / "stats", num_bins=BINS)
    syn.to_csv(tmp_path / "syn.csv", index=False)
    common = dict(real_stats=tmp_path / "stats", metrics=list(SUPPORTED), params=PARAMS, **PAIRWISE_OPTIONS)
    one = synthaudit.audit("tabular", synthetic=syn, **common)
    sharded = synthaudit.audit("tabular", synthetic=tmp_path / "syn.csv", stream=True, batch_size=80,
                               checkpoint=tmp_path / "ck", **common)
    assert sharded.run.execution["shards"] >= 6
    for mid in SUPPORTED:
        a, b = sharded.result(mid), one.result(mid)
        assert a.status == b.status == "ok", (mid, a.error)
        assert a.value == pytest.approx(b.value, rel=1e-12, abs=1e-15), mid
        assert json.dumps(a.notes, sort_keys=True, default=str) == json.dumps(b.notes, sort_keys=True, default=str)
        assert a.secondary == pytest.approx(b.secondary, rel=1e-12, abs=1e-15), mid
        assert len(a.breakdown) == len(b.breakdown), mid
        for x, y in zip(a.breakdown, b.breakdown):
            assert {k: v for k, v in x.items() if not isinstance(v, float)} == \
                {k: v for k, v in y.items() if not isinstance(v, float)}, (mid, x, y)  # counts, names
    n_real = {r["n_real"] for r in sharded.result("tabular.pearson_score").breakdown}
    assert n_real == {len(real)}


def test_streamed_profile_and_default_bins_match_in_one_piece(exact_tables, tmp_path):
    """Two passes over a streamed file give the same statistics as the table in memory."""
    real, _ = exact_tables
    real.to_csv(tmp_path / "real.csv", index=False)
    whole = profile(tmp_path / "real.csv", tmp_path / "a")
    streamed = profile(tmp_path / "real.csv", tmp_path / "b", stream=True, batch_size=37)
    a, b = whole.doc, streamed.doc
    assert a["columns"] == b["columns"] and a["contingency"] == b["contingency"]
    for pa, pb in zip(a["pearson"]["pairs"], b["pearson"]["pairs"]):
        assert pa["n"] == pb["n"] and pa["rho"] == pytest.approx(pb["rho"], rel=1e-12)


def test_small_cells_make_the_value_approximate_and_say_so(wine, tmp_path):
    """Raw wine: one-row extremes (protected ranges) and small joint cells; the notes say the contingency score
    is approximate, while the category counts of the class (no small cell) keep TVD exact."""
    syn = wine.sample(n=len(wine), replace=True, random_state=1).reset_index(drop=True)
    profile(wine, tmp_path / "stats")
    ids = ["tabular.tvd", "tabular.contingency_score"]
    full = synthaudit.audit("tabular", synthetic=syn, real=wine, metrics=ids)
    rep = synthaudit.audit("tabular", synthetic=syn, real_stats=tmp_path / "stats", metrics=ids)
    assert rep.value("tabular.tvd") == pytest.approx(full.value("tabular.tvd"), rel=1e-9)
    assert rep.result("tabular.tvd").notes["statistics"]["exact"] is True
    notes = rep.result("tabular.contingency_score").notes["statistics"]
    assert notes["exact"] is False and notes["protected_ranges"] and notes["exactness"].startswith("approximate")
    assert abs(rep.value("tabular.contingency_score") - full.value("tabular.contingency_score")) < 0.1


# -- privacy -------------------------------------------------------------------------------------------------

def _numbers(obj) -> list[float]:
    if isinstance(obj, dict):
        return [x for v in obj.values() for x in _numbers(v)]
    if isinstance(obj, list):
        return [x for v in obj for x in _numbers(v)]
    if isinstance(obj, (int, float)) and not isinstance(obj, bool):
        return [float(obj)]
    return []


def test_the_statistics_do_not_reveal_a_one_of_a_kind_row(one_of_a_kind, tmp_path):
    real = one_of_a_kind
    stats = profile(real, tmp_path / "stats", k=K)
    files = list((tmp_path / "stats").rglob("*"))
    assert [f.name for f in files] == [FILE_NAME]
    text = "\n".join(f.read_text(encoding="utf-8") for f in files)
    assert "Zanzibar" not in text and "Hamlet" not in text
    for shown in ("98765", "9876.4", "4321.9", "4321.98", "-4321"):
        assert shown not in text, shown
    doc = json.loads(text)
    numbers = set(_numbers(doc))
    assert UNIQUE_INCOME not in numbers and UNIQUE_SCORE not in numbers
    # no stored number is a value that fewer than k rows have (integer counts aside)
    for col in ("income", "score"):
        counts = real[col].value_counts()
        rare = {float(v) for v, c in counts.items() if c < K and not float(v).is_integer()}
        assert not rare & numbers, (col, sorted(rare & numbers)[:5])
    # the city column: the unique row's category is suppressed and its row counted in the suppressed total
    city = next(c for c in doc["columns"] if c["name"] == "city")
    assert city["suppressed_rows"] == 1 and all(n >= K for _, n in city["counts"])
    ranges = {c["name"]: c["range"] for c in doc["columns"] if "range" in c}
    assert ranges["income"]["high"] == "protected" and ranges["score"]["low"] == "protected"
    assert set(stats.doc["privacy"]["protected_ranges"]) >= {"income", "score"}
    # every published count is at least k; no row or column of a joint table leaves a remainder of 1..k-1 rows that
    # its published margins would reveal
    margins = {c["name"]: Counter({v: n for v, n in c["counts"]}) for c in doc["columns"] if "counts" in c}
    for c in doc["columns"]:
        assert all(n >= K for *_, n in c.get("counts", [])), c["name"]
    for table in doc["contingency"]["pairs"]:
        a, b = table["columns"]
        assert all(n >= K for *_, n in table["counts"]), (a, b)
        for axis, name in ((0, a), (1, b)):
            published = Counter()
            for cell in table["counts"]:
                published[cell[axis]] += cell[-1]
            for value, total in margins[name].items():
                assert not 0 < total - published.get(value, 0) < K, (a, b, name, value)
    for pair in doc["pearson"]["pairs"]:
        assert pair["n"] is None or (pair["n"] >= K and not 0 < doc["rows"] - pair["n"] < K)


def test_the_synthetic_side_is_pooled_where_real_cells_are_suppressed(one_of_a_kind, tmp_path):
    """A synthetic category the statistics do not show may be a suppressed real one: it is pooled with the
    suppressed rows, so the TVD from statistics never exceeds the TVD from the rows."""
    real = one_of_a_kind
    profile(real, tmp_path / "stats")
    syn = real.copy()
    syn.loc[:9, "city"] = "Atlantis"  # unseen in the real table
    full = synthaudit.audit("tabular", synthetic=syn, real=real, metrics=["tabular.tvd"])
    rep = synthaudit.audit("tabular", synthetic=syn, real_stats=tmp_path / "stats", metrics=["tabular.tvd"])
    assert rep.value("tabular.tvd") <= full.value("tabular.tvd") + 1e-12
    assert rep.value("tabular.tvd") == pytest.approx(full.value("tabular.tvd"), abs=1 / len(real) + 1e-12)
    assert rep.result("tabular.tvd").notes["statistics"]["exact"] is False


# -- gaps ----------------------------------------------------------------------------------------------------

def test_metrics_that_need_the_real_rows_are_gaps_with_the_reason(exact_tables, tmp_path):
    from synthaudit.audit.api import options_for, prepare_inputs, resolve_models
    from synthaudit.audit.plan import make_plan

    real, syn = exact_tables
    profile(real, tmp_path / "stats", num_bins=BINS)
    models = resolve_models(None)
    full_plan = make_plan(prepare_inputs(options_for("tabular", synthetic=syn, real=real, **PAIRWISE_OPTIONS)),
                          models)
    stats_inputs = prepare_inputs(options_for("tabular", synthetic=syn, real_stats=tmp_path / "stats",
                                              **PAIRWISE_OPTIONS), params=PARAMS)
    stats_plan = make_plan(stats_inputs, models)
    ran = {m.id for m in stats_plan.run}
    gaps = {g.id: g for g in stats_plan.gaps}
    assert set(SUPPORTED) <= ran
    for m in stats_plan.run:  # what runs takes nothing from real rows but the statistics
        assert m.id in SUPPORTED or not {"real_reference", "train"} & set(m.spec.inputs), m.id
    needs_rows = [m.id for m in full_plan.run if m.id not in ran]
    assert {"tabular.kst", "tabular.det_score", "tabular.alpha_precision", "tabular.beta_recall"} <= set(needs_rows), \
        needs_rows
    for mid in needs_rows:
        assert gaps[mid].kind == "missing_input" and gaps[mid].reason.startswith(GAP_REASON), (mid, gaps[mid])
        assert gaps[mid].enable.startswith("--real")
    assert gaps["tabular.kst"].reason == GAP_REASON
    # the audit itself: the supported metrics run from the statistics, the gaps are in the report
    rep = synthaudit.audit("tabular", synthetic=syn, real_stats=tmp_path / "stats", params=PARAMS,
                           dimensions=["fidelity", "fairness"], **PAIRWISE_OPTIONS)
    assert {m.id for m in rep.metrics if m.status == "ok"} >= {"tabular.tvd", "tabular.pearson_score",
                                                                "tabular.contingency_score", "tabular.cov_gap",
                                                                "tabular.cond_shift"}
    assert next(g for g in rep.gaps if g.id == "tabular.kst").reason == GAP_REASON
    assert any("audit from statistics" in w for w in rep.warnings)


# -- errors --------------------------------------------------------------------------------------------------

def test_bad_statistics_give_one_error_naming_the_file(exact_tables, tmp_path):
    real, syn = exact_tables
    good = tmp_path / "good"
    profile(real, good, num_bins=BINS)
    path = good / FILE_NAME
    doc = json.loads(path.read_text(encoding="utf-8"))

    def variant(name: str, change) -> Path:
        folder = tmp_path / name
        folder.mkdir()
        d = json.loads(json.dumps(doc))
        change(d)
        (folder / FILE_NAME).write_text(json.dumps(d), encoding="utf-8")
        return folder

    cases = {
        "missing": (tmp_path / "nowhere", "not found"),
        "empty folder": ((tmp_path / "empty").resolve(), "not found"),
        "version": (variant("v2", lambda d: d.update(format_version=2)), "format version 2"),
        "modality": (variant("text", lambda d: d.update(modality="text")), "expected statistics of a tabular"),
        "tampered": (variant("edited", lambda d: d["columns"][0].update(name="AGE")), "fingerprint"),
        "not json": (None, "not valid JSON"),
    }
    (tmp_path / "empty").mkdir()
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / FILE_NAME).write_text("{not json", encoding="utf-8")
    cases["not json"] = (tmp_path / "junk", "not valid JSON")
    for case, (folder, needle) in cases.items():
        with pytest.raises(InputError) as err:
            synthaudit.audit("tabular", synthetic=syn, real_stats=folder, metrics=["tabular.tvd"])
        text = str(err.value)
        assert needle in text and str(folder) in text, (case, text)
    with pytest.raises(InputError, match=r"lacks.*expected a synthetic table with the real table's columns") as err:
        synthaudit.audit("tabular", synthetic=syn.drop(columns=["bmi"]), real_stats=good, metrics=["tabular.tvd"])
    assert str(path) in str(err.value) and "bmi" in str(err.value)
    with pytest.raises(UsageError, match="not both"):
        synthaudit.audit("tabular", synthetic=syn, real=real, real_stats=good)
    with pytest.raises(UsageError, match="infer"):
        synthaudit.audit("tabular", synthetic=syn, real_stats=good, infer_constraints=True)


def _run(*args) -> tuple[int, str, str]:
    from synthaudit.cli.application import build_app

    result = CliRunner().invoke(build_app(), [str(a) for a in args], env={"NO_COLOR": "1", "COLUMNS": "200"})
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def test_cli_bad_statistics_folders_exit_2_naming_the_file(exact_tables, tmp_path):
    real, syn = exact_tables
    syn.to_csv(tmp_path / "syn.csv", index=False)
    syn.drop(columns=["s1"]).to_csv(tmp_path / "syn_short.csv", index=False)
    profile(real, tmp_path / "good", num_bins=BINS)
    old = tmp_path / "old"
    old.mkdir()
    doc = json.loads((tmp_path / "good" / FILE_NAME).read_text(encoding="utf-8"))
    doc["format_version"] = 0
    (old / FILE_NAME).write_text(json.dumps(doc), encoding="utf-8")
    other = tmp_path / "other"
    other.mkdir()
    doc["format_version"], doc["modality"] = 1, "dialogue"
    (other / FILE_NAME).write_text(json.dumps(doc), encoding="utf-8")
    cases = [(tmp_path / "missing", "syn.csv", "missing"), (old, "syn.csv", str(old / FILE_NAME)),
             (other, "syn.csv", str(other / FILE_NAME)), (tmp_path / "good", "syn_short.csv", FILE_NAME)]
    for folder, synthetic, named in cases:
        code, out, err = _run("audit", "tabular", "--synthetic", tmp_path / synthetic, "--real-stats", folder,
                              "--out", tmp_path / "out", "--quiet")
        assert code == 2, (folder, out, err)
        assert "Traceback" not in out + err and err.count("error:") == 1 and named in err, err
    code, _, err = _run("profile", "tabular", "--real", tmp_path / "nope.csv", "--out", tmp_path / "s")
    assert code == 2 and err.count("error:") == 1 and "nope.csv" in err


def test_cli_round_trip(exact_tables, tmp_path):
    """``profile tabular`` then ``audit tabular --real-stats`` in a subprocess, as a user runs them."""
    real, syn = exact_tables
    real.to_csv(tmp_path / "real.csv", index=False)
    syn.to_csv(tmp_path / "syn.csv", index=False)
    env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "PY_COLORS")}
    env.update(NO_COLOR="1", COLUMNS="200")

    def cli(*args):
        return subprocess.run([sys.executable, "-m", "synthaudit", *map(str, args)], capture_output=True, text=True,
                              cwd=tmp_path, env=env, timeout=300)

    proc = cli("profile", "tabular", "--real", "real.csv", "--out", "stats", "--num-bins", BINS)
    assert proc.returncode == 0, proc.stderr
    assert re.search(r"wrote stats/statistics\.json \([\d,]+ bytes\): 442 rows, 7 columns, k = 5", proc.stdout)
    metrics = ",".join(SUPPORTED) + ",tabular.kst"
    proc = cli("audit", "tabular", "--synthetic", "syn.csv", "--real-stats", "stats", "--out", "out", "--metrics",
               metrics, "--param", f"tabular.contingency_score.num_bins={BINS}", "--protected", "sex", "--target",
               "progression")
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    assert "tabular.kst: needs the real rows (audit from statistics) -> pass --real" in proc.stdout
    report = json.loads((tmp_path / "out" / "report.json").read_text(encoding="utf-8"))
    values = {m["id"]: m["value"] for m in report["metrics"]}
    assert set(values) == set(SUPPORTED)
    full = synthaudit.audit("tabular", synthetic=tmp_path / "syn.csv", real=tmp_path / "real.csv",
                            metrics=list(SUPPORTED), params=PARAMS, **PAIRWISE_OPTIONS)
    for mid in SUPPORTED:
        assert values[mid] == pytest.approx(full.value(mid), rel=1e-9), mid
    gap = next(g for g in report["gaps"] if g["id"] == "tabular.kst")
    assert gap["reason"] == GAP_REASON and gap["kind"] == "missing_input"
    assert read_statistics(tmp_path / "stats").rows == len(real)
