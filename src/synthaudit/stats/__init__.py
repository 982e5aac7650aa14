"""Shared math (KS, TVD, moments, binning, ...), used by several modalities."""
