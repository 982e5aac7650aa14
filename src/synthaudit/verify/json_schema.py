"""Compiled JSON Schema validators and their violations (survey section 5.2, CorrectnessRate).

:func:`validator_for` compiles a schema once and caches it (keyed by a hash of its canonical JSON dump and the
format setting): the JSON Schema draft comes from ``$schema`` (drafts 4, 6, 7, 2019-09 and 2020-12, as
``jsonschema`` knows them; no ``$schema``: Draft 2020-12; an unknown ``$schema``: Draft 2020-12, with a note in
:attr:`Compiled.note`). The schema is checked once against its draft's meta-schema (``check_schema``); a bad
schema raises :class:`~synthaudit.errors.InputError` naming the schema's file and the schema path of the problem.

``$ref`` is resolved inside the schema document (``#/definitions/...``, ``#/$defs/...``, ``$anchor``, relative to
``$id``) and against the drafts' own meta-schemas, offline: the registry is ``jsonschema_specifications``'s,
with no retrieval, so a reference to any other document is refused when the schema is compiled (an InputError
naming the ``$ref``), never fetched.

**Format keywords** (``"format": "date-time"``) are annotations only, as ``jsonschema.validate`` treats them,
unless ``format_check=True``: then the draft's ``FormatChecker`` checks them (the formats whose optional
libraries are installed).

:func:`violations` lists what is wrong with an instance: ``is_valid`` first (fast path), ``iter_errors`` only for
invalid instances; each :class:`Violation` gives the JSON Pointer of the instance location ("" = the root), the
keyword (``false`` where a subschema is the boolean ``false``), jsonschema's message, the offending value and the
schema path.
"""
from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Iterator

import jsonschema
import referencing
import referencing.exceptions
import referencing.jsonschema
from jsonschema import validators as _validators
from jsonschema_specifications import REGISTRY as _SPECIFICATIONS

from synthaudit.errors import InputError

DEFAULT_DRAFT = _validators.Draft202012Validator
DRAFT_NAMES = {
    _validators.Draft3Validator: "draft-03", _validators.Draft4Validator: "draft-04",
    _validators.Draft6Validator: "draft-06", _validators.Draft7Validator: "draft-07",
    _validators.Draft201909Validator: "2019-09", _validators.Draft202012Validator: "2020-12",
}
CACHE_SIZE = 256
#: keywords whose values are data, not subschemas: a "$ref" string under them is not a reference
_DATA_KEYWORDS = frozenset({"enum", "const", "default", "examples", "example"})


@dataclass(frozen=True)
class Violation:
    """One way an instance fails its schema. ``path``: JSON Pointer of the instance location ("" = root);
    ``schema_path``: jsonschema's ``absolute_schema_path`` as a pointer (the evaluation path: the keywords of a
    ``$ref``'d subschema follow the place of the ``$ref``); ``pattern``: ``path`` with array indices collapsed to
    ``[]`` (``/items/[]/name``), for aggregation."""

    path: str
    keyword: str
    message: str
    value: Any
    schema_path: str
    pattern: str = ""


@dataclass(frozen=True)
class Compiled:
    """A compiled schema: the jsonschema validator, its draft, and a note when the draft was a fallback."""

    validator: Any
    draft: str
    format_check: bool
    note: str | None = None

    def is_valid(self, instance: Any) -> bool:
        return self.validator.is_valid(instance)


def pointer(parts: Any) -> str:
    """RFC 6901 JSON Pointer of a sequence of keys/indices ("" for the root)."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def pattern(parts: Any) -> str:
    """The pointer with array indices (ints) collapsed to ``[]``: /items/3/name -> /items/[]/name."""
    return "".join("/[]" if isinstance(p, int) and not isinstance(p, bool) else
                   "/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def schema_key(schema: Any, format_check: bool = False) -> str:
    """The cache key of a schema: sha256 of its canonical JSON dump (sorted keys) and the format setting."""
    text = json.dumps(schema, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(f"{int(format_check)}|{text}".encode("utf-8")).hexdigest()


_CACHE: "OrderedDict[str, Compiled]" = OrderedDict()


def _where(source: str | None) -> str:
    return source or "the JSON Schema"


def draft_of(schema: Any) -> tuple[type, str | None]:
    """The validator class ``$schema`` names and a note when it fell back to the default draft."""
    if not isinstance(schema, dict) or "$schema" not in schema:
        return DEFAULT_DRAFT, None
    declared = schema["$schema"]
    cls = _validators.validator_for(schema, default=None) if isinstance(declared, str) else None
    if cls is None:
        return DEFAULT_DRAFT, f"$schema {declared!r} is not a draft jsonschema knows: validated as Draft 2020-12"
    return cls, None


def _refs(node: Any, parts: tuple = ()) -> Iterator[tuple[tuple, str]]:
    """(schema path, value) of every ``$ref`` string in a schema document (data keywords skipped)."""
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "$ref" and isinstance(v, str):
                yield parts + (k,), v
            elif k not in _DATA_KEYWORDS:
                yield from _refs(v, parts + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _refs(v, parts + (i,))


def _nested_ids(node: Any, root: bool = True) -> bool:
    """Whether a subschema below the root sets its own base URI ($id, or id before draft 6)."""
    if isinstance(node, dict):
        if not root and (isinstance(node.get("$id"), str) or isinstance(node.get("id"), str)):
            return True
        return any(_nested_ids(v, False) for k, v in node.items() if k not in _DATA_KEYWORDS)
    if isinstance(node, list):
        return any(_nested_ids(v, False) for v in node)
    return False


def _check_refs(schema: dict, cls: type, source: str | None) -> None:
    """Resolve every ``$ref`` once against the document and the meta-schemas (offline): an unresolvable one is a
    bad schema. Skipped when a subschema changes the base URI (resolution then depends on where the ref sits;
    validation still resolves it, and :func:`violations` reports a failure)."""
    refs = list(_refs(schema))
    if not refs or _nested_ids(schema):
        return
    spec = referencing.jsonschema.specification_with(
        dialect_id=cls.ID_OF(cls.META_SCHEMA) or "", default=referencing.Specification.OPAQUE)
    resolver = _SPECIFICATIONS.resolver_with_root(spec.create_resource(schema))
    for parts, ref in refs:
        try:
            resolver.lookup(ref)
        except referencing.exceptions.Unresolvable as exc:
            raise InputError(f"$ref {ref!r} at schema path {pointer(parts) or '/'} cannot be resolved inside the "
                             f"schema document ({type(exc).__name__}); other documents are never fetched",
                             file=_where(source), field="$ref",
                             hint="inline the referenced schema under $defs/definitions") from None


def compile_schema(schema: Any, *, format_check: bool = False, source: str | None = None) -> Compiled:
    """Compile without the cache (see :func:`validator_for`)."""
    if not isinstance(schema, (dict, bool)):
        raise InputError(f"a JSON Schema is an object (or true/false), got a JSON {type(schema).__name__}",
                         file=_where(source))
    cls, note = draft_of(schema)
    try:
        cls.check_schema(schema)
    except jsonschema.SchemaError as exc:
        at = pointer(exc.absolute_path) or "/ (the root)"
        raise InputError(f"not a valid {DRAFT_NAMES.get(cls, cls.__name__)} JSON Schema: at schema path {at}: "
                         f"{exc.message}", file=_where(source), field=pointer(exc.absolute_path) or "/",
                         hint=f"the meta-schema keyword that failed: {exc.validator}") from None
    if isinstance(schema, dict):
        _check_refs(schema, cls, source)
    checker = cls.FORMAT_CHECKER if format_check else None
    validator = cls(schema, format_checker=checker, registry=_SPECIFICATIONS)
    return Compiled(validator, DRAFT_NAMES.get(cls, cls.__name__), format_check, note)


def validator_for(schema: Any, *, format_check: bool = False, source: str | None = None,
                  key: str | None = None) -> Compiled:
    """The compiled validator of ``schema``, cached per canonical JSON dump (the last ``CACHE_SIZE`` schemas).

    Format keywords are checked only when ``format_check`` (the draft's FormatChecker); otherwise they are
    annotations. ``source`` (the schema's file, or 'record 3 field schema') names the schema in errors. ``key``:
    the :func:`schema_key` of ``schema`` when the caller already has it (hashing a large schema per record costs
    more than validating). Compiled validators are not picklable: keep keys, not validators, in shipped state."""
    key = key or schema_key(schema, format_check)
    hit = _CACHE.get(key)
    if hit is not None:
        _CACHE.move_to_end(key)
        return hit
    compiled = _CACHE[key] = compile_schema(schema, format_check=format_check, source=source)
    while len(_CACHE) > CACHE_SIZE:
        _CACHE.popitem(last=False)
    return compiled


def violations(compiled: Compiled | Any, instance: Any, *, source: str | None = None) -> list[Violation]:
    """Every top-level violation of ``instance`` (empty when it is valid), in jsonschema's order. ``is_valid``
    runs first; ``iter_errors`` only for invalid instances. Accepts a :class:`Compiled` or a jsonschema validator.
    An applicator's failure (anyOf, oneOf, ...) is one violation at its location, its sub-errors not listed."""
    validator = compiled.validator if isinstance(compiled, Compiled) else compiled
    try:
        if validator.is_valid(instance):
            return []
        errors = list(validator.iter_errors(instance))
    except referencing.exceptions.Unresolvable as exc:
        raise InputError(f"a $ref cannot be resolved inside the schema document: {exc}", file=_where(source),
                         field="$ref") from None
    return [Violation(path=pointer(e.absolute_path), keyword=_keyword(e), message=e.message, value=e.instance,
                      schema_path=pointer(e.absolute_schema_path), pattern=pattern(e.absolute_path))
            for e in errors]


def _keyword(error: jsonschema.ValidationError) -> str:
    """The failing keyword; ``false`` for a boolean ``false`` subschema (jsonschema gives None)."""
    return "false" if error.validator is None else str(error.validator)


def clear_cache() -> None:
    _CACHE.clear()
