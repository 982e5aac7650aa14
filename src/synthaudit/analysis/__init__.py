"""Analyses across audit reports (survey section 8.1 coverage gaps, section 8.3 trade-offs).

``gaps``: the coverage matrix of a run beside the survey's evaluation-practice tables (Tables 2-7).
``pareto``: the non-dominated runs over chosen metrics (the quality/trust trade-off of section 8.3).
"""
from __future__ import annotations

from pathlib import Path

from synthaudit.report.model import AuditReport


def load_report(path: Path) -> AuditReport:
    """Read and validate one report.json (a directory means its report.json); InputError when it is not one."""
    from synthaudit.errors import InputError

    path = Path(path)
    if path.is_dir() and (path / "report.json").is_file():
        path = path / "report.json"
    if not path.exists():
        raise InputError("file not found", file=str(path))
    if path.is_dir():
        raise InputError("is a directory without a report.json", file=str(path))
    try:
        return AuditReport.from_json(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputError(f"not a synthaudit report ({first})", file=str(path),
                         hint="pass the report.json written by `synthaudit audit`") from None


def run_label(path: Path) -> str:
    """A short name for a run: the folder of a report.json, else the file's stem."""
    path = Path(path)
    if path.is_dir():
        return path.name or str(path)
    return path.parent.name if path.name == "report.json" and path.parent.name else path.stem


def unique_labels(labels: list[str]) -> list[str]:
    """Make labels unique by appending #2, #3 ... to repeats."""
    seen: dict[str, int] = {}
    out = []
    for lbl in labels:
        seen[lbl] = seen.get(lbl, 0) + 1
        out.append(lbl if seen[lbl] == 1 else f"{lbl}#{seen[lbl]}")
    return out
