"""What every synthaudit command shares: consoles, exit codes, one-message user errors, option parsing.

Every command module (and a modality's own commands, such as ``generate text``) uses it without importing the
app that mounts them.
"""
from __future__ import annotations

import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterable, Iterator, Optional

import typer
from rich.console import Console
from rich.markup import escape

from synthaudit.errors import SynthAuditError

out_console = Console(width=None if sys.stdout.isatty() else 110)
err_console = Console(stderr=True)

EXIT_OK, EXIT_GATES, EXIT_USAGE = 0, 1, 2


def modality_commands(hook: str, help: str, summary: str) -> typer.Typer:
    """A command group with one command per modality that declares the Typer-command ``hook`` (``generate``:
    ``generate_command``; ``profile``: ``profile``); ``summary`` is the group callback's docstring."""
    from synthaudit.modalities import modalities

    group = typer.Typer(help=help, no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)

    def _group() -> None:
        pass

    _group.__doc__ = summary
    group.callback()(_group)
    for modality in modalities().values():
        cmd = modality.hook(hook)
        if cmd is not None:
            group.command(modality.name)(cmd)
    return group


class Phases:
    """A progress display of a command's steps on stderr: ``phases("fitting")`` ends the previous step and
    starts the next (a spinner and elapsed time); ``phases.count(done, total)`` turns the current step into a
    bar. Silent with ``enabled=False`` (``--quiet``) or when stderr is not a terminal."""

    def __init__(self, enabled: bool = True) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, \
            TimeElapsedColumn

        self._bar = Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                             TimeElapsedColumn(), console=err_console, transient=False,
                             disable=not enabled or not err_console.is_terminal)
        self._task: int | None = None

    def __enter__(self) -> "Phases":
        self._bar.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._end()
        self._bar.__exit__(*exc)

    def __call__(self, description: str) -> None:
        self._end()
        self._task = self._bar.add_task(description, total=None)

    def count(self, done: int, total: int) -> None:
        if self._task is not None:
            self._bar.update(self._task, completed=done, total=total)

    def _end(self) -> None:
        if self._task is not None:
            task = self._bar.tasks[self._task]
            self._bar.update(self._task, total=task.total or 1, completed=task.total or 1)


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn a user's mistake into one clear message and exit status 2 (no traceback)."""
    try:
        yield
    except SynthAuditError as exc:
        _print_error(exc.render())
        raise typer.Exit(EXIT_USAGE) from None
    except OSError as exc:  # a path the user gave cannot be read or written (permissions, a file where a
        # directory is expected, a full disk): name it, no traceback
        reason = exc.strerror or str(exc)
        _print_error(f"{exc.filename}: {reason}" if exc.filename is not None else reason)
        raise typer.Exit(EXIT_USAGE) from None
    except KeyboardInterrupt:
        err_console.print("interrupted")
        raise typer.Exit(130) from None


def check_generation(method: str, methods: Iterable[str], n: int, model: str, base_url: Optional[str]) -> None:
    """The checks every ``synthaudit generate <modality>`` command makes first (one UsageError naming the flag)."""
    from synthaudit.errors import UsageError

    methods = list(methods)
    if method not in methods:
        raise UsageError(f"unknown method {method!r}; expected one of {', '.join(methods)}", field="--method")
    if n < 1:
        raise UsageError("must be at least 1", field="--n")
    if model.startswith("openai:") and not model.removeprefix("openai:"):
        raise UsageError("expected openai:MODEL, e.g. openai:gpt-4o-mini", field="--model")
    if base_url and not model.startswith("openai:"):
        raise UsageError("--base-url needs --model openai:MODEL", field="--base-url")


def generation_progress(counters: str, quiet: bool) -> Any:
    """The progress bar of a ``generate`` command: what runs, the bar, done/total, the command's own counters (a
    rich format over task fields, e.g. ``"rejected {task.fields[rejected]}"``) and the elapsed time."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn(counters),
                    TimeElapsedColumn(), console=err_console, disable=quiet, transient=False)


def print_rejects_and_usage(stats: Any, client: Any) -> None:
    """The closing lines of a ``generate`` command: the rejects by reason (most frequent first) and, when a model
    was used, its usage (calls, cache hits, tokens)."""
    if stats.reasons:
        err_console.print("rejected: " + ", ".join(f"{k} {v}" for k, v in
                                                  sorted(stats.reasons.items(), key=lambda kv: -kv[1])),
                          highlight=False)
    if client is not None:
        err_console.print("usage: " + client.usage.summary(), highlight=False)


def _print_error(text: str) -> None:
    # the message is plain text: file names and values such as "['a']" must not be read as Rich markup
    err_console.print("[bold red]error:[/] " + escape(text), highlight=False, markup=True, soft_wrap=True)


def _check_out_dir(out: Path) -> None:
    """Fail before the audit runs when --out cannot be the output directory."""
    from synthaudit.errors import UsageError

    if out.exists() and not out.is_dir():
        raise UsageError("exists and is not a directory; --out expects a directory for report.json and "
                         "report.html", file=str(out), field="--out")


def _split(text: Optional[str]) -> Optional[list[str]]:
    return [t.strip() for t in text.split(",") if t.strip()] if text else None


def _parse_params(items: Optional[list[str]]) -> dict[str, dict]:
    """``--param tabular.chi2.pass_threshold=0.05`` -> {"tabular.chi2": {"pass_threshold": 0.05}}."""
    import yaml

    from synthaudit.errors import UsageError
    from synthaudit.metrics.registry import metric_entries

    out: dict[str, dict] = {}
    for item in items or []:
        key, sep, raw = item.partition("=")
        metric, _, name = key.rpartition(".")
        if not sep or metric not in metric_entries() or not name:
            raise UsageError(f"expected METRIC_ID.PARAM=VALUE, got {item!r}", field="--param")
        try:
            value = yaml.safe_load(raw)
        except yaml.YAMLError:
            raise UsageError(f"cannot read the value {raw!r} of {key}", field="--param",
                             hint="quote it, e.g. --param 'tabular.chi2.pass_threshold=0.05'") from None
        out.setdefault(metric, {})[name] = value
    return out  # names and types are checked by synthaudit.audit.params.check_params
