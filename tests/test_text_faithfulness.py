"""Text faithfulness (survey section 2.3): evidence selection against a hand copy of HotpotQA's update_sp,
human AIS, auto-AIS against the NLI backend called directly, intent / combined preservation and F1_AP
on hand-worked fixtures, edge cases (missing, empty, unicode, JSON in CSV, malformed labels)."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import synthaudit
from synthaudit.data.segment import SEGMENTER
from synthaudit.data.text import prepare_text
from synthaudit.metrics.registry import get


@pytest.fixture(scope="module")
def models():
    from synthaudit.models import Models

    return Models.default()


def run(metric_id: str, models, **kw):
    return get(metric_id).run(prepare_text(**kw), models)


# -- evidence selection ----------------------------------------------------------------------------
def hotpot_update_sp(metrics, prediction, gold):
    """Hand copy of HotpotQA hotpot_evaluate_v1.update_sp (units are [title, sentence index] pairs)."""
    cur_sp_pred = set(map(tuple, prediction))
    gold_sp_pred = set(map(tuple, gold))
    tp, fp, fn = 0, 0, 0
    for e in cur_sp_pred:
        if e in gold_sp_pred:
            tp += 1
        else:
            fp += 1
    for e in gold_sp_pred:
        if e not in cur_sp_pred:
            fn += 1
    prec = 1.0 * tp / (tp + fp) if tp + fp > 0 else 0.0
    recall = 1.0 * tp / (tp + fn) if tp + fn > 0 else 0.0
    f1 = 2 * prec * recall / (prec + recall) if prec + recall > 0 else 0.0
    em = 1.0 if fp + fn == 0 else 0.0
    metrics["sp_em"] += em
    metrics["sp_f1"] += f1
    metrics["sp_prec"] += prec
    metrics["sp_recall"] += recall
    return em, prec, recall


EVIDENCE = [  # (predicted, gold)
    ([["Paris", 0], ["Seine", 1]], [["Paris", 0], ["France", 2]]),  # half right
    ([], [["Paris", 0]]),  # nothing predicted: P = 0
    ([["Paris", 0], ["Paris", 0]], [["Paris", 0]]),  # duplicates collapse: exact match
    ([["X", 9]], []),  # empty gold: P = R = 0
    ([], []),  # both empty: all 0, EM 1
    ([["A", 0], ["B", 1], ["C", 2]], [["A", 0], ["B", 1]]),  # P 2/3, R 1
    ([["東京", 0]], [["東京", 0], ["大阪", 3]]),  # unicode titles
]


def test_evidence_f1_matches_hotpotqa_update_sp():
    sums = {"sp_em": 0.0, "sp_f1": 0.0, "sp_prec": 0.0, "sp_recall": 0.0}
    for pred, gold in EVIDENCE:
        hotpot_update_sp(sums, pred, gold)
    n = len(EVIDENCE)
    frame = pd.DataFrame({"text": [f"answer {i}" for i in range(n)], "gold": [g for _, g in EVIDENCE],
                          "predicted_evidence": [p for p, _ in EVIDENCE]})
    rep = synthaudit.audit("text", synthetic=frame, evidence_field="gold", metrics=["text.evidence_f1"])
    r = rep.result("text.evidence_f1")
    assert r.value == pytest.approx(sums["sp_f1"] / n, abs=1e-12)
    assert r.secondary == pytest.approx({"precision": sums["sp_prec"] / n, "recall": sums["sp_recall"] / n,
                                         "f1": sums["sp_f1"] / n, "exact_match": sums["sp_em"] / n}, abs=1e-12)
    assert r.breakdown[0]["f1"] == 0.0 and len(r.breakdown) == n
    res = run("text.evidence_f1", None, synthetic=frame, evidence_field="gold")
    hand_f1 = []
    for pred, gold in EVIDENCE:
        m = {"sp_em": 0.0, "sp_f1": 0.0, "sp_prec": 0.0, "sp_recall": 0.0}
        hotpot_update_sp(m, pred, gold)
        hand_f1.append(m["sp_f1"])
    assert res.record_scores == pytest.approx(hand_f1, abs=1e-12)
    assert res.record_scores[5] == pytest.approx(0.8)


def test_evidence_f1_edge_cases_string_units_csv_and_missing(tmp_path):
    frame = pd.DataFrame({"text": ["a", "b", "c", "d"],
                          "gold": [["s1", "s2"], ["s1"], None, ["s3"]],
                          "mine": [["s2", "s3"], None, ["s1"], "s3"]})  # a lone string is one unit
    res = run("text.evidence_f1", None, synthetic=frame, evidence_field="gold",
              params={"text.evidence_f1": {"predicted_field": "mine"}})
    assert res.record_scores[0] == pytest.approx(0.5)  # P 1/2, R 1/2
    assert res.record_scores[1] == 0.0  # missing prediction scores as an empty one (HotpotQA)
    assert np.isnan(res.record_scores[2])  # no gold: undefined
    assert res.record_scores[3] == 1.0
    assert res.value == pytest.approx(1.5 / 3)
    assert res.notes["missing_predictions_scored_as_empty"] == 1 and res.notes["records_without_gold"] == 1
    csv = frame.assign(gold=[json.dumps(g) if g is not None else None for g in frame["gold"]],
                       mine=[json.dumps(p) if isinstance(p, list) else p for p in frame["mine"]])
    csv.to_csv(tmp_path / "ev.csv", index=False)
    rep = synthaudit.audit("text", synthetic=tmp_path / "ev.csv", evidence_field="gold", metrics=["text.evidence_f1"],
                           params={"text.evidence_f1": {"predicted_field": "mine"}})
    assert rep.value("text.evidence_f1") == pytest.approx(res.value)
    gap = synthaudit.audit("text", synthetic=frame, evidence_field="gold", metrics=["text.evidence_f1"])
    (g,) = [g for g in gap.gaps if g.id == "text.evidence_f1"]
    assert g.kind == "not_applicable" and "predicted_evidence" in g.reason


# -- human AIS -------------------------------------------------------------------------------------
AIS_TEXTS = ["Paris is in France. It is big. Cats purr.", "One sentence only.", "No labels here.",
             "Intent only. Two sentences.", "東京は首都です。大阪は都市です。"]
AIS_LABELS = [{"ais": [1, 0, 1], "intent": 1}, {"ais": 0.5}, None, {"intent": 0}, {"ais": [True, 1.0]}]


def test_attr_ais_hand_worked_and_json_in_csv(tmp_path):
    frame = pd.DataFrame({"text": AIS_TEXTS, "ev": [["snippet"]] * 5, "human": AIS_LABELS})
    rep = synthaudit.audit("text", synthetic=frame, evidence_field="ev", human_field="human",
                           metrics=["text.attr_ais"])
    r = rep.result("text.attr_ais")
    assert r.value == pytest.approx((2 / 3 + 0.5 + 1.0) / 3, abs=1e-12)
    assert r.notes["n_undefined"] == 2 and r.notes["records_without_ais"] == 2 and r.notes["precomputed_rates"] == 1
    assert r.notes["segmenter"] == SEGMENTER
    csv = frame.assign(human=[json.dumps(h) if h else None for h in AIS_LABELS], ev=json.dumps(["snippet"]))
    csv.to_csv(tmp_path / "ais.csv", index=False)
    from_csv = synthaudit.audit("text", synthetic=tmp_path / "ais.csv", evidence_field="ev", human_field="human",
                                metrics=["text.attr_ais"])
    assert from_csv.value("text.attr_ais") == pytest.approx(r.value)


@pytest.mark.parametrize("labels, message", [
    ({"ais": [1, 0]}, "has 2 label(s) but the text splits into 3 sentence(s)"),
    ({"ais": [1, 2, 0]}, "must be 0 or 1"),
    ({"ais": 1.5}, "rate in [0, 1]"),
    ("yes", "must be a mapping"),
])
def test_attr_ais_malformed_labels_fail_naming_the_record(labels, message):
    frame = pd.DataFrame({"text": ["Fine.", AIS_TEXTS[0]], "ev": [["e"], ["e"]], "human": [{"ais": [1]}, labels]})
    rep = synthaudit.audit("text", synthetic=frame, evidence_field="ev", human_field="human",
                           metrics=["text.attr_ais"])
    r = rep.result("text.attr_ais")
    assert r.status == "failed" and "record 1" in r.error and message in r.error, r.error


# -- auto-AIS and F1_AP ----------------------------------------------------------------------------
AUTO = pd.DataFrame({
    "text": ["Paris is the capital of France.", "Cats sleep a lot. They purr.", "No evidence for this one.", None],
    "orig": ["Paris is the capital of France!", "Cats sleep a lot. They purr.", "Nothing.", "Gone."],
    "ev": [["Paris is the capital and largest city of France.", "The Eiffel Tower is a landmark in Paris."],
           [{"text": "Cats sleep for up to sixteen hours a day."}], [], ["Orphan snippet."]],
    "human": [{"ais": [1], "intent": 1}, {"ais": [1, 0], "intent": 0}, {"ais": [0], "intent": 1}, None],
})


def lev(a: str, b: str) -> int:
    """Textbook dynamic-programming edit distance (independent of the rapidfuzz path)."""
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def test_attr_auto_and_f1_ap_against_the_nli_backend(models):
    nli = models.get("nli")
    e1, e2 = AUTO["ev"][0], "Cats sleep for up to sixteen hours a day."
    probs = nli.entailment([e1[0], e1[1], e2, e2], ["Paris is the capital of France."] * 2
                           + ["Cats sleep a lot.", "They purr."])
    p1 = max(probs[0], probs[1])  # max over snippets
    p2 = (probs[2] + probs[3]) / 2  # mean over sentences
    rep = synthaudit.audit("text", synthetic=AUTO, reference_field="orig", evidence_field="ev", human_field="human",
                           metrics=["text.attr_auto", "text.f1_ap", "text.pres_comb"], models=models)
    a, f = rep.result("text.attr_auto"), rep.result("text.f1_ap")
    assert a.value == pytest.approx((p1 + p2) / 2, abs=1e-4)
    assert a.notes["passages_without_snippets"] == 1 and a.notes["missing_texts"] == 1 and a.notes["nli_pairs"] == 4
    assert a.notes["nli_variant"] == nli.variant and "single snippets" in a.notes["caveat"]
    assert a.breakdown[0]["record"] == int(np.argmin([p1, p2]))
    comb = rep.value("text.pres_comb")
    lev1 = max(1 - lev(AUTO["text"][0], AUTO["orig"][0]) / len(AUTO["orig"][0]), 0)
    lev3 = max(1 - lev(AUTO["text"][2], AUTO["orig"][2]) / len(AUTO["orig"][2]), 0)
    assert comb == pytest.approx((lev1 + 0 + lev3) / 3, abs=1e-12)
    assert f.value == pytest.approx(2 * a.value * comb / (a.value + comb), abs=1e-12)
    assert f.secondary == pytest.approx({"attr": a.value, "pres_comb": comb}, abs=1e-12)
    assert f.notes["attr_variant"] == "auto" and f.notes["attr_passages"] == 2


def test_f1_ap_with_human_ais_and_the_zero_case():
    rep = synthaudit.audit("text", synthetic=AUTO, reference_field="orig", evidence_field="ev", human_field="human",
                           metrics=["text.f1_ap", "text.attr_ais", "text.pres_comb"],
                           params={"text.f1_ap": {"attr_variant": "ais"}})
    attr, comb = rep.value("text.attr_ais"), rep.value("text.pres_comb")
    assert attr == pytest.approx((1 + 0.5 + 0) / 3)
    assert rep.value("text.f1_ap") == pytest.approx(2 * attr * comb / (attr + comb), abs=1e-12)
    zero = AUTO.assign(human=[{"ais": [0], "intent": 0}, {"ais": [0, 0], "intent": 0}, {"ais": [0], "intent": 0},
                              None])
    z = synthaudit.audit("text", synthetic=zero, reference_field="orig", evidence_field="ev", human_field="human",
                         metrics=["text.f1_ap"], params={"text.f1_ap": {"attr_variant": "ais"}})
    assert z.value("text.f1_ap") == 0.0 and z.result("text.f1_ap").secondary == {"attr": 0.0, "pres_comb": 0.0}
    bad = synthaudit.audit("text", synthetic=AUTO, reference_field="orig", evidence_field="ev", human_field="human",
                           metrics=["text.f1_ap"], params={"text.f1_ap": {"attr_variant": "both"}})
    assert bad.result("text.f1_ap").status == "failed" and "attr_variant" in bad.result("text.f1_ap").error


def test_attr_auto_rejects_id_style_evidence(models):
    frame = pd.DataFrame({"text": ["Paris is big."], "ev": [[["Paris", 0]]]})
    rep = synthaudit.audit("text", synthetic=frame, evidence_field="ev", metrics=["text.attr_auto"], models=models)
    r = rep.result("text.attr_auto")
    assert r.status == "failed" and "record 0" in r.error and "snippets must be strings" in r.error


# -- intent and combined preservation --------------------------------------------------------------
PAIRS = [  # (revision, original, intent)
    ("If you'd told me a year ago that today I would finish a marathon, I would have laughed.",
     "If you'd told me year ago that today I would finish a marathon, I would of laughed.", 1),
    ("I was charged interest on my credit card.", "I got got charged interest on ly credit card.", 1),
    ("Totally unrelated text about cooking pasta.", "The meeting is moved to Friday at noon.", 0),
    ("Ça va très bien.", "Ça va bien.", 1),
    ("Revision of an empty original.", "", 1),  # Pres_Lev undefined
    ("No intent label.", "No intent label!", None),
]


def test_pres_intent_and_pres_comb_hand_worked():
    frame = pd.DataFrame({"text": [p[0] for p in PAIRS], "orig": [p[1] for p in PAIRS],
                          "human": [None if p[2] is None else {"intent": p[2]} for p in PAIRS]})
    rep = synthaudit.audit("text", synthetic=frame, reference_field="orig", human_field="human",
                           metrics=["text.pres_intent", "text.pres_comb", "text.pres_lev"])
    intents = [p[2] for p in PAIRS[:5]]
    assert rep.value("text.pres_intent") == pytest.approx(np.mean(intents), abs=1e-12)
    levs = [max(1 - lev(r, o) / len(o), 0) for r, o, _ in PAIRS[:4]]
    comb = rep.result("text.pres_comb")
    assert comb.value == pytest.approx(np.mean([i * v for i, v in zip(intents, levs)]), abs=1e-12)
    assert comb.secondary["pres_intent"] == pytest.approx(np.mean(intents[:4]))
    assert comb.secondary["pres_lev"] == pytest.approx(np.mean(levs))
    assert comb.secondary["product_of_means"] == pytest.approx(np.mean(intents[:4]) * np.mean(levs))
    assert abs(comb.secondary["product_of_means"] - comb.value) > 0.01  # the two forms differ here (labelled)
    assert comb.notes["n_undefined"] == 2 and comb.notes["records_without_intent"] == 1
    assert rep.value("text.pres_lev") == pytest.approx(np.mean(levs + [1 - 1 / len("No intent label!")]))
    res = run("text.pres_comb", None, synthetic=frame, reference_field="orig", human_field="human")
    assert res.record_scores[2] == 0.0 and np.isnan(res.record_scores[4]) and np.isnan(res.record_scores[5])


def test_intent_labels_must_be_binary():
    frame = pd.DataFrame({"text": ["a", "b"], "orig": ["a", "c"], "human": [{"intent": 1}, {"intent": "yes"}]})
    rep = synthaudit.audit("text", synthetic=frame, reference_field="orig", human_field="human",
                           metrics=["text.pres_intent"])
    r = rep.result("text.pres_intent")
    assert r.status == "failed" and "record 1" in r.error and "'intent' must be 0 or 1" in r.error
