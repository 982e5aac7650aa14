"""Command-line options written once: Typer parameters built from a modality's options object.

``synthaudit audit <modality>``, ``filter`` and ``track`` take their modality options from the fields of the
registered options classes (their help text, flag, kind), so a modality adds its flags by declaring them.
"""
from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Optional

import typer

from synthaudit.modalities.base import OptionInfo

#: CLI type of each option kind; list options are comma-separated text
_TYPES: dict[str, Any] = {"data": Optional[Path], "file": Optional[Path], "config": Optional[Path],
                          "str": Optional[str], "bool": bool, "int": Optional[int], "float": Optional[float],
                          "list": Optional[str]}

#: model options (``synthaudit.audit(models=...)``) as CLI flags
MODEL_HELP = {
    "embedder": ("--embedder", "Sentence embedder (default: all-MiniLM-L6-v2, shipped offline)."),
    "lm": ("--lm", "Causal LM for log-probabilities (default: SmolLM2-135M-Instruct, shipped offline)."),
    "toxicity": ("--toxicity", "Toxicity classifier (default: alt-profanity-check)."),
    "acceptability": ("--acceptability", "CoLA-style classifier (default: LM shuffle preference with --lm)."),
    "nli": ("--nli", "NLI cross-encoder (default: few-shot entailment with --lm)."),
    "judge": ("--judge", "LLM judge: a local model, or openai:MODEL with --base-url (key from $OPENAI_API_KEY)."),
    "base_url": ("--base-url", "OpenAI-compatible endpoint for --judge openai:MODEL (vLLM, Ollama, llama.cpp "
                               "server, OpenAI)."),
    "image_features": ("--image-features", "Image feature extractor (default: EfficientNet-Lite0, shipped offline; "
                                           "an HF id such as facebook/dino-vits16, or an Inception TorchScript .pt)."),
    "clip": ("--clip", "CLIP model for text-image alignment (HF id or local path, e.g. "
                       "openai/clip-vit-large-patch14); none ships offline."),
    "video_features": ("--video-features", "Video feature extractor: an I3D TorchScript .pt (StyleGAN-V's "
                                           "i3d_torchscript.pt; default: EfficientNet-Lite0 frame features)."),
    "flow": ("--flow", "Optical flow: a RAFT TorchScript .pt (default: OpenCV Farneback)."),
    "frame_quality": ("--frame-quality", "Per-frame quality model: a TorchScript .pt scoring frames in [0, 1] "
                                         "(vl_video.video_quality; none ships offline)."),
    "lpips": ("--lpips", "LPIPS model: a TorchScript .pt taking two images in [-1, 1] (vl_video.watermark_cost)."),
}


def param(name: str, annotation: Any, default: Any, *decls: str, help: str, panel: str | None = None,
          **extra: Any) -> inspect.Parameter:
    """One keyword parameter of a generated command."""
    return inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=annotation,
                             default=typer.Option(default, *decls, help=help, rich_help_panel=panel, **extra))


def option_param(info: OptionInfo, *, required: bool = False, panel: str | None = None,
                 help: str | None = None) -> inspect.Parameter:
    """A Typer option for one field of an options object."""
    decls = [info.flag] + ([info.short] if info.short else [])
    default: Any = ... if required else (False if info.kind == "bool" else None)
    if info.kind == "bool" and info.default is True:  # an option on by default: --name/--no-name
        decls[0] = f"{info.flag}/--no-{info.flag.removeprefix('--')}"
        default = True
    annotation = Path if required and info.kind in ("data", "file", "config") else _TYPES[info.kind]
    return param(info.name, annotation, default, *decls, help=help or info.help, panel=panel)


def model_params(names: Iterable[str], panel: str | None = "Models") -> list[inspect.Parameter]:
    return [param(n, Optional[str], None, MODEL_HELP[n][0], help=MODEL_HELP[n][1], panel=panel) for n in names]


def option_value(info: OptionInfo, value: Any) -> Any:
    """A CLI value as the options object takes it (comma-separated lists split)."""
    if info.kind == "list" and isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    return value


def given_options(infos: Mapping[str, OptionInfo], values: Mapping[str, Any]) -> dict[str, Any]:
    """The options of a command that mounts several modalities' options (``track``, ``filter``) as the chosen
    modality's audit takes them: only values other than None, False and the option's default, so that a flag left
    at its default (``--replay``, on by default) does not reach a modality that has no such option."""
    out = {n: option_value(i, values[n]) for n, i in infos.items()}
    return {n: v for n, v in out.items() if v not in (None, False) and v != infos[n].default}


def command(body: Callable[..., Any], params: list[inspect.Parameter], doc: str,
            name: str = "command") -> Callable[..., Any]:
    """A function Typer can mount: ``params`` as its signature, calling ``body(**values)``."""
    def run(**values: Any) -> Any:
        return body(**values)

    # Typer reads parameters from the signature and types from the annotations
    run.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    run.__annotations__ = {p.name: p.annotation for p in params}
    run.__doc__ = doc
    run.__name__ = run.__qualname__ = name
    return run
