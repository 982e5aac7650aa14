"""The ``synthaudit`` command line: one module per command group, assembled by ``synthaudit.cli.application``."""
from __future__ import annotations

from typing import Any


def main() -> None:
    from synthaudit.cli.application import app

    app()


def __getattr__(name: str) -> Any:  # ``from synthaudit.cli import app`` builds the app on first use
    if name in ("app", "build_app"):
        from synthaudit.cli import application

        return getattr(application, name)
    raise AttributeError(name)
