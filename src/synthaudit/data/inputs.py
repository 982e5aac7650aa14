"""AuditInputs: everything an audit may use, by role (DESIGN.md, 'Inputs and models').

Roles follow the catalog's ``inputs`` vocabulary. For tabular audits ``real`` fills both
``real_reference`` (distribution comparisons) and ``train`` (privacy comparisons), ``target`` names the
label column (role ``labels``) and ``protected`` the protected-attribute column.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Iterator

if TYPE_CHECKING:  # pandas is imported when data are loaded, not when the package is (``synthaudit --help``)
    import pandas as pd

    from synthaudit.data.tabular import Table, TableSpec

#: every input role of the catalog with a generic flag; a modality's options name its own (``Modality.role_flag``)
ROLE_FLAGS: dict[str, str] = {
    "synthetic": "--synthetic",
    "real_reference": "--real",
    "train": "--train",
    "real_holdout": "--holdout",
    "schema": "--schema",
    "rules": "--rules",
    "labels": "--target",
    "protected_attribute": "--protected",
    "prompts": "--prompt-field",
    "references": "--reference-field",
    "evidence": "--evidence-field",
    "gold_answers": "--answer-field",
    "test_cases": "--tests",
    "human_scores": "--human-field",
    "preference_pairs": "--preferences",
    "multiple_samples": "--samples-field",
    "trajectories": "--trajectories",
    "temporal_spec": "--temporal-spec",
    "watermark_key": "--watermark-key",
    "images": "--images",
    "videos": "--videos",
    "environment": "--environment",
}


TABLE_ROLES = ("synthetic", "real_reference", "train", "real_holdout")


class FeatureCache:
    """Features shared by several metrics (profiles, encodings, embeddings), computed once per audit."""

    def __init__(self) -> None:
        self._store: dict[str, Any] = {}

    def get(self, key: str, compute: Callable[[], Any]) -> Any:
        if key not in self._store:
            from synthaudit.timing import shared

            with shared(f"features: {key.split('[', 1)[0].split(':', 1)[0]}"):
                self._store[key] = compute()
        return self._store[key]

    def has(self, key: str) -> bool:
        return key in self._store

    def put(self, key: str, value: Any) -> None:
        """Store a feature computed elsewhere (a pre-pass on Ray workers: ``metrics.prepass``)."""
        self._store[key] = value

    def clear(self) -> None:
        self._store.clear()


@dataclass
class AuditInputs:
    """Inputs of one audit. Tables are :class:`Table` objects; other roles hold their natural types."""

    modality: str
    tables: dict[str, Table] = field(default_factory=dict)
    target: str | None = None
    protected: str | None = None
    sensitive: str | None = None  # attacked column for attribute inference (defaults to ``protected``)
    constraints: dict[str, Any] | None = None  # {"path": ..., "constraints": [...]} (validity checks)
    infer_constraints: bool = False  # infer constraints from the real table
    generator_meta: dict[str, Any] | None = None  # generator metadata (DP budget, ...)
    schema: dict[str, Any] | None = None  # the parsed spec file (column types, constraints)
    extra: dict[str, Any] = field(default_factory=dict)  # other roles (prompts, references, ...)
    seed: int = 0
    params: dict[str, dict[str, Any]] = field(default_factory=dict)  # per-metric parameter overrides
    table_spec: TableSpec | None = None  # resolved column types (set by the audit preparation)
    warnings: list[str] = field(default_factory=list)
    features: FeatureCache = field(default_factory=FeatureCache)
    _coerced: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)

    def has(self, role: str) -> bool:
        """Whether the role is provided (and, for column roles, names a column present in the data)."""
        if role in TABLE_ROLES:
            return role in self.tables
        if role == "labels":  # a tabular target column, or labels a modality provides (e.g. ground-truth objects)
            return self.target is not None or self.extra.get("labels") is not None
        if role == "protected_attribute":
            return self.protected is not None or self.sensitive is not None
        if role == "schema":  # tabular constraints, or a format/grammar a modality provides (extra["schema"])
            return bool(self.constraints and self.constraints.get("constraints")) or self.infer_constraints \
                or self.extra.get("schema") is not None
        return self.extra.get(role) is not None

    def frame(self, role: str) -> pd.DataFrame:
        """The whole table of a role, coerced to the table spec (cached per table: roles that share a
        table, such as real_reference and train, share one copy)."""
        table = self.tables[role]
        key = str(id(table))
        if key not in self._coerced:
            raw = table.frame()
            self._coerced[key] = self.table_spec.coerce(raw, label=table.label, warnings=self.warnings) \
                if self.table_spec else raw
        return self._coerced[key]

    def batches(self, role: str, batch_size: int | None = None,
                columns: list[str] | None = None) -> Iterator[pd.DataFrame]:
        """The table of a role in coerced batches (streams files and iterators without loading them whole);
        with ``columns``, only those columns, and only they are coerced (a pass over a few columns of a wide or
        text-heavy table, e.g. the real ranges of the numerical columns, skips typing the others)."""
        if str(id(self.tables[role])) in self._coerced:
            frame = self._coerced[str(id(self.tables[role]))]
            frame = frame if columns is None else frame[columns]
            n = batch_size or max(len(frame), 1)
            for start in range(0, len(frame), n):
                yield frame.iloc[start:start + n]
            return
        table = self.tables[role]
        offset = 0
        for part in table.batches(batch_size):
            yield self.coerce_batch(part, table.label, offset, columns)
            offset += len(part)

    def coerce_batch(self, part: pd.DataFrame, label: str, row_offset: int,
                     columns: list[str] | None = None) -> pd.DataFrame:
        """One streamed batch coerced to the table spec (rows numbered from ``row_offset`` in messages); with
        ``columns``, to the spec of those columns only."""
        if not self.table_spec:
            return part if columns is None else part[[c for c in columns if c in part.columns]]
        spec = self.table_spec
        if columns is not None:
            from dataclasses import replace

            spec = replace(spec, columns={c: spec.columns[c] for c in columns})
            part = part[[c for c in columns if c in part.columns]]
        return spec.coerce(part, label=label, warnings=self.warnings, row_offset=row_offset)

    def read_span(self, span: Any, label: str) -> pd.DataFrame:
        """A batch a worker reads itself (:class:`~synthaudit.data.spans.Span`), coerced as ``batches`` does."""
        return self.coerce_batch(span.read(), label, span.start_row)

    def params_for(self, metric_id: str, defaults: dict[str, Any]) -> dict[str, Any]:
        return {**defaults, **self.params.get(metric_id, {})}
