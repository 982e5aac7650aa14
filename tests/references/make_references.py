"""Compute the SDMetrics and SynthEval reference values of the tests and write them to tests/references/*.json.

SDMetrics 0.32 requires pandas<3, while synthaudit and its test suite run on the pandas users get (3.x), so
the references are computed here, in a separate virtual environment with an older pandas and without
synthaudit, and committed. Run it from the repository root (../shared/data must be beside the repository):

    python3 -m venv /tmp/refenv
    /tmp/refenv/bin/pip install "pandas<3" "sdmetrics==0.32.*" "syntheval==1.7.3" \
        "scikit-learn==1.9.1" "numpy==2.4.6" "scipy==1.17.1"
    /tmp/refenv/bin/python tests/references/make_references.py            # writes tests/references/*.json
    /tmp/refenv/bin/python tests/references/make_references.py --check    # recomputes, compares, writes nothing

scikit-learn, numpy and scipy are pinned to the versions of the main test environment (check with
``pip list`` there): the detection reference trains scikit-learn models on seeded folds.

Regenerate when an input in tests/references/inputs.py changes (the tests then fail with "regenerate the
references"), when the data under ../shared/data or scikit-learn's bundled tables change, or when the
reference packages are upgraded on purpose. Each JSON file records the package versions it was made with
and a fingerprint of every input table.

The computations mirror the tests that read them (same calls, same arguments); every value is the reference
package's own output (e.g. SDMetrics' complements, 1 - KST), converted in the tests as before.
"""
from __future__ import annotations

import argparse
import functools
import json
import os
import platform
import sys
import tempfile
from importlib import metadata
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: ``references`` is a package there

from references.inputs import (  # noqa: E402
    ADULT_CAT,
    ADULT_NUM,
    HERE,
    adult_constraints,
    adult_perturbed,
    adult_split,
    coverage_pair,
    detection_pair,
    fingerprint,
    keys_table,
    messy_wine,
    pair_key,
    privacy_tables,
)

PACKAGES = ["pandas", "numpy", "scipy", "scikit-learn", "sdmetrics", "rdt", "syntheval"]


def versions(packages=PACKAGES) -> dict:
    out = {"python": platform.python_version()}
    for p in packages:
        try:
            out[p] = metadata.version(p)
        except metadata.PackageNotFoundError:
            pass
    return out


# ---------------------------------------------------------------------------------------------- fidelity
def fidelity_values(real, syn, *, categorical: list[str], numerical: list[str], contingency: bool = True) -> dict:
    """KSComplement per numerical (or datetime) column, TVComplement per categorical column,
    CorrelationSimilarity (Pearson) per numerical pair and ContingencySimilarity (10 bins, numerical columns
    continuous) per categorical-categorical and categorical-numerical pair."""
    from sdmetrics.column_pairs import ContingencySimilarity, CorrelationSimilarity
    from sdmetrics.single_column import KSComplement, TVComplement

    out = {"KSComplement": {c: float(KSComplement.compute(real[c], syn[c])) for c in numerical},
           "TVComplement": {c: float(TVComplement.compute(real[c], syn[c])) for c in categorical},
           "CorrelationSimilarity": {}}
    nums = list(numerical)  # numbers and datetimes (SDMetrics converts datetimes to numbers)
    for i, a in enumerate(nums):
        for b in nums[i + 1:]:
            if real[a].nunique() < 2 or real[b].nunique() < 2:  # constant: no correlation (skipped in the tests)
                continue
            out["CorrelationSimilarity"][pair_key(a, b)] = float(
                CorrelationSimilarity.compute(real[[a, b]], syn[[a, b]], coefficient="Pearson"))
    if contingency:
        out["ContingencySimilarity"] = {}
        for i, a in enumerate(categorical):
            for b in categorical[i + 1:] + nums:
                cont = [b] if b in nums else None
                out["ContingencySimilarity"][pair_key(a, b)] = float(ContingencySimilarity.compute(
                    real[[a, b]], syn[[a, b]], continuous_column_names=cont, num_discrete_bins=10))
    return out


def edge_cases() -> tuple[dict, dict]:
    real, syn = messy_wine()
    cats = ["class", "region", "const_cat"]
    nums = [c for c in real.columns if c not in cats]  # wine's 13, harvest (datetime), const_num
    return ({"real": real, "synthetic": syn},
            fidelity_values(real, syn, categorical=cats, numerical=nums, contingency=False))


def tabular_reference() -> tuple[dict, dict]:
    inputs, values = {}, {}
    for which, (real, syn) in (("perturbed", adult_perturbed()), ("split", adult_split())):
        inputs[f"{which}_real"], inputs[f"{which}_synthetic"] = real, syn
        values[which] = fidelity_values(real, syn, categorical=ADULT_CAT, numerical=ADULT_NUM)
    return inputs, values


# ---------------------------------------------------------------------------------------------- constraints
def tabular_constraints() -> tuple[dict, dict]:
    from sdmetrics.single_column import BoundaryAdherence, CategoryAdherence, KeyUniqueness

    keys = keys_table()
    real, syn = adult_constraints()
    values = {
        "keys": {"KeyUniqueness(k)": float(KeyUniqueness.compute(keys["k"], keys["k"])),
                 "KeyUniqueness(p,q)": float(KeyUniqueness.compute(keys[["p", "q"]], keys[["p", "q"]]))},
        "adult": {
            "BoundaryAdherence(age, 17, 90)": float(BoundaryAdherence.compute(real["age"], syn["age"],
                                                                              range_min=17, range_max=90)),
            "CategoryAdherence(sex)": float(CategoryAdherence.compute(real["sex"], syn["sex"])),
            "KeyUniqueness(id)": float(KeyUniqueness.compute(real["id"], syn["id"])),
            "BoundaryAdherence": {c: float(BoundaryAdherence.compute(real[c], syn[c])) for c in ADULT_NUM + ["id"]},
            "CategoryAdherence": {c: float(CategoryAdherence.compute(real[c], syn[c])) for c in ADULT_CAT},
        },
    }
    return {"keys": keys, "adult_real": real, "adult_synthetic": syn}, values


# ---------------------------------------------------------------------------------------------- detection, coverage
DETECTION_SEED = 7  # synthaudit's seed in the test; SDMetrics' unseeded StratifiedKFold is given it


def logistic_detection(real, syn, seed: int = DETECTION_SEED) -> float:
    import sdmetrics.single_table.detection.base as sd_base
    from sdmetrics.single_table import LogisticDetection
    from sklearn.model_selection import StratifiedKFold

    original = sd_base.StratifiedKFold
    sd_base.StratifiedKFold = functools.partial(StratifiedKFold, random_state=seed)
    try:
        return float(LogisticDetection.compute(real, syn))
    finally:
        sd_base.StratifiedKFold = original


def tabular_detection_support() -> tuple[dict, dict]:
    from sdmetrics.single_column import CategoryCoverage, RangeCoverage

    inputs, values = {}, {"LogisticDetection": {}, "coverage": {}}
    for name in ("cancer", "wine"):
        real, syn = detection_pair(name)
        inputs[f"{name}_real"], inputs[f"{name}_synthetic"] = real, syn
        values["LogisticDetection"][name] = logistic_detection(real, syn)
    real, syn = coverage_pair()
    inputs["coverage_real"], inputs["coverage_synthetic"] = real, syn
    values["coverage"] = {c: float((RangeCoverage if c in ADULT_NUM else CategoryCoverage).compute(real[c], syn[c]))
                          for c in ADULT_NUM + ADULT_CAT}
    return inputs, values


# ---------------------------------------------------------------------------------------------- privacy
def syntheval_dcr(train, syn) -> dict:
    """SynthEval's MedianDistanceToClosestRecord (gower): the per-synthetic-row distance and mDCR."""
    from syntheval.metrics.privacy.metric_distance_closest_record import MedianDistanceToClosestRecord
    from syntheval.utils.nn_distance import _knn_distance

    cat = [c for c in train.columns if c not in ADULT_NUM]
    cwd = os.getcwd()
    with tempfile.TemporaryDirectory() as tmp:  # SynthEval may write files into the working directory
        os.chdir(tmp)
        try:
            metric = MedianDistanceToClosestRecord(train.copy(), syn.copy(), None, cat_cols=cat, num_cols=ADULT_NUM,
                                                   nn_dist="gower", do_preprocessing=True, verbose=False,
                                                   plot_figures=False)
            per_row = _knn_distance(metric.synt_data.copy(), metric.real_data.copy(), cat, 1, "gower")[0]
            mdcr = metric.evaluate()["mDCR"]
        finally:
            os.chdir(cwd)
    return {"per_row": [float(v) for v in np.asarray(per_row, dtype=float).ravel()], "mDCR": float(mdcr)}


def tabular_privacy() -> tuple[dict, dict]:
    from sdmetrics.single_table import DCRBaselineProtection, DCROverfittingProtection
    from sdmetrics.single_table.privacy import dcr_overfitting_protection as dop
    from sdmetrics.single_table.privacy.dcr_utils import calculate_dcr

    train, hold, syn, meta = privacy_tables()
    captured = []
    original = dop.calculate_dcr

    def record(**kw):
        captured.append(original(**kw))
        return captured[-1]

    dop.calculate_dcr = record
    try:
        overfit = DCROverfittingProtection.compute_breakdown(train, syn, hold, meta, None, num_rows_subsample=None,
                                                             num_iterations=1)
    finally:
        dop.calculate_dcr = original
    sd_train, sd_hold = (c.to_numpy(dtype=float).tolist() for c in captured)
    holdout = calculate_dcr(dataset=hold, reference_dataset=train, metadata=meta).to_numpy(dtype=float).tolist()
    baseline = DCRBaselineProtection.compute_breakdown(train, syn, meta, None, num_rows_subsample=None,
                                                       num_iterations=1)
    values = {
        "DCROverfittingProtection": {
            "dcr_synthetic_to_train": sd_train, "dcr_synthetic_to_holdout": sd_hold,
            "closer_to_training": float(overfit["synthetic_data_percentages"]["closer_to_training"]),
            "score": float(overfit["score"])},
        "calculate_dcr_holdout_to_train": holdout,
        "DCRBaselineProtection": {
            "median_DCR_to_real_data.synthetic_data": float(baseline["median_DCR_to_real_data"]["synthetic_data"])},
        "syntheval_MedianDistanceToClosestRecord": syntheval_dcr(train, syn),
    }
    return {"train": train, "holdout": hold, "synthetic": syn}, values


SECTIONS = {
    "edge_cases": (edge_cases, "tests/test_edge_cases.py", ["sdmetrics"]),
    "tabular_reference": (tabular_reference, "tests/test_tabular_reference.py", ["sdmetrics"]),
    "tabular_constraints": (tabular_constraints, "tests/test_tabular_constraints.py", ["sdmetrics"]),
    "tabular_detection_support": (tabular_detection_support, "tests/test_tabular_detection_support.py",
                                  ["sdmetrics", "scikit-learn"]),
    "tabular_privacy": (tabular_privacy, "tests/test_tabular_privacy.py", ["sdmetrics", "syntheval"]),
}


def build(name: str) -> dict:
    fn, test, _ = SECTIONS[name]
    inputs, values = fn()
    return {"generated_by": "tests/references/make_references.py", "used_by": test, "versions": versions(),
            "inputs": {k: fingerprint(v) for k, v in inputs.items()}, "values": values}


def _compare(old, new, path="") -> list[str]:
    if isinstance(old, dict) and isinstance(new, dict):
        out = [f"{path}/{k}: only in one" for k in set(old) ^ set(new)]
        for k in set(old) & set(new):
            out += _compare(old[k], new[k], f"{path}/{k}")
        return out
    if isinstance(old, list) and isinstance(new, list):
        if len(old) != len(new):
            return [f"{path}: length {len(old)} != {len(new)}"]
        return [d for i, (a, b) in enumerate(zip(old, new)) for d in _compare(a, b, f"{path}[{i}]")][:5]
    if isinstance(old, float) and isinstance(new, float):
        return [] if abs(old - new) <= 1e-12 else [f"{path}: {old!r} != {new!r}"]
    return [] if old == new else [f"{path}: {old!r} != {new!r}"]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("sections", nargs="*", choices=[[], *SECTIONS], help="default: all")
    ap.add_argument("--check", action="store_true", help="recompute and compare with the committed files")
    args = ap.parse_args(argv)
    bad = 0
    for name in args.sections or list(SECTIONS):
        data = build(name)
        path = HERE / f"{name}.json"
        if args.check:
            old = json.loads(path.read_text(encoding="utf-8"))
            diffs = (_compare(old["inputs"], data["inputs"], "inputs")
                     + _compare(old["values"], data["values"], "values"))
            print(f"{path.name}: {'same' if not diffs else 'DIFFERENT'}")
            for d in diffs[:20]:
                print("   ", d)
            bad += bool(diffs)
        else:
            path.write_text(json.dumps(data, indent=1, ensure_ascii=False, allow_nan=False) + "\n", encoding="utf-8")
            made_with = ", ".join(f"{k} {v}" for k, v in data["versions"].items())
            print(f"wrote {path.relative_to(HERE.parents[1])}: {made_with}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
