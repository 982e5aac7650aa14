"""The downstream log task (survey sections 5.2, 5.3.3): logs.delta_downstream and logs.anonymization_delta on
hand-built HDFS-like block sessions, against the same task computed in the test from the generator's own event ids
with scikit-learn (LogisticRegression / DecisionTreeClassifier, f1_score, accuracy_score)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import synthaudit.metrics.logs.anonymization  # noqa: F401 (registers the metric)
import synthaudit.metrics.logs.utility  # noqa: F401 (registers the metric)
from synthaudit.data.logs_prepare import prepare_logs
from synthaudit.errors import InputError
from synthaudit.metrics.registry import get
from synthaudit.models import Models
from synthaudit.stats.log_anomaly import build_sessions, message_label

EVENTS = {  # event id -> (message format, template given to --parser templates)
    "alloc": ("BLOCK* NameSystem.allocateBlock: /user/root/rand/_temporary/part-{k}. {b}",
              "BLOCK* NameSystem.allocateBlock: <*> <*>"),
    "receiving": ("Receiving block {b} src: /{ip}:50010 dest: /{ip2}:50010",
                  "Receiving block <*> src: <*> dest: <*>"),
    "responder": ("PacketResponder {k} for block {b} terminating", "PacketResponder <*> for block <*> terminating"),
    "received": ("Received block {b} of size 67108864 from /{ip}", "Received block <*> of size <*> from <*>"),
    "stored": ("BLOCK* NameSystem.addStoredBlock: blockMap updated: {ip}:50010 is added to {b} size 67108864",
               "BLOCK* NameSystem.addStoredBlock: blockMap updated: <*> is added to <*> size <*>"),
    "reset": ("Exception in receiveBlock for block {b} java.io.IOException: Connection reset by peer",
              "Exception in receiveBlock for block <*> java.io.IOException: Connection reset by peer"),
    "eof": ("writeBlock {b} received exception java.io.EOFException: while trying to read 65557 bytes",
            "writeBlock <*> received exception java.io.EOFException: while trying to read <*> bytes"),
}
TEMPLATES = [t for _, t in EVENTS.values()]
_next = [0]


def session(rng: np.random.Generator, anomaly: str | None) -> list[tuple[str, str, int]]:
    """(message, event, label) of one block: allocate, receive (1-3 replicas), respond, store; an anomalous block
    also logs its exception."""
    _next[0] += 1
    b = f"blk_{'-' if _next[0] % 2 else ''}{10 ** 15 + _next[0]}"
    ips = [f"10.250.{rng.integers(1, 20)}.{rng.integers(1, 250)}" for _ in range(4)]
    events = ["alloc"]
    for _ in range(int(rng.integers(1, 4))):
        events += ["receiving", "responder", "received", "stored"]
    if anomaly:
        events.insert(int(rng.integers(1, len(events) + 1)), anomaly)
    label = int(anomaly is not None)
    return [(EVENTS[e][0].format(b=b, k=int(rng.integers(0, 3)), ip=ips[0], ip2=ips[1]), e, label) for e in events]


def logs(seed: int, normal: int, **anomalies: int) -> list[tuple[str, str, int]]:
    rng = np.random.default_rng(seed)
    blocks = [session(rng, None) for _ in range(normal)]
    blocks += [session(rng, kind) for kind, n in anomalies.items() for _ in range(n)]
    rows = [m for blk in blocks for m in blk]
    return [rows[i] for i in rng.permutation(len(rows))]  # blocks interleave as in a real log


def frame(rows, label=True) -> pd.DataFrame:
    out = pd.DataFrame({"Content": [m for m, _, _ in rows]})
    if label:
        out["Label"] = [lab for _, _, lab in rows]
    return out


def inputs_of(train, holdout, synthetic, parser="templates", **kw):
    templates = TEMPLATES if parser == "templates" else None
    return prepare_logs(synthetic=frame(synthetic), train=frame(train), holdout=frame(holdout),
                        fields={"label": "Label"}, parser=parser, templates=templates, **kw)


def run(metric_id, inputs, **params):
    inputs.params[metric_id] = params
    return get(metric_id).run(inputs, Models.default())


# -- the reference: the same task from the generator's event ids ---------------------------------------------------
def block(message: str) -> str:
    return next(t for t in message.split() if t.startswith("blk_"))


def reference_xy(rows, columns):
    """log1p event counts per block (blocks in order of first message) and the block labels; events not in
    ``columns`` (and events given as None) count in the last ('unseen') column."""
    index = {e: i for i, e in enumerate(columns)}
    counts, labels = {}, {}
    for msg, event, label in rows:
        b = block(msg)
        counts.setdefault(b, np.zeros(len(columns) + 1))[index.get(event, len(columns))] += 1
        labels[b] = max(labels.get(b, 0), label)
    return np.log1p(np.array(list(counts.values()))), np.array(list(labels.values()))


def reference_model(kind, seed, x, y):
    from sklearn.linear_model import LogisticRegression
    from sklearn.tree import DecisionTreeClassifier

    if kind == "decision_tree":
        return DecisionTreeClassifier(random_state=seed).fit(x, y)
    return LogisticRegression(max_iter=1000, class_weight="balanced", random_state=seed).fit(x, y)


def score(model, x, y, metric="f1"):
    from sklearn.metrics import accuracy_score, f1_score

    pred = model.predict(x)
    return f1_score(y, pred) if metric == "f1" else accuracy_score(y, pred)


def train_columns(train_rows):
    return list(dict.fromkeys(e for _, e, _ in train_rows))  # the train's events in order of first appearance


@pytest.fixture(scope="module")
def scenario():
    """Train: normal blocks and 'reset' anomalies. Holdout: also 'eof' anomalies, an event the train logs never
    show. Synthetic: labelled blocks with 'eof' anomalies (they teach the model the 'unseen' column)."""
    train = logs(1, 40, reset=5)
    holdout = logs(2, 30, reset=5, eof=5)
    synthetic = logs(3, 10, eof=10)
    return train, holdout, synthetic


def test_delta_downstream_equals_the_reference(scenario):
    train, holdout, synthetic = scenario
    inputs = inputs_of(train, holdout, synthetic)
    res = run("logs.delta_downstream", inputs)
    cols = train_columns(train)
    assert "eof" not in cols
    x_tr, y_tr = reference_xy(train, cols)
    x_te, y_te = reference_xy(holdout, cols)
    x_sy, y_sy = reference_xy(synthetic, cols)
    deltas = []
    for row, seed in zip(res.breakdown, (0, 1, 2)):
        m_real = score(reference_model("lr", seed, x_tr, y_tr), x_te, y_te)
        m_aug = score(reference_model("lr", seed, np.vstack([x_tr, x_sy]), np.concatenate([y_tr, y_sy])), x_te, y_te)
        assert row["seed"] == seed
        assert row["m_real"] == pytest.approx(m_real, abs=1e-12) and row["m_augmented"] == pytest.approx(m_aug)
        deltas.append(m_aug - m_real)
    assert res.value == pytest.approx(np.mean(deltas), abs=1e-12)
    assert res.value > 0.2  # the synthetic 'eof' blocks teach what the train logs lack
    assert res.secondary["variance"] == pytest.approx(np.var(deltas, ddof=1), abs=1e-12)
    assert res.notes["events"] == len(cols)
    assert res.notes["sessions"]["holdout"] == {"sessions": 40, "anomalous_sessions": 10, "messages": len(holdout),
                                                "messages_without_session": 0, "unlabelled_sessions": 0,
                                                "unseen_messages": 5}
    assert "LogisticRegression(max_iter=1000, class_weight='balanced'" in res.notes["learner"]


def test_delta_downstream_decision_tree_and_accuracy(scenario):
    train, holdout, synthetic = scenario
    inputs = inputs_of(train, holdout, synthetic, seed=7)
    res = run("logs.delta_downstream", inputs, learner="decision_tree", task_metric="accuracy", seeds=2)
    cols = train_columns(train)
    (x_tr, y_tr), (x_te, y_te), (x_sy, y_sy) = (reference_xy(r, cols) for r in (train, holdout, synthetic))
    expected = []
    for seed in (7, 8):
        base = score(reference_model("decision_tree", seed, x_tr, y_tr), x_te, y_te, "accuracy")
        aug = score(reference_model("decision_tree", seed, np.vstack([x_tr, x_sy]), np.concatenate([y_tr, y_sy])),
                    x_te, y_te, "accuracy")
        expected.append(aug - base)
    assert [r["seed"] for r in res.breakdown] == [7, 8]
    assert res.value == pytest.approx(np.mean(expected), abs=1e-12)
    assert "DecisionTreeClassifier" in res.notes["learner"]


def test_delta_downstream_with_drain3(scenario):
    """Drain3 (the default parser) finds the generator's events on these logs: the same value as the reference."""
    train, holdout, synthetic = scenario
    res = run("logs.delta_downstream", inputs_of(train, holdout, synthetic, parser="drain3"), seeds=1)
    cols = train_columns(train)
    (x_tr, y_tr), (x_te, y_te), (x_sy, y_sy) = (reference_xy(r, cols) for r in (train, holdout, synthetic))
    m_real = score(reference_model("lr", 0, x_tr, y_tr), x_te, y_te)
    m_aug = score(reference_model("lr", 0, np.vstack([x_tr, x_sy]), np.concatenate([y_tr, y_sy])), x_te, y_te)
    assert res.notes["events"] == len(cols) and res.notes["parser"].startswith("drain3")
    assert res.value == pytest.approx(m_aug - m_real, abs=1e-12)


def test_anonymization_delta_swap_at_eval_and_retrain():
    train = logs(11, 40, reset=6)
    holdout = logs(12, 30, reset=8)
    # anonymised holdout: IPs masked (still the same events) and the exception text redacted (no train template
    # matches it any more: the 'reset' messages become 'unseen')
    anon = [(m.replace("java.io.IOException: Connection reset by peer", "[REDACTED]"), None if e == "reset" else e, lab)
            for m, e, lab in holdout]
    anon = [(" ".join("<IP>" if t.startswith("10.250.") else t for t in m.split()), e, lab) for m, e, lab in anon]
    inputs = inputs_of(train, holdout, anon)
    res = run("logs.anonymization_delta", inputs)
    cols = train_columns(train)
    x_tr, y_tr = reference_xy(train, cols)
    g = reference_model("lr", 0, x_tr, y_tr)
    m_orig = score(g, *reference_xy(holdout, cols))
    m_anon = score(g, *reference_xy(anon, cols))
    assert res.value == pytest.approx(m_orig - m_anon, abs=1e-12)
    assert res.secondary == pytest.approx({"m_original": m_orig, "m_anonymized": m_anon})
    assert res.value > 0.5  # the redaction hides the anomalies from g
    # retrain: g' trained on the synthetic logs (here: the anonymised train logs), both evaluated on the holdout
    anon_train = [(m.replace("java.io.IOException: Connection reset by peer", "[REDACTED]"),
                   None if e == "reset" else e, lab) for m, e, lab in train]
    res = run("logs.anonymization_delta", inputs_of(train, holdout, anon_train), setting="retrain_on_anonymized")
    g2 = reference_model("lr", 0, *reference_xy(anon_train, cols))
    x_te, y_te = reference_xy(holdout, cols)
    assert res.value == pytest.approx(score(g, x_te, y_te) - score(g2, x_te, y_te), abs=1e-12)
    with pytest.raises(ValueError, match="setting"):
        run("logs.anonymization_delta", inputs, setting="both")


# -- sessions and labels -------------------------------------------------------------------------------------------
def test_message_labels():
    for v in (1, 1.0, True, "1", "true", "TRUE", "Anomaly", "anomalous", " abnormal "):
        assert message_label(v) == 1, v
    for v in (0, 0.0, False, "0", "false", "Normal", "-"):
        assert message_label(v) == 0, v
    for v in (None, float("nan"), "", "  "):
        assert message_label(v) is None
    assert message_label("KERNDTLB", "bgl") == 1 and message_label("-", "bgl") == 0
    with pytest.raises(InputError) as err:
        message_label("KERNDTLB", file="train", row=17, field_name="Label")
    assert "row 17" in str(err.value) and "'Label'" in str(err.value) and "bgl" in str(err.value)
    with pytest.raises(InputError):
        message_label(2)


def test_build_sessions_hand_fixture():
    msgs = ["Receiving block blk_1 src: a", "BLOCK* ask 10.0.0.1 to replicate blk_1 to blk_-2",
            "Starting DataNode on port 50010", "Verification succeeded for blk_-2", "transfer blk_3", "job 5 done",
            "日本語 blk_1"]
    sessions = [None, None, None, None, None, "job-5", ""]
    labels = ["0", "0", "1", "Anomaly", None, "normal", "-"]
    events = np.array([0, 1, 0, 2, 3, 3, 2])  # 3 = 'unseen' in a 3-event vocabulary
    data = build_sessions(range(7), msgs, sessions, labels, events, 4)
    # blk_1: messages 0, 1, 6 (events 0, 1, 2) normal; blk_-2: messages 1 (loglizer: every block a message names)
    # and 3 (event 2) -> anomalous; message 2: no session (left out, its label too); blk_3: no labelled message
    # (left out); job-5: the session field wins; an empty session value falls back to the block id
    assert data.ids == ["blk_1", "blk_-2", "job-5"]
    assert data.counts.tolist() == [[1, 1, 1, 0], [0, 1, 1, 0], [0, 0, 0, 1]]
    assert data.labels.tolist() == [0, 1, 0]
    assert data.no_session == 1 and data.unlabelled_sessions == 1 and data.unseen_messages == 2
    with pytest.raises(InputError, match="row 4"):
        build_sessions(range(7), msgs, sessions, ["0", "0", "0", "0", "maybe", "0", "0"], events, 4, file="train",
                       label_field="Label")


def test_bad_label_in_the_logs_names_the_record(scenario):
    train, holdout, synthetic = scenario
    bad = list(train)
    bad[3] = (bad[3][0], bad[3][1], "suspicious")
    inputs = prepare_logs(synthetic=frame(synthetic), train=frame(bad), holdout=frame(holdout),
                          fields={"label": "Label"}, parser="templates", templates=TEMPLATES)
    with pytest.raises(InputError) as err:
        run("logs.delta_downstream", inputs)
    assert "train" in str(err.value) and "row 3" in str(err.value) and "suspicious" in str(err.value)


def test_undefined_and_not_applicable(scenario):
    train, holdout, synthetic = scenario
    normal_only = [r for r in holdout if r[2] == 0]
    res = run("logs.delta_downstream", inputs_of(train, normal_only, synthetic))
    assert res.value is None and "no anomalous session" in res.notes["undefined"]
    # accuracy stays defined: compare with the reference
    res = run("logs.delta_downstream", inputs_of(train, normal_only, synthetic), task_metric="accuracy", seeds=1)
    cols = train_columns(train)
    (x_tr, y_tr), (x_te, y_te), (x_sy, y_sy) = (reference_xy(r, cols) for r in (train, normal_only, synthetic))
    expected = score(reference_model("lr", 0, np.vstack([x_tr, x_sy]), np.concatenate([y_tr, y_sy])), x_te, y_te,
                     "accuracy") - score(reference_model("lr", 0, x_tr, y_tr), x_te, y_te, "accuracy")
    assert res.value == pytest.approx(expected, abs=1e-12) and res.secondary["variance"] is None
    # one class in the training data: the model predicts it (F1 0 on the holdout's anomalies)
    res = run("logs.delta_downstream", inputs_of([r for r in train if r[2] == 0], holdout, synthetic), seeds=1)
    assert res.breakdown[0]["m_real"] == 0.0
    spec = get("logs.delta_downstream").spec
    no_labels = prepare_logs(synthetic=frame(synthetic, label=False), train=frame(train), holdout=frame(holdout))
    assert "--label-field" in spec.applies(no_labels)
    no_train = prepare_logs(synthetic=frame(synthetic), holdout=frame(holdout), fields={"label": "Label"})
    assert "--train" in spec.applies(no_train)
    with pytest.raises(ValueError, match="learner"):
        run("logs.delta_downstream", inputs_of(train, holdout, synthetic), learner="svm")
    with pytest.raises(ValueError, match="seeds"):
        run("logs.delta_downstream", inputs_of(train, holdout, synthetic), seeds=0)
