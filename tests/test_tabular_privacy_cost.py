"""The cost measures of the tabular privacy metrics (issue #12) change no meaning:

* the category-signature nearest-neighbour index (stats/knn_index.py) returns exactly the brute-force kernel's
  distances and indices, and the DOMIAS kernel densities through it exactly the brute-force sums (issue #13);
* exact copies are counted over every synthetic row (hashing), whatever the query sample: a verbatim copy
  reads exactly 1 at any size and any cap;
* the membership attacks' default cap (5,000 members and 5,000 non-members) moves the AUC by no more than its
  sampling error: a capped AUC lies within 3 of its standard errors of the uncapped AUC;
* one nearest-neighbour pass serves tabular.dcr and tabular.ext.nndr (same values as separate passes).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from synthaudit.data.tabular_inputs import prepare_tabular
from synthaudit.metrics.registry import get
from synthaudit.metrics.tabular import privacy
from synthaudit.models import Models
from synthaudit.stats import knn_index, neighbors


@pytest.fixture(scope="module")
def splits(adult_train):
    """Disjoint Adult samples: train, holdout and another draw (3,000 rows each)."""
    perm = np.random.default_rng(11).permutation(len(adult_train))
    return tuple(adult_train.iloc[perm[i * 3000:(i + 1) * 3000]].reset_index(drop=True) for i in range(3))


def result(metric_id: str, syn, train, hold, params=None, inputs=None):
    inputs = inputs or prepare_tabular(synthetic=syn, real=train, holdout=hold, params=params or {})
    return get(metric_id).run(inputs, Models.default())


# ---------------------------------------------------------------------------------------------- the index
@pytest.mark.parametrize("seed", range(6))
def test_indexed_knn_equals_brute_force(seed):
    rng = np.random.default_rng(seed)
    for _ in range(8):
        nq, nt, kn, kc = rng.integers(1, 120), rng.integers(3, 160), rng.integers(0, 4), rng.integers(3, 7)
        card = int(rng.integers(1, 4))
        qn, tn = np.round(rng.random((nq, kn)), 1), np.round(rng.random((nt, kn)), 1)  # many exact ties
        qc, tc = rng.integers(0, card + 1, (nq, kc)), rng.integers(0, card + 1, (nt, kc))
        if kn and seed % 2:
            tn[:3, 0], qn[:2, 0] = np.inf, np.nan  # non-finite numbers behave as in the brute-force kernel
        for k in (1, 2, 3):
            for p in (1, 2):
                for mismatch in (None, 2.0, 0.3):
                    for self_ in (False, True):
                        q = (tn, tc) if self_ else (qn, qc)
                        want = neighbors.knn(*q, tn, tc, k=k, p=p, exclude_self=self_, mismatch=mismatch)
                        got = knn_index.knn(*q, tn, tc, k=k, p=p, exclude_self=self_, mismatch=mismatch)
                        np.testing.assert_array_equal(got[0], want[0])
                        # which row fills a slot at infinite distance (infinite numbers only) is the kernels' own
                        # business; every finite neighbour is the same row
                        finite = np.isfinite(want[0])
                        np.testing.assert_array_equal(got[1][finite], want[1][finite])


@pytest.mark.parametrize("collide", ["none", "all", "column"])
def test_indexed_knn_survives_hash_collisions(monkeypatch, collide):
    """The index reads a row's mismatches from its hash run and checks them only for a row that would enter the
    top k: colliding signatures (every row in every run, or runs that ignore a column) change no result."""
    monkeypatch.setattr(knn_index, "KDE_GROUP_AFTER", 2)  # the density kernel's run counts, on small tables too
    monkeypatch.setattr(knn_index, "KDE_GROUP_FACTOR", 0)
    if collide == "all":
        monkeypatch.setattr(knn_index, "_terms", lambda cat: np.zeros(cat.shape, dtype=np.uint64))
    elif collide == "column":  # column 0 never counts in a signature
        terms = knn_index._terms
        monkeypatch.setattr(knn_index, "_terms", lambda cat: np.hstack([np.zeros((len(cat), 1), np.uint64),
                                                                        terms(cat)[:, 1:]]))
    rng = np.random.default_rng(5)
    for _ in range(6):
        nq, nt, kn, kc = rng.integers(1, 80), rng.integers(3, 120), rng.integers(0, 3), rng.integers(3, 6)
        qn, tn = np.round(rng.random((nq, kn)), 1), np.round(rng.random((nt, kn)), 1)
        qc, tc = rng.integers(0, 3, (nq, kc)), rng.integers(0, 3, (nt, kc))
        for k in (1, 3):
            for p in (1, 2):
                for self_ in (False, True):
                    q = (tn, tc) if self_ else (qn, qc)
                    want = neighbors.knn(*q, tn, tc, k=k, p=p, exclude_self=self_)
                    got = knn_index.knn(*q, tn, tc, k=k, p=p, exclude_self=self_)
                    np.testing.assert_array_equal(got[0], want[0])
                    np.testing.assert_array_equal(got[1], want[1])
        for h in (0.01, 0.2, 2.0):
            own = np.where(rng.random(nt) < 0.5, np.arange(nt), -1)
            want = neighbors.kernel_log_density(tn, tc, tn, tc, bandwidth=h, self_index=own)
            got = knn_index.kernel_log_density(tn, tc, tn, tc, bandwidth=h, self_index=own,
                                               index=knn_index.signature_index(tc))
            np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("group_after, group_factor", [(2048, 2), (1, 0), (5, 0), (20, 1)])
def test_indexed_kernel_density_equals_brute_force_bit_for_bit(monkeypatch, seed, group_after, group_factor):
    """The DOMIAS densities through the index are the brute-force kernel's sums, bit for bit, at bandwidths below
    and above the mismatch cost (below: most rows are skipped; above: every row counts), with and without the
    per-run mismatch counts (rows skipped on their run's mismatches)."""
    monkeypatch.setattr(knn_index, "KDE_GROUP_AFTER", group_after)
    monkeypatch.setattr(knn_index, "KDE_GROUP_FACTOR", group_factor)
    rng = np.random.default_rng(100 + seed)
    for _ in range(6):
        nq, nt, kn, kc = rng.integers(1, 60), rng.integers(2, 300), rng.integers(1, 4), rng.integers(3, 6)
        card = int(rng.integers(1, 4))
        tn = rng.random((nt, kn))
        qn = np.where(rng.random((nq, kn)) < 0.3, tn[rng.integers(0, nt, nq)], rng.random((nq, kn)))
        qc, tc = rng.integers(0, card + 1, (nq, kc)), rng.integers(0, card + 1, (nt, kc))
        own = np.where(rng.random(nq) < 0.5, rng.integers(0, nt, nq), -1)
        index = knn_index.signature_index(tc)
        for h in (0.003, 0.03, 0.3, 3.0):
            want = neighbors.kernel_log_density(qn, qc, tn, tc, bandwidth=h, self_index=own)
            got = knn_index.kernel_log_density(qn, qc, tn, tc, bandwidth=h, self_index=own, index=index)
            np.testing.assert_array_equal(got, want)
    tn[0, 0] = np.nan  # a non-finite number: the brute-force kernel itself
    want = neighbors.kernel_log_density(qn, qc, tn, tc, bandwidth=0.3, self_index=own)
    got = knn_index.kernel_log_density(qn, qc, tn, tc, bandwidth=0.3, self_index=own, index=index)
    np.testing.assert_array_equal(got, want)


def test_indexed_kernel_density_on_adult_rows(splits, monkeypatch):
    train, hold, other = splits
    inputs = prepare_tabular(synthetic=other, real=train, holdout=hold)
    _, tables = privacy._encoding(inputs)
    q, r = tables["train"], tables["synthetic"]
    h = privacy.kde_bandwidth(inputs)
    index = knn_index.signature_index(r.cat)
    for group_after in (2048, 300):
        monkeypatch.setattr(knn_index, "KDE_GROUP_AFTER", group_after)
        for bandwidth in (h, 0.1, 0.3, 1.0):
            want = neighbors.kernel_log_density(q.num, q.cat, r.num, r.cat, bandwidth=bandwidth)
            got = knn_index.kernel_log_density(q.num, q.cat, r.num, r.cat, bandwidth=bandwidth, index=index)
            np.testing.assert_array_equal(got, want)


def test_indexed_knn_falls_back_to_brute_force(monkeypatch):
    rng = np.random.default_rng(9)
    qn, tn = rng.random((40, 2)), rng.random((60, 2))
    for kc in (0, 1, 2, 4):  # below MIN_CAT_COLUMNS no index is built
        qc, tc = rng.integers(0, 3, (40, kc)), rng.integers(0, 3, (60, kc))
        for got, want in zip(knn_index.knn(qn, qc, tn, tc, k=2), neighbors.knn(qn, qc, tn, tc, k=2)):
            np.testing.assert_array_equal(got, want)
    monkeypatch.setattr(knn_index, "MAX_INDEX_CELLS", 10)  # too many category cells: brute force
    qc, tc = rng.integers(0, 3, (40, 5)), rng.integers(0, 3, (60, 5))
    for got, want in zip(knn_index.knn(qn, qc, tn, tc, k=2, p=2), neighbors.knn(qn, qc, tn, tc, k=2, p=2)):
        np.testing.assert_array_equal(got, want)


def test_indexed_knn_on_adult_rows(splits):
    train, hold, other = splits
    inputs = prepare_tabular(synthetic=other, real=train, holdout=hold)
    _, tables = privacy._encoding(inputs)
    q, r = tables["synthetic"], tables["train"]
    index = knn_index.signature_index(r.cat)
    for k, p, mismatch in ((1, 1, None), (2, 1, None), (2, 2, None), (1, 2, 2.0)):
        want = neighbors.knn(q.num, q.cat, r.num, r.cat, k=k, p=p, mismatch=mismatch)
        got = knn_index.knn(q.num, q.cat, r.num, r.cat, k=k, p=p, mismatch=mismatch, index=index)
        np.testing.assert_array_equal(got[0], want[0])
        np.testing.assert_array_equal(got[1], want[1])


def test_dcr_equals_the_brute_force_kernel(splits):
    train, hold, other = splits
    inputs = prepare_tabular(synthetic=other, real=train, holdout=hold)
    res = get("tabular.dcr").run(inputs, Models.default())
    _, tables = privacy._encoding(inputs)
    q, r = tables["synthetic"], tables["train"]
    want, _ = neighbors.knn(q.num, q.cat, r.num, r.cat, k=1, p=1)
    np.testing.assert_array_equal(res.record_scores, want[:, 0])


# ---------------------------------------------------------------------------------------------- exact copies
@pytest.mark.parametrize("n, cap", [(500, None), (3000, 200), (3000, 20_000)])
def test_verbatim_copy_reads_exactly_one_at_any_size(splits, n, cap):
    train, hold, _ = splits
    train = train.iloc[:n]
    syn = train.sample(frac=1, random_state=4)  # a verbatim copy, rows shuffled
    res = result("tabular.dcr", syn, train, hold, params={"tabular.dcr": {"max_query_rows": cap}} if cap else None)
    assert res.secondary["exact_copy_rate"] == 1.0
    assert res.breakdown[0]["exact_copy_share"] == 1.0
    if cap and cap < n:  # the distances were sampled, the copies were not
        assert np.isnan(res.record_scores).sum() == n - cap
        assert f"all {n} synthetic" in res.notes["exact_copy"]


def test_exact_copy_rate_counts_every_row_with_a_small_cap(splits):
    train, hold, other = splits
    syn = pd.concat([train.iloc[:700], other.iloc[:2300]], ignore_index=True)  # 700 of 3,000 rows are copies
    keys = set(map(tuple, train.astype(str).to_numpy()))
    truth = np.mean([tuple(r) in keys for r in syn.astype(str).to_numpy()])
    capped = result("tabular.dcr", syn, train, hold, params={"tabular.dcr": {"max_query_rows": 100}})
    full = result("tabular.dcr", syn, train, hold, params={"tabular.dcr": {"max_query_rows": 0}})
    assert capped.secondary["exact_copy_rate"] == full.secondary["exact_copy_rate"] == truth
    assert truth >= 700 / 3000
    # with every row queried the hashed count equals the share of zero distances
    assert full.secondary["exact_copy_rate"] == np.mean(full.record_scores == 0)
    assert full.secondary["exact_copy_rate_holdout"] == full.breakdown[1]["exact_copy_share"]


def test_exact_copies_survive_hash_collisions(splits, monkeypatch):
    train, hold, other = (f.iloc[:400] for f in splits)
    syn = pd.concat([train.iloc[:60], other.iloc[:140]], ignore_index=True)
    want = result("tabular.dcr", syn, train, hold).secondary["exact_copy_rate"]
    monkeypatch.setattr(privacy, "_row_hashes", lambda rows: np.zeros(len(rows), dtype=np.uint64))  # all collide
    got = result("tabular.dcr", syn, train, hold).secondary["exact_copy_rate"]
    assert got == want and want >= 0.3


# ---------------------------------------------------------------------------------------------- the attack cap
def test_membership_attack_default_cap():
    assert privacy.MIA_ROWS == 5_000
    assert get("tabular.auc_mia").spec.default_params()["max_query_rows"] == 5_000
    assert get("tabular.adv_mia").spec.default_params()["max_query_rows"] == 5_000
    assert get("tabular.dcr").spec.default_params()["max_query_rows"] == 20_000
    assert privacy._auc_se(0.5, 5_000, 5_000) < 0.006


def test_capped_auc_within_its_standard_error_of_the_uncapped_one(splits):
    train, hold, other = splits
    # half of the synthetic rows copy training rows: a real leak, AUC well above 0.5
    syn = pd.concat([train.iloc[:1500], other.iloc[:1500]], ignore_index=True)
    full = result("tabular.auc_mia", syn, train, hold, params={"tabular.auc_mia": {"max_query_rows": 0}})
    assert full.breakdown[0]["n_members"] == 3000 and full.value > 0.6
    for cap in (500, 1000):
        capped = result("tabular.auc_mia", syn, train, hold, params={"tabular.auc_mia": {"max_query_rows": cap}})
        for got, want in zip(capped.breakdown, full.breakdown):
            assert got["n_members"] == got["n_nonmembers"] == cap
            assert abs(got["auc"] - want["auc"]) <= 3 * got["se"], (cap, got["attack"])
        assert f"at most {cap} members" in capped.notes["sampling"]
        assert capped.secondary["se"] == pytest.approx(privacy._auc_se(capped.value, cap, cap))
    adv = result("tabular.adv_mia", syn, train, hold, params={"tabular.adv_mia": {"max_query_rows": 1000}})
    assert adv.secondary["se_heldout"] is not None and 0 < adv.secondary["se_heldout"] < 0.05


# ---------------------------------------------------------------------------------------------- shared passes
def test_dcr_and_nndr_share_one_pass(splits):
    pytest.importorskip("synthaudit.metrics.tabular.nndr")
    train, hold, other = splits
    alone = result("tabular.ext.nndr", other, train, hold)
    inputs = prepare_tabular(synthetic=other, real=train, holdout=hold)
    dcr_first = get("tabular.dcr").run(inputs, Models.default())
    after = get("tabular.ext.nndr").run(inputs, Models.default())
    assert after.value == alone.value and after.secondary == alone.secondary
    np.testing.assert_array_equal(after.record_scores, alone.record_scores)
    # and the other way round: NNDR first, DCR reads its pass
    inputs2 = prepare_tabular(synthetic=other, real=train, holdout=hold)
    get("tabular.ext.nndr").run(inputs2, Models.default())
    again = get("tabular.dcr").run(inputs2, Models.default())
    assert again.value == dcr_first.value and again.secondary == dcr_first.secondary
    np.testing.assert_array_equal(again.record_scores, dcr_first.record_scores)
