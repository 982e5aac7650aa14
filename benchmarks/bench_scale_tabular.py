"""Benchmark (issue #13, "Scale"): a streamed 1,000,000-row tabular audit with the default metrics, and how its
peak memory depends on the batch size and the number of rows.

    nice -n 10 python benchmarks/bench_scale_tabular.py audit [--rows 1000000] [--batch-size 50000] \
        [--sample-size 100000] [--format csv]
    nice -n 10 python benchmarks/bench_scale_tabular.py memory [--rows 250000 1000000] [--batch-size 20000 100000] \
        [--metrics default mergeable]

Data (``scale_common.tabular_files``; written once to $SYNTHAUDIT_BENCH_DIR, default /tmp/synthaudit-scale): UCI
Adult (../shared/data/tabular/adult, both files pooled, 48,842 rows, '?' = missing), shuffled (seed 0) and split
in two disjoint halves A and B; real = N rows drawn with replacement from A; synthetic = N other rows drawn with
replacement from A, every number jittered by N(0, (1 % of its sd)^2) and rounded to 2 decimals; holdout = N rows
drawn with replacement from B. CSV (default) or Parquet.

Each audit is ``python -m synthaudit audit tabular -s SYN -r REAL --holdout HOLD --target income --stream
--batch-size B --sample-size S --no-checkpoint --out OUT -q`` (``--metrics`` = the five mergeable ones for
``mergeable``; ``--checkpoint``: the default checkpoint instead of ``--no-checkpoint``), in its own process under
``nice -n 10`` after waiting until other processes use < 0.5 cores (``--wait-quiet``); measured from the parent:
wall, CPU (user + sys, ``os.wait4``) and peak RSS (``/usr/bin/time``) of that process, imports, reading, the
reference run and the report files included; rows/s = synthetic rows / wall. The report's per-metric times and
``sample`` fields say which global metrics saw the seeded sample.

Writes benchmarks/results/scale_tabular.{json,md} (runs of other invocations are kept; a rerun of the same
configuration replaces its row; ``report`` rewrites the markdown from the JSON).
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import scale_common as sc  # noqa: E402

MERGEABLE = ["tabular.tvd", "tabular.chi2", "tabular.pearson_score", "tabular.contingency_score",
             "tabular.ext.trivariate_tvd"]
QUIET = (0.5, 300.0)  # before each run wait until other jobs use < 0.5 cores (at most 300 s): --wait-quiet
STEM = "scale_tabular"


def run_audit(n: int, batch_size: int, sample_size: int, fmt: str, which: str, checkpoint: bool = False) -> dict:
    paths, meta = sc.tabular_files(n, fmt)
    with tempfile.TemporaryDirectory(prefix="scale_tab_") as tmp:
        args = ["-s", str(paths["synthetic"]), "-r", str(paths["real"]), "--holdout", str(paths["holdout"]),
                "--target", "income", "--stream", "--batch-size", str(batch_size), "--sample-size", str(sample_size),
                "--out", tmp, "-q"] + ([] if checkpoint else ["--no-checkpoint"])
        if which == "mergeable":
            args += ["--metrics", ",".join(MERGEABLE)]
        res = sc.run_child([sys.executable, "-m", "synthaudit", "audit", "tabular", *args], quiet=QUIET)
        rep = json.loads((Path(tmp) / "report.json").read_text())
    metrics = {m["id"]: {"status": m["status"], "value": m.get("value"), "wall_time_s": m.get("wall_time_s"),
                         "cpu_time_s": m.get("cpu_time_s"), "sample": m.get("sample"),
                         "error": m.get("error")} for m in rep["metrics"]}
    shown = " ".join(a if not a.startswith("/") else "OUT" if a == tmp else Path(a).name for a in args)
    sampled = sorted(k for k, m in metrics.items() if m["sample"])
    return {"kind": which + (" + checkpoint" if checkpoint else ""), "checkpoint": checkpoint, "rows": n,
            "batch_size": batch_size, "sample_size": sample_size, "format": fmt,
            "data": meta, "command": "python -m synthaudit audit tabular " + shown,
            "wall_s": res["wall_s"], "cpu_s": res["cpu_s"], "user_s": res["user_s"], "sys_s": res["sys_s"],
            "peak_rss_mb": res["peak_rss_mb"], "rows_per_s": round(n / res["wall_s"], 1),
            "rows_per_cpu_s": round(n / res["cpu_s"], 1), "audit_duration_s": rep["run"].get("duration_s"),
            "execution": rep["run"].get("execution"), "load_before": res["load_before"],
            "load_after": res["load_after"], "n_metrics": len(metrics),
            "others_cores_avg": res.get("others_cores_avg"), "niceness": res.get("niceness"),
            "wait_quiet": res.get("wait_quiet"),
            "n_ok": sum(m["status"] == "ok" for m in metrics.values()),
            "failed": {k: m["error"] for k, m in metrics.items() if m["status"] != "ok"},
            "sampled_metrics": sampled, "not_sampled_metrics": sorted(set(metrics) - set(sampled)),
            "metrics": metrics, "shared_time": rep.get("shared_time"), "warnings": rep.get("warnings"),
            "gaps": [g.get("id") for g in rep.get("gaps", [])], "reference": rep.get("reference")}


def markdown(runs: list[dict], machine: dict) -> str:
    lines = ["# Tabular audits at scale (issue #13)", "",
             f"Machine: {machine['cpu_model']}, {machine['nproc']} cores, {machine['ram_gib']} GiB RAM; every audit "
             "in its own process under `nice -n 10`; CPU = user + sys of that process; peak = its max RSS; rows = "
             "synthetic rows (real and holdout the same number). The machine was shared: 'other jobs' = the cores "
             "other processes used on average during the run (/proc/stat), or for older rows the 1-minute load "
             "average before it.", "",
             "| metrics | rows (syn = real = holdout) | format | batch | sample | wall s | CPU s | peak RSS MB "
             "| rows/s "
             "(wall) | metrics ok | other jobs (cores) |", "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in sorted(runs, key=lambda r: (r["kind"], r["format"], r["rows"], r["batch_size"], r["sample_size"])):
        sample = f"{r['sample_size']:,}" if r["kind"].startswith("default") else "— (no global metric)"
        lines.append(f"| {r['kind']} | {r['rows']:,} | {r['format']} | {r['batch_size']:,} | {sample} | "
                     f"{r['wall_s']:.1f} | {r['cpu_s']:.1f} | {r['peak_rss_mb']:,.0f} | {r['rows_per_s']:,.0f} | "
                     f"{r['n_ok']}/{r['n_metrics']} | {sc.other(r)} |")
    full = [r for r in runs if r["kind"] == "default"]
    if full:
        big = max(full, key=lambda r: (r["rows"], r["sample_size"] == 100_000, r["batch_size"] == 50_000,
                                       -(r.get("others_cores_avg") or 9)))
        lines += ["", f"Per metric, default audit at {big['rows']:,} rows, batch {big['batch_size']:,}, sample "
                  f"{big['sample_size']:,} (`sample`: the rows the metric saw per role):", "",
                  "| metric | value | wall s | CPU s | sample |", "|---|---|---|---|---|"]
        for mid, m in big["metrics"].items():
            s = m["sample"]
            shown = ("; ".join(f"{role} {d['rows']:,} of {d['of']:,}" for role, d in s.items()) if s
                     else "all rows (streamed)")
            v = m["value"]
            lines.append(f"| {mid} | {v if not isinstance(v, float) else round(v, 6)} | {m['wall_time_s']:.1f} | "
                         f"{(m['cpu_time_s'] or 0):.1f} | "
                         f"{shown if m['status'] == 'ok' else 'failed: ' + str(m['error'])} |")
        if big.get("shared_time"):
            lines += ["", "Shared time (no single metric owns it): " + "; ".join(
                f"{s.get('label', '?')} {s.get('wall_s') or 0:.1f} s wall / {s.get('cpu_s') or 0:.1f} s CPU"
                for s in big["shared_time"] if isinstance(s, dict)) + "."]
    lines += ["", "Commands:", ""] + [f"* `{r['command']}`" for r in runs]
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("what", choices=["audit", "memory", "report"], help="report: rewrite the markdown from the JSON")
    ap.add_argument("--rows", type=int, nargs="+")
    ap.add_argument("--batch-size", type=int, nargs="+")
    ap.add_argument("--sample-size", type=int, default=100_000)
    ap.add_argument("--format", choices=["csv", "parquet"], default="csv")
    ap.add_argument("--metrics", nargs="+", choices=["default", "mergeable"])
    ap.add_argument("--checkpoint", action="store_true",
                    help="keep the default checkpoint (OUT/.synthaudit-checkpoint) instead of --no-checkpoint")
    ap.add_argument("--wait-quiet", type=float, nargs=2, default=list(QUIET), metavar=("CORES", "TIMEOUT_S"),
                    help="before each run wait until other processes use fewer cores than CORES (0: no wait)")
    args = ap.parse_args()
    globals()["QUIET"] = tuple(args.wait_quiet)
    machine = sc.machine()
    if args.what == "report":
        allruns = json.loads((sc.RESULTS / f"{STEM}.json").read_text())["runs"]
        sc.write_results(STEM, {"benchmark": "bench_scale_tabular.py", "runs": allruns}, markdown(allruns, machine))
        return
    if args.what == "audit":
        grid = [(n, b, w) for n in args.rows or [1_000_000] for b in args.batch_size or [50_000]
                for w in args.metrics or ["default"]]
    else:
        grid = [(n, b, w) for w in args.metrics or ["mergeable", "default"] for n in args.rows or [250_000, 1_000_000]
                for b in args.batch_size or [20_000, 100_000]]
    runs = []
    for n, b, which in grid:
        runs.append(run_audit(n, b, args.sample_size, args.format, which, args.checkpoint))
        print(json.dumps({k: runs[-1][k] for k in ("kind", "rows", "batch_size", "wall_s", "cpu_s", "peak_rss_mb",
                                                   "rows_per_s", "n_ok", "n_metrics", "failed")}), flush=True)
    key = lambda r: (r["kind"], r["rows"], r["batch_size"], r["sample_size"], r["format"])  # noqa: E731
    allruns = sc.merge_runs(STEM, [{**r, "machine": machine} for r in runs], key)
    j, m = sc.write_results(STEM, {"benchmark": "bench_scale_tabular.py", "runs": allruns}, markdown(allruns, machine))
    print(f"wrote {j.relative_to(sc.REPO)} and {m.relative_to(sc.REPO)}")


if __name__ == "__main__":
    main()
