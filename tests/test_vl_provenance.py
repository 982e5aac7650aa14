"""Provenance checks of issue #18 (survey section 6.3): C2PA validation (vl_image.rate_validate) and invisible
watermarks (vl_video.watermark_bit_acc / watermark_payload / watermark_cost).

C2PA states are checked against c2pa.Reader's own validation_state and codes on images signed here with a local CA;
watermark numbers against hand-built fixtures, scipy's Hamming distance, a numpy PSNR and Pillow directly."""
from __future__ import annotations

import io
import math
from pathlib import Path

import numpy as np
import pytest

from synthaudit.errors import InputError
from synthaudit.verify import watermark as W
from synthaudit.verify.c2pa_check import C2paStatus, c2pa_status, meets, sign_image, validation_rate

pytest.importorskip("c2pa")
pytest.importorskip("imwatermark")


# ------------------------------------------------------------------------------------------------ C2PA helpers
from synthaudit.verify.c2pa_local import make_local_ca as make_test_ca  # noqa: E402


@pytest.fixture(scope="module")
def ca(tmp_path_factory):
    return make_test_ca(tmp_path_factory.mktemp("ca"))


def _image(path: Path, fmt: str) -> Path:
    from PIL import Image

    rng = np.random.default_rng(3)
    Image.fromarray((rng.random((48, 64, 3)) * 255).astype(np.uint8)).save(path, fmt)
    return path


@pytest.fixture(params=[("PNG", ".png", "image/png"), ("JPEG", ".jpg", "image/jpeg")], ids=["png", "jpeg"])
def signed(request, tmp_path, ca):
    fmt, ext, mime = request.param
    src = _image(tmp_path / f"src{ext}", fmt)
    dst = sign_image(src, tmp_path / f"signed{ext}", ca[1], ca[2], title="génération ✓")
    return src, dst, mime


def _reader_state(data: bytes, mime: str, anchors: str | None = None) -> tuple[str, dict]:
    """The raw c2pa.Reader answer, read independently of c2pa_check."""
    import c2pa

    settings = c2pa.Settings.from_dict({"trust": {"user_anchors": anchors}} if anchors else {})
    with c2pa.Context(settings=settings) as ctx, c2pa.Reader(mime, io.BytesIO(data), None, ctx) as r:
        return r.get_validation_state(), r.get_active_manifest()


def _tamper(data: bytes, mime: str) -> bytes:
    """Flip one bit in each of 8 bytes of image data (PNG: inside the last IDAT; JPEG: scan data before EOI),
    avoiding 0xFE/0xFF so no JPEG marker is created."""
    start = data.rfind(b"IDAT") + 8 if mime == "image/png" else len(data) - 40
    out, done, i = bytearray(data), 0, start
    while done < 8:
        if out[i] not in (0xFE, 0xFF):
            out[i] ^= 0x01
            done += 1
        i += 1
    return bytes(out)


# --------------------------------------------------------------------------------------------------- C2PA tests
def test_signed_image_is_valid_and_matches_reader(signed):
    from PIL import Image

    src, dst, mime = signed
    status = c2pa_status(dst)
    raw_state, manifest = _reader_state(dst.read_bytes(), mime)
    assert raw_state == "Valid" and status.state == "valid"
    assert "signingCredential.untrusted" in status.failure_codes
    assert "claimSignature.validated" in status.success_codes
    assert status.active_manifest == manifest["label"] and status.active_manifest.startswith("urn:c2pa:")
    assert status.claim_generator.startswith("synthaudit/")
    assert status.claim_version == 2 and status.extra["title"] == "génération ✓" and status.sdk_version
    assert meets(status, "valid") and meets(status, "well_formed") and not meets(status, "trusted")
    # signing adds metadata only: the pixels are unchanged
    assert np.array_equal(np.asarray(Image.open(src)), np.asarray(Image.open(dst)))
    # bytes and path give the same answer
    assert c2pa_status(dst.read_bytes(), mime).state == "valid"


def test_trust_anchor_gives_trusted_and_does_not_leak(signed, ca, tmp_path):
    _, dst, mime = signed
    trusted = c2pa_status(dst, trust_anchors_pem=ca[0])
    assert trusted.state == "trusted" and trusted.trust_anchors
    assert _reader_state(dst.read_bytes(), mime, ca[0])[0] == "Trusted"
    assert "signingCredential.untrusted" not in trusted.failure_codes
    assert meets(trusted, "trusted")
    # the next call without anchors is back to valid: no global trust state was left behind
    assert c2pa_status(dst).state == "valid"
    other_ca = make_test_ca(tmp_path, cn="another CA")[0]
    assert c2pa_status(dst, trust_anchors_pem=other_ca).state == "valid"
    assert c2pa_status(dst, trust_anchors_pem=ca[0]).state == "trusted"
    assert c2pa_status(dst).state == "valid"


def test_tampered_pixels_are_invalid(signed):
    _, dst, mime = signed
    bad = _tamper(dst.read_bytes(), mime)
    status = c2pa_status(bad, mime)
    assert _reader_state(bad, mime)[0] == "Invalid"
    assert status.state == "invalid" and "assertion.dataHash.mismatch" in status.failure_codes
    assert "dataHash.mismatch" in status.detail
    assert not meets(status, "well_formed")


def test_unsigned_and_corrupt_inputs_do_not_raise(signed, tmp_path):
    src, dst, mime = signed
    assert c2pa_status(src).state == "no_manifest"
    data = dst.read_bytes()
    text = tmp_path / "notes.txt"
    text.write_text("not an image, ünïcode")
    cases = [c2pa_status(b"", mime), c2pa_status(b"plain text", mime), c2pa_status(text),
             c2pa_status(np.random.default_rng(0).bytes(500)), c2pa_status(data[: len(data) // 3], mime),
             c2pa_status(data[:10], mime)]
    for status in cases:
        assert status.state in ("no_manifest", "invalid") and status.detail
        assert not meets(status, "well_formed")
    assert cases[0].state == "no_manifest"


def test_c2pa_input_errors(signed, ca, tmp_path):
    src, dst, _ = signed
    with pytest.raises(InputError, match="missing.png"):
        c2pa_status(tmp_path / "missing.png")
    with pytest.raises(ValueError, match="trust_anchors_pem"):
        c2pa_status(dst, trust_anchors_pem="not a certificate")
    with pytest.raises(ValueError, match="file path or bytes"):
        c2pa_status(123)
    with pytest.raises(ValueError, match="MIME"):
        c2pa_status(dst, mime="png")
    with pytest.raises(ValueError, match="differ"):
        sign_image(src, src, ca[1], ca[2], title="t")
    with pytest.raises(ValueError, match="cert_chain_pem"):
        sign_image(src, tmp_path / "o.png", "junk", ca[2], title="t")
    with pytest.raises(ValueError, match="title"):
        sign_image(src, tmp_path / "o.png", ca[1], ca[2], title="")


def test_self_signed_leaf_is_refused(tmp_path):
    ca_pem, chain, key = make_test_ca(tmp_path, self_signed_leaf=True)
    src = _image(tmp_path / "a.png", "PNG")
    with pytest.raises(InputError, match="refused.*self-signed"):
        sign_image(src, tmp_path / "b.png", chain, key, title="t")
    assert not (tmp_path / "b.png").exists()


def test_custom_assertion_is_recorded(tmp_path, ca):
    src = _image(tmp_path / "a.png", "PNG")
    dst = sign_image(src, tmp_path / "b.png", ca[1], ca[2], title="t", claim_generator="my-gen",
                     assertions=[{"label": "org.synthaudit.model", "data": {"model": "tiny-ü", "seed": 7}}])
    status = c2pa_status(dst)
    assert status.state == "valid" and status.claim_generator.startswith("my-gen/")
    _, manifest = _reader_state(dst.read_bytes(), "image/png")
    found = {a["label"]: a.get("data") for a in manifest["assertions"]}
    assert found["org.synthaudit.model"] == {"model": "tiny-ü", "seed": 7}
    with pytest.raises(ValueError, match="label"):
        sign_image(src, tmp_path / "c.png", ca[1], ca[2], title="t", assertions=[{"data": {}}])


def test_meets_and_validation_rate_by_hand():
    states = ["trusted", "valid", "invalid", "no_manifest", "well_formed"]
    statuses = [C2paStatus(s) for s in states]
    table = {"well_formed": [1, 1, 0, 0, 1], "valid": [1, 1, 0, 0, 0], "trusted": [1, 0, 0, 0, 0]}
    for min_state, expected in table.items():
        assert [int(meets(s, min_state)) for s in statuses] == expected
        assert validation_rate(statuses, min_state) == pytest.approx(sum(expected) / 5)
    assert math.isnan(validation_rate([], "valid"))
    with pytest.raises(ValueError, match="min_state"):
        meets(statuses[0], "invalid")
    with pytest.raises(ValueError, match="C2paStatus"):
        validation_rate(["valid"])


# -------------------------------------------------------------------------------------------- watermark helpers
@pytest.fixture(scope="module")
def photos():
    from skimage import data, transform

    return [(transform.resize(getattr(data, n)(), (256, 256), anti_aliasing=True) * 255).round().astype(np.uint8)
            for n in ("astronaut", "coffee", "chelsea")]


@pytest.fixture(scope="module")
def payload():
    return np.random.default_rng(11).random(64) < 0.5


@pytest.fixture(scope="module")
def marked(photos, payload):
    return {m: [W.embed_image(p, payload, m) for p in photos] for m in W.METHODS}


# ---------------------------------------------------------------------------------------------- watermark tests
def test_bit_accuracy_by_hand_and_scipy():
    from scipy.spatial.distance import hamming

    bits, dec = np.array([1, 0, 1, 1]), np.array([True, True, True, False])
    assert W.bit_accuracy(bits, dec) == 0.5 == 1 - hamming(bits, dec.astype(int))
    rng = np.random.default_rng(0)
    a, b = rng.random(64) < 0.5, rng.random(64) < 0.5
    assert W.bit_accuracy(a, b) == pytest.approx(1 - hamming(a, b))
    assert W.bit_accuracy(a, a) == 1.0 and W.bit_accuracy(a, ~a) == 0.0
    assert W.bit_accuracy(a, None) == 0.0  # failed decode = all bits wrong
    with pytest.raises(ValueError, match="length"):
        W.bit_accuracy(a, b[:10])


def test_no_attack_recovers_payload(photos, payload, marked):
    accs = {m: [W.bit_accuracy(payload, W.decode_image(x, 64, m)) for x in marked[m]] for m in W.METHODS}
    # dwtDctSvd: measured 1.0 on all three photos
    assert min(accs["dwtDctSvd"]) >= 0.97
    # dwtDct is fragile even unattacked (measured 0.95 / 0.64 / 0.81): above chance on average, not exact
    assert np.mean(accs["dwtDct"]) > 0.7
    for m in W.METHODS:
        for p, x in zip(photos, marked[m]):
            assert x.dtype == np.uint8 and x.shape == p.shape and not np.array_equal(x, p)
    # an unmarked photo decodes to about chance against the payload
    assert 0.3 < np.mean([W.bit_accuracy(payload, W.decode_image(p, 64, "dwtDctSvd")) for p in photos]) < 0.7


def test_jpeg_q50_breaks_dwtdct_not_svd(payload, marked):
    acc = {m: float(np.mean([W.bit_accuracy(payload, W.decode_image(x, 64, m))
                             for x in W.attack(marked[m], "jpeg_q50")])) for m in W.METHODS}
    # measured: dwtDctSvd 0.78, dwtDct 0.48
    assert acc["dwtDctSvd"] > acc["dwtDct"] + 0.15
    assert abs(acc["dwtDct"] - 0.5) < 0.15
    assert acc["dwtDctSvd"] > 0.65


def test_video_majority_vote(photos, payload):
    other = payload.copy()
    other[:20] = ~other[:20]  # bits 0-19 differ between the two payloads
    frames_a = W.embed_video([photos[0]] * 4, payload)
    frames_b = W.embed_video([photos[0]] * 2, other)
    per_frame = [W.decode_image(f, 64) for f in frames_a + frames_b]
    assert all(W.bit_accuracy(payload, d) == 1.0 for d in per_frame[:4])
    # 4 votes for payload against 2 for other: the majority is the payload
    assert np.array_equal(W.decode_video(frames_a + frames_b, 64), payload)
    # 3 against 3: ties go to 0, so the vote is payload AND other (by hand: agree -> that bit, differ -> 0)
    tie = W.decode_video(frames_a[:3] + frames_b + [W.embed_image(photos[0], other)], 64)
    assert np.array_equal(tie, payload & other)
    assert not tie[:20].any() and np.array_equal(tie[20:], payload[20:])
    # 6-frame video with the same payload on three different photos
    video = W.embed_video(photos * 2, payload)
    assert W.bit_accuracy(payload, W.decode_video(video, 64)) >= 0.97


def test_video_failed_decode_and_bad_input(photos, payload):
    small = [np.zeros((64, 64, 3), np.uint8)] * 3
    assert W.decode_video(small, 64) is None and W.bit_accuracy(payload, W.decode_video(small, 64)) == 0.0
    with pytest.raises(ValueError, match="256"):
        W.embed_image(small[0], payload)
    with pytest.raises(ValueError, match="uint8"):
        W.embed_image(photos[0].astype(np.float32), payload)
    with pytest.raises(ValueError, match="height, width, 3"):
        W.decode_image(photos[0][..., 0], 64)
    with pytest.raises(ValueError, match="non-empty"):
        W.embed_image(photos[0], np.array([], bool))
    with pytest.raises(ValueError, match="0/1"):
        W.embed_image(photos[0], np.array([0, 2, 1]))
    with pytest.raises(ValueError, match="0/1"):
        W.embed_image(photos[0], np.array([0.0, np.nan]))
    with pytest.raises(ValueError, match="method"):
        W.embed_image(photos[0], payload, "rivaGan")
    with pytest.raises(ValueError, match="fewer than"):
        W.embed_image(photos[0], np.ones(2000, bool))
    with pytest.raises(ValueError, match="n_bits"):
        W.decode_image(photos[0], 0)
    with pytest.raises(ValueError, match="non-empty list"):
        W.decode_video([], 64)
    with pytest.raises(ValueError, match="same shape"):
        W.embed_video([photos[0], photos[0][:200]], payload)


def test_attacks_against_direct_computation(photos):
    from PIL import Image

    frames = [photos[0], photos[1]] * 3
    assert set(W.ATTACKS) >= {"none", "jpeg_q90", "jpeg_q50", "center_crop_0.5", "resize_0.5",
                              "gaussian_noise_0.02", "h264_crf28", "frame_drop"}
    for name in W.ATTACKS:
        out = W.attack(frames, name)
        assert all(f.dtype == np.uint8 and f.shape == photos[0].shape for f in out)
    dropped = W.attack(frames, "frame_drop")
    assert len(dropped) == 3 and all(np.array_equal(f, photos[0]) for f in dropped)
    buf = io.BytesIO()
    Image.fromarray(photos[1]).save(buf, "JPEG", quality=90)
    assert np.array_equal(W.attack([photos[1]], "jpeg_q90")[0], np.asarray(Image.open(buf).convert("RGB")))
    # centre crop: a frame whose centre half (rows/cols 64..191) is 200 and border 0 becomes all 200
    box = np.zeros((256, 256, 3), np.uint8)
    box[64:192, 64:192] = 200
    assert np.all(W.attack([box], "center_crop_0.5")[0] == 200)
    const = np.full((256, 256, 3), 90, np.uint8)
    assert np.all(W.attack([const], "resize_0.5")[0] == 90)
    gray = np.full((256, 256, 3), 128, np.uint8)
    n1, n2 = W.attack([gray], "gaussian_noise_0.02", seed=1)[0], W.attack([gray], "gaussian_noise_0.02", seed=1)[0]
    assert np.array_equal(n1, n2) and not np.array_equal(n1, W.attack([gray], "gaussian_noise_0.02", seed=2)[0])
    assert np.std(n1.astype(float) - 128) == pytest.approx(0.02 * 255, rel=0.05)
    with pytest.raises(ValueError, match="unknown attack"):
        W.attack(frames, "blur")


def test_h264_attack_runs_and_mpeg4_fallback(photos, payload):
    video = W.embed_video(photos * 2, payload)
    codec, options = W.h264_codec()
    assert codec in ("libx264", "mpeg4")
    attacked = W.attack(video, "h264_crf28")
    assert len(attacked) == 6 and attacked[0].shape == video[0].shape
    assert 20 < W.watermark_cost(video, attacked) < math.inf  # lossy but close
    acc = W.bit_accuracy(payload, W.decode_video(attacked, 64))
    assert 0.0 <= acc <= 1.0
    fallback = W.reencode(video[:2], "mpeg4")
    assert len(fallback) == 2 and 20 < W.watermark_cost(video[:2], fallback) < math.inf
    odd = [np.ascontiguousarray(f[:255, :253]) for f in video[:2]]
    assert W.reencode(odd, codec, options)[0].shape == (255, 253, 3)


def test_watermark_cost_against_numpy(photos, marked):
    from skimage.metrics import structural_similarity

    for m in W.METHODS:
        mse = [np.mean((a.astype(float) - b.astype(float)) ** 2) for a, b in zip(photos, marked[m])]
        expected = float(np.mean([10 * np.log10(255 ** 2 / e) for e in mse]))
        cost = W.watermark_cost(photos, marked[m])
        assert cost == pytest.approx(expected, rel=1e-9)
        assert 30 < cost < math.inf  # measured about 36-40 dB
        ssim = W.watermark_cost(photos, marked[m], "ssim")
        assert 0.9 < ssim < 1.0  # measured about 0.97
        assert ssim == pytest.approx(np.mean([structural_similarity(a, b, channel_axis=2, data_range=255,
                                                                    gaussian_weights=True, sigma=1.5,
                                                                    use_sample_covariance=False)
                                              for a, b in zip(photos, marked[m])]), abs=1e-9)
    assert W.watermark_cost(photos, photos) == math.inf
    assert W.watermark_cost(photos, photos, "ssim") == pytest.approx(1.0)
    mad = W.watermark_cost(photos, marked["dwtDctSvd"], lambda a, b: np.abs(a.astype(int) - b).mean())
    assert mad == pytest.approx(np.mean([np.abs(a.astype(int) - b).mean() for a, b in zip(photos,
                                                                                           marked["dwtDctSvd"])]))
    with pytest.raises(ValueError, match="must match"):
        W.watermark_cost(photos, photos[:2])
    with pytest.raises(ValueError, match="distortion"):
        W.watermark_cost(photos, photos, "lpips")
