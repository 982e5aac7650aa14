"""Audit from statistics (issue #12): the statistics of a real table that the mergeable, reference-based tabular
metrics need, written once by ``synthaudit profile tabular`` (:func:`profile`) and read by
``synthaudit audit tabular --real-stats`` (:func:`prepare_from_statistics`) instead of the real rows.

The file, ``<folder>/statistics.json``, is JSON (never pickle): format ``synthaudit.statistics``, version
:data:`FORMAT_VERSION`, the modality, and a sha256 ``fingerprint`` of the rest of its content (checked on reading,
so an edited or truncated file is refused). It holds the REAL side of the metrics' mergeable states:

* the table spec (column names, types, datetime formats) and the number of rows;
* per categorical/boolean column, its category counts (``tabular.tvd``, ``tabular.chi2``, ``tabular.cov_gap``);
* per numerical/datetime column, the inner bin edges on the real side and the binned counts;
* per contingency pair (categorical x categorical, categorical x binned numerical), the joint counts
  (``tabular.contingency_score``, ``tabular.cond_shift``);
* per numerical pair, the Pearson correlation, the pairwise-complete count and whether a column is constant
  (``tabular.pearson_score``): the standardised pairwise moments, not means and sums of squares.

Privacy (docs/tabular.md, "Audit from statistics"): nothing in the file singles out one row. Every count table
publishes only cells of at least ``k`` rows (default 5); the rows of the other cells are reported as one
suppressed total per table. A joint table also hides the cells that its published margins would reveal
(secondary suppression: no row or column of a table is left with a suppressed remainder between 1 and k-1). No raw
value is stored: categories appear only with k or more rows; a numerical column's bin range is its real minimum
(maximum) only when at least k rows take that value, else the k-th smallest (largest) value moved outward to a
grid (step 1/100 to 1/1000 of the spread; "protected range"); no quantile, minimum or maximum of one row is stored.
"""
from __future__ import annotations

import copy
import hashlib
import json
import math
import os
from collections import Counter, defaultdict
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from itertools import combinations
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable

import numpy as np

from synthaudit.errors import InputError, SpecError, UsageError

if TYPE_CHECKING:
    from synthaudit.data.inputs import AuditInputs
    from synthaudit.data.tabular import TableSpec
    from synthaudit.modalities.base import LoadOptions
    from synthaudit.modalities.tabular import TabularInputs

FORMAT = "synthaudit.statistics"
FORMAT_VERSION = 1
FILE_NAME = "statistics.json"
DEFAULT_K = 5
DEFAULT_BINS = 10
#: the gap reason of a metric that needs the real rows
GAP_REASON = "needs the real rows (audit from statistics)"
#: the rows a statistics file stands for: the real table (reference) and, as with --real, the training rows
STANDS_FOR = ("real_reference", "train")
REAL = "real_reference"
#: supported from statistics (docs/tabular.md); every other tabular metric that needs the real rows is a gap
SUPPORTED = ("tabular.tvd", "tabular.chi2", "tabular.contingency_score", "tabular.pearson_score", "tabular.cov_gap",
             "tabular.cond_shift")
EXPECTED = f"a folder written by `synthaudit profile tabular` (holding {FILE_NAME}, format {FORMAT} version " \
           f"{FORMAT_VERSION})"


# ------------------------------------------------------------------------------------------------ writing

def profile(real: Any, out: str | os.PathLike, *, k: int = DEFAULT_K, num_bins: int = DEFAULT_BINS,
            schema: Any = None, na_values: Any = None, delimiter: str | None = None, fmt: str | None = None,
            encoding: str = "utf-8", stream: bool = False, batch_size: int = 50_000,
            seed: int = 0) -> "TabularStatistics":
    """Write ``<out>/statistics.json``: the statistics of the real table ``real`` (a path, DataFrame, Arrow table,
    HF dataset or iterable of DataFrames) that ``audit tabular --real-stats <out>`` reads instead of its rows.

    k: smallest count published (cells below it are suppressed); num_bins: equal-width bins of numerical
    columns (the contingency score's ``num_bins``); schema: a table spec (YAML path or mapping) setting column
    types or ignoring columns; na_values: text markers of a missing value; seed: the seed that picks the columns
    of a table too wide for every pair (as ``audit --seed``). Returns the written statistics."""
    if isinstance(k, bool) or not isinstance(k, int) or k < 2:
        raise UsageError(f"k must be an integer of at least 2 (the smallest count published), got {k!r}",
                         field="--k")
    if isinstance(num_bins, bool) or not isinstance(num_bins, int) or num_bins < 1:
        raise UsageError(f"num_bins must be a positive integer, got {num_bins!r}", field="--num-bins")
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise UsageError(f"exists and is not a directory; --out expects a folder for {FILE_NAME}", file=str(out),
                         field="--out")
    inputs = _real_inputs(real, schema=schema, na_values=na_values, delimiter=delimiter, fmt=fmt,
                          encoding=encoding, stream=stream, seed=seed)
    doc = compute_statistics(inputs, k=k, num_bins=num_bins, batch_size=batch_size)
    out.mkdir(parents=True, exist_ok=True)
    path = out / FILE_NAME
    path.write_text(_dump(doc), encoding="utf-8")
    return TabularStatistics(doc, path)


def _real_inputs(real: Any, *, schema: Any, na_values: Any, delimiter: str | None, fmt: str | None, encoding: str,
                 stream: bool, seed: int) -> "AuditInputs":
    """The real table with its spec, inferred as an audit with ``--real`` infers it (its first rows)."""
    from synthaudit.data.inputs import AuditInputs
    from synthaudit.data.tabular import (Table, apply_spec_overrides, check_not_empty, infer_spec, mask_na_values,
                                          read_spec_file)

    if real is None:
        raise InputError("no real data given", field="--real")
    table = Table.from_any(real, "real", fmt=fmt, delimiter=delimiter, encoding=encoding, stream=stream)
    head = check_not_empty(table.head(), table.label)
    if isinstance(na_values, str):
        na_values = [v for v in na_values.split(",") if v.strip()]
    markers = frozenset(str(v).strip() for v in (na_values or ()))
    columns = list(head.columns)
    if markers:
        head = head.assign(**{c: mask_na_values(head[c], markers) for c in columns})
    spec_doc = read_spec_file(schema) if isinstance(schema, (str, bytes)) or hasattr(schema, "__fspath__") else schema
    spec = infer_spec(head, columns)
    spec.na_values = markers
    spec = apply_spec_overrides(spec, spec_doc, columns)
    return AuditInputs(modality="tabular", tables={REAL: table}, seed=seed, table_spec=spec)


class _Extremes:
    """Streaming minimum and maximum of one numerical column with how many rows take them, and its k smallest
    and k largest values (for a protected range); nothing of it is written."""

    def __init__(self, k: int) -> None:
        self.k, self.n = k, 0
        self.lo, self.lo_n, self.hi, self.hi_n = math.inf, 0, -math.inf, 0
        self.low, self.high = np.array([]), np.array([])

    def update(self, x: np.ndarray) -> None:
        v = x[~np.isnan(x)]
        if not v.size:
            return
        self.n += int(v.size)
        lo, hi = float(v.min()), float(v.max())
        if lo < self.lo:
            self.lo, self.lo_n = lo, int((v == lo).sum())
        elif lo == self.lo:
            self.lo_n += int((v == lo).sum())
        if hi > self.hi:
            self.hi, self.hi_n = hi, int((v == hi).sum())
        elif hi == self.hi:
            self.hi_n += int((v == hi).sum())
        m = min(self.k, int(v.size))
        self.low = np.sort(np.concatenate([self.low, np.partition(v, m - 1)[:m]]))[:self.k]
        self.high = np.sort(np.concatenate([self.high, np.partition(v, v.size - m)[v.size - m:]]))[-self.k:]

    def bounds(self) -> tuple[str, float | None, float | None, dict[str, str]]:
        """(kind, low, high, how): kind ``none`` (no values), ``withheld`` (fewer than k values: no range can
        hide the rows) or ``range``; how says per side ``exact`` (k or more rows take the extreme) or
        ``protected`` (the k-th extreme value moved outward to a grid point)."""
        k = self.k
        if self.n == 0:
            return "none", None, None, {}
        if self.n < k:
            return "withheld", None, None, {}
        how = {"low": "exact" if self.lo_n >= k else "protected", "high": "exact" if self.hi_n >= k else "protected"}
        lo, hi = self.lo, self.hi
        if "protected" in how.values():
            a, b = float(self.low[k - 1]), float(self.high[0])  # the k-th smallest and the k-th largest value
            spread = b - a if b > a else max(abs(a), abs(b), 1.0)
            exponent = math.floor(math.log10(spread / 100.0))  # a step of 1/100 to 1/1000 of the spread
            if how["low"] == "protected":
                lo = _grid_point(a, exponent, below=True)
            if how["high"] == "protected":
                hi = _grid_point(b, exponent, below=False)
            if not lo < hi:
                return "withheld", None, None, {}
        return "range", lo, hi, how


def _grid_point(x: float, exponent: int, *, below: bool) -> float:
    """The multiple of 10**exponent strictly below (above) x, in decimal arithmetic (no float noise)."""
    step = Decimal(1).scaleb(exponent)
    d = Decimal(repr(float(x)))
    g = d.quantize(step, rounding=ROUND_FLOOR if below else ROUND_CEILING) if exponent <= 0 else \
        ((d / step).to_integral_value(rounding=ROUND_FLOOR if below else ROUND_CEILING) * step)
    if below and g >= d:
        g -= step
    if not below and g <= d:
        g += step
    return float(g)


def _suppress(counts: Counter, k: int) -> Counter:
    """The cells of at least k rows (primary suppression)."""
    return Counter({key: n for key, n in counts.items() if n >= k})


def _suppress_joint(counts: Counter, k: int, rows: Counter, cols: Counter) -> Counter:
    """Primary suppression, then secondary: while a row (column) whose published margin is known keeps a
    suppressed remainder between 1 and k-1, its smallest published cell is suppressed too (the margins would
    otherwise reveal the small cell's count)."""
    pub = _suppress(counts, k)
    changed = True
    while changed:
        changed = False
        for axis, margins in ((0, rows), (1, cols)):
            sums: dict[Any, int] = defaultdict(int)
            members: dict[Any, list] = defaultdict(list)
            for key, n in pub.items():
                sums[key[axis]] += n
                members[key[axis]].append(key)
            for value, total in margins.items():
                remainder = total - sums.get(value, 0)
                if 0 < remainder < k and members.get(value):
                    smallest = min(members[value], key=lambda key: (pub[key], repr(key)))
                    del pub[smallest]
                    changed = True
    return pub


def _jkey(v: Any) -> Any:
    if isinstance(v, (bool, np.bool_)):
        return str(bool(v))
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        return float(v)
    return str(v)


def _table(counts: Counter, published: Counter) -> dict[str, Any]:
    cells = sorted(([*map(_jkey, key), n] if isinstance(key, tuple) else [_jkey(key), n]
                    for key, n in published.items()), key=lambda c: (-c[-1], repr(c[:-1])))
    return {"counts": cells, "suppressed_rows": int(sum(counts.values()) - sum(published.values())),
            "suppressed_cells": int(len(counts) - len(published))}


def compute_statistics(inputs: "AuditInputs", *, k: int = DEFAULT_K, num_bins: int = DEFAULT_BINS,
                       batch_size: int | None = 50_000) -> dict[str, Any]:
    """The statistics document of the real table of ``inputs`` (role real_reference): two passes, the first for
    the numerical ranges, the second for every count and the pairwise moments (both stream the table)."""
    from synthaudit import __version__
    from synthaudit.metrics.tabular.features import count_values, discretize, numeric_matrix, pair_columns
    from synthaudit.stats.binning import equal_width_edges
    from synthaudit.stats.counts import count_pairs
    from synthaudit.stats.moments import PairwiseMoments

    spec = inputs.table_spec
    cats, nums = list(spec.categorical), list(spec.numerical)
    if inputs.tables[REAL].materialized:
        inputs.frame(REAL)  # coerced once, shared by both passes
    extremes = {c: _Extremes(k) for c in nums}
    n_rows = 0
    for batch in inputs.batches(REAL, batch_size):
        n_rows += len(batch)
        x = numeric_matrix(batch, nums)
        for j, c in enumerate(nums):
            extremes[c].update(x[:, j])
    ranges = {c: extremes[c].bounds() for c in nums}
    edges = {c: (np.array([]) if kind == "none" else equal_width_edges(lo, hi, num_bins))
             for c, (kind, lo, hi, _) in ranges.items() if kind != "withheld"}

    (pearson_cols,), pearson_sampled = pair_columns(inputs, [nums], lambda n: n * (n - 1) // 2)
    (pair_cats, pair_nums), pairs_sampled = pair_columns(inputs, [cats, nums], lambda c, n: c * (c - 1) // 2 + c * n)
    pairs = list(combinations(pair_cats, 2)) + [(c, n) for c in pair_cats for n in pair_nums if n in edges]
    withheld_pairs = [[c, n] for c in pair_cats for n in pair_nums if n not in edges]
    cat_counts = {c: Counter() for c in cats}
    bin_counts = {c: Counter() for c in edges}
    joint = {p: Counter() for p in pairs}
    moments = PairwiseMoments.empty(len(pearson_cols))
    for batch in inputs.batches(REAL, batch_size):
        cache: dict[str, Any] = {}

        def col(name: str, batch: Any = batch, cache: dict = cache) -> Any:
            if name not in cache:
                cache[name] = discretize(batch[name], edges[name]) if name in edges else batch[name]
            return cache[name]

        for c in cats:
            cat_counts[c].update(count_values(batch[c]))
        for c in edges:
            bin_counts[c].update(count_values(col(c)))
        for a, b in pairs:
            joint[(a, b)].update(count_pairs(col(a), col(b)))
        if pearson_cols:
            moments = moments + PairwiseMoments.from_array(numeric_matrix(batch, pearson_cols))

    published = {c: _suppress(cat_counts[c], k) for c in cats}
    published.update({c: _suppress(bin_counts[c], k) for c in edges})
    columns = []
    for name, cs in spec.columns.items():
        entry: dict[str, Any] = {"name": name, "type": cs.type.value}
        if cs.format:
            entry["format"] = cs.format
        if name in cat_counts:
            entry.update(_table(cat_counts[name], published[name]))
        elif name in ranges:
            kind, lo, hi, how = ranges[name]
            entry["range"] = how if kind == "range" else kind
            if name in edges:
                entry["inner_edges"] = [float(e) for e in edges[name]]
                entry.update(_table(bin_counts[name], published[name]))
        columns.append(entry)
    joint_tables = []
    for a, b in pairs:
        pub = _suppress_joint(joint[(a, b)], k, published[a], published[b])
        joint_tables.append({"columns": [a, b], **_table(joint[(a, b)], pub)})
    corr = moments.corr()
    pearson_pairs = []
    for i, j in combinations(range(len(pearson_cols)), 2):
        n = int(moments.n[i, j])
        pair: dict[str, Any] = {"columns": [pearson_cols[i], pearson_cols[j]]}
        if n < k:
            pair.update(n=None, rho=None, constant=None, suppressed=f"fewer than k = {k} complete rows")
        else:
            rho = float(corr[i, j])
            # the count is a cell too: published unless it, or the rows it leaves out, are between 1 and k-1
            pair.update(n=n if not 0 < n_rows - n < k else None, rho=None if np.isnan(rho) else rho,
                        constant=[_constant(moments.m2_i[i, j], moments.mean_i[i, j], n),
                                  _constant(moments.m2_j[i, j], moments.mean_j[i, j], n)])
        pearson_pairs.append(pair)
    protected = [c["name"] for c in columns if isinstance(c.get("range"), dict) and "protected" in c["range"].values()]
    withheld = [c["name"] for c in columns if c.get("range") == "withheld"]
    suppressed = sum(c.get("suppressed_cells", 0) for c in columns) + sum(t["suppressed_cells"] for t in joint_tables)
    doc = {
        "format": FORMAT, "format_version": FORMAT_VERSION, "modality": "tabular",
        "written_by": f"synthaudit {__version__}",
        "privacy": {"k": k, "suppressed_cells": int(suppressed), "protected_ranges": protected,
                    "withheld_ranges": withheld,
                    "rule": "cells of fewer than k rows are suppressed (their rows reported as one total per table), "
                            "and so are the cells the published margins would reveal; a range bound is the real "
                            "extreme only when k or more rows take it, else the k-th extreme moved outward to a grid "
                            "point; no raw value, one-row minimum, maximum or quantile is stored"},
        "rows": n_rows, "num_bins": num_bins, "seed": inputs.seed,
        "columns": columns, "ignored": list(spec.ignored),
        "contingency": {"pairs": joint_tables, "sampled": pairs_sampled, "withheld_pairs": withheld_pairs},
        "pearson": {"columns": list(pearson_cols), "sampled": pearson_sampled, "pairs": pearson_pairs},
    }
    doc["fingerprint"] = _fingerprint(doc)
    return doc


def _constant(m2: float, mean: float, n: int) -> bool:
    """Whether a column has no spread over a pair's rows (``PairwiseMoments.constant``, one column)."""
    return bool(m2 <= 1e-24 * max(n, 1) * (abs(mean) + 1.0) ** 2)


def _canonical(doc: dict[str, Any]) -> bytes:
    body = {key: value for key, value in doc.items() if key != "fingerprint"}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode("utf-8")


def _fingerprint(doc: dict[str, Any]) -> str:
    return "sha256:" + hashlib.sha256(_canonical(doc)).hexdigest()


def _dump(doc: Any, depth: int = 0) -> str:
    """Readable JSON: nested objects indented, a list of plain values (a cell, edges) on one line."""
    pad, inner = " " * depth, " " * (depth + 1)
    if isinstance(doc, dict) and doc:
        items = [f"{inner}{json.dumps(str(k), ensure_ascii=False)}: {_dump(v, depth + 1).strip()}"
                 for k, v in doc.items()]
        return "{\n" + ",\n".join(items) + f"\n{pad}}}" + ("\n" if depth == 0 else "")
    if isinstance(doc, list) and doc and any(isinstance(v, (dict, list)) for v in doc):
        return "[\n" + ",\n".join(inner + _dump(v, depth + 1).strip() for v in doc) + f"\n{pad}]"
    return json.dumps(doc, ensure_ascii=False, allow_nan=False, separators=(", ", ": "))


# ------------------------------------------------------------------------------------------------ reading

def statistics_file(path: str | os.PathLike) -> Path:
    """The statistics.json of a folder (or the file itself); an error naming it when it is not there."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"not found; expected {EXPECTED}", file=str(path), field="--real-stats")
    if path.is_dir():
        path = path / FILE_NAME
        if not path.is_file():
            raise InputError(f"not found; expected {EXPECTED}", file=str(path), field="--real-stats",
                             hint="write it with `synthaudit profile tabular --real TABLE --out FOLDER`")
    return path


def read_statistics(path: str | os.PathLike) -> "TabularStatistics":
    """Read and check a statistics file (or the folder holding it): format, version, modality, fingerprint and
    structure; any problem is one InputError naming the file and what was expected."""
    path = statistics_file(path)
    label = str(path)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"is not valid JSON ({exc}); expected {EXPECTED}", file=label) from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        found = doc.get("format") if isinstance(doc, dict) else type(doc).__name__
        raise InputError(f"is not a synthaudit statistics file (format {found!r}); expected {EXPECTED}", file=label)
    if doc.get("format_version") != FORMAT_VERSION:
        raise InputError(f"has statistics format version {doc.get('format_version')!r} (written by "
                         f"{doc.get('written_by', 'an unknown version')}); this synthaudit reads version "
                         f"{FORMAT_VERSION}", file=label,
                         hint="profile the real table again with this version: synthaudit profile tabular")
    if doc.get("modality") != "tabular":
        raise InputError(f"holds statistics of a {doc.get('modality')!r} table; expected statistics of a tabular "
                         "audit (synthaudit profile tabular)", file=label)
    if doc.get("fingerprint") != _fingerprint(doc):
        raise InputError("its content does not match its fingerprint (edited or truncated); expected the file as "
                         "`synthaudit profile tabular` wrote it", file=label)
    try:
        return TabularStatistics(doc, path)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise InputError(f"is malformed ({type(exc).__name__}: {exc}); expected {EXPECTED}", file=label) from None


class TabularStatistics:
    """A read statistics file: what the tabular metrics take their real-side state from (the engine finds it in
    ``AuditInputs.extra["statistics"]``, see ``synthaudit.metrics.registry.statistics_of``)."""

    stands_for = STANDS_FOR
    gap_reason = GAP_REASON

    def __init__(self, doc: dict[str, Any], path: str | os.PathLike) -> None:
        from synthaudit.data.tabular import ColumnType

        self.doc, self.path = doc, Path(path)
        self.k = int(doc["privacy"]["k"])
        self.rows = int(doc["rows"])
        self.num_bins = int(doc["num_bins"])
        self.fingerprint = str(doc["fingerprint"])
        self.columns = {c["name"]: c for c in doc["columns"]}
        for c in self.columns.values():
            ColumnType(c["type"])  # a known type
        self.pairs = {tuple(t["columns"]): t for t in doc["contingency"]["pairs"]}
        self.pearson_pairs = {tuple(p["columns"]): p for p in doc["pearson"]["pairs"]}
        self.contingency_sampled = doc["contingency"].get("sampled")
        self.pearson_sampled = doc["pearson"].get("sampled")

    # -- the spec
    def spec(self) -> "TableSpec":
        from synthaudit.data.tabular import ColumnSpec, ColumnType, TableSpec

        return TableSpec(columns={n: ColumnSpec(n, ColumnType(c["type"]), format=c.get("format"), inferred=False,
                                                reason=f"from the statistics {self.path}")
                                  for n, c in self.columns.items()},
                         ignored=list(self.doc.get("ignored") or []))

    # -- what the metrics read
    def category_counts(self, column: str) -> Counter:
        """The real category counts of a column; the suppressed rows under SUPPRESSED."""
        entry = self.columns.get(column)
        if entry is None or "counts" not in entry or "range" in entry:
            raise ValueError(f"the statistics {self.path} have no category counts of column {column!r}"
                             + ("" if entry is None else f" (a {entry['type']} column)"))
        return self._counter(entry)

    def bin_edges(self, num_bins: int) -> dict[str, np.ndarray]:
        """Inner bin edges of the numerical columns (those whose range is not withheld)."""
        if int(num_bins) != self.num_bins:
            raise ValueError(f"the statistics {self.path} bin numerical columns into {self.num_bins} bins; this "
                             f"metric needs {num_bins} (profile again with --num-bins {num_bins}, or set the metric's "
                             f"num_bins to {self.num_bins})")
        return {n: np.asarray(c["inner_edges"], dtype=float) for n, c in self.columns.items() if "inner_edges" in c}

    def contingency_pairs(self) -> list[tuple[str, str]]:
        return list(self.pairs)

    def pair_counts(self, a: str, b: str) -> Counter:
        """Joint real counts of (a, b) keyed (value of a, value or bin of b); suppressed rows under SUPPRESSED."""
        if (a, b) in self.pairs:
            return self._counter(self.pairs[(a, b)])
        if (b, a) in self.pairs:
            swapped = Counter()
            for key, n in self._counter(self.pairs[(b, a)]).items():
                swapped[key[::-1] if isinstance(key, tuple) else key] = n
            return swapped
        raise ValueError(f"the statistics {self.path} have no joint counts of {a!r} and {b!r}")

    def pearson(self, numerical: Iterable[str]) -> tuple[list[str], Any, dict[tuple[int, int], str], set]:
        """(columns, standardised PairwiseMoments, {(i, j): reason} of pairs suppressed, {(i, j)} whose count is
        withheld) over the stored columns that are numerical in this audit. The state's correlations, constant
        flags and counts are the real ones: means 0, sums of squares 1 (0 for a constant column), co-moment rho."""
        from synthaudit.stats.moments import PairwiseMoments

        keep = set(numerical)
        cols = [c for c in self.doc["pearson"]["columns"] if c in keep]
        m = PairwiseMoments.empty(len(cols))
        suppressed, withheld = {}, set()
        for i, j in combinations(range(len(cols)), 2):
            p = self.pearson_pairs.get((cols[i], cols[j]))
            if p is None:
                raise ValueError(f"the statistics {self.path} have no correlation of {cols[i]!r} and {cols[j]!r}")
            if p.get("suppressed"):
                suppressed[(i, j)] = f"{p['suppressed']} in the real statistics"
                continue
            n = p["n"] if p["n"] is not None else self.rows  # a withheld count: k <= n, shown as None
            if p["n"] is None:
                withheld.add((i, j))
            ci, cj = p["constant"]
            rho = np.nan if p["rho"] is None else float(p["rho"])
            for a, b in ((i, j), (j, i)):
                m.n[a, b] = n
            m.m2_i[i, j], m.m2_j[i, j] = (0.0 if ci else 1.0), (0.0 if cj else 1.0)
            m.m2_i[j, i], m.m2_j[j, i] = m.m2_j[i, j], m.m2_i[i, j]
            m.c[i, j] = m.c[j, i] = rho
        return cols, m, suppressed, withheld

    def notes(self, *, columns: Iterable[str] = (), pairs: Iterable[tuple[str, str]] = (),
              pearson_suppressed: int = 0, missing_pairs: int = 0) -> dict[str, Any]:
        """What a metric's notes say about its real side: the file, k, the suppressed rows of the tables it read,
        the protected ranges, and whether its value is exact."""
        suppressed: dict[str, int] = {}
        for c in columns:
            entry = self.columns.get(c, {})
            if entry.get("suppressed_rows"):
                suppressed[str(c)] = int(entry["suppressed_rows"])
        protected = []
        for a, b in pairs:
            t = self.pairs.get((a, b)) or self.pairs.get((b, a)) or {}
            if t.get("suppressed_rows"):
                suppressed[f"{a} x {b}"] = int(t["suppressed_rows"])
            for c in (a, b):
                rng = self.columns.get(c, {}).get("range")
                if isinstance(rng, dict) and "protected" in rng.values() and c not in protected:
                    protected.append(c)
        exact = not suppressed and not protected and not pearson_suppressed and not missing_pairs
        out: dict[str, Any] = {"source": f"audit from statistics: {self.path}", "fingerprint": self.fingerprint,
                               "k": self.k, "real_rows": self.rows, "exact": exact}
        if suppressed:
            out["suppressed_rows"] = suppressed
        if protected:
            out["protected_ranges"] = protected
        if pearson_suppressed:
            out["suppressed_pairs"] = pearson_suppressed
        if missing_pairs:
            out["pairs_without_statistics"] = missing_pairs
        out["exactness"] = ("equal to the value from the real rows" if exact else
                            "approximate: the real side lacks suppressed small cells (pooled with the synthetic "
                            "categories the statistics do not show), is binned on a protected range, or lacks "
                            "pairs; see docs/tabular.md, 'Audit from statistics'")
        return out

    def summary(self) -> dict[str, Any]:
        p = self.doc["privacy"]
        return {"file": str(self.path), "bytes": self.path.stat().st_size if self.path.exists() else None,
                "rows": self.rows, "columns": len(self.columns), "k": self.k, "num_bins": self.num_bins,
                "suppressed_cells": p["suppressed_cells"], "protected_ranges": p["protected_ranges"],
                "withheld_ranges": p["withheld_ranges"], "fingerprint": self.fingerprint}

    def _counter(self, entry: dict[str, Any]) -> Counter:
        from synthaudit.metrics.tabular.features import SUPPRESSED

        out = Counter()
        for cell in entry["counts"]:
            *key, n = cell
            out[tuple(key) if len(key) > 1 else key[0]] = int(n)
        if entry.get("suppressed_rows"):
            out[SUPPRESSED] += int(entry["suppressed_rows"])
        return out


# ------------------------------------------------------------------------------------------------ auditing

def prepare_from_statistics(opts: "TabularInputs", load: "LoadOptions", seed: int,
                            params: dict[str, Any]) -> "AuditInputs":
    """The inputs of ``audit tabular --real-stats``: the synthetic table (and holdout/train when given) with the
    column spec of the statistics; the metrics that support it take their real side from the statistics."""
    from synthaudit.data.tabular import apply_spec_overrides
    from synthaudit.data.tabular_inputs import prepare_tabular
    from synthaudit.metrics.registry import STATISTICS

    if opts.real is not None:
        raise UsageError("give --real (the real rows) or --real-stats (their statistics), not both",
                         field="--real-stats")
    if opts.infer_constraints:
        raise UsageError("--infer-constraints infers constraints from the real rows, which an audit from statistics "
                         "does not have; give the constraints with --constraints", field="--infer-constraints")
    stats = read_statistics(opts.real_stats)
    values = {k: v for k, v in opts.as_dict().items() if k != "real_stats"}
    inputs = prepare_tabular(**values, seed=seed, params=params, stream=load.stream, fmt=load.fmt,
                             encoding=load.encoding)
    synthetic = inputs.tables["synthetic"]
    syn_cols = list(synthetic.head().columns)
    spec = stats.spec()
    missing = [c for c in spec.columns if c not in set(syn_cols)]
    if missing:
        raise InputError(f"describes column(s) {_names(missing)} that the synthetic table ({synthetic.label}) lacks; "
                         f"expected a synthetic table with the real table's columns {_names(list(spec.columns))} "
                         f"(synthetic columns: {_names(syn_cols)})", file=str(stats.path))
    if inputs.schema:  # a spec file may ignore columns; the types are the statistics'
        overridden = apply_spec_overrides(copy.deepcopy(spec), inputs.schema, list(spec.columns))
        changed = [n for n, c in overridden.columns.items() if c.type != spec.columns[n].type]
        if changed:
            raise SpecError(f"sets the type of {_names(changed)}, but the statistics {stats.path} fix the column "
                            "types; set them when profiling (synthaudit profile tabular --schema)",
                            file=inputs.schema.get("path"), field="columns")
        spec = overridden
    for flag, col in (("--target", opts.target), ("--protected", opts.protected), ("--sensitive", opts.sensitive)):
        if col is not None and col not in spec.columns:
            raise InputError(f"has no column {col!r} (named with {flag}); its columns: {_names(list(spec.columns))}",
                             file=str(stats.path), field=flag)
    spec.na_values = inputs.table_spec.na_values if inputs.table_spec else frozenset()
    inputs.table_spec = spec
    extra = [c for c in syn_cols if c not in spec.columns and c not in spec.ignored]
    if extra:
        inputs.warnings.append(f"columns only in the synthetic table are ignored: {_names(extra)}")
    s = stats.doc["privacy"]
    inputs.warnings.append(
        f"audit from statistics: the real side is {stats.path} ({stats.rows} rows, k = {stats.k}, "
        f"{s['suppressed_cells']} small cells suppressed, fingerprint {stats.fingerprint[:19]}); metrics that need "
        "the real rows are gaps")
    inputs.extra[STATISTICS] = {REAL: stats}
    return inputs


def _names(cols: list) -> str:
    shown = ", ".join(map(str, cols[:12]))
    return shown + (f", ... ({len(cols)} in all)" if len(cols) > 12 else "")
