"""Text lexical diversity (survey section 2.2): TTR, Distinct-n, Ent-n against hand-worked fixtures;
streaming equality; missing texts counted; the text CLI and loader errors."""
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
    rep = synthaudit.audit("text", synthetic=CORPUS)
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
    rep = synthaudit.audit("text", synthetic=pd.DataFrame({"text": ["the cat sat", None, 7, "the cat ran", ""]}))
    notes = rep.result("text.ttr").notes
    assert notes["records"] == 5 and "2 record(s) without a text" in notes["missing_texts"]
    assert "1 record(s) with no token" in notes["empty_texts"]
    assert rep.value("text.ttr") == pytest.approx(4 / 6)


def test_streaming_equals_one_piece(tmp_path):
    rows = [{"response": f"sample {i % 7} of the corpus, number {i % 13}!"} for i in range(500)]
    path = tmp_path / "gen.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    whole = synthaudit.audit("text", synthetic=path, field="response")
    streamed = synthaudit.audit("text", synthetic=path, field="response", stream=True, batch_size=37)
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
    ok = run_cli("audit", "text", "--synthetic", "gen.txt", "--out", "out", "--quiet", cwd=tmp_path)
    assert ok.returncode == 0, ok.stderr
    report = json.loads((tmp_path / "out" / "report.json").read_text(encoding="utf-8"))
    assert {m["id"] for m in report["metrics"]} == set(IDS)
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
    rep = synthaudit.audit("text", synthetic=CORPUS)
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
