"""The demo's 'look at' line: which metric shows the flawed variant worse, in each metric's direction."""
from __future__ import annotations

from types import SimpleNamespace

from synthaudit.demo import catch_text, worsening


class Rep:
    def __init__(self, **entries):
        self.entries = entries

    def result(self, mid):
        return self.entries[mid]

    def value(self, mid):
        return self.entries[mid].value


def entry(value, direction, rng="[0,1]", target=None):
    return SimpleNamespace(value=value, direction=direction, range=rng, target_value=target,
                           good="closest to 0.5 is best" if target is not None else "lower is better")


def test_target_metric_is_worse_further_from_its_target():
    good = Rep(dcr=entry(0.28, "target", target=0.5))
    bad = Rep(dcr=entry(1.0, "target", target=0.5))
    assert abs(worsening(good, bad, "dcr") - (0.5 - 0.22)) < 1e-12  # |1 - 0.5| - |0.28 - 0.5|, range width 1
    assert worsening(bad, good, "dcr") < 0
    assert catch_text(good, bad, ["dcr"], "copies") == "dcr: 0.28 here vs 1 on the copies; closest to 0.5 is best"
    no_target = Rep(dcr=entry(0.3, "target", target=None))
    assert worsening(no_target, bad, "dcr") is None


def test_directional_metrics_and_unbounded_ranges():
    good, bad = Rep(ks=entry(0.1, "lower_better")), Rep(ks=entry(0.4, "lower_better"))
    assert abs(worsening(good, bad, "ks") - 0.3) < 1e-12
    g2, b2 = Rep(mae=entry(2.0, "lower_better", "[0,inf)")), Rep(mae=entry(3.0, "lower_better", "[0,inf)"))
    assert abs(worsening(g2, b2, "mae") - 0.5) < 1e-12  # relative to the good value when unbounded
    assert worsening(Rep(x=entry(None, "lower_better")), bad, "x") is None
