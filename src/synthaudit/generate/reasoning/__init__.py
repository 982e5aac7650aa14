"""Generation of checkable reasoning data (survey section 3): DyVal-style DAG items and verified generation.

Kept import-light: each submodule is imported on its own (``from synthaudit.generate.reasoning.dyval import ...``).
"""
