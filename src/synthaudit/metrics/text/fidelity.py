"""Text fidelity (survey section 2.2): Embedding Distribution Similarity (EDS) with a real-vs-real baseline
and a 2-D embedding map (plot kind ``scatter``)."""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from synthaudit.data.text import texts
from synthaudit.metrics.registry import MergeableMetric, register
from synthaudit.metrics.result import MetricResult
from synthaudit.metrics.text.features import REAL, SYN, embeddings, is_blank, stable_hash, text_field

ROLE_LABEL = {REAL: "real", SYN: "synthetic"}


def cosine(a: np.ndarray, b: np.ndarray) -> float | None:
    na, nb = float(np.linalg.norm(a)), float(np.linalg.norm(b))
    return float(a @ b / (na * nb)) if na > 0 and nb > 0 else None


def pca_2d(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows of ``x`` projected on its first two principal axes (numpy SVD of the centred data; each
    axis signed so that its largest loading is positive) and the share of variance of each axis."""
    centred = x - x.mean(axis=0)
    _, s, vt = np.linalg.svd(centred, full_matrices=False)
    vt = vt[:2]
    vt *= np.sign(vt[np.arange(len(vt)), np.abs(vt).argmax(axis=1)])[:, None]
    var = s ** 2
    share = var[:2] / var.sum() if var.sum() > 0 else np.zeros(2)
    proj = centred @ vt.T
    if proj.shape[1] < 2:
        proj = np.column_stack([proj, np.zeros((len(proj), 2 - proj.shape[1]))])
        share = np.concatenate([share, np.zeros(2 - len(share))])
    return proj, share


def scatter_payload(samples: dict[str, list]) -> dict[str, Any] | None:
    """Plot payload ``scatter`` (a kind the HTML report draws as one point cloud per series)."""
    parts = [(role, np.array([v for _, v in samples[role]])) for role in (REAL, SYN) if samples[role]]
    if sum(len(m) for _, m in parts) < 3:
        return None
    proj, share = pca_2d(np.vstack([m for _, m in parts]))
    series, start = [], 0
    for role, m in parts:
        xy = proj[start:start + len(m)]
        start += len(m)
        series.append({"label": ROLE_LABEL[role], "x": np.round(xy[:, 0], 4).tolist(),
                       "y": np.round(xy[:, 1], 4).tolist()})
    return {"kind": "scatter", "title": "Embedding map (PCA of sentence embeddings)",
            "xlabel": f"PC1 ({share[0]:.0%} of variance)", "ylabel": f"PC2 ({share[1]:.0%} of variance)",
            "series": series}


@register(id="text.eds", name="Embedding Distribution Similarity (EDS)", modality="text", pillar="quality",
          dimension="fidelity", section="2.2", direction="higher_better", range=(-1.0, 1.0),
          inputs=("synthetic", "real_reference"), models=("sentence_embedder",), computation="mergeable",
          params={"encoder": {"default": "sentence-transformers/all-MiniLM-L6-v2"}, "plot_sample": {"default": 300}})
class EDS(MergeableMetric):
    """EDS = cos(e_syn, e_real), e = mean of L2-normalised sentence embeddings of a corpus (section 2.2).

    Sufficient statistics per corpus: the sum of unit embeddings and the count. Also kept: the sums of
    two seeded halves of the real corpus (a hash of seed and text decides the half), whose cosine is the
    real-vs-real baseline the catalog asks for, and a seeded bottom-k sample of embeddings per corpus
    (``plot_sample``) for the PCA embedding map. All of them merge across batches and shards."""

    streams = (SYN, REAL)

    def init(self, inputs, models) -> dict[str, Any]:
        k = int(inputs.params_for(self.spec.id, self.spec.default_params())["plot_sample"])
        return {"inputs": inputs, "models": models, "field": text_field(inputs), "seed": inputs.seed, "k": k,
                "sum": {SYN: None, REAL: None}, "n": {SYN: 0, REAL: 0}, "half_sum": [None, None],
                "half_n": [0, 0], "missing": {SYN: 0, REAL: 0}, "blank": {SYN: 0, REAL: 0},
                "sample": {SYN: [], REAL: []}}

    def update(self, state: dict, role: str, batch: pd.DataFrame) -> dict:
        docs = texts(batch, state["field"])
        emb = embeddings(state["inputs"], state["models"], docs)
        ok = ~np.isnan(emb).any(axis=1) if emb.size else np.zeros(len(docs), bool)
        state["missing"][role] += sum(d is None for d in docs)
        state["blank"][role] += sum(d is not None and is_blank(d) for d in docs)
        if not ok.any():
            return state
        vecs = emb[ok]
        kept = [d for d, o in zip(docs, ok) if o]
        state["sum"][role] = _add(state["sum"][role], vecs.sum(axis=0))
        state["n"][role] += len(vecs)
        prio = [stable_hash(state["seed"], role, d) for d in kept]
        if role == REAL:
            half = np.array([p & 1 for p in [stable_hash(state["seed"], "half", d) for d in kept]], dtype=bool)
            for h in (0, 1):
                sel = half == bool(h)
                if sel.any():
                    state["half_sum"][h] = _add(state["half_sum"][h], vecs[sel].sum(axis=0))
                    state["half_n"][h] += int(sel.sum())
        state["sample"][role] = _bottom_k(state["sample"][role] + list(zip(prio, vecs)), state["k"])
        return state

    def merge(self, a: dict, b: dict) -> dict:
        return {**a, "sum": {r: _add(a["sum"][r], b["sum"][r]) for r in (SYN, REAL)},
                "n": {r: a["n"][r] + b["n"][r] for r in (SYN, REAL)},
                "half_sum": [_add(x, y) for x, y in zip(a["half_sum"], b["half_sum"])],
                "half_n": [x + y for x, y in zip(a["half_n"], b["half_n"])],
                "missing": {r: a["missing"][r] + b["missing"][r] for r in (SYN, REAL)},
                "blank": {r: a["blank"][r] + b["blank"][r] for r in (SYN, REAL)},
                "sample": {r: _bottom_k(a["sample"][r] + b["sample"][r], a["k"]) for r in (SYN, REAL)}}

    def finalize(self, state: dict, inputs, models) -> MetricResult:
        embedder = models.get("sentence_embedder")
        value = cosine(state["sum"][SYN], state["sum"][REAL]) if state["n"][SYN] and state["n"][REAL] else None
        hs = state["half_sum"]
        baseline = cosine(hs[0], hs[1]) if all(n > 0 for n in state["half_n"]) else None
        notes: dict[str, Any] = {
            "n_synthetic": state["n"][SYN], "n_real": state["n"][REAL],
            "encoder_requested": inputs.params_for(self.spec.id, self.spec.default_params())["encoder"],
            "encoder_used": embedder.name,
            "real_split_baseline": (f"EDS between two seeded halves of the real corpus ({state['half_n'][0]} and "
                                    f"{state['half_n'][1]} texts, split by a hash of seed and text); an EDS near "
                                    "it means the synthetic corpus is about as close as real data is to itself"),
            "caution": ("EDS compares first moments only: it can be ~1 for very different distributions, and "
                        "anisotropic encoders give unrelated corpora > 0.8; read it against the baseline"),
            "excluded": "missing and blank texts are not embedded"}
        for r in (SYN, REAL):
            if state["missing"][r] or state["blank"][r]:
                notes[f"excluded_{ROLE_LABEL[r]}"] = (f"{state['missing'][r]} missing and {state['blank'][r]} "
                                                      "blank text(s) left out")
        secondary = {"real_split_baseline": baseline,
                     "gap_to_baseline": None if value is None or baseline is None else baseline - value}
        plot = scatter_payload(state["sample"])
        if plot:
            notes["embedding_map"] = (f"PCA (numpy SVD) of a seeded sample of at most {state['k']} embeddings per "
                                      "corpus (bottom-k of a hash of seed and text)")
        return MetricResult(value=value, secondary=secondary, notes=notes, plots=[plot] if plot else [])


def _add(a: np.ndarray | None, b: np.ndarray | None) -> np.ndarray | None:
    if a is None:
        return None if b is None else np.array(b, dtype=np.float64)
    return a if b is None else a + b


def _bottom_k(items: list, k: int) -> list:
    return sorted(items, key=lambda x: x[0])[:k]
