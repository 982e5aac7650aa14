"""Vision-language generators (survey section 6.2, issue #18): programmatic image-QA scenes of COCO pictograms
(``scenes``: vl_image.acc_qa / vl_image.chair test bed) and short videos of moving shapes with known trajectories
(``videos``: vl_video.recall_at_k_iou / identity_consistency / motion_score test bed). Answers are known by
construction; everything is seeded and deterministic and needs only Pillow, numpy and (for .mp4) PyAV."""
from __future__ import annotations

from synthaudit.generate.vision.scenes import (DIFFICULTIES, Difficulty, SceneSpec, render, sample_scene,
                                               write_scene_dataset)
from synthaudit.generate.vision.videos import (VIDEO_DIFFICULTIES, VideoDifficulty, VideoSpec, render_video,
                                               sample_video, write_video, write_video_dataset)

__all__ = ["DIFFICULTIES", "VIDEO_DIFFICULTIES", "Difficulty", "SceneSpec", "VideoDifficulty", "VideoSpec", "render",
           "render_video", "sample_scene", "sample_video", "write_scene_dataset", "write_video",
           "write_video_dataset"]
