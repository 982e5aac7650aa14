"""Shared machinery of the JSON metrics (survey sections 5.2-5.3): parsed items per batch, the parse policy, the
schema a record is validated against, field paths of a value, answer paths, canonical values.

Field paths (json.mmp, the property paths of json.schema_description_similarity and json.property_selection_acc)
are dotted key paths with array indices collapsed: ``{"a": {"b": [{"c": 1}]}}`` has the leaf path ``a.b[].c``;
a scalar at the root has the path ``""``; an empty object is a leaf at its own path (``a``), an empty array a leaf
at ``a[]``. Keys are not escaped: a key holding ``.`` or ``[]`` reads like a deeper path.
"""
from __future__ import annotations

import json
import math
from typing import Any, Iterator

from synthaudit.data.json_docs import JsonItem, json_items
from synthaudit.metrics.items import MAX_FAILURES, ItemMetric, snippet  # noqa: F401 (re-exported)
from synthaudit.verify.json_parse import DEFAULT_POLICY, POLICIES
from synthaudit.verify.json_schema import Compiled, schema_key, validator_for

POLICY_PARAM = {"default": DEFAULT_POLICY, "options": list(POLICIES),
                "note": "code param: how raw text is parsed (synthaudit.verify.json_parse): strict = RFC 8259 "
                        "(NaN/Infinity refused); fence (catalog default) = strip one ```json fence surrounding "
                        "the whole answer; lenient = also the first fenced block or {...}/[...] inside prose, "
                        "trailing commas removed. Duplicate keys: the last value wins, counted"}
OUTPUT_SNIPPET = 120


class JsonMetric(ItemMetric):
    """A record metric over the parsed JSON items of a batch (:func:`synthaudit.data.json_docs.json_items`)."""

    def items(self, inputs, batch, role: str) -> list[JsonItem]:
        return json_items(inputs, batch, role)

    def check(self, params: dict[str, Any], inputs=None) -> None:
        check_policy(params)


def check_policy(params: dict[str, Any]) -> str:
    policy = params.get("parse_policy", DEFAULT_POLICY)
    if policy not in POLICIES:
        raise ValueError(f"parse_policy must be one of {', '.join(POLICIES)}; got {policy!r}")
    return policy


def output_snippet(item: JsonItem) -> str | None:
    return snippet(item.raw, OUTPUT_SNIPPET)


def record_number(state: dict, item: JsonItem) -> int:
    """A record's 0-based position among the records this state has seen (items count from their batch)."""
    return item.record + sum(len(s) for s in state["scores"])


def audit_schema_source(inputs) -> str:
    return inputs.extra.get("schema_source") or "the JSON Schema (--schema)"


def schema_source(state: dict, item: JsonItem) -> str:
    """How errors name the schema of a record: its own field, or the audit's schema file."""
    if item.schema is not None:
        field = state["inputs"].extra["json"]["synthetic"].schema
        return f"record {record_number(state, item)} (0-based), field '{field}'"
    return audit_schema_source(state["inputs"])


def compiled_for(state: dict, item: JsonItem, format_check: bool = False) -> Compiled | None:
    """The compiled validator of a record's schema (:func:`schema_of`), None without one. The audit's schema is
    hashed once per state; a record's own schema is hashed per record (the validator cache is keyed by content)."""
    inputs = state["inputs"]
    if item.schema is None:
        doc = inputs.extra.get("schema_document")
        if doc is None:
            return None
        if "audit_schema_key" not in state:  # a string: the state stays picklable (Ray)
            state["audit_schema_key"] = schema_key(doc, format_check)
        return validator_for(doc, format_check=format_check, source=audit_schema_source(inputs),
                             key=state["audit_schema_key"])
    return validator_for(item.schema, format_check=format_check, source=schema_source(state, item))


def schema_of(inputs, item: JsonItem) -> Any:
    """The schema a record is validated against: its own (``item.schema``), else the audit's; None if neither."""
    return item.schema if item.schema is not None else inputs.extra.get("schema_document")


# -- field paths --------------------------------------------------------------------------------------
def join(prefix: str, key: str) -> str:
    return f"{prefix}.{key}" if prefix else str(key)


def leaf_items(value: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """(leaf path, leaf value) pairs of a JSON value, array indices collapsed (``a.b[].c``)."""
    if isinstance(value, dict) and value:
        for k, v in value.items():
            yield from leaf_items(v, join(prefix, str(k)))
    elif isinstance(value, list) and value:
        for v in value:
            yield from leaf_items(v, prefix + "[]")
    elif isinstance(value, list):
        yield prefix + "[]", value
    else:
        yield prefix, value


def field_paths(value: Any, granularity: str = "leaf_paths") -> set[str]:
    """The fields of a value: its leaf paths, or (``top_level_keys``) the keys of a top-level object (a value that
    is not an object has the single field ``""``). An empty top-level object or array has no fields."""
    if isinstance(value, (dict, list)) and not value:
        return set()
    if granularity == "top_level_keys":
        return {str(k) for k in value} if isinstance(value, dict) else {""}
    return {p for p, _ in leaf_items(value)}


def field_values(value: Any, granularity: str = "leaf_paths") -> dict[str, list[str]]:
    """Each field's values as sorted canonical JSON texts (a multiset: arrays give several values per path)."""
    out: dict[str, list[str]] = {}
    if isinstance(value, (dict, list)) and not value:
        return out
    if granularity == "top_level_keys":
        pairs = value.items() if isinstance(value, dict) else [("", value)]
    else:
        pairs = leaf_items(value)
    for p, v in pairs:
        out.setdefault(str(p), []).append(canonical(v))
    return {p: sorted(v) for p, v in out.items()}


# -- canonical values -----------------------------------------------------------------------------------
def normalise(value: Any) -> Any:
    """Numbers that are whole become ints (1.0 -> 1; booleans stay booleans), recursively."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, float):
        return int(value) if math.isfinite(value) and value.is_integer() and abs(value) < 2**53 else value
    if isinstance(value, dict):
        return {str(k): normalise(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [normalise(v) for v in value]
    return value


def canonical(value: Any) -> str:
    """Canonical JSON text of a value: sorted keys, compact, whole numbers as ints (1.0 == 1, True != 1)."""
    return json.dumps(normalise(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


# -- answer paths ---------------------------------------------------------------------------------------
_MISSING = object()


def _step(node: Any, key: str) -> Any:
    if isinstance(node, dict):
        return node.get(key, _MISSING)
    if isinstance(node, list) and key.isdigit() and (key == "0" or not key.startswith("0")):
        i = int(key)
        return node[i] if i < len(node) else _MISSING
    return _MISSING


def resolve_path(value: Any, path: str) -> tuple[bool, Any]:
    """(found, value at ``path``): a JSON Pointer (``/a/0/b``, RFC 6901 escapes), else a top-level key (a key
    holding dots wins), else a dotted path whose numeric parts index arrays (``a.0.b``). ``""`` is the root."""
    if path == "":
        return True, value
    if path.startswith("/"):
        parts = [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]
    elif isinstance(value, dict) and path in value:
        return True, value[path]
    else:
        parts = path.split(".")
    node = value
    for p in parts:
        node = _step(node, p)
        if node is _MISSING:
            return False, None
    return True, node


# -- schema elements --------------------------------------------------------------------------------------
def schema_elements(schema: Any, prefix: str = "", root: bool = True) -> Iterator[tuple[str, dict]]:
    """(property path, subschema) of a JSON Schema's elements: the root (``""``), every property under
    ``properties`` (dotted, nested) and under an array's ``items`` object (``a[].b``). Other applicators
    (allOf/anyOf/oneOf, $ref, $defs, patternProperties) are not followed."""
    if not isinstance(schema, dict):
        return
    if root:
        yield "", schema
    props = schema.get("properties")
    if isinstance(props, dict):
        for k, sub in props.items():
            if isinstance(sub, dict):
                path = join(prefix, str(k))
                yield path, sub
                yield from schema_elements(sub, path, root=False)
    items = schema.get("items")
    if isinstance(items, dict):
        yield from schema_elements(items, prefix + "[]", root=False)


def property_paths(schema: Any) -> set[str]:
    """The property paths a JSON Schema declares (nested, ``a[].b`` through arrays), the root excluded."""
    return {p for p, _ in schema_elements(schema) if p}


def dotted(path: str) -> str:
    """A property path as written by a user, in this module's dotted form: a JSON Pointer ``/a/b`` -> ``a.b``;
    ``/a/[]/b`` or ``/a/0/b`` -> ``a[].b``."""
    if not path.startswith("/"):
        return path
    out = ""
    for p in path[1:].split("/"):
        p = p.replace("~1", "/").replace("~0", "~")
        out = out + "[]" if (p == "[]" or p.isdigit()) and out else join(out, p)
    return out
