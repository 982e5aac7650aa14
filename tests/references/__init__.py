"""Reference values computed outside the main test environment (see make_references.py)."""
