"""Vision-language generators (survey section 6.2, issue #18): image-QA scenes and moving-shape videos.

Every answer is re-derived here without the generator's code paths: counts and colours from the rendered pixels
(scipy.ndimage.label on exact palette colours), spatial answers from the spec boxes, video tracks from the
rendered frames (bounding box and centroid of each shape's colour), mp4 files read back with PyAV, temporal IoU
computed by hand."""
from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from scipy import ndimage

from synthaudit.generate.vision import scenes, videos
from synthaudit.generate.vision.scene_objects import CATEGORIES, PALETTE
from synthaudit.generate.vision.scenes import Difficulty, SceneSpec, caption, questions, render, sample_scene
from synthaudit.generate.vision.videos import VideoSpec, render_video, tracks

EIGHT = np.ones((3, 3), dtype=int)  # 8-connectivity
# the COCO names a caption may mention (written here: the drawn categories plus the injected extras)
COCO_WORDS = ["sports ball", "donut", "stop sign", "kite", "clock", "traffic light", "umbrella", "tv", "book",
              "pizza", "cake", "cup", "frisbee", "bottle", "dog", "cat", "person", "car", "chair", "bird", "banana",
              "laptop"]


def components(img: np.ndarray, rgb: tuple[int, int, int]) -> int:
    mask = np.all(img == np.array(rgb, dtype=np.uint8), axis=-1)
    return int(ndimage.label(mask, structure=EIGHT)[1])


def hand_scene() -> SceneSpec:
    objs = [
        {"category": "donut", "color": "pink", "size": "large", "x": 4, "y": 4, "w": 30, "h": 30},
        {"category": "kite", "color": "blue", "size": "large", "x": 50, "y": 4, "w": 21, "h": 30},
        {"category": "donut", "color": "pink", "size": "small", "x": 90, "y": 6, "w": 20, "h": 20},
        {"category": "clock", "color": None, "size": "large", "x": 50, "y": 60, "w": 30, "h": 30},
        {"category": "sports ball", "color": "green", "size": "small", "x": 4, "y": 100, "w": 20, "h": 20},
        {"category": "sports ball", "color": "green", "size": "small", "x": 30, "y": 100, "w": 20, "h": 20},
        {"category": "sports ball", "color": "green", "size": "small", "x": 100, "y": 100, "w": 20, "h": 20},
    ]
    return SceneSpec(objs, {"kind": "plain", "color": "gray"}, 128, 128)


def answer_of(qs: list[dict[str, str]], question: str) -> str:
    hits = [q["answer"] for q in qs if q["question"] == question]
    assert len(hits) == 1, question
    return hits[0]


# ---------------------------------------------------------------- scenes


def test_hand_scene_answers_match_pixels() -> None:
    spec = hand_scene()
    img = np.asarray(render(spec))
    assert img.shape == (128, 128, 3) and img.dtype == np.uint8
    qs = questions(spec, np.random.default_rng(0))
    assert answer_of(qs, "How many donuts are there?") == "2" == str(components(img, PALETTE["pink"]))
    assert answer_of(qs, "How many sports balls are there?") == "3" == str(components(img, PALETTE["green"]))
    assert answer_of(qs, "How many clocks are there?") == "1"
    # colour: the palette colour covering most of the kite's box is the answer
    kite = img[4:34, 50:71].reshape(-1, 3)
    share = {name: np.all(kite == rgb, axis=1).mean() for name, rgb in PALETTE.items()}
    assert answer_of(qs, "What color is the kite?") == max(share, key=share.get) == "blue"
    # colour questions only for single-instance categories with a colour attribute
    assert not any(q["question"] == "What color is the donut?" for q in qs)
    assert not any(q["question"] == "What color is the clock?" for q in qs)
    assert answer_of(qs, "Is there a clock?") == "yes"
    absent = [re.fullmatch(r"Is there an? (.+)\?", q["question"]).group(1) for q in qs
              if q["type"] == "existence" and q["answer"] == "no"]
    assert absent and not set(absent) & {"donut", "kite", "clock", "sports ball"}
    # kite box x 50..70, clock box x 50..79: x-ranges overlap, so no left/right question; kite is above the clock
    assert not any("kite to the left" in q["question"] or "clock to the left" in q["question"] for q in qs)
    assert answer_of(qs, "What is above the clock?") == "kite"
    assert caption(spec) == "Two pink donuts, a blue kite, a clock and three green sports balls on a gray background."
    assert scenes.objects(spec) == ["donut", "kite", "clock", "sports ball"]
    assert scenes.prompt(spec).startswith("Draw two pink donuts, a blue kite")


@pytest.mark.parametrize("seed", range(12))
def test_random_easy_scenes_colour_components_equal_object_counts(seed: int) -> None:
    spec = sample_scene(np.random.default_rng(seed), "easy")
    img = np.asarray(render(spec))
    want = Counter(o["color"] for o in spec.objects if o["color"])
    for name, rgb in PALETTE.items():
        assert components(img, rgb) == want.get(name, 0), (name, spec.objects)
    for o in spec.objects:  # every object's own colour lies inside its box
        if o["color"]:
            ys, xs = np.nonzero(np.all(img == np.array(PALETTE[o["color"]], np.uint8), axis=-1))
            inside = (xs >= o["x"]) & (xs < o["x"] + o["w"]) & (ys >= o["y"]) & (ys < o["y"] + o["h"])
            assert inside.any()
    qs = questions(spec, np.random.default_rng(seed))
    counts = Counter(o["category"] for o in spec.objects)
    for q in qs:
        m = re.fullmatch(r"How many (.+) are there\?", q["question"])
        if m:
            cat = next(c for c in CATEGORIES if scenes.PLURALS[c] == m.group(1))
            assert q["answer"] == str(counts.get(cat, 0))
        m = re.fullmatch(r"Is there an? (.+)\?", q["question"])
        if m:
            assert q["answer"] == ("yes" if m.group(1) in counts else "no")
        m = re.fullmatch(r"What color is the (.+)\?", q["question"])
        if m:
            (obj,) = [o for o in spec.objects if o["category"] == m.group(1)]
            assert q["answer"] == obj["color"] and counts[m.group(1)] == 1


@pytest.mark.parametrize("seed", range(15))
def test_spatial_answers_follow_boxes(seed: int) -> None:
    spec = sample_scene(np.random.default_rng(100 + seed), Difficulty(n_objects=(3, 6)))
    by_cat: dict[str, list[dict]] = {}
    for o in spec.objects:
        by_cat.setdefault(o["category"], []).append(o)
    for q in questions(spec, np.random.default_rng(seed)):
        if q["type"] != "spatial":
            continue
        text = q["question"]
        if m := re.fullmatch(r"Is the (.+) to the left of the (.+)\?", text):
            (a,), (b,) = by_cat[m.group(1)], by_cat[m.group(2)]
            right_a, right_b = a["x"] + a["w"] - 1, b["x"] + b["w"] - 1
            assert q["answer"] == ("yes" if right_a < b["x"] else "no")
            assert right_a < b["x"] or right_b < a["x"]  # asked only when the x-ranges do not overlap
        elif m := re.fullmatch(r"Is the (.+) above the (.+)\?", text):
            (a,), (b,) = by_cat[m.group(1)], by_cat[m.group(2)]
            assert q["answer"] == ("yes" if a["y"] + a["h"] - 1 < b["y"] else "no")
        elif m := re.fullmatch(r"What is above the (.+)\?", text):
            (r,) = by_cat[m.group(1)]
            hits = {o["category"] for o in spec.objects if o is not r and o["y"] + o["h"] - 1 < r["y"]
                    and max(o["x"], r["x"]) < min(o["x"] + o["w"], r["x"] + r["w"])}
            assert hits == {q["answer"]}
        elif m := re.fullmatch(r"What is to the left of the (.+)\?", text):
            (r,) = by_cat[m.group(1)]
            hits = {o["category"] for o in spec.objects if o is not r and o["x"] + o["w"] - 1 < r["x"]
                    and max(o["y"], r["y"]) < min(o["y"] + o["h"], r["y"] + r["h"])}
            assert hits == {q["answer"]}
        else:
            pytest.fail(f"unexpected spatial question {text!r}")
        assert q["answer"] == q["answer"].lower()


def test_difficulty_controls_overlap_noise_and_background() -> None:
    rng = np.random.default_rng(3)
    for _ in range(10):
        spec = sample_scene(rng, "easy")
        boxes = [(o["x"], o["y"], o["x"] + o["w"], o["y"] + o["h"]) for o in spec.objects]
        for i, a in enumerate(boxes):
            for b in boxes[i + 1:]:
                assert min(a[2], b[2]) < max(a[0], b[0]) or min(a[3], b[3]) < max(a[1], b[1])
        assert spec.background["kind"] == "plain" and spec.noise == 0
    hard = [sample_scene(rng, "hard") for _ in range(10)]
    assert all(s.background["kind"] in {"gradient", "noise"} and s.noise == 10 for s in hard)
    assert np.mean([len(s.objects) for s in hard]) > 4
    # noise raises the pixel variance of a plain background by about sigma^2 (numpy reference)
    flat = SceneSpec([], {"kind": "plain", "color": "gray"}, 64, 64, noise=10.0, seed=1)
    assert abs(np.asarray(render(flat), dtype=float).std() - 10.0) < 0.6


def test_write_scene_dataset_manifest_and_determinism(tmp_path: Path) -> None:
    a = scenes.write_scene_dataset(tmp_path / "a", 8, seed=5, difficulty="medium")
    b = scenes.write_scene_dataset(tmp_path / "b", 8, seed=5, difficulty="medium")
    c = scenes.write_scene_dataset(tmp_path / "c", 8, seed=6, difficulty="medium")
    assert a.read_bytes() == b.read_bytes() and a.read_bytes() != c.read_bytes()
    recs = [json.loads(line) for line in a.read_text(encoding="utf-8").splitlines()]
    assert len(recs) == 8
    for r in recs:
        assert {"id", "image", "text", "objects", "question", "answer", "prediction", "prompt", "spec",
                "difficulty"} <= set(r)
        pa, pb = a.parent / r["image"], b.parent / r["image"]
        assert pa.read_bytes() == pb.read_bytes()
        img = np.asarray(Image.open(pa))
        assert img.shape == (128, 128, 3)
        np.testing.assert_array_equal(img, np.asarray(render(SceneSpec.from_dict(r["spec"]))))
        assert r["prediction"] == r["answer"] and r["answer"] == r["answer"].lower()
        assert r["objects"] == list(dict.fromkeys(o["category"] for o in r["spec"]["objects"]))
        assert r["difficulty"] == "medium" and r["prompt"].startswith("Draw ")


def mentions(text: str) -> set[str]:
    low = text.lower()
    found = set()
    for w in sorted(COCO_WORDS, key=len, reverse=True):
        if re.search(rf"\b{w}s?\b", low):
            found.add(w)
            low = re.sub(rf"\b{w}s?\b", " ", low)
    return found


def test_scene_variants_change_what_they_say(tmp_path: Path) -> None:
    n = 20
    load = {v: [json.loads(x) for x in scenes.write_scene_dataset(tmp_path / v, n, 11, "easy", v).read_text()
                .splitlines()] for v in scenes.VARIANTS}
    clean = load["clean"]
    assert all(mentions(r["text"]) == set(r["objects"]) for r in clean)  # CHAIR_i = 0 on clean captions
    hall = load["hallucinated"]
    extra = [mentions(r["text"]) - set(r["objects"]) for r in hall]
    assert all(1 <= len(e) <= 2 for e in extra)
    assert all(set(r["objects"]) <= mentions(r["text"]) for r in hall)
    wrong = [r["prediction"] != r["answer"] for r in hall]
    assert sum(wrong) == round(scenes.WRONG_SHARE * n)
    assert [r["answer"] for r in hall] == [r["answer"] for r in clean]
    # blurred: same text/answers as clean, images lose high frequencies (Laplacian energy, scipy reference)
    blur = load["blurred"]
    assert [r["text"] for r in blur] == [r["text"] for r in clean]

    def lap(v: str, r: dict) -> float:
        return float(np.var(ndimage.laplace(np.asarray(Image.open(tmp_path / v / r["image"]).convert("L"), float))))
    assert all(lap("blurred", rb) < 0.6 * lap("clean", rc) for rb, rc in zip(blur, clean))
    # collapsed: at most COLLAPSED_LAYOUTS distinct images; clean has n
    def digests(v: str) -> set[str]:
        return {hashlib.sha256((tmp_path / v / r["image"]).read_bytes()).hexdigest() for r in load[v]}
    assert len(digests("collapsed")) == scenes.COLLAPSED_LAYOUTS and len(digests("clean")) == n
    assert len({r["text"] for r in load["collapsed"]}) <= scenes.COLLAPSED_LAYOUTS


def test_scene_edge_cases(tmp_path: Path) -> None:
    empty = scenes.write_scene_dataset(tmp_path / "données é", 0, 1)
    assert empty.read_text() == "" and empty.exists()
    with pytest.raises(ValueError, match="variant"):
        scenes.write_scene_dataset(tmp_path, 2, variant="noisy")
    with pytest.raises(ValueError, match="non-negative"):
        scenes.write_scene_dataset(tmp_path, -1)
    with pytest.raises(ValueError, match="difficulty"):
        sample_scene(np.random.default_rng(0), "impossible")
    with pytest.raises(ValueError, match="noise"):
        Difficulty(noise=float("nan"))
    with pytest.raises(ValueError, match="n_objects"):
        Difficulty(n_objects=(3, 1))
    with pytest.raises(ValueError, match="unknown category"):
        render(SceneSpec([{"category": "giraffe", "color": None, "x": 1, "y": 1, "w": 5, "h": 5}]))
    with pytest.raises(ValueError, match="colour"):
        render(SceneSpec([{"category": "kite", "color": "orange", "x": 1, "y": 1, "w": 5, "h": 5}]))
    with pytest.raises(ValueError, match="background"):
        render(SceneSpec([], {"kind": "plain", "color": "vantablack"}))
    # constant image: no objects, plain background
    img = np.asarray(render(SceneSpec([], {"kind": "plain", "color": "white"}, 40, 30)))
    assert img.shape == (30, 40, 3) and (img == img[0, 0]).all()
    assert caption(SceneSpec([])) == "An empty scene on a gray background."


# ---------------------------------------------------------------- videos


def boxes_overlap(a: list[int], b: list[int]) -> bool:
    return min(a[2], b[2]) > max(a[0], b[0]) and min(a[3], b[3]) > max(a[1], b[1])


@pytest.mark.parametrize("seed", range(6))
def test_video_tracks_match_pixels(seed: int) -> None:
    spec = videos.sample_video(np.random.default_rng(seed), "medium")
    frames = render_video(spec)
    assert frames.shape == (spec.n_frames, 64, 64, 3) and frames.dtype == np.uint8
    tr = tracks(spec)
    checked = 0
    for o in spec.objects:
        for t, *box in tr[o["id"]]:
            others = [next((r[1:] for r in tr[p["id"]] if r[0] == t), None) for p in spec.objects if p is not o]
            full = videos.box_at(spec, o, t)
            if list(full) != box or any(b is not None and boxes_overlap(box, b) for b in others):
                continue  # clipped or touching another shape
            ys, xs = np.nonzero(np.all(frames[t] == np.array(PALETTE[o["color"]], np.uint8), axis=-1))
            assert [xs.min(), ys.min(), xs.max() + 1, ys.max() + 1] == box
            cx, cy = (box[0] + box[2] - 1) / 2, (box[1] + box[3] - 1) / 2
            assert abs(xs.mean() - cx) <= 1.0
            if o["shape"] != "triangle":  # a triangle's centroid sits 1/6 of its height below the box centre
                assert abs(ys.mean() - cy) <= 1.0
            # and the box centre follows the analytic trajectory within 1 px
            tx, ty = videos.centre(spec, o, t)
            assert abs((box[0] + box[2]) / 2 - tx) <= 1.0 and abs((box[1] + box[3]) / 2 - ty) <= 1.0
            checked += 1
    assert checked >= 8  # shapes may occlude each other; the unoccluded frames are checked


def test_hand_video_caption_segments_plan() -> None:
    objs = [{"id": "o0", "shape": "circle", "color": "red", "size": 10, "motion": "linear", "x": 10.0, "y": 20.0,
             "vx": 2.0, "vy": 0.0, "enters": False},
            {"id": "o1", "shape": "square", "color": "blue", "size": 10, "motion": "bounce", "x": 32.0, "y": 40.0,
             "vx": 0.0, "vy": 4.0, "enters": False},
            {"id": "o2", "shape": "triangle", "color": "green", "size": 10, "motion": "linear", "x": -6.0, "y": 50.0,
             "vx": 6.0, "vy": 0.0, "enters": True}]
    spec = VideoSpec(objs, 64, 64, 16, 8.0)
    assert videos.caption(spec) == ("A red circle moves from left to right while a blue square bounces around and a "
                                    "green triangle enters from the left and leaves on the right.")
    segs = {s["text"]: (s["start"], s["end"]) for s in videos.segments(spec)}
    assert segs["the red circle moves right"] == (0.0, 2.0)
    # blue square: y = 40 + 4t reflected at 64 - 5 = 59 at t = 4.75; the step into frame 5 (56 -> 58) is still
    # downward, the step into frame 6 (58 -> 54) upward: "down" covers frames 0..5 = [0, 6/8) s
    assert segs["the blue square moves down"] == (0.0, 6 / 8)
    assert segs["the blue square moves up"] == (6 / 8, 16 / 8)  # 54, 50, ..., 14 (never reaches the top wall 5)
    # green triangle: box x0 = floor(6t - 10.5): partly inside from t=1 (x0 = -5), fully from t=2 (x0 = 1)
    assert segs["the green triangle enters from the left"] == (1 / 8, 2 / 8)
    # fully inside up to t=10 (x0 = 49, x1 = 59); partly at t=11, 12 (x0 = 55, 61); gone at t=13 (x0 = 67)
    assert segs["the green triangle leaves on the right"] == (11 / 8, 13 / 8)
    assert segs["the green triangle moves right"] == (1 / 8, 13 / 8)
    tr = tracks(spec)
    assert [r[0] for r in tr["o2"]] == list(range(1, 13))
    assert tr["o2"][-1] == [12, 61, 45, 64, 55]
    assert tr["o2"][0] == [1, 0, 45, 5, 55]
    assert videos.plan(spec) == {"objects": [{"shape": "circle", "color": "red"}, {"shape": "square", "color": "blue"},
                                             {"shape": "triangle", "color": "green"}], "count": 3,
                                 "order": ["red circle", "blue square", "green triangle"]}


def read_mp4(path: Path) -> np.ndarray:
    import av

    with av.open(str(path)) as c:
        return np.stack([f.to_ndarray(format="rgb24") for f in c.decode(video=0)])


def test_write_video_round_trip(tmp_path: Path) -> None:
    spec = videos.sample_video(np.random.default_rng(2), "easy")
    frames = render_video(spec)
    path = videos.write_video(tmp_path / "clip.mp4", frames, fps=8)
    back = read_mp4(path)
    assert back.shape == frames.shape
    assert np.abs(back.astype(float) - frames).mean() < 4.0
    import av

    with av.open(str(path)) as c:
        assert float(c.streams.video[0].average_rate) == 8.0
    odd = np.zeros((3, 15, 21, 3), np.uint8)
    assert read_mp4(videos.write_video(tmp_path / "odd.mp4", odd, 8)).shape == (3, 16, 22, 3)
    folder = videos.write_frames(tmp_path / "frames", frames)
    names = sorted(p.name for p in folder.iterdir())
    assert names == [f"{i:06d}.png" for i in range(len(frames))]
    np.testing.assert_array_equal(np.stack([np.asarray(Image.open(folder / n)) for n in names]), frames)
    with pytest.raises(ValueError, match=r"\(T, H, W, 3\)"):
        videos.write_video(tmp_path / "bad.mp4", np.zeros((4, 8, 8), np.uint8))
    with pytest.raises(ValueError, match="uint8"):
        videos.write_frames(tmp_path / "bad", np.zeros((2, 8, 8, 3), np.float32))
    with pytest.raises(ValueError, match="non-empty"):
        videos.write_video(tmp_path / "empty.mp4", np.zeros((0, 8, 8, 3), np.uint8))


def tiou(a: list[float], b: list[float]) -> float:
    inter = max(0.0, min(a[1], b[1]) - max(a[0], b[0]))
    union = max(a[1], b[1]) - min(a[0], b[0])
    return inter / union


def load(manifest: Path) -> list[dict]:
    return [json.loads(x) for x in manifest.read_text(encoding="utf-8").splitlines()]


def frames_of(manifest: Path, rec: dict) -> np.ndarray:
    folder = manifest.parent / rec["video"]
    return np.stack([np.asarray(Image.open(p)) for p in sorted(folder.iterdir())])


def test_video_dataset_manifest_determinism_and_mp4(tmp_path: Path) -> None:
    m1 = videos.write_video_dataset(tmp_path / "a", 4, seed=3, difficulty="medium", container="frames")
    m2 = videos.write_video_dataset(tmp_path / "b", 4, seed=3, difficulty="medium", container="frames")
    assert m1.read_bytes() == m2.read_bytes()
    recs = load(m1)
    for r in recs:
        assert {"id", "video", "fps", "text", "prompt", "segments", "tracks", "plan", "query", "interval",
                "predictions"} <= set(r)
        np.testing.assert_array_equal(frames_of(m1, r), frames_of(m2, r))
        np.testing.assert_array_equal(frames_of(m1, r), render_video(VideoSpec.from_dict(r["spec"])))
        assert r["query"] in [s["text"] for s in r["segments"]]
        assert [r["query"] == s["text"] for s in r["segments"]].count(True) == 1
        dur = r["spec"]["n_frames"] / r["fps"]
        assert all(0 <= s["start"] < s["end"] <= dur for s in r["segments"])
        scores = [p[2] for p in r["predictions"]]
        assert scores == sorted(scores, reverse=True) and len(scores) == videos.N_PREDICTIONS
        assert tiou(r["predictions"][0], r["interval"]) >= 0.8 - 1e-9  # clean: R@1 at IoU 0.7 holds
        assert r["plan"]["count"] == len(r["plan"]["objects"]) == len(r["tracks"])
        first = {oid: rows[0][0] for oid, rows in r["tracks"].items()}
        ids = sorted(first, key=lambda k: (first[k], int(k[1:])))
        names = {o["id"]: f"{o['color']} {o['shape']}" for o in r["spec"]["objects"]}
        assert r["plan"]["order"] == [names[i] for i in ids]
    mp4 = videos.write_video_dataset(tmp_path / "m", 2, seed=3, difficulty="easy")
    for r in load(mp4):
        assert r["video"].endswith(".mp4")
        back = read_mp4(mp4.parent / r["video"])
        assert back.shape == (r["spec"]["n_frames"], 64, 64, 3)


def test_video_variants_change_what_they_say(tmp_path: Path) -> None:
    n = 6
    man = {v: videos.write_video_dataset(tmp_path / v, n, 21, "medium", v, container="frames")
           for v in videos.VARIANTS}
    recs = {v: load(m) for v, m in man.items()}
    clean = recs["clean"]
    for v in videos.VARIANTS:  # the requested content (text, query, truth) is the same in every variant
        assert [(r["text"], r["query"], r["interval"]) for r in recs[v]] == \
            [(r["text"], r["query"], r["interval"]) for r in clean]

    def motion(v: str, r: dict) -> float:
        f = frames_of(man[v], r).astype(float)
        return float(np.abs(np.diff(f, axis=0)).mean())
    assert all(motion("clean", r) > 0 for r in clean)
    assert all(motion("static", r) == 0 for r in recs["static"])
    assert all(len({tuple(x[1:]) for x in rows}) == 1 for r in recs["static"] for rows in r["tracks"].values())
    # shuffled: the same frames, reordered, and less smooth than the clean clip
    for rs, rc in zip(recs["shuffled"], clean):
        fs, fc = frames_of(man["shuffled"], rs), frames_of(man["clean"], rc)
        order = rs["spec"]["frame_order"]
        assert order != sorted(order)
        np.testing.assert_array_equal(fs, fc[order])
    assert sum(motion("shuffled", r) for r in recs["shuffled"]) > sum(motion("clean", r) for r in clean)

    # flicker: share of (object, frame) pairs whose box holds the object's own colour, per variant
    def identity(v: str) -> float:
        hits = []
        for r in recs[v]:
            f = frames_of(man[v], r)
            for o in r["spec"]["objects"]:
                rgb = np.array(PALETTE[o["color"]], np.uint8)
                for t, x0, y0, x1, y1 in r["tracks"][o["id"]]:
                    hits.append(bool(np.all(f[t, y0:y1, x0:x1] == rgb, axis=-1).any()))
        return float(np.mean(hits))
    assert identity("clean") > 0.97 and identity("flicker") < 0.75
    # offset: the top predictions miss the truth; clean ones hit it
    assert all(tiou(r["predictions"][0], r["interval"]) >= 0.8 - 1e-9 for r in clean)
    assert all(max(tiou(p, r["interval"]) for p in r["predictions"]) <= 1 / 9 + 1e-9 for r in recs["offset"])


def test_video_edge_cases(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="variant"):
        videos.write_video_dataset(tmp_path, 1, variant="melted")
    with pytest.raises(ValueError, match="container"):
        videos.write_video_dataset(tmp_path, 1, container="gif")
    with pytest.raises(ValueError, match="n_frames"):
        videos.VideoDifficulty(n_frames=(1, 1))
    with pytest.raises(ValueError, match="fps"):
        render_video(VideoSpec([], fps=float("nan")))
    with pytest.raises(ValueError, match="shape"):
        render_video(VideoSpec([{"id": "o0", "shape": "hexagon", "color": "red", "size": 8, "motion": "static",
                                 "x": 5.0, "y": 5.0}]))
    with pytest.raises(ValueError, match="permutation"):
        render_video(VideoSpec([], n_frames=3, frame_order=[0, 0, 1]))
    empty = videos.write_video_dataset(tmp_path / "vidéos", 0, 1)
    assert empty.read_text(encoding="utf-8") == ""
    blank = render_video(VideoSpec([], 16, 16, 4))
    assert blank.shape == (4, 16, 16, 3) and (blank == blank[0, 0, 0]).all()
    assert videos.caption(VideoSpec([])) == "An empty scene."
    assert videos.segments(VideoSpec([])) == [] and videos.plan(VideoSpec([]))["count"] == 0
