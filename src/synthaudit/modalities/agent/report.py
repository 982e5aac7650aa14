"""Report figures of the agent modality (survey section 7), drawn beside the metrics of their dimension:

* the per-type violation table (counts, per km, episodes affected; the diagnostic breakdown the survey finds
  missing from agent papers, Table 7), synthetic beside real;
* ego trajectories (x-y paths) of a few episodes per side;
* the time-to-collision distribution over all steps with a closing in-path agent;
* the episodes that failed replay: the first failed action and the first step whose replayed state diverges
  from the recorded one, and claims the replay contradicts.

A streamed role is drawn from the first episodes of the seeded sample its global metrics saw (none when no global
metric read it).
"""
from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from synthaudit.data.inputs import AuditInputs

PATHS = 6  # trajectories drawn per side
#: episodes of a streamed role's sample drawn (their telemetry is replayed again for the figures)
STREAMED_EPISODES = 200
TTC_CAP = 10.0  # seconds: the histogram's last bin
FAILED_ROWS = 12


def table_html(spec: dict) -> str:
    """A small HTML table: ``{"kind": "table", "columns": [...], "rows": [[...], ...]}``."""
    head = "".join(f"<th>{escape(str(c))}</th>" for c in spec["columns"])
    body = "".join("<tr>" + "".join(f"<td>{escape(_cell(v))}</td>" for v in row) + "</tr>" for row in spec["rows"])
    title = f"<p><strong>{escape(spec['title'])}</strong></p>" if spec.get("title") else ""
    return f'{title}<table class="data"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _cell(v: Any) -> str:
    if v is None:
        return "–"
    if isinstance(v, float):
        return f"{v:.3g}"
    return str(v)


DRAW = {"table": table_html}


def _episode_telemetry(inputs: "AuditInputs", role: str) -> list[tuple[Any, Any]]:
    from synthaudit.data.agent import indexed_episodes
    from synthaudit.metrics.agent.common import telemetry_of

    if not inputs.tables[role].materialized:  # streamed and sampled by no global metric: nothing in memory to draw
        return []
    out = []
    for i, e in indexed_episodes(inputs, role)[:STREAMED_EPISODES if role in _streamed(inputs) else None]:
        try:
            tel, _ = telemetry_of(inputs, i, e, role)
        except Exception:  # a malformed episode: its metrics report it; the figure leaves it out
            tel = None
        if tel is not None:
            out.append((e, tel))
    return out


def _streamed(inputs: "AuditInputs") -> list[str]:
    return list(inputs.extra.get("head_episodes") or {})


def _violation_table(sides: dict[str, list]) -> dict | None:
    from synthaudit.stats.driving import INFRACTION_TYPES, distance_travelled, violations

    cols, rows_by_type = ["infraction"], {t: [t] for t in INFRACTION_TYPES}
    any_rows = False
    for label, items in sides.items():
        if not items:
            continue
        any_rows = True
        per = [(violations(tel), distance_travelled(tel)) for _, tel in items]
        km = sum(d for _, d in per) / 1000.0
        cols += [f"{label}: count", f"{label}: per km", f"{label}: episodes"]
        for t in INFRACTION_TYPES:
            n = sum(v.type == t for vs, _ in per for v in vs)
            eps = sum(any(v.type == t for v in vs) for vs, _ in per)
            rows_by_type[t] += [n, n / km if km > 0 else None, f"{eps}/{len(per)}"]
    if not any_rows:
        return None
    return {"kind": "table", "dimension": "safety", "title": "Violations per type", "columns": cols,
            "rows": list(rows_by_type.values()),
            "caption": "Rule checks on the replayed telemetry (the recorded one where not replayed): collisions, "
                       "off-road, lane markings crossed, speeding, below the traffic's minimum speed, and the red "
                       "lights / stop signs a simulator flags. Per km pools the distance of every episode."}


def _paths(sides: dict[str, list]) -> dict | None:
    lines = []
    for label, items in sides.items():
        for _, tel in items[:PATHS]:
            lines.append({"side": label, "label": label, "x": tel.pos[:, 0].round(2).tolist(),
                          "y": [None if np.isnan(v) else float(v) for v in tel.pos[:, 1].round(2)]})
    if not lines:
        return None
    return {"kind": "lines", "dimension": "safety", "title": "Ego trajectories", "lines": lines, "xlabel": "x (m)",
            "ylabel": "y (m, lanes)", "caption": f"The ego vehicle's path in the first {PATHS} episodes per side."}


def _ttc(sides: dict[str, list]) -> dict | None:
    from synthaudit.stats.driving import ttc_series

    values = {}
    for label, items in sides.items():
        if items:
            v = np.concatenate([ttc_series(tel) for _, tel in items])
            values[label] = np.minimum(v[np.isfinite(v)], TTC_CAP)
    syn = values.get("synthetic")
    if syn is None or not syn.size:
        return None
    edges = np.linspace(0.0, TTC_CAP, 21)

    def share(v):
        return (np.histogram(v, bins=edges)[0] / max(v.size, 1)).tolist()

    real = values.get("real")
    return {"kind": "hist", "dimension": "safety", "title": "Time to collision", "edges": edges.tolist(),
            "synthetic": share(syn), "real": share(real) if real is not None and real.size else None,
            "xlabel": f"seconds (capped at {TTC_CAP:g})",
            "caption": f"TTC at every step with a closing in-path agent ({syn.size} synthetic steps); below 1.5-3 s "
                       "is the usual risk zone (agent.min_ttc takes each episode's minimum)."}


def _failed(metrics: list[Any]) -> dict | None:
    m = next((m for m in metrics if m.id == "agent.exec_rate"), None)
    failed = (m.notes or {}).get("failed_replays") if m is not None else None
    if not failed:
        return None
    rows = []
    for f in failed[:FAILED_ROWS]:
        first = next((x for x in f.get("failures") or [] if x.get("kind") != "not_executed"), None)
        div = f.get("first_divergence")
        rows.append([f["episode_id"], f"{f['executed']}/{f['actions']}",
                     f"step {first['step']}: {first['kind']} ({first.get('message') or ''})"[:140] if first else None,
                     (f"step {div['step']}: {div['field']} recorded {div['recorded']}, replayed {div['replayed']}"
                      [:140] if div else None),
                     "; ".join(f.get("mismatches") or [])[:160] or None])
    return {"kind": "table", "dimension": "validity", "title": "Episodes that failed replay", "rows": rows,
            "columns": ["episode", "executed", "first failed action", "first diverging step", "claims contradicted"],
            "caption": f"{len(failed)} episode(s) with a failed action, a divergence from the recorded states or a "
                       f"contradicted claim (the first {min(len(failed), FAILED_ROWS)} shown)."}


def figures(metrics: list[Any], inputs: "AuditInputs | None" = None) -> list[dict]:
    """Plot specs (plain JSON, stored in report.json)."""
    out = [f for f in (_failed(metrics),) if f]
    if inputs is None or "synthetic" not in inputs.tables:
        return out
    sides = {"synthetic": _episode_telemetry(inputs, "synthetic")}
    if "real_reference" in inputs.tables:
        sides["real"] = _episode_telemetry(inputs, "real_reference")
    out += [f for f in (_violation_table(sides), _paths(sides), _ttc(sides)) if f]
    return out
