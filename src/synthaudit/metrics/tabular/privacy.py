"""Tabular privacy (survey section 4.3): DCR, real-to-synthetic proximity, membership and attribute inference,
DP budget.

Distance (catalog ``distance``): the one mixed-type encoding of :mod:`encoding` (ranges from the training
table) with the exact, chunked :func:`synthaudit.stats.neighbors.knn`:

* ``l1_minmax_onehot`` (default): sum_k |x_k - y_k| over min-max-scaled numbers (and missing indicators)
  plus 1 per categorical mismatch (TabSyn's L1 on one-hot columns counts a mismatch twice: divide theirs by 2
  on the categorical part);
* ``l2_minmax_onehot``: sqrt(sum_k (x_k - y_k)^2 + 1/2 per mismatch), the L2 distance on [numbers, one-hot / 2];
* ``gower``: the L1 distance divided by the number of compared columns (SDMetrics' and SynthEval's DCR
  distance when no value is missing and every value lies within the training range).

Sampling: the QUERY side (synthetic rows for tabular.dcr, holdout rows for the baselines, members and
non-members for the attacks) is capped at ``max_query_rows`` (code-only parameter, default 20,000; for the
membership attacks tabular.auc_mia and tabular.adv_mia 5,000 per side, which keeps the AUC's standard error
at or below 0.006; 0 or None = all rows); the reference side is never subsampled. Exact copies (DCR = 0) are
counted over ALL rows by hashing the encoded rows, whatever the cap. Rows are ranked by a seeded hash of their
content, so a sample (and every result) depends on the seed and the rows, never on their order.

Speed: nearest neighbours come from the exact category-signature index of :mod:`synthaudit.stats.knn_index`
(the same distances and indices as the brute-force kernel); each (query, reference) pass runs once per audit
and is shared by tabular.dcr, tabular.dcr_real_to_syn, the neg_dcr attack and tabular.ext.nndr. The DOMIAS
densities go through the same indexes (the brute-force kernel's sums, bit for bit: rows whose terms cannot change
a sum are not visited).
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from synthaudit.metrics.registry import register
from synthaudit.metrics.result import MetricResult
from synthaudit.metrics.tabular.encoding import Encoded, MixedEncoder, encoded_tables
from synthaudit.metrics.tabular.features import canonical_order, needs_columns
from synthaudit.stats.counts import MISSING
from synthaudit.stats.hashing import splitmix64 as _mix64
from synthaudit.stats.knn_index import kernel_log_density as indexed_kernel_log_density
from synthaudit.stats.knn_index import knn as indexed_knn
from synthaudit.stats.knn_index import MAX_INDEX_CELLS, MIN_CAT_COLUMNS, SignatureIndex, signature_index
from synthaudit.stats.neighbors import kernel_log_density, knn  # noqa: F401 (knn: part of this module's API)

SYN, TRAIN, HOLD = "synthetic", "train", "real_holdout"
DISTANCES = {"l1_minmax_onehot": 1, "l2_minmax_onehot": 2, "gower": 1}
ATTACKS = ("neg_dcr_to_synthetic", "domias_kde")
#: parameters that are not in the catalog (registered with every privacy metric: ``--param
#: tabular.dcr.max_query_rows=0`` runs on every row)
CODE_PARAMS: dict[str, Any] = {"max_query_rows": 20_000}
_CODE_SPEC = {k: {"default": v} for k, v in CODE_PARAMS.items()}
#: the membership attacks (tabular.auc_mia, tabular.adv_mia) score at most this many members and as many
#: non-members: the Hanley-McNeil standard error of an AUC near 0.5 is about sqrt(1 / (6 m)), 0.0058 at m =
#: 5,000 (0.0041 at 10,000), and the density-ratio attack costs m x (n_synthetic + n_holdout) kernel terms
#: per side (``--param tabular.auc_mia.max_query_rows=0`` scores every row)
MIA_ROWS = 5_000
MIA_CODE_PARAMS: dict[str, Any] = {"max_query_rows": MIA_ROWS}
_MIA_SPEC = {k: {"default": v} for k, v in MIA_CODE_PARAMS.items()}
BANDWIDTH_ROWS = 2_000  # holdout rows whose leave-one-out NN distance sets the KDE bandwidth
HIST_BINS = 30
SCORE_DECIMALS = 10  # attack scores are rounded so that equal rows get equal scores (ties count 1/2)


# ---------------------------------------------------------------------------------------------- shared pieces
def _params(inputs, spec, code: dict[str, Any] = CODE_PARAMS) -> dict[str, Any]:
    return inputs.params_for(spec.id, {**spec.default_params(), **code})


def _summary_quantiles(params: dict[str, Any]) -> list[float]:
    """The ``summary_quantiles`` parameter as a list of floats in [0, 1] (one number is a list of one)."""
    qs = params["summary_quantiles"]
    qs = [float(q) for q in (qs if isinstance(qs, (list, tuple)) else [qs])]
    if not all(0 <= q <= 1 for q in qs):
        raise ValueError(f"summary_quantiles must lie in [0, 1], got {qs}")
    return qs


def _cap(params: dict[str, Any]) -> int | None:
    cap = params.get("max_query_rows")
    return int(cap) if cap else None


def _encoding(inputs) -> tuple[MixedEncoder, dict[str, Encoded]]:
    return encoded_tables(inputs, roles=(SYN, TRAIN, HOLD), reference=TRAIN)


def _distance(name: str, encoder: MixedEncoder) -> tuple[int, float]:
    """(p, divisor) of a catalog distance name."""
    if name not in DISTANCES:
        raise ValueError(f"unknown distance {name!r}; expected one of {', '.join(DISTANCES)}")
    n_cols = len(encoder.num_cols) + len(encoder.cat_cols)
    return DISTANCES[name], float(n_cols) if name == "gower" else 1.0


def query_rows(inputs, role: str, cap: int | None) -> np.ndarray:
    """The query sample of a role: the first ``cap`` rows of :func:`features.canonical_order` (all rows when
    cap is None)."""
    order = canonical_order(inputs, role)
    return order[:cap] if cap is not None and len(order) > cap else order


def _n_query(inputs, role: str, cap: int | None) -> int:
    n = len(inputs.frame(role))
    return min(n, cap) if cap is not None else n


def _signature_index(inputs, role: str) -> SignatureIndex | None:
    """The category-signature index of a role's encoded rows (:func:`knn_index.signature_index`), once per audit;
    None where the index would not be used (too few or too many category cells: the brute-force kernel runs)."""
    def compute():
        _, tables = _encoding(inputs)
        cat = np.ascontiguousarray(tables[role].cat, dtype=np.int64)
        kc = cat.shape[1] if cat.ndim == 2 else 0
        if kc < MIN_CAT_COLUMNS or (kc + 1) * len(cat) > MAX_INDEX_CELLS:
            return None
        return signature_index(cat)

    return inputs.features.get(f"tabular.privacy.signature_index[{role}]", compute)


def _knn2_store(inputs, query: str, p: int) -> dict:
    """tabular.ext.nndr's two-nearest-training-rows feature (``tabular.privacy.knn2``: n, rows, dist (n, 2))."""
    return inputs.features.get(f"tabular.privacy.knn2[{query}->{TRAIN}|p={p}|{inputs.seed}]", dict)


def _dcr(inputs, query: str, ref: str, p: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    """(the first n rows of ``canonical_order(query)``, the distance of each to its closest ``ref`` row).

    Cached per audit and shared by every privacy metric: a shorter sample is a prefix of a longer one. Exact
    (:mod:`synthaudit.stats.knn_index`). Against the training table the pass keeps the two nearest rows and
    fills tabular.ext.nndr's ``tabular.privacy.knn2`` feature with them (and reads it when NNDR came first):
    one pass serves DCR and NNDR."""
    store = inputs.features.get(f"tabular.privacy.dcr[{query}->{ref}|p={p}|{inputs.seed}]", dict)
    if store.get("n", -1) < n:
        _, tables = _encoding(inputs)
        q_all, r = tables[query], tables[ref]
        two = _knn2_store(inputs, query, p) if ref == TRAIN and len(r) >= 2 else None
        if two is not None and two.get("n", -1) >= n:
            store.update(n=two["n"], rows=two["rows"], dist=np.ascontiguousarray(two["dist"][:, 0]))
        else:
            rows = canonical_order(inputs, query)[:n]
            q = q_all.take(rows)
            dist, _ = indexed_knn(q.num, q.cat, r.num, r.cat, k=2 if two is not None else 1, p=p,
                                  index=_signature_index(inputs, ref))
            store.update(n=n, rows=rows, dist=np.ascontiguousarray(dist[:, 0]))
            if two is not None:
                two.update(n=n, rows=rows, dist=dist)
    return store["rows"][:n], store["dist"][:n]


def _row_matrix(enc: Encoded) -> np.ndarray:
    """(n, k) int64: the bits of each encoded row (numbers and missing indicators, -0.0 read as 0.0, then
    category codes): equal rows = equal in every compared column = distance 0."""
    num = np.ascontiguousarray(enc.num, dtype=np.float64) + 0.0  # -0.0 -> 0.0
    cat = np.asarray(enc.cat, dtype=np.int64).reshape(len(num), -1)
    return np.hstack([num.view(np.int64).reshape(len(num), -1), cat])


def _row_hashes(rows: np.ndarray) -> np.ndarray:
    h = np.zeros(len(rows), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for c in range(rows.shape[1]):
            h = _mix64(h ^ _mix64(rows[:, c].view(np.uint64) + np.uint64(c)))
    return h


def exact_copies(inputs, query: str, ref: str) -> np.ndarray:
    """Boolean mask over ALL ``query`` rows: an exact copy of some ``ref`` row (equal in every compared column,
    missing matches missing; i.e. DCR = 0), by hashing the encoded rows (64-bit row hashes, every hash match
    confirmed column by column), never sampled. Rows with a non-finite number match nothing, as in the distance
    kernels. Cached per audit."""
    def compute() -> np.ndarray:
        _, tables = _encoding(inputs)
        q, r = tables[query], tables[ref]
        out = np.zeros(len(q), dtype=bool)
        if not len(q) or not len(r):
            return out
        qm, rm = _row_matrix(q), _row_matrix(r)
        finite_q = np.isfinite(q.num).all(axis=1) if q.num.size else np.ones(len(q), dtype=bool)
        finite_r = np.isfinite(r.num).all(axis=1) if r.num.size else np.ones(len(r), dtype=bool)
        rm = rm[finite_r]
        if not len(rm):
            return out
        hq, hr = _row_hashes(qm), _row_hashes(rm)
        order = np.argsort(hr, kind="stable")
        hs = hr[order]
        pos = np.minimum(np.searchsorted(hs, hq), len(hs) - 1)
        cand = np.flatnonzero((hs[pos] == hq) & finite_q)
        same = (rm[order[pos[cand]]] == qm[cand]).all(axis=1)
        out[cand[same]] = True
        for i in cand[~same]:  # a hash shared by different rows (about n^2 / 2^64): check its whole run
            j = pos[i]
            while j < len(hs) and hs[j] == hq[i] and not out[i]:
                out[i] = bool((rm[order[j]] == qm[i]).all())
                j += 1
        return out

    return inputs.features.get(f"tabular.privacy.exact_copies[{query}->{ref}]", compute)


def _calibrated_share(d_train: np.ndarray, d_hold: np.ndarray, n_tr: int, n_ho: int) -> np.ndarray:
    """Per-row closer-to-train scores recalibrated to equal reference sizes (their mean is the DCR value).

    With all n_tr train and n_ho holdout rows as references, a synthetic row drawn from the real distribution
    independently of both has its nearest neighbour in train with probability pi = n_tr / (n_tr + n_ho), not
    1/2. Ties score 1/2; the share s of untied rows strictly closer to train is mapped piecewise linearly,
    s -> s / (2 pi) below pi and 1/2 + (s - pi) / (2 (1 - pi)) above it (every untied row gets that score), so
    that pi reads 0.5, 1 (every untied row nearer to train, e.g. a verbatim copy) reads 1 and 0 reads 0. For a
    mixture of a share c of training copies and independent draws this is 1/2 + c/2, the 50/50 split's value,
    whatever the split. Equal sizes: pi = 1/2, the plain share."""
    closer = _closer(d_train, d_hold)
    if n_tr == n_ho:
        return closer
    pi = n_tr / (n_tr + n_ho)
    tie = d_train == d_hold
    untied = closer[~tie]
    s = float(untied.mean()) if untied.size else pi
    mapped = s / (2 * pi) if s <= pi else 0.5 + (s - pi) / (2 * (1 - pi))
    # spread the mapped untied mean over the untied rows (every untied row gets the same score: the value is a
    # property of the share, not of single rows); ties keep 1/2
    return np.where(tie, 0.5, mapped)


def _closer(d_train: np.ndarray, d_hold: np.ndarray) -> np.ndarray:
    return np.where(d_train < d_hold, 1.0, np.where(d_train == d_hold, 0.5, 0.0))


def _quantiles(d: np.ndarray, qs: list[float]) -> dict[str, float]:
    return {_qname(q): float(np.quantile(d, q)) for q in qs}


def _qname(q: float) -> str:
    return "p" + f"{100 * q:g}".replace(".", "_")


def _dist_row(label: str, d: np.ndarray, qs: list[float], n_total: int) -> dict[str, Any]:
    return {"distribution": label, "n": int(d.size), "n_total": int(n_total), **_quantiles(d, qs),
            "mean": float(d.mean()), "min": float(d.min()), "max": float(d.max()),
            "exact_copy_share": float(np.mean(d == 0))}


def _hist(title: str, real: np.ndarray, synthetic: np.ndarray, labels: dict[str, str], xlabel: str) -> dict:
    """Shares of two distance distributions on common bins from 0 to the 99th percentile of both
    (larger distances are counted in the last bin)."""
    both = np.concatenate([real, synthetic])
    top = float(np.quantile(both, 0.99)) if both.size else 1.0
    top = top if top > 0 else (float(both.max()) if both.size and both.max() > 0 else 1.0)
    edges = np.linspace(0.0, top, HIST_BINS + 1)

    def shares(x: np.ndarray) -> list[float]:
        h, _ = np.histogram(np.clip(x, 0.0, top), bins=edges)
        return (h / max(h.sum(), 1)).tolist()

    return {"kind": "hist", "title": title, "edges": edges.tolist(), "real": shares(real),
            "synthetic": shares(synthetic), "labels": labels, "xlabel": xlabel}


def _sampling_note(inputs, role: str, n_used: int, cap: int | None) -> str:
    n = len(inputs.frame(role))
    if n_used < n:
        return f"{n_used} of {n} {role} rows (seeded sample, max_query_rows={cap})"
    return f"all {n} {role} rows"


def _distance_note(name: str, p: int, div: float) -> str:
    base = ("L1: |scaled number differences| + 1 per category mismatch" if p == 1
            else "L2: sqrt(squared scaled number differences + 1/2 per category mismatch)")
    if name == "gower":
        base += f", divided by the {int(div)} compared columns (Gower)"
    return (f"{name} ({base}); numbers min-max scaled with the training ranges; a missing number is imputed "
            "with the training median and flagged (missing vs present adds 1)")


# ---------------------------------------------------------------------------------------------- DCR
@register(id="tabular.dcr",
          name="Distance to Closest Record, synthetic to train (DCR_train->gen) with holdout baseline",
          modality="tabular", pillar="trust", dimension="privacy", section="4.3", direction="report_only",
          range=(0.0, math.inf), inputs=("synthetic", "train", "real_holdout"), models=("none",),
          computation="global",
          params={"distance": {"default": "l1_minmax_onehot"}, "summary_quantiles": {"default": [0.05, 0.5]},
                  **_CODE_SPEC},
          applies=needs_columns(total=1))
def dcr(inputs, models) -> MetricResult:
    """DCR(s) = min_{x in train} d(s, x) per synthetic row vs the holdout baseline min_{x in train} d(h, x)
    (section 4.3). Value: TabSyn's share of synthetic rows closer to train than to holdout (ties count 1/2;
    0.5 = no sign of copying, 1 = every row is nearer to the training data). Secondary: exact-copy rates,
    quantiles of both distributions, tie share, median ratio. Record scores: per-synthetic-row DCR (NaN when
    the row was not sampled).
    """
    params = _params(inputs, dcr.spec)
    encoder, _ = _encoding(inputs)
    p, div = _distance(params["distance"], encoder)
    qs = _summary_quantiles(params)
    cap = _cap(params)
    n_q, n_h = _n_query(inputs, SYN, cap), _n_query(inputs, HOLD, cap)
    rows, d_train = _dcr(inputs, SYN, TRAIN, p, n_q)
    _, d_hold = _dcr(inputs, SYN, HOLD, p, n_q)
    hrows, base = _dcr(inputs, HOLD, TRAIN, p, n_h)
    d_train, d_hold, base = d_train / div, d_hold / div, base / div
    closer_unbalanced = _closer(d_train, d_hold)
    n_tr, n_ho = len(inputs.frame(TRAIN)), len(inputs.frame(HOLD))
    m = min(n_tr, n_ho)
    # every row is compared with ALL train and holdout rows (a verbatim copy is always nearer to train); with
    # unequal sizes the share is recalibrated so that 0.5 still means 'no sign of copying' (_calibrated_share)
    closer = _calibrated_share(d_train, d_hold, n_tr, n_ho)
    n_syn = len(inputs.frame(SYN))
    scores = np.full(n_syn, np.nan)
    scores[rows] = d_train
    med_syn, med_base = float(np.median(d_train)), float(np.median(base))
    copies, copies_hold = exact_copies(inputs, SYN, TRAIN), exact_copies(inputs, HOLD, TRAIN)
    secondary: dict[str, float | None] = {
        "exact_copy_rate": float(copies.mean()) if copies.size else 0.0,
        "exact_copy_rate_holdout": float(copies_hold.mean()) if copies_hold.size else 0.0,
        "share_ties": float(np.mean(d_train == d_hold)),
        "share_unbalanced": float(closer_unbalanced.mean()),
        **{f"synthetic_{k}": v for k, v in _quantiles(d_train, qs).items()},
        **{f"holdout_{k}": v for k, v in _quantiles(base, qs).items()},
        "median_ratio": med_syn / med_base if med_base > 0 else None,
    }
    breakdown = [_dist_row("synthetic -> train", d_train, qs, n_syn),
                 _dist_row("holdout -> train (baseline)", base, qs, len(inputs.frame(HOLD))),
                 _dist_row("synthetic -> holdout", d_hold, qs, n_syn)]
    # exact-copy shares count every row (hashing), not only the sampled ones
    for row, mask in zip(breakdown, (copies, copies_hold, exact_copies(inputs, SYN, HOLD))):
        row["exact_copy_share"] = float(mask.mean()) if mask.size else 0.0
    notes = {"value": "share of synthetic rows closer to train than to holdout (ties count 1/2; target 0.5)",
             "balance": (f"train and holdout have {n_tr} and {n_ho} rows: each synthetic row is compared with all "
                         f"rows of both and the share is recalibrated to equal sizes (as with {m} rows of each): an "
                         f"independent draw is nearer to train with probability pi = {n_tr / (n_tr + n_ho):.4g}, "
                         "so the untied share s reads s / (2 pi) below pi and 1/2 + (s - pi) / (2 (1 - pi)) above "
                         "it (ties 1/2): 0.5 = no sign of copying, 1 = every untied row nearer to train (a verbatim "
                         "copy), whatever the split; share_unbalanced is the raw share (SDMetrics' and TabSyn's "
                         "convention)")
             if n_tr != n_ho else "train and holdout have equal sizes",
             "distance": _distance_note(params["distance"], p, div),
             "synthetic_rows": _sampling_note(inputs, SYN, len(rows), cap),
             "holdout_rows": _sampling_note(inputs, HOLD, len(hrows), cap),
             "reference_rows": f"all {len(inputs.frame(TRAIN))} train rows, all {len(inputs.frame(HOLD))} holdout rows",
             "exact_copy": (f"DCR = 0: equal in every compared column (missing matches missing); counted over all "
                            f"{n_syn} synthetic and all {len(inputs.frame(HOLD))} holdout rows by hashing the "
                            "encoded rows, whatever the sample"),
             "reading": "a synthetic distribution shifted below the holdout baseline signals copying"}
    plot = _hist("Distance to closest training record", base, d_train,
                 {"real": "holdout → train", "synthetic": "synthetic → train"}, "distance to closest training record")
    return MetricResult(value=float(closer.mean()), breakdown=breakdown, record_scores=scores,
                        secondary=secondary, notes=notes, plots=[plot])


@register(id="tabular.dcr_real_to_syn", name="Real-to-synthetic proximity (DCR_real->syn)", modality="tabular",
          pillar="trust", dimension="privacy", section="4.3", direction="report_only", range=(0.0, math.inf),
          inputs=("synthetic", "real_holdout", "train"), models=("none",), computation="global",
          params={"distance": {"default": "l1_minmax_onehot"}, **_CODE_SPEC}, applies=needs_columns(total=1))
def dcr_real_to_syn(inputs, models) -> MetricResult:
    """DCR(x) = min_{s in synthetic} d(x, s) per holdout row vs the baseline min_{x' in train} d(x, x')
    (section 4.3, a coverage diagnostic). Value: median(holdout -> synthetic) / median(holdout -> train):
    about 1 = the synthetic rows cover the held-out real rows as closely as the training rows do; much
    larger = poor coverage or mode collapse. Secondary: share of holdout rows closer to synthetic than to
    train (ties 1/2), medians and 5th percentiles of both.
    """
    params = _params(inputs, dcr_real_to_syn.spec)
    encoder, _ = _encoding(inputs)
    p, div = _distance(params["distance"], encoder)
    cap = _cap(params)
    n_h = _n_query(inputs, HOLD, cap)
    hrows, d_syn = _dcr(inputs, HOLD, SYN, p, n_h)
    _, base = _dcr(inputs, HOLD, TRAIN, p, n_h)
    d_syn, base = d_syn / div, base / div
    qs = [0.05, 0.5]
    med_syn, med_base = float(np.median(d_syn)), float(np.median(base))
    closer = np.where(d_syn < base, 1.0, np.where(d_syn == base, 0.5, 0.0))
    n_syn, n_train = len(inputs.frame(SYN)), len(inputs.frame(TRAIN))
    secondary = {"share_closer_to_synthetic": float(closer.mean()), "median_real_to_syn": med_syn,
                 "median_baseline": med_base, "p5_real_to_syn": float(np.quantile(d_syn, 0.05)),
                 "p5_baseline": float(np.quantile(base, 0.05))}
    notes = {"value": "median DCR holdout -> synthetic / median DCR holdout -> train (1 = coverage like the "
                      "training data; much larger = mode collapse)",
             "distance": _distance_note(params["distance"], p, div),
             "holdout_rows": _sampling_note(inputs, HOLD, len(hrows), cap),
             "reference_rows": f"all {n_syn} synthetic rows, all {n_train} train rows",
             "sample_sizes": ("synthetic and train sizes match" if n_syn == n_train else
                              f"synthetic ({n_syn}) and train ({n_train}) sizes differ: more rows give smaller "
                              "distances, so match n_syn to n_train to compare with the baseline")}
    if med_base == 0:
        notes["undefined"] = "the median baseline distance is 0 (most holdout rows have an exact copy in train)"
    breakdown = [_dist_row("holdout -> synthetic", d_syn, qs, len(inputs.frame(HOLD))),
                 _dist_row("holdout -> train (baseline)", base, qs, len(inputs.frame(HOLD)))]
    plot = _hist("Distance from held-out real records", base, d_syn,
                 {"real": "holdout → train", "synthetic": "holdout → synthetic"}, "distance to closest record")
    return MetricResult(value=med_syn / med_base if med_base > 0 else None, breakdown=breakdown,
                        secondary=secondary, notes=notes, plots=[plot])


# ---------------------------------------------------------------------------------------------- membership inference
def _mia_sizes(inputs, cap: int | None) -> int:
    m = min(len(inputs.frame(TRAIN)), len(inputs.frame(HOLD)))
    return min(m, cap) if cap is not None else m


def kde_bandwidth(inputs) -> float:
    """Median leave-one-out nearest-neighbour L2 distance among (up to 2,000 seeded) holdout rows; the median
    of the positive ones when that is 0; sqrt(1/2) (one category mismatch) when all are 0."""
    def compute() -> float:
        _, tables = _encoding(inputs)
        hold = tables[HOLD]
        rows = query_rows(inputs, HOLD, BANDWIDTH_ROWS)
        q = hold.take(rows)
        dist, idx = indexed_knn(q.num, q.cat, hold.num, hold.cat, k=2, p=2, index=_signature_index(inputs, HOLD))
        loo = np.where(idx[:, 0] == rows, dist[:, 1], dist[:, 0])
        h = float(np.median(loo))
        if h <= 0:
            pos = loo[loo > 0]
            h = float(np.median(pos)) if pos.size else math.sqrt(0.5)
        return h

    return inputs.features.get(f"tabular.privacy.kde_bandwidth[{inputs.seed}]", compute)


def attack_scores(inputs, attack: str, cap: int | None) -> dict[str, Any]:
    """Scores g (higher = more likely a member) of m train rows (members) and m holdout rows (non-members),
    m = min(n_train, n_holdout, cap); cached per audit.

    * ``neg_dcr_to_synthetic``: g(x) = -DCR(x, synthetic) with tabular.dcr's distance;
    * ``domias_kde`` (DOMIAS, van Breugel et al. 2023): g(x) = log p_syn(x) - log p_ref(x), two Gaussian
      kernel densities of the L2 distance with one bandwidth (:func:`kde_bandwidth`), p_syn over all synthetic
      rows, p_ref over all holdout rows (leave-one-out for the holdout rows attacked).
    """
    def compute() -> dict[str, Any]:
        m = _mia_sizes(inputs, cap)
        mem_rows, non_rows = canonical_order(inputs, TRAIN)[:m], canonical_order(inputs, HOLD)[:m]
        out: dict[str, Any] = {"m": m, "members": mem_rows, "nonmembers": non_rows}
        if attack == "neg_dcr_to_synthetic":
            encoder, _ = _encoding(inputs)
            name = inputs.params_for("tabular.dcr", {"distance": "l1_minmax_onehot"})["distance"]
            p, div = _distance(name, encoder)
            out["g_mem"] = -_dcr(inputs, TRAIN, SYN, p, m)[1] / div
            out["g_non"] = -_dcr(inputs, HOLD, SYN, p, m)[1] / div
            out["detail"] = f"g(x) = -DCR(x, synthetic), distance {_distance_note(name, p, div)}"
        elif attack == "domias_kde":
            _, t = _encoding(inputs)
            syn, hold = t[SYN], t[HOLD]
            if len(hold) < 2:
                out["undefined"] = "needs at least 2 holdout rows (leave-one-out reference density)"
                return out
            h = kde_bandwidth(inputs)

            def logratio(q: Encoded, own: np.ndarray | None) -> np.ndarray:
                # the category-signature indexes skip only rows whose terms cannot change the sums: the values
                # of neighbors.kernel_log_density, bit for bit
                ls = indexed_kernel_log_density(q.num, q.cat, syn.num, syn.cat, bandwidth=h,
                                                index=_signature_index(inputs, SYN))
                lr = indexed_kernel_log_density(q.num, q.cat, hold.num, hold.cat, bandwidth=h, self_index=own,
                                                index=_signature_index(inputs, HOLD))
                return np.round(ls - lr, SCORE_DECIMALS)

            out["g_mem"] = logratio(t[TRAIN].take(mem_rows), None)
            out["g_non"] = logratio(hold.take(non_rows), non_rows)
            out["bandwidth"] = h
            out["detail"] = (f"g(x) = log p_syn(x) - log p_ref(x); Gaussian kernels exp(-d^2 / (2 h^2)) of the L2 "
                             f"mixed distance, h = {h:.6g} (median leave-one-out NN distance among holdout rows); "
                             "p_ref over the holdout rows, leaving the attacked row out")
        else:
            raise ValueError(f"attack {attack!r} is not implemented; choose one of {', '.join(ATTACKS)}")
        return out

    return inputs.features.get(f"tabular.privacy.attack[{attack}|cap={cap}|{inputs.seed}]", compute)


def _auc(g_mem: np.ndarray, g_non: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score

    y = np.r_[np.ones(len(g_mem)), np.zeros(len(g_non))]
    return float(roc_auc_score(y, np.r_[g_mem, g_non]))


def _auc_se(a: float, n1: int, n0: int) -> float:
    """The Hanley-McNeil (1982) standard error of an AUC a from n1 positives and n0 negatives."""
    q1, q2 = a / (2 - a), 2 * a * a / (1 + a)
    return math.sqrt(max(a * (1 - a) + (n1 - 1) * (q1 - a * a) + (n0 - 1) * (q2 - a * a), 0.0) / (n1 * n0))


def _auc_ci(a: float, n1: int, n0: int) -> tuple[float, float]:
    """95% normal interval with the Hanley-McNeil (1982) standard error."""
    se = _auc_se(a, n1, n0)
    return max(0.0, a - 1.96 * se), min(1.0, a + 1.96 * se)


def _max_advantage(g_mem: np.ndarray, g_non: np.ndarray) -> tuple[float, float]:
    """(max_tau TPR - FPR for 'member if g >= tau', the first tau reaching it)."""
    from sklearn.metrics import roc_curve

    y = np.r_[np.ones(len(g_mem)), np.zeros(len(g_non))]
    fpr, tpr, thr = roc_curve(y, np.r_[g_mem, g_non], drop_intermediate=False)
    j = tpr - fpr
    best = int(np.argmax(j))
    return float(j[best]), float(thr[best])


def advantage(g_mem: np.ndarray, g_non: np.ndarray) -> dict[str, Any]:
    """Held-out and optimistic membership advantage (section 4.3). Members and non-members (in their seeded
    order) alternate between a calibration half (even positions) and an evaluation half (odd positions); tau
    maximises TPR - FPR on the calibration half; the value is TPR - FPR of 'member if g >= tau' on the
    evaluation half. ``optimistic``: max_tau (TPR - FPR) on all rows."""
    optimistic, _ = _max_advantage(g_mem, g_non)
    out: dict[str, Any] = {"optimistic": optimistic, "heldout": None, "tau": None, "tpr": None, "fpr": None}
    if min(len(g_mem), len(g_non)) < 2:
        out["undefined"] = "needs at least 2 members and 2 non-members for a calibration split"
        return out
    _, tau = _max_advantage(g_mem[0::2], g_non[0::2])
    tpr, fpr = float(np.mean(g_mem[1::2] >= tau)), float(np.mean(g_non[1::2] >= tau))
    out.update(heldout=tpr - fpr, tau=tau if np.isfinite(tau) else None, tpr=tpr, fpr=fpr,
               n_calibration=[len(g_mem[0::2]), len(g_non[0::2])], n_evaluation=[len(g_mem[1::2]), len(g_non[1::2])])
    return out


def _mia_attack_param(inputs) -> str:
    attack = inputs.params_for("tabular.auc_mia", {"attack": "neg_dcr_to_synthetic"})["attack"]
    if attack not in ATTACKS:
        raise ValueError(f"attack {attack!r} is not implemented; choose one of {', '.join(ATTACKS)} "
                         "(--param tabular.auc_mia.attack=...)")
    return attack


def _mia_common_notes(inputs, att: dict[str, Any], cap: int | None, headline: str) -> dict[str, Any]:
    n_train, n_hold = len(inputs.frame(TRAIN)), len(inputs.frame(HOLD))
    m = att["m"]
    se = _auc_se(0.5, m, m) if m else None
    return {"headline_attack": headline,
            "members": f"{m} train rows (of {n_train}); non-members: {m} holdout rows (of {n_hold}); "
                       f"equal sizes, seeded samples (max_query_rows={cap})",
            "sampling": ((f"at most {cap} members and {cap} non-members" if cap is not None else
                          "every member and non-member") + f" (max_query_rows; 0 = every row): with {m} of each the "
                         f"AUC's standard error is {se:.4f} at AUC 0.5 (Hanley-McNeil; smaller further from 0.5), "
                         f"the held-out advantage's at most about {math.sqrt(1 / m):.4f}"
                         if m else "no members or non-members"),
            "reference_rows": f"all {len(inputs.frame(SYN))} synthetic rows (and all {n_hold} holdout rows for "
                              "the reference density)",
            "ties": "count 1/2 (sklearn.metrics.roc_auc_score)"}


@register(id="tabular.auc_mia", name="Membership-inference AUC (AUC_MIA)", modality="tabular", pillar="trust",
          dimension="privacy", section="4.3", direction="target", target_value=0.5, range=(0.0, 1.0),
          inputs=("synthetic", "train", "real_holdout"), models=("downstream_learner",), computation="global",
          params={"attack": {"default": "neg_dcr_to_synthetic"}, **_MIA_SPEC}, applies=needs_columns(total=1))
def auc_mia(inputs, models) -> MetricResult:
    """AUC_MIA = Pr[g(member) > g(non-member)] + 1/2 Pr[=] (section 4.3), members = train rows, non-members =
    holdout rows. Both attacks (``neg_dcr_to_synthetic``, ``domias_kde``) are in the breakdown; the value is
    the one named by ``attack``. CI: Hanley-McNeil 95% interval."""
    params = _params(inputs, auc_mia.spec, MIA_CODE_PARAMS)
    headline, cap = _mia_attack_param(inputs), _cap(params)
    rows, secondary, plots, details = [], {}, [], {}
    value = ci = None
    for attack in ATTACKS:
        att = attack_scores(inputs, attack, cap)
        if "undefined" in att:
            rows.append({"attack": attack, "auc": None, "skipped": att["undefined"]})
            secondary[attack] = None
            continue
        a = _auc(att["g_mem"], att["g_non"])
        lo, hi = _auc_ci(a, len(att["g_mem"]), len(att["g_non"]))
        rows.append({"attack": attack, "auc": a, "ci_low": lo, "ci_high": hi,
                     "se": _auc_se(a, len(att["g_mem"]), len(att["g_non"])), "n_members": len(att["g_mem"]),
                     "n_nonmembers": len(att["g_non"]),
                     "advantage_optimistic": _max_advantage(att["g_mem"], att["g_non"])[0]})
        secondary[attack] = a
        details[attack] = att["detail"]
        if attack == headline:
            value, ci = a, (lo, hi)
            secondary["se"] = rows[-1]["se"]
            plots.append(_roc_plot(att["g_mem"], att["g_non"], attack))
    notes = {**_mia_common_notes(inputs, attack_scores(inputs, headline, cap), cap, headline), "attacks": details,
             "reading": "0.5 = the attack cannot tell members from non-members; well above 0.5 = leakage",
             "ci": "95% normal interval, Hanley-McNeil standard error"}
    return MetricResult(value=value, ci=ci, breakdown=rows, secondary=secondary, notes=notes, plots=plots)


def _roc_plot(g_mem: np.ndarray, g_non: np.ndarray, attack: str) -> dict:
    from sklearn.metrics import roc_curve

    y = np.r_[np.ones(len(g_mem)), np.zeros(len(g_non))]
    fpr, tpr, _ = roc_curve(y, np.r_[g_mem, g_non])
    keep = np.unique(np.r_[0, np.linspace(0, len(fpr) - 1, min(len(fpr), 101)).astype(int), len(fpr) - 1])
    return {"kind": "curve", "title": f"Membership attack ROC ({attack})", "x": fpr[keep].tolist(),
            "y": tpr[keep].tolist(), "xlabel": "false positive rate (non-members)",
            "ylabel": "true positive rate (members)"}


@register(id="tabular.adv_mia", name="Membership advantage (Adv_MIA)", modality="tabular", pillar="trust",
          dimension="privacy", section="4.3", direction="target", target_value=0.0, range=(0.0, 1.0),
          inputs=("synthetic", "train", "real_holdout"), models=("downstream_learner",), computation="global",
          params=_MIA_SPEC, applies=needs_columns(total=1))
def adv_mia(inputs, models) -> MetricResult:
    """Adv_MIA = TPR(tau) - FPR(tau) (section 4.3) with tau chosen on a seeded calibration half and evaluated
    on the other half (unbiased; may be slightly negative by chance); the survey's max over tau on all rows is
    the secondary ``optimistic``. Attack: tabular.auc_mia's ``attack`` parameter; both in the breakdown."""
    params = _params(inputs, adv_mia.spec, MIA_CODE_PARAMS)
    headline, cap = _mia_attack_param(inputs), _cap(params)
    rows, secondary = [], {}
    value, extra = None, {}
    for attack in ATTACKS:
        att = attack_scores(inputs, attack, cap)
        if "undefined" in att:
            rows.append({"attack": attack, "advantage_heldout": None, "skipped": att["undefined"]})
            secondary[attack] = None
            continue
        adv = advantage(att["g_mem"], att["g_non"])
        se = None
        if adv["heldout"] is not None:  # binomial standard error of TPR - FPR on the evaluation halves
            (n1, n0), tpr, fpr = adv["n_evaluation"], adv["tpr"], adv["fpr"]
            se = math.sqrt(tpr * (1 - tpr) / max(n1, 1) + fpr * (1 - fpr) / max(n0, 1))
        rows.append({"attack": attack, "advantage_heldout": adv["heldout"], "advantage_optimistic": adv["optimistic"],
                     "tau": adv["tau"], "tpr_heldout": adv["tpr"], "fpr_heldout": adv["fpr"], "se_heldout": se,
                     "n_members": len(att["g_mem"]), "n_nonmembers": len(att["g_non"])})
        secondary[attack] = adv["heldout"]
        secondary[f"{attack}_optimistic"] = adv["optimistic"]
        if attack == headline:
            value = adv["heldout"]
            secondary["optimistic"] = adv["optimistic"]
            secondary["se_heldout"] = se
            extra = {k: adv[k] for k in ("tau", "n_calibration", "n_evaluation", "undefined") if k in adv}
    notes = {**_mia_common_notes(inputs, attack_scores(inputs, headline, cap), cap, headline),
             "value": "held-out advantage: tau maximises TPR - FPR on a seeded calibration half (rule: member if "
                      "g >= tau) and is scored on the other half",
             "optimistic": "max over tau of TPR - FPR on all rows (the survey's formula; optimistic, catalog notes)",
             **extra}
    return MetricResult(value=value, breakdown=rows, secondary=secondary, notes=notes)


# ---------------------------------------------------------------------------------------------- attribute inference
def _sensitive(inputs) -> str | None:
    return inputs.sensitive or inputs.protected


def _aia_applies(inputs) -> str | None:
    col = _sensitive(inputs)
    spec = inputs.table_spec
    if col is None or spec is None:
        return None
    if col not in spec.columns:
        return f"the sensitive column {col!r} is not compared (ignored or identifier-like)"
    if col in spec.numerical:
        return (f"the sensitive column {col!r} is numerical: Gain_AIA (attacker accuracy minus the majority rate) "
                "is defined for categorical attributes; the survey gives no regression analogue")
    if col not in spec.categorical:
        return f"the sensitive column {col!r} is of type {spec.type_of(col).value}, not categorical"
    if len(spec.numerical) + len(spec.categorical) < 2:
        return "needs at least one other compared column to predict the sensitive attribute from"
    return None


@register(id="tabular.gain_aia", name="Attribute-inference gain over majority (Gain_AIA)", modality="tabular",
          pillar="trust", dimension="privacy", section="4.3", direction="lower_better", range=(-1.0, 1.0),
          inputs=("synthetic", "train", "real_holdout", "protected_attribute"), models=("downstream_learner",),
          computation="global", params={"attacker": {"default": "random_forest"}, **_CODE_SPEC}, applies=_aia_applies)
def gain_aia(inputs, models) -> MetricResult:
    """Gain_AIA = Pr[a^ = A] - max_a Pr[A = a] on training members (the value) and on holdout rows (secondary)
    (section 4.3): an attacker trained on the synthetic table predicts the sensitive column (``--sensitive``,
    else ``--protected``) from every other compared column. A gain on members only is leakage; equal gains
    are population-level inference. Rows with a missing sensitive value are left out."""
    from synthaudit.metrics.tabular import learners

    params = _params(inputs, gain_aia.spec)
    col, cap = _sensitive(inputs), _cap(params)
    name, fallback = learners.resolve(params["attacker"])
    encoder, tables = encoded_tables(inputs, roles=(SYN, TRAIN, HOLD), reference=TRAIN, exclude=(col,))
    label_enc = MixedEncoder(columns=[col]).fit(inputs.table_spec, inputs.frame(TRAIN),
                                                (inputs.frame(SYN), inputs.frame(HOLD)))
    # the encoder codes categories in label order, so nothing here depends on which row came first
    missing_code = label_enc.vocab[col][MISSING]
    labels = {r: label_enc.transform(inputs.frame(r)).cat[:, 0] for r in (SYN, TRAIN, HOLD)}
    names = {int(code): str(v) for v, code in label_enc.vocab[col].items()}

    def features(role: str, rows: np.ndarray) -> Any:
        """The attacker's design matrix."""
        return learners.design(name, encoder, tables[role].take(rows))

    train_rows = canonical_order(inputs, SYN)  # a canonical order: the fitted attacker does not depend on row order
    train_rows = train_rows[labels[SYN][train_rows] != missing_code]
    n_syn_rows = len(train_rows)
    if cap is not None and n_syn_rows > cap:  # a seeded sample (canonical_order is a seeded shuffle)
        train_rows = train_rows[:cap]
    if not len(train_rows):
        return MetricResult(value=None, notes={"undefined": f"every synthetic value of {col!r} is missing"})
    y_syn = labels[SYN][train_rows]
    model = None
    if np.unique(y_syn).size == 1:
        model_note = "the synthetic column has one category: the attacker always predicts it"
    else:
        model = learners.make(name, "classification", int(inputs.seed))
        model.fit(features(SYN, train_rows), y_syn)
        model_note = (f"{name} trained on {len(train_rows)} synthetic rows"
                      + (f" (seeded sample of {n_syn_rows}, max_query_rows={cap})" if len(train_rows) < n_syn_rows
                         else ""))

    def predict(role: str, rows: np.ndarray) -> np.ndarray:
        return np.full(len(rows), y_syn[0]) if model is None else np.asarray(model.predict(features(role, rows)))

    rows, res = [], {}
    for role, label in ((TRAIN, "members (train)"), (HOLD, "holdout")):
        sample = query_rows(inputs, role, cap)
        y = labels[role][sample]
        keep = y != missing_code
        sample, y = sample[keep], y[keep]
        row: dict[str, Any] = {"targets": label, "n": len(y), "n_missing_skipped": int((~keep).sum())}
        if len(y):
            pred = predict(role, sample)
            values, counts = np.unique(y, return_counts=True)
            acc, major = float(np.mean(pred == y)), float(counts.max() / len(y))
            row.update(accuracy=acc, majority_class=names.get(values[counts.argmax()].item()), majority_rate=major,
                       gain=acc - major)
            res[role] = row
        rows.append(row)
    g_mem = res.get(TRAIN, {}).get("gain")
    g_hold = res.get(HOLD, {}).get("gain")
    secondary = {"gain_holdout": g_hold,
                 "gain_gap": g_mem - g_hold if g_mem is not None and g_hold is not None else None,
                 "accuracy_members": res.get(TRAIN, {}).get("accuracy"),
                 "accuracy_holdout": res.get(HOLD, {}).get("accuracy")}
    notes = {"sensitive_column": col, "attacker": model_note, "features": f"{len(encoder.num_cols)} numerical and "
             f"{len(encoder.cat_cols)} categorical columns (every compared column but {col!r})",
             "value": "gain on training members; gain_holdout on held-out real rows; gain_gap = members - holdout",
             "members": _sampling_note(inputs, TRAIN, len(query_rows(inputs, TRAIN, cap)), cap),
             "holdout": _sampling_note(inputs, HOLD, len(query_rows(inputs, HOLD, cap)), cap),
             "missing": "rows with a missing sensitive value are left out of training and evaluation"}
    if fallback:
        notes["attacker_fallback"] = fallback
    return MetricResult(value=g_mem, breakdown=rows, secondary=secondary, notes=notes)


# ---------------------------------------------------------------------------------------------- DP budget
META_KEYS = {"accountant": ("accountant",),
             "neighbouring_relation": ("neighbouring_relation", "neighboring_relation", "neighbouring",
                                       "neighboring", "relation"),
             "steps": ("steps", "n_steps", "epochs_steps"),
             "sampling_rate": ("sampling_rate", "sample_rate", "q")}
NO_DP = {"none", "no", "false", "null", "", "n/a", "na", "inf", "infinity"}


def _dp_applies(inputs) -> str | None:
    if not inputs.generator_meta:
        return ("no generator metadata: pass --generator-meta FILE (JSON or YAML with epsilon, delta and "
                "optionally accountant, neighbouring_relation, steps, sampling_rate; epsilon: none for no DP)")
    return None


def _meta(doc: dict[str, Any]) -> dict[str, Any]:
    for key in ("differential_privacy", "dp", "privacy"):
        if isinstance(doc.get(key), dict):
            return {**doc, **doc[key]}
    return doc


def _number(value: Any, field: str) -> float | None:
    """A finite non-negative number, None for 'no DP' markers (none, inf); an error otherwise."""
    if value is None or value is False:
        return None
    if value is True:
        raise ValueError(f"generator metadata: {field} must be a number or 'none', got true")
    if isinstance(value, str) and value.strip().lower() in NO_DP:
        return None
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"generator metadata: {field} must be a number or 'none', got {value!r}") from None
    if math.isnan(x) or x < 0:
        raise ValueError(f"generator metadata: {field} must be a non-negative number, got {value!r}")
    return None if math.isinf(x) else x


@register(id="tabular.dp_epsilon_delta", name="Differential-privacy budget reporting (epsilon, delta)",
          modality="tabular", pillar="trust", dimension="privacy", section="4.3", direction="report_only",
          range=(0.0, math.inf), inputs=("train",), models=("none",), computation="global", applies=_dp_applies)
def dp_epsilon_delta(inputs, models) -> MetricResult:
    """(epsilon, delta) of the generator's DP guarantee from its metadata (section 4.3), not from the data.
    Value: epsilon; a pipeline without formal DP (no epsilon, 'none', or inf) reports 'none' (value None)."""
    meta = _meta(dict(inputs.generator_meta or {}))
    n_train = len(inputs.frame(TRAIN))
    raw_eps = meta.get("epsilon", meta.get("eps"))
    eps = _number(raw_eps, "epsilon")
    delta = _number(meta.get("delta"), "delta")
    if delta is not None and delta >= 1:
        raise ValueError(f"generator metadata: delta must be below 1, got {delta!r}")
    notes: dict[str, Any] = {"source": meta.get("path", "generator metadata"),
                             "reading": "smaller epsilon = stronger privacy; delta should be << 1/n_train"}
    extra = {k: next((meta[a] for a in aliases if a in meta), None) for k, aliases in META_KEYS.items()}
    if eps is None:
        notes["dp"] = "none"
        notes["why"] = ("no formal differential-privacy guarantee: reported as 'none', not epsilon = inf"
                        + (f" (metadata epsilon: {raw_eps!r})" if raw_eps is not None else ""))
    else:
        notes["dp"] = f"({eps:g}, {delta if delta is not None else 'unspecified'})-DP"
        if delta is None:
            notes["delta"] = "not given: the guarantee is incomplete without delta (pure DP has delta = 0)"
        elif n_train and delta >= 1.0 / n_train:
            notes["delta_warning"] = (f"delta = {delta:g} is not << 1/n_train = {1.0 / n_train:.3g}: a mechanism "
                                      "releasing a record at random satisfies it")
        for k in ("accountant", "neighbouring_relation"):
            if extra[k] is None:
                notes[f"{k}_missing"] = f"{k} not given in the metadata"
    secondary: dict[str, float | None] = {"delta": delta,
                                          "delta_times_n_train": delta * n_train if delta is not None else None}
    for k in ("steps", "sampling_rate"):
        secondary[k] = _number(extra[k], k) if extra[k] is not None else None
    breakdown = [{"field": "epsilon", "value": eps if eps is not None else "none"},
                 {"field": "delta", "value": delta},
                 *({"field": k, "value": extra[k]} for k in META_KEYS),
                 {"field": "n_train", "value": n_train}]
    return MetricResult(value=eps, breakdown=breakdown, secondary=secondary, notes=notes)
