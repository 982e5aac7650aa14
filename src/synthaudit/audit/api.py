"""The Python API: ``synthaudit.audit(modality, synthetic=..., real=..., **options) -> AuditReport``.

The modality's options are its registered options object (``synthaudit.modalities``); the keywords below are
the ones every audit shares. The steps are public for the commands that run part of an audit (``filter``):
:func:`options_for` -> :func:`prepare_inputs` -> :func:`resolve_models` -> plan and run -> :func:`finish`.
"""
from __future__ import annotations

import time
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable

from synthaudit.audit.engine import DEFAULT_BATCH_SIZE, run_plan
from synthaudit.audit.execution import Execution
from synthaudit.audit.reservoir import DEFAULT_SAMPLE_SIZE
from synthaudit.audit.params import check_params
from synthaudit.audit.plan import make_plan, validate_selection
from synthaudit.audit.reference import Reference, reference_values
from synthaudit.errors import UsageError
from synthaudit.modalities import LoadOptions, ModalityInputs, get_modality
from synthaudit.modalities.registry import make_inputs
from synthaudit.models import Models

if TYPE_CHECKING:  # the report model (pydantic) and its assembly load on first use: `import synthaudit` stays light
    from synthaudit.audit.execution import Checkpoint
    from synthaudit.audit.policy import Gate
    from synthaudit.data.inputs import AuditInputs
    from synthaudit.report.model import AuditReport

#: the model options of ``models=`` (and of the CLI flags --embedder, --lm, ...)
MODEL_OPTIONS = ("embedder", "lm", "toxicity", "acceptability", "nli", "judge", "base_url", "image_features", "clip",
                 "video_features", "flow", "frame_quality", "lpips")


def audit(modality: str | ModalityInputs = "tabular", *, synthetic: Any = None, real: Any = None,
          policy: Any = None, metrics: Iterable[str] | None = None, dimensions: Iterable[str] | None = None,
          seed: int = 0, params: dict[str, dict[str, Any]] | None = None,
          models: Models | dict[str, str] | None = None, out: str | Path | None = None,
          progress: bool | None = False, stream: bool = False, batch_size: int = DEFAULT_BATCH_SIZE,
          fmt: str | None = None, encoding: str = "utf-8", command: str | None = None,
          engine: str = "local", ray_address: str | None = None, workers: int | None = None,
          sample_size: int = DEFAULT_SAMPLE_SIZE, checkpoint: Any = None, **options: Any) -> AuditReport:
    """Audit synthetic data against real data; returns an :class:`AuditReport` (and writes it to ``out``).

    modality: a modality name ("tabular", "text", "dialogue", ...; ``synthaudit.modalities.names()``), or a
        typed options object such as ``TabularInputs(synthetic=..., real=..., target="y")`` that holds the data
        and the modality's options (then give neither ``synthetic``/``real`` nor ``**options`` here).
    synthetic, real: file paths (CSV/TSV, Parquet, JSON Lines, JSON, the modality's own formats), pandas
        DataFrames, pyarrow Tables, Hugging Face datasets (a split, or a ``save_to_disk`` folder), or iterables
        of DataFrames (streamed; see ``stream`` for files).
    **options: the modality's options (``synthaudit audit <modality> --help`` lists them with their help),
        e.g. tabular ``holdout``, ``target``, ``protected``, ``constraints``; text ``field``, ``prompt_field``,
        ``rules``; dialogue ``turns_field``, ``user_roles``. An option of another modality, or a misspelt one,
        is refused with the list of valid ones.
    policy: a gates YAML path or a dict ``{metric_id: {min:, max:}}``.
    metrics / dimensions: restrict what runs (others are listed as gaps, 'not selected').
    params: per-metric parameter overrides, e.g. ``{"tabular.chi2": {"pass_threshold": 0.05}}``.
    models: a :class:`Models`, or a dict naming backends that replace the offline defaults, e.g.
        ``{"judge": "openai:gpt-4o-mini", "base_url": "http://localhost:8000/v1", "nli": "path/to/nli"}``
        (keys: embedder, lm, toxicity, acceptability, nli, judge, base_url).
    stream / batch_size / fmt / encoding: how input files are read (``stream``: in batches, memory bounded by
        the batch size; the global metrics then see a seeded sample of ``sample_size`` rows per table).
    engine / ray_address / workers: ``"ray"`` computes shard states on a Ray cluster (``ray_address``; None
        starts a local one) with ``workers`` actors; see :mod:`synthaudit.audit.execution`.
    checkpoint: a folder for per-shard states (default: ``<out>/.synthaudit-checkpoint`` when the audit streams
        and ``out`` is given; False: none): a killed audit re-run with the same arguments resumes there.
    """
    started = datetime.now(timezone.utc)
    t0 = time.perf_counter()
    opts = options_for(modality, synthetic=synthetic, real=real, **options)
    metrics = [m.strip() for m in metrics if m.strip()] if metrics else None
    dimensions = [d.strip() for d in dimensions if d.strip()] if dimensions else None
    validate_selection(opts.modality, metrics, dimensions)
    params = check_params(params)
    gates, policy_source = _gates(policy)
    execution = Execution(engine=engine, ray_address=ray_address, workers=workers, sample_size=sample_size,
                          checkpoint=checkpoint)
    if execution.distributed:  # the actors start while the inputs are prepared (ray_engine.WarmPool)
        from synthaudit.audit.ray_engine import WarmPool

        execution = replace(execution, pool=WarmPool(execution, opts.modality))
    try:
        inputs = prepare_inputs(opts, seed=seed, params=params, stream=stream, fmt=fmt, encoding=encoding)
        models = resolve_models(models)
        plan = make_plan(inputs, models, metrics=metrics, dimensions=dimensions)
        store = open_checkpoint(execution, out, stream, opts, inputs, models, plan, batch_size)
        runs = run_plan(plan, inputs, models, batch_size=batch_size, progress=progress, execution=execution,
                        checkpoint=store)
    finally:  # an audit that fails before its shards (a bad input) leaves no actors behind
        if execution.pool is not None:
            execution.pool.close()
    reference = reference_values(opts, plan, models, load=LoadOptions(fmt=fmt, encoding=encoding, stream=stream),
                                 seed=seed, params=params, batch_size=batch_size, progress=progress)
    report = finish(inputs, models, plan, runs, gates=gates, policy_source=policy_source, started=started, t0=t0,
                    command=command, out=out, reference=reference)
    if store is not None:
        store.done()
    return report


def open_checkpoint(execution: Execution, out: Any, stream: bool, opts: ModalityInputs, inputs: "AuditInputs",
                    models: Models, plan: Any, batch_size: int) -> "Checkpoint | None":
    """The checkpoint of this audit (None when it keeps none, or when a one-shot stream cannot be named)."""
    from synthaudit._version import __version__
    from synthaudit.audit.execution import Checkpoint, checkpoint_folder

    folder = checkpoint_folder(execution, out, stream)
    if folder is None:
        return None
    data = {role: t.fingerprint() for role, t in inputs.tables.items()}
    if any(v is None for v in data.values()):
        inputs.warnings.append("no checkpoint: a one-shot stream has no fingerprint to resume from")
        return None
    other = {k: repr(v) for k, v in opts.as_dict().items() if k not in ("synthetic", "real")}
    parts = {"version": __version__, "modality": opts.modality, "data": data, "options": other,
             "metrics": [m.id for m in plan.run], "params": inputs.params, "seed": inputs.seed,
             "batch_size": batch_size, "models": models.describe()}
    return Checkpoint(folder, Checkpoint.key(parts), inputs, models)


def options_for(modality: str | ModalityInputs, *, synthetic: Any = None, real: Any = None,
                **options: Any) -> ModalityInputs:
    """The modality's options object from keywords (checked: unknown options name the valid ones)."""
    if isinstance(modality, ModalityInputs):
        extra = [k for k, v in (("synthetic", synthetic), ("real", real)) if v is not None] + list(options)
        if extra:
            raise UsageError(f"the data and options are in the {type(modality).__name__} object; do not also pass "
                             f"{', '.join(extra)}")
        get_modality(modality.modality)  # registered
        return modality
    if not isinstance(modality, str):
        raise UsageError(f"expected a modality name or an options object such as TabularInputs, got "
                         f"{type(modality).__name__}")
    validate_selection(modality, None, None)
    return make_inputs(get_modality(modality), {"synthetic": synthetic, "real": real, **options})


def prepare_inputs(opts: ModalityInputs, *, seed: int = 0, params: dict[str, dict[str, Any]] | None = None,
                   stream: bool = False, fmt: str | None = None, encoding: str = "utf-8") -> "AuditInputs":
    """Load and check the inputs with the modality's ``prepare`` hook."""
    prepare = get_modality(opts.modality).hook("prepare")
    return prepare(opts, LoadOptions(fmt=fmt, encoding=encoding, stream=stream), seed, dict(params or {}))


def resolve_models(models: Models | dict[str, str] | None) -> Models:
    """A :class:`Models` from a dict of backend names (None values keep the offline defaults)."""
    if isinstance(models, Models):
        return models
    options = {k: v for k, v in (models or {}).items() if v is not None}
    unknown = sorted(set(options) - set(MODEL_OPTIONS))
    if unknown:
        raise UsageError(f"unknown model option(s) {', '.join(unknown)}; expected {', '.join(MODEL_OPTIONS)}")
    if options.get("base_url") and not str(options.get("judge", "")).startswith("openai:"):
        raise UsageError("--base-url names an OpenAI-compatible endpoint for --judge openai:MODEL",
                         field="--base-url")
    return Models.default(**options)


def finish(inputs: "AuditInputs", models: Models, plan: Any, runs: list, *, gates: list[Gate] | None = None,
           policy_source: str | None = None, started: datetime | None = None, t0: float | None = None,
           command: str | None = None, out: str | Path | None = None,
           reference: Reference | None = None) -> AuditReport:
    """Check the gates, build the report and write it (when ``out`` is given). ``reference``: the reference
    run's values (:mod:`synthaudit.audit.reference`), shown beside each metric and used by relative gates."""
    from synthaudit.audit.assemble import build_report
    from synthaudit.audit.policy import evaluate

    started = started or datetime.now(timezone.utc)
    t0 = time.perf_counter() if t0 is None else t0
    gate_results = None
    if gates is not None:
        values = {r.metric.id: {"value": r.result.value if r.result else None,
                                **(r.result.secondary if r.result else {})} for r in runs}
        status = {r.metric.id: f"failed: {r.error}" for r in runs if r.status == "failed"}
        status.update({g.id: f"{g.kind.replace('_', ' ')}: {g.reason}" for g in plan.gaps})
        gate_results = evaluate(gates, values, status, reference.values if reference else None,
                                no_reference=reference.note if reference else "this audit has no reference run")
    report = build_report(inputs=inputs, models=models, plan=plan, runs=runs, gate_results=gate_results,
                          policy_source=policy_source, started=started.isoformat(timespec="seconds"),
                          finished=datetime.now(timezone.utc).isoformat(timespec="seconds"),
                          duration=time.perf_counter() - t0, command=command, reference=reference)
    if out is not None:
        report.write(out)
    return report


def _gates(policy: Any) -> "tuple[list[Gate] | None, str | None]":
    from synthaudit.audit.policy import load_policy, parse_policy

    if policy is None:
        return None, None
    if isinstance(policy, dict):
        return parse_policy(policy, "policy"), "inline"
    return load_policy(policy), str(policy)
