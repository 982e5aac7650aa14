"""The audit report: a pydantic model serialised as report.json (schema version SCHEMA_VERSION).

The JSON Schema ships as ``report/schema/report-<version>.schema.json``; tests validate every report
against it and check that it is the schema of this model.
"""
from __future__ import annotations

import json
import math
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal, Optional

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION = "1.0"


def jsonable(obj: Any) -> Any:
    """Plain JSON values: numpy scalars/arrays to Python, NaN/inf to None, tuples to lists, keys to str."""
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, set)):
        return [jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return [jsonable(v) for v in obj.tolist()]
    if isinstance(obj, (np.bool_, bool)):
        return bool(obj)
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        f = float(obj)
        return None if math.isnan(f) or math.isinf(f) else f
    if isinstance(obj, (datetime, date)):
        return obj.isoformat()
    if obj is None or isinstance(obj, (str, int)):
        return obj
    return str(obj)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MetricEntry(_Model):
    id: str
    name: str
    modality: str
    pillar: str
    dimension: str
    section: str
    direction: Literal["higher_better", "lower_better", "target", "report_only"]
    range: Optional[str] = Field(description="interval notation, as in the catalog")
    target_value: Optional[float] = None
    computation: Literal["record", "mergeable", "global"]
    good: str = Field(description="what good looks like")
    status: Literal["ok", "failed"]
    value: Optional[float] = None
    ci: Optional[list[float]] = None
    secondary: dict[str, Optional[float]] = {}
    breakdown: list[dict[str, Any]] = []
    notes: dict[str, Any] = {}
    plots: list[dict[str, Any]] = []
    params: dict[str, Any] = {}
    error: Optional[str] = None
    wall_time_s: float
    cpu_time_s: Optional[float] = Field(None, description="CPU seconds of this process spent in the metric, "
                                        "shared time left out")
    n_record_scores: Optional[int] = None
    extension: bool = Field(False, description="a check beyond the survey's catalog (id '<modality>.ext.<name>')")
    worst: list[dict[str, Any]] = Field([], description="the worst-scoring records of a record metric")
    sample: Optional[dict[str, dict[str, Any]]] = Field(None, description="a global metric of a streamed audit: per "
                                                        "input role, the seeded sample of rows it saw (rows, of, "
                                                        "seed, method)")
    reference: Optional[float] = Field(None, description="the same metric with real data in the synthetic role "
                                       "(tabular: the holdout against the real data): what 'good' looks like "
                                       "for this data set (see AuditReport.reference)")


class GapEntry(_Model):
    id: str
    name: str
    pillar: str
    dimension: str
    kind: Literal["missing_input", "missing_model", "not_applicable", "not_selected", "not_implemented"]
    reason: str
    enable: Optional[str] = None


class GateEntry(_Model):
    gate: str
    metric: str
    field: str
    min: Optional[float] = None
    max: Optional[float] = None
    min_vs_reference: Optional[float] = Field(None, description="bound as a multiple of the reference value")
    max_vs_reference: Optional[float] = Field(None, description="bound as a multiple of the reference value")
    reference: Optional[float] = None
    value: Optional[float] = None
    passed: bool
    reason: str


class PolicyEntry(_Model):
    source: str
    passed: bool
    gates: list[GateEntry]


class InputEntry(_Model):
    role: str
    source: str
    format: Optional[str] = None
    rows: Optional[int] = None
    columns: Optional[int] = None
    sha256: Optional[str] = None


class ScoreRow(_Model):
    pillar: str
    dimension: str
    coverage: Literal["measured", "partial", "not_measured"]
    catalog_metrics: int
    ran: int
    failed: int
    gates_failed: int
    values: dict[str, Optional[float]]
    references: dict[str, Optional[float]] = Field({}, description="reference values of the same keys, where "
                                                  "the audit has a reference run")


class RunInfo(_Model):
    synthaudit_version: str
    python: str
    platform: str
    packages: dict[str, str]
    started_at: str
    finished_at: str
    duration_s: float
    seed: int
    command: Optional[str] = None
    models: dict[str, str] = {}
    execution: Optional[dict[str, Any]] = Field(None, description="how the metrics ran when not in one pass in "
                                                "this process: engine, workers, shards, shards resumed from a "
                                                "checkpoint")


class AuditReport(_Model):
    """Everything an audit found. ``write(out)`` saves report.json and report.html."""

    schema_version: Literal["1.0"] = SCHEMA_VERSION
    modality: str
    run: RunInfo
    inputs: list[InputEntry]
    columns: dict[str, dict[str, Any]] = {}
    scorecard: list[ScoreRow]
    metrics: list[MetricEntry]
    gaps: list[GapEntry]
    policy: Optional[PolicyEntry] = None
    warnings: list[str] = []
    coverage: Optional[dict[str, Any]] = Field(None, description="this audit's coverage marks beside the survey's "
                                               "representative methods (computed by the gap analysis)")
    shared_time: list[dict[str, Any]] = Field([], description="time no single metric owns (model loading, shared "
                                              "features): label, wall_s, cpu_s")
    figures: list[dict[str, Any]] = Field([], description="the modality's report figures (plot specs with a "
                                          "'dimension'), drawn beside that dimension's metrics")
    reference: Optional[dict[str, Any]] = Field(None, description="the reference audit: available (bool), note "
                                                "(what was scored, or why there is no reference), rows, cpu_s")
    data_summary: dict[str, Any] = Field({}, description="what the modality's loader found, per role (e.g. "
                                         "records, readable media, the unreadable media with row and reason)")

    # -- convenience --------------------------------------------------------------------------
    def result(self, metric_id: str) -> MetricEntry:
        for m in self.metrics:
            if m.id == metric_id:
                return m
        raise KeyError(f"{metric_id} did not run in this audit (see .gaps)")

    def value(self, metric_id: str) -> float | None:
        return self.result(metric_id).value

    @property
    def passed(self) -> bool:
        """True unless a policy gate failed."""
        return self.policy is None or self.policy.passed

    def to_frame(self):
        """One row per metric that ran: id, dimension, value, status, wall time."""
        import pandas as pd

        return pd.DataFrame([{"id": m.id, "pillar": m.pillar, "dimension": m.dimension, "value": m.value,
                              "direction": m.direction, "status": m.status, "wall_time_s": m.wall_time_s}
                             for m in self.metrics])

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(jsonable(self.model_dump(mode="python")), indent=indent, ensure_ascii=False,
                          allow_nan=False)

    @classmethod
    def from_json(cls, text: str) -> "AuditReport":
        """The report in a report.json text (``synthaudit.analysis.load_report`` reads and checks a file)."""
        from synthaudit.data.files import loads_json  # a ValueError for invalid, too deep or unencodable JSON

        return cls.model_validate(loads_json(text))

    def write(self, out_dir: str | Path, *, html: bool = True) -> dict[str, Path]:
        """Write report.json (and report.html) into ``out_dir`` (created if needed)."""
        from synthaudit.report.html import render_html

        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        paths = {"json": out / "report.json"}
        paths["json"].write_text(self.to_json(), encoding="utf-8")
        if html:
            paths["html"] = out / "report.html"
            paths["html"].write_text(render_html(self), encoding="utf-8")
        return paths

    def _repr_html_(self) -> str:  # notebooks
        from synthaudit.report.html import render_html

        return render_html(self, embedded=True)


def json_schema() -> dict[str, Any]:
    schema = AuditReport.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = f"urn:synthaudit:report:{SCHEMA_VERSION}"
    return schema


def schema_path() -> Path:
    return Path(__file__).parent / "schema" / f"report-{SCHEMA_VERSION}.schema.json"
