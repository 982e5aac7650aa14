"""Extensions beyond the catalog (issue #12): trivariate TVD, NNDR, detection on row embeddings.

References: trivariate TVD against a direct pandas computation (value_counts on three columns, numbers cut into
the real-range equal-width bins by numpy); NNDR against a brute-force numpy distance matrix on the documented
encoding (min-max scaling with the training ranges, 1 per category mismatch for L1); det_embed with the shipped
offline embedder (no mocks) on a verbatim copy and on a clearly different table.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import synthaudit
from synthaudit.data.tabular_inputs import prepare_tabular
from synthaudit.metrics.registry import get
from synthaudit.models import ModelBackend, Models

TRI, NNDR, EMB = "tabular.ext.trivariate_tvd", "tabular.ext.nndr", "tabular.ext.det_embed"


def run(metric_id: str, synthetic, real, holdout=None, params=None):
    inputs = prepare_tabular(synthetic=synthetic, real=real, holdout=holdout, params=params or {})
    return get(metric_id).run(inputs, Models.default())


# ---------------------------------------------------------------------------------------------- trivariate TVD
def _mixed(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(50, 10, n)
    x[rng.random(n) < 0.1] = np.nan
    return pd.DataFrame({
        "x": x,
        "colour": rng.choice(["red", "green", "blue", None], n, p=[0.4, 0.3, 0.2, 0.1]),
        "y": rng.gamma(2.0, 3.0, n),
        "size": rng.choice(["S", "M", "L"], n),
    })


def _binned(frame: pd.DataFrame, real: pd.DataFrame, col: str, n_bins: int = 10) -> pd.Series:
    lo, hi = np.nanmin(real[col]), np.nanmax(real[col])
    inner = np.histogram_bin_edges([lo, hi], bins=n_bins)[1:-1]
    v = frame[col].to_numpy(float)
    idx = np.searchsorted(inner, v, side="right") + 1
    return pd.Series(np.where(np.isnan(v), "(missing)", idx.astype(str)), index=frame.index)


def _pandas_tvd(real: pd.DataFrame, syn: pd.DataFrame, triple: tuple[str, str, str], numeric: set[str]) -> float:
    def prep(frame: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame({c: _binned(frame, real, c) if c in numeric else
                             frame[c].astype(object).where(frame[c].notna(), "(missing)").astype(str)
                             for c in triple})

    r = prep(real).value_counts(normalize=True)
    s = prep(syn).value_counts(normalize=True)
    both = pd.concat([r, s], axis=1).fillna(0.0)
    return 0.5 * float((both.iloc[:, 0] - both.iloc[:, 1]).abs().sum())


def test_trivariate_tvd_equals_a_direct_pandas_computation():
    real, syn = _mixed(300, 0), _mixed(250, 1)
    syn["y"] = syn["y"] * 1.5  # some values beyond the real range fall in the open outer bins
    hold = _mixed(200, 2)
    res = run(TRI, syn, real, hold)
    from itertools import combinations

    expected = {t: _pandas_tvd(real, syn, t, {"x", "y"}) for t in combinations(["x", "colour", "y", "size"], 3)}
    got = {(r["column_1"], r["column_2"], r["column_3"]): r["value"] for r in res.breakdown}
    assert set(got) == set(expected)
    for t, v in expected.items():
        assert got[t] == pytest.approx(v, abs=1e-12), t
    assert res.value == pytest.approx(np.mean(list(expected.values())), abs=1e-12)
    base = {t: _pandas_tvd(real, hold, t, {"x", "y"}) for t in expected}  # the holdout baseline
    for r in res.breakdown:
        assert r["holdout_value"] == pytest.approx(base[(r["column_1"], r["column_2"], r["column_3"])], abs=1e-12)
    assert res.secondary["holdout_value"] == pytest.approx(np.mean(list(base.values())), abs=1e-12)
    assert res.secondary["accuracy"] == pytest.approx(1 - res.value, abs=1e-12)
    values = [r["value"] for r in res.breakdown]
    assert values == sorted(values, reverse=True)  # worst first
    assert res.notes["triples"] == "all 4 column triples"


def test_trivariate_tvd_samples_triples_by_seed_not_column_order():
    rng = np.random.default_rng(3)
    real = pd.DataFrame({f"c{i}": rng.choice(list("abc"), 80) for i in range(8)})  # 56 triples
    syn = real.sample(frac=1, random_state=2).reset_index(drop=True)
    params = {TRI: {"max_triples": 10}}
    a = run(TRI, syn, real, params=params)
    b = run(TRI, syn[syn.columns[::-1]], real[real.columns[::-1]], params=params)
    assert len(a.breakdown) == 10 and "10 of 56 column triples" in a.notes["triples"] and a.notes["seed"] == 0
    triples = {frozenset((r["column_1"], r["column_2"], r["column_3"])) for r in a.breakdown}
    assert triples == {frozenset((r["column_1"], r["column_2"], r["column_3"])) for r in b.breakdown}
    assert a.value == pytest.approx(0.0, abs=1e-12)  # a shuffled copy has the same three-way tables
    other = prepare_tabular(synthetic=syn, real=real, params=params, seed=5)
    c = get(TRI).run(other, Models.default())
    assert {frozenset((r["column_1"], r["column_2"], r["column_3"])) for r in c.breakdown} != triples


def test_trivariate_tvd_via_audit():
    real = _mixed(200, 0)
    rng = np.random.default_rng(7)
    shuffled = pd.DataFrame({c: rng.permutation(real[c].to_numpy()) for c in real.columns})  # each column alone
    copy = synthaudit.audit("tabular", synthetic=real.copy(), real=real, metrics=[TRI], progress=False)
    shuf = synthaudit.audit("tabular", synthetic=shuffled, real=real, metrics=[TRI], progress=False)
    assert copy.value(TRI) == pytest.approx(0.0, abs=1e-12) and "holdout_value" not in copy.result(TRI).secondary
    assert copy.result(TRI).secondary["accuracy"] == pytest.approx(1.0)
    assert shuf.value(TRI) > 0.05


# ---------------------------------------------------------------------------------------------- NNDR
def _numeric_tables():
    rng = np.random.default_rng(11)
    train = pd.DataFrame({"a": rng.normal(0, 1, 40), "b": rng.uniform(10, 20, 40), "c": rng.exponential(2, 40),
                          "k": rng.choice(["p", "q", "r"], 40)})
    train.loc[39] = train.loc[38]  # a duplicated training row: a synthetic copy of it has d1 = d2 = 0
    syn = pd.DataFrame({"a": rng.normal(0, 1.2, 30), "b": rng.uniform(9, 21, 30), "c": rng.exponential(2, 30),
                        "k": rng.choice(["p", "q", "r"], 30)})
    syn.iloc[:3] = train.iloc[[0, 5, 38]].to_numpy()  # exact copies (one of the duplicated row)
    syn = syn.astype({"a": float, "b": float, "c": float})
    hold = pd.DataFrame({"a": rng.normal(0, 1, 25), "b": rng.uniform(10, 20, 25), "c": rng.exponential(2, 25),
                         "k": rng.choice(["p", "q", "r"], 25)})
    return train, syn, hold


def _brute_nndr(query: pd.DataFrame, train: pd.DataFrame, p: int) -> np.ndarray:
    num = ["a", "b", "c"]
    lo, hi = train[num].min(), train[num].max()
    q = ((query[num] - lo) / (hi - lo)).to_numpy()
    t = ((train[num] - lo) / (hi - lo)).to_numpy()
    mismatch = (query["k"].to_numpy()[:, None] != train["k"].to_numpy()[None, :]).astype(float)
    if p == 1:
        d = np.abs(q[:, None, :] - t[None, :, :]).sum(axis=2) + mismatch
    else:
        d = np.sqrt(((q[:, None, :] - t[None, :, :]) ** 2).sum(axis=2) + 0.5 * mismatch)
    d.sort(axis=1)
    d1, d2 = d[:, 0], d[:, 1]
    return np.where(d2 > 0, d1 / np.where(d2 > 0, d2, 1), 0.0)


@pytest.mark.parametrize("distance,p", [("l1_minmax_onehot", 1), ("l2_minmax_onehot", 2), ("gower", 1)])
def test_nndr_equals_brute_force(distance, p):
    train, syn, hold = _numeric_tables()
    res = run(NNDR, syn, train, hold, params={NNDR: {"distance": distance}})
    want, base = _brute_nndr(syn, train, p), _brute_nndr(hold, train, p)
    np.testing.assert_allclose(res.record_scores, want, atol=1e-12)
    assert res.value == pytest.approx(np.median(want), abs=1e-12)
    assert res.secondary["mean"] == pytest.approx(want.mean(), abs=1e-12)
    assert res.secondary["p5"] == pytest.approx(np.quantile(want, 0.05), abs=1e-12)
    assert res.secondary["tenth_smallest"] == pytest.approx(np.sort(want)[9], abs=1e-12)
    assert res.secondary["holdout_median"] == pytest.approx(np.median(base), abs=1e-12)
    assert res.secondary["share_below_holdout_p5"] == pytest.approx(np.mean(want < np.quantile(base, 0.05)))
    assert res.record_scores[:3].tolist() == [0.0, 0.0, 0.0]  # exact copies; the third is 0/0
    assert res.secondary["exact_copy_share"] == pytest.approx(3 / 30)
    assert res.secondary["zero_over_zero_share"] == pytest.approx(1 / 30)


def test_nndr_via_audit_with_and_without_holdout():
    train, syn, hold = _numeric_tables()
    with_h = synthaudit.audit("tabular", synthetic=syn, real=train, holdout=hold, metrics=[NNDR], progress=False)
    without = synthaudit.audit("tabular", synthetic=syn, real=train, metrics=[NNDR], progress=False)
    assert with_h.value(NNDR) == pytest.approx(without.value(NNDR)) == pytest.approx(
        np.median(_brute_nndr(syn, train, 1)))
    assert "holdout_median" in with_h.result(NNDR).secondary
    assert "holdout_median" not in without.result(NNDR).secondary and "no holdout" in \
        without.result(NNDR).notes["baseline"]
    copy = synthaudit.audit("tabular", synthetic=train.copy(), real=train, metrics=[NNDR], progress=False)
    assert copy.value(NNDR) == 0.0


# ---------------------------------------------------------------------------------------------- det_embed
def _shapes(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"colour": rng.choice(["red", "green", "blue"], n), "width_cm": rng.normal(20, 3, n).round(1),
                         "shape": rng.choice(["circle", "square"], n)})


def test_det_embed_copy_is_undetectable_and_a_different_table_is_detected():
    real = _shapes(90, 0)
    copy = synthaudit.audit("tabular", synthetic=real.copy(), real=real, metrics=[EMB], progress=False)
    other = pd.DataFrame({"colour": np.random.default_rng(1).choice(["purple", "orange", "yellow"], 90),
                          "width_cm": (real["width_cm"] * 40).round(1), "shape": "hexagon"})
    diff = synthaudit.audit("tabular", synthetic=other, real=real, metrics=[EMB], progress=False)
    c, d = copy.result(EMB), diff.result(EMB)
    assert c.status == "ok" and d.status == "ok", (c.error, d.error)
    assert c.value > 0.8 and c.secondary["auc"] < 0.6
    assert d.value < 0.1 and d.secondary["auc"] > 0.95
    assert len(d.breakdown) == 3 and "all-MiniLM-L6-v2" in d.notes["embedder"]
    assert c.secondary["centroid_cosine"] == pytest.approx(1.0, abs=1e-6)


def test_det_embed_is_a_gap_without_the_embedder():
    models = Models.default()
    models.add(ModelBackend("sentence_embedder", "absent-embedder", lambda: None,
                            requires=("synthaudit_no_such_module",)))
    real = _shapes(30, 0)
    rep = synthaudit.audit("tabular", synthetic=real, real=real, metrics=[EMB], models=models, progress=False)
    gap = next(g for g in rep.gaps if g.id == EMB)
    assert gap.kind == "missing_model" and "synthaudit_no_such_module" in gap.reason


def test_det_embed_writes_synthetic_numbers_at_the_real_precision():
    """A generator's extra digits are not a tell: the real widths have 1 decimal, so synthetic 20.003 is written
    as the real 20.0 would be (the texts of a copy plus sub-precision noise are identical)."""
    from synthaudit.metrics.tabular.embedding_detection import real_decimals, row_texts

    assert real_decimals(np.array([1.5, 2.25, np.nan])) == 2 and real_decimals(np.array([3.0, 4.0])) == 0
    assert real_decimals(np.array([np.pi])) == 6  # capped
    real = _shapes(40, 0)
    noisy = real.assign(width_cm=real["width_cm"] + 3e-3)
    cols = list(real.columns)
    assert row_texts(noisy, cols, {"width_cm"}, {"width_cm": 1}) == row_texts(real, cols, {"width_cm"},
                                                                               {"width_cm": 1})
    assert row_texts(noisy, cols, {"width_cm"}) != row_texts(real, cols, {"width_cm"})
    rep = synthaudit.audit("tabular", synthetic=noisy, real=real, metrics=[EMB], progress=False)
    assert rep.result(EMB).secondary["centroid_cosine"] == pytest.approx(1.0, abs=1e-6)


def test_det_embed_is_opt_in():
    real = _shapes(30, 0)
    rep = synthaudit.audit("tabular", synthetic=real, real=real, dimensions=["fidelity"], progress=False)
    gap = next(g for g in rep.gaps if g.id == EMB)
    assert gap.kind == "not_selected" and gap.reason.startswith("opt-in") and gap.enable == f"--metrics {EMB}"
