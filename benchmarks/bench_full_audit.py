"""Benchmark: a full tabular audit (every implemented tabular metric) at scale, with peak memory.

Real = UCI Adult training rows resampled with replacement to --rows; holdout = the Adult test split
(16,281 rows); synthetic = the built-in Gaussian copula fitted on the real rows, --rows rows.
Target 'income', protected attribute 'sex'. Runs in a fresh process so peak RSS is the audit's own.

    python benchmarks/bench_full_audit.py [--rows 100000]

Writes benchmarks/results/full_audit.json: wall and CPU seconds of the audit call (user + sys of the process, every
thread), peak RSS, per-metric wall and CPU seconds and the shared time (shared features, the reference audit).
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ADULT = HERE.parents[1] / "shared" / "data" / "tabular" / "adult"

CHILD = r"""
import json, resource, sys, time, warnings
import pandas as pd
warnings.filterwarnings("ignore")
import synthaudit
from synthaudit.generate.tabular import GaussianCopula
rows, adult = int(sys.argv[1]), sys.argv[2]
train = pd.read_csv(adult + "/adult_train.csv.gz", na_values=["?"])
holdout = pd.read_csv(adult + "/adult_test.csv.gz", na_values=["?"])
real = train.sample(rows, replace=rows > len(train), random_state=0).reset_index(drop=True)
t0 = time.perf_counter()
syn = GaussianCopula(seed=1).fit(real).sample(rows)
t_gen = time.perf_counter() - t0
ru0 = resource.getrusage(resource.RUSAGE_SELF)
rss_before = ru0.ru_maxrss
t0 = time.perf_counter()
rep = synthaudit.audit("tabular", synthetic=syn, real=real, holdout=holdout, target="income", protected="sex",
                       infer_constraints=True, seed=0)
wall = time.perf_counter() - t0
ru1 = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"rows": rows, "holdout_rows": len(holdout), "generate_s": t_gen, "audit_s": wall,
                  "audit_cpu_s": (ru1.ru_utime + ru1.ru_stime) - (ru0.ru_utime + ru0.ru_stime),
                  "peak_rss_mb": ru1.ru_maxrss / 1024,
                  "rss_before_audit_mb": rss_before / 1024,
                  "metrics": {m.id: {"status": m.status, "value": m.value, "wall_time_s": m.wall_time_s,
                                     "cpu_time_s": m.cpu_time_s, "error": m.error} for m in rep.metrics},
                  "shared_time": rep.shared_time,
                  "gaps": {g.id: g.reason for g in rep.gaps}}))
"""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=100_000)
    args = ap.parse_args()
    out = subprocess.run([sys.executable, "-c", CHILD, str(args.rows), str(ADULT)], capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(out.stderr)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    print(f"full tabular audit, {result['rows']:,} synthetic vs {result['rows']:,} real rows "
          f"(+{result['holdout_rows']:,} holdout): {result['audit_s']:.1f} s wall, {result['audit_cpu_s']:.1f} CPU s, "
          f"peak RSS {result['peak_rss_mb']:.0f} MB")
    for mid, m in sorted(result["metrics"].items(), key=lambda kv: -(kv[1]["cpu_time_s"] or 0.0)):
        print(f"  {mid:28s} {m['status']:6s} {m['cpu_time_s'] or 0.0:7.2f} CPU s {m['wall_time_s']:7.2f} s  "
              f"value={m['value']}")
    for s in result["shared_time"]:
        print(f"  shared: {s['label']:60s} {s['cpu_s']:7.2f} CPU s {s['wall_s']:7.2f} s")
    for mid, why in result["gaps"].items():
        print(f"  gap {mid}: {why}")
    dest = HERE / "results" / "full_audit.json"
    dest.parent.mkdir(exist_ok=True)
    dest.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {dest}")


if __name__ == "__main__":
    main()
