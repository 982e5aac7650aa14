"""Rows from an LLM prompted with the table's schema and a few real rows (CLLM / EPIC style).

Survey section 4.1 (LLM-based tabular generation) and the tutorial's prompt-based generators: each call
shows the schema (column names, types, allowed categories, observed ranges) and ``k`` real rows drawn with
a seeded sample, and asks for ``rows_per_call`` new rows as a JSON object ``{"rows": [...]}``. Every row is
parsed and coerced to the schema; a row that does not fit is rejected with a reason, and the counts of
reasons are kept (``stats``), so a weak model's poor rows are visible rather than silently kept. With a
``target`` column and ``rare_boost`` > 0, prompts are class-conditional (in-context rows from one class,
quota per class from :func:`~synthaudit.generate.tabular.class_quotas`), CLLM's and EPIC's remedy for
rare classes.
"""
from __future__ import annotations

import inspect
import json
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import pandas as pd

from synthaudit.data.tabular import ColumnType, infer_spec
from synthaudit.errors import SynthAuditError
from synthaudit.generate.tabular import class_quotas

MAX_CATEGORIES = 40  # allowed values listed per categorical column; more: the column is free text


class GenerationError(SynthAuditError):
    """The generator produced no usable rows (every response or row was rejected)."""


@dataclass
class ColumnSchema:
    name: str
    kind: str  # "number", "integer", "category", "datetime", "text"
    allowed: list[Any] | None = None
    low: float | None = None
    high: float | None = None
    nullable: bool = False

    def describe(self) -> str:
        text = f"- {self.name}: {self.kind}"
        if self.allowed is not None:
            text += " one of " + json.dumps([_jsonable(a) for a in self.allowed], ensure_ascii=False)
        elif self.low is not None and self.kind in ("number", "integer"):
            text += f" in [{_num(self.low)}, {_num(self.high)}]"
        elif self.low is not None and self.kind == "datetime":
            text += f" between {pd.Timestamp(self.low).isoformat()} and {pd.Timestamp(self.high).isoformat()}"
        return text + (" (may be null)" if self.nullable else "")


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:.6g}"


def _jsonable(v: Any) -> Any:
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, pd.Timestamp):
        return v.isoformat()
    if isinstance(v, float) and math.isnan(v):
        return None
    return v


def table_schema(frame: pd.DataFrame) -> list[ColumnSchema]:
    """One :class:`ColumnSchema` per column, from the real table (types as the audit infers them)."""
    spec = infer_spec(frame, frame.columns)
    out = []
    for name in frame.columns:
        col, ctype = frame[name], spec.columns[name].type
        nullable = bool(col.isna().any())
        values = col.dropna()
        if ctype == ColumnType.NUMERICAL:
            x = pd.to_numeric(values, errors="coerce").dropna()
            kind = "integer" if len(x) and (x % 1 == 0).all() else "number"
            out.append(ColumnSchema(str(name), kind, low=float(x.min()) if len(x) else None,
                                    high=float(x.max()) if len(x) else None, nullable=nullable))
        elif ctype == ColumnType.DATETIME:
            ts = pd.to_datetime(values, errors="coerce").dropna()
            out.append(ColumnSchema(str(name), "datetime", low=ts.min().value if len(ts) else None,
                                    high=ts.max().value if len(ts) else None, nullable=nullable))
        else:
            cats = list(dict.fromkeys(values.tolist()))
            out.append(ColumnSchema(str(name), "category" if len(cats) <= MAX_CATEGORIES else "text",
                                    allowed=cats if len(cats) <= MAX_CATEGORIES else None, nullable=nullable))
    return out


def rows_json_schema(schema: list[ColumnSchema], m: int) -> dict[str, Any]:
    """The JSON schema of an answer ``{"rows": [m rows]}``: every column, categories as enums, numbers typed and
    bounded by the observed range. Schema-constrained decoding (a local model) enforces the keys, types and
    enums token by token; the numeric bounds are checked afterwards by :func:`coerce_row`."""
    props: dict[str, Any] = {}
    for c in schema:
        if c.kind in ("number", "integer"):
            prop: dict[str, Any] = {"type": c.kind}
            if c.low is not None:
                prop.update(minimum=c.low, maximum=c.high)
        elif c.kind == "category" and c.allowed:
            prop = {"enum": [_jsonable(a) for a in c.allowed if not _is_null(_jsonable(a))]}
        else:
            prop = {"type": "string"}
        props[c.name] = prop
    row = {"type": "object", "properties": props, "required": list(props), "additionalProperties": False}
    return {"type": "object", "properties": {"rows": {"type": "array", "items": row, "minItems": m, "maxItems": m}},
            "required": ["rows"], "additionalProperties": False}


def _is_null(v: Any) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v)) or (isinstance(v, str) and v.strip() == "")


def coerce_row(obj: Any, schema: list[ColumnSchema], slack: float = 0.0) -> tuple[dict | None, str | None]:
    """(row, None) when ``obj`` fits the schema, else (None, reason). Extra keys are dropped; numbers may
    exceed the observed range by ``slack`` times its width."""
    if not isinstance(obj, dict):
        return None, "not a JSON object"
    row: dict[str, Any] = {}
    for c in schema:
        if c.name not in obj:
            return None, f"missing column {c.name}"
        v = obj[c.name]
        if _is_null(v):
            if not c.nullable:
                return None, f"null in {c.name}"
            row[c.name] = None
            continue
        if c.kind in ("number", "integer"):
            try:
                x = float(v) if not isinstance(v, bool) else math.nan
            except (TypeError, ValueError):
                return None, f"not a number in {c.name}"
            if not math.isfinite(x):
                return None, f"not a number in {c.name}"
            if c.kind == "integer" and not float(x).is_integer():
                x = float(round(x))
            if c.low is not None:
                pad = slack * (c.high - c.low)
                if x < c.low - pad or x > c.high + pad:
                    return None, f"out of range in {c.name}"
            row[c.name] = int(x) if c.kind == "integer" else x
        elif c.kind == "datetime":
            ts = pd.to_datetime(v, errors="coerce") if isinstance(v, str) else pd.NaT
            if pd.isna(ts):
                return None, f"not a date in {c.name}"
            row[c.name] = ts
        elif c.allowed is not None:
            match = _match_category(v, c.allowed)
            if match is _NO_MATCH:
                return None, f"unknown category in {c.name}"
            row[c.name] = match
        else:
            row[c.name] = str(v)
    return row, None


_NO_MATCH = object()


def _match_category(v: Any, allowed: list[Any]) -> Any:
    for a in allowed:
        if v == a or str(v).strip() == str(a).strip():
            return a
    low = str(v).strip().casefold()
    for a in allowed:
        if str(a).strip().casefold() == low:
            return a
    return _NO_MATCH


_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.S)


def parse_rows(text: str) -> list[Any] | None:
    """The row objects of a response: ``{"rows": [...]}``, a bare list, fenced JSON, or one object per line.
    None when nothing parses."""
    candidates = [m.group(1) for m in _FENCE.finditer(text)] + [text]
    for cand in candidates:
        cand = cand.strip()
        for start, end in (("{", "}"), ("[", "]")):
            i, j = cand.find(start), cand.rfind(end)
            if i < 0 or j <= i:
                continue
            try:
                obj = json.loads(cand[i:j + 1])
            except json.JSONDecodeError:
                continue
            if isinstance(obj, dict) and isinstance(obj.get("rows"), list):
                return obj["rows"]
            if isinstance(obj, list):
                return obj
            if isinstance(obj, dict) and start == "{" and "rows" not in obj:
                break  # perhaps several objects, one per line
    lines = []
    for line in text.splitlines():
        line = line.strip().rstrip(",")
        if line.startswith("{") and line.endswith("}"):
            try:
                lines.append(json.loads(line))
            except json.JSONDecodeError:
                continue
    return lines or None


@dataclass
class GenerationStats:
    calls: int = 0
    unparsed_responses: int = 0
    rows_returned: int = 0
    rows_kept: int = 0
    surplus: int = 0  # valid rows beyond the quota (not used)
    rejected: Counter = field(default_factory=Counter)
    per_class: dict[str, dict[str, int]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"calls": self.calls, "unparsed_responses": self.unparsed_responses,
                "rows_returned": self.rows_returned, "rows_kept": self.rows_kept,
                "rows_surplus": self.surplus,
                "rows_rejected": sum(self.rejected.values()),
                "validity_rate": self.rows_kept / self.rows_returned if self.rows_returned else None,
                "rejected_by_reason": dict(self.rejected.most_common()), "per_class": self.per_class}


SYSTEM = ("You generate realistic rows of a data table. Answer with JSON only: an object {\"rows\": [...]} "
          "whose items are objects with exactly the table's columns.")


class LLMTabularGenerator:
    """``fit(real)`` then ``sample(n)``: rows from an :class:`~synthaudit.models.llm.LLMClient` (local SmolLM2 or
    ``openai:MODEL`` at any OpenAI-compatible endpoint). ``stats`` counts calls, kept rows and rejects."""

    def __init__(self, client: Any, *, k: int = 8, rows_per_call: int = 5, max_calls: int | None = None,
                 temperature: float = 0.7, max_tokens: int = 1024, seed: int = 0, target: str | None = None,
                 rare_boost: float = 0.0, range_slack: float = 0.1, json_mode: bool = True,
                 json_retries: int = 1, overshoot: float = 1.5) -> None:
        if k < 0 or rows_per_call < 1 or overshoot < 1:
            raise ValueError(f"need k >= 0, rows_per_call >= 1 and overshoot >= 1, got {k}, {rows_per_call}, "
                             f"{overshoot}")
        self.overshoot = float(overshoot)  # batched rounds ask for this many times the calls still needed
        self.client, self.k, self.m, self.max_calls = client, int(k), int(rows_per_call), max_calls
        self.temperature, self.max_tokens, self.seed = float(temperature), int(max_tokens), int(seed)
        self.target, self.rare_boost, self.slack, self.json_mode = target, float(rare_boost), range_slack, json_mode
        self.json_retries = int(json_retries)  # the client's re-asks for valid JSON (when it supports them)
        self.stats = GenerationStats()
        #: every model answer as written (None when the request failed), before rows are parsed and checked: an
        #: audit of the answers as JSON documents reads them (``synthaudit audit json``)
        self.answers: list[str | None] = []
        self.on_rows: Callable[[int], None] | None = None  # called with the rows kept so far (progress)
        self.schema: list[ColumnSchema] = []
        self._real: pd.DataFrame | None = None

    def fit(self, real: pd.DataFrame) -> "LLMTabularGenerator":
        if self.target is not None and self.target not in real.columns:
            from synthaudit.errors import InputError

            raise InputError(f"no target column {self.target!r}; columns: {', '.join(map(str, real.columns[:12]))}",
                             field="--target")
        self._real = real.reset_index(drop=True)
        self.schema = table_schema(self._real)
        return self

    def prompt(self, examples: pd.DataFrame, m: int, label: Any = None) -> list[dict[str, str]]:
        ints = {c.name for c in self.schema if c.kind == "integer"}
        rows = [{k: int(v) if k in ints and isinstance(v, float) and v.is_integer() else _jsonable(v)
                 for k, v in r.items()} for r in examples.to_dict(orient="records")]
        # under schema-constrained decoding the schema is enforced token by token: the prompt keeps only the
        # examples (a short prompt: most of a small local model's CPU time is reading the prompt)
        text = [] if self.constrained else ["Table columns:", *[c.describe() for c in self.schema], ""]
        if rows:
            text += ["Example rows:", *[json.dumps(r, ensure_ascii=False, default=str) for r in rows], ""]
        cond = f" Every row must have {self.target} = {json.dumps(_jsonable(label), default=str)}." \
            if label is not None else ""
        text.append(f"Write {m} new, varied rows that could come from the same table (do not copy the examples)."
                    f"{cond} Answer as {{\"rows\": [...]}}.")
        return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": "\n".join(text)}]

    def sample(self, n: int, seed: int | None = None) -> pd.DataFrame:
        if self._real is None:
            raise RuntimeError("call fit() first")
        seed = self.seed if seed is None else seed
        if self.target is not None and self.rare_boost > 0:
            plan = list(class_quotas(self._real[self.target], n, self.rare_boost).items())
        else:
            plan = [(None, n)]
        rows: list[dict] = []
        for j, (label, quota) in enumerate(plan):
            if quota:
                rows += self._rows_for(label, quota, seed + 1000 * j)
        if not rows:
            raise GenerationError(f"the LLM ({getattr(self.client, 'model', '?')}) produced no valid rows in "
                                  f"{self.stats.calls} call(s); rejects: {dict(self.stats.rejected) or 'none'}; "
                                  f"unparsed responses: {self.stats.unparsed_responses}",
                                  hint="try a stronger model (openai:MODEL with --base-url) or more --max-tokens")
        frame = pd.DataFrame.from_records(rows, columns=[c.name for c in self.schema])
        return frame.iloc[np.random.default_rng(seed).permutation(len(frame))].reset_index(drop=True)

    @property
    def constrained(self) -> bool:
        """Local models decode within the rows' JSON schema; endpoints get JSON mode and validation."""
        return self.json_mode and getattr(self.client, "remote", True) is False and hasattr(self.client,
                                                                                             "chat_many")

    def _format(self, m: int) -> dict | None:
        if not self.json_mode:
            return None
        if self.constrained:
            from synthaudit.models.llm import json_schema_format

            return json_schema_format(rows_json_schema(self.schema, m), name="rows")
        return {"type": "json_object"}

    def _ask(self, messages: list[dict[str, str]], seed: int) -> str | None:
        """The answer's text; None when the client's own JSON validation gave up (an unparsed response)."""
        kw: dict[str, Any] = {"temperature": self.temperature, "max_tokens": self.max_tokens, "seed": seed,
                              "response_format": {"type": "json_object"} if self.json_mode else None}
        if self.json_mode and "json_retries" in inspect.signature(self.client.chat).parameters:
            kw["json_retries"] = self.json_retries
        try:
            return self.client.chat(messages, **kw).text
        except Exception as exc:  # the client re-asks for valid JSON itself; its final refusal is a bad answer
            if "no answer matching the JSON schema" in str(exc):
                return None
            raise

    def _rows_for(self, label: Any, quota: int, seed: int) -> list[dict]:
        pool = self._real if label is None else self._real[self._real[self.target] == label]
        max_calls = self.max_calls or (math.ceil(quota / self.m) * 3 + 2)
        key = "all" if label is None else str(label)
        counts = self.stats.per_class.setdefault(key, {"quota": 0, "kept": 0, "calls": 0})
        counts["quota"] += quota
        kept: list[dict] = []
        call = 0
        while call < max_calls and len(kept) < quota:
            # a local model answers a round of calls in one batch; an endpoint one call at a time
            # and asks for ``overshoot`` times the calls still needed: a second round to replace rejected rows
            # costs as many decoding steps as the first at a fraction of the throughput
            needed = math.ceil((quota - len(kept)) / self.m)
            n_calls = min(max_calls - call, math.ceil(needed * self.overshoot)) if self.constrained else 1
            messages, seeds, sizes = [], [], []
            for j in range(call, call + n_calls):
                rng = np.random.default_rng([seed, j])
                idx = rng.choice(len(pool), size=min(self.k, len(pool)), replace=False)
                m = self.m if j - call >= needed else min(self.m, quota - len(kept) - self.m * (j - call))
                messages.append(self.prompt(pool.iloc[np.sort(idx)], m, label))
                seeds.append(seed * 7919 + j)
                sizes.append(m)
            call += n_calls
            if self.constrained:
                outs = self.client.chat_many([{"messages": msg, "temperature": self.temperature,
                                               "max_tokens": self.max_tokens, "seed": sd,
                                               "response_format": self._format(m)}
                                              for msg, sd, m in zip(messages, seeds, sizes)])
                texts = [o.text if o.ok else None for o in outs]
                self.answers.extend(o.text if o.ok or o.text else None for o in outs)
            else:
                texts = [self._ask(messages[0], seeds[0])]
                self.answers.append(texts[0])
            for text in texts:
                self.stats.calls += 1
                counts["calls"] += 1
                objs = parse_rows(text) if text is not None else None
                if objs is None:
                    self.stats.unparsed_responses += 1
                    continue
                self.stats.rows_returned += len(objs)
                for obj in objs:
                    row, reason = coerce_row(obj, self.schema, self.slack)
                    if row is not None and label is not None and row.get(self.target) != label:
                        row, reason = None, f"wrong class in {self.target}"
                    if row is None:
                        self.stats.rejected[reason] += 1
                    elif len(kept) < quota:
                        kept.append(row)
                        if self.on_rows is not None:
                            self.on_rows(self.stats.rows_kept + len(kept))
                    else:
                        self.stats.surplus += 1
        self.stats.rows_kept += len(kept)
        counts["kept"] += len(kept)
        return kept
