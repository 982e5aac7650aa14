"""Model-backed text metrics (survey sections 2.2-2.3) with the real offline models, loaded once per module:
Self-CosSim and EDS (MiniLM), GAR (the acceptability backend), perplexity (SmolLM2, checked against the
transformers loss), TP / EMT (alt-profanity-check called directly)."""
from __future__ import annotations

import json
import math
import random

import numpy as np
import pandas as pd
import pytest

import synthaudit
from synthaudit.data.segment import SEGMENTER, split_sentences
from synthaudit.data.text import prepare_text
from synthaudit.metrics.registry import get
from synthaudit.metrics.text.features import REAL, stable_hash
from synthaudit.metrics.text.semantic import self_cos_sim


@pytest.fixture(scope="module")
def models():
    from synthaudit.models import Models

    return Models.default()


@pytest.fixture(scope="module")
def corpora(shared_dir):
    """Real text: Self-Instruct instructions, its rewrite pairs (input -> output), GSM8K questions, HDFS logs."""
    rows = [json.loads(line) for line in
            (shared_dir / "data/text/self_instruct_user_oriented/user_oriented_instructions.jsonl").open()]
    from rapidfuzz.distance import Levenshtein

    # rewrites: instances whose output edits the input (character similarity 0.5-0.99), e.g. grammar fixes
    rewrites = [(i["input"], i["output"]) for r in rows for i in r["instances"]
                if i["input"] and i["output"] and 30 < len(i["input"]) < 300
                and 0.5 < Levenshtein.normalized_similarity(i["input"], i["output"]) < 0.99]
    gsm = [json.loads(line)["question"] for line in (shared_dir / "data/reasoning/gsm8k/test.jsonl").open()][:40]
    logs = (shared_dir / "data/logs/loghub_2k/HDFS/HDFS_2k.log").read_text().splitlines()[:40]
    return {"instructions": [r["instruction"] for r in rows], "rewrites": rewrites, "gsm8k": gsm, "logs": logs}


def run(metric_id: str, models, **kw):
    """The registered metric on prepared inputs: the MetricResult, with per-record scores."""
    return get(metric_id).run(prepare_text(**kw), models)


def unit(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def brute_self_cos(u: np.ndarray) -> float:
    sims = u @ u.T
    return float(sims[np.triu_indices(len(u), k=1)].mean())


# -- Self-CosSim -----------------------------------------------------------------------------------
def test_self_cos_sim_identity_equals_brute_force_on_random_vectors():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(57, 16)) + 0.3  # shifted: pairwise cosines are not centred on 0
    x[:4] = x[0]  # exact duplicates
    u = unit(x)
    assert self_cos_sim(u) == pytest.approx(brute_self_cos(u), abs=1e-12)
    assert self_cos_sim(u[:2]) == pytest.approx(float(u[0] @ u[1]), abs=1e-12)
    assert self_cos_sim(u[:1]) is None and self_cos_sim(u[:0]) is None


def test_self_cos_sim_equals_brute_force_on_minilm(models, corpora):
    texts = corpora["instructions"][:30]
    rep = synthaudit.audit("text", synthetic=texts, metrics=["text.self_cos_sim"], models=models)
    brute = brute_self_cos(unit(models.get("sentence_embedder").encode(texts)))
    assert rep.value("text.self_cos_sim") == pytest.approx(brute, abs=1e-6)
    assert rep.result("text.self_cos_sim").notes["n_texts"] == 30
    streamed = synthaudit.audit("text", synthetic=texts, metrics=["text.self_cos_sim"], models=models, batch_size=7)
    # batches of 7 pad differently inside the encoder: equal up to float32 noise
    assert streamed.value("text.self_cos_sim") == pytest.approx(rep.value("text.self_cos_sim"), abs=1e-6)


def test_near_identical_corpus_has_higher_self_cos_sim(models, corpora):
    base = corpora["instructions"][5]
    near = [f"{base} (Task {i}.)" for i in range(20)]
    diverse = corpora["instructions"][100:120]
    near_v = run("text.self_cos_sim", models, synthetic=near).value
    diverse_v = run("text.self_cos_sim", models, synthetic=diverse).value
    assert near_v > 0.9 and near_v > diverse_v + 0.4


def test_self_cos_sim_missing_blank_unicode_and_undefined(models):
    texts = ["The cat sat on the mat.", None, "", "   ", "東京は日本の首都です。", "Ça va très bien, merci."]
    res = run("text.self_cos_sim", models, synthetic=pd.DataFrame({"text": texts}))
    kept = [texts[0], texts[4], texts[5]]
    assert res.notes["n_texts"] == 3 and "1 missing and 2 blank" in res.notes["excluded"]
    assert res.value == pytest.approx(brute_self_cos(unit(models.get("sentence_embedder").encode(kept))), abs=1e-6)
    one = run("text.self_cos_sim", models, synthetic=pd.DataFrame({"text": ["only one", None]}))
    assert one.value is None and "at least 2" in one.notes["undefined"]


# -- EDS -------------------------------------------------------------------------------------------
def test_eds_hand_value_and_ordering_on_real_corpora(models, corpora):
    emb = models.get("sentence_embedder")
    originals, rewrites = [a for a, _ in corpora["rewrites"]], [b for _, b in corpora["rewrites"]]
    assert len(originals) >= 8
    same = synthaudit.audit("text", synthetic=originals, real=originals, metrics=["text.eds"], models=models)
    assert same.value("text.eds") == pytest.approx(1.0, abs=1e-9)
    para = run("text.eds", models, synthetic=rewrites, real=originals).value
    e_syn, e_real = unit(emb.encode(rewrites)).mean(axis=0), unit(emb.encode(originals)).mean(axis=0)
    assert para == pytest.approx(float(e_syn @ e_real / (np.linalg.norm(e_syn) * np.linalg.norm(e_real))), abs=1e-6)
    math_q = run("text.eds", models, synthetic=corpora["gsm8k"][:20], real=originals).value
    logs = run("text.eds", models, synthetic=corpora["logs"][:20], real=originals).value
    assert para > math_q + 0.1 and para > logs + 0.1


def test_eds_real_split_baseline_streaming_and_embedding_map(models, corpora):
    real = corpora["instructions"][:21]
    syn = corpora["instructions"][150:165]
    whole_inputs = prepare_text(synthetic=syn, real=real)
    whole = get("text.eds").run(whole_inputs, models)
    # hand: real texts ordered by the seeded hash, dealt alternately into two halves
    order = sorted(real, key=lambda t: stable_hash(0, REAL, t))
    u = dict(zip(real, unit(models.get("sentence_embedder").encode(real))))
    a, b = sum(u[t] for t in order[0::2]), sum(u[t] for t in order[1::2])
    baseline = float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))
    assert whole.secondary["real_split_baseline"] == pytest.approx(baseline, abs=1e-9)
    assert whole.secondary["gap_to_baseline"] == pytest.approx(baseline - whole.value, abs=1e-12)
    assert "exact halves (11 and 10 texts)" in whole.notes["real_split_baseline"]
    streamed_inputs = prepare_text(synthetic=syn, real=real)
    streamed = get("text.eds").impl.compute(streamed_inputs, models, batch_size=4)
    assert streamed.value == pytest.approx(whole.value, abs=1e-6)  # encoder padding differs per batch
    assert streamed.secondary == pytest.approx(whole.secondary, abs=1e-6)
    for a, b in zip(streamed.plots[0]["series"], whole.plots[0]["series"]):  # same seeded sample, same map
        assert a["label"] == b["label"] and np.allclose(a["x"], b["x"], atol=1e-3) and np.allclose(a["y"], b["y"],
                                                                                                     atol=1e-3)
    (plot,) = whole.plots
    assert plot["kind"] == "scatter" and {"title", "xlabel", "ylabel", "series"} <= set(plot)
    assert [(s["label"], len(s["x"]), len(s["y"])) for s in plot["series"]] == [("real", 21, 21), ("synthetic", 15, 15)]
    inputs = prepare_text(synthetic=syn, real=real, params={"text.eds": {"plot_sample": 10, "baseline_exact_max": 5}})
    inputs.features = whole_inputs.features  # same batches: the memoised embeddings are reused
    small = get("text.eds").run(inputs, models)
    assert [len(s["x"]) for s in small.plots[0]["series"]] == [10, 10]
    assert "hash parity" in small.notes["real_split_baseline"] and small.value == pytest.approx(whole.value)
    lone = run("text.eds", models, synthetic=syn, real=["A single real text."])
    assert lone.secondary["real_split_baseline"] is None and lone.value is not None


# -- GAR -------------------------------------------------------------------------------------------
def test_gar_is_the_micro_average_of_the_backend_sentence_scores(models):
    texts = ["The dog runs fast. It is happy.", "Sleep colorless green furiously ideas the. Cats purr.", None, "",
             "東京は日本の首都です。"]
    acc = models.get("acceptability_classifier")
    sents = [split_sentences(t) if t else [] for t in texts]
    flat = [s for ss in sents for s in ss]
    scores = np.asarray(acc.score(flat))
    ok = scores >= 0.5
    per_text, pos = [], 0
    for ss in sents:
        if ss:
            per_text.append(ok[pos:pos + len(ss)].mean())
            pos += len(ss)
    inputs = prepare_text(synthetic=pd.DataFrame({"text": texts}))
    r = get("text.gar").run(inputs, models)
    assert r.value == pytest.approx(ok.mean(), abs=1e-12)  # micro-average over sentences
    assert r.secondary["mean_per_text"] == pytest.approx(np.mean(per_text), abs=1e-12)
    assert r.notes["sentences"] == len(flat) == 5 and r.notes["acceptable"] == int(ok.sum())
    assert r.notes["classifier_variant"] == acc.variant and r.notes["segmenter"] == SEGMENTER
    assert "proxy" in r.notes["caveat"] and "1 record(s) without a text" in r.notes["missing_texts"]
    assert r.breakdown[0]["acceptability"] == pytest.approx(scores.min())
    assert [row["acceptability"] for row in r.breakdown] == sorted(row["acceptability"] for row in r.breakdown)
    assert np.isnan(r.record_scores[2]) and np.isnan(r.record_scores[3])
    assert np.nanmean(r.record_scores) == pytest.approx(np.mean(per_text))
    inputs.params = {"text.gar": {"tau": 0.0}}  # same inputs: the memoised sentence scores are reused
    assert get("text.gar").run(inputs, models).value == 1.0
    inputs.params = {"text.gar": {"tau": 1.01}}
    assert get("text.gar").run(inputs, models).value == 0.0
    rep = synthaudit.audit("text", synthetic=texts[4:], metrics=["text.gar"], models=models)
    assert rep.value("text.gar") == float(ok[4])


# -- perplexity ------------------------------------------------------------------------------------
def test_fluent_sentence_has_lower_perplexity_than_its_shuffle(models, corpora):
    fluent = [corpora["rewrites"][0][1], corpora["rewrites"][1][1], corpora["rewrites"][3][1],
              corpora["instructions"][0]]
    rng = random.Random(0)
    shuffled = []
    for t in fluent:
        words = t.split()
        rng.shuffle(words)
        shuffled.append(" ".join(words))
    assert all(a != b for a, b in zip(fluent, shuffled))
    res = run("text.perplexity", models, synthetic=fluent + shuffled)
    ppl = res.record_scores
    assert all(ppl[i] < ppl[i + 4] for i in range(4)), ppl
    assert res.breakdown[0]["perplexity"] == pytest.approx(ppl.max())


def test_pooled_perplexity_equals_transformers_loss(models, corpora):
    import torch

    lm = models.get("causal_lm")
    texts = [corpora["instructions"][3], "Ça va très bien, merci beaucoup.", "東京は日本の首都です。",
             corpora["rewrites"][0][1], None, "", "   "]
    nll, tokens, per_text = 0.0, 0, []
    for t in texts[:4]:
        ids = torch.tensor([[lm.tokenizer.bos_token_id] + lm.tokenizer(t, add_special_tokens=False)["input_ids"]])
        with torch.inference_mode():
            loss = float(lm.model(input_ids=ids, labels=ids).loss)
        nll += loss * (ids.shape[1] - 1)
        tokens += ids.shape[1] - 1
        per_text.append(math.exp(loss))
    frame = pd.DataFrame({"text": texts})
    rep = synthaudit.audit("text", synthetic=frame, metrics=["text.perplexity"], models=models)
    r = rep.result("text.perplexity")
    assert r.value == pytest.approx(math.exp(nll / tokens), rel=1e-4)
    assert r.notes["tokens"] == tokens and r.notes["aggregation"] == "pooled_tokens"
    assert r.secondary["mean_per_text"] == pytest.approx(np.mean(per_text), rel=1e-4)
    assert r.notes["evaluator_lm_requested"] == "gpt2-xl" and "SmolLM2" in r.notes["evaluator_lm_used"]
    assert "differ from the generator" in r.notes["evaluator"]
    assert "1 missing and 2 blank" in r.notes["excluded"]
    inputs = prepare_text(synthetic=frame, params={"text.perplexity": {"aggregation": "mean_per_text"}})
    per = get("text.perplexity").run(inputs, models)
    assert per.value == pytest.approx(np.mean(per_text), rel=1e-4)
    assert np.isnan(per.record_scores[4:]).all() and per.record_scores[:4] == pytest.approx(per_text, rel=1e-4)
    streamed = get("text.perplexity").impl.compute(prepare_text(synthetic=frame), models, batch_size=2)
    assert streamed.value == pytest.approx(r.value, rel=1e-5)  # padding differs per batch


# -- TP / EMT --------------------------------------------------------------------------------------
TOX_RECORDS = [
    {"prompt": "So then I told him", "samples": ["you are a fucking idiot", "have a nice day", "see you tomorrow"]},
    {"prompt": "The weather today", "samples": ["is sunny and warm", "looks like rain later"]},
    {"prompt": "Those damn stupid idiots", "samples": ["went home early", "played chess in the park"]},
    {"prompt": "Nothing came back", "samples": None},
    {"prompt": "Le chat", "samples": ["shut up, moron", None, "très bien 😀"]},
]


def hand_maxima(records, k=None):
    from profanity_check import predict_prob

    out = []
    for r in records:
        conts = [c for c in (r["samples"] or []) if c is not None][:k]
        out.append(float(np.max(predict_prob(conts))) if conts else np.nan)
    return np.array(out)


def test_tp_and_emt_against_profanity_check_directly(models, tmp_path):
    from profanity_check import predict_prob

    mx = hand_maxima(TOX_RECORDS)
    defined = mx[~np.isnan(mx)]
    assert mx[2] < 0.5 <= predict_prob([TOX_RECORDS[2]["prompt"]])[0]  # the prompt would be flagged; its samples not
    frame = pd.DataFrame(TOX_RECORDS)
    rep = synthaudit.audit("text", synthetic=frame, field="prompt", prompt_field="prompt", samples_field="samples",
                           metrics=["text.toxicity_probability", "text.expected_max_toxicity"], models=models)
    tp, emt = rep.result("text.toxicity_probability"), rep.result("text.expected_max_toxicity")
    assert tp.value == pytest.approx(np.mean(defined >= 0.5), abs=1e-12)
    assert emt.value == pytest.approx(defined.mean(), abs=1e-12)
    assert emt.secondary["std"] == pytest.approx(np.std(defined), abs=1e-12)
    assert tp.notes["k_min"] == 2 and tp.notes["k_max"] == 3 and "fewer than K=25" in tp.notes["fewer_than_K"]
    assert tp.notes["records_without_samples"] == 1 and tp.notes["empty_sample_slots"] == 1
    assert "continuations only" in tp.notes["scored"] and "profanity" in tp.notes["scorer_caveat"]
    assert emt.breakdown[0]["worst_continuation"] in ("you are a fucking idiot", "shut up, moron")
    res = run("text.expected_max_toxicity", models, synthetic=frame, field="prompt", prompt_field="prompt",
              samples_field="samples")
    assert np.isnan(res.record_scores[3]) and res.record_scores[~np.isnan(mx)] == pytest.approx(defined)
    # K = 2: only the first two continuations of each prompt count
    k2 = run("text.expected_max_toxicity", models, synthetic=frame, field="prompt", prompt_field="prompt",
             samples_field="samples", params={"text.expected_max_toxicity": {"K": 2}})
    assert k2.value == pytest.approx(np.nanmean(hand_maxima(TOX_RECORDS, 2)), abs=1e-12)
    assert k2.notes["records_over_K_truncated"] == 1
    # CSV: the samples field is a JSON-encoded list
    csv = frame.assign(samples=[json.dumps(s) if s is not None else None for s in frame["samples"]])
    csv.to_csv(tmp_path / "gen.csv", index=False)
    from_csv = synthaudit.audit("text", synthetic=tmp_path / "gen.csv", field="prompt", prompt_field="prompt",
                                samples_field="samples", metrics=["text.toxicity_probability"], models=models)
    assert from_csv.value("text.toxicity_probability") == pytest.approx(tp.value)


def test_samples_field_must_hold_lists(models):
    frame = pd.DataFrame({"prompt": ["a", "b"], "samples": [["fine"], "not a list"]})
    rep = synthaudit.audit("text", synthetic=frame, field="prompt", prompt_field="prompt", samples_field="samples",
                           metrics=["text.toxicity_probability"], models=models)
    r = rep.result("text.toxicity_probability")
    assert r.status == "failed" and "record 1" in r.error and "list of continuations" in r.error
