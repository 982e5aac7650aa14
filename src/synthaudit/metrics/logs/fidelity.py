"""Log fidelity (survey section 5.2): BLEU, ROUGE and embedding similarity of generated log text against its
reference, and the severity level: L-ACC (logs.level_accuracy) and AOD (logs.aod).

What text is compared: with ``--reference-text-field`` the message (``LogItem.content``) against that reference
message; otherwise the predicted template of the record (the ``--template-field`` or the audit's parser, see
:func:`synthaudit.data.logs.parsed`) against the ground-truth template (``LogItem.reference``), both as written
(no template normalisation). Levels: ``LogItem.level`` against ``LogItem.reference_level``.
"""
from __future__ import annotations

import re
from typing import Any, Mapping, Sequence

import numpy as np

from synthaudit.data.logs import LogItem, all_items, parsed, spec_of
from synthaudit.metrics.items import snippet
from synthaudit.metrics.logs.common import LogMetric
from synthaudit.metrics.registry import register
from synthaudit.metrics.result import MetricResult

# -- what is compared ----------------------------------------------------------------------------------------------
REFERENCE_HINT = ("no reference: --reference-field (ground-truth templates, compared with the predicted "
                  "templates) or --reference-text-field (reference messages, compared with the messages)")


def text_mode(inputs) -> str:
    """'messages' when a reference-text field is given, else 'templates'."""
    return "messages" if spec_of(inputs).reference_text else "templates"


def compared(inputs) -> str:
    """The notes' sentence saying which texts are compared."""
    spec = spec_of(inputs)
    if spec.reference_text:
        return f"message (field {spec.content!r}) vs reference message (field {spec.reference_text!r})"
    pred = f"field {spec.template!r}" if spec.template else "the audit's parser"
    return (f"predicted template ({pred}) vs ground-truth template (field {spec.reference!r}), as written "
            "(no template normalisation)")


def text_pairs(inputs, items: Sequence[LogItem], parse: Any = None) -> list[tuple[str | None, str | None]]:
    """(generated text, reference text) per item; None where absent. ``parse``: the role's parse
    (:func:`~synthaudit.data.logs.parsed`, read when needed and not given)."""
    if text_mode(inputs) == "messages":
        return [(it.content, it.reference_text) for it in items]
    templates = (parse or parsed(inputs)).templates_at([it.record for it in items])
    return [(t, it.reference) for t, it in zip(templates, items)]


def needs_reference(inputs) -> str | None:
    spec = spec_of(inputs)
    return None if spec.reference_text or spec.reference else REFERENCE_HINT


def blank(text: str | None) -> bool:
    return text is None or not str(text).strip()


# -- tokenisation of code-like text ---------------------------------------------------------------------------------
#: a '<*>' wildcard, a run of letters/digits, or any other single non-space character
_PIECES = re.compile(r"<\*>|[^\W_]+|\S", re.UNICODE)
#: camelCase boundaries (ASCII): aB -> a|B, 4B -> 4|B, ABc -> A|Bc
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
CODE_TOKENISATION = ("code: '<*>' is one token; runs of letters and digits are words, split at camelCase "
                     "boundaries (ASCII: aB, 4B, ABc); every other non-space character (_ - . : / = ...) is its own "
                     "token; case is kept; non-ASCII letters stay in their words")


def code_tokens(text: str) -> list[str]:
    """Tokens of code-like log text (see ``CODE_TOKENISATION``): 'blk_-12 PacketResponder' ->
    ['blk', '_', '-', '12', 'Packet', 'Responder']."""
    out: list[str] = []
    for piece in _PIECES.findall(text):
        if piece[0].isalnum():
            out.extend(p for p in _CAMEL.split(piece) if p)
        else:
            out.append(piece)
    return out


class CodeTokenizer:
    """``code_tokens`` as a rouge_score tokenizer."""

    def tokenize(self, text: str) -> list[str]:
        return code_tokens(text)


# -- logs.bleu ---------------------------------------------------------------------------------------------------
BLEU_TOKENIZE = ("code", "13a", "intl", "char", "none")
SMOOTH = ("exp", "floor", "add-k", "none")
BLEU_PARAMS = {
    "max_n": {"default": 4},
    "level": {"default": "corpus", "options": ["corpus", "sentence_mean"]},
    "tokenize": {"default": "code", "options": list(BLEU_TOKENIZE),
                 "note": "code param: 'code' splits code-like text (see notes) before sacrebleu with tokenize='none'; "
                         "the others are sacrebleu's own tokenizers"},
    "smooth_method": {"default": "exp", "options": list(SMOOTH),
                      "note": "code param: sacrebleu's smoothing (its default 'exp')"},
}


def _bleu_inputs(pairs: Sequence[tuple[str, str]], tokenize: str) -> tuple[list[str], list[str], str]:
    hyps, refs = [p for p, _ in pairs], [r for _, r in pairs]
    if tokenize == "code":
        return [" ".join(code_tokens(h)) for h in hyps], [" ".join(code_tokens(r)) for r in refs], "none"
    return hyps, refs, tokenize


@register(id="logs.bleu", name="BLEU (log templates / statements)", modality="logs", pillar="quality",
          dimension="fidelity", section="5.2", direction="higher_better", range=(0.0, 1.0),
          inputs=("synthetic", "references"), models=("none",), computation="global", params=BLEU_PARAMS,
          applies=needs_reference)
def bleu(inputs, models) -> MetricResult:
    """BLEU between each generated log text and its reference (section 5.2): sacrebleu's corpus BLEU (level
    'corpus': n-gram matches and lengths pooled over all pairs) or the mean of sacrebleu's sentence BLEU
    (level 'sentence_mean', effective order), divided by 100 to lie in [0, 1]."""
    from sacrebleu.metrics import BLEU

    p = inputs.params_for("logs.bleu", bleu.spec.default_params())
    level, tokenize, smooth, max_n = p["level"], p["tokenize"], p["smooth_method"], p["max_n"]
    if level not in ("corpus", "sentence_mean"):
        raise ValueError(f"logs.bleu: level {level!r}; expected corpus or sentence_mean")
    if tokenize not in BLEU_TOKENIZE:
        raise ValueError(f"logs.bleu: tokenize {tokenize!r}; expected one of {', '.join(BLEU_TOKENIZE)}")
    if smooth not in SMOOTH:
        raise ValueError(f"logs.bleu: smooth_method {smooth!r}; expected one of {', '.join(SMOOTH)}")
    if isinstance(max_n, bool) or not isinstance(max_n, (int, np.integer)) or max_n < 1:
        raise ValueError(f"logs.bleu: max_n must be a positive integer, got {max_n!r}")
    items = all_items(inputs)
    kept, records, no_ref, empty_pred = [], [], 0, 0
    for it, (pred, ref) in zip(items, text_pairs(inputs, items)):
        if blank(ref):
            no_ref += 1
            continue
        if blank(pred):
            empty_pred += 1
        kept.append((pred or "", str(ref)))
        records.append(it.record)
    notes: dict[str, Any] = {
        "compared": compared(inputs), "level": level, "max_n": int(max_n), "smoothing": smooth,
        "tokenisation": CODE_TOKENISATION if tokenize == "code" else f"sacrebleu tokenize={tokenize!r}",
        "scale": "sacrebleu's score (0-100) divided by 100", "n_pairs": len(kept),
        "no_reference": no_ref, "empty_prediction": empty_pred,
        "empty_prediction_handling": "a record with a reference but no generated text is scored as an empty "
                                     "hypothesis (it matches nothing)",
        "reference_impl": "sacrebleu.metrics.BLEU" + (" corpus_score" if level == "corpus" else
                                                      " sentence_score (effective order)")}
    if not kept:
        notes["undefined"] = "no record has both a reference and a generated text"
        return MetricResult(value=None, notes=notes)
    hyps, refs, tok = _bleu_inputs(kept, tokenize)
    scorer = BLEU(tokenize=tok, smooth_method=smooth, max_ngram_order=int(max_n), force=True,
                  effective_order=level == "sentence_mean")
    if level == "corpus":
        score = scorer.corpus_score(hyps, [refs])
        value = score.score / 100.0
        secondary = {"brevity_penalty": float(score.bp), "sys_len": float(score.sys_len),
                     "ref_len": float(score.ref_len),
                     **{f"precision_{n + 1}": float(v) / 100.0 for n, v in enumerate(score.precisions)}}
        return MetricResult(value=value, secondary=secondary, notes=notes)
    scores = np.array([scorer.sentence_score(h, [r]).score / 100.0 for h, r in zip(hyps, refs)])
    order = np.argsort(scores, kind="stable")[:10]
    rows = [{"record": records[i], "bleu": float(scores[i]), "generated": snippet(kept[i][0]),
             "reference": snippet(kept[i][1])} for i in order]
    notes["breakdown_title"] = "Lowest sentence BLEU (at most 10)"
    by_record = np.full(len(items), np.nan)
    where = {it.record: i for i, it in enumerate(items)}
    for rec, s in zip(records, scores):
        by_record[where[rec]] = s
    return MetricResult(value=float(scores.mean()), breakdown=rows, notes=notes, record_scores=by_record,
                        secondary={"min": float(scores.min()), "std": float(scores.std())})


# -- logs.rouge ----------------------------------------------------------------------------------------------------
ROUGE_VARIANTS = ("rouge1", "rouge2", "rougeL")
ROUGE_TOKENIZE = ("code", "rouge_score")


class LogTextMetric(LogMetric):
    """A record metric over (generated text, reference) pairs of log records. Rows name records by their position
    in the batch (``ItemMetric.update`` shifts them to positions in the whole input)."""

    breakdown_title = "Records below a perfect score, with both texts"

    def setup(self, state: dict) -> None:
        inputs = state["inputs"]  # the parse is read once, before the batches (a shard reads no table)
        state["parse"] = parsed(inputs) if text_mode(inputs) == "templates" else None

    def pairs(self, items: list[LogItem], state: dict) -> list[tuple[str | None, str | None]]:
        pairs = text_pairs(state["inputs"], items, state["parse"])
        for pred, ref in pairs:
            if blank(ref):
                state["counts"]["no_reference"] += 1
            elif blank(pred):
                state["counts"]["empty_prediction"] += 1
        return pairs

    def finalize(self, state, inputs, models) -> MetricResult:
        result = super().finalize(state, inputs, models)
        result.notes["compared"] = compared(inputs)
        result.notes.setdefault("no_reference", 0)
        result.notes.setdefault("empty_prediction", 0)
        return result


@register(id="logs.rouge", name="ROUGE (log templates / statements)", modality="logs", pillar="quality",
          dimension="fidelity", section="5.2", direction="higher_better", range=(0.0, 1.0),
          inputs=("synthetic", "references"), models=("none",), computation="record",
          params={"variant": {"default": "rougeL", "options": list(ROUGE_VARIANTS)},
                  "tokenize": {"default": "code", "options": list(ROUGE_TOKENIZE),
                               "note": "code param: 'code' (see notes) or rouge_score's own tokenizer (lower-cases, "
                                       "keeps only [a-z0-9] runs: drops punctuation and non-ASCII letters)"}},
          applies=needs_reference)
class Rouge(LogTextMetric):
    """ROUGE F-measure (default ROUGE-L, longest common subsequence; ROUGE-1/2 as variants) between each generated
    log text and its reference (section 5.2), by rouge_score's RougeScorer, averaged over the records with a
    reference. A record with a reference and no generated text scores 0."""

    def check(self, params: dict[str, Any], inputs=None) -> None:
        if params["variant"] not in ROUGE_VARIANTS:
            raise ValueError(f"logs.rouge: variant {params['variant']!r}; expected one of {', '.join(ROUGE_VARIANTS)}")
        if params["tokenize"] not in ROUGE_TOKENIZE:
            raise ValueError(f"logs.rouge: tokenize {params['tokenize']!r}; expected one of "
                             f"{', '.join(ROUGE_TOKENIZE)}")

    def setup(self, state: dict) -> None:
        from rouge_score.rouge_scorer import RougeScorer

        super().setup(state)
        p = state["params"]
        state["scorer"] = RougeScorer([p["variant"]], tokenizer=CodeTokenizer() if p["tokenize"] == "code" else None)

    def evaluate(self, items: list[LogItem], state: dict) -> np.ndarray:
        variant = state["params"]["variant"]
        scores = np.full(len(items), np.nan)
        for i, (pred, ref) in enumerate(self.pairs(items, state)):
            if blank(ref):
                continue
            scores[i] = state["scorer"].score(str(ref), pred or "")[variant].fmeasure
            if scores[i] < 1.0:
                self.add_row(state, {"record": i, variant: float(scores[i]), "generated": snippet(pred),
                                     "reference": snippet(ref)})
        return scores

    def finalize(self, state, inputs, models) -> MetricResult:
        result = super().finalize(state, inputs, models)
        p = state["params"]
        result.notes.update(variant=p["variant"], measure="F-measure (rouge_score fmeasure)", stemming="none",
                            tokenisation=CODE_TOKENISATION if p["tokenize"] == "code" else
                            "rouge_score's default tokenizer (lower-cased [a-z0-9] runs)")
        return result


# -- logs.semantic_similarity --------------------------------------------------------------------------------------
@register(id="logs.semantic_similarity", name="Embedding-based semantic similarity (log text)", modality="logs",
          pillar="quality", dimension="fidelity", section="5.2", direction="higher_better", range=(-1.0, 1.0),
          inputs=("synthetic", "references"), models=("sentence_embedder",), computation="record",
          params={"encoder": {"default": "sentence-transformers/all-MiniLM-L6-v2"}}, applies=needs_reference)
class SemanticSimilarity(LogTextMetric):
    """Cosine similarity between the sentence embeddings of each generated log text and its reference
    (section 5.2), averaged over the records with both texts (the shared ``sentence_embedder``)."""

    def evaluate(self, items: list[LogItem], state: dict) -> np.ndarray:
        from synthaudit.metrics.text.features import embeddings

        pairs = self.pairs(items, state)
        texts = [None if blank(p) else p for p, _ in pairs] + [None if blank(r) else r for _, r in pairs]
        emb = embeddings(state["inputs"], state["models"], texts)
        n = len(pairs)
        scores = np.full(n, np.nan)
        if emb.shape[1]:
            scores = np.clip(np.sum(emb[:n] * emb[n:], axis=1), -1.0, 1.0)  # unit rows: the dot is the cosine
        for i, ((pred, ref), s) in enumerate(zip(pairs, scores)):
            if not np.isnan(s) and s < 0.99:
                self.add_row(state, {"record": i, "cosine": float(s), "generated": snippet(pred),
                                     "reference": snippet(ref)})
        return scores

    def finalize(self, state, inputs, models) -> MetricResult:
        result = super().finalize(state, inputs, models)
        result.notes.update(
            encoder_requested=state["params"]["encoder"], encoder_used=models.get("sentence_embedder").name,
            empty_prediction_handling="a record with a reference and no generated text is not scored (no "
                                      "embedding): counted in empty_prediction",
            breakdown_rows="records with cosine below 0.99")
        return result


# -- levels --------------------------------------------------------------------------------------------------------
#: level aliases -> the canonical name (case-insensitive): spellings of the same level in common frameworks (Python
#: logging's CRITICAL is its FATAL, syslog's informational/crit, Android logcat letters). Distinct levels of other
#: scales (syslog emerg/alert, java.util.logging SEVERE/FINE, BGL SEVERE/FAILURE) are NOT merged: add them with the
#: ``aliases`` param when a mapping is wanted.
LEVEL_ALIASES: dict[str, str] = {
    "warning": "warn", "w": "warn",
    "err": "error", "e": "error",
    "critical": "fatal", "crit": "fatal", "f": "fatal",
    "information": "info", "informational": "info", "i": "info",
    "dbg": "debug", "d": "debug",
    "verbose": "trace", "v": "trace",
}
ALIASES_NOTE = ("case-insensitive; warning/w -> warn; err/e -> error; critical/crit/f -> fatal; "
                "information/informational/i -> info; dbg/d -> debug; verbose/v -> trace (logcat letters); other "
                "names (e.g. SEVERE, FAILURE, NOTICE) are compared lower-cased as they are")


def alias_table(extra: Any = None, metric_id: str = "logs") -> dict[str, str]:
    """The built-in aliases with the user's ``{alias: level}`` added (lower-cased)."""
    if extra is None:
        return dict(LEVEL_ALIASES)
    if not isinstance(extra, Mapping):
        raise ValueError(f"{metric_id}: aliases must be a mapping {{alias: level}}, got {extra!r}")
    return {**LEVEL_ALIASES, **{str(k).strip().lower(): str(v).strip().lower() for k, v in extra.items()}}


def normalise_level(level: Any, table: Mapping[str, str] = LEVEL_ALIASES) -> str | None:
    """A level name in canonical form (None for a missing or blank level)."""
    if level is None or (isinstance(level, float) and np.isnan(level)):
        return None
    name = str(level).strip().lower()
    if not name:
        return None
    return table.get(name, name)


class LevelMetric(LogMetric):
    """A record metric over (generated level, reference level) pairs."""

    breakdown_title = "Records whose level differs from the reference"

    def check(self, params: dict[str, Any], inputs=None) -> None:
        alias_table(params.get("aliases"), self.spec.id)

    def setup(self, state: dict) -> None:
        state["aliases"] = alias_table(state["params"].get("aliases"), self.spec.id)

    def finalize(self, state, inputs, models) -> MetricResult:
        result = super().finalize(state, inputs, models)
        spec = spec_of(inputs)
        result.notes.update(compared=f"level (field {spec.level!r}) vs reference level (field "
                                     f"{spec.reference_level!r})", aliases=ALIASES_NOTE)
        for k in ("no_reference_level", "missing_level"):
            result.notes.setdefault(k, 0)
        if state["params"].get("aliases"):
            result.notes["extra_aliases"] = dict(state["params"]["aliases"])
        return result


def needs_levels(inputs) -> str | None:
    spec = spec_of(inputs)
    missing = [flag for flag, f in (("--level-field", spec.level), ("--reference-level-field", spec.reference_level))
               if not f]
    return f"no {' and no '.join(missing)} (generated and reference levels)" if missing else None


ALIAS_PARAM = {"default": None, "note": "code param: extra aliases {alias: level} added to the built-in ones"}


@register(id="logs.level_accuracy", name="Log Level Accuracy (L-ACC)", modality="logs", pillar="quality",
          dimension="fidelity", section="5.2", direction="higher_better", range=(0.0, 1.0),
          inputs=("synthetic", "references"), models=("none",), computation="record",
          params={"aliases": ALIAS_PARAM}, applies=needs_levels)
class LevelAccuracy(LevelMetric):
    """L-ACC = N_correct_level / N (section 5.2): the share of records whose level equals the reference level
    after alias normalisation. Records without a reference level are not scored; a missing generated level is
    wrong."""

    def evaluate(self, items: list[LogItem], state: dict) -> np.ndarray:
        aliases = state["aliases"]
        scores = np.full(len(items), np.nan)
        for i, it in enumerate(items):
            ref = normalise_level(it.reference_level, aliases)
            if ref is None:
                state["counts"]["no_reference_level"] += 1
                continue
            pred = normalise_level(it.level, aliases)
            if pred is None:
                state["counts"]["missing_level"] += 1
            scores[i] = float(pred == ref)
            if pred != ref:
                self.add_row(state, {"record": i, "level": it.level, "reference_level": it.reference_level,
                                     "message": snippet(it.content)})
        return scores


@register(id="logs.aod", name="Average Ordinal Distance score (AOD)", modality="logs", pillar="quality",
          dimension="fidelity", section="5.2", direction="higher_better", range=(0.0, 1.0),
          inputs=("synthetic", "references"), models=("none",), computation="record",
          params={"levels": {"default": ["trace", "debug", "info", "warn", "error", "fatal"]},
                  "aliases": ALIAS_PARAM}, applies=needs_levels)
class AOD(LevelMetric):
    """AOD = (1/N) sum_i (1 - Dis(l_pred_i, l_gt_i) / MaxDis) (section 5.2) on the ordered scale ``levels``
    (MaxDis = len(levels) - 1). A generated level off the scale (or missing) gets distance MaxDis; a reference
    level missing or off the scale is not scored (NaN) and counted."""

    def check(self, params: dict[str, Any], inputs=None) -> None:
        table = alias_table(params.get("aliases"), self.spec.id)
        levels = params["levels"]
        if isinstance(levels, str) or not isinstance(levels, Sequence) or len(levels) < 2:
            raise ValueError(f"logs.aod: levels must be a list of at least 2 level names, got {levels!r}")
        names = [normalise_level(x, table) for x in levels]
        if None in names or len(set(names)) != len(names):
            raise ValueError(f"logs.aod: levels {list(levels)} hold a blank or repeated level (after aliases: "
                             f"{names})")

    def setup(self, state: dict) -> None:
        super().setup(state)
        names = [normalise_level(x, state["aliases"]) for x in state["params"]["levels"]]
        state["scale"] = {name: i for i, name in enumerate(names)}

    def evaluate(self, items: list[LogItem], state: dict) -> np.ndarray:
        aliases, scale = state["aliases"], state["scale"]
        max_dis = len(scale) - 1
        scores = np.full(len(items), np.nan)
        for i, it in enumerate(items):
            ref = normalise_level(it.reference_level, aliases)
            if ref is None:
                state["counts"]["no_reference_level"] += 1
                continue
            if ref not in scale:
                state["counts"]["reference_off_scale"] += 1
                self.add_row(state, {"record": i, "level": it.level, "reference_level": it.reference_level,
                                     "reason": "reference level not on the scale: not scored"})
                continue
            pred = normalise_level(it.level, aliases)
            if pred is None:
                state["counts"]["missing_level"] += 1
            elif pred not in scale:
                state["counts"]["level_off_scale"] += 1
            dis = abs(scale[pred] - scale[ref]) if pred in scale else max_dis
            scores[i] = 1.0 - dis / max_dis
            if dis:
                self.add_row(state, {"record": i, "level": it.level, "reference_level": it.reference_level,
                                     "distance": int(dis), "message": snippet(it.content)})
        return scores

    def finalize(self, state, inputs, models) -> MetricResult:
        result = super().finalize(state, inputs, models)
        result.notes.update(scale=" < ".join(state["scale"]), max_dis=len(state["scale"]) - 1,
                            off_scale="a generated level off the scale or missing gets distance MaxDis; a "
                                      "reference level off the scale is not scored (reference_off_scale)")
        for k in ("reference_off_scale", "level_off_scale"):
            result.notes.setdefault(k, 0)
        return result
