"""Video-text provenance (survey section 6.3): invisible-watermark robustness (bit accuracy under attacks),
payload and fidelity cost."""
from __future__ import annotations

import numpy as np

from synthaudit.data.vision import batch_field
from synthaudit.metrics.image_text.common import SECTION_TRUST, backend_name, needs_field, params
from synthaudit.metrics.registry import RecordMetric, register
from synthaudit.metrics.result import MetricResult
from synthaudit.metrics.video_text.common import VIDEO, batch_clips, clip_of

#: frames decoded per video for the watermark checks (majority vote over them)
WM_FRAMES = 8


def _key(inputs) -> list[int]:
    return list(inputs.extra["watermark_key"])


@register(id="vl_video.watermark_bit_acc", name="Watermark robustness bit accuracy (P_Rob)", modality=VIDEO,
          pillar="trust", dimension="provenance", section=SECTION_TRUST, direction="higher_better",
          range=(0.0, 1.0), inputs=("synthetic", "watermark_key"), computation="record",
          params={"attacks": {"default": ["h264_crf28", "center_crop_0.5", "resize_0.5", "frame_drop"]}})
class WatermarkBitAccMetric(RecordMetric):
    """P_Rob = 1 - d_H(w, R(A(v))) / L per attack A: the watermark is decoded (invisible-watermark, the method of
    --watermark-method, per-bit majority vote over frames) after each attack; a failed decode counts as all bits
    wrong. Value: the mean over the attacks; per attack (and without attack) as secondary values."""

    def init(self, inputs, models):
        return {**super().init(inputs, models), "per": {}}

    def update(self, state, role, batch):
        from synthaudit.verify.watermark import attack, bit_accuracy, decode_video

        inputs = state["inputs"]
        bits = np.array(_key(inputs), dtype=bool)
        method = inputs.extra.get("watermark_method", "dwtDctSvd")
        attacks = ["none", *[a for a in params(inputs, self)["attacks"] if a != "none"]]
        out = []
        for c in batch_clips(inputs, batch):
            if c is None:
                out.append(np.nan)
                continue
            frames = c.sampled(WM_FRAMES)
            accs = {}
            for name in attacks:
                try:
                    decoded = decode_video(attack(frames, name, seed=inputs.seed), len(bits), method)
                except ValueError:
                    decoded = None
                accs[name] = bit_accuracy(bits, decoded)
                state["per"].setdefault(name, []).append(accs[name])
            out.append(float(np.mean([accs[a] for a in attacks if a != "none"] or [accs["none"]])))
        state["scores"].append(np.array(out))
        return state

    def merge(self, a, b):
        per = {k: a["per"].get(k, []) + b["per"].get(k, []) for k in set(a["per"]) | set(b["per"])}
        return {**a, "scores": a["scores"] + b["scores"], "per": per}

    def finalize(self, state, inputs, models) -> MetricResult:
        res = super().finalize(state, inputs, models)
        res.secondary = {f"bit_acc_{k}": float(np.mean(v)) for k, v in sorted(state["per"].items())}
        res.breakdown = [{"attack": k, "bit_accuracy": float(np.mean(v)), "videos": len(v)}
                         for k, v in state["per"].items()]
        res.notes.update(method=inputs.extra.get("watermark_method"), payload_bits=len(_key(inputs)),
                         decoder="invisible-watermark 0.2, per-bit majority vote over 8 sampled frames",
                         chance=0.5, failed_decode="all bits wrong")
        return res


@register(id="vl_video.watermark_payload", name="Watermark payload (P_Load)", modality=VIDEO, pillar="trust",
          dimension="provenance", section=SECTION_TRUST, direction="report_only", range=(0.0, float("inf")),
          inputs=("synthetic", "watermark_key"), computation="record")
class WatermarkPayloadMetric(RecordMetric):
    """P_Load = L, the number of watermark bits embedded per video (the key's length), per readable video."""

    def score(self, batch, inputs, models) -> np.ndarray:
        n = float(len(_key(inputs)))
        return np.array([n if c is not None else np.nan for c in batch_clips(inputs, batch)])


def _cost_kinds(p: dict, models) -> tuple[str, ...]:
    return {"mean_frame_lpips": ("lpips",), "fvd": ("video_features",)}.get(p.get("distortion"), ())


@register(id="vl_video.watermark_cost", name="Watermark fidelity cost (P_Cost)", modality=VIDEO, pillar="trust",
          dimension="provenance", section=SECTION_TRUST, direction="lower_better", range=(0.0, float("inf")),
          inputs=("synthetic", "references", "videos", "watermark_key"), models=("image_features",),
          computation="record",
          params={"distortion": {"default": "mean_frame_lpips", "options": ["mean_frame_lpips", "fvd", "psnr"]}},
          needs=_cost_kinds, applies=needs_field("reference_video", what="a reference_video (unwatermarked)"))
class WatermarkCostMetric(RecordMetric):
    """P_Cost = distortion between each watermarked video and its unwatermarked reference (same prompt and seed):
    mean frame-wise LPIPS (--lpips), or mean frame-wise PSNR in dB (psnr: higher means less visible, so this
    variant reads inversely and says so). fvd is a distribution-level variant: use vl_video.fvd with the references
    as the real set."""

    def score(self, batch, inputs, models) -> np.ndarray:
        from synthaudit.verify.watermark import watermark_cost

        how = params(inputs, self)["distortion"]
        if how == "fvd":
            raise ValueError("vl_video.watermark_cost: distortion=fvd is distribution-level: audit the references "
                             "as --real and read vl_video.fvd")
        if how == "mean_frame_lpips":
            lp = models.get("lpips")

            def dist(a, b) -> float:
                return float(np.asarray(lp.distance([a], [b]))[0])
        else:
            dist = "psnr"
        out = []
        from synthaudit.data.vision import media_key, media_of

        mset = media_of(inputs, "synthetic")
        for c, ref in zip(batch_clips(inputs, batch), batch_field(batch, "reference_video")):
            r = clip_of(inputs, mset.resolve(ref), media_key(mset.resolve(ref))) if ref else None
            if c is None or r is None or c.frames.shape[1:] != r.frames.shape[1:]:
                out.append(np.nan)
                continue
            n = min(len(c.frames), len(r.frames))
            out.append(float(watermark_cost(r.frames[:n], c.frames[:n], distortion=dist)))
        return np.array(out)

    def finalize(self, state, inputs, models) -> MetricResult:
        res = super().finalize(state, inputs, models)
        how = params(inputs, self)["distortion"]
        res.notes.update(distortion=how, model=backend_name(models, "lpips") if how == "mean_frame_lpips" else None,
                         direction_note="psnr: higher = less distortion (reads opposite to the catalog's "
                                        "lower_better)" if how == "psnr" else None)
        return res
