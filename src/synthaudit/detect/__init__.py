"""Sensitive-span detectors (survey section 5.3): the built-in regex + checksum detector, a Presidio adapter and
user plugins (``module:function``), with span matching for privacy metrics."""
from synthaudit.detect.sensitive import (TYPES, Span, as_spans, changed_spans, describe, detect, get_detector,
                                         mask, match)

__all__ = ["TYPES", "Span", "as_spans", "changed_spans", "describe", "detect", "get_detector", "mask", "match"]
