"""The tabular reference audit: the real holdout in the synthetic role, against the same real data.

A fidelity value alone does not say what "good" is for a data set: two independent samples of the same
population already differ (sampling noise, rare categories). The holdout, real rows the generator never saw,
scored against the real data gives that floor (mostlyai-qa's "holdout reference"; survey section 8.1 on
missing baselines). The holdout is usually smaller than the synthetic table, so its own sampling noise makes the
reference a conservative bar (a synthetic table of the holdout's size would score about the same).
"""
from __future__ import annotations

import dataclasses

from synthaudit.modalities.tabular import TabularInputs


def reference(opts: TabularInputs) -> tuple[TabularInputs | None, str]:
    if opts.holdout is None:
        return None, ("no holdout given (--holdout): fidelity and diversity values are shown without a reference "
                      "of what two real samples of this data set score")
    return (dataclasses.replace(opts, synthetic=opts.holdout, holdout=None),
            "the real holdout (--holdout) scored against the real data, as if it were the synthetic table")
