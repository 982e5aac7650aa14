"""The time-series audit end to end (modality "timeseries"): real series that ship with statsmodels on the real
side, synthetic series made by perturbing them, and every metric moving the right way (issue #17's checks)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import ks_2samp

import synthaudit
from synthaudit.data.timeseries import SeriesOptions, load_series, windows

sm = pytest.importorskip("statsmodels.api")

GBM = {"timeseries.discriminative_score": {"family": "gbm"}, "timeseries.predictive_score": {"family": "ridge"}}
FAST = ["timeseries.marginal_ks", "timeseries.acf_distance", "timeseries.cross_corr_diff",
        "timeseries.ext.spectral_distance", "timeseries.ext.length_similarity"]


def sunspot_windows() -> list[np.ndarray]:
    data = sm.datasets.sunspots.load_pandas().data
    return windows(load_series(data, "real"), 22, 11).values  # 27 windows of two solar cycles


def macro_windows(first: bool = True) -> list[np.ndarray]:
    levels = sm.datasets.macrodata.load_pandas().data[["realgdp", "realcons", "realinv"]].to_numpy(dtype=float)
    growth = 100 * np.diff(np.log(levels), axis=0)
    return windows(load_series([growth], "real"), 12, 4).values


def run(syn, real, metrics=FAST, **kw):
    rep = synthaudit.audit("timeseries", synthetic=syn, real=real, metrics=metrics, params=GBM, **kw)
    return {m.id: m for m in rep.metrics}


def values(res):
    return {k: m.value for k, m in res.items()}


def test_ks_and_acf_equal_scipy_and_statsmodels_on_elnino():
    from statsmodels.tsa.stattools import acf

    elnino = load_series(sm.datasets.elnino.load_pandas().data, "real", SeriesOptions(layout="wide"))  # year rows
    assert len(elnino) == 61 and elnino.lengths()[0] == 12 and elnino.ids[0] == "1950"
    real, syn = elnino.values[:40], elnino.values[40:]
    res = run(syn, real)
    pooled_r, pooled_s = np.concatenate(real)[:, 0], np.concatenate(syn)[:, 0]
    assert res["timeseries.marginal_ks"].value == pytest.approx(ks_2samp(pooled_r, pooled_s).statistic, abs=1e-12)
    mr = np.mean([acf(s[:, 0], nlags=10, fft=False)[1:] for s in real], axis=0)
    ms = np.mean([acf(s[:, 0], nlags=10, fft=False)[1:] for s in syn], axis=0)
    assert res["timeseries.acf_distance"].value == pytest.approx(np.mean(np.abs(mr - ms)), abs=1e-12)
    assert res["timeseries.cross_corr_diff"].value is None  # one channel: a gap, not 0
    assert "single channel" in res["timeseries.cross_corr_diff"].notes["undefined"]


def test_cross_corr_equals_numpy_on_macrodata():
    w = macro_windows()
    real, syn = w[::2], w[1::2]
    res = run(syn, real)
    cr, cs = np.corrcoef(np.concatenate(real), rowvar=False), np.corrcoef(np.concatenate(syn), rowvar=False)
    iu = np.triu_indices(3, 1)
    assert res["timeseries.cross_corr_diff"].value == pytest.approx(0.5 * np.mean(np.abs(cr - cs)[iu]), abs=1e-12)


def test_streaming_in_batches_equals_one_pass():
    w = macro_windows()
    one = values(run(w[1::2], w[::2]))
    small = synthaudit.audit("timeseries", synthetic=w[1::2], real=w[::2], metrics=FAST, batch_size=3, stream=True)
    for m in small.metrics:
        assert m.value == pytest.approx(one[m.id], rel=1e-10, abs=1e-12), m.id


def test_order_of_series_and_rows_does_not_matter(tmp_path):
    w = sunspot_windows()
    rng = np.random.default_rng(0)
    syn = [s + rng.normal(0, 5, s.shape) for s in w]
    base = run(syn, w, metrics=[*FAST, "timeseries.discriminative_score", "timeseries.diversity_coverage"])
    perm = rng.permutation(len(w))
    again = run([syn[i] for i in perm], [w[i] for i in rng.permutation(len(w))],
                metrics=[*FAST, "timeseries.discriminative_score", "timeseries.diversity_coverage"])
    for k, m in base.items():
        assert again[k].value == pytest.approx(m.value, rel=1e-12, abs=1e-12), k
    frame = pd.DataFrame([{"series_id": f"s{i}", "t": t, "v": float(x)} for i, s in enumerate(syn)
                          for t, x in enumerate(s[:, 0])])
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    frame.to_csv(a, index=False)
    frame.sample(frac=1.0, random_state=1).to_csv(b, index=False)
    ra, rb = values(run(str(a), w)), values(run(str(b), w))
    assert ra == rb


@pytest.fixture(scope="module")
def sunspots():
    w = sunspot_windows()
    return w[::2], w[1::2]  # reference, and a disjoint real sample from the same source


def test_perturbations_move_fidelity_metrics_the_right_way(sunspots):
    real, other = sunspots
    rng = np.random.default_rng(3)
    sd = np.concatenate(real).std()
    fresh = values(run(other, real))
    noisy = values(run([s + rng.normal(0, 0.5 * sd, s.shape) for s in other], real))
    noisier = values(run([s + rng.normal(0, 1.5 * sd, s.shape) for s in other], real))
    shuffled = values(run([s[rng.permutation(len(s))] for s in other], real))
    kernel = np.ones(5) / 5
    smooth = values(run([np.convolve(s[:, 0], kernel, mode="same")[:, None] for s in other], real))
    for k in ("timeseries.marginal_ks", "timeseries.acf_distance", "timeseries.ext.spectral_distance"):
        assert fresh[k] < noisy[k] < noisier[k], k
    # shuffling time steps keeps every marginal and destroys the dynamics
    assert shuffled["timeseries.marginal_ks"] == pytest.approx(fresh["timeseries.marginal_ks"], abs=1e-12)
    assert shuffled["timeseries.acf_distance"] > 3 * fresh["timeseries.acf_distance"]
    assert shuffled["timeseries.ext.spectral_distance"] > 2 * fresh["timeseries.ext.spectral_distance"]
    # smoothing raises short-lag autocorrelation and removes high frequencies
    assert smooth["timeseries.acf_distance"] > fresh["timeseries.acf_distance"]
    assert smooth["timeseries.ext.spectral_distance"] > fresh["timeseries.ext.spectral_distance"]


def test_white_noise_scores_badly_on_acf_and_discriminator(sunspots):
    real, other = sunspots
    pooled = np.concatenate(real)
    rng = np.random.default_rng(5)
    noise = [rng.normal(pooled.mean(), pooled.std(), (22, 1)) for _ in range(len(other) * 4)]
    metrics = ["timeseries.acf_distance", "timeseries.discriminative_score"]
    fresh = run(other * 4, real, metrics=metrics)
    bad = run(noise, real, metrics=metrics)
    assert bad["timeseries.acf_distance"].value > 4 * fresh["timeseries.acf_distance"].value
    assert bad["timeseries.discriminative_score"].value > fresh["timeseries.discriminative_score"].value + 0.15
    assert bad["timeseries.discriminative_score"].notes["classifier"] == "gbm"


def test_gru_discriminator_catches_white_noise_and_records_its_family():
    pytest.importorskip("torch")
    real = macro_windows()
    pooled = np.concatenate(real)
    rng = np.random.default_rng(1)
    noise = [rng.normal(pooled.mean(0), pooled.std(0), (12, 3)) for _ in range(len(real))]
    rep = synthaudit.audit("timeseries", synthetic=noise, real=real, metrics=["timeseries.discriminative_score"],
                           params={"timeseries.discriminative_score": {"family": "gru", "iterations": 150}})
    m = rep.result("timeseries.discriminative_score")
    assert m.notes["classifier"] == "gru" and m.notes["params"]["iterations"] == 150
    assert m.value > 0.2
    assert m.breakdown[0]["kind"] == "most_fake" and 0.5 < m.breakdown[0]["p_synthetic"] <= 1.0


def test_copy_of_training_series_scores_worst_on_dcr():
    w = sunspot_windows()
    train, hold, other = w[::3], w[1::3], w[2::3]
    rng = np.random.default_rng(2)
    sd = np.concatenate(train).std()
    variants = {"copy": [s.copy() for s in train],
                "shifted": [np.roll(s, 3, axis=0) for s in train],
                "noisy": [s + rng.normal(0, 0.3 * sd, s.shape) for s in train],
                "fresh": other}
    out = {}
    for name, syn in variants.items():
        rep = synthaudit.audit("timeseries", synthetic=syn, train=train, holdout=hold, real=train,
                               metrics=["timeseries.dcr"])
        out[name] = rep.result("timeseries.dcr")
    share = {k: m.value for k, m in out.items()}
    assert share["copy"] == 1.0 and out["copy"].secondary["exact_copy_share"] == 1.0
    assert share["copy"] >= max(share.values())
    p5 = {k: m.secondary["synthetic_p5"] for k, m in out.items()}
    assert p5["copy"] == 0.0 < p5["shifted"] and p5["copy"] < p5["noisy"] < p5["fresh"]  # the copy is nearest
    assert share["copy"] - 0.5 > abs(share["fresh"] - 0.5)
    assert abs(share["fresh"] - 0.5) < 0.3
    assert out["copy"].breakdown[0]["distance"] == 0.0
    dtw = synthaudit.audit("timeseries", synthetic=variants["shifted"], train=train, holdout=hold, real=train,
                           metrics=["timeseries.dcr"], params={"timeseries.dcr": {"distance": "dtw"}})
    assert dtw.result("timeseries.dcr").notes["distance"] == "dtw"


def test_predictive_score_has_the_trtr_baseline_and_copies_do_not_help():
    w = macro_windows()
    real, hold = w[: len(w) * 2 // 3], w[len(w) * 2 // 3:]
    rng = np.random.default_rng(4)
    pooled = np.concatenate(real)
    noise = [rng.normal(pooled.mean(0), pooled.std(0), (12, 3)) for _ in range(len(real))]
    good = run(real, real, metrics=["timeseries.predictive_score"], holdout=hold)["timeseries.predictive_score"]
    bad = run(noise, real, metrics=["timeseries.predictive_score"], holdout=hold)["timeseries.predictive_score"]
    assert good.value == pytest.approx(good.secondary["trtr_mae"], abs=1e-12)  # trained on the same real series
    assert bad.value > good.value
    assert bad.secondary["trtr_mae"] == pytest.approx(good.secondary["trtr_mae"], abs=1e-12)
    assert good.notes["forecaster"] == "ridge"


def _ar(phi: float, n: int, seed: int, length: int = 40) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        x, e = np.zeros(length), rng.normal(size=length)
        for t in range(1, length):
            x[t] = phi * x[t - 1] + e[t]
        out.append(x[:, None])
    return out


def test_coverage_drops_when_a_generator_covers_one_regime():
    real = _ar(0.9, 100, 1) + _ar(-0.5, 100, 2)  # two regimes: persistent and alternating
    both = _ar(0.9, 100, 3) + _ar(-0.5, 100, 4)
    one = _ar(0.9, 200, 5)
    cov = "timeseries.diversity_coverage"
    full, part = run(both, real, metrics=[cov])[cov], run(one, real, metrics=[cov])[cov]
    assert part.value < full.value - 0.05
    assert part.secondary["coverage_at_beta_0_9"] < full.secondary["coverage_at_beta_0_9"] - 0.1
    assert full.plots[0]["kind"] == "curve"


def test_holdout_share_reference_and_windows_from_files(tmp_path):
    data = sm.datasets.co2.load_pandas().data.reset_index()
    data.columns = ["date", "co2"]
    path = tmp_path / "co2.csv"
    data.to_csv(path, index=False)
    before = path.read_bytes()
    syn = tmp_path / "syn.csv"
    data.assign(co2=data["co2"] + 0.5).to_csv(syn, index=False)
    rep = synthaudit.audit("timeseries", synthetic=str(syn), real=str(path), window=52, stride=52, holdout_share=0.3,
                           metrics=[*FAST, "timeseries.dcr"], out=tmp_path / "out")
    assert path.read_bytes() == before  # an input file is never modified
    dcr = rep.result("timeseries.dcr")
    assert dcr.value is not None
    ks = rep.result("timeseries.marginal_ks")
    assert ks.reference is not None  # the held-out real windows audited as if synthetic
    assert "overlapping_windows" not in dcr.notes
    html = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert "Mean ACF" in html and "Sample series" in html


def test_event_sequences_audit():
    rng = np.random.default_rng(0)
    items = list("abcdefgh")
    real = [[items[(i + k) % 8] for k in range(rng.integers(3, 9))] for i in range(60)]
    same = [[items[(i + k) % 8] for k in range(rng.integers(3, 9))] for i in range(60, 120)]
    narrow = [[items[k % 2] for k in range(6)] for _ in range(60)]
    ev = ["timeseries.ext.transition_distance", "timeseries.ext.item_coverage"]
    good = values(run(same, real, metrics=ev))
    bad = values(run(narrow, real, metrics=ev))
    assert good["timeseries.ext.item_coverage"] == 1.0 and bad["timeseries.ext.item_coverage"] == 0.25
    assert bad["timeseries.ext.transition_distance"] > good["timeseries.ext.transition_distance"]
    rep = synthaudit.audit("timeseries", synthetic=same, real=real)
    gaps = {g.id for g in rep.gaps}
    assert "timeseries.acf_distance" in gaps  # numeric metrics do not apply to event sequences


def test_channel_mismatch_and_missing_input_are_clear_errors():
    from synthaudit.errors import InputError, UsageError

    with pytest.raises(InputError, match="channel"):
        synthaudit.audit("timeseries", synthetic=[np.zeros((5, 2))], real=[np.zeros((5, 3))])
    with pytest.raises(UsageError, match="holdout"):
        synthaudit.audit("timeseries", synthetic=[np.zeros((5, 2))], real=[np.zeros((5, 2))],
                         holdout=[np.zeros((5, 2))], holdout_share=0.3)


def test_overlapping_windows_are_flagged_by_the_neighbour_metrics():
    levels = sm.datasets.macrodata.load_pandas().data[["realgdp", "realcons", "realinv"]].to_numpy(dtype=float)
    growth = 100 * np.diff(np.log(levels), axis=0)
    rng = np.random.default_rng(0)
    syn = [growth[:120] + rng.normal(0, 0.5, (120, 3))]
    rep = synthaudit.audit("timeseries", synthetic=syn, real=[growth[:140]], holdout=[growth[140:]], window=12,
                           stride=2, metrics=["timeseries.diversity_coverage", "timeseries.dcr"])
    for mid in ("timeseries.diversity_coverage", "timeseries.dcr"):
        m = rep.result(mid)
        assert m.status == "ok" and m.value is not None, (mid, m.error)
        assert "shifted copy" in m.notes["overlapping_windows"]


def test_nile_before_and_after_the_dam_differ_in_level_not_in_length():
    """The Nile's annual flow drops after 1898 (the Aswan dam works): the KS of the two periods' 10-year windows
    equals scipy's on the pooled values, and the length similarity is exactly 1."""
    data = sm.datasets.nile.load_pandas().data
    early = windows(load_series(data[data["year"] < 1899], "real"), 10).values
    late = windows(load_series(data[data["year"] >= 1899], "real"), 10).values
    res = run(late, early)
    expected = ks_2samp(np.concatenate(early)[:, 0], np.concatenate(late)[:, 0]).statistic
    assert res["timeseries.marginal_ks"].value == pytest.approx(expected, abs=1e-12)
    assert res["timeseries.marginal_ks"].value > 0.5
    assert res["timeseries.ext.length_similarity"].value == 1.0
