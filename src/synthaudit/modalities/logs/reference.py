"""The logs reference audit: the real logs in the synthetic role (survey section 8.1 on missing baselines).

A parsing score alone does not say what "good" is for a log source: Drain3 disagrees with hand-made ground truth
on real logs too (loghub-2.0 reports grouping accuracies from about 0.3 to 1.0 across systems), and real logs carry
sensitive spans of their own. The real logs (``--real``), parsed and scored as if they were the synthetic ones,
give that bar for the validity, fidelity and privacy metrics.
"""
from __future__ import annotations

import dataclasses

from synthaudit.modalities.logs import LogsInputs


def reference(opts: LogsInputs) -> tuple[LogsInputs | None, str]:
    if opts.real is None:
        return None, ("no real logs given (--real): parsing, fidelity and exposure values are shown without what "
                      "the real logs themselves score")
    return (dataclasses.replace(opts, synthetic=opts.real, template_field=None),
            "the real logs (--real) parsed and scored as if they were the synthetic ones")
