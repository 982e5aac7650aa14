"""Curation checks for text corpora: extension checks (ids ``text.ext.*``) beside survey section 2.2.

Section 2.2 measures validity, fidelity and diversity; these are the checks a curation pipeline runs
first (section 2.1: normalisation, language identification, exact and near-duplicate removal): duplicates
and language mix (diversity), empty, truncated and encoding-damaged records (validity), and length
distributions against real text (fidelity). Record-level checks keep a score per record (1 = flagged) so
that ``synthaudit filter`` can drop the flagged records; record indices in breakdowns are 0-based.
"""
from __future__ import annotations

import hashlib
import heapq
import importlib.util
from typing import Any

import numpy as np
import pandas as pd

from synthaudit.data.text import TOKENIZER
from synthaudit.metrics.registry import MergeableMetric, RecordMetric, register
from synthaudit.metrics.result import MetricResult
from synthaudit.stats import minhash
from synthaudit.stats.dedup import normal_form, normalised_groups
from synthaudit.stats.intern import ByteTable
from synthaudit.stats.ngrams import batch_texts, batch_tokens, batch_utf8, shared_vocabulary, tokenize_batch
from synthaudit.stats.textstore import TextStore
from synthaudit.stats.textchecks import TRUNCATION_HEURISTIC, noise_kinds, truncation_reason

SNIPPET = 80
LIST_RECORDS = 20  # record indices listed per cluster row


def _field(inputs) -> str:
    return inputs.extra.get("field", "text")


def _params(metric, inputs) -> dict[str, Any]:
    return inputs.params_for(metric.spec.id, metric.spec.default_params())


def _snippet(text: str | None) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= SNIPPET else text[:SNIPPET - 1] + "…"


def _normal_snippet(text: str) -> str:
    """The snippet of a text's normal form (``stats.dedup.normal_form``), normalising only as much of the text as
    the snippet needs."""
    head = normal_form(text[:4 * SNIPPET])
    return _snippet(head if len(head) > SNIPPET or len(text) <= 4 * SNIPPET else normal_form(text))


def _records_text(members: np.ndarray) -> str:
    shown = ", ".join(map(str, members[:LIST_RECORDS].tolist()))
    return shown + (f", … (+{members.size - LIST_RECORDS})" if members.size > LIST_RECORDS else "")


def _first_member_flags(labels: np.ndarray, eligible: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
    """1 for each eligible record sharing its label with an earlier record, 0 for the others (NaN where not
    eligible); and the member lists of the groups with 2+ records, largest first."""
    scores = np.full(labels.size, np.nan)
    idx = np.flatnonzero(eligible)
    scores[idx] = 0.0
    if idx.size == 0:
        return scores, []
    order = idx[np.argsort(labels[idx], kind="stable")]
    starts = np.flatnonzero(np.r_[True, labels[order][1:] != labels[order][:-1]])
    sizes = np.diff(np.r_[starts, order.size])
    groups = [order[s:s + k] for s, k in zip(starts[sizes > 1].tolist(), sizes[sizes > 1].tolist())]
    for g in groups:
        scores[g[1:]] = 1.0
    groups.sort(key=lambda g: (-g.size, g[0]))
    return scores, groups


# ---- duplicates (diversity) -----------------------------------------------------------------------------

@register(id="text.ext.exact_duplicate_rate", name="Exact-duplicate rate", modality="text", pillar="quality",
          dimension="diversity", section="2.2", direction="lower_better", range=(0.0, 1.0), inputs=("synthetic",),
          models=("none",), computation="mergeable", extension=True, params={"max_clusters": {"default": 50}})
class ExactDuplicateRate(MergeableMetric):
    """Share of non-blank records whose normalised text (``" ".join(text.casefold().split())``) equals that of
    an earlier record, i.e. the records a keep-first deduplication removes (section 2.2 diversity; exact
    duplicates inflate every corpus-level statistic). Missing and blank records are left out. Record score: 1
    if the record duplicates an earlier one; the breakdown lists the duplicate clusters (largest first)."""

    def init(self, inputs, models) -> dict:
        # the table holds each distinct text's fingerprint (stats.dedup), never the text; a snippet of a text is
        # kept once it has a duplicate, and for the texts first seen in the latest batch (a one-batch shard's
        # state carries them, so that a duplicate across shards still has its text when the shards merge)
        return {"field": _field(inputs), "table": ByteTable(1 << 12), "groups": [],
                "counts": np.zeros(0, dtype=np.int64), "snippets": {}, "fresh": []}

    @staticmethod
    def _prune(state: dict) -> None:
        """Forget the snippets kept only because their text was new in the latest batch and still has no
        duplicate: a later batch or shard that duplicates it brings the text itself."""
        counts, snippets = state["counts"], state["snippets"]
        for label in state["fresh"]:
            if counts[label] < 2:
                snippets.pop(label, None)
        state["fresh"] = []

    def update(self, state: dict, role: str, batch: pd.DataFrame) -> dict:
        self._prune(state)
        utf8, offsets, missing, ascii_only = batch_utf8(batch, state["field"], True)
        before = len(state["table"])
        labels = normalised_groups(utf8, offsets, missing, state["table"], ascii_only)
        state["groups"].append(labels)
        found = labels[labels >= 0]
        counts = np.zeros(len(state["table"]), dtype=np.int64)
        counts[:before] = state["counts"]
        np.add.at(counts, found, 1)
        state["counts"] = counts
        seen, first = np.unique(found, return_index=True)
        texts = batch_texts(batch, state["field"])
        rows = np.flatnonzero(labels >= 0)[first]
        for label, row in zip(seen.tolist(), rows.tolist()):
            if label >= before or (counts[label] >= 2 and label not in state["snippets"]):
                state["snippets"][label] = _normal_snippet(texts[row])
                if counts[label] < 2:
                    state["fresh"].append(label)
        return state

    def merge(self, a: dict, b: dict) -> dict:
        """``b``'s records follow ``a``'s (the engine merges shards in order). Values and record scores are exact in
        any order; a cluster's text comes from its later state, so a merge out of order may leave it blank."""
        self._prune(a)
        mapping = a["table"].intern(*b["table"].entries())
        moved = [np.where(g >= 0, mapping[np.maximum(g, 0)], -1) for g in b["groups"]]
        counts = np.zeros(len(a["table"]), dtype=np.int64)
        counts[:a["counts"].size] = a["counts"]
        np.add.at(counts, mapping, b["counts"])
        snippets, fresh = dict(a["snippets"]), []
        for label, text in b["snippets"].items():
            target = int(mapping[label])
            if target not in snippets:
                snippets[target] = text
                if counts[target] < 2:
                    fresh.append(target)
        return {**a, "groups": a["groups"] + moved, "counts": counts, "snippets": snippets, "fresh": fresh}

    def finalize(self, state: dict, inputs, models) -> MetricResult:
        labels = np.concatenate(state["groups"]) if state["groups"] else np.zeros(0, dtype=np.int64)
        eligible = labels >= 0
        scores, clusters = _first_member_flags(labels, eligible)
        n_dup = int(np.nansum(scores))
        n_eligible = int(eligible.sum())
        keep = int(_params(self, inputs)["max_clusters"])
        rows = [{"cluster": k, "size": int(g.size), "first_record": int(g[0]), "records": _records_text(g),
                 "text": state["snippets"].get(int(labels[g[0]]), "")}
                for k, g in enumerate(clusters[:keep])]
        notes = {"records": int(labels.size), "compared": n_eligible,
                 "normalisation": "casefold, whitespace runs collapsed to one space, stripped",
                 "left_out": f"{labels.size - n_eligible} missing or blank record(s)",
                 "clusters_shown": f"{len(rows)} of {len(clusters)} (largest first); record indices are 0-based"}
        return MetricResult(value=n_dup / n_eligible if n_eligible else None, breakdown=rows, record_scores=scores,
                            secondary={"duplicate_records": n_dup, "clusters": len(clusters),
                                       "distinct_texts": len(state["table"])}, notes=notes)


@register(id="text.ext.near_duplicate_rate", name="Near-duplicate rate (MinHash LSH, verified Jaccard)",
          modality="text", pillar="quality", dimension="diversity", section="2.2", direction="lower_better",
          range=(0.0, 1.0), inputs=("synthetic",), models=("none",), computation="mergeable", extension=True,
          params={"threshold": {"default": 0.8}, "num_perm": {"default": 128}, "shingle": {"default": 3},
                  "seed": {"default": None}, "max_clusters": {"default": 50}})
class NearDuplicateRate(MergeableMetric):
    """Share of records that a keep-first deduplication at Jaccard >= ``threshold`` removes: records are
    linked when the Jaccard similarity of their sets of ``shingle``-word shingles (case-folded ``\\w+``
    tokens) is at least the threshold, clusters are the connected components of the links, and each cluster
    keeps its first record (section 2.2 diversity). Candidates come from MinHash (``num_perm`` seeded
    permutations) with LSH banding; every candidate pair's Jaccard is then computed exactly, so each reported
    link is a true pair >= threshold (pairs the LSH misses lower recall, never precision). Record score: 1 if
    removed."""

    def init(self, inputs, models) -> dict:
        params = _params(self, inputs)
        threshold, num_perm, shingle = float(params["threshold"]), int(params["num_perm"]), int(params["shingle"])
        if not 0.0 < threshold <= 1.0 or num_perm < 1 or shingle < 1:
            raise ValueError(f"need 0 < threshold <= 1, num_perm >= 1, shingle >= 1; got {threshold}, {num_perm}, "
                             f"{shingle}")
        seed = int(inputs.seed if params["seed"] is None else params["seed"])
        bands, rows = minhash.lsh_params(threshold, num_perm)
        # per record: its LSH band keys (not the signature) and its text in a TextStore that spills to disk, so
        # that memory grows by 8 x bands + 9 bytes per record, not by the corpus (issue #13)
        return {"field": _field(inputs), "vocab": shared_vocabulary(inputs, True), "threshold": threshold,
                "num_perm": num_perm, "shingle": shingle, "seed": seed, "bands": bands, "rows": rows, "keys": [],
                "eligible": [], "texts": TextStore()}

    def update(self, state: dict, role: str, batch: pd.DataFrame) -> dict:
        tb = batch_tokens(batch, state["field"], state["vocab"])
        sig, eligible = minhash.signatures(tb, state["num_perm"], state["seed"], state["shingle"])
        state["keys"].append(minhash.band_keys(sig, state["bands"], state["rows"]))
        state["eligible"].append(eligible)
        state["texts"].extend(batch_texts(batch, state["field"]))
        return state

    def merge(self, a: dict, b: dict) -> dict:  # signatures hash token content: comparable across processes
        return {**a, "keys": a["keys"] + b["keys"], "eligible": a["eligible"] + b["eligible"],
                "texts": a["texts"].merge(b["texts"])}

    def finalize(self, state: dict, inputs, models) -> MetricResult:
        t, k = state["threshold"], state["shingle"]
        store: TextStore = state["texts"]
        n = len(store)
        bands, rows = state["bands"], state["rows"]
        keys = np.concatenate(state["keys"]) if state["keys"] else np.zeros((0, bands), np.uint64)
        eligible = np.concatenate(state["eligible"]) if state["eligible"] else np.zeros(0, dtype=bool)
        pairs, oversized = minhash.candidate_pairs_of_keys(keys, eligible)
        involved = minhash.sorted_unique(pairs.ravel())
        sets = dict(zip(involved.tolist(), minhash.shingle_sets(store.get(involved.tolist()), k)))
        sims = np.array([minhash.jaccard(sets[i], sets[j]) for i, j in pairs.tolist()])
        linked = pairs[sims >= t] if sims.size else pairs
        labels = minhash.components(n, linked)
        scores, clusters = _first_member_flags(labels, eligible)
        n_dup = int(np.nansum(scores))
        n_eligible = int(eligible.sum())
        low = {}
        for (i, _), s in zip(linked.tolist(), sims[sims >= t].tolist() if sims.size else []):
            low[labels[i]] = min(low.get(labels[i], 1.0), s)
        keep = int(_params(self, inputs)["max_clusters"])
        shown = clusters[:keep]
        out_rows = [{"cluster": c, "size": int(g.size), "first_record": int(g[0]), "records": _records_text(g),
                     "min_linked_jaccard": round(low.get(labels[g[0]], 1.0), 6), "text": _snippet(text)}
                    for c, (g, text) in enumerate(zip(shown, store.get([int(g[0]) for g in shown])))]
        notes = {"records": n, "compared": n_eligible, "left_out": f"{n - n_eligible} record(s) without a word",
                 "shingles": f"{k} consecutive case-folded \\w+ tokens ({TOKENIZER}); fewer words: one shingle",
                 "threshold": t, "num_perm": state["num_perm"], "seed": state["seed"],
                 "lsh": f"{bands} bands x {rows} rows", "candidate_pairs": int(len(pairs)),
                 "linked_pairs": int(len(linked)), "rejected_candidates": int(len(pairs) - len(linked)),
                 "clusters_shown": f"{len(out_rows)} of {len(clusters)} (largest first); record indices are 0-based",
                 "verification": "exact Jaccard of the shingle sets for every candidate pair"}
        if oversized:
            notes["oversized_buckets"] = (f"{oversized} LSH bucket(s) above {minhash.MAX_BUCKET} records were "
                                          "checked against their first member only")
        return MetricResult(value=n_dup / n_eligible if n_eligible else None, breakdown=out_rows,
                            record_scores=scores, secondary={"duplicate_records": n_dup, "clusters": len(clusters),
                                                             "linked_pairs": int(len(linked))}, notes=notes)


# ---- record validity ------------------------------------------------------------------------------------

class TextRecordCheck(RecordMetric):
    """A 0/1 flag per record from a text-only rule; counts of each flag reason kept for the breakdown."""

    def init(self, inputs, models) -> dict:
        return {**super().init(inputs, models), "reasons": {}}

    def reasons(self, text: str | None, params: dict) -> list[str] | None:
        """Reasons the record is flagged ([] = fine, None = not scored)."""
        raise NotImplementedError

    def update(self, state: dict, role: str, batch: pd.DataFrame) -> dict:
        params = _params(self, state["inputs"])
        out = np.empty(len(batch))
        for i, text in enumerate(batch_texts(batch, _field(state["inputs"]))):
            found = self.reasons(text, params)
            out[i] = np.nan if found is None else float(bool(found))
            for r in found or ():
                state["reasons"][r] = state["reasons"].get(r, 0) + 1
        state["scores"].append(out)
        return state

    def merge(self, a: dict, b: dict) -> dict:
        reasons = dict(a["reasons"])
        for r, c in b["reasons"].items():
            reasons[r] = reasons.get(r, 0) + c
        return {**super().merge(a, b), "reasons": reasons}

    def finalize(self, state: dict, inputs, models) -> MetricResult:
        result = super().finalize(state, inputs, models)
        n = result.notes["n_records"] - result.notes["n_undefined"]  # the scored records
        result.breakdown = [{"reason": r, "records": c, "share": c / n if n else None}
                            for r, c in sorted(state["reasons"].items(), key=lambda kv: (-kv[1], kv[0]))]
        return result


@register(id="text.ext.empty_rate", name="Empty-record rate", modality="text", pillar="quality",
          dimension="validity", section="2.2", direction="lower_better", range=(0.0, 1.0), inputs=("synthetic",),
          models=("none",), computation="record", extension=True)
class EmptyRate(TextRecordCheck):
    """Share of records with no usable text: missing (absent, None, NaN, not a string) or empty/whitespace-only
    (section 2.2 validity: a generation must exist before it can be well-formed). Record score: 1 if empty."""

    def reasons(self, text: str | None, params: dict) -> list[str]:
        if text is None:
            return ["missing"]
        return [] if text.strip() else ["blank"]


@register(id="text.ext.truncation_rate", name="Truncation rate (end-of-text heuristic)", modality="text",
          pillar="quality", dimension="validity", section="2.2", direction="lower_better", range=(0.0, 1.0),
          inputs=("synthetic",), models=("none",), computation="record", extension=True,
          params={"min_words": {"default": 8}})
class TruncationRate(TextRecordCheck):
    """Share of non-blank records that look cut off under the documented heuristic synthaudit-truncation-v2
    (section 2.2 validity; ``stats.textchecks.truncation_reason``): an unclosed code fence, more opening than
    closing brackets, unbalanced quotes (more '“' than '”', or an odd number of '"'), a dangling last
    character (comma, dash, opening bracket), or a text of at least ``min_words`` words ending in a letter or
    digit. Missing and blank
    records are not scored. Record score: 1 if truncated."""

    def reasons(self, text: str | None, params: dict) -> list[str] | None:
        if text is None or not text.strip():
            return None
        reason = truncation_reason(text, int(params["min_words"]))
        return [reason] if reason else []

    def finalize(self, state: dict, inputs, models) -> MetricResult:
        result = super().finalize(state, inputs, models)
        result.notes.update(heuristic=TRUNCATION_HEURISTIC, not_scored="missing or blank records")
        return result


@register(id="text.ext.encoding_noise_rate", name="Encoding-noise rate", modality="text", pillar="quality",
          dimension="validity", section="2.2", direction="lower_better", range=(0.0, 1.0), inputs=("synthetic",),
          models=("none",), computation="record", extension=True)
class EncodingNoiseRate(TextRecordCheck):
    """Share of non-missing records with encoding damage (section 2.2 validity): the replacement character
    U+FFFD, mojibake of UTF-8 read as cp1252/latin-1 ('Ã©', 'â€™', 'Â°', 'ðŸ'), or control characters
    (C0 other than tab/newline/CR, DEL, C1). Record score: 1 if any; the breakdown counts each kind."""

    def reasons(self, text: str | None, params: dict) -> list[str] | None:
        return None if text is None else noise_kinds(text)


# ---- language mix (diversity) ---------------------------------------------------------------------------

def _langdetect_missing(inputs) -> str | None:
    return None if importlib.util.find_spec("langdetect") else "needs the langdetect package (pip install langdetect)"


def _priority(text: str, seed: int) -> int:
    key = (seed % 2**64).to_bytes(8, "little")
    digest = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=8, key=key)
    return int.from_bytes(digest.digest(), "little")


@register(id="text.ext.language_mix", name="Language mix (langdetect)", modality="text", pillar="quality",
          dimension="diversity", section="2.2", direction="report_only", range=(0.0, 1.0), inputs=("synthetic",),
          models=("none",), computation="mergeable", extension=True, applies=_langdetect_missing,
          params={"sample_size": {"default": 300}, "expected": {"default": None}, "seed": {"default": None}})
class LanguageMix(MergeableMetric):
    """Shares of the languages of a seeded sample of non-blank records, by langdetect (``DetectorFactory.seed
    = 0``); the value is the share of the ``expected`` language (an ISO 639-1 code such as 'en') when given,
    else of the majority language (section 2.2 diversity; section 2.1 puts language identification first in
    curation). The sample is the ``sample_size`` records with the smallest seeded hash of their text, so it
    is the same however the corpus is batched, sharded or merged."""

    def init(self, inputs, models) -> dict:
        params = _params(self, inputs)
        seed = int(inputs.seed if params["seed"] is None else params["seed"])
        return {"field": _field(inputs), "k": int(params["sample_size"]), "seed": seed, "sample": [],
                "population": 0}

    def _keep(self, state: dict, items: list[tuple[int, str]]) -> list[tuple[int, str]]:
        return heapq.nsmallest(state["k"], items)

    def update(self, state: dict, role: str, batch: pd.DataFrame) -> dict:
        texts = [t for t in batch_texts(batch, state["field"]) if t is not None and t.strip()]
        state["population"] += len(texts)
        state["sample"] = self._keep(state, state["sample"] + [(_priority(t, state["seed"]), t) for t in texts])
        return state

    def merge(self, a: dict, b: dict) -> dict:
        return {**a, "sample": self._keep(a, a["sample"] + b["sample"]),
                "population": a["population"] + b["population"]}

    def finalize(self, state: dict, inputs, models) -> MetricResult:
        from langdetect import DetectorFactory, detect
        from langdetect.lang_detect_exception import LangDetectException

        DetectorFactory.seed = 0
        counts: dict[str, int] = {}
        for _, text in state["sample"]:
            try:
                lang = detect(text)
            except LangDetectException:
                lang = "unknown"
            counts[lang] = counts.get(lang, 0) + 1
        n = len(state["sample"])
        shares = {lang: c / n for lang, c in counts.items()}
        ranked = sorted(shares.items(), key=lambda kv: (-kv[1], kv[0]))
        expected = _params(self, inputs)["expected"]
        value = shares.get(str(expected), 0.0) if expected and n else (ranked[0][1] if ranked else None)
        rows = [{"language": lang, "records": counts[lang], "share": s} for lang, s in ranked]
        notes = {"sample_size": n, "population": state["population"], "seed": state["seed"],
                 "detector": "langdetect, DetectorFactory.seed = 0", "value": (
                     f"share of expected language {expected!r}" if expected else "share of the majority language"),
                 "sample": "the records with the smallest seeded blake2b hash of their text (blank records left out)"}
        return MetricResult(value=value, breakdown=rows, notes=notes,
                            secondary={"languages": len(counts), "majority_share": ranked[0][1] if ranked else None})


# ---- lengths (fidelity) ---------------------------------------------------------------------------------

def _summary(values: np.ndarray) -> dict[str, float | None]:
    if values.size == 0:
        return {"n": 0, "mean": None, "median": None, "p5": None, "p95": None, "max": None}
    p5, med, p95 = np.percentile(values, [5, 50, 95])
    return {"n": int(values.size), "mean": float(values.mean()), "median": float(med), "p5": float(p5),
            "p95": float(p95), "max": float(values.max())}


@register(id="text.ext.length_distribution", name="Length distribution vs real (characters, tokens)",
          modality="text", pillar="quality", dimension="fidelity", section="2.2", direction="lower_better",
          range=(0.0, 1.0), inputs=("synthetic",), models=("none",), computation="mergeable", extension=True,
          params={"bins": {"default": 30}})
class LengthDistribution(MergeableMetric):
    """Lengths of the records in characters and in tokens (``data.text.tokenize``, case-folded), and, when a
    real reference is given, the two-sample Kolmogorov-Smirnov statistic D of each against the real texts'
    (scipy ``ks_2samp``; section 2.2 fidelity: generations should be as long as real ones). Value: the larger
    D (0 = same distributions); undefined without ``--real``. Missing texts are left out."""

    def init(self, inputs, models) -> dict:
        return {"field": _field(inputs), "vocab": shared_vocabulary(inputs, True), "chars": [], "tokens": []}

    def update(self, state: dict, role: str, batch: pd.DataFrame) -> dict:
        texts = batch_texts(batch, state["field"])
        tb = batch_tokens(batch, state["field"], state["vocab"])
        present = ~tb.missing
        state["chars"].append(np.fromiter((len(t) for t in texts if t is not None), dtype=np.int64))
        state["tokens"].append(tb.lengths()[present])
        return state

    def merge(self, a: dict, b: dict) -> dict:
        return {**a, "chars": a["chars"] + b["chars"], "tokens": a["tokens"] + b["tokens"]}

    def finalize(self, state: dict, inputs, models) -> MetricResult:
        from scipy.stats import ks_2samp

        syn = {"characters": _cat(state["chars"]), "tokens": _cat(state["tokens"])}
        rows = [{"unit": u, "data": "synthetic", **_summary(v)} for u, v in syn.items()]
        notes: dict[str, Any] = {"tokenizer": TOKENIZER, "left_out": "records without a text"}
        bins = int(_params(self, inputs)["bins"])
        if not inputs.has("real_reference"):
            notes["value"] = "undefined: give a real reference (--real) to compare the distributions"
            plots = [{"kind": "hist", "title": f"Record length ({unit})", "xlabel": unit, "real": None,
                      "edges": (edges := np.histogram_bin_edges(v.astype(float), bins=bins)).tolist(),
                      "synthetic": (np.histogram(v, edges)[0] / v.size).tolist()}
                     for unit, v in syn.items() if v.size]
            return MetricResult(value=None, breakdown=rows, notes=notes, plots=plots)
        real = _real_lengths(inputs, state["vocab"])
        rows += [{"unit": u, "data": "real", **_summary(v)} for u, v in real.items()]
        secondary: dict[str, float | None] = {}
        plots = []
        for unit in syn:
            a, b = syn[unit], real[unit]
            if a.size == 0 or b.size == 0:
                secondary[f"ks_{unit}"] = secondary[f"p_{unit}"] = None
                continue
            test = ks_2samp(a, b)
            secondary[f"ks_{unit}"], secondary[f"p_{unit}"] = float(test.statistic), float(test.pvalue)
            edges = np.histogram_bin_edges(np.concatenate([a, b]).astype(float), bins=bins)
            plots.append({"kind": "hist", "title": f"Record length ({unit})", "edges": edges.tolist(),
                          "real": (np.histogram(b, edges)[0] / b.size).tolist(),
                          "synthetic": (np.histogram(a, edges)[0] / a.size).tolist(), "xlabel": unit})
        defined = [v for k, v in secondary.items() if k.startswith("ks_") and v is not None]
        notes["value"] = "max over characters and tokens of the KS statistic D"
        return MetricResult(value=max(defined) if defined else None, breakdown=rows, secondary=secondary,
                            plots=plots, notes=notes)


def _cat(parts: list[np.ndarray]) -> np.ndarray:
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)


def _real_lengths(inputs, vocab) -> dict[str, np.ndarray]:
    chars, tokens = [], []
    field = _field(inputs)
    for batch in inputs.batches("real_reference"):
        texts = [t for t in batch_texts(batch, field) if t is not None]
        chars.append(np.fromiter(map(len, texts), dtype=np.int64, count=len(texts)))
        tokens.append(tokenize_batch(texts, vocab).lengths())
    return {"characters": _cat(chars), "tokens": _cat(tokens)}

