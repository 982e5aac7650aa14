"""The JSON section of ``synthaudit demo`` (survey sections 5.2-5.3), offline.

* Structured log events: the template-and-variable model fitted to the web-app logs of the logs section
  (:mod:`synthaudit.modalities.logs.demo`) writes 600 events as JSON Lines, checked against an event schema whose
  levels, components and templates are those of the real logs. The flawed copy has one flaw in 40 % of its documents
  (type change, missing required field, extra property, enum violation, broken syntax), made by ``generate json
  --method mutate``; valid-JSON and schema-correctness rates catch them, and the breakdown names the paths that fail
  with example values.
* A few events written by SmolLM2 for a short event schema with schema-constrained decoding (``generate json
  --method from_schema``).
* SmolLM2's answers from the tabular section, decoded under the rows' JSON Schema: the decoder enforces keys, types
  and enums token by token, not numeric ranges; the audit against the full schema shows what that leaves.
"""
from __future__ import annotations

import json
from typing import Any

N_EVENTS = 600
SHARE_FLAWED = 0.4
N_LLM_EVENTS = 6


def event_schema(model: Any) -> dict:
    """The JSON Schema of one structured log event, with the real logs' levels, components and templates."""
    levels = sorted({lv for t in model.templates for lv, _ in t.heads if lv is not None})
    components = sorted({c for t in model.templates for _, c in t.heads if c is not None})
    props: dict[str, Any] = {
        "seq": {"type": "integer", "minimum": 0},
        "level": {"enum": levels},
        "component": {"enum": components},
        "template": {"enum": sorted(t.template for t in model.templates)},
        "message": {"type": "string", "minLength": 1},
        "variables": {"type": "array", "items": {"type": "string"}},
    }
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "title": "structured log event",
            "type": "object", "properties": props, "required": ["seq", "level", "component", "template", "message",
                                                                 "variables"], "additionalProperties": False}


def section(ctx) -> list:
    from synthaudit.audit.api import audit
    from synthaudit.demo import DemoEntry, catch_text

    good, flawed, schema_path, schema = _events(ctx)
    common = dict(schema=str(schema_path), seed=ctx.seed, progress=ctx.progress)
    with ctx.step(f"json: audit of {N_EVENTS} structured log events against the event schema"):
        g = audit("json", synthetic=str(good), out=ctx.out / "json", **common)
    with ctx.step("json: audit of the flawed events (type changes, missing fields, broken syntax, ...)"):
        b = audit("json", synthetic=str(flawed), out=ctx.out / "json_flawed", **common)
    catch = catch_text(g, b, ["json.correctness_rate", "json.valid_json_rate"], "flawed copy")
    entries = [
        DemoEntry("json", "Structured log events from the fitted log model", "json/report.html", g,
                  f"{N_EVENTS} JSON events (level, component, template, message, variables) written by the "
                  "template-and-variable model fitted to the web app's logs; the schema's enums are the real "
                  "levels and templates", catch),
        DemoEntry("json", "Flawed events: one flaw in 40 % of them (on purpose)", "json_flawed/report.html", b,
                  "the same events; synthaudit generate json --method mutate put one flaw (type change, missing "
                  "required field, extra property, enum violation or broken syntax) into 40 % of them, each "
                  "checked to fail at its own path", catch)]
    entries.append(_llm_events(ctx, schema))
    llm = ctx.shared.get("llm_json")
    if llm and llm.get("answers"):
        entries.append(_llm_answers(ctx, llm))
    return entries


def _llm_events(ctx, full: dict):
    """SmolLM2 writes a few events for a short event schema (``generate json --method from_schema``): decoded
    within the schema token by token, validated after (bounds are not enforced while decoding) and retried."""
    from synthaudit.audit.api import audit
    from synthaudit.demo import DemoEntry
    from synthaudit.generate.json.from_schema import from_schema, tally

    short = {"type": "object", "properties": {k: full["properties"][k] for k in ("level", "component", "message")},
             "required": ["level", "component", "message"], "additionalProperties": False}
    path, short_path = ctx.out / "data" / "events_llm.jsonl", ctx.out / "data" / "event_short.schema.json"
    short_path.write_text(json.dumps(short, indent=1), encoding="utf-8")
    with ctx.step(f"json: {N_LLM_EVENTS} events from SmolLM2 with schema-constrained decoding (from_schema)"):
        recs = list(from_schema(ctx.llm(), N_LLM_EVENTS, ctx.seed, schema=short, max_tokens=60, retries=1,
                                batch=N_LLM_EVENTS, instructions="a log event of a small web shop"))
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in recs), encoding="utf-8")
    counts = tally(recs)
    with ctx.step("json: audit of the SmolLM2 events"):
        rep = audit("json", synthetic=str(path), schema=str(short_path), out=ctx.out / "json_events_llm",
                    seed=ctx.seed, progress=ctx.progress)
    correct, valid = rep.value("json.correctness_rate"), rep.value("json.valid_json_rate")
    catch = None
    if correct is not None and valid is not None:
        catch = (f"json.valid_json_rate {valid:.2f}, json.correctness_rate {correct:.2f}: "
                 + ("every answer that parses conforms to the schema (keys, types, enums)" if correct == valid else
                    "some answers parse but break the schema (see the paths)")
                 + ("; answers that ramble past the 60-token limit are cut off and do not parse" if valid < 1 else ""))
    return DemoEntry("json", "LLM events (SmolLM2, schema-constrained)", "json_events_llm/report.html", rep,
                     f"{N_LLM_EVENTS} events (level, component, message) written by SmolLM2 under the schema with "
                     f"the real levels and components: {counts['valid']} valid after {counts['retries']} "
                     "retries", catch)


def _events(ctx):
    from synthaudit.generate.json.from_schema import Mutate
    from synthaudit.generate.logs.templates import templates_method
    from synthaudit.modalities.logs.demo import fitted_log_model

    data = ctx.out / "data"
    model = fitted_log_model(ctx)  # records the web app's logs first (a step of its own)
    with ctx.step(f"json: {N_EVENTS} structured log events from the fitted log model; the flawed copy by mutation"):
        schema = event_schema(model)
        schema_path = data / "event.schema.json"
        schema_path.write_text(json.dumps(schema, indent=1), encoding="utf-8")
        docs = [{"seq": i, "level": r["Level"], "component": r["Component"], "template": r["EventTemplate"],
                 "message": r["Content"], "variables": [str(v) for v in r.get("variables") or []]}
                for i, r in enumerate(templates_method(None, N_EVENTS, ctx.seed + 7, fitted=model))]
        good = data / "events.jsonl"
        good.write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in docs), encoding="utf-8")
        flawed_recs = list(Mutate(ctx.seed, real=str(good), schema=schema, share=SHARE_FLAWED).run(N_EVENTS))
        flawed = data / "events_flawed.jsonl"
        flawed.write_text("".join(r["output"].replace("\n", " ") + "\n" for r in flawed_recs), encoding="utf-8")
    return good, flawed, schema_path, schema


def _llm_answers(ctx, llm: dict):
    from synthaudit.audit.api import audit
    from synthaudit.demo import DemoEntry

    data = ctx.out / "data"
    path, schema = data / "tabular_llm_answers.txt", data / "rows.schema.json"
    answers = [a for a in llm["answers"] if a is not None]
    path.write_text("".join(" ".join(a.split()) + "\n" for a in answers), encoding="utf-8")
    schema.write_text(json.dumps(llm["schema"], indent=1), encoding="utf-8")
    with ctx.step(f"json: audit of SmolLM2's {len(answers)} constrained answers from the tabular section"):
        rep = audit("json", synthetic=str(path), schema=str(schema), out=ctx.out / "json_llm", seed=ctx.seed,
                    progress=ctx.progress)
    valid, correct = rep.value("json.valid_json_rate"), rep.value("json.correctness_rate")
    catch = (f"json.valid_json_rate {valid:.2f} (the decoder enforces the syntax) vs json.correctness_rate "
             f"{correct:.2f} under the full schema (ranges are not enforced while decoding)"
             if valid is not None and correct is not None else None)
    return DemoEntry("json", "SmolLM2 answers under a JSON Schema (from the tabular section)", "json_llm/report.html",
                     rep, f"{len(answers)} of {llm['what']}, decoded under the rows' JSON Schema "
                     "(keys, types and enums enforced token by token)", catch)
