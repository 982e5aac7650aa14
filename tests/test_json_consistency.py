"""Clinical Model Consistency (survey section 5.3.2): json.clinical_model_consistency against the same
cross-validation computed in the test with scikit-learn (StratifiedKFold, cross_val_predict, roc_auc_score,
accuracy_score) on the same splits."""
from __future__ import annotations

import numpy as np
import pytest

import synthaudit.metrics.json.consistency  # noqa: F401 (registers the metric)
from synthaudit.data.json_prepare import prepare_json
from synthaudit.metrics.registry import get
from synthaudit.models import Models

FIRST = ["Anna", "Jürgen", "Wei", "Fatima", "Carlos", "Olga", "Kwame", "Sofia", "Ravi", "Mei"]
LAST = ["Schmidt", "Nguyen", "García", "Okafor", "Kowalski", "Tanaka", "Müller", "Singh"]
RISK = ["sepsis", "heart failure", "renal insufficiency", "pneumonia", "readmitted twice"]
CALM = ["routine check", "stable vitals", "discharged home", "follow-up in clinic", "no complaints"]
REGIONS = ["north", "south", "east"]


def cohort(seed: int, n: int = 120) -> list[dict]:
    """Clinical-style records: a JSON document (name, age group, note) and a label (readmission) driven by the
    note's words with 15 % label noise; a region subgroup."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        y = int(rng.random() < 0.4)
        words = list(rng.choice(RISK if y else CALM, size=2)) + list(rng.choice(RISK + CALM, size=2))
        if rng.random() < 0.15:
            y = 1 - y
        doc = {"patient": {"name": f"{rng.choice(FIRST)} {rng.choice(LAST)}", "age_group": str(rng.choice(
            ["18-40", "40-65", "65+"]))}, "note": "Patient seen; " + ", ".join(words) + ".", "visits": int(i % 4)}
        out.append({"output": doc, "label": y, "region": REGIONS[i % 3]})
    return out


def relexicalise(records: list[dict], seed: int, clinical_too: bool = False) -> list[dict]:
    """Surrogate names (consistent per original name); ``clinical_too`` also replaces the risk words (a poor
    relexicalisation that destroys the signal)."""
    rng = np.random.default_rng(seed)
    surrogate: dict[str, str] = {}
    out = []
    for r in records:
        doc = {**r["output"], "patient": dict(r["output"]["patient"])}
        name = doc["patient"]["name"]
        doc["patient"]["name"] = surrogate.setdefault(name, f"Person{len(surrogate)} Surname{rng.integers(99)}")
        if clinical_too:
            for w in RISK + CALM:
                doc["note"] = doc["note"].replace(w, "condition")
        out.append({**r, "output": doc})
    return out


def text_of(doc: dict) -> str:  # the test's flattening: leaf values in document order
    return " ".join([doc["patient"]["name"], doc["patient"]["age_group"], doc["note"], str(doc["visits"])])


def cv_proba(records, seed, k=5):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict
    from sklearn.pipeline import make_pipeline
    from threadpoolctl import threadpool_limits

    texts = np.array([text_of(r["output"]) for r in records], dtype=object)
    y = np.array([r["label"] for r in records])
    model = make_pipeline(TfidfVectorizer(), LogisticRegression(max_iter=1000, random_state=seed))
    with threadpool_limits(limits=1):  # faster on small data; the results do not change
        return y, cross_val_predict(model, texts, y, cv=StratifiedKFold(k, shuffle=True, random_state=seed),
                                    method="predict_proba")


def reference(real, relex, seeds=(0, 1, 2), metric="auroc", group=None):
    from sklearn.metrics import accuracy_score, roc_auc_score

    def x(records, seed):
        y, p = cv_proba(records, seed)
        m = np.array([group is None or r["region"] == group for r in records])
        return roc_auc_score(y[m], p[m, 1]) if metric == "auroc" else accuracy_score(y[m], p[m].argmax(axis=1))

    x_real = np.mean([x(real, s) for s in seeds])
    x_relex = np.mean([x(relex, s) for s in seeds])
    return x_real, x_relex


def run(inputs, **params):
    inputs.params["json.clinical_model_consistency"] = params
    return get("json.clinical_model_consistency").run(inputs, Models())


def prepared(real, relex, **kw):
    return prepare_json(synthetic=relex, real=real, fields={"label": "label", "group": "region"}, **kw)


@pytest.fixture(scope="module")
def real():
    return cohort(0)


def test_good_relexicalisation_matches_the_reference(real):
    relex = relexicalise(real, 1)
    res = run(prepared(real, relex))
    x_real, x_relex = reference(real, relex)
    assert res.secondary["x_real"] == pytest.approx(x_real, abs=1e-12)
    assert res.secondary["x_relex"] == pytest.approx(x_relex, abs=1e-12)
    assert res.value == pytest.approx(abs(x_relex - x_real), abs=1e-12)
    assert x_real > 0.7  # the notes carry the signal
    rows = {r["group"]: r for r in res.breakdown}
    for g in REGIONS:
        g_real, g_relex = reference(real, relex, group=g)
        assert rows[g]["x_real"] == pytest.approx(g_real, abs=1e-12)
        assert rows[g]["gap"] == pytest.approx(abs(g_relex - g_real), abs=1e-12)
        assert rows[g]["n_real"] == 40
    assert res.secondary["max_group_gap"] == pytest.approx(max(rows[g]["gap"] for g in REGIONS))
    assert "TfidfVectorizer" in res.notes["learner"] and res.notes["parsed_values_real"] == 120


def test_poor_relexicalisation_has_a_larger_gap(real):
    good = run(prepared(real, relexicalise(real, 1)))
    poor_records = relexicalise(real, 1, clinical_too=True)
    poor = run(prepared(real, poor_records))
    x_real, x_relex = reference(real, poor_records)
    assert poor.value == pytest.approx(abs(x_relex - x_real), abs=1e-12)
    assert poor.value > good.value + 0.1


def test_identical_records_give_zero_and_accuracy(real):
    res = run(prepared(real, real), seeds=2, metric_X="accuracy")
    x_real, _ = reference(real, real, seeds=(0, 1), metric="accuracy")
    assert res.value == 0.0 and res.secondary["x_real"] == pytest.approx(x_real, abs=1e-12)
    assert res.notes["seeds"] == [0, 1]


def test_missing_labels_unparsable_unicode_and_one_class(real):
    relex = relexicalise(real, 1)
    relex[0] = {**relex[0], "label": None}  # left out, counted
    relex[1] = {**relex[1], "output": "{not json: 病歴 sepsis"}  # read as raw text
    res = run(prepared(real, relex))
    assert res.notes["no_label_relex"] == 1 and res.notes["raw_text_relex"] == 1
    assert res.value is not None and 0 <= res.value <= 1
    one_class = [{**r, "label": 1} for r in real]
    res = run(prepared(real, one_class))
    assert res.value is None and "at least two classes" in res.notes["undefined"]
    # one record of class 0 among the synthetic ones: no stratified split possible
    few = [r for r in real if r["label"] == 0][:1] + [r for r in real if r["label"] == 1][:5]
    res = run(prepared(real, few))
    assert res.value is None and "'0': 1" in res.notes["undefined"]


def test_not_applicable_and_bad_params(real):
    spec = get("json.clinical_model_consistency").spec
    assert "--real" in spec.applies(prepare_json(synthetic=real, fields={"label": "label"}))
    assert "--label-field" in spec.applies(prepare_json(synthetic=real, real=real))
    with pytest.raises(ValueError, match="metric_X"):
        run(prepared(real, real), metric_X="brier")
    with pytest.raises(ValueError, match="folds"):
        run(prepared(real, real), folds=1)
