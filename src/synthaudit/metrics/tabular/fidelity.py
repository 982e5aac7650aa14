"""Tabular fidelity (survey section 4.2): marginal (KST, TVD) and pairwise (Pearson, contingency) errors.

All four follow the survey's error direction (0 = identical, lower is better). SDMetrics and TabSyn
report complements (KSComplement = 1 - KST, TVComplement = 1 - TVD, CorrelationSimilarity =
1 - |drho|/2, ContingencySimilarity = 1 - contingency TVD); the tests convert.
"""
from __future__ import annotations

from itertools import combinations
from typing import Any

import numpy as np
import pandas as pd

from synthaudit.data.tabular import ColumnType
from synthaudit.metrics.registry import MergeableMetric, register
from synthaudit.metrics.result import MetricResult, mean_or_none
from synthaudit.metrics.tabular.features import (MISSING, REAL, SYN, CategoryCountsMixin, as_float, discretize,
                                                  marginal_bars, marginal_hist, needs_columns, numeric_matrix,
                                                  pair_columns, pool_suppressed, REAL_RANGES,
                                                  real_bin_edges, with_statistics_notes)
from synthaudit.metrics.tabular.ks_sketch import KLL_K, KLL_K_NOTE, KS_SKETCH_ABOVE, KS_SKETCH_NOTE, ks_sketching
from synthaudit.stats.counts import CodedCounts, as_counters, category_codes, merge_counts, tvd
from synthaudit.stats.ks import ks_statistic
from synthaudit.stats.moments import PairwiseMoments

N_PLOTS = 4  # marginal plots for the worst columns


@register(id="tabular.kst", name="Kolmogorov-Smirnov statistic (KST)", modality="tabular", pillar="quality",
          dimension="fidelity", section="4.2", direction="lower_better", range=(0.0, 1.0),
          inputs=("synthetic", "real_reference"), models=("none",), computation="global",
          applies=needs_columns(numerical=1),
          params={"sketch_above": {"default": KS_SKETCH_ABOVE, "note": KS_SKETCH_NOTE},
                  "kll_k": {"default": KLL_K, "note": KLL_K_NOTE}})
def kst(inputs, models) -> MetricResult:
    """KST = sup_x |F_real(x) - F_syn(x)| per numerical/datetime column, averaged (section 4.2).

    Missing values are dropped on both sides and their shares reported; datetimes compare as timestamps.
    Exact by default; a column with more than ``sketch_above`` values on one side is compared through KLL
    sketches (``stats.sketches``), within the bound the breakdown and notes give.
    """
    real, syn = inputs.frame(REAL), inputs.frame(SYN)
    spec = inputs.table_spec
    params = inputs.params_for(kst.spec.id, kst.spec.default_params())
    sketch = ks_sketching(params["sketch_above"], params["kll_k"])
    rows, payload = [], {}
    for col in spec.numerical:
        r, s = as_float(real[col]), as_float(syn[col])
        rv, sv = r[~np.isnan(r)], s[~np.isnan(s)]
        row = {"column": col, "type": spec.type_of(col).value, "n_real": int(rv.size), "n_synthetic": int(sv.size),
               "missing_real": _share(r.size - rv.size, r.size), "missing_synthetic": _share(s.size - sv.size, s.size)}
        if rv.size == 0 or sv.size == 0:
            row.update(value=None, skipped="no non-missing values on one side")
        elif sketch.applies(rv.size, sv.size):
            row.update(sketch.compare(rv, sv))
            payload[col] = (rv, sv)
        else:
            row["value"] = ks_statistic(rv, sv)
            payload[col] = (rv, sv)
        rows.append(row)
    value = mean_or_none([r["value"] for r in rows if r.get("value") is not None])
    worst = sorted((r for r in rows if r.get("value") is not None), key=lambda r: -r["value"])[:N_PLOTS]
    plots = [marginal_hist(r["column"], *payload[r["column"]],
                           is_datetime=spec.type_of(r["column"]) == ColumnType.DATETIME) for r in worst]
    skipped = [r["column"] for r in rows if r.get("value") is None]
    notes = {"columns": len(rows), "aggregate": "mean over numerical and datetime columns",
             "missing_values": "dropped on both sides; shares in the breakdown"}
    if skipped:
        notes["skipped_columns"] = skipped
    notes.update(sketch.notes(rows))
    return MetricResult(value=value, breakdown=rows, notes=notes, plots=plots)


@register(id="tabular.tvd", name="Total Variation Distance (TVD)", modality="tabular", pillar="quality",
          dimension="fidelity", section="4.2", direction="lower_better", range=(0.0, 1.0),
          inputs=("synthetic", "real_reference"), models=("none",), computation="mergeable",
          applies=needs_columns(categorical=1))
class TVD(CategoryCountsMixin, MergeableMetric):
    """TVD = 0.5 * sum_w |R(w) - S(w)| per categorical/boolean column over the union of categories,
    averaged (section 4.2). Missing values are a category of their own."""

    def finalize(self, state: dict, inputs, models) -> MetricResult:
        rows = []
        for c in state["columns"]:
            r, s = state[REAL][c], pool_suppressed(state[REAL][c], state[SYN][c])
            unseen = [k for k in s if k not in r]
            rows.append({"column": c, "value": tvd(r, s), "categories_real": len(r), "categories_synthetic": len(s),
                         "unseen_in_real": len(unseen), "unseen_examples": [str(u) for u in unseen[:5]],
                         "missing_real": _share(r.get(MISSING, 0), sum(r.values())),
                         "missing_synthetic": _share(s.get(MISSING, 0), sum(s.values()))})
        worst = sorted(rows, key=lambda x: -x["value"])[:N_PLOTS]
        plots = [marginal_bars(w["column"], state[REAL][w["column"]], state[SYN][w["column"]]) for w in worst]
        return MetricResult(value=mean_or_none([r["value"] for r in rows]), breakdown=rows, plots=plots,
                            notes=with_statistics_notes(state, {
                                "columns": len(rows), "aggregate": "mean over categorical and boolean columns",
                                "missing_values": f"counted as the category {MISSING!r}",
                                "unseen_categories": "a category on one side only has frequency 0 on the other"}))


@register(id="tabular.pearson_score", name="Pearson Score (column-pair correlation error)", modality="tabular",
          pillar="quality", dimension="fidelity", section="4.2", direction="lower_better", range=(0.0, 1.0),
          inputs=("synthetic", "real_reference"), models=("none",), computation="mergeable",
          applies=needs_columns(numerical=2))
class PearsonScore(MergeableMetric):
    """PearsonScore = 0.5 * (1/K) * sum_pairs |rho_real - rho_syn| over numerical pairs (section 4.2).

    K = number of numerical pairs with a defined correlation on both sides; pairs with a constant
    column are skipped and listed. Correlations use pairwise-complete rows (as pandas and SDMetrics).
    """

    streams = (REAL, SYN)
    statistics_roles = (REAL,)  # audit from statistics: real correlations, counts and constant flags

    def state_from_statistics(self, inputs, models, statistics: dict) -> dict:
        stats = statistics[REAL]
        cols, moments, suppressed, withheld = stats.pearson(inputs.table_spec.numerical)
        return {"columns": cols, "sampled": stats.pearson_sampled, REAL: moments, SYN: PairwiseMoments.empty(len(cols)),
                "real_suppressed": suppressed, "real_n_withheld": withheld,
                "statistics": stats.notes(pearson_suppressed=len(suppressed))}

    def init(self, inputs, models) -> dict:
        (cols,), sampled = pair_columns(inputs, [list(inputs.table_spec.numerical)], lambda n: n * (n - 1) // 2)
        return {"columns": cols, "sampled": sampled, REAL: PairwiseMoments.empty(len(cols)),
                SYN: PairwiseMoments.empty(len(cols))}

    def update(self, state: dict, role: str, batch: pd.DataFrame) -> dict:
        state[role] = state[role] + PairwiseMoments.from_array(numeric_matrix(batch, state["columns"]))
        return state

    def merge(self, a: dict, b: dict) -> dict:
        fixed = self.fixed_roles(a)
        return {**a, **{role: a[role] + b[role] for role in (REAL, SYN) if role not in fixed}}

    def finalize(self, state: dict, inputs, models) -> MetricResult:
        cols = state["columns"]
        rr, rs = state[REAL].corr(), state[SYN].corr()
        const_r, const_s = state[REAL].constant(), state[SYN].constant()
        rows, skipped = [], []
        for i, j in combinations(range(len(cols)), 2):
            row = {"column_1": cols[i], "column_2": cols[j], "real": _f(rr[i, j]), "synthetic": _f(rs[i, j]),
                   "n_real": None if (i, j) in state.get("real_n_withheld", ()) else int(state[REAL].n[i, j]),
                   "n_synthetic": int(state[SYN].n[i, j])}
            reason = state.get("real_suppressed", {}).get((i, j)) or (
                "constant in real data" if const_r[i, j] else "constant in synthetic data" if const_s[i, j]
                else "fewer than 2 complete rows" if np.isnan(rr[i, j]) or np.isnan(rs[i, j]) else None)
            if reason:
                row.update(value=None, skipped=reason)
                skipped.append(f"{cols[i]} x {cols[j]}: {reason}")
            else:
                row["value"] = float(abs(rr[i, j] - rs[i, j]) / 2)
            rows.append(row)
        defined = [r["value"] for r in rows if r["value"] is not None]
        notes = {"pairs": len(rows), "K": len(defined),
                 "aggregate": "0.5 * mean |rho_real - rho_syn| over defined pairs",
                 "missing_values": "pairwise-complete rows"}
        if skipped:
            notes["skipped_pairs"] = skipped
        if state.get("sampled"):
            notes["sampled"] = state["sampled"]
        return MetricResult(value=mean_or_none(defined), breakdown=rows, notes=with_statistics_notes(state, notes))


@register(id="tabular.contingency_score", name="Contingency Score (ContSim; column-pair contingency discrepancy)",
          modality="tabular", pillar="quality", dimension="fidelity", section="4.2", direction="lower_better",
          range=(0.0, 1.0), inputs=("synthetic", "real_reference"), models=("none",), computation="mergeable",
          params={"num_bins": {"default": 10}, "binning": {"default": "equal_width_on_real"}},
          applies=needs_columns(categorical=1, total=2))
class ContingencyScore(MergeableMetric):
    """ContingencyScore = 0.5 * sum_ab |R_ab - S_ab| per pair with at least one categorical column, averaged
    (section 4.2). Numerical columns in mixed pairs are cut into ``num_bins`` equal-width bins over the real
    range (outer bins open, as SDMetrics' discretize_column); missing values are a category of their own."""

    streams = (REAL, SYN)
    statistics_roles = (REAL,)  # audit from statistics: real joint counts on the real-side bin edges
    prepasses = (REAL_RANGES.key,)  # the bin edges of mixed pairs

    def state_from_statistics(self, inputs, models, statistics: dict) -> dict:
        stats, spec = statistics[REAL], inputs.table_spec
        params = inputs.params_for(self.spec.id, self.spec.default_params())
        if params["binning"] != "equal_width_on_real":
            raise ValueError(f"binning {params['binning']!r} is not supported; use 'equal_width_on_real'")
        cats, nums = set(spec.categorical), set(spec.numerical)
        edges = {c: e for c, e in stats.bin_edges(int(params["num_bins"])).items() if c in nums}
        pairs = [(a, b) for a, b in stats.contingency_pairs() if a in cats and (b in cats or b in edges)]
        (c_cols, n_cols), _ = pair_columns(inputs, [list(spec.categorical), list(spec.numerical)],
                                           lambda c, n: c * (c - 1) // 2 + c * n)
        expected = len(c_cols) * (len(c_cols) - 1) // 2 + len(c_cols) * len(n_cols)
        return {"pairs": pairs, "edges": edges, "num_bins": int(params["num_bins"]),
                "sampled": stats.contingency_sampled, REAL: {p: stats.pair_counts(*p) for p in pairs},
                SYN: CodedCounts(pairs),
                "statistics": stats.notes(pairs=pairs, missing_pairs=max(expected - len(pairs), 0))}

    def init(self, inputs, models) -> dict:
        spec = inputs.table_spec
        params = inputs.params_for(self.spec.id, self.spec.default_params())
        if params["binning"] != "equal_width_on_real":
            raise ValueError(f"binning {params['binning']!r} is not supported; use 'equal_width_on_real'")
        (cats, nums), sampled = pair_columns(inputs, [list(spec.categorical), list(spec.numerical)],
                                             lambda c, n: c * (c - 1) // 2 + c * n)
        pairs = list(combinations(cats, 2)) + [(c, n) for c in cats for n in nums]
        edges = real_bin_edges(inputs, int(params["num_bins"])) if nums else {}
        return {"pairs": pairs, "edges": edges, "num_bins": int(params["num_bins"]), "sampled": sampled,
                REAL: CodedCounts(pairs), SYN: CodedCounts(pairs)}

    def update(self, state: dict, role: str, batch: pd.DataFrame) -> dict:
        edges, counts = state["edges"], state[role]  # each column binned and coded once per batch
        counts.update({c: category_codes(discretize(batch[c], edges[c]) if c in edges else batch[c])
                       for c in counts.columns})
        return state

    def merge(self, a: dict, b: dict) -> dict:
        fixed = self.fixed_roles(a)  # real counts from statistics (a plain Counter per pair)
        return merge_counts(a, b, "pairs", [role for role in (REAL, SYN) if role not in fixed])

    def finalize(self, state: dict, inputs, models) -> MetricResult:
        rows = []
        real, syn = as_counters(state[REAL]), as_counters(state[SYN])
        for a, b in state["pairs"]:
            r, s = real[(a, b)], pool_suppressed(real[(a, b)], syn[(a, b)])
            rows.append({"column_1": a, "column_2": b, "kind": "categorical x numerical" if b in state["edges"]
                         else "categorical x categorical", "value": tvd(r, s), "cells_real": len(r),
                         "cells_synthetic": len(s)})
        notes = {"pairs": len(rows), "num_bins": state["num_bins"],
                 "binning": "equal width over the real range; outer bins open",
                 "aggregate": "mean over pairs with at least one categorical column",
                 "missing_values": f"counted as the category {MISSING!r}"}
        if state.get("sampled"):
            notes["sampled"] = state["sampled"]
        return MetricResult(value=mean_or_none([r["value"] for r in rows]), breakdown=rows,
                            notes=with_statistics_notes(state, notes))


def _share(part: int, whole: int) -> float:
    return float(part / whole) if whole else 0.0


def _f(x: float) -> float | None:
    return None if x is None or np.isnan(x) else float(x)


DETECTORS = ("logistic_regression", "gradient_boosting", "random_forest", "xgboost")


@register(id="tabular.det_score", name="Detection score (DetScore, C2ST with logistic regression)",
          modality="tabular", pillar="quality", dimension="fidelity", section="4.2", direction="higher_better",
          range=(0.0, 1.0), inputs=("synthetic", "real_reference"), models=("downstream_learner",),
          computation="global", params={"classifier": {"default": "logistic_regression"}, "cv_folds": {"default": 3},
                                        "max_rows": {"default": 50_000},
                                        "second_classifier": {"default": "gradient_boosting"},
                                        "second_max_rows": {"default": 10_000}},
          applies=needs_columns(total=1))
def det_score(inputs, models) -> MetricResult:
    """Classifier two-sample test (section 4.2): a classifier learns to tell real (1) from synthetic (0) rows;
    AUC = mean ROC-AUC over seeded stratified k folds; DetScore = 1 - (max(AUC, 0.5) * 2 - 1).

    Default: two detectors, and the value is the WORSE (lower) DetScore. ``classifier`` (catalog default:
    logistic regression on [numbers, missing flags, one-hot categories], robust-scaled, as SDMetrics'
    LogisticDetection) only sees roughly linear differences: independently shuffled columns (every dependence
    destroyed, every marginal kept) pass it as undetectable. ``second_classifier`` (code parameter, default
    ``gradient_boosting``: scikit-learn's HistGradientBoosting, seeded) catches such damage; it runs on the same
    folds of at most ``second_max_rows`` rows per side (seeded prefix of the same sample) to stay cheap.
    ``second_classifier=none`` gives the catalog's logistic-only DetScore. Each side is subsampled (seeded) to
    ``max_rows`` rows when larger. ``auc`` and the breakdown are the deciding detector's; ``sdmetrics_score`` is
    always the logistic detector's (SDMetrics' LogisticDetection clips each fold's AUC).
    """
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedKFold

    from synthaudit.metrics.tabular import learners
    from synthaudit.metrics.tabular.encoding import encoded_tables

    params = inputs.params_for("tabular.det_score", det_score.spec.default_params())
    name, substituted = learners.resolve(str(params["classifier"]))
    folds, max_rows = int(params["cv_folds"]), params["max_rows"]
    from synthaudit.metrics.tabular.features import canonical_order

    encoder, tables = encoded_tables(inputs, roles=("real_reference", "synthetic"), reference="real_reference")
    notes: dict[str, Any] = {"classifier": name, "cv_folds": folds, "seed": inputs.seed}
    if substituted:
        notes["classifier_note"] = substituted
    # rows in the seeded content order (folds and samples do not depend on row order); a prefix is a sample
    real, syn = (tables[r].take(canonical_order(inputs, r)[:int(max_rows) if max_rows else None])
                 for r in ("real_reference", "synthetic"))
    for label, role, enc in (("real", "real_reference", real), ("synthetic", "synthetic", syn)):
        if len(enc) < len(tables[role]):
            notes[f"{label}_sampled_rows"] = len(enc)
    if min(len(real), len(syn)) < folds:
        raise ValueError(f"needs at least {folds} rows on each side for {folds}-fold cross-validation")
    second = str(params.get("second_classifier") or "none")
    runs = [(name, real, syn)]
    if second.lower() not in ("none", "") and learners.resolve(second)[0] != name:
        second, second_note = learners.resolve(second)
        if second_note:
            notes["second_classifier_note"] = second_note
        cap2 = params.get("second_max_rows")
        cap2 = int(cap2) if cap2 else None
        r2, s2 = (enc if cap2 is None or len(enc) <= cap2 else enc.take(np.arange(cap2)) for enc in (real, syn))
        if min(len(r2), len(s2)) >= folds:
            runs.append((second, r2, s2))
            for label, role, enc in (("real", "real_reference", r2), ("synthetic", "synthetic", s2)):
                if len(enc) < len(tables[role]):  # a '<side>_sampled_rows' note marks the result as sampled
                    notes[f"second_classifier_{label}_sampled_rows"] = len(enc)
    fits: dict[str, dict[str, Any]] = {}
    for clf, r_enc, s_enc in runs:
        x = _detection_design(clf, encoder, r_enc, s_enc)
        y = np.r_[np.ones(len(r_enc)), np.zeros(len(s_enc))]
        rows, coefs = [], []
        splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=inputs.seed)
        for i, (tr, te) in enumerate(splitter.split(np.zeros(len(y)), y)):
            model = _detector(clf, inputs.seed, x.shape[1])
            with learners.fit_threads(len(tr)):
                model.fit(x[tr], y[tr])
                auc = float(roc_auc_score(y[te], model.predict_proba(x[te])[:, 1]))
            rows.append({"fold": i + 1, "classifier": clf, "auc": auc, "n_train": int(len(tr)),
                         "n_test": int(len(te))})
            if clf == "logistic_regression":
                coefs.append(model[-1].coef_[0])
        auc = float(np.mean([r["auc"] for r in rows]))
        fits[clf] = {"rows": rows, "coefs": coefs, "auc": auc, "value": 1 - (max(auc, 0.5) * 2 - 1),
                     "n_real": len(r_enc), "n_synthetic": len(s_enc), "columns": int(x.shape[1])}
    # the worse (lower) DetScore decides; on a tie the first (catalog) classifier does
    decider = min(fits, key=lambda c: (fits[c]["value"], c != name))
    rows, auc, value = fits[decider]["rows"], fits[decider]["auc"], fits[decider]["value"]
    secondary = {"auc": auc, "auc_std": float(np.std([r["auc"] for r in rows]))}
    for clf, fit in fits.items():
        secondary[f"auc_{clf}"] = fit["auc"]
        secondary[f"det_score_{clf}"] = fit["value"]
    if "logistic_regression" in fits:
        secondary["sdmetrics_score"] = float(1 - np.mean([max(0.5, r["auc"]) * 2 - 1
                                                          for r in fits["logistic_regression"]["rows"]]))
    notes.update(n_real=len(real), n_synthetic=len(syn), label="real = 1, synthetic = 0",
                 sdmetrics_score="SDMetrics' LogisticDetection (logistic folds): it clips each fold's AUC before "
                                 "averaging; the survey clips the mean")
    notes["detectors"] = list(fits)
    if "logistic_regression" in fits:
        cols = fits["logistic_regression"]["columns"]
        notes["logistic_solver"] = (f"{logistic_solver(cols)} (L2-penalised log-loss, C = 1, on {cols} robust-scaled "
                                    f"columns; Newton-Cholesky up to {NEWTON_MAX_COLUMNS} columns, L-BFGS beyond)")
    notes["decided_by"] = decider
    notes["value"] = ("the worse (lower) DetScore of " + " and ".join(fits) + "; second_classifier=none gives "
                      f"the {name} DetScore alone" if len(fits) > 1 else f"DetScore of {name}")
    if len(fits) > 1:
        notes["fold_aucs"] = {clf: [r["auc"] for r in fit["rows"]] for clf, fit in fits.items()}
    coefs = fits.get("logistic_regression", {}).get("coefs")
    if coefs:
        feature_names = _design_names(encoder, "logistic_regression")
        weight = np.abs(np.mean(coefs, axis=0))
        top = np.argsort(-weight)[:8]
        notes["most_telling_features"] = [f"{feature_names[j]} ({weight[j]:.3g})" for j in top if weight[j] > 0]
    return MetricResult(value=value, breakdown=rows, secondary=secondary, notes=notes)


def _design_names(encoder, name: str) -> list[str]:
    names = list(encoder.num_cols) + [f"{c} (missing)" for c in encoder.indicator]
    if name == "logistic_regression":
        for c in encoder.cat_cols:
            inv = {code: label for label, code in encoder.vocab[c].items()}
            names += [f"{c}={inv.get(k, '?')}" for k in range(len(encoder.vocab[c]))]
    else:
        names += list(encoder.cat_cols)
    return names


def _detection_design(name: str, encoder, real, syn) -> np.ndarray:
    if name == "logistic_regression":  # dense one-hot: RobustScaler centres, as SDMetrics' pipeline
        return np.vstack([encoder.onehot(real).toarray(), encoder.onehot(syn).toarray()])
    from synthaudit.metrics.tabular import learners

    return np.vstack([learners.design(name, encoder, real), learners.design(name, encoder, syn)])


#: the logistic detector's solver: Newton-Cholesky up to this many design columns (its Hessian costs rows x
#: columns^2 per iteration), L-BFGS beyond. Both minimise the same L2-penalised log-loss; on robust-scaled one-hot
#: designs with jittered, ill-conditioned columns L-BFGS stopped at max_iter=1000 without converging (21.8 CPU s for
#: the 3 folds of the 100,000-row issue #13 audit, AUC 0.495541) where Newton-Cholesky converges in 2 iterations
#: (0.9 CPU s, AUC 0.495421; L-BFGS run to convergence, 1,500-1,800 iterations: 0.495433)
NEWTON_MAX_COLUMNS = 400


def logistic_solver(n_columns: int) -> str:
    return "newton-cholesky" if n_columns <= NEWTON_MAX_COLUMNS else "lbfgs"


def _detector(name: str, seed: int, n_columns: int = 0):
    from synthaudit.metrics.tabular import learners

    if name == "logistic_regression":
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import Pipeline
        from sklearn.preprocessing import RobustScaler

        return Pipeline([("scale", RobustScaler()), ("lr", LogisticRegression(
            max_iter=1000, random_state=seed, solver=logistic_solver(n_columns)))])
    return learners.make(name, "classification", seed)


@register(id="tabular.alpha_precision", name="alpha-Precision (P_alpha, empirical alpha-Prec)", modality="tabular",
          pillar="quality", dimension="fidelity", section="4.2", direction="higher_better", range=(0.0, 1.0),
          inputs=("synthetic", "real_reference"), models=("none",), computation="global",
          params={"alpha": {"default": "integrated"}, "embedding": {"default": "naive"},
                  "normalisation": {"default": "synthcity"}, "max_rows": {"default": 20_000}},
          applies=needs_columns(total=1))
def alpha_precision(inputs, models) -> MetricResult:
    """Share of synthetic rows inside the real alpha-support (Alaa et al. 2022; section 4.2).

    Default: integrated over alpha = linspace(0, 1, 30) with synthcity's normalisation (TabSyn's
    ``delta_precision_alpha_naive``); ``alpha=0.9`` gives P_alpha at one level. See support.py.
    """
    from synthaudit.metrics.tabular.support import support_curves

    params = inputs.params_for("tabular.alpha_precision", alpha_precision.spec.default_params())
    return _support_result(support_curves(inputs, params["max_rows"]), "precision", params)


def _support_result(curves, which: str, params: dict) -> MetricResult:
    if params["embedding"] != "naive":
        raise ValueError(f"embedding {params['embedding']!r} is not available: the one-class network embedding "
                         "needs a trained network (not implemented); use 'naive'")
    curve = curves.precision if which == "precision" else curves.coverage
    level = params["alpha" if which == "precision" else "beta"]
    integrated = {"synthcity": curves.delta(curve, "synthcity"), "alaa": curves.delta(curve, "alaa")}
    if params["normalisation"] not in integrated:
        raise ValueError("normalisation must be 'synthcity' or 'alaa'")
    if level == "integrated":
        value = integrated[params["normalisation"]]
    else:
        value = curves.at(curve, float(level))
    sym = "alpha" if which == "precision" else "beta"
    rows = [{sym: float(a), "expected": float(a), "observed": float(c)} for a, c in zip(curves.alphas, curve)]
    notes = {"level": level, "grid": f"linspace(0, 1, {len(curves.alphas)})", "embedding": "naive: min-max numbers, "
             "one-hot categories, Euclidean", "normalisation": params["normalisation"],
             "n_real": curves.n_real, "n_synthetic": curves.n_synthetic}
    if curves.sampled:
        notes["sampled"] = f"seeded subsample of at most {params['max_rows']} rows per side"
    plot = {"kind": "curve", "title": f"{sym}-{'precision' if which == 'precision' else 'coverage'} curve",
            "x": curves.alphas.tolist(), "y": curve.tolist(), "xlabel": sym,
            "ylabel": "share of synthetic rows in the real support" if which == "precision"
            else "share of real rows covered"}
    return MetricResult(value=value, breakdown=rows, plots=[plot], notes=notes,
                        secondary={"integrated_synthcity": integrated["synthcity"],
                                   "integrated_alaa": integrated["alaa"],
                                   f"at_{sym}_0.9": curves.at(curve, 0.9)})
