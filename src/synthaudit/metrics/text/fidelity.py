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
          params={"encoder": {"default": "sentence-transformers/all-MiniLM-L6-v2"}, "plot_sample": {"default": 300},
                  "baseline_exact_max": {"default": 10_000}})
class EDS(MergeableMetric):
    """EDS = cos(e_syn, e_real), e = mean of L2-normalised sentence embeddings of a corpus (section 2.2).

    Sufficient statistics per corpus: the sum of unit embeddings and the count. The real-vs-real
    baseline the catalog asks for is the EDS between two seeded halves of the real corpus: texts are
    ordered by a hash of seed and text and dealt alternately into the halves, exactly when the real
    corpus has at most ``baseline_exact_max`` texts (a seeded bottom-k reservoir holds them all), else
    by the hash's parity (halves equal up to sampling noise). A seeded bottom-k sample of embeddings per
    corpus (``plot_sample``) feeds the PCA embedding map. Everything merges across batches and shards,
    and none of it depends on where batches start."""

    streams = (SYN, REAL)

    def init(self, inputs, models) -> dict[str, Any]:
        params = inputs.params_for(self.spec.id, self.spec.default_params())
        return {"inputs": inputs, "models": models, "field": text_field(inputs), "seed": inputs.seed,
                "k": int(params["plot_sample"]), "cap": int(params["baseline_exact_max"]),
                "sum": {SYN: None, REAL: None}, "n": {SYN: 0, REAL: 0}, "parity_sum": [None, None],
                "parity_n": [0, 0], "missing": {SYN: 0, REAL: 0}, "blank": {SYN: 0, REAL: 0},
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
            odd = np.array([p & 1 for p in prio], dtype=bool)
            for h in (0, 1):
                sel = odd == bool(h)
                if sel.any():
                    state["parity_sum"][h] = _add(state["parity_sum"][h], vecs[sel].sum(axis=0))
                    state["parity_n"][h] += int(sel.sum())
        k = max(state["k"], state["cap"]) if role == REAL else state["k"]
        state["sample"][role] = _bottom_k(state["sample"][role] + list(zip(prio, vecs)), k)
        return state

    def merge(self, a: dict, b: dict) -> dict:
        return {**a, "sum": {r: _add(a["sum"][r], b["sum"][r]) for r in (SYN, REAL)},
                "n": {r: a["n"][r] + b["n"][r] for r in (SYN, REAL)},
                "parity_sum": [_add(x, y) for x, y in zip(a["parity_sum"], b["parity_sum"])],
                "parity_n": [x + y for x, y in zip(a["parity_n"], b["parity_n"])],
                "missing": {r: a["missing"][r] + b["missing"][r] for r in (SYN, REAL)},
                "blank": {r: a["blank"][r] + b["blank"][r] for r in (SYN, REAL)},
                "sample": {SYN: _bottom_k(a["sample"][SYN] + b["sample"][SYN], a["k"]),
                           REAL: _bottom_k(a["sample"][REAL] + b["sample"][REAL], max(a["k"], a["cap"]))}}

    def baseline(self, state: dict) -> tuple[float | None, str]:
        """The real-vs-real split EDS and how the halves were made."""
        n = state["n"][REAL]
        if n <= state["cap"]:
            res = state["sample"][REAL]
            halves = [np.sum([v for _, v in res[h::2]], axis=0) if res[h::2] else None for h in (0, 1)]
            how = f"exact halves ({(n + 1) // 2} and {n // 2} texts) dealt alternately in seeded hash order"
        else:
            halves = state["parity_sum"]
            how = (f"halves by seeded hash parity ({state['parity_n'][0]} and {state['parity_n'][1]} texts; the real "
                   f"corpus exceeds baseline_exact_max={state['cap']})")
        return (cosine(*halves) if all(h is not None for h in halves) else None), how

    def finalize(self, state: dict, inputs, models) -> MetricResult:
        embedder = models.get("sentence_embedder")
        value = cosine(state["sum"][SYN], state["sum"][REAL]) if state["n"][SYN] and state["n"][REAL] else None
        baseline, how = self.baseline(state)
        notes: dict[str, Any] = {
            "n_synthetic": state["n"][SYN], "n_real": state["n"][REAL],
            "encoder_requested": inputs.params_for(self.spec.id, self.spec.default_params())["encoder"],
            "encoder_used": embedder.name,
            "real_split_baseline": (f"EDS between two seeded halves of the real corpus: {how}; an EDS near it means "
                                    "the synthetic corpus is about as close to the real one as real data is to "
                                    "itself (the halves are smaller, so the baseline is a little noisier)"),
            "caution": ("EDS compares first moments only: it can be ~1 for very different distributions, and "
                        "anisotropic encoders give unrelated corpora > 0.8; read it against the baseline"),
            "excluded": "missing and blank texts are not embedded"}
        for r in (SYN, REAL):
            if state["missing"][r] or state["blank"][r]:
                notes[f"excluded_{ROLE_LABEL[r]}"] = (f"{state['missing'][r]} missing and {state['blank'][r]} "
                                                      "blank text(s) left out")
        secondary = {"real_split_baseline": baseline,
                     "gap_to_baseline": None if value is None or baseline is None else baseline - value}
        plot = scatter_payload({r: state["sample"][r][:state["k"]] for r in (SYN, REAL)})
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
