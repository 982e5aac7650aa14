"""Report figures of the video-text modality (survey section 6), drawn beside the metrics of their dimension:

* sample frames: a few synthetic (and real) videos as frame strips;
* motion scores: their distribution, real vs synthetic (``vl_video.motion_score``);
* the feature-space map of the FVD-like video features, real vs synthetic;
* watermark bit accuracy under each attack (``vl_video.watermark_bit_acc``), against chance.
"""
from __future__ import annotations

from itertools import islice
from typing import TYPE_CHECKING, Any, Iterator

import numpy as np

from synthaudit.modalities.image_text.report import DRAW as IMAGE_DRAW
from synthaudit.modalities.image_text.report import _metric, feature_map, thumbnail

if TYPE_CHECKING:
    from synthaudit.data.inputs import AuditInputs

STRIP = 6  # frames per strip
VIDEOS = 2  # videos per side

DRAW = dict(IMAGE_DRAW)


def _clips(inputs: "AuditInputs", role: str) -> Iterator[tuple[str, Any]]:
    """(id, decoded video) of a role's readable videos, in record order, read back batch by batch."""
    from synthaudit.data.vision import KEY_COL, MEDIA_COL, record_batches
    from synthaudit.metrics.video_text.common import clip_of

    for batch in record_batches(inputs, role):
        for rid, src, key in zip(batch["id"].tolist(), batch[MEDIA_COL].tolist(), batch[KEY_COL].tolist()):
            clip = clip_of(inputs, src, key) if src is not None else None
            if clip is not None:
                yield rid, clip


def _strips(inputs: "AuditInputs") -> dict | None:
    items = []
    for role, label in (("real_reference", "real"), ("synthetic", "synthetic")):
        if role not in inputs.tables:
            continue
        for rid, clip in islice(_clips(inputs, role), VIDEOS):
            for t, frame in zip(np.linspace(0, len(clip.frames) - 1, STRIP).round().astype(int),
                                clip.sampled(STRIP)):
                items.append({"src": thumbnail(frame, 96), "label": f"{label} {rid} t={t}", "text": ""})
    if not items:
        return None
    return {"kind": "group", "dimension": "fidelity", "per_row": 1,
            "items": [{"kind": "image_grid", "title": "Sample frames", "items": items[k:k + STRIP]}
                      for k in range(0, len(items), STRIP)],
            "caption": f"{STRIP} frames spread over each of the first {VIDEOS} readable videos per side."}


def _motion(metrics: list[Any], inputs: "AuditInputs | None") -> dict | None:
    """The per-video motion scores of this audit, real vs synthetic (a stored report keeps no per-record scores, so
    the histogram is drawn when the audit runs, not when a report.json is rendered again)."""
    m = _metric(metrics, "vl_video.motion_score")
    scores = (inputs.features._store.get("video:motion") if inputs is not None else None) if m is not None else None
    if not scores:
        return None
    sides = {}
    for side in ("real", "synthetic"):
        s = np.asarray(scores.get(side, []), dtype=float)
        sides[side] = s[~np.isnan(s)]
    syn = sides["synthetic"]
    if syn.size < 2:
        return None
    real = sides["real"]
    top = max(float(syn.max()), float(real.max()) if real.size else 0.0, 1e-6) * 1.05
    edges = np.linspace(0.0, top, 16)
    return {"kind": "hist", "dimension": "diversity", "title": "Motion score per video", "edges": edges.tolist(),
            "synthetic": (np.histogram(syn, bins=edges)[0] / syn.size).tolist(),
            "real": (np.histogram(real, bins=edges)[0] / real.size).tolist() if real.size else None,
            "xlabel": "mean optical-flow magnitude (px / frame)",
            "caption": "How much the videos move; a spike at 0 means static videos."}


def _watermark(metrics: list[Any]) -> dict | None:
    m = _metric(metrics, "vl_video.watermark_bit_acc")
    rows = getattr(m, "breakdown", None) if m is not None else None
    if not rows:
        return None
    return {"kind": "groups", "dimension": "provenance", "title": "Watermark bit accuracy per attack",
            "groups": [r["attack"] for r in rows], "series": {"bit accuracy": [r["bit_accuracy"] for r in rows]},
            "ylabel": "bit accuracy (0.5 = chance)",
            "caption": "Share of the embedded bits decoded correctly after each attack (none = no attack)."}


def figures(metrics: list[Any], inputs: "AuditInputs | None" = None) -> list[dict]:
    """Plot specs (plain JSON, stored in report.json)."""
    out = [_motion(metrics, inputs), _watermark(metrics)]
    if inputs is not None and "synthetic" in inputs.extra.get("media", {}):
        out = [_strips(inputs), feature_map(inputs, "video")] + out
    return [f for f in out if f]
