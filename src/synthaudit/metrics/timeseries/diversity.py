"""Time-series diversity (the tutorial's sequential data, catalog ``timeseries.diversity_coverage``): beta-recall
of the real series on fixed summary embeddings, as tabular.beta_recall."""
from __future__ import annotations

from synthaudit.metrics.registry import register
from synthaudit.metrics.result import MetricResult
from synthaudit.metrics.timeseries.common import MODALITY, SECTION, numeric, overlap_notes, undefined, values


@register(id="timeseries.diversity_coverage", name="Series-level coverage (beta-recall on series embeddings)",
          modality=MODALITY, pillar="quality", dimension="diversity", section=SECTION, direction="higher_better",
          range=(0.0, 1.0), inputs=("synthetic", "real_reference"), computation="global",
          params={"embedding": {"default": "summary", "note": "code param: per channel mean, std, ACF lags 1-5 and "
                                                              "the power share of 4 frequency bands"},
                  "normalisation": {"default": "synthcity"}},
          applies=numeric("real_reference"))
def coverage(inputs, models) -> MetricResult:
    """Share of real series inside the synthetic beta-support (synthcity's estimator, integrated over beta) on
    standardised summary embeddings of the series (:func:`synthaudit.stats.timeseries.series_embedding`). A
    generator that covers only part of the real behaviours (one regime, one season) scores low."""
    from synthaudit.stats.timeseries import diversity_coverage

    try:
        res = diversity_coverage(values(inputs, "real_reference"), values(inputs, "synthetic"))
    except ValueError as exc:
        return undefined(exc)
    curve = {"kind": "curve", "title": "beta-coverage curve", "x": res.betas.tolist(), "y": res.coverage.tolist(),
             "xlabel": "beta", "ylabel": "coverage"}
    return MetricResult(value=res.value, secondary={"integrated_alaa": res.integrated_alaa,
                                                    "coverage_at_beta_0_9": res.at_beta_0_9},
                        notes={"embedding": "per channel: mean, std, ACF lags 1-5, power share in 4 frequency "
                                            "bands; standardised with the real series' mean and std; Euclidean",
                               "estimator": "synthcity's beta-coverage (as tabular.beta_recall)",
                               "series": {"real": res.n_real, "synthetic": res.n_synthetic},
                               **overlap_notes(inputs)},
                        plots=[curve])
