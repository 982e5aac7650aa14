"""Time that no metric owns (model loading, shared features) is reported on its own line, not charged to the
first metric that asks for it; every metric records CPU seconds beside wall seconds."""
from __future__ import annotations

import time

import pytest

import synthaudit
from synthaudit.metrics import registry as reg
from synthaudit.metrics.registry import register
from synthaudit.metrics.result import MetricResult
from synthaudit.timing import ledger, shared, total

SLEEP = 0.4


@pytest.fixture
def temp_registry(monkeypatch):
    reg.all_metrics()
    monkeypatch.setattr(reg, "_REGISTRY", dict(reg._REGISTRY))
    return reg._REGISTRY


def test_nested_sections_count_once():
    with ledger() as book:
        with shared("outer"):
            with shared("inner"):
                time.sleep(0.05)
    assert list(book) == ["outer"] and total(book)[0] >= 0.05
    with shared("outside a ledger"):  # no-op
        pass


def test_shared_feature_time_is_not_charged_to_the_metric(temp_registry, wine):
    for mid in ("tabular.kst", "tabular.tvd"):
        temp_registry.pop(mid)

    def slow_feature() -> int:
        time.sleep(SLEEP)  # a shared feature (e.g. an embedding pass) that both metrics use
        return 1

    def make(mid: str):
        @register(id=mid, name=mid, modality="tabular", pillar="quality", dimension="fidelity", section="4.2",
                  direction="lower_better", range=(0.0, 1.0), inputs=("synthetic", "real_reference"),
                  computation="global", registry=temp_registry)
        def metric(inputs, models) -> MetricResult:
            inputs.features.get("demo.slow", slow_feature)
            return MetricResult(value=0.0)

    make("tabular.kst")
    make("tabular.tvd")
    rep = synthaudit.audit("tabular", synthetic=wine, real=wine, metrics=["tabular.kst", "tabular.tvd"])
    times = {m.id: m.wall_time_s for m in rep.metrics}
    assert max(times.values()) < SLEEP / 2, times  # neither metric pays for the shared feature
    shared_rows = {s["label"]: s for s in rep.shared_time}
    assert shared_rows["features: demo.slow"]["wall_s"] >= SLEEP
    assert all(m.cpu_time_s is not None and m.cpu_time_s >= 0 for m in rep.metrics)


def test_model_loading_is_shared_time():
    dialogues = [{"turns": [{"role": "user", "content": "Hi there."}, {"role": "assistant", "content": f"Hello {i}."}]}
                 for i in range(5)]
    rep = synthaudit.audit("dialogue", synthetic=dialogues, metrics=["dialogue.tsg"])
    assert any(s["label"].startswith("loading toxicity") for s in rep.shared_time), rep.shared_time
