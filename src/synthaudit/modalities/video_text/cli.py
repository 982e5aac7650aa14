"""``synthaudit generate video_text``: short videos of moving shapes with known trajectories (survey section 6.2):
captions, grounded segments (seconds), per-frame object boxes, plans and temporal-grounding predictions are known by
construction. Variants plant one flaw on purpose (static, flicker, shuffled frames, offset grounding); with
``--watermark-key`` every video also gets an invisible watermark, written losslessly beside its original.

Writes ``OUT/manifest.jsonl`` (the manifest ``synthaudit audit video_text`` reads) and the videos.
Exit status: 0 done, 2 a usage or input error (one message, no traceback), 130 interrupted.
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from synthaudit.cli.common import err_console, user_errors


def generate_video_text(
    out: Path = typer.Option(..., "--out", "-o", help="Output folder (videos and manifest.jsonl)."),
    n: int = typer.Option(40, "--n", help="Videos to generate."),
    difficulty: str = typer.Option("easy", "--difficulty", help="easy, medium or hard (objects, motions, entering "
                                   "objects, backgrounds, noise)."),
    variant: str = typer.Option("clean", "--variant", help="clean, or a planted flaw: static, flicker, shuffled, "
                                "offset."),
    container: str = typer.Option("mp4", "--container", help="mp4 (H.264 with PyAV) or frames (PNG folders)."),
    size: Optional[int] = typer.Option(None, "--size", min=32, help="Frame side in pixels (default: the "
                                       "difficulty's; a watermark needs at least 256)."),
    watermark_key: Optional[str] = typer.Option(None, "--watermark-key", help="Bits to embed in every frame (0/1 "
                                                "text or hex:...); the originals become reference_video."),
    watermark_method: str = typer.Option("dwtDctSvd", "--watermark-method", help="dwtDct or dwtDctSvd."),
    seed: int = typer.Option(0, "--seed", help="Run seed: every random choice derives from it."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No summary."),
) -> None:
    """Generate moving-shape videos with captions, segments, tracks, plans and grounding predictions."""
    import dataclasses

    from synthaudit.data.vision_prepare import read_bits
    from synthaudit.errors import UsageError
    from synthaudit.generate.vision.videos import VIDEO_DIFFICULTIES, write_video_dataset
    from synthaudit.generate.vision.watermarked import watermark_dataset

    with user_errors():
        if n < 1:
            raise UsageError("must be at least 1", field="--n")
        if difficulty not in VIDEO_DIFFICULTIES:
            raise UsageError(f"unknown difficulty {difficulty!r}; expected one of {', '.join(VIDEO_DIFFICULTIES)}",
                             field="--difficulty")
        bits = read_bits(watermark_key)
        diff = VIDEO_DIFFICULTIES[difficulty]
        side = size or (256 if bits else diff.image_size)
        if bits and side < 256:
            raise UsageError("a watermark needs frames of at least 256 x 256 pixels", field="--size")
        if side != diff.image_size:
            scale = side / diff.image_size
            diff = dataclasses.replace(diff, name=f"{difficulty}@{side}", image_size=side,
                                       size=tuple(int(round(s * scale)) for s in diff.size),
                                       speed=tuple(s * scale for s in diff.speed))
        target = Path(out) / "clean" if bits else Path(out)
        try:
            path = write_video_dataset(target, n, seed=seed, difficulty=diff, variant=variant,
                                       container="frames" if bits else container)
            if bits:
                path = watermark_dataset(path, out, bits, watermark_method)
        except ValueError as exc:
            raise UsageError(str(exc), field="--variant") from None
    if not quiet:
        wm = f", watermarked with {len(bits)} bits ({watermark_method})" if bits else ""
        err_console.print(f"wrote {n} videos ({difficulty}, {variant}{wm}) and {path}", highlight=False)
