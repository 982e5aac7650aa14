"""The tabular section of ``synthaudit demo`` (survey section 4; the tutorial's hands-on tour).

Real data: scikit-learn's diabetes table (442 patients: age, sex, BMI, blood pressure, six serum measurements),
with the disease progression after one year as a label (``high`` above the median) and ``sex`` as the protected
attribute, split into train and holdout (seeded). Three synthetic variants, each audited:

* the Gaussian copula fitted on train (the main report, ``OUT/report.html``: every metric, with policy gates);
* a **leaky copy** (``OUT/tabular_leaky/``): half the rows copied verbatim from train, the flaw to catch;
* LLM rows (``OUT/tabular_llm/``) from the offline SmolLM2 with schema-constrained decoding, so every answer is
  a row of the table's schema;
* the deep generators (issue #20; tutorial sections 3.2 and 3.5): a TabDDPM-style diffusion model and a CTGAN-style
  GAN trained briefly on the same rows (``OUT/tabular_diffusion/``, ``OUT/tabular_gan/``), and the four families
  side by side on the fidelity / privacy Pareto front (``OUT/tabular_generators/index.html``).
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
#: the generator comparison's front: fidelity (pair correlations, lower is better) against privacy (the membership
#: attack's AUC, best at 0.5)
FRONT = ["tabular.pearson_score", "tabular.auc_mia"]
#: a brief training on the 309 diabetes rows (diffusion ~4 CPU s; the GAN ~15 CPU s, as it needs many more steps)
DEEP = {"diffusion": {"epochs": 200, "batch_size": 64}, "gan": {"epochs": 400, "batch_size": 60}}
#: what the deep generators' rows are audited on: the front's two metrics, marginals and copies of training rows
DEEP_METRICS = ["tabular.kst", "tabular.dcr", *FRONT]
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
    entries.extend(_deep_generators(ctx, train, common, good, entries[-1].report))
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
                                                     "tabular.dcr", "tabular.beta_recall", *FRONT], **common)
    kst = rep.value("tabular.kst")
    return DemoEntry("tabular", title, "tabular_llm/report.html", rep,
                     f"{len(rows)} rows in {s.calls} calls ({s.rows_kept} of {s.rows_returned} parsed rows kept)",
                     f"tabular.kst = {kst:.3g}: a 135M model's rows follow the schema but not the real "
                     "distributions" if kst is not None else None)


def _deep_generators(ctx, train: pd.DataFrame, common: dict, copula, llm) -> list:
    """The diffusion model and the GAN trained on the same rows, audited, and every family on one Pareto front."""
    from synthaudit.audit.api import audit
    from synthaudit.demo import DemoEntry
    from synthaudit.generate.adapter import make_generator

    titles = {"diffusion": "Diffusion model (TabDDPM-style)", "gan": "GAN (CTGAN-style)"}
    entries, reports = [], {"Gaussian copula": copula}
    for method, params in DEEP.items():
        with ctx.step(f"tabular: {method} trained on the {len(train)} train rows ({params['epochs']} epochs)"):
            gen = make_generator(method, seed=ctx.seed, target="progression", **params)
            gen.model.progress = False
            rows = gen.fit(train).sample(len(train), seed=ctx.seed)
            path = ctx.out / "data" / f"synthetic_{method}.csv"
            rows.to_csv(path, index=False)
            gen.model.write_log(ctx.out / f"tabular_{method}" / "training")
        with ctx.step(f"tabular: audit of the {method} rows"):
            rep = audit("tabular", synthetic=path, metrics=DEEP_METRICS, out=ctx.out / f"tabular_{method}", **common)
        reports[titles[method]] = rep
        entries.append(DemoEntry("tabular", titles[method], f"tabular_{method}/report.html", rep,
                                 f"{len(rows)} rows, {params['epochs']} epochs on the {len(train)} train rows; loss "
                                 f"curve in tabular_{method}/training/loss_curve.svg"))
    if llm is not None:
        reports["LLM rows (SmolLM2)"] = llm
    with ctx.step("tabular: the four generator families on the fidelity / privacy Pareto front"):
        entries.append(_front_page(ctx, reports))
    return entries


def _front_page(ctx, reports: dict):
    """``OUT/tabular_generators/index.html``: the Pareto front of the generators over :data:`FRONT`."""
    from html import escape

    from synthaudit.analysis.pareto import front_svg, pareto
    from synthaudit.demo import DemoEntry
    from synthaudit.report.html import report_css

    labels = list(reports)
    result = pareto(list(reports.values()), labels, FRONT)
    folder = ctx.out / "tabular_generators"
    folder.mkdir(parents=True, exist_ok=True)
    def row(run: dict) -> str:
        cells = "".join("<td class='num'>—</td>" if run["values"][m] is None else
                        f"<td class='num'>{run['values'][m]:.4f}</td>" for m in FRONT)
        status = run["status"] + (": " + ", ".join(run["dominated_by"]) if run["dominated_by"] else "")
        if run.get("reason"):
            status += f" ({run['reason']})"
        return f"<tr><td>{escape(run['label'])}</td>{cells}<td>{escape(status)}</td></tr>"

    rows = "".join(row(r) for r in result["runs"])
    heads = "".join(f"<th scope='col'>{escape(m['id'])} ({escape(m['better'])})</th>" for m in result["metrics"])
    html = ("<!doctype html><html lang='en'><head><meta charset='utf-8'><title>generator comparison</title>"
            f"<style>{report_css()}</style></head><body><main class='sa'><h1>Tabular generators on one front</h1>"
            "<p>The Gaussian copula, a CTGAN-style GAN and a TabDDPM-style diffusion model trained briefly on the "
            "same 309 diabetes rows, and SmolLM2's schema-constrained rows, audited against the same real train and "
            "holdout rows. Fidelity: the error of the pairwise correlations; privacy: the membership attack's AUC "
            "(0.5: it cannot tell training rows from unseen ones). A run is on the front when no other run is at "
            "least as good on both and better on one (survey section 8.3).</p>"
            f"{front_svg(result)}<table><thead><tr><th scope='col'>generator</th>{heads}"
            f"<th scope='col'>status</th></tr></thead><tbody>{rows}</tbody></table>"
            "<p>Reports: <a href='../report.html'>Gaussian copula</a> · <a href='../tabular_gan/report.html'>GAN</a> "
            "(<a href='../tabular_gan/training/loss_curve.svg'>loss curve</a>) · "
            "<a href='../tabular_diffusion/report.html'>diffusion</a> (<a href='../tabular_diffusion/training/"
            "loss_curve.svg'>loss curve</a>) · <a href='../tabular_llm/report.html'>LLM rows</a>. The same "
            "comparison from the command line: <code>synthaudit pareto REPORT.json ... --metrics "
            f"{','.join(FRONT)}</code>.</p></main></body></html>\n")
    (folder / "index.html").write_text(html, encoding="utf-8")
    front = ", ".join(result["front"])
    return DemoEntry("tabular", "Generator comparison: copula, GAN, diffusion, LLM", "tabular_generators/index.html",
                     None, f"{len(labels)} generators on {FRONT[0]} (fidelity) and {FRONT[1]} (privacy)",
                     "a brief training on 309 rows: which family buys fidelity with privacy",
                     summary=f"on the front: {front}")
