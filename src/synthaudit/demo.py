"""``synthaudit demo``: the tutorial's hands-on tour, offline, one section per registered modality.

Each modality with a ``demo`` hook adds its section (``(ctx: DemoContext) -> [(title, href, report)]``); the
tabular section writes the tour's main report (``OUT/report.html``) and always runs. ``OUT/index.html`` links
every report with its headline numbers.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

MAIN = "tabular"  # the section that always runs and writes OUT/report.html


@dataclass
class DemoContext:
    """What every section gets: where to write, the seed, progress and echo, and a place to share data between
    sections (e.g. generated records that two modalities audit)."""

    out: Path
    seed: int = 0
    progress: bool | None = None
    echo: Callable[[str], None] = print
    shared: dict[str, Any] = field(default_factory=dict)
    paths: dict[str, Path] = field(default_factory=dict)


def demo_modalities() -> list[str]:
    from synthaudit.modalities import modalities

    return [m.name for m in modalities().values() if m.demo is not None]


def run_demo(out: Path, *, seed: int = 0, progress: bool | None = None, echo: Callable[[str], None] = print,
             modalities: tuple[str, ...] | None = None):
    """Run the tour; returns the main (tabular) report and the paths of the files written."""
    from synthaudit.modalities import get_modality

    chosen = set(modalities or demo_modalities()) | {MAIN}
    ctx = DemoContext(out=Path(out), seed=seed, progress=progress, echo=echo)
    entries: list = []
    for name in demo_modalities():
        if name in chosen:
            entries.extend(get_modality(name).hook("demo")(ctx))
    index = Path(out) / "index.html"
    index.write_text(_index_html(entries), encoding="utf-8")
    ctx.paths["index"] = index
    echo(f"demo: wrote {index} (every report of the tour)")
    return entries[0][2], ctx.paths


def _index_html(entries) -> str:
    from html import escape

    rows = []
    for title, href, rep in entries:
        if href is None:
            rows.append(f"<tr><td>{escape(title)}</td><td colspan='3'>{escape(str(rep))}</td></tr>")
            continue
        ok = [m for m in rep.metrics if m.status == "ok"]
        values = ", ".join(f"{m.id} = {m.value:.3g}" for m in ok[:6] if m.value is not None)
        rows.append(f"<tr><td><a href='{escape(href)}'>{escape(title)}</a></td><td>{len(ok)} ran, "
                    f"{len(rep.gaps)} gaps</td><td>{'pass' if rep.passed else 'gate failed'}</td>"
                    f"<td>{escape(values)}</td></tr>")
    return ("<!doctype html><html lang='en'><head><meta charset='utf-8'><title>synthaudit demo</title>"
            "<style>body{font-family:system-ui,sans-serif;margin:2rem;max-width:70rem}td,th{padding:.3rem .6rem;"
            "border-bottom:1px solid #ddd;text-align:left;vertical-align:top}</style></head><body>"
            "<h1>synthaudit demo: one report per modality</h1><p>Generated and audited offline "
            "(scikit-learn data, the Gaussian copula, SmolLM2-135M-Instruct).</p><table><thead><tr><th>report</th>"
            "<th>metrics</th><th>gates</th><th>headline values</th></tr></thead><tbody>" + "".join(rows)
            + "</tbody></table></body></html>\n")
