"""The tabular extension checks (trivariate TVD, NNDR, det_embed) beside det_score on UCI Adult (docs/tabular.md).

Run: python3 benchmarks/bench_tabular_extensions.py  (needs ../shared/data; about 5 CPU minutes; writes
benchmarks/results/tabular_extensions.json)
"""
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd
import synthaudit
from synthaudit.generate.tabular import GaussianCopula

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "tabular" / "adult" / "adult_train.csv.gz"
OUT = ROOT / "benchmarks" / "results" / "tabular_extensions.json"
full = pd.read_csv(str(DATA), na_values=["?"], skipinitialspace=True)
rng = np.random.default_rng(0)
idx = rng.permutation(len(full))
real = full.iloc[idx[:5000]].reset_index(drop=True)
hold = full.iloc[idx[5000:10000]].reset_index(drop=True)
cop = GaussianCopula(seed=0).fit(real).sample(5000)
shuf = real.apply(lambda c: c.sample(frac=1, random_state=int(rng.integers(1e9))).to_numpy())
M = ["tabular.ext.trivariate_tvd", "tabular.ext.nndr", "tabular.ext.det_embed", "tabular.det_score"]
out = {}
for name, syn in [("copula", cop), ("copy", real.copy()), ("shuffled", shuf)]:
    t = time.process_time()
    r = synthaudit.audit("tabular", synthetic=syn, real=real, holdout=hold, metrics=M)
    out[name] = {m: (r.value(m), r.result(m).reference, r.result(m).secondary.get("auc"), r.result(m).cpu_time_s)
                 for m in M}
    out[name]["cpu"] = time.process_time() - t
    print(name, out[name], flush=True)
json.dump(out, open(OUT, "w"), indent=1)
