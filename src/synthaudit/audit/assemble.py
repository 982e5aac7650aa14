"""Assemble an AuditReport from a plan's runs, gaps and gate results (scorecard by pillar x dimension)."""
from __future__ import annotations

import inspect
import json
import platform
import sys
from importlib import metadata
from typing import TYPE_CHECKING

import numpy as np

from synthaudit._version import __version__
from synthaudit.catalog import DIMENSIONS
from synthaudit.metrics.registry import metric_entries
from synthaudit.report.model import (AuditReport, GapEntry, GateEntry, InputEntry, MetricEntry, PolicyEntry,
                                     RunInfo, ScoreRow, jsonable)

if TYPE_CHECKING:
    from synthaudit.audit.engine import MetricRun
    from synthaudit.audit.plan import Plan
    from synthaudit.audit.policy import GateResult
    from synthaudit.audit.reference import Reference
    from synthaudit.data.inputs import AuditInputs
    from synthaudit.models import Models

PACKAGES = ("numpy", "scipy", "pandas", "scikit-learn", "pyarrow", "pydantic")


def package_versions() -> dict[str, str]:
    out = {}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    return out


def metric_entry(run: "MetricRun", inputs: "AuditInputs") -> MetricEntry:
    spec = run.metric.spec
    entry = metric_entries()[spec.id]
    r = run.result
    return MetricEntry(
        id=spec.id, name=spec.name, modality=spec.modality, pillar=spec.pillar, dimension=spec.dimension,
        section=spec.section, direction=spec.direction, range=entry.get("range"), target_value=spec.target_value,
        computation=spec.computation, good=spec.what_good_looks_like(), status=run.status,
        value=r.value if r else None, ci=list(r.ci) if r and r.ci else None,
        secondary=jsonable(r.secondary) if r else {}, breakdown=jsonable(r.breakdown) if r else [],
        notes=jsonable(r.notes) if r else {}, plots=jsonable(r.plots) if r else [],
        params=jsonable(inputs.params_for(spec.id, spec.default_params())), error=run.error,
        wall_time_s=round(run.wall_time_s, 6), cpu_time_s=round(run.cpu_time_s, 6),
        n_record_scores=None if r is None or r.record_scores is None else int(len(r.record_scores)),
        extension=spec.extension, worst=worst_records(spec, r, inputs), sample=run.sample)


WORST_K = 5
SNIPPET_CHARS = 300


def worst_records(spec, result, inputs: "AuditInputs", k: int = WORST_K) -> list[dict]:
    """The k worst-scoring records of a record metric (by the metric's direction), with a snippet of each
    when the synthetic data are in memory; they show what a filter on this metric would remove."""
    if result is None or result.record_scores is None or spec.direction not in ("higher_better", "lower_better"):
        return []
    scores = np.asarray(result.record_scores, dtype=float)
    idx = np.flatnonzero(~np.isnan(scores))
    if idx.size == 0:
        return []
    order = np.argsort(scores[idx], kind="stable")
    if spec.direction == "lower_better":
        order = np.argsort(-scores[idx], kind="stable")
    chosen = idx[order[:k]]
    best = (spec.range[1] if spec.direction == "higher_better" else spec.range[0]) if spec.range else None
    chosen = [i for i in chosen if best is None or scores[i] != best]  # a perfect score is not 'worst'
    snippets = record_snippets(inputs, chosen)
    return [{"record": int(i), "score": float(scores[i]), **({"text": snippets[j]} if snippets[j] else {})}
            for j, i in enumerate(chosen)]


def record_snippets(inputs: "AuditInputs", indices) -> list[str | None]:
    """Short text of synthetic records (the text field, else the row as JSON); None when streamed."""
    table = inputs.tables.get("synthetic")
    if table is None or not table.materialized or not len(indices) or "synthetic" in inputs.extra.get("sampled", {}):
        return [None] * len(indices)
    frame = table.frame()
    field = inputs.extra.get("field")
    out: list[str | None] = []
    for i in indices:
        if i >= len(frame):
            out.append(None)
            continue
        row = frame.iloc[int(i)]
        value = row[field] if field in frame.columns else None
        text = value if isinstance(value, str) else json.dumps(jsonable(row.to_dict()), ensure_ascii=False,
                                                                 default=str)
        out.append(text if len(text) <= SNIPPET_CHARS else text[:SNIPPET_CHARS - 1] + "…")
    return out


def scorecard(modality: str, metrics: list[MetricEntry], gates: list[GateEntry]) -> list[ScoreRow]:
    """One row per dimension: coverage, values (and their references), plus the secondary values the modality
    names as the dimension's headlines (``Modality.headlines``, e.g. tabular privacy: the exact-copy rate)."""
    from synthaudit.modalities.registry import modalities

    found = modalities().get(modality)
    headlines = dict(found.headlines) if found is not None else {}
    rows = []
    catalog = [e for e in metric_entries().values() if e["modality"] == modality and not e.get("extension")]
    for pillar, dims in DIMENSIONS.items():
        for dim in dims:
            ids = [e["id"] for e in catalog if e["dimension"] == dim]
            if not ids:
                continue
            ran = [m for m in metrics if m.dimension == dim and not m.extension]  # coverage: catalog metrics only
            ok = [m for m in ran if m.status == "ok"]
            coverage = "measured" if len(ok) == len(ids) else "partial" if ok else "not_measured"
            failed_gates = sum(1 for g in gates if not g.passed and g.metric in ids)
            values = {m.id: m.value for m in ran}
            by_id = {m.id: m for m in metrics}
            for key in headlines.get(dim, ()):
                head, _, name = key.rpartition(".")
                if head in by_id and by_id[head].status == "ok":
                    values[key] = by_id[head].secondary.get(name)
            rows.append(ScoreRow(pillar=pillar, dimension=dim, coverage=coverage, catalog_metrics=len(ids),
                                 ran=len(ok), failed=len(ran) - len(ok), gates_failed=failed_gates,
                                 values=values, references={m.id: m.reference for m in ran
                                                            if m.reference is not None}))
    return rows


def input_entries(inputs: "AuditInputs") -> list[InputEntry]:
    out = []
    seen: dict[int, str] = {}
    for role, table in inputs.tables.items():
        source = table.path or ("same as " + seen[id(table)] if id(table) in seen else
                                "DataFrame" if table.materialized else "stream")
        seen.setdefault(id(table), role)
        out.append(InputEntry(role=role, source=source, format=table.format, rows=table.n_rows,
                              columns=len(table.head().columns) if table.materialized else None,
                              sha256=table.fingerprint()))
    return out


def models_used(models: "Models", plan: "Plan", runs: list["MetricRun"]) -> dict[str, str]:
    """The model backends of this audit: the kinds the planned and run metrics declare (their spec's
    ``models``), and any kind that was loaded (a backend built on another one loads it); not every backend
    configured (a tabular audit lists no text model)."""
    kinds = {k for metric in [*plan.run, *(r.metric for r in runs)] for k in metric.spec.models if k != "none"}
    kinds |= {k for k in models.backends if models.loaded(k)}
    return {k: v for k, v in models.describe().items() if k in kinds}


def build_report(*, inputs: "AuditInputs", models: "Models", plan: "Plan", runs: list["MetricRun"],
                 gate_results: list["GateResult"] | None, policy_source: str | None, started: str, finished: str,
                 duration: float, command: str | None = None, reference: "Reference | None" = None) -> AuditReport:
    metrics = [metric_entry(r, inputs) for r in runs]
    if reference is not None and reference.available:
        for m in metrics:
            m.reference = reference.values.get(m.id)
    gates = [GateEntry(gate=g.gate.key, metric=g.gate.metric, field=g.gate.field, min=g.gate.min, max=g.gate.max,
                       min_vs_reference=g.gate.min_vs_reference, max_vs_reference=g.gate.max_vs_reference,
                       reference=g.reference, value=g.value, passed=g.passed, reason=g.reason)
             for g in (gate_results or [])]
    shared = [{"label": k, "wall_s": w, "cpu_s": c} for k, (w, c) in plan.shared_time.items()]
    if reference is not None and reference.available:
        shared.append({"label": "reference audit (real data in the synthetic role)",
                       "wall_s": round(reference.wall_s, 4), "cpu_s": round(reference.cpu_s, 4)})
    policy = PolicyEntry(source=policy_source or "inline", passed=all(g.passed for g in gates), gates=gates) \
        if gate_results is not None else None
    report = AuditReport(
        modality=inputs.modality,
        run=RunInfo(synthaudit_version=__version__, python=sys.version.split()[0],
                    platform=f"{platform.system()} {platform.machine()}", packages=package_versions(),
                    started_at=started, finished_at=finished, duration_s=round(duration, 3), seed=inputs.seed,
                    command=command, models=models_used(models, plan, runs),
                    execution=inputs.extra.get("execution")),
        inputs=input_entries(inputs),
        columns=inputs.table_spec.to_dict() if inputs.table_spec else {},
        scorecard=scorecard(inputs.modality, metrics, gates),
        metrics=metrics,
        gaps=[GapEntry(**g.__dict__) for g in plan.gaps],
        policy=policy,
        warnings=list(dict.fromkeys(inputs.warnings)),
        shared_time=shared,
        reference=reference.as_dict() if reference is not None else None,
        data_summary=inputs.extra.get("data_summary") or {},
    )
    return add_views(report, inputs)


def add_views(report: AuditReport, inputs: "AuditInputs | None" = None) -> AuditReport:
    """What the report draws beyond the metrics: the modality's figures and the coverage matrix (survey 8.1).
    Also fills a report.json written by an older version before it is rendered again. A figures hook that takes
    a second argument gets the audit's inputs (None when a stored report is rendered again)."""
    from synthaudit.analysis.gaps import report_coverage
    from synthaudit.modalities.registry import modalities

    modality = modalities().get(report.modality)
    hook = modality.hook("report_figures") if modality is not None else None
    if hook is not None and not report.figures:
        takes_inputs = len(inspect.signature(hook).parameters) > 1
        report.figures = jsonable(hook(report.metrics, inputs) if takes_inputs else hook(report.metrics))
    if report.coverage is None:
        report.coverage = jsonable(report_coverage(report))
    return report
