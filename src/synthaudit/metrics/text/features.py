"""Per-record features shared by the model-backed text metrics (survey sections 2.2-2.3).

Embeddings, sentences, acceptability and toxicity scores of a batch are computed once per audit and
reused by every metric that streams the same batch (EDS and Self-CosSim share embeddings; TP and EMT
share toxicity scores). The memo lives in ``inputs.features`` and keeps only the last few batches per
feature kind, so memory stays bounded when a corpus streams. NLI entailment is memoised per
(premise, hypothesis) pair for the whole audit: it is the costliest feature and F1_AP re-reads the
corpus after Attr_auto has scored it.

Also here: reading structured per-record fields (lists and mappings, JSON-encoded in CSV cells), a
record-metric base with several per-record columns, and bounded worst-k lists for breakdowns.
"""
from __future__ import annotations

import hashlib
import heapq
import itertools
import json
import math
from collections import Counter, OrderedDict
from typing import TYPE_CHECKING, Any, Callable, Sequence

import numpy as np
import pandas as pd

from synthaudit.data.segment import split_sentences
from synthaudit.errors import InputError
from synthaudit.metrics.registry import RecordMetric
from synthaudit.metrics.result import MetricResult
from synthaudit.metrics.sampling import Sampler, stable_hash  # noqa: F401 (re-exported)

if TYPE_CHECKING:
    from synthaudit.data.inputs import AuditInputs
    from synthaudit.models import Models

SYN, REAL = "synthetic", "real_reference"
PREVIEW_CHARS = 160
WORST_K = 10


# -- the memo --------------------------------------------------------------------------------------
class BatchMemo:
    """The ``keep`` most recent results per feature kind, keyed by model and batch content."""

    def __init__(self, keep: int = 2) -> None:
        self.keep = keep
        self._store: dict[str, OrderedDict[str, Any]] = {}
        self.pairs: dict[tuple[str, str, str], float] = {}  # (nli model, premise, hypothesis) -> P(entail)

    def get(self, kind: str, key: str, compute: Callable[[], Any]) -> Any:
        slot = self._store.setdefault(kind, OrderedDict())
        if key in slot:
            slot.move_to_end(key)
            return slot[key]
        from synthaudit.timing import shared

        with shared(f"features: {kind}"):  # shared by the metrics that ask for it: not charged to the first
            value = slot[key] = compute()
        while len(slot) > self.keep:
            slot.popitem(last=False)
        return value


def memo(inputs: "AuditInputs") -> BatchMemo:
    return inputs.features.get("text.features.memo", BatchMemo)


def digest(items: Sequence[Any]) -> str:
    """A content hash of a batch of texts (or nested lists of texts)."""
    h = hashlib.blake2b(digest_size=16)
    for item in items:
        h.update(json.dumps(item, ensure_ascii=False, default=str).encode("utf-8"))
        h.update(b"\x1e")
    return f"{len(items)}:{h.hexdigest()}"


# -- texts and fields ------------------------------------------------------------------------------
def text_field(inputs: "AuditInputs") -> str:
    return inputs.extra.get("field", "text")


def is_blank(text: str | None) -> bool:
    return text is None or not text.strip()


def preview(text: Any, n: int = PREVIEW_CHARS) -> str | None:
    if text is None:
        return None
    s = str(text)
    return s if len(s) <= n else s[:n - 1] + "…"


def column(batch: pd.DataFrame, name: str) -> list[Any]:
    """The raw values of a record field (None where absent or NaN); JSON-encoded lists and mappings
    (CSV cells) are decoded and numpy arrays (Parquet lists) become lists."""
    if name not in batch.columns:
        return [None] * len(batch)
    return [structured(v) for v in batch[name].tolist()]


def structured(value: Any) -> Any:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, np.ndarray):
        return [structured(v) for v in value.tolist()]
    if isinstance(value, (list, tuple)):
        return [structured(v) if isinstance(v, (np.ndarray, list, tuple, dict)) else v for v in value]
    if isinstance(value, str) and value.lstrip()[:1] in ("[", "{"):
        try:
            return json.loads(value)
        except ValueError:
            return value
    if value is pd.NA:
        return None
    return value


def record_error(inputs: "AuditInputs", index: int, field: str, message: str) -> InputError:
    """An error naming the record (0-based position in the synthetic corpus) and its field."""
    return InputError(f"record {index} (0-based): {message}", file=inputs.tables[SYN].label, field=field)


# -- model features, memoised per batch ------------------------------------------------------------
def sentences(inputs: "AuditInputs", texts: Sequence[str | None]) -> list[list[str]]:
    """Each text's sentences (``data.segment.split_sentences``); none for a missing or blank text."""
    return memo(inputs).get("sentences", digest(texts), lambda: [split_sentences(t) if t else [] for t in texts])


def embeddings(inputs: "AuditInputs", models: "Models", texts: Sequence[str | None]) -> np.ndarray:
    """One unit-norm float64 row per text; NaN rows for missing or blank texts (not embedded).
    Duplicate texts are embedded once."""
    embedder = models.get("sentence_embedder")

    def compute() -> np.ndarray:
        unique = list(dict.fromkeys(t for t in texts if not is_blank(t)))
        vecs = np.asarray(embedder.encode(unique), dtype=np.float64) if unique else np.zeros((0, 0))
        norms = np.linalg.norm(vecs, axis=1, keepdims=True) if unique else np.zeros((0, 1))
        with np.errstate(invalid="ignore", divide="ignore"):
            vecs = np.where(norms > 0, vecs / norms, np.nan)
        where = {t: i for i, t in enumerate(unique)}
        dim = vecs.shape[1] if unique else int(getattr(embedder, "dim", 0) or 0)
        out = np.full((len(texts), dim), np.nan)
        for i, t in enumerate(texts):
            if not is_blank(t):
                out[i] = vecs[where[t]]
        return out

    return memo(inputs).get("embeddings", f"{embedder.name}|{digest(texts)}", compute)


def scores_of(inputs: "AuditInputs", kind: str, backend: Any, items: Sequence[str],
              fn: Callable[[list[str]], np.ndarray]) -> np.ndarray:
    """``fn`` over the distinct items (acceptability, toxicity), memoised for the batch."""
    def compute() -> np.ndarray:
        unique = list(dict.fromkeys(items))
        vals = np.asarray(fn(unique), dtype=float) if unique else np.zeros(0)
        where = {t: v for t, v in zip(unique, vals)}
        return np.array([where[t] for t in items], dtype=float)

    return memo(inputs).get(kind, f"{backend.name}|{digest(items)}", compute)


def entailment(inputs: "AuditInputs", models: "Models", premises: Sequence[str],
               hypotheses: Sequence[str]) -> np.ndarray:
    """P(premise entails hypothesis) per pair, each distinct pair scored once per audit."""
    nli = models.get("nli")
    pairs = memo(inputs).pairs
    keys = [(nli.name, p, h) for p, h in zip(premises, hypotheses)]
    todo = list(dict.fromkeys(k for k in keys if k not in pairs))
    if todo:
        vals = np.asarray(nli.entailment([k[1] for k in todo], [k[2] for k in todo]), dtype=float)
        pairs.update(zip(todo, vals.tolist()))
    return np.array([pairs[k] for k in keys], dtype=float)


# -- worst-k lists (bounded, mergeable) -------------------------------------------------------------
_SEQ = itertools.count()


def push_worst(heap: list, k: int, key: float, row: dict[str, Any]) -> None:
    """Keep the ``k`` rows with the largest ``key``; ties go to the earlier record (then sentence)."""
    if key is None or math.isnan(key):
        return
    item = (key, -row.get("record", 0), -row.get("sentence", 0), -next(_SEQ), row)
    if len(heap) < k:
        heapq.heappush(heap, item)
    elif item[:4] > heap[0][:4]:
        heapq.heapreplace(heap, item)


def merge_worst(a: list, b: list, k: int) -> list:
    return heapq.nlargest(k, a + b, key=lambda x: x[:4])


def worst_rows(heap: list) -> list[dict[str, Any]]:
    return [item[-1] for item in sorted(heap, key=lambda x: x[:4], reverse=True)]


# -- record metrics with several per-record columns -------------------------------------------------
class ColumnsMetric(RecordMetric):
    """A record metric whose ``columns`` give several named per-record numbers; ``main`` is the one
    averaged into the value (NaN = undefined, left out and counted). Keeps a running record offset, a
    counter of notable cases and a bounded worst-k list ranked by ``worst_key`` (larger = worse)."""

    main = "score"
    worst_k = WORST_K

    def columns(self, batch: pd.DataFrame, state: dict) -> dict[str, np.ndarray]:
        raise NotImplementedError

    def params(self, inputs: "AuditInputs") -> dict[str, Any]:
        return inputs.params_for(self.spec.id, self.spec.default_params())

    def init(self, inputs: "AuditInputs", models: "Models") -> dict:
        return {"cols": {}, "inputs": inputs, "models": models, "offset": 0, "counts": Counter(), "worst": [],
                "params": self.params(inputs)}

    def update(self, state: dict, role: str, batch: pd.DataFrame) -> dict:
        cols = self.columns(batch, state)
        for name, values in cols.items():
            state["cols"].setdefault(name, []).append(np.asarray(values, dtype=float))
        state["offset"] += len(batch)
        return state

    def merge(self, a: dict, b: dict) -> dict:
        cols = {n: a["cols"].get(n, []) + b["cols"].get(n, []) for n in {*a["cols"], *b["cols"]}}
        return {**a, "cols": cols, "offset": a["offset"] + b["offset"], "counts": a["counts"] + b["counts"],
                "worst": merge_worst(a["worst"], b["worst"], self.worst_k)}

    def column_values(self, state: dict, name: str) -> np.ndarray:
        parts = state["cols"].get(name, [])
        return np.concatenate(parts) if parts else np.array([])

    def finalize(self, state: dict, inputs: "AuditInputs", models: "Models") -> MetricResult:
        scores = self.column_values(state, self.main)
        defined = scores[~np.isnan(scores)]
        notes: dict[str, Any] = {"n_records": int(scores.size), "n_undefined": int(scores.size - defined.size)}
        notes.update({k: int(v) for k, v in sorted(state["counts"].items()) if v})
        breakdown = worst_rows(state["worst"])
        return MetricResult(value=float(defined.mean()) if defined.size else None, record_scores=scores,
                            breakdown=breakdown, notes=notes)


def nanmean(values: np.ndarray) -> float | None:
    values = np.asarray(values, dtype=float)
    values = values[~np.isnan(values)]
    return float(values.mean()) if values.size else None
