"""User-facing errors: one clear message naming the file, row or field and what was expected."""
from __future__ import annotations


class SynthAuditError(Exception):
    """Base class for errors caused by the user's input or configuration (CLI exit status 2)."""

    def __init__(self, message: str, *, file: str | None = None, row: int | None = None,
                 field: str | None = None, hint: str | None = None) -> None:
        self.message = message
        self.file = file
        self.row = row
        self.field = field
        self.hint = hint
        super().__init__(self.render())

    def render(self) -> str:
        where = []
        if self.file:
            where.append(str(self.file))
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.field:
            where.append(f"field '{self.field}'")
        text = (": ".join([", ".join(where), self.message]) if where else self.message)
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text


class InputError(SynthAuditError):
    """A data file or object cannot be read or does not have the expected shape."""


class SpecError(SynthAuditError):
    """A table spec / schema file is invalid."""


class PolicyError(SynthAuditError):
    """A policy (gates) file is invalid."""


class UsageError(SynthAuditError):
    """Options that contradict each other or name unknown metrics, dimensions or modalities."""
