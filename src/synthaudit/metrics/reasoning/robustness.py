"""Reasoning robustness (survey section 3.3): the reward model's in-domain vs out-of-domain accuracy gap."""
from __future__ import annotations

import numpy as np

from synthaudit.data.reasoning import iter_problems
from synthaudit.metrics.reasoning.fidelity import pair_scores
from synthaudit.metrics.registry import register
from synthaudit.metrics.result import MetricResult


def _ood_ready(inputs) -> str | None:
    if not inputs.extra.get("ood_domains"):
        return "needs the out-of-domain values of the domain field (--ood-domains)"
    if not inputs.extra["reasoning"]["synthetic"].columns.get("domain"):
        return "needs a domain field on the preference pairs (--domain-field)"
    return None


def delta_ood(inputs, models) -> MetricResult:
    """Delta_OOD = Acc_RM(in-domain pairs) - Acc_RM(out-of-domain pairs) (section 3.3): pairs whose domain is
    one of ``--ood-domains`` are out-of-domain, the others in-domain. Acc_RM as ``reasoning.acc_rm`` (same
    rewards, ties earn tie_credit). Target 0; negative means better out of domain. Both accuracies are
    reported, since a small gap at low accuracy is not good."""
    from synthaudit.metrics.registry import get

    spec = get("reasoning.acc_rm").spec
    tie = float(inputs.params_for(spec.id, spec.default_params())["tie_credit"])
    ood = {str(d) for d in inputs.extra["ood_domains"]}
    acc: dict[str, list[float]] = {"in": [], "ood": []}
    per_domain: dict[str, list[float]] = {}
    for batch in iter_problems(inputs):
        scores, _ = pair_scores(batch, models, tie)
        for p, s in zip(batch, scores):
            if np.isnan(s) or p.domain is None:
                continue
            acc["ood" if p.domain in ood else "in"].append(float(s))
            per_domain.setdefault(p.domain, []).append(float(s))
    a_in = float(np.mean(acc["in"])) if acc["in"] else None
    a_ood = float(np.mean(acc["ood"])) if acc["ood"] else None
    value = a_in - a_ood if a_in is not None and a_ood is not None else None
    rows = [{"domain": d, "ood": d in ood, "pairs": len(v), "acc_rm": float(np.mean(v))}
            for d, v in sorted(per_domain.items())]
    notes = {"ood_domains": sorted(ood), "n_in": len(acc["in"]), "n_ood": len(acc["ood"]),
             "sign": "positive: better in domain; negative: better out of domain"}
    if value is None:
        notes["undefined"] = "needs pairs on both sides (in-domain and out-of-domain)"
    return MetricResult(value=value, breakdown=rows, secondary={"acc_rm_in": a_in, "acc_rm_ood": a_ood}, notes=notes)


register(id="reasoning.delta_ood", name="Reward-model OOD accuracy gap (Delta_OOD)", modality="reasoning",
         pillar="trust", dimension="robustness", section="3.3", direction="target", target_value=0.0,
         range=(-1.0, 1.0), inputs=("preference_pairs",), models=("llm_judge",), computation="global",
         applies=_ood_ready)(delta_ood)
