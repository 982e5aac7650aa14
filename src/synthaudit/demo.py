"""``synthaudit demo``: offline, on real data that ships with scikit-learn.

Loads the Wisconsin breast-cancer table (569 rows: 10 'mean' cell measurements and the diagnosis),
splits it into train and holdout (seeded), fits the built-in Gaussian-copula baseline on train,
samples a synthetic table of the same size, writes all three as CSV with a policy file, and audits
the synthetic table against the real one (constraints inferred from the real table; no protected
attribute ships with these data, so the fairness metrics are listed as gaps with the flag to pass).
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np

DEMO_POLICY = """\
# Policy gates for the demo: metric id -> bounds. Failed gates make `synthaudit audit` exit 1.
tabular.kst: {max: 0.15}
tabular.tvd: {max: 0.1}
tabular.pearson_score: {max: 0.1}
tabular.contingency_score: {max: 0.2}
"""


def demo_tables(seed: int = 0):
    """(train, holdout) DataFrames from scikit-learn's breast-cancer data (no network needed)."""
    from sklearn.datasets import load_breast_cancer

    data = load_breast_cancer(as_frame=True)
    frame = data.frame[[c for c in data.frame.columns if c.startswith("mean ")]].copy()
    frame["diagnosis"] = np.where(data.frame["target"].to_numpy() == 1, "benign", "malignant")
    rng = np.random.default_rng(seed)
    idx = rng.permutation(len(frame))
    cut = int(0.7 * len(frame))
    return frame.iloc[idx[:cut]].reset_index(drop=True), frame.iloc[idx[cut:]].reset_index(drop=True)


def run_demo(out: Path, *, seed: int = 0, progress: bool | None = None, echo: Callable[[str], None] = print):
    from synthaudit.audit.api import audit
    from synthaudit.generate.tabular import GaussianCopula

    out = Path(out)
    data_dir = out / "data"
    data_dir.mkdir(parents=True, exist_ok=True)
    train, holdout = demo_tables(seed)
    echo(f"demo: scikit-learn breast-cancer data, {len(train)} train and {len(holdout)} holdout rows")
    synthetic = GaussianCopula(seed=seed).fit(train).sample(len(train))
    echo(f"demo: fitted a Gaussian copula and sampled {len(synthetic)} synthetic rows")
    paths = {"train": data_dir / "real_train.csv", "holdout": data_dir / "real_holdout.csv",
             "synthetic": data_dir / "synthetic.csv", "policy": out / "gates.yaml"}
    train.to_csv(paths["train"], index=False)
    holdout.to_csv(paths["holdout"], index=False)
    synthetic.to_csv(paths["synthetic"], index=False)
    paths["policy"].write_text(DEMO_POLICY, encoding="utf-8")
    report = audit("tabular", synthetic=paths["synthetic"], real=paths["train"], holdout=paths["holdout"],
                   target="diagnosis", policy=paths["policy"], infer_constraints=True, seed=seed, out=out,
                   progress=progress,
                   command=f"synthaudit audit tabular --synthetic {paths['synthetic']} --real {paths['train']} "
                           f"--holdout {paths['holdout']} --target diagnosis --infer-constraints "
                           f"--policy {paths['policy']} --out {out}")
    echo(f"demo: wrote {out / 'report.html'} and {out / 'report.json'}")
    return report, paths
