"""The metric registry: ``register`` a spec whose fields and vocabulary are the catalog's.

Three computation kinds (DESIGN.md):
  * ``record``    -- a score per record, aggregated (mean); subclass :class:`RecordMetric`.
  * ``mergeable`` -- init / update(batch) / merge / finalize over sufficient statistics;
                     subclass :class:`MergeableMetric`. Streams and shards.
  * ``global``    -- a function ``fn(inputs, models) -> MetricResult`` over the whole sample.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping

import numpy as np

from synthaudit.catalog import COMPUTATIONS, DIMENSIONS, DIRECTIONS, MODALITIES
from synthaudit.metrics.result import MetricResult

if TYPE_CHECKING:
    import pandas as pd

    from synthaudit.data.inputs import AuditInputs
    from synthaudit.models import Models

Applicability = Callable[["AuditInputs"], "str | None"]


@dataclass(frozen=True)
class MetricSpec:
    """Catalog fields of a metric plus the code-side hooks the planner needs."""

    id: str
    name: str
    modality: str
    pillar: str
    dimension: str
    section: str
    direction: str
    range: tuple[float, float] | None
    inputs: tuple[str, ...]
    models: tuple[str, ...]
    computation: str
    target_value: float | None = None
    params: dict[str, Any] = field(default_factory=dict)
    applies: Applicability | None = None  # returns a reason when the metric cannot run on these data
    #: a check beyond the survey's catalog (e.g. duplicate rates); its id is ``<modality>.ext.<name>``
    extension: bool = False
    #: a metric that runs only when named in ``metrics=`` / ``--metrics`` (its cost, e.g. a model over every row);
    #: the text says why, and a default audit lists it as a 'not selected' gap with that reason
    opt_in: str | None = None
    #: the model kinds a run needs, from its parameters and the configured models, where the catalog's ``models``
    #: lists alternatives (e.g. a CLIP or a DINO image encoder): ``(params, models) -> kinds``; None: all of them
    needs: Callable[[dict[str, Any], "Models"], tuple[str, ...]] | None = None

    def __post_init__(self) -> None:
        problems = []
        if self.modality not in MODALITIES:
            from synthaudit.modalities.registry import modalities

            if self.modality not in modalities():
                problems.append(f"modality {self.modality!r} (neither in the catalog nor registered)")
        if self.pillar not in DIMENSIONS or self.dimension not in DIMENSIONS[self.pillar]:
            problems.append(f"pillar/dimension {self.pillar}/{self.dimension}")
        if self.direction not in DIRECTIONS:
            problems.append(f"direction {self.direction!r}")
        if self.computation not in COMPUTATIONS:
            problems.append(f"computation {self.computation!r}")
        if self.extension != (self.id.startswith(f"{self.modality}.ext.")):
            problems.append("extension ids (and only they) are spelled '<modality>.ext.<name>'")
        if (self.direction == "target") != (self.target_value is not None):
            problems.append("target_value must be given exactly when direction is 'target'")
        if problems:
            raise ValueError(f"metric {self.id}: invalid spec: {', '.join(problems)}")

    def default_params(self) -> dict[str, Any]:
        return {k: (v.get("default") if isinstance(v, dict) else v) for k, v in self.params.items()}

    def what_good_looks_like(self) -> str:
        lo, hi = self.range if self.range else (None, None)
        if self.direction == "lower_better":
            return f"lower is better (best {fmt_bound(lo)})" if lo is not None else "lower is better"
        if self.direction == "higher_better":
            return f"higher is better (best {fmt_bound(hi)})" if hi is not None else "higher is better"
        if self.direction == "target":
            return f"closest to {self.target_value:g} is best"
        return "reported for context: compare it with the baseline shown beside it"


def fmt_bound(x: float | None) -> str:
    return "∞" if x is not None and np.isinf(x) else f"{x:g}"


class MergeableMetric:
    """Base for ``mergeable`` metrics: state is a sufficient statistic that adds up across batches."""

    spec: MetricSpec
    #: input roles whose batches ``update`` consumes, e.g. ("real_reference", "synthetic").
    streams: tuple[str, ...] = ("synthetic",)

    def init(self, inputs: "AuditInputs", models: "Models") -> Any:
        raise NotImplementedError

    def update(self, state: Any, role: str, batch: "pd.DataFrame") -> Any:
        raise NotImplementedError

    def merge(self, a: Any, b: Any) -> Any:
        raise NotImplementedError

    def finalize(self, state: Any, inputs: "AuditInputs", models: "Models") -> MetricResult:
        raise NotImplementedError

    #: input roles whose part of the state can come from stored statistics instead of their rows (audit from
    #: statistics, e.g. ("real_reference",)); such a metric implements :meth:`state_from_statistics`
    statistics_roles: tuple[str, ...] = ()

    #: keys of the pre-passes (:mod:`synthaudit.metrics.prepass`) that :meth:`init` reads: on Ray the workers
    #: compute them from their file spans before any initial state is made
    prepasses: tuple[str, ...] = ()

    def state_from_statistics(self, inputs: "AuditInputs", models: "Models", statistics: Mapping[str, Any]) -> Any:
        """The state ``init`` gives, with the part of every role in ``statistics`` (role -> the modality's
        statistics object, see :func:`statistics_of`) filled from the statistics and a non-empty ``"statistics"``
        entry (the notes): the engine then streams the other roles only and finalizes as usual."""
        raise NotImplementedError

    def fixed_roles(self, state: Any) -> tuple[str, ...]:
        """The roles whose part of ``state`` came from statistics: ``merge`` keeps the running state's part of
        these and never adds the other's. Every shard starts from a copy of the initial state, so each shard
        state carries that part again; adding it would count the statistics once per shard."""
        return tuple(self.statistics_roles) if isinstance(state, dict) and state.get("statistics") else ()

    def compute(self, inputs: "AuditInputs", models: "Models", batch_size: int | None = None) -> MetricResult:
        """One-call convenience: stream every role once (roles taken from statistics excepted) and finalize."""
        stats = statistics_for(self, inputs)
        state = self.state_from_statistics(inputs, models, stats) if stats else self.init(inputs, models)
        for role in self.streams:
            if role in stats:
                continue
            for batch in inputs.batches(role, batch_size):
                state = self.update(state, role, batch)
        return self.finalize(state, inputs, models)


class RecordMetric(MergeableMetric):
    """Base for ``record`` metrics: ``score(batch)`` gives one score per record; the value is their mean."""

    streams = ("synthetic",)

    def score(self, batch: Any, inputs: "AuditInputs", models: "Models") -> np.ndarray:
        raise NotImplementedError

    def init(self, inputs: "AuditInputs", models: "Models") -> Any:
        return {"scores": [], "inputs": inputs, "models": models}

    def update(self, state: Any, role: str, batch: Any) -> Any:
        state["scores"].append(np.asarray(self.score(batch, state["inputs"], state["models"]), dtype=float))
        return state

    def merge(self, a: Any, b: Any) -> Any:
        return {**a, "scores": a["scores"] + b["scores"]}

    def finalize(self, state: Any, inputs: "AuditInputs", models: "Models") -> MetricResult:
        scores = np.concatenate(state["scores"]) if state["scores"] else np.array([])
        defined = scores[~np.isnan(scores)]
        value = float(defined.mean()) if defined.size else None
        return MetricResult(value=value, record_scores=scores,
                            notes={"n_records": int(scores.size), "n_undefined": int(scores.size - defined.size)})


#: key of ``AuditInputs.extra`` holding the statistics of an audit from statistics: {role: statistics object}.
#: A statistics object stands for the rows of the roles in its ``stands_for`` (e.g. real_reference and train);
#: a metric that needs one of them and cannot take its state from the statistics is a gap with the object's
#: ``gap_reason`` (e.g. "needs the real rows (audit from statistics)").
STATISTICS = "statistics"


def statistics_of(inputs: "AuditInputs") -> dict[str, Any]:
    """The statistics of an audit from statistics (role -> statistics object); empty for an audit of rows."""
    return dict((getattr(inputs, "extra", None) or {}).get(STATISTICS) or {})


def statistics_for(impl: Any, inputs: "AuditInputs") -> dict[str, Any]:
    """The statistics a metric implementation takes its state from in this audit: the roles it streams that
    statistics stand in for and that it declares in ``statistics_roles`` (empty: it streams every role)."""
    if not isinstance(impl, MergeableMetric):
        return {}
    return {role: s for role, s in statistics_of(inputs).items()
            if role in impl.streams and role in impl.statistics_roles}


@dataclass
class RegisteredMetric:
    spec: MetricSpec
    impl: Any  # a function (global) or a MergeableMetric instance (mergeable / record)

    @property
    def id(self) -> str:
        return self.spec.id

    @property
    def streaming(self) -> bool:
        return isinstance(self.impl, MergeableMetric)

    def run(self, inputs: "AuditInputs", models: "Models") -> MetricResult:
        if self.streaming:
            return self.impl.compute(inputs, models)
        return self.impl(inputs, models)


_REGISTRY: dict[str, RegisteredMetric] = {}


def register(*, id: str, name: str, modality: str, pillar: str, dimension: str, section: str,
             direction: str, range: tuple[float, float] | None, inputs: Iterable[str],
             models: Iterable[str] = ("none",), computation: str, target_value: float | None = None,
             params: dict[str, Any] | None = None, applies: Applicability | None = None,
             extension: bool = False, opt_in: str | None = None,
             needs: Callable[[dict[str, Any], "Models"], tuple[str, ...]] | None = None,
             registry: dict[str, RegisteredMetric] | None = None):
    """Decorator registering a metric function (global) or a MergeableMetric/RecordMetric class.

    ``extension=True`` marks a check beyond the catalog (id ``<modality>.ext.<name>``): it runs and is
    reported like the others, but does not count toward the survey's coverage of a dimension."""
    spec = MetricSpec(id=id, name=name, modality=modality, pillar=pillar, dimension=dimension,
                      section=section, direction=direction, range=range, inputs=tuple(inputs),
                      models=tuple(models), computation=computation, target_value=target_value,
                      params=dict(params or {}), applies=applies, extension=extension, opt_in=opt_in,
                      needs=needs)
    target = _REGISTRY if registry is None else registry

    def decorate(obj):
        if isinstance(obj, type) and issubclass(obj, MergeableMetric):
            if computation == "global":
                raise ValueError(f"{id}: a MergeableMetric class cannot be registered as 'global'")
            instance = obj()
            instance.spec = spec
            impl = instance
        elif callable(obj):
            if computation != "global":
                raise ValueError(f"{id}: a '{computation}' metric must subclass MergeableMetric/RecordMetric")
            impl = obj
        else:
            raise TypeError(f"{id}: cannot register {obj!r}")
        if spec.id in target:
            raise ValueError(f"metric {spec.id} registered twice")
        target[spec.id] = RegisteredMetric(spec=spec, impl=impl)
        obj.spec = spec
        return obj

    return decorate


def _range_text(r: tuple[float, float] | None) -> str | None:
    return None if r is None else f"[{fmt_bound(r[0]).replace('∞', 'inf')},{fmt_bound(r[1]).replace('∞', 'inf')}]"


def metric_entries() -> dict[str, dict[str, Any]]:
    """Catalog entries plus the registered extension checks (same keys, ``extension: True``) and the metrics of
    plugin modalities the catalog does not have (their own catalog)."""
    from synthaudit.catalog import catalog_entries

    entries = dict(catalog_entries())
    order = {name: i for i, name in enumerate(MODALITIES)}
    # extensions in a fixed order (modality as in the catalog, then id), whatever order the packages were imported
    for mid, m in sorted(all_metrics().items(), key=lambda kv: (order.get(kv[1].spec.modality, len(order)), kv[0])):
        if m.spec.extension or (m.spec.modality not in MODALITIES and mid not in entries):
            s = m.spec
            entries[mid] = {"id": mid, "name": s.name, "modality": s.modality, "pillar": s.pillar,
                            "dimension": s.dimension, "section": s.section, "direction": s.direction,
                            "range": _range_text(s.range), "inputs": list(s.inputs), "models": list(s.models),
                            "computation": s.computation, "params": s.params, "extension": s.extension,
                            "definition": (m.impl.__doc__ or "").strip()}
    return entries


def all_metrics() -> dict[str, RegisteredMetric]:
    """All registered metrics (imports every modality package on first use)."""
    from synthaudit.metrics import load_all

    load_all()
    return _REGISTRY


def metrics_of(ids: list[str], modules: list[str]) -> dict[str, RegisteredMetric]:
    """The registered metrics ``ids`` after importing only ``modules``, the modules that register them (a Ray
    worker needs these: importing every modality's metrics costs 1.5 CPU s, the tabular ones 0.6); every
    modality's when one is still missing."""
    for module in modules:
        importlib.import_module(module)
    if any(i not in _REGISTRY for i in ids):
        all_metrics()
    return {i: _REGISTRY[i] for i in ids}


def get(metric_id: str) -> RegisteredMetric:
    reg = all_metrics()
    if metric_id not in reg:
        raise KeyError(metric_id)
    return reg[metric_id]
