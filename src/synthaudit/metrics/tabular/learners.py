"""Downstream learners shared by detection, TSTR, fairness and attribute-inference metrics (section 4.2-4.3).

Names: ``logistic_regression``, ``gradient_boosting`` (scikit-learn HistGradientBoosting, categories
native), ``random_forest``, ``xgboost`` (used when installed; otherwise HistGradientBoosting, the same
histogram gradient-boosting family, and the result's notes say so). Every learner is seeded.
"""
from __future__ import annotations

import importlib.util
from typing import Any

import numpy as np

from synthaudit.metrics.tabular.encoding import Encoded, MixedEncoder

LEARNERS = ("logistic_regression", "gradient_boosting", "random_forest", "xgboost")


def resolve(name: str) -> tuple[str, str | None]:
    """(the learner actually used, a note when it differs from the one asked for)."""
    if name not in LEARNERS:
        raise ValueError(f"unknown learner {name!r}; expected one of {', '.join(LEARNERS)}")
    if name == "xgboost" and importlib.util.find_spec("xgboost") is None:
        return "gradient_boosting", ("xgboost is not installed: used scikit-learn's HistGradientBoosting "
                                     "(the same histogram gradient-boosting family)")
    return name, None


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
    """The feature matrix a learner takes: sparse one-hot for linear models and forests, numbers plus
    category codes for gradient boosting (codes as ordinal features; trees split them well enough)."""
    name, _ = resolve(name)
    if name in ("logistic_regression", "random_forest"):
        return encoder.onehot(enc)
    return np.hstack([enc.num, enc.cat.astype(np.float64)]) if enc.cat.size else enc.num
