"""Report figures of the time-series modality (the tutorial's sequential data), drawn beside the fidelity metrics:

* sample series: a few real and synthetic series (first channels), the same ones every run (content order);
* ACF curves: per channel (up to ``MAX_CHANNELS``), the mean autocorrelation over series, real vs synthetic;
* length histograms: real vs synthetic series lengths (when they differ);
* the discriminator's most confidently "fake" synthetic series (from ``timeseries.discriminative_score``);
* event sequences: the most frequent transitions (a -> b), real vs synthetic.

A streamed role is drawn from the seeded sample its global metrics saw (none when no global metric read it).
"""
from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from synthaudit.data.inputs import AuditInputs
    from synthaudit.data.timeseries import SeriesSet

N_SAMPLES = 3  # series per side in the sample figure
MAX_CHANNELS = 6  # channels with their own figure (sample series and ACF curves)
MAX_POINTS = 400  # steps drawn per series (longer series: the first ones)
TOP = 12  # transitions in the event figure


def figures(metrics: list[Any], inputs: "AuditInputs | None" = None) -> list[dict]:
    """Plot specs (plain JSON, stored in report.json)."""
    from synthaudit.data.timeseries import loaded_series

    syn = loaded_series(inputs, "synthetic") if inputs is not None else None
    if syn is None:  # a synthetic file streamed by the metrics and sampled by none: nothing in memory to draw
        return []
    real = loaded_series(inputs, "real_reference")
    if syn.is_events:
        return [f for f in (_transitions(real, syn),) if f]
    out = _samples(real, syn) + _acf_curves(metrics, real, syn) + [f for f in (_lengths(real, syn),) if f]
    out += _most_fake(metrics, real, syn)
    return out


def _pick(sset: "SeriesSet", n: int) -> list[int]:
    from synthaudit.data.timeseries import content_key

    return sorted(range(len(sset)), key=lambda i: content_key(sset, i))[:n]


def _line(sset: "SeriesSet", i: int, c: int, side: str, label: str | None = None) -> dict:
    y = sset.values[i][:MAX_POINTS, c]
    return {"side": side, "label": label or side, "x": list(range(y.size)),
            "y": [None if np.isnan(v) else float(v) for v in y]}


def _samples(real: "SeriesSet | None", syn: "SeriesSet") -> list[dict]:
    out = []
    for c, name in enumerate(syn.channels[:MAX_CHANNELS]):
        lines = [_line(real, i, c, "real") for i in _pick(real, N_SAMPLES)] if real is not None else []
        lines += [_line(syn, i, c, "synthetic") for i in _pick(syn, N_SAMPLES)]
        out.append({"kind": "lines", "dimension": "fidelity", "title": f"Sample series: {name}", "lines": lines,
                    "xlabel": "time step", "ylabel": name,
                    "caption": f"{N_SAMPLES} real (solid) and {N_SAMPLES} synthetic (dashed) series, the same ones "
                               "every run (chosen by a hash of their content)"})
    return out


def _acf_curves(metrics: list[Any], real: "SeriesSet | None", syn: "SeriesSet") -> list[dict]:
    from synthaudit.stats.timeseries import mean_acf  # the mean ACF curve timeseries.acf_distance compares

    if real is None:
        return []
    acf = next((m for m in metrics if m.id == "timeseries.acf_distance" and m.value is not None), None)
    lags = int(acf.notes.get("max_lag", 10)) if acf is not None else 10
    out = []
    for c, name in enumerate(syn.channels[:MAX_CHANNELS]):
        mr, ms = mean_acf(real.values, c, lags)[0], mean_acf(syn.values, c, lags)[0]
        if mr is None or ms is None:
            continue
        x = list(range(1, lags + 1))
        out.append({"kind": "lines", "dimension": "fidelity", "title": f"Mean ACF: {name}", "xlabel": "lag",
                    "ylabel": "autocorrelation", "lines": [
                        {"side": "real", "label": "real", "x": x, "y": [float(v) for v in mr]},
                        {"side": "synthetic", "label": "synthetic", "x": x, "y": [float(v) for v in ms]}],
                    "caption": "Mean autocorrelation over series at lags 1..max_lag (timeseries.acf_distance is the "
                               "mean absolute gap between these curves, over channels)"})
    return out


def _lengths(real: "SeriesSet | None", syn: "SeriesSet") -> dict | None:
    if real is None:
        return None
    lr, ls = real.lengths(), syn.lengths()
    if lr.min() == lr.max() == ls.min() == ls.max():
        return None
    lo, hi = float(min(lr.min(), ls.min())), float(max(lr.max(), ls.max()))
    edges = np.linspace(lo, hi if hi > lo else lo + 1, 21)
    share = [(np.histogram(v, bins=edges)[0] / v.size).tolist() for v in (lr, ls)]
    return {"kind": "hist", "dimension": "fidelity", "title": "Series lengths", "edges": edges.tolist(),
            "real": share[0], "synthetic": share[1], "xlabel": "time steps",
            "caption": "Length distributions (timeseries.ext.length_similarity is 1 - their KS distance)"}


def _most_fake(metrics: list[Any], real: "SeriesSet | None", syn: "SeriesSet") -> list[dict]:
    disc = next((m for m in metrics if m.id == "timeseries.discriminative_score" and m.value is not None), None)
    if disc is None:
        return []
    rows = [r for r in disc.breakdown if r.get("kind") == "most_fake"][:N_SAMPLES]
    index = {sid: i for i, sid in enumerate(syn.ids)}
    picked = [(index[r["series_id"]], r["p_synthetic"]) for r in rows if r.get("series_id") in index]
    if not picked:
        return []
    lines = [_line(real, i, 0, "real", "real (sample)") for i in _pick(real, 2)] if real is not None else []
    lines += [_line(syn, i, 0, "synthetic", "most confidently fake") for i, _ in picked]
    probs = ", ".join(f"{syn.ids[i]} ({p:.2f})" for i, p in picked)
    return [{"kind": "lines", "dimension": "fidelity", "title": f"Most confidently fake: {syn.channels[0]}",
             "lines": lines, "xlabel": "time step", "ylabel": syn.channels[0],
             "caption": f"The held-out synthetic series the discriminator was surest were synthetic: {probs} "
                        "(probability of 'synthetic'); two real series for comparison"}]


def _transitions(real: "SeriesSet | None", syn: "SeriesSet") -> dict | None:
    if real is None:
        return None

    def shares(sset: "SeriesSet") -> Counter:
        c: Counter = Counter()
        for seq in sset.events:
            c.update(zip(seq[:-1], seq[1:]))
        return c

    cr, cs = shares(real), shares(syn)
    nr, ns = sum(cr.values()), sum(cs.values())
    if not nr or not ns:
        return None
    top = [g for g, _ in (cr + cs).most_common(TOP)]
    return {"kind": "groups", "dimension": "fidelity", "title": "Most frequent transitions",
            "groups": [f"{a} → {b}" for a, b in top],
            "series": {"real": [cr[g] / nr for g in top], "synthetic": [cs[g] / ns for g in top]},
            "ylabel": "share of transitions",
            "caption": "Consecutive event pairs, pooled over sequences (timeseries.ext.transition_distance is the "
                       "total variation between these distributions)"}
