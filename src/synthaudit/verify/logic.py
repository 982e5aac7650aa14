"""Logic verifier: entailment labels and ProofWriter-style proof graphs (survey section 3.2, Acc_proof).

A logic item is right when its label is right (True / False / Unknown, as in ProofWriter and FaiRR) and, when a
gold proof is given, its proof graph equals one of the gold proof graphs (ProofWriter's "full accuracy").

Proofs are compared as graphs, not strings. ProofWriter writes a proof as a nested expression (the ``proofs`` and
``proofsWithIntermediates[].representation`` fields)::

    triple1                                    a given fact
    ((triple1 triple2) -> rule1)               rule1 applied to two facts
    (((triple4) -> (rule2 % int1)) triple1) -> (rule3 % int2)
                                               rule2 on triple4 gives intermediate int1; rule3 on int1 and triple1

``(ruleN % intM)`` names the intermediate conclusion ``intM`` that ``ruleN`` produced; the ``proofs`` field
writes just ``ruleN``. ``NAF`` (or ``nafN``) is a premise proved by negation as failure (closed world). The
``proofs`` field wraps alternatives as ``[(proof1 OR proof2)]``; unprovable statements carry ``FAIL`` and no proof.

The canonical graph (as in PRover) has the facts, the rules and ``NAF`` as nodes; every premise gets an edge to
the rule it feeds, an intermediate premise is replaced by the rule that produced it, and the final conclusion gets
one edge to the sentinel ``@goal`` (so a one-fact proof is ``{("triple1", "@goal")}``). Premise order, extra
parentheses and intermediate numbering do not change the graph; a different fact or rule does.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from synthaudit.verify.base import Verdict

TRUE, FALSE, UNKNOWN = "True", "False", "Unknown"
GOAL = "@goal"
NAF = "NAF"

_LABELS = {
    TRUE: ("true", "t", "yes", "y", "1", "entailed", "entailment", "entails", "proved", "provable", "supported",
           "holds"),
    FALSE: ("false", "f", "no", "n", "0", "contradiction", "contradicted", "contradicts", "refuted", "disproved",
            "negated"),
    UNKNOWN: ("unknown", "neutral", "undetermined", "uncertain", "unk", "cannot be determined", "can not be determined",
              "cannot tell", "can't tell", "not enough info", "not enough information", "nei", "none of the above"),
}
_LABEL_OF = {word: label for label, words in _LABELS.items() for word in words}
_PREFIX = re.compile(r"^(?:the\s+)?(?:final\s+)?(?:answer|label)\s*(?:is|:)?\s*", re.IGNORECASE)

Edges = frozenset[tuple[str, str]]


def normalize_label(x: object) -> str | None:
    """``"True"``, ``"False"``, ``"Unknown"`` or None when ``x`` is not a readable label.

    Booleans, 1/0 and words (true/yes/entailed, false/no/contradiction/refuted, unknown/neutral/undetermined...)
    are read; "not entailed" is not, because it merges False and Unknown.
    """
    if x is None:
        return None
    if hasattr(x, "item") and not isinstance(x, (str, bytes)):  # numpy scalar
        try:
            x = x.item()
        except (TypeError, ValueError):
            return None
    if isinstance(x, bool):
        return TRUE if x else FALSE
    if isinstance(x, (int, float)):
        return {1: TRUE, 0: FALSE}.get(x) if x in (0, 1) else None  # type: ignore[call-overload]
    if not isinstance(x, str):
        return None
    text = _PREFIX.sub("", x.strip())
    text = re.sub(r"[\s_]+", " ", text.strip(" \t\n\"'`.!,;:()[]{}*")).lower()
    return _LABEL_OF.get(text)


# ---- proof strings ----------------------------------------------------------------------------------------------

_TOKEN = re.compile(r"\s*(\u2192|[()\[\]%]|[^\s()\[\]%\u2192]+)")


def _tokens(text: str) -> list[str]:
    text = text.replace("->", " \u2192 ")
    out, pos = [], 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m:
            break  # trailing whitespace
        out.append("->" if m[1] == "\u2192" else m[1])
        pos = m.end()
    return out


def _is_fail(text: str) -> bool:
    return re.search(r"\bFAIL\b", text) is not None


def _enclosed(text: str) -> bool:
    """True when the first '(' is closed by the last ')'."""
    if not (text.startswith("(") and text.endswith(")")):
        return False
    depth = 0
    for i, ch in enumerate(text):
        depth += ch == "("
        depth -= ch == ")"
        if depth == 0 and i < len(text) - 1:
            return False
    return True


def split_proofs(field: str) -> list[str]:
    """The alternative proofs of a ProofWriter ``proofs`` field (``[(p1 OR p2)]``); ``[]`` for a FAIL entry."""
    text = field.strip()
    if _is_fail(text):
        return []
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1].strip()
    if not re.search(r"\bOR\b", text):
        return [text] if text else []
    if _enclosed(text):
        text = text[1:-1].strip()
    parts, depth, start = [], 0, 0
    for m in re.finditer(r"[()]|\bOR\b", text):
        if m[0] == "(":
            depth += 1
        elif m[0] == ")":
            depth -= 1
        elif depth == 0:
            parts.append(text[start:m.start()].strip())
            start = m.end()
    parts.append(text[start:].strip())
    return [p for p in parts if p]


def _node_id(token: str) -> str:
    name = token.strip().strip("'\"")
    if name.upper() == NAF or re.fullmatch(r"naf\d*", name, re.IGNORECASE):
        return NAF
    return GOAL if name == GOAL else name.lower()


def _is_intermediate(name: str) -> bool:
    return re.fullmatch(r"(?:[a-z]-)?int\d+", name) is not None


class _Parser:
    """Recursive descent over ProofWriter tokens: group := '(' item* ['->' conclusion] ')'."""

    def __init__(self, tokens: list[str]) -> None:
        self.tokens, self.pos = tokens, 0
        self.edges: set[tuple[str, str]] = set()
        self.producer: dict[str, str] = {}  # intermediate -> rule that produced it
        self.pending: list[tuple[str, str]] = []  # (intermediate premise, rule it feeds)

    def peek(self) -> str | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self, expected: str | None = None) -> str:
        tok = self.peek()
        if tok is None:
            raise ValueError("proof ends early: unbalanced parentheses")
        if expected is not None and tok != expected:
            raise ValueError(f"expected {expected!r} at token {self.pos + 1}, got {tok!r}")
        self.pos += 1
        return tok

    def group(self) -> list[str]:
        """Parse one parenthesised group; return the node ids it offers as premises."""
        self.take("(")
        premises: list[str] = []
        while self.peek() not in (")", "->", None):
            if self.peek() == "(":
                premises += self.group()
            elif self.peek() in ("%", "[", "]"):
                raise ValueError(f"unexpected {self.peek()!r} at token {self.pos + 1}")
            else:
                premises.append(_node_id(self.take()))
        if self.peek() == "->":
            self.take()
            rule, made = self.conclusion()
            if not premises:
                raise ValueError(f"rule {rule} has no premises")
            for p in premises:
                if _is_intermediate(p):
                    self.pending.append((p, rule))
                else:
                    self.edges.add((p, rule))
            if made:
                self.producer[made] = rule
            premises = [rule]
        self.take(")")
        return premises

    def conclusion(self) -> tuple[str, str | None]:
        wrapped = self.peek() == "("
        if wrapped:
            self.take("(")
        tok = self.peek()
        if tok is None or tok in ("(", ")", "->", "%"):
            raise ValueError(f"'->' must be followed by a rule id, got {tok!r}")
        rule, made = _node_id(self.take()), None
        if self.peek() == "%":
            self.take()
            if self.peek() in (None, "(", ")", "->", "%"):
                raise ValueError(f"'%' after {rule} must name an intermediate, got {self.peek()!r}")
            made = _node_id(self.take())
        if wrapped:
            self.take(")")
        return rule, made


def _parse_string(text: str) -> Edges:
    if not text.strip():
        raise ValueError("empty proof")
    if _is_fail(text):
        raise ValueError("a FAIL entry is no proof (the statement is not provable)")
    alternatives = split_proofs(text)
    if len(alternatives) > 1:
        raise ValueError(f"{len(alternatives)} alternative proofs joined by OR; pass them as a list of gold proofs")
    tokens = _tokens(alternatives[0])
    parser = _Parser(["(", *tokens, ")"])
    roots = parser.group()
    if parser.pos != len(parser.tokens):
        raise ValueError(f"unexpected {parser.tokens[parser.pos]!r} after the end of the proof")
    for intermediate, rule in parser.pending:
        if intermediate not in parser.producer:
            raise ValueError(f"intermediate {intermediate} is used as a premise but no step produces it")
        parser.edges.add((parser.producer[intermediate], rule))
    return _with_goal(parser.edges, roots, parser.producer)


def _with_goal(edges: set[tuple[str, str]], roots: list[str], producer: dict[str, str]) -> Edges:
    roots = [producer.get(r, r) for r in roots]
    if len(roots) != 1:
        raise ValueError(f"a proof must end in one conclusion, got {len(roots)}: {', '.join(roots)}")
    if _is_intermediate(roots[0]):
        raise ValueError(f"intermediate {roots[0]} is the conclusion but no step produces it")
    return frozenset(edges | {(roots[0], GOAL)})


# ---- step lists, edge lists, dicts ------------------------------------------------------------------------------

def _parse_steps(steps: Sequence[dict]) -> Edges:
    producer: dict[str, str] = {}
    for i, step in enumerate(steps, 1):
        if not isinstance(step, dict) or "from" not in step or "rule" not in step:
            raise ValueError(f"step {i} must be a dict with 'from' (premises) and 'rule' (and optionally 'to')")
        if step.get("to") is not None:
            producer[_node_id(str(step["to"]))] = _node_id(str(step["rule"]))
    edges: set[tuple[str, str]] = set()
    used: set[str] = set()
    for i, step in enumerate(steps, 1):
        premises = [step["from"]] if isinstance(step["from"], str) else list(step["from"])
        if not premises:
            raise ValueError(f"step {i} has no premises")
        rule = _node_id(str(step["rule"]))
        for p in map(lambda x: _node_id(str(x)), premises):
            if p in producer:
                used.add(p)
                edges.add((producer[p], rule))
            elif _is_intermediate(p):
                raise ValueError(f"step {i}: intermediate {p} is used as a premise but no step produces it")
            else:
                edges.add((p, rule))
    roots = [_node_id(str(s["rule"])) for s in steps if s.get("to") is None or _node_id(str(s["to"])) not in used]
    return _with_goal(edges, roots, {})


def _parse_edges(pairs: Sequence[Sequence[Any]]) -> Edges:
    edges: set[tuple[str, str]] = set()
    for i, pair in enumerate(pairs, 1):
        if isinstance(pair, (str, bytes)) or not isinstance(pair, Sequence) or len(pair) != 2:
            raise ValueError(f"edge {i} must be a (from, to) pair, got {pair!r}")
        edges.add((_node_id(str(pair[0])), _node_id(str(pair[1]))))
    if any(dst == GOAL for _, dst in edges):
        return frozenset(edges)
    sources = {src for src, dst in edges if src != dst}
    sinks = sorted({n for e in edges for n in e} - sources)
    if len(sinks) != 1:
        raise ValueError(f"cannot tell the conclusion: {len(sinks)} nodes have no outgoing edge "
                         f"({', '.join(sinks)}); add an edge (conclusion, '{GOAL}')")
    return frozenset(edges | {(sinks[0], GOAL)})


def parse_proof(proof: str | list | dict) -> Edges:
    """The canonical edge set of one proof (module docstring); ValueError saying what is wrong otherwise.

    Accepts a ProofWriter proof string, a ``proofsWithIntermediates`` entry (``{"representation": ...}``), a
    list of steps ``[{"from": [...], "rule": ..., "to": ...}]`` (``to`` names an intermediate later steps use;
    the step whose result nothing uses is the conclusion) or a list of ``(from, to)`` edges between facts/rules.
    """
    if isinstance(proof, str):
        return _parse_string(proof)
    if isinstance(proof, dict):
        for key, parse in (("representation", _parse_string), ("steps", _parse_steps), ("edges", _parse_edges)):
            if key in proof:
                return parse(proof[key])  # type: ignore[operator]
        raise ValueError(f"a proof dict needs 'representation', 'steps' or 'edges', got keys {sorted(proof)}")
    if isinstance(proof, (list, tuple)):
        if not proof:
            raise ValueError("empty proof")
        if all(isinstance(s, dict) for s in proof):
            return _parse_steps(proof)
        return _parse_edges(proof)
    raise ValueError(f"a proof must be a string, a list of steps or edges, or a dict, got {type(proof).__name__}")


def _gold_list(golds: object) -> list[Any]:
    """Gold proofs as a flat list; a ProofWriter ``proofs`` string is split at OR, FAIL entries are dropped."""
    if golds is None:
        return []
    items = [golds] if isinstance(golds, (str, dict)) else list(golds)  # type: ignore[call-overload]
    out: list[Any] = []
    for g in items:
        out += split_proofs(g) if isinstance(g, str) else [g]
    return out


def proofs_match(pred: str | list | dict, golds: Sequence) -> bool:
    """True when ``pred``'s graph equals the graph of ANY gold proof (ValueError for an unreadable proof)."""
    target = parse_proof(pred)
    return any(parse_proof(g) == target for g in _gold_list(golds))


def _fmt(edges: Any) -> str:
    return ", ".join(f"{a}->{b}" for a, b in sorted(edges))


def verify_logic(pred_label: object, gold_label: object, *, pred_proof: str | list | dict | None = None,
                 gold_proofs: Sequence | str | dict | None = None) -> Verdict:
    """Pass when the label is right and, if gold proofs are given, the proof graph equals one of them.

    A gold label of Unknown (or gold proofs that are all FAIL, i.e. not provable) has no proof: then only the
    label counts and ``pred_proof`` is ignored. ``gold_proofs=None`` checks the label alone.
    """
    gold = normalize_label(gold_label)
    if gold is None:
        return Verdict("unparsed", f"gold label unreadable: {gold_label!r} (expected True, False or Unknown)")
    label = normalize_label(pred_label)
    if label is None:
        return Verdict("unparsed", f"predicted label unreadable: {pred_label!r} "
                                   "(expected True/False/Unknown or yes/no/entailed/contradiction/neutral)")
    detail: dict[str, Any] = {"label": label, "gold_label": gold, "proof_checked": False}
    if label != gold:
        return Verdict("fail", f"label {label}, expected {gold}", detail)
    golds_raw = [] if gold == UNKNOWN else _gold_list(gold_proofs)
    if not golds_raw:
        return Verdict("pass", "", detail)
    golds: list[Edges] = []
    for i, g in enumerate(golds_raw, 1):
        try:
            golds.append(parse_proof(g))
        except ValueError as exc:
            return Verdict("unparsed", f"gold proof {i} unreadable: {exc}", detail)
    detail["proof_checked"] = True
    if pred_proof is None:
        return Verdict("fail", f"no proof given; expected one matching {len(golds)} gold proof(s)", detail)
    try:
        pred = parse_proof(pred_proof)
    except ValueError as exc:
        return Verdict("unparsed", f"predicted proof unreadable: {exc}", detail)
    detail["pred_edges"] = sorted(pred)
    for i, g in enumerate(golds):
        if g == pred:
            return Verdict("pass", "", detail | {"matched_gold": i})
    best = min(range(len(golds)), key=lambda i: (len(golds[i] ^ pred), i))
    missing, extra = golds[best] - pred, pred - golds[best]
    detail |= {"closest_gold": best, "gold_edges": sorted(golds[best]), "missing": sorted(missing),
               "extra": sorted(extra)}
    parts = [f"missing edges {_fmt(missing)}" if missing else "", f"extra edges {_fmt(extra)}" if extra else ""]
    where = f" (closest of {len(golds)} gold proofs: #{best + 1})" if len(golds) > 1 else ""
    return Verdict("fail", "proof differs: " + "; ".join(p for p in parts if p) + where, detail)
