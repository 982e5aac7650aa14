"""The video-text section of ``synthaudit demo`` (survey section 6), offline.

Videos of moving shapes with known trajectories (``synthaudit generate video_text``): captions, grounded segments,
per-frame boxes, plans and temporal-grounding predictions are known by construction. The "real" side is another
seed of the same generator. A flawed variant swaps the shapes' colours and forms between frames (identity
consistency catches it); a small watermarked set shows bit accuracy under re-encoding, crop, resize and frame drop.
"""
from __future__ import annotations

N_VIDEOS = 8  # videos per side and variant
N_WATERMARKED = 3  # 256 x 256 videos carrying a watermark
KEY = "hex:5a17c3e9"  # 32 bits
FRAMES = 6  # frames sampled per video for the feature metrics


def section(ctx) -> list:
    import dataclasses

    from synthaudit.audit.api import audit, resolve_models
    from synthaudit.demo import DemoEntry, catch_text
    from synthaudit.generate.vision.videos import VIDEO_DIFFICULTIES, write_video_dataset
    from synthaudit.generate.vision.watermarked import watermark_dataset

    data = ctx.out / "data"
    with ctx.step(f"video_text: {N_VIDEOS} moving-shape videos per set (real seed, synthetic seed, flicker variant) "
                  f"and {N_WATERMARKED} watermarked 256 px videos"):
        real = write_video_dataset(data / "vv_real", N_VIDEOS, seed=ctx.seed + 303)
        good = write_video_dataset(data / "vv_clean", N_VIDEOS, seed=ctx.seed + 404)
        flicker = write_video_dataset(data / "vv_flicker", N_VIDEOS, seed=ctx.seed + 404, variant="flicker")
        big = dataclasses.replace(VIDEO_DIFFICULTIES["easy"], name="easy@256", image_size=256, size=(40, 56),
                                  speed=(6.0, 12.0))
        plain = write_video_dataset(data / "vv_wm_clean", N_WATERMARKED, seed=ctx.seed + 505, difficulty=big,
                                    container="frames")
        from synthaudit.data.vision_prepare import read_bits

        marked = watermark_dataset(plain, data / "vv_watermarked", read_bits(KEY))
    models = resolve_models(None)
    common = dict(seed=ctx.seed, models=models, progress=ctx.progress, frames=FRAMES)
    with ctx.step(f"video_text: audit of the clean videos against {N_VIDEOS} real videos"):
        g = audit("video_text", synthetic=str(good), real=str(real), out=ctx.out / "video_text_clean", **common)
    with ctx.step("video_text: audit of the flicker variant"):
        bad = audit("video_text", synthetic=str(flicker), real=str(real), out=ctx.out / "video_text_flicker",
                    **common)
    with ctx.step(f"video_text: watermark robustness of {N_WATERMARKED} watermarked videos"):
        wm = audit("video_text", synthetic=str(marked), watermark_key=KEY, dimensions=["provenance", "validity"],
                   params={"vl_video.watermark_cost": {"distortion": "psnr"}}, out=ctx.out / "video_text_watermark",
                   **common)
    caught = catch_text(g, bad, ["vl_video.identity_consistency"], "flicker variant")
    acc = next((m for m in wm.metrics if m.id == "vl_video.watermark_bit_acc"), None)
    wm_catch = None
    if acc is not None and acc.value is not None:
        per = {k.removeprefix("bit_acc_"): v for k, v in (acc.secondary or {}).items()}
        worst = min((k for k in per if k != "none"), key=lambda k: per[k], default=None)
        if worst is not None:
            wm_catch = (f"vl_video.watermark_bit_acc: {per.get('none', float('nan')):.2f} without attack, "
                        f"{per[worst]:.2f} after {worst} (0.5 is chance)")
    return [
        DemoEntry("video_text", "Moving-shape videos", "video_text_clean/report.html", g,
                  f"{N_VIDEOS} clips of 16 frames (64 px, 8 fps) with captions, grounded segments, object tracks, "
                  "plans and grounding predictions; the real side is another seed of the same generator", caught),
        DemoEntry("video_text", "Flawed: identity flicker (on purpose)", "video_text_flicker/report.html", bad,
                  "the same clips with each shape's colour and form swapped at random between frames", caught),
        DemoEntry("video_text", "Watermarked videos", "video_text_watermark/report.html", wm,
                  f"{N_WATERMARKED} clips of 256 x 256 px, each frame carrying the same 32-bit invisible watermark "
                  "(dwtDctSvd), audited under H.264 re-encoding, centre crop, resize and frame drop", wm_catch),
    ]
