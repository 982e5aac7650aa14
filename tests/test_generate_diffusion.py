"""The TabDDPM-style diffusion generator (synthaudit.generate.deep.diffusion; issue #20, tutorial sections 3.2/3.5).

* The diffusion maths against independent computations: the multinomial q(x_t | x_0) and posterior against
  products of explicit transition matrices and Bayes' rule, the Gaussian posterior against Gaussian conditioning,
  the cosine schedule against its closed form.
* On UCI Adult (8,000 training rows, a short CPU training): pair trends beat independent-column sampling and
  match or beat the Gaussian copula, measured against 8,000 held-out real rows; categories and ranges stay those
  of training; exact copies and DCR are reported and bounded.
* Conditional sampling gives exactly the requested class counts; the same seed repeats exactly; save/load too.
"""
from __future__ import annotations

import json
import math
import time

import numpy as np
import pandas as pd
import pytest

torch = pytest.importorskip("torch")

import synthaudit  # noqa: E402
from deep_helpers import categories_a_sample_keeps, lost_categories  # noqa: E402
from synthaudit.errors import InputError, UsageError  # noqa: E402
from synthaudit.generate.deep import diffusion  # noqa: E402
from synthaudit.generate.deep.diffusion import TabDDPM  # noqa: E402
from synthaudit.generate.tabular import GaussianCopula, class_quotas  # noqa: E402

N_TRAIN = 8000
# measured on 2 busy cores (1 torch thread, the project's default there): fit ~30 s, sampling 8,000 rows ~7 s
FIT = {"epochs": 100, "batch_size": 256, "steps": 100, "lr": 3e-3, "layers": (256, 256), "seed": 0, "progress": False}
PAIR_METRICS = ["tabular.contingency_score", "tabular.pearson_score"]


# ------------------------------------------------------------------------------------------------ the maths
def test_cosine_schedule_closed_form():
    steps = 50
    betas = diffusion.cosine_betas(steps)
    f = np.cos((np.arange(steps + 1) / steps + 0.008) / 1.008 * np.pi / 2) ** 2
    abar = f[1:] / f[0]
    capped = betas >= 0.999
    assert capped.tolist() == [False] * (steps - 1) + [True]  # only the last step hits the cap
    np.testing.assert_allclose(np.cumprod(1 - betas)[:-1], abar[:-1], rtol=1e-12)


def test_multinomial_against_transition_matrices():
    """q(x_t | x_0) = x_0 Q_0 ... Q_t with Q_s = alpha_s I + (1 - alpha_s) / K; the posterior by Bayes' rule."""
    steps, sizes = 6, [3, 2]
    sched = diffusion._Schedule(steps)
    slots = diffusion._Slots(sizes)
    mult = diffusion._Multinomial(slots, sched)
    alphas = 1 - diffusion.cosine_betas(steps)
    rng = np.random.default_rng(0)
    for _ in range(20):
        t = int(rng.integers(0, steps))
        x0 = [int(rng.integers(0, k)) for k in sizes]
        xt = [int(rng.integers(0, k)) for k in sizes]
        codes0, codes_t = torch.tensor([x0]), torch.tensor([xt])
        log_x0 = torch.log(slots.onehot(codes0).clamp(min=1e-30))
        log_xt = torch.log(slots.onehot(codes_t).clamp(min=1e-30))
        tt = torch.tensor([t])
        q_t = mult.q_pred(log_x0, tt).exp().double().numpy()[0]
        post = mult.posterior(log_x0, log_xt, tt).exp().double().numpy()[0]
        lo = 0
        for k, a, b in zip(sizes, x0, xt):
            mats = [alphas[s] * np.eye(k) + (1 - alphas[s]) / k for s in range(steps)]
            bar = [np.linalg.multi_dot([np.eye(k)] + mats[: s + 1] + [np.eye(k)]) for s in range(steps)]
            np.testing.assert_allclose(q_t[lo:lo + k], bar[t][a], rtol=2e-5, atol=1e-6)
            prior = bar[t - 1][a] if t > 0 else np.eye(k)[a]  # q(x_{t-1} | x_0); x_{-1} is x_0
            bayes = prior * mats[t][:, b]
            np.testing.assert_allclose(post[lo:lo + k], bayes / bayes.sum(), rtol=2e-5, atol=1e-6)
            lo += k


def test_gaussian_posterior_is_gaussian_conditioning():
    """E[x_{t-1} | x_t, x_0] of x_{t-1} = sqrt(abar_{t-1}) x_0 + sqrt(1 - abar_{t-1}) e1, x_t = sqrt(alpha_t)
    x_{t-1} + sqrt(beta_t) e2, by the conditional-mean formula, against the schedule's two coefficients."""
    steps = 30
    sched = diffusion._Schedule(steps)
    betas = diffusion.cosine_betas(steps)
    abar = np.cumprod(1 - betas)
    for t in [1, 5, 17, 28]:
        var_prev = 1 - abar[t - 1]
        cov = math.sqrt(1 - betas[t]) * var_prev  # Cov(x_{t-1}, x_t | x_0)
        var_t = (1 - betas[t]) * var_prev + betas[t]
        gain = cov / var_t  # E[x_{t-1} | x_t, x0] = mu_prev + gain (x_t - sqrt(alpha_t) mu_prev)
        coef_xt = gain
        coef_x0 = math.sqrt(abar[t - 1]) * (1 - gain * math.sqrt(1 - betas[t]))
        assert float(sched.coef_xt[t]) == pytest.approx(coef_xt, rel=1e-6)
        assert float(sched.coef_x0[t]) == pytest.approx(coef_x0, rel=1e-6)


def test_timestep_embedding():
    emb = diffusion.timestep_embedding(torch.tensor([0, 3]), 6).double().numpy()
    freqs = np.exp(-np.log(10000.0) * np.arange(3) / 3)
    np.testing.assert_allclose(emb[1], np.concatenate([np.cos(3 * freqs), np.sin(3 * freqs)]), rtol=1e-6)
    np.testing.assert_allclose(emb[0], [1, 1, 1, 0, 0, 0])


# ------------------------------------------------------------------------------------------------ on Adult
@pytest.fixture(scope="module")
def adult_split(adult_train) -> tuple[pd.DataFrame, pd.DataFrame]:
    rows = np.random.default_rng(0).permutation(len(adult_train))
    train = adult_train.iloc[rows[:N_TRAIN]].reset_index(drop=True)
    hold = adult_train.iloc[rows[N_TRAIN:2 * N_TRAIN]].reset_index(drop=True)
    return train, hold


@pytest.fixture(scope="module")
def fitted(adult_split) -> tuple[TabDDPM, pd.DataFrame]:
    train, _ = adult_split
    start = time.perf_counter()
    model = TabDDPM(**FIT).fit(train)
    fit_s = time.perf_counter() - start
    syn = model.sample(N_TRAIN)
    print(f"\nTabDDPM on {N_TRAIN} Adult rows: fit {fit_s:.1f} s, sampling {N_TRAIN} rows "
          f"{time.perf_counter() - start - fit_s:.1f} s; loss {model.log.rows[0]['loss']:.3f} -> "
          f"{model.log.rows[-1]['loss']:.3f}")
    return model, syn


def independent_columns(frame: pd.DataFrame, n: int, seed: int = 0) -> pd.DataFrame:
    """Every column drawn on its own from its empirical marginal: no dependence at all."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame({c: frame[c].to_numpy()[rng.integers(0, len(frame), n)] for c in frame.columns})


def exact_copy_rate(syn: pd.DataFrame, train: pd.DataFrame) -> float:
    """Share of rows of ``syn`` equal in every column to some row of ``train`` (missing equals missing)."""
    h = pd.util.hash_pandas_object(syn[train.columns].astype(object), index=False).to_numpy()
    ref = pd.util.hash_pandas_object(train.astype(object), index=False).to_numpy()
    return float(np.isin(h, ref).mean())


def test_pair_trends_beat_independent_columns_and_match_the_copula(adult_split, fitted):
    train, hold = adult_split
    _, syn = fitted
    tables = {"diffusion": syn, "copula": GaussianCopula(seed=0).fit(train).sample(N_TRAIN),
              "independent": independent_columns(train, N_TRAIN)}
    scores = {}
    for ref_name, ref in [("holdout", hold), ("train", train)]:
        for name, frame in tables.items():
            rep = synthaudit.audit("tabular", synthetic=frame, real=ref, metrics=PAIR_METRICS, progress=False)
            scores[ref_name, name] = [rep.value(m) for m in PAIR_METRICS]
    print("\n(lower is better)        contingency  pearson")
    for (ref_name, name), (cont, pear) in scores.items():
        print(f"vs {ref_name:8s} {name:12s} {cont:11.4f} {pear:8.4f}")
    cont = {k[1]: v[0] for k, v in scores.items() if k[0] == "holdout"}
    pear = {k[1]: v[1] for k, v in scores.items() if k[0] == "holdout"}
    # both metrics are lower_better (catalog). Measured vs holdout: contingency 0.045 / copula 0.050 /
    # independent 0.091; pearson 0.008 / 0.015 / 0.028
    assert cont["diffusion"] < 0.7 * cont["independent"], cont
    assert pear["diffusion"] < 0.5 * pear["independent"], pear
    assert cont["diffusion"] <= cont["copula"], cont


def test_categories_ranges_and_dtypes_stay_those_of_training(adult_split, fitted):
    train, _ = adult_split
    _, syn = fitted
    assert list(syn.columns) == list(train.columns) and len(syn) == N_TRAIN
    assert syn.dtypes.to_dict() == train.dtypes.to_dict()
    print("\ncategories seen in training but not generated:", lost_categories(train, syn))
    for col in train.columns:
        if not pd.api.types.is_numeric_dtype(train[col]):
            seen, made = set(train[col].dropna()), set(syn[col].dropna())
            assert made <= seen, (col, made - seen)  # nothing unseen
            # every category seen in training, but for those a faithful sample may miss by chance (p >= 0.001)
            keep = categories_a_sample_keeps(train[col], len(syn))
            assert keep <= made, (col, keep - made)
            assert syn[col].isna().any() == train[col].isna().any(), col  # missing values kept where they were
        else:
            assert syn[col].between(train[col].min(), train[col].max()).all(), col
    assert set(syn["education_num"]) == set(train["education_num"])  # a discrete column keeps its values
    # education and education_num are 1:1 in the data; diffused as categories, most rows keep the pair
    mapping = train.groupby("education")["education_num"].first()
    agree = float((syn["education"].map(mapping) == syn["education_num"]).mean())
    print(f"\nrows whose education_num matches their education: {agree:.3f} (real: 1)")
    assert agree > 0.85


def test_exact_copies_and_dcr_are_bounded(adult_split, fitted):
    train, hold = adult_split
    _, syn = fitted
    copies, copies_hold = exact_copy_rate(syn, train), exact_copy_rate(hold, train)
    rep = synthaudit.audit("tabular", synthetic=syn, real=train, holdout=hold, metrics=["tabular.dcr"],
                           progress=False)
    dcr = rep.result("tabular.dcr")
    print(f"\nexact copies of training rows: synthetic {copies:.4f}, real holdout {copies_hold:.4f}; DCR share closer "
          f"to train than holdout {dcr.value:.3f} (0.5 = no sign of copying); median DCR synthetic "
          f"{dcr.secondary['synthetic_p50']:.4f} vs holdout {dcr.secondary['holdout_p50']:.4f}")
    assert dcr.secondary["exact_copy_rate"] == pytest.approx(copies)  # the metric counts what the test counts
    # measured: no synthetic row copies a training row (real holdout: 0.0004, 3 rows); DCR share 0.505
    assert copies <= copies_hold
    assert dcr.value < 0.6


# ------------------------------------------------------------------------------------------------ conditional
@pytest.fixture(scope="module")
def conditional(adult_split) -> TabDDPM:
    train, _ = adult_split
    small = {**FIT, "epochs": 15, "layers": (128, 128)}
    return TabDDPM(**small, target="income").fit(train.head(3000))


def test_conditional_sampling_gives_the_quotas(adult_split, conditional):
    train, _ = adult_split
    out = conditional.sample(999)
    assert out["income"].value_counts().to_dict() == class_quotas(train.head(3000)["income"], 999)
    assert list(out.columns) == list(train.columns)
    asked = {">50K": 500, "<=50K": 100}
    rich = conditional.sample(600, quotas=asked)
    assert rich["income"].value_counts().to_dict() == asked
    assert rich["income"].iloc[:20].nunique() == 2  # classes shuffled, not in blocks
    # the label steers the rows: husbands are 3/4 of the real >50K rows and about a third of the others
    real = train.head(3000)
    share = {c: (rich.loc[rich["income"] == c, "relationship"] == "Husband").mean() for c in asked}
    real_share = {c: (real.loc[real["income"] == c, "relationship"] == "Husband").mean() for c in asked}
    print(f"\nshare of husbands by class: synthetic {share}, real {real_share}")
    assert share[">50K"] > share["<=50K"] + 0.2


def test_quota_errors(conditional, fitted):
    with pytest.raises(UsageError, match="'maybe' was not seen"):
        conditional.sample(10, quotas={"maybe": 10})
    with pytest.raises(UsageError, match="add up to 5"):
        conditional.sample(10, quotas={">50K": 5})
    with pytest.raises(UsageError, match="need a model fitted with target"):
        fitted[0].sample(10, quotas={">50K": 10})
    with pytest.raises(InputError, match="no target column 'nope'"):
        TabDDPM(epochs=1, target="nope", progress=False).fit(pd.DataFrame({"a": [1, 2]}))


# ------------------------------------------------------------------------------------------------ repeatability
def test_same_seed_same_model_and_rows(adult_split):
    train = adult_split[0].head(1500)
    tiny = {**FIT, "epochs": 2, "layers": (64, 64), "steps": 20}
    a, b = TabDDPM(**tiny).fit(train), TabDDPM(**tiny).fit(train)
    assert a.log.rows == b.log.rows
    pd.testing.assert_frame_equal(a.sample(300), b.sample(300))
    pd.testing.assert_frame_equal(a.sample(300, seed=5), b.sample(300, seed=5))
    assert not a.sample(300, seed=5).equals(a.sample(300, seed=6))
    c = TabDDPM(**{**tiny, "seed": 1}).fit(train)
    assert c.log.rows != a.log.rows


def test_save_load_samples_identically(fitted, tmp_path):
    model, _ = fitted
    folder = model.save(tmp_path / "model")
    config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    assert config["kind"] == "tabddpm" and config["params"]["epochs"] == FIT["epochs"]
    again = TabDDPM.load(folder)
    pd.testing.assert_frame_equal(again.sample(700, seed=3), model.sample(700, seed=3))
    assert again.log.rows == model.log.rows
    paths = again.write_log(tmp_path / "log")
    losses = pd.read_csv(paths[0])
    assert len(losses) == FIT["epochs"] and losses["loss"].iloc[-5:].mean() < losses["loss"].iloc[:5].mean()
    with pytest.raises(InputError, match="not a saved tabddpm model"):
        (folder / "config.json").write_text(json.dumps({**config, "kind": "ctgan"}), encoding="utf-8")
        TabDDPM.load(folder)


def test_awkward_columns(tmp_path):
    """Missing numbers, datetimes, booleans, a constant and a conditioning label with missing values."""
    rng = np.random.default_rng(1)
    n = 400
    frame = pd.DataFrame({
        "size": rng.normal(size=n), "flag": rng.random(n) < 0.3, "constant": ["same"] * n,
        "when": pd.date_range("2021-01-01", periods=n, freq="h"),
        "colour": rng.choice(["red", "grün", None], n), "label": rng.choice([0, 1, None], n),
    })
    frame.loc[::7, "size"] = np.nan
    model = TabDDPM(epochs=3, batch_size=128, steps=10, layers=(32,), progress=False, target="label").fit(frame)
    out = model.sample(500)
    assert set(out["label"]) == {0.0, 1.0} and out["label"].notna().all()  # a missing label is never a quota
    assert out["size"].isna().any() and out["size"].notna().any()
    assert out["flag"].dtype == bool and (out["constant"] == "same").all()
    assert out["when"].between(frame["when"].min(), frame["when"].max()).all()
    assert set(out["colour"].dropna()) <= {"red", "grün"}
    again = TabDDPM.load(model.save(tmp_path / "m"))
    pd.testing.assert_frame_equal(again.sample(50), model.sample(50))
