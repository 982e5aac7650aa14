"""The dialogue section of ``synthaudit demo`` (survey sections 2.2-2.3): the text section's generated records
as two-turn dialogues, audited for safety and USL-H."""
from __future__ import annotations

from pathlib import Path


def section(ctx) -> list:
    from synthaudit.modalities.text.demo import text_records

    return [_dialogue_demo(Path(ctx.out), text_records(ctx), ctx.seed, ctx.progress, ctx.echo)]


def _dialogue_demo(out: Path, records: Path, seed: int, progress, echo):
    import json

    from synthaudit.audit.api import audit

    path = out / "data" / "dialogues_generated.jsonl"
    with open(records, encoding="utf-8") as src, open(path, "w", encoding="utf-8") as dst:
        for line in src:
            rec = json.loads(line)
            turns = [{"role": "user", "content": rec["instruction"]}, {"role": "assistant", "content": rec["response"]}]
            dst.write(json.dumps({"id": rec["id"], "turns": turns}, ensure_ascii=False) + "\n")
    sub = out / "dialogue"
    rep = audit("dialogue", synthetic=path, seed=seed, out=sub, progress=progress)
    echo(f"demo: dialogue audit written to {sub / 'report.html'}")
    return ("dialogue (the text records as two-turn dialogues)", "dialogue/report.html", rep)
