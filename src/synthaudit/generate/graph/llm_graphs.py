"""LLM-written graphs and molecules with parse-and-repair (survey section 5.1; graph.scr in section 5.2).

``llm_edges`` asks for an undirected graph as an edge list (a random task per slot: a graph with n nodes and
m edges, a tree, or a cycle); ``llm_smiles`` asks for one drug-like molecule as SMILES (few-shot examples
from ``--real``, a SMILES file, or a built-in list). Every answer is kept as a record with its raw text and
the repaired result, so an audit sees both:

* edge lists: ``response`` (the raw text: the default graph field, so graph.scr parses what the model wrote)
  and ``repaired`` (an edge list ``n N`` + ``u v`` lines: ``--graph-field repaired``);
* SMILES: ``response`` (the raw text), ``smiles`` (the candidate taken from it, unrepaired: the default
  SMILES field) and ``repaired_smiles`` (RDKit canonical SMILES after repair, or null).

``status`` is ok (parsed as written), repaired (``repairs`` lists what was fixed) or invalid (``invalid``
says why). Invalid answers stay records (the audit's denominator is every generation) unless
``drop_invalid`` turns them into rejects; endpoint failures are rejects (``llm_error``, retried on resume).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Mapping

from synthaudit.generate.text.base import Slot, slot_loop
from synthaudit.models.llm import Completion, LLMClient

PROMPT_VERSION = "1"
_FENCE = re.compile(r"```[^\n`]*\n?(.*?)(?:```|\Z)", re.S)
_MARKER = re.compile(r"^\s*(?:\d+[.)]\s+|[-*\u2022]\s+)")
#: an explicit pair anywhere in a line: (u, v) or [u, v]
_BRACKETED = re.compile(r"[(\[]\s*(-?\d+)\s*,\s*(-?\d+)\s*[)\]]")
#: a whole line that is one pair in another form: 0-1, 0 -> 1, 0--1, 0,1, 0;1, 0:1, 0 1
_LONE = re.compile(r"^[(\[{]?\s*(-?\d+)\s*(?:<->|<-->|->|-->|--|-|\u2013|\u2014|,|;|:|\s)\s*(-?\d+)\s*[)\]}]?[,;.]?$")
_STRICT = re.compile(r"^\s*(\d+)\s+(\d+)\s*$")
_SMILES_TOKEN = re.compile(r"^[A-Za-z0-9@+\-\[\]()=#$%/\\.:*]+$")
#: a few well-known molecules shown when no --real SMILES file is given
BUILTIN_SMILES = ("CC(=O)Oc1ccccc1C(=O)O", "CN1C=NC2=C1C(=O)N(C(=O)N2C)C", "CC(C)Cc1ccc(cc1)C(C)C(=O)O",
                  "CC(=O)Nc1ccc(O)cc1", "OC(=O)c1ccccc1O", "c1ccc2c(c1)[nH]c1ccccc12", "CCN(CC)CCOC(=O)c1ccc(N)cc1",
                  "COc1ccc2nc(S(=O)Cc3ncc(C)c(OC)c3C)[nH]c2c1")
SMILES_HINTS = ("", "containing a benzene ring", "containing a nitrogen atom", "with a carboxylic acid group",
                "with between 10 and 25 heavy atoms", "containing a five-membered ring", "with an amide bond")


# -- edge lists ------------------------------------------------------------------------------------
@dataclass
class EdgeRepair:
    """The outcome of :func:`repair_edge_list`: ``edges`` (sorted, deduplicated), ``text`` (``n N`` plus one
    ``u v`` line per edge, or None), what was repaired, and why it is invalid (None when valid)."""

    edges: list[tuple[int, int]] = field(default_factory=list)
    n_nodes: int = 0
    text: str | None = None
    repairs: list[str] = field(default_factory=list)
    invalid: str | None = None

    @property
    def status(self) -> str:
        return "invalid" if self.invalid else ("repaired" if self.repairs else "ok")

    def graph(self) -> Any:
        import networkx as nx

        if self.invalid:
            return None
        g = nx.Graph()
        g.add_nodes_from(range(self.n_nodes))
        g.add_edges_from(self.edges)
        return g


def _body(text: str) -> tuple[str, bool]:
    """The content of the first code fence (True) or the whole text (False)."""
    m = _FENCE.search(text)
    return (m.group(1), True) if m else (text, False)


def repair_edge_list(text: str, n_nodes: int | None = None, *, self_loops: bool = False) -> EdgeRepair:
    """Parse an LLM edge list and fix the obvious: prose and fences stripped; a line that is one pair in another
    form (``0-1``, ``0,1``, ``0 -> 1``, after a list marker) read; explicit ``(u, v)`` / ``[u, v]`` pairs read
    anywhere (``edges = [(0, 1), (1, 2)]``); any other line is prose and dropped; duplicate (and reversed) edges
    dropped, self-loops dropped unless allowed, nodes outside 0..n_nodes-1 dropped when ``n_nodes`` is
    given. Nodes are 0..max(n_nodes, largest node + 1) - 1. Invalid when no edge is left."""
    out = EdgeRepair()
    if not text or not text.strip():
        out.invalid = "empty answer"
        return out
    body, fenced = _body(text)
    lines = [ln.split("#", 1)[0].strip() for ln in body.splitlines()]
    lines = [ln for ln in lines if ln]
    header = re.compile(r"(?:n|nodes?)\s*[:=]?\s*\d+", re.I)
    strict = bool(lines) and all(_STRICT.match(ln) or header.fullmatch(ln) for ln in lines)
    stripped = text.strip()
    if fenced and not (stripped.startswith("```") and stripped.endswith("```")):
        out.repairs.append("text around the code fence removed")
    pairs: list[tuple[int, int]] = []
    prose = forms = 0
    for ln in lines:
        if header.fullmatch(ln):
            continue
        bare = _MARKER.sub("", ln).strip()
        lone = _LONE.match(bare)
        found = [(int(lone.group(1)), int(lone.group(2)))] if lone else \
            [(int(a), int(b)) for a, b in _BRACKETED.findall(bare)]
        if not found:
            prose += 1
            continue
        if not _STRICT.match(ln):
            forms += 1
        pairs.extend(found)
    if prose:
        out.repairs.append(f"{prose} line(s) without an edge removed")
    if forms and not strict:
        out.repairs.append(f"{forms} line(s) in another edge form ('0-1', '0,1', '(0, 1)' pairs in code) read")
    if not pairs:
        out.invalid = "no edge found" + (f" ({prose} line(s) of prose)" if prose else "")
        return out
    seen: set[tuple[int, int]] = set()
    dup = loops = outside = negative = 0
    for u, v in pairs:
        if u < 0 or v < 0:
            negative += 1
            continue
        if n_nodes is not None and (u >= n_nodes or v >= n_nodes):
            outside += 1
            continue
        if u == v and not self_loops:
            loops += 1
            continue
        e = (min(u, v), max(u, v))
        if e in seen:
            dup += 1
            continue
        seen.add(e)
    for count, what in ((dup, "duplicate edge(s)"), (loops, "self-loop(s)"), (negative, "edge(s) with a negative node"),
                        (outside, f"edge(s) with a node outside 0..{(n_nodes or 1) - 1}")):
        if count:
            out.repairs.append(f"{count} {what} removed")
    if not seen:
        out.invalid = "no edge left after repair (" + "; ".join(out.repairs) + ")"
        return out
    out.edges = sorted(seen)
    out.n_nodes = max(n_nodes or 0, 1 + max(max(e) for e in out.edges))
    out.text = f"n {out.n_nodes}\n" + "\n".join(f"{u} {v}" for u, v in out.edges)
    return out


# -- SMILES ----------------------------------------------------------------------------------------
@dataclass
class SmilesRepair:
    """The outcome of :func:`repair_smiles`: the candidate taken from the text, the canonical SMILES after
    repair (None when invalid), the repairs and the reason it is invalid."""

    candidate: str | None = None
    smiles: str | None = None
    repairs: list[str] = field(default_factory=list)
    invalid: str | None = None

    @property
    def status(self) -> str:
        return "invalid" if self.invalid else ("repaired" if self.repairs else "ok")


def rdkit_check(smiles: str) -> tuple[str | None, str | None]:
    """(canonical SMILES, None) or (None, why): a syntax error, or the sanitisation failure (valence,
    kekulisation, ...) RDKit reports."""
    from rdkit import Chem, RDLogger

    RDLogger.DisableLog("rdApp.*")
    mol = Chem.MolFromSmiles(smiles, sanitize=False)
    if mol is None:
        return None, "syntax error"
    try:
        Chem.SanitizeMol(mol)
    except Exception as exc:  # noqa: BLE001 - RDKit's message is the reason
        msg = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return None, ("valence: " if "valence" in msg.lower() else "sanitisation: ") + msg
    if mol.GetNumAtoms() == 0:
        return None, "no atom"
    return Chem.MolToSmiles(mol), None


def _smiles_like(tok: str) -> bool:
    """SMILES-specific characters (branches, bonds, brackets, ring digits), or >= 3 organic-subset atoms."""
    return bool(re.search(r"[()=#\[\]@]|\d", tok)) or bool(
        len(tok) >= 3 and re.fullmatch(r"(?:Cl|Br|[BCNOPSFIbcnops])+", tok))


def smiles_candidate(text: str) -> str | None:
    """The SMILES in a model answer (first code fence, else the whole text; ``SMILES:`` labels, quotes and
    trailing punctuation removed): the first SMILES-like token RDKit accepts, else the first SMILES-like token
    (to be repaired), else None. English words do not count (``_smiles_like``)."""
    body, _ = _body(text or "")
    tokens = []
    for line in body.splitlines():
        line = re.sub(r"^\s*(?:\*\*)?\s*smiles\s*(?:string)?\s*(?:\*\*)?\s*[:=]\s*", "", line, flags=re.I)
        for tok in line.split():
            tok = tok.strip("`'\"*,;:").rstrip(".")
            if tok and _SMILES_TOKEN.match(tok) and re.search(r"[A-Za-z]", tok) and _smiles_like(tok):
                tokens.append(tok)
    valid = [t for t in tokens if rdkit_check(t)[0] is not None]
    return (valid or tokens or [None])[0]


def _ring_digits(s: str) -> list[tuple[int, str]]:
    """(position, label) of every ring-bond label outside brackets (digits and %nn)."""
    out, depth, i = [], 0, 0
    while i < len(s):
        c = s[i]
        if c == "[":
            depth += 1
        elif c == "]":
            depth = max(0, depth - 1)
        elif depth == 0 and c == "%" and s[i + 1:i + 3].isdigit():
            out.append((i, s[i:i + 3]))
            i += 3
            continue
        elif depth == 0 and c.isdigit():
            out.append((i, c))
        i += 1
    return out


def _drop_unpaired_rings(s: str) -> str:
    """Remove the last occurrence of every ring label used an odd number of times."""
    positions: dict[str, list[int]] = {}
    for pos, label in _ring_digits(s):
        positions.setdefault(label, []).append(pos)
    cut = sorted((p[-1], len(lab)) for lab, p in positions.items() if len(p) % 2)
    for pos, width in reversed(cut):
        s = s[:pos] + s[pos + width:]
    return s


def _balance_parens(s: str) -> str:
    out, depth = [], 0
    for c in s:
        if c == ")" and depth == 0:
            continue
        depth += (c == "(") - (c == ")")
        out.append(c)
    return "".join(out) + ")" * depth


def repair_smiles(text: str) -> SmilesRepair:
    """Take the SMILES out of a model answer and sanitise it with RDKit; when that fails, try in turn:
    trailing bond/branch characters removed, parentheses balanced, unpaired ring-closure digits removed
    (each repair kept only if RDKit then accepts the molecule)."""
    out = SmilesRepair(candidate=smiles_candidate(text))
    if out.candidate is None:
        out.invalid = "no SMILES found" if (text or "").strip() else "empty answer"
        return out
    if out.candidate != (text or "").strip():
        out.repairs.append("text around the SMILES removed")
    canon, why = rdkit_check(out.candidate)
    if canon is not None:
        out.smiles = canon
        return out
    s = out.candidate
    steps = (("trailing bond/branch characters removed", lambda x: x.rstrip("=#(-/\\.")),
             ("parentheses balanced", _balance_parens), ("unpaired ring-closure digits removed", _drop_unpaired_rings))
    for label, fix in steps:
        t = fix(s)
        if t == s or not t:
            continue
        s = t
        out.repairs.append(label)
        canon, _ = rdkit_check(s)
        if canon is not None:
            out.smiles = canon
            return out
    out.invalid = why
    return out


# -- the runner methods ----------------------------------------------------------------------------
def load_smiles_examples(path: str | Path | None) -> list[str]:
    """Example SMILES for few-shot prompts: a CSV with a SMILES column (MOSES layout), or one per line."""
    if path is None:
        return list(BUILTIN_SMILES)
    from synthaudit.errors import InputError

    p = Path(path)
    if not p.is_file():
        raise InputError("SMILES file not found", file=str(p), field="--real")
    import pandas as pd

    if p.suffix.lower() in (".csv", ".gz", ".tsv"):
        frame = pd.read_csv(p, sep="\t" if p.suffix.lower() == ".tsv" else ",", nrows=20000)
        col = next((c for c in frame.columns if str(c).lower() in ("smiles", "canonical_smiles")), None)
        if col is None:
            raise InputError(f"has no SMILES column; columns: {', '.join(map(str, frame.columns[:10]))}",
                             file=str(p), field="--real")
        rows = [str(s) for s in frame[col].dropna()]
    else:
        rows = [ln.strip().split()[0] for ln in p.read_text(encoding="utf-8").splitlines() if ln.strip()]
    if not rows:
        raise InputError("has no SMILES", file=str(p), field="--real")
    return rows


class LLMGraphMethod:
    """The slot loop shared by ``llm_edges`` and ``llm_smiles``: one prompt per slot, parse-and-repair."""

    name = "base"

    def __init__(self, client: LLMClient, seed: int = 0, *, max_tokens: int = 256, temperature: float = 0.7,
                 concurrency: int = 4, batch: int = 8, drop_invalid: bool = False) -> None:
        self.client, self.seed = client, int(seed)
        self.max_tokens, self.temperature = int(max_tokens), float(temperature)
        self.concurrency, self.batch, self.drop_invalid = int(concurrency), max(1, int(batch)), bool(drop_invalid)

    def task(self, slot: Slot) -> dict:
        raise NotImplementedError

    def finish(self, rec: dict, text: str) -> None:
        raise NotImplementedError

    def make(self, slots: list[Slot]) -> list[dict]:
        recs = []
        for slot in slots:
            rec = {"id": slot.id, "method": self.name, "index": slot.index, "seed": self.seed,
                   "model": getattr(self.client, "model", None), "prompt_version": PROMPT_VERSION, **self.task(slot)}
            recs.append(rec)
        reqs = [{"messages": [{"role": "user", "content": r["prompt"]}], "temperature": self.temperature,
                 "max_tokens": self.max_tokens, "seed": s.seed} for r, s in zip(recs, slots)]
        comps: list[Completion] = self.client.chat_many(reqs, concurrency=self.concurrency) if reqs else []
        for rec, comp in zip(recs, comps):
            if not comp.ok:
                rec.update(rejected=f"llm_error: {comp.error}", response=None)
                continue
            rec["response"] = comp.text
            if not comp.text.strip():
                rec.update(status="invalid", invalid="empty answer")
            else:
                self.finish(rec, comp.text)
            if rec["status"] == "invalid" and self.drop_invalid:
                rec["rejected"] = f"invalid: {rec['invalid']}"
        return recs

    def run(self, n: int, done: Mapping[str, dict] | None = None, max_attempts: int | None = None) -> Iterator[dict]:
        done = done or {}

        def batch(slots: list[Slot]) -> list[dict]:
            todo = [s for s in slots if s.id not in done]
            made = dict(zip((s.id for s in todo), self.make(todo))) if todo else {}
            return [done.get(s.id) or made[s.id] for s in slots]

        yield from slot_loop(self.name, self.seed, n, self.batch, batch, done, max_attempts)


class LLMEdges(LLMGraphMethod):
    """Edge lists of small undirected graphs (no self-loops) with ``min_nodes``..``max_nodes`` nodes."""

    name = "llm_edges"

    def __init__(self, client: LLMClient, seed: int = 0, *, min_nodes: int = 5, max_nodes: int = 10,
                 **kw: Any) -> None:
        super().__init__(client, seed, **kw)
        if not 2 <= int(min_nodes) <= int(max_nodes):
            from synthaudit.errors import UsageError

            raise UsageError(f"expected 2 <= min_nodes <= max_nodes, got {min_nodes} and {max_nodes}",
                             field="--min-nodes")
        self.min_nodes, self.max_nodes = int(min_nodes), int(max_nodes)

    def task(self, slot: Slot) -> dict:
        rng = slot.rng
        n = rng.randint(self.min_nodes, self.max_nodes)
        kind = rng.choice(("graph", "tree", "cycle"))
        if kind == "tree":
            m, what = n - 1, f"a tree (connected, no cycle) on {n} nodes, so exactly {n - 1} edges"
        elif kind == "cycle":
            m, what = n, f"a single cycle through all {n} nodes, so exactly {n} edges"
        else:
            m = rng.randint(n - 1, min(2 * n, n * (n - 1) // 2))
            what = f"a connected graph with {n} nodes and {m} edges"
        prompt = (f"Write {what}. Nodes are numbered 0 to {n - 1}. No self-loops, no repeated edges. "
                  "Answer with the edge list only, one edge per line written as two node numbers separated by "
                  "a space (for example '0 1'), inside one code block.")
        return {"task": {"kind": kind, "n_nodes": n, "n_edges": m, "directed": False, "self_loops": False},
                "prompt": prompt}

    def finish(self, rec: dict, text: str) -> None:
        r = repair_edge_list(text, rec["task"]["n_nodes"], self_loops=False)
        rec.update(status=r.status, repaired=r.text, repairs=r.repairs, invalid=r.invalid,
                   n_edges_written=len(r.edges))


class LLMSmiles(LLMGraphMethod):
    """One drug-like molecule per slot as SMILES, with three few-shot examples from ``examples``."""

    name = "llm_smiles"

    def __init__(self, client: LLMClient, seed: int = 0, *, real: Any = None, shots: int = 3, **kw: Any) -> None:
        super().__init__(client, seed, **kw)
        self.pool = load_smiles_examples(real)
        self.shots = max(0, int(shots))

    def task(self, slot: Slot) -> dict:
        shown = slot.rng.sample(self.pool, min(self.shots, len(self.pool)))
        hint = slot.rng.choice(SMILES_HINTS)
        lines = "\n".join(shown)
        prompt = (f"Here are SMILES strings of drug-like molecules:\n{lines}\n\nWrite the SMILES string of one new "
                  f"drug-like molecule{' ' + hint if hint else ''}. Answer with the SMILES string only.")
        return {"examples": shown, "hint": hint, "prompt": prompt}

    def finish(self, rec: dict, text: str) -> None:
        r = repair_smiles(text)
        rec.update(status=r.status, smiles=r.candidate, repaired_smiles=r.smiles, repairs=r.repairs,
                   invalid=r.invalid)


def llm_edges(client: LLMClient, n: int, seed: int = 0, *, done: Mapping[str, dict] | None = None,
              max_attempts: int | None = None, **opts: Any) -> Iterator[dict]:
    """LLM edge lists with parse-and-repair (see :class:`LLMEdges`)."""
    keep = {k: v for k, v in opts.items() if k in ("min_nodes", "max_nodes", "max_tokens", "temperature",
                                                   "concurrency", "batch", "drop_invalid")}
    return LLMEdges(client, seed, **keep).run(n, done, max_attempts)


def llm_smiles(client: LLMClient, n: int, seed: int = 0, *, done: Mapping[str, dict] | None = None,
               max_attempts: int | None = None, **opts: Any) -> Iterator[dict]:
    """LLM SMILES with RDKit sanitisation and repair (see :class:`LLMSmiles`)."""
    keep = {k: v for k, v in opts.items() if k in ("real", "shots", "max_tokens", "temperature", "concurrency",
                                                   "batch", "drop_invalid")}
    return LLMSmiles(client, seed, **keep).run(n, done, max_attempts)
