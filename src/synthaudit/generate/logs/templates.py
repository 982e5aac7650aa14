"""Template-and-variable log generation fitted from real logs (survey section 5.2, log data generation).

:func:`fit_logs` reads real logs and fits, per template:

* its **frequency** (the share of real messages with that template);
* the empirical distribution of its **levels and components** (sampled jointly, as observed together);
* for every ``<*>`` slot, the **values** observed there (:func:`synthaudit.data.log_templates.template_variables`
  reads them off each real message), with this smoothing (:class:`SlotModel`): a slot is *numeric* when every
  observed value holds a digit and most values are distinct (distinct values > half the observations:
  identifiers, block ids, addresses, sizes, times); a numeric value is drawn from the observed values and then
  every run of digits in it is redrawn uniformly within the observed range of that run (same value shape, same
  run position, same digit count, zero-padded to that count), so ``blk_-6952295868487656571`` stays a 19-digit
  block id and an address keeps each octet within its observed range. Any other slot is *categorical*: values are
  drawn from the observed ones with their frequencies (no value outside them).

Templates come from the real data's ground-truth template field (loghub's ``EventTemplate``) when it has one, else
from :func:`synthaudit.data.log_templates.parse_logs` (Drain3 by default). A real message its template does not
match gives no slot values (counted in the fit); a template none of whose messages matches is not sampled.

:func:`templates_method` (method ``templates``) samples one line per slot, seeded per slot: a template by frequency,
its level and component, and a value per slot; the line is the template with each ``<*>`` replaced. Flaws for
demos: ``collapse=K`` samples only the K most frequent templates (mode collapse); ``leak=p`` appends a user name,
an e-mail address and/or an IPv4 address to a share p of the lines (``injected`` gives their spans).
"""
from __future__ import annotations

import hashlib
import itertools
import json
import random
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Mapping, Sequence

from synthaudit.errors import InputError, UsageError
from synthaudit.generate.text.base import record_id, slot_seed

WILDCARD = "<*>"
COMPONENT_FIELDS = ("Component", "component", "module", "logger")
_DIGITS = re.compile(r"[0-9]+")  # ASCII digits (int() and zfill() keep them ASCII)
#: real messages kept per template as few-shot examples (LLM method)
EXAMPLES = 50
#: a slot is numeric when the share of distinct values exceeds this (and every value holds a digit)
NUMERIC_DISTINCT_SHARE = 0.5


@dataclass
class SlotModel:
    """The values observed at one ``<*>`` of a template and how new ones are drawn (see the module docstring)."""

    values: list[str]
    counts: list[int]
    numeric: bool
    #: (shape, run index, digit count) -> (lowest, highest) observed run value
    ranges: dict[tuple[str, int, int], tuple[int, int]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._cum = list(itertools.accumulate(self.counts))  # O(log k) draws with many distinct values

    @classmethod
    def fit(cls, observed: Sequence[str]) -> "SlotModel":
        counter = Counter(observed)
        values, counts = list(counter), list(counter.values())
        numeric = bool(observed) and all(_DIGITS.search(v) for v in values) and \
            len(values) > NUMERIC_DISTINCT_SHARE * len(observed)
        ranges: dict[tuple[str, int, int], tuple[int, int]] = {}
        if numeric:
            for v in values:
                shape = _shape(v)
                for i, run in enumerate(_DIGITS.findall(v)):
                    key, x = (shape, i, len(run)), int(run)
                    lo, hi = ranges.get(key, (x, x))
                    ranges[key] = (min(lo, x), max(hi, x))
        return cls(values, counts, numeric, ranges)

    def sample(self, rng: random.Random) -> str:
        v = rng.choices(self.values, cum_weights=self._cum)[0]
        if not self.numeric:
            return v
        shape, runs = _shape(v), itertools.count()

        def redraw(m: re.Match) -> str:
            width = len(m.group(0))
            lo, hi = self.ranges[(shape, next(runs), width)]
            return str(rng.randint(lo, hi)).zfill(width)

        return _DIGITS.sub(redraw, v)

    def describe(self) -> dict[str, Any]:
        return {"kind": "numeric" if self.numeric else "categorical", "distinct": len(self.values),
                "observed": sum(self.counts)}


def _shape(value: str) -> str:
    """The value with each run of digits replaced by '#': values of one shape share digit-run ranges."""
    return _DIGITS.sub("#", value)


@dataclass
class TemplateModel:
    """One template: how often it occurs, its (level, component) pairs and a :class:`SlotModel` per ``<*>``."""

    template: str
    count: int
    heads: list[tuple[str | None, str | None]]
    head_counts: list[int]
    slots: list[SlotModel]
    unmatched: int = 0  # real messages of this template it does not match
    examples: list[str] = field(default_factory=list)  # the first real messages of it (few-shot prompts)

    def __post_init__(self) -> None:
        self.head_cum = list(itertools.accumulate(self.head_counts))

    def head(self, rng: random.Random) -> tuple[str | None, str | None]:
        """A (level, component) pair drawn by its observed frequency."""
        return rng.choices(self.heads, cum_weights=self.head_cum)[0]

    def line(self, variables: Sequence[str]) -> str:
        """The template with its ``<*>`` replaced by ``variables`` in order."""
        parts = self.template.split(WILDCARD)
        out = [parts[0]]
        for value, part in zip(variables, parts[1:]):
            out += [value, part]
        return "".join(out)


@dataclass
class LogModel:
    """The fitted generator: templates with frequencies (most frequent first) and where the fit came from."""

    templates: list[TemplateModel]
    source: str
    template_source: str  # "field EventTemplate" or the parser's label
    n_messages: int
    notes: dict[str, Any] = field(default_factory=dict)
    real_lines: frozenset[str] = frozenset()  # every real message (to flag generated lines that copy one)

    def restrict(self, collapse: int | None) -> list[TemplateModel]:
        """The templates sampled: all, or the ``collapse`` most frequent."""
        return self.templates if not collapse else self.templates[:int(collapse)]

    def fingerprint(self, **opts: Any) -> str:
        """A short hash of the fit and the options that change the content (a resumed run must match it)."""
        body = json.dumps([[t.template, t.count, t.head_counts, [s.counts for s in t.slots]] for t in self.templates]
                          + [sorted((k, str(v)) for k, v in opts.items())], sort_keys=True)
        return hashlib.sha256(body.encode("utf-8")).hexdigest()[:16]

    def describe(self) -> dict[str, Any]:
        return {"source": self.source, "templates_from": self.template_source, "n_messages": self.n_messages,
                "n_templates": len(self.templates), **self.notes}


# -- fitting ---------------------------------------------------------------------------------------------
def load_real_logs(real: Any, *, log_format: str | None = None, content_field: str | None = None,
                   template_field: str | None = None) -> tuple[list[dict[str, Any]], str, str | None]:
    """The real messages as rows {content, template, level, component} (template None when the data has none),
    the source label and the template field used."""
    from synthaudit.data.logs import as_table, make_spec

    if real is None:
        raise UsageError("template generation is fitted to real logs", field="--real",
                         hint="pass a .log file (with --log-format) or loghub's *_structured.csv")
    if isinstance(real, (str, Path)) and not Path(real).exists():
        raise InputError("file not found", file=str(real), field="--real")
    table, _ = as_table(real, "real", log_format=log_format)
    spec = make_spec(table, content_field=content_field, fields={"reference": template_field})
    frame = table.frame()
    cols = [str(c) for c in frame.columns]
    comp = next((c for c in COMPONENT_FIELDS if c in cols), None)
    rows = []
    for rec in frame.to_dict("records"):
        rows.append({"content": _text(rec.get(spec.content)),
                     "template": _text(rec.get(spec.reference), squeeze=True) if spec.reference else None,
                     "level": _text(rec.get(spec.level)) if spec.level else None,
                     "component": _text(rec.get(comp)) if comp else None})
    return rows, str(table.path or table.label), spec.reference


def _text(v: Any, squeeze: bool = False) -> str | None:
    """A field as stripped text (None when missing or blank); ``squeeze``: whitespace runs as one space."""
    from synthaudit.data.files import is_missing

    if is_missing(v):
        return None
    text = " ".join(str(v).split()) if squeeze else str(v).strip()
    return text or None


def fit_logs(real: Any, *, log_format: str | None = None, content_field: str | None = None,
             template_field: str | None = None, parser: str = "drain3", templates: Any = None,
             parser_config: Any = None) -> LogModel:
    """Fit a :class:`LogModel` to real logs (see the module docstring). ``parser``/``templates``/
    ``parser_config`` set the parser used when the data has no template field."""
    from synthaudit.data.log_templates import ParserConfig, parse_logs, template_variables

    rows, source, tfield = load_real_logs(real, log_format=log_format, content_field=content_field,
                                          template_field=template_field)
    config = ParserConfig.from_options(parser, templates, parser_config)  # checked even when not needed
    rows = [r for r in rows if r["content"]]
    if not rows:
        raise InputError("has no log message", file=source, field="--real")
    if tfield is not None and all(r["template"] for r in rows):
        how = f"field {tfield}"
    else:
        parsed = parse_logs([r["content"] for r in rows], config)
        for r, t in zip(rows, parsed.templates):
            r["template"] = t
        how = parsed.method
    by: dict[str, list[dict]] = {}
    for r in rows:
        by.setdefault(" ".join(str(r["template"]).split()), []).append(r)
    models, dropped, unmatched = [], [], 0
    for template, members in by.items():
        values: list[list[str]] = [[] for _ in range(template.count(WILDCARD))]
        bad, examples = 0, []
        for r in members:
            found = template_variables(template, r["content"])
            if found is None:
                bad += 1
                continue
            if len(examples) < EXAMPLES:
                examples.append(r["content"])
            for slot, v in zip(values, found):
                slot.append(v)
        unmatched += bad
        if bad == len(members):
            dropped.append(template)
            continue
        heads = Counter((r["level"], r["component"]) for r in members)
        models.append(TemplateModel(template, len(members), list(heads), list(heads.values()),
                                    [SlotModel.fit(v) for v in values], bad, examples))
    if not models:
        raise InputError("no real message matches its template: nothing to fit", file=source, field="--real")
    models.sort(key=lambda t: -t.count)  # stable: ties keep their order of first appearance
    notes = {"unmatched_messages": unmatched}
    if dropped:
        notes["templates_not_sampled"] = len(dropped)
    return LogModel(models, source, how, len(rows), notes, frozenset(r["content"] for r in rows))


# -- sampling --------------------------------------------------------------------------------------------
_FIRST = ("alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy", "mallory", "oscar")
_LAST = ("smith", "jones", "miller", "garcia", "nguyen", "schmidt", "rossi", "tanaka", "kowalski", "dubois")
_DOMAINS = ("example.com", "mail.example.org", "corp.example.net", "example.co.uk")


def leak_fragment(rng: random.Random, start: int) -> tuple[str, list[dict[str, Any]]]:
    """Text appended to a line to leak personal data (a user name, an e-mail address and/or an IPv4 address; at
    least one, seeded) and the spans it adds, with offsets from ``start`` (the line's length)."""
    first, last = rng.choice(_FIRST), rng.choice(_LAST)
    items = [("user_name", "user=", f"{first[0]}{last}"),
             ("email", "email=", f"{first}.{last}@{rng.choice(_DOMAINS)}"),
             ("ipv4", "client=", f"{rng.randint(11, 223)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}."
                                  f"{rng.randint(1, 254)}")]
    keep = [it for it in items if rng.random() < 0.6] or [rng.choice(items)]
    text, spans = " [", []
    for i, (kind, key, value) in enumerate(keep):
        text += ("" if i == 0 else " ") + key
        begin = start + len(text)
        text += value
        spans.append({"type": kind, "start": begin, "end": begin + len(value), "text": value})
    return text + "]", spans


def sample_line(model: TemplateModel, rng: random.Random) -> dict[str, Any]:
    """One line of a template: {Content, EventTemplate, Level, Component, variables}."""
    level, component = model.head(rng)
    variables = [slot.sample(rng) for slot in model.slots]
    return {"Content": model.line(variables), "EventTemplate": model.template, "Level": level,
            "Component": component, "variables": variables}


def pick_template(templates: Sequence[TemplateModel], rng: random.Random,
                  cum: Sequence[int] | None = None) -> TemplateModel:
    """A template drawn by frequency (``cum``: the cumulative counts, when precomputed)."""
    return rng.choices(templates, cum_weights=cum or list(itertools.accumulate(t.count for t in templates)))[0]


def check_flaws(collapse: Any, leak: Any) -> tuple[int | None, float]:
    if collapse is not None and (isinstance(collapse, bool) or not isinstance(collapse, int) or collapse < 1):
        raise UsageError(f"expected a number of templates >= 1, got {collapse!r}", field="--collapse")
    try:
        share = float(leak or 0.0)
    except (TypeError, ValueError):
        raise UsageError(f"expected a share between 0 and 1, got {leak!r}", field="--leak") from None
    if not 0.0 <= share <= 1.0:
        raise UsageError(f"expected a share between 0 and 1, got {leak!r}", field="--leak")
    return collapse, share


def templates_method(client: Any, n: int, seed: int = 0, *, done: Mapping[str, dict] | None = None,
                     max_attempts: int | None = None, real: Any = None, fitted: LogModel | None = None,
                     collapse: int | None = None, leak: float = 0.0, **fit_opts: Any) -> Iterator[dict]:
    """Runner records ``{id, method, index, seed, model: None, Content, EventTemplate, Level, Component,
    variables, injected, fit}`` for slots 0..n-1 not in ``done`` (slot i draws from its own seeded generator, so a
    resumed run writes what an uninterrupted one would); a file made with another fit is refused on resume.
    ``client`` is unused (no model); ``fitted``: an already fitted :class:`LogModel` (else fitted to ``real``)."""
    collapse, share = check_flaws(collapse, leak)
    fitted = fitted if fitted is not None else fit_logs(real, **{k: v for k, v in fit_opts.items() if k in (
        "log_format", "content_field", "template_field", "parser", "templates", "parser_config")})
    pool = fitted.restrict(collapse)
    cum = list(itertools.accumulate(t.count for t in pool))
    fit = fitted.fingerprint(collapse=collapse, leak=share)
    done = done or {}
    for rec in done.values():
        if rec.get("fit") != fit:
            raise UsageError(f"holds lines of another fit ({rec.get('fit')}, not {fit})", field="--out",
                             hint="use the same --real and options, another --out, or --no-resume")
    for index in range(int(n)):
        rid = record_id("templates", seed, index)
        if rid in done:
            continue
        rng = random.Random(slot_seed("templates", seed, index))
        rec = {"id": rid, "method": "templates", "index": index, "seed": seed, "model": None,
               **sample_line(pick_template(pool, rng, cum), rng), "injected": [], "fit": fit}
        if share and rng.random() < share:
            text, spans = leak_fragment(rng, len(rec["Content"]))
            rec["Content"] += text
            rec["injected"] = spans
        yield rec
