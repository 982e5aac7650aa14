"""Tabular validity (survey section 4.2): the column-wise chi-squared test."""
from __future__ import annotations

from collections import Counter

import numpy as np
from scipy import stats

from synthaudit.metrics.registry import MergeableMetric, register
from synthaudit.metrics.result import MetricResult, mean_or_none
from synthaudit.metrics.tabular.features import MISSING, REAL, SYN, CategoryCountsMixin, needs_columns

OTHER = "(other: unseen in real)"
UNSEEN_POLICIES = ("merge_into_other", "pseudo_count", "drop")
#: pseudo-count (in real observations) given to categories the real data never shows
PSEUDO = 0.5


def expected_frequencies(real: Counter, synthetic: Counter, policy: str) -> tuple[list, np.ndarray, np.ndarray, list]:
    """Categories, observed synthetic counts O_c, expected counts E_c = n_syn * p_real(c), and the unseen
    synthetic categories, under an unseen-category policy (see docs/tabular.md):

    * ``merge_into_other``: categories seen only in synthetic data are pooled into one 'other' bucket whose
      real frequency is a pseudo-count of half an observation, 0.5 / (n_real + 0.5) (zero expected counts
      would make the statistic infinite); real frequencies are renormalised.
    * ``pseudo_count``: every category of either table gets +0.5 real observations.
    * ``drop``: synthetic rows with unseen categories are left out (n_syn shrinks).
    """
    if policy not in UNSEEN_POLICIES:
        raise ValueError(f"unseen_category_policy {policy!r}; expected one of {', '.join(UNSEEN_POLICIES)}")
    cats = list(real)
    unseen = [k for k in synthetic if k not in real]
    n_real = float(sum(real.values()))
    if policy == "pseudo_count":
        cats = cats + unseen
        r = np.array([real.get(c, 0) + PSEUDO for c in cats], dtype=float)
        obs = np.array([synthetic.get(c, 0) for c in cats], dtype=float)
    elif policy == "merge_into_other" and unseen:
        r = np.array([real[c] for c in cats] + [PSEUDO], dtype=float)
        obs = np.array([synthetic.get(c, 0) for c in cats] + [sum(synthetic[u] for u in unseen)], dtype=float)
        cats = cats + [OTHER]
    else:  # drop, or nothing unseen
        r = np.array([real[c] for c in cats], dtype=float)
        obs = np.array([synthetic.get(c, 0) for c in cats], dtype=float)
    p = r / r.sum() if n_real or r.sum() else r
    return cats, obs, obs.sum() * p, unseen


@register(id="tabular.chi2", name="Column-wise Chi-squared test (chi^2, p-value)", modality="tabular",
          pillar="quality", dimension="validity", section="4.2", direction="higher_better", range=(0.0, 1.0),
          inputs=("synthetic", "real_reference"), models=("none",), computation="mergeable",
          params={"pass_threshold": {"default": 0.95}, "unseen_category_policy": {"default": "merge_into_other"}},
          applies=needs_columns(categorical=1))
class ChiSquared(CategoryCountsMixin, MergeableMetric):
    """chi^2 = sum_c (O_c - E_c)^2 / E_c per categorical column with E_c = n_syn * real frequency of c
    (real proportions rescaled to the synthetic size), df = |categories| - 1, p = Pr(chi^2_df >= chi^2).
    The value is the mean p over columns; ``share_passing`` is the share with p >= pass_threshold.

    p-value semantics: a high p is a failure to reject "the synthetic column follows the real
    frequencies", not evidence of equality; with many rows tiny differences give p ~ 0.
    """

    def finalize(self, state: dict, inputs, models) -> MetricResult:
        params = inputs.params_for(self.spec.id, self.spec.default_params())
        policy, threshold = params["unseen_category_policy"], float(params["pass_threshold"])
        rows = []
        for c in state["columns"]:
            cats, obs, exp, unseen = expected_frequencies(state[REAL][c], state[SYN][c], policy)
            row = {"column": c, "categories": len(cats), "df": len(cats) - 1, "n_synthetic": int(obs.sum()),
                   "unseen_in_real": len(unseen), "unseen_examples": [str(u) for u in unseen[:5]]}
            if len(cats) < 2 or obs.sum() == 0:
                row.update(statistic=None, value=None, passed=None,
                           skipped="a single category: nothing to test" if len(cats) < 2 else "no synthetic rows left")
            else:
                stat = float(((obs - exp) ** 2 / exp).sum())
                pval = float(stats.chi2.sf(stat, len(cats) - 1))
                row.update(statistic=stat, value=pval, passed=bool(pval >= threshold))
            rows.append(row)
        tested = [r for r in rows if r["value"] is not None]
        share = float(np.mean([r["passed"] for r in tested])) if tested else None
        notes = {"columns_tested": len(tested), "pass_threshold": threshold, "unseen_category_policy": policy,
                 "expected_counts": "real proportions scaled to the synthetic size",
                 "missing_values": f"counted as the category {MISSING!r}",
                 "p_value": "failure to reject, not proof of equality; tends to 0 as rows grow"}
        skipped = [f"{r['column']}: {r['skipped']}" for r in rows if r.get("skipped")]
        if skipped:
            notes["skipped_columns"] = skipped
        return MetricResult(value=mean_or_none([r["value"] for r in tested]), breakdown=rows,
                            secondary={"share_passing": share}, notes=notes)
