"""Benchmark (issue #15): isomorphism-aware uniqueness (graph.uniq) over 2,500 / 5,000 / 10,000 graphs with planted
duplicates: near-linear growth thanks to WL hash buckets, and the same classes as the catalog's reference
(networkx.weisfeiler_lehman_graph_hash buckets + networkx.is_isomorphic inside each bucket) in the same run.

    python benchmarks/bench_graph_uniq.py [--sizes 2500 5000 10000] [--dup-fraction 0.2] [--repeat 3]

Data (seeded): random G(n, m) graphs with 10-30 nodes and 1-3x as many edges, plus 1% random 3-regular graphs
on 12 nodes (1-WL cannot tell regular graphs of one degree apart: they share one bucket, separated by the
exact check); a ``--dup-fraction`` share of the list are random relabellings of earlier graphs (nodes and edges
inserted in shuffled order). The sizes are prefixes of one shuffled list, so the duplicate share is the same.

Rows: ``synthaudit.stats.graph_iso.unique_classes`` (our 1-WL hash + VF2 in buckets) vs the networkx reference
on the same graph objects; and the whole ``graph.uniq`` metric from a table of node-link JSON records (parsing
included). Timings: wall = time.perf_counter, CPU = time.process_time; the median of ``--repeat`` runs.
Writes benchmarks/results/graph_uniq.json and .md.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import platform
import random
import statistics
import sys
import time
from pathlib import Path

import networkx as nx

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))
sys.path.insert(0, str(HERE))

import scale_common as sc  # noqa: E402

from synthaudit.data.graph import prepare_graph, to_text  # noqa: E402
from synthaudit.metrics.graph.diversity import uniq  # noqa: E402
from synthaudit.stats.graph_iso import unique_classes  # noqa: E402


def make_graphs(n: int, dup_fraction: float, seed: int) -> list:
    rng = random.Random(seed)
    out: list = []
    for k in range(n):
        if out and rng.random() < dup_fraction:
            g = rng.choice(out)
            nodes = list(g)
            perm = nodes[:]
            rng.shuffle(perm)
            mapping = dict(zip(nodes, perm))
            edges = [(mapping[u], mapping[v]) for u, v in g.edges()]
            rng.shuffle(edges)
            h = nx.Graph()
            h.add_nodes_from(rng.sample(perm, len(perm)))
            h.add_edges_from(edges)
            out.append(h)
        elif k % 100 == 0:
            out.append(nx.random_regular_graph(3, 12, seed=rng.randrange(10**9)))
        else:
            size = rng.randint(10, 30)
            out.append(nx.gnm_random_graph(size, rng.randint(size, 3 * size), seed=rng.randrange(10**9)))
    return out


def reference_classes(graphs: list) -> int:
    """The catalog's reference: networkx WL hash buckets, networkx.is_isomorphic inside each bucket."""
    buckets: dict[str, list] = {}
    n = 0
    for g in graphs:
        reps = buckets.setdefault(nx.weisfeiler_lehman_graph_hash(g), [])
        if not any(nx.is_isomorphic(g, r) for r in reps):
            reps.append(g)
            n += 1
    return n


def timed(fn, *args):
    c0, w0 = time.process_time(), time.perf_counter()
    out = fn(*args)
    return out, time.perf_counter() - w0, time.process_time() - c0


def main() -> None:
    import warnings

    warnings.filterwarnings("ignore", category=UserWarning)  # networkx 3.5+ notes its WL hash changed
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[2500, 5000, 10000])
    ap.add_argument("--dup-fraction", type=float, default=0.2)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    command = "python benchmarks/bench_graph_uniq.py " + " ".join(sys.argv[1:])
    load0 = os.getloadavg()
    allg = make_graphs(max(args.sizes), args.dup_fraction, args.seed)
    rows = []
    for n in args.sizes:
        graphs = allg[:n]
        table = [{"graph": to_text(g)} for g in graphs]
        runs: dict[str, list[tuple[float, float]]] = {"ours": [], "plain_wl": [], "networkx": [], "metric": []}
        for _ in range(args.repeat):
            (classes, index), w, c = timed(unique_classes, graphs)
            runs["ours"].append((w, c))
            (_, plain), w, c = timed(lambda gs: unique_classes(gs, individualise=False), graphs)
            runs["plain_wl"].append((w, c))
            ref, w, c = timed(reference_classes, graphs)
            runs["networkx"].append((w, c))
            inputs = prepare_graph(synthetic=table)
            res, w, c = timed(uniq, inputs, None)
            runs["metric"].append((w, c))
        n_unique = index.n_classes
        assert n_unique == ref == res.secondary["n_unique"] == plain.n_classes, (n_unique, ref, res.secondary)
        med = {k: (statistics.median(w for w, _ in v), statistics.median(c for _, c in v)) for k, v in runs.items()}
        rows.append({"graphs": n, "unique": n_unique, "duplicates": n - n_unique, "uniq": n_unique / n,
                     "buckets": index.n_buckets, "wl_collision_buckets": index.n_collision_buckets,
                     "exact_checks": index.n_exact_checks,
                     "plain_wl_buckets": plain.n_buckets, "plain_wl_collision_buckets": plain.n_collision_buckets,
                     "plain_wl_exact_checks": plain.n_exact_checks,
                     "plain_wl_wall_s": med["plain_wl"][0], "plain_wl_cpu_s": med["plain_wl"][1],
                     "ours_wall_s": med["ours"][0], "ours_cpu_s": med["ours"][1],
                     "networkx_wall_s": med["networkx"][0], "networkx_cpu_s": med["networkx"][1],
                     "metric_wall_s": med["metric"][0], "metric_cpu_s": med["metric"][1],
                     "speedup_vs_networkx": med["networkx"][0] / med["ours"][0],
                     "runs_wall_s": {k: [w for w, _ in v] for k, v in runs.items()}})
        print(json.dumps({k: v for k, v in rows[-1].items() if k != "runs_wall_s"}), flush=True)
    first, last = rows[0], rows[-1]
    span = math.log(last["graphs"] / first["graphs"])
    growth = {f"{k} {t}": math.log(last[f"{k}_{t}_s"] / first[f"{k}_{t}_s"]) / span
              for k in ("ours", "plain_wl", "networkx", "metric") for t in ("cpu", "wall")}
    result = {"meta": {"command": command.strip(), "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
                       f"Python {platform.python_version()}, networkx {nx.__version__}",
                       "dup_fraction": args.dup_fraction, "repeat": args.repeat, "seed": args.seed},
              "load_avg_start_end": [load0, os.getloadavg()], "rows": rows, "growth_exponent": growth}
    lines = ["# graph.uniq: isomorphism-aware uniqueness, 3 sizes (issue #15)", "",
             f"Command: `{result['meta']['command']}`  ", f"Machine: {result['meta']['machine']}  ",
             f"Planted duplicates: {args.dup_fraction:.0%} random relabellings; median of {args.repeat} runs.", "",
             f"Load average (1 min) start / end: {load0[0]:.2f} / {os.getloadavg()[0]:.2f} on "
             f"{os.cpu_count()} cores (a shared machine: CPU s is the steadier figure).", "",
             "| graphs | unique | buckets (collision) | exact checks | ours CPU s (wall) | plain 1-WL buckets: "
             "buckets (collision), checks, CPU s | networkx reference CPU s (wall) | speed-up (wall) | "
             "graph.uniq metric CPU s (parse included) |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['graphs']:,} | {r['unique']:,} | {r['buckets']:,} ({r['wl_collision_buckets']}) | "
                     f"{r['exact_checks']:,} | {r['ours_cpu_s']:.2f} ({r['ours_wall_s']:.2f}) | "
                     f"{r['plain_wl_buckets']:,} ({r['plain_wl_collision_buckets']}), "
                     f"{r['plain_wl_exact_checks']:,}, {r['plain_wl_cpu_s']:.2f} | "
                     f"{r['networkx_cpu_s']:.2f} ({r['networkx_wall_s']:.2f}) | {r['speedup_vs_networkx']:.1f}x | "
                     f"{r['metric_cpu_s']:.2f} |")
    lines += ["", "Growth exponent from the smallest to the largest size (1 = linear): "
              + ", ".join(f"{k} {v:.2f}" for k, v in growth.items()) + ". Same number of unique graphs as the "
              "networkx reference (and plain 1-WL buckets) at every size.", ""]
    sc.write_results("graph_uniq", result, "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
