"""Issue 11, "numbers a reader can trust": hand-worked fixtures whose expected values a bug would change, and
real-data checks of tabular.dcr (verbatim copy at any split) and tabular.det_score (dependence-only damage)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from references.inputs import load_adult, load_cancer, load_wine

import synthaudit
from synthaudit.data.tabular_inputs import prepare_tabular
from synthaudit.generate.tabular import GaussianCopula
from synthaudit.metrics.registry import get
from synthaudit.metrics.tabular import privacy
from synthaudit.models import Models

GRID = np.linspace(0, 1, 30)  # the alpha / beta grid: a_i = i / 29


def run(metric_id: str, synthetic, real, holdout=None, **kw):
    inputs = prepare_tabular(synthetic=synthetic, real=real, holdout=holdout, **kw)
    return get(metric_id).run(inputs, Models.default())


def split(frame: pd.DataFrame, frac: float, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    idx = np.random.default_rng(seed).permutation(len(frame))
    k = int(round(frac * len(frame)))
    return frame.iloc[idx[:k]].reset_index(drop=True), frame.iloc[idx[k:]].reset_index(drop=True)


# ---------------------------------------------------------------------------------------------- tabular.dcr
@pytest.mark.parametrize("frac", [0.5, 0.7, 0.9])
@pytest.mark.parametrize("loader", [load_cancer, load_wine], ids=["cancer", "wine"])
def test_dcr_verbatim_copy_is_worst_at_every_split(loader, frac):
    # before the fix (train sample the size of the holdout): cancer 1.0 / 0.72 / 0.55, wine 1.0 / 0.67 / 0.54
    train, hold = split(loader(), frac)
    res = run("tabular.dcr", train.copy(), train, hold)
    assert res.secondary["exact_copy_rate"] == 1.0 and res.secondary["share_ties"] == 0.0
    assert res.secondary["share_unbalanced"] == 1.0
    assert res.value == 1.0


@pytest.fixture(scope="module")
def adult_pool():
    try:
        adult = load_adult("train").dropna()
    except FileNotFoundError:
        pytest.skip("UCI Adult is not available")
    idx = np.random.default_rng(1).permutation(len(adult))
    return adult.iloc[idx[:8000]].reset_index(drop=True), adult.iloc[idx[8000:10000]].reset_index(drop=True)


@pytest.mark.parametrize("frac", [0.5, 0.7, 0.9])
def test_dcr_independent_draw_reads_half_and_copies_mix_linearly(adult_pool, frac):
    pool, fresh = adult_pool  # fresh: 2,000 real rows from neither train nor holdout
    k = int(frac * len(pool))
    train, hold = pool.iloc[:k].reset_index(drop=True), pool.iloc[k:].reset_index(drop=True)
    res = run("tabular.dcr", fresh, train, hold)
    pi = k / len(pool)
    assert res.secondary["share_unbalanced"] == pytest.approx(pi, abs=0.02)  # raw share: the split ratio
    assert res.value == pytest.approx(0.5, abs=0.03)  # measured 0.499 / 0.508 / 0.505
    # half verbatim copies, half independent draws: 1/2 + c/2 = 0.75 whatever the split, as at 50/50
    mixed = pd.concat([train.iloc[:1000], fresh.iloc[:1000]], ignore_index=True)
    assert run("tabular.dcr", mixed, train, hold).value == pytest.approx(0.75, abs=0.03)


def test_dcr_unequal_split_hand_worked():
    # x numerical (train range 0.5..8.5: scaled (x - 0.5) / 8), 3 train rows and 1 holdout row: pi = 3/4
    train = pd.DataFrame({"x": [0.5, 4.5, 8.5]})
    hold = pd.DataFrame({"x": [2.5]})
    syn = pd.DataFrame({"x": [0.5, 2.0, 3.0, 7.5]})
    res = run("tabular.dcr", syn, train, hold, schema={"columns": {"x": "numerical"}})
    # synthetic -> train: 0, 1.5/8, 1.5/8, 1/8; -> holdout: 2/8, 0.5/8, 0.5/8, 5/8
    np.testing.assert_array_equal(res.record_scores, [0.0, 0.1875, 0.1875, 0.125])
    # strictly closer to train: rows 1 and 4 -> raw share s = 2/4 = 0.5 (no ties) = share_unbalanced
    assert res.secondary["share_unbalanced"] == 0.5 and res.secondary["share_ties"] == 0.0
    # s = 0.5 <= pi = 0.75: value = s / (2 pi) = 0.5 / 1.5 = 1/3
    assert res.value == pytest.approx(1 / 3, abs=1e-15)


# ---------------------------------------------------------------------------------------------- tabular.det_score
def shuffled_columns(frame: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
    """Every column permuted independently: marginals kept, every dependence destroyed."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame({c: rng.permutation(frame[c].to_numpy()) for c in frame.columns})


@pytest.mark.parametrize("loader", [load_cancer, load_wine], ids=["cancer", "wine"])
def test_det_score_default_catches_shuffled_columns(loader):
    train, hold = split(loader(), 0.5)
    score = {}
    for name, syn in {"shuffled": shuffled_columns(train), "holdout": hold,
                      "copula": GaussianCopula(0).fit(train).sample(len(train))}.items():
        score[name] = run("tabular.det_score", syn, train)
    shuf = score["shuffled"]
    # the logistic detector alone calls the shuffled table undetectable (measured AUC 0.34 / 0.31) ...
    assert shuf.secondary["det_score_logistic_regression"] == 1.0
    # ... gradient boosting does not, and the worse of the two is the value (measured 0.005 / 0.49)
    assert shuf.notes["decided_by"] == "gradient_boosting" and shuf.value < 0.6
    assert shuf.value == shuf.secondary["det_score_gradient_boosting"]
    assert shuf.secondary["auc"] == shuf.secondary["auc_gradient_boosting"] > 0.7
    assert [r["classifier"] for r in shuf.breakdown] == ["gradient_boosting"] * 3
    assert "worse" in shuf.notes["value"]
    # a good copula and a held-out real split score clearly better (measured >= 0.85)
    for name in ("holdout", "copula"):
        assert score[name].value > shuf.value + 0.3, name
        assert score[name].value == min(score[name].secondary["det_score_logistic_regression"],
                                        score[name].secondary["det_score_gradient_boosting"])
    # the logistic-only variant stays available (the catalog's DetScore)
    lin = run("tabular.det_score", shuffled_columns(train), train,
              params={"tabular.det_score": {"second_classifier": "none"}})
    assert lin.value == 1.0 and lin.notes["detectors"] == ["logistic_regression"]
    assert "auc_gradient_boosting" not in lin.secondary


def test_det_score_second_detector_row_cap_is_a_sampled_note():
    real = load_cancer()
    res = run("tabular.det_score", shuffled_columns(real), real,
              params={"tabular.det_score": {"second_max_rows": 300}})
    assert res.notes["second_classifier_real_sampled_rows"] == 300
    assert all(r["n_train"] + r["n_test"] == 600 for r in res.breakdown if r["classifier"] == "gradient_boosting")


# ---------------------------------------------------------------------------------------------- alpha-precision
def test_alpha_precision_hand_worked_radii():
    # real x = 0, 2.5, 5, 7.5, 10 -> min-max scaled 0, .25, .5, .75, 1 (non-integer values: numerical);
    # real centre c = .5; real distances to c sorted: 0, .25, .25, .5, .5
    # R(a) = np.quantile of those at a (linear, position 4a): .25 * 4a for 4a <= 1, .25 for 1..2,
    #        .25 + .25 (4a - 2) for 2..3, .5 for 3..4
    real = pd.DataFrame({"x": [0.0, 2.5, 5.0, 7.5, 10.0]})
    # synthetic scaled .5, .65, .8, .95 -> distances to the REAL centre 0, .15, .3, .45
    syn = pd.DataFrame({"x": [5.0, 6.5, 8.0, 9.5]})
    res = run("tabular.alpha_precision", syn, real)
    # d = 0 inside from a = 0; d = .15 needs 4a >= .6 (a >= .15: i >= 5 since 4/29 = .138, 5/29 = .172);
    # d = .30 needs 4a >= 2.2 (a >= .55: i >= 16 since 15/29 = .517, 16/29 = .552);
    # d = .45 needs 4a >= 2.8 (a >= .70: i >= 21 since 20/29 = .690, 21/29 = .724)
    i = np.arange(30)
    expected = (1 + (i >= 5) + (i >= 16) + (i >= 21)) / 4
    assert [r["observed"] for r in res.breakdown] == pytest.approx(expected.tolist(), abs=1e-15)
    # counts: 5 x .25, 11 x .5, 5 x .75, 9 x 1.0
    assert np.bincount((expected * 4).astype(int)).tolist() == [0, 5, 11, 5, 9]
    # synthcity: 1 - sum|P(a) - a| / sum(a), sum(a) = 30 / 2 = 15
    gap = np.abs(expected - GRID).sum()
    assert res.value == pytest.approx(1 - gap / 15, abs=1e-12)
    assert res.secondary["integrated_alaa"] == pytest.approx(1 - 2 * gap / 29, abs=1e-12)
    # one level: alpha = 0.5 lies between grid points 14 (P = .5) and 15 (P = .5) -> 0.5
    single = run("tabular.alpha_precision", syn, real, params={"tabular.alpha_precision": {"alpha": 0.5}})
    assert single.value == 0.5
    # at alpha = 0.9 (between i = 26 and 27, both P = 1) every synthetic row is inside
    assert res.secondary["at_alpha_0.9"] == 1.0


# ---------------------------------------------------------------------------------------------- beta-recall
def test_beta_recall_hand_worked_curve():
    # real scaled r = 0, .25, .5, .75, 1 (x = 0 .. 10); each real row's nearest other real row: .25
    real = pd.DataFrame({"x": [0.0, 2.5, 5.0, 7.5, 10.0]})
    # synthetic scaled s = .1, .45, .6; synthetic centre = 1.15 / 3 = .38333
    syn = pd.DataFrame({"x": [1.0, 4.5, 6.0]})
    res = run("tabular.beta_recall", syn, real)
    # nearest synthetic row of each real row, its distance, near (<= .25)?:
    #   r 0   -> .1  (.10) yes      r .25 -> .1 (.15, vs .45 at .20) yes    r .5 -> .45 (.05) yes
    #   r .75 -> .6  (.15) yes      r 1   -> .6 (.40) NO
    # distance of that synthetic row to the synthetic centre: .1 -> .28333, .45 -> .06667, .6 -> .21667
    #   closest_d = [.28333, .28333, .06667, .21667, .21667], sorted .06667, .21667, .21667, .28333, .28333
    # R(b) = np.quantile(closest_d, b), position 4b: .06667 + .15 * 4b up to 1, .21667 for 1..2,
    #        .21667 + .06667 (4b - 2) for 2..3, .28333 for 3..4
    # counted at b: r .5 always (.06667); r .75 when 4b >= 1 (i >= 8: 7/29 = .241, 8/29 = .276);
    #   r 0 and r .25 when 4b >= 3 (i >= 22: 21/29 = .724, 22/29 = .759); r 1 never (not near)
    i = np.arange(30)
    expected = (1 + (i >= 8) + 2 * (i >= 22)) / 5  # 8 x .2, 14 x .4, 8 x .8
    curve = [r["observed"] for r in res.breakdown if "beta" in r]
    assert curve == pytest.approx(expected.tolist(), abs=1e-15)
    gap = np.abs(expected - GRID).sum()
    assert res.value == pytest.approx(1 - gap / 15, abs=1e-12)
    assert res.secondary["integrated_alaa"] == pytest.approx(1 - 2 * gap / 29, abs=1e-12)
    # range coverage: the synthetic range 1..6 covers 5 of the real range 0..10
    assert res.secondary["range_coverage"] == pytest.approx(0.5)


# ---------------------------------------------------------------------------------------------- adv_mia
# x numerical, non-integer (train range 0.5..8.5: distances are multiples of 1/16, exact in binary)
MIA_TRAIN = pd.DataFrame({"x": [0.5, 2.5, 4.5, 8.5]})
MIA_HOLD = pd.DataFrame({"x": [1.5, 3.0, 6.5, 7.5]})
MIA_SYN = pd.DataFrame({"x": [0.5, 2.5, 6.0]})  # copies of two members and one other value


def test_membership_attack_scores_hand_worked():
    kw = {"schema": {"columns": {"x": "numerical"}}}
    # g = -DCR(x, synthetic) / 8: members 0.5 -> 0, 2.5 -> 0, 4.5 -> -1.5/8, 8.5 -> -2.5/8
    #                             non-members 1.5 -> -1/8, 3.0 -> -.5/8, 6.5 -> -.5/8, 7.5 -> -1.5/8
    g_mem, g_non = [0, 0, -0.1875, -0.3125], [-0.125, -0.0625, -0.0625, -0.1875]
    adv = run("tabular.adv_mia", MIA_SYN, MIA_TRAIN, MIA_HOLD, **kw)
    # optimistic: tau = 0 -> TPR 2/4, FPR 0 -> 0.5; tau = -1/16 -> .5 - .5; tau = -3/16 -> .75 - 1
    assert adv.secondary["optimistic"] == 0.5
    assert adv.secondary["optimistic"] == privacy._max_advantage(np.array(g_mem), np.array(g_non))[0]
    # the held-out value is TPR - FPR of its own evaluation half, with the calibrated tau in {0, -1/16, ...}
    row = adv.breakdown[0]
    assert adv.value == pytest.approx(row["tpr_heldout"] - row["fpr_heldout"])
    # AUC: members at 0 beat all 4 non-members (2 x 4 = 8 pairs); -3/16 ties -3/16 (1/2); -5/16 wins none
    auc = run("tabular.auc_mia", MIA_SYN, MIA_TRAIN, MIA_HOLD, **kw)
    assert auc.value == pytest.approx(8.5 / 16, abs=1e-15)


def test_advantage_heldout_threshold_hand_worked():
    # calibration = even positions, evaluation = odd positions
    g_mem, g_non = np.array([3.0, 1.0, 2.0, 0.0]), np.array([1.0, 2.0, 0.0, 3.0])
    # calibration: members 3, 2; non-members 1, 0. tau = 3: 1/2 - 0; tau = 2: 1 - 0 = 1 (best); tau = 1: 1 - 1/2
    # evaluation (member if g >= 2): members 1, 0 -> TPR 0; non-members 2, 3 -> FPR 1; advantage -1
    out = privacy.advantage(g_mem, g_non)
    assert out["tau"] == 2.0 and out["tpr"] == 0.0 and out["fpr"] == 1.0 and out["heldout"] == -1.0
    # all rows: members and non-members have the same scores, max_tau TPR - FPR = 0 (tau = inf)
    assert out["optimistic"] == 0.0
    # a threshold that generalises: calibration members 5, 4 vs non-members 1, 0 -> tau = 4 (TPR 1, FPR 0);
    # evaluation: members 4, 2 -> TPR 1/2; non-members 3, 0 -> FPR 0 -> 0.5; optimistic (all rows): tau = 4
    # gives 3/4 - 0 = .75, tau = 2 gives 1 - 1/4 = .75 -> 0.75
    out = privacy.advantage(np.array([5.0, 4.0, 4.0, 2.0]), np.array([1.0, 3.0, 0.0, 0.0]))
    assert out["tau"] == 4.0 and out["heldout"] == 0.5 and out["optimistic"] == 0.75


# ---------------------------------------------------------------------------------------------- gain_aia
def test_gain_aia_hand_worked_members_and_holdout():
    # synthetic: f = a -> s = x, f = b -> s = y (10 rows each): the attacker learns s = x iff f = a
    syn = pd.DataFrame({"f": ["a"] * 10 + ["b"] * 10, "s": ["x"] * 10 + ["y"] * 10})
    # members: (a,x) (a,x) (b,y) (b,y) (b,y) (a,y): predictions x x y y y x -> 5 of 6 right;
    #          majority y: 4 of 6 -> gain 5/6 - 4/6 = 1/6
    train = pd.DataFrame({"f": ["a", "a", "b", "b", "b", "a"], "s": ["x", "x", "y", "y", "y", "y"]})
    # holdout: (a,y) (a,x) (b,x) (b,x): predictions x x y y -> 1 of 4 right; majority x: 3 of 4 -> 1/4 - 3/4
    hold = pd.DataFrame({"f": ["a", "a", "b", "b"], "s": ["y", "x", "x", "x"]})
    rep = synthaudit.audit("tabular", synthetic=syn, real=train, holdout=hold, sensitive="s",
                           metrics=["tabular.gain_aia"])
    res = rep.result("tabular.gain_aia")
    assert res.value == pytest.approx(1 / 6, abs=1e-12)
    assert res.secondary["accuracy_members"] == pytest.approx(5 / 6, abs=1e-12)
    assert res.secondary["gain_holdout"] == pytest.approx(-0.5, abs=1e-12)
    assert res.secondary["accuracy_holdout"] == pytest.approx(0.25, abs=1e-12)
    assert res.secondary["gain_gap"] == pytest.approx(1 / 6 + 0.5, abs=1e-12)  # 2/3
    members, holdout = res.breakdown
    assert members["majority_class"] == "y" and members["majority_rate"] == pytest.approx(4 / 6)
    assert holdout["majority_class"] == "x" and holdout["majority_rate"] == pytest.approx(0.75)
