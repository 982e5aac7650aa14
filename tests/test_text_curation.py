"""Curation checks beside survey section 2.2 (text.ext.*): duplicates (exact, MinHash near-duplicates verified
by exact Jaccard), empty, truncated and encoding-damaged records, language mix, length distributions."""
from __future__ import annotations

import math
import random

import numpy as np
import pandas as pd
import pytest

import synthaudit
from synthaudit.data.text import prepare_text, tokenize
from synthaudit.metrics.registry import all_metrics, metric_entries
from synthaudit.metrics.text.curation import SNIPPET
from synthaudit.stats import minhash, textstore
from synthaudit.stats.dedup import FINGERPRINT_BYTES, casefold_table, normal_form, normalised_groups
from synthaudit.stats.intern import ByteTable
from synthaudit.stats.ngrams import Vocabulary, encode_texts, tokenize_batch

EXACT, NEAR = "text.ext.exact_duplicate_rate", "text.ext.near_duplicate_rate"
EMPTY, TRUNC, NOISE = "text.ext.empty_rate", "text.ext.truncation_rate", "text.ext.encoding_noise_rate"
LANG, LENGTH = "text.ext.language_mix", "text.ext.length_distribution"
CHECKS = [EXACT, NEAR, EMPTY, TRUNC, NOISE, LANG, LENGTH]


def audit(texts, metrics, **kw):
    return synthaudit.audit("text", synthetic=pd.DataFrame({"text": texts}), metrics=metrics, **kw)


def run(texts, mid, params=None, real=None):
    """The MetricResult itself (with record scores), computed the way the engine streams it."""
    from synthaudit.models import Models

    inputs = prepare_text(synthetic=pd.DataFrame({"text": texts}), real=real, params={mid: params or {}})
    return all_metrics()[mid].impl.compute(inputs, Models.default())


def test_checks_are_registered_as_extensions():
    entries = metric_entries()
    expect = {EXACT: "diversity", NEAR: "diversity", LANG: "diversity", EMPTY: "validity", TRUNC: "validity",
              NOISE: "validity", LENGTH: "fidelity"}
    for mid, dim in expect.items():
        e = entries[mid]
        assert e["extension"] and e["dimension"] == dim and e["section"] == "2.2" and len(e["definition"]) > 80
    assert all_metrics()[EMPTY].spec.computation == "record"


# ---- exact duplicates ---------------------------------------------------------------------------------

def test_exact_duplicates_hand_fixture():
    texts = ["Hello  World.", "hello world.", None, float("nan"), "", "   ", "Straße", "STRASSE", "strasse ",
             "other", "\tHELLO\nworld. ", "ΣΟΦΟΣ", "σοφος"]
    res = audit(texts, [EXACT]).result(EXACT)
    # compared: 9 non-blank records; clusters {0, 1, 10}, {6, 7, 8}, {11, 12} (casefold: ß -> ss, final ς -> σ)
    assert res.value == pytest.approx(5 / 9)
    assert res.secondary == {"duplicate_records": 5, "clusters": 3, "distinct_texts": 4}
    assert [(r["size"], r["records"]) for r in res.breakdown] == [(3, "0, 1, 10"), (3, "6, 7, 8"), (2, "11, 12")]
    assert res.breakdown[0]["text"] == "hello world." and res.n_record_scores == len(texts)
    scores = run(texts, EXACT).record_scores
    assert np.array_equal(scores, [0, 1, np.nan, np.nan, np.nan, np.nan, 0, 1, 1, 0, 1, 0, 1], equal_nan=True)


def test_exact_duplicates_edge_corpora():
    assert audit(["same text"] * 7, [EXACT]).value(EXACT) == pytest.approx(6 / 7)
    assert audit([f"text {i}" for i in range(50)], [EXACT]).value(EXACT) == 0.0
    none = audit([None, "  ", ""], [EXACT]).result(EXACT)
    assert none.value is None and none.notes["compared"] == 0


def test_casefold_of_lowered_text_equals_casefold_for_every_code_point():
    chars = [chr(c) for c in range(0x110000)]
    assert all(c.casefold() == c.lower().casefold() for c in chars)  # the basis of the compiled normaliser
    fmap, fexp = casefold_table()
    c = 0x1E9E  # capital sharp s folds to "ss"
    assert fmap[c] < 0 and "".join(chr(x) for x in fexp[-1 - fmap[c]] if x >= 0) == "ss"


def test_normal_forms_equal_python_reference_on_random_unicode():
    rng = random.Random(7)
    alphabet = "aAßẞΣσς İıÉé\u0301\u0345ŉ \t\n\u00a0\u2003東.,"
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12))) for _ in range(4000)] + [None]
    texts += ["ŉ" * 5000, "ŉ" * 5000 + " "]  # folds to 1.5x its UTF-8 size: the table must grow mid-batch
    table = ByteTable(16)
    buf, offsets, missing, ascii_only = encode_texts(texts, True)
    groups = normalised_groups(buf, offsets, missing, table, ascii_only)
    seen: dict[str, int] = {}
    for text, g in zip(texts, groups.tolist()):
        form = normal_form(text) if text is not None else ""
        if not form:
            assert g == -1
            continue
        assert seen.setdefault(form, g) == g  # equal normal forms share a group ...
    assert len(table) == len(seen) == len(set(groups[groups >= 0].tolist()))  # ... and distinct ones do not
    assert all(len(table.get(g)) == FINGERPRINT_BYTES for g in range(len(table)))  # fingerprints, not texts


def test_exact_duplicates_stream_and_merge_equal_one_piece():
    rng = random.Random(3)
    base = [f"Sentence {i} about things." for i in range(40)]
    texts = [rng.choice(base).upper() if rng.random() < 0.3 else rng.choice(base) for _ in range(600)]
    whole = audit(texts, [EXACT]).result(EXACT)
    streamed = audit(texts, [EXACT], batch_size=53).result(EXACT)
    impl = all_metrics()[EXACT].impl
    inputs = prepare_text(synthetic=texts)
    parts = [impl.update(impl.init(prepare_text(synthetic=texts), None), "synthetic",
                         pd.DataFrame({"text": texts[a:b]})) for a, b in ((0, 200), (200, 450), (450, 600))]
    merged = impl.finalize(impl.merge(impl.merge(parts[0], parts[1]), parts[2]), inputs, None)
    reversed_ = impl.finalize(impl.merge(parts[2], impl.merge(parts[1], parts[0])), inputs, None)
    assert whole.value == streamed.value == merged.value == reversed_.value
    assert np.array_equal(merged.record_scores, impl.compute(inputs, None).record_scores, equal_nan=True)
    assert whole.breakdown == streamed.breakdown == merged.breakdown  # in-order merges keep every cluster's text
    assert all(row["text"] for row in whole.breakdown)


def test_exact_duplicate_clusters_keep_their_text_when_copies_are_batches_apart():
    # the state keeps fingerprints, not texts: a cluster's text is taken when its first duplicate arrives, here
    # 4 batches after the original, and for long texts only the head is normalised (the snippet is 80 characters)
    long_text = "Word  " * 30 + "ΣΟΦΟΣ " + "x" * 400
    exactly = "a" * 80  # a normal form of exactly the snippet length: shown whole, no ellipsis
    texts = [long_text, exactly, "  " + "b" * 79 + "  c"] + [f"filler {i}" for i in range(40)] + \
        [long_text.lower(), exactly.upper(), "b" * 79 + " C"]
    res = audit(texts, [EXACT], batch_size=10).result(EXACT)
    assert res.value == pytest.approx(3 / 46) and res.secondary["clusters"] == 3  # 46 records, 43 distinct
    expected = {normal_form(long_text)[:SNIPPET - 1] + "…", exactly, "b" * 79 + "…"}
    assert {row["text"] for row in res.breakdown} == expected
    assert res.breakdown == audit(texts, [EXACT]).result(EXACT).breakdown


# ---- near duplicates ----------------------------------------------------------------------------------

def words_of(text: str) -> list[str]:
    return [t for t in tokenize(text) if t[0].isalnum() or t[0] == "_"]


def brute_shingles(text: str, k: int) -> set:
    w = words_of(text)
    if not w:
        return set()
    kk = min(k, len(w))
    return {tuple(w[i:i + kk]) for i in range(len(w) - kk + 1)}


def planted_corpus(seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    vocab = [f"w{i}" for i in range(400)]
    base = [" ".join(rng.choice(vocab) for _ in range(rng.randint(30, 60))) + "." for _ in range(60)]
    texts = list(base)
    for _ in range(60):  # edited copies: a few word substitutions, some heavy
        src = rng.choice(base).split()
        for _ in range(rng.choice([0, 1, 2, 3, 8, 20])):
            src[rng.randrange(len(src))] = rng.choice(vocab)
        texts.append(" ".join(src))
    rng.shuffle(texts)
    return texts + [None, "", "!!!"]


def test_near_duplicates_against_brute_force_jaccard():
    texts = planted_corpus()
    t, k = 0.8, 3
    res = audit(texts, [NEAR]).result(NEAR)
    sets = [brute_shingles(x, k) if isinstance(x, str) else set() for x in texts]
    truth = {}
    for i in range(len(texts)):
        for j in range(i + 1, len(texts)):
            if sets[i] and sets[j]:
                truth[(i, j)] = len(sets[i] & sets[j]) / len(sets[i] | sets[j])
    impl = all_metrics()[NEAR].impl
    inputs = prepare_text(synthetic=texts)
    state = impl.update(impl.init(inputs, None), "synthetic", pd.DataFrame({"text": texts}))
    sig, eligible = minhash.signatures(tokenize_batch(texts, Vocabulary(lowercase=True)), 128, 0, k)
    bands, rows = minhash.lsh_params(t, 128)
    assert np.array_equal(np.concatenate(state["keys"]), minhash.band_keys(sig, bands, rows))  # the state's keys
    pairs, _ = minhash.candidate_pairs(sig, eligible, bands, rows)
    linked = {(i, j) for i, j in pairs.tolist() if truth[(i, j)] >= t}
    assert all(truth[p] >= t for p in linked)  # no false positive after verification
    strong = {p for p, s in truth.items() if s >= 0.9}
    assert strong and strong <= {tuple(p) for p in pairs.tolist()}  # recall of pairs well above threshold
    above = {p for p, s in truth.items() if s >= t}
    assert len(linked) >= 0.9 * len(above)
    # the value: records removed by keep-first deduplication over the linked pairs
    labels = minhash.components(len(texts), np.array(sorted(linked)).reshape(-1, 2))
    removed = sum(np.bincount(labels)[np.bincount(labels) > 1] - 1)
    assert res.value == pytest.approx(removed / (len(texts) - 3))  # None, "" and "!!!" have no word
    assert res.secondary["linked_pairs"] == len(linked) and res.notes["rejected_candidates"] == len(pairs) - len(linked)
    assert all(r["min_linked_jaccard"] >= t for r in res.breakdown) and res.n_record_scores == len(texts)
    scores = run(texts, NEAR).record_scores
    assert np.nansum(scores) == removed and np.isnan(scores[-3:]).all()


def test_minhash_signature_agreement_estimates_jaccard():
    rng = random.Random(1)
    words = [f"t{i}" for i in range(2000)]
    a = [rng.choice(words) for _ in range(300)]
    b = a[:200] + [rng.choice(words) for _ in range(100)]
    texts = [" ".join(a), " ".join(b)]
    exact = minhash.jaccard(*minhash.shingle_sets(texts, 3))
    assert exact == pytest.approx(len(brute_shingles(texts[0], 3) & brute_shingles(texts[1], 3))
                                  / len(brute_shingles(texts[0], 3) | brute_shingles(texts[1], 3)))
    from synthaudit.stats.ngrams import Vocabulary, tokenize_batch

    sig, eligible = minhash.signatures(tokenize_batch(texts, Vocabulary()), 1024, 0, 3)
    assert eligible.all() and abs(np.mean(sig[0] == sig[1]) - exact) < 0.05
    again, _ = minhash.signatures(tokenize_batch(texts, Vocabulary()), 1024, 0, 3)
    assert np.array_equal(sig, again)  # content hashes: a fresh vocabulary gives the same signatures


def test_lsh_parameters_favour_recall_at_the_threshold():
    for t in (0.5, 0.8, 0.9):
        b, r = minhash.lsh_params(t, 128)
        at_t, below = (1 - (1 - s ** r) ** b for s in (t, t - 0.3))
        assert b * r <= 128 and at_t >= 0.95 and below < 0.2


def test_near_duplicates_edge_corpora_and_merge():
    assert audit(["the same words here"] * 5, [NEAR]).value(NEAR) == pytest.approx(4 / 5)
    assert audit([None, "", "?!"], [NEAR]).value(NEAR) is None
    texts = planted_corpus(2)
    whole = run(texts, NEAR)
    impl = all_metrics()[NEAR].impl
    inputs = prepare_text(synthetic=texts)
    a = impl.update(impl.init(prepare_text(synthetic=texts), None), "synthetic", pd.DataFrame({"text": texts[:70]}))
    b = impl.update(impl.init(prepare_text(synthetic=texts), None), "synthetic", pd.DataFrame({"text": texts[70:]}))
    merged = impl.finalize(impl.merge(a, b), inputs, None)
    assert merged.value == whole.value and np.array_equal(merged.record_scores, whole.record_scores,
                                                          equal_nan=True)
    swapped = impl.finalize(impl.merge(b, a), inputs, None)
    assert swapped.value == whole.value  # the order changes which member is kept, not how many go


def test_near_duplicates_with_texts_spilled_to_disk_equal_in_memory(monkeypatch):
    texts = planted_corpus(4)
    whole = audit(texts, [NEAR]).result(NEAR)
    monkeypatch.setattr(textstore, "MEMORY_BYTES", 500)  # the corpus is ~30 KB: nearly every text goes to disk
    impl = all_metrics()[NEAR].impl
    inputs = prepare_text(synthetic=texts)
    state = impl.init(inputs, None)
    for a in range(0, len(texts), 17):
        state = impl.update(state, "synthetic", pd.DataFrame({"text": texts[a:a + 17]}))
    assert state["texts"].spilled_bytes > 20_000
    spilled = impl.finalize(state, inputs, None)
    assert (spilled.value, spilled.breakdown, spilled.notes) == (whole.value, whole.breakdown, whole.notes)


def test_text_store_spills_reads_back_pickles_and_merges():
    import pickle

    texts = ["plain", None, "", "ünïcødé 東京 \U0001f600", "lone \udc80 surrogate", "x" * 300, None, "end"]
    store = textstore.TextStore(memory_bytes=10)
    for t in texts:
        store.extend([t])
    assert len(store) == len(texts) and store.spilled_bytes > 300
    assert store.get(range(len(texts))) == texts and store.get([5, 0]) == [texts[5], texts[0]]
    payload = pickle.dumps(store)  # carries the bytes, not the file
    assert b"x" * 300 in payload
    both = textstore.TextStore().merge(store).merge(store)
    assert both.get(range(2 * len(texts))) == texts + texts
    store.close()  # the first store's file is gone: the copy does not need it
    again = pickle.loads(payload)
    assert again.get(range(len(texts))) == texts
    with pytest.raises(IndexError):
        again.get([len(texts)])


# ---- record validity ----------------------------------------------------------------------------------

def test_empty_rate():
    texts = ["ok", None, float("nan"), 3, "", "  \n\t", "\u00a0", "x"]
    res = audit(texts, [EMPTY]).result(EMPTY)
    assert res.value == pytest.approx(6 / 8)
    assert list(run(texts, EMPTY).record_scores) == [0, 1, 1, 1, 1, 1, 1, 0]
    assert {r["reason"]: (r["records"], r["share"]) for r in res.breakdown} == {"missing": (3, 3 / 8),
                                                                               "blank": (3, 3 / 8)}


@pytest.mark.parametrize("text,reason", [
    ("Here is the code:\n```python\nprint(1)\n", "unclosed_code_fence"),
    ("The list (first item, second item and more.", "unbalanced_brackets"),
    ("He said “stop. Then left.", "unbalanced_quotes"),
    ('She wrote "the end. And then.', "unbalanced_quotes"),
    ("The answer, in short, is that we can,", "dangling_end"),
    ("Une phrase qui continue sans jamais finir parce que le modèle a été coupé", "no_terminal_punctuation"),
    ("The model stopped generating in the middle of a long explanation about the weath", "no_terminal_punctuation"),
])
def test_truncation_reasons(text, reason):
    from synthaudit.stats.textchecks import truncation_reason

    assert truncation_reason(text) == reason


@pytest.mark.parametrize("text", ["Confident", "Yes", "42", "A short label without a period",
                                  "A finished sentence that ends properly with a period.",
                                  "Code:\n```\nx = (1 + 2)\n```", "Done! 🎉", "東京は大きい。",
                                  "Wrapped (in brackets)"])
def test_truncation_leaves_finished_texts(text):
    from synthaudit.stats.textchecks import truncation_reason

    assert truncation_reason(text) is None


def test_truncation_rate_scores_and_skips_blank():
    texts = ["Fine sentence.", None, "  ", "One two three four five six seven eight nine", "ok"]
    res = audit(texts, [TRUNC]).result(TRUNC)
    assert res.value == pytest.approx(1 / 3)
    scores = run(texts, TRUNC).record_scores
    assert np.isnan(scores[1]) and np.isnan(scores[2]) and scores[3] == 1 and scores[0] == scores[4] == 0
    assert res.notes["heuristic"] == "synthaudit-truncation-v2"
    short = audit(texts, [TRUNC], params={TRUNC: {"min_words": 20}}).value(TRUNC)
    assert short == 0.0


@pytest.mark.parametrize("text,kinds", [
    ("café naïve façade, voilà… café’s “quote”", []),
    ("cafÃ© and naÃ¯ve", ["mojibake"]),
    ("it doesnâ€™t work", ["mojibake"]),
    ("25Â°C", ["mojibake"]),
    ("ðŸ˜€ smile", ["mojibake"]),
    ("ÐŸÑ€Ð¸Ð²ÐµÑ‚", ["mojibake"]),
    ("bad \ufffd byte", ["replacement_char"]),
    ("nul\x00 and bell\x07", ["control_chars"]),
    ("C1 \x85 next line", ["control_chars"]),
    ("tabs\tand\nnewlines\r\n are fine", []),
    ("Привет, мир", []),
])
def test_encoding_noise_kinds(text, kinds):
    from synthaudit.stats.textchecks import noise_kinds

    assert noise_kinds(text) == kinds


def test_encoding_noise_rate():
    res = audit(["clean", "cafÃ©", None, "x\ufffd\x01", ""], [NOISE]).result(NOISE)
    assert res.value == pytest.approx(2 / 4)  # the missing record is not scored; "" is clean
    assert {r["reason"]: r["records"] for r in res.breakdown} == {"mojibake": 1, "replacement_char": 1,
                                                                   "control_chars": 1}
    assert res.breakdown[0]["share"] == pytest.approx(1 / 4)  # shares of the scored records


# ---- language mix -------------------------------------------------------------------------------------

EN = ["The weather is lovely today and we are going to the park.", "Please send me the report by Friday morning.",
      "This recipe needs two cups of flour and one egg.", "The train to the city leaves every hour on weekdays."]
FR = ["Le temps est magnifique aujourd'hui et nous allons au parc.", "Merci de m'envoyer le rapport avant vendredi."]
DE = ["Das Wetter ist heute schön und wir gehen in den Park."]


def test_language_mix_shares_and_expected():
    pytest.importorskip("langdetect")
    texts = EN * 3 + FR * 2 + DE + [None, "   "]
    res = audit(texts, [LANG]).result(LANG)
    shares = {r["language"]: r["share"] for r in res.breakdown}
    assert shares == pytest.approx({"en": 12 / 17, "fr": 4 / 17, "de": 1 / 17})
    assert res.value == pytest.approx(12 / 17) and res.notes["sample_size"] == 17
    fr = audit(texts, [LANG], params={LANG: {"expected": "fr"}}).value(LANG)
    assert fr == pytest.approx(4 / 17)


def test_language_sample_is_seeded_and_order_free():
    pytest.importorskip("langdetect")
    texts = [f"{s} Number {i}." for i, s in enumerate(EN * 20 + FR * 20)]
    params = {LANG: {"sample_size": 25}}
    a = audit(texts, [LANG], params=params).result(LANG)
    b = audit(list(reversed(texts)), [LANG], params=params, batch_size=7).result(LANG)
    assert a.breakdown == b.breakdown and a.notes["sample_size"] == 25 and a.notes["population"] == 120
    c = audit(texts, [LANG], params={LANG: {"sample_size": 25, "seed": 9}}).result(LANG)
    assert c.notes["seed"] == 9


# ---- lengths ------------------------------------------------------------------------------------------

def test_length_distribution_against_real_matches_scipy():
    from scipy.stats import ks_2samp

    syn = ["short one.", "a bit longer text, with commas.", None, "東京は大きい", "x"]
    real = ["a real sentence here.", "another real one that is longer than that.", "mid size text"]
    rep = synthaudit.audit("text", synthetic=syn, real=real, metrics=[LENGTH])
    res = rep.result(LENGTH)
    s_chars = [len(t) for t in syn if t is not None]
    r_chars = [len(t) for t in real]
    s_toks = [len(tokenize(t)) for t in syn if t is not None]
    r_toks = [len(tokenize(t)) for t in real]
    assert res.secondary["ks_characters"] == pytest.approx(ks_2samp(s_chars, r_chars).statistic)
    assert res.secondary["ks_tokens"] == pytest.approx(ks_2samp(s_toks, r_toks).statistic)
    assert res.secondary["p_tokens"] == pytest.approx(ks_2samp(s_toks, r_toks).pvalue)
    assert res.value == pytest.approx(max(res.secondary["ks_characters"], res.secondary["ks_tokens"]))
    hist = res.plots[0]
    assert hist["kind"] == "hist" and len(hist["edges"]) == len(hist["real"]) + 1
    assert sum(hist["synthetic"]) == pytest.approx(1.0) and sum(hist["real"]) == pytest.approx(1.0)
    row = next(r for r in res.breakdown if r["unit"] == "characters" and r["data"] == "synthetic")
    assert row["n"] == 4 and row["max"] == len("a bit longer text, with commas.")


def test_length_distribution_without_real_and_constant_corpus():
    res = audit(["same"] * 4 + [None], [LENGTH]).result(LENGTH)
    assert res.value is None and "--real" in res.notes["value"]
    # without --real the synthetic lengths are still plotted: one histogram per unit, all mass in one bin
    assert [p["real"] for p in res.plots] == [None, None]
    assert [max(p["synthetic"]) for p in res.plots] == [1.0, 1.0]
    assert res.breakdown[0]["mean"] == 4.0 and res.breakdown[1]["mean"] == 1.0
    same = synthaudit.audit("text", synthetic=["same"] * 4, real=["same"] * 3, metrics=[LENGTH])
    assert same.value(LENGTH) == 0.0


def test_all_checks_run_together_and_stream(tmp_path):
    pytest.importorskip("langdetect")
    import json

    texts = EN * 5 + ["cafÃ©", "", None, "Unfinished text that goes on and on without any final mark at"]
    path = tmp_path / "gen.jsonl"
    path.write_text("".join(json.dumps({"text": t}) + "\n" for t in texts), encoding="utf-8")
    whole = synthaudit.audit("text", synthetic=path, metrics=CHECKS)
    streamed = synthaudit.audit("text", synthetic=path, metrics=CHECKS, stream=True, batch_size=4)
    for mid in CHECKS:
        assert whole.result(mid).status == "ok", whole.result(mid).error
        v, w = whole.value(mid), streamed.value(mid)
        assert (v is None and w is None) or math.isclose(v, w), mid


@pytest.mark.parametrize("text,reason", [
    ("Courses to take:\n- Linear Algebra\n- Calculus\n- Statistics and Probability for Data Science Majors", None),
    ("item | price\nShirts and other long garments in the store | $10", None),
    ("def f(n):\n    for i in range(2, n):\n        if n % i == 0:\n            return False\n    return True", None),
    ("“Quote here.”\n― Roy T. Bennett, The Light in the Heart of the book", None),
    ("The committee met on Tuesday and decided that the new policy would apply to every", "no_terminal_punctuation"),
    ("Short answer", None),
])
def test_truncation_v2_only_flags_prose_that_stops_mid_sentence(text, reason):
    from synthaudit.stats.textchecks import truncation_reason

    assert truncation_reason(text) == reason
