"""The image-text section of ``synthaudit demo`` (survey section 6), offline.

Real and synthetic samples are programmatic scenes (``synthaudit generate image_text``): COCO-object pictograms
with captions, object lists and one question each, so every answer is known. The "real" side is another seed of the
same generator. Two flawed variants of the synthetic scenes are audited beside them: hallucinated captions and
wrong answers (CHAIR and QA accuracy catch them) and blurred, JPEG-damaged images (the FID-like distance catches
them). The clean scenes carry C2PA manifests signed with a local demo CA (vl_image.rate_validate reads them
valid; the flawed variants are unsigned). The image scores use the offline EfficientNet-Lite0 extractor and say so.
"""
from __future__ import annotations

from pathlib import Path

N_SCENES = 40  # scenes per side and variant
#: left out of the tour: the judge-based diversity score reads each caption with SmolLM2 (about 0.3 s each) and
#: catches nothing the planted flaws are about; `synthaudit audit image_text` runs it
JUDGED = "vl_image.score_div"


def sign_images(folder: Path, ca_dir: Path) -> Path:
    """Sign every PNG of ``folder`` in place with a C2PA manifest from a local CA (made in ``ca_dir``); returns the
    CA's PEM file (the trust anchor)."""
    from synthaudit.verify.c2pa_check import sign_image
    from synthaudit.verify.c2pa_local import make_local_ca

    ca_dir = Path(ca_dir)
    ca_dir.mkdir(parents=True, exist_ok=True)
    _, chain, key = make_local_ca(ca_dir, cn="synthaudit demo CA")
    for path in sorted(Path(folder).glob("*.png")):
        tmp = path.with_name(path.stem + ".signed.png")
        sign_image(path, tmp, chain, key, title=path.name, claim_generator="synthaudit demo")
        tmp.replace(path)
    return ca_dir / "ca.pem"


def section(ctx) -> list:
    from synthaudit.audit.api import audit, resolve_models
    from synthaudit.demo import DemoEntry, catch_text
    from synthaudit.generate.vision.scenes import write_scene_dataset

    data = ctx.out / "data"
    with ctx.step(f"image_text: {N_SCENES} programmatic VQA scenes per set (real seed, synthetic seed, "
                  "hallucinated and blurred variants)"):
        real = write_scene_dataset(data / "vl_real", N_SCENES, seed=ctx.seed + 101)
        sets = {v: write_scene_dataset(data / f"vl_{v}", N_SCENES, seed=ctx.seed + 202, variant=v)
                for v in ("clean", "hallucinated", "blurred")}
        anchors = sign_images(sets["clean"].parent / "images", data / "vl_demo_ca")
    models = resolve_models(None)  # one EfficientNet (and judge) for the three audits
    labels = {"clean": "the clean scenes", "hallucinated": "the hallucinated variant", "blurred": "the blurred variant"}
    from synthaudit.metrics.registry import all_metrics

    unjudged = [m for m, r in all_metrics().items() if r.spec.modality == "image_text" and m != JUDGED]
    reports = {}
    for v, path in sets.items():
        with ctx.step(f"image_text: audit of {labels[v]} against {N_SCENES} real scenes"):
            reports[v] = audit("image_text", synthetic=str(path), real=str(real), seed=ctx.seed, models=models,
                               progress=ctx.progress, out=ctx.out / f"image_text_{v}",
                               metrics=unjudged,
                               trust_anchors=str(anchors) if v == "clean" else None)
    g = reports["clean"]
    caught_h = catch_text(g, reports["hallucinated"], ["vl_image.chair", "vl_image.acc_qa"], "hallucinated variant")
    caught_b = catch_text(g, reports["blurred"], ["vl_image.fid"], "blurred variant")
    what = (f"{N_SCENES} scenes of COCO-object pictograms (colours, counts, positions) rendered with Pillow, each "
            "with a caption, its object list and one question with a known answer")
    return [
        DemoEntry("image_text", "Programmatic VQA scenes", "image_text_clean/report.html", g,
                  what + "; the real side is another seed of the same generator; each image carries a C2PA manifest "
                  "signed with a local demo CA", caught_h),
        DemoEntry("image_text", "Flawed: hallucinated captions and wrong answers (on purpose)",
                  "image_text_hallucinated/report.html", reports["hallucinated"],
                  "the same scenes; every caption names 1-2 objects not in the image and 40 % of the answers are wrong",
                  caught_h),
        DemoEntry("image_text", "Flawed: blurred, JPEG-damaged images (on purpose)", "image_text_blurred/report.html",
                  reports["blurred"], "the same scenes, Gaussian-blurred and re-encoded at JPEG quality 20", caught_b),
    ]
