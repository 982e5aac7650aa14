"""DP-SGD wired into the deep tabular generators (issue #20; survey section 4.3): TabDDPM's denoiser and CTGAN's critic
trained by synthaudit.generate.deep.dp, the budget they report, and ``generate tabular --dp-*`` writing the
``<out>.meta.json`` that ``audit tabular --generator-meta`` reads.

References: the steps are counted by wrapping ``PrivateTraining.step`` (not read from the model), the sampling rate
and delta are worked by hand (batch / n, 1 / (10 n)), and the epsilon is recomputed for those steps with the
accountant and with Google's dp-accounting (never smaller than ours, see tests/test_generate_dp.py). A private step
on each model's own per-row loss is checked against a per-row ``torch.autograd`` loop with explicit clipping.
"""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("opacus")
dp_accounting = pytest.importorskip("dp_accounting")

from test_cli import assert_ok, assert_user_error, read_report, run_cli  # noqa: E402

from synthaudit.errors import UsageError  # noqa: E402
from synthaudit.generate.deep import dp  # noqa: E402
from synthaudit.generate.deep.diffusion import TabDDPM  # noqa: E402
from synthaudit.generate.deep.gan import CTGAN  # noqa: E402

N_ROWS, BATCH, EPOCHS, TARGET = 400, 50, 3, 2.0
STEPS = EPOCHS * round(N_ROWS / BATCH)  # 24 Poisson samples at q = 0.125
SMALL = {
    "diffusion": (TabDDPM, dict(epochs=EPOCHS, batch_size=BATCH, steps=10, layers=(32,), dim_t=16, progress=False)),
    "gan": (CTGAN, dict(epochs=EPOCHS, batch_size=BATCH, embedding_dim=16, generator_dim=(32,),
                        discriminator_dim=(32,), progress=False)),
}


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def real(adult_train):
    return adult_train.sample(N_ROWS, random_state=1).reset_index(drop=True)


def _fit(method: str, real: pd.DataFrame, seed: int = 0, **kw):
    cls, small = SMALL[method]
    return cls(**{**small, "seed": seed, "target": "income", **kw}).fit(real)


@pytest.fixture(scope="module", params=["diffusion", "gan"])
def private(request, real):
    """A model trained under DP to a target epsilon, and the number of private steps it took (counted here)."""
    calls = []
    step = dp.PrivateTraining.step

    def counted(self, *args, **kwargs):
        calls.append(self.sampling_rate)
        return step(self, *args, **kwargs)

    mp = pytest.MonkeyPatch()
    mp.setattr(dp.PrivateTraining, "step", counted)
    try:
        model = _fit(request.param, real, dp=dp.DPConfig(epsilon=TARGET))
    finally:
        mp.undo()
    return request.param, model, calls


def test_budget_is_the_accountants_for_the_steps_taken(private):
    method, model, calls = private
    meta = model.dp_metadata()
    q, delta = BATCH / N_ROWS, 1 / (10 * N_ROWS)
    assert len(calls) == STEPS and set(calls) == {q}  # every training step was a private one, at q = batch / n
    assert meta["steps"] == meta["planned_steps"] == STEPS
    assert meta["sampling_rate"] == q and meta["delta"] == delta and meta["target_epsilon"] == TARGET
    sigma = meta["noise_multiplier"]
    assert meta["epsilon"] == dp.epsilon_spent(sigma, q, len(calls), delta)[0]
    assert TARGET * 0.99 <= meta["epsilon"] <= TARGET  # spends the target, never more
    acc = dp_accounting.rdp.RdpAccountant(list(dp.ORDERS))
    acc.compose(dp_accounting.PoissonSampledDpEvent(q, dp_accounting.GaussianDpEvent(sigma)), len(calls))
    reference = acc.get_epsilon(delta)
    assert meta["epsilon"] <= reference * (1 + 1e-9) and meta["epsilon"] > 0.9 * reference
    assert meta["neighbouring_relation"] == "add/remove one row" and "category and class counts" in meta["covers"]
    assert len(model.log.rows) == EPOCHS and all(np.isfinite(list(r.values())).all() for r in model.log.rows)
    if method == "gan":
        assert model.pac == 1  # set under DP


def test_dp_training_repeats_with_the_seed_and_survives_save_load(private, real, tmp_path):
    method, model, _ = private
    rows = model.sample(300, seed=4)
    assert list(rows.columns) == list(real.columns) and len(rows) == 300
    assert set(rows["income"]) <= set(real["income"])
    again = _fit(method, real, dp=dp.DPConfig(epsilon=TARGET))
    pd.testing.assert_frame_equal(again.sample(300, seed=4), rows)
    assert again.dp_metadata() == model.dp_metadata()
    other = _fit(method, real, seed=1, dp=dp.DPConfig(epsilon=TARGET))
    assert not other.sample(300, seed=4).equals(rows)
    model.save(tmp_path / "model")
    config = json.loads((tmp_path / "model" / "config.json").read_text())
    assert config["dp_metadata"] == model.dp_metadata()
    assert config["params"]["dp"] == {"epsilon": TARGET, "delta": None, "noise_multiplier": None, "max_grad_norm": 1.0}
    loaded = type(model).load(tmp_path / "model")
    assert loaded.dp_metadata() == model.dp_metadata() and loaded.dp == model.dp
    pd.testing.assert_frame_equal(loaded.sample(300, seed=4), rows)


@pytest.mark.parametrize("method", ["diffusion", "gan"])
def test_without_dp_there_is_no_budget(real, method, tmp_path):
    model = _fit(method, real.iloc[:100], epochs=1)
    assert model.dp is None and model.dp_metadata() is None
    model.save(tmp_path)
    assert type(model).load(tmp_path).dp_metadata() is None


@pytest.mark.parametrize("method", ["diffusion", "gan"])
def test_empty_and_one_row_samples_step(real, method):
    """At q = 2 / 100 most Poisson samples hold 0 or 1 rows: each still takes a (noise-only) private step, and
    CTGAN's fake rows for one sampled row come from the generator in eval mode (BatchNorm in train mode refuses a
    single row, and would mix the sampled rows' conditions into every fake row)."""
    sizes = []
    sample = dp.PrivateTraining.sample_batch

    def recorded(self):
        rows = sample(self)
        sizes.append(len(rows))
        return rows

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(dp.PrivateTraining, "sample_batch", recorded)
        model = _fit(method, real.iloc[:100], epochs=1, batch_size=2, dp=dp.DPConfig(noise_multiplier=1.0))
    assert len(sizes) == 50 and {0, 1} <= set(sizes)
    assert model.dp_metadata()["steps"] == 50 and model.dp_metadata()["sampling_rate"] == 0.02
    assert model.dp_metadata()["epsilon"] == dp.epsilon_spent(1.0, 0.02, 50, 1 / 1000)[0]
    assert len(model.sample(20)) == 20


# -- the private step on each model's own loss, against a per-row autograd loop ------------------------------
def _check_private_step(net, loss_fn, rows: tuple, per_row_loss) -> None:
    """Half the rows clipped (C = the median per-row norm), no noise: grad = sum of clipped grads / (q n)."""
    params = [p for p in net.parameters() if p.requires_grad]
    b = len(rows[0]["t"]) if isinstance(rows[0], dict) else len(rows[0])
    per_row = [torch.autograd.grad(per_row_loss(i), params) for i in range(b)]
    norms = [float(torch.sqrt(sum((g ** 2).sum() for g in grads))) for grads in per_row]
    clip = float(np.median(norms))
    expect = [sum(grads[k] * min(1.0, clip / norm) for grads, norm in zip(per_row, norms))
              for k in range(len(params))]
    private = dp.PrivateTraining(dp.DPConfig(noise_multiplier=0.0, max_grad_norm=clip), net,
                                 torch.optim.SGD(params, lr=0.0), n_rows=4 * b, batch_size=2 * b, epochs=1,
                                 chunk_size=5)
    private.step(loss_fn, *rows)
    for p, e in zip(params, expect):
        torch.testing.assert_close(p.grad, e / (2 * b), rtol=1e-4, atol=1e-7)


def test_private_step_on_tabddpm_rows(real):
    model = _fit("diffusion", real.iloc[:100], epochs=1)
    features = real.iloc[:12].drop(columns="income")
    num, codes = model._layout.encode(features)
    x, c = torch.tensor(model._qt.transform(num), dtype=torch.float32), torch.tensor(codes)
    y = torch.tensor([model._classes.index(v) for v in real["income"].iloc[:12]])
    torch.manual_seed(0)
    net, _ = model._build()
    batch = model._corrupt(x, c, torch.Generator().manual_seed(1))

    def one(i: int) -> torch.Tensor:
        return model._row_losses(net, {k: v[i:i + 1] for k, v in batch.items()}, y[i:i + 1])[0].sum()

    _check_private_step(net, lambda f, bt, yy: model._row_losses(f, bt, yy)[0], (batch, y), one)


def test_private_step_on_ctgan_critic_rows(real):
    model = _fit("gan", real.iloc[:100], epochs=1, dp=dp.DPConfig(noise_multiplier=1.0))
    torch.manual_seed(0)
    critic, _ = model._make_critic()
    critic.eval()  # no dropout: the loop and the vmap draw different masks
    g = torch.Generator().manual_seed(2)
    width = model.data_dim + model.conditions.dim
    real_rows, fake = torch.rand(12, width, generator=g), torch.rand(12, width, generator=g)
    alpha = torch.rand(12, generator=g)

    def one(i: int) -> torch.Tensor:  # WGAN-GP with the input gradient by plain autograd
        a = alpha[i]
        mix = (a * real_rows[i:i + 1] + (1 - a) * fake[i:i + 1]).requires_grad_(True)
        slope, = torch.autograd.grad(critic(mix).sum(), mix, create_graph=True)
        return (critic(fake[i:i + 1]) - critic(real_rows[i:i + 1]) + 10 * (slope.norm() - 1) ** 2).sum()

    _check_private_step(critic, model._critic_losses, (real_rows, fake, alpha), one)


def test_gan_pac_under_dp():
    assert CTGAN().pac == 1 and CTGAN(dp=dp.DPConfig(noise_multiplier=1.0)).pac == 1
    assert CTGAN(pac=1, batch_size=50, dp={"epsilon": 1.0}).dp == dp.DPConfig(epsilon=1.0)
    with pytest.raises(UsageError, match="DP training needs pac = 1, got pac = 10"):
        CTGAN(pac=10, dp=dp.DPConfig(epsilon=1.0))
    with pytest.raises(UsageError, match="unknown DP setting"):
        TabDDPM(dp={"sigma": 1.0})


# -- the CLI -------------------------------------------------------------------------------------------------
@pytest.fixture()
def wine(wine_labelled_csv):
    return wine_labelled_csv


def test_cli_writes_the_budget_and_the_audit_reads_it(tmp_path, wine):
    args = ["generate", "tabular", "--real", "real.csv", "--method", "diffusion", "--n", "60", "--seed", "2",
            "--epochs", "2", "--batch-size", "45", "--diffusion-steps", "10", "--param", "layers=[32]",
            "--param", "dim_t=16"]
    proc = run_cli(*args, "--dp-epsilon", "3", "--dp-delta", "1e-4", "--max-grad-norm", "0.5", "--out", "syn.csv",
                   "--save-model", "model", cwd=tmp_path)
    assert_ok(proc)
    assert "wrote syn.csv.meta.json" in proc.stdout
    meta = json.loads((tmp_path / "syn.csv.meta.json").read_text())
    q = 45 / len(wine)
    assert meta["method"] == "diffusion" and meta["epochs"] == 2 and meta["seed"] == 2
    assert meta["delta"] == 1e-4 and meta["max_grad_norm"] == 0.5 and meta["sampling_rate"] == q
    assert meta["steps"] == 2 * round(len(wine) / 45)
    assert meta["epsilon"] == dp.epsilon_spent(meta["noise_multiplier"], q, meta["steps"], 1e-4)[0] <= 3.0
    audit = run_cli("audit", "tabular", "--synthetic", "syn.csv", "--real", "real.csv", "--generator-meta",
                    "syn.csv.meta.json", "--metrics", "tabular.dp_epsilon_delta", "--out", "out", "--quiet",
                    cwd=tmp_path)
    assert_ok(audit)
    result = next(m for m in read_report(tmp_path / "out")["metrics"] if m["id"] == "tabular.dp_epsilon_delta")
    assert result["status"] == "ok" and result["value"] == pytest.approx(meta["epsilon"], rel=1e-12)
    # sampling a saved model: its budget comes along
    loaded = run_cli("generate", "tabular", "--real", "real.csv", "--method", "diffusion", "--n", "60",
                     "--load-model", "model", "--out", "again.csv", cwd=tmp_path)
    assert_ok(loaded)
    assert json.loads((tmp_path / "again.csv.meta.json").read_text()) == meta


def test_cli_without_dp_writes_epsilon_none(tmp_path, wine):
    proc = run_cli("generate", "tabular", "--real", "real.csv", "--method", "gan", "--n", "30", "--seed", "5",
                   "--epochs", "1", "--batch-size", "60", "--out", "syn.csv", cwd=tmp_path)
    assert_ok(proc)
    meta = json.loads((tmp_path / "syn.csv.meta.json").read_text())
    assert meta["epsilon"] == "none" and meta["method"] == "gan" and meta["epochs"] == 1 and meta["seed"] == 5


@pytest.mark.parametrize("extra,needle", [
    (["--method", "gaussian_copula", "--dp-epsilon", "1"], "--dp-epsilon applies to --method diffusion or gan"),
    (["--method", "gan", "--dp-epsilon", "1", "--dp-noise", "1"], "a target epsilon or a noise multiplier, not both"),
    (["--method", "gan", "--max-grad-norm", "2"], "--max-grad-norm is a DP-SGD setting: it needs --dp-epsilon"),
    (["--method", "gan", "--dp-noise", "1", "--param", "pac=10"], "DP training needs pac = 1"),
    (["--method", "diffusion", "--dp-epsilon", "0"], "field '--dp-epsilon': must be a finite positive number"),
    # a flag and --param for the same setting: refused, not silently resolved
    (["--method", "gan", "--dp-epsilon", "1", "--param", "dp={noise_multiplier: 2}"],
     "--dp-epsilon and --param dp=... both set dp; give it once"),
    (["--method", "diffusion", "--epochs", "2", "--param", "epochs=3"], "--epochs and --param epochs=... both set"),
])
def test_cli_dp_flags_fail_clearly(tmp_path, wine, extra, needle):
    proc = run_cli("generate", "tabular", "--real", "real.csv", "--out", "syn.csv", *extra, cwd=tmp_path)
    assert_user_error(proc, needle)
    assert not (tmp_path / "syn.csv").exists() and not (tmp_path / "syn.csv.meta.json").exists()
