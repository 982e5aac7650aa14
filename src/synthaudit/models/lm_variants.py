"""LM-based stand-ins for models no package ships offline (MODELS.md), each named as a variant:

* acceptability: **LM shuffle preference** -- the share of K seeded word-order shuffles of a sentence
  to which the causal LM gives a lower total log-probability than to the sentence itself (ties count
  half). A well-formed sentence beats nearly all its scrambles (score near 1); word salad beats about
  half. It is a proxy for a CoLA classifier (survey section 2.2, GAR), not the same metric.
* entailment: **few-shot LM entailment** -- the causal LM reads four fixed demonstrations and the pair and
  P(entail) = p(" yes") / (p(" yes") + p(" no")) from its next-token log-probabilities (survey section
  2.3, Attr_auto). A 135M LM is a weak NLI model (MODELS.md: no NLI model ships offline): name a real
  NLI cross-encoder with ``--nli`` when you can; results always record which one was used.
"""
from __future__ import annotations

import random
from typing import Sequence

import numpy as np


class LMShuffleAcceptability:
    variant = "lm-shuffle-preference"

    def __init__(self, lm, k: int = 4, seed: int = 0) -> None:
        self.lm, self.k, self.seed = lm, k, seed
        self.name = f"LM shuffle preference (K={k}) with {lm.name}"

    def score(self, sentences: Sequence[str]) -> np.ndarray:
        variants: list[str] = []
        spans: list[tuple[int, int]] = []
        for s in sentences:
            words = (s or "").split()
            rng = random.Random(f"{self.seed}:{s}")  # seeded by content: order-independent
            shuffles = []
            if len(set(words)) > 1:
                for _ in range(self.k):
                    w = words[:]
                    while w == words:
                        rng.shuffle(w)
                    shuffles.append(" ".join(w))
            spans.append((len(variants), len(shuffles)))
            variants.extend([" ".join(words)] + shuffles)
        totals = np.array([lp.sum() for lp in self.lm.token_logprobs([""] * len(variants), variants)])
        out = np.empty(len(sentences))
        for i, (start, n) in enumerate(spans):
            if n == 0:  # one distinct word: nothing to compare with
                out[i] = 1.0 if sentences[i] and sentences[i].strip() else 0.0
                continue
            orig, shuf = totals[start], totals[start + 1:start + 1 + n]
            out[i] = float(np.mean((shuf < orig) + 0.5 * (shuf == orig)))
        return out


#: four fixed demonstrations, then the pair; the answer is read from the LM's next-token log-probabilities
_NLI_PROMPT = ("Decide whether the first sentence supports the second.\n\n"
               "First: A man is playing a guitar on stage.\nSecond: A man is playing music.\nSupported: yes\n\n"
               "First: A woman is reading a book in the library.\nSecond: A woman is swimming in the sea.\n"
               "Supported: no\n\n"
               "First: The store opens at nine every morning.\nSecond: The store is open in the morning.\n"
               "Supported: yes\n\n"
               "First: The train to Boston left at noon.\nSecond: The plane to Tokyo landed at midnight.\n"
               "Supported: no\n\n"
               "First: {premise}\nSecond: {hypothesis}\nSupported:")
NLI_PROMPT_VERSION = 1


class PromptedLMEntailment:
    variant = "few-shot-lm-entailment"

    def __init__(self, lm) -> None:
        self.lm = lm
        self.name = f"few-shot LM entailment (prompt v{NLI_PROMPT_VERSION}) with {lm.name}"

    def entailment(self, premises: Sequence[str], hypotheses: Sequence[str]) -> np.ndarray:
        prompts = [_NLI_PROMPT.format(premise=" ".join((p or "").split()), hypothesis=" ".join((h or "").split()))
                   for p, h in zip(premises, hypotheses)]
        both = getattr(self.lm, "next_token_logprobs", lambda p, o: None)(prompts, [" yes", " no"])
        if both is not None:  # one forward pass per pair serves both answers
            yes, no = both[:, 0], both[:, 1]
        else:
            lp = self.lm.token_logprobs(prompts + prompts, [" yes"] * len(prompts) + [" no"] * len(prompts))
            yes = np.array([x.sum() for x in lp[:len(prompts)]])
            no = np.array([x.sum() for x in lp[len(prompts):]])
        return 1.0 / (1.0 + np.exp(no - yes))
