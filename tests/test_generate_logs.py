"""Log generation (survey section 5.2): template-and-variable generation fitted to real logs (loghub HDFS sample)
and LLM-written lines given templates, on the real offline SmolLM2 (no mock of the model).

References are computed here, independently of the generator: the real template distribution and the (Level,
Component) pairs with pandas, every template as a regex written in this file, tolerances from a multinomial
simulation with numpy, template sets from Drain3 run directly."""
from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from synthaudit.generate.logs import METHODS
from synthaudit.generate.logs.templates import SlotModel, fit_logs, templates_method
from synthaudit.generate.runner import read_jsonl, rejects_path, run_generation

HDFS = Path(__file__).resolve().parents[2] / "shared" / "data" / "logs" / "loghub_2k" / "HDFS"
STRUCTURED = HDFS / "HDFS_2k.log_structured_corrected.csv"
HDFS_FORMAT = "<Date> <Time> <Pid> <Level> <Component>: <Content>"


def regex_of(template: str) -> re.Pattern:
    """The template as a regex: static text escaped, each <*> one or more characters (written here, not the
    package's template_variables)."""
    parts = template.split("<*>")
    return re.compile("(.+?)".join(re.escape(p) for p in parts), re.S)


def tvd(p: dict, q: dict) -> float:
    keys = set(p) | set(q)
    return 0.5 * sum(abs(p.get(k, 0.0) - q.get(k, 0.0)) for k in keys)


def tvd_tolerance(probs: np.ndarray, n: int, quantile: float = 0.999, sims: int = 4000, seed: int = 0) -> float:
    """The `quantile` of the total variation distance between `probs` and the empirical distribution of n draws
    from it (multinomial simulation): a sample of the true distribution exceeds it with probability 1 - quantile."""
    counts = np.random.default_rng(seed).multinomial(n, probs, size=sims)
    return float(np.quantile(0.5 * np.abs(counts / n - probs).sum(axis=1), quantile))


@pytest.fixture(scope="module")
def real() -> pd.DataFrame:
    if not STRUCTURED.exists():
        pytest.skip("the loghub HDFS sample is not in ../shared/data")
    return pd.read_csv(STRUCTURED, dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def fitted(real):
    return fit_logs(STRUCTURED)


@pytest.fixture(scope="module")
def lines(fitted) -> list[dict]:
    return list(templates_method(None, 2000, seed=0, fitted=fitted))


def test_template_frequencies_match_the_real_distribution(real, lines):
    p_real = real["EventTemplate"].value_counts(normalize=True)
    observed = pd.Series([r["EventTemplate"] for r in lines]).value_counts(normalize=True)
    distance = tvd(p_real.to_dict(), observed.to_dict())
    tolerance = tvd_tolerance(p_real.to_numpy(), len(lines))
    # 14 templates, N = 2000: a sample of the real distribution itself stays below ~0.04 in 99.9 % of draws
    assert tolerance < 0.06
    assert distance <= tolerance, (distance, tolerance)
    assert set(observed.index) <= set(p_real.index)  # no template that is not in the real logs


def test_every_line_matches_its_template_with_observed_level_and_component(real, lines):
    heads = set(zip(real["EventTemplate"], real["Level"], real["Component"]))
    for r in lines:
        m = regex_of(r["EventTemplate"]).fullmatch(r["Content"])
        assert m is not None, r
        assert r["Content"] == "".join(x for pair in zip(r["EventTemplate"].split("<*>"), r["variables"] + [""])
                                       for x in pair)
        assert (r["EventTemplate"], r["Level"], r["Component"]) in heads
        assert r["injected"] == []


def test_slot_values_follow_the_documented_smoothing(real, lines):
    template = "PacketResponder <*> for block <*> terminating"
    rx = regex_of(template)
    real_vals = [rx.fullmatch(c).groups() for c in real.loc[real["EventTemplate"] == template, "Content"]]
    gen_vals = [tuple(r["variables"]) for r in lines if r["EventTemplate"] == template]
    assert len(gen_vals) > 200
    # slot 0 (responder 0, 1, 2: 3 distinct of 311) is categorical: observed values, observed frequencies
    p = pd.Series([v[0] for v in real_vals]).value_counts(normalize=True)
    q = pd.Series([v[0] for v in gen_vals]).value_counts(normalize=True)
    assert set(q.index) <= set(p.index)
    assert tvd(p.to_dict(), q.to_dict()) <= tvd_tolerance(p.to_numpy(), len(gen_vals))
    # slot 1 (block ids, all distinct) is numeric: same shape blk_# / blk_-#, a digit count seen with that sign,
    # the number within the observed range of that sign and digit count
    ranges: dict[tuple[str, int], list[int]] = {}
    for _, blk in real_vals:
        sign, digits = re.fullmatch(r"blk_(-?)(\d+)", blk).groups()
        ranges.setdefault((sign, len(digits)), []).append(int(digits))
    fresh = 0
    for _, blk in gen_vals:
        m = re.fullmatch(r"blk_(-?)(\d+)", blk)
        assert m is not None, blk
        sign, digits = m.groups()
        seen = ranges.get((sign, len(digits)))
        assert seen is not None and min(seen) <= int(digits) <= max(seen), blk
        fresh += blk not in {b for _, b in real_vals}
    assert fresh >= 0.9 * len(gen_vals)  # new ids, not copies of the real ones


def test_slot_model_by_hand():
    # values blk_12, blk_30 (2 digits), blk_7 (1 digit): 3 distinct of 3 -> numeric; 2-digit runs in [12, 30]
    model = SlotModel.fit(["blk_12", "blk_30", "blk_7"])
    assert model.numeric and model.ranges == {("blk_#", 0, 2): (12, 30), ("blk_#", 0, 1): (7, 7)}
    import random

    rng = random.Random(0)
    draws = [model.sample(rng) for _ in range(300)]
    assert all(re.fullmatch(r"blk_(\d)", d) and d == "blk_7" or 12 <= int(d[4:]) <= 30 and len(d) == 6 for d in draws)
    assert len(set(draws)) > 5  # the 2-digit ids are redrawn, not just copied
    # zero-padded runs keep their width: 007 and 042 -> 3 digits in [7, 42]
    padded = SlotModel.fit(["id007", "id042"])
    assert all(len(v) == 5 and 7 <= int(v[2:]) <= 42 for v in (padded.sample(rng) for _ in range(100)))
    # repeated values (2 distinct of 4) are categorical even with digits: only observed values
    cat = SlotModel.fit(["50010", "50010", "50010", "8080"])
    assert not cat.numeric and {cat.sample(rng) for _ in range(100)} == {"50010", "8080"}


def test_hand_fixture_unicode_unmatched_and_constant_templates(tmp_path):
    path = tmp_path / "tiny.csv"
    pd.DataFrame({
        "Content": ["user ålice logged in from 10.0.0.1", "user bob logged in from 10.0.0.2",
                    "user ålice logged in from 10.0.0.3", "disk full", "garbled line"],
        "EventTemplate": ["user <*> logged in from <*>"] * 3 + ["disk full", "user <*> logged in from <*>"],
        "Level": ["INFO", "INFO", "WARN", "ERROR", "INFO"]}).to_csv(path, index=False)
    fit = fit_logs(path)
    by = {t.template: t for t in fit.templates}
    login = by["user <*> logged in from <*>"]
    # 4 messages carry the login template (one does not match it: counted, no slot values from it)
    assert login.count == 4 and login.unmatched == 1 and fit.notes["unmatched_messages"] == 1
    assert dict(zip(login.heads, login.head_counts)) == {("INFO", None): 3, ("WARN", None): 1}
    assert not login.slots[0].numeric and dict(zip(login.slots[0].values, login.slots[0].counts)) == \
        {"ålice": 2, "bob": 1}
    assert login.slots[1].numeric  # 3 distinct addresses of 3: each octet within its range: 10.0.0.1-3
    out = list(templates_method(None, 4000, seed=3, fitted=fit))
    share = sum(r["EventTemplate"] == "disk full" for r in out) / len(out)
    # binomial(4000, 0.2): sd = sqrt(0.2 * 0.8 / 4000) = 0.0063; 5 sd = 0.032
    assert abs(share - 0.2) < 0.032
    for r in out:
        if r["EventTemplate"] == "disk full":
            assert r["Content"] == "disk full" and r["variables"] == [] and r["Level"] == "ERROR"
        else:
            user, ip = regex_of(r["EventTemplate"]).fullmatch(r["Content"]).groups()
            assert user in ("ålice", "bob") and ip in ("10.0.0.1", "10.0.0.2", "10.0.0.3")


def test_seeds_give_identical_output_and_resume_completes_the_same_file(fitted, tmp_path):
    a = list(templates_method(None, 60, seed=7, fitted=fitted))
    b = list(templates_method(None, 60, seed=7, fitted=fitted))
    c = list(templates_method(None, 60, seed=8, fitted=fitted))
    assert a == b and [r["Content"] for r in a] != [r["Content"] for r in c]
    full, part = tmp_path / "full.jsonl", tmp_path / "part.jsonl"
    run_generation("templates", None, n=60, seed=7, out=full, methods=METHODS, real=str(STRUCTURED))
    run_generation("templates", None, n=60, seed=7, out=part, methods=METHODS, real=str(STRUCTURED))
    lines = part.read_bytes().splitlines(keepends=True)
    part.write_bytes(b"".join(lines[:25]) + lines[25][:40])  # killed mid-write: 25 records and a torn line
    stats = run_generation("templates", None, n=60, seed=7, out=part, methods=METHODS, real=str(STRUCTURED))
    assert stats.resumed == 25 and stats.written == 35
    assert part.read_bytes() == full.read_bytes()
    assert [r["Content"] for r in read_jsonl(full)] == [r["Content"] for r in a]
    with pytest.raises(Exception, match="another fit"):
        run_generation("templates", None, n=61, seed=7, out=part, methods=METHODS, real=str(STRUCTURED),
                       collapse=2)


def test_collapse_and_leak_flaws(real, fitted):
    top3 = set(real["EventTemplate"].value_counts().index[:3])
    collapsed = list(templates_method(None, 500, seed=1, fitted=fitted, collapse=3))
    assert {r["EventTemplate"] for r in collapsed} == top3
    from synthaudit.detect.sensitive import detect, match

    leaky = list(templates_method(None, 1000, seed=2, fitted=fitted, leak=0.3))
    leaked = [r for r in leaky if r["injected"]]
    # binomial(1000, 0.3): sd = sqrt(0.3 * 0.7 / 1000) = 0.0145; 5 sd = 0.072
    assert abs(len(leaked) / len(leaky) - 0.3) < 0.072
    for r in leaky:
        if not r["injected"]:
            assert regex_of(r["EventTemplate"]).fullmatch(r["Content"])
        for s in r["injected"]:
            assert r["Content"][s["start"]:s["end"]] == s["text"]
    kinds = Counter(s["type"] for r in leaked for s in r["injected"])
    assert set(kinds) == {"user_name", "email", "ipv4"}
    # the built-in detector finds every injected span exactly
    from synthaudit.detect.sensitive import Span

    for r in leaked[:200]:
        gold = [Span(s["start"], s["end"], s["type"], s["text"]) for s in r["injected"]]
        found = detect(r["Content"], ["user_name", "email", "ipv4"])
        assert all(match(gold, found, "exact")), (r["Content"], found)


def test_drain3_templates_from_raw_lines_equal_a_direct_drain3_run():
    from drain3 import TemplateMiner
    from drain3.template_miner_config import TemplateMinerConfig

    fit = fit_logs(HDFS / "HDFS_2k.log", log_format=HDFS_FORMAT)
    cfg = TemplateMinerConfig()
    cfg.drain_depth, cfg.drain_sim_th, cfg.profiling_enabled = 4, 0.4, False
    miner = TemplateMiner(config=cfg)
    header = re.compile(r"^\S+\s+\S+\s+\S+\s+\S+\s+(.*?):\s+(.*)$")
    clusters = []
    for line in (HDFS / "HDFS_2k.log").read_text(encoding="utf-8").splitlines():
        clusters.append(miner.add_log_message(header.match(line).group(2).strip())["cluster_id"])
    final = {c.cluster_id: c.get_template() for c in miner.drain.clusters}
    expected = Counter(final[c] for c in clusters)
    assert {t.template: t.count for t in fit.templates} == dict(expected)
    assert fit.template_source.startswith("drain3") and fit.n_messages == 2000
    out = list(templates_method(None, 300, seed=0, fitted=fit))
    assert all(regex_of(r["EventTemplate"]).fullmatch(r["Content"]) for r in out)
    assert {r["Level"] for r in out} <= {"INFO", "WARN"}


def test_llm_lines_with_smollm2_are_checked_against_their_templates(fitted, tmp_path):
    from synthaudit.models.llm import LLMClient

    client = LLMClient(cache=False, local_batch=2)
    out = tmp_path / "llm.jsonl"
    stats = run_generation("llm", client, n=2, seed=0, out=out, methods=METHODS, fitted=fitted, max_tokens=40,
                           batch=2, shots=1)
    recs = read_jsonl(out)
    assert stats.written == len(recs) == 2 and not read_jsonl(rejects_path(out)) and client.usage.calls == 2
    real_lines = set(pd.read_csv(STRUCTURED, dtype=str)["Content"])
    for r in recs:
        assert isinstance(r["response"], str) and r["EventTemplate"] in {t.template for t in fitted.templates}
        matches = bool(r["Content"]) and regex_of(r["EventTemplate"]).fullmatch(r["Content"]) is not None
        assert r["status"] == ("valid" if matches else "invalid")
        assert (r["variables"] is not None) == matches
        assert r["copied"] == (r["Content"] in real_lines)
        assert len(r["examples"]) == 1 and r["examples"][0] in real_lines


def test_cli_generates_and_reports_user_errors_without_traceback(tmp_path):
    import typer
    from typer.testing import CliRunner

    from synthaudit.modalities.logs.cli import generate_logs

    app = typer.Typer()
    app.command()(generate_logs)
    runner = CliRunner()
    out = tmp_path / "g.jsonl"
    res = runner.invoke(app, ["--method", "templates", "--real", str(STRUCTURED), "--n", "30", "--out", str(out),
                              "--leak", "0.5", "--seed", "4"])
    assert res.exit_code == 0, res.output
    fit = fit_logs(STRUCTURED)
    assert read_jsonl(out) == list(templates_method(None, 30, seed=4, fitted=fit, leak=0.5))
    (tmp_path / "empty.log").write_text("\n  \n", encoding="utf-8")  # blank lines only
    for args, words in ((["--method", "nope"], "unknown method"), (["--method", "templates"], "fitted to real logs"),
                        (["--method", "templates", "--real", str(tmp_path / "none.csv")], "not found"),
                        (["--method", "templates", "--real", str(tmp_path / "empty.log")], "no log"),
                        (["--method", "templates", "--real", str(STRUCTURED), "--leak", "1.5"], "between 0 and 1"),
                        (["--method", "templates", "--real", str(STRUCTURED), "--parser", "x"], "unknown parser"),
                        (["--method", "llm"], "need templates"),
                        (["--method", "llm", "--real", str(STRUCTURED), "--collapse", "2"], "flaws of the templates"),
                        (["--method", "templates", "--real", str(STRUCTURED), "--n", "0"], "at least 1")):
        res = runner.invoke(app, [*args, "--out", str(tmp_path / "x.jsonl")])
        assert res.exit_code == 2 and words in res.output and "Traceback" not in res.output, (args, res.output)
        assert res.output.count("error:") == 1
