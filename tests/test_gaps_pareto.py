"""``synthaudit gaps`` (survey 8.1, Tables 2-7) and ``synthaudit pareto`` (survey 8.3).

One small tabular audit (wine, Gaussian-copula sample) is the template; other reports are copies with notes,
statuses or values changed by hand, so every expected mark and front is worked out in the test.
"""
from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from synthaudit.analysis import gaps
from synthaudit.analysis.pareto import non_dominated, pareto
from synthaudit.catalog import load_gap_tables
from synthaudit.report.model import AuditReport, GapEntry

RAN = ["tabular.kst", "tabular.tvd", "tabular.beta_recall", "tabular.tstr_auc", "tabular.auc_mia"]
SHIM = ("import typer\nfrom synthaudit.cli.analysis import gaps_cmd, pareto_cmd\n"
        "app = typer.Typer(pretty_exceptions_enable=False, add_completion=False)\n"
        "app.command('gaps')(gaps_cmd)\napp.command('pareto')(pareto_cmd)\napp()\n")


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> tuple[AuditReport, Path]:
    from sklearn.datasets import load_wine

    import synthaudit
    from synthaudit.generate.tabular import GaussianCopula

    df = load_wine(as_frame=True).frame
    train, hold = df.iloc[::2].reset_index(drop=True), df.iloc[1::2].reset_index(drop=True)
    syn = GaussianCopula(seed=0).fit(train).sample(len(train))
    out = tmp_path_factory.mktemp("gp") / "copula"
    report = synthaudit.audit("tabular", synthetic=syn, real=train, holdout=hold, train=train, target="target",
                              metrics=RAN, params={"tabular.auc_mia": {"max_query_rows": 20}})
    report.write(out, html=False)
    return report, out / "report.json"


def copy(report: AuditReport, values: dict[str, float | None] | None = None, notes: dict[str, dict] | None = None,
         drop: tuple[str, ...] = ()) -> AuditReport:
    r = report.model_copy(deep=True)
    r.metrics = [m for m in r.metrics if m.id not in drop]
    for m in r.metrics:
        if values and m.id in values:
            m.value = values[m.id]
        if notes and m.id in notes:
            m.notes = {**m.notes, **notes[m.id]}
    return r


# -- gaps -----------------------------------------------------------------------------------------------

def test_marks_worked_by_hand(base):
    report, _ = base
    assert {m.id for m in report.metrics if m.status == "ok"} == set(RAN)
    # validity 0/2, fidelity 2/6, diversity 1/1, utility 1/2, privacy auc_mia on 20 of 89 rows, fairness 0/6
    assert gaps.marks(report) == {"validity": "×", "fidelity": "△", "diversity": "✓", "utility": "△",
                                  "privacy": "△", "fairness": "×", "faithfulness": "—", "safety": "—",
                                  "robustness": "—", "provenance": "—"}
    assert "tabular.auc_mia" in gaps.dimension_marks(report)["privacy"]["sampled"]


def test_a_sample_demotes_a_full_dimension(base):
    report, _ = base
    sampled = copy(report, notes={"tabular.beta_recall": {"sampled": "seeded subsample of at most 50 rows"}})
    assert gaps.marks(report)["diversity"] == "✓"
    assert gaps.marks(sampled)["diversity"] == "△"
    failed = report.model_copy(deep=True)
    next(m for m in failed.metrics if m.id == "tabular.beta_recall").status = "failed"
    assert gaps.marks(failed)["diversity"] == "×"
    assert gaps.closing_flags(failed)["diversity"][0]["reason"].startswith("failed")


@pytest.mark.parametrize("notes, expected", [
    ({"members": "20 train rows (of 89); non-members: 20 holdout rows (of 89); seeded samples"}, True),
    ({"members": "89 train rows (of 89); non-members: 89 holdout rows (of 89); seeded samples"}, False),
    ({"synthetic_rows": "all 89 synthetic rows"}, False),
    ({"holdout_rows": "50 of 89 real_holdout rows (seeded sample, max_query_rows=50)"}, True),
    ({"sample": "scored a seeded content-hash sample of 10 of 20 records"}, True),
    ({"sample_size": 300, "population": 300}, False),
    ({"sample_size": 300, "population": 1000}, True),
])
def test_sample_note(base, notes, expected):
    m = base[0].metrics[0].model_copy(update={"notes": notes})
    assert (gaps.sample_note(m) is not None) is expected


def test_closing_flags(base):
    report, _ = base
    flags = gaps.closing_flags(report)
    assert "diversity" not in flags  # ✓: nothing to close
    assert flags["fairness"] == [{"enable": "--metrics tabular.spd,tabular.dir,tabular.eo,tabular.eop,"
                                  "tabular.cov_gap,tabular.cond_shift", "reason": "not selected (--metrics)",
                                  "metrics": ["tabular.spd", "tabular.dir", "tabular.eo", "tabular.eop",
                                              "tabular.cov_gap", "tabular.cond_shift"]}]
    assert {"enable": "--param tabular.auc_mia.max_query_rows=0", "metrics": ["tabular.auc_mia"]}.items() <= \
        next(g for g in flags["privacy"] if g["metrics"] == ["tabular.auc_mia"]).items()
    missing = report.model_copy(deep=True)
    for g in missing.gaps:
        if g.dimension == "fairness":
            g.kind, g.reason, g.enable = "missing_input", "needs protected", "--protected"
    assert "fairness: pass --protected (tabular.spd, tabular.dir, tabular.eo, tabular.eop, tabular.cov_gap, " \
           "tabular.cond_shift)" in gaps.flag_lines(missing)


def test_compare_methods_rows_are_the_survey_table(base):
    report, _ = base
    cmp = gaps.compare_methods(report)
    table4 = next(t for t in load_gap_tables()["tables"] if t["table"] == 4)
    assert cmp["dimensions"] == table4["dimensions"]
    assert cmp["rows"][0]["marks"] == {d: gaps.marks(report)[d] for d in table4["dimensions"]}
    assert [(r["method"], r["marks"]) for r in cmp["rows"][1:]] == [(r["method"], r["marks"]) for r in table4["rows"]]
    _, json_rows = gaps.survey_table("json")  # Table 5 keeps the rows of the JSON data type only
    assert json_rows and all(r["data_type"] == "JSON" for r in json_rows)


def test_score_paper():
    score = gaps.score_paper("validity, fidelity:partial,diversity", "tabular")
    assert score["paper"]["marks"] == {"validity": "✓", "fidelity": "△", "diversity": "✓", "utility": "×",
                                       "privacy": "×", "fairness": "×"}
    assert score["covers"] == ["validity", "fidelity", "diversity"]
    assert score["leaves_out"] == ["utility", "privacy", "fairness"]
    rows = next(t for t in load_gap_tables()["tables"] if t["table"] == 4)["rows"]
    fewer = sum(1 for r in rows if sum(v in ("✓", "△") for v in r["marks"].values()) < 3)
    assert score["methods_covering_fewer"] == fewer
    assert gaps.score_paper("safety", "tabular")["outside_table"] == ["safety"]


def test_coverage_matrix(base):
    report, _ = base
    matrix = gaps.coverage_matrix([report, copy(report, drop=("tabular.beta_recall",))], ["a", "b"])
    assert [(r["label"], r["marks"]["diversity"]) for r in matrix] == [("a", "✓"), ("b", "×")]


# -- pareto ---------------------------------------------------------------------------------------------

def brute_front(points: list[tuple[float, ...]], directions: list[tuple[str, float | None]]) -> set[int]:
    """Independent check: i is on the front unless some j is at least as good everywhere, better once."""
    def better_eq(a: float, b: float, d: tuple[str, float | None]) -> tuple[bool, bool]:
        kind, t = d
        if kind == "higher_better":
            return a >= b, a > b
        if kind == "lower_better":
            return a <= b, a < b
        return abs(a - t) <= abs(b - t), abs(a - t) < abs(b - t)

    out = set()
    for i, p in enumerate(points):
        if not any(all(better_eq(q[k], p[k], d)[0] for k, d in enumerate(directions))
                   and any(better_eq(q[k], p[k], d)[1] for k, d in enumerate(directions))
                   for j, q in enumerate(points) if j != i):
            out.add(i)
    return out


@pytest.mark.parametrize("ids", [["tabular.kst", "tabular.tstr_auc"],
                                 ["tabular.kst", "tabular.tstr_auc", "tabular.auc_mia"]])
def test_pareto_against_brute_force(base, ids):
    report, _ = base
    dirs = {"tabular.kst": ("lower_better", None), "tabular.tstr_auc": ("higher_better", None),
            "tabular.auc_mia": ("target", 0.5)}
    grid = [0.3, 0.5, 0.7]  # few levels: ties and equal distances to the target (0.3 vs 0.7) are common
    rng = np.random.default_rng(0)
    for _ in range(25):
        points = [tuple(float(v) for v in rng.choice(grid, size=len(ids))) for _ in range(7)]
        reports = [copy(report, values=dict(zip(ids, p))) for p in points]
        labels = [f"r{i}" for i in range(len(points))]
        result = pareto(reports, labels, ids)
        expected = brute_front(points, [dirs[i] for i in ids])
        assert set(result["front"]) == {labels[i] for i in expected}
        for run, p in zip(result["runs"], points):
            doms = {labels[j] for j, q in enumerate(points) if brute_front([q, p], [dirs[i] for i in ids]) == {0}}
            assert set(run["dominated_by"]) == doms
            assert run["tied_with"] == [labels[j] for j, q in enumerate(points)
                                        if q == p and run["status"] == "front" and labels[j] != run["label"]]


def test_pareto_hand_worked(base):
    report, _ = base
    ids = ["tabular.kst", "tabular.auc_mia"]
    vals = {"a": (0.1, 0.9), "b": (0.2, 0.5), "c": (0.2, 0.45), "d": (0.1, 0.1), "e": (0.2, 0.5)}
    reports = [copy(report, values=dict(zip(ids, v))) for v in vals.values()]
    no_mia = copy(report, drop=("tabular.auc_mia",))
    no_mia.gaps.append(GapEntry(id="tabular.auc_mia", name="AUC_MIA", pillar="trust", dimension="privacy",
                                kind="missing_input", reason="needs real_holdout", enable="--holdout"))
    reports.append(no_mia)
    reports.append(copy(report, values={"tabular.kst": None}))
    result = pareto(reports, [*vals, "f", "g"], ids)
    by = {r["label"]: r for r in result["runs"]}
    # a (0.1, |0.4|) and d (0.1, |0.4|) tie; b, e (0.2, 0) tie; c (0.2, 0.05) is dominated by b and e
    assert result["front"] == ["a", "b", "d", "e"]
    assert by["a"]["tied_with"] == ["d"] and by["b"]["tied_with"] == ["e"]
    assert by["c"]["status"] == "dominated" and by["c"]["dominated_by"] == ["b", "e"]
    assert by["f"]["status"] == "excluded"
    assert by["f"]["reason"] == "tabular.auc_mia did not run (needs real_holdout; enable with --holdout)"
    assert by["g"]["status"] == "excluded" and "tabular.kst has no value" in by["g"]["reason"]


def test_non_dominated_small():
    front, dom = non_dominated([(0, 1), (1, 0), (1, 1), (0, 1)])
    assert front == [0, 1, 3] and dom == {2: [0, 1, 3]}
    assert list(itertools.chain(*dom.values())) == [0, 1, 3]


# -- command line ---------------------------------------------------------------------------------------

def cli(*args, cwd: Path) -> subprocess.CompletedProcess:
    from synthaudit.cli import app

    names = {c.name for c in app.registered_commands}
    cmd = ["-m", "synthaudit"] if {"gaps", "pareto"} <= names else ["-c", SHIM]
    env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "PY_COLORS")}
    env.update(NO_COLOR="1", COLUMNS="200")
    return subprocess.run([sys.executable, *cmd, *map(str, args)], capture_output=True, text=True, cwd=cwd,
                          env=env, timeout=120)


def user_error(proc: subprocess.CompletedProcess, *needles: str) -> None:
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    assert proc.stderr.count("error:") == 1 and all(n in proc.stderr for n in needles), proc.stderr


def test_cli_gaps_json_and_table(base, tmp_path):
    report, path = base
    proc = cli("gaps", path, "--compare-methods", "--paper", "validity,fidelity,diversity", "--json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["matrix"][0]["label"] == "copula" and data["matrix"][0]["marks"] == gaps.marks(report)
    assert data["compare_methods"]["copula"]["rows"][1]["method"] == "GReaT"
    assert data["paper"]["tabular"]["leaves_out"] == ["utility", "privacy", "fairness"]
    table = cli("gaps", path.parent, cwd=tmp_path)
    assert table.returncode == 0 and "△" in table.stdout and "--param tabular.auc_mia.max_query_rows=0" in table.stdout


def test_cli_pareto_plot(base, tmp_path):
    report, path = base
    other = tmp_path / "other" / "report.json"
    other.parent.mkdir()
    other.write_text(copy(report, values={"tabular.kst": 0.01, "tabular.tstr_auc": 1.0}).to_json())  # dominates
    proc = cli("pareto", path, other, "--metrics", "tabular.kst,tabular.tstr_auc", "--plot", "front.svg",
               "--labels", "copula,better", "--json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["front"] == ["better"] and data["runs"][0]["dominated_by"] == ["better"]
    assert (tmp_path / "front.svg").read_text().startswith("<svg")


def test_cli_user_errors(base, tmp_path):
    _, path = base
    (tmp_path / "other.json").write_text('{"hello": 1}')
    (tmp_path / "bad.json").write_text("not json")
    user_error(cli("gaps", "missing.json", cwd=tmp_path), "missing.json", "file not found")
    user_error(cli("gaps", "other.json", cwd=tmp_path), "other.json", "not a synthaudit report")
    user_error(cli("pareto", "bad.json", "--metrics", "tabular.kst", cwd=tmp_path), "bad.json", "not a synthaudit")
    user_error(cli("pareto", path, "--metrics", "tabular.nope", cwd=tmp_path), "unknown metric id")
    user_error(cli("pareto", path, "--metrics", "tabular.dcr,tabular.tstr_auc", cwd=tmp_path), "report_only")
    user_error(cli("gaps", path, "--paper", "validity,speed", cwd=tmp_path), "unknown dimension 'speed'")
