"""Programmatic image-question-answer scenes (survey section 6.2.1, Task-Me-Anything / AutoBench-V style; test bed
for vl_image.acc_qa, vl_image.chair, vl_image.fid, vl_image.ssim/psnr and the caption metrics).

A :class:`SceneSpec` lists COCO-category pictograms (category, colour, size, box) on a background; ``render``
draws it with Pillow, and every question, answer and caption is derived from the spec, so it is right by
construction. ``render`` is a pure function of the spec (texture, distractors and pixel noise carry their seed in
the spec). :class:`Difficulty` sets the number of objects, distractor shapes, the allowed occlusion, background
clutter, image size and pixel noise; ``DIFFICULTIES`` holds the ``easy``/``medium``/``hard`` presets.

``write_scene_dataset`` writes one record per image (one question per image, picked with the seed: first a
question type among those the scene supports, then a question of that type) and one of four variants:

- ``clean``: the caption is correct and ``prediction`` equals the gold answer.
- ``hallucinated``: every caption also mentions 1-2 COCO objects that are not in the image (``objects`` stays the
  truth, so CHAIR_s = 1 and CHAIR_i > 0); ``prediction`` is wrong on ``round(WRONG_SHARE * n)`` records.
- ``blurred``: images Gaussian-blurred (radius ``BLUR_RADIUS``) and JPEG-compressed at quality ``JPEG_QUALITY``
  (decoded again and stored as PNG); text and answers as ``clean``.
- ``collapsed``: only ``COLLAPSED_LAYOUTS`` scenes, repeated cyclically (identical images and captions).
"""
from __future__ import annotations

import io
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from synthaudit.generate.vision.scene_objects import CATEGORIES, OTHER_COCO, PALETTE, PLURALS, draw_object

#: plain background colours (none is a palette colour)
BACKGROUNDS: dict[str, tuple[int, int, int]] = {"gray": (150, 150, 150), "white": (236, 236, 232),
                                               "beige": (222, 212, 186)}
SIZES = {"small": 0.16, "large": 0.26}  # long side as a share of the image width
VARIANTS = ("clean", "hallucinated", "blurred", "collapsed")
WRONG_SHARE = 0.4
BLUR_RADIUS = 1.5
JPEG_QUALITY = 20
COLLAPSED_LAYOUTS = 3
NUMBER_WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]
QUESTION_TYPES = ("count", "color", "existence", "spatial")


@dataclass(frozen=True)
class Difficulty:
    """Scene difficulty: ``n_objects`` (inclusive range), up to ``distractors`` non-COCO clutter shapes,
    ``occlusion`` = largest share of an object's box that earlier boxes may cover (0 = no overlap, 1 px gap),
    ``backgrounds`` = allowed kinds (plain, gradient, noise), ``image_size`` (square, px), ``noise`` = standard
    deviation of Gaussian pixel noise (0-255 scale)."""

    name: str = "custom"
    n_objects: tuple[int, int] = (1, 3)
    distractors: int = 0
    occlusion: float = 0.0
    backgrounds: tuple[str, ...] = ("plain",)
    image_size: int = 128
    noise: float = 0.0

    def __post_init__(self) -> None:
        lo, hi = self.n_objects
        if not (1 <= lo <= hi <= 12):
            raise ValueError(f"n_objects must be a range 1 <= lo <= hi <= 12, got {self.n_objects}")
        if not 0.0 <= self.occlusion < 1.0:
            raise ValueError(f"occlusion must be in [0, 1), got {self.occlusion}")
        if self.distractors < 0 or not np.isfinite(self.noise) or self.noise < 0:
            raise ValueError("distractors and noise must be non-negative numbers")
        if not self.backgrounds or set(self.backgrounds) - {"plain", "gradient", "noise"}:
            raise ValueError(f"backgrounds must be a non-empty subset of plain, gradient, noise: {self.backgrounds}")
        if not 32 <= self.image_size <= 1024:
            raise ValueError(f"image_size must be in [32, 1024], got {self.image_size}")


DIFFICULTIES: dict[str, Difficulty] = {
    "easy": Difficulty("easy", (1, 3), 0, 0.0, ("plain",), 128, 0.0),
    "medium": Difficulty("medium", (3, 5), 2, 0.1, ("plain", "gradient"), 128, 4.0),
    "hard": Difficulty("hard", (5, 8), 6, 0.3, ("gradient", "noise"), 128, 10.0),
}


@dataclass
class SceneSpec:
    """A scene: ``objects`` = [{category, color, size, x, y, w, h}] (box = pixels x..x+w-1, y..y+h-1, drawn in list
    order), ``background`` = {"kind": plain|gradient|noise, ...}, image ``width``/``height``, ``distractors``
    (clutter polylines), pixel ``noise`` and the ``seed`` of the texture and noise."""

    objects: list[dict[str, Any]]
    background: dict[str, Any] = field(default_factory=lambda: {"kind": "plain", "color": "gray"})
    width: int = 128
    height: int = 128
    distractors: list[dict[str, Any]] = field(default_factory=list)
    noise: float = 0.0
    seed: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "SceneSpec":
        return cls(**{k: data[k] for k in ("objects", "background", "width", "height", "distractors", "noise", "seed")
                      if k in data})


def _difficulty(difficulty: Difficulty | str) -> Difficulty:
    if isinstance(difficulty, Difficulty):
        return difficulty
    if difficulty in DIFFICULTIES:
        return DIFFICULTIES[difficulty]
    raise ValueError(f"unknown difficulty {difficulty!r}; expected a Difficulty or one of {', '.join(DIFFICULTIES)}")


def _overlap(a: tuple[int, int, int, int], b: tuple[int, int, int, int], gap: int = 0) -> int:
    """Intersection area of boxes (x, y, w, h), each grown by ``gap`` pixels."""
    ix = min(a[0] + a[2] + gap, b[0] + b[2] + gap) - max(a[0] - gap, b[0] - gap)
    iy = min(a[1] + a[3] + gap, b[1] + b[3] + gap) - max(a[1] - gap, b[1] - gap)
    return max(ix, 0) * max(iy, 0)


def sample_scene(rng: np.random.Generator, difficulty: Difficulty | str = "easy") -> SceneSpec:
    """A random scene at ``difficulty``. Objects that cannot be placed within the occlusion limit (200 tries)
    are dropped, so a crowded scene can hold fewer than the sampled number (never fewer than one)."""
    diff = _difficulty(difficulty)
    size = diff.image_size
    n = int(rng.integers(diff.n_objects[0], diff.n_objects[1] + 1))
    names = list(CATEGORIES)
    k = min(len(names), max(1, (n + 1) // 2 + int(rng.integers(0, 2))))
    pool = [names[i] for i in rng.choice(len(names), size=k, replace=False)]
    colors = list(PALETTE)
    objects: list[dict[str, Any]] = []
    for _ in range(n):
        cat = pool[int(rng.integers(len(pool)))]
        _, aspect, colored = CATEGORIES[cat]
        sz = "small" if rng.random() < 0.5 else "large"
        long = max(8, int(round(SIZES[sz] * size)))
        w, h = (long, max(4, int(round(long / aspect)))) if aspect >= 1 else (max(4, int(round(long * aspect))), long)
        for _try in range(200):
            x, y = int(rng.integers(1, size - w)), int(rng.integers(1, size - h))
            box = (x, y, w, h)
            if diff.occlusion == 0:
                ok = all(_overlap(box, (o["x"], o["y"], o["w"], o["h"]), gap=1) == 0 for o in objects)
            else:
                ok = all(_overlap(box, (o["x"], o["y"], o["w"], o["h"])) <= diff.occlusion * min(w * h, o["w"] * o["h"])
                         for o in objects)
            if ok:
                color = colors[int(rng.integers(len(colors)))] if colored else None
                objects.append({"category": cat, "color": color, "size": sz, "x": x, "y": y, "w": w, "h": h})
                break
    kind = diff.backgrounds[int(rng.integers(len(diff.backgrounds)))]
    bg_names = list(BACKGROUNDS)
    if kind == "plain":
        background: dict[str, Any] = {"kind": "plain", "color": bg_names[int(rng.integers(len(bg_names)))]}
    elif kind == "gradient":
        a, b = rng.choice(len(bg_names), size=2, replace=False)
        background = {"kind": "gradient", "colors": [bg_names[int(a)], bg_names[int(b)]]}
    else:
        background = {"kind": "noise", "scale": int(rng.integers(4, 9))}
    distractors = []
    for _ in range(int(rng.integers(0, diff.distractors + 1)) if diff.distractors else 0):
        pts = rng.integers(0, size, size=(int(rng.integers(2, 5)), 2)).tolist()
        distractors.append({"points": pts, "color": rng.integers(60, 200, size=3).tolist(), "width": 1})
    return SceneSpec(objects, background, size, size, distractors, float(diff.noise), int(rng.integers(2**31)))


def _background(spec: SceneSpec) -> np.ndarray:
    bg = spec.background
    h, w = spec.height, spec.width
    kind = bg.get("kind")
    if kind == "plain":
        if bg.get("color") not in BACKGROUNDS:
            raise ValueError(f"plain background colour must be one of {', '.join(BACKGROUNDS)}, "
                             f"got {bg.get('color')!r}")
        return np.broadcast_to(np.array(BACKGROUNDS[bg["color"]], dtype=np.uint8), (h, w, 3)).copy()
    if kind == "gradient":
        a, b = (np.array(BACKGROUNDS[c], dtype=np.float64) for c in bg["colors"])
        t = np.linspace(0.0, 1.0, h)[:, None, None]
        return np.broadcast_to(np.rint(a * (1 - t) + b * t), (h, w, 3)).astype(np.uint8)
    if kind == "noise":
        rng = np.random.default_rng(spec.seed)
        scale = int(bg.get("scale", 6))
        small = rng.integers(90, 200, size=(max(2, h // scale), max(2, w // scale), 3)).astype(np.uint8)
        return np.asarray(Image.fromarray(small).resize((w, h), Image.Resampling.BILINEAR))
    raise ValueError(f"background kind must be plain, gradient or noise, got {kind!r}")


def render(spec: SceneSpec) -> Image.Image:
    """The RGB image of ``spec``: background, distractor polylines, objects in list order, then pixel noise."""
    if not (isinstance(spec.width, int) and isinstance(spec.height, int)) or spec.width < 8 or spec.height < 8:
        raise ValueError(f"scene width and height must be integers >= 8, got {spec.width}x{spec.height}")
    img = Image.fromarray(_background(spec), "RGB")
    d = ImageDraw.Draw(img)
    for dis in spec.distractors:
        d.line([tuple(p) for p in dis["points"]], fill=tuple(dis["color"]), width=int(dis.get("width", 1)))
    for o in spec.objects:
        draw_object(d, o["category"], (o["x"], o["y"], o["x"] + o["w"], o["y"] + o["h"]), o.get("color"))
    if spec.noise > 0:
        arr = np.asarray(img, dtype=np.float64)
        arr = arr + np.random.default_rng(spec.seed + 1).normal(0.0, spec.noise, arr.shape)
        img = Image.fromarray(np.clip(np.rint(arr), 0, 255).astype(np.uint8), "RGB")
    return img


def _counts(spec: SceneSpec) -> dict[str, int]:
    out: dict[str, int] = {}
    for o in spec.objects:
        out[o["category"]] = out.get(o["category"], 0) + 1
    return out


def _unique(spec: SceneSpec) -> dict[str, dict[str, Any]]:
    counts = _counts(spec)
    return {o["category"]: o for o in spec.objects if counts[o["category"]] == 1}


def _article(word: str) -> str:
    return "an" if word[0] in "aeiou" else "a"


def questions(spec: SceneSpec, rng: np.random.Generator) -> list[dict[str, str]]:
    """Every question the spec answers: count (present categories and one absent one, answer "0"), color (only
    for a category with one instance and a colour attribute), existence (every present category plus up to as
    many absent ones), spatial yes/no ("left of", "above": only for single-instance categories whose boxes do not
    overlap on that axis) and "What is above / to the left of the X?" (only when every box entirely on that side
    and overlapping X on the other axis has the same category). ``rng`` picks absent categories and pair order."""
    counts = _counts(spec)
    absent = [c for c in CATEGORIES if c not in counts]
    rng_absent = [absent[i] for i in rng.permutation(len(absent))]
    out: list[dict[str, str]] = []
    for cat, k in counts.items():
        out.append({"question": f"How many {PLURALS[cat]} are there?", "answer": str(k), "type": "count"})
    if rng_absent:
        out.append({"question": f"How many {PLURALS[rng_absent[0]]} are there?", "answer": "0", "type": "count"})
    unique = _unique(spec)
    for cat, o in unique.items():
        if o.get("color"):
            out.append({"question": f"What color is the {cat}?", "answer": o["color"], "type": "color"})
    for cat in counts:
        out.append({"question": f"Is there {_article(cat)} {cat}?", "answer": "yes", "type": "existence"})
    for cat in rng_absent[: max(1, len(counts))]:
        out.append({"question": f"Is there {_article(cat)} {cat}?", "answer": "no", "type": "existence"})
    cats = list(unique)
    for i, a in enumerate(cats):
        for b in cats[i + 1:]:
            p, q = (a, b) if rng.random() < 0.5 else (b, a)
            op, oq = unique[p], unique[q]
            if op["x"] + op["w"] <= oq["x"] or oq["x"] + oq["w"] <= op["x"]:
                ans = "yes" if op["x"] + op["w"] <= oq["x"] else "no"
                out.append({"question": f"Is the {p} to the left of the {q}?", "answer": ans, "type": "spatial"})
            if op["y"] + op["h"] <= oq["y"] or oq["y"] + oq["h"] <= op["y"]:
                ans = "yes" if op["y"] + op["h"] <= oq["y"] else "no"
                out.append({"question": f"Is the {p} above the {q}?", "answer": ans, "type": "spatial"})
    for cat, r in unique.items():
        above = {o["category"] for o in spec.objects if o is not r and o["y"] + o["h"] <= r["y"]
                 and o["x"] < r["x"] + r["w"] and r["x"] < o["x"] + o["w"]}
        if len(above) == 1:
            out.append({"question": f"What is above the {cat}?", "answer": above.pop(), "type": "spatial"})
        left = {o["category"] for o in spec.objects if o is not r and o["x"] + o["w"] <= r["x"]
                and o["y"] < r["y"] + r["h"] and r["y"] < o["y"] + o["h"]}
        if len(left) == 1:
            out.append({"question": f"What is to the left of the {cat}?", "answer": left.pop(), "type": "spatial"})
    return out


def _groups(spec: SceneSpec) -> list[str]:
    groups: dict[tuple[str, str | None], int] = {}
    for o in spec.objects:
        key = (o["category"], o.get("color"))
        groups[key] = groups.get(key, 0) + 1
    phrases = []
    for (cat, color), k in groups.items():
        head = f"{color} " if color else ""
        if k == 1:
            phrases.append(f"{_article(head + cat)} {head}{cat}")
        else:
            phrases.append(f"{NUMBER_WORDS[k] if k < len(NUMBER_WORDS) else k} {head}{PLURALS[cat]}")
    return phrases


def _join(phrases: list[str]) -> str:
    return phrases[0] if len(phrases) == 1 else ", ".join(phrases[:-1]) + " and " + phrases[-1]


def _bg_phrase(spec: SceneSpec) -> str:
    kind = spec.background.get("kind")
    if kind == "plain":
        return f"on a {spec.background['color']} background"
    return "on a gradient background" if kind == "gradient" else "on a textured background"


def caption(spec: SceneSpec, extra: list[str] | tuple[str, ...] = ()) -> str:
    """A correct caption, e.g. "Two donuts, a red kite and a clock on a gray background." (objects grouped by
    category and colour in drawing order; ``extra`` appends further object mentions, used for hallucinations)."""
    phrases = _groups(spec) + [f"{_article(e)} {e}" for e in extra]
    if not phrases:
        return f"An empty scene {_bg_phrase(spec)}."
    text = _join(phrases)
    return text[0].upper() + text[1:] + f" {_bg_phrase(spec)}."


def prompt(spec: SceneSpec) -> str:
    """The spec as a short text-to-image prompt, e.g. "Draw two donuts and a red kite on a gray background"."""
    return f"Draw {_join(_groups(spec)) if spec.objects else 'nothing'} {_bg_phrase(spec)}"


def objects(spec: SceneSpec) -> list[str]:
    """The COCO category names present, in first-appearance order."""
    return list(_counts(spec))


def _wrong(qa: dict[str, str], rng: np.random.Generator) -> str:
    ans, kind = qa["answer"], qa["type"]
    if ans in ("yes", "no"):
        return "no" if ans == "yes" else "yes"
    if kind == "count":
        return str(int(ans) + 1 if int(ans) == 0 or rng.random() < 0.5 else int(ans) - 1)
    pool = [c for c in (PALETTE if kind == "color" else CATEGORIES) if c != ans]
    return pool[int(rng.integers(len(pool)))]


def _pick(qs: list[dict[str, str]], rng: np.random.Generator) -> dict[str, str]:
    kinds = [t for t in QUESTION_TYPES if any(q["type"] == t for q in qs)]
    kind = kinds[int(rng.integers(len(kinds)))]
    of_kind = [q for q in qs if q["type"] == kind]
    return of_kind[int(rng.integers(len(of_kind)))]


def write_scene_dataset(out_dir: str | Path, n: int, seed: int = 0, difficulty: Difficulty | str = "easy",
                        variant: str = "clean") -> Path:
    """Write ``n`` scenes as ``out_dir/images/scene-XXXXX.png`` and ``out_dir/manifest.jsonl`` (one record per
    image: id, image, text, objects, question, answer, question_type, prediction, prompt, spec, difficulty,
    variant); returns the manifest path. Same arguments -> identical bytes; the clean, hallucinated and blurred
    variants of one seed hold the same scenes and questions."""
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 0:
        raise ValueError(f"n must be a non-negative integer, got {n!r}")
    if variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r}; expected one of {', '.join(VARIANTS)}")
    diff = _difficulty(difficulty)
    rng = np.random.default_rng(seed)  # scenes and questions: the same in the clean, hallucinated, blurred runs
    flaw = np.random.default_rng([seed, 1])  # the flaws draw from their own stream
    out = Path(out_dir)
    (out / "images").mkdir(parents=True, exist_ok=True)
    layouts = [sample_scene(rng, diff) for _ in range(min(n, COLLAPSED_LAYOUTS))] if variant == "collapsed" else []
    wrong = set(flaw.choice(n, size=int(round(WRONG_SHARE * n)), replace=False).tolist()) \
        if variant == "hallucinated" and n else set()
    lines = []
    for i in range(int(n)):
        spec = layouts[i % len(layouts)] if layouts else sample_scene(rng, diff)
        qa = _pick(questions(spec, rng), rng)
        present = objects(spec)
        extra: list[str] = []
        if variant == "hallucinated":
            pool = [c for c in (*CATEGORIES, *OTHER_COCO) if c not in present]
            extra = [pool[j] for j in flaw.choice(len(pool), size=int(flaw.integers(1, 3)), replace=False)]
        img = render(spec)
        if variant == "blurred":
            buf = io.BytesIO()
            img.filter(ImageFilter.GaussianBlur(BLUR_RADIUS)).save(buf, format="JPEG", quality=JPEG_QUALITY)
            img = Image.open(io.BytesIO(buf.getvalue())).convert("RGB")
        rid = f"scene-{i:05d}"
        img.save(out / "images" / f"{rid}.png", format="PNG")
        pred = _wrong(qa, flaw) if i in wrong else qa["answer"]
        lines.append(json.dumps({
            "id": rid, "image": f"images/{rid}.png", "text": caption(spec, extra), "objects": present,
            "question": qa["question"], "answer": qa["answer"], "question_type": qa["type"], "prediction": pred,
            "prompt": prompt(spec), "spec": spec.to_dict(), "difficulty": diff.name, "variant": variant,
        }, ensure_ascii=False))
    manifest = out / "manifest.jsonl"
    manifest.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return manifest
