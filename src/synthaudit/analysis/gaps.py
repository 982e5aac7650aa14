"""Coverage gaps (survey section 8.1): which dimensions a run measured, beside the survey's Tables 2-7.

Marks follow the tables' legend: ✓ every catalog metric of the dimension ran ok on all records; △ some ran,
or one ran on a sample; × none ran. "—" means the catalog has no metric of that dimension for the modality.
"""
from __future__ import annotations

import re
from typing import Any, Iterable

from synthaudit.catalog import ALL_DIMENSIONS, load_gap_tables
from synthaudit.errors import UsageError
from synthaudit.report.model import AuditReport, MetricEntry

FULL, PARTIAL, NONE, NA = "✓", "△", "×", "—"
#: which of the survey's Tables 2-7 holds the representative methods of a modality
MODALITY_TABLE = {"text": 2, "dialogue": 2, "reasoning": 3, "tabular": 4, "graph": 5, "json": 5, "logs": 5,
                  "image_text": 6, "video_text": 6, "agent": 7}
#: Table 5 (and any table with ``data_type``) rows belong to one semi-structured modality
DATA_TYPE = {"graph": "Graph data", "json": "JSON", "logs": "Log data"}
_OF = re.compile(r"(\d[\d,]*)\D{0,40}?\bof (\d[\d,]*)")
_SIZE_PARAMS = ("max_query_rows", "max_rows", "max_records", "sample_size")


def sample_note(m: MetricEntry) -> str | None:
    """Why a metric's value rests on a subsample (from its notes), or None when it used every record.

    A metric is sampled only when it really used fewer records than it had:

    * ``sample`` (the field, not a note): the seeded rows a global metric of a streamed audit saw;

    * ``sample_size`` and ``population`` (numbers), when a metric states them, decide alone;
    * a ``sample`` / ``sampled`` note is written only when a sampler dropped records; ``<side>_sampled_rows``
      (a number) likewise;
    * otherwise a note counts when it says "N ... of M" with N < M about a sample, unless every side was cut to
      the smallest of the sizes it names (members and non-members balanced to equal sizes: a design of the
      metric, not a sample that a larger cap would avoid). A sample of a figure (the embedding map's points) or
      the words "seeded sample" alone do not make the value sampled.
    """
    if m.sample:  # a global metric of a streamed audit saw a seeded sample of rows (audit/reservoir.py)
        return "; ".join(f"{role}: {s['rows']:,} of {s['of']:,} rows" for role, s in m.sample.items())
    size, population = m.notes.get("sample_size"), m.notes.get("population")
    if _is_number(size) and _is_number(population):
        return f"sample_size {size:g} of {population:g}" if size < population else None
    for key in ("sample", "sampled"):
        if m.notes.get(key):
            return f"{key}: {m.notes[key]}"
    for key, value in m.notes.items():
        if key.endswith("_sampled_rows") and _is_number(value):
            return f"{key}: {value:g}"
    for key, text in m.notes.items():
        if not isinstance(text, str) or "sample" not in text.lower():
            continue
        pairs = [(int(a.replace(",", "")), int(b.replace(",", ""))) for a, b in _OF.findall(text)]
        cut = [(n, total) for n, total in pairs if n < total]
        if not cut:
            continue
        smallest = min(total for _, total in pairs)
        if all(n == smallest for n, _ in pairs):
            continue  # balanced to the smaller side: every record of that side was used
        return f"{key}: {text}"
    return None


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _catalog_ok(report: AuditReport, dim: str) -> list[MetricEntry]:
    return [m for m in report.metrics if m.dimension == dim and m.status == "ok" and not m.extension]


def dimension_marks(report: AuditReport) -> dict[str, dict[str, Any]]:
    """Per dimension of the report's scorecard: mark, metrics ok / in the catalog, and sampled metric ids."""
    out: dict[str, dict[str, Any]] = {}
    for row in report.scorecard:
        ok = _catalog_ok(report, row.dimension)
        sampled = {m.id: note for m in ok if (note := sample_note(m))}
        if not ok:
            mark = NONE
        elif len(ok) >= row.catalog_metrics and not sampled:
            mark = FULL
        else:
            mark = PARTIAL
        out[row.dimension] = {"mark": mark, "ok": len(ok), "catalog": row.catalog_metrics, "sampled": sampled}
    return out


def marks(report: AuditReport) -> dict[str, str]:
    """{dimension: mark} over every dimension of the framework (— where the catalog has no metric)."""
    dm = dimension_marks(report)
    return {d: dm[d]["mark"] if d in dm else NA for d in ALL_DIMENSIONS}


def coverage_matrix(reports: Iterable[AuditReport], labels: Iterable[str] | None = None) -> list[dict[str, Any]]:
    """One row per report: ``{"label", "modality", "marks": {dimension: mark}, "detail": {...}}``.

    The rows of the survey's "evaluation practice gap" tables (section 8.1), for the user's own runs; the
    HTML report can put this matrix at its top."""
    reports = list(reports)
    names = list(labels) if labels is not None else [r.modality for r in reports]
    return [{"label": name, "modality": r.modality, "marks": marks(r), "detail": dimension_marks(r)}
            for name, r in zip(names, reports)]


def closing_flags(report: AuditReport) -> dict[str, list[dict[str, Any]]]:
    """For every dimension not marked ✓: what would close the gap, grouped by the flag (or reason).

    From the report's gaps (``enable``/``reason``), failed metrics and metrics that ran on a sample."""
    dm = dimension_marks(report)
    out: dict[str, dict[str, dict[str, Any]]] = {}

    def add(dim: str, key: str, enable: str | None, reason: str, mid: str) -> None:
        if dim in dm and dm[dim]["mark"] == FULL:
            return
        group = out.setdefault(dim, {}).setdefault(key, {"enable": enable, "reason": reason, "metrics": []})
        group["metrics"].append(mid)

    for g in report.gaps:
        if ".ext." in g.id:  # extension checks do not count toward the survey's coverage
            continue
        if g.kind == "not_selected" and (g.enable or "").startswith("--metrics "):
            add(g.dimension, "--metrics", "--metrics", g.reason, g.id)  # one flag: the ids joined by commas
        else:
            add(g.dimension, g.enable or g.reason, g.enable, g.reason, g.id)
    for m in report.metrics:
        if m.extension:
            continue
        if m.status == "failed":
            add(m.dimension, f"failed: {m.error}", None, f"failed: {m.error or 'see the report'}", m.id)
        elif m.id in dm.get(m.dimension, {}).get("sampled", {}):
            note = dm[m.dimension]["sampled"][m.id]
            size = next((p for p in _SIZE_PARAMS if p in note or p in m.params), None)
            enable = (f"--param {m.id}.max_query_rows=0" if size == "max_query_rows"
                      else f"--param {m.id}.{size}=<larger>" if size else None)
            add(m.dimension, enable or f"sampled {m.id}", enable, f"ran on a sample ({note})", m.id)
    for groups in out.values():
        if "--metrics" in groups:
            groups["--metrics"]["enable"] = "--metrics " + ",".join(groups["--metrics"]["metrics"])
    return {d: list(groups.values()) for d, groups in out.items()}


def flag_lines(report: AuditReport) -> list[str]:
    """Human-readable lines such as ``fairness: --protected COL (tabular.spd, tabular.dir)``."""
    lines = []
    for dim, groups in closing_flags(report).items():
        for g in groups:
            what = f"pass {g['enable']}" if g["enable"] and g["enable"].startswith("--") else (g["enable"] or "")
            text = what if what else g["reason"]
            ids = "" if text.startswith("pass --metrics") else f" ({', '.join(g['metrics'])})"
            lines.append(f"{dim}: {text}{ids}")
    return lines


# -- the survey's tables -------------------------------------------------------------------------------

def survey_table(modality: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The survey's Table 2-7 of a modality and its representative methods (rows of that data type)."""
    number = MODALITY_TABLE.get(modality)
    if number is None:
        raise UsageError(f"the survey has no evaluation-practice table for modality {modality!r}; tables cover "
                         + ", ".join(sorted(MODALITY_TABLE)), field="--compare-methods")
    table = next(t for t in load_gap_tables()["tables"] if t["table"] == number)
    rows = [r for r in table["rows"]
            if modality not in DATA_TYPE or r.get("data_type") in (None, DATA_TYPE[modality])]
    return table, rows


def _covered(row_marks: dict[str, str], dims: list[str]) -> int:
    return sum(1 for d in dims if row_marks.get(d) in (FULL, PARTIAL))


def compare_methods(report: AuditReport, label: str = "this audit") -> dict[str, Any]:
    """The user's row beside the survey's methods of the same modality (same columns, the survey's marks)."""
    table, rows = survey_table(report.modality)
    dims = list(table["dimensions"])
    mine = marks(report)
    own = {"method": label, "citation": None, "marks": {d: mine[d] for d in dims}, "source": "audit"}
    survey = [{"method": r["method"], "citation": r.get("citation"), "marks": {d: r["marks"][d] for d in dims},
               "source": f"Table {table['table']}"} for r in rows]
    out_rows = [own, *survey]
    for r in out_rows:
        r["covered"] = _covered(r["marks"], dims)
    return {"table": table["table"], "caption": table["caption"], "table_modality": table["modality"],
            "dimensions": dims, "rows": out_rows,
            "outside_table": {d: m for d, m in mine.items() if d not in dims and m in (FULL, PARTIAL)}}


def report_coverage(report: AuditReport) -> dict[str, Any]:
    """The coverage matrix a report shows: its marks beside the survey's representative methods (Tables 2-7)
    when the survey has a table for the modality, else its own marks alone."""
    if report.modality in MODALITY_TABLE:
        return compare_methods(report)
    own = {d: m for d, m in marks(report).items() if m != NA}
    return {"table": None, "caption": "Coverage of this audit", "dimensions": list(own),
            "rows": [{"method": "this audit", "citation": None, "marks": own, "source": "audit",
                      "covered": sum(m in (FULL, PARTIAL) for m in own.values())}], "outside_table": {}}


def parse_paper(text: str) -> dict[str, str]:
    """``"validity,fidelity:partial"`` -> {validity: ✓, fidelity: △}; unknown dimensions are a UsageError."""
    out: dict[str, str] = {}
    for item in (t.strip() for t in text.split(",")):
        if not item:
            continue
        dim, _, level = (p.strip().lower() for p in item.partition(":"))
        if dim not in ALL_DIMENSIONS:
            raise UsageError(f"unknown dimension {dim!r}; expected one of {', '.join(ALL_DIMENSIONS)}",
                             field="--paper")
        if level in ("", "explicit", "full", FULL):
            out[dim] = FULL
        elif level in ("partial", PARTIAL):
            out[dim] = PARTIAL
        else:
            raise UsageError(f"unknown level {level!r} for {dim}; expected 'explicit' (default) or 'partial'",
                             field="--paper")
    if not out:
        raise UsageError("no dimension given", field="--paper", hint='e.g. --paper "validity,fidelity,diversity"')
    return out


def score_paper(text: str, modality: str) -> dict[str, Any]:
    """A paper that reported these dimensions, scored on the survey's table of ``modality`` (section 8.1)."""
    reported = parse_paper(text)
    table, rows = survey_table(modality)
    dims = list(table["dimensions"])
    paper_marks = {d: reported.get(d, NONE) for d in dims}
    covered = [d for d in dims if paper_marks[d] != NONE]
    survey = [{"method": r["method"], "citation": r.get("citation"), "marks": {d: r["marks"][d] for d in dims},
               "covered": _covered(r["marks"], dims)} for r in rows]
    return {"table": table["table"], "table_modality": table["modality"], "dimensions": dims,
            "paper": {"method": "paper", "marks": paper_marks, "covered": len(covered)},
            "covers": covered, "leaves_out": [d for d in dims if d not in covered],
            "outside_table": [d for d in reported if d not in dims], "methods": survey,
            "methods_covering_fewer": sum(1 for r in survey if r["covered"] < len(covered))}
