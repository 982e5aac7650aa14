"""Tabular privacy (survey section 4.3): DCR, real-to-synthetic proximity, membership and attribute inference, DP budget."""
from __future__ import annotations
