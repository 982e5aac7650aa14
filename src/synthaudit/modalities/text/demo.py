"""The text section of ``synthaudit demo`` (survey section 2): attribute-guided instruction/response records
generated with the offline SmolLM2, audited against the real Self-Instruct seed tasks when the shared data folder
is beside the checkout."""
from __future__ import annotations

from pathlib import Path

DEMO_TEXT_RECORDS = 4


def section(ctx) -> list:
    return [_text_demo(Path(ctx.out), text_records(ctx), ctx.seed, ctx.progress, ctx.echo)]


def text_records(ctx) -> Path:
    """The generated records, made once per tour (the dialogue section reuses them)."""
    if "text_records" not in ctx.shared:
        ctx.shared["text_records"] = _text_records(Path(ctx.out), ctx.seed, ctx.echo)
    return ctx.shared["text_records"]


def _text_records(out: Path, seed: int, echo) -> Path:
    from synthaudit.generate.runner import run_generation
    from synthaudit.models.llm import LLMClient

    path = out / "data" / "text_generated.jsonl"
    stats = run_generation("attribute", LLMClient(model="smollm2"), n=DEMO_TEXT_RECORDS, seed=seed, out=path,
                           max_tokens=40, resume=False)
    echo(f"demo: SmolLM2 generated {DEMO_TEXT_RECORDS} attribute-guided instruction/response records "
         f"({stats.summary() if hasattr(stats, 'summary') else path})")
    return path


def _real_text(out: Path) -> Path | None:
    """Real instruction/response pairs: Self-Instruct's seed tasks from the shared data folder beside a source
    checkout (None when it is not there: the fidelity metrics that need real text become gaps)."""
    import json

    from synthaudit.generate.text.self_instruct import DEFAULT_SEED_TASKS, load_seed_tasks

    if not DEFAULT_SEED_TASKS.is_file():
        return None
    path = out / "data" / "text_real.jsonl"
    with open(path, "w", encoding="utf-8") as fh:
        for task in load_seed_tasks(DEFAULT_SEED_TASKS):
            for inst in task.get("instances") or []:
                if inst.get("output"):
                    fh.write(json.dumps({"instruction": task["instruction"], "response": inst["output"]},
                                        ensure_ascii=False) + "\n")
    return path


def _text_demo(out: Path, records: Path, seed: int, progress, echo):
    from synthaudit.audit.api import audit

    sub = out / "text"
    rep = audit("text", synthetic=records, real=_real_text(out), field="response", prompt_field="instruction",
                seed=seed, out=sub, progress=progress,
                params={"text.gar": {"max_records": DEMO_TEXT_RECORDS}})
    echo(f"demo: text audit written to {sub / 'report.html'}")
    return ("text (attribute-guided, SmolLM2)", "text/report.html", rep)
