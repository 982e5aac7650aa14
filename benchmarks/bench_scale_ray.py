"""Benchmark (issue #13, "Scale"): the same streamed audit on the local engine and on Ray with 1 and 2 workers.

    nice -n 10 python benchmarks/bench_scale_ray.py tabular [--rows 1000000] [--batch-size 50000] [--repeat 1]
    nice -n 10 python benchmarks/bench_scale_ray.py text [--records 12000] [--batch-size 500] [--repeat 1]

Workloads (stream=True, checkpoint=False, the same batch size for every engine):

* ``tabular``: the five mergeable tabular metrics (tabular.tvd, tabular.chi2, tabular.pearson_score,
  tabular.contingency_score, tabular.ext.trivariate_tvd) on N synthetic and N real rows streamed from CSV
  (``scale_common.tabular_files``: UCI Adult resampled, the synthetic side jittered). Per-shard compute is small:
  the driver's reading and coercion of each batch is most of the work.
* ``text``: text.self_cos_sim (all-MiniLM-L6-v2 on CPU, one torch thread per process) plus the nine lexical and
  record metrics on N distinct records of two real sentences each (``scale_common.short_corpora``), streamed from
  JSON Lines: per-shard compute (the embedder) dominates.

Configurations, each in a fresh process under ``nice -n 10``: ``local`` (engine="local"), ``ray-1`` and ``ray-2``
(engine="ray", workers=1 / 2, on a local cluster started in that process first with ``ray.init(num_cpus=2,
object_store_memory=2e8, include_dashboard=False)``; its start-up is timed apart, the audit call includes
creating the actors and each worker's model load); for ``text`` also ``local-t2`` (the local engine with
SYNTHAUDIT_TORCH_THREADS=2: the other way to use both cores).

Measured: the audit call's wall time; CPU seconds of the driver (``time.process_time``: every thread of the
driver process) and of every process the driver started (Ray's gcs, raylet and workers: user + sys from psutil,
polled every 0.2 s and once more just before the actors are killed, minus what they had used before the audit
started); peak RSS (VmHWM) of the driver and of each actor process. Scaling efficiency = T(1 worker) /
(2 x T(2 workers)). Every metric's status, value and secondary values on Ray must equal the local engine's: the
script asserts it.

Before each configuration the script waits until other processes use < 0.5 cores (``--wait-quiet``, at most
``--wait-timeout`` s) and records what they used during the audit. The runs are also kept in
$SYNTHAUDIT_BENCH_DIR/scale_ray_WORKLOAD_raw.json; ``--from-raw`` checks and writes them again.

Writes benchmarks/results/scale_ray.{json,md} (runs of other workloads are kept).
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import scale_common as sc  # noqa: E402

TABULAR = ["tabular.tvd", "tabular.chi2", "tabular.pearson_score", "tabular.contingency_score",
           "tabular.ext.trivariate_tvd"]
TEXT = ["text.self_cos_sim", "text.distinct_n", "text.ttr", "text.ent_n", "text.ext.exact_duplicate_rate",
        "text.ext.near_duplicate_rate", "text.ext.length_distribution", "text.ext.truncation_rate",
        "text.ext.empty_rate", "text.ext.encoding_noise_rate"]
CONFIGS = {"local": ("local", None), "local-t2": ("local", None), "ray-1": ("ray", 1), "ray-2": ("ray", 2)}
STEM = "scale_ray"


# ---------------------------------------------------------------------------------------------- child
def child(spec: dict) -> None:
    import os

    engine, workers = CONFIGS[spec["config"]]
    cluster_s = None
    if engine == "ray":
        import ray

        t0 = time.perf_counter()
        ray.init(num_cpus=2, object_store_memory=int(2e8), include_dashboard=False, log_to_driver=False,
                 configure_logging=False)
        cluster_s = time.perf_counter() - t0
    import synthaudit
    from synthaudit.audit import ray_engine

    tracker = sc.ProcTracker(0.2)
    original_close = ray_engine.RayShards.close

    def close(self):  # the actors' last CPU and peak memory, read before they are killed
        tracker.snapshot()
        original_close(self)

    ray_engine.RayShards.close = close
    kwargs = dict(stream=True, batch_size=spec["batch_size"], checkpoint=False, metrics=spec["metrics"], seed=0)
    if engine == "ray":
        kwargs.update(engine="ray", workers=workers)
    if spec["workload"] == "tabular":
        args = ("tabular",)
        kwargs.update(synthetic=spec["synthetic"], real=spec["real"])
    else:
        args = ("text",)
        kwargs.update(synthetic=spec["synthetic"])
    rss_before = sc.vm_hwm_mb()
    tracker.start()
    b0 = sc.machine_busy_s()
    t0, c0 = time.perf_counter(), time.process_time()
    rep = synthaudit.audit(*args, **kwargs)
    wall, driver_cpu = time.perf_counter() - t0, time.process_time() - c0
    busy = sc.machine_busy_s() - b0
    others = tracker.stop()
    values = {m.id: json.dumps([m.status, m.value, m.secondary], sort_keys=True, default=str) for m in rep.metrics}
    print(json.dumps({
        "config": spec["config"], "engine": engine, "workers": workers, "cluster_start_s": cluster_s,
        "audit_wall_s": round(wall, 3), "driver_cpu_s": round(driver_cpu, 3),
        "other_processes": others, "total_cpu_s": round(driver_cpu + others["cpu_s_total"], 3),
        "machine_busy_cpu_s": round(busy, 2),
        "others_cores_avg": round(max(0.0, busy - driver_cpu - others["cpu_s_total"]) / wall, 2),
        "driver_peak_rss_mb": sc.vm_hwm_mb(), "driver_rss_before_audit_mb": rss_before,
        "execution": rep.run.execution, "torch_threads_env": os.environ.get("SYNTHAUDIT_TORCH_THREADS"),
        "status": {m.id: m.status for m in rep.metrics}, "errors": {m.id: m.error for m in rep.metrics if m.error},
        "metric_cpu_s": {m.id: m.cpu_time_s for m in rep.metrics},
        "metric_wall_s": {m.id: m.wall_time_s for m in rep.metrics},
        "shared_time": rep.shared_time, "values": values}, default=str))


# ---------------------------------------------------------------------------------------------- parent
def run_config(config: str, spec: dict, quiet: float | None, quiet_timeout: float) -> dict:
    waited = sc.wait_quiet(quiet, quiet_timeout) if quiet else None
    env = {"SYNTHAUDIT_TORCH_THREADS": "2"} if config == "local-t2" else {"SYNTHAUDIT_TORCH_THREADS": "1"}
    res = sc.run_child([sys.executable, __file__, "_child", json.dumps({**spec, "config": config})], env=env)
    out = res.pop("out")
    return {**out, "process_wall_s": res["wall_s"], "process_cpu_s_wait4": res["cpu_s"],
            "process_peak_rss_mb_wait4": res["peak_rss_mb"], "load_before": res["load_before"],
            "load_after": res["load_after"], "niceness": res["niceness"], "wait_quiet": waited}


def summarise(workload: str, size: int, batch_size: int, runs: list[dict]) -> dict:
    best = {}
    for r in runs:  # best wall time of each configuration over the repeats
        if r["config"] not in best or r["audit_wall_s"] < best[r["config"]]["audit_wall_s"]:
            best[r["config"]] = r
    t1, t2 = best["ray-1"]["audit_wall_s"], best["ray-2"]["audit_wall_s"]
    out = {"workload": workload, "size": size, "batch_size": batch_size,
           "scaling_efficiency_ray": round(t1 / (2 * t2), 3),
           "speedup_ray2_vs_local": round(best["local"]["audit_wall_s"] / t2, 3),
           "speedup_ray2_vs_ray1": round(t1 / t2, 3),
           "cpu_ray2_over_local": round(best["ray-2"]["total_cpu_s"] / best["local"]["total_cpu_s"], 3),
           "best": {k: {f: v[f] for f in ("audit_wall_s", "driver_cpu_s", "total_cpu_s", "driver_peak_rss_mb",
                                          "cluster_start_s", "load_before", "others_cores_avg")}
                    | {"worker_cpu_s": v["other_processes"]["actor_cpu_s"],
                       "worker_peak_rss_mb": v["other_processes"]["actor_peak_rss_mb"],
                       "ray_other_cpu_s": round(v["other_processes"]["cpu_s_total"]
                                                - sum(v["other_processes"]["actor_cpu_s"]), 3)}
                    for k, v in best.items()}}
    return out


def _other(v: dict) -> str:
    x = v.get("others_cores_avg")
    return f"{x:.2f}" if x is not None else f"load {v['load_before'][0]}"


def markdown(summaries: list[dict], runs: list[dict], machine: dict) -> str:
    lines = ["# Local engine vs Ray (issue #13)", "",
             f"Machine: {machine['cpu_model']}, {machine['nproc']} cores, {machine['ram_gib']} GiB RAM, shared with "
             "other people's jobs ('other jobs' cores': what other processes used on average during the audit, from "
             "/proc/stat; each configuration waited for a quiet moment first, `--wait-quiet`). Each configuration "
             "in a fresh process under `nice -n 10`; best wall time over the "
             "repeats. CPU: driver = the driver process; workers = the Ray actor processes; Ray other = gcs, raylet, "
             "idle workers and agents; total = all of them. Values on Ray equal the local engine's (asserted).", ""]
    for s in summaries:
        unit = "rows (synthetic = real)" if s["workload"] == "tabular" else "records"
        lines += [f"## {s['workload']}: {s['size']:,} {unit}, batch {s['batch_size']:,}", "",
                  "| engine | audit wall s | driver CPU s | worker CPU s | Ray other CPU s | total CPU s "
                  "| driver peak MB "
                  "| worker peak MB | Ray start s | other jobs' cores |", "|---|---|---|---|---|---|---|---|---|---|"]
        for k, v in s["best"].items():
            wc = " + ".join(f"{x:.1f}" for x in v["worker_cpu_s"]) or "—"
            wp = " / ".join(f"{x:,.0f}" for x in v["worker_peak_rss_mb"]) or "—"
            rs = f"{v['cluster_start_s']:.1f}" if v["cluster_start_s"] else "—"
            other = f"{v['ray_other_cpu_s']:.1f}" if k.startswith("ray") else "—"
            lines.append(f"| {k} | {v['audit_wall_s']:.1f} | {v['driver_cpu_s']:.1f} | {wc} | {other} | "
                         f"{v['total_cpu_s']:.1f} | {v['driver_peak_rss_mb']:,.0f} | {wp} | {rs} | {_other(v)} |")
        lines += ["", f"Scaling efficiency T(1) / (2 T(2)) = **{s['scaling_efficiency_ray']:.0%}**; Ray with 2 "
                  "workers vs "
                  f"the local engine: {s['speedup_ray2_vs_local']:.2f}x wall, {s['cpu_ray2_over_local']:.2f}x the CPU "
                  "seconds.", "", "Every run (the table above shows each configuration's fastest):", "",
                  "| repeat | engine | audit wall s | total CPU s | other jobs' cores during the audit |",
                  "|---|---|---|---|---|"]
        for r in [r for r in runs if r["workload"] == s["workload"]]:
            lines.append(f"| {r['repeat'] + 1} | {r['config']} | {r['audit_wall_s']:.1f} | {r['total_cpu_s']:.1f} | "
                         f"{_other(r)} |")
        lines.append("")
    lines += ["Commands:", ""] + [f"* `{c}`" for c in dict.fromkeys(r["command"] for r in runs)]
    return "\n".join(lines)


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "_child":
        return child(json.loads(sys.argv[2]))
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("workload", choices=["tabular", "text"])
    ap.add_argument("--rows", type=int, default=1_000_000, help="tabular: synthetic rows (real: the same)")
    ap.add_argument("--records", type=int, default=12_000, help="text: records")
    ap.add_argument("--batch-size", type=int)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--configs", nargs="+", help="default: local ray-1 ray-2 (text: also local-t2)")
    ap.add_argument("--wait-quiet", type=float, default=0.5,
                    help="before each configuration wait until other processes use fewer cores than this (0: no wait)")
    ap.add_argument("--wait-timeout", type=float, default=300.0)
    ap.add_argument("--from-raw", action="store_true",
                    help="check and write the runs of the last invocation ($SYNTHAUDIT_BENCH_DIR/scale_ray_W_raw.json)")
    args = ap.parse_args()
    machine = sc.machine()
    if args.workload == "tabular":
        paths, meta = sc.tabular_files(args.rows, "csv")
        size, batch = args.rows, args.batch_size or 50_000
        spec = {"workload": "tabular", "synthetic": str(paths["synthetic"]), "real": str(paths["real"]),
                "batch_size": batch, "metrics": TABULAR}
        configs = args.configs or ["local", "ray-1", "ray-2"]
    else:
        syn, _, meta = sc.short_corpora(args.records, 5_000)
        size, batch = args.records, args.batch_size or 500
        spec = {"workload": "text", "synthetic": str(syn), "batch_size": batch, "metrics": TEXT}
        configs = args.configs or ["local", "ray-1", "ray-2", "local-t2"]
    command = (f"nice -n 10 python benchmarks/bench_scale_ray.py {args.workload} "
               + (f"--rows {size}" if args.workload == "tabular" else f"--records {size}")
               + f" --batch-size {batch} --repeat {args.repeat}")
    runs = []
    raw = sc.WORK / f"scale_ray_{args.workload}_raw.json"
    if args.from_raw:
        runs = json.loads(raw.read_text())
        command, size, batch = runs[0]["command"], runs[0]["size"], runs[0]["batch_size"]
    for rep in range(0 if args.from_raw else args.repeat):
        order = configs if rep % 2 == 0 else configs[::-1]  # alternate the order: drift in the machine's load
        for config in order:
            r = run_config(config, spec, args.wait_quiet, args.wait_timeout)
            r.update(workload=args.workload, size=size, batch_size=batch, repeat=rep, command=command, data=meta)
            runs.append(r)
            print(json.dumps({k: r[k] for k in ("config", "audit_wall_s", "driver_cpu_s", "total_cpu_s",
                                                "driver_peak_rss_mb", "others_cores_avg", "wait_quiet")}), flush=True)
    if not args.from_raw:
        raw.write_text(json.dumps(runs, default=str))  # kept if a check or the report fails
    reference = next(r for r in runs if r["config"] == "local")
    bad = [(mid, r["config"]) for r in runs for mid, st in r["status"].items() if st != "ok"]
    assert not bad, (bad, [r["errors"] for r in runs])
    differences = {}
    for r in runs:
        assert r["values"].keys() == reference["values"].keys(), r["config"]
        for mid, v in reference["values"].items():
            if r["engine"] == "ray" or r["config"] == "local":  # the same torch threads as the local run: identical
                assert r["values"][mid] == v, (r["config"], mid, v, r["values"][mid])
            elif r["values"][mid] != v:  # local-t2: two torch threads sum in another order (rounding only)
                a, b = json.loads(v)[1], json.loads(r["values"][mid])[1]
                assert abs(a - b) <= 1e-6 * max(1.0, abs(a)), (r["config"], mid, v, r["values"][mid])
                differences[f"{r['config']}:{mid}"] = abs(a - b)
    summary = summarise(args.workload, size, batch, runs)
    summary["values_equal_local"] = "every metric's status, value and secondary identical on ray-1 and ray-2"
    summary["local_t2_differences"] = differences
    summary["machine"] = machine
    print(json.dumps({k: summary[k] for k in ("scaling_efficiency_ray", "speedup_ray2_vs_local",
                                              "cpu_ray2_over_local")}))
    old = {}
    path = sc.RESULTS / f"{STEM}.json"
    if path.exists():
        old = json.loads(path.read_text())
    workloads = {w: v for w, v in old.get("workloads", {}).items() if w != args.workload}
    workloads[args.workload] = {"summary": summary, "runs": runs}
    order = [w for w in ("tabular", "text") if w in workloads]
    md = markdown([workloads[w]["summary"] for w in order], [r for w in order for r in workloads[w]["runs"]],
                  machine)
    j, m = sc.write_results(STEM, {"benchmark": "bench_scale_ray.py", "workloads": workloads}, md)
    print(f"wrote {j.relative_to(sc.REPO)} and {m.relative_to(sc.REPO)}")


if __name__ == "__main__":
    main()
