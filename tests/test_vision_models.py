"""Vision backends (survey section 6.2; vl_image.fid / inception_score / fidelity_subj / fidelity_prompt,
vl_video.fvd / d_sem / motion_score / video_quality).

References: EfficientNet-Lite0 against its own package called directly on inputs the test prepares (PIL + numpy)
and ImageNet labels of scikit-image's cat and coffee photos; tiny random-weight ViT / CLIP models the test saves,
against the transformers model called directly and torchmetrics' CLIPScore; tiny TorchScript modules with the
published call signatures, against calling them directly and closed forms; Farneback flow against squares moved
by a known number of pixels.
"""
from __future__ import annotations

import json
import threading
import time

import numpy as np
import pytest
from PIL import Image
from skimage import data

torch = pytest.importorskip("torch")
nn = torch.nn

from synthaudit.errors import InputError  # noqa: E402
from synthaudit.models import vision_torchscript as vts  # noqa: E402
from synthaudit.models.flow import FARNEBACK_NAME, backend_name, farneback_flow, motion_score  # noqa: E402
from synthaudit.models.vision import (  # noqa: E402
    IMAGENET_MEAN,
    IMAGENET_STD,
    CLIPBackend,
    EfficientNetLite0,
    HFImageFeatures,
    OfflineVideoFeatures,
    prefetch,
)
from vision_helpers import make_tiny_clip  # noqa: E402

pytestmark = [pytest.mark.filterwarnings("ignore:`torch.jit.script` is deprecated:DeprecationWarning"),
              pytest.mark.filterwarnings("ignore:`torch.jit.load` is deprecated:DeprecationWarning")]


def crops(n: int, size: int = 48) -> list[np.ndarray]:
    """Real photo crops (scikit-image samples), distinct and deterministic."""
    src = [data.astronaut(), data.chelsea(), data.coffee(), data.rocket()]
    out = []
    for i in range(n):
        img = src[i % len(src)]
        y, x = 7 * i % (img.shape[0] - size), 11 * i % (img.shape[1] - size)
        out.append(np.ascontiguousarray(img[y:y + size, x:x + size]))
    return out


# ----------------------------------------------------------------------------------------------- prefetch
def test_prefetch_order_bound_errors_and_close():
    assert list(prefetch(iter(range(50)), depth=3)) == list(range(50))
    assert list(prefetch([], depth=1)) == []
    produced = []

    def gen():
        for i in range(40):
            produced.append(i)
            yield i

    it = prefetch(gen(), depth=2)
    assert next(it) == 0
    time.sleep(0.2)
    # the consumer holds item 0; the queue holds at most 2; the producer may hold one more it cannot put
    assert len(produced) <= 1 + 2 + 1
    it.close()
    time.sleep(0.2)
    assert len(produced) <= 5  # the producer stopped

    def bad():
        yield 1
        yield 2
        raise RuntimeError("decode failed on item 3")

    got = []
    with pytest.raises(RuntimeError, match="item 3"):
        for v in prefetch(bad(), depth=4):
            got.append(v)
    assert got == [1, 2]
    with pytest.raises(ValueError, match="depth"):
        list(prefetch([1], depth=0))
    names = []
    list(prefetch((names.append(threading.current_thread().name) or i for i in range(3)), depth=1))
    assert names and all(n == "synthaudit-prefetch" for n in names)  # produced in the background thread


# ----------------------------------------------------------------------------------------------- EfficientNet
@pytest.fixture(scope="module")
def eff():
    return EfficientNetLite0()


def direct_efficientnet(model, images):
    """Features and probabilities from the package's network on inputs prepared here (PIL bilinear 224 + ImageNet
    normalisation), NCHW, via its own forward() for the logits."""
    x = np.stack([((np.asarray(Image.fromarray(im).resize((224, 224), Image.Resampling.BILINEAR), np.float32) / 255
                    - np.array(IMAGENET_MEAN, np.float32)) / np.array(IMAGENET_STD, np.float32)).transpose(2, 0, 1)
                  for im in images])
    net = model._model
    with torch.inference_mode():
        t = torch.from_numpy(np.ascontiguousarray(x))
        feats = nn.AdaptiveAvgPool2d(1)(net.extract_features(t)).flatten(1)
        probs = torch.softmax(net(t).double(), dim=1)
    return feats.double().numpy(), probs.numpy()


def test_efficientnet_imagenet_predictions(eff):
    _, probs = eff.embed([data.chelsea(), data.coffee()])
    top5 = np.argsort(-probs, axis=1)[:, :5]
    assert set(top5[0]) & set(range(281, 286)), top5[0]  # tabby / tiger / Persian / Siamese / Egyptian cat
    assert 281 <= top5[0][0] <= 285
    assert set(top5[1]) & {504, 967, 968}, top5[1]  # coffee mug / espresso / cup
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-9)
    assert "EfficientNet-Lite0" in eff.name and "bilinear" in eff.name and "ImageNet mean/std" in eff.name
    assert eff.preprocessing["size"] == [224, 224] and eff.preprocessing["mean"] == list(IMAGENET_MEAN)
    json.dumps(eff.preprocessing)


def test_efficientnet_matches_direct_call(eff):
    images = crops(5, 64) + [data.chelsea()]
    feats, probs = eff.embed(images, batch_size=4)
    ref_f, ref_p = direct_efficientnet(eff, images)
    assert feats.shape == (6, 1280) and probs.shape == (6, 1000) and feats.dtype == np.float64
    np.testing.assert_allclose(feats, ref_f, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(probs, ref_p, rtol=1e-3, atol=1e-6)
    f2, p2 = eff.embed(images, batch_size=4)
    np.testing.assert_array_equal(feats, f2)  # deterministic
    np.testing.assert_allclose(eff.features(images[:2]), feats[:2], atol=1e-4)
    np.testing.assert_allclose(eff.probabilities(images[:2]), probs[:2], atol=1e-6)


def test_efficientnet_streams_generators_and_files(eff, tmp_path):
    images = crops(7, 40)
    calls = []
    feats, _ = eff.embed((im for im in images), batch_size=3, progress=calls.append)
    assert calls == [3, 6, 7]
    one_by_one = np.concatenate([eff.embed([im])[0] for im in images])
    np.testing.assert_allclose(feats, one_by_one, atol=1e-4)  # order kept across batches
    paths = []
    for i, im in enumerate(images[:2]):
        Image.fromarray(im).save(tmp_path / f"im{i}.png")
        paths.append(tmp_path / f"im{i}.png")
    np.testing.assert_allclose(eff.embed(paths)[0], feats[:2], atol=1e-4)  # lossless PNG: same pixels
    (tmp_path / "broken.png").write_bytes(b"not an image")
    with pytest.raises(InputError, match="broken.png"):
        eff.embed([tmp_path / "broken.png"])

    def failing():
        yield images[0]
        raise OSError("disk read error")

    with pytest.raises(OSError, match="disk read error"):
        eff.embed(failing())
    f0, p0 = eff.embed([])
    assert f0.shape == (0, 1280) and p0.shape == (0, 1000)


@pytest.mark.parametrize("bad, msg", [
    (np.zeros((8, 8, 3), np.float32), "uint8"),
    (np.zeros((8, 8), np.uint8), "H x W x 3"),
    (np.zeros((8, 8, 4), np.uint8), "H x W x 3"),
    (np.zeros((0, 8, 3), np.uint8), "empty"),
    ([[1, 2, 3]], "numpy"),
    (np.full((8, 8, 3), np.nan), "uint8"),
])
def test_efficientnet_rejects_bad_images(eff, bad, msg):
    with pytest.raises(ValueError, match=msg):
        eff.embed([crops(1)[0], bad])


def test_efficientnet_missing_weights(tmp_path):
    with pytest.raises(InputError, match="weights not found"):
        EfficientNetLite0(weights=tmp_path / "none.pth")


# ----------------------------------------------------------------------------------------------- HF ViT
@pytest.fixture(scope="module")
def tiny_vit(tmp_path_factory):
    from transformers import ViTConfig, ViTImageProcessor, ViTModel

    path = tmp_path_factory.mktemp("vit")
    torch.manual_seed(0)
    model = ViTModel(ViTConfig(image_size=32, patch_size=8, hidden_size=32, num_hidden_layers=1,
                               num_attention_heads=2, intermediate_size=37)).eval()
    model.save_pretrained(path)
    ViTImageProcessor(size={"height": 32, "width": 32}).save_pretrained(path)
    return path, model


def test_hf_image_features_match_model(tiny_vit):
    path, model = tiny_vit
    images = crops(5, 48) + [np.full((20, 30, 3), 128, np.uint8)]  # includes a constant, non-square image
    backend = HFImageFeatures(str(path))
    feats = backend.features(images, batch_size=4)
    assert feats.shape == (6, 32) and feats.dtype == np.float64
    np.testing.assert_array_equal(feats, backend.features(images, batch_size=2))  # deterministic, batch-independent
    # reference: ViTImageProcessor's documented defaults done by hand (PIL bilinear to 32x32, /255, mean=std=0.5)
    x = np.stack([(np.asarray(Image.fromarray(im).resize((32, 32), Image.Resampling.BILINEAR), np.float32) / 255
                   - 0.5) / 0.5 for im in images]).transpose(0, 3, 1, 2)
    with torch.inference_mode():
        out = model(pixel_values=torch.from_numpy(np.ascontiguousarray(x)))
    np.testing.assert_allclose(feats, out.last_hidden_state[:, 0].double().numpy(), atol=1e-5)
    pooled = HFImageFeatures(str(path), pooling="pooled").features(images)
    np.testing.assert_allclose(pooled, out.pooler_output.double().numpy(), atol=1e-5)
    mean = HFImageFeatures(str(path), pooling="mean").features(images)
    np.testing.assert_allclose(mean, out.last_hidden_state.mean(dim=1).double().numpy(), atol=1e-5)
    assert "CLS" in backend.name and backend.preprocessing["processor"].startswith("ViTImageProcessor")
    assert backend.features([]).shape[0] == 0
    with pytest.raises(ValueError, match="pooling"):
        HFImageFeatures(str(path), pooling="max")
    with pytest.raises(ValueError, match="uint8"):
        backend.features([images[0].astype(float)])


# ----------------------------------------------------------------------------------------------- CLIP
@pytest.fixture(scope="module")
def tiny_clip(tmp_path_factory):
    return make_tiny_clip(tmp_path_factory.mktemp("clip"))


def test_clip_embeddings_and_cosine(tiny_clip):
    from transformers import CLIPModel, CLIPProcessor

    clip = CLIPBackend(str(tiny_clip))
    images = crops(6, 40)
    texts = ["a red cat", "a dog", "cat dog cat", "red red dog", "a cat", "café ☕ 猫"]
    img, txt = clip.image_embeddings(images), clip.text_embeddings(texts)
    assert img.shape == (6, 16) and txt.shape == (6, 16)
    np.testing.assert_allclose(np.linalg.norm(img, axis=1), 1.0, atol=1e-12)
    np.testing.assert_allclose(np.linalg.norm(txt, axis=1), 1.0, atol=1e-12)
    cos = clip.cosine(images, texts)
    np.testing.assert_allclose(cos, np.sum(img * txt, axis=1), atol=1e-12)
    # reference 1: the model's own forward: logits_per_image = exp(logit_scale) * cosine
    model, proc = CLIPModel.from_pretrained(tiny_clip).eval(), CLIPProcessor.from_pretrained(tiny_clip)
    enc = proc(text=texts, images=images, return_tensors="pt", padding=True)
    with torch.no_grad():
        out = model(**enc)
        ref = (torch.diagonal(out.logits_per_image) / model.logit_scale.exp()).double().numpy()
    np.testing.assert_allclose(cos, ref, atol=1e-5)
    # reference 2: torchmetrics CLIPScore = 100 * max(cos, 0), averaged; pairs with positive cosine only.
    # torchmetrics 1.9 expects get_*_features to return tensors (transformers 4); transformers 5 returns a model
    # output, so the callable hands it the same model with those two methods returning .pooler_output.
    from torchmetrics.multimodal.clip_score import CLIPScore

    class Tensors(CLIPModel):
        def get_image_features(self, *a, **k):
            return super().get_image_features(*a, **k).pooler_output

        def get_text_features(self, *a, **k):
            return super().get_text_features(*a, **k).pooler_output

    pos = [i for i in range(len(cos)) if cos[i] > 0.01]
    assert pos, cos
    metric = CLIPScore(model_name_or_path=lambda: (Tensors.from_pretrained(tiny_clip).eval(),
                                                   CLIPProcessor.from_pretrained(tiny_clip)))
    score = metric([torch.from_numpy(images[i]).permute(2, 0, 1) for i in pos], [texts[i] for i in pos])
    assert float(score.detach()) / 100 == pytest.approx(float(np.mean(cos[pos])), abs=1e-5)
    assert clip.max_length == 77 and clip.preprocessing["text_truncation"] == 77


def test_clip_truncation_and_bad_input(tiny_clip):
    clip = CLIPBackend(str(tiny_clip))
    long_a, long_b = "cat " * 100, "cat " * 90 + "dog " * 10  # equal in their first 75 tokens
    a, b, c = clip.text_embeddings([long_a, long_b, "cat " * 10 + "dog"])
    np.testing.assert_allclose(a, b, atol=1e-12)  # both truncated to <bos> + 75 tokens + <eos>
    assert not np.allclose(a, c)
    assert clip.text_embeddings([""]).shape == (1, 16)
    assert clip.text_embeddings([]).shape == (0, 16) and clip.cosine([], []).shape == (0,)
    with pytest.raises(ValueError, match="2 images and 1 texts"):
        clip.cosine(crops(2), ["a cat"])
    with pytest.raises(ValueError, match="string"):
        clip.text_embeddings(["ok", None])


# ----------------------------------------------------------------------------------------------- TorchScript
class Inception(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 7, stride=8)
        self.fc = nn.Linear(8, 2048)

    def forward(self, x: torch.Tensor, return_features: bool = False) -> torch.Tensor:
        f = self.fc(torch.relu(self.conv(x)).mean(dim=(2, 3)))
        return f if return_features else f[:, :1008]


class I3D(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv3d(3, 6, 3, stride=2)

    def forward(self, x: torch.Tensor, rescale: bool = False, resize: bool = False,
                return_features: bool = False) -> torch.Tensor:
        f = torch.tanh(self.conv(x)).mean(dim=(2, 3, 4))
        if rescale or resize or not return_features:
            f = f * 0.0
        return f


class RAFT(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(6, 2, 3, padding=1)

    def forward(self, img1: torch.Tensor, img2: torch.Tensor) -> list[torch.Tensor]:
        flow = self.conv(torch.cat([img1, img2], dim=1)) * 3.0
        return [flow * 0.5, flow]


class LPIPS(nn.Module):
    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return ((x - y) ** 2).mean(dim=(1, 2, 3), keepdim=True)


class MaxQuality(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.amax(dim=(1, 2, 3)).unsqueeze(1)


def save(module, path):
    torch.manual_seed(3)
    torch.jit.script(module().eval()).save(str(path))
    return torch.jit.load(str(path))


def test_torchscript_image_features(tmp_path):
    direct = save(Inception, tmp_path / "inception-2015-12-05.pt")
    loader = vts.TorchScriptImageFeatures(tmp_path / "inception-2015-12-05.pt")
    images = crops(3, 64) + [data.chelsea()]
    feats = loader.features(images, batch_size=3)
    x = np.stack([np.asarray(Image.fromarray(im).resize((299, 299), Image.Resampling.BICUBIC), np.float32)
                  for im in images]).transpose(0, 3, 1, 2)  # clean-fid: PIL bicubic, float 0..255, NCHW
    with torch.no_grad():
        ref = direct(torch.from_numpy(np.ascontiguousarray(x)), return_features=True).double().numpy()
    assert feats.shape == (4, 2048)
    np.testing.assert_allclose(feats, ref, rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(feats, loader.features(images, batch_size=3))  # deterministic
    other = vts.TorchScriptImageFeatures(tmp_path / "inception-2015-12-05.pt", value_range="0-1")
    assert not np.allclose(other.features(images[:1]), feats[:1], atol=1e-3)  # the value range reaches the model
    assert "inception-2015-12-05.pt" in loader.name and "bicubic" in loader.name
    assert loader.preprocessing["value_range"] == "0-255"
    with pytest.raises(ValueError, match="value_range"):
        vts.TorchScriptImageFeatures(tmp_path / "inception-2015-12-05.pt", value_range="0-2")


def test_torchscript_video_features(tmp_path):
    direct = save(I3D, tmp_path / "i3d_torchscript.pt")
    loader = vts.TorchScriptVideoFeatures(tmp_path / "i3d_torchscript.pt", frames=16, size=32)
    videos = [np.stack(crops(20, 40)), np.stack(crops(20, 40)[::-1])]

    def clip(video, idx):
        fr = [np.asarray(Image.fromarray(video[t]).resize((32, 32), Image.Resampling.BILINEAR), np.float32) / 127.5 - 1
              for t in idx]
        return np.stack(fr).transpose(3, 0, 1, 2)  # 3 x T x H x W in [-1, 1]

    x = np.stack([clip(v, range(16)) for v in videos])
    assert x.min() >= -1 and x.max() <= 1
    with torch.no_grad():
        ref = direct(torch.from_numpy(np.ascontiguousarray(x)), rescale=False, resize=False,
                     return_features=True).double().numpy()
    feats = loader.features(videos)
    assert feats.shape == (2, 6) and np.abs(ref).sum() > 0
    np.testing.assert_allclose(feats, ref, atol=1e-5)
    np.testing.assert_array_equal(feats, loader.features(videos))
    uni = vts.TorchScriptVideoFeatures(tmp_path / "i3d_torchscript.pt", frames=16, size=32, sampling="uniform")
    idx = np.round(np.linspace(0, 19, 16)).astype(int)
    with torch.no_grad():
        ref_u = direct(torch.from_numpy(np.ascontiguousarray(clip(videos[0], idx)[None])), return_features=True)
    np.testing.assert_allclose(uni.features(videos[:1]), ref_u.double().numpy(), atol=1e-5)
    with pytest.raises(ValueError, match="needs 16"):
        loader.features([videos[0][:10]])
    with pytest.raises(ValueError, match="frames differ in shape"):
        loader.features([[videos[0][0], crops(1, 32)[0]] * 8])


def test_torchscript_flow_and_motion(tmp_path):
    direct = save(RAFT, tmp_path / "raft.pt")
    loader = vts.TorchScriptFlow(tmp_path / "raft.pt", size=(24, 32))
    frames = crops(4, 40)
    x = [np.asarray(Image.fromarray(f).resize((32, 24), Image.Resampling.BILINEAR), np.float32) / 127.5 - 1
         for f in frames]
    x = torch.from_numpy(np.stack(x).transpose(0, 3, 1, 2).copy())
    with torch.no_grad():
        ref = direct(x[:-1], x[1:])[-1].double().numpy().transpose(0, 2, 3, 1)  # the last (final) flow
    flows = loader.flows(frames)
    assert flows.shape == (3, 24, 32, 2)
    np.testing.assert_allclose(flows, ref, atol=1e-5)
    np.testing.assert_allclose(loader.flow(frames[0], frames[1]), ref[0], atol=1e-5)
    score = motion_score(frames, backend=loader)
    assert score == pytest.approx(float(np.mean(np.hypot(ref[..., 0], ref[..., 1]))), rel=1e-6)
    assert backend_name(loader) == loader.name and "raft.pt" in loader.name

    class Coarse(nn.Module):  # a RAFT returning 1/8-resolution flow is not accepted silently
        def forward(self, img1: torch.Tensor, img2: torch.Tensor) -> torch.Tensor:
            return (img1 - img2)[:, :2, ::8, ::8]

    save(Coarse, tmp_path / "coarse.pt")
    with pytest.raises(ValueError, match="N x 2 x H x W"):
        vts.TorchScriptFlow(tmp_path / "coarse.pt", size=32).flows(frames[:2])


def test_torchscript_lpips_closed_form(tmp_path):
    save(LPIPS, tmp_path / "lpips.pt")
    loader = vts.TorchScriptLPIPS(tmp_path / "lpips.pt")
    a = crops(3, 32) + [crops(5, 24)[4]]
    b = crops(6, 32)[3:] + [crops(5, 24)[0]]
    d = loader.distance(a, b)
    ref = [np.mean((x.astype(np.float64) / 127.5 - y.astype(np.float64) / 127.5) ** 2) for x, y in zip(a, b)]
    np.testing.assert_allclose(d, ref, rtol=1e-5)  # inputs in [-1, 1]: (x - y) = (a - b) / 127.5
    assert loader.distance(a[:1], a[:1])[0] == 0.0
    assert loader.distance([], []).shape == (0,)
    with pytest.raises(ValueError, match="shapes differ"):
        loader.distance([a[0]], [a[3]])
    with pytest.raises(ValueError, match="got 2 and 1"):
        loader.distance(a[:2], b[:1])
    resized = vts.TorchScriptLPIPS(tmp_path / "lpips.pt", size=16).distance([a[0]], [a[3]])
    assert resized.shape == (1,) and resized[0] > 0


def test_torchscript_frame_quality(tmp_path):
    save(MaxQuality, tmp_path / "maxq.pt")
    q = vts.TorchScriptFrameQuality(tmp_path / "maxq.pt", size=(16, 16), dimension="imaging_quality")
    frames = [np.full((16, 16, 3), v, np.uint8) for v in (0, 51, 255)]
    frames[1][3, 4, 2] = 204
    np.testing.assert_allclose(q.frame_scores(frames), [0.0, 0.8, 1.0], atol=1e-6)  # max pixel / 255
    np.testing.assert_allclose(q.video_quality([frames, frames[:1]]), [0.6, 0.0], atol=1e-6)
    assert "imaging_quality" in q.name

    class Raw(nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return x.amax(dim=(1, 2, 3))

    save(Raw, tmp_path / "raw.pt")
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        vts.TorchScriptFrameQuality(tmp_path / "raw.pt", size=16, value_range="0-255").frame_scores(frames)


def test_torchscript_missing_and_broken_files(tmp_path):
    with pytest.raises(InputError, match="not found"):
        vts.TorchScriptLPIPS(tmp_path / "absent.pt")
    (tmp_path / "junk.pt").write_bytes(b"\x00junk")
    with pytest.raises(InputError, match="junk.pt"):
        vts.TorchScriptFlow(tmp_path / "junk.pt")


# ----------------------------------------------------------------------------------------------- offline video
def test_offline_video_features(eff, tiny_vit):
    v1 = np.stack(crops(5, 32))
    v2 = np.stack([crops(1, 32)[0]] * 4)  # static
    off = OfflineVideoFeatures(eff, frames=3)
    feats, probs = off.embed([v1, list(v2)])
    f1, p1 = eff.embed([v1[0], v1[2], v1[4]])  # uniform: round(linspace(0, 4, 3)) = 0, 2, 4
    np.testing.assert_allclose(feats[0], np.concatenate([f1.mean(0), np.abs(np.diff(f1, axis=0)).mean(0)]),
                               atol=1e-4)
    np.testing.assert_allclose(probs[0], p1.mean(0), atol=1e-6)
    assert feats.shape == (2, 2560) and np.all(feats[1, 1280:] == 0)  # a static video has no temporal term
    # float32 inference: a batch of one video and a batch of two may take other CPU kernels (last-bit differences,
    # seen at 1e-8 on some CPUs)
    np.testing.assert_allclose(off.video_probabilities([v1]), probs[:1], rtol=1e-5, atol=1e-7)
    assert "not I3D" in off.name and "not C3D" in off.classifier_name
    short = OfflineVideoFeatures(eff, frames=16).features([v1])  # fewer frames than asked: all 5 frames
    f5, _ = eff.embed(list(v1))
    np.testing.assert_allclose(short[0, :1280], f5.mean(0), atol=1e-4)
    assert off.features([]).shape == (0, 2560)
    with pytest.raises(ValueError, match="at least 2 frames"):
        off.features([v1[:1]])
    with pytest.raises(ValueError, match="no frames"):
        off.features([[]])
    with pytest.raises(ValueError, match="frames must be >= 2"):
        OfflineVideoFeatures(eff, frames=1)
    vit = OfflineVideoFeatures(HFImageFeatures(str(tiny_vit[0])), frames=4)
    assert vit.features([v1]).shape == (1, 64)
    with pytest.raises(ValueError, match="no classifier"):
        vit.video_probabilities([v1])


# ----------------------------------------------------------------------------------------------- flow
def moving_square(k: int, frames: int = 4, n: int = 96, sq: int = 40, scale: int = 1):
    """A textured square (cat fur) moved right by exactly k pixels per frame on a textured background."""
    bg = data.astronaut()[100:100 + n * scale, 150:150 + n * scale].copy()
    tex = data.chelsea()[50:50 + sq * scale, 100:100 + sq * scale]
    out, masks = [], []
    for t in range(frames):
        f = bg.copy()
        x0, y0 = (16 + k * t) * scale, 28 * scale
        f[y0:y0 + sq * scale, x0:x0 + sq * scale] = tex
        out.append(f)
        m = np.zeros((n, n), bool)
        m[28 + 8:28 + sq - 8, 16 + k * t + 8:16 + k * t + sq - 8] = True  # interior, 8 px (~winsize/2) in
        masks.append(m)
    return out, masks


@pytest.mark.parametrize("k", [1, 2, 4])
def test_farneback_recovers_translation(k):
    frames, masks = moving_square(k)
    for a, b, m in zip(frames[:-1], frames[1:], masks[:-1]):
        flow = farneback_flow(a, b, size=(96, 96))
        assert flow.shape == (96, 96, 2)
        mag = np.hypot(flow[..., 0], flow[..., 1])[m]
        assert mag.mean() == pytest.approx(k, rel=0.05, abs=0.05)  # tolerance: 5 % (measured within 2 %)
        assert abs(flow[..., 1][m].mean()) < 0.05  # no vertical motion
        assert flow[..., 0][m].mean() > 0  # rightwards


def test_motion_score_static_faster_and_resolution():
    static, _ = moving_square(0)
    assert motion_score(static, size=(96, 96)) < 1e-2
    scores = [motion_score(moving_square(k)[0], size=(96, 96)) for k in (1, 2, 4)]
    assert scores[0] < scores[1] < scores[2]
    flows = [farneback_flow(a, b, (96, 96)) for a, b in zip(static[:-1], static[1:])]
    frames = moving_square(2)[0]
    flows = [farneback_flow(a, b, (96, 96)) for a, b in zip(frames[:-1], frames[1:])]
    by_hand = np.mean([np.mean(np.sqrt(f[..., 0] ** 2 + f[..., 1] ** 2)) for f in flows])
    assert motion_score(frames, size=(96, 96)) == pytest.approx(by_hand, rel=1e-6)
    # flow is in pixels of the resized frames: a 2x larger video moving 4 px/frame, scored at 96 px, moves ~2 px
    big, masks = moving_square(2, scale=2)
    flow = farneback_flow(big[0], big[1], size=(96, 96))
    assert np.hypot(flow[..., 0], flow[..., 1])[masks[0]].mean() == pytest.approx(2, rel=0.1)
    assert "Farneback" in FARNEBACK_NAME and "winsize 15" in backend_name()


def test_flow_rejects_bad_input():
    frames, _ = moving_square(1, frames=2)
    with pytest.raises(ValueError, match="at least 2 frames"):
        motion_score(frames[:1])
    with pytest.raises(ValueError, match="differ in shape"):
        farneback_flow(frames[0], frames[1][:50])
    with pytest.raises(ValueError, match="backend"):
        motion_score(frames, backend="raft")
    with pytest.raises(ValueError, match="uint8"):
        motion_score([f.astype(np.float32) for f in frames])
    with pytest.raises(ValueError, match="at least 8"):
        farneback_flow(frames[0], frames[1], size=(4, 4))
