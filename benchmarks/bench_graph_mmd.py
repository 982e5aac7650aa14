"""Benchmark (graph.mmd, survey 5.2): descriptor MMD^2 of 1,000 generated vs 1,000 reference graphs (50-200 nodes,
seeded Erdos-Renyi / Barabasi-Albert mixes), all four descriptors, synthaudit vs a straightforward networkx + scipy
implementation of the same estimator, in the same run, same values.

    python benchmarks/bench_graph_mmd.py [--n 1000] [--orbit-sample 12] [--workers N]

Reference, per graph: ``nx.degree_histogram``; ``nx.clustering`` + ``np.histogram`` (100 bins on [0, 1]);
``scipy.linalg.eigvalsh(nx.normalized_laplacian_matrix(G).todense())`` + ``np.histogram`` (200 bins on
[-1e-5, 2]); orbit counts by brute-force enumeration of connected induced subgraphs on 2-4 nodes (Python sets).
MMD^2 (biased, gaussian_tv, GRAN's sigmas): kernel matrices from ``scipy.spatial.distance.cdist``.

The brute-force orbit counter takes seconds per graph, so it runs on a random subsample (``--orbit-sample`` graphs
per side): its time is extrapolated linearly to all graphs (mean seconds per graph x graph count, stated as such),
its counts are compared with ours on the subsample, and the reference orbit MMD^2 on all graphs is computed with
scipy from our orbit features (equal on the subsample). Ours: ``pack`` + ``descriptors`` + ``mmd2`` (numba,
threads on all cores). Timings: wall = time.perf_counter, CPU = time.process_time (all threads). Numba functions
are compiled (cached) before the timed region.

Writes benchmarks/results/graph_mmd.json and benchmarks/results/graph_mmd.md.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import networkx as nx
import numpy as np
from scipy.linalg import eigvalsh
from scipy.spatial.distance import cdist

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import scale_common as sc  # noqa: E402
SIGMA = {"degree": 1.0, "clustering": 0.1, "orbit": 30.0, "spectral": 1.0}
NAMES = ("degree", "clustering", "orbit", "spectral")


def measured(fn, *args, **kwargs):
    c0, w0 = time.process_time(), time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - w0, time.process_time() - c0


def make_graphs(n: int, seed: int, ba_share: float, er_degree: tuple[float, float], ba_m: tuple[int, int]) -> list:
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        size = int(rng.integers(50, 201))
        s = int(rng.integers(1 << 31))
        if rng.random() < ba_share:
            out.append(nx.barabasi_albert_graph(size, int(rng.integers(ba_m[0], ba_m[1] + 1)), seed=s))
        else:
            out.append(nx.fast_gnp_random_graph(size, float(rng.uniform(*er_degree)) / (size - 1), seed=s))
    return out


# -- reference -------------------------------------------------------------------------------------------------
def brute_orbits(g: nx.Graph) -> np.ndarray:
    """Orbits 0-14 per node from every connected induced subgraph on 2-4 nodes (grown from edges, deduplicated)."""
    pos = {u: i for i, u in enumerate(g)}
    adj = {u: set(g[u]) - {u} for u in g}
    out = np.zeros((len(pos), 15), np.int64)
    level = {frozenset((u, v)) for u in adj for v in adj[u]}
    for k in (2, 3, 4):
        for sub in level:
            deg = {u: len(adj[u] & sub) for u in sub}
            e = sum(deg.values()) // 2
            top = max(deg.values())
            for u, d in deg.items():
                if k == 2:
                    o = 0
                elif k == 3:
                    o = (1 if d == 1 else 2) if e == 2 else 3
                elif e == 3:
                    o = (6 if d == 1 else 7) if top == 3 else (4 if d == 1 else 5)
                elif e == 4:
                    o = 8 if top == 2 else {1: 9, 2: 10, 3: 11}[d]
                elif e == 5:
                    o = 12 if d == 2 else 13
                else:
                    o = 14
                out[pos[u], o] += 1
        if k < 4:
            level = {sub | {w} for sub in level for u in sub for w in adj[u] if w not in sub}
    return out


def ref_degree(graphs: list) -> list[np.ndarray]:
    out = []
    for g in graphs:
        h = np.array(nx.degree_histogram(g), float)
        out.append(h / h.sum())
    return out


def ref_clustering(graphs: list) -> list[np.ndarray]:
    out = []
    for g in graphs:
        h, _ = np.histogram(list(nx.clustering(g).values()), bins=100, range=(0.0, 1.0))
        out.append(h / h.sum())
    return out


def ref_spectral(graphs: list) -> list[np.ndarray]:
    out = []
    for g in graphs:
        h, _ = np.histogram(eigvalsh(nx.normalized_laplacian_matrix(g).todense()), bins=200, range=(-1e-5, 2))
        out.append(h / h.sum())
    return out


def ref_spectral_blas1(graphs: list) -> list[np.ndarray]:
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        return ref_spectral(graphs)


def ref_mmd(xs: list[np.ndarray], ys: list[np.ndarray], sigma: float, tv: bool = True) -> float:
    width = max(len(v) for v in xs + ys)
    x = np.array([np.pad(v, (0, width - len(v))) for v in xs])
    y = np.array([np.pad(v, (0, width - len(v))) for v in ys])

    def k(a, b):
        d = 0.5 * cdist(a, b, "cityblock") if tv else cdist(a, b)
        return np.exp(-d * d / (2 * sigma * sigma))

    return float(k(x, x).mean() + k(y, y).mean() - 2 * k(x, y).mean())


def run_reference(syn: list, real: list, orbit_ours: dict[str, np.ndarray], sample: np.ndarray,
                  sample_real: np.ndarray) -> tuple[dict, dict]:
    t, values = {}, {}
    for name, fn in (("degree", ref_degree), ("clustering", ref_clustering), ("spectral", ref_spectral),
                     ("spectral_blas1", ref_spectral_blas1)):
        (ds, dr), t[f"{name}_wall"], t[f"{name}_cpu"] = measured(lambda f=fn: (f(syn), f(real)))
        values[name], w, c = measured(ref_mmd, ds, dr, SIGMA[name.split("_")[0]])
        t[f"mmd_{name}_wall"], t[f"mmd_{name}_cpu"] = w, c
    orbit_sub, w, c = measured(lambda: ([brute_orbits(syn[i]) for i in sample],
                                        [brute_orbits(real[i]) for i in sample_real]))
    n_sub = len(sample) + len(sample_real)
    t["orbit_sample_wall"], t["orbit_sample_cpu"], t["orbit_sample_graphs"] = w, c, n_sub
    t["orbit_wall"], t["orbit_cpu"] = w / n_sub * (len(syn) + len(real)), c / n_sub * (len(syn) + len(real))
    feats_sub = [o.sum(axis=0) / o.shape[0] for o in orbit_sub[0] + orbit_sub[1]]
    ours_sub = np.vstack([orbit_ours["syn"][sample], orbit_ours["real"][sample_real]])
    t["orbit_sample_equal"] = bool(np.array_equal(np.array(feats_sub), ours_sub))
    values["orbit"], t["mmd_orbit_wall"], t["mmd_orbit_cpu"] = measured(
        ref_mmd, list(orbit_ours["syn"]), list(orbit_ours["real"]), SIGMA["orbit"])
    for kind in ("wall", "cpu"):
        t[f"total_{kind}"] = sum(t[f"{n}_{kind}"] + t[f"mmd_{n}_{kind}"] for n in NAMES)
    return values, t


# -- ours ------------------------------------------------------------------------------------------------------
def run_ours(syn: list, real: list, workers: int | None) -> tuple[dict, dict, dict]:
    from synthaudit.stats.graph_descriptors import descriptors, pack
    from synthaudit.stats.graph_mmd import mmd2

    t, values, feats = {}, {}, {}
    (bs, br), t["pack_wall"], t["pack_cpu"] = measured(lambda: (pack(syn), pack(real)))
    for name in NAMES:
        feats[name], t[f"{name}_wall"], t[f"{name}_cpu"] = measured(
            lambda d=name: (descriptors(bs, (d,), workers=workers)[d], descriptors(br, (d,), workers=workers)[d]))
        r, t[f"mmd_{name}_wall"], t[f"mmd_{name}_cpu"] = measured(mmd2, *feats[name], "gaussian_tv", SIGMA[name])
        values[name] = r.mmd2
    for kind in ("wall", "cpu"):
        t[f"total_{kind}"] = t[f"pack_{kind}"] + sum(t[f"{n}_{kind}"] + t[f"mmd_{n}_{kind}"] for n in NAMES)
    return values, t, {"syn": feats["orbit"][0], "real": feats["orbit"][1]}


def markdown(result: dict) -> str:
    m, o, r, s = result["meta"], result["ours"], result["reference"], result["summary"]
    v = result["values"]
    lines = ["# graph.mmd: synthaudit vs networkx + scipy (same estimator, same run)", "",
             f"Command: `{m['command']}`  ", f"Machine: {m['machine']}  ", f"Data: {m['data']}  ",
             f"Load average start / end: {m['load_avg_start'][0]:.2f} / {m['load_avg_end'][0]:.2f}", "",
             "Wall s / CPU s. Reference orbit counts: brute force on "
             f"{r['orbit_sample_graphs']} random graphs ({r['orbit_sample_wall']:.1f} s wall), **extrapolated** "
             f"linearly to all {2 * m['n']} graphs. Ours: numba + threads on all cores; `pack` (networkx to CSR) "
             f"{o['pack_wall']:.2f} / {o['pack_cpu']:.2f} is counted in our total.", "",
             "| descriptor | ours: descriptor | ours: MMD^2 | reference: descriptor | reference: MMD^2 | speed-up "
             "(wall, descriptor + MMD^2) |", "|---|---|---|---|---|---|"]
    for n in NAMES + ("spectral_blas1",):
        ours_n = n.split("_")[0]
        ow = o[f"{ours_n}_wall"] + o[f"mmd_{ours_n}_wall"]
        rw = r[f"{n}_wall"] + r[f"mmd_{n}_wall"]
        label = {"orbit": "orbit (reference extrapolated)",
                 "spectral_blas1": "spectral, reference with BLAS limited to 1 thread"}.get(n, n)
        ours_cells = (f"{o[f'{ours_n}_wall']:.2f} / {o[f'{ours_n}_cpu']:.2f} | "
                      f"{o[f'mmd_{ours_n}_wall']:.2f} / {o[f'mmd_{ours_n}_cpu']:.2f}")
        lines.append(f"| {label} | {ours_cells} | {r[f'{n}_wall']:.2f} / {r[f'{n}_cpu']:.2f} | "
                     f"{r[f'mmd_{n}_wall']:.2f} / {r[f'mmd_{n}_cpu']:.2f} | {rw / ow:.1f}x |")
    lines += [f"| **total (all four)** | | **{o['total_wall']:.2f} / {o['total_cpu']:.2f}** | | "
              f"**{r['total_wall']:.0f} / {r['total_cpu']:.0f}** | **{s['speedup_wall']:.0f}x** |", "",
              f"Speed-up, all four descriptors: **{s['speedup_wall']:.0f}x wall, {s['ratio_cpu']:.0f}x CPU** (most of "
              f"the reference time is the extrapolated brute-force orbit count). Measured parts only (degree, "
              f"clustering, spectral, plus our pack): **{s['speedup_wall_no_orbit']:.1f}x wall, "
              f"{s['ratio_cpu_no_orbit']:.1f}x CPU**; against the faster reference whose eigendecompositions run with "
              f"BLAS limited to 1 thread: **{s['speedup_wall_no_orbit_blas1']:.1f}x wall, "
              f"{s['ratio_cpu_no_orbit_blas1']:.1f}x CPU**.", "",
              "| descriptor | MMD^2 synthaudit | MMD^2 reference | abs. difference |", "|---|---|---|---|"]
    for n in NAMES + ("spectral_blas1",):
        a, b = v["ours"][n.split("_")[0]], v["reference"][n]
        lines.append(f"| {n} | {a:.15g} | {b:.15g} | {abs(a - b):.1e} |")
    lines += ["", f"Orbit counts equal to the brute force on the {r['orbit_sample_graphs']} sampled graphs: "
              f"**{r['orbit_sample_equal']}**. Degree, clustering, orbit and spectral (vs the BLAS-1-thread "
              f"reference) within 1e-12: **{s['values_equal']}**.", "",
              "The spectral reference under default OpenBLAS threading differs in the last bits of some eigenvalues "
              "(multi-threaded reductions sum in another order; the matrices are identical). Eigenvalue 2 of a "
              "bipartite component then lands just above or just below the histogram's closed upper end 2.0, and "
              "np.histogram drops it when it is above. That is GRAN's convention and its fragility, and it explains "
              f"the {abs(v['ours']['spectral'] - v['reference']['spectral']):.1e} difference. Ours runs LAPACK with "
              "BLAS limited to 1 thread, which is deterministic and faster for these matrix sizes.", ""]
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1000, help="graphs per side")
    ap.add_argument("--orbit-sample", type=int, default=12, help="graphs per side for the brute-force orbits")
    ap.add_argument("--workers", type=int, default=None)
    ap.add_argument("--out-name", default="graph_mmd")
    args = ap.parse_args()
    sys.path.insert(0, str(HERE.parent / "src"))
    command = ("python benchmarks/bench_graph_mmd.py " + " ".join(sys.argv[1:])).strip()
    data = (f"{args.n} generated graphs (60% ER mean degree 3-8, 40% BA m 1-3) vs {args.n} reference graphs "
            "(50% ER mean degree 4-10, 50% BA m 2-5), 50-200 nodes each, seeds 1 and 2")
    result: dict = {"meta": {"command": command, "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
                             f"Python {platform.python_version()}", "data": data, "n": args.n,
                             "load_avg_start": os.getloadavg()}}
    syn = make_graphs(args.n, 1, 0.4, (3.0, 8.0), (1, 3))
    real = make_graphs(args.n, 2, 0.5, (4.0, 10.0), (2, 5))
    run_ours(syn[:4], real[:4], args.workers)  # compile / load the numba cache outside the timed region
    ours_values, o, orbit_ours = run_ours(syn, real, args.workers)
    print(f"ours: {o['total_wall']:.2f} s wall, {o['total_cpu']:.2f} s CPU", flush=True)
    rng = np.random.default_rng(3)
    sample = rng.choice(args.n, args.orbit_sample, replace=False)
    sample_real = rng.choice(args.n, args.orbit_sample, replace=False)
    ref_values, r = run_reference(syn, real, orbit_ours, sample, sample_real)
    print(f"reference: {r['total_wall']:.1f} s wall (orbit extrapolated), {r['total_cpu']:.1f} s CPU", flush=True)
    result["ours"], result["reference"] = o, r
    result["values"] = {"ours": ours_values, "reference": ref_values}

    def part(t: dict, names: tuple, kind: str) -> float:
        return sum(t[f"{n}_{kind}"] + t[f"mmd_{n}_{kind}"] for n in names)

    ours_no = {k: o[f"pack_{k}"] + part(o, ("degree", "clustering", "spectral"), k) for k in ("wall", "cpu")}
    ref_no = {k: part(r, ("degree", "clustering", "spectral"), k) for k in ("wall", "cpu")}
    ref_no1 = {k: part(r, ("degree", "clustering", "spectral_blas1"), k) for k in ("wall", "cpu")}
    result["summary"] = {
        "speedup_wall": r["total_wall"] / o["total_wall"], "ratio_cpu": r["total_cpu"] / o["total_cpu"],
        "speedup_wall_no_orbit": ref_no["wall"] / ours_no["wall"], "ratio_cpu_no_orbit": ref_no["cpu"] / ours_no["cpu"],
        "speedup_wall_no_orbit_blas1": ref_no1["wall"] / ours_no["wall"],
        "ratio_cpu_no_orbit_blas1": ref_no1["cpu"] / ours_no["cpu"],
        "values_equal": all(abs(ours_values[n] - ref_values[n if n != "spectral" else "spectral_blas1"]) <= 1e-12
                            for n in NAMES) and r["orbit_sample_equal"],
        "spectral_default_threads_abs_diff": abs(ours_values["spectral"] - ref_values["spectral"])}
    result["meta"]["load_avg_end"] = os.getloadavg()
    print(json.dumps(result["summary"], indent=1))
    j, m = sc.write_results(args.out_name, result, markdown(result))
    print(f"wrote {j} and {m}")


if __name__ == "__main__":
    main()
