"""Tabular fairness (survey section 4.3): SPD, DIR, equalized odds, equal opportunity (TSTR), coverage gap, label-conditional shift."""
from __future__ import annotations
