"""DyVal-style dynamic reasoning items built from random DAGs (Zhu et al., 2024; survey section 3).

Every item is a random directed acyclic graph described in words. Its answer is *computed* by evaluating the
graph, never predicted, so each item verifies by construction and difficulty is a dial:

* ``depth``: the query node sits ``depth`` operations above the leaves (longest leaf-to-query path);
* ``width``: every level below the query holds ``width`` nodes, and the query combines all ``width`` nodes of
  the level under it, so a graph has ``width * depth + 1`` nodes that feed the query;
* ``distractors``: extra nodes computed from the graph that do not feed the query.

Operations reuse lower nodes (a node's second operand may come from any lower level), so graphs are DAGs,
not trees. ``docs/dyval.md`` shows an item of each kind and how the tests re-derive every answer.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Callable

KINDS = ("arithmetic", "boolean", "deduction")

#: dial ranges (a graph of more than MAX_NODES nodes is no longer readable as one question)
MAX_DEPTH = 12
MAX_WIDTH = 6
MAX_DISTRACTORS = 100
MAX_NODES = 150
#: arithmetic values stay within these bounds (an operation that would leave them is re-drawn)
VALUE_LIMIT = 10**6
DENOMINATOR_LIMIT = 1000
SQUARE_SHARE = 0.15
UNARY_SHARE = 0.2  # NOT (boolean) and single-premise rules (deduction)

_PEOPLE = ("Anne", "Bob", "Charlie", "Dave", "Erin", "Fiona", "Gary", "Harry", "Iris", "Jack", "Kate", "Liam",
           "Mona", "Nick", "Olga", "Paul", "Quinn", "Rosa", "Sam", "Tina")
_ADJECTIVES = ("big", "blue", "cold", "furry", "green", "kind", "nice", "quiet", "red", "rough", "round", "smart",
               "white", "young", "old", "tall")


@dataclass
class _Node:
    name: str
    role: str  # leaf | inner | query | distractor
    level: int
    op: str | None = None
    parents: list[str] = field(default_factory=list)
    value: Any = None


def _check_int(name: str, value: object, low: int, high: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    if value < low or (high is not None and value > high):
        bound = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise ValueError(f"{name} must be {bound}, got {value}")
    return value


def _validate(kind: object, n: object, depth: object, width: object, distractors: object, seed: object) -> None:
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, got {kind!r}")
    _check_int("n", n, 0)
    d = _check_int("depth", depth, 1, MAX_DEPTH)
    w = _check_int("width", width, 1, MAX_WIDTH)
    k = _check_int("distractors", distractors, 0, MAX_DISTRACTORS)
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ValueError(f"seed must be an integer, got {seed!r}")
    if w * d + 1 + k > MAX_NODES:
        raise ValueError(f"width * depth + 1 + distractors = {w * d + 1 + k} nodes exceeds the limit of {MAX_NODES}; "
                         "lower depth, width or distractors")


def _names(rng: random.Random, kind: str, count: int) -> list[str]:
    if kind == "deduction":
        pool = [f"{p} is {a}" for p in _PEOPLE for a in _ADJECTIVES]
    elif count <= 26:
        pool = [chr(65 + i) for i in range(26)]
    else:  # letter + digit, never a reserved word such as OR
        pool = [f"{chr(65 + i)}{j}" for i in range(26) for j in range(1, 10)]
    return rng.sample(pool, count)


# ---- arithmetic ------------------------------------------------------------------------------------------------

def _apply(op: str, values: list[Fraction]) -> Fraction | None:
    if op == "+":
        return sum(values, Fraction(0))
    if op == "*":
        out = Fraction(1)
        for v in values:
            out *= v
        return out
    if op == "-":
        return values[0] - values[1]
    if op == "/":
        return None if values[1] == 0 else values[0] / values[1]
    if op == "square":
        return values[0] * values[0]
    raise ValueError(f"unknown arithmetic operation {op!r}")


def _small(v: Fraction | None) -> bool:
    return v is not None and abs(v) <= VALUE_LIMIT and v.denominator <= DENOMINATOR_LIMIT


def _size(v: Fraction | None) -> float:
    """How far a value is from readable: 0 inside the limits; division by zero is never chosen."""
    if v is None:
        return float("inf")
    return max(abs(v) / VALUE_LIMIT, v.denominator / DENOMINATOR_LIMIT)


def _arith_options(first: str, others: list[str]) -> list[tuple[str, list[str]]]:
    opts: list[tuple[str, list[str]]] = [("square", [first])]
    for s in others:
        for op in "+-*/":
            opts += [(op, [first, s]), (op, [s, first])]
    return opts


def _choose_arith(rng: random.Random, nodes: dict[str, _Node], first: str, others: list[str],
                  nary: list[str] | None) -> tuple[str, list[str]]:
    """Draw an operation and operands whose value is defined (no division by zero) and small; re-draw if not."""
    val = {k: nodes[k].value for k in [first, *others]}
    if nary is not None:  # query node over a whole level
        ops = ["+", "*", "-", "/"] if len(nary) == 2 else ["+", "*"]
        rng.shuffle(ops)
        operands = rng.sample(nary, len(nary))
        for op in ops:
            if _small(_apply(op, [val[p] for p in operands])):
                return op, operands
        return min(ops, key=lambda op: _size(_apply(op, [val[p] for p in operands]))), operands
    for _ in range(40):
        if not others or rng.random() < SQUARE_SHARE:
            op, parents = "square", [first]
        else:
            second = rng.choice(others)
            op = rng.choice("+-*/")
            parents = [first, second] if rng.random() < 0.5 else [second, first]
        if _small(_apply(op, [val[p] for p in parents])):
            return op, parents
    return min(_arith_options(first, others), key=lambda o: _size(_apply(o[0], [val[p] for p in o[1]])))


# ---- boolean and deduction (values assigned after the structure, see _assign_truth) ---------------------------

def _choose_logic(kind: str) -> Callable[..., tuple[str, list[str]]]:
    unary, binary = ("NOT", ("AND", "OR")) if kind == "boolean" else ("if", ("and", "or"))

    def choose(rng: random.Random, nodes: dict[str, _Node], first: str, others: list[str],
               nary: list[str] | None) -> tuple[str, list[str]]:
        if nary is not None:
            return rng.choice(binary), rng.sample(nary, len(nary))
        if not others or rng.random() < UNARY_SHARE:
            return unary, [first]
        second = rng.choice(others)
        return rng.choice(binary), ([first, second] if rng.random() < 0.5 else [second, first])

    return choose


def _truth(op: str, values: list[bool]) -> bool:
    if op in ("AND", "and"):
        return all(values)
    if op in ("OR", "or"):
        return any(values)
    return (not values[0]) if op == "NOT" else values[0]  # "if": the single premise


def _evaluate(nodes: dict[str, _Node], order: list[str]) -> None:
    for name in order:
        node = nodes[name]
        if node.role != "leaf":
            node.value = _truth(node.op or "", [nodes[p].value for p in node.parents])


# ---- the graph --------------------------------------------------------------------------------------------------

def _build(rng: random.Random, kind: str, depth: int, width: int, distractors: int) -> tuple[dict[str, _Node],
                                                                                               list[str], str]:
    """One graph; an arithmetic graph with a value outside the limits is drawn again (up to 50 times)."""
    for _ in range(50):
        nodes, order, query = _draw(rng, kind, depth, width, distractors)
        if kind != "arithmetic" or all(_small(node.value) for node in nodes.values()):
            break
    return nodes, order, query


def _draw(rng: random.Random, kind: str, depth: int, width: int, distractors: int) -> tuple[dict[str, _Node],
                                                                                             list[str], str]:
    names = iter(_names(rng, kind, width * depth + 1 + distractors))
    choose = _choose_arith if kind == "arithmetic" else _choose_logic(kind)
    nodes: dict[str, _Node] = {}
    levels: list[list[str]] = [[]]
    for _ in range(width):
        leaf = _Node(next(names), "leaf", 0)
        leaf.value = Fraction(rng.randint(1, 9)) if kind == "arithmetic" else False
        nodes[leaf.name] = leaf
        levels[0].append(leaf.name)
    for level in range(1, depth + 1):
        below = levels[level - 1]
        lower = [k for lv in levels for k in lv]
        is_query = level == depth
        firsts = rng.sample(below, len(below))  # each node below feeds one node here: all nodes reach the query
        levels.append([])
        for j in range(1 if is_query else width):
            name = next(names)
            nary = below if is_query and width > 1 else None
            first = firsts[j]
            op, parents = choose(rng, nodes, first, [k for k in lower if k != first], nary)
            node = _Node(name, "query" if is_query else "inner", level, op, parents)
            if kind == "arithmetic":
                node.value = _apply(op, [nodes[p].value for p in parents])
            nodes[name] = node
            levels[level].append(name)
    query = levels[depth][0]
    for _ in range(distractors):
        pool = [k for k in nodes if k != query]
        first = rng.choice(pool)
        op, parents = choose(rng, nodes, first, [k for k in pool if k != first], None)
        node = _Node(next(names), "distractor", 1 + max(nodes[p].level for p in parents), op, parents)
        if kind == "arithmetic":
            node.value = _apply(op, [nodes[p].value for p in parents])
        nodes[node.name] = node
    order = list(levels[0]) + _linear_extension(rng, nodes, levels[0])
    if kind != "arithmetic":
        _assign_truth(rng, nodes, order, query)
    return nodes, order, query


def _linear_extension(rng: random.Random, nodes: dict[str, _Node], leaves: list[str]) -> list[str]:
    """A random topological order of the non-leaf nodes (distractors interleave with the real steps)."""
    done, out = set(leaves), []
    remaining = [k for k in nodes if k not in done]
    while remaining:
        ready = [k for k in remaining if all(p in done for p in nodes[k].parents)]
        pick = rng.choice(ready)
        out.append(pick)
        done.add(pick)
        remaining.remove(pick)
    return out


def _assign_truth(rng: random.Random, nodes: dict[str, _Node], order: list[str], query: str) -> None:
    """Draw leaf truth values, re-drawing (up to 64 times) towards a coin-flip answer so True/False balance.

    Deduction items always state at least one fact (with none, every answer is trivially False).
    """
    target = rng.random() < 0.5
    leaves = [k for k in order if nodes[k].role == "leaf"]
    need_fact = nodes[query].op in ("and", "or", "if")
    for _ in range(64):
        for k in leaves:
            nodes[k].value = rng.random() < 0.5
        if need_fact and not any(nodes[k].value for k in leaves):
            continue
        _evaluate(nodes, order)
        if nodes[query].value == target:
            return
    if need_fact and not any(nodes[k].value for k in leaves):
        nodes[rng.choice(leaves)].value = True
    _evaluate(nodes, order)


# ---- text -------------------------------------------------------------------------------------------------------

def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _num(v: Fraction) -> str:
    return str(v)


def _operand(v: Fraction) -> str:
    return str(v) if v.denominator == 1 and v >= 0 else f"({v})"


_ARITH_SYMBOL = {"+": " + ", "-": " - ", "*": " * ", "/": " / "}


def _arith_sentence(node: _Node) -> str:
    p = node.parents
    if node.role == "leaf":
        return f"The value of {node.name} is {_num(node.value)}."
    text = {"+": lambda: f"the sum of {_join(p)}", "*": lambda: f"the product of {_join(p)}",
            "-": lambda: f"{p[0]} minus {p[1]}", "/": lambda: f"{p[0]} divided by {p[1]}",
            "square": lambda: f"the square of {p[0]}"}[node.op or ""]()
    return f"The value of {node.name} is {text}."


def _arith_step(node: _Node, nodes: dict[str, _Node]) -> str:
    if node.role == "leaf":
        return f"{node.name} = {_num(node.value)}"
    vals = [_operand(nodes[p].value) for p in node.parents]
    if node.op == "square":
        symbolic, numeric = f"{node.parents[0]}^2", f"{vals[0]}^2"
    else:
        sym = _ARITH_SYMBOL[node.op or ""]
        symbolic, numeric = sym.join(node.parents), sym.join(vals)
    return f"{node.name} = {symbolic} = {numeric} = {_num(node.value)}"


def _bool_sentence(node: _Node) -> str:
    if node.role == "leaf":
        return f"{node.name} is {node.value}."
    if node.op == "NOT":
        return f"{node.name} is NOT {node.parents[0]}."
    return f"{node.name} is {f' {node.op} '.join(node.parents)}."


def _bool_step(node: _Node, nodes: dict[str, _Node]) -> str:
    if node.role == "leaf":
        return f"{node.name} = {node.value}"
    vals = [str(nodes[p].value) for p in node.parents]
    if node.op == "NOT":
        return f"{node.name} = NOT {node.parents[0]} = NOT {vals[0]} = {node.value}"
    sym = f" {node.op} "
    return f"{node.name} = {sym.join(node.parents)} = {sym.join(vals)} = {node.value}"


def _rules(node: _Node) -> list[str]:
    if node.op == "and":
        return [f"If {' and '.join(node.parents)} then {node.name}."]
    return [f"If {p} then {node.name}." for p in node.parents]  # "or": one rule per premise; "if": one premise


def _deduction_step(node: _Node, nodes: dict[str, _Node]) -> str:
    if node.role == "leaf":
        if node.value:
            return f"{node.name}: given as a fact, so True."
        return f"{node.name}: not a given fact and no rule concludes it, so False (closed world)."
    needs = [f"{p} ({nodes[p].value})" for p in node.parents]
    rules = _rules(node)
    quoted = " and ".join(f"'{r[:-1]}'" for r in rules)
    if len(rules) > 1:
        return f"{node.name}: the rules {quoted} need {' or '.join(needs)}, so {node.value}."
    return f"{node.name}: the rule {quoted} needs {' and '.join(needs)}, so {node.value}."


def _describe(kind: str, nodes: dict[str, _Node], order: list[str], query: str) -> tuple[str, list[str], str]:
    solution = [k for k in order if nodes[k].role != "distractor"]
    if kind == "arithmetic":
        lines = [_arith_sentence(nodes[k]) for k in order]
        lines.append(f"What is the value of {query}? Give it as an integer or a reduced fraction.")
        steps = [_arith_step(nodes[k], nodes) for k in solution]
        return "\n".join(lines), steps, _num(nodes[query].value)
    if kind == "boolean":
        lines = [_bool_sentence(nodes[k]) for k in order]
        lines.append(f"What is the value of {query}? Answer True or False.")
        steps = [_bool_step(nodes[k], nodes) for k in solution]
        return "\n".join(lines), steps, str(nodes[query].value)
    facts = [f"{k}." for k in order if nodes[k].role == "leaf" and nodes[k].value]
    rules = [r for k in order if nodes[k].role != "leaf" for r in _rules(nodes[k])]
    lines = ["Facts: " + (" ".join(facts) if facts else "none."), "Rules: " + " ".join(rules),
             "Assume a closed world: a statement that is neither a fact nor derivable with the rules is false.",
             f"Question: is it true that {query}? Answer True or False."]
    steps = [_deduction_step(nodes[k], nodes) for k in solution]
    return "\n".join(lines), steps, str(nodes[query].value)


def _dag_meta(nodes: dict[str, _Node], order: list[str], query: str) -> dict[str, Any]:
    return {"query": query,
            "nodes": [{"id": k, "role": nodes[k].role, "level": nodes[k].level, "op": nodes[k].op,
                       "value": str(nodes[k].value)} for k in order],
            "edges": [[p, k, nodes[k].op] for k in order for p in nodes[k].parents]}


def dyval_items(kind: str, n: int, *, depth: int = 3, width: int = 2, distractors: int = 0,
                seed: int = 0) -> list[dict]:
    """``n`` DyVal items of ``kind`` (arithmetic -> task "math"; boolean, deduction -> task "logic").

    Same arguments, same items; each item has its own random stream, so item ``i`` does not depend on ``n``.
    """
    _validate(kind, n, depth, width, distractors, seed)
    items = []
    for i in range(n):
        rng = random.Random(f"dyval|{kind}|{seed}|{i}|{depth}|{width}|{distractors}")
        nodes, order, query = _build(rng, kind, depth, width, distractors)
        question, steps, answer = _describe(kind, nodes, order, query)
        items.append({
            "id": f"dyval-{kind}-{seed}-{i:05d}",
            "task": "math" if kind == "arithmetic" else "logic",
            "question": question,
            "answer": answer,
            "steps": steps,
            "meta": {"kind": kind, "depth": depth, "width": width, "distractors": distractors,
                     "nodes": len(nodes), "seed": seed, "dag": _dag_meta(nodes, order, query)},
        })
    return items
