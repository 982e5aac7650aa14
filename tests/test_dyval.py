"""DyVal items (survey section 3): every answer re-derived from the question TEXT by an independent evaluator.

The parsers below read only ``item["question"]`` (never ``meta`` or the generator's code) and evaluate it another
way: sympy exact rationals for arithmetic, Python's own ``and``/``or``/``not`` for boolean items, and a separate
fixed-point (forward chaining to closure) for deduction.
"""
from __future__ import annotations

import functools
import re

import pytest
import sympy
from sympy.parsing.sympy_parser import convert_xor, parse_expr, standard_transformations

from synthaudit.generate.reasoning.dyval import KINDS, dyval_items

DIALS = [(1, 1, 0), (1, 3, 2), (2, 1, 0), (3, 2, 0), (3, 2, 3), (4, 3, 5), (6, 2, 4), (5, 4, 10), (8, 1, 3)]
SEEDS = range(4)
N = 12

# ---- independent parsers of the question text ------------------------------------------------------------------


def _names(text: str) -> list[str]:
    return re.split(r", | and ", text)


def parse_arithmetic(question: str) -> tuple[dict[str, tuple], str]:
    """{node: ("leaf", value) | (op, operands)} and the queried node, from the sentences."""
    graph: dict[str, tuple] = {}
    query = None
    patterns = [
        (r"The value of (\w+) is (-?\d+(?:/\d+)?)\.", lambda m: ("leaf", sympy.Rational(m[2]))),
        (r"The value of (\w+) is the sum of (.+)\.", lambda m: ("sum", _names(m[2]))),
        (r"The value of (\w+) is the product of (.+)\.", lambda m: ("product", _names(m[2]))),
        (r"The value of (\w+) is (\w+) minus (\w+)\.", lambda m: ("minus", [m[2], m[3]])),
        (r"The value of (\w+) is (\w+) divided by (\w+)\.", lambda m: ("divide", [m[2], m[3]])),
        (r"The value of (\w+) is the square of (\w+)\.", lambda m: ("square", [m[2]])),
    ]
    for line in question.splitlines():
        m = re.fullmatch(r"What is the value of (\w+)\? Give it as an integer or a reduced fraction\.", line)
        if m:
            query = m[1]
            continue
        for pattern, make in patterns:
            m = re.fullmatch(pattern, line)
            if m:
                assert m[1] not in graph, f"{m[1]} defined twice"
                graph[m[1]] = make(m)
                break
        else:
            raise AssertionError(f"unreadable sentence: {line!r}")
    assert query is not None
    return graph, query


def eval_arithmetic(graph: dict[str, tuple]) -> dict[str, sympy.Rational]:
    @functools.cache
    def value(name: str) -> sympy.Expr:
        op, arg = graph[name]
        if op == "leaf":
            return arg
        vals = [value(a) for a in arg]
        if op == "sum":
            return sympy.Add(*vals)
        if op == "product":
            return sympy.Mul(*vals)
        if op == "minus":
            return vals[0] - vals[1]
        if op == "divide":
            assert vals[1] != 0, f"division by zero at {name}"
            return vals[0] / vals[1]
        return vals[0] ** 2

    return {k: value(k) for k in graph}


def parse_boolean(question: str) -> tuple[dict[str, tuple], str]:
    graph: dict[str, tuple] = {}
    query = None
    for line in question.splitlines():
        if m := re.fullmatch(r"What is the value of (\w+)\? Answer True or False\.", line):
            query = m[1]
        elif m := re.fullmatch(r"(\w+) is (True|False)\.", line):
            graph[m[1]] = ("leaf", m[2] == "True")
        elif m := re.fullmatch(r"(\w+) is NOT (\w+)\.", line):
            graph[m[1]] = ("not", [m[2]])
        elif m := re.fullmatch(r"(\w+) is (\w+(?: (?:AND|OR) \w+)+)\.", line):
            ops = set(re.findall(r" (AND|OR) ", m[2]))
            assert len(ops) == 1, line
            graph[m[1]] = (ops.pop().lower(), re.split(r" (?:AND|OR) ", m[2]))
        else:
            raise AssertionError(f"unreadable sentence: {line!r}")
    assert query is not None
    return graph, query


def eval_boolean(graph: dict[str, tuple]) -> dict[str, bool]:
    @functools.cache
    def value(name: str) -> bool:
        op, arg = graph[name]
        if op == "leaf":
            return arg
        vals = [value(a) for a in arg]
        if op == "not":
            return not vals[0]
        if op == "and":
            return functools.reduce(lambda a, b: a and b, vals)
        return functools.reduce(lambda a, b: a or b, vals)

    return {k: value(k) for k in graph}


def parse_deduction(question: str) -> tuple[set[str], list[tuple[list[str], str]], str]:
    lines = question.splitlines()
    assert lines[0].startswith("Facts: ") and lines[1].startswith("Rules: ")
    body = lines[0][len("Facts: "):]
    facts = set() if body == "none." else {f for f in re.split(r"\.\s*", body) if f}
    rules = [(prem.split(" and "), concl) for prem, concl in re.findall(r"If (.+?) then (.+?)\.", lines[1])]
    assert "closed world" in lines[2]
    m = re.fullmatch(r"Question: is it true that (.+)\? Answer True or False\.", lines[3])
    assert m and len(lines) == 4
    return facts, rules, m[1]


def closure(facts: set[str], rules: list[tuple[list[str], str]]) -> set[str]:
    known = set(facts)
    changed = True
    while changed:
        changed = False
        for premises, conclusion in rules:
            if conclusion not in known and all(p in known for p in premises):
                known.add(conclusion)
                changed = True
    return known


def ancestors(parents: dict[str, list[str]], node: str) -> set[str]:
    seen, todo = set(), [node]
    while todo:
        k = todo.pop()
        if k not in seen:
            seen.add(k)
            todo.extend(parents.get(k, []))
    return seen


def longest_path(parents: dict[str, list[str]], node: str) -> int:
    @functools.cache
    def height(k: str) -> int:
        return 1 + max((height(p) for p in parents.get(k, [])), default=-1)

    return height(node)


def check_structure(parents: dict[str, list[str]], query: str, depth: int, width: int, distractors: int) -> None:
    needed = ancestors(parents, query)
    leaves = [k for k in parents if not parents[k]]
    assert len(parents) == width * depth + 1 + distractors
    assert len(needed) == width * depth + 1, "every non-distractor node feeds the query"
    assert len(parents) - len(needed) == distractors
    assert len(leaves) == width and set(leaves) <= needed
    assert longest_path(parents, query) == depth
    assert len(parents[query]) == (width if width > 1 else len(parents[query]))


# ---- tests -----------------------------------------------------------------------------------------------------

_LOCAL_XOR = standard_transformations + (convert_xor,)


def _sym(text: str, local: dict[str, sympy.Expr]) -> sympy.Expr:
    return parse_expr(text, local_dict=local, transformations=_LOCAL_XOR)


@pytest.mark.parametrize("depth,width,distractors", DIALS)
def test_arithmetic_answers_rederived_with_sympy(depth: int, width: int, distractors: int) -> None:
    for seed in SEEDS:
        for item in dyval_items("arithmetic", N, depth=depth, width=width, distractors=distractors, seed=seed):
            graph, query = parse_arithmetic(item["question"])
            values = eval_arithmetic(graph)
            assert sympy.Rational(item["answer"]) == values[query], item["id"]
            assert "/" not in item["answer"] or sympy.Rational(item["answer"]).q > 1  # reduced fraction
            assert all(abs(v) <= 10**6 for v in values.values())
            parents = {k: ([] if op == "leaf" else list(arg)) for k, (op, arg) in graph.items()}
            check_structure(parents, query, depth, width, distractors)
            # every step is a true equation: the symbolic form, the numbers and the result agree
            local = {k: v for k, v in values.items()}
            assert len(item["steps"]) == width * depth + 1
            for step in item["steps"]:
                lhs, *rhs = [part.strip() for part in step.split(" = ")]
                assert lhs in graph and rhs, step
                for part in rhs:
                    assert _sym(part, local) == values[lhs], f"{item['id']}: {step}"
            assert item["steps"][-1].startswith(f"{query} = ")


@pytest.mark.parametrize("depth,width,distractors", DIALS)
def test_boolean_answers_rederived_with_python_logic(depth: int, width: int, distractors: int) -> None:
    for seed in SEEDS:
        for item in dyval_items("boolean", N, depth=depth, width=width, distractors=distractors, seed=seed):
            graph, query = parse_boolean(item["question"])
            values = eval_boolean(graph)
            assert item["answer"] == str(values[query]), item["id"]
            parents = {k: ([] if op == "leaf" else list(arg)) for k, (op, arg) in graph.items()}
            check_structure(parents, query, depth, width, distractors)
            assert len(item["steps"]) == width * depth + 1
            for step in item["steps"]:
                lhs, *rhs = step.split(" = ")
                assert rhs[-1] == str(values[lhs]), step
                numeric = rhs[-2] if len(rhs) > 1 else rhs[-1]
                assert re.fullmatch(r"(?:NOT |True|False| AND | OR )+", numeric), step
                py = numeric.replace("AND", "and").replace("OR", "or").replace("NOT", "not")
                assert eval(py, {"__builtins__": {}}) is values[lhs], step  # noqa: S307 - True/False/and/or/not only


@pytest.mark.parametrize("depth,width,distractors", DIALS)
def test_deduction_answers_rederived_by_fixed_point(depth: int, width: int, distractors: int) -> None:
    for seed in SEEDS:
        for item in dyval_items("deduction", N, depth=depth, width=width, distractors=distractors, seed=seed):
            facts, rules, query = parse_deduction(item["question"])
            known = closure(facts, rules)
            assert item["answer"] == str(query in known), item["id"]
            assert facts, "at least one fact is stated"
            atoms = facts | {c for _, c in rules} | {p for ps, _ in rules for p in ps}
            parents: dict[str, list[str]] = {a: [] for a in atoms}
            for premises, conclusion in rules:
                parents[conclusion] = sorted(set(parents[conclusion]) | set(premises))
            check_structure(parents, query, depth, width, distractors)
            assert len(item["steps"]) == width * depth + 1
            for step in item["steps"]:
                atom, _, explanation = step.partition(": ")
                assert atom in atoms, step
                assert explanation.endswith((f"so {atom in known}.", f"so {atom in known} (closed world).")), step


def test_record_schema_and_meta() -> None:
    for kind in KINDS:
        items = dyval_items(kind, 3, depth=2, width=2, distractors=1, seed=7)
        for i, item in enumerate(items):
            assert set(item) == {"id", "task", "question", "answer", "steps", "meta"}
            assert item["id"] == f"dyval-{kind}-7-{i:05d}"
            assert item["task"] == ("math" if kind == "arithmetic" else "logic")
            meta = item["meta"]
            assert {k: meta[k] for k in ("kind", "depth", "width", "distractors", "nodes", "seed")} == {
                "kind": kind, "depth": 2, "width": 2, "distractors": 1, "nodes": 6, "seed": 7}
            dag = meta["dag"]
            assert len(dag["nodes"]) == 6 and len({n["id"] for n in dag["nodes"]}) == 6
            assert all(len(edge) == 3 for edge in dag["edges"])
            assert [n["id"] for n in dag["nodes"] if n["role"] == "query"] == [dag["query"]]
            if kind != "arithmetic":
                assert item["answer"] in ("True", "False")


def test_determinism_and_distinct_seeds() -> None:
    for kind in KINDS:
        a = dyval_items(kind, 20, seed=3, distractors=2)
        assert a == dyval_items(kind, 20, seed=3, distractors=2)
        assert a[:5] == dyval_items(kind, 5, seed=3, distractors=2), "item i does not depend on n"
        b = dyval_items(kind, 20, seed=4, distractors=2)
        assert all(x["question"] != y["question"] for x, y in zip(a, b))
        assert len({x["question"] for x in a}) == 20


def test_dials_grow_the_graph() -> None:
    for kind in KINDS:
        base = dyval_items(kind, 5)[0]["meta"]["nodes"]
        assert base == 7
        assert dyval_items(kind, 1, depth=5)[0]["meta"]["nodes"] == 11
        assert dyval_items(kind, 1, width=4)[0]["meta"]["nodes"] == 13
        assert dyval_items(kind, 1, distractors=6)[0]["meta"]["nodes"] == 13
        assert len(dyval_items(kind, 1, distractors=6)[0]["steps"]) == 7  # distractors are not solved


def test_truth_answers_are_balanced() -> None:
    for kind in ("boolean", "deduction"):
        answers = [it["answer"] for it in dyval_items(kind, 300, depth=4, width=3, seed=1)]
        share = answers.count("True") / len(answers)
        assert 0.35 < share < 0.65, (kind, share)


@pytest.mark.parametrize("kwargs,word", [
    ({"kind": "algebra"}, "kind"), ({"n": -1}, "n"), ({"n": 2.0}, "n"), ({"depth": 0}, "depth"),
    ({"depth": True}, "depth"), ({"width": 0}, "width"), ({"width": 99}, "width"), ({"distractors": -1}, "distractors"),
    ({"seed": "x"}, "seed"), ({"depth": 12, "width": 6, "distractors": 100}, "nodes"),
])
def test_bad_dials_are_named(kwargs: dict, word: str) -> None:
    args = {"kind": "arithmetic", "n": 1} | kwargs
    kind, n = args.pop("kind"), args.pop("n")
    with pytest.raises(ValueError, match=word):
        dyval_items(kind, n, **args)


def test_zero_items() -> None:
    assert dyval_items("boolean", 0) == []
