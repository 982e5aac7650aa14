"""Micro-benchmark (issue #13, Ray scaling efficiency): the driver's fold of shard states, alone.

    nice -n 10 python benchmarks/bench_fold_counts.py [--rows 500000] [--batch-size 25000] [--repeat 5]
        [--dump values.json]

The five mergeable tabular metrics of ``bench_scale_ray.py tabular`` run as a streamed audit on the local engine
with a checkpoint (so every batch is a shard, as on Ray): ``--rows`` synthetic and real rows
(``scale_common.tabular_files``), ``--batch-size`` rows a shard, i.e. 2 x rows / batch-size shards. Every shard
state is pickled and unpickled (what a Ray worker sends the driver); the audit's own fold is timed, then the same
shard states are unpickled and folded ``--repeat`` more times, in shard order, from fresh copies of the initial
states. Timed with ``time.process_time``: the ``merge`` calls, and apart the unpickling of the shard results (the
driver's other cost per shard). Also reported: each metric's update
CPU seconds summed over the shards (worker side), the pickled size of the shard states, and each metric's CPU
seconds in the report (finalize included). ``--dump``: every metric's status, value, secondary, breakdown and
notes as JSON (floats exact), to compare two versions of the code.

Prints one JSON line; writes nothing into the repository.
"""
from __future__ import annotations

import argparse
import json
import pickle
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import scale_common as sc  # noqa: E402
from bench_scale_ray import TABULAR  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=500_000)
    ap.add_argument("--batch-size", type=int, default=25_000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--dump", type=Path)
    args = ap.parse_args()

    import synthaudit
    from synthaudit.audit import execution, shards

    paths, _ = sc.tabular_files(args.rows, "csv")
    initial: dict[str, bytes] = {}
    received: list[bytes] = []
    fold = {m: 0.0 for m in TABULAR}
    update = {m: 0.0 for m in TABULAR}

    def merge_into(acc, result, metrics, errors):  # the engine's fold, timed per metric
        payload = pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)
        received.append(payload)
        result = pickle.loads(payload)
        for mid, state in result.states.items():
            initial.setdefault(mid, pickle.dumps(acc[mid], protocol=pickle.HIGHEST_PROTOCOL))
            c0 = time.process_time()
            acc[mid] = metrics[mid].impl.merge(acc[mid], state)
            fold[mid] += time.process_time() - c0
            update[mid] += result.cpu_s[mid]
        assert not result.errors, result.errors

    shards.merge_into = merge_into
    execution.Checkpoint.done = lambda self: None  # the temporary folder goes as a whole
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.process_time()
        rep = synthaudit.audit("tabular", synthetic=str(paths["synthetic"]), real=str(paths["real"]), stream=True,
                               batch_size=args.batch_size, checkpoint=Path(tmp) / "ck", metrics=TABULAR, seed=0)
        audit_cpu = time.process_time() - t0
    assert all(m.status == "ok" for m in rep.metrics), [(m.id, m.error) for m in rep.metrics]

    from synthaudit.metrics.registry import get  # noqa: PLC0415

    impls = {m: get(m).impl for m in TABULAR}
    repeats, loads = [], []
    for _ in range(args.repeat):
        acc = {m: pickle.loads(b) for m, b in initial.items()}
        total = unpickle = 0.0
        for payload in received:
            c0 = time.process_time()
            result = pickle.loads(payload)
            unpickle += time.process_time() - c0
            c0 = time.process_time()
            for mid, state in result.states.items():
                acc[mid] = impls[mid].merge(acc[mid], state)
            total += time.process_time() - c0
        repeats.append(total)
        loads.append(unpickle)
    out = {"rows_per_side": args.rows, "batch_size": args.batch_size, "shards": len(received),
           "fold_cpu_s_in_audit": round(sum(fold.values()), 4),
           "fold_cpu_s_by_metric": {m: round(v, 4) for m, v in fold.items()},
           "fold_cpu_s_repeats": [round(x, 4) for x in repeats],
           "fold_cpu_s_median": round(statistics.median(repeats), 4) if repeats else None,
           "unpickle_cpu_s_median": round(statistics.median(loads), 4) if loads else None,
           "update_cpu_s_by_metric": {m: round(v, 3) for m, v in update.items()},
           "shard_pickle_mb_total": round(sum(len(p) for p in received) / 1e6, 2),
           "metric_cpu_s_in_report": {m.id: round(m.cpu_time_s, 3) for m in rep.metrics},
           "audit_cpu_s": round(audit_cpu, 2)}
    print(json.dumps(out))
    if args.dump:
        doc = {m.id: {"status": m.status, "value": m.value, "secondary": m.secondary,
                      "breakdown": rep.result(m.id).breakdown, "notes": rep.result(m.id).notes} for m in rep.metrics}
        args.dump.write_text(json.dumps(doc, sort_keys=True, default=str))


if __name__ == "__main__":
    main()
