"""Benchmark (issue #13): the full default tabular audit at 100,000 x 100,000 rows in CPU seconds, and each heavy
kernel against its bare baseline on the same shapes, in one run.

    python benchmarks/bench_kernels.py [--rows 100000] [--query-rows 2000] [--skip-audit]

Data: those of ``bench_vs_mostlyai.py`` at ``--rows`` (UCI Adult pooled; at 100,000 rows train and holdout are
100,000 rows each drawn with replacement from two disjoint halves of the pool, numbers jittered by 1 % of their
standard deviation; synthetic = synthaudit's GaussianCopula, seed 1, fitted on train), written to CSV.

1. The audit: ``python -m synthaudit audit tabular --synthetic S --real TRAIN --holdout H --target income --out DIR -q``
   (the full default metric set, holdout reference audit and HTML report included) in a child process; CPU =
   user + sys of the child (``os.wait4``), wall, peak RSS, and report.json's per-metric ``cpu_time_s`` and
   ``shared_time``.
2. The kernels, in this process after the audit (so that nothing else of ours runs beside them), each on ONE thread
   (numba and BLAS), CPU seconds (``time.process_time``) and their ratio to the baseline:

   * ``knn_dcr``: the exact mixed-type nearest-neighbour pass of tabular.dcr (stats.knn_index.knn, k = 2, L1, its
     category-signature index prebuilt as in the audit) for the first ``--query-rows`` synthetic rows of the DCR
     sample against all training rows; baseline: the squared-L2 GEMM identity |q|^2 + |r|^2 - 2 q.r on the dense
     one-hot encoded matrices ([scaled numbers, indicators, one-hot]) plus a row minimum, numpy float64 and
     float32, chunked, the same query rows. The whole 20,000-row pass of the audit is timed too.
   * ``domias_kde``: the density-ratio membership attack (stats.knn_index.kernel_log_density: log p_syn - log
     p_holdout, leave-one-out) for ``--query-rows`` of the 5,000 scored members against all synthetic and all
     holdout rows; baseline: GEMM squared distances on [numbers, one-hot / 2] (the same distance) plus a row-wise
     log-sum-exp, float64 and float32. The whole attack (5,000 members and 5,000 non-members) is timed too.
   * ``tstr_fits``: the TSTR and TRTR learner fits and holdout predictions (learners.holdout_predictions, the
     feature tabular.tstr_auc uses: encoding, HistGradientBoosting fit, predict_proba); baseline: the bare
     scikit-learn HistGradientBoostingClassifier fit + predict_proba on the same, already encoded, matrices.
   * ``det_score``: the detection metric (3 folds of a logistic detector on at most 50,000 rows per side and a
     gradient-boosting detector on 10,000); baseline: the bare scikit-learn pipelines fit on the same fold
     matrices, and the logistic fit's physical floor, its solver's iterations x two GEMV passes over the fold
     matrix (plus the Hessian X^T W X for Newton-Cholesky, the solver up to 400 design columns).

Writes benchmarks/results/kernels.json and benchmarks/results/kernels.md (``--out-name`` changes the stem).
"""
from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import scale_common as sc  # noqa: E402
from bench_vs_mostlyai import TARGET, real_tables, run_synthaudit, synthetic_table  # noqa: E402

CHUNK_CELLS = 25_000_000  # query x reference cells per GEMM chunk (200 MB in float64)


def cpu_wall(fn, *args, **kwargs):
    c0, w0 = time.process_time(), time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.process_time() - c0, time.perf_counter() - w0


# ---------------------------------------------------------------------------------------------- baselines
def gemm_row_min(q: np.ndarray, r: np.ndarray) -> np.ndarray:
    """min_j |q_i - r_j|^2 by |q|^2 + |r|^2 - 2 q.r (BLAS GEMM), chunked over query rows."""
    rr = np.einsum("ij,ij->i", r, r)
    out = np.empty(len(q), dtype=q.dtype)
    step = max(1, CHUNK_CELLS // len(r))
    for s in range(0, len(q), step):
        qs = q[s:s + step]
        d = qs @ r.T
        d *= -2
        d += rr[None, :]
        d += np.einsum("ij,ij->i", qs, qs)[:, None]
        out[s:s + step] = d.min(axis=1)
    return out


def gemm_logsumexp(q: np.ndarray, refs: list[np.ndarray], inv2h2: float) -> np.ndarray:
    """sum over refs of log mean_j exp(-|q_i - r_j|^2 / (2 h^2)) (signs as the attack's ratio), chunked."""
    out = np.zeros(len(q), dtype=np.float64)
    for sign, r in zip((1.0, -1.0), refs):
        rr = np.einsum("ij,ij->i", r, r)
        step = max(1, CHUNK_CELLS // len(r))
        for s in range(0, len(q), step):
            qs = q[s:s + step]
            a = qs @ r.T
            a *= 2 * inv2h2
            a -= (rr * inv2h2)[None, :]
            a -= (np.einsum("ij,ij->i", qs, qs) * inv2h2)[:, None]
            top = a.max(axis=1, keepdims=True)
            a -= top
            np.exp(a, out=a)
            out[s:s + step] += sign * (top[:, 0] + np.log(a.sum(axis=1)) - np.log(len(r)))
    return out


def dense(encoder, enc, cat_scale: float = 1.0) -> np.ndarray:
    x = encoder.onehot(enc).toarray()
    if cat_scale != 1.0:
        x[:, enc.num.shape[1]:] *= cat_scale
    return np.ascontiguousarray(x)


# ---------------------------------------------------------------------------------------------- kernels
def kernels(paths: dict[str, Path], query_rows: int) -> dict:
    import warnings

    warnings.filterwarnings("ignore")
    import numba
    import sklearn.ensemble  # noqa: F401 - load scikit-learn's OpenMP runtime before the thread limits below
    import sklearn.linear_model  # noqa: F401
    from threadpoolctl import threadpool_limits

    from synthaudit.audit import api
    from synthaudit.metrics.registry import get
    from synthaudit.metrics.tabular import learners, privacy
    from synthaudit.metrics.tabular.encoding import encoded_tables
    from synthaudit.metrics.tabular.features import canonical_order
    from synthaudit.stats import knn_index

    opts = api.options_for("tabular", synthetic=str(paths["syn"]), real=str(paths["train"]),
                           holdout=str(paths["hold"]), target=TARGET)
    inputs = api.prepare_inputs(opts, seed=0, params={})
    models = api.resolve_models(None)
    SYN, TRAIN, HOLD = privacy.SYN, privacy.TRAIN, privacy.HOLD
    encoder, t = privacy._encoding(inputs)
    out: dict = {"query_rows": query_rows}
    numba.set_num_threads(1)
    with threadpool_limits(limits=1):
        # warm-up: compile (or load) the kernels once, outside the timings
        idx = {r: privacy._signature_index(inputs, r) for r in (SYN, TRAIN, HOLD)}
        q0 = t[SYN].take(np.arange(10))
        knn_index.knn(q0.num, q0.cat, t[TRAIN].num, t[TRAIN].cat, k=2, p=1, index=idx[TRAIN])
        knn_index.kernel_log_density(q0.num, q0.cat, t[HOLD].num, t[HOLD].cat, bandwidth=0.1, index=idx[HOLD])

        # --- kNN of DCR: synthetic -> train, k = 2, L1 (tabular.dcr's first pass)
        cap = privacy.CODE_PARAMS["max_query_rows"]
        rows = canonical_order(inputs, SYN)[:cap]
        q_all, r = t[SYN].take(rows), t[TRAIN]
        _, c_full, w_full = cpu_wall(knn_index.knn, q_all.num, q_all.cat, r.num, r.cat, k=2, p=1, index=idx[TRAIN])
        q = q_all.take(np.arange(query_rows))
        _, c_ours, w_ours = cpu_wall(knn_index.knn, q.num, q.cat, r.num, r.cat, k=2, p=1, index=idx[TRAIN])
        _, c_index, _ = cpu_wall(knn_index.signature_index, r.cat)
        xq, xr = dense(encoder, q), dense(encoder, r)
        base = {}
        for dt in ("float64", "float32"):
            a, b = xq.astype(dt), xr.astype(dt)
            _, c_b, w_b = cpu_wall(gemm_row_min, a, b)
            base[dt] = {"cpu_s": c_b, "wall_s": w_b}
        pairs = query_rows * len(r)
        out["knn_dcr"] = {
            "shape": {"query_rows": query_rows, "reference_rows": len(r), "numbers": int(r.num.shape[1]),
                      "categories": int(r.cat.shape[1]), "one_hot_columns": int(xr.shape[1])},
            "ours": {"cpu_s": c_ours, "wall_s": w_ours, "pairs_per_cpu_s": pairs / c_ours},
            "ours_full_pass": {"query_rows": len(rows), "cpu_s": c_full, "wall_s": w_full},
            "index_build_cpu_s": c_index,
            "baseline": {dt: {**v, "pairs_per_cpu_s": pairs / v["cpu_s"]} for dt, v in base.items()},
            "ratio_ours_to_gemm": {dt: c_ours / v["cpu_s"] for dt, v in base.items()}}
        print(f"knn_dcr: ours {c_ours:.2f} s, GEMM f64 {base['float64']['cpu_s']:.2f} s, "
              f"f32 {base['float32']['cpu_s']:.2f} s ({query_rows} x {len(r)}); full pass {c_full:.2f} s", flush=True)

        # --- the membership attack: DOMIAS kernel densities (members: train rows; reference: synthetic, holdout)
        m = privacy._mia_sizes(inputs, privacy.MIA_ROWS)
        mem, non = canonical_order(inputs, TRAIN)[:m], canonical_order(inputs, HOLD)[:m]
        h = privacy.kde_bandwidth(inputs)
        syn, hold = t[SYN], t[HOLD]

        def attack(qe, own):
            ls = knn_index.kernel_log_density(qe.num, qe.cat, syn.num, syn.cat, bandwidth=h, index=idx[SYN])
            lr = knn_index.kernel_log_density(qe.num, qe.cat, hold.num, hold.cat, bandwidth=h, self_index=own,
                                              index=idx[HOLD])
            return ls - lr

        def whole():
            return attack(t[TRAIN].take(mem), None), attack(hold.take(non), non)

        _, c_att, w_att = cpu_wall(whole)
        qm = t[TRAIN].take(mem[:query_rows])
        _, c_ours, w_ours = cpu_wall(attack, qm, None)
        inv2h2 = 1.0 / (2.0 * h * h)
        xq = dense(encoder, qm, np.sqrt(0.5))  # [numbers, one-hot / sqrt 2]: a mismatch adds 1/2 to the squared L2
        refs = [dense(encoder, syn, np.sqrt(0.5)), dense(encoder, hold, np.sqrt(0.5))]
        base = {}
        for dt in ("float64", "float32"):
            _, c_b, w_b = cpu_wall(gemm_logsumexp, xq.astype(dt), [x.astype(dt) for x in refs], inv2h2)
            base[dt] = {"cpu_s": c_b, "wall_s": w_b}
        pairs = query_rows * (len(syn) + len(hold))
        out["domias_kde"] = {
            "shape": {"query_rows": query_rows, "reference_rows": [len(syn), len(hold)], "bandwidth": h},
            "ours": {"cpu_s": c_ours, "wall_s": w_ours, "pairs_per_cpu_s": pairs / c_ours},
            "ours_whole_attack": {"members": m, "non_members": m, "cpu_s": c_att, "wall_s": w_att},
            "baseline": {dt: {**v, "pairs_per_cpu_s": pairs / v["cpu_s"]} for dt, v in base.items()},
            "ratio_ours_to_gemm": {dt: c_ours / v["cpu_s"] for dt, v in base.items()}}
        print(f"domias_kde: ours {c_ours:.2f} s, GEMM+logsumexp f64 {base['float64']['cpu_s']:.2f} s, "
              f"f32 {base['float32']['cpu_s']:.2f} s; whole attack {c_att:.2f} s", flush=True)

        # --- TSTR / TRTR fits (the learner tabular.tstr_auc asks for, as resolved)
        learner = get("tabular.tstr_auc").spec.default_params()["learner"]
        used, _ = learners.resolve(learner)
        fits = {}
        for role in (SYN, TRAIN):
            _, c_f, w_f = cpu_wall(learners.holdout_predictions, inputs, role, task=learners.CLASSIFICATION,
                                   learner=learner)
            # the same matrices, bare
            frame = inputs.frame(role).iloc[canonical_order(inputs, role)]
            hold_f = inputs.frame(HOLD)
            y_tr, keep = learners.target_values(frame, TARGET, learners.CLASSIFICATION)
            _, keep_h = learners.target_values(hold_f, TARGET, learners.CLASSIFICATION)
            enc = learners.MixedEncoder(exclude=(TARGET,)).fit(inputs.table_spec, frame[keep], others=(hold_f[keep_h],))
            x_tr = learners.design(used, enc, enc.transform(frame[keep]))
            x_ho = learners.design(used, enc, enc.transform(hold_f[keep_h]))
            _, codes = np.unique(y_tr, return_inverse=True)

            def bare(x_tr=x_tr, codes=codes, x_ho=x_ho):
                model = learners.make(used, learners.CLASSIFICATION, inputs.seed)
                with threadpool_limits(limits=1):  # every runtime, also one loaded by make()
                    return model.fit(x_tr, codes).predict_proba(x_ho)

            _, c_b, w_b = cpu_wall(bare)
            fits["tstr" if role == SYN else "trtr"] = {"ours": {"cpu_s": c_f, "wall_s": w_f},
                                                      "baseline": {"cpu_s": c_b, "wall_s": w_b},
                                                      "ratio": c_f / c_b, "rows": int(len(x_tr)),
                                                      "holdout_rows": int(len(x_ho))}
        out["tstr_fits"] = {"learner": used, **fits}
        print("tstr_fits: " + ", ".join(f"{k} ours {v['ours']['cpu_s']:.2f} s / bare {v['baseline']['cpu_s']:.2f} s"
                                        for k, v in fits.items()), flush=True)

        # --- det_score: the whole metric vs the bare fits of its folds
        res, c_det, w_det = cpu_wall(get("tabular.det_score").run, inputs, models)
        from sklearn.linear_model import LogisticRegression
        from sklearn.model_selection import StratifiedKFold
        from sklearn.pipeline import Pipeline
        from sklearn.preprocessing import RobustScaler

        enc_d, td = encoded_tables(inputs, roles=("real_reference", "synthetic"), reference="real_reference")
        cap = get("tabular.det_score").spec.default_params()["max_rows"]
        real_e, syn_e = (td[ro].take(canonical_order(inputs, ro)[:cap]) for ro in ("real_reference", "synthetic"))
        x = np.vstack([enc_d.onehot(real_e).toarray(), enc_d.onehot(syn_e).toarray()])
        y = np.r_[np.ones(len(real_e)), np.zeros(len(syn_e))]
        lr_cpu, lr_iters, gemv = 0.0, [], 0.0
        from synthaudit.metrics.tabular.fidelity import logistic_solver

        solver = logistic_solver(x.shape[1])
        for tr, _ in StratifiedKFold(n_splits=3, shuffle=True, random_state=inputs.seed).split(np.zeros(len(y)), y):
            model = Pipeline([("scale", RobustScaler()),
                              ("lr", LogisticRegression(max_iter=1000, random_state=0, solver=solver))])
            _, c_b, _ = cpu_wall(model.fit, x[tr], y[tr])
            lr_cpu += c_b
            lr_iters.append(int(model[-1].n_iter_[0]))
            xs = model[0].transform(x[tr])
            wv, gv = np.zeros(xs.shape[1]), np.ones(xs.shape[0])

            def per_iteration(xs=xs, wv=wv, gv=gv, n=5):
                for _ in range(n):  # L-BFGS: the two GEMV passes; Newton-Cholesky: also the Hessian X^T W X
                    xs @ wv
                    xs.T @ gv
                    if solver == "newton-cholesky":
                        xs.T @ (xs * gv[:, None])

            _, c_g, _ = cpu_wall(per_iteration)
            gemv += c_g / 5 * lr_iters[-1]
        out["det_score"] = {
            "ours": {"cpu_s": c_det, "wall_s": w_det, "value": res.value, "decided_by": res.notes.get("decided_by")},
            "logistic_bare_fits": {"cpu_s": lr_cpu, "iterations": lr_iters, "fold_rows": int(len(y) * 2 // 3),
                                   "design_columns": int(x.shape[1]), "solver": solver},
            "logistic_floor_2gemv_per_iteration": {"cpu_s": gemv},
            "ratio_logistic_fits_to_floor": lr_cpu / gemv,
            "ratio_metric_to_bare_logistic_fits": c_det / lr_cpu}
        print(f"det_score: metric {c_det:.2f} s, bare logistic fits {lr_cpu:.2f} s ({lr_iters} iterations), "
              f"per-iteration floor {gemv:.2f} s", flush=True)
    return out


# ---------------------------------------------------------------------------------------------- report
def markdown(result: dict) -> str:
    lines = ["# Full tabular audit and kernels at 100,000 rows (issue #13)", "",
             f"`{result['meta']['command']}` — {result['meta']['machine']}; load average at the start "
             f"{result['meta']['load_avg_start'][0]:.2f}.", ""]
    a = result.get("audit")
    if a:
        lines += ["## The audit (child process: start-up, CSV reading, both audits, report files)", "",
                  "| rows (syn / train / holdout) | CPU s (user + sys) | wall s | peak RSS MB | metrics ok |",
                  "|---|---|---|---|---|",
                  f"| {a['rows'][0]:,} / {a['rows'][1]:,} / {a['rows'][2]:,} | **{a['cpu_s']:.1f}** "
                  f"({a['user_s']:.1f} + {a['sys_s']:.1f}) | {a['wall_s']:.1f} | {a['peak_rss_mb']:.0f} | "
                  f"{a['n_metrics_ok']} of {a['n_metrics']} |", "",
                  "Largest CPU costs (report.json: per-metric `cpu_time_s`, shared features and the reference audit "
                  "in `shared_time`):", "", "| where | CPU s | wall s |", "|---|---|---|"]
        items = [(k, v["cpu_time_s"] or 0.0, v["wall_time_s"] or 0.0) for k, v in a["per_metric"].items()]
        items += [(s["label"], s["cpu_s"], s["wall_s"]) for s in a["shared_time"]]
        for k, c, w in sorted(items, key=lambda x: -x[1])[:12]:
            lines.append(f"| {k} | {c:.2f} | {w:.2f} |")
        lines.append("")
    k = result.get("kernels")
    if k:
        q = k["query_rows"]
        kd, kk = k["knn_dcr"], k["domias_kde"]
        lines += ["## Kernels vs their bare baselines (one thread each, CPU s, same shapes, same run)", "",
                  "| kernel | shape | ours CPU s | baseline | baseline CPU s | ours / baseline |",
                  "|---|---|---|---|---|---|"]
        for dt in ("float64", "float32"):
            lines.append(f"| kNN of DCR (index, L1, k = 2) | {q:,} x {kd['shape']['reference_rows']:,} rows, "
                         f"{kd['shape']['one_hot_columns']} one-hot columns | {kd['ours']['cpu_s']:.2f} | "
                         f"GEMM {dt} + row min | {kd['baseline'][dt]['cpu_s']:.2f} | "
                         f"**{kd['ratio_ours_to_gemm'][dt]:.3f}x** |")
        for dt in ("float64", "float32"):
            lines.append(f"| DOMIAS densities (index, exact) | {q:,} x ({kk['shape']['reference_rows'][0]:,} + "
                         f"{kk['shape']['reference_rows'][1]:,}) rows | {kk['ours']['cpu_s']:.2f} | GEMM {dt} + "
                         f"log-sum-exp | {kk['baseline'][dt]['cpu_s']:.2f} | **{kk['ratio_ours_to_gemm'][dt]:.3f}x** |")
        for name, f in ((n, k["tstr_fits"][n]) for n in ("tstr", "trtr")):
            lines.append(f"| {name.upper()} fit + predict ({k['tstr_fits']['learner']}) | {f['rows']:,} rows, "
                         f"{f['holdout_rows']:,} predicted | {f['ours']['cpu_s']:.2f} | bare scikit-learn fit + "
                         f"predict_proba | {f['baseline']['cpu_s']:.2f} | **{f['ratio']:.2f}x** |")
        d = k["det_score"]
        lines.append(f"| det_score (3 logistic + 3 gradient-boosting folds) | {d['logistic_bare_fits']['fold_rows']:,} "
                     f"rows x {d['logistic_bare_fits']['design_columns']} columns per logistic fold | "
                     f"{d['ours']['cpu_s']:.2f} | bare logistic pipelines | {d['logistic_bare_fits']['cpu_s']:.2f} | "
                     f"**{d['ratio_metric_to_bare_logistic_fits']:.2f}x** |")
        lines.append(f"| logistic fits of det_score | {d['logistic_bare_fits'].get('solver', 'lbfgs')} iterations "
                     f"{d['logistic_bare_fits']['iterations']} | "
                     f"{d['logistic_bare_fits']['cpu_s']:.2f} | iterations x (2 GEMV passes, + X^T W X for Newton) | "
                     f"{d['logistic_floor_2gemv_per_iteration']['cpu_s']:.2f} | "
                     f"**{d['ratio_logistic_fits_to_floor']:.2f}x** |")
        lines += ["", f"Whole passes as the audit runs them: DCR's synthetic -> train pass "
                  f"({kd['ours_full_pass']['query_rows']:,} query rows) {kd['ours_full_pass']['cpu_s']:.2f} CPU s "
                  f"(index build {kd['index_build_cpu_s']:.2f} s); the DOMIAS attack "
                  f"({kk['ours_whole_attack']['members']:,} members + {kk['ours_whole_attack']['non_members']:,} "
                  f"non-members) {kk['ours_whole_attack']['cpu_s']:.2f} CPU s; bandwidth h = "
                  f"{kk['shape']['bandwidth']:.4g}.", ""]
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--query-rows", type=int, default=2_000, help="query rows of the kernel-vs-baseline timings")
    ap.add_argument("--skip-audit", action="store_true", help="time the kernels only")
    ap.add_argument("--keep", type=Path, default=None, help="write the tables and the report here")
    ap.add_argument("--synthaudit-src", default=None, help="run the audit from this source folder (PYTHONPATH)")
    ap.add_argument("--out-name", default="kernels")
    args = ap.parse_args()
    command = "python benchmarks/bench_kernels.py " + " ".join(sys.argv[1:])
    result: dict = {"meta": {"command": command.strip(), "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
                             f"Python {platform.python_version()}", "load_avg_start": os.getloadavg()}}
    work = Path(tempfile.mkdtemp(prefix="bench_kernels_")) if args.keep is None else args.keep
    work.mkdir(parents=True, exist_ok=True)
    train, hold, how = real_tables(args.rows)
    syn = synthetic_table("copula", train, args.rows)
    paths = {"syn": work / "synthetic.csv", "train": work / "train.csv", "hold": work / "holdout.csv"}
    syn.to_csv(paths["syn"], index=False)
    train.to_csv(paths["train"], index=False)
    hold.to_csv(paths["hold"], index=False)
    result["meta"]["data"] = how
    if not args.skip_audit:
        res = run_synthaudit(paths, work, args.synthaudit_src)
        d = res.pop("detail")
        res.pop("stdout"), res.pop("stderr")
        res.update(rows=[len(syn), len(train), len(hold)], n_metrics_ok=d["n_metrics_ok"], n_metrics=d["n_metrics"],
                   per_metric=d["metrics"], shared_time=d["shared_time"])
        result["audit"] = res
        print(f"audit: {res['cpu_s']:.1f} CPU s, {res['wall_s']:.1f} s wall, peak {res['peak_rss_mb']:.0f} MB",
              flush=True)
    result["kernels"] = kernels(paths, args.query_rows)
    result["meta"]["load_avg_end"] = os.getloadavg()
    j, m = sc.write_results(args.out_name, result, markdown(result))
    print(f"wrote {j} and {m}")


if __name__ == "__main__":
    main()
