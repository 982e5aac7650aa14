"""Generators, one module per modality (survey stage 1: generation)."""
