"""Tabular generators: the Gaussian copula's fidelity, the fit/sample adapter, LLM rows (scripted endpoint and
one real SmolLM2 smoke test) and the ``generate tabular`` command."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import synthaudit
from synthaudit.cli.generate import generate_app
from synthaudit.errors import InputError, SynthAuditError, UsageError
from synthaudit.generate.adapter import ClassConditional, FitSampleAdapter, generate_tabular, make_generator
from synthaudit.generate.tabular import GaussianCopula, class_quotas
from synthaudit.generate.tabular_llm import GenerationError, LLMTabularGenerator, coerce_row, parse_rows, table_schema
from synthaudit.models.llm import LLMClient
from openai_stub import JSONHandler, serve

runner = CliRunner()

# Stated tolerances (5,000 synthetic rows): the copula fits normal-score (rank) correlations, so Spearman is
# matched closely; Pearson less so where marginals are skewed (a linear correlation is not rank-invariant).
SPEARMAN_MAX, SPEARMAN_MEAN = 0.15, 0.05
PEARSON_MAX, PEARSON_MEAN = 0.30, 0.07


def _corr_gaps(real: pd.DataFrame, syn: pd.DataFrame, method: str) -> tuple[float, float]:
    iu = np.triu_indices(real.shape[1], 1)
    gap = (real.corr(method) - syn[real.columns].corr(method)).abs().to_numpy()[iu]
    return float(gap.max()), float(gap.mean())


@pytest.mark.parametrize("name", ["wine", "cancer"])
def test_copula_preserves_correlations(name, request):
    real = request.getfixturevalue(name)
    num = real.select_dtypes("number")
    syn = GaussianCopula(seed=0).fit(real).sample(5000)
    s_max, s_mean = _corr_gaps(num, syn, "spearman")
    p_max, p_mean = _corr_gaps(num, syn, "pearson")
    assert s_max <= SPEARMAN_MAX and s_mean <= SPEARMAN_MEAN, (s_max, s_mean)
    assert p_max <= PEARSON_MAX and p_mean <= PEARSON_MEAN, (p_max, p_mean)
    # the bound has power: columns shuffled independently (marginals kept, correlations destroyed) fail it
    rng = np.random.default_rng(0)
    indep = syn.apply(lambda c: c.to_numpy()[rng.permutation(len(c))])
    assert _corr_gaps(num, indep, "spearman")[0] > SPEARMAN_MAX


def test_copula_output_audits_without_failures(wine):
    syn = GaussianCopula(seed=1).fit(wine).sample(len(wine))
    metrics = ["tabular.kst", "tabular.tvd", "tabular.pearson_score", "tabular.contingency_score", "tabular.chi2"]
    report = synthaudit.audit("tabular", synthetic=syn, real=wine, metrics=metrics)
    by_id = {m.id: m for m in report.metrics}
    assert set(by_id) == set(metrics) and all(m.status == "ok" for m in report.metrics)
    assert by_id["tabular.kst"].value < 0.15 and by_id["tabular.tvd"].value < 0.1
    assert by_id["tabular.pearson_score"].value < 0.1


def test_class_quotas():
    labels = pd.Series(["a"] * 90 + ["b"] * 9 + ["c"] * 1 + [None] * 5)
    assert class_quotas(labels, 100, 0.0) == {"a": 90, "b": 9, "c": 1}
    assert class_quotas(labels, 99, 1.0) == {"a": 33, "b": 33, "c": 33}
    half = class_quotas(labels, 1000, 0.5)
    assert sum(half.values()) == 1000 and half["a"] > half["b"] > half["c"] > 10
    with pytest.raises(ValueError):
        class_quotas(labels, 10, 1.5)


class _Bootstrap:
    """A minimal fit/sample generator: resamples rows; returns a bare numpy array like some libraries do."""

    def fit(self, frame):
        self.values = frame.to_numpy()

    def sample(self, n):
        return self.values[np.random.randint(0, len(self.values), size=n)]


def test_adapter_wraps_any_fit_sample_object(wine):
    a = generate_tabular(_Bootstrap(), wine, 50, seed=3)
    b = generate_tabular(_Bootstrap(), wine, 50, seed=3)
    assert list(a.columns) == list(wine.columns) and len(a) == 50
    pd.testing.assert_frame_equal(a, b)  # seeded through numpy's global state
    c = generate_tabular(GaussianCopula(seed=0), wine, 40, seed=0)
    assert c.shape == (40, wine.shape[1])
    with pytest.raises(UsageError, match=r"needs fit\(frame\) and sample\(n\)"):
        FitSampleAdapter(object())

    class Broken(_Bootstrap):
        def sample(self, n):
            return pd.DataFrame({"x": range(n)})

    with pytest.raises(InputError, match="lack column"):
        generate_tabular(Broken(), wine, 5)


def test_make_generator_names_and_class_conditional(wine):
    with pytest.raises(UsageError, match="unknown generator"):
        make_generator("ctgan")
    with pytest.raises(UsageError, match="cannot import"):
        make_generator("nonexistent_pkg.mod:Thing")
    gen = make_generator("synthaudit.generate.tabular:GaussianCopula", seed=0)
    assert isinstance(gen, FitSampleAdapter)
    cond = make_generator("gaussian_copula", target="class", rare_boost=1.0, seed=0)
    assert isinstance(cond, ClassConditional)
    skewed = pd.concat([wine[wine["class"] != "cultivar_2"], wine[wine["class"] == "cultivar_2"].head(6)])
    out = generate_tabular(cond, skewed, 300, seed=0)
    assert out["class"].value_counts().to_dict() == {"cultivar_0": 100, "cultivar_1": 100, "cultivar_2": 100}


# -- LLM rows -------------------------------------------------------------------------------------------
SMALL = pd.DataFrame({"age": [23, 35, 47, 51, 62, 29], "income": [1.5, 2.0, 3.2, 4.1, 2.8, 1.9],
                      "job": ["clerk", "nurse", "clerk", "chef", "nurse", "chef"],
                      "label": ["no", "no", "no", "no", "yes", "no"]})


def test_schema_coercion_and_parsing():
    schema = table_schema(SMALL)
    assert [c.kind for c in schema] == ["integer", "number", "category", "category"]
    assert coerce_row({"age": "40", "income": 2, "job": "Nurse ", "label": "no", "extra": 1}, schema) == \
        ({"age": 40, "income": 2.0, "job": "nurse", "label": "no"}, None)
    assert coerce_row({"age": 40, "income": 2, "job": "pilot", "label": "no"}, schema)[1] == "unknown category in job"
    assert coerce_row({"age": 400, "income": 2, "job": "chef", "label": "no"}, schema)[1] == "out of range in age"
    assert coerce_row({"age": 40, "job": "chef", "label": "no"}, schema)[1] == "missing column income"
    assert coerce_row({"age": "x", "income": 2, "job": "chef", "label": "no"}, schema)[1] == "not a number in age"
    assert coerce_row([1, 2], schema)[1] == "not a JSON object"
    assert parse_rows('Sure!\n```json\n{"rows": [{"a": 1}]}\n```') == [{"a": 1}]
    assert parse_rows('[{"a": 1}, {"a": 2}]') == [{"a": 1}, {"a": 2}]
    assert parse_rows('{"a": 1}\n{"a": 2}') == [{"a": 1}, {"a": 2}]
    assert parse_rows("no json here") is None


def _reply(content: str) -> dict:
    return {"choices": [{"message": {"content": content}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 5}}


class _Rows(JSONHandler):
    script: list = []
    hits: list = []

    def do_POST(self):  # noqa: N802 - http.server API
        type(self).hits.append(self.read_json())
        self.send_json(_reply(self.script[min(len(self.hits) - 1, len(self.script) - 1)]))


@pytest.fixture
def endpoint():
    _Rows.hits = []
    with serve(_Rows) as url:
        yield url


def _rows(*rows) -> str:
    return json.dumps({"rows": list(rows)})


GOOD = {"age": 30, "income": 2.5, "job": "chef", "label": "no"}


def test_llm_rows_from_scripted_endpoint(endpoint, tmp_path):
    _Rows.script = [
        _rows(GOOD, {**GOOD, "age": 999}, {**GOOD, "job": "astronaut"}, {"job": "chef"}),  # 1 kept, 3 rejected
        "I cannot produce JSON, sorry.",  # unparsed response
        "```json\n" + _rows({**GOOD, "age": 41}, {**GOOD, "income": "n/a"}) + "\n```",  # 1 kept, 1 rejected
        _rows({**GOOD, "age": 50}, {**GOOD, "age": 51}),  # 1 kept (quota reached), 1 surplus
    ]
    client = LLMClient(model="openai:test", base_url=endpoint, cache=False, backoff=0.01)
    gen = LLMTabularGenerator(client, k=3, rows_per_call=4, seed=0, json_retries=0).fit(SMALL)
    out = gen.sample(3)
    assert len(out) == 3 and sorted(out["age"]) == [30, 41, 50]
    s = gen.stats.as_dict()
    assert s["calls"] == 4 and s["unparsed_responses"] == 1 and s["rows_kept"] == 3 and s["rows_surplus"] == 1
    assert s["rejected_by_reason"] == {"out of range in age": 1, "unknown category in job": 1,
                                       "missing column age": 1, "not a number in income": 1}
    first = _Rows.hits[0]
    assert first["response_format"] == {"type": "json_object"} and first["model"] == "test"
    prompt = first["messages"][1]["content"]
    assert "job: category one of [" in prompt and "age: integer in [23, 62]" in prompt
    assert prompt.count('"income"') == 3  # k = 3 in-context rows
    assert first["seed"] != _Rows.hits[1]["seed"]  # each call its own seed


class _LocalRows:
    """A client that looks local (schema-constrained, batched): every other answer is a row out of range."""

    remote = False
    model = "local-stub"

    def __init__(self) -> None:
        self.rounds: list[int] = []

    def chat_many(self, requests):
        from synthaudit.models.llm import Completion

        self.rounds.append(len(requests))
        return [Completion(text=_rows({**GOOD, "age": 30 + i} if i % 2 == 0 else {**GOOD, "age": 999}))
                for i, _ in enumerate(requests)]


def test_llm_local_rounds_overshoot_and_report_progress():
    """A batched (local) round asks for 1.5x the calls still needed, so rejected rows are mostly replaced in the
    same round; surplus rows are counted, not kept; ``on_rows`` sees the kept count rise to the quota."""
    client = _LocalRows()
    gen = LLMTabularGenerator(client, k=1, rows_per_call=1, seed=0, max_calls=40).fit(SMALL)
    seen: list[int] = []
    gen.on_rows = seen.append
    out = gen.sample(6)
    # round 1: 6 needed -> 9 calls, the 5 even answers kept and 4 rejected; round 2: 1 needed -> ceil(1.5) = 2
    # calls, the first kept and the second rejected
    assert client.rounds == [9, 2]
    assert len(out) == 6 and seen == [1, 2, 3, 4, 5, 6]
    assert gen.stats.rows_kept == 6 and gen.stats.rejected["out of range in age"] == 4 + 1
    with pytest.raises(ValueError, match="overshoot"):
        LLMTabularGenerator(client, overshoot=0.5)


def test_llm_class_conditional_prompts(endpoint):
    _Rows.script = [_rows(GOOD, {**GOOD, "label": "yes"})]
    client = LLMClient(model="openai:test", base_url=endpoint, cache=False)
    gen = LLMTabularGenerator(client, k=2, rows_per_call=2, target="label", rare_boost=1.0, max_calls=1).fit(SMALL)
    out = gen.sample(4)
    yes_prompts = [h["messages"][1]["content"] for h in _Rows.hits if 'label = "yes"' in h["messages"][1]["content"]]
    assert len(yes_prompts) == 1 and '"label": "no"' not in yes_prompts[0]  # in-context rows of that class only
    assert out["label"].value_counts().to_dict() == {"no": 1, "yes": 1}
    assert gen.stats.rejected["wrong class in label"] == 2
    assert gen.stats.per_class == {"no": {"quota": 2, "kept": 1, "calls": 1},
                                   "yes": {"quota": 2, "kept": 1, "calls": 1}}


def test_llm_no_valid_rows_is_one_clear_error(endpoint):
    _Rows.script = ["nope"]
    client = LLMClient(model="openai:test", base_url=endpoint, cache=False)
    with pytest.raises(GenerationError, match="no valid rows in 2 call"):
        LLMTabularGenerator(client, max_calls=2, json_retries=0).fit(SMALL).sample(2)
    assert issubclass(GenerationError, SynthAuditError)


def test_cli_generate_tabular(tmp_path, endpoint):
    real = tmp_path / "real.csv"
    SMALL.to_csv(real, index=False)
    res = runner.invoke(generate_app, ["tabular", "--real", str(real), "--n", "20", "--out",
                                     str(tmp_path / "syn.jsonl"), "--quiet"])
    assert res.exit_code == 0, res.output
    syn = pd.read_json(tmp_path / "syn.jsonl", lines=True)
    assert syn.shape == (20, 4)
    _Rows.script = [_rows(GOOD, {**GOOD, "age": 31})]
    res = runner.invoke(generate_app, ["tabular", "--real", str(real), "--method", "llm", "--model",
                                     "openai:test", "--base-url", endpoint, "--n", "2", "--out",
                                     str(tmp_path / "llm.csv")])
    assert res.exit_code == 0, res.output
    assert len(pd.read_csv(tmp_path / "llm.csv")) == 2 and '"rows_kept": 2' in res.output
    for args, msg in [(["--method", "ctgan"], "unknown generator method"),
                      (["--real", str(tmp_path / "missing.csv")], "file not found"),
                      (["--out", str(tmp_path / "x.xlsx")], "output format")]:
        base = {"--real": str(real), "--out": str(tmp_path / "o.csv"), "--method": "gaussian_copula"}
        base.update(dict(zip(args[::2], args[1::2])))
        res = runner.invoke(generate_app, ["tabular", *[x for kv in base.items() for x in kv]])
        assert res.exit_code == 2 and msg in res.output and "Traceback" not in res.output, res.output


@pytest.mark.timeout(180)  # about 20 s alone (model load, the schema-constraint tables); more on a busy machine
def test_smollm2_smoke(tmp_path):
    """The offline SmolLM2 (135M) runs the whole path; its rows are poor, and the stats must say so."""
    pytest.importorskip("transformers")
    client = LLMClient(model="smollm2", cache=False)
    gen = LLMTabularGenerator(client, k=2, rows_per_call=2, max_calls=1, max_tokens=48, temperature=0.0).fit(SMALL)
    try:
        out = gen.sample(2)
        assert len(out) <= 2 and list(out.columns) == list(SMALL.columns)
    except GenerationError as exc:
        assert "no valid rows in 1 call" in str(exc)
    s = gen.stats.as_dict()
    assert s["calls"] == 1
    assert s["rows_returned"] == s["rows_kept"] + s["rows_rejected"] + s["rows_surplus"]
