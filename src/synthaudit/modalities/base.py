"""What a modality plugin declares (DESIGN.md, 'modalities/'): its options object and its hooks.

A modality is one data type of the survey (text, tabular, ...). The engine, the CLI, ``filter``, ``track``,
``demo`` and the report find everything modality-specific here, never by ``if modality == ...``:

* an **options object** (a dataclass subclassing :class:`ModalityInputs`) whose fields are the modality's
  inputs; each field carries its help text, its CLI flag, the input role it provides and how a value is
  checked (:func:`option`). ``synthaudit.audit("text", synthetic=..., field=...)`` builds it from keywords
  and ``synthaudit.audit(TextInputs(...))`` takes it as it is; the CLI builds its options from the fields;
* **hooks**, named as ``"package.module:function"`` strings so that declaring a modality imports nothing
  heavy (``synthaudit --help`` stays fast) and nothing above this package: preparing inputs, report
  figures, generators, the demo section, collapse signatures, filter checks.
"""
from __future__ import annotations

import dataclasses
import importlib
import os
from dataclasses import dataclass, field
from typing import Any, Callable, ClassVar, Mapping

from synthaudit.errors import UsageError

#: how an option's value is checked (API) and typed (CLI)
KINDS = ("data", "file", "config", "str", "bool", "int", "float", "list")


def option(default: Any = None, help: str = "", *, kind: str = "str", flag: str | None = None,
           short: str | None = None, role: str | None = None) -> Any:
    """A field of an options object.

    kind: ``data`` (a file path, DataFrame, Arrow table, HF dataset or iterable of batches), ``file`` (a path),
    ``config`` (a path, or the parsed mapping/list), ``str``, ``bool``, ``int``, ``float`` or ``list`` (of
    strings; comma-separated text is split). flag: the CLI flag (default ``--name-with-dashes``).
    role: the input role (catalog vocabulary) that this option provides when given."""
    if kind not in KINDS:
        raise ValueError(f"unknown option kind {kind!r}; expected one of {', '.join(KINDS)}")
    meta = {"help": help, "kind": kind, "flag": flag, "short": short, "role": role}
    if isinstance(default, (list, dict, set)):
        return field(default_factory=lambda: type(default)(default), metadata=meta)
    return field(default=default, metadata=meta)


@dataclass(frozen=True)
class OptionInfo:
    """One option of a modality, as the API, the CLI and the docs see it."""

    name: str
    help: str
    kind: str
    flag: str
    short: str | None
    role: str | None
    default: Any


@dataclass(kw_only=True)
class ModalityInputs:
    """Base of every modality's options object: the data to audit and the real data to compare with.

    Subclasses set ``modality`` and add their own fields with :func:`option` (redeclaring ``synthetic`` or
    ``real`` to give them modality-specific help)."""

    modality: ClassVar[str] = ""

    synthetic: Any = option(None, "The synthetic data to audit.", kind="data", short="-s", role="synthetic")
    real: Any = option(None, "Real data to compare with.", kind="data", short="-r", role="real_reference")

    def __post_init__(self) -> None:
        for info in options_of(type(self)):
            setattr(self, info.name, check_value(info, getattr(self, info.name), self.modality))

    @classmethod
    def option_names(cls) -> list[str]:
        return [f.name for f in dataclasses.fields(cls)]

    def given(self) -> dict[str, Any]:
        """The options whose value differs from the default (what the user chose)."""
        return {i.name: getattr(self, i.name) for i in options_of(type(self))
                if not _same(getattr(self, i.name), i.default)}

    def as_dict(self) -> dict[str, Any]:
        return {i.name: getattr(self, i.name) for i in options_of(type(self))}


def _same(a: Any, b: Any) -> bool:
    try:
        return a is b or bool(a == b)
    except Exception:  # DataFrames and arrays do not compare to a bool
        return False


def options_of(cls: type[ModalityInputs]) -> list[OptionInfo]:
    """The options of an options class, in declaration order."""
    out = []
    for f in dataclasses.fields(cls):
        meta = f.metadata
        default = f.default if f.default is not dataclasses.MISSING else (
            f.default_factory() if f.default_factory is not dataclasses.MISSING else None)
        out.append(OptionInfo(name=f.name, help=meta.get("help", ""), kind=meta.get("kind", "str"),
                              flag=meta.get("flag") or "--" + f.name.replace("_", "-"), short=meta.get("short"),
                              role=meta.get("role"), default=default))
    return out


def check_value(info: OptionInfo, value: Any, modality: str) -> Any:
    """The value of one option, checked against its kind (comma-separated text becomes a list)."""
    if value is None:
        return None
    kind = info.kind

    def bad(expected: str) -> UsageError:
        return UsageError(f"{modality} option {info.name} expects {expected}, got {type(value).__name__} "
                          f"{value!r:.60}", field=info.flag)

    if kind == "str":
        if not isinstance(value, str):
            raise bad("text")
    elif kind == "bool":
        if not isinstance(value, bool):
            raise bad("true or false")
    elif kind == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            raise bad("an integer")
    elif kind == "float":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise bad("a number")
        value = float(value)
    elif kind == "list":
        if isinstance(value, str):
            value = [v.strip() for v in value.split(",") if v.strip()]
        elif isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
            value = list(value)
        else:
            raise bad("a list of strings (or comma-separated text)")
    elif kind == "file":
        if not isinstance(value, (str, os.PathLike)):
            raise bad("a file path")
    return value


def resolve(hook: str | Callable | None) -> Callable | None:
    """The function a ``"package.module:function"`` hook names (a callable is returned as it is)."""
    if hook is None or callable(hook):
        return hook
    module, _, attr = hook.partition(":")
    return getattr(importlib.import_module(module), attr)


@dataclass(frozen=True)
class FilterSpec:
    """How ``synthaudit filter`` uses a modality's metrics (survey stage 3: filter).

    aliases: short check names -> metric ids; defaults: the checks run when none is named;
    record_scored: metrics outside the ``record`` kind that still keep one score per record;
    thresholds: metric id -> (op, value) where the generic default (0.5 on a 0-1 flag) does not fit;
    custom: check ids that are not metrics -> hook ``(inputs, models) -> scores`` (one per record);
    options: the options object's fields the filter's inputs take (others are refused)."""

    aliases: Mapping[str, str] = field(default_factory=dict)
    defaults: tuple[str, ...] = ()
    record_scored: frozenset[str] = frozenset()
    thresholds: Mapping[str, tuple[str, float]] = field(default_factory=dict)
    custom: Mapping[str, str] = field(default_factory=dict)
    options: tuple[str, ...] = ()


@dataclass(frozen=True)
class TrackSpec:
    """How ``synthaudit track`` follows generations of this modality (survey section 8.1).

    metrics: the metric series followed by default; signatures: hook
    ``(real, generations, seed, read_options) -> CollapseSignatures | None`` for data signatures beyond
    the metrics (see ``synthaudit.analysis.track``)."""

    metrics: tuple[str, ...]
    signatures: str | None = None


@dataclass(frozen=True)
class Modality:
    """A registered data type. Hooks are ``"package.module:function"`` strings (see :func:`resolve`).

    prepare: ``(inputs: ModalityInputs, load: LoadOptions, seed, params) -> AuditInputs``.
    report_figures: ``(metrics: list[MetricEntry][, inputs: AuditInputs | None]) -> list[dict]`` plot specs, each
        with a ``dimension``, drawn by the report beside that dimension's metrics (a hook taking the second
        argument gets the audit's data; None when a stored report.json is rendered again).
    generate_command: a Typer command function mounted as ``synthaudit generate <name>``.
    profile: a Typer command function mounted as ``synthaudit profile <name>``: it writes the statistics of real
        data that an audit from statistics reads instead of the rows (e.g. ``audit tabular --real-stats``).
    pipeline_generator: ``(gen_cfg, cfg, out_dir, n, seed) -> Path`` of generated records for ``pipeline``.
    reference: ``(inputs: ModalityInputs) -> (ModalityInputs | None, str)``: the options of a reference audit
        (real data in the synthetic role, e.g. the tabular holdout against the training data), whose fidelity and
        diversity values are shown beside the synthetic data's as what "good" looks like for this data set; None
        and the reason when there is no reference (said once in the report).
    demo: ``(ctx: DemoContext) -> list[DemoEntry]``, this modality's section of ``synthaudit demo``.
    raw_lines: ``(path, fmt, encoding) -> list[str] | None``, the records ``filter`` writes back, one per line.
    """

    name: str
    title: str
    section: str
    summary: str
    inputs: type[ModalityInputs]
    prepare: str
    metrics: str  # the package whose import registers the modality's metrics
    model_options: tuple[str, ...] = ()  # model backends the CLI offers (keys of synthaudit.models options)
    role_flags: Mapping[str, str] = field(default_factory=dict)  # roles provided otherwise than by one option
    text_lines: bool = False  # a .txt file holds one record per line
    filter: FilterSpec | None = None
    track: TrackSpec | None = None
    report_figures: str | None = None
    generate_command: str | None = None
    profile: str | None = None
    pipeline_generator: str | None = None
    reference: str | None = None
    #: the dimensions whose metrics get a value from the ``reference`` run
    reference_dimensions: tuple[str, ...] = ("fidelity", "diversity")
    #: per dimension, secondary values the scorecard shows beside the metrics' values ("<metric id>.<name>")
    headlines: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    demo: str | None = None
    docs: str | None = None  # docs/<name>.md
    #: ``(path, fmt, encoding) -> list[str] | None``: the records of a file as the lines ``filter`` writes back
    #: unchanged, where this modality reads a file line by line and the generic readers would not (a JSON Lines
    #: file with invalid lines, a raw .log file); None: the generic readers apply
    raw_lines: str | None = None

    def options(self) -> list[OptionInfo]:
        return options_of(self.inputs)

    def role_flag(self, role: str) -> str | None:
        """The flag that provides an input role for this modality (None when no option provides it)."""
        if role in self.role_flags:
            return self.role_flags[role]
        for info in self.options():
            if info.role == role:
                return info.flag
        return None

    def hook(self, name: str) -> Callable | None:
        return resolve(getattr(self, name))


@dataclass(frozen=True)
class LoadOptions:
    """How input files are read (common to every modality)."""

    fmt: str | None = None
    encoding: str = "utf-8"
    stream: bool = False
