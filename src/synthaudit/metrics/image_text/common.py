"""Shared glue of the image-text and video-text metrics (survey section 6): which inputs a metric needs, the
per-record feature cache, and a statistic's error as an undefined value."""
from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from synthaudit.data.vision import KEY_COL, MEDIA_COL, MediaError, batch_field, decode_image, iter_images
from synthaudit.metrics.result import MetricResult

SECTION_QUALITY = "6.2"
SECTION_TRUST = "6.3"
REAL, SYN = "real_reference", "synthetic"


def undefined(exc: Exception | str, **notes: Any) -> MetricResult:
    """A metric whose statistic is undefined on these data (a gap with the reason, never 0)."""
    return MetricResult(value=None, notes={"undefined": str(exc), **notes})


def params(inputs, metric) -> dict[str, Any]:
    return inputs.params_for(metric.spec.id, metric.spec.default_params())


def needs_field(*names: str, role: str = SYN, what: str | None = None) -> Callable[[Any], str | None]:
    """An ``applies`` check: some record of ``role`` has one of the fields ``names``."""
    def check(inputs) -> str | None:
        sets = inputs.extra.get("media", {})
        if role not in sets:
            return f"no {'real' if role == REAL else 'synthetic'} records given"
        if not any(sets[role].has(n) for n in names):
            return f"no record has {what or ' or '.join(repr(n) for n in names)}"
        return None

    return check


def all_of(*checks: Callable[[Any], str | None]) -> Callable[[Any], str | None]:
    def check(inputs) -> str | None:
        return next((r for c in checks if (r := c(inputs))), None)

    return check


def field(batch, name: str) -> list[Any]:
    return batch_field(batch, name)


def texts(batch, name: str = "text") -> list[str | None]:
    return [None if v is None else str(v) for v in batch_field(batch, name)]


def sources(batch) -> list[Any]:
    return batch[MEDIA_COL].tolist()


def backend_name(models, kind: str) -> str:
    """The model a result was computed with, as the backend describes itself (preprocessing included)."""
    obj = models.get(kind)
    name = str(getattr(obj, "name", models.backends[kind].name))
    pre = getattr(obj, "preprocessing", None)
    return f"{name}; preprocessing {pre}" if pre else name


# -- per-record image features, computed once per audit and medium -------------------------------------------------
#: what an unreadable image is replaced with in a batch (its row is then dropped)
PLACEHOLDER = np.zeros((8, 8, 3), dtype=np.uint8)


def _store(inputs) -> dict:
    return inputs.features.get("vision:feature_store", dict)


def image_rows(inputs, models, srcs: Sequence[Any], keys: Sequence[str], kind: str = "image_features"
               ) -> tuple[list[np.ndarray | None], list[dict]]:
    """Per source, its feature vector (``kind`` image_features) or class probabilities (``image_classifier``),
    None when the medium is absent or unreadable; and the decoding errors met. Cached by backend and media key
    (one EfficientNet pass gives both outputs)."""
    store = _store(inputs)
    backend = models.get(kind)
    out = "p" if kind == "image_classifier" else "f"
    bid = id(backend)
    todo = [i for i, (s, k) in enumerate(zip(srcs, keys)) if s is not None and (bid, out, k) not in store]
    errors: list[dict] = []
    if todo:
        bad: set[int] = set()

        def decoded():  # consumed by the backend's prefetch thread: decoding runs beside inference
            for j, i in enumerate(todo):
                try:
                    yield decode_image(srcs[i])
                except MediaError as exc:
                    errors.append({"index": i, "source": str(srcs[i])[:200], "reason": str(exc)})
                    bad.add(j)
                    yield PLACEHOLDER

        if hasattr(backend, "embed"):
            feats, probs = backend.embed(decoded())
            for j, (f, p) in enumerate(zip(feats, probs)):
                ok = j not in bad
                store[(bid, "f", keys[todo[j]])] = np.asarray(f, dtype=np.float32) if ok else None
                store[(bid, "p", keys[todo[j]])] = np.asarray(p, dtype=np.float32) if ok else None
        else:
            rows = backend.probabilities(decoded()) if out == "p" else backend.features(decoded())
            for j, f in enumerate(rows):
                store[(bid, out, keys[todo[j]])] = np.asarray(f, dtype=np.float32) if j not in bad else None
    return [store.get((bid, out, k)) if s is not None else None for s, k in zip(srcs, keys)], errors


def batch_features(inputs, models, batch, kind: str = "image_features") -> tuple[np.ndarray, int]:
    """The feature (or probability) rows of a batch's readable images, and how many were skipped."""
    rows, _ = image_rows(inputs, models, sources(batch), batch[KEY_COL].tolist(), kind)
    got = [r for r in rows if r is not None]
    if not got:
        return np.zeros((0, 0)), len(rows)
    return np.stack(got).astype(np.float64), len(rows) - len(got)


def decode_one(src: Any) -> np.ndarray | None:
    return next(iter_images([src]))


def unit(x: np.ndarray) -> np.ndarray:
    n = np.linalg.norm(x, axis=-1, keepdims=True)
    return x / np.where(n == 0, 1.0, n)
