"""``synthaudit pipeline`` generation for text: a text generator's records written to ``generated.jsonl``."""
from __future__ import annotations

import json
from pathlib import Path

from synthaudit.errors import InputError, UsageError


def generate(gen: dict, cfg: dict, out: Path, n: int, seed: int) -> Path:
    """Records from ``synthaudit.generate.text.METHODS[method](client, n, seed, **params)`` (rejects apart)."""
    from synthaudit.generate.pipeline import llm_client
    from synthaudit.generate.text import METHODS, is_reject

    method = gen.get("method")
    if method not in METHODS:
        raise UsageError(f"unknown text generator {method!r}; expected one of {', '.join(METHODS)} (or from_file)",
                         field="generator.method")
    records: list[dict] = []
    rejects: list[dict] = []
    for rec in METHODS[method](llm_client(gen), n, seed, **(gen.get("params") or {})):
        (rejects if is_reject(rec) else records).append(rec)
    path = out / "generated.jsonl"
    _write_jsonl(path, records)
    if rejects:
        _write_jsonl(out / "generation_rejects.jsonl", rejects)
    if not records:
        raise InputError(f"the {method} generator produced no records ({len(rejects)} rejected; see "
                         f"{out / 'generation_rejects.jsonl'})")
    return path


def _write_jsonl(path: Path, rows: list[dict]) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps(r, ensure_ascii=False, default=str) + "\n")
