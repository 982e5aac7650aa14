"""The text section of ``synthaudit demo`` (survey section 2): 100 instruction/response records whose responses
SmolLM2 writes offline (instructions from topic x task templates, answers batched on the local model and kept in
the response cache), audited against real Self-Instruct seed tasks when the shared data folder is beside the
checkout; beside them a flawed copy with duplicated and truncated records, which the curation checks catch."""
from __future__ import annotations

import json
import re
from pathlib import Path

N_RECORDS = 100
TOPICS = ["baking bread", "saving money", "learning a language", "growing tomatoes", "sleeping well",
          "writing a cover letter", "recycling at home", "planning a trip", "reading more books", "running a meeting",
          "caring for a cat", "starting to run", "cooking rice", "using a budget app", "keeping a journal"]
TASKS = ["Explain {t} to a beginner in two sentences.", "Give one practical tip about {t}.",
         "What is the most common mistake people make when {t}? Answer briefly.",
         "List three things to know about {t}.", "Why does {t} matter? Answer in two sentences.",
         "Describe the first step of {t}.", "Write a short, friendly reminder about {t}.",
         "Summarise the benefits of {t} in one sentence."]
#: the checks that catch the flawed copy (and that the good data should pass)
CURATION = ["text.ext.exact_duplicate_rate", "text.ext.near_duplicate_rate", "text.ext.truncation_rate",
            "text.ext.empty_rate", "text.distinct_n", "text.ttr"]
_SENTENCE_END = re.compile(r"[.!?…](?:[\"')\]]*)(?=\s|$)")


def whole_sentences(text: str) -> str:
    """The text up to its last complete sentence (a generation cut by the token limit ends mid-sentence)."""
    text = text.strip()
    ends = list(_SENTENCE_END.finditer(text))
    return text[:ends[-1].end()] if ends else text


def section(ctx) -> list:
    from synthaudit.audit.api import audit
    from synthaudit.demo import DemoEntry, catch_text

    records = text_records(ctx)
    flawed = _flawed(ctx, records)
    real = _real_text(ctx.out)
    with ctx.step(f"text: audit of {N_RECORDS} SmolLM2 records (embeddings, LM and toxicity models, offline)"):
        good = audit("text", synthetic=records, real=real, field="response", prompt_field="instruction",
                     seed=ctx.seed, out=ctx.out / "text", progress=ctx.progress,
                     params={"text.gar": {"max_records": 8}, "text.perplexity": {"max_records": 40}})
    with ctx.step("text: curation checks on the flawed copy (duplicates, truncated answers)"):
        bad = audit("text", synthetic=flawed, field="response", prompt_field="instruction", metrics=CURATION,
                    seed=ctx.seed, out=ctx.out / "text_flawed", progress=ctx.progress)
    catch = catch_text(good, bad, CURATION, "flawed copy")
    return [DemoEntry("text", "SmolLM2 instruction/response records", "text/report.html", good,
                      f"{N_RECORDS} records: template instructions ({len(TOPICS)} topics x {len(TASKS)} tasks), "
                      "responses by SmolLM2-135M-Instruct" + (", compared with Self-Instruct's seed tasks"
                                                               if real else ""), catch),
            DemoEntry("text", "Flawed copy: duplicated and truncated records (on purpose)", "text_flawed/report.html",
                      bad, f"the same {N_RECORDS} records with 20 replaced by duplicates and 20 answers cut "
                      "mid-sentence", catch)]


def text_records(ctx) -> Path:
    """The generated records (made once per tour; the LLM's answers are cached across runs)."""
    if "text_records" in ctx.shared:
        return ctx.shared["text_records"]
    import numpy as np


    path = ctx.out / "data" / "text_generated.jsonl"
    rng = np.random.default_rng(ctx.seed)
    pairs = [(t, k) for t in TOPICS for k in TASKS]
    chosen = [pairs[i] for i in rng.permutation(len(pairs))[:N_RECORDS]]
    with ctx.step(f"text: SmolLM2 writes {N_RECORDS} responses (batched on the CPU, cached)"):
        client = ctx.llm()
        instructions = [task.format(t=topic) for topic, task in chosen]
        outs = client.chat_many([{"messages": [{"role": "user", "content": ins}], "temperature": 0.7,
                                  "max_tokens": 36, "seed": ctx.seed + i} for i, ins in enumerate(instructions)])
        with open(path, "w", encoding="utf-8") as fh:
            for i, ((topic, _), ins, out) in enumerate(zip(chosen, instructions, outs)):
                fh.write(json.dumps({"id": f"demo-text-{i:03d}", "topic": topic, "instruction": ins,
                                     "response": whole_sentences(out.text), "model": "smollm2"},
                                    ensure_ascii=False) + "\n")
        ctx.echo(f"demo: {client.usage.summary()}")
    ctx.shared["text_records"] = path
    return path


def _flawed(ctx, records: Path) -> Path:
    """A copy with 20 records replaced by duplicates of others and 20 answers cut mid-sentence."""
    import numpy as np

    rows = [json.loads(line) for line in records.read_text(encoding="utf-8").splitlines()]
    rng = np.random.default_rng(ctx.seed + 1)
    order = rng.permutation(len(rows))
    dup_targets, cut_targets = order[:20], order[20:40]
    for k, i in enumerate(dup_targets):
        rows[i] = {**rows[order[40 + k]], "id": rows[i]["id"]}
    for i in cut_targets:
        words = rows[i]["response"].split()
        rows[i] = {**rows[i], "response": " ".join(words[:max(2, int(len(words) * 0.6))]).rstrip(".!?,;:")}
    path = ctx.out / "data" / "text_flawed.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def _real_text(out: Path) -> Path | None:
    """Real instruction/response pairs: Self-Instruct's seed tasks from the shared data folder beside a source
    checkout (None when it is not there: the fidelity metrics that need real text become gaps)."""
    from synthaudit.generate.text.self_instruct import DEFAULT_SEED_TASKS, load_seed_tasks

    if not DEFAULT_SEED_TASKS.is_file():
        return None
    path = out / "data" / "text_real.jsonl"
    with open(path, "w", encoding="utf-8") as fh:
        for task in load_seed_tasks(DEFAULT_SEED_TASKS):
            for inst in task.get("instances") or []:
                if inst.get("output"):
                    fh.write(json.dumps({"instruction": task["instruction"], "response": inst["output"]},
                                        ensure_ascii=False) + "\n")
    return path
