"""Benchmark (issue #13, "Scale"): a streamed text audit of 1,000,000 records, and the embedding metrics against
the embedder alone.

    nice -n 10 python benchmarks/bench_scale_text.py lexical [--records 1000000 250000] [--batch-size 50000]
    nice -n 10 python benchmarks/bench_scale_text.py states [--records 100000 250000]
    nice -n 10 python benchmarks/bench_scale_text.py embedding [--records 20000] [--real 5000] [--batch-size 5000]

``lexical``: ``python -m synthaudit audit text -s FILE --stream --batch-size B --no-checkpoint`` with the nine
lexical and record metrics (text.distinct_n, text.ttr, text.ent_n, text.ext.exact_duplicate_rate,
text.ext.near_duplicate_rate, text.ext.length_distribution, text.ext.truncation_rate, text.ext.empty_rate,
text.ext.encoding_noise_rate; default parameters) on a JSON Lines file of N records, in its own process under
``nice -n 10`` (after waiting until other processes use < 0.5 cores, ``--wait-quiet``). Measured from the parent:
wall, CPU (user + sys, ``os.wait4``) and peak RSS (``/usr/bin/time``) of that process, imports, reading and the
report files included; records/s = N / wall; the cores other processes used meanwhile (/proc/stat).

Data: no downloadable corpus here (offline; nltk data and sklearn's 20newsgroups are not installed), so the
records are recombined real sentences, the recipe of bench_text_lexical.py: the sentences of the Self-Instruct
(user-oriented and seed tasks) and IFEval texts in ../shared/data/text (5,515 sentences) drawn at random (seeded)
and joined into records of 300-1,500 characters, 2 % planted exact and 2 % planted near duplicates.

``states``: how each metric's state grows with the number of records: the nine metrics' states after streaming
N records (the engine's init/update, one batch at a time, in one process), each pickled with the engine's
transport (``synthaudit.audit.transport.dumps``, the bytes a shard or checkpoint holds), bytes per record.

``embedding``: text.self_cos_sim and text.eds (the embedder-backed text metrics) on 20,000 synthetic and 5,000 real
records of two real sentences each (distinct texts, about 120 characters), streamed from JSONL, against the
default offline embedder alone (all-MiniLM-L6-v2, ``Models.default().get("sentence_embedder").encode(texts)``) on
the same texts in the same process; both after one warm-up encode (model loaded), torch on its default thread
count (half the cores: 1 here).

Writes benchmarks/results/scale_text.{json,md} (runs of other invocations are kept; a rerun of the same
configuration replaces its row; ``report`` rewrites the markdown from the JSON). ``--checkpoint`` (lexical) keeps
the default checkpoint instead of ``--no-checkpoint``.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import scale_common as sc  # noqa: E402

LEXICAL = ["text.distinct_n", "text.ttr", "text.ent_n", "text.ext.exact_duplicate_rate",
           "text.ext.near_duplicate_rate", "text.ext.length_distribution", "text.ext.truncation_rate",
           "text.ext.empty_rate", "text.ext.encoding_noise_rate"]
EMBEDDING = ["text.self_cos_sim", "text.eds"]
QUIET = (0.5, 300.0)  # before each run wait until other jobs use < 0.5 cores (at most 300 s): --wait-quiet
STEM = "scale_text"


# ---------------------------------------------------------------------------------------------- children
def child_states(path: str, batch_size: int) -> None:
    """Stream the file through the nine metrics' init/update; print each state's size in memory: its pickled size,
    less the texts a state keeps in a temporary file (the near-duplicate check's TextStore, given separately)."""
    import resource

    from synthaudit.audit import transport
    from synthaudit.audit.api import options_for, prepare_inputs, resolve_models
    from synthaudit.audit.plan import make_plan

    opts = options_for("text", synthetic=path)
    inputs = prepare_inputs(opts, stream=True)
    models = resolve_models(None)
    plan = make_plan(inputs, models, metrics=LEXICAL)
    metrics = [m for m in plan.run if m.id in LEXICAL]
    states = {m.id: m.impl.init(inputs, models) for m in metrics}
    n = 0
    t0 = time.perf_counter()
    for batch in inputs.batches("synthetic", batch_size):
        n += len(batch)
        for m in metrics:
            states[m.id] = m.impl.update(states[m.id], "synthetic", batch)
    stream_s = time.perf_counter() - t0
    from synthaudit.stats.textstore import TextStore

    def on_disk(state) -> int:  # texts a TextStore spilled to its temporary file: pickled, but not in memory
        values = state.values() if isinstance(state, dict) else ()
        return sum(v.spilled_bytes for v in values if isinstance(v, TextStore))

    disk = {m.id: on_disk(states[m.id]) for m in metrics}
    sizes = {m.id: len(transport.dumps(states[m.id], inputs, models)) - disk[m.id] for m in metrics}
    together = len(transport.dumps(states, inputs, models)) - sum(disk.values())  # shared objects counted once
    from synthaudit.stats.ngrams import shared_vocabulary

    vocab = len(transport.dumps(shared_vocabulary(inputs, True), inputs, models))
    print(json.dumps({"records": n, "state_bytes": sizes, "disk_bytes": disk, "all_states_bytes": together,
                      "vocabulary_bytes": vocab,
                      "stream_s": round(stream_s, 2),
                      "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


def child_embedding(syn: str, real: str, batch_size: int) -> None:
    import numpy as np

    import synthaudit
    from synthaudit.metrics.text.semantic import self_cos_sim
    from synthaudit.models import Models

    read = lambda p: [json.loads(x)["text"] for x in Path(p).read_text(encoding="utf-8").splitlines() if x.strip()]  # noqa: E731
    a, b = read(syn), read(real)
    warm = a[:256]

    models = Models.default()
    emb = models.get("sentence_embedder")
    emb.encode(warm)  # load + warm-up
    t0, c0 = time.perf_counter(), time.process_time()
    ea = emb.encode(a)
    eb = emb.encode(b)
    embed_wall, embed_cpu = time.perf_counter() - t0, time.process_time() - c0
    ref_selfcos = self_cos_sim(np.asarray(ea, dtype=np.float64) / np.linalg.norm(ea, axis=1, keepdims=True))
    del ea, eb

    fresh = Models.default()  # a new audit: nothing cached, the model loaded and warmed up as above
    fresh.get("sentence_embedder").encode(warm)
    t0, c0 = time.perf_counter(), time.process_time()
    rep = synthaudit.audit("text", synthetic=syn, real=real, metrics=EMBEDDING, models=fresh, stream=True,
                           batch_size=batch_size, checkpoint=False)
    audit_wall, audit_cpu = time.perf_counter() - t0, time.process_time() - c0
    bad = [(m.id, m.error) for m in rep.metrics if m.status != "ok"]
    assert not bad, bad
    import torch

    print(json.dumps({
        "embedder": emb.name, "torch_threads": torch.get_num_threads(),
        "embedder_only_wall_s": round(embed_wall, 2), "embedder_only_cpu_s": round(embed_cpu, 2),
        "audit_wall_s": round(audit_wall, 2), "audit_cpu_s": round(audit_cpu, 2),
        "wall_ratio": round(audit_wall / embed_wall, 4), "cpu_ratio": round(audit_cpu / embed_cpu, 4),
        "records_per_s_embedder": round((len(a) + len(b)) / embed_wall, 1),
        "records_per_s_audit": round((len(a) + len(b)) / audit_wall, 1),
        "values": {m.id: m.value for m in rep.metrics},
        "self_cos_sim_from_embedder_alone": ref_selfcos,
        "metric_wall_s": {m.id: m.wall_time_s for m in rep.metrics},
        "metric_cpu_s": {m.id: m.cpu_time_s for m in rep.metrics},
        "shared_time": [s.model_dump() if hasattr(s, "model_dump") else s for s in (rep.shared_time or [])],
    }, default=str))


# ---------------------------------------------------------------------------------------------- parent
def run_lexical(n: int, batch_size: int, checkpoint: bool = False) -> dict:
    path, meta = sc.text_corpus(n)
    with tempfile.TemporaryDirectory(prefix="scale_text_") as tmp:
        cmd = [sys.executable, "-m", "synthaudit", "audit", "text", "-s", str(path), "--stream",
               "--batch-size", str(batch_size), "--metrics", ",".join(LEXICAL), "--out", tmp, "-q"]
        cmd += [] if checkpoint else ["--no-checkpoint"]
        res = sc.run_child(cmd, quiet=QUIET)
        rep = json.loads((Path(tmp) / "report.json").read_text())
    metrics = {m["id"]: {"status": m["status"], "value": m.get("value"), "wall_time_s": m.get("wall_time_s"),
                         "cpu_time_s": m.get("cpu_time_s"), "sample": m.get("sample"),
                         "notes_approximate": (m.get("notes") or {}).get("approximate"),
                         "secondary": m.get("secondary")} for m in rep["metrics"]}
    bad = {k: v for k, v in metrics.items() if v["status"] != "ok"}
    assert not bad, bad
    shown = ("python -m synthaudit audit text -s text_long_N.jsonl --stream --batch-size B --no-checkpoint "
             "--metrics " + ",".join(LEXICAL) + " --out OUT -q")
    if checkpoint:
        shown = shown.replace(" --no-checkpoint", "")
    return {"kind": "lexical + checkpoint" if checkpoint else "lexical", "checkpoint": checkpoint, "records": n,
            "batch_size": batch_size, "data": meta,
            "command": shown.replace("_N", f"_{n}").replace(" B ", f" {batch_size} "),
            "wall_s": res["wall_s"], "cpu_s": res["cpu_s"], "user_s": res["user_s"], "sys_s": res["sys_s"],
            "peak_rss_mb": res["peak_rss_mb"], "records_per_s": round(n / res["wall_s"], 1),
            "records_per_cpu_s": round(n / res["cpu_s"], 1), "mb_per_s": round(meta["mb_utf8_text"] / res["wall_s"], 2),
            "audit_duration_s": rep["run"].get("duration_s"), "execution": rep["run"].get("execution"),
            "load_before": res["load_before"], "load_after": res["load_after"], "metrics": metrics,
            "others_cores_avg": res.get("others_cores_avg"), "niceness": res.get("niceness"),
            "wait_quiet": res.get("wait_quiet"),
            "warnings": rep.get("warnings")}


def run_states(n: int, batch_size: int) -> dict:
    path, meta = sc.text_corpus(n)
    res = sc.run_child([sys.executable, __file__, "_child_states", str(path), str(batch_size)], quiet=QUIET)
    out = res["out"]
    return {"kind": "states", "records": n, "batch_size": batch_size, "data": meta, "state_bytes": out["state_bytes"],
            "all_states_bytes": out["all_states_bytes"], "vocabulary_bytes": out["vocabulary_bytes"],
            "disk_bytes": out.get("disk_bytes", {}),
            "bytes_per_record": {k: round(v / n, 1) for k, v in out["state_bytes"].items()},
            "wall_s": res["wall_s"], "cpu_s": res["cpu_s"], "peak_rss_mb": res["peak_rss_mb"],
            "load_before": res["load_before"], "load_after": res["load_after"],
            "others_cores_avg": res.get("others_cores_avg"), "niceness": res.get("niceness"),
            "command": f"python benchmarks/bench_scale_text.py states --records {n} --batch-size {batch_size}"}


def run_embedding(n: int, n_real: int, batch_size: int) -> dict:
    syn, real, meta = sc.short_corpora(n, n_real)
    res = sc.run_child([sys.executable, __file__, "_child_embedding", str(syn), str(real), str(batch_size)],
                       quiet=QUIET)
    out = res["out"]
    return {"kind": "embedding", "records": n, "real_records": n_real, "batch_size": batch_size, "data": meta,
            "process_wall_s": res["wall_s"], "process_cpu_s": res["cpu_s"], "peak_rss_mb": res["peak_rss_mb"],
            "load_before": res["load_before"], "load_after": res["load_after"], **out,
            "others_cores_avg": res.get("others_cores_avg"), "niceness": res.get("niceness"),
            "command": f"python benchmarks/bench_scale_text.py embedding --records {n} --real {n_real} "
                       f"--batch-size {batch_size}"}


def markdown(runs: list[dict], machine: dict) -> str:
    lines = ["# Text at scale (issue #13)", "",
             f"Machine: {machine['cpu_model']}, {machine['nproc']} cores, {machine['ram_gib']} GiB RAM; every run in "
             "its own process under `nice -n 10`; CPU = user + sys of that process; peak = its max RSS. The machine "
             "was shared: 'other jobs' = the cores other processes used on average during the run (/proc/stat), or "
             "for older rows the 1-minute load average before it.", ""]
    lex = sorted([r for r in runs if r["kind"].startswith("lexical")],
                 key=lambda r: (r.get("checkpoint", False), r["records"], r["batch_size"]))
    if lex:
        lines += ["## Lexical and record metrics, streamed from JSON Lines", "",
                  "| records | MB of text | batch | checkpoint | wall s | CPU s | peak RSS MB | records/s (wall) "
                  "| records/CPU s | other jobs (cores) |", "|---|---|---|---|---|---|---|---|---|---|"]
        for r in lex:
            lines.append(f"| {r['records']:,} | {r['data']['mb_utf8_text']:,} | {r['batch_size']:,} | "
                         f"{'yes (OUT/.synthaudit-checkpoint)' if r.get('checkpoint') else 'no'} | {r['wall_s']:.1f} "
                         f"| {r['cpu_s']:.1f} | {r['peak_rss_mb']:,.0f} | {r['records_per_s']:,.0f} | "
                         f"{r['records_per_cpu_s']:,.0f} | {sc.other(r)} |")
        big = max((r for r in lex if not r.get("checkpoint")), key=lambda r: r["records"])
        lines += ["", f"Per metric at {big['records']:,} records (the engine's wall / CPU s of each metric; reading "
                  "the JSON Lines batches is outside the metrics, and each batch is tokenised once, charged to the "
                  "first metric that asks, text.ttr):", "",
                  "| metric | value | wall s | CPU s | approximate |", "|---|---|---|---|---|"]
        for mid, m in big["metrics"].items():
            v = m["value"]
            lines.append(f"| {mid} | {v if v is None else round(v, 6)} | {m['wall_time_s']:.1f} | "
                         f"{(m['cpu_time_s'] or 0):.1f} | {m['notes_approximate'] or 'exact'} |")
    st = sorted([r for r in runs if r["kind"] == "states"], key=lambda r: r["records"])
    if st:
        ids = list(st[0]["state_bytes"])
        lines += ["", "## State size per metric in memory (pickled size, less the texts the near-duplicate check "
                  "keeps in a temporary file: given after the table)", "",
                  "| metric | " + " | ".join(f"{r['records']:,} records: MB (bytes/record)" for r in st) + " |",
                  "|---|" + "---|" * len(st)]
        for mid in ids:
            lines.append(f"| {mid} | " + " | ".join(
                f"{r['state_bytes'][mid] / 1e6:,.1f} ({r['bytes_per_record'][mid]:,.1f})" for r in st) + " |")
        lines.append("| the shared token/n-gram vocabulary (inside each n-gram and length state above) | " + " | ".join(
            f"{r['vocabulary_bytes'] / 1e6:,.1f} ({r['vocabulary_bytes'] / r['records']:,.1f})" for r in st) + " |")
        lines.append("| all nine states together (shared objects once) | " + " | ".join(
            f"{r['all_states_bytes'] / 1e6:,.1f} ({r['all_states_bytes'] / r['records']:,.1f})" for r in st) + " |")
        lines.append("")
        lines.append("On disk (temporary files, removed with the state): " + "; ".join(
            f"{r['records']:,} records: {sum(r.get('disk_bytes', {}).values()) / 1e6:,.1f} MB" for r in st) + ".")
        lines.append("")
        lines.append("Peak RSS of these probe processes: " + ", ".join(
            f"{r['records']:,} records {r['peak_rss_mb']:,.0f} MB" for r in st) + ".")
    emb = [r for r in runs if r["kind"] == "embedding"]
    if emb:
        lines += ["", "## Embedding metrics vs the embedder alone", "",
                  "| synthetic + real records | batch | embedder alone wall / CPU s | audit (self_cos_sim + eds) wall "
                  "/ CPU s | ratio wall / CPU | records/s embedder | peak RSS MB | other jobs (cores) |",
                  "|---|---|---|---|---|---|---|---|"]
        for r in emb:
            lines.append(f"| {r['records']:,} + {r['real_records']:,} | {r['batch_size']:,} | "
                         f"{r['embedder_only_wall_s']:.1f} / {r['embedder_only_cpu_s']:.1f} | "
                         f"{r['audit_wall_s']:.1f} / "
                         f"{r['audit_cpu_s']:.1f} | {r['wall_ratio']:.3f} / {r['cpu_ratio']:.3f} | "
                         f"{r['records_per_s_embedder']:.0f} | {r['peak_rss_mb']:,.0f} | {sc.other(r)} |")
    lines += ["", "Commands: " + "; ".join(f"`{r['command']}`" for r in lex + st + emb)]
    return "\n".join(lines)


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "_child_states":
        return child_states(sys.argv[2], int(sys.argv[3]))
    if len(sys.argv) > 1 and sys.argv[1] == "_child_embedding":
        return child_embedding(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("what", choices=["lexical", "states", "embedding", "report"],
                    help="report: rewrite the markdown from the JSON")
    ap.add_argument("--records", type=int, nargs="+")
    ap.add_argument("--real", type=int, default=5_000, help="embedding: real records")
    ap.add_argument("--batch-size", type=int, nargs="+")
    ap.add_argument("--checkpoint", action="store_true",
                    help="lexical: keep the default checkpoint (OUT/.synthaudit-checkpoint) instead of --no-checkpoint")
    ap.add_argument("--wait-quiet", type=float, nargs=2, default=list(QUIET), metavar=("CORES", "TIMEOUT_S"),
                    help="before each run wait until other processes use fewer cores than CORES (0: no wait)")
    args = ap.parse_args()
    globals()["QUIET"] = tuple(args.wait_quiet)
    machine = sc.machine()
    if args.what == "report":
        allruns = json.loads((sc.RESULTS / f"{STEM}.json").read_text())["runs"]
        sc.write_results(STEM, {"benchmark": "bench_scale_text.py", "runs": allruns}, markdown(allruns, machine))
        return
    runs: list[dict] = []
    if args.what == "lexical":
        for n in args.records or [1_000_000]:
            for b in args.batch_size or [50_000]:
                runs.append(run_lexical(n, b, args.checkpoint))
                print(json.dumps({k: runs[-1][k] for k in ("records", "batch_size", "wall_s", "cpu_s", "peak_rss_mb",
                                                           "records_per_s")}), flush=True)
    elif args.what == "states":
        for n in args.records or [100_000, 250_000]:
            runs.append(run_states(n, (args.batch_size or [50_000])[0]))
            print(json.dumps({k: runs[-1][k] for k in ("records", "state_bytes", "peak_rss_mb")}), flush=True)
    else:
        for n in args.records or [20_000]:
            runs.append(run_embedding(n, args.real, (args.batch_size or [5_000])[0]))
            print(json.dumps({k: runs[-1][k] for k in ("records", "embedder_only_wall_s", "audit_wall_s",
                                                       "wall_ratio", "cpu_ratio")}), flush=True)
    key = lambda r: (r["kind"], r["records"], r.get("batch_size"), r.get("real_records"))  # noqa: E731
    allruns = sc.merge_runs(STEM, [{**r, "machine": machine} for r in runs], key)
    j, m = sc.write_results(STEM, {"benchmark": "bench_scale_text.py", "runs": allruns}, markdown(allruns, machine))
    print(f"wrote {j.relative_to(sc.REPO)} and {m.relative_to(sc.REPO)}")


if __name__ == "__main__":
    main()
