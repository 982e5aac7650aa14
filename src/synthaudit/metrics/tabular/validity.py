"""Tabular validity (survey section 4.2): the column-wise chi-squared test and the constraint violation rate."""
from __future__ import annotations

from collections import Counter

import numpy as np

from synthaudit.metrics.registry import MergeableMetric, register
from synthaudit.metrics.result import MetricResult, mean_or_none
from synthaudit.metrics.tabular.constraints import (N_EXAMPLES, DependencyConstraint, RealDependencyConstraint,
                                                     ViolationState, check_unit, plain, validate_constraints)
from synthaudit.metrics.tabular.features import (MISSING, REAL, SYN, CategoryCountsMixin, needs_columns,
                                                  pool_suppressed, with_statistics_notes)

OTHER = "(other: unseen in real)"
UNSEEN_POLICIES = ("merge_into_other", "pseudo_count", "drop")
#: pseudo-count (in real observations) given to categories the real data never shows
PSEUDO = 0.5
#: significance level of the pass/fail test behind tabular.chi2's share_passing (code default)
ALPHA = 0.05


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
          params={"pass_threshold": {"default": 0.95}, "unseen_category_policy": {"default": "merge_into_other"},
                  "alpha": {"default": ALPHA, "note": "code default: significance level of the pass/fail test "
                            "behind share_passing (a column passes when p_two_sample >= alpha)"}},
          applies=needs_columns(categorical=1))
class ChiSquared(CategoryCountsMixin, MergeableMetric):
    """chi^2 = sum_c (O_c - E_c)^2 / E_c per categorical column with E_c = n_syn * real frequency of c
    (real proportions rescaled to the synthetic size), df = |categories| - 1, p = Pr(chi^2_df >= chi^2).
    The value is the mean p over columns (the catalog's definition).

    ``share_passing``: the share of columns that pass at ``alpha`` (default 0.05): a column passes when the
    two-sample chi-squared test of homogeneity (real vs synthetic counts) does not reject equal distributions,
    p_two_sample >= alpha. The two-sample test also counts the real table's own sampling noise; the one-sample
    p takes the real frequencies as exact and is too small when both tables have similar sizes (two halves
    of one real table would fail 17-50% of the columns at alpha 0.05 instead of 5%).
    ``share_above_pass_threshold``: the share with p >= pass_threshold (the survey's strict 0.95, which
    even identical distributions reach in about 5% of columns).

    p-value semantics: a high p is a failure to reject "the synthetic column follows the real
    frequencies", not evidence of equality; with many rows tiny differences give p ~ 0.
    """

    def finalize(self, state: dict, inputs, models) -> MetricResult:
        params = inputs.params_for(self.spec.id, self.spec.default_params())
        policy, threshold = params["unseen_category_policy"], float(params["pass_threshold"])
        alpha = float(params["alpha"])
        if not 0.0 < alpha < 1.0:
            raise ValueError(f"alpha must lie strictly between 0 and 1, got {alpha:g}")
        rows = []
        for c in state["columns"]:
            cats, obs, exp, unseen = expected_frequencies(state[REAL][c], pool_suppressed(state[REAL][c],
                                                                                          state[SYN][c]), policy)
            row = {"column": c, "categories": len(cats), "df": len(cats) - 1, "n_synthetic": int(obs.sum()),
                   "unseen_in_real": len(unseen), "unseen_examples": [str(u) for u in unseen[:5]]}
            if len(cats) < 2 or obs.sum() == 0:
                row.update(statistic=None, value=None, p_two_sample=None, passed=None,
                           skipped="a single category: nothing to test" if len(cats) < 2 else "no synthetic rows left")
            else:
                stat = float(((obs - exp) ** 2 / exp).sum())
                pval = float(_chi2_sf(stat, len(cats) - 1))
                p_two = two_sample_p(state[REAL][c], cats, obs)
                row.update(statistic=stat, value=pval, p_two_sample=p_two, passed=bool(p_two >= alpha))
            rows.append(row)
        tested = [r for r in rows if r["value"] is not None]
        share = float(np.mean([r["passed"] for r in tested])) if tested else None
        strict = float(np.mean([r["value"] >= threshold for r in tested])) if tested else None
        notes = {"columns_tested": len(tested), "alpha": alpha,
                 "passing": (f"a column passes when the two-sample chi-squared test (real vs synthetic counts) does "
                             f"not reject equal distributions at alpha = {alpha:g}, i.e. p_two_sample >= {alpha:g}; "
                             "share_passing is the share of tested columns that pass"),
                 "value": ("mean over columns of the catalog's p-value (the column 'value' of the breakdown), a "
                           "one-sample test that takes the real frequencies as exact: too small when the real "
                           "table is not much larger than the synthetic one, so it does not decide passing"),
                 "pass_threshold": (f"{threshold:g}: the survey's strict threshold on that p-value; "
                                    "share_above_pass_threshold is the share of columns reaching it (identical "
                                    "distributions reach 0.95 in only about 5% of columns)"),
                 "unseen_category_policy": policy,
                 "expected_counts": "real proportions scaled to the synthetic size",
                 "missing_values": f"counted as the category {MISSING!r}",
                 "p_value": "failure to reject, not proof of equality; tends to 0 as rows grow"}
        skipped = [f"{r['column']}: {r['skipped']}" for r in rows if r.get("skipped")]
        if skipped:
            notes["skipped_columns"] = skipped
        return MetricResult(value=mean_or_none([r["value"] for r in tested]), breakdown=rows,
                            secondary={"share_passing": share, "share_above_pass_threshold": strict},
                            notes=with_statistics_notes(state, notes))


def two_sample_p(real: Counter, categories: list, synthetic_counts: np.ndarray) -> float:
    """p-value of Pearson's chi-squared test of homogeneity on the 2 x k table of real and synthetic counts
    over ``categories`` (the pooled unseen bucket has no real count; no continuity correction), as
    ``scipy.stats.chi2_contingency(table, correction=False)``."""
    real_counts = np.array([0.0 if c == OTHER else float(real.get(c, 0)) for c in categories])
    table = np.vstack([real_counts, synthetic_counts.astype(float)])
    table = table[:, table.sum(axis=0) > 0]
    if table.shape[1] < 2 or (table.sum(axis=1) == 0).any():
        return 1.0 if table.shape[1] < 2 else 0.0
    expected = table.sum(axis=1, keepdims=True) * table.sum(axis=0, keepdims=True) / table.sum()
    stat = float(((table - expected) ** 2 / expected).sum())
    return float(_chi2_sf(stat, table.shape[1] - 1))


# ---------------------------------------------------------------------------------------------------------
# tabular.violation_rate: the constraint language lives in constraints.py

VR_ID = "tabular.violation_rate"
VR_UNIT = "row_x_constraint"
LOOKUP_BATCH = 50_000


def constraints_apply(inputs) -> str | None:
    """Applicability of VR; validates the constraint spec at planning time, so an invalid spec stops the
    audit with one SpecError (planning is not isolated like metric runs)."""
    constraints = validate_constraints(inputs)
    check_unit(inputs, VR_ID, VR_UNIT)
    if not constraints:
        return "no constraints to check: none given, and none could be inferred from the real table"
    return None


@register(id=VR_ID, name="Constraint violation rate (VR)", modality="tabular", pillar="quality",
          dimension="validity", section="4.2", direction="lower_better", range=(0.0, 1.0),
          inputs=("synthetic", "schema"), models=("none",), computation="mergeable",
          params={"check_unit": {"default": VR_UNIT}}, applies=constraints_apply)
class ViolationRate(MergeableMetric):
    """VR = #violations / #checks over the synthetic table (survey section 4.2, 'Validity').

    check_unit 'row_x_constraint' (default): one check per (row, constraint) where the constraint applies;
    a duplicated key counts every row beyond the first of its group, a functional dependency every row
    whose dependent value differs from the majority of its determinant group. 'row': share of rows with
    any violation; 'constraint': mean of the per-constraint rates. Semantics: docs/tabular.md.
    """

    streams = (SYN,)

    def init(self, inputs, models) -> ViolationState:
        constraints = validate_constraints(inputs)
        for c in constraints:
            c.prepare(inputs)
        return ViolationState.empty(constraints)

    def update(self, state: ViolationState, role: str, batch) -> ViolationState:
        return state.update(batch)

    def merge(self, a: ViolationState, b: ViolationState) -> ViolationState:
        return a.merge(b)

    def finalize(self, state: ViolationState, inputs, models) -> MetricResult:
        unit = check_unit(inputs, VR_ID, VR_UNIT)
        n = state.n_rows
        flags = np.concatenate(state.row_flags) if state.row_flags else np.zeros(0, dtype=bool)
        rows, pending = [], []
        for c in state.constraints:
            st = state.counts[c.name]
            row = {"name": c.name, "type": c.type, "columns": list(c.columns), "rule": c.rule,
                   "inferred": c.inferred, "level": c.level}
            if c.level == "row":
                checks, violations, examples = st["checks"], st["violations"], list(st["examples"])
                not_applicable = n - checks
            else:
                res = state.resolve_table(c)
                checks, violations = res["checks"], len(res["violating_rows"])
                flags[res["violating_rows"]] = True
                not_applicable, examples = res["not_applicable"], []
                pending.append((examples, c, res["violating_rows"][:N_EXAMPLES], res["refs"][:N_EXAMPLES]))
            row.update(checks=int(checks), violations=int(violations), rate=violations / checks if checks else None,
                       not_applicable=int(not_applicable), examples=examples)
            if isinstance(c, RealDependencyConstraint):
                row["unseen_determinant"] = int(st["unseen"])
            rows.append(row)
        wanted = {int(r) for _, _, ex, refs in pending for r in [*ex, *refs] if r >= 0}
        found = _lookup_rows(inputs, wanted)
        for examples, c, ex, refs in pending:
            for r, ref in zip(ex, refs):
                values = found.get(int(r), {})
                item = {"row": int(r) + 1, "values": {k: values.get(k) for k in c.columns}}
                if ref >= 0 and isinstance(c, DependencyConstraint):
                    item["expected"] = {k: found.get(int(ref), {}).get(k) for k in c.dependent}
                    item["majority_first_row"] = int(ref) + 1
                elif ref >= 0:
                    item["duplicate_of"] = int(ref) + 1
                examples.append(item)
        total_checks = sum(r["checks"] for r in rows)
        total_viol = sum(r["violations"] for r in rows)
        micro = total_viol / total_checks if total_checks else None
        row_share = float(flags.mean()) if n else None
        rates = [r["rate"] for r in rows if r["rate"] is not None]
        value = {"row_x_constraint": micro, "row": row_share, "constraint": mean_or_none(rates)}[unit]
        secondary = {"rows_violating": row_share, "mean_constraint_rate": mean_or_none(rates),
                     "share_constraints_violated": float(np.mean([r["violations"] > 0 for r in rows if r["checks"]]))
                     if any(r["checks"] for r in rows) else None}
        if unit != VR_UNIT:
            secondary["row_x_constraint"] = micro
        source = (inputs.constraints or {}).get("path")
        notes = {"check_unit": unit, "checks": int(total_checks), "violations": int(total_viol), "n_rows": int(n),
                 "constraints": len(rows), "user_constraints": sum(not c.inferred for c in state.constraints),
                 "denominator": "one check per (row, constraint) where it applies; unique/dependency count the "
                                "rows of their groups",
                 "missing_values": "a missing cell makes a check not applicable (not counted) unless the "
                                   "constraint sets allow_missing: false; not_null counts every row",
                 "examples": "row = 1-based data row of the synthetic table (header not counted)"}
        if source:
            notes["source"] = source
        inferred = [c for c in state.constraints if c.inferred]
        if inferred:
            notes["inferred_constraints"] = [{k: v for k, v in c.spec.items()} for c in inferred]
        if inputs.infer_constraints and not inferred:
            notes["inferred_constraints"] = []
        return MetricResult(value=value, breakdown=rows, record_scores=flags.astype(float), secondary=secondary,
                            notes=notes)


def _lookup_rows(inputs, wanted: set[int]) -> dict[int, dict]:
    """Cell values of a few synthetic rows (0-based), for the examples of table-level constraints."""
    if not wanted:
        return {}
    targets = np.array(sorted(wanted), dtype=np.int64)
    table = inputs.tables.get(SYN)
    can_stop = table is None or table.materialized or table.path is not None
    found, offset = {}, 0
    for batch in inputs.batches(SYN, LOOKUP_BATCH):
        size = len(batch)
        for r in targets[(targets >= offset) & (targets < offset + size)]:
            found[int(r)] = {k: plain(v) for k, v in batch.iloc[int(r - offset)].items()}
        offset += size
        if offset > targets[-1] and can_stop:
            break
    return found


def _chi2_sf(stat: float, dof: int) -> float:
    """The chi-squared survival function (scipy.stats is imported here, not with the package: it takes a second)."""
    from scipy.stats import chi2

    return float(chi2.sf(stat, dof))
