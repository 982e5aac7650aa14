"""Downstream learners shared by detection, TSTR, fairness and attribute-inference metrics (section 4.2-4.3).

Names: ``logistic_regression``, ``gradient_boosting`` (scikit-learn HistGradientBoosting, categories
native), ``random_forest``, ``xgboost`` (used when installed; otherwise HistGradientBoosting, the same
histogram gradient-boosting family, and the result's notes say so). Every learner is seeded.
``holdout_predictions`` trains one on a table (synthetic: TSTR; real train: TRTR) and predicts the
real holdout; TSTR utility and the fairness metrics share its (cached) fits.
"""
from __future__ import annotations

import importlib.util
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from synthaudit.metrics.tabular.encoding import Encoded, MixedEncoder
from synthaudit.metrics.tabular.features import as_float

if TYPE_CHECKING:
    import pandas as pd

    from synthaudit.data.inputs import AuditInputs

LEARNERS = ("logistic_regression", "gradient_boosting", "random_forest", "xgboost")


def resolve(name: str) -> tuple[str, str | None]:
    """(the learner actually used, a note when it differs from the one asked for)."""
    if name not in LEARNERS:
        raise ValueError(f"unknown learner {name!r}; expected one of {', '.join(LEARNERS)}")
    if name == "xgboost" and importlib.util.find_spec("xgboost") is None:
        return "gradient_boosting", ("xgboost is not installed: used scikit-learn's HistGradientBoosting "
                                     "(the same histogram gradient-boosting family)")
    return name, None


#: below this many training rows a learner runs on one thread: OpenMP start-up and spinning cost more than
#: they save on small tables, and far more on a busy machine (seen: 0.2 s -> 40 s on 2 shared cores; TSTR +
#: TRTR HistGradientBoosting on 30,000 rows: 4-6 CPU s on one thread, 37-95 CPU s on two while other work
#: shared the 2 cores, the OpenMP workers spinning). One thread costs the least CPU at every size measured
#: (benchmarks/bench_vs_mostlyai.py); only very large tables use the machine's threads.
SINGLE_THREAD_ROWS = 250_000


def fit_threads(n_rows: int):
    """Context manager limiting BLAS/OpenMP threads for fitting on ``n_rows`` rows (results unchanged)."""
    from contextlib import nullcontext

    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1) if n_rows < SINGLE_THREAD_ROWS else nullcontext()


def make(name: str, task: str, seed: int) -> Any:
    """An unfitted estimator; ``task`` is 'classification' or 'regression'."""
    name, _ = resolve(name)
    cls_task = task == "classification"
    if name == "logistic_regression":
        if cls_task:
            from sklearn.linear_model import LogisticRegression

            return LogisticRegression(max_iter=1000, random_state=seed)
        from sklearn.linear_model import Ridge

        return Ridge(alpha=1.0)
    if name == "random_forest":
        from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor

        cls = RandomForestClassifier if cls_task else RandomForestRegressor
        return cls(n_estimators=100, random_state=seed, n_jobs=-1)
    if name == "xgboost":
        import xgboost

        cls = xgboost.XGBClassifier if cls_task else xgboost.XGBRegressor
        return cls(n_estimators=200, max_depth=6, learning_rate=0.1, random_state=seed, n_jobs=2,
                   tree_method="hist")
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

    cls = HistGradientBoostingClassifier if cls_task else HistGradientBoostingRegressor
    return cls(random_state=seed)


def design(name: str, encoder: MixedEncoder, enc: Encoded) -> Any:
    """The feature matrix a learner takes: sparse one-hot for linear models, numbers plus category codes for
    tree ensembles (codes as ordinal features: trees split them well enough, and a dense matrix trains a
    forest many times faster than a sparse one-hot one)."""
    name, _ = resolve(name)
    if name == "logistic_regression":
        return encoder.onehot(enc)
    return np.hstack([enc.num, enc.cat.astype(np.float64)]) if enc.cat.size else enc.num


# --- learners trained on one table and applied to the real holdout (TSTR / TRTR, sections 4.2-4.3) ---

CLASSIFICATION, REGRESSION = "classification", "regression"


@dataclass
class HoldoutPredictions:
    """A learner trained on the table of ``trained_on`` and applied to the real holdout.

    Rows whose target is missing are dropped on both sides (counts in ``n_train_dropped`` /
    ``n_holdout_dropped``); ``holdout_rows`` marks the holdout rows kept, in order. For classification
    ``proba[:, j]`` is the predicted probability of ``classes[j]`` (the classes the model saw, sorted)
    and ``pred`` the most probable class; for regression ``pred`` holds the predicted numbers.
    """

    task: str
    learner: str
    learner_note: str | None
    trained_on: str
    n_train: int
    n_train_dropped: int
    n_holdout_dropped: int
    holdout_rows: np.ndarray
    y_true: np.ndarray
    classes: list[str]
    proba: np.ndarray | None
    pred: np.ndarray | None
    notes: list[str] = field(default_factory=list)

    @property
    def fitted(self) -> bool:
        return self.pred is not None


def target_values(frame: "pd.DataFrame", target: str, task: str) -> tuple[np.ndarray, np.ndarray]:
    """(target values of the rows that have one, boolean mask of those rows): labels as str, numbers as float."""
    if task == CLASSIFICATION:
        s = frame[target]
        keep = s.notna().to_numpy()
        return s[keep].astype(str).to_numpy(dtype=object), keep
    x = as_float(frame[target])
    keep = np.isfinite(x)
    return x[keep], keep


def holdout_predictions(inputs: "AuditInputs", trained_on: str, *, task: str, learner: str,
                        exclude: tuple[str, ...] = ()) -> HoldoutPredictions | None:
    """Fit ``learner`` (seeded with ``inputs.seed``) on ``trained_on`` ('synthetic' for TSTR, 'train' for
    TRTR) to predict ``inputs.target`` from every other column except ``exclude``; predict the real holdout.

    The design matrix is the :class:`MixedEncoder` encoding fitted on the training table (ranges,
    medians) with the holdout among ``others`` (so unseen holdout categories get codes and one-hot widths
    agree). A training table with one class gives a constant predictor (probability 1 for that class),
    with a note. None when ``trained_on`` is not an input of this audit. Cached per audit.
    """
    if trained_on not in inputs.tables:
        return None
    target = inputs.target
    key = f"tabular.holdout_predictions[{trained_on}|{target}|{task}|{learner}|{','.join(exclude)}|{inputs.seed}]"
    return inputs.features.get(key, lambda: _fit_predict(inputs, trained_on, target, task, learner, exclude))


def _fit_predict(inputs: "AuditInputs", trained_on: str, target: str, task: str, learner: str,
                 exclude: tuple[str, ...]) -> HoldoutPredictions:
    from synthaudit.metrics.tabular.features import canonical_order

    used, note = resolve(learner)
    hold = inputs.frame("real_holdout")
    train = inputs.frame(trained_on).iloc[canonical_order(inputs, trained_on)]  # fits do not depend on row order
    y_tr, keep_tr = target_values(train, target, task)
    y_ho, keep_ho = target_values(hold, target, task)
    train_k, hold_k = train[keep_tr], hold[keep_ho]
    out = HoldoutPredictions(task=task, learner=used, learner_note=note, trained_on=trained_on,
                             n_train=int(keep_tr.sum()), n_train_dropped=int((~keep_tr).sum()),
                             n_holdout_dropped=int((~keep_ho).sum()), holdout_rows=keep_ho, y_true=y_ho,
                             classes=[], proba=None, pred=None)
    if out.n_train == 0:
        out.notes.append(f"the {trained_on} table has no row with a target value: no model was trained")
        return out
    encoder = MixedEncoder(exclude=(target, *exclude)).fit(inputs.table_spec, train_k, others=(hold_k,))
    x_tr = design(used, encoder, encoder.transform(train_k))
    x_ho = design(used, encoder, encoder.transform(hold_k))
    if x_tr.shape[1] == 0:
        out.notes.append("no feature column besides the target: the model predicts the training prior")
        x_tr, x_ho = np.zeros((x_tr.shape[0], 1)), np.zeros((x_ho.shape[0], 1))
    if task == CLASSIFICATION:
        classes, codes = np.unique(y_tr, return_inverse=True)
        out.classes = [str(c) for c in classes]
        if len(classes) == 1:
            out.notes.append(f"the {trained_on} table has one class only ({classes[0]!r}): the model is a constant "
                             "predictor of that class")
            out.proba = np.ones((len(y_ho), 1))
        else:
            with fit_threads(len(codes)):
                model = make(used, CLASSIFICATION, inputs.seed).fit(x_tr, codes)
            out.proba = np.asarray(model.predict_proba(x_ho), dtype=float) if len(y_ho) else np.empty((0, len(classes)))
        out.pred = np.asarray(classes, dtype=object)[out.proba.argmax(axis=1)]
    else:
        with fit_threads(len(y_tr)):
            model = make(used, REGRESSION, inputs.seed).fit(x_tr, y_tr)
        out.pred = np.asarray(model.predict(x_ho), dtype=float) if len(y_ho) else np.empty(0)
    return out
