"""Agent fidelity (survey section 7.2): FID / FVD-like distances of rendered observations, paired-frame SSIM, MSE,
PSNR and LPIPS (the vision code of synthaudit.stats.image_quality and synthaudit.models.vision), and CLIP
semantic fidelity of prompts and outcomes."""
from __future__ import annotations

from typing import Any

import numpy as np

from synthaudit.data.agent import Episode, episode_batches
from synthaudit.metrics.agent.common import (AGENT, REAL, SECTION_QUALITY, SYN, applies_episodes, episodes, needs,
                                             params, undefined)
from synthaudit.metrics.image_text.common import decode_one as decode
from synthaudit.metrics.registry import MergeableMetric, RecordMetric, register
from synthaudit.metrics.result import MetricResult

#: PSNR of identical frames is infinite: capped for the mean (as vl_image.psnr), identical pairs counted
PSNR_CAP = 100.0


def real_frames(inputs) -> dict[str, list]:
    """The frames of every real episode that has some, by episode id (read once, batch by batch: a streamed real
    file is not held, only its frame lists)."""
    def read() -> dict[str, list]:
        if REAL not in inputs.tables:
            return {}
        out: dict[str, list] = {}
        for eps in episode_batches(inputs, REAL):
            for r in eps:
                if r.episode_id not in out and r.frames:
                    out[r.episode_id] = r.frames
        return out

    return inputs.features.get("agent:real_frames", read)


def frame_pairs(inputs, e: Episode) -> list[tuple[Any, Any]]:
    """(synthetic frame, reference frame) sources of an episode: its reference_frames, else the frames of the real
    episode with the same id; aligned by position, the shorter list decides."""
    refs = e.reference_frames or (real_frames(inputs).get(e.episode_id) if e.frames else None)
    if not e.frames or not refs:
        return []
    return list(zip(e.frames, refs))


def _has_pairs(e: Episode) -> bool:
    return bool(e.frames)


def needs_pairs(inputs) -> str | None:
    for e in applies_episodes(inputs):
        if frame_pairs(inputs, e):
            return None
    return "no episode has frames paired with reference frames (reference_frames, or --real episodes with frames " \
           "and the same episode ids)"


class PairedFrameMetric(RecordMetric):
    """The mean of a per-pair score over an episode's paired frames (same-size pairs; others counted)."""

    def init(self, inputs, models):
        return {**super().init(inputs, models), "pairs": 0, "skipped": 0}

    def update(self, state, role, batch):
        inputs, models = state["inputs"], state["models"]
        p = params(inputs, self)
        out = []
        for e in episodes(inputs, batch):
            scores = []
            for a_src, b_src in frame_pairs(inputs, e):
                a, b = decode(a_src), decode(b_src)
                if a is None or b is None or a.shape != b.shape:
                    state["skipped"] += 1
                    continue
                scores.append(self.pair(a, b, p, models))
            state["pairs"] += len(scores)
            out.append(float(np.mean(scores)) if scores else np.nan)
        state["scores"].append(np.array(out, dtype=float))
        return state

    def merge(self, a, b):
        return {**super().merge(a, b), "pairs": a["pairs"] + b["pairs"], "skipped": a["skipped"] + b["skipped"]}

    def pair(self, a: np.ndarray, b: np.ndarray, p: dict, models) -> float:
        raise NotImplementedError

    def finalize(self, state, inputs, models) -> MetricResult:
        res = super().finalize(state, inputs, models)
        res.notes.update(pairs=state["pairs"], skipped_pairs=state["skipped"],
                         averaging="mean over an episode's frame pairs, then over episodes")
        return res


@register(id="agent.ssim", name="Structural Similarity (SSIM), agent observations", modality=AGENT,
          pillar="quality", dimension="fidelity", section=SECTION_QUALITY, direction="higher_better",
          range=(-1.0, 1.0), inputs=("synthetic", "references", "images"), computation="record",
          params={"window": {"default": 11}, "K1": {"default": 0.01}, "K2": {"default": 0.03}}, applies=needs_pairs)
class AgentSsimMetric(PairedFrameMetric):
    """SSIM with a Gaussian window (sigma 1.5, ``window`` taps, K1, K2; data range 255) per paired frame, the mean
    of per-channel SSIM (stats.image_quality.ssim, equal to scikit-image's structural_similarity)."""

    def pair(self, a, b, p, models) -> float:
        from synthaudit.stats.image_quality import ssim

        return ssim(a, b, data_range=255, win_size=int(p["window"]), k1=float(p["K1"]), k2=float(p["K2"]))


@register(id="agent.mse", name="Mean Squared Error (MSE), agent observations", modality=AGENT, pillar="quality",
          dimension="fidelity", section=SECTION_QUALITY, direction="lower_better", range=(0.0, float("inf")),
          inputs=("synthetic", "references", "images"), computation="record", applies=needs_pairs)
class AgentMseMetric(PairedFrameMetric):
    """MSE over all pixels and channels of a paired frame, pixels scaled to [0, 1] (multiply by 255^2 for the
    [0, 255] scale)."""

    def pair(self, a, b, p, models) -> float:
        from synthaudit.stats.image_quality import mse

        return mse(a / 255.0, b / 255.0)

    def finalize(self, state, inputs, models) -> MetricResult:
        res = super().finalize(state, inputs, models)
        res.notes["pixel_scale"] = "[0, 1]"
        return res


@register(id="agent.psnr", name="Peak Signal-to-Noise Ratio (PSNR), agent observations", modality=AGENT,
          pillar="quality", dimension="fidelity", section=SECTION_QUALITY, direction="higher_better",
          range=(0.0, float("inf")), inputs=("synthetic", "references", "images"), computation="record",
          params={"data_range": {"default": 1.0}}, applies=needs_pairs)
class AgentPsnrMetric(PairedFrameMetric):
    """PSNR = 10 log10(MAX^2 / MSE) per paired frame with pixels on the scale [0, data_range] (default [0, 1]),
    the mean of per-frame PSNR (not the PSNR of the pooled MSE); identical pairs are capped at 100 dB and
    counted."""

    def pair(self, a, b, p, models) -> float:
        from synthaudit.stats.image_quality import psnr

        r = float(p["data_range"])
        return min(psnr(a * (r / 255.0), b * (r / 255.0), data_range=r), PSNR_CAP)

    def finalize(self, state, inputs, models) -> MetricResult:
        res = super().finalize(state, inputs, models)
        res.notes.update(cap_db=PSNR_CAP, data_range=float(params(inputs, self)["data_range"]))
        return res


@register(id="agent.lpips", name="Learned Perceptual Image Patch Similarity (LPIPS)", modality=AGENT,
          pillar="quality", dimension="fidelity", section=SECTION_QUALITY, direction="lower_better",
          range=(0.0, float("inf")), inputs=("synthetic", "references", "images"), models=("image_features",),
          computation="record", params={"net": {"default": "alex", "options": ["alex", "vgg", "squeeze"]}},
          needs=lambda p, m: ("lpips",), applies=needs_pairs)
class AgentLpipsMetric(PairedFrameMetric):
    """LPIPS per paired frame with the configured LPIPS network (--lpips: a TorchScript export of lpips.LPIPS;
    inputs scaled to [-1, 1] by the backend); the backbone is recorded, since values differ between them."""

    def pair(self, a, b, p, models) -> float:
        return float(np.asarray(models.get("lpips").distance([a], [b]))[0])

    def finalize(self, state, inputs, models) -> MetricResult:
        from synthaudit.metrics.image_text.common import backend_name

        res = super().finalize(state, inputs, models)
        res.notes.update(model=backend_name(models, "lpips"), net=params(inputs, self)["net"])
        return res


# -- FID / FVD-like ----------------------------------------------------------------------------------------------
def _fid_kinds(p: dict, models) -> tuple[str, ...]:
    return ("video_features",) if p.get("variant") == "fvd" else ("image_features",)


@register(id="agent.fid_fvd", name="Frechet Inception / Video Distance (FID / FVD), agent observations",
          modality=AGENT, pillar="quality", dimension="fidelity", section=SECTION_QUALITY, direction="lower_better",
          range=(0.0, float("inf")), inputs=("synthetic", "real_reference", "images", "videos"),
          models=("image_features", "video_features"), computation="mergeable",
          params={"variant": {"default": "fid", "options": ["fid", "fvd"]}}, needs=_fid_kinds,
          applies=needs(_has_pairs, "rendered frames (a frames field)"))
class AgentFidMetric(MergeableMetric):
    """Frechet distance between Gaussians of real and synthetic observation features (stats.frechet): every frame
    for fid (image features), one feature per episode's frame sequence for fvd (video features). The extractor
    and its preprocessing are recorded: offline, FID-like (EfficientNet-Lite0), not Inception FID."""

    streams = (REAL, SYN)

    def init(self, inputs, models):
        return {"inputs": inputs, "models": models, REAL: [], SYN: [], "skipped": 0}

    def update(self, state, role, batch):
        from synthaudit.metrics.image_text.common import image_rows

        inputs, models = state["inputs"], state["models"]
        eps = episodes(inputs, batch, role)
        if params(inputs, self)["variant"] == "fvd":
            for e in eps:
                frames = [f for f in (decode(s) for s in e.frames or []) if f is not None]
                if len(frames) >= 2 and len({f.shape for f in frames}) == 1:
                    state[role].append(np.asarray(models.get("video_features").features([np.stack(frames)]))[0])
                else:
                    state["skipped"] += 1
            return state
        srcs = [f for e in eps for f in (e.frames or [])]
        rows, errors = image_rows(inputs, models, srcs, [str(s) for s in srcs], "image_features")
        state["skipped"] += sum(r is None for r in rows)
        state[role].extend(r for r in rows if r is not None)
        return state

    def merge(self, a, b):
        return {**a, REAL: a[REAL] + b[REAL], SYN: a[SYN] + b[SYN], "skipped": a["skipped"] + b["skipped"]}

    def finalize(self, state, inputs, models) -> MetricResult:
        from synthaudit.metrics.image_text.common import backend_name
        from synthaudit.stats.frechet import frechet_from_rows

        variant = params(inputs, self)["variant"]
        if len(state[REAL]) < 2 or len(state[SYN]) < 2:
            return undefined("needs at least 2 real and 2 synthetic observations (give --real episodes with frames)",
                             skipped=state["skipped"])
        xr, xs = np.stack(state[REAL]).astype(np.float64), np.stack(state[SYN]).astype(np.float64)
        fd = frechet_from_rows(xr, xs)
        kind = "video_features" if variant == "fvd" else "image_features"
        name = backend_name(models, kind)
        return MetricResult(value=float(fd["distance"]),
                            notes={"variant": variant, "features": name, "n_real": len(xr), "n_synthetic": len(xs),
                                   "skipped_unreadable": state["skipped"],
                                   "label": ("FVD-like (frame features), not I3D FVD" if variant == "fvd" else
                                             "FID-like, not Inception FID") if "EfficientNet" in name else variant,
                                   "comparable": "only with the same extractor, preprocessing and sample size"})


# -- CLIP semantic fidelity ------------------------------------------------------------------------------------------
def _key_frame(e: Episode) -> Any:
    """The outcome image of an episode: its last rendered frame."""
    return e.frames[-1] if e.frames else None


def semalign(inputs, models, eps: list[Episode]) -> np.ndarray:
    """cos(f_T(prompt), f_V(key frame)) per episode (NaN without a prompt or a readable frame), cached per
    episode."""
    store = inputs.features.get("agent:semalign", dict)
    todo = [e for e in eps if e.episode_id not in store and e.prompt and _key_frame(e) is not None]
    if todo:
        clip = models.get("clip")
        imgs = [decode(_key_frame(e)) for e in todo]
        ok = [k for k, im in enumerate(imgs) if im is not None]
        if ok:
            ti = np.asarray(clip.text_embeddings([todo[k].prompt for k in ok]), dtype=float)  # unit-norm
            vi = np.asarray(clip.image_embeddings([imgs[k] for k in ok]), dtype=float)
            for k, c in zip(ok, np.sum(ti * vi, axis=1)):
                store[todo[k].episode_id] = float(c)
        for k in set(range(len(todo))) - set(ok):
            store[todo[k].episode_id] = np.nan
    return np.array([store.get(e.episode_id, np.nan) for e in eps], dtype=float)


def _prompt_and_frames(e: Episode) -> bool:
    return bool(e.prompt and e.frames)


@register(id="agent.semfid", name="Mean semantic fidelity (SemFid, from SemAlign)", modality=AGENT,
          pillar="quality", dimension="fidelity", section=SECTION_QUALITY, direction="higher_better",
          range=(-1.0, 1.0), inputs=("synthetic", "prompts", "images"), models=("clip",), computation="record",
          applies=needs(_prompt_and_frames, "a prompt and rendered frames"))
class SemFidMetric(RecordMetric):
    """SemFid = mean over episodes of SemAlign = cos(CLIP text embedding of the prompt, CLIP image embedding of
    the outcome, the episode's last frame); raw CLIP cosines are model-specific (the model is recorded)."""

    def score(self, batch, inputs, models) -> np.ndarray:
        return semalign(inputs, models, episodes(inputs, batch))

    def finalize(self, state, inputs, models) -> MetricResult:
        from synthaudit.metrics.image_text.common import backend_name

        res = super().finalize(state, inputs, models)
        res.notes.update(model=backend_name(models, "clip"), outcome="the episode's last frame")
        return res


@register(id="agent.match_rate", name="Thresholded semantic match rate (MatchRate(tau))", modality=AGENT,
          pillar="quality", dimension="fidelity", section=SECTION_QUALITY, direction="higher_better",
          range=(0.0, 1.0), inputs=("synthetic", "prompts", "images"), models=("clip",), computation="record",
          params={"tau": {"default": None, "note": "must be calibrated; no survey default"}},
          applies=needs(_prompt_and_frames, "a prompt and rendered frames"))
class MatchRateMetric(RecordMetric):
    """MatchRate(tau) = share of episodes whose SemAlign reaches tau; without a tau, tau is calibrated as the 5th
    percentile of SemAlign over the --real episodes (and the metric is a gap without them)."""

    def score(self, batch, inputs, models) -> np.ndarray:
        return semalign(inputs, models, episodes(inputs, batch))

    def finalize(self, state, inputs, models) -> MetricResult:
        from synthaudit.metrics.image_text.common import backend_name

        tau = params(inputs, self)["tau"]
        source = "given"
        if tau is None:
            if REAL not in inputs.tables:
                return undefined("tau has no default: give params tau, or --real episodes with prompts and frames "
                                 "to calibrate it (their 5th percentile)")
            real = np.concatenate([semalign(inputs, models, eps) for eps in episode_batches(inputs, REAL)])
            real = real[~np.isnan(real)]
            if not real.size:
                return undefined("no real episode has a prompt and a readable frame to calibrate tau")
            tau, source = float(np.percentile(real, 5)), "5th percentile of the real episodes' SemAlign"
        s = np.concatenate(state["scores"]) if state["scores"] else np.array([])
        hits = np.where(np.isnan(s), np.nan, (s >= float(tau)).astype(float))
        defined = hits[~np.isnan(hits)]
        return MetricResult(value=float(defined.mean()) if defined.size else None, record_scores=hits,
                            notes={"tau": float(tau), "tau_source": source, "model": backend_name(models, "clip"),
                                   "n_records": int(s.size), "n_undefined": int(s.size - defined.size)})

