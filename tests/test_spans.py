"""Spans (issue #13): batches a Ray worker reads itself are exactly the batches the local engine streams, and a
file that cannot be cut by line breaks gets no spans (the driver reads it)."""
from __future__ import annotations

import gzip

import numpy as np
import pandas as pd
import pytest

from synthaudit.data import files, spans
from synthaudit.data.tabular import Table


def _same_batches(path, fmt: str, batch_size: int) -> list[spans.Span]:
    planned = spans.plan_spans(path, fmt, batch_size)
    assert planned is not None
    expected = list(files.iter_file(path, fmt=fmt, batch_size=batch_size))
    assert [s.rows for s in planned] == [len(b) for b in expected]
    assert [s.start_row for s in planned] == list(np.cumsum([0] + [len(b) for b in expected[:-1]]))
    for span, batch in zip(planned, expected):
        pd.testing.assert_frame_equal(span.read().reset_index(drop=True), batch.reset_index(drop=True))
    return planned


@pytest.fixture()
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    n = 1003
    return pd.DataFrame({"age": rng.integers(18, 90, n), "income": rng.normal(5e4, 1e4, n).round(3),
                         "city": rng.choice(["Zürich", "東京", "São Paulo", "Oslo"], n),
                         "score": np.where(rng.random(n) < 0.1, np.nan, rng.random(n))})


@pytest.mark.parametrize("batch_size", [1, 100, 1003, 5000])
def test_csv_spans_equal_the_streamed_batches(frame, tmp_path, batch_size):
    path = tmp_path / "t.csv"
    frame.to_csv(path, index=False)
    planned = _same_batches(path, "csv", batch_size)
    assert planned[0].begin == len("age,income,city,score\n") and planned[-1].end == path.stat().st_size


def test_windows_line_ends_no_final_line_break_and_an_exact_last_batch(frame, tmp_path):
    crlf = tmp_path / "crlf.csv"
    crlf.write_bytes(frame.to_csv(index=False, lineterminator="\r\n").encode())
    _same_batches(crlf, "csv", 250)
    bare = tmp_path / "bare.csv"
    bare.write_text(frame.iloc[:1000].to_csv(index=False).rstrip("\n"))
    assert [s.rows for s in _same_batches(bare, "csv", 250)] == [250] * 4  # the last line has no line break
    exact = tmp_path / "exact.csv"
    frame.iloc[:1000].to_csv(exact, index=False)
    assert len(_same_batches(exact, "csv", 500)) == 2  # a line break right at the end: no empty third span
    tsv = tmp_path / "t.tsv"
    frame.to_csv(tsv, sep="\t", index=False)
    _same_batches(tsv, "tsv", 300)


def test_parquet_spans_cut_across_row_groups(frame, tmp_path):
    path = tmp_path / "t.parquet"
    frame.to_parquet(path, row_group_size=170)
    assert len(_same_batches(path, "parquet", 400)) == 3


@pytest.mark.parametrize("body", [
    'a,b\n1,"x, y"\n2,z\n',  # a quote: a field may hold a line break
    "a,b\n1,x\n\n2,z\n",  # a blank line pandas skips
    "a,b\r\n1,x\r\n\r\n2,z\r\n",  # the same with Windows line ends
    "\na,b\n1,x\n",  # a blank line before the header
])
def test_files_that_cannot_be_cut_by_line_breaks_get_no_spans(tmp_path, body):
    path = tmp_path / "t.csv"
    path.write_text(body)
    assert spans.plan_spans(path, "csv", 1) is None


def test_compressed_files_and_other_formats_get_no_spans(frame, tmp_path):
    gz = tmp_path / "t.csv.gz"
    with gzip.open(gz, "wt") as f:
        frame.to_csv(f, index=False)
    assert spans.plan_spans(gz, "csv", 100) is None
    jsonl = tmp_path / "t.jsonl"
    frame.to_json(jsonl, orient="records", lines=True)
    assert spans.plan_spans(jsonl, "jsonl", 100) is None
    assert Table.from_any(frame, "t").spans(100) is None  # in memory: nothing to read


def test_a_streamed_table_plans_spans_and_learns_its_size(frame, tmp_path):
    path = tmp_path / "t.csv"
    frame.to_csv(path, index=False)
    table = Table.from_any(path, "t", stream=True)
    assert table.n_rows is None
    planned = table.spans(400)
    assert [s.rows for s in planned] == [400, 400, 203] and table.n_rows == 1003 and not table.materialized
    one_block = spans.SCAN_BLOCK
    try:  # line breaks found across many small scan blocks give the same cuts
        spans.SCAN_BLOCK = 64
        assert spans.plan_spans(path, "csv", 400) == planned
    finally:
        spans.SCAN_BLOCK = one_block


def test_a_bad_row_in_a_span_is_the_error_reading_the_whole_file_gives(frame, tmp_path):
    lines = frame.to_csv(index=False).splitlines()
    lines[701] += ",extra,fields"  # data row 701: line 702 of the file
    path = tmp_path / "bad.csv"
    path.write_text("\n".join(lines) + "\n")
    planned = spans.plan_spans(path, "csv", 300)
    with pytest.raises(files.InputError) as whole:
        list(files.iter_file(path, fmt="csv", batch_size=300))
    with pytest.raises(files.InputError) as part:
        planned[2].read()
    assert str(part.value) == str(whole.value) and "line 702" in str(part.value)
