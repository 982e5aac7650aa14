"""The logs section of ``synthaudit demo`` (survey sections 5.2-5.3), offline.

The real logs are recorded from a small web application served by Python's ``http.server`` on the loopback
interface under a seeded client (:mod:`synthaudit.modalities.logs.webapp`): access lines, API, search and login
messages, 404s and 501s, with ground-truth templates from the logging calls' format strings. A template-and-variable
generator fitted to them writes the synthetic logs; the flawed copy is what a careless generator gives: it
collapsed onto the three most frequent templates and appends user names, e-mail addresses and IP addresses to a
third of its lines. Drain3 parses both; PA/GA (loghub-2.0) show which lines no longer fit the templates they claim,
and exposure counts the sensitive spans left. A few SmolLM2 lines written for the real templates are audited too.
"""
from __future__ import annotations

import json

N_REQUESTS = 600  # requests served to record the real logs (about 1,000 lines)
N_LINES = 1000  # synthetic lines per variant
N_LLM = 12  # SmolLM2 lines
METRICS = ["logs.parsing_accuracy", "logs.grouping_accuracy", "logs.fga", "logs.fta", "logs.variable_prf",
           "logs.bleu", "logs.rouge", "logs.level_accuracy", "logs.exposure"]


def webapp_logs(ctx):
    """The real web-app logs as a CSV file (recorded once per tour; the JSON section reads them too)."""
    path = ctx.out / "data" / "logs_real.csv"
    if "webapp_logs" not in ctx.shared:
        import pandas as pd

        from synthaudit.modalities.logs.webapp import record_logs

        with ctx.step(f"logs: record the logs of a web app (http.server) serving {N_REQUESTS} seeded requests"):
            rows = record_logs(N_REQUESTS, seed=ctx.seed)
            frame = pd.DataFrame(rows).drop(columns=["variables"])
            frame.insert(0, "LineId", range(1, len(frame) + 1))
            frame.to_csv(path, index=False)
        ctx.shared["webapp_logs"] = path
    return ctx.shared["webapp_logs"]


def fitted_log_model(ctx):
    """The template-and-variable model fitted to the web-app logs (shared with the JSON section)."""
    if "log_model" not in ctx.shared:
        from synthaudit.generate.logs.templates import fit_logs

        ctx.shared["log_model"] = fit_logs(str(webapp_logs(ctx)))
    return ctx.shared["log_model"]


def section(ctx) -> list:
    from synthaudit.audit.api import audit
    from synthaudit.demo import DemoEntry, catch_text

    real = webapp_logs(ctx)
    good, flawed = _generated(ctx)
    common = dict(real=str(real), seed=ctx.seed, progress=ctx.progress)
    with ctx.step(f"logs: audit of {N_LINES} lines from templates fitted to the web-app logs"):
        g = audit("logs", synthetic=str(good), out=ctx.out / "logs", metrics=METRICS, **common)
    with ctx.step("logs: audit of the flawed copy (collapsed templates, leaked user names, e-mails and IPs)"):
        b = audit("logs", synthetic=str(flawed), out=ctx.out / "logs_flawed", metrics=METRICS, **common)
    entries = [
        DemoEntry("logs", "Lines from templates fitted to a web app's logs", "logs/report.html", g,
                  f"{N_LINES} lines: each template drawn with its real frequency, its level and component, and "
                  f"every variable from the values seen there (numbers redrawn within their ranges); the real logs "
                  f"are {fitted_log_model(ctx).n_messages} lines from Python's http.server serving {N_REQUESTS} "
                  "seeded requests",
                  None),
        DemoEntry("logs", "Flawed copy: collapsed templates, leaked identities (on purpose)",
                  "logs_flawed/report.html", b, f"{N_LINES} lines from the three most frequent templates only; a "
                  "third of them end with a user name, an e-mail address and/or an IP address", None)]
    catch = "; ".join(c for c in (catch_text(g, b, [m], "flawed copy")
                                  for m in ("logs.exposure", "logs.grouping_accuracy")) if c) or None
    refs = {m: g.result(m).reference for m in ("logs.exposure", "logs.grouping_accuracy")}
    if catch and all(v is not None for v in refs.values()):  # what the real logs themselves score (--real)
        catch += (f" (the real logs themselves: exposure {refs['logs.exposure']:.3g}, grouping accuracy "
                  f"{refs['logs.grouping_accuracy']:.3g} with Drain3)")
    for e in entries:
        e.catch = catch
    entries.append(_llm_lines(ctx, real))
    return entries


def _generated(ctx):
    from synthaudit.generate.logs.templates import templates_method

    model = fitted_log_model(ctx)
    data = ctx.out / "data"
    with ctx.step(f"logs: {N_LINES} lines from the fitted templates; {N_LINES} collapsed and leaky ones"):
        good = list(templates_method(None, N_LINES, ctx.seed, fitted=model))
        flawed = list(templates_method(None, N_LINES, ctx.seed + 1, fitted=model, collapse=3, leak=1 / 3))
    paths = []
    for name, rows in (("logs_templates.jsonl", good), ("logs_flawed.jsonl", flawed)):
        (data / name).write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
        paths.append(data / name)
    return tuple(paths)


def _llm_lines(ctx, real):
    from synthaudit.audit.api import audit
    from synthaudit.demo import DemoEntry
    from synthaudit.generate.logs.llm_logs import llm_logs

    path = ctx.out / "data" / "logs_llm.jsonl"
    with ctx.step(f"logs: {N_LLM} SmolLM2 lines, one per drawn real template, checked against it"):
        recs = list(llm_logs(ctx.llm(), N_LLM, ctx.seed, fitted=fitted_log_model(ctx), max_tokens=40, shots=1,
                             batch=N_LLM))
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in recs), encoding="utf-8")
    valid = sum(r.get("status") == "valid" for r in recs)
    with ctx.step("logs: audit of the SmolLM2 lines"):
        rep = audit("logs", synthetic=str(path), real=str(real), out=ctx.out / "logs_llm", seed=ctx.seed,
                    progress=ctx.progress, metrics=METRICS)
    pa = rep.value("logs.parsing_accuracy")
    return DemoEntry("logs", "LLM log lines (SmolLM2) for the real templates", "logs_llm/report.html", rep,
                     f"{N_LLM} lines, each written by SmolLM2 for one real template drawn by frequency (one real "
                     f"line shown as an example); {valid} fit their template",
                     f"{valid} of {N_LLM} lines fit the template they were written for; logs.parsing_accuracy "
                     f"{pa:.2f}" if pa is not None else None)
