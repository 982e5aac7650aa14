"""Tabular data (survey section 4): the options of ``synthaudit audit tabular`` and the modality's hooks."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from synthaudit.modalities.base import FilterSpec, Modality, ModalityInputs, TrackSpec, option
from synthaudit.modalities.registry import register_modality

_HERE = "synthaudit.modalities.tabular"


@dataclass(kw_only=True)
class TabularInputs(ModalityInputs):
    """Inputs of a tabular audit. ``real`` is the real data the generator learned from: the reference for
    distribution comparisons and the training set for privacy comparisons, unless ``train`` is given."""

    modality = "tabular"

    synthetic: Any = option(None, "Synthetic table (CSV/TSV, Parquet, JSONL, JSON, a DataFrame, Arrow table or "
                            "HF dataset).", kind="data", short="-s", role="synthetic")
    real: Any = option(None, "Real table the generator learned from.", kind="data", short="-r",
                       role="real_reference")
    real_stats: Any = option(None, "Statistics of the real table (a folder written by `synthaudit profile tabular`) "
                             "to audit against instead of its rows; metrics that need the rows are gaps.", kind="file")
    holdout: Any = option(None, "Real rows the generator never saw.", kind="data", role="real_holdout")
    train: Any = option(None, "The generator's training rows when they are not --real (privacy comparisons).",
                        kind="data", role="train")
    target: str | None = option(None, "Label column (utility, fairness).", role="labels")
    protected: str | None = option(None, "Protected-attribute column (fairness).", role="protected_attribute")
    sensitive: str | None = option(None, "Column an attribute-inference attack targets (default: --protected).")
    schema: Any = option(None, "Table spec YAML: column types, ignore, constraints.", kind="config")
    constraints: Any = option(None, "Validity constraints YAML.", kind="config", role="schema")
    infer_constraints: bool = option(False, "Infer validity constraints from the real table.", kind="bool")
    generator_meta: Any = option(None, "Generator metadata JSON/YAML (e.g. DP epsilon, delta).", kind="config")
    na_values: list[str] | None = option(None, "Comma-separated text markers of a missing value, e.g. '?' (empty "
                                         "cells, NA and NaN always are).", kind="list")
    delimiter: str | None = option(None, "CSV delimiter (default: detected).")


MODALITY = register_modality(Modality(
    name="tabular", title="Tabular data", section="4", inputs=TabularInputs,
    summary="Audit a synthetic table: validity, fidelity, diversity, utility, privacy, fairness (survey section 4).",
    prepare=f"{_HERE}.prepare:prepare", metrics="synthaudit.metrics.tabular",
    role_flags={"train": "--real (the generator's training data)", "schema": "--constraints or --infer-constraints",
                "protected_attribute": "--protected (or --sensitive)"},
    filter=FilterSpec(
        aliases={"validity": "tabular.violation_rate", "violations": "tabular.violation_rate",
                 "constraints": "tabular.violation_rate", "dcr": "tabular.dcr", "copy": "tabular.dcr"},
        defaults=("validity",), record_scored=frozenset({"tabular.violation_rate", "tabular.dcr"}),
        thresholds={"tabular.dcr": ("min", 1e-9)},  # reject exact copies of training rows
        options=("real", "holdout", "constraints", "infer_constraints", "na_values", "delimiter")),
    track=TrackSpec(metrics=("tabular.beta_recall", "tabular.kst", "tabular.tvd", "tabular.alpha_precision"),
                    signatures=f"{_HERE}.collapse:signatures"),
    report_figures=f"{_HERE}.report:figures",
    generate_command=f"{_HERE}.cli:generate_tabular",
    profile=f"{_HERE}.profile_cli:profile_tabular",
    pipeline_generator=f"{_HERE}.pipeline:generate",
    reference=f"{_HERE}.reference:reference",
    headlines={"privacy": ("tabular.dcr.exact_copy_rate",)},
    demo=f"{_HERE}.demo:section",
    docs="docs/tabular.md",
))
