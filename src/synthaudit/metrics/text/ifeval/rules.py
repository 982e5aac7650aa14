"""IFEval-style verifiable instructions for text records (survey section 2.2; Zhou et al. 2023).

Two sources:
  * record fields ``instruction_id_list`` and ``kwargs`` (IFEval's own field names), used when no rules
    file is given and the records carry both;
  * a rules file (``--rules``): JSON Lines in IFEval's ``input_data.jsonl`` format (``key``, ``prompt``,
    ``instruction_id_list``, ``kwargs``), joined to the records on the text of their prompt field
    (``--prompt-field``), ignoring leading and trailing whitespace.

Rules files are validated as a whole when loaded (unknown ids and malformed kwargs name the line); record
fields are validated batch by batch (errors name the record). A record whose prompt has no rules is not an
error: its score is undefined (NaN) and counted in the metric's notes.
"""
from __future__ import annotations

import math
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from synthaudit.errors import InputError

IDS_FIELD = "instruction_id_list"
KWARGS_FIELD = "kwargs"
Rule = tuple[list[str], list[dict]]


def resolve_rules(rules: Any, columns: list[str], label: str) -> dict | None:
    """Where each record's instructions come from, or None when there are none.

    ``rules``: None (use the records' ``instruction_id_list``/``kwargs`` fields when both exist), a path to
    an IFEval JSONL file, or a list of dicts in that format."""
    if rules is None:
        if {IDS_FIELD, KWARGS_FIELD} <= set(map(str, columns)):
            return {"source": "fields", "label": label}
        return None
    if isinstance(rules, (str, os.PathLike)):
        path = Path(rules)
        return _index(_read_jsonl(path), str(path))
    if isinstance(rules, (list, tuple)) and all(isinstance(r, dict) for r in rules):
        return _index(enumerate(rules, 1), "rules")
    raise InputError(f"expected a path to an IFEval JSONL file (or a list of dicts), got {type(rules).__name__}",
                     field="--rules")


def _read_jsonl(path: Path) -> Iterable[tuple[int, Any]]:
    from synthaudit.data import files

    files.check_readable(path)
    try:
        with files.opener_for(path)(path, "rt", encoding="utf-8") as fh:
            lines = list(fh)
    except UnicodeDecodeError:
        raise InputError("is not valid UTF-8 text", file=str(path), field="--rules") from None
    for lineno, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            yield lineno, files.loads_json(line)  # the loaders' JSON reader: too deep, lone surrogates refused too
        except files.JSONTextError as exc:
            raise InputError(f"line {lineno} {exc.reason}; expected one IFEval object per line "
                             "(key, prompt, instruction_id_list, kwargs)", file=str(path), row=lineno) from None


def _index(rows: Iterable[tuple[int, Any]], source: str) -> dict:
    from synthaudit.metrics.text.ifeval.registry import RuleError, normalize_all

    by_prompt: dict[str, dict] = {}
    for lineno, obj in rows:
        where = f"line {lineno}"
        if not isinstance(obj, dict):
            raise InputError(f"{where} is not a JSON object", file=source, row=lineno)
        if "key" in obj:
            where += f" (key {obj['key']})"
        prompt = obj.get("prompt")
        if not isinstance(prompt, str):
            raise InputError(f"{where} has no 'prompt' text; a rules file is joined to the records on the prompt "
                             "(pass the records' prompt field with --prompt-field)", file=source, row=lineno,
                             field="prompt")
        ids, kwargs = _lists(obj.get(IDS_FIELD), obj.get(KWARGS_FIELD))
        if ids is None:
            raise InputError(f"{where} needs '{IDS_FIELD}' (a list of IFEval instruction ids) and "
                             f"'{KWARGS_FIELD}' (a parallel list of objects)", file=source, row=lineno,
                             field=IDS_FIELD)
        try:
            kwargs = normalize_all(ids, kwargs)
        except RuleError as exc:
            raise InputError(f"{where}: {exc}", file=source, row=lineno, field=_field(exc)) from None
        key = prompt.strip()
        previous = by_prompt.get(key)
        if previous is not None and (previous["ids"], previous["kwargs"]) != (ids, kwargs):
            raise InputError(f"{where} repeats the prompt of line {previous['line']} with other instructions; "
                             "the join on the prompt would be ambiguous", file=source, row=lineno, field="prompt")
        by_prompt.setdefault(key, {"line": lineno, "key": obj.get("key"), "ids": ids, "kwargs": kwargs})
    if not by_prompt:
        raise InputError("has no rules (no JSON lines)", file=source, field="--rules")
    return {"source": "file", "file": source, "n_rules": len(by_prompt), "by_prompt": by_prompt}


def _field(exc: Exception) -> str:
    from synthaudit.metrics.text.ifeval.registry import UnknownInstructionError

    return IDS_FIELD if isinstance(exc, UnknownInstructionError) else KWARGS_FIELD


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _parse(value: Any) -> Any:
    """Lists arrive as lists, numpy arrays (Parquet) or JSON text (nested JSON is flattened on loading)."""
    if isinstance(value, str):
        from synthaudit.data.files import JSONTextError, loads_json

        try:
            return loads_json(value)
        except JSONTextError:  # not JSON (or too deep): the text itself, refused by the checks that follow
            return value
    if isinstance(value, np.ndarray):
        return value.tolist()
    return value


def _lists(ids: Any, kwargs: Any) -> tuple[list[str] | None, list[Any]]:
    """(ids, kwargs) as lists; ids None when absent or not a list of strings."""
    ids, kwargs = _parse(ids), _parse(kwargs)
    if not isinstance(ids, (list, tuple)) or not all(isinstance(i, str) for i in ids):
        return None, []
    if _missing(kwargs):
        kwargs = [{} for _ in ids]
    if not isinstance(kwargs, (list, tuple)):
        kwargs = [kwargs]
    return list(ids), [_parse(k) for k in kwargs]


def rules_for_batch(rules: dict, batch: pd.DataFrame, prompt_field: str | None, *,
                    offset: int = 0) -> list[Rule | None]:
    """Each record's (instruction ids, validated kwargs), or None when its prompt has no rules.

    ``offset``: how many records came before this batch (errors name records 1-based across batches)."""
    if rules.get("source") == "file":
        return _join(rules, batch, prompt_field)
    return _from_fields(rules, batch, offset)


def _join(rules: dict, batch: pd.DataFrame, prompt_field: str | None) -> list[Rule | None]:
    if prompt_field is None:
        raise InputError(f"the rules file {rules['file']} is joined to the records on their prompt: pass "
                         "--prompt-field NAME (prompt_field= in Python) naming the records' prompt field",
                         field="--prompt-field")
    if prompt_field not in batch.columns:
        raise InputError(f"the records have no prompt field {prompt_field!r} to join the rules file on",
                         field="--prompt-field")
    out: list[Rule | None] = []
    for prompt in batch[prompt_field].tolist():
        hit = rules["by_prompt"].get(prompt.strip()) if isinstance(prompt, str) else None
        out.append(None if hit is None else (list(hit["ids"]), [dict(k) for k in hit["kwargs"]]))
    return out


def _from_fields(rules: dict, batch: pd.DataFrame, offset: int) -> list[Rule | None]:
    from synthaudit.metrics.text.ifeval.registry import RuleError, normalize_all

    label = rules.get("label")
    for name in (IDS_FIELD, KWARGS_FIELD):
        if name not in batch.columns:
            raise InputError(f"has no field {name!r} (IFEval instructions)", file=label, field=name)
    out: list[Rule | None] = []
    for i, (raw_ids, raw_kwargs) in enumerate(zip(batch[IDS_FIELD].tolist(), batch[KWARGS_FIELD].tolist())):
        row = offset + i + 1
        if _missing(raw_ids) or (isinstance(raw_ids, str) and not raw_ids.strip()):
            out.append(None)
            continue
        ids, kwargs = _lists(raw_ids, raw_kwargs)
        if ids is None:
            raise InputError(f"record {row}: '{IDS_FIELD}' must be a list of IFEval instruction ids, got "
                             f"{raw_ids!r}", file=label, row=row, field=IDS_FIELD)
        if not ids:
            out.append(None)
            continue
        try:
            out.append((ids, normalize_all(ids, kwargs)))
        except RuleError as exc:
            raise InputError(f"record {row}: {exc}", file=label, row=row, field=_field(exc)) from None
    return out
