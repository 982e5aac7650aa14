"""Tabular utility (survey section 4.2): train-on-synthetic, test-on-real (TSTR) with the train-on-real baseline."""
from __future__ import annotations
