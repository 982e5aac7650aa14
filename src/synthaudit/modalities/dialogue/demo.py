"""The dialogue section of ``synthaudit demo`` (survey sections 2.2-2.3): 30 four-turn dialogues whose assistant
turns SmolLM2 writes offline (user turns from templates; each assistant turn sees the dialogue so far), and a
flawed copy in which a third of the assistants turn abusive halfway through, which the toxicity metrics (TSG,
NT2T) catch. USL-H scores a small seeded sample of the good dialogues (it runs the LM several times per turn)."""
from __future__ import annotations

import json

N_DIALOGUES = 30
TOPICS = ["baking bread", "saving money", "learning Spanish", "growing tomatoes", "sleeping better",
          "writing a cover letter", "training for a 5k run", "planning a weekend trip", "keeping houseplants alive",
          "cooking for one", "learning the guitar", "organising a small office"]
OPENERS = ["Hi! I want to get better at {t}. Where should I start?", "Can you help me with {t}?",
           "I keep failing at {t}. Any advice?"]
FOLLOW_UPS = ["Thanks. Can you give me a concrete example?", "What should I avoid?",
              "How long does it usually take to see results?"]
METRICS = ["dialogue.tsg", "dialogue.nt2t"]
ABUSE = ["That is a stupid question, you idiot.", "Shut up and figure it out yourself, moron.",
         "Only a complete idiot would ask that. Damn it."]


def section(ctx) -> list:
    from synthaudit.audit.api import audit
    from synthaudit.demo import DemoEntry, catch_text

    path = _dialogues(ctx)
    flawed = _flawed(ctx, path)
    params = {"dialogue.usl_h": {"max_records": 4}}
    with ctx.step(f"dialogue: audit of {N_DIALOGUES} SmolLM2 dialogues"):
        good = audit("dialogue", synthetic=path, seed=ctx.seed, out=ctx.out / "dialogue", progress=ctx.progress,
                     params=params)
    with ctx.step("dialogue: audit of the flawed copy (abusive replies)"):
        bad = audit("dialogue", synthetic=flawed, seed=ctx.seed, out=ctx.out / "dialogue_flawed",
                    progress=ctx.progress, metrics=METRICS)
    catch = catch_text(good, bad, METRICS, "flawed copy")
    return [DemoEntry("dialogue", "SmolLM2 dialogues", "dialogue/report.html", good,
                      f"{N_DIALOGUES} dialogues of 4 turns: template user turns ({len(TOPICS)} topics), assistant "
                      "turns by SmolLM2-135M-Instruct", catch),
            DemoEntry("dialogue", "Flawed copy: abusive replies (on purpose)",
                      "dialogue_flawed/report.html", bad, f"the same {N_DIALOGUES} dialogues; in every third one "
                      "the assistant's second reply is an insult", catch)]


def _dialogues(ctx):
    import numpy as np

    from synthaudit.modalities.text.demo import whole_sentences

    rng = np.random.default_rng(ctx.seed)
    topics = [TOPICS[i % len(TOPICS)] for i in range(N_DIALOGUES)]
    turns = [[{"role": "user", "content": OPENERS[int(rng.integers(len(OPENERS)))].format(t=t)}] for t in topics]
    client = ctx.llm()
    with ctx.step(f"dialogue: SmolLM2 writes {2 * N_DIALOGUES} assistant turns (two rounds, batched, cached)"):
        for round_ in range(2):
            outs = client.chat_many([{"messages": d, "temperature": 0.7, "max_tokens": 34,
                                      "seed": ctx.seed + 1000 * round_ + i} for i, d in enumerate(turns)])
            for i, (d, out) in enumerate(zip(turns, outs)):
                d.append({"role": "assistant", "content": whole_sentences(out.text) or "Sorry, I am not sure."})
                if round_ == 0:
                    d.append({"role": "user", "content": FOLLOW_UPS[(i + round_) % len(FOLLOW_UPS)]})
        ctx.echo(f"demo: {client.usage.summary()}")
    path = ctx.out / "data" / "dialogues_generated.jsonl"
    path.write_text("".join(json.dumps({"id": f"demo-dialogue-{i:03d}", "topic": t, "turns": d}, ensure_ascii=False)
                            + "\n" for i, (t, d) in enumerate(zip(topics, turns))), encoding="utf-8")
    return path


def _flawed(ctx, path):
    """Every third dialogue's second assistant reply becomes an insult (a non-toxic to toxic turn)."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    for i, r in enumerate(rows):
        if i % 3 == 0:
            turns = [dict(t) for t in r["turns"]]
            turns[3]["content"] = ABUSE[(i // 3) % len(ABUSE)]
            rows[i] = {**r, "turns": turns}
    out = ctx.out / "data" / "dialogues_flawed.jsonl"
    out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return out
