"""Pure image/video statistics for issue #18 (survey 6.2): KID / MMD^2, SSIM / PSNR / MSE, Inception Score, temporal
grounding recall and the Frechet closed forms.

References: torchmetrics (KernelInceptionDistance, StructuralSimilarityIndexMeasure, PeakSignalNoiseRatio,
InceptionScore, each fed precomputed features through an identity module or float64 tensors), scikit-image
(structural_similarity, peak_signal_noise_ratio), scikit-learn (polynomial_kernel, mean_squared_error), scipy
(entropy, sqrtm, ndimage), explicit double loops and hand-worked fixtures.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy import linalg, ndimage
from scipy.special import softmax
from scipy.stats import entropy
from skimage import data as skdata
from skimage.metrics import peak_signal_noise_ratio, structural_similarity
from sklearn.datasets import load_sample_images
from sklearn.metrics import mean_squared_error
from sklearn.metrics.pairwise import polynomial_kernel as sk_polynomial_kernel

from synthaudit.stats.frechet import GaussianStats, frechet_from_stats
from synthaudit.stats.image_quality import mse, psnr, psnr_batch, ssim, ssim_batch
from synthaudit.stats.inception_score import IsState, inception_score
from synthaudit.stats.intervals import r_at_k_avg, recall_at_k, temporal_iou
from synthaudit.stats.kernel_mmd import kid, median_bandwidth, mmd2_rbf, mmd2_unbiased, polynomial_kernel

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


class Identity(torch.nn.Module):
    """Feature extractor for torchmetrics that returns its input (precomputed features / logits)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x


# --------------------------------------------------------------------------------------------------- kernel MMD / KID

def _loop_mmd2(kxx: np.ndarray, kyy: np.ndarray, kxy: np.ndarray) -> float:
    m, n = kxx.shape[0], kyy.shape[0]
    sxx = sum(kxx[i, j] for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
    syy = sum(kyy[i, j] for i in range(n) for j in range(n) if i != j) / (n * (n - 1))
    sxy = sum(kxy[i, j] for i in range(m) for j in range(n)) / (m * n)
    return sxx + syy - 2 * sxy


def test_mmd2_unbiased_matches_double_loop_unequal_sizes():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(5, 3)), rng.normal(0.5, 1.0, size=(7, 3))
    kxx, kyy, kxy = (sk_polynomial_kernel(a, b, degree=3, coef0=1) for a, b in ((x, x), (y, y), (x, y)))
    assert mmd2_unbiased(kxx, kyy, kxy) == pytest.approx(_loop_mmd2(kxx, kyy, kxy), rel=1e-12)


def test_mmd2_unbiased_rejects_bad_shapes():
    k3, k4 = np.ones((3, 3)), np.ones((4, 4))
    with pytest.raises(ValueError, match="K_xy must have shape"):
        mmd2_unbiased(k3, k4, np.ones((4, 3)))
    with pytest.raises(ValueError, match="square"):
        mmd2_unbiased(np.ones((3, 2)), k4, np.ones((3, 4)))
    with pytest.raises(ValueError, match="at least 2"):
        mmd2_unbiased(np.ones((1, 1)), k4, np.ones((1, 4)))
    with pytest.raises(ValueError, match="NaN"):
        mmd2_unbiased(np.full((3, 3), np.nan), k4, np.ones((3, 4)))


def test_polynomial_kernel_matches_sklearn_default_gamma():
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(6, 4)), rng.normal(size=(5, 4))
    np.testing.assert_allclose(polynomial_kernel(x, y), sk_polynomial_kernel(x, y, degree=3, gamma=None, coef0=1),
                               rtol=1e-12)
    np.testing.assert_allclose(polynomial_kernel(x, y, degree=2, gamma=0.3, coef0=2.0),
                               sk_polynomial_kernel(x, y, degree=2, gamma=0.3, coef0=2.0), rtol=1e-12)


def _tm_kid(real: np.ndarray, fake: np.ndarray, subsets: int, subset_size: int) -> tuple[float, float]:
    from torchmetrics.image.kid import KernelInceptionDistance

    metric = KernelInceptionDistance(feature=Identity(), subsets=subsets, subset_size=subset_size)
    metric.update(torch.from_numpy(real), real=True)
    metric.update(torch.from_numpy(fake), real=False)
    mean, std = metric.compute()
    return float(mean), float(std)


def test_kid_matches_torchmetrics_with_subsets_covering_all_rows():
    rng = np.random.default_rng(2)
    real, fake = rng.normal(size=(40, 6)), rng.normal(0.3, 1.2, size=(40, 6))
    torch.manual_seed(0)
    tm_mean, tm_std = _tm_kid(real, fake, subsets=3, subset_size=40)
    out = kid(real, fake, subsets=3, subset_size=40)
    assert out["value"] == pytest.approx(tm_mean, rel=1e-10)
    assert out["std"] == pytest.approx(0.0, abs=1e-12) and tm_std == pytest.approx(0.0, abs=1e-10)
    assert out["value"] > 0.01
    assert (out["subsets"], out["subset_size"], out["capped"], out["n_real"], out["n_syn"]) == (3, 40, False, 40, 40)


def test_kid_subset_statistics_match_torchmetrics_draws():
    """Reproduce torchmetrics' own torch.randperm draws: the per-subset MMD^2, mean and std (ddof=0) agree."""
    rng = np.random.default_rng(3)
    real, fake = rng.normal(size=(25, 5)), rng.normal(0.4, 1.0, size=(30, 5))
    torch.manual_seed(11)
    tm_mean, tm_std = _tm_kid(real, fake, subsets=6, subset_size=10)
    torch.manual_seed(11)
    scores = []
    for _ in range(6):
        i = torch.randperm(25)[:10].numpy()
        j = torch.randperm(30)[:10].numpy()
        a, b = real[i], fake[j]
        scores.append(mmd2_unbiased(polynomial_kernel(a, a), polynomial_kernel(b, b), polynomial_kernel(a, b)))
    assert np.mean(scores) == pytest.approx(tm_mean, rel=1e-10)
    assert np.std(scores) == pytest.approx(tm_std, rel=1e-8)


def test_kid_independent_of_row_order_and_capped():
    rng = np.random.default_rng(4)
    real, fake = rng.normal(size=(30, 4)), rng.normal(0.5, 1.0, size=(35, 4))
    a = kid(real, fake, subsets=20, subset_size=12, seed=5)
    b = kid(real[rng.permutation(30)], fake[rng.permutation(35)], subsets=20, subset_size=12, seed=5)
    assert a == b
    assert kid(real, fake, subsets=20, subset_size=12, seed=6)["value"] != a["value"]  # draws do depend on the seed
    capped = kid(real, fake, subsets=2, subset_size=1000)
    assert capped["subset_size"] == 30 and capped["capped"] is True


def test_kid_streamed_subsets_equal_cached_gram(monkeypatch):
    import synthaudit.stats.kernel_mmd as km

    rng = np.random.default_rng(12)
    real, fake = rng.normal(size=(30, 4)), rng.normal(0.5, 1.0, size=(26, 4))
    cached = kid(real, fake, subsets=5, subset_size=15, seed=2)
    monkeypatch.setattr(km, "_GRAM_CACHE_ENTRIES", 0)  # force per-subset kernel matrices
    streamed = kid(real, fake, subsets=5, subset_size=15, seed=2)
    assert streamed["value"] == pytest.approx(cached["value"], rel=1e-12)
    assert streamed["std"] == pytest.approx(cached["std"], rel=1e-10)


def test_kid_near_zero_for_same_distribution_and_grows_with_shift():
    rng = np.random.default_rng(5)
    base = rng.normal(size=(200, 8))
    same = kid(base, rng.normal(size=(200, 8)), subsets=10, subset_size=100)["value"]
    shifted = [kid(base, rng.normal(s, 1.0, size=(200, 8)), subsets=10, subset_size=100)["value"] for s in (0.5, 1, 2)]
    assert abs(same) < 0.02 * shifted[0]
    assert shifted[0] < shifted[1] < shifted[2]


def test_kid_rejects_bad_input():
    x = np.ones((5, 3))
    with pytest.raises(ValueError, match="same width"):
        kid(x, np.ones((5, 4)))
    with pytest.raises(ValueError, match="NaN"):
        kid(np.full((5, 3), np.nan), x)
    with pytest.raises(ValueError, match="at least 2 rows"):
        kid(np.ones((1, 3)), x)
    with pytest.raises(ValueError, match="2-D"):
        kid(np.ones(5), x)


def test_mmd2_rbf_matches_double_loop_and_median_heuristic():
    rng = np.random.default_rng(6)
    x, y = rng.normal(size=(6, 2)), rng.normal(1.0, 1.0, size=(8, 2))
    pooled = np.vstack([x, y])
    dists = [np.linalg.norm(pooled[i] - pooled[j]) for i in range(14) for j in range(i + 1, 14)]
    sigma = float(np.median(dists))
    assert median_bandwidth(x, y) == pytest.approx(sigma, rel=1e-12)

    def k(a, b):
        return np.array([[math.exp(-np.sum((u - v) ** 2) / (2 * sigma ** 2)) for v in b] for u in a])

    assert mmd2_rbf(x, y) == pytest.approx(_loop_mmd2(k(x, x), k(y, y), k(x, y)), rel=1e-10)
    assert mmd2_rbf(x, y, bandwidth=sigma) == pytest.approx(mmd2_rbf(x, y), rel=1e-12)


def test_mmd2_rbf_identical_distribution_and_shift():
    rng = np.random.default_rng(7)
    x = rng.normal(size=(150, 3))
    same = mmd2_rbf(x, rng.normal(size=(150, 3)))
    shifts = [mmd2_rbf(x, rng.normal(s, 1.0, size=(150, 3)), bandwidth=1.5) for s in (0.5, 1.0, 2.0)]
    assert abs(same) < 0.05 * shifts[0]
    assert shifts[0] < shifts[1] < shifts[2]
    const = np.ones((4, 2))
    assert mmd2_rbf(const, const) == pytest.approx(0.0, abs=1e-15)  # all rows identical: bandwidth 1, MMD^2 0
    with pytest.raises(ValueError, match="bandwidth"):
        mmd2_rbf(x, x, bandwidth="silverman")
    with pytest.raises(ValueError, match="bandwidth"):
        mmd2_rbf(x, x, bandwidth=0.0)


# ------------------------------------------------------------------------------------------------ SSIM / PSNR / MSE

def _photos() -> dict[str, np.ndarray]:
    china, flower = load_sample_images().images
    return {"astronaut": skdata.astronaut()[::8, ::8], "camera": skdata.camera()[::8, ::8],
            "china": china[::8, ::8], "flower": flower[::8, ::8]}


def _noisy(img: np.ndarray, seed: int, sd: float = 18.0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.clip(img.astype(float) + rng.normal(0, sd, img.shape), 0, 255).astype(np.uint8)


def _blurred(img: np.ndarray) -> np.ndarray:
    sigma = (1.2, 1.2, 0) if img.ndim == 3 else 1.2
    return ndimage.gaussian_filter(img.astype(float), sigma).round().astype(np.uint8)


def _sk_ssim(a: np.ndarray, b: np.ndarray, data_range: float = 255) -> float:
    return float(structural_similarity(a, b, gaussian_weights=True, sigma=1.5, use_sample_covariance=False,
                                       data_range=data_range, channel_axis=-1 if a.ndim == 3 else None))


def _nchw(img: np.ndarray) -> torch.Tensor:
    t = torch.from_numpy(img.astype(np.float64))
    return (t[None, None] if img.ndim == 2 else t.permute(2, 0, 1)[None]).contiguous()


@pytest.mark.parametrize("name", ["astronaut", "camera", "china", "flower"])
def test_ssim_matches_skimage_and_torchmetrics_on_photos(name):
    from torchmetrics.functional.image import structural_similarity_index_measure as tm_ssim

    ref = _photos()[name]
    for i, other in enumerate((_noisy(ref, 1), _blurred(ref), _noisy(_blurred(ref), 2, 6.0))):
        ours = ssim(other, ref)
        assert ours == pytest.approx(_sk_ssim(other, ref), abs=1e-9)
        assert 0.0 < ours < 1.0
        tm = float(tm_ssim(_nchw(other), _nchw(ref), data_range=255.0))
        assert ssim(other, ref, border="torchmetrics") == pytest.approx(tm, abs=1e-9), (name, i)
        assert abs(ours - tm) > 1e-6  # the two border conventions really differ


def test_ssim_torchmetrics_metric_class_per_image():
    from torchmetrics.image import StructuralSimilarityIndexMeasure

    ref = _photos()["china"]
    other = _noisy(ref, 3)
    metric = StructuralSimilarityIndexMeasure(data_range=255.0).set_dtype(torch.float64)
    assert ssim(other, ref, border="torchmetrics") == pytest.approx(float(metric(_nchw(other), _nchw(ref))), abs=1e-9)


def test_ssim_float_unit_range_channel_axis_and_uniform_window():
    ref = _photos()["astronaut"]
    a, b = ref / 255.0, _noisy(ref, 4) / 255.0
    assert ssim(a, b, data_range=1) == pytest.approx(_sk_ssim(a, b, data_range=1), abs=1e-9)
    assert ssim(a, b, data_range=1) == pytest.approx(ssim(ref, _noisy(ref, 4)), abs=1e-9)  # scale-invariant
    chw_a, chw_b = np.moveaxis(a, -1, 0), np.moveaxis(b, -1, 0)
    assert ssim(chw_a, chw_b, data_range=1, channel_axis=0) == pytest.approx(ssim(a, b, data_range=1), abs=1e-12)
    # colour = mean of per-channel SSIM
    per_channel = [ssim(a[..., c], b[..., c], data_range=1) for c in range(3)]
    assert ssim(a, b, data_range=1) == pytest.approx(np.mean(per_channel), abs=1e-12)
    sk_uniform = structural_similarity(a, b, win_size=7, data_range=1, channel_axis=-1)  # sample covariance
    ours = ssim(a, b, data_range=1, gaussian=False, win_size=7, use_sample_covariance=True)
    assert ours == pytest.approx(float(sk_uniform), abs=1e-9)


def test_ssim_constant_images_closed_form():
    a, b = np.full((32, 32), 100, np.uint8), np.full((32, 32), 150, np.uint8)
    assert ssim(a, a) == pytest.approx(1.0, abs=1e-12)
    c1 = (0.01 * 255) ** 2
    expected = (2 * 100 * 150 + c1) / (100 ** 2 + 150 ** 2 + c1)  # contrast/structure term is C2 / C2 = 1
    assert ssim(a, b) == pytest.approx(expected, abs=1e-9)
    assert ssim(a, b) == pytest.approx(_sk_ssim(a, b), abs=1e-9)
    assert ssim(a, b, border="torchmetrics") == pytest.approx(expected, abs=1e-9)


def test_ssim_bad_input():
    with pytest.raises(ValueError, match=r"smaller than the 11 x 11"):
        ssim(np.zeros((7, 7)), np.zeros((7, 7)))
    with pytest.raises(ValueError, match=r"\(32, 32, 3\) and \(32, 30, 3\)"):
        ssim(np.zeros((32, 32, 3)), np.zeros((32, 30, 3)))
    img = np.zeros((16, 16))
    img[3, 3] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        ssim(img, np.zeros((16, 16)), data_range=1)
    with pytest.raises(ValueError, match="empty"):
        ssim(np.zeros((0, 16)), np.zeros((0, 16)))
    with pytest.raises(ValueError, match="data_range"):
        ssim(np.zeros((16, 16)), np.zeros((16, 16)), data_range=0)
    with pytest.raises(ValueError, match="border"):
        ssim(np.zeros((16, 16)), np.zeros((16, 16)), border="opencv")
    with pytest.raises(ValueError, match="numeric"):
        ssim(np.array([["a"] * 16] * 16), np.zeros((16, 16)))


def test_ssim_batch_equals_single_calls_in_order():
    photos = _photos()
    pairs = [(photos["astronaut"], _noisy(photos["astronaut"], 5)), (photos["china"], _blurred(photos["china"])),
             (photos["flower"], _noisy(photos["flower"], 6)), (photos["astronaut"], photos["astronaut"])]
    got = ssim_batch(pairs)
    assert got == pytest.approx([ssim(a, b) for a, b in pairs], abs=1e-12)
    assert got[3] == pytest.approx(1.0, abs=1e-12)
    assert ssim_batch(pairs, border="torchmetrics")[0] == pytest.approx(ssim(*pairs[0], border="torchmetrics"))
    with pytest.raises(ValueError, match="pair 1"):
        ssim_batch([pairs[0], (photos["china"], photos["flower"][:40])])
    with pytest.raises(ValueError, match="unknown ssim options"):
        ssim_batch(pairs, sigmaa=2.0)


def test_psnr_and_mse_match_skimage_torchmetrics_sklearn_per_image():
    from torchmetrics.image import PeakSignalNoiseRatio

    for name, ref in _photos().items():
        other = _noisy(ref, 7)
        ours = psnr(ref, other)
        assert ours == pytest.approx(peak_signal_noise_ratio(ref, other, data_range=255), abs=1e-9), name
        metric = PeakSignalNoiseRatio(data_range=255.0).set_dtype(torch.float64)
        # torchmetrics keeps 10 / log(tensor(10.)) in float32 even in float64 mode: relative error ~5e-8
        assert ours == pytest.approx(float(metric(_nchw(other), _nchw(ref))), rel=2e-7), name
        assert mse(ref, other) == pytest.approx(mean_squared_error(ref.reshape(-1).astype(float),
                                                                   other.reshape(-1).astype(float)), rel=1e-12)
    a = np.linspace(0, 1, 256).reshape(16, 16)
    b = np.clip(a + 0.05, 0, 1)
    assert psnr(a, b, data_range=1) == pytest.approx(peak_signal_noise_ratio(a, b, data_range=1), abs=1e-9)
    assert psnr(a, a) == math.inf
    with pytest.raises(ValueError, match=r"\(16, 16\) and \(16, 15\)"):
        psnr(a, a[:, :15])


def test_psnr_batch_is_per_image_not_pooled():
    from torchmetrics.image import PeakSignalNoiseRatio

    photos = _photos()
    pairs = [(photos["astronaut"], _noisy(photos["astronaut"], 8, 5.0)),
             (photos["astronaut"], _noisy(photos["astronaut"], 9, 40.0))]
    got = psnr_batch(pairs)
    assert got == pytest.approx([psnr(a, b) for a, b in pairs], abs=1e-12)
    pooled = PeakSignalNoiseRatio(data_range=255.0).set_dtype(torch.float64)
    pooled_value = float(pooled(torch.cat([_nchw(b) for _, b in pairs]), torch.cat([_nchw(a) for a, _ in pairs])))
    mean_mse = np.mean([mse(a, b) for a, b in pairs])
    assert pooled_value == pytest.approx(10 * np.log10(255 ** 2 / mean_mse), rel=2e-7)  # float32 log(10), see above
    assert abs(np.mean(got) - pooled_value) > 1.0  # mean of per-image PSNR != PSNR of pooled MSE
    assert psnr_batch([(pairs[0][0], pairs[0][0])]) == [math.inf]


# -------------------------------------------------------------------------------------------------- Inception Score

def _logits(n: int, c: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).normal(0, 3.0, size=(n, c))


def _tm_is(logits: np.ndarray, splits: int, seed: int) -> tuple[float, float]:
    from torchmetrics.image.inception import InceptionScore

    metric = InceptionScore(feature=Identity(), splits=splits)
    metric.update(torch.from_numpy(logits))
    torch.manual_seed(seed)
    mean, std = metric.compute()
    return float(mean), float(std)


def _hand_split_mean(p: np.ndarray, size: int) -> list[float]:
    out = []
    for i in range(0, len(p), size):
        part = p[i:i + size]
        marginal = part.mean(axis=0)
        out.append(math.exp(np.mean([entropy(row, marginal) for row in part])))  # exp E KL(p(y|v) || p(y))
    return out


def test_inception_score_single_split_matches_torchmetrics():
    logits = _logits(60, 12, 0)
    tm_mean, _ = _tm_is(logits, splits=1, seed=0)
    out = inception_score(softmax(logits, axis=1), splits=1)
    assert out["value"] == pytest.approx(tm_mean, rel=1e-10)
    assert out["single_split"] == pytest.approx(tm_mean, rel=1e-10)
    assert out["splits"] == 1 and out["std"] is None


@pytest.mark.parametrize("n", [100, 25])
def test_inception_score_ten_splits_match_torchmetrics_given_its_permutation(n):
    logits = _logits(n, 10, 1)
    torch.manual_seed(42)
    perm = torch.randperm(n).numpy()  # the permutation torchmetrics' compute() draws after the same seed
    tm_mean, tm_std = _tm_is(logits, splits=10, seed=42)
    probs = softmax(logits, axis=1)[perm]
    out = inception_score(probs, splits=10)
    assert out["splits"] == len(torch.chunk(torch.zeros(n), 10))  # 10 for n=100, 9 for n=25 (torch.chunk)
    assert out["value"] == pytest.approx(tm_mean, rel=1e-10)
    assert out["std"] == pytest.approx(tm_std, rel=1e-8)
    hand = _hand_split_mean(probs, -(-n // 10))
    assert out["value"] == pytest.approx(np.mean(hand), rel=1e-10)
    assert out["std"] == pytest.approx(np.std(hand, ddof=1), rel=1e-8)


def test_inception_score_closed_forms():
    assert inception_score(np.full((40, 8), 1 / 8), splits=1)["value"] == pytest.approx(1.0, abs=1e-12)
    assert inception_score(np.eye(7), splits=1)["value"] == pytest.approx(7.0, rel=1e-12)
    # 14 one-hot rows over 7 classes, each class twice: still 7 for a single split
    assert inception_score(np.vstack([np.eye(7), np.eye(7)]), splits=1)["single_split"] == pytest.approx(7.0)
    # all rows the same class: 1
    assert inception_score(np.tile(np.eye(5)[2], (9, 1)), splits=3)["value"] == pytest.approx(1.0)


def test_is_state_merge_and_batches_equal_full():
    p = softmax(_logits(50, 6, 2), axis=1)
    full = IsState(6).update(p)
    batched = IsState(6).update(p[:13]).update(p[13:31]).update(p[31:])
    merged = IsState(6).update(p[30:]).merge(IsState(6).update(p[:30]))
    hand = math.exp(np.mean([entropy(row, p.mean(axis=0)) for row in p]))
    for state in (full, batched, merged):
        assert state.count == 50
        assert state.value() == pytest.approx(hand, rel=1e-12)
    assert inception_score(p, splits=4)["single_split"] == pytest.approx(hand, rel=1e-12)
    assert IsState(6).update(np.zeros((0, 6))).count == 0


def test_inception_score_seeded_splits_ignore_row_order():
    p = softmax(_logits(40, 5, 3), axis=1)
    shuffled = p[np.random.default_rng(0).permutation(40)]
    assert inception_score(p, splits=4, seed=1) == inception_score(shuffled, splits=4, seed=1)
    assert inception_score(p, splits=4, seed=1)["value"] != inception_score(p, splits=4)["value"]


def test_inception_score_bad_input():
    with pytest.raises(ValueError, match="non-negative"):
        inception_score(_logits(5, 3, 0))
    with pytest.raises(ValueError, match="sum to 1"):
        inception_score(np.full((4, 3), 0.5))
    with pytest.raises(ValueError, match="NaN"):
        inception_score(np.array([[0.5, np.nan]]))
    with pytest.raises(ValueError, match="no rows"):
        inception_score(np.zeros((0, 3)))
    with pytest.raises(ValueError, match="expected 4 classes"):
        IsState(4).update(np.eye(3))
    with pytest.raises(ValueError, match="cannot merge"):
        IsState(4).merge(IsState(3))
    with pytest.raises(ValueError, match="no rows"):
        IsState(4).value()
    with pytest.raises(ValueError, match="splits"):
        inception_score(np.eye(3), splits=0)


# -------------------------------------------------------------------------------------------- temporal grounding R@K

def test_temporal_iou_cases():
    assert temporal_iou((0, 10), (5, 15)) == pytest.approx(5 / 15)  # overlap 5, span 15
    assert temporal_iou((2, 4), (0, 10)) == pytest.approx(2 / 10)  # nested
    assert temporal_iou((0, 5), (5, 9)) == 0.0  # touching
    assert temporal_iou((0, 2), (6, 9)) == 0.0  # disjoint
    assert temporal_iou((3, 3), (0, 10)) == 0.0  # zero-length inside
    assert temporal_iou((3, 3), (3, 3)) == 0.0  # zero span
    assert temporal_iou((1.5, 4.5), (1.5, 4.5)) == 1.0
    with pytest.raises(ValueError, match="start > end"):
        temporal_iou((5, 1), (0, 2))
    with pytest.raises(ValueError, match="finite"):
        temporal_iou((0, math.nan), (0, 2))
    with pytest.raises(ValueError, match="pair"):
        temporal_iou((0, 1, 2), (0, 2))
    with pytest.raises(ValueError, match="pair of numbers"):
        temporal_iou(("début", "fin"), (0, 2))


# Hand-worked fixture (gt, then predictions as (start, end, score), ranked by score):
# sample 0: gt (0, 10); ranked: (0, 4, .9) IoU 0.4, (0, 9, .8) IoU 0.9, (20, 30, .1) IoU 0
#   top-1 best 0.4 -> hit at 0.3 only; top-5 best 0.9 -> hit at 0.3, 0.5, 0.7
# sample 1: gt (10, 20); ranked: (30, 40, .95) IoU 0, (12, 18, .5) IoU 0.6
#   top-1 best 0 -> no hit; top-5 best 0.6 -> hit at 0.3, 0.5
# sample 2: gt (5, 6); no predictions -> miss everywhere
# sample 3: gt (0, 4); ranked: (0, 4, .7) IoU 1 -> hit everywhere
# R@1: 0.3 -> 2/4 (s0, s3), 0.5 -> 1/4 (s3), 0.7 -> 1/4 (s3)
# R@5: 0.3 -> 3/4 (s0, s1, s3), 0.5 -> 3/4 (s0, s1, s3), 0.7 -> 2/4 (s0, s3)
FIXTURE_PREDS = [[(20, 30, 0.1), (0, 9, 0.8), (0, 4, 0.9)], [(12, 18, 0.5), (30, 40, 0.95)], [], [(0, 4, 0.7)]]
FIXTURE_GTS = [(0, 10), (10, 20), (5, 6), (0, 4)]


def test_recall_at_k_hand_worked_fixture():
    r = recall_at_k(FIXTURE_PREDS, FIXTURE_GTS)
    assert r == pytest.approx({(1, 0.3): 0.5, (1, 0.5): 0.25, (1, 0.7): 0.25,
                               (5, 0.3): 0.75, (5, 0.5): 0.75, (5, 0.7): 0.5})
    avg = r_at_k_avg(FIXTURE_PREDS, FIXTURE_GTS)
    assert avg == pytest.approx({1: (0.5 + 0.25 + 0.25) / 3, 5: (0.75 + 0.75 + 0.5) / 3})
    # K=2 in sample 0 already reaches the 0.9 prediction
    assert recall_at_k(FIXTURE_PREDS, FIXTURE_GTS, ks=(2,), thresholds=(0.7,)) == {(2, 0.7): 0.5}


def test_recall_at_k_ties_keep_input_order():
    gt = [(0, 10)]
    # equal scores: the first listed prediction ranks first
    assert recall_at_k([[(0, 10, 0.5), (50, 60, 0.5)]], gt, ks=(1,), thresholds=(0.5,)) == {(1, 0.5): 1.0}
    assert recall_at_k([[(50, 60, 0.5), (0, 10, 0.5)]], gt, ks=(1,), thresholds=(0.5,)) == {(1, 0.5): 0.0}
    # the IoU equal to the threshold counts as a hit (>=): (0, 5) vs (0, 10) is exactly 0.5
    assert recall_at_k([[(0, 5, 1.0)]], gt, ks=(1,), thresholds=(0.5,)) == {(1, 0.5): 1.0}


def test_recall_at_k_empty_and_bad_input():
    assert recall_at_k([[], []], [(0, 1), (2, 3)], ks=(1, 5), thresholds=(0.5,)) == {(1, 0.5): 0.0, (5, 0.5): 0.0}
    with pytest.raises(ValueError, match="no samples"):
        recall_at_k([], [])
    with pytest.raises(ValueError, match="one prediction list per ground truth"):
        recall_at_k([[]], [(0, 1), (1, 2)])
    with pytest.raises(ValueError, match="start > end"):
        recall_at_k([[(3, 1, 0.2)]], [(0, 1)])
    with pytest.raises(ValueError, match="NaN score"):
        recall_at_k([[(0, 1, math.nan)]], [(0, 1)])
    with pytest.raises(ValueError, match="start, end, score"):
        recall_at_k([[(0, 1)]], [(0, 1)])
    with pytest.raises(ValueError, match="ks"):
        recall_at_k([[]], [(0, 1)], ks=(0,))
    with pytest.raises(ValueError, match="thresholds"):
        r_at_k_avg([[]], [(0, 1)], thresholds=(1.5,))


# ------------------------------------------------------------------------------------------ Frechet closed forms

def test_frechet_diagonal_covariance_closed_form():
    rng = np.random.default_rng(8)
    n, d = 200, 5

    def diagonal_sample(mu, scales):
        z = rng.normal(size=(n, d))
        q, _ = np.linalg.qr(z - z.mean(axis=0))  # orthonormal, zero-mean columns: sample covariance exactly diagonal
        return q * scales + mu

    x1 = diagonal_sample(rng.normal(size=d), rng.uniform(1, 20, d))
    x2 = diagonal_sample(rng.normal(size=d), rng.uniform(1, 20, d))
    s1, s2 = x1.var(axis=0, ddof=1), x2.var(axis=0, ddof=1)
    expected = np.sum((x1.mean(0) - x2.mean(0)) ** 2) + np.sum(s1 + s2 - 2 * np.sqrt(s1 * s2))
    got = frechet_from_stats(GaussianStats.of(x1), GaussianStats.of(x2))
    assert got["distance"] == pytest.approx(expected, rel=1e-9)
    assert got["eps_offset"] is False


def test_frechet_full_covariance_against_independent_sqrtm():
    rng = np.random.default_rng(9)
    x1 = rng.normal(size=(300, 6)) @ rng.normal(size=(6, 6))
    x2 = rng.normal(size=(300, 6)) @ rng.normal(size=(6, 6)) + 0.5
    c1, c2 = np.cov(x1, rowvar=False), np.cov(x2, rowvar=False)
    root1 = linalg.sqrtm(c1).real
    covmean = linalg.sqrtm(root1 @ c2 @ root1).real  # symmetric form: same trace as sqrtm(C1 C2)
    expected = np.sum((x1.mean(0) - x2.mean(0)) ** 2) + np.trace(c1 + c2 - 2 * covmean)
    assert frechet_from_stats(GaussianStats.of(x1), GaussianStats.of(x2))["distance"] == pytest.approx(expected,
                                                                                                      rel=1e-8)


def test_frechet_from_rows_equals_the_sqrtm_form_and_handles_fewer_rows_than_dims():
    """frechet_from_rows (nuclear norm of A^T B) equals frechet_from_stats (scipy sqrtm) where sqrtm is accurate
    (more rows than dimensions), and for n < d equals an independent symmetric form computed here with eigh:
    Tr((S1 S2)^(1/2)) = sum sqrt(eig(S1^(1/2) S2 S1^(1/2)))."""
    from synthaudit.stats.frechet import GaussianStats, frechet_from_rows, frechet_from_stats

    rng = np.random.default_rng(3)
    x, y = rng.normal(size=(300, 20)), rng.normal(size=(250, 20)) @ rng.normal(size=(20, 20)) * 0.3 + 0.2
    a, b = frechet_from_rows(x, y), frechet_from_stats(GaussianStats.of(x), GaussianStats.of(y))
    assert abs(a["distance"] - b["distance"]) < 1e-8 * max(1.0, b["distance"])
    assert abs(a["mean_term"] - b["mean_term"]) < 1e-12
    x, y = rng.normal(size=(12, 60)), rng.normal(size=(9, 60)) * 1.5 + 0.1
    s1, s2 = np.cov(x, rowvar=False), np.cov(y, rowvar=False)
    w, v = np.linalg.eigh(s1)
    r = (v * np.sqrt(np.clip(w, 0, None))) @ v.T
    tr = np.sqrt(np.clip(np.linalg.eigvalsh(r @ s2 @ r), 0, None)).sum()
    want = ((x.mean(0) - y.mean(0)) ** 2).sum() + np.trace(s1) + np.trace(s2) - 2 * tr
    # the eigh form takes square roots of the ~1e-16 round-off eigenvalues of the rank-deficient product (about
    # 1e-8 each, 60 of them): that, not the nuclear-norm form, limits the agreement to ~1e-8 relative
    assert abs(frechet_from_rows(x, y)["distance"] - want) < 1e-6 * want
    assert abs(frechet_from_rows(x, x)["distance"]) < 1e-9
    with pytest.raises(ValueError, match="2 rows"):
        frechet_from_rows(x[:1], y)
    with pytest.raises(ValueError, match="same width"):
        frechet_from_rows(x, y[:, :5])
