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


def _row_items(records: list[Any], texts: list[str], labels: list[str],
               highlights: list[list[str]] | None = None) -> list[dict]:
    """Thumbnail items of audit rows (records whose image cannot be decoded are left out)."""
    from synthaudit.data.vision import MEDIA_COL, MediaError, decode_image

    out = []
    for n, row in enumerate(records):
        src = row[MEDIA_COL]
        if src is None:
            continue
        try:
            img = decode_image(src)
        except MediaError:
            continue
        out.append({"src": thumbnail(img), "text": texts[n], "label": labels[n],
                    "highlight": (highlights or [[]] * len(records))[n]})
    return out


def _hallucinated(metrics: list[Any], inputs: "AuditInputs") -> dict | None:
    from synthaudit.data.vision import find_records

    m = _metric(metrics, "vl_image.chair")
    if m is None or not getattr(m, "breakdown", None):
        return None
    wanted = list(dict.fromkeys(str(b.get("id")) for b in m.breakdown))
    found = find_records(inputs, lambda b, o: b["id"].astype(str).isin(wanted).to_numpy(), len(wanted))
    where = {}
    for _, row in found:
        where.setdefault(str(row["id"]), row)
    worst = [b for b in m.breakdown if str(b.get("id")) in where][:GRID]
    if not worst:
        return None
    items = _row_items([where[str(b["id"])] for b in worst], [b["caption"] for b in worst],
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
    from synthaudit.data.vision import records_at

    worst = _worst_rows(metrics, mid)[:GRID]
    found = records_at(inputs, [int(w["record"]) for w in worst])
    worst = [w for w in worst if int(w["record"]) in found]
    if not worst:
        return None
    rows = [found[int(w["record"])] for w in worst]
    items = _row_items(rows, [str(r[field] if field in r.index else r["id"]) for r in rows],
                       [f"{w['score']:.3f}" for w in worst])
    if not items:
        return None
    return {"kind": "image_grid", "dimension": dimension, "title": title, "items": items, "caption": caption}


def _wrong_answers(metrics: list[Any], inputs: "AuditInputs") -> dict | None:
    from synthaudit.data.vision import parse_structured, records_at

    wrong = [int(w["record"]) for w in _worst_rows(metrics, "vl_image.acc_qa") if w.get("score") == 0.0]
    found = records_at(inputs, wrong)
    rows = [found[i] for i in wrong if i in found][:GRID]
    if not rows or not {"question", "answer", "prediction"} <= set(rows[0].index):
        return None
    texts = [f"Q: {r['question']} gold: {parse_structured(r['answer'])} said: {r['prediction']}" for r in rows]
    items = _row_items(rows, texts, [f"id {r['id']}" for r in rows])
    if not items:
        return None
    return {"kind": "image_grid", "dimension": "utility", "title": "Wrongly answered questions", "items": items,
            "caption": "Records whose prediction differs from the gold answer (after normalisation)."}


def _features_of(inputs: "AuditInputs", role: str, index: dict[str, np.ndarray]) -> list[np.ndarray]:
    """The stored feature rows of a role's media, in record order (each medium once), at most MAP_POINTS."""
    from synthaudit.data.vision import KEY_COL, record_batches

    rows, seen = [], set()
    for batch in record_batches(inputs, role):
        for key in batch[KEY_COL].tolist():
            if key in index and key not in seen:
                seen.add(key)
                rows.append(index[key])
                if len(rows) == MAP_POINTS:
                    return rows
    return rows


def feature_map(inputs: "AuditInputs", kind: str = "image") -> dict | None:
    """Real vs synthetic features on their first two principal components (from the features the audit computed;
    the records are read back batch by batch)."""
    store = inputs.features._store.get("vision:feature_store") if kind == "image" else \
        inputs.features._store.get("video:rows")
    if not store or "real_reference" not in inputs.tables:
        return None
    if kind == "image":
        index = {k: v for (b, out, k), v in store.items() if out == "f" and v is not None}
    else:
        index = {k: v for (b, what, n, k), v in store.items() if what == "video_features" and v is not None}
    sides = {}
    for role, label in (("real_reference", "real"), ("synthetic", "synthetic")):
        rows = _features_of(inputs, role, index)
        if len(rows) < 3:
            return None
        sides[label] = np.stack(rows).astype(float)
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
