"""Benchmark (issue #17): the full time-series audit of 10,000 synthetic vs 10,000 real series of 200 steps and 5
channels: time (wall and CPU, per metric) and peak memory, the audit run as a child process.

    python benchmarks/bench_timeseries_audit.py [--series 10000] [--steps 200] [--channels 5] [--seed 0]

Data (seeded): real series from a 5-channel VAR(1) (A = 0.6 I + 0.1 off-diagonal coupling, correlated Gaussian
innovations); synthetic series from the same process with A = 0.5 I (slightly weaker dynamics), so every metric
has something to measure. Both are written as Parquet in the long layout (series_id, t, c0..c4), 10,000 x 200 rows
each. The audit: ``synthaudit audit timeseries -s SYN -r REAL --holdout-share 0.3`` with every metric at its
defaults (discriminative score: GRU, 500 steps; predictive score: GRU, 500 steps, trained twice; DCR: Euclidean on
the 200 x 5 windows, 7,000 train x 3,000 holdout x 10,000 synthetic; the reference audit of the held-out real
series runs too). Peak memory is the child's max RSS from /usr/bin/time. Writes
benchmarks/results/timeseries_audit.json and .md.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import scale_common as sc  # noqa: E402


def var_series(n: int, steps: int, k: int, diag: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    a = diag * np.eye(k) + 0.1 * (np.ones((k, k)) - np.eye(k)) / max(k - 1, 1)
    chol = np.linalg.cholesky(0.5 * np.eye(k) + 0.5 * np.ones((k, k)) / k)
    x = np.zeros((n, steps + 50, k))
    e = rng.normal(size=x.shape) @ chol.T
    for t in range(1, steps + 50):
        x[:, t] = x[:, t - 1] @ a.T + e[:, t]
    return x[:, 50:]


def long_frame(x: np.ndarray, prefix: str) -> pd.DataFrame:
    n, steps, k = x.shape
    frame = pd.DataFrame(x.reshape(n * steps, k), columns=[f"c{j}" for j in range(k)])
    frame.insert(0, "t", np.tile(np.arange(steps), n))
    frame.insert(0, "series_id", np.repeat([f"{prefix}{i}" for i in range(n)], steps))
    return frame


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--series", type=int, default=10_000)
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--channels", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--fast", action="store_true", help="the learners' feature-based families: gbm discriminator, "
                    "ridge forecaster (writes timeseries_audit_fast.*)")
    args = ap.parse_args()
    extra = ["--param", "timeseries.discriminative_score.family=gbm", "--param",
             "timeseries.predictive_score.family=ridge"] if args.fast else []
    with tempfile.TemporaryDirectory() as d:
        real, syn = Path(d) / "real.parquet", Path(d) / "syn.parquet"
        long_frame(var_series(args.series, args.steps, args.channels, 0.6, args.seed), "r").to_parquet(real)
        long_frame(var_series(args.series, args.steps, args.channels, 0.5, args.seed + 1), "s").to_parquet(syn)
        out = Path(d) / "audit"
        res = sc.run_child([sys.executable, "-m", "synthaudit", "audit", "timeseries", "-s", str(syn), "-r", str(real),
                            "--holdout-share", "0.3", "--out", str(out), "-q", *extra])
        report = json.loads((out / "report.json").read_text())
    metrics = [{"id": m["id"], "value": m["value"], "wall_s": m["wall_time_s"], "cpu_s": m["cpu_time_s"]}
               for m in report["metrics"]]
    shared = report.get("shared_time") or []
    payload = {"command": sys.argv[1:], "fast": args.fast, "machine": sc.machine(), "series": args.series,
               "steps": args.steps, "channels": args.channels,
               "audit": {k: res[k] for k in ("wall_s", "cpu_s", "peak_rss_mb", "others_cores_avg")},
               "metrics": metrics, "shared": shared}
    learners = ("gbm discriminator, ridge forecaster (--fast)" if args.fast
                else "GRU discriminator and forecaster (the defaults with torch)")
    lines = [f"# Time-series audit: {args.series:,} x {args.series:,} series of {args.steps} steps x "
             f"{args.channels} channels", "", f"Command: `python benchmarks/bench_timeseries_audit.py "
             f"{' '.join(sys.argv[1:])}`; learners: {learners}.", "",
             f"Whole audit (child process, incl. loading, the reference audit and the report): **{res['wall_s']:.1f} s "
             f"wall, {res['cpu_s']:.1f} CPU s, peak RSS {res['peak_rss_mb']} MB** (other processes used "
             f"{res['others_cores_avg']} cores on average).", "", "| metric | value | wall s | CPU s |",
             "|---|---|---|---|"]
    for m in metrics:
        v = "—" if m["value"] is None else f"{m['value']:.4g}"
        lines.append(f"| {m['id']} | {v} | {m['wall_s']:.2f} | {m['cpu_s']:.2f} |")
    if shared:
        lines += ["", "Shared steps (wall / CPU s): " + "; ".join(
            f"{s.get('name', s.get('label', '?'))} {s.get('wall_time_s', s.get('wall_s', 0)):.1f} / "
            f"{s.get('cpu_time_s', s.get('cpu_s', 0)):.1f}" for s in shared if isinstance(s, dict))]
    sc.write_results("timeseries_audit_fast" if args.fast else "timeseries_audit", payload, "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
