"""Series-set generators (issue #17): block bootstrap, VAR, LLM-prompted series, fit/sample sequence adapter."""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy.stats import ks_2samp
from statsmodels.tsa.ar_model import AutoReg, ar_select_order
from statsmodels.tsa.stattools import acf as sm_acf
from statsmodels.tsa.vector_ar.var_model import VAR

from synthaudit.generate.timeseries import (METHODS, BlockBootstrap, LLMSeriesGenerator, SequenceFitSample,
                                            VARGenerator, make_series_generator, parse_series)
from synthaudit.generate.timeseries.adapter import to_long
from synthaudit.generate.timeseries.var import fit_var, select_order


def ar1(n: int, phi: float, rng: np.random.Generator, mean: float = 0.0) -> np.ndarray:
    x = np.zeros(n)
    for t in range(1, n):
        x[t] = phi * x[t - 1] + rng.standard_normal()
    return (x + mean)[:, None]


def var1(n: int, a: np.ndarray, c: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    y = np.zeros((n, len(c)))
    for t in range(1, n):
        y[t] = c + a @ y[t - 1] + rng.standard_normal(len(c))
    return y


def same_sets(a: list[np.ndarray], b: list[np.ndarray]) -> bool:
    return len(a) == len(b) and all(np.array_equal(x, y, equal_nan=True) for x, y in zip(a, b))


# -- moving-block bootstrap ----------------------------------------------------------------------------------------
def test_bootstrap_blocks_are_contiguous_blocks_of_real_series():
    rng = np.random.default_rng(0)
    real = [rng.standard_normal((t, 2)) for t in (30, 41, 25)]  # distinct values: a match is a real position

    def where(chunk: np.ndarray) -> bool:
        return any(np.array_equal(r[i:i + len(chunk)], chunk) for r in real for i in range(len(r) - len(chunk) + 1))

    out = BlockBootstrap(block=5, seed=1).fit(real).sample(20, lengths=[7, 23, 60, 5, 1] * 4)
    assert [len(s) for s in out] == [7, 23, 60, 5, 1] * 4 and all(s.shape[1] == 2 for s in out)
    for s in out:
        for k in range(0, len(s), 5):  # aligned blocks (the last one a prefix of a real block)
            assert where(s[k:k + 5])
    joins = [s[3:8] for s in out if len(s) >= 8]  # windows across a join are mostly not real blocks
    assert sum(where(w) for w in joins) < len(joins)


def test_bootstrap_default_block_lengths_and_order_independence():
    rng = np.random.default_rng(2)
    real = [rng.standard_normal((t, 1)) for t in (30, 41, 25)]
    real[1][4, 0] = np.nan  # a missing value is copied like any value
    g = BlockBootstrap(seed=3).fit(real)
    assert g.block_ == 3  # round(median(30, 41, 25) ** (1/3)) = round(3.107)
    assert BlockBootstrap().fit([np.zeros((1000, 1)) + np.arange(1000)[:, None]]).block_ == 10
    out = g.sample(200)
    assert {len(s) for s in out} == {30, 41, 25}  # default lengths drawn from the real ones
    assert all(len(s) == 12 for s in g.sample(3, lengths=12)) and g.sample(0) == []
    assert same_sets(out, BlockBootstrap(seed=3).fit([real[2], real[0], real[1]]).sample(200))
    assert same_sets(out, g.sample(200)) and not same_sets(out, g.sample(200, seed=4))
    assert any(np.isnan(s).any() for s in out)
    with pytest.raises(ValueError, match="one length per series"):
        g.sample(3, lengths=[4, 5])
    with pytest.raises(ValueError, match="positive integers"):
        g.sample(2, lengths=0)


def test_bootstrap_series_shorter_than_a_block_are_used_whole():
    a, b = np.array([[1.0], [2.0]]), np.array([[10.0], [20.0], [30.0]])
    for s in BlockBootstrap(block=5, seed=0).fit([a, b]).sample(30, lengths=9):
        pos = 0
        while pos < len(s):  # s is a concatenation of whole a's and b's (the last one cut)
            rest = s[pos:]
            piece = next(p for p in (a, b) if np.array_equal(rest[:len(p)], p[:len(rest)]))
            pos += len(piece)


def test_bootstrap_block_one_keeps_marginals_and_destroys_autocorrelation():
    rng = np.random.default_rng(5)
    real = [ar1(2000, 0.9, rng)]
    iid = BlockBootstrap(block=1, seed=0).fit(real).sample(1, lengths=2000)[0]
    assert set(iid[:, 0]) <= set(real[0][:, 0])
    assert ks_2samp(iid[:, 0], real[0][:, 0]).statistic < 0.05
    assert sm_acf(real[0][:, 0], nlags=1)[1] > 0.85 and abs(sm_acf(iid[:, 0], nlags=1)[1]) < 0.08
    blocks = BlockBootstrap(block=50, seed=0).fit(real).sample(1, lengths=2000)[0]
    assert sm_acf(blocks[:, 0], nlags=1)[1] > 0.8  # long blocks keep the dependence


def test_bootstrap_bad_input():
    with pytest.raises(ValueError, match="block"):
        BlockBootstrap(block=0)
    with pytest.raises(ValueError, match="fit"):
        BlockBootstrap().sample(2)
    with pytest.raises(ValueError, match="no series"):
        BlockBootstrap().fit([])
    with pytest.raises(ValueError, match="channels"):
        BlockBootstrap().fit([np.zeros((5, 2)), np.zeros((5, 3))])


# -- VAR ---------------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def var_data():
    rng = np.random.default_rng(1)
    return var1(400, np.array([[0.5, 0.2], [-0.1, 0.3]]), np.array([1.0, 0.5]), rng)


def test_var_fit_equals_statsmodels_on_one_series(var_data):
    ref = VAR(var_data).fit(2)
    f = fit_var([var_data], 2)
    np.testing.assert_allclose(f.coefs, ref.coefs, atol=1e-8)
    np.testing.assert_allclose(f.intercepts[0], ref.intercept, atol=1e-8)
    np.testing.assert_allclose(f.sigma_u, ref.sigma_u, atol=1e-8)
    sel = VAR(var_data).select_order(6)
    p, aics = select_order([var_data], 6)
    assert p == sel.selected_orders["aic"]
    np.testing.assert_allclose(aics, sel.ics["aic"], atol=1e-8)
    g = VARGenerator(max_lags=6).fit([var_data])
    assert g.p_ == p and g.skipped_ == 0
    np.testing.assert_allclose(g.fit_.coefs, VAR(var_data).fit(p).coefs, atol=1e-8)
    # one channel: the AutoReg model
    x = var_data[:, 0]
    ar = AutoReg(x, 3, trend="c").fit()
    f1 = fit_var([x[:, None]], 3)
    np.testing.assert_allclose([f1.intercepts[0, 0], *f1.coefs[:, 0, 0]], ar.params, atol=1e-8)
    np.testing.assert_allclose(f1.sigma_mle[0, 0], ar.sigma2, atol=1e-8)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert select_order([x[:, None]], 6)[0] == len(ar_select_order(x, 6, ic="aic", trend="c").ar_lags or [])


def test_var_pools_series_with_own_intercepts(var_data):
    a = np.array([[0.5, 0.2], [-0.1, 0.3]])
    shifted = var_data + np.array([10.0, -4.0])  # a level shift is absorbed by its own intercept
    f1, f2 = fit_var([var_data], 1), fit_var([var_data, shifted], 1)
    np.testing.assert_allclose(f2.coefs, f1.coefs, atol=1e-8)
    np.testing.assert_allclose(f2.intercepts[1] - f2.intercepts[0], (np.eye(2) - f2.coefs[0]) @ [10.0, -4.0],
                               atol=1e-8)
    rng = np.random.default_rng(7)
    other = var1(300, a, np.array([0.0, 0.0]), rng)
    g1 = VARGenerator(lags=1, seed=2).fit([var_data, other])
    g2 = VARGenerator(lags=1, seed=2).fit([other, var_data])
    assert same_sets(g1.sample(3, lengths=50), g2.sample(3, lengths=50))
    assert not same_sets(g1.sample(3, lengths=50), g1.sample(3, lengths=50, seed=9))


def test_var_simulation_recovers_its_coefficients(var_data):
    g = VARGenerator(lags=1, seed=0).fit([var_data])
    long = g.sample(1, lengths=20000)[0]
    np.testing.assert_allclose(VAR(long).fit(1).coefs, g.fit_.coefs, atol=0.03)
    mu = np.linalg.solve(np.eye(2) - g.fit_.coefs[0], g.fit_.intercepts[0])
    np.testing.assert_allclose(long.mean(axis=0), mu, atol=0.1)
    np.testing.assert_allclose(np.cov(long[1:] - long[:-1] @ g.fit_.coefs[0].T - g.fit_.intercepts[0], rowvar=False),
                               g.fit_.sigma_u, atol=0.05)


def test_var_samples_keep_the_acf_of_an_ar1():
    rng = np.random.default_rng(3)
    real = [ar1(300, 0.7, rng, mean=m) for m in (0.0, 5.0, -2.0, 1.0)]
    g = VARGenerator(seed=0).fit(real)
    out = g.sample(30)
    assert {len(s) for s in out} == {300} and all(s.shape == (300, 1) for s in out)
    real_acf = np.mean([sm_acf(s[:, 0], nlags=5) for s in real], axis=0)
    syn_acf = np.mean([sm_acf(s[:, 0], nlags=5) for s in out], axis=0)
    assert np.abs(real_acf - syn_acf).max() < 0.06
    assert np.abs(syn_acf[1:] - 0.7 ** np.arange(1, 6)).max() < 0.1


def test_var_bad_input():
    rng = np.random.default_rng(4)
    good = rng.standard_normal((50, 2))
    with pytest.raises(ValueError, match="constant"):
        VARGenerator(lags=1).fit([np.column_stack([good[:, 0], np.full(50, 3.0)])])
    with pytest.raises(ValueError, match="singular"):  # constant within each series, levels differ
        VARGenerator(lags=1).fit([np.column_stack([good[:25, 0], np.full(25, 1.0)]),
                                  np.column_stack([good[25:, 0], np.full(25, 2.0)])])
    with pytest.raises(ValueError, match="too short"):
        VARGenerator(lags=3).fit([good[:3]])
    with pytest.raises(ValueError, match="too few time steps"):
        VARGenerator(lags=2).fit([good[:4], good[10:14]])
    bad = good.copy()
    bad[3, 1] = np.nan
    with pytest.raises(ValueError, match="missing values"):
        VARGenerator().fit([bad])
    with pytest.raises(ValueError, match="not stable"):
        VARGenerator(lags=1).fit([ar1(60, 1.1, rng)]).sample(1)  # explosive: x_t = 1.1 x_(t-1) + e_t
    with pytest.raises(ValueError, match="lags"):
        VARGenerator(lags=-1)


# -- fit/sample adapter -------------------------------------------------------------------------------------------
class WholeSequences:
    """A toy sequence model: resamples whole real sequences (numpy's global state), PAR's interface."""

    def fit(self, frame: pd.DataFrame) -> None:
        self.frame = frame
        self.groups = [g.drop(columns="series_id") for _, g in frame.groupby("series_id", sort=True)]

    def sample(self, num_sequences: int) -> pd.DataFrame:
        pick = np.random.randint(len(self.groups), size=num_sequences)
        return pd.concat([self.groups[j].iloc[::-1].assign(series_id=f"s{i}") for i, j in enumerate(pick)])


def test_adapter_round_trips_series_through_a_long_frame():
    rng = np.random.default_rng(0)
    real = [rng.standard_normal((t, 2)) for t in (4, 7, 5)]
    real[0][1, 1] = np.nan
    model = WholeSequences()
    g = SequenceFitSample(model, channels=["x", "y"], seed=3).fit(real)
    assert list(model.frame.columns) == ["series_id", "t", "x", "y"] and len(model.frame) == 16
    assert sorted(model.frame.groupby("series_id")["t"].max()) == [3, 4, 6]
    out = g.sample(12)
    assert len(out) == 12  # rows came back reversed: sorted again by t
    assert all(any(np.array_equal(s, r, equal_nan=True) for r in real) for s in out)
    assert same_sets(out, g.sample(12)) and same_sets(out, SequenceFitSample(WholeSequences(), channels=["x", "y"],
                                                                            seed=3).fit(real[::-1]).sample(12))
    assert list(to_long(real, ["a", "b"]).columns) == ["series_id", "t", "a", "b"]


def test_adapter_errors_name_what_is_missing():
    real = [np.arange(6.0).reshape(3, 2)]

    class Broken(WholeSequences):
        def __init__(self, drop: str) -> None:
            self.drop = drop

        def sample(self, num_sequences: int) -> pd.DataFrame:
            return super().sample(num_sequences).drop(columns=[self.drop])

    with pytest.raises(ValueError, match="sequence key column 'series_id'"):
        SequenceFitSample(Broken("series_id")).fit(real).sample(2)
    with pytest.raises(ValueError, match="channel column"):
        SequenceFitSample(Broken("c1")).fit(real).sample(2)
    with pytest.raises(ValueError, match="no fit"):
        SequenceFitSample(object())
    with pytest.raises(ValueError, match="no sample"):
        SequenceFitSample(type("FitOnly", (), {"fit": lambda self, frame: None})())
    with pytest.raises(ValueError, match="chooses the lengths"):
        SequenceFitSample(WholeSequences()).fit(real).sample(2, lengths=3)
    with pytest.raises(ValueError, match="expected 2 names"):
        SequenceFitSample(WholeSequences(), channels=["a"]).fit(real)


def test_make_series_generator():
    assert set(METHODS) == {"bootstrap", "var"}
    g = make_series_generator("bootstrap", seed=4, block=2)
    assert isinstance(g, BlockBootstrap) and g.block == 2 and g.seed == 4
    assert isinstance(make_series_generator("var", lags=1), VARGenerator)
    assert isinstance(make_series_generator("llm", client=object(), shots=2), LLMSeriesGenerator)
    with pytest.raises(ValueError, match="no fit"):
        make_series_generator("collections:OrderedDict")
    with pytest.raises(ValueError, match="unknown series generator"):
        make_series_generator("gan")


# -- LLM ---------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("text,k,length,expected", [
    ('```json\n[[1, 2], [3, 4.5]]\n```', 2, 2, [[1, 2], [3, 4.5]]),
    ('Here is the series: [[1,2],[3,4],[5,6]] Hope it helps', 2, 2, [[1, 2], [3, 4]]),
    ('{"series": [[0.5], [1.5]]}', 1, 2, [[0.5], [1.5]]),
    ('[0.1, 0.2, 0.3]', 1, 3, [[0.1], [0.2], [0.3]]),
    ('[[1, 2], [3, 4], [5, 6', 2, 2, [[1, 2], [3, 4]]),  # truncated: the complete rows
    ('[[1, 2], [3, 4], [5, 6', 2, 3, "too short"),
    ('[0.1, 0.2, 0.3]', 2, 3, "wrong channel count"),
    ('[[1, 2, 3], [4, 5, 6]]', 2, 2, "wrong channel count"),
    ('[[1, NaN], [2, 3]]', 2, 2, "non-finite value"),
    ('[[1, Infinity], [2, 3]]', 2, 2, "non-finite value"),
    ('[[1, null], [2, 3]]', 2, 2, "non-finite value"),
    ('[[1, 2]]', 2, 2, "too short"),
    ('[]', 2, 1, "too short"),
    ('[["a", 1], [2, 3]]', 2, 2, "not a numeric list"),
    ('[[true, 1]]', 2, 1, "not a numeric list"),
    ('I cannot do that.', 2, 2, "not JSON"),
    ('', 1, 1, "not JSON"),
])
def test_parse_series_on_hand_written_answers(text, k, length, expected):
    arr, reason = parse_series(text, k, length)
    if isinstance(expected, str):
        assert arr is None and reason == expected
    else:
        assert reason is None and arr.shape == (length, k) and np.array_equal(arr, np.array(expected, dtype=float))


def test_llm_series_with_smollm2_counts_every_answer():
    from synthaudit.models.llm import LLMClient

    rng = np.random.default_rng(0)
    real = [np.cumsum(rng.standard_normal((6, 2)), axis=0) for _ in range(3)]
    client = LLMClient(cache=False, local_batch=2)
    g = LLMSeriesGenerator(client, seed=0, shots=2).fit(real, channels=["load", "temp"])
    assert "load, temp" in g.prompt(real[:1], 4) and "exactly 4 time steps" in g.prompt(real[:1], 4)
    out = g.sample(2, lengths=4)
    st = g.stats
    assert st.asked == 2 and st.accepted + sum(st.rejected.values()) == 2 and len(out) == st.accepted
    assert set(st.rejected) <= {"not JSON", "not a numeric list", "wrong channel count", "non-finite value",
                                "too short", "llm_error"}
    assert all(s.shape == (4, 2) and np.isfinite(s).all() for s in out)
    assert st.prompt_tokens == client.usage.prompt_tokens > 0 and st.completion_tokens == client.usage.completion_tokens
    assert client.usage.calls == 2
