"""Dialogue corpora (survey sections 2.2-2.3): one record per dialogue, its turns a list of {role, content}.

Files are read with :func:`synthaudit.data.text.load_corpus` (JSON Lines, JSON, CSV with JSON-encoded
turns, Parquet). A turn's role and content may be spelled ``role``/``speaker``/``from`` and
``content``/``utterance``/``text``/``value`` (OpenAI ``messages``, SGD ``turns``, ShareGPT
``conversations``). Roles are mapped to ``user`` and ``assistant`` (case-insensitively). With the default
roles, a ``system`` turn in a dialogue that also has ``assistant`` turns is an OpenAI-style system prompt:
it stays in the context but is never scored as a response.

Malformed data (turns that are not a list, a turn that is not an object or has no content, an unknown
role) raise one :class:`InputError` naming the file, record and field; a missing or empty dialogue is
counted and reported, and every metric leaves it out.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator, Sequence

import pandas as pd

from synthaudit.data.files import is_missing
from synthaudit.data import files
from synthaudit.data.inputs import AuditInputs
from synthaudit.data.tabular import Table
from synthaudit.data.text import load_corpus
from synthaudit.errors import InputError

#: fields that hold the turns, tried in this order when ``turns_field`` is not given
TURN_FIELDS = ("turns", "messages", "conversation", "conversations")
#: spellings of a turn's role and content keys, tried in this order
ROLE_KEYS = ("role", "speaker", "from")
CONTENT_KEYS = ("content", "utterance", "text", "value")
DEFAULT_USER_ROLES = ("user", "human", "USER")
DEFAULT_ASSISTANT_ROLES = ("assistant", "system", "bot", "gpt", "SYSTEM")
#: optional per-dialogue fields: the input role each provides and its CLI flag
FIELD_ROLES = (("references", "--reference-field"), ("evidence", "--evidence-field"),
               ("human_scores", "--human-field"))
#: how a context is rendered for the models: one "role: content" line per turn
CONTEXT_FORMAT = "one 'role: content' line per preceding turn (roles normalised to user/assistant/system)"


@dataclass(frozen=True)
class Turn:
    role: str  # "user", "assistant" or "system" (a system prompt)
    content: str


@dataclass
class Dialogue:
    """One record: its 1-based record number, turns and the optional per-dialogue fields."""

    record: int
    turns: list[Turn]
    references: list[str | None] | None = None  # aligned with the assistant turns
    evidence: list[str] | None = None  # document / knowledge snippets for the whole dialogue
    human: list[float | None] | None = None  # aligned with the assistant turns

    @property
    def assistant_turns(self) -> list[int]:
        return [i for i, t in enumerate(self.turns) if t.role == "assistant"]


@dataclass(frozen=True)
class ResponsePair:
    """An assistant turn with what came before it (for context-based metrics)."""

    record: int  # 1-based record number of the dialogue
    turn: int  # 0-based position of the response among the dialogue's turns
    index: int  # 0-based position among the dialogue's assistant turns
    context: str  # the preceding turns rendered per CONTEXT_FORMAT ("" when there are none)
    response: str
    reference: str | None = None
    evidence: tuple[str, ...] | None = None
    human: float | None = None


@dataclass
class DialogueStats:
    """Counts of one pass over a corpus (reported in the results' notes)."""

    records: int = 0
    missing: int = 0  # records whose turns field is null or absent
    empty: int = 0  # records with an empty list of turns
    user_turns: int = 0
    assistant_turns: int = 0
    system_prompts: int = 0
    empty_turns: int = 0  # turns whose content is an empty string

    def add(self, other: "DialogueStats") -> "DialogueStats":
        for k in self.__dataclass_fields__:
            setattr(self, k, getattr(self, k) + getattr(other, k))
        return self

    def as_notes(self) -> dict[str, int]:
        return {k: v for k, v in self.__dict__.items() if v or k in ("records", "user_turns", "assistant_turns")}


@dataclass(frozen=True)
class RoleMap:
    """Raw role names (case-folded) mapped to user / assistant."""

    user: tuple[str, ...] = DEFAULT_USER_ROLES
    assistant: tuple[str, ...] = DEFAULT_ASSISTANT_ROLES
    system_prompts: bool = True  # 'system' beside 'assistant' turns is a system prompt (default roles only)
    role_field: str | None = None
    content_field: str | None = None
    _lookup: dict[str, str] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        lookup = {r.casefold(): "assistant" for r in self.assistant}
        clash = sorted({r.casefold() for r in self.user} & set(lookup))
        if clash:
            raise InputError(f"role(s) {', '.join(clash)} are listed as both user and assistant roles",
                             field="--user-roles")
        lookup.update({r.casefold(): "user" for r in self.user})
        object.__setattr__(self, "_lookup", lookup)

    def lookup(self, role: Any) -> str | None:
        return self._lookup.get(str(role).casefold())

    def describe(self) -> dict[str, Any]:
        return {"user": list(self.user), "assistant": list(self.assistant),
                "system_prompts": "a 'system' turn beside 'assistant' turns is a system prompt (context only)"
                if self.system_prompts else "off"}


def _as_roles(value: Sequence[str] | str | None, default: tuple[str, ...]) -> tuple[str, ...]:
    if value is None:
        return default
    items = value.split(",") if isinstance(value, str) else list(value)
    out = tuple(str(v).strip() for v in items if str(v).strip())
    if not out:
        raise InputError("needs at least one role name", field="--user-roles / --assistant-roles")
    return out


def make_role_map(user_roles=None, assistant_roles=None, role_field=None, content_field=None) -> RoleMap:
    return RoleMap(_as_roles(user_roles, DEFAULT_USER_ROLES), _as_roles(assistant_roles, DEFAULT_ASSISTANT_ROLES),
                   system_prompts=user_roles is None and assistant_roles is None, role_field=role_field,
                   content_field=content_field)


# -- parsing ---------------------------------------------------------------------------------------

def _decode(value: Any, where: "_Where") -> Any:
    """Lists come back as JSON text from the readers (nested values are flattened, CSV cells hold JSON text);
    undo that. Text that is not JSON stays text; JSON nested too deeply or holding a lone surrogate escape is
    refused as the file readers refuse it."""
    if hasattr(value, "tolist") and not isinstance(value, str):  # numpy arrays from Parquet
        value = value.tolist()
    if isinstance(value, str) and value.strip()[:1] in ("[", "{", '"'):
        try:
            return files.loads_json(value)
        except files.JSONTextError as exc:
            if exc.colno is not None:  # not JSON: a text
                return value
            raise where.error(f"the JSON text {exc.reason}") from None
    return value


class _Where:
    """Builds the InputError for one record and field."""

    def __init__(self, label: str, record: int, fld: str) -> None:
        self.label, self.record, self.field = label, record, fld

    def error(self, message: str, hint: str | None = None) -> InputError:
        return InputError(f"record {self.record}: {message}", file=self.label, field=self.field, hint=hint)


def _pick(turn: dict, explicit: str | None, keys: tuple[str, ...]) -> tuple[str | None, Any]:
    if explicit is not None:
        return (explicit, turn[explicit]) if explicit in turn else (None, None)
    for k in keys:
        if k in turn:
            return k, turn[k]
    return None, None


def parse_turns(value: Any, roles: RoleMap, where: _Where) -> list[Turn] | None:
    """The turns of one record (None when the field is missing); raises InputError when malformed."""
    if is_missing(value):
        return None
    value = _decode(value, where)
    if not isinstance(value, list):
        shown = value if not isinstance(value, str) else (value[:40] + "..." if len(value) > 40 else value)
        raise where.error(f"the turns are a {type(value).__name__} ({shown!r}), expected a list of "
                          "{role, content} objects", hint="CSV cells must hold the turns as JSON text")
    parsed: list[tuple[str, str, str]] = []  # (case-folded raw role, mapped role, content)
    for k, turn in enumerate(value, start=1):
        if not isinstance(turn, dict):
            raise where.error(f"turn {k} is a {type(turn).__name__}, expected an object with a role and a content")
        rkey, role = _pick(turn, roles.role_field, ROLE_KEYS)
        ckey, content = _pick(turn, roles.content_field, CONTENT_KEYS)
        keys = ", ".join(map(str, turn)) or "none"
        if rkey is None or is_missing(role):
            wanted = roles.role_field or "/".join(ROLE_KEYS)
            raise where.error(f"turn {k} has no role (expected a key {wanted}; keys: {keys})",
                              hint="name the key with --role-field")
        if ckey is None or is_missing(content):
            wanted = roles.content_field or "/".join(CONTENT_KEYS)
            raise where.error(f"turn {k} has no content (expected a key {wanted}; keys: {keys})",
                              hint="name the key with --content-field")
        if not isinstance(content, str):
            raise where.error(f"turn {k}: the content is a {type(content).__name__}, expected text")
        mapped = roles.lookup(role)
        if mapped is None:
            raise where.error(f"turn {k} has the unknown role {role!r} (user roles: {', '.join(roles.user)}; "
                              f"assistant roles: {', '.join(roles.assistant)})",
                              hint="map it with --user-roles or --assistant-roles")
        parsed.append((str(role).casefold(), mapped, content))
    has_assistant = any(raw == "assistant" for raw, _, _ in parsed)
    return [Turn("system" if roles.system_prompts and raw == "system" and has_assistant else mapped, content)
            for raw, mapped, content in parsed]


def _strings(value: Any, where: _Where, what: str) -> list[str | None]:
    value = _decode(value, where)
    items = value if isinstance(value, list) else [value]
    for v in items:
        if not (v is None or isinstance(v, str)):
            raise where.error(f"{what} must be text or a list of texts, found a {type(v).__name__}")
    return list(items)


def _numbers(value: Any, where: _Where) -> list[float | None]:
    value = _decode(value, where)
    items = value if isinstance(value, list) else [value]
    out: list[float | None] = []
    for v in items:
        if is_missing(v):
            out.append(None)
            continue
        try:
            if isinstance(v, bool):
                raise ValueError
            out.append(float(v))
        except (TypeError, ValueError):
            raise where.error(f"human score {v!r} is not a number") from None
    return out


def _align(values: list, n_assistant: int, where: _Where, what: str) -> list:
    """One value: the last assistant turn's; a list: one per assistant turn."""
    if len(values) == 1:
        return [None] * (n_assistant - 1) + values if n_assistant else []
    if len(values) != n_assistant:
        raise where.error(f"has {len(values)} {what} for {n_assistant} assistant turn(s); give one value (for "
                          f"the last assistant turn) or one per assistant turn")
    return values


def parse_record(row: dict, record: int, label: str, spec: dict) -> tuple[Dialogue | None, DialogueStats]:
    """One record as a :class:`Dialogue` (None when its turns are missing) and its counts."""
    stats = DialogueStats(records=1)
    roles: RoleMap = spec["roles"]
    turns = parse_turns(row.get(spec["turns_field"]), roles, _Where(label, record, spec["turns_field"]))
    if turns is None:
        stats.missing += 1
        return None, stats
    if not turns:
        stats.empty += 1
    dlg = Dialogue(record, turns)
    n_asst = len(dlg.assistant_turns)
    stats.user_turns = sum(t.role == "user" for t in turns)
    stats.assistant_turns = n_asst
    stats.system_prompts = sum(t.role == "system" for t in turns)
    stats.empty_turns = sum(not t.content for t in turns)
    if spec.get("references") and not is_missing(row.get(spec["references"])):
        w = _Where(label, record, spec["references"])
        dlg.references = _align(_strings(row[spec["references"]], w, "a reference"), n_asst, w, "references")
    if spec.get("evidence") and not is_missing(row.get(spec["evidence"])):
        w = _Where(label, record, spec["evidence"])
        dlg.evidence = [s for s in _strings(row[spec["evidence"]], w, "evidence") if s]
    if spec.get("human_scores") and not is_missing(row.get(spec["human_scores"])):
        w = _Where(label, record, spec["human_scores"])
        dlg.human = _align(_numbers(row[spec["human_scores"]], w), n_asst, w, "human scores")
    return dlg, stats


def parse_batch(batch: pd.DataFrame, spec: dict, label: str, offset: int = 0) -> tuple[list[Dialogue | None],
                                                                                       DialogueStats]:
    """Every record of a batch (None for a missing dialogue) and the batch's counts; ``offset`` is the
    number of records before the batch (record numbers are 1-based)."""
    stats = DialogueStats()
    out: list[Dialogue | None] = []
    cols = [c for c in (spec["turns_field"], spec.get("references"), spec.get("evidence"), spec.get("human_scores"))
            if c and c in batch.columns]
    rows = batch[cols].to_dict("records") if cols else [{} for _ in range(len(batch))]
    for i, row in enumerate(rows):
        dlg, s = parse_record(row, offset + i + 1, label, spec)
        out.append(dlg)
        stats.add(s)
    return out, stats


def spec_of(inputs: AuditInputs, role: str = "synthetic") -> dict:
    """The parsing settings ``prepare_dialogue`` stored for one table (``inputs.extra["dialogue"]``)."""
    return inputs.extra["dialogue"][role]


def iter_dialogues(inputs: AuditInputs, role: str = "synthetic",
                   batch_size: int | None = None) -> Iterator[tuple[list[Dialogue | None], DialogueStats]]:
    """The parsed batches of one table."""
    label, offset = inputs.tables[role].label, 0
    for batch in inputs.batches(role, batch_size):
        yield parse_batch(batch, spec_of(inputs, role), label, offset)
        offset += len(batch)


# -- (context, response) pairs ----------------------------------------------------------------------
def render(turns: Iterable[Turn]) -> str:
    return "\n".join(f"{t.role}: {t.content}" for t in turns)


def response_pairs(dialogues: Iterable[Dialogue | None], *, context_turns: int = 0, which: str = "all",
                   with_context: bool = True) -> list[ResponsePair]:
    """One pair per assistant turn: the preceding turns (the last ``context_turns``, 0 = all) rendered as
    "role: content" lines. ``which``: "all" assistant turns or only the "last" of each dialogue;
    ``with_context``: skip assistant turns that open the dialogue (nothing before them)."""
    if which not in ("all", "last"):
        raise ValueError(f"responses must be 'all' or 'last', got {which!r}")
    if int(context_turns) < 0:
        raise ValueError(f"context_turns must be >= 0 (0 = all preceding turns), got {context_turns!r}")
    out = []
    for dlg in dialogues:
        if dlg is None:
            continue
        positions = dlg.assistant_turns
        chosen = positions[-1:] if which == "last" else positions
        for pos in chosen:
            k = positions.index(pos)
            if with_context and pos == 0:
                continue
            before = dlg.turns[:pos]
            if context_turns:
                before = before[-int(context_turns):]
            out.append(ResponsePair(
                record=dlg.record, turn=pos, index=k, context=render(before), response=dlg.turns[pos].content,
                reference=dlg.references[k] if dlg.references else None,
                evidence=tuple(dlg.evidence) if dlg.evidence else None,
                human=dlg.human[k] if dlg.human else None))
    return out


def exchanges(dlg: Dialogue) -> list[tuple[list[int], int]]:
    """(user turn positions, assistant turn position) pairs at the same turn: each assistant turn with the
    user turns since the previous assistant turn (none for an opener or a second consecutive reply)."""
    out, pending = [], []
    for i, t in enumerate(dlg.turns):
        if t.role == "user":
            pending.append(i)
        elif t.role == "assistant":
            out.append((pending, i))
            pending = []
    return out


# -- preparation -------------------------------------------------------------------------------------
def _as_table(obj: Any, label: str, fmt: str | None, encoding: str, stream: bool) -> Table:
    if isinstance(obj, (list, tuple)) and obj and all(isinstance(r, dict) for r in obj):
        obj = pd.DataFrame.from_records(list(obj))
    return load_corpus(obj, label, fmt=fmt, encoding=encoding, stream=stream)


def _turns_field(cols: list[str], chosen: str | None, label: str) -> str:
    if chosen is not None:
        if chosen not in cols:
            raise InputError(f"has no field {chosen!r}; fields: {', '.join(cols[:12])}", file=label,
                             field="--turns-field")
        return chosen
    for name in TURN_FIELDS:
        if name in cols:
            return name
    raise InputError(f"cannot tell which field holds the turns (tried {', '.join(TURN_FIELDS)}); fields: "
                     f"{', '.join(cols[:12])}", file=label, field="--turns-field", hint="pass --turns-field NAME")


def _check(table: Table, spec: dict) -> DialogueStats:
    """Parse the whole table (its first rows when streamed) so that malformed records fail early."""
    head = table.frame() if table.materialized else table.head()
    _, stats = parse_batch(head, spec, table.label)
    return stats


def prepare_dialogue(*, synthetic: Any, real: Any = None, turns_field: str | None = None,
                     role_field: str | None = None, content_field: str | None = None,
                     user_roles: Sequence[str] | str | None = None, assistant_roles: Sequence[str] | str | None = None,
                     reference_field: str | None = None, evidence_field: str | None = None,
                     human_field: str | None = None, seed: int = 0, params: dict | None = None,
                     stream: bool = False, fmt: str | None = None, encoding: str = "utf-8") -> AuditInputs:
    """Load dialogue corpora for an audit (modality "dialogue").

    ``synthetic`` / ``real``: a file, a DataFrame or a list of record dicts; one record per dialogue.
    ``turns_field`` defaults to the first of TURN_FIELDS present; ``role_field`` / ``content_field`` name a
    turn's keys (default: the first of ROLE_KEYS / CONTENT_KEYS present); ``user_roles`` /
    ``assistant_roles`` list the raw role names (comma-separated text or a list). Per-dialogue fields:
    ``reference_field`` (reference reply: one text for the last assistant turn, or one per assistant
    turn), ``evidence_field`` (the grounding document: a text or a list of snippets) and ``human_field``
    (human overall ratings, aligned like references). The synthetic records are checked in full when
    loaded (the first 10,000 when streamed)."""
    if synthetic is None:
        raise InputError("no synthetic data given", field="--synthetic")
    tables = {"synthetic": _as_table(synthetic, "synthetic", fmt, encoding, stream)}
    if real is not None:
        tables["real_reference"] = _as_table(real, "real", fmt, encoding, stream)
    roles = make_role_map(user_roles, assistant_roles, role_field, content_field)
    names = dict(zip((r for r, _ in FIELD_ROLES), (reference_field, evidence_field, human_field)))
    specs: dict[str, dict[str, Any]] = {}
    stats: dict[str, DialogueStats] = {}
    for role, table in tables.items():
        head = table.head()
        if table.materialized and len(head) == 0:
            raise InputError("has no records", file=table.label)
        cols = [str(c) for c in head.columns]
        spec: dict[str, Any] = {"roles": roles, "turns_field": _turns_field(cols, turns_field, table.label)}
        for r, flag in FIELD_ROLES:  # per-dialogue fields are read from the synthetic records only
            if role == "synthetic" and names[r] is not None and names[r] not in cols:
                raise InputError(f"has no field {names[r]!r}; fields: {', '.join(cols[:12])}", file=table.label,
                                 field=flag)
            spec[r] = names[r] if role == "synthetic" else None
        specs[role] = spec
        stats[role] = _check(table, spec)
    syn = stats["synthetic"]
    if syn.assistant_turns == 0:
        raise InputError("has no assistant turns: nothing to audit", file=tables["synthetic"].label,
                         field=specs["synthetic"]["turns_field"],
                         hint=f"assistant roles are {', '.join(roles.assistant)}; map yours with --assistant-roles")
    extra: dict[str, Any] = {"dialogue": specs, "turns_field": specs["synthetic"]["turns_field"],
                             "roles": roles.describe(), "dialogue_stats": {r: s.as_notes() for r, s in stats.items()},
                             "prompts": "user turns" if syn.user_turns else None}
    for r, _ in FIELD_ROLES:
        extra[r] = names[r]
    warnings = []
    for role, s in stats.items():
        label = tables[role].label
        if s.missing:
            warnings.append(f"{label}: {s.missing} record(s) have no turns (null or absent field); every dialogue "
                            "metric leaves them out")
        if s.empty:
            warnings.append(f"{label}: {s.empty} dialogue(s) are empty (no turns); every dialogue metric leaves "
                            "them out")
    return AuditInputs(modality="dialogue", tables=tables, seed=seed, params=dict(params or {}), extra=extra,
                       warnings=warnings)
