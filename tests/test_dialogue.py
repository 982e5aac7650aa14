"""The dialogue loader (survey sections 2.2-2.3 inputs): formats, role mapping, errors, pairs and the plan.

No model is loaded here; the metrics are tested against the real models in tests/test_dialogue_*.py.
"""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from synthaudit.audit.plan import make_plan
from synthaudit.data.dialogue import (exchanges, iter_dialogues, parse_batch, prepare_dialogue, response_pairs,
                                      spec_of)
from synthaudit.errors import InputError
from synthaudit.models import Models

SGD = Path(__file__).resolve().parents[2] / "shared/data/dialogue/sgd/test_dialogues_001_flat.jsonl"
SIX = {"dialogue.usl_h", "dialogue.ruber", "dialogue.usr", "dialogue.pmi_faith", "dialogue.tsg", "dialogue.nt2t"}


@pytest.fixture(scope="module")
def sgd() -> list[dict]:
    if not SGD.exists():
        pytest.skip("the SGD shard is not in ../shared/data")
    return [json.loads(line) for line in SGD.read_text(encoding="utf-8").splitlines()]


def write_jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


def all_dialogues(inputs, role="synthetic"):
    return [d for batch, _ in iter_dialogues(inputs, role) for d in batch]


def turn(role, content):
    return {"role": role, "content": content}


# -- formats and roles -------------------------------------------------------------------------------
def test_sgd_file_loads_with_user_and_system_roles(sgd):
    inputs = prepare_dialogue(synthetic=SGD)
    assert inputs.modality == "dialogue" and inputs.extra["turns_field"] == "turns"
    stats = inputs.extra["dialogue_stats"]["synthetic"]
    n_user = sum(t["speaker"] == "USER" for d in sgd for t in d["turns"])
    n_system = sum(t["speaker"] == "SYSTEM" for d in sgd for t in d["turns"])
    assert stats == {"records": 128, "user_turns": n_user, "assistant_turns": n_system}
    assert inputs.has("prompts") and not inputs.has("references") and not inputs.has("evidence")
    dialogues = all_dialogues(inputs)
    assert [d.record for d in dialogues] == list(range(1, 129))
    first = dialogues[0]
    assert [t.role for t in first.turns] == ["user" if t["speaker"] == "USER" else "assistant" for t in sgd[0]["turns"]]
    pairs = response_pairs(dialogues)
    assert len(pairs) == n_system  # every SGD dialogue opens with the user
    assert pairs[0].context == "user: " + sgd[0]["turns"][0]["utterance"]
    assert pairs[0].response == sgd[0]["turns"][1]["utterance"]
    assert pairs[1].context.count("\n") == 2  # three preceding turns, one line each


def test_openai_messages_with_a_system_prompt():
    rec = {"messages": [turn("system", "You are terse."), turn("user", "Hi"), turn("assistant", "Hello."),
                        turn("user", "Bye"), turn("assistant", "Bye.")]}
    inputs = prepare_dialogue(synthetic=[rec])
    (d,) = all_dialogues(inputs)
    assert [t.role for t in d.turns] == ["system", "user", "assistant", "user", "assistant"]
    pairs = response_pairs([d])
    assert [p.response for p in pairs] == ["Hello.", "Bye."]
    assert pairs[0].context == "system: You are terse.\nuser: Hi"
    assert response_pairs([d], context_turns=1)[1].context == "user: Bye"
    assert inputs.extra["dialogue_stats"]["synthetic"]["system_prompts"] == 1


def test_sharegpt_and_speaker_text_spellings():
    share = {"conversations": [{"from": "human", "value": "Q?"}, {"from": "gpt", "value": "A."}]}
    (d,) = all_dialogues(prepare_dialogue(synthetic=[share]))
    assert [(t.role, t.content) for t in d.turns] == [("user", "Q?"), ("assistant", "A.")]
    mixed = {"turns": [{"speaker": "Human", "text": "x"}, {"speaker": "BOT", "utterance": "y"}]}
    (d,) = all_dialogues(prepare_dialogue(synthetic=[mixed]))
    assert [(t.role, t.content) for t in d.turns] == [("user", "x"), ("assistant", "y")]


def test_custom_roles_and_keys():
    rec = {"dialog": [{"who": "customer", "say": "My order is late."}, {"who": "agent", "say": "Sorry about that."}]}
    inputs = prepare_dialogue(synthetic=[rec], turns_field="dialog", role_field="who", content_field="say",
                              user_roles="customer", assistant_roles=["agent"])
    (d,) = all_dialogues(inputs)
    assert [t.role for t in d.turns] == ["user", "assistant"]
    with pytest.raises(InputError, match="both user and assistant"):
        prepare_dialogue(synthetic=[rec], turns_field="dialog", user_roles="agent", assistant_roles="agent")


def test_csv_with_json_encoded_turns_and_parquet(tmp_path):
    turns = [turn("user", "Où est la gare ? 駅はどこ"), turn("assistant", "Tout droit 😀")]
    csv = tmp_path / "d.csv"
    pd.DataFrame({"id": [1], "turns": [json.dumps(turns, ensure_ascii=False)]}).to_csv(csv, index=False)
    (d,) = all_dialogues(prepare_dialogue(synthetic=csv))
    assert d.turns[0].content == "Où est la gare ? 駅はどこ" and d.turns[1].content == "Tout droit 😀"
    pq = tmp_path / "d.parquet"
    pd.DataFrame({"id": [1, 2], "messages": [turns, turns[:1] + [turn("bot", "ok")]]}).to_parquet(pq)
    dialogues = all_dialogues(prepare_dialogue(synthetic=pq))
    assert [t.content for t in dialogues[1].turns] == ["Où est la gare ? 駅はどこ", "ok"]


def test_streamed_batches_keep_record_numbers(tmp_path):
    recs = [{"turns": [turn("user", f"q{i}"), turn("assistant", f"a{i}")]} for i in range(7)]
    inputs = prepare_dialogue(synthetic=write_jsonl(tmp_path / "s.jsonl", recs), stream=True)
    records = [d.record for batch, _ in iter_dialogues(inputs, batch_size=3) for d in batch]
    assert records == list(range(1, 8))


# -- tolerated problems: counted, not crashed on ----------------------------------------------------------
def test_empty_and_missing_dialogues_are_counted(tmp_path):
    recs = [{"turns": []}, {"turns": None}, {"other": 1},
            {"turns": [turn("user", ""), turn("assistant", "ok")]}]
    inputs = prepare_dialogue(synthetic=write_jsonl(tmp_path / "e.jsonl", recs))
    stats = inputs.extra["dialogue_stats"]["synthetic"]
    assert stats["empty"] == 1 and stats["missing"] == 2 and stats["empty_turns"] == 1
    assert any("1 dialogue(s) are empty" in w for w in inputs.warnings)
    assert any("2 record(s) have no turns" in w for w in inputs.warnings)
    dialogues = all_dialogues(inputs)
    assert dialogues[1] is None and dialogues[2] is None and dialogues[0].turns == []
    assert [p.record for p in response_pairs(dialogues)] == [4]


# -- errors: one message naming file, record and field -----------------------------------------------------
@pytest.mark.parametrize("bad, message", [
    ("hello", r"record 2: the turns are a str"),
    (5, r"record 2: the turns are a int"),
    ({"role": "user", "content": "x"}, r"record 2: the turns are a dict"),
    (["just text"], r"record 2: turn 1 is a str"),
    ([{"role": "user"}], r"record 2: turn 1 has no content"),
    ([{"content": "hi"}], r"record 2: turn 1 has no role"),
    ([{"role": "narrator", "content": "Once"}], r"record 2: turn 1 has the unknown role 'narrator'"),
    ([{"role": "user", "content": 3}], r"record 2: turn 1: the content is a int"),
])
def test_malformed_turns_raise_one_clear_error(tmp_path, bad, message):
    path = write_jsonl(tmp_path / "bad.jsonl", [{"turns": [turn("user", "a"), turn("assistant", "b")]},
                                                {"turns": bad}])
    with pytest.raises(InputError, match=message) as info:
        prepare_dialogue(synthetic=path)
    text = str(info.value)
    assert str(path) in text and "field 'turns'" in text


def test_field_errors(tmp_path):
    ok = [{"messages": [turn("user", "a"), turn("assistant", "b")], "ref": "c", "h": "x"}]
    path = write_jsonl(tmp_path / "f.jsonl", ok)
    with pytest.raises(InputError, match="cannot tell which field holds the turns") as info:
        prepare_dialogue(synthetic=write_jsonl(tmp_path / "g.jsonl", [{"chat": []}]))
    assert "--turns-field" in str(info.value)
    with pytest.raises(InputError, match="has no field 'nope'") as info:
        prepare_dialogue(synthetic=path, evidence_field="nope")
    assert "--evidence-field" in str(info.value)
    with pytest.raises(InputError, match="record 1: human score 'x' is not a number"):
        prepare_dialogue(synthetic=path, human_field="h")
    with pytest.raises(InputError, match="no assistant turns"):
        prepare_dialogue(synthetic=[{"turns": [turn("user", "alone")]}])
    with pytest.raises(InputError, match="no synthetic data"):
        prepare_dialogue(synthetic=None)


def test_references_and_human_scores_align_with_assistant_turns():
    rec = {"turns": [turn("user", "a"), turn("assistant", "b"), turn("user", "c"), turn("assistant", "d")],
           "ref": "D", "refs": ["B", None], "h": [2, 4.5], "h1": 3, "doc": ["s1", "s2"]}
    spec = spec_of(prepare_dialogue(synthetic=[rec], reference_field="ref", human_field="h1", evidence_field="doc"))
    (d,), _ = parse_batch(pd.DataFrame([rec]), spec, "x")
    assert d.references == [None, "D"] and d.human == [None, 3.0] and d.evidence == ["s1", "s2"]
    spec = {**spec, "references": "refs", "human_scores": "h"}
    (d,), _ = parse_batch(pd.DataFrame([rec]), spec, "x")
    pairs = response_pairs([d])
    assert [(p.reference, p.human, p.evidence) for p in pairs] == [("B", 2.0, ("s1", "s2")), (None, 4.5, ("s1", "s2"))]
    assert [p.response for p in response_pairs([d], which="last")] == ["d"]
    bad = {**rec, "refs": ["B", "C", "D"]}
    with pytest.raises(InputError, match="3 references for 2 assistant turn"):
        parse_batch(pd.DataFrame([bad]), spec, "x")


def test_exchanges_group_user_turns_and_leave_openers_unpaired():
    rec = {"turns": [turn("assistant", "Hi!"), turn("user", "a"), turn("user", "b"), turn("assistant", "c"),
                     turn("assistant", "d")]}
    (d,) = all_dialogues(prepare_dialogue(synthetic=[rec]))
    assert exchanges(d) == [([], 0), ([1, 2], 3), ([], 4)]
    assert [p.turn for p in response_pairs([d])] == [3, 4]  # the opener has no context
    assert [p.turn for p in response_pairs([d], with_context=False)] == [0, 3, 4]


# -- the plan --------------------------------------------------------------------------------------
def test_sgd_plan_runs_three_and_names_the_flags_for_the_others():
    plan = make_plan(prepare_dialogue(synthetic=SGD), Models.default())
    assert {m.id for m in plan.run} == {"dialogue.usl_h", "dialogue.tsg", "dialogue.nt2t"}
    gaps = {g.id: g for g in plan.gaps}
    assert set(gaps) == SIX - {m.id for m in plan.run}
    assert all(g.kind == "missing_input" for g in gaps.values())
    assert gaps["dialogue.ruber"].enable == "--reference-field"
    assert gaps["dialogue.pmi_faith"].enable == "--evidence-field"
    assert gaps["dialogue.usr"].enable == "--evidence-field --human-field"


def test_all_six_metrics_plan_when_every_field_is_given(sgd, tmp_path):
    recs = [{**d, "ref": d["turns"][-1]["utterance"], "doc": "schema", "score": 3} for d in sgd[:10]]
    inputs = prepare_dialogue(synthetic=write_jsonl(tmp_path / "all.jsonl", recs), real=SGD, reference_field="ref",
                              evidence_field="doc", human_field="score")
    plan = make_plan(inputs, Models.default())
    assert {m.id for m in plan.run} == SIX and not plan.gaps


def test_without_user_turns_the_context_metrics_are_gaps():
    inputs = prepare_dialogue(synthetic=[{"turns": [turn("assistant", "Hello"), turn("assistant", "Anyone?")]}])
    plan = make_plan(inputs, Models.default())
    assert {m.id for m in plan.run} == {"dialogue.tsg"}
    assert {g.id for g in plan.gaps if g.kind == "missing_input" and "prompts" in g.reason} >= {
        "dialogue.usl_h", "dialogue.nt2t"}
