"""The tabular section of ``synthaudit demo`` (survey section 4; the tutorial's hands-on tour).

Real data: scikit-learn's diabetes table (442 patients: age, sex, BMI, blood pressure, six serum measurements),
with the disease progression after one year as a label (``high`` above the median) and ``sex`` as the protected
attribute, split into train and holdout (seeded). Three synthetic variants, each audited:

* the Gaussian copula fitted on train (the main report, ``OUT/report.html``: every metric, with policy gates);
* a **leaky copy** (``OUT/tabular_leaky/``): half the rows copied verbatim from train, the flaw to catch;
* LLM rows (``OUT/tabular_llm/``) from the offline SmolLM2 with schema-constrained decoding, so every answer is
  a row of the table's schema.
"""
from __future__ import annotations


import numpy as np
import pandas as pd

DEMO_POLICY = """\
# Policy gates for the demo: metric id -> bounds. Failed gates make `synthaudit audit` exit 1.
tabular.kst: {max: 0.15}
tabular.tvd: {max: 0.1, max_vs_reference: 1.5}  # and at most 1.5 x the real holdout's own TVD
tabular.pearson_score: {max: 0.1}
tabular.contingency_score: {max: 0.2}
"""
LLM_ROWS = 8
PRIVACY_AND_FIDELITY = ["tabular.kst", "tabular.tvd", "tabular.pearson_score", "tabular.dcr",
                        "tabular.dcr_real_to_syn", "tabular.auc_mia", "tabular.adv_mia"]


def demo_tables(seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(train, holdout) from scikit-learn's diabetes data (no network needed)."""
    from sklearn.datasets import load_diabetes

    frame = load_diabetes(as_frame=True, scaled=False).frame
    target = frame.pop("target")
    frame["sex"] = frame["sex"].map({1.0: "1", 2.0: "2"})  # coded 1/2 in the source
    frame["progression"] = np.where(target > target.median(), "high", "low")
    idx = np.random.default_rng(seed).permutation(len(frame))
    cut = int(0.7 * len(frame))
    return frame.iloc[idx[:cut]].reset_index(drop=True), frame.iloc[idx[cut:]].reset_index(drop=True)


def section(ctx) -> list:
    from synthaudit.audit.api import audit
    from synthaudit.demo import DemoEntry
    from synthaudit.generate.tabular import GaussianCopula

    out, data = ctx.out, ctx.out / "data"
    train, holdout = demo_tables(ctx.seed)
    paths = {"train": data / "real_train.csv", "holdout": data / "real_holdout.csv",
             "synthetic": data / "synthetic.csv", "leaky": data / "synthetic_leaky.csv", "policy": out / "gates.yaml"}
    with ctx.step(f"tabular: Gaussian copula on the diabetes table ({len(train)} train, {len(holdout)} holdout)"):
        synthetic = GaussianCopula(seed=ctx.seed).fit(train).sample(len(train))
        half = len(train) // 2
        rng = np.random.default_rng(ctx.seed)
        leaky = pd.concat([synthetic.iloc[:len(train) - half], train.iloc[rng.choice(len(train), half, False)]],
                          ignore_index=True).sample(frac=1.0, random_state=ctx.seed).reset_index(drop=True)
        train.to_csv(paths["train"], index=False)
        holdout.to_csv(paths["holdout"], index=False)
        synthetic.to_csv(paths["synthetic"], index=False)
        leaky.to_csv(paths["leaky"], index=False)
        paths["policy"].write_text(DEMO_POLICY, encoding="utf-8")
    ctx.paths.update(paths)
    common = dict(real=paths["train"], holdout=paths["holdout"], target="progression", protected="sex",
                  seed=ctx.seed, progress=ctx.progress)
    with ctx.step("tabular: full audit of the copula rows (every metric, gates)"):
        good = audit("tabular", synthetic=paths["synthetic"], policy=paths["policy"], infer_constraints=True,
                     out=out, command=f"synthaudit audit tabular --synthetic {paths['synthetic']} --real "
                     f"{paths['train']} --holdout {paths['holdout']} --target progression --protected sex "
                     f"--infer-constraints --policy {paths['policy']} --out {out}", **common)
    with ctx.step("tabular: audit of the leaky copy (half the rows copied from train)"):
        bad = audit("tabular", synthetic=paths["leaky"], metrics=PRIVACY_AND_FIDELITY, out=out / "tabular_leaky",
                    **common)
    catch = _copy_catch(good, bad)
    entries = [
        DemoEntry("tabular", "Gaussian copula", "report.html", good,
                  f"{len(synthetic)} rows from the Gaussian copula fitted on {len(train)} real rows; fairness by sex "
                  "on the progression label", catch),
        DemoEntry("tabular", "Leaky copy (flawed on purpose)", "tabular_leaky/report.html", bad,
                  f"{len(leaky)} rows: {half} copied verbatim from the training rows, the rest from the copula",
                  catch),
    ]
    entries.append(_llm_rows(ctx, train, paths, common))
    return entries


def _copy_catch(good, bad) -> str:
    """The privacy catch: exact copies of training rows (tabular.dcr) and the membership attack's AUC."""
    def pct(rep) -> str:
        return f"{100 * rep.result('tabular.dcr').secondary.get('exact_copy_rate', 0.0):.0f} %"

    return (f"tabular.dcr exact copies of training rows: {pct(good)} here vs {pct(bad)} on the leaky copy; "
            f"tabular.auc_mia {good.value('tabular.auc_mia'):.2f} vs {bad.value('tabular.auc_mia'):.2f} "
            "(0.5: the attacker cannot tell training rows from unseen ones)")


def _llm_rows(ctx, train: pd.DataFrame, paths: dict, common: dict):
    """Rows from SmolLM2, decoded within the table's JSON schema (one row per call, calls batched)."""
    from synthaudit.audit.api import audit
    from synthaudit.demo import DemoEntry
    from synthaudit.generate.tabular_llm import GenerationError, LLMTabularGenerator

    title = "LLM rows (SmolLM2, schema-constrained)"
    with ctx.step(f"tabular: {LLM_ROWS} LLM rows from SmolLM2 with schema-constrained decoding"):
        # a row is about 100 tokens; one batched round asks for 1.5x the rows needed (rows outside the real
        # ranges are rejected), so a second round is rarely needed
        gen = LLMTabularGenerator(ctx.llm(), k=1, rows_per_call=1, max_tokens=140, max_calls=2 * LLM_ROWS,
                                  overshoot=1.5, temperature=0.8, seed=ctx.seed)
        try:
            rows = gen.fit(train).sample(LLM_ROWS)
        except GenerationError as exc:
            return DemoEntry("tabular", title, None, None, "SmolLM2 rows", error=exc.render())
        rows.to_csv(ctx.out / "data" / "synthetic_llm.csv", index=False)
    # the answers as written, and the JSON Schema they were decoded under: the JSON section audits them as documents
    from synthaudit.generate.tabular_llm import rows_json_schema

    ctx.shared["llm_json"] = {"answers": list(gen.answers), "schema": rows_json_schema(gen.schema, 1),
                              "what": "SmolLM2's answers for the diabetes table's rows"}
    s = gen.stats
    with ctx.step("tabular: audit of the LLM rows"):
        rep = audit("tabular", synthetic=ctx.out / "data" / "synthetic_llm.csv", out=ctx.out / "tabular_llm",
                    infer_constraints=True, metrics=["tabular.kst", "tabular.tvd", "tabular.violation_rate",
                                                     "tabular.dcr", "tabular.beta_recall"], **common)
    kst = rep.value("tabular.kst")
    return DemoEntry("tabular", title, "tabular_llm/report.html", rep,
                     f"{len(rows)} rows in {s.calls} calls ({s.rows_kept} of {s.rows_returned} parsed rows kept)",
                     f"tabular.kst = {kst:.3g}: a 135M model's rows follow the schema but not the real "
                     "distributions" if kst is not None else None)
