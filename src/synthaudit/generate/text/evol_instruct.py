"""Evol-Instruct (Xu et al., 2024a, WizardLM; survey sections 2.1 and 3.1, "Heuristic Evolution"): each slot
takes a parent instruction and applies ``rounds`` mutation operators — in-depth (add constraints, deepen,
concretize, increase reasoning steps) or in-breadth (a new prompt on a rarer topic) — from the versioned
templates in ``prompts/evol_instruct.yaml``. Failed evolutions are eliminated (rejected with the reason): an
empty answer, a copy of the parent, a leaked template label, or a refusal ("sorry", "as an AI")."""
from __future__ import annotations

from pathlib import Path
from typing import Iterator, Mapping

from synthaudit.generate.text.base import Slot, TextMethod, clean_line, norm
from synthaudit.generate.text.self_instruct import load_seed_tasks
from synthaudit.models.llm import LLMClient

_LABELS = ("#prompt#", "#rewritten prompt#", "#given prompt#", "#created prompt#", "rewritten prompt",
           "given prompt", "created prompt")


class EvolInstruct(TextMethod):
    name = "evol_instruct"
    prompts = "evol_instruct"

    def __init__(self, client: LLMClient, seed: int = 0, *, seed_tasks: str | Path | list[dict] | None = None,
                 rounds: int = 1, operators: list[str] | None = None, **kw) -> None:
        super().__init__(client, seed, **kw)
        tasks = seed_tasks if isinstance(seed_tasks, list) else load_seed_tasks(seed_tasks)
        self.parents = [t["instruction"] for t in tasks]
        ops = self.prompt_file["operators"]
        unknown = sorted(set(operators or ()) - set(ops))
        if unknown:
            from synthaudit.errors import UsageError

            raise UsageError(f"unknown operator(s) {', '.join(unknown)}; expected {', '.join(ops)}",
                             field="--operators")
        self.operators = list(operators or ops)
        self.rounds = max(1, int(rounds))
        self.refusals = [m.lower() for m in self.prompt_file["refusal_markers"]]

    def eliminated(self, parent: str, child: str) -> str | None:
        """Why an evolution failed (Xu et al., 2024a, section 3.3), or None."""
        if not norm(child):
            return "empty_evolution"
        if norm(child) == norm(parent):
            return "copied_prompt"
        low = child.lower()
        if any(label in low for label in _LABELS):
            return "template_label_leaked"
        if any(m in low for m in self.refusals):
            return "refusal"
        return None

    def draft(self, slots: list[Slot]) -> list[dict]:
        state = {}
        for slot in slots:
            parent = slot.rng.choice(self.parents)
            state[slot.id] = {"parent": parent, "instruction": parent, "evolution": []}
        live = list(slots)
        for rnd in range(self.rounds):
            requests, ops = [], []
            for slot in live:
                op = slot.rng.choice(self.operators)
                ops.append(op)
                prompt = self.prompt_file["operators"][op]["template"].format(instruction=state[slot.id]["instruction"])
                requests.append({"messages": [{"role": "user", "content": prompt}], "seed": slot.seed + rnd})
            comps = self.client.chat_many([{"temperature": self.temperature, "max_tokens": self.max_tokens, **r}
                                           for r in requests], concurrency=self.concurrency)
            still = []
            for slot, op, comp in zip(live, ops, comps):
                st = state[slot.id]
                st["evolution"].append(op)
                if not comp.ok:
                    st.update(rejected=f"llm_error: {comp.error}", stage="instruction")
                    continue
                child = clean_line(comp.text, [r"^#?\s*(rewritten|created)\s+prompt\s*#?\s*:?"])
                reason = self.eliminated(st["instruction"], child)
                if reason:
                    st.update(rejected=reason, stage="instruction", instruction=child)
                    continue
                st["instruction"] = child
                still.append(slot)
            live = still
        return [state[s.id] for s in slots]

    def check_response(self, rec: dict) -> str | None:
        reason = super().check_response(rec)
        if reason:
            return reason
        low = rec["response"].lower()
        if len(rec["response"].split()) < 80 and any(m in low for m in self.refusals):
            return "refusal_response"  # the evolved instruction is too hard to answer
        return None


def generate(client: LLMClient, n: int, seed: int = 0, *, done: Mapping[str, dict] | None = None,
             max_attempts: int | None = None, **opts) -> Iterator[dict]:
    """Evol-Instruct records ``{id, method, instruction, parent, evolution, response, ...}`` (and rejects)."""
    return EvolInstruct(client, seed, **opts).run(n, done, max_attempts)
