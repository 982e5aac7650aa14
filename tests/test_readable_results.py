"""Issue 11, "readable results": what a new user found, each with a check that failed before the fix.

1. each metric's HTML card leads with one plain sentence (report/explain.py); the notes fold away;
2. tabular.chi2's share_passing: the share of columns passing at alpha (a well-matched table passes the
   README's gates; shuffled or distorted tables fail them);
3. the terminal summary's gap counts agree with its list;
4. ``gaps`` marks a metric sampled only when it used fewer records than it had;
5. ``pareto`` warns when runs were audited on different real data;
6. the embedding map draws both groups visibly;
7. the run metadata lists only the model backends the audit's metrics use;
8. the README opens the report on any platform.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from scipy import stats

import synthaudit
from conftest import REPO
from synthaudit.analysis import gaps
from synthaudit.report.explain import READINGS, plain_parts, plain_sentence
from synthaudit.report.html import render_html
from synthaudit.report.model import AuditReport, GapEntry, MetricEntry


def entry(mid: str = "tabular.kst", value: float | None = 0.031, **kw) -> MetricEntry:
    """A MetricEntry as the audit writes it, from the metric's catalog (or extension) entry."""
    from synthaudit.metrics.registry import metric_entries

    e = metric_entries()[mid]
    fields = dict(id=mid, name=e["name"], modality=e["modality"], pillar=e["pillar"], dimension=e["dimension"],
                  section=str(e.get("section", "")), direction=e["direction"], range=e.get("range"),
                  target_value=e.get("target_value"), computation=e["computation"], good="", status="ok",
                  value=value, wall_time_s=0.0, extension=bool(e.get("extension")))
    fields.update(kw)
    return MetricEntry(**fields)


def split_halves(frame: pd.DataFrame, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    idx = np.random.default_rng(seed).permutation(len(frame))
    half = len(frame) // 2
    return frame.iloc[idx[:half]].reset_index(drop=True), frame.iloc[idx[half:]].reset_index(drop=True)


# -- 1. the plain sentence -------------------------------------------------------------------------------

def test_plain_sentence_of_kst_reads_like_the_issue():
    assert plain_sentence(entry("tabular.kst", 0.031)) == (
        "0.031: the synthetic numerical columns' distributions are close to the real ones (Kolmogorov-Smirnov "
        "statistic; 0 is identical, 1 is disjoint; lower is better)")
    assert "differ somewhat" in plain_sentence(entry("tabular.kst", 0.15))
    assert "differ clearly" in plain_sentence(entry("tabular.kst", 0.5))


@pytest.mark.parametrize("mid, value, expected", [
    # generic, per direction (text.evidence_f1 and text.ext.empty_rate's generic forms have no reading of their own)
    ("text.evidence_f1", 0.95, "0.95: close to the best value, 1 (Evidence selection precision / recall / F1; "
                               "from 0 to 1; higher is better)"),
    ("text.evidence_f1", 0.8, "0.8: some way from the best value, 1"),
    ("text.evidence_f1", 0.2, "0.2: far from the best value, 1"),
    ("dialogue.ruber", 0.05, "far from the best value, 1"),
    ("dialogue.usr", 3.2, "3.2: higher is better and the scale has no fixed end there"),
    ("text.ext.language_mix", 0.85, "85% of the sampled records are in the majority"),
    # target and report_only: the readings say what the ends mean
    ("tabular.auc_mia", 0.52, "0.52: a membership attack does no better than chance"),
    ("tabular.auc_mia", 0.8, "can tell training rows from unseen ones: a privacy risk"),
    ("tabular.dir", 0.7, "outside the four-fifths rule"),
    ("tabular.dcr", 0.5, "50% of the synthetic rows are nearer to a training row than to an unseen real row: "
                         "no sign of copying"),
    ("tabular.dcr", 0.9, "copies its training rows"),
    ("tabular.violation_rate", 0.0027, "0.27% of the constraint checks fail"),
    ("text.ttr", 0.3167, "32% of the tokens are distinct words"),
])
def test_plain_sentence_per_direction_and_reading(mid, value, expected):
    assert expected in plain_sentence(entry(mid, value))


def test_plain_sentence_for_generic_target_and_report_only_directions():
    target = entry("tabular.kst", 0.52, id="x.t", name="Some target metric (T)", direction="target",
                   target_value=0.5, range="[0,1]")
    assert plain_sentence(target) == "0.52: close to the target value 0.5 (Some target metric; from 0 to 1; " \
                                     "closest to 0.5 is best)"
    assert "far from the target value 0.5" in plain_sentence(target.model_copy(update={"value": 0.9}))
    context = entry("tabular.kst", 2.0, id="x.r", name="Context number", direction="report_only", range="[0,inf)")
    assert plain_sentence(context) == ("2: reported for context, with no better side: read it against the "
                                       "baseline shown beside it (Context number; 0 or more; no better side)")


def test_plain_sentence_uses_baselines_where_the_bare_value_would_mislead():
    # TSTR: 0.75 is "moderate" in general but as good as the train-on-real model here
    tstr = entry("tabular.tstr_auc", 0.75, secondary={"trtr": 0.76})
    assert "about as well as one trained on real data, whose AUC is 0.76" in plain_sentence(tstr)
    # attribute inference: a large gain that unseen rows share comes from correlations, not leakage
    aia = entry("tabular.gain_aia", 0.24, secondary={"gain_holdout": 0.23}, notes={"sensitive_column": "sex"})
    assert "reveal nothing specific to the training rows" in plain_sentence(aia)
    eds = entry("text.eds", 0.58, secondary={"real_split_baseline": 0.58})
    assert "as close to the real corpus as two halves of the real corpus" in plain_sentence(eds)


def test_plain_sentence_without_a_value_or_after_a_failure():
    none = entry("tabular.dp_epsilon_delta", None, notes={"why": "no formal differential-privacy guarantee"})
    assert plain_parts(none) == ("—", "no value on these data: no formal differential-privacy guarantee "
                                      "(differential privacy; no better side)")
    failed = entry("tabular.kst", None, status="failed", error="ValueError: boom")
    assert plain_parts(failed)[1].endswith("ValueError: boom")


def test_every_metric_gets_a_sentence_and_every_reading_is_a_metric():
    from synthaudit.metrics.registry import all_metrics, metric_entries

    registered = [mid for mid in all_metrics() if mid.split(".")[0] in ("tabular", "text", "dialogue")]
    assert set(READINGS) <= set(metric_entries())  # the one mapping names real metric ids only
    for mid in registered:
        for value in (-0.5, 0.0, 0.04, 0.5, 0.97, 1.0, 3.0, None):
            text = plain_sentence(entry(mid, value, notes={"columns_tested": 2, "alpha": 0.05},
                                        secondary={"share_passing": 0.5}))
            assert text and "{" not in text and "None" not in text, (mid, value, text)


def _cards(html: str) -> dict[str, str]:
    found = re.finditer(r'<section class="card" id="([^"]+)">(.*?)</section>', html, re.S)
    return {m.group(1): m.group(2) for m in found}


def test_html_cards_lead_with_the_sentence_and_fold_the_notes(wine):
    real, syn = split_halves(wine)
    report = synthaudit.audit("tabular", synthetic=syn, real=real, metrics=["tabular.kst", "tabular.chi2"],
                              seed=0, progress=False)
    html = render_html(report)
    cards = _cards(html)
    assert set(cards) == {"tabular.kst", "tabular.chi2"}
    for mid, card in cards.items():
        m = report.result(mid)
        after_title = card[card.index("</h3>") + 5:].lstrip()
        value, rest = plain_parts(m)
        # the first thing under the title is the sentence, value first
        assert after_title.startswith(f'<p class="lead"><span class="value">{value}</span>: '), after_title[:120]
        assert rest.replace("'", "&#39;") in after_title.split("</p>")[0]
        before, folded = card[:card.index("<details")], card[card.index("<details"):]
        assert re.fullmatch(r'\s*<h3>.*?</h3>\s*<p class="lead">.*?</p>\s*', before, re.S), before  # nothing else
        for key in m.notes:  # every note and every parameter is folded away
            assert f'<th scope="row">{key.replace("_", " ")}</th>' in folded, key
        for key in m.params:
            assert f'<th scope="row">{key}</th>' in folded, key
    assert "<script" not in html


# -- 2. chi-squared: share of columns passing at alpha ------------------------------------------------------

def readme_gates() -> dict:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    block = re.search(r"\*\*Policy gates\*\*.*?```yaml\n(.*?)```", text, re.S).group(1)
    return yaml.safe_load(block)


@pytest.fixture(scope="module")
def cancer_halves(cancer):
    return split_halves(cancer, seed=0)


def gate_results(report: AuditReport) -> dict[str, bool]:
    return {g.gate: g.passed for g in report.policy.gates}


def test_readme_gates_hold_for_a_well_matched_table(cancer_halves):
    real, syn = cancer_halves
    gates = readme_gates()
    assert "tabular.chi2.share_passing" in gates
    report = synthaudit.audit("tabular", synthetic=syn, real=real, policy=gates, seed=0, progress=False)
    res = gate_results(report)
    chi2 = report.result("tabular.chi2")
    assert chi2.secondary["share_passing"] == 1.0 and chi2.params["alpha"] == 0.05
    assert chi2.breakdown[0]["p_two_sample"] >= 0.05 and chi2.breakdown[0]["passed"] is True
    # every gate on a metric that ran holds; the DCR gate and the gate relative to the holdout reference fail
    # because no holdout was given, as the README says
    needs_holdout = {"tabular.dcr", "tabular.tvd"}
    assert {g: ok for g, ok in res.items() if g not in needs_holdout} == \
        {g: True for g in gates if g not in needs_holdout}
    assert not res["tabular.dcr"] and not res["tabular.tvd"]
    tvd_gate = next(g for g in report.policy.gates if g.gate == "tabular.tvd")
    assert tvd_gate.reason.startswith("no reference value (no holdout given")


def test_readme_gates_fail_for_shuffled_or_distorted_tables(cancer_halves):
    real, syn = cancer_halves
    gates = readme_gates()
    rng = np.random.default_rng(1)
    shuffled = syn.apply(lambda col: rng.permutation(col.to_numpy()))  # marginals kept, relations destroyed
    res = gate_results(synthaudit.audit("tabular", synthetic=shuffled, real=real, policy=gates, progress=False))
    assert not res["tabular.pearson_score"]
    distorted = syn.copy()
    flip = (distorted["diagnosis"] == "malignant") & (rng.random(len(distorted)) < 0.6)
    distorted.loc[flip, "diagnosis"] = "benign"  # category frequencies shifted
    numeric = [c for c in distorted.columns if c != "diagnosis"]
    distorted[numeric] = distorted[numeric] * 1.3  # numerical distributions stretched
    res = gate_results(synthaudit.audit("tabular", synthetic=distorted, real=real, policy=gates, progress=False))
    assert not res["tabular.chi2.share_passing"] and not res["tabular.kst"]


def test_chi2_share_passing_is_calibrated_on_many_categorical_columns():
    """Two samples of one distribution, 20 columns of 11 categories: about 95% of columns pass at alpha 0.05
    (the one-sample p-value of the catalog value, which takes the real frequencies as exact, would fail about
    half of them), and each column's p_two_sample is scipy's test of homogeneity."""
    rng = np.random.default_rng(0)
    probs = 0.5 * rng.dirichlet(np.ones(11) * 3, size=20) + 0.5 / 11  # every category >= 4.5%: none unseen
    def draw():
        return pd.DataFrame({f"c{j}": rng.choice([f"v{k}" for k in range(11)], size=400, p=probs[j])
                                     for j in range(20)})
    real, syn = draw(), draw()
    res = synthaudit.audit("tabular", synthetic=syn, real=real, metrics=["tabular.chi2"], progress=False)
    m = res.result("tabular.chi2")
    assert m.secondary["share_passing"] >= 0.85
    assert m.secondary["share_above_pass_threshold"] == np.mean([r["value"] >= 0.95 for r in m.breakdown])
    one_sample_share = np.mean([r["value"] >= 0.05 for r in m.breakdown])
    assert one_sample_share < m.secondary["share_passing"]
    for row in m.breakdown:
        counts = pd.crosstab(np.r_[np.zeros(len(real)), np.ones(len(syn))],
                             np.r_[real[row["column"]].to_numpy(), syn[row["column"]].to_numpy()])
        ref = stats.chi2_contingency(counts.to_numpy(), correction=False).pvalue
        assert row["p_two_sample"] == pytest.approx(ref, rel=1e-9)
        assert row["passed"] == (ref >= 0.05)
    explained = plain_sentence(m)
    assert "categorical columns pass the chi-squared test at α = 0.05" in explained


# -- 3. the terminal summary ---------------------------------------------------------------------------

def test_summary_gap_count_agrees_with_the_list(wine):
    from synthaudit.cli.audit import print_summary
    from synthaudit.cli.common import out_console

    real, syn = split_halves(wine)
    report = synthaudit.audit("tabular", synthetic=syn, real=real, metrics=["tabular.kst"], progress=False)
    report.gaps = [GapEntry(id=f"tabular.m{i}", name=f"m{i}", pillar="trust", dimension="privacy",
                            kind="missing_input", reason="needs real_holdout", enable="--holdout") for i in range(10)]
    with out_console.capture() as cap:
        print_summary(report, Path("out"))
    text = cap.get()
    assert "gaps: 10 missing input" in text
    listed = [ln for ln in text.splitlines() if "needs real_holdout -> pass --holdout" in ln]
    more = re.search(r"and (\d+) more: see the gaps section of (\S+)", text)
    assert more and len(listed) + int(more.group(1)) == 10 and more.group(2).endswith("report.html")
    report.gaps = report.gaps[:3]
    with out_console.capture() as cap:
        print_summary(report, Path("out"))
    assert "more:" not in cap.get() and cap.get().count("-> pass --holdout") == 3


# -- 4. gaps: sampled only when fewer records were used --------------------------------------------------

def test_small_tabular_audit_on_every_row_is_not_sampled(cancer):
    """240 rows: train 160, holdout 80 (members balanced to the 80 holdout rows), synthetic 240."""
    table = cancer.iloc[:240].reset_index(drop=True)
    train, hold = table.iloc[:160], table.iloc[160:]
    syn = cancer.iloc[240:480].reset_index(drop=True)
    ids = ["tabular.kst", "tabular.det_score", "tabular.alpha_precision", "tabular.dcr", "tabular.auc_mia",
           "tabular.adv_mia"]
    full = synthaudit.audit("tabular", synthetic=syn, real=train, holdout=hold, metrics=ids, progress=False)
    marks = gaps.dimension_marks(full)
    assert marks["privacy"]["sampled"] == {} and marks["fidelity"]["sampled"] == {}
    assert all(gaps.sample_note(m) is None for m in full.metrics)
    capped = synthaudit.audit("tabular", synthetic=syn, real=train, holdout=hold, metrics=ids, progress=False,
                              params={"tabular.auc_mia": {"max_query_rows": 50},
                                      "tabular.det_score": {"max_rows": 100}})
    marks = gaps.dimension_marks(capped)
    assert set(marks["privacy"]["sampled"]) == {"tabular.auc_mia"}  # the cap applies to its own run only
    assert set(marks["fidelity"]["sampled"]) == {"tabular.det_score"}
    assert any(g["enable"] == "--param tabular.auc_mia.max_query_rows=0" for g in gaps.closing_flags(capped)["privacy"])


@pytest.mark.parametrize("notes, sampled", [
    ({"members": "80 train rows (of 160); non-members: 80 holdout rows (of 80); equal sizes, seeded samples "
                 "(max_query_rows=20000)"}, False),  # balanced to the smaller side: every holdout row used
    ({"members": "50 train rows (of 160); non-members: 50 holdout rows (of 80); equal sizes, seeded samples "
                 "(max_query_rows=50)"}, True),
    ({"balance": "train and holdout have 160 and 80 rows: the share is computed against 80 rows of each "
                 "(seeded sample of the larger)"}, False),
    ({"embedding_map": "PCA (numpy SVD) of a seeded sample of at most 300 embeddings per corpus"}, False),
    ({"sample_size": 8, "population": 8, "sample": "the records with the smallest seeded hash"}, False),
    ({"sample_size": 4, "population": 8, "sample": "the records with the smallest seeded hash"}, True),
    ({"real_sampled_rows": 100}, True),
])
def test_sample_note_reads_what_was_used(notes, sampled):
    assert (gaps.sample_note(entry("tabular.kst", 0.1, notes=notes)) is not None) is sampled


def test_small_text_audit_on_every_record_is_not_sampled():
    from synthaudit.models import Models

    if Models.default().availability("sentence_embedder") or Models.default().availability("causal_lm"):
        pytest.skip("the offline embedder or language model is not installed")
    words = "cat dog bird fish cow pig hen fox".split()
    syn = pd.DataFrame({"text": [f"The {w} sat quietly on the mat number {i}." for i, w in enumerate(words)]})
    real = pd.DataFrame({"text": [f"A {w} ran across the wide field today, {i} times." for i, w in enumerate(words)]})
    full = synthaudit.audit("text", synthetic=syn, real=real, metrics=["text.eds", "text.perplexity"],
                            progress=False)
    assert gaps.marks(full)["fidelity"] == gaps.PARTIAL  # 1 of 2 catalog metrics, not a sample
    assert gaps.dimension_marks(full)["fidelity"]["sampled"] == {}
    assert gaps.dimension_marks(full)["safety"]["sampled"] == {}
    capped = synthaudit.audit("text", synthetic=syn, real=real, metrics=["text.perplexity"], progress=False,
                              params={"text.perplexity": {"max_records": 4}})
    assert set(gaps.dimension_marks(capped)["safety"]["sampled"]) == {"text.perplexity"}


# -- 5. pareto on different real data ------------------------------------------------------------------

@pytest.fixture(scope="module")
def two_runs(tmp_path_factory, wine):
    out = tmp_path_factory.mktemp("pareto")
    real, syn = split_halves(wine)
    real2 = real.sample(frac=1.0, replace=True, random_state=1).reset_index(drop=True)
    paths = {}
    for label, ref in (("copula", real), ("llm", real), ("other", real2)):
        (out / f"{label}.csv").write_text(ref.to_csv(index=False))
        rep = synthaudit.audit("tabular", synthetic=syn, real=str(out / f"{label}.csv"),
                               metrics=["tabular.kst", "tabular.tvd"], progress=False)
        rep.write(out / label, html=False)
        paths[label] = out / label / "report.json"
    return paths


def _cli(*args, cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "PY_COLORS")}
    env.update(NO_COLOR="1", COLUMNS="250")
    return subprocess.run([sys.executable, "-m", "synthaudit", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=120)


def test_pareto_warns_when_real_data_differ(two_runs, tmp_path):
    from synthaudit.analysis import load_report
    from synthaudit.analysis.pareto import pareto

    same = pareto([load_report(two_runs["copula"]), load_report(two_runs["llm"])], ["copula", "llm"],
                  ["tabular.kst", "tabular.tvd"])
    assert same["warnings"] == []  # same content, though the files have different names
    reports = [load_report(two_runs[k]) for k in ("copula", "other")]
    result = pareto(reports, ["copula", "other"], ["tabular.kst", "tabular.tvd"])
    (warning,) = result["warnings"]
    sha = {k: r.inputs[1].sha256[:8] for k, r in zip(("copula", "other"), reports)}
    assert warning.startswith("runs compared on different real data: ")
    assert f"copula (real/train copula.csv sha {sha['copula']}…)" in warning
    assert f"other (real/train other.csv sha {sha['other']}…)" in warning
    assert warning.endswith("their metrics are not comparable")
    proc = _cli("pareto", two_runs["copula"], two_runs["other"], "--metrics", "tabular.kst,tabular.tvd",
                "--labels", "copula,other", "--json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["warnings"] == [warning]
    assert "runs compared on different real data" in " ".join(proc.stderr.split())
    table = _cli("pareto", two_runs["copula"], two_runs["other"], "--metrics", "tabular.kst,tabular.tvd",
                 cwd=tmp_path)
    assert table.returncode == 0 and "warning: runs compared on different real data" in table.stdout


def test_pareto_compares_sources_when_a_report_has_no_hash(two_runs):
    from synthaudit.analysis import load_report
    from synthaudit.analysis.pareto import real_data_warning

    a, b = load_report(two_runs["copula"]), load_report(two_runs["llm"])
    for rep in (a, b):
        for i in rep.inputs:
            i.sha256 = None
    assert real_data_warning([a, b], ["a", "b"]) is not None  # copula.csv vs llm.csv: cannot tell they match
    b.inputs = [i.model_copy(update={"source": a.inputs[k].source}) for k, i in enumerate(b.inputs)]
    assert real_data_warning([a, b], ["a", "b"]) is None


# -- 6. the embedding map ------------------------------------------------------------------------------

def _luminance(hex_color: str) -> float:
    rgb = [int(hex_color[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def _on_white(hex_color: str, alpha: float) -> float:
    """Contrast against white of a colour painted with ``alpha`` on white."""
    rgb = [int(hex_color[i:i + 2], 16) for i in (1, 3, 5)]
    blended = "#" + "".join(f"{round(alpha * c + (1 - alpha) * 255):02x}" for c in rgb)
    return 1.05 / (_luminance(blended) + 0.05)


def test_embedding_map_draws_both_groups_visibly():
    from synthaudit.report import plots

    rng = np.random.default_rng(0)
    payload = {"kind": "scatter", "title": "Embedding map", "xlabel": "PC1", "ylabel": "PC2",
               "series": [{"label": "real", "x": rng.normal(size=50).tolist(), "y": rng.normal(size=50).tolist()},
                          {"label": "synthetic", "x": rng.normal(size=40).tolist(), "y": rng.normal(size=40).tolist()}]}
    svg = plots.scatter_svg(payload)
    assert 'aria-label="Embedding map: real, synthetic"' in svg  # the alt text is kept
    groups = re.findall(r'<g id="PathCollection_\d+">(.*?)</g>\s*</g>', svg, re.S)[:2]  # the two point clouds
    assert len(groups) == 2
    shapes, colors = [], []
    for g in groups:
        d = re.search(r'<path id="[^"]+" d="([^"]+)"', g).group(1)
        coords = [abs(float(x)) for x in re.findall(r"-?\d+\.?\d*", d)]
        assert max(coords) >= 2.5, "markers of at least 5 pt across"
        style = re.search(r'<use [^>]*style="([^"]+)"', g).group(1)
        fill = re.search(r"fill: (#[0-9a-f]{6})", style).group(1)
        alpha = float(re.search(r"fill-opacity: ([\d.]+)", style).group(1)) if "fill-opacity" in style else 1.0
        assert _on_white(fill, alpha) >= 4.5, (fill, alpha)
        shapes.append(d)
        colors.append(fill)
    assert shapes[0] != shapes[1] and colors[0] != colors[1]  # distinct filled markers, distinct colours
    assert "real (50)" in svg and "synthetic (40)" in svg  # the legend, with counts


# -- 7. run metadata: the models the audit uses ------------------------------------------------------

def test_run_metadata_lists_only_the_models_the_metrics_use(wine):
    real, syn = split_halves(wine)
    plain = synthaudit.audit("tabular", synthetic=syn, real=real, metrics=["tabular.kst", "tabular.tvd"],
                             progress=False)
    assert plain.run.models == {}
    assert ">models</th>" not in render_html(plain)
    learner = synthaudit.audit("tabular", synthetic=syn, real=real, holdout=real, target="class",
                               metrics=["tabular.kst", "tabular.tstr_auc"], progress=False)
    assert set(learner.run.models) == {"downstream_learner"}
    text = synthaudit.audit("text", synthetic=pd.DataFrame({"text": ["one text.", "another text."]}),
                            metrics=["text.ttr"], progress=False)
    assert text.run.models == {}


def test_worst_records_leave_out_perfect_scores():
    report = synthaudit.audit("text", synthetic=pd.DataFrame({"text": ["one text here.", "another one.", ""]}),
                              metrics=["text.ext.empty_rate"], progress=False)
    (m,) = report.metrics
    assert [w["record"] for w in m.worst] == [2]  # only the empty record; the others score the best value, 0


# -- 8. README ------------------------------------------------------------------------------------------

def test_readme_opens_the_report_on_every_platform():
    text = (REPO / "README.md").read_text(encoding="utf-8")
    assert not re.search(r"^open out/report\.html", text, re.M)
    assert "xdg-open out/report.html" in text and "`open` on macOS" in text and "`start` on Windows" in text
