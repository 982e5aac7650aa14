"""Logic verifier (survey section 3.2, Acc_proof): hand-worked ProofWriter proofs, labels and bad inputs.

Every expected edge set below was worked out by hand from the format in ``synthaudit.verify.logic``'s docstring:
each premise (fact, NAF, or the rule that produced an intermediate) points to the rule it feeds, and the final
conclusion points to ``@goal``.
"""
from __future__ import annotations

import pytest

from synthaudit.verify.logic import GOAL, NAF, normalize_label, parse_proof, proofs_match, split_proofs, verify_logic

G = GOAL
FIXTURES = [
    # 1. a fact proves itself (depth 0), as the "proofs" field writes it
    ("[(triple1)]", {("triple1", G)}),
    # 2. one rule on one fact ("proofs" field: rule without an intermediate id)
    ("[(((triple1) -> rule5))]", {("triple1", "rule5"), ("rule5", G)}),
    # 3. one rule on two facts
    ("((triple1 triple2) -> rule1)", {("triple1", "rule1"), ("triple2", "rule1"), ("rule1", G)}),
    # 4. proofsWithIntermediates: rule6 makes int2 from triple2; rule7 uses int2 and triple3
    ("((((triple2) -> (rule6 % int2)) triple3) -> (rule7 % int1))",
     {("triple2", "rule6"), ("rule6", "rule7"), ("triple3", "rule7"), ("rule7", G)}),
    # 5. the top level without its outer parentheses
    ("(((triple4) -> (rule2 % int1)) triple1) -> (rule3 % int2)",
     {("triple4", "rule2"), ("rule2", "rule3"), ("triple1", "rule3"), ("rule3", G)}),
    # 6. a redundant pair of parentheses around a sub-proof
    ("((((triple1) -> (rule5 % int2))) -> (rule2 % int1))", {("triple1", "rule5"), ("rule5", "rule2"), ("rule2", G)}),
    # 7. the same fact used twice: once through rule1, once directly
    ("((((triple1) -> (rule1 % int2)) triple1) -> (rule7 % int1))",
     {("triple1", "rule1"), ("rule1", "rule7"), ("triple1", "rule7"), ("rule7", G)}),
    # 8. negation as failure (closed world)
    ("[(((NAF) -> rule1))]", {(NAF, "rule1"), ("rule1", G)}),
    # 9. a fact and NAF together
    ("((triple2 NAF) -> rule4)", {("triple2", "rule4"), (NAF, "rule4"), ("rule4", G)}),
    # 10. two branches joined by rule3 (depth 3)
    ("((((((triple3) -> (rule2 % int3)) triple5) -> (rule4 % int2)) ((triple6) -> (rule1 % int4))) -> (rule3 % int1))",
     {("triple3", "rule2"), ("rule2", "rule4"), ("triple5", "rule4"), ("rule4", "rule3"), ("triple6", "rule1"),
      ("rule1", "rule3"), ("rule3", G)}),
    # 11. a rule applied twice in a row: a self-loop
    ("((((triple1) -> (rule2 % int2))) -> (rule2 % int1))", {("triple1", "rule2"), ("rule2", "rule2"), ("rule2", G)}),
    # 12. "proofs" field, nested, no intermediate ids
    ("[(((((triple1) -> rule3) triple2) -> rule1))]",
     {("triple1", "rule3"), ("rule3", "rule1"), ("triple2", "rule1"), ("rule1", G)}),
    # 13. a proofsWithIntermediates entry as a dict
    ({"representation": "(((triple7) -> (rule4 % int1)))", "intermediates": {"int1": {"text": "x"}}},
     {("triple7", "rule4"), ("rule4", G)}),
    # 14. NAF written as an intermediate-style id (nafN) maps to the one NAF node
    ("((triple1 naf2) -> (rule6 % int1))", {("triple1", "rule6"), (NAF, "rule6"), ("rule6", G)}),
]


@pytest.mark.parametrize("proof,edges", FIXTURES)
def test_hand_worked_canonical_graphs(proof: object, edges: set) -> None:
    assert parse_proof(proof) == frozenset(edges)


def test_reordering_and_other_forms_give_the_same_graph() -> None:
    gold = parse_proof(FIXTURES[3][0])
    same = [
        "((triple3 ((triple2) -> (rule6 % int2))) -> (rule7 % int1))",  # premises swapped
        "((((triple2) -> (rule6 % int9)) triple3) -> (rule7 % int4))",  # other intermediate numbering
        "[(((((triple2) -> rule6) triple3) -> rule7))]",  # "proofs" field form
        "  ( ( ( (Triple2) -> (Rule6 % int2) ) triple3 ) -> ( rule7 % int1 ) )  ",  # spacing, case
        [{"from": ["triple3", "int2"], "rule": "rule7", "to": "int1"},
         {"from": ["triple2"], "rule": "rule6", "to": "int2"}],
        [{"from": ["triple2"], "rule": "rule6", "to": "int2"}, {"from": ["int2", "triple3"], "rule": "rule7"}],
        [("triple3", "rule7"), ("rule6", "rule7"), ("triple2", "rule6")],  # edge list, conclusion inferred
        {"edges": [["triple2", "rule6"], ["rule6", "rule7"], ["triple3", "rule7"], ["rule7", "@goal"]]},
    ]
    for proof in same:
        assert parse_proof(proof) == gold, proof
    assert parse_proof("((triple2 triple1) -> rule1)") == parse_proof(FIXTURES[2][0])


def test_different_proofs_do_not_match() -> None:
    gold = FIXTURES[3][0]
    for other in ["((((triple2) -> (rule6 % int2)) triple4) -> (rule7 % int1))",  # another fact
                  "((((triple2) -> (rule5 % int2)) triple3) -> (rule7 % int1))",  # another rule
                  "((triple2 triple3) -> rule7)",  # a step skipped
                  "(((triple2) -> (rule6 % int2)))"]:  # stops early
        assert not proofs_match(other, [gold]), other
    assert parse_proof("[(triple1)]") != parse_proof("[(triple2)]")  # single-fact proofs differ by their node


def test_multiple_gold_proofs() -> None:
    field = "[(((triple4) -> rule8) OR ((triple6) -> rule7))]"
    assert split_proofs(field) == ["((triple4) -> rule8)", "((triple6) -> rule7)"]
    assert split_proofs("[(triple1)]") == ["(triple1)"]
    assert split_proofs("[@0: deepest failure = (rule1 <- FAIL)]") == []
    assert proofs_match("((triple6) -> (rule7 % int1))", [field])
    assert proofs_match("((triple4) -> rule8)", split_proofs(field))
    assert not proofs_match("((triple5) -> rule7)", [field])
    v = verify_logic(True, True, pred_proof="((triple6) -> rule7)", gold_proofs=field)
    assert v.ok and v.detail["matched_gold"] == 1
    v = verify_logic(True, True, pred_proof="((triple5) -> rule7)", gold_proofs=field)
    assert v.status == "fail"
    assert v.reason == ("proof differs: missing edges triple6->rule7; extra edges triple5->rule7 "
                        "(closest of 2 gold proofs: #2)")


LABELS = [
    (True, "True"), (False, "False"), (1, "True"), (0, "False"), (1.0, "True"), ("true", "True"), ("True.", "True"),
    (" YES ", "True"), ("entailed", "True"), ("Entailment", "True"), ("the answer is True", "True"),
    ("Answer: yes", "True"), ("false", "False"), ("No", "False"), ("contradiction", "False"), ("refuted", "False"),
    ("unknown", "Unknown"), ("Unknown", "Unknown"), ("neutral", "Unknown"), ("cannot be determined", "Unknown"),
    ("not_enough_info", "Unknown"), ("maybe", None), ("not entailed", None), (2, None), (-1, None), (None, None),
    ("", None), ([True], None), (float("nan"), None),
]


@pytest.mark.parametrize("raw,label", LABELS)
def test_label_normalisation_table(raw: object, label: str | None) -> None:
    assert normalize_label(raw) == label


def test_numpy_labels() -> None:
    np = pytest.importorskip("numpy")
    assert normalize_label(np.bool_(True)) == "True" and normalize_label(np.int64(0)) == "False"


def test_verdicts() -> None:
    proof = FIXTURES[3][0]
    assert verify_logic("yes", True).ok
    v = verify_logic(True, "False")
    assert v.status == "fail" and v.reason == "label True, expected False"
    assert verify_logic("entailed", True, pred_proof=FIXTURES[3][0], gold_proofs=[proof]).ok
    v = verify_logic(True, True, pred_proof="((triple2 triple3) -> rule7)", gold_proofs=[proof])
    assert v.status == "fail"
    # gold: triple2->rule6, rule6->rule7, triple3->rule7, rule7->@goal; pred: triple2->rule7, triple3->rule7,
    # rule7->@goal
    assert v.reason == "proof differs: missing edges rule6->rule7, triple2->rule6; extra edges triple2->rule7"
    assert v.detail["missing"] == [("rule6", "rule7"), ("triple2", "rule6")]
    assert v.detail["extra"] == [("triple2", "rule7")]
    v = verify_logic(True, True, gold_proofs=[proof])
    assert v.status == "fail" and "no proof given" in v.reason
    # a wrong label fails first, whatever the proof
    assert verify_logic(False, True, pred_proof=proof, gold_proofs=[proof]).reason == "label False, expected True"


def test_unknown_gold_counts_only_the_label() -> None:
    fail_field = "[@0: deepest failure = (rule1 <- FAIL)]"
    v = verify_logic("neutral", "Unknown", pred_proof="((triple1) -> rule1)", gold_proofs=[fail_field])
    assert v.ok and v.detail["proof_checked"] is False
    assert verify_logic("Unknown", "Unknown", pred_proof="((((", gold_proofs=None).ok
    # a CWA False whose only gold entry is FAIL (not provable): label only
    assert verify_logic(False, False, gold_proofs=fail_field).ok


BAD_PROOFS = [
    ("((triple1) -> )", "must be followed by a rule id"),
    ("((triple1) -> rule1", "unbalanced"),
    ("((triple1) -> rule1))", "after the end"),
    ("", "empty proof"),
    ("   ", "empty proof"),
    ("((int3) -> (rule1 % int1))", "intermediate int3 is used as a premise but no step produces it"),
    ("[(rule1 <- FAIL)]", "FAIL"),
    ("(triple1 triple2)", "one conclusion, got 2"),
    ("[(triple1) OR (triple2)]", "2 alternative proofs joined by OR"),
    ("((triple1) -> (rule1 % ))", "must name an intermediate"),
    ("(-> rule1)", "rule1 has no premises"),
    (42, "got int"),
    ([], "empty proof"),
    ([{"rule": "rule1"}], "step 1 must be a dict with 'from'"),
    ([{"from": ["int7"], "rule": "rule1"}], "step 1: intermediate int7"),
    ([("triple1",)], "edge 1 must be a (from, to) pair"),
    ([("triple1", "rule1"), ("triple2", "rule2")], "2 nodes have no outgoing edge (rule1, rule2)"),
    ({"proof": "x"}, "needs 'representation', 'steps' or 'edges'"),
]


@pytest.mark.parametrize("proof,message", BAD_PROOFS)
def test_bad_proofs_say_what_is_wrong(proof: object, message: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_proof(proof)  # type: ignore[arg-type]
    assert message in str(info.value)


def test_unreadable_inputs_are_unparsed_and_say_which() -> None:
    gold = FIXTURES[3][0]
    v = verify_logic("perhaps", True)
    assert v.status == "unparsed" and v.reason.startswith("predicted label unreadable: 'perhaps'")
    v = verify_logic(True, "??")
    assert v.status == "unparsed" and v.reason.startswith("gold label unreadable")
    v = verify_logic(True, True, pred_proof="((triple1) -> rule1", gold_proofs=[gold])
    assert v.status == "unparsed" and v.reason.startswith("predicted proof unreadable: proof ends early")
    v = verify_logic(True, True, pred_proof=gold, gold_proofs=[gold, "((int9) -> rule2)"])
    assert v.status == "unparsed" and v.reason.startswith("gold proof 2 unreadable: intermediate int9")
    assert v.as_dict()["status"] == "unparsed"
