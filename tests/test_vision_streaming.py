"""Streamed image-text and video-text audits (issue #13, "streaming everywhere"; survey sections 6.2-6.3): with
``stream=True`` the manifests are read batch by batch (their media checked and decoded per batch) and every
record / mergeable metric gives the in-memory audit's status, value, secondary values, breakdown and notes.

Reference: the in-memory audit of the same manifests (itself checked against independent implementations in
tests/test_image_text_audit.py and tests/test_video_text_audit.py). One exception, stated where it applies: the
class probabilities behind the Inception Score and D_sem come from the classifier head's float32 matrix product,
whose rounding depends on how many images go through the network at once (about 1e-8 on a probability), so those
two values agree to 1e-7 relative rather than bit for bit.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import synthaudit
from synthaudit.data.tabular import Table
from synthaudit.errors import InputError
from vision_helpers import png_bytes, write_jsonl

IM, V = "vl_image.", "vl_video."
#: values from the classifier head's probabilities (see the module docstring): compared to 1e-7 relative
BATCH_ROUNDED = {IM + "inception_score", V + "d_sem"}
#: image rows; row 6 (the second batch of 3) names a missing file
N_IMAGES, MISSING_ROW = 7, 6
IMAGE_STREAMING = [IM + m for m in ("wfr", "fid", "inception_score", "rouge", "meteor", "acc_qa", "win_rate",
                                   "score_div", "refusal_rate", "refusal_rate_benign", "asr", "ssim", "psnr",
                                   "div_seq", "fidelity_subj", "rate_validate")]
IMAGE_PARAMS = {IM + "asr": {"engagement": "non_refusal"}, IM + "inception_score": {"splits": 1}}
VIDEO_STREAMING = [V + m for m in ("schema_adherence_rate", "recall_at_k_iou", "identity_consistency", "fvd",
                                   "u_control", "motion_score", "d_sem", "hcr", "watermark_bit_acc",
                                   "watermark_payload")]
VIDEO_OPTIONS = {"frames": 4, "watermark_key": "hex:5a17c3e9", "params": {V + "d_sem": {"splits": 1}}}


def _img(seed: int, shape=(24, 32, 3)) -> np.ndarray:
    return (np.random.default_rng(seed).random(shape) * 255).astype(np.uint8)


def _same(a, b) -> None:
    """The streamed audit ``b`` reports what the in-memory audit ``a`` does, metric by metric."""
    assert [(g.id, g.reason) for g in a.gaps] == [(g.id, g.reason) for g in b.gaps]
    assert a.data_summary == b.data_summary
    for m in a.metrics:
        s = b.result(m.id)
        assert (s.status, s.error) == (m.status, m.error), m.id
        if m.id in BATCH_ROUNDED:
            assert s.value == pytest.approx(m.value, rel=1e-7, abs=0), m.id
        else:
            assert (s.value, s.secondary, s.breakdown, s.notes) == (m.value, m.secondary, m.breakdown, m.notes), m.id


@pytest.fixture(scope="module")
def models():
    from synthaudit.audit.api import resolve_models

    return resolve_models(None)  # one EfficientNet-Lite0 for every audit of this file


@pytest.fixture(scope="module")
def images(tmp_path_factory) -> tuple[Path, Path]:
    """A synthetic manifest using every offline image-text field (sequences, subject and reference images, QA,
    safety, outcomes) whose row 6 names a missing file, and a real manifest of the same images shifted by one."""
    root = tmp_path_factory.mktemp("stream_images")
    for i in range(N_IMAGES):
        (root / f"{i}.png").write_bytes(png_bytes(_img(i)))
    rows = []
    for i in range(N_IMAGES):
        rows.append({"id": f"r{i}", "image": f"{i}.png", "text": ["a cat on a table", "i am sorry but i cannot help",
                                                                  "a dog next to a car"][i % 3],
                     "reference": "a cat sitting on the table", "prompt": f"request {i}", "objects": ["cat"],
                     "question": "how many cats?", "answer": ["1", "one"], "prediction": "1" if i % 3 else "2",
                     "outcome": ["win", "tie", "loss"][i % 3], "safety": ["unsafe", "benign"][i % 2],
                     "diversity_score": i / 10, "reference_image": f"{(i + 2) % N_IMAGES}.png",
                     "subject_image": [f"{(i + 1) % N_IMAGES}.png"]})
    rows[1]["sequence"] = [{"text": "first"}, {"image": "0.png"}, {"image": "2.png"}]
    rows[4]["sequence"] = [{"image": "3.png"}, {"text": "then"}, {"image": "absent-step.png"}]
    rows[MISSING_ROW - 1]["image"] = "missing.png"
    syn = write_jsonl(root / "syn.jsonl", rows)
    real = write_jsonl(root / "real.jsonl", [{"id": f"q{i}", "image": f"{(i + 1) % N_IMAGES}.png"}
                                              for i in range(N_IMAGES)])
    return syn, real


@pytest.fixture(scope="module")
def image_reports(images, models):
    syn, real = images
    kw = dict(synthetic=str(syn), real=str(real), models=models, params=IMAGE_PARAMS)
    return synthaudit.audit("image_text", **kw), synthaudit.audit("image_text", stream=True, batch_size=3, **kw)


@pytest.fixture(scope="module")
def videos(tmp_path_factory) -> tuple[Path, Path]:
    """4 generated mp4 clips (row 4 names a missing file, rows 2-3 adversarial with a verdict) and 3 real clips
    as PNG frame folders."""
    from synthaudit.generate.vision.videos import write_video_dataset

    root = tmp_path_factory.mktemp("stream_videos")
    syn = write_video_dataset(root / "syn", 4, seed=2)
    real = write_video_dataset(root / "real", 3, seed=1, container="frames")
    rows = [json.loads(line) for line in syn.read_text(encoding="utf-8").splitlines()]
    rows[1].update(safety="unsafe", flagged=True)
    rows[2].update(safety="unsafe", flagged=False)
    rows[3]["video"] = "videos/absent.mp4"
    write_jsonl(syn, rows)
    return syn, real


@pytest.fixture(scope="module")
def video_reports(videos, models):
    syn, real = videos
    kw = dict(synthetic=str(syn), real=str(real), models=models, **VIDEO_OPTIONS)
    return synthaudit.audit("video_text", **kw), synthaudit.audit("video_text", stream=True, batch_size=2, **kw)


# ------------------------------------------------------------------------------------------------ (a) equal values
def test_streamed_image_audit_equals_in_memory(image_reports):
    mem, streamed = image_reports
    ran = {m.id for m in mem.metrics if m.status == "ok"}
    assert set(IMAGE_STREAMING) <= ran  # every offline streaming metric ran (a gap would compare nothing)
    _same(mem, streamed)
    assert mem.result(IM + "fid").value > 0 and mem.result(IM + "div_seq").value is not None


def test_streamed_video_audit_equals_in_memory(video_reports):
    mem, streamed = video_reports
    assert set(VIDEO_STREAMING) <= {m.id for m in mem.metrics if m.status == "ok"}
    _same(mem, streamed)
    assert streamed.data_summary["synthetic"]["unreadable_media"][0]["row"] == 4
    assert streamed.data_summary["synthetic"]["with_video"] == 3


def test_streamed_audit_reads_the_manifest_in_batches(images, monkeypatch):
    """The manifest is read as batches of batch_size rows (the records reach the metrics 3 at a time)."""
    from synthaudit.metrics.image_text.fidelity import RougeMetric

    seen: list[int] = []
    score = RougeMetric.score
    monkeypatch.setattr(RougeMetric, "score", lambda self, batch, *a: seen.append(len(batch)) or score(self, batch, *a))
    synthaudit.audit("image_text", synthetic=str(images[0]), stream=True, batch_size=3, metrics=[IM + "rouge"])
    assert seen == [3, 3, 1]


# ------------------------------------------------------------------------------------------------ (b) never whole
def _refuse_frame(monkeypatch, *paths: Path) -> None:
    """Table.frame() raises for the given files: an audit that loads one of them whole fails."""
    names = {str(p) for p in paths}
    frame = Table.frame

    def guarded(self):
        if self.path in names or self.label in names:
            raise AssertionError(f"{self.label} was loaded whole")
        return frame(self)

    monkeypatch.setattr(Table, "frame", guarded)
    with pytest.raises(AssertionError, match="loaded whole"):  # the guard bites
        Table.from_any(next(iter(names)), "x", stream=True).frame()


def test_streamed_image_role_is_never_loaded_whole(images, image_reports, models, monkeypatch):
    syn, real = images
    _refuse_frame(monkeypatch, syn, real)
    rep = synthaudit.audit("image_text", synthetic=str(syn), real=str(real), models=models, params=IMAGE_PARAMS,
                           stream=True, batch_size=2, metrics=IMAGE_STREAMING)
    mem = image_reports[0]
    for mid in IMAGE_STREAMING:
        got, want = rep.result(mid), mem.result(mid)
        assert got.status == "ok" and got.value == pytest.approx(want.value, rel=1e-7, abs=0), mid
    assert rep.figures  # the report figures read their few records back batch by batch too


def test_streamed_video_role_is_never_loaded_whole(videos, video_reports, models, monkeypatch):
    syn, real = videos
    _refuse_frame(monkeypatch, syn, real)
    metrics = [V + "schema_adherence_rate", V + "motion_score", V + "fvd", V + "hcr"]
    rep = synthaudit.audit("video_text", synthetic=str(syn), real=str(real), models=models, stream=True,
                           batch_size=3, metrics=metrics, **VIDEO_OPTIONS)
    for mid in metrics:
        got, want = rep.result(mid), video_reports[0].result(mid)
        assert got.status == "ok" and got.value == want.value, mid


# ------------------------------------------------------------------------------------------------ (c) bad records
def test_missing_image_in_a_later_batch_names_its_manifest_row(images, image_reports):
    mem, streamed = image_reports
    for rep in (mem, streamed):
        wfr = rep.result(IM + "wfr")
        bad = {b["row"]: b for b in wfr.breakdown}
        assert sorted(bad) == [5, MISSING_ROW]  # row 5: a dangling sequence step; row 6: the missing image
        assert bad[MISSING_ROW]["id"] == "r5"
        assert any(p.startswith("image: file not found") and "missing.png" in p for p in bad[MISSING_ROW]["problems"])
        listed = rep.data_summary["synthetic"]["unreadable_media"]
        assert [(u["row"], u["field"]) for u in listed] == [(MISSING_ROW, "image")]
        assert rep.data_summary["synthetic"]["records"] == N_IMAGES
        assert sum("1 of 7 images cannot be read" in w for w in rep.warnings) == 1


def test_streamed_manifest_errors_name_the_file_and_field(tmp_path):
    path = write_jsonl(tmp_path / "noimg.jsonl", [{"text": "a caption"}] * 3)
    with pytest.raises(InputError) as err:
        synthaudit.audit("image_text", synthetic=str(path), stream=True, batch_size=2)
    assert "noimg.jsonl" in str(err.value) and "--image-field" in str(err.value)
    with pytest.raises(InputError, match="--image-field"):
        synthaudit.audit("image_text", synthetic=str(path), image_field="picture", stream=True)


def test_streamed_folder_and_dataframe_of_bytes(tmp_path, models):
    """An image folder (captions beside the images) and a DataFrame of PNG bytes stream as manifests do."""
    import pandas as pd

    for i in range(5):
        (tmp_path / f"x{i}.png").write_bytes(png_bytes(_img(50 + i)))
        (tmp_path / f"x{i}.txt").write_text(f"caption {i}", encoding="utf-8")
    frame = pd.DataFrame({"image": [png_bytes(_img(60 + i)) for i in range(5)] + [b"not a png"],
                          "text": [f"t{i}" for i in range(6)]})
    for data in (str(tmp_path), frame):
        kw = dict(synthetic=data, real=str(tmp_path), models=models, metrics=[IM + "wfr", IM + "fid"])
        mem, streamed = synthaudit.audit("image_text", **kw), synthaudit.audit("image_text", stream=True,
                                                                                batch_size=2, **kw)
        _same(mem, streamed)
    assert streamed.data_summary["synthetic"]["unreadable"] == 1


def test_streamed_huggingface_image_dataset(models):
    """A Hugging Face dataset with an ``Image()`` feature (embedded bytes, read through Arrow) streams too."""
    datasets = pytest.importorskip("datasets", reason="Hugging Face datasets is not installed")
    from PIL import Image

    ds = datasets.Dataset.from_dict({"image": [Image.fromarray(_img(70 + i)) for i in range(5)],
                                     "text": [f"a picture {i}" for i in range(5)]},
                                    features=datasets.Features({"image": datasets.Image(),
                                                                "text": datasets.Value("string")}))
    kw = dict(synthetic=ds, real=ds, models=models, metrics=[IM + "wfr", IM + "fid"])
    mem, streamed = synthaudit.audit("image_text", **kw), synthaudit.audit("image_text", stream=True, batch_size=2,
                                                                            **kw)
    _same(mem, streamed)
    assert streamed.result(IM + "fid").value == pytest.approx(0.0, abs=1e-6)
    assert streamed.data_summary["synthetic"]["with_image"] == 5
