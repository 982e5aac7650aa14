"""Analyses across audit reports (survey section 8.1 coverage gaps, section 8.3 trade-offs).

``gaps``: the coverage matrix of a run beside the survey's evaluation-practice tables (Tables 2-7).
``pareto``: the non-dominated runs over chosen metrics (the quality/trust trade-off of section 8.3).
"""
from __future__ import annotations

from pathlib import Path

from synthaudit.report.model import AuditReport


def report_path(path: Path) -> Path:
    """The report.json a path names (a directory means its report.json)."""
    path = Path(path)
    return path / "report.json" if path.is_dir() and (path / "report.json").is_file() else path


def load_report(path: Path) -> AuditReport:
    """Read and validate one report.json (a directory means its report.json); InputError when it is not one.

    Every command that reads reports (``gaps``, ``pareto``, ``track``, ``report``) reads them here, through the
    JSON reader of the data loaders (:func:`synthaudit.data.files.read_json_file`: undecodable, corrupt,
    invalid or too deeply nested files are one error naming the file)."""
    from synthaudit.data.files import read_json_file
    from synthaudit.errors import InputError

    path = report_path(path)
    hint = "pass the report.json written by `synthaudit audit`"
    if not path.exists():
        raise InputError("file not found", file=str(path))
    if path.is_dir():
        raise InputError("is a directory without a report.json", file=str(path))
    try:
        obj = read_json_file(path)
    except InputError as exc:
        raise InputError(f"not a synthaudit report: {exc.message.removeprefix('is ')}", file=str(path),
                         row=exc.row, hint=exc.hint or hint) from None
    try:
        report = AuditReport.model_validate(obj)
    except (ValueError, RecursionError) as exc:  # pydantic's ValidationError is a ValueError
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputError(f"not a synthaudit report ({first})", file=str(path), hint=hint) from None
    _check_modality(report, path)
    return report


def _check_modality(report: AuditReport, path: Path) -> None:
    """A report's metrics and gaps belong to its modality (ids '<modality>.<name>'); one that says 'text' but
    holds tabular metrics was not written by an audit, and its coverage or front would mean nothing."""
    from synthaudit.errors import InputError

    prefix = f"{report.modality}."
    alien = [m.id for m in report.metrics if m.modality != report.modality or not m.id.startswith(prefix)]
    alien += [g.id for g in report.gaps if not g.id.startswith(prefix)]
    if alien:
        shown = ", ".join(alien[:4]) + (f", ... ({len(alien)} in all)" if len(alien) > 4 else "")
        raise InputError(f"not a consistent synthaudit report: its modality is {report.modality!r} but it lists "
                         f"metrics of another modality ({shown})", file=str(path),
                         hint="pass the report.json written by `synthaudit audit`, unedited")


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
