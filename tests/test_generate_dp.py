"""DP-SGD for the deep generators (synthaudit.generate.deep.dp; issue #20, survey section 4.3).

References:
  * accountant: Google's dp-accounting RdpAccountant (PoissonSampledDpEvent of a GaussianDpEvent, add/remove one):
    equal at the integer orders of ``dp.ORDERS`` (= dp-accounting's DEFAULT_RDP_ORDERS: 1.1, 1.2, ..., 10.9, 11,
    ..., 63, 128, 256, 512, 1024); on all of them never looser (dp-accounting 0.6.0 overestimates fractional
    orders, see test_all_orders_never_looser_than_dp_accounting). The epsilon also from first principles in mpmath:
    the exact binomial sum at integer orders (Mironov et al. 2019, section 3.3) and numerical integration of
    E[(mu / mu0)^alpha] at fractional ones.
  * clipping: a linear toy whose per-row gradient is known in closed form, and a per-row autograd loop (with
    WGAN-GP's penalty through ``torch.autograd.grad``) against the vmap implementation.
  * noise and Poisson sampling: chi-square / binomial tests at a fixed seed.
"""
from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("opacus")
dp_accounting = pytest.importorskip("dp_accounting")
mp = pytest.importorskip("mpmath")
from scipy import stats  # noqa: E402
from torch import nn  # noqa: E402

import synthaudit  # noqa: E402
from synthaudit.errors import UsageError  # noqa: E402
from synthaudit.generate.deep import dp  # noqa: E402
from synthaudit.generate.deep.common import deterministic  # noqa: E402

# (noise multiplier, sampling rate, steps, delta)
SETTINGS = [(1.1, 0.01, 1000, 1e-5), (0.8, 256 / 60000, 3000, 1e-5), (2.0, 0.05, 200, 1e-6),
            (5.0, 1.0, 10, 1e-5), (10.0, 0.001, 100_000, 1e-7), (0.7, 0.02, 500, 1e-5)]


def reference_epsilon(sigma: float, q: float, steps: int, delta: float, orders=dp.ORDERS) -> tuple[float, float]:
    acc = dp_accounting.rdp.RdpAccountant(list(orders))
    acc.compose(dp_accounting.PoissonSampledDpEvent(q, dp_accounting.GaussianDpEvent(sigma)), steps)
    return acc.get_epsilon_and_optimal_order(delta)


INTEGER_ORDERS = tuple(a for a in dp.ORDERS if float(a).is_integer())


# ------------------------------------------------------------------------------------------------ accountant
def test_orders_are_dp_accountings_defaults():
    from dp_accounting.rdp.rdp_privacy_accountant import DEFAULT_RDP_ORDERS

    assert list(dp.ORDERS) == list(DEFAULT_RDP_ORDERS)


@pytest.mark.parametrize("sigma,q,steps,delta", SETTINGS)
def test_epsilon_matches_dp_accounting(sigma, q, steps, delta):
    """At the integer orders of ORDERS (2, 3, ..., 63, 128, 256, 512, 1024) both sum the same binomial series."""
    eps, order = dp.epsilon_spent(sigma, q, steps, delta, INTEGER_ORDERS)
    ref, ref_order = reference_epsilon(sigma, q, steps, delta, INTEGER_ORDERS)
    assert eps == pytest.approx(ref, rel=1e-9)
    assert order == ref_order


@pytest.mark.parametrize("sigma,q,steps,delta", SETTINGS + [(0.6, 0.2, 50, 1e-4), (1.2, 0.1, 30, 5e-4)])
def test_all_orders_never_looser_than_dp_accounting(sigma, q, steps, delta):
    """At fractional orders dp-accounting 0.6.0 adds the terms of Mironov et al.'s series with |C(alpha, i)|
    (``_log_comb``), not with their alternating signs, so its RDP is too large there (at q = 0.1, sigma = 1.2,
    alpha = 1.5: 0.00912 against 0.00712 by numerical integration, see below) and it drops orders whose series
    did not converge in 1000 terms; Opacus sums the signed series to convergence. So on all of ORDERS ours is at
    most dp-accounting's epsilon, and equal where the best order is an integer."""
    eps, order = dp.epsilon_spent(sigma, q, steps, delta)
    ref, ref_order = reference_epsilon(sigma, q, steps, delta)
    assert eps <= ref * (1 + 1e-9)
    if float(ref_order).is_integer() and order == ref_order:
        assert eps == pytest.approx(ref, rel=1e-9)
    if (sigma, q) == (0.6, 0.2):  # best order 1.6: excluded by dp-accounting (no convergence)
        assert order == pytest.approx(1.6) and eps < 0.97 * ref


def _log_a_binomial(q: float, sigma: float, alpha: int) -> mp.mpf:
    """log E_{mu0}[(mu / mu0)^alpha] at an integer order: sum_k C(alpha, k) (1-q)^(alpha-k) q^k e^((k^2-k)/2s^2)."""
    return mp.log(mp.fsum(mp.binomial(alpha, k) * (1 - q) ** (alpha - k) * q ** k
                          * mp.exp((k * k - k) / (2 * sigma ** 2)) for k in range(alpha + 1)))


def _log_a_integral(q: float, sigma: float, alpha: float) -> mp.mpf:
    """The same expectation by numerical integration over z ~ N(0, sigma^2): any order."""
    def f(z):
        return mp.exp(alpha * mp.log((1 - q) + q * mp.exp((2 * z - 1) / (2 * sigma ** 2)))) * mp.npdf(z, 0, sigma)
    return mp.log(mp.quad(f, [-mp.inf, -5 * sigma, 0, 0.5, 1, 5 * sigma + 1, mp.inf]))


@pytest.mark.parametrize("sigma,q,steps,delta", [(1.1, 0.01, 1000, 1e-5), (0.6, 0.2, 50, 1e-4), (1.2, 0.1, 30, 5e-4)])
def test_epsilon_from_first_principles(sigma, q, steps, delta):
    from opacus.accountants.analysis import rdp as opacus_rdp

    with mp.workdps(30):
        integer = tuple(range(2, 64))
        rdp = [steps * _log_a_binomial(mp.mpf(q), mp.mpf(sigma), a) / (a - 1) for a in integer]
        hand = min(r + mp.log1p(-mp.mpf(1) / a) - mp.log(delta * a) / (a - 1) for r, a in zip(rdp, integer))
        assert dp.epsilon_spent(sigma, q, steps, delta, integer)[0] == pytest.approx(float(hand), rel=1e-9)
        for alpha in (1.1, 1.5, 1.6, 3.5, 9.6):  # fractional orders: the RDP curve the accountant uses
            ours = opacus_rdp.compute_rdp(q=q, noise_multiplier=sigma, steps=1, orders=alpha) * (alpha - 1)
            ref = _log_a_integral(mp.mpf(q), mp.mpf(sigma), mp.mpf(alpha))
            assert ours == pytest.approx(float(ref), rel=1e-8)


@pytest.mark.parametrize("target", [0.5, 2.0, 8.0])
def test_noise_for_target_spends_at_most_target(target):
    q, steps, delta = 0.05, 60, 1e-4
    sigma = dp.noise_for_epsilon(target, delta, q, steps)
    eps = dp.epsilon_spent(sigma, q, steps, delta)[0]
    assert target * 0.995 <= eps <= target
    assert dp.epsilon_spent(sigma * 0.99, q, steps, delta)[0] > eps  # less noise spends more


def test_zero_steps_and_zero_noise():
    assert dp.epsilon_spent(1.0, 0.1, 0, 1e-5) == (0.0, None)
    assert dp.epsilon_spent(0.0, 0.1, 10, 1e-5)[0] == math.inf


# ------------------------------------------------------------------------------------------------ clipping
def test_clipping_matches_closed_form():
    """loss_i = w . x_i + b: the gradient of row i is (x_i, 1), clipped to C = 2, summed, / (q n) = 5."""
    net = nn.Linear(3, 1)
    with torch.no_grad():
        net.weight.fill_(0.25)
        net.bias.fill_(-1.0)
    private = dp.PrivateTraining(dp.DPConfig(noise_multiplier=0.0, max_grad_norm=2.0), net,
                                 torch.optim.SGD(net.parameters(), lr=1.0), n_rows=10, batch_size=5, epochs=1)
    x = np.array([[0.0, 0.0, 0.0], [3.0, 0.0, 4.0], [1.0, 0.0, 0.0], [0.0, -6.0, 0.0]])
    grads = np.hstack([x, np.ones((4, 1))])
    norms = np.linalg.norm(grads, axis=1)  # 1, sqrt(26), sqrt(2), sqrt(37): rows 2 and 4 are clipped
    expect = (grads * np.minimum(1.0, 2.0 / norms)[:, None]).sum(axis=0) / 5.0
    loss = private.step(lambda forward, rows: forward(rows).squeeze(1), torch.tensor(x, dtype=torch.float32))
    got = np.concatenate([net.weight.grad.numpy().ravel(), net.bias.grad.numpy()])
    np.testing.assert_allclose(got, expect, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(net.weight.detach().numpy().ravel(), 0.25 - expect[:3], rtol=1e-6)
    assert loss == pytest.approx(float((x.sum(axis=1) * 0.25 - 1.0).mean()), rel=1e-6)
    assert private.steps == 1 and private.spent() == (math.inf, 1 / 100)


class Critic(nn.Module):
    """An MLP with the layers the generators use (Embedding, Linear, ReLU, SiLU, LeakyReLU, Dropout)."""

    def __init__(self, dropout: float = 0.0) -> None:
        super().__init__()
        self.emb = nn.Embedding(5, 3)
        self.body = nn.Sequential(nn.Linear(7, 16), nn.ReLU(), nn.Linear(16, 16), nn.SiLU(), nn.Dropout(dropout),
                                  nn.Linear(16, 8), nn.LeakyReLU(0.2), nn.Linear(8, 1))

    def forward(self, x, c):
        return self.body(torch.cat([x, self.emb(c)], dim=1))


def _regression(forward, x, c, y):
    return (forward(x, c).squeeze(1) - y) ** 2


def _wgan_gp(forward, real, fake, c, alpha):
    mix = alpha * real + (1 - alpha) * fake
    slope = dp.input_gradient(lambda z: forward(z, c), mix)
    return forward(fake, c).squeeze(1) - forward(real, c).squeeze(1) + 10 * (slope.norm(dim=1) - 1) ** 2


def _wgan_gp_autograd(net, real, fake, c, alpha):
    mix = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
    slope = torch.autograd.grad(net(mix, c).sum(), mix, create_graph=True)[0]
    return net(fake, c).squeeze(1) - net(real, c).squeeze(1) + 10 * (slope.norm(dim=1) - 1) ** 2


@pytest.mark.parametrize("penalty", [False, True])
def test_clipping_matches_per_row_loop(penalty):
    torch.manual_seed(0)
    net, n = Critic(), 10
    g = torch.Generator().manual_seed(1)
    x, fake = torch.randn(n, 4, generator=g) * 3, torch.randn(n, 4, generator=g)
    c, y, alpha = torch.randint(0, 5, (n,), generator=g), torch.randn(n, generator=g), torch.rand(n, 1, generator=g)
    rows, loss_fn = ((x, fake, c, alpha), _wgan_gp) if penalty else ((x, c, y), _regression)
    params = list(net.parameters())
    per_row = []
    for i in range(n):
        row = [r[i:i + 1] for r in rows]
        loss = (_wgan_gp_autograd(net, *row) if penalty else _regression(net, *row)).sum()
        per_row.append(torch.autograd.grad(loss, params))
    norms = [float(torch.sqrt(sum((gr ** 2).sum() for gr in grads))) for grads in per_row]
    c_norm = float(np.median(norms))  # half the rows are clipped
    expect = [sum(grads[k] * min(1.0, c_norm / norm) for grads, norm in zip(per_row, norms))
              for k in range(len(params))]
    private = dp.PrivateTraining(dp.DPConfig(noise_multiplier=0.0, max_grad_norm=c_norm), net,
                                 torch.optim.SGD(net.parameters(), lr=0.0), n_rows=40, batch_size=20, epochs=1,
                                 chunk_size=3)
    private.step(loss_fn, *rows)
    for p, e in zip(params, expect):
        torch.testing.assert_close(p.grad, e / 20.0, rtol=1e-4, atol=1e-6)


def test_input_gradient_in_plain_autograd():
    torch.manual_seed(0)
    net = Critic()
    g = torch.Generator().manual_seed(2)
    rows = (torch.randn(6, 4, generator=g), torch.randn(6, 4, generator=g), torch.randint(0, 5, (6,), generator=g),
            torch.rand(6, 1, generator=g))
    a = torch.autograd.grad(_wgan_gp(net, *rows).mean(), list(net.parameters()))
    b = torch.autograd.grad(_wgan_gp_autograd(net, *rows).mean(), list(net.parameters()))
    for u, v in zip(a, b):
        torch.testing.assert_close(u, v, rtol=1e-5, atol=1e-7)


# ------------------------------------------------------------------------------------------------ noise, sampling
def test_noise_has_the_right_standard_deviation():
    """Zero gradients: grad * (q n) is the noise alone, N(0, (sigma C)^2) = N(0, 9) in each of 4 x 20 100 draws."""
    net = nn.Linear(200, 100)
    private = dp.PrivateTraining(dp.DPConfig(noise_multiplier=1.5, max_grad_norm=2.0), net,
                                 torch.optim.SGD(net.parameters(), lr=0.0), n_rows=1000, batch_size=40, epochs=1,
                                 generator=torch.Generator().manual_seed(3))
    draws = []
    for b in (5, 0, 5, 0):  # zero-gradient rows and empty Poisson samples
        private.step(lambda forward, x: 0.0 * forward(x).sum(dim=1), torch.ones(b, 200))
        draws.append(torch.cat([p.grad.ravel() for p in net.parameters()]) * 40.0)
    z = torch.cat(draws).double().numpy()
    k = z.size
    chi2 = float((z ** 2).sum() / 9.0)  # mean 0 known: sum z^2 / sigma^2 ~ chi2(k)
    assert 0.001 < stats.chi2.sf(chi2, k) < 0.999
    assert abs(z.mean()) < 4 * 3.0 / math.sqrt(k)
    assert z.std() == pytest.approx(3.0, rel=0.02)
    assert private.steps == 4


def test_poisson_sampling_rate():
    private = dp.PrivateTraining(dp.DPConfig(noise_multiplier=1.0), nn.Linear(2, 1),
                                 torch.optim.SGD(nn.Linear(2, 1).parameters(), lr=0.1), n_rows=2000, batch_size=100,
                                 epochs=1, generator=torch.Generator().manual_seed(4))
    assert private.sampling_rate == 0.05 and private.steps_per_epoch == 20 and private.planned_steps == 20
    batches = [b for _ in range(15) for b in private.epoch_batches()]
    sizes = np.array([len(b) for b in batches])
    counts = np.bincount(torch.cat(batches).numpy(), minlength=2000)
    trials = len(batches)
    assert trials == 300 and counts.max() <= trials
    assert abs(counts.sum() - 2000 * trials * 0.05) < 4 * math.sqrt(2000 * trials * 0.05 * 0.95)
    assert sizes.var(ddof=1) / (2000 * 0.05 * 0.95) == pytest.approx(1.0, abs=0.3)  # Binomial, not a fixed size
    # each row is kept with probability q, independently of the others: chi-square of the per-row counts
    assert stats.chisquare(counts, np.full(2000, counts.mean())).pvalue > 0.001
    for b in batches[:5]:
        assert torch.equal(b, torch.unique(b))  # no row twice in a sample
    again = dp.PrivateTraining(dp.DPConfig(noise_multiplier=1.0), nn.Linear(2, 1),
                               torch.optim.SGD(nn.Linear(2, 1).parameters(), lr=0.1), n_rows=2000, batch_size=100,
                               epochs=1, generator=torch.Generator().manual_seed(4))
    assert all(torch.equal(a, b) for a, b in zip(batches, again.epoch_batches()))


# ------------------------------------------------------------------------------------------------ training
def _train(seed: int, epsilon: float | None = None):
    """A private logistic regression with dropout on a separable toy table."""
    rng = np.random.default_rng(0)
    x = torch.tensor(rng.normal(size=(1000, 4)), dtype=torch.float32)
    y = (x[:, 0] + x[:, 1] > 0).float()
    with deterministic(seed):
        net = nn.Sequential(nn.Linear(4, 8), nn.Dropout(0.1), nn.SiLU(), nn.Linear(8, 1))
        cfg = dp.DPConfig(epsilon=epsilon) if epsilon else dp.DPConfig(noise_multiplier=1.0)
        private = dp.PrivateTraining(cfg, net, torch.optim.Adam(net.parameters(), lr=0.05), n_rows=1000,
                                     batch_size=100, epochs=4)
        bce = nn.BCEWithLogitsLoss(reduction="none")
        losses = [private.step(lambda f, xb, yb: bce(f(xb).squeeze(1), yb), x[i], y[i])
                  for _ in range(4) for i in private.epoch_batches()]
    net.eval()
    accuracy = float(((net(x).squeeze(1) > 0).float() == y).float().mean())
    return net, private, losses, accuracy


def test_private_training_learns_and_repeats():
    net, private, losses, accuracy = _train(7)
    assert private.steps == 40 and accuracy > 0.9 and np.mean(losses[-5:]) < np.mean(losses[:5])
    net2, _, losses2, _ = _train(7)
    assert losses == losses2
    assert all(torch.equal(a, b) for a, b in zip(net.state_dict().values(), net2.state_dict().values()))
    net3, _, _, _ = _train(8)
    assert not torch.equal(net[0].weight, net3[0].weight)


def test_target_epsilon_is_not_exceeded():
    _, private, _, _ = _train(7, epsilon=2.0)
    eps, delta = private.spent()
    assert private.steps == private.planned_steps == 40 and delta == 1e-4
    assert 1.99 <= eps <= 2.0
    with pytest.raises(UsageError, match="calibrated for 40 steps"):
        private.step(lambda f, xb: f(xb).squeeze(1), torch.zeros(1, 4))


def test_metadata_round_trips_through_the_audit(tmp_path):
    rng = np.random.default_rng(0)
    real = pd.DataFrame({"a": rng.normal(size=200), "b": rng.choice(["x", "y"], 200)})
    net = nn.Linear(2, 1)
    private = dp.PrivateTraining(dp.DPConfig(noise_multiplier=1.2), net, torch.optim.SGD(net.parameters(), lr=0.1),
                                 n_rows=len(real), batch_size=20, epochs=3)
    for _ in range(3):
        for i in private.epoch_batches():
            private.step(lambda f, xb: f(xb).squeeze(1), torch.ones(len(i), 2))
    meta = private.metadata()
    path = tmp_path / "synthetic.csv.meta.json"
    path.write_text(json.dumps(meta))
    res = synthaudit.audit("tabular", synthetic=real, real=real, generator_meta=str(path),
                           metrics=["tabular.dp_epsilon_delta"]).result("tabular.dp_epsilon_delta")
    eps, delta = private.spent()
    assert res.status == "ok" and res.value == pytest.approx(eps) and delta == 1 / 2000
    assert eps == dp.epsilon_spent(1.2, 0.1, 30, 1 / 2000)[0]
    assert res.secondary["steps"] == 30 and res.secondary["sampling_rate"] == 0.1 and res.secondary["delta"] == delta
    fields = {row["field"]: row["value"] for row in res.breakdown}
    assert fields["neighbouring_relation"] == "add/remove one row" and fields["accountant"].startswith("RDP")
    assert "delta_warning" not in res.notes and not any(k.endswith("_missing") for k in res.notes)
    # clipping without noise is no DP: reported as 'none'
    loose = dp.PrivateTraining(dp.DPConfig(noise_multiplier=0.0), net, torch.optim.SGD(net.parameters(), lr=0.1),
                               n_rows=len(real), batch_size=20, epochs=1)
    loose.step(lambda f, xb: f(xb).squeeze(1), torch.ones(3, 2))
    path.write_text(json.dumps(loose.metadata()))
    none = synthaudit.audit("tabular", synthetic=real, real=real, generator_meta=str(path),
                            metrics=["tabular.dp_epsilon_delta"]).result("tabular.dp_epsilon_delta")
    assert none.value is None and none.notes["dp"] == "none"


# ------------------------------------------------------------------------------------------------ errors
def test_bad_settings_give_one_clear_error():
    with pytest.raises(UsageError, match="target epsilon or a noise multiplier"):
        dp.DPConfig()
    with pytest.raises(UsageError, match="target epsilon or a noise multiplier"):
        dp.DPConfig(epsilon=1.0, noise_multiplier=1.0)
    with pytest.raises(UsageError, match="dp.delta"):
        dp.DPConfig(epsilon=1.0, delta=1.0)
    with pytest.raises(UsageError, match="dp.max_grad_norm"):
        dp.DPConfig(epsilon=1.0, max_grad_norm=0)
    with pytest.raises(UsageError, match="dp.epsilon"):
        dp.DPConfig(epsilon=-1.0)
    with pytest.raises(UsageError, match="unknown DP setting"):
        dp.DPConfig.from_dict({"epsilon": 1.0, "sigma": 2})
    assert dp.DPConfig.from_dict(dp.DPConfig(epsilon=3.0).to_dict()) == dp.DPConfig(epsilon=3.0)
    bn = nn.Sequential(nn.Linear(2, 4), nn.BatchNorm1d(4), nn.Linear(4, 1))
    with pytest.raises(UsageError, match="BatchNorm1d"):
        dp.PrivateTraining(dp.DPConfig(noise_multiplier=1.0), bn, torch.optim.SGD(bn.parameters(), lr=0.1), 10, 2, 1)
    net = nn.Linear(2, 1)
    with pytest.raises(UsageError, match="batch_size"):
        dp.PrivateTraining(dp.DPConfig(noise_multiplier=1.0), net, torch.optim.SGD(net.parameters(), lr=0.1), 10, 0, 1)
    private = dp.PrivateTraining(dp.DPConfig(noise_multiplier=1.0), net, torch.optim.SGD(net.parameters(), lr=0.1),
                                 10, 2, 1)
    with pytest.raises(UsageError, match="first dimension"):
        private.step(lambda f, a, b: f(a).squeeze(1) + b, torch.ones(3, 2), torch.ones(2))
    with pytest.raises(UsageError, match="no noise multiplier reaches"):
        dp.noise_for_epsilon(1e-9, 1e-5, 1.0, 10 ** 6)
