"""Goal predicates of an episode (survey section 7.2: SR_valid, percent complete, offloading; PARTNR-style).

An episode's ``goal`` is a list of predicates, each an expression string or a dict::

    {"id": "parked", "expr": "ego.speed < 1 and ego.lane == 2", "when": "end", "after": ["merged"], "by": "robot"}

``when``: ``end`` (default; true in the last state), ``any`` (true at some step) or ``always`` (true at every step;
a constraint, attributed to no step). ``after``: the predicate counts only if each listed predicate became true
(first true) at an earlier or the same step (PARTNR temporal constraints). ``by``: it counts only if the step at
which it became true was acted by that agent.

Expressions are parsed with :mod:`ast` and walked by a small interpreter (never ``eval``): names, attribute access
on dicts (``ego.x``), numbers, strings, true/false/null, list literals, comparisons (chained, ``in`` / ``not in``),
``and`` / ``or`` / ``not``, ``+ - * /`` on numbers, ``abs`` / ``min`` / ``max`` / ``len``. Everything else (calls
of other functions, subscripts, lambdas, comprehensions, names or attributes starting with an underscore) is
refused when the goal is read. (``synthaudit.data.graph_rules.Predicate`` was not reused: its names are a fixed
set of graph invariants, constants numbers only, and it has no attributes, strings or ``in``;
``synthaudit.verify.steps`` evaluates exact arithmetic only.)

The namespace of step ``t`` (:func:`namespaces`): the state's top-level keys (``ego``, ``others``, ...), ``crashed``
and ``on_road`` (the ego's), the ``info`` keys, and ``step`` (t), ``start`` (the first state's ego, or the first
state), ``reward``, ``return`` (cumulative reward), ``agent``, ``text``, and for tool episodes ``calls`` (the tool
names called so far), ``result`` (the last recorded result) and ``response`` (the episode's answer).
"""
from __future__ import annotations

import ast
import difflib
import io
import json
import math
import operator
import tokenize
from dataclasses import dataclass
from typing import Any, Callable

from synthaudit.data.agent import Episode
from synthaudit.errors import InputError

WHENS = ("end", "any", "always")
MAX_EXPRESSION = 1000
_KEYWORD_NAMES = {"return": "return_"}  # namespace names that are Python keywords, renamed before parsing
_CONSTANTS = {"true": True, "false": False, "null": None}
_FUNCS = ("abs", "min", "max", "len")
_ARITH: dict[type, Callable[[Any, Any], Any]] = {ast.Add: operator.add, ast.Sub: operator.sub,
                                                  ast.Mult: operator.mul, ast.Div: operator.truediv}
_CMP: dict[type, Callable[[Any, Any], Any]] = {
    ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le, ast.Gt: operator.gt,
    ast.GtE: operator.ge, ast.In: lambda a, b: _contains(b, a), ast.NotIn: lambda a, b: not _contains(b, a)}
_ALLOWED = ("names, attribute access (ego.x), numbers, strings, comparisons, in / not in, and/or/not, + - * /, "
            "abs/min/max/len")


class EvalError(Exception):
    """A predicate that cannot be evaluated in a step (unknown name, wrong type): false there, with the reason."""


def _rename_keywords(text: str) -> str:
    """``return`` (a Python keyword) as the name ``return_``, outside string literals."""
    if not any(k in text for k in _KEYWORD_NAMES):
        return text
    try:
        toks = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, SyntaxError):
        return text  # ast.parse reports the problem
    lines = text.splitlines(keepends=True)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))
    out = text
    for tok in reversed(toks):
        if tok.type == tokenize.NAME and tok.string in _KEYWORD_NAMES:
            at = starts[tok.start[0] - 1] + tok.start[1]
            out = out[:at] + _KEYWORD_NAMES[tok.string] + out[at + len(tok.string):]
    return out


class Expression:
    """A restricted expression, checked once (:class:`InputError` naming ``where``), evaluated by walking it."""

    def __init__(self, text: str, where: str = "predicate") -> None:
        self.text = text
        if not isinstance(text, str) or not text.strip():
            raise InputError(f"{where}: expected an expression such as 'ego.speed < 1', got {text!r:.60}",
                             field="goal")
        if len(text) > MAX_EXPRESSION:
            raise InputError(f"{where}: the expression has {len(text)} characters; at most {MAX_EXPRESSION}",
                             field="goal")
        try:
            self.tree = ast.parse(_rename_keywords(text.strip()), mode="eval").body
        except SyntaxError as exc:
            raise InputError(f"{where}: {text!r:.80} is not an expression ({exc.msg})", field="goal") from None
        except (ValueError, RecursionError, MemoryError) as exc:
            raise InputError(f"{where}: {text!r:.80} cannot be parsed ({type(exc).__name__})", field="goal") from None
        self._check(self.tree, where)

    def _check(self, node: ast.AST, where: str) -> None:
        def refuse(why: str) -> InputError:
            return InputError(f"{where}: {why} ({ast.unparse(node)[:60]!r}) is not allowed; expected {_ALLOWED}",
                              field="goal")

        if isinstance(node, ast.Constant):
            if node.value is not None and not isinstance(node.value, (bool, int, float, str)):
                raise refuse(f"a {type(node.value).__name__} constant")
        elif isinstance(node, ast.Name):
            if node.id.startswith("__"):
                raise refuse("a name starting with '__'")
        elif isinstance(node, ast.Attribute):
            if node.attr.startswith("_"):
                raise refuse("an attribute starting with '_'")
            self._check(node.value, where)
        elif isinstance(node, (ast.List, ast.Tuple)):
            for e in node.elts:
                if isinstance(e, ast.Starred):
                    raise refuse("unpacking")
                self._check(e, where)
        elif isinstance(node, ast.BoolOp):
            for v in node.values:
                self._check(v, where)
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.Not, ast.USub, ast.UAdd)):
            self._check(node.operand, where)
        elif isinstance(node, ast.BinOp) and type(node.op) in _ARITH:
            self._check(node.left, where)
            self._check(node.right, where)
        elif isinstance(node, ast.Compare) and all(type(op) in _CMP for op in node.ops):
            for v in (node.left, *node.comparators):
                self._check(v, where)
        elif isinstance(node, ast.Call):
            if not (isinstance(node.func, ast.Name) and node.func.id in _FUNCS):
                raise refuse("a call of anything but abs/min/max/len")
            if node.keywords or not node.args or any(isinstance(a, ast.Starred) for a in node.args):
                raise refuse("keywords, unpacking or no arguments in a call")
            for a in node.args:
                self._check(a, where)
        else:
            raise refuse(type(node).__name__)

    def evaluate(self, names: dict[str, Any]) -> Any:
        """The value in the namespace ``names``; :class:`EvalError` when it cannot be evaluated."""
        return _eval(self.tree, names)


def _contains(container: Any, item: Any) -> bool:
    if isinstance(container, str):
        if not isinstance(item, str):
            raise EvalError(f"'in' a text needs text on the left, got {type(item).__name__}")
        return item in container
    if isinstance(container, (list, tuple, dict)):
        return any(_eq(item, c) for c in container) if not isinstance(container, dict) else item in container
    raise EvalError(f"'in' needs a text, list or object on the right, got {_kind(container)}")


def _eq(a: Any, b: Any) -> bool:
    try:
        return bool(a == b)
    except Exception:  # noqa: BLE001 - numpy-like values
        return False


def _kind(v: Any) -> str:
    return "null" if v is None else type(v).__name__


def _number(v: Any, what: str) -> Any:
    if not isinstance(v, (int, float)):
        raise EvalError(f"{what} needs numbers, got {_kind(v)} {v!r:.40}")
    return v


def _eval(node: ast.AST, names: dict[str, Any]) -> Any:  # noqa: C901 - one branch per node type
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name):
        if node.id in names:
            return names[node.id]
        if node.id.lower() in _CONSTANTS:
            return _CONSTANTS[node.id.lower()]
        close = difflib.get_close_matches(node.id, [n for n in names if n != "return_"], n=3)
        raise EvalError(f"unknown name {node.id!r}" + (f" (close: {', '.join(close)})" if close else ""))
    if isinstance(node, ast.Attribute):
        base = _eval(node.value, names)
        if not isinstance(base, dict):
            raise EvalError(f"{ast.unparse(node.value)} is {_kind(base)}, not an object with {node.attr!r}")
        if node.attr not in base:
            close = difflib.get_close_matches(node.attr, [str(k) for k in base], n=3)
            raise EvalError(f"unknown name {ast.unparse(node)!r}" + (f" (close: {', '.join(close)})" if close
                                                                     else ""))
        return base[node.attr]
    if isinstance(node, (ast.List, ast.Tuple)):
        return [_eval(e, names) for e in node.elts]
    if isinstance(node, ast.BoolOp):
        out: Any = isinstance(node.op, ast.And)
        for v in node.values:
            out = _eval(v, names)
            if _truth(out) != isinstance(node.op, ast.And):
                return out
        return out
    if isinstance(node, ast.UnaryOp):
        value = _eval(node.operand, names)
        if isinstance(node.op, ast.Not):
            return not _truth(value)
        value = _number(value, "unary minus/plus")
        return -value if isinstance(node.op, ast.USub) else +value
    if isinstance(node, ast.BinOp):
        left = _number(_eval(node.left, names), "arithmetic")
        right = _number(_eval(node.right, names), "arithmetic")
        if isinstance(node.op, ast.Div) and right == 0:
            raise EvalError(f"division by zero in {ast.unparse(node)!r}")
        return _ARITH[type(node.op)](left, right)
    if isinstance(node, ast.Compare):
        left = _eval(node.left, names)
        for op, right_node in zip(node.ops, node.comparators):
            right = _eval(right_node, names)
            try:
                ok = _CMP[type(op)](left, right)
            except TypeError:
                raise EvalError(f"cannot compare {_kind(left)} {left!r:.30} with {_kind(right)} {right!r:.30}") \
                    from None
            if not ok:
                return False
            left = right
        return True
    if isinstance(node, ast.Call):
        args = [_eval(a, names) for a in node.args]
        fname = node.func.id
        if fname == "len":
            if len(args) != 1 or not isinstance(args[0], (str, list, tuple, dict)):
                raise EvalError(f"len needs one text, list or object, got {', '.join(_kind(a) for a in args)}")
            return len(args[0])
        if fname == "abs":
            if len(args) != 1:
                raise EvalError("abs takes one number")
            return abs(_number(args[0], "abs"))
        items = args[0] if len(args) == 1 and isinstance(args[0], list) else args
        if not items:
            raise EvalError(f"{fname} of an empty list")
        return (min if fname == "min" else max)(_number(v, fname) for v in items)
    raise EvalError(f"unchecked node {type(node).__name__}")  # Expression._check refused everything else


def _truth(value: Any) -> bool:
    """Truth of a predicate's value: null and NaN are false."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return False
    if isinstance(value, (bool, int, float, str, list, dict)):
        return bool(value)
    raise EvalError(f"the value is {_kind(value)}; expected true/false")


# ------------------------------------------------------------------------------------------------ predicates


@dataclass(frozen=True)
class Predicate:
    """One goal predicate of an episode (module docstring)."""

    name: str
    expr: Expression
    when: str = "end"
    after: tuple[str, ...] = ()
    by: str | None = None


@dataclass
class PredicateStatus:
    """Whether a predicate holds: ``step`` is the first step at which it became true (``any``) or from which it
    stayed true (``end``), None for ``always``; ``by`` the agent of that step; ``reason`` why it is false or could
    not be evaluated."""

    name: str
    satisfied: bool
    step: int | None = None
    by: str | None = None
    reason: str | None = None
    when: str = "end"


_DICT_KEYS = {"id", "name", "expr", "expression", "when", "after", "by", "description"}


def parse_goal(episode: Episode) -> list[Predicate]:
    """The episode's goal predicates, checked; :class:`InputError` names the episode and the predicate."""
    raw = episode.goal or []
    eid = episode.episode_id
    preds: list[Predicate] = []
    for i, item in enumerate(raw):
        label = f"episode {eid!r}, goal predicate {i + 1}"
        if isinstance(item, str):
            preds.append(Predicate(item.strip(), Expression(item, f"{label} ({item.strip()[:60]!r})")))
            continue
        if not isinstance(item, dict):
            raise InputError(f"{label} is {type(item).__name__}; expected an expression or an object with expr",
                             field="goal")
        unknown = sorted(set(item) - _DICT_KEYS)
        if unknown:
            raise InputError(f"{label}: unknown key(s) {', '.join(map(repr, unknown))}; expected "
                             "id, expr, when, after, by", field="goal")
        text = item.get("expr", item.get("expression"))
        name = item.get("id", item.get("name", text))
        if not isinstance(name, (str, int)) or isinstance(name, bool):
            raise InputError(f"{label}: id is {name!r:.40}; expected text", field="goal")
        name = str(name)
        label = f"episode {eid!r}, goal predicate {name[:60]!r}"
        when = item.get("when", "end")
        if when not in WHENS:
            raise InputError(f"{label}: when is {when!r:.40}; expected one of {', '.join(WHENS)}", field="goal")
        after = item.get("after") or []
        after = [after] if isinstance(after, str) else after
        if not isinstance(after, list) or not all(isinstance(a, (str, int)) for a in after):
            raise InputError(f"{label}: after is {after!r:.60}; expected a list of predicate ids", field="goal")
        by = item.get("by")
        if by is not None and (not isinstance(by, str) or when == "always"):
            raise InputError(f"{label}: by is {by!r:.40}; expected an agent name (and not with when 'always')",
                             field="goal")
        preds.append(Predicate(name, Expression(text, label), when, tuple(str(a) for a in after), by))
    ids = [p.name for p in preds]
    for p in preds:
        if ids.count(p.name) > 1:
            raise InputError(f"episode {eid!r}: goal predicate id {p.name!r} is used twice", field="goal")
        for a in p.after:
            if a not in ids or a == p.name:
                raise InputError(f"episode {eid!r}, goal predicate {p.name!r}: after names {a!r}, which is "
                                 f"{'itself' if a == p.name else 'not a predicate of this goal'}", field="goal")
    return preds


def _parsed(value: Any) -> Any:
    if isinstance(value, str) and value.strip()[:1] in "[{":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def namespaces(episode: Episode, states: Any = None) -> list[dict[str, Any]]:
    """The namespace of every step (module docstring). ``states``: replayed states (or a ReplayResult, whose
    states and rewards are used when it has states); None: the recorded ones."""
    rewards = None
    if states is not None and hasattr(states, "states") and hasattr(states, "rewards"):
        rewards = states.rewards
        states = states.states if states.states else None
    if states is None:
        states = [s.state for s in episode.steps]
        rewards = None
    n = len(states)
    if rewards is None or len(rewards) != n:
        rewards = [episode.steps[t].reward if t < len(episode.steps) else None for t in range(n)]
    first = next((s for s in states if isinstance(s, dict)), None)
    start = (first.get("ego") if isinstance(first, dict) and isinstance(first.get("ego"), dict) else first) or {}
    out, total, calls, result = [], 0.0, [], None
    for t in range(n):
        step = episode.steps[t] if t < len(episode.steps) else None
        state = states[t] if isinstance(states[t], dict) else {}
        info = step.info if step is not None and isinstance(step.info, dict) else {}
        names: dict[str, Any] = {str(k): v for k, v in info.items()}
        names.update({str(k): v for k, v in state.items()})
        ego = state.get("ego")
        if isinstance(ego, dict):
            for key in ("crashed", "on_road"):
                if key in ego and key not in state:
                    names[key] = ego[key]
        r = rewards[t]
        if isinstance(r, (int, float)) and not math.isnan(r):
            total += r
        if step is not None:
            calls += [c.name for c in step.calls if c.name is not None]
            if step.result is not None:
                result = _parsed(step.result)
        names.update({"info": info, "step": t, "start": start, "reward": r, "return": total, "return_": total,
                      "agent": step.agent if step else None, "text": step.text if step else None,
                      "calls": list(calls), "result": result, "response": episode.response})
        out.append(names)
    return out


def _values(expr: Expression, spaces: list[dict[str, Any]]) -> tuple[list[bool], str | None]:
    """Truth of ``expr`` at each step and the first evaluation error (a step that errs is false)."""
    vals, error = [], None
    for t, names in enumerate(spaces):
        try:
            vals.append(_truth(expr.evaluate(names)))
        except EvalError as exc:
            vals.append(False)
            error = error or f"at step {t}: {exc}"
        except (ArithmeticError, ValueError, TypeError, RecursionError) as exc:
            vals.append(False)
            error = error or f"at step {t}: {type(exc).__name__}: {exc}"
    return vals, error


def _status(p: Predicate, vals: list[bool], error: str | None, agents: list[str | None]) -> PredicateStatus:
    n = len(vals)
    if n == 0:
        return PredicateStatus(p.name, False, reason="no states to evaluate (the episode has no steps)", when=p.when)
    if p.when == "always":
        bad = next((t for t, v in enumerate(vals) if not v), None)
        if bad is None:
            return PredicateStatus(p.name, True, when=p.when)
        return PredicateStatus(p.name, False, reason=error or f"false at step {bad}", when=p.when)
    if p.when == "any":
        hits = [t for t, v in enumerate(vals) if v]
        ok = [t for t in hits if p.by is None or agents[t] == p.by]
        if ok:
            return PredicateStatus(p.name, True, ok[0], agents[ok[0]], when=p.when)
        if hits:
            return PredicateStatus(p.name, False, reason=f"true only at steps acted by {agents[hits[0]]!r}, not "
                                                         f"{p.by!r}", when=p.when)
        return PredicateStatus(p.name, False, reason=error or f"never true over {n} steps", when=p.when)
    if not vals[-1]:
        return PredicateStatus(p.name, False, reason=error or f"false at the end (step {n - 1})", when=p.when)
    t = n - 1
    while t > 0 and vals[t - 1]:
        t -= 1
    if p.by is not None and agents[t] != p.by:
        return PredicateStatus(p.name, False, t, agents[t], f"became true at step {t} by {agents[t]!r}, not "
                                                            f"{p.by!r}", when=p.when)
    return PredicateStatus(p.name, True, t, agents[t], when=p.when)


def goal_status(episode: Episode, states: Any = None) -> list[PredicateStatus]:
    """The status of every goal predicate (survey section 7.2; PARTNR propositions with temporal constraints).

    ``states``: the replayed states (the replay's truth) or a ReplayResult; None: the recorded states. A
    predicate with ``after`` counts only if each listed predicate first became true at an earlier or the same
    step as this one."""
    preds = parse_goal(episode)
    spaces = namespaces(episode, states)
    agents = [s.get("agent") for s in spaces]
    statuses, first_true = {}, {}
    for p in preds:
        vals, error = _values(p.expr, spaces)
        statuses[p.name] = _status(p, vals, error, agents)
        first_true[p.name] = next((t for t, v in enumerate(vals) if v), None)
    for p in preds:
        st = statuses[p.name]
        if not st.satisfied or not p.after:
            continue
        own = st.step if st.step is not None else len(spaces) - 1
        for a in p.after:
            when = first_true[a]
            if when is None or when > own:
                st.satisfied = False
                st.reason = (f"after {a!r}: {a!r} never became true" if when is None else
                             f"after {a!r}: {a!r} became true at step {when}, after this one (step {own})")
                break
    return [statuses[p.name] for p in preds]


def percent_complete(statuses: list[PredicateStatus]) -> float | None:
    """PC = satisfied predicates / all predicates (survey section 7.2); None when the episode has no goal."""
    return sum(s.satisfied for s in statuses) / len(statuses) if statuses else None


def success(statuses: list[PredicateStatus]) -> bool | None:
    """SR_valid of one episode: every predicate satisfied (PC = 1); None when the episode has no goal."""
    return all(s.satisfied for s in statuses) if statuses else None


def offloading(statuses: list[PredicateStatus], robot: str = "robot") -> float | None:
    """Share of the satisfied predicates completed at a step acted by ``robot`` (survey section 7.2, PARTNR);
    ``always`` constraints (completed at no step) are left out; None when none is satisfied."""
    done = [s for s in statuses if s.satisfied and s.step is not None]
    return sum(s.by == robot for s in done) / len(done) if done else None
