"""Longitudinal audit of generations of synthetic data: model-collapse signatures (survey section 8.1).

A generator retrained on its own output loses the tails first and then the support (Shumailov et al. 2024,
"AI models collapse when trained on recursively generated data"). ``track`` audits each generation against
the same real data and follows four signatures of section 8.1 beside the chosen metrics:

* ``shrinking_support``: beta-recall and its category / range coverage falling;
* ``vanishing_tails``: the share of rows in the real data's tails (below its 5th, above its 95th percentile
  per numeric column, relative to the real share) and the share of rare real categories (< 5 %) still present;
* ``contracting_volume``: per-axis volume ratio ``exp((logdet C_gen - logdet C_real) / d)`` and effective rank
  ``exp(H(lambda / sum lambda))`` of the covariance of numeric columns standardised by the real data;
* ``rising_self_similarity``: mean nearest-neighbour distance within a generation falling (tabular), or
  ``text.self_cos_sim`` rising (text).

A warning names the first generation where a series is worse than its baseline (gen0 or real) by ``drop``,
or has worsened ``consecutive`` steps in a row (each by ``min_step``) to at least half of ``drop``.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd

from synthaudit.errors import InputError, UsageError

SIGNATURES = ("shrinking_support", "vanishing_tails", "contracting_volume", "rising_self_similarity")
#: series id -> signature (series not listed belong to "metric")
SERIES_SIGNATURE = {"tabular.beta_recall": "shrinking_support", "coverage.category": "shrinking_support",
                    "coverage.range": "shrinking_support", "tails.numeric": "vanishing_tails",
                    "tails.rare_categories": "vanishing_tails", "volume.ratio": "contracting_volume",
                    "volume.effective_rank": "contracting_volume", "nn.distance": "rising_self_similarity",
                    "text.self_cos_sim": "rising_self_similarity"}
TAIL_Q, RARE_SHARE, MIN_EXPECTED, NN_MAX_ROWS = 0.05, 0.05, 3.0, 2000


@dataclass(frozen=True)
class Threshold:
    """When a series warns: worse than ``baseline`` by ``drop`` (a fraction of the baseline when ``relative``),
    or after ``consecutive`` worsening steps in a row, each at least ``min_step`` (same unit), once it is worse
    than the baseline by ``drop / 2``."""

    drop: float = 0.15
    baseline: str = "gen0"
    relative: bool = True
    consecutive: int = 3
    min_step: float = 0.02


DEFAULT_THRESHOLDS: dict[str, Threshold] = {
    "shrinking_support": Threshold(drop=0.15),
    "vanishing_tails": Threshold(drop=0.25),
    "contracting_volume": Threshold(drop=0.15),
    "rising_self_similarity": Threshold(drop=0.15),
    "metric": Threshold(drop=0.10, relative=False),
    # beta-recall is noisy on small generations: an absolute drop of 0.1
    "tabular.beta_recall": Threshold(drop=0.10, relative=False),
}
_FIELDS = {"drop": float, "baseline": str, "relative": bool, "consecutive": int, "min_step": float}


def parse_thresholds(obj: Any, source: str = "thresholds") -> dict[str, Threshold]:
    """``{signature-or-series-id: {drop, baseline, relative, consecutive, min_step}}`` over the defaults."""
    out = dict(DEFAULT_THRESHOLDS)
    if obj is None:
        return out
    if not isinstance(obj, dict):
        raise UsageError("expected a mapping of signature (or series id) to settings", file=source)
    for key, settings in obj.items():
        if not isinstance(settings, dict):
            raise UsageError(f"{key}: expected a mapping such as {{drop: 0.2, consecutive: 3}}", file=source)
        unknown = sorted(set(settings) - set(_FIELDS))
        if unknown:
            raise UsageError(f"{key}: unknown setting(s) {', '.join(unknown)}; expected {', '.join(_FIELDS)}",
                             file=source)
        base = out.get(str(key), out.get(SERIES_SIGNATURE.get(str(key), "metric"), DEFAULT_THRESHOLDS["metric"]))
        values: dict[str, Any] = {}
        for name, value in settings.items():
            kind = _FIELDS[name]
            ok = (isinstance(value, bool) if kind is bool else isinstance(value, str) if kind is str
                  else isinstance(value, (int, float)) and not isinstance(value, bool))
            if not ok or (kind is int and float(value) != int(value)):
                raise UsageError(f"{key}.{name}: expected {kind.__name__}, got {value!r}", file=source)
            values[name] = kind(value)
        th = replace(base, **values)
        if th.baseline not in ("gen0", "real"):
            raise UsageError(f"{key}.baseline: expected gen0 or real, got {th.baseline!r}", file=source)
        if th.drop <= 0 or th.consecutive < 1 or th.min_step < 0:
            raise UsageError(f"{key}: drop must be > 0, consecutive >= 1, min_step >= 0", file=source)
        out[str(key)] = th
    return out


def threshold_for(series_id: str, thresholds: dict[str, Threshold]) -> Threshold:
    """A series' own setting, else its signature's, else the default for metrics."""
    if series_id in thresholds:
        return thresholds[series_id]
    return thresholds.get(SERIES_SIGNATURE.get(series_id, "metric"), DEFAULT_THRESHOLDS["metric"])


# -- signature formulas ------------------------------------------------------------------------------

def effective_rank(cov: np.ndarray) -> float:
    """exp of the Shannon entropy of the normalised eigenvalues (Roy & Vetterli 2007); d for isotropic."""
    lam = np.clip(np.linalg.eigvalsh(np.asarray(cov, dtype=float)), 0.0, None)
    if lam.sum() <= 0:
        return 0.0
    p = lam / lam.sum()
    p = p[p > 0]
    return float(np.exp(-(p * np.log(p)).sum()))


def log_det(cov: np.ndarray) -> float:
    """log-determinant; -inf when the covariance is singular."""
    sign, value = np.linalg.slogdet(np.atleast_2d(np.asarray(cov, dtype=float)))
    return float(value) if sign > 0 else -math.inf


def tail_share(real: np.ndarray, gen: np.ndarray, q: float = TAIL_Q) -> float | None:
    """Share of ``gen`` below the real q-quantile or above the real (1-q)-quantile, over the real share."""
    real, gen = real[~np.isnan(real)], gen[~np.isnan(gen)]
    if real.size == 0 or gen.size == 0:
        return None
    lo, hi = np.quantile(real, [q, 1 - q])
    real_share = float(np.mean((real < lo) | (real > hi)))
    if real_share == 0:
        return None  # no tail (e.g. a column with few distinct values)
    return float(np.mean((gen < lo) | (gen > hi))) / real_share


def rare_categories_present(real: pd.Series, gen: pd.Series, share: float = RARE_SHARE,
                            min_expected: float = MIN_EXPECTED) -> tuple[float, float]:
    """(real share of the rare real categories present in gen, real share of all of them).

    Rare: real share below ``share``, yet expected at least ``min_expected`` times in a generation of this size
    (rarer ones are missing from a faithful sample by chance). Weighted by the real share."""
    freq = real.dropna().astype(str).value_counts(normalize=True)
    rare = freq[(freq < share) & (freq * len(gen) >= min_expected)]
    present = set(gen.dropna().astype(str))
    return float(rare[[c in present for c in rare.index]].sum()), float(rare.sum())


def _numbers(data: pd.Series | pd.DataFrame) -> np.ndarray:
    """Numbers as floats; text, inf and -inf as missing (NaN), as the audit's column types read them."""
    num = data.apply(pd.to_numeric, errors="coerce") if isinstance(data, pd.DataFrame) else \
        pd.to_numeric(data, errors="coerce")
    x = np.asarray(num, dtype=float)
    return np.where(np.isfinite(x), x, np.nan)


def _standardised(frame: pd.DataFrame, cols: list[str], mean: np.ndarray, std: np.ndarray) -> np.ndarray:
    x = _numbers(frame[cols]).reshape(len(frame), len(cols))
    x = (x - mean) / std
    return x[~np.isnan(x).any(axis=1)]


def mean_nn_distance(x: np.ndarray, max_rows: int, seed: int) -> float | None:
    """Mean Euclidean distance of each row to its nearest other row (a seeded sample of max_rows rows)."""
    if len(x) < 2:
        return None
    if len(x) > max_rows:
        x = x[np.random.default_rng(seed).choice(len(x), max_rows, replace=False)]
    sq = (x * x).sum(axis=1)
    d2 = np.maximum(sq[:, None] + sq[None, :] - 2 * x @ x.T, 0.0)
    np.fill_diagonal(d2, np.inf)
    return float(np.sqrt(d2.min(axis=1)).mean())


class Signatures:
    """The data signatures of generations against one real table (numeric/categorical columns from its spec)."""

    def __init__(self, real: pd.DataFrame, numeric: list[str], categorical: list[str], *, nn_rows: int,
                 seed: int = 0) -> None:
        self.real, self.categorical, self.seed, self.nn_rows = real, categorical, seed, nn_rows
        x = _numbers(real[numeric]).reshape(len(real), len(numeric))
        std = np.nanstd(x, axis=0) if len(numeric) and len(real) else np.zeros(len(numeric))
        self.numeric = [c for c, s in zip(numeric, std) if s > 0 and np.isfinite(s)]
        keep = [i for i, c in enumerate(numeric) if c in self.numeric]
        self.mean, self.std = np.nanmean(x[:, keep], axis=0), std[keep]
        self.real_x = _standardised(real, self.numeric, self.mean, self.std)
        self.reference = self._compute(real, self.real_x)

    def _compute(self, frame: pd.DataFrame, x: np.ndarray) -> dict[str, float | None]:
        out: dict[str, float | None] = {}
        tails = [tail_share(_numbers(self.real[c]), _numbers(frame[c])) for c in self.numeric]
        tails = [t for t in tails if t is not None]
        out["tails.numeric"] = float(np.mean(tails)) if tails else None
        counts = [rare_categories_present(self.real[c], frame[c]) for c in self.categorical]
        total = sum(n for _, n in counts)
        out["tails.rare_categories"] = sum(k for k, _ in counts) / total if total else None
        if x.shape[1] >= 1 and len(x) > x.shape[1]:
            cov = np.atleast_2d(np.cov(x, rowvar=False))
            out["volume.logdet"] = log_det(cov)
            out["volume.effective_rank"] = effective_rank(cov)
        else:
            out["volume.logdet"] = out["volume.effective_rank"] = None
        out["nn.distance"] = mean_nn_distance(x, self.nn_rows, self.seed) if x.shape[1] else None
        return out

    def of(self, frame: pd.DataFrame, label: str = "generation", file: str | None = None) -> dict[str, float | None]:
        """The signatures of one generation (``volume.ratio`` relative to the real covariance); ``file``: where
        the generation was read from, named in errors."""
        missing = [c for c in [*self.numeric, *self.categorical] if c not in frame.columns]
        if missing:
            raise (InputError if file else UsageError)(f"{label} lacks real column(s) {', '.join(missing[:5])}",
                                                       file=file, hint="every generation needs the real data's columns")
        out = self._compute(frame, _standardised(frame, self.numeric, self.mean, self.std))
        ref, ld = self.reference["volume.logdet"], out.pop("volume.logdet")
        d = len(self.numeric)
        out["volume.ratio"] = (None if ld is None or ref is None or not math.isfinite(ref)
                               else 0.0 if not math.isfinite(ld) else math.exp((ld - ref) / d))
        return out

    def real_values(self) -> dict[str, float | None]:
        ref = dict(self.reference)
        ref.pop("volume.logdet")
        ref["volume.ratio"] = 1.0 if self.real_x.shape[1] else None
        return ref


# -- trajectories and warnings ------------------------------------------------------------------------

def _worsening(value: float, base: float, higher_better: bool, relative: bool) -> float:
    diff = (base - value) if higher_better else (value - base)
    if not relative:
        return diff
    return diff / abs(base) if base != 0 else (0.0 if diff == 0 else math.copysign(math.inf, diff))


def first_warning(values: Sequence[float | None], higher_better: bool, th: Threshold,
                  real: float | None = None) -> dict[str, Any] | None:
    """The first generation where the series warns (rule ``threshold`` or ``trend``), or None."""
    base = real if th.baseline == "real" else values[0] if values else None
    run = 0
    for k in range(1, len(values)):
        v, prev = values[k], values[k - 1]
        if v is None or prev is None or base is None:
            run = 0
            continue
        change = _worsening(v, base, higher_better, th.relative)
        if change >= th.drop:
            return {"generation": k, "rule": "threshold", "value": v, "baseline": base, "change": change}
        step = _worsening(v, prev, higher_better, False)
        step = step / abs(base) if th.relative and base != 0 else step
        run = run + 1 if step >= th.min_step else 0
        if run >= th.consecutive and change >= th.drop / 2:
            return {"generation": k, "rule": "trend", "value": v, "baseline": base, "change": change,
                    "steps": run}
    return None


def _derivative(values: Sequence[float | None]) -> list[float | None]:
    return [None] + [None if a is None or b is None else b - a for a, b in zip(values, values[1:])]


def build_track(labels: list[str], metric_values: list[dict[str, float | None]],
                signature_values: list[dict[str, float | None]], real_values: dict[str, float | None],
                directions: dict[str, str], thresholds: dict[str, Threshold]) -> dict[str, Any]:
    """Assemble series (trajectory, derivative, real reference) and warnings from per-generation values."""
    series, warnings = [], []
    ids = list(dict.fromkeys([k for g in metric_values for k in g] + [k for g in signature_values for k in g]))
    for sid in ids:
        values = [(g[sid] if sid in g else s.get(sid)) for g, s in zip(metric_values, signature_values)]
        direction = directions.get(sid, "higher_better")
        if all(v is None for v in values):
            continue
        th = threshold_for(sid, thresholds)
        entry = {"id": sid, "signature": SERIES_SIGNATURE.get(sid, "metric"), "direction": direction,
                 "values": values, "derivative": _derivative(values), "real": real_values.get(sid),
                 "threshold": vars(th)}
        series.append(entry)
        if direction not in ("higher_better", "lower_better"):
            continue
        hit = first_warning(values, direction == "higher_better", th, real_values.get(sid))
        if hit:
            k = hit["generation"]
            verb = "fell" if direction == "higher_better" else "rose"
            unit = f"{hit['change']:.0%}" if th.relative else f"{hit['change']:.3g}"
            why = (f"{verb} {unit} vs {th.baseline} ({hit['baseline']:.4g} -> {hit['value']:.4g})"
                   if hit["rule"] == "threshold" else
                   f"{verb} {hit['steps']} generations in a row ({hit['baseline']:.4g} -> {hit['value']:.4g})")
            warnings.append({"series": sid, "signature": entry["signature"], "label": labels[k], **hit,
                             "message": f"{entry['signature']}: {sid} {why}, first at {labels[k]}"})
    order = [*SIGNATURES, "metric"]
    series.sort(key=lambda s: order.index(s["signature"]))
    warnings.sort(key=lambda w: (w["generation"], w["series"]))
    return {"generations": labels, "series": series, "warnings": warnings,
            "signatures": {sig: next((w["label"] for w in warnings if w["signature"] == sig), None)
                           for sig in SIGNATURES}}


# -- inputs --------------------------------------------------------------------------------------------

def is_report(path: Path) -> bool:
    """A report.json (or a folder holding one), as opposed to a data file (a .json file that is not a report,
    or cannot be read, is left to the data loaders, which name the problem)."""
    from synthaudit.data.files import read_json_file

    path = Path(path)
    if path.is_dir():
        return (path / "report.json").is_file()
    if path.suffix.lower() != ".json" or not path.is_file():
        return False
    try:
        head = read_json_file(path)
    except InputError:
        return False
    return isinstance(head, dict) and "schema_version" in head and "metrics" in head


def metric_values(report: Any, ids: list[str] | None) -> tuple[dict[str, float | None], dict[str, str]]:
    """{series id: value} of a report's metrics (beta-recall's coverage breakdowns as their own series)."""
    values: dict[str, float | None] = {}
    directions: dict[str, str] = {}
    for m in report.metrics:
        if ids is not None and m.id not in ids:
            continue
        values[m.id] = m.value if m.status == "ok" else None
        directions[m.id] = m.direction
        if m.id == "tabular.beta_recall":
            for key, sid in (("category_coverage", "coverage.category"), ("range_coverage", "coverage.range")):
                values[sid] = m.secondary.get(key) if m.status == "ok" else None
                directions[sid] = "higher_better"
    return values, directions


SIGNATURE_DIRECTIONS = {"tails.numeric": "higher_better", "tails.rare_categories": "higher_better",
                        "volume.ratio": "higher_better", "volume.effective_rank": "higher_better",
                        "nn.distance": "higher_better"}


@dataclass
class CollapseData:
    """What a modality's signatures hook (``TrackSpec.signatures``) returns: the data each generation is
    audited on (``None`` keeps the caller's), the real data, and the signature values per generation and of
    the real data."""

    generations: list[Any]
    real: Any
    per_generation: list[dict[str, float | None]]
    real_values: dict[str, float | None]


def track(generations: Sequence[Any], *, real: Any, modality: str = "tabular", labels: Sequence[str] | None = None,
          metrics: Sequence[str] | None = None, thresholds: dict[str, Threshold] | None = None, seed: int = 0,
          audit_kwargs: dict[str, Any] | None = None, progress: bool | None = False) -> dict[str, Any]:
    """Audit each generation (a DataFrame, a data file or a report.json path) against ``real``.

    Returns ``{"generations", "series", "warnings", "signatures", "modality", "metrics"}``; data signatures
    (the modality's ``TrackSpec.signatures`` hook) need the generation's rows, so a report.json generation
    has only its metric series. ``audit_kwargs``: options of the modality's audit (and fmt/encoding)."""
    from synthaudit.analysis import load_report
    from synthaudit.audit.api import audit
    from synthaudit.modalities import get_modality, modalities, resolve

    if len(generations) < 2:
        raise UsageError("give at least two generations (gen0 and a later one), in generation order",
                         field="GENERATIONS")
    spec = get_modality(modality).track if modality in modalities() else None
    if spec is None:
        supported = [m.name for m in modalities().values() if m.track is not None]
        raise UsageError(f"track supports modalities {', '.join(supported)}, not {modality!r}", field="--modality")
    ids = list(metrics) if metrics else list(spec.metrics)
    labels = list(labels) if labels else [f"gen{k}" for k in range(len(generations))]
    if len(labels) != len(generations):
        raise UsageError(f"{len(labels)} labels for {len(generations)} generations", field="labels")
    thresholds = thresholds or dict(DEFAULT_THRESHOLDS)
    kw = audit_kwargs or {}
    reports = [isinstance(g, (str, Path)) and is_report(Path(g)) for g in generations]
    hook = resolve(spec.signatures)
    data = None
    if hook is not None and real is not None:
        data = hook(real, [None if rep else g for g, rep in zip(generations, reports)], labels, seed, kw)
    # every input is read and checked before the first audit runs: an empty or malformed generation is one
    # error naming its file, not a failure after the earlier generations' audits
    loaded = [load_report(Path(gen)) if rep else None for gen, rep in zip(generations, reports)]
    ref = data.real if data is not None else real
    for k, (gen, rep) in enumerate(zip(generations, reports)):
        if not rep:
            own = data.generations[k] if data is not None and data.generations[k] is not None else gen
            tables = _prepared_tables(modality, own, ref, seed, kw)
            loaded[k], ref = tables["synthetic"], tables.get("real_reference", ref)  # each file is read once
    per_metric, directions = [], dict(SIGNATURE_DIRECTIONS)
    for k, rep in enumerate(reports):
        if rep:
            report = loaded[k]
        else:
            report = audit(modality, synthetic=loaded[k], real=ref, metrics=ids, seed=seed, **kw)
        values, dirs = metric_values(report, ids)
        per_metric.append(values)
        directions.update(dirs)
    per_sig = data.per_generation if data is not None else [{} for _ in generations]
    real_values = data.real_values if data is not None else {}
    result = build_track(labels, per_metric, per_sig, real_values, directions, thresholds)
    return {"modality": modality, "metrics": ids, **result}


_LOAD_KEYS = ("fmt", "encoding", "stream")
_AUDIT_KEYS = ("policy", "dimensions", "params", "models", "out", "progress", "batch_size", "command")


def _prepared_tables(modality: str, synthetic: Any, real: Any, seed: int, kw: dict[str, Any]) -> dict[str, Any]:
    """The tables of one generation's audit, read and checked by the modality's preparation (as the audit will):
    loaded :class:`~synthaudit.data.tabular.Table` objects, which the audit takes as they are."""
    from synthaudit.audit.api import options_for, prepare_inputs

    options = {k: v for k, v in kw.items() if k not in _LOAD_KEYS + _AUDIT_KEYS}
    opts = options_for(modality, synthetic=synthetic, real=real, **options)
    inputs = prepare_inputs(opts, seed=seed, params=kw.get("params"), **{k: kw[k] for k in _LOAD_KEYS if k in kw})
    return inputs.tables


# -- output --------------------------------------------------------------------------------------------

def trajectory_svg(series: dict[str, Any], labels: list[str]) -> str:
    """One series over the generations, its real reference dashed and the first warning marked."""
    from synthaudit.report.plots import REAL_COLOR, SYN_COLOR, _plt, _svg

    plt = _plt()
    fig, ax = plt.subplots(figsize=(4.6, 2.8))
    xs = np.arange(len(labels))
    ys = np.array([np.nan if v is None else v for v in series["values"]], dtype=float)
    ax.plot(xs, ys, color=SYN_COLOR, marker="o", linewidth=1.6, label="generation")
    if series.get("real") is not None:
        ax.axhline(series["real"], color=REAL_COLOR, linestyle="--", linewidth=1.2, label="real")
    warn = series.get("warning")
    if warn:
        ax.axvline(warn["generation"], color="#b03a2e", linestyle=":", linewidth=1.2,
                   label=f"warning ({warn['rule']})")
    ax.set_xticks(xs, labels, rotation=30 if len(labels) > 6 else 0)
    better = "higher" if series["direction"] == "higher_better" else "lower"
    ax.set_ylabel(f"{series['id']} ({better} is better)" if series["direction"] != "report_only" else series["id"])
    ax.set_title(series["id"])
    ax.legend(frameon=False, fontsize=7)
    vals = ", ".join("—" if v is None else f"{v:.3g}" for v in series["values"])
    alt = f"Trajectory of {series['id']} over {len(labels)} generations: {vals}"
    if warn:
        alt += f"; warning first at {labels[warn['generation']]}"
    return _svg(fig, alt)


def render_html(result: dict[str, Any]) -> str:
    """A self-contained page: the warnings, then one trajectory plot per series, grouped by signature."""
    from html import escape

    labels = result["generations"]
    first = {w["series"]: w for w in result["warnings"]}
    parts = ["<!doctype html><html lang='en'><head><meta charset='utf-8'><title>synthaudit track</title>",
             "<style>body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}"
             "figure{display:inline-block;margin:0 1rem 1rem 0}.warn{color:#b03a2e}"
             "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2rem .5rem}</style></head><body>",
             "<h1>Longitudinal audit: model-collapse signatures</h1>",
             f"<p>{len(labels)} generations of {escape(result['modality'])} data audited against the same real "
             "data (survey section 8.1; Shumailov et al. 2024).</p><h2>Warnings</h2>"]
    if result["warnings"]:
        parts.append("<ul>" + "".join(f"<li class='warn'>{escape(w['message'])}</li>" for w in result["warnings"])
                     + "</ul>")
    else:
        parts.append("<p>No signature fired.</p>")
    groups = [*SIGNATURES, "metric"]
    for group in groups:
        members = [s for s in result["series"] if s["signature"] == group]
        if not members:
            continue
        parts.append(f"<h2>{escape(group.replace('_', ' '))}</h2>")
        rows = "".join(f"<tr><th scope='row'>{escape(s['id'])}</th>"
                       + "".join(f"<td>{'—' if v is None else f'{v:.4g}'}</td>" for v in s["values"])
                       + f"<td>{'—' if s['real'] is None else format(s['real'], '.4g')}</td></tr>" for s in members)
        parts.append("<table><thead><tr><th scope='col'>series</th>"
                     + "".join(f"<th scope='col'>{escape(lbl)}</th>" for lbl in labels)
                     + "<th scope='col'>real</th></tr></thead><tbody>" + rows + "</tbody></table>")
        for s in members:
            svg = trajectory_svg({**s, "warning": first.get(s["id"])}, labels)
            parts.append(f"<figure><h3>{escape(s['id'])}</h3>{svg}</figure>")
    parts.append("</body></html>")
    return "\n".join(parts)


def write(result: dict[str, Any], out: Path) -> dict[str, Path]:
    """Write ``track.json`` and ``track.html`` into ``out`` (created if needed)."""
    from synthaudit.report.model import jsonable

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"json": out / "track.json", "html": out / "track.html"}
    paths["json"].write_text(json.dumps(jsonable(result), indent=2, ensure_ascii=False), encoding="utf-8")
    paths["html"].write_text(render_html(result), encoding="utf-8")
    return paths
