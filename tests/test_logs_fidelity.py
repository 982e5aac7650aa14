"""Log fidelity (survey section 5.2): logs.bleu against sacrebleu, logs.rouge against rouge_score,
logs.semantic_similarity against sentence-transformers' util.cos_sim, logs.level_accuracy and logs.aod against
hand-worked fixtures."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import synthaudit.metrics.logs.fidelity as fidelity  # noqa: F401 (registers the metrics)
from synthaudit.data.logs_prepare import prepare_logs
from synthaudit.metrics.logs.fidelity import code_tokens
from synthaudit.metrics.registry import get
from synthaudit.models import Models

NONE = Models()  # these metrics need no model


@pytest.fixture(scope="module")
def hdfs(shared_dir) -> pd.DataFrame:
    """HDFS 2k: the message, loghub's original template (as a parser's prediction) and the corrected template
    (ground truth); the two differ on every line (e.g. 'blk_<*>' vs '<*>')."""
    root = shared_dir / "data" / "logs" / "loghub_2k" / "HDFS"
    raw = pd.read_csv(root / "HDFS_2k.log_structured.csv")
    fixed = pd.read_csv(root / "HDFS_2k.log_structured_corrected.csv")
    assert (raw["Content"] == fixed["Content"]).all()
    return pd.DataFrame({"Content": raw["Content"], "Predicted": raw["EventTemplate"],
                         "EventTemplate": fixed["EventTemplate"], "Level": raw["Level"]})


def run(metric_id: str, inputs, models=NONE, **params):
    if params:
        inputs.params[metric_id] = params
    return get(metric_id).run(inputs, models)


def messages(hyps, refs, **extra) -> object:
    frame = pd.DataFrame({"Content": pd.Series(hyps, dtype=object), "Ref": pd.Series(refs, dtype=object), **extra})
    return prepare_logs(synthetic=frame, fields={"reference_text": "Ref"})


# -- tokenisation ------------------------------------------------------------------------------------------------
def test_code_tokens_hand_examples():
    assert code_tokens("PacketResponder 1 for block blk_-1608 terminating") == \
        ["Packet", "Responder", "1", "for", "block", "blk", "_", "-", "1608", "terminating"]
    assert code_tokens("Received block <*> of size <*> from /<*>") == \
        ["Received", "block", "<*>", "of", "size", "<*>", "from", "/", "<*>"]
    assert code_tokens("HTTPServer getUserName ipv4Address x=3") == \
        ["HTTP", "Server", "get", "User", "Name", "ipv4", "Address", "x", "=", "3"]
    assert code_tokens("café naïveÉcole 日本語 ログ") == ["café", "naïveÉcole", "日本語", "ログ"]  # non-ASCII: no split
    assert code_tokens("") == [] and code_tokens("   ") == []


# -- logs.bleu ---------------------------------------------------------------------------------------------------
def test_bleu_hand_worked_and_sacrebleu():
    import sacrebleu

    hyp, ref = "block Receiving src dest block size", "block Receiving src dest from size"
    # unigrams: block x2 (ref has 1: clipped to 1), Receiving, src, dest, size -> 5/6
    # bigrams: block-Receiving, Receiving-src, src-dest match of 5 -> 3/5; trigrams 2/4; 4-grams 1/3
    # brevity penalty 1 (equal lengths): BLEU = (5/6 * 3/5 * 2/4 * 1/3) ** (1/4) = (1/12) ** 0.25
    res = run("logs.bleu", messages([hyp], [ref]))
    assert res.value == pytest.approx((1 / 12) ** 0.25, abs=1e-9)
    # sacrebleu reports 0-100: the metric is its score / 100
    assert res.value == pytest.approx(sacrebleu.corpus_bleu([hyp], [[ref]], tokenize="none").score / 100, abs=1e-12)
    assert res.secondary["precision_1"] == pytest.approx(5 / 6)
    assert res.notes["compared"].startswith("message")


def test_bleu_on_hdfs_templates_equals_sacrebleu(hdfs):
    import sacrebleu

    inputs = prepare_logs(synthetic=hdfs, fields={"template": "Predicted"})
    hyps, refs = list(hdfs["Predicted"]), list(hdfs["EventTemplate"])
    tok = [" ".join(code_tokens(h)) for h in hyps], [" ".join(code_tokens(r)) for r in refs]
    corpus = run("logs.bleu", inputs)
    assert "predicted template (field 'Predicted')" in corpus.notes["compared"]
    assert corpus.value == pytest.approx(sacrebleu.corpus_bleu(tok[0], [tok[1]], tokenize="none").score / 100,
                                         abs=1e-12)
    assert 0.3 < corpus.value < 1.0
    # sacrebleu's own 13a tokenisation, end to end in sacrebleu
    r13 = run("logs.bleu", inputs, tokenize="13a")
    assert r13.value == pytest.approx(sacrebleu.corpus_bleu(hyps, [refs]).score / 100, abs=1e-12)
    # sentence level: the mean of sacrebleu's sentence BLEU (effective order, exp smoothing)
    sent = run("logs.bleu", inputs, level="sentence_mean", tokenize="code")
    expected = np.mean([sacrebleu.sentence_bleu(h, [r], tokenize="none").score / 100 for h, r in zip(*tok)])
    assert sent.value == pytest.approx(expected, abs=1e-12)
    assert sent.value != pytest.approx(corpus.value, abs=1e-6)  # corpus BLEU is not the mean of sentence BLEU
    assert len(sent.record_scores) == len(hdfs) and len(sent.breakdown) == 10
    # max_n = 2: sacrebleu with max_ngram_order 2
    from sacrebleu.metrics import BLEU

    two = run("logs.bleu", inputs, max_n=2, level="corpus")
    assert two.value == pytest.approx(BLEU(tokenize="none", max_ngram_order=2).corpus_score(tok[0], [tok[1]]).score
                                      / 100, abs=1e-12)


def test_ground_truth_against_itself_scores_one(hdfs):
    frame = hdfs.iloc[:600].assign(Predicted=hdfs["EventTemplate"], RefLevel=hdfs["Level"])
    inputs = prepare_logs(synthetic=frame, fields={"template": "Predicted", "reference_level": "RefLevel"})
    for level in ("corpus", "sentence_mean"):
        assert run("logs.bleu", inputs, level=level).value == pytest.approx(1.0)
    for variant in ("rouge1", "rouge2", "rougeL"):
        assert run("logs.rouge", inputs, variant=variant).value == pytest.approx(1.0)
    assert run("logs.level_accuracy", inputs).value == 1.0
    assert run("logs.aod", inputs).value == 1.0


def test_bleu_missing_empty_and_unicode():
    import sacrebleu

    # record 1: no reference (left out); record 2: no generated text (an empty hypothesis); record 3: unicode
    hyps = ["Receiving block blk_1", "Receiving block blk_2", None, "接続 エラー ブロック blk_3 é"]
    refs = ["Receiving block blk_1", None, "Receiving block blk_9", "接続 エラー ブロック blk_4 é"]
    res = run("logs.bleu", messages(hyps, refs))
    assert res.notes["no_reference"] == 1 and res.notes["empty_prediction"] == 1 and res.notes["n_pairs"] == 3
    kept_h = ["Receiving block blk_1", "", "接続 エラー ブロック blk_3 é"]
    kept_r = ["Receiving block blk_1", "Receiving block blk_9", "接続 エラー ブロック blk_4 é"]
    tok = [" ".join(code_tokens(t)) for t in kept_h], [" ".join(code_tokens(t)) for t in kept_r]
    assert res.value == pytest.approx(sacrebleu.corpus_bleu(tok[0], [tok[1]], tokenize="none").score / 100,
                                      abs=1e-12)
    assert run("logs.bleu", messages([None, "x"], [None, " "])).value is None  # nothing to compare
    with pytest.raises(ValueError, match="level"):
        run("logs.bleu", messages(["a"], ["a"]), level="mean")


def test_text_metrics_need_a_reference():
    inputs = prepare_logs(synthetic=pd.DataFrame({"Content": ["a b", "c d"]}))
    for mid in ("logs.bleu", "logs.rouge", "logs.semantic_similarity"):
        assert "--reference-field" in get(mid).spec.applies(inputs)
    assert get("logs.bleu").spec.applies(messages(["a"], ["a"])) is None


# -- logs.rouge ----------------------------------------------------------------------------------------------------
def test_rouge_hand_worked():
    # 'a b c d' vs 'a c d e': LCS 'a c d' = 3 -> P = R = 3/4, F = 0.75; ROUGE-1 overlap 3 -> 0.75;
    # ROUGE-2: bigrams ab bc cd vs ac cd de share 'cd' -> P = R = 1/3
    inputs = messages(["a b c d"], ["a c d e"])
    assert run("logs.rouge", inputs, variant="rougeL").value == pytest.approx(0.75)
    assert run("logs.rouge", inputs, variant="rouge1").value == pytest.approx(0.75)
    assert run("logs.rouge", inputs, variant="rouge2").value == pytest.approx(1 / 3)
    # code tokens keep case and split identifiers: 'getUserName failed' -> get User Name failed (4 tokens);
    # 'get_user_name failed' -> get _ user _ name failed (6); LCS = get, failed = 2 -> P = 2/4, R = 2/6,
    # F = 2 * (1/2 * 1/3) / (1/2 + 1/3) = 0.4
    assert run("logs.rouge", messages(["getUserName failed"], ["get_user_name failed"])).value == pytest.approx(0.4)


def test_rouge_on_hdfs_equals_rouge_score(hdfs):
    from rouge_score.rouge_scorer import RougeScorer

    class Spaces:  # the test's tokenizer: the texts are already split by code_tokens
        def tokenize(self, text):
            return text.split()

    inputs = prepare_logs(synthetic=hdfs.iloc[:400], fields={"template": "Predicted"})
    pairs = list(zip(hdfs["Predicted"].iloc[:400], hdfs["EventTemplate"].iloc[:400]))
    for variant in ("rougeL", "rouge2"):
        plain = RougeScorer([variant])  # rouge_score's default tokenizer
        res = run("logs.rouge", inputs, variant=variant, tokenize="rouge_score")
        assert res.value == pytest.approx(np.mean([plain.score(r, h)[variant].fmeasure for h, r in pairs]), abs=1e-12)
        spaced = RougeScorer([variant], tokenizer=Spaces())
        res = run("logs.rouge", inputs, variant=variant, tokenize="code")
        expected = [spaced.score(" ".join(code_tokens(r)), " ".join(code_tokens(h)))[variant].fmeasure
                    for h, r in pairs]
        assert res.value == pytest.approx(np.mean(expected), abs=1e-12)
        assert res.record_scores == pytest.approx(expected)
        streamed = get("logs.rouge").impl.compute(inputs, NONE, batch_size=37)  # batches: the same scores
        assert streamed.record_scores == pytest.approx(expected)
        assert [r["record"] for r in streamed.breakdown] == [r["record"] for r in res.breakdown]


def test_rouge_unicode_empty_and_missing():
    inputs = messages(["日本語 ログ 行", None, "x y", "a"], ["日本語 ログ 行", "x y", None, ""])
    res = run("logs.rouge", inputs)
    # record 0: identical -> 1; record 1: no generated text -> 0; records 2, 3: no (or a blank) reference: not scored
    assert res.value == pytest.approx(0.5)
    assert np.isnan(res.record_scores[2]) and np.isnan(res.record_scores[3])
    assert res.notes["no_reference"] == 2 and res.notes["empty_prediction"] == 1
    # rouge_score's own tokenizer drops non-ASCII letters: the identical Japanese pair scores 0 there
    assert run("logs.rouge", inputs, tokenize="rouge_score").value == pytest.approx(0.0)
    with pytest.raises(ValueError, match="variant"):
        run("logs.rouge", inputs, variant="rougeW")


# -- logs.semantic_similarity --------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def models():
    return Models.default()


def test_semantic_similarity_equals_sentence_transformers_cos_sim(models):
    from sentence_transformers import SentenceTransformer, util

    hyps = ["Receiving block blk_1 src: /10.0.0.1:50010", "Connection reset by peer", None,
            "ディスクが いっぱい です", "PacketResponder 1 for block blk_2 terminating"]
    refs = ["Receiving block blk_7 src: /10.0.0.2:50010", "Exception in receiveBlock: connection reset", "x",
            "The disk is full", None]
    res = run("logs.semantic_similarity", messages(hyps, refs), models)
    model = models.get("sentence_embedder")._model  # the loaded SentenceTransformer, called directly here
    assert isinstance(model, SentenceTransformer)
    kept = [(h, r) for h, r in zip(hyps, refs) if h and r]
    cos = [float(util.cos_sim(model.encode(h), model.encode(r))) for h, r in kept]
    assert res.value == pytest.approx(np.mean(cos), abs=1e-5)
    assert res.record_scores[[0, 1, 3]] == pytest.approx(cos, abs=1e-5)
    assert np.isnan(res.record_scores[2]) and np.isnan(res.record_scores[4])
    assert res.notes["empty_prediction"] == 1 and res.notes["no_reference"] == 1
    assert "all-MiniLM-L6-v2" in res.notes["encoder_used"]
    same = run("logs.semantic_similarity", messages(["Disk full on /dev/sda1"], ["Disk full on /dev/sda1"]), models)
    assert same.value == pytest.approx(1.0, abs=1e-5)


# -- levels --------------------------------------------------------------------------------------------------------
def levels(pred, ref, **kw):
    frame = pd.DataFrame({"Content": [f"m{i}" for i in range(len(pred))], "Level": pd.Series(pred, dtype=object),
                          "Gold": pd.Series(ref, dtype=object)})
    inputs = prepare_logs(synthetic=frame, fields={"reference_level": "Gold"})
    return inputs


def test_level_accuracy_hand_worked_with_aliases():
    pred = ["WARNING", "err", "Critical", "info", "debug", None, "INFO", "warn"]
    ref = ["warn", "ERROR", "FATAL", "INFO", "trace", "info", None, "error"]
    # 1 WARNING=warn, 1 err=ERROR, 1 Critical=FATAL, 1 info=INFO, 0 debug!=trace, 0 missing level,
    # not scored (no reference), 0 warn!=error -> 4 correct of 7 scored
    res = run("logs.level_accuracy", levels(pred, ref))
    assert res.value == pytest.approx(4 / 7)
    assert res.notes["no_reference_level"] == 1 and res.notes["missing_level"] == 1
    assert np.isnan(res.record_scores[6])
    assert {r["record"] for r in res.breakdown} == {4, 5, 7}
    # BGL's SEVERE is its own level unless mapped by the user
    assert run("logs.level_accuracy", levels(["SEVERE"], ["ERROR"])).value == 0.0
    assert run("logs.level_accuracy", levels(["SEVERE"], ["ERROR"]), aliases={"severe": "error"}).value == 1.0


def test_level_accuracy_on_bgl(shared_dir):
    bgl = pd.read_csv(shared_dir / "data" / "logs" / "loghub_2k" / "BGL" / "BGL_2k.log_structured.csv")
    gold = bgl["Level"].tolist()
    spelled = {"INFO": "information", "WARNING": "warn", "ERROR": "err", "FATAL": "fatal", "SEVERE": "severe"}
    pred = [spelled[g] if i % 3 else ("INFO" if g != "INFO" else "ERROR") for i, g in enumerate(gold)]
    # every third record (i % 3 == 0) is wrong, the others are the same level spelled differently
    res = run("logs.level_accuracy", levels(pred, gold))
    assert res.value == pytest.approx(sum(1 for i in range(len(gold)) if i % 3) / len(gold))


def test_aod_hand_worked():
    pred = ["info", "WARNING", "error", "debug", "fatal", "notice", None, "info", "info"]
    ref = ["info", "info", "trace", "fatal", "trace", "info", "warn", "custom", None]
    # scale trace0 debug1 info2 warn3 error4 fatal5, MaxDis 5:
    # 1 - 0/5 = 1; |3-2| = 1 -> 0.8; |4-0| = 4 -> 0.2; |1-5| = 4 -> 0.2; |5-0| = 5 -> 0; 'notice' off the scale -> 0;
    # missing level -> 0; reference 'custom' off the scale: not scored; no reference: not scored
    res = run("logs.aod", levels(pred, ref))
    assert res.value == pytest.approx((1 + 0.8 + 0.2 + 0.2 + 0 + 0 + 0) / 7)
    assert res.notes["reference_off_scale"] == 1 and res.notes["level_off_scale"] == 1
    assert res.notes["missing_level"] == 1 and res.notes["no_reference_level"] == 1 and res.notes["max_dis"] == 5
    # a 3-level scale: MaxDis 2; info vs error -> 1 - 2/2 = 0; warn vs error -> 0.5; unknown 'trace' -> off scale
    res = run("logs.aod", levels(["info", "warn", "error"], ["error", "error", "trace"]), levels=["info", "warn",
                                                                                                  "error"])
    assert res.value == pytest.approx(0.25) and res.notes["reference_off_scale"] == 1


def test_levels_constant_empty_and_bad_params():
    res = run("logs.aod", levels(["info"] * 4, ["info"] * 4))
    assert res.value == 1.0 and res.breakdown == []
    res = run("logs.level_accuracy", levels([None, None], [None, None]))
    assert res.value is None and res.notes["no_reference_level"] == 2
    with pytest.raises(ValueError, match="levels"):
        run("logs.aod", levels(["info"], ["info"]), levels=["info"])
    with pytest.raises(ValueError, match="repeated"):
        run("logs.aod", levels(["info"], ["info"]), levels=["warn", "warning", "error"])
    with pytest.raises(ValueError, match="aliases"):
        run("logs.level_accuracy", levels(["info"], ["info"]), aliases=["x"])
    no_ref = prepare_logs(synthetic=pd.DataFrame({"Content": ["a"], "Level": ["info"]}))
    assert "--reference-level-field" in get("logs.aod").spec.applies(no_ref)
    assert math.isclose(run("logs.level_accuracy", levels(["ＩＮＦＯ"], ["info"])).value, 0.0)  # no NFKC folding
