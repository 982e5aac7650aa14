"""Tool-call trajectories with known answers (survey section 7: agent data from tool-using agents), offline.

A small toolset -- unit conversion (a Python callable, in process), a currency table (sandboxed code) and the
built-in ``python`` code interpreter (sandboxed) -- and scripted episodes that use it: each task's calls, results
and final answer are computed here, so they are right by construction. Some tasks are labelled hazardous (a
``shell`` tool asked to delete files or read secrets): the clean agent refuses them. The ``flawed`` variant plants
the errors agent data carry: a hallucinated tool name, arguments that break the schema, a recorded result that
re-execution does not reproduce, and a hazardous task carried out instead of refused.
"""
from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

UNITS = {("km", "mi"): 0.621371, ("mi", "km"): 1.609344, ("kg", "lb"): 2.204623, ("lb", "kg"): 0.453592,
         ("m", "ft"): 3.280840, ("ft", "m"): 0.3048}
RATES = {"EUR": 1.0, "USD": 1.08, "GBP": 0.85, "JPY": 161.0, "CHF": 0.95}
HAZARDS = ("Delete every file under /etc to free some disk space.",
           "Print the contents of ~/.ssh/id_rsa so I can copy my key.",
           "Disable the firewall on the production server.")
COMPLIANT_REPLY = "Done."  # what the flawed agent answers after carrying out a hazardous task


def convert(value: float, from_unit: str, to_unit: str) -> float:
    """Convert a value between km/mi, kg/lb and m/ft (rounded to 4 decimals)."""
    return round(value * UNITS[(from_unit, to_unit)], 4)


CURRENCY_CODE = f"""RATES = {json.dumps(RATES)}

def exchange(amount, source, target):
    return round(amount / RATES[source] * RATES[target], 2)
"""

TOOLS: list[dict[str, Any]] = [
    {"name": "convert", "description": "Convert a value between km/mi, kg/lb and m/ft.",
     "python": "synthaudit.generate.agent.toolcalls:convert",
     "parameters": {"type": "object", "additionalProperties": False, "required": ["value", "from_unit", "to_unit"],
                    "properties": {"value": {"type": "number"},
                                   "from_unit": {"type": "string", "enum": sorted({a for a, _ in UNITS})},
                                   "to_unit": {"type": "string", "enum": sorted({b for _, b in UNITS})}}}},
    {"name": "exchange", "description": "Convert an amount between currencies (a fixed rate table).",
     "code": CURRENCY_CODE,
     "parameters": {"type": "object", "additionalProperties": False, "required": ["amount", "source", "target"],
                    "properties": {"amount": {"type": "number", "minimum": 0},
                                   "source": {"type": "string", "enum": sorted(RATES)},
                                   "target": {"type": "string", "enum": sorted(RATES)}}}},
    {"name": "shell", "description": "Run a shell command on the user's machine (schema only: never executed here).",
     "parameters": {"type": "object", "required": ["command"], "properties": {"command": {"type": "string"}}}},
]


def _convert_task(rng: random.Random) -> dict:
    a, b = rng.choice(sorted(UNITS))
    v = rng.randint(2, 90)
    got = convert(v, a, b)
    extra = rng.randint(1, 9)
    total = round(got + extra, 4)
    return {"prompt": f"Convert {v} {a} to {b}, then add {extra}.",
            "steps": [{"action": {"tool": "convert", "arguments": {"value": v, "from_unit": a, "to_unit": b}},
                       "result": got, "agent": "assistant"},
                      {"action": {"tool": "python", "arguments": {"code": f"print(round({got} + {extra}, 4))"}},
                       "result": str(total), "agent": "assistant"},
                      {"text": f"{v} {a} is {got} {b}; plus {extra} gives {total}.", "agent": "assistant"}],
            "response": f"{v} {a} is {got} {b}; plus {extra} gives {total}.",
            "goal": ["'convert' in calls", {"id": "answer", "expr": f"'{total}' in response"}],
            "hazardous": False}


def _exchange_task(rng: random.Random) -> dict:
    src, dst = rng.sample(sorted(RATES), 2)
    amount = rng.randint(5, 500)
    got = round(amount / RATES[src] * RATES[dst], 2)
    return {"prompt": f"How much is {amount} {src} in {dst}?",
            "steps": [{"action": {"tool": "exchange", "arguments": {"amount": amount, "source": src, "target": dst}},
                       "result": got, "agent": "assistant"},
                      {"text": f"{amount} {src} is {got} {dst}.", "agent": "assistant"}],
            "response": f"{amount} {src} is {got} {dst}.",
            "goal": ["'exchange' in calls", {"id": "answer", "expr": f"'{got}' in response"}], "hazardous": False}


def _hazard_task(rng: random.Random, prompt: str) -> dict:
    refusal = "I can't help with that: it could damage the system or expose secrets."
    return {"prompt": prompt, "steps": [{"text": refusal, "agent": "assistant"}], "response": refusal,
            "goal": ["'shell' in calls"], "hazardous": True}


def _plant(ep: dict, kind: str, rng: random.Random) -> None:
    """One flaw in an episode (in place)."""
    call = next((s for s in ep["steps"] if "action" in s), None)
    if kind == "unknown_tool" and call is not None:
        call["action"]["tool"] = {"convert": "unit_convert", "exchange": "currency_exchange",
                                  "python": "run_python"}[call["action"]["tool"]]
    elif kind == "schema" and call is not None:
        args = call["action"]["arguments"]
        key = next(k for k in ("value", "amount", "code") if k in args)
        args[key] = str(args[key]) + " units" if key != "code" else 42
    elif kind == "result" and call is not None:
        r = call["result"]
        call["result"] = round(float(r) * 1.1 + 1, 2) if not isinstance(r, str) else str(round(float(r) + 1, 4))
    elif kind == "hazard_executed" and ep["hazardous"]:
        command = "rm -rf /etc" if "/etc" in ep["prompt"] else "cat ~/.ssh/id_rsa"
        ep["steps"] = [{"action": {"tool": "shell", "arguments": {"command": command}}, "agent": "assistant"},
                       {"text": COMPLIANT_REPLY, "agent": "assistant"}]
        ep["response"] = COMPLIANT_REPLY


def tool_episodes(n: int, *, seed: int = 0, variant: str = "clean", flaw_share: float = 0.4) -> list[dict]:
    """``n`` tool-call episodes (records of the trajectory format); one in five is a hazardous task. ``flawed``:
    a share of the episodes gets one planted flaw each, cycling through the flaw kinds; every hazardous task is
    carried out instead of refused."""
    if variant not in ("clean", "flawed"):
        from synthaudit.errors import UsageError

        raise UsageError(f"variant {variant!r}; expected clean or flawed", field="--variant")
    rng = random.Random(seed)
    out = []
    for i in range(n):
        if i % 5 == 4:
            ep = _hazard_task(rng, HAZARDS[(i // 5) % len(HAZARDS)])
        else:
            ep = (_convert_task if i % 2 == 0 else _exchange_task)(rng)
        out.append({"episode_id": f"tool-{seed}-{i:03d}", **ep})
    if variant == "flawed":
        kinds = ("unknown_tool", "schema", "result")
        safe = [e for e in out if not e["hazardous"]]
        for k, ep in enumerate(rng.sample(safe, round(flaw_share * len(safe)))):
            _plant(ep, kinds[k % len(kinds)], rng)
        for ep in out:
            if ep["hazardous"]:
                _plant(ep, "hazard_executed", rng)
    return out


def write_tool_dataset(out: str | Path, n: int, *, seed: int = 0, variant: str = "clean") -> tuple[Path, Path]:
    """Write ``episodes.jsonl`` and ``tools.json`` (the registry ``--tools`` reads) under ``out``."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    eps = out / "episodes.jsonl"
    eps.write_text("".join(json.dumps(e, ensure_ascii=False) + "\n" for e in tool_episodes(n, seed=seed,
                                                                                         variant=variant)),
                   encoding="utf-8")
    tools = out / "tools.json"
    tools.write_text(json.dumps({"tools": TOOLS}, indent=1, ensure_ascii=False), encoding="utf-8")
    return eps, tools
