"""Any ``fit(frame)`` / ``sample(n)`` tabular generator behind one call (survey section 4.1, stage 1).

SDV synthesizers, synthcity plugins (wrapped in a tiny shim), be_great's GReaT and this package's
:class:`~synthaudit.generate.tabular.GaussianCopula` all fit a DataFrame and sample rows. ``generate_tabular``
seeds every random source it knows, fits, samples and checks the output has the real table's columns, so
that whatever made the rows, the audit that follows reads the same shape.
"""
from __future__ import annotations

import importlib
import random
from typing import Any, Callable

import numpy as np
import pandas as pd

from synthaudit.errors import InputError, UsageError
from synthaudit.generate.tabular import GaussianCopula, class_quotas

METHODS = ("gaussian_copula", "diffusion", "gan", "llm")
#: the built-in deep generators (issue #20): method name -> "module:Class"
DEEP_METHODS = {"diffusion": "synthaudit.generate.deep.diffusion:TabDDPM", "gan": "synthaudit.generate.deep.gan:CTGAN"}


class FitSampleAdapter:
    """Wrap ``obj`` with ``fit(frame)`` and ``sample(n)``; output becomes a DataFrame with the real columns."""

    def __init__(self, obj: Any, *, name: str | None = None) -> None:
        for attr in ("fit", "sample"):
            if not callable(getattr(obj, attr, None)):
                raise UsageError(f"{type(obj).__name__} has no {attr}() method; a generator needs fit(frame) "
                                 "and sample(n)")
        self.obj = obj
        self.name = name or type(obj).__name__
        self.columns: list[str] = []

    def fit(self, frame: pd.DataFrame) -> "FitSampleAdapter":
        self.columns = [str(c) for c in frame.columns]
        self.obj.fit(frame)
        return self

    def sample(self, n: int, seed: int | None = None) -> pd.DataFrame:
        raw = self.obj.sample(n)
        return _as_frame(raw, self.columns, self.name)


class ClassConditional:
    """One generator per class of ``target``; each samples its quota (``class_quotas``, ``rare_boost``)."""

    def __init__(self, factory: Any, target: str, rare_boost: float = 1.0, seed: int = 0) -> None:
        self.factory, self.target, self.rare_boost, self.seed = factory, target, float(rare_boost), seed
        self._parts: dict[Any, Any] = {}
        self._labels: pd.Series | None = None
        self._columns: list[str] = []

    def fit(self, frame: pd.DataFrame) -> "ClassConditional":
        if self.target not in frame.columns:
            raise InputError(f"no target column {self.target!r}; columns: {', '.join(map(str, frame.columns[:12]))}",
                             field="--target")
        self._columns = list(frame.columns)
        self._labels = frame[self.target]
        self._parts = {c: self.factory(self.seed + i).fit(frame[frame[self.target] == c].reset_index(drop=True))
                       for i, c in enumerate(self._labels.dropna().unique())}
        return self

    def sample(self, n: int, seed: int | None = None) -> pd.DataFrame:
        quotas = class_quotas(self._labels, n, self.rare_boost)
        parts = [self._parts[c].sample(q).assign(**{self.target: c}) for c, q in quotas.items() if q]
        out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=self._columns)
        order = np.random.default_rng(self.seed if seed is None else seed).permutation(len(out))
        return out.iloc[order].reset_index(drop=True)[self._columns]


class DeepGenerator:
    """A built-in deep generator (``diffusion``: TabDDPM, ``gan``: CTGAN) conditioned natively on ``target``: each
    class gets its quota of rows, ``class_quotas(labels, n, rare_boost)`` (survey section 4.1), the copula's rule."""

    def __init__(self, model: Any, method: str, target: str | None, rare_boost: float = 0.0) -> None:
        self.model, self.method, self.target, self.rare_boost = model, method, target, float(rare_boost)
        self._labels: pd.Series | None = None

    def fit(self, frame: pd.DataFrame) -> "DeepGenerator":
        if self.target is not None and self.target not in frame.columns:
            raise InputError(f"no column {self.target!r} in the real table", field="--target")
        self._labels = frame[self.target] if self.target is not None else None
        self.model.fit(frame)
        return self

    def sample(self, n: int, seed: int | None = None) -> pd.DataFrame:
        quotas = class_quotas(self._labels, n, self.rare_boost) if self._labels is not None else None
        return self.model.sample(n, seed=seed, quotas=quotas)

    def metadata(self) -> dict[str, Any]:
        """The generator metadata ``tabular.dp_epsilon_delta`` reads (``--generator-meta``, survey section 4.3):
        the DP budget spent in training (``dp.PrivateTraining.metadata``) or epsilon ``none``, with the method,
        epochs, batch size and training seed."""
        model = self.model
        budget = model.dp_metadata() or {"epsilon": "none", "why": "trained without DP-SGD"}
        return {**budget, "method": self.method, "generator": type(model).__name__, "epochs": model.epochs,
                "batch_size": model.batch_size, "seed": model.seed}


def training_folder(out: Any) -> Any:
    """Where a deep generator's loss log goes: ``<out without suffix>.training/`` beside the generated table."""
    from pathlib import Path

    out = Path(out)
    return out.with_name(out.name.split(".")[0] + ".training")


def sample_saved(generator: "DeepGenerator", folder: Any, real: pd.DataFrame, n: int, seed: int) -> pd.DataFrame:
    """``n`` rows from a deep model saved with ``save`` (no training); ``real`` must have the model's columns."""
    model = type(generator.model).load(folder)
    columns = [str(c) for c in real.columns]
    if model.columns != columns:
        raise InputError(f"the saved model was trained on columns {', '.join(model.columns)}; --real has "
                         f"{', '.join(columns)}", file=str(folder))
    if generator.rare_boost > 0:
        raise UsageError("--rare-boost needs the real labels: it applies when training, not to a saved model",
                         field="--rare-boost")
    generator.model = model  # its metadata (the DP budget spent in training) describes the rows
    seed_everything(seed)
    return model.sample(n, seed=seed + 1)  # seed + 1: what the training run sampled with the same --seed


def _as_frame(raw: Any, columns: list[str], name: str) -> pd.DataFrame:
    if isinstance(raw, pd.DataFrame):
        return raw.reset_index(drop=True)
    if isinstance(raw, np.ndarray) and raw.ndim == 2 and raw.shape[1] == len(columns):
        return pd.DataFrame(raw, columns=columns)
    if isinstance(raw, list) and all(isinstance(r, dict) for r in raw):
        return pd.DataFrame.from_records(raw)
    if hasattr(raw, "dataframe") and callable(raw.dataframe):  # synthcity GenericDataLoader
        return raw.dataframe().reset_index(drop=True)
    raise InputError(f"generator {name} returned {type(raw).__name__} from sample(); expected a DataFrame, a 2-D "
                     "array with one column per real column, or a list of row objects")


def seed_everything(seed: int) -> None:
    """Seed Python, numpy's legacy global state and torch (when already imported)."""
    import sys

    random.seed(seed)
    np.random.seed(seed % (2 ** 32))
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.manual_seed(seed)


def make_generator(method: str, *, seed: int = 0, target: str | None = None, rare_boost: float = 0.0,
                   client: Any = None, **params: Any) -> Any:
    """A generator by name: ``gaussian_copula``, ``llm`` or ``package.module:Class`` (built with ``params``).

    With ``target`` and ``rare_boost`` > 0, non-LLM generators are fitted per class (``ClassConditional``);
    the LLM generator prompts per class itself."""
    if method == "llm":
        from synthaudit.generate.tabular_llm import LLMTabularGenerator

        if client is None:
            from synthaudit.models.llm import LLMClient

            client = LLMClient()
        return LLMTabularGenerator(client, seed=seed, target=target, rare_boost=rare_boost, **params)
    if method in DEEP_METHODS:
        module, _, attr = DEEP_METHODS[method].partition(":")
        cls = getattr(importlib.import_module(module), attr)
        try:
            model = cls(seed=seed, target=target, **params)
        except TypeError as exc:
            raise UsageError(f"{method}: {exc}", field="--param") from None
        return DeepGenerator(model, method, target, rare_boost)
    if method == "gaussian_copula":
        if params:
            raise UsageError(f"gaussian_copula takes no parameters, got {', '.join(sorted(params))}")

        def factory(s: int) -> Any:
            return GaussianCopula(seed=s)
    elif ":" in method:
        module, _, attr = method.partition(":")
        try:
            cls = getattr(importlib.import_module(module), attr)
        except (ImportError, AttributeError) as exc:
            raise UsageError(f"cannot import generator {method!r} ({exc})", field="method") from None

        def factory(s: int) -> Any:
            return FitSampleAdapter(cls(**params), name=method)
    else:
        raise UsageError(f"unknown generator method {method!r}; expected one of {', '.join(METHODS)} or "
                         "'package.module:Class' (any class with fit(frame) and sample(n))", field="--method")
    if target and rare_boost > 0:
        return ClassConditional(factory, target, rare_boost, seed)
    return factory(seed)


def generate_tabular(generator: Any, real: pd.DataFrame, n: int, seed: int = 0,
                     on_step: Callable[[str], None] | None = None) -> pd.DataFrame:
    """Fit ``generator`` on ``real`` and sample ``n`` rows with the real columns, in the real order.

    ``generator``: any object with ``fit(frame)`` and ``sample(n)`` (wrapped in :class:`FitSampleAdapter`
    unless it is one of this package's generators). ``on_step("fit")`` / ``on_step("sample")`` announce the
    steps (the CLI's progress display)."""
    if n < 1:
        raise UsageError(f"--n must be at least 1, got {n}", field="--n")
    if len(real) == 0:
        raise InputError("the real table has no rows to learn from", field="--real")
    if not isinstance(generator, (FitSampleAdapter, GaussianCopula, ClassConditional, DeepGenerator)) and \
            type(generator).__name__ != "LLMTabularGenerator":
        generator = FitSampleAdapter(generator)
    seed_everything(seed)
    if on_step is not None:
        on_step("fit")
    generator.fit(real)
    if on_step is not None:
        on_step("sample")
    out = generator.sample(n)
    if not isinstance(out, pd.DataFrame):
        out = _as_frame(out, [str(c) for c in real.columns], type(generator).__name__)
    missing = [c for c in real.columns if c not in out.columns]
    if missing:
        raise InputError(f"the generator's rows lack column(s) {', '.join(map(str, missing[:8]))}")
    return out[list(real.columns)].reset_index(drop=True)


WRITE_FORMATS = {".csv": "csv", ".tsv": "tsv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json",
                 ".parquet": "parquet", ".pq": "parquet"}


def output_format(path: Any) -> str:
    """The format to write ``path`` in, from its extension (UsageError for an unknown one)."""
    from pathlib import Path

    fmt = WRITE_FORMATS.get(Path(path).suffix.lower())
    if fmt is None:
        raise UsageError(f"cannot tell the output format from {Path(path).suffix or '(no extension)'!r}; use "
                         f"{', '.join(WRITE_FORMATS)}", file=str(path), field="--out")
    return fmt


def write_frame(frame: pd.DataFrame, path: Any) -> None:
    """Write a generated table as CSV/TSV, JSON Lines, JSON (array of objects) or Parquet, by extension."""
    from pathlib import Path

    path = Path(path)
    fmt = output_format(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt in ("csv", "tsv"):
        frame.to_csv(path, index=False, sep="," if fmt == "csv" else "\t")
    elif fmt == "jsonl":
        frame.to_json(path, orient="records", lines=True, force_ascii=False, date_format="iso")
    elif fmt == "json":
        frame.to_json(path, orient="records", force_ascii=False, date_format="iso", indent=1)
    else:
        frame.to_parquet(path, index=False)
