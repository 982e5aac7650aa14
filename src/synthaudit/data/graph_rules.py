"""The rule spec of graph.valid_rule (survey section 5.2: "the task's rule checker", e.g. 'is a tree').

A spec is a YAML/JSON file or a mapping (optionally under a top-level ``rules:`` key)::

    connected: true          # weakly connected for directed graphs
    acyclic: true            # a forest (undirected) or a DAG (directed)
    tree: true               # networkx.is_tree (directed: the underlying undirected graph is a tree)
    bipartite: true
    planar: true
    no_self_loops: true
    valence: true            # molecules: RDKit sanitisation succeeds (valences, aromaticity)
    min_nodes: 5             # also max_nodes, min_edges, max_edges, min_degree, max_degree
    custom:                  # restricted expressions over named invariants (INVARIANTS)
      trees_only: "n_edges == n_nodes - 1"

A boolean rule set to ``false`` requires the property *not* to hold (omit a rule to leave it unchecked).
Custom predicates are parsed with :mod:`ast` and evaluated by a small interpreter that allows only numbers,
invariant names, arithmetic, comparisons, ``and``/``or``/``not`` and ``abs``/``min``/``max``: never ``eval``.
A bad spec raises one :class:`RuleSpecError` naming the rule and what was expected.
"""
from __future__ import annotations

import ast
import difflib
import json
import math
import operator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

from synthaudit.errors import SpecError

BOOL_RULES = ("connected", "acyclic", "tree", "bipartite", "planar", "no_self_loops", "valence")
COUNT_RULES = ("min_nodes", "max_nodes", "min_edges", "max_edges", "min_degree", "max_degree")
KNOWN = BOOL_RULES + COUNT_RULES + ("custom",)
MAX_EXPRESSION = 500
MAX_EXPONENT = 64


class RuleSpecError(SpecError):
    """A rule spec of graph.valid_rule is invalid (the message names the rule and what was expected)."""

    def __init__(self, message: str, *, file: str | None = None) -> None:
        super().__init__(message, file=file, field="rules")


@dataclass(frozen=True)
class RuleFailure:
    """A rule a graph does not satisfy: what was expected and what the graph has."""

    rule: str
    expected: str
    got: str

    def __str__(self) -> str:
        return f"{self.rule}: expected {self.expected}, got {self.got}"


def _nx():
    import networkx as nx

    return nx


def _undirected(g):
    return g.to_undirected(as_view=True) if g.is_directed() else g


def _components(g) -> int:
    nx = _nx()
    return nx.number_weakly_connected_components(g) if g.is_directed() else nx.number_connected_components(g)


def _connected(g) -> bool:
    return g.number_of_nodes() > 0 and _components(g) == 1


def _acyclic(g) -> bool:
    nx = _nx()
    return nx.is_directed_acyclic_graph(g) if g.is_directed() else nx.is_forest(g)


def _planar(g) -> bool:
    return bool(_nx().check_planarity(_undirected(g))[0])


def _distance(g, kind: str) -> float:
    nx = _nx()
    u = _undirected(g)
    if not _connected(u):
        return math.inf
    return float(nx.diameter(u) if kind == "diameter" else nx.radius(u))


def _degrees(g) -> list[int]:
    return [d for _, d in g.degree()]


#: named graph invariants a custom predicate may use (computed only when used)
INVARIANTS: dict[str, Callable[[Any], Any]] = {
    "n_nodes": lambda g: g.number_of_nodes(),
    "n_edges": lambda g: g.number_of_edges(),
    "n_self_loops": lambda g: _nx().number_of_selfloops(g),
    "n_components": _components,
    "n_isolated": lambda g: sum(1 for d in _degrees(g) if d == 0),
    "n_leaves": lambda g: sum(1 for d in _degrees(g) if d == 1),
    "n_triangles": lambda g: sum(_nx().triangles(_nx().Graph(_undirected(g))).values()) // 3,
    "min_degree": lambda g: min(_degrees(g), default=0),
    "max_degree": lambda g: max(_degrees(g), default=0),
    "mean_degree": lambda g: 2.0 * g.number_of_edges() / g.number_of_nodes() if g.number_of_nodes() else 0.0,
    "density": lambda g: _nx().density(g),
    "diameter": lambda g: _distance(g, "diameter"),
    "radius": lambda g: _distance(g, "radius"),
    "girth": lambda g: float(_nx().girth(_nx().Graph(_undirected(g)))),
    "is_connected": _connected,
    "is_tree": lambda g: g.number_of_nodes() > 0 and _nx().is_tree(g),
    "is_forest": lambda g: g.number_of_nodes() > 0 and _nx().is_forest(_undirected(g)),
    "is_dag": lambda g: g.is_directed() and _nx().is_directed_acyclic_graph(g),
    "is_bipartite": lambda g: _nx().is_bipartite(g),
    "is_planar": _planar,
    "is_regular": lambda g: g.number_of_nodes() > 0 and _nx().is_regular(g),
    "is_directed": lambda g: g.is_directed(),
}

_FUNCS: dict[str, Callable[..., Any]] = {"abs": abs, "min": min, "max": max}
MAX_BITS = 4096


def _pow(base: Any, exp: Any) -> Any:
    """``base ** exp`` refusing results beyond MAX_BITS bits (nested powers could exhaust memory)."""
    if isinstance(base, int) and isinstance(exp, int) and exp > 0 and \
            max(abs(base), 1).bit_length() * exp > MAX_BITS:
        raise ValueError(f"{base} ** {exp} is too large")
    return base ** exp


_BINOPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
           ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod, ast.Pow: _pow}
_CMPOPS = {ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le,
           ast.Gt: operator.gt, ast.GtE: operator.ge}
_UNARY = {ast.Not: operator.not_, ast.USub: operator.neg, ast.UAdd: operator.pos}
_CONSTANTS = {"true": True, "false": False, "inf": math.inf}


class Predicate:
    """A custom predicate: a restricted expression over :data:`INVARIANTS`, checked once when the spec is read
    and evaluated by walking its syntax tree (no ``eval``/``compile``)."""

    def __init__(self, name: str, text: str) -> None:
        self.name, self.text = name, text
        where = f"rule 'custom.{name}'"
        if not isinstance(text, str) or not text.strip():
            raise RuleSpecError(f"{where}: expected an expression such as 'n_edges == n_nodes - 1', got {text!r}")
        if len(text) > MAX_EXPRESSION:
            raise RuleSpecError(f"{where}: expected an expression of at most {MAX_EXPRESSION} characters")
        try:
            self.tree = ast.parse(text.strip(), mode="eval").body
        except SyntaxError as exc:
            raise RuleSpecError(f"{where}: {text!r} is not an expression ({exc.msg})") from None
        self.names: set[str] = set()
        self._check(self.tree, where)

    def _check(self, node: ast.AST, where: str) -> None:
        allowed = "numbers, invariant names, + - * / // % **, comparisons, and/or/not, abs/min/max"
        if isinstance(node, ast.Constant):
            if not isinstance(node.value, (int, float)):  # bool is an int
                raise RuleSpecError(f"{where}: only numbers and true/false are allowed as constants, got "
                                    f"{node.value!r}")
        elif isinstance(node, ast.Name):
            if node.id in INVARIANTS:
                self.names.add(node.id)
            elif node.id.lower() not in _CONSTANTS:
                close = difflib.get_close_matches(node.id, list(INVARIANTS), n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                raise RuleSpecError(f"{where}: unknown name {node.id!r}{hint}; expected one of the invariants "
                                    f"{', '.join(INVARIANTS)}")
        elif isinstance(node, ast.BoolOp):
            for v in node.values:
                self._check(v, where)
        elif isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
            self._check(node.operand, where)
        elif isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
            if isinstance(node.op, ast.Pow) and not (isinstance(node.right, ast.Constant)
                                                     and isinstance(node.right.value, (int, float))
                                                     and abs(node.right.value) <= MAX_EXPONENT):
                raise RuleSpecError(f"{where}: an exponent must be a number constant of at most {MAX_EXPONENT}")
            self._check(node.left, where)
            self._check(node.right, where)
        elif isinstance(node, ast.Compare) and all(type(op) in _CMPOPS for op in node.ops):
            for v in (node.left, *node.comparators):
                self._check(v, where)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _FUNCS \
                and not node.keywords and node.args and not any(isinstance(a, ast.Starred) for a in node.args):
            for a in node.args:
                self._check(a, where)
        else:
            raise RuleSpecError(f"{where}: {type(node).__name__} ({ast.unparse(node)[:40]!r}) is not allowed; "
                                f"expected {allowed}")

    def evaluate(self, values: Mapping[str, Any]) -> Any:
        return self._eval(self.tree, values)

    def _eval(self, node: ast.AST, values: Mapping[str, Any]) -> Any:
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Name):
            return values[node.id] if node.id in INVARIANTS else _CONSTANTS[node.id.lower()]
        if isinstance(node, ast.BoolOp):
            if isinstance(node.op, ast.And):
                out: Any = True
                for v in node.values:
                    out = self._eval(v, values)
                    if not out:
                        return out
                return out
            out = False
            for v in node.values:
                out = self._eval(v, values)
                if out:
                    return out
            return out
        if isinstance(node, ast.UnaryOp):
            return _UNARY[type(node.op)](self._eval(node.operand, values))
        if isinstance(node, ast.BinOp):
            return _BINOPS[type(node.op)](self._eval(node.left, values), self._eval(node.right, values))
        if isinstance(node, ast.Compare):
            left = self._eval(node.left, values)
            for op, right_node in zip(node.ops, node.comparators):
                right = self._eval(right_node, values)
                if not _CMPOPS[type(op)](left, right):
                    return False
                left = right
            return True
        if isinstance(node, ast.Call):
            return _FUNCS[node.func.id](*(self._eval(a, values) for a in node.args))
        raise AssertionError(f"unchecked node {type(node).__name__}")  # _check rejected everything else


@dataclass
class RuleSet:
    """A parsed rule spec: ``check(graph)`` lists the rules a graph fails."""

    bools: dict[str, bool] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    custom: list[Predicate] = field(default_factory=list)
    source: str | None = None

    @property
    def names(self) -> list[str]:
        return list(self.bools) + list(self.counts) + [f"custom.{p.name}" for p in self.custom]

    def describe(self) -> dict[str, Any]:
        return {**self.bools, **self.counts, **({"custom": {p.name: p.text for p in self.custom}}
                                                if self.custom else {})}

    def check(self, g, smiles: str | None = None) -> list[RuleFailure]:
        """The rules ``g`` (a networkx graph) fails, in spec order; ``smiles`` is the molecule's SMILES (valence)."""
        out: list[RuleFailure] = []
        for rule, want in self.bools.items():
            has, detail = _bool_rule(rule, g, smiles)
            if has != want:
                word = rule.replace("_", " ")
                out.append(RuleFailure(rule, word if want else f"not {word}", detail or (f"not {word}" if want
                                                                                          else word)))
        degrees = _degrees(g) if {"min_degree", "max_degree"} & set(self.counts) else []
        for rule, bound in self.counts.items():
            what = rule.split("_", 1)[1]
            if what == "nodes":
                value = g.number_of_nodes()
            elif what == "edges":
                value = g.number_of_edges()
            else:
                value = (min if rule.startswith("min") else max)(degrees, default=0)
            ok = value >= bound if rule.startswith("min") else value <= bound
            if not ok:
                word = "nodes" if what == "nodes" else "edges" if what == "edges" else \
                    ("minimum degree" if rule.startswith("min") else "maximum degree")
                out.append(RuleFailure(rule, f"{'>=' if rule.startswith('min') else '<='} {bound} {word}",
                                       f"{value}"))
        if self.custom:
            values = _LazyInvariants(g)
            for p in self.custom:
                try:
                    ok = bool(p.evaluate(values))
                    got = "false" if not ok else ""
                except (ArithmeticError, ValueError, TypeError) as exc:
                    ok, got = False, f"an error ({type(exc).__name__}: {exc})"
                if not ok:
                    shown = ", ".join(f"{n}={values.cache[n]}" for n in sorted(p.names) if n in values.cache)
                    out.append(RuleFailure(f"custom.{p.name}", p.text, got + (f" ({shown})" if shown else "")))
        return out


class _LazyInvariants:
    """Invariants of one graph, computed on first use."""

    def __init__(self, g) -> None:
        self.g, self.cache = g, {}

    def __getitem__(self, key: str) -> Any:
        if key not in self.cache:
            self.cache[key] = INVARIANTS[key](self.g)
        return self.cache[key]


def _bool_rule(rule: str, g, smiles: str | None) -> tuple[bool, str | None]:
    """(whether ``g`` has the property, a detail when it matters)."""
    nx = _nx()
    if rule == "connected":
        c = _components(g)
        return c == 1, f"{c} components" if c != 1 else None
    if rule == "acyclic":
        return _acyclic(g), None
    if rule == "tree":
        return g.number_of_nodes() > 0 and nx.is_tree(g), None
    if rule == "bipartite":
        return nx.is_bipartite(g), None
    if rule == "planar":
        return _planar(g), None
    if rule == "no_self_loops":
        k = nx.number_of_selfloops(g)
        return k == 0, f"{k} self-loop(s)" if k else None
    if rule == "valence":
        reason = valence_problem(g, smiles)
        return reason is None, reason
    raise AssertionError(rule)


_BOND_TYPES = {1.0: "SINGLE", 2.0: "DOUBLE", 3.0: "TRIPLE", 1.5: "AROMATIC"}


def valence_problem(g, smiles: str | None = None) -> str | None:
    """None when the molecule passes RDKit sanitisation, else RDKit's reason. From the SMILES when given, else
    from the graph's ``element`` (or ``symbol``) node attributes, optional ``charge`` and bond ``order``."""
    from rdkit import Chem, RDLogger

    RDLogger.DisableLog("rdApp.*")
    if smiles is not None:
        mol = Chem.MolFromSmiles(smiles, sanitize=False)
        if mol is None:
            return "RDKit cannot parse the SMILES"
    else:
        mol = Chem.RWMol()
        index = {}
        for v, data in g.nodes(data=True):
            symbol = data.get("element", data.get("symbol"))
            if symbol is None:
                return f"node {v!r} has no 'element' attribute (valence needs atoms)"
            try:
                atom = Chem.Atom(str(symbol))
            except RuntimeError:
                return f"node {v!r}: {symbol!r} is not an element"
            atom.SetFormalCharge(int(data.get("charge", 0) or 0))
            index[v] = mol.AddAtom(atom)
        for u, v, data in g.edges(data=True):
            order = float(data.get("order", 1.0) or 1.0)
            if order not in _BOND_TYPES or u == v:
                return f"bond {u!r}-{v!r} has order {order} (expected 1, 1.5, 2 or 3 between two atoms)"
            mol.AddBond(index[u], index[v], getattr(Chem.BondType, _BOND_TYPES[order]))
        mol = mol.GetMol()
    try:
        Chem.SanitizeMol(mol)
    except Exception as exc:  # noqa: BLE001 - RDKit raises several kinds; its message is the reason
        return " ".join(str(exc).split())[:160] or type(exc).__name__
    return None


def _count(rule: str, value: Any, file: str | None) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0 or int(value) != value:
        raise RuleSpecError(f"rule '{rule}': expected a non-negative integer, got {value!r}", file=file)
    return int(value)


def load_rules(spec: Any) -> RuleSet:
    """A :class:`RuleSet` from a mapping, a RuleSet, or a YAML/JSON file path. Raises RuleSpecError."""
    if isinstance(spec, RuleSet):
        return spec
    file = None
    if isinstance(spec, (str, Path)):
        path = Path(spec)
        file = str(path)
        if not path.is_file():
            raise RuleSpecError("the rule spec file does not exist (expected a YAML or JSON file, or a mapping)",
                                file=file)
        text = path.read_text(encoding="utf-8")
        try:
            if path.suffix.lower() == ".json":
                spec = json.loads(text)
            else:
                import yaml

                spec = yaml.safe_load(text)
        except Exception as exc:  # noqa: BLE001 - the parser's message is the reason
            raise RuleSpecError(f"cannot read the rule spec: {' '.join(str(exc).split())[:200]}", file=file) from None
    if isinstance(spec, Mapping) and set(spec) == {"rules"}:
        spec = spec["rules"]
    if not isinstance(spec, Mapping) or not spec:
        raise RuleSpecError(f"expected a mapping of rules ({', '.join(KNOWN)}), got "
                            f"{type(spec).__name__ if spec is not None else 'nothing'}", file=file)
    out = RuleSet(source=file)
    for rule, value in spec.items():
        if rule not in KNOWN:
            close = difflib.get_close_matches(str(rule), KNOWN, n=1)
            raise RuleSpecError(f"unknown rule {rule!r}{f' (did you mean {close[0]!r}?)' if close else ''}; "
                                f"known rules: {', '.join(KNOWN)}", file=file)
        if value is None:
            continue
        if rule in BOOL_RULES:
            if not isinstance(value, bool):
                raise RuleSpecError(f"rule '{rule}': expected true or false, got {value!r}", file=file)
            out.bools[rule] = value
        elif rule in COUNT_RULES:
            out.counts[rule] = _count(rule, value, file)
        else:
            out.custom = _custom(value, file)
    for what in ("nodes", "edges", "degree"):
        lo, hi = out.counts.get(f"min_{what}"), out.counts.get(f"max_{what}")
        if lo is not None and hi is not None and lo > hi:
            raise RuleSpecError(f"rules 'min_{what}' ({lo}) and 'max_{what}' ({hi}) contradict each other: expected "
                                f"min_{what} <= max_{what}", file=file)
    return out


def _custom(value: Any, file: str | None) -> list[Predicate]:
    if isinstance(value, str):
        value = {"1": value}
    elif isinstance(value, (list, tuple)):
        value = {str(i + 1): v for i, v in enumerate(value)}
    if not isinstance(value, Mapping):
        raise RuleSpecError(f"rule 'custom': expected an expression, a list of expressions or a mapping name -> "
                            f"expression, got {type(value).__name__}", file=file)
    try:
        return [Predicate(str(name), text) for name, text in value.items()]
    except RuleSpecError as exc:
        raise RuleSpecError(exc.message, file=file) from None
