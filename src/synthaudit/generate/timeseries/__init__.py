"""Series-set generators (tutorial: sequential data; issue #17): moving-block bootstrap, a VAR fitted by pooled
least squares, an LLM shown real series, and an adapter for any fit/sample sequence model (e.g. SDV's PAR).

Every generator has ``fit(series)`` and ``sample(n, lengths=None, seed=None) -> list[np.ndarray]`` on series
sets (lists of float arrays, time steps x channels) and is seeded and independent of the order of the input
series. ``make_series_generator("llm", client=...)`` takes a :class:`synthaudit.models.llm.LLMClient`; without
one it builds ``LLMClient()`` (the local ``smollm2`` model, cached responses).
"""
from __future__ import annotations

import importlib
from typing import Any

from synthaudit.generate.timeseries.adapter import SequenceFitSample
from synthaudit.generate.timeseries.bootstrap import BlockBootstrap
from synthaudit.generate.timeseries.llm_series import LLMSeriesGenerator, llm_series, parse_series
from synthaudit.generate.timeseries.var import VARGenerator

__all__ = ["METHODS", "BlockBootstrap", "LLMSeriesGenerator", "SequenceFitSample", "VARGenerator", "llm_series",
           "make_series_generator", "parse_series"]

#: the model-free methods by name (``llm`` needs a client; ``package.module:Class`` any sequence model)
METHODS: dict[str, type] = {"bootstrap": BlockBootstrap, "var": VARGenerator}


def make_series_generator(method: str, seed: int = 0, *, client: Any = None, **opts: Any) -> Any:
    """A series generator by name: ``bootstrap`` (opts: ``block``), ``var`` (``lags``, ``max_lags``,
    ``burn_in``), ``llm`` (``client`` plus :class:`LLMSeriesGenerator` options) or ``package.module:Class``
    (built with ``opts`` and wrapped in :class:`SequenceFitSample`, e.g. ``sdv.sequential:PARSynthesizer``
    given ``metadata``)."""
    if method in METHODS:
        return METHODS[method](seed=seed, **opts)
    if method == "llm":
        if client is None:
            from synthaudit.models.llm import LLMClient

            client = LLMClient()
        return LLMSeriesGenerator(client, seed, **opts)
    if ":" in method:
        module, _, attr = method.partition(":")
        try:
            cls = getattr(importlib.import_module(module), attr)
        except (ImportError, AttributeError) as exc:
            raise ValueError(f"cannot import sequence model {method!r} ({exc})") from None
        return SequenceFitSample(cls(**opts), seed=seed)
    raise ValueError(f"unknown series generator {method!r}; expected one of {', '.join([*METHODS, 'llm'])} or "
                     "'package.module:Class' (a model with fit(frame) and sample(num_sequences=n))")
