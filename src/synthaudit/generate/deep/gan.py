"""A CTGAN-style tabular GAN (issue #20; tutorial section 3.2; Xu et al. 2019, "Modeling Tabular Data using
Conditional GAN", built as the ``ctgan`` package builds it).

* Mode-specific normalisation (paper section 4.2): each numeric column gets a variational Gaussian mixture
  (scikit-learn's ``BayesianGaussianMixture``, Dirichlet-process prior 0.001, up to 10 modes, modes of weight
  < 0.005 dropped); a value becomes (its mode one-hot, ``(x - mu) / (4 sigma)`` within that mode). The mode is
  drawn from the posterior among the modes where that scalar lies in [-1, 1] (``ctgan`` draws among all modes
  and clips to +-0.99, which loses a value drawn into a far mode), so encoding then decoding is the identity.
  The mixture is fitted on standardised values, so any scale (datetimes in ns) works, then refined by
  maximum-likelihood EM steps on the kept modes (:func:`_refine`: the VGM's prior widens spikes such as
  capital_gain's zeros, a KS error of 0.62 on that column after a short training, 0.05 with the refinement); its
  parameters are saved as JSON.
* Conditional vector and training-by-sampling (section 4.3): every step picks a discrete column uniformly and
  a category (by its real frequency by default; by log-frequency, the paper's choice, with ``log_frequency``),
  feeds it to the generator as a one-hot condition, gives the critic real rows of that category, and adds the
  cross-entropy of the generator's logits for the conditioned column to its loss. Unconditional sampling draws
  the column uniformly and the category by its real frequency, which reproduces the real marginals (``ctgan``
  samples with the log-frequencies; its issue #16).
* Generator: residual blocks (Linear + BatchNorm + ReLU, concatenated with the block's input), tanh for the
  scalars, Gumbel-softmax (tau 0.2) for modes and categories; sampled in eval mode (``ctgan`` PR #236).
* Critic: PacGAN (``pac`` rows per critic input), Linear + LeakyReLU(0.2) + Dropout(0.5); WGAN-GP loss
  (gradient penalty lambda 10); Adam(2e-4, betas (0.5, 0.9), weight decay 1e-6) for both networks.
* Sampling uses an exponential moving average of the generator's weights (``ema``, :class:`~synthaudit.generate.
  deep.common.WeightAverage`), which damps the GAN's oscillation of the marginals from step to step.

Three defaults differ from ``ctgan``'s, measured on 3,000 UCI Adult rows after 1,800 steps of 500 rows (seed 0;
``tests/test_generate_gan.py``; contingency = ``tabular.contingency_score``, independent-column sampling 0.093):
``pac`` 1, not 10 (the critic's weights are per pack position, so with 10 it must learn each dependence ten times:
education and education_num agreed in 19 % of the rows with pac 10, 72 % with pac 1); conditions by real
frequency, not log-frequency (a critic that only weakly reads the condition lets the generator match the
log-frequency mixture it trains on: per-column TVD 0.09 against 0.02); and the weight average (decay 0.995:
KS 0.05 against 0.02). All three together: contingency 0.073 (seeds 1 and 2: 0.088, 0.075), against 0.14–0.18 for
``ctgan``'s settings and for each change alone. ``pac=10, log_frequency=True, ema=0`` is the paper's model.

The critic is the only network that sees real rows: :meth:`CTGAN._make_critic` creates it with its optimizer,
and :meth:`CTGAN._critic_losses` returns one loss per pac group (the critic's unit of input), whose mean is the
step's loss; the gradient penalty's input gradient is :func:`~synthaudit.generate.deep.dp.input_gradient`
(``torch.func``), which also works inside a private step.

DP-SGD (``dp=DPConfig(...)``, :mod:`synthaudit.generate.deep.dp`): the critic's steps are private, on Poisson
samples of the real rows, with ``pac = 1`` (a pack formed after sampling is not a one-row unit); each sampled real
row gets its conditional vector from its own category in a uniformly drawn discrete column and one fake row
generated for that condition (generator in eval mode: in train mode BatchNorm would mix the sampled rows'
conditions into every fake row, so one row's removal would move the others' gradients past the clipping bound).
The generator's steps are not private and need not be: the generator never sees real rows, only the private
critic's scores (post-processing), and under DP its conditions are drawn uniformly (column, then category), not
by the real frequencies. Not covered by the budget (dp.COVERS): the layout, the Gaussian mixtures and the category
counts, which unconditional sampling still uses to draw conditions at the real frequencies.
"""
from __future__ import annotations

import dataclasses
import time
import warnings
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from synthaudit.data.tabular import ColumnSpec, ColumnType, TableSpec, infer_spec
from synthaudit.errors import InputError, UsageError
from synthaudit.generate.deep.common import (TableLayout, TrainLog, WeightAverage, class_rows, deterministic,
                                             load_model, save_model)
from synthaudit.generate.deep.dp import DPConfig, input_gradient

if TYPE_CHECKING:
    import torch

KIND = "ctgan"
STD_MULTIPLIER = 4.0  # a mode's scalar is (x - mu) / (4 sigma): within [-1, 1] for 99.99 % of its values
MAX_MODES = 10
WEIGHT_PRIOR = 1e-3   # Dirichlet-process weight concentration prior
MIN_WEIGHT = 0.005    # modes with a smaller mixture weight are dropped
SD_FLOOR = 1e-6       # a mode's smallest standard deviation, in units of the column's
REFINE_STEPS = 20     # maximum-likelihood EM steps after the VGM (see _refine)
TAU = 0.2             # Gumbel-softmax temperature
GP_LAMBDA = 10.0      # gradient-penalty weight (WGAN-GP)
LEARNING_RATE, BETAS, WEIGHT_DECAY = 2e-4, (0.5, 0.9), 1e-6
SAMPLE_CHUNK = 4096   # rows generated per forward pass when sampling
EMA = 0.995           # decay of the generator's weight average (common.WeightAverage)


# -- mode-specific normalisation ---------------------------------------------------------------------------
@dataclass
class ModeNormalizer:
    """Per numeric column, the kept modes of a variational Gaussian mixture: means, standard deviations and
    (renormalised) weights, in the column's own units."""

    means: list[list[float]]
    stds: list[list[float]]
    weights: list[list[float]]

    @property
    def sizes(self) -> list[int]:
        return [len(m) for m in self.means]

    @classmethod
    def fit(cls, num: np.ndarray, observed: np.ndarray, seed: int, max_modes: int = MAX_MODES,
            min_weight: float = MIN_WEIGHT) -> "ModeNormalizer":
        """Fit one mixture per column of ``num`` on its ``observed`` rows (standardised first)."""
        from sklearn.mixture import BayesianGaussianMixture
        from threadpoolctl import threadpool_limits

        means, stds, weights = [], [], []
        for j in range(num.shape[1]):
            x = num[observed[:, j], j].astype(float)
            centre, scale = float(x.mean()), float(x.std())
            if len(np.unique(x)) < 2 or scale == 0.0:  # a constant column: one mode, every scalar 0
                means.append([centre])
                stds.append([1.0])
                weights.append([1.0])
                continue
            vgm = BayesianGaussianMixture(n_components=min(max_modes, len(x)),
                                          weight_concentration_prior_type="dirichlet_process",
                                          weight_concentration_prior=WEIGHT_PRIOR, random_state=seed)
            # one BLAS thread: on one column a second thread doubles the CPU time and saves no wall time
            with warnings.catch_warnings(), threadpool_limits(1):
                warnings.simplefilter("ignore")  # "did not converge" is expected with the default 100 iterations
                vgm.fit(((x - centre) / scale)[:, None])
            keep = vgm.weights_ > min_weight
            mu, sd, w = _refine((x - centre) / scale, vgm.means_[keep, 0],
                                np.sqrt(vgm.covariances_[keep].reshape(-1)), vgm.weights_[keep])
            big = w >= min(min_weight, w.max())  # a mode EM left below the threshold is dropped too
            mu, sd, w = mu[big], sd[big], w[big] / w[big].sum()
            means.append((centre + scale * mu).tolist())
            stds.append((scale * sd).tolist())
            weights.append(w.tolist())
        return cls(means, stds, weights)

    def encode(self, num: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """(scalars [n, columns], modes [n, columns]): each value's mode is drawn from its posterior among the
        modes whose scalar lies in [-1, 1] (the nearest mode in sigmas when none does; its scalar is then
        outside [-1, 1], kept unclipped so that :meth:`decode` inverts it)."""
        n = len(num)
        scalars, modes = np.empty((n, len(self.means))), np.empty((n, len(self.means)), dtype=np.int64)
        for j, (mu, sd, w) in enumerate(zip(self.means, self.stds, self.weights)):
            mu, sd, w = np.asarray(mu), np.asarray(sd), np.asarray(w)
            s = (num[:, j:j + 1] - mu) / (STD_MULTIPLIER * sd)
            logp = np.log(w) - np.log(sd) - 8.0 * s * s  # log w_k N(x; mu_k, sd_k) + const, (x-mu)/sd = 4 s
            p = np.exp(logp - logp.max(axis=1, keepdims=True)) + 1e-6
            inside = np.abs(s) <= 1.0
            covered = inside.any(axis=1)
            p = np.where(covered[:, None], p * inside, p)
            cum = np.cumsum(p, axis=1)
            pick = (cum > rng.random(n)[:, None] * cum[:, -1:]).argmax(axis=1)
            pick = np.where(covered, pick, np.abs(s).argmin(axis=1))
            modes[:, j] = pick
            scalars[:, j] = s[np.arange(n), pick]
        return scalars, modes

    def decode(self, scalars: np.ndarray, modes: np.ndarray) -> np.ndarray:
        """Numbers from (scalar, mode): ``mu_mode + 4 sigma_mode * scalar``."""
        out = np.empty(scalars.shape)
        for j, (mu, sd) in enumerate(zip(self.means, self.stds)):
            k = np.clip(modes[:, j], 0, len(mu) - 1)
            out[:, j] = np.asarray(mu)[k] + STD_MULTIPLIER * np.asarray(sd)[k] * scalars[:, j]
        return out

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "ModeNormalizer":
        return cls([list(map(float, m)) for m in data["means"]], [list(map(float, s)) for s in data["stds"]],
                   [list(map(float, w)) for w in data["weights"]])


def _refine(z: np.ndarray, mu: np.ndarray, sd: np.ndarray, w: np.ndarray,
            steps: int = REFINE_STEPS) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Maximum-likelihood EM steps on the kept modes, from the VGM's. The VGM's Wishart prior keeps a mode's
    variance near (data variance / its rows), so a spike (capital_gain's 92 % zeros) gets sigma 187 and its rows
    decode to +-500 around 0; without the prior the spike's sigma shrinks to its own values' spread."""
    for _ in range(steps):
        logp = np.log(w) - np.log(sd) - 0.5 * ((z[:, None] - mu) / sd) ** 2
        resp = np.exp(logp - logp.max(axis=1, keepdims=True))
        resp /= resp.sum(axis=1, keepdims=True)
        mass = resp.sum(axis=0)
        ok = mass > 1e-9 * len(z)
        resp, mass = resp[:, ok], mass[ok]
        mu = resp.T @ z / mass
        sd = np.sqrt(np.maximum((resp * (z[:, None] - mu) ** 2).sum(axis=0) / mass, SD_FLOOR ** 2))
        w = mass / mass.sum()
    return mu, sd, w


# -- conditional vector ------------------------------------------------------------------------------------
class Conditions:
    """The conditional vector over the discrete columns: one block per column, one slot per category."""

    def __init__(self, counts: list[list[int]]) -> None:
        self.counts = [np.asarray(c, dtype=np.int64) for c in counts]
        self.sizes = [len(c) for c in self.counts]
        self.offsets = np.concatenate([[0], np.cumsum(self.sizes)]).astype(np.int64)
        self.dim = int(self.offsets[-1])
        width = max(self.sizes, default=0)

        def cumulative(weights: list[np.ndarray]) -> np.ndarray:
            out = np.ones((len(weights), width))  # padding past a column's categories is never drawn
            for j, w in enumerate(weights):
                out[j, :len(w)] = np.cumsum(w) / w.sum()
            return out

        self._log_cum = cumulative([np.log1p(c.astype(float)) for c in self.counts])   # training-by-sampling
        self._real_cum = cumulative([c.astype(float) for c in self.counts])            # real frequencies
        self._flat_cum = cumulative([np.ones(len(c)) for c in self.counts])            # uniform (DP training)
        self._rows: np.ndarray | None = None

    def index_rows(self, codes: np.ndarray) -> None:
        """Remember, per column, the real rows of each category (stably sorted by code) for :meth:`rows`."""
        n, k = len(codes), codes.shape[1]
        self._rows = np.concatenate([np.argsort(codes[:, j], kind="stable") for j in range(k)]) if k \
            else np.zeros(0, dtype=np.int64)
        self._first = np.concatenate([np.concatenate([[0], np.cumsum(c)[:-1]]) + j * n
                                      for j, c in enumerate(self.counts)]).astype(np.int64) if k \
            else np.zeros(0, dtype=np.int64)

    def draw(self, rng: np.random.Generator, size: int, log_frequency: bool,
             uniform: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """(column [size], category [size]): the column uniformly, the category by log-frequency (training),
        by real frequency (sampling) or, with ``uniform``, uniformly (DP training: no real counts)."""
        column = rng.integers(0, len(self.sizes), size)
        cum = (self._flat_cum if uniform else self._log_cum if log_frequency else self._real_cum)[column]
        category = (cum > rng.random(size)[:, None]).argmax(axis=1)
        return column, category

    def rows(self, rng: np.random.Generator, column: np.ndarray, category: np.ndarray) -> np.ndarray:
        """A uniformly drawn real row with ``category`` in ``column``, for each pair."""
        if self._rows is None:
            raise RuntimeError("index_rows() first")
        slot = self.offsets[column] + category
        count = np.concatenate(self.counts)[slot]
        pick = np.minimum((rng.random(len(slot)) * count).astype(np.int64), count - 1)
        return self._rows[self._first[slot] + pick]

    def one_hot(self, column: np.ndarray, category: np.ndarray) -> np.ndarray:
        out = np.zeros((len(column), self.dim), dtype=np.float32)
        out[np.arange(len(column)), self.offsets[column] + category] = 1.0
        return out


# -- networks ----------------------------------------------------------------------------------------------
def _networks():
    """The torch modules (built on first use, so that importing this module does not import torch)."""
    import torch
    from torch import nn

    class Residual(nn.Module):
        def __init__(self, i: int, o: int) -> None:
            super().__init__()
            self.fc, self.bn = nn.Linear(i, o), nn.BatchNorm1d(o)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return torch.cat([torch.relu(self.bn(self.fc(x))), x], dim=1)

    class Generator(nn.Module):
        def __init__(self, in_dim: int, widths: tuple[int, ...], out_dim: int) -> None:
            super().__init__()
            layers, dim = [], in_dim
            for w in widths:
                layers.append(Residual(dim, w))
                dim += w
            layers.append(nn.Linear(dim, out_dim))
            self.seq = nn.Sequential(*layers)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.seq(x)

    class Critic(nn.Module):
        """PacGAN critic: ``pac`` consecutive rows are concatenated into one input."""

        def __init__(self, in_dim: int, widths: tuple[int, ...], pac: int) -> None:
            super().__init__()
            self.pac, self.packed = pac, in_dim * pac
            layers, dim = [], self.packed
            for w in widths:
                layers += [nn.Linear(dim, w), nn.LeakyReLU(0.2), nn.Dropout(0.5)]
                dim = w
            layers.append(nn.Linear(dim, 1))
            self.seq = nn.Sequential(*layers)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.seq(x.reshape(-1, self.packed)).squeeze(1)

    return Generator, Critic


# -- the model -------------------------------------------------------------------------------------------
class CTGAN:
    """``fit(frame)`` then ``sample(n)``; deterministic for a given seed on CPU (same torch, same threads).

    ``batch_size``: a multiple of ``pac``; ``pac``: rows per critic input (the paper's 10 is PacGAN; 1 here by
    default and always under DP, see the module docstring);
    ``target``: a label column, ``sample`` then fixes the conditional vector to each class for its quota and the
    rows carry exactly those labels; ``progress``: a rich progress bar on stderr (None: when it is a terminal);
    ``log_frequency``: training conditions by log-frequency (the paper's; default False: by real frequency);
    ``ema``: decay of the generator's weight average that samples (0: the last weights); ``dp``: DP-SGD
    settings for the critic (:class:`~synthaudit.generate.deep.dp.DPConfig` or its dict; needs ``pac = 1``; each
    epoch is ``round(n / batch_size)`` Poisson samples of expected size ``batch_size``), the spent budget is
    :meth:`dp_metadata`. ``self.log`` holds per epoch the mean generator loss (critic term + conditional
    cross-entropy) and the mean critic loss (WGAN-GP, penalty included); ``self.timing`` prep and training time."""

    def __init__(self, epochs: int = 300, batch_size: int = 500, pac: int = 1, embedding_dim: int = 128,
                 generator_dim: tuple[int, ...] = (256, 256), discriminator_dim: tuple[int, ...] = (256, 256),
                 seed: int = 0, target: str | None = None, progress: bool | None = None,
                 log_frequency: bool = False, ema: float = EMA, dp: DPConfig | dict[str, Any] | None = None) -> None:
        self.dp = DPConfig.coerce(dp)
        if not 0.0 <= float(ema) < 1.0:
            raise UsageError(f"ema must be in [0, 1), got {ema}", field="ema", hint="0 samples the last weights")
        if self.dp is not None and pac != 1:
            raise UsageError(f"DP training needs pac = 1, got pac = {pac}: PacGAN packs rows after sampling, so one "
                             "row's removal would regroup the others and its effect would not be bounded by the "
                             "per-row clipping", field="pac", hint="leave pac unset (1 under DP) or set pac=1")
        for name, value in (("epochs", epochs), ("pac", pac), ("embedding_dim", embedding_dim)):
            if int(value) < 1:
                raise UsageError(f"{name} must be at least 1, got {value}", field=name)
        if batch_size < pac or batch_size % pac:
            raise UsageError(f"batch_size must be a positive multiple of pac ({pac}), got {batch_size}",
                             field="batch_size")
        self.epochs, self.batch_size, self.pac, self.embedding_dim = int(epochs), int(batch_size), int(pac), \
            int(embedding_dim)
        self.generator_dim, self.discriminator_dim = tuple(map(int, generator_dim)), tuple(map(int, discriminator_dim))
        self.seed, self.target, self.progress, self.log_frequency = int(seed), target, progress, bool(log_frequency)
        self.ema = float(ema)
        self.log = TrainLog()
        self.layout: TableLayout | None = None
        self.modes: ModeNormalizer | None = None
        self.conditions: Conditions | None = None
        self.generator: Any = None
        self.timing: dict[str, float] = {}
        self._dp_meta: dict[str, Any] | None = None

    def dp_metadata(self) -> dict[str, Any] | None:
        """The DP budget spent by the critic's training (:meth:`PrivateTraining.metadata`, what
        ``tabular.dp_epsilon_delta`` reads); None for a model trained without DP."""
        return None if self._dp_meta is None else dict(self._dp_meta)

    # -- layout of the encoded rows
    def _spans(self) -> list[tuple[int, int, str]]:
        """(start, width, activation) of each block of a generated row: per numeric column its scalar (tanh)
        and modes (softmax), then one block per category column (softmax)."""
        out, start = [], 0
        for k in self.modes.sizes:
            out += [(start, 1, "tanh"), (start + 1, k, "softmax")]
            start += 1 + k
        for size in self.conditions.sizes:
            out.append((start, size, "softmax"))
            start += size
        return out

    @property
    def columns(self) -> list[str]:
        """The training table's columns in order (``adapter.sample_saved`` checks a table against them)."""
        return list(self.layout.order)

    @property
    def data_dim(self) -> int:
        return sum(1 + k for k in self.modes.sizes) + self.conditions.dim

    def _rows_matrix(self, scalars: np.ndarray, modes: np.ndarray, codes: np.ndarray) -> np.ndarray:
        out = np.zeros((len(scalars), self.data_dim), dtype=np.float32)
        spans, rows = self._spans(), np.arange(len(scalars))
        for j in range(scalars.shape[1]):
            (s, _, _), (m, _, _) = spans[2 * j], spans[2 * j + 1]
            out[:, s] = np.clip(scalars[:, j], -1.0, 1.0)  # the generator's tanh cannot reach beyond
            out[rows, m + modes[:, j]] = 1.0
        for j in range(codes.shape[1]):
            out[rows, spans[2 * scalars.shape[1] + j][0] + codes[:, j]] = 1.0
        return out

    def _activate(self, raw: "torch.Tensor", gen: "torch.Generator") -> "torch.Tensor":
        """tanh on the scalars, Gumbel-softmax (tau 0.2) on each mode and category block."""
        import torch

        gumbel = -torch.empty_like(raw).exponential_(generator=gen).log()
        parts = []
        for start, width, act in self._spans():
            block = raw[:, start:start + width]
            parts.append(torch.tanh(block) if act == "tanh"
                         else torch.softmax((block + gumbel[:, start:start + width]) / TAU, dim=1))
        return torch.cat(parts, dim=1)

    def _condition_loss(self, raw: "torch.Tensor", column: np.ndarray, category: np.ndarray) -> "torch.Tensor":
        """Per-row cross-entropy of the generator's logits for the conditioned column against its category."""
        import torch

        first = 2 * len(self.modes.sizes)
        spans = self._spans()[first:]
        lse = torch.stack([torch.logsumexp(raw[:, s:s + w], dim=1) for s, w, _ in spans], dim=1)
        rows = torch.arange(len(column))
        col = torch.as_tensor(column)
        target = raw[rows, torch.as_tensor(np.array([s for s, _, _ in spans])[column] + category)]
        return lse[rows, col] - target

    # -- networks
    def _make_generator(self) -> tuple[Any, Any]:
        import torch

        generator_cls, _ = _networks()
        net = generator_cls(self.embedding_dim + self.conditions.dim, self.generator_dim, self.data_dim)
        return net, torch.optim.Adam(net.parameters(), lr=LEARNING_RATE, betas=BETAS, weight_decay=WEIGHT_DECAY,
                                     foreach=True)

    def _make_critic(self) -> tuple[Any, Any]:
        """The network that sees real rows, and its optimizer (the place to wrap for DP-SGD)."""
        import torch

        _, critic_cls = _networks()
        net = critic_cls(self.data_dim + self.conditions.dim, self.discriminator_dim, self.pac)
        return net, torch.optim.Adam(net.parameters(), lr=LEARNING_RATE, betas=BETAS, weight_decay=WEIGHT_DECAY,
                                     foreach=True)

    def _critic_losses(self, critic: Any, real: "torch.Tensor", fake: "torch.Tensor",
                       alpha: "torch.Tensor") -> "torch.Tensor":
        """One WGAN-GP loss per pac group: D(fake) - D(real) + lambda (||grad D(mix)|| - 1)^2, where a group's
        mix is ``alpha * real + (1 - alpha) * fake`` with its own ``alpha`` (drawn by the caller, one per group)."""
        import torch

        groups, width = real.shape[0] // self.pac, real.shape[1]
        a = alpha.reshape(groups, 1, 1).expand(groups, self.pac, width).reshape(-1, width)
        grad = input_gradient(critic, a * real + (1 - a) * fake)
        penalty = GP_LAMBDA * (grad.reshape(groups, -1).norm(2, dim=1) - 1) ** 2
        scores = critic(torch.cat([real, fake]))  # one pass over both halves: groups of real rows, then fake
        return scores[groups:] - scores[:groups] + penalty

    # -- fitting
    def _spec(self, frame: pd.DataFrame, spec: TableSpec | None) -> TableSpec:
        spec = spec or infer_spec(frame, frame.columns)
        if self.target is None:
            return spec
        if self.target not in frame.columns:
            raise InputError(f"no target column {self.target!r}; columns: {', '.join(map(str, frame.columns[:12]))}",
                             field="--target")
        kind = spec.columns[self.target].type if self.target in spec.columns else ColumnType.CATEGORICAL
        if kind in (ColumnType.NUMERICAL, ColumnType.DATETIME):  # a label is a category
            columns = {**spec.columns, self.target: ColumnSpec(self.target, ColumnType.CATEGORICAL, inferred=False,
                                                               reason="conditioning target")}
            spec = dataclasses.replace(spec, columns=columns)
        return spec

    def fit(self, frame: pd.DataFrame, spec: TableSpec | None = None) -> "CTGAN":
        """Encode the table (layout, modes), then train the generator against the PacGAN critic."""
        import torch

        wall, cpu = time.perf_counter(), time.process_time()
        self.layout = TableLayout.fit(frame, self._spec(frame, spec))
        num, codes = self.layout.encode(frame)
        observed = np.ones(num.shape, dtype=bool)
        numeric = [c.name for c in self.layout.numeric]
        for j, c in enumerate(self.layout.categorical):  # a missing number's median fill is not fitted
            if c.indicator_of is not None:
                observed[:, numeric.index(c.indicator_of)] = codes[:, j] == 0
        rng = np.random.default_rng(self.seed)
        self.modes = ModeNormalizer.fit(num, observed, self.seed)
        scalars, modes = self.modes.encode(num, rng)
        self.conditions = Conditions([np.bincount(codes[:, j], minlength=c.size).tolist()
                                      for j, c in enumerate(self.layout.categorical)])
        self.conditions.index_rows(codes)
        data = torch.from_numpy(self._rows_matrix(scalars, modes, codes))
        self.timing = {"prep_wall_s": time.perf_counter() - wall, "prep_cpu_s": time.process_time() - cpu}
        self._dp_meta = None
        with deterministic(self.seed) as gen:
            self.generator, opt_g = self._make_generator()
            critic, opt_d = self._make_critic()
            self._train(data, codes, critic, opt_g, opt_d, rng, gen)
        return self

    def _train(self, data: "torch.Tensor", codes: np.ndarray, critic: Any, opt_g: Any, opt_d: Any,
               rng: np.random.Generator, gen: "torch.Generator") -> None:
        import torch

        from synthaudit.audit.engine import make_progress
        from synthaudit.generate.deep.dp import PrivateTraining

        b, steps = self.batch_size, max(len(data) // self.batch_size, 1)
        conditioned = self.conditions.dim > 0
        private = None
        if self.dp is not None:
            private = PrivateTraining(self.dp, critic, opt_d, n_rows=len(data), batch_size=b, epochs=self.epochs,
                                      generator=gen)
            steps = private.steps_per_epoch
        self.generator.train()
        critic.train()
        self.log = TrainLog()
        average = WeightAverage(self.generator, self.ema) if self.ema else None
        bar = make_progress(self.progress)
        wall, cpu = time.perf_counter(), time.process_time()
        with bar if bar is not None else nullcontext():
            task = bar.add_task("CTGAN", total=self.epochs) if bar is not None else None
            for epoch in range(1, self.epochs + 1):
                sums, critic_rows = np.zeros(2), 0
                for _ in range(steps):
                    if private is None:
                        loss_d, rows = self._critic_step(data, critic, opt_d, rng, gen, conditioned), b
                    else:
                        loss_d, rows = self._private_critic_step(private, data, codes, rng, gen, conditioned)
                    # generator step: fool the critic and honour the condition
                    z, cond, column, category = self._noise(rng, gen, b, conditioned, uniform=private is not None)
                    raw = self.generator(torch.cat([z, cond], dim=1))
                    loss_g = -critic(torch.cat([self._activate(raw, gen), cond], dim=1)).mean()
                    if conditioned:
                        loss_g = loss_g + self._condition_loss(raw, column, category).mean()
                    opt_g.zero_grad(set_to_none=False)
                    loss_g.backward()
                    opt_g.step()
                    if average is not None:
                        average.update()
                    sums += (loss_g.item(), loss_d * rows if rows else 0.0)
                    critic_rows += rows
                g_loss, d_loss = sums[0] / steps, sums[1] / critic_rows if critic_rows else float("nan")
                self.log.record(epoch, generator=g_loss, discriminator=d_loss)
                if bar is not None:
                    bar.update(task, advance=1, description=f"CTGAN  G {g_loss:+.3f}  D {d_loss:+.3f}")
        if average is not None:  # sample (and save) the averaged weights
            self.generator = average.net
        self.timing.update(train_wall_s=time.perf_counter() - wall, train_cpu_s=time.process_time() - cpu,
                           epochs=self.epochs, steps_per_epoch=steps)
        if private is not None:
            self._dp_meta = private.metadata()

    def _critic_step(self, data: "torch.Tensor", critic: Any, opt_d: Any, rng: np.random.Generator,
                     gen: "torch.Generator", conditioned: bool) -> float:
        """One WGAN-GP step of the critic with training-by-sampling: fake rows for drawn conditions; real rows
        drawn for the same conditions, shuffled, so that a pac group of real rows is not the fake group's twin."""
        import torch

        b = self.batch_size
        z, cond, column, category = self._noise(rng, gen, b, conditioned)
        with torch.no_grad():
            fake = self._activate(self.generator(torch.cat([z, cond], dim=1)), gen)
        if conditioned:
            perm = rng.permutation(b)
            real = data[torch.as_tensor(self.conditions.rows(rng, column[perm], category[perm]))]
            real_cond = cond[torch.as_tensor(perm)]
        else:
            real, real_cond = data[torch.as_tensor(rng.integers(0, len(data), b))], cond
        alpha = torch.rand(b // self.pac, generator=gen)
        loss_d = self._critic_losses(critic, torch.cat([real, real_cond], dim=1), torch.cat([fake, cond], dim=1),
                                     alpha).mean()
        opt_d.zero_grad(set_to_none=False)
        loss_d.backward()
        opt_d.step()
        return loss_d.item()

    def _private_critic_step(self, private: Any, data: "torch.Tensor", codes: np.ndarray, rng: np.random.Generator,
                             gen: "torch.Generator", conditioned: bool) -> tuple[float, int]:
        """One DP-SGD step of the critic (pac = 1) on a Poisson sample of the real rows: each row's condition is
        its own category in a uniformly drawn column, its fake row is generated for that condition (generator in
        eval mode, so that it depends on that condition only), and its loss is D(fake) - D(real) + the penalty
        at its own mix. Returns (the sample's mean loss, its size)."""
        import torch

        rows = private.sample_batch()
        m = len(rows)
        z = torch.randn(m, self.embedding_dim, generator=gen)
        if conditioned:
            column = rng.integers(0, len(self.conditions.sizes), m)
            cond = torch.from_numpy(self.conditions.one_hot(column, codes[rows.numpy(), column]))
        else:
            cond = torch.zeros(m, 0)
        self.generator.eval()
        with torch.no_grad():
            fake = self._activate(self.generator(torch.cat([z, cond], dim=1)), gen)
        self.generator.train()
        alpha = torch.rand(m, generator=gen)
        loss = private.step(self._critic_losses, torch.cat([data[rows], cond], dim=1), torch.cat([fake, cond], dim=1),
                            alpha)
        return loss, m

    def _noise(self, rng: np.random.Generator, gen: "torch.Generator", size: int, conditioned: bool,
               uniform: bool = False) -> tuple["torch.Tensor", "torch.Tensor", np.ndarray, np.ndarray]:
        """Latent noise and a training-by-sampling condition (log-frequency categories; ``uniform``: uniform
        categories, for DP training) for ``size`` rows."""
        import torch

        z = torch.randn(size, self.embedding_dim, generator=gen)
        if not conditioned:
            return z, torch.zeros(size, 0), np.zeros(size, np.int64), np.zeros(size, np.int64)
        column, category = self.conditions.draw(rng, size, log_frequency=self.log_frequency, uniform=uniform)
        return z, torch.from_numpy(self.conditions.one_hot(column, category)), column, category

    # -- sampling
    def sample(self, n: int, seed: int | None = None, quotas: dict[Any, int] | None = None) -> pd.DataFrame:
        """``n`` rows. With ``target``: each class's quota (``quotas``, default the real class shares) generated
        with the condition fixed to that class, rows shuffled; without: conditions at the real frequencies."""
        import torch

        if self.generator is None:
            raise RuntimeError("call fit() first")
        n = int(n)
        seed = self.seed + 1 if seed is None else int(seed)
        rng = np.random.default_rng(seed)
        forced, column, category = None, np.zeros(n, np.int64), np.zeros(n, np.int64)
        if self.target is not None:
            j, codes_of = self._target_codes(n, quotas)
            forced = rng.permutation(np.repeat(np.array(list(codes_of), dtype=np.int64),
                                               np.array(list(codes_of.values()), dtype=np.int64)))
            column, category = np.full(n, j), forced
        elif quotas is not None:
            raise UsageError("quotas need a target column", field="quotas")
        elif self.conditions.dim:
            column, category = self.conditions.draw(rng, n, log_frequency=False)
        parts = []
        self.generator.eval()
        with deterministic(seed) as gen, torch.no_grad():
            for lo in range(0, n, SAMPLE_CHUNK):
                hi = min(n, lo + SAMPLE_CHUNK)
                z = torch.randn(hi - lo, self.embedding_dim, generator=gen)
                cond = torch.from_numpy(self.conditions.one_hot(column[lo:hi], category[lo:hi])) \
                    if self.conditions.dim else torch.zeros(hi - lo, 0)
                parts.append(self._activate(self.generator(torch.cat([z, cond], dim=1)), gen).numpy())
        return self._decode(np.concatenate(parts) if parts else np.zeros((0, self.data_dim), np.float32), forced)

    def _target_codes(self, n: int, quotas: dict[Any, int] | None) -> tuple[int, dict[int, int]]:
        """(the target's category column, {class code: rows})."""
        j = next(i for i, c in enumerate(self.layout.categorical) if c.name == self.target)
        return j, class_rows(self.layout.categorical[j].categories, self.conditions.counts[j], n, quotas)

    def _decode(self, rows: np.ndarray, forced: np.ndarray | None) -> pd.DataFrame:
        spans, k = self._spans(), len(self.modes.sizes)
        scalars = np.column_stack([rows[:, spans[2 * j][0]] for j in range(k)]).astype(float) if k \
            else np.zeros((len(rows), 0))
        modes = np.column_stack([rows[:, s:s + w].argmax(axis=1) for s, w, _ in spans[1:2 * k:2]]) if k \
            else np.zeros((len(rows), 0), dtype=np.int64)
        codes = np.column_stack([rows[:, s:s + w].argmax(axis=1) for s, w, _ in spans[2 * k:]]) \
            if len(spans) > 2 * k else np.zeros((len(rows), 0), dtype=np.int64)
        if forced is not None:
            codes[:, [c.name for c in self.layout.categorical].index(self.target)] = forced
        return self.layout.decode(self.modes.decode(scalars, modes), codes)

    # -- persistence
    def write_log(self, folder: str | Path) -> list[Path]:
        """``losses.csv`` and ``loss_curve.svg`` (generator and critic loss per epoch) in ``folder``."""
        return self.log.write(folder, title="CTGAN training loss (WGAN-GP)")

    def params(self) -> dict[str, Any]:
        return {"epochs": self.epochs, "batch_size": self.batch_size, "pac": self.pac,
                "embedding_dim": self.embedding_dim, "generator_dim": list(self.generator_dim),
                "discriminator_dim": list(self.discriminator_dim), "seed": self.seed, "target": self.target,
                "log_frequency": self.log_frequency, "ema": self.ema,
                "dp": None if self.dp is None else self.dp.to_dict()}

    def save(self, folder: str | Path) -> Path:
        """The generator's weights (safetensors) and everything else as JSON: layout, modes, category counts."""
        import torch

        if self.generator is None:
            raise RuntimeError("call fit() first")
        config = {"params": self.params(), "layout": self.layout.to_json(), "modes": self.modes.to_json(),
                  "counts": [c.tolist() for c in self.conditions.counts], "log": self.log.rows,
                  "torch": torch.__version__, "dp_metadata": self._dp_meta}
        return save_model(folder, KIND, {f"generator.{k}": v for k, v in self.generator.state_dict().items()},
                          config)

    @classmethod
    def load(cls, folder: str | Path) -> "CTGAN":
        """A model :meth:`save` wrote; it samples exactly as the saved one did."""
        tensors, config = load_model(folder, KIND)
        try:
            model = cls(**config["params"])
            model.layout = TableLayout.from_json(config["layout"])
            model.modes = ModeNormalizer.from_json(config["modes"])
            model.conditions = Conditions(config["counts"])
            model.log = TrainLog(rows=list(config.get("log", [])))
            model._dp_meta = config.get("dp_metadata")
            model.generator, _ = model._make_generator()
            model.generator.load_state_dict({k.removeprefix("generator."): v for k, v in tensors.items()})
        except (KeyError, TypeError, ValueError, RuntimeError) as exc:
            raise InputError(f"does not describe a CTGAN model ({type(exc).__name__}: {exc})",
                             file=str(Path(folder) / "config.json")) from None
        return model
