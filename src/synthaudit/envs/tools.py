"""Tool-call trajectories (survey section 7.2, ExecRate): a registry of tools and the replay of recorded calls.

A :class:`Tool` is a name, a description and a JSON Schema of its arguments object (``parameters``), plus at most
one way to run it:

* ``fn``: a Python callable, run **in this process** (the user's own code, trusted like any import);
* ``code``: Python source defining a function named like the tool (or ``def run(**kwargs)``), run **only** in the
  reasoning sandbox (:func:`synthaudit.verify.sandbox.run_python`): the arguments go in as JSON text on stdin and
  the result comes back as JSON on stdout, nothing is pickled;
* neither: schema only -- calls are validated, not executed (no result comparison).

Every registry also holds the built-in ``python`` code interpreter (argument ``code``; result = its stdout), run
in the sandbox, unless the registry defines its own ``python`` tool or ``python_tool=False``.

:func:`replay_tool_episode` checks every recorded call: an unknown tool (``unknown_tool``), arguments that are not
JSON or violate the schema (``schema``), an execution error or sandbox limit (``exception``), and a recorded result
that differs from re-execution (``result_mismatch``: executed, so ``ok``, but named and added to ``mismatches``).
Each call is independent: a failure does not stop the calls after it.
"""
from __future__ import annotations

import ast
import difflib
import importlib
import inspect
import json
import math
import time
import unicodedata
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

from synthaudit.data.agent import Episode, ToolCall
from synthaudit.envs.base import ActionOutcome, ReplayResult
from synthaudit.errors import InputError, UsageError
from synthaudit.verify.json_schema import Compiled, compile_schema, violations
from synthaudit.verify.sandbox import Limits, run_python

PYTHON_TOOL = "python"
#: default limits of one sandboxed tool call
TOOL_LIMITS = Limits(cpu_s=5, wall_s=10)
MAX_SHOWN = 200  # characters of a value shown in a message
_MARK = "\x1esynthaudit-tool-result-" + uuid.uuid4().hex + "\x1e"
_PY_TYPES = {"int": "integer", "float": "number", "str": "string", "bool": "boolean", "list": "array",
             "dict": "object"}


@dataclass
class Tool:
    """One tool: ``parameters`` is the JSON Schema of its arguments object; ``fn`` (in process) or ``code``
    (sandboxed source) runs it, neither means schema only. ``source`` names where it was defined (errors)."""

    name: str
    description: str = ""
    parameters: Any = field(default_factory=lambda: {"type": "object"})
    fn: Callable[..., Any] | None = None
    code: str | None = None
    source: str | None = None
    interpreter: bool = False  # the built-in code interpreter: runs arguments["code"], result = stdout
    entry: str | None = field(default=None, init=False)  # the function ``code`` defines that is called
    compiled: Compiled = field(init=False, repr=False)

    def __post_init__(self) -> None:
        where = _ToolWhere(self.source, self.name)
        if not isinstance(self.name, str) or not self.name.strip():
            raise where.error(f"the tool name is {self.name!r}; expected non-empty text", "name")
        if not isinstance(self.description, str):
            raise where.error(f"description is {type(self.description).__name__}; expected text", "description")
        if self.fn is not None and self.code is not None:
            raise where.error("has both a callable and code; give one way to run the tool", "code")
        if self.fn is not None and not callable(self.fn):
            raise where.error(f"fn is {type(self.fn).__name__}; expected a callable", "fn")
        try:
            self.compiled = compile_schema(self.parameters, source=self.source)
        except InputError as exc:
            raise where.error(f"parameters: {exc.message}", "parameters", hint=exc.hint) from None
        if self.code is not None:
            self.entry = _entry_point(self.code, self.name, where)

    @property
    def kind(self) -> str:
        """How calls run: ``python`` (in process), ``sandbox`` (code, interpreter) or ``schema`` (not run)."""
        if self.fn is not None:
            return "python"
        return "sandbox" if self.code is not None or self.interpreter else "schema"

    def as_openai(self) -> dict[str, Any]:
        """The OpenAI function-tool form of the tool."""
        return {"type": "function", "function": {"name": self.name, "description": self.description,
                                                 "parameters": self.parameters}}


class _ToolWhere:
    def __init__(self, file: str | None, tool: Any) -> None:
        self.file, self.tool = file, tool

    def error(self, message: str, fld: str | None = None, hint: str | None = None) -> InputError:
        return InputError(f"tool {self.tool!r}: {message}", file=self.file, field=fld, hint=hint)


def _entry_point(code: str, name: str, where: _ToolWhere) -> str:
    """The function ``code`` defines that a call runs: one named like the tool, else ``run`` (checked by parsing
    the source, never by running it)."""
    if not isinstance(code, str) or not code.strip():
        raise where.error(f"code is {code!r:.40}; expected Python source defining a function", "code")
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError) as exc:
        raise where.error(f"code is not valid Python ({getattr(exc, 'msg', exc)})", "code") from None
    defs = {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
    wanted = unicodedata.normalize("NFKC", name)
    if name.isidentifier() and wanted in defs:
        return wanted
    if "run" in defs:
        return "run"
    raise where.error(f"code defines no function named {name!r} or 'run' (it defines: "
                      f"{', '.join(sorted(defs)) or 'none'})", "code")


def python_interpreter() -> Tool:
    """The built-in code interpreter: ``{"code": "..."}`` runs in the sandbox; the result is its stdout."""
    return Tool(PYTHON_TOOL, "Run Python code in a sandbox; the result is what it prints.",
                {"type": "object", "properties": {"code": {"type": "string"}}, "required": ["code"],
                 "additionalProperties": False}, source="built-in", interpreter=True)


def schema_from_signature(fn: Callable[..., Any]) -> dict[str, Any]:
    """A permissive arguments schema of a callable: its keyword names, the ones without defaults required,
    builtin annotations (int, float, str, bool, list, dict) as types; no other properties unless ``**kwargs``."""
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return {"type": "object"}
    props: dict[str, Any] = {}
    required, extra = [], False
    for p in sig.parameters.values():
        if p.kind == p.VAR_KEYWORD:
            extra = True
            continue
        if p.kind in (p.VAR_POSITIONAL, p.POSITIONAL_ONLY):
            continue
        ann = p.annotation if isinstance(p.annotation, str) else getattr(p.annotation, "__name__", None)
        props[p.name] = {"type": "number" if ann == "float" else _PY_TYPES[ann]} if ann in _PY_TYPES else {}
        if p.default is p.empty:
            required.append(p.name)
    out: dict[str, Any] = {"type": "object", "properties": props}
    if required:
        out["required"] = required
    if not extra:
        out["additionalProperties"] = False
    return out


class ToolRegistry:
    """Tools by name (survey section 7.2: the environment tool-call trajectories are replayed in)."""

    def __init__(self, tools: list[Tool] = (), *, python_tool: bool = True, source: str | None = None) -> None:
        self.source = source
        self._tools: dict[str, Tool] = {}
        for t in tools:
            self.add(t)
        if python_tool and PYTHON_TOOL not in self._tools:
            self._tools[PYTHON_TOOL] = python_interpreter()

    def add(self, tool: Tool) -> None:
        if tool.name in self._tools:
            raise InputError(f"tool {tool.name!r} is defined twice; tool names must be unique", file=self.source,
                             field="name")
        self._tools[tool.name] = tool

    def names(self) -> list[str]:
        return list(self._tools)

    def get(self, name: str | None) -> Tool | None:
        return self._tools.get(name) if isinstance(name, str) else None

    def __contains__(self, name: object) -> bool:
        return name in self._tools

    def __len__(self) -> int:
        return len(self._tools)

    def close_matches(self, name: str, n: int = 3) -> list[str]:
        return difflib.get_close_matches(name, list(self._tools), n=n, cutoff=0.6)

    @classmethod
    def from_mapping(cls, tools: Mapping[str, Any], *, python_tool: bool = True) -> ToolRegistry:
        """``{name: callable | Tool | schema dict | tool spec}``: a callable runs in process (its schema inferred
        from its signature, :func:`schema_from_signature`); a dict with ``parameters`` / ``code`` / ``python`` /
        ``function`` is a tool spec as in a file; any other dict is the arguments schema of a schema-only tool."""
        if not isinstance(tools, Mapping):
            raise UsageError(f"ToolRegistry.from_mapping: expected a mapping of tool names, got "
                             f"{type(tools).__name__}")
        out = []
        for name, value in tools.items():
            if isinstance(value, Tool):
                if value.name != name:
                    raise InputError(f"tool {name!r}: the Tool is named {value.name!r}", field="name")
                out.append(value)
            elif callable(value):
                out.append(Tool(str(name), (inspect.getdoc(value) or "").split("\n")[0], schema_from_signature(value),
                                fn=value))
            elif isinstance(value, dict) and any(k in value for k in ("parameters", "code", "python", "function")):
                out.append(_tool_from_spec({"name": name, **value}, None, 0))
            elif isinstance(value, (dict, bool)):
                out.append(Tool(str(name), parameters=value))
            else:
                raise InputError(f"tool {name!r}: is {type(value).__name__}; expected a callable, a Tool or a JSON "
                                 "Schema of the arguments")
        return cls(out, python_tool=python_tool)

    @classmethod
    def from_file(cls, path: str | Path, *, python_tool: bool = True) -> ToolRegistry:
        """A JSON or YAML file: a list of tools or ``{"tools": [...]}``; each ``{name, description, parameters,
        code?}`` or the OpenAI form ``{"type": "function", "function": {...}}``. ``python: "pkg.module:function"``
        imports a callable that then runs **in this process** (only name code you trust)."""
        path = Path(path)
        return cls.from_list(_read_spec(path), python_tool=python_tool, source=str(path))

    @classmethod
    def from_list(cls, data: Any, *, python_tool: bool = True, source: str | None = None) -> ToolRegistry:
        """Parsed tool specs (what a registry file holds): a list of tools or ``{"tools": [...]}``."""
        items = data.get("tools") if isinstance(data, dict) else data
        if not isinstance(items, list):
            raise InputError("expected a list of tools or an object with a 'tools' list, got "
                             f"{type(data).__name__}", file=source, field="tools")
        return cls([_tool_from_spec(item, source, i) for i, item in enumerate(items)], python_tool=python_tool,
                   source=source)


def _read_spec(path: Path) -> Any:
    from synthaudit.data.files import check_readable, read_json_file

    check_readable(path)
    if path.suffix.lower() == ".json":
        return read_json_file(path)
    import yaml

    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise InputError(f"is not UTF-8 text ({exc.reason})", file=str(path)) from None
    except yaml.YAMLError as exc:
        raise InputError(f"is not valid YAML or JSON ({str(exc).splitlines()[0]})", file=str(path)) from None


def _tool_from_spec(item: Any, file: str | None, index: int) -> Tool:
    """One tool entry of a registry file."""
    if isinstance(item, dict) and isinstance(item.get("function"), dict):
        fn_spec = item["function"]
        item = {**{k: v for k, v in item.items() if k not in ("type", "function")}, **fn_spec}
    if not isinstance(item, dict):
        raise InputError(f"tool {index + 1} is {type(item).__name__}; expected an object with name, description "
                         "and parameters", file=file, field="tools")
    name = item.get("name")
    where = _ToolWhere(file, name if name is not None else f"#{index + 1}")
    if not isinstance(name, str) or not name.strip():
        raise where.error(f"name is {name!r:.40}; expected non-empty text", "name")
    params = item.get("parameters", {"type": "object"})
    if not isinstance(params, (dict, bool)):
        raise where.error(f"parameters is {type(params).__name__}; expected a JSON Schema object", "parameters")
    desc = item.get("description", "")
    desc = "" if desc is None else desc
    code, target = item.get("code"), item.get("python")
    if code is not None and target is not None:
        raise where.error("has both code and python; give one way to run the tool", "code")
    fn = None
    if target is not None:
        fn = _import_callable(target, where)
    return Tool(name, desc, params, fn=fn, code=code, source=file)


def _import_callable(target: Any, where: _ToolWhere) -> Callable[..., Any]:
    if not isinstance(target, str) or target.count(":") != 1 or not all(target.split(":")):
        raise where.error(f"python is {target!r:.60}; expected 'pkg.module:function'", "python")
    module, attr = target.split(":")
    try:
        obj: Any = importlib.import_module(module)
        for part in attr.split("."):
            obj = getattr(obj, part)
    except Exception as exc:  # noqa: BLE001 - any import failure is the file's problem
        raise where.error(f"cannot import {target!r} ({type(exc).__name__}: {exc})", "python",
                          hint="the module must be importable (installed or on PYTHONPATH)") from None
    if not callable(obj):
        raise where.error(f"{target!r} is {type(obj).__name__}, not a callable", "python")
    return obj


# ------------------------------------------------------------------------------------------------ execution


class _ToolError(Exception):
    """A call that did not execute (message = the error text)."""


def _json_path(v: Any) -> str:
    """A jsonschema Violation's location as JSONPath: /a/0/b -> $.a[0].b."""
    if not v.path:
        return "$"
    out = "$"
    for part, pat in zip(v.path.split("/")[1:], v.pattern.split("/")[1:]):
        part = part.replace("~1", "/").replace("~0", "~")
        out += f"[{part}]" if pat == "[]" else (f".{part}" if part.isidentifier() else f"[{json.dumps(part)}]")
    return out


def _short(value: Any, n: int = MAX_SHOWN) -> str:
    try:
        text = json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= n else text[:n] + "..."


def execute(tool: Tool, arguments: Any, limits: Limits | None = None) -> Any:
    """Run one call of ``tool`` (raises :class:`_ToolError` when it does not execute)."""
    if tool.kind == "python":
        if not isinstance(arguments, dict):
            raise _ToolError(f"the arguments are {type(arguments).__name__}; a Python tool takes an object")
        try:
            return tool.fn(**arguments)
        except Exception as exc:  # noqa: BLE001 - the tool's own error is the outcome
            raise _ToolError(f"{type(exc).__name__}: {exc}") from None
    lim = limits or TOOL_LIMITS
    if tool.interpreter:
        code = arguments.get("code") if isinstance(arguments, dict) else None
        if not isinstance(code, str):
            raise _ToolError("the code interpreter needs a 'code' string")
        run = run_python(code, limits=lim)
        _check_run(run)
        return run.stdout
    program = (f"{tool.code}\n\n"
               "import json as _sa_json, sys as _sa_sys\n"
               "_sa_args = _sa_json.loads(_sa_sys.stdin.read())\n"
               f"_sa_out = {tool.entry}(**_sa_args)\n"
               f"_sa_sys.stdout.write({_MARK!r} + _sa_json.dumps(_sa_out, default=str))\n")
    run = run_python(program, limits=lim, stdin=json.dumps(arguments, ensure_ascii=True))
    _check_run(run)
    head, mark, tail = run.stdout.rpartition(_MARK)
    if not mark:
        raise _ToolError("the sandboxed tool returned no result (nothing after its output)")
    try:
        return json.loads(tail)
    except ValueError as exc:
        raise _ToolError(f"the sandboxed tool's result is not JSON ({exc})") from None


def _check_run(run: Any) -> None:
    if run.status != "ok":
        text = run.error or run.stderr.strip()[-500:] or f"exit code {run.returncode}"
        limit = f" (limit: {run.limit})" if run.limit else ""
        raise _ToolError(f"sandbox {run.status}: {text}{limit}")


# ------------------------------------------------------------------------------------------------ comparison


def normalise(value: Any) -> Any:
    """A result as plain JSON: JSON text parsed (strings stripped first), tuples as lists, other objects as text."""
    if isinstance(value, str):
        text = value.strip()
        if text[:1] in '[{"-0123456789tfn':
            try:
                return normalise(json.loads(text))
            except ValueError:
                pass
        return text
    if isinstance(value, dict):
        return {str(k): normalise(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [normalise(v) for v in value]
    if value is None or isinstance(value, (bool, int, float)):
        return value
    try:
        return normalise(json.loads(json.dumps(value, default=str)))
    except (TypeError, ValueError):
        return str(value)


def json_equal(a: Any, b: Any, rel: float = 1e-9) -> bool:
    """Equality of normalised JSON values: numbers within ``rel`` relative tolerance (NaN equals NaN), booleans
    only equal booleans, dicts by keys, lists in order."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
            return True
        return a == b or math.isclose(a, b, rel_tol=rel, abs_tol=0.0)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(json_equal(a[k], b[k], rel) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(json_equal(x, y, rel) for x, y in zip(a, b))
    return type(a) is type(b) and a == b


def _same(recorded: Any, replayed: Any, compare: str | Callable[[Any, Any], bool]) -> bool:
    if callable(compare):
        return bool(compare(recorded, replayed))
    if compare == "exact":
        return _dump(normalise(recorded)) == _dump(normalise(replayed))
    return json_equal(normalise(recorded), normalise(replayed))


def _dump(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


_NO_RECORD = object()


def _recorded(result: Any, calls: list[ToolCall], j: int) -> Any:
    """The recorded result of call ``j`` of a step (``_NO_RECORD`` when none can be told apart)."""
    if result is None:
        return _NO_RECORD
    if len(calls) == 1:
        cid = calls[0].call_id
        if isinstance(result, dict) and cid is not None and set(result) == {cid}:
            return result[cid]
        return result
    if isinstance(result, str) and result.strip()[:1] in "[{":
        try:
            result = json.loads(result)
        except ValueError:
            return _NO_RECORD
    if isinstance(result, list) and len(result) == len(calls):
        return _NO_RECORD if result[j] is None else result[j]
    cid = calls[j].call_id
    if isinstance(result, dict) and cid is not None and cid in result:
        return result[cid]
    return _NO_RECORD


def check_call(call: ToolCall, registry: ToolRegistry, *, step: int, index: int, limits: Limits | None = None,
               compare: str | Callable[[Any, Any], bool] = "json",
               recorded: Any = _NO_RECORD) -> tuple[ActionOutcome, Any]:
    """One call's outcome and its re-executed result (None when it did not run)."""
    def out(ok: bool, kind: str | None, msg: str | None) -> ActionOutcome:
        return ActionOutcome(step=step, ok=ok, kind=kind, message=msg, call=index)

    if call.name is None or not str(call.name).strip():
        return out(False, "unknown_tool", "the call has no tool name"), None
    tool = registry.get(call.name)
    if tool is None:
        close = registry.close_matches(call.name)
        hint = f" (close: {', '.join(repr(c) for c in close)})" if close else ""
        return out(False, "unknown_tool", f"tool {call.name!r} is not in the registry{hint}"), None
    if call.arguments_error is not None:
        return out(False, "schema", f"{tool.name} arguments: {call.arguments_error}"), None
    bad = violations(tool.compiled, call.arguments)
    if bad:
        text = "; ".join(f"arguments/{_json_path(v)}: {v.message}" for v in bad[:3])
        more = f" (+{len(bad) - 3} more)" if len(bad) > 3 else ""
        return out(False, "schema", f"{tool.name} {text}{more}"), None
    if tool.kind == "schema":
        return out(True, None, f"{tool.name}: schema only (validated, not executed)"), None
    try:
        value = execute(tool, call.arguments, limits)
    except _ToolError as exc:
        return out(False, "exception", f"{tool.name}: {exc}"), None
    if recorded is not _NO_RECORD and compare != "none" and not _same(recorded, value, compare):
        return out(True, "result_mismatch", f"{tool.name}: recorded result {_short(recorded)} differs from "
                                            f"re-execution {_short(value)}"), value
    return out(True, None, None), value


def replay_tool_episode(episode: Episode, registry: ToolRegistry, *, limits: Limits | None = None,
                        compare: str | Callable[[Any, Any], bool] = "json") -> ReplayResult:
    """Validate and re-execute every tool call of ``episode`` (survey section 7.2, ExecRate).

    ``compare``: ``json`` (normalised JSON, numbers to 1e-9 relative, strings stripped), ``exact`` (normalised
    JSON, no tolerance), ``none`` (no comparison) or a callable ``(recorded, replayed) -> bool``. Steps without
    tool calls (a final answer) are not actions. ``info``: calls, executed, mismatched, compared, schema_only,
    results (the re-executed results, per step)."""
    if not (callable(compare) or compare in ("json", "exact", "none")):
        raise UsageError(f"compare is {compare!r}; expected 'json', 'exact', 'none' or a callable", field="compare")
    if not isinstance(registry, ToolRegistry):
        raise UsageError(f"registry is {type(registry).__name__}; expected a ToolRegistry (ToolRegistry.from_file "
                         "or from_mapping)", field="registry")
    t0 = time.perf_counter()
    res = ReplayResult(episode_id=episode.episode_id)
    compared = mismatched = schema_only = 0
    results: dict[int, list[Any]] = {}
    for t, step in enumerate(episode.steps):
        for j, call in enumerate(step.calls):
            rec = _recorded(step.result, step.calls, j)
            outcome, value = check_call(call, registry, step=t, index=j, limits=limits, compare=compare,
                                        recorded=rec)
            res.outcomes.append(outcome)
            results.setdefault(t, []).append(value)
            tool = registry.get(call.name)
            if outcome.ok and tool is not None and tool.kind == "schema":
                schema_only += 1
            elif outcome.ok and rec is not _NO_RECORD and compare != "none":
                compared += 1
            if outcome.kind == "result_mismatch":
                mismatched += 1
                res.mismatches.append(f"step {t} call {j}: {outcome.message}")
            if not outcome.ok and res.first_failure is None:
                res.first_failure = t
    res.total_seconds = time.perf_counter() - t0
    res.info.update({"calls": len(res.outcomes), "executed": res.executed, "mismatched": mismatched,
                     "compared": compared, "schema_only": schema_only, "results": results})
    return res
