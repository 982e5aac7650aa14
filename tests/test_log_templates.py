"""Log templates (synthaudit.data.log_templates): Drain3 parsing agrees with drain3 run directly, the user's
templates, loghub-2.0's template correction (checked against loghub-2.0's own corrected ground truth) and the
variables of a message under a template."""
from __future__ import annotations

import random
import re
from pathlib import Path

import pandas as pd
import pytest

from synthaudit.data.log_templates import (LogParse, ParserConfig, normalise_template, parse_logs, static_chars,
                                           template_variables)
from synthaudit.errors import InputError, UsageError

LOGHUB = Path(__file__).resolve().parents[2] / "shared" / "data" / "logs" / "loghub_2k"
SYSTEMS = ("HDFS", "BGL", "OpenSSH", "Apache")


def structured(system: str, corrected: bool = True) -> pd.DataFrame:
    path = LOGHUB / system / f"{system}_2k.log_structured{'_corrected' if corrected else ''}.csv"
    if not path.exists():
        pytest.skip("the loghub samples are not in ../shared/data/logs")
    return pd.read_csv(path, dtype=str)


def drain3_directly(contents, **settings) -> list[str]:
    """The reference: drain3's TemplateMiner used as its README shows, keeping the cluster OBJECT of every message
    and reading each cluster's template after the last message (loghub-2.0 reads a parser's final output)."""
    from drain3 import TemplateMiner
    from drain3.masking import MaskingInstruction
    from drain3.template_miner_config import TemplateMinerConfig

    cfg = TemplateMinerConfig()
    for key, value in settings.items():
        if key == "masking":
            cfg.masking_instructions = [MaskingInstruction(p, n) for p, n in value]
        elif key == "parametrize_numeric_tokens":
            cfg.parametrize_numeric_tokens = value
        else:
            setattr(cfg, f"drain_{key}", value)
    miner = TemplateMiner(config=cfg)
    clusters = []
    for text in contents:
        cid = miner.add_log_message(text)["cluster_id"]
        clusters.append(miner.drain.id_to_cluster.get(cid))
    return [c.get_template() for c in clusters]


# -- Drain3 -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("system", SYSTEMS)
def test_drain3_templates_are_the_final_cluster_templates(system):
    contents = list(structured(system)["Content"])
    parse = parse_logs(contents, ParserConfig())
    assert parse.templates == drain3_directly(contents)
    # groups: same group <=> same template text
    frame = pd.DataFrame({"t": parse.templates, "g": parse.groups})
    assert (frame.groupby("t")["g"].nunique() == 1).all() and (frame.groupby("g")["t"].nunique() == 1).all()
    assert parse.method.startswith("drain3 0.9.11 (depth 4, sim_th 0.4")


def test_drain3_settings_reach_drain3():
    contents = list(structured("OpenSSH")["Content"])
    config = ParserConfig.from_options("drain3", None, {
        "depth": 5, "sim_th": 0.6, "max_children": 20, "extra_delimiters": ["="],
        "masking": [{"regex_pattern": r"\d+\.\d+\.\d+\.\d+", "mask_with": "IP"}],
        "parametrize_numeric_tokens": False})
    ours = parse_logs(contents, config).templates
    theirs = drain3_directly(contents, depth=5, sim_th=0.6, max_children=20, extra_delimiters=["="],
                             masking=[(r"\d+\.\d+\.\d+\.\d+", "IP")], parametrize_numeric_tokens=False)
    assert ours == [t.replace("<IP>", "<*>") for t in theirs]  # mask names are written <*>
    assert any("<IP>" in t for t in theirs) and not any("<IP>" in t for t in ours)
    assert ours != parse_logs(contents, ParserConfig()).templates  # the settings changed the parse


def test_evicted_clusters_keep_their_last_template():
    # max_clusters=3 (LRU): clusters are evicted and recreated; each message keeps its cluster's last template
    contents = list(structured("BGL")["Content"][:400])
    ours = parse_logs(contents, ParserConfig(max_clusters=3)).templates
    assert ours == drain3_directly(contents, max_clusters=3)


def test_missing_and_empty_messages():
    # a cluster of one message keeps the message as its template; a second one generalises it
    parse = parse_logs(["user 1 ok", None, "", "user 2 ok", "ünïcødé 3 ✓", "ünïcødé 名 ✓"], ParserConfig())
    assert parse.templates == ["user <*> ok", None, "", "user <*> ok", "ünïcødé <*> ✓", "ünïcødé <*> ✓"]
    assert parse.groups.tolist() == [0, -1, 1, 0, 2, 2]


def test_drain_is_online_order_changes_templates():
    # sim_th 0.5, one leaf (4 tokens, first token A). Order 1: m1 creates "A B C D", m2 joins (2/4 similar) ->
    # "A B <*> <*>", m3 shares 1 of its 2 static tokens (1/4 < 0.5) -> new cluster. Reversed: m3 creates
    # "A G E F", m2 joins (3/4) -> "A <*> E F", m1 shares only "A" (1/4) -> new cluster.
    m1, m2, m3 = "A B C D", "A B E F", "A G E F"
    config = ParserConfig(sim_th=0.5)
    assert parse_logs([m1, m2, m3], config).templates == ["A B <*> <*>", "A B <*> <*>", "A G E F"]
    assert parse_logs([m3, m2, m1], config).templates == ["A <*> E F", "A <*> E F", "A B C D"]


def test_given_templates_group_by_text():
    parse = LogParse.given(["a <*>", "b", None, "a <*>"], method="field t")
    assert parse.groups.tolist() == [0, 1, -1, 0] and parse.method == "field t"


# -- user templates ------------------------------------------------------------------------------------------
def test_user_templates_most_specific_wins():
    templates = ["<*> logged in", "User <*> logged in", "User admin logged in", "User <*> logged <*>"]
    # static characters: 8, 12, 17, 10
    assert [static_chars(t) for t in templates] == [8, 12, 17, 10]
    config = ParserConfig.from_options("templates", templates, None)
    msgs = ["User admin logged in", "User bob logged in", "Robot 7 logged in", "User eve logged out",
            "disk  full", None, "User bob logged in"]
    parse = parse_logs(msgs, config)
    assert parse.templates == ["User admin logged in", "User <*> logged in", "<*> logged in", "User <*> logged <*>",
                               "disk full", None, "User <*> logged in"]  # unmatched: own (space-normalised) text
    assert parse.groups.tolist() == [0, 1, 2, 3, 4, -1, 1]
    assert parse.notes["n_unmatched_messages"] == 1
    # ties in specificity: the earlier template wins
    tie = parse_logs(["a b"], ParserConfig.from_options("templates", ["a <*>", "<*> b"], None))
    assert tie.templates == ["a <*>"]


def test_template_file_forms(tmp_path):
    txt = tmp_path / "t.txt"
    txt.write_text("Send <*> bytes\n\nSend <*> bytes\nRecv <*>\n", encoding="utf-8")
    assert ParserConfig.from_options("templates", str(txt), None).templates == ("Send <*> bytes", "Recv <*>")
    csv = tmp_path / "t.csv"
    pd.DataFrame({"EventId": ["E1", "E2"], "EventTemplate": ["a <*>", "b <*>"]}).to_csv(csv, index=False)
    config = ParserConfig.from_options("templates", csv, None)
    assert config.templates == ("a <*>", "b <*>") and config.source == str(csv)
    assert config.describe()["n_templates"] == 2
    bad = tmp_path / "bad.csv"
    pd.DataFrame({"template": ["a"]}).to_csv(bad, index=False)
    with pytest.raises(InputError, match="EventTemplate") as err:
        ParserConfig.from_options("templates", bad, None)
    assert err.value.field == "--templates" and err.value.file == str(bad)


# -- options ------------------------------------------------------------------------------------------------
def test_from_options_yaml_and_describe(tmp_path):
    path = tmp_path / "drain.yaml"
    path.write_text("depth: 6\nsim_th: 0.5\nmax_clusters: 50\nmasking:\n  - regex_pattern: '\\d+'\n"
                    "    mask_with: NUM\n", encoding="utf-8")
    config = ParserConfig.from_options("drain3", None, str(path))
    assert (config.depth, config.sim_th, config.max_clusters, config.masking) == (6, 0.5, 50, ((r"\d+", "NUM"),))
    d = config.describe()
    assert d["drain3"] == "0.9.11" and d["masking"] == [{"regex_pattern": r"\d+", "mask_with": "NUM"}]
    assert ParserConfig.from_options("drain3", None, None) == ParserConfig()


@pytest.mark.parametrize("parser, templates, config, field, text", [
    ("spell", None, None, "--parser", "unknown parser"),
    ("templates", None, None, "--templates", "needs the templates"),
    ("drain3", ["a <*>"], None, "--templates", "only with --parser templates"),
    ("templates", ["a <*>"], {"depth": 4}, "--parser-config", "apply to --parser drain3"),
    ("templates", ["a", 3], None, "--templates", "expected a string"),
    ("templates", ["", "  "], None, "--templates", "no templates found"),
    ("drain3", None, {"depht": 4}, "--parser-config", "unknown Drain3 setting"),
    ("drain3", None, {"depth": 2}, "--parser-config", "'depth': expected an integer >= 3"),
    ("drain3", None, {"sim_th": 1.5}, "--parser-config", "'sim_th'"),
    ("drain3", None, {"sim_th": True}, "--parser-config", "'sim_th'"),
    ("drain3", None, {"extra_delimiters": "_"}, "--parser-config", "'extra_delimiters'"),
    ("drain3", None, {"masking": [{"regex_pattern": "(", "mask_with": "X"}]}, "--parser-config", "not a valid regex"),
    ("drain3", None, {"masking": [{"regex_pattern": "a", "mask_with": "<X>"}]}, "--parser-config", "mask_with"),
    ("drain3", None, {"masking": [{"regex": "a"}]}, "--parser-config", r"masking\[0\]"),
    ("drain3", None, {"parametrize_numeric_tokens": "yes"}, "--parser-config", "true or false"),
    ("drain3", None, ["depth"], "--parser-config", "expected a mapping"),
])
def test_bad_options_name_the_option(parser, templates, config, field, text):
    with pytest.raises((UsageError, InputError), match=text) as err:
        ParserConfig.from_options(parser, templates, config)
    assert err.value.field == field


def test_missing_files_name_the_option(tmp_path):
    with pytest.raises(InputError, match="not found") as err:
        ParserConfig.from_options("templates", tmp_path / "none.txt", None)
    assert err.value.field == "--templates"
    with pytest.raises(InputError, match="not found"):
        ParserConfig.from_options("drain3", None, tmp_path / "none.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("depth: [1,\n", encoding="utf-8")
    with pytest.raises(InputError, match="YAML"):
        ParserConfig.from_options("drain3", None, bad)


# -- loghub-2.0's template correction -------------------------------------------------------------------
@pytest.mark.parametrize("template, expected", [
    ("  a \t b  ", "a b"),  # DS: strip, one space
    ("open /var/log/app.log now", "open <*> now"),  # PS: a path-like token
    ("flag TRUE for user Root, untrue", "flag <*> for user <*>, untrue"),  # BL, US (any case, whole tokens)
    ("port 8080 open", "port <*> open"),  # DG
    ("version v1.2", "version v1.<*>"),  # DG on the token '2' after splitting at '.'
    ("blk_<*> done", "<*> done"),  # WV: a word holding a variable
    ("path <*>/<*>", "path <*>/<*>"),  # WV exception
    ("ip <*>.<*>.<*>.<*>", "ip <*>"),  # DV: <*>.<*> -> <*>, repeated
    ("a <*><*> b", "a <*> b"),  # consecutive variables collapse (WV, then CV)
    ("ünïcødé 12 ✓", "ünïcødé <*> ✓"),
])
def test_normalise_template_rules(template, expected):
    assert normalise_template(template) == expected


@pytest.mark.parametrize("system", SYSTEMS)
def test_normalise_reproduces_loghub2_corrected_ground_truth(system):
    """loghub-2.0's *_structured_corrected.csv is its correction of the original ground truth: our correction
    of every original template gives it row for row, and leaves corrected templates unchanged."""
    original, corrected = structured(system, corrected=False), structured(system)
    assert list(original["Content"]) == list(corrected["Content"])
    assert list(original["EventTemplate"].map(normalise_template)) == list(corrected["EventTemplate"])
    for t in set(corrected["EventTemplate"]):
        assert normalise_template(t) == t


# -- variables ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("template, content, expected", [
    ("Send <*> bytes to <*>", "Send 42 bytes to 10.0.0.1", ["42", "10.0.0.1"]),
    ("User <*> logged in", "User Jean Paul logged in", ["Jean Paul"]),  # one <*> = several tokens
    ("block blk_<*> ok", "block blk_-123 ok", ["-123"]),  # part of a token
    ("<*>:<*> up", "10.1.2.3:8080 up", ["10.1.2.3", "8080"]),
    ("<*> <*>", "a b c", ["a", "b c"]),  # ambiguous: the leftmost takes the fewest characters
    ("a  b <*>", "  a b\tc  ", ["c"]),  # whitespace runs match any whitespace; ends stripped
    ("disk full", "disk full", []),
    ("Send <*> bytes", "Recv 4 bytes", None),
    ("Send <*> bytes", "Send  bytes", None),  # a variable is never empty
    ("ünï <*> ✓", "ünï 名前 ✓", ["名前"]),
    ("x (<*>) [<*>]", "x (a.b) [c+d]", ["a.b", "c+d"]),  # regex characters in the static part
])
def test_template_variables(template, content, expected):
    assert template_variables(template, content) == expected


@pytest.mark.parametrize("system", SYSTEMS)
def test_ground_truth_templates_match_their_messages(system):
    frame = structured(system)
    assert all(template_variables(t, c) is not None for t, c in zip(frame["EventTemplate"], frame["Content"]))


def test_variables_of_drain3_templates_rebuild_the_message():
    frame = structured("HDFS")
    rng = random.Random(0)
    contents = list(frame["Content"])
    parse = parse_logs(contents, ParserConfig())
    for i in rng.sample(range(len(contents)), 200):
        values = template_variables(parse.templates[i], contents[i])
        rebuilt = parse.templates[i]
        for v in values:
            rebuilt = rebuilt.replace("<*>", v, 1)
        assert rebuilt == " ".join(contents[i].split())


def whole_template_regex(template: str, content: str) -> list[str] | None:
    """The definition, spelled out as one regex over the whole message: <*> = a non-empty run starting and ending
    with a non-space, lazily (leftmost shortest); a whitespace run in the template = any whitespace run."""
    parts = " ".join(template.split()).split("<*>")
    pattern = r"(\S(?:.*?\S)??)".join(r"\s+".join(re.escape(w) for w in p.split(" ")) for p in parts)
    m = re.fullmatch(pattern, content.strip(), re.DOTALL)
    return None if m is None else list(m.groups())


@pytest.mark.parametrize("system", SYSTEMS)
def test_token_shortcut_agrees_with_the_whole_template_regex(system):
    # template_variables matches token by token when the token counts agree: same answers as the whole regex,
    # on each line's own ground-truth and Drain3 templates and on other lines' templates (mostly no match)
    frame = structured(system)
    contents = list(frame["Content"])
    drained = parse_logs(contents, ParserConfig()).templates
    rng = random.Random(1)
    templates = sorted(set(frame["EventTemplate"]) | set(drained))
    cases = [(t, c) for t, c in zip(frame["EventTemplate"], contents)] + list(zip(drained, contents))
    cases += [(rng.choice(templates), rng.choice(contents)) for _ in range(2000)]
    found = 0
    for t, c in cases:
        expected = whole_template_regex(t, c)
        assert template_variables(t, c) == expected, (t, c)
        found += expected is not None
    assert 4000 <= found < len(cases)
