"""Benchmark (issue #19): replaying recorded highway-env episodes (survey section 7.2, ExecRate). Throughput in
steps/s with 1 and 2 worker processes, CPU and wall seconds, and the share of the replay spent inside
``env.step`` (goal: the replay's own bookkeeping -- checking actions, telemetry, comparisons, claims -- adds under
10 % on top of the simulation).

    python benchmarks/bench_agent_replay.py [--episodes 40] [--seed 0] [--workers 1 2]

Data (seeded): ``--episodes`` rollouts recorded with :func:`synthaudit.generate.agent.record_episodes` in
highway-v0 with ``DEFAULT_CONFIG`` (3 lanes, 10 other vehicles, 40 s at policy_frequency 5 = 200 steps at most),
a quarter each of the cautious, lane_changer, random and tailgating policies (the last two often crash early).

Timed (wall = time.perf_counter; CPU = time.process_time):
  * ``record``: recording the episodes (the policy, the simulation, the telemetry);
  * ``replay``: :func:`synthaudit.envs.replay.replay_episodes` over all episodes, per worker count. The CPU figures
    are added up from the episodes' own ReplayResult fields, measured inside whichever process replayed them:
    ``sim`` (inside ``env.step``), ``setup`` (making the environment and its reset) and ``bookkeeping`` (the rest);
    ``parent CPU`` is the calling process's own CPU (with workers: starting them, sending records, collecting);
  * ``render``: the extra CPU of ``HighwayAdapter.render_frame`` per frame (offscreen pygame), stepping the same
    seed with and without a frame after every step.
Writes benchmarks/results/agent_replay.json and .md.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))
sys.path.insert(0, str(HERE))

import scale_common as sc  # noqa: E402

from synthaudit.envs.highway import DEFAULT_CONFIG, HighwayAdapter  # noqa: E402
from synthaudit.envs.replay import replay_episodes  # noqa: E402
from synthaudit.generate.agent import record_episodes  # noqa: E402

POLICIES = ("cautious", "lane_changer", "random", "tailgating")


def record(n: int, seed: int) -> tuple[list, dict]:
    per = [n // len(POLICIES) + (i < n % len(POLICIES)) for i in range(len(POLICIES))]
    w0, c0 = time.perf_counter(), time.process_time()
    eps = []
    for policy, k in zip(POLICIES, per):
        eps += record_episodes(k, policy, seed=seed)
    wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    steps = sum(len(e) for e in eps)
    return eps, {"episodes": len(eps), "steps": steps, "wall_s": round(wall, 2), "cpu_s": round(cpu, 2),
                 "steps_per_s": round(steps / wall, 1),
                 "by_policy": {p: {"episodes": k, "steps": sum(len(e) for e in eps if e.meta["policy"] == p),
                                   "crashed": sum(any(s.state["ego"]["crashed"] for s in e.steps) for e in eps
                                               if e.meta["policy"] == p),
                                   "not_success": sum(not e.success for e in eps if e.meta["policy"] == p)}
                               for p, k in zip(POLICIES, per)}}


def replay(eps: list, workers: int) -> tuple[list, dict]:
    w0, c0 = time.perf_counter(), time.process_time()
    results = replay_episodes(eps, workers=workers)
    wall, parent = time.perf_counter() - w0, time.process_time() - c0
    steps = sum(r.n_actions for r in results)
    sim = sum(r.sim_seconds for r in results)
    total = sum(r.total_seconds for r in results)
    setup = sum(r.info.get("setup_seconds", 0.0) for r in results)
    book = total - sim - setup
    return results, {"workers": workers, "episodes": len(results), "steps": steps, "wall_s": round(wall, 2),
                     "steps_per_s": round(steps / wall, 1), "parent_cpu_s": round(parent, 2),
                     "replay_cpu_s": round(total, 3), "sim_cpu_s": round(sim, 3), "setup_cpu_s": round(setup, 3),
                     "bookkeeping_cpu_s": round(book, 3), "sim_share": round(sim / total, 4),
                     "bookkeeping_over_sim": round(book / sim, 4),
                     "exec_rate": sum(r.executed for r in results) / steps,
                     "divergent": sum(r.first_divergence is not None for r in results),
                     "mismatches": sum(len(r.mismatches) for r in results)}


def render_cost(steps: int, size: tuple[int, int] | None, seed: int) -> dict:
    def run(frames: bool) -> float:
        a = HighwayAdapter("highway-v0", DEFAULT_CONFIG, render_mode="rgb_array" if frames else None)
        a.reset(seed=seed)
        if frames:
            a.render_frame(size)  # the viewer is made once, outside the timing
        c0 = time.process_time()
        for _ in range(steps):
            a.step(1)
            if frames:
                a.render_frame(size)
        a.close()
        return time.process_time() - c0

    plain = statistics.median(run(False) for _ in range(3))
    framed = statistics.median(run(True) for _ in range(3))
    w, h = size or (DEFAULT_CONFIG.get("screen_width", 600), DEFAULT_CONFIG.get("screen_height", 150))
    return {"size": f"{w}x{h}", "steps": steps, "step_ms": round(plain / steps * 1000, 3),
            "step_plus_frame_ms": round(framed / steps * 1000, 3),
            "frame_ms": round((framed - plain) / steps * 1000, 3)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--episodes", type=int, default=40)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--render-steps", type=int, default=100)
    args = ap.parse_args()
    eps, rec = record(args.episodes, args.seed)
    rows, first = [], None
    for w in args.workers:
        results, row = replay(eps, w)
        if first is None:
            first = results
        else:
            row["identical_to_first"] = all(a.to_dict() == b.to_dict() and a.states == b.states and
                                            a.rewards == b.rewards for a, b in zip(first, results))
        rows.append(row)
    render = [render_cost(args.render_steps, s, args.seed) for s in (None, (320, 160))]
    command = "python benchmarks/bench_agent_replay.py " + " ".join(sys.argv[1:])
    meta = {"command": command.strip(), "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python "
            f"{platform.python_version()}", "seed": args.seed, "env": "highway-v0", "config": DEFAULT_CONFIG,
            "date": time.strftime("%Y-%m-%d")}
    payload = {"meta": meta, "machine": sc.machine(), "record": rec, "replay": rows, "render": render}
    lines = ["# Agent replay (highway-v0, DEFAULT_CONFIG)", "", f"`{meta['command']}`", "",
             f"Recorded {rec['episodes']} episodes, {rec['steps']:,} steps in {rec['wall_s']} s wall "
             f"({rec['steps_per_s']} steps/s).", "",
             "| workers | steps | wall s | steps/s | replay CPU s | in env.step | setup | bookkeeping | "
             "bookkeeping / sim | parent CPU s | exec rate |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['workers']} | {r['steps']:,} | {r['wall_s']} | {r['steps_per_s']} | {r['replay_cpu_s']} | "
                     f"{r['sim_cpu_s']} ({r['sim_share']:.1%}) | {r['setup_cpu_s']} | {r['bookkeeping_cpu_s']} | "
                     f"{r['bookkeeping_over_sim']:.1%} | {r['parent_cpu_s']} | {r['exec_rate']:.3f} |")
    lines += ["", "| frame size | step ms | step + frame ms | frame ms |", "|---|---|---|---|"]
    lines += [f"| {r['size']} | {r['step_ms']} | {r['step_plus_frame_ms']} | {r['frame_ms']} |" for r in render]
    sc.write_results("agent_replay", payload, "\n".join(lines))
    print("\n".join(lines))
    print(json.dumps({"identical": [r.get("identical_to_first") for r in rows]}))


if __name__ == "__main__":
    main()
