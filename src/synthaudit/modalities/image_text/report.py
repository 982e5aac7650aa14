"""Report figures of the image-text modality (survey section 6), drawn beside the metrics of their dimension:

* the most-hallucinated captions (``vl_image.chair``), their images with the hallucinated words highlighted;
* the worst-aligned samples (``vl_image.ita`` / ``vl_image.fidelity_prompt`` record scores, when CLIP ran);
* wrongly answered questions (``vl_image.acc_qa``);
* the feature-space map: real vs synthetic image features projected on their first two principal components.

Thumbnails are small PNGs embedded as data URIs (the report stays one self-contained file).
"""
from __future__ import annotations

import base64
import io
from html import escape
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from synthaudit.data.inputs import AuditInputs

THUMB = 112  # thumbnail side, pixels
GRID = 6  # samples per grid
MAP_POINTS = 400  # points per side in the feature map


def thumbnail(img: np.ndarray, side: int = THUMB) -> str:
    """A PNG data URI of an RGB image fitted into a ``side`` square."""
    from PIL import Image

    im = Image.fromarray(img)
    im.thumbnail((side, side))
    buf = io.BytesIO()
    im.save(buf, format="PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _wrap(text: str, width: int = 22, lines: int = 4) -> list[str]:
    words, out, cur = text.split(), [], ""
    for w in words:
        if len(cur) + len(w) + 1 > width and cur:
            out.append(cur)
            cur = w
        else:
            cur = f"{cur} {w}".strip()
    if cur:
        out.append(cur)
    if len(out) > lines:
        out = out[:lines]
        out[-1] = out[-1][: width - 1] + "…"
    return out


def grid_svg(spec: dict[str, Any]) -> str:
    """Thumbnails in a row with their captions; words listed in an item's ``highlight`` are drawn in red bold."""
    items = spec.get("items") or []
    cell_w, img_h, line_h = THUMB + 24, THUMB, 14
    n_lines = max((len(_wrap(str(i.get("text", "")))) for i in items), default=0) + 1
    h = 28 + img_h + 8 + n_lines * line_h + 8
    w = max(1, len(items)) * cell_w + 8
    title = escape(str(spec.get("title", "")))
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" '
             f'aria-label="{title}" font-family="sans-serif" font-size="11">',
             f'<text x="4" y="16" font-size="13" font-weight="bold">{title}</text>']
    for k, item in enumerate(items):
        x = 4 + k * cell_w
        parts.append(f'<image x="{x + 12}" y="26" width="{THUMB}" height="{THUMB}" href="{item["src"]}"/>')
        label = escape(str(item.get("label", "")))
        parts.append(f'<text x="{x + 12}" y="{26 + img_h + 14}" fill="#57606a" font-size="9">{label}</text>')
        bad = {h.lower() for h in item.get("highlight") or []}
        for j, line in enumerate(_wrap(str(item.get("text", "")))):
            spans = []
            for word in line.split(" "):
                core = word.strip(".,;:!?\"'").lower()
                hit = core in bad or any(core and core in b.split() for b in bad)
                style = ' fill="#b3261e" font-weight="bold"' if hit else ""
                spans.append(f"<tspan{style}>{escape(word)}</tspan>")
            parts.append(f'<text x="{x + 12}" y="{26 + img_h + 14 + (j + 1) * line_h}">{" ".join(spans)}</text>')
    parts.append("</svg>")
    return "".join(parts)


DRAW = {"image_grid": grid_svg}


def _metric(metrics: list[Any], mid: str) -> Any:
    return next((m for m in metrics if getattr(m, "id", None) == mid and getattr(m, "value", None) is not None),
                None)


def _row_items(inputs: "AuditInputs", rows: list[int], texts: list[str], labels: list[str],
               highlights: list[list[str]] | None = None) -> list[dict]:
    from synthaudit.data.vision import MediaError, decode_image, media_of

    mset = media_of(inputs, "synthetic")
    out = []
    for n, i in enumerate(rows):
        src = mset.sources[i]
        if src is None:
            continue
        try:
            img = decode_image(src)
        except MediaError:
            continue
        out.append({"src": thumbnail(img), "text": texts[n], "label": labels[n],
                    "highlight": (highlights or [[]] * len(rows))[n]})
    return out


def _hallucinated(metrics: list[Any], inputs: "AuditInputs") -> dict | None:
    m = _metric(metrics, "vl_image.chair")
    if m is None or not getattr(m, "breakdown", None):
        return None
    ids = inputs.extra["media"]["synthetic"].frame["id"].tolist()
    where = {str(v): i for i, v in enumerate(ids)}
    worst = [b for b in m.breakdown if str(b.get("id")) in where][:GRID]
    if not worst:
        return None
    items = _row_items(inputs, [where[str(b["id"])] for b in worst], [b["caption"] for b in worst],
                       [f"id {b['id']}" for b in worst], [list(b.get("hallucinated") or []) for b in worst])
    return {"kind": "image_grid", "dimension": "fidelity", "title": "Most-hallucinated captions (CHAIR)",
            "items": items, "caption": "Captions with the most objects absent from the image's ground truth; the "
                                       "hallucinated words are in red."}


def _worst_rows(metrics: list[Any], mid: str) -> list[dict]:
    """The metric's worst records as the report keeps them (record index and score)."""
    m = _metric(metrics, mid)
    return list(getattr(m, "worst", None) or []) if m is not None else []


def _worst_scored(metrics: list[Any], inputs: "AuditInputs", mid: str, title: str, dimension: str, field: str,
                  caption: str) -> dict | None:
    worst = _worst_rows(metrics, mid)[:GRID]
    frame = inputs.extra["media"]["synthetic"].frame
    rows = [int(w["record"]) for w in worst if 0 <= int(w["record"]) < len(frame)]
    if not rows:
        return None
    col = frame[field] if field in frame.columns else frame["id"]
    items = _row_items(inputs, rows, [str(col.iat[i]) for i in rows],
                       [f"{w['score']:.3f}" for w in worst if 0 <= int(w["record"]) < len(frame)])
    if not items:
        return None
    return {"kind": "image_grid", "dimension": dimension, "title": title, "items": items, "caption": caption}


def _wrong_answers(metrics: list[Any], inputs: "AuditInputs") -> dict | None:
    frame = inputs.extra["media"]["synthetic"].frame
    rows = [int(w["record"]) for w in _worst_rows(metrics, "vl_image.acc_qa")
            if w.get("score") == 0.0 and 0 <= int(w["record"]) < len(frame)][:GRID]
    if not rows or not {"question", "answer", "prediction"} <= set(frame.columns):
        return None
    texts = [f"Q: {frame['question'].iat[i]} gold: {frame['answer'].iat[i]} said: {frame['prediction'].iat[i]}"
             for i in rows]
    items = _row_items(inputs, rows, texts, [f"id {frame['id'].iat[i]}" for i in rows])
    if not items:
        return None
    return {"kind": "image_grid", "dimension": "utility", "title": "Wrongly answered questions", "items": items,
            "caption": "Records whose prediction differs from the gold answer (after normalisation)."}


def feature_map(inputs: "AuditInputs", kind: str = "image") -> dict | None:
    """Real vs synthetic features on their first two principal components (from the features the audit computed)."""
    store = inputs.features._store.get("vision:feature_store") if kind == "image" else \
        inputs.features._store.get("video:rows")
    if not store or "real_reference" not in inputs.tables:
        return None
    from synthaudit.data.vision import KEY_COL

    sides = {}
    for role, label in (("real_reference", "real"), ("synthetic", "synthetic")):
        keys = set(inputs.tables[role].frame()[KEY_COL].tolist())
        if kind == "image":
            rows = [v for (b, out, k), v in store.items() if out == "f" and k in keys and v is not None]
        else:
            rows = [v for (b, what, n, k), v in store.items() if what == "video_features" and k in keys
                    and v is not None]
        if len(rows) < 3:
            return None
        sides[label] = np.stack(rows)[:MAP_POINTS].astype(float)
    both = np.concatenate(list(sides.values()))
    mu = both.mean(axis=0)
    _, _, vt = np.linalg.svd(both - mu, full_matrices=False)
    series = []
    for label, x in sides.items():
        p = (x - mu) @ vt[:2].T
        series.append({"label": label, "x": p[:, 0].round(4).tolist(), "y": p[:, 1].round(4).tolist()})
    what = "image" if kind == "image" else "video"
    return {"kind": "scatter", "dimension": "fidelity", "title": f"{what.capitalize()} feature space", "series": series,
            "xlabel": "PC 1", "ylabel": "PC 2",
            "caption": f"Real and synthetic {what} features (the extractor of the FID-like score) on their first two "
                       "principal components: separated clouds mean the sets differ."}


def figures(metrics: list[Any], inputs: "AuditInputs | None" = None) -> list[dict]:
    """Plot specs (plain JSON, stored in report.json)."""
    if inputs is None or "synthetic" not in inputs.extra.get("media", {}):
        return []
    out = [_hallucinated(metrics, inputs),
           _worst_scored(metrics, inputs, "vl_image.ita", "Worst-aligned samples (ITA)", "fidelity", "text",
                         "Samples with the lowest CLIP text-image cosine."),
           _worst_scored(metrics, inputs, "vl_image.fidelity_prompt", "Worst prompt fidelity (CLIP-T)", "fidelity",
                         "prompt", "Images least similar to their prompts."),
           _wrong_answers(metrics, inputs), feature_map(inputs, "image")]
    return [f for f in out if f]
