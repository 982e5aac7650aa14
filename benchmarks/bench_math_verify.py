"""Benchmark (issue #14): synthaudit's math verifier vs math-verify on GSM8K and the LaTeX answer set, one run.

    python benchmarks/bench_math_verify.py [--repeat 3]

Pairs (candidate, gold), each with the right verdict:
  * GSM8K test (1,319 rows of ../shared/data/reasoning/gsm8k/test.jsonl): gold rationale vs itself (pass) and the
    rationale with its "#### N" line changed to N+1 vs the gold rationale (fail): 2,638 pairs;
  * tests/data/latex_answers.jsonl: 101 hand-labelled LaTeX pairs.
Each side runs in its own child process: ``ours`` = ``verify_math_many(pairs, workers=W)`` (W = 1 and 2),
``math-verify`` = ``verify(parse(gold), parse(candidate))`` in a loop (it cannot use threads: signal.alarm).
Figures: wall and CPU seconds of the whole child (``os.wait4``: user + sys of the child and of every process it
waited for, i.e. our symbolic workers, imports and worker start-up included), the seconds of the verification
loop alone, and agreement with the right verdicts. Best of ``--repeat`` runs (by child wall).

Writes benchmarks/results/math_verify.json and benchmarks/results/math_verify.md.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import scale_common as sc  # noqa: E402
REPO = HERE.parent
GSM8K = REPO.parent / "shared" / "data" / "reasoning" / "gsm8k" / "test.jsonl"
LATEX = REPO / "tests" / "data" / "latex_answers.jsonl"


def pairs() -> dict[str, list[tuple[str, str, bool]]]:
    rows = [json.loads(line) for line in GSM8K.read_text().splitlines()]
    gsm = []
    for r in rows:
        a = r["answer"]
        n = int(a.split("####")[-1].strip().replace(",", ""))
        gsm.append((a, a, True))
        gsm.append((a.rsplit("####", 1)[0] + f"#### {n + 1}", a, False))
    latex = [(r["candidate"], r["gold"], bool(r["expected"])) for r in map(json.loads, LATEX.read_text().splitlines())]
    return {"gsm8k": gsm, "latex": latex}


def child(side: str, workers: int, out: Path) -> None:
    t0 = time.perf_counter()
    if side == "ours":
        from synthaudit.verify.math import verify_math_many

        def run(ps):
            return [v.ok for v in verify_math_many([(c, g) for c, g, _ in ps], workers=workers)]
    else:
        from math_verify import parse, verify

        def run(ps):
            return [bool(verify(parse(g), parse(c))) for c, g, _ in ps]
    t_import = time.perf_counter() - t0
    res = {"import_s": t_import, "sets": {}}
    for name, ps in pairs().items():
        t, c = time.perf_counter(), time.process_time()
        got = run(ps)
        res["sets"][name] = {"loop_wall_s": time.perf_counter() - t, "loop_cpu_s_main": time.process_time() - c,
                             "verdicts": got, "agree": sum(g == e for g, (_, _, e) in zip(got, ps)), "n": len(ps)}
    if side == "ours":
        from synthaudit.verify.deadline import pool

        pool().shutdown()  # reap the workers so that their CPU shows in our rusage
    out.write_text(json.dumps(res))


def measure(side: str, workers: int) -> dict:
    out = Path(f"/tmp/bench_math_verify_{os.getpid()}_{side}_{workers}.json")
    t = time.perf_counter()
    proc = subprocess.Popen([sys.executable, __file__, "--child", side, "--workers", str(workers), "--out", str(out)])
    _, status, ru = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t
    if status != 0:
        raise SystemExit(f"child {side} failed with status {status}")
    res = json.loads(out.read_text())
    out.unlink()
    res.update(wall_s=wall, cpu_s=ru.ru_utime + ru.ru_stime, max_rss_mb=ru.ru_maxrss / 1024)
    return res


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--child")
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--out")
    a = ap.parse_args()
    if a.child:
        return child(a.child, a.workers, Path(a.out))
    configs = [("math-verify", 1), ("ours", 1), ("ours", 2)]
    best: dict[str, dict] = {}
    for _ in range(a.repeat):
        for side, w in configs:
            key = f"{side} (workers={w})" if side == "ours" else side
            r = measure(side, w)
            if key not in best or r["wall_s"] < best[key]["wall_s"]:
                best[key] = r
    ps = pairs()
    mv = best["math-verify"]
    rows = []
    for key, r in best.items():
        row = {"config": key, "wall_s": round(r["wall_s"], 2), "cpu_s": round(r["cpu_s"], 2),
               "import_s": round(r["import_s"], 2), "max_rss_mb": round(r["max_rss_mb"])}
        for name, s in r["sets"].items():
            row[f"{name}_loop_wall_s"] = round(s["loop_wall_s"], 2)
            row[f"{name}_agree_gold"] = f"{s['agree']}/{s['n']}"
            row[f"{name}_same_as_math_verify"] = sum(x == y for x, y in zip(s["verdicts"],
                                                                           mv["sets"][name]["verdicts"]))
        rows.append(row)
    disagreements = {name: [{"candidate": c[-80:], "gold": g[-40:], "expected": e,
                             "ours": best["ours (workers=1)"]["sets"][name]["verdicts"][i],
                             "math_verify": mv["sets"][name]["verdicts"][i]}
                            for i, (c, g, e) in enumerate(ps[name])
                            if best["ours (workers=1)"]["sets"][name]["verdicts"][i] != mv["sets"][name]["verdicts"][i]]
                     for name in ps}
    result = {"machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
              "repeat": a.repeat, "rows": rows, "disagreements": disagreements}
    cols = list(rows[0])
    md = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    md += ["| " + " | ".join(str(r[c]) for c in cols) + " |" for r in rows]
    md.append("")
    for name, ds in disagreements.items():
        md.append(f"{name}: {len(ds)} disagreements with math-verify")
        md += [f"* expected {d['expected']}, ours {d['ours']}, math-verify {d['math_verify']}: {d['candidate']!r} vs "
               f"{d['gold']!r}" for d in ds]
    sc.write_results("math_verify", result, "\n".join(md))
    print("\n".join(md))


if __name__ == "__main__":
    main()
