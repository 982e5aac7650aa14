"""Benchmark: synthaudit's tabular fidelity metrics vs SDMetrics' QualityReport, same data, same process.

SDMetrics' QualityReport computes column shapes (KSComplement / TVComplement) and column pair trends
(CorrelationSimilarity / ContingencySimilarity): the same four quantities as synthaudit's tabular.kst,
tabular.tvd, tabular.pearson_score and tabular.contingency_score. Data: UCI Adult (../shared/data),
real = train rows, synthetic = the built-in Gaussian copula fitted on them.

    python benchmarks/bench_tabular_fidelity.py [--rows 10000 30000] [--repeat 3]

Prints a table and writes benchmarks/results/tabular_fidelity.json.
"""
from __future__ import annotations

import argparse
import json
import platform
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
ADULT = HERE.parents[1] / "shared" / "data" / "tabular" / "adult" / "adult_train.csv.gz"
FIDELITY = ["tabular.kst", "tabular.tvd", "tabular.pearson_score", "tabular.contingency_score"]


def best_of(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, nargs="+", default=[10_000, 30_000, 100_000])
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    import synthaudit
    from sdmetrics.reports.single_table import QualityReport
    from sdmetrics.single_table import LogisticDetection
    from synthaudit.generate.tabular import GaussianCopula

    warnings.filterwarnings("ignore")
    full = pd.read_csv(ADULT, na_values=["?"])
    results = []
    for n in args.rows:
        real = full.sample(n, random_state=0, replace=n > len(full)).reset_index(drop=True)
        syn = GaussianCopula(seed=1).fit(real).sample(n)
        report = synthaudit.audit("tabular", synthetic=syn, real=real, metrics=FIDELITY)
        types = {c: v["type"] for c, v in report.columns.items()}
        metadata = {"columns": {c: {"sdtype": "numerical" if t == "numerical" else "categorical"}
                                for c, t in types.items()}}

        def ours(syn=syn, real=real):
            synthaudit.audit("tabular", synthetic=syn, real=real, metrics=FIDELITY)

        def theirs(metadata=metadata, syn=syn, real=real):
            QualityReport().generate(real, syn, metadata, verbose=False)

        t_ours, t_theirs = best_of(ours, args.repeat), best_of(theirs, args.repeat)
        qr = QualityReport()
        qr.generate(real, syn, metadata, verbose=False)
        shapes = qr.get_properties().set_index("Property")["Score"]["Column Shapes"]
        ours_shapes = 1 - np.mean([r["value"] for m in ("tabular.kst", "tabular.tvd")
                                   for r in report.result(m).breakdown])
        # detection on every row (no subsampling) vs SDMetrics' LogisticDetection (3 folds each)
        det = {"tabular.det_score": {"max_rows": 0}}
        t0 = time.perf_counter()
        ours_det = synthaudit.audit("tabular", synthetic=syn, real=real, metrics=["tabular.det_score"], params=det)
        t_det = time.perf_counter() - t0
        t0 = time.perf_counter()
        theirs_det = LogisticDetection.compute(real, syn)
        t_det_theirs = time.perf_counter() - t0
        results.append({"rows": n, "synthaudit_s": t_ours, "sdmetrics_quality_report_s": t_theirs,
                        "speedup": t_theirs / t_ours, "column_shapes_sdmetrics": float(shapes),
                        "column_shapes_synthaudit": float(ours_shapes), "detection_synthaudit_s": t_det,
                        "detection_sdmetrics_s": t_det_theirs, "detection_speedup": t_det_theirs / t_det,
                        "detection_synthaudit_sdmetrics_score":
                            ours_det.result("tabular.det_score").secondary["sdmetrics_score"],
                        "detection_sdmetrics_score": float(theirs_det)})
        print(f"{n:>7} rows: synthaudit {t_ours:6.3f} s | SDMetrics QualityReport {t_theirs:6.3f} s | "
              f"{t_theirs / t_ours:5.1f}x | column shapes {ours_shapes:.6f} vs {shapes:.6f} || detection "
              f"{t_det:6.2f} s vs LogisticDetection {t_det_theirs:6.2f} s ({t_det_theirs / t_det:4.1f}x)")
    out = HERE / "results" / "tabular_fidelity.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"machine": platform.platform(), "cpus": __import__("os").cpu_count(),
                               "results": results}, indent=2) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
