"""The command line: ``synthaudit audit|generate|filter|pipeline|gaps|pareto|track|metrics|report|demo``.

Exit status: 0 all good, 1 a policy gate failed, 2 a usage or input error (one message, no traceback).
Each command group is a module of this package with a ``mount(app)`` function; the modality-specific commands
and options come from the modality registry.
"""
from __future__ import annotations

import typer

from synthaudit.cli import analysis, audit, curate, demo, generate, info, profile

GROUPS = (audit, generate, curate, analysis, info, demo, profile)


def build_app() -> typer.Typer:
    """A fresh app with every command group mounted (commands of modalities registered so far)."""
    app = typer.Typer(help="Audit synthetic data for quality and trust (LLM Data Auditor framework).",
                      no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
    for group in GROUPS:
        group.mount(app)
    return app


app = build_app()
