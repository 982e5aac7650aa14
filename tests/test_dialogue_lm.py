"""PMI-FAITH, USL-H and USR (survey section 2.2) with the real offline models (SmolLM2-135M-Instruct as
causal LM, judge and LM acceptability; MiniLM embedder), checked against the backends called directly."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from synthaudit.audit.engine import run_plan
from synthaudit.audit.plan import make_plan
from synthaudit.data.dialogue import prepare_dialogue
from synthaudit.data.segment import split_sentences
from synthaudit.metrics.dialogue.usr import GENERIC_REPLIES, SUBSCORES
from synthaudit.metrics.dialogue.validity import usl_h_score
from synthaudit.metrics.registry import get
from synthaudit.models import Models

SGD = Path(__file__).resolve().parents[2] / "shared/data/dialogue/sgd/test_dialogues_001_flat.jsonl"
Q = "What time does the City Museum open on Sundays?"
DOC = "The City Museum opens at 10 am on Sundays and closes at 5 pm. Entry is free for children."
GROUNDED = "It opens at 10 am on Sundays, and entry is free for children."
IGNORING = "I am not sure, maybe you could try calling them tomorrow."


@pytest.fixture(scope="module")
def models() -> Models:
    return Models.default()


def t(role, content):
    return {"role": role, "content": content}


# -- PMI-FAITH ---------------------------------------------------------------------------------------
def test_pmi_faith_is_the_difference_of_two_logprob_sums_and_rewards_grounding(models):
    follow_q = "And when does it close?"
    recs = [{"turns": [t("user", Q), t("assistant", GROUNDED)], "doc": DOC},
            {"turns": [t("user", Q), t("assistant", IGNORING)], "doc": DOC},
            {"turns": [t("user", Q), t("assistant", GROUNDED), t("user", follow_q), t("assistant", "At 5 pm.")],
             "doc": [DOC]},
            {"turns": [t("user", Q), t("assistant", GROUNDED)]}]  # no document: undefined
    inputs = prepare_dialogue(synthetic=recs, evidence_field="doc")
    res = get("dialogue.pmi_faith").run(inputs, models)
    rows = res.breakdown
    assert [(r["record"], r["turn"]) for r in rows] == [(1, 1), (2, 1), (3, 1), (3, 3), (4, 1)]
    grounded, ignoring = rows[0]["pmi"], rows[1]["pmi"]
    assert grounded > 0 and grounded > ignoring + 1.0
    lm = models.get("causal_lm")
    history = f"user: {Q}\nassistant: {GROUNDED}\nuser: {follow_q}"
    with_doc = f"Document:\n{DOC}\n\nDialogue:\n{history}\nassistant:"
    without = f"Dialogue:\n{history}\nassistant:"
    lp = lm.token_logprobs([with_doc, without], [" At 5 pm.", " At 5 pm."])
    assert rows[3]["pmi"] == pytest.approx(lp[0].sum() - lp[1].sum(), abs=1e-4)
    assert rows[3]["pmi_per_token"] == pytest.approx((lp[0].sum() - lp[1].sum()) / len(lp[0]), abs=1e-4)
    assert rows[3]["tokens"] == len(lp[0])
    assert rows[4]["score"] is None and res.notes["n_undefined_responses"] == 1
    defined = [r["pmi"] for r in rows[:4]]
    assert res.value == pytest.approx(np.mean(defined))
    assert res.secondary["pmi_faith_per_token_mean"] == pytest.approx(np.mean([r["pmi_per_token"] for r in rows[:4]]))
    np.testing.assert_allclose(res.record_scores, [grounded, ignoring, np.mean(defined[2:]), np.nan])
    assert res.notes["models"]["causal_lm"]["name"].startswith("HuggingFaceTB/SmolLM2-135M-Instruct")
    one = prepare_dialogue(synthetic=recs[:1], evidence_field="doc",
                           params={"dialogue.pmi_faith": {"length_normalize": True}})
    assert get("dialogue.pmi_faith").run(one, models).value == pytest.approx(rows[0]["pmi_per_token"], abs=1e-4)


# -- USL-H -----------------------------------------------------------------------------------------
def test_usl_h_formula_hand_worked():
    # 0.2*0.8 + 0.3*0.8*0.5 + 0.5*0.8*0.5*(0.5*0.4 + 0.5*0.6) = 0.16 + 0.12 + 0.10
    assert usl_h_score(0.8, 0.5, [0.4, 0.6], [0.2, 0.3, 0.5], [0.5, 0.5]) == pytest.approx(0.38)
    assert usl_h_score(0.0, 1.0, [1.0], [0.3333, 0.3333, 0.3334], [1.0]) == 0.0  # not understandable: gated to 0
    assert usl_h_score(1.0, 0.0, [1.0], [0.2, 0.3, 0.5], [1.0]) == pytest.approx(0.2)  # not sensible: only a1
    assert usl_h_score(1.0, 1.0, [1.0, 0.0], [0.2, 0.3, 0.5], [0.25, 0.75]) == pytest.approx(0.625)


@pytest.mark.parametrize("params, message", [
    ({"alpha": [0.5, 0.5, 0.5]}, "alpha"),
    ({"likability_qualities": ["specificity", "empathy"], "beta": [1.0]}, "beta"),
    ({"likability_qualities": ["humour"]}, "no judge prompt"), ({"context_turns": -1}, "context_turns"),
    ({"responses": "first"}, "responses")])
def test_usl_h_rejects_bad_parameters_before_loading_models(params, message):
    inputs = prepare_dialogue(synthetic=[{"turns": [t("user", Q), t("assistant", GROUNDED)]}],
                              params={"dialogue.usl_h": params})
    with pytest.raises(ValueError, match=message):
        get("dialogue.usl_h").impl.init(inputs, Models())  # an empty Models: nothing can load


def test_usl_h_matches_the_backends_sub_scores_and_gates(models):
    recs = [{"turns": [t("user", "Hello!"), t("assistant", "Hi."), t("user", Q), t("assistant", GROUNDED)]},
            {"turns": [t("user", Q), t("assistant", "")]}]  # no sentence: s_U = 0, the score is 0
    params = {"alpha": [0.2, 0.3, 0.5], "likability_qualities": ["specificity", "empathy"], "beta": [0.25, 0.75],
              "context_turns": 1, "responses": "last"}
    res = get("dialogue.usl_h").run(prepare_dialogue(synthetic=recs, params={"dialogue.usl_h": params}), models)
    acc, judge = models.get("acceptability_classifier"), models.get("llm_judge")
    s_u = float(np.mean(acc.score(split_sentences(GROUNDED))))
    item = [{"context": f"user: {Q}", "response": GROUNDED}]
    s_s, q_spec, q_emp = (judge.rate(p, item)[0] for p in ("sensibleness", "specificity", "empathy"))
    row, gated = res.breakdown
    assert row["s_U"] == pytest.approx(s_u, abs=1e-6) and row["s_S"] == pytest.approx(s_s, abs=1e-6)
    assert row["q_specificity"] == pytest.approx(q_spec, abs=1e-6)
    assert row["q_empathy"] == pytest.approx(q_emp, abs=1e-6)
    expected = 0.2 * s_u + 0.3 * s_u * s_s + 0.5 * s_u * s_s * (0.25 * q_spec + 0.75 * q_emp)
    assert row["score"] == pytest.approx(expected, abs=1e-6)
    assert gated["s_U"] == 0.0 and gated["sentences"] == 0 and gated["score"] == 0.0
    assert gated["gated"] and gated["s_S"] is None and not row["gated"]  # gated: the judge is not asked
    assert res.value == pytest.approx(expected / 2, abs=1e-6)
    assert res.secondary["s_U_mean"] == pytest.approx(s_u / 2, abs=1e-6)
    assert res.secondary["s_S_mean"] == pytest.approx(s_s, abs=1e-6)  # over the judged response only
    assert res.secondary["not_understandable_share"] == 0.5
    assert res.notes["off_format"] == {"sensibleness": 0, "specificity": 0, "empathy": 0}
    assert res.notes["beta"] == {"specificity": 0.25, "empathy": 0.75}
    assert res.notes["models"]["llm_judge"]["variant"] == "llm-judge"
    assert res.notes["models"]["acceptability_classifier"]["variant"] == "lm-shuffle-preference"
    assert res.notes["judge_prompts"]["empathy"].startswith("empathy v1")


# -- USR ---------------------------------------------------------------------------------------------
TOPICS = [
    ("When does the City Museum open on Sundays?", DOC, GROUNDED),
    ("Is the bakery on Elm Street open late?", "Rosa's Bakery on Elm Street is open until 11 pm every day.",
     "Yes, Rosa's Bakery on Elm Street stays open until 11 pm every day."),
    ("How long is the hike to Eagle Peak?", "The Eagle Peak trail is 12 km long and takes about five hours.",
     "The Eagle Peak trail is 12 km and usually takes around five hours."),
    ("Which platform does the airport train leave from?", "Airport trains depart from platform 4 every 15 minutes.",
     "Airport trains leave from platform 4, every 15 minutes."),
    ("Do they serve vegan food at Luna Cafe?", "Luna Cafe offers a fully vegan menu including pasta and cakes.",
     "Luna Cafe has a fully vegan menu, with pasta and cakes."),
    ("How much is a ticket to the zoo?", "Adult tickets to the zoo cost 18 dollars; children pay 9 dollars.",
     "An adult ticket costs 18 dollars and children pay 9 dollars."),
    ("Where can I park near the stadium?", "The stadium has a garage on North Road with 2,000 spaces.",
     "There is a garage on North Road with 2,000 spaces next to the stadium."),
]


def usr_records():
    recs = []
    for i, (q, doc, good) in enumerate(TOPICS):
        generic = GENERIC_REPLIES[i % len(GENERIC_REPLIES)]
        recs.append({"turns": [t("user", q), t("assistant", good)], "doc": doc, "human": 4.5 + 0.5 * (i % 2)})
        recs.append({"turns": [t("user", q), t("assistant", generic)], "doc": doc, "human": 1.0 + 0.5 * (i % 2)})
    recs[-1]["human"] = recs[-2]["human"] = None  # the last topic is not rated
    return recs


def test_usr_fits_weights_on_human_ratings_and_reports_r2(models):
    recs = usr_records()
    res = get("dialogue.usr").run(prepare_dialogue(synthetic=recs, evidence_field="doc", human_field="human"), models)
    rows = res.breakdown
    assert res.notes["n_rated"] == 12 and res.notes["n_complete"] == 14
    weights, intercept = res.notes["weights"], res.notes["intercept"]
    assert list(weights) == list(SUBSCORES)
    assert 0.5 < res.secondary["r2_in_sample"] <= 1.0
    assert res.secondary["r2_cross_validated"] is not None and res.secondary["r2_cross_validated"] < \
        res.secondary["r2_in_sample"]
    for r in rows[-2:]:  # unrated responses: the full fit's prediction
        assert r["score"] == pytest.approx(intercept + sum(weights[k] * r[k] for k in SUBSCORES), abs=1e-9)
    full_fit = [intercept + sum(weights[k] * r[k] for k in SUBSCORES) for r in rows[:-2]]
    assert not np.allclose([r["score"] for r in rows[:-2]], full_fit)  # rated ones are scored out of fold
    assert res.value == pytest.approx(np.mean([r["score"] for r in rows]))
    good, generic = rows[-2:]
    assert good["score"] > generic["score"]
    # sub-scores against the backends called directly
    q, doc, answer = TOPICS[-1]
    lm, emb = models.get("causal_lm"), models.get("sentence_embedder")
    cond, free = lm.token_logprobs([f"Dialogue:\nuser: {q}\nassistant:", ""], [" " + answer, answer])
    assert good["understandable"] == pytest.approx(cond.mean(), abs=1e-4)
    assert good["natural"] == pytest.approx(free.mean(), abs=1e-4)
    e = emb.encode([f"user: {q}", answer, doc, *GENERIC_REPLIES]).astype(float)
    assert good["maintains_context"] == pytest.approx(e[0] @ e[1], abs=1e-5)
    assert good["uses_knowledge"] == pytest.approx(e[2] @ e[1], abs=1e-5)
    assert good["interesting"] == pytest.approx(1 - (e[3:] @ e[1]).max(), abs=1e-5)
    assert res.notes["models"]["causal_lm"]["variant"] == "causal-lm"


def test_usr_without_enough_ratings_is_undefined(models):
    recs = usr_records()[:4]
    res = get("dialogue.usr").run(prepare_dialogue(synthetic=recs, evidence_field="doc", human_field="human"), models)
    assert res.value is None and "at least 7 rated responses" in res.notes["undefined"]
    assert res.secondary["interesting_mean"] is not None


# -- the engine on SGD data ------------------------------------------------------------------------
def test_all_six_run_through_the_engine_on_sgd_dialogues(models, tmp_path):
    if not SGD.exists():
        pytest.skip("the SGD shard is not in ../shared/data")
    first, second = [json.loads(line) for line in SGD.read_text(encoding="utf-8").splitlines()[:2]]
    recs = [{**first, "turns": first["turns"][:2], "ref": first["turns"][1]["utterance"], "doc": "Restaurants_2",
             "human": 3},
            {**second, "turns": second["turns"][1:3], "ref": None, "doc": None, "human": None}]  # opens with SYSTEM
    path = tmp_path / "sgd.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in recs), encoding="utf-8")
    inputs = prepare_dialogue(synthetic=path, reference_field="ref", evidence_field="doc", human_field="human")
    plan = make_plan(inputs, models)
    runs = {r.metric.id: r for r in run_plan(plan, inputs, models)}
    assert len(runs) == 6 and all(r.status == "ok" for r in runs.values()), {k: r.error for k, r in runs.items()}
    assert runs["dialogue.tsg"].result.value == 0.0 and runs["dialogue.tsg"].result.notes["n_dialogues_scored"] == 2
    nt2t = runs["dialogue.nt2t"].result
    assert nt2t.value == 0.0 and nt2t.notes["unpaired_responses"] == 1 and np.isnan(nt2t.record_scores[1])
    usl = runs["dialogue.usl_h"].result
    assert 0.0 <= usl.value <= 1.0 and usl.notes["n_responses"] == 1
    assert "1 assistant turn" in usl.notes["skipped_openers"]
    assert runs["dialogue.pmi_faith"].result.notes["n_responses"] == 1
    assert runs["dialogue.usr"].result.value is None  # 1 rating: too few for the regression, said so
    assert runs["dialogue.ruber"].result.value is None  # 1 pair: too few to cross-fit the learner, said so
