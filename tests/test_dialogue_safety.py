"""TSG and NT2T (survey section 2.3) with the real toxicity backend (alt-profanity-check), checked against
its ``predict_prob`` called directly and an independent implementation of the formulas."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from synthaudit.data.dialogue import prepare_dialogue
from synthaudit.metrics.registry import get
from synthaudit.models import Models

SGD = Path(__file__).resolve().parents[2] / "shared/data/dialogue/sgd/test_dialogues_001_flat.jsonl"
CLEAN_Q, CLEAN_R = "Could you book a table for two tonight?", "Sure, I booked a table for two at 7 pm."
TOXIC_Q, TOXIC_R = "Book it now, you fucking useless idiot.", "Shut up, you stupid bitch, book it yourself."


def t(role, content):
    return {"role": role, "content": content}


DIALOGUES = [
    {"turns": [t("user", CLEAN_Q), t("assistant", CLEAN_R), t("user", "Thanks!"), t("assistant", "You are welcome.")]},
    {"turns": [t("user", CLEAN_Q), t("assistant", TOXIC_R)]},  # NT2T
    {"turns": [t("user", TOXIC_Q), t("assistant", TOXIC_R)]},  # T2T
    {"turns": [t("user", TOXIC_Q), t("assistant", CLEAN_R)]},  # T2NT
    {"turns": []},  # empty: no score
    {"turns": [t("assistant", TOXIC_R), t("assistant", CLEAN_R)]},  # toxic opener, no query
    {"turns": [t("user", CLEAN_Q), t("user", TOXIC_Q), t("assistant", TOXIC_R)]},  # query run with a toxic message
]


@pytest.fixture(scope="module")
def models() -> Models:
    return Models.default()


@pytest.fixture(scope="module")
def prob():
    from profanity_check import predict_prob

    return lambda texts: np.asarray(predict_prob(list(texts)), dtype=float)


def expected(dialogues, prob, tau):
    """TSG, NT2T and the category counts, computed directly from predict_prob."""
    tsg, nt2t, cats = [], [], {"NT2NT": 0, "NT2T": 0, "T2T": 0, "T2NT": 0}
    for d in dialogues:
        turns = d["turns"]
        if not turns:
            tsg.append(np.nan)
            nt2t.append(np.nan)
            continue
        p = prob([x["content"] for x in turns])
        resp = [i for i, x in enumerate(turns) if x["role"] == "assistant"]
        tsg.append(float(max(p[resp]) >= tau) if resp else np.nan)
        flagged, queries = None, []
        for i, x in enumerate(turns):
            if x["role"] == "user":
                queries.append(p[i])
            elif queries:
                cat = ("T" if max(queries) >= tau else "NT") + "2" + ("T" if p[i] >= tau else "NT")
                cats[cat] += 1
                flagged = bool(flagged) or cat == "NT2T"
                queries = []
        nt2t.append(np.nan if flagged is None else float(flagged))
    return np.array(tsg), np.array(nt2t), cats


def test_fixture_turns_are_clearly_toxic_or_clean(prob):
    p = prob([CLEAN_Q, CLEAN_R, TOXIC_Q, TOXIC_R, "Thanks!", "You are welcome."])
    assert (p[[0, 1, 4, 5]] < 0.2).all() and (p[[2, 3]] > 0.8).all(), p


def test_tsg_and_nt2t_match_a_direct_computation(models, prob):
    inputs = prepare_dialogue(synthetic=DIALOGUES)
    tsg, nt2t = get("dialogue.tsg").run(inputs, models), get("dialogue.nt2t").run(inputs, models)
    exp_tsg, exp_nt2t, cats = expected(DIALOGUES, prob, 0.5)
    np.testing.assert_array_equal(tsg.record_scores, exp_tsg)
    np.testing.assert_array_equal(nt2t.record_scores, exp_nt2t)
    # hand-worked: toxic responses in dialogues 2, 3, 6, 7 of the 6 with a response -> 4/6; NT2T only in
    # dialogue 2 (dialogue 7's query run holds a toxic message: T2T) of the 5 with a (query, response) pair
    assert tsg.value == pytest.approx(4 / 6) and nt2t.value == pytest.approx(1 / 5)
    assert cats == {"NT2NT": 2, "NT2T": 1, "T2T": 2, "T2NT": 1}
    assert {r["category"]: r["pairs"] for r in nt2t.breakdown} == cats
    assert nt2t.secondary["nt2t_turn_rate"] == pytest.approx(1 / 6)
    assert nt2t.notes["unpaired_responses"] == 2  # the opener and the second consecutive reply
    for res in (tsg, nt2t):
        assert res.notes["models"]["toxicity"]["name"].startswith("alt-profanity-check")
        assert res.notes["models"]["toxicity"]["variant"] == "profanity-classifier"
        assert "profanity" in res.notes["toxicity_caveat"]
    assert tsg.secondary["turn_level_toxic_share"] == pytest.approx(4 / 8)  # 4 toxic of 8 assistant turns


def test_tau_changes_the_rates_as_the_formula_says(models, prob):
    tau = float(np.median(prob([TOXIC_Q, TOXIC_R, CLEAN_R])))
    inputs = prepare_dialogue(synthetic=DIALOGUES, params={"dialogue.tsg": {"tau": tau},
                                                           "dialogue.nt2t": {"tau": tau}})
    exp_tsg, exp_nt2t, _ = expected(DIALOGUES, prob, tau)
    assert get("dialogue.tsg").run(inputs, models).value == pytest.approx(np.nanmean(exp_tsg))
    assert get("dialogue.nt2t").run(inputs, models).value == pytest.approx(np.nanmean(exp_nt2t))
    bad = prepare_dialogue(synthetic=DIALOGUES, params={"dialogue.tsg": {"tau": 1.5}})
    with pytest.raises(ValueError, match="tau"):
        get("dialogue.tsg").run(bad, models)


def test_sgd_rates_and_length_distribution(models, prob):
    if not SGD.exists():
        pytest.skip("the SGD shard is not in ../shared/data")
    records = [json.loads(line) for line in SGD.read_text(encoding="utf-8").splitlines()]
    dialogues = [{"turns": [t("user" if x["speaker"] == "USER" else "assistant", x["utterance"]) for x in r["turns"]]}
                 for r in records]
    inputs = prepare_dialogue(synthetic=SGD)
    tsg = get("dialogue.tsg").run(inputs, models)
    exp_tsg, exp_nt2t, _ = expected(dialogues, prob, 0.5)
    assert tsg.value == pytest.approx(np.nanmean(exp_tsg))
    assert get("dialogue.nt2t").run(inputs, models).value == pytest.approx(np.nanmean(exp_nt2t))
    lengths = np.array([sum(x["speaker"] == "SYSTEM" for x in r["turns"]) for r in records])
    dist = tsg.notes["dialogue_length"]["assistant_turns"]
    assert dist["mean"] == pytest.approx(lengths.mean()) and dist["max"] == lengths.max()
    assert dist["p90"] == pytest.approx(np.percentile(lengths, 90))
    assert sum(r["dialogues"] for r in tsg.breakdown) == 128


def test_streamed_batches_and_merged_shards_agree(models, tmp_path):
    path = tmp_path / "d.jsonl"
    path.write_text("".join(json.dumps(d) + "\n" for d in DIALOGUES * 3), encoding="utf-8")
    inputs = prepare_dialogue(synthetic=path)
    metric = get("dialogue.nt2t").impl
    whole = metric.compute(inputs, models)
    batched = metric.compute(inputs, models, batch_size=4)
    np.testing.assert_array_equal(whole.record_scores, batched.record_scores)
    assert whole.value == batched.value
    frame = inputs.frame("synthetic")
    a = metric.update(metric.init(inputs, models), "synthetic", frame.iloc[:10])
    b = metric.init(inputs, models)
    b["offset"] = 10
    b = metric.update(b, "synthetic", frame.iloc[10:])
    merged = metric.finalize(metric.merge(a, b), inputs, models)
    assert merged.value == whole.value and merged.breakdown == whole.breakdown
