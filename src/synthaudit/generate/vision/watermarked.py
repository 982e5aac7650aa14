"""Watermarked copies of a video data set (survey section 6.3, P_Rob / P_Load / P_Cost test bed): every video of a
manifest gets the same invisible-watermark payload (``synthaudit.verify.watermark``), written losslessly as a frame
folder beside the unwatermarked original, which the manifest names as ``reference_video`` (P_Cost compares them)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Sequence

import numpy as np


def watermark_dataset(manifest: str | Path, out_dir: str | Path, bits: Sequence[int], method: str = "dwtDctSvd"
                      ) -> Path:
    """Embed ``bits`` into every video of ``manifest`` (frames at least 256 x 256); write ``out_dir/manifest.jsonl``
    with ``video`` (watermarked frames) and ``reference_video`` (the original frames); returns its path."""
    from synthaudit.data.vision import load_media, read_video
    from synthaudit.generate.vision.videos import write_frames
    from synthaudit.verify.watermark import embed_video

    mset = load_media(str(manifest), "synthetic", _video_options())
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    key = np.array([int(b) for b in bits], dtype=bool)
    lines = []
    records = mset.frame.to_dict(orient="records")
    for rec, src in zip(records, mset.sources):
        if src is None:
            continue
        frames, _ = read_video(src)
        name = str(rec["id"])
        write_frames(out / "original" / name, frames)
        write_frames(out / "watermarked" / name, np.stack(embed_video(frames, key, method)))
        row = {k: v for k, v in rec.items() if v is not None and not (isinstance(v, float) and np.isnan(v))}
        row.update(video=f"watermarked/{name}", reference_video=f"original/{name}", watermark_method=method)
        lines.append(json.dumps(row, ensure_ascii=False, sort_keys=True, default=_plain))
    path = out / "manifest.jsonl"
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def _video_options():
    from synthaudit.data.vision import VisionOptions

    return VisionOptions(kind="video")


def _plain(v):
    if isinstance(v, np.generic):
        return v.item()
    raise TypeError(f"not JSON serialisable: {type(v).__name__}")
