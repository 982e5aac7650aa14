"""``synthaudit generate image_text``: programmatic image-question-answer scenes (Task-Me-Anything / AutoBench-V
style, survey section 6.2): COCO-object pictograms with colours, sizes, counts and spatial relations rendered with
Pillow, so every caption, object list and answer is known by construction. Variants plant one flaw on purpose
(hallucinated captions and wrong answers, blurred images, collapsed layouts) to check that an audit catches it.

Writes ``OUT/images/*.png`` and ``OUT/manifest.jsonl`` (the manifest ``synthaudit audit image_text`` reads).
Exit status: 0 done, 2 a usage or input error (one message, no traceback), 130 interrupted.
"""
from __future__ import annotations

from pathlib import Path

import typer

from synthaudit.cli.common import err_console, user_errors


def generate_image_text(
    out: Path = typer.Option(..., "--out", "-o", help="Output folder (images/ and manifest.jsonl)."),
    n: int = typer.Option(100, "--n", help="Scenes to generate (one question each)."),
    difficulty: str = typer.Option("easy", "--difficulty", help="easy, medium or hard (objects, distractors, "
                                   "occlusion, background clutter, noise)."),
    variant: str = typer.Option("clean", "--variant", help="clean, or a planted flaw: hallucinated, blurred, "
                                "collapsed."),
    seed: int = typer.Option(0, "--seed", help="Run seed: every random choice derives from it."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No summary."),
) -> None:
    """Generate image-question-answer scenes with captions, object lists and known answers."""
    from synthaudit.errors import UsageError
    from synthaudit.generate.vision.scenes import DIFFICULTIES, write_scene_dataset

    with user_errors():
        if n < 1:
            raise UsageError("must be at least 1", field="--n")
        if difficulty not in DIFFICULTIES:
            raise UsageError(f"unknown difficulty {difficulty!r}; expected one of {', '.join(DIFFICULTIES)}",
                             field="--difficulty")
        try:
            path = write_scene_dataset(out, n, seed=seed, difficulty=difficulty, variant=variant)
        except ValueError as exc:
            raise UsageError(str(exc), field="--variant") from None
    if not quiet:
        err_console.print(f"wrote {n} scenes ({difficulty}, {variant}) and {path}", highlight=False)
