"""The time-series section of ``synthaudit demo`` (the tutorial's sequential data), offline.

The real series are the quarterly growth rates (100 x log differences) of US real GDP, consumption and investment,
1959-2009, from statsmodels' ``macrodata``: the first 70 % of the quarters are the training data, the last 30 % the
held-out real data, both cut into 12-quarter windows one quarter apart (TimeGAN's samples). A VAR fitted to the
training quarters writes the synthetic windows. Two flawed generators are audited beside it: a bootstrap of single
quarters (the marginals are right, the dynamics are gone: ACF distance and the discriminator catch it) and one that
returns copies of training windows (its DCR share is 1 where unseen real data score 0.5).
"""
from __future__ import annotations

import numpy as np

WINDOW = 12  # quarters per series
N_SERIES = 200  # synthetic series per variant
CHANNELS = ["realgdp", "realcons", "realinv"]
#: GRU training kept short for the tour (the metrics' defaults are 500 steps)
PARAMS = {"timeseries.discriminative_score": {"iterations": 200}, "timeseries.predictive_score": {"iterations": 200}}


def real_growth() -> tuple[np.ndarray, np.ndarray]:
    """(training quarters, held-out quarters): growth rates of the three channels, split 70/30 in time."""
    import statsmodels.api as sm

    levels = sm.datasets.macrodata.load_pandas().data[CHANNELS].to_numpy(dtype=float)
    growth = 100.0 * np.diff(np.log(levels), axis=0)
    cut = int(round(0.7 * len(growth)))
    return growth[:cut], growth[cut:]


def _write(ctx, name: str, series: list[np.ndarray]) -> str:
    from synthaudit.data.timeseries import from_arrays, to_long_frame

    path = ctx.out / "data" / name
    to_long_frame(from_arrays(series, CHANNELS, prefix=name.split(".")[0])).to_csv(path, index=False)
    return str(path)


def section(ctx) -> list:
    from synthaudit.audit.api import audit
    from synthaudit.data.timeseries import load_series, windows
    from synthaudit.demo import DemoEntry, catch_text
    from synthaudit.generate.timeseries import BlockBootstrap, VARGenerator

    train, hold = real_growth()
    real_path, hold_path = _write(ctx, "ts_real_train.csv", [train]), _write(ctx, "ts_real_holdout.csv", [hold])
    with ctx.step(f"timeseries: {N_SERIES} windows of {WINDOW} quarters from a VAR fitted to US macro growth "
                  "rates; shuffled-quarter and copied variants"):
        var = VARGenerator(seed=ctx.seed).fit([train])
        good = var.sample(N_SERIES, lengths=WINDOW)
        shuffled = BlockBootstrap(block=1, seed=ctx.seed).fit([train]).sample(N_SERIES, lengths=WINDOW)
        real_windows = windows(load_series([train], "real"), WINDOW, 1).values
        pick = np.random.default_rng(ctx.seed).integers(0, len(real_windows), N_SERIES)
        copies = [real_windows[i] for i in pick]
    paths = {name: _write(ctx, f"ts_{name}.csv", s) for name, s in
             (("var", good), ("shuffled", shuffled), ("copies", copies))}
    common = dict(real=real_path, holdout=hold_path, window=WINDOW, stride=1, seed=ctx.seed, progress=ctx.progress,
                  params=PARAMS)
    reports = {}
    labels = {"var": "the VAR series", "shuffled": "the shuffled quarters", "copies": "the copied windows"}
    for name in ("var", "shuffled", "copies"):
        with ctx.step(f"timeseries: audit of {labels[name]} against {len(real_windows)} real training windows"):
            reports[name] = audit("timeseries", synthetic=paths[name], out=ctx.out / f"timeseries_{name}", **common)
    g = reports["var"]
    caught_shuffle = catch_text(g, reports["shuffled"], ["timeseries.acf_distance",
                                                         "timeseries.discriminative_score"], "shuffled quarters")
    caught_copy = catch_text(g, reports["copies"], ["timeseries.dcr"], "copied windows")
    p = var.p_
    return [
        DemoEntry("timeseries", "VAR series fitted to US macro growth rates", "timeseries_var/report.html", g,
                  f"{N_SERIES} series of {WINDOW} quarters (real GDP, consumption and investment growth) simulated "
                  f"from a VAR({p}) fitted to 1959-1994 (statsmodels' macrodata); the real side is {len(real_windows)} "
                  f"overlapping 12-quarter windows of those years, the holdout the windows of 1994-2009",
                  caught_shuffle),
        DemoEntry("timeseries", "Flawed: shuffled quarters (on purpose)", "timeseries_shuffled/report.html",
                  reports["shuffled"], f"{N_SERIES} series of {WINDOW} quarters drawn one at a time from the real "
                  "training quarters: every marginal is right, the dynamics are gone", caught_shuffle),
        DemoEntry("timeseries", "Flawed: copies of training windows (on purpose)", "timeseries_copies/report.html",
                  reports["copies"], f"{N_SERIES} real training windows returned as they are", caught_copy),
    ]
