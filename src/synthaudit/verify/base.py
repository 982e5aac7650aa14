"""The one result type of every verifier (survey section 3.2, f_check(q, c, y) in {0, 1}).

A :class:`Verdict` says whether a candidate passed, and if not, why, in words a reader of the report can
act on: the two forms compared for a wrong answer, the exception text for an error, the limit hit for a
timeout. ``detail`` holds the machine-readable parts (extracted answers, per-test outcomes).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: pass: accepted; fail: checked and wrong; timeout: a time limit was hit; error: the candidate raised or
#: crashed (exception text in ``reason``); unparsed: no answer could be extracted / nothing to run
STATUSES = ("pass", "fail", "timeout", "error", "unparsed")


@dataclass(frozen=True)
class Verdict:
    """Outcome of one check. ``ok`` is True only for ``pass``; every other status counts as a failure."""

    status: str
    reason: str = ""
    detail: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"verdict status must be one of {', '.join(STATUSES)}, got {self.status!r}")

    @property
    def ok(self) -> bool:
        return self.status == "pass"

    def as_dict(self) -> dict[str, Any]:
        return {"status": self.status, "reason": self.reason, **({"detail": self.detail} if self.detail else {})}
