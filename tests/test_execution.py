"""Streamed, sharded and resumable audits (issue #13): the seeded sample of the global metrics, shard states
merged in order (equal to one pass), checkpoints that resume after kill -9, state files that are checked
before they are read, and a streamed file five times larger than the process's memory limit."""
from __future__ import annotations

import json
import os
import pickle
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import synthaudit
from synthaudit.audit import transport
from synthaudit.audit.reservoir import Reservoir
from synthaudit.errors import InputError, UsageError

MERGEABLE = ["tabular.chi2", "tabular.tvd", "tabular.pearson_score", "tabular.contingency_score",
             "tabular.ext.trivariate_tvd"]


@pytest.fixture(scope="module")
def adult_files(tmp_path_factory, adult_train, adult_test):
    d = tmp_path_factory.mktemp("adult")
    adult_train.iloc[:9000].to_csv(d / "real.csv", index=False)
    adult_test.iloc[:7000].to_csv(d / "syn.csv", index=False)
    return d


# -- the seeded sample ------------------------------------------------------------------------------------------
def test_reservoir_is_independent_of_batch_boundaries_and_merges_exactly():
    df = pd.DataFrame({"x": np.arange(5000), "y": np.random.default_rng(1).normal(size=5000)})
    whole = Reservoir(700, seed=3, label="synthetic")
    whole.add(df)
    streamed = Reservoir(700, seed=3, label="synthetic")
    for start in range(0, 5000, 333):
        streamed.add(df.iloc[start:start + 333])
    pd.testing.assert_frame_equal(whole.frame(), streamed.frame())
    assert len(whole.frame()) == 700 and whole.sampled and whole.note()["of"] == 5000
    assert whole.frame()["x"].is_monotonic_increasing  # table order kept
    other = Reservoir(700, seed=4, label="synthetic")
    other.add(df)
    assert not other.frame().equals(whole.frame())  # the seed decides


def test_reservoir_is_a_uniform_sample():
    """Inclusion frequency of each position over many seeds is k/n (binomial bound, 5 sd)."""
    n, k, seeds = 200, 50, 400
    counts = np.zeros(n)
    df = pd.DataFrame({"i": np.arange(n)})
    for s in range(seeds):
        r = Reservoir(k, seed=s, label="t")
        r.add(df)
        counts[r.frame()["i"].to_numpy()] += 1
    p = k / n
    sd = np.sqrt(seeds * p * (1 - p))
    assert np.abs(counts - seeds * p).max() < 5 * sd
    assert counts.sum() == k * seeds


def test_small_table_is_kept_whole_and_not_marked():
    r = Reservoir(100, seed=0, label="t")
    r.add(pd.DataFrame({"a": range(60)}))
    assert not r.sampled and len(r.frame()) == 60


# -- shards, equal to one pass ----------------------------------------------------------------------------------
def _values(report) -> dict:
    return {m.id: m.value for m in report.metrics}


def test_sharded_local_audit_equals_one_pass_and_global_metrics_are_sampled(adult_files, tmp_path):
    common = dict(synthetic=adult_files / "syn.csv", real=adult_files / "real.csv", target="income", seed=0)
    one_pass = synthaudit.audit("tabular", **common)
    batched = synthaudit.audit("tabular", **common, stream=True, batch_size=1000, sample_size=2000,
                               checkpoint=False)
    sharded = synthaudit.audit("tabular", **common, stream=True, batch_size=1000, sample_size=2000,
                               checkpoint=tmp_path / "ck")
    a, b = _values(one_pass), _values(sharded)
    assert batched.run.execution is None
    for mid in MERGEABLE:
        assert _values(batched)[mid] == b[mid], mid  # the same batches, merged in order: identical
        # one pass over the whole table sums the moments in another order: equal to rounding
        assert a[mid] is not None and b[mid] == pytest.approx(a[mid], rel=1e-9, abs=1e-12), mid
    execution = sharded.run.execution
    assert execution["engine"] == "local" and execution["shards"] == 16 and execution["resumed_shards"] == 0
    by_id = {m.id: m for m in sharded.metrics}
    assert by_id["tabular.kst"].sample["synthetic"] == {"rows": 2000, "of": 7000, "seed": 0,
                                                       "method": "seeded bottom-k sample by row position"}
    assert by_id["tabular.kst"].sample["real_reference"]["of"] == 9000
    assert by_id["tabular.tvd"].sample is None
    # the sampled KS is within the DKW bound of the full-data one: each sample's ECDF is within
    # eps = sqrt(ln(2/alpha) / 2k) of its table's (Serfling: sampling without replacement is no worse), so the
    # statistic (and the mean over columns, tabular.kst) moves by at most eps_synthetic + eps_real
    eps = 2 * np.sqrt(np.log(2 / 1e-4) / (2 * 2000))
    assert abs(b["tabular.kst"] - a["tabular.kst"]) <= eps
    from synthaudit.analysis.gaps import sample_note

    assert sample_note(by_id["tabular.kst"]) == "synthetic: 2,000 of 7,000 rows; real_reference: 2,000 of 9,000 rows"
    assert sample_note(by_id["tabular.tvd"]) is None  # the coverage mark is △ only for what was sampled
    assert not (tmp_path / "ck").exists() or not any((tmp_path / "ck").iterdir())  # removed when done
    # a sample as large as the table: every row, nothing marked, the one-pass value
    whole = synthaudit.audit("tabular", **common, stream=True, batch_size=1000, metrics=["tabular.kst"])
    assert whole.metrics[0].sample is None and whole.metrics[0].value == a["tabular.kst"]
    assert _values(batched)["tabular.kst"] == b["tabular.kst"]  # the same seeded sample


def test_bad_execution_options_are_one_clear_error():
    with pytest.raises(UsageError, match="unknown engine 'spark'"):
        synthaudit.audit("tabular", synthetic=pd.DataFrame({"a": [1]}), engine="spark")
    with pytest.raises(UsageError, match="need --engine ray"):
        synthaudit.audit("tabular", synthetic=pd.DataFrame({"a": [1]}), workers=2)
    with pytest.raises(UsageError, match="sample size"):
        synthaudit.audit("tabular", synthetic=pd.DataFrame({"a": [1]}), sample_size=-1)


def test_engine_ray_without_ray_is_a_clear_cli_message(adult_files, tmp_path):
    code = ("import sys; sys.modules['ray'] = None\n"
            "from synthaudit.cli import main\n"
            f"sys.argv = ['synthaudit', 'audit', 'tabular', '-s', {str(adult_files / 'syn.csv')!r}, "
            f"'-o', {str(tmp_path / 'o')!r}, '--engine', 'ray']\nmain()")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0
    assert "pip install 'synthaudit[distributed]'" in proc.stderr + proc.stdout
    assert "Traceback" not in proc.stderr


# -- state files --------------------------------------------------------------------------------------------------
class _Evil:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


def test_state_files_are_authenticated_and_restricted(tmp_path):
    path = tmp_path / "s.state"
    transport.write_state_file(path, {"counts": np.arange(3), "n": 3}, None, None)
    assert transport.read_state_file(path, None, None)["n"] == 3
    data = bytearray(path.read_bytes())
    data[-5] ^= 1  # one flipped bit
    path.write_bytes(bytes(data))
    with pytest.raises(InputError, match="not written by synthaudit"):
        transport.read_state_file(path, None, None)
    with pytest.raises(pickle.UnpicklingError, match="may not name"):  # even a file that carries our MAC
        transport.loads(pickle.dumps(_Evil()), None, None, restricted=True)


def test_states_refer_to_inputs_and_models_without_carrying_them():
    class Big:
        pass

    inputs, models = Big(), Big()
    inputs.features = Big()
    blob = transport.dumps({"inputs": inputs, "models": models, "x": 1}, inputs, models)
    assert len(blob) < 200
    other_inputs, other_models = Big(), Big()
    back = transport.loads(blob, other_inputs, other_models)
    assert back["inputs"] is other_inputs and back["models"] is other_models


# -- resume after kill -9 -----------------------------------------------------------------------------------------
def _cli(*args: str | Path) -> list[str]:
    return [sys.executable, "-m", "synthaudit", *map(str, args)]


def test_killed_audit_resumes_from_its_checkpoint_with_identical_results(adult_train, tmp_path):
    rng = np.random.default_rng(0)
    big = adult_train.iloc[rng.integers(0, len(adult_train), 50_000)]
    big.to_csv(tmp_path / "syn.csv", index=False)
    adult_train.to_csv(tmp_path / "real.csv", index=False)
    args = ["audit", "tabular", "-s", tmp_path / "syn.csv", "-r", tmp_path / "real.csv", "--stream",
            "--batch-size", "500", "--metrics", "tabular.tvd,tabular.chi2,tabular.pearson_score", "--quiet"]
    out = tmp_path / "out"
    proc = subprocess.Popen(_cli(*args, "-o", out), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 240
    states: list[Path] = []
    while time.time() < deadline and proc.poll() is None:
        states = list(out.glob(".synthaudit-checkpoint/*/*.state"))
        if len(states) >= 20:
            break
        time.sleep(0.01)
    assert proc.poll() is None, "the audit finished before it could be killed: make the data larger"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    written = len(list(out.glob(".synthaudit-checkpoint/*/*.state")))
    assert written >= 20 and not (out / "report.json").exists()
    subprocess.run(_cli(*args, "-o", out), check=True, capture_output=True, timeout=600)
    resumed = json.loads((out / "report.json").read_text())
    assert resumed["run"]["execution"]["resumed_shards"] >= written - 1  # the last may have been half-written
    assert not list(out.glob(".synthaudit-checkpoint/*/*.state"))
    fresh = tmp_path / "fresh"
    subprocess.run(_cli(*args, "-o", fresh, "--no-checkpoint"), check=True, capture_output=True, timeout=600)
    expected = json.loads((fresh / "report.json").read_text())
    assert expected["run"]["execution"] is None
    assert {m["id"]: m["value"] for m in resumed["metrics"]} == {m["id"]: m["value"] for m in expected["metrics"]}


# -- a file five times larger than the memory limit -----------------------------------------------------------------
LIMITED = r"""
import gc, resource, sys, json
import synthaudit
small, big, target_mb = sys.argv[1], sys.argv[2], int(sys.argv[3])
metrics = ["tabular.tvd", "tabular.contingency_score", "tabular.pearson_score", "tabular.kst"]
warm = synthaudit.audit("tabular", synthetic=small, real=small, metrics=metrics)  # imports and compiled kernels
del warm
gc.collect()

def headroom():
    mb = 0
    while mb < 4000:
        try:
            block = bytearray((mb + 4) * 2**20)
            del block
            mb += 4
        except MemoryError:
            return mb
    return mb

vm = int(next(l for l in open("/proc/self/status") if l.startswith("VmSize")).split()[1]) * 1024
limit = vm + target_mb * 2**20
for _ in range(8):  # memory the process had reserved but not used also counts: lower the limit until it holds
    resource.setrlimit(resource.RLIMIT_AS, (limit, resource.RLIM_INFINITY))
    room = headroom()
    if room <= target_mb:
        break
    limit -= (room - target_mb) * 2**20
print(json.dumps({"headroom_mb": room}), flush=True)
rep = synthaudit.audit("tabular", synthetic=big, real=small, metrics=metrics, stream=True, batch_size=20000,
                       sample_size=20000, checkpoint=False)
print(json.dumps({m.id: [m.value, m.status, m.error, m.sample] for m in rep.metrics}))
"""


def test_streaming_a_file_five_times_the_memory_limit(adult_train, tmp_path):
    small = tmp_path / "small.csv"
    adult_train.to_csv(small, index=False)
    limit_mb = 80
    text = small.read_text()
    header, body = text.split("\n", 1)
    repeats = int(np.ceil(5 * limit_mb * 2**20 / len(body)))
    big = tmp_path / "big.csv"
    with open(big, "w") as f:
        f.write(header + "\n")
        for _ in range(repeats):
            f.write(body)
    assert big.stat().st_size > 5 * limit_mb * 2**20
    env = {**os.environ, "MALLOC_ARENA_MAX": "2", "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
           "NUMBA_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    proc = subprocess.run([sys.executable, "-c", LIMITED, str(small), str(big), str(limit_mb)], capture_output=True,
                          text=True, timeout=900, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = proc.stdout.strip().splitlines()
    room = json.loads(lines[-2])["headroom_mb"]
    assert 0 < room <= limit_mb and big.stat().st_size > 5 * room * 2**20  # the whole file could not fit
    got = json.loads(lines[-1])
    expected = _values(synthaudit.audit("tabular", synthetic=small, real=small,
                                        metrics=["tabular.tvd", "tabular.contingency_score", "tabular.pearson_score"]))
    for mid, value in expected.items():  # the big file is the small one repeated: the same distribution
        assert got[mid][1] == "ok", got[mid]
        assert got[mid][0] == pytest.approx(value, rel=1e-9, abs=1e-12), mid
    kst = got["tabular.kst"]
    assert kst[1] == "ok" and kst[3]["synthetic"]["rows"] == 20000 and kst[3]["synthetic"]["of"] == repeats * len(
        adult_train)


def test_cli_streamed_audit_marks_sampled_metrics_and_names_the_engine(adult_files, tmp_path):
    out = tmp_path / "o"
    proc = subprocess.run(_cli("audit", "tabular", "-s", adult_files / "syn.csv", "-r", adult_files / "real.csv",
                               "-o", out, "--stream", "--batch-size", "2000", "--sample-size", "1500",
                               "--metrics", "tabular.tvd,tabular.kst"),
                          capture_output=True, text=True, timeout=300, env={**os.environ, "COLUMNS": "200"})
    assert proc.returncode == 0, proc.stderr
    assert "† on a seeded sample of rows (synthetic 1,500 of 7,000, real_reference 1,500 of 9,000" in proc.stdout
    assert "engine: local, 1 worker(s), 9 shards" in proc.stdout
    report = json.loads((out / "report.json").read_text())
    kst = next(m for m in report["metrics"] if m["id"] == "tabular.kst")
    assert kst["sample"]["synthetic"]["rows"] == 1500
    html = (out / "report.html").read_text()
    assert "computed on a seeded sample of rows: synthetic 1,500 of 7,000" in html
    assert "local engine, 1 worker(s), 9 shards" in html
    both = subprocess.run(_cli("audit", "tabular", "-s", adult_files / "syn.csv", "-o", tmp_path / "p",
                               "--checkpoint", tmp_path / "c", "--no-checkpoint"), capture_output=True, text=True)
    assert both.returncode != 0 and "not both" in both.stderr + both.stdout and "Traceback" not in both.stderr


def test_streamed_files_are_counted_not_loaded_so_model_samples_keep_their_rate(tmp_path):
    from synthaudit.data.inputs import AuditInputs
    from synthaudit.data.tabular import Table
    from synthaudit.metrics.sampling import Sampler

    frame = pd.DataFrame({"text": [f"record {i} é" for i in range(10)]})
    (tmp_path / "a.jsonl").write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in frame.to_dict("records"))
                                      + "\n\n", encoding="utf-8")
    frame.to_csv(tmp_path / "a.csv.gz", index=False)
    frame.to_parquet(tmp_path / "a.parquet")
    for name in ("a.jsonl", "a.csv.gz", "a.parquet"):
        table = Table.from_any(tmp_path / name, name, stream=True)
        assert table.count_rows() == 10 and not table.materialized, name
    inputs = AuditInputs(modality="text", tables={"synthetic": Table.from_any(tmp_path / "a.jsonl", "s", stream=True)})
    assert Sampler(inputs, 5).rate == 0.5
    assert Table.from_any(iter([frame]), "one-shot").count_rows() is None
