"""Graph and molecule records (survey section 5.2.1): one record per graph.

Inputs, all turned into a table with one row per graph (so graphs stream and shard like any record):

* a table (JSON Lines, JSON, CSV, Parquet, DataFrame, HF dataset) whose graph field holds an edge list (text,
  one ``u v`` pair per line, optionally inside a code fence, or a list of pairs), networkx node-link JSON,
  an adjacency mapping ``{node: [neighbours]}`` or an adjacency matrix, GraphML or GML text, or ``atlas:N``
  (graph N of networkx's graph atlas);
* a table of SMILES (a ``smiles`` field): molecules, parsed with RDKit into graphs of atoms and bonds;
* an edge table with a graph-id column (``graph_id``, ``source``, ``target``): one graph per id;
* a folder of ``.graphml``, ``.gml``, ``.edgelist``/``.txt`` or node-link ``.json`` files, one graph each;
* a list of networkx graphs (from Python).

Node and edge attributes are kept. A record whose graph cannot be read is not an error: it has no graph and
its parse error (graph.scr counts it; the other metrics leave it out and say how many). Malformed *files*
(unreadable, no graph field) raise one :class:`InputError` naming the file and field.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree
from typing import Any, Iterator

import pandas as pd

from synthaudit.data.files import is_missing
from synthaudit.data.inputs import AuditInputs
from synthaudit.data.records import batch_items, iter_parsed, pick_field
from synthaudit.data.tabular import Table
from synthaudit.data.text import load_corpus
from synthaudit.errors import InputError

#: fields that hold a graph, tried in order
GRAPH_FIELDS = ("graph", "edges", "edge_list", "edgelist", "adjacency", "output", "response", "text")
SMILES_FIELDS = ("smiles", "SMILES", "canonical_smiles")
ID_COLUMNS = ("graph_id", "graph", "gid")
EDGE_COLUMNS = (("source", "target"), ("src", "dst"), ("u", "v"), ("node1", "node2"))
FILE_SUFFIXES = (".graphml", ".gml", ".edgelist", ".edges", ".txt", ".json")
_FENCE = re.compile(r"^\s*```[\w-]*\s*\n(.*?)\n\s*```\s*$", re.S)
_EDGE_LINE = re.compile(r"^\s*[(\[]?\s*([^\s,()\[\]]+)\s*[,\s]\s*([^\s,()\[\]]+)\s*[)\]]?\s*(?:[,;]|\{.*\})?\s*$")


class GraphParseError(ValueError):
    """A record's graph could not be read; the message says why (graph.scr reports it)."""


@dataclass
class GraphItem:
    """One parsed record (``record`` is 0-based). ``graph`` is a networkx graph, or None with ``error`` set."""

    record: int
    graph: Any = None
    error: str | None = None
    raw: str | None = None  # the raw text of an LLM-written graph (graph.scr's strict parse reads it)
    smiles: str | None = None  # molecules: the SMILES as given
    canonical: str | None = None  # RDKit canonical SMILES (None when invalid)
    examples: list[Any] | None = None  # graphs shown in the prompt (graph.novelty)
    target: Any = None  # this record's reference graph (graph.gad, graph.degree_l2)
    label: Any = None  # graph-level label (utility)

    @property
    def ok(self) -> bool:
        return self.graph is not None


def _nx():
    import networkx as nx

    return nx



def _node(token: str) -> Any:
    return int(token) if re.fullmatch(r"-?\d+", token) else token


def _int_labels(g: Any) -> Any:
    """Node ids that are written integers (GraphML and GML store ids as text) become integers."""
    mapping = {n: _node(n) for n in g.nodes() if isinstance(n, str) and re.fullmatch(r"-?\d+", n)}
    return _nx().relabel_nodes(g, mapping) if mapping else g


def parse_edge_text(text: str, directed: bool = False) -> Any:
    """An edge list written as text: one ``u v`` (or ``u,v``, ``(u, v)``) per line, optionally inside one code
    fence; a line ``n N`` / ``nodes: N`` declares nodes 0..N-1 (isolated ones included). Raises
    GraphParseError naming the first line that is not an edge."""
    nx = _nx()
    body = text.strip()
    fenced = _FENCE.match(body)
    if fenced:
        body = fenced.group(1)
    g = nx.DiGraph() if directed else nx.Graph()
    for k, line in enumerate(body.splitlines(), start=1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        decl = re.fullmatch(r"(?:n|nodes?)\s*[:=]?\s*(\d+)", line, re.I)
        if decl:
            g.add_nodes_from(range(int(decl.group(1))))
            continue
        m = _EDGE_LINE.match(line)
        if not m:
            raise GraphParseError(f"line {k} is not an edge ('u v'): {line[:60]!r}")
        g.add_edge(_node(m.group(1)), _node(m.group(2)))
    if g.number_of_nodes() == 0:
        raise GraphParseError("no edge and no node declared")
    return g


def parse_graph(value: Any, directed: bool = False) -> Any:
    """A networkx graph from one record's value (see the module docstring for the forms); raises
    GraphParseError."""
    nx = _nx()
    if isinstance(value, (nx.Graph,)):
        return value
    if hasattr(value, "tolist") and not isinstance(value, str):
        value = value.tolist()
    if isinstance(value, str):
        s = value.strip()
        if not s:
            raise GraphParseError("empty text")
        low = s[:200].lower()
        if low.startswith("atlas:"):
            try:
                return nx.graph_atlas(int(s.split(":", 1)[1]))
            except (ValueError, IndexError) as exc:
                raise GraphParseError(f"{s[:30]!r} is not a graph-atlas index (0-1252): {exc}") from None
        if low.startswith("<?xml") or low.startswith("<graphml"):
            try:
                g = nx.parse_graphml(s)
            except Exception as exc:  # noqa: BLE001 - the parser's own message is the reason
                raise GraphParseError(f"GraphML: {exc}") from None
            g = _int_labels(g)
            return g if directed or not g.is_directed() else g.to_undirected()
        if re.match(r"^\s*(di)?graph\s*\[", s[:50], re.I) and "]" in s:
            try:
                return _int_labels(nx.parse_gml(s, label=None))
            except Exception as exc:  # noqa: BLE001
                raise GraphParseError(f"GML: {exc}") from None
        if s[:1] in "[{":
            try:
                return parse_graph(json.loads(s), directed)
            except json.JSONDecodeError:
                pass
        return parse_edge_text(s, directed)
    if isinstance(value, dict):
        if "nodes" in value and ("links" in value or "edges" in value):
            try:
                edges = "links" if "links" in value else "edges"
                return nx.node_link_graph(value, directed=bool(value.get("directed", directed)),
                                          multigraph=False, edges=edges)
            except Exception as exc:  # noqa: BLE001
                raise GraphParseError(f"node-link JSON: {exc}") from None
        g = nx.DiGraph() if directed else nx.Graph()
        for u, nbrs in value.items():
            g.add_node(_node(str(u)))
            if not isinstance(nbrs, (list, tuple, dict)):
                raise GraphParseError(f"adjacency of node {u!r} is a {type(nbrs).__name__}, expected a list")
            for v in nbrs:
                g.add_edge(_node(str(u)), _node(str(v)) if isinstance(v, str) else v)
        return g
    if isinstance(value, (list, tuple)):
        if not value:
            raise GraphParseError("empty list")
        rows = [list(r) if isinstance(r, (list, tuple)) else r for r in value]
        if all(isinstance(r, list) for r in rows) and len(rows) == len(rows[0]) and \
                all(len(r) == len(rows) and all(x in (0, 1, 0.0, 1.0, True, False) for x in r) for r in rows) \
                and len(rows) > 2:
            import numpy as np

            arr = np.asarray(rows, dtype=float)
            return nx.from_numpy_array(arr, create_using=nx.DiGraph if directed else nx.Graph)
        g = nx.DiGraph() if directed else nx.Graph()
        for k, r in enumerate(rows, start=1):
            if not isinstance(r, list) or len(r) < 2:
                raise GraphParseError(f"edge {k} is {r!r}, expected a pair [u, v]")
            g.add_edge(r[0], r[1], **(r[2] if len(r) > 2 and isinstance(r[2], dict) else {}))
        return g
    raise GraphParseError(f"a {type(value).__name__} is not a graph")


def molecule_graph(smiles: str) -> tuple[Any, str | None, str | None]:
    """(graph of atoms and bonds, RDKit canonical SMILES, error): atoms carry ``element`` and ``charge``,
    bonds ``order``. An invalid SMILES gives (None, None, RDKit's reason)."""
    from rdkit import Chem, RDLogger

    RDLogger.DisableLog("rdApp.*")
    if not smiles:
        return None, None, "no SMILES (empty field)"
    mol = Chem.MolFromSmiles(smiles)
    if mol is None:  # say why: parse again without sanitisation to tell syntax from chemistry
        raw = Chem.MolFromSmiles(smiles, sanitize=False)
        if raw is None:
            return None, None, "SMILES syntax: " + smiles_syntax_problem(smiles)
        try:
            Chem.SanitizeMol(raw)
            why = "rejected by RDKit"
        except Exception as exc:  # noqa: BLE001 - one of RDKit's sanitisation errors; its text is the reason
            why = str(exc).strip() or type(exc).__name__
        return None, None, f"RDKit sanitisation: {why}"
    nx = _nx()
    g = nx.Graph()
    for a in mol.GetAtoms():
        g.add_node(a.GetIdx(), element=a.GetSymbol(), charge=a.GetFormalCharge())
    for b in mol.GetBonds():
        g.add_edge(b.GetBeginAtomIdx(), b.GetEndAtomIdx(), order=b.GetBondTypeAsDouble())
    return g, Chem.MolToSmiles(mol), None


def smiles_syntax_problem(smiles: str) -> str:
    """The first syntax problem a reader can fix: unbalanced brackets or parentheses, an unclosed ring bond."""
    for open_, close in (("(", ")"), ("[", "]")):
        if smiles.count(open_) != smiles.count(close):
            return f"unbalanced {open_}{close} ({smiles.count(open_)} opened, {smiles.count(close)} closed)"
    outside = re.sub(r"\[[^\]]*\]", "", smiles)  # digits inside [...] are isotopes, charges and H counts
    rings = re.findall(r"%\d\d|\d", outside)
    unclosed = sorted({r for r in rings if rings.count(r) % 2})
    if unclosed:
        return f"ring bond {', '.join(unclosed)} opened but never closed"
    return "RDKit cannot read it (an unknown atom or a misplaced bond symbol)"


# -- records -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class GraphSpec:
    """Where a table's graphs are: the graph or SMILES column and the optional per-record columns."""

    graph: str | None
    smiles: str | None
    directed: bool
    examples: str | None = None
    target: str | None = None
    label: str | None = None

    def describe(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v not in (None, False)} | {"directed": self.directed}


def _is_graph_list(value: Any) -> bool:
    """Whether a list holds several graphs (texts, mappings, or lists of pairs) rather than one graph's edges."""
    if not isinstance(value, list) or not value:
        return False
    first = value[0]
    if isinstance(first, (str, dict)):
        return True
    return isinstance(first, list) and bool(first) and isinstance(first[0], (list, tuple))


def parse_row(row: dict, record: int, spec: GraphSpec) -> GraphItem:
    item = GraphItem(record=record)
    if spec.smiles:
        value = row.get(spec.smiles)
        item.smiles = None if is_missing(value) else str(value)
        item.graph, item.canonical, item.error = molecule_graph(item.smiles or "")
    else:
        value = row.get(spec.graph)
        if isinstance(value, str):
            item.raw = value
        try:
            if is_missing(value):
                raise GraphParseError("no graph (empty field)")
            item.graph = parse_graph(value, spec.directed)
        except GraphParseError as exc:
            item.error = str(exc)
    if spec.examples and not is_missing(row.get(spec.examples)):
        ex = row[spec.examples]
        if isinstance(ex, str) and ex.strip()[:1] == "[":
            try:
                ex = json.loads(ex)
            except json.JSONDecodeError:
                pass
        ex = ex.tolist() if hasattr(ex, "tolist") else ex
        items = ex if _is_graph_list(ex) else [ex]
        parsed = []
        for x in items:
            try:
                parsed.append(parse_graph(x, spec.directed))
            except GraphParseError:
                continue
        item.examples = parsed
    if spec.target and not is_missing(row.get(spec.target)):
        try:
            item.target = parse_graph(row[spec.target], spec.directed)
        except GraphParseError:
            item.target = None
    if spec.label and not is_missing(row.get(spec.label)):
        item.label = row[spec.label]
    return item


def parse_batch(batch: pd.DataFrame, spec: GraphSpec, offset: int = 0) -> list[GraphItem]:
    cols = [c for c in (spec.graph, spec.smiles, spec.examples, spec.target, spec.label) if c and c in batch.columns]
    rows = batch[cols].to_dict("records") if cols else [{} for _ in range(len(batch))]
    return [parse_row(r, offset + i, spec) for i, r in enumerate(rows)]


def spec_of(inputs: AuditInputs, role: str = "synthetic") -> GraphSpec:
    return inputs.extra["graph"][role]


def graphs(inputs: AuditInputs, batch: pd.DataFrame, role: str = "synthetic") -> list[GraphItem]:
    """The parsed graphs of a batch, memoised per batch object (every graph metric reads the same batch).
    Record numbers count from the batch's first row."""
    return batch_items(inputs, "graph.items", role, batch, lambda: parse_batch(batch, spec_of(inputs, role)))


def iter_graphs(inputs: AuditInputs, role: str = "synthetic",
                batch_size: int | None = None) -> Iterator[list[GraphItem]]:
    """Every parsed graph of a role, in batches, record numbers counted over the whole table."""
    spec = spec_of(inputs, role)
    return iter_parsed(inputs, role, batch_size, lambda batch, offset: parse_batch(batch, spec, offset))


def all_graphs(inputs: AuditInputs, role: str = "synthetic") -> list[GraphItem]:
    return [g for batch in iter_graphs(inputs, role) for g in batch]


# -- loading -------------------------------------------------------------------------------------------
def _graph_files(path: Path) -> list[Path]:
    return sorted(p for p in path.iterdir() if p.suffix.lower() in FILE_SUFFIXES and p.is_file())


def _read_graph_file(path: Path, directed: bool) -> str:
    """One graph file as node-link JSON text (a record of the graph table)."""
    nx = _nx()
    suffix = path.suffix.lower()
    try:
        if suffix == ".graphml":
            g = _int_labels(nx.read_graphml(path))
        elif suffix == ".gml":
            g = _int_labels(nx.read_gml(path, label=None))
        elif suffix == ".json":
            g = parse_graph(json.loads(path.read_text(encoding="utf-8")), directed)
        else:
            g = parse_edge_text(path.read_text(encoding="utf-8"), directed)
    except (GraphParseError, ValueError, OSError, nx.NetworkXError, ElementTree.ParseError) as exc:
        raise InputError(f"cannot read the graph: {exc}", file=str(path)) from None
    if not directed and g.is_directed():
        g = g.to_undirected()
    return to_text(g)


def to_text(g: Any) -> str:
    """A graph as node-link JSON text (how graphs from files and Python objects travel in a table)."""
    nx = _nx()
    return json.dumps(nx.node_link_data(g, edges="links"), default=str)


def _edge_table(frame: pd.DataFrame, label: str, id_col: str, src: str, dst: str, directed: bool) -> pd.DataFrame:
    """An edge table (graph id, source, target, ...) as one node-link record per graph, in first-seen order."""
    nx = _nx()
    out = []
    for gid, part in frame.groupby(id_col, sort=False):
        g = nx.DiGraph() if directed else nx.Graph()
        attrs = [c for c in part.columns if c not in (id_col, src, dst)]
        for row in part.to_dict("records"):
            if is_missing(row[src]) or is_missing(row[dst]):
                continue
            g.add_edge(row[src], row[dst], **{a: row[a] for a in attrs if not is_missing(row[a])})
        out.append({"graph_id": gid, "graph": to_text(g)})
    if not out:
        raise InputError("has no edges", file=label)
    return pd.DataFrame(out)


def as_table(obj: Any, label: str, *, directed: bool = False, fmt: str | None = None, encoding: str = "utf-8",
             stream: bool = False) -> Table:
    """Any supported input as a :class:`Table` of one row per graph."""
    nx = _nx()
    if isinstance(obj, nx.Graph):
        obj = [obj]
    if isinstance(obj, (list, tuple)) and obj and all(isinstance(g, nx.Graph) for g in obj):
        return Table(label, frame=pd.DataFrame({"graph": [to_text(g) for g in obj]}))
    if isinstance(obj, (list, tuple)) and obj and all(isinstance(r, dict) for r in obj):
        obj = pd.DataFrame.from_records(list(obj))
    if isinstance(obj, (str, Path)) and Path(obj).is_dir():
        files = _graph_files(Path(obj))
        if not files:
            raise InputError(f"holds no graph file ({', '.join(FILE_SUFFIXES)})", file=str(obj))
        return Table(str(obj), frame=pd.DataFrame({"graph": [_read_graph_file(f, directed) for f in files],
                                                   "file": [f.name for f in files]}))
    if isinstance(obj, (str, Path)) and Path(obj).suffix.lower() in (".graphml", ".gml"):
        return Table(str(obj), frame=pd.DataFrame({"graph": [_read_graph_file(Path(obj), directed)]}))
    table = load_corpus(obj, label, fmt=fmt, encoding=encoding, stream=stream)
    head = table.head()
    cols = [str(c) for c in head.columns]
    id_col = next((c for c in ID_COLUMNS if c in cols), None)
    pair = next(((a, b) for a, b in EDGE_COLUMNS if a in cols and b in cols), None)
    if id_col and pair and id_col != "graph" or (id_col == "graph" and pair):
        frame = table.frame() if table.materialized else pd.concat(list(table.batches(None)), ignore_index=True)
        return Table(table.label, frame=_edge_table(frame, table.label, id_col, *pair, directed), path=table.path)
    return table


def make_spec(table: Table, *, graph_field: str | None, smiles_field: str | None, directed: bool,
              examples_field: str | None = None, target_field: str | None = None,
              label_field: str | None = None) -> GraphSpec:
    cols = [str(c) for c in table.head().columns]
    smiles = pick_field(cols, smiles_field, table.label, "--smiles-field", SMILES_FIELDS if graph_field is None else ())
    graph = None if smiles else pick_field(cols, graph_field, table.label, "--graph-field", GRAPH_FIELDS)
    if graph is None and smiles is None:
        raise InputError(f"cannot tell which field holds the graphs (tried {', '.join(GRAPH_FIELDS)} and "
                         f"{', '.join(SMILES_FIELDS)}); fields: {', '.join(cols[:12])}", file=table.label,
                         field="--graph-field", hint="pass --graph-field NAME or --smiles-field NAME")
    return GraphSpec(graph=graph, smiles=smiles, directed=directed,
                     examples=pick_field(cols, examples_field, table.label, "--examples-field"),
                     target=pick_field(cols, target_field, table.label, "--target-field"),
                     label=pick_field(cols, label_field, table.label, "--label-field"))


def prepare_graph(*, synthetic: Any, real: Any = None, holdout: Any = None, train: Any = None,
                  graph_field: str | None = None,
                  smiles_field: str | None = None, directed: bool = False, examples_field: str | None = None,
                  target_field: str | None = None, label_field: str | None = None, node_label: str | None = None,
                  rules: Any = None, dp: Any = None, seed: int = 0, params: dict | None = None,
                  stream: bool = False, fmt: str | None = None, encoding: str = "utf-8") -> AuditInputs:
    """Load graphs for an audit (modality "graph"): ``synthetic`` (generated graphs or molecules), ``real``
    (reference graphs or molecules), ``holdout`` (real graphs for the downstream task). ``rules``: a rule spec
    (YAML file or mapping, graph.valid_rule); ``dp``: the generator's privacy parameters (graph.dp_guarantee)."""
    if synthetic is None:
        raise InputError("no synthetic data given", field="--synthetic")
    tables = {"synthetic": as_table(synthetic, "synthetic", directed=directed, fmt=fmt, encoding=encoding,
                                    stream=stream)}
    if real is not None:
        tables["real_reference"] = as_table(real, "real", directed=directed, fmt=fmt, encoding=encoding, stream=stream)
    if holdout is not None:
        tables["real_holdout"] = as_table(holdout, "holdout", directed=directed, fmt=fmt, encoding=encoding)
    if train is not None:
        tables["train"] = as_table(train, "train", directed=directed, fmt=fmt, encoding=encoding)
    specs: dict[str, GraphSpec] = {}
    counts: dict[str, dict[str, int]] = {}
    for role, table in tables.items():
        head = table.frame() if table.materialized else table.head()
        if table.materialized and len(head) == 0:
            raise InputError("has no records", file=table.label)
        spec = make_spec(table, graph_field=graph_field, smiles_field=smiles_field, directed=directed,
                         **({"examples_field": examples_field, "target_field": target_field,
                             "label_field": label_field} if role == "synthetic" else {}))
        specs[role] = spec
        items = parse_batch(head, spec)
        counts[role] = {"records": len(items), "parsed": sum(i.ok for i in items),
                        "molecules": sum(i.smiles is not None for i in items)}
    syn = specs["synthetic"]
    extra: dict[str, Any] = {"graph": specs, "graph_counts": counts, "field": syn.graph or syn.smiles,
                             "molecules": syn.smiles is not None, "node_label": node_label}
    if rules is not None:
        extra["rules"] = rules  # the parsed spec is checked by graph.valid_rule (one error naming the rule)
    if dp is not None:
        extra["dp"] = dp
    if syn.examples:
        extra["prompts"] = syn.examples
    if syn.target:
        extra["references"] = syn.target
    extra["schema"] = ("SMILES, parsed by RDKit" if syn.smiles else
                       "edge list: one 'u v' pair per line, optionally in one code fence (or a whole JSON, GraphML "
                       "or GML document)")
    if label_field or node_label:
        extra["labels"] = label_field or node_label
    warnings = []
    c = counts["synthetic"]
    if c["records"] and c["parsed"] < c["records"]:
        warnings.append(f"{c['records'] - c['parsed']} of the first {c['records']} synthetic record(s) do not parse "
                        "as a graph: graph.scr counts them, the other metrics leave them out")
    # the labels role (node classes for the downstream task, else a graph-level label) is AuditInputs.target
    return AuditInputs(modality="graph", tables=tables, seed=seed, params=dict(params or {}), extra=extra,
                       warnings=warnings, target=node_label or label_field)
