"""Tabular privacy metrics (survey section 4.3) against SDMetrics 0.32, SynthEval 1.7.3 and hand-worked values.

Conventions converted here:
  * SDMetrics' DCR (dcr_utils.calculate_dcr) averages per-column distances: |a - b| / range for numbers
    (range of the *reference* table, capped at 1), 0/1 for categories; missing vs present counts 1. That is
    synthaudit's ``gower`` distance (L1 / number of columns) when no value is missing and every value lies
    within the training range; DCROverfittingProtection measures the distance to the holdout with the
    holdout's ranges, so the fixture gives holdout and train the same ranges (anchor rows) and clips
    numbers to them. Its subsampling is off with ``num_rows_subsample=None, num_iterations=1``.
  * DCROverfittingProtection's 'closer_to_training' counts ties as "not closer" and synthaudit counts them
    1/2: closer_to_training = tabular.dcr value - share_ties / 2; its score = min(2 (1 - closer), 1).
  * SynthEval's 'dcr' (MedianDistanceToClosestRecord, nn_dist='gower') min-max scales numbers over
    real + synthetic (= the training ranges here) and reports median DCR(syn -> real) / median of the
    leave-one-out DCR(real -> real); the denominator is computed here with synthaudit's knn kernel.
    SynthEval's NNDR (ratio of the 1st to the 2nd neighbour distance) is not a survey metric, and its 'mia'
    is an unseeded LightGBM classifier reporting precision/recall/F1, not an AUC over an attack score:
    neither is compared.
SDMetrics 0.32 needs pandas<3: the SDMetrics and SynthEval values are computed on the same tables
(tests/references/inputs.py) by tests/references/make_references.py in a separate environment and read from
tests/references/tabular_privacy.json; SynthEval (in the test extra) is also recomputed here when importable.
"""
from __future__ import annotations

import importlib.util
import math

import numpy as np
import pandas as pd
import pytest
from references.inputs import privacy_tables, reference_values
from sklearn.metrics import roc_auc_score

import synthaudit
from synthaudit.data.tabular_inputs import prepare_tabular
from synthaudit.metrics.registry import get
from synthaudit.metrics.tabular import privacy
from synthaudit.models import Models
from synthaudit.stats.neighbors import kernel_log_density, knn

NUM = ["age", "fnlwgt", "education_num", "capital_gain", "capital_loss", "hours_per_week"]
PRIVACY = ["tabular.dcr", "tabular.dcr_real_to_syn", "tabular.auc_mia", "tabular.adv_mia", "tabular.gain_aia",
           "tabular.dp_epsilon_delta"]
META = {"epsilon": 3.0, "delta": 1e-6, "accountant": "rdp", "neighbouring_relation": "add/remove",
        "steps": 1000, "sampling_rate": 0.01}


def run(metric_id: str, synthetic, train, holdout, **kw):
    """Prepare inputs as the API does and run one metric; returns its MetricResult (with record scores)."""
    inputs = prepare_tabular(synthetic=synthetic, real=train, holdout=holdout, **kw)
    return get(metric_id).run(inputs, Models.default())


# ---------------------------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def sdm_tables(adult_train):
    """train 1,000 / holdout 800 / synthetic 600 perturbed train rows (not synthaudit's copula: the committed
    reference values must not change with it) + 4 rows copied from both train and holdout (ties); numbers
    clipped to the training ranges, holdout given the same ranges by anchor rows."""
    train, hold, syn, meta = privacy_tables(adult_train)
    lo, hi = train[NUM].min(), train[NUM].max()
    assert (hold[NUM].min() == lo).all() and (hold[NUM].max() == hi).all() and not syn.isna().any().any()
    return train, hold, syn, meta


@pytest.fixture(scope="module")
def sdm(sdm_tables):
    """SDMetrics 0.32's and SynthEval 1.7.3's values on ``sdm_tables`` (tests/references/tabular_privacy.json)."""
    train, hold, syn, _ = sdm_tables
    return reference_values("tabular_privacy", train=train, holdout=hold, synthetic=syn)


@pytest.fixture(scope="module")
def adult_splits(adult_train):
    """Disjoint Adult samples: train, holdout and an independent 'synthetic' draw (3,000 rows each)."""
    perm = np.random.default_rng(1).permutation(len(adult_train))
    return tuple(adult_train.iloc[perm[i * 3000:(i + 1) * 3000]].reset_index(drop=True) for i in range(3))


def audit_privacy(syn, train, hold, **kw):
    return synthaudit.audit("tabular", synthetic=syn, real=train, holdout=hold, sensitive="sex",
                            metrics=PRIVACY, generator_meta=META, **kw)


# ---------------------------------------------------------------------------------------------- SDMetrics
def test_gower_dcr_matches_sdmetrics_dcr_overfitting_protection(sdm_tables, sdm):
    train, hold, syn, meta = sdm_tables
    # DCROverfittingProtection.compute_breakdown(train, syn, hold, meta, None, num_rows_subsample=None,
    # num_iterations=1), with the two dcr_utils.calculate_dcr results it computes on the way
    ref = sdm["DCROverfittingProtection"]
    sd_train, sd_hold = np.array(ref["dcr_synthetic_to_train"]), np.array(ref["dcr_synthetic_to_holdout"])
    res = run("tabular.dcr", syn, train, hold, params={"tabular.dcr": {"distance": "gower"}})
    np.testing.assert_allclose(res.record_scores, sd_train, rtol=0, atol=1e-12)  # per synthetic row
    hold_row = res.breakdown[2]
    assert hold_row["distribution"] == "synthetic -> holdout"
    assert hold_row["mean"] == pytest.approx(sd_hold.mean(), abs=1e-12)
    assert hold_row["p50"] == pytest.approx(np.median(sd_hold), abs=1e-12)
    ties = res.secondary["share_ties"]
    assert ties == pytest.approx(np.mean(sd_train == sd_hold)) and ties >= 4 / len(syn)  # the anchor copies
    closer = ref["closer_to_training"]
    # SDMetrics compares against all 1,000 train and 800 holdout rows: synthaudit's share_unbalanced; the
    # headline value compares equally many rows of each (see test_unequal_sizes_are_balanced)
    unbalanced = res.secondary["share_unbalanced"]
    assert unbalanced - ties / 2 == pytest.approx(closer, abs=1e-12)
    assert min(2 * (1 - (unbalanced - ties / 2)), 1.0) == pytest.approx(ref["score"], abs=1e-12)
    assert res.secondary["exact_copy_rate"] == pytest.approx(4 / len(syn))


def test_holdout_baseline_matches_sdmetrics_calculate_dcr(sdm_tables, sdm):
    train, hold, syn, meta = sdm_tables
    ref = np.array(sdm["calculate_dcr_holdout_to_train"])  # calculate_dcr(dataset=hold, reference_dataset=train)
    res = run("tabular.dcr", syn, train, hold, params={"tabular.dcr": {"distance": "gower"}})
    base = res.breakdown[1]
    assert base["distribution"].startswith("holdout -> train") and base["n"] == len(hold)
    for key, expected in (("p5", np.quantile(ref, 0.05)), ("p50", np.median(ref)), ("mean", ref.mean()),
                          ("min", ref.min()), ("max", ref.max()), ("exact_copy_share", np.mean(ref == 0))):
        assert base[key] == pytest.approx(expected, abs=1e-12), key
    assert res.secondary["holdout_p5"] == pytest.approx(np.quantile(ref, 0.05), abs=1e-12)
    # the catalog default L1 is the Gower distance times the number of compared columns (15)
    l1 = run("tabular.dcr", syn, train, hold)
    np.testing.assert_allclose(l1.record_scores, res.record_scores * 15, rtol=1e-12, atol=1e-12)


# ---------------------------------------------------------------------------------------------- SynthEval
def test_gower_dcr_matches_syntheval(sdm_tables, sdm):
    train, hold, syn, _ = sdm_tables
    # MedianDistanceToClosestRecord(train, syn, cat_cols, num_cols=NUM, nn_dist="gower", do_preprocessing=True):
    # the per-row distances of its _knn_distance and its mDCR
    ref = sdm["syntheval_MedianDistanceToClosestRecord"]
    per_row, mdcr = np.array(ref["per_row"]), ref["mDCR"]
    if importlib.util.find_spec("syntheval") is not None:  # the committed values are SynthEval's here too
        from references.make_references import syntheval_dcr

        live = syntheval_dcr(train, syn)
        np.testing.assert_allclose(live["per_row"], per_row, rtol=0, atol=1e-12)
        assert live["mDCR"] == pytest.approx(mdcr, rel=1e-12)
    inputs = prepare_tabular(synthetic=syn, real=train, holdout=hold, params={"tabular.dcr": {"distance": "gower"}})
    res = get("tabular.dcr").run(inputs, Models.default())
    np.testing.assert_allclose(res.record_scores, per_row, rtol=0, atol=1e-12)
    _, tables = privacy._encoding(inputs)
    t = tables["train"]
    loo, _ = knn(t.num, t.cat, t.num, t.cat, exclude_self=True)
    assert res.secondary["synthetic_p50"] / np.median(loo[:, 0] / 15) == pytest.approx(mdcr, rel=1e-12)


# ---------------------------------------------------------------------------------------------- hand-worked
# x is numerical (training range 0..8, so x/8 is exact), c categorical; L1 = |dx|/8 + [c != c'].
HAND_TRAIN = pd.DataFrame({"x": [0, 8, 4, 5], "c": ["a", "b", "a", "b"]})
HAND_HOLD = pd.DataFrame({"x": [2, 8, 3, 6], "c": ["a", "a", "b", "b"]})
HAND_SYN = pd.DataFrame({"x": [0, 4, 7], "c": ["a", "a", "b"]})
HAND_SCHEMA = {"columns": {"x": "numerical", "c": "categorical"}}


def hand(metric_id: str, **params):
    return run(metric_id, HAND_SYN, HAND_TRAIN, HAND_HOLD, schema=HAND_SCHEMA,
               params={metric_id: params} if params else None)


def test_hand_worked_dcr_and_closer_share():
    res = hand("tabular.dcr")
    # synthetic -> train: (0,a)->(0,a) 0; (4,a)->(4,a) 0; (7,b)->(8,b) 1/8 (vs (5,b) 2/8)
    np.testing.assert_array_equal(res.record_scores, [0.0, 0.0, 0.125])
    # synthetic -> holdout: (0,a)->(2,a) 2/8; (4,a)->(2,a) 2/8; (7,b)->(6,b) 1/8: a tie with 1/8
    # closer-to-train share = (1 + 1 + 1/2) / 3; exact copies 2 of 3
    assert res.value == pytest.approx(5 / 6, abs=1e-15)
    assert res.secondary["exact_copy_rate"] == pytest.approx(2 / 3)
    assert res.secondary["share_ties"] == pytest.approx(1 / 3)
    # holdout -> train: (2,a) 2/8; (8,a)->(4,a) 4/8; (3,b)->(5,b) 2/8; (6,b)->(5,b) 1/8
    base = np.array([0.25, 0.5, 0.25, 0.125])
    assert res.secondary["holdout_p50"] == pytest.approx(np.median(base)) == 0.25
    assert res.secondary["holdout_p5"] == pytest.approx(np.quantile(base, 0.05))  # 0.125 + 0.15 * 0.125
    assert res.secondary["holdout_p5"] == pytest.approx(0.14375)
    assert res.secondary["exact_copy_rate_holdout"] == 0.0
    assert res.plots[0]["labels"] == {"real": "holdout → train", "synthetic": "synthetic → train"}
    assert sum(res.plots[0]["synthetic"]) == pytest.approx(1) and len(res.plots[0]["edges"]) == 31
    # Gower divides by the 2 columns; L2: sqrt((dx/8)^2 + 1/2 per mismatch), here no mismatch is nearest
    np.testing.assert_allclose(hand("tabular.dcr", distance="gower").record_scores, [0, 0, 0.0625])
    np.testing.assert_allclose(hand("tabular.dcr", distance="l2_minmax_onehot").record_scores, [0, 0, 0.125])


def test_hand_worked_real_to_syn():
    res = hand("tabular.dcr_real_to_syn")
    # holdout -> synthetic: (2,a) 2/8; (8,a)->(4,a) 4/8; (3,b)->(7,b) 4/8; (6,b)->(7,b) 1/8
    # vs the baseline 2/8, 4/8, 2/8, 1/8: ties, tie, farther, tie -> closer-to-synthetic share 1.5 / 4
    # value: median 0.375 over the baseline median 0.25
    assert res.value == pytest.approx(0.375 / 0.25)
    assert res.secondary["share_closer_to_synthetic"] == pytest.approx(1.5 / 4)


def test_hand_worked_membership_auc_and_advantage():
    res = hand("tabular.auc_mia")
    # g = -DCR(x, synthetic). Members (train): 0, -1/8, 0, -2/8; non-members (holdout): -2/8, -4/8, -4/8, -1/8
    g_mem, g_non = np.array([0, -0.125, 0, -0.25]), np.array([-0.25, -0.5, -0.5, -0.125])
    # pairs won: 4 + (3 + tie) + 4 + (tie + 2) = 14 of 16 (ties count 1/2)
    assert res.value == pytest.approx(14 / 16)
    y = np.r_[np.ones(4), np.zeros(4)]
    assert res.value == pytest.approx(roc_auc_score(y, np.r_[g_mem, g_non]))
    lo, hi = res.ci
    assert lo < res.value < hi
    adv = hand("tabular.adv_mia")
    # tau = 0: TPR 2/4, FPR 0; tau = -1/8: 3/4 - 1/4; tau = -2/8: 1 - 2/4; tau = -4/8: 0  -> max 0.5
    assert adv.secondary["optimistic"] == pytest.approx(0.5)
    assert adv.notes["n_calibration"] == [2, 2] and adv.notes["n_evaluation"] == [2, 2]
    assert adv.value is not None and -1 <= adv.value <= 1


def test_advantage_when_the_split_cannot_matter():
    # synthetic = train: every member has g = 0, every non-member g < 0 -> held-out advantage 1, AUC 1
    res = run("tabular.adv_mia", HAND_TRAIN, HAND_TRAIN, HAND_HOLD, schema=HAND_SCHEMA)
    assert res.value == 1.0 and res.secondary["optimistic"] == 1.0
    auc = run("tabular.auc_mia", HAND_TRAIN, HAND_TRAIN, HAND_HOLD, schema=HAND_SCHEMA)
    assert auc.value == 1.0
    # every member and non-member equally far from the synthetic rows: all scores tie -> AUC 1/2, advantage 0
    syn = pd.DataFrame({"x": [4, 4], "c": ["z", "z"]})
    train, hold = pd.DataFrame({"x": [4, 4, 4, 4], "c": list("abab")}), pd.DataFrame({"x": [4] * 4, "c": list("cdcd")})
    auc = run("tabular.auc_mia", syn, train, hold, schema=HAND_SCHEMA)
    adv = run("tabular.adv_mia", syn, train, hold, schema=HAND_SCHEMA)
    assert auc.value == 0.5 and adv.value == 0.0 and adv.secondary["optimistic"] == 0.0


def test_advantage_against_a_brute_force_threshold_search():
    rng = np.random.default_rng(3)
    g_mem, g_non = np.round(rng.normal(0.3, 1, 41), 1), np.round(rng.normal(0, 1, 41), 1)  # many ties

    def j(mem, non, tau):
        return np.mean(mem >= tau) - np.mean(non >= tau)

    taus = np.r_[np.inf, np.unique(np.r_[g_mem, g_non])]
    out = privacy.advantage(g_mem, g_non)
    assert out["optimistic"] == pytest.approx(max(j(g_mem, g_non, t) for t in taus))
    cal = [j(g_mem[0::2], g_non[0::2], t) for t in taus]
    tau = max((t for t, v in zip(taus, cal) if v == max(cal)))  # the highest threshold reaching the max
    assert out["tau"] == tau
    assert out["heldout"] == pytest.approx(j(g_mem[1::2], g_non[1::2], tau))
    assert privacy._auc(g_mem, g_non) == pytest.approx(
        np.mean([(m > n) + 0.5 * (m == n) for m in g_mem for n in g_non]))


def test_kernel_log_density_matches_brute_force():
    rng = np.random.default_rng(0)
    qn, qc, tn, tc = rng.random((30, 3)), rng.integers(0, 3, (30, 2)), rng.random((50, 3)), rng.integers(0, 3, (50, 2))
    own = np.where(rng.random(30) < 0.5, rng.integers(0, 50, 30), -1)
    d2 = ((qn[:, None] - tn[None]) ** 2).sum(-1) + 0.5 * (qc[:, None] != tc[None]).sum(-1)
    for h in (0.05, 0.5, 3.0):
        k = np.exp(-d2 / (2 * h * h))
        k[np.flatnonzero(own >= 0), own[own >= 0]] = 0.0
        with np.errstate(divide="ignore"):
            expected = np.log(k.sum(1) / (50 - (own >= 0)))
        for backend in ("numba", "numpy"):
            got = kernel_log_density(qn, qc, tn, tc, bandwidth=h, self_index=own, backend=backend)
            fine = np.isfinite(expected)  # h = 0.05: some sums underflow in the brute force, not in the kernel
            np.testing.assert_allclose(got[fine], expected[fine], rtol=1e-12, atol=1e-12)
            assert np.isfinite(got).all()


# ---------------------------------------------------------------------------------------------- sanity properties
def test_copy_of_train_scores_worst(adult_splits):
    train, hold, _ = adult_splits
    rep = audit_privacy(train.copy(), train, hold, policy={"tabular.dcr": {"min": 0.4, "max": 0.6}})
    dcr = rep.result("tabular.dcr")
    assert dcr.value > 0.99 and dcr.secondary["exact_copy_rate"] == 1.0 and dcr.secondary["synthetic_p50"] == 0
    auc = rep.result("tabular.auc_mia")
    assert auc.value > 0.95 and auc.ci[0] > 0.9 and auc.secondary["domias_kde"] > 0.6
    assert rep.result("tabular.adv_mia").value > 0.9
    gain = rep.result("tabular.gain_aia")  # the attacker memorised the members' sex
    assert gain.value > gain.secondary["gain_holdout"] + 0.05
    assert not rep.passed  # the example gate catches the copy
    assert rep.result("tabular.dcr_real_to_syn").value == pytest.approx(1.0)  # synthetic = train covers alike


def test_independent_draw_scores_near_half(adult_splits):
    train, hold, other = adult_splits
    rep = audit_privacy(other, train, hold, policy={"tabular.dcr": {"min": 0.4, "max": 0.6}})
    assert rep.passed
    assert [m.id for m in rep.metrics if m.status != "ok"] == []
    assert rep.result("tabular.dcr").value == pytest.approx(0.5, abs=0.03)
    syn_to_train, baseline = rep.result("tabular.dcr").breakdown[:2]
    # means, not medians: the L1 DCR is lumpy (a category mismatch costs 1), so its median is noisy
    assert syn_to_train["mean"] / baseline["mean"] == pytest.approx(1.0, abs=0.1)
    assert rep.result("tabular.dcr_real_to_syn").value == pytest.approx(1.0, abs=0.2)
    assert rep.result("tabular.dcr_real_to_syn").secondary["share_closer_to_synthetic"] == pytest.approx(0.5, abs=0.03)
    auc = rep.result("tabular.auc_mia")
    assert auc.value == pytest.approx(0.5, abs=0.03) and auc.secondary["domias_kde"] == pytest.approx(0.5, abs=0.03)
    assert abs(rep.result("tabular.adv_mia").value) < 0.06
    assert abs(rep.result("tabular.gain_aia").secondary["gain_gap"]) < 0.04
    assert rep.result("tabular.dp_epsilon_delta").value == 3.0


def test_shuffling_rows_and_repeating_change_nothing(adult_splits):
    train, hold, other = (f.iloc[:1500] for f in adult_splits)
    base = audit_privacy(other, train, hold)
    again = audit_privacy(other, train, hold)
    shuffled = audit_privacy(*(f.sample(frac=1, random_state=7) for f in (other, train, hold)))
    for mid in PRIVACY:
        a, b, c = base.result(mid), again.result(mid), shuffled.result(mid)
        assert a.value == b.value == c.value, mid
        assert a.secondary == b.secondary == c.secondary, mid


def test_max_query_rows_samples_the_query_side_only(adult_splits):
    train, hold, other = adult_splits
    inputs = prepare_tabular(synthetic=other, real=train, holdout=hold)
    full = get("tabular.dcr").run(inputs, Models.default())
    capped_results = []
    for seed in (0, 1):
        capped = prepare_tabular(synthetic=other, real=train, holdout=hold, seed=seed)
        capped.params["tabular.dcr"] = {"max_query_rows": 500}  # code-only parameter
        res = get("tabular.dcr").run(capped, Models.default())
        sampled = ~np.isnan(res.record_scores)
        assert sampled.sum() == 500 and "500 of 3000 synthetic rows" in res.notes["synthetic_rows"]
        assert res.breakdown[1]["n"] == 500 and res.breakdown[1]["n_total"] == 3000
        # the reference side is complete: a sampled row's DCR is its DCR against all training rows
        np.testing.assert_array_equal(res.record_scores[sampled], full.record_scores[sampled])
        capped_results.append(sampled)
    assert (capped_results[0] != capped_results[1]).any()  # the seed picks the sample
    for off in (0, None):
        inputs.params["tabular.dcr"] = {"max_query_rows": off}
        inputs.features.clear()
        assert get("tabular.dcr").run(inputs, Models.default()).value == full.value


# ---------------------------------------------------------------------------------------------- robustness
def messy(n: int, seed: int, extra_category: bool = False) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    cats = ["München", "東京", "São Paulo", "Zürich"] + (["Ærøskøbing"] if extra_category else [])
    frame = pd.DataFrame({"x": rng.normal(size=n), "y": rng.integers(0, 100, n).astype(float),
                          "city": rng.choice(cats, n), "constant": 7.0, "flag": rng.choice(["ja", "nein"], n),
                          "when": pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 900, n), "D")})
    frame.loc[rng.random(n) < 0.15, "x"] = np.nan
    frame.loc[rng.random(n) < 0.1, "city"] = None
    frame.loc[rng.random(n) < 0.1, "flag"] = None
    return frame


def test_missing_values_unseen_categories_unicode_constant_columns(tmp_path):
    train, hold, syn = messy(300, 0), messy(200, 1, extra_category=True), messy(250, 2, extra_category=True)
    syn["x"] = syn["x"] * 5  # beyond the training range too
    rep = synthaudit.audit("tabular", synthetic=syn, real=train, holdout=hold, sensitive="city",
                           metrics=PRIVACY, generator_meta={"epsilon": "none"})
    assert {m.id: m.status for m in rep.metrics} == {m: "ok" for m in PRIVACY}
    for mid in PRIVACY[:5]:
        value = rep.value(mid)
        assert value is not None and math.isfinite(value), mid
    assert rep.value("tabular.dp_epsilon_delta") is None
    assert rep.result("tabular.dp_epsilon_delta").notes["dp"] == "none"
    rep.write(tmp_path)  # the JSON (no NaN allowed) and the HTML with the histograms and the ROC curve
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "holdout → train" in html and "Membership attack ROC" in html


def test_gain_aia_by_hand_and_its_gaps():
    # A (= "group") is a function of "c" in every table: the attacker is perfect; gain = 1 - majority rate
    rng = np.random.default_rng(0)

    def table(n, p):
        c = rng.choice(["u", "v", "w"], n, p=p)
        return pd.DataFrame({"c": c, "x": rng.normal(size=n), "group": np.where(c == "u", "G1", "G2")})

    train, hold, syn = table(400, [0.2, 0.4, 0.4]), table(300, [0.5, 0.25, 0.25]), table(300, [1 / 3] * 3)
    res = run("tabular.gain_aia", syn, train, hold, protected="group")  # sensitive falls back to protected
    rows = {r["targets"]: r for r in res.breakdown}
    for frame, key, gain in ((train, "members (train)", res.value), (hold, "holdout", res.secondary["gain_holdout"])):
        majority = frame.group.value_counts(normalize=True).max()
        assert rows[key]["accuracy"] == 1.0 and rows[key]["majority_rate"] == pytest.approx(majority)
        assert gain == pytest.approx(1 - majority)
    # a numerical sensitive column is a gap with the reason; no sensitive/protected column: missing input
    rep = synthaudit.audit("tabular", synthetic=syn, real=train, holdout=hold, sensitive="x", metrics=PRIVACY)
    gaps = {g.id: g for g in rep.gaps}
    assert gaps["tabular.gain_aia"].kind == "not_applicable" and "numerical" in gaps["tabular.gain_aia"].reason
    assert "--generator-meta" in gaps["tabular.dp_epsilon_delta"].reason
    rep = synthaudit.audit("tabular", synthetic=syn, real=train, holdout=hold, metrics=["tabular.gain_aia"])
    assert {g.id: g.kind for g in rep.gaps}["tabular.gain_aia"] == "missing_input"


@pytest.mark.parametrize("meta, value, expect", [
    (META, 3.0, {"delta": 1e-6, "steps": 1000.0, "sampling_rate": 0.01}),
    ({"epsilon": None}, None, {"delta": None}),
    ({"epsilon": float("inf"), "delta": 1e-5}, None, {"delta": 1e-5}),
    ({"dp": {"epsilon": 8, "delta": 0.5}}, 8.0, {"delta": 0.5}),
])
def test_dp_epsilon_delta_reporting(meta, value, expect):
    small = pd.DataFrame({"x": [1.0, 2.0, 3.0], "c": ["a", "b", "a"]})
    res = run("tabular.dp_epsilon_delta", small, small, small, generator_meta=meta)
    assert res.value == value
    for k, v in expect.items():
        assert res.secondary[k] == v, k
    if value is None:
        assert res.notes["dp"] == "none" and "not epsilon = inf" in res.notes["why"]
    assert ("delta_warning" in res.notes) == (res.secondary["delta"] == 0.5)  # delta >= 1/n_train = 1/3
    with pytest.raises(ValueError, match="epsilon"):
        run("tabular.dp_epsilon_delta", small, small, small, generator_meta={"epsilon": -1})


def test_unequal_sizes_are_balanced(adult_splits):
    """With twice as many train as holdout rows, an independent draw is closer to train about 2/3 of the
    time; the headline share compares equally many rows of each and stays near 0.5."""
    train, hold, other = adult_splits
    big_train = pd.concat([train, other.iloc[:3000]], ignore_index=True)  # 6,000 train vs 3,000 holdout
    fresh = synthaudit.audit("tabular", synthetic=hold.iloc[:1500], real=big_train, holdout=hold.iloc[1500:],
                             metrics=["tabular.dcr"]).result("tabular.dcr")
    assert fresh.secondary["share_unbalanced"] > 0.7  # 6,000 vs 1,500 reference rows
    assert abs(fresh.value - 0.5) < 0.06
    assert "1500 rows of each" in fresh.notes["balance"]


def test_synthetic_median_matches_sdmetrics_dcr_baseline_protection(sdm_tables, sdm):
    """DCRBaselineProtection compares the synthetic rows' median DCR with that of uniformly random rows (its
    own baseline, not a holdout); the comparable part is the synthetic median (Gower distance)."""
    train, hold, syn, meta = sdm_tables
    # DCRBaselineProtection.compute_breakdown(train, syn, meta, None, num_rows_subsample=None, num_iterations=1)
    ref = sdm["DCRBaselineProtection"]["median_DCR_to_real_data.synthetic_data"]
    res = run("tabular.dcr", syn, train, hold, params={"tabular.dcr": {"distance": "gower"}})
    assert res.secondary["synthetic_p50"] == pytest.approx(ref, abs=1e-12)
