"""The time-series reference audit: real held-out series in the synthetic role (the tutorial's train-on-real
baseline, applied to every fidelity and diversity metric).

A discriminator never scores exactly 0 and two real samples never have identical ACFs: the held-out real series,
audited against the same reference as the synthetic ones, show the values sampling noise alone gives.
"""
from __future__ import annotations

import dataclasses

from synthaudit.modalities.timeseries import TimeseriesInputs


def reference(opts: TimeseriesInputs) -> tuple[TimeseriesInputs | None, str]:
    if opts.real is None:
        return None, "no real series given (--real)"
    if opts.holdout is not None:
        return (dataclasses.replace(opts, synthetic=opts.holdout, holdout=None),
                "the held-out real series (--holdout) audited as if they were the synthetic ones")
    if opts.holdout_share is None:
        return None, ("no held-out real series (--holdout or --holdout-share): values are shown without what real "
                      "series of the same source score")
    from synthaudit.data.timeseries import load_series, split_holdout, windows
    from synthaudit.modalities.timeseries.prepare import series_options

    real = load_series(opts.real, "real", series_options(opts))
    if opts.window is not None:  # as the audit: windows first, then the split
        real = windows(real, opts.window, opts.stride)
    rest, held = split_holdout(real, opts.holdout_share)
    return (dataclasses.replace(opts, synthetic=held, real=rest, train=None, holdout=None, holdout_share=None,
                                window=None, stride=None),
            f"the held-out {opts.holdout_share:g} of the real series audited as if they were the synthetic ones")
