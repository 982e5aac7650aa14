"""``synthaudit pipeline`` generation for tables: a named generator fitted to ``real`` writes ``generated.csv``."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from synthaudit.errors import UsageError


def generate(gen: dict, cfg: dict, out: Path, n: int, seed: int) -> Path:
    from synthaudit.data.files import read_file
    from synthaudit.generate.adapter import generate_tabular, make_generator, write_frame
    from synthaudit.generate.pipeline import llm_client

    if not cfg.get("real"):
        raise UsageError("a tabular generator needs 'real' (the table it learns from)", field="real")
    client: Any = llm_client(gen) if gen.get("method") == "llm" else None
    real = read_file(Path(cfg["real"]))
    generator = make_generator(str(gen.get("method", "gaussian_copula")), seed=seed, target=gen.get("target"),
                               rare_boost=float(gen.get("rare_boost") or 0.0), client=client,
                               **(gen.get("params") or {}))
    frame = generate_tabular(generator, real, n, seed)
    path = out / "generated.csv"
    write_frame(frame, path)
    stats = getattr(generator, "stats", None)
    if stats is not None:
        (out / "generation.json").write_text(json.dumps(stats.as_dict(), indent=2), encoding="utf-8")
    return path
