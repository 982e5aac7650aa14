"""docs/architecture.md's 'Adding a modality' walkthrough, run as written: the toy modality registers with one
record metric and goes through ``audit`` (both call forms), the CLI, ``filter`` and the report, with nothing in
``audit/``, ``report/`` or ``cli/`` knowing it. Each step runs in a subprocess, so the toy never leaks into the
registry of other tests."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DOC = REPO / "docs" / "architecture.md"
#: score column of the fixture: 2 of the 5 numbers lie outside [0, 10], one record has none
SCORES = ["3", "11", "-1", "7", "n/a", "10"]


def toy_module() -> str:
    section = DOC.read_text(encoding="utf-8").split("## Adding a modality", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


@pytest.fixture(scope="module")
def plugin(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("toy")
    (d / "toy_scores.py").write_text(toy_module(), encoding="utf-8")
    (d / "scores.csv").write_text("id,score\n" + "".join(f"r{i},{s}\n" for i, s in enumerate(SCORES)),
                                  encoding="utf-8")
    return d


def run(plugin: Path, *args: str, code: str | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "PY_COLORS")}
    env.update(NO_COLOR="1", COLUMNS="200", SYNTHAUDIT_PLUGINS="toy_scores",
               PYTHONPATH=os.pathsep.join([str(plugin), str(REPO / "src"), env.get("PYTHONPATH", "")]))
    cmd = [sys.executable, "-c", code] if code else [sys.executable, "-m", "synthaudit", *args]
    return subprocess.run(cmd, capture_output=True, text=True, cwd=plugin, env=env, timeout=300)


def test_the_walkthrough_touches_no_engine_cli_or_report_file():
    text = toy_module()
    assert "register_modality(" in text and "@register(" in text
    for pkg in ("audit", "report", "cli"):
        for path in (REPO / "src" / "synthaudit" / pkg).rglob("*.py"):
            assert not re.search(r"['\"]scores['\"]|scores\.out_of|toy_scores", path.read_text(encoding="utf-8")), path


def test_api_both_forms_and_the_value(plugin):
    code = ("import json, synthaudit, toy_scores\n"
            "a = synthaudit.audit('scores', synthetic='scores.csv', high=10, out='api')\n"
            "b = synthaudit.audit(toy_scores.ScoresInputs(synthetic='scores.csv', high=10.0))\n"
            "m = a.result('scores.out_of_range_rate')\n"
            "print(json.dumps({'a': a.value('scores.out_of_range_rate'), 'b': b.value('scores.out_of_range_rate'),"
            " 'undefined': m.notes['n_undefined'], 'n': m.n_record_scores,"
            " 'card': [r.coverage for r in a.scorecard if r.dimension == 'validity']}))\n")
    proc = run(plugin, code=code)
    assert proc.returncode == 0, proc.stderr
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    # by hand: 11 and -1 are outside [0, 10]; 'n/a' has no number; 2 of the 5 scored records
    assert got["a"] == pytest.approx(2 / 5) and got["b"] == got["a"]
    assert got["undefined"] == 1 and got["n"] == 6 and got["card"] == ["measured"]
    html = (plugin / "api" / "report.html").read_text(encoding="utf-8")
    assert "scores.out_of_range_rate" in html and "Out-of-range rate" in html


def test_cli_audit_help_filter_and_report(plugin):
    proc = run(plugin, "audit", "scores", "--help")
    assert proc.returncode == 0 and "--high" in proc.stdout and "Highest valid score" in proc.stdout
    proc = run(plugin, "audit", "scores", "--synthetic", "scores.csv", "--high", "10", "--out", "cli", "-q")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads((plugin / "cli" / "report.json").read_text(encoding="utf-8"))
    assert doc["modality"] == "scores"
    assert [m["value"] for m in doc["metrics"]] == [pytest.approx(0.4)]
    proc = run(plugin, "filter", "--modality", "scores", "--synthetic", "scores.csv", "--high", "10", "--out", "flt")
    assert proc.returncode == 0, proc.stderr
    summary = json.loads((plugin / "flt" / "summary.json").read_text(encoding="utf-8"))
    assert (summary["kept"], summary["rejected"], summary["unscored_kept"]) == (4, 2, 1)
    kept = (plugin / "flt" / "kept.csv").read_text(encoding="utf-8").splitlines()
    assert [line.split(",")[1] for line in kept[1:]] == ["3", "7", "n/a", "10"]
    (plugin / "cli" / "report.html").unlink()
    proc = run(plugin, "report", "cli/report.json")
    assert proc.returncode == 0 and "scores.out_of_range_rate" in (plugin / "cli" / "report.html").read_text()
    proc = run(plugin, "audit", "scores", "--synthetic", "scores.csv", "--high", "ten", "--out", "x")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    proc = run(plugin, "metrics", "--modality", "scores", "--json")
    assert proc.returncode == 0 and json.loads(proc.stdout)[0]["id"] == "scores.out_of_range_rate"
