"""What each model kind must do (DESIGN.md, 'Inputs and models'; survey sections 2.2-2.3).

Every backend carries ``name`` (the model that produced a number, recorded in results) and ``variant``
(what kind of estimator it is, e.g. ``"cola-classifier"`` or ``"lm-slor"``), so a report never passes
off a proxy as the real thing. Backends are loaded lazily by :class:`synthaudit.models.Models`.
"""
from __future__ import annotations

from typing import Protocol, Sequence, runtime_checkable

import numpy as np


@runtime_checkable
class Embedder(Protocol):
    """Sentence embedder: one L2-normalised float32 row per text (``sentence_embedder``)."""

    name: str
    variant: str

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


@runtime_checkable
class CausalLM(Protocol):
    """Causal LM log-probabilities (``causal_lm``): the natural-log probability of each token of every
    continuation given its context, ``context + continuation`` tokenised as the LM sees it."""

    name: str
    variant: str

    def token_logprobs(self, contexts: Sequence[str], continuations: Sequence[str]) -> list[np.ndarray]: ...

    def unigram_logprobs(self, texts: Sequence[str]) -> list[np.ndarray]:
        """Per-token log-probabilities of each text's tokens under the LM's unigram prior (for SLOR)."""
        ...


@runtime_checkable
class Toxicity(Protocol):
    """Toxicity scorer t(.) in [0, 1] (``toxicity``); ``caveat`` says what it does not catch."""

    name: str
    variant: str
    caveat: str

    def score(self, texts: Sequence[str]) -> np.ndarray: ...


@runtime_checkable
class Acceptability(Protocol):
    """Probability that a sentence is grammatically acceptable, in [0, 1] (``acceptability_classifier``)."""

    name: str
    variant: str

    def score(self, sentences: Sequence[str]) -> np.ndarray: ...


@runtime_checkable
class NLI(Protocol):
    """Entailment probability P(premise entails hypothesis) in [0, 1] (``nli``)."""

    name: str
    variant: str

    def entailment(self, premises: Sequence[str], hypotheses: Sequence[str]) -> np.ndarray: ...


@runtime_checkable
class Judge(Protocol):
    """An LLM judge (``llm_judge``): answers a versioned prompt with a score on the prompt's scale.

    ``rate`` returns one value per item: a float on the prompt's scale, or None when the judge answered
    off-format (counted in ``off_format``, never silently dropped)."""

    name: str
    variant: str
    off_format: int

    def rate(self, prompt_id: str, items: Sequence[dict[str, str]]) -> list[float | None]: ...
