"""CodedCounts (stats.counts; issue #13): the contingency and trivariate scores' count state as arrays.

References: a hand-worked two-shard fixture (counts and the order cells are first counted in), pandas
``value_counts`` on the concatenated rows (missing values replaced by the MISSING label first), and the Counter fold
the state replaces (``count_tuples`` per batch, ``Counter.update`` in batch order: same keys, counts and key order,
so ``tvd`` sums in the same order). Metric level: the local engine's batch-by-batch update and the sharded run's
merge give identical values, breakdowns and notes; one pass in memory gives the same counts.
"""
from __future__ import annotations

import pickle
from collections import Counter

import numpy as np
import pandas as pd
import pytest

import synthaudit
from synthaudit.audit import transport
from synthaudit.stats.counts import (MISSING, CodedCounts, _row_ids, category_codes, coded_cells, count_tuples,
                                     merge_counts, tvd)

PAIRS = [("a", "b"), ("a", "k"), ("b", "k")]
TRIPLES = [("a", "b", "k")]


def shards() -> list[pd.DataFrame]:
    """Two shards and an empty one: NaN and None, unicode labels, categories of the second shard unseen in the
    first, a constant column ``k``."""
    one = pd.DataFrame({"a": ["x", "y", np.nan, "x"], "b": ["p", "p", "q", "p"], "k": ["κ"] * 4})
    two = pd.DataFrame({"a": ["é", "x"], "b": ["p", None], "k": ["κ"] * 2})
    return [one, one.iloc[:0], two]


def counted(tables, frames) -> CodedCounts:
    out = CodedCounts(tables)
    for f in frames:
        out.update({c: category_codes(f[c]) for c in out.columns})
    return out


def counter_fold(tables, frames) -> dict:
    """The Counter fold CodedCounts replaces: per batch count_tuples, Counter.update in batch order."""
    out = {t: Counter() for t in tables}
    for f in frames:
        for t in tables:
            out[t].update(count_tuples(*(f[c] for c in t)))
    return out


def test_hand_worked_counts_and_order():
    got = counted(PAIRS, shards()).counters()
    # shard 1 codes: a = [MISSING, x, y], b = [MISSING, p, q]: cells ascending (0,2) (1,1) (2,1); shard 2 adds
    # a = [MISSING, é, x], b = [MISSING, p]: (1,1) = (é, p), (2,0) = (x, MISSING); (x, p) gets its second row
    assert list(got[("a", "b")].items()) == [((MISSING, "q"), 1), (("x", "p"), 2), (("y", "p"), 1), (("é", "p"), 1),
                                             (("x", MISSING), 1)]
    assert list(got[("b", "k")].items()) == [(("p", "κ"), 4), (("q", "κ"), 1), ((MISSING, "κ"), 1)]
    merged = counted(PAIRS, shards()[:2]).merge(counted(PAIRS, shards()[2:]))
    assert {t: list(c.items()) for t, c in merged.counters().items()} == {t: list(c.items()) for t, c in got.items()}


@pytest.mark.parametrize("tables", [PAIRS, TRIPLES])
def test_merge_equals_counting_the_concatenation(tables):
    frames = shards()
    whole = pd.concat(frames, ignore_index=True)
    merged = CodedCounts(tables)
    for f in frames:  # one state per shard, folded in shard order, each through a pickle (as from a worker)
        merged.merge(pickle.loads(pickle.dumps(counted(tables, [f]))))
    in_one = counted(tables, [whole]).counters()
    fold = counter_fold(tables, frames)
    for t in tables:
        cols = list(t)
        reference = whole[cols].astype(object).where(whole[cols].notna(), MISSING).value_counts(dropna=False)
        assert merged.counters()[t] == Counter(reference.to_dict()) == in_one[t], t
        assert list(merged.counters()[t].items()) == list(fold[t].items()), t  # the order tvd sums in


def test_merge_keeps_the_counter_folds_order_on_random_batches():
    """Many batches, categories in a different first-seen order in each, merged into a running state: the same
    Counters, in the same key order, as the Counter fold; tvd is bitwise the same."""
    rng = np.random.default_rng(3)
    labels = ["α", "β", "γ", "δ", "ε", None]
    frames = [pd.DataFrame({"a": rng.choice(labels[: 3 + i % 4], 40), "b": rng.integers(0, 2 + i, 40),
                            "k": rng.choice(["u", np.nan], 40)}) for i in range(9)]
    for tables in (PAIRS, TRIPLES):
        fold = counter_fold(tables, frames)
        state = CodedCounts(tables)
        for f in frames:
            state.merge(counted(tables, [f]))
        streamed = counted(tables, frames)
        for t in tables:
            for got in (state.counters()[t], streamed.counters()[t]):
                assert list(got.items()) == list(fold[t].items())
        half = counter_fold(tables, frames[:4])
        for t in tables:
            assert tvd(state.counters()[t], half[t]) == tvd(fold[t], half[t])


def test_missing_label_and_a_missing_value_are_one_category():
    """A literal "(missing)" value and a missing value share MISSING (as count_values); both rows count."""
    f = pd.DataFrame({"a": [MISSING, None, "x"], "b": ["p", "p", "p"]})
    assert counted([("a", "b")], [f]).counters()[("a", "b")] == Counter({(MISSING, "p"): 2, ("x", "p"): 1})


def test_pickle_is_compact_and_passes_the_state_file_check():
    state = counted(TRIPLES, shards())
    back = transport.loads(transport.dumps(state, None, None), None, None, restricted=True)
    assert back.counters() == state.counters() and back.tables == state.tables
    blob = state.__getstate__()
    assert blob["keys"].dtype == np.uint8 and blob["counts"].dtype == np.uint8
    back.update({c: category_codes(shards()[0][c]) for c in back.columns})  # the vocabulary index is rebuilt
    assert back.counters()[TRIPLES[0]][("x", "p", "κ")] == 4


def test_a_state_written_before_coded_counts_merges():
    """A checkpoint written by the Counter version holds Counters per table: merged as the same counts."""
    frames = shards()
    old = {"pairs": PAIRS, "real": counter_fold(PAIRS, frames[2:])}
    new = {"pairs": PAIRS, "real": counted(PAIRS, frames[:2])}
    merged = merge_counts(new, old, "pairs", ("real",))["real"].counters()
    assert merged == counter_fold(PAIRS, frames)


def test_huge_code_spaces_count_and_match_exactly():
    """Code spaces beyond int64: coded_cells sorts the code rows, _row_ids renumbers; same results."""
    codes = [np.array([5, 1, 5, 0]), np.array([2**40, 7, 2**40, 7]), np.array([3, 3, 3, 2**35])]
    cells, counts = coded_cells(codes, [6, 2**41, 2**36])
    assert cells.tolist() == [[0, 7, 2**35], [1, 7, 3], [5, 2**40, 3]] and counts.tolist() == [1, 1, 2]
    keys = np.array([[0, 2**40, 5, 9], [0, 2**40, 5, 9], [0, 2**40, 6, 9], [1, 0, 5, 9]])
    ids = _row_ids(keys, [2, 2**41, 2**41, 2**41])
    assert ids[0] == ids[1] and len(set(ids.tolist())) == 3


def test_tables_must_agree():
    with pytest.raises(ValueError, match="different tables"):
        CodedCounts(PAIRS).merge(counted(PAIRS[:1], shards()))


# -- metric level -------------------------------------------------------------------------------------------------
METRICS = ["tabular.contingency_score", "tabular.ext.trivariate_tvd"]


def _tables():
    rng = np.random.default_rng(7)

    def frame(n: int, cities: list, shift: float) -> pd.DataFrame:
        return pd.DataFrame({"city": rng.choice(cities, n), "plan": rng.choice(["basic", "plus", None], n),
                             "const": ["même"] * n, "income": rng.normal(40 + shift, 8, n).round(1),
                             "age": np.where(rng.random(n) < 0.1, np.nan, rng.integers(18, 80, n))})
    return frame(600, ["Zürich", "Köln", "Oslo"], 0.0), frame(500, ["Köln", "Oslo", "Łódź", "東京"], 3.0)


def _result(rep, mid) -> tuple:
    r = rep.result(mid)
    return r.value, r.breakdown, r.notes, r.secondary


def test_sharded_merge_equals_the_streamed_update_and_one_pass(tmp_path):
    real, syn = _tables()
    real.to_csv(tmp_path / "real.csv", index=False)
    syn.to_csv(tmp_path / "syn.csv", index=False)
    files = dict(synthetic=tmp_path / "syn.csv", real=tmp_path / "real.csv", metrics=METRICS, seed=0)
    streamed = synthaudit.audit("tabular", **files, stream=True, batch_size=70, checkpoint=False)
    sharded = synthaudit.audit("tabular", **files, stream=True, batch_size=70, checkpoint=tmp_path / "ck")
    assert streamed.run.execution is None and sharded.run.execution["shards"] == 9 + 8
    one = synthaudit.audit("tabular", **files)
    for mid in METRICS:
        assert sharded.result(mid).status == "ok", sharded.result(mid).error
        assert _result(sharded, mid) == _result(streamed, mid), mid  # merged in batch order: identical
        a, b = sharded.result(mid), one.result(mid)
        assert a.value == pytest.approx(b.value, rel=1e-12) and a.notes == b.notes, mid  # sums in another order
        cells = [{k: v for k, v in row.items() if "value" not in k} for row in a.breakdown]
        assert cells == [{k: v for k, v in row.items() if "value" not in k} for row in b.breakdown], mid


def test_contingency_from_statistics_sharded_equals_in_memory(tmp_path):
    """Audit from statistics: the real joint counts (a Counter per pair, small cells pooled under SUPPRESSED) are
    fixed; the synthetic side is merged shard by shard. Sharded == in memory, breakdown and notes included."""
    from synthaudit.modalities.tabular.statistics import profile

    real, syn = _tables()
    profile(real, tmp_path / "stats", num_bins=4)
    syn.to_csv(tmp_path / "syn.csv", index=False)
    common = dict(real_stats=tmp_path / "stats", metrics=["tabular.contingency_score"],
                  params={"tabular.contingency_score": {"num_bins": 4}})
    one = synthaudit.audit("tabular", synthetic=syn, **common)
    sharded = synthaudit.audit("tabular", synthetic=tmp_path / "syn.csv", **common, stream=True, batch_size=70,
                               checkpoint=tmp_path / "ck")
    assert sharded.run.execution["shards"] == 8
    a, b = sharded.result("tabular.contingency_score"), one.result("tabular.contingency_score")
    assert a.status == b.status == "ok" and a.notes["statistics"]["exact"] is False  # some cells suppressed
    assert a.value == pytest.approx(b.value, rel=1e-12) and a.notes == b.notes
    assert [{k: v for k, v in r.items() if k != "value"} for r in a.breakdown] == \
        [{k: v for k, v in r.items() if k != "value"} for r in b.breakdown]
