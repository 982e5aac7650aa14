"""Verifiers for checkable data (survey section 3.2): math answers, code against tests, logic proofs.

Every verifier returns a :class:`~synthaudit.verify.base.Verdict` (pass / fail / timeout / error / unparsed,
with the reason a person reads in the report). Untrusted code runs only in :mod:`synthaudit.verify.sandbox`.
"""
from synthaudit.verify.base import STATUSES, Verdict

__all__ = ["STATUSES", "Verdict"]
