"""Benchmark: the full default ``synthaudit audit tabular`` vs mostlyai-qa's full report, same inputs, CPU cost.

    nice -n 10 python3 benchmarks/bench_vs_mostlyai.py   # needs mostlyai-qa in /tmp/mqaenv (see below)

mostlyai-qa (Apache-2.0) lives in its own virtual environment (it needs the CPU torch pin):
``python3 -m venv /tmp/mqaenv && /tmp/mqaenv/bin/pip install torch==2.13.0 && /tmp/mqaenv/bin/pip install
mostlyai-qa`` (``--mqa-python`` points elsewhere).

Data: UCI Adult (../shared/data/tabular/adult, '?' = missing), both files pooled (48,842 rows) and shuffled with
seed 0. At n synthetic rows (``--rows``, default 10,000 30,000 100,000):

* n <= 38,842 (10,000 and 30,000): train = the first n pooled rows, holdout = the next min(n, 48,842 - n) rows
  (disjoint; 10,000 and 18,842 rows);
* larger n (100,000): the pool is split in two disjoint halves; train and holdout are n
  rows each drawn WITH REPLACEMENT from one half, every number jittered by Gaussian noise of 1 % of its column's
  standard deviation (kept as floats), so rows are rarely exact repeats: a resampled, not a real, table.

Synthetic tables (``--synthetic``), n rows each, every one written to CSV and read back by both tools:

* ``copula``: synthaudit's GaussianCopula (seed 1) fitted on train, n rows;
* ``copy``: a verbatim copy of the training rows (row order shuffled, seed 2): the worst case for privacy;
* ``shuffled``: every column of train permuted independently (seed 3): right marginals, no joint structure.

Each tool runs in its own subprocess under ``nice -n 10`` (the machine is shared; CPU seconds are the steadier
figure): synthaudit as ``python3 -m synthaudit audit tabular --synthetic S --real TRAIN --holdout H --target
income --out DIR -q`` (its full default metric set), mostlyai-qa as ``qa.report(syn_tgt_data=..., trn_tgt_data=...,
hol_tgt_data=...)`` (its full default report, HTML included) from ``--mqa-python``. Measured from the parent:
CPU seconds (user + sys of the child and its waited-for descendants, ``os.wait4``'s rusage), wall seconds
and peak RSS (the child's ru_maxrss), start-up, CSV reading and imports included for both tools.

Writes benchmarks/results/vs_mostlyai.json and benchmarks/results/vs_mostlyai.md (``--out-name`` changes the
stem; ``--merge`` keeps rows of earlier runs that this run did not redo).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
ADULT = HERE.parents[1] / "shared" / "data" / "tabular" / "adult"
TARGET = "income"
SYNTHETIC = ("copula", "copy", "shuffled")
JITTER = 0.01  # resampled real rows (n > the pool): Gaussian noise, 1 % of each number's standard deviation

MQA_CHILD = r"""
import json, sys, time, warnings
warnings.filterwarnings("ignore")
t0 = time.perf_counter()
import pandas as pd
from mostlyai import qa
syn, trn, hol, out = sys.argv[1:5]
read = lambda p: pd.read_csv(p)
syn, trn, hol = read(syn), read(trn), read(hol)
t1 = time.perf_counter()
path, metrics = qa.report(syn_tgt_data=syn, trn_tgt_data=trn, hol_tgt_data=hol, report_path=out + "/report.html")
t2 = time.perf_counter()
print(json.dumps({"load_s": t1 - t0, "report_s": t2 - t1,
                  "metrics": metrics.model_dump(mode="json") if metrics is not None else None}))
"""


# ---------------------------------------------------------------------------------------------- data
def pooled() -> pd.DataFrame:
    frames = [pd.read_csv(ADULT / f, na_values=["?"]) for f in ("adult_train.csv.gz", "adult_test.csv.gz")]
    full = pd.concat(frames, ignore_index=True)
    return full.iloc[np.random.default_rng(0).permutation(len(full))].reset_index(drop=True)


def _jitter(frame: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    out = frame.copy()
    for c in out.columns:
        if pd.api.types.is_numeric_dtype(out[c]):
            x = out[c].to_numpy(dtype=float)
            sd = float(np.nanstd(x))
            out[c] = x + rng.normal(0.0, JITTER * sd if sd > 0 else 0.0, len(x))
    return out


def real_tables(n: int) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    """(train, holdout, how they were made) for n synthetic rows (module docstring)."""
    full = pooled()
    if n <= len(full) - 10_000:  # at least 10,000 disjoint holdout rows left
        n_hold = min(n, len(full) - n)
        return (full.iloc[:n].reset_index(drop=True), full.iloc[n:n + n_hold].reset_index(drop=True),
                f"train = {n} pooled Adult rows, holdout = {n_hold} other pooled rows (disjoint, seed 0)")
    half = len(full) // 2
    rng = np.random.default_rng(4)
    tr = _jitter(full.iloc[:half].sample(n, replace=True, random_state=5).reset_index(drop=True), rng)
    ho = _jitter(full.iloc[half:].sample(n, replace=True, random_state=6).reset_index(drop=True), rng)
    return tr, ho, (f"train and holdout = {n} rows each drawn with replacement from two disjoint halves "
                    f"({half} and {len(full) - half} rows) of pooled Adult, numbers jittered by N(0, "
                    f"({JITTER:g} sd)^2) (resampled, seeds 4-6)")


def synthetic_table(kind: str, train: pd.DataFrame, n: int) -> pd.DataFrame:
    if kind == "copula":
        from synthaudit.generate.tabular import GaussianCopula

        return GaussianCopula(seed=1).fit(train).sample(n)
    if kind == "copy":
        return train.sample(frac=1.0, random_state=2).reset_index(drop=True).iloc[:n]
    if kind == "shuffled":
        rng = np.random.default_rng(3)
        return pd.DataFrame({c: train[c].to_numpy()[rng.permutation(len(train))] for c in train.columns})
    raise ValueError(f"unknown synthetic kind {kind!r}; choose from {', '.join(SYNTHETIC)}")


# ---------------------------------------------------------------------------------------------- measurement
def run_child(cmd: list[str], env: dict | None = None) -> dict:
    """Run cmd under nice -n 10; CPU (user + sys), wall and peak RSS of that child from os.wait4."""
    t0 = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(["nice", "-n", "10", *cmd], stdout=out, stderr=err, env=env)
        _, status, ru = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - t0
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(errors="replace"), err.read().decode(errors="replace")
    return {"returncode": proc.returncode, "cpu_s": ru.ru_utime + ru.ru_stime, "user_s": ru.ru_utime,
            "sys_s": ru.ru_stime, "wall_s": wall, "peak_rss_mb": ru.ru_maxrss / 1024, "stdout": stdout,
            "stderr": stderr}


def run_synthaudit(paths: dict[str, Path], work: Path, src: str | None = None) -> dict:
    out = work / "synthaudit_out"
    env = {**os.environ, "PYTHONPATH": src} if src else None  # --synthaudit-src: another checkout (before/after)
    res = run_child([sys.executable, "-m", "synthaudit", "audit", "tabular", "--synthetic", str(paths["syn"]),
                     "--real", str(paths["train"]), "--holdout", str(paths["hold"]), "--target", TARGET,
                     "--out", str(out), "-q"], env=env)
    if res["returncode"] not in (0, 1):  # 1 = a policy gate failed: the audit itself ran
        raise RuntimeError(f"synthaudit failed ({res['returncode']}):\n{res['stderr'][-3000:]}")
    rep = json.loads((out / "report.json").read_text())
    metrics = rep.get("metrics", [])
    ok = [m for m in metrics if m.get("status") == "ok"]
    res["detail"] = {
        "n_metrics_ok": len(ok), "n_metrics": len(metrics),
        "metrics": {m["id"]: {"status": m.get("status"), "value": m.get("value"),
                              "cpu_time_s": m.get("cpu_time_s"), "wall_time_s": m.get("wall_time_s")}
                    for m in metrics},
        "shared_time": rep.get("shared_time", [])}
    return res


def run_mostlyai(paths: dict[str, Path], work: Path, python: str) -> dict:
    out = work / "mostlyai_out"
    out.mkdir(exist_ok=True)
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    res = run_child([python, "-c", MQA_CHILD, str(paths["syn"]), str(paths["train"]), str(paths["hold"]), str(out)],
                    env=env)
    if res["returncode"] != 0:
        raise RuntimeError(f"mostlyai-qa failed ({res['returncode']}):\n{res['stderr'][-3000:]}")
    res["detail"] = json.loads(res["stdout"].strip().splitlines()[-1])
    return res


def _headline_synthaudit(d: dict) -> dict:
    m = d["metrics"]
    pick = {"dcr_share": "tabular.dcr", "auc_mia": "tabular.auc_mia", "det_score": "tabular.det_score",
            "tstr_auc": "tabular.tstr_auc", "kst": "tabular.kst", "tvd": "tabular.tvd"}
    return {k: m.get(v, {}).get("value") for k, v in pick.items()}


def _headline_mostlyai(d: dict) -> dict:
    m = d.get("metrics") or {}
    acc, sim, dist = m.get("accuracy") or {}, m.get("similarity") or {}, m.get("distances") or {}
    return {"accuracy_overall": acc.get("overall"),
            "discriminator_auc_syn": sim.get("discriminator_auc_training_synthetic"),
            "dcr_share": dist.get("dcr_share"), "ims_training": dist.get("ims_training")}


# ---------------------------------------------------------------------------------------------- report
def markdown(rows: list[dict], meta: dict) -> str:
    lines = ["# synthaudit vs mostlyai-qa: full tabular audit cost", "",
             f"`nice -n 10 python3 benchmarks/bench_vs_mostlyai.py` — {meta['machine']}; every child under "
             "`nice -n 10`; CPU = user + sys of the child process (start-up, imports and CSV reading included for "
             "both tools). Rows from: " + "; ".join(f"`{c}`" for c in meta.get("commands", [meta["command"]])) + ".",
             "",
             "| synthetic | rows (syn / train / holdout) | synthaudit CPU s | mostlyai-qa CPU s "
             "| CPU ratio (mqa / ours) | synthaudit wall s | mostlyai-qa wall s | synthaudit peak MB "
             "| mostlyai-qa peak MB | synthaudit metrics ok |",
             "|---|---|---|---|---|---|---|---|---|---|"]

    def f(x: dict | None, key: str, fmt: str) -> str:
        return format(x[key], fmt) if x else "—"

    for r in sorted(rows, key=lambda r: (r["rows"], SYNTHETIC.index(r["synthetic"]))):
        s, q = r.get("synthaudit"), r.get("mostlyai")
        ratio = f"{q['cpu_s'] / s['cpu_s']:.2f}x" if s and q else "—"
        lines.append(f"| {r['synthetic']} | {r['rows']:,} / {r['n_train']:,} / {r['n_holdout']:,} | "
                     f"{f(s, 'cpu_s', '.1f')} | {f(q, 'cpu_s', '.1f')} | {ratio} | {f(s, 'wall_s', '.1f')} | "
                     f"{f(q, 'wall_s', '.1f')} | {f(s, 'peak_rss_mb', '.0f')} | {f(q, 'peak_rss_mb', '.0f')} | "
                     f"{s['n_metrics_ok'] if s else '—'} |")
    lines += ["", "Data: " + "; ".join(sorted({r['real_tables'] for r in rows})) + ".", ""]
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, nargs="+", default=[10_000, 30_000, 100_000])
    ap.add_argument("--synthetic", nargs="+", default=list(SYNTHETIC), choices=SYNTHETIC)
    ap.add_argument("--tools", nargs="+", default=["synthaudit", "mostlyai"], choices=["synthaudit", "mostlyai"])
    ap.add_argument("--mqa-python", default="/tmp/mqaenv/bin/python")
    ap.add_argument("--out-name", default="vs_mostlyai")
    ap.add_argument("--merge", action="store_true", help="keep earlier rows of the JSON that this run did not redo")
    ap.add_argument("--keep", type=Path, default=None, help="write the tables and reports here (default: a temp dir)")
    ap.add_argument("--synthaudit-src", default=None,
                    help="run synthaudit from this source folder (PYTHONPATH), e.g. an older checkout's src/")
    args = ap.parse_args()
    if "mostlyai" in args.tools and not Path(args.mqa_python).exists():
        sys.exit(f"{args.mqa_python} not found: install mostlyai-qa in its own venv (see the docstring)")

    dest = HERE / "results"
    dest.mkdir(exist_ok=True)
    jpath, mpath = dest / f"{args.out_name}.json", dest / f"{args.out_name}.md"
    rows: list[dict] = []
    earlier: list[str] = []
    if args.merge and jpath.exists():
        old = json.loads(jpath.read_text())
        rows, earlier = old["runs"], old["meta"].get("commands", [old["meta"]["command"]])
    command = "nice -n 10 python3 benchmarks/bench_vs_mostlyai.py " + " ".join(
        [f"--rows {' '.join(map(str, args.rows))}", f"--synthetic {' '.join(args.synthetic)}"])
    meta = {"command": command, "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
            f"Python {platform.python_version()}", "load_avg_start": os.getloadavg()}
    meta["commands"] = [c for c in earlier if c != command] + [command]
    base = Path(tempfile.mkdtemp(prefix="vs_mqa_")) if args.keep is None else args.keep
    for n in args.rows:
        train, hold, how = real_tables(n)
        for kind in args.synthetic:
            work = base / f"{kind}_{n}"
            work.mkdir(parents=True, exist_ok=True)
            syn = synthetic_table(kind, train, n)
            paths = {"syn": work / "synthetic.csv", "train": work / "train.csv", "hold": work / "holdout.csv"}
            syn.to_csv(paths["syn"], index=False)
            train.to_csv(paths["train"], index=False)
            hold.to_csv(paths["hold"], index=False)
            row: dict = {"synthetic": kind, "rows": n, "n_train": len(train), "n_holdout": len(hold),
                         "real_tables": how, "load_avg_before": os.getloadavg()}
            for tool in args.tools:
                res = (run_synthaudit(paths, work, args.synthaudit_src) if tool == "synthaudit"
                       else run_mostlyai(paths, work, args.mqa_python))
                d = res.pop("detail")
                res.pop("stdout"), res.pop("stderr")
                if tool == "synthaudit":
                    res.update(n_metrics_ok=d["n_metrics_ok"], n_metrics=d["n_metrics"],
                               headline=_headline_synthaudit(d), per_metric=d["metrics"], shared_time=d["shared_time"])
                else:
                    res.update(load_s=d["load_s"], report_s=d["report_s"], headline=_headline_mostlyai(d),
                               metrics=d["metrics"])
                row[tool] = res
                print(f"{kind:9s} n={n:>7,} {tool:10s} cpu {res['cpu_s']:7.1f} s  wall {res['wall_s']:7.1f} s  "
                      f"peak {res['peak_rss_mb']:6.0f} MB  {res['headline']}", flush=True)
            rows = [r for r in rows if (r["synthetic"], r["rows"]) != (kind, n)] + [row]
            meta["load_avg_end"] = os.getloadavg()
            jpath.write_text(json.dumps({"meta": meta, "runs": rows}, indent=2, default=str) + "\n")
            mpath.write_text(markdown(rows, meta))
    print(f"wrote {jpath} and {mpath}")


if __name__ == "__main__":
    main()
