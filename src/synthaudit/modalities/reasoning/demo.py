"""The reasoning section of ``synthaudit demo`` (survey section 3): DyVal items built offline from random DAGs
(arithmetic, boolean logic, deduction; answers computed, never predicted), code problems made from the
arithmetic graphs (a Python ``solve()`` with unit tests, run in the sandbox), and four answers per logic item
sampled from SmolLM2 (pass@k, self-consistency, agreement: how hard the items are for a small model).

The flawed copy has what careless generation produces: an arithmetic slip that propagates to the final answer,
programs that loop forever, crash or are off by one, questions that give their answer away, and repeated
problems; Acc_verify, PassRate, Val_step, the leakage and duplicate checks catch them.
"""
from __future__ import annotations

import json
import re

N_ARITH, N_BOOL, N_DEDUCT = 40, 20, 20
SAMPLES = 4
METRICS_FLAWED = ["reasoning.acc_verify", "reasoning.pass_rate", "reasoning.val_step", "reasoning.ext.answer_leakage",
                  "reasoning.ext.duplicate_problems"]
ANSWERED = 10  # logic items of each kind that SmolLM2 answers
#: the NLI-backed step metrics cost about 1.5 CPU s per step pair with the offline few-shot LM, so the demo checks
#: steps exactly (every DyVal step is an equation) and lets the judge rate a few solutions
PARAMS = {"reasoning.val_step": {"verifier": "symbolic_executor"}, "reasoning.align_entail": {"max_records": 2},
          "reasoning.q_reason": {"max_records": 3}, "reasoning.pass_at_k": {"k": [1, 4]},
          "reasoning.acc_sc": {"K": SAMPLES}, "reasoning.agree": {"K": SAMPLES},
          # one sandbox run per program serves both metrics (same limits); 2 CPU s stops the looping programs
          "reasoning.pass_rate": {"timeout_s": 2}, "reasoning.acc_verify": {"timeout_s": 2}}


def section(ctx) -> list:
    from synthaudit.audit.api import audit
    from synthaudit.demo import DemoEntry, catch_text

    good_path, flawed_path, n = _records(ctx)
    with ctx.step(f"reasoning: audit of {n} DyVal math, code and logic items"):
        good = audit("reasoning", synthetic=good_path, seed=ctx.seed, out=ctx.out / "reasoning",
                     progress=ctx.progress, params=PARAMS)
    with ctx.step("reasoning: audit of the flawed copy (slips, broken programs, leaks, repeats)"):
        bad = audit("reasoning", synthetic=flawed_path, seed=ctx.seed, out=ctx.out / "reasoning_flawed",
                    progress=ctx.progress, metrics=METRICS_FLAWED,
                    params=PARAMS)
    # two catches: the slips (answers) and the broken programs (tests)
    catch = "; ".join(c for c in (catch_text(good, bad, [m], "flawed copy")
                                  for m in ("reasoning.acc_verify", "reasoning.pass_rate")) if c) or None
    what = (f"{N_ARITH} arithmetic, {N_BOOL} boolean and {N_DEDUCT} deduction DyVal items (random DAGs, depth 3, "
            f"answers computed), {N_ARITH // 2} code problems from the arithmetic graphs (solve() + unit tests, "
            f"run in the sandbox), {SAMPLES} SmolLM2 answers to {2 * ANSWERED} of the logic items")
    return [DemoEntry("reasoning", "DyVal items and code problems", "reasoning/report.html", good, what, catch),
            DemoEntry("reasoning", "Flawed copy: slips, broken programs, leaked answers, repeats (on purpose)",
                      "reasoning_flawed/report.html", bad, "the same items; a quarter of the arithmetic items carry "
                      "an arithmetic slip, a third of the programs loop, crash or are off by one, some questions "
                      "state their answer and some problems repeat", catch)]


def solve_program(item: dict) -> str:
    """A Python ``solve()`` computing an arithmetic item's graph with exact fractions, from its steps
    ("K = X / M = 9 / 8 = 9/8" -> "K = X / M")."""
    lines = ["from fractions import Fraction", "", "", "def solve():"]
    for step in item["steps"]:
        parts = [s.strip() for s in step.split(" = ")]
        name, expr = parts[0], parts[1]
        expr = re.sub(r"\^2\b", "**2", expr)
        expr = f"Fraction({expr})" if re.fullmatch(r"-?\d+", expr) else expr
        lines.append(f"    {name} = {expr}")
    lines.append(f"    return {item['meta']['dag']['query']}")
    return "\n".join(lines) + "\n"


def _fraction_literal(answer: str) -> str:
    num, _, den = answer.partition("/")
    return f"Fraction({num}, {den or 1})"


def _records(ctx):
    from synthaudit.generate.reasoning.dyval import dyval_items

    with ctx.step(f"reasoning: {N_ARITH + N_BOOL + N_DEDUCT} DyVal items (offline, answers computed)"):
        items = (dyval_items("arithmetic", N_ARITH, depth=3, width=2, distractors=1, seed=ctx.seed)
                 + dyval_items("boolean", N_BOOL, depth=3, width=2, distractors=1, seed=ctx.seed)
                 + dyval_items("deduction", N_DEDUCT, depth=3, width=2, distractors=1, seed=ctx.seed))
    rows = []
    for it in items:
        rows.append({"id": it["id"], "task": it["task"], "question": it["question"],
                     "solution": "\n".join(it["steps"]) + f"\n#### {it['answer']}", "gold": it["answer"]})
    for it in items[:N_ARITH // 2]:
        q = it["meta"]["dag"]["query"]
        rows.append({"id": it["id"].replace("arithmetic", "code"), "task": "code",
                     "question": f"Write solve() returning the exact value of {q} as a fractions.Fraction.\n"
                                 + it["question"].rsplit("\n", 1)[0],
                     "program": solve_program(it),
                     "tests": [f"assert solve() == {_fraction_literal(it['answer'])}",
                               "from fractions import Fraction\nassert isinstance(solve(), Fraction)"]})
    logic = [i for i, r in enumerate(rows) if r["task"] == "logic" and ("boolean" in r["id"] or "deduction" in r["id"])
             and int(r["id"].rsplit("-", 1)[1]) < ANSWERED]
    client = ctx.llm()
    with ctx.step(f"reasoning: SmolLM2 answers {len(logic)} logic items {SAMPLES} times (batched, cached)"):
        reqs = [{"messages": [{"role": "user", "content": rows[i]["question"] + "\nAnswer with one word: True or "
                               "False."}], "temperature": 0.8, "max_tokens": 4, "seed": ctx.seed + 97 * k + j}
                for j, i in enumerate(logic) for k in range(SAMPLES)]
        outs = client.chat_many(reqs)
        for j, i in enumerate(logic):
            rows[i]["samples"] = [outs[j * SAMPLES + k].text.strip() or "(empty)" for k in range(SAMPLES)]
        ctx.echo(f"demo: {client.usage.summary()}")
    data = ctx.out / "data"
    good = data / "reasoning_items.jsonl"
    good.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    flawed = data / "reasoning_items_flawed.jsonl"
    flawed.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in _flaw(rows)), encoding="utf-8")
    return good, flawed, len(rows)


BROKEN = ("    while True:\n        pass\n", "    return 1 / 0\n", None)


def _flaw(rows: list[dict]) -> list[dict]:
    """The flawed copy: slips in a quarter of the arithmetic items, broken programs in a third of the code
    problems, leaked answers in every seventh item, and every tenth problem repeated."""
    out = []
    arith = code = 0
    for k, r in enumerate(rows):
        r = dict(r)
        if r["task"] == "math":
            if arith % 4 == 0:
                r["solution"] = _slip(r["solution"])
            arith += 1
        elif r["task"] == "code":
            if code % 3 == 0:
                broken = BROKEN[(code // 3) % len(BROKEN)]
                head, _, tail = r["program"].partition("def solve():\n")
                r["program"] = (head + "def solve():\n" + broken) if broken else \
                    r["program"].replace("    return ", "    return 1 + ")
            code += 1
        if k % 7 == 3 and r.get("gold"):
            r["question"] = r["question"] + f" (Hint: the answer is {r['gold']}.)"
        out.append(r)
    out += [dict(rows[k], id=rows[k]["id"] + "-repeat") for k in range(0, len(rows), 10)]
    return out


def _slip(solution: str) -> str:
    """The last step's result off by one, and the final answer with it (a slip that propagates)."""
    lines = solution.split("\n")
    step, final = lines[-2], lines[-1]
    head, _, value = step.rpartition(" = ")
    num, _, den = value.partition("/")
    wrong = f"{int(num) + 1}" + (f"/{den}" if den else "")
    return "\n".join(lines[:-2] + [f"{head} = {wrong}", f"#### {wrong}"]) if final.startswith("####") else solution
