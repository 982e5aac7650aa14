"""The tabular section of ``synthaudit demo`` (survey section 4; tutorial's hands-on tour).

The main report (``OUT/report.html``): scikit-learn's Wisconsin breast-cancer table (569 rows: 10 'mean' cell
measurements and the diagnosis), split into train and holdout (seeded), the built-in Gaussian-copula baseline fitted
on train, a synthetic table of the same size, and a full audit (constraints inferred from the real table; no
protected attribute ships with these data, so the fairness metrics are listed as gaps with the flag to pass).
Plus ``OUT/tabular_llm/``: LLM prompt-based rows from the offline SmolLM2 (a 135M model: most of its rows fail the
schema, and the report shows it).
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


def section(ctx) -> list:
    """The copula audit (the tour's main report) and the LLM-rows attempt."""
    report, paths = run_tabular_demo(ctx.out, seed=ctx.seed, progress=ctx.progress, echo=ctx.echo)
    ctx.paths.update(paths)
    return [("tabular (Gaussian copula)", "report.html", report),
            _tabular_llm_demo(Path(ctx.out), paths["train"], ctx.seed, ctx.progress, ctx.echo)]


def run_tabular_demo(out: Path, *, seed: int = 0, progress: bool | None = None,
                     echo: Callable[[str], None] = print):
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


def _tabular_llm_demo(out: Path, train_csv: Path, seed: int, progress, echo):
    """LLM prompt-based rows (CLLM style) from the offline SmolLM2, audited like the copula's."""
    import pandas as pd

    from synthaudit.audit.api import audit
    from synthaudit.generate.tabular_llm import GenerationError, LLMTabularGenerator
    from synthaudit.models.llm import LLMClient

    sub = out / "tabular_llm"
    sub.mkdir(parents=True, exist_ok=True)
    train = pd.read_csv(train_csv)
    gen = LLMTabularGenerator(LLMClient(model="smollm2"), k=3, rows_per_call=2, max_calls=2, max_tokens=160,
                              seed=seed)
    try:
        rows = gen.fit(train).sample(6)
    except GenerationError as exc:
        echo(f"demo: LLM rows: {exc.render() if hasattr(exc, 'render') else exc}")
        return ("tabular (LLM rows, SmolLM2)", None, f"no valid rows: {exc}")
    rows.to_csv(sub / "synthetic.csv", index=False)
    echo(f"demo: SmolLM2 wrote {len(rows)} valid rows in {gen.stats.calls} call(s) "
         f"(rejected: {dict(gen.stats.rejected) or 'none'})")
    rep = audit("tabular", synthetic=sub / "synthetic.csv", real=train_csv, seed=seed, out=sub, progress=progress,
                metrics=["tabular.kst", "tabular.tvd", "tabular.violation_rate"], infer_constraints=True)
    return ("tabular (LLM rows, SmolLM2)", "tabular_llm/report.html", rep)
