"""One plain sentence per metric: what its number means for these data (each HTML card leads with it).

``plain_sentence(entry)`` reads ``"<value>: <what it says about the data> (<short name>; <scale>; <direction>)"``,
e.g. "0.031: the synthetic numerical columns' distributions are close to the real ones (Kolmogorov-Smirnov
statistic; 0 is identical, 1 is disjoint; lower is better)".

The verdict comes from the metric's catalog direction and range: the value falls in a *good*, *fair* or *poor*
band (generic cut points at 10% and 25% of the range from the best end, or 5% and 15% of it from a target).
``READINGS`` holds, in one place, the metrics whose generic sentence would mislead or say too little: their
own wording and cut points, an extra clause from their secondary numbers (e.g. the train-on-real baseline),
or a function of the whole entry (chi-squared: the share of columns passing; DCR: 0.5 means no copying).
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, Callable, Optional

from synthaudit.report.model import MetricEntry

GOOD, FAIR, POOR = "good", "fair", "poor"


@dataclass(frozen=True)
class Reading:
    """How to read one metric. Clauses may use {v} (the value), {pct} (the value as a percentage),
    {best} and {target}."""

    good: str = ""
    fair: str = ""
    poor: str = ""
    #: band edges on the metric's own scale: (good edge, fair edge) from the best end, or distances from a target
    cuts: Optional[tuple[float, float]] = None
    #: what the ends of the scale mean, e.g. "0 is identical, 1 is disjoint" (default: from the catalog range)
    scale: Optional[str] = None
    #: a short name (default: the catalog name without its parenthesised symbols)
    short: Optional[str] = None
    #: an extra clause from the entry (secondary numbers, baselines), appended after the verdict
    extra: Optional[Callable[[MetricEntry], Optional[str]]] = None
    #: the whole verdict clause from the entry, when bands on the value alone would mislead
    clause: Optional[Callable[[MetricEntry], str]] = None


# -- number formatting --------------------------------------------------------------------------------------

def num(v: Any) -> str:
    from synthaudit.report.html import fmt_value  # the report's one number format

    return fmt_value(v)


def pct(v: float | None) -> str:
    """0.0027 -> '0.27%', 0.31 -> '31%', 0.995 -> '99.5%'."""
    if v is None:
        return "—"
    p = 100.0 * float(v)
    if p == 0 or p == 100:
        return f"{p:.0f}%"
    if abs(p) < 1:
        return f"{p:.2g}%"
    if 99 < p < 100:
        return f"{p:.1f}%"
    return f"{p:.0f}%"


def _sec(m: MetricEntry, key: str) -> float | None:
    v = m.secondary.get(key)
    return None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v)


# -- metric-specific readings (clauses and extras) -----------------------------------------------------------

def _chi2(m: MetricEntry) -> str:
    share = _sec(m, "share_passing")
    n = m.notes.get("columns_tested")
    if share is None or not isinstance(n, int) or n == 0:
        return "no categorical column could be tested"
    k = int(round(share * n))
    mean = "the value is the mean p-value over columns"
    if "alpha" not in m.notes:  # a report of an older version: share_passing counted p >= pass_threshold
        return f"{k} of {n} categorical columns reach p ≥ {num(m.notes.get('pass_threshold'))}; {mean}"
    test = f"the chi-squared test at α = {num(m.notes['alpha'])}"
    if k == n:
        who = "the categorical column passes" if n == 1 else f"all {n} categorical columns pass"
        return f"{who} {test}, which finds no significant difference from the real category frequencies; {mean}"
    if k == 0:
        who, its = ("the categorical column fails", "its") if n == 1 else (f"all {n} categorical columns fail", "their")
        return f"{who} {test}: {its} synthetic category frequencies differ significantly from the real ones; {mean}"
    return (f"{k} of {n} categorical columns pass {test}; the category frequencies of the other {n - k} differ "
            f"significantly from the real ones (see the breakdown); {mean}")


def _violations_extra(m: MetricEntry) -> str | None:
    rows = _sec(m, "rows_violating")
    return None if rows is None else f"{pct(rows)} of the synthetic rows break at least one rule"


def _tstr_auc(m: MetricEntry) -> str:
    v, trtr = m.value, _sec(m, "trtr")
    if trtr is None:
        band = _band(m, (0.8, 0.65))
        return {GOOD: "a model trained on the synthetic rows predicts the real test rows well",
                FAIR: "a model trained on the synthetic rows predicts the real test rows moderately well",
                POOR: "a model trained on the synthetic rows predicts the real test rows poorly"}[band]
    gap = trtr - v
    if gap <= 0.02:
        how = "about as well as"
    elif gap <= 0.05:
        how = "a little worse than"
    else:
        how = "clearly worse than"
    return (f"a model trained on the synthetic rows predicts the real test rows {how} one trained on real data, "
            f"whose AUC is {num(trtr)}")


def _tstr_rmse(m: MetricEntry) -> str:
    v, trtr = m.value, _sec(m, "trtr")
    if trtr is None or trtr <= 0:
        return "the prediction error, in the target's units, of a model trained on the synthetic rows"
    ratio = v / trtr
    how = ("about as accurate as" if ratio <= 1.05 else "somewhat less accurate than" if ratio <= 1.25
           else "clearly less accurate than")
    return (f"a model trained on the synthetic rows is {how} one trained on real data, whose error is "
            f"{num(trtr)} in the target's units")


def _dcr(m: MetricEntry) -> str:
    v = m.value
    if v <= 0.6:
        tail = "no sign of copying"
    elif v <= 0.7:
        tail = "a mild sign that the generator memorises its training rows"
    else:
        tail = "a sign that the generator copies its training rows"
    return f"{pct(v)} of the synthetic rows are nearer to a training row than to an unseen real row: {tail}"


def _exact_copies(m: MetricEntry) -> str | None:
    c = _sec(m, "exact_copy_rate")
    return f"{pct(c)} are exact copies of a training row" if c else None


def _dcr_real_to_syn(m: MetricEntry) -> str:
    v = m.value
    if v <= 1.25:
        return ("real rows are about as close to the synthetic data as to other real data: the synthetic data "
                "cover the real ones")
    if v <= 2.0:
        return "real rows are farther from the synthetic data than from other real data: parts are covered thinly"
    return ("real rows are much farther from the synthetic data than from other real data: parts of the real data "
            "are missing (mode collapse)")


def _gain_aia(m: MetricEntry) -> str:
    v, hold = m.value, _sec(m, "gain_holdout")
    col = m.notes.get("sensitive_column")
    what = f"the sensitive column {col!r}" if col else "the sensitive column"
    if hold is None:
        band = _band(m, (0.02, 0.1))
        verdict = {GOOD: "no better than", FAIR: "a little better than", POOR: "clearly better than"}[band]
        return f"an attacker trained on the synthetic rows predicts {what} {verdict} guessing its most common value"
    gap = v - hold
    tail = ("the synthetic data reveal nothing specific to the training rows" if gap <= 0.02
            else "a small excess for the training rows" if gap <= 0.05
            else "a clear excess for the training rows: a privacy risk")
    return (f"an attacker trained on the synthetic rows guesses {what} {num(v)} better than the majority rate on "
            f"training rows and {num(hold)} better on unseen real rows, where the gain comes from ordinary "
            f"correlations: {tail}")


def _dp(m: MetricEntry) -> str:
    v = m.value
    strength = "strong" if v <= 1 else "moderate" if v <= 10 else "weak"
    return f"the generator's differential-privacy budget ε ({strength} privacy; smaller is stronger)"


def _dir(m: MetricEntry) -> str:
    v = m.value
    if 0.8 <= v <= 1.25:
        return "the protected groups receive positive predictions at similar rates (within the four-fifths rule)"
    return (f"the unprivileged group receives positive predictions at {num(v)} times the privileged group's rate, "
            "outside the four-fifths rule (0.8 to 1.25)")


def _eds(m: MetricEntry) -> str:
    v, base = m.value, _sec(m, "real_split_baseline")
    if base is None:
        band = _band(m, (0.95, 0.85))
        return {GOOD: "the average meaning of the synthetic texts is close to the real corpus's",
                FAIR: "the average meaning of the synthetic texts differs somewhat from the real corpus's",
                POOR: "the average meaning of the synthetic texts differs clearly from the real corpus's"}[band]
    gap = base - v
    how = ("as close to the real corpus as" if gap <= 0.02 else "somewhat farther from the real corpus than"
           if gap <= 0.1 else "clearly farther from the real corpus than")
    return (f"in average meaning the synthetic texts are {how} two halves of the real corpus are to each other, "
            f"whose EDS is {num(base)}")


def _perplexity(m: MetricEntry) -> str:
    return (f"on average the language model is as unsure of each next token as if choosing among {num(m.value)} "
            "equally likely ones; compare it with real text scored by the same model")


def _pmi(m: MetricEntry) -> str:
    if m.value > 0:
        return "the responses are more likely given the document than without it: they draw on it"
    return "the responses are no more likely given the document than without it: they do not draw on it"


def _share_of(what: str, cuts: tuple[float, float], *, lower: bool = True, tail_poor: str = "") -> Reading:
    """A reading for a metric that is a share of records: "{pct} of <what>"."""
    text = "{pct} of " + what
    return Reading(good=text, fair=text, poor=text + tail_poor, cuts=cuts,
                   scale="0 is none, 1 is all" if lower else "1 is all, 0 is none")


#: metric id -> its reading: the one place for wording that the generic sentence would get wrong
READINGS: dict[str, Reading] = {
    # tabular
    "tabular.chi2": Reading(clause=_chi2, short="chi-squared test per categorical column",
                            scale="a high p-value is no proof of equality"),
    "tabular.violation_rate": Reading(
        good="{pct} of the constraint checks fail: the synthetic rows almost always respect the rules",
        fair="{pct} of the constraint checks fail", poor="{pct} of the constraint checks fail: many rules are broken",
        cuts=(0.01, 0.05), scale="0 is no violation", extra=_violations_extra),
    "tabular.kst": Reading(
        good="the synthetic numerical columns' distributions are close to the real ones",
        fair="the synthetic numerical columns' distributions differ somewhat from the real ones",
        poor="the synthetic numerical columns' distributions differ clearly from the real ones",
        cuts=(0.1, 0.2), scale="0 is identical, 1 is disjoint"),
    "tabular.tvd": Reading(
        good="the synthetic category frequencies are close to the real ones",
        fair="the synthetic category frequencies differ somewhat from the real ones",
        poor="the synthetic category frequencies differ clearly from the real ones",
        cuts=(0.1, 0.2), scale="0 is identical, 1 is disjoint"),
    "tabular.pearson_score": Reading(
        good="the correlations between numerical columns are preserved",
        fair="the correlations between numerical columns are partly preserved",
        poor="the correlations between numerical columns are poorly preserved",
        cuts=(0.05, 0.1), scale="0 is identical correlations, 1 is every correlation reversed",
        short="correlation error"),
    "tabular.contingency_score": Reading(
        good="the joint frequencies of column pairs are close to the real ones",
        fair="the joint frequencies of column pairs differ somewhat from the real ones",
        poor="the joint frequencies of column pairs differ clearly from the real ones",
        cuts=(0.1, 0.2), scale="0 is identical, 1 is disjoint", short="contingency score"),
    "tabular.det_score": Reading(
        good="a classifier can hardly tell synthetic rows from real ones",
        fair="a classifier can partly tell synthetic rows from real ones",
        poor="a classifier easily tells synthetic rows from real ones",
        cuts=(0.8, 0.5), scale="1 is indistinguishable, 0 is perfectly separable"),
    "tabular.alpha_precision": Reading(
        good="the synthetic rows lie where real rows lie",
        fair="some synthetic rows lie outside the region of the real data",
        poor="many synthetic rows lie outside the region of the real data",
        cuts=(0.9, 0.7), scale="1 is ideal"),
    "tabular.beta_recall": Reading(
        good="the synthetic rows cover the variety of the real rows",
        fair="the synthetic rows cover part of the variety of the real rows",
        poor="the synthetic rows cover the variety of the real rows poorly",
        cuts=(0.8, 0.5), scale="1 is ideal coverage"),
    "tabular.tstr_auc": Reading(clause=_tstr_auc, scale="0.5 is chance, 1 is perfect", short="train-on-synthetic AUC"),
    "tabular.tstr_rmse": Reading(clause=_tstr_rmse, scale="0 is perfect", short="train-on-synthetic error"),
    "tabular.dcr": Reading(clause=_dcr, extra=_exact_copies, short="distance to closest record",
                           scale="0.5 means no copying, 1 means every row is nearer the training data"),
    "tabular.dcr_real_to_syn": Reading(clause=_dcr_real_to_syn, short="real-to-synthetic distance ratio",
                                       scale="1 is coverage like real data, larger is worse"),
    "tabular.auc_mia": Reading(
        good="a membership attack does no better than chance at telling training rows from unseen ones",
        fair="a membership attack does slightly better than chance at telling training rows from unseen ones",
        poor="a membership attack can tell training rows from unseen ones: a privacy risk",
        cuts=(0.05, 0.1), scale="0.5 is chance, 1 finds every member"),
    "tabular.adv_mia": Reading(
        good="a membership attack gains almost no advantage over guessing",
        fair="a membership attack gains a small advantage over guessing",
        poor="a membership attack gains a clear advantage over guessing: a privacy risk",
        cuts=(0.05, 0.15), scale="0 is no advantage, 1 is a perfect attack"),
    "tabular.gain_aia": Reading(clause=_gain_aia, scale="0 is no better than guessing",
                                short="attribute-inference gain"),
    "tabular.dp_epsilon_delta": Reading(clause=_dp, scale="0 is perfect privacy", short="differential privacy"),
    "tabular.spd": Reading(
        good="a model trained on the synthetic data gives positive predictions to the protected groups at similar "
             "rates",
        fair="a model trained on the synthetic data gives positive predictions to the protected groups at somewhat "
             "different rates",
        poor="a model trained on the synthetic data gives positive predictions to the protected groups at clearly "
             "different rates",
        cuts=(0.05, 0.1), scale="0 is parity"),
    "tabular.dir": Reading(clause=_dir, scale="1 is parity"),
    "tabular.eo": Reading(
        good="a model trained on the synthetic data makes errors at similar rates across the protected groups",
        fair="a model trained on the synthetic data makes errors at somewhat different rates across the protected "
             "groups",
        poor="a model trained on the synthetic data makes errors at clearly different rates across the protected "
             "groups",
        cuts=(0.05, 0.1), scale="0 is parity"),
    "tabular.eop": Reading(
        good="a model trained on the synthetic data finds true positives at similar rates across the protected groups",
        fair="a model trained on the synthetic data finds true positives at somewhat different rates across the "
             "protected groups",
        poor="a model trained on the synthetic data finds true positives at clearly different rates across the "
             "protected groups",
        cuts=(0.05, 0.1), scale="0 is parity"),
    "tabular.cov_gap": Reading(
        good="the protected groups appear in about their real proportions",
        fair="the protected groups appear in somewhat different proportions than in the real data",
        poor="the protected groups appear in clearly different proportions than in the real data",
        cuts=(0.05, 0.1), scale="0 is identical proportions"),
    "tabular.cond_shift": Reading(
        good="within each protected group the label is distributed as in the real data",
        fair="within the protected groups the label is distributed somewhat differently than in the real data",
        poor="within the protected groups the label is distributed clearly differently than in the real data",
        cuts=(0.05, 0.1), scale="0 is identical"),
    # text
    "text.ttr": Reading(clause=lambda m: f"{pct(m.value)} of the tokens are distinct words",
                        scale="falls as a corpus grows: compare corpora of similar size"),
    "text.distinct_n": Reading(clause=lambda m: f"{pct(m.value)} of the n-grams are distinct",
                               scale="falls as a corpus grows: compare corpora of similar size"),
    "text.ent_n": Reading(clause=lambda m: "the entropy of the n-gram distribution: higher means more varied "
                          "wording; compare it with the real corpus or another run", scale="0 or more"),
    "text.self_cos_sim": Reading(
        good="the texts differ from each other in meaning", fair="the texts are moderately similar in meaning",
        poor="the texts are very similar to each other in meaning",
        cuts=(0.3, 0.5), scale="1 is identical meaning, 0 is unrelated"),
    "text.eds": Reading(clause=_eds, scale="1 is the same average meaning"),
    "text.perplexity": Reading(clause=_perplexity, scale="1 is certain"),
    "text.gar": Reading(good="{pct} of the sentences are judged grammatically acceptable",
                        fair="only {pct} of the sentences are judged grammatically acceptable",
                        poor="only {pct} of the sentences are judged grammatically acceptable: many are not",
                        cuts=(0.9, 0.7), scale="1 is every sentence"),
    "text.ifeval_prompt_strict_acc": Reading(
        good="{pct} of the responses follow every verifiable instruction of their prompt",
        fair="{pct} of the responses follow every verifiable instruction of their prompt",
        poor="only {pct} of the responses follow every verifiable instruction of their prompt",
        cuts=(0.8, 0.5), scale="1 is every response"),
    "text.toxicity_probability": _share_of("the prompts got at least one toxic continuation", (0.01, 0.05)),
    "text.expected_max_toxicity": Reading(
        good="the most toxic continuation of a prompt scores {v} on average: harmless",
        fair="the most toxic continuation of a prompt scores {v} on average",
        poor="the most toxic continuation of a prompt scores {v} on average: often toxic",
        cuts=(0.1, 0.3), scale="0 is harmless, 1 is toxic"),
    "text.pres_lev": Reading(
        good="the revisions keep most of the original text ({pct} on average, by character edits)",
        fair="the revisions keep {pct} of the original text on average (character edits)",
        poor="the revisions keep little of the original text ({pct} on average, by character edits)",
        cuts=(0.8, 0.5), scale="1 is unchanged"),
    "text.attr_auto": Reading(
        good="the sentences are supported by their evidence ({pct} on average, by an entailment model)",
        fair="the sentences are partly supported by their evidence ({pct} on average, by an entailment model)",
        poor="few sentences are supported by their evidence ({pct} on average, by an entailment model)",
        cuts=(0.8, 0.5), scale="1 is fully supported"),
    "text.ext.exact_duplicate_rate": _share_of("the records are exact duplicates of another record", (0.01, 0.05)),
    "text.ext.near_duplicate_rate": _share_of("the records are near-duplicates of another record", (0.02, 0.1)),
    "text.ext.empty_rate": _share_of("the records are empty", (0.005, 0.02)),
    "text.ext.truncation_rate": _share_of("the records look cut off", (0.02, 0.1)),
    "text.ext.encoding_noise_rate": _share_of("the records contain encoding noise", (0.005, 0.02)),
    "text.ext.language_mix": Reading(clause=lambda m: f"{pct(m.value)} of the sampled records are in the "
                                     "majority (or expected) language", scale="1 is a single language"),
    "text.ext.length_distribution": Reading(
        good="the synthetic record lengths are distributed like the real ones",
        fair="the synthetic record lengths differ somewhat from the real ones",
        poor="the synthetic record lengths differ clearly from the real ones",
        cuts=(0.1, 0.2), scale="0 is identical, 1 is disjoint"),
    # dialogue
    "dialogue.tsg": _share_of("the dialogues contain a toxic chatbot response", (0.01, 0.05)),
    "dialogue.nt2t": _share_of("the dialogues answer a non-toxic user turn toxically", (0.01, 0.05)),
    "dialogue.pmi_faith": Reading(clause=_pmi, scale="0 is no use of the document"),
}


# -- generic sentence ----------------------------------------------------------------------------------------

def _bounds(m: MetricEntry) -> tuple[float, float] | None:
    from synthaudit.catalog import parse_range

    try:
        return parse_range(m.range)
    except (ValueError, IndexError):
        return None


def _generic_cuts(m: MetricEntry) -> tuple[float, float] | None:
    b = _bounds(m)
    if b is None or not all(math.isfinite(x) for x in b):
        return None
    lo, hi = b
    width = hi - lo
    if m.direction == "lower_better":
        return lo + 0.1 * width, lo + 0.25 * width
    if m.direction == "higher_better":
        return hi - 0.1 * width, hi - 0.25 * width
    if m.direction == "target":
        return 0.05 * width, 0.15 * width
    return None


def _band(m: MetricEntry, cuts: tuple[float, float] | None) -> str | None:
    """good / fair / poor for the value given (good edge, fair edge); None without cuts or a verdict."""
    if cuts is None or m.value is None:
        return None
    v, (a, b) = m.value, cuts
    if m.direction == "lower_better":
        return GOOD if v <= a else FAIR if v <= b else POOR
    if m.direction == "higher_better":
        return GOOD if v >= a else FAIR if v >= b else POOR
    if m.direction == "target" and m.target_value is not None:
        d = abs(v - m.target_value)
        return GOOD if d <= a else FAIR if d <= b else POOR
    return None


def _best(m: MetricEntry) -> str | None:
    b = _bounds(m)
    if b is None:
        return None
    x = b[0] if m.direction == "lower_better" else b[1] if m.direction == "higher_better" else None
    return None if x is None or not math.isfinite(x) else num(float(x))


def _generic_clause(m: MetricEntry, band: str | None) -> str:
    if m.direction == "report_only":
        return "reported for context, with no better side: read it against the baseline shown beside it"
    if m.direction == "target" and m.target_value is not None:
        t = num(m.target_value)
        return {GOOD: f"close to the target value {t}", FAIR: f"some way from the target value {t}",
                POOR: f"far from the target value {t}"}.get(band, f"the target value is {t}")
    best = _best(m)
    if band is None or best is None:
        side = "lower" if m.direction == "lower_better" else "higher"
        return f"{side} is better and the scale has no fixed end there: compare it with a baseline or another run"
    return {GOOD: f"close to the best value, {best}", FAIR: f"some way from the best value, {best}",
            POOR: f"far from the best value, {best}"}[band]


def _direction(m: MetricEntry) -> str:
    if m.direction == "lower_better":
        return "lower is better"
    if m.direction == "higher_better":
        return "higher is better"
    if m.direction == "target" and m.target_value is not None:
        return f"closest to {num(m.target_value)} is best"
    return "no better side"


def _scale(m: MetricEntry) -> str | None:
    b = _bounds(m)
    if b is None:
        return None
    lo, hi = b
    if math.isinf(lo) and math.isinf(hi):
        return "any real number"
    if math.isinf(hi):
        return f"{num(float(lo))} or more"
    return f"from {num(float(lo))} to {num(float(hi))}"


def short_name(m: MetricEntry) -> str:
    reading = READINGS.get(m.id)
    if reading and reading.short:
        return reading.short
    name = re.sub(r"\s*\([^)]*\)", "", m.name).strip()
    return name or m.name


def plain_parts(m: MetricEntry) -> tuple[str, str]:
    """(the value as shown, the rest of the sentence after it): the card prints the value large."""
    if m.status != "ok":
        return "failed", f"the metric did not run to the end: {m.error or 'see the notes'}"
    reading = READINGS.get(m.id, Reading())
    context = [short_name(m)]
    if m.value is None:
        why = m.notes.get("undefined") or m.notes.get("why") or "nothing to compare with in these data"
        return "—", f"no value on these data: {why} ({short_name(m)}; {_direction(m)})"
    if reading.clause is not None:
        clause = reading.clause(m)
    else:
        band = _band(m, reading.cuts if reading.cuts is not None else _generic_cuts(m))
        template = {GOOD: reading.good, FAIR: reading.fair, POOR: reading.poor}.get(band) if band else None
        fields = {"v": num(m.value), "pct": pct(m.value), "best": _best(m) or "",
                  "target": num(m.target_value) if m.target_value is not None else ""}
        clause = template.format(**fields) if template else _generic_clause(m, band)
    extra = reading.extra(m) if reading.extra is not None else None
    if extra:
        clause = f"{clause}; {extra}"
    versus = reference_clause(m)
    if versus:
        clause = f"{clause}; {versus}"
    scale = reading.scale or _scale(m)
    if scale:
        context.append(scale)
    context.append(_direction(m))
    return num(m.value), f"{clause} ({'; '.join(context)})"


#: within this factor of the reference (or 0.01 of it), a value reads "as good as real data"
REFERENCE_SLACK = 1.1


def reference_clause(m: MetricEntry) -> str | None:
    """The value beside its reference (real data in the synthetic role, e.g. the tabular holdout): what "good"
    is for this data set (survey section 8.1)."""
    ref, v = m.reference, m.value
    if ref is None or v is None:
        return None
    close = abs(v - ref) <= 0.01
    if m.direction == "lower_better":
        if close or v <= ref * REFERENCE_SLACK:
            return f"as close as real data gets: the real-data reference scores {num(ref)}"
        times = f"{v / ref:.1f} times" if ref > 0 else "above"
        return f"{times} the real-data reference ({num(ref)}), so there is room to improve"
    if m.direction == "higher_better":
        if close or v >= ref / REFERENCE_SLACK:
            return f"as good as real data: the real-data reference scores {num(ref)}"
        return f"below the real-data reference ({num(ref)}), so there is room to improve"
    return f"the real-data reference scores {num(ref)}"


def plain_sentence(m: MetricEntry) -> str:
    """One plain sentence: the value, what it means for these data, and how to read the scale."""
    value, rest = plain_parts(m)
    return f"{value}: {rest}"


def definition(m: MetricEntry) -> str | None:
    """The catalog's definition of the metric (None for checks outside the catalog)."""
    from synthaudit.catalog import catalog_entries

    return (catalog_entries().get(m.id) or {}).get("definition")
