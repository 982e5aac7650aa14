"""JSON documents from a JSON Schema (survey section 5.2: schema-constrained decoding, validate-and-retry).

``from_schema`` asks the shared LLM client for one JSON document per slot that matches the schema:

* **constrained** decoding where the backend supports it: a local model with lm-format-enforcer installed
  (``LLMClient._constraint``) decodes token by token inside the schema (keys, types, enums, syntax), provided
  lm-format-enforcer can build a parser for the schema (:func:`synthaudit.models.llm.constraint_problem`; some
  schemas use keywords it cannot handle). Keywords it does not enforce (numeric bounds, ``pattern``, lengths)
  and answers cut off by ``max_tokens`` can still fail validation: those are retried like the rest;
* otherwise **validate-and-retry**: the schema is shown in the prompt, the answer parsed
  (:func:`synthaudit.verify.json_parse.parse`, policy ``fence`` by default) and validated
  (:mod:`synthaudit.verify.json_schema`: the draft from ``$schema``, default 2020-12; ``format`` is an
  annotation unless ``format_check``), and an invalid answer asked again (seed + attempt, a temperature of at
  least 0.7, and by default the validation error fed back) up to ``retries`` times. Remote endpoints are asked
  this way too (their own structured-output support cannot be verified from here, and the client's structured
  retries would drop the raw text of a failed answer).

Every slot is one record ``{id, method, schema (file name or sha256 prefix), output (the raw text of the last
attempt), status valid|invalid, attempts, constrained, errors ([{path, keyword, message}] of the last attempt),
retry_errors (the first error of each earlier attempt)}``; invalid records stay records (an audit counts them)
unless ``drop_invalid`` makes them rejects; endpoint failures are rejects (``llm_error``, retried on resume).
:func:`tally` sums attempts, retries and failures over a run.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Mapping

from synthaudit.errors import UsageError
from synthaudit.generate.text.base import Slot, slot_loop
from synthaudit.models.llm import Completion, LLMClient, constraint_problem, json_schema_format
from synthaudit.verify.json_parse import DEFAULT_POLICY, POLICIES, parse
from synthaudit.verify.json_schema import Compiled, validator_for, violations

PROMPT_VERSION = "1"
CONSTRAINED_MODES = ("auto", "on", "off")
SYSTEM = "You write realistic JSON documents. Answer with one JSON document only: no prose, no comments."
#: the client's message for a structured answer that failed validation (not an endpoint failure)
_STRUCTURED_FAILURE = "no answer matching the JSON schema"


@dataclass(frozen=True)
class SchemaSource:
    """A loaded JSON Schema, its compiled validator and the name records carry (file stem or sha256 prefix)."""

    schema: Any
    name: str
    source: str | None
    compiled: Compiled


def load_schema(value: Any, flag: str = "--schema", format_check: bool = False) -> SchemaSource:
    """A JSON Schema from a file (.json, .yaml) or a mapping, checked against its draft's meta-schema (an
    InputError naming the file and the schema path otherwise)."""
    from synthaudit.data.json_prepare import load_config

    if value is None:
        raise UsageError("a JSON Schema is needed", field=flag, hint="pass a .json or .yaml schema file")
    if isinstance(value, SchemaSource):
        return value
    schema, source = load_config(value, "the JSON Schema", flag)
    compiled = validator_for(schema, format_check=format_check, source=source or flag)
    if source is not None:
        name = Path(source).name.removesuffix(".json").removesuffix(".yaml").removesuffix(".yml")
        name = name.removesuffix(".schema")
    else:
        canon = json.dumps(schema, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        name = "sha256:" + hashlib.sha256(canon.encode("utf-8")).hexdigest()[:16]
    return SchemaSource(schema, name, source, compiled)


def check_document(text: str | None, compiled: Compiled, policy: str = DEFAULT_POLICY) -> tuple[Any, list[dict]]:
    """(parsed value, errors): no error when ``text`` parses under ``policy`` and validates. A parse failure is
    one error with keyword ``syntax`` at the root; violations carry their JSON Pointer and keyword."""
    parsed = parse(text, policy)
    if not parsed.ok:
        return None, [{"path": "", "keyword": "syntax", "message": parsed.error}]
    return parsed.value, [{"path": v.path, "keyword": v.keyword, "message": v.message[:300]}
                          for v in violations(compiled, parsed.value)]


def decide_constrained(client: Any, schema: Any, mode: str = "auto") -> tuple[bool, str | None]:
    """(constrained?, why not): ``auto`` constrains when the client is local and the schema is enforceable,
    ``on`` requires it (UsageError otherwise), ``off`` never."""
    if mode not in CONSTRAINED_MODES:
        raise UsageError(f"unknown mode {mode!r}; expected one of {', '.join(CONSTRAINED_MODES)}",
                         field="--constrained")
    if mode == "off":
        return False, "turned off (--constrained off)"
    if getattr(client, "remote", True):
        why = "the backend is a remote endpoint (answers are validated and retried here)"
    else:
        why = constraint_problem(schema)
    if why is not None and mode == "on":
        raise UsageError(f"schema-constrained decoding is not available: {why}", field="--constrained",
                         hint="use --constrained auto (validate-and-retry where it is not)")
    return why is None, why


def schema_prompt(schema: Any, limit: int = 3000) -> str:
    """The schema as shown in a prompt. An object schema is outlined property by property (``- key (required):
    subschema``, each subschema as compact JSON cut at 200 characters): a small model given the whole schema
    tends to copy it back. Any other schema is shown as compact JSON. At most ``limit`` characters."""
    if not isinstance(schema, dict) or not isinstance(schema.get("properties"), dict):
        return json.dumps(schema, separators=(",", ":"), ensure_ascii=False)[:limit]
    required = set(schema.get("required") or [])
    about = str(schema.get("title") or schema.get("description") or "")[:200]
    lines = [f"A JSON object{': ' + about if about else ''}",
             "with these properties:" if schema["properties"] else "with no listed property"]
    for key, sub in schema["properties"].items():
        shown = json.dumps(sub, separators=(",", ":"), ensure_ascii=False)
        lines.append(f"- {json.dumps(key, ensure_ascii=False)}{' (required)' if key in required else ''}: "
                     f"{shown if len(shown) <= 200 else shown[:197] + '...'}")
    if schema.get("additionalProperties") is False:
        lines.append("No other property is allowed.")
    text, out = "", []
    for line in lines:
        if len(text) + len(line) + 1 > limit:
            out.append("...")
            break
        out.append(line)
        text += line + "\n"
    return "\n".join(out)


def _summary(errors: list[dict]) -> str:
    e = errors[0]
    where = f" at {e['path']}" if e["path"] else ""
    return f"{e['keyword']}{where}: {e['message']}"


class FromSchema:
    """The slot loop of ``from_schema`` (see the module docstring)."""

    name = "from_schema"

    def __init__(self, client: LLMClient, seed: int = 0, *, schema: Any, retries: int = 2, constrained: str = "auto",
                 policy: str = DEFAULT_POLICY, instructions: str | None = None, feedback: bool = True,
                 format_check: bool = False, max_tokens: int = 256, temperature: float = 0.7, concurrency: int = 4,
                 batch: int = 8, drop_invalid: bool = False, schema_chars: int = 3000) -> None:
        if policy not in POLICIES:
            raise UsageError(f"unknown parse policy {policy!r}; expected one of {', '.join(POLICIES)}",
                             field="--policy")
        if int(retries) < 0:
            raise UsageError("must be 0 or more", field="--retries")
        self.client, self.seed = client, int(seed)
        self.spec = load_schema(schema, format_check=format_check)
        self.constrained, self.why_not = decide_constrained(client, self.spec.schema, constrained)
        self.retries, self.policy, self.feedback = int(retries), policy, bool(feedback)
        self.instructions = (instructions or "").strip()
        self.max_tokens, self.temperature = int(max_tokens), float(temperature)
        self.concurrency, self.batch, self.drop_invalid = int(concurrency), max(1, int(batch)), bool(drop_invalid)
        self.format = json_schema_format(self.spec.schema if isinstance(self.spec.schema, dict) else {},
                                         name="document") if self.constrained else None
        self.schema_chars = int(schema_chars)

    def messages(self) -> list[dict[str, str]]:
        """The first attempt's messages. Under constrained decoding the schema is enforced token by token and
        shown only as its outline (a short prompt: reading it is most of a small local model's CPU time)."""
        shown = schema_prompt(self.spec.schema, 600 if self.constrained else self.schema_chars)
        text = f"Write one realistic, varied JSON document (an instance, not a schema) for this JSON Schema:\n{shown}\n"
        if self.instructions:
            text += self.instructions + "\n"
        text += "Answer with the JSON document only."
        return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": text}]

    def request(self, slot: Slot, attempt: int, last: tuple[str, list[dict]] | None) -> dict:
        msgs = self.messages()
        if last is not None and self.feedback and not self.constrained:
            text, errors = last
            msgs += [{"role": "assistant", "content": text[:1500]},
                     {"role": "user", "content": f"That answer is not valid ({_summary(errors)[:300]}). Write the "
                                                 "corrected JSON document only."}]
        req: dict[str, Any] = {"messages": msgs, "max_tokens": self.max_tokens, "seed": slot.seed + attempt,
                               "temperature": self.temperature if attempt == 0 else max(self.temperature, 0.7)}
        if self.format is not None:
            req.update(response_format=self.format, json_retries=0)  # retries are counted here, not hidden
        return req

    def _raw_text(self, comp: Completion, req: dict) -> str | None:
        """The raw text of an answer (a rejected structured answer keeps its text: ``LLMError.text``); None when the
        request failed with no answer at all."""
        return comp.text if comp.text or comp.error is None else None

    def make(self, slots: list[Slot]) -> list[dict]:
        recs: dict[str, dict] = {}
        last: dict[str, tuple[str, list[dict]]] = {}
        for slot in slots:
            recs[slot.id] = {"id": slot.id, "method": self.name, "index": slot.index, "seed": self.seed,
                             "model": getattr(self.client, "model", None), "prompt_version": PROMPT_VERSION,
                             "schema": self.spec.name, "constrained": self.constrained, "output": None,
                             "status": None, "attempts": 0, "errors": [], "retry_errors": []}
        pending = list(slots)
        for attempt in range(self.retries + 1):
            if not pending:
                break
            reqs = [self.request(s, attempt, last.get(s.id)) for s in pending]
            comps = self.client.chat_many(reqs, concurrency=self.concurrency)
            again = []
            for slot, req, comp in zip(pending, reqs, comps):
                rec = recs[slot.id]
                rec["attempts"] = attempt + 1
                if comp.error is not None and not comp.error.startswith(_STRUCTURED_FAILURE):
                    rec.update(rejected=f"llm_error: {comp.error}", status=None)
                    continue
                text = self._raw_text(comp, req)
                if text is None:
                    value, errors = None, [{"path": "", "keyword": "syntax", "message": comp.error or "no text"}]
                else:
                    value, errors = check_document(text, self.spec.compiled, self.policy)
                if rec["errors"]:
                    rec["retry_errors"].append(_summary(rec["errors"]))
                rec.update(output=text, errors=errors, status="invalid" if errors else "valid")
                if errors and attempt < self.retries:
                    last[slot.id] = (text or "", errors)
                    again.append(slot)
            pending = again
        out = []
        for slot in slots:
            rec = recs[slot.id]
            if rec["status"] == "invalid" and self.drop_invalid and "rejected" not in rec:
                rec["rejected"] = f"invalid: {_summary(rec['errors'])[:200]}"
            out.append(rec)
        return out

    def run(self, n: int, done: Mapping[str, dict] | None = None, max_attempts: int | None = None) -> Iterator[dict]:
        done = done or {}
        for rec in done.values():
            if rec.get("schema") != self.spec.name:
                raise UsageError(f"holds documents of another schema ({rec.get('schema')!r}, not "
                                 f"{self.spec.name!r})", field="--out",
                                 hint="use the same --schema, another --out, or --no-resume")

        def batch(slots: list[Slot]) -> list[dict]:
            todo = [s for s in slots if s.id not in done]
            made = dict(zip((s.id for s in todo), self.make(todo))) if todo else {}
            return [done.get(s.id) or made[s.id] for s in slots]

        yield from slot_loop(self.name, self.seed, n, self.batch, batch, done, max_attempts)


def tally(records: Any) -> dict[str, int]:
    """A run's counts: records, valid, invalid, attempts (model answers), retries (answers after the first),
    records retried, records rejected, constrained records."""
    out = dict.fromkeys(("records", "valid", "invalid", "attempts", "retries", "retried", "rejected",
                         "constrained"), 0)
    for rec in records:
        if "rejected" in rec:
            out["rejected"] += 1
        else:
            out["records"] += 1
        if rec.get("status") in ("valid", "invalid"):
            out[rec["status"]] += 1
        attempts = int(rec.get("attempts") or 0)
        out["attempts"] += attempts
        out["retries"] += max(0, attempts - 1)
        out["retried"] += attempts > 1
        out["constrained"] += bool(rec.get("constrained"))
    return out


def from_schema(client: LLMClient, n: int, seed: int = 0, *, done: Mapping[str, dict] | None = None,
                max_attempts: int | None = None, **opts: Any) -> Iterator[dict]:
    """JSON documents from a schema, constrained or validated and retried (see :class:`FromSchema`)."""
    keep = {k: v for k, v in opts.items() if k in (
        "schema", "retries", "constrained", "policy", "instructions", "feedback", "format_check", "max_tokens",
        "temperature", "concurrency", "batch", "drop_invalid", "schema_chars")}
    if "schema" not in keep:
        raise UsageError("from_schema writes documents for a JSON Schema", field="--schema")
    return FromSchema(client, seed, **keep).run(n, done, max_attempts)


# -- flawed variants ---------------------------------------------------------------------------------------
#: the flaws ``mutate`` makes, in the order it tries them
MUTATIONS = ("type_change", "missing_required", "extra_property", "enum_violation", "broken_syntax")
#: the validation keyword each flaw should raise at its instance path (any keyword for a type change: inside
#: anyOf/oneOf it is reported as the applicator's failure)
_KEYWORDS = {"missing_required": ("required", "dependentRequired", "dependencies"),
             "extra_property": ("additionalProperties", "unevaluatedProperties"),
             "enum_violation": ("enum", "const")}
_TRIALS = 30  # candidate locations tried per flaw before it counts as not applicable to a document


def _walk(value: Any, parts: tuple = ()) -> Iterator[tuple[tuple, Any]]:
    """(path, value) of every location in a document, the root first, in document order."""
    yield parts, value
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _walk(v, parts + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _walk(v, parts + (i,))


def _replace(doc: Any, parts: tuple, new: Any) -> Any:
    """A deep copy of ``doc`` with the value at ``parts`` replaced (``parts`` empty: ``new`` itself)."""
    if not parts:
        return new
    out = json.loads(json.dumps(doc))
    node = out
    for p in parts[:-1]:
        node = node[p]
    node[parts[-1]] = new
    return out


def _other_type(value: Any) -> Any:
    """A value of another JSON type: string -> number, number -> string, boolean -> string, null -> number,
    array/object -> string."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return 12345
    if isinstance(value, (int, float)):
        return str(value)
    if value is None:
        return 0
    return "not-an-array" if isinstance(value, list) else "not-an-object"


def _locations(kind: str, doc: Any) -> list[tuple[tuple, Any]]:
    """(path of the flaw, the new value there) for every place ``kind`` can be applied to ``doc``."""
    out: list[tuple[tuple, Any]] = []
    for parts, value in _walk(doc):
        if kind == "type_change":
            out.append((parts, _other_type(value)))
        elif kind == "missing_required" and isinstance(value, dict):
            out.extend((parts, {k: v for k, v in value.items() if k != key}) for key in value)
        elif kind == "extra_property" and isinstance(value, dict):
            extra = next(name for name in (f"unexpected_field_{i}" if i else "unexpected_field"
                                           for i in range(len(value) + 1)) if name not in value)
            out.append((parts, {**value, extra: "unexpected"}))
        elif kind == "enum_violation" and isinstance(value, (str, int, float)) and not isinstance(value, bool):
            out.append((parts, f"{value}_not_allowed"))
    return out


def break_syntax(text: str, rng: Any) -> tuple[str, str]:
    """Text that no strict JSON parser accepts, and how it was broken: the last closing bracket dropped, a
    trailing comma before it, single-quoted strings, or the text cut in half."""
    ways = ["closing bracket removed", "trailing comma", "single quotes", "truncated"]
    if text.rstrip()[-1:] not in ("}", "]"):
        ways = ["single quotes", "truncated"] if '"' in text else ["truncated"]
    way = rng.choice(ways)
    stripped = text.rstrip()
    if way == "closing bracket removed":
        out = stripped[:-1]
    elif way == "trailing comma":
        out = stripped[:-1].rstrip() + ("," if stripped[:-1].rstrip()[-1:] not in ("{", "[", ",") else ", 1,") + \
            stripped[-1]
    elif way == "single quotes":
        out = text.replace('"', "'")
    else:
        out = text[:max(1, len(text) // 2)]
    if out.strip() in ("{}", "[]") or parse(out, "strict").ok:  # e.g. '[]' cut: make sure it does not parse
        out, way = text + " }", "closing bracket added"
    return out, way


class Mutate:
    """Flawed variants of valid documents (no model): each slot takes a source document (seeded choice) and, with
    probability ``share``, one flaw of ``kinds`` (taken in turn by slot, the next applicable one when a document
    does not allow it). With a schema the flaw is placed where the validator reports it at the flawed location
    (``checked`` true), so the record's ``path`` is the instance path an audit must find; without one it is
    placed at a seeded random location (unverified)."""

    name = "mutate"

    def __init__(self, seed: int = 0, *, real: Any, schema: Any = None, field: str | None = None,
                 kinds: Any = MUTATIONS, share: float = 1.0, policy: str = DEFAULT_POLICY,
                 format_check: bool = False) -> None:
        kinds = [k.strip() for k in kinds.split(",")] if isinstance(kinds, str) else list(kinds)
        bad = [k for k in kinds if k not in MUTATIONS]
        if bad or not kinds:
            raise UsageError(f"unknown flaw(s) {', '.join(bad) or '(none given)'}; expected some of "
                             f"{', '.join(MUTATIONS)}", field="--kinds")
        if not 0.0 <= float(share) <= 1.0:
            raise UsageError(f"must be between 0 and 1, got {share}", field="--share")
        self.seed, self.kinds, self.share, self.policy = int(seed), kinds, float(share), policy
        self.spec = load_schema(schema, format_check=format_check) if schema is not None else None
        self.docs, self.source = self._load(real, field)

    def _load(self, real: Any, field: str | None) -> tuple[list[Any], str]:
        """The valid documents of ``real`` (parsed under the policy; with a schema, only those it accepts)."""
        from synthaudit.data.json_docs import as_table, make_spec, parse_batch
        from synthaudit.errors import InputError

        if real is None:
            raise UsageError("mutate makes flawed variants of valid documents", field="--real",
                             hint="pass JSON Lines, a JSON array or a folder of .json files (e.g. from_schema output)")
        table = as_table(real, "real", doc_field=field)
        spec = make_spec(table, field=field)
        docs = []
        for item in parse_batch(table.frame(), spec):
            p = item.parse(self.policy)
            if p.ok and (self.spec is None or self.spec.compiled.is_valid(p.value)):
                docs.append(p.value)
        label = str(getattr(table, "path", None) or table.label)
        if not docs:
            what = "no document that parses" + (f" and validates against {self.spec.name}" if self.spec else "")
            raise InputError(f"has {what}", file=label, field="--real")
        return docs, label

    def _flaw(self, kind: str, doc: Any, text: str, rng: Any) -> tuple[str, str, str, bool] | None:
        """(output text, path, detail, checked) for one flaw, or None when ``doc`` does not allow it."""
        from synthaudit.verify.json_schema import pointer

        if kind == "broken_syntax":
            out, way = break_syntax(text, rng)
            return out, "", way, True
        places = _locations(kind, doc)
        rng.shuffle(places)
        if self.spec is None:  # no schema to check against: the first seeded place
            return (json.dumps(_replace(doc, places[0][0], places[0][1]), ensure_ascii=False), pointer(places[0][0]),
                    kind, False) if places else None
        validator = self.spec.compiled.validator
        for parts, new in places[:_TRIALS]:
            mutated, where = _replace(doc, parts, new), pointer(parts)
            for err in validator.iter_errors(mutated):  # lazily: the first error at the flawed location will do
                if pointer(err.absolute_path) == where and (kind not in _KEYWORDS or err.validator in _KEYWORDS[kind]):
                    return json.dumps(mutated, ensure_ascii=False), where, str(err.validator), True
        return None

    def make(self, slot: Slot) -> dict:
        rng = slot.rng
        src = rng.randrange(len(self.docs))
        doc = self.docs[src]
        text = json.dumps(doc, ensure_ascii=False)
        rec: dict[str, Any] = {"id": slot.id, "method": self.name, "index": slot.index, "seed": self.seed,
                               "model": None, "schema": self.spec.name if self.spec else None, "source": src,
                               "mutation": None, "path": None, "detail": None, "checked": False}
        if rng.random() < self.share:
            first = slot.index % len(self.kinds)
            for kind in self.kinds[first:] + self.kinds[:first]:
                got = self._flaw(kind, doc, text, rng)
                if got is not None:
                    text, path, detail, checked = got
                    rec.update(mutation=kind, path=path, detail=detail, checked=checked)
                    break
        rec["output"] = text
        if self.spec is not None:
            _, errors = check_document(text, self.spec.compiled, self.policy)
            rec.update(status="invalid" if errors else "valid", errors=errors)
        else:
            parsed = parse(text, self.policy)
            rec.update(status="unchecked" if parsed.ok else "invalid",
                       errors=[] if parsed.ok else [{"path": "", "keyword": "syntax", "message": parsed.error}])
        return rec

    def run(self, n: int, done: Mapping[str, dict] | None = None, max_attempts: int | None = None) -> Iterator[dict]:
        done = done or {}
        name = self.spec.name if self.spec else None
        for rec in done.values():
            if rec.get("schema") != name:
                raise UsageError(f"holds documents of another schema ({rec.get('schema')!r}, not {name!r})",
                                 field="--out", hint="use the same --schema, another --out, or --no-resume")
        yield from slot_loop(self.name, self.seed, n, 256, lambda slots: [done.get(s.id) or self.make(s)
                                                                          for s in slots], done, max_attempts)


def mutate(client: Any, n: int, seed: int = 0, *, done: Mapping[str, dict] | None = None,
           max_attempts: int | None = None, **opts: Any) -> Iterator[dict]:
    """Flawed variants of valid documents (see :class:`Mutate`); ``client`` is unused (no model)."""
    keep = {k: v for k, v in opts.items() if k in ("real", "schema", "field", "kinds", "share", "policy",
                                                   "format_check")}
    return Mutate(seed, **keep).run(n, done, max_attempts)
