"""Text lexical diversity (survey section 2.2): TTR, Distinct-n, Ent-n against hand-worked fixtures, a
brute-force reference, nltk and sacrebleu; the fast batch tokeniser against ``data.text.tokenize``;
streaming, batch splits and merges in any order; missing texts counted; the text CLI and loader errors."""
from __future__ import annotations

import json
import math
import subprocess
import sys

import pandas as pd
import pytest

import synthaudit
from synthaudit.data.text import tokenize

CORPUS = ["The cat sat", "the cat ran"]
IDS = ["text.ttr", "text.distinct_n", "text.ent_n"]


def test_tokenizer_is_unicode_aware_and_case_folds():
    assert tokenize("Ça va? Oui!") == ["ça", "va", "?", "oui", "!"]
    assert tokenize("東京 is big", lowercase=False) == ["東京", "is", "big"]


def test_hand_worked_values():
    rep = synthaudit.audit("text", synthetic=CORPUS, metrics=IDS)
    # tokens: the cat sat the cat ran (6); types: the cat sat ran (4)
    assert rep.value("text.ttr") == pytest.approx(4 / 6)
    d = rep.result("text.distinct_n")
    # 1-grams 4/6; 2-grams (the cat)x2 (cat sat) (cat ran): 3/4; 3-grams 2/2
    assert d.secondary == pytest.approx({"distinct_1": 4 / 6, "distinct_2": 3 / 4, "distinct_3": 1.0})
    assert d.value == pytest.approx((4 / 6 + 3 / 4 + 1) / 3)
    e = rep.result("text.ent_n")
    h1 = -(2 * (2 / 6) * math.log(2 / 6) + 2 * (1 / 6) * math.log(1 / 6))
    h2 = -((2 / 4) * math.log(2 / 4) + 2 * (1 / 4) * math.log(1 / 4))
    h3 = math.log(2)
    assert e.secondary["ent_1"] == pytest.approx(h1) and e.secondary["ent_2"] == pytest.approx(h2)
    assert e.secondary["ent_3"] == pytest.approx(h3) and e.secondary["ent_4"] is None  # no 4-gram
    assert e.value == pytest.approx((h1 + h2 + h3) / 3)
    bits = synthaudit.audit("text", synthetic=CORPUS, metrics=["text.ent_n"], params={"text.ent_n": {"log_base": 2}})
    assert bits.result("text.ent_n").secondary["ent_3"] == pytest.approx(1.0)


def test_scope_and_case_options():
    per_text = synthaudit.audit("text", synthetic=CORPUS, metrics=["text.ttr"],
                                params={"text.ttr": {"scope": "per_text_mean"}})
    assert per_text.value("text.ttr") == 1.0  # each text has 3 distinct tokens of 3
    cased = synthaudit.audit("text", synthetic=CORPUS, metrics=["text.ttr"], params={"text.ttr": {"lowercase": False}})
    assert cased.value("text.ttr") == pytest.approx(5 / 6)  # The and the differ


def test_missing_texts_are_counted_not_dropped_silently():
    rep = synthaudit.audit("text", synthetic=pd.DataFrame({"text": ["the cat sat", None, 7, "the cat ran", ""]}),
                           metrics=IDS)
    notes = rep.result("text.ttr").notes
    assert notes["records"] == 5 and "2 record(s) without a text" in notes["missing_texts"]
    assert "1 record(s) with no token" in notes["empty_texts"]
    assert rep.value("text.ttr") == pytest.approx(4 / 6)


def test_streaming_equals_one_piece(tmp_path):
    rows = [{"response": f"sample {i % 7} of the corpus, number {i % 13}!"} for i in range(500)]
    path = tmp_path / "gen.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    whole = synthaudit.audit("text", synthetic=path, field="response", metrics=IDS)
    streamed = synthaudit.audit("text", synthetic=path, field="response", stream=True, batch_size=37, metrics=IDS)
    for mid in IDS:
        assert streamed.value(mid) == pytest.approx(whole.value(mid), rel=1e-12), mid
        assert streamed.result(mid).secondary == pytest.approx(whole.result(mid).secondary)


def test_merge_of_shards_equals_one_piece():
    from synthaudit.data.text import prepare_text
    from synthaudit.metrics.registry import all_metrics
    from synthaudit.models import Models

    texts = [f"word{i % 11} word{i % 5} and more {i % 3}" for i in range(300)]
    inputs = prepare_text(synthetic=texts)
    frame = pd.DataFrame({"text": texts})
    for mid in IDS:
        impl = all_metrics()[mid].impl
        one = impl.compute(inputs, Models.default())
        a = impl.update(impl.init(inputs, None), "synthetic", frame.iloc[:100])
        b = impl.update(impl.init(inputs, None), "synthetic", frame.iloc[100:])
        assert impl.finalize(impl.merge(a, b), inputs, None).value == pytest.approx(one.value, rel=1e-12), mid


def run_cli(*args, cwd):
    return subprocess.run([sys.executable, "-m", "synthaudit", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd)


def test_cli_text_audit_and_errors(tmp_path):
    (tmp_path / "gen.txt").write_text("Первая строка.\nSecond line here.\n東京は大きい\n", encoding="utf-8")
    ok = run_cli("audit", "text", "--synthetic", "gen.txt", "--out", "out", "--quiet", "--metrics", ",".join(IDS),
                 cwd=tmp_path)
    assert ok.returncode == 0, ok.stderr
    report = json.loads((tmp_path / "out" / "report.json").read_text(encoding="utf-8"))
    assert {m["id"] for m in report["metrics"]} == set(IDS)
    assert all(m["status"] == "ok" for m in report["metrics"])
    assert report["inputs"][0]["rows"] == 3 and report["modality"] == "text"
    (tmp_path / "gen.jsonl").write_text('{"prompt": "hi", "response": "hello"}\n', encoding="utf-8")
    bad = run_cli("audit", "text", "--synthetic", "gen.jsonl", "--field", "answer", "--out", "o2", cwd=tmp_path)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert "answer" in bad.stderr and "gen.jsonl" in bad.stderr and "response" in bad.stderr
    ambiguous = run_cli("audit", "text", "--synthetic", "gen.jsonl", "--out", "o3", cwd=tmp_path)
    assert ambiguous.returncode == 2 and "--field" in ambiguous.stderr


# ---- text.pres_lev (survey section 2.3) ------------------------------------------------------------------

def dp_levenshtein(a: str, b: str) -> int:
    """Independent reference: the textbook dynamic programme (unit costs)."""
    d = [[i + j if i * j == 0 else 0 for j in range(len(b) + 1)] for i in range(len(a) + 1)]
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] != b[j - 1]))
    return d[-1][-1]


def test_pres_lev_hand_worked_and_clipped():
    frame = pd.DataFrame({"revision": ["sitting", "xyzw", "same text", "anything", None],
                          "original": ["kitten", "ab", "same text", "", "orphan"]})
    rep = synthaudit.audit("text", synthetic=frame, field="revision", reference_field="original",
                           metrics=["text.pres_lev"])
    res = rep.result("text.pres_lev")
    # kitten -> sitting: 3 edits over 6 characters = 0.5; xyzw vs ab: 1 - 4/2 < 0 -> 0; identical -> 1;
    # an empty original and a missing revision are undefined and left out
    assert res.value == pytest.approx((0.5 + 0.0 + 1.0) / 3)
    assert res.notes["n_records"] == 5 and res.notes["n_undefined"] == 2
    assert res.n_record_scores == 5


def test_pres_lev_matches_dynamic_programming_on_random_unicode():
    import random

    rng = random.Random(0)
    alphabet = "abcdeé東京 ."
    pairs = [("".join(rng.choice(alphabet) for _ in range(rng.randint(1, 40))),
              "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 40)))) for _ in range(200)]
    frame = pd.DataFrame({"text": [a for a, _ in pairs], "orig": [b for _, b in pairs]})
    rep = synthaudit.audit("text", synthetic=frame, reference_field="orig", metrics=["text.pres_lev"])
    expected = [max(1 - dp_levenshtein(a, b) / len(b), 0.0) for a, b in pairs]
    assert rep.value("text.pres_lev") == pytest.approx(sum(expected) / len(expected), rel=1e-12)


def test_pres_lev_needs_a_reference_field(tmp_path):
    rep = synthaudit.audit("text", synthetic=CORPUS, metrics=["text.pres_lev"])
    gap = next(g for g in rep.gaps if g.id == "text.pres_lev")
    assert gap.kind == "missing_input" and gap.enable == "--reference-field"
    (tmp_path / "rev.jsonl").write_text('{"text": "sitting", "orig": "kitten"}\n', encoding="utf-8")
    ok = run_cli("audit", "text", "--synthetic", "rev.jsonl", "--reference-field", "orig", "--metrics",
                 "text.pres_lev", "--out", "o", "--quiet", cwd=tmp_path)
    assert ok.returncode == 0, ok.stderr
    assert json.loads((tmp_path / "o" / "report.json").read_text())["metrics"][0]["value"] == pytest.approx(0.5)
    bad = run_cli("audit", "text", "--synthetic", "rev.jsonl", "--reference-field", "source", "--out", "o2",
                  cwd=tmp_path)
    assert bad.returncode == 2 and "--reference-field" in bad.stderr and "source" in bad.stderr


# ---- the fast path (stats.ngrams): exact against the definitions ----------------------------------------

ALPHABET = ("aBcDeFgZz" "0123" " \t\n.,!?'\"()-_" "\u00a0\u2003\u0085" "ΣσςİıßẞÉé\u0301" "東京語" "१२क\u093f"
            "١²Ⅻ" "\U0001F600\x00\x07")


def random_texts(seed: int, n: int, max_len: int = 60, surrogates: bool = False) -> list:
    """Random records over ALPHABET (plus a lone surrogate when asked: the engine's input fingerprint cannot
    hash those, so only the direct tokeniser tests use them)."""
    import random

    rng = random.Random(seed)
    alphabet = ALPHABET + ("\ud800" if surrogates else "")
    words = ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 12))) for _ in range(40)]
    words += ["information", "antidisestablishment", "straße", "ΣΟΦΙΑΣ", "İstanbul", "12345678", "abcdefgh"]
    out: list = []
    for _ in range(n):
        kind = rng.random()
        if kind < 0.05:
            out.append(None)
        elif kind < 0.08:
            out.append(rng.choice(["", "   ", "\n\t"]))
        elif kind < 0.5:
            out.append("".join(rng.choice(alphabet) for _ in range(rng.randint(1, max_len))))
        else:
            out.append(rng.choice([" ", "  ", "\n", ""]).join(rng.choice(words) for _ in range(rng.randint(1, 12))))
    return out


def reference_counts(texts, ns, lowercase=True):
    """The definitions, by brute force: Counters of token tuples (the pre-fast-path implementation)."""
    from collections import Counter

    counts = {n: Counter() for n in ns}
    per_text = {n: [0.0, 0] for n in ns}
    for text in texts:
        if not isinstance(text, str):
            continue
        toks = tokenize(text, lowercase)
        for n in ns:
            grams = [tuple(toks[i:i + n]) for i in range(len(toks) - n + 1)]
            counts[n].update(grams)
            if grams:
                per_text[n][0] += len(set(grams)) / len(grams)
                per_text[n][1] += 1
    return counts, per_text


def reference_entropy(counter) -> float | None:
    total = sum(counter.values())
    return -sum((c / total) * math.log(c / total) for c in counter.values()) if total else None


def test_unicode_class_table_matches_python():
    from synthaudit.stats.ngrams import PUNCT, SPACE, WORD, unicode_classes

    table = unicode_classes()
    chars = [chr(c) for c in range(0x110000)]
    expect = [SPACE if c.isspace() else WORD if (c.isalnum() or c == "_") else PUNCT for c in chars]
    assert table.tolist() == expect


@pytest.mark.parametrize("lowercase", [True, False])
def test_batch_tokeniser_equals_data_text_tokenize(lowercase):
    from synthaudit.stats.ngrams import Vocabulary, tokenize_batch

    texts = random_texts(1, 3000, surrogates=True) + ["ΣΑΣ Σ aΣ. ΌΣΟΣ", "İİ i\u0307", "x" * 200, "abcdefgh abcdefghi a",
                                                      "end8char"]
    vocab = Vocabulary(lowercase)
    for part in (texts[:1500], texts[1500:]):  # two batches share (and grow) the vocabulary
        tb = tokenize_batch(part, vocab)
        for i, text in enumerate(part):
            got = [vocab.token(t) for t in tb.ids[tb.offsets[i]:tb.offsets[i + 1]]]
            assert got == ([] if text is None else tokenize(text, lowercase)), repr(text)
        assert tb.missing.tolist() == [t is None for t in part]


def test_count_tables_equal_brute_force_counters_on_random_unicode():
    from synthaudit.data.text import prepare_text
    from synthaudit.metrics.registry import all_metrics

    texts = random_texts(2, 1500, surrogates=True)
    ns = [1, 2, 3, 4, 5]
    inputs = prepare_text(synthetic=texts, params={"text.distinct_n": {"n": ns}})
    impl = all_metrics()["text.distinct_n"].impl
    state = impl.init(inputs, None)
    frame = pd.DataFrame({"text": pd.Series(texts, dtype=object)})  # pandas 3's str dtype refuses lone surrogates
    for start in range(0, len(texts), 211):
        state = impl.update(state, "synthetic", frame.iloc[start:start + 211])
    ref, _ = reference_counts(texts, ns)
    vocab = state["vocab"]
    for n in ns:
        got = {vocab.gram(n, i): int(c) for i, c in enumerate(state["counts"][n]) if c}
        assert got == dict(ref[n]), n


@pytest.mark.parametrize("seed", [3, 4])
def test_fast_metrics_equal_reference_definitions(seed):
    texts = random_texts(seed, 800)
    ns = [1, 2, 3, 4]
    params = {"text.distinct_n": {"n": ns}, "text.ent_n": {"n": ns}}
    rep = synthaudit.audit("text", synthetic=pd.DataFrame({"text": texts}), metrics=IDS, params=params,
                           batch_size=97)
    counts, per_text = reference_counts(texts, ns)
    for n in ns:
        total = sum(counts[n].values())
        assert rep.result("text.distinct_n").secondary[f"distinct_{n}"] == (len(counts[n]) / total if total else None)
        assert rep.result("text.ent_n").secondary[f"ent_{n}"] == pytest.approx(reference_entropy(counts[n]),
                                                                                rel=1e-12)
    assert rep.value("text.ttr") == len(counts[1]) / sum(counts[1].values())
    per = synthaudit.audit("text", synthetic=pd.DataFrame({"text": texts}), metrics=["text.distinct_n"],
                           params={"text.distinct_n": {"n": ns, "scope": "per_text_mean"}}, batch_size=61)
    for n in ns:
        assert per.result("text.distinct_n").secondary[f"distinct_{n}"] == pytest.approx(
            per_text[n][0] / per_text[n][1], rel=1e-12)


def merge_tree(impl, states, tree):
    """Merge states along a nested tuple of indices, e.g. ((3, 2), (1, 0))."""
    if isinstance(tree, int):
        return states[tree]
    return impl.merge(merge_tree(impl, states, tree[0]), merge_tree(impl, states, tree[1]))


def test_merges_in_any_order_and_across_vocabularies():
    from synthaudit.data.text import prepare_text
    from synthaudit.metrics.registry import all_metrics

    texts = random_texts(5, 900)
    chunks = [texts[:150], texts[150:420], texts[420:700], texts[700:]]
    orders = [(((0, 1), 2), 3), (0, (1, (2, 3))), ((3, 2), (1, 0)), ((2, 0), (3, 1))]
    for mid in IDS:
        impl = all_metrics()[mid].impl
        params = {mid: {"n": [1, 2, 3, 4]}} if mid != "text.ttr" else {}
        inputs = prepare_text(synthetic=texts, params=params)
        whole = impl.compute(inputs, None)
        for order in orders:
            shards = [impl.update(impl.init(prepare_text(synthetic=c, params=params), None), "synthetic",
                                  pd.DataFrame({"text": c})) for c in chunks]  # own vocabularies, as elsewhere
            merged = impl.finalize(merge_tree(impl, shards, order), inputs, None)
            assert merged.value == pytest.approx(whole.value, rel=1e-12), mid
            assert merged.secondary == pytest.approx(whole.secondary, rel=1e-12), mid
            assert merged.notes["records"] == len(texts)


def test_each_batch_is_tokenised_once_and_the_cache_follows_the_batch(monkeypatch):
    import gc

    from synthaudit.stats import ngrams

    calls = []
    real = ngrams.tokenize_batch
    monkeypatch.setattr(ngrams, "tokenize_batch", lambda *a, **k: calls.append(1) or real(*a, **k))
    texts = [f"text number {i} with some words" for i in range(300)]
    synthaudit.audit("text", synthetic=texts, metrics=IDS + ["text.ext.near_duplicate_rate"], batch_size=100)
    assert len(calls) == 3  # three batches, five metrics, one tokenisation each
    frame = pd.DataFrame({"text": ["a b c"]})
    vocab = ngrams.Vocabulary()
    assert ngrams.batch_tokens(frame, "text", vocab) is ngrams.batch_tokens(frame, "text", vocab)
    other = pd.DataFrame({"text": ["x y"]})
    assert ngrams.batch_tokens(other, "text", vocab) is not ngrams.batch_tokens(frame, "text", vocab)
    del frame, other
    gc.collect()
    assert not any(entry[0]() is not None and entry[2] is vocab for entry in ngrams._CACHE)


def self_instruct_texts() -> list[str]:
    from tests.conftest import SHARED

    path = SHARED / "data" / "text" / "self_instruct_user_oriented" / "user_oriented_instructions.jsonl"
    if not path.exists():
        pytest.skip("Self-Instruct data is not in ../shared/data")
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    return [r["instruction"] for r in rows] + [i["output"] for r in rows for i in r["instances"] if i["output"]]


def test_distinct_and_entropy_equal_nltk_on_real_text():
    nltk_util = pytest.importorskip("nltk.util")
    from nltk.probability import FreqDist

    texts = self_instruct_texts()
    ns = [1, 2, 3, 4]
    rep = synthaudit.audit("text", synthetic=texts, metrics=["text.distinct_n", "text.ent_n"],
                           params={"text.distinct_n": {"n": ns}}, batch_size=100)
    tokens = [tokenize(t) for t in texts]  # nltk counts the same tokens (its own word_tokenize differs)
    for n in ns:
        fd = FreqDist(g for toks in tokens for g in nltk_util.ngrams(toks, n))
        assert rep.result("text.distinct_n").secondary[f"distinct_{n}"] == pytest.approx(fd.B() / fd.N(), rel=1e-12)
        ent = -sum(fd.freq(g) * math.log(fd.freq(g)) for g in fd)
        assert rep.result("text.ent_n").secondary[f"ent_{n}"] == pytest.approx(ent, rel=1e-12)


def test_tokeniser_matches_sacrebleu_13a_where_they_overlap():
    """sacrebleu's 13a tokeniser splits ASCII punctuation like ours, but keeps apostrophes and hyphens inside
    words and '.'/',' next to digits, splits '_', and leaves non-ASCII punctuation attached."""
    import re

    tok13a = pytest.importorskip("sacrebleu.tokenizers.tokenizer_13a").Tokenizer13a()
    outside = re.compile(r"['_&-]|\d[.,]|[.,]\d|[^\x00-\x7f]")
    sentences = [s for t in self_instruct_texts() for s in t.split("\n") if s.strip() and not outside.search(s)]
    assert len(sentences) > 200
    for s in sentences:
        assert tok13a(s.lower()).split() == tokenize(s), s
    assert tok13a("don't stop").split() == ["don't", "stop"] and tokenize("don't stop") == ["don", "'", "t", "stop"]
    assert tok13a("3.5 snake_case first-person").split() == ["3.5", "snake", "_", "case", "first-person"]
    assert tokenize("3.5 snake_case first-person") == ["3", ".", "5", "snake_case", "first", "-", "person"]
    assert tok13a("wait… “yes”").split() == ["wait…", "“yes”"] and tokenize("wait… “yes”") == ["wait", "…", "“",
                                                                                             "yes", "”"]


def test_plain_python_kernels_without_numba_give_the_same_values():
    """numba is a dependency; without it the same kernels run as plain Python, slowly but exactly."""
    texts = random_texts(6, 60) + ["Straße  strasse", "STRASSE straße", "the same words here"] * 2
    ids = IDS + ["text.ext.exact_duplicate_rate", "text.ext.near_duplicate_rate"]
    code = ("import json, sys; sys.modules['numba'] = None\n"
            "import synthaudit\nfrom synthaudit.stats import intern\n"
            "rep = synthaudit.audit('text', synthetic=json.loads(sys.stdin.read()), metrics=sys.argv[1].split(','))\n"
            "print(json.dumps([intern.HAVE_NUMBA] + [[m.id, m.value, m.secondary] for m in rep.metrics]))")
    out = subprocess.run([sys.executable, "-c", code, ",".join(ids)], input=json.dumps(texts), capture_output=True,
                         text=True)
    assert out.returncode == 0, out.stderr
    have_numba, *plain = json.loads(out.stdout)
    assert have_numba is False
    compiled = synthaudit.audit("text", synthetic=texts, metrics=ids)
    for mid, value, secondary in plain:
        assert value == pytest.approx(compiled.value(mid), rel=1e-12), mid
        assert secondary == pytest.approx(compiled.result(mid).secondary, rel=1e-12), mid
    assert compiled.value("text.ext.exact_duplicate_rate") > 0


def test_tables_grow_in_the_middle_of_a_huge_record():
    from synthaudit.stats.ngrams import Vocabulary, tokenize_batch

    huge = " ".join(f"w{i} é{i % 97}" for i in range(40_000))  # 40k new tokens in one record
    texts = ["a b", huge, "w1 é1 w2"]
    vocab = Vocabulary()
    tb = tokenize_batch(texts, vocab)
    for i, text in enumerate(texts):
        assert [vocab.token(t) for t in tb.ids[tb.offsets[i]:tb.offsets[i + 1]]] == tokenize(text)
    ref, _ = reference_counts(texts, [2, 3])
    for n in (2, 3):
        got = {vocab.gram(n, i): int(c) for i, c in enumerate(tb.counts(n)) if c}
        assert got == dict(ref[n])
        assert (tb.grams(n)[tb.offsets[1] - n + 1:tb.offsets[1]] == -1).all()  # no n-gram crosses a record end


def test_lowercase_table_equals_python_per_code_point():
    """The vectorised table (one str.lower over all code points) equals lowering each code point on its own,
    with the two context- or length-dependent cases marked (U+0130 -> -1, U+03A3 final sigma -> -2)."""
    import numpy as np

    from synthaudit.stats.ngrams import lower_table

    table = lower_table()
    expected = np.array([ord(c.lower()) if len(c.lower()) == 1 else -1 for c in map(chr, range(0x110000))],
                        dtype=np.int32)
    expected[0x3A3] = -2
    assert table.dtype == np.int32 and np.array_equal(table, expected)
    assert table[ord("Ä")] == ord("ä") and table[0x130] == -1
