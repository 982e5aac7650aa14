"""Classifier backends: toxicity, grammatical acceptability and NLI entailment (survey sections 2.2-2.3).

Offline defaults: alt-profanity-check for toxicity (a scikit-learn model shipped in the package); no
CoLA classifier or NLI model ships offline, so the defaults are LM-based variants (``lm_variants``),
named as such. Any Hugging Face sequence-classification id or local path can be named instead.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from synthaudit.models._hf import device, label_index, pinned, quiet


class ProfanityCheck:
    """Toxicity from alt-profanity-check (linear SVM on words, trained on profanity/insult data)."""

    variant = "profanity-classifier"
    caveat = ("alt-profanity-check catches profanity and insults, not contextual toxicity (threats, "
              "identity attacks without slurs, sarcasm); scores are not on Perspective API's scale")

    def __init__(self) -> None:
        from importlib.metadata import version

        from profanity_check import predict_prob

        self._predict = predict_prob
        self.name = f"alt-profanity-check {version('alt-profanity-check')}"

    def score(self, texts: Sequence[str]) -> np.ndarray:
        if len(texts) == 0:
            return np.zeros(0)
        return np.asarray(self._predict([t or "" for t in texts]), dtype=float)


class HFSequenceClassifier:
    """A transformers sequence classifier; ``positive`` is the output probability of one label."""

    def __init__(self, model: str, *, wanted: tuple[str, ...], what: str, label: str | int | None = None,
                 fallback: int | None = 1, max_length: int = 512, batch_size: int = 32) -> None:
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        self.name = str(model)
        with quiet():
            self.tokenizer = AutoTokenizer.from_pretrained(str(model))
            self.model = AutoModelForSequenceClassification.from_pretrained(str(model)).to(device()).eval()
        id2label = dict(self.model.config.id2label)
        if isinstance(label, int) or (isinstance(label, str) and label.isdigit()):
            self.index = int(label)
        elif label:
            self.index = label_index(id2label, (label.lower(),), None, what, self.name)
        else:
            self.index = label_index(id2label, wanted, fallback, what, self.name)
        self.label = str(id2label.get(self.index, self.index))
        self.max_length, self.batch_size = max_length, batch_size

    @pinned
    def probabilities(self, first: Sequence[str], second: Sequence[str] | None = None) -> np.ndarray:
        import torch

        out = []
        for start in range(0, len(first), self.batch_size):
            a = [t or "" for t in first[start:start + self.batch_size]]
            b = None if second is None else [t or "" for t in second[start:start + self.batch_size]]
            enc = self.tokenizer(a, b, padding=True, truncation=True, max_length=self.max_length, return_tensors="pt")
            with torch.inference_mode():
                logits = self.model(**{k: v.to(self.model.device) for k, v in enc.items()}).logits.float()
            out.append(torch.softmax(logits, dim=-1)[:, self.index].cpu().numpy())
        return np.concatenate(out).astype(float) if out else np.zeros(0)


class HFToxicity(HFSequenceClassifier):
    """Toxicity = the probability of the classifier's toxic label."""

    variant = "toxicity-classifier"

    def __init__(self, model: str, label: str | int | None = None) -> None:
        super().__init__(model, wanted=("toxic", "offensive", "hate", "abusive"), what="toxic", label=label)
        self.caveat = f"probability of the label {self.label!r} of {self.name}"

    def score(self, texts: Sequence[str]) -> np.ndarray:
        return self.probabilities(texts)


class HFAcceptability(HFSequenceClassifier):
    """A CoLA-style classifier: the probability of its 'acceptable' label (checked in id2label)."""

    variant = "cola-classifier"

    def __init__(self, model: str, label: str | int | None = None) -> None:
        super().__init__(model, wanted=("acceptable", "grammatical"), what="acceptable", label=label)

    def score(self, sentences: Sequence[str]) -> np.ndarray:
        return self.probabilities(sentences)


class HFNLI(HFSequenceClassifier):
    """An NLI cross-encoder: P(entailment | premise, hypothesis)."""

    variant = "nli-classifier"

    def __init__(self, model: str, label: str | int | None = None) -> None:
        super().__init__(model, wanted=("entail",), what="entailment", label=label, fallback=None)

    def entailment(self, premises: Sequence[str], hypotheses: Sequence[str]) -> np.ndarray:
        return self.probabilities(premises, hypotheses)
