"""Mergeable metrics give the same value from a stream of chunks, from merged shards and in one piece."""
from __future__ import annotations

import pandas as pd
import pytest

import synthaudit
from conftest import copula_synthetic
from synthaudit.data.tabular_inputs import prepare_tabular
from synthaudit.metrics.registry import all_metrics
from synthaudit.models import Models

MERGEABLE = ["tabular.tvd", "tabular.chi2", "tabular.pearson_score", "tabular.contingency_score"]


def chunks(frame: pd.DataFrame, size: int):
    for start in range(0, len(frame), size):
        yield frame.iloc[start:start + size]


@pytest.fixture(scope="module")
def tables(adult_train):
    real = adult_train.sample(3000, random_state=4).reset_index(drop=True)
    syn = copula_synthetic(real, seed=5, n=2500)
    return real, syn


def test_registered_kinds():
    kinds = {m.id: m.spec.computation for m in all_metrics().values()}
    assert all(kinds[m] == "mergeable" for m in MERGEABLE)
    assert kinds["tabular.kst"] == "global"


def test_stream_of_chunks_equals_one_piece(tables):
    real, syn = tables
    whole = synthaudit.audit("tabular", synthetic=syn, real=real, metrics=MERGEABLE)
    streamed = synthaudit.audit("tabular", synthetic=chunks(syn, 333), real=chunks(real, 517), metrics=MERGEABLE,
                                batch_size=211)
    for mid in MERGEABLE:
        assert streamed.value(mid) == pytest.approx(whole.value(mid), rel=1e-12, abs=1e-14), mid
        # field by field: pytest >= 9.2's approx refuses a list of dicts
        assert _same_breakdown(streamed.result(mid).breakdown, whole.result(mid).breakdown), mid
    rows = {i.role: i.rows for i in streamed.inputs}
    assert rows["synthetic"] == len(syn) and rows["real_reference"] == len(real)


def _same_breakdown(a, b):
    assert len(a) == len(b)
    for ra, rb in zip(a, b):
        for k in ra:
            if isinstance(ra[k], float):
                assert ra[k] == pytest.approx(rb[k], rel=1e-10, abs=1e-13)
            else:
                assert ra[k] == rb[k]
    return True


def test_merge_of_shards_equals_one_piece(tables):
    """init/update on two shards separately, merge, finalize == the single pass (what Ray shards do)."""
    real, syn = tables
    inputs = prepare_tabular(synthetic=syn, real=real)
    models = Models.default()
    for mid in MERGEABLE:
        impl = all_metrics()[mid].impl
        one = impl.compute(inputs, models)
        a, b = impl.init(inputs, models), impl.init(inputs, models)
        for role, frame in (("real_reference", real), ("synthetic", syn)):
            coerced = inputs.table_spec.coerce(frame)
            half = len(coerced) // 3
            a = impl.update(a, role, coerced.iloc[:half])
            b = impl.update(b, role, coerced.iloc[half:])
        merged = impl.finalize(impl.merge(a, b), inputs, models)
        assert merged.value == pytest.approx(one.value, rel=1e-12, abs=1e-14), mid


def test_streamed_csv_files_equal_in_memory(tables, tmp_path):
    real, syn = tables
    real.to_csv(tmp_path / "real.csv", index=False)
    syn.to_csv(tmp_path / "syn.csv", index=False)
    whole = synthaudit.audit("tabular", synthetic=tmp_path / "syn.csv", real=tmp_path / "real.csv")
    streamed = synthaudit.audit("tabular", synthetic=tmp_path / "syn.csv", real=tmp_path / "real.csv",
                                stream=True, batch_size=400)
    for mid in MERGEABLE + ["tabular.kst"]:
        assert streamed.value(mid) == pytest.approx(whole.value(mid), rel=1e-12, abs=1e-14), mid
    sha = {i.role: i.sha256 for i in streamed.inputs}
    assert sha == {i.role: i.sha256 for i in whole.inputs}
