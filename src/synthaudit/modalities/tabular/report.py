"""Report figures of the tabular modality, drawn beside the fidelity metrics:

- the column x column matrix of the pairwise fidelity breakdowns (from the metrics alone);
- with the data at hand (a fresh audit), the association matrices of the real and the synthetic table and their
  difference (``synthaudit.stats.association``), real-vs-synthetic plots of every column and of the column pairs
  whose association changed most, the last two folded.

Figures are plot specs (plain JSON, stored in report.json); the kinds this module adds are drawn by ``DRAW``
below, which the HTML report looks up through this modality's ``report_figures`` hook. Each spec carries its own
one-line ``caption`` and folded ``details``.
"""
from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from synthaudit.data.inputs import AuditInputs


def pair_matrix(metrics: list[Any]) -> tuple[list[str], np.ndarray] | None:
    """One column x column matrix from every breakdown with column_1/column_2/value rows."""
    rows = [(r["column_1"], r["column_2"], r.get("value")) for m in metrics if m.status == "ok"
            for r in m.breakdown if "column_1" in r and "column_2" in r]
    if not rows:
        return None
    cols = list(dict.fromkeys([c for a, b, _ in rows for c in (a, b)]))
    index = {c: i for i, c in enumerate(cols)}
    mat = np.full((len(cols), len(cols)), np.nan)
    for a, b, v in rows:
        if v is not None:
            mat[index[a], index[b]] = mat[index[b], index[a]] = v
    return cols, mat


#: columns drawn in the heatmap: a wider table shows the columns with the largest differences
MAX_HEATMAP_COLUMNS = 60
#: columns of the association matrices: a wider table shows those whose association changes most
MAX_ASSOCIATION_COLUMNS = 20
#: columns whose associations are computed before the MAX_ASSOCIATION_COLUMNS are chosen (a wider table is first
#: narrowed to the columns with the largest pairwise fidelity differences)
MAX_ASSOCIATION_CANDIDATES = 60
#: rows per side for the association matrices and the plots (a larger table: a seeded, order-independent sample)
MAX_ROWS = 50_000
#: per-column plots: every column up to this many, else those whose marginals differ most
MAX_COLUMN_PLOTS = 40
#: category bars per column (the rest are summed as "other")
TOP_CATEGORIES = 10
#: the difference heatmap's colour is darkest from this difference on (the cells carry their values)
DIFF_SATURATES = 0.5
#: column pairs drawn in detail
N_WORST_PAIRS = 6
#: bins per axis of a numeric pair's 2-D histogram; categories / number bins per axis of a crosstab
PAIR_BINS = 24
CROSS_LEVELS = 8
OTHER = "other"


def figures(metrics: list[Any], inputs: "AuditInputs | None" = None) -> list[dict[str, Any]]:
    """The tabular figures beside the fidelity metrics: the pairwise-differences heatmap (when two or more
    columns pair up) and, given the audit's inputs, the association matrices and the folded plots of every column
    and of the pairs that changed most."""
    fidelity = [m for m in metrics if m.dimension == "fidelity"]
    out = _pair_heatmap(fidelity)
    if inputs is not None and fidelity:
        try:
            # one BLAS thread: the figures' products are small, and a second OpenBLAS thread only spins (issue #13)
            from threadpoolctl import threadpool_limits

            with threadpool_limits(limits=1, user_api="blas"):
                out += data_figures(fidelity, inputs)
        except Exception as exc:  # a figure must not cost the audit its report
            warnings.warn(f"tabular report figures skipped: {type(exc).__name__}: {exc}", RuntimeWarning,
                          stacklevel=2)
    return out


def _pair_heatmap(metrics: list[Any]) -> list[dict[str, Any]]:
    pm = pair_matrix(metrics)
    if pm is None or len(pm[0]) < 2:
        return []
    cols, mat = pm
    title = "Pairwise differences (|Δρ|/2 for numerical pairs, contingency TVD otherwise)"
    if len(cols) > MAX_HEATMAP_COLUMNS:
        worst = np.where(np.isnan(mat), -np.inf, mat).max(axis=1)
        keep = np.sort(np.argsort(-worst, kind="stable")[:MAX_HEATMAP_COLUMNS])
        title += f"; the {MAX_HEATMAP_COLUMNS} columns with the largest differences, of {len(cols)}"
        cols, mat = [cols[i] for i in keep], mat[np.ix_(keep, keep)]
    matrix = [[None if np.isnan(v) else float(v) for v in row] for row in mat]
    return [{"dimension": "fidelity", "kind": "heatmap", "labels": cols, "matrix": matrix, "title": title}]


# -- the data behind the figures ------------------------------------------------------------------------------

def _rows(inputs: "AuditInputs", role: str) -> tuple[pd.DataFrame, str]:
    """At most MAX_ROWS rows of a role (a seeded sample that does not depend on the row order), and how taken."""
    from synthaudit.metrics.tabular.features import canonical_order

    table = inputs.tables[role]
    if not table.materialized:  # a stream not read whole by any metric: its first rows
        parts, n = [], 0
        for part in inputs.batches(role):
            parts.append(part.iloc[:MAX_ROWS - n])
            n += len(parts[-1])
            if n >= MAX_ROWS:
                break
        frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=inputs.table_spec.names())
        return frame, f"the first {len(frame):,} rows" if n >= MAX_ROWS else f"all {len(frame):,} rows"
    frame = inputs.frame(role)
    if len(frame) <= MAX_ROWS:
        return frame, f"all {len(frame):,} rows"
    keep = np.sort(canonical_order(inputs, role)[:MAX_ROWS])
    return frame.iloc[keep], f"a seeded sample of {MAX_ROWS:,} of {len(frame):,} rows"


def _rank(values: dict[str, float], columns: list[str], k: int) -> list[str]:
    """The k columns with the largest values (missing values last; ties in table order), kept in table order."""
    order = sorted(range(len(columns)), key=lambda i: -values.get(columns[i], -np.inf))
    keep = set(sorted(order[:k]))
    return [c for i, c in enumerate(columns) if i in keep]


def _r(x: Any, digits: int = 4) -> Any:
    """Rounded for report.json (NaN -> None)."""
    if isinstance(x, np.ndarray):
        return [_r(v, digits) for v in x.tolist()]
    if isinstance(x, list):
        return [_r(v, digits) for v in x]
    if x is None or (isinstance(x, float) and not np.isfinite(x)):
        return None
    return round(float(x), digits)


def data_figures(metrics: list[Any], inputs: "AuditInputs") -> list[dict[str, Any]]:
    """Association matrices (real, synthetic, difference), per-column plots and worst-pair plots."""
    from synthaudit.data.tabular import ColumnType
    from synthaudit.stats.association import (association_difference, association_matrix, column_ranking,
                                              worst_pairs)

    spec = inputs.table_spec
    if spec is None or not (inputs.has("synthetic") and inputs.has("real_reference")):
        return []
    numerical, categorical = set(spec.numerical), set(spec.categorical)
    columns = [c for c in spec.names() if c in numerical or c in categorical]
    if not columns:
        return []
    real, how_real = _rows(inputs, "real_reference")
    syn, how_syn = _rows(inputs, "synthetic")
    rows_note = f"Rows: {how_real} of the real table, {how_syn} of the synthetic one."
    datetimes = set(spec.names(ColumnType.DATETIME))
    out: list[dict[str, Any]] = []

    if len(columns) < 2:  # nothing to associate: the column's plot only
        return [_column_figure(metrics, columns, real, syn, numerical, datetimes, rows_note)]
    # association matrices
    candidates = columns
    if len(columns) > MAX_ASSOCIATION_CANDIDATES:
        pm = pair_matrix(metrics)
        worst = {} if pm is None else dict(zip(pm[0], np.where(np.isnan(pm[1]), -np.inf, pm[1]).max(axis=1)))
        candidates = _rank(worst, columns, MAX_ASSOCIATION_CANDIDATES)
    ra = association_matrix(real, numerical, categorical, columns=candidates)
    sa = association_matrix(syn, numerical, categorical, columns=candidates)
    diff = association_difference(ra, sa)
    pairs = worst_pairs(diff, N_WORST_PAIRS)
    shown = np.arange(len(candidates))
    if len(candidates) > MAX_ASSOCIATION_COLUMNS:
        rank = dict(zip(candidates, column_ranking(diff)))
        keep = set(_rank(rank, candidates, MAX_ASSOCIATION_COLUMNS))
        shown = np.array([i for i, c in enumerate(candidates) if c in keep])
        among = ("" if len(candidates) == len(columns) else
                 f", among the {len(candidates)} with the largest pairwise fidelity differences")
        which = (f"the {len(shown)} of {len(columns)} columns whose association changes most (the largest "
                 f"|real − synthetic| in their row{among}), in table order")
    else:
        which = f"all {len(columns)} numeric and categorical columns, in table order"
    sub = np.ix_(shown, shown)
    labels = [candidates[i] for i in shown]
    out.append({
        "dimension": "fidelity", "kind": "association", "labels": labels,
        "types": [ra.kinds[i] for i in shown],
        "real": _r(ra.values[sub]), "synthetic": _r(sa.values[sub]), "difference": _r(diff[sub]),
        "measure": [[ra.measure[i][j] for j in shown] for i in shown],
        "title": "Association between columns",
        "caption": ("How strongly each pair of columns is related in the real data, in the synthetic data, and the "
                    "difference: a dark cell on the right is a relationship the synthetic data lost or invented."),
        "details_summary": "How it is measured",
        "details": ("Measures: Pearson r for two numeric columns (−1 to 1, the sign kept: blue is negative), "
                    "Cramér's V without bias correction for two categorical columns, the correlation ratio η for "
                    "a numeric and a categorical column (both 0 to 1). The difference is |real − synthetic|, 0 to "
                    f"1 (up to 2 for a Pearson r whose sign flipped); its colour is darkest from {DIFF_SATURATES} "
                    "on, and every difference of 0.1 or more is written in its cell. "
                    "Each pair uses the rows where both values are present; a grey cell "
                    "is undefined (a column constant on those rows). Numeric column names are in italics. "
                    f"Columns: {which}. {rows_note}"),
    })

    out.append(_column_figure(metrics, columns, real, syn, numerical, datetimes, rows_note))

    # the pairs whose association changed most
    if pairs:
        items = [_pair_plot(candidates[i], candidates[j], real, syn, ra, sa, i, j, numerical, datetimes)
                 for i, j, _ in pairs]
        out.append({
            "dimension": "fidelity", "kind": "group", "items": items,
            "fold": f"The {len(items)} column pairs whose association changes most",
            "caption": ("The column pairs with the largest association difference above, drawn from both tables: "
                        "the places where the synthetic data got a relationship wrong."),
            "details": ("Two numeric columns: the share of rows in a 2-D histogram (real, synthetic, and synthetic "
                        "minus real; the axes span the 0.5th to 99.5th percentiles of both tables, outliers counted "
                        "in the edge bins). Other pairs: the crosstab, each cell synthetic share minus real share "
                        f"of the rows, in percentage points (red: too many synthetic rows; blue: too few); up to "
                        f"{CROSS_LEVELS - 1} categories and '{OTHER}', numeric columns cut at the real data's "
                        f"quantiles. Rows with a missing value in either column are left out. {rows_note}"),
        })
    return out


def _column_figure(metrics: list[Any], columns: list[str], real: pd.DataFrame, syn: pd.DataFrame,
                   numerical: set[str], datetimes: set[str], rows_note: str) -> dict[str, Any]:
    """Real-vs-synthetic plots of every column (a wide table: those whose marginals differ most), folded."""
    plot_cols = columns
    if len(columns) > MAX_COLUMN_PLOTS:
        marg = {r["column"]: r["value"] for m in metrics if m.id in ("tabular.kst", "tabular.tvd")
                and m.status == "ok" for r in m.breakdown if r.get("value") is not None and "column" in r}
        plot_cols = _rank(marg, columns, MAX_COLUMN_PLOTS)
    items = [_column_plot(c, real[c], syn[c], c in numerical, c in datetimes) for c in plot_cols]
    return {
        "dimension": "fidelity", "kind": "group", "items": items, "per_row": 3,
        "fold": (f"Real vs synthetic, column by column ({len(items)} columns"
                 + (f", the {len(items)} of {len(columns)} whose distributions differ most" if len(items) <
                    len(columns) else "") + ")"),
        "caption": ("Each column's values in the real data (blue, solid) and the synthetic data (orange, dashed or "
                    "hatched): where the two part, the synthetic data misrepresent that column."),
        "details": ("Numeric columns: the share of rows in 30 common bins (missing values left out; their shares, "
                    "real / synthetic, follow the column name). Categorical columns: the "
                    f"{TOP_CATEGORIES} most frequent categories (real data first) and '{OTHER}' for the rest; a "
                    f"missing value is the category '(missing)'. {rows_note}"),
    }


def _missing_note(r: pd.Series, s: pd.Series) -> str:
    from synthaudit.report.explain import pct

    mr, ms = float(r.isna().mean()) if len(r) else 0.0, float(s.isna().mean()) if len(s) else 0.0
    return "" if mr == 0 and ms == 0 else f" · missing {pct(mr)} / {pct(ms)}"


def _column_plot(column: str, r: pd.Series, s: pd.Series, numeric: bool, is_datetime: bool) -> dict[str, Any]:
    from synthaudit.metrics.tabular.features import marginal_bars, marginal_hist
    from synthaudit.stats.association import numbers
    from synthaudit.stats.counts import count_values

    if numeric:
        payload = marginal_hist(column, numbers(r), numbers(s), is_datetime=is_datetime)
        payload.pop("non_finite", None)  # the missing shares are in the title
        payload["title"] = column + _missing_note(r, s)
        for key in ("real", "synthetic"):
            payload[key] = _r(payload[key], 5)
        return payload
    cr, cs = count_values(r), count_values(s)
    payload = marginal_bars(column, cr, cs, k=TOP_CATEGORIES)
    if len(set(cr) | set(cs)) > TOP_CATEGORIES:
        payload["labels"].append(OTHER)
        payload["real"].append(max(0.0, 1.0 - sum(payload["real"])) if cr else 0.0)
        payload["synthetic"].append(max(0.0, 1.0 - sum(payload["synthetic"])) if cs else 0.0)
    for key in ("real", "synthetic"):
        payload[key] = _r(payload[key], 5)
    return payload


def _levels(real: pd.Series, syn: pd.Series, numeric: bool, is_datetime: bool) -> tuple[list[str], Any]:
    """Labels and a function series -> level index (-1 = missing) for one axis of a crosstab."""
    from synthaudit.stats.association import numbers

    if numeric:
        v = numbers(real)
        v = v[~np.isnan(v)]
        if v.size == 0:
            v = numbers(syn)
            v = v[~np.isnan(v)]
        distinct = np.unique(v)
        if distinct.size == 0:
            return ["(no values)"], lambda series: np.where(np.isnan(numbers(series)), -1, 0)
        if distinct.size <= CROSS_LEVELS:
            inner = distinct[1:]
            points = list(distinct)
        else:
            qs = np.unique(np.quantile(v, np.linspace(0, 1, CROSS_LEVELS - 1)[1:-1]))
            # a value holding a large share of the rows (e.g. 0 of a zero-inflated column) gets a bin of its own
            heavy = [q for q in qs if np.mean(v == q) >= 1 / CROSS_LEVELS]
            inner = np.unique(np.concatenate([qs, [np.nextafter(q, np.inf) for q in heavy]]))
            points = None
        fmt = (lambda x: str(pd.Timestamp(int(x)).date())) if is_datetime else (lambda x: f"{x:.3g}")
        if points is not None:
            labels = [fmt(p) for p in points]
        else:  # each bin named by the real values in it (the end bins also hold what lies beyond)
            idx = np.searchsorted(inner, v, side="right")
            labels = []
            for b in range(len(inner) + 1):
                inside = v[idx == b]
                lo, hi = (fmt(inside.min()), fmt(inside.max())) if inside.size else (None, None)
                if lo is None:
                    lo = fmt(inner[b - 1]) if b else "…"
                    hi = fmt(inner[b]) if b < len(inner) else "…"
                labels.append(f"≤ {hi}" if b == 0 else f"≥ {lo}" if b == len(inner) else
                              lo if lo == hi else f"{lo} – {hi}")

        def level(series: pd.Series) -> np.ndarray:
            x = numbers(series)
            idx = np.searchsorted(inner, x, side="right")
            return np.where(np.isnan(x), -1, idx)

        return labels, level
    counts = _most_common(real.dropna().astype(str)) if real.notna().any() else _most_common(syn.dropna().astype(str))
    both = _most_common(syn.dropna().astype(str))
    seen = set(counts)
    keys = counts + [k for k in both if k not in seen]
    top = keys[:CROSS_LEVELS - 1] if len(keys) > CROSS_LEVELS else keys
    labels = [k if len(k) <= 16 else k[:15] + "…" for k in top] + ([OTHER] if len(keys) > len(top) else [])
    index = {k: i for i, k in enumerate(top)}

    def level(series: pd.Series) -> np.ndarray:
        if not len(series):
            return np.empty(0, np.int64)
        # each distinct text looked up once (the rows take its level through their factorize codes)
        codes, uniques = pd.factorize(series.astype(str))
        lookup = np.array([index.get(v, len(top)) for v in uniques] + [len(top)], dtype=np.int64)
        out = lookup[np.where(codes >= 0, codes, len(uniques))]
        return np.where(series.isna().to_numpy(), -1, out)

    return labels, level


def _most_common(texts: pd.Series) -> list[str]:
    """The distinct values of ``texts``, most frequent first, ties in order of first appearance:
    ``[k for k, _ in Counter(texts).most_common()]`` without a Python loop over the rows."""
    if not len(texts):
        return []
    codes, uniques = pd.factorize(texts)  # uniques in order of first appearance
    counts = np.bincount(codes[codes >= 0], minlength=len(uniques))
    return [uniques[i] for i in np.argsort(-counts, kind="stable")]


def _pair_plot(a: str, b: str, real: pd.DataFrame, syn: pd.DataFrame, ra: Any, sa: Any, i: int, j: int,
               numerical: set[str], datetimes: set[str]) -> dict[str, Any]:
    from synthaudit.stats.association import MEASURE_NAMES, numbers

    measure = MEASURE_NAMES[ra.measure[i][j]]
    rv, sv = ra.values[i, j], sa.values[i, j]
    subtitle = f"{measure}: real {_fmt(rv)}, synthetic {_fmt(sv)}"
    title = f"{a} × {b}"
    if a in numerical and b in numerical and not ({a, b} & datetimes):
        xr, yr, xs, ys = numbers(real[a]), numbers(real[b]), numbers(syn[a]), numbers(syn[b])

        def edges(u: np.ndarray, w: np.ndarray) -> np.ndarray:
            both = np.concatenate([u, w])
            both = both[~np.isnan(both)]
            lo, hi = (np.quantile(both, [0.005, 0.995]) if both.size else (0.0, 1.0))
            if not hi > lo:
                lo, hi = (both.min(), both.max()) if both.size else (0.0, 1.0)
                if not hi > lo:
                    lo, hi = lo - 0.5, hi + 0.5
            return np.linspace(lo, hi, PAIR_BINS + 1)

        ex, ey = edges(xr, xs), edges(yr, ys)

        def hist(x: np.ndarray, y: np.ndarray) -> np.ndarray:
            ok = ~np.isnan(x) & ~np.isnan(y)
            h, _, _ = np.histogram2d(np.clip(x[ok], ex[0], ex[-1]), np.clip(y[ok], ey[0], ey[-1]), bins=[ex, ey])
            return h / max(h.sum(), 1)

        return {"kind": "pair_density", "title": title, "subtitle": subtitle, "xlabel": a, "ylabel": b,
                "x_edges": _r(ex, 6), "y_edges": _r(ey, 6), "real": _r(hist(xr, yr).T, 5),
                "synthetic": _r(hist(xs, ys).T, 5)}
    la, fa = _levels(real[a], syn[a], a in numerical, a in datetimes)
    lb, fb = _levels(real[b], syn[b], b in numerical, b in datetimes)

    def table(frame: pd.DataFrame) -> np.ndarray:
        ia, ib = fa(frame[a]), fb(frame[b])
        ok = (ia >= 0) & (ib >= 0)
        counts = np.bincount(ia[ok] * len(lb) + ib[ok], minlength=len(la) * len(lb)).reshape(len(la), len(lb))
        return counts / max(counts.sum(), 1)

    tr, ts = table(real), table(syn)
    used_a = (tr.sum(axis=1) + ts.sum(axis=1)) > 0
    used_b = (tr.sum(axis=0) + ts.sum(axis=0)) > 0
    tr, ts = tr[np.ix_(used_a, used_b)], ts[np.ix_(used_a, used_b)]
    return {"kind": "crosstab_diff", "title": title, "subtitle": subtitle, "ylabel": a, "xlabel": b,
            "rows": [x for x, u in zip(la, used_a) if u], "cols": [x for x, u in zip(lb, used_b) if u],
            "real": _r(tr, 5), "synthetic": _r(ts, 5)}


def _fmt(v: float) -> str:
    if v is None or not np.isfinite(v):
        return "undefined"
    text = f"{v:.2f}"
    return "0.00" if text == "-0.00" else text


# -- drawing (SVG through the report's matplotlib helpers) ----------------------------------------------------

def _array(m: Any) -> np.ndarray:
    return np.array([[np.nan if v is None else v for v in row] for row in m], dtype=float).reshape(len(m), -1) \
        if len(m) else np.empty((0, 0))


def _short(label: str, n: int = 18) -> str:
    return label if len(label) <= n else label[:n - 1] + "…"


def association_svg(payload: dict[str, Any]) -> str:
    """Three heatmaps side by side, one column order: real, synthetic, |real - synthetic|."""
    from matplotlib.colors import Normalize

    from synthaudit.report.plots import _plt, _svg

    plt = _plt()
    labels = [str(x) for x in payload["labels"]]
    k = len(labels)
    types = payload.get("types") or ["categorical"] * k
    real, syn, diff = _array(payload["real"]), _array(payload["synthetic"]), _array(payload["difference"])
    cell = 0.19 if k > 8 else 0.3
    side = max(1.4, cell * k)
    label = 0.085 * max((len(x) for x in map(_short, labels)), default=4) + 0.2  # inches of tick labels
    # in inches: real | synthetic | colour bar | room for the labels | difference | colour bar
    widths = [side, 0.08, side, 0.12, 0.14, label + 1.05, side, 0.12, 0.14]
    width, height = label + sum(widths) + 0.6, side + label + 0.6
    fig = plt.figure(figsize=(width, height))
    grid = fig.add_gridspec(1, len(widths), width_ratios=widths, wspace=0, left=label / width,
                            right=1 - 0.6 / width, bottom=(label + 0.1) / height, top=1 - 0.5 / height)
    axes = [fig.add_subplot(grid[0, 0]), fig.add_subplot(grid[0, 2]), fig.add_subplot(grid[0, 6])]
    bars = [fig.add_subplot(grid[0, 4]), fig.add_subplot(grid[0, 8])]
    assoc = plt.get_cmap("RdBu_r").with_extremes(bad="#c8c8c8")  # grey: undefined
    change = plt.get_cmap("Purples").with_extremes(bad="#c8c8c8")
    short = [_short(x) for x in labels]
    panels = [(axes[0], real, assoc, Normalize(-1, 1), "Real"), (axes[1], syn, assoc, Normalize(-1, 1), "Synthetic"),
              (axes[2], diff, change, Normalize(0, DIFF_SATURATES), "|real − synthetic|")]
    images = []
    for n, (ax, mat, cmap, norm, name) in enumerate(panels):
        images.append(ax.imshow(np.ma.masked_invalid(mat), cmap=cmap, norm=norm, interpolation="nearest"))
        ax.set_title(name, fontsize=12)
        ax.set_xticks(range(k), short, rotation=90, fontsize=10)
        ax.set_yticks(range(k), short if n != 1 else [], fontsize=10)
        ax.tick_params(length=0)
        for spine in ax.spines.values():
            spine.set_visible(False)
        for t, kind in zip([*ax.get_xticklabels(), *ax.get_yticklabels()], [*types, *types]):
            t.set_fontstyle("italic" if kind == "numerical" else "normal")
    # the larger differences carry their value (2 digits) so that the worst cells can be read off
    for i in range(k):
        for j in range(k):
            v = diff[i, j]
            if i != j and np.isfinite(v) and v >= 0.1:
                axes[2].text(j, i, f"{v:.2f}".lstrip("0") if v < 1 else f"{v:.1f}", ha="center", va="center",
                             fontsize=6.5 if k > 12 else 8, color="white" if v >= 0.6 * DIFF_SATURATES else "#1a1a1a")
    for cax, image, name, extend in ((bars[0], images[1], "association", "neither"),
                                     (bars[1], images[2], "|difference|", "max")):
        fig.colorbar(image, cax=cax, extend=extend).set_label(name, fontsize=10)
        cax.tick_params(labelsize=9)
    return _svg(fig, f"Association between {k} columns: real, synthetic and |real − synthetic| heatmaps; "
                     "darker cells on the right differ more")


def pair_density_svg(payload: dict[str, Any]) -> str:
    """Two numeric columns: real and synthetic 2-D histograms on common bins, and synthetic minus real."""
    from matplotlib.colors import Normalize, PowerNorm

    from synthaudit.report.plots import _plt, _svg

    plt = _plt()
    ex = np.asarray([np.nan if v is None else v for v in payload["x_edges"]], float)
    ey = np.asarray([np.nan if v is None else v for v in payload["y_edges"]], float)
    real, syn = _array(payload["real"]), _array(payload["synthetic"])
    if not (np.isfinite(ex).all() and np.isfinite(ey).all()) or real.size == 0 or real.shape != syn.shape:
        fig, ax = plt.subplots(figsize=(3, 1))
        ax.text(0.5, 0.5, "nothing to draw", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return _svg(fig, f"{payload.get('title', '')}: nothing to draw")
    # in inches: real | synthetic | colour bar | room for its labels | synthetic - real | colour bar
    widths = [2.3, 0.1, 2.3, 0.1, 0.12, 1.3, 2.3, 0.1, 0.12]
    width, height = sum(widths) + 1.5, 3.3
    fig = plt.figure(figsize=(width, height))
    grid = fig.add_gridspec(1, len(widths), width_ratios=widths, wspace=0, left=0.8 / width, right=1 - 0.7 / width,
                            bottom=0.55 / height, top=1 - 0.6 / height)
    axes = [fig.add_subplot(grid[0, 0]), fig.add_subplot(grid[0, 2]), fig.add_subplot(grid[0, 6])]
    bars = [fig.add_subplot(grid[0, 4]), fig.add_subplot(grid[0, 8])]
    extent = (ex[0], ex[-1], ey[0], ey[-1])
    top = max(float(np.nanmax(real)), float(np.nanmax(syn)), 1e-9)
    d = syn - real
    lim = max(float(np.nanmax(np.abs(d))), 1e-9)
    dens = plt.get_cmap("Blues")
    shown = []
    for ax, mat, cmap, norm, name in ((axes[0], real, dens, PowerNorm(0.5, 0, top), "real"),
                                      (axes[1], syn, dens, PowerNorm(0.5, 0, top), "synthetic"),
                                      (axes[2], d, plt.get_cmap("RdBu_r"), Normalize(-lim, lim),
                                       "synthetic − real")):
        shown.append(ax.imshow(mat, origin="lower", extent=extent, aspect="auto", cmap=cmap, norm=norm,
                               interpolation="nearest"))
        ax.set_title(name, fontsize=9)
        ax.set_xlabel(_short(payload.get("xlabel", ""), 30))
    axes[1].tick_params(labelleft=False)
    axes[0].set_ylabel(_short(payload.get("ylabel", ""), 30))
    fig.colorbar(shown[1], cax=bars[0], label="share of rows")
    fig.colorbar(shown[2], cax=bars[1], label="difference")
    fig.suptitle(f"{payload.get('title', '')} · {payload.get('subtitle', '')}", fontsize=9.5)
    return _svg(fig, f"{payload.get('title', '')}: 2-D histograms of the real and synthetic rows and their "
                     "difference")


def crosstab_svg(payload: dict[str, Any]) -> str:
    """A crosstab of two columns: synthetic minus real share of the rows per cell, in percentage points."""
    from matplotlib.colors import Normalize

    from synthaudit.report.plots import _plt, _svg

    plt = _plt()
    rows, cols = [str(x) for x in payload["rows"]], [str(x) for x in payload["cols"]]
    d = 100 * (_array(payload["synthetic"]) - _array(payload["real"]))
    fig, ax = plt.subplots(figsize=(max(3.4, 0.55 * len(cols) + 1.9), max(2.2, 0.32 * len(rows) + 1.2)))
    if d.size == 0:
        ax.text(0.5, 0.5, "nothing to draw", ha="center", va="center", transform=ax.transAxes)
        return _svg(fig, f"{payload.get('title', '')}: nothing to draw")
    lim = max(float(np.nanmax(np.abs(d))), 0.5)
    im = ax.imshow(d, cmap="RdBu_r", norm=Normalize(-lim, lim), aspect="auto", interpolation="nearest")
    ax.set_xticks(range(len(cols)), cols, rotation=35 if len(cols) > 3 else 0, ha="right" if len(cols) > 3
                  else "center", fontsize=8)
    ax.set_yticks(range(len(rows)), rows, fontsize=8)
    ax.tick_params(length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    for i in range(d.shape[0]):
        for j in range(d.shape[1]):
            if abs(d[i, j]) >= 0.05:
                ax.text(j, i, f"{d[i, j]:+.1f}", ha="center", va="center", fontsize=6.5,
                        color="white" if abs(d[i, j]) >= 0.6 * lim else "#1a1a1a")
    ax.set_xlabel(_short(payload.get("xlabel", ""), 30))
    ax.set_ylabel(_short(payload.get("ylabel", ""), 30))
    ax.set_title(f"{payload.get('title', '')}\n{payload.get('subtitle', '')}", fontsize=9)
    fig.colorbar(im, ax=ax, fraction=0.05, pad=0.03, label="synthetic − real (pp)")
    return _svg(fig, f"{payload.get('title', '')}: crosstab difference, synthetic minus real share of rows")


#: the figure kinds this module adds (the report looks them up through the modality's report_figures hook)
DRAW = {"association": association_svg, "pair_density": pair_density_svg, "crosstab_diff": crosstab_svg}
