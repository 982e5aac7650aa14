"""Benchmark: exact vs sketched states (issue #13) on real data.

* Distinct-1..4 (text.distinct_n) through the audit engine on the 100,000-record corpus of
  bench_text_lexical.py (real Self-Instruct and IFEval sentences recombined, 95 MB): the exact default vs the
  HyperLogLog path forced with ``sketch_above=1`` (every n sketched from the first batch), ``hll_lg_k=16``.
* KS (the statistic of tabular.kst) on UCI Adult's age and fnlwgt, train vs test, each side resampled with
  seeded numpy draws to 12,000,000 real values (above the default threshold of 10,000,000): exact
  ``stats.ks.ks_statistic`` vs two KLL sketches (k=1000) and ``ks_statistic_sketch``.

Each measurement runs in its own process; memory = peak resident set size during the step minus the resident
size just before it (sampled every 5 ms), so the inputs are not counted.

    python benchmarks/bench_sketches.py [--records 100000] [--values 12000000]

Writes benchmarks/results/sketches.json.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ADULT = HERE.parents[1] / "shared" / "data" / "tabular" / "adult"


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


def measured(fn):
    """(result, wall s, CPU s, peak RSS increase MB) of fn()."""
    base, peak, done = rss_mb(), [0.0], threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], rss_mb())
            time.sleep(0.005)

    t = threading.Thread(target=sample, daemon=True)
    t.start()
    c0, t0 = time.process_time(), time.perf_counter()
    out = fn()
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    done.set()
    t.join()
    return out, wall, cpu, max(peak[0], rss_mb()) - base


def text_step(mode: str, records: int) -> dict:
    sys.path.insert(0, str(HERE))
    from bench_text_lexical import build_corpus

    import synthaudit

    corpus, _ = build_corpus(records)
    params = {"n": [1, 2, 3, 4], **({"sketch_above": 1} if mode == "sketch" else {})}
    synthaudit.audit("text", synthetic=corpus[:200], metrics=["text.distinct_n"])  # compile the kernels first
    rep, wall, cpu, mem = measured(lambda: synthaudit.audit("text", synthetic=corpus, metrics=["text.distinct_n"],
                                                            params={"text.distinct_n": params}, batch_size=10_000))
    r = rep.result("text.distinct_n")
    return {"mode": mode, "mb": sum(len(t.encode()) for t in corpus) / 1e6, "wall_s": wall, "cpu_s": cpu,
            "peak_rss_increase_mb": mem, **state_sizes(corpus, params), "value": r.value, "rows": r.breakdown,
            "note": r.notes.get("approximate")}


def state_sizes(corpus: list[str], params: dict) -> dict:
    """Pickled size (MB) of the metric's mergeable state after the same batches: whole (with the n-gram
    vocabulary, which other metrics of an audit share) and without the vocabulary (count tables or sketches)."""
    import pickle

    from synthaudit.data.text import prepare_text
    from synthaudit.metrics.registry import all_metrics

    impl = all_metrics()["text.distinct_n"].impl
    inputs = prepare_text(synthetic=corpus, params={"text.distinct_n": params})
    state = impl.init(inputs, None)
    for batch in inputs.batches("synthetic", 10_000):
        state = impl.update(state, "synthetic", batch)
    without = {k: v for k, v in state.items() if k != "vocab"}
    return {"state_pickled_mb": len(pickle.dumps(state)) / 1e6,
            "state_without_vocabulary_pickled_mb": len(pickle.dumps(without)) / 1e6}


def ks_step(mode: str, values: int) -> dict:
    import numpy as np
    import pandas as pd

    from synthaudit.stats.ks import ks_statistic
    from synthaudit.stats.sketches import QuantileSketch, ks_statistic_sketch

    rng = np.random.default_rng(13)
    train = pd.read_csv(ADULT / "adult_train.csv.gz", na_values=["?"])
    test = pd.read_csv(ADULT / "adult_test.csv.gz", na_values=["?"])
    out = {"mode": mode, "values_per_side": values, "columns": {}}
    for col in ("age", "fnlwgt"):
        a = rng.choice(train[col].to_numpy(float), size=values)
        b = rng.choice(test[col].to_numpy(float), size=values)
        if mode == "exact":
            res, wall, cpu, mem = measured(lambda a=a, b=b: (ks_statistic(a, b), 0.0))
        else:
            res, wall, cpu, mem = measured(lambda a=a, b=b: ks_statistic_sketch(QuantileSketch(1000).update(a),
                                                                                 QuantileSketch(1000).update(b)))
        out["columns"][col] = {"ks": res[0], "bound": res[1], "wall_s": wall, "cpu_s": cpu,
                               "peak_rss_increase_mb": mem}
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=100_000)
    ap.add_argument("--values", type=int, default=12_000_000)
    ap.add_argument("--step", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.step:
        kind, mode = args.step
        print(json.dumps(text_step(mode, args.records) if kind == "text" else ks_step(mode, args.values)))
        return
    results = {}
    for kind in ("text", "ks"):
        for mode in ("exact", "sketch"):
            proc = subprocess.run([sys.executable, __file__, "--records", str(args.records), "--values",
                                   str(args.values), "--step", kind, mode], capture_output=True, text=True, check=True)
            results[f"{kind}_{mode}"] = json.loads(proc.stdout.strip().splitlines()[-1])
            print(kind, mode, json.dumps(results[f"{kind}_{mode}"])[:600], flush=True)
    results["load_average_at_end"] = os.getloadavg()
    (HERE / "results" / "sketches.json").write_text(json.dumps(results, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
