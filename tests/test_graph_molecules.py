"""Molecule metrics (survey section 5.2): graph.fcd against the fcd and fcd_torch packages on MOSES SMILES, the
Frechet helper against closed forms, and the MOSES validity / uniqueness / novelty checks against hand-worked
fixtures and MOSES' definitions (moses/metrics/metrics.py, re-stated below from its source)."""
from __future__ import annotations

import random
import warnings

import numpy as np
import pandas as pd
import pytest

from conftest import SHARED

pytest.importorskip("rdkit")
from rdkit import Chem, RDLogger  # noqa: E402

from synthaudit.data.graph import prepare_graph  # noqa: E402
from synthaudit.metrics.graph.molecules import FCD, MolNovelty, MolUniqueness, MolValidity  # noqa: E402
from synthaudit.models import Models  # noqa: E402
from synthaudit.stats.frechet import GaussianStats, frechet_distance, frechet_from_stats  # noqa: E402

RDLogger.DisableLog("rdApp.*")
MOSES = SHARED / "data" / "molecules" / "moses"
SYN, REAL = "synthetic", "real_reference"


# -- MOSES definitions, re-stated from moses/metrics (get_mol, canonic_smiles, fraction_valid, fraction_unique after
# remove_invalid, novelty) -------------------------------------------------------------------------------------------
def moses_get_mol(s):
    if len(s) == 0:
        return None
    mol = Chem.MolFromSmiles(s)
    if mol is None:
        return None
    try:
        Chem.SanitizeMol(mol)
    except ValueError:
        return None
    return mol


def moses_canonic(s):
    mol = moses_get_mol(s)
    return None if mol is None else Chem.MolToSmiles(mol)


def moses_valid(gen):
    mols = [moses_get_mol(s) for s in gen]
    return 1 - mols.count(None) / len(mols)


def moses_unique(gen, k=None):
    gen = [c for c in (moses_canonic(s) for s in gen) if c is not None]  # remove_invalid(canonize=True)
    gen = gen[:k] if k is not None else gen
    return len(set(gen)) / len(gen)


def moses_novelty(gen, train):
    gen_set = {moses_canonic(s) for s in gen} - {None}
    return len(gen_set - set(train)) / len(gen_set)


# -- helpers ---------------------------------------------------------------------------------------------------------
def inputs_of(syn, real=None):
    return prepare_graph(synthetic=pd.DataFrame({"smiles": syn}),
                         real=None if real is None else pd.DataFrame({"smiles": real}))


def stream_state(metric, inputs, models, batch_size, roles=(SYN, REAL)):
    state = metric.init(inputs, models)
    for role in roles:
        for batch in inputs.batches(role, batch_size):
            state = metric.update(state, role, batch)
    return state


@pytest.fixture(scope="module")
def models():
    pytest.importorskip("fcd_torch")
    return Models.default()


@pytest.fixture(scope="module")
def moses_sets():
    path = MOSES / "test_sample_5k.csv"
    if not path.exists():
        pytest.skip("MOSES SMILES are not in ../shared/data/molecules")
    sample = pd.read_csv(path)["SMILES"].tolist()
    scaffolds = pd.read_csv(MOSES / "test_scaffolds.csv.gz")["SMILES"].tolist()
    return {"A": sample[:500], "B": sample[500:1000], "C": scaffolds[:500], "small": sample[1000:1240],
            "sample": sample}


@pytest.fixture
def one_thread():
    """The reference packages run ChemNet and sqrtm with the default two threads (torch, OpenBLAS); one is 4-20x
    faster on a busy 2-core box (values do not depend on it)."""
    import torch
    from threadpoolctl import threadpool_limits

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    with threadpool_limits(1):
        yield
    torch.set_num_threads(before)


# -- Frechet helper --------------------------------------------------------------------------------------------------
def test_gaussian_stats_merge_equals_numpy():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(301, 6)) * 3 + 5
    parts = [GaussianStats.of(x[:100]), GaussianStats.of(x[100:250]), GaussianStats.of(x[250:])]
    merged = parts[2].merge(parts[0]).merge(parts[1])
    streamed = GaussianStats.empty(6)
    for chunk in np.array_split(x, 7):
        streamed.update(chunk)
    for s in (merged, streamed):
        assert s.n == 301
        np.testing.assert_allclose(s.mean(), x.mean(axis=0), rtol=1e-12)
        np.testing.assert_allclose(s.cov(), np.cov(x.T), rtol=1e-10, atol=1e-12)
    with pytest.raises(ValueError, match="at least 2 rows"):
        GaussianStats.of(x[:1]).cov()
    with pytest.raises(ValueError, match="6-d and 5-d"):
        merged.merge(GaussianStats.of(x[:, :5]))


def test_frechet_closed_forms_and_reference():
    # 1-d: d^2 = (m1 - m2)^2 + (s1 - s2)^2 with standard deviations s; commuting diagonals add up per axis
    assert frechet_distance(np.array([1.0]), np.array([[4.0]]), np.array([3.0]), np.array([[9.0]])) == \
        pytest.approx(4.0 + 1.0)
    v1, v2 = np.array([1.0, 4.0, 0.25]), np.array([9.0, 1.0, 0.25])
    expected = 1.0 + np.sum((np.sqrt(v1) - np.sqrt(v2)) ** 2)
    assert frechet_distance(np.zeros(3), np.diag(v1), np.array([1.0, 0, 0]), np.diag(v2)) == pytest.approx(expected)
    fcd = pytest.importorskip("fcd")
    rng = np.random.default_rng(1)
    for n, d in ((200, 8), (20, 30)):  # the second is rank-deficient (n < d), as FCD on small samples
        a, b = rng.normal(size=(n, d)), rng.normal(size=(n, d)) @ rng.normal(size=(d, d)) * 0.3 + 0.5
        ours = frechet_from_stats(GaussianStats.of(a), GaussianStats.of(b))["distance"]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ref = fcd.calculate_frechet_distance(a.mean(0), np.cov(a.T), b.mean(0), np.cov(b.T))
        assert ours == pytest.approx(ref, rel=1e-8)


def test_frechet_rejects_non_psd():
    with pytest.raises(ValueError, match="imaginary component"):
        frechet_distance(np.zeros(2), np.diag([1.0, -1.0]), np.zeros(2), np.eye(2))


# -- ChemNet ---------------------------------------------------------------------------------------------------------
def test_chemnet_equals_fcd_torch_activations(models, moses_sets, one_thread):
    from fcd_torch import FCD as TorchFCD

    net = models.get("chemnet")
    smiles = moses_sets["A"][:64]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = TorchFCD(n_jobs=1).get_predictions(smiles)
    ours = net.embed(smiles, batch_size=25)
    assert ours.shape == (64, 512) and ours.dtype == np.float32
    np.testing.assert_array_equal(ours, ref)  # same weights, same encoding: bit-identical
    same = net.embed(["OCC", "CCO", "C(O)C"])  # canonicalised first: one molecule, one embedding
    np.testing.assert_array_equal(same[0], same[1])
    np.testing.assert_array_equal(same[0], same[2])
    with pytest.raises(ValueError, match=r"SMILES 1 \('C1CC'\) is not a valid molecule"):
        net.embed(["CCO", "C1CC"])
    assert net.embed([]).shape == (0, 512)


# -- FCD -------------------------------------------------------------------------------------------------------------
def test_fcd_of_a_set_with_itself_is_zero(models, moses_sets):
    smiles = moses_sets["small"][:150]
    result = FCD().compute(inputs_of(smiles, list(reversed(smiles))), models, batch_size=100)
    assert result.value == pytest.approx(0.0, abs=1e-4)  # raw value is -1e-6..1e-6 (sqrtm round-off), clipped at 0
    assert result.secondary["mean_term"] == pytest.approx(0.0, abs=1e-12)
    assert result.notes["n_synthetic"] == result.notes["n_real"] == len(smiles)
    assert "small_sample" in result.notes


def test_fcd_equals_fcd_and_fcd_torch(models, moses_sets, one_thread):
    """A vs B: two disjoint 500-molecule samples of MOSES' test sample; A vs C: the scaffold test split (other
    scaffolds). Ours streams batches of 200 into (count, sum, sum of outer products) states and merges them; fcd
    and fcd_torch take np.cov of the activations. Activations are bit-identical (test above), so the values
    differ only by float64 rounding of the two covariance formulas, amplified by sqrtm: measured ~3e-8
    relative, asserted 1e-6 (a wrong ddof alone would move FCD by ~1e-3 relative)."""
    import fcd
    from fcd.utils import canonical
    from fcd_torch import FCD as TorchFCD

    A, B, C = moses_sets["A"], moses_sets["B"], moses_sets["C"]
    bad = ["C1CC", "", "not a smiles"]
    metric = FCD()
    syn_a = stream_state(metric, inputs_of(A[:250] + bad + A[250:], B), models, 200, roles=(SYN,))
    ours = {}
    for name, other in (("B", B), ("C", C)):
        inp = inputs_of(A, other)
        real = stream_state(metric, inp, models, 200, roles=(REAL,))
        res = metric.finalize(metric.merge(syn_a, real), inp, models)
        assert res.notes["n_synthetic"] == 500 and res.notes["n_synthetic_invalid"] == 3
        assert [r["record"] for r in res.breakdown] == [250, 251, 252]
        ours[name] = res.value
    canon = {k: [canonical(s) for s in moses_sets[k]] for k in "ABC"}  # fcd.get_fcd expects canonical SMILES
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref_fcd = {k: fcd.get_fcd(canon["A"], canon[k]) for k in "BC"}
        ref_torch = TorchFCD(n_jobs=1)(gen=A, ref=B)  # fcd_torch canonicalises itself
    for k in "BC":
        assert ours[k] == pytest.approx(ref_fcd[k], rel=1e-6), k
    assert ours["B"] == pytest.approx(ref_torch, rel=1e-6)
    assert ours["C"] > ours["B"] > 1.0  # the scaffold split is farther from A than a disjoint sample is


def test_fcd_merge_equals_one_pass(models, moses_sets):
    """States of two shards (each a run of batches) merged equal the one-pass state: the same statistics up to
    summation order (hence the same FCD) and the same invalid records at their file positions."""
    smiles = moses_sets["small"]
    syn = smiles[:120]
    syn = syn[:10] + ["C1CC"] + syn[10:100] + ["CÖC"] + syn[100:]
    inp = inputs_of(syn, smiles[120:])
    metric = FCD()
    whole = stream_state(metric, inp, models, None)
    shards = [metric.init(inp, models), metric.init(inp, models)]
    for role in (SYN, REAL):
        batches = list(inp.batches(role, 37))
        for i, b in enumerate(batches):
            k = 0 if i < len(batches) // 2 else 1
            shards[k] = metric.update(shards[k], role, b)
    merged = metric.merge(*shards)
    for role in (SYN, REAL):
        m, w = merged["stats"][role], whole["stats"][role]
        assert m.n == w.n == 120
        np.testing.assert_allclose(m.sum, w.sum, rtol=1e-12)
        np.testing.assert_allclose(m.outer, w.outer, rtol=1e-12, atol=1e-12)
    assert merged["rows"] == whole["rows"] and [r["record"] for r in merged["rows"]] == [10, 101]
    assert merged["invalid"] == whole["invalid"] == {SYN: 2, REAL: 0}


def test_fcd_undefined_and_not_applicable(models):
    res = FCD().compute(inputs_of(["CCO", "C1CC"], ["CCO", "CCN"]), models)
    assert res.value is None and "at least 2 valid" in res.notes["undefined"]
    graphs = prepare_graph(synthetic=pd.DataFrame({"graph": ["0 1\n1 2", "0 1"]}))
    for metric in (FCD, MolValidity, MolUniqueness, MolNovelty):
        assert "not molecules" in metric.spec.applies(graphs)
        assert metric.spec.applies(inputs_of(["CCO"], ["CCO"])) is None
    mixed = prepare_graph(synthetic=pd.DataFrame({"smiles": ["CCO"]}), real=pd.DataFrame({"graph": ["0 1"]}))
    assert "reference records are graphs" in FCD.spec.applies(mixed)
    assert MolUniqueness.spec.applies(mixed) is None


# -- validity / uniqueness / novelty ---------------------------------------------------------------------------------
HAND = ["CCO", "OCC", "C(O)C", "c1ccccc1", "C1=CC=CC=C1", "C1CC", "", "CÖC", "ＣＣＯ", "CC(C)(C)(C)(C)C",
        "[Na+].[Cl-]", "CCN", None]
HAND_REF = ["OCC", "c1ccccc1", "CCCC", "C(("]


def test_hand_worked_fixture():
    """Valid: ethanol written three ways, benzene twice (Kekule and aromatic), NaCl, ethylamine = 7 of 13.
    Invalid: unclosed ring, empty string, non-ASCII inside ('CÖC'), full-width letters, pentavalent carbon, a
    missing value. Unique canonical forms: CCO, c1ccccc1, [Cl-].[Na+], CCN = 4 of 7. Reference canonical set
    {CCO, c1ccccc1, CCCC} (plus one invalid): novel are NaCl and ethylamine = 2 of 4."""
    inp = inputs_of(HAND, HAND_REF)
    models = Models.default()
    val = MolValidity().compute(inp, models, batch_size=4)
    assert val.value == pytest.approx(7 / 13)
    assert val.record_scores.tolist() == [1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 1, 1, 0]
    assert [r["record"] for r in val.breakdown] == [5, 6, 7, 8, 9, 12]
    assert val.breakdown[1]["reason"].startswith("empty SMILES") and val.breakdown[5]["reason"].startswith("no SMILES")
    uni = MolUniqueness().compute(inp, models, batch_size=4)
    assert uni.value == pytest.approx(4 / 7) and uni.notes["n_valid"] == 7
    assert uni.breakdown == [{"record": 0, "canonical": "CCO", "copies": 3},
                             {"record": 3, "canonical": "c1ccccc1", "copies": 2}]
    inp.params["graph.ext.mol_uniqueness"] = {"k": 4}
    assert MolUniqueness().compute(inp, models, batch_size=3).value == pytest.approx(2 / 4)  # CCO x3, benzene
    inp.params["graph.ext.mol_uniqueness"] = {"k": 0}
    with pytest.raises(ValueError, match="k must be a positive integer"):
        MolUniqueness().compute(inp, models)
    nov = MolNovelty().compute(inp, models, batch_size=4)
    assert nov.value == pytest.approx(2 / 4)
    assert nov.notes["n_reference_invalid"] == 1 and nov.notes["n_synthetic_invalid"] == 6
    assert nov.breakdown == [{"record": 0, "canonical": "CCO"}, {"record": 3, "canonical": "c1ccccc1"}]
    assert MolNovelty().compute(inputs_of(["C1CC"], ["CCO"]), models).value is None


def _corrupt(smiles: list[str], rng: random.Random) -> list[str]:
    """A generated-looking set: deleted characters (often invalid), random re-writings of a molecule (duplicates
    spelled differently), exact repeats, odd strings."""
    out = []
    for s in smiles:
        roll = rng.random()
        if roll < 0.25:
            i = rng.randrange(len(s))
            out.append(s[:i] + s[i + 1:])
        elif roll < 0.45:
            out.append(Chem.MolToSmiles(Chem.MolFromSmiles(s), doRandom=True))
        elif roll < 0.55:
            out.append(out[-1] if out else s)
        else:
            out.append(s)
    return out + ["", "CCÖ", "C€", " CCO", "CC\tO"]  # RDKit reads the last four as CC, C, CCO and CC (name 'O')


def test_agrees_with_moses_definitions(moses_sets):
    rng = random.Random(7)
    sample = moses_sets["sample"]
    gen = _corrupt(sample[:700], rng) + _corrupt(sample[:100], rng)  # the second part repeats molecules
    train = [moses_canonic(s) for s in sample[500:1200]]  # overlaps gen on sample[500:700]
    inp = inputs_of(gen, train)
    models = Models.default()
    val = MolValidity().compute(inp, models, batch_size=333).value
    uni = MolUniqueness().compute(inp, models, batch_size=333).value
    nov = MolNovelty().compute(inp, models, batch_size=333).value
    ref_val, ref_uni, ref_nov = moses_valid(gen), moses_unique(gen), moses_novelty(gen, train)
    assert 0.6 < ref_val < 0.95 and ref_uni < 0.95 and 0.3 < ref_nov < 0.9  # the fixture exercises every case
    assert val == pytest.approx(ref_val, abs=1e-12)
    assert uni == pytest.approx(ref_uni, abs=1e-12)
    assert nov == pytest.approx(ref_nov, abs=1e-12)
    inp.params["graph.ext.mol_uniqueness"] = {"k": 300}
    assert MolUniqueness().compute(inp, models, batch_size=333).value == pytest.approx(moses_unique(gen, 300))


def test_uniqueness_and_novelty_merge_equal_one_pass(moses_sets):
    rng = random.Random(3)
    gen = _corrupt(moses_sets["sample"][:400], rng) * 2
    inp = inputs_of(gen, moses_sets["sample"][300:600])
    models = Models.default()
    for metric in (MolUniqueness(), MolNovelty(), MolValidity()):
        whole = metric.compute(inp, models)
        roles = metric.streams
        a, b = metric.init(inp, models), metric.init(inp, models)
        for role in roles:
            batches = list(inp.batches(role, 101))
            half = len(batches) // 2
            for batch in batches[:half]:
                a = metric.update(a, role, batch)
            for batch in batches[half:]:
                b = metric.update(b, role, batch)
        merged = metric.finalize(metric.merge(a, b), inp, models)
        assert merged.value == pytest.approx(whole.value, abs=1e-12), metric.spec.id
        assert merged.breakdown == whole.breakdown, metric.spec.id
