"""Benchmark (issue #18): image feature extraction for FID-like metrics with the offline EfficientNet-Lite0.

Images: random crops (and horizontal flips) of scikit-image's and scikit-learn's sample photos, resized to
256 x 256 and written as PNG (even indices) and JPEG quality 90 (odd) into a temporary folder first. Three
phases, each in its own process (so peak RSS is per phase), torch on the thread count synthaudit picks (1 of 2
cores; the prefetch thread decodes on the other):

  (a) extractor alone on pre-decoded tensors (a pool of at most 1,000 prepared 3 x 224 x 224 inputs, cycled to
      n images, so memory does not grow with n);
  (b) decode + extract, decoding in the prefetch thread (EfficientNetLite0.embed on file paths);
  (c) decode + extract + GaussianStats update (every 512 images) + Frechet distance (even vs odd images,
      synthaudit.stats.frechet);
  (d) the audit itself: ``synthaudit.audit("image_text", metrics=["vl_image.fid"])`` with the odd images as the
      synthetic set and the even ones as the real set (loading and checking every file, content keys, the
      per-record feature cache, decoding in the prefetch thread, GaussianStats, the Frechet distance and KID).

Reports images/s, wall and CPU seconds (user + sys of the phase's process, all threads), peak RSS and the
overhead ratios (c)/(a) and (d)/(a) (issue goal: the audit adds under 15 %, (d)/(a) < 1.15).

    python benchmarks/bench_vision_features.py [--n 10000] [--quick] [--out results.json]
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

UPDATE_ROWS = 512  # features buffered before each GaussianStats update


def sources() -> list[np.ndarray]:
    from skimage import data
    from sklearn.datasets import load_sample_images

    imgs = [data.astronaut(), data.chelsea(), data.coffee(), data.rocket(), data.immunohistochemistry()]
    imgs += list(load_sample_images().images)  # china.jpg, flower.jpg
    return [np.ascontiguousarray(i[..., :3]) for i in imgs]


def generate(folder: Path, n: int, seed: int = 0) -> list[str]:
    from PIL import Image

    rng = np.random.default_rng(seed)
    src = sources()
    paths = []
    for i in range(n):
        img = src[rng.integers(len(src))]
        h, w = img.shape[:2]
        s = int(rng.integers(128, min(h, w) + 1))
        y, x = int(rng.integers(0, h - s + 1)), int(rng.integers(0, w - s + 1))
        crop = img[y:y + s, x:x + s]
        if rng.random() < 0.5:
            crop = crop[:, ::-1]
        im = Image.fromarray(np.ascontiguousarray(crop)).resize((256, 256), Image.Resampling.BILINEAR)
        path = folder / (f"{i:06d}.png" if i % 2 == 0 else f"{i:06d}.jpg")
        im.save(path, **({} if i % 2 == 0 else {"quality": 90}))
        paths.append(str(path))
    return paths


def cpu_seconds() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def phase(name: str, paths: list[str]) -> dict:
    """Run one phase in this process and return its measurements."""
    from synthaudit.models.vision import EfficientNetLite0, read_image
    from synthaudit.stats.frechet import GaussianStats, frechet_from_stats

    if name == "d":
        return audit_phase(paths)
    model = EfficientNetLite0()
    model.embed([read_image(p) for p in paths[:16]])  # warm-up (first-call allocations)
    n = len(paths)
    bs = model.batch_size
    extra: dict = {}
    if name == "a":
        pool = np.stack([model.prepare(read_image(p)) for p in paths[:min(n, 1000)]])
        c0, t0 = cpu_seconds(), time.perf_counter()
        done = 0
        while done < n:
            start = done % len(pool)
            x = pool[start:start + min(bs, n - done, len(pool) - start)]
            model.forward(np.ascontiguousarray(x))
            done += len(x)
    elif name == "b":
        c0, t0 = cpu_seconds(), time.perf_counter()
        feats, _ = model.embed(paths)
        assert feats.shape == (n, 1280)
    else:
        c0, t0 = cpu_seconds(), time.perf_counter()
        even, odd = GaussianStats.empty(1280), GaussianStats.empty(1280)
        done, buf = 0, []
        for f, _ in model.iter_embed(paths):
            buf.append(f)
            done += len(f)
            if sum(len(b) for b in buf) >= UPDATE_ROWS or done == n:  # a 1280 x 1280 update costs ~25 ms
                x = np.concatenate(buf)
                even.update(x[0::2])  # chunks hold an even number of rows, so x[0::2] are even indices
                odd.update(x[1::2])
                buf = []
        t_fd = time.perf_counter()
        fd = frechet_from_stats(even, odd)
        extra = {"frechet_distance": round(float(fd["distance"]), 4), "eps_offset": bool(fd["eps_offset"]),
                 "frechet_s": round(time.perf_counter() - t_fd, 3)}
        assert done == n
    wall, cpu = time.perf_counter() - t0, cpu_seconds() - c0
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"phase": name, "images": n, "wall_s": round(wall, 2), "cpu_s": round(cpu, 2),
            "images_per_s": round(n / wall, 1), "peak_rss_mb": round(peak_mb, 1), **extra}


def audit_phase(paths: list[str]) -> dict:
    """Phase (d): the image_text audit of the odd images against the even ones (FID-like only)."""
    import pandas as pd

    import synthaudit
    from synthaudit.audit.api import resolve_models
    from synthaudit.models.vision import read_image

    models = resolve_models(None)
    models.get("image_features").embed([read_image(p) for p in paths[:16]])  # load and warm up, as (a)-(c)
    real = pd.DataFrame({"image": paths[0::2]})
    syn = pd.DataFrame({"image": paths[1::2]})
    c0, t0 = cpu_seconds(), time.perf_counter()
    rep = synthaudit.audit("image_text", synthetic=syn, real=real, metrics=["vl_image.fid"], models=models)
    wall, cpu = time.perf_counter() - t0, cpu_seconds() - c0
    fid = rep.result("vl_image.fid")
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"phase": "d", "images": len(paths), "wall_s": round(wall, 2), "cpu_s": round(cpu, 2),
            "images_per_s": round(len(paths) / wall, 1), "peak_rss_mb": round(peak_mb, 1),
            "fid_like": round(float(fid.value), 4), "kid": round(float(fid.secondary["kid"]), 6),
            "trace_sqrt": fid.notes.get("trace_sqrt")}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=10_000, help="number of images (default 10,000)")
    ap.add_argument("--quick", action="store_true", help="500 images")
    ap.add_argument("--out", type=Path, help="also write the results as JSON here")
    ap.add_argument("--phase", choices=["a", "b", "c", "d"], help=argparse.SUPPRESS)
    ap.add_argument("--paths", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.phase:  # child process: one phase
        paths = json.loads(args.paths.read_text())
        print(json.dumps(phase(args.phase, paths)))
        return
    n = 500 if args.quick else args.n
    root = Path(tempfile.mkdtemp(prefix="synthaudit-vision-", dir=os.environ.get("SYNTHAUDIT_BENCH_DIR")))
    try:
        t0 = time.perf_counter()
        paths = generate(root, n)
        gen_s = time.perf_counter() - t0
        (root / "paths.json").write_text(json.dumps(paths))
        rows = []
        for name in ("a", "b", "c", "d"):
            out = subprocess.run([sys.executable, __file__, "--phase", name, "--paths", str(root / "paths.json")],
                                 check=True, capture_output=True, text=True)
            rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
            print(json.dumps(rows[-1]), flush=True)
        from synthaudit.models.vision import EfficientNetLite0

        result = {"images": n, "image_size": 256, "formats": "PNG (even) / JPEG q90 (odd)",
                  "generate_s": round(gen_s, 1), "cores": os.cpu_count(),
                  "torch_threads": os.environ.get("SYNTHAUDIT_TORCH_THREADS", "synthaudit default (half the cores)"),
                  "extractor": EfficientNetLite0.__name__, "load_avg_1min": round(os.getloadavg()[0], 2),
                  "phases": rows, "overhead_c_over_a": round(rows[2]["wall_s"] / rows[0]["wall_s"], 3),
                  "overhead_d_over_a": round(rows[3]["wall_s"] / rows[0]["wall_s"], 3),
                  "overhead_d_over_a_cpu": round(rows[3]["cpu_s"] / rows[0]["cpu_s"], 3),
                  "overhead_b_over_a": round(rows[1]["wall_s"] / rows[0]["wall_s"], 3), "goal_c_over_a": 1.15}
        print(json.dumps(result, indent=2))
        if args.out:
            args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
