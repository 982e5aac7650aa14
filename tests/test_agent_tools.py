"""Tool-call trajectories (survey section 7.2, ExecRate): registry files, schema checks, sandboxed re-execution and
result comparison. Every expected kind and number is worked out by hand from the fixtures in tests/data/agent/."""
from __future__ import annotations

import json
import math
import textwrap
from pathlib import Path

import pytest

from synthaudit.data.agent import load_episodes
from synthaudit.envs.base import FAILURE_KINDS
from synthaudit.envs.tools import (Tool, ToolRegistry, json_equal, normalise, replay_tool_episode,
                                   schema_from_signature)
from synthaudit.errors import InputError, UsageError
from synthaudit.verify.sandbox import Limits

DATA = Path(__file__).parent / "data" / "agent"
FAST = Limits(cpu_s=1, wall_s=3)


@pytest.fixture(scope="module")
def registry() -> ToolRegistry:
    return ToolRegistry.from_file(DATA / "tools.json")


@pytest.fixture(scope="module")
def episodes() -> dict:
    return {e.episode_id: e for e in load_episodes(DATA / "trajectories.jsonl", "trajectories").episodes}


def one(steps: list[dict], eid: str = "e") -> object:
    return load_episodes([{"episode_id": eid, "steps": steps}], "test").episodes[0]


def test_registry_json_and_yaml_agree():
    j, y = ToolRegistry.from_file(DATA / "tools.json"), ToolRegistry.from_file(DATA / "tools.yaml")
    # four tools in each file plus the built-in python interpreter
    assert j.names() == y.names() == ["get_weather", "calculator", "shorten", "send_email", "python"]
    assert [j.get(n).kind for n in j.names()] == ["sandbox", "sandbox", "python", "schema", "sandbox"]
    assert j.get("calculator").entry == "run" and j.get("get_weather").entry == "get_weather"
    assert j.get("calculator").parameters == y.get("calculator").parameters  # the OpenAI form is unwrapped
    assert j.get("nope") is None and j.get(None) is None and "python" in j
    assert "python" not in ToolRegistry.from_file(DATA / "tools.json", python_tool=False)


def test_correct_calls_pass(registry, episodes):
    r = replay_tool_episode(episodes["weather-ok"], registry)
    # 4 calls: get_weather, get_weather (OpenAI form, JSON-string arguments, JSON-text result), calculator + shorten
    # in one step (results keyed by call id); the final answer step is not an action
    assert [(o.step, o.call, o.ok, o.kind) for o in r.outcomes] == \
        [(0, 0, True, None), (1, 0, True, None), (2, 0, True, None), (2, 1, True, None)]
    assert r.exec_rate() == 1.0 and r.first_failure is None and r.mismatches == []
    assert r.info["calls"] == 4 and r.info["mismatched"] == 0 and r.info["compared"] == 4
    # 18.5 * 9 / 5 + 32 = 65.3 (up to float rounding, within 1e-9); 18.5 * 2 = 37; shorten to 12 chars
    assert math.isclose(r.info["results"][1][0]["temperature"], 65.3, rel_tol=1e-12)
    assert r.info["results"][2] == [37.0, textwrap.shorten("Paris is mild today", width=12)]
    assert r.total_seconds > 0


def test_mixed_episode_each_failure_caught_and_named(registry, episodes):
    r = replay_tool_episode(episodes["weather-mixed"], registry)
    kinds = [(o.step, o.ok, o.kind) for o in r.outcomes]
    assert kinds == [(0, False, "unknown_tool"), (1, False, "schema"), (2, True, "result_mismatch"),
                     (3, False, "exception"), (4, True, None)]
    assert all(o.kind in FAILURE_KINDS for o in r.outcomes if o.kind)
    msg = [o.message for o in r.outcomes]
    assert "'get_weathr'" in msg[0] and "'get_weather'" in msg[0]  # the tool and its close match
    assert msg[1] == "get_weather arguments/$.city: 5 is not of type 'string'"
    assert "25.0" in msg[2] and "22.0" in msg[2]  # recorded Tokyo 25.0, the table gives 22.0
    assert "ZeroDivisionError" in msg[3]
    # ExecRate by hand: 5 calls; executed = the mismatch (ran) + Zürich = 2 -> 2/5; no call is skipped
    assert r.exec_rate() == pytest.approx(2 / 5) and r.exec_rate("exclude") == pytest.approx(2 / 5)
    assert r.first_failure == 0 and r.info["calls"] == 5 and r.info["mismatched"] == 1
    assert len(r.mismatches) == 1 and r.mismatches[0].startswith("step 2 call 0: get_weather")
    assert all(o.kind != "not_executed" for o in r.outcomes)
    failures = r.to_dict()["failures"]
    assert [f["kind"] for f in failures] == ["unknown_tool", "schema", "result_mismatch", "exception"]


def test_sandboxed_code_tool_forbidden_operation_and_loop():
    reg = ToolRegistry([
        Tool("net", parameters={"type": "object"},
             code="import socket\n\ndef net():\n    socket.socket(socket.AF_INET, socket.SOCK_STREAM)\n    return 1\n"),
        Tool("spin", code="def run(**kw):\n    while True:\n        pass\n"),
        Tool("quiet", code="def run(**kw):\n    print('chatter')\n    return None\n"),
        Tool("天气", code="def 天气(城市):\n    return {'城市': 城市, 'ok': True}\n")])
    ep = one([{"action": {"tool": "net", "arguments": {}}},
              {"action": {"tool": "spin", "arguments": {}}},
              {"action": {"tool": "quiet", "arguments": {}}, "result": None},
              {"action": {"tool": "天气", "arguments": {"城市": "北京"}}, "result": {"城市": "北京", "ok": True}}])
    r = replay_tool_episode(ep, reg, limits=FAST)
    assert [(o.ok, o.kind) for o in r.outcomes] == [(False, "exception"), (False, "exception"), (True, None),
                                                    (True, None)]
    assert "network" in r.outcomes[0].message
    assert "timeout" in r.outcomes[1].message
    assert r.info["results"][2] == [None]  # printed text is not the result; None came back as JSON null


def test_python_interpreter_tool():
    reg = ToolRegistry.from_mapping({})
    ep = one([{"action": {"tool": "python", "arguments": {"code": "print(6 * 7)"}}, "result": "42"},
              {"action": {"tool": "python", "arguments": {"code": "print(6 * 7)"}}, "result": "41\n"},
              {"action": {"tool": "python", "arguments": {"code": "x = 1"}}, "result": ""},   # prints nothing
              {"action": {"tool": "python", "arguments": {"code": "raise ValueError('bad')"}}},
              {"action": {"tool": "python", "arguments": {"source": "print(1)"}}}])          # not its argument
    r = replay_tool_episode(ep, reg, limits=FAST)
    assert [(o.ok, o.kind) for o in r.outcomes] == [(True, None), (True, "result_mismatch"), (True, None),
                                                    (False, "exception"), (False, "schema")]
    assert "41" in r.outcomes[1].message and "42" in r.outcomes[1].message
    assert "ValueError: bad" in r.outcomes[3].message
    assert "'code' is a required property" in r.outcomes[4].message
    assert r.info["results"][0] == ["42\n"] and r.info["results"][2] == [""]


def test_in_process_callables_unicode_and_edge_calls():
    def météo(ville: str, jours: int = 1) -> dict:
        if ville == "Atlantis":
            raise KeyError(ville)
        return {"ville": ville, "jours": jours}

    reg = ToolRegistry.from_mapping({"météo": météo, "ping": lambda: "pong",
                                     "log": {"type": "object", "properties": {"msg": {"type": "string"}}}})
    assert reg.get("météo").parameters == {"type": "object", "properties": {"ville": {"type": "string"},
                                                                           "jours": {"type": "integer"}},
                                           "required": ["ville"], "additionalProperties": False}
    ep = one([{"action": {"tool": "météo", "arguments": {"ville": "Zürich"}},
               "result": '{"ville": "Zürich ", "jours": 1}'},                   # JSON text; string stripped
              {"action": {"tool": "météo", "arguments": {"ville": "Atlantis"}}},
              {"action": {"tool": "ping", "arguments": ""}, "result": " pong "},  # empty arguments
              {"action": {"name": None, "arguments": {"x": 1}}},                  # a call with no name
              {"action": {"tool": "ping", "arguments": "{not json"}},
              {"action": {"tool": "log", "arguments": {"msg": "ü"}}, "result": "ignored"},  # schema only
              {"action": {"tool": "météo", "arguments": {"ville": "Rome", "extra": 1}}},
              {"text": "final answer"}])
    r = replay_tool_episode(ep, reg)
    assert [(o.step, o.ok, o.kind) for o in r.outcomes] == [
        (0, True, None), (1, False, "exception"), (2, True, None), (3, False, "unknown_tool"), (4, False, "schema"),
        (5, True, None), (6, False, "schema")]
    assert "KeyError" in r.outcomes[1].message
    assert "no tool name" in r.outcomes[3].message
    assert "not valid JSON" in r.outcomes[4].message
    assert "schema only" in r.outcomes[5].message and r.info["schema_only"] == 1
    assert "'extra' was unexpected" in r.outcomes[6].message
    # 7 calls, 3 executed (météo Zürich, ping, the schema-only log) -> 3/7
    assert r.exec_rate() == pytest.approx(3 / 7)


def test_multi_call_results_as_list_and_compare_modes():
    reg = ToolRegistry.from_mapping({"add": lambda a, b: a + b})
    calls = [{"tool": "add", "arguments": {"a": 0.1, "b": 0.2}}, {"tool": "add", "arguments": {"a": 1, "b": 2}}]
    ep = one([{"action": calls, "result": [0.3, 4]}])
    r = replay_tool_episode(ep, reg)
    # 0.1 + 0.2 = 0.30000000000000004, within 1e-9 of 0.3; 1 + 2 = 3 != 4
    assert [o.kind for o in r.outcomes] == [None, "result_mismatch"]
    exact = replay_tool_episode(ep, reg, compare="exact")
    assert [o.kind for o in exact.outcomes] == ["result_mismatch", "result_mismatch"]
    assert [o.kind for o in replay_tool_episode(ep, reg, compare="none").outcomes] == [None, None]
    assert [o.kind for o in replay_tool_episode(ep, reg, compare=lambda a, b: True).outcomes] == [None, None]
    with pytest.raises(UsageError, match="compare"):
        replay_tool_episode(ep, reg, compare="fuzzy")


def test_result_normalisation():
    assert json_equal(normalise("  [1, 2.0] "), normalise([1, 2]))
    assert json_equal(1.0, 1.0 + 1e-12) and not json_equal(1.0, 1.0001)
    assert not json_equal(True, 1) and json_equal(math.nan, math.nan)
    assert not json_equal({"a": 1}, {"a": 1, "b": 2})
    assert normalise((1, "x ")) == [1, "x"] and normalise("héllo ") == "héllo"
    assert normalise('{"k": " v "}') == {"k": "v"}


def test_bad_registry_files(tmp_path):
    with pytest.raises(InputError) as exc:
        ToolRegistry.from_file(DATA / "bad_schema_tools.yaml")
    text = str(exc.value)
    assert "bad_schema_tools.yaml" in text and "'calculator'" in text and "parameters" in text and "strng" in text

    def bad(content: str, name: str = "t.yaml") -> str:
        p = tmp_path / name
        p.write_text(content, encoding="utf-8")
        with pytest.raises(InputError) as e:
            ToolRegistry.from_file(p)
        assert name in str(e.value)
        return str(e.value)

    assert "name" in bad("- description: no name\n")
    assert "twice" in bad("- name: a\n- name: a\n")
    assert "'f'" in bad("- name: f\n  code: 'x = 1'\n") and "no function" in bad("- name: f\n  code: 'x = 1'\n")
    assert "not valid Python" in bad("- name: f\n  code: 'def f(:'\n")
    assert "cannot import" in bad("- name: f\n  python: 'no_such_module_xyz:f'\n")
    assert "pkg.module:function" in bad("- name: f\n  python: 'textwrap'\n")
    assert "both code and python" in bad("- name: f\n  code: 'def f(): pass'\n  python: 'textwrap:dedent'\n")
    assert "list of tools" in bad("tools: 3\n")
    assert "YAML" in bad("- name: [unclosed\n")
    assert "parameters" in bad(json.dumps([{"name": "f", "parameters": "object"}]), "t.json")
    with pytest.raises(InputError, match="expected a callable"):
        ToolRegistry.from_mapping({"x": 3})


def test_schema_from_signature_and_tool_checks():
    def f(a: int, b: float = 1.0, *args, **kw) -> None: ...
    assert schema_from_signature(f) == {"type": "object", "properties": {"a": {"type": "integer"},
                                                                          "b": {"type": "number"}},
                                        "required": ["a"]}
    with pytest.raises(InputError, match="both a callable and code"):
        Tool("x", fn=print, code="def x(): pass")
    with pytest.raises(InputError, match="tool ''"):
        Tool("")
    assert Tool("x").as_openai()["function"]["name"] == "x"


def test_schema_violation_paths():
    schema = {"type": "object", "properties": {"items": {"type": "array", "items": {
        "type": "object", "properties": {"name": {"type": "string"}, "a/b": {"type": "integer"}}}}}}
    reg = ToolRegistry.from_mapping({"order": schema})
    ep = one([{"action": {"tool": "order", "arguments": {"items": [{"name": "ok"}, {"name": 3}]}}},
              {"action": {"tool": "order", "arguments": {"items": [{"a/b": "x"}]}}},
              {"action": {"tool": "order", "arguments": "[1, 2]"}}])   # JSON text that is not an object
    msgs = [o.message for o in replay_tool_episode(ep, reg).outcomes]
    assert msgs == ["order arguments/$.items[1].name: 3 is not of type 'string'",
                    "order arguments/$.items[0][\"a/b\"]: 'x' is not of type 'integer'",
                    "order arguments/$: [1, 2] is not of type 'object'"]
