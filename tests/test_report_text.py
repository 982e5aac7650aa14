"""Report features for record metrics and text: worst records per metric, the embedding-map scatter."""
from __future__ import annotations

import pandas as pd

import synthaudit
from synthaudit.report import plots
from synthaudit.report.html import render_html


def test_worst_records_are_the_lowest_scores_with_their_text():
    originals = ["the cat sat on the mat", "a quick brown fox", "hello world", "données unicode — ok", "same"]
    revisions = ["the cat sat on a mat", "completely different words here", "hello world!", "données", "same"]
    df = pd.DataFrame({"text": revisions, "orig": originals})
    report = synthaudit.audit("text", synthetic=df, reference_field="orig", metrics=["text.pres_lev"])
    (m,) = report.metrics
    assert m.n_record_scores == 5
    scores = [w["score"] for w in m.worst]
    assert scores == sorted(scores) and len(m.worst) == 4  # the perfect 'same' pair is not among the worst
    assert m.worst[0]["record"] == 1 and m.worst[0]["text"] == "completely different words here"
    assert m.worst[0]["score"] == 0.0  # distance 28 > len 17: clipped at 0
    html = render_html(report)
    assert "Worst records (4)" in html and "completely different words here" in html


def test_scatter_payload_renders_an_accessible_svg():
    svg = plots.scatter_svg({"kind": "scatter", "title": "Embedding map", "xlabel": "PC1", "ylabel": "PC2",
                             "series": [{"label": "real", "x": [0, 1, 2], "y": [1, 0, 1]},
                                        {"label": "synthetic", "x": [0.5], "y": [0.2]}]})
    assert svg.startswith("<svg") and 'aria-label="Embedding map: real, synthetic"' in svg


def test_synthetic_only_length_histograms_and_lone_surrogates():
    # object dtype: pandas 3's default str dtype refuses lone surrogates
    df = pd.DataFrame({"text": pd.Series(["short one.", "a much longer text here with words", "bad \ud800 surrogate"],
                                         dtype=object)})
    report = synthaudit.audit("text", synthetic=df, metrics=["text.ext.length_distribution"])
    (m,) = report.metrics
    assert m.status == "ok" and m.value is None and len(m.plots) == 2  # no --real: no KS, still plotted
    assert sum(m.plots[0]["synthetic"]) == 1.0 and m.plots[0]["real"] is None
    html = render_html(report)
    assert 'aria-label="Histogram of Record length (characters): synthetic"' in html
    assert len(report.inputs[0].sha256) == 64  # the fingerprint hashes lone surrogates instead of crashing


def test_html_opens_with_the_coverage_matrix_beside_the_survey_table():
    df = pd.DataFrame({"text": ["one text here.", "another text there."], "orig": ["one text", "another"]})
    report = synthaudit.audit("text", synthetic=df, reference_field="orig",
                              metrics=["text.ttr", "text.distinct_n", "text.pres_lev"])
    html = render_html(report)
    assert html.index("Coverage matrix") < html.index("Scorecard")
    own = html[html.index('<tr class="own">'):]
    own = own[:own.index("</tr>")]
    # diversity: 3 of the 5 catalog metrics ran -> partial; faithfulness: 1 of 7 -> partial; safety: none
    marks = [m.split("</td>")[0] for m in own.split('<td class="mark">')[1:]]
    assert marks == ["×", "×", "△", "△", "×"]  # Table 2 columns: validity, fidelity, diversity, faithfulness, safety
    assert "Table 2" in html and "Self-Instruct" in html
