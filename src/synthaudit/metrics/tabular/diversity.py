"""Tabular diversity (survey section 4.2): beta-recall, category and range coverage."""
from __future__ import annotations
