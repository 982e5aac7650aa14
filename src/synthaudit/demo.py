"""``synthaudit demo``: the tutorial's hands-on tour, offline, one small data set per modality.

* **tabular** (the main report, ``OUT/report.html``): real data that ship with scikit-learn, the Gaussian
  copula, a full audit (below); plus ``OUT/tabular_llm/``: LLM prompt-based rows from the offline SmolLM2
  (a 135M model: most of its rows fail the schema, and the report shows it).
* **text** (``OUT/text/``): attribute-guided instruction/response records generated with the offline
  SmolLM2, audited against the real Self-Instruct seed tasks when the shared data folder is beside the checkout.
* **dialogue** (``OUT/dialogue/``): the same records as two-turn dialogues, audited for safety and USL-H.
* ``OUT/index.html`` links every report with its headline numbers.

The tabular part: loads the Wisconsin breast-cancer table (569 rows: 10 'mean' cell measurements and the diagnosis),
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


def run_demo(out: Path, *, seed: int = 0, progress: bool | None = None, echo: Callable[[str], None] = print,
             modalities: tuple[str, ...] = ("tabular", "text", "dialogue")):
    """Run the tour; returns the tabular report and the paths of the files written."""
    report, paths = run_tabular_demo(out, seed=seed, progress=progress, echo=echo)
    entries = [("tabular (Gaussian copula)", "report.html", report)]
    if "tabular" in modalities:
        entries.append(_tabular_llm_demo(Path(out), paths["train"], seed, progress, echo))
    if "text" in modalities or "dialogue" in modalities:
        records = _text_records(Path(out), seed, echo)
        if "text" in modalities:
            entries.append(_text_demo(Path(out), records, seed, progress, echo))
        if "dialogue" in modalities:
            entries.append(_dialogue_demo(Path(out), records, seed, progress, echo))
    index = Path(out) / "index.html"
    index.write_text(_index_html(entries), encoding="utf-8")
    paths["index"] = index
    echo(f"demo: wrote {index} (every report of the tour)")
    return report, paths


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


DEMO_TEXT_RECORDS = 4


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


def _text_records(out: Path, seed: int, echo) -> Path:
    from synthaudit.generate.runner import run_generation
    from synthaudit.models.llm import LLMClient

    path = out / "data" / "text_generated.jsonl"
    stats = run_generation("attribute", LLMClient(model="smollm2"), n=DEMO_TEXT_RECORDS, seed=seed, out=path,
                           max_tokens=40, resume=False)
    echo(f"demo: SmolLM2 generated {DEMO_TEXT_RECORDS} attribute-guided instruction/response records "
         f"({stats.summary() if hasattr(stats, 'summary') else path})")
    return path


def _real_text(out: Path) -> Path | None:
    """Real instruction/response pairs: Self-Instruct's seed tasks from the shared data folder beside a source
    checkout (None when it is not there: the fidelity metrics that need real text become gaps)."""
    import json

    from synthaudit.generate.text.self_instruct import DEFAULT_SEED_TASKS, load_seed_tasks

    if not DEFAULT_SEED_TASKS.is_file():
        return None
    path = out / "data" / "text_real.jsonl"
    with open(path, "w", encoding="utf-8") as fh:
        for task in load_seed_tasks(DEFAULT_SEED_TASKS):
            for inst in task.get("instances") or []:
                if inst.get("output"):
                    fh.write(json.dumps({"instruction": task["instruction"], "response": inst["output"]},
                                        ensure_ascii=False) + "\n")
    return path


def _text_demo(out: Path, records: Path, seed: int, progress, echo):
    from synthaudit.audit.api import audit

    sub = out / "text"
    rep = audit("text", synthetic=records, real=_real_text(out), field="response", prompt_field="instruction",
                seed=seed, out=sub, progress=progress,
                params={"text.gar": {"max_records": DEMO_TEXT_RECORDS}})
    echo(f"demo: text audit written to {sub / 'report.html'}")
    return ("text (attribute-guided, SmolLM2)", "text/report.html", rep)


def _dialogue_demo(out: Path, records: Path, seed: int, progress, echo):
    import json

    from synthaudit.audit.api import audit

    path = out / "data" / "dialogues_generated.jsonl"
    with open(records, encoding="utf-8") as src, open(path, "w", encoding="utf-8") as dst:
        for line in src:
            rec = json.loads(line)
            turns = [{"role": "user", "content": rec["instruction"]}, {"role": "assistant", "content": rec["response"]}]
            dst.write(json.dumps({"id": rec["id"], "turns": turns}, ensure_ascii=False) + "\n")
    sub = out / "dialogue"
    rep = audit("dialogue", synthetic=path, seed=seed, out=sub, progress=progress)
    echo(f"demo: dialogue audit written to {sub / 'report.html'}")
    return ("dialogue (the text records as two-turn dialogues)", "dialogue/report.html", rep)


def _index_html(entries) -> str:
    from html import escape

    rows = []
    for title, href, rep in entries:
        if href is None:
            rows.append(f"<tr><td>{escape(title)}</td><td colspan='3'>{escape(str(rep))}</td></tr>")
            continue
        ok = [m for m in rep.metrics if m.status == "ok"]
        values = ", ".join(f"{m.id} = {m.value:.3g}" for m in ok[:6] if m.value is not None)
        rows.append(f"<tr><td><a href='{escape(href)}'>{escape(title)}</a></td><td>{len(ok)} ran, "
                    f"{len(rep.gaps)} gaps</td><td>{'pass' if rep.passed else 'gate failed'}</td>"
                    f"<td>{escape(values)}</td></tr>")
    return ("<!doctype html><html lang='en'><head><meta charset='utf-8'><title>synthaudit demo</title>"
            "<style>body{font-family:system-ui,sans-serif;margin:2rem;max-width:70rem}td,th{padding:.3rem .6rem;"
            "border-bottom:1px solid #ddd;text-align:left;vertical-align:top}</style></head><body>"
            "<h1>synthaudit demo: one report per modality</h1><p>Generated and audited offline "
            "(scikit-learn data, the Gaussian copula, SmolLM2-135M-Instruct).</p><table><thead><tr><th>report</th>"
            "<th>metrics</th><th>gates</th><th>headline values</th></tr></thead><tbody>" + "".join(rows)
            + "</tbody></table></body></html>\n")
