"""The Python API: ``synthaudit.audit(modality, synthetic=..., real=..., ...) -> AuditReport``."""
from __future__ import annotations

import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable

from synthaudit.audit.assemble import build_report
from synthaudit.audit.engine import DEFAULT_BATCH_SIZE, run_plan
from synthaudit.audit.params import check_params
from synthaudit.audit.plan import make_plan, validate_selection
from synthaudit.audit.policy import Gate, evaluate, load_policy, parse_policy
from synthaudit.errors import UsageError
from synthaudit.models import Models
from synthaudit.report.model import AuditReport

IMPLEMENTED_MODALITIES = ("tabular", "text", "dialogue")


def audit(modality: str = "tabular", *, synthetic: Any, real: Any = None, holdout: Any = None, train: Any = None,
          target: str | None = None, protected: str | None = None, sensitive: str | None = None,
          schema: Any = None, constraints: Any = None, infer_constraints: bool = False,
          generator_meta: Any = None, field: str | None = None, prompt_field: str | None = None,
          reference_field: str | None = None, evidence_field: str | None = None, samples_field: str | None = None,
          human_field: str | None = None, rules: Any = None, turns_field: str | None = None,
          role_field: str | None = None, content_field: str | None = None, user_roles: Any = None,
          assistant_roles: Any = None, na_values: Iterable[str] | None = None,
          policy: Any = None,
          metrics: Iterable[str] | None = None, dimensions: Iterable[str] | None = None, seed: int = 0,
          params: dict[str, dict[str, Any]] | None = None, models: Models | dict[str, str] | None = None,
          out: str | Path | None = None, progress: bool | None = False, stream: bool = False,
          batch_size: int = DEFAULT_BATCH_SIZE, fmt: str | None = None, delimiter: str | None = None,
          encoding: str = "utf-8", command: str | None = None) -> AuditReport:
    """Audit synthetic data against real data; returns an :class:`AuditReport` (and writes it to ``out``).

    synthetic, real, holdout, train: file paths (CSV/TSV, Parquet, JSON Lines, JSON), pandas DataFrames,
        or iterables of DataFrames (streamed; see ``stream`` for files).
    target / protected: label and protected-attribute column names; sensitive: the column an
        attribute-inference attacker tries to recover (default: protected).
    schema: a table spec (YAML path or dict) overriding inferred column types (may hold 'constraints').
    constraints: validity constraints (YAML path, list or dict); infer_constraints: infer them from real data.
    generator_meta: generator metadata such as the DP budget (JSON/YAML path or dict).
    na_values: text markers of missing values in tabular inputs (e.g. ["?"]), besides empty cells and NA/NaN.
    field / prompt_field / reference_field / evidence_field / samples_field / human_field: text records'
        fields holding the text, its prompt, a reference, evidence snippets, K sampled continuations and
        human judgments; rules: IFEval-style instructions (JSONL joined on the prompt).
    turns_field / role_field / content_field / user_roles / assistant_roles: dialogue records (one per
        dialogue, its turns a list of {role, content}) and which raw role names are the user and the assistant.
    policy: a gates YAML path or a dict ``{metric_id: {min:, max:}}``.
    metrics / dimensions: restrict what runs (others are listed as gaps, 'not selected').
    params: per-metric parameter overrides, e.g. ``{"tabular.chi2": {"pass_threshold": 0.05}}``.
    models: a :class:`Models`, or a dict naming backends that replace the offline defaults, e.g.
        ``{"judge": "openai:gpt-4o-mini", "base_url": "http://localhost:8000/v1", "nli": "path/to/nli"}``
        (keys: embedder, lm, toxicity, acceptability, nli, judge, base_url).
    """
    started = datetime.now(timezone.utc)
    t0 = time.perf_counter()
    metrics = [m.strip() for m in metrics if m.strip()] if metrics else None
    dimensions = [d.strip() for d in dimensions if d.strip()] if dimensions else None
    validate_selection(modality, metrics, dimensions)
    if modality not in IMPLEMENTED_MODALITIES:
        raise UsageError(f"the {modality} audit is not implemented yet; implemented: "
                         f"{', '.join(IMPLEMENTED_MODALITIES)}"
                         f" (`synthaudit metrics --modality {modality}` lists its catalog)")
    params = check_params(params)
    gates, policy_source = _gates(policy)
    if modality == "dialogue":
        from synthaudit.data.dialogue import prepare_dialogue

        inputs = prepare_dialogue(synthetic=synthetic, real=real, turns_field=turns_field, role_field=role_field,
                                  content_field=content_field, user_roles=user_roles,
                                  assistant_roles=assistant_roles, reference_field=reference_field,
                                  evidence_field=evidence_field, human_field=human_field, seed=seed, params=params,
                                  stream=stream, fmt=fmt, encoding=encoding)
    elif modality == "text":
        from synthaudit.data.text import prepare_text

        inputs = prepare_text(synthetic=synthetic, real=real, field=field, prompt_field=prompt_field,
                              reference_field=reference_field, evidence_field=evidence_field,
                              samples_field=samples_field, human_field=human_field, rules=rules, seed=seed,
                              params=params, stream=stream, fmt=fmt, encoding=encoding)
    else:
        inputs = _prepare_tabular(synthetic=synthetic, real=real, holdout=holdout, train=train, target=target,
                                  protected=protected, sensitive=sensitive, schema=schema, constraints=constraints,
                                  infer_constraints=infer_constraints, generator_meta=generator_meta,
                                  na_values=na_values, seed=seed,
                                  params=params, stream=stream, fmt=fmt, delimiter=delimiter, encoding=encoding)
    models = _models(models)
    plan = make_plan(inputs, models, metrics=metrics, dimensions=dimensions)
    runs = run_plan(plan, inputs, models, batch_size=batch_size, progress=progress)
    return _finish(inputs, models, plan, runs, gates, policy_source, started, t0, command, out)


def _models(models: Models | dict[str, str] | None) -> Models:
    if isinstance(models, Models):
        return models
    options = {k: v for k, v in (models or {}).items() if v is not None}
    known = ("embedder", "lm", "toxicity", "acceptability", "nli", "judge", "base_url")
    unknown = sorted(set(options) - set(known))
    if unknown:
        raise UsageError(f"unknown model option(s) {', '.join(unknown)}; expected {', '.join(known)}")
    if options.get("base_url") and not str(options.get("judge", "")).startswith("openai:"):
        raise UsageError("--base-url names an OpenAI-compatible endpoint for --judge openai:MODEL",
                         field="--base-url")
    return Models.default(**options)


def _prepare_tabular(**kw):
    from synthaudit.data.tabular_inputs import prepare_tabular

    inputs = prepare_tabular(**kw)
    if inputs.constraints or inputs.infer_constraints:  # a bad constraint spec is a usage error (exit 2),
        from synthaudit.metrics.tabular.constraints import validate_constraints  # whatever metrics run

        validate_constraints(inputs)
    return inputs


def _finish(inputs, models, plan, runs, gates, policy_source, started, t0, command, out) -> AuditReport:
    """Check the gates, build the report and write it."""
    gate_results = None
    if gates is not None:
        values = {r.metric.id: {"value": r.result.value if r.result else None,
                                **(r.result.secondary if r.result else {})} for r in runs}
        status = {r.metric.id: f"failed: {r.error}" for r in runs if r.status == "failed"}
        status.update({g.id: f"{g.kind.replace('_', ' ')}: {g.reason}" for g in plan.gaps})
        gate_results = evaluate(gates, values, status)
    report = build_report(inputs=inputs, models=models, plan=plan, runs=runs, gate_results=gate_results,
                          policy_source=policy_source, started=started.isoformat(timespec="seconds"),
                          finished=datetime.now(timezone.utc).isoformat(timespec="seconds"),
                          duration=time.perf_counter() - t0, command=command)
    if out is not None:
        report.write(out)
    return report


def _gates(policy: Any) -> tuple[list[Gate] | None, str | None]:
    if policy is None:
        return None, None
    if isinstance(policy, dict):
        return parse_policy(policy, "policy"), "inline"
    return load_policy(policy), str(policy)
