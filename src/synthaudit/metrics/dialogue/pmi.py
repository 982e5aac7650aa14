"""PMI-FAITH (survey section 2.2; Nandwani et al., 2023): log P(r | d, h) - log P(r | h) under a causal LM.

Both terms use the same LM and prompt template, the document block being the only difference; each is
the sum of the natural-log probabilities of the response's tokens (tokenised on its own, so both terms
score the same tokens).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from synthaudit.data.dialogue import ResponsePair
from synthaudit.metrics.dialogue.common import (RESPONSES, DialogueMetric, check_context, context_param,
                                                lm_truncations, mean_by_record, model_note)
from synthaudit.metrics.registry import register
from synthaudit.metrics.result import MetricResult, mean_or_none

HISTORY_TEMPLATE = "Dialogue:\n{history}\nassistant:"
DOCUMENT_TEMPLATE = "Document:\n{document}\n\n" + HISTORY_TEMPLATE
#: the continuation scored after either prefix (a leading space, as the LM would write it after "assistant:")
RESPONSE_TEMPLATE = " {response}"


def document_of(pair: ResponsePair) -> str | None:
    """The grounding document: the evidence snippets joined by newlines (None when there is none)."""
    return "\n".join(pair.evidence) if pair.evidence else None


def prefixes(pair: ResponsePair) -> tuple[str, str]:
    """(prefix with the document, prefix without it) for one response."""
    return (DOCUMENT_TEMPLATE.format(document=document_of(pair), history=pair.context),
            HISTORY_TEMPLATE.format(history=pair.context))


@register(id="dialogue.pmi_faith", name="PMI-FAITH", modality="dialogue", pillar="quality", dimension="fidelity",
          section="2.2", direction="higher_better", range=(-np.inf, np.inf),
          inputs=("synthetic", "prompts", "evidence"), models=("causal_lm",), computation="record",
          params={"length_normalize": {"default": False},
                  "context_turns": context_param(0, "the LM keeps the response and drops the oldest tokens if needed"),
                  "responses": RESPONSES})
class PMIFaith(DialogueMetric):
    """PMI-FAITH per response = sum_t log p(r_t | d, h, r_<t) - sum_t log p(r_t | h, r_<t) (section 2.2),
    mean over responses; ``length_normalize: true`` divides each by the response's token count. Both
    versions are in ``secondary``. Responses of dialogues without evidence are undefined (counted)."""

    def check(self, params: dict[str, Any]) -> None:
        check_context(params)
        if not isinstance(params["length_normalize"], bool):
            raise ValueError(f"length_normalize must be true or false, got {params['length_normalize']!r}")

    def evaluate(self, dialogues, state) -> np.ndarray:
        pairs = self.pairs(dialogues, state)
        grounded = [p for p in pairs if document_of(p)]
        lp: dict[int, tuple[float, float, int]] = {}
        if grounded:
            lm = state["models"].get("causal_lm")
            before = lm_truncations(state["models"])
            ctx = [prefixes(p) for p in grounded]
            conts = [RESPONSE_TEMPLATE.format(response=p.response) for p in grounded]
            out = lm.token_logprobs([c[0] for c in ctx] + [c[1] for c in ctx], conts + conts)
            state["truncated"] = state.get("truncated", 0) + lm_truncations(state["models"]) - before
            n = len(grounded)
            lp = {id(p): (float(out[i].sum()), float(out[n + i].sum()), len(out[i])) for i, p in enumerate(grounded)}
        normalize = state["params"]["length_normalize"]
        scores = np.full(len(pairs), np.nan)
        for i, p in enumerate(pairs):
            row: dict[str, Any] = {"record": p.record, "turn": p.turn, "logp_with_document": None,
                                   "logp_without_document": None, "tokens": None, "pmi": None, "pmi_per_token": None}
            if id(p) in lp and lp[id(p)][2] > 0:
                with_d, without_d, k = lp[id(p)]
                row.update(logp_with_document=with_d, logp_without_document=without_d, tokens=k,
                           pmi=with_d - without_d, pmi_per_token=(with_d - without_d) / k)
                scores[i] = row["pmi_per_token"] if normalize else row["pmi"]
            row["score"] = None if np.isnan(scores[i]) else float(scores[i])
            state["rows"].append(row)
        return mean_by_record([d.record if d else -1 for d in dialogues], [p.record for p in pairs], scores)

    def finalize(self, state, inputs, models) -> MetricResult:
        result = self.response_result(state)
        rows = state["rows"]
        pmi = [r["pmi"] for r in rows if r["pmi"] is not None]
        result.secondary.update(pmi_faith_sum_mean=mean_or_none(pmi),
                                pmi_faith_per_token_mean=mean_or_none([r["pmi_per_token"] for r in rows]),
                                positive_share=float(np.mean(np.array(pmi) > 0)) if pmi else None)
        notes = result.notes
        notes.update(length_normalize=state["params"]["length_normalize"],
                     templates={"with_document": DOCUMENT_TEMPLATE, "without_document": HISTORY_TEMPLATE,
                                "continuation": RESPONSE_TEMPLATE},
                     logprobs="natural log; the response is tokenised on its own, so both terms score the same "
                              "tokens", undefined="responses of dialogues without evidence, or without a token",
                     caution="unnormalised sums grow with response length; compare per-token values across lengths")
        if rows and models.loaded("causal_lm"):
            notes["models"] = {"causal_lm": model_note(models.get("causal_lm"))}
        if state.get("truncated"):
            notes["truncated"] = (f"{state['truncated']} sequence(s) exceeded the LM window; their oldest tokens "
                                  "(possibly part of the document) were dropped: lower context_turns")
        return result
