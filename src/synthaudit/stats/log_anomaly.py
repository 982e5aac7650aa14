"""The downstream log task of logs.delta_downstream and logs.anonymization_delta (survey sections 5.2, 5.3.3):
session-level anomaly detection on event-count vectors, as in loglizer (He et al. 2016, "Experience Report:
System Log Analysis for Anomaly Detection").

1. Events: the training logs' messages are parsed (:func:`synthaudit.data.log_templates.parse_logs`, the audit's
   parser); each distinct template is an event. Messages of other logs are matched against those templates (the
   most specific matching template wins, as ``--parser templates`` does); a message no training template matches
   counts in one extra column, ``unseen``.
2. Sessions: a message's session is its session field when given, else every distinct HDFS block id
   (``blk_-?\\d+``) in the message (loglizer's HDFS sessioniser adds a message to each block it names). A message
   with no session is left out and counted.
3. Labels: a session is anomalous (1) if any of its messages is labelled anomalous, normal (0) if all its
   labelled messages are normal; a session with no labelled message is left out and counted. Message labels:
   1/0, true/false, anomaly/normal (any case), '-' = normal (BGL); scheme 'bgl': '-' normal, any other value (an
   alert category) anomalous. Anything else raises an InputError naming the record.
4. Features: log(1 + count) of each event in the session.
5. Learner (named, seeded): ``logistic_regression`` = LogisticRegression(max_iter=1000, class_weight='balanced',
   random_state=seed) (default), or ``decision_tree`` = DecisionTreeClassifier(random_state=seed) (loglizer's
   DecisionTree: gini, no depth limit). Trained on one class only, the model predicts that class.
6. Task metric on the fixed test sessions: F1 of the anomalous class (undefined when the test set has no anomalous
   session) or accuracy.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from synthaudit.errors import InputError

BLOCK_ID = re.compile(r"blk_-?\d+")
LEARNERS = ("logistic_regression", "decision_tree")
TASK_METRICS = ("f1", "accuracy")
LABEL_SCHEMES = ("binary", "bgl")
NORMAL = frozenset({"0", "false", "normal", "-"})
ANOMALOUS = frozenset({"1", "true", "anomaly", "anomalous", "abnormal"})
LEARNER_TEXT = {
    "logistic_regression": "scikit-learn LogisticRegression(max_iter=1000, class_weight='balanced', "
                           "random_state=seed) on log(1 + event counts)",
    "decision_tree": "scikit-learn DecisionTreeClassifier(random_state=seed) (loglizer's DecisionTree: gini, no "
                     "depth limit) on log(1 + event counts)",
}


# -- labels ------------------------------------------------------------------------------------------------
def message_label(value: Any, scheme: str = "binary", *, file: str | None = None, row: int | None = None,
                  field_name: str | None = None) -> int | None:
    """1 (anomalous), 0 (normal) or None (no label) for one message's label value."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, (bool, np.bool_)):
        return int(bool(value))
    if isinstance(value, (int, float, np.integer, np.floating)):
        if float(value) in (0.0, 1.0):
            return int(float(value))
        text = str(value)
    else:
        text = str(value).strip()
        if not text:
            return None
        low = text.lower()
        if low in NORMAL:
            return 0
        if low in ANOMALOUS:
            return 1
        try:
            if float(low) in (0.0, 1.0):
                return int(float(low))
        except ValueError:
            pass
        if scheme == "bgl":
            return 1
    hint = ("BGL-style labels ('-' normal, an alert category otherwise): set the metric's label_scheme to 'bgl'"
            if scheme == "binary" else None)
    raise InputError(f"anomaly label {text!r} is not one of 1/0, true/false, anomaly/normal or '-' (normal)",
                     file=file, row=row, field=field_name, hint=hint)


# -- events ------------------------------------------------------------------------------------------------
@dataclass
class EventVocabulary:
    """The event templates fitted on the training messages."""

    templates: list[str]
    method: str
    known: dict[str, int] = field(default_factory=dict, repr=False)  # training message -> event

    @property
    def n_columns(self) -> int:
        """Events plus the ``unseen`` column."""
        return len(self.templates) + 1

    @property
    def unseen(self) -> int:
        return len(self.templates)

    def events(self, messages: Sequence[str | None]) -> np.ndarray:
        """The event of each message (``unseen`` when no training template matches; -1 for no message)."""
        from synthaudit.data.log_templates import ParserConfig, parse_logs

        out = np.full(len(messages), -1, dtype=np.int64)
        todo = []
        for i, m in enumerate(messages):
            if m is None:
                continue
            hit = self.known.get(m)
            if hit is None:
                todo.append(i)
            else:
                out[i] = hit
        if todo and self.templates:
            where = {t: j for j, t in enumerate(self.templates)}
            config = ParserConfig(method="templates", templates=tuple(self.templates))
            matched = parse_logs([messages[i] for i in todo], config).templates
            for i, t in zip(todo, matched):
                out[i] = where.get(t, self.unseen)
        elif todo:
            out[todo] = self.unseen
        return out


def fit_vocabulary(messages: Sequence[str | None], config: Any) -> EventVocabulary:
    """Parse the training messages with the audit's parser (a ``ParserConfig``); each distinct template (spaces
    collapsed) is an event, numbered in order of first appearance."""
    from synthaudit.data.log_templates import parse_logs

    parse = parse_logs(list(messages), config)
    index: dict[str, int] = {}
    known: dict[str, int] = {}
    for m, t in zip(messages, parse.templates):
        if m is None or t is None:
            continue
        known[m] = index.setdefault(" ".join(t.split()), len(index))
    return EventVocabulary(templates=list(index), method=parse.method, known=known)


# -- sessions ----------------------------------------------------------------------------------------------
@dataclass
class SessionData:
    """Event-count vectors of the labelled sessions of one log table."""

    ids: list[str]
    counts: np.ndarray  # (n_sessions, n_events + 1): counts of each event, last column 'unseen'
    labels: np.ndarray  # (n_sessions,) 0 normal / 1 anomalous
    n_messages: int = 0
    no_session: int = 0  # messages left out: no session field value and no block id
    unlabelled_sessions: int = 0  # sessions left out: no labelled message
    unseen_messages: int = 0  # messages matching no training template

    @property
    def features(self) -> np.ndarray:
        return np.log1p(self.counts)

    def describe(self) -> dict[str, int]:
        return {"sessions": len(self.ids), "anomalous_sessions": int(self.labels.sum()),
                "messages": self.n_messages, "messages_without_session": self.no_session,
                "unlabelled_sessions": self.unlabelled_sessions, "unseen_messages": self.unseen_messages}


def session_ids(session: str | None, content: str | None) -> list[str]:
    """The sessions of a message: its session value, else the distinct block ids in it (in order)."""
    if session is not None and str(session).strip():
        return [str(session)]
    return list(dict.fromkeys(BLOCK_ID.findall(content or "")))


def build_sessions(records: Sequence[int], contents: Sequence[str | None], sessions: Sequence[str | None],
                   labels: Sequence[Any], events: np.ndarray, n_columns: int, *, scheme: str = "binary",
                   file: str | None = None, label_field: str | None = None) -> SessionData:
    """Group messages into sessions; count events; label sessions (see the module docstring)."""
    order: dict[str, int] = {}
    rows: list[np.ndarray] = []
    lab: list[int | None] = []
    no_session = 0
    for rec, content, sess, value, ev in zip(records, contents, sessions, labels, events):
        label = message_label(value, scheme, file=file, row=int(rec), field_name=label_field)
        ids = session_ids(sess, content)
        if not ids:
            no_session += 1
            continue
        for s in ids:
            j = order.get(s)
            if j is None:
                j = order[s] = len(order)
                rows.append(np.zeros(n_columns))
                lab.append(None)
            if ev >= 0:
                rows[j][ev] += 1
            if label is not None:
                lab[j] = max(label, lab[j] or 0)
    keep = [j for j, v in enumerate(lab) if v is not None]
    ids = list(order)
    counts = np.vstack([rows[j] for j in keep]) if keep else np.zeros((0, n_columns))
    return SessionData(ids=[ids[j] for j in keep], counts=counts,
                       labels=np.array([lab[j] for j in keep], dtype=np.int64), n_messages=len(records),
                       no_session=no_session, unlabelled_sessions=len(lab) - len(keep),
                       unseen_messages=int(np.sum(np.asarray(events) == n_columns - 1)))


# -- learner and task metric -------------------------------------------------------------------------------
class ConstantModel:
    """The model of a training set with one class: predicts that class."""

    def __init__(self, label: int) -> None:
        self.label = int(label)

    def predict(self, x: np.ndarray) -> np.ndarray:
        return np.full(len(x), self.label, dtype=np.int64)


def make_learner(name: str, seed: int) -> Any:
    if name == "logistic_regression":
        from sklearn.linear_model import LogisticRegression

        return LogisticRegression(max_iter=1000, class_weight="balanced", random_state=seed)
    if name == "decision_tree":
        from sklearn.tree import DecisionTreeClassifier

        return DecisionTreeClassifier(random_state=seed)
    raise ValueError(f"unknown learner {name!r}; expected one of {', '.join(LEARNERS)}")


def fit(name: str, seed: int, *parts: SessionData) -> Any:
    """The learner trained on the sessions of ``parts`` stacked (None when there is no session)."""
    x = np.vstack([p.features for p in parts])
    y = np.concatenate([p.labels for p in parts])
    if len(y) == 0:
        return None
    if len(np.unique(y)) < 2:
        return ConstantModel(int(y[0]))
    return make_learner(name, seed).fit(x, y)


def task_score(model: Any, test: SessionData, metric: str) -> float | None:
    """F1 of the anomalous class or accuracy of ``model`` on the test sessions (None: undefined)."""
    from sklearn.metrics import accuracy_score, f1_score

    if model is None or len(test.labels) == 0:
        return None
    pred = model.predict(test.features)
    if metric == "accuracy":
        return float(accuracy_score(test.labels, pred))
    if metric == "f1":
        if test.labels.sum() == 0:
            return None
        return float(f1_score(test.labels, pred, pos_label=1, zero_division=0))
    raise ValueError(f"unknown task metric {metric!r}; expected one of {', '.join(TASK_METRICS)}")
