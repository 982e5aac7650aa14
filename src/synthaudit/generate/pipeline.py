"""``synthaudit pipeline config.yaml``: generate -> audit -> filter -> audit again (survey sections 1 and 5).

The survey's data-centric loop made runnable: a generator makes (or a file supplies) synthetic records, the
audit measures them, record-level checks filter them, and a second audit of the kept records shows what the
filter changed. Outputs in ``out``: ``generated.<ext>``, ``before/report.{json,html}``, ``filter/``
(kept, rejected, summary), ``after/report.{json,html}`` and ``comparison.json`` (metric values before and
after, record counts). Config keys are documented in docs/curation_loop.md.
"""
from __future__ import annotations

import inspect
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
    """The synthetic records as a file: the given one, or a generator's output written to ``out``."""
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
    client = None
    if gen.get("method") == "llm" or modality != "tabular":
        from synthaudit.models.llm import LLMClient

        client = LLMClient(model=gen.get("model") or "smollm2", base_url=gen.get("base_url"))
    if modality == "tabular":
        from synthaudit.data.files import read_file
        from synthaudit.generate.adapter import generate_tabular, make_generator, write_frame

        if not cfg.get("real"):
            raise UsageError("a tabular generator needs 'real' (the table it learns from)", field="real")
        real = read_file(Path(cfg["real"]))
        generator = make_generator(str(gen.get("method", "gaussian_copula")), seed=seed, target=gen.get("target"),
                                   rare_boost=float(gen.get("rare_boost") or 0.0), client=client,
                                   **(gen.get("params") or {}))
        frame = generate_tabular(generator, real, n, seed)
        path = out / "generated.csv"
        write_frame(frame, path)
        stats = getattr(generator, "stats", None)
        if stats is not None:
            (out / "generation.json").write_text(json.dumps(stats.as_dict(), indent=2), encoding="utf-8")
    else:
        records, rejects = _text_records(gen, client, n, seed)
        path = out / "generated.jsonl"
        _write_jsonl(path, records)
        if rejects:
            _write_jsonl(out / "generation_rejects.jsonl", rejects)
        if not records:
            raise InputError(f"the {gen.get('method')} generator produced no records ({len(rejects)} rejected; see "
                             f"{out / 'generation_rejects.jsonl'})")
    echo(f"pipeline: generated {path}")
    return path


def _text_records(gen: dict, client: Any, n: int, seed: int) -> tuple[list[dict], list[dict]]:
    """Records from ``synthaudit.generate.text.METHODS[method](client, n, seed, **params)`` (rejects apart)."""
    try:
        from synthaudit.generate.text import METHODS, is_reject
    except ImportError:
        raise UsageError("text generation needs synthaudit.generate.text, which is not available in this "
                         "installation; give generator: {from_file: PATH} instead") from None
    method = gen.get("method")
    if method not in METHODS:
        raise UsageError(f"unknown text generator {method!r}; expected one of {', '.join(METHODS)} (or from_file)",
                         field="generator.method")
    records: list[dict] = []
    rejects: list[dict] = []
    for rec in METHODS[method](client, n, seed, **(gen.get("params") or {})):
        (rejects if is_reject(rec) else records).append(rec)
    return records, rejects


def _write_jsonl(path: Path, rows: list[dict]) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps(r, ensure_ascii=False, default=str) + "\n")


def _audit_options(cfg: dict) -> dict[str, Any]:
    from synthaudit.audit.api import audit

    opts = dict(cfg.get("audit") or {})
    allowed = set(inspect.signature(audit).parameters) - {"modality", "synthetic", "out", "command", "progress"}
    unknown = sorted(set(opts) - allowed)
    if unknown:
        raise UsageError(f"unknown audit option(s) {', '.join(unknown)}; see synthaudit.audit()", field="audit")
    for key in ("real", "holdout"):
        if cfg.get(key) and key not in opts:
            opts[key] = cfg[key]
    opts.setdefault("seed", int(cfg.get("seed", 0)))
    return opts


def _inputs_kw(modality: str, opts: dict) -> dict[str, Any]:
    """The audit options that also describe the inputs of the filter's checks."""
    if modality == "text":
        from synthaudit.data.text import prepare_text as prep
    elif modality == "dialogue":
        from synthaudit.data.dialogue import prepare_dialogue as prep
    else:
        from synthaudit.data.tabular_inputs import prepare_tabular as prep
    names = set(inspect.signature(prep).parameters) - {"synthetic", "seed", "params", "fmt", "encoding", "delimiter"}
    return {k: v for k, v in opts.items() if k in names}


def run_pipeline(cfg: dict[str, Any], out: Path, *, echo=print) -> dict[str, Any]:
    """Run the loop; returns the comparison (also written to ``out/comparison.json``)."""
    from synthaudit.audit.api import audit
    from synthaudit.generate.filter import filter_file, resolve_checks

    modality = cfg.get("modality", "tabular")
    if modality not in ("tabular", "text", "dialogue"):
        raise UsageError(f"pipeline modality must be tabular, text or dialogue, not {modality!r}", field="modality")
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise UsageError("exists and is not a directory", file=str(out), field="--out")
    fcfg = cfg.get("filter") or {}
    checks = resolve_checks(modality, fcfg.get("checks"), fcfg.get("max"), fcfg.get("min"))
    opts = _audit_options(cfg)
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
