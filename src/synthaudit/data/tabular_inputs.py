"""Turn user-given tables (paths, DataFrames, streams) into tabular AuditInputs, with clear errors."""
from __future__ import annotations

from typing import Any


from synthaudit.data.inputs import AuditInputs
from synthaudit.data.tabular import (Table, apply_spec_overrides, check_not_empty, infer_spec, mask_na_values,
                                      read_spec_file)
from synthaudit.errors import InputError, SpecError


def _columns_text(cols: list) -> str:
    shown = ", ".join(map(str, cols[:12]))
    return shown + (f", ... ({len(cols)} in all)" if len(cols) > 12 else "")


def prepare_tabular(*, synthetic: Any, real: Any = None, holdout: Any = None, train: Any = None,
                    target: str | None = None, protected: str | None = None, sensitive: str | None = None,
                    schema: Any = None, constraints: Any = None, infer_constraints: bool = False,
                    generator_meta: Any = None, na_values: Any = None, seed: int = 0, params: dict | None = None,
                    stream: bool = False, fmt: str | None = None,
                    delimiter: str | None = None, encoding: str = "utf-8") -> AuditInputs:
    """Load the tables, check their columns against each other and resolve the column types.

    ``real`` is the real data the generator learned from: it is both the reference for distribution
    comparisons and the training set for privacy comparisons, unless ``train`` is given separately.
    """
    if synthetic is None:
        raise InputError("no synthetic data given", field="--synthetic")
    load = dict(fmt=fmt, delimiter=delimiter, encoding=encoding, stream=stream)
    tables: dict[str, Table] = {"synthetic": Table.from_any(synthetic, "synthetic", **load)}
    if real is not None:
        tables["real_reference"] = Table.from_any(real, "real", **load)
        tables["train"] = tables["real_reference"] if train is None else Table.from_any(train, "train", **load)
    elif train is not None:
        tables["train"] = Table.from_any(train, "train", **load)
    if holdout is not None:
        tables["real_holdout"] = Table.from_any(holdout, "holdout", **load)

    heads = {role: t.head() for role, t in tables.items()}
    for role, head in heads.items():  # streamed or not: a header-only file has nothing to audit
        check_not_empty(head, tables[role].label)
    syn_cols = list(heads["synthetic"].columns)
    ref_role = "real_reference" if "real_reference" in heads else ("train" if "train" in heads else "synthetic")
    ref_cols = list(heads[ref_role].columns)
    shared = [c for c in ref_cols if c in set(syn_cols)]
    warnings: list[str] = []
    if ref_role != "synthetic":
        if not shared:
            raise InputError(f"the synthetic table ({tables['synthetic'].label}) and the real table "
                             f"({tables[ref_role].label}) have no column in common. synthetic columns: "
                             f"{_columns_text(syn_cols)}; real columns: {_columns_text(ref_cols)}",
                             hint="check the header lines and the delimiter")
        only_syn = [c for c in syn_cols if c not in set(ref_cols)]
        only_real = [c for c in ref_cols if c not in set(syn_cols)]
        if only_syn:
            warnings.append(f"columns only in the synthetic table are ignored: {_columns_text(only_syn)}")
        if only_real:
            warnings.append(f"columns only in the real table are ignored: {_columns_text(only_real)}")
    for role in ("train", "real_holdout"):
        if role in heads and tables[role] is not tables.get("real_reference"):
            missing = [c for c in shared if c not in set(heads[role].columns)]
            if missing:
                raise InputError(f"the {role.replace('real_', '')} table lacks column(s) {_columns_text(missing)} "
                                 "that the synthetic and real tables share", file=tables[role].label)
    for name, col in (("--target", target), ("--protected", protected), ("--sensitive", sensitive)):
        if col is not None and col not in shared:
            lacking = [r for r in ("synthetic", ref_role) if col not in set(heads[r].columns)] or ["synthetic"]
            where = " and ".join(dict.fromkeys(tables[r].label for r in lacking))
            raise InputError(f"column {col!r} is not in {where}; expected one of the columns the tables share: "
                             f"{_columns_text(shared)}", field=name)

    spec_doc = read_spec_file(schema) if isinstance(schema, (str, bytes)) or hasattr(schema, "__fspath__") else schema
    markers = frozenset(str(v).strip() for v in (na_values or ()))
    head = heads[ref_role]
    if markers:  # missing-value markers count as missing for type inference too
        head = head.assign(**{c: mask_na_values(head[c], markers) for c in shared})
    spec = infer_spec(head, shared)  # the first INFER_ROWS rows, streamed or not
    spec.na_values = markers
    spec = apply_spec_overrides(spec, spec_doc, shared)
    for col in (target, protected, sensitive):
        if col is not None and col in spec.ignored:
            raise SpecError(f"column {col!r} is named with --target/--protected but the spec file ignores it",
                            file=(spec_doc or {}).get("path"), field="ignore")
    if constraints is not None:
        constraints = read_constraints_source(constraints)
    elif spec_doc and spec_doc.get("constraints") is not None:
        constraints = {"path": spec_doc.get("path"), "constraints": spec_doc["constraints"]}
    meta = read_generator_meta(generator_meta) if generator_meta is not None else None
    inputs = AuditInputs(modality="tabular", tables=tables, target=target, protected=protected, sensitive=sensitive,
                         constraints=constraints, infer_constraints=infer_constraints, generator_meta=meta,
                         schema=spec_doc,
                         seed=seed, params=dict(params or {}), table_spec=spec, warnings=warnings)
    return inputs


def read_constraints_source(source: Any) -> dict:
    """Constraints from a YAML file (a list under 'constraints', or a bare list) or from Python objects."""
    from pathlib import Path

    from synthaudit.data.files import read_yaml_file
    from synthaudit.errors import SpecError

    if isinstance(source, (str, Path)):
        doc = read_yaml_file(Path(source), SpecError, "a YAML file of constraints")
        path = str(source)
    else:
        doc, path = source, None
    items = doc.get("constraints") if isinstance(doc, dict) else doc
    if not isinstance(items, list):
        raise SpecError("expected a list of constraints (under a 'constraints' key)", file=path, field="constraints")
    return {"path": path, "constraints": items}


def read_generator_meta(source: Any) -> dict:
    """Generator metadata (e.g. the DP budget) from a JSON/YAML file or a dict."""
    from pathlib import Path

    from synthaudit.data.files import read_yaml_file
    from synthaudit.errors import SpecError

    if isinstance(source, (str, Path)):
        doc = read_yaml_file(Path(source), SpecError, "a JSON or YAML file of generator metadata")
        if not isinstance(doc, dict):
            raise SpecError("expected a mapping (e.g. {epsilon: 1.0, delta: 1e-5})", file=str(source))
        return {"path": str(source), **doc}
    if not isinstance(source, dict):
        raise SpecError("generator metadata must be a mapping", field="generator_meta")
    return dict(source)
