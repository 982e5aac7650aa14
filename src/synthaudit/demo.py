"""``synthaudit demo``: the tutorial's hands-on tour, offline, one section per registered modality.

Each modality with a ``demo`` hook adds its section (``(ctx: DemoContext) -> [DemoEntry]``): data generated
offline (cached: the LLM's answers stay in the response cache, so a second run is fast), a good variant and a
deliberately flawed one audited side by side, so the report shows what a catch looks like. The tabular
section writes the tour's main report (``OUT/report.html``) and always runs. ``OUT/index.html`` says per
modality what was generated, the verdict and the one catch to look at.
"""
from __future__ import annotations

import math
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

MAIN = "tabular"  # the section that always runs and writes OUT/report.html


@dataclass
class DemoEntry:
    """One audited data set of the tour."""

    modality: str
    title: str
    href: str | None  # the report, relative to OUT
    report: Any = None
    generated: str = ""  # what was generated, how
    catch: str | None = None  # the one thing to look at in this report
    error: str | None = None
    summary: str | None = None  # shown instead of the verdict for a page that is not one report (a comparison)


@dataclass
class DemoContext:
    """What every section gets: where to write, the seed, progress and echo, a place to share data between
    sections, and ``step`` to time and announce each step."""

    out: Path
    seed: int = 0
    progress: bool | None = None
    echo: Callable[[str], None] = print
    shared: dict[str, Any] = field(default_factory=dict)
    paths: dict[str, Path] = field(default_factory=dict)
    steps: list[dict[str, Any]] = field(default_factory=list)
    _llm: Any = None

    def llm(self) -> Any:
        """The offline SmolLM2 client every section shares (one model load). The demo batches local generation:
        an answer then depends on its batch, and the same tour gives the same answers (cached across runs)."""
        if self._llm is None:
            from synthaudit.models.llm import LLMClient

            self._llm = LLMClient(model="smollm2", local_batch=32)
        return self._llm

    @contextmanager
    def step(self, label: str) -> Iterator[None]:
        """Announce a step, then say how long it took (wall and CPU seconds of this process)."""
        n = len(self.steps) + 1
        self.echo(f"demo [{n}] {label} ...")
        t0, c0 = time.perf_counter(), time.process_time()
        try:
            yield
        finally:
            wall, cpu = time.perf_counter() - t0, time.process_time() - c0
            self.steps.append({"step": label, "wall_s": round(wall, 2), "cpu_s": round(cpu, 2)})
            self.echo(f"demo [{n}] {label}: done in {wall:.1f} s ({cpu:.1f} s CPU)")


def demo_modalities() -> list[str]:
    from synthaudit.modalities import modalities

    return [m.name for m in modalities().values() if m.demo is not None]


def run_demo(out: Path, *, seed: int = 0, progress: bool | None = None, echo: Callable[[str], None] = print,
             modalities: tuple[str, ...] | None = None):
    """Run the tour; returns the main (tabular) report and the paths of the files written."""
    from synthaudit.modalities import get_modality

    chosen = set(modalities or demo_modalities()) | {MAIN}
    ctx = DemoContext(out=Path(out), seed=seed, progress=progress, echo=echo)
    (ctx.out / "data").mkdir(parents=True, exist_ok=True)
    entries: list[DemoEntry] = []
    t0, c0 = time.perf_counter(), time.process_time()
    for name in demo_modalities():
        if name in chosen:
            entries.extend(get_modality(name).hook("demo")(ctx))
    index = ctx.out / "index.html"
    index.write_text(index_html(entries, ctx.steps), encoding="utf-8")
    ctx.paths["index"] = index
    echo(f"demo: {len(entries)} reports in {time.perf_counter() - t0:.0f} s ({time.process_time() - c0:.0f} s CPU "
         f"in this process); every report of the tour: {index}")
    main = next(e.report for e in entries if e.modality == MAIN and e.report is not None)
    return main, ctx.paths


# -- comparing a good and a flawed variant --------------------------------------------------------------

def worsening(good: Any, bad: Any, metric: str) -> float | None:
    """How much worse ``bad`` is than ``good`` on one metric, in the metric's direction (for a target metric: the
    distance from the target), as a share of its range when bounded; None when either value is missing or the
    metric has no better direction."""
    try:
        g, b = good.result(metric), bad.result(metric)
    except KeyError:
        return None
    target = getattr(g, "target_value", None)
    if g.value is None or b.value is None or not (g.direction in ("lower_better", "higher_better") or
                                                  (g.direction == "target" and target is not None)):
        return None
    if g.direction == "target":  # further from the target (e.g. DCR's 0.5) is worse
        diff = abs(b.value - target) - abs(g.value - target)
    else:
        diff = (b.value - g.value) if g.direction == "lower_better" else (g.value - b.value)
    lo, _, hi = (g.range or "[,]")[1:-1].partition(",")
    try:
        width = float(hi) - float(lo)
    except ValueError:
        width = math.inf
    return diff / width if math.isfinite(width) and width > 0 else diff / max(abs(g.value), 1e-9)


def catch_text(good: Any, bad: Any, metrics: list[str], label: str) -> str | None:
    """The metric on which the flawed variant is most clearly worse, with both values."""
    scored = [(w, m) for m in metrics if (w := worsening(good, bad, m)) is not None and w > 0]
    if not scored:
        return None
    _, m = max(scored)
    return f"{m}: {good.value(m):.3g} here vs {bad.value(m):.3g} on the {label}; {good.result(m).good}"


def verdict(report: Any) -> str:
    failed = [m.id for m in report.metrics if m.status == "failed"]
    ran = sum(m.status == "ok" for m in report.metrics)
    parts = [f"{ran} metrics ran", f"{len(report.gaps)} gaps"]
    if report.policy is None:
        parts.append("no policy gates")
    else:
        bad = [g.gate for g in report.policy.gates if not g.passed]
        parts.append(f"gates failed: {', '.join(bad)}" if bad else f"all {len(report.policy.gates)} gates pass")
    if failed:
        parts.append(f"failed: {', '.join(failed)}")
    return "; ".join(parts)


def index_html(entries: list[DemoEntry], steps: list[dict[str, Any]]) -> str:
    """The tour's front page, in the reports' style: per modality, what was generated, the verdict, the catch."""
    from html import escape

    from synthaudit.report.html import report_css

    sections: dict[str, list[DemoEntry]] = {}
    for e in entries:
        sections.setdefault(e.modality, []).append(e)
    body = []
    for modality, items in sections.items():
        body.append(f"<section><h2>{escape(modality)}</h2>")
        for e in items:
            title = (f"<a href='{escape(e.href)}'>{escape(e.title)}</a>"
                     if e.href and (e.report is not None or e.summary) else escape(e.title))
            rows = [f"<dt>generated</dt><dd>{escape(e.generated)}</dd>"]
            if e.error:
                rows.append(f"<dt>result</dt><dd class='bad'>{escape(e.error)}</dd>")
            elif e.summary:
                rows.append(f"<dt>result</dt><dd>{escape(e.summary)}</dd>")
            else:
                rows.append(f"<dt>verdict</dt><dd>{escape(verdict(e.report))}</dd>")
            if e.catch:
                rows.append(f"<dt>look at</dt><dd>{escape(e.catch)}</dd>")
            body.append(f"<article class='card'><h3>{title}</h3><dl>{''.join(rows)}</dl></article>")
        body.append("</section>")
    total_wall = sum(s["wall_s"] for s in steps)
    total_cpu = sum(s["cpu_s"] for s in steps)
    step_rows = "".join(f"<tr><td>{escape(s['step'])}</td><td class='num'>{s['wall_s']:.1f}</td>"
                        f"<td class='num'>{s['cpu_s']:.1f}</td></tr>" for s in steps)
    return ("<!doctype html><html lang='en'><head><meta charset='utf-8'><title>synthaudit demo</title>"
            f"<style>{report_css()}\n.card{{border:1px solid #ccc;border-radius:6px;padding:.6rem 1rem;"
            "margin:.8rem 0}.card h3{margin:.2rem 0 .5rem}dl{display:grid;grid-template-columns:8rem 1fr;"
            "gap:.25rem .8rem;margin:0}dt{font-weight:600}dd{margin:0}.bad{color:#9b1c1c}</style></head><body>"
            "<main class='sa'><h1>synthaudit demo: one section per data type</h1>"
            "<p>Everything here was generated and audited offline: real data that ship with installed packages "
            "(scikit-learn, networkx, RDKit) or are recorded on the spot (a web app's logs), generators fitted to "
            "them, and the SmolLM2-135M-Instruct model. Each section audits a good variant beside a deliberately "
            "flawed one; <strong>look at</strong> says where the audit catches the flaw.</p>"
            + "".join(body)
            + "<h2>Steps</h2><table><caption>Time per step (seconds; CPU of the demo's own process)</caption>"
              "<thead><tr><th scope='col'>step</th><th scope='col'>wall</th><th scope='col'>CPU</th></tr></thead>"
              f"<tbody>{step_rows}<tr><td>total</td><td class='num'>{total_wall:.1f}</td>"
              f"<td class='num'>{total_cpu:.1f}</td></tr></tbody></table></main></body></html>\n")
