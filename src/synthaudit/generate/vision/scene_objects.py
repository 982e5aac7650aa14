"""Pictograms of COCO categories drawn with Pillow (survey section 6.2.1; ground truth for vl_image.chair,
vl_image.acc_qa): every category is named exactly as in the COCO-80 list, so captions and object lists can be
scored with CHAIR's synonym table.

Each ``draw_*`` function paints inside ``box = (x0, y0, x1, y1)`` (pixel edges, ``x1``/``y1`` exclusive) and never
outside it. Categories with a colour attribute paint their body in exactly ``PALETTE[color]`` as one connected
region (details such as seams never cut it in two); fixed-colour categories (stop sign, clock, ...) use colours
that are not in the palette, so a palette colour in an image always belongs to an attributed object.
"""
from __future__ import annotations

from typing import Callable

from PIL import ImageDraw

RGB = tuple[int, int, int]

#: the 8 named attribute colours (exact RGB painted on the object's body)
#: named colours; no colour name is a COCO category ("orange" would be read by CHAIR as the fruit)
PALETTE: dict[str, RGB] = {
    "red": (220, 40, 40), "green": (40, 170, 70), "blue": (40, 90, 220), "yellow": (245, 215, 40),
    "teal": (30, 140, 140), "purple": (140, 60, 190), "pink": (245, 130, 190), "brown": (130, 80, 40),
}

DARK: RGB = (28, 28, 32)
LIGHT: RGB = (252, 252, 248)
STOP_RED: RGB = (196, 18, 48)


def _inner(box: tuple[int, int, int, int]) -> tuple[int, int, int, int, float, float]:
    x0, y0, x1, y1 = box
    return x0, y0, x1 - 1, y1 - 1, x1 - x0, y1 - y0


def _shade(color: RGB, f: float) -> RGB:
    return tuple(int(round(c * f)) for c in color)  # type: ignore[return-value]


def draw_sports_ball(d: ImageDraw.ImageDraw, box: tuple[int, int, int, int], color: RGB | None) -> None:
    """A disc with two open seam arcs (the arcs do not reach the rim)."""
    x0, y0, X1, Y1, w, h = _inner(box)
    d.ellipse([x0, y0, X1, Y1], fill=color)
    d.arc([x0 + 0.22 * w, y0 + 0.22 * h, X1 - 0.22 * w, Y1 - 0.22 * h], 200, 340, fill=DARK)
    d.arc([x0 + 0.22 * w, y0 + 0.22 * h, X1 - 0.22 * w, Y1 - 0.22 * h], 20, 160, fill=DARK)


def draw_donut(d: ImageDraw.ImageDraw, box: tuple[int, int, int, int], color: RGB | None) -> None:
    """A ring (the hole shows the background)."""
    x0, y0, X1, Y1, w, h = _inner(box)
    d.ellipse([x0, y0, X1, Y1], outline=color, width=max(2, int(round(min(w, h) / 3))))


def _octagon(x0: float, y0: float, X1: float, Y1: float) -> list[tuple[float, float]]:
    w, h = X1 - x0, Y1 - y0
    a, b = 0.29 * w, 0.29 * h
    return [(x0 + a, y0), (X1 - a, y0), (X1, y0 + b), (X1, Y1 - b), (X1 - a, Y1), (x0 + a, Y1), (x0, Y1 - b),
            (x0, y0 + b)]


def draw_stop_sign(d: ImageDraw.ImageDraw, box: tuple[int, int, int, int], color: RGB | None) -> None:
    """A red octagon with a white bar (the lettering) that does not reach its edges."""
    x0, y0, X1, Y1, w, h = _inner(box)
    d.polygon(_octagon(x0, y0, X1, Y1), fill=STOP_RED)
    d.rectangle([x0 + 0.2 * w, y0 + 0.42 * h, X1 - 0.2 * w, Y1 - 0.42 * h], fill=LIGHT)


def draw_kite(d: ImageDraw.ImageDraw, box: tuple[int, int, int, int], color: RGB | None) -> None:
    """A diamond in the top three quarters and a dark tail with two bows below it."""
    x0, y0, X1, Y1, w, h = _inner(box)
    cx, bottom = (x0 + X1) / 2, y0 + 0.72 * h
    d.polygon([(cx, y0), (X1, y0 + 0.28 * h), (cx, bottom), (x0, y0 + 0.28 * h)], fill=color)
    d.line([(cx, bottom), (cx - 0.15 * w, y0 + 0.86 * h), (cx, Y1)], fill=DARK, width=1)
    for t in (0.82, 0.94):
        y = y0 + t * h
        d.line([(cx - 0.22 * w, y - 1), (cx + 0.05 * w, y + 1)], fill=DARK, width=1)


def draw_clock(d: ImageDraw.ImageDraw, box: tuple[int, int, int, int], color: RGB | None) -> None:
    """A white face with a dark rim and two hands."""
    x0, y0, X1, Y1, w, h = _inner(box)
    d.ellipse([x0, y0, X1, Y1], fill=(244, 242, 232), outline=DARK, width=max(1, int(min(w, h) // 12)))
    cx, cy = (x0 + X1) / 2, (y0 + Y1) / 2
    d.line([(cx, cy), (cx, y0 + 0.2 * h)], fill=DARK, width=1)
    d.line([(cx, cy), (cx + 0.25 * w, cy + 0.08 * h)], fill=DARK, width=1)


def draw_traffic_light(d: ImageDraw.ImageDraw, box: tuple[int, int, int, int], color: RGB | None) -> None:
    """A dark housing with red, amber and green lamps."""
    x0, y0, X1, Y1, w, h = _inner(box)
    d.rectangle([x0, y0, X1, Y1], fill=(52, 52, 48))
    r = min(0.32 * w, 0.13 * h)
    cx = (x0 + X1) / 2
    for t, lamp in ((0.2, (255, 32, 32)), (0.5, (255, 196, 0)), (0.8, (0, 208, 96))):
        cy = y0 + t * h
        d.ellipse([cx - r, cy - r, cx + r, cy + r], fill=lamp)


def draw_umbrella(d: ImageDraw.ImageDraw, box: tuple[int, int, int, int], color: RGB | None) -> None:
    """A half-disc canopy over a dark handle ending in a hook."""
    x0, y0, X1, Y1, w, h = _inner(box)
    ch = 0.55 * h
    d.pieslice([x0, y0, X1, y0 + 2 * ch], 180, 360, fill=color)
    cx = (x0 + X1) / 2
    d.line([(cx, y0 + ch), (cx, Y1 - 0.08 * h)], fill=DARK, width=1)
    d.arc([cx - 0.16 * w, Y1 - 0.16 * h, cx, Y1], 0, 180, fill=DARK)


def draw_tv(d: ImageDraw.ImageDraw, box: tuple[int, int, int, int], color: RGB | None) -> None:
    """A dark frame around a screen, on a short stand."""
    x0, y0, X1, Y1, w, h = _inner(box)
    sy = y0 + 0.8 * h
    d.rectangle([x0, y0, X1, sy], fill=(45, 45, 52))
    d.rectangle([x0 + 0.1 * w, y0 + 0.1 * h, X1 - 0.1 * w, sy - 0.1 * h], fill=(72, 118, 150))
    cx = (x0 + X1) / 2
    d.rectangle([cx - 0.08 * w, sy, cx + 0.08 * w, Y1], fill=(45, 45, 52))
    d.rectangle([cx - 0.25 * w, Y1 - max(1, 0.06 * h), cx + 0.25 * w, Y1], fill=(45, 45, 52))


def draw_book(d: ImageDraw.ImageDraw, box: tuple[int, int, int, int], color: RGB | None) -> None:
    """A cover in the attribute colour with a darker spine on the left and page edges on the right."""
    x0, y0, X1, Y1, w, h = _inner(box)
    d.rectangle([x0, y0, X1, Y1], fill=color)
    d.rectangle([x0, y0, x0 + max(1, 0.14 * w), Y1], fill=_shade(color or DARK, 0.55))
    d.rectangle([X1 - max(1, 0.08 * w), y0 + 0.08 * h, X1, Y1 - 0.08 * h], fill=LIGHT)


def draw_pizza(d: ImageDraw.ImageDraw, box: tuple[int, int, int, int], color: RGB | None) -> None:
    """A wedge pointing down: crust band, cheese and pepperoni."""
    x0, y0, X1, Y1, w, h = _inner(box)
    d.polygon([(x0, y0), (X1, y0), ((x0 + X1) / 2, Y1)], fill=(250, 212, 96))
    d.rectangle([x0, y0, X1, y0 + max(1, 0.14 * h)], fill=(214, 160, 84))
    r = max(1.0, 0.08 * w)
    for px, py in ((0.38, 0.35), (0.6, 0.4), (0.5, 0.62)):
        cx, cy = x0 + px * w, y0 + py * h
        d.ellipse([cx - r, cy - r, cx + r, cy + r], fill=(168, 42, 30))


def draw_cake(d: ImageDraw.ImageDraw, box: tuple[int, int, int, int], color: RGB | None) -> None:
    """A sponge with a frosting top and a candle."""
    x0, y0, X1, Y1, w, h = _inner(box)
    top = y0 + 0.3 * h
    d.rectangle([x0, top, X1, Y1], fill=(238, 222, 196))
    d.rectangle([x0, top, X1, top + 0.2 * h], fill=(252, 184, 206))
    cx = (x0 + X1) / 2
    d.rectangle([cx - max(0.5, 0.04 * w), y0 + 0.1 * h, cx + max(0.5, 0.04 * w), top], fill=(120, 170, 230))
    d.ellipse([cx - 0.06 * w, y0, cx + 0.06 * w, y0 + 0.1 * h], fill=(255, 170, 0))


def draw_cup(d: ImageDraw.ImageDraw, box: tuple[int, int, int, int], color: RGB | None) -> None:
    """A body and a ring handle on its right, both in the attribute colour (one connected region)."""
    x0, y0, X1, Y1, w, h = _inner(box)
    bx = x0 + 0.72 * w
    d.rectangle([x0, y0 + 0.1 * h, bx, Y1], fill=color)
    d.ellipse([bx - 0.1 * w, y0 + 0.3 * h, X1, y0 + 0.75 * h], outline=color, width=max(1, int(w // 10)))


def draw_frisbee(d: ImageDraw.ImageDraw, box: tuple[int, int, int, int], color: RGB | None) -> None:
    """A flat ellipse with an open highlight arc."""
    x0, y0, X1, Y1, w, h = _inner(box)
    d.ellipse([x0, y0, X1, Y1], fill=color)
    d.arc([x0 + 0.18 * w, y0 + 0.22 * h, X1 - 0.18 * w, Y1 - 0.22 * h], 200, 330, fill=LIGHT)


def draw_bottle(d: ImageDraw.ImageDraw, box: tuple[int, int, int, int], color: RGB | None) -> None:
    """A body and a neck in the attribute colour with a dark cap."""
    x0, y0, X1, Y1, w, h = _inner(box)
    cx = (x0 + X1) / 2
    d.rectangle([x0, y0 + 0.38 * h, X1, Y1], fill=color)
    d.rectangle([cx - 0.22 * w, y0 + 0.1 * h, cx + 0.22 * w, y0 + 0.4 * h], fill=color)
    d.rectangle([cx - 0.22 * w, y0, cx + 0.22 * w, y0 + 0.1 * h], fill=DARK)


#: category -> (drawing function, width / height, has a colour attribute)
CATEGORIES: dict[str, tuple[Callable[..., None], float, bool]] = {
    "sports ball": (draw_sports_ball, 1.0, True),
    "donut": (draw_donut, 1.0, True),
    "stop sign": (draw_stop_sign, 1.0, False),
    "kite": (draw_kite, 0.7, True),
    "clock": (draw_clock, 1.0, False),
    "traffic light": (draw_traffic_light, 0.45, False),
    "umbrella": (draw_umbrella, 1.0, True),
    "tv": (draw_tv, 1.25, False),
    "book": (draw_book, 0.75, True),
    "pizza": (draw_pizza, 1.0, False),
    "cake": (draw_cake, 1.1, False),
    "cup": (draw_cup, 0.9, True),
    "frisbee": (draw_frisbee, 1.5, True),
    "bottle": (draw_bottle, 0.4, True),
}

#: plural forms used in questions and captions
PLURALS: dict[str, str] = {c: c + "s" for c in CATEGORIES} | {"sports ball": "sports balls", "tv": "tvs"}

#: COCO-80 names not drawn here, used to inject hallucinated mentions
OTHER_COCO = ("dog", "cat", "person", "car", "chair", "bird", "banana", "laptop")


def draw_object(d: ImageDraw.ImageDraw, category: str, box: tuple[int, int, int, int], color: str | None) -> None:
    """Draw one object of ``category`` in ``box`` with the named attribute ``color`` (None for fixed colours)."""
    if category not in CATEGORIES:
        raise ValueError(f"unknown category {category!r}; expected one of {', '.join(CATEGORIES)}")
    fn, _, colored = CATEGORIES[category]
    if colored and color not in PALETTE:
        raise ValueError(f"{category} needs a colour in {', '.join(PALETTE)}, got {color!r}")
    fn(d, box, PALETTE[color] if colored else None)
