"""Benchmark: embedding metrics (text.eds + text.self_cos_sim) against the embedder's own throughput.

Both metrics need the MiniLM embeddings of the synthetic corpus (EDS also of the real one). synthaudit
embeds each corpus once per audit and shares the embeddings between the metrics, so the two metrics
together should cost no more than encoding the corpora with the embedder directly (issue target: within
20 %). Records are real-length: Self-Instruct user-oriented instructions + responses, recombined (seeded).

    python benchmarks/bench_text_embedding.py [--records 20000]

Writes benchmarks/results/text_embedding.json.
"""
from __future__ import annotations

import argparse
import json
import random
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE.parents[1] / "shared" / "data" / "text" / "self_instruct_user_oriented" / "user_oriented_instructions.jsonl"


def corpus(n: int, seed: int) -> list[str]:
    rows = [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines() if line.strip()]
    pieces = []
    for r in rows:
        pieces.append(r["instruction"])
        for inst in r.get("instances", []):
            pieces.extend(x for x in (inst.get("input"), inst.get("output")) if x)
    rng = random.Random(seed)
    return [" ".join(rng.sample(pieces, 3)) for _ in range(n)]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=20_000, help="synthetic records (real: the same number)")
    args = ap.parse_args()
    import pandas as pd

    import synthaudit
    from synthaudit.models import Models

    syn, real = corpus(args.records, 1), corpus(args.records, 2)
    mb = sum(len(t.encode()) for t in syn + real) / 1e6
    models = Models.default()
    emb = models.get("sentence_embedder")
    emb.encode(syn[:256])  # warm-up
    t0 = time.perf_counter()
    emb.encode(syn)
    emb.encode(real)
    t_embedder = time.perf_counter() - t0
    fresh = Models.default()  # a new audit: nothing cached
    fresh.get("sentence_embedder").encode(syn[:256])
    t0 = time.perf_counter()
    rep = synthaudit.audit("text", synthetic=pd.DataFrame({"text": syn}), real=pd.DataFrame({"text": real}),
                           metrics=["text.eds", "text.self_cos_sim"], models=fresh)
    t_audit = time.perf_counter() - t0
    out = {"records_per_corpus": args.records, "mb_text": round(mb, 2), "embedder": emb.name,
           "embedder_only_s": round(t_embedder, 2), "audit_eds_selfcos_s": round(t_audit, 2),
           "overhead_vs_embedder": round(t_audit / t_embedder - 1, 4),
           "records_per_s_embedder": round(2 * args.records / t_embedder, 1),
           "values": {m.id: m.value for m in rep.metrics},
           "metric_wall_s": {m.id: m.wall_time_s for m in rep.metrics}}
    print(json.dumps(out, indent=2))
    (HERE / "results" / "text_embedding.json").write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
