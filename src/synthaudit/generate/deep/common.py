"""What the deep tabular generators share (issue #20; tutorial sections 3.2 and 3.5: CTGAN, TabDDPM).

* :class:`TableLayout`: the columns of a real table as numbers and category codes, and back. Numbers and datetimes
  are float columns (datetimes as int64 nanoseconds); a numeric column with missing values also gets a category
  column ``<name> (missing)`` so that the model learns where values are missing, and its gaps are filled with the
  median for training. Booleans, text and IDs are categories (a missing value is a category of its own). Decoding
  rounds integer columns, clips numbers to the range seen in training and restores dtypes, so every generated
  value lies in the real range and every category was seen in training.
* :class:`TrainLog`: the loss per epoch, written as ``losses.csv`` and ``loss_curve.svg``.
* :func:`save_model` / :func:`load_model`: a fitted model as ``model.safetensors`` (tensors) and ``config.json``
  (everything else), never a pickle.
* :func:`deterministic`: seeded, deterministic torch on CPU for a block of code.
"""
from __future__ import annotations

import contextlib
import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator, Mapping, Sequence

import numpy as np
import pandas as pd

from synthaudit.data.tabular import TableSpec, infer_spec
from synthaudit.errors import InputError, UsageError
from synthaudit.generate.tabular import class_quotas, column_floats, numeric_values

if TYPE_CHECKING:
    import torch

FORMAT = "synthaudit-deep-tabular"
MISSING = " (missing)"  # suffix of the indicator column of a numeric column with missing values
MAX_CATEGORIES = 1000  # a categorical column with more values is refused (one-hot width)


def _jsonable(value: Any) -> Any:
    """A category value as JSON keeps it (numpy scalars as Python ones, missing as None, others as text)."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


@dataclass
class NumericColumn:
    name: str
    kind: str  # "numeric" or "datetime"
    integer: bool
    lo: float
    hi: float
    fill: float  # median: stands in for missing values during training
    missing: bool  # has an indicator column
    dtype: str


@dataclass
class CategoryColumn:
    name: str
    categories: list[Any]  # JSON values; None is the missing value
    indicator_of: str | None = None  # the numeric column whose missing values this column marks
    dtype: str | None = None  # the real column's dtype, restored on decoding where the values allow it

    @property
    def size(self) -> int:
        return len(self.categories)


@dataclass
class TableLayout:
    """Column order, numeric columns and category columns of a real table."""

    order: list[str]
    numeric: list[NumericColumn] = field(default_factory=list)
    categorical: list[CategoryColumn] = field(default_factory=list)

    @classmethod
    def fit(cls, frame: pd.DataFrame, spec: TableSpec | None = None) -> "TableLayout":
        if len(frame) == 0:
            raise InputError("the real table has no rows to learn from", field="--real")
        spec = spec or infer_spec(frame, frame.columns)
        out = cls(order=[str(c) for c in frame.columns])
        for name in frame.columns:
            col = frame[name]
            numbers = numeric_values(col, spec.columns[name].type if name in spec.columns else None)
            if numbers is not None:
                x, kind = numbers
                ok = ~np.isnan(x)
                seen = x[ok]
                missing = bool((~ok).any())
                out.numeric.append(NumericColumn(str(name), kind, bool(np.all(seen % 1 == 0)), float(seen.min()),
                                                 float(seen.max()), float(np.median(seen)), missing, str(col.dtype)))
                if missing:
                    out.categorical.append(CategoryColumn(f"{name}{MISSING}", [False, True], str(name)))
                continue
            codes, uniques = pd.factorize(col, use_na_sentinel=True, sort=False)
            cats = [_jsonable(u) for u in uniques] + ([None] if (codes < 0).any() else [])
            if len(cats) > MAX_CATEGORIES:
                raise UsageError(f"column {name!r} has {len(cats):,} distinct values (an identifier or free text?): "
                                 f"a deep generator one-hot encodes categories, at most {MAX_CATEGORIES:,}; drop the "
                                 "column, bin it, or use --method gaussian_copula", field=str(name))
            out.categorical.append(CategoryColumn(str(name), cats, dtype=str(col.dtype)))
        return out

    def encode(self, frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """(numbers [n, numeric columns], missing values filled; category codes [n, category columns])."""
        n = len(frame)
        num = np.empty((n, len(self.numeric)))
        for j, c in enumerate(self.numeric):
            x = column_floats(frame[c.name], c.kind == "datetime")
            num[:, j] = np.where(np.isnan(x), c.fill, x)
        codes = np.empty((n, len(self.categorical)), dtype=np.int64)
        for j, c in enumerate(self.categorical):
            if c.indicator_of is not None:
                codes[:, j] = np.isnan(column_floats(frame[c.indicator_of], self._numeric(c.indicator_of).kind
                                                 == "datetime")).astype(np.int64)
                continue
            lookup = {v: i for i, v in enumerate(c.categories)}
            values = [_jsonable(v) for v in frame[c.name].tolist()]
            unknown = [v for v in values if v not in lookup]
            if unknown:
                raise InputError(f"category {unknown[0]!r} was not seen in training", field=c.name)
            codes[:, j] = [lookup[v] for v in values]
        return num, codes

    def decode(self, num: np.ndarray, codes: np.ndarray) -> pd.DataFrame:
        """A frame in the real column order: numbers rounded (integer columns), clipped to the training range,
        missing where the indicator says so; categories from their codes."""
        out: dict[str, Any] = {}
        for j, c in enumerate(self.categorical):
            if c.indicator_of is None:
                values = np.array(c.categories, dtype=object)[np.clip(codes[:, j], 0, c.size - 1)]
                values = pd.Series([np.nan if v is None else v for v in values], dtype=object)
                out[c.name] = restore_dtype(values, c.dtype)
        for j, c in enumerate(self.numeric):
            x = np.clip(num[:, j].astype(float), c.lo, c.hi)
            if c.integer:
                x = np.round(x)
            if c.missing:
                k = next(i for i, cc in enumerate(self.categorical) if cc.indicator_of == c.name)
                x[codes[:, k] == 1] = np.nan
            if c.kind == "datetime":
                out[c.name] = pd.Series(pd.to_datetime(x, unit="ns"))
            elif c.integer and not np.isnan(x).any() and c.dtype.startswith(("int", "Int", "uint", "UInt")):
                out[c.name] = pd.Series(x.astype(np.int64))
            else:
                out[c.name] = pd.Series(x)
        return pd.DataFrame(out)[self.order]

    def _numeric(self, name: str) -> NumericColumn:
        return next(c for c in self.numeric if c.name == name)

    def to_json(self) -> dict[str, Any]:
        return {"order": self.order, "numeric": [asdict(c) for c in self.numeric],
                "categorical": [asdict(c) for c in self.categorical]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "TableLayout":
        return cls(order=list(data["order"]), numeric=[NumericColumn(**c) for c in data["numeric"]],
                   categorical=[CategoryColumn(**c) for c in data["categorical"]])


def restore_dtype(values: pd.Series, dtype: str | None) -> pd.Series:
    """Decoded categories in the real column's dtype (int, bool, float, datetime, category) when they fit it;
    otherwise (an integer column with missing values, an unknown dtype) as objects."""
    if dtype is None or dtype == "object":
        return values
    try:
        if values.isna().any() and np.dtype(dtype).kind in "biu":
            return values  # numpy bool/int columns cannot hold a missing value (astype would make it True)
    except TypeError:  # not a numpy dtype: pandas' nullable and categorical dtypes hold missing values
        pass
    try:
        return values.astype(dtype)
    except (TypeError, ValueError):
        return values


def class_rows(classes: Sequence[Any], counts: Sequence[int], n: int, quotas: Mapping[Any, int] | None,
               ) -> dict[int, int]:
    """{class code: rows} for ``n`` conditionally sampled rows: ``quotas`` (class value -> rows, adding up to ``n``)
    or, without them, the training shares by largest remainder (``class_quotas``). ``classes`` are the classes' JSON
    values (None: missing, never a default class) and ``counts`` their training rows."""
    if quotas is None:
        codes = np.repeat(np.arange(len(classes)), counts)
        codes = codes[~np.isin(codes, [i for i, c in enumerate(classes) if c is None])]
        return {int(k): v for k, v in class_quotas(pd.Series(codes), n).items()}
    index = {c: i for i, c in enumerate(classes)}
    out: dict[int, int] = {}
    for label, rows in quotas.items():
        key = _jsonable(label)
        if key not in index:
            raise UsageError(f"class {label!r} was not seen in training; classes: "
                             f"{', '.join(map(repr, list(classes)[:12]))}", field="quotas")
        if int(rows) < 0:
            raise UsageError(f"class {label!r} asks for {rows} rows", field="quotas")
        out[index[key]] = out.get(index[key], 0) + int(rows)
    if sum(out.values()) != n:
        raise UsageError(f"the quotas add up to {sum(out.values())} rows, not n = {n}", field="quotas")
    return out


@dataclass
class TrainLog:
    """Losses per epoch (name -> value), written beside the generated table."""

    rows: list[dict[str, float]] = field(default_factory=list)

    def record(self, epoch: int, **losses: float) -> None:
        self.rows.append({"epoch": epoch, **{k: float(v) for k, v in losses.items()}})

    def write(self, folder: str | Path, title: str = "training loss") -> list[Path]:
        """``losses.csv`` and ``loss_curve.svg`` in ``folder``; returns their paths."""
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        frame = pd.DataFrame(self.rows)
        csv = folder / "losses.csv"
        frame.to_csv(csv, index=False)
        fig, ax = plt.subplots(figsize=(6, 3.2))
        for name in [c for c in frame.columns if c != "epoch"]:
            ax.plot(frame["epoch"], frame[name], label=name)
        ax.set_xlabel("epoch")
        ax.set_title(title)
        ax.legend()
        fig.tight_layout()
        svg = folder / "loss_curve.svg"
        fig.savefig(svg)
        plt.close(fig)
        return [csv, svg]


def save_model(folder: str | Path, kind: str, tensors: dict[str, "torch.Tensor"], config: dict[str, Any]) -> Path:
    """Write a fitted model: ``model.safetensors`` and ``config.json`` (``kind`` names the generator)."""
    from safetensors.torch import save_file

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    save_file({k: v.detach().contiguous().cpu() for k, v in tensors.items()}, str(folder / "model.safetensors"))
    (folder / "config.json").write_text(json.dumps({"format": FORMAT, "kind": kind, **config}, indent=1),
                                        encoding="utf-8")
    return folder


def load_model(folder: str | Path, kind: str) -> tuple[dict[str, "torch.Tensor"], dict[str, Any]]:
    """(tensors, config) of a model :func:`save_model` wrote; one clear error for anything else."""
    from safetensors.torch import load_file

    folder = Path(folder)
    config_path, weights = folder / "config.json", folder / "model.safetensors"
    for path in (config_path, weights):
        if not path.is_file():
            raise InputError("not found: a saved model is a folder with config.json and model.safetensors",
                             file=str(path))
    try:
        config = json.loads(config_path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"is not JSON ({exc})", file=str(config_path)) from None
    if not isinstance(config, dict) or config.get("format") != FORMAT or config.get("kind") != kind:
        found = config.get("kind") if isinstance(config, dict) else None
        raise InputError(f"is not a saved {kind} model (found {found!r})", file=str(config_path))
    try:
        tensors = load_file(str(weights))
    except Exception as exc:  # safetensors raises its own error types
        raise InputError(f"cannot read the weights ({exc})", file=str(weights)) from None
    return tensors, config


def pin_threads() -> None:
    """torch's CPU threads as the project sets them (:func:`synthaudit.models._hf.device`: ``SYNTHAUDIT_TORCH_THREADS``,
    else half the cores), set again here because numba's parallel kernels (the privacy metrics' nearest neighbours)
    reset the process-wide OpenMP count: a model fitted after an audit would otherwise run with another thread
    count, add up in another order (not the same weights for the same seed) and, on 2 busy cores, 10x slower."""
    from synthaudit.models._hf import device, pinned

    device()
    pinned(lambda: None)()


@contextlib.contextmanager
def deterministic(seed: int) -> Iterator["torch.Generator"]:
    """Seeded, deterministic torch for the block (global seed and a generator to pass around); the previous
    settings come back afterwards. Results repeat exactly on CPU with the same torch version and thread count:
    the block runs with the project's thread count (see :func:`pin_threads`)."""
    import torch

    pin_threads()
    before = torch.are_deterministic_algorithms_enabled()
    state = torch.get_rng_state()
    torch.use_deterministic_algorithms(True)
    torch.manual_seed(seed)
    try:
        yield torch.Generator().manual_seed(seed)
    finally:
        torch.use_deterministic_algorithms(before)
        torch.set_rng_state(state)


class WeightAverage:
    """An exponential moving average of a network's weights (Polyak averaging; Yazici et al. 2019, "The Unusual
    Effectiveness of Averaging in GAN Training"), updated after each optimiser step with the decay
    ``min(decay, (1 + t) / (10 + t))`` at step ``t`` (TensorFlow's ExponentialMovingAverage warm-up), so that a
    short training's average is not its initial weights. Buffers (BatchNorm's running statistics) are copied.
    ``net`` is the averaged copy, which is what samples."""

    def __init__(self, source: "torch.nn.Module", decay: float) -> None:
        import copy

        self.source, self.decay, self.steps = source, float(decay), 0
        self.net = copy.deepcopy(source)

    def update(self) -> None:
        import torch

        self.steps += 1
        keep = min(self.decay, (1 + self.steps) / (10 + self.steps))
        with torch.no_grad():
            for mine, theirs in zip(self.net.parameters(), self.source.parameters()):
                mine.lerp_(theirs, 1.0 - keep)
            for mine, theirs in zip(self.net.buffers(), self.source.buffers()):
                mine.copy_(theirs)
