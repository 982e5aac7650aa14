"""``synthaudit demo``: the offline tour, one section per registered modality (``synthaudit.demo``)."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.markup import escape

from synthaudit.cli.audit import print_summary
from synthaudit.cli.common import _check_out_dir, _split, out_console, user_errors


def demo_cmd(
    out: Path = typer.Option(Path("synthaudit-demo"), "--out", "-o", help="Output directory."),
    seed: int = typer.Option(0, "--seed", help="Seed for the split, the generator and the audit."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
    modalities: Optional[str] = typer.Option(None, "--modalities", help="Which parts of the tour to run, "
                                             "comma-separated (default: every modality with a demo section; "
                                             "tabular always runs)."),
) -> None:
    """Offline tour: generate and audit one small data set per modality (scikit-learn data with the copula and
    SmolLM2 rows; SmolLM2 text and dialogues); writes one report per modality and an index page."""
    from synthaudit.demo import demo_modalities, run_demo
    from synthaudit.errors import UsageError

    with user_errors():
        _check_out_dir(out)
        chosen = tuple(_split(modalities) or ()) or None
        unknown = sorted(set(chosen or ()) - set(demo_modalities()))
        if unknown:
            raise UsageError(f"unknown part(s) {', '.join(unknown)}; expected {', '.join(demo_modalities())}",
                             field="--modalities")
        report, paths = run_demo(out, seed=seed, progress=None if not quiet else False, modalities=chosen,
                                 echo=lambda text: out_console.print(escape(str(text)), highlight=False))
    print_summary(report, out)
    out_console.print(escape(f"every report of the tour: {paths['index']}"), highlight=False)


def mount(app: typer.Typer) -> None:
    app.command("demo")(demo_cmd)
