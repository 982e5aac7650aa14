"""``synthaudit profile <modality>``: one command per modality that declares a ``profile`` hook. It writes the
statistics of real data that an audit from statistics reads instead of the rows, e.g. ``profile tabular --real
TRAIN --out stats/`` then ``audit tabular --real-stats stats/ --synthetic S``.
"""
from __future__ import annotations

import typer

from synthaudit.cli.common import modality_commands

profile_app = modality_commands("profile", "Write the statistics of real data for an audit from statistics (no real "
                                "rows needed at audit time).", "Write the statistics of real data.")


def mount(app: typer.Typer) -> None:
    app.add_typer(profile_app, name="profile")


if __name__ == "__main__":  # pragma: no cover
    profile_app()
