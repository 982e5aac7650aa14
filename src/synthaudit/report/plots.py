"""Inline SVG plots for the HTML report (matplotlib, Agg backend; text stays text so that the browser's
local fonts render any script, e.g. CJK category names; no network)."""
from __future__ import annotations

import io
import re
import warnings
from typing import Any

import numpy as np

REAL_COLOR = "#1f5f99"   # blue
SYN_COLOR = "#d9822b"    # orange (distinguishable for common colour-vision deficiencies)


def _plt():
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    plt.rcParams.update({"svg.fonttype": "none", "font.size": 9, "axes.spines.top": False,
                         "axes.spines.right": False, "svg.hashsalt": "synthaudit"})
    return plt


def _svg(fig, alt: str) -> str:
    buf = io.StringIO()
    with warnings.catch_warnings():  # glyphs missing from matplotlib's layout font: the browser draws them
        warnings.filterwarnings("ignore", message="Glyph .* missing from font")
        fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None, "Creator": None})
    _plt().close(fig)
    text = buf.getvalue()
    text = text[text.index("<svg"):]
    title = alt.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = re.sub(r"<svg ", f'<svg role="img" aria-label="{title}" ', text, count=1)
    return text


def marginal_svg(payload: dict[str, Any]) -> str:
    """Real vs synthetic marginal: step histogram for numbers, grouped bars for categories."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(4.2, 2.6))
    title = str(payload.get("title", ""))
    if payload["kind"] == "hist":
        # a report.json stores inf/NaN as null: bins without finite edges cannot be drawn (an empty plot, not
        # a failed report)
        edges = np.asarray([np.nan if e is None else e for e in payload["edges"]], dtype=float)
        if edges.size < 2 or not np.isfinite(edges).all() or np.any(np.diff(edges) < 0):
            ax.text(0.5, 0.5, "no finite bin edges to draw", ha="center", va="center", transform=ax.transAxes)
            ax.set_title(title)
            return _svg(fig, f"Histogram of {title}: no finite values to draw")
        x = edges
        if payload.get("datetime"):
            x = edges.astype("datetime64[ns]")
            fig.autofmt_xdate()
        names = payload.get("labels") or {}
        if payload.get("real") is not None:
            ax.stairs(payload["real"], x, label=names.get("real", "real"), color=REAL_COLOR, linewidth=1.6)
        ax.stairs(payload["synthetic"], x, label=names.get("synthetic", "synthetic"), color=SYN_COLOR,
                  linewidth=1.6, linestyle="--")
        ax.set_ylabel("share of rows")
        if payload.get("xlabel"):
            ax.set_xlabel(payload["xlabel"])
        alt = (f"Histogram of {title}: {names.get('real', 'real')} vs {names.get('synthetic', 'synthetic')}"
               if payload.get("real") is not None else f"Histogram of {title}: {names.get('synthetic', 'synthetic')}")
    else:
        labels = [lbl if len(lbl) <= 14 else lbl[:13] + "…" for lbl in payload["labels"]]
        pos = np.arange(len(labels))
        ax.bar(pos - 0.2, payload["real"], width=0.4, label="real", color=REAL_COLOR)
        ax.bar(pos + 0.2, payload["synthetic"], width=0.4, label="synthetic", color=SYN_COLOR, hatch="//",
               edgecolor="white")
        ax.set_xticks(pos, labels, rotation=40, ha="right")
        ax.set_ylabel("share of rows")
        alt = f"Category frequencies of {title}: real vs synthetic"
    ax.set_title(title)
    ax.legend(frameon=False)
    return _svg(fig, alt)


def pair_heatmap_svg(columns: list[str], matrix: np.ndarray, title: str) -> str:
    """Column x column heatmap of pairwise differences (NaN cells left blank)."""
    plt = _plt()
    k = len(columns)
    size = min(9.0, 1.6 + 0.32 * k)
    fig, ax = plt.subplots(figsize=(size + 1.0, size))
    masked = np.ma.masked_invalid(matrix)
    vmax = max(0.05, float(np.nanmax(matrix)) if np.isfinite(matrix).any() else 0.05)
    im = ax.imshow(masked, cmap="Reds", vmin=0, vmax=vmax)
    short = [c if len(c) <= 18 else c[:17] + "…" for c in columns]
    ax.set_xticks(range(k), short, rotation=90)
    ax.set_yticks(range(k), short)
    ax.set_title(title)
    fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04, label="difference (0 = same)")
    return _svg(fig, f"{title}: {k} columns; darker cells differ more")


def heatmap_svg(payload: dict[str, Any]) -> str:
    """A figure spec ``{"kind": "heatmap", "labels": [...], "matrix": [[...]], "title": ...}`` (None = blank)."""
    matrix = np.array([[np.nan if v is None else v for v in row] for row in payload["matrix"]], dtype=float)
    return pair_heatmap_svg(list(payload["labels"]), matrix, payload.get("title", ""))


def bar_svg(labels: list[str], values: list[float], title: str, xlabel: str) -> str:
    plt = _plt()
    fig, ax = plt.subplots(figsize=(4.6, 0.35 * len(labels) + 0.9))
    pos = np.arange(len(labels))
    ax.barh(pos, values, color=SYN_COLOR)
    ax.set_yticks(pos, labels)
    ax.invert_yaxis()
    ax.set_xlabel(xlabel)
    ax.set_title(title)
    return _svg(fig, f"{title}: bar chart")


def groups_svg(payload: dict[str, Any]) -> str:
    """Grouped bars: one group per category (e.g. protected group), one bar per series (e.g. TSTR, TRTR)."""
    plt = _plt()
    groups = [str(g) if len(str(g)) <= 16 else str(g)[:15] + "…" for g in payload["groups"]]
    series = payload["series"]
    fig, ax = plt.subplots(figsize=(max(3.6, 0.9 * len(groups) * max(1, len(series)) / 2 + 1.5), 2.8))
    pos = np.arange(len(groups))
    width = 0.8 / max(len(series), 1)
    colors = [REAL_COLOR, SYN_COLOR, "#5a8f29", "#8c4a9e", "#b03a2e"]
    hatches = ["", "//", "..", "xx", "\\\\"]
    for i, (name, values) in enumerate(series.items()):
        vals = [np.nan if v is None else v for v in values]
        ax.bar(pos + (i - (len(series) - 1) / 2) * width, vals, width=width, label=name,
               color=colors[i % len(colors)], hatch=hatches[i % len(hatches)], edgecolor="white")
    ax.set_xticks(pos, groups, rotation=30 if len(groups) > 4 else 0, ha="right" if len(groups) > 4 else "center")
    ax.set_ylabel(payload.get("ylabel", ""))
    ax.set_title(payload.get("title", ""))
    if len(series) > 1:  # one series: the axis label says what the bars are
        ax.legend(frameon=False)
    return _svg(fig, f"{payload.get('title', 'grouped bars')}: {', '.join(series)} per group")


def curve_svg(payload: dict[str, Any]) -> str:
    """A curve against the ideal diagonal (alpha-precision / beta-coverage curves)."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(3.4, 3.0))
    x = np.asarray(payload["x"], dtype=float)
    ax.plot([0, 1], [0, 1], color="#777777", linestyle=":", label="ideal")
    ax.plot(x, payload["y"], color=SYN_COLOR, linewidth=1.8, marker="o", markersize=2.5, label="synthetic")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel(payload.get("xlabel", ""))
    ax.set_ylabel(payload.get("ylabel", ""))
    ax.set_title(payload.get("title", ""))
    ax.legend(frameon=False, loc="upper left")
    return _svg(fig, f"{payload.get('title', 'curve')} against the ideal diagonal")


def lines_svg(payload: dict[str, Any]) -> str:
    """Lines against a common x axis (e.g. sample series, ACF curves): ``{"kind": "lines", "lines": [{"label",
    "x", "y", "side": "real" | "synthetic" | other}], "title", "xlabel", "ylabel"}``; real lines solid blue,
    synthetic dashed orange; one legend entry per label."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(4.6, 2.8))
    styles = {"real": (REAL_COLOR, "-"), "synthetic": (SYN_COLOR, "--")}
    seen: set[str] = set()
    for line in payload["lines"]:
        color, style = styles.get(str(line.get("side")), ("#5a8f29", ":"))
        label = str(line.get("label", line.get("side", "")))
        y = np.asarray([np.nan if v is None else v for v in line["y"]], dtype=float)
        ax.plot(line.get("x", np.arange(y.size)), y, color=color, linestyle=style, linewidth=1.3,
                alpha=float(line.get("alpha", 0.9)), label=None if label in seen else label)
        seen.add(label)
    ax.set_xlabel(payload.get("xlabel", ""))
    ax.set_ylabel(payload.get("ylabel", ""))
    ax.set_title(payload.get("title", ""))
    if len(seen) > 1:
        ax.legend(frameon=False, fontsize=8)
    return _svg(fig, f"{payload.get('title', 'lines')}: {', '.join(sorted(seen))}")


#: the embedding map's synthetic points: dark orange, 6.2:1 on white (SYN_COLOR, 2.9:1, is for lines and bars)
SCATTER_SYN_COLOR = "#9c4a00"
SCATTER_ALPHA = 0.85


def scatter_svg(payload: dict[str, Any]) -> str:
    """Points per series, e.g. the 2-D projection of real vs synthetic embeddings (the embedding map)."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(4.8, 3.8))
    # filled markers of distinct shapes; colours >= 4.5:1 on white even at the fill's alpha (blue / dark orange,
    # told apart with the common colour-vision deficiencies); a thin white edge separates overlapping points
    styles = {"real": (REAL_COLOR, "o", 30), "synthetic": (SCATTER_SYN_COLOR, "D", 26)}
    others = [("#2b6314", "s", 24), ("#7b3f8e", "^", 30)]
    for i, series in enumerate(payload["series"]):
        color, marker, size = styles.get(str(series["label"]), others[i % len(others)])
        ax.scatter(series["x"], series["y"], s=size, alpha=SCATTER_ALPHA, color=color, marker=marker,
                   edgecolors="white", linewidths=0.4, label=f"{series['label']} ({len(series['x'])})",
                   zorder=2 + i)
    ax.set_xlabel(payload.get("xlabel", ""))
    ax.set_ylabel(payload.get("ylabel", ""))
    ax.set_title(payload.get("title", ""))
    legend = ax.legend(frameon=True, framealpha=0.9, edgecolor="#d0d7de", markerscale=1.4, loc="best")
    for handle in getattr(legend, "legend_handles", None) or getattr(legend, "legendHandles", []):
        handle.set_alpha(1.0)
    names = ", ".join(str(s["label"]) for s in payload["series"])
    return _svg(fig, f"{payload.get('title', 'scatter plot')}: {names}")
