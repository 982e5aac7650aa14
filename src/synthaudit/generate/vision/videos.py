"""Short synthetic videos of moving shapes with known trajectories (survey section 6.2.2; test bed for
vl_video.recall_at_k_iou, vl_video.identity_consistency, vl_video.motion_score, vl_video.fvd, vl_video.cmc).

A :class:`VideoSpec` holds 1-3 shapes (circle, square, triangle; distinct colours) moving ``linear``, ``bounce``
(reflected off the frame edges), ``circular`` or ``static``; a linear shape can enter from one side and leave on
the other. ``render_video`` is a pure function of the spec; ``tracks`` gives the ground-truth box of every object
in every frame where it is visible (``[frame, x0, y0, x1, y1]``, pixel edges, x1/y1 exclusive, clipped to the
frame); ``segments`` gives timed event texts in seconds (frame f covers [f/fps, (f+1)/fps)).

``write_video_dataset`` variants:

- ``clean``: videos as specified; grounding predictions jittered around the truth.
- ``static``: every shape frozen at one position (its place in the middle of its visible interval); text, prompt,
  segments and plan still describe the requested motion, tracks describe the rendered (static) boxes.
- ``flicker``: with probability ``FLICKER_P`` per shape and frame the shape is drawn with another colour and shape
  (same box), so object identity consistency falls; tracks unchanged.
- ``shuffled``: frames written in a random order (``frame_order`` in the spec; tracks follow the written frames).
- ``offset``: grounding predictions moved away from the truth (tIoU 0 when the clip leaves room, else minimal).
"""
from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw

from synthaudit.generate.vision.scene_objects import PALETTE

SHAPES = ("circle", "square", "triangle")
MOTIONS = ("linear", "bounce", "circular", "static")
VARIANTS = ("clean", "static", "flicker", "shuffled", "offset")
BACKGROUND_RGB: dict[str, tuple[int, int, int]] = {"gray": (150, 150, 150), "white": (236, 236, 232),
                                                   "beige": (222, 212, 186)}
FLICKER_P = 0.5
N_PREDICTIONS = 5


@dataclass(frozen=True)
class VideoDifficulty:
    """Clip difficulty: ``n_objects`` range, shape ``size`` range (px), ``n_frames`` range, square ``image_size``,
    ``fps``, ``speed`` range (px per frame), allowed ``motions``, probability ``enter_p`` that one shape enters and
    leaves, allowed ``backgrounds`` (plain, gradient, noise) and pixel ``noise`` (std, 0-255)."""

    name: str = "custom"
    n_objects: tuple[int, int] = (1, 2)
    size: tuple[int, int] = (10, 14)
    n_frames: tuple[int, int] = (16, 16)
    image_size: int = 64
    fps: float = 8.0
    speed: tuple[float, float] = (1.5, 3.0)
    motions: tuple[str, ...] = ("linear",)
    enter_p: float = 0.0
    backgrounds: tuple[str, ...] = ("plain",)
    noise: float = 0.0

    def __post_init__(self) -> None:
        if not 1 <= self.n_objects[0] <= self.n_objects[1] <= len(PALETTE):
            raise ValueError(f"n_objects must be a range within 1..{len(PALETTE)}, got {self.n_objects}")
        if not 2 <= self.n_frames[0] <= self.n_frames[1]:
            raise ValueError(f"n_frames must be a range with at least 2 frames, got {self.n_frames}")
        if not 4 <= self.size[0] <= self.size[1] <= self.image_size // 3:
            raise ValueError(f"size must be a range within 4..image_size/3, got {self.size}")
        if set(self.motions) - set(MOTIONS) or not self.motions:
            raise ValueError(f"motions must be a non-empty subset of {', '.join(MOTIONS)}, got {self.motions}")
        if not (self.fps > 0 and math.isfinite(self.fps)) or self.noise < 0 or not 0 <= self.enter_p <= 1:
            raise ValueError("fps must be positive, noise non-negative and enter_p in [0, 1]")
        if not self.backgrounds or set(self.backgrounds) - {"plain", "gradient", "noise"}:
            raise ValueError(f"backgrounds must be a non-empty subset of plain, gradient, noise: {self.backgrounds}")


VIDEO_DIFFICULTIES: dict[str, VideoDifficulty] = {
    "easy": VideoDifficulty("easy", (1, 2), (10, 14), (16, 16), 64, 8.0, (1.5, 3.0), ("linear",), 0.0, ("plain",)),
    "medium": VideoDifficulty("medium", (1, 3), (10, 14), (24, 24), 64, 8.0, (1.5, 3.5),
                              ("linear", "bounce", "circular"), 0.3, ("plain", "gradient")),
    "hard": VideoDifficulty("hard", (2, 3), (8, 14), (32, 32), 96, 8.0, (2.0, 5.0), ("linear", "bounce", "circular"),
                            0.5, ("gradient", "noise"), 6.0),
}


@dataclass
class VideoSpec:
    """A clip: ``objects`` = [{id, shape, color, size, motion, x, y, vx, vy (linear/bounce: start centre, px per
    frame), cx, cy, radius, omega, phase (circular), enters (bool)}], ``width``/``height``, ``n_frames``, ``fps``,
    ``background``, pixel ``noise``, ``seed`` (texture, noise, flicker), ``flicker`` probability and an optional
    ``frame_order`` (written frame i shows time frame_order[i])."""

    objects: list[dict[str, Any]]
    width: int = 64
    height: int = 64
    n_frames: int = 16
    fps: float = 8.0
    background: dict[str, Any] = field(default_factory=lambda: {"kind": "plain", "color": "gray"})
    noise: float = 0.0
    seed: int = 0
    flicker: float = 0.0
    frame_order: list[int] | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "VideoSpec":
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})


def _difficulty(difficulty: VideoDifficulty | str) -> VideoDifficulty:
    if isinstance(difficulty, VideoDifficulty):
        return difficulty
    if difficulty in VIDEO_DIFFICULTIES:
        return VIDEO_DIFFICULTIES[difficulty]
    raise ValueError(f"unknown video difficulty {difficulty!r}; expected a VideoDifficulty or one of "
                     f"{', '.join(VIDEO_DIFFICULTIES)}")


def sample_video(rng: np.random.Generator, difficulty: VideoDifficulty | str = "easy") -> VideoSpec:
    """A random clip at ``difficulty`` (shapes with distinct colours; at most one entering shape)."""
    diff = _difficulty(difficulty)
    W = H = diff.image_size
    T = int(rng.integers(diff.n_frames[0], diff.n_frames[1] + 1))
    n = int(rng.integers(diff.n_objects[0], diff.n_objects[1] + 1))
    colors = [list(PALETTE)[i] for i in rng.choice(len(PALETTE), size=n, replace=False)]
    enterer = int(rng.integers(n)) if rng.random() < diff.enter_p else -1
    objs = []
    for k in range(n):
        size = int(rng.integers(diff.size[0], diff.size[1] + 1))
        o: dict[str, Any] = {"id": f"o{k}", "shape": SHAPES[int(rng.integers(len(SHAPES)))], "color": colors[k],
                             "size": size, "enters": False}
        half = size / 2
        if k == enterer:
            side = [-1.0, 1.0][int(rng.integers(2))]
            speed = (W + size + 2) / (T - 1) * float(rng.uniform(0.8, 1.2))
            o.update(motion="linear", x=W / 2 - side * (W / 2 + half + 1), y=float(rng.uniform(half + 1, H - half - 1)),
                     vx=side * speed, vy=0.0, enters=True)
        else:
            motion = diff.motions[int(rng.integers(len(diff.motions)))]
            o["motion"] = motion
            if motion == "circular":
                radius = float(rng.uniform(0.15, 0.3) * W)
                o.update(cx=float(rng.uniform(half + radius + 1, W - half - radius - 1)),
                         cy=float(rng.uniform(half + radius + 1, H - half - radius - 1)), radius=radius,
                         omega=float(rng.choice([-1, 1]) * rng.uniform(0.15, 0.35)),
                         phase=float(rng.uniform(0, 2 * np.pi)))
            else:
                speed = float(rng.uniform(*diff.speed)) if motion != "static" else 0.0
                if motion == "linear":  # pick a direction and a start that keeps the shape inside for all T frames
                    ang = [0.0, np.pi, np.pi / 2, -np.pi / 2, np.pi / 4, 3 * np.pi / 4][int(rng.integers(6))]
                    speed = min(speed, (W - size - 2) / (T - 1))
                else:
                    ang = float(rng.uniform(0, 2 * np.pi))
                vx, vy = speed * math.cos(ang), speed * math.sin(ang)
                lo_x, hi_x = half + 1 - min(vx, 0) * (T - 1), W - half - 1 - max(vx, 0) * (T - 1)
                lo_y, hi_y = half + 1 - min(vy, 0) * (T - 1), H - half - 1 - max(vy, 0) * (T - 1)
                if motion != "linear":
                    lo_x, hi_x, lo_y, hi_y = half + 1, W - half - 1, half + 1, H - half - 1
                o.update(x=float(rng.uniform(lo_x, max(lo_x, hi_x))), y=float(rng.uniform(lo_y, max(lo_y, hi_y))),
                         vx=round(vx, 6), vy=round(vy, 6))
        objs.append(o)
    kind = diff.backgrounds[int(rng.integers(len(diff.backgrounds)))]
    names = list(BACKGROUND_RGB)
    if kind == "plain":
        background: dict[str, Any] = {"kind": "plain", "color": names[int(rng.integers(len(names)))]}
    elif kind == "gradient":
        a, b = rng.choice(len(names), size=2, replace=False)
        background = {"kind": "gradient", "colors": [names[int(a)], names[int(b)]]}
    else:
        background = {"kind": "noise", "scale": int(rng.integers(4, 9))}
    return VideoSpec(objs, W, H, T, float(diff.fps), background, float(diff.noise), int(rng.integers(2**31)))


def _fold(p: float, lo: float, hi: float) -> tuple[float, int]:
    """Position of a point bouncing between lo and hi (triangle wave) and the current direction sign."""
    span = hi - lo
    if span <= 0:
        return lo, 1
    u = (p - lo) % (2 * span)
    return (lo + u, 1) if u <= span else (lo + 2 * span - u, -1)


def centre(spec: VideoSpec, obj: dict[str, Any], t: float) -> tuple[float, float]:
    """The centre of ``obj`` at time ``t`` (frames, not seconds)."""
    motion = obj["motion"]
    if motion == "static":
        return float(obj["x"]), float(obj["y"])
    if motion == "circular":
        a = obj["phase"] + obj["omega"] * t
        return obj["cx"] + obj["radius"] * math.cos(a), obj["cy"] + obj["radius"] * math.sin(a)
    x, y = obj["x"] + obj["vx"] * t, obj["y"] + obj["vy"] * t
    if motion == "bounce":
        half = obj["size"] / 2
        x, _ = _fold(x, half, spec.width - half)
        y, _ = _fold(y, half, spec.height - half)
    elif motion != "linear":
        raise ValueError(f"motion must be one of {', '.join(MOTIONS)}, got {motion!r}")
    return x, y


def velocity(spec: VideoSpec, obj: dict[str, Any], t: float) -> tuple[float, float]:
    """The velocity of ``obj`` (px per frame) at time ``t`` (bounce: the sign after the reflections so far)."""
    motion = obj["motion"]
    if motion == "static":
        return 0.0, 0.0
    if motion == "circular":
        a = obj["phase"] + obj["omega"] * t
        r = obj["radius"] * obj["omega"]
        return -r * math.sin(a), r * math.cos(a)
    if motion == "bounce":
        half = obj["size"] / 2
        _, sx = _fold(obj["x"] + obj["vx"] * t, half, spec.width - half)
        _, sy = _fold(obj["y"] + obj["vy"] * t, half, spec.height - half)
        return obj["vx"] * sx, obj["vy"] * sy
    return float(obj["vx"]), float(obj["vy"])


def box_at(spec: VideoSpec, obj: dict[str, Any], t: float) -> tuple[int, int, int, int]:
    """The unclipped integer box (x0, y0, x1, y1) of ``obj`` at time ``t`` (x1/y1 exclusive)."""
    cx, cy = centre(spec, obj, t)
    s = int(obj["size"])
    x0, y0 = int(math.floor(cx - s / 2 + 0.5)), int(math.floor(cy - s / 2 + 0.5))
    return x0, y0, x0 + s, y0 + s


def _order(spec: VideoSpec) -> list[int]:
    order = list(range(spec.n_frames)) if spec.frame_order is None else [int(i) for i in spec.frame_order]
    if sorted(order) != list(range(spec.n_frames)):
        raise ValueError(f"frame_order must be a permutation of 0..{spec.n_frames - 1}")
    return order


def _validate(spec: VideoSpec) -> None:
    if not (isinstance(spec.width, int) and isinstance(spec.height, int)) or spec.width < 8 or spec.height < 8:
        raise ValueError(f"video width and height must be integers >= 8, got {spec.width}x{spec.height}")
    if not isinstance(spec.n_frames, int) or spec.n_frames < 1:
        raise ValueError(f"n_frames must be a positive integer, got {spec.n_frames!r}")
    if not (spec.fps > 0 and math.isfinite(spec.fps)):
        raise ValueError(f"fps must be a positive finite number, got {spec.fps!r}")
    for o in spec.objects:
        if o.get("shape") not in SHAPES or o.get("color") not in PALETTE:
            raise ValueError(f"object {o.get('id')!r}: shape must be one of {', '.join(SHAPES)} and colour one of "
                             f"{', '.join(PALETTE)}")


def _background(spec: VideoSpec) -> np.ndarray:
    from synthaudit.generate.vision.scenes import SceneSpec, _background

    return _background(SceneSpec([], spec.background, spec.width, spec.height, seed=spec.seed))


def _draw(d: ImageDraw.ImageDraw, shape: str, box: tuple[int, int, int, int], rgb: tuple[int, int, int]) -> None:
    x0, y0, x1, y1 = box
    if shape == "circle":
        d.ellipse([x0, y0, x1 - 1, y1 - 1], fill=rgb)
    elif shape == "square":
        d.rectangle([x0, y0, x1 - 1, y1 - 1], fill=rgb)
    else:
        d.polygon([((x0 + x1 - 1) / 2, y0), (x1 - 1, y1 - 1), (x0, y1 - 1)], fill=rgb)


def render_video(spec: VideoSpec) -> np.ndarray:
    """The frames of ``spec`` as a (T, H, W, 3) uint8 array (shapes drawn in list order, later ones on top)."""
    _validate(spec)
    bg = _background(spec)
    rng = np.random.default_rng(spec.seed + 7)
    colors, frames = list(PALETTE), []
    for t in _order(spec):
        img = Image.fromarray(bg.copy(), "RGB")
        d = ImageDraw.Draw(img)
        for o in spec.objects:
            shape, color = o["shape"], o["color"]
            if spec.flicker > 0 and rng.random() < spec.flicker:
                shape = [s for s in SHAPES if s != shape][int(rng.integers(len(SHAPES) - 1))]
                color = [c for c in colors if c != color][int(rng.integers(len(colors) - 1))]
            _draw(d, shape, box_at(spec, o, t), PALETTE[color])
        arr = np.asarray(img)
        if spec.noise > 0:
            noisy = arr + rng.normal(0.0, spec.noise, arr.shape)
            arr = np.clip(np.rint(noisy), 0, 255).astype(np.uint8)
        frames.append(arr)
    return np.stack(frames) if frames else np.zeros((0, spec.height, spec.width, 3), np.uint8)


def _clip(spec: VideoSpec, box: tuple[int, int, int, int]) -> list[int] | None:
    x0, y0, x1, y1 = max(box[0], 0), max(box[1], 0), min(box[2], spec.width), min(box[3], spec.height)
    return [x0, y0, x1, y1] if x0 < x1 and y0 < y1 else None


def tracks(spec: VideoSpec) -> dict[str, list[list[int]]]:
    """Ground-truth boxes per written frame: {object id: [[frame, x0, y0, x1, y1], ...]} (visible frames only)."""
    _validate(spec)
    out: dict[str, list[list[int]]] = {}
    for o in spec.objects:
        rows = []
        for i, t in enumerate(_order(spec)):
            b = _clip(spec, box_at(spec, o, t))
            if b is not None:
                rows.append([i, *b])
        out[o["id"]] = rows
    return out


def _visible(spec: VideoSpec, o: dict[str, Any]) -> tuple[list[int], list[int]]:
    """Frames (time order) where ``o`` is at least partly / fully inside the frame."""
    part, full = [], []
    for t in range(spec.n_frames):
        b = box_at(spec, o, t)
        if _clip(spec, b) is not None:
            part.append(t)
            if b[0] >= 0 and b[1] >= 0 and b[2] <= spec.width and b[3] <= spec.height:
                full.append(t)
    return part, full


def _direction(dx: float, dy: float) -> str:
    h = "right" if dx > 1e-9 else "left" if dx < -1e-9 else ""
    v = "down" if dy > 1e-9 else "up" if dy < -1e-9 else ""
    if h and v and min(abs(dx), abs(dy)) < 0.25 * max(abs(dx), abs(dy)):
        h, v = (h, "") if abs(dx) > abs(dy) else ("", v)
    return " and ".join(x for x in (h, v) if x) or "still"


def _name(o: dict[str, Any]) -> str:
    return f"{o['color']} {o['shape']}"


def _sec(spec: VideoSpec, f0: int, f1: int) -> tuple[float, float]:
    return round(f0 / spec.fps, 6), round((f1 + 1) / spec.fps, 6)


def segments(spec: VideoSpec) -> list[dict[str, Any]]:
    """Timed events (seconds, frame f covers [f/fps, (f+1)/fps)): per shape, each run of frames with one movement
    direction ("the red circle moves right"; circular: "moves in a circle"; static: "stays still"), and for an
    entering shape "enters from the left" / "leaves on the right" over the frames where it is partly inside."""
    _validate(spec)
    out = []
    for o in spec.objects:
        part, full = _visible(spec, o)
        if not part:
            continue
        name = f"the {_name(o)}"
        if o["motion"] == "circular":
            out.append({"start": _sec(spec, part[0], part[-1])[0], "end": _sec(spec, part[0], part[-1])[1],
                        "text": f"{name} moves in a circle"})
        elif o["motion"] == "static" or len(part) == 1:
            s, e = _sec(spec, part[0], part[-1])
            out.append({"start": s, "end": e, "text": f"{name} stays still"})
        else:
            # direction of the step arriving at t (the first frame takes the next step's)
            dirs = [_direction(*velocity(spec, o, t - 0.5 if t > part[0] else t + 0.5)) for t in part]
            start = 0
            for i in range(1, len(part) + 1):
                if i == len(part) or dirs[i] != dirs[start]:
                    s, e = _sec(spec, part[start], part[i - 1])
                    out.append({"start": s, "end": e, "text": f"{name} moves {dirs[start]}"})
                    start = i
        if o.get("enters"):
            side_in = "left" if o["vx"] > 0 else "right"
            side_out = "right" if o["vx"] > 0 else "left"
            if part[0] > 0 or (full and full[0] > part[0]):
                end = (full[0] - 1) if full else part[-1]
                s, e = _sec(spec, part[0], max(part[0], end))
                out.append({"start": s, "end": e, "text": f"{name} enters from the {side_in}"})
            if full and full[-1] < part[-1]:
                s, e = _sec(spec, full[-1] + 1, part[-1])
                out.append({"start": s, "end": e, "text": f"{name} leaves on the {side_out}"})
    return out


def _motion_phrase(spec: VideoSpec, o: dict[str, Any]) -> str:
    motion = o["motion"]
    if motion == "static":
        return "stays still"
    if motion == "circular":
        return "moves in a circle"
    if motion == "bounce":
        return "bounces around"
    if o.get("enters"):
        part, full = _visible(spec, o)
        a, b = ("left", "right") if o["vx"] > 0 else ("right", "left")
        leaves = bool(full) and full[-1] < part[-1]
        return f"enters from the {a}" + (f" and leaves on the {b}" if leaves else "")
    dx, dy = o["vx"], o["vy"]
    names = {"right": ("left", "right"), "left": ("right", "left"), "down": ("top", "bottom"),
             "up": ("bottom", "top")}
    d = _direction(dx, dy)
    if d in names:
        return "moves from {} to {}".format(*names[d]) if d in ("right", "left") else \
            "moves from the {} to the {}".format(*names[d])
    return f"moves {d}" if d != "still" else "stays still"


def caption(spec: VideoSpec) -> str:
    """e.g. "A red circle moves from left to right while a blue square bounces around."."""
    _validate(spec)
    if not spec.objects:
        return "An empty scene."
    parts = [f"{'an' if o['color'][0] in 'aeiou' else 'a'} {_name(o)} {_motion_phrase(spec, o)}"
             for o in spec.objects]
    text = parts[0] + (" while " + (parts[1] if len(parts) == 2 else ", ".join(parts[1:-1]) + " and " + parts[-1])
                       if len(parts) > 1 else "")
    return text[0].upper() + text[1:] + "."


def prompt(spec: VideoSpec) -> str:
    """The spec as a text-to-video prompt."""
    return "Animate: " + caption(spec)


def plan(spec: VideoSpec) -> dict[str, Any]:
    """{"objects": [{shape, color}], "count": n, "order": ["red circle", ...] by first visible frame}."""
    _validate(spec)
    first = {}
    for k, o in enumerate(spec.objects):
        part, _ = _visible(spec, o)
        first[k] = part[0] if part else spec.n_frames
    order = sorted(range(len(spec.objects)), key=lambda k: (first[k], k))
    return {"objects": [{"shape": o["shape"], "color": o["color"]} for o in spec.objects],
            "count": len(spec.objects), "order": [_name(spec.objects[k]) for k in order]}


def write_frames(folder: str | Path, frames: np.ndarray) -> Path:
    """Write frames as ``folder/000000.png``, ``000001.png``, ...; returns the folder."""
    arr = _frames(frames)
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    for i, f in enumerate(arr):
        Image.fromarray(f, "RGB").save(out / f"{i:06d}.png", format="PNG")
    return out


def _frames(frames: np.ndarray) -> np.ndarray:
    arr = np.asarray(frames)
    if arr.ndim != 4 or arr.shape[-1] != 3 or arr.shape[0] == 0:
        raise ValueError(f"frames must be a non-empty (T, H, W, 3) array, got shape {arr.shape}")
    if arr.dtype != np.uint8:
        raise ValueError(f"frames must be uint8, got {arr.dtype}")
    return arr


def write_video(path: str | Path, frames: np.ndarray, fps: float = 8.0) -> Path:
    """Write frames as an .mp4 with PyAV (libx264 when available, else mpeg4; yuv420p). Odd heights/widths are
    padded by repeating the last row/column, since yuv420p needs even sizes."""
    import av

    arr = _frames(frames)
    if not (fps > 0 and math.isfinite(fps)):
        raise ValueError(f"fps must be a positive finite number, got {fps!r}")
    pad_h, pad_w = arr.shape[1] % 2, arr.shape[2] % 2
    if pad_h or pad_w:
        arr = np.pad(arr, ((0, 0), (0, pad_h), (0, pad_w), (0, 0)), mode="edge")
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    codec = "libx264" if "libx264" in av.codecs_available else "mpeg4"
    with av.open(str(out), mode="w") as container:
        stream = container.add_stream(codec, rate=Fraction(fps).limit_denominator(1000))
        stream.width, stream.height, stream.pix_fmt = arr.shape[2], arr.shape[1], "yuv420p"
        stream.options = {"crf": "10", "preset": "veryfast"} if codec == "libx264" else {}
        if codec == "mpeg4":
            stream.bit_rate = 4_000_000
        for f in arr:
            for packet in stream.encode(av.VideoFrame.from_ndarray(f, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return out


def _predictions(rng: np.random.Generator, interval: tuple[float, float], duration: float,
                 offset: bool) -> list[list[float]]:
    """``N_PREDICTIONS`` scored intervals, best first. Clean: the top one moves each truth boundary by at most 10%
    of its length (tIoU >= 0.8), the others are random spans scoring lower. Offset: all of them lie in the larger
    gap beside the truth (tIoU 0), or in the last/first 10% of the clip when the truth fills it (tIoU <= 1/9)."""
    s, e = interval
    if offset:
        if max(s, duration - e) >= 0.1 * duration:
            lo, hi = (0.0, s) if s >= duration - e else (e, duration)
        else:
            lo, hi = (0.0, 0.1 * duration) if s >= duration - e else (0.9 * duration, duration)
        s, e, clip = lo + 0.1 * (hi - lo), hi - 0.1 * (hi - lo), (lo, hi)
    else:
        clip = (0.0, duration)
    j = 0.1 * (e - s)
    top = [max(clip[0], s + rng.uniform(-j, j)), min(clip[1], e + rng.uniform(-j, j))]
    if top[1] <= top[0]:
        top = [s, e]
    preds = [[round(float(top[0]), 4), round(float(top[1]), 4), round(float(rng.uniform(0.8, 0.95)), 4)]]
    for sc in np.sort(rng.uniform(0.1, 0.7, N_PREDICTIONS - 1))[::-1]:
        a, b = np.sort(rng.uniform(clip[0], clip[1], 2))
        preds.append([round(float(a), 4), round(float(max(b, a + 1e-3)), 4), round(float(sc), 4)])
    return preds


def write_video_dataset(out_dir: str | Path, n: int, seed: int = 0, difficulty: VideoDifficulty | str = "easy",
                        variant: str = "clean", container: str = "mp4") -> Path:
    """Write ``n`` clips (``videos/video-XXXXX.mp4`` or ``frames/video-XXXXX/``) and ``out_dir/manifest.jsonl``
    (id, video, fps, text, prompt, segments, tracks, plan, query, interval, predictions, spec, difficulty,
    variant); returns the manifest path. The query is one segment whose text is unique in its clip."""
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 0:
        raise ValueError(f"n must be a non-negative integer, got {n!r}")
    if variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r}; expected one of {', '.join(VARIANTS)}")
    if container not in ("mp4", "frames"):
        raise ValueError(f"container must be 'mp4' or 'frames', got {container!r}")
    diff = _difficulty(difficulty)
    rng = np.random.default_rng(seed)  # clips, queries and predictions: the same draws in every variant
    flaw = np.random.default_rng([seed, 1])
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    lines = []
    for i in range(int(n)):
        spec = sample_video(rng, diff)
        segs = segments(spec)
        texts = [s["text"] for s in segs]
        unique = [s for s in segs if texts.count(s["text"]) == 1] or segs
        seg = unique[int(rng.integers(len(unique)))]
        text, prm, pln = caption(spec), prompt(spec), plan(spec)
        rendered = spec
        if variant == "static":
            objs = []
            for o in spec.objects:
                part, _ = _visible(spec, o)
                cx, cy = centre(spec, o, part[len(part) // 2] if part else 0)
                objs.append({**o, "motion": "static", "x": cx, "y": cy, "vx": 0.0, "vy": 0.0})
            rendered = VideoSpec.from_dict({**spec.to_dict(), "objects": objs})
        elif variant == "flicker":
            rendered = VideoSpec.from_dict({**spec.to_dict(), "flicker": FLICKER_P})
        elif variant == "shuffled":
            rendered = VideoSpec.from_dict({**spec.to_dict(), "frame_order": flaw.permutation(spec.n_frames).tolist()})
        duration = spec.n_frames / spec.fps
        preds = _predictions(rng, (seg["start"], seg["end"]), duration, variant == "offset")
        frames = render_video(rendered)
        rid = f"video-{i:05d}"
        if container == "mp4":
            rel = f"videos/{rid}.mp4"
            write_video(out / rel, frames, spec.fps)
        else:
            rel = f"frames/{rid}"
            write_frames(out / rel, frames)
        lines.append(json.dumps({
            "id": rid, "video": rel, "fps": spec.fps, "n_frames": spec.n_frames, "text": text, "prompt": prm,
            "segments": segs, "tracks": tracks(rendered), "plan": pln, "query": seg["text"],
            "interval": [seg["start"], seg["end"]], "predictions": preds, "spec": rendered.to_dict(),
            "difficulty": diff.name, "variant": variant,
        }, ensure_ascii=False))
    manifest = out / "manifest.jsonl"
    manifest.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return manifest
