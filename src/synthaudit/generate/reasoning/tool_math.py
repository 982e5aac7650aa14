"""Tool-verified math (OpenMathInstruct style, Toshniwal et al., 2024; survey section 3.2, verifiable
reasoning data): the LLM solves a problem with a Python program, the program runs in the sandbox, and the
record is kept only when its printed answer verifies.

* ``problems="seed"`` (default): slot ``i`` solves seed problem ``i mod P`` (GSM8K-style JSON Lines with a
  question and a gold answer); the executed answer must match the gold answer (``verify_math``).
* ``problems="generate"``: the LLM writes a new problem from few-shot seed problems, then ``votes``
  independent solutions are run; with no gold answer, a record is kept when a strict majority of the
  executed answers agree with the first one (majority voting as pseudo-gold).

Rejects carry the reason: ``no_code``, ``code_error: <exception>``, ``timeout``, ``resource_limit: <limit>``,
``no_answer``, ``wrong_answer: expected 18, got 17``, ``no_majority: 1 of 2 agree``, ``llm_error: ...``,
``empty_problem``, ``duplicate_problem``.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Iterator, Mapping

from synthaudit.errors import InputError
from synthaudit.generate.reasoning.methods import SHARED, ReasoningMethod, code_blocks, first_of, load_rows
from synthaudit.generate.text.base import Slot, clean_line, norm
from synthaudit.models.llm import LLMClient
from synthaudit.verify.math import answers_equal, extract_answer, verify_math
from synthaudit.verify.sandbox import Limits, run_python

DEFAULT_PROBLEMS = SHARED / "gsm8k" / "test.jsonl"

SOLVE = """Solve the math problem by writing a Python program. Put the program in one ```python code block. \
The program must print the final answer (a single number) and nothing else.

Problem: A baker makes 24 muffins and sells 3 boxes of 5 muffins each. How many muffins are left?
Solution:
```python
made = 24
sold = 3 * 5
print(made - sold)
```

Problem: {question}
Solution:
"""

NEW_PROBLEM = """Write one new math word problem, different from the examples, that can be solved with a few \
steps of arithmetic and has a single numerical answer. Write only the problem.

{examples}
Problem {next}:"""


def gold_of(row: Mapping[str, Any]) -> str | None:
    """The gold answer of a seed row: ``gold`` or ``final_answer`` as given; a GSM8K ``answer`` is cut after
    its last ``####``; another ``answer``/``solution`` text goes through ``extract_answer``."""
    given = first_of(row, "gold", "final_answer")
    if given is not None:
        return str(given).strip()
    text = first_of(row, "answer", "solution")
    if text is None:
        return None
    text = str(text)
    if "####" in text:
        return text.rsplit("####", 1)[1].strip()
    return extract_answer(text) or text.strip()


def load_problems(path: str | Path | None = None) -> list[dict]:
    """Seed problems ``{question, gold, reference}`` from JSON Lines (``question`` or ``problem``)."""
    rows = load_rows(path or DEFAULT_PROBLEMS, (("question", "problem"),))
    return [{"question": str(first_of(r, "question", "problem")).strip(), "gold": gold_of(r),
             "reference": first_of(r, "answer", "solution")} for r in rows]


class ToolMath(ReasoningMethod):
    name = "tool_math"

    def __init__(self, client: LLMClient, seed: int = 0, *, seed_problems: str | Path | list[dict] | None = None,
                 problems: str = "seed", votes: int = 2, n_shots: int = 4, limits: Limits | None = None,
                 **kw: Any) -> None:
        super().__init__(client, seed, **kw)
        if problems not in ("seed", "generate"):
            raise ValueError(f"problems must be 'seed' or 'generate', got {problems!r}")
        self.problems = seed_problems if isinstance(seed_problems, list) else load_problems(seed_problems)
        self.mode, self.votes, self.n_shots = problems, max(1, int(votes)), int(n_shots)
        self.limits = limits if limits is not None else Limits()
        if self.mode == "seed":
            missing = [i for i, p in enumerate(self.problems) if not p.get("gold")]
            if missing:
                raise InputError("has no gold answer ('gold', 'final_answer', or an 'answer' with '####')",
                                 file=str(seed_problems or "seed_problems"), row=missing[0] + 1, field="gold",
                                 hint="--problems generate uses problems without gold answers as few-shot seeds")
        self.seen.update(norm(p["question"]) for p in self.problems)

    # -- problems -------------------------------------------------------------------------------------
    def draft(self, slots: list[Slot]) -> list[dict]:
        if self.mode == "seed":
            out = []
            for slot in slots:
                k = slot.index % len(self.problems)
                p = self.problems[k]
                out.append({"question": p["question"], "gold": p["gold"], "source": "seed", "seed_index": k})
            return out
        prompts = []
        for slot in slots:
            shots = slot.rng.sample(self.problems, min(self.n_shots, len(self.problems)))
            examples = "\n".join(f"Problem {i + 1}: {p['question']}" for i, p in enumerate(shots))
            prompts.append(NEW_PROBLEM.format(examples=examples, next=len(shots) + 1))
        out = []
        for comp in self.ask(prompts, slots, max_tokens=min(self.max_tokens, 160)):
            if not comp.ok:
                out.append({"rejected": f"llm_error: {comp.error}", "stage": "problem", "source": "generated"})
                continue
            question = clean_line(comp.text.split("\n\n")[0].replace("\n", " "), [r"^problem\s*\d*\s*[:.)-]\s*"])
            rec: dict = {"question": question, "gold": None, "source": "generated"}
            if not question:
                rec.update(rejected="empty_problem", stage="problem")
            elif not self.claim(question):
                rec.update(rejected="duplicate_problem", stage="problem")
            out.append(rec)
        return out

    # -- solutions --------------------------------------------------------------------------------------
    def make(self, slots: list[Slot]) -> list[dict]:
        recs = [{**self.base_record(s), "task": "math", **d} for s, d in zip(slots, self.draft(slots))]
        live = [(s, r) for s, r in zip(slots, recs) if "rejected" not in r]
        votes = self.votes if self.mode == "generate" else 1
        prompts = [SOLVE.format(question=r["question"]) for _, r in live]
        sols = [self.ask(prompts, [s for s, _ in live], seed_offset=v) for v in range(votes)]
        runs = self._execute([[c.text if c.ok else None for c in sol] for sol in sols])
        for j, (_, rec) in enumerate(live):
            first = sols[0][j]
            if not first.ok:
                rec.update(rejected=f"llm_error: {first.error}", stage="solution")
                continue
            code, out, reason = runs[0][j]
            rec.update(solution=first.text.strip(), code=code, code_output=out)
            if reason:
                rec.update(rejected=reason, stage="solution")
                continue
            last = out.strip().splitlines()[-1].strip()
            answer = extract_answer(last) or last
            rec["answer"] = rec["final_answer"] = answer  # final_answer: the reasoning audit's default field
            if rec["gold"] is not None:
                verdict = verify_math(answer, rec["gold"])
                rec["verdict"] = verdict.as_dict()
                if not verdict.ok:
                    rec.update(rejected=_verdict_reason(verdict), stage="verify")
                else:
                    rec["verified_by"] = "gold"
                continue
            agree = 1 + sum(1 for v in range(1, votes) if runs[v][j][2] is None
                            and answers_equal(extract_answer(runs[v][j][1].strip().splitlines()[-1]), answer))
            rec["votes"] = f"{agree}/{votes}"
            if 2 * agree <= votes:
                rec.update(rejected=f"no_majority: {agree} of {votes} agree", stage="verify")
            else:
                rec["verified_by"] = "majority"
        for rec in recs:
            if "rejected" not in rec:
                rec["solution"] = f"{rec['solution']}\n```output\n{rec['code_output'].strip()}\n```"
        return recs

    def _execute(self, texts: list[list[str | None]]) -> list[list[tuple[str | None, str, str | None]]]:
        """(code, stdout, reject reason or None) for every solution text, run in parallel in the sandbox."""
        flat = [t for row in texts for t in row]
        with ThreadPoolExecutor(max_workers=self.workers) as pool:
            done = list(pool.map(self._run_one, flat))
        out, k = [], 0
        for row in texts:
            out.append(done[k:k + len(row)])
            k += len(row)
        return out

    def _run_one(self, text: str | None) -> tuple[str | None, str, str | None]:
        if text is None:
            return None, "", "llm_error"
        blocks = code_blocks(text)
        if not blocks:
            return None, "", "no_code"
        code = "\n\n".join(blocks)
        res = run_python(code, limits=self.limits)
        if res.status == "timeout":
            return code, res.stdout, "timeout"
        if res.status == "killed":
            return code, res.stdout, f"resource_limit: {res.limit or 'killed'}"
        if res.status != "ok":
            why = res.error or res.stderr or f"exit status {res.returncode}"
            return code, res.stdout, f"code_error: {_one_line(why)}"
        if not res.stdout.strip():
            return code, res.stdout, "no_answer"
        return code, res.stdout, None


def _one_line(text: str, width: int = 160) -> str:
    lines = [ln.strip() for ln in str(text).strip().splitlines() if ln.strip()]
    return (lines[-1] if lines else "")[:width]


def _verdict_reason(verdict: Any) -> str:
    """A reject reason from a failed math verdict: ``wrong_answer: expected 18, got 17`` and the like."""
    status = {"fail": "wrong_answer", "unparsed": "no_answer", "timeout": "timeout", "error": "verify_error"}
    head = status.get(verdict.status, verdict.status)
    return f"{head}: {verdict.reason}" if verdict.reason else head


def generate(client: LLMClient, n: int, seed: int = 0, *, done: Mapping[str, dict] | None = None,
             max_attempts: int | None = None, **opts: Any) -> Iterator[dict]:
    """Records ``{id, method, task: "math", question, solution, code, code_output, answer, final_answer, gold, source,
    verified_by, seed, model, ...}`` and rejects."""
    return ToolMath(client, seed, **opts).run(n, done, max_attempts)
