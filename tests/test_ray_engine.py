"""The Ray engine (issue #13) on a local Ray cluster started here (2 CPUs, a small object store, as
../shared/MODELS.md says): record and mergeable values equal the local engine's exactly on tabular, text and
dialogue data, and a worker killed mid-audit is restarted by Ray without changing the result."""
from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import pytest

ray = pytest.importorskip("ray")
psutil = pytest.importorskip("psutil")

import synthaudit  # noqa: E402
from synthaudit.errors import InputError  # noqa: E402

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


@pytest.fixture(scope="module", autouse=True)
def cluster():
    ray.init(num_cpus=2, object_store_memory=int(2e8), include_dashboard=False, log_to_driver=False,
             configure_logging=False)
    yield
    ray.shutdown()


def _values(report) -> dict:
    return {m.id: (m.status, m.value, m.secondary) for m in report.metrics}


def _same(local, remote) -> None:
    a, b = _values(local), _values(remote)
    assert a.keys() == b.keys()
    for mid in a:
        assert a[mid][0] == "ok", (mid, [m.error for m in local.metrics if m.id == mid])
        assert a[mid] == b[mid], mid


@pytest.fixture(scope="module")
def adult_files(tmp_path_factory, adult_train, adult_test):
    d = tmp_path_factory.mktemp("adult_ray")
    adult_train.iloc[:12000].to_csv(d / "real.csv", index=False)
    adult_test.iloc[:8000].to_csv(d / "syn.csv", index=False)
    return d


def test_tabular_on_ray_equals_the_local_engine(adult_files):
    common = dict(synthetic=adult_files / "syn.csv", real=adult_files / "real.csv", target="income", seed=0,
                  stream=True, batch_size=1500, sample_size=5000, checkpoint=False)
    local = synthaudit.audit("tabular", **common)
    remote = synthaudit.audit("tabular", **common, engine="ray", workers=2)
    _same(local, remote)
    assert remote.run.execution["engine"] == "ray" and remote.run.execution["workers"] == 2
    assert remote.run.execution["shards"] == 6 + 8  # 8,000 synthetic and 12,000 real rows in batches of 1,500
    assert any(m.sample for m in remote.metrics)  # global metrics on the same seeded sample


def test_text_on_ray_equals_the_local_engine_with_a_model_per_worker():
    corpus = SHARED / "text" / "self_instruct_user_oriented" / "user_oriented_instructions.jsonl"
    real = SHARED / "text" / "self_instruct_seed" / "seed_tasks.jsonl"
    if not corpus.exists():
        pytest.skip("../shared/data is not beside the repository")
    common = dict(synthetic=corpus, real=real, field="instruction", seed=0, stream=True, batch_size=50,
                  checkpoint=False, metrics=["text.distinct_n", "text.ttr", "text.ent_n", "text.self_cos_sim",
                                             "text.ext.near_duplicate_rate", "text.ext.truncation_rate",
                                             "text.ext.length_distribution"])
    local = synthaudit.audit("text", **common)
    remote = synthaudit.audit("text", **common, engine="ray", workers=2)
    _same(local, remote)


def test_dialogue_on_ray_equals_the_local_engine():
    path = SHARED / "dialogue" / "sgd" / "test_dialogues_001_flat.jsonl"
    if not path.exists():
        pytest.skip("../shared/data is not beside the repository")
    import json

    dialogues = [json.loads(line) for line in path.read_text().splitlines()[:60]]
    common = dict(synthetic=dialogues, seed=0, batch_size=12, checkpoint=False,
                  metrics=["dialogue.tsg", "dialogue.nt2t"])
    local = synthaudit.audit("dialogue", **common)
    remote = synthaudit.audit("dialogue", **common, engine="ray")
    _same(local, remote)
    assert remote.run.execution["shards"] == 5


def test_timeseries_on_ray_equals_the_local_engine():
    """Series travel to the workers as rows of the audit table (arrays in a column); the ACF and correlation states
    merge on the driver to the local values."""
    import numpy as np

    rng = np.random.default_rng(0)
    real = [rng.normal(size=(30 + i % 7, 2)).cumsum(axis=0) for i in range(40)]
    syn = [rng.normal(size=(30, 2)).cumsum(axis=0) for _ in range(40)]
    common = dict(synthetic=syn, real=real, seed=0, batch_size=9, checkpoint=False,
                  metrics=["timeseries.acf_distance", "timeseries.cross_corr_diff", "timeseries.marginal_ks"])
    local = synthaudit.audit("timeseries", **common)
    remote = synthaudit.audit("timeseries", **common, engine="ray", workers=2)
    _same(local, remote)
    assert remote.run.execution["engine"] == "ray" and remote.run.execution["shards"] == 10  # 40 + 40 series by 9


def test_reasoning_on_ray_equals_the_local_engine_with_the_sandbox_in_workers(tmp_path):
    """Math records verified and code records run in the sandbox on Ray workers: same values and the same
    failing rows (record numbers are file positions) as one process."""
    path = SHARED / "reasoning" / "gsm8k" / "test.jsonl"
    if not path.exists():
        pytest.skip("../shared/data is not beside the repository")
    import json

    rows = [json.loads(line) for line in path.read_text().splitlines()[:45]]
    rows = [dict(r, gold=r["answer"], final_answer="0" if i % 8 == 0 else None) for i, r in enumerate(rows)]
    rows += [{"task": "code", "question": f"p{i}", "program": f"def f(x):\n    return x + {i % 3}\n",
              "tests": ["assert f(1) == 2", "assert f(0) == 1"]} for i in range(9)]
    data = tmp_path / "items.jsonl"
    data.write_text("".join(json.dumps({k: v for k, v in r.items() if v is not None}) + "\n" for r in rows))
    common = dict(synthetic=data, seed=0, stream=True, batch_size=10, checkpoint=False,
                  metrics=["reasoning.acc_verify", "reasoning.pass_rate", "reasoning.val_step",
                           "reasoning.ext.duplicate_problems"],
                  params={"reasoning.val_step": {"verifier": "symbolic_executor"}})
    local = synthaudit.audit("reasoning", **common)
    remote = synthaudit.audit("reasoning", **common, engine="ray", workers=2)
    _same(local, remote)
    for a, b in zip(local.metrics, remote.metrics):
        assert a.breakdown == b.breakdown, a.id
    pr = next(m for m in remote.metrics if m.id == "reasoning.pass_rate")
    assert pr.value == pytest.approx(1 / 3)  # x + 1 passes both tests; x + 0 and x + 2 pass neither
    assert remote.run.execution["shards"] == 6


def _ray_workers() -> list[psutil.Process]:
    out = []
    for p in psutil.process_iter(["cmdline"]):
        try:
            if any("ray::_Worker" in part for part in (p.info["cmdline"] or [])):
                out.append(p)
        except psutil.Error:
            pass
    return out


def test_a_worker_killed_mid_audit_is_retried_and_the_result_is_unchanged(adult_files):
    common = dict(synthetic=adult_files / "syn.csv", real=adult_files / "real.csv", seed=0, stream=True,
                  batch_size=200, checkpoint=False,
                  metrics=["tabular.tvd", "tabular.chi2", "tabular.pearson_score", "tabular.contingency_score"])
    local = synthaudit.audit("tabular", **common)
    killed: list[int] = []
    killed_at: list[float] = []

    def kill_one() -> None:
        deadline = time.time() + 120
        while time.time() < deadline:
            workers = _ray_workers()
            if workers:
                time.sleep(0.5)  # let it take shards first
                try:
                    os.kill(workers[0].pid, signal.SIGKILL)
                    killed.append(workers[0].pid)
                    killed_at.append(time.monotonic())
                except ProcessLookupError:
                    continue
                return
            time.sleep(0.05)

    killer = threading.Thread(target=kill_one)
    killer.start()
    remote = synthaudit.audit("tabular", **common, engine="ray", workers=2)
    finished_at = time.monotonic()
    killer.join()
    assert killed, "no Ray worker was found to kill"
    assert killed_at[0] < finished_at  # killed while the audit ran
    assert not psutil.pid_exists(killed[0]) or psutil.Process(killed[0]).status() == psutil.STATUS_ZOMBIE
    assert remote.run.execution["shards"] == 40 + 60  # every shard merged once
    assert remote.run.execution["read_by_workers"] == 40 + 60  # plain CSV: the workers parsed their batches
    _same(local, remote)


def test_ray_resumes_shards_a_local_run_left_in_the_checkpoint(adult_files, tmp_path, monkeypatch):
    """Shard states do not depend on where they were computed: a partial checkpoint of a local run (every other
    shard deleted) is resumed by the Ray engine, resumed and computed shards merged in order."""
    from synthaudit.audit.execution import Checkpoint

    common = dict(synthetic=adult_files / "syn.csv", real=adult_files / "real.csv", seed=0, stream=True,
                  batch_size=1000, checkpoint=tmp_path / "ck",
                  metrics=["tabular.tvd", "tabular.chi2", "tabular.pearson_score", "tabular.ext.trivariate_tvd"])
    with monkeypatch.context() as m:
        m.setattr(Checkpoint, "done", lambda self: None)  # keep the states, as a killed run would
        local = synthaudit.audit("tabular", **common)
    files = sorted((tmp_path / "ck").glob("*/*.state"))
    assert len(files) == 8 + 12
    for f in files[::2]:
        f.unlink()
    remote = synthaudit.audit("tabular", **common, engine="ray", workers=2)
    assert remote.run.execution["resumed_shards"] == 10 and remote.run.execution["shards"] == 20
    _same(local, remote)
    assert remote.run.execution["read_by_workers"] == 20  # resumed spans are not read at all


def test_workers_read_parquet_and_csv_batches_themselves_and_a_bad_row_names_the_file(adult_files, tmp_path):
    import pandas as pd

    for name in ("syn", "real"):
        pd.read_csv(adult_files / f"{name}.csv").to_parquet(tmp_path / f"{name}.parquet", row_group_size=700)
    common = dict(synthetic=tmp_path / "syn.parquet", real=tmp_path / "real.parquet", seed=0, stream=True,
                  batch_size=1000, checkpoint=False, metrics=["tabular.tvd", "tabular.pearson_score"])
    local = synthaudit.audit("tabular", **common)
    remote = synthaudit.audit("tabular", **common, engine="ray", workers=2)
    assert remote.run.execution["read_by_workers"] == 8 + 12  # batches cut across row groups of 700
    _same(local, remote)
    text = (adult_files / "real.csv").read_text().splitlines()
    text[11000] = text[11000] + ",extra,fields"  # more fields than the header, past the rows read to infer types
    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join(text) + "\n")
    with pytest.raises(synthaudit.errors.InputError, match="bad.csv") as info:
        synthaudit.audit("tabular", synthetic=bad, real=adult_files / "syn.csv", stream=True, batch_size=1500,
                         checkpoint=False, metrics=["tabular.tvd"], engine="ray", workers=2)
    assert "row 11001" in str(info.value)  # the file's own line number, as reading the whole file gives
    assert not list((tmp_path / "ck").glob("*/*.state"))


def test_actors_start_early_and_a_failed_audit_leaves_none(adult_files, tmp_path, monkeypatch):
    """The actors start before the inputs are read (ray_engine.WarmPool); an audit that fails on its input (a
    file that does not exist) still kills them: with the pool still referenced here (so that dropping the handles
    cannot be what stops them), it is closed and no ray::_Worker process is left."""
    from synthaudit.audit import ray_engine

    pools, original = [], ray_engine.WarmPool.__init__

    def spy(self, execution, modality):
        original(self, execution, modality)
        pools.append(self)

    monkeypatch.setattr(ray_engine.WarmPool, "__init__", spy)
    with pytest.raises(InputError):
        synthaudit.audit("tabular", synthetic=tmp_path / "missing.csv", real=adult_files / "real.csv", engine="ray",
                         workers=2, stream=True, metrics=["tabular.tvd"])
    assert len(pools) == 1 and len(pools[0].actors) == 2 and pools[0].closed
    deadline = time.monotonic() + 20
    while _ray_workers() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _ray_workers()


def test_a_worker_imports_only_the_modules_of_its_metrics():
    """registry.metrics_of (what a Ray worker sets itself up with): the metrics' own modules, not every
    modality's (1.5 CPU s of imports; the tabular ones 0.6); an id they do not register loads every modality."""
    import subprocess
    import sys

    code = ("import sys; from synthaudit.metrics.registry import metrics_of; "
            "m = metrics_of(['tabular.tvd'], ['synthaudit.metrics.tabular.fidelity']); "
            "print(m['tabular.tvd'].id, 'synthaudit.metrics.text.diversity' in sys.modules); "
            "m = metrics_of(['text.distinct_n'], []); "
            "print(m['text.distinct_n'].id, 'synthaudit.metrics.text.diversity' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["tabular.tvd", "False", "text.distinct_n", "True"]


def test_the_real_ranges_pre_pass_runs_on_the_workers(adult_files, tmp_path):
    """The contingency, trivariate and CondShift bins need the real ranges before any shard counts: on Ray the
    actors map their CSV spans to (min, max) and the driver reduces (metrics.prepass); values and breakdowns equal
    the local engine's. A bad row in the real file is left to the driver's own pass: the same error as local."""
    metrics = ["tabular.contingency_score", "tabular.ext.trivariate_tvd", "tabular.cond_shift"]
    common = dict(synthetic=adult_files / "syn.csv", real=adult_files / "real.csv", seed=0, stream=True,
                  batch_size=1500, checkpoint=False, metrics=metrics, protected="sex", target="age")
    local = synthaudit.audit("tabular", **common)
    remote = synthaudit.audit("tabular", **common, engine="ray", workers=2)
    assert "features: pre-passes on the workers" in {t["label"] for t in remote.shared_time}
    assert "features: pre-passes on the workers" not in {t["label"] for t in local.shared_time}
    _same(local, remote)
    for mid in metrics:
        assert remote.result(mid).breakdown == local.result(mid).breakdown, mid
    text = (adult_files / "real.csv").read_text().splitlines()
    text[9000] = text[9000] + ",extra,fields"
    bad = tmp_path / "bad_real.csv"
    bad.write_text("\n".join(text) + "\n")
    errors = []
    for engine in ({}, {"engine": "ray", "workers": 2}):
        with pytest.raises(synthaudit.errors.InputError, match="bad_real.csv") as info:
            synthaudit.audit("tabular", **{**common, "real": bad}, **engine)
        errors.append(str(info.value))
    assert errors[0] == errors[1] and "row 9001" in errors[0]


def test_real_ranges_reduce_is_exact_in_any_grouping():
    """features.REAL_RANGES by hand: (min, max) per column over batches with NaN, an all-missing column and an
    empty batch; regrouping the batches gives the same value."""
    import numpy as np
    import pandas as pd

    from synthaudit.metrics.tabular.features import REAL_RANGES

    cols = ["a", "b"]
    batches = [pd.DataFrame({"a": [3.0, np.nan, -1.5], "b": [np.nan] * 3}), pd.DataFrame({"a": [], "b": []}),
               pd.DataFrame({"a": [7.25, 0.0], "b": [np.nan, np.nan]})]
    parts = [REAL_RANGES.map(b, cols) for b in batches]
    lo, hi = REAL_RANGES.reduce(parts)
    assert lo.tolist() == [-1.5, np.inf] and hi.tolist() == [7.25, -np.inf]
    lo2, hi2 = REAL_RANGES.reduce([REAL_RANGES.reduce(parts[:2]), parts[2]])
    assert lo2.tolist() == lo.tolist() and hi2.tolist() == hi.tolist()
