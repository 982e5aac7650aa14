"""The offline sentence splitter named in sentence-level results (hand-worked fixtures)."""
from __future__ import annotations

import pytest

from synthaudit.data.segment import SEGMENTER, split_sentences


@pytest.mark.parametrize("text,expected", [
    ("Hello world. This is fine! Is it? Yes.", ["Hello world.", "This is fine!", "Is it?", "Yes."]),
    ("Dr. Smith paid 3.14 dollars. Then he left.", ["Dr. Smith paid 3.14 dollars.", "Then he left."]),
    ("We met J. Smith, e.g. at noon. Fine.", ["We met J. Smith, e.g. at noon.", "Fine."]),
    ('He said "Stop." Then he left.', ['He said "Stop."', "Then he left."]),
    ("lower case after a stop. stays one", ["lower case after a stop. stays one"]),
    ("First paragraph\n\nSecond paragraph", ["First paragraph", "Second paragraph"]),
    ("你好。我很好！谢谢", ["你好。", "我很好！", "谢谢"]),
    ("Wait... What?! 2 cats.", ["Wait...", "What?!", "2 cats."]),
    ("", []),
    ("   \n ", []),
    ("no final stop", ["no final stop"]),
])
def test_split_sentences(text, expected):
    assert split_sentences(text) == expected


def test_segmenter_is_named():
    assert SEGMENTER.startswith("synthaudit-rules-v1")
