"""Log parsing metrics (logs.parsing_accuracy, logs.grouping_accuracy, logs.fga, logs.fta, logs.variable_prf):
equal to loghub-2.0's definitions computed independently here with pandas on the loghub samples, 1.0 for the
ground truth scored against itself, and hand-worked fixtures."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from synthaudit.data.logs_prepare import prepare_logs
from synthaudit.metrics.logs import parsing
from synthaudit.models import Models

LOGHUB = Path(__file__).resolve().parents[2] / "shared" / "data" / "logs" / "loghub_2k"
SYSTEMS = ("HDFS", "BGL", "OpenSSH", "Apache")
GLOBAL = {"logs.grouping_accuracy": parsing.grouping_accuracy, "logs.fga": parsing.fga, "logs.fta": parsing.fta}
RECORD = {"logs.parsing_accuracy": parsing.ParsingAccuracy, "logs.variable_prf": parsing.VariablePRF}


def run(metric_id: str, inputs):
    if metric_id in GLOBAL:
        return GLOBAL[metric_id](inputs, Models())
    return RECORD[metric_id]().compute(inputs, Models())


def corrected_csv(system: str) -> Path:
    path = LOGHUB / system / f"{system}_2k.log_structured_corrected.csv"
    if not path.exists():
        pytest.skip("the loghub samples are not in ../shared/data/logs")
    return path


def drain3_final_templates(contents) -> list[str]:
    """Drain3 with its default settings, run here directly: each message's cluster template after the last one."""
    from drain3 import TemplateMiner
    from drain3.template_miner_config import TemplateMinerConfig

    miner = TemplateMiner(config=TemplateMinerConfig())
    ids = [miner.add_log_message(c)["cluster_id"] for c in contents]
    final = {c.cluster_id: c.get_template() for c in miner.drain.clusters}
    return [final[i] for i in ids]


def loghub2_reference(truth: pd.Series, pred: pd.Series) -> dict[str, float]:
    """loghub-2.0's PA, GA, PGA/RGA/FGA and PTA/RTA/FTA written out with pandas group-bys (message-level and
    template-level definitions from its evaluator / template-level analysis)."""
    df = pd.DataFrame({"gt": truth.to_numpy(), "pred": pred.to_numpy()})
    out = {"PA": float((df["gt"] == df["pred"]).mean())}
    pred_sizes = df["pred"].value_counts()
    good_gt, good_msgs = 0, 0
    for _, counts in df.groupby("gt")["pred"]:
        parts = counts.value_counts()
        if len(parts) == 1 and pred_sizes[parts.index[0]] == len(counts):
            good_gt += 1
            good_msgs += len(counts)
    n_pred, n_gt = df["pred"].nunique(), df["gt"].nunique()
    out["GA"] = good_msgs / len(df)
    out["PGA"], out["RGA"] = good_gt / n_pred, good_gt / n_gt
    out["FGA"] = 0.0 if good_gt == 0 else 2 * out["PGA"] * out["RGA"] / (out["PGA"] + out["RGA"])
    gts_of_pred = df.groupby("pred")["gt"].agg(set)
    good_t = sum(1 for p, gts in gts_of_pred.items() if gts == {p})
    out["PTA"], out["RTA"] = good_t / n_pred, good_t / n_gt
    out["FTA"] = 0.0 if good_t == 0 else 2 * out["PTA"] * out["RTA"] / (out["PTA"] + out["RTA"])
    return out


def check_against(inputs, ref: dict[str, float]) -> None:
    assert run("logs.parsing_accuracy", inputs).value == pytest.approx(ref["PA"], abs=1e-12)
    assert run("logs.grouping_accuracy", inputs).value == pytest.approx(ref["GA"], abs=1e-12)
    r = run("logs.fga", inputs)
    assert r.value == pytest.approx(ref["FGA"], abs=1e-12)
    assert (r.secondary["precision"], r.secondary["recall"]) == pytest.approx((ref["PGA"], ref["RGA"]), abs=1e-12)
    r = run("logs.fta", inputs)
    assert r.value == pytest.approx(ref["FTA"], abs=1e-12)
    assert (r.secondary["precision"], r.secondary["recall"]) == pytest.approx((ref["PTA"], ref["RTA"]), abs=1e-12)


# -- the loghub samples -------------------------------------------------------------------------------------
@pytest.mark.parametrize("system", SYSTEMS)
def test_drain3_scores_equal_loghub2_definitions(system):
    path = corrected_csv(system)
    frame = pd.read_csv(path, dtype=str)
    pred = pd.Series(drain3_final_templates(list(frame["Content"])))
    ref = loghub2_reference(frame["EventTemplate"], pred)
    inputs = prepare_logs(synthetic=str(path))
    check_against(inputs, ref)
    assert 0 < ref["PA"] < 1 and 0 < ref["FTA"] < 1  # Drain3 is not perfect here: the comparison is not trivial
    ga = run("logs.grouping_accuracy", inputs)
    assert ga.secondary["n_groups_pred"] == pred.nunique()
    assert ga.secondary["n_templates_gt"] == frame["EventTemplate"].nunique()


@pytest.mark.parametrize("system", SYSTEMS)
def test_ground_truth_against_itself_is_perfect(system):
    inputs = prepare_logs(synthetic=str(corrected_csv(system)), fields={"template": "EventTemplate"})
    for mid in (*GLOBAL, *RECORD):
        r = run(mid, inputs)
        assert r.value == 1.0, mid
        assert not r.breakdown, mid
    r = run("logs.variable_prf", inputs)
    assert (r.secondary["precision"], r.secondary["recall"]) == (1.0, 1.0)
    inputs.params["logs.variable_prf"] = {"averaging": "micro_pooled"}
    assert run("logs.variable_prf", inputs).value == 1.0


def test_row_order_does_not_change_grouping_metrics_given_the_parse():
    frame = pd.read_csv(corrected_csv("OpenSSH"), dtype=str)
    frame["Pred"] = drain3_final_templates(list(frame["Content"]))  # one fixed parse, given as a field
    base = {mid: run(mid, prepare_logs(synthetic=frame, fields={"template": "Pred"})).value
            for mid in (*GLOBAL, "logs.parsing_accuracy")}
    shuffled = frame.sample(frac=1.0, random_state=3).reset_index(drop=True)
    again = {mid: run(mid, prepare_logs(synthetic=shuffled, fields={"template": "Pred"})).value for mid in base}
    assert base == pytest.approx(again, abs=1e-12)
    assert base["logs.grouping_accuracy"] < 1.0


def test_drain3_on_shuffled_rows_still_equals_the_definitions():
    # Drain is online: a shuffled input may parse differently; whatever the parse, the scores follow loghub-2.0
    frame = pd.read_csv(corrected_csv("BGL"), dtype=str).sample(frac=1.0, random_state=7).reset_index(drop=True)
    pred = pd.Series(drain3_final_templates(list(frame["Content"])))
    check_against(prepare_logs(synthetic=frame), loghub2_reference(frame["EventTemplate"], pred))


def test_original_ground_truth_is_corrected_before_comparing():
    # the uncorrected loghub ground truth with oracle template correction scores as the corrected file does
    path = LOGHUB / "HDFS" / "HDFS_2k.log_structured.csv"
    if not path.exists():
        pytest.skip("the loghub samples are not in ../shared/data/logs")
    corrected = prepare_logs(synthetic=str(corrected_csv("HDFS")))
    original = prepare_logs(synthetic=str(path))
    for mid in ("logs.parsing_accuracy", *GLOBAL):
        assert run(mid, original).value == pytest.approx(run(mid, corrected).value, abs=1e-12), mid
    original.params["logs.parsing_accuracy"] = {"oracle_template_correction": False}
    frame = pd.read_csv(path, dtype=str)
    pred = pd.Series(drain3_final_templates(list(frame["Content"])))
    assert run("logs.parsing_accuracy", original).value == pytest.approx(
        float((pred == frame["EventTemplate"]).mean()), abs=1e-12)


# -- hand-worked fixture --------------------------------------------------------------------------------------
def fixture() -> pd.DataFrame:
    return pd.DataFrame({
        "Content": ["open file a.txt", "open file b.txt", "close file a.txt", "delete file c.txt", "user 1 login",
                    "user 2 login", "disk full"],
        "EventTemplate": ["open file <*>", "open file <*>", "close file <*>", "delete file <*>", "user <*> login",
                          "user <*> login", "disk full"],
        "Pred": ["open file <*>", "open file <*>", "<*> file <*>", "<*> file <*>", "user <*> login", "user 2 login",
                 "disk full"]})


def hand_inputs(**params):
    inputs = prepare_logs(synthetic=fixture(), fields={"template": "Pred"})
    for mid in (*GLOBAL, *RECORD):
        inputs.params[mid] = dict(params)
    return inputs


def test_hand_fixture_pa():
    # correct messages: 0, 1 (open), 4 (user <*> login), 6 (disk full) -> PA = 4/7
    r = run("logs.parsing_accuracy", hand_inputs())
    assert r.value == pytest.approx(4 / 7)
    assert r.record_scores.tolist() == [1, 1, 0, 0, 1, 0, 1]
    assert [row["record"] for row in r.breakdown] == [2, 3, 5]
    assert r.breakdown[2]["predicted"] == "user 2 login" and r.breakdown[2]["expected"] == "user <*> login"


def test_record_numbers_when_streaming_in_batches():
    # batches of 2 records: failing rows still name positions in the whole input, scores stay in input order
    inputs = hand_inputs()
    r = parsing.ParsingAccuracy().compute(inputs, Models(), batch_size=2)
    assert [row["record"] for row in r.breakdown] == [2, 3, 5]
    assert r.record_scores.tolist() == [1, 1, 0, 0, 1, 0, 1]
    r = parsing.VariablePRF().compute(inputs, Models(), batch_size=3)
    assert [row["record"] for row in r.breakdown] == [2, 3, 5]
    assert r.value == pytest.approx(16 / 21)  # as in test_hand_fixture_variable_prf


def test_hand_fixture_ga_fga():
    # predicted groups P1 open{0,1}, P2 '<*> file <*>'{2,3}, P3 'user <*> login'{4}, P4 'user 2 login'{5}, P5 disk{6}
    # ground truth G1 open{0,1}, G2 close{2}, G3 delete{3}, G4 user{4,5}, G5 disk{6}
    # G1 = P1 and G5 = P5 exactly; G2, G3 share P2 (merged); G4 is split over P3, P4.
    # GA = (2 + 1) / 7; PGA = 2/5, RGA = 2/5, FGA = 2/5
    inputs = hand_inputs()
    r = run("logs.grouping_accuracy", inputs)
    assert r.value == pytest.approx(3 / 7)
    assert r.secondary == {"n_correct_messages": 3.0, "n_groups_pred": 5.0, "n_templates_gt": 5.0,
                           "n_merged_groups": 1.0, "n_split_templates": 1.0}
    kinds = {(row["kind"], row["template"]): row for row in r.breakdown}
    merged = kinds[("merged", "<*> file <*>")]
    assert merged["involved"] == "close file <*> (1) | delete file <*> (1)" and merged["messages"] == 2
    assert merged["example"] == "delete file c.txt" and merged["example_record"] == 3
    split = kinds[("split", "user <*> login")]
    assert split["involved"] == "user 2 login (1) | user <*> login (1)" and split["n_involved"] == 2
    r = run("logs.fga", inputs)
    assert r.value == pytest.approx(0.4)
    assert (r.secondary["precision"], r.secondary["recall"], r.secondary["n_correct_groups"]) == \
        pytest.approx((0.4, 0.4, 2))


def test_hand_fixture_fta():
    # a predicted template is correct when its messages' ground-truth templates are exactly {its text}:
    # P1 yes, P2 no (two templates), P3 yes (loghub-2.0 does not ask for the whole group), P4 no (text), P5 yes
    # PTA = RTA = 3/5 -> FTA = 0.6; requiring the exact group too (Khan et al.): P1, P5 -> 2/5 = 0.4
    r = run("logs.fta", hand_inputs())
    assert r.value == pytest.approx(0.6)
    assert r.secondary["n_correct_templates"] == 3 and r.secondary["f1_exact_group"] == pytest.approx(0.4)
    text_rows = [row for row in r.breakdown if row["kind"] == "template_text"]
    assert [(row["template"], row["involved"]) for row in text_rows] == [("user 2 login", "user <*> login (1)")]
    inputs = hand_inputs(outputs=["recall"])
    assert set(run("logs.fta", inputs).secondary) == {"recall", "n_correct_templates", "n_groups_pred",
                                                      "n_templates_gt", "f1_exact_group"}


def test_hand_fixture_correcting_predictions():
    # correct_predicted_templates: 'user 2 login' -> 'user <*> login' (DG), so P3 and P4 become one group:
    # PA = 5/7 (0, 1, 4, 5, 6); GA = (2 + 2 + 1) / 7; FGA: 3 exact of 4 predicted / 5 true -> P 3/4, R 3/5
    inputs = hand_inputs(correct_predicted_templates=True)
    assert run("logs.parsing_accuracy", inputs).value == pytest.approx(5 / 7)
    assert run("logs.grouping_accuracy", inputs).value == pytest.approx(5 / 7)
    p, r = 3 / 4, 3 / 5
    assert run("logs.fga", inputs).value == pytest.approx(2 * p * r / (p + r))


def test_hand_fixture_variable_prf():
    # variables read off the templates (V_p | V_t -> P, R, F1):
    # 0: a.txt | a.txt -> 1, 1, 1;  1: b.txt | b.txt -> 1, 1, 1
    # 2: close, a.txt | a.txt -> 1/2, 1, 2/3;  3: delete, c.txt | c.txt -> 1/2, 1, 2/3
    # 4: 1 | 1 -> 1, 1, 1;  5: (none) | 2 -> 0, 0, 0;  6: (none) | (none) -> 1, 1, 1
    # macro: P = 5/7, R = 6/7, F1 = (5 + 4/3) / 7 ... = (4 + 2*(2/3)) / 7 = 16/21
    r = run("logs.variable_prf", hand_inputs())
    assert r.value == pytest.approx(16 / 21)
    assert (r.secondary["precision"], r.secondary["recall"]) == pytest.approx((5 / 7, 6 / 7))
    assert r.record_scores == pytest.approx([1, 1, 2 / 3, 2 / 3, 1, 0, 1])
    row = next(x for x in r.breakdown if x["record"] == 2)
    assert row["spurious"] == "close" and row["missed"] == ""
    # micro: matched 5, predicted 7, true 6 -> P = 5/7, R = 5/6, F1 = 10/13
    r = run("logs.variable_prf", hand_inputs(averaging="micro_pooled"))
    assert r.value == pytest.approx(10 / 13)
    assert (r.secondary["precision"], r.secondary["recall"]) == pytest.approx((5 / 7, 5 / 6))


def test_variable_prf_from_fields_as_multisets():
    # record 0: V_p = [a, b, b], V_t = [b, c] -> matched 1 (b) -> P 1/3, R 1/2, F1 = 2*(1/6)/(5/6) = 0.4
    # record 1: V_p = [" x  y "], V_t = ["x y"] -> whitespace-normalised equal -> 1
    # record 2: V_p missing (no variables predicted), V_t = [z] -> 0; record 3: V_t missing -> not scored
    frame = pd.DataFrame({"Content": ["m0", "m1", "m2", "m3"],
                          "vars": [["a", "b", "b"], [" x  y "], None, ["q"]],
                          "true_vars": [["b", "c"], ["x y"], ["z"], None]})
    inputs = prepare_logs(synthetic=frame, fields={"variables": "vars", "reference_variables": "true_vars"})
    assert parsing.VariablePRF.spec.applies(inputs) is None
    r = run("logs.variable_prf", inputs)
    assert r.record_scores[:3] == pytest.approx([0.4, 1.0, 0.0]) and np.isnan(r.record_scores[3])
    assert r.value == pytest.approx((0.4 + 1.0 + 0.0) / 3)
    assert r.notes["records_without_true_variables"] == 1


# -- Drain3 merges and splits ------------------------------------------------------------------------------
def test_drain3_merge_and_split_rows():
    # 'Connection closed by <*>' and 'Connection reset by <*>': same length and first token, 2 of 4 tokens equal
    # (0.5 >= sim_th 0.4) -> Drain3 merges them into 'Connection <*> by <*>'.
    # 'User <*> logged in' with a one-word and a two-word name: different token counts -> two Drain3 clusters.
    frame = pd.DataFrame({"Content": ["Connection closed by 10.0.0.1", "Connection reset by 10.0.0.2",
                                      "Connection closed by 10.0.0.3", "User alice logged in", "User bob logged in",
                                      "User Jean Paul logged in"],
                          "EventTemplate": ["Connection closed by <*>", "Connection reset by <*>",
                                            "Connection closed by <*>", "User <*> logged in", "User <*> logged in",
                                            "User <*> logged in"]})
    inputs = prepare_logs(synthetic=frame)
    r = run("logs.grouping_accuracy", inputs)
    rows = {row["kind"]: row for row in r.breakdown}
    assert rows["merged"]["template"] == "Connection <*> by <*>"
    assert rows["merged"]["involved"] == "Connection closed by <*> (2) | Connection reset by <*> (1)"
    assert rows["merged"]["example"] == "Connection reset by 10.0.0.2"
    assert rows["split"]["template"] == "User <*> logged in"
    assert rows["split"]["involved"] == "User <*> logged in (2) | User Jean Paul logged in (1)"
    assert [row["kind"] for row in r.breakdown] == ["merged", "split"]  # both 3 messages: by kind
    assert r.value == 0.0  # every message is in a merge or a split
    pred = pd.Series(drain3_final_templates(list(frame["Content"])))
    check_against(inputs, loghub2_reference(frame["EventTemplate"], pred))


# -- gaps, bad params, missing values -------------------------------------------------------------------------
def test_missing_ground_truth_is_a_gap_naming_the_flag():
    inputs = prepare_logs(synthetic=["a 1", "a 2"])
    for mid in (*GLOBAL, "logs.parsing_accuracy"):
        spec = (GLOBAL.get(mid) or RECORD.get(mid)).spec
        assert "--reference-field" in spec.applies(inputs), mid
    assert "--reference-field" in parsing.VariablePRF.spec.applies(inputs)
    assert parsing.fta.spec.applies(prepare_logs(synthetic=fixture())) is None


@pytest.mark.parametrize("mid, params, text", [
    ("logs.variable_prf", {"averaging": "median"}, "averaging"),
    ("logs.variable_prf", {"outputs": ["accuracy"]}, "outputs"),
    ("logs.fta", {"outputs": []}, "outputs"),
    ("logs.fta", {"oracle_template_correction": "yes"}, "oracle_template_correction"),
    ("logs.parsing_accuracy", {"correct_predicted_templates": 1}, "correct_predicted_templates"),
])
def test_bad_params(mid, params, text):
    inputs = hand_inputs()
    inputs.params[mid] = params
    with pytest.raises(ValueError, match=text):
        run(mid, inputs)


def test_missing_ground_truth_rows_and_messages_are_left_out():
    # rows 1 (no template) and 3 (no message) are not scored: what remains is the hand fixture's rows 0, 2, 4
    frame = pd.DataFrame({"Content": ["open file a.txt", "x", "close file a.txt", None, "user 1 login"],
                          "EventTemplate": ["open file <*>", None, "close file <*>", "y", "user <*> login"],
                          "Pred": ["open file <*>", "x", "<*> file <*>", "y", "user <*> login"]})
    inputs = prepare_logs(synthetic=frame, fields={"template": "Pred"})
    r = run("logs.parsing_accuracy", inputs)
    assert r.value == pytest.approx(2 / 3) and np.isnan(r.record_scores[[1, 3]]).all()
    assert (r.notes["records_without_ground_truth"], r.notes["records_without_message"]) == (1, 1)
    r = run("logs.grouping_accuracy", inputs)  # open and user exact; close alone in '<*> file <*>' is exact too
    assert r.value == 1.0 and r.notes["n_without_ground_truth"] == 1 and r.notes["n_scored"] == 3
    assert run("logs.fta", inputs).value == pytest.approx(2 / 3)  # '<*> file <*>' != 'close file <*>'


def test_no_scored_record_is_undefined():
    frame = pd.DataFrame({"Content": ["a", "b"], "EventTemplate": [None, None]})
    frame["EventTemplate"] = frame["EventTemplate"].astype(object)
    inputs = prepare_logs(synthetic=frame, fields={"reference": "EventTemplate"})
    for mid in (*GLOBAL, *RECORD):
        r = run(mid, inputs)
        assert r.value is None, mid


def test_unicode_messages():
    frame = pd.DataFrame({"Content": ["ユーザー 太郎 ログイン", "ユーザー 花子 ログイン", "ошибка диска"],
                          "EventTemplate": ["ユーザー <*> ログイン", "ユーザー <*> ログイン", "ошибка диска"]})
    inputs = prepare_logs(synthetic=frame)
    assert run("logs.parsing_accuracy", inputs).value == 1.0  # Drain3 generalises the name, keeps the rest
    assert run("logs.variable_prf", inputs).value == 1.0


def test_drain3_order_can_change_pa():
    # the fixture of test_log_templates.test_drain_is_online_order_changes_templates: with sim_th 0.5, in this
    # order Drain3 gives 'A B <*> <*>' (x2) and 'A G E F' = the ground truth -> PA 1, GA 1; reversed it gives
    # 'A <*> E F' (x2, merging the two true templates) and 'A B C D' -> PA 0, GA 0
    frame = pd.DataFrame({"Content": ["A B C D", "A B E F", "A G E F"],
                          "EventTemplate": ["A B <*> <*>", "A B <*> <*>", "A G E F"]})
    forward = prepare_logs(synthetic=frame, parser_config={"sim_th": 0.5})
    backward = prepare_logs(synthetic=frame.iloc[::-1].reset_index(drop=True), parser_config={"sim_th": 0.5})
    assert run("logs.parsing_accuracy", forward).value == 1.0 and run("logs.grouping_accuracy", forward).value == 1.0
    assert run("logs.parsing_accuracy", backward).value == 0.0 and run("logs.grouping_accuracy", backward).value == 0.0


def test_user_templates_parser():
    # --parser templates: each message gets its most specific matching template; the unmatched one its own text.
    # Ground truth vs prediction: rows 0, 1 'open file <*>' ok; row 2 'close file a.txt' matches only
    # '<*> file <*>' (wrong); row 3 matches nothing -> its own text 'disk full' = the ground truth -> PA = 3/4
    frame = pd.DataFrame({"Content": ["open file a", "open file b", "close file a.txt", "disk full"],
                          "EventTemplate": ["open file <*>", "open file <*>", "close file <*>", "disk full"]})
    inputs = prepare_logs(synthetic=frame, parser="templates", templates=["<*> file <*>", "open file <*>"])
    r = run("logs.parsing_accuracy", inputs)
    assert r.value == pytest.approx(3 / 4) and r.notes["parser"].startswith("templates (2 user template(s)")
    # groups: {0, 1}, {2}, {3} = the ground truth partition -> GA = 1
    assert run("logs.grouping_accuracy", inputs).value == 1.0
