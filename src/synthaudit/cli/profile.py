"""``synthaudit profile <modality>``: one command per modality that declares a ``profile`` hook. It writes the
statistics of real data that an audit from statistics reads instead of the rows, e.g. ``profile tabular --real
TRAIN --out stats/`` then ``audit tabular --real-stats stats/ --synthetic S``.
"""
from __future__ import annotations

import typer

profile_app = typer.Typer(help="Write the statistics of real data for an audit from statistics (no real rows "
                          "needed at audit time).", no_args_is_help=True, add_completion=False,
                          pretty_exceptions_enable=False)


@profile_app.callback()
def _group() -> None:
    """Write the statistics of real data."""


def _mount_modalities() -> None:
    from synthaudit.modalities import modalities

    for modality in modalities().values():
        cmd = modality.hook("profile")
        if cmd is not None:
            profile_app.command(modality.name)(cmd)


_mount_modalities()


def mount(app: typer.Typer) -> None:
    app.add_typer(profile_app, name="profile")


if __name__ == "__main__":  # pragma: no cover
    profile_app()
