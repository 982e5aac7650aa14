"""``synthaudit profile tabular``: the statistics of a real table for an audit from statistics (issue #12).

Mounted by the CLI from the tabular modality's ``profile`` hook; the work is
:func:`synthaudit.modalities.tabular.statistics.profile` (docs/tabular.md, "Audit from statistics")."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.markup import escape

from synthaudit.cli.common import _split, out_console, user_errors


def profile_tabular(
    real: Path = typer.Option(..., "--real", "-r", help="Real table to summarise (CSV/TSV, Parquet, JSONL, JSON, or a "
                              "Dataset.save_to_disk folder)."),
    out: Path = typer.Option(..., "--out", "-o", help="Folder to write statistics.json to (read by `synthaudit audit "
                             "tabular --real-stats FOLDER`)."),
    k: int = typer.Option(5, "--k", min=2, help="Smallest count published: cells of fewer rows are suppressed."),
    num_bins: int = typer.Option(10, "--num-bins", min=1, help="Equal-width bins of numerical columns (the "
                                 "contingency score's num_bins)."),
    schema: Optional[Path] = typer.Option(None, "--schema", help="Table spec YAML: column types, ignore."),
    na_values: Optional[str] = typer.Option(None, "--na-values", help="Comma-separated markers of a missing value."),
    delimiter: Optional[str] = typer.Option(None, "--delimiter", help="CSV delimiter (default: detected)."),
    fmt: Optional[str] = typer.Option(None, "--format", help="Format of --real if the extension does not tell."),
    encoding: str = typer.Option("utf-8", "--encoding", help="Text encoding of --real."),
    stream: bool = typer.Option(False, "--stream", help="Read --real in batches (two passes)."),
    batch_size: int = typer.Option(50_000, "--batch-size", min=1, help="Rows per batch when streaming."),
    seed: int = typer.Option(0, "--seed", help="Seed choosing the column pairs of a very wide table (as audit)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No summary."),
) -> None:
    """Write the statistics of a real table that `audit tabular --real-stats` reads instead of its rows."""
    from synthaudit.modalities.tabular.statistics import profile

    with user_errors():
        stats = profile(real, out, k=k, num_bins=num_bins, schema=schema, na_values=_split(na_values),
                        delimiter=delimiter, fmt=fmt, encoding=encoding, stream=stream, batch_size=batch_size,
                        seed=seed)
    if not quiet:
        s = stats.summary()
        text = (f"wrote {s['file']} ({s['bytes']:,} bytes): {s['rows']:,} rows, {s['columns']} columns, "
                f"k = {s['k']}, {s['suppressed_cells']:,} small cells suppressed")
        if s["protected_ranges"]:
            text += f"; protected ranges: {', '.join(map(str, s['protected_ranges']))}"
        if s["withheld_ranges"]:
            text += f"; ranges withheld: {', '.join(map(str, s['withheld_ranges']))}"
        out_console.print(escape(text), highlight=False)
