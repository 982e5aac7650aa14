"""logs.exposure and logs.sensitive_span_prf (survey section 5.3.3), checked against fixtures worked out by hand
below: per-message counts, the mean, per-type breakdown with masked examples, merging of batch states, the
sensitive-type parameter, a plugin detector, micro precision/recall/F1 of removed spans, gaps and empty cases."""
from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

import synthaudit.metrics.logs.exposure  # noqa: F401 (registers the metrics)
from synthaudit.data.logs_prepare import prepare_logs
from synthaudit.errors import InputError
from synthaudit.metrics.registry import get
from synthaudit.models import Models

EXP, PRF = "logs.exposure", "logs.sensitive_span_prf"
NONE = Models()

MESSAGES = [
    "Failed password for root from 183.62.140.253 port 22 ssh2",  # ipv4 -> 1 (root is a user name: not in S_S)
    "DHCPACK on 10.0.0.57 to 3c:52:82:1f:9a:b4 via eth0",  # ipv4 + mac -> 2
    "user <USER> logged in from <IP>",  # anonymised -> 0
    "contact a.b@example.com or [2001:db8::1]:443",  # email + ipv6 -> 2
    None,  # no message: NaN, not counted
    "upgrade to version 1.2.3.4 done at 12:30:45",  # hard negatives -> 0
]


def run(metric_id: str, inputs, **params):
    if params:
        inputs.params[metric_id] = params
    return get(metric_id).run(inputs, NONE)


def logs(messages, **kw):
    return prepare_logs(synthetic=pd.DataFrame({"Content": pd.Series(messages, dtype=object)}), **kw)


def test_exposure_counts_default_types():
    r = run(EXP, logs(MESSAGES))
    # counts 1, 2, 0, 2, -, 0 over 5 messages: 5 / 5
    assert r.value == pytest.approx(1.0)
    np.testing.assert_allclose(r.record_scores, [1, 2, 0, 2, np.nan, 0])
    rows = {row["type"]: row for row in r.breakdown}
    assert [row["type"] for row in r.breakdown] == ["ipv4", "ipv6", "mac_address", "email"]
    assert rows["ipv4"]["spans"] == 2 and rows["ipv4"]["share_of_messages"] == pytest.approx(2 / 5)
    assert rows["ipv6"]["exposure"] == pytest.approx(1 / 5) and rows["mac_address"]["messages"] == 1
    assert rows["email"]["example_record"] == 3
    assert r.secondary["share_exposed_messages"] == pytest.approx(3 / 5)  # messages 0, 1, 3
    assert r.secondary["exposure_ipv4"] == pytest.approx(2 / 5)
    assert r.notes["n_messages"] == 5 and r.notes["missing_messages"] == 1


def test_examples_show_the_type_and_a_masked_preview_only():
    r = run(EXP, logs(MESSAGES))
    examples = {row["type"]: row["example"] for row in r.breakdown}
    assert examples["ipv4"] == "Failed password for [user_name] from [ipv4 1***.***.***.***] port 22 ssh2"
    assert examples["email"] == "contact [email a***@e***.com] or [[ipv6]]:443"
    text = json.dumps(r.breakdown)
    for secret in ("183.62.140.253", "root", "a.b@example.com", "2001:db8::1", "3c:52:82", "10.0.0.57"):
        assert secret not in text


def test_sensitive_types_param():
    # ipv4 only: 1 + 1 + 0 + 0 + 0 over 5 messages
    assert run(EXP, logs(MESSAGES), sensitive_types=["ipv4"]).value == pytest.approx(2 / 5)
    # user names: 'root' in message 0 only ('<USER>' is a placeholder, not a name)
    assert run(EXP, logs(MESSAGES), sensitive_types=["user_name"]).value == pytest.approx(1 / 5)
    # an IP inside an URL counts as an IP when only IPs are asked for
    assert run(EXP, logs(["GET http://10.1.1.1/x ok"]), sensitive_types=["ipv4"]).value == 1.0
    assert run(EXP, logs(["GET http://10.1.1.1/x ok"]), sensitive_types=["url"]).value == 1.0
    for bad in (["ip"], [], "ipv4"):
        with pytest.raises(ValueError, match="sensitive_types|unknown sensitive type"):
            run(EXP, logs(MESSAGES), sensitive_types=bad)


def test_batches_merge_to_the_one_pass_result():
    inputs = logs(MESSAGES)
    impl = get(EXP).impl
    states = []
    for batch in inputs.batches("synthetic", 2):  # three batches of two messages
        states.append(impl.update(impl.init(inputs, NONE), "synthetic", batch))
    merged = impl.merge(impl.merge(states[0], states[1]), states[2])
    r = impl.finalize(merged, inputs, NONE)
    whole = run(EXP, logs(MESSAGES))
    assert r.value == whole.value and r.breakdown == whole.breakdown
    np.testing.assert_array_equal(r.record_scores, whole.record_scores)


def test_no_message_gives_no_value():
    r = run(EXP, logs([None, None]))
    assert r.value is None and all(math.isnan(x) for x in r.record_scores)
    assert run(EXP, logs(["", "nothing here"])).value == 0.0


PLUGIN = '''
def find(text):
    return [{"type": "secret_word", "start": m, "end": m + 5} for m in range(len(text)) if text.startswith("magic", m)]
'''


def test_plugin_detector(tmp_path, monkeypatch):
    (tmp_path / "exposure_plugin.py").write_text(PLUGIN, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    inputs = logs(["magic magic", "plain", "magic"], detector="exposure_plugin:find")
    r = run(EXP, inputs, sensitive_types=["secret_word"])  # custom types are allowed with a plugin
    assert r.value == pytest.approx((2 + 0 + 1) / 3)
    assert r.breakdown[0]["example"].startswith("[secret_word m***]")


# -- logs.sensitive_span_prf -----------------------------------------------------------------------------------
def span(text: str, kind: str, value: str) -> dict:
    start = text.index(value)
    return {"type": kind, "start": start, "end": start + len(value)}


O0 = "Failed password for root from 10.0.0.1 port 22"
O1 = "user alice from 10.0.0.9 pid 42"
O2 = "mail bob@example.com to jürgen@example.de"
ROWS = [
    # r0: both gold spans replaced exactly -> gold found 2/2; removed 2, both correct
    (O0, "Failed password for <USER> from <IP> port 22", [span(O0, "user_name", "root"), span(O0, "ipv4", "10.0.0.1")]),
    # r1: the IP replaced, the user kept, the pid replaced (not sensitive) -> gold found 1/2; removed 2, 1 correct
    (O1, "user alice from <IP> pid <PID>", [span(O1, "user_name", "alice"), span(O1, "ipv4", "10.0.0.9")]),
    # r2: bob's local part masked (the domain kept: 'bob' is removed, not the e-mail), jürgen's address replaced
    #     -> exact: gold found 1/2 (jürgen), removed 2 ('bob', the second address), 1 correct
    (O2, "mail b**@example.com to <EMAIL>", [span(O2, "email", "bob@example.com"),
                                           span(O2, "email", "jürgen@example.de")]),
    # r3: no gold spans given: not scored
    ("nothing", "nothing", None),
]


def prf_inputs(rows=ROWS):
    frame = pd.DataFrame({"Content": [r[1] for r in rows], "orig": [r[0] for r in rows],
                          "gold": [None if r[2] is None else json.dumps(r[2], ensure_ascii=False) for r in rows]})
    return prepare_logs(synthetic=frame, fields={"original": "orig", "spans": "gold"})


def test_span_prf_micro_by_hand():
    r = run(PRF, prf_inputs())
    # gold 6, found 2 + 1 + 1 = 4 -> R = 4/6; removed 2 + 2 + 2 = 6, correct 2 + 1 + 1 = 4 -> P = 4/6
    # F1 = 2 * (2/3) * (2/3) / (4/3) = 2/3
    assert r.secondary["recall"] == pytest.approx(4 / 6)
    assert r.secondary["precision"] == pytest.approx(4 / 6)
    assert r.value == pytest.approx(2 / 3) and r.secondary["f1"] == r.value
    assert r.secondary["gold_spans"] == 6 and r.secondary["removed_spans"] == 6
    # per type recall: user_name 1/2 (root), ipv4 2/2, email 1/2 (jürgen)
    assert r.secondary["recall_user_name"] == 0.5 and r.secondary["recall_ipv4"] == 1.0
    assert r.secondary["recall_email"] == 0.5
    assert r.notes["records_scored"] == 3 and r.notes["records_without_gold"] == 1
    rows = {row["type"]: row for row in r.breakdown}
    assert rows["user_name"]["missed_examples"] == ["record 1: user [user_name a***] from [ipv4] pid 42"]
    assert "bob" not in json.dumps(r.breakdown)


def test_span_prf_overlap_mode():
    r = run(PRF, prf_inputs(), span_match="overlap")
    # r2's 'bob' now overlaps the gold bob@example.com: found 5/6, removed correct 5/6 -> P = R = F1 = 5/6
    assert r.secondary["recall"] == pytest.approx(5 / 6) and r.secondary["precision"] == pytest.approx(5 / 6)
    assert r.value == pytest.approx(5 / 6)


def test_span_prf_outputs_and_params():
    r = run(PRF, prf_inputs(), outputs=["recall"])
    assert "precision" not in r.secondary and r.secondary["recall"] == pytest.approx(4 / 6)
    assert r.value == pytest.approx(2 / 3)  # the value stays F1
    for bad in ({"outputs": ["accuracy"]}, {"averaging": "macro"}, {"span_match": "fuzzy"}):
        with pytest.raises(ValueError):
            run(PRF, prf_inputs(), **bad)


def test_span_prf_edge_cases():
    # nothing removed while gold spans exist: P undefined, R = 0, F1 = 0
    r = run(PRF, prf_inputs([(O0, O0, [span(O0, "ipv4", "10.0.0.1")])]))
    assert r.secondary["precision"] is None and r.secondary["recall"] == 0.0 and r.value == 0.0
    # no gold spans and nothing removed: nothing is defined
    r = run(PRF, prf_inputs([(O0, O0, [])]))
    assert r.value is None and r.secondary["recall"] is None
    # no gold spans, something removed: P = 0, R and F1 undefined
    r = run(PRF, prf_inputs([(O0, O0.replace("root", "<U>"), [])]))
    assert r.secondary["precision"] == 0.0 and r.value is None


def test_span_prf_gap_and_bad_spans():
    reason = get(PRF).spec.applies(logs(MESSAGES))
    assert "--original-field" in reason and "--spans-field" in reason
    assert get(PRF).spec.applies(prf_inputs()) is None
    bad = [(O0, O0, [{"type": "ipv4", "start": 30, "end": 99}])]
    with pytest.raises(InputError, match="record 0") as err:
        run(PRF, prf_inputs(bad))
    assert "after the end of its text" in str(err.value)
