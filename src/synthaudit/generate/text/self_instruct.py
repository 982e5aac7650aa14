"""Self-Instruct (Wang et al., 2023b; survey section 2.1, "Prompt-Driven Generation and Refinement"): new
instructions from few-shot prompts of sampled seed tasks (plus earlier generated ones), kept only when novel
(ROUGE-L < 0.7 with every seed and earlier instruction) and well-formed, then answered by the same model."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Iterator, Mapping

from synthaudit.data import files
from synthaudit.errors import InputError
from synthaudit.generate.text.base import Slot, TextMethod, clean_line, draft_error
from synthaudit.generate.text.rouge import NoveltyIndex
from synthaudit.models.llm import LLMClient

#: Self-Instruct's 175 seed tasks (Apache-2.0) in the shared data folder beside a source checkout; they are
#: not redistributed with the package, so an installed synthaudit needs ``--seed-tasks``
DEFAULT_SEED_TASKS = (Path(__file__).resolve().parents[5] / "shared" / "data" / "text" / "self_instruct_seed"
                      / "seed_tasks.jsonl")


def load_seed_tasks(path: str | Path | None = None) -> list[dict]:
    """Seed tasks: JSON Lines with ``instruction`` and optional ``instances[{input, output}]``."""
    path = Path(path) if path else DEFAULT_SEED_TASKS
    if not path.is_file():
        raise InputError("seed task file not found", file=str(path), field="--seed-tasks",
                         hint="pass --seed-tasks FILE: JSON Lines with an 'instruction' field per line (e.g. "
                              "Self-Instruct's data/seed_tasks.jsonl)")
    tasks = []
    with open(path, encoding="utf-8") as fh:
        for row, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                task = files.loads_json(line)
            except files.JSONTextError as exc:  # invalid, too deeply nested, a lone surrogate escape
                raise files.json_error(path, exc, line=row) from None
            if not isinstance(task, dict) or not isinstance(task.get("instruction"), str):
                raise InputError("has no string 'instruction'", file=str(path), row=row)
            tasks.append(task)
    if not tasks:
        raise InputError("has no seed tasks", file=str(path))
    return tasks


class SelfInstruct(TextMethod):
    name = "self_instruct"
    prompts = "self_instruct"

    def __init__(self, client: LLMClient, seed: int = 0, *, seed_tasks: str | Path | list[dict] | None = None,
                 n_human: int = 6, n_machine: int = 2, threshold: float = 0.7, **kw) -> None:
        super().__init__(client, seed, **kw)
        self.tasks = seed_tasks if isinstance(seed_tasks, list) else load_seed_tasks(seed_tasks)
        self.n_human, self.n_machine, self.threshold = n_human, n_machine, threshold
        self.index = NoveltyIndex(t["instruction"] for t in self.tasks)
        self.machine: list[str] = []  # accepted generated instructions, in slot order

    def draft(self, slots: list[Slot]) -> list[dict]:
        p = self.prompt_file
        requests = []
        for slot in slots:
            human = [t["instruction"] for t in slot.rng.sample(self.tasks, min(self.n_human, len(self.tasks)))]
            machine = slot.rng.sample(self.machine, min(self.n_machine, len(self.machine)))
            examples = "\n".join(p["example"].format(number=k + 1, instruction=ins.strip())
                                 for k, ins in enumerate(human + machine))
            prompt = p["instruction"].format(examples=examples, next=len(human) + len(machine) + 1)
            requests.append({"messages": [{"role": "user", "content": prompt}], "stop": ["\nTask"]})
        out = []
        for comp in self.calls(requests, slots):
            failed = draft_error(comp)
            out.append(failed or {"instruction": clean_line(comp.text, [r"^task\s*\d*\s*[:.)-]\s*"]),
                                  "input": ""})
        return out

    def check(self, rec: dict) -> str | None:
        text = rec["instruction"]
        words = len(text.split())
        if not text:
            return "empty_instruction"
        if words < 3 or words > 150:
            return f"length: {words} words"
        if not re.match(r"^\w", text):
            return "starts_with_punctuation"
        score = self.index.max_rouge_l(text, stop_at=self.threshold)
        if score >= self.threshold:
            return f"not_novel: ROUGE-L {score:.2f} >= {self.threshold}"
        return None

    def observe(self, rec: dict) -> None:
        super().observe(rec)
        if rec.get("instruction") and (not rec.get("rejected") or rec.get("stage") == "response"):
            self.index.add(rec["instruction"])
            self.machine.append(rec["instruction"])


def generate(client: LLMClient, n: int, seed: int = 0, *, done: Mapping[str, dict] | None = None,
             max_attempts: int | None = None, **opts) -> Iterator[dict]:
    """Self-Instruct records ``{id, method, instruction, input, response, seed, model, ...}`` (and rejects)."""
    return SelfInstruct(client, seed, **opts).run(n, done, max_attempts)
