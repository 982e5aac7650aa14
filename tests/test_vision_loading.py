"""Loading image-text records (issue #18, survey section 6.2): JSONL manifests with relative paths, image folders
with ``<name>.txt`` captions, DataFrames holding bytes or ``data:`` URIs, Hugging Face ``Image()`` datasets;
unreadable media listed and never fatal; one clear error when no image field exists; unicode; inputs untouched.

Every decoded image is compared with the array Pillow wrote (PNG is lossless), every caption with the text written.
"""
from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from synthaudit.data.vision import VisionOptions, decode_image, load_media
from synthaudit.data.vision_prepare import prepare_vision
from synthaudit.errors import InputError
from vision_helpers import png_bytes, write_jsonl


def _img(seed: int, size: int = 24) -> np.ndarray:
    return (np.random.default_rng(seed).random((size, size + 8, 3)) * 255).astype(np.uint8)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture()
def manifest(tmp_path):
    """Three images under a sub-folder, a manifest beside it with relative paths, a unicode file name and caption."""
    (tmp_path / "imgs").mkdir()
    names = ["a.png", "b.png", "café ☕ 图.png"]
    arrays = [_img(i) for i in range(3)]
    for n, a in zip(names, arrays):
        (tmp_path / "imgs" / n).write_bytes(png_bytes(a))
    rows = [{"id": f"r{i}", "image": f"imgs/{n}", "caption": t, "objects": ["cat", "dog"] if i == 0 else ["cup"]}
            for i, (n, t) in enumerate(zip(names, ["a cat and a dog", "a cup", "un café ☕ sur la table, 猫"]))]
    return write_jsonl(tmp_path / "manifest.jsonl", rows), arrays, rows


def test_jsonl_manifest_relative_paths_unicode(manifest, tmp_path, monkeypatch):
    path, arrays, rows = manifest
    before = _sha(path)
    monkeypatch.chdir(tmp_path / "imgs")  # relative paths resolve against the manifest's folder, not the cwd
    mset = load_media(str(path), "synthetic")
    assert len(mset) == 3 and mset.unreadable == []
    assert mset.frame["id"].tolist() == ["r0", "r1", "r2"]
    assert mset.frame["text"].tolist() == [r["caption"] for r in rows]  # "caption" is an alias of text
    assert mset.frame["objects"].tolist()[0] == ["cat", "dog"]  # structured values parsed
    for src, arr in zip(mset.sources, arrays):
        assert Path(src).is_absolute()
        np.testing.assert_array_equal(decode_image(src), arr)
    assert _sha(path) == before  # the input file is not modified


def test_image_folder_with_captions(tmp_path):
    arrays = [_img(10 + i) for i in range(3)]
    for n, a in zip(["x1", "x2", "ü-3"], arrays):
        (tmp_path / f"{n}.png").write_bytes(png_bytes(a))
    (tmp_path / "x1.txt").write_text("  the first caption \n", encoding="utf-8")
    (tmp_path / "ü-3.txt").write_text("légende ✓", encoding="utf-8")
    (tmp_path / "notes.md").write_text("not an image", encoding="utf-8")
    mset = load_media(str(tmp_path), "synthetic")
    assert mset.frame["id"].tolist() == ["x1", "x2", "ü-3"]  # name order, non-images ignored
    texts = [t if isinstance(t, str) else None for t in mset.column("text")]  # a missing caption is NaN / None
    assert texts == ["the first caption", None, "légende ✓"]
    for src, arr in zip(mset.sources, arrays):
        np.testing.assert_array_equal(decode_image(src), arr)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(InputError, match="holds no image files"):
        load_media(str(empty), "synthetic")


def test_dataframe_with_bytes_and_data_uri():
    a, b, c = _img(20), _img(21), _img(22)
    uri = "data:image/png;base64," + base64.b64encode(png_bytes(b)).decode()
    df = pd.DataFrame({"img": [png_bytes(a), uri, {"bytes": png_bytes(c), "path": None}],
                       "text": ["bytes", "uri", "dict"]})
    mset = load_media(df, "synthetic")
    assert mset.unreadable == []
    for src, arr in zip(mset.sources, (a, b, c)):
        np.testing.assert_array_equal(decode_image(src), arr)
    bad = pd.DataFrame({"image": ["data:image/png;base64,@@notbase64@@", png_bytes(a)[:40]], "text": ["x", "y"]})
    got = load_media(bad, "synthetic")
    assert [u["row"] for u in got.unreadable] == [1, 2] and got.sources == [None, None]
    assert "base64" in got.unreadable[0]["reason"] and got.unreadable[0]["source"].endswith("...")


def test_huggingface_dataset_image_feature():
    datasets = pytest.importorskip("datasets", reason="Hugging Face datasets is not installed")
    from PIL import Image

    arrays = [_img(30 + i) for i in range(3)]
    ds = datasets.Dataset.from_dict({"image": [Image.fromarray(a) for a in arrays], "text": ["p", "q", "r"]},
                                    features=datasets.Features({"image": datasets.Image(),
                                                                "text": datasets.Value("string")}))
    mset = load_media(ds, "synthetic")
    assert len(mset) == 3 and mset.unreadable == [] and mset.column("text") == ["p", "q", "r"]
    for src, arr in zip(mset.sources, arrays):
        np.testing.assert_array_equal(decode_image(src), arr)


def test_truncated_and_missing_media_listed_never_fatal(tmp_path):
    import synthaudit

    good = [_img(40 + i) for i in range(3)]
    for i, a in enumerate(good):
        (tmp_path / f"g{i}.png").write_bytes(png_bytes(a))
    whole = png_bytes(_img(49, 48))
    (tmp_path / "trunc.png").write_bytes(whole[: len(whole) // 2])
    rows = [{"id": f"g{i}", "image": f"g{i}.png", "text": "a picture"} for i in range(3)]
    rows += [{"id": "t", "image": "trunc.png", "text": "half a file"}, {"id": "m", "image": "gone.png", "text": "?"}]
    path = write_jsonl(tmp_path / "m.jsonl", rows)
    before = _sha(path)
    mset = load_media(str(path), "synthetic")
    assert [(u["row"], u["id"]) for u in mset.unreadable] == [(4, "t"), (5, "m")]
    assert "file not found" in mset.unreadable[1]["reason"] and "gone.png" in mset.unreadable[1]["source"]
    assert mset.sources[3] is None and mset.sources[4] is None and len(mset) == 5

    rep = synthaudit.audit("image_text", synthetic=str(path), metrics=["vl_image.wfr"], out=tmp_path / "out")
    wfr = rep.result("vl_image.wfr")
    assert wfr.status == "ok" and wfr.value == pytest.approx(3 / 5)  # the two unreadable records are ill-formed
    assert {b["id"] for b in wfr.breakdown} == {"t", "m"}
    assert any("2 of 5 images cannot be read" in w for w in rep.warnings)
    doc = json.loads((tmp_path / "out" / "report.json").read_text(encoding="utf-8"))
    listed = doc["data_summary"]["synthetic"]["unreadable_media"]
    assert [u["row"] for u in listed] == [4, 5] and all(u["reason"] for u in listed)
    assert doc["data_summary"]["synthetic"]["with_image"] == 3
    assert _sha(path) == before


def test_no_image_field_and_empty_manifest(tmp_path):
    path = write_jsonl(tmp_path / "noimg.jsonl", [{"text": "a caption", "answer": "2"}])
    with pytest.raises(InputError) as err:
        load_media(str(path), "synthetic")
    msg = str(err.value)
    assert "noimg.jsonl" in msg and "--image-field" in msg and "no image field" in msg
    with pytest.raises(InputError, match="--image-field"):
        load_media(str(path), "synthetic", VisionOptions(media_field="picture"))
    empty = tmp_path / "empty.jsonl"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(InputError, match="empty.jsonl"):
        load_media(str(empty), "synthetic")
    with pytest.raises(InputError, match="synthetic"):
        prepare_vision(modality="image_text", kind="image", synthetic=None)


def test_prepare_roles_and_custom_fields(manifest):
    path, _, _ = manifest
    inputs = prepare_vision(modality="image_text", kind="image", synthetic=str(path), text_field="caption")
    assert inputs.extra["images"] is True and inputs.extra["labels"] is True
    assert inputs.extra["prompts"] is None and inputs.extra["gold_answers"] is None
    assert inputs.extra["data_summary"]["synthetic"]["records"] == 3
    assert inputs.tables["synthetic"].n_rows == 3
