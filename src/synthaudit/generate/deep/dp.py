"""DP-SGD for the deep tabular generators (issue #20; tutorial sections 3.2 and 3.5; the budget is reported by
``tabular.dp_epsilon_delta``, survey section 4.3).

Mechanism (Abadi et al. 2016): every step draws a Poisson sample of the real rows (each row independently with
probability ``q = batch_size / n``), computes each row's gradient with ``torch.func`` (``functional_call`` +
``vmap(grad)``), clips each row's whole gradient (all parameters together) to L2 norm ``max_grad_norm = C``, sums,
adds ``N(0, (noise_multiplier * C)^2)`` noise to every coordinate, divides by the expected batch size ``q n`` and lets
the wrapped optimizer step. An empty sample still steps on pure noise, as the accountant assumes.

Accountant: Renyi DP of the Poisson-subsampled Gaussian mechanism (Mironov, Talwar and Zhang 2019) composed over the
steps and converted to ``(epsilon, delta)`` with Balle et al. (2020), from Opacus' ``accountants.analysis.rdp``, at
the orders :data:`ORDERS`; the neighbouring relation is add/remove one row. Given a target epsilon, the noise
multiplier is Opacus' ``get_noise_multiplier`` for the planned steps (the spent epsilon is at most the target).
Checked against Google's dp-accounting (integer orders) and mpmath integration (fractional ones) in the tests.

Why not Opacus' ``GradSampleModule``: it gives the right per-sample gradients for Linear, ReLU, SiLU, LeakyReLU,
Dropout and Embedding layers on this CPU torch, but fails on WGAN-GP's gradient penalty (a double backward through
the private discriminator: its hooks raise ``IndexError: pop from empty list``), and it leaves hooks on the module
(``functional_call`` then fails) and prefixes its ``state_dict``. With ``torch.func`` the penalty is exact: compute
the input gradient with :func:`input_gradient` (``torch.func.grad``) inside the loss, so the GAN keeps WGAN-GP under
DP instead of dropping it or clipping weights as DP-CTGAN implementations do. ``torch.autograd.grad`` does not
work inside :meth:`PrivateTraining.step`.

Wiring a model (the network that sees real rows, its optimizer, and a per-row loss):

* ``loss_fn(forward, *rows) -> (b,)`` returns one loss per row; ``forward`` is called like the module. The same
  function serves the non-private path (``loss_fn(module, *rows).mean().backward()``). :meth:`~PrivateTraining.step`
  calls it on one row at a time, so a row's loss may depend on that row only: draw per-row randomness (diffusion
  timesteps and noise, fake rows, interpolation weights) outside and pass it in ``rows``; tensors (or dicts/tuples of
  tensors, ``None`` allowed) whose first dimension is the batch; anything else goes in a closure.
* TabDDPM: ``private.step(lambda f, b, y: model._row_losses(f, b, y)[0], model._corrupt(x[i], codes[i], g), y[i])``
  for ``i`` in :meth:`~PrivateTraining.epoch_batches`.
* CTGAN: the discriminator is private, the generator is not (it sees real rows only through the private
  discriminator: post-processing). Use ``pac = 1`` (PacGAN packs rows formed after sampling: removing one row
  regroups the others, so a pack is not a one-row unit), one fake row per sampled real row, the conditional vector
  taken from the sampled real rows (training-by-sampling picks real rows by category, which is not the Poisson
  sampling the accountant assumes) and the generator's conditions drawn without the real category frequencies.
  Per row: ``D(fake) - D(real) + lambda (|input_gradient(D, mix)| - 1)^2``. ``step`` overwrites the
  discriminator's ``.grad``, so gradients left by the generator's update do not leak into it.
* Networks that mix rows of a batch (BatchNorm) are refused: a row's gradient would depend on other rows.

Not covered by epsilon: everything fitted on the real table outside these steps (the column layout with its
category sets and numeric ranges, quantile transforms, Gaussian-mixture modes, class counts for quotas) and the
training-loss log, which is computed on real rows. :meth:`PrivateTraining.metadata` says so. Noise comes from
torch's PRNG (not a cryptographically secure one, like Opacus without ``secure_mode``).
"""
from __future__ import annotations

import math
import warnings
from dataclasses import asdict, dataclass, fields
from typing import TYPE_CHECKING, Any, Callable, Iterator

from synthaudit.errors import UsageError

if TYPE_CHECKING:
    import torch

# RDP orders (those of Google's dp-accounting RdpAccountant by default)
ORDERS: tuple[float, ...] = tuple([1 + x / 10.0 for x in range(1, 100)] + list(range(11, 64)) + [128, 256, 512, 1024])
NEIGHBOURING = "add/remove one row"
COVERS = ("the weights of the network that sees real rows (DP-SGD steps); not the column layout (categories, "
          "ranges), quantile/mixture transforms or category and class counts fitted on the real table, nor the "
          "loss log")
_CHUNK_FLOATS = 2 ** 25  # per-row gradients held at once (floats): rows per chunk = this / parameter count


def _rdp():
    try:
        from opacus.accountants.analysis import rdp
    except ImportError:
        raise UsageError("DP training needs Opacus' accountant", hint="pip install 'synthaudit[deep]'") from None
    return rdp


def epsilon_spent(noise_multiplier: float, sampling_rate: float, steps: int, delta: float,
                  orders: tuple[float, ...] = ORDERS) -> tuple[float, float | None]:
    """(epsilon, best order) of ``steps`` Poisson-subsampled Gaussian steps at ``delta`` (RDP, Opacus)."""
    if steps == 0 or sampling_rate == 0:
        return 0.0, None
    if noise_multiplier == 0:
        return math.inf, None
    rdp = _rdp()
    with warnings.catch_warnings():  # "optimal order is the largest alpha": still a valid (looser) bound
        warnings.simplefilter("ignore")
        curve = rdp.compute_rdp(q=sampling_rate, noise_multiplier=noise_multiplier, steps=steps, orders=list(orders))
        eps, order = rdp.get_privacy_spent(orders=list(orders), rdp=curve, delta=delta)
    return float(eps), float(order)


def noise_for_epsilon(epsilon: float, delta: float, sampling_rate: float, steps: int) -> float:
    """The noise multiplier whose ``steps`` steps spend at most ``epsilon`` (within 0.1 % below it)."""
    _rdp()
    from opacus.accountants.utils import get_noise_multiplier

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return float(get_noise_multiplier(target_epsilon=epsilon, target_delta=delta, sample_rate=sampling_rate,
                                              steps=steps, accountant="rdp", epsilon_tolerance=epsilon * 1e-3,
                                              alphas=list(ORDERS)))
        except ValueError as err:  # "The privacy budget is too low."
            raise UsageError(f"no noise multiplier reaches epsilon = {epsilon:g} in {steps} steps ({err})",
                             field="dp.epsilon") from None


@dataclass(frozen=True)
class DPConfig:
    """A target ``epsilon`` (the noise multiplier follows from the planned steps) or a ``noise_multiplier``;
    ``delta`` defaults to ``1 / (10 n)``; ``max_grad_norm`` is the per-row clipping norm C."""

    epsilon: float | None = None
    delta: float | None = None
    noise_multiplier: float | None = None
    max_grad_norm: float = 1.0

    def __post_init__(self) -> None:
        if (self.epsilon is None) == (self.noise_multiplier is None):
            raise UsageError("DP training takes a target epsilon or a noise multiplier (one of the two)",
                             field="dp.epsilon")
        for name, lo, closed in (("epsilon", 0.0, False), ("noise_multiplier", 0.0, True),
                                 ("max_grad_norm", 0.0, False), ("delta", 0.0, False)):
            value = getattr(self, name)
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
                    or value < lo or (value == lo and not closed) or (name == "delta" and value >= 1):
                bound = "in (0, 1)" if name == "delta" else ("non-negative" if closed else "positive")
                raise UsageError(f"must be a finite {bound} number, got {value!r}", field=f"dp.{name}")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> "DPConfig":
        unknown = set(doc) - {f.name for f in fields(cls)}
        if unknown:
            raise UsageError(f"unknown DP setting(s) {sorted(unknown)}", field="dp")
        return cls(**doc)

    @classmethod
    def coerce(cls, value: "DPConfig | dict[str, Any] | None") -> "DPConfig | None":
        """A generator's ``dp`` option: a config, its dict (``config.json``, ``--param dp={...}``) or None."""
        if value is None or isinstance(value, cls):
            return value
        if isinstance(value, dict):
            return cls.from_dict(value)
        raise UsageError(f"expected DP settings (epsilon or noise_multiplier, delta, max_grad_norm), got {value!r}",
                         field="dp")


def check_module(module: "torch.nn.Module") -> None:
    """Refuse layers that mix the rows of a batch (BatchNorm): per-row gradients would not be per row."""
    from torch import nn

    for name, sub in module.named_modules():
        if isinstance(sub, nn.modules.batchnorm._BatchNorm) or (
                isinstance(sub, nn.modules.instancenorm._InstanceNorm) and sub.track_running_stats):
            raise UsageError(f"layer '{name or type(sub).__name__}' ({type(sub).__name__}) mixes rows of a batch "
                             "and keeps running statistics of the real rows; DP-SGD needs per-row networks",
                             field="dp", hint="use LayerNorm or no normalisation in the network that sees real rows")


def input_gradient(forward: Callable[..., "torch.Tensor"], x: "torch.Tensor") -> "torch.Tensor":
    """``d sum(forward(x)) / dx`` (``torch.func.grad``): differentiable with respect to the weights both inside
    :meth:`PrivateTraining.step` and in plain autograd, as WGAN-GP's gradient penalty needs."""
    from torch.func import grad

    return grad(lambda z: forward(z).sum())(x)


class PrivateTraining:
    """DP-SGD for ``module`` trained by ``optimizer`` on ``n_rows`` real rows: Poisson batches, private steps, and
    the spent budget. ``generator`` drives sampling and noise (default: seeded from torch's global generator, so
    a run under :func:`~synthaudit.generate.deep.common.deterministic` repeats exactly)."""

    def __init__(self, config: DPConfig, module: "torch.nn.Module", optimizer: "torch.optim.Optimizer",
                 n_rows: int, batch_size: int, epochs: int, generator: "torch.Generator | None" = None,
                 chunk_size: int | None = None) -> None:
        import torch

        for name, value in (("n_rows", n_rows), ("batch_size", batch_size), ("epochs", epochs)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise UsageError(f"must be a positive integer, got {value!r}", field=name)
        check_module(module)
        self.config, self.module, self.optimizer = config, module, optimizer
        self.n_rows = n_rows
        self.sampling_rate = min(1.0, batch_size / n_rows)
        self.steps_per_epoch = max(1, round(1.0 / self.sampling_rate))
        self.planned_steps = epochs * self.steps_per_epoch
        self.delta = config.delta if config.delta is not None else 1.0 / (10 * n_rows)
        self.max_grad_norm = float(config.max_grad_norm)
        self.noise_multiplier = (float(config.noise_multiplier) if config.noise_multiplier is not None else
                                 noise_for_epsilon(config.epsilon, self.delta, self.sampling_rate, self.planned_steps))
        self.steps = 0
        self._params = [(name, p) for name, p in module.named_parameters() if p.requires_grad]
        if not self._params:
            raise UsageError("the network has no trainable parameters", field="dp")
        size = sum(p.numel() for _, p in self._params)
        self.chunk_size = chunk_size or max(1, _CHUNK_FLOATS // size)
        if generator is None:
            generator = torch.Generator().manual_seed(int(torch.randint(0, 2 ** 62, (1,)).item()))
        self.generator = generator

    # -- batches --------------------------------------------------------------------------------------------
    def sample_batch(self) -> "torch.Tensor":
        """Row indices of one Poisson sample: each row independently with probability ``sampling_rate``."""
        import torch

        keep = torch.rand(self.n_rows, generator=self.generator) < self.sampling_rate
        return keep.nonzero().squeeze(1)

    def epoch_batches(self) -> Iterator["torch.Tensor"]:
        """``steps_per_epoch`` Poisson samples (an epoch sees ``n_rows`` rows in expectation)."""
        for _ in range(self.steps_per_epoch):
            yield self.sample_batch()

    # -- the private step -----------------------------------------------------------------------------------
    def step(self, loss_fn: Callable[..., "torch.Tensor"], *rows: Any) -> float:
        """One DP-SGD update from ``loss_fn(forward, *rows)`` (one loss per row); returns the batch's mean loss
        (for the log: it is computed on real rows and is not covered by the budget; NaN for an empty batch)."""
        import torch
        from torch.func import functional_call, grad_and_value, vmap
        from torch.utils._pytree import tree_flatten, tree_map

        if self.config.epsilon is not None and self.steps >= self.planned_steps:
            raise UsageError(f"the noise was calibrated for {self.planned_steps} steps to spend epsilon = "
                             f"{self.config.epsilon:g}: one more would spend more", field="dp.epsilon")
        is_tensor = lambda x: isinstance(x, torch.Tensor)  # noqa: E731
        sizes = {x.shape[0] for x in tree_flatten(rows)[0] if is_tensor(x)}
        if len(sizes) != 1:
            raise UsageError("step() needs the batch's rows as tensors with one first dimension (the batch), got "
                             f"first dimensions {sorted(sizes)}", field="rows")
        b = sizes.pop()
        module, params = self.module, {name: p.detach() for name, p in self._params}
        fixed = {**{n: p.detach() for n, p in module.named_parameters() if not p.requires_grad},
                 **dict(module.named_buffers())}

        def one_row(ps: dict[str, torch.Tensor], *row: Any) -> torch.Tensor:
            def forward(*args: Any, **kwargs: Any) -> torch.Tensor:
                return functional_call(module, {**fixed, **ps}, args, kwargs)

            return loss_fn(forward, *tree_map(lambda x: x.unsqueeze(0) if is_tensor(x) else x, row)).sum()

        in_dims = (None, *(tree_map(lambda x: 0 if is_tensor(x) else None, r) for r in rows))
        per_row = vmap(grad_and_value(one_row), in_dims=in_dims, randomness="different")
        total = {name: torch.zeros_like(p) for name, p in params.items()}
        loss_sum, c = 0.0, self.max_grad_norm
        for start in range(0, b, self.chunk_size):
            part = slice(start, start + self.chunk_size)
            chunk = tree_map(lambda x, part=part: x[part] if is_tensor(x) else x, rows)
            grads, losses = per_row(params, *chunk)
            norms = torch.sqrt(sum((g.reshape(g.shape[0], -1) ** 2).sum(dim=1) for g in grads.values()))
            factor = c / norms.clamp(min=c)  # min(1, C / |g_i|)
            for name, g in grads.items():
                total[name] += torch.tensordot(factor, g, dims=1)
            loss_sum += float(losses.detach().sum())
        sigma, expected = self.noise_multiplier * c, self.sampling_rate * self.n_rows
        for name, p in self._params:
            noisy = total[name]
            if sigma > 0:
                noisy = noisy + torch.normal(0.0, sigma, size=tuple(p.shape), generator=self.generator)
            p.grad = (noisy / expected).to(p.dtype)
        self.optimizer.step()
        self.steps += 1
        return loss_sum / b if b else math.nan

    # -- budget ---------------------------------------------------------------------------------------------
    def spent(self) -> tuple[float, float]:
        """(epsilon, delta) spent by the steps taken so far."""
        return epsilon_spent(self.noise_multiplier, self.sampling_rate, self.steps, self.delta)[0], self.delta

    def metadata(self) -> dict[str, Any]:
        """The budget in the format ``tabular.dp_epsilon_delta`` reads (``--generator-meta``); JSON-ready."""
        import opacus

        eps, order = epsilon_spent(self.noise_multiplier, self.sampling_rate, self.steps, self.delta)
        return {"epsilon": eps if math.isfinite(eps) else "inf", "delta": self.delta,
                "accountant": (f"RDP, Poisson-subsampled Gaussian (Opacus {opacus.__version__}, orders "
                               f"{ORDERS[0]:g}-{ORDERS[-1]:g}, Balle et al. 2020 conversion)"),
                "neighbouring_relation": NEIGHBOURING, "steps": self.steps, "sampling_rate": self.sampling_rate,
                "noise_multiplier": self.noise_multiplier, "max_grad_norm": self.max_grad_norm,
                "target_epsilon": self.config.epsilon, "planned_steps": self.planned_steps, "rdp_order": order,
                "mechanism": "DP-SGD: per-row clipping, Gaussian noise, Poisson sampling", "covers": COVERS}
