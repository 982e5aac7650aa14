"""Human ratings of logs (survey sections 5.2, 5.3.3): logs.human_usefulness and logs.qualitative_score on
hand-worked fixtures; Krippendorff's alpha against the worked example of Krippendorff (2011) and the
``krippendorff`` package."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import synthaudit.metrics.logs.human  # noqa: F401 (registers the metrics)
from synthaudit.data.logs_prepare import prepare_logs
from synthaudit.errors import InputError
from synthaudit.metrics.logs.human import krippendorff_alpha
from synthaudit.metrics.registry import get
from synthaudit.models import Models

N = None
# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section C: 4 observers x 12 units, values 1-5,
# missing values blank. Published results: nominal 0.743, ordinal 0.815, interval 0.849, ratio 0.797.
OBSERVERS = [[1, 2, 3, 3, 2, 1, 4, 1, 2, N, N, N],
             [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, N, 3],
             [N, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, N],
             [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, N]]
UNITS = [[o[u] for o in OBSERVERS if o[u] is not None] for u in range(12)]


def test_alpha_on_krippendorffs_worked_example():
    assert krippendorff_alpha(UNITS, "interval") == pytest.approx(0.849, abs=5e-4)
    assert krippendorff_alpha(UNITS, "ordinal") == pytest.approx(0.815, abs=5e-4)


def test_alpha_against_the_krippendorff_package():
    krippendorff = pytest.importorskip("krippendorff")
    rng = np.random.default_rng(0)
    for trial in range(5):
        data = rng.integers(1, 6, size=(4, 30)).astype(float)
        data[rng.random(data.shape) < 0.2] = np.nan
        data[1] = np.where(rng.random(30) < 0.5, data[0], data[1])  # some agreement
        units = [[v for v in data[:, u] if not np.isnan(v)] for u in range(30)]
        for level in ("interval", "ordinal"):
            assert krippendorff_alpha(units, level) == pytest.approx(
                krippendorff.alpha(reliability_data=data, level_of_measurement=level), abs=1e-10), (trial, level)


def test_alpha_degenerate():
    assert krippendorff_alpha([[3, 3], [3, 3, 3]]) is None  # no variation: D_e = 0
    assert krippendorff_alpha([[1], [5]]) is None  # nothing pairable
    assert krippendorff_alpha([]) is None
    # perfect agreement with variation: alpha = 1; two units disagreeing maximally (hand: n = 4,
    # o(1,5) = o(5,1) = 2, n_1 = n_5 = 2, sum o d^2 = 2 * 2 * 16 = 64, sum n_c n_k d^2 = 2 * 2 * 2 * 16 = 128,
    # alpha = 1 - (n - 1) * 64 / 128 = -0.5)
    assert krippendorff_alpha([[1, 1], [5, 5]]) == pytest.approx(1.0)
    assert krippendorff_alpha([[1, 5], [5, 1]]) == pytest.approx(-0.5)
    with pytest.raises(ValueError):
        krippendorff_alpha(UNITS, "nominal")


def rated(values, **kw):
    frame = pd.DataFrame({"Content": [f"log line {i}" for i in range(len(values))],
                          "Ratings": pd.Series([v if v is None or isinstance(v, (int, float)) else json.dumps(v)
                                                for v in values], dtype=object)})
    return prepare_logs(synthetic=frame, fields={"human": "Ratings"}, **kw)


def run(metric_id, inputs, **params):
    inputs.params[metric_id] = params
    return get(metric_id).run(inputs, Models())


def test_ratings_hand_worked():
    values = [{"usefulness": [4, 5], "readability": 3},
              {"usefulness": [2, None, 3], "readability": [5, 4]},
              5,
              None,
              [1, 2]]
    for mid in ("logs.human_usefulness", "logs.qualitative_score"):
        res = run(mid, rated(values))
        # every rating: 4 5 3 | 2 3 5 4 | 5 | 1 2 -> 34 / 10 = 3.4
        assert res.value == pytest.approx(3.4)
        # record means: 4, 3.5, 5, (none), 1.5 -> mean of record means 14 / 4 = 3.5
        assert res.secondary["mean_of_record_means"] == pytest.approx(3.5)
        assert res.record_scores[:3] == pytest.approx([4, 3.5, 5]) and np.isnan(res.record_scores[3])
        rows = {r["question"]: r for r in res.breakdown}
        # usefulness: 4 5 2 3 -> 3.5, 4 ratings on 2 records, 3 rater positions (one missing)
        assert rows["usefulness"]["mean"] == pytest.approx(3.5) and rows["usefulness"]["n_ratings"] == 4
        assert rows["usefulness"]["n_records"] == 2 and rows["usefulness"]["n_raters"] == 3
        assert rows["usefulness"]["std"] == pytest.approx(np.std([4, 5, 2, 3], ddof=1))
        # usefulness alpha (interval): units {4,5}, {2,3}: n = 4, o = (4,5),(5,4),(2,3),(3,2) once each;
        # sum o d^2 = 4 * 1 = 4; n_c = 1 each; sum n_c n_k d^2 over ordered pairs of {2,3,4,5}:
        # 2 * (1 + 4 + 9 + 1 + 4 + 1) = 40; alpha = 1 - 3 * 4 / 40 = 0.7
        assert rows["usefulness"]["alpha_interval"] == pytest.approx(0.7)
        # readability: 3 5 4 -> 4.0; alpha over the one pairable unit {5, 4}: n = 2, o(4,5) = o(5,4) = 1,
        # sum o d^2 = 2, sum n_c n_k d^2 = 2, alpha = 1 - 1 * 2 / 2 = 0
        assert rows["readability"]["mean"] == pytest.approx(4.0) and rows["readability"]["alpha_interval"] == 0.0
        # a plain number or list is the question 'overall': 5 1 2 -> 8 / 3
        assert rows["overall"]["mean"] == pytest.approx(8 / 3) and rows["overall"]["n_raters"] == 2
        assert res.notes["no_ratings"] == 1 and res.notes["missing_ratings"] == 1
        assert res.secondary["n_ratings"] == 10 and res.secondary["n_raters"] == 3
        pooled = [[4, 5], [3], [2, 3], [5, 4], [5], [1, 2]]
        assert res.secondary["alpha"] == pytest.approx(krippendorff_alpha(pooled))
        inputs = rated(values)
        streamed = get(mid).impl.compute(inputs, Models(), batch_size=2)  # batches merge to the same result
        assert streamed.value == pytest.approx(3.4) and streamed.breakdown == res.breakdown


def test_scale_unicode_and_constant():
    values = [{"可読性": [1, 2]}, {"可読性": [2, 1]}, {"可読性": 2}]
    res = run("logs.qualitative_score", rated(values), scale=[0, 2], agreement="ordinal")
    assert res.value == pytest.approx(8 / 5)
    assert res.breakdown[0]["question"] == "可読性"
    assert res.breakdown[0]["alpha_ordinal"] == pytest.approx(krippendorff_alpha([[1, 2], [2, 1]], "ordinal"))
    const = run("logs.human_usefulness", rated([[4, 4], [4, 4, 4]]))
    assert const.value == 4.0 and const.breakdown[0]["alpha_interval"] is None and const.secondary["alpha"] is None
    empty = run("logs.human_usefulness", rated([None, None]))
    assert empty.value is None and empty.breakdown == [] and empty.notes["no_ratings"] == 2


def test_bad_ratings_name_the_record():
    with pytest.raises(InputError) as err:
        run("logs.human_usefulness", rated([3, {"usefulness": [4, 7]}]))
    text = str(err.value)
    assert "row 1" in text and "'Ratings'" in text and "outside the scale [1, 5]" in text and "usefulness" in text
    with pytest.raises(InputError, match="row 0.*a rating is a number"):
        run("logs.human_usefulness", rated([["good", 4]]))
    with pytest.raises(InputError, match="row 0"):
        run("logs.human_usefulness", rated([0]))
    with pytest.raises(ValueError, match="scale"):
        run("logs.human_usefulness", rated([3]), scale=[5, 1])
    with pytest.raises(ValueError, match="agreement"):
        run("logs.human_usefulness", rated([3]), agreement="nominal")
    no_field = prepare_logs(synthetic=pd.DataFrame({"Content": ["a"]}))
    assert "--human-field" in get("logs.qualitative_score").spec.applies(no_field)
