"""RUBER (survey section 2.2) with the real MiniLM embedder and scikit-learn: the referenced cosine, the
min-max normalisation and blends against numpy, mergeability, and the learned unreferenced scorer."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from synthaudit.data.dialogue import prepare_dialogue
from synthaudit.metrics.registry import get
from synthaudit.models import Models

SGD = Path(__file__).resolve().parents[2] / "shared/data/dialogue/sgd/test_dialogues_001_flat.jsonl"


@pytest.fixture(scope="module")
def models() -> Models:
    return Models.default()


@pytest.fixture(scope="module")
def sgd() -> list[dict]:
    if not SGD.exists():
        pytest.skip("the SGD shard is not in ../shared/data")
    out = []
    for line in SGD.read_text(encoding="utf-8").splitlines():
        rec = json.loads(line)
        out.append([{"role": "user" if t["speaker"] == "USER" else "assistant", "content": t["utterance"]}
                    for t in rec["turns"]])
    return out


def jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def small(sgd) -> list[dict]:
    """16 two-exchange dialogues; the reference is a paraphrase-free variant: the first assistant turn of the
    next dialogue for odd ones (unrelated), the true reply for even ones."""
    out = []
    for i, turns in enumerate(sgd[:16]):
        t = turns[:4]
        refs = [a["content"] for a in t if a["role"] == "assistant"]
        if i % 2:
            refs = [x["content"] for x in sgd[i + 1] if x["role"] == "assistant"][:2]
        out.append({"turns": t, "refs": refs})
    return out


def rows_of(result):
    return result.breakdown


def test_reference_cosine_minmax_and_blend_match_numpy(models, small, tmp_path):
    inputs = prepare_dialogue(synthetic=jsonl(tmp_path / "s.jsonl", small), reference_field="refs")
    res = get("dialogue.ruber").run(inputs, models)
    rows = rows_of(res)
    assert len(rows) == 32 and res.notes["unref_training"]["source"] == "the evaluated set (cross-fitted)"
    emb = models.get("sentence_embedder")
    flat = [(small[r["record"] - 1]["turns"][r["turn"]]["content"], small[r["record"] - 1]["refs"][r["turn"] // 2])
            for r in rows]
    e_r, e_ref = emb.encode([a for a, _ in flat]), emb.encode([b for _, b in flat])
    s_ref = np.array([r["s_ref"] for r in rows])
    np.testing.assert_allclose(s_ref, np.sum(e_r * e_ref, axis=1), atol=1e-5)
    s_unref = np.array([r["s_unref"] for r in rows])
    assert ((s_unref > 0) & (s_unref < 1)).all()
    n_ref = (s_ref - s_ref.min()) / (s_ref.max() - s_ref.min())
    n_unref = (s_unref - s_unref.min()) / (s_unref.max() - s_unref.min())
    np.testing.assert_allclose([r["s_ref_normalised"] for r in rows], n_ref, atol=1e-12)
    np.testing.assert_allclose([r["s_unref_normalised"] for r in rows], n_unref, atol=1e-12)
    np.testing.assert_allclose([r["score"] for r in rows], 0.5 * (n_ref + n_unref), atol=1e-12)
    assert res.value == pytest.approx(np.mean(0.5 * (n_ref + n_unref)), abs=1e-12)
    # the mergeable identity: mean(s~) = (mean(s) - min) / (max - min)
    assert res.secondary["s_ref_normalised_mean"] == pytest.approx((s_ref.mean() - s_ref.min()) / np.ptp(s_ref))
    per_record = [np.mean([r["score"] for r in rows if r["record"] == k]) for k in range(1, 17)]
    np.testing.assert_allclose(res.record_scores, per_record)
    true_ref = [r["s_ref"] for r in rows if r["record"] % 2 == 1]  # record k holds small[k-1]: even index, true reply
    assert min(true_ref) > 0.999 and np.mean([r["s_ref"] for r in rows if r["record"] % 2 == 0]) < 0.9
    for how, fn in (("geometric_mean", lambda a, b: np.sqrt(a * b)), ("min", np.minimum), ("max", np.maximum)):
        inputs.params = {"dialogue.ruber": {"aggregation": how}}  # same audit: embeddings are reused
        got = get("dialogue.ruber").run(inputs, models)
        assert got.value == pytest.approx(float(np.mean(fn(n_ref, n_unref))), abs=1e-12), how


def test_learner_trained_on_real_dialogues_separates_true_from_shuffled_replies(models, sgd, tmp_path):
    real = jsonl(tmp_path / "real.jsonl", [{"turns": t} for t in sgd[:32]])
    rng = np.random.default_rng(1)
    pool = [x["content"] for t in sgd[:32] for x in t if x["role"] == "assistant"]
    synth, truth = [], []
    for i, turns in enumerate(sgd[96:112]):
        refs = [x["content"] for x in turns if x["role"] == "assistant"]
        if i % 2:  # replies taken from other dialogues: unrelated to their query
            turns = [x if x["role"] == "user" else {**x, "content": pool[rng.integers(len(pool))]} for x in turns]
        synth.append({"turns": turns, "refs": refs})
        truth.append(i % 2 == 0)
    inputs = prepare_dialogue(synthetic=jsonl(tmp_path / "syn.jsonl", synth), real=real, reference_field="refs")
    metric = get("dialogue.ruber").impl
    res = metric.compute(inputs, models)
    assert res.notes["unref_training"]["source"] == "real dialogues"
    assert res.notes["unref_training"]["pairs"] == sum(x["role"] == "assistant" for t in sgd[:32] for x in t)
    matched = [r["s_unref"] for r in res.breakdown if truth[r["record"] - 1]]
    shuffled = [r["s_unref"] for r in res.breakdown if not truth[r["record"] - 1]]
    from sklearn.metrics import roc_auc_score

    assert np.mean(matched) > np.mean(shuffled) + 0.05
    assert roc_auc_score([1] * len(matched) + [0] * len(shuffled), matched + shuffled) > 0.65
    assert np.mean([r["score"] for r in res.breakdown if truth[r["record"] - 1]]) > np.mean(
        [r["score"] for r in res.breakdown if not truth[r["record"] - 1]])
    # mergeable: batches and merged shards give the corpus value of the sufficient statistics
    batched = metric.compute(inputs, models, batch_size=5)
    assert batched.value == pytest.approx(res.value, abs=1e-12)
    np.testing.assert_allclose([r["score"] for r in batched.breakdown], [r["score"] for r in res.breakdown])
    frame = inputs.frame("synthetic")
    a = metric.update(metric.init(inputs, models), "synthetic", frame.iloc[:7])
    b = metric.init(inputs, models)
    b["offset"] = 7
    b = metric.update(b, "synthetic", frame.iloc[7:])
    merged = metric.finalize(metric.merge(a, b), inputs, models)
    assert merged.value == pytest.approx(res.value, abs=1e-12)
    np.testing.assert_allclose(merged.record_scores, res.record_scores)


def test_cross_fitted_learner_beats_chance_on_held_out_dialogues(models, sgd, tmp_path):
    synth = [{"turns": t, "refs": [x["content"] for x in t if x["role"] == "assistant"]} for t in sgd[:24]]
    res = get("dialogue.ruber").run(prepare_dialogue(synthetic=jsonl(tmp_path / "x.jsonl", synth),
                                                     reference_field="refs"), models)
    assert res.notes["unref_training"]["folds"] == 5
    assert res.secondary["unref_out_of_fold_auc"] > 0.65


def test_degenerate_sets_are_undefined_not_crashes(models, small, tmp_path):
    one = prepare_dialogue(synthetic=[{"turns": small[0]["turns"][:2], "refs": small[0]["refs"][:1]}],
                           reference_field="refs")
    res = get("dialogue.ruber").run(one, models)
    assert res.value is None and "two dialogues" in res.notes["unref_training"]["failed"]
    real = jsonl(tmp_path / "r.jsonl", [{"turns": d["turns"]} for d in small])
    single = prepare_dialogue(synthetic=[{"turns": small[0]["turns"][:2], "refs": small[0]["refs"][:1]}],
                              real=real, reference_field="refs")
    res = get("dialogue.ruber").run(single, models)
    assert res.value is None and "min-max normalisation is undefined" in res.notes["undefined"]
    with pytest.raises(ValueError, match="aggregation"):
        bad = prepare_dialogue(synthetic=[{"turns": small[0]["turns"], "refs": small[0]["refs"]}],
                               reference_field="refs", params={"dialogue.ruber": {"aggregation": "median"}})
        get("dialogue.ruber").run(bad, models)


def test_negative_sampling_never_keeps_a_response_and_drops_identical_texts():
    from synthaudit.metrics.dialogue.ruber import negatives

    for n in (2, 3, 7, 20):
        for seed in range(5):
            pos, neg = negatives(n, [str(i) for i in range(n)], seed)
            assert len(pos) == n and (pos != neg).all() and sorted(neg) == list(range(n))
    pos, neg = negatives(4, ["same", "same", "same", "same"], 0)
    assert len(pos) == 0  # every shuffled reply would equal the true one: no negative at all
    assert negatives(1, ["a"], 0)[0].size == 0
