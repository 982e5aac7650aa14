"""Keep or reject each synthetic record by the per-record scores of audit metrics (survey stage 3: filter).

The survey's loop is generate -> evaluate -> filter -> refine (sections 1 and 5): metrics that score every
record (``MetricResult.record_scores``: duplicate, empty, truncated or noisy texts, toxicity, constraint
violations, copies of training rows) become filters. A record is rejected when any check's score passes its
threshold (``max``: score > max; ``min``: score < min); a record whose score is NaN (undefined, or not in a
metric's sample) is kept and counted as unscored. Outputs are written in the input's format beside a
summary; the input file is only read.
"""
from __future__ import annotations

import json
import math
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from synthaudit.errors import InputError, UsageError

def _spec(modality: str) -> Any:
    """The modality's filter declaration (``Modality.filter``); a UsageError names the modalities that have one."""
    from synthaudit.modalities import modalities

    found = modalities().get(modality)
    if found is None or found.filter is None:
        supported = [m.name for m in modalities().values() if m.filter is not None]
        raise UsageError(f"filtering supports modalities {', '.join(supported)}, not {modality!r}", field="--modality")
    return found.filter


@dataclass
class Check:
    id: str
    name: str  # as the user wrote it
    op: str  # "max" (reject score > threshold) or "min" (reject score < threshold)
    threshold: float

    def rejects(self, scores: np.ndarray) -> np.ndarray:
        with np.errstate(invalid="ignore"):
            return scores > self.threshold if self.op == "max" else scores < self.threshold

    def describe(self) -> str:
        return f"{self.id} {'<=' if self.op == 'max' else '>='} {self.threshold:g}"


def resolve_id(modality: str, name: str) -> str:
    """A metric id (or a custom check id) from an id or a short alias (UsageError naming the choices otherwise)."""
    from synthaudit.metrics.registry import all_metrics

    fspec = _spec(modality)
    name = name.strip()
    aliases = fspec.aliases
    mid = aliases.get(name, name)
    if mid in fspec.custom:
        return mid
    spec = all_metrics().get(mid)
    if spec is None or spec.spec.modality != modality:
        raise UsageError(f"unknown {modality} check {name!r}; short names: {', '.join(aliases)} (or a metric id "
                         "with per-record scores)", field="--checks")
    if spec.spec.computation != "record" and mid not in fspec.record_scored:
        raise UsageError(f"{mid} gives one value for the whole data set, not a score per record, so it cannot "
                         "filter records", field="--checks")
    return mid


def _default(modality: str, mid: str) -> tuple[str, float]:
    from synthaudit.metrics.registry import all_metrics

    thresholds = _spec(modality).thresholds
    if mid in thresholds:
        return thresholds[mid]
    spec = all_metrics()[mid].spec
    if spec.range == (0.0, 1.0) and spec.direction in ("lower_better", "higher_better"):
        return ("max", 0.5) if spec.direction == "lower_better" else ("min", 0.5)
    raise UsageError(f"{mid} has no default threshold (its scores are not 0-1 flags); pass --max {mid}=VALUE or "
                     f"--min {mid}=VALUE", field="--checks")


def parse_bounds(items: list[str] | None, flag: str) -> dict[str, float]:
    """``["gar=0.8", ...]`` -> {"gar": 0.8}."""
    out: dict[str, float] = {}
    for item in items or []:
        name, sep, raw = item.partition("=")
        try:
            value = float(raw)
        except ValueError:
            value = math.nan
        if not sep or not name.strip() or math.isnan(value):
            raise UsageError(f"expected METRIC=NUMBER, got {item!r}", field=flag)
        out[name.strip()] = value
    return out


def resolve_checks(modality: str, names: list[str] | None, maxes: dict[str, float] | None = None,
                   mins: dict[str, float] | None = None) -> list[Check]:
    """Checks from names (ids or aliases) and thresholds; a threshold alone also selects its check."""
    fspec = _spec(modality)
    bounds: dict[str, tuple[str, float, str]] = {}
    for op, given in (("max", maxes or {}), ("min", mins or {})):
        for name, value in given.items():
            mid = resolve_id(modality, name)
            if mid in bounds:
                raise UsageError(f"{mid} has both --max and --min (or two values); give one", field=f"--{op}")
            bounds[mid] = (op, value, name)
    chosen = list(names) if names else ([] if bounds else list(fspec.defaults))
    checks: dict[str, Check] = {}
    for name in chosen:
        mid = resolve_id(modality, name)
        op, value = bounds[mid][:2] if mid in bounds else _default(modality, mid)
        checks[mid] = Check(mid, name, op, value)
    for mid, (op, value, name) in bounds.items():
        checks.setdefault(mid, Check(mid, name, op, value))
    return list(checks.values())


# ---- reading and writing records in their own format -------------------------------------------------

@dataclass
class Records:
    """The input's records as read for writing back: raw objects (JSON), cell text (CSV) or lines (txt)."""

    fmt: str
    items: Any  # list[dict] (json, jsonl), DataFrame (csv, tsv, parquet), list[str] (txt)
    delimiter: str = ","

    def __len__(self) -> int:
        return len(self.items)

    def write(self, path: Path, idx: np.ndarray, reasons: list[list[str]] | None = None) -> Path:
        if self.fmt in ("txt", "lines"):
            if reasons is None:
                path.write_text("".join(self.items[i] + "\n" for i in idx), encoding="utf-8")
                return path
            path = path.with_suffix(".jsonl")  # a text line cannot carry its reasons
            rows = [{"text": self.items[i], "_rejected_reasons": r} for i, r in zip(idx, reasons)]
            return _write_json(path, rows, lines=True)
        if self.fmt in ("json", "jsonl"):
            rows = [self.items[i] for i in idx]
            if reasons is not None:
                rows = [{**row, "_rejected_reasons": r} for row, r in zip(rows, reasons)]
            return _write_json(path, rows, lines=self.fmt == "jsonl")
        frame = self.items.iloc[idx].reset_index(drop=True)
        if reasons is not None:
            frame = frame.assign(_rejected_reasons=["; ".join(r) for r in reasons])
        if self.fmt == "parquet":
            frame.to_parquet(path, index=False)
        else:
            frame.to_csv(path, index=False, sep=self.delimiter)
        return path


def _write_json(path: Path, rows: list[dict], lines: bool) -> Path:
    with open(path, "w", encoding="utf-8") as fh:
        if lines:
            for row in rows:
                fh.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
        else:
            json.dump(rows, fh, ensure_ascii=False, default=str, indent=1)
    return path


def read_records(path: Path, modality: str, fmt: str | None = None, delimiter: str | None = None,
                 encoding: str = "utf-8") -> Records:
    """The records of ``path`` in the order the audit reads them (blank JSONL/CSV lines skipped), read by the
    loaders every command uses (``synthaudit.data.files``): a file the audit refuses is refused here with the
    same error."""
    from synthaudit.data import files
    from synthaudit.modalities import get_modality

    from synthaudit.data.text import is_text_lines

    path = Path(path)
    found = get_modality(modality)
    lines_hook = found.hook("raw_lines")
    lines = lines_hook(path, fmt, encoding) if lines_hook is not None else None
    if lines is not None:  # the modality reads this file line by line: the lines are written back as they are
        return Records("lines", lines)
    if found.text_lines and is_text_lines(path, fmt):
        fmt = "txt"
    kind, items, sep = files.read_raw_records(path, fmt=fmt, delimiter=delimiter, encoding=encoding)
    return Records(kind, items, sep or ",")


# ---- running the checks --------------------------------------------------------------------------------

@dataclass
class FilterResult:
    kept: np.ndarray
    rejected: np.ndarray
    reasons: list[list[str]]  # per rejected record, "metric=value"
    unscored: np.ndarray
    summary: dict[str, Any]
    report: Any = None
    paths: dict[str, str] = field(default_factory=dict)


def check_scores(modality: str, synthetic: Any, checks: list[Check], *, seed: int = 0,
                 params: dict | None = None, models: Any = None, out: Path | None = None, fmt: str | None = None,
                 encoding: str = "utf-8", **options: Any) -> tuple[dict[str, np.ndarray], Any]:
    """Run the checks' metrics as one audit; per-record scores by metric id, and the audit report.

    ``options``: the modality's options that describe the inputs (``FilterSpec.options``)."""
    from synthaudit.audit import api
    from synthaudit.audit.engine import run_plan
    from synthaudit.audit.params import check_params
    from synthaudit.audit.plan import make_plan
    from synthaudit.modalities import resolve

    fspec = _spec(modality)
    options = filter_options(modality, options)
    started, t0 = datetime.now(timezone.utc), time.perf_counter()
    params = check_params(params)
    opts = api.options_for(modality, synthetic=synthetic, **options)
    inputs = api.prepare_inputs(opts, seed=seed, params=params, fmt=fmt, encoding=encoding)
    models = api.resolve_models(models)
    ids = [c.id for c in checks if c.id not in fspec.custom]
    plan = make_plan(inputs, models, metrics=ids) if ids else None
    if plan is not None:
        for gap in plan.gaps:
            if gap.id in ids:  # a check that does not apply to these data names the data file
                raise UsageError(f"check {gap.id} cannot run: {gap.reason}" + (f" (pass {gap.enable})"
                                                                               if gap.enable else ""),
                                 file=inputs.tables["synthetic"].label if gap.kind == "not_applicable" else None)
    runs = run_plan(plan, inputs, models, progress=None) if plan is not None else []  # a bar on a terminal
    scores: dict[str, np.ndarray] = {}
    for run in runs:
        if run.status != "ok":
            raise InputError(f"check {run.metric.id} failed: {run.error}")
        if run.result.record_scores is None:
            raise UsageError(f"{run.metric.id} returned no per-record scores on these data")
        scores[run.metric.id] = np.asarray(run.result.record_scores, dtype=float)
    for c in checks:
        if c.id in fspec.custom:
            scores[c.id] = resolve(fspec.custom[c.id])(inputs, models)
    report = None
    if plan is not None:
        report = api.finish(inputs, models, plan, runs, started=started, t0=t0, command="synthaudit filter", out=out)
    return scores, report


def filter_options(modality: str, options: dict[str, Any]) -> dict[str, Any]:
    """The given options that describe the filter's inputs; one error for options it does not take."""
    own = _spec(modality).options
    refused = sorted(k for k, v in options.items() if k not in own and v not in (None, False))
    if refused:
        _refuse(modality, refused)
    return {k: v for k, v in options.items() if k in own}


def _refuse(modality: str, names: list[str]) -> None:
    """One message for options the filter of this modality does not take, naming where they apply."""
    from synthaudit.modalities import modalities, options_of

    flags = {i.name: i.flag for m in modalities().values() for i in options_of(m.inputs)}
    owners = [m.name for m in modalities().values() if m.filter is not None and m.name != modality
              and all(n in m.filter.options for n in names)]
    text = f"{', '.join(flags.get(n, n) for n in names)} cannot be used to filter {modality} records"
    if owners:
        text += "; options that apply to " + " or ".join(f"--modality {o}" for o in owners)
    own = _spec(modality).options
    raise UsageError(text + (f" ({modality} filter options: {', '.join(flags.get(n, n) for n in own)})"
                             if own else f" (the {modality} filter takes no input options)"))


def filter_file(modality: str, synthetic: Path, checks: list[Check], out_dir: Path, *, seed: int = 0,
                params: dict | None = None, models: Any = None, fmt: str | None = None,
                delimiter: str | None = None, encoding: str = "utf-8", **inputs_kw: Any) -> FilterResult:
    """Filter the records of ``synthetic`` into ``out_dir``/kept.<ext> and rejected.<ext> + summary.json."""
    synthetic, out_dir = Path(synthetic), Path(out_dir)
    filter_options(modality, {**inputs_kw, "delimiter": delimiter})
    if out_dir.exists() and not out_dir.is_dir():
        raise UsageError("exists and is not a directory", file=str(out_dir), field="--out")
    records = read_records(synthetic, modality, fmt, delimiter, encoding)
    ext = "".join(s for s in synthetic.suffixes[-1:]) if records.fmt != "txt" else ".txt"
    if records.fmt == "lines":  # the input's own kind of file (.jsonl, .log), uncompressed
        ext = next((s for s in reversed(synthetic.suffixes) if s.lower() not in (".gz", ".bz2", ".xz", ".zst")),
                   ".txt")
    ext = {"jsonl": ".jsonl", "json": ".json", "parquet": ".parquet", "csv": ".csv", "tsv": ".tsv"}.get(records.fmt,
                                                                                                       ext)
    kept_path, rej_path = out_dir / f"kept{ext}", out_dir / f"rejected{ext}"
    if synthetic.resolve() in (kept_path.resolve(), rej_path.resolve(), rej_path.with_suffix(".jsonl").resolve()):
        raise UsageError("--out would overwrite the input file; choose another directory", file=str(synthetic))
    kw = dict(fmt=fmt, encoding=encoding, **inputs_kw)
    if delimiter is not None:
        kw["delimiter"] = delimiter
    out_dir.mkdir(parents=True, exist_ok=True)
    scores, report = check_scores(modality, synthetic, checks, seed=seed, params=params, models=models,
                                  out=out_dir / "audit", **kw)
    n = len(records)
    bad = {m: s.size for m, s in scores.items() if s.size != n}
    if bad:
        raise InputError(f"checks scored {sorted(set(bad.values()))} records but the file holds {n}; cannot align "
                         f"({', '.join(bad)})", file=str(synthetic))
    result = decide(checks, scores, n)
    result.report = report
    result.paths = {"kept": str(records.write(kept_path, result.kept)),
                    "rejected": str(records.write(rej_path, result.rejected, result.reasons)),
                    "summary": str(out_dir / "summary.json")}
    if report is not None:
        result.paths["report"] = str(out_dir / "audit" / "report.html")
    result.summary.update(input=str(synthetic), modality=modality, outputs=result.paths)
    (out_dir / "summary.json").write_text(json.dumps(result.summary, indent=2), encoding="utf-8")
    return result


def decide(checks: list[Check], scores: dict[str, np.ndarray], n: int) -> FilterResult:
    """Keep/reject every record: rejected when any check rejects it; NaN scores never reject."""
    reject = np.zeros(n, dtype=bool)
    unscored_any = np.zeros(n, dtype=bool)
    reasons: list[list[str]] = [[] for _ in range(n)]
    per_check = []
    by_reason: Counter = Counter()
    for c in checks:
        s = scores[c.id]
        hit = c.rejects(s)
        nan = np.isnan(s)
        unscored_any |= nan
        reject |= hit
        for i in np.flatnonzero(hit):
            reasons[i].append(f"{c.id}={s[i]:.6g}")
        by_reason[c.id] += int(hit.sum())
        per_check.append({"check": c.name, "metric": c.id, "rule": c.describe(), "rejected": int(hit.sum()),
                          "unscored": int(nan.sum()), "scored": int((~nan).sum())})
    kept, rejected = np.flatnonzero(~reject), np.flatnonzero(reject)
    unscored = np.flatnonzero(unscored_any & ~reject)
    summary = {"records": n, "kept": int(kept.size), "rejected": int(rejected.size),
               "unscored_kept": int(unscored.size), "rejected_by_check": dict(by_reason), "checks": per_check,
               "rule": "rejected when any check rejects it; NaN (undefined or unsampled) scores are kept"}
    return FilterResult(kept, rejected, [reasons[i] for i in rejected], unscored, summary)
