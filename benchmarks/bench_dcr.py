"""Benchmark: synthaudit's tabular.dcr vs SDMetrics' DCROverfittingProtection, and DCR at 100,000 rows.

    python benchmarks/bench_dcr.py sdmetrics [--rows 2000 5000 10000] [--repeat 3] [--skip-sdmetrics-above N]
    python benchmarks/bench_dcr.py scale [--rows 100000] [--probe 4000] [--synthetic resample|copula]

``sdmetrics``: UCI Adult rows (../shared/data, '?' = missing): disjoint train and holdout samples (with
replacement when 2n > 32,561 rows) and a Gaussian-copula synthetic sample (fitted on train) of the same size, numbers of
holdout and synthetic clipped to the training ranges and the holdout given the training ranges by anchor
rows, so that SDMetrics' per-reference ranges equal synthaudit's training ranges and the two closer-to-train
shares must agree (synthaudit's ``gower`` distance; ties: SDMetrics' share = ours - ties / 2). Same process,
same data; SDMetrics with ``num_rows_subsample=None, num_iterations=1`` (no subsampling), run once; ours is
the whole ``synthaudit.audit`` call, best of ``--repeat``.

``scale`` (run it in its own process, for a clean peak RSS): synthetic, train and holdout of ``--rows`` rows
each (synthetic: Adult resampled, or ``--synthetic copula``: a Gaussian-copula sample with no exact copies),
exact DCR without any query sampling (``max_query_rows=0``): three passes (synthetic -> train,
synthetic -> holdout, holdout -> train). Throughput in row pairs per second against bare NumPy/BLAS kernels
on the same encoded rows in the same run, timed on ``--probe`` query rows against all reference rows:
the squared-L2 GEMM identity |q|^2 + |r|^2 - 2 q.r on the dense [numbers, one-hot] matrix plus a row
minimum (float64 and float32), and scipy cdist cityblock.

Prints one JSON document (``--out FILE`` also writes it).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
ADULT = HERE.parents[1] / "shared" / "data" / "tabular" / "adult" / "adult_train.csv.gz"
NUM = ["age", "fnlwgt", "education_num", "capital_gain", "capital_loss", "hours_per_week"]


def adult() -> pd.DataFrame:
    return pd.read_csv(ADULT, na_values=["?"])


def sample(full: pd.DataFrame, n: int, seed: int) -> pd.DataFrame:
    return full.sample(n, random_state=seed, replace=n > len(full)).reset_index(drop=True)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kilobytes


def comparable_tables(full: pd.DataFrame, n: int) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """train, holdout, synthetic of n rows with the training ranges everywhere (see the module docstring)."""
    from synthaudit.generate.tabular import GaussianCopula

    if 2 * n <= len(full):  # disjoint train and holdout rows while Adult has enough
        perm = np.random.default_rng(0).permutation(len(full))
        train, hold = (full.iloc[perm[i * n:(i + 1) * n]].reset_index(drop=True) for i in (0, 1))
    else:
        train, hold = sample(full, n, 0), sample(full, n, 1)
    lo, hi = train[NUM].min(), train[NUM].max()
    hold[NUM] = hold[NUM].clip(lo, hi, axis=1)
    anchors = pd.concat([train.loc[[train[c].idxmin(), train[c].idxmax()]] for c in NUM])
    hold = pd.concat([hold.iloc[:n - len(anchors)], anchors], ignore_index=True)
    syn = GaussianCopula(seed=2).fit(train).sample(n)
    syn[NUM] = syn[NUM].clip(lo, hi, axis=1)
    return train, hold, syn


def bench_sdmetrics(args) -> dict:
    from sdmetrics.single_table import DCROverfittingProtection

    import synthaudit

    warnings.filterwarnings("ignore")
    full = adult()
    rows = []
    for n in args.rows:
        train, hold, syn = comparable_tables(full, n)
        report = synthaudit.audit("tabular", synthetic=syn, real=train, holdout=hold, metrics=["tabular.dcr"],
                                  params={"tabular.dcr": {"distance": "gower"}})
        metadata = {"columns": {c: {"sdtype": "numerical" if t == "numerical" else "categorical"}
                                for c, t in ((c, v["type"]) for c, v in report.columns.items())}}

        times = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            res = synthaudit.audit("tabular", synthetic=syn, real=train, holdout=hold, metrics=["tabular.dcr"],
                                   params={"tabular.dcr": {"distance": "gower"}}).result("tabular.dcr")
            times.append(time.perf_counter() - t0)
        t_ours = min(times)
        ours_share = res.value - res.secondary["share_ties"] / 2
        row = {"rows": n, "synthaudit_s": t_ours, "synthaudit_metric_wall_s": res.wall_time_s,
               "synthaudit_closer_to_train": res.value, "synthaudit_share_ties": res.secondary["share_ties"]}
        if args.skip_sdmetrics_above and n > args.skip_sdmetrics_above:
            row["sdmetrics_s"] = None
            row["note"] = "SDMetrics not run (see --skip-sdmetrics-above)"
        else:
            t0 = time.perf_counter()
            ref = DCROverfittingProtection.compute_breakdown(train, syn, hold, metadata, None,
                                                             num_rows_subsample=None, num_iterations=1)
            t_sd = time.perf_counter() - t0
            sd_share = float(ref["synthetic_data_percentages"]["closer_to_training"])
            row.update(sdmetrics_s=t_sd, speedup=t_sd / t_ours, sdmetrics_closer_to_training=sd_share,
                       synthaudit_closer_minus_half_ties=ours_share, abs_difference=abs(sd_share - ours_share))
        row["load_average"] = os.getloadavg()
        rows.append(row)
        print(json.dumps(row), flush=True)
    return {"benchmark": "tabular.dcr vs SDMetrics DCROverfittingProtection", "results": rows}


def bench_scale(args) -> dict:
    from scipy.spatial.distance import cdist

    from synthaudit.data.tabular_inputs import prepare_tabular
    from synthaudit.metrics.registry import get
    from synthaudit.metrics.tabular.privacy import _encoding
    from synthaudit.models import Models
    from synthaudit.stats.neighbors import knn

    full = adult()
    n = args.rows
    train, hold = sample(full, n, 0), sample(full, n, 1)
    if args.synthetic == "copula":  # a generator's rows: (almost) no exact copies of training rows
        from synthaudit.generate.tabular import GaussianCopula

        syn = GaussianCopula(seed=2).fit(train).sample(n)
    else:
        syn = sample(full, n, 2)
    inputs = prepare_tabular(synthetic=syn, real=train, holdout=hold)
    inputs.params["tabular.dcr"] = {"max_query_rows": 0}  # exact: every row on both sides
    knn(np.zeros((1, 1)), np.zeros((1, 1), np.int64), np.zeros((2, 1)), np.zeros((2, 1), np.int64))  # JIT load
    rss_before = peak_rss_mb()
    t0 = time.perf_counter()
    encoder, tables = _encoding(inputs)
    t_encode = time.perf_counter() - t0
    t0 = time.perf_counter()
    res = get("tabular.dcr").run(inputs, Models.default())
    t_metric = time.perf_counter() - t0
    pairs = 3 * n * n
    ours_pps = pairs / t_metric
    rss_after = peak_rss_mb()

    # bare kernels on the same encoded rows: probe query rows (synthetic) against all training rows
    s, r = tables["synthetic"], tables["train"]
    m = min(args.probe, n)
    t0 = time.perf_counter()
    knn(s.num[:m], s.cat[:m], r.num, r.cat)
    knn_pps = m * n / (time.perf_counter() - t0)
    dense_s, dense_r = encoder.onehot(s.take(np.arange(m))).toarray(), encoder.onehot(r).toarray()
    gemm = {}
    for dtype in (np.float64, np.float32):
        q_all, ref = dense_s.astype(dtype), dense_r.astype(dtype)
        rn = (ref * ref).sum(1)
        t0 = time.perf_counter()
        for a in range(0, m, 1000):
            q = q_all[a:a + 1000]
            d2 = (q * q).sum(1)[:, None] + rn[None, :] - 2.0 * (q @ ref.T)
            d2.min(axis=1)
        gemm[np.dtype(dtype).name] = m * n / (time.perf_counter() - t0)
    mc = min(500, m)
    t0 = time.perf_counter()
    cdist(dense_s[:mc], dense_r, "cityblock").min(axis=1)
    cdist_pps = mc * n / (time.perf_counter() - t0)
    return {"benchmark": f"tabular.dcr exact at {n:,} x {n:,} rows", "rows": n,
            "encoded": {"numbers": int(s.num.shape[1]), "categories": int(s.cat.shape[1]),
                        "one_hot_width": int(dense_r.shape[1])},
            "encode_s": t_encode, "metric_s": t_metric, "row_pairs": pairs, "ours_pairs_per_s": ours_pps,
            "bare_knn_kernel_pairs_per_s": knn_pps, "gemm_float64_pairs_per_s": gemm["float64"],
            "gemm_float32_pairs_per_s": gemm["float32"], "cdist_cityblock_pairs_per_s": cdist_pps,
            "ratio_ours_to_gemm_float64": ours_pps / gemm["float64"],
            "ratio_ours_to_gemm_float32": ours_pps / gemm["float32"],
            "peak_rss_mb_before_metric": rss_before, "peak_rss_mb_after_metric": rss_after,
            "value_closer_to_train": res.value, "exact_copy_rate": res.secondary["exact_copy_rate"],
            "synthetic": args.synthetic,
            "note": "train and holdout sampled with replacement from 32,561 Adult rows (most rows have exact "
                    "copies); synthetic: " + ("the same" if args.synthetic == "resample" else
                                              "a Gaussian-copula sample fitted on train")}


def main() -> None:
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="part", required=True)
    a = sub.add_parser("sdmetrics")
    a.add_argument("--rows", type=int, nargs="+", default=[2_000, 5_000, 10_000])
    a.add_argument("--repeat", type=int, default=3)
    a.add_argument("--skip-sdmetrics-above", type=int, default=0)
    b = sub.add_parser("scale")
    b.add_argument("--rows", type=int, default=100_000)
    b.add_argument("--probe", type=int, default=4_000)
    b.add_argument("--synthetic", choices=("resample", "copula"), default="resample")
    for p in (a, b):
        p.add_argument("--out", type=Path)
    args = ap.parse_args()
    result = bench_sdmetrics(args) if args.part == "sdmetrics" else bench_scale(args)
    result.update(machine=platform.platform(), cpus=os.cpu_count(), load_average_end=os.getloadavg())
    text = json.dumps(result, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
