"""Agent diversity (survey section 7.2): TTSG's agent and road diversity across repeated generations, and VBench
axes of rendered rollouts (subject consistency, motion smoothness, video-condition consistency)."""
from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np

from synthaudit.data.agent import Episode, episodes_of
from synthaudit.metrics.agent.common import AGENT, SECTION_QUALITY, SYN, episodes, needs, params, undefined
from synthaudit.metrics.image_text.common import decode_one as decode
from synthaudit.metrics.registry import RecordMetric, register
from synthaudit.metrics.result import MetricResult

#: lateral offset (m) within which another agent is in the ego's lane (half a 4 m lane)
SAME_LANE_M = 2.0
#: relative speed (m/s) below which another agent moves "with" the ego
SAME_SPEED_MPS = 1.0


def relative_position(dx: float, dy: float) -> str:
    """front / behind x left / right (lateral offset beyond half a lane; y grows to the ego's right, as in
    highway-env) -- TTSG's discretised relative position."""
    lon = "front" if dx >= 0 else "behind"
    if abs(dy) < SAME_LANE_M:
        return lon
    return f"{lon}_{'left' if dy < 0 else 'right'}"


def descriptors(e: Episode) -> list[tuple[str, str, str]]:
    """(type, action, relative position) of every other agent of an episode: from its scenario's agents when
    given, else from the first recorded state (action = faster / slower / same_speed than the ego)."""
    from synthaudit.generate.agent.scenarios import descriptors as scenario_descriptors

    given = scenario_descriptors(e.scenario) if isinstance(e.scenario, dict) else []
    if given:
        return given
    first = next((s.state for s in e.steps if isinstance(s.state, dict) and isinstance(s.state.get("ego"), dict)),
                 None)
    if first is None:
        return []
    ego = first["ego"]
    h = float(ego.get("heading", 0.0) or 0.0)
    c, s = np.cos(h), np.sin(h)
    out = []
    for o in first.get("others") or []:
        try:
            dx0, dy0 = float(o["x"]) - float(ego["x"]), float(o["y"]) - float(ego["y"])
        except (KeyError, TypeError, ValueError):
            continue
        dx, dy = c * dx0 + s * dy0, -s * dx0 + c * dy0
        dv = float(o.get("speed", 0.0) or 0.0) - float(ego.get("speed", 0.0) or 0.0)
        act = "same_speed" if abs(dv) < SAME_SPEED_MPS else ("faster" if dv > 0 else "slower")
        out.append((str(o.get("type", "vehicle")), act, relative_position(dx, dy)))
    return out


def road_identifier(e: Episode) -> str | None:
    """The road an episode uses, as ``"<env id>/lanes=<n>"``: its scenario's road, else its environment and lane
    count."""
    from synthaudit.generate.agent.scenarios import road_id

    road = road_id(e.scenario) if isinstance(e.scenario, dict) else None
    if road is not None:
        return road
    if e.env:
        lanes = (e.config or {}).get("lanes_count")
        return f"{e.env}/lanes={lanes}" if lanes is not None else e.env
    return None


def _ratio(items: list[Any], what: str, unit: str) -> MetricResult:
    if not items:
        return undefined(f"no {what} in the episodes")
    counts = Counter(items)
    return MetricResult(value=len(counts) / len(items),
                        breakdown=[{unit: str(k), "count": v} for k, v in counts.most_common(30)],
                        secondary={"unique": len(counts), "total": len(items)},
                        notes={"depends_on": "the number of generations (report both counts)"})


@register(id="agent.agent_diversity", name="Agent diversity (AD)", modality=AGENT, pillar="quality",
          dimension="diversity", section=SECTION_QUALITY, direction="higher_better", range=(0.0, 1.0),
          inputs=("synthetic",), computation="global",
          applies=needs(lambda e: bool(descriptors(e)), "other agents (scenario agents or recorded states)"))
def agent_diversity(inputs, models) -> MetricResult:
    """AD = unique agent descriptors / all descriptors across the generated episodes, a descriptor being (agent
    type, action, relative position discretised to front / behind x left / same lane / right)."""
    items = [d for e in episodes_of(inputs, SYN).episodes for d in descriptors(e)]
    res = _ratio(items, "agent descriptors", "descriptor")
    res.notes["discretisation"] = (f"front/behind by the sign of the longitudinal offset; left/right beyond "
                                   f"{SAME_LANE_M} m lateral offset; actions from the scenario, else faster/slower "
                                   f"than the ego by {SAME_SPEED_MPS} m/s at the first step")
    return res


@register(id="agent.road_diversity", name="Road diversity (RD)", modality=AGENT, pillar="quality",
          dimension="diversity", section=SECTION_QUALITY, direction="higher_better", range=(0.0, 1.0),
          inputs=("synthetic",), computation="global",
          applies=needs(lambda e: road_identifier(e) is not None, "a scenario road or an environment id"))
def road_diversity(inputs, models) -> MetricResult:
    """RD = unique road identifiers / road identifiers used across the generated episodes (the scenario's road
    type and lane count, else the environment id and its lanes_count)."""
    items = [r for e in episodes_of(inputs, SYN).episodes if (r := road_identifier(e)) is not None]
    return _ratio(items, "road identifiers", "road")


# -- VBench axes -----------------------------------------------------------------------------------------------------
def subject_consistency(feats: np.ndarray) -> float:
    """VBench subject consistency: mean over frames t >= 1 of (cos(f_1, f_t) + cos(f_(t-1), f_t)) / 2, clipped at
    0 (VBench uses DINO features; here the configured image features)."""
    f = feats / np.maximum(np.linalg.norm(feats, axis=1, keepdims=True), 1e-12)
    first = np.clip(f[1:] @ f[0], 0, None)
    prev = np.clip(np.sum(f[1:] * f[:-1], axis=1), 0, None)
    return float(np.mean((first + prev) / 2))


def motion_smoothness(frames: list[np.ndarray]) -> float:
    """VBench motion smoothness with a linear frame-interpolation prior: drop the odd frames, predict each from
    its two neighbours by averaging, score 1 - mean |predicted - actual| / 255 (VBench uses the AMT interpolation
    network, so values are not comparable to VBench's)."""
    errs = [np.mean(np.abs((frames[t - 1].astype(float) + frames[t + 1]) / 2 - frames[t]))
            for t in range(1, len(frames) - 1, 2)]
    return float(1.0 - np.mean(errs) / 255.0) if errs else np.nan


DIMENSIONS = ("subject_consistency", "motion_smoothness", "overall_consistency")


@register(id="agent.vbench_dims",
          name="VBench axes for generated rollouts (subject consistency, motion smoothness, video-condition "
               "consistency)", modality=AGENT, pillar="quality",
          dimension="diversity", section=SECTION_QUALITY, direction="higher_better", range=(0.0, 1.0),
          inputs=("synthetic", "videos", "prompts"), models=("video_features", "image_features", "clip"),
          computation="record",
          params={"dimensions": {"default": list(DIMENSIONS)}},
          needs=lambda p, m: ("image_features",) + (("clip",) if "overall_consistency" in p.get("dimensions", ())
                                                     and m.availability("clip") is None else ()),
          applies=needs(lambda e: bool(e.frames) and len(e.frames) >= 3, "at least 3 rendered frames"))
class VbenchMetric(RecordMetric):
    """Per-dimension VBench-style scores of each episode's rendered rollout: subject consistency (configured
    image features), motion smoothness (linear interpolation prior) and overall consistency (CLIP cosine of the
    prompt and the mean frame embedding, when a CLIP model is given). Each dimension is a secondary value; the
    value is their mean (VBench's dimensions are not on a common scale: read them separately)."""

    def init(self, inputs, models):
        return {**super().init(inputs, models), "dims": {d: [] for d in DIMENSIONS}}

    def update(self, state, role, batch):
        from synthaudit.metrics.image_text.common import image_rows

        inputs, models = state["inputs"], state["models"]
        dims = [d for d in params(inputs, self)["dimensions"] if d in DIMENSIONS]
        clip = models.availability("clip") is None and "overall_consistency" in dims
        out = []
        for e in episodes(inputs, batch):
            srcs = list(e.frames or [])
            frames = [f for f in (decode(s) for s in srcs) if f is not None]
            got: dict[str, float] = {}
            if len(frames) >= 3:
                if "subject_consistency" in dims:
                    rows, _ = image_rows(inputs, models, srcs, [str(s) for s in srcs], "image_features")
                    rows = [r for r in rows if r is not None]
                    if len(rows) >= 2:
                        got["subject_consistency"] = subject_consistency(np.stack(rows).astype(float))
                if "motion_smoothness" in dims and len({f.shape for f in frames}) == 1:
                    got["motion_smoothness"] = motion_smoothness(frames)
                if clip and e.prompt:
                    c = models.get("clip")
                    v = np.asarray(c.image_embeddings(frames), dtype=float).mean(axis=0)
                    t = np.asarray(c.text_embeddings([e.prompt]), dtype=float)[0]
                    got["overall_consistency"] = float(v @ t / max(np.linalg.norm(v), 1e-12))
            for d in DIMENSIONS:
                state["dims"][d].append(got.get(d, np.nan))
            out.append(float(np.mean(list(got.values()))) if got else np.nan)
        state["scores"].append(np.array(out, dtype=float))
        return state

    def merge(self, a, b):
        return {**super().merge(a, b), "dims": {d: a["dims"][d] + b["dims"][d] for d in DIMENSIONS}}

    def finalize(self, state, inputs, models) -> MetricResult:
        from synthaudit.metrics.image_text.common import backend_name

        res = super().finalize(state, inputs, models)
        for d in DIMENSIONS:
            v = np.array(state["dims"][d], dtype=float)
            res.secondary[d] = float(np.nanmean(v)) if np.any(~np.isnan(v)) else None
        res.notes.update(subject_features=backend_name(models, "image_features"),
                         motion_prior="linear blend of neighbouring frames (not AMT)",
                         overall_consistency="CLIP prompt vs mean frame" if models.availability("clip") is None
                         else "not computed: no CLIP model (--clip)",
                         value="mean of the computed dimensions; read each separately")
        return res
