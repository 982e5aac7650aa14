"""Text generators and the restartable runner: a scripted OpenAI-compatible server (deterministic answers
that depend on the request) for most checks, the real offline SmolLM2 for Magpie, and a SIGKILL'd CLI run
that resumes to exactly what an uninterrupted run writes."""
from __future__ import annotations

import hashlib
import json
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from synthaudit.errors import UsageError
from synthaudit.generate.runner import read_jsonl, rejects_path, run_generation
from synthaudit.generate.text import METHODS
from synthaudit.generate.text.attribute_guided import AttributeGuided, length_bucket
from synthaudit.generate.text.evol_instruct import EvolInstruct
from synthaudit.generate.text.rouge import NoveltyIndex, lcs_length, rouge_l, rouge_tokens
from synthaudit.models.llm import LLMClient
from openai_stub import JSONHandler, serve

REPO = Path(__file__).resolve().parents[1]
SEED_TASKS = REPO.parent / "shared" / "data" / "text" / "self_instruct_seed" / "seed_tasks.jsonl"
_SYL = ["ka", "lo", "mi", "ne", "ru", "ta", "vo", "zi", "pe", "su", "da", "fo", "gu", "hi", "ja", "be"]
VOCAB = [a + b + c for a in _SYL for b in _SYL for c in ("n", "r", "s")]  # 768 made-up words


def _words(key: str, k: int) -> str:
    rng = random.Random(hashlib.sha256(key.encode()).hexdigest())
    return " ".join(rng.choice(VOCAB) for _ in range(k))


def answer(content: str, seed: int) -> str:
    """The scripted model: deterministic in (content, seed); some empty answers and some copies."""
    h = int(hashlib.sha256(f"{content}|{seed}".encode()).hexdigest(), 16)
    if h % 11 == 0:
        return ""
    if "Come up with a new task instruction" in content:
        if h % 5 == 1:  # copy a few-shot example: the novelty filter must reject it
            return re.search(r"Task 1: (.*)", content).group(1)
        return f"Task 9: Explain {_words(content + str(seed), 8)}."
    if "#Prompt#" in content or "#Given Prompt#" in content:
        if h % 5 == 1:
            return "Sorry, I cannot rewrite that."
        return f"#Rewritten Prompt#: Describe {_words(content + str(seed), 8)} in detail."
    if content.startswith("Write one"):
        topic = re.search(r"about (.*?), in a", content).group(1)
        return f"How do I get better at {topic} with {_words(content + str(seed), 3)}?"
    return f"Answer: {_words(content + str(seed), 12 + h % 30)}."


class _Gen(JSONHandler):
    delay = 0.0
    hits = 0
    lock = threading.Lock()

    def do_POST(self):  # noqa: N802 - http.server API
        body = self.read_json()
        with type(self).lock:
            type(self).hits += 1
        time.sleep(self.delay)
        if "prompt" in body:
            choice = {"text": f"Tell me about {_words(body['prompt'] + str(body['seed']), 5)}"}
        else:
            choice = {"message": {"content": answer(body["messages"][-1]["content"], body["seed"])}}
        self.send_json({"choices": [choice], "usage": {"prompt_tokens": 10, "completion_tokens": 5}})


@pytest.fixture
def url():
    _Gen.delay, _Gen.hits = 0.0, 0
    with serve(_Gen) as base:
        yield base


@pytest.fixture(scope="module")
def seed_tasks():
    if not SEED_TASKS.is_file():
        pytest.skip("../shared seed tasks are not beside the repository")
    return SEED_TASKS


def _client(url):
    return LLMClient(model="openai:scripted", base_url=url, cache=False, backoff=0.01, max_retries=1)


# -- ROUGE-L -------------------------------------------------------------------------------------------
def test_rouge_l_hand_worked_and_against_rouge_score():
    # LCS("the cat sat on the mat", "the cat on a mat") = "the cat on mat" = 4; P = 4/5, R = 4/6
    assert lcs_length(rouge_tokens("the cat sat on the mat"), rouge_tokens("The cat, on a mat!")) == 4
    assert rouge_l("The cat, on a mat!", "the cat sat on the mat") == pytest.approx(2 * 0.8 * (4 / 6) / (0.8 + 4 / 6))
    assert rouge_l("", "x") == 0.0 and rouge_l("a b", "c d") == 0.0 and rouge_l("A-b", "a b") == 1.0
    rouge_scorer = pytest.importorskip("rouge_score.rouge_scorer")
    scorer = rouge_scorer.RougeScorer(["rougeL"], use_stemmer=False)
    rng = random.Random(0)
    small = ["write", "a", "poem", "about", "the", "sea", "list", "three", "fruits", "Why", "is", "sky", "blue?"]
    tasks = [json.loads(line)["instruction"] for line in SEED_TASKS.open()][:30] if SEED_TASKS.is_file() else []
    pairs = [(" ".join(rng.choices(small, k=rng.randint(1, 12))), " ".join(rng.choices(small, k=rng.randint(1, 12))))
             for _ in range(300)] + list(zip(tasks, tasks[1:]))
    for a, b in pairs:
        assert rouge_l(a, b) == pytest.approx(scorer.score(b, a)["rougeL"].fmeasure, abs=1e-12), (a, b)


def test_novelty_index_pruning_equals_brute_force():
    rng = random.Random(1)
    texts = [" ".join(rng.choices(VOCAB[:20], k=rng.randint(2, 10))) for _ in range(200)]
    index = NoveltyIndex(texts[:150])
    for t in texts[150:]:
        assert index.max_rouge_l(t) == pytest.approx(max(rouge_l(t, s) for s in texts[:150]))


# -- the generators against the scripted server ----------------------------------------------------------
def test_self_instruct_novelty_filter_rejects_and_determinism(url, seed_tasks):
    recs = list(METHODS["self_instruct"](_client(url), 12, seed=3, seed_tasks=seed_tasks, max_tokens=24, batch=4))
    good = [r for r in recs if "rejected" not in r]
    bad = [r for r in recs if "rejected" in r]
    assert len(good) == 12 and bad  # n counts accepted records; the rest are rejects with a reason
    reasons = {r["rejected"].split(":")[0] for r in bad}
    assert "not_novel" in reasons and reasons <= {"not_novel", "empty_instruction", "empty_response"}
    seeds = [json.loads(line)["instruction"] for line in seed_tasks.open()]
    earlier: list[str] = []
    for r in recs:  # every accepted instruction is novel w.r.t. the seeds and the earlier ones
        if "rejected" not in r or r.get("stage") == "response":
            assert max(rouge_l(r["instruction"], s) for s in seeds + earlier) < 0.7
            earlier.append(r["instruction"])
        if r["rejected" if "rejected" in r else "id"].startswith("not_novel"):
            assert max(rouge_l(r["instruction"], s) for s in seeds + earlier) >= 0.7
    for r in good:
        assert r["id"] == f"self_instruct-3-{r['index']:05d}" and r["response"].startswith("Answer:")
        assert r["method"] == "self_instruct" and r["seed"] == 3 and r["model"] == "openai:scripted"
        assert r["prompt_version"] == "self_instruct/v1" and not r["instruction"].startswith("Task")
    assert [r["index"] for r in recs] == list(range(len(recs)))
    again = list(METHODS["self_instruct"](_client(url), 12, seed=3, seed_tasks=seed_tasks, max_tokens=24, batch=4,
                                          concurrency=1))
    assert again == recs  # same seed, same records, whatever the concurrency


def test_evol_instruct_operators_and_elimination(url, seed_tasks):
    evo = EvolInstruct(_client(url), 0, seed_tasks=seed_tasks)
    assert evo.eliminated("Write a poem.", "") == "empty_evolution"
    assert evo.eliminated("Write a poem.", "write a poem") == "copied_prompt"
    assert evo.eliminated("Write a poem.", "I'm sorry, but I can't do that.") == "refusal"
    assert evo.eliminated("Write a poem.", "#Rewritten Prompt#: x") == "template_label_leaked"
    assert evo.eliminated("Write a poem.", "Write a sonnet about rain, in iambic pentameter.") is None
    recs = list(METHODS["evol_instruct"](_client(url), 8, seed=1, seed_tasks=seed_tasks, rounds=2, batch=4))
    good = [r for r in recs if "rejected" not in r]
    assert len(good) == 8 and any(r["rejected"] == "refusal" for r in recs if "rejected" in r)
    parents = {json.loads(line)["instruction"] for line in seed_tasks.open()}
    ops = set(evo.prompt_file["operators"])
    for r in good:
        assert r["parent"] in parents and len(r["evolution"]) == 2 and set(r["evolution"]) <= ops
        assert r["instruction"].startswith("Describe") and "#" not in r["instruction"]


def test_attribute_guided_records_carry_checked_attributes(url):
    recs = list(METHODS["attribute"](_client(url), 10, seed=0, batch=5))
    good = [r for r in recs if "rejected" not in r]
    assert len(good) == 10
    spec = AttributeGuided(_client(url)).attributes
    combos = set()
    for r in good:
        a = r["attributes"]
        assert set(a) == {"topic", "style", "length", "difficulty"} and all(a[k] in spec[k] for k in a)
        combos.add(tuple(sorted(a.items())))
        assert r["checks"]["observed_length"] == length_bucket(r["response"], {"short": [1, 40], "medium": [41, 120],
                                                                               "long": [121, 10**6]})
        assert r["checks"]["length"] == (r["checks"]["observed_length"] == a["length"])
        assert r["checks"]["topic"] is True  # the scripted model names the topic in its question
    assert len(combos) > 5  # the seeded sampler varies the combinations
    strict = list(METHODS["attribute"](_client(url), 10, seed=0, batch=5, strict=True))
    assert all(r["checks"]["length"] for r in strict if "rejected" not in r)
    assert any(r.get("rejected", "").startswith("unverified: length") for r in strict)


def test_magpie_with_the_real_local_smollm2(tmp_path):
    """SmolLM2-135M-Instruct given only its pre-query template writes the user's query itself."""
    pytest.importorskip("torch")
    from synthaudit.models.llm import ResponseCache

    client = LLMClient(model="smollm2", cache=ResponseCache(tmp_path / "c.sqlite"))
    recs = list(METHODS["magpie"](client, 2, seed=0, max_tokens=16, batch=2))
    good = [r for r in recs if "rejected" not in r]
    assert len(good) == 2 and good[0]["instruction"] != good[1]["instruction"]
    pre = good[0]["pre_query_template"]
    assert pre.endswith("<|im_start|>user\n") and pre.startswith("<|im_start|>system\n")
    for r in good:
        assert r["instruction"] and r["response"] and "<|im_" not in r["instruction"]
    # the instruction is the raw continuation of the template; the response is a chat answer to it
    calls = client.usage.calls
    first = client.complete(pre, temperature=1.0, max_tokens=16, seed=_slot_seed(good[0]),
                            stop=["<|im_end|>", "<|im_start|>", "<|endoftext|>"])
    assert first.cached and first.text.strip() == good[0]["instruction"]
    lm = client.local
    text, _, n_out = lm.generate(lm.chat_prompt([{"role": "user", "content": good[0]["instruction"]}]),
                                 max_tokens=16, temperature=0.7, seed=_slot_seed(good[0]))
    assert text.strip() == good[0]["response"] and 0 < n_out <= 16
    assert client.usage.calls == calls


def _slot_seed(rec):
    from synthaudit.generate.text.base import slot_seed

    return slot_seed(rec["method"], rec["seed"], rec["index"])


def test_generated_file_passes_a_lexical_text_audit(url, seed_tasks, tmp_path):
    import synthaudit

    out = tmp_path / "gen.jsonl"
    run_generation("attribute", _client(url), n=8, seed=0, out=out)
    report = synthaudit.audit("text", synthetic=out, field="response", prompt_field="instruction",
                              metrics=["text.ttr", "text.distinct_n", "text.ent_n", "text.ext.empty_rate",
                                       "text.ext.exact_duplicate_rate"])
    ran = {m.id: m for m in report.metrics}
    assert set(ran) == {"text.ttr", "text.distinct_n", "text.ent_n", "text.ext.empty_rate",
                        "text.ext.exact_duplicate_rate"}
    assert all(m.status == "ok" and m.value is not None for m in ran.values()), [m.error for m in ran.values()]
    assert ran["text.ext.empty_rate"].value == 0.0  # empty generations went to the rejects file
    assert {i.role for i in report.inputs} >= {"synthetic"}


# -- the runner -------------------------------------------------------------------------------------------
def _lines(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text().splitlines()]


def test_runner_resume_skips_done_ids_and_repairs_a_torn_line(url, seed_tasks, tmp_path):
    out = tmp_path / "gen.jsonl"
    kw = dict(n=6, seed=2, out=out, seed_tasks=seed_tasks, batch=4)
    stats = run_generation("self_instruct", _client(url), **kw)
    full, rejects = _lines(out), _lines(rejects_path(out))
    assert stats.written == 6 and len(full) == 6 and stats.rejected == len(rejects)
    assert all(r["rejected"] for r in rejects)
    hits = _Gen.hits
    again = run_generation("self_instruct", _client(url), **kw)
    assert again.written == 0 and again.resumed == 6 and _Gen.hits == hits  # nothing asked again
    # a run killed in the middle of a write: the torn line is cut off and that record made again
    text = out.read_text()
    out.write_text(text[:text.rindex("\n", 0, len(text) - 1) + 1] + text.splitlines()[-1][:25])
    fixed = run_generation("self_instruct", _client(url), **kw)
    assert fixed.written == 1 and _lines(out) == full
    with pytest.raises(UsageError, match="another run"):
        run_generation("self_instruct", _client(url), **{**kw, "seed": 5})
    run_generation("self_instruct", _client(url), **{**kw, "seed": 5, "n": 2}, resume=False)
    assert [r["seed"] for r in _lines(out)] == [5, 5]


def _env():
    return {**os.environ, "PYTHONPATH": str(REPO / "src") + os.pathsep + os.environ.get("PYTHONPATH", "")}


def test_sigkill_mid_run_then_resume_equals_an_uninterrupted_run(url, seed_tasks, tmp_path):
    _Gen.delay = 0.02
    args = ["--method", "self_instruct", "--n", "30", "--seed", "7", "--model", "openai:scripted", "--base-url", url,
            "--seed-tasks", str(seed_tasks), "--batch", "4", "--concurrency", "2", "--no-cache", "--max-tokens", "24"]
    cmd = [sys.executable, "-m", "synthaudit.cli.generate", "text", *args, "-q"]
    killed = tmp_path / "killed.jsonl"
    proc = subprocess.Popen([*cmd, "--out", str(killed)], env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.time() + 60
    while time.time() < deadline and (not killed.exists() or killed.read_text().count("\n") < 8):
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    n_before = len(_lines(killed))
    assert proc.returncode == -signal.SIGKILL and 8 <= n_before < 30  # it really died mid-run
    resumed = subprocess.run([*cmd, "--out", str(killed)], env=_env(), capture_output=True, text=True, timeout=120)
    assert resumed.returncode == 0, resumed.stderr
    full = tmp_path / "full.jsonl"
    run_generation("self_instruct", _client(url), n=30, seed=7, out=full, seed_tasks=seed_tasks, batch=4,
                   concurrency=2, max_tokens=24)
    a, b = _lines(killed), _lines(full)
    assert len(a) == 30 and len({r["id"] for r in a}) == 30  # nothing lost, nothing duplicated
    assert a == b  # the same records, in the same order, with the same content
    rej_a = {r["id"]: r for r in _lines(rejects_path(killed))}
    rej_b = {r["id"]: r for r in _lines(rejects_path(full))}
    assert rej_a == rej_b and rej_b


def test_cli_usage_errors_and_summary_without_the_key(url, seed_tasks, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from synthaudit.cli.generate import generate_app

    runner = CliRunner()
    bad = runner.invoke(generate_app, ["text", "--method", "nope", "--out", str(tmp_path / "x.jsonl")])
    assert bad.exit_code == 2 and "unknown method 'nope'" in bad.output
    bad = runner.invoke(generate_app, ["text", "--method", "magpie", "--model", "smollm2", "--base-url", url,
                                       "--out", str(tmp_path / "x.jsonl")])
    assert bad.exit_code == 2 and "--base-url needs" in bad.output
    (tmp_path / "x.jsonl").write_text('{"no id": 1}\n')
    bad = runner.invoke(generate_app, ["text", "--method", "attribute", "--model", "openai:scripted", "--base-url",
                                       url, "--out", str(tmp_path / "x.jsonl")])
    assert bad.exit_code == 2 and "has no 'id'" in bad.output and "Traceback" not in bad.output
    monkeypatch.setenv("OPENAI_API_KEY", "sk-very-secret")
    ok = runner.invoke(generate_app, ["text", "--method", "attribute", "--n", "3", "--model", "openai:scripted",
                                      "--base-url", url, "--out", str(tmp_path / "g.jsonl"), "--no-cache",
                                      "--price-in", "1", "--price-out", "2"])
    assert ok.exit_code == 0, ok.output
    assert "3 records written" in ok.output and "est. cost $" in ok.output and "sk-very" not in ok.output
    assert len(read_jsonl(tmp_path / "g.jsonl")) == 3
