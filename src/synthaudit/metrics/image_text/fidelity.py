"""Image-text fidelity (survey section 6.2): CLIP alignment, subject and prompt fidelity, ROUGE / METEOR against
reference text, FID-like distance, SSIM / PSNR against reference images, CHAIR object hallucination."""
from __future__ import annotations

from typing import Any

import numpy as np

from synthaudit.data.vision import KEY_COL, batch_field
from synthaudit.metrics.image_text.common import (REAL, SECTION_QUALITY, SYN, all_of, backend_name, batch_features,
                                                  decode_one, image_rows, needs_field, params, sources, texts,
                                                  undefined, unit)
from synthaudit.metrics.registry import MergeableMetric, RecordMetric, register
from synthaudit.metrics.result import MetricResult

IMAGE = "image_text"
#: KID keeps at most this many feature rows per side (a seeded reservoir); FID itself uses every row
KID_ROWS = 2000
#: up to this many rows per side, the Frechet distance is computed from the rows (exact, no d x d square root)
ROWS_EXACT = 1500


def _encoder_kinds(p: dict, models) -> tuple[str, ...]:
    """CLIP's image encoder when asked for and configured, else the image feature backend (named in the result)."""
    if str(p.get("encoder", "")).startswith("clip") and models.availability("clip") is None:
        return ("clip",)
    return ("image_features",)


def image_embed(inputs, models, srcs: list[Any], keys: list[str], kind: str) -> list[np.ndarray | None]:
    """Unit embeddings of images with the CLIP image encoder or the image feature backend (None when unreadable)."""
    if kind == "clip":
        clip = models.get("clip")
        out: list[np.ndarray | None] = []
        for s in srcs:
            im = decode_one(s) if s is not None else None
            out.append(None if im is None else unit(np.asarray(clip.image_embeddings([im]), dtype=float)[0]))
        return out
    rows, _ = image_rows(inputs, models, srcs, keys, "image_features")
    return [None if r is None else unit(r.astype(float)) for r in rows]


# -- CLIP text-image alignment ----------------------------------------------------------------------------------
class ClipCosineMetric(RecordMetric):
    """Per record, the raw CLIP cosine between an image and a text (never CLIPScore's 100*max(cos, 0))."""

    text_field = "text"

    def pairs(self, batch) -> list[list[tuple[Any, str]]]:
        return [[(s, t)] if s is not None and t else [] for s, t in zip(sources(batch), texts(batch, self.text_field))]

    def score(self, batch, inputs, models) -> np.ndarray:
        clip = models.get("clip")
        out = []
        for pairs in self.pairs(batch):
            vals = []
            for src, text in pairs:
                im = decode_one(src)
                if im is not None:
                    vals.append(float(np.asarray(clip.cosine([im], [text]))[0]))
            out.append(float(np.mean(vals)) if vals else np.nan)
        return np.array(out)

    def finalize(self, state, inputs, models) -> MetricResult:
        res = super().finalize(state, inputs, models)
        res.notes.update(model=backend_name(models, "clip"), scale="raw cosine in [-1, 1] (torchmetrics CLIPScore "
                         "reports 100 * max(cos, 0): divide it by 100 to compare positive values)",
                         truncation="texts are cut at the model's maximum length (77 tokens for CLIP)")
        return res


def sequence_pairs(seq: list, base) -> list[tuple[Any, str]]:
    """(image, text) pairs of an interleaved sequence: each image with the nearest preceding text step, or the
    next one when no text precedes it."""
    from synthaudit.data.vision import resolve_source

    pairs, last_text, pending = [], None, []
    for step in seq:
        if not isinstance(step, dict):
            continue
        if step.get("text"):
            last_text = str(step["text"])
            pairs.extend((img, last_text) for img in pending)
            pending = []
        elif step.get("image"):
            src = resolve_source(step["image"], base)
            if last_text is None:
                pending.append(src)
            else:
                pairs.append((src, last_text))
    return pairs


def _ita_kinds(p: dict, models) -> tuple[str, ...]:
    return ("llm_judge",) if p.get("backend") == "mllm_judge" else ("clip",)


@register(id="vl_image.ita", name="Image-Text Alignment (ITA)", modality=IMAGE, pillar="quality",
          dimension="fidelity", section=SECTION_QUALITY, direction="higher_better", range=(-1.0, 1.0),
          inputs=("synthetic", "images"), models=("clip", "llm_judge"), computation="record",
          params={"backend": {"default": "clip_cosine", "options": ["clip_cosine", "mllm_judge"]},
                  "clip_model": {"default": "openai/clip-vit-large-patch14",
                                 "note": "the model is chosen with --clip; this names the catalog's default"}},
          needs=_ita_kinds, applies=needs_field("text", "sequence"))
class ItaMetric(ClipCosineMetric):
    """ITA(m) = mean over a sample's (text, image) steps of the CLIP cosine: for an interleaved sequence each
    image is paired with the nearest preceding text step (else the next one); a plain record pairs its image with
    its text. The mllm_judge backend needs a multimodal judge, which no offline model provides."""

    _base = None

    def pairs(self, batch) -> list[list[tuple[Any, str]]]:
        out = []
        for own, seq in zip(super().pairs(batch), batch_field(batch, "sequence")):
            out.append(sequence_pairs(seq, self._base) if isinstance(seq, list) and seq else own)
        return out

    def score(self, batch, inputs, models) -> np.ndarray:
        if params(inputs, self)["backend"] == "mllm_judge":
            raise ValueError("vl_image.ita: the mllm_judge backend needs a multimodal judge; the configured judge "
                             "reads text only")
        from synthaudit.data.vision import media_of

        self._base = media_of(inputs, SYN).base
        return super().score(batch, inputs, models)


@register(id="vl_image.fidelity_prompt", name="Prompt Fidelity (Fidelity_prompt; CLIP-T)", modality=IMAGE,
          pillar="quality", dimension="fidelity", section=SECTION_QUALITY, direction="higher_better",
          range=(-1.0, 1.0), inputs=("synthetic", "images", "prompts"), models=("clip",), computation="record")
class PromptFidelityMetric(ClipCosineMetric):
    """Fidelity_prompt = mean CLIP cosine between each generated image and its prompt (CLIP-T)."""

    text_field = "prompt"


@register(id="vl_image.fidelity_subj", name="Subject Fidelity (Fidelity_subj; DINO / CLIP-I)", modality=IMAGE,
          pillar="quality", dimension="fidelity", section=SECTION_QUALITY, direction="higher_better",
          range=(-1.0, 1.0), inputs=("synthetic", "images"), models=("image_features", "clip"),
          computation="record",
          params={"encoder": {"default": "dino_vits16", "options": ["dino_vits16", "clip_image"],
                              "note": "dino_vits16: the image feature backend (DINO when named with "
                                      "--image-features facebook/dino-vits16; offline EfficientNet-Lite0); "
                                      "clip_image: CLIP's image encoder (--clip)"}},
          needs=_encoder_kinds, applies=needs_field("subject_image", what="a subject_image"))
class SubjectFidelityMetric(RecordMetric):
    """Fidelity_subj = cos(E(generated), E(subject)), averaged over every (generated, subject image) pair of a
    record (DreamBooth's protocol), then over records."""

    def score(self, batch, inputs, models) -> np.ndarray:
        from synthaudit.data.vision import media_key, media_of

        kind = _encoder_kinds(params(inputs, self), models)[0]
        mset = media_of(inputs, SYN)
        gen = image_embed(inputs, models, sources(batch), batch[KEY_COL].tolist(), kind)
        out = []
        for g, subj in zip(gen, batch_field(batch, "subject_image")):
            subs = [mset.resolve(s) for s in (subj if isinstance(subj, list) else [subj]) if s]
            if g is None or not subs:
                out.append(np.nan)
                continue
            embs = [e for e in image_embed(inputs, models, subs, [media_key(s) for s in subs], kind) if e is not None]
            out.append(float(np.mean([g @ e for e in embs])) if embs else np.nan)
        return np.array(out)

    def finalize(self, state, inputs, models) -> MetricResult:
        res = super().finalize(state, inputs, models)
        kind = _encoder_kinds(params(inputs, self), models)[0]
        res.notes.update(encoder=backend_name(models, kind),
                         comparable="DreamBooth's DINO score only with --image-features facebook/dino-vits16")
        return res


# -- text against reference text ---------------------------------------------------------------------------------
@register(id="vl_image.rouge", name="ROUGE (generated vs reference text)", modality=IMAGE, pillar="quality",
          dimension="fidelity", section=SECTION_QUALITY, direction="higher_better", range=(0.0, 1.0),
          inputs=("synthetic", "references"), computation="record",
          params={"variant": {"default": "rougeL", "options": ["rouge1", "rouge2", "rougeL"]}},
          applies=all_of(needs_field("reference", what="a reference text"), needs_field("text")))
class RougeMetric(RecordMetric):
    """ROUGE F-measure (rouge_score's RougeScorer, Porter stemming) between each generated text and its reference."""

    def score(self, batch, inputs, models) -> np.ndarray:
        from synthaudit.stats.caption_text import rouge

        variant = params(inputs, self)["variant"]
        return np.array([rouge(h, r, variant=variant) if h is not None and r else np.nan
                         for h, r in zip(texts(batch), texts(batch, "reference"))])

    def finalize(self, state, inputs, models) -> MetricResult:
        res = super().finalize(state, inputs, models)
        res.notes.update(variant=params(inputs, self)["variant"], implementation="rouge_score, use_stemmer=True")
        return res


@register(id="vl_image.meteor", name="METEOR (generated vs reference text)", modality=IMAGE, pillar="quality",
          dimension="fidelity", section=SECTION_QUALITY, direction="higher_better", range=(0.0, 1.0),
          inputs=("synthetic", "references"), computation="record",
          applies=all_of(needs_field("reference", what="a reference text"), needs_field("text")))
class MeteorMetric(RecordMetric):
    """METEOR with NLTK's parameters (alpha 0.9, beta 3, gamma 0.5) and its exact and Porter-stem matching stages;
    NLTK's WordNet-synonym stage is left out (no package ships WordNet offline), so values can be lower than
    nltk's with WordNet and differ from the COCO Java METEOR 1.5."""

    def score(self, batch, inputs, models) -> np.ndarray:
        from synthaudit.stats.caption_text import meteor

        return np.array([meteor(h, [r]) if h is not None and r else np.nan
                         for h, r in zip(texts(batch), texts(batch, "reference"))])

    def finalize(self, state, inputs, models) -> MetricResult:
        res = super().finalize(state, inputs, models)
        res.notes.update(variant="meteor (exact+stem, NLTK parameters, no WordNet synonyms)")
        return res


# -- FID-like ----------------------------------------------------------------------------------------------------
class FeatureGaussianMetric(MergeableMetric):
    """Frechet distance between Gaussians of real and synthetic features; the state is GaussianStats per side
    (count, sum, sum of outer products: it merges exactly) plus a bounded reservoir for KID."""

    streams = (REAL, SYN)
    kind = "image_features"

    def rows(self, inputs, models, batch) -> tuple[np.ndarray, int]:
        return batch_features(inputs, models, batch, self.kind)

    def init(self, inputs, models):
        return {"inputs": inputs, "models": models, REAL: None, SYN: None, "skipped": 0,
                "kid": {REAL: [], SYN: []}}

    def update(self, state, role, batch):
        from synthaudit.stats.frechet import GaussianStats

        x, skipped = self.rows(state["inputs"], state["models"], batch)
        state["skipped"] += skipped
        if x.size:
            state[role] = GaussianStats.of(x) if state[role] is None else state[role].update(x)
            kept = sum(len(k) for k in state["kid"][role])
            if kept < KID_ROWS:
                state["kid"][role].append(x[: KID_ROWS - kept])
        return state

    def merge(self, a, b):
        out = dict(a)
        for side in (REAL, SYN):
            out[side] = b[side] if a[side] is None else (a[side] if b[side] is None else a[side].merge(b[side]))
        out["skipped"] = a["skipped"] + b["skipped"]
        out["kid"] = {s: a["kid"][s] + b["kid"][s] for s in (REAL, SYN)}
        return out

    def finalize(self, state, inputs, models) -> MetricResult:
        from synthaudit.stats.frechet import frechet_from_rows, frechet_from_stats
        from synthaudit.stats.kernel_mmd import kid

        r, s = state[REAL], state[SYN]
        if r is None or s is None or r.n < 2 or s.n < 2:
            return undefined("needs at least 2 readable real and 2 synthetic media",
                             skipped_unreadable=state["skipped"])
        xr, xs = np.concatenate(state["kid"][REAL]), np.concatenate(state["kid"][SYN])
        complete = len(xr) == r.n and len(xs) == s.n
        if complete and (min(r.n, s.n) < r.dim or max(r.n, s.n) <= ROWS_EXACT):
            fd, method = frechet_from_rows(xr, xs), "nuclear norm of A^T B from the rows (exact; stats.frechet)"
        else:
            fd, method = frechet_from_stats(r, s), "scipy sqrtm of S_r S_g (stats.frechet)"
        k = kid(xr, xs, subsets=50, subset_size=min(1000, len(xr), len(xs)), seed=inputs.seed)
        notes = {"features": backend_name(models, self.kind), "n_real": r.n, "n_synthetic": s.n,
                 "skipped_unreadable": state["skipped"], "trace_sqrt": method,
                 "comparable": "only with scores from the same extractor and preprocessing; FID is biased upward "
                               "at small n (report n; >= 10k is the usual protocol)"}
        if self.kind == "image_features" and "EfficientNet" in notes["features"]:
            notes["label"] = "FID-like (EfficientNet-Lite0 features), not Inception FID"
        return MetricResult(value=float(fd["distance"]),
                            secondary={"kid": float(k["value"]), "kid_std": float(k["std"])}, notes=notes)


@register(id="vl_image.fid", name="Frechet Inception Distance (FID), image-text", modality=IMAGE, pillar="quality",
          dimension="fidelity", section=SECTION_QUALITY, direction="lower_better", range=(0.0, float("inf")),
          inputs=("synthetic", "real_reference", "images"), models=("image_features",), computation="mergeable",
          params={"feature_layer": {"default": 2048, "note": "Inception's pool layer; other extractors use their "
                                                             "own pooled features (EfficientNet-Lite0: 1280)"}})
class FidMetric(FeatureGaussianMetric):
    """FID = ||mu_r - mu_g||^2 + Tr(S_r + S_g - 2 (S_r S_g)^(1/2)) over image features (stats.frechet); KID (the
    unbiased polynomial-kernel MMD^2, stats.kernel_mmd) as a secondary value, less biased at small n."""


# -- SSIM / PSNR against reference images ----------------------------------------------------------------------------
class PairedImageMetric(RecordMetric):
    """A score per (generated, reference image) pair of equal size; other pairs are undefined and counted."""

    def pair_score(self, a: np.ndarray, b: np.ndarray) -> float:
        raise NotImplementedError

    def score(self, batch, inputs, models) -> np.ndarray:
        from synthaudit.data.vision import media_of

        mset = media_of(inputs, SYN)
        out = []
        for src, ref in zip(sources(batch), batch_field(batch, "reference_image")):
            a = decode_one(src) if src is not None else None
            b = decode_one(mset.resolve(ref)) if ref else None
            out.append(self.pair_score(a, b) if a is not None and b is not None and a.shape == b.shape else np.nan)
        return np.array(out)


@register(id="vl_image.ssim", name="Structural Similarity (SSIM), image-text", modality=IMAGE, pillar="quality",
          dimension="fidelity", section=SECTION_QUALITY, direction="higher_better", range=(-1.0, 1.0),
          inputs=("synthetic", "references", "images"), computation="record",
          applies=needs_field("reference_image", what="a reference_image"))
class SsimMetric(PairedImageMetric):
    """SSIM with 11x11 Gaussian windows (sigma 1.5, K1 0.01, K2 0.03, data range 255), the mean of per-channel SSIM
    (stats.image_quality; equals scikit-image's structural_similarity with gaussian_weights=True)."""

    def pair_score(self, a, b) -> float:
        from synthaudit.stats.image_quality import ssim

        return float(ssim(a, b, data_range=255))

    def finalize(self, state, inputs, models) -> MetricResult:
        res = super().finalize(state, inputs, models)
        res.notes.update(colour="mean of per-channel SSIM (RGB)", pairs="same-size pairs only (others undefined)")
        return res


#: PSNR of identical images is infinite: it is capped here for the mean, and identical pairs are counted
PSNR_CAP = 100.0


@register(id="vl_image.psnr", name="Peak Signal-to-Noise Ratio (PSNR), image-text", modality=IMAGE,
          pillar="quality", dimension="fidelity", section=SECTION_QUALITY, direction="higher_better",
          range=(0.0, float("inf")), inputs=("synthetic", "references", "images"), computation="record",
          params={"data_range": {"default": 255}}, applies=needs_field("reference_image", what="a reference_image"))
class PsnrMetric(PairedImageMetric):
    """PSNR = 10 log10(MAX^2 / MSE) per (generated, reference) pair, averaged per image (not the PSNR of the pooled
    MSE); identical pairs (infinite PSNR) are capped at 100 dB and counted."""

    def score(self, batch, inputs, models) -> np.ndarray:
        self._range = float(params(inputs, self)["data_range"])
        return super().score(batch, inputs, models)

    def pair_score(self, a, b) -> float:
        from synthaudit.stats.image_quality import psnr

        return float(min(psnr(a, b, data_range=self._range), PSNR_CAP))

    def finalize(self, state, inputs, models) -> MetricResult:
        res = super().finalize(state, inputs, models)
        scores = res.record_scores if res.record_scores is not None else np.array([])
        res.secondary = {"identical_pairs": int(np.sum(scores >= PSNR_CAP))}
        res.notes.update(cap_db=PSNR_CAP, averaging="mean of per-image PSNR")
        return res


# -- CHAIR ---------------------------------------------------------------------------------------------------------
@register(id="vl_image.chair", name="CHAIR hallucination rates (CHAIR_i object-level, CHAIR_s sentence-level)",
          modality=IMAGE, pillar="quality", dimension="fidelity", section=SECTION_QUALITY, direction="lower_better",
          range=(0.0, 1.0), inputs=("synthetic", "images", "labels"), computation="global",
          params={"variant": {"default": ["chair_i", "chair_s"], "options": ["chair_i", "chair_s"]}},
          applies=all_of(needs_field("objects", what="ground-truth objects"), needs_field("text")))
def chair_metric(inputs, models) -> MetricResult:
    """CHAIR (Rohrbach et al. 2018): object mentions of each caption mapped to the 80 COCO categories with the
    original synonym lists; CHAIR_i = hallucinated mentions / mentions, CHAIR_s = captions with a hallucinated
    object / captions. Value: CHAIR_i (CHAIR_s as a secondary value). Ground truth: the record's objects."""
    from synthaudit.stats.chair import chair

    frame = inputs.frame(SYN)  # the audit table (a seeded sample of it when the audit streams)
    caps, gts, ids = [], [], []
    for i, (t, objs) in enumerate(zip(batch_field(frame, "text"), batch_field(frame, "objects"))):
        if t is None or not isinstance(objs, list):
            continue
        caps.append(str(t))
        gts.append([str(o) for o in objs])
        ids.append(str(frame["id"].iat[i]))
    if not caps:
        return undefined("no record has both a caption and a list of ground-truth objects")
    try:
        res = chair(caps, gts)
    except ValueError as exc:  # an object name outside the COCO vocabulary
        return undefined(exc)
    if res["n_mentions"] == 0:
        return undefined("no caption mentions a COCO object", captions=len(caps))
    worst = sorted(({"id": ids[i], "caption": caps[i], "hallucinated": p["hallucinated_words"]}
                    for i, p in enumerate(res["captions"]) if p["hallucinated_words"]),
                   key=lambda d: -len(d["hallucinated"]))[:20]
    return MetricResult(value=float(res["chair_i"]), secondary={"chair_s": float(res["chair_s"])}, breakdown=worst,
                        notes={"captions": len(caps), "mentions": res["n_mentions"],
                               "hallucinated_mentions": res["n_hallucinated_mentions"],
                               "vocabulary": "80 COCO categories with Rohrbach et al.'s synonym lists (regex "
                                             "tokeniser, rule-based singulariser: see stats.chair)",
                               "ground_truth": "the records' objects field"})
