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


def test_static_metric_index_equals_the_live_registry():
    """``synthaudit metrics`` lists from ``metrics/index.json`` without importing the metric packages; the file
    must equal what the registry holds (regenerate with ``python -m synthaudit.metrics.index``)."""
    from synthaudit.metrics.index import build_index, listing, load_index
    from synthaudit.metrics.registry import all_metrics, metric_entries

    assert load_index() == build_index(), "stale metrics/index.json: run python -m synthaudit.metrics.index"
    live = all_metrics()
    expected = [{"id": e["id"], "name": e["name"], "modality": e["modality"], "pillar": e["pillar"],
                 "dimension": e["dimension"], "section": e["section"], "direction": e["direction"],
                 "computation": e["computation"], "inputs": list(e["inputs"]), "implemented": e["id"] in live,
                 "extension": bool(e.get("extension"))} for e in metric_entries().values()]
    assert listing() == expected
    assert listing("text") == [r for r in expected if r["modality"] == "text"]


def test_metrics_command_imports_no_metric_package():
    import subprocess
    import sys

    code = ("import sys; from typer.testing import CliRunner; from synthaudit.cli.application import app; "
            "r = CliRunner().invoke(app, ['metrics', '--json']); assert r.exit_code == 0, r.output; "
            "bad = [m for m in sys.modules if m.startswith(('synthaudit.metrics.tabular', 'synthaudit.metrics.text', "
            "'synthaudit.metrics.dialogue', 'sklearn', 'pandas'))]; print(bad)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
