"""``synthaudit generate <modality>``: one command per modality that declares a generator (its
``generate_command`` hook), e.g. ``generate text`` (LLM-made instruction data) and ``generate tabular``.

Also runs alone: ``python -m synthaudit.cli.generate text ...``.
"""
from __future__ import annotations

import typer

from synthaudit.cli.common import modality_commands

generate_app = modality_commands("generate_command", "Generate synthetic data (LLM-driven and classic generators; "
                                 "restartable, see docs/generation.md).", "Generate synthetic data.")


def mount(app: typer.Typer) -> None:
    app.add_typer(generate_app, name="generate")


if __name__ == "__main__":  # pragma: no cover
    generate_app()
