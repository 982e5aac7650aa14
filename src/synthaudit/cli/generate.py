"""``synthaudit generate <modality>``: one command per modality that declares a generator (its
``generate_command`` hook), e.g. ``generate text`` (LLM-made instruction data) and ``generate tabular``.

Also runs alone: ``python -m synthaudit.cli.generate text ...``.
"""
from __future__ import annotations

import typer

generate_app = typer.Typer(help="Generate synthetic data (LLM-driven and classic generators; restartable, see "
                           "docs/generation.md).", no_args_is_help=True, add_completion=False,
                           pretty_exceptions_enable=False)


@generate_app.callback()
def _group() -> None:
    """Generate synthetic data."""


def _mount_modalities() -> None:
    from synthaudit.modalities import modalities

    for modality in modalities().values():
        cmd = modality.hook("generate_command")
        if cmd is not None:
            generate_app.command(modality.name)(cmd)


_mount_modalities()


def mount(app: typer.Typer) -> None:
    app.add_typer(generate_app, name="generate")


if __name__ == "__main__":  # pragma: no cover
    generate_app()
