"""Every registered metric agrees with its catalog entry (shared/catalog/metrics.yaml)."""
from __future__ import annotations

import yaml

from synthaudit.catalog import catalog_entries, load_catalog, parse_range
from synthaudit.metrics.registry import all_metrics

FIELDS = ("name", "modality", "pillar", "dimension", "section", "direction", "computation")


def test_packaged_catalog_is_the_shared_one(shared_dir):
    shared = yaml.safe_load((shared_dir / "catalog" / "metrics.yaml").read_text(encoding="utf-8"))
    assert shared == load_catalog()


def test_every_registered_spec_matches_its_catalog_entry():
    catalog = catalog_entries()
    registered = all_metrics()
    assert {"tabular.kst", "tabular.tvd", "tabular.pearson_score", "tabular.contingency_score",
            "tabular.chi2"} <= set(registered)
    for mid, metric in registered.items():
        if metric.spec.extension:  # checks beyond the catalog: their own namespace, never a catalog id
            assert mid.startswith(f"{metric.spec.modality}.ext.") and mid not in catalog, mid
            continue
        assert mid in catalog, f"{mid} is not a catalog id"
        entry, spec = catalog[mid], metric.spec
        for f in FIELDS:
            assert getattr(spec, f) == entry[f], f"{mid}.{f}: {getattr(spec, f)!r} != catalog {entry[f]!r}"
        assert spec.range == parse_range(entry["range"]), mid
        assert list(spec.inputs) == entry["inputs"], mid
        assert list(spec.models) == entry["models"], mid
        assert spec.target_value == entry.get("target_value"), mid
        # every catalog parameter exists in code with the catalog's default; code may add its own
        # (e.g. sample caps), which the report lists with the others
        catalog_defaults = {k: v.get("default") for k, v in (entry.get("params") or {}).items()}
        code_defaults = spec.default_params()
        for key, value in catalog_defaults.items():
            assert key in code_defaults, f"{mid}: catalog param {key} is missing in code"
            assert code_defaults[key] == value, f"{mid}: default {key}={code_defaults[key]!r} != catalog {value!r}"


def test_catalog_vocabulary_is_what_the_spec_validates():
    from synthaudit.catalog import COMPUTATIONS, DIMENSIONS, DIRECTIONS, MODALITIES

    for e in load_catalog()["metrics"]:
        assert e["modality"] in MODALITIES
        assert e["dimension"] in DIMENSIONS[e["pillar"]]
        assert e["direction"] in DIRECTIONS
        assert e["computation"] in COMPUTATIONS


def test_parse_range_forms():
    assert parse_range("[0,1]") == (0.0, 1.0)
    assert parse_range("[0,inf)") == (0.0, float("inf"))
    assert parse_range("(-inf,inf)") == (float("-inf"), float("inf"))
    assert abs(parse_range("[0,sqrt(2)]")[1] - 2 ** 0.5) < 1e-12
    assert parse_range(None) is None
