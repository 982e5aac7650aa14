"""LLM-written log lines given templates (survey section 5.2, log data generation).

Each slot draws a template (by its frequency in the real logs fitted by
:func:`synthaudit.generate.logs.templates.fit_logs`, or uniformly from a ``--templates`` file) and asks the
shared LLM client for one realistic log line that fits it, optionally showing ``shots`` real lines of that
template. The answer's first non-empty line (quotes, code fences and a leading label such as ``Log line:``
removed) is checked against the template: the template read as a regex
(:func:`synthaudit.data.log_templates.template_variables`: static text as written, whitespace runs as any
whitespace, each ``<*>`` one or more characters starting and ending with a non-space). ``status`` is ``valid``
when it matches (``variables`` then holds the values at the ``<*>``), else ``invalid``; an answer equal to a real
line (any line of the fitted logs) is marked ``copied``. Invalid answers stay records (an audit counts them) unless
``drop_invalid`` makes them rejects; endpoint failures are rejects (``llm_error``, retried on resume).

Records: ``{id, method, Content, EventTemplate, status, response, variables, Level, Component, copied}``
(Level and Component drawn from the template's observed pairs when the real logs have them).
"""
from __future__ import annotations

import itertools
import re
from typing import Any, Iterator, Mapping, Sequence

from synthaudit.errors import UsageError
from synthaudit.generate.logs.templates import LogModel, TemplateModel, fit_logs
from synthaudit.generate.text.base import Slot, clean_line, slot_loop
from synthaudit.models.llm import Completion, LLMClient

PROMPT_VERSION = "1"
#: a leading label removed from an answer ("Here is the new log line:", "Log line:", "Output:")
_LABELS = (r"^(?:here(?:'s| is)\b[^:\n]*|(?:the |a |an |one )?(?:new |realistic )*(?:log )?"
           r"(?:line|message|entry|output|answer))\s*:\s*",)
_FENCE = re.compile(r"```[^\n`]*\n?(.*?)(?:```|\Z)", re.S)


def answer_line(text: str) -> str:
    """The log line in a model answer: the first code fence's content (else the text), its first non-empty
    line without surrounding quotes/backticks or a leading label."""
    m = _FENCE.search(text or "")
    body = m.group(1) if m else (text or "")
    return clean_line(body, _LABELS).strip("`").strip()


def templates_only(templates: Any) -> LogModel:
    """A model from templates alone (a --templates file or list): uniform frequencies, no level, component or
    example lines."""
    from synthaudit.data.log_templates import ParserConfig

    config = ParserConfig.from_options("templates", templates, None)
    models = [TemplateModel(t, 1, [(None, None)], [1], []) for t in config.templates]
    return LogModel(models, config.source or "templates", "given templates", 0)


class LLMLogs:
    """The slot loop of the ``llm`` log method (see the module docstring)."""

    name = "llm"

    def __init__(self, client: LLMClient, seed: int = 0, *, model: LogModel, shots: int = 2,
                 system: str | None = None, max_tokens: int = 96, temperature: float = 0.7, concurrency: int = 4,
                 batch: int = 8, drop_invalid: bool = False) -> None:
        self.client, self.seed, self.model = client, int(seed), model
        self.shots = max(0, int(shots))
        self.system = system
        self.max_tokens, self.temperature = int(max_tokens), float(temperature)
        self.concurrency, self.batch, self.drop_invalid = int(concurrency), max(1, int(batch)), bool(drop_invalid)
        self.cum = list(itertools.accumulate(t.count for t in model.templates))
        self.real_lines = model.real_lines
        self.fit = model.fingerprint(shots=self.shots, system=self.system)

    def prompt(self, template: str, shown: Sequence[str]) -> str:
        where = f" of {self.system}" if self.system else ""
        text = (f"Write one new log line{where} like these examples. Keep the fixed text of the template and change "
                f"only the parts marked <*>.\nTemplate: {template}\n")
        if shown:
            text += "Examples:\n" + "\n".join(shown) + "\n"
        return text + "Answer with the new log line only."

    def make(self, slots: list[Slot]) -> list[dict]:
        from synthaudit.data.log_templates import template_variables
        from synthaudit.generate.logs.templates import pick_template

        recs = []
        for slot in slots:
            tm = pick_template(self.model.templates, slot.rng, self.cum)
            level, component = tm.head(slot.rng)
            pool = tm.examples
            shown = slot.rng.sample(pool, min(self.shots, len(pool)))
            recs.append({"id": slot.id, "method": self.name, "index": slot.index, "seed": self.seed,
                         "model": getattr(self.client, "model", None), "prompt_version": PROMPT_VERSION,
                         "EventTemplate": tm.template, "Level": level, "Component": component, "examples": shown,
                         "fit": self.fit, "prompt": self.prompt(tm.template, shown)})
        reqs = [{"messages": [{"role": "user", "content": r["prompt"]}], "temperature": self.temperature,
                 "max_tokens": self.max_tokens, "seed": s.seed} for r, s in zip(recs, slots)]
        comps: list[Completion] = self.client.chat_many(reqs, concurrency=self.concurrency) if reqs else []
        for rec, comp in zip(recs, comps):
            del rec["prompt"]
            if not comp.ok:
                rec.update(rejected=f"llm_error: {comp.error}", response=None)
                continue
            line = answer_line(comp.text)
            found = template_variables(rec["EventTemplate"], line) if line else None
            rec.update(response=comp.text, Content=line, status="valid" if found is not None else "invalid",
                       variables=found, copied=line in self.real_lines)
            if found is None:
                rec["invalid"] = "empty answer" if not line else "does not match the template"
                if self.drop_invalid:
                    rec["rejected"] = f"invalid: {rec['invalid']}"
        return recs

    def run(self, n: int, done: Mapping[str, dict] | None = None, max_attempts: int | None = None) -> Iterator[dict]:
        done = done or {}
        for rec in done.values():
            if rec.get("fit") != self.fit:
                raise UsageError(f"holds lines of another fit ({rec.get('fit')}, not {self.fit})", field="--out",
                                 hint="use the same --real/--templates, another --out, or --no-resume")

        def batch(slots: list[Slot]) -> list[dict]:
            todo = [s for s in slots if s.id not in done]
            made = dict(zip((s.id for s in todo), self.make(todo))) if todo else {}
            return [done.get(s.id) or made[s.id] for s in slots]

        yield from slot_loop(self.name, self.seed, n, self.batch, batch, done, max_attempts)


def fitted_for_llm(real: Any = None, templates: Any = None, **fit_opts: Any) -> LogModel:
    """The templates to prompt with (and their real example lines): fitted to ``real`` when given (templates from
    the data, else from the parser: ``--parser templates --templates FILE`` or Drain3), else the ``templates``
    file alone (uniform frequencies)."""
    if real is None:
        if templates is None:
            raise UsageError("LLM log lines need templates", field="--real",
                             hint="pass real logs (--real) or a template file (--templates)")
        return templates_only(templates)
    return fit_logs(real, templates=templates, **fit_opts)


def llm_logs(client: LLMClient, n: int, seed: int = 0, *, done: Mapping[str, dict] | None = None,
             max_attempts: int | None = None, real: Any = None, templates: Any = None, **opts: Any) -> Iterator[dict]:
    """LLM log lines checked against their templates (see :class:`LLMLogs`)."""
    fit_keys = ("log_format", "content_field", "template_field", "parser", "parser_config")
    model = opts.get("fitted") or fitted_for_llm(real, templates, **{k: v for k, v in opts.items() if k in fit_keys})
    keep = {k: v for k, v in opts.items() if k in ("shots", "system", "max_tokens", "temperature", "concurrency",
                                                   "batch", "drop_invalid")}
    return LLMLogs(client, seed, model=model, **keep).run(n, done, max_attempts)
