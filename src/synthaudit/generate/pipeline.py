"""``synthaudit pipeline config.yaml``: generate -> audit -> filter -> audit again (survey sections 1 and 5).

The survey's data-centric loop made runnable: a generator makes (or a file supplies) synthetic records, the
audit measures them, record-level checks filter them, and a second audit of the kept records shows what the
filter changed. Outputs in ``out``: ``generated.<ext>``, ``before/report.{json,html}``, ``filter/``
(kept, rejected, summary), ``after/report.{json,html}`` and ``comparison.json`` (metric values before and
after, record counts). Config keys are documented in docs/curation_loop.md.
"""
from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from synthaudit.errors import InputError, UsageError

TOP_KEYS = {"modality", "seed", "n", "real", "holdout", "generator", "audit", "filter", "out"}
GENERATOR_KEYS = {"method", "params", "from_file", "target", "rare_boost", "model", "base_url"}
FILTER_KEYS = {"checks", "max", "min", "params"}


def load_config(path: Path) -> dict[str, Any]:
    from synthaudit.data.files import read_yaml_file

    doc = read_yaml_file(Path(path), UsageError, "a pipeline config (YAML)")
    if not isinstance(doc, dict):
        raise UsageError("expected a mapping with modality, generator, audit and filter", file=str(path))
    _keys(doc, TOP_KEYS, "config", path)
    _keys(doc.get("generator") or {}, GENERATOR_KEYS, "generator", path)
    _keys(doc.get("filter") or {}, FILTER_KEYS, "filter", path)
    if not isinstance(doc.get("generator"), dict):
        raise UsageError("needs 'generator': {method: ..., params: ...} or {from_file: PATH}", file=str(path))
    base = Path(path).resolve().parent
    for key in ("real", "holdout"):  # relative paths are relative to the config file
        if doc.get(key):
            doc[key] = str((base / doc[key]) if not Path(doc[key]).is_absolute() else Path(doc[key]))
    if doc["generator"].get("from_file"):
        f = Path(doc["generator"]["from_file"])
        doc["generator"]["from_file"] = str(f if f.is_absolute() else base / f)
    return doc


def _keys(doc: Any, allowed: set[str], where: str, path: Path) -> None:
    if not isinstance(doc, dict):
        raise UsageError(f"'{where}' must be a mapping", file=str(path))
    unknown = sorted(set(doc) - allowed)
    if unknown:
        raise UsageError(f"unknown key(s) in {where}: {', '.join(unknown)}; expected {', '.join(sorted(allowed))}",
                         file=str(path))


def _generate(cfg: dict, out: Path, echo) -> Path:
    """The synthetic records as a file: the given one, or the modality's generator's output written to ``out``."""
    from synthaudit.modalities import get_modality

    gen, modality, seed = cfg["generator"], cfg.get("modality", "tabular"), int(cfg.get("seed", 0))
    if gen.get("from_file"):
        path = Path(gen["from_file"])
        if not path.exists():
            raise InputError("file not found", file=str(path), field="generator.from_file")
        echo(f"pipeline: synthetic records from {path}")
        return path
    n = int(cfg.get("n") or 0)
    if n < 1:
        raise UsageError("'n' (rows to generate) must be a positive integer", field="n")
    hook = get_modality(modality).hook("pipeline_generator")
    if hook is None:
        raise UsageError(f"the {modality} modality has no built-in generator; give generator: {{from_file: PATH}}",
                         field="generator")
    path = hook(gen, cfg, out, n, seed)
    echo(f"pipeline: generated {path}")
    return path


def llm_client(gen: dict) -> Any:
    """The LLM client a generator config names (default: the offline SmolLM2)."""
    from synthaudit.models.llm import LLMClient

    return LLMClient(model=gen.get("model") or "smollm2", base_url=gen.get("base_url"))


#: keywords of ``synthaudit.audit`` that the config's ``audit`` mapping may set besides the modality's options
AUDIT_KEYWORDS = ("real", "policy", "metrics", "dimensions", "seed", "params", "models", "stream", "batch_size",
                  "fmt", "encoding")


def _audit_options(cfg: dict, modality: str) -> dict[str, Any]:
    from synthaudit.modalities import get_modality

    opts = dict(cfg.get("audit") or {})
    allowed = set(AUDIT_KEYWORDS) | set(get_modality(modality).inputs.option_names()) - {"synthetic"}
    unknown = sorted(set(opts) - allowed)
    if unknown:
        raise UsageError(f"unknown audit option(s) {', '.join(unknown)}; a {modality} audit takes "
                         f"{', '.join(sorted(allowed))}", field="audit")
    for key in ("real", "holdout"):
        if cfg.get(key) and key not in opts and key in allowed:
            opts[key] = cfg[key]
    opts.setdefault("seed", int(cfg.get("seed", 0)))
    return opts


def _inputs_kw(modality: str, opts: dict) -> dict[str, Any]:
    """The audit options that also describe the inputs of the filter's checks (``FilterSpec.options``)."""
    from synthaudit.modalities import get_modality

    spec = get_modality(modality).filter
    return {k: v for k, v in opts.items() if spec is not None and k in spec.options}


def run_pipeline(cfg: dict[str, Any], out: Path, *, echo=print) -> dict[str, Any]:
    """Run the loop; returns the comparison (also written to ``out/comparison.json``)."""
    from synthaudit.audit.api import audit
    from synthaudit.generate.filter import filter_file, resolve_checks

    from synthaudit.modalities import modalities

    modality = cfg.get("modality", "tabular")
    supported = [m.name for m in modalities().values() if m.filter is not None]
    if modality not in supported:
        raise UsageError(f"pipeline modality must be {', '.join(supported)}, not {modality!r}", field="modality")
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise UsageError("exists and is not a directory", file=str(out), field="--out")
    fcfg = cfg.get("filter") or {}
    checks = resolve_checks(modality, fcfg.get("checks"), fcfg.get("max"), fcfg.get("min"))
    opts = _audit_options(cfg, modality)
    if opts.get("metrics"):  # the filter's metrics are audited too, so their change shows
        opts["metrics"] = list(dict.fromkeys([*opts["metrics"], *(c.id for c in checks if "filter" not in c.id)]))
    out.mkdir(parents=True, exist_ok=True)
    synthetic = _generate(cfg, out, echo)
    before = audit(modality, synthetic=synthetic, out=out / "before", command="synthaudit pipeline (before)", **opts)
    echo(f"pipeline: audited {synthetic} -> {out / 'before'}")
    params = {**(opts.get("params") or {}), **(fcfg.get("params") or {})}
    result = filter_file(modality, synthetic, checks, out / "filter", seed=opts["seed"], params=params,
                         models=opts.get("models"), **_inputs_kw(modality, opts))
    echo(f"pipeline: kept {result.summary['kept']} of {result.summary['records']} records "
         f"({result.summary['rejected']} rejected)")
    if result.kept.size == 0:
        raise InputError("the filter rejected every record; nothing to audit after filtering",
                         hint="loosen the thresholds (filter.max / filter.min)")
    after = audit(modality, synthetic=Path(result.paths["kept"]), out=out / "after",
                  command="synthaudit pipeline (after)", **opts)
    comparison = compare(before, after, result.summary)
    (out / "comparison.json").write_text(json.dumps(comparison, indent=2), encoding="utf-8")
    echo(f"pipeline: wrote {out / 'comparison.json'}")
    return comparison


def compare(before: Any, after: Any, summary: dict) -> dict[str, Any]:
    """Metric values before and after filtering, with the direction that counts as better."""
    b = {m.id: m for m in before.metrics}
    rows = []
    for m in after.metrics:
        old = b.get(m.id)
        vb, va = (old.value if old else None), m.value
        delta = va - vb if va is not None and vb is not None else None
        better = None
        if delta is not None and m.direction in ("lower_better", "higher_better") and not math.isclose(delta, 0.0):
            better = (delta < 0) == (m.direction == "lower_better")
        rows.append({"metric": m.id, "direction": m.direction, "before": vb, "after": va, "delta": delta,
                     "improved": better})
    return {"records": {"before": summary["records"], "after": summary["kept"], "rejected": summary["rejected"],
                        "unscored_kept": summary["unscored_kept"]},
            "rejected_by_check": summary["rejected_by_check"], "metrics": rows,
            "passed": {"before": before.passed, "after": after.passed}}
