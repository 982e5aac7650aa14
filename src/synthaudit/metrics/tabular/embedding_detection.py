"""Detection on learned row embeddings (fidelity, survey section 4.2; an extension beyond the catalog).

Each row is rendered as text ("col: value, col: value, ...") and embedded with the offline sentence embedder
(``sentence_embedder``, all-MiniLM-L6-v2 by default, as the text metrics); a logistic regression then tells real
from synthetic embeddings (a classifier two-sample test, as tabular.det_score, whose convention the value follows:
DetScore = 1 - (max(AUC, 0.5) * 2 - 1), 1 = undetectable). mostlyai-qa's 'discriminator AUC' is the same idea on
its own embedder. Without the embedder the planner reports the metric as a gap (missing model).
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from synthaudit.metrics.registry import register
from synthaudit.metrics.result import MetricResult
from synthaudit.metrics.tabular.features import REAL, SYN, as_float, canonical_order, needs_columns
from synthaudit.stats.counts import MISSING


def _cell(value: Any, is_number: bool, decimals: int | None = None) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return MISSING
    if is_number and isinstance(value, (float, np.floating)):
        if decimals is not None:
            value = round(float(value), decimals)
        return str(int(value)) if float(value).is_integer() and abs(value) < 1e15 else f"{float(value):.6g}"
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return str(value)


def real_decimals(values: np.ndarray, cap: int = 6) -> int:
    """The most decimals a real value of the column has (at most ``cap``): synthetic numbers are written with as
    many, so that the detector sees values, not a generator's extra digits."""
    x = values[np.isfinite(values)]
    for d in range(cap + 1):
        if np.allclose(x, np.round(x, d), rtol=0, atol=10.0 ** -(d + 3)):
            return d
    return cap


def row_texts(frame: pd.DataFrame, columns: list[str], numbers: set[str],
              decimals: dict[str, int] | None = None) -> list[str]:
    """One "col: value, col: value" text per row (integral floats without '.0', other floats rounded to
    ``decimals[col]`` places when given, at most 6 significant digits; missing values as '(missing)')."""
    parts = []
    decimals = decimals or {}
    for c in columns:
        s = frame[c]
        if c in numbers and not pd.api.types.is_datetime64_any_dtype(s):
            vals = [_cell(v, True, decimals.get(c)) for v in as_float(s)]
        else:
            vals = [_cell(v, False) for v in s.tolist()]
        parts.append([f"{c}: {v}" for v in vals])
    return [", ".join(cells) for cells in zip(*parts)] if parts else [""] * len(frame)


def _embed(inputs, models, texts: list[str]) -> np.ndarray:
    """Embeddings of the texts, each distinct text once, memoised per audit across calls."""
    embedder = models.get("sentence_embedder")
    memo = inputs.features.get(f"tabular.row_embeddings[{getattr(embedder, 'name', '')}]", dict)
    todo = list(dict.fromkeys(t for t in texts if t not in memo))
    if todo:
        vecs = np.asarray(embedder.encode(todo), dtype=np.float64)
        memo.update(zip(todo, vecs))
    return np.vstack([memo[t] for t in texts]) if texts else np.zeros((0, 0))


@register(id="tabular.ext.det_embed", name="Detection score on row embeddings (C2ST, logistic regression)",
          modality="tabular", pillar="quality", dimension="fidelity", section="4.2", direction="higher_better",
          range=(0.0, 1.0), inputs=("synthetic", "real_reference"), models=("sentence_embedder", "downstream_learner"),
          computation="global", params={"max_rows": {"default": 1000}, "cv_folds": {"default": 3}},
          applies=needs_columns(total=1), extension=True,
          opt_in="a sentence embedding of every compared row: about a minute of CPU at 1000 rows per side")
def det_embed(inputs, models) -> MetricResult:
    """Classifier two-sample test on learned row embeddings (section 4.2; an extension beyond the catalog): each
    row (numerical, datetime, categorical and boolean columns; id columns left out) becomes the text
    "col: value, ..." embedded by the sentence embedder; a logistic regression (standardised features) tells real
    (1) from synthetic (0); AUC = mean ROC-AUC over seeded stratified ``cv_folds`` folds; value = 1 - (max(AUC,
    0.5) * 2 - 1) as tabular.det_score (1 = undetectable, 0 = perfectly separable). Each side is a seeded sample
    of at most ``max_rows`` rows (default 1,000: embedding is the cost, about 30 rows per CPU second for Adult's 15
    columns, ~100 tokens a row; distinct texts are embedded once). Secondary:
    AUC, its spread over folds, and the cosine similarity of the real and synthetic embedding centroids
    (mostlyai-qa's cosine_similarity_training_synthetic)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedKFold
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    from synthaudit.metrics.tabular import learners

    params = inputs.params_for(det_embed.spec.id, det_embed.spec.default_params())
    folds, max_rows = int(params["cv_folds"]), params["max_rows"]
    spec = inputs.table_spec
    compared = set(spec.numerical) | set(spec.categorical)
    columns = [c for c in spec.names() if c in compared]
    cap = int(max_rows) if max_rows else None
    texts, sizes = {}, {}
    numbers = [c for c in columns if c in set(spec.numerical)
               and not pd.api.types.is_datetime64_any_dtype(inputs.frame(REAL)[c])]
    decimals = {c: real_decimals(as_float(inputs.frame(REAL)[c])) for c in numbers}
    for role in (REAL, SYN):
        rows = canonical_order(inputs, role)[:cap]
        frame = inputs.frame(role)
        sizes[role] = (len(rows), len(frame))
        texts[role] = row_texts(frame.iloc[rows], columns, set(spec.numerical), decimals)
    n_real, n_syn = len(texts[REAL]), len(texts[SYN])
    if min(n_real, n_syn) < folds:
        raise ValueError(f"needs at least {folds} rows on each side for {folds}-fold cross-validation")
    emb = _embed(inputs, models, texts[REAL] + texts[SYN])
    x, y = emb, np.r_[np.ones(n_real), np.zeros(n_syn)]
    rows_out = []
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=inputs.seed)
    for i, (tr, te) in enumerate(splitter.split(np.zeros(len(y)), y)):
        model = Pipeline([("scale", StandardScaler()),
                          ("lr", LogisticRegression(max_iter=1000, random_state=inputs.seed))])
        with learners.fit_threads(len(tr)):
            model.fit(x[tr], y[tr])
            auc = float(roc_auc_score(y[te], model.predict_proba(x[te])[:, 1]))
        rows_out.append({"fold": i + 1, "classifier": "logistic_regression", "auc": auc, "n_train": int(len(tr)),
                         "n_test": int(len(te))})
    auc = float(np.mean([r["auc"] for r in rows_out]))
    c_real, c_syn = x[:n_real].mean(axis=0), x[n_real:].mean(axis=0)
    denom = float(np.linalg.norm(c_real) * np.linalg.norm(c_syn))
    secondary = {"auc": auc, "auc_std": float(np.std([r["auc"] for r in rows_out])),
                 "centroid_cosine": float(c_real @ c_syn / denom) if denom > 0 else None}
    embedder = models.get("sentence_embedder")
    notes: dict[str, Any] = {
        "value": "1 - (max(AUC, 0.5) * 2 - 1), tabular.det_score's convention (1 = undetectable)",
        "embedder": str(getattr(embedder, "name", "sentence_embedder")),
        "classifier": "logistic_regression on standardised embeddings", "cv_folds": folds, "seed": inputs.seed,
        "label": "real = 1, synthetic = 0", "n_real": n_real, "n_synthetic": n_syn,
        "row_text": "'col: value, col: value, ...' over the numerical, datetime, categorical and boolean columns "
                    "in table order (id columns left out); missing values as '(missing)'",
        "columns": len(columns),
        "sampling": (f"at most max_rows={cap} rows per side, a seeded sample (seed {inputs.seed}) in the content "
                     "order of tabular.det_score" if cap else "every row")}
    for label, role in (("real", REAL), ("synthetic", SYN)):
        used, total = sizes[role]
        if used < total:
            notes[f"{label}_sampled_rows"] = f"{used} of {total}"
    return MetricResult(value=1 - (max(auc, 0.5) * 2 - 1), breakdown=rows_out, secondary=secondary, notes=notes)
