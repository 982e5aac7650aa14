"""A colour-blob object detector (survey section 6.2, U_Control's automatic checker), offline and model-free.

It finds, per frame, the connected regions whose pixels are nearest to a named colour of :data:`PALETTE` (RGB
distance under ``max_distance``) and at least ``min_area`` pixels. It checks plans that name objects by colour
(e.g. synthetic moving-shape videos); it does not recognise shapes or real-world objects, and results say so.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: named colours (RGB) the detector knows: synthaudit's generators draw these exact values
#: (generate/vision/scene_objects.PALETTE); background colours are named too, so that a beige or grey background is
#: nearest to its own name, never to an object colour such as pink
PALETTE: dict[str, tuple[int, int, int]] = {
    "red": (220, 40, 40), "green": (40, 170, 70), "blue": (40, 90, 220), "yellow": (245, 215, 40),
    "teal": (30, 140, 140), "purple": (140, 60, 190), "pink": (245, 130, 190), "brown": (130, 80, 40),
    "orange": (250, 140, 30), "cyan": (40, 200, 210), "magenta": (220, 50, 170), "white": (245, 245, 245),
    "black": (20, 20, 20), "gray": (128, 128, 128), "beige": (222, 212, 186), "light gray": (200, 200, 200),
}


@dataclass
class ColourBlobDetector:
    """Blobs of named colours in RGB frames."""

    max_distance: float = 60.0
    min_area: int = 12
    name: str = "colour-blob detector (nearest named colour within RGB distance 60, >= 12 px, 8-connected)"

    def masks(self, frame: np.ndarray) -> dict[str, np.ndarray]:
        """Per palette colour, the pixels nearest to it and within ``max_distance``."""
        names = list(PALETTE)
        ref = np.array([PALETTE[n] for n in names], dtype=np.float32)
        px = frame.reshape(-1, 3).astype(np.float32)
        d = ((px[:, None, :] - ref[None, :, :]) ** 2).sum(axis=2)
        near = d.argmin(axis=1)
        ok = np.sqrt(d[np.arange(len(px)), near]) <= self.max_distance
        h, w = frame.shape[:2]
        return {n: ((near == i) & ok).reshape(h, w) for i, n in enumerate(names)}

    def detect(self, frame: np.ndarray, colours: list[str] | None = None) -> dict[str, list[tuple[int, ...]]]:
        """Colour -> bounding boxes (x0, y0, x1, y1) of its blobs in one frame."""
        from scipy import ndimage

        out: dict[str, list[tuple[int, ...]]] = {}
        for name, mask in self.masks(frame).items():
            if colours is not None and name not in colours:
                continue
            labels, n = ndimage.label(mask, structure=np.ones((3, 3), dtype=int))
            boxes = []
            for i, sl in enumerate(ndimage.find_objects(labels), start=1):
                if sl is None or (labels[sl] == i).sum() < self.min_area:
                    continue
                boxes.append((sl[1].start, sl[0].start, sl[1].stop, sl[0].stop))
            out[name] = boxes
        return out
