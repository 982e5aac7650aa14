"""Reasoning records (survey section 3): a problem, a reasoning trace and an answer, meant to be checked.

One record per problem. Field names default to the spellings of GSM8K (``question``, ``answer`` holding the
rationale and ``#### N``), MATH (``problem``, ``solution``), HumanEval (``prompt``, ``canonical_solution`` or
``completion``, ``test``, ``entry_point``), MBPP (``text``, ``code``, ``test_list``, ``test_setup_code``) and
ProofWriter (``theory``, ``question``, ``label``/``answer``, ``proof``/``proofs``), so those files load without
configuration; every field can be named instead (:class:`FieldMap`).

A record's task (math, code or logic) comes from its own ``task`` field when it has one, else from the audit's
``task`` option, else from its fields (tests or an entry point: code; a theory or a proof: logic; else math).
Malformed values raise one :class:`InputError` naming the file, record and field.
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, Iterator, Sequence

import pandas as pd

from synthaudit.data.files import is_missing
from synthaudit.data import files
from synthaudit.data.inputs import AuditInputs
from synthaudit.data.reasoning_fields import DEFAULTS, TASKS
from synthaudit.data.tabular import Table
from synthaudit.data.text import load_corpus
from synthaudit.errors import InputError

#: the fields whose value continues the question (HumanEval: prompt + completion is the program)
CONTINUES_PROMPT = ("completion", "canonical_solution")
#: input role each field provides (catalog vocabulary)
FIELD_ROLES = {"gold": "gold_answers", "tests": "test_cases", "test_program": "test_cases",
               "samples": "multiple_samples", "human": "human_scores", "chosen": "preference_pairs",
               "gold_proofs": "references", "perturbed": "prompts"}
#: roles the modality provides itself: the step checker (Val_step's rules) and the sandbox (PassRate's environment)
BUILT_IN_ROLES = {"rules": "arithmetic re-evaluation (verify.steps) + the NLI backend",
                  "environment": "the sandbox (verify.sandbox)"}


@dataclass
class Problem:
    """One parsed record (``record`` is 0-based, the position in the file)."""

    record: int
    task: str
    question: str | None = None
    solution: str | None = None  # the reasoning trace (may end with the final answer)
    answer: str | None = None  # the final answer when a field gives it (else extracted from the solution)
    gold: str | None = None
    steps: list[str] | None = None
    samples: list[str] | None = None
    program: str | None = None
    tests: list[str] | None = None
    test_program: str | None = None
    entry_point: str | None = None
    setup: str = ""
    label: str | None = None  # logic: the gold label
    proof: Any = None
    gold_proofs: list[Any] | None = None
    perturbed: list[Any] | None = None
    judge: Any = None
    human: float | None = None
    chosen: str | None = None
    rejected: str | None = None
    preference: float | None = None  # 1 when chosen (c_a) is preferred, 0 when rejected (c_b) is
    chosen_score: float | None = None
    rejected_score: float | None = None
    domain: str | None = None

    @property
    def prediction(self) -> str | None:
        """The candidate's final answer text: the answer field, else the solution (to extract from)."""
        return self.answer if self.answer is not None else self.solution


@dataclass(frozen=True)
class FieldMap:
    """The column that holds each part of a record (None: the record has no such part)."""

    columns: dict[str, str | None]
    task: str | None  # the audit's task option (None: per record)
    prepend_prompt: bool  # program = question + program (HumanEval completions)

    def describe(self) -> dict[str, Any]:
        return {"fields": {k: v for k, v in self.columns.items() if v},
                "task": self.task or "auto (per record)",
                "program": ("question + program field (HumanEval convention)" if self.prepend_prompt
                            else "program field")}



def resolve_fields(cols: Sequence[str], chosen: dict[str, str | None], task: str | None, label: str) -> FieldMap:
    """Which column holds each part: the chosen name (checked) or the first default spelling present.
    One column is used once, in the order of DEFAULTS (a GSM8K ``answer`` is the solution, not the answer)."""
    cols = [str(c) for c in cols]
    used: set[str] = set()
    out: dict[str, str | None] = {}
    for part, names in DEFAULTS.items():
        want = chosen.get(part)
        if want is not None:
            if want not in cols:
                raise InputError(f"has no field {want!r}; fields: {', '.join(cols[:16])}", file=label,
                                 field=f"--{part.replace('_', '-')}-field")
            out[part] = want
            used.add(want)
            continue
        out[part] = next((n for n in names if n in cols and n not in used), None)
        if out[part] is not None:
            used.add(out[part])
    code_like = task == "code" or (task is None and (out["tests"] or out["test_program"] or out["entry_point"]))
    if code_like and out["solution"] and out["program"] is None:
        out["program"] = out["solution"]  # e.g. a ``solution`` column holding code
    if out["program"] and not code_like and out["solution"] is None:
        out["solution"] = out["program"]
        out["program"] = None
    if not code_like:
        out["program"] = None
    prepend = bool(out["program"] in CONTINUES_PROMPT and out["question"] == "prompt" and not chosen.get("program"))
    return FieldMap(out, task, prepend)


# -- values ------------------------------------------------------------------------------------------
def _decode(value: Any) -> Any:
    if hasattr(value, "tolist") and not isinstance(value, str):
        value = value.tolist()
    if isinstance(value, str) and value.lstrip()[:1] in ("[", "{"):
        try:
            return files.loads_json(value)
        except files.JSONTextError:
            return value
    return value


class _Where:
    def __init__(self, label: str, record: int, column: str | None) -> None:
        self.label, self.record, self.column = label, record, column

    def error(self, message: str) -> InputError:
        return InputError(f"record {self.record} (0-based): {message}", file=self.label, field=self.column)


def _text(value: Any, where: _Where) -> str | None:
    if is_missing(value):
        return None
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, (int, float)):
        return str(int(value)) if float(value).is_integer() else repr(float(value))
    if isinstance(value, str):
        return value
    raise where.error(f"expected text, found a {type(value).__name__} ({str(value)[:40]!r})")


def _texts(value: Any, where: _Where) -> list[str] | None:
    if is_missing(value):
        return None
    value = _decode(value)
    if isinstance(value, str):
        return [value]
    if not isinstance(value, (list, tuple)):
        raise where.error(f"expected a list of texts, found a {type(value).__name__}")
    out = []
    for k, v in enumerate(value):
        if isinstance(v, dict):  # e.g. {"text": ...} / {"content": ...} samples
            v = next((v[key] for key in ("text", "content", "completion", "answer", "output") if key in v), None)
        t = _text(v, where)
        if t is None:
            raise where.error(f"item {k} of the list is empty or not text")
        out.append(t)
    return out


def _number(value: Any, where: _Where, what: str) -> float | None:
    if is_missing(value):
        return None
    value = _decode(value)
    if isinstance(value, bool):
        return float(value)
    try:
        return float(value)
    except (TypeError, ValueError):
        raise where.error(f"{what} {str(value)[:40]!r} is not a number") from None


def _task_of(row: dict, fmap: FieldMap, where: _Where) -> str:
    col = fmap.columns["task"]
    raw = row.get(col) if col else None
    if not is_missing(raw):
        task = str(raw).strip().lower()
        task = {"program": "code", "programming": "code", "arithmetic": "math", "proof": "logic",
                "deduction": "logic", "boolean": "logic"}.get(task, task)
        if task not in TASKS:
            raise where.error(f"unknown task {raw!r}; expected one of {', '.join(TASKS)}")
        return task
    if fmap.task:
        return fmap.task
    c = fmap.columns
    if any(c[k] and not is_missing(row.get(c[k])) for k in ("tests", "test_program", "entry_point")):
        return "code"
    if any(c[k] and not is_missing(row.get(c[k])) for k in ("theory", "gold_proofs", "proof")):
        return "logic"
    return "math"


def parse_row(row: dict, record: int, fmap: FieldMap, label: str) -> Problem:
    """One record as a :class:`Problem`; raises InputError naming the record and field when malformed."""
    c = fmap.columns

    def w(part: str) -> _Where:
        return _Where(label, record, c[part])

    def get(part: str) -> Any:
        return row.get(c[part]) if c[part] else None

    task = _task_of(row, fmap, w("task"))
    p = Problem(record=record, task=task)
    p.question = _text(get("question"), w("question"))
    theory = _text(get("theory"), w("theory"))
    if theory:
        p.question = theory + ("\n" + p.question if p.question else "")
    p.solution = _text(get("solution"), w("solution"))
    p.answer = _text(get("answer"), w("answer"))
    p.gold = _text(get("gold"), w("gold"))
    p.steps = _texts(get("steps"), w("steps"))
    p.samples = _texts(get("samples"), w("samples"))
    if task == "code":
        prog = _text(get("program"), w("program"))
        if prog is not None and fmap.prepend_prompt and c["question"] and p.question:
            prog = row.get(c["question"]) + prog
        p.program = prog
        p.tests = _texts(get("tests"), w("tests"))
        p.test_program = _text(get("test_program"), w("test_program"))
        p.entry_point = _text(get("entry_point"), w("entry_point"))
        p.setup = _text(get("setup"), w("setup")) or ""
        if p.samples and fmap.prepend_prompt and p.question:
            p.samples = [str(row.get(c["question"])) + s for s in p.samples]
    lab = get("label")
    p.label = None if is_missing(lab) else str(_decode(lab))
    if task == "logic" and p.gold is None and p.label is not None:
        p.gold = p.label
    p.proof = None if is_missing(get("proof")) else _decode(get("proof"))
    gp = get("gold_proofs")
    if not is_missing(gp):
        gp = _decode(gp)
        p.gold_proofs = list(gp) if isinstance(gp, (list, tuple)) else [gp]
    pert = get("perturbed")
    if not is_missing(pert):
        pert = _decode(pert)
        if not isinstance(pert, (list, tuple)):
            raise w("perturbed").error("expected a list of predictions on the perturbed inputs")
        p.perturbed = list(pert)
    judge = get("judge")
    if not is_missing(judge):
        judge = _decode(judge)
        if isinstance(judge, dict):
            p.judge = {str(k): _number(v, w("judge"), "judge score") for k, v in judge.items()}
        else:
            p.judge = _number(judge, w("judge"), "judge score")
    p.human = _number(get("human"), w("human"), "human score")
    p.chosen = _text(get("chosen"), w("chosen"))
    p.rejected = _text(get("rejected"), w("rejected"))
    pref = get("preference")
    if not is_missing(pref):
        s = str(pref).strip().lower()
        p.preference = {"chosen": 1.0, "a": 1.0, "1": 1.0, "true": 1.0, "rejected": 0.0, "b": 0.0, "0": 0.0,
                        "false": 0.0}.get(s)
        if p.preference is None:
            raise w("preference").error(f"preference {pref!r} must say which is preferred: chosen/a/1 or rejected/b/0")
    p.chosen_score = _number(get("chosen_score"), w("chosen_score"), "reward score")
    p.rejected_score = _number(get("rejected_score"), w("rejected_score"), "reward score")
    dom = get("domain")
    p.domain = None if is_missing(dom) else str(dom)
    return p


def parse_batch(batch: pd.DataFrame, fmap: FieldMap, label: str, offset: int = 0) -> list[Problem]:
    cols = [c for c in dict.fromkeys(fmap.columns.values()) if c and c in batch.columns]
    rows = batch[cols].to_dict("records") if cols else [{} for _ in range(len(batch))]
    return [parse_row(r, offset + i, fmap, label) for i, r in enumerate(rows)]


# -- access from metrics -----------------------------------------------------------------------------
def field_map(inputs: AuditInputs, role: str = "synthetic") -> FieldMap:
    return inputs.extra["reasoning"][role]


def problems(inputs: AuditInputs, batch: pd.DataFrame, role: str = "synthetic") -> list[Problem]:
    """The parsed records of a batch, memoised per batch object (every reasoning metric reads the same batch).
    Record numbers count from the batch's first row: a metric adds the rows it has seen before (a streamed
    batch does not know its position in the file)."""
    memo = inputs.features.get("reasoning.problems", dict)
    key = (role, id(batch), len(batch))
    hit = memo.get(key)
    if hit is not None and hit[0] is batch:
        return hit[1]
    out = parse_batch(batch, field_map(inputs, role), inputs.tables[role].label, 0)
    memo.clear()  # keep one batch: memory stays bounded when a corpus streams
    memo[key] = (batch, out)
    return out


def iter_problems(inputs: AuditInputs, role: str = "synthetic",
                  batch_size: int | None = None) -> Iterator[list[Problem]]:
    offset = 0
    for batch in inputs.batches(role, batch_size):
        yield parse_batch(batch, field_map(inputs, role), inputs.tables[role].label, offset)
        offset += len(batch)


# -- preparation -------------------------------------------------------------------------------------
@dataclass
class Counts:
    records: int = 0
    math: int = 0
    code: int = 0
    logic: int = 0
    with_gold: int = 0
    with_tests: int = 0
    with_samples: int = 0
    with_steps: int = 0
    with_proof: int = 0
    with_human: int = 0
    with_judge: int = 0
    with_pairs: int = 0
    with_perturbed: int = 0

    def add(self, p: Problem) -> None:
        self.records += 1
        setattr(self, p.task, getattr(self, p.task) + 1)
        self.with_gold += p.gold is not None
        self.with_tests += bool(p.tests or p.test_program)
        self.with_samples += bool(p.samples)
        self.with_steps += bool(p.steps or p.solution)
        self.with_proof += p.proof is not None
        self.with_human += p.human is not None
        self.with_judge += p.judge is not None
        self.with_pairs += p.chosen is not None and p.rejected is not None
        self.with_perturbed += bool(p.perturbed)

    def as_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def _as_table(obj: Any, label: str, fmt: str | None, encoding: str, stream: bool) -> Table:
    if isinstance(obj, (list, tuple)) and obj and all(isinstance(r, dict) for r in obj):
        obj = pd.DataFrame.from_records(list(obj))
    return load_corpus(obj, label, fmt=fmt, encoding=encoding, stream=stream)


def prepare_reasoning(*, synthetic: Any, real: Any = None, benchmark: Any = None, task: str | None = None,
                      fields_chosen: dict[str, str | None] | None = None, ood_domains: Sequence[str] | None = None,
                      seed: int = 0, params: dict | None = None, stream: bool = False, fmt: str | None = None,
                      encoding: str = "utf-8") -> AuditInputs:
    """Load reasoning records for an audit (modality "reasoning"): ``synthetic`` (a file, DataFrame or list of
    dicts), ``real`` (real problems, compared with), ``benchmark`` (a benchmark file whose problems the
    contamination check looks for). The synthetic records are parsed in full when loaded (the first rows when
    streamed), so malformed ones fail before any metric runs."""
    if synthetic is None:
        raise InputError("no synthetic data given", field="--synthetic")
    if task is not None and task not in TASKS and task != "auto":
        raise InputError(f"unknown task {task!r}; expected auto, {', '.join(TASKS)}", field="--task")
    task = None if task in (None, "auto") else task
    tables = {"synthetic": _as_table(synthetic, "synthetic", fmt, encoding, stream)}
    if real is not None:
        tables["real_reference"] = _as_table(real, "real", fmt, encoding, stream)
    chosen = dict(fields_chosen or {})
    maps: dict[str, FieldMap] = {}
    counts: dict[str, dict[str, int]] = {}
    for role, table in tables.items():
        head = table.frame() if table.materialized else table.head()
        if table.materialized and len(head) == 0:
            raise InputError("has no records", file=table.label)
        fmap = resolve_fields(list(head.columns), chosen if role == "synthetic" else {}, task, table.label)
        maps[role] = fmap
        c = Counts()
        for p in parse_batch(head, fmap, table.label):
            c.add(p)
        counts[role] = c.as_dict()
    fmap = maps["synthetic"]
    if all(fmap.columns[k] is None for k in ("question", "solution", "program", "chosen", "answer")):
        raise InputError("has no question, solution, program or preference field: nothing to audit",
                         file=tables["synthetic"].label, hint="name them with --question-field / --solution-field")
    extra: dict[str, Any] = {"reasoning": maps, "fields": fmap.describe(), "counts": counts,
                             "field": fmap.columns["question"] or fmap.columns["solution"] or "text",
                             "ood_domains": list(ood_domains or []), **BUILT_IN_ROLES}
    c = counts["synthetic"]
    for part, role in FIELD_ROLES.items():
        if fmap.columns.get(part):
            extra[role] = fmap.columns[part]
    if fmap.columns.get("label") and not fmap.columns.get("gold"):
        extra["gold_answers"] = fmap.columns["label"]  # logic: the gold label
    if not extra.get("gold_answers") and (fmap.columns.get("tests") or fmap.columns.get("test_program")):
        # code: an executable spec stands for the gold answer (catalog note of reasoning.acc_verify)
        extra["gold_answers"] = f"tests ({fmap.columns.get('tests') or fmap.columns.get('test_program')})"
    if benchmark is not None:
        tables["benchmark"] = _as_table(benchmark, "benchmark", fmt, encoding, False)
        head = tables["benchmark"].frame()
        extra["benchmark"] = resolve_fields(list(head.columns), {}, None, tables["benchmark"].label)
    warnings = []
    if counts["synthetic"]["records"] and not any(counts["synthetic"][k] for k in ("with_gold", "with_tests")):
        warnings.append("no record has a gold answer or tests: verification metrics cannot run "
                        "(name the gold answer with --gold-field)")
    return AuditInputs(modality="reasoning", tables=tables, seed=seed, params=dict(params or {}), extra=extra,
                       warnings=warnings)


__all__ = ["DEFAULTS", "FIELD_ROLES", "TASKS", "Counts", "FieldMap", "Problem", "field", "field_map", "iter_problems",
           "parse_batch", "parse_row", "prepare_reasoning", "problems", "resolve_fields"]
