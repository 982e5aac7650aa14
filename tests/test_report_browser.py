"""The HTML report, final form (issue 6): opens in headless Chromium without console errors or network
requests, is saved as a screenshot artifact, and passes an accessibility basics check (language, title,
heading order, alt text on every figure, table header scopes, text contrast >= 4.5:1)."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest
from sklearn.datasets import load_wine

import synthaudit
from synthaudit.generate.tabular import GaussianCopula
from synthaudit.report.html import render_html

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = Path(os.environ.get("SYNTHAUDIT_TEST_ARTIFACTS", REPO / "test-artifacts"))
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _chromium() -> str | None:
    """Debian's chromium; the test set-up installs it when it is missing and apt can (root, Debian)."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found or not shutil.which("apt-get") or os.geteuid() != 0:
        return found
    for cmd in (["apt-get", "install", "-y", "-q", "chromium"], ["apt-get", "update", "-q"],
                ["apt-get", "install", "-y", "-q", "chromium"]):
        subprocess.run(cmd, capture_output=True, timeout=900, env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
        if shutil.which("chromium"):
            break
    return shutil.which("chromium")


@pytest.fixture(scope="module")
def html_report(tmp_path_factory) -> Path:
    real = load_wine(as_frame=True).frame
    real["target"] = real["target"].map({0: "a", 1: "b", 2: "c"})
    syn = GaussianCopula(seed=0).fit(real).sample(len(real))
    out = tmp_path_factory.mktemp("browser")
    synthaudit.audit("tabular", synthetic=syn, real=real, target="target", seed=0, out=out,
                     metrics=["tabular.kst", "tabular.tvd", "tabular.pearson_score", "tabular.contingency_score",
                              "tabular.beta_recall", "tabular.tstr_auc"])
    return out / "report.html"


def test_report_renders_in_headless_chromium_without_console_errors(html_report, tmp_path):
    chromium = _chromium()
    if chromium is None:
        pytest.skip("Debian's chromium is not installed and could not be installed here (needs root and apt)")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "report-tabular.png"
    shot.unlink(missing_ok=True)
    url = html_report.resolve().as_uri()
    proc = subprocess.run([chromium, *FLAGS, f"--user-data-dir={tmp_path / 'profile'}", "--enable-logging=stderr",
                           "--v=0", f"--screenshot={shot}", "--window-size=1280,2400", url],
                          capture_output=True, text=True, timeout=120)
    log = proc.stdout + proc.stderr
    console = [ln for ln in log.splitlines() if ":CONSOLE" in ln]
    assert not console, "console messages: " + "\n".join(console)  # the report has no scripts: none expected
    assert not re.search(r"net::ERR_|Failed to load resource", log)  # nothing fetched: self-contained
    assert shot.exists() and shot.stat().st_size > 20_000
    import matplotlib.image as mpimg

    pixels = mpimg.imread(shot)
    assert pixels.shape[0] >= 2000 and pixels.std() > 0.05  # drawn, not a blank page
    dom = subprocess.run([chromium, *FLAGS, f"--user-data-dir={tmp_path / 'profile2'}", "--dump-dom", url],
                         capture_output=True, text=True, timeout=120).stdout
    assert "<h1>synthaudit report" in dom and "Coverage matrix" in dom and dom.count("<svg") >= 3


class _Audit(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.lang = self.title = None
        self.headings: list[int] = []
        self.svgs: list[dict] = []
        self.ths: list[dict] = []
        self.imgs: list[dict] = []
        self.scripts = self.links = 0
        self._in_title = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "html":
            self.lang = a.get("lang")
        elif tag == "title":
            self._in_title = True
        elif re.fullmatch(r"h[1-6]", tag):
            self.headings.append(int(tag[1]))
        elif tag == "svg":
            self.svgs.append(a)
        elif tag == "th":
            self.ths.append(a)
        elif tag == "img":
            self.imgs.append(a)
        elif tag == "script":
            self.scripts += 1
        elif tag == "link" or (tag in ("img", "source") and str(a.get("src", "")).startswith("http")):
            self.links += 1

    def handle_data(self, data):
        if self._in_title:
            self.title = (self.title or "") + data

    def handle_endtag(self, tag):
        if tag == "title":
            self._in_title = False


def _luminance(hex_color: str) -> float:
    rgb = [int(hex_color[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast(fg: str, bg: str) -> float:
    hi, lo = sorted((_luminance(fg), _luminance(bg)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_contrast_formula_on_known_pairs():
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)  # WCAG's classic borderline grey


def test_report_passes_accessibility_basics(html_report):
    html = html_report.read_text(encoding="utf-8")
    p = _Audit()
    p.feed(html)
    assert p.lang == "en" and p.title and "synthaudit" in p.title
    assert p.headings[0] == 1 and p.headings.count(1) == 1
    assert all(b - a <= 1 for a, b in zip(p.headings, p.headings[1:])), p.headings  # no skipped level
    assert p.svgs and all(s.get("role") == "img" and s.get("aria-label") for s in p.svgs)
    assert all(i.get("alt") for i in p.imgs)
    assert p.ths and all(t.get("scope") in ("col", "row") for t in p.ths)
    assert p.scripts == 0 and p.links == 0  # works offline, nothing to fetch
    # every text colour of the stylesheet on its background (white unless the rule sets one): >= 4.5:1
    css = html[html.index("<style>"):html.index("</style>")]
    pairs = 0
    for rule in re.findall(r"\{([^}]*)\}", css):
        fg = re.search(r"(?<![-\w])color:\s*(#[0-9a-fA-F]{6})", rule)
        if fg:
            bg = re.search(r"background:\s*(#[0-9a-fA-F]{6})", rule)
            assert contrast(fg.group(1), bg.group(1) if bg else "#ffffff") >= 4.5, rule
            pairs += 1
    assert pairs >= 8


def test_text_report_with_embedding_map_and_worst_records_renders_accessibly(tmp_path):
    df = pd.DataFrame({"text": ["the cat sat.", "the cat sat.", "a dog ran far.", "birds sing at dawn."],
                       "orig": ["the cat sat on the mat.", "x", "a dog ran.", "birds sing."]})
    report = synthaudit.audit("text", synthetic=df, reference_field="orig",
                              metrics=["text.pres_lev", "text.ext.length_distribution"])
    p = _Audit()
    p.feed(render_html(report))
    assert all(b - a <= 1 for a, b in zip(p.headings, p.headings[1:])), p.headings
    assert all(s.get("aria-label") for s in p.svgs) and p.scripts == 0
