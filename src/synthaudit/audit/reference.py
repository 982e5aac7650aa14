"""Reference values: the audit's fidelity and diversity metrics once more, with real data in the synthetic role.

A bare fidelity number does not say what "good" is for a data set (survey section 8.1: evaluation without
baselines). A modality with a ``reference`` hook names such a run (tabular: the real holdout against the real
data); each metric entry then carries its ``reference`` value, policy gates may be written relative to it
(``max_vs_reference``), and a report without one says why once.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from synthaudit.audit.plan import Plan
    from synthaudit.modalities import LoadOptions, ModalityInputs
    from synthaudit.models import Models



@dataclass
class Reference:
    available: bool
    note: str
    values: dict[str, float | None] = field(default_factory=dict)
    rows: int | None = None
    wall_s: float = 0.0
    cpu_s: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {"available": self.available, "note": self.note, "rows": self.rows, "metrics": len(self.values),
                "wall_s": round(self.wall_s, 3), "cpu_s": round(self.cpu_s, 3)}


def reference_values(opts: "ModalityInputs", plan: "Plan", models: "Models", *, load: "LoadOptions", seed: int,
                     params: dict, batch_size: int, progress: bool | None) -> Reference | None:
    """The reference run of the modality's ``reference`` hook over the metrics of ``plan`` in the modality's
    ``reference_dimensions`` (default fidelity and diversity; detection scores are fidelity metrics); None when the
    modality has no such hook or no such metric ran."""
    from synthaudit.audit.engine import run_plan
    from synthaudit.audit.plan import make_plan
    from synthaudit.modalities import get_modality

    modality = get_modality(opts.modality)
    hook = modality.hook("reference")
    ids = [m.id for m in plan.run if m.spec.dimension in modality.reference_dimensions]
    if hook is None or not ids:
        return None
    ref_opts, note = hook(opts)
    if ref_opts is None:
        return Reference(False, note)
    t0, c0 = time.perf_counter(), time.process_time()
    try:
        prepare = get_modality(opts.modality).hook("prepare")
        inputs = prepare(ref_opts, load, seed, dict(params))
        ref_plan = make_plan(inputs, models, metrics=ids)
        runs = run_plan(ref_plan, inputs, models, batch_size=batch_size, progress=progress)
    except Exception as exc:  # noqa: BLE001 - the audit stands without its reference; say why
        return Reference(False, f"the reference run failed: {type(exc).__name__}: {exc}")
    table = inputs.tables.get("synthetic")
    return Reference(True, note, {r.metric.id: (r.result.value if r.result is not None else None) for r in runs},
                     rows=table.n_rows if table is not None else None, wall_s=time.perf_counter() - t0,
                     cpu_s=time.process_time() - c0)
