"""Video-text diversity (survey section 6.2): optical-flow motion score and the video Inception Score."""
from __future__ import annotations

import numpy as np

from synthaudit.metrics.image_text.common import REAL, SECTION_QUALITY, SYN, backend_name, params
from synthaudit.metrics.image_text.diversity import IsMetric
from synthaudit.metrics.registry import MergeableMetric, register
from synthaudit.metrics.result import MetricResult
from synthaudit.metrics.video_text.common import VIDEO, batch_clips, n_frames, video_rows

#: consecutive frame pairs read per video for the motion score (spread uniformly over the video)
MAX_PAIRS = 8
#: real videos read per batch when the motion score reads them in finalize
REAL_BATCH = 16


def flow_backend(models):
    return models.get("optical_flow")


@register(id="vl_video.motion_score", name="Optical-flow motion score (motion_score)", modality=VIDEO,
          pillar="quality", dimension="diversity", section=SECTION_QUALITY, direction="report_only",
          range=(0.0, float("inf")), inputs=("synthetic", "videos"), models=("optical_flow",), computation="record",
          params={"flow_model": {"default": "raft_large", "note": "RAFT with --flow PATH; offline: OpenCV Farneback "
                                                                   "(named in the result)"},
                  "resolution": {"default": [256, 256]}})
class MotionScoreMetric(MergeableMetric):
    """motion_score = mean over consecutive frame pairs (up to 8, spread over the video) of the mean per-pixel
    optical-flow magnitude at a fixed resolution (pixels per frame); per video, then the mean over videos, with the
    spread across the set and the real videos' value beside it (read in finalize, when real videos are given)."""

    # the real side is optional: a stream of a role the audit lacks would stop the engine, so it is read in finalize
    streams = (SYN,)

    def init(self, inputs, models):
        return {"inputs": inputs, "models": models, SYN: [], REAL: []}

    def update(self, state, role, batch):
        from synthaudit.models.flow import motion_score

        size = tuple(params(state["inputs"], self)["resolution"])
        backend = flow_backend(state["models"])
        out = []
        for c in batch_clips(state["inputs"], batch):
            if c is None or len(c.frames) < 2:
                out.append(np.nan)
                continue
            starts = np.unique(np.round(np.linspace(0, len(c.frames) - 2, min(MAX_PAIRS, len(c.frames) - 1))))
            frames = np.concatenate([c.frames[[int(s), int(s) + 1]] for s in starts])
            pairs = [frames[2 * i: 2 * i + 2] for i in range(len(starts))]
            out.append(float(np.mean([motion_score(p, backend=backend, size=size) for p in pairs])))
        state[role].append(np.array(out))
        return state

    def merge(self, a, b):
        return {**a, SYN: a[SYN] + b[SYN], REAL: a[REAL] + b[REAL]}

    def finalize(self, state, inputs, models) -> MetricResult:
        syn = np.concatenate(state[SYN]) if state[SYN] else np.array([])
        ok = syn[~np.isnan(syn)]
        if not ok.size:
            return MetricResult(value=None, notes={"undefined": "no readable video with 2 or more frames"})
        sec = {"std": float(ok.std()), "p10": float(np.percentile(ok, 10)), "p90": float(np.percentile(ok, 90)),
               "static_share": float(np.mean(ok < 0.05))}
        if REAL in inputs.tables and not state[REAL]:
            for batch in inputs.batches(REAL, REAL_BATCH):  # a few videos decoded at a time
                state = self.update(state, REAL, batch)
        real = np.concatenate(state[REAL]) if state[REAL] else np.array([])
        real = real[~np.isnan(real)]
        inputs.features.get("video:motion", lambda: {"synthetic": ok.tolist(), "real": real.tolist()})  # the figure
        if real.size:
            sec["real_mean"] = float(real.mean())
        return MetricResult(value=float(ok.mean()), record_scores=syn, secondary=sec,
                            notes={"flow": backend_name(models, "optical_flow"),
                                   "resolution": list(params(inputs, self)["resolution"]),
                                   "unit": "pixels per frame at that resolution (frame-rate dependent)",
                                   "static_when": "mean magnitude < 0.05 px"})


@register(id="vl_video.d_sem", name="Video semantic diversity (D_sem, video Inception Score)", modality=VIDEO,
          pillar="quality", dimension="diversity", section=SECTION_QUALITY, direction="higher_better",
          range=(1.0, float("inf")), inputs=("synthetic", "videos"), models=("video_features",),
          computation="mergeable", params={"classifier": {"default": "c3d_ucf101",
                                                          "note": "no C3D/UCF-101 weights ship offline: the video "
                                                                  "feature backend's class posteriors are used and "
                                                                  "named"},
                                           "splits": {"default": 10}})
class DSemMetric(IsMetric):
    """D_sem = exp(E_v[KL(p(y|v) || p(y))]) over the video backend's class posteriors (offline: EfficientNet-Lite0
    ImageNet posteriors averaged over sampled frames, an IS-like score, not C3D's action classes)."""

    kind = "video_features"

    def probs(self, inputs, models, batch):
        return video_rows(inputs, models, batch, "video_probs")

    def finalize(self, state, inputs, models) -> MetricResult:
        res = super().finalize(state, inputs, models)
        backend = models.get("video_features")
        res.notes.update(classifier=getattr(backend, "classifier_name", backend_name(models, "video_features")),
                         frames=n_frames(inputs))
        return res
