"""Association matrices of mixed-type tables (synthaudit.stats.association) against numpy/scipy/hand computations,
and their place in the tabular HTML report: real, synthetic and difference heatmaps, folded per-column and
worst-pair plots, each with a one-line explanation."""
from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest
from scipy.stats.contingency import association

import synthaudit
from synthaudit.stats import association as assoc_mod
from synthaudit.stats.association import (CRAMER, ETA, PEARSON, association_difference, association_matrix,
                                          column_ranking, correlation_ratio, cramers_v, worst_pairs)

NUM = ["âge", "x", "名前", "const"]
CAT = ["città", "d", "ok?", "flat"]


def frame(seed: int = 0, n: int = 400) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    c = rng.choice(["a", "b", "c", "é"], n, p=[0.4, 0.3, 0.2, 0.1])
    age = rng.normal(40, 10, n) + np.select([c == "a", c == "b"], [5.0, -3.0], 0.0)
    x = age * 0.5 + rng.normal(0, 4, n)
    y = -x + rng.normal(0, 6, n)
    d = np.where(rng.random(n) < 0.7, np.where(c == "a", "p", "q"), rng.choice(["p", "q", "r"], n))
    df = pd.DataFrame({"âge": age, "x": x, "名前": y, "const": 3.0, "città": c, "d": d,
                       "ok?": rng.choice([True, False], n), "flat": "same"})
    df.loc[::7, "âge"] = np.nan
    df.loc[3::11, "名前"] = np.nan
    df.loc[::13, "città"] = None
    df.loc[5::17, "d"] = None
    return df


def complete(df: pd.DataFrame, a: str, b: str) -> pd.DataFrame:
    return df[[a, b]].dropna()


def eta_by_hand(df: pd.DataFrame, cat: str, num: str) -> float:
    ok = complete(df, cat, num)
    y = ok[num].to_numpy(float)
    groups = ok.groupby(cat, sort=False)[num]
    between = sum(len(g) * (g.mean() - y.mean()) ** 2 for _, g in groups)
    total = ((y - y.mean()) ** 2).sum()
    return float(np.sqrt(between / total))


def test_matrix_equals_numpy_scipy_and_hand_computations():
    df = frame()
    m = association_matrix(df, NUM, CAT)
    assert m.columns == list(df.columns) and m.kinds == ["numerical"] * 4 + ["categorical"] * 4
    idx = {c: i for i, c in enumerate(m.columns)}
    v = m.values
    assert np.allclose(v, v.T, equal_nan=True)
    for a, b in [("âge", "x"), ("âge", "名前"), ("x", "名前")]:
        ok = complete(df, a, b)
        assert v[idx[a], idx[b]] == pytest.approx(np.corrcoef(ok[a], ok[b])[0, 1], abs=1e-12)
        assert m.measure[idx[a]][idx[b]] == PEARSON
    assert v[idx["x"], idx["名前"]] < -0.3  # Pearson keeps its sign
    for a, b in [("città", "d"), ("città", "ok?"), ("d", "ok?")]:
        ok = complete(df, a, b)
        expected = association(pd.crosstab(ok[a], ok[b]).to_numpy(), method="cramer")
        assert v[idx[a], idx[b]] == pytest.approx(expected, abs=1e-12)
        assert m.measure[idx[a]][idx[b]] == CRAMER
    assert v[idx["città"], idx["d"]] > 0.3
    for cat in ("città", "d", "ok?"):
        for num in ("âge", "x", "名前"):
            assert v[idx[cat], idx[num]] == pytest.approx(eta_by_hand(df, cat, num), abs=1e-12)
            assert m.measure[idx[num]][idx[cat]] == ETA
    assert v[idx["città"], idx["âge"]] > 0.2
    # constant columns (numeric and categorical): undefined everywhere, the diagonal included
    for c in ("const", "flat"):
        assert np.isnan(v[idx[c]]).all() and np.isnan(v[:, idx[c]]).all()
    assert all(v[idx[c], idx[c]] == 1.0 for c in ("âge", "x", "名前", "città", "d", "ok?"))


def test_column_order_selection_and_types():
    df = frame()
    order = ["d", "名前", "città", "âge"]
    m = association_matrix(df, NUM, CAT, columns=order)
    full = association_matrix(df, NUM, CAT)
    pos = [full.columns.index(c) for c in order]
    assert m.columns == order
    assert np.allclose(m.values, full.values[np.ix_(pos, pos)], equal_nan=True)
    only = association_matrix(df, ["x"], ["d"])  # columns in neither list are left out
    assert only.columns == ["x", "d"]
    with pytest.raises(ValueError, match="both numerical and categorical"):
        association_matrix(df, ["x"], ["x"])
    with pytest.raises(KeyError):
        association_matrix(df, ["nope"], [], columns=["nope"])


def test_datetimes_numbers_as_text_and_missing_values():
    rng = np.random.default_rng(1)
    t = pd.Series(pd.date_range("2020-01-01", periods=200, freq="D"))
    df = pd.DataFrame({"t": t, "n": np.arange(200) + rng.normal(0, 5, 200), "s": [str(i) for i in range(200)]})
    df.loc[::9, "t"] = pd.NaT
    m = association_matrix(df, ["t", "n", "s"], [])
    ok = df[["t", "n"]].dropna()
    expected = np.corrcoef(ok["t"].astype("int64").astype(float), ok["n"])[0, 1]
    assert m.values[0, 1] == pytest.approx(expected, abs=1e-9)
    assert m.values[1, 2] == pytest.approx(np.corrcoef(np.arange(200) + 0.0, df["n"])[0, 1], abs=1e-9)
    # fewer than two complete rows: undefined, not an error
    tiny = pd.DataFrame({"a": [1.0, np.nan, 3.0], "b": [np.nan, 2.0, np.nan], "c": ["u", None, "v"]})
    m = association_matrix(tiny, ["a", "b"], ["c"])
    assert np.isnan(m.values[0, 1]) and np.isnan(m.values[1, 2])
    assert m.values[0, 2] == pytest.approx(1.0)  # two complete rows, one per category: eta is 1
    empty = association_matrix(tiny.iloc[:0], ["a"], ["c"])
    assert np.isnan(empty.values).all()


def test_the_sparse_crosstab_equals_the_dense_one(monkeypatch):
    rng = np.random.default_rng(2)
    a = rng.integers(1, 300, 5000)
    b = (a + rng.integers(0, 40, 5000)) % 250 + 1
    dense = cramers_v(a, b)
    monkeypatch.setattr(assoc_mod, "_DENSE_CELLS", 0)
    assert cramers_v(a, b) == pytest.approx(dense, abs=1e-12)
    ct = pd.crosstab(a, b).to_numpy()
    assert dense == pytest.approx(association(ct, method="cramer"), abs=1e-10)


def test_measures_are_bounded_and_exact_at_the_ends():
    codes = np.repeat([1, 2, 3], 50)
    assert cramers_v(codes, codes) == pytest.approx(1.0)
    assert correlation_ratio(codes, codes * 10.0) == pytest.approx(1.0)
    assert correlation_ratio(codes, np.tile([1.0, 2.0], 75)) == pytest.approx(0.0, abs=1e-7)  # equal group means
    assert np.isnan(correlation_ratio(np.ones(10, int), np.arange(10.0)))  # one group
    assert np.isnan(correlation_ratio(codes, np.full(150, 0.1)))  # constant numbers (rounding-safe)
    assert np.isnan(cramers_v(np.zeros(10, int), codes[:10]))  # all missing


def test_difference_ranking_and_worst_pairs():
    real = association_matrix(frame(0), NUM, CAT)
    shuffled = frame(0)
    shuffled["d"] = shuffled["d"].sample(frac=1, random_state=0).to_numpy()  # break d's association
    syn = association_matrix(shuffled, NUM, CAT)
    diff = association_difference(real, syn)
    idx = {c: i for i, c in enumerate(real.columns)}
    assert diff[idx["città"], idx["d"]] > 0.25 and np.nanmax(np.diag(diff)) == 0
    assert np.allclose(diff, np.abs(real.values - syn.values), equal_nan=True)
    rank = column_ranking(diff)
    assert rank[idx["d"]] == np.nanmax(diff) and rank[idx["const"]] == -np.inf
    pairs = worst_pairs(diff, 3)
    assert len(pairs) == 3 and pairs[0][2] >= pairs[1][2] >= pairs[2][2]
    assert idx["d"] in pairs[0][:2]
    with pytest.raises(ValueError):
        association_difference(real, association_matrix(frame(0), NUM, CAT, columns=CAT + NUM))


# -- the report --------------------------------------------------------------------------------------------------

FIDELITY = ["tabular.kst", "tabular.tvd", "tabular.pearson_score", "tabular.contingency_score"]


@pytest.fixture(scope="module")
def audited(tmp_path_factory):
    out = tmp_path_factory.mktemp("assoc")
    real = frame(0, 600).drop(columns=["const", "flat"])
    syn = frame(1, 500).drop(columns=["const", "flat"])
    syn["d"] = syn["d"].sample(frac=1, random_state=0).to_numpy()
    syn["x"] = syn["x"].sample(frac=1, random_state=1).to_numpy()  # breaks x ~ âge and x ~ 名前
    rep = synthaudit.audit("tabular", synthetic=syn, real=real, out=out, progress=False, metrics=FIDELITY)
    return rep, out, (out / "report.html").read_text(encoding="utf-8")


def _details(html: str, summary_start: str) -> str:
    """The whole <details> element whose summary starts with the text (nested details included)."""
    start = html.index(f"<details><summary>{summary_start}")
    depth, pos = 0, start
    for m in re.finditer(r"<details\b|</details>", html[start:]):
        depth += 1 if m.group(0) != "</details>" else -1
        if depth == 0:
            pos = start + m.end()
            break
    return html[start:pos]


def test_report_has_the_three_matrices_and_folded_plots(audited):
    rep, out, html = audited
    kinds = [f["kind"] for f in rep.figures]
    assert kinds[:2] == ["heatmap", "association"] and kinds.count("group") == 2
    fig = rep.figures[1]
    cols = fig["labels"]
    assert set(cols) == set(rep.columns) and len(cols) == 6
    for key in ("real", "synthetic", "difference"):
        assert np.array(fig[key], dtype=float).shape == (6, 6)
    d = np.array(fig["difference"], dtype=float)
    r, s = np.array(fig["real"], dtype=float), np.array(fig["synthetic"], dtype=float)
    assert np.allclose(d, np.abs(r - s), atol=2e-4)
    i, j = cols.index("città"), cols.index("d")
    assert d[i, j] > 0.2
    # three heatmaps in one figure, with a one-line explanation and the measures folded
    svg_label = 'aria-label="Association between 6 columns: real, synthetic and |real − synthetic| heatmaps'
    assert svg_label in html
    for panel in (">Real<", ">Synthetic<", ">|real − synthetic|<"):
        assert panel in html
    assert '<p class="lead">How strongly each pair of columns is related' in html
    measured = _details(html, "How it is measured")
    assert "Pearson r" in measured and "Cramér&#39;s V" in measured and "correlation ratio η" in measured
    # every column's plot inside a <details>
    per_column = _details(html, "Real vs synthetic, column by column (6 columns)")
    assert per_column.count('aria-label="Histogram of') == 3
    assert per_column.count('aria-label="Category frequencies of') == 3
    for c in cols:
        assert f"{c}" in per_column
    # the worst pairs, folded too: 2-D histograms for numeric pairs, crosstab differences otherwise
    pairs = _details(html, "The 6 column pairs whose association changes most")
    assert "2-D histograms of the real and synthetic rows" in pairs
    assert "crosstab difference, synthetic minus real" in pairs
    assert pairs.count("<svg") == 6
    # self-contained, as the rest of the report
    assert not re.search(r"<(script|link|img|iframe)\b", html, re.I)
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", html, re.I)


def test_figures_survive_report_json_and_render_again(audited):
    from synthaudit.report.html import render_html
    from synthaudit.report.model import AuditReport

    rep, out, html = audited
    doc = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert [f["kind"] for f in doc["figures"]] == [f["kind"] for f in rep.figures]
    again = render_html(AuditReport.from_json((out / "report.json").read_text(encoding="utf-8")))
    assert again.count("<svg") == html.count("<svg")


def test_a_wide_table_shows_the_columns_that_change_most():
    from synthaudit.modalities.tabular.report import MAX_ASSOCIATION_COLUMNS

    rng = np.random.default_rng(3)
    base = rng.normal(size=(300, 1))
    real = pd.DataFrame(base + 0.3 * rng.normal(size=(300, 30)), columns=[f"c{i}" for i in range(30)])
    syn = real.copy()
    syn["c7"] = rng.normal(size=300)  # its associations vanish
    rep = synthaudit.audit("tabular", synthetic=syn, real=real, metrics=["tabular.pearson_score"])
    fig = next(f for f in rep.figures if f["kind"] == "association")
    assert len(fig["labels"]) == MAX_ASSOCIATION_COLUMNS and "c7" in fig["labels"]
    assert fig["labels"] == sorted(fig["labels"], key=lambda c: int(c[1:]))  # table order
    assert "whose association changes most" in fig["details"]


def test_no_fidelity_metric_no_data_figures():
    df = frame(0, 200)
    rep = synthaudit.audit("tabular", synthetic=df, real=df, metrics=["tabular.chi2"])
    assert not [f for f in rep.figures if f["kind"] in ("association", "group")]
